//! The workload kinds: ReplicaSets, Deployments, StatefulSets, DaemonSets, Jobs, and the
//! PodDisruptionBudgets that protect them.

use super::{DeployId, JobId, LabelSelector, Labels, PodSpec};
use crate::sim::SimTime;
use std::collections::BTreeMap;
use std::sync::Arc;

/// `spec.template` of a workload.
#[derive(Clone, Debug)]
pub struct PodTemplate {
    pub labels: Arc<Labels>,
    pub spec: Arc<PodSpec>,
    /// The `kubectl.kubernetes.io/restartedAt` annotation `kubectl rollout restart` sets: part
    /// of the template, so a new value starts a rollout.
    pub restarted_at: Option<SimTime>,
}

/// The counts a workload controller reports in `.status`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkloadStatus {
    pub replicas: u32,
    pub ready: u32,
    pub available: u32,
    pub updated: u32,
}

#[derive(Clone, Debug)]
pub struct ReplicaSet {
    pub namespace: String,
    pub name: String,
    /// `metadata.labels`.
    pub labels: super::Labels,
    pub selector: LabelSelector,
    pub replicas: u32,
    pub template: PodTemplate,
    pub owner: Option<DeployId>,
    /// `pod-template-hash` when a Deployment owns it.
    pub template_hash: Option<String>,
    /// The `deployment.kubernetes.io/revision` annotation (0 when no Deployment owns it).
    pub revision: u64,
    pub created: SimTime,
    pub resource_version: u64,
    pub status: WorkloadStatus,
    /// When its Deployment deleted it (revision history clean-up); the slot stays.
    pub deleted: Option<SimTime>,
}

/// An `IntOrString` field such as `maxSurge`: a count or a percentage of the replicas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntOrPercent {
    Int(u32),
    Percent(u32),
}

impl IntOrPercent {
    /// `intstr.GetScaledValueFromIntOrPercent`: a percentage of `total`, rounded up or down.
    pub fn scaled(self, total: u32, round_up: bool) -> u32 {
        match self {
            IntOrPercent::Int(v) => v,
            IntOrPercent::Percent(p) => {
                let x = p as u64 * total as u64;
                (if round_up { x.div_ceil(100) } else { x / 100 }) as u32
            }
        }
    }
}

/// Upstream's defaults for `spec.strategy.rollingUpdate`: 25% and 25%.
pub const DEFAULT_MAX_SURGE: IntOrPercent = IntOrPercent::Percent(25);
pub const DEFAULT_MAX_UNAVAILABLE: IntOrPercent = IntOrPercent::Percent(25);
/// `spec.progressDeadlineSeconds` default (600).
pub const DEFAULT_PROGRESS_DEADLINE_SECONDS: u32 = 600;
/// `apps/v1` `spec.revisionHistoryLimit` default: old ReplicaSets kept for rollback.
pub const DEFAULT_REVISION_HISTORY_LIMIT: u32 = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeploymentStrategy {
    RollingUpdate { max_surge: IntOrPercent, max_unavailable: IntOrPercent },
    Recreate,
}

impl DeploymentStrategy {
    pub const DEFAULT: DeploymentStrategy =
        DeploymentStrategy::RollingUpdate { max_surge: DEFAULT_MAX_SURGE, max_unavailable: DEFAULT_MAX_UNAVAILABLE };

    /// `ResolveFenceposts`: (maxSurge, maxUnavailable) for `replicas`; both 0 would deadlock,
    /// so maxUnavailable becomes 1. Recreate has no fenceposts.
    pub fn fenceposts(self, replicas: u32) -> (u32, u32) {
        match self {
            DeploymentStrategy::Recreate => (0, 0),
            DeploymentStrategy::RollingUpdate { max_surge, max_unavailable } => {
                let surge = max_surge.scaled(replicas, true);
                let unavailable = max_unavailable.scaled(replicas, false);
                if surge == 0 && unavailable == 0 { (0, 1) } else { (surge, unavailable) }
            }
        }
    }

    /// `MaxUnavailable(deployment)`: at most `replicas`.
    pub fn max_unavailable(self, replicas: u32) -> u32 {
        if replicas == 0 || self == DeploymentStrategy::Recreate {
            return 0;
        }
        self.fenceposts(replicas).1.min(replicas)
    }
}

#[derive(Clone, Debug)]
pub struct Deployment {
    pub namespace: String,
    pub name: String,
    /// `metadata.labels`.
    pub labels: super::Labels,
    pub selector: LabelSelector,
    pub replicas: u32,
    pub template: PodTemplate,
    pub strategy: DeploymentStrategy,
    /// `spec.progressDeadlineSeconds`, in ms.
    pub progress_deadline_ms: u64,
    /// `spec.revisionHistoryLimit`: old ReplicaSets (scaled to zero) beyond it are deleted.
    pub revision_history_limit: u32,
    pub created: SimTime,
    pub resource_version: u64,
    pub status: WorkloadStatus,
}

/// `spec.podManagementPolicy` of a StatefulSet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodManagementPolicy {
    /// One pod at a time, each Running and Ready before the next; deletions in reverse.
    OrderedReady,
    Parallel,
}

#[derive(Clone, Debug)]
pub struct StatefulSet {
    pub namespace: String,
    pub name: String,
    /// `metadata.labels`.
    pub labels: super::Labels,
    pub selector: LabelSelector,
    pub replicas: u32,
    pub template: PodTemplate,
    pub pod_management: PodManagementPolicy,
    pub created: SimTime,
    pub resource_version: u64,
    pub status: WorkloadStatus,
}

/// `spec.updateStrategy.rollingUpdate.maxUnavailable` default of a DaemonSet.
pub const DEFAULT_DAEMONSET_MAX_UNAVAILABLE: IntOrPercent = IntOrPercent::Int(1);

#[derive(Clone, Debug)]
pub struct DaemonSet {
    pub namespace: String,
    pub name: String,
    /// `metadata.labels`.
    pub labels: super::Labels,
    pub selector: LabelSelector,
    /// The template with the DaemonSet's automatic tolerations added.
    pub template: PodTemplate,
    pub max_unavailable: IntOrPercent,
    pub created: SimTime,
    pub resource_version: u64,
    /// `desiredNumberScheduled` is `replicas` here; `updated` is `updatedNumberScheduled`.
    pub status: WorkloadStatus,
    /// `desiredNumberScheduled`: nodes that should run a daemon pod.
    pub desired: u32,
}

/// Upstream's `spec.backoffLimit` default.
pub const DEFAULT_BACKOFF_LIMIT: u32 = 6;

/// A finished Job's condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobCondition {
    Complete,
    /// With the reason: `BackoffLimitExceeded` or `DeadlineExceeded`.
    Failed(&'static str),
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JobStatus {
    pub active: u32,
    pub ready: u32,
    pub succeeded: u32,
    pub failed: u32,
    pub start: Option<SimTime>,
    pub completion: Option<SimTime>,
    pub condition: Option<JobCondition>,
}

#[derive(Clone, Debug)]
pub struct Job {
    /// The CronJob that created it (its controller ownerReference).
    pub owner: Option<super::CronJobId>,
    /// Deleted (by its CronJob's history limit or Replace): its pods go with it.
    pub deleted: Option<SimTime>,
    pub namespace: String,
    pub name: String,
    /// `metadata.labels`.
    pub labels: super::Labels,
    pub template: PodTemplate,
    /// `None`: a work queue (done when one pod succeeded and none is left running).
    pub completions: Option<u32>,
    pub parallelism: u32,
    pub backoff_limit: u32,
    pub active_deadline_ms: Option<u64>,
    /// When the Job object is created (a trace's arrival time).
    pub created: SimTime,
    pub resource_version: u64,
    pub status: JobStatus,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PdbStatus {
    pub current_healthy: u32,
    pub desired_healthy: u32,
    pub expected_pods: u32,
    pub disruptions_allowed: u32,
}

#[derive(Clone, Debug)]
pub struct PodDisruptionBudget {
    pub namespace: String,
    pub name: String,
    /// `metadata.labels`.
    pub labels: super::Labels,
    pub selector: LabelSelector,
    pub min_available: Option<IntOrPercent>,
    pub max_unavailable: Option<IntOrPercent>,
    pub resource_version: u64,
    pub status: PdbStatus,
    /// `status.disruptedPods`: pods the eviction API let go that the controller has not yet
    /// seen deleted, with when (they stop counting as healthy at once).
    pub disrupted: BTreeMap<u32, SimTime>,
    /// The recorded event behind the last recount that took `disruptionsAllowed` from 0 to
    /// more (kubesim's, for `--why`: what unblocked a refused eviction); 0 before any.
    pub unblocked_by: super::EventId,
}

/// A top-level workload being tracked (a Deployment, or a ReplicaSet no Deployment owns).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkloadRef {
    Deployment(super::DeployId),
    ReplicaSet(super::RsId),
    StatefulSet(super::StsId),
    DaemonSet(super::DsId),
}

impl PodDisruptionBudget {
    /// Whether the budget covers `pod`: its namespace and its selector.
    pub fn selects(&self, pod: &super::Pod) -> bool {
        *pod.namespace == *self.namespace && self.selector.matches(&pod.labels)
    }
}

/// `spec.concurrencyPolicy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConcurrencyPolicy {
    Allow,
    Forbid,
    Replace,
}

/// A CronJob: its schedule and policies, the Job it stamps out, its status.
#[derive(Clone, Debug)]
pub struct CronJob {
    pub namespace: String,
    pub name: String,
    /// `metadata.labels`.
    pub labels: super::Labels,
    pub schedule: super::cron::Schedule,
    /// `spec.schedule` as written, for views.
    pub schedule_text: String,
    pub time_zone: Option<String>,
    pub concurrency: ConcurrencyPolicy,
    pub suspend: bool,
    pub starting_deadline_s: Option<i64>,
    pub successful_history: u32,
    pub failed_history: u32,
    /// The Job each run creates (its name and times are set per run).
    pub job: Job,
    pub created: SimTime,
    pub resource_version: u64,
    /// `status.active`.
    pub active: Vec<JobId>,
    /// `status.lastScheduleTime` / `lastSuccessfulTime`, on the virtual calendar (unix seconds).
    pub last_schedule: Option<i64>,
    pub last_successful: Option<SimTime>,
}
