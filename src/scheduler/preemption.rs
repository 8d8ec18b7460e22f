//! DefaultPreemption (PostFilter): when no node fits, find nodes where removing pods of lower
//! priority would make room (the fewest and least important, sparing PodDisruptionBudgets
//! where possible), pick one by upstream's criteria, delete the victims (`Preempted`), and
//! nominate the node for the pod.

use super::Scheduler;
use super::framework::Cycle;
use super::plugins::{self, NodeInfo};
use crate::api::events::{ObjRef, Source};
use crate::api::*;
use crate::apiserver::ApiServer;
use crate::runtime::Ctx;
use crate::sim::SimTime;

/// `minCandidateNodesPercentage` and `minCandidateNodesAbsolute` (DefaultPreemptionArgs).
pub const MIN_CANDIDATE_NODES_PERCENTAGE: usize = 10;
pub const MIN_CANDIDATE_NODES_ABSOLUTE: usize = 100;

/// `PodEligibleToPreemptOthers`' answer for a pod whose policy is Never.
pub const NOT_ELIGIBLE_NEVER: &str = "not eligible due to preemptionPolicy=Never.";

/// PostFilter's message when no node offers victims: the nodes that failed for reasons removing
/// pods could fix, and the others.
pub fn no_candidates_message(n_all: usize, resolvable: usize, unresolvable: usize) -> String {
    let mut parts = Vec::new();
    if resolvable > 0 {
        parts.push(format!("{resolvable} No preemption victims found for incoming pod"));
    }
    if unresolvable > 0 {
        parts.push(format!("{unresolvable} Preemption is not helpful for scheduling"));
    }
    parts.sort();
    format!("0/{n_all} nodes are available: {}.", parts.join(", "))
}

struct Candidate {
    node: NodeId,
    /// Most important first.
    victims: Vec<PodId>,
    pdb_violations: usize,
}

/// `MoreImportantPod`: higher priority, then the earlier start.
fn importance(api: &crate::apiserver::ApiServer, p: PodId) -> (std::cmp::Reverse<i32>, SimTime) {
    let pod = api.pod(p);
    (std::cmp::Reverse(pod.spec.priority), pod.started_at.unwrap_or(pod.created))
}

/// Whether the pod fits a node whose totals are `info` once `removed` are gone (the resource and
/// host-port filters; the other filters passed or were resolvable on this node already).
fn fits(s: &Scheduler, cyc: &Cycle, node: usize, info: &NodeInfo, removed: &[PodId], api: &ApiServer) -> bool {
    plugins::fit(&cyc.req, cyc.extra, info).fits()
        && (cyc.spec.host_ports.is_empty() || s.ports_free(cyc, node, api, removed))
}

fn remove(info: &mut NodeInfo, pod: &Pod) {
    info.requested.sub(pod.requests);
    info.nonzero.sub(pod.nonzero);
    info.pods -= 1;
}

fn add(info: &mut NodeInfo, pod: &Pod) {
    info.requested.add(pod.requests);
    info.nonzero.add(pod.nonzero);
    info.pods += 1;
}

/// `SelectVictimsOnNode`: remove every lower-priority pod; if the pod then fits, add them back
/// one by one, most important first and PDB-protected ones before the others, keeping each
/// that still leaves room.
fn select_victims(s: &Scheduler, cyc: &Cycle, node: usize, ctx: &Ctx) -> Option<Candidate> {
    let api = &ctx.api;
    let mut info = s.with_nominated(cyc, node, api).unwrap_or(s.nodes[node]);
    let mut potential: Vec<PodId> =
        s.node_pods[node].iter().copied().filter(|&p| api.pod(p).spec.priority < cyc.spec.priority).collect();
    for &p in &potential {
        remove(&mut info, api.pod(p));
    }
    if !fits(s, cyc, node, &info, &potential, api) {
        return None;
    }
    // What is out of the node at each trial (for the host ports): all the potential victims,
    // then less each one added back.
    let mut removed = potential.clone();
    potential.sort_by_key(|&p| (importance(api, p), p));
    // filterPodsWithPDBViolation: a pod whose budget has no disruption left would violate it.
    let mut allowed: Vec<i32> = api.pdbs.iter().map(|b| b.status.disruptions_allowed as i32).collect();
    let (mut violating, mut fine) = (Vec::new(), Vec::new());
    for &p in &potential {
        let pod = api.pod(p);
        let mut v = false;
        for (b, pdb) in api.pdbs.iter().enumerate() {
            if pdb.selects(pod) && pod.deletion.is_none() {
                allowed[b] -= 1;
                if allowed[b] < 0 {
                    v = true;
                }
            }
        }
        if v { violating.push(p) } else { fine.push(p) }
    }
    let mut victims = Vec::new();
    let mut pdb_violations = 0;
    for (group, is_violating) in [(violating, true), (fine, false)] {
        for p in group {
            add(&mut info, api.pod(p));
            removed.retain(|&r| r != p);
            if !fits(s, cyc, node, &info, &removed, api) {
                remove(&mut info, api.pod(p));
                removed.push(p);
                victims.push(p);
                pdb_violations += usize::from(is_violating);
            }
        }
    }
    victims.sort_by_key(|&p| (importance(api, p), p));
    Some(Candidate { node: NodeId(node as u32), victims, pdb_violations })
}

/// `pickOneNodeForPreemption`: fewest PDB violations, then the lowest highest-priority victim,
/// the smallest sum of priorities, the fewest victims, the latest start among the most
/// important victims; the first such node.
fn pick(cands: &[Candidate], api: &crate::apiserver::ApiServer) -> usize {
    let key = |c: &Candidate| {
        let prios: Vec<i64> = c.victims.iter().map(|&v| api.pod(v).spec.priority as i64).collect();
        let highest = prios.first().copied().unwrap_or(i64::MIN);
        let sum: i64 = prios.iter().map(|p| p + i32::MAX as i64 + 1).sum();
        let earliest_top = c
            .victims
            .iter()
            .filter(|&&v| api.pod(v).spec.priority as i64 == highest)
            .map(|&v| importance(api, v).1)
            .min()
            .unwrap_or(SimTime(u64::MAX));
        (c.pdb_violations, highest, sum, c.victims.len(), std::cmp::Reverse(earliest_top))
    };
    (0..cands.len()).min_by_key(|&i| key(&cands[i])).unwrap_or(0)
}

/// PostFilter. `None`: a node was nominated (its victims are going); `Some(message)`: why
/// preemption cannot help, for the FailedScheduling event.
pub fn post_filter(s: &mut Scheduler, cyc: &Cycle, ctx: &mut Ctx) -> Option<String> {
    if cyc.spec.preemption_policy == PreemptionPolicy::Never {
        return Some(NOT_ELIGIBLE_NEVER.into());
    }
    // A pod whose earlier preemption is still under way waits for it.
    if let Some(nn) = ctx.api.pod(cyc.id).nominated_node {
        let waiting = s.node_pods[nn.idx()].iter().any(|&p| {
            let v = ctx.api.pod(p);
            v.deletion.is_some() && v.spec.priority < cyc.spec.priority
        });
        if waiting {
            return Some("not eligible due to a terminating pod on the nominated node.".into());
        }
    }
    let n_all = ctx.api.nodes.iter().filter(|n| n.deleted.is_none()).count();
    // Only nodes that failed for reasons removing pods could fix.
    let potential: Vec<usize> =
        s.failures.iter().filter(|(_, v)| v.bits & plugins::UNRESOLVABLE == 0).map(|(n, _)| n.idx()).collect();
    let unresolvable = n_all - potential.len();
    let mut cands = Vec::new();
    if !potential.is_empty() && s.priorities.first().is_some_and(|&(lo, _)| lo < cyc.spec.priority) {
        let want = (potential.len() * MIN_CANDIDATE_NODES_PERCENTAGE / 100).max(MIN_CANDIDATE_NODES_ABSOLUTE);
        let offset = ctx.rng.scheduler.below(potential.len() as u64) as usize;
        for k in 0..potential.len() {
            if cands.len() >= want {
                break;
            }
            if let Some(c) = select_victims(s, cyc, potential[(offset + k) % potential.len()], ctx) {
                cands.push(c);
            }
        }
    }
    if cands.is_empty() {
        return Some(no_candidates_message(n_all, potential.len(), unresolvable));
    }
    let best = pick(&cands, ctx.api);
    let c = &cands[best];
    let pod = ctx.api.pod(cyc.id);
    let by = format!("{}/{}", pod.namespace, pod.name);
    let node_name = ctx.api.nodes[c.node.idx()].name.clone();
    let now = ctx.now;
    for &v in &c.victims {
        let grace = ctx.api.pod(v).spec.termination_grace_ms;
        ctx.cause = ctx.record(
            EventType::Normal,
            "Preempted",
            ObjRef::Pod(v),
            Some(c.node),
            Source::Scheduler,
            Message::Text(format!("Preempted by pod {by} on node {node_name}").into()),
        );
        ctx.api.set_disruption_target(v, crate::api::conditions::CondReason::PreemptionByScheduler);
        ctx.api.delete_pod(v, grace, now);
    }
    // Lower-priority pods nominated to this node lose their nomination.
    let prio = cyc.spec.priority;
    let node = c.node;
    let mut cleared = Vec::new();
    s.nominated.retain(|&(p, n)| {
        let keep = n != node || ctx.api.pod(p).spec.priority >= prio;
        if !keep {
            cleared.push(p);
        }
        keep
    });
    for p in cleared {
        ctx.api.pods[p.idx()].nominated_node = None;
    }
    s.nominated.retain(|&(p, _)| p != cyc.id);
    s.nominated.push((cyc.id, node));
    s.ever_nominated = true;
    ctx.api.pods[cyc.id.idx()].nominated_node = Some(node);
    None
}
