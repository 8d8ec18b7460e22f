//! Whole-run benches on the scenarios of `scenarios/bench/`: the neutral traces (1,000 nodes /
//! 100,000 pods, the same with a third of the nodes lost at 30 minutes, 5,000 nodes / 150,000
//! pods), an idle day of 5,000 nodes, the sweep unit (a 20-node hour with a node crash), and
//! the scheduler's throughput (150,000 pods onto 5,000 nodes).
//! Each prints its figures once (events, events/s, simulated seconds per wall second, peak
//! RSS of the process so far) and lets criterion time it with a small sample. Criterion times
//! the simulation as `kubesim run` pays for it: the scenario's copy is made before the clock
//! starts and the result is dropped after it stops (the CLI never frees it: the process ends).

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn scenario(name: &str) -> kubesim::scenario::Scenario {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/bench").join(name);
    kubesim::scenario::load_with(&p, &kubesim::scenario::LoadOptions { allow_large: true, allow_outside_paths: true }).unwrap_or_else(|e| {
        panic!(
            "{name}: {e} (the trace scenarios read ../shared/bench beside the repository: scenarios/bench/README.md)"
        )
    })
}

fn report(name: &str, s: &kubesim::scenario::Scenario) {
    let start = Instant::now();
    let r = kubesim::simulate(s.clone(), &kubesim::RunOptions::default()).expect("no invariant violation");
    let wall = start.elapsed().as_secs_f64();
    let sim = r.outcome.end.as_millis() as f64 / 1000.0;
    let rss = kubesim::report::csv::peak_rss_bytes().map_or("?".into(), |b| format!("{} MB", b / 1_000_000));
    let c = r.cluster.api.counters;
    println!(
        "{name}: {wall:.3} s wall, {} events ({:.2} M events/s), {:.0} simulated s per wall s, peak RSS {rss}; {} pods created, {} succeeded at the end",
        r.outcome.events_processed,
        r.outcome.events_processed as f64 / wall / 1e6,
        sim / wall,
        r.summary.pods_created,
        c.succeeded
    );
}

fn bench(c: &mut Criterion, name: &str, file: &str) {
    let s = scenario(file);
    report(name, &s);
    let mut g = c.benchmark_group(name);
    g.sample_size(10).measurement_time(Duration::from_secs(1)).warm_up_time(Duration::from_millis(1));
    g.bench_function("run", |b| b.iter_batched(|| s.clone(), run, BatchSize::PerIteration));
    g.finish();
}

fn run(s: kubesim::scenario::Scenario) -> kubesim::RunResult {
    kubesim::simulate(s, &kubesim::RunOptions::default()).unwrap()
}

fn traces(c: &mut Criterion) {
    bench(c, "trace_1000n", "trace-1000n.yaml");
    bench(c, "trace_1000n_removal", "trace-1000n-removal.yaml");
    bench(c, "trace_5000n", "trace-5000n.yaml");
}

/// Scheduler throughput: 150,000 pods of one Deployment onto 5,000 nodes. Prints pods per
/// second of the scheduler's own work (its attempts' wall time) and of the whole run.
fn schedule_150k(c: &mut Criterion) {
    let s = scenario("schedule-150k.yaml");
    let start = Instant::now();
    let r = kubesim::simulate(s.clone(), &kubesim::RunOptions::default()).expect("no invariant violation");
    let wall = start.elapsed().as_secs_f64();
    let sched = r.cluster.scheduler.wall().as_secs_f64();
    let attempts = r.cluster.scheduler.attempts;
    println!(
        "schedule_150k: {attempts} attempts onto 5,000 nodes: {:.0} pods/s of scheduler time ({sched:.3} s), {:.0} pods/s of the whole run ({wall:.3} s, kubelets and controllers included)",
        attempts as f64 / sched,
        attempts as f64 / wall,
    );
    let mut g = c.benchmark_group("schedule_150k");
    g.sample_size(10).measurement_time(Duration::from_secs(1)).warm_up_time(Duration::from_millis(1));
    g.bench_function("run", |b| b.iter_batched(|| s.clone(), run, BatchSize::PerIteration));
    g.finish();
}

fn idle_day(c: &mut Criterion) {
    bench(c, "idle_day", "idle-day.yaml");
}

fn sweep_small(c: &mut Criterion) {
    let s = scenario("twenty-nodes-crash.yaml");
    let n = 200;
    let start = Instant::now();
    for seed in 0..n {
        let mut x = s.clone();
        x.seed = seed;
        kubesim::simulate(x, &kubesim::RunOptions::default()).unwrap();
    }
    println!(
        "sweep_small: {:.0} runs/s on one core (20 nodes, 1 h, a node crash)",
        n as f64 / start.elapsed().as_secs_f64()
    );
    let mut g = c.benchmark_group("sweep_small");
    g.sample_size(20);
    g.bench_function("run", |b| b.iter(|| kubesim::simulate(s.clone(), &kubesim::RunOptions::default()).unwrap()));
    g.finish();
}

// Criterion's own charts would need a registered font (plotters is built with ab_glyph here):
// the figures are printed instead.
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = idle_day, sweep_small, schedule_150k, traces
}
criterion_main!(benches);
