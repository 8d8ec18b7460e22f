//! Charts of one run (`reports/<name>/charts/`, PNG and SVG): pods by phase over time (stacked)
//! and ready against desired replicas per workload, both with the faults drawn as labelled
//! shaded spans. Drawn with plotters and the bundled font.

use crate::cluster::Cluster;
use crate::sim::SimTime;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::io;
use std::path::Path;

const SIZE: (u32, u32) = (1100, 600);

/// A stacked layer: its name, colour and count in a sample.
type Layer = (&'static str, RGBColor, fn(&crate::report::recorder::Sample) -> u32);

fn fault_spans(c: &Cluster, end: SimTime) -> Vec<(f64, f64, &'static str)> {
    let secs = |t: SimTime| t.as_millis() as f64 / 1000.0;
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
    crate::sweep::charts::register_font();
    let charts = dir.join("charts");
    std::fs::create_dir_all(&charts)?;
    let png = charts.join("pods-by-phase.png");
    phases(BitMapBackend::new(&png, SIZE).into_drawing_area(), c, end).map_err(io::Error::other)?;
    let svg = charts.join("pods-by-phase.svg");
    phases(SVGBackend::new(&svg, SIZE).into_drawing_area(), c, end).map_err(io::Error::other)?;
    if !c.rec.workload_changes.is_empty() {
        let png = charts.join("ready-vs-desired.png");
        workloads(BitMapBackend::new(&png, SIZE).into_drawing_area(), c, end).map_err(io::Error::other)?;
        let svg = charts.join("ready-vs-desired.svg");
        workloads(SVGBackend::new(&svg, SIZE).into_drawing_area(), c, end).map_err(io::Error::other)?;
    }
    Ok(())
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
    let t_end = end.as_millis() as f64 / 1000.0;
    let layers: [Layer; 5] = [
        ("Running", RGBColor(44, 160, 44), |x| x.running),
        ("Pending", RGBColor(255, 187, 60), |x| x.pending),
        ("Terminating", RGBColor(148, 103, 189), |x| x.terminating),
        ("Succeeded", RGBColor(31, 119, 180), |x| x.succeeded),
        ("Failed", RGBColor(214, 39, 40), |x| x.failed),
    ];
    let top = s.iter().map(|x| layers.iter().map(|l| l.2(x)).sum::<u32>()).max().unwrap_or(1).max(1) as f64 * 1.15;
    let mut chart = ChartBuilder::on(&root)
        .caption(format!("{}: pods by phase", c.scenario.name), ("sans-serif", 22))
        .margin(18)
        .x_label_area_size(50)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..t_end.max(1.0), 0.0..top)
        .map_err(e)?;
    chart.configure_mesh().x_desc("time (s)").y_desc("pods").label_style(("sans-serif", 15)).draw().map_err(e)?;
    shade_faults(&mut chart, &fault_spans(c, end), top)?;
    // Stacked: each layer is drawn from the cumulative sum of it and the ones above it.
    for k in 0..layers.len() {
        let (name, color, _) = layers[k];
        let pts: Vec<(f64, f64)> = s
            .iter()
            .map(|x| (x.time.as_millis() as f64 / 1000.0, layers[k..].iter().map(|l| l.2(x)).sum::<u32>() as f64))
            .collect();
        chart
            .draw_series(AreaSeries::new(pts, 0.0, color.mix(0.85)))
            .map_err(e)?
            .label(name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 18, y + 5)], color.filled()));
    }
    crate::sweep::charts::finish(&root, &mut chart, SeriesLabelPosition::UpperRight)
}

fn workloads<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, c: &Cluster, end: SimTime) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| format!("drawing a chart: {x:?}");
    root.fill(&WHITE).map_err(e)?;
    let t_end = end.as_millis() as f64 / 1000.0;
    let secs = |t: SimTime| t.as_millis() as f64 / 1000.0;
    let top = c.rec.workload_changes.iter().flat_map(|(_, l)| l.iter().map(|x| x.1.max(x.2))).max().unwrap_or(1).max(1)
        as f64
        * 1.2;
    let mut chart = ChartBuilder::on(&root)
        .caption(format!("{}: ready vs desired replicas", c.scenario.name), ("sans-serif", 22))
        .margin(18)
        .x_label_area_size(50)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..t_end.max(1.0), 0.0..top)
        .map_err(e)?;
    chart.configure_mesh().x_desc("time (s)").y_desc("replicas").label_style(("sans-serif", 15)).draw().map_err(e)?;
    shade_faults(&mut chart, &fault_spans(c, end), top)?;
    const PALETTE: [RGBColor; 6] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(127, 127, 127),
    ];
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
    crate::sweep::charts::finish(&root, &mut chart, SeriesLabelPosition::LowerRight)
}
