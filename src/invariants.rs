//! Invariants of a run. Checked at every sample in debug builds (and with
//! `--check-invariants`), and at the end of every run. A violation is a kubesim bug: it is
//! reported with the seed and the virtual time, never silently repaired.

use crate::api::*;
use crate::apiserver::ApiServer;
use crate::record::Recorder;
use crate::sim::SimTime;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Violation {
    pub time: SimTime,
    pub seed: u64,
    pub what: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invariant violated at t={}s (seed {}): {}. This is a kubesim bug: please report it with the scenario file and the seed",
            self.time, self.seed, self.what
        )
    }
}

/// What the checks need to see of the components.
pub struct View<'a> {
    pub api: &'a ApiServer,
    pub rec: &'a Recorder,
    /// For each node, does its kubelet run (or is it stopping) this pod?
    pub kubelet_has: &'a dyn Fn(NodeId, PodId) -> bool,
    /// Pods the ReplicaSet controller has created.
    pub rs_created: u64,
    /// Recorded events before this index were checked already.
    pub events_from: usize,
}

pub fn check(v: &View, now: SimTime, seed: u64) -> Result<(), Violation> {
    let fail = |what: String| Violation { time: now, seed, what };
    let indexed = check_node_index(v.api).map_err(fail)?;
    let (counts, used, owned) = recount_pods(v, &indexed).map_err(fail)?;
    check_fit(v.api, &used).map_err(fail)?;
    check_counters(v, &counts, owned).map_err(fail)?;
    check_replicasets(v.api).map_err(fail)?;
    check_events(v, now).map_err(fail)
}

/// The node index agrees with `spec.nodeName`; how many times each pod is indexed.
fn check_node_index(api: &ApiServer) -> Result<Vec<u32>, String> {
    // Bound, non-terminated pods fit their node; the node index agrees with spec.nodeName.
    let mut indexed = vec![0u32; api.pods.len()];
    for (n, _) in api.nodes.iter().enumerate() {
        for &p in api.pods_on_node(NodeId(n as u32)) {
            indexed[p.idx()] += 1;
            if api.pod(p).node != Some(NodeId(n as u32)) {
                return Err(format!(
                    "pod {} is indexed on node {} but bound elsewhere",
                    api.pod(p).name,
                    api.nodes[n].name
                ));
            }
        }
    }
    Ok(indexed)
}

/// A recount of the pods: phases, each node's (requests, pods), pods with a ReplicaSet owner.
type Recount = (crate::apiserver::Counters, Vec<(Resources, u32)>, u64);

/// Per pod: names unique among live pods, bound pods indexed once, Running pods run by their
/// kubelet. Returns a recount of the phases, each node's requests and pods, and the pods with a
/// ReplicaSet owner.
fn recount_pods(v: &View, indexed: &[u32]) -> Result<Recount, String> {
    let api = v.api;
    let mut used = vec![(Resources::default(), 0u32); api.nodes.len()];
    let mut counts = crate::apiserver::Counters::default();
    let mut owned = 0u64;
    // Names are unique among live pods: a StatefulSet never has two `web-0`.
    let mut names: std::collections::BTreeSet<(&str, &str)> = std::collections::BTreeSet::new();
    for (i, p) in api.pods.iter().enumerate() {
        if matches!(p.owner, Some(Owner::ReplicaSet(_))) {
            owned += 1;
        }
        if p.removed.is_some() {
            if indexed[i] != 0 {
                return Err(format!("deleted pod {} is still indexed on a node", p.name));
            }
            continue;
        }
        if !names.insert((&p.namespace, &p.name)) {
            return Err(format!("two live pods are named {}/{}", p.namespace, p.name));
        }
        if p.deletion.is_some() {
            counts.terminating += 1;
        } else {
            match p.status.phase {
                PodPhase::Pending => counts.pending += 1,
                PodPhase::Running => counts.running += 1,
                PodPhase::Succeeded => counts.succeeded += 1,
                PodPhase::Failed => counts.failed += 1,
                PodPhase::Unknown => counts.unknown += 1,
            }
        }
        match p.node {
            Some(n) => {
                if indexed[i] != 1 {
                    return Err(format!(
                        "pod {} is bound to {} but indexed {} times",
                        p.name,
                        api.node(n).name,
                        indexed[i]
                    ));
                }
                if !p.status.phase.is_terminal() {
                    // What the kubelet admitted must fit; a pod bound by spec.nodeName that it
                    // has not admitted yet may not (admission rejects it, as upstream).
                    if (v.kubelet_has)(n, PodId(i as u32)) {
                        used[n.idx()].0.add(p.spec.requests());
                        used[n.idx()].1 += 1;
                    }
                    counts.requested.add(p.spec.requests());
                }
                if p.status.phase == PodPhase::Running && !(v.kubelet_has)(n, PodId(i as u32)) {
                    return Err(format!(
                        "pod {} is Running in the API but the kubelet of {} does not run it",
                        p.name,
                        api.node(n).name
                    ));
                }
            }
            None => {
                if p.status.phase == PodPhase::Running {
                    return Err(format!("pod {} is Running but bound to no node", p.name));
                }
            }
        }
    }
    Ok((counts, used, owned))
}

/// The pods each kubelet runs fit its node's allocatable.
fn check_fit(api: &ApiServer, used: &[(Resources, u32)]) -> Result<(), String> {
    for (n, (r, pods)) in used.iter().enumerate() {
        let node = &api.nodes[n];
        if r.cpu_milli > node.allocatable.cpu_milli || r.memory > node.allocatable.memory || *pods > node.pods {
            return Err(format!(
                "node {}: bound pods request {}m cpu, {} bytes of memory and {} pods; allocatable is {}m, {} bytes, {} pods",
                node.name, r.cpu_milli, r.memory, pods, node.allocatable.cpu_milli, node.allocatable.memory, node.pods
            ));
        }
    }
    Ok(())
}

/// The API server's running counts and indexes agree with the recount.
fn check_counters(v: &View, counts: &crate::apiserver::Counters, owned: u64) -> Result<(), String> {
    let api = v.api;
    let c = api.counters;
    if (c.pending, c.running, c.succeeded, c.failed, c.unknown, c.terminating, c.requested)
        != (
            counts.pending,
            counts.running,
            counts.succeeded,
            counts.failed,
            counts.unknown,
            counts.terminating,
            counts.requested,
        )
    {
        return Err(format!("the API server's running counts {c:?} disagree with a recount {counts:?}"));
    }
    if owned != v.rs_created {
        return Err(format!(
            "the ReplicaSet controller created {} pods but {owned} pods have a ReplicaSet owner",
            v.rs_created
        ));
    }
    if api.terminated.len() as u32 != counts.succeeded + counts.failed {
        return Err(format!(
            "the API server indexes {} terminated pods, a recount gives {}",
            api.terminated.len(),
            counts.succeeded + counts.failed
        ));
    }
    // The scheduler's dense view of which pods may still be bound matches the objects.
    if let Some((i, p)) = api
        .pods
        .iter()
        .enumerate()
        .find(|(i, p)| api.unsettled[*i] != (p.node.is_none() && p.deletion.is_none() && p.removed.is_none()))
    {
        return Err(format!(
            "pod {}: the API server's unsettled flag {} disagrees with the object",
            p.name, api.unsettled[i]
        ));
    }
    Ok(())
}

/// Each ReplicaSet's counts of active and ready pods match a recount.
fn check_replicasets(api: &ApiServer) -> Result<(), String> {
    for r in 0..api.replicasets.len() {
        let rs = crate::api::RsId(r as u32);
        let active = api.pods_of_rs(rs).iter().filter(|&&p| api.pod(p).is_active());
        let (a, ready) = active.fold((0u32, 0u32), |(a, r), &p| (a + 1, r + u32::from(api.pod(p).status.ready)));
        if (a, ready) != api.rs_counts(rs) {
            return Err(format!(
                "ReplicaSet {}: counted {:?} active/ready pods, a recount gives {:?}",
                api.replicasets[r].name,
                api.rs_counts(rs),
                (a, ready)
            ));
        }
    }
    Ok(())
}

/// Recorded events point at objects that exist, in time order, with causes that came first.
fn check_events(v: &View, now: SimTime) -> Result<(), String> {
    let api = v.api;
    let from = v.events_from.min(v.rec.events.len());
    let mut last = if from > 0 { v.rec.events[from - 1].time } else { SimTime::ZERO };
    for e in &v.rec.events[from..] {
        let exists = api.exists(e.object);
        if !exists || e.time < last || e.cause >= e.id || e.time > now {
            return Err(format!("recorded event {} ({}) is inconsistent", e.id, e.reason));
        }
        last = e.time;
    }
    Ok(())
}
