//! The per-pod and per-node views the charts draw: each pod's states on its node over time
//! (from its events), the nodes' NotReady periods, the startup latency split, and restarts and
//! evictions as they happened.

use crate::api::events::ObjRef;
use crate::api::{NodeId, PodId};
use crate::cluster::Cluster;
use crate::sim::SimTime;
use std::collections::BTreeMap;

/// What a pod is doing during a segment of the timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodState {
    /// Bound, its containers not started yet (waiting for a pull slot, being created).
    Starting,
    Pulling,
    Running,
    /// ImagePullBackOff: waiting to pull again.
    ImageBackOff,
    /// CrashLoopBackOff: waiting to restart a container.
    CrashBackOff,
    Terminating,
}

impl PodState {
    pub fn name(self) -> &'static str {
        match self {
            PodState::Starting => "starting (ContainerCreating)",
            PodState::Pulling => "pulling",
            PodState::Running => "running",
            PodState::ImageBackOff => "ImagePullBackOff",
            PodState::CrashBackOff => "CrashLoopBackOff",
            PodState::Terminating => "terminating",
        }
    }
}

/// One bar of the node x time chart.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Segment {
    pub pod: PodId,
    pub node: NodeId,
    pub from: SimTime,
    pub to: SimTime,
    pub state: PodState,
}

/// Every bound pod's states from binding to removal (or the end), from its events.
pub fn pod_segments(c: &Cluster, end: SimTime) -> Vec<Segment> {
    let mut by_pod: BTreeMap<PodId, Vec<(SimTime, &'static str, bool)>> = BTreeMap::new();
    for e in &c.rec.events {
        if let ObjRef::Pod(p) = e.object {
            // A cancelled taint eviction changes nothing the chart shows.
            if e.reason != "TaintManagerEviction" || e.is_taint_eviction() {
                let image = matches!(e.message, crate::api::Message::BackOffPulling { .. });
                by_pod.entry(p).or_default().push((e.time, e.reason, image));
            }
        }
    }
    let mut out = Vec::new();
    for (i, p) in c.api.pods.iter().enumerate() {
        let (Some(node), Some(from)) = (p.node, p.scheduled_at.or(p.started_at)) else { continue };
        let id = PodId(i as u32);
        let stop = p.removed.or(p.finished_at).unwrap_or(end).min(end);
        let mut state = PodState::Starting;
        let mut since = from;
        let push = |out: &mut Vec<Segment>, s: PodState, a: SimTime, b: SimTime| {
            if b > a {
                out.push(Segment { pod: id, node, from: a, to: b, state: s });
            }
        };
        for &(t, reason, image) in by_pod.get(&id).map_or(&[][..], |v| &v[..]) {
            if t < from || t > stop {
                continue;
            }
            let next = match reason {
                "Pulling" => PodState::Pulling,
                "Pulled" | "Created" if state != PodState::Terminating => PodState::Starting,
                "Started" if state != PodState::Terminating => PodState::Running,
                "BackOff" if state != PodState::Terminating && image => PodState::ImageBackOff,
                "BackOff" if state != PodState::Terminating => PodState::CrashBackOff,
                "Killing" | "TaintManagerEviction" | "Preempted" | "Evicted" => PodState::Terminating,
                _ => state,
            };
            if next != state {
                push(&mut out, state, since, t);
                state = next;
                since = t;
            }
        }
        push(&mut out, state, since, stop);
    }
    out
}

/// What happened to a node that the timeline marks besides NotReady.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeMark {
    /// Powered off (`node-crash`, `node-restart`, `node-shutdown`, `zone-outage`).
    PowerOff,
    /// Cut off from the control plane (`network-partition`).
    Partition,
}

/// Each node's power-off and partition periods, from the fault plan's events about it.
pub fn node_mark_spans(c: &Cluster, end: SimTime) -> Vec<(NodeId, SimTime, SimTime, NodeMark)> {
    let mut open: BTreeMap<(NodeId, u8), SimTime> = BTreeMap::new();
    let mut out = Vec::new();
    for e in &c.rec.events {
        let (ObjRef::Node(n), crate::api::Message::Text(m)) = (e.object, &e.message) else { continue };
        if e.source != crate::api::events::Source::Chaos {
            continue;
        }
        let (mark, start) = if m.contains("powering off") || m.contains("shutting down") {
            (NodeMark::PowerOff, true)
        } else if m.contains("powering on") {
            (NodeMark::PowerOff, false)
        } else if m.starts_with("network-partition:") {
            (NodeMark::Partition, e.reason == "FaultInjected")
        } else {
            continue;
        };
        let key = (n, mark as u8);
        if start {
            open.entry(key).or_insert(e.time);
        } else if let Some(t) = open.remove(&key) {
            out.push((n, t, e.time, mark));
        }
    }
    let marks = [NodeMark::PowerOff, NodeMark::Partition];
    out.extend(open.into_iter().map(|((n, k), t)| (n, t, end, marks[k as usize])));
    out.sort_by_key(|&(n, t, _, k)| (t, n, k as u8));
    out
}

/// Each node's NotReady periods (NodeNotReady -> NodeReady, or to the end).
pub fn node_down_spans(c: &Cluster, end: SimTime) -> Vec<(NodeId, SimTime, SimTime)> {
    let mut open: BTreeMap<NodeId, SimTime> = BTreeMap::new();
    let mut out = Vec::new();
    for e in &c.rec.events {
        if let ObjRef::Node(n) = e.object {
            match e.reason {
                "NodeNotReady" => {
                    open.entry(n).or_insert(e.time);
                }
                "NodeReady" => {
                    if let Some(t) = open.remove(&n) {
                        out.push((n, t, e.time));
                    }
                }
                _ => {}
            }
        }
    }
    out.extend(open.into_iter().map(|(n, t)| (n, t, end)));
    out.sort_by_key(|&(n, t, _)| (t, n));
    out
}

/// Per pod that became Ready: seconds from creation to scheduling, pulling its images, and the
/// rest up to Ready (creating, starting, probes); and the total.
pub fn startup_parts(c: &Cluster) -> Vec<[f64; 4]> {
    let s = |ms: u64| ms as f64 / 1000.0;
    c.api
        .pods
        .iter()
        .filter_map(|p| {
            let ready = p.ready_at?;
            let total = ready.since(p.created);
            let sched = p.scheduled_at.map_or(0, |t| t.since(p.created)).min(total);
            let pull = p.pull_ms.min(total - sched);
            Some([s(sched), s(pull), s(total - sched - pull), s(total)])
        })
        .collect()
}

/// Container restarts (a container created again) and evictions (node-pressure, taint-based,
/// preemption, through the API) in time order.
pub fn restarts_and_evictions(c: &Cluster) -> (Vec<SimTime>, Vec<SimTime>) {
    let mut seen = std::collections::BTreeSet::new();
    let (mut restarts, mut evictions) = (Vec::new(), Vec::new());
    for e in &c.rec.events {
        let ObjRef::Pod(p) = e.object else { continue };
        match e.reason {
            "Created" => {
                // One event per container creation: the second of a container is a restart.
                if let crate::api::Message::Created { container } = &e.message
                    && !seen.insert((p, *container))
                {
                    restarts.push(e.time);
                }
            }
            _ if e.is_eviction() => evictions.push(e.time),
            _ => {}
        }
    }
    (restarts, evictions)
}
