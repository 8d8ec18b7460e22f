//! Settings a scenario gives the cluster (`spec.kubernetes`, images, the registry, node
//! definitions) and upstream's defaults as named constants. Plain data: the scenario loader
//! fills them, the components read them.

use super::behavior::Behavior;
use super::{ImageId, Labels, PodSpec, Resources, Taint};
use std::sync::Arc;

/// The Kubernetes release whose defaults kubesim follows unless `spec.kubernetes.version` says.
pub const DEFAULT_KUBERNETES_VERSION: (u32, u32) = (1, 34);
/// The oldest release whose defaults kubesim knows.
pub const OLDEST_KUBERNETES_VERSION: (u32, u32) = (1, 25);
/// `--node-monitor-grace-period` before v1.32.
pub const NODE_MONITOR_GRACE_PERIOD_MS_BEFORE_1_32: u64 = 40_000;
/// `spec.seed` when none is given.
pub const DEFAULT_SEED: u64 = 1;
/// `spec.sampleInterval` when none is given.
pub const DEFAULT_SAMPLE_INTERVAL_MS: u64 = 5_000;
/// Size of an image the catalogue does not describe (kubesim's choice).
pub const DEFAULT_IMAGE_SIZE: u64 = 50 * 1024 * 1024;
/// Registry model defaults (kubesim's: a registry serving 1 GiB/s in all, 100 MiB/s per node).
pub const DEFAULT_REGISTRY_BANDWIDTH: u64 = 1024 * 1024 * 1024;
pub const DEFAULT_NODE_BANDWIDTH: u64 = 100 * 1024 * 1024;
pub const DEFAULT_REGISTRY_LATENCY_MS: u64 = 300;
/// kubelet `--max-pods` default.
pub const DEFAULT_MAX_PODS: u32 = 110;
/// `--node-monitor-grace-period`: 50s since v1.32 (40s before).
pub const DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS: u64 = 50_000;
/// `--default-not-ready-toleration-seconds` / `--default-unreachable-toleration-seconds`.
pub const DEFAULT_TOLERATION_SECONDS: i64 = 300;
/// `node-restart` without `downtime`: a reboot takes a minute (kubesim's choice).
pub const DEFAULT_NODE_RESTART_DOWNTIME_MS: u64 = 60_000;
/// kubelet `serializeImagePulls` default.
pub const DEFAULT_SERIALIZE_IMAGE_PULLS: bool = true;
/// kubelet `nodeLeaseDurationSeconds` default.
pub const DEFAULT_NODE_LEASE_DURATION_SECONDS: u32 = 40;
/// kubelet: the lease is renewed every `nodeLeaseDurationSeconds * 0.25`
/// (`nodeLeaseRenewIntervalFraction`).
pub const NODE_LEASE_RENEW_INTERVAL_FRACTION_PERCENT: u64 = 25;
/// client-go's lease controller renews with `wait.JitterUntil(..., 0.04, ...)`.
pub const LEASE_RENEW_JITTER_PERCENT: u64 = 4;
/// kube-scheduler `podInitialBackoffSeconds` / `podMaxBackoffSeconds` defaults.
pub const DEFAULT_POD_INITIAL_BACKOFF_SECONDS: u32 = 1;
pub const DEFAULT_POD_MAX_BACKOFF_SECONDS: u32 = 10;
/// kube-scheduler `podMaxInUnschedulablePodsDuration` default (5m).
pub const DEFAULT_POD_MAX_IN_UNSCHEDULABLE_MS: u64 = 5 * 60 * 1000;
/// The sandbox (pause) image: containerd 2.x's `sandbox` default and kubeadm 1.34's
/// (`constants.PauseVersion` 3.10); the kubelet's `--pod-infra-container-image` only pins it.
pub const DEFAULT_SANDBOX_IMAGE: &str = "registry.k8s.io/pause:3.10";
/// Its download (registry.k8s.io/pause:3.10, linux/amd64: about 320 kB compressed).
pub const SANDBOX_IMAGE_BYTES: u64 = 320_000;
/// Default delay between a write and its watch notification (kubesim's own setting: a healthy
/// control plane delivers watch events in a few milliseconds).
pub const DEFAULT_WATCH_LATENCY_MS: u64 = 10;
/// `--node-eviction-rate` (nodes tainted per second per zone) and
/// `--secondary-node-eviction-rate` (in a partially disrupted large zone).
pub const DEFAULT_NODE_EVICTION_RATE: f64 = 0.1;
pub const DEFAULT_SECONDARY_NODE_EVICTION_RATE: f64 = 0.01;
/// `--unhealthy-zone-threshold`: the share of not-ready nodes (with more than 2) that makes a
/// zone partially disrupted.
pub const DEFAULT_UNHEALTHY_ZONE_THRESHOLD: f64 = 0.55;
/// `--large-cluster-size-threshold`: above this many nodes a partially disrupted zone keeps
/// evicting at the secondary rate; at or below it, eviction stops.
pub const DEFAULT_LARGE_CLUSTER_SIZE_THRESHOLD: u32 = 50;

/// The kernel's `pid_max` on the nodes: PID_MAX_LIMIT on 64-bit Linux (4194304), which
/// systemd (v243 and later) sets at boot; the eviction manager's `pid.available` is it minus
/// the processes running.
pub const DEFAULT_PID_MAX: u64 = 4_194_304;

/// An eviction threshold's value (`memory.available<100Mi`, `nodefs.available<10%`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Threshold {
    Quantity(u64),
    /// As upstream holds it: a float32 fraction.
    Percent(f32),
}

impl Threshold {
    /// `GetThresholdQuantity`: a percentage of the capacity, truncated.
    pub fn quantity(self, capacity: u64) -> u64 {
        match self {
            Threshold::Quantity(q) => q,
            Threshold::Percent(p) => (capacity as f64 * p as f64) as u64,
        }
    }
}

/// kubelet `evictionHard`, for the signals kubesim observes (`None`: no threshold). Setting
/// any signal replaces upstream's whole default map: the others have none.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EvictionHard {
    pub memory_available: Option<Threshold>,
    pub nodefs_available: Option<Threshold>,
    pub pid_available: Option<Threshold>,
}

/// kubelet `evictionHard` defaults (`DefaultEvictionHard`, Linux): `memory.available<100Mi`,
/// `nodefs.available<10%` (and `nodefs.inodesFree<5%`, `imagefs.available<15%`, not
/// modelled); no `pid.available`.
pub const DEFAULT_EVICTION_HARD: EvictionHard = EvictionHard {
    memory_available: Some(Threshold::Quantity(100 * 1024 * 1024)),
    nodefs_available: Some(Threshold::Percent(0.1)),
    pid_available: None,
};

#[derive(Clone, Copy, Debug)]
pub struct RegistryDef {
    pub bandwidth: u64,
    pub node_bandwidth: u64,
    pub latency_ms: u64,
}

/// Upstream settings a scenario may override (`spec.kubernetes`).
#[derive(Clone, Copy, Debug)]
pub struct KubeSettings {
    pub watch_latency_ms: u64,
    pub node_lease_duration_seconds: u32,
    pub pod_initial_backoff_ms: u64,
    pub pod_max_backoff_ms: u64,
    pub pod_max_in_unschedulable_ms: u64,
    /// kube-controller-manager `--node-monitor-grace-period`.
    pub node_monitor_grace_period_ms: u64,
    /// DefaultTolerationSeconds admission: `--default-not-ready-toleration-seconds` and
    /// `--default-unreachable-toleration-seconds`.
    pub default_not_ready_toleration_seconds: i64,
    pub default_unreachable_toleration_seconds: i64,
    pub serialize_image_pulls: bool,
    pub max_parallel_image_pulls: Option<u32>,
    /// `--node-eviction-rate`, `--secondary-node-eviction-rate` (nodes per second per zone),
    /// `--unhealthy-zone-threshold`, `--large-cluster-size-threshold`.
    pub node_eviction_rate: f64,
    pub secondary_node_eviction_rate: f64,
    pub unhealthy_zone_threshold: f64,
    pub large_cluster_size_threshold: u32,
    /// `spec.kubernetes.version` (major, minor): selects the defaults that changed between
    /// releases (the README's version table).
    pub version: (u32, u32),
    /// kube-controller-manager `--cluster-cidr` and `--node-cidr-mask-size`.
    pub cluster_cidr: super::network::Cidr,
    pub node_cidr_mask_size: u8,
    /// kubelet `shutdownGracePeriod` / `shutdownGracePeriodCriticalPods` (0: graceful node
    /// shutdown is off, as upstream's default).
    pub shutdown_grace_period_ms: u64,
    pub shutdown_grace_period_critical_pods_ms: u64,
    /// kubelet `evictionHard`.
    pub eviction_hard: EvictionHard,
    /// The nodes' `kernel.pid_max`.
    pub pid_max: u64,
}

impl KubeSettings {
    /// Whether the modelled release is older than `major.minor`.
    pub fn version_before(&self, major: u32, minor: u32) -> bool {
        self.version < (major, minor)
    }

    pub fn lease_renew_interval_ms(&self) -> u64 {
        self.node_lease_duration_seconds as u64 * 1000 * NODE_LEASE_RENEW_INTERVAL_FRACTION_PERCENT / 100
    }
}

impl Default for KubeSettings {
    fn default() -> Self {
        KubeSettings {
            watch_latency_ms: DEFAULT_WATCH_LATENCY_MS,
            node_lease_duration_seconds: DEFAULT_NODE_LEASE_DURATION_SECONDS,
            pod_initial_backoff_ms: DEFAULT_POD_INITIAL_BACKOFF_SECONDS as u64 * 1000,
            pod_max_backoff_ms: DEFAULT_POD_MAX_BACKOFF_SECONDS as u64 * 1000,
            pod_max_in_unschedulable_ms: DEFAULT_POD_MAX_IN_UNSCHEDULABLE_MS,
            node_monitor_grace_period_ms: DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS,
            default_not_ready_toleration_seconds: DEFAULT_TOLERATION_SECONDS,
            default_unreachable_toleration_seconds: DEFAULT_TOLERATION_SECONDS,
            serialize_image_pulls: DEFAULT_SERIALIZE_IMAGE_PULLS,
            max_parallel_image_pulls: None,
            version: DEFAULT_KUBERNETES_VERSION,
            node_eviction_rate: DEFAULT_NODE_EVICTION_RATE,
            secondary_node_eviction_rate: DEFAULT_SECONDARY_NODE_EVICTION_RATE,
            unhealthy_zone_threshold: DEFAULT_UNHEALTHY_ZONE_THRESHOLD,
            large_cluster_size_threshold: DEFAULT_LARGE_CLUSTER_SIZE_THRESHOLD,
            cluster_cidr: super::network::DEFAULT_CLUSTER_CIDR,
            node_cidr_mask_size: super::network::DEFAULT_NODE_CIDR_MASK_SIZE,
            shutdown_grace_period_ms: 0,
            shutdown_grace_period_critical_pods_ms: 0,
            eviction_hard: DEFAULT_EVICTION_HARD,
            pid_max: DEFAULT_PID_MAX,
        }
    }
}

#[derive(Clone, Debug)]
pub struct ImageDef {
    pub name: String,
    pub size: u64,
    pub behavior: Behavior,
}

#[derive(Clone, Debug)]
pub struct NodeDef {
    /// The sandbox (pause) image is on the node's disk from the start (node images usually
    /// have it pre-pulled).
    pub sandbox_image: bool,
    pub name: String,
    pub labels: Labels,
    pub taints: Vec<Taint>,
    pub unschedulable: bool,
    pub capacity: Resources,
    pub allocatable: Resources,
    pub pods: u32,
    pub images: Vec<ImageId>,
    /// Pods the node's kubelet runs from its manifest folder (each with a mirror pod).
    pub static_pods: Vec<ObjectDef<Arc<PodSpec>>>,
}

/// A standalone object from a manifest.
#[derive(Clone, Debug)]
pub struct ObjectDef<S> {
    pub namespace: String,
    pub name: String,
    pub labels: Labels,
    pub spec: S,
}
