//! Stopping containers: a pod's graceful termination (Killing, preStop, SIGTERM, SIGKILL at
//! the grace period, then the terminal phase and the final delete), a container the kubelet
//! stops to restart it (failed probe, failed postStart hook), and graceful node shutdown.

use super::*;

/// `scheduling.SystemCriticalPriority`: pods at or above it are the shutdown manager's critical
/// pods, stopped last.
pub const SYSTEM_CRITICAL_PRIORITY: i32 = 2_000_000_000;
/// nodeshutdown's status for the pods it stops, and its admission refusal while shutting down.
pub const NODE_SHUTDOWN_REASON: &str = "Terminated";
pub const NODE_SHUTDOWN_MESSAGE: &str = "Pod was terminated in response to imminent node shutdown.";
pub const NODE_SHUTDOWN_NOT_ADMITTED_REASON: &str = "NodeShutdown";
/// The shutdown manager's `ShutdownStatus` error: the Ready condition's message meanwhile.
pub const NODE_SHUTDOWN_READY_MESSAGE: &str = "node is shutting down";
pub const NODE_SHUTDOWN_NOT_ADMITTED_MESSAGE: &str = "Pod was rejected as the node is shutting down.";

impl Kubelet {
    /// The machine goes off: leases stop, what the status manager had not sent is lost.
    pub(super) fn power_down(&mut self, ctx: &mut Ctx) {
        ctx.api.lease_stop(self.node, ctx.now, ctx.cause);
        ctx.api.forget_unsent(self.node);
        self.power_off();
    }

    /// `node-shutdown`: with `shutdownGracePeriod` set, the shutdown manager (holding systemd's
    /// inhibitor lock) records `NodeShutdown`, refuses new pods and stops the running ones,
    /// regular pods first, critical ones last, before the machine goes off. Without it the
    /// shutdown is a power cut.
    pub(super) fn shutdown_begin(&mut self, ctx: &mut Ctx) {
        if ctx.settings.shutdown_grace_period_ms == 0 {
            self.power_down(ctx);
            return;
        }
        let node = self.node;
        let msg = Message::Text("Shutdown manager detected shutdown event".into());
        ctx.cause = ctx.record(EventType::Normal, "NodeShutdown", ObjRef::Node(node), Some(node), Source::Kubelet, msg);
        self.set_node_not_ready(NODE_SHUTDOWN_READY_MESSAGE, ctx);
        self.shutting_down = true;
        self.shutdown_stage(false, ctx);
    }

    /// The kubelet's Ready condition: False with the kubelet's error (`None`: Ready), posted
    /// with its event. The node controller's NoSchedule tainting pass
    /// (`node.kubernetes.io/not-ready`) follows the condition; applied with it here.
    pub(super) fn post_ready(&mut self, not_ready: Option<&'static str>, ctx: &mut Ctx) {
        use crate::api::node::TAINT_NOT_READY;
        let node = self.node;
        ctx.api.update_node(node, |x| {
            x.taints.retain(|t| !(t.key == TAINT_NOT_READY && t.effect == TaintEffect::NoSchedule));
            x.not_ready_message = not_ready.unwrap_or("");
            match not_ready {
                None => x.ready = ConditionStatus::True,
                Some(_) => {
                    x.ready = ConditionStatus::False;
                    x.taints.push(Taint {
                        key: TAINT_NOT_READY.into(),
                        value: String::new(),
                        effect: TaintEffect::NoSchedule,
                    });
                }
            }
        });
        ctx.api.suspects.insert(node);
        let id = self.node_status_event(if not_ready.is_none() { "NodeReady" } else { "NodeNotReady" }, ctx);
        if not_ready.is_some() {
            ctx.api.set_not_ready_why(node, id);
        }
    }

    /// Ready again (True) after the kubelet's own error is gone.
    pub(super) fn set_node_ready(&mut self, ctx: &mut Ctx) {
        self.post_ready(None, ctx);
    }

    /// Ready=False, KubeletNotReady, with the kubelet's error as the message.
    pub(super) fn set_node_not_ready(&mut self, message: &'static str, ctx: &mut Ctx) {
        self.post_ready(Some(message), ctx);
    }

    /// The kubelet's `recordNodeStatusEvent`: "Node N status is now: REASON".
    pub(super) fn node_status_event(&self, reason: &'static str, ctx: &mut Ctx) -> crate::api::EventId {
        let node = self.node;
        let msg = format!("Node {} status is now: {reason}", ctx.api.node(node).name);
        ctx.record(
            EventType::Normal,
            reason,
            ObjRef::Node(node),
            Some(node),
            Source::Kubelet,
            Message::Text(msg.into()),
        )
    }

    /// One priority group (`groupByPriority` over the two groups `migrateConfig` makes): each
    /// pod Failed ("Terminated", with a DisruptionTarget condition) and stopped with the
    /// group's grace period (or its own, if shorter); the next step once the group's period
    /// is over (at once for an empty group).
    pub(super) fn shutdown_stage(&mut self, critical: bool, ctx: &mut Ctx) {
        // Powered on again meanwhile (a shutdown shorter than its grace period): over.
        if !self.shutting_down {
            return;
        }
        let (total, crit) =
            (ctx.settings.shutdown_grace_period_ms, ctx.settings.shutdown_grace_period_critical_pods_ms);
        let period = if critical { crit } else { total - crit };
        let pods: Vec<PodId> = (self.workers.iter())
            .filter(|(_, w)| !w.killing && (w.spec.priority >= SYSTEM_CRITICAL_PRIORITY) == critical)
            .map(|(&id, _)| id)
            .collect();
        let root = ctx.cause;
        for &id in &pods {
            ctx.cause = root;
            let grace = ctx.api.pod(id).spec.termination_grace_ms.min(period);
            let w = self.workers.get_mut(&id).expect("worker exists");
            w.evicted = true;
            w.terminal_status = Some((NODE_SHUTDOWN_REASON, NODE_SHUTDOWN_MESSAGE.into()));
            self.stop_containers(id, grace, ctx);
        }
        ctx.cause = root;
        let wait = if pods.is_empty() { 0 } else { period };
        let step = if critical { 2 } else { 1 };
        ctx.after(wait, Event::Kubelet(self.node, KubeletEvent::ShutdownStage { step }));
    }
    /// Graceful termination of every running container: "Killing", the preStop hook, SIGTERM,
    /// exit after the process's termination time, or SIGKILL when the grace period runs out
    /// (SIGTERM always gets at least 2 s, `minimumGracePeriodInSeconds`).
    pub(super) fn kill(&mut self, id: PodId, ctx: &mut Ctx) {
        let grace = ctx.api.pod(id).deletion.map_or(0, |d| d.1);
        self.stop_containers(id, grace, ctx);
    }

    /// Stop every running container of the pod with `grace` ms (see `stop_timing`); the pod's
    /// termination finishes when the last one is gone.
    pub(super) fn stop_containers(&mut self, id: PodId, grace: u64, ctx: &mut Ctx) {
        let node = self.node;
        let w = self.workers.get_mut(&id).expect("worker exists");
        w.killing = true;
        let spec = w.spec.clone();
        // Every running container is told at once ("Killing", its preStop hook) ...
        let mut stops = Vec::new();
        for i in 0..w.containers.len() {
            let c = w.cref(i);
            let st = &mut w.containers[i];
            st.epoch = st.epoch.wrapping_add(1);
            if !st.running {
                continue;
            }
            st.stopping = true;
            let epoch = st.epoch;
            let gone = st.exited.map(|(_, code, _)| code);
            if gone.is_none() {
                pod_event(ctx, id, node, EventType::Normal, "Killing", Message::Killing { container: c });
            }
            let cs = container(&spec, c);
            // A process that already ended (PLEG has not relisted yet) is gone at once.
            let draws = if gone.is_some() { (0, None) } else { stop_draws(cs, ctx) };
            stops.push((c, epoch, cs.sidecar, draws, gone));
        }
        // ... the regular containers get SIGTERM then; the sidecars, last to first, each when
        // every container it must outlive has exited (the termination ordering of kuberuntime).
        let mut times = vec![(0, 0); stops.len()];
        let mut last_exit = 0;
        for (k, &(_, _, sidecar, draws, _)) in stops.iter().enumerate() {
            if !sidecar {
                times[k] = stop_after(grace, draws, 0);
                last_exit = last_exit.max(times[k].0);
            }
        }
        for (k, &(_, _, sidecar, draws, gone)) in stops.iter().enumerate().rev() {
            if sidecar {
                times[k] = if gone.is_some() { (0, 0) } else { stop_after(grace, draws, last_exit) };
                last_exit = last_exit.max(times[k].0);
            }
        }
        for (&(c, epoch, _, _, gone), &(after, code)) in stops.iter().zip(&times) {
            let code = gone.unwrap_or(code);
            ctx.after(after, Event::Kubelet(node, KubeletEvent::Stopped { pod: id, c, epoch, code }));
        }
        let pending = stops.len() as u32;
        let w = self.workers.get_mut(&id).expect("worker exists");
        w.stops_pending = pending;
        if pending == 0 {
            self.finish_termination(id, ctx);
        }
    }

    /// Every container has stopped: report the terminal phase, then the final delete.
    pub(super) fn finish_termination(&mut self, id: PodId, ctx: &mut Ctx) {
        let now = ctx.now;
        if let Some(w) = self.workers.remove(&id) {
            self.release(&w);
            if w.evicted {
                // An evicted pod stays in the API, Failed (now that nothing runs); unless it was
                // deleted meanwhile.
                if let Some((reason, message)) = w.terminal_status {
                    ctx.api.update_pod_status(id, self.me(), |p| {
                        if p.status.phase != PodPhase::Succeeded {
                            p.status.phase = PodPhase::Failed;
                        }
                        p.status.reason = Some(reason);
                        p.status.message = Some(message);
                        p.status.ready = false;
                        p.finished_at.get_or_insert(now);
                        use crate::api::conditions::{CondReason, CondType};
                        let c = &mut p.status.conditions;
                        c.set(CondType::DisruptionTarget, true, CondReason::TerminationByKubelet, 0, now);
                    });
                }
                if ctx.api.pod(id).deletion.is_some() {
                    ctx.api.remove_pod(id, now, Some(self.me()));
                }
                return;
            }
        }
        ctx.api.update_pod_status(id, self.me(), |p| {
            let ran = p.status.containers.iter().any(|s| matches!(s.state, ContainerState::Terminated { .. }));
            p.status.phase = if ran { status::phase(p, true) } else { PodPhase::Failed };
            p.status.ready = false;
            p.finished_at = Some(now);
        });
        ctx.api.remove_pod(id, now, Some(self.me()));
    }

    /// A liveness or startup probe failed too often: stop the container (it is restarted
    /// unless the policy is Never).
    pub(super) fn probe_kill(&mut self, id: PodId, c: ContainerRef, kind: ProbeKind, ctx: &mut Ctx) {
        self.kill_to_restart(id, c, Message::ProbeKilled { container: c, kind }, ctx);
    }

    /// Stop one container for the kubelet's own reason (`Killing` with `why`); it is then
    /// restarted per policy.
    pub(super) fn kill_to_restart(&mut self, id: PodId, c: ContainerRef, why: Message, ctx: &mut Ctx) {
        let node = self.node;
        let grace = ctx.api.pod(id).spec.termination_grace_ms;
        let w = self.workers.get_mut(&id).expect("worker exists");
        let i = w.idx(c);
        let st = &mut w.containers[i];
        st.epoch = st.epoch.wrapping_add(1);
        st.stopping = true;
        let epoch = st.epoch;
        let cs = container(&w.spec, c).clone();
        pod_event(ctx, id, node, EventType::Normal, "Killing", why);
        let (after, code) = stop_timing(&cs, grace, ctx);
        // Stopped by the kubelet rather than finishing its work: SIGTERM's status, 128 + 15.
        let code = if code == 0 { EXIT_CODE_SIGTERM } else { code };
        ctx.after(after, Event::Kubelet(node, KubeletEvent::Stopped { pod: id, c, epoch, code }));
    }
}

/// When a stopped container's process is gone, and its exit code. As `killContainer`: the
/// preStop hook runs within the grace period, then SIGTERM gets what is left of it but never
/// less than `minimumGracePeriodInSeconds`, then SIGKILL.
pub(super) fn stop_timing(cs: &ContainerSpec, grace: u64, ctx: &mut Ctx) -> (u64, i32) {
    stop_after(grace, stop_draws(cs, ctx), 0)
}

/// A stopping container's draws: how long its process takes to exit after SIGTERM, and its
/// preStop hook's run time if it has one.
fn stop_draws(cs: &ContainerSpec, ctx: &mut Ctx) -> (u64, Option<u64>) {
    let term = draw(cs.behavior.termination, ctx);
    (term, cs.pre_stop.then(|| draw(cs.behavior.pre_stop, ctx)))
}

/// `stop_timing` with the draws made, for a container that waits its turn until `turn` ms
/// from now (a sidecar: until the containers it must outlive have exited) but no longer than
/// the grace left after its hook; the whole seconds it waited come off that grace
/// (`waitForTurn`), which never falls below `minimumGracePeriodInSeconds`.
fn stop_after(grace: u64, (term, hook): (u64, Option<u64>), turn: u64) -> (u64, i32) {
    let (hook_end, left) = match hook {
        None => (0, grace),
        Some(h) if h < grace => (h, grace - h),
        Some(_) => (grace, 0),
    };
    let wait = turn.saturating_sub(hook_end).min(left);
    let left = (left - wait / 1000 * 1000).max(MINIMUM_GRACE_PERIOD_MS);
    let sigterm = hook_end + wait;
    if term <= left { (sigterm + term, 0) } else { (sigterm + left, EXIT_CODE_SIGKILL) }
}

impl Kubelet {
    /// The final delete of a deleting pod that does not run here. One that finalizers will hold
    /// in the store is given its terminal phase first (it runs nothing), as the status manager
    /// writes it before the delete.
    pub(super) fn confirm_deletion(&mut self, id: PodId, ctx: &mut Ctx) {
        let p = ctx.api.pod(id);
        if !p.finalizers.is_empty() && !p.status.phase.is_terminal() {
            let now = ctx.now;
            ctx.api.update_pod_status(id, self.me(), |p| {
                p.status.phase = PodPhase::Failed;
                p.status.ready = false;
                p.finished_at.get_or_insert(now);
            });
        }
        ctx.api.remove_pod(id, ctx.now, Some(self.me()));
    }

    /// Replace a deleted mirror pod by a new one carrying the static pod's current status.
    pub(super) fn recreate_mirror(&mut self, old: PodId, ctx: &mut Ctx) {
        let now = ctx.now;
        if ctx.api.pod(old).removed.is_none() {
            ctx.api.remove_pod(old, now, Some(self.me()));
        }
        if ctx.api.pod(old).removed.is_none() {
            return; // held by finalizers (or the API is out of reach): recreated once it is gone
        }
        let mut p = ctx.api.pod(old).clone();
        p.removed = None;
        p.deletion = None;
        p.created = now;
        p.scheduled_at = Some(now);
        p.finished_at = None;
        p.started_at = p.started_at.map(|_| now);
        p.ready_at = p.ready_at.map(|_| now);
        p.pull_ms = 0;
        let new = ctx.api.create_pod(p);
        let w = self.workers.remove(&old).expect("static pod worker");
        self.workers.insert(new, w);
        self.moved.insert(old, new);
    }
}
