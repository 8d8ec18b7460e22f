//! The node lifecycle: a dead node goes NotReady, is tainted, its pods are evicted on
//! upstream's clock and replaced elsewhere.

use super::*;

fn node_crash(extra_kubernetes: &str) -> (tempfile::TempDir, PathBuf) {
    let text = std::fs::read_to_string(scenario("node-crash.yaml")).unwrap();
    let text = if extra_kubernetes.is_empty() {
        text
    } else {
        text.replace("  faults:\n", &format!("  kubernetes: {{{extra_kubernetes}}}\n  faults:\n"))
    };
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("node-crash.yaml");
    std::fs::write(&f, text).unwrap();
    // The scenario file is read by now; the outputs live in run_cli's folder.
    run_cli(&f, &["--quiet", "--check-invariants"])
}

fn check(out: &Path, toleration_s: u64) {
    let events = read_csv(&out.join("events.csv"));
    let pods = read_csv(&out.join("pods.csv"));
    let crash = 120_000;
    let grace = 50_000;
    let not_ready = events.iter().find(|e| e["reason"] == "NodeNotReady").expect("NodeNotReady");
    assert_eq!(not_ready["name"], "worker-1");
    assert_eq!(not_ready["source"], "node-controller");
    let nr = ms(&not_ready["time"]);
    assert!((crash + grace - 10_000..=crash + grace + 10_000).contains(&nr), "NotReady at {nr}");
    // Every pod on worker-1 is evicted exactly tolerationSeconds after the taint.
    let on_dead: Vec<&std::collections::BTreeMap<String, String>> =
        pods.iter().filter(|p| p["node"] == "worker-1" && ms(&p["created"]) < crash).collect();
    assert!(!on_dead.is_empty());
    for p in &on_dead {
        let ev = events
            .iter()
            .find(|e| e["reason"] == "TaintManagerEviction" && e["name"] == p["name"])
            .unwrap_or_else(|| panic!("{} not evicted", p["name"]));
        assert_eq!(ms(&ev["time"]), nr + toleration_s * 1000, "{}", p["name"]);
        assert_eq!(ev["message"], format!("Marking for deletion Pod default/{}", p["name"]));
        // Terminating while the node is down; gone once it boots at 12m and its kubelet confirms.
        assert_eq!(ms(&p["deleted"]), nr + toleration_s * 1000);
        let finished = ms(&p["finished"]);
        assert!((720_000..725_000).contains(&finished), "{} finished at {finished}", p["name"]);
    }
    // Replacements are created within a second of each eviction and become Ready elsewhere.
    let evict_t = nr + toleration_s * 1000;
    let replacements: Vec<_> =
        pods.iter().filter(|p| ms(&p["created"]) >= evict_t && ms(&p["created"]) <= evict_t + 1000).collect();
    assert_eq!(replacements.len(), on_dead.len());
    for r in replacements {
        assert_ne!(r["node"], "worker-1");
        assert!(!r["ready"].is_empty());
    }
    let w = read_csv(&out.join("workloads.csv"));
    let last = w.last().unwrap();
    assert_eq!((last["desired"].as_str(), last["ready"].as_str()), ("6", "6"));
    assert!(events.iter().any(|e| e["reason"] == "NodeReady" && ms(&e["time"]) >= 720_000));
}

#[test]
fn a_crashed_nodes_pods_are_evicted_after_300s_and_replaced() {
    let (_t, out) = node_crash("");
    check(&out, 300);
}

#[test]
fn a_30s_toleration_evicts_sooner() {
    let (_t, out) = node_crash("defaultUnreachableTolerationSeconds: 30");
    check(&out, 30);
}

#[test]
fn the_grace_period_decides_when_the_node_goes_not_ready() {
    // The v1.31 default (40s) instead of v1.34's 50s.
    let (_t, out) = node_crash("nodeMonitorGracePeriod: 40s");
    let events = read_csv(&out.join("events.csv"));
    let nr = ms(&events.iter().find(|e| e["reason"] == "NodeNotReady").unwrap()["time"]);
    assert!((150_000..=170_000).contains(&nr), "NotReady at {nr}");
}

#[test]
fn a_node_restart_restarts_its_containers_in_place() {
    let text = std::fs::read_to_string(scenario("node-crash.yaml")).unwrap().replace(
        "  - node-crash: {at: 2m, nodes: [worker-1], duration: 10m}",
        "  - node-restart: {at: 2m, nodes: [worker-1], downtime: 90s}",
    );
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("restart.yaml");
    std::fs::write(&f, text).unwrap();
    let (_t, out) = run_cli(&f, &["--quiet", "--check-invariants"]);
    let events = read_csv(&out.join("events.csv"));
    // Down 90s: NotReady after the 50s grace, Ready again after the boot; no eviction (300s).
    assert!(events.iter().any(|e| e["reason"] == "NodeNotReady"));
    assert!(events.iter().any(|e| e["reason"] == "NodeReady" && ms(&e["time"]) >= 210_000));
    let marked =
        |e: &&BTreeMap<String, String>| e["reason"] == "TaintManagerEviction" && e["message"].starts_with("Marking");
    assert!(!events.iter().any(|e| marked(&e)));
    // The evictions scheduled at the taint are cancelled when the node is Ready again.
    let cancelled = events.iter().filter(|e| e["message"].starts_with("Cancelling deletion of Pod default/")).count();
    assert!(cancelled >= 1, "cancellations at NodeReady");
    let pods = read_csv(&out.join("pods.csv"));
    assert_eq!(pods.len(), 6, "no replacement pods");
    for p in pods.iter().filter(|p| p["node"] == "worker-1") {
        assert_eq!(p["phase"], "Running");
        assert_eq!(p["restarts"], "1", "{}", p["name"]);
    }
    // Its containers start again when the node is back at 3m30s.
    let restarted = events.iter().filter(|e| e["reason"] == "Started" && ms(&e["time"]) >= 210_000).count();
    assert!(restarted >= 1);
}

/// Found by the property tests: after a reboot, a restartPolicy Never pod looked Failed for an
/// instant while the kubelet started its containers again; the scheduler released its slot and
/// a ReplicaSet's pods were bound to the full node and rejected (OutOfpods) in a tight loop.
/// Never means never: the pod fails with its node.
#[test]
fn regression_a_never_pod_fails_with_its_rebooted_node_instead_of_restarting() {
    let text = "apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nmetadata: {name: k}\nspec:\n  duration: 2m\n  nodePools:\n  - name: n\n    count: 1\n    capacity: {cpu: \"2\", memory: 2Gi, pods: 1}\n  faults:\n  - node-crash: {at: 10s, nodes: [n-0], duration: 1s}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: once}\nspec:\n  restartPolicy: Never\n  initContainers: [{name: side, image: \"a:1\", restartPolicy: Always}]\n  containers: [{name: app, image: \"a:1\"}]\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: w}}\n  template:\n    metadata: {labels: {app: w}}\n    spec:\n      containers: [{name: app, image: \"a:1\"}]\n";
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("k.yaml");
    std::fs::write(&f, text).unwrap();
    let (_t, out) = run_cli(&f, &["--quiet", "--check-invariants"]);
    let pods = read_csv(&out.join("pods.csv"));
    let once = pods.iter().find(|p| p["name"] == "once").unwrap();
    assert_eq!(once["phase"], "Failed");
    let events = read_csv(&out.join("events.csv"));
    assert!(!events.iter().any(|e| e["reason"] == "OutOfpods"), "no admission loop");
    assert_eq!(pods.len(), 2, "the Deployment's pod runs once the slot is free");
}

/// NoExecute taint times of the crashed nodes, from their first eviction minus 300 s.
fn taint_times(out: &Path) -> Vec<u64> {
    let events = read_csv(&out.join("events.csv"));
    let mut first: BTreeMap<String, u64> = BTreeMap::new();
    for e in events.iter().filter(|e| e["reason"] == "TaintManagerEviction") {
        first.entry(e["node"].clone()).or_insert(ms(&e["time"]) - 300_000);
    }
    let mut v: Vec<u64> = first.into_values().collect();
    v.sort();
    v
}

#[test]
fn a_large_partially_disrupted_zone_is_tainted_at_the_secondary_rate() {
    let (_t, out) = run_cli(&scenario("zone-outage.yaml"), &["--quiet"]);
    let t = taint_times(&out);
    // 36 of 60 nodes down: PartialDisruption; 60 > 50 nodes: 0.01/s, one node per 100 s
    // (after the one or two tainted at the normal rate before the zone state changed).
    assert!(t.len() >= 15 && t.len() < 36, "{t:?}");
    let steady: Vec<u64> = t.windows(2).skip(2).map(|w| w[1] - w[0]).collect();
    assert!(steady.iter().all(|&d| d == 100_000), "{t:?}");
}

fn zone_variant(replace: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let mut text = std::fs::read_to_string(scenario("zone-outage.yaml")).unwrap();
    for (a, b) in replace {
        assert!(text.contains(a), "{a}");
        text = text.replace(a, b);
    }
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("z.yaml");
    std::fs::write(&f, text).unwrap();
    let (t2, out) = run_cli(&f, &["--quiet"]);
    drop(tmp);
    (t2, out)
}

#[test]
fn a_small_partially_disrupted_zone_stops_evicting_and_a_normal_zone_taints_every_10s() {
    // 36 + 10 nodes in zone-a: 46 <= 50, so a partial disruption stops tainting altogether.
    let (_t, out) = zone_variant(&[("    count: 24\n", "    count: 10\n")]);
    assert!(taint_times(&out).len() <= 2);
    // Only 3 of 60 lost: the zone stays Normal and nodes are tainted 10 s apart.
    let (_t2, out) = zone_variant(&[
        ("  - name: a-lost\n    count: 36", "  - name: a-lost\n    count: 3"),
        ("    count: 24\n", "    count: 57\n"),
    ]);
    let t = taint_times(&out);
    assert_eq!(t.len(), 3, "{t:?}");
    assert!(t.windows(2).all(|w| w[1] - w[0] == 10_000 || w[1] - w[0] == 5_000), "{t:?}");
}

#[test]
fn when_every_zone_is_down_nothing_is_evicted() {
    let (_t, out) = zone_variant(&[(
        "  - node-crash: {at: 2m, pool: a-lost}",
        "  - node-crash: {at: 2m, pool: a-lost}\n  - node-crash: {at: 2m, pool: a-ok}\n  - node-crash: {at: 2m, pool: b}",
    )]);
    let events = read_csv(&out.join("events.csv"));
    assert!(events.iter().any(|e| e["message"].contains("Entering master disruption mode")));
    // Nodes lost in the first monitor pass may have been tainted before the last ones went
    // NotReady; the master disruption mode untaints them before any 300 s toleration ends
    // (their scheduled evictions cancelled, none carried out).
    assert!(!events.iter().any(|e| e["reason"] == "TaintManagerEviction" && e["message"].starts_with("Marking")));
}

#[test]
fn kubernetes_version_selects_the_grace_period_of_its_release() {
    // v1.31 still had the 40s node-monitor-grace-period; v1.34 has 50s.
    let (_t, out) = node_crash("version: \"1.31\"");
    let events = read_csv(&out.join("events.csv"));
    let nr = ms(&events.iter().find(|e| e["reason"] == "NodeNotReady").unwrap()["time"]);
    assert!((150_000..=170_000).contains(&nr), "NotReady at {nr}");
    let (_t, out) = node_crash("version: \"1.34\"");
    let events = read_csv(&out.join("events.csv"));
    let nr = ms(&events.iter().find(|e| e["reason"] == "NodeNotReady").unwrap()["time"]);
    assert!((160_000..=180_000).contains(&nr), "NotReady at {nr}");
}

#[test]
fn a_standalone_pod_on_a_dead_node_is_evicted_and_never_replaced() {
    let (_t, out) = run_cli(&scenario("standalone-pod.yaml"), &["--quiet", "--check-invariants"]);
    let pods = read_csv(&out.join("pods.csv"));
    let lonely: Vec<_> = pods.iter().filter(|p| p["name"] == "lonely").collect();
    assert_eq!(lonely.len(), 1, "nothing recreates a bare pod");
    let events = read_csv(&out.join("events.csv"));
    let nr = ms(&events.iter().find(|e| e["reason"] == "NodeNotReady").unwrap()["time"]);
    assert_eq!(ms(&lonely[0]["deleted"]), nr + 300_000);
    // Terminating until the Node object is deleted (10m) and PodGC's 40 s quarantine passes.
    assert!((640_000..=660_000).contains(&ms(&lonely[0]["finished"])));
    let web: Vec<_> = pods.iter().filter(|p| p["owner"].starts_with("ReplicaSet/")).collect();
    assert_eq!(web.len(), 2, "the Deployment's pod is replaced");
    assert_eq!(web[1]["node"], "spare-0");
    assert!(ms(&web[1]["created"]) - (nr + 300_000) <= 1_000);
}

#[test]
fn a_runtime_down_kubelet_reports_not_ready_itself_while_a_partitioned_node_goes_unknown() {
    // container-runtime-down on worker-1 and network-partition on worker-2, both at 60 s.
    let f = crate::scenario("runtime-down-vs-unreachable.yaml");
    let (_t, out) = crate::run_cli(&f, &["--quiet", "--check-invariants"]);
    let events = crate::read_csv(&out.join("events.csv"));
    let of = |reason: &str| -> Vec<(u64, String, String)> {
        events
            .iter()
            .filter(|e| e["reason"] == reason)
            .map(|e| (crate::ms(&e["time"]), e["name"].clone(), e["source"].clone()))
            .collect()
    };
    // worker-1: the last good runtime status at 60 s (updateRuntimeUp every 5 s), errors from
    // 60 + 30 s (maxWaitForContainerRuntime), posted by the node status update of 90 s (every
    // 10 s), by the kubelet. worker-2: its last renewal before 60 s is older than the 50 s
    // grace period from the monitor tick of 105 s, by the node controller.
    let not_ready = of("NodeNotReady");
    assert_eq!(
        not_ready,
        [(90_000, "worker-1".into(), "kubelet".into()), (105_000, "worker-2".into(), "node-controller".into())]
    );
    // NoExecute taints: not-ready for the node that says so, unreachable for the silent one,
    // each tainted at its first monitor tick (one a 10 s token of the zone's bucket); the pods'
    // 300 s DefaultTolerationSeconds run from there.
    let (code, w1, _) = crate::kubesim(&["describe", "node", "worker-1", f.to_str().unwrap(), "--at", "3m"]);
    assert_eq!(code, Some(0));
    assert!(w1.contains("Taints:             node.kubernetes.io/not-ready:NoExecute\n"), "{w1}");
    assert!(w1.contains("KubeletNotReady              container runtime is down"), "{w1}");
    let (_, w2, _) = crate::kubesim(&["describe", "node", "worker-2", f.to_str().unwrap(), "--at", "3m"]);
    assert!(w2.contains("Taints:             node.kubernetes.io/unreachable:NoExecute\n"), "{w2}");
    assert!(w2.contains("NodeStatusUnknown   Kubelet stopped posting node status."), "{w2}");
    let evicted: Vec<u64> = of("TaintManagerEviction").iter().map(|e| e.0).collect();
    assert_eq!(evicted, [390_000, 390_000, 405_000, 405_000]);
    // Until then worker-1's pods stay Ready (no MarkPodsNotReady for a kubelet-reported
    // NotReady), worker-2's do not: the Deployment has 6 ready replicas, not 4.
    let (_, pods, _) = crate::kubesim(&["get", "pods", f.to_str().unwrap(), "--at", "6m", "-o", "wide"]);
    assert_eq!(pods.lines().filter(|l| l.contains("worker-1") && l.contains("Running")).count(), 2, "{pods}");
    // Back at 600 s: the runtime check of 600 s resumes pod syncs and the node status update
    // posts Ready; the kubelet stops the evicted pods at once.
    let ready = of("NodeReady");
    assert_eq!(ready[0], (600_000, "worker-1".into(), "kubelet".into()));
    let killing: Vec<u64> = of("Killing").iter().map(|e| e.0).collect();
    assert_eq!(killing, [600_000; 4]);
}
