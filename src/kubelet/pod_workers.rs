//! When the pod worker runs (pod_workers.go, the sync loop and PLEG): a container's change is
//! seen at the generic PLEG's next relist, and a sync that ended in an error (a back-off, a
//! missing image, a config error, a failed sandbox) is retried 10-15 s later.

use crate::runtime::Ctx;
use crate::sim::SimTime;

/// After a sync error (an image that could not be had, a container in CrashLoopBackOff) the
/// pod worker requeues the pod `backOffPeriod` (kubelet.go, 10 s) later, stretched by up to
/// half (`workerBackOffPeriodJitterFactor` 0.5, pod_workers.go `completeWork`): 10-15 s. The
/// v1.34 rule; v1.35 requeues at the back-off's expiry instead (kubernetes#133066).
pub const POD_WORKER_BACKOFF_MS: u64 = 10_000;
pub const POD_WORKER_BACKOFF_JITTER_PERCENT: u64 = 50;
/// `genericPlegRelistPeriod` (kubelet.go): the generic PLEG lists the runtime's containers
/// every second; a container that exited (or a sidecar that started) is seen at the next
/// relist, which wakes the pod's worker.
pub const PLEG_RELIST_PERIOD_MS: u64 = 1_000;
/// The sync loop's `syncTicker` (kubelet.go `syncLoop`, 1 s): a pod requeued after an error is
/// synced at the first tick at or after its time (`getPodsToSync`).
pub const SYNC_LOOP_TICK_MS: u64 = 1_000;
/// How long until the pod worker syncs a pod again after a sync error: `backOffPeriod` with
/// its jitter (the pod-worker stream), then the sync loop's next tick.
pub(crate) fn error_requeue_ms(ctx: &mut Ctx) -> u64 {
    let jitter = ctx.rng.pod_worker.below(POD_WORKER_BACKOFF_MS * POD_WORKER_BACKOFF_JITTER_PERCENT / 100);
    let due = ctx.now.as_millis() + POD_WORKER_BACKOFF_MS + jitter;
    due.div_ceil(SYNC_LOOP_TICK_MS) * SYNC_LOOP_TICK_MS - ctx.now.as_millis()
}

/// How long until PLEG's next relist sees a change that happened now (relists fall on whole
/// seconds of simulated time).
pub(crate) fn until_relist_ms(now: SimTime) -> u64 {
    (now.as_millis() / PLEG_RELIST_PERIOD_MS + 1) * PLEG_RELIST_PERIOD_MS - now.as_millis()
}
