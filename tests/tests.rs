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
