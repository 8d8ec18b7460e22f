//! The kubelet's own events (`KubeletEvent`): power and service changes, a container's
//! process starting, exiting or stopping, probes, restarts after back-off and resyncs.

use super::*;

impl Kubelet {
    pub fn handle(&mut self, ev: KubeletEvent, ctx: &mut Ctx) {
        self.handle_due(ev, ctx.now, ctx);
    }

    /// The timers that waited while the kubelet could not act, in order, each with its time.
    pub(super) fn replay_deferred(&mut self, ctx: &mut Ctx) {
        for (due, ev) in std::mem::take(&mut self.deferred) {
            self.handle_due(ev, due, ctx);
        }
    }

    /// Handle a timer that fell due at `due` (earlier than now when it was deferred).
    fn handle_due(&mut self, ev: KubeletEvent, due: SimTime, ctx: &mut Ctx) {
        let ev = self.resolve_event(ev);
        if !self.up && matches!(ev, KubeletEvent::CniDown | KubeletEvent::CniUp) {
            // The CNI config is on the node's disk: what changed is there when it boots.
            self.runtime.network_down = ev == KubeletEvent::CniDown;
            return;
        }
        if !self.up && ev != KubeletEvent::PowerOn {
            return; // a dead kubelet does nothing; its timers die with it
        }
        if self.frozen && !matches!(ev, KubeletEvent::PowerOff | KubeletEvent::PowerOn | KubeletEvent::ServiceStart) {
            // The processes live on; the kubelet notices what happened to them when it starts.
            self.deferred.push((due, ev));
            return;
        }
        if self.runtime_paused() && !ev.goes_on_without_runtime() {
            // Pod syncs are skipped: the kubelet sees what happened once the runtime answers.
            self.deferred.push((due, ev));
            return;
        }
        match ev {
            KubeletEvent::ServiceStop => self.service_stop(ctx),
            KubeletEvent::ServiceStart => self.service_start(ctx),
            KubeletEvent::Reconnect => {
                if ctx.api.reconnect(self.node, ctx.now) {
                    ctx.api.set_lease_back_why(self.node, ctx.cause);
                    self.resync(ctx);
                }
            }
            KubeletEvent::KillContainer { pod, c } => {
                let running = self.workers.get(&pod).is_some_and(|w| {
                    let st = &w.containers[w.idx(c)];
                    st.running && !st.stopping && st.exited.is_none() && !w.killing
                });
                if running {
                    self.process_died(pod, c, (EXIT_CODE_SIGKILL, false, due), ctx);
                }
            }
            KubeletEvent::FailPod { pod, until } => self.fail_pod(pod, until, ctx),
            KubeletEvent::MountRetry { pod } => self.mount_retry(pod, ctx),
            KubeletEvent::SandboxRetry { pod } => self.sandbox_retry(pod, ctx),
            KubeletEvent::SyncRetry { pod } => {
                if self.workers.get(&pod).is_some_and(|w| !w.killing) {
                    self.advance(pod, ctx);
                }
            }
            KubeletEvent::RuntimeDown => self.runtime_down(ctx),
            KubeletEvent::RuntimeUp => self.runtime_up(ctx),
            KubeletEvent::RuntimeStatus { epoch } => self.runtime_status(epoch, ctx),
            KubeletEvent::CniDown => self.cni_changed(true, ctx),
            KubeletEvent::CniUp => self.cni_changed(false, ctx),
            KubeletEvent::NetworkStatus { epoch } => self.network_status(epoch, ctx),
            KubeletEvent::PowerOff => self.power_down(ctx),
            KubeletEvent::Shutdown => self.shutdown_begin(ctx),
            KubeletEvent::ShutdownStage { step: 2 } if self.shutting_down => self.power_down(ctx),
            KubeletEvent::ShutdownStage { step } => self.shutdown_stage(step == 1, ctx),
            KubeletEvent::PowerOn => self.power_on(ctx),
            KubeletEvent::EvictionMonitor => self.eviction_monitor(ctx),
            KubeletEvent::Started { pod, c, epoch } => {
                if self.current(pod, c, epoch).is_some() {
                    self.container_started(pod, c, ctx);
                }
            }
            KubeletEvent::PostStartDone { pod, c, epoch } => {
                if self.current(pod, c, epoch).is_some_and(|(w, _)| !w.killing) {
                    self.post_start_done(pod, c, ctx);
                }
            }
            KubeletEvent::Exited { pod, c, epoch, code, oom } => {
                self.process_exited(pod, c, epoch, (code, oom, due), ctx)
            }
            KubeletEvent::Probe { pod, c, epoch, kind, late } => {
                if self.current(pod, c, epoch).is_some() {
                    self.probe(pod, c, kind, late, ctx);
                }
            }
            KubeletEvent::Restart { pod, c, epoch } => self.restart_after_backoff(pod, c, epoch, ctx),
            KubeletEvent::Resync { pod, c, epoch } => {
                let live = self.current(pod, c, epoch).and_then(|(w, i)| (!w.killing).then_some(i == w.next));
                if let Some(next) = live {
                    if self.network_blocks(pod, ctx) {
                        let wait = error_requeue_ms(ctx);
                        ctx.after(wait, Event::Kubelet(self.node, KubeletEvent::Resync { pod, c, epoch }));
                    } else if next {
                        self.advance(pod, ctx);
                    } else {
                        self.start_container(pod, c, ctx);
                    }
                }
            }
            KubeletEvent::Stopped { pod, c, epoch, code } => self.process_stopped(pod, c, epoch, code, ctx),
        }
    }

    /// A timer of a pod that moved (a static pod's mirror re-created) follows it.
    fn resolve_event(&self, ev: KubeletEvent) -> KubeletEvent {
        if self.moved.is_empty() {
            return ev;
        }
        match ev {
            KubeletEvent::Started { pod, c, epoch } => KubeletEvent::Started { pod: self.resolve(pod), c, epoch },
            KubeletEvent::PostStartDone { pod, c, epoch } => {
                KubeletEvent::PostStartDone { pod: self.resolve(pod), c, epoch }
            }
            KubeletEvent::Exited { pod, c, epoch, code, oom } => {
                KubeletEvent::Exited { pod: self.resolve(pod), c, epoch, code, oom }
            }
            KubeletEvent::Probe { pod, c, epoch, kind, late } => {
                KubeletEvent::Probe { pod: self.resolve(pod), c, epoch, kind, late }
            }
            KubeletEvent::Restart { pod, c, epoch } => KubeletEvent::Restart { pod: self.resolve(pod), c, epoch },
            KubeletEvent::Resync { pod, c, epoch } => KubeletEvent::Resync { pod: self.resolve(pod), c, epoch },
            KubeletEvent::MountRetry { pod } => KubeletEvent::MountRetry { pod: self.resolve(pod) },
            KubeletEvent::SandboxRetry { pod } => KubeletEvent::SandboxRetry { pod: self.resolve(pod) },
            KubeletEvent::SyncRetry { pod } => KubeletEvent::SyncRetry { pod: self.resolve(pod) },
            KubeletEvent::Stopped { pod, c, epoch, code } => {
                KubeletEvent::Stopped { pod: self.resolve(pod), c, epoch, code }
            }
            other => other,
        }
    }

    /// `kubelet-service-kill`: the process dies; the containers keep running unwatched.
    fn service_stop(&mut self, ctx: &mut Ctx) {
        if !self.frozen {
            self.frozen = true;
            ctx.api.lease_stop(self.node, ctx.now, ctx.cause);
            ctx.api.disconnect(self.node, ctx.now, ctx.cause);
        }
    }

    /// systemd starts the kubelet again: it catches up with what happened meanwhile.
    fn service_start(&mut self, ctx: &mut Ctx) {
        if !self.frozen {
            return;
        }
        self.frozen = false;
        ctx.api.lease_start(self.node, ctx.now);
        ctx.api.set_lease_back_why(self.node, ctx.cause);
        self.replay_deferred(ctx);
        if ctx.api.reconnect(self.node, ctx.now) {
            self.resync(ctx);
        }
    }

    /// `pod-failure`: the pod's running containers fail now, and at every start until `until`.
    fn fail_pod(&mut self, pod: PodId, until: SimTime, ctx: &mut Ctx) {
        let Some(w) = self.workers.get(&pod) else { return };
        if w.killing {
            return;
        }
        self.failing.insert(pod, until);
        let running: Vec<ContainerRef> = (0..w.containers.len())
            .filter(|&i| w.containers[i].running && !w.containers[i].stopping && w.containers[i].exited.is_none())
            .map(|i| w.cref(i))
            .collect();
        for c in running {
            self.process_died(pod, c, (EXIT_CODE_SIGKILL, false, ctx.now), ctx);
        }
    }

    /// The process ended at `died` (its own exit, a crash, the OOM killer, a SIGKILL from
    /// outside): its probes and fate end with it; the kubelet learns it at PLEG's first relist
    /// after that (now, for an exit that waited while the kubelet could not look).
    fn process_died(&mut self, pod: PodId, c: ContainerRef, (code, oom, died): (i32, bool, SimTime), ctx: &mut Ctx) {
        let node = self.node;
        let w = self.workers.get_mut(&pod).expect("worker exists");
        let i = w.idx(c);
        let st = &mut w.containers[i];
        st.epoch = st.epoch.wrapping_add(1);
        st.exited = Some((died, code, oom));
        let epoch = st.epoch;
        let seen = died.plus(until_relist_ms(died)).max(ctx.now);
        ctx.at(seen, Event::Kubelet(node, KubeletEvent::Exited { pod, c, epoch, code, oom }));
    }

    /// `Exited` fires twice: when the process ends on its own (an exit, a crash, the OOM
    /// killer), and at the relist that shows it to the pod worker.
    fn process_exited(&mut self, pod: PodId, c: ContainerRef, epoch: u32, exit: (i32, bool, SimTime), ctx: &mut Ctx) {
        let (code, oom, due) = exit;
        let Some((w, i)) = self.current(pod, c, epoch) else { return };
        let st = &w.containers[i];
        if !st.running || st.stopping {
            return;
        }
        if let Some((finished, _, _)) = st.exited {
            self.container_exited(pod, c, (code, oom, finished), Ended::Exit, ctx);
            return;
        }
        if oom {
            // The OOM watcher reads the kernel's log as it happens, not at the relist.
            let msg =
                format!("System OOM encountered, victim process: {}", container(&self.workers[&pod].spec, c).name);
            let node = self.node;
            ctx.cause = ctx.record(
                EventType::Warning,
                "SystemOOM",
                ObjRef::Node(node),
                Some(node),
                Source::Kubelet,
                Message::Text(msg.into()),
            );
        }
        self.process_died(pod, c, (code, oom, due), ctx);
    }

    /// A sync of a container waiting out its CrashLoopBackOff: still inside the window, it
    /// backs off again (another `BackOff`); else it starts again, its restart count one higher.
    fn restart_after_backoff(&mut self, pod: PodId, c: ContainerRef, epoch: u32, ctx: &mut Ctx) {
        if self.current(pod, c, epoch).is_none_or(|(w, _)| w.killing) {
            return;
        }
        // The last sync's error (the reason cache) shows, also in the status of the sync that
        // restarts it: its failed start (RunContainerError), else its back-off.
        let w = &self.workers[&pod];
        let reason = if w.containers[w.idx(c)].start_failed { "RunContainerError" } else { "CrashLoopBackOff" };
        self.do_back_off(pod, c, ContainerState::Waiting { reason }, None, ctx);
    }

    /// The process is gone after the kubelet stopped it: part of the pod's termination, or a
    /// probe's kill (restarted unless the policy is Never).
    fn process_stopped(&mut self, pod: PodId, c: ContainerRef, epoch: u32, code: i32, ctx: &mut Ctx) {
        let Some((w, i)) = self.current(pod, c, epoch) else { return };
        w.containers[i].stopping = false;
        if !w.killing {
            self.container_exited(pod, c, (code, false, ctx.now), Ended::Probe, ctx);
            return;
        }
        w.containers[i].running = false;
        w.stops_pending -= 1;
        let done = w.stops_pending == 0;
        // A process that had already ended (before PLEG's relist) keeps its own end.
        let (finished, oom) = w.containers[i].exited.map_or((ctx.now, false), |(t, _, oom)| (t, oom));
        ctx.api.update_pod_status(pod, self.me(), |p| {
            let s = status_mut(p, c);
            s.ready = false;
            s.state = ContainerState::Terminated { exit_code: code, reason: exit_reason(code, oom), finished };
            p.status.ready = false;
        });
        if done {
            self.finish_termination(pod, ctx);
        }
    }
}
