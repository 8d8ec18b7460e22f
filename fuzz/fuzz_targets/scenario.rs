//! Scenario parse + validate + a short run. Any input must either be refused cleanly or run
//! with every invariant holding; a panic or a violation is a bug. NUL bytes split the input into
//! files as `-f` gives them: the first is the scenario (empty: the default cluster), the others
//! manifest files (YAML, JSON, Lists).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    use kubesim::scenario::input;
    let mut sources = Vec::new();
    for (i, part) in data.split(|b| *b == 0).take(8).enumerate() {
        if i == 0 && part.is_empty() && data.len() > 1 {
            sources.push(input::default_source("fuzz"));
            continue;
        }
        let Ok(f) = input::decode(&format!("fuzz-{i}.yaml"), part) else { return };
        sources.push(f);
    }
    let Ok(mut s) = kubesim::scenario::load_sources(sources, Path::new("fuzz.yaml"), &Default::default()) else {
        return;
    };
    // Keep each run short: the point is the paths, not the size.
    let pods: u64 = s.pods.len() as u64 + s.deployments.iter().chain(&s.replicasets).map(|w| w.replicas as u64).sum::<u64>();
    if s.nodes.len() > 64 || pods > 512 {
        return;
    }
    s.duration = s.duration.min(kubesim::sim::SimTime::from_secs(900));
    s.sample_interval_ms = s.sample_interval_ms.max(1000);
    // The scheduling trace too: its rows name every node a filter visited.
    let opts = kubesim::RunOptions {
        max_events: Some(50_000),
        check_invariants: true,
        trace_scheduling: true,
        ..Default::default()
    };
    if let Err(v) = kubesim::simulate(s, &opts) {
        panic!("{v}");
    }
});
