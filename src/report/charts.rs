//! Charts of one run (`reports/<name>/charts/`, PNG and SVG): pods by phase over time (stacked)
//! and ready against desired replicas per workload, both with the faults drawn as labelled
//! shaded spans; a node x time timeline of which pod ran where and in which state, with the
//! nodes' NotReady periods shaded; the pod startup latency CDF split into its parts; restarts
//! and evictions over time. Drawn with plotters and the bundled font.

use super::timeline;
use crate::cluster::Cluster;
use crate::report::plot::png_and_svg;
use crate::sim::SimTime;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::io;
use std::path::Path;

const SIZE: (u32, u32) = (1100, 600);
/// The charts' margin and y label areas (pixels).
const MARGIN: u32 = 18;
const Y_LABELS: u32 = 60;
const TIMELINE_Y_LABELS: u32 = 110;

/// The left and right edge (pixels) of the plot area of each run chart whose x axis is time
/// (0 to the run's end), for the viewer's cursor: plotters puts it between the margin plus the
/// y label area and the width less the margin.
pub fn time_axis_pixels(name: &str) -> Option<(u32, u32)> {
    let labels = match name {
        "pods-by-phase" | "ready-vs-desired" | "restarts-evictions" | "memory-usage" => Y_LABELS,
        "node-timeline" => TIMELINE_Y_LABELS,
        _ => return None,
    };
    Some((MARGIN + labels, SIZE.0 - MARGIN))
}

/// A stacked layer: its name, colour and count in a sample.
type Layer = (&'static str, RGBColor, fn(&crate::record::Sample) -> u32);

fn fault_spans(c: &Cluster, end: SimTime) -> Vec<(f64, f64, &'static str)> {
    let secs = mins;
    c.rec
        .fault_spans
        .iter()
        .filter(|(_, _, a)| !matches!(*a, "set-image" | "rollout-restart" | "scale" | "add-nodes"))
        .map(|&(s, e, a)| {
            // Faults without a duration, or instant ones, still get a visible band.
            let stop = e.unwrap_or(end).min(end);
            let stop =
                if stop.as_millis() <= s.as_millis() + 1000 { s.plus((end.as_millis() / 200).max(1000)) } else { stop };
            (secs(s), secs(stop), a)
        })
        .collect()
}

/// Write the run's charts into `dir/charts`.
pub fn write_run_charts(dir: &Path, c: &Cluster, end: SimTime) -> io::Result<()> {
    crate::report::plot::register_font();
    let charts = dir.join("charts");
    std::fs::create_dir_all(&charts)?;
    png_and_svg!(charts, "pods-by-phase", SIZE, |root| phases(root, c, end));
    if !c.rec.workload_changes.is_empty() {
        png_and_svg!(charts, "ready-vs-desired", SIZE, |root| workloads(root, c, end));
    }
    let segments = timeline::pod_segments(c, end);
    let rows = c.api.nodes.len().clamp(1, MAX_TIMELINE_NODES);
    let size = (SIZE.0, (140 + 26 * rows as u32).max(360));
    png_and_svg!(charts, "node-timeline", size, |root| node_timeline(root, c, end, &segments));
    let parts = timeline::startup_parts(c);
    png_and_svg!(charts, "startup-latency", SIZE, |root| startup_cdf(root, c, &parts));
    png_and_svg!(charts, "restarts-evictions", SIZE, |root| restarts_evictions(root, c, end));
    if !c.rec.memory_samples.is_empty() {
        png_and_svg!(charts, "memory-usage", SIZE, |root| memory_usage(root, c, end));
    }
    Ok(())
}

/// The node x time chart shows at most this many nodes (the first ones).
pub const MAX_TIMELINE_NODES: usize = 40;

/// The pod states' colours, from the Okabe-Ito palette (told apart with the common forms of
/// colour blindness).
fn state_color(s: timeline::PodState) -> RGBColor {
    match s {
        timeline::PodState::Starting => RGBColor(170, 170, 170),
        timeline::PodState::Pulling => RGBColor(86, 180, 233),
        timeline::PodState::Running => RGBColor(0, 158, 115),
        timeline::PodState::ImageBackOff => RGBColor(230, 159, 0),
        timeline::PodState::CrashBackOff => RGBColor(213, 94, 0),
        timeline::PodState::Terminating => RGBColor(204, 121, 167),
    }
}

/// The node marks: NotReady shades the row and draws a band along its bottom; power-off (which
/// also fades the pods' bars: nothing runs) and partition draw a band along its top.
const NOT_READY_SHADE: RGBColor = RGBColor(255, 200, 200);
const NOT_READY_MARK: RGBColor = RGBColor(200, 30, 30);
const POWER_OFF_MARK: RGBColor = RGBColor(0, 0, 0);
const PARTITION_MARK: RGBColor = RGBColor(0, 114, 178);

/// A time axis label: seconds as kubectl writes durations (`45s`, `2m`, `4m30s`, `1h5m`).
pub(crate) fn axis_time(minutes: &f64) -> String {
    let ms = (minutes * 60_000.0).round().max(0.0) as u64;
    if ms == 0 {
        return "0".into();
    }
    let s = ms / 1000;
    let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
    let frac = ms % 1000;
    match (h, m, sec) {
        _ if s < 60 && frac > 0 => format!("{}s", (ms as f64 / 1000.0)),
        (0, 0, _) => format!("{sec}s"),
        (0, _, 0) => format!("{m}m"),
        (0, _, _) => format!("{m}m{sec}s"),
        (_, 0, _) => format!("{h}h"),
        _ => format!("{h}h{m}m"),
    }
}

/// A moment as the time charts' x (minutes, so that the axis ticks fall on round durations).
pub(crate) fn mins(t: SimTime) -> f64 {
    t.as_millis() as f64 / 60_000.0
}

/// Which pod ran where: one row per node, a bar per pod coloured by its state (several pods on
/// a node share the row in thinner lanes), the node's NotReady periods shaded.
fn node_timeline<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    c: &Cluster,
    end: SimTime,
    segments: &[timeline::Segment],
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| format!("drawing a chart: {x:?}");
    root.fill(&WHITE).map_err(e)?;
    let n = c.api.nodes.len().min(MAX_TIMELINE_NODES);
    let t_end = mins(end);
    let secs = mins;
    let title = if c.api.nodes.len() > n {
        format!("{}: pods on nodes over time (first {n} of {} nodes)", c.scenario.name, c.api.nodes.len())
    } else {
        format!("{}: pods on nodes over time", c.scenario.name)
    };
    let names: Vec<String> = c.api.nodes.iter().take(n).map(|x| x.name.clone()).collect();
    // The legend gets its own column on the right, clear of the bars.
    let (w, _) = root.dim_in_pixel();
    let (plot, side) = root.split_horizontally(w.saturating_sub(230));
    use timeline::PodState as S;
    let states = [S::Starting, S::Pulling, S::Running, S::ImageBackOff, S::CrashBackOff, S::Terminating];
    let mut entries: Vec<(&str, RGBColor)> = states.iter().map(|&s| (s.name(), state_color(s))).collect();
    entries.push(("NotReady (bottom band)", NOT_READY_MARK));
    entries.push(("powered off (top band)", POWER_OFF_MARK));
    entries.push(("partitioned (top band)", PARTITION_MARK));
    for (i, (label, color)) in entries.iter().enumerate() {
        let y = 70 + 26 * i as i32;
        side.draw(&Rectangle::new([(10, y - 7), (30, y + 7)], color.filled())).map_err(e)?;
        side.draw(&Text::new(label.to_string(), (38, y - 8), ("sans-serif", 15).into_font())).map_err(e)?;
    }
    let mut chart = ChartBuilder::on(&plot)
        .caption(title, ("sans-serif", 22))
        .margin(MARGIN)
        .x_label_area_size(50)
        .y_label_area_size(TIMELINE_Y_LABELS)
        .build_cartesian_2d(0.0..t_end.max(1.0 / 60.0), 0.0..n.max(1) as f64)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc("time")
        .x_label_formatter(&axis_time)
        .y_desc("node")
        .y_labels(n.max(1) * 2 + 1)
        .y_label_formatter(&|y: &f64| {
            // Labels sit at row centres (k + 0.5); other tick positions stay blank.
            let k = y.floor() as usize;
            if (y - k as f64 - 0.5).abs() < 1e-6 {
                names.get(n - 1 - k.min(n - 1)).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .disable_y_mesh()
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(e)?;
    // Row k (from the top) is node k.
    let row = |node: usize| (n - 1 - node) as f64;
    for (node, a, b) in timeline::node_down_spans(c, end) {
        if node.idx() >= n {
            continue;
        }
        let y = row(node.idx());
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(secs(a), y), (secs(b), y + 1.0)],
                NOT_READY_SHADE.mix(0.5).filled(),
            )))
            .map_err(e)?;
        chart
            .draw_series(std::iter::once(Rectangle::new([(secs(a), y), (secs(b), y + 0.08)], NOT_READY_MARK.filled())))
            .map_err(e)?;
    }
    let marks = timeline::node_mark_spans(c, end);
    for &(node, a, b, mark) in &marks {
        if node.idx() >= n {
            continue;
        }
        let y = row(node.idx());
        let color = if mark == timeline::NodeMark::PowerOff { POWER_OFF_MARK } else { PARTITION_MARK };
        chart
            .draw_series(std::iter::once(Rectangle::new([(secs(a), y + 0.92), (secs(b), y + 1.0)], color.filled())))
            .map_err(e)?;
    }
    let (order, lane_counts, lane_of) = lanes(segments, n);
    // Each pod's name on its lane at its first bar (drawn last, over the bars).
    let mut labels: std::collections::BTreeMap<crate::api::PodId, (f64, f64, f64)> = Default::default();
    for s in order {
        let count = lane_counts[s.node.idx()].max(1) as f64;
        let k = lane_of[&s.pod] as f64;
        let y0 = row(s.node.idx()) + 0.1 + 0.8 * k / count;
        let y1 = y0 + 0.8 / count * 0.85;
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(secs(s.from), y0), (secs(s.to), y1)],
                state_color(s.state).filled(),
            )))
            .map_err(e)?;
        labels.entry(s.pod).or_insert((secs(s.from), y0, y1));
    }
    // A powered-off node runs nothing, whatever the API still says of its pods: faded.
    for &(node, a, b, mark) in &marks {
        if node.idx() < n && mark == timeline::NodeMark::PowerOff {
            let y = row(node.idx());
            let fade = Rectangle::new([(secs(a), y + 0.08), (secs(b), y + 0.92)], WHITE.mix(0.65).filled());
            chart.draw_series(std::iter::once(fade)).map_err(e)?;
        }
    }
    for (p, (x, y0, y1)) in labels {
        label_lane(&mut chart, &c.api.pod(p).name, x, t_end, (y0, y1))?;
    }
    root.present().map_err(e)
}

/// Lanes of the node timeline: each pod gets the lowest lane of its node free at its start.
/// The segments on the first `n` nodes in time order, each node's lane count, each pod's lane.
type Lanes<'a> = (Vec<&'a timeline::Segment>, Vec<usize>, std::collections::BTreeMap<crate::api::PodId, usize>);

fn lanes(segments: &[timeline::Segment], n: usize) -> Lanes<'_> {
    let mut lanes: Vec<Vec<(crate::api::PodId, SimTime)>> = vec![Vec::new(); n];
    let mut lane_of: std::collections::BTreeMap<crate::api::PodId, usize> = std::collections::BTreeMap::new();
    let mut order: Vec<&timeline::Segment> = segments.iter().filter(|s| s.node.idx() < n).collect();
    order.sort_by_key(|s| (s.from, s.pod));
    for s in &order {
        if lane_of.contains_key(&s.pod) {
            continue;
        }
        let last = segments.iter().filter(|x| x.pod == s.pod).map(|x| x.to).max().unwrap_or(s.to);
        let l = &mut lanes[s.node.idx()];
        let k = match l.iter().position(|&(_, free)| free <= s.from) {
            Some(k) => k,
            None => {
                l.push((s.pod, SimTime::ZERO));
                l.len() - 1
            }
        };
        l[k] = (s.pod, last);
        lane_of.insert(s.pod, k);
    }
    (order, lanes.iter().map(Vec::len).collect(), lane_of)
}

/// A pod's name on its lane when the lane is at least 11 pixels tall: the whole name, or its
/// last part (the generated suffix) when the name runs past the end of the chart.
fn label_lane<DB: DrawingBackend>(
    chart: &mut ChartContext<
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    name: &str,
    x: f64,
    t_end: f64,
    (y0, y1): (f64, f64),
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let (px0, py0) = chart.backend_coord(&(x, y0));
    let (px_end, py1) = chart.backend_coord(&(t_end, y1));
    let height = (py0 - py1).abs();
    if height < 11 {
        return Ok(());
    }
    // About 6 pixels a character at size 10.
    let room = ((px_end - px0).max(0) / 6) as usize;
    let text = if name.len() <= room { name } else { name.rsplit('-').next().unwrap_or(name) };
    if text.len() > room {
        return Ok(());
    }
    let size = (height - 2).min(12);
    let style = ("sans-serif", size).into_font().color(&BLACK).pos(plotters::style::text_anchor::Pos::new(
        plotters::style::text_anchor::HPos::Left,
        plotters::style::text_anchor::VPos::Center,
    ));
    let at = (x + (t_end / 400.0), (y0 + y1) / 2.0);
    chart
        .draw_series(std::iter::once(Text::new(text.to_string(), at, style)))
        .map_err(|e| format!("drawing a chart: {e:?}"))?;
    Ok(())
}

/// The startup latency CDF (created -> Ready), and of its parts: scheduling (created ->
/// bound), image pulls, the rest (create, start, readiness).
fn startup_cdf<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, c: &Cluster, parts: &[[f64; 4]]) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| format!("drawing a chart: {x:?}");
    root.fill(&WHITE).map_err(e)?;
    let max = parts.iter().map(|p| p[3]).fold(0.0, f64::max).max(0.001) * 1.05;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("{}: pod startup latency, {} pods (created -> Ready)", c.scenario.name, parts.len()),
            ("sans-serif", 22),
        )
        .margin(MARGIN)
        .x_label_area_size(50)
        .y_label_area_size(Y_LABELS)
        .build_cartesian_2d(0.0..max, 0.0..1.02)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc("seconds")
        .y_desc("fraction of pods")
        .label_style(("sans-serif", 15))
        .draw()
        .map_err(e)?;
    let series: [(&str, usize, RGBColor); 4] = [
        ("total (created -> Ready)", 3, RGBColor(0, 0, 0)),
        ("scheduling (created -> bound)", 0, RGBColor(255, 127, 14)),
        ("image pulls", 1, RGBColor(31, 119, 180)),
        ("start (create, start, readiness)", 2, RGBColor(44, 160, 44)),
    ];
    for (name, k, color) in series {
        let mut v: Vec<f64> = parts.iter().map(|p| p[k]).collect();
        v.sort_by(f64::total_cmp);
        let n = v.len().max(1) as f64;
        // A step function: the fraction at or below each value. Values closer than a quarter
        // of a pixel share one step, so that 100,000 pods draw as a few thousand points.
        let bucket = max / (4.0 * SIZE.0 as f64);
        let mut pts = vec![(0.0, 0.0)];
        let mut i = 0;
        while i < v.len() {
            let j = i + v[i..].partition_point(|&x| x - v[i] <= bucket);
            pts.push((v[i], i as f64 / n));
            pts.push((v[j - 1], j as f64 / n));
            i = j;
        }
        pts.push((max, if v.is_empty() { 0.0 } else { 1.0 }));
        let width = if k == 3 { 3 } else { 2 };
        chart
            .draw_series(LineSeries::new(pts, color.stroke_width(width)))
            .map_err(e)?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], color.stroke_width(width)));
    }
    crate::report::plot::finish(&root, &mut chart, SeriesLabelPosition::LowerRight)
}

/// A chart whose x axis is the run's time (minutes, labelled as durations) and whose y axis
/// runs from 0 to `top`, its mesh drawn.
type TimeChart<'a, DB> =
    ChartContext<'a, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>>;

fn time_chart<'a, DB: DrawingBackend + 'a>(
    root: &'a DrawingArea<DB, Shift>,
    title: String,
    t_end: f64,
    top: f64,
    y_desc: &str,
) -> Result<TimeChart<'a, DB>, String>
where
    DB::ErrorType: 'static,
{
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| format!("drawing a chart: {x:?}");
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 22))
        .margin(MARGIN)
        .x_label_area_size(50)
        .y_label_area_size(Y_LABELS)
        .build_cartesian_2d(0.0..t_end.max(1.0 / 60.0), 0.0..top)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc("time")
        .x_label_formatter(&axis_time)
        .y_desc(y_desc)
        .label_style(("sans-serif", 15))
        .draw()
        .map_err(e)?;
    Ok(chart)
}

/// The memory chart shows at most this many pods (those that used the most).
pub const MAX_MEMORY_PODS: usize = 8;

/// Memory used by the pods whose behaviour uses memory, sampled, with each one's memory limit
/// (the sum of its containers', when all have one) dashed: where the OOM killer strikes.
fn memory_usage<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, c: &Cluster, end: SimTime) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| format!("drawing a chart: {x:?}");
    root.fill(&WHITE).map_err(e)?;
    const MIB: f64 = 1024.0 * 1024.0;
    let mut series: std::collections::BTreeMap<crate::api::PodId, Vec<(f64, f64)>> = Default::default();
    for m in &c.rec.memory_samples {
        series.entry(m.pod).or_default().push((mins(m.time), m.bytes as f64 / MIB));
    }
    let peak = |v: &Vec<(f64, f64)>| v.iter().map(|p| p.1).fold(0.0, f64::max);
    let mut pods: Vec<(crate::api::PodId, Vec<(f64, f64)>)> = series.into_iter().collect();
    pods.sort_by(|a, b| peak(&b.1).total_cmp(&peak(&a.1)).then(a.0.cmp(&b.0)));
    pods.truncate(MAX_MEMORY_PODS);
    let limit_of = |p: crate::api::PodId| {
        let spec = &c.api.pod(p).spec;
        spec.containers
            .iter()
            .all(|x| x.has_memory_limit)
            .then(|| spec.containers.iter().map(|x| x.limits.memory).sum::<u64>() as f64 / MIB)
    };
    let top = pods.iter().map(|(p, v)| peak(v).max(limit_of(*p).unwrap_or(0.0))).fold(1.0, f64::max) * 1.2;
    let t_end = mins(end);
    let title = format!("{}: memory used by pods", c.scenario.name);
    let mut chart = time_chart(&root, title, t_end, top, "MiB")?;
    shade_faults(&mut chart, &fault_spans(c, end), top)?;
    use crate::report::plot::PALETTE;
    for (i, (p, pts)) in pods.into_iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let name = c.api.pod(p).name.clone();
        chart
            .draw_series(LineSeries::new(pts, color.stroke_width(2)))
            .map_err(e)?
            .label(name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], color.stroke_width(2)));
        if let Some(limit) = limit_of(p) {
            chart
                .draw_series(DashedLineSeries::new(vec![(0.0, limit), (t_end, limit)], 6, 4, color.stroke_width(1)))
                .map_err(e)?
                .label(format!("{name} limit"))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], color.stroke_width(1)));
        }
    }
    crate::report::plot::finish(&root, &mut chart, SeriesLabelPosition::UpperLeft)
}

/// Cumulative container restarts and evictions over time, with the faults shaded.
fn restarts_evictions<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, c: &Cluster, end: SimTime) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| format!("drawing a chart: {x:?}");
    root.fill(&WHITE).map_err(e)?;
    let (restarts, evictions) = timeline::restarts_and_evictions(c);
    let t_end = mins(end);
    let top = restarts.len().max(evictions.len()).max(1) as f64 * 1.2;
    let title = format!("{}: restarts and evictions", c.scenario.name);
    let mut chart = time_chart(&root, title, t_end, top, "count so far")?;
    shade_faults(&mut chart, &fault_spans(c, end), top)?;
    for (name, times, color) in [
        ("container restarts", &restarts, RGBColor(214, 39, 40)),
        ("evictions (node pressure, taint, preemption, API)", &evictions, RGBColor(148, 103, 189)),
    ] {
        let mut pts = vec![(0.0, 0.0)];
        for (i, t) in times.iter().enumerate() {
            let x = mins(*t);
            pts.push((x, i as f64));
            pts.push((x, (i + 1) as f64));
        }
        pts.push((t_end, times.len() as f64));
        chart
            .draw_series(LineSeries::new(pts, color.stroke_width(2)))
            .map_err(e)?
            .label(format!("{name}: {}", times.len()))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], color.stroke_width(2)));
    }
    crate::report::plot::finish(&root, &mut chart, SeriesLabelPosition::UpperRight)
}

fn shade_faults<DB: DrawingBackend>(
    chart: &mut ChartContext<
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    spans: &[(f64, f64, &'static str)],
    top: f64,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    for (i, &(a, b, label)) in spans.iter().enumerate() {
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(a, 0.0), (b, top)],
                RGBColor(255, 80, 80).mix(0.15).filled(),
            )))
            .map_err(|e| format!("{e:?}"))?;
        // Labels staggered so that neighbouring faults stay readable.
        let y = top * (0.97 - 0.05 * (i % 4) as f64);
        chart
            .draw_series(std::iter::once(Text::new(
                label.to_string(),
                (a, y),
                ("sans-serif", 13).into_font().color(&RGBColor(180, 0, 0)),
            )))
            .map_err(|e| format!("{e:?}"))?;
    }
    Ok(())
}

fn phases<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, c: &Cluster, end: SimTime) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| format!("drawing a chart: {x:?}");
    root.fill(&WHITE).map_err(e)?;
    let s = &c.rec.samples;
    let t_end = mins(end);
    let layers: [Layer; 5] = [
        ("Running", RGBColor(44, 160, 44), |x| x.running),
        ("Pending", RGBColor(255, 187, 60), |x| x.pending),
        ("Terminating", RGBColor(148, 103, 189), |x| x.terminating),
        ("Succeeded", RGBColor(31, 119, 180), |x| x.succeeded),
        ("Failed", RGBColor(214, 39, 40), |x| x.failed),
    ];
    let top = s.iter().map(|x| layers.iter().map(|l| l.2(x)).sum::<u32>()).max().unwrap_or(1).max(1) as f64 * 1.15;
    let title = format!("{}: pods by phase", c.scenario.name);
    let mut chart = time_chart(&root, title, t_end, top, "pods")?;
    shade_faults(&mut chart, &fault_spans(c, end), top)?;
    // Stacked: each layer is drawn from the cumulative sum of it and the ones above it.
    for k in 0..layers.len() {
        let (name, color, _) = layers[k];
        // Steps: a count holds until the next sample.
        let mut pts: Vec<(f64, f64)> = Vec::with_capacity(2 * s.len());
        for x in s {
            let v = layers[k..].iter().map(|l| l.2(x)).sum::<u32>() as f64;
            if let Some(&(_, prev)) = pts.last() {
                pts.push((mins(x.time), prev));
            }
            pts.push((mins(x.time), v));
        }
        chart
            .draw_series(AreaSeries::new(pts, 0.0, color.mix(0.85)))
            .map_err(e)?
            .label(name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 18, y + 5)], color.filled()));
    }
    crate::report::plot::finish(&root, &mut chart, SeriesLabelPosition::UpperRight)
}

fn workloads<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, c: &Cluster, end: SimTime) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| format!("drawing a chart: {x:?}");
    root.fill(&WHITE).map_err(e)?;
    let t_end = mins(end);
    let secs = mins;
    let top = c.rec.workload_changes.iter().flat_map(|(_, l)| l.iter().map(|x| x.1.max(x.2))).max().unwrap_or(1).max(1)
        as f64
        * 1.2;
    let title = format!("{}: ready vs desired replicas", c.scenario.name);
    let mut chart = time_chart(&root, title, t_end, top, "replicas")?;
    shade_faults(&mut chart, &fault_spans(c, end), top)?;
    use crate::report::plot::PALETTE;
    for (i, (w, log)) in c.rec.workload_changes.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let name = c.api.workload(*w).0;
        // Step lines: a value holds until the next change.
        let step = |f: fn(&(SimTime, u32, u32)) -> u32| -> Vec<(f64, f64)> {
            let mut v = Vec::new();
            for (k, x) in log.iter().enumerate() {
                let t = secs(x.0);
                if k > 0 {
                    v.push((t, f(&log[k - 1]) as f64));
                }
                v.push((t, f(x) as f64));
            }
            if let Some(last) = log.last() {
                v.push((t_end, f(last) as f64));
            }
            v
        };
        chart
            .draw_series(LineSeries::new(step(|x| x.2), color.stroke_width(2)))
            .map_err(e)?
            .label(format!("{name} ready"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], color.stroke_width(2)));
        chart
            .draw_series(DashedLineSeries::new(step(|x| x.1), 6, 4, color.stroke_width(1)))
            .map_err(e)?
            .label(format!("{name} desired"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], color.stroke_width(1)));
    }
    crate::report::plot::finish(&root, &mut chart, SeriesLabelPosition::LowerRight)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_axis_lies_where_plotters_draws_it() {
        // The cursor of report.html's viewer is placed from `time_axis_pixels`: the plot area a
        // chart built as the run charts are (caption, margin, label areas) really has.
        crate::report::plot::register_font();
        for (name, labels) in [("pods-by-phase", Y_LABELS), ("node-timeline", TIMELINE_Y_LABELS)] {
            let mut buf = vec![0u8; (SIZE.0 * SIZE.1 * 3) as usize];
            let root = BitMapBackend::with_buffer(&mut buf, SIZE).into_drawing_area();
            let chart = ChartBuilder::on(&root)
                .caption("x", ("sans-serif", 22))
                .margin(MARGIN)
                .x_label_area_size(50)
                .y_label_area_size(labels)
                .build_cartesian_2d(0.0..900.0, 0.0..1.0)
                .unwrap();
            let (x, _) = chart.plotting_area().get_pixel_range();
            let (x0, x1) = time_axis_pixels(name).unwrap();
            assert_eq!((x.start as u32, x.end as u32), (x0, x1), "{name}");
        }
        assert_eq!(time_axis_pixels("startup-latency"), None);
    }
}
