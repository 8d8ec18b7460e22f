//! ReplicaSets and Deployments.

use super::{DeployId, LabelSelector, Labels, PodSpec};
use crate::sim::SimTime;
use std::sync::Arc;

/// `spec.template` of a workload.
#[derive(Clone, Debug)]
pub struct PodTemplate {
    pub labels: Arc<Labels>,
    pub spec: Arc<PodSpec>,
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
    pub selector: LabelSelector,
    pub replicas: u32,
    pub template: PodTemplate,
    pub owner: Option<DeployId>,
    /// `pod-template-hash` when a Deployment owns it.
    pub template_hash: Option<String>,
    pub created: SimTime,
    pub resource_version: u64,
    pub status: WorkloadStatus,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeploymentStrategy {
    /// maxSurge / maxUnavailable as given (int or percent, resolved against replicas later).
    RollingUpdate,
    Recreate,
}

#[derive(Clone, Debug)]
pub struct Deployment {
    pub namespace: String,
    pub name: String,
    pub selector: LabelSelector,
    pub replicas: u32,
    pub template: PodTemplate,
    pub strategy: DeploymentStrategy,
    pub created: SimTime,
    pub resource_version: u64,
    pub status: WorkloadStatus,
}
