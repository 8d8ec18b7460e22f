//! What a container's process does: kubesim's model of the application (the image catalogue's
//! `behavior`, or a pod's `kubesim.io/behavior` annotation).

/// Default behaviour: a container is up 1 s after it is created and runs until stopped.
pub const DEFAULT_STARTUP_MS: u64 = 1_000;
/// How long a process takes to exit after SIGTERM unless the catalogue says otherwise.
pub const DEFAULT_TERMINATION_TIME_MS: u64 = 500;

/// A behaviour duration: a Go duration, or `{mean, jitter}` drawn uniformly from
/// `[mean - jitter, mean + jitter]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DurationDist {
    pub mean_ms: u64,
    pub jitter_ms: u64,
}

/// What a container of an image does once started (see SCENARIO-FORMAT.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Behavior {
    /// Created -> Started.
    pub startup: DurationDist,
    /// Started -> answers its probes (readiness, liveness, startup).
    pub ready: DurationDist,
    /// SIGTERM -> the process exits.
    pub termination: DurationDist,
    /// The process exits on its own `after` its start, with `code`.
    pub exit: Option<(DurationDist, i32)>,
    /// Random crashes: exponential with this mean (ms), exit code.
    pub crash: Option<(u64, i32)>,
    /// Resident memory at start (bytes) and growth (bytes per second).
    pub memory: Option<(u64, u64)>,
    /// The process stops answering probes this long after its start.
    pub hang: Option<DurationDist>,
    /// How long the container's preStop hook runs (when the pod has one).
    pub pre_stop: DurationDist,
    /// How long its postStart hook runs (when the pod has one), and whether it fails.
    pub post_start: DurationDist,
    pub post_start_fails: bool,
    /// How long the process takes to answer a probe's check once it answers (its mean; no
    /// jitter): a check whose `timeoutSeconds` is shorter times out.
    pub response_time_ms: u64,
    /// The entrypoint the runtime cannot run (a bad `command` or image): the container never
    /// starts.
    pub entrypoint: Option<EntrypointFault>,
}

/// What is wrong with a container's entrypoint, as the runtime finds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntrypointFault {
    /// The command is not in the image: runc fails the start (`RunContainerError`, the dead
    /// instance `StartError`, exit code 128).
    Missing,
    /// The command is there but not executable: as `Missing`, with "permission denied".
    NotExecutable,
    /// Neither the image nor the pod names a command: containerd cannot build the container's
    /// spec (`CreateContainerError`; nothing is created).
    Unset,
}

impl EntrypointFault {
    /// The word a scenario uses for it.
    pub fn word(self) -> &'static str {
        match self {
            EntrypointFault::Missing => "missing",
            EntrypointFault::NotExecutable => "notExecutable",
            EntrypointFault::Unset => "unset",
        }
    }
}

impl Default for Behavior {
    fn default() -> Self {
        Behavior {
            startup: DurationDist { mean_ms: DEFAULT_STARTUP_MS, jitter_ms: 0 },
            ready: DurationDist::default(),
            termination: DurationDist { mean_ms: DEFAULT_TERMINATION_TIME_MS, jitter_ms: 0 },
            exit: None,
            crash: None,
            memory: None,
            hang: None,
            pre_stop: DurationDist::default(),
            post_start: DurationDist::default(),
            post_start_fails: false,
            response_time_ms: 0,
            entrypoint: None,
        }
    }
}

impl Behavior {
    /// What a template hash takes from the behaviour: the fields it has always had, in their
    /// `Debug` form, then the later ones only where they are set (names made before stay).
    pub fn hash_key(&self) -> String {
        let mut s = format!(
            "Behavior {{ startup: {:?}, ready: {:?}, termination: {:?}, exit: {:?}, crash: {:?}, memory: {:?}, hang: {:?}, pre_stop: {:?} }}",
            self.startup, self.ready, self.termination, self.exit, self.crash, self.memory, self.hang, self.pre_stop
        );
        if self.post_start != DurationDist::default() || self.post_start_fails {
            s.push_str(&format!("postStart:{:?}:{}", self.post_start, self.post_start_fails));
        }
        if self.response_time_ms > 0 {
            s.push_str(&format!("responseTime:{}", self.response_time_ms));
        }
        if let Some(e) = self.entrypoint {
            s.push_str(&format!("entrypoint:{e:?}"));
        }
        s
    }
}

impl DurationDist {
    pub const fn fixed(ms: u64) -> DurationDist {
        DurationDist { mean_ms: ms, jitter_ms: 0 }
    }
}

/// Deterministic natural logarithm for `x > 0` from IEEE basic operations only (no libm), so
/// random draws are the same on every platform.
pub fn ln(x: f64) -> f64 {
    debug_assert!(x > 0.0);
    let bits = x.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    if e == -1023 {
        // Subnormal: normalise first.
        let y = x * f64::from_bits(0x4350_0000_0000_0000); // 2^54
        let b = y.to_bits();
        e = ((b >> 52) & 0x7ff) as i64 - 1023 - 54;
        m = f64::from_bits((b & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    }
    // m in [1, 2): ln(m) = 2 atanh((m - 1) / (m + 1)), a fast series for s <= 1/3.
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let mut term = s;
    let mut sum = 0.0;
    let mut k = 1.0;
    while k < 60.0 {
        sum += term / k;
        term *= s2;
        k += 2.0;
    }
    2.0 * sum + e as f64 * std::f64::consts::LN_2
}

/// An exponential draw with the given mean, in whole milliseconds (at least 1), from 53
/// uniform bits.
pub fn exponential_ms(mean_ms: u64, bits: u64) -> u64 {
    let u = ((bits >> 11) as f64 + 1.0) / (1u64 << 53) as f64; // (0, 1]
    let v = -ln(u) * mean_ms as f64;
    (v.ceil() as u64).max(1)
}

/// Memory a container's process uses `now` when it started at `started` (only behaviours with
/// `memory` use any): the start size plus the growth, held at the container's memory limit
/// (where the OOM killer ends it).
pub fn memory_usage(cs: &crate::api::ContainerSpec, started: crate::sim::SimTime, now: crate::sim::SimTime) -> u64 {
    let Some((start, growth)) = cs.behavior.memory else { return 0 };
    let u = start.saturating_add((growth as u128 * now.since(started) as u128 / 1000) as u64);
    if cs.has_memory_limit { u.min(cs.limits.memory) } else { u }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_matches_std_closely() {
        for x in [1e-300, 1e-10, 0.001, 0.1, 0.5, 0.999, 1.0, 1.5, 2.0, 10.0, 12345.678] {
            let (a, b) = (ln(x), x.ln());
            assert!((a - b).abs() <= 1e-13 * b.abs().max(1.0), "{x}: {a} vs {b}");
        }
    }

    #[test]
    fn exponential_mean_is_close() {
        let mut x = 0x1234_5678_9abc_def0u64;
        let n = 20_000;
        let mut sum = 0;
        for _ in 0..n {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            sum += exponential_ms(10_000, x);
        }
        let mean = sum / n;
        assert!((9_500..10_500).contains(&mean), "{mean}");
    }
}
