//! The kubelet's state machine, each case a small scenario whose timings follow from upstream's
//! rules.

use super::*;
use std::collections::BTreeMap;

type Row = BTreeMap<String, String>;

/// One node, one standalone pod (or whatever `manifests` says), run for `duration`.
fn run_yaml(images: &str, manifests: &str, duration: &str, extra_spec: &str) -> (tempfile::TempDir, PathBuf) {
    let text = format!(
        "apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nmetadata: {{name: k}}\nspec:\n  duration: {duration}\n  sampleInterval: 10s\n{extra_spec}  nodePools:\n  - name: n\n    count: 1\n    capacity: {{cpu: \"8\", memory: 32Gi}}\n    images: [\"app:1\"]\n  images:\n{images}---\n{manifests}"
    );
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("k.yaml");
    std::fs::write(&f, &text).unwrap();
    let out = tmp.path().join("out");
    let o = assert_cmd::Command::cargo_bin("kubesim")
        .unwrap()
        .arg("run")
        .arg(&f)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .arg("--check-invariants")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}\n{text}", String::from_utf8_lossy(&o.stderr));
    (tmp, out)
}

fn pod(name: &str, policy: &str, extra_container: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n  restartPolicy: {policy}\n  containers:\n  - name: app\n    image: \"app:1\"\n{extra_container}"
    )
}

fn events_of(out: &Path, pod: &str) -> Vec<Row> {
    read_csv(&out.join("events.csv")).into_iter().filter(|e| e["name"] == pod).collect()
}

fn times(evs: &[Row], reason: &str) -> Vec<u64> {
    evs.iter().filter(|e| e["reason"] == reason).map(|e| ms(&e["time"])).collect()
}

fn pod_row(out: &Path, name: &str) -> Row {
    read_csv(&out.join("pods.csv")).into_iter().find(|p| p["name"] == name).unwrap()
}

#[test]
fn crash_loop_back_off_follows_the_upstream_schedule() {
    // Started 1s after Created; exits 1 a second later; restartPolicy Always.
    let images = "  - name: \"app:1\"\n    behavior: {startup: 1s, exit: {after: 1s, code: 1}}\n";
    let (_t, out) = run_yaml(images, &pod("crasher", "Always", ""), "20m", "");
    let evs = events_of(&out, "crasher");
    let started = times(&evs, "Started");
    let created = times(&evs, "Created");
    assert!(started.len() >= 9, "{started:?}");
    // Each exit is 1s after a start, seen at the next relist. The first restart is at that
    // relist (no back-off yet); later ones wait out 10s doubling to the 300s cap, at the first
    // pod worker sync past it (syncs 10-15s apart, each inside it a BackOff).
    let backoffs = times(&evs, "BackOff");
    let delays = [0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000];
    for (k, &delay) in delays.iter().enumerate() {
        let exit = started[k] + 1000;
        if delay == 0 {
            assert_eq!(created[k + 1], relist(exit));
        } else {
            assert_back_off_syncs(&backoffs, exit, relist(exit), created[k + 1], delay);
        }
    }
    // BackOff warnings name the container and the pod.
    let backoff = evs.iter().find(|e| e["reason"] == "BackOff").unwrap();
    assert_eq!(backoff["type"], "Warning");
    assert!(
        backoff["message"].starts_with("Back-off restarting failed container app in pod crasher_default("),
        "{}",
        backoff["message"]
    );
    let p = pod_row(&out, "crasher");
    assert_eq!(p["phase"], "Running");
    assert!(p["restarts"].parse::<u32>().unwrap() >= 8);
}

#[test]
fn restart_policies_give_upstream_phases() {
    let cases = [
        ("Always", 0, "Running"),
        ("Always", 1, "Running"),
        ("OnFailure", 0, "Succeeded"),
        ("OnFailure", 1, "Running"),
        ("Never", 0, "Succeeded"),
        ("Never", 1, "Failed"),
    ];
    for (policy, code, phase) in cases {
        let images = format!("  - name: \"app:1\"\n    behavior: {{exit: {{after: 5s, code: {code}}}}}\n");
        let (_t, out) = run_yaml(&images, &pod("p", policy, ""), "2m", "");
        let p = pod_row(&out, "p");
        assert_eq!(p["phase"], phase, "restartPolicy {policy}, exit {code}");
        let restarted = p["restarts"] != "0";
        let should_restart = policy == "Always" || (policy == "OnFailure" && code != 0);
        assert_eq!(restarted, should_restart, "{policy}/{code}: restarts {}", p["restarts"]);
        if !should_restart {
            assert_eq!(p["reason"], if code == 0 { "Completed" } else { "Error" });
            // Scheduled at 11ms (one 1 ms attempt), Created at 21ms, Started 1s later, exits
            // 5s after that (6.021s); the pod's phase follows at the relist that sees it.
            assert_eq!(ms(&p["finished"]), relist(6_021), "{policy}/{code}: finished {}", p["finished"]);
        }
    }
}

#[test]
fn a_failing_init_container_keeps_the_app_from_starting() {
    let images = "  - name: \"app:1\"\n  - name: \"init:1\"\n    behavior: {exit: {after: 2s, code: 1}}\n";
    let manifest = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  initContainers:\n  - {name: setup, image: \"init:1\"}\n  containers:\n  - {name: app, image: \"app:1\"}\n";
    let (_t, out) = run_yaml(images, manifest, "5m", "");
    let evs = events_of(&out, "p");
    let started: Vec<&str> = evs.iter().filter(|e| e["reason"] == "Started").map(|e| e["message"].as_str()).collect();
    assert!(started.len() >= 3, "the init container is retried: {started:?}");
    assert!(started.iter().all(|m| *m == "Started container setup"), "{started:?}");
    assert!(evs.iter().any(|e| e["reason"] == "BackOff"));
    let p = pod_row(&out, "p");
    assert_eq!(p["phase"], "Pending");
    assert_eq!(p["started"], "");
    // With restartPolicy Never the pod fails at once.
    let manifest = manifest.replace("spec:\n  initContainers", "spec:\n  restartPolicy: Never\n  initContainers");
    let (_t, out) = run_yaml(images, &manifest, "5m", "");
    assert_eq!(pod_row(&out, "p")["phase"], "Failed");
}

#[test]
fn a_leaking_container_is_oom_killed_at_its_limit_then_crash_loops() {
    // 100Mi at start, +10Mi/s, limit 200Mi: over the limit 10s (and a millisecond) after start.
    let images = "  - name: \"app:1\"\n    behavior: {startup: 1s, memory: {start: 100Mi, growth: 10Mi/s}}\n";
    let extra = "    resources: {requests: {memory: 128Mi}, limits: {memory: 200Mi}}\n";
    let (_t, out) = run_yaml(images, &pod("leaky", "Always", extra), "10m", "");
    let evs = events_of(&out, "leaky");
    let started = times(&evs, "Started");
    let created = times(&evs, "Created");
    // OOM at start + 10.001s, seen at the next relist; restarted then, then after 10s of
    // back-off at the pod worker's first sync past it.
    assert_eq!(created[1], relist(started[0] + 10_001));
    let oom2 = started[1] + 10_001;
    assert_back_off_syncs(&times(&evs, "BackOff"), oom2, relist(oom2), created[2], 10_000);
    let all = read_csv(&out.join("events.csv"));
    let oom = all.iter().find(|e| e["reason"] == "SystemOOM").expect("SystemOOM on the node");
    assert_eq!(oom["kind"], "Node");
    assert_eq!(ms(&oom["time"]), started[0] + 10_001);
    assert!(evs.iter().any(|e| e["reason"] == "BackOff"));
}

#[test]
fn a_process_that_ignores_sigterm_is_killed_at_the_grace_period() {
    let images = "  - name: \"app:1\"\n    behavior: {terminationTime: 1h}\n";
    let manifest = pod("stubborn", "Always", "")
        .replace("  restartPolicy: Always\n", "  restartPolicy: Always\n  terminationGracePeriodSeconds: 45\n");
    let faults = "  faults:\n  - pod-kill: {at: 1m, selector: {}, mode: all}\n";
    let (_t, out) = run_yaml(images, &manifest, "5m", faults);
    let p = pod_row(&out, "stubborn");
    assert_eq!(ms(&p["deleted"]), 60_000);
    assert_eq!(
        ms(&p["finished"]),
        60_000 + 10 + 45_000,
        "SIGKILL exactly the grace period after the kubelet saw the deletion"
    );
    assert_eq!(p["phase"], "Failed"); // exit 137
    // A process that exits on SIGTERM in 2s goes in 2s.
    let images = "  - name: \"app:1\"\n    behavior: {terminationTime: 2s}\n";
    let (_t, out) = run_yaml(images, &manifest, "5m", faults);
    let p = pod_row(&out, "stubborn");
    assert_eq!(ms(&p["finished"]), 60_000 + 10 + 2_000);
    assert_eq!(p["phase"], "Succeeded");
}

#[test]
fn a_pre_stop_hook_that_overruns_gets_two_more_seconds() {
    let images = "  - name: \"app:1\"\n    behavior: {terminationTime: 10s, preStop: 1h}\n";
    let extra = "    lifecycle: {preStop: {exec: {command: [sleep, \"3600\"]}}}\n";
    let manifest = pod("hooked", "Always", extra)
        .replace("  restartPolicy: Always\n", "  restartPolicy: Always\n  terminationGracePeriodSeconds: 30\n");
    let faults = "  faults:\n  - pod-kill: {at: 1m, selector: {}, mode: all}\n";
    let (_t, out) = run_yaml(images, &manifest, "5m", faults);
    let p = pod_row(&out, "hooked");
    assert_eq!(ms(&p["finished"]), 60_010 + 30_000 + 2_000);
}

#[test]
fn a_hung_process_fails_liveness_and_is_restarted() {
    // Answers 2s after start, hangs 60s after start; liveness every 10s, 3 failures to kill.
    let images =
        "  - name: \"app:1\"\n    behavior: {startup: 1s, ready: 2s, hang: {after: 60s}, terminationTime: 1s}\n";
    let extra = "    livenessProbe: {httpGet: {path: /healthz, port: 8080}, initialDelaySeconds: 5}\n";
    let (_t, out) = run_yaml(images, &pod("hung", "Always", extra), "5m", "");
    let evs = events_of(&out, "hung");
    let started = times(&evs, "Started")[0];
    let unhealthy: Vec<&Row> = evs.iter().filter(|e| e["reason"] == "Unhealthy").collect();
    // Probes at started+10s, +20s, ...: the ones at +60s, +70s, +80s get no answer and fail
    // when their timeoutSeconds (1s) is up.
    let fails: Vec<u64> = unhealthy.iter().take(3).map(|e| ms(&e["time"]) - started).collect();
    assert_eq!(fails, vec![61_000, 71_000, 81_000]);
    let ip = &pod_row(&out, "hung")["ip"];
    let want = format!(
        "Liveness probe failed: Get \"http://{ip}:8080/healthz\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
    );
    assert_eq!(unhealthy[0]["message"], want);
    let killing = evs.iter().find(|e| e["reason"] == "Killing").unwrap();
    assert_eq!(killing["message"], "Container app failed liveness probe, will be restarted");
    assert_eq!(ms(&killing["time"]) - started, 81_000);
    // Stopped a second later, restarted at once (first restart); each new instance hangs 60s
    // after it starts: killed 81s after its start, back-off 10s; then back-off 20s: 3 restarts.
    // The kubelet stops it itself, so it restarts in the same sync; the second stop's sync
    // finds the 10s back-off and the restart waits for the first sync past it.
    let created = times(&evs, "Created");
    assert_eq!(created[1] - started, 82_000);
    let stopped = created[1] + 1_000 + 81_000 + 1_000;
    assert_back_off_syncs(&times(&evs, "BackOff"), stopped, stopped, created[2], 10_000);
    assert_eq!(pod_row(&out, "hung")["restarts"], "3");
}

#[test]
fn readiness_drives_the_ready_condition() {
    // Answers 12s after start; readiness every 5s from 0: fails at 0, 5, 10, succeeds at 15.
    let images = "  - name: \"app:1\"\n    behavior: {startup: 1s, ready: 12s}\n";
    let extra = "    readinessProbe: {httpGet: {path: /, port: 80}, periodSeconds: 5}\n";
    let (_t, out) = run_yaml(images, &pod("slow", "Always", extra), "2m", "");
    let evs = events_of(&out, "slow");
    let started = times(&evs, "Started")[0];
    let fails: Vec<u64> = times(&evs, "Unhealthy").iter().map(|t| t - started).collect();
    assert_eq!(fails, vec![0, 5_000, 10_000]);
    let p = pod_row(&out, "slow");
    assert_eq!(ms(&p["ready"]) - started, 15_000);
    assert_eq!(ms(&p["started"]), started);
}

#[test]
fn a_startup_probe_holds_liveness_back() {
    // Slow starter: answers after 45s. Liveness alone (3 x 10s) would kill it; a startup
    // probe with failureThreshold 10 lets it start.
    let images = "  - name: \"app:1\"\n    behavior: {startup: 1s, ready: 45s}\n";
    let liveness = "    livenessProbe: {httpGet: {path: /, port: 80}}\n";
    let (_t, out) = run_yaml(images, &pod("slow", "Always", liveness), "3m", "");
    assert_ne!(pod_row(&out, "slow")["restarts"], "0", "liveness alone kills the slow starter");
    let both = format!("{liveness}    startupProbe: {{httpGet: {{path: /, port: 80}}, failureThreshold: 10}}\n");
    let (_t, out) = run_yaml(images, &pod("slow", "Always", &both), "3m", "");
    let p = pod_row(&out, "slow");
    assert_eq!(p["restarts"], "0");
    let started = times(&events_of(&out, "slow"), "Started")[0];
    assert_eq!(ms(&p["ready"]) - started, 50_000, "startup probe passes at the first probe after 45s");
}

#[test]
fn the_behavior_annotation_overrides_the_image() {
    let images = "  - name: \"app:1\"\n";
    let manifest = pod("p", "Never", "").replace(
        "metadata: {name: p}",
        "metadata: {name: p, annotations: {kubesim.io/behavior: \"{exit: {after: 30s, code: 3}}\"}}",
    );
    let (_t, out) = run_yaml(images, &manifest, "2m", "");
    let p = pod_row(&out, "p");
    assert_eq!(p["phase"], "Failed");
    assert_eq!(p["reason"], "Error");
}

/// Found by the property tests: a container stopped after failing its liveness probe, under
/// restartPolicy OnFailure, made the pod look Succeeded for an instant (it is being restarted),
/// so the scheduler released its slot and bound a second pod to a one-pod node.
#[test]
fn regression_liveness_kill_under_on_failure_keeps_the_pod_running() {
    let images = "  - name: \"app:1\"\n    behavior: {startup: 256ms, ready: 20001ms, terminationTime: 2001ms}\n";
    let extra = "    livenessProbe: {tcpSocket: {port: 80}, initialDelaySeconds: 5, failureThreshold: 2}\n";
    let manifest = pod("p0", "OnFailure", extra)
        .replace("  restartPolicy: OnFailure\n", "  restartPolicy: OnFailure\n  terminationGracePeriodSeconds: 3\n");
    let (_t, out) = run_yaml(images, &manifest, "2m", "");
    let p = pod_row(&out, "p0");
    assert_eq!(p["phase"], "Running");
    assert_ne!(p["restarts"], "0");
    let killed = events_of(&out, "p0").into_iter().find(|e| e["reason"] == "Killing").unwrap();
    assert_eq!(killed["message"], "Container app failed liveness probe, will be restarted");
}

#[test]
fn a_pull_during_a_registry_outage_backs_off_and_starts_once_it_ends() {
    // "web:2" is not on the node; the registry is down for the first 2 minutes.
    let images = "  - name: \"app:1\"\n  - name: \"web:2\"\n    size: 30Mi\n";
    let manifest =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: web, image: \"web:2\"}\n";
    let faults = "  faults:\n  - registry-outage: {at: 0s, duration: 2m}\n";
    let (_t, out) = run_yaml(images, manifest, "10m", faults);
    let evs = events_of(&out, "p");
    let reasons: Vec<(&str, &str)> = evs.iter().map(|e| (e["reason"].as_str(), e["message"].as_str())).collect();
    assert!(
        reasons
            .iter()
            .any(|(r, m)| *r == "Failed"
                && m.starts_with("Failed to pull image \"web:2\": rpc error: code = Unavailable"))
    );
    assert!(reasons.iter().any(|(r, m)| *r == "Failed" && *m == "Error: ErrImagePull"));
    assert!(reasons.iter().any(|(r, m)| *r == "BackOff" && *m == "Back-off pulling image \"web:2\""));
    assert!(reasons.iter().any(|(r, m)| *r == "Failed" && *m == "Error: ImagePullBackOff"));
    // Failed pulls (300 ms of registry latency each) are retried after 10 s, 20 s, 40 s of
    // back-off, at the pod worker's first sync past it (syncs 10-15 s after each sync error).
    let failed: Vec<u64> =
        evs.iter().filter(|e| e["message"] == "Error: ErrImagePull").map(|e| ms(&e["time"])).collect();
    let pulls = times(&evs, "Pulling");
    let in_back_off: Vec<u64> =
        evs.iter().filter(|e| e["message"] == "Error: ImagePullBackOff").map(|e| ms(&e["time"])).collect();
    for (k, delay) in [10_000, 20_000, 40_000].into_iter().enumerate() {
        let mut syncs = in_back_off.clone();
        syncs.push(failed[k]);
        syncs.sort();
        assert_back_off_syncs(&syncs, failed[k], failed[k], pulls[k + 1], delay);
    }
    assert!(failed.iter().all(|&t| t < 120_000));
    // The first pull after the outage succeeds and the container starts.
    let pulled = evs.iter().find(|e| e["reason"] == "Pulled").expect("pulled after the outage");
    assert!(ms(&pulled["time"]) > 120_000);
    let p = pod_row(&out, "p");
    assert_eq!(p["phase"], "Running");
    assert!(ms(&p["started"]) > 120_000);
}

#[test]
fn a_missing_image_stays_in_image_pull_back_off() {
    let images = "  - name: \"app:1\"\n  - name: \"web:typo\"\n";
    let manifest =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: web, image: \"web:typo\"}\n";
    let faults = "  faults:\n  - image-missing: {at: 0s, image: \"web:typo\"}\n";
    let (_t, out) = run_yaml(images, manifest, "30m", faults);
    let p = pod_row(&out, "p");
    assert_eq!(p["phase"], "Pending");
    assert_eq!(p["reason"], "ImagePullBackOff");
    let evs = events_of(&out, "p");
    assert!(evs.iter().any(|e| e["message"].contains("code = NotFound")));
    // The back-off is capped at 5 minutes: in 30 minutes there are only a handful of pulls.
    let pulls = evs.iter().filter(|e| e["reason"] == "Pulling").count();
    assert!((8..=12).contains(&pulls), "{pulls} pulls");
}

#[test]
fn under_memory_pressure_pods_are_evicted_in_upstream_order() {
    // A 4Gi node; three pods using memory; a hog of 3.2Gi from 1m. Ranked by whether use
    // exceeds requests, then priority, then use above requests: the BestEffort pod (800Mi above
    // its zero request) goes first, the Burstable one (600Mi used, 256Mi requested) next, the
    // Guaranteed one (within its requests) last; one per 10 s monitoring pass (the monitor
    // already ticks on the 10 s grid because the pods use memory, so it sees the hog at 60s).
    let images = "  - name: \"app:1\"\n";
    let mk = |name: &str, mem: &str, resources: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, annotations: {{kubesim.io/behavior: \"{{memory: {{start: {mem}}}}}\"}}}}\nspec:\n  containers:\n  - name: app\n    image: \"app:1\"\n{resources}"
        )
    };
    let manifests = [
        mk("best-effort", "800Mi", ""),
        mk("burstable", "600Mi", "    resources: {requests: {memory: 256Mi}}\n"),
        mk(
            "guaranteed",
            "900Mi",
            "    resources: {requests: {cpu: 500m, memory: 1Gi}, limits: {cpu: 500m, memory: 1Gi}}\n",
        ),
    ]
    .join("---\n");
    let extra = "  faults:\n  - node-memory-hog: {at: 1m, nodes: [n-0], memory: 3276Mi, duration: 5m}\n";
    let text = format!(
        "apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nmetadata: {{name: k}}\nspec:\n  duration: 15m\n{extra}  nodePools:\n  - name: n\n    count: 1\n    capacity: {{cpu: \"8\", memory: 4Gi}}\n    images: [\"app:1\"]\n  images:\n{images}---\n{manifests}"
    );
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("k.yaml");
    std::fs::write(&f, &text).unwrap();
    let (_t, out) = run_cli(&f, &["--quiet", "--check-invariants"]);
    let events = read_csv(&out.join("events.csv"));
    let evicted: Vec<(u64, String)> =
        events.iter().filter(|e| e["reason"] == "Evicted").map(|e| (ms(&e["time"]), e["name"].clone())).collect();
    assert_eq!(
        evicted,
        vec![(60_000, "best-effort".into()), (70_000, "burstable".into()), (80_000, "guaranteed".into())],
        "{text}"
    );
    let msg = &events.iter().find(|e| e["reason"] == "Evicted").unwrap()["message"];
    assert!(msg.starts_with("The node was low on resource: memory. Threshold quantity: 100Mi, available: "), "{msg}");
    assert!(msg.contains("Container app was using 819200Ki, request is 0"), "{msg}");
    for p in ["best-effort", "burstable", "guaranteed"] {
        let row = pod_row(&out, p);
        assert_eq!((row["phase"].as_str(), row["reason"].as_str()), ("Failed", "Evicted"), "{p}");
    }
    let pressure = events.iter().find(|e| e["reason"] == "NodeHasInsufficientMemory").unwrap();
    assert_eq!(ms(&pressure["time"]), 60_000);
    // Pressure was last seen at 80s; the condition clears 5 minutes (the transition period) later.
    let cleared = events.iter().find(|e| e["reason"] == "NodeHasSufficientMemory").unwrap();
    assert_eq!(ms(&cleared["time"]), 380_000);
}

#[test]
fn deleting_a_static_pods_mirror_pod_brings_it_back() {
    let text = "apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nmetadata: {name: k}\nspec:\n  duration: 5m\n  faults:\n  - pod-kill: {at: 1m, namespace: kube-system, selector: {component: etcd}}\n  nodePools:\n  - name: cp\n    count: 1\n    capacity: {cpu: \"4\", memory: 8Gi}\n    staticPods:\n    - apiVersion: v1\n      kind: Pod\n      metadata: {name: etcd, namespace: kube-system, labels: {component: etcd}}\n      spec:\n        containers:\n        - {name: etcd, image: \"etcd:3.5\"}\n";
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("k.yaml");
    std::fs::write(&f, text).unwrap();
    let (_t, out) = run_cli(&f, &["--quiet", "--check-invariants"]);
    let pods: Vec<Row> = read_csv(&out.join("pods.csv")).into_iter().filter(|p| p["name"] == "etcd-cp-0").collect();
    assert_eq!(pods.len(), 2, "the mirror pod is posted again: {pods:?}");
    assert_eq!(pods[0]["namespace"], "kube-system");
    assert_eq!(ms(&pods[0]["deleted"]), 60_000);
    assert_eq!(pods[1]["phase"], "Running");
    assert_eq!(pods[1]["node"], "cp-0");
    assert_eq!(pods[1]["deleted"], "");
    // The static pod itself never stopped: one start, no Killing.
    let events = read_csv(&out.join("events.csv"));
    assert_eq!(events.iter().filter(|e| e["reason"] == "Started").count(), 1);
    assert!(!events.iter().any(|e| e["reason"] == "Killing"));
}

#[test]
fn parallel_image_pulls_share_the_nodes_bandwidth() {
    // Two pods on the node, each with a 100Mi image; 100Mi/s per node, 300ms latency.
    let images = "  - name: \"app:1\"\n  - name: \"a:1\"\n    size: 100Mi\n  - name: \"b:1\"\n    size: 100Mi\n";
    let manifest = "apiVersion: v1\nkind: Pod\nmetadata: {name: pa}\nspec:\n  nodeName: n-0\n  containers: [{name: a, image: \"a:1\"}]\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: pb}\nspec:\n  nodeName: n-0\n  containers: [{name: b, image: \"b:1\"}]\n";
    let pulled = |extra: &str| -> Vec<u64> {
        let (_t, out) = run_yaml(images, manifest, "1m", extra);
        let all = read_csv(&out.join("events.csv"));
        let start = all.iter().filter(|e| e["reason"] == "Pulling").map(|e| ms(&e["time"])).min().unwrap();
        let mut t: Vec<u64> = all.iter().filter(|e| e["reason"] == "Pulled").map(|e| ms(&e["time"]) - start).collect();
        t.sort();
        t
    };
    // Serialized (the default): the second pull waits for the first.
    assert_eq!(pulled(""), vec![1_300, 2_600]);
    // In parallel both download at once, at half the node's bandwidth each.
    assert_eq!(pulled("  kubernetes: {serializeImagePulls: false, maxParallelImagePulls: 5}\n"), vec![2_300, 2_300]);
}

#[test]
fn a_sidecar_starts_first_stays_up_and_does_not_keep_a_finished_pod_alive() {
    let images = "  - name: \"app:1\"\n    behavior: {startup: 1s, exit: {after: 30s, code: 0}}\n  - name: \"shipper:1\"\n    behavior: {startup: 2s, crash: {meanInterval: 1h, code: 2}}\n";
    let manifest = "apiVersion: v1\nkind: Pod\nmetadata: {name: job}\nspec:\n  restartPolicy: Never\n  initContainers:\n  - {name: logs, image: \"shipper:1\", restartPolicy: Always}\n  containers:\n  - {name: main, image: \"app:1\"}\n";
    let (_t, out) = run_yaml(images, manifest, "5m", "");
    let evs = events_of(&out, "job");
    let started: Vec<(u64, &str)> =
        evs.iter().filter(|e| e["reason"] == "Started").map(|e| (ms(&e["time"]), e["message"].as_str())).collect();
    assert_eq!(started[0].1, "Started container logs");
    assert_eq!(started[1].1, "Started container main");
    // main is created only once the sidecar is up (2s), at the relist that sees it; it starts
    // 1s later.
    assert_eq!(started[1].0, relist(started[0].0) + 1_000);
    let p = pod_row(&out, "job");
    assert_eq!(p["phase"], "Succeeded", "the sidecar does not keep the pod running");
    assert_eq!(ms(&p["finished"]), relist(started[1].0 + 30_000));
    assert!(evs.iter().any(|e| e["reason"] == "Killing" && e["message"] == "Stopping container logs"));
}

#[test]
fn sidecars_stop_after_the_app_containers_in_reverse_order() {
    // kuberuntime's termination ordering: every container is told at once (Killing), the app
    // gets SIGTERM, each sidecar only once the containers it must outlive (the app containers
    // and the sidecars declared after it) have exited, or when its grace runs out; the whole
    // seconds it waited come off its grace (2 s at least). The kubelet sees the deletion at D.
    let images = "  - name: \"app:1\"\n    behavior: {terminationTime: 5s}\n  - name: \"log:1\"\n    behavior: {terminationTime: 1s}\n  - name: \"proxy:1\"\n    behavior: {terminationTime: 1500ms}\n";
    let manifest = "apiVersion: v1\nkind: Pod\nmetadata: {name: mesh}\nspec:\n  terminationGracePeriodSeconds: 30\n  initContainers:\n  - {name: proxy, image: \"proxy:1\", restartPolicy: Always}\n  - {name: log, image: \"log:1\", restartPolicy: Always}\n  containers:\n  - {name: app, image: \"app:1\"}\n";
    let faults = "  faults:\n  - pod-kill: {at: 1m, selector: {}, mode: all}\n";
    let (_t, out) = run_yaml(images, manifest, "3m", faults);
    let d = 60_010;
    let evs = events_of(&out, "mesh");
    assert_eq!(times(&evs, "Killing"), [d, d, d], "all three told at once");
    // app exits at D+5s; log (the last sidecar) gets SIGTERM then and exits 1s later; proxy
    // waits for log: SIGTERM at D+6s, gone at D+7.5s.
    assert_eq!(ms(&pod_row(&out, "mesh")["finished"]), d + 7_500);
    // An app that ignores SIGTERM is killed at the grace period (30s); log's turn comes then,
    // with 30 - 30 s of grace left, raised to 2 s: gone at D+31s; proxy's wait times out at the
    // grace period too: SIGTERM at D+30s, gone at D+31.5s.
    let stubborn = images.replace("behavior: {terminationTime: 5s}", "behavior: {terminationTime: 1h}");
    let (_t, out) = run_yaml(&stubborn, manifest, "3m", faults);
    assert_eq!(ms(&pod_row(&out, "mesh")["finished"]), d + 31_500);
}

fn conditions_of(out: &Path, pod: &str) -> Vec<(u64, String, String, String, String)> {
    let rows = read_csv(&out.join("conditions.csv")).into_iter().filter(|r| r["pod"] == pod);
    rows.map(|r| (ms(&r["time"]), r["type"].clone(), r["status"].clone(), r["reason"].clone(), r["message"].clone()))
        .collect()
}

#[test]
fn conditions_walk_from_scheduled_to_ready_with_upstream_reasons() {
    // An init container that succeeds 2s after it starts, then an app that answers its
    // readiness probe 3s after it starts.
    let images = "  - name: \"app:1\"\n    behavior: {startup: 1s, ready: 3s}\n  - name: \"init:1\"\n    behavior: {startup: 1s, exit: {after: 2s, code: 0}}\n";
    let manifest = "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  initContainers:\n  - {name: setup, image: \"init:1\"}\n  containers:\n  - name: app\n    image: \"app:1\"\n    readinessProbe: {httpGet: {path: /, port: 80}, periodSeconds: 1}\n";
    let (_t, out) = run_yaml(images, manifest, "2m", "");
    let rows = conditions_of(&out, "web");
    let trues: Vec<&str> = rows.iter().filter(|r| r.2 == "True").map(|r| r.1.as_str()).collect();
    assert_eq!(trues, ["PodScheduled", "PodReadyToStartContainers", "Initialized", "ContainersReady", "Ready"]);
    let first = |t: &str, s: &str| rows.iter().find(|r| r.1 == t && r.2 == s).cloned().unwrap();
    // The kubelet's first status: not initialised (the init container named), not ready.
    let init = first("Initialized", "False");
    assert_eq!(
        (init.3.as_str(), init.4.as_str()),
        ("ContainersNotInitialized", "containers with incomplete status: [setup]")
    );
    let cr = first("ContainersReady", "False");
    assert_eq!((cr.3.as_str(), cr.4.as_str()), ("ContainersNotReady", "containers with unready status: [app]"));
    let ready = first("Ready", "False");
    assert_eq!((ready.3.as_str(), ready.4.as_str()), ("ContainersNotReady", "containers with unready status: [app]"));
    // The times follow the events: Initialized when the relist sees the init container's exit,
    // Ready when the probe passes (pods.csv's ready time), both Ready conditions together.
    let evs = events_of(&out, "web");
    let started = times(&evs, "Started");
    assert_eq!(first("Initialized", "True").0, relist(started[0] + 2_000));
    let ready_at = ms(&pod_row(&out, "web")["ready"]);
    assert_eq!((first("ContainersReady", "True").0, first("Ready", "True").0), (ready_at, ready_at));
    assert!(rows.windows(2).all(|w| w[0].0 <= w[1].0), "in time order: {rows:?}");
}

#[test]
fn a_finished_job_pod_shows_pod_completed() {
    let images = "  - name: \"app:1\"\n    behavior: {startup: 1s, exit: {after: 5s, code: 0}}\n";
    let job = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: once}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - {name: app, image: \"app:1\"}\n";
    let (_t, out) = run_yaml(images, job, "1m", "");
    let pod = read_csv(&out.join("pods.csv")).into_iter().find(|p| p["name"].starts_with("once-")).unwrap();
    assert_eq!(pod["phase"], "Succeeded");
    let rows = conditions_of(&out, &pod["name"]);
    let finished = ms(&pod["finished"]);
    let last: Vec<(&str, &str, &str)> =
        rows.iter().filter(|r| r.0 == finished).map(|r| (r.1.as_str(), r.2.as_str(), r.3.as_str())).collect();
    assert_eq!(
        last,
        [
            ("PodReadyToStartContainers", "False", ""),
            ("Initialized", "True", "PodCompleted"),
            ("ContainersReady", "False", "PodCompleted"),
            ("Ready", "False", "PodCompleted"),
        ]
    );
}

#[test]
fn probe_failures_read_as_each_handler_prints_them() {
    // Listens 30s after it starts: until then each check is refused (gRPC's blocking dial
    // waits out its timeout first).
    let images = "  - name: \"app:1\"\n    behavior: {startup: 1s, ready: 30s}\n";
    let checks = [
        ("ex", "exec: {command: [cat, /tmp/healthy]}", 0, String::new()),
        ("tcp", "tcpSocket: {port: 8080}", 0, "dial tcp IP:8080: connect: connection refused".into()),
        (
            "grpc",
            "grpc: {port: 9555}",
            1_000,
            "timeout: failed to connect service \"IP:9555\" within 1s: context deadline exceeded".into(),
        ),
        (
            "named",
            "httpGet: {path: healthz, port: web}",
            0,
            "Get \"http://IP:8080/healthz\": dial tcp IP:8080: connect: connection refused".into(),
        ),
    ];
    for (name, handler, delay, want) in checks {
        let extra = format!(
            "    ports: [{{name: web, containerPort: 8080}}]\n    readinessProbe: {{{handler}, periodSeconds: 10}}\n"
        );
        let (_t, out) = run_yaml(images, &pod(name, "Always", &extra), "1m", "");
        let evs = events_of(&out, name);
        let started = times(&evs, "Started")[0];
        let ip = pod_row(&out, name)["ip"].clone();
        let first = evs.iter().find(|e| e["reason"] == "Unhealthy").unwrap();
        assert_eq!(first["message"], format!("Readiness probe failed: {}", want.replace("IP", &ip)), "{name}");
        assert_eq!(ms(&first["time"]) - started, delay, "{name}");
    }
}

#[test]
fn a_hung_process_fails_its_probe_timeout_seconds_after_the_probe_started_except_a_tcp_connect() {
    let images = "  - name: \"app:1\"\n    behavior: {startup: 1s, ready: 1s, hang: {after: 20s}}\n";
    let exec = "    livenessProbe: {exec: {command: [cat, /tmp/healthy]}, periodSeconds: 10, timeoutSeconds: 3}\n";
    let (_t, out) = run_yaml(images, &pod("ex", "Always", exec), "2m", "");
    let evs = events_of(&out, "ex");
    let started = times(&evs, "Started")[0];
    // The probe at 0 fails at once: nothing answers before `ready` (1s); the command's output
    // (unknown to kubesim) is the message.
    let unhealthy: Vec<&Row> = evs.iter().filter(|e| e["reason"] == "Unhealthy").collect();
    assert_eq!((ms(&unhealthy[0]["time"]) - started, unhealthy[0]["message"].as_str()), (0, "Liveness probe failed: "));
    let fails: Vec<u64> = unhealthy[1..4].iter().map(|e| ms(&e["time"]) - started).collect();
    assert_eq!(fails, [23_000, 33_000, 43_000], "the probes at 20s, 30s, 40s, each 3s late");
    assert_eq!(unhealthy[1]["message"], "Liveness probe failed: command \"cat /tmp/healthy\" timed out");
    // The hung process's listening socket still completes a TCP handshake.
    let tcp = "    livenessProbe: {tcpSocket: {port: 8080}, periodSeconds: 10, initialDelaySeconds: 5}\n";
    let (_t, out) = run_yaml(images, &pod("tcp", "Always", tcp), "2m", "");
    assert!(times(&events_of(&out, "tcp"), "Unhealthy").is_empty());
    assert_eq!(pod_row(&out, "tcp")["restarts"], "0");
}

fn hooked(name: &str, second: bool) -> String {
    let mut m = pod(name, "Always", "    lifecycle:\n      postStart: {exec: {command: [sh, -c, setup]}}\n");
    if second {
        m.push_str("  - {name: second, image: \"app:1\"}\n");
    }
    m
}

#[test]
fn a_post_start_hook_holds_the_container_in_container_creating_and_the_next_container_back() {
    let images = "  - name: \"app:1\"\n    behavior: {startup: 1s, postStart: {duration: 5s}}\n";
    let (_t, out) = run_yaml(images, &hooked("hook", true), "1m", "");
    let evs = events_of(&out, "hook");
    let started = times(&evs, "Started");
    let created = times(&evs, "Created");
    // The app starts 1s after it is created; the second container is created only once the
    // app's 5s hook is over (startContainer returns after the hook).
    assert_eq!(created[1] - started[0], 5_000);
    // Neither container counts as Running (nor ready) before then.
    let rows = conditions_of(&out, "hook");
    let ready = rows.iter().find(|r| r.1 == "ContainersReady" && r.2 == "True").unwrap();
    assert_eq!(ready.0, started[1]);
    let p = pod_row(&out, "hook");
    assert_eq!((ms(&p["started"]), p["restarts"].as_str()), (started[1], "0"));
}

#[test]
fn a_failing_post_start_hook_kills_the_container_into_crash_loop_back_off() {
    let images = "  - name: \"app:1\"\n    behavior: {startup: 1s, postStart: {duration: 2s, fail: true}}\n";
    let (_t, out) = run_yaml(images, &hooked("hook", false), "3m", "");
    let evs = events_of(&out, "hook");
    let failed: Vec<&Row> = evs.iter().filter(|e| e["reason"] == "FailedPostStartHook").collect();
    assert_eq!((failed[0]["type"].as_str(), failed[0]["message"].as_str()), ("Warning", "PostStartHook failed"));
    let started = times(&evs, "Started");
    assert_eq!(ms(&failed[0]["time"]) - started[0], 2_000);
    let killing = evs.iter().find(|e| e["reason"] == "Killing").unwrap();
    assert_eq!((killing["message"].as_str(), ms(&killing["time"])), ("FailedPostStartHook", ms(&failed[0]["time"])));
    // Restarted at once the first time, then after 10s, 20s, ...: CrashLoopBackOff.
    assert!(evs.iter().any(|e| e["reason"] == "BackOff"), "{evs:?}");
    assert!(pod_row(&out, "hook")["reason"] == "CrashLoopBackOff" || started.len() >= 4);
    assert_ne!(pod_row(&out, "hook")["restarts"], "0");
}

#[test]
fn a_missing_image_pull_secret_is_reported_and_the_pull_goes_ahead() {
    let images = "  - name: \"app:1\"\n";
    let secrets = "  imagePullSecrets: [{name: regcred}, {name: other}]\n";
    let manifest = pod("p", "Always", "").replace("  containers:\n", &format!("{secrets}  containers:\n"));
    let (_t, out) = run_yaml(images, &manifest, "1m", "");
    let evs = events_of(&out, "p");
    let warn = evs.iter().find(|e| e["reason"] == "FailedToRetrieveImagePullSecret").expect("reported");
    assert_eq!(
        warn["message"],
        "Unable to retrieve some image pull secrets (regcred, other); attempting to pull the image may not succeed."
    );
    assert_eq!(pod_row(&out, "p")["phase"], "Running");
    // With the Secret there, nothing is said about it.
    let with = format!(
        "{manifest}---\napiVersion: v1\nkind: Secret\nmetadata: {{name: regcred}}\ndata: {{}}\n---\napiVersion: v1\nkind: Secret\nmetadata: {{name: other}}\n"
    );
    let (_t, out) = run_yaml(images, &with, "1m", "");
    assert!(events_of(&out, "p").iter().all(|e| e["reason"] != "FailedToRetrieveImagePullSecret"));
}

#[test]
fn a_readiness_gate_nobody_sets_keeps_the_pod_from_ready() {
    let images = "  - name: \"app:1\"\n";
    let gate = "  readinessGates: [{conditionType: \"target-health.elbv2.k8s.aws/web\"}]\n";
    let manifest = pod("gated", "Always", "").replace("  containers:\n", &format!("{gate}  containers:\n"));
    let (_t, out) = run_yaml(images, &manifest, "1m", "");
    let rows = conditions_of(&out, "gated");
    let last = |t: &str| rows.iter().rev().find(|r| r.1 == t).cloned().unwrap();
    assert_eq!(last("ContainersReady").2, "True");
    let ready = last("Ready");
    assert_eq!((ready.2.as_str(), ready.3.as_str()), ("False", "ReadinessGatesNotReady"));
    assert_eq!(
        ready.4,
        "corresponding condition of pod readiness gate \"target-health.elbv2.k8s.aws/web\" does not exist."
    );
    assert_eq!(pod_row(&out, "gated")["ready"], "", "never Ready");
}
