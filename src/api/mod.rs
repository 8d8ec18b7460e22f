//! The object model: Kubernetes names and semantics, with `Copy` ids for the hot path and
//! strings only at the edges.

pub mod behavior;
pub mod duration;
pub mod events;
pub mod ids;
pub mod labels;
pub mod node;
pub mod pod;
pub mod quantity;
pub mod workloads;

pub use behavior::Behavior;
pub use events::{EventType, Message, RecordedEvent};
pub use ids::*;
pub use labels::{LabelSelector, Labels, Requirement, SelectorOp};
pub use node::{ConditionStatus, Node, Taint, TaintEffect};
pub use pod::*;
pub use workloads::{
    DaemonSet, Deployment, DeploymentStrategy, IntOrPercent, Job, JobCondition, JobStatus, PodDisruptionBudget,
    PodManagementPolicy, PodTemplate, ReplicaSet, StatefulSet, WorkloadStatus,
};

/// Requests or limits of the resources the scheduler and kubelet account for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resources {
    pub cpu_milli: u64,
    pub memory: u64,
}

impl Resources {
    pub fn add(&mut self, o: Resources) {
        self.cpu_milli += o.cpu_milli;
        self.memory += o.memory;
    }
    pub fn sub(&mut self, o: Resources) {
        self.cpu_milli = self.cpu_milli.saturating_sub(o.cpu_milli);
        self.memory = self.memory.saturating_sub(o.memory);
    }
    pub fn max(self, o: Resources) -> Resources {
        Resources { cpu_milli: self.cpu_milli.max(o.cpu_milli), memory: self.memory.max(o.memory) }
    }
}
