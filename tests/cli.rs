//! The command line, end to end.

use super::*;
use assert_cmd::Command;

#[test]
fn run_writes_the_five_csv_files_and_prints_a_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("q");
    let assert = Command::cargo_bin("kubesim")
        .unwrap()
        .arg("run")
        .arg(scenario("quickstart.yaml"))
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("scenario quickstart"), "{stdout}");
    assert!(stdout.contains("deployment/web"), "{stdout}");
    assert!(stdout.contains(&out.display().to_string()), "{stdout}");
    for f in ["events.csv", "pods.csv", "timeseries.csv", "workloads.csv", "summary.csv", "stats.csv"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    // Nothing but the outputs: no temporary folder left beside them.
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("q")]);
}

#[test]
fn default_output_folder_is_reports_slash_name() {
    let tmp = tempfile::tempdir().unwrap();
    Command::cargo_bin("kubesim")
        .unwrap()
        .current_dir(tmp.path())
        .arg("run")
        .arg(scenario("quickstart.yaml"))
        .arg("--quiet")
        .assert()
        .success()
        .stdout("");
    assert!(tmp.path().join("reports/quickstart/events.csv").is_file());
}

fn typo_scenario(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(scenario("quickstart.yaml")).unwrap().replace("  replicas: 5", "  replica: 5");
    let f = dir.join("typo.yaml");
    std::fs::write(&f, text).unwrap();
    f
}

#[test]
fn validate_reports_a_typo_with_position_and_suggestion() {
    let tmp = tempfile::tempdir().unwrap();
    let f = typo_scenario(tmp.path());
    let line = std::fs::read_to_string(&f).unwrap().lines().position(|l| l.contains("replica: 5")).unwrap() + 1;
    let assert = Command::cargo_bin("kubesim").unwrap().arg("validate").arg(&f).assert().code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains(&format!("typo.yaml:{line}:3")), "{stderr}");
    assert!(stderr.contains("unknown field `replica`"), "{stderr}");
    assert!(stderr.contains("did you mean `replicas`?"), "{stderr}");
}

#[test]
fn run_on_bad_input_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let f = typo_scenario(tmp.path());
    Command::cargo_bin("kubesim").unwrap().current_dir(tmp.path()).arg("run").arg(&f).assert().code(2);
    Command::cargo_bin("kubesim")
        .unwrap()
        .current_dir(tmp.path())
        .arg("run")
        .arg(&f)
        .arg("--out")
        .arg(tmp.path().join("x"))
        .assert()
        .code(2);
    let entries: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(entries, vec![std::ffi::OsString::from("typo.yaml")], "something was written");
}

#[test]
fn validate_accepts_the_shipped_scenarios() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 2);
    Command::cargo_bin("kubesim").unwrap().arg("validate").args(&files).assert().success();
}

#[test]
fn missing_file_is_bad_input() {
    Command::cargo_bin("kubesim")
        .unwrap()
        .args(["validate", "does/not/exist.yaml"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("cannot read does/not/exist.yaml"));
}

#[test]
fn a_run_killed_mid_way_leaves_no_partial_output_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let bin = assert_cmd::cargo::cargo_bin("kubesim");
    let check_whole_or_absent = |out: &Path| {
        if out.exists() {
            for f in [
                "events.csv",
                "pods.csv",
                "timeseries.csv",
                "workloads.csv",
                "summary.csv",
                "stats.csv",
                ".kubesim-output",
            ] {
                assert!(out.join(f).is_file(), "partial output: {f} missing");
            }
            assert_eq!(read_csv(&out.join("summary.csv")).len(), 1);
        }
    };
    // Kill at different moments: while simulating, while writing, after the rename.
    for delay_ms in [50u64, 150, 300, 450, 600, 750, 900, 1200] {
        let _ = std::fs::remove_dir_all(&out);
        let mut child = std::process::Command::new(&bin)
            .arg("run")
            .arg(root().join("tests/data/big-output.yaml"))
            .arg("--out")
            .arg(&out)
            .arg("--quiet")
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        check_whole_or_absent(&out);
    }
    // A later run completes and sweeps away what the killed ones left behind.
    let run_to_the_end = |why: &str| {
        let mut c = Command::new(&bin);
        c.arg("run").arg(root().join("tests/data/big-output.yaml")).arg("--out").arg(&out).arg("-q");
        c.assert().success();
        check_whole_or_absent(&out);
        let names: Vec<String> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["out".to_string()], "{why}");
    };
    run_to_the_end("stale temporary folders remain");
    // Killed during the swap, after the old output was moved aside and before the new one was
    // renamed in: both stay whole beside the target, and the next run cleans up.
    let aborted = std::process::Command::new(&bin)
        .args(["run", root().join("tests/data/big-output.yaml").to_str().unwrap(), "--out"])
        .arg(&out)
        .arg("-q")
        .env("KUBESIM_TEST_ABORT_IN_SWAP", "1")
        .output()
        .unwrap();
    assert!(!aborted.status.success());
    let left: Vec<PathBuf> = std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().path()).collect();
    assert!(!out.exists(), "the abort came between the two renames");
    let old = left.iter().find(|p| p.file_name().unwrap().to_string_lossy().starts_with(".out.old-")).expect("old");
    let new = left.iter().find(|p| p.file_name().unwrap().to_string_lossy().starts_with(".out.tmp-")).expect("new");
    check_whole_or_absent(old);
    check_whole_or_absent(new);
    // The next write puts the old output back, then replaces it, and leaves nothing beside it.
    run_to_the_end("the aside and temporary folders are gone");
}

#[test]
fn max_events_stops_cleanly_and_marks_the_outputs_incomplete() {
    let (_tmp, out) = run_cli(&scenario("quickstart.yaml"), &["--quiet", "--max-events", "100"]);
    let s = &read_csv(&out.join("summary.csv"))[0];
    assert_eq!(s["complete"], "false");
    assert_eq!(s["events"], "100");
    let end = ms(&s["duration"]);
    assert!(end > 0 && end < 300_000);
    // Consistent: nothing recorded after the stop.
    assert!(read_csv(&out.join("events.csv")).iter().all(|e| ms(&e["time"]) <= end));
    let (_tmp2, full) = run_cli(&scenario("quickstart.yaml"), &["--quiet"]);
    assert_eq!(read_csv(&full.join("summary.csv"))[0]["complete"], "true");
}

#[test]
fn check_invariants_flag_runs_clean_on_the_shipped_scenarios() {
    for s in ["quickstart.yaml", "unschedulable.yaml"] {
        run_cli(&scenario(s), &["--quiet", "--check-invariants"]);
    }
}

#[test]
fn check_passes_the_shipped_scenarios_expectations() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let out = Command::cargo_bin("kubesim").unwrap().arg("check").args(&files).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(!stdout.contains("FAIL"), "{stdout}");
    assert!(stdout.matches("PASS").count() >= 15, "{stdout}");
}

#[test]
fn check_exits_1_and_shows_what_happened_when_an_expectation_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(scenario("quickstart.yaml"))
        .unwrap()
        .replace("  - events: {reason: Killing, count: 1}", "  - events: {reason: Killing, count: \">= 3\"}");
    let f = tmp.path().join("q.yaml");
    std::fs::write(&f, text).unwrap();
    let out = Command::cargo_bin("kubesim").unwrap().arg("check").arg(&f).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("FAIL  events Killing: count >= 3  (actual: 1)"), "{stdout}");
    assert!(stdout.contains("PASS  at 5m0s: deployment/web readyReplicas == 5"), "{stdout}");
}

#[test]
fn check_reads_restarts_exit_codes_event_windows_pod_windows_and_node_state() {
    let tmp = tempfile::tempdir().unwrap();
    let extra = r#"  expect:
  - get: {at: 5m, selector: {app: leaky}, status: CrashLoopBackOff, restarts: 5, reason: OOMKilled, exitCode: 137, count: 1}
  - get: {at: 5m, selector: {app: leaky}, restarts: ">= 9"}
  - during: [0s, 1m]
    events: {reason: SystemOOM, object: node/worker-0, count: ">= 4"}
  - during: [1m, 10m]
    pods: {selector: {app: leaky}, count: 1}
  - during: [0s, 10m]
    pods: {selector: {app: leaky}, count: 1}
  - during: [0s, 10m]
    node/worker-0: {ready: True, memoryPressure: false}
  - at: 5m
    node/worker-0: {unschedulable: true}
"#;
    let text = std::fs::read_to_string(scenario("oomkilled.yaml")).unwrap().replacen("  expect:\n", extra, 1);
    let f = tmp.path().join("o.yaml");
    std::fs::write(&f, text).unwrap();
    let out = Command::cargo_bin("kubesim").unwrap().arg("check").arg(&f).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    for line in [
        "PASS  at 5m0s: pods app=leaky with STATUS CrashLoopBackOff, RESTARTS == 5, last terminated OOMKilled, exit code 137 count == 1",
        "FAIL  at 5m0s: pods app=leaky RESTARTS >= 9  (actual: leaky-",
        "FAIL  during [0s, 1m0s]: events SystemOOM about node/worker-0: count >= 4  (actual: 3)",
        "PASS  during [1m0s, 10m0s]: pods app=leaky count == 1  (actual: 1)",
        // Before the scheduler binds it, the pod exists but is not on a node.
        "FAIL  during [0s, 10m0s]: pods app=leaky count == 1  (actual: 0 at 0s)",
        "PASS  during [0s, 10m0s]: node/worker-0 memoryPressure false, ready True",
        "FAIL  at 5m0s: node/worker-0 unschedulable true  (actual: unschedulable false)",
    ] {
        assert!(stdout.contains(line), "{line}\n{stdout}");
    }
}

#[test]
fn check_runs_each_variant_with_its_own_expectations_and_validate_refuses_a_bad_one() {
    let tmp = tempfile::tempdir().unwrap();
    let text =
        std::fs::read_to_string(scenario("eviction-timing.yaml")).unwrap().replacen("within: 1m30s}", "within: 1m}", 1);
    let f = tmp.path().join("e.yaml");
    std::fs::write(&f, &text).unwrap();
    let out = Command::cargo_bin("kubesim").unwrap().arg("check").arg(&f).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    // The base, then each variant with an expect of its own, under its name.
    let fast = stdout.find(", variant fast-eviction (seed 7):").expect(&stdout);
    let slow = stdout.find(", variant slow-detection (seed 7):").expect(&stdout);
    assert!(stdout.find("e.yaml (seed 7):").unwrap() < fast && fast < slow, "{stdout}");
    assert!(stdout[fast..slow].contains("FAIL  deployment/web recovers within 1m0s after 2m0s"), "{stdout}");
    assert!(stdout[slow..].contains("PASS  during [3m54s, 3m56s]: events NodeNotReady"), "{stdout}");
    // A variant's expect is validated with the scenario.
    let bad = text.replacen("events: {reason: NodeNotReady, count: 1}", "events: {reason: NodeNotReady}", 1);
    std::fs::write(&f, bad).unwrap();
    let out = Command::cargo_bin("kubesim").unwrap().arg("validate").arg(&f).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("events needs `count`"), "{stderr}");
}

#[test]
fn get_pods_prints_what_kubectl_would_at_a_moment() {
    let get = |file: &str, at: &str| {
        let out = Command::cargo_bin("kubesim")
            .unwrap()
            .args(["get", "pods", scenario(file).to_str().unwrap(), "--at", at])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    // CrashLoopBackOff: 6 restarts by 6m30s (at the relist after the first exit, then at the
    // first pod worker syncs past 10, 20, 40, 80, 160 s of back-off: 19, 51, 94, 183, 358 s
    // with this seed's jitter); the last instance exited at 6m0s, 30 s before (kubectl shows
    // the last termination's finish); kubectl's tabwriter columns (minimum 10 wide, 3 of padding).
    assert_eq!(
        get("crashloop.yaml", "6m30s"),
        "NAME      READY   STATUS             RESTARTS      AGE\ncrasher   0/1     CrashLoopBackOff   6 (30s ago)   6m30s\n"
    );
    // Inside the back-off: Init:CrashLoopBackOff. Right after an exit (until the pod worker's
    // next sync) the status shows the dead instance instead: Init:Error.
    let init = get("init-container-failure.yaml", "6m");
    assert!(init.lines().skip(1).all(|l| l.contains(" 0/1 ") && l.contains("Init:CrashLoopBackOff")), "{init}");
    let init = get("init-container-failure.yaml", "6m29s");
    assert!(init.lines().skip(1).all(|l| l.contains(" 0/1 ") && l.contains("Init:Error")), "{init}");
    let pending = get("unschedulable.yaml", "3m");
    assert!(pending.lines().any(|l| l.starts_with("too-big ") && l.contains(" Pending ")), "{pending}");
    let jobs = get("job-backoff.yaml", "6m30s");
    assert_eq!(jobs.matches(" Completed ").count(), 6, "{jobs}");
    assert_eq!(jobs.matches(" Error ").count(), 4, "{jobs}");
    // A pod evicted from a partitioned node is Terminating (its kubelet has not seen it).
    let split = get("network-partition.yaml", "8m");
    assert!(split.contains(" Terminating "), "{split}");
    // After the end of the run: bad input.
    let out = Command::cargo_bin("kubesim")
        .unwrap()
        .args(["get", "pods", scenario("crashloop.yaml").to_str().unwrap(), "--at", "2h"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn get_nodes_and_deployments_print_kubectls_columns() {
    let run = |args: &[&str]| {
        let out = Command::cargo_bin("kubesim").unwrap().args(args).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let crash = scenario("node-crash.yaml");
    let nodes = run(&["get", "nodes", crash.to_str().unwrap(), "--at", "5m"]);
    assert_eq!(
        nodes,
        "NAME       STATUS     ROLES    AGE   VERSION\nworker-0   Ready      <none>   5m    v1.34.0\nworker-1   NotReady   <none>   5m    v1.34.0\nworker-2   Ready      <none>   5m    v1.34.0\n"
    );
    let bad = scenario("bad-rollout.yaml");
    let d = run(&["get", "deployments", bad.to_str().unwrap(), "--at", "15m"]);
    assert_eq!(d, "NAME   READY   UP-TO-DATE   AVAILABLE   AGE\nweb    8/10    5            8           15m\n");
}

#[test]
fn get_events_why_walks_the_causes_back_to_the_fault() {
    let crash = scenario("node-crash.yaml");
    let (_t, o) = run_cli(&crash, &["--quiet"]);
    let events = read_csv(&o.join("events.csv"));
    let evicted = events.iter().find(|e| e["reason"] == "TaintManagerEviction").unwrap();
    let pod = format!("pod/{}", evicted["name"]);
    let out = Command::cargo_bin("kubesim")
        .unwrap()
        .args(["get", "events", crash.to_str().unwrap(), "--for", &pod, "--why"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let chain: Vec<&str> = text
        .split("\n\n")
        .find(|b| b.contains("TaintManagerEviction"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim_start().starts_with("because"))
        .collect();
    // The pod was evicted <- the node went NotReady (grace 50 s) <- the node crashed at 2m.
    assert!(chain[0].contains("TaintManagerEviction"), "{text}");
    assert!(chain[1].contains("NodeNotReady  node/worker-1"), "{text}");
    assert!(chain[2].starts_with("  <- 120.000s  FaultInjected  node/worker-1: node-crash: powering off"), "{text}");
    assert_eq!(chain.len(), 3, "the fault is the root: {text}");
    assert!(text.contains("nodeMonitorGracePeriod (50s)") && text.contains("300s by DefaultTolerationSeconds"));
    // A series shows as kubectl shows it.
    let out = Command::cargo_bin("kubesim")
        .unwrap()
        .args(["get", "events", scenario("unschedulable.yaml").to_str().unwrap(), "--for", "pod/too-big"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("(x5 over 6m30s)   Warning   FailedScheduling   pod/too-big"), "{text}");
}

#[test]
fn run_draws_its_charts_the_same_bytes_every_time() {
    let tmp = tempfile::tempdir().unwrap();
    let mut outs = Vec::new();
    for k in 0..2 {
        let out = tmp.path().join(format!("o{k}"));
        Command::cargo_bin("kubesim")
            .unwrap()
            .args(["run", scenario("node-crash.yaml").to_str().unwrap(), "--quiet", "--out", out.to_str().unwrap()])
            .assert()
            .success();
        outs.push(out);
    }
    for f in ["pods-by-phase.png", "pods-by-phase.svg", "ready-vs-desired.png", "ready-vs-desired.svg"] {
        let a = std::fs::read(outs[0].join("charts").join(f)).unwrap();
        let b = std::fs::read(outs[1].join("charts").join(f)).unwrap();
        assert_eq!(a, b, "{f}");
        if f.ends_with(".png") {
            assert_eq!(&a[..8], b"\x89PNG\r\n\x1a\n", "{f}");
        } else {
            let svg = String::from_utf8(a).unwrap();
            assert!(svg.contains("node-crash: ") && svg.contains("\ntime\n"), "{f}: titles and axis labels");
        }
    }
}

#[test]
fn a_pod_kill_that_selects_a_static_pods_mirror_is_not_warned_about() {
    // #22: the warning "matches no pod or pod template" looked at Pods, ReplicaSets and
    // Deployments only; static pods' mirror pods, StatefulSets, DaemonSets and Jobs count too.
    let o = Command::cargo_bin("kubesim").unwrap().arg("validate").arg(scenario("static-pod.yaml")).output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(!stderr.contains("matches no pod"), "{stderr}");
    assert!(String::from_utf8_lossy(&o.stdout).contains("0 warnings"));
}

#[test]
fn check_reads_kubectls_status_at_a_moment_and_says_what_it_saw() {
    let (_t, f) = crate::write_scenario(
        r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: status}
spec:
  duration: 2m
  nodePools: [{name: worker, count: 1, capacity: {cpu: "2", memory: 4Gi}}]
  images: [{name: "app:1", size: 10Mi, behavior: {startup: 1s, exit: {after: 1s, code: 1}}}]
  expect:
  - get: {at: 1m30s, pod: crasher, status: CrashLoopBackOff}
  - get: {at: 1s, pod: crasher, status: Running}
---
apiVersion: v1
kind: Pod
metadata: {name: crasher}
spec:
  containers: [{name: app, image: "app:1"}]
"#,
    );
    let (code, out, _) = crate::kubesim(&["check", f.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("PASS  at 1m30s: pod/crasher STATUS CrashLoopBackOff"), "{out}");
    // At 1s the image is still being pulled: the verdict names what kubectl would print.
    assert!(out.contains("FAIL  at 1s: pod/crasher STATUS Running  (actual: crasher ContainerCreating)"), "{out}");
}
