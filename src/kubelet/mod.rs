//! The kubelet of one node: lease renewals, pod admission, the pod worker that pulls images
//! and starts containers in order (init containers one by one, then the app containers),
//! readiness, and graceful termination ending in the final delete. It hears about its pods
//! through an indexed watch and reports through pod status writes.

pub mod images;

use crate::api::events::{ContainerRef, ObjRef, Source};
use crate::api::*;
use crate::apiserver::Watcher;
use crate::cluster::{Ctx, Event};
use crate::scenario::{DurationDist, LEASE_RENEW_JITTER_PERCENT};
use crate::sim::SimTime;
use images::ImageManager;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Kubelet timers (kubelet -> itself). `epoch` makes a timer stale once the pod's worker moved
/// on (e.g. it was deleted while a container was starting).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KubeletEvent {
    RenewLease,
    ContainerStarted { pod: PodId, c: ContainerRef, epoch: u32 },
    ContainerReady { pod: PodId, c: ContainerRef, epoch: u32 },
    ContainerExited { pod: PodId, c: ContainerRef, epoch: u32, code: i32 },
}

struct PodWorker {
    spec: Arc<PodSpec>,
    requests: Resources,
    epoch: u32,
    /// Next step of the start sequence: init containers, then app containers.
    next: usize,
    killing: bool,
    /// Containers that still have to exit after SIGTERM.
    exits_pending: u32,
    /// Virtual time spent waiting for image pulls.
    pull_ms: u64,
}

pub struct Kubelet {
    node: NodeId,
    images: ImageManager,
    workers: BTreeMap<PodId, PodWorker>,
    admitted: Resources,
    admitted_pods: u32,
}

fn draw(d: DurationDist, ctx: &mut Ctx) -> u64 {
    if d.jitter_ms == 0 { d.mean_ms } else { d.mean_ms - d.jitter_ms + ctx.rng.behavior.below(2 * d.jitter_ms + 1) }
}

fn container(spec: &PodSpec, c: ContainerRef) -> &ContainerSpec {
    if c.init { &spec.init_containers[c.index as usize] } else { &spec.containers[c.index as usize] }
}

fn status_mut(p: &mut Pod, c: ContainerRef) -> &mut ContainerStatus {
    if c.init { &mut p.status.init_containers[c.index as usize] } else { &mut p.status.containers[c.index as usize] }
}

impl Kubelet {
    pub fn new(node: NodeId, n_images: usize, preloaded: &[ImageId]) -> Kubelet {
        Kubelet {
            node,
            images: ImageManager::new(node, n_images, preloaded),
            workers: BTreeMap::new(),
            admitted: Resources::default(),
            admitted_pods: 0,
        }
    }

    /// Does this kubelet run (or is it stopping) the pod?
    pub fn runs(&self, pod: PodId) -> bool {
        self.workers.contains_key(&pod)
    }

    fn me(&self) -> Watcher {
        Watcher::Kubelet(self.node)
    }

    pub fn handle(&mut self, ev: KubeletEvent, ctx: &mut Ctx) {
        match ev {
            KubeletEvent::RenewLease => {
                ctx.api.renew_lease(self.node, ctx.now);
                let interval = ctx.settings.lease_renew_interval_ms().max(1);
                let jitter = ctx.rng.kubelet.below(interval * LEASE_RENEW_JITTER_PERCENT / 100 + 1);
                ctx.after(interval + jitter, Event::Kubelet(self.node, KubeletEvent::RenewLease));
            }
            KubeletEvent::ContainerStarted { pod, c, epoch } => {
                if self.workers.get(&pod).is_some_and(|w| w.epoch == epoch) {
                    self.container_started(pod, c, ctx);
                }
            }
            KubeletEvent::ContainerReady { pod, c, epoch } => {
                if self.workers.get(&pod).is_some_and(|w| w.epoch == epoch) {
                    ctx.api.update_pod_status(pod, self.me(), |p| {
                        status_mut(p, c).ready = true;
                        refresh_pod_status(p, ctx.now);
                    });
                }
            }
            KubeletEvent::ContainerExited { pod, c, epoch, code } => {
                let Some(w) = self.workers.get_mut(&pod) else { return };
                if w.epoch != epoch {
                    return;
                }
                w.exits_pending -= 1;
                let done = w.exits_pending == 0;
                let now = ctx.now;
                ctx.api.update_pod_status(pod, self.me(), |p| {
                    let s = status_mut(p, c);
                    s.ready = false;
                    let reason = if code == 0 { "Completed" } else { "Error" };
                    s.state = ContainerState::Terminated { exit_code: code, reason, finished: now };
                    p.status.ready = false;
                });
                if done {
                    self.finish_termination(pod, ctx);
                }
            }
        }
    }

    pub fn on_watch(&mut self, obj: ObjRef, ctx: &mut Ctx) {
        let ObjRef::Pod(id) = obj else { return };
        let p = ctx.api.pod(id);
        if p.node != Some(self.node) {
            return;
        }
        if p.removed.is_some() {
            // Force-deleted: the containers are killed without grace.
            if let Some(w) = self.workers.remove(&id) {
                self.release(&w);
            }
            return;
        }
        let deleting = p.deletion.is_some();
        match self.workers.get(&id) {
            None if deleting => {
                // Never started here: confirm the deletion at once.
                ctx.api.remove_pod(id, ctx.now, Some(self.me()));
            }
            None if p.status.phase.is_terminal() => {}
            None => self.admit(id, ctx),
            Some(w) if deleting && !w.killing => self.kill(id, ctx),
            Some(_) => {}
        }
    }

    fn release(&mut self, w: &PodWorker) {
        self.admitted.sub(w.requests);
        self.admitted_pods -= 1;
    }

    /// Admission (`predicateAdmitHandler`): the pod must fit the node's allocatable.
    fn admit(&mut self, id: PodId, ctx: &mut Ctx) {
        let p = ctx.api.pod(id);
        let spec = p.spec.clone();
        let req = spec.requests();
        let node = ctx.api.node(self.node);
        let alloc = node.allocatable;
        let reject = if self.admitted_pods + 1 > node.pods {
            Some(("OutOfpods", "pods", 1, self.admitted_pods as u64, node.pods as u64))
        } else if req.cpu_milli > alloc.cpu_milli.saturating_sub(self.admitted.cpu_milli) {
            Some(("OutOfcpu", "cpu", req.cpu_milli, self.admitted.cpu_milli, alloc.cpu_milli))
        } else if req.memory > alloc.memory.saturating_sub(self.admitted.memory) {
            Some(("OutOfmemory", "memory", req.memory, self.admitted.memory, alloc.memory))
        } else {
            None
        };
        if let Some((reason, res, r, used, cap)) = reject {
            let msg = format!("Node didn't have enough resource: {res}, requested: {r}, used: {used}, capacity: {cap}");
            let now = ctx.now;
            let status_msg = format!("Pod was rejected: {msg}");
            ctx.api.update_pod_status(id, self.me(), |p| {
                p.status.phase = PodPhase::Failed;
                p.status.reason = Some(reason);
                p.status.message = Some(status_msg);
                p.finished_at = Some(now);
            });
            ctx.record(
                EventType::Warning,
                reason,
                ObjRef::Pod(id),
                Some(self.node),
                Source::Kubelet,
                Message::Text(msg.into()),
            );
            return;
        }
        self.admitted.add(req);
        self.admitted_pods += 1;
        self.workers.insert(
            id,
            PodWorker { spec, requests: req, epoch: 0, next: 0, killing: false, exits_pending: 0, pull_ms: 0 },
        );
        self.advance(id, ctx);
    }

    /// Run the start sequence as far as it can go now.
    fn advance(&mut self, id: PodId, ctx: &mut Ctx) {
        loop {
            let Some(w) = self.workers.get(&id) else { return };
            if w.killing {
                return;
            }
            let n_init = w.spec.init_containers.len();
            let step = w.next;
            if step >= n_init + w.spec.containers.len() {
                return;
            }
            let c = if step < n_init {
                ContainerRef { init: true, index: step as u16 }
            } else {
                ContainerRef { init: false, index: (step - n_init) as u16 }
            };
            let cs = container(&w.spec, c);
            let (image, policy, epoch) = (cs.image, cs.pull_policy, w.epoch);
            if !self.images.ensure(id, c, image, policy, epoch, ctx) {
                return; // pulling (or ErrImageNeverPull): resumed by on_pull_done
            }
            self.create_container(id, c, ctx);
            if c.init {
                return; // the next step waits for this init container to complete
            }
        }
    }

    fn create_container(&mut self, id: PodId, c: ContainerRef, ctx: &mut Ctx) {
        let w = self.workers.get_mut(&id).expect("worker exists");
        w.next += 1;
        let image = container(&w.spec, c).image;
        let epoch = w.epoch;
        ctx.record(
            EventType::Normal,
            "Created",
            ObjRef::Pod(id),
            Some(self.node),
            Source::Kubelet,
            Message::Created { container: c },
        );
        let startup = draw(ctx.images[image.idx()].behavior.startup, ctx);
        ctx.after(startup, Event::Kubelet(self.node, KubeletEvent::ContainerStarted { pod: id, c, epoch }));
    }

    fn container_started(&mut self, id: PodId, c: ContainerRef, ctx: &mut Ctx) {
        let w = &self.workers[&id];
        let cs = container(&w.spec, c);
        let (image, probe, epoch, pull_ms) = (cs.image, cs.readiness_probe, w.epoch, w.pull_ms);
        ctx.record(
            EventType::Normal,
            "Started",
            ObjRef::Pod(id),
            Some(self.node),
            Source::Kubelet,
            Message::Started { container: c },
        );
        let now = ctx.now;
        if c.init {
            // kubesim's init containers complete as soon as they are up.
            ctx.api.update_pod_status(id, self.me(), |p| {
                status_mut(p, c).state =
                    ContainerState::Terminated { exit_code: 0, reason: "Completed", finished: now };
            });
            self.advance(id, ctx);
            return;
        }
        let ready_now = !probe;
        ctx.api.update_pod_status(id, self.me(), |p| {
            let s = status_mut(p, c);
            s.state = ContainerState::Running { started: now };
            s.ready = ready_now;
            p.pull_ms = pull_ms;
            refresh_pod_status(p, now);
        });
        if probe {
            let delay = draw(ctx.images[image.idx()].behavior.ready, ctx);
            ctx.after(delay, Event::Kubelet(self.node, KubeletEvent::ContainerReady { pod: id, c, epoch }));
        }
    }

    /// An image pull finished: every container waiting for it goes on.
    pub fn on_pull_done(&mut self, request: u32, ctx: &mut Ctx) {
        let (pod, c, epoch, waited) = self.images.pull_done(request, ctx);
        let Some(w) = self.workers.get_mut(&pod) else { return };
        if w.epoch != epoch || w.killing {
            return;
        }
        w.pull_ms += waited;
        self.create_container(pod, c, ctx);
        if !c.init {
            self.advance(pod, ctx);
        }
    }

    /// Graceful termination: "Killing", SIGTERM, exit after the process's termination time or
    /// SIGKILL at the grace period.
    fn kill(&mut self, id: PodId, ctx: &mut Ctx) {
        let grace = ctx.api.pod(id).deletion.map_or(0, |d| d.1);
        let statuses: Vec<(ContainerRef, bool)> = {
            let p = ctx.api.pod(id);
            let init = p
                .status
                .init_containers
                .iter()
                .enumerate()
                .map(|(i, s)| (ContainerRef { init: true, index: i as u16 }, s));
            let app =
                p.status.containers.iter().enumerate().map(|(i, s)| (ContainerRef { init: false, index: i as u16 }, s));
            init.chain(app).map(|(c, s)| (c, matches!(s.state, ContainerState::Running { .. }))).collect()
        };
        let w = self.workers.get_mut(&id).expect("worker exists");
        w.killing = true;
        w.epoch = w.epoch.wrapping_add(1);
        let epoch = w.epoch;
        let spec = w.spec.clone();
        let mut pending = 0;
        for (c, running) in statuses {
            if !running {
                continue;
            }
            pending += 1;
            ctx.record(
                EventType::Normal,
                "Killing",
                ObjRef::Pod(id),
                Some(self.node),
                Source::Kubelet,
                Message::Killing { container: c },
            );
            let t = draw(ctx.images[container(&spec, c).image.idx()].behavior.termination, ctx);
            let (after, code) = if t <= grace { (t, 0) } else { (grace, 137) };
            ctx.after(after, Event::Kubelet(self.node, KubeletEvent::ContainerExited { pod: id, c, epoch, code }));
        }
        self.workers.get_mut(&id).expect("worker exists").exits_pending = pending;
        if pending == 0 {
            self.finish_termination(id, ctx);
        }
    }

    /// Every container has stopped: report the terminal phase, then the final delete.
    fn finish_termination(&mut self, id: PodId, ctx: &mut Ctx) {
        if let Some(w) = self.workers.remove(&id) {
            self.release(&w);
        }
        let now = ctx.now;
        ctx.api.update_pod_status(id, self.me(), |p| {
            let mut ran = false;
            let mut failed = false;
            for s in &p.status.containers {
                if let ContainerState::Terminated { exit_code, .. } = s.state {
                    ran = true;
                    failed |= exit_code != 0;
                }
            }
            p.status.phase = if ran && !failed { PodPhase::Succeeded } else { PodPhase::Failed };
            p.status.ready = false;
            p.finished_at = Some(now);
        });
        ctx.api.remove_pod(id, now, Some(self.me()));
    }
}

/// Phase and readiness from the container states (`getPhase` for running pods).
fn refresh_pod_status(p: &mut Pod, now: SimTime) {
    let all_running = p.status.containers.iter().all(|c| matches!(c.state, ContainerState::Running { .. }));
    if all_running && p.status.phase == PodPhase::Pending {
        p.status.phase = PodPhase::Running;
        p.started_at.get_or_insert(now);
    }
    let ready = all_running && p.status.containers.iter().all(|c| c.ready);
    p.status.ready = ready;
    if ready {
        p.ready_at.get_or_insert(now);
    }
}
