//! When the pod worker runs (pod_workers.go, the sync loop and PLEG): a container's change is
//! seen at the generic PLEG's next relist, and a sync that ended in an error (a back-off, a
//! missing image, a config error, a failed sandbox) is retried 10-15 s later; and what such a
//! sync does with a container that ended (kuberuntime's `doBackOff`).

use super::*;

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

impl Kubelet {
    /// A sync's `doBackOff` for a container that ended at `st.finished`: inside its back-off
    /// window the sync backs off (`BackOff`, retried 10-15 s later); past it the container
    /// starts again, its restart count one higher. The status carries `shown` (and, for a
    /// container the kubelet stopped itself, that termination as the last state); a back-off
    /// sync that would change nothing writes nothing.
    pub(super) fn do_back_off(
        &mut self,
        id: PodId,
        c: ContainerRef,
        shown: ContainerState,
        killed: Option<(i32, &'static str, SimTime)>,
        ctx: &mut Ctx,
    ) {
        let now = ctx.now;
        let blocked = self.network_blocks(id, ctx);
        let w = self.workers.get_mut(&id).expect("worker exists");
        let i = w.idx(c);
        let st = &mut w.containers[i];
        let (finished, epoch) = (st.finished, st.epoch);
        // A sync the network stops writes its status and nothing else (no back-off step).
        let wait = blocked || in_backoff_at(st, finished, now);
        // The reason cache keeps the last runtime sync's outcome; a stopped sync leaves it.
        st.start_failed &= blocked;
        if !wait {
            raise_backoff(st, finished, now);
        }
        let api = ctx.api.pod(id);
        let current = if c.init { &api.status.init_containers } else { &api.status.containers }[c.index as usize];
        // A stopped sync shows an exit it sees, but no back-off reason (the cache is unchanged).
        let changes = current.state != shown && (!blocked || matches!(shown, ContainerState::Terminated { .. }));
        if !wait || killed.is_some() || changes || current.ready {
            ctx.api.update_pod_status(id, Watcher::Kubelet(self.node), |p| {
                let s = status_mut(p, c);
                s.set_state(shown);
                if killed.is_some() {
                    s.last_terminated = killed;
                }
                s.ready = false;
                s.restart_count += u32::from(!wait);
                status::refresh_restarting(p, now);
            });
        }
        if blocked {
            let wait = error_requeue_ms(ctx);
            ctx.after(wait, Event::Kubelet(self.node, KubeletEvent::Restart { pod: id, c, epoch }));
        } else if wait {
            self.back_off(id, c, epoch, ctx);
        } else {
            self.start_container(id, c, ctx);
        }
    }

    /// A sync that found the container in its back-off window: `BackOff` ("Back-off restarting
    /// failed container"), a sync error, so the pod worker tries again 10-15 s later.
    pub(super) fn back_off(&mut self, id: PodId, c: ContainerRef, epoch: u32, ctx: &mut Ctx) {
        let node = self.node;
        pod_event(ctx, id, node, EventType::Warning, "BackOff", Message::BackOff { container: c });
        let wait = error_requeue_ms(ctx);
        ctx.after(wait, Event::Kubelet(node, KubeletEvent::Restart { pod: id, c, epoch }));
    }
}

/// `IsInBackOffSince(finishedAt)`: a back-off entry that has not expired (no restart for 10
/// minutes) and whose delay has not passed since the container ended.
fn in_backoff_at(st: &CState, finished: SimTime, now: SimTime) -> bool {
    let expired = finished.since(st.backoff_updated) > 2 * CONTAINER_BACKOFF_MAX_MS;
    st.backoff_ms > 0 && !expired && now.since(finished) < st.backoff_ms
}

/// `Backoff.Next(finishedAt)` at a restart: start at 10 s (or again once the entry expired,
/// 10 minutes after its last update), else double up to the maximum; updated now.
fn raise_backoff(st: &mut CState, finished: SimTime, now: SimTime) {
    let expired = finished.since(st.backoff_updated) > 2 * CONTAINER_BACKOFF_MAX_MS;
    st.backoff_ms = if st.backoff_ms == 0 || expired {
        CONTAINER_BACKOFF_INITIAL_MS
    } else {
        (st.backoff_ms * 2).min(CONTAINER_BACKOFF_MAX_MS)
    };
    st.backoff_updated = now;
}
