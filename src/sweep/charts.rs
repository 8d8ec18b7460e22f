//! Sweep charts: each reported metric against each parameter, the mean of every grid point
//! with its 95% interval as bars, one line per value of a second parameter. PNG and SVG,
//! drawn with plotters and a bundled font (no system libraries).

use super::stats::AggRow;
use super::{Metric, Sweep};
use crate::report::plot::{PALETTE, finish, png_and_svg, register_font};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::io;
use std::path::Path;

/// One line of a chart: its label and (x, mean, low, high) points.
struct Line {
    label: String,
    points: Vec<(f64, f64, f64, f64)>,
}

fn file_part(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect()
}

/// Write `charts/METRIC-vs-PARAM.{png,svg}` for every reported metric and parameter.
pub fn write_all(dir: &Path, sweep: &Sweep, rows: &[AggRow]) -> io::Result<()> {
    if sweep.params.is_empty() {
        return Ok(());
    }
    register_font();
    let charts = dir.join("charts");
    std::fs::create_dir_all(&charts)?;
    for &m in &sweep.report {
        for (p, param) in sweep.params.iter().enumerate() {
            // Lines: the values of the next parameter; other parameters at their first value.
            let q = (0..sweep.params.len()).find(|&i| i != p);
            let labels: Vec<&str> = param.values.iter().map(|v| v.0.as_str()).collect();
            let numeric: Option<Vec<f64>> = labels.iter().map(|l| l.parse::<f64>().ok()).collect();
            let x_of = |i: usize| numeric.as_ref().map_or(i as f64, |v| v[i]);
            let mut lines = Vec::new();
            let q_values = q.map_or(1, |q| sweep.params[q].values.len());
            for j in 0..q_values {
                let mut pts = Vec::new();
                for r in rows {
                    let c = sweep.coords(r.point);
                    let others_first = (0..c.len()).all(|k| k == p || Some(k) == q || c[k] == 0);
                    if !others_first || q.is_some_and(|q| c[q] != j) {
                        continue;
                    }
                    if let (Some(mean), Some(lo), Some(hi)) = (r.stat(m, 1), r.stat(m, 4), r.stat(m, 5)) {
                        pts.push((x_of(c[p]), mean, lo, hi));
                    }
                }
                pts.sort_by(|a, b| a.0.total_cmp(&b.0));
                let label = match q {
                    Some(q) => format!("{} = {}", sweep.params[q].path.as_str(), sweep.params[q].values[j].0),
                    None => m.name().to_string(),
                };
                lines.push(Line { label, points: pts });
            }
            let name = format!("{}-vs-{}", m.name(), file_part(param.path.as_str()));
            let title = format!("{}: {} vs {}", sweep.name, m.name(), param.path.as_str());
            let x_desc = param.path.as_str().to_string();
            let cat = numeric.is_none().then_some(labels.as_slice());
            png_and_svg!(charts, name, (960, 600), |root| draw(root, &title, &x_desc, m, &lines, cat));
        }
    }
    Ok(())
}

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    title: &str,
    x_desc: &str,
    m: Metric,
    lines: &[Line],
    categories: Option<&[&str]>,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| format!("drawing a chart: {x:?}");
    root.fill(&WHITE).map_err(e)?;
    let all = lines.iter().flat_map(|l| l.points.iter());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, _, lo, hi) in all {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(lo);
        y1 = y1.max(hi);
    }
    if x0 > x1 {
        (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
    }
    let xpad = ((x1 - x0) * 0.05).max(0.5);
    let ypad = ((y1 - y0) * 0.1).max(if m == Metric::Availability { 0.005 } else { 0.5 });
    let y_lo = if y0 >= 0.0 && y0 - ypad < 0.0 { 0.0 } else { y0 - ypad };
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(18)
        .x_label_area_size(55)
        .y_label_area_size(80)
        .build_cartesian_2d((x0 - xpad)..(x1 + xpad), y_lo..(y1 + ypad))
        .map_err(e)?;
    let fmt_x = |x: &f64| match categories {
        Some(c) => {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < c.len() {
                c[i as usize].to_string()
            } else {
                String::new()
            }
        }
        None => {
            if x.fract() == 0.0 {
                format!("{x:.0}")
            } else {
                format!("{x:.2}")
            }
        }
    };
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(x_desc).y_desc(m.label()).x_label_formatter(&fmt_x).label_style(("sans-serif", 15));
    if let Some(c) = categories {
        mesh.x_labels(c.len() * 4 + 1);
    }
    mesh.draw().map_err(e)?;
    for (i, l) in lines.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        chart
            .draw_series(LineSeries::new(l.points.iter().map(|p| (p.0, p.1)), color.stroke_width(2)))
            .map_err(e)?
            .label(l.label.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], color.stroke_width(2)));
        chart
            .draw_series(l.points.iter().map(|p| ErrorBar::new_vertical(p.0, p.2, p.1, p.3, color.filled(), 10)))
            .map_err(e)?;
        chart.draw_series(l.points.iter().map(|p| Circle::new((p.0, p.1), 4, color.filled()))).map_err(e)?;
    }
    finish(&root, &mut chart, SeriesLabelPosition::UpperRight)
}
