//! kubesim's integration tests: one binary, through the CLI (assert_cmd) and the library.

mod bad_input;
mod cli;
mod controllers;
mod faults;
mod gates;
mod golden;
mod hashes;
mod kubelet;
mod layers;
mod manifests;
mod network;
mod nodes;
mod outputs;
mod properties;
mod report;
mod scheduler;
mod sweep;
mod viewer;
mod views;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn scenario(name: &str) -> PathBuf {
    root().join("scenarios").join(name)
}

/// A CSV file as a list of rows keyed by column name.
pub fn read_csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers: Vec<String> = r.headers().unwrap().iter().map(|s| s.to_string()).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers.iter().cloned().zip(rec.iter().map(|s| s.to_string())).collect()
        })
        .collect()
}

/// Seconds column ("345.120") -> milliseconds.
pub fn ms(s: &str) -> u64 {
    let (a, b) = s.split_once('.').expect("time with millis");
    a.parse::<u64>().unwrap() * 1000 + b.parse::<u64>().unwrap()
}

/// Run the CLI on a scenario into a fresh temporary folder; returns (tempdir, out dir).
/// A scenario's text in a temporary folder (kept while the first value lives).
pub fn write_scenario(text: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("s.yaml");
    std::fs::write(&f, text).unwrap();
    (tmp, f)
}

pub fn run_cli(file: &Path, extra: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let mut cmd = assert_cmd::Command::cargo_bin("kubesim").unwrap();
    // Charts have their own test; here they would only cost time.
    cmd.arg("run").arg(file).arg("--out").arg(&out).arg("--no-charts").args(extra);
    cmd.assert().success();
    (tmp, out)
}

/// Run `kubesim ARGS...`: (exit code, stdout, stderr).
pub fn kubesim(args: &[&str]) -> (Option<i32>, String, String) {
    let out = assert_cmd::Command::cargo_bin("kubesim").unwrap().args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The rows of a `get pods` table: (name, ready, status).
pub fn pod_rows(table: &str) -> Vec<(String, String, String)> {
    table
        .lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split_whitespace().collect();
            (c[0].to_string(), c[1].to_string(), c[2].to_string())
        })
        .collect()
}

/// PLEG's first relist (whole seconds, `genericPlegRelistPeriod` 1 s) after a change at `t` ms.
pub fn relist(t: u64) -> u64 {
    (t / 1000 + 1) * 1000
}

/// The pod worker's syncs of a container waiting out a back-off of `delay` ms after it ended
/// at `finished`, as upstream's v1.34 rules time them: the first at `first` (the relist that
/// saw the exit, or the kubelet's own stop), each later one at a whole second 10-15 s after
/// the one before (`backOffPeriod` with `wait.Jitter(_, 0.5)`, the sync loop's 1 s tick); every
/// sync inside the back-off is one of `syncs` (its `BackOff` or `ImagePullBackOff` event
/// times), and `restart` is the first sync past it (`IsInBackOffSince`).
pub fn assert_back_off_syncs(syncs: &[u64], finished: u64, first: u64, restart: u64, delay: u64) {
    let mut all: Vec<u64> = syncs.iter().copied().filter(|&t| t >= first && t < restart).collect();
    assert_eq!(all.first(), Some(&first), "the first sync is {first}: {syncs:?}");
    all.push(restart);
    for w in all.windows(2) {
        let latest = (w[0] + 15_000).div_ceil(1000) * 1000;
        assert!(w[1] >= w[0] + 10_000 && w[1] <= latest && w[1] % 1000 == 0, "syncs {all:?}");
    }
    for &s in &all[..all.len() - 1] {
        assert!(s - finished < delay, "the sync at {s} is inside the {delay} ms back-off from {finished}");
    }
    assert!(restart - finished >= delay, "restart {restart} is past the back-off: {all:?}");
}
