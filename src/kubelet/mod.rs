//! The kubelet of one node: lease renewals, pod admission, and one pod worker per pod that
//! pulls images and starts containers in order (init containers one by one, then the app
//! containers), runs the probes, restarts exited containers per the restart policy with
//! CrashLoopBackOff, and terminates gracefully (preStop, SIGTERM, SIGKILL at the grace period)
//! before the final delete. It hears about its pods through an indexed watch and reports
//! through pod status writes.

mod cni;
mod termination;
pub use cni::SandboxImage;
mod events;
mod pod_workers;
pub use pod_workers::*;
pub mod eviction;
pub mod images;
mod pids;
pub mod probes;
mod runtime_state;
mod start_errors;
pub use start_errors::{EXIT_CODE_START_ERROR, START_ERROR_REASON};
pub mod status;
mod volumes;

use crate::api::behavior::DurationDist;
use crate::api::behavior::exponential_ms;
use crate::api::events::{ContainerRef, ObjRef, Source};
use crate::api::*;
use crate::apiserver::Watcher;
pub use crate::runtime::KubeletEvent;
use crate::runtime::{Ctx, Event};
use crate::sim::SimTime;
use images::ImageManager;
use probes::{ProbeKind, ProbeState};
use std::collections::BTreeMap;
use std::sync::Arc;

/// kubelet's container restart back-off: 10 s, doubling, at most `MaxContainerBackOff` 300 s;
/// forgotten once a container ran for twice the maximum (10 minutes).
pub const CONTAINER_BACKOFF_INITIAL_MS: u64 = 10_000;
pub const CONTAINER_BACKOFF_MAX_MS: u64 = 300_000;
/// `minimumGracePeriodInSeconds` (kuberuntime): SIGTERM always gets at least this long before
/// SIGKILL, whatever the grace period or a preStop hook left of it.
pub const MINIMUM_GRACE_PERIOD_MS: u64 = 2_000;
/// The admission failure for an untolerated NoExecute taint: the TaintToleration predicate's
/// name and `PredicateFailureError`'s text with the plugin's `ErrReasonNotMatch`.
pub const TAINT_TOLERATION_REASON: &str = "TaintToleration";
pub const TAINT_TOLERATION_MESSAGE: &str =
    "Predicate TaintToleration failed: node(s) had taints that the pod didn't tolerate";
/// The admission failure for a host port an active pod on the node holds (NodePorts).
pub const NODE_PORTS_REASON: &str = "NodePorts";
/// Exit code of a process killed by SIGKILL (and by the OOM killer).
pub const EXIT_CODE_SIGKILL: i32 = 137;
/// What containerd reports for a container whose process was lost with the machine (a reboot):
/// exit code 255, reason Unknown.
pub const EXIT_CODE_LOST: i32 = 255;
/// Exit code of a process that ended on SIGTERM without handling it.
pub const EXIT_CODE_SIGTERM: i32 = 143;

/// The kubelet's view of one container across its restarts.
#[derive(Clone, Copy, Debug, Default)]
struct CState {
    epoch: u32,
    /// The current instance's process is up.
    running: bool,
    /// A kill is in progress (the Stopped timer is pending).
    stopping: bool,
    started_at: SimTime,
    /// When the process answers probes, and when (if ever) it stops answering.
    answers_from: SimTime,
    hangs_at: Option<SimTime>,
    probes: ProbeState,
    /// Back-off entry: current delay and when it was last raised (0 = none).
    backoff_ms: u64,
    backoff_updated: SimTime,
    /// The process has ended (at this time, with this code, OOM-killed or not) and PLEG has
    /// not relisted since.
    exited: Option<(SimTime, i32, bool)>,
    /// When the last instance ended (the back-off counts from it: `IsInBackOffSince`).
    finished: SimTime,
    /// The last sync's start of it failed (the reason cache holds RunContainerError).
    start_failed: bool,
}

struct PodWorker {
    spec: Arc<PodSpec>,
    requests: Resources,
    /// Next step of the start sequence: init containers, then app containers.
    next: usize,
    killing: bool,
    /// Killed by the eviction manager: the pod stays in the API as Failed (Evicted) once its
    /// containers have stopped.
    evicted: bool,
    /// The status the kubelet reports once the containers are gone (an eviction's or a
    /// shutdown's reason and message): `mergePodStatus` holds a terminal phase, and the
    /// DisruptionTarget condition, back while containers may still run.
    terminal_status: Option<(&'static str, String)>,
    /// Containers that still have to stop before a deletion completes.
    stops_pending: u32,
    /// Per container, init containers first.
    containers: Vec<CState>,
    /// Image pulling as the startup SLI counts it: from the first `Pulling` to the last
    /// `Pulled` (failed attempts and back-off included).
    first_pull: Option<SimTime>,
    pull_ms: u64,
    /// Every volume is set up (ConfigMaps and Secrets found); else the current mount back-off.
    mounted: bool,
    mount_backoff_ms: u64,
    /// The sandbox is up, with this address from host-local (`None` on `hostNetwork`).
    sandbox: bool,
    ip: Option<u32>,
    sandbox_attempts: u32,
    /// A container's postStart hook is running: SyncPod waits for it before starting the next
    /// container.
    hook_pending: bool,
}

impl PodWorker {
    fn idx(&self, c: ContainerRef) -> usize {
        if c.init { c.index as usize } else { self.spec.init_containers.len() + c.index as usize }
    }
    fn cref(&self, step: usize) -> ContainerRef {
        let n_init = self.spec.init_containers.len();
        if step < n_init {
            ContainerRef { init: true, index: step as u16 }
        } else {
            ContainerRef { init: false, index: (step - n_init) as u16 }
        }
    }
}

pub struct Kubelet {
    node: NodeId,
    images: ImageManager,
    workers: BTreeMap<PodId, PodWorker>,
    admitted: Resources,
    admitted_pods: u32,
    /// Eviction manager: next scheduled tick, last tick handled, last time under pressure.
    monitor_next: Option<SimTime>,
    monitor_last: Option<SimTime>,
    /// Per `eviction::Pressure`: the last tick its signal was under the threshold.
    pressure_seen: [SimTime; 3],
    /// Static pods whose mirror pod was replaced: old mirror -> new one (timers still name the
    /// old one).
    moved: BTreeMap<PodId, PodId>,
    /// The node has power (the kubelet process runs).
    up: bool,
    /// The kubelet process is dead (`kubelet-service-kill`): its timers wait in `deferred`
    /// until it starts again.
    frozen: bool,
    deferred: Vec<(SimTime, KubeletEvent)>,
    /// `pod-failure`: pods whose containers fail until the given time.
    failing: BTreeMap<PodId, SimTime>,
    /// host-local over the node's pod CIDR, set up at the first sandbox (`Some(None)`: the
    /// node has no pod CIDR).
    network: Option<Option<cni::HostLocal>>,
    /// The sandbox (pause) image on this node's disk, and its name.
    pub sandbox_image: SandboxImage,
    pub sandbox_image_name: Arc<str>,
    /// The shutdown manager is stopping pods before the machine goes off.
    shutting_down: bool,
    /// The container runtime as the kubelet sees it (`container-runtime-down`).
    runtime: runtime_state::RuntimeState,
}

/// Record a kubelet event about a pod (`node` is this kubelet's node, or `Some` of it).
pub(crate) fn pod_event(
    ctx: &mut Ctx,
    pod: PodId,
    node: impl Into<Option<NodeId>>,
    kind: EventType,
    reason: &'static str,
    msg: Message,
) {
    ctx.cause = ctx.record(kind, reason, ObjRef::Pod(pod), node.into(), Source::Kubelet, msg);
}

pub(crate) fn draw(d: DurationDist, ctx: &mut Ctx) -> u64 {
    if d.jitter_ms == 0 { d.mean_ms } else { d.mean_ms - d.jitter_ms + ctx.rng.behavior.below(2 * d.jitter_ms + 1) }
}

pub(crate) fn container(spec: &PodSpec, c: ContainerRef) -> &ContainerSpec {
    if c.init { &spec.init_containers[c.index as usize] } else { &spec.containers[c.index as usize] }
}

pub(crate) fn status_mut(p: &mut Pod, c: ContainerRef) -> &mut ContainerStatus {
    if c.init { &mut p.status.init_containers[c.index as usize] } else { &mut p.status.containers[c.index as usize] }
}

/// How a container's instance ended, as the sync that handles it knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ended {
    /// Its process exited (or was killed from outside): seen at PLEG's relist.
    Exit,
    /// The kubelet stopped it after a failed liveness or startup probe.
    Probe,
    /// The runtime could not start it.
    StartError,
}

fn exit_reason(code: i32, oom: bool) -> &'static str {
    if oom {
        "OOMKilled"
    } else if code == 0 {
        "Completed"
    } else {
        "Error"
    }
}

impl Kubelet {
    pub fn new(node: NodeId, n_images: usize, preloaded: &[ImageId]) -> Kubelet {
        Kubelet {
            node,
            images: ImageManager::new(node, n_images, preloaded),
            workers: BTreeMap::new(),
            admitted: Resources::default(),
            admitted_pods: 0,
            monitor_next: None,
            monitor_last: None,
            pressure_seen: [SimTime::ZERO; 3],
            moved: BTreeMap::new(),
            up: true,
            frozen: false,
            deferred: Vec::new(),
            failing: BTreeMap::new(),
            network: None,
            sandbox_image: SandboxImage::Present,
            shutting_down: false,
            runtime: runtime_state::RuntimeState::default(),
            sandbox_image_name: crate::api::settings::DEFAULT_SANDBOX_IMAGE.into(),
        }
    }

    /// Does this kubelet run (or is it stopping) the pod? A kubelet that is down last
    /// reported what the API shows.
    pub fn runs(&self, pod: PodId) -> bool {
        !self.up || self.workers.contains_key(&pod)
    }

    fn me(&self) -> Watcher {
        Watcher::Kubelet(self.node)
    }

    /// The worker and container state a timer is for, if the timer is still current.
    fn current(&mut self, pod: PodId, c: ContainerRef, epoch: u32) -> Option<(&mut PodWorker, usize)> {
        let w = self.workers.get_mut(&pod)?;
        let i = w.idx(c);
        (w.containers[i].epoch == epoch).then_some((w, i))
    }

    /// The pod a timer or pull names, following mirror pods that were recreated.
    fn resolve(&self, mut id: PodId) -> PodId {
        while let Some(&n) = self.moved.get(&id) {
            id = n;
        }
        id
    }

    pub fn on_watch(&mut self, obj: ObjRef, ctx: &mut Ctx) {
        if !self.up || self.runtime_paused() {
            // Nobody listens (the kubelet syncs from the API when it boots), or the sync loop
            // skips pod work until the runtime is back (then it resyncs).
            return;
        }
        let ObjRef::Pod(id) = obj else { return };
        let p = ctx.api.pod(id);
        if p.node != Some(self.node) {
            return;
        }
        if p.mirror && (p.removed.is_some() || p.deletion.is_some()) && self.workers.contains_key(&id) {
            // Deleting a mirror pod does not stop a static pod: the kubelet posts it again.
            self.recreate_mirror(id, ctx);
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
                // Not running here (never started, or already finished): confirm the deletion.
                self.confirm_deletion(id, ctx);
            }
            None if p.status.phase.is_terminal() => {}
            None => self.admit(id, ctx),
            Some(w) if deleting && !w.killing => self.kill(id, ctx),
            Some(_) => {}
        }
    }

    /// Back in touch with the API server: send every pod's status as the kubelet knows it,
    /// then catch up with the watch events it missed (deletions above all).
    fn resync(&mut self, ctx: &mut Ctx) {
        let root = ctx.cause;
        let now = ctx.now;
        let me = self.me();
        let running: Vec<PodId> = self.workers.keys().copied().collect();
        for &id in &running {
            ctx.cause = root;
            if ctx.api.pod(id).removed.is_some() {
                continue;
            }
            ctx.api.update_pod_status(id, me, |p| status::refresh(p, now));
            let w = &self.workers[&id];
            if ctx.api.pod(id).status.phase.is_terminal() && !w.killing {
                // It finished while nobody was told.
                if let Some(w) = self.workers.remove(&id) {
                    self.release(&w);
                }
            }
        }
        let mut ids: Vec<PodId> = ctx.api.pods_on_node(self.node).to_vec();
        ids.extend(running);
        ids.sort();
        ids.dedup();
        for id in ids {
            ctx.cause = root;
            self.on_watch(ObjRef::Pod(id), ctx);
        }
        ctx.cause = root;
    }

    fn power_off(&mut self) {
        self.runtime_reset();
        self.frozen = false;
        self.shutting_down = false;
        self.deferred.clear();
        self.failing.clear();
        self.up = false;
        self.workers.clear();
        // The sandboxes died with the machine: their addresses are free again.
        self.network = None;
        self.admitted = Resources::default();
        self.admitted_pods = 0;
        self.images.power_off();
        self.monitor_next = None;
    }

    /// Boot: renew the lease, then sync every pod bound here from the API: confirm the
    /// deletions that happened meanwhile, start the others' containers again.
    fn power_on(&mut self, ctx: &mut Ctx) {
        if self.shutting_down {
            self.power_down(ctx); // the fault's end came before the shutdown was over
        }
        if self.up {
            return;
        }
        self.up = true;
        if ctx.api.node(self.node).ready == ConditionStatus::False {
            self.set_node_ready(ctx); // shut down and back before the node controller noticed
        } else if !ctx.api.node(self.node).not_ready_message.is_empty() {
            // A fresh kubelet has no error to report: the node controller finds it Ready.
            ctx.api.update_node(self.node, |x| x.not_ready_message = "");
        }
        ctx.api.lease_start(self.node, ctx.now);
        ctx.api.set_lease_back_why(self.node, ctx.cause);
        if std::mem::take(&mut self.runtime.network_down) {
            self.cni_changed(true, ctx);
        }
        let pods: Vec<PodId> = ctx.api.pods_on_node(self.node).to_vec();
        let root = ctx.cause;
        for id in pods {
            ctx.cause = root;
            let p = ctx.api.pod(id);
            if p.removed.is_some() || p.status.phase.is_terminal() {
                continue;
            }
            if p.deletion.is_some() {
                self.confirm_deletion(id, ctx);
                continue;
            }
            let now = ctx.now;
            if p.spec.restart_policy == RestartPolicy::Never {
                // Never means never: the containers died with the node, so the pod has failed.
                ctx.api.update_pod_status(id, self.me(), |p| {
                    for s in p.status.containers.iter_mut().chain(p.status.init_containers.iter_mut()) {
                        if let ContainerState::Running { .. } | ContainerState::Waiting { .. } = s.state {
                            s.state = ContainerState::Terminated {
                                exit_code: EXIT_CODE_LOST,
                                reason: "Unknown",
                                finished: now,
                            };
                        }
                        s.ready = false;
                    }
                    p.status.ready = false;
                    p.status.phase = PodPhase::Failed;
                    p.finished_at = Some(now);
                });
                continue;
            }
            // The containers died with the node: they start again from scratch.
            ctx.api.update_pod_status(id, self.me(), |p| {
                for s in p.status.containers.iter_mut().chain(p.status.init_containers.iter_mut()) {
                    if let ContainerState::Running { .. } = s.state {
                        s.last_terminated = Some((EXIT_CODE_LOST, "Unknown", now));
                        s.restart_count += 1;
                    }
                    s.set_state(ContainerState::Waiting { reason: "ContainerCreating" });
                    s.ready = false;
                }
                p.status.ready = false;
                p.status.sandbox_ready = false;
                status::refresh_restarting(p, now);
            });
            // computePodActions finds the old sandbox not ready: a new one, new containers.
            let msg = Message::Text("Pod sandbox changed, it will be killed and re-created.".into());
            pod_event(ctx, id, Some(self.node), EventType::Normal, "SandboxChanged", msg);
            self.admit(id, ctx);
        }
    }

    fn release(&mut self, w: &PodWorker) {
        self.admitted.sub(w.requests);
        self.admitted_pods -= 1;
        self.release_ip(w.ip);
    }

    /// Admission: the pod must fit the node's allocatable (`predicateAdmitHandler`) and the node
    /// must not be shutting down (the shutdown manager's handler, after it).
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
        // generalFilter: after the resources, a NoExecute taint the pod does not tolerate
        // (static pods are not checked).
        let untolerated = !p.mirror
            && node
                .taints
                .iter()
                .any(|t| t.effect == TaintEffect::NoExecute && !spec.tolerations.iter().any(|x| x.tolerates(t)));
        let condition = self.condition_rejects(&spec, p.mirror, node);
        // NodePorts, against the pods admitted here that have not finished.
        let ports_taken = !spec.host_ports.is_empty()
            && self.workers.iter().any(|(&o, w)| {
                !ctx.api.pod(o).status.phase.is_terminal()
                    && w.spec.host_ports.iter().any(|u| spec.host_ports.iter().any(|h| h.conflicts(u)))
            });
        let reject = match reject {
            _ if condition.is_some() => condition.map(|m| (eviction::NODE_CONDITION_REJECT_REASON, m)),
            Some((reason, res, r, used, cap)) => Some((
                reason,
                format!("Node didn't have enough resource: {res}, requested: {r}, used: {used}, capacity: {cap}"),
            )),
            None if ports_taken => {
                Some((NODE_PORTS_REASON, format!("Predicate NodePorts failed: {NODE_PORTS_ERR_REASON}")))
            }
            None if untolerated => Some((TAINT_TOLERATION_REASON, TAINT_TOLERATION_MESSAGE.into())),
            None if self.shutting_down => Some((
                termination::NODE_SHUTDOWN_NOT_ADMITTED_REASON,
                termination::NODE_SHUTDOWN_NOT_ADMITTED_MESSAGE.into(),
            )),
            None => None,
        };
        if let Some((reason, msg)) = reject {
            let now = ctx.now;
            let status_msg = format!("Pod was rejected: {msg}");
            ctx.api.update_pod_status(id, self.me(), |p| {
                p.status.phase = PodPhase::Failed;
                p.status.reason = Some(reason);
                p.status.message = Some(status_msg);
                // rejectPod writes a fresh status: no container ever had one.
                p.status.containers.clear();
                p.status.init_containers.clear();
                p.finished_at = Some(now);
            });
            ctx.cause = ctx.record(
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
        let n = spec.init_containers.len() + spec.containers.len();
        self.workers.insert(
            id,
            PodWorker {
                spec,
                requests: req,
                next: 0,
                killing: false,
                evicted: false,
                terminal_status: None,
                stops_pending: 0,
                containers: vec![CState::default(); n],
                first_pull: None,
                pull_ms: 0,
                mounted: false,
                mount_backoff_ms: 0,
                sandbox: false,
                ip: None,
                sandbox_attempts: 0,
                hook_pending: false,
            },
        );
        self.check_pull_secrets(id, ctx);
        if self.volumes_ready(id, ctx) {
            self.advance(id, ctx);
        }
        // The first sync's status write: the sandbox's when it came up (its write carries the
        // whole status), else the Pending status with PodReadyToStartContainers False.
        if self.workers.get(&id).is_some_and(|w| !w.sandbox) {
            ctx.api.update_pod_status(id, self.me(), |_| {});
        }
    }

    /// Run the start sequence as far as it can go now: init containers one at a time (each
    /// must complete), then every app container.
    fn advance(&mut self, id: PodId, ctx: &mut Ctx) {
        if self.network_blocks(id, ctx) {
            let w = &self.workers[&id];
            if !w.sandbox || w.next < w.containers.len() {
                let wait = error_requeue_ms(ctx);
                ctx.after(wait, Event::Kubelet(self.node, KubeletEvent::SyncRetry { pod: id }));
            }
            return;
        }
        if !self.sandbox_ready(id, ctx) {
            return;
        }
        loop {
            let Some(w) = self.workers.get(&id) else { return };
            if w.killing || w.hook_pending || w.next >= w.containers.len() {
                return;
            }
            let c = w.cref(w.next);
            if !self.start_container(id, c, ctx) {
                return; // waiting for an image pull (or it can never be had)
            }
            if c.init {
                return; // the next step waits for this init container to complete
            }
            // A start that failed for good may have finished the pod (restartPolicy Never).
            let Some(w) = self.workers.get_mut(&id) else { return };
            w.next += 1;
        }
    }

    /// Ensure the image, then create the container. False while the image is not there yet.
    fn start_container(&mut self, id: PodId, c: ContainerRef, ctx: &mut Ctx) -> bool {
        let w = &self.workers[&id];
        let cs = container(&w.spec, c);
        let (image, policy) = (cs.image, cs.pull_policy);
        let epoch = w.containers[w.idx(c)].epoch;
        match self.images.ensure(id, c, image, policy, epoch, ctx) {
            images::Ensure::Ready => {
                if !self.env_ready(id, c, ctx) {
                    return false;
                }
                self.create_container(id, c, ctx);
                true
            }
            images::Ensure::Pulling => false,
            images::Ensure::Later => {
                let wait = error_requeue_ms(ctx);
                ctx.after(wait, Event::Kubelet(self.node, KubeletEvent::Resync { pod: id, c, epoch }));
                false
            }
        }
    }

    fn create_container(&mut self, id: PodId, c: ContainerRef, ctx: &mut Ctx) {
        if let Some(err) = self.create_error(id, c, ctx) {
            self.create_failed(id, c, "CreateContainerError", err, ctx);
            return;
        }
        ctx.cause = ctx.record(
            EventType::Normal,
            "Created",
            ObjRef::Pod(id),
            Some(self.node),
            Source::Kubelet,
            Message::Created { container: c },
        );
        if let Some(err) = self.start_error(id, c, ctx) {
            self.start_failed(id, c, err, ctx);
            return;
        }
        let w = self.workers.get_mut(&id).expect("worker exists");
        let i = w.idx(c);
        let startup = container(&w.spec, c).behavior.startup;
        w.hook_pending |= container(&w.spec, c).post_start;
        let epoch = w.containers[i].epoch;
        let startup = draw(startup, ctx);
        ctx.after(startup, Event::Kubelet(self.node, KubeletEvent::Started { pod: id, c, epoch }));
    }

    /// An image pull finished: the container that waited for it goes on.
    pub fn on_pull_done(&mut self, request: u32, result: Result<(), crate::api::events::PullError>, ctx: &mut Ctx) {
        if !self.up {
            return;
        }
        let Some((pod, c, epoch, requested, ok)) = self.images.pull_done(request, result, ctx) else { return };
        let pod = self.resolve(pod);
        let node = self.node;
        let Some((w, i)) = self.current(pod, c, epoch) else { return };
        if w.killing {
            return;
        }
        let first = *w.first_pull.get_or_insert(requested);
        if ok {
            w.pull_ms = ctx.now.since(first);
        }
        if !ok {
            let wait = error_requeue_ms(ctx);
            ctx.after(wait, Event::Kubelet(node, KubeletEvent::Resync { pod, c, epoch }));
            return;
        }
        let initial = i == w.next;
        if !self.env_ready(pod, c, ctx) {
            return;
        }
        self.create_container(pod, c, ctx);
        if initial && !c.init {
            let Some(w) = self.workers.get_mut(&pod) else { return };
            w.next += 1;
            self.advance(pod, ctx);
        }
    }

    fn container_started(&mut self, id: PodId, c: ContainerRef, ctx: &mut Ctx) {
        let now = ctx.now;
        let node = self.node;
        let w = self.workers.get_mut(&id).expect("worker exists");
        let i = w.idx(c);
        let cs = container(&w.spec, c).clone();
        let b = cs.behavior;
        let epoch = w.containers[i].epoch;
        pod_event(ctx, id, node, EventType::Normal, "Started", Message::Started { container: c });
        // The process's fate: the earliest of its own exit, a crash, and the OOM killer.
        let mut fate: Option<(u64, i32, bool)> = None;
        let mut consider = |after: u64, code: i32, oom: bool| {
            if fate.is_none_or(|f| after < f.0) {
                fate = Some((after, code, oom));
            }
        };
        if let Some((after, code)) = b.exit {
            let after = draw(after, ctx);
            consider(after, code, false);
        } else if c.init && !cs.sidecar {
            consider(0, 0, false); // an init container's work is done once it is up
        }
        if let Some((mean, code)) = b.crash {
            let bits = ctx.rng.behavior.next_u64();
            consider(exponential_ms(mean, bits), code, false);
        }
        if let Some((start, growth)) = b.memory
            && cs.has_memory_limit
        {
            let limit = cs.limits.memory;
            if start > limit {
                consider(0, EXIT_CODE_SIGKILL, true);
            } else if growth > 0 {
                // First whole millisecond at which usage exceeds the limit.
                consider(((limit - start) as u128 * 1000 / growth as u128) as u64 + 1, EXIT_CODE_SIGKILL, true);
            }
        }
        if self.failing.get(&id).is_some_and(|&until| now < until) {
            consider(0, 1, false); // `pod-failure`: the container fails as soon as it starts
        }
        let answers = draw(b.ready, ctx);
        let hang = b.hang.map(|h| draw(h, ctx));
        let st = &mut w.containers[i];
        st.running = true;
        st.stopping = false;
        st.started_at = now;
        st.exited = None;
        st.answers_from = now.plus(answers);
        st.hangs_at = hang.map(|h| now.plus(h));
        st.probes = ProbeState::default();
        if let Some((after, code, oom)) = fate {
            ctx.after(after, Event::Kubelet(node, KubeletEvent::Exited { pod: id, c, epoch, code, oom }));
        }
        if cs.post_start {
            // startContainer runs the hook before it returns: the status stays as it was
            // (ContainerCreating) and nothing else starts until the hook is over.
            let hook = draw(b.post_start, ctx);
            ctx.after(hook, Event::Kubelet(node, KubeletEvent::PostStartDone { pod: id, c, epoch }));
            return;
        }
        self.container_running(id, c, ctx);
    }

    /// The container is up and reported Running (its hook, if any, done): the status write,
    /// the probes, and a sidecar lets the sequence go on.
    fn container_running(&mut self, id: PodId, c: ContainerRef, ctx: &mut Ctx) {
        let now = ctx.now;
        let node = self.node;
        let w = &self.workers[&id];
        let cs = container(&w.spec, c);
        let (b, sidecar, startup_probe) = (cs.behavior, cs.sidecar, cs.startup_probe.is_some());
        let ready_now = cs.readiness_probe.is_none() && !startup_probe;
        let (started, pull_ms) = (w.containers[w.idx(c)].started_at, w.pull_ms);
        ctx.api.update_pod_status(id, Watcher::Kubelet(node), |p| {
            let s = status_mut(p, c);
            s.set_state(ContainerState::Running { started });
            s.ready = ready_now;
            p.pull_ms = pull_ms;
            status::refresh(p, now);
        });
        self.schedule_first_probes(id, c, ctx);
        if b.memory.is_some() {
            self.ensure_monitor(ctx);
        }
        // A sidecar lets the sequence go on once it has started (its startup probe, if any,
        // passed: see `startup_passed`).
        if sidecar && !startup_probe {
            self.sidecar_up(id, c, true, ctx);
        }
    }

    /// The postStart hook is over. Failed: `FailedPostStartHook`, the container killed (then
    /// restarted per policy, with back-off); either way SyncPod goes on with the next ones.
    fn post_start_done(&mut self, id: PodId, c: ContainerRef, ctx: &mut Ctx) {
        let w = self.workers.get_mut(&id).expect("worker exists");
        w.hook_pending = false;
        if container(&w.spec, c).behavior.post_start_fails {
            let node = Some(self.node);
            // Upstream leaves the hook's output out of the event (it may hold secrets).
            pod_event(
                ctx,
                id,
                node,
                EventType::Warning,
                "FailedPostStartHook",
                Message::Text("PostStartHook failed".into()),
            );
            self.kill_to_restart(id, c, Message::Text("FailedPostStartHook".into()), ctx);
        } else {
            self.container_running(id, c, ctx);
        }
        if !c.init {
            self.advance(id, ctx);
        }
    }

    /// A sidecar is up: the start sequence moves past it (the first time only). `relist`: the
    /// pod worker learns it from PLEG's next relist (a startup probe's success wakes it at once).
    pub(super) fn sidecar_up(&mut self, id: PodId, c: ContainerRef, relist: bool, ctx: &mut Ctx) {
        let w = self.workers.get_mut(&id).expect("worker exists");
        if w.idx(c) != w.next {
            return;
        }
        w.next += 1;
        if relist && w.next < w.containers.len() {
            let next = w.cref(w.next);
            let epoch = w.containers[w.next].epoch;
            let wait = until_relist_ms(ctx.now);
            ctx.after(wait, Event::Kubelet(self.node, KubeletEvent::Resync { pod: id, c: next, epoch }));
        } else {
            self.advance(id, ctx);
        }
    }

    /// The pod worker's sync after a container's process ended at `finished` (seen by PLEG's
    /// relist, or stopped by the kubelet after failing its liveness or startup probe): record
    /// the termination, then restart per policy or finish the pod.
    fn container_exited(&mut self, id: PodId, c: ContainerRef, exit: (i32, bool, SimTime), how: Ended, ctx: &mut Ctx) {
        let (code, oom, finished) = exit;
        let by_probe = how == Ended::Probe;
        let now = ctx.now;
        let me = self.me();
        let w = self.workers.get_mut(&id).expect("worker exists");
        let i = w.idx(c);
        let st = &mut w.containers[i];
        st.running = false;
        st.exited = None;
        st.finished = finished;
        st.epoch = st.epoch.wrapping_add(1); // cancels its probes and fate
        let policy = w.spec.restart_policy;
        let sidecar = container(&w.spec, c).sidecar;
        let reason = if how == Ended::StartError { START_ERROR_REASON } else { exit_reason(code, oom) };
        ctx.rec.exits.push(crate::record::ContainerExit { finished, pod: id, container: c, code, reason });
        let restart = sidecar
            || match policy {
                RestartPolicy::Always => true,
                RestartPolicy::OnFailure => code != 0 || by_probe,
                RestartPolicy::Never => false,
            };
        // An init container that succeeded moves the sequence on instead.
        if c.init && !sidecar && code == 0 && !by_probe {
            ctx.api.update_pod_status(id, me, |p| {
                let s = status_mut(p, c);
                s.state = ContainerState::Terminated { exit_code: 0, reason, finished };
                s.ready = false;
            });
            w.next = i + 1;
            self.advance(id, ctx);
            return;
        }
        if !restart {
            // When every app container has terminated for good, the kubelet stops the pod's
            // sidecars (they do not keep a finished pod alive); getPhase then ignores them.
            let sidecars: Vec<ContainerRef> = (0..w.containers.len())
                .filter(|&i| w.containers[i].running && container(&w.spec, w.cref(i)).sidecar)
                .map(|i| w.cref(i))
                .collect();
            let mut done = false;
            ctx.api.update_pod_status(id, me, |p| {
                let s = status_mut(p, c);
                s.state = ContainerState::Terminated { exit_code: code, reason, finished };
                s.ready = false;
                // Done once every app container has ended for good: one that shows its exit
                // while a restart is coming (OnFailure after a failure) is not.
                done = p.status.containers.iter().all(|s| {
                    matches!(s.state, ContainerState::Terminated { exit_code, .. }
                        if policy == RestartPolicy::Never || exit_code == 0)
                });
                if done {
                    for &sc in &sidecars {
                        let st = status_mut(p, sc);
                        st.state = ContainerState::Terminated { exit_code: 0, reason: "Completed", finished: now };
                        st.ready = false;
                    }
                }
                status::refresh(p, now);
            });
            if done || ctx.api.pod(id).status.phase.is_terminal() {
                // Nothing left to run: the pod is done (it stays in the API as Completed/Error).
                if let Some(w) = self.workers.remove(&id) {
                    for &sc in &sidecars {
                        let node = Some(self.node);
                        pod_event(ctx, id, node, EventType::Normal, "Killing", Message::Killing { container: sc });
                    }
                    self.release(&w);
                }
            }
            return;
        }
        // The sync's status shows the dead instance as it ended (`OOMKilled`, `Error`,
        // `Completed`), its predecessor's end as the last state, until a new instance exists or
        // the next sync shows the back-off; a container the kubelet itself stopped for a probe
        // was still running when that sync's status was made.
        let shown = if by_probe {
            ContainerState::Waiting { reason: "ContainerCreating" }
        } else {
            ContainerState::Terminated { exit_code: code, reason, finished }
        };
        let killed = by_probe.then_some((code, reason, finished));
        self.do_back_off(id, c, shown, killed, ctx);
    }
}

#[cfg(test)]
mod tests;
