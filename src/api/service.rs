//! Services: what the EndpointSlice controller selects pods for. Traffic (kube-proxy, DNS) is
//! not modelled: a Service here is its selector and the ready endpoints it would have.

use super::Labels;
use std::sync::Arc;

/// `spec.type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceType {
    ClusterIP,
    NodePort,
    LoadBalancer,
    ExternalName,
}

impl ServiceType {
    pub fn name(self) -> &'static str {
        match self {
            ServiceType::ClusterIP => "ClusterIP",
            ServiceType::NodePort => "NodePort",
            ServiceType::LoadBalancer => "LoadBalancer",
            ServiceType::ExternalName => "ExternalName",
        }
    }
}

/// One `spec.ports` entry as `kubectl get services` prints it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServicePort {
    /// `name`; `None` when unnamed (kubectl shows `<unset>`).
    pub name: Option<String>,
    pub port: i32,
    /// `targetPort` as written (a number or a container port's name); defaults to `port`.
    pub target_port: String,
    pub protocol: String,
    pub node_port: Option<i32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    pub namespace: Arc<str>,
    pub name: String,
    /// `metadata.labels`.
    pub labels: super::Labels,
    /// `spec.selector`; `None`: a Service without a selector (its endpoints are managed by
    /// hand, so it has none here).
    pub selector: Option<Labels>,
    pub type_: ServiceType,
    /// `spec.clusterIP` as `kubectl get` shows it: an address, or `None` for a headless one.
    pub cluster_ip: String,
    pub ports: Vec<ServicePort>,
    /// `spec.publishNotReadyAddresses`: not-ready pods are ready endpoints too.
    pub publish_not_ready: bool,
    /// When it was created.
    pub created: crate::sim::SimTime,
}

/// A Service's endpoints at a moment, as the EndpointSlice controller's conditions count them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EndpointCounts {
    /// `ready`: the pod is Ready and not terminating (or the Service publishes not-ready ones).
    pub ready: u32,
    /// Present but not ready (starting, failing readiness, or terminating).
    pub not_ready: u32,
    /// `terminating`: the pod has a deletionTimestamp.
    pub terminating: u32,
}
