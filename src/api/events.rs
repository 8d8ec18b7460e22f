//! Recorded Kubernetes Events. Messages are kept structured (ids and numbers) and rendered
//! only when outputs are written, so recording an event on the hot path builds no string.

use super::{DeployId, DsId, EventId, ImageId, JobId, NodeId, PdbId, PodId, RsId, StsId};
use crate::sim::SimTime;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    Normal,
    Warning,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Normal => "Normal",
            EventType::Warning => "Warning",
        }
    }
}

/// The object an event is about (`involvedObject`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ObjRef {
    Pod(PodId),
    Node(NodeId),
    ReplicaSet(RsId),
    Deployment(DeployId),
    Job(JobId),
    DaemonSet(DsId),
    StatefulSet(StsId),
    PodDisruptionBudget(PdbId),
    CronJob(crate::api::CronJobId),
    /// The control plane as a whole (`apiserver-outage`).
    ControlPlane,
}

/// The component that reported it (`source.component`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    Scheduler,
    Kubelet,
    ReplicaSetController,
    DeploymentController,
    NodeController,
    TaintEvictionController,
    JobController,
    CronJobController,
    DaemonSetController,
    StatefulSetController,
    /// The disruption controller (events under kube-controller-manager's name).
    DisruptionController,
    PodGarbageCollector,
    /// kubesim's own fault injector (not a Kubernetes component).
    Chaos,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Scheduler => "default-scheduler",
            Source::Kubelet => "kubelet",
            Source::ReplicaSetController => "replicaset-controller",
            Source::DeploymentController => "deployment-controller",
            Source::NodeController => "node-controller",
            Source::TaintEvictionController => "taint-eviction-controller",
            Source::JobController => "job-controller",
            Source::CronJobController => "cronjob-controller",
            Source::DaemonSetController => "daemonset-controller",
            Source::StatefulSetController => "statefulset-controller",
            Source::DisruptionController => "controllermanager",
            Source::PodGarbageCollector => "pod-garbage-collector",
            Source::Chaos => "kubesim-chaos",
        }
    }
}

/// Which container of a pod: index into `containers` or `initContainers`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ContainerRef {
    pub init: bool,
    pub index: u16,
}

/// Event messages, rendered in upstream's wording by `report::messages`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// "Successfully assigned {ns}/{pod} to {node}"
    Scheduled { node: NodeId },
    /// Built when it happens (rare paths): "0/3 nodes are available: ..."; shared when the
    /// same text repeats.
    Text(std::sync::Arc<str>),
    /// `Pulling image "{image}"`
    Pulling { image: ImageId },
    /// `Successfully pulled image "{image}" in {pull} ({total} including waiting). Image size: {size} bytes.`
    Pulled { image: ImageId, pull_ms: u64, total_ms: u64, size: u64 },
    /// `Container image "{image}" already present on machine`
    AlreadyPresent { image: ImageId },
    /// `Container image "{image}" is not present with pull policy of Never`
    NeverPull { image: ImageId },
    /// "Created container: {name}"
    Created { container: ContainerRef },
    /// "Started container {name}"
    Started { container: ContainerRef },
    /// "Stopping container {name}"
    Killing { container: ContainerRef },
    /// "Created pod: {pod}"
    CreatedPod { pod: PodId },
    /// "Deleted pod: {pod}"
    DeletedPod { pod: PodId },
    /// `Failed to pull image "{image}": ...`
    PullFailed { image: ImageId, err: PullError },
    /// `Error: {reason}` (ErrImagePull, ImagePullBackOff)
    Error { reason: &'static str },
    /// `Back-off pulling image "{image}"`
    BackOffPulling { image: ImageId },
    /// "Back-off restarting failed container {name} in pod {pod}_{ns}({uid})"
    BackOff { container: ContainerRef },
    /// "{Kind} probe failed: ..." (`hung`: timed out; otherwise the connection was refused)
    /// `hung`: no answer within the timeout (`slow`: the process took the connection but
    /// answered too late); `ip`: the pod's address when the probe ran.
    Unhealthy { container: ContainerRef, kind: crate::api::ProbeKind, hung: bool, slow: bool, ip: u32 },
    /// "Container {name} failed {kind} probe, will be restarted"
    ProbeKilled { container: ContainerRef, kind: crate::api::ProbeKind },
    /// "Scaled up replica set {rs} from {from} to {to}" (or down)
    ScaledReplicaSet { rs: RsId, from: u32, to: u32 },
}

#[derive(Clone, Debug)]
pub struct RecordedEvent {
    pub id: EventId,
    pub time: SimTime,
    pub kind: EventType,
    pub reason: &'static str,
    pub object: ObjRef,
    pub node: Option<NodeId>,
    pub source: Source,
    pub message: Message,
    /// The event that led to this one; 0 for a root cause.
    pub cause: EventId,
    /// An event series (events/v1, as kube-scheduler records): how many times the same event
    /// was observed, and when last.
    pub count: u32,
    pub last_seen: SimTime,
}

impl RecordedEvent {
    /// An eviction carried out: node-pressure (`Evicted`), a preemption, an eviction through
    /// the API (`EvictionRequested`, a drain's) or a taint eviction.
    pub fn is_eviction(&self) -> bool {
        matches!(self.reason, "Evicted" | "Preempted" | "EvictionRequested") || self.is_taint_eviction()
    }

    /// A taint eviction carried out ("Marking for deletion ..."), not one cancelled.
    pub fn is_taint_eviction(&self) -> bool {
        self.reason == "TaintManagerEviction" && matches!(&self.message, Message::Text(m) if m.starts_with("Marking"))
    }
}

/// Why a pull failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PullError {
    /// The registry cannot be reached (`registry-outage`).
    Unavailable,
    /// The registry has no such image (`image-missing`, a bad tag).
    NotFound,
}
