//! Nodes: capacity, allocatable, labels, taints, the Ready condition and the lease.

use super::{Labels, Resources};
use crate::sim::SimTime;

/// What `status.nodeInfo` reports of kubesim's machines (kind-like nodes): the views print it.
pub const NODE_OS_IMAGE: &str = "Debian GNU/Linux 12 (bookworm)";
pub const NODE_KERNEL_VERSION: &str = "6.8.0-59-generic";
pub const NODE_CONTAINER_RUNTIME: &str = "containerd://2.1.3";
/// The taints of a node that is not Ready: unreachable (its kubelet stopped posting status) or
/// not ready (it says so itself).
pub const TAINT_UNREACHABLE: &str = "node.kubernetes.io/unreachable";
pub const TAINT_NOT_READY: &str = "node.kubernetes.io/not-ready";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaintEffect {
    NoSchedule,
    PreferNoSchedule,
    NoExecute,
}

impl TaintEffect {
    pub fn as_str(self) -> &'static str {
        match self {
            TaintEffect::NoSchedule => "NoSchedule",
            TaintEffect::PreferNoSchedule => "PreferNoSchedule",
            TaintEffect::NoExecute => "NoExecute",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Taint {
    pub key: String,
    pub value: String,
    pub effect: TaintEffect,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConditionStatus {
    True,
    False,
    Unknown,
}

#[derive(Clone, Debug)]
pub struct Node {
    pub name: String,
    pub labels: Labels,
    pub taints: Vec<Taint>,
    pub unschedulable: bool,
    pub capacity: Resources,
    pub allocatable: Resources,
    pub pods: u32,
    /// The Ready condition as the API shows it.
    pub ready: ConditionStatus,
    /// The MemoryPressure condition (True while the kubelet sees memory.available below its
    /// eviction threshold, and for the transition period after).
    pub memory_pressure: bool,
    /// The kubelet's error while it reports Ready=False (its condition's message; "" when
    /// it reports Ready).
    pub not_ready_message: &'static str,
    /// The DiskPressure condition (True while nodefs.available is below the kubelet's
    /// eviction threshold, and for the transition period after).
    pub disk_pressure: bool,
    /// The PIDPressure condition (True while pid.available is below the kubelet's eviction
    /// threshold, when it has one, and for the transition period after).
    pub pid_pressure: bool,
    pub created: SimTime,
    pub resource_version: u64,
    /// When the Node object was deleted (`kubectl delete node`); the slot stays as a tombstone.
    pub deleted: Option<SimTime>,
    /// `status.images`: the images on the node's disk, sorted (what ImageLocality reads).
    pub images: Vec<super::ImageId>,
    /// `spec.podCIDR`, set by the node IPAM controller (`None`: none was left).
    pub pod_cidr: Option<super::network::Cidr>,
    /// `status.addresses` InternalIP.
    pub address: u32,
}

/// A ready node with the given labels and no capacity, for unit tests.
#[cfg(test)]
pub fn test_node(name: &str, labels: &[(&str, &str)]) -> Node {
    Node {
        name: name.into(),
        labels: Labels::from_pairs(labels.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()),
        taints: vec![],
        unschedulable: false,
        capacity: Resources::default(),
        allocatable: Resources::default(),
        pods: 110,
        ready: ConditionStatus::True,
        memory_pressure: false,
        not_ready_message: "",
        disk_pressure: false,
        pid_pressure: false,
        created: SimTime::ZERO,
        resource_version: 0,
        deleted: None,
        images: vec![],
        pod_cidr: None,
        address: 0,
    }
}
