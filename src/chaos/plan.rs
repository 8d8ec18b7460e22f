//! The fault plan: what the scenario's `spec.faults` becomes once validated. Plain data that
//! chaos acts on; the scenario loader builds it.

use crate::api::settings::NodeDef;
use crate::api::{ImageId, LabelSelector};
use crate::sim::SimTime;

/// Pods a pod action picks: Chaos Mesh's namespace + label selector + mode.
#[derive(Clone, Debug)]
pub struct PodTarget {
    pub namespace: String,
    pub selector: LabelSelector,
    pub mode: PodMode,
}

/// Chaos Mesh's target modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodMode {
    One,
    All,
    Fixed(u32),
    FixedPercent(u32),
}

#[derive(Clone, Debug)]
pub enum FaultDef {
    /// `kubectl delete pod` on the pods the selector picks at `at`.
    PodKill { at: SimTime, target: PodTarget, grace_ms: Option<u64> },
    /// The picked pods' containers fail (and fail at every restart) until the end.
    PodFailure { at: SimTime, until: Option<SimTime>, target: PodTarget },
    /// SIGKILL to the named containers of the picked pods.
    ContainerKill { at: SimTime, target: PodTarget, containers: Vec<String> },
    /// The nodes cannot reach the control plane: no lease renewals, no status, no watch events;
    /// their containers keep running.
    NetworkPartition { at: SimTime, until: Option<SimTime>, nodes: Vec<crate::api::NodeId> },
    /// The kubelet process dies on the nodes (systemd restarts it at `until`).
    KubeletKill { at: SimTime, until: Option<SimTime>, nodes: Vec<crate::api::NodeId> },
    /// The nodes' container runtime (containerd) stops answering: the kubelet reports
    /// Ready=False and skips pod work; the containers keep running.
    RuntimeDown { at: SimTime, until: Option<SimTime>, nodes: Vec<crate::api::NodeId> },
    /// The API server is unreachable: nothing in the control plane changes state.
    ApiserverOutage { at: SimTime, until: Option<SimTime> },
    /// `mtbf` / `mttr`: each node fails after an exponential time with mean `mtbf` (from
    /// `from`), is repaired after one with mean `mttr`, and so on to the end of the run. The
    /// cluster expands it into concrete faults from the seed (`random_failure_plan`).
    RandomFailures { from: SimTime, action: RandomAction, nodes: Vec<crate::api::NodeId>, mtbf_ms: u64, mttr_ms: u64 },
    /// `kubectl cordon` (or `uncordon` when `cordon` is false) on the target nodes.
    NodeCordon { at: SimTime, nodes: Vec<crate::api::NodeId>, cordon: bool },
    /// `kubectl taint nodes NODE KEY=VALUE:EFFECT` (`add`), or `KEY:EFFECT-` / `KEY-` (every
    /// effect of the key when `effect` is `None`).
    Taint {
        at: SimTime,
        nodes: Vec<crate::api::NodeId>,
        key: String,
        value: String,
        effect: Option<crate::api::TaintEffect>,
        add: bool,
    },
    /// Power off: the kubelet and every container stop; with `until`, the node boots again.
    /// `graceful` (`node-shutdown`): a shutdown the kubelet's shutdown manager sees coming.
    NodeCrash { at: SimTime, until: Option<SimTime>, nodes: Vec<crate::api::NodeId>, graceful: bool },
    /// A process outside any pod takes `bytes` of memory on the target nodes.
    NodeMemoryHog { at: SimTime, until: Option<SimTime>, nodes: Vec<crate::api::NodeId>, bytes: u64 },
    /// Files outside pods take `bytes` of the target nodes' disk (nodefs).
    DiskFill { at: SimTime, until: Option<SimTime>, nodes: Vec<crate::api::NodeId>, bytes: u64 },
    /// The runtime's network plugin is not initialized on the target nodes (no CNI config).
    CniDown { at: SimTime, until: Option<SimTime>, nodes: Vec<crate::api::NodeId> },
    /// Processes outside pods (a leak, a fork bomb on the host) take `processes` PIDs on the
    /// target nodes.
    PidExhaustion { at: SimTime, until: Option<SimTime>, nodes: Vec<crate::api::NodeId>, processes: u64 },
    /// Every pull fails until the end.
    RegistryOutage { at: SimTime, until: Option<SimTime> },
    /// Pull bandwidth divided by `factor` until the end.
    RegistrySlow { at: SimTime, until: Option<SimTime>, factor: u32 },
    /// Pulls of one image fail (a bad tag) until the end.
    ImageMissing { at: SimTime, until: Option<SimTime>, image: ImageId },
    /// `kubectl set image deployment/NAME CONTAINER=IMAGE` (`container` indexes
    /// `containers`, or `initContainers` when `init`).
    /// `behavior`: the new container's, resolved at load time (image, rules, annotation).
    SetImage {
        at: SimTime,
        deployment: RolloutTarget,
        init: bool,
        container: usize,
        image: ImageId,
        behavior: crate::api::Behavior,
    },
    /// `kubectl rollout restart deployment/NAME`.
    RolloutRestart { at: SimTime, deployment: RolloutTarget },
    /// `kubectl drain`: cordon, then evict every pod but mirror and DaemonSet pods through the
    /// eviction API (PodDisruptionBudgets respected, refusals retried every 5 s).
    NodeDrain { at: SimTime, nodes: Vec<crate::api::NodeId>, force: bool, grace_ms: Option<u64> },
    /// New nodes of a pool join (their kubelets register them).
    AddNodes { at: SimTime, nodes: Vec<NodeDef> },
    /// `kubectl delete node`: the Node object goes; the machine, if running, does not know.
    DeleteNode { at: SimTime, nodes: Vec<crate::api::NodeId> },
    /// `kubectl scale WORKLOAD --replicas=N`.
    Scale { at: SimTime, workload: ScaleTarget, replicas: u32 },
    /// `apply`: objects created (or replaced) mid-run: ConfigMaps, Secrets, ServiceAccounts.
    Apply { at: SimTime, file: String, configs: Vec<crate::api::ConfigObject>, service_accounts: Vec<(String, String)> },
    /// `delete`: one ConfigMap, Secret or ServiceAccount removed.
    Delete { at: SimTime, target: DeleteTarget, namespace: String, name: String },
    /// `remove-finalizers`: `kubectl patch pod NAME --type=json -p '[{"op":"remove",
    /// "path":"/metadata/finalizers"}]'`, what an operator does for a pod stuck deleting.
    RemoveFinalizers { at: SimTime, namespace: String, name: String },
}

/// What `delete` removes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeleteTarget {
    Config(crate::api::ConfigKind),
    ServiceAccount,
    Namespace,
}

/// The node actions that can fail at random.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RandomAction {
    Crash,
    Restart,
    Partition,
    KubeletKill,
}

/// A workload a rollout (`set-image`, `rollout-restart`) can act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RolloutTarget {
    Deployment(crate::api::DeployId),
    DaemonSet(crate::api::DsId),
}

/// A workload `scale` can act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScaleTarget {
    Deployment(crate::api::DeployId),
    ReplicaSet(crate::api::RsId),
    StatefulSet(crate::api::StsId),
}

impl FaultDef {
    pub fn at(&self) -> SimTime {
        match self {
            FaultDef::PodKill { at, .. }
            | FaultDef::NodeCordon { at, .. }
            | FaultDef::Taint { at, .. }
            | FaultDef::RegistryOutage { at, .. }
            | FaultDef::RegistrySlow { at, .. }
            | FaultDef::ImageMissing { at, .. }
            | FaultDef::NodeMemoryHog { at, .. }
            | FaultDef::DiskFill { at, .. }
            | FaultDef::PidExhaustion { at, .. }
            | FaultDef::CniDown { at, .. }
            | FaultDef::NodeCrash { at, .. }
            | FaultDef::SetImage { at, .. }
            | FaultDef::RolloutRestart { at, .. }
            | FaultDef::Scale { at, .. }
            | FaultDef::Apply { at, .. }
            | FaultDef::Delete { at, .. }
            | FaultDef::RemoveFinalizers { at, .. }
            | FaultDef::AddNodes { at, .. }
            | FaultDef::NodeDrain { at, .. }
            | FaultDef::PodFailure { at, .. }
            | FaultDef::ContainerKill { at, .. }
            | FaultDef::NetworkPartition { at, .. }
            | FaultDef::KubeletKill { at, .. }
            | FaultDef::RuntimeDown { at, .. }
            | FaultDef::ApiserverOutage { at, .. }
            | FaultDef::DeleteNode { at, .. } => *at,
            FaultDef::RandomFailures { from, .. } => *from,
        }
    }

    /// When the fault ends, for faults with a `duration`.
    pub fn until(&self) -> Option<SimTime> {
        match self {
            FaultDef::RegistryOutage { until, .. }
            | FaultDef::RegistrySlow { until, .. }
            | FaultDef::ImageMissing { until, .. }
            | FaultDef::NodeMemoryHog { until, .. }
            | FaultDef::DiskFill { until, .. }
            | FaultDef::PidExhaustion { until, .. }
            | FaultDef::CniDown { until, .. }
            | FaultDef::NodeCrash { until, .. }
            | FaultDef::PodFailure { until, .. }
            | FaultDef::NetworkPartition { until, .. }
            | FaultDef::KubeletKill { until, .. }
            | FaultDef::RuntimeDown { until, .. }
            | FaultDef::ApiserverOutage { until, .. } => *until,
            _ => None,
        }
    }
    pub fn action(&self) -> &'static str {
        match self {
            FaultDef::PodKill { .. } => "pod-kill",
            FaultDef::NodeCordon { cordon: true, .. } => "node-cordon",
            FaultDef::NodeCordon { cordon: false, .. } => "node-uncordon",
            FaultDef::Taint { add: true, .. } => "taint-node",
            FaultDef::Taint { add: false, .. } => "untaint-node",
            FaultDef::RegistryOutage { .. } => "registry-outage",
            FaultDef::RegistrySlow { .. } => "registry-slow",
            FaultDef::ImageMissing { .. } => "image-missing",
            FaultDef::NodeMemoryHog { .. } => "node-memory-hog",
            FaultDef::DiskFill { .. } => "disk-fill",
            FaultDef::PidExhaustion { .. } => "pid-exhaustion",
            FaultDef::CniDown { .. } => "cni-down",
            FaultDef::NodeCrash { graceful: true, .. } => "node-shutdown",
            FaultDef::NodeCrash { .. } => "node-crash",
            FaultDef::SetImage { .. } => "set-image",
            FaultDef::RolloutRestart { .. } => "rollout-restart",
            FaultDef::Scale { .. } => "scale",
            FaultDef::Apply { .. } => "apply",
            FaultDef::Delete { .. } => "delete",
            FaultDef::RemoveFinalizers { .. } => "remove-finalizers",
            FaultDef::AddNodes { .. } => "add-nodes",
            FaultDef::NodeDrain { .. } => "node-drain",
            FaultDef::PodFailure { .. } => "pod-failure",
            FaultDef::ContainerKill { .. } => "container-kill",
            FaultDef::NetworkPartition { .. } => "network-partition",
            FaultDef::KubeletKill { .. } => "kubelet-service-kill",
            FaultDef::RuntimeDown { .. } => "container-runtime-down",
            FaultDef::ApiserverOutage { .. } => "apiserver-outage",
            FaultDef::RandomFailures { action: RandomAction::Crash, .. } => "node-crash",
            FaultDef::RandomFailures { action: RandomAction::Restart, .. } => "node-restart",
            FaultDef::RandomFailures { action: RandomAction::Partition, .. } => "network-partition",
            FaultDef::RandomFailures { action: RandomAction::KubeletKill, .. } => "kubelet-service-kill",
            FaultDef::DeleteNode { .. } => "delete-node",
        }
    }
}
