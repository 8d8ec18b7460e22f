//! Scenario loading: the multi-document YAML of SCENARIO-FORMAT.md -> raw serde structs ->
//! a validated `Scenario` with every default filled. Nothing after time 0 can fail because of
//! input.

pub mod error;
pub mod expect;
pub mod paths;
pub mod raw;
pub mod set;
pub mod trace;
mod validate;
pub(crate) use validate::{default_tolerations, is_dns_label, parse_document};

pub use crate::api::behavior::{Behavior, DurationDist};
use crate::api::{DeploymentStrategy, ImageId};
use crate::api::{LabelSelector, Labels, PodSpec, PodTemplate, Resources, Taint};
use crate::sim::SimTime;
pub use error::{InputError, LoadError, SourceFile};
use std::path::{Path, PathBuf};
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
pub use crate::api::behavior::{DEFAULT_STARTUP_MS, DEFAULT_TERMINATION_TIME_MS};
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
/// The image trace pods run.
pub const TRACE_IMAGE: &str = "kubesim.io/trace-workload:1";
/// Scenario files larger than this are refused before parsing.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;
/// Above these sizes a run is refused unless `--allow-large` is given: they would take many
/// GiB of memory or hours of wall time.
pub const MAX_PODS: u64 = 1_000_000;
pub const MAX_SAMPLE_ROWS: u64 = 10_000_000;
pub const MAX_ESTIMATED_EVENTS: u64 = 2_000_000_000;
/// Rough memory per pod (object, status, recorded events) and per time-series row, for the
/// estimate printed when a limit is hit.
pub const BYTES_PER_POD_ESTIMATE: u64 = 2048;
pub const BYTES_PER_SAMPLE_ROW_ESTIMATE: u64 = 64;

#[derive(Clone, Debug)]
pub struct Scenario {
    pub file: PathBuf,
    pub name: String,
    pub description: String,
    pub duration: SimTime,
    pub seed: u64,
    pub sample_interval_ms: u64,
    pub nodes: Vec<NodeDef>,
    pub images: Vec<ImageDef>,
    pub registry: RegistryDef,
    pub kubernetes: KubeSettings,
    pub pods: Vec<ObjectDef<Arc<PodSpec>>>,
    pub replicasets: Vec<WorkloadDef>,
    pub deployments: Vec<WorkloadDef>,
    pub jobs: Vec<JobDef>,
    pub daemonsets: Vec<WorkloadDef>,
    pub statefulsets: Vec<WorkloadDef>,
    pub pdbs: Vec<PdbDef>,
    /// `spec.trace` pods, in arrival order; each becomes a one-completion Job when it arrives.
    pub trace_pods: Arc<[trace::TracePod]>,
    /// The image every trace pod runs (on every trace node's disk from the start).
    pub trace_image: Option<ImageId>,
    pub faults: Vec<FaultDef>,
    /// `expect:`, checked by `kubesim check`.
    pub expectations: Vec<expect::Expectation>,
    /// Non-fatal findings ("ignored: spec.template.spec.volumes"), each with its place.
    pub warnings: Vec<String>,
    /// `spec.kubernetes.scheduler` (with the extended resource names, by index).
    pub scheduler: crate::scheduler::SchedulerConfig,
    /// `spec.variants`: (name, `PATH=VALUE` changes), run beside the base by `kubesim run`.
    pub variants: Vec<(String, Vec<String>)>,
    /// FNV-1a 64 of the scenario's text (after `--set`): written into the output's marker.
    pub source_hash: u64,
}

#[derive(Clone, Debug)]
pub struct NodeDef {
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

#[derive(Clone, Debug)]
pub struct ImageDef {
    pub name: String,
    pub size: u64,
    pub behavior: Behavior,
}

/// Apply the keys a `behavior:` block (or the `kubesim.io/behavior` annotation) gives.
pub fn apply_behavior(b: &mut Behavior, r: &raw::BehaviorRaw) {
    if let Some(v) = r.startup {
        b.startup = v;
    }
    if let Some(v) = r.ready {
        b.ready = v;
    }
    if let Some(v) = r.termination_time {
        b.termination = v;
    }
    if let Some(e) = &r.exit {
        b.exit = Some((e.after, e.code.unwrap_or(0) as i32));
    }
    if let Some(c) = &r.crash {
        b.crash = Some((c.mean_interval.value.0, c.code.unwrap_or(1) as i32));
    }
    if let Some(m) = &r.memory {
        b.memory = Some((m.start.0.value().unwrap_or(0).max(0) as u64, m.growth.map_or(0, |g| g.0)));
    }
    if let Some(h) = &r.hang {
        b.hang = Some(h.after);
    }
    if let Some(p) = r.pre_stop {
        b.pre_stop = p;
    }
}

/// The annotation through which a pod overrides its containers' behaviour.
pub const BEHAVIOR_ANNOTATION: &str = "kubesim.io/behavior";

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
            watch_latency_ms: crate::apiserver::DEFAULT_WATCH_LATENCY_MS,
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
            node_eviction_rate: crate::controller::nodelifecycle::DEFAULT_NODE_EVICTION_RATE,
            secondary_node_eviction_rate: crate::controller::nodelifecycle::DEFAULT_SECONDARY_NODE_EVICTION_RATE,
            unhealthy_zone_threshold: crate::controller::nodelifecycle::DEFAULT_UNHEALTHY_ZONE_THRESHOLD,
            large_cluster_size_threshold: crate::controller::nodelifecycle::DEFAULT_LARGE_CLUSTER_SIZE_THRESHOLD,
        }
    }
}

/// A standalone object from a manifest.
#[derive(Clone, Debug)]
pub struct ObjectDef<S> {
    pub namespace: String,
    pub name: String,
    pub labels: Labels,
    pub spec: S,
}

/// A ReplicaSet or Deployment from a manifest.
#[derive(Clone, Debug)]
pub struct WorkloadDef {
    pub namespace: String,
    pub name: String,
    pub labels: Labels,
    pub selector: LabelSelector,
    pub replicas: u32,
    pub template: PodTemplate,
    pub strategy: DeploymentStrategy,
    /// Deployments: `spec.progressDeadlineSeconds` in ms.
    pub progress_deadline_ms: u64,
    /// DaemonSets: `spec.updateStrategy.rollingUpdate.maxUnavailable`.
    pub max_unavailable: crate::api::IntOrPercent,
    /// StatefulSets: `spec.podManagementPolicy`.
    pub pod_management: crate::api::PodManagementPolicy,
}

impl WorkloadDef {
    /// A workload with its kind-specific settings at upstream's defaults.
    pub fn new(
        namespace: String,
        name: String,
        labels: Labels,
        selector: LabelSelector,
        replicas: u32,
        template: PodTemplate,
    ) -> WorkloadDef {
        WorkloadDef {
            namespace,
            name,
            labels,
            selector,
            replicas,
            template,
            strategy: DeploymentStrategy::DEFAULT,
            progress_deadline_ms: crate::api::workloads::DEFAULT_PROGRESS_DEADLINE_SECONDS as u64 * 1000,
            max_unavailable: crate::api::workloads::DEFAULT_DAEMONSET_MAX_UNAVAILABLE,
            pod_management: crate::api::PodManagementPolicy::OrderedReady,
        }
    }
}

/// A Job from a manifest.
#[derive(Clone, Debug)]
pub struct JobDef {
    pub namespace: String,
    pub name: String,
    pub template: PodTemplate,
    pub completions: Option<u32>,
    pub parallelism: u32,
    pub backoff_limit: u32,
    pub active_deadline_ms: Option<u64>,
}

/// A PodDisruptionBudget from a manifest.
#[derive(Clone, Debug)]
pub struct PdbDef {
    pub namespace: String,
    pub name: String,
    pub selector: LabelSelector,
    pub min_available: Option<crate::api::IntOrPercent>,
    pub max_unavailable: Option<crate::api::IntOrPercent>,
}

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
    /// The API server is unreachable: nothing in the control plane changes state.
    ApiserverOutage { at: SimTime, until: Option<SimTime> },
    /// `mtbf` / `mttr`: each node fails after an exponential time with mean `mtbf` (from
    /// `from`), is repaired after one with mean `mttr`, and so on to the end of the run. The
    /// cluster expands it into concrete faults from the seed (`random_failure_plan`).
    RandomFailures { from: SimTime, action: RandomAction, nodes: Vec<crate::api::NodeId>, mtbf_ms: u64, mttr_ms: u64 },
    /// `kubectl cordon` (or `uncordon` when `cordon` is false) on the target nodes.
    NodeCordon { at: SimTime, nodes: Vec<crate::api::NodeId>, cordon: bool },
    /// Power off: the kubelet and every container stop; with `until`, the node boots again.
    NodeCrash { at: SimTime, until: Option<SimTime>, nodes: Vec<crate::api::NodeId> },
    /// A process outside any pod takes `bytes` of memory on the target nodes.
    NodeMemoryHog { at: SimTime, until: Option<SimTime>, nodes: Vec<crate::api::NodeId>, bytes: u64 },
    /// Every pull fails until the end.
    RegistryOutage { at: SimTime, until: Option<SimTime> },
    /// Pull bandwidth divided by `factor` until the end.
    RegistrySlow { at: SimTime, until: Option<SimTime>, factor: u32 },
    /// Pulls of one image fail (a bad tag) until the end.
    ImageMissing { at: SimTime, until: Option<SimTime>, image: ImageId },
    /// `kubectl set image deployment/NAME CONTAINER=IMAGE` (`container` indexes
    /// `containers`, or `initContainers` when `init`).
    SetImage { at: SimTime, deployment: RolloutTarget, init: bool, container: usize, image: ImageId },
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
}

/// The node actions that can fail at random.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RandomAction {
    Crash,
    Restart,
    Partition,
    KubeletKill,
}

/// Expand the scenario's `mtbf` / `mttr` entries into concrete faults, in time order, from the
/// seed's own random-failure stream: the same seed gives the same failure times.
pub fn random_failure_plan(s: &Scenario) -> Vec<FaultDef> {
    use crate::api::behavior::exponential_ms;
    let mut rng = crate::sim::rng::SimRng::new(s.seed, crate::sim::rng::Stream::RandomFailures);
    let end = s.duration;
    let mut out = Vec::new();
    for f in &s.faults {
        let FaultDef::RandomFailures { from, action, nodes, mtbf_ms, mttr_ms } = f else { continue };
        for &n in nodes {
            let mut t = *from;
            loop {
                t = t.plus(exponential_ms(*mtbf_ms, rng.next_u64()).max(1));
                if t >= end {
                    break;
                }
                let until = t.plus(exponential_ms(*mttr_ms, rng.next_u64()).max(1));
                let nodes = vec![n];
                out.push(match action {
                    RandomAction::Crash | RandomAction::Restart => {
                        FaultDef::NodeCrash { at: t, until: Some(until), nodes }
                    }
                    RandomAction::Partition => FaultDef::NetworkPartition { at: t, until: Some(until), nodes },
                    RandomAction::KubeletKill => FaultDef::KubeletKill { at: t, until: Some(until), nodes },
                });
                t = until;
            }
        }
    }
    out.sort_by_key(|f| f.at());
    out
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
            | FaultDef::RegistryOutage { at, .. }
            | FaultDef::RegistrySlow { at, .. }
            | FaultDef::ImageMissing { at, .. }
            | FaultDef::NodeMemoryHog { at, .. }
            | FaultDef::NodeCrash { at, .. }
            | FaultDef::SetImage { at, .. }
            | FaultDef::RolloutRestart { at, .. }
            | FaultDef::Scale { at, .. }
            | FaultDef::AddNodes { at, .. }
            | FaultDef::NodeDrain { at, .. }
            | FaultDef::PodFailure { at, .. }
            | FaultDef::ContainerKill { at, .. }
            | FaultDef::NetworkPartition { at, .. }
            | FaultDef::KubeletKill { at, .. }
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
            | FaultDef::NodeCrash { until, .. }
            | FaultDef::PodFailure { until, .. }
            | FaultDef::NetworkPartition { until, .. }
            | FaultDef::KubeletKill { until, .. }
            | FaultDef::ApiserverOutage { until, .. } => *until,
            _ => None,
        }
    }
    pub fn action(&self) -> &'static str {
        match self {
            FaultDef::PodKill { .. } => "pod-kill",
            FaultDef::NodeCordon { cordon: true, .. } => "node-cordon",
            FaultDef::NodeCordon { cordon: false, .. } => "node-uncordon",
            FaultDef::RegistryOutage { .. } => "registry-outage",
            FaultDef::RegistrySlow { .. } => "registry-slow",
            FaultDef::ImageMissing { .. } => "image-missing",
            FaultDef::NodeMemoryHog { .. } => "node-memory-hog",
            FaultDef::NodeCrash { .. } => "node-crash",
            FaultDef::SetImage { .. } => "set-image",
            FaultDef::RolloutRestart { .. } => "rollout-restart",
            FaultDef::Scale { .. } => "scale",
            FaultDef::AddNodes { .. } => "add-nodes",
            FaultDef::NodeDrain { .. } => "node-drain",
            FaultDef::PodFailure { .. } => "pod-failure",
            FaultDef::ContainerKill { .. } => "container-kill",
            FaultDef::NetworkPartition { .. } => "network-partition",
            FaultDef::KubeletKill { .. } => "kubelet-service-kill",
            FaultDef::ApiserverOutage { .. } => "apiserver-outage",
            FaultDef::RandomFailures { action: RandomAction::Crash, .. } => "node-crash",
            FaultDef::RandomFailures { action: RandomAction::Restart, .. } => "node-restart",
            FaultDef::RandomFailures { action: RandomAction::Partition, .. } => "network-partition",
            FaultDef::RandomFailures { action: RandomAction::KubeletKill, .. } => "kubelet-service-kill",
            FaultDef::DeleteNode { .. } => "delete-node",
        }
    }
}

/// Limits a user may lift on the command line.
#[derive(Clone, Copy, Debug, Default)]
pub struct LoadOptions {
    /// `--allow-large`: run scenarios above the size limits anyway.
    pub allow_large: bool,
    /// `--allow-outside-paths`: let paths written in a scenario (`spec.trace`) be absolute or
    /// leave the scenario's folder.
    pub allow_outside_paths: bool,
}

/// Read and validate a scenario file.
pub fn load(path: &Path) -> Result<Scenario, LoadError> {
    load_with(path, &LoadOptions::default())
}

/// Read and validate a scenario file with options.
pub fn load_with(path: &Path, opts: &LoadOptions) -> Result<Scenario, LoadError> {
    let io = |source| LoadError::Io { path: path.display().to_string(), source };
    let meta = std::fs::metadata(path).map_err(io)?;
    let name = path.display().to_string();
    if meta.len() as usize > MAX_FILE_BYTES {
        let f = SourceFile { name, text: Arc::new(String::new()) };
        return Err(f
            .error(
                0,
                0,
                format!(
                    "the file is {} MiB; kubesim reads scenario files of at most {} MiB",
                    meta.len() >> 20,
                    MAX_FILE_BYTES >> 20
                ),
                Some("split the manifests or generate them with a sweep".into()),
            )
            .into());
    }
    let bytes = std::fs::read(path).map_err(io)?;
    load_bytes_with(&name, &bytes, path, opts)
}

/// Validate a scenario given as bytes (`name` is used in messages, `path` for relative paths).
pub fn load_bytes(name: &str, bytes: &[u8], path: &Path) -> Result<Scenario, LoadError> {
    load_bytes_with(name, bytes, path, &LoadOptions::default())
}

/// `load_bytes` with options.
pub fn load_bytes_with(name: &str, bytes: &[u8], path: &Path, opts: &LoadOptions) -> Result<Scenario, LoadError> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.to_string(),
        Err(e) => {
            let good = &bytes[..e.valid_up_to()];
            let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
            let col = String::from_utf8_lossy(good).rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            let f = SourceFile { name: name.to_string(), text: Arc::new(String::from_utf8_lossy(bytes).into_owned()) };
            return Err(f
                .error(line, col, "the file is not valid UTF-8 text", Some("save the scenario as UTF-8 YAML".into()))
                .into());
        }
    };
    let src = SourceFile { name: name.to_string(), text: Arc::new(text) };
    validate::validate(&src, path, opts)
}

/// The Job a trace pod arrives as: one completion, restartPolicy Never, a container that runs
/// `running_duration` and exits 0, requests equal to limits.
pub fn trace_job(s: &Scenario, i: usize, now: SimTime) -> crate::api::Job {
    use crate::api::*;
    let p = &s.trace_pods[i];
    let r = Resources::new(p.cpu_milli, p.memory);
    let behavior = Behavior {
        startup: DurationDist::fixed(0),
        exit: Some((DurationDist::fixed(p.run_ms), 0)),
        ..Behavior::default()
    };
    let mut container =
        ContainerSpec::new("main", s.trace_image.expect("a trace has its image"), PullPolicy::IfNotPresent, behavior);
    // The trace gives one figure per resource: requests equal to limits (a Guaranteed pod).
    container.requests = r;
    container.limits = r;
    container.has_cpu_request = true;
    container.has_memory_request = true;
    container.has_cpu_limit = true;
    container.has_memory_limit = true;
    let mut spec = PodSpec::of(vec![container]);
    spec.restart_policy = RestartPolicy::Never;
    default_tolerations(&mut spec, &s.kubernetes);
    let mut labels = Labels::default();
    labels.insert(crate::controller::job::JOB_NAME_LABEL, &p.name);
    labels.insert(crate::controller::job::LEGACY_JOB_NAME_LABEL, &p.name);
    Job {
        namespace: "default".into(),
        name: p.name.clone(),
        template: PodTemplate { labels: Arc::new(labels), spec: Arc::new(spec), restarted_at: None },
        completions: Some(1),
        parallelism: 1,
        backoff_limit: crate::api::workloads::DEFAULT_BACKOFF_LIMIT,
        active_deadline_ms: None,
        created: now,
        resource_version: 0,
        status: JobStatus::default(),
    }
}

/// A pod spec with one container and nothing else, for unit tests.
#[cfg(test)]
pub fn test_pod_spec() -> PodSpec {
    use crate::api::*;
    PodSpec::of(vec![ContainerSpec::new("c", ImageId(0), PullPolicy::IfNotPresent, Behavior::default())])
}
