//! Parameter sweeps (`kind: Sweep`): a base scenario, a grid of parameters set by path, and
//! seeds. Every run builds its own world inside a rayon worker; results stream to disk in grid
//! order; a run's seed depends only on the base seed and its replicate, so `runs.csv` is the
//! same bytes for any `--jobs` and any sharding. `merge` joins the parts of a sharded sweep.

pub mod charts;
pub mod stats;

use crate::scenario::error::{LoadError, SourceFile};
use crate::scenario::expect::Value;
use crate::scenario::set::{Docs, Node, Path as SetPath, parse_value};
use crate::scenario::{LoadOptions, Scenario};
use rayon::prelude::*;
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::fmt::Write as _;
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Runs in flight between two writes: enough to keep every worker busy, few enough that
/// memory stays bounded for any number of runs.
const RUNS_PER_BATCH_PER_JOB: usize = 64;

/// A metric of one run (`report:` names them; runs.csv has them all).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    Availability,
    RecoveryTime,
    LongestOutage,
    Restarts,
    Evictions,
    FailedScheduling,
    PodsCreated,
    StartupP50,
    StartupP99,
    StartupWithPullsP50,
    StartupWithPullsP99,
    Events,
}

impl Metric {
    pub const ALL: [Metric; 12] = [
        Metric::Availability,
        Metric::RecoveryTime,
        Metric::LongestOutage,
        Metric::Restarts,
        Metric::Evictions,
        Metric::FailedScheduling,
        Metric::PodsCreated,
        Metric::StartupP50,
        Metric::StartupP99,
        Metric::StartupWithPullsP50,
        Metric::StartupWithPullsP99,
        Metric::Events,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Metric::Availability => "availability",
            Metric::RecoveryTime => "recoveryTime",
            Metric::LongestOutage => "longestOutage",
            Metric::Restarts => "restarts",
            Metric::Evictions => "evictions",
            Metric::FailedScheduling => "failedScheduling",
            Metric::PodsCreated => "podsCreated",
            Metric::StartupP50 => "startupP50",
            Metric::StartupP99 => "startupP99",
            Metric::StartupWithPullsP50 => "startupWithPullsP50",
            Metric::StartupWithPullsP99 => "startupWithPullsP99",
            Metric::Events => "events",
        }
    }

    /// Axis label with the unit.
    pub fn label(self) -> &'static str {
        match self {
            Metric::Availability => "availability (fraction of time ready >= desired)",
            Metric::RecoveryTime => "time to recover (s)",
            Metric::LongestOutage => "longest outage (s)",
            Metric::Restarts => "container restarts",
            Metric::Evictions => "evictions",
            Metric::FailedScheduling => "failed scheduling attempts",
            Metric::PodsCreated => "pods created",
            Metric::StartupP50 => "pod startup p50 (s)",
            Metric::StartupP99 => "pod startup p99 (s)",
            Metric::StartupWithPullsP50 => "pod startup with pulls p50 (s)",
            Metric::StartupWithPullsP99 => "pod startup with pulls p99 (s)",
            Metric::Events => "events processed",
        }
    }

    fn parse(s: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.name() == s)
    }

    /// The metric of a finished run (`None`: undefined, e.g. never recovered).
    pub fn of(self, s: &crate::report::Summary) -> Option<f64> {
        let secs = |ms: u64| ms as f64 / 1000.0;
        Some(match self {
            Metric::Availability => s.availability(),
            Metric::RecoveryTime => secs(s.recovery_ms()?),
            Metric::LongestOutage => secs(s.workloads.iter().map(|w| w.longest_outage_ms).max().unwrap_or(0)),
            Metric::Restarts => s.restarts as f64,
            Metric::Evictions => s.evictions as f64,
            Metric::FailedScheduling => s.failed_scheduling as f64,
            Metric::PodsCreated => s.pods_created as f64,
            Metric::StartupP50 => secs(s.startup_ms?[0]),
            Metric::StartupP99 => secs(s.startup_ms?[2]),
            Metric::StartupWithPullsP50 => secs(s.startup_with_pulls_ms?[0]),
            Metric::StartupWithPullsP99 => secs(s.startup_with_pulls_ms?[2]),
            Metric::Events => s.events_processed as f64,
        })
    }

    /// How a value is written (fixed precision, so the bytes never depend on the platform).
    pub fn format(self, v: f64) -> String {
        match self {
            Metric::Availability => format!("{v:.6}"),
            Metric::RecoveryTime
            | Metric::LongestOutage
            | Metric::StartupP50
            | Metric::StartupP99
            | Metric::StartupWithPullsP50
            | Metric::StartupWithPullsP99 => format!("{v:.3}"),
            _ => format!("{v:.0}"),
        }
    }
}

// ---------- the sweep file ----------

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SweepDoc {
    api_version: Spanned<String>,
    kind: Spanned<String>,
    metadata: SweepMeta,
    spec: SweepSpec,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct SweepMeta {
    name: Spanned<String>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SweepSpec {
    scenario: Spanned<String>,
    #[serde(default)]
    seeds: Option<Spanned<SeedsRaw>>,
    #[serde(default)]
    parameters: Vec<Spanned<ParamRaw>>,
    #[serde(default)]
    report: Option<Spanned<Vec<Spanned<String>>>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct SeedsRaw {
    #[serde(default)]
    from: Option<u64>,
    count: u32,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct ParamRaw {
    set: Spanned<String>,
    values: Spanned<Vec<Spanned<Value>>>,
}

/// One swept parameter: its path and its values (as written, and as YAML to set).
#[derive(Clone, Debug)]
pub struct Param {
    pub path: SetPath,
    pub values: Vec<(String, Node)>,
}

/// A validated sweep.
#[derive(Clone, Debug)]
pub struct Sweep {
    pub file: PathBuf,
    pub name: String,
    pub description: String,
    pub scenario_file: PathBuf,
    base: Docs,
    base_name: String,
    pub seed_from: u64,
    pub seed_count: u32,
    pub params: Vec<Param>,
    pub report: Vec<Metric>,
    /// FNV-1a 64 over the sweep and scenario texts: parts of one sweep carry the same hash.
    pub hash: u64,
    /// How the base scenario and every grid point are loaded.
    opts: LoadOptions,
}

/// Default seeds when `spec.seeds` is left out: the scenario's own seed, once.
const DEFAULT_SEED_COUNT: u32 = 1;
/// Refuse grids larger than this (it would not finish; split it with shards or fewer values).
pub const MAX_RUNS: u64 = 100_000_000;

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::Scalar(s) => Some(s.clone()),
        _ => None,
    }
}

impl Sweep {
    /// Read and validate a sweep file: the base scenario must load, and so must every grid
    /// point (each value of each parameter is tried), before anything runs.
    pub fn load(path: &Path) -> Result<Sweep, LoadError> {
        Sweep::load_with(path, &LoadOptions::default())
    }

    /// `load` with the user's options (`--allow-outside-paths` for the base scenario's paths).
    pub fn load_with(path: &Path, opts: &LoadOptions) -> Result<Sweep, LoadError> {
        let io = |source| LoadError::Io { path: path.display().to_string(), source };
        let text = std::fs::read_to_string(path).map_err(io)?;
        let src = SourceFile { name: path.display().to_string(), text: Arc::new(text.clone()) };
        let err = |loc: serde_saphyr::Location, msg: String, help: Option<String>| -> LoadError {
            src.error(loc.line() as usize, loc.column() as usize, msg, help).into()
        };
        let doc: SweepDoc = crate::scenario::parse_document(&src)?;
        if doc.kind.value != "Sweep" || doc.api_version.value != "kubesim.io/v1alpha1" {
            return Err(err(
                doc.kind.referenced,
                format!(
                    "expected `apiVersion: kubesim.io/v1alpha1` and `kind: Sweep`, found {} {}",
                    doc.api_version.value, doc.kind.value
                ),
                Some("a sweep file holds one Sweep document; scenarios are run with `kubesim run`".into()),
            ));
        }
        let name = doc.metadata.name.value.clone();
        if !crate::scenario::is_dns_label(&name) {
            return Err(err(
                doc.metadata.name.referenced,
                format!("metadata.name {name:?} is not a DNS label"),
                Some("lowercase letters, digits and '-'; it names the output folder".into()),
            ));
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        let scenario_file = dir.join(&doc.spec.scenario.value);
        let scenario_text = std::fs::read_to_string(&scenario_file).map_err(|e| {
            err(
                doc.spec.scenario.referenced,
                format!("cannot read the scenario {}: {e}", scenario_file.display()),
                Some("spec.scenario is relative to the sweep file".into()),
            )
        })?;
        // The base scenario must be valid on its own (its errors point into its own file).
        let base_scn = crate::scenario::load_with(&scenario_file, opts)?;
        let base = Docs::parse(&scenario_text).map_err(|m| err(doc.spec.scenario.referenced, m, None))?;
        let (seed_from, seed_count) = match &doc.spec.seeds {
            None => (base_scn.seed, DEFAULT_SEED_COUNT),
            Some(s) => {
                if s.value.count == 0 {
                    return Err(err(s.referenced, "seeds.count must be at least 1".into(), None));
                }
                (s.value.from.unwrap_or(base_scn.seed), s.value.count)
            }
        };
        let mut params = Vec::new();
        for p in &doc.spec.parameters {
            let path = SetPath::parse(&p.value.set.value).map_err(|m| err(p.value.set.referenced, m, None))?;
            if params.iter().any(|x: &Param| x.path == path) {
                return Err(err(p.value.set.referenced, format!("{} is swept twice", path.as_str()), None));
            }
            if p.value.values.value.is_empty() {
                return Err(err(
                    p.value.values.referenced,
                    "values is empty".into(),
                    Some("e.g. `values: [1, 2, 3]`".into()),
                ));
            }
            let mut values = Vec::new();
            for v in &p.value.values.value {
                let text = scalar_text(&v.value).ok_or_else(|| {
                    err(v.referenced, "a parameter value is a single value, not a list or a mapping".into(), None)
                })?;
                let node = parse_value(&text).map_err(|m| err(v.referenced, m, None))?;
                // Each value must give a valid scenario on its own.
                let mut d = base.clone();
                d.set(&path, &node).map_err(|m| err(p.value.set.referenced, m, None))?;
                let shown = format!("{}={text}", path.as_str());
                check_scenario(&d, &shown, &scenario_file, opts).map_err(|m| err(v.referenced, m, None))?;
                values.push((text, node));
            }
            params.push(Param { path, values });
        }
        let report = match &doc.spec.report {
            None => vec![Metric::Availability, Metric::RecoveryTime],
            Some(r) => {
                let mut out = Vec::new();
                for m in &r.value {
                    let metric = Metric::parse(&m.value).ok_or_else(|| {
                        let names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
                        err(
                            m.referenced,
                            format!("unknown metric {:?}", m.value),
                            Some(format!("metrics: {}", names.join(", "))),
                        )
                    })?;
                    out.push(metric);
                }
                out
            }
        };
        let sweep = Sweep {
            file: path.to_path_buf(),
            name,
            description: doc.metadata.description.unwrap_or_default(),
            scenario_file,
            base,
            base_name: base_scn.name,
            seed_from,
            seed_count,
            params,
            report,
            hash: crate::sim::fnv64(&[text.as_bytes(), scenario_text.as_bytes()]),
            opts: *opts,
        };
        if sweep.runs() > MAX_RUNS {
            return Err(err(
                doc.spec.scenario.referenced,
                format!("the sweep has {} runs; kubesim refuses more than {MAX_RUNS}", sweep.runs()),
                Some("fewer values or seeds, or split it into several sweeps".into()),
            ));
        }
        // Every combination must be valid too (values of different parameters can clash).
        for point in 0..sweep.points() {
            sweep.scenario(point).map_err(|m| err(doc.spec.scenario.referenced, m, None))?;
        }
        Ok(sweep)
    }

    /// Grid points: the product of the parameters' value counts.
    pub fn points(&self) -> usize {
        self.params.iter().map(|p| p.values.len()).product()
    }

    pub fn runs(&self) -> u64 {
        self.points() as u64 * self.seed_count as u64
    }

    /// The value index of each parameter at a grid point (the last parameter varies fastest).
    pub fn coords(&self, point: usize) -> Vec<usize> {
        let mut c = vec![0; self.params.len()];
        let mut rest = point;
        for (i, p) in self.params.iter().enumerate().rev() {
            c[i] = rest % p.values.len();
            rest /= p.values.len();
        }
        c
    }

    /// The validated scenario of a grid point.
    pub fn scenario(&self, point: usize) -> Result<Scenario, String> {
        let mut d = self.base.clone();
        let mut shown = Vec::new();
        for (p, &i) in self.params.iter().zip(&self.coords(point)) {
            d.set(&p.path, &p.values[i].1)?;
            shown.push(format!("{}={}", p.path.as_str(), p.values[i].0));
        }
        check_scenario(&d, &shown.join(", "), &self.scenario_file, &self.opts)
    }

    /// A run's seed: the base seed plus its replicate, the same at every grid point (common
    /// random numbers: points differ by their parameters, not by their luck).
    pub fn seed(&self, replicate: u32) -> u64 {
        self.seed_from.wrapping_add(replicate as u64)
    }
}

/// Validate a scenario made by `set`s; the message names the settings.
fn check_scenario(d: &Docs, shown: &str, file: &Path, opts: &LoadOptions) -> Result<Scenario, String> {
    let text = d.text();
    crate::scenario::load_bytes_with(&file.display().to_string(), text.as_bytes(), file, opts).map_err(|e| match e {
        LoadError::Input(i) => format!("with {shown}: {}", i.message),
        other => format!("with {shown}: {other}"),
    })
}

pub use crate::scenario::set::load_with_sets;

// ---------- running ----------

/// How to run a sweep.
#[derive(Clone, Debug)]
pub struct SweepOptions {
    pub jobs: usize,
    /// `(index, count)`: run only the grid points whose index is `index` modulo `count`.
    pub shard: Option<(u32, u32)>,
    pub progress: bool,
    /// The folders `out` may never be (`/`, home, the inputs' folders, ...).
    pub guard: crate::report::output::OutGuard,
}

/// One finished run, as runs.csv writes it.
#[derive(Clone, Debug)]
pub struct RunRow {
    pub run: u64,
    pub point: usize,
    pub seed: u64,
    pub values: Vec<Option<f64>>,
}

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error("run {run} (grid point {point}, seed {seed}): {violation}")]
    Bug { run: u64, point: usize, seed: u64, violation: crate::invariants::Violation },
    #[error("grid point {point}: {message}")]
    Scenario { point: usize, message: String },
    #[error("{0}")]
    Merge(String),
}

fn header(sweep_params: &[String]) -> (String, String) {
    let mut runs = String::from("run,point");
    let mut agg = String::from("point");
    for p in sweep_params {
        let _ = write!(runs, ",{}", csv_field(p));
        let _ = write!(agg, ",{}", csv_field(p));
    }
    runs.push_str(",seed");
    agg.push_str(",n");
    for m in Metric::ALL {
        let _ = write!(runs, ",{}", m.name());
        for s in stats::STAT_NAMES {
            let _ = write!(agg, ",{}_{}", m.name(), s);
        }
    }
    runs.push('\n');
    agg.push('\n');
    (runs, agg)
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

impl Sweep {
    fn param_names(&self) -> Vec<String> {
        self.params.iter().map(|p| p.path.as_str().to_string()).collect()
    }

    fn point_labels(&self, point: usize) -> Vec<String> {
        self.coords(point).iter().zip(&self.params).map(|(&i, p)| p.values[i].0.clone()).collect()
    }

    fn run_line(&self, r: &RunRow) -> String {
        let mut l = format!("{},{}", r.run, r.point);
        for v in self.point_labels(r.point) {
            let _ = write!(l, ",{}", csv_field(&v));
        }
        let _ = write!(l, ",{}", r.seed);
        for (m, v) in Metric::ALL.iter().zip(&r.values) {
            l.push(',');
            if let Some(v) = v {
                l.push_str(&m.format(*v));
            }
        }
        l.push('\n');
        l
    }

    fn aggregate_line(&self, point: usize, rows: &[RunRow]) -> String {
        let mut l = format!("{point}");
        for v in self.point_labels(point) {
            let _ = write!(l, ",{}", csv_field(&v));
        }
        let _ = write!(l, ",{}", rows.len());
        for i in 0..Metric::ALL.len() {
            let vals: Vec<f64> = rows.iter().filter_map(|r| r.values[i]).collect();
            for cell in stats::summarize(&vals) {
                l.push(',');
                if let Some(v) = cell {
                    let _ = write!(l, "{v:.6}");
                }
            }
        }
        l.push('\n');
        l
    }

    /// Run the sweep (or one shard of it) into `out`: runs.csv, aggregate.csv, manifest.yaml
    /// and, for a whole sweep, the charts. Written to a temporary folder and renamed.
    pub fn run(&self, out: &Path, opts: &SweepOptions) -> Result<u64, SweepError> {
        let (shard, shards) = opts.shard.unwrap_or((0, 1));
        let points: Vec<usize> = (0..self.points()).filter(|p| p % shards as usize == shard as usize).collect();
        let total = points.len() as u64 * self.seed_count as u64;
        let pool = rayon::ThreadPoolBuilder::new().num_threads(opts.jobs.max(1)).build().map_err(io::Error::other)?;
        let bar = if opts.progress && io::IsTerminal::is_terminal(&io::stderr()) {
            let b = indicatif::ProgressBar::new(total);
            b.set_style(
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} runs  {per_sec}  ETA {eta}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            b
        } else {
            indicatif::ProgressBar::hidden()
        };
        let mut done = 0u64;
        let mut aggregate_rows: Vec<stats::AggRow> = Vec::new();
        use crate::report::output::{OutputKind, write_atomically};
        let kind = if shards > 1 { OutputKind::SweepPart } else { OutputKind::Sweep };
        let res = write_atomically(out, kind, self.hash, &opts.guard, |dir| {
            let (runs_h, agg_h) = header(&self.param_names());
            let mut runs = io::BufWriter::new(std::fs::File::create(dir.join("runs.csv"))?);
            let mut agg = io::BufWriter::new(std::fs::File::create(dir.join("aggregate.csv"))?);
            runs.write_all(runs_h.as_bytes())?;
            agg.write_all(agg_h.as_bytes())?;
            let per_batch = (opts.jobs.max(1) * RUNS_PER_BATCH_PER_JOB).max(self.seed_count as usize);
            let points_per_batch = (per_batch / self.seed_count as usize).max(1);
            for chunk in points.chunks(points_per_batch) {
                let mut scenarios = Vec::with_capacity(chunk.len());
                for &p in chunk {
                    let s = self
                        .scenario(p)
                        .map_err(|message| io::Error::other(SweepError::Scenario { point: p, message }))?;
                    scenarios.push(Arc::new(s));
                }
                let jobs: Vec<(usize, u32)> =
                    (0..chunk.len()).flat_map(|i| (0..self.seed_count).map(move |r| (i, r))).collect();
                let results: Vec<Result<RunRow, SweepError>> = pool.install(|| {
                    jobs.par_iter()
                        .map(|&(i, rep)| {
                            let point = chunk[i];
                            let mut s = (*scenarios[i]).clone();
                            s.seed = self.seed(rep);
                            let run = point as u64 * self.seed_count as u64 + rep as u64;
                            let r = crate::run::simulate(s, &crate::run::RunOptions::default())
                                .map_err(|violation| SweepError::Bug { run, point, seed: self.seed(rep), violation })?;
                            let values = Metric::ALL.iter().map(|m| m.of(&r.summary)).collect();
                            bar.inc(1);
                            Ok(RunRow { run, point, seed: self.seed(rep), values })
                        })
                        .collect()
                });
                let mut rows = Vec::with_capacity(results.len());
                for r in results {
                    rows.push(r.map_err(io::Error::other)?);
                }
                for r in &rows {
                    runs.write_all(self.run_line(r).as_bytes())?;
                }
                for (i, &p) in chunk.iter().enumerate() {
                    let mine = &rows[i * self.seed_count as usize..(i + 1) * self.seed_count as usize];
                    let line = self.aggregate_line(p, mine);
                    agg.write_all(line.as_bytes())?;
                    aggregate_rows.push(stats::AggRow::parse(&line, self.params.len()));
                }
                done += rows.len() as u64;
            }
            runs.flush()?;
            agg.flush()?;
            std::fs::write(dir.join("manifest.yaml"), self.manifest(shard, shards, points.len(), total))?;
            if shards == 1 {
                charts::write_all(dir, self, &aggregate_rows)?;
            }
            Ok(())
        });
        bar.finish_and_clear();
        match res {
            Ok(_) => Ok(done),
            Err(e) => match e.downcast::<SweepError>() {
                Ok(se) => Err(se),
                Err(e) => Err(SweepError::Io(e)),
            },
        }
    }

    fn manifest(&self, shard: u32, shards: u32, points: usize, runs: u64) -> String {
        format!(
            "# A part of a kubesim sweep: `kubesim merge` checks these before joining parts.\nsweep: {}\nhash: \"{:016x}\"\nversion: \"{}\"\nshard: {shard}\nshards: {shards}\npoints: {points}\nruns: {runs}\n",
            self.name,
            self.hash,
            env!("CARGO_PKG_VERSION")
        )
    }

    /// Time a few runs of the first grid point (on one thread) to estimate the whole sweep.
    pub fn estimate(&self, jobs: usize, samples: u32) -> Result<(f64, u32), SweepError> {
        let s = self.scenario(0).map_err(|message| SweepError::Scenario { point: 0, message })?;
        let n = samples.min(self.seed_count).max(1);
        let start = std::time::Instant::now();
        for rep in 0..n {
            let mut x = s.clone();
            x.seed = self.seed(rep);
            crate::run::simulate(x, &crate::run::RunOptions::default()).map_err(|violation| SweepError::Bug {
                run: rep as u64,
                point: 0,
                seed: self.seed(rep),
                violation,
            })?;
        }
        let per_run = start.elapsed().as_secs_f64() / n as f64;
        Ok((per_run * self.runs() as f64 / jobs.max(1) as f64, n))
    }

    /// The base scenario's name (for messages).
    pub fn scenario_name(&self) -> &str {
        &self.base_name
    }
}

/// `--shard I/N`, or from a Kubernetes Indexed Job (`JOB_COMPLETION_INDEX` with `completions`
/// passed as `JOB_COMPLETIONS`, or `--shard` N) or a Slurm array (`SLURM_ARRAY_TASK_ID`,
/// `SLURM_ARRAY_TASK_COUNT`).
pub fn shard_from(arg: Option<&str>, env: impl Fn(&str) -> Option<String>) -> Result<Option<(u32, u32)>, String> {
    let parse = |i: &str, n: &str| -> Result<(u32, u32), String> {
        let i: u32 = i.trim().parse().map_err(|_| format!("shard index {i:?} is not a number"))?;
        let n: u32 = n.trim().parse().map_err(|_| format!("shard count {n:?} is not a number"))?;
        if n == 0 || i >= n {
            return Err(format!(
                "shard {i}/{n}: the index must be below the count (0/{n} .. {}/{n})",
                n.saturating_sub(1)
            ));
        }
        Ok((i, n))
    };
    if let Some(a) = arg {
        let (i, n) = a.split_once('/').ok_or_else(|| format!("--shard {a:?} is not I/N (e.g. 0/4)"))?;
        return parse(i, n).map(Some);
    }
    if let (Some(i), Some(n)) = (env("JOB_COMPLETION_INDEX"), env("JOB_COMPLETIONS")) {
        return parse(&i, &n).map(Some);
    }
    if let (Some(i), Some(n)) = (env("SLURM_ARRAY_TASK_ID"), env("SLURM_ARRAY_TASK_COUNT")) {
        return parse(&i, &n).map(Some);
    }
    Ok(None)
}

// ---------- merging shards ----------

fn read_manifest(dir: &Path) -> Result<Vec<(String, String)>, SweepError> {
    let text = std::fs::read_to_string(dir.join("manifest.yaml"))
        .map_err(|e| SweepError::Merge(format!("{}: no manifest.yaml ({e}); is it a sweep part?", dir.display())))?;
    Ok(text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.trim().to_string(), v.trim().trim_matches('"').to_string()))
        .collect())
}

fn field<'a>(m: &'a [(String, String)], k: &str) -> &'a str {
    m.iter().find(|(x, _)| x == k).map_or("", |(_, v)| v.as_str())
}

/// Join the parts of a sharded sweep into `out`: every shard exactly once, all of the same
/// sweep (hash) and kubesim version; rows back in grid order, so the result is the same bytes
/// as the unsharded run. Charts are drawn from the joined aggregate.
pub fn merge(
    parts: &[PathBuf],
    out: &Path,
    sweep: Option<&Sweep>,
    guard: &crate::report::output::OutGuard,
) -> Result<(), SweepError> {
    if parts.is_empty() {
        return Err(SweepError::Merge("no parts given".into()));
    }
    let manifests: Vec<Vec<(String, String)>> = parts.iter().map(|p| read_manifest(p)).collect::<Result<_, _>>()?;
    let first = &manifests[0];
    let shards: u32 = field(first, "shards").parse().map_err(|_| SweepError::Merge("bad manifest: shards".into()))?;
    let mut seen = vec![None::<&Path>; shards as usize];
    for (m, dir) in manifests.iter().zip(parts) {
        for k in ["sweep", "hash", "version", "shards"] {
            if field(m, k) != field(first, k) {
                return Err(SweepError::Merge(format!(
                    "{} has {k} {:?} but {} has {:?}: parts of different sweeps (or kubesim versions) cannot be merged",
                    dir.display(),
                    field(m, k),
                    parts[0].display(),
                    field(first, k)
                )));
            }
        }
        let i: usize =
            field(m, "shard").parse().map_err(|_| SweepError::Merge(format!("{}: bad shard", dir.display())))?;
        if i >= seen.len() {
            return Err(SweepError::Merge(format!("{}: shard {i} of {shards}?", dir.display())));
        }
        if let Some(other) = seen[i] {
            return Err(SweepError::Merge(format!(
                "shard {i}/{shards} is given twice: {} and {}",
                other.display(),
                dir.display()
            )));
        }
        seen[i] = Some(dir);
    }
    if let Some(s) = sweep
        && field(first, "hash") != format!("{:016x}", s.hash)
    {
        return Err(SweepError::Merge(format!(
            "the parts are of another version of {} (hash {} vs {:016x}): rerun them or merge without --sweep",
            s.file.display(),
            field(first, "hash"),
            s.hash
        )));
    }
    let missing: Vec<String> =
        seen.iter().enumerate().filter(|(_, s)| s.is_none()).map(|(i, _)| format!("{i}/{shards}")).collect();
    if !missing.is_empty() {
        return Err(SweepError::Merge(format!(
            "missing shard(s) {} of sweep {}: run them (`kubesim sweep FILE --shard I/N`) and merge again",
            missing.join(", "),
            field(first, "sweep")
        )));
    }
    let read_rows = |file: &str| -> Result<(String, Vec<(u64, String)>), SweepError> {
        let mut header = String::new();
        let mut rows = Vec::new();
        for dir in parts {
            let f = std::fs::File::open(dir.join(file))
                .map_err(|e| SweepError::Merge(format!("{}: {file}: {e}", dir.display())))?;
            let mut lines = io::BufReader::new(f).lines();
            let h = lines.next().transpose()?.unwrap_or_default();
            if header.is_empty() {
                header = h;
            } else if h != header {
                return Err(SweepError::Merge(format!("{}: {file} has other columns", dir.display())));
            }
            for l in lines {
                let l = l?;
                let key: u64 = l.split(',').next().and_then(|x| x.parse().ok()).unwrap_or(u64::MAX);
                rows.push((key, l));
            }
        }
        rows.sort_by_key(|r| r.0);
        Ok((header, rows))
    };
    let (rh, runs) = read_rows("runs.csv")?;
    let (ah, aggs) = read_rows("aggregate.csv")?;
    let n_params = ah.split(',').take_while(|c| *c != "n").count() - 1;
    let hash = u64::from_str_radix(field(first, "hash"), 16).unwrap_or(0);
    crate::report::output::write_atomically(out, crate::report::output::OutputKind::Merge, hash, guard, |dir| {
        let mut w = io::BufWriter::new(std::fs::File::create(dir.join("runs.csv"))?);
        writeln!(w, "{rh}")?;
        for (_, l) in &runs {
            writeln!(w, "{l}")?;
        }
        w.flush()?;
        let mut w = io::BufWriter::new(std::fs::File::create(dir.join("aggregate.csv"))?);
        writeln!(w, "{ah}")?;
        for (_, l) in &aggs {
            writeln!(w, "{l}")?;
        }
        w.flush()?;
        if let Some(s) = sweep {
            let rows: Vec<stats::AggRow> = aggs.iter().map(|(_, l)| stats::AggRow::parse(l, n_params)).collect();
            charts::write_all(dir, s, &rows)?;
        }
        Ok(())
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_come_from_the_flag_an_indexed_job_or_a_slurm_array() {
        let none = |_: &str| None;
        assert_eq!(shard_from(Some("1/4"), none), Ok(Some((1, 4))));
        assert_eq!(shard_from(None, none), Ok(None));
        assert!(shard_from(Some("4/4"), none).unwrap_err().contains("below the count"));
        assert!(shard_from(Some("x"), none).unwrap_err().contains("is not I/N"));
        let job = |k: &str| match k {
            "JOB_COMPLETION_INDEX" => Some("2".to_string()),
            "JOB_COMPLETIONS" => Some("5".to_string()),
            _ => None,
        };
        assert_eq!(shard_from(None, job), Ok(Some((2, 5))));
        let slurm = |k: &str| match k {
            "SLURM_ARRAY_TASK_ID" => Some("0".to_string()),
            "SLURM_ARRAY_TASK_COUNT" => Some("8".to_string()),
            _ => None,
        };
        assert_eq!(shard_from(None, slurm), Ok(Some((0, 8))));
        // The flag wins over the environment.
        assert_eq!(shard_from(Some("0/2"), job), Ok(Some((0, 2))));
    }
}
