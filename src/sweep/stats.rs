//! Per grid point statistics of each metric: the number of runs where it is defined, mean,
//! nearest-rank p50 and p95, and a 95% confidence interval of the mean (Student's t).

use super::Metric;

/// The statistics of one metric, as aggregate.csv names its columns (`METRIC_STAT`).
pub const STAT_NAMES: [&str; 6] = ["n", "mean", "p50", "p95", "ci95_low", "ci95_high"];

/// Two-sided 95% Student t quantiles for 1..=30 degrees of freedom; 1.96 beyond.
const T95: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
    2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
];

fn t95(df: usize) -> f64 {
    if df == 0 { f64::NAN } else { T95.get(df - 1).copied().unwrap_or(1.96) }
}

fn nearest_rank(sorted: &[f64], p: usize) -> f64 {
    let n = sorted.len();
    let rank = (p * n).div_ceil(100).max(1);
    sorted[rank - 1]
}

/// The six statistics of the defined values of one metric at one grid point.
pub fn summarize(vals: &[f64]) -> [Option<f64>; 6] {
    let n = vals.len();
    if n == 0 {
        return [Some(0.0), None, None, None, None, None];
    }
    let mut sorted = vals.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mean = vals.iter().sum::<f64>() / n as f64;
    let (lo, hi) = if n < 2 {
        (mean, mean)
    } else {
        let var = vals.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64;
        let half = t95(n - 1) * (var / n as f64).sqrt();
        (mean - half, mean + half)
    };
    [Some(n as f64), Some(mean), Some(nearest_rank(&sorted, 50)), Some(nearest_rank(&sorted, 95)), Some(lo), Some(hi)]
}

/// One row of aggregate.csv, read back (for the charts, also after a merge).
#[derive(Clone, Debug)]
pub struct AggRow {
    pub point: usize,
    pub params: Vec<String>,
    pub runs: u64,
    /// Per metric (in `Metric::ALL` order): the six statistics.
    pub stats: Vec<[Option<f64>; 6]>,
}

impl AggRow {
    pub fn parse(line: &str, n_params: usize) -> AggRow {
        let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(line.trim_end().as_bytes());
        let rec = r.records().next().and_then(|x| x.ok()).unwrap_or_default();
        let cells: Vec<&str> = rec.iter().collect();
        let get = |i: usize| cells.get(i).copied().unwrap_or("");
        let point = get(0).parse().unwrap_or(0);
        let params = (0..n_params).map(|i| get(1 + i).to_string()).collect();
        let runs = get(1 + n_params).parse().unwrap_or(0);
        let base = 2 + n_params;
        let stats = (0..Metric::ALL.len())
            .map(|m| {
                let mut s = [None; 6];
                for (k, cell) in s.iter_mut().enumerate() {
                    *cell = get(base + m * 6 + k).parse().ok();
                }
                s
            })
            .collect();
        AggRow { point, params, runs, stats }
    }

    pub fn stat(&self, m: Metric, which: usize) -> Option<f64> {
        let i = Metric::ALL.iter().position(|x| *x == m)?;
        self.stats[i][which]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_of_a_sample() {
        let s = summarize(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(s[0], Some(5.0));
        assert_eq!(s[1], Some(3.0));
        assert_eq!(s[2], Some(3.0));
        assert_eq!(s[3], Some(5.0));
        // sd = sqrt(2.5); half-width = 2.776 * sqrt(2.5 / 5).
        let half = 2.776 * (0.5f64).sqrt();
        assert!((s[4].unwrap() - (3.0 - half)).abs() < 1e-9);
        assert!((s[5].unwrap() - (3.0 + half)).abs() < 1e-9);
        assert_eq!(summarize(&[])[1], None);
        assert_eq!(summarize(&[7.0])[4], Some(7.0));
    }
}
