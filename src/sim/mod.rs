//! The simulation kernel. It knows nothing about Kubernetes: integer virtual time, one event
//! queue with a total order, and seeded RNG streams.
//!
//! # Ordering contract
//!
//! Every event carries a virtual time and a sequence number assigned when it is scheduled.
//! Events pop in ascending `(time, seq)` order, so:
//! - time never goes backwards (scheduling into the past is clamped to `now` and counted);
//! - two events at the same time pop in the order they were scheduled (FIFO);
//! - nothing depends on thread timing, hashing or allocation addresses.
//!
//! Same scenario + seed therefore gives the same sequence of handler calls, and so the same
//! outputs, on any machine.

pub mod queue;
pub mod rng;
pub mod time;

pub use queue::{EventQueue, Scheduled};
pub use rng::{RngStreams, Stream};
pub use time::SimTime;
