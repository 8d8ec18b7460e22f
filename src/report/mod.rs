//! What happened, and the files that show it. Components record into the `Recorder`; writers
//! turn it into CSV (and later charts and views). Components never write files.

pub mod charts;
pub mod check;
pub mod compare;
pub mod csv;
pub mod describe;
pub mod describe_more;
pub mod describe_node;
pub mod describe_rest;
pub mod html;
pub mod kubectl;
pub mod listing;
pub mod messages;
pub mod objects;
pub mod output;
pub mod plot;
pub mod podtrace;
pub mod resources;
pub mod resources_more;
pub mod timeline;
pub mod viewer;
pub mod why;

pub use crate::run::Summary;
pub use crate::run::summary;

use crate::api;
use crate::run::RunResult;
use std::path::{Path, PathBuf};

/// Write a run's outputs to `dir` atomically (a temporary folder swapped into place). `dir` may
/// be absent, empty or an earlier kubesim output; the scenario's folder is protected.
pub fn write_outputs(dir: &Path, r: &RunResult) -> std::io::Result<PathBuf> {
    let guard = crate::report::output::OutGuard::new(&[&r.cluster.scenario.file]);
    write_outputs_with(dir, r, false, &guard)
}

/// `write_outputs`, with the charts (`charts/*.png`, `*.svg`) when `charts` is set; `guard`
/// says which folders may never be replaced.
pub fn write_outputs_with(
    dir: &Path,
    r: &RunResult,
    charts: bool,
    guard: &crate::report::output::OutGuard,
) -> std::io::Result<PathBuf> {
    use crate::report::output::{OutputKind, write_atomically};
    write_atomically(dir, OutputKind::Run, r.cluster.scenario.source_hash, guard, |tmp| {
        crate::report::csv::write_run(tmp, &r.cluster, &r.summary, &r.stats)?;
        if charts {
            crate::report::charts::write_run_charts(tmp, &r.cluster, r.outcome.end)?;
            crate::report::html::write_report(tmp, r)?;
        }
        Ok(())
    })
}

/// Write the outputs of a scenario with variants: one folder per variant (`base/`, `NAME/`),
/// `compare/`, and the comparison page `report.html` (with charts), atomically; each folder
/// carries the output marker.
pub fn write_variant_outputs(
    dir: &Path,
    runs: &[(String, RunResult)],
    charts: bool,
    guard: &crate::report::output::OutGuard,
) -> std::io::Result<PathBuf> {
    use crate::report::output::{OutputKind, mark, write_atomically};
    let hash = runs.first().map_or(0, |(_, r)| r.cluster.scenario.source_hash);
    write_atomically(dir, OutputKind::Variants, hash, guard, |tmp| {
        for (name, r) in runs {
            let sub = tmp.join(name);
            std::fs::create_dir_all(&sub)?;
            mark(&sub, OutputKind::Run, r.cluster.scenario.source_hash)?;
            crate::report::csv::write_run(&sub, &r.cluster, &r.summary, &r.stats)?;
            if charts {
                crate::report::charts::write_run_charts(&sub, &r.cluster, r.outcome.end)?;
                crate::report::html::write_report(&sub, r)?;
            }
        }
        crate::report::compare::write_compare(tmp, runs, charts)
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
/// Per Service with a selector: its ready endpoints at the end, when it first had one, and how
/// long it had none after that (at the samples' resolution), the first such stretch named.
fn services_summary(r: &RunResult, o: &mut String) {
    use api::duration::format_go_duration_ms as d;
    let api = &r.cluster.api;
    let samples = &r.cluster.rec.service_samples;
    let end = r.outcome.end;
    let named: Vec<_> = api.services.iter().enumerate().filter(|(_, s)| s.selector.is_some()).collect();
    let w = named.iter().map(|(_, s)| s.name.len() + 8).max().unwrap_or(0).max(12);
    for (n, (i, svc)) in named.iter().enumerate() {
        let mine: Vec<_> = samples.iter().filter(|x| x.service as usize == *i).collect();
        let served = mine.iter().position(|x| x.endpoints.ready > 0);
        let (mut none_ms, mut gap_at) = (0u64, None);
        for (k, x) in mine.iter().enumerate().skip(served.unwrap_or(mine.len())) {
            if x.endpoints.ready == 0 {
                none_ms += mine.get(k + 1).map_or(end, |n| n.time).since(x.time);
                gap_at.get_or_insert(x.time);
            }
        }
        if n == 0 {
            o.push_str(&format!("services   {:<w$}  READY  SERVED FROM  WITHOUT READY ENDPOINTS AFTER\n", "NAME"));
        }
        let last = mine.last().map_or(0, |x| x.endpoints.ready);
        let from = served.map_or("never".to_string(), |k| d(mine[k].time.as_millis()));
        let gap = match gap_at {
            None => "0s".to_string(),
            Some(t) => format!("{} (first at {})", d(none_ms), d(t.as_millis())),
        };
        o.push_str(&format!("           {:<w$}  {last:<5}  {from:<11}  {gap}\n", format!("service/{}", svc.name)));
    }
}

/// The Jobs of the input and of its CronJobs (not a trace's): status, completions, duration,
/// as `get jobs` prints them at the end; at most ten, the rest counted.
fn jobs_summary(r: &RunResult, o: &mut String) {
    if !r.cluster.scenario.trace_pods.is_empty() {
        return;
    }
    let table = listing::get_jobs(&r.cluster, r.outcome.end, &listing::ListQuery::ns(None));
    let rows: Vec<&str> = table.lines().collect();
    if rows.len() < 2 {
        return;
    }
    for (i, line) in rows.iter().take(11).enumerate() {
        o.push_str(if i == 0 { "jobs       " } else { "           " });
        o.push_str(line);
        o.push('\n');
    }
    if rows.len() > 11 {
        o.push_str(&format!("           ... and {} more (kubesim get jobs -A)\n", rows.len() - 11));
    }
}

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
        o.push_str(&format!(
            "workloads  {:<w$}  READY   AVAILABILITY  BELOW DESIRED  LONGEST OUTAGE  RECOVERY\n",
            "NAME"
        ));
        for x in &s.workloads {
            let rec = if x.recovery_ms.is_empty() {
                "-".to_string()
            } else {
                x.recovery_ms.iter().map(|r| r.map_or("never".into(), d)).collect::<Vec<_>>().join(", ")
            };
            o.push_str(&format!(
                "           {:<w$}  {:<6}  {:<12}  {:<13}  {:<14}  {}\n",
                x.name,
                format!("{}/{}", x.ready, x.desired),
                format!("{:.2}%", x.availability * 100.0),
                d(x.below_desired_ms),
                d(x.longest_outage_ms),
                rec
            ));
        }
    }
    services_summary(r, &mut o);
    jobs_summary(r, &mut o);
    let charts = if dir.join("report.html").is_file() {
        ", charts/, report.html"
    } else if dir.join("charts").is_dir() {
        ", charts/"
    } else {
        ""
    };
    let services = if r.cluster.rec.service_samples.is_empty() { "" } else { ", services.csv" };
    o.push_str(&format!(
        "\noutputs    {}/ (events.csv, pods.csv, conditions.csv, timeseries.csv, workloads.csv, summary.csv, stats.csv{services}{charts})\n",
        dir.display()
    ));
    o
}
