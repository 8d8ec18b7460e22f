//! One run: `simulate` a validated scenario (and its variants) and what it produced
//! (`RunResult`: the cluster at the end, the outcome, the summary metrics, the run's own
//! measurements). Above the wiring (`cluster`), below the writers (`report`).

pub mod determinism;
pub mod summary;

pub use crate::cluster::RunOptions;
use crate::{cluster, invariants, scenario};
use std::fs;
use std::time::Instant;
pub use summary::Summary;

/// Everything one run produced.
pub struct RunResult {
    pub cluster: cluster::Cluster,
    pub outcome: cluster::RunOutcome,
    pub summary: Summary,
    pub stats: Stats,
}

/// Measurements of the run itself (stats.csv): the only output that is not deterministic.
#[derive(Clone, Copy, Debug)]
pub struct Stats {
    pub wall_seconds: f64,
    pub events: u64,
    pub peak_rss_bytes: Option<u64>,
    /// Scheduling attempts and the wall seconds the scheduler spent in them.
    pub scheduling_attempts: u64,
    pub scheduler_seconds: f64,
}

/// Peak resident set size of this process (Linux `VmHWM`), if known.
pub fn peak_rss_bytes() -> Option<u64> {
    let s = fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Simulate a validated scenario to its end (or to `max_events`). An invariant violation is
/// a kubesim bug and comes back as an error.
pub fn simulate(scenario: scenario::Scenario, opts: &RunOptions) -> Result<RunResult, invariants::Violation> {
    let start = Instant::now();
    let mut cluster = cluster::Cluster::new(scenario);
    if opts.trace_scheduling {
        cluster.scheduler.trace = Some(Vec::new());
    }
    let outcome = cluster.run(opts)?;
    let summary = Summary::compute(&cluster, &outcome);
    let stats = Stats {
        wall_seconds: start.elapsed().as_secs_f64(),
        events: outcome.events_processed,
        peak_rss_bytes: peak_rss_bytes(),
        scheduling_attempts: cluster.scheduler.attempts,
        scheduler_seconds: cluster.scheduler.wall().as_secs_f64(),
    };
    Ok(RunResult { cluster, outcome, summary, stats })
}

/// The base scenario and each of its `spec.variants`, loaded: `sets` (`--set`) first, then the
/// variant's own changes. A bad variant is a load error like any other.
pub fn load_variants(
    inp: &scenario::input::Input,
    sets: &[String],
    opts: &scenario::LoadOptions,
) -> Result<Vec<(String, scenario::Scenario)>, scenario::LoadError> {
    // Read once: standard input can be read only once.
    let sources = scenario::input::read_sources(inp, opts)?;
    let anchor = inp.anchor();
    let base = scenario::set::load_sources_with_sets(&sources, &anchor, sets, opts)?;
    let mut out = Vec::with_capacity(base.variants.len() + 1);
    for (name, changes) in &base.variants {
        let all: Vec<String> = sets.iter().chain(changes).cloned().collect();
        let mut s = scenario::set::load_sources_with_sets(&sources, &anchor, &all, opts).map_err(|e| match e {
            // Named after the scenario's file, not `--set`: the user wrote no --set.
            scenario::LoadError::Input(mut i) => {
                i.file = sources.first().map_or(i.file, |s| s.name.clone());
                i.message = format!("variant {name:?}: {}", i.message);
                i.help = Some("fix the variant's `set` or `expect` under spec.variants".into());
                scenario::LoadError::Input(i)
            }
            other => other,
        })?;
        s.variants.clear();
        out.push((name.clone(), s));
    }
    out.insert(0, ("base".to_string(), base));
    Ok(out)
}

/// Simulate the base and its variants in parallel (each run single-threaded and deterministic).
pub fn simulate_variants(
    runs: Vec<(String, scenario::Scenario)>,
    opts: &RunOptions,
) -> Result<Vec<(String, RunResult)>, invariants::Violation> {
    use rayon::prelude::*;
    runs.into_par_iter()
        .map(|(name, s)| {
            simulate(s, opts).map(|mut r| {
                r.summary.variant = if name == "base" { String::new() } else { name.clone() };
                (name, r)
            })
        })
        .collect()
}
