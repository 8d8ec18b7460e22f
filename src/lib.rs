//! kubesim: a deterministic discrete-event simulator of a Kubernetes cluster.
//!
//! The library does the work (`scenario::load` -> `Cluster::new` -> `run` -> `report`); the
//! binary is glue.

pub mod api;
pub mod apiserver;
pub mod chaos;
pub mod cluster;
pub mod controller;
pub mod invariants;
pub mod kubelet;
pub mod report;
pub mod scenario;
pub mod scheduler;
pub mod sim;
pub mod sweep;
pub mod world;

use std::path::{Path, PathBuf};
use std::time::Instant;

/// Everything one run produced.
pub struct RunResult {
    pub cluster: cluster::Cluster,
    pub outcome: cluster::RunOutcome,
    pub summary: report::Summary,
    pub stats: report::csv::Stats,
}

/// How to run: limits and checks that are not part of the scenario.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunOptions {
    /// Stop cleanly after this many events; the outputs are marked incomplete.
    pub max_events: Option<u64>,
    /// Check the invariants at every sample (always on in debug builds).
    pub check_invariants: bool,
    /// Stop at this moment (`kubesim get --at`): the same run as the whole one, cut there.
    pub stop_at: Option<sim::SimTime>,
    /// `--trace-scheduling`: record every attempt's per-node filter verdicts and scores
    /// (written as `scheduling.csv`).
    pub trace_scheduling: bool,
    /// Show a progress line on stderr (simulated time, events/s) during long runs.
    pub progress: bool,
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
    let summary = report::Summary::compute(&cluster, &outcome);
    let stats = report::csv::Stats {
        wall_seconds: start.elapsed().as_secs_f64(),
        events: outcome.events_processed,
        peak_rss_bytes: report::csv::peak_rss_bytes(),
        scheduling_attempts: cluster.scheduler.attempts,
        scheduler_seconds: cluster.scheduler.wall().as_secs_f64(),
    };
    Ok(RunResult { cluster, outcome, summary, stats })
}

/// Write a run's outputs to `dir` atomically (a temporary folder swapped into place). `dir` may
/// be absent, empty or an earlier kubesim output; the scenario's folder is protected.
pub fn write_outputs(dir: &Path, r: &RunResult) -> std::io::Result<PathBuf> {
    let guard = report::output::OutGuard::new(&[&r.cluster.scenario.file]);
    write_outputs_with(dir, r, false, &guard)
}

/// `write_outputs`, with the charts (`charts/*.png`, `*.svg`) when `charts` is set; `guard`
/// says which folders may never be replaced.
pub fn write_outputs_with(
    dir: &Path,
    r: &RunResult,
    charts: bool,
    guard: &report::output::OutGuard,
) -> std::io::Result<PathBuf> {
    use report::output::{OutputKind, write_atomically};
    write_atomically(dir, OutputKind::Run, r.cluster.scenario.source_hash, guard, |tmp| {
        report::csv::write_run(tmp, &r.cluster, &r.summary, &r.stats)?;
        if charts {
            report::charts::write_run_charts(tmp, &r.cluster, r.outcome.end)?;
            report::html::write_report(tmp, r)?;
        }
        Ok(())
    })
}

/// The base scenario and each of its `spec.variants`, loaded: `sets` (`--set`) first, then the
/// variant's own changes. A bad variant is a load error like any other.
pub fn load_variants(
    file: &Path,
    sets: &[String],
    opts: &scenario::LoadOptions,
) -> Result<Vec<(String, scenario::Scenario)>, scenario::LoadError> {
    let base = sweep::load_with_sets(file, sets, opts)?;
    let mut out = Vec::with_capacity(base.variants.len() + 1);
    for (name, changes) in &base.variants {
        let all: Vec<String> = sets.iter().chain(changes).cloned().collect();
        let mut s = sweep::load_with_sets(file, &all, opts)?;
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

/// Write the outputs of a scenario with variants: one folder per variant (`base/`, `NAME/`),
/// `compare/`, and the comparison page `report.html` (with charts), atomically; each folder
/// carries the output marker.
pub fn write_variant_outputs(
    dir: &Path,
    runs: &[(String, RunResult)],
    charts: bool,
    guard: &report::output::OutGuard,
) -> std::io::Result<PathBuf> {
    use report::output::{OutputKind, mark, write_atomically};
    let hash = runs.first().map_or(0, |(_, r)| r.cluster.scenario.source_hash);
    write_atomically(dir, OutputKind::Variants, hash, guard, |tmp| {
        for (name, r) in runs {
            let sub = tmp.join(name);
            std::fs::create_dir_all(&sub)?;
            mark(&sub, OutputKind::Run, r.cluster.scenario.source_hash)?;
            report::csv::write_run(&sub, &r.cluster, &r.summary, &r.stats)?;
            if charts {
                report::charts::write_run_charts(&sub, &r.cluster, r.outcome.end)?;
                report::html::write_report(&sub, r)?;
            }
        }
        report::compare::write_compare(tmp, runs, charts)
    })
}

/// The end-of-run summary of a scenario with variants: one line per variant.
pub fn variants_summary(runs: &[(String, RunResult)], dir: &Path) -> String {
    use api::duration::format_go_duration_ms as d;
    let mut o = String::new();
    if let Some((_, r)) = runs.first() {
        o.push_str(&format!(
            "kubesim {}: scenario {} (seed {}): {} variants\n",
            env!("CARGO_PKG_VERSION"),
            r.cluster.scenario.name,
            r.cluster.scenario.seed,
            runs.len()
        ));
    }
    let w = runs.iter().map(|(n, _)| n.len()).max().unwrap_or(4).max(7);
    o.push_str(&format!("  {:<w$}  AVAILABILITY  RECOVERY   RESTARTS  EVICTIONS  FAILED SCHEDULING\n", "VARIANT"));
    for (n, r) in runs {
        let s = &r.summary;
        let rec = if s.faults.is_empty() { "-".into() } else { s.recovery_ms().map_or("never".into(), d) };
        o.push_str(&format!(
            "  {n:<w$}  {:<12}  {rec:<9}  {:<8}  {:<9}  {}\n",
            format!("{:.2}%", s.availability() * 100.0),
            s.restarts,
            s.evictions,
            s.failed_scheduling
        ));
    }
    o.push_str(&format!("\noutputs    {}/ (one folder per variant, compare/, report.html)\n", dir.display()));
    o
}

/// The one-screen end-of-run summary.
pub fn text_summary(r: &RunResult, dir: &Path) -> String {
    use api::duration::format_go_duration_ms as d;
    let s = &r.summary;
    let mut o = String::new();
    o.push_str(&format!(
        "kubesim {}: scenario {} (seed {}): {} of virtual time in {:.2}s of wall time ({} events)\n",
        env!("CARGO_PKG_VERSION"),
        s.scenario,
        s.seed,
        d(s.duration.as_millis()),
        r.stats.wall_seconds,
        s.events_processed
    ));
    let desc = r.cluster.scenario.description.trim();
    if !desc.is_empty() {
        o.push_str(&format!("  {desc}\n"));
    }
    o.push('\n');
    if !r.outcome.complete {
        o.push_str(&format!(
            "INCOMPLETE stopped by --max-events after {} events at {} of virtual time; the outputs cover [0, {}] only\n",
            s.events_processed,
            d(s.duration.as_millis()),
            d(s.duration.as_millis())
        ));
    }
    o.push_str(&format!(
        "cluster    {} nodes, {} pods created, {} restarts, {} evictions, {} failed scheduling attempts\n",
        s.nodes, s.pods_created, s.restarts, s.evictions, s.failed_scheduling
    ));
    match (s.startup_ms, s.startup_with_pulls_ms) {
        (Some(a), Some(b)) => o.push_str(&format!(
            "startup    p50 {}  p90 {}  p99 {} (created -> Ready, image pulls excluded); with pulls p50 {}  p99 {}\n",
            d(a[0]),
            d(a[1]),
            d(a[2]),
            d(b[0]),
            d(b[2])
        )),
        _ => o.push_str("startup    no pod became Ready\n"),
    }
    let c = r.cluster.api.counters;
    o.push_str(&format!(
        "at the end {} Running, {} Pending, {} Succeeded, {} Failed, {} Terminating\n",
        c.running, c.pending, c.succeeded, c.failed, c.terminating
    ));
    if !s.faults.is_empty() {
        let f: Vec<String> = s.faults.iter().map(|(t, a)| format!("{} at {}", a, d(t.as_millis()))).collect();
        o.push_str(&format!("faults     {}\n", f.join(", ")));
    }
    if !s.workloads.is_empty() {
        let w = s.workloads.iter().map(|w| w.name.len()).max().unwrap_or(4).max(8);
        o.push_str(&format!("workloads  {:<w$}  READY   AVAILABILITY  LONGEST OUTAGE  RECOVERY\n", "NAME"));
        for x in &s.workloads {
            let rec = if x.recovery_ms.is_empty() {
                "-".to_string()
            } else {
                x.recovery_ms.iter().map(|r| r.map_or("never".into(), d)).collect::<Vec<_>>().join(", ")
            };
            o.push_str(&format!(
                "           {:<w$}  {:<6}  {:<12}  {:<14}  {}\n",
                x.name,
                format!("{}/{}", x.ready, x.desired),
                format!("{:.2}%", x.availability * 100.0),
                d(x.longest_outage_ms),
                rec
            ));
        }
    }
    let charts = if dir.join("report.html").is_file() {
        ", charts/, report.html"
    } else if dir.join("charts").is_dir() {
        ", charts/"
    } else {
        ""
    };
    o.push_str(&format!(
        "\noutputs    {}/ (events.csv, pods.csv, timeseries.csv, workloads.csv, summary.csv, stats.csv{charts})\n",
        dir.display()
    ));
    o
}
