//! Scenario loading: the multi-document YAML of SCENARIO-FORMAT.md -> raw serde structs ->
//! a validated `Scenario` with every default filled. Nothing after time 0 can fail because of
//! input.

pub mod error;
pub mod expect;
pub mod input;
pub mod paths;
pub mod raw;
pub mod set;
pub mod trace;
mod validate;
pub(crate) use validate::{default_tolerations, is_dns_label, parse_document};

pub use crate::api::behavior::{Behavior, DurationDist};
pub use crate::api::behavior::{DEFAULT_STARTUP_MS, DEFAULT_TERMINATION_TIME_MS};
pub use crate::api::settings::*;
use crate::api::{DeploymentStrategy, ImageId};
use crate::api::{LabelSelector, Labels, PodSpec, PodTemplate};
pub use crate::chaos::plan::*;
use crate::sim::SimTime;
pub use error::{InputError, LoadError, SourceFile};
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
    /// `spec.kubernetes.sandboxImage`: the container runtime's sandbox (pause) image.
    pub sandbox_image: String,
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
    /// Namespaces at the start: the built-in ones and the Namespace manifests, sorted.
    pub namespaces: Vec<String>,
    /// ServiceAccount manifests (namespace, name); each namespace's `default` is added by the
    /// cluster.
    pub service_accounts: Vec<(String, String)>,
    /// ConfigMaps and Secrets.
    pub configs: Vec<crate::api::ConfigObject>,
    /// Services, `default/kubernetes` first.
    pub services: Vec<crate::api::service::Service>,
    /// CronJobs as the API server holds them at time 0.
    pub cronjobs: Vec<crate::api::CronJob>,
    pub limit_ranges: Vec<crate::apiserver::admission::LimitRange>,
    pub quotas: Vec<crate::apiserver::admission::ResourceQuota>,
    /// Objects the API server refused when the manifests were applied at time 0 (a missing
    /// namespace), each as kubectl prints the refusal; they take no part in the run.
    pub refused: Vec<String>,
    /// `spec.kubernetes.scheduler` (with the extended resource names, by index).
    pub scheduler: crate::scheduler::SchedulerConfig,
    /// `spec.variants`: (name, `PATH=VALUE` changes), run beside the base by `kubesim run`.
    pub variants: Vec<(String, Vec<String>)>,
    /// FNV-1a 64 of the scenario's text (after `--set`): written into the output's marker.
    pub source_hash: u64,
}

impl Scenario {
    /// The variants with their own `expect:`, which `kubesim check` runs beside the base.
    pub fn checked_variants(&self) -> Vec<&str> {
        let own = |changes: &[String]| changes.iter().any(|c| c.starts_with(validate::VARIANT_EXPECT));
        self.variants.iter().filter(|(_, c)| own(c)).map(|(n, _)| n.as_str()).collect()
    }

    /// A variant's `set` changes as `PATH=VALUE, ...` (its `expect:` left out), `None` for the base.
    pub fn variant_changes(&self, name: &str) -> Option<String> {
        let (_, changes) = self.variants.iter().find(|(n, _)| n == name)?;
        let shown: Vec<&str> =
            changes.iter().filter(|c| !c.starts_with(validate::VARIANT_EXPECT)).map(String::as_str).collect();
        Some(if shown.is_empty() { "(its own expectations only)".into() } else { shown.join(", ") })
    }
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
    if let Some(t) = r.response_time {
        b.response_time_ms = t.mean_ms;
    }
    if let Some(p) = &r.post_start {
        b.post_start = p.duration.unwrap_or_default();
        b.post_start_fails = p.fail;
    }
    if let Some(e) = r.entrypoint {
        use crate::api::behavior::EntrypointFault;
        b.entrypoint = Some(match e {
            raw::EntrypointRaw::Missing => EntrypointFault::Missing,
            raw::EntrypointRaw::NotExecutable => EntrypointFault::NotExecutable,
            raw::EntrypointRaw::Unset => EntrypointFault::Unset,
        });
    }
}

/// The annotation through which a pod overrides its containers' behaviour.
pub const BEHAVIOR_ANNOTATION: &str = "kubesim.io/behavior";

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
    /// Deployments: `spec.revisionHistoryLimit`.
    pub revision_history_limit: u32,
    /// DaemonSets: `spec.updateStrategy.rollingUpdate.maxUnavailable`.
    pub max_unavailable: crate::api::IntOrPercent,
    /// StatefulSets: `spec.podManagementPolicy`.
    pub pod_management: crate::api::PodManagementPolicy,
    /// The template's `kubesim.io/behavior` annotation, for a `set-image` to apply again over
    /// the new image's behaviour.
    pub behavior_annotation: Option<raw::BehaviorRaw>,
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
            revision_history_limit: crate::api::workloads::DEFAULT_REVISION_HISTORY_LIMIT,
            max_unavailable: crate::api::workloads::DEFAULT_DAEMONSET_MAX_UNAVAILABLE,
            pod_management: crate::api::PodManagementPolicy::OrderedReady,
            behavior_annotation: None,
        }
    }
}

/// A Job from a manifest.
#[derive(Clone, Debug)]
pub struct JobDef {
    pub namespace: String,
    pub name: String,
    /// `metadata.labels` (a CronJob's: its `jobTemplate.metadata.labels`).
    pub labels: Labels,
    pub template: PodTemplate,
    pub completions: Option<u32>,
    pub parallelism: u32,
    pub backoff_limit: u32,
    pub active_deadline_ms: Option<u64>,
}

impl JobDef {
    /// The Job as the API server holds it at time 0.
    pub fn to_job(&self) -> crate::api::Job {
        crate::api::Job {
            owner: None,
            deleted: None,
            namespace: self.namespace.clone(),
            name: self.name.clone(),
            labels: self.labels.clone(),
            template: self.template.clone(),
            completions: self.completions,
            parallelism: self.parallelism,
            backoff_limit: self.backoff_limit,
            active_deadline_ms: self.active_deadline_ms,
            created: SimTime::ZERO,
            resource_version: 0,
            status: Default::default(),
        }
    }
}

/// A PodDisruptionBudget from a manifest.
#[derive(Clone, Debug)]
pub struct PdbDef {
    pub namespace: String,
    pub name: String,
    pub labels: Labels,
    pub selector: LabelSelector,
    pub min_available: Option<crate::api::IntOrPercent>,
    pub max_unavailable: Option<crate::api::IntOrPercent>,
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
                        FaultDef::NodeCrash { at: t, until: Some(until), nodes, graceful: false }
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
    load_input(&input::Input::file(path), opts)
}

/// Read and validate a scenario and the manifests given beside it (`-f`).
pub fn load_input(inp: &input::Input, opts: &LoadOptions) -> Result<Scenario, LoadError> {
    let sources = input::read_sources(inp, opts)?;
    validate::validate(&sources, &inp.anchor(), opts)
}

/// Validate a scenario given as bytes (`name` is used in messages, `path` for relative paths).
pub fn load_bytes(name: &str, bytes: &[u8], path: &Path) -> Result<Scenario, LoadError> {
    load_bytes_with(name, bytes, path, &LoadOptions::default())
}

/// `load_bytes` with options.
/// Its `spec.manifests` are read relative to `path` (a sweep's grid point, a `--set` run).
pub fn load_bytes_with(name: &str, bytes: &[u8], path: &Path, opts: &LoadOptions) -> Result<Scenario, LoadError> {
    let mut sources = vec![input::decode(name, bytes)?];
    input::add_spec_manifests(&mut sources, path, false, opts)?;
    load_sources(sources, path, opts)
}

/// Validate texts already read: the scenario's first, then manifest files.
pub fn load_sources(sources: Vec<SourceFile>, path: &Path, opts: &LoadOptions) -> Result<Scenario, LoadError> {
    validate::validate(&sources, path, opts)
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
        owner: None,
        deleted: None,
        namespace: "default".into(),
        name: p.name.clone(),
        labels: Labels::default(),
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
