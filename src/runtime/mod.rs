//! The runtime layer: the event enum of a run and the `Ctx` a handler gets. It sits below the
//! components (scheduler, controllers, kubelets, chaos), which import it, and above what they
//! share (the API server, the recorder, the world); `cluster.rs` wires them. Nothing here knows
//! a component's state.

pub mod events;
#[cfg(test)]
pub mod testing;

use crate::api::events::{ObjRef, Source};
use crate::api::settings::{ImageDef, KubeSettings};
use crate::api::*;
use crate::apiserver::{ApiServer, Notification};
use crate::record::Recorder;
use crate::sim::{EventQueue, RngStreams, SimTime};
use crate::world::{Registry, RegistryEvent};
pub use events::{KubeletEvent, NodeLifecycleEvent, SchedulerEvent};

/// Every event of a run. Small and `Copy`; each component owns its variants.
///
/// | variant | sender -> receiver | effect |
/// |---|---|---|
/// | `Watch` | API server -> a watcher | "this object changed"; the watcher re-reads it |
/// | `Scheduler` | scheduler -> itself | a scheduling cycle, a backoff expiry, the leftover flush |
/// | `Kubelet` | kubelet -> itself | lease renewal, container started/ready/exited, grace expiry |
/// | `Registry` | registry -> itself | first byte of a pull, end of a transfer (then -> kubelet) |
/// | `ReplicaSetWork` / `DeploymentWork` | controller -> itself | process the next queued key |
/// | `Fault` / `FaultEnd` | fault plan -> chaos | inject fault number `n` of the plan / end it |
/// | `Sample` | recorder -> itself | take a time-series sample |
#[derive(Clone, Copy, Debug)]
pub enum Event {
    Watch(Notification),
    Scheduler(SchedulerEvent),
    Kubelet(NodeId, KubeletEvent),
    Registry(RegistryEvent),
    ReplicaSetWork,
    DeploymentWork,
    /// A Deployment's progress deadline may have passed.
    DeploymentDeadline(DeployId),
    JobWork,
    /// A Job's batch period, back-off or active deadline ended.
    JobSync(JobId),
    CronJobWork,
    /// A CronJob's next schedule time (plus `nextScheduleDelta`) has come.
    CronJobSync(crate::api::CronJobId),
    DaemonSetWork,
    StatefulSetWork,
    /// A controller's key is queued again after its rate limiter's back-off (a failed sync).
    Requeue(Requeue),
    DisruptionWork,
    /// A disrupted pod of a budget stops being held back (`DeletionTimeout`).
    DisruptionTimer(PdbId),
    /// The pod garbage collector's period.
    PodGc,
    /// A `node-drain` retries its evictions or looks for its pods' deletion.
    DrainTick(u32),
    /// Trace pod `n` arrives (as a Job); the next arrival is scheduled then.
    TraceArrival(u32),
    NodeLifecycle(NodeLifecycleEvent),
    Fault(u32),
    FaultEnd(u32),
    Sample,
}

/// A key of a controller that retries a failed sync (a pod create the API server refused).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Requeue {
    ReplicaSet(crate::api::RsId),
    DaemonSet(crate::api::DsId),
    StatefulSet(crate::api::StsId),
}

/// What a handler may touch: the clock, the API server, the recorder, RNG streams and the
/// physical world. Components keep their own state and get this for each event.
pub struct Ctx<'a> {
    pub now: SimTime,
    /// The recorded event that led here (0 = a root cause): what the handler records and
    /// schedules is attributed to it. Handlers change it explicitly.
    pub cause: EventId,
    pub api: &'a mut ApiServer,
    pub rec: &'a mut Recorder,
    pub rng: &'a mut RngStreams,
    pub registry: &'a mut Registry,
    /// Memory taken on each node by processes outside pods (`node-memory-hog`).
    pub memory_hog: &'a mut Vec<u64>,
    /// Disk taken on each node outside pods and images (`disk-fill`).
    pub disk_fill: &'a mut Vec<u64>,
    /// Processes running on each node outside pods (`pid-exhaustion`).
    pub pid_hog: &'a mut Vec<u64>,
    pub images: &'a [ImageDef],
    pub settings: &'a KubeSettings,
    /// Only the wiring (and the test harness) sets these; components use `after` and `at`.
    pub(crate) queue: &'a mut EventQueue<Event>,
    pub(crate) outbox: &'a mut Vec<Notification>,
}

impl Ctx<'_> {
    /// Record a Kubernetes Event caused by `self.cause`; writes made so far in this handler are
    /// attributed to it. The handler's cause does not change: a handler that wants what it does
    /// next to follow from this event says so (`ctx.cause = ctx.record(...)`).
    pub fn record(
        &mut self,
        kind: EventType,
        reason: &'static str,
        object: ObjRef,
        node: Option<NodeId>,
        source: Source,
        message: Message,
    ) -> EventId {
        let id = self.rec.record(self.now, kind, reason, object, node, source, message, self.cause);
        self.flush_watches_as(id);
        id
    }

    /// Schedule one of the caller's own events `delay_ms` from now.
    pub fn after(&mut self, delay_ms: u64, event: Event) {
        self.queue.schedule_in(delay_ms, self.cause, event);
    }

    pub fn at(&mut self, time: SimTime, event: Event) {
        self.queue.schedule_at(time, self.cause, event);
    }

    /// Turn the API server's queued notifications into deliveries after the watch latency.
    pub fn flush_watches(&mut self) {
        self.flush_watches_as(self.cause);
    }

    /// `flush_watches`, the deliveries caused by `cause`.
    fn flush_watches_as(&mut self, cause: EventId) {
        self.api.drain_outbox(self.outbox);
        for n in self.outbox.drain(..) {
            self.queue.schedule_in(self.settings.watch_latency_ms, cause, Event::Watch(n));
        }
    }
}
