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

/// kubelet `evictionPressureTransitionPeriod` default.
pub const EVICTION_PRESSURE_TRANSITION_PERIOD_MS: u64 = 5 * 60 * 1000;
/// The eviction manager's grace override for a hard eviction
/// (`immediateEvictionGracePeriodSeconds`).
pub const IMMEDIATE_EVICTION_GRACE_PERIOD_MS: u64 = 1_000;
/// The taint the node gets while it reports MemoryPressure.
pub const TAINT_MEMORY_PRESSURE: &str = "node.kubernetes.io/memory-pressure";
/// The taint the node gets while it reports PIDPressure.
pub const TAINT_PID_PRESSURE: &str = "node.kubernetes.io/pid-pressure";

/// The node conditions the eviction manager sets, in `byEvictionPriority` order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Pressure {
    Memory = 0,
    Disk = 1,
    Pid = 2,
}

impl Pressure {
    fn taint(self) -> &'static str {
        match self {
            Pressure::Memory => TAINT_MEMORY_PRESSURE,
            Pressure::Disk => TAINT_DISK_PRESSURE,
            Pressure::Pid => TAINT_PID_PRESSURE,
        }
    }

    fn shown(self, n: &Node) -> bool {
        match self {
            Pressure::Memory => n.memory_pressure,
            Pressure::Disk => n.disk_pressure,
            Pressure::Pid => n.pid_pressure,
        }
    }
}

use crate::api::behavior::memory_usage as usage;

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
                    .filter(|&i| w.containers[i].running && w.containers[i].exited.is_none())
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
        let memory_threshold = ctx.settings.eviction_hard.memory_available.map(|t| t.quantity(capacity));
        let memory = memory_threshold.map(|t| (available, t));
        let disk = self.nodefs(ctx);
        let pids = self.pid_signal(ctx);
        let met = |s: Option<(u64, u64)>| s.is_some_and(|(avail, threshold)| avail < threshold);
        // The node conditions first (each held for the transition period after its signal
        // clears), then one resource reclaimed per pass, memory first (`byEvictionPriority`).
        for (p, on) in [(Pressure::Memory, met(memory)), (Pressure::Disk, met(disk)), (Pressure::Pid, met(pids))] {
            let i = p as usize;
            if on {
                self.pressure_seen[i] = now;
            }
            let shown = p.shown(ctx.api.node(node));
            if on != shown && (on || now.since(self.pressure_seen[i]) >= EVICTION_PRESSURE_TRANSITION_PERIOD_MS) {
                self.set_condition(p, on, ctx);
            }
        }
        if let Some((_, threshold)) = memory.filter(|_| met(memory)) {
            self.evict_one(&pods, available, threshold, ctx);
        } else if let Some((_, threshold)) = disk.filter(|_| met(disk)) {
            self.reclaim_disk(threshold, ctx);
        } else if let Some(signal) = pids.filter(|_| met(pids)) {
            self.reclaim_pids(signal, ctx);
        }
        let n = ctx.api.node(node);
        let busy = pods.iter().any(|p| p.1 > 0)
            || ctx.memory_hog[node.idx()] > 0
            || ctx.disk_fill[node.idx()] > 0
            || (pids.is_some() && ctx.pid_hog[node.idx()] > 0)
            || n.memory_pressure
            || n.disk_pressure
            || n.pid_pressure;
        if busy {
            self.ensure_monitor(ctx);
        }
    }

    /// A pressure condition, with its NoSchedule taint and event.
    fn set_condition(&mut self, p: Pressure, on: bool, ctx: &mut Ctx) {
        let key = p.taint();
        ctx.api.update_node(self.node, |n| {
            *match p {
                Pressure::Memory => &mut n.memory_pressure,
                Pressure::Disk => &mut n.disk_pressure,
                Pressure::Pid => &mut n.pid_pressure,
            } = on;
            n.taints.retain(|t| t.key != key);
            if on {
                n.taints.push(Taint { key: key.into(), value: String::new(), effect: TaintEffect::NoSchedule });
            }
        });
        let reason = match (p, on) {
            (Pressure::Memory, true) => "NodeHasInsufficientMemory",
            (Pressure::Memory, false) => "NodeHasSufficientMemory",
            (Pressure::Disk, true) => "NodeHasDiskPressure",
            (Pressure::Disk, false) => "NodeHasNoDiskPressure",
            (Pressure::Pid, true) => "NodeHasInsufficientPID",
            (Pressure::Pid, false) => "NodeHasSufficientPID",
        };
        ctx.cause = self.node_status_event(reason, ctx);
    }

    /// The eviction manager's node event before it evicts a pod for `resource`.
    pub(super) fn threshold_met(&self, resource: &str, ctx: &mut Ctx) {
        let node = self.node;
        let msg = Message::Text(format!("Attempting to reclaim {resource}").into());
        ctx.cause = ctx.record(
            EventType::Warning,
            "EvictionThresholdMet",
            ObjRef::Node(node),
            Some(node),
            Source::Kubelet,
            msg,
        );
    }

    /// Whether the eviction manager may evict the pod: not a critical one (static or mirror,
    /// or at system-critical priority: `evictPod` refuses those), nor one already stopping.
    pub(super) fn evictable(&self, id: PodId, ctx: &Ctx) -> bool {
        let w = &self.workers[&id];
        !w.killing && !ctx.api.pod(id).mirror && w.spec.priority < super::termination::SYSTEM_CRITICAL_PRIORITY
    }

    /// Evict the first pod of the memory-pressure ranking (one per monitoring pass).
    fn evict_one(&mut self, pods: &[(PodId, u64)], available: u64, threshold: u64, ctx: &mut Ctx) {
        let mut ranked: Vec<(bool, i32, i64, PodId, u64, u64)> = pods
            .iter()
            .filter(|(id, _)| self.evictable(*id, ctx))
            .map(|&(id, used)| {
                let spec = &self.workers[&id].spec;
                let req = spec.requests().memory;
                (used > req, spec.priority, used as i64 - req as i64, id, used, req)
            })
            .collect();
        // exceedMemoryRequests (true first), priority (lower first), usage over requests (more first).
        ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(b.2.cmp(&a.2)).then(a.3.cmp(&b.3)));
        let Some(&(_, _, _, victim, used, req)) = ranked.first() else { return };
        self.threshold_met("memory", ctx);
        // The container using the most memory is named, as upstream's message does.
        let w = &self.workers[&victim];
        let biggest = (0..w.containers.len())
            .filter(|&i| w.containers[i].running && w.containers[i].exited.is_none())
            .max_by_key(|&i| usage(container(&w.spec, w.cref(i)), w.containers[i].started_at, ctx.now))
            .map(|i| container(&w.spec, w.cref(i)).name.clone())
            .unwrap_or_default();
        let msg = format!(
            "The node was low on resource: memory. Threshold quantity: {}, available: {}Ki. Container {biggest} was using {}Ki, request is {}, has larger consumption of memory. ",
            format_bytes(threshold),
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
    pub(super) fn evict(&mut self, id: PodId, msg: String, ctx: &mut Ctx) {
        let node = self.node;
        pod_event(ctx, id, node, EventType::Warning, "Evicted", Message::Text(msg.clone().into()));
        let w = self.workers.get_mut(&id).expect("worker exists");
        w.evicted = true;
        w.terminal_status = Some(("Evicted", msg));
        self.stop_containers(id, IMMEDIATE_EVICTION_GRACE_PERIOD_MS, ctx);
    }
}

/// The taint the node gets while it reports DiskPressure.
pub const TAINT_DISK_PRESSURE: &str = "node.kubernetes.io/disk-pressure";
/// The eviction manager's admission refusal while a node condition other than memory pressure
/// holds (`nodeConditionMessageFmt`), with reason Evicted.
pub const NODE_CONDITION_REJECT_REASON: &str = "Evicted";

impl Kubelet {
    /// nodefs as the eviction manager observes it, when the node's disk is modelled (its
    /// capacity declares `ephemeral-storage`): (available, threshold) in bytes. Images on disk
    /// and a `disk-fill` use it; containers write nothing.
    pub(super) fn nodefs(&self, ctx: &Ctx) -> Option<(u64, u64)> {
        let capacity = ctx.api.node(self.node).capacity.storage;
        if capacity == 0 {
            return None;
        }
        let threshold = ctx.settings.eviction_hard.nodefs_available?.quantity(capacity);
        let used = self.images.disk_bytes(ctx.images) + ctx.disk_fill[self.node.idx()];
        Some((capacity.saturating_sub(used), threshold))
    }

    /// The eviction manager's admission handler (the kubelet's first): under a node
    /// condition other than memory pressure every pod but a critical one is refused; under
    /// memory pressure alone, BestEffort pods that do not tolerate its taint.
    pub(super) fn condition_rejects(&self, spec: &PodSpec, mirror: bool, node: &Node) -> Option<String> {
        let critical = mirror || spec.priority >= super::termination::SYSTEM_CRITICAL_PRIORITY;
        if critical || !(node.memory_pressure || node.disk_pressure || node.pid_pressure) {
            return None;
        }
        if !node.disk_pressure && !node.pid_pressure {
            let taint =
                Taint { key: TAINT_MEMORY_PRESSURE.into(), value: String::new(), effect: TaintEffect::NoSchedule };
            if spec.qos() != QosClass::BestEffort || spec.tolerations.iter().any(|t| t.tolerates(&taint)) {
                return None;
            }
        }
        let mut conditions = Vec::new();
        if node.memory_pressure {
            conditions.push("MemoryPressure");
        }
        if node.disk_pressure {
            conditions.push("DiskPressure");
        }
        if node.pid_pressure {
            conditions.push("PIDPressure");
        }
        Some(format!("The node had condition: [{}]. ", conditions.join(" ")))
    }

    /// nodefs under its threshold: reclaim node-level resources first (without a separate
    /// imagefs, the image garbage collector deletes every unused image); if that is not
    /// enough, evict one pod ranked as `rankDiskPressureFunc` ranks them: pods over their
    /// ephemeral-storage requests first, then lower priority, then larger use (no container
    /// writes to disk here, so priority decides; ties by age, oldest first).
    fn reclaim_disk(&mut self, threshold: u64, ctx: &mut Ctx) {
        let in_use: Vec<ImageId> = (self.workers.values())
            .flat_map(|w| w.spec.init_containers.iter().chain(&w.spec.containers).map(|c| c.image))
            .collect();
        let node = self.node;
        for image in self.images.remove_unused(&in_use) {
            ctx.api.node_image_removed(node, image);
        }
        let Some((available, _)) = self.nodefs(ctx).filter(|(a, _)| *a < threshold) else { return };
        let mut ranked: Vec<(i32, PodId)> = (self.workers.iter())
            .filter(|(id, _)| self.evictable(**id, ctx))
            .map(|(&id, w)| (w.spec.priority, id))
            .collect();
        ranked.sort();
        let Some(&(_, victim)) = ranked.first() else { return };
        self.threshold_met("ephemeral-storage", ctx);
        let msg = format!(
            "The node was low on resource: ephemeral-storage. Threshold quantity: {}, available: {}. ",
            format_bytes(threshold),
            format_bytes(available),
        );
        self.evict(victim, msg, ctx);
    }
}
