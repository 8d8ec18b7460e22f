//! The kernel's event queue against a bare `BinaryHeap<(time, seq)>` in the hold model: with
//! N events pending, pop the earliest and schedule one a pseudo-random delay later. Prints both
//! rates and their ratio.

use criterion::{Criterion, criterion_group, criterion_main};
use kubesim::sim::{EventQueue, SimTime};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::time::Instant;

const PENDING: usize = 100_000;
const HOLDS: usize = 1_000_000;

fn delays() -> Vec<u64> {
    // xorshift: cheap and the same for both queues.
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    (0..HOLDS + PENDING)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            1 + x % 10_000
        })
        .collect()
}

fn kernel(d: &[u64]) -> u64 {
    let mut q: EventQueue<u32> = EventQueue::with_capacity(PENDING + 1);
    for (i, &t) in d[..PENDING].iter().enumerate() {
        q.schedule_at(SimTime(t), 0, i as u32);
    }
    let mut sum = 0u64;
    for &t in &d[PENDING..] {
        let e = q.pop_until(SimTime::MAX).unwrap();
        sum = sum.wrapping_add(e.event as u64);
        q.schedule_in(t, 0, e.event);
    }
    sum
}

fn bare(d: &[u64]) -> u64 {
    let mut h: BinaryHeap<Reverse<(u64, u64, u32)>> = BinaryHeap::with_capacity(PENDING + 1);
    let mut seq = 0;
    for (i, &t) in d[..PENDING].iter().enumerate() {
        h.push(Reverse((t, seq, i as u32)));
        seq += 1;
    }
    let mut sum = 0u64;
    for &t in &d[PENDING..] {
        let Reverse((now, _, ev)) = h.pop().unwrap();
        sum = sum.wrapping_add(ev as u64);
        h.push(Reverse((now + t, seq, ev)));
        seq += 1;
    }
    sum
}

fn rate(f: fn(&[u64]) -> u64, d: &[u64]) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        black_box(f(black_box(d)));
        best = best.min(t.elapsed().as_secs_f64());
    }
    HOLDS as f64 / best
}

fn engine(c: &mut Criterion) {
    let d = delays();
    let (k, b) = (rate(kernel, &d), rate(bare, &d));
    println!(
        "engine hold model, {PENDING} pending: kernel {:.2} M events/s, bare BinaryHeap {:.2} M events/s, ratio {:.2}",
        k / 1e6,
        b / 1e6,
        k / b
    );
    let mut g = c.benchmark_group("engine");
    g.sample_size(10);
    g.bench_function("kernel_hold_1M", |bch| bch.iter(|| kernel(black_box(&d))));
    g.bench_function("binary_heap_hold_1M", |bch| bch.iter(|| bare(black_box(&d))));
    g.finish();
}

// Criterion's own charts would need a registered font (plotters is built with ab_glyph here):
// the figures are printed instead.
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = engine
}
criterion_main!(benches);
