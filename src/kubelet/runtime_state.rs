//! The kubelet's view of its container runtime (`runtimeState`): `updateRuntimeUp` asks the
//! runtime for its status every 5 s; once the last good answer is `maxWaitForContainerRuntime`
//! (30 s) old, `runtimeErrors` says "container runtime is down", the sync loop skips every pod
//! sync ("Skipping pod synchronization") and the next node status update (every 10 s) posts
//! Ready=False with reason KubeletNotReady. The containers live on (their shims do not need the
//! runtime); nothing is started, stopped or reported until the runtime answers again.
//! The runtime's network (`cni-down`: no CNI config loaded) is the other half of its status:
//! once `updateRuntimeUp` reads NetworkReady=false, `networkErrors` makes every sync of a pod
//! not on the host network stop at once (`NetworkNotReady`, retried 10-15 s later), and the
//! next node status update posts Ready=False with the runtime's message.

use super::*;

/// The kubelet's `updateRuntimeUp` period (`wait.Until(kl.updateRuntimeUp, 5*time.Second)`).
pub const RUNTIME_UP_PERIOD_MS: u64 = 5_000;
/// kubelet `maxWaitForContainerRuntime`: how old the last good runtime status may be.
pub const MAX_WAIT_FOR_CONTAINER_RUNTIME_MS: u64 = 30_000;
/// kubelet `nodeStatusUpdateFrequency` default: how often the node status is computed (and
/// posted when it changed).
pub const NODE_STATUS_UPDATE_FREQUENCY_MS: u64 = 10_000;
/// `runtimeErrors` when the runtime stopped answering: the Ready condition's message.
pub const RUNTIME_DOWN_MESSAGE: &str = "container runtime is down";
/// `networkErrors` when containerd has no CNI config loaded: the Ready condition's message.
pub const NETWORK_NOT_READY_MESSAGE: &str = "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized";
/// The pod event of a sync stopped by it (`NetworkNotReadyErrorMsg`).
pub const NETWORK_NOT_READY_EVENT: &str = "network is not ready";

/// The first tick of a `period` grid at or after `t` (ticks fall on multiples of the period).
fn tick_at_or_after(t: SimTime, period: u64) -> SimTime {
    SimTime(t.0.div_ceil(period) * period)
}

/// The runtime as the kubelet knows it.
#[derive(Default)]
pub(super) struct RuntimeState {
    /// The runtime does not answer (`container-runtime-down`).
    pub down: bool,
    /// The kubelet has posted Ready=False for it.
    pub reported: bool,
    /// Pod syncs are skipped (the kubelet noticed, or the fault is on): events wait in
    /// `deferred` and watch events are caught up with a resync.
    pub paused: bool,
    /// Makes older `RuntimeStatus` timers stale.
    pub epoch: u32,
    /// The runtime reports NetworkReady=false (`cni-down`).
    pub network_down: bool,
    /// The kubelet has read it (`networkErrors`), and has posted Ready=False for it.
    pub network_error: bool,
    pub network_reported: bool,
    /// Makes older `NetworkStatus` timers stale.
    pub network_epoch: u32,
}

impl Kubelet {
    /// Does the sync loop skip pod work now? Then the event waits for the runtime.
    pub(super) fn runtime_paused(&self) -> bool {
        self.runtime.paused
    }

    /// `container-runtime-down`: the runtime stops answering. The last good status was the
    /// check at or before now; 30 s after it the kubelet's errors begin, posted with the next
    /// node status update.
    pub(super) fn runtime_down(&mut self, ctx: &mut Ctx) {
        if self.runtime.down {
            return;
        }
        self.runtime.down = true;
        self.runtime.paused = true;
        self.runtime.epoch = self.runtime.epoch.wrapping_add(1);
        let last_ok = SimTime(ctx.now.0 / RUNTIME_UP_PERIOD_MS * RUNTIME_UP_PERIOD_MS);
        let errors_from = last_ok.plus(MAX_WAIT_FOR_CONTAINER_RUNTIME_MS);
        let post = tick_at_or_after(errors_from, NODE_STATUS_UPDATE_FREQUENCY_MS);
        let epoch = self.runtime.epoch;
        ctx.at(post, Event::Kubelet(self.node, KubeletEvent::RuntimeStatus { epoch }));
    }

    /// The runtime answers again: the next `updateRuntimeUp` clears the errors, pod syncs go
    /// on, and the next node status update posts Ready.
    pub(super) fn runtime_up(&mut self, ctx: &mut Ctx) {
        if !std::mem::take(&mut self.runtime.down) {
            return;
        }
        self.runtime.epoch = self.runtime.epoch.wrapping_add(1);
        let check = tick_at_or_after(ctx.now, RUNTIME_UP_PERIOD_MS);
        let epoch = self.runtime.epoch;
        ctx.at(check, Event::Kubelet(self.node, KubeletEvent::RuntimeStatus { epoch }));
    }

    /// A runtime check or node status update that matters: post the Ready condition, or go
    /// back to syncing pods.
    pub(super) fn runtime_status(&mut self, epoch: u32, ctx: &mut Ctx) {
        if epoch != self.runtime.epoch {
            return;
        }
        if ctx.api.is_disconnected(self.node) {
            // The status update cannot reach the API server: the next one tries again.
            let next = ctx.now.plus(NODE_STATUS_UPDATE_FREQUENCY_MS);
            ctx.at(next, Event::Kubelet(self.node, KubeletEvent::RuntimeStatus { epoch }));
            return;
        }
        if self.runtime.down {
            if !self.runtime.reported && !self.shutting_down {
                self.runtime.reported = true;
                self.set_node_not_ready(RUNTIME_DOWN_MESSAGE, ctx);
            }
            return;
        }
        if self.runtime.paused {
            self.runtime.paused = false;
            self.replay_deferred(ctx);
            self.resync(ctx);
        }
        if self.runtime.reported {
            let post = tick_at_or_after(ctx.now, NODE_STATUS_UPDATE_FREQUENCY_MS);
            if post > ctx.now {
                ctx.at(post, Event::Kubelet(self.node, KubeletEvent::RuntimeStatus { epoch }));
                return;
            }
            self.runtime.reported = false;
            let node = ctx.api.node(self.node);
            if self.shutting_down {
                // The shutdown manager's own error keeps the node NotReady.
            } else if self.runtime.network_error {
                // The Ready condition joins every error: the network's is still there.
                self.runtime.network_reported = true;
                self.set_node_not_ready(NETWORK_NOT_READY_MESSAGE, ctx);
            } else if node.ready == ConditionStatus::False {
                self.set_node_ready(ctx);
            } else if !node.not_ready_message.is_empty() {
                // The node controller wrote Unknown over it meanwhile: the error is gone all the
                // same, and the controller finds the node Ready once the lease is fresh.
                ctx.api.update_node(self.node, |x| x.not_ready_message = "");
            }
        }
    }

    /// `cni-down` or its end: the runtime's NetworkReady changes now; the kubelet reads it at
    /// its next `updateRuntimeUp` (5 s grid).
    pub(super) fn cni_changed(&mut self, down: bool, ctx: &mut Ctx) {
        if self.runtime.network_down == down {
            return;
        }
        self.runtime.network_down = down;
        self.runtime.network_epoch = self.runtime.network_epoch.wrapping_add(1);
        let check = tick_at_or_after(ctx.now, RUNTIME_UP_PERIOD_MS);
        let epoch = self.runtime.network_epoch;
        ctx.at(check, Event::Kubelet(self.node, KubeletEvent::NetworkStatus { epoch }));
    }

    /// The runtime check that reads NetworkReady, then the node status update (10 s grid) that
    /// posts what it means for the Ready condition.
    pub(super) fn network_status(&mut self, epoch: u32, ctx: &mut Ctx) {
        if epoch != self.runtime.network_epoch {
            return;
        }
        let rt = &mut self.runtime;
        rt.network_error = rt.network_down;
        if rt.network_error == rt.network_reported {
            return;
        }
        let post = tick_at_or_after(ctx.now, NODE_STATUS_UPDATE_FREQUENCY_MS);
        // Not a status update tick yet, or one that cannot reach the API server: the next one.
        let post = if ctx.api.is_disconnected(self.node) { post.max(ctx.now.plus(1)) } else { post };
        if post > ctx.now {
            let post = tick_at_or_after(post, NODE_STATUS_UPDATE_FREQUENCY_MS);
            ctx.at(post, Event::Kubelet(self.node, KubeletEvent::NetworkStatus { epoch }));
            return;
        }
        rt.network_reported = rt.network_error;
        // The runtime's own outage and a shutdown hold their own message.
        if self.runtime.reported || self.shutting_down {
            return;
        }
        let node = ctx.api.node(self.node);
        if self.runtime.network_error {
            self.set_node_not_ready(NETWORK_NOT_READY_MESSAGE, ctx);
        } else if node.ready == ConditionStatus::False {
            self.set_node_ready(ctx);
        } else if !node.not_ready_message.is_empty() {
            // The node controller wrote Unknown over it meanwhile (see `runtime_status`).
            ctx.api.update_node(self.node, |x| x.not_ready_message = "");
        }
    }

    /// SyncPod's first check: with the network not ready, a pod not on the host network is
    /// not synced (`NetworkNotReady`); the caller requeues it.
    pub(super) fn network_blocks(&self, id: PodId, ctx: &mut Ctx) -> bool {
        if !self.runtime.network_error || self.workers.get(&id).is_none_or(|w| w.spec.host_network) {
            return false;
        }
        let msg = format!("{NETWORK_NOT_READY_EVENT}: {NETWORK_NOT_READY_MESSAGE}");
        pod_event(ctx, id, self.node, EventType::Warning, "NetworkNotReady", Message::Text(msg.into()));
        true
    }

    /// A reboot starts a fresh runtime: nothing of the old state survives, but a missing CNI
    /// config is still missing (the boot's first runtime check reads it again).
    pub(super) fn runtime_reset(&mut self) {
        let (network_down, network_epoch) = (self.runtime.network_down, self.runtime.network_epoch);
        let epoch = self.runtime.epoch.wrapping_add(1);
        self.runtime = RuntimeState { epoch, network_down, network_epoch, ..RuntimeState::default() };
    }
}
