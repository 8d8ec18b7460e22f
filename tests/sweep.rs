//! Sweeps: the same bytes for any --jobs and any sharding; merge refuses bad part sets; bad
//! paths and values are refused before anything runs; `run --set`.

use super::*;
use assert_cmd::Command;

fn sweep_file(dir: &Path, extra: &str) -> PathBuf {
    let f = dir.join("s.yaml");
    let text = format!(
        "apiVersion: kubesim.io/v1alpha1\nkind: Sweep\nmetadata: {{name: small}}\nspec:\n  scenario: {}\n  seeds: {{from: 3, count: 2}}\n  parameters:\n  - set: spec.kubernetes.defaultUnreachableTolerationSeconds\n    values: [30, 300]\n  - set: deployment/web.spec.replicas\n    values: [3, 5, 6]\n  report: [availability, evictions]\n{extra}",
        scenario("node-crash.yaml").display()
    );
    std::fs::write(&f, text).unwrap();
    f
}

fn kubesim(args: &[&str]) -> std::process::Output {
    Command::cargo_bin("kubesim").unwrap().args(args).output().unwrap()
}

fn sweep(file: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec!["sweep", file.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"];
    args.extend_from_slice(extra);
    let o = kubesim(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn runs_csv_is_the_same_bytes_for_any_jobs_and_any_sharding() {
    let tmp = tempfile::tempdir().unwrap();
    let f = sweep_file(tmp.path(), "");
    let one = tmp.path().join("one");
    let two = tmp.path().join("two");
    sweep(&f, &one, &["--jobs", "1"]);
    sweep(&f, &two, &["--jobs", "2"]);
    for file in ["runs.csv", "aggregate.csv"] {
        assert_eq!(bytes(&one.join(file)), bytes(&two.join(file)), "{file}");
    }
    let runs = read_csv(&one.join("runs.csv"));
    assert_eq!(runs.len(), 12, "6 grid points x 2 seeds");
    assert_eq!(runs[0]["seed"], "3");
    assert_eq!(runs[1]["seed"], "4");
    // The parameters reached the scenario: a 30 s toleration evicts sooner than 300 s.
    assert!(one.join("charts/availability-vs-deployment-web-spec-replicas.png").exists());
    assert!(one.join("charts/evictions-vs-spec-kubernetes-defaultUnreachableTolerationSeconds.svg").exists());
    // Shards 0/3, 1/3, 2/3 (one via the Indexed Job variables) merged give the same bytes.
    let mut parts = Vec::new();
    for i in 0..3 {
        let p = tmp.path().join(format!("part{i}"));
        if i == 1 {
            let o = Command::cargo_bin("kubesim")
                .unwrap()
                .args(["sweep", f.to_str().unwrap(), "--out", p.to_str().unwrap(), "--quiet", "--jobs", "2"])
                .env("JOB_COMPLETION_INDEX", "1")
                .env("JOB_COMPLETIONS", "3")
                .output()
                .unwrap();
            assert!(o.status.success());
        } else {
            sweep(&f, &p, &["--shard", &format!("{i}/3")]);
        }
        assert!(std::fs::read_to_string(p.join("manifest.yaml")).unwrap().contains(&format!("shard: {i}\nshards: 3")));
        parts.push(p);
    }
    let merged = tmp.path().join("merged");
    let mut args = vec!["merge".to_string()];
    args.extend(parts.iter().rev().map(|p| p.display().to_string()));
    args.extend(["--out".into(), merged.display().to_string(), "--sweep".into(), f.display().to_string()]);
    let o = Command::cargo_bin("kubesim").unwrap().args(&args).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for file in ["runs.csv", "aggregate.csv"] {
        assert_eq!(bytes(&one.join(file)), bytes(&merged.join(file)), "merged {file}");
    }
    assert!(merged.join("charts/availability-vs-deployment-web-spec-replicas.png").exists());

    // A missing shard, a doubled one, or parts of another sweep are refused.
    let out = tmp.path().join("bad");
    let o = kubesim(&["merge", parts[0].to_str().unwrap(), parts[2].to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("missing shard(s) 1/3 of sweep small"), "{err}");
    assert!(!out.exists(), "nothing written");
    let o = kubesim(&[
        "merge",
        parts[0].to_str().unwrap(),
        parts[1].to_str().unwrap(),
        parts[1].to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("shard 1/3 is given twice"));
    let other_dir = tempfile::tempdir().unwrap();
    let g = sweep_file(other_dir.path(), "  # another sweep\n");
    let other = tmp.path().join("other");
    sweep(&g, &other, &["--shard", "1/3"]);
    let o = kubesim(&[
        "merge",
        parts[0].to_str().unwrap(),
        other.to_str().unwrap(),
        parts[2].to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("parts of different sweeps"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn bad_parameters_are_refused_before_anything_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        ("  - set: deployment/api.spec.replicas\n    values: [1]\n", "no deployment named \"api\""),
        ("  - set: spec.kubernetes.nodeMonitorGracePeriod\n    values: [abc]\n", "nodeMonitorGracePeriod=abc"),
        ("  - set: replicas\n    values: [1]\n", "start with `spec.`"),
    ];
    for (param, want) in cases {
        let f = sweep_file(tmp.path(), "");
        let text = std::fs::read_to_string(&f).unwrap().replace("  report:", &format!("{param}  report:"));
        std::fs::write(&f, text).unwrap();
        let out = tmp.path().join("never");
        let o = kubesim(&["sweep", f.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(want), "{want}: {err}");
        assert!(err.contains("s.yaml:"), "the place in the sweep file: {err}");
        assert!(!out.exists());
    }
}

#[test]
fn dry_run_counts_the_runs_and_estimates_the_time() {
    let tmp = tempfile::tempdir().unwrap();
    let f = sweep_file(tmp.path(), "");
    let o = kubesim(&["sweep", f.to_str().unwrap(), "--dry-run", "--jobs", "2"]);
    assert!(o.status.success());
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.contains("6 grid points x 2 seeds = 12 runs"), "{s}");
    assert!(s.contains("estimate:"), "{s}");
}

#[test]
fn run_set_changes_one_value() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    let file = scenario("quickstart.yaml");
    let o = kubesim(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
        "--set",
        "deployment/web.spec.replicas=2",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let w = read_csv(&out.join("workloads.csv"));
    assert_eq!(w.last().unwrap()["desired"], "2");
    let o = kubesim(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--set",
        "deployment/web.spec.replicas=many",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("deployment/web.spec.replicas=many"));
}

/// Setting values goes through a rewrite of the file: it must mean exactly what the file says.
#[test]
fn every_shipped_scenario_survives_the_rewrite_unchanged() {
    for e in std::fs::read_dir(root().join("scenarios")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        let docs = kubesim::scenario::set::Docs::parse(&text).unwrap();
        let a = kubesim::scenario::load(&p).unwrap();
        let b = kubesim::scenario::load_bytes("x", docs.text().as_bytes(), &p).unwrap();
        let opts = kubesim::RunOptions { max_events: Some(200_000), check_invariants: false, ..Default::default() };
        let (ra, rb) = (kubesim::simulate(a, &opts).unwrap(), kubesim::simulate(b, &opts).unwrap());
        assert_eq!(ra.outcome.events_processed, rb.outcome.events_processed, "{}", p.display());
        assert_eq!(ra.cluster.rec.events.len(), rb.cluster.rec.events.len(), "{}", p.display());
    }
}

#[test]
fn a_sweeps_base_scenario_brings_its_spec_manifests_to_every_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::copy(root().join("tests/data/real/nginx-deployment.yaml"), dir.join("nginx-deployment.yaml")).unwrap();
    std::fs::write(
        dir.join("base.yaml"),
        "apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nmetadata: {name: base}\nspec:\n  duration: 5m\n  nodePools: [{name: w, count: 3, capacity: {cpu: \"4\", memory: 8Gi}}]\n  manifests: [nginx-deployment.yaml]\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("sw.yaml"),
        "apiVersion: kubesim.io/v1alpha1\nkind: Sweep\nmetadata: {name: sw}\nspec:\n  scenario: base.yaml\n  seeds: {from: 1, count: 2}\n  parameters:\n  - {set: \"spec.nodePools[0].count\", values: [3, 4]}\n  report: [availability]\n",
    )
    .unwrap();
    let out = dir.join("out");
    let (code, _, err) =
        crate::kubesim(&["sweep", dir.join("sw.yaml").to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"]);
    assert_eq!(code, Some(0), "{err}");
    let runs = read_csv(&out.join("runs.csv"));
    let created: Vec<&str> = runs.iter().map(|r| r["podsCreated"].as_str()).collect();
    // The manifest's three replicas at every point (parameters set the scenario file's own fields).
    assert_eq!(created, ["3", "3", "3", "3"], "{runs:?}");
}
