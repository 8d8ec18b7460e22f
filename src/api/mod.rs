//! The object model: Kubernetes names and semantics, with `Copy` ids for the hot path and
//! strings only at the edges.

pub mod behavior;
pub mod conditions;
pub mod config;
pub mod cron;
pub mod duration;
pub mod events;
pub mod ids;
pub mod image;
pub mod labels;
pub mod network;
pub mod node;
pub mod pod;
pub mod probe;
pub mod quantity;
pub mod scheduling;
pub mod service;
pub mod settings;
pub mod workloads;

pub use behavior::Behavior;
pub use config::{ConfigKind, ConfigObject, ConfigRef, ConfigValue, VolumeSource, VolumeSpec};
pub use events::{EventType, Message, RecordedEvent};
pub use ids::*;
pub use labels::{LabelSelector, Labels, Requirement, SelectorOp};
pub use node::{ConditionStatus, Node, Taint, TaintEffect};
pub use pod::*;
pub use probe::*;
pub use scheduling::*;
pub use workloads::{
    ConcurrencyPolicy, CronJob, DaemonSet, Deployment, DeploymentStrategy, IntOrPercent, Job, JobCondition, JobStatus,
    PodDisruptionBudget, PodManagementPolicy, PodTemplate, ReplicaSet, StatefulSet, WorkloadRef, WorkloadStatus,
};

/// How many extended resources (`nvidia.com/gpu`, ...) one scenario may name: their amounts
/// live in a fixed array so that `Resources` stays `Copy` and allocation-free.
pub const MAX_EXTENDED_RESOURCES: usize = 4;

/// Requests or limits of the resources the scheduler and kubelet account for: cpu, memory,
/// ephemeral-storage, and the scenario's extended resources by their index in
/// `Scenario::extended_resources`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resources {
    pub cpu_milli: u64,
    pub memory: u64,
    pub storage: u64,
    /// Extended resources are whole numbers (device counts): 32 bits keep the struct small.
    pub ext: [u32; MAX_EXTENDED_RESOURCES],
}

impl Resources {
    pub fn new(cpu_milli: u64, memory: u64) -> Resources {
        Resources { cpu_milli, memory, ..Resources::default() }
    }
    pub fn add(&mut self, o: Resources) {
        self.cpu_milli += o.cpu_milli;
        self.memory += o.memory;
        self.storage += o.storage;
        for (a, b) in self.ext.iter_mut().zip(o.ext) {
            *a += b;
        }
    }
    pub fn sub(&mut self, o: Resources) {
        self.cpu_milli = self.cpu_milli.saturating_sub(o.cpu_milli);
        self.memory = self.memory.saturating_sub(o.memory);
        self.storage = self.storage.saturating_sub(o.storage);
        for (a, b) in self.ext.iter_mut().zip(o.ext) {
            *a = a.saturating_sub(b);
        }
    }
    pub fn max(self, o: Resources) -> Resources {
        let mut ext = self.ext;
        for (a, b) in ext.iter_mut().zip(o.ext) {
            *a = (*a).max(b);
        }
        Resources {
            cpu_milli: self.cpu_milli.max(o.cpu_milli),
            memory: self.memory.max(o.memory),
            storage: self.storage.max(o.storage),
            ext,
        }
    }
    /// Whether any extended resource is requested (the fast paths ignore them otherwise).
    pub fn has_ext(&self) -> bool {
        self.ext.iter().any(|&v| v > 0)
    }
}
