//! The golden hash list: the sha256 of every output file (charts and report.html included,
//! stats.csv excluded: it measures wall time) of every shipped scenario, and of the three
//! benchmark traces. A restructuring must keep every byte; a change of behaviour changes the list
//! on purpose, with the reason in its commit. Regenerate with `KUBESIM_BLESS=1 cargo test hashes`
//! (and `KUBESIM_BLESS=1 cargo test hashes -- --ignored` for the traces, after a release build).

use super::*;
use sha2::{Digest, Sha256};

const SCENARIOS_LIST: &str = "tests/golden/scenario-hashes.txt";
const TRACES_LIST: &str = "tests/golden/trace-hashes.txt";
const TRACES: [&str; 3] = ["trace-1000n", "trace-1000n-removal", "trace-5000n"];

/// `NAME/relative/path sha256` for every file below `dir`, sorted.
fn hash_tree(name: &str, dir: &Path, out: &mut Vec<String>) {
    let mut stack = vec![dir.to_path_buf()];
    let mut lines = Vec::new();
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().unwrap() != "stats.csv" {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                let digest = Sha256::digest(std::fs::read(&p).unwrap());
                let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
                lines.push(format!("{name}/{rel} {hex}"));
            }
        }
    }
    lines.sort();
    out.extend(lines);
}

/// Compare with the committed list (or write it when blessing); name every line that differs.
fn compare(list: &str, got: &[String]) {
    let path = root().join(list);
    let text = got.join("\n") + "\n";
    if std::env::var_os("KUBESIM_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    let want: BTreeMap<&str, &str> = want.lines().filter_map(|l| l.split_once(' ')).collect();
    let got: BTreeMap<&str, &str> = got.iter().filter_map(|l| l.split_once(' ')).collect();
    let mut diffs = Vec::new();
    for (f, h) in &got {
        match want.get(f) {
            None => diffs.push(format!("new file {f}")),
            Some(w) if w != h => diffs.push(format!("changed {f}")),
            _ => {}
        }
    }
    diffs.extend(want.keys().filter(|f| !got.contains_key(*f)).map(|f| format!("missing {f}")));
    assert!(
        diffs.is_empty(),
        "{} output file(s) differ from {list} (regenerate with KUBESIM_BLESS=1 only on purpose, saying why in the commit):\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

#[test]
fn every_shipped_scenario_writes_the_golden_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 30, "the teaching library");
    let mut got = Vec::new();
    for f in &files {
        let name = f.file_stem().unwrap().to_string_lossy().into_owned();
        let out = tmp.path().join(&name);
        assert_cmd::Command::cargo_bin("kubesim")
            .unwrap()
            .arg("run")
            .arg(f)
            .arg("--out")
            .arg(&out)
            .arg("-q")
            .assert()
            .success();
        hash_tree(&name, &out, &mut got);
    }
    compare(SCENARIOS_LIST, &got);
}

/// The traces take seconds in a release build and minutes in a debug one: this test runs the
/// release binary (`cargo build --release` first) and the traces of `../shared/bench`. `.ci/run`
/// runs it.
/// `kubesim run` of the release binary (`cargo build --release` first) on a scenario that may
/// read ../shared/bench, into `out`.
pub(crate) fn run_release(scenario: &std::path::Path, out: &std::path::Path) {
    let bin = root().join("target/release/kubesim");
    assert!(bin.is_file(), "{}: run `cargo build --release` first", bin.display());
    let o = std::process::Command::new(&bin)
        .arg("run")
        .arg(scenario)
        .args(["--allow-outside-paths", "-q", "--out"])
        .arg(out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}: {}", scenario.display(), String::from_utf8_lossy(&o.stderr));
}

#[test]
#[ignore = "needs a release build and ../shared/bench; .ci/run runs it"]
fn the_benchmark_traces_write_the_golden_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let mut got = Vec::new();
    for t in TRACES {
        let out = tmp.path().join(t);
        run_release(&root().join("scenarios/bench").join(format!("{t}.yaml")), &out);
        hash_tree(t, &out, &mut got);
    }
    compare(TRACES_LIST, &got);
}
