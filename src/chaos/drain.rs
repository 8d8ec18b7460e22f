//! `node-drain`: `kubectl drain` as a client of the eviction API (cordon, evict, retry a 429
//! every 5 s, wait for the pods to go).

use super::{Chaos, node_event, pod_event};
use crate::api::*;
use crate::runtime::{Ctx, Event};

/// `kubectl drain` of one node in progress.
pub(super) struct Drain {
    node: NodeId,
    grace_ms: Option<u64>,
    /// Pods still to evict, and pods evicted that are not gone yet.
    pending: Vec<PodId>,
    evicted: Vec<PodId>,
    /// Pods refused at least once (429): their eviction, when it goes through, names the budget.
    refused: Vec<PodId>,
    /// The first eviction kubectl gave up on (not a 429): the drain ends failed.
    failed: Option<String>,
    done: bool,
}

/// kubectl drain retries a refused eviction after 5 s and polls deletions every second.
pub const DRAIN_EVICTION_RETRY_MS: u64 = 5_000;
pub const DRAIN_DELETE_POLL_MS: u64 = 1_000;

impl Chaos {
    /// `kubectl drain NODE [--force] [--grace-period]`: cordon, list the pods, refuse pods no
    /// controller owns unless forced, skip mirror and DaemonSet pods, evict the rest.
    pub(super) fn start_drain(&mut self, n: NodeId, force: bool, grace_ms: Option<u64>, ctx: &mut Ctx) {
        let name = ctx.api.node(n).name.clone();
        ctx.api.update_node(n, |x| x.unschedulable = true);
        node_event(ctx, n, EventType::Warning, "FaultInjected", format!("node-drain: node/{name} cordoned; draining"));
        let mut pending = Vec::new();
        let mut unmanaged = Vec::new();
        for &p in ctx.api.pods_on_node(n) {
            let pod = ctx.api.pod(p);
            if pod.removed.is_some() || pod.mirror || matches!(pod.owner, Some(Owner::DaemonSet(_))) {
                continue;
            }
            if pod.owner.is_none() && !force {
                unmanaged.push(format!("{}/{}", pod.namespace, pod.name));
            }
            pending.push(p);
        }
        if !unmanaged.is_empty() {
            let msg = format!(
                "node-drain: cannot delete Pods that declare no controller (use --force to override): {}",
                unmanaged.join(", ")
            );
            node_event(ctx, n, EventType::Warning, "DrainFailed", msg);
            return;
        }
        self.drains.push(Drain {
            node: n,
            grace_ms,
            pending,
            evicted: Vec::new(),
            refused: Vec::new(),
            failed: None,
            done: false,
        });
        let i = self.drains.len() - 1;
        self.drain_step(i, ctx);
    }

    /// A drain's retry or poll timer.
    pub fn drain_tick(&mut self, i: usize, ctx: &mut Ctx) {
        self.drain_step(i, ctx);
    }

    fn drain_step(&mut self, i: usize, ctx: &mut Ctx) {
        let d = &mut self.drains[i];
        if d.done {
            return;
        }
        let root = ctx.cause;
        let mut still = Vec::new();
        for &p in &d.pending {
            ctx.cause = root;
            // A pod refused before goes now because its budget allows a disruption again: say
            // so, and attribute the eviction to what unblocked the budget.
            let unblocked = match ctx.api.budgets_of(p)[..] {
                [b] if d.refused.contains(&p) => Some((b, ctx.api.pdbs[b.idx()].status)),
                _ => None,
            };
            match ctx.api.evict(p, d.grace_ms, ctx.now) {
                Ok(true) => {
                    let pod = ctx.api.pod(p);
                    let mut msg = format!("node-drain: evicting pod {}/{}", pod.namespace, pod.name);
                    // Only when the eviction used up a disruption: a pod that went without its
                    // budget (Pending, terminating, unready within a met budget) owes it nothing.
                    let used = |(b, st): (PdbId, crate::api::workloads::PdbStatus)| {
                        st.disruptions_allowed > 0
                            && ctx.api.pdbs[b.idx()].status.disruptions_allowed + 1 == st.disruptions_allowed
                    };
                    if let Some((b, st)) = unblocked.filter(|&u| used(u)) {
                        let pdb = &ctx.api.pdbs[b.idx()];
                        msg += &format!(
                            " (the disruption budget {} allows disruptions again: {} healthy pods, {} needed)",
                            pdb.name, st.current_healthy, st.desired_healthy
                        );
                        if pdb.unblocked_by != 0 {
                            ctx.cause = pdb.unblocked_by;
                        }
                    }
                    pod_event(ctx, p, Some(d.node), EventType::Normal, "EvictionRequested", msg);
                    d.evicted.push(p);
                }
                Ok(false) => {}
                Err(e) if !e.retryable() => {
                    // kubectl drain gives up on the pod (only a 429 is retried); the drain fails.
                    let pod = ctx.api.pod(p);
                    let err =
                        format!("error when evicting pods/{:?} -n {:?}: {}", pod.name, pod.namespace, e.message());
                    let msg = format!("node-drain: {err}");
                    pod_event(ctx, p, Some(d.node), EventType::Warning, "EvictionRefused", msg);
                    d.failed.get_or_insert(err);
                }
                Err(e) => {
                    // Every retry is recorded (kubectl prints each), with the budget's arithmetic
                    // from the 429's DisruptionBudget cause.
                    if !d.refused.contains(&p) {
                        d.refused.push(p);
                    }
                    let pod = ctx.api.pod(p);
                    let msg = format!(
                        "node-drain: error when evicting pods/{:?} -n {:?} (will retry after 5s): {}",
                        pod.name,
                        pod.namespace,
                        e.explain(ctx.api)
                    );
                    pod_event(ctx, p, Some(d.node), EventType::Warning, "EvictionRefused", msg);
                    still.push(p);
                }
            }
        }
        ctx.cause = root;
        d.pending = still;
        d.evicted.retain(|&p| ctx.api.pod(p).removed.is_none());
        if d.pending.is_empty() && d.evicted.is_empty() {
            d.done = true;
            let name = &ctx.api.node(d.node).name;
            let node = d.node;
            match &d.failed {
                None => {
                    node_event(ctx, node, EventType::Normal, "NodeDrained", format!("node-drain: node/{name} drained"))
                }
                Some(err) => {
                    let msg = format!("node-drain: error: unable to drain node {name:?} due to error: {err}");
                    node_event(ctx, node, EventType::Warning, "DrainFailed", msg);
                }
            }
            return;
        }
        let delay = if d.pending.is_empty() { DRAIN_DELETE_POLL_MS } else { DRAIN_EVICTION_RETRY_MS };
        ctx.after(delay, Event::DrainTick(i as u32));
    }
}
