//! `report.html`: one self-contained page (inline SVG and our own script, no network) with the
//! scenario's story, the summary, the viewer that steps through the run (`viewer`), every chart
//! (a cursor at the viewer's moment), and each fault's chain of consequences.

use crate::api::RecordedEvent;
use crate::api::duration::format_go_duration_ms as d;
use crate::run::RunResult;
use std::fmt::Write as _;
use std::io;
use std::path::Path;

/// The charts in the order the page shows them, with a caption each.
const CHARTS: [(&str, &str); 6] = [
    ("pods-by-phase", "Pods by phase over time; faults shaded."),
    ("ready-vs-desired", "Ready (solid) against desired (dashed) replicas per workload; faults shaded."),
    (
        "node-timeline",
        "Which pod ran on which node, coloured by its state (image and crash back-off apart), named on its lane; nodes' NotReady periods shaded with a band below, power-off and partitions as bands above.",
    ),
    ("startup-latency", "Pod startup latency (created -> Ready) and its parts, as cumulative distributions."),
    ("restarts-evictions", "Container restarts and evictions so far; faults shaded."),
    ("memory-usage", "Memory used by the pods whose behaviour uses memory, with their limits dashed; faults shaded."),
];

/// Most events shown under one fault.
const MAX_CHAIN_EVENTS: usize = 60;

pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// An inline SVG that scales with the page: plotters writes width and height; a viewBox lets
/// CSS resize it.
pub(crate) fn inline_svg(text: &str) -> String {
    let Some(start) = text.find("<svg") else { return String::new() };
    let body = &text[start..];
    let attr = |name: &str| -> Option<String> {
        let head = &body[..body.find('>')?];
        let i = head.find(&format!("{name}=\""))? + name.len() + 2;
        let j = head[i..].find('"')?;
        Some(head[i..i + j].to_string())
    };
    match (attr("width"), attr("height"), body.contains("viewBox")) {
        (Some(w), Some(h), false) => body.replacen("<svg", &format!("<svg viewBox=\"0 0 {w} {h}\""), 1),
        _ => body.to_string(),
    }
}

/// Write `report.html` into `dir`, inlining the SVG charts already written under `dir/charts`.
pub fn write_report(dir: &Path, r: &RunResult) -> io::Result<()> {
    let c = &r.cluster;
    let s = &r.summary;
    let mut h = String::new();
    let title = format!("kubesim: {}", c.scenario.name);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\n<style>\n\
         body{{font-family:sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#222}}\n\
         table{{border-collapse:collapse;margin:1em 0}} td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}}\n\
         th{{background:#f2f2f2}} figure{{margin:1.5em 0}} figure svg{{width:100%;height:auto;border:1px solid #ddd}}\n\
         figcaption{{color:#555;font-size:90%}} .ev{{font-family:monospace;font-size:85%;white-space:pre-wrap}}\n\
         .why{{color:#666}} h2{{border-bottom:1px solid #ddd;padding-bottom:.2em}}\n</style></head><body>\n",
        esc(&title)
    );
    let _ = writeln!(h, "<h1>{}</h1>", esc(&c.scenario.name));
    if !c.scenario.description.is_empty() {
        let _ = writeln!(h, "<p id=\"description\">{}</p>", esc(&c.scenario.description));
    }
    let _ = writeln!(
        h,
        "<p>Seed {}, {} of virtual time, {} events; kubesim {}.</p>",
        s.seed,
        d(s.duration.as_millis()),
        s.events_processed,
        env!("CARGO_PKG_VERSION")
    );

    summary_section(&mut h, r);
    h.push_str(&super::viewer::markup());
    charts_section(&mut h, dir, r.outcome.end);
    fault_chains_section(&mut h, r);
    pod_trace_section(&mut h, r);
    let _ = writeln!(
        h,
        "<p>The CSV files beside this page hold everything: events.csv (with each event's cause), pods.csv, conditions.csv, timeseries.csv, workloads.csv, summary.csv.</p>"
    );
    h.push_str(&super::viewer::scripts(&[(&c.scenario.name, super::viewer::data_json(r))]));
    h.push_str("</body></html>\n");
    std::fs::write(dir.join("report.html"), h)
}

/// One pod's path through the cluster as a sequence diagram (`kubesim trace pod/NAME` as a
/// picture): the first pod a fault touched, else the first pod; its first steps.
fn pod_trace_section(h: &mut String, r: &RunResult) {
    const MAX_STEPS: usize = 80;
    let c = &r.cluster;
    let Some(id) = super::podtrace::chosen_pod(c) else { return };
    let p = c.api.pod(id);
    let steps = super::podtrace::steps(c, id, r.outcome.end);
    let shown = &steps[..steps.len().min(MAX_STEPS)];
    let _ = writeln!(h, "<h2 id=\"pod-trace\">A pod's path: {}/{}</h2>", esc(&p.namespace), esc(&p.name));
    let more = if steps.len() > shown.len() {
        format!(" (the first {} of {})", shown.len(), steps.len())
    } else {
        String::new()
    };
    let _ = writeln!(
        h,
        "<figure>{}<figcaption>Each arrow is one step{more}: who told or asked whom, at which virtual time (hover for the whole text). <code>kubesim trace pod/{}</code> prints them as a table.</figcaption></figure>",
        super::podtrace::sequence_svg(shown),
        esc(&p.name)
    );
}

/// The summary table and the workloads table.
fn summary_section(h: &mut String, r: &RunResult) {
    let s = &r.summary;
    let api = &r.cluster.api;
    // Summary.
    let _ = writeln!(h, "<h2 id=\"summary\">Summary</h2>\n<table>");
    let pct = |v: Option<[u64; 3]>| v.map_or("-".to_string(), |p| format!("{} / {} / {}", d(p[0]), d(p[1]), d(p[2])));
    let counters = api.counters;
    let rows: Vec<(&str, String)> = vec![
        ("nodes", s.nodes.to_string()),
        ("pods created", s.pods_created.to_string()),
        ("container restarts", s.restarts.to_string()),
        ("evictions (node pressure, taint, preemption, API)", s.evictions.to_string()),
        ("failed scheduling attempts", s.failed_scheduling.to_string()),
        ("pod startup p50 / p90 / p99, image pulls excluded", pct(s.startup_ms)),
        ("pod startup p50 / p90 / p99, with pulls", pct(s.startup_with_pulls_ms)),
        (
            "at the end",
            format!(
                "{} Running, {} Pending, {} Succeeded, {} Failed, {} Terminating",
                counters.running, counters.pending, counters.succeeded, counters.failed, counters.terminating
            ),
        ),
    ];
    for (k, v) in rows {
        let _ = writeln!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&v));
    }
    let _ = writeln!(h, "</table>");
    if !s.workloads.is_empty() {
        let _ = writeln!(
            h,
            "<table id=\"workloads\"><tr><th>workload</th><th>ready</th><th>availability</th><th>below desired</th><th>longest outage</th><th>ready >= PDB minimum</th><th>recovery per fault</th></tr>"
        );
        for w in &s.workloads {
            let rec = if w.recovery_ms.is_empty() {
                "-".to_string()
            } else {
                w.recovery_ms.iter().map(|x| x.map_or("never".into(), d)).collect::<Vec<_>>().join(", ")
            };
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}/{}</td><td>{:.2}%</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&w.name),
                w.ready,
                w.desired,
                w.availability * 100.0,
                d(w.below_desired_ms),
                d(w.longest_outage_ms),
                w.pdb_availability.as_ref().map_or("-".into(), |(b, a, below)| {
                    format!("{:.2}% (pdb/{}; {} below)", a * 100.0, esc(b), d(*below))
                }),
                esc(&rec)
            );
        }
        let _ = writeln!(h, "</table>");
    }
}

/// Every chart, its SVG inlined, with its caption; a time chart says where its time axis lies
/// (the viewer draws its cursor there).
pub(crate) fn charts_section(h: &mut String, dir: &Path, end: crate::sim::SimTime) {
    // Charts.
    let _ = writeln!(h, "<h2 id=\"charts\">Charts</h2>");
    for (name, caption) in CHARTS {
        let path = dir.join("charts").join(format!("{name}.svg"));
        let Ok(svg) = std::fs::read_to_string(&path) else { continue };
        let axis = super::charts::time_axis_pixels(name).map_or(String::new(), |(x0, x1)| {
            format!(" data-x0=\"{x0}\" data-x1=\"{x1}\" data-t1=\"{}\"", end.as_millis().max(1000))
        });
        let _ = writeln!(
            h,
            "<figure id=\"chart-{name}\"{axis}>{}<figcaption>{}</figcaption></figure>",
            inline_svg(&svg),
            esc(caption)
        );
    }
}

/// Per fault (and operator action), every event it caused, indented by depth, with the rule
/// that timed it.
fn fault_chains_section(h: &mut String, r: &RunResult) {
    let c = &r.cluster;
    let api = &c.api;
    // The fault timeline with the chains of consequences.
    let _ = writeln!(h, "<h2 id=\"timeline\">Faults and their consequences</h2>");
    let events = &c.rec.events;
    // Each event's root cause and depth, following the cause links (causes come first).
    let mut root = vec![0usize; events.len()];
    let mut depth = vec![0usize; events.len()];
    for (i, e) in events.iter().enumerate() {
        if e.cause > 0 && (e.cause as usize) <= i {
            let p = e.cause as usize - 1;
            root[i] = root[p];
            depth[i] = depth[p] + 1;
        } else {
            root[i] = i;
        }
    }
    let msg = |e: &RecordedEvent| crate::report::messages::render(e, api, &c.scenario.images, c.scenario.seed);
    let name_of = |e: &RecordedEvent| {
        let (kind, _, name) = api.describe(e.object);
        format!("{}/{}", kind.to_lowercase(), name)
    };
    let faults: Vec<usize> =
        (0..events.len()).filter(|&i| matches!(events[i].reason, "FaultInjected" | "OperatorAction")).collect();
    if faults.is_empty() {
        let _ = writeln!(h, "<p>No faults in this scenario.</p>");
    }
    for f in faults {
        let e = &events[f];
        let _ = writeln!(h, "<h3>{} at {}</h3>\n<div class=\"ev\">", esc(&msg(e)), d(e.time.as_millis()));
        let chain: Vec<usize> = (f..events.len()).filter(|&i| root[i] == f).collect();
        for &i in chain.iter().take(MAX_CHAIN_EVENTS) {
            let x = &events[i];
            let why = super::kubectl::rule(x, c);
            let _ = writeln!(
                h,
                "{}{:>9}s  {}  {}: {}{}",
                "  ".repeat(depth[i]),
                x.time.to_string(),
                esc(x.reason),
                esc(&name_of(x)),
                esc(&msg(x)),
                if why.is_empty() || i == f {
                    String::new()
                } else {
                    format!("  <span class=\"why\">({})</span>", esc(&why))
                }
            );
        }
        if chain.len() > MAX_CHAIN_EVENTS {
            let _ = writeln!(h, "... and {} more events (events.csv has them all)", chain.len() - MAX_CHAIN_EVENTS);
        }
        let _ = writeln!(h, "</div>");
    }
}
