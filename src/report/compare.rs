//! Variants compared (`compare/`): summary.csv with one row per variant, charts overlaying
//! the variants' ready replicas and comparing their availability, and the top-level
//! report.html that puts them side by side.

use crate::api::duration::format_go_duration_ms as d;
use crate::run::RunResult;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::fmt::Write as _;
use std::io;
use std::path::Path;

const SIZE: (u32, u32) = (1100, 600);
use crate::report::plot::PALETTE;

/// `compare/summary.csv`: the variants' summary rows under the union of their columns (a
/// workload only one variant has leaves the others' cells empty).
fn write_summary(dir: &Path, runs: &[(String, RunResult)]) -> io::Result<()> {
    let rows: Vec<(Vec<String>, Vec<String>)> =
        runs.iter().map(|(_, r)| super::csv::summary_header_and_row(&r.summary)).collect();
    let mut header: Vec<String> = Vec::new();
    for (h, _) in &rows {
        for c in h {
            if !header.contains(c) {
                header.push(c.clone());
            }
        }
    }
    let mut w = csv::Writer::from_path(dir.join("summary.csv")).map_err(io::Error::other)?;
    w.write_record(&header).map_err(io::Error::other)?;
    for (h, r) in &rows {
        let rec: Vec<&str> =
            header.iter().map(|c| h.iter().position(|x| x == c).map_or("", |i| r[i].as_str())).collect();
        w.write_record(&rec).map_err(io::Error::other)?;
    }
    w.flush()
}

/// Ready replicas over time, one line per (variant, workload).
fn ready_overlay<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, runs: &[(String, RunResult)]) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| format!("drawing a chart: {x:?}");
    root.fill(&WHITE).map_err(e)?;
    let secs = crate::report::charts::mins;
    let t_end = runs.iter().map(|(_, r)| secs(r.outcome.end)).fold(1.0 / 60.0, f64::max);
    let top = runs
        .iter()
        .flat_map(|(_, r)| r.cluster.rec.workload_changes.iter().flat_map(|(_, l)| l.iter().map(|x| x.1.max(x.2))))
        .max()
        .unwrap_or(1)
        .max(1) as f64
        * 1.2;
    let name = runs.first().map_or(String::new(), |(_, r)| r.cluster.scenario.name.clone());
    let mut chart = ChartBuilder::on(&root)
        .caption(format!("{name}: ready replicas by variant"), ("sans-serif", 22))
        .margin(18)
        .x_label_area_size(50)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..t_end, 0.0..top)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc("time")
        .x_label_formatter(&crate::report::charts::axis_time)
        .y_desc("ready replicas")
        .label_style(("sans-serif", 15))
        .draw()
        .map_err(e)?;
    for (i, (variant, r)) in runs.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        for (k, (w, log)) in r.cluster.rec.workload_changes.iter().enumerate() {
            let wname = r.cluster.api.workload(*w).0;
            let mut pts = Vec::new();
            for (j, x) in log.iter().enumerate() {
                if j > 0 {
                    pts.push((secs(x.0), log[j - 1].2 as f64));
                }
                pts.push((secs(x.0), x.2 as f64));
            }
            if let Some(last) = log.last() {
                pts.push((secs(r.outcome.end), last.2 as f64));
            }
            let width = if k == 0 { 2 } else { 1 };
            chart
                .draw_series(LineSeries::new(pts, color.stroke_width(width)))
                .map_err(e)?
                .label(format!("{variant}: {wname}"))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], color.stroke_width(2)));
        }
    }
    crate::report::plot::finish(&root, &mut chart, SeriesLabelPosition::LowerRight)
}

/// Each variant's availability (the lowest over its workloads) as a bar, in percent.
fn availability_bars<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    runs: &[(String, RunResult)],
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| format!("drawing a chart: {x:?}");
    root.fill(&WHITE).map_err(e)?;
    let n = runs.len().max(1);
    let names: Vec<String> = runs.iter().map(|(v, _)| v.clone()).collect();
    let name = runs.first().map_or(String::new(), |(_, r)| r.cluster.scenario.name.clone());
    let mut chart = ChartBuilder::on(&root)
        .caption(format!("{name}: availability by variant"), ("sans-serif", 22))
        .margin(18)
        .x_label_area_size(50)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..n as f64, 0.0..105.0)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc("variant")
        .y_desc("availability (%, lowest workload)")
        .x_labels(2 * n + 1)
        .x_label_formatter(&|x: &f64| {
            let k = x.floor() as usize;
            if (x - k as f64 - 0.5).abs() < 1e-6 { names.get(k).cloned().unwrap_or_default() } else { String::new() }
        })
        .disable_x_mesh()
        .label_style(("sans-serif", 15))
        .draw()
        .map_err(e)?;
    for (i, (_, r)) in runs.iter().enumerate() {
        let a = r.summary.availability() * 100.0;
        let color = PALETTE[i % PALETTE.len()];
        chart
            .draw_series(std::iter::once(Rectangle::new([(i as f64 + 0.2, 0.0), (i as f64 + 0.8, a)], color.filled())))
            .map_err(e)?;
        chart
            .draw_series(std::iter::once(Text::new(
                format!("{a:.2}%"),
                (i as f64 + 0.35, (a + 2.0).min(103.0)),
                ("sans-serif", 15).into_font(),
            )))
            .map_err(e)?;
    }
    root.present().map_err(e)
}

/// Write `compare/` (summary.csv, and with `charts` the overlay charts) and, with `charts`,
/// the top-level report.html that links each variant's own report.
pub fn write_compare(dir: &Path, runs: &[(String, RunResult)], charts: bool) -> io::Result<()> {
    let cmp = dir.join("compare");
    std::fs::create_dir_all(&cmp)?;
    let hash = runs.first().map_or(0, |(_, r)| r.cluster.scenario.source_hash);
    super::output::mark(&cmp, super::output::OutputKind::Compare, hash)?;
    write_summary(&cmp, runs)?;
    if !charts {
        return Ok(());
    }
    crate::report::plot::register_font();
    crate::report::plot::png_and_svg!(cmp, "ready-by-variant", SIZE, |root| ready_overlay(root, runs));
    crate::report::plot::png_and_svg!(cmp, "availability-by-variant", SIZE, |root| availability_bars(root, runs));
    // The comparison page.
    let first = &runs[0].1;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>kubesim: {} (variants)</title>\n<style>\n\
         body{{font-family:sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#222}}\n\
         table{{border-collapse:collapse;margin:1em 0}} td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}}\n\
         th{{background:#f2f2f2}} figure svg{{width:100%;height:auto;border:1px solid #ddd}}\n</style></head><body>\n",
        super::html::esc(&first.cluster.scenario.name)
    );
    let _ = writeln!(h, "<h1>{} — variants compared</h1>", super::html::esc(&first.cluster.scenario.name));
    let _ = writeln!(h, "<p id=\"description\">{}</p>", super::html::esc(&first.cluster.scenario.description));
    let _ = writeln!(
        h,
        "<table id=\"variants\"><tr><th>variant</th><th>changes</th><th>availability</th><th>worst recovery</th><th>restarts</th><th>evictions</th><th>failed scheduling</th><th>startup p50 / p99</th></tr>"
    );
    for (name, r) in runs {
        let s = &r.summary;
        let changes =
            first.cluster.scenario.variant_changes(name).unwrap_or_else(|| "(the scenario as written)".to_string());
        let startup = s.startup_ms.map_or("-".into(), |p| format!("{} / {}", d(p[0]), d(p[2])));
        let recovery = if s.faults.is_empty() { "-".to_string() } else { s.recovery_ms().map_or("never".into(), d) };
        let _ = writeln!(
            h,
            "<tr><td><a href=\"{n}/report.html\">{n}</a></td><td>{}</td><td>{:.2}%</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            super::html::esc(&changes),
            s.availability() * 100.0,
            recovery,
            s.restarts,
            s.evictions,
            s.failed_scheduling,
            startup,
            n = super::html::esc(name)
        );
    }
    let _ = writeln!(h, "</table>");
    h.push_str(&super::viewer::markup());
    let end = runs.iter().map(|(_, r)| r.outcome.end.as_millis()).max().unwrap_or(0).max(1000);
    for (f, caption) in [
        ("ready-by-variant", "Ready replicas over time, one colour per variant."),
        ("availability-by-variant", "Availability (the lowest over the workloads) per variant."),
    ] {
        let svg = std::fs::read_to_string(cmp.join(format!("{f}.svg")))?;
        // The overlay's axes are laid out as the run's ready-vs-desired chart.
        let axis = (f == "ready-by-variant")
            .then(|| super::charts::time_axis_pixels("ready-vs-desired"))
            .flatten()
            .map_or(String::new(), |(x0, x1)| format!(" data-x0=\"{x0}\" data-x1=\"{x1}\" data-t1=\"{end}\""));
        let _ = writeln!(
            h,
            "<figure id=\"chart-{f}\"{axis}>{}<figcaption>{caption}</figcaption></figure>",
            super::html::inline_svg(&svg)
        );
    }
    let _ = writeln!(
        h,
        "<p>Each variant's own outputs and report are in its folder; compare/summary.csv has one row per variant.</p>"
    );
    let data: Vec<(&str, String)> = runs.iter().map(|(n, r)| (n.as_str(), super::viewer::data_json(r))).collect();
    h.push_str(&super::viewer::scripts(&data));
    h.push_str("</body></html>\n");
    std::fs::write(dir.join("report.html"), h)
}
