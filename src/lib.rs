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
        scheduler_seconds: cluster.scheduler.wall.as_secs_f64(),
    };
    Ok(RunResult { cluster, outcome, summary, stats })
}

/// Write a run's outputs to `dir` atomically (a temporary folder renamed into place).
pub fn write_outputs(dir: &Path, r: &RunResult) -> std::io::Result<PathBuf> {
    write_outputs_with(dir, r, false)
}

/// `write_outputs`, with the charts (`charts/*.png`, `*.svg`) when `charts` is set.
pub fn write_outputs_with(dir: &Path, r: &RunResult, charts: bool) -> std::io::Result<PathBuf> {
    report::csv::write_atomically(dir, |tmp| {
        report::csv::write_run(tmp, &r.cluster, &r.summary, &r.stats)?;
        if charts {
            report::charts::write_run_charts(tmp, &r.cluster, r.outcome.end)?;
            report::html::write_report(tmp, r)?;
        }
        Ok(())
    })
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
    let charts = if dir.join("charts").is_dir() { ", charts/" } else { "" };
    o.push_str(&format!(
        "\noutputs    {}/ (events.csv, pods.csv, timeseries.csv, workloads.csv, summary.csv, stats.csv{charts})\n",
        dir.display()
    ));
    o
}
