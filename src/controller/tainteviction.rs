//! The taint eviction controller (`pkg/controller/tainteviction`, its own controller since
//! v1.29), as `processPodOnNode`: for each pod on a node whose NoExecute taints change, evict at
//! once when a taint is not tolerated; when all are, after the least `tolerationSeconds` of the
//! tolerations used (the first that tolerates each taint), kept from when it was first
//! scheduled; never when none of them has seconds. A pod whose taints go away, or become
//! tolerated forever, has its scheduled eviction cancelled ("Cancelling deletion of Pod ...").

use crate::api::events::{ObjRef, Source};
use crate::api::*;
use crate::runtime::{Ctx, Event, NodeLifecycleEvent};
use crate::sim::SimTime;
use std::collections::BTreeMap;

#[derive(Default)]
pub struct TaintEviction {
    /// Per pod with an eviction scheduled: when it was first scheduled (`CreatedAt`) and the
    /// generation its timer carries (a cancelled timer finds another).
    scheduled: BTreeMap<PodId, (SimTime, u32)>,
    generation: u32,
}

/// `getMinTolerationTime` of the tolerations used: the least `tolerationSeconds` (0 or less:
/// at once), `None` when none has seconds (tolerated forever).
fn min_toleration_ms(used: &[Option<i64>]) -> Option<u64> {
    let mut min: Option<i64> = None;
    for s in used.iter().flatten() {
        if *s <= 0 {
            return Some(0);
        }
        min = Some(min.map_or(*s, |m| m.min(*s)));
    }
    min.map(|s| s as u64 * 1000)
}

impl TaintEviction {
    /// `handleNodeUpdate`: the node's NoExecute taints changed; every pod on it is looked at.
    pub fn node_changed(&mut self, n: NodeId, ctx: &mut Ctx) {
        let taints: Vec<Taint> =
            ctx.api.node(n).taints.iter().filter(|t| t.effect == TaintEffect::NoExecute).cloned().collect();
        let pods: Vec<PodId> = ctx.api.pods_on_node(n).to_vec();
        let root = ctx.cause;
        for id in pods {
            ctx.cause = root;
            self.pod_on_node(id, n, &taints, ctx);
        }
        ctx.cause = root;
    }

    /// `handlePodUpdate`: a pod bound to a node with NoExecute taints is looked at as the node's
    /// pods are; a pod gone from the store has its scheduled eviction cancelled, with the event.
    pub fn pod_changed(&mut self, id: PodId, ctx: &mut Ctx) {
        let p = ctx.api.pod(id);
        let Some(n) = p.node else { return };
        if p.removed.is_some() {
            self.cancel(id, ctx);
            return;
        }
        let taints: Vec<Taint> =
            ctx.api.node(n).taints.iter().filter(|t| t.effect == TaintEffect::NoExecute).cloned().collect();
        // A node whose taints were removed meanwhile cancelled what it had already.
        if !taints.is_empty() {
            self.pod_on_node(id, n, &taints, ctx);
        }
    }

    fn pod_on_node(&mut self, id: PodId, n: NodeId, taints: &[Taint], ctx: &mut Ctx) {
        let p = ctx.api.pod(id);
        // Static pods tolerate every NoExecute taint (the kubelet adds the toleration).
        if p.removed.is_some() || p.deletion.is_some() || p.status.phase.is_terminal() || p.mirror {
            self.scheduled.remove(&id);
            return;
        }
        if taints.is_empty() {
            self.cancel(id, ctx);
            return;
        }
        // GetMatchingTolerations: the first toleration that tolerates each taint.
        let mut used = Vec::with_capacity(taints.len());
        for t in taints {
            match p.spec.tolerations.iter().find(|tol| tol.tolerates(t)) {
                Some(tol) => used.push(tol.toleration_seconds),
                None => {
                    self.cancel(id, ctx);
                    self.evict(id, ctx);
                    return;
                }
            }
        }
        let Some(min) = min_toleration_ms(&used) else {
            self.cancel(id, ctx);
            return;
        };
        let trigger = ctx.now.plus(min);
        let mut start = ctx.now;
        if let Some(&(created, _)) = self.scheduled.get(&id) {
            // An eviction already scheduled from earlier keeps its time.
            start = created;
            if start.plus(min) < trigger {
                return;
            }
            self.cancel(id, ctx);
        }
        self.generation = self.generation.wrapping_add(1);
        let epoch = self.generation;
        self.scheduled.insert(id, (start, epoch));
        ctx.at(trigger, Event::NodeLifecycle(NodeLifecycleEvent::Evict { pod: id, node: n, epoch }));
    }

    /// The scheduled eviction's timer: still the one scheduled?
    pub fn fire(&mut self, pod: PodId, epoch: u32, ctx: &mut Ctx) {
        if self.scheduled.get(&pod).is_some_and(|&(_, e)| e == epoch) {
            self.scheduled.remove(&pod);
            self.evict(pod, ctx);
        }
    }

    /// `cancelWorkWithEvent`.
    fn cancel(&mut self, id: PodId, ctx: &mut Ctx) {
        if self.scheduled.remove(&id).is_some() {
            record(id, "Cancelling deletion of Pod", ctx);
        }
    }

    /// `deletePodHandler`: the pod is deleted with its grace period, a `DisruptionTarget`
    /// condition first.
    fn evict(&mut self, id: PodId, ctx: &mut Ctx) {
        let p = ctx.api.pod(id);
        if p.removed.is_some() || p.deletion.is_some() || p.status.phase.is_terminal() {
            return;
        }
        let grace = p.spec.termination_grace_ms;
        ctx.api.set_disruption_target(id, crate::api::conditions::CondReason::DeletionByTaintManager);
        ctx.api.delete_pod(id, grace, ctx.now);
        ctx.cause = record(id, "Marking for deletion Pod", ctx);
    }
}

/// The controller's `TaintManagerEviction` event about pod `id`: "WHAT NAMESPACE/NAME".
fn record(id: PodId, what: &str, ctx: &mut Ctx) -> EventId {
    let p = ctx.api.pod(id);
    let (msg, node) = (format!("{what} {}/{}", p.namespace, p.name), p.node);
    let (kind, source) = (EventType::Normal, Source::TaintEvictionController);
    ctx.record(kind, "TaintManagerEviction", ObjRef::Pod(id), node, source, Message::Text(msg.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_toleration_of_the_ones_used_decides() {
        // getMinTolerationTime's cases: none with seconds is forever, 0 or less is at once.
        assert_eq!(min_toleration_ms(&[None, None]), None);
        assert_eq!(min_toleration_ms(&[Some(300), None, Some(20)]), Some(20_000));
        assert_eq!(min_toleration_ms(&[Some(300), Some(-5)]), Some(0));
        assert_eq!(min_toleration_ms(&[Some(0)]), Some(0));
    }
}
