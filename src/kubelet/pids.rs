//! Process IDs on the node. Each pod's sandbox (its pause process) and each running container
//! count one; `pid-exhaustion` adds processes outside pods. When none is left the runtime
//! cannot fork: sandboxes and container starts fail. With a `pid.available` hard eviction
//! threshold (upstream's defaults have none) the eviction manager reports PIDPressure and evicts
//! pods as `rankPIDPressure` ranks them: lower priority first, then more processes.

use super::*;
use crate::api::quantity::{format_bytes, format_decimal};
use crate::api::settings::Threshold;

impl Kubelet {
    /// Processes of the node's pods.
    fn pod_processes(&self) -> u64 {
        (self.workers.values())
            .map(|w| {
                let running = w.containers.iter().filter(|c| c.running && c.exited.is_none()).count();
                u64::from(w.sandbox) + running as u64
            })
            .sum()
    }

    fn pids_used(&self, ctx: &Ctx) -> u64 {
        self.pod_processes() + ctx.pid_hog[self.node.idx()]
    }

    /// No process can be forked on the node.
    pub(super) fn pids_exhausted(&self, ctx: &Ctx) -> bool {
        ctx.pid_hog[self.node.idx()] > 0 && self.pids_used(ctx) >= ctx.settings.pid_max
    }

    /// `pid.available` as the eviction manager observes it, when it has a threshold:
    /// (available, threshold).
    pub(super) fn pid_signal(&self, ctx: &Ctx) -> Option<(u64, u64)> {
        let max = ctx.settings.pid_max;
        let threshold = ctx.settings.eviction_hard.pid_available?.quantity(max);
        Some((max.saturating_sub(self.pids_used(ctx)), threshold))
    }

    /// pid.available under its threshold: no node-level reclaim exists for PIDs, so one pod is
    /// evicted, the first of `rankPIDPressure` (priority, lower first; then more processes;
    /// ties by age, oldest first).
    pub(super) fn reclaim_pids(&mut self, (available, threshold): (u64, u64), ctx: &mut Ctx) {
        let mut ranked: Vec<(i32, std::cmp::Reverse<usize>, PodId)> = (self.workers.iter())
            .filter(|(id, _)| self.evictable(**id, ctx))
            .map(|(&id, w)| {
                let procs =
                    usize::from(w.sandbox) + w.containers.iter().filter(|c| c.running && c.exited.is_none()).count();
                (w.spec.priority, std::cmp::Reverse(procs), id)
            })
            .collect();
        ranked.sort();
        let Some(&(_, _, victim)) = ranked.first() else { return };
        self.threshold_met("pids", ctx);
        // GetThresholdQuantity makes a percentage's quantity BinarySI; the observation is
        // DecimalSI.
        let percent = matches!(ctx.settings.eviction_hard.pid_available, Some(Threshold::Percent(_)));
        let q = if percent { format_bytes(threshold) } else { format_decimal(threshold) };
        let msg = format!(
            "The node was low on resource: pids. Threshold quantity: {q}, available: {}. ",
            format_decimal(available),
        );
        self.evict(victim, msg, ctx);
    }
}
