//! Seeded RNG streams: one ChaCha8 stream per purpose, all derived from the scenario seed with
//! `set_stream`, so an extra draw for one purpose never shifts another's sequence.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};

/// The purposes that draw random numbers. The discriminant is the ChaCha stream number: never
/// renumber an existing variant (that would change every output for the same seed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Stream {
    /// Generated object names (`web-7d9c8b5f4-x2k9q`).
    Names = 1,
    /// Scheduler tie-breaks among equally scored nodes.
    Scheduler = 2,
    /// Kubelet timer jitter (lease renewals).
    Kubelet = 3,
    /// Fault targets (`mode: one`, `fixed-percent`).
    Faults = 4,
    /// Container behaviour draws (jittered durations).
    Behavior = 5,
    /// `mtbf` / `mttr` failure and repair times.
    RandomFailures = 6,
    /// The kubelet pod workers' requeue jitter (`wait.Jitter` after a sync error).
    PodWorker = 7,
}

/// A small deterministic RNG with the helpers the simulator needs. Integer-only helpers, so the
/// same seed gives the same draws on every platform.
#[derive(Clone, Debug)]
pub struct SimRng(ChaCha8Rng);

impl SimRng {
    pub fn new(seed: u64, stream: Stream) -> SimRng {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        r.set_stream(stream as u64);
        SimRng(r)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in `0..n` (`n > 0`), without modulo bias (Lemire's method).
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        loop {
            let m = (self.next_u64() as u128) * (n as u128);
            let low = m as u64;
            if low >= n.wrapping_neg() % n {
                return (m >> 64) as u64;
            }
        }
    }

    /// Uniform in `lo..=hi`.
    pub fn range_inclusive(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below(hi - lo + 1)
    }
}

/// Every stream of one run.
#[derive(Clone, Debug)]
pub struct RngStreams {
    pub names: SimRng,
    pub scheduler: SimRng,
    pub kubelet: SimRng,
    pub faults: SimRng,
    pub behavior: SimRng,
    pub pod_worker: SimRng,
}

impl RngStreams {
    pub fn new(seed: u64) -> RngStreams {
        RngStreams {
            names: SimRng::new(seed, Stream::Names),
            scheduler: SimRng::new(seed, Stream::Scheduler),
            kubelet: SimRng::new(seed, Stream::Kubelet),
            faults: SimRng::new(seed, Stream::Faults),
            behavior: SimRng::new(seed, Stream::Behavior),
            pod_worker: SimRng::new(seed, Stream::PodWorker),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_independent_and_reproducible() {
        let mut a = SimRng::new(7, Stream::Names);
        let mut b = SimRng::new(7, Stream::Names);
        let mut c = SimRng::new(7, Stream::Scheduler);
        let xa: Vec<u64> = (0..4).map(|_| a.next_u64()).collect();
        let xb: Vec<u64> = (0..4).map(|_| b.next_u64()).collect();
        let xc: Vec<u64> = (0..4).map(|_| c.next_u64()).collect();
        assert_eq!(xa, xb);
        assert_ne!(xa, xc);
        assert_ne!(SimRng::new(8, Stream::Names).next_u64(), xa[0]);
    }

    #[test]
    fn below_stays_in_range() {
        let mut r = SimRng::new(1, Stream::Faults);
        let mut seen = [0u32; 5];
        for _ in 0..5000 {
            seen[r.below(5) as usize] += 1;
        }
        assert!(seen.iter().all(|&n| n > 800), "{seen:?}");
    }
}
