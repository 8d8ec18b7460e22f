//! The physical world: what is outside Kubernetes' control. Faults act here only.

pub mod registry;

pub use registry::{PullError, PullToken, Registry, RegistryEvent};
