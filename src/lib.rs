//! kubesim: a deterministic discrete-event simulator of a Kubernetes cluster.
//!
//! The library does the work (`scenario::load` -> `Cluster::new` -> `run` -> `report`); the
//! binary is glue.

pub mod api;
pub mod apiserver;
pub mod chaos;
pub mod cli;
pub mod cluster;
pub mod controller;
pub mod invariants;
pub mod kubelet;
pub mod record;
pub mod report;
pub mod run;
pub mod runtime;
pub mod scenario;
pub mod scheduler;
pub mod sim;
pub mod sweep;
pub mod world;

pub use report::{text_summary, variants_summary, write_outputs, write_outputs_with, write_variant_outputs};
pub use run::{RunOptions, RunResult, load_variants, simulate, simulate_variants};
