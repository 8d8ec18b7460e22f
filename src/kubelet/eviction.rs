//! The eviction manager: node-pressure eviction on memory. Every `evictionMonitoringPeriod`
//! it compares `memory.available` (capacity minus what the containers' processes and any
//! process outside pods use) with the hard threshold; under it, the node reports
//! MemoryPressure (and is tainted NoSchedule) and one pod per pass is evicted: pods whose use
//! exceeds their requests first, then lower priority, then larger use above requests.
//! Idle ticks are skipped: the monitor only runs while something on the node uses modelled
//! memory, which changes nothing observable.

use super::pod_event;
use super::{Kubelet, KubeletEvent, container};
use crate::api::events::{ObjRef, Source};
use crate::api::quantity::format_bytes;
use crate::api::*;
pub use crate::runtime::events::EVICTION_MONITORING_PERIOD_MS;
use crate::runtime::{Ctx, Event};
use crate::sim::SimTime;

/// kubelet `evictionHard` default `memory.available<100Mi`.
pub const EVICTION_HARD_MEMORY_AVAILABLE: u64 = 100 * 1024 * 1024;
/// kubelet `evictionPressureTransitionPeriod` default.
pub const EVICTION_PRESSURE_TRANSITION_PERIOD_MS: u64 = 5 * 60 * 1000;
/// The eviction manager's grace override for a hard eviction
/// (`immediateEvictionGracePeriodSeconds`).
pub const IMMEDIATE_EVICTION_GRACE_PERIOD_MS: u64 = 1_000;
/// The taint the node gets while it reports MemoryPressure.
pub const TAINT_MEMORY_PRESSURE: &str = "node.kubernetes.io/memory-pressure";

/// Memory a container's process uses now (only behaviours with `memory` use any).
fn usage(cs: &ContainerSpec, started: SimTime, now: SimTime) -> u64 {
    let Some((start, growth)) = cs.behavior.memory else { return 0 };
    let u = start.saturating_add((growth as u128 * now.since(started) as u128 / 1000) as u64);
    if cs.has_memory_limit { u.min(cs.limits.memory) } else { u }
}

impl Kubelet {
    pub(super) fn ensure_monitor(&mut self, ctx: &mut Ctx) {
        if self.monitor_next.is_none() {
            let t = KubeletEvent::next_eviction_monitor(ctx.now);
            self.monitor_next = Some(t);
            ctx.at(t, Event::Kubelet(self.node, KubeletEvent::EvictionMonitor));
        }
    }

    /// Per admitted pod: memory used by its running containers.
    fn pod_usage(&self, now: SimTime) -> Vec<(PodId, u64)> {
        self.workers
            .iter()
            .filter(|(_, w)| !w.killing)
            .map(|(&id, w)| {
                let u = (0..w.containers.len())
                    .filter(|&i| w.containers[i].running)
                    .map(|i| usage(container(&w.spec, w.cref(i)), w.containers[i].started_at, now))
                    .sum();
                (id, u)
            })
            .collect()
    }

    pub(super) fn eviction_monitor(&mut self, ctx: &mut Ctx) {
        let now = ctx.now;
        if self.monitor_last == Some(now) {
            return; // a second wake-up for the same tick
        }
        self.monitor_last = Some(now);
        if self.monitor_next == Some(now) {
            self.monitor_next = None;
        }
        let node = self.node;
        let pods = self.pod_usage(now);
        let used: u64 = pods.iter().map(|p| p.1).sum::<u64>() + ctx.memory_hog[node.idx()];
        let capacity = ctx.api.node(node).capacity.memory;
        let available = capacity.saturating_sub(used);
        let pressured = ctx.api.node(node).memory_pressure;
        if available < EVICTION_HARD_MEMORY_AVAILABLE {
            self.pressure_seen = now;
            if !pressured {
                self.set_pressure(true, ctx);
            }
            self.evict_one(&pods, available, ctx);
        } else if pressured && now.since(self.pressure_seen) >= EVICTION_PRESSURE_TRANSITION_PERIOD_MS {
            self.set_pressure(false, ctx);
        }
        let busy = pods.iter().any(|p| p.1 > 0) || ctx.memory_hog[node.idx()] > 0 || ctx.api.node(node).memory_pressure;
        if busy {
            self.ensure_monitor(ctx);
        }
    }

    fn set_pressure(&mut self, on: bool, ctx: &mut Ctx) {
        let node = self.node;
        ctx.api.update_node(node, |n| {
            n.memory_pressure = on;
            n.taints.retain(|t| t.key != TAINT_MEMORY_PRESSURE);
            if on {
                n.taints.push(Taint {
                    key: TAINT_MEMORY_PRESSURE.into(),
                    value: String::new(),
                    effect: TaintEffect::NoSchedule,
                });
            }
        });
        let reason = if on { "NodeHasInsufficientMemory" } else { "NodeHasSufficientMemory" };
        ctx.cause = self.node_status_event(reason, ctx);
    }

    /// Evict the first pod of the memory-pressure ranking (one per monitoring pass).
    fn evict_one(&mut self, pods: &[(PodId, u64)], available: u64, ctx: &mut Ctx) {
        let mut ranked: Vec<(bool, i32, i64, PodId, u64, u64)> = pods
            .iter()
            // Static pods are critical: the eviction manager leaves them alone.
            .filter(|(id, _)| !self.workers[id].killing && !ctx.api.pod(*id).mirror)
            .map(|&(id, used)| {
                let spec = &self.workers[&id].spec;
                let req = spec.requests().memory;
                (used > req, spec.priority, used as i64 - req as i64, id, used, req)
            })
            .collect();
        // exceedMemoryRequests (true first), priority (lower first), usage over requests (more first).
        ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(b.2.cmp(&a.2)).then(a.3.cmp(&b.3)));
        let Some(&(_, _, _, victim, used, req)) = ranked.first() else { return };
        let node = self.node;
        ctx.cause = ctx.record(
            EventType::Warning,
            "EvictionThresholdMet",
            ObjRef::Node(node),
            Some(node),
            Source::Kubelet,
            Message::Text("Attempting to reclaim memory".into()),
        );
        // The container using the most memory is named, as upstream's message does.
        let w = &self.workers[&victim];
        let biggest = (0..w.containers.len())
            .filter(|&i| w.containers[i].running)
            .max_by_key(|&i| usage(container(&w.spec, w.cref(i)), w.containers[i].started_at, ctx.now))
            .map(|i| container(&w.spec, w.cref(i)).name.clone())
            .unwrap_or_default();
        let msg = format!(
            "The node was low on resource: memory. Threshold quantity: {}, available: {}Ki. Container {biggest} was using {}Ki, request is {}, has larger consumption of memory. ",
            format_bytes(EVICTION_HARD_MEMORY_AVAILABLE),
            available / 1024,
            used / 1024,
            if req == 0 { "0".to_string() } else { format_bytes(req) },
        );
        self.evict(victim, msg, ctx);
    }

    /// Hard eviction (`evictPod`): the Evicted event, then the containers stopped with the grace
    /// override `immediateEvictionGracePeriodSeconds` (1 s), which the kubelet raises to its 2 s
    /// minimum; once they are gone the pod is Failed with reason Evicted and a DisruptionTarget
    /// condition (it stays in the API for its controller to replace).
    fn evict(&mut self, id: PodId, msg: String, ctx: &mut Ctx) {
        let node = self.node;
        pod_event(ctx, id, node, EventType::Warning, "Evicted", Message::Text(msg.clone().into()));
        let w = self.workers.get_mut(&id).expect("worker exists");
        w.evicted = true;
        w.terminal_status = Some(("Evicted", msg));
        self.stop_containers(id, IMMEDIATE_EVICTION_GRACE_PERIOD_MS, ctx);
    }
}
