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

pub mod chunked;
pub mod queue;
pub mod rng;
pub mod time;

pub use queue::{EventQueue, Scheduled};
pub use rng::{RngStreams, Stream};
pub use time::SimTime;

/// FNV-1a 64 over byte strings, each closed by a separator byte: a stable content hash (the
/// same on every machine and version) for markers and manifests, never for decisions.
pub fn fnv64(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for &b in *p {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}
