//! Every fault action: its physical effect and the consequences the components produce.

use super::*;

fn events_of(out: &Path) -> Vec<BTreeMap<String, String>> {
    read_csv(&out.join("events.csv"))
}

#[test]
fn a_partitioned_node_keeps_running_its_pod_while_a_replacement_runs_elsewhere() {
    let (_t, out) = run_cli(&scenario("network-partition.yaml"), &["--quiet", "--check-invariants"]);
    let pods = read_csv(&out.join("pods.csv"));
    let old = pods.iter().find(|p| p["node"] == "worker-1").unwrap();
    let new = pods.iter().find(|p| ms(&p["created"]) > 60_000).unwrap();
    // Evicted (Terminating) 300 s after the taint, replaced within a second...
    let evicted = ms(&old["deleted"]);
    assert!(ms(&new["created"]) - evicted <= 1_000);
    // ...while the old copy runs on until the partition heals at 11m and its kubelet, seeing the
    // deletion, stops it (terminationTime 2s): both copies run from ~7m to 11m.
    assert!(ms(&new["started"]) < 660_000);
    assert_eq!(ms(&old["finished"]), 662_000);
    let events = events_of(&out);
    let killing = events.iter().find(|e| e["reason"] == "Killing" && e["name"] == old["name"]).unwrap();
    assert_eq!(ms(&killing["time"]), 660_000, "the kubelet acts as soon as it is back");
    // No lease arrived during the partition; the node is Ready again once one does.
    let ready = events.iter().find(|e| e["reason"] == "NodeReady").unwrap();
    assert!((660_000..=675_000).contains(&ms(&ready["time"])));
    // One copy of each replica remains.
    assert_eq!(pods.iter().filter(|p| p["finished"].is_empty()).count(), 3);
}

#[test]
fn a_killed_kubelet_neither_reports_nor_restarts_until_it_starts_again() {
    let (_t, out) = run_cli(&scenario("kubelet-killed.yaml"), &["--quiet", "--check-invariants"]);
    let events = events_of(&out);
    // The flaky container exits at ~3m; nobody restarts it while the kubelet is dead.
    let starts: Vec<u64> = events
        .iter()
        .filter(|e| e["name"] == "flaky" && (e["reason"] == "Started" || e["reason"] == "Killing"))
        .map(|e| ms(&e["time"]))
        .collect();
    assert!(starts.iter().all(|&t| !(60_000..540_000).contains(&t)), "{starts:?}");
    let nr = events.iter().find(|e| e["reason"] == "NodeNotReady").unwrap();
    assert!((100_000..=120_000).contains(&ms(&nr["time"])));
    // The evicted pods stay Terminating until the kubelet is back at 9m.
    let pods = read_csv(&out.join("pods.csv"));
    for p in pods.iter().filter(|p| p["node"] == "worker-1") {
        assert!(ms(&p["finished"]) >= 540_000, "{p:?}");
    }
    let ready = events.iter().find(|e| e["reason"] == "NodeReady").unwrap();
    assert!(ms(&ready["time"]) >= 540_000);
}

#[test]
fn during_an_api_server_outage_nothing_changes_but_kubelets_carry_on() {
    let (_t, out) = run_cli(&scenario("apiserver-outage.yaml"), &["--quiet", "--check-invariants"]);
    let events = events_of(&out);
    // The kubelets restart the static pods' containers on their own during the outage.
    let during = |reason: &str| {
        events.iter().filter(|e| e["reason"] == reason && (120_000..420_000).contains(&ms(&e["time"]))).count()
    };
    assert!(during("BackOff") >= 4);
    // The control plane does nothing: no pod created, no node marked NotReady.
    assert_eq!(during("SuccessfulCreate"), 0);
    assert!(!events.iter().any(|e| e["reason"] == "NodeNotReady"));
    // The operator's delete at 3m goes through when the API server is back at 7m.
    let kill = events.iter().find(|e| e["message"].starts_with("pod-kill:")).unwrap();
    assert_eq!(ms(&kill["time"]), 420_000);
    let create = events.iter().find(|e| e["reason"] == "SuccessfulCreate" && ms(&e["time"]) > 1_000).unwrap();
    assert_eq!(ms(&create["time"]), 420_010);
}

#[test]
fn pod_failure_makes_the_containers_fail_for_its_duration() {
    let text = r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: pf}
spec:
  duration: 8m
  sampleInterval: 1s
  nodePools:
  - {name: worker, count: 1, capacity: {cpu: "4", memory: 8Gi}, images: ["web:1"]}
  faults:
  - pod-failure: {at: 1m, selector: {app: web}, mode: one, duration: 2m}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "web:1"}]
"#;
    let (_t, f) = write_scenario(text);
    let (_o, out) = run_cli(&f, &["--quiet", "--check-invariants"]);
    let pods = read_csv(&out.join("pods.csv"));
    assert_eq!(pods.len(), 2, "the pod is not replaced: its containers fail and restart");
    let hit = pods.iter().find(|p| p["restarts"] != "0").unwrap();
    // Restarts at 1m, then every failure in the window: immediately, 10 s, 20 s, 40 s back-off...
    assert!(hit["restarts"].parse::<u32>().unwrap() >= 4, "{hit:?}");
    let events = events_of(&out);
    let backoffs: Vec<u64> = events
        .iter()
        .filter(|e| e["reason"] == "BackOff" && e["name"] == hit["name"])
        .map(|e| ms(&e["time"]))
        .collect();
    // Failures only in the window; the syncs of the back-off that follows the last one go on
    // past it (a BackOff every 10-15 s) until the first start after it, which succeeds.
    let restarted_after = events
        .iter()
        .filter(|e| e["reason"] == "Started" && e["name"] == hit["name"] && ms(&e["time"]) > 180_000)
        .map(|e| ms(&e["time"]))
        .next()
        .expect("started again after the window");
    assert!(backoffs.iter().all(|&t| (60_000..restarted_after).contains(&t)), "{backoffs:?}");
    assert!(backoffs.iter().any(|&t| t > 180_000), "{backoffs:?}");
    // After the window the next start succeeds and the Deployment is whole again.
    let w = read_csv(&out.join("workloads.csv"));
    let at = |t: u64| w.iter().find(|r| ms(&r["time"]) == t).unwrap()["ready"].clone();
    assert_eq!(at(90_000), "1");
    assert_eq!(at(470_000), "2");
}

#[test]
fn container_kill_sigkills_one_container_and_the_restart_policy_decides() {
    let text = r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: ck}
spec:
  duration: 3m
  nodePools:
  - {name: worker, count: 1, capacity: {cpu: "4", memory: 8Gi}, images: ["app:1"]}
  faults:
  - container-kill: {at: 1m, selector: {app: two}, containers: [helper]}
---
apiVersion: v1
kind: Pod
metadata: {name: always, labels: {app: two}}
spec:
  containers: [{name: main, image: "app:1"}, {name: helper, image: "app:1"}]
---
apiVersion: v1
kind: Pod
metadata: {name: never, labels: {app: two}}
spec:
  restartPolicy: Never
  containers: [{name: main, image: "app:1"}, {name: helper, image: "app:1"}]
"#;
    let (_t, f) = write_scenario(text);
    let (_o, out) = run_cli(&f, &["--quiet", "--check-invariants"]);
    let pods = read_csv(&out.join("pods.csv"));
    let always = pods.iter().find(|p| p["name"] == "always").unwrap();
    assert_eq!((always["phase"].as_str(), always["restarts"].as_str()), ("Running", "1"));
    // Under Never the helper stays dead (exit 137); main still runs, so the pod is Running.
    let never = pods.iter().find(|p| p["name"] == "never").unwrap();
    assert_eq!((never["phase"].as_str(), never["restarts"].as_str()), ("Running", "0"));
    let events = events_of(&out);
    let kills =
        events.iter().filter(|e| e["message"].starts_with("container-kill: SIGKILL to container helper")).count();
    assert_eq!(kills, 2);
    let restarted =
        events.iter().filter(|e| e["name"] == "always" && e["reason"] == "Started" && ms(&e["time"]) >= 60_000).count();
    assert_eq!(restarted, 1, "restarted at once (the first restart has no back-off)");
}

fn plan_for(seed: u64, text: &str) -> Vec<(u64, u64)> {
    let mut s = kubesim::scenario::load_bytes("r.yaml", text.as_bytes(), Path::new("r.yaml")).unwrap();
    s.seed = seed;
    kubesim::scenario::random_failure_plan(&s)
        .iter()
        .map(|f| (f.at().as_millis(), f.until().unwrap().as_millis()))
        .collect()
}

const RANDOM: &str = "apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nmetadata: {name: r}\nspec:\n  duration: 48h\n  nodePools:\n  - {name: w, count: 1, capacity: {cpu: \"1\", memory: 1Gi}}\n  faults:\n  - node-crash: {pool: w, mtbf: 10m, mttr: 1m}\n";

#[test]
fn random_failures_repeat_with_the_seed_and_change_with_it() {
    assert_eq!(plan_for(7, RANDOM), plan_for(7, RANDOM));
    assert_ne!(plan_for(7, RANDOM), plan_for(8, RANDOM));
    // The run itself crashes the node at exactly those times.
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("r.yaml");
    std::fs::write(&f, RANDOM.replace("48h", "2h")).unwrap();
    let (_t, out) = run_cli(&f, &["--quiet", "--seed", "7"]);
    let offs: Vec<u64> =
        events_of(&out).iter().filter(|e| e["message"].contains("powering off")).map(|e| ms(&e["time"])).collect();
    let want: Vec<u64> = plan_for(7, &RANDOM.replace("48h", "2h")).iter().map(|p| p.0).collect();
    assert_eq!(offs, want);
}

#[test]
fn over_100_seeds_the_mean_time_between_failures_is_within_10_percent_of_mtbf() {
    let (mut up, mut down, mut n) = (0u64, 0u64, 0u64);
    for seed in 1..=100 {
        let mut last = 0;
        for (at, until) in plan_for(seed, RANDOM) {
            up += at - last;
            down += until - at;
            n += 1;
            last = until;
        }
    }
    let mtbf = up as f64 / n as f64;
    let mttr = down as f64 / n as f64;
    eprintln!("{n} failures over 100 seeds: mean time between failures {mtbf:.0} ms, to repair {mttr:.0} ms");
    assert!(n > 10_000, "{n} failures");
    assert!((mtbf - 600_000.0).abs() < 60_000.0, "mean time between failures {mtbf} ms");
    assert!((mttr - 60_000.0).abs() < 6_000.0, "mean time to repair {mttr} ms");
}

/// Found by the property tests: the outage's own event named node 0, which a cluster without
/// nodes does not have. It names the control plane now.
#[test]
fn regression_an_api_server_outage_on_a_cluster_without_nodes_runs_clean() {
    let text = "apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nmetadata: {name: e}\nspec:\n  duration: 1m\n  nodePools:\n  - {name: p, count: 0, capacity: {cpu: \"1\", memory: 1Gi}}\n  faults:\n  - apiserver-outage: {at: 0s}\n";
    let (_t, f) = write_scenario(text);
    let (_o, out) = run_cli(&f, &["--quiet", "--check-invariants"]);
    let events = events_of(&out);
    assert_eq!(events[0]["kind"], "ControlPlane");
    assert_eq!(events[0]["name"], "kube-apiserver");
}

#[test]
fn a_cordoned_node_gets_no_new_pods_until_it_is_uncordoned() {
    let text = r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: c}
spec:
  duration: 5m
  nodePools:
  - {name: w, count: 2, capacity: {cpu: "4", memory: 8Gi}, images: ["app:1"]}
  faults:
  - node-cordon: {at: 0s, nodes: [w-0]}
  - scale: {at: 1m, workload: deployment/web, replicas: 4}
  - node-uncordon: {at: 2m, nodes: [w-0]}
  - scale: {at: 3m, workload: deployment/web, replicas: 8}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: app, image: "app:1", resources: {requests: {cpu: 100m, memory: 64Mi}}}]
"#;
    let (_t, f) = write_scenario(text);
    let (_o, out) = run_cli(&f, &["--quiet", "--check-invariants"]);
    let pods = read_csv(&out.join("pods.csv"));
    // While w-0 is cordoned everything lands on w-1 (the 4 pods of 1m included)...
    assert!(pods.iter().filter(|p| ms(&p["created"]) < 120_000).all(|p| p["node"] == "w-1"));
    // ...and once it is uncordoned the least allocated node, w-0, takes the new ones.
    let late: Vec<_> = pods.iter().filter(|p| ms(&p["created"]) >= 180_000).collect();
    assert_eq!(late.len(), 4);
    assert!(late.iter().all(|p| p["node"] == "w-0"), "{late:?}");
    let events = events_of(&out);
    assert!(events.iter().any(|e| e["message"] == "node-cordon: marking node w-0 unschedulable"));
}

#[test]
fn a_slow_registry_divides_the_pull_bandwidth() {
    // A DaemonSet pulls its 100Mi image on each node: at the node's 100Mi/s that takes 1 s; a
    // node that joins during registry-slow (factor 4) takes 4 s.
    let text = r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: s}
spec:
  duration: 5m
  registry: {latency: 0s}
  nodePools:
  - {name: w, count: 1, capacity: {cpu: "4", memory: 8Gi}}
  images:
  - {name: "agent:1", size: 100Mi}
  faults:
  - registry-slow: {at: 1m, factor: 4, duration: 2m}
  - add-nodes: {at: 90s, pool: w, count: 1}
  - add-nodes: {at: 200s, pool: w, count: 1}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: c, image: "agent:1"}]
"#;
    let (_t, f) = write_scenario(text);
    let (_o, out) = run_cli(&f, &["--quiet", "--check-invariants"]);
    let events = events_of(&out);
    let pulled: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e["reason"] == "Pulled")
        .map(|e| (e["node"].as_str(), e["message"].as_str()))
        .collect();
    assert_eq!(pulled.len(), 3, "{pulled:?}");
    assert!(pulled[0].0 == "w-0" && pulled[0].1.contains(" in 1s "), "{pulled:?}");
    assert!(pulled[1].0 == "w-1" && pulled[1].1.contains(" in 4s "), "{pulled:?}");
    assert!(pulled[2].0 == "w-2" && pulled[2].1.contains(" in 1s "), "after the fault: {pulled:?}");
}

#[test]
fn a_zone_outage_powers_off_every_node_of_the_zone() {
    let (_t, out) = run_cli(&scenario("pull-storm.yaml"), &["--quiet", "--check-invariants"]);
    let events = events_of(&out);
    let off: Vec<&str> = events
        .iter()
        .filter(|e| e["message"].starts_with("node-crash: powering off"))
        .map(|e| e["name"].as_str())
        .collect();
    assert_eq!(off, ["a-0", "a-1", "a-2", "a-3"]);
    let not_ready = events.iter().filter(|e| e["reason"] == "NodeNotReady").count();
    assert_eq!(not_ready, 4, "zone-b is untouched");
    // The whole zone is down but not every zone: tainting goes on at the normal 0.1/s.
    let evictions: Vec<u64> =
        events.iter().filter(|e| e["reason"] == "TaintManagerEviction").map(|e| ms(&e["time"])).collect();
    let mut firsts = evictions.clone();
    firsts.dedup();
    assert!(firsts.windows(2).all(|w| w[1] - w[0] == 10_000 || w[1] - w[0] == 5_000), "{firsts:?}");
}

/// The trace replay (`spec.trace`): every trace pod completes as a one-completion Job, and the
/// pods lost with the removed nodes run again elsewhere. A small trace in the benchmark's format
/// (tests/data/trace-small: 12 nodes, 400 pods over 10 minutes, every third node lost at 5m).
#[test]
fn a_trace_completes_every_pod_and_reruns_the_ones_lost_with_their_nodes() {
    let (_t, out) = run_cli(&root().join("tests/data/trace-small/trace.yaml"), &["--quiet", "--check-invariants"]);
    let events = events_of(&out);
    let completed = events.iter().filter(|e| e["reason"] == "Completed" && e["kind"] == "Job").count();
    assert_eq!(completed, 400, "every trace pod completes");
    assert!(!events.iter().any(|e| e["reason"] == "BackoffLimitExceeded"));
    let pods = read_csv(&out.join("pods.csv"));
    let removed = ["node_0", "node_3", "node_6", "node_9"];
    // Pods running on a removed node at 5m were lost (PodGC: Failed, DeletionByPodGC) ...
    let lost: Vec<_> =
        pods.iter().filter(|p| removed.contains(&p["node"].as_str()) && p["reason"] == "DeletionByPodGC").collect();
    assert!(lost.len() >= 5, "{} lost", lost.len());
    for p in &lost {
        // ... and their Job ran them again, to completion, on a node that is still there.
        let job = &p["owner"];
        let again = pods.iter().find(|q| &q["owner"] == job && q["phase"] == "Succeeded").unwrap();
        assert!(!removed.contains(&again["node"].as_str()), "{again:?}");
        assert!(ms(&again["created"]) > 300_000);
    }
    // Nothing was scheduled onto the removed nodes after they went.
    assert!(pods.iter().filter(|p| removed.contains(&p["node"].as_str())).all(|p| ms(&p["scheduled"]) < 300_000));
}

/// #19: `set-image` changes what runs. A rollout to an image that crashes crashes (before, the
/// new pods kept the old image's behaviour and the rollout always succeeded). Without a
/// readiness probe or minReadySeconds each new pod counts as available for the two seconds it
/// runs, so the rollout goes through and ends with nothing serving: upstream's lesson too.
#[test]
fn a_rollout_to_a_crashing_image_without_readiness_checks_completes_into_a_crash_loop() {
    let text = r#"
apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: crash-rollout}
spec:
  duration: 4m
  nodePools: [{name: w, count: 2, capacity: {cpu: "4", memory: 8Gi}}]
  images:
  - {name: "web:1", size: 10Mi, behavior: {startup: 1s}}
  - {name: "web:2", size: 10Mi, behavior: {startup: 1s, exit: {after: 2s, code: 1}}}
  faults:
  - set-image: {at: 1m, deployment: web, container: app, image: "web:2"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: app, image: "web:1"}]
"#;
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("crash-rollout.yaml");
    std::fs::write(&f, text).unwrap();
    let (_t, out) = run_cli(&f, &["--quiet"]);
    let pods = read_csv(&out.join("pods.csv"));
    let restarts: u32 = pods.iter().map(|p| p["restarts"].parse::<u32>().unwrap()).sum();
    assert!(restarts > 0, "{pods:?}");
    let events = read_csv(&out.join("events.csv"));
    assert!(events.iter().any(|e| e["reason"] == "BackOff"), "no BackOff");
    let w = read_csv(&out.join("workloads.csv"));
    let last = w.iter().rev().find(|r| r["name"] == "web").unwrap();
    assert_eq!((&*last["updated"], &*last["available"]), ("4", "0"), "{last:?}");
}

#[test]
fn graceful_node_shutdown_stops_regular_pods_then_critical_ones_and_refuses_new_ones() {
    let (_t, out) = run_cli(&scenario("node-shutdown.yaml"), &["--quiet"]);
    let g = out.join("graceful");
    let evs = read_csv(&g.join("events.csv"));
    let at =
        |reason: &str| -> Vec<u64> { evs.iter().filter(|e| e["reason"] == reason).map(|e| ms(&e["time"])).collect() };
    assert_eq!(at("NodeShutdown"), [120_000]);
    let shutdown = evs.iter().find(|e| e["reason"] == "NodeShutdown").unwrap();
    assert_eq!(
        (shutdown["kind"].as_str(), shutdown["message"].as_str()),
        ("Node", "Shutdown manager detected shutdown event")
    );
    // Regular pods first (20s = 30s - 10s for them), the system-node-critical pod after.
    let killing: Vec<(u64, String)> = (evs.iter().filter(|e| e["reason"] == "Killing" && e["node"] == "worker-1"))
        .map(|e| (ms(&e["time"]), e["name"].clone()))
        .collect();
    assert!(killing.iter().all(|(t, n)| (*t == 140_000) == (n == "node-agent")), "{killing:?}");
    let pods = read_csv(&g.join("pods.csv"));
    let stopped: Vec<_> = pods.iter().filter(|p| p["node"] == "worker-1" && p["reason"] == "Terminated").collect();
    assert_eq!(stopped.len(), 3, "two web pods and the agent: {pods:?}");
    assert!(stopped.iter().all(|p| p["phase"] == "Failed"));
    let conds = read_csv(&g.join("conditions.csv"));
    let disrupted = conds.iter().filter(|c| c["type"] == "DisruptionTarget").collect::<Vec<_>>();
    assert_eq!(disrupted.len(), 3);
    assert!(disrupted.iter().all(|c| c["reason"] == "TerminationByKubelet"
        && c["message"] == "Pod was terminated in response to imminent node shutdown."));
    // The node's Ready=False taint keeps replacements off it; the base run (no graceful
    // shutdown) is a power cut: no NodeShutdown, no Terminated pods.
    assert!(evs.iter().all(|e| e["reason"] != "NodeShutdown" || e["kind"] == "Node"));
    let base = read_csv(&out.join("base/events.csv"));
    assert!(base.iter().all(|e| e["reason"] != "NodeShutdown"));
    assert!(read_csv(&out.join("base/pods.csv")).iter().all(|p| p["reason"] != "Terminated"));
}

#[test]
fn a_node_shutting_down_refuses_new_pods() {
    // A Deployment pinned to worker-1 that tolerates every taint: its replacements land on the
    // node while it shuts down, and its kubelet refuses them.
    let text = "apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nmetadata: {name: s}\nspec:\n  duration: 2m\n  kubernetes: {shutdownGracePeriod: 2s}\n  nodePools:\n  - {name: worker, count: 2, capacity: {cpu: \"4\", memory: 8Gi}}\n  faults:\n  - node-shutdown: {at: 1m, nodes: [worker-1]}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: pinned}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: p}}\n  template:\n    metadata: {labels: {app: p}}\n    spec:\n      nodeSelector: {kubernetes.io/hostname: worker-1}\n      tolerations: [{operator: Exists}]\n      containers: [{name: c, image: nginx}]\n";
    let (_s, f) = write_scenario(text);
    let (_t, out) = run_cli(&f, &["--quiet"]);
    let evs = read_csv(&out.join("events.csv"));
    let refused: Vec<_> = evs.iter().filter(|e| e["reason"] == "NodeShutdown" && e["kind"] == "Pod").collect();
    assert!(!refused.is_empty());
    assert!(
        refused
            .iter()
            .all(|e| e["type"] == "Warning" && e["message"] == "Pod was rejected as the node is shutting down.")
    );
    assert!(refused.iter().all(|e| (60_000..62_000).contains(&ms(&e["time"]))), "only while it shuts down");
    let pods = read_csv(&out.join("pods.csv"));
    assert!(pods.iter().any(|p| p["reason"] == "NodeShutdown" && p["phase"] == "Failed"));
    assert_eq!(pods.iter().filter(|p| p["reason"] == "Terminated").count(), 1, "the pod that was running");
}

#[test]
fn a_missing_sandbox_image_during_a_registry_outage_fails_every_sync_until_it_ends() {
    let (_t, out) = run_cli(&scenario("sandbox-image-missing.yaml"), &["--quiet"]);
    let evs = read_csv(&out.join("events.csv"));
    let pod = evs.iter().find(|e| e["reason"] == "Scheduled").unwrap()["name"].clone();
    let times = |reason: &str| -> Vec<u64> {
        evs.iter().filter(|e| e["name"] == pod && e["reason"] == reason).map(|e| ms(&e["time"])).collect()
    };
    // The first sync 10ms after the binding, then the pod worker's retries while the registry
    // is down (to 2m), each 10-15 s after the last at a whole second (`backOffPeriod` with its
    // 0.5 jitter, the sync loop's 1 s tick).
    let failed = times("FailedCreatePodSandBox");
    let first = failed[0];
    assert!(first < 1_000, "{failed:?}");
    for w in failed.windows(2) {
        assert!(w[1] >= w[0] + 10_000 && w[1] <= (w[0] + 15_000).div_ceil(1000) * 1000 && w[1] % 1000 == 0);
    }
    let last = *failed.last().unwrap();
    assert!(last < 120_000 && failed.len() >= 9, "{failed:?}");
    let msg = &evs.iter().find(|e| e["reason"] == "FailedCreatePodSandBox").unwrap()["message"];
    assert!(msg.starts_with("Failed to create pod sandbox: rpc error: code = Unknown desc = failed to get sandbox image \"registry.k8s.io/pause:3.10\": failed to pull image \"registry.k8s.io/pause:3.10\""), "{msg}");
    // The retry after the outage pulls the 320 kB pause image (the registry's latency, then the
    // bytes), and the sandbox is up: PodReadyToStartContainers, then the containers.
    let conds = read_csv(&out.join("conditions.csv"));
    let up =
        conds.iter().find(|c| c["pod"] == pod && c["type"] == "PodReadyToStartContainers" && c["status"] == "True");
    let up = ms(&up.unwrap()["time"]);
    assert!(up > 120_000 && up < (last + 15_000).div_ceil(1000) * 1000 + 1_000, "{up}");
    assert_eq!(times("Created"), [up]);
}

#[test]
fn a_rebooted_node_recreates_its_pods_sandboxes_and_counts_the_restarts() {
    let (_t, out) = run_cli(&scenario("node-restart.yaml"), &["--quiet"]);
    let evs = read_csv(&out.join("events.csv"));
    let changed: Vec<&BTreeMap<String, String>> = evs.iter().filter(|e| e["reason"] == "SandboxChanged").collect();
    assert_eq!(changed.len(), 2, "the two Deployment pods on worker-1, not the Never pod");
    assert!(
        changed
            .iter()
            .all(|e| ms(&e["time"]) == 140_000
                && e["message"] == "Pod sandbox changed, it will be killed and re-created.")
    );
    let pods = read_csv(&out.join("pods.csv"));
    for e in &changed {
        let p = pods.iter().find(|p| p["name"] == e["name"]).unwrap();
        assert_eq!(p["restarts"], "1");
        // Started again a second after the boot (its startup), on a new sandbox.
        let started: Vec<u64> = (evs.iter().filter(|x| x["name"] == e["name"] && x["reason"] == "Started"))
            .map(|x| ms(&x["time"]))
            .collect();
        assert_eq!(started.last(), Some(&141_000));
    }
    let once = pods.iter().find(|p| p["name"] == "once").unwrap();
    assert_eq!((once["phase"].as_str(), once["finished"].as_str()), ("Failed", "140.000"));
}

#[test]
fn a_noexecute_taint_evicts_by_each_pods_toleration_and_the_kubelet_refuses_untolerating_pods() {
    // taint-node at 60 s (kubectl taint ... dedicated=batch:NoExecute). processPodOnNode: an
    // untolerated taint evicts at once; a toleration with tolerationSeconds 20 at 60 + 20 s; one
    // without seconds never (getMinTolerationTime -1).
    let (_t, out) = run_cli(&scenario("noexecute-taint.yaml"), &["--quiet", "--check-invariants"]);
    let events = events_of(&out);
    let marked: Vec<(u64, &str)> = events
        .iter()
        .filter(|e| e["reason"] == "TaintManagerEviction")
        .map(|e| (ms(&e["time"]), e["name"].as_str()))
        .collect();
    assert_eq!(marked.len(), 2, "{marked:?}");
    assert_eq!(marked[0].0, 60_000);
    assert!(marked[0].1.starts_with("web-"));
    assert_eq!(marked[1], (80_000, "report-1"));
    let action = events.iter().find(|e| e["reason"] == "OperatorAction").unwrap();
    assert_eq!(
        action["message"],
        "taint-node: kubectl taint nodes worker-0 dedicated=batch:NoExecute: node/worker-0 tainted"
    );
    // The taint's action caused the eviction (get events --why).
    let first = events.iter().find(|e| e["reason"] == "TaintManagerEviction").unwrap();
    assert_eq!(first["cause"], action["id"]);
    // generalFilter's NoExecute check: the pod that named the tainted gpu node is refused.
    let pods = read_csv(&out.join("pods.csv"));
    let sneaky = pods.iter().find(|p| p["name"] == "sneaky").unwrap();
    assert_eq!((sneaky["phase"].as_str(), sneaky["reason"].as_str()), ("Failed", "TaintToleration"));
    let refused = events.iter().find(|e| e["reason"] == "TaintToleration").unwrap();
    assert_eq!(refused["message"], "Predicate TaintToleration failed: node(s) had taints that the pod didn't tolerate");
    let forever = pods.iter().find(|p| p["name"] == "report-2").unwrap();
    assert_eq!(forever["deleted"], "", "tolerated without seconds: never evicted");
}

#[test]
fn removing_the_taint_before_the_toleration_runs_out_cancels_the_eviction() {
    let (_t, f) = write_scenario(
        r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: untaint}
spec:
  duration: 3m
  nodePools: [{name: worker, count: 1, capacity: {cpu: "2", memory: 4Gi}}]
  faults:
  - taint-node: {at: 30s, nodes: [worker-0], key: maintenance, effect: NoExecute}
  - untaint-node: {at: 40s, nodes: [worker-0], key: maintenance}
---
apiVersion: v1
kind: Pod
metadata: {name: patient}
spec:
  tolerations: [{key: maintenance, operator: Exists, effect: NoExecute, tolerationSeconds: 20}]
  containers: [{name: app, image: nginx}]
"#,
    );
    let (_t2, out) = run_cli(&f, &["--quiet"]);
    let events = events_of(&out);
    let taint: Vec<(u64, &str)> = events
        .iter()
        .filter(|e| e["reason"] == "TaintManagerEviction")
        .map(|e| (ms(&e["time"]), e["message"].as_str()))
        .collect();
    // cancelWorkWithEvent at the untaint (40 s); nothing at 30 + 20 s.
    assert_eq!(taint, [(40_000, "Cancelling deletion of Pod default/patient")]);
    let pods = read_csv(&out.join("pods.csv"));
    assert_eq!(pods[0]["deleted"], "");
}

#[test]
fn a_pod_bound_to_a_tainted_node_is_evicted_after_its_toleration_and_a_deleted_pods_eviction_is_cancelled() {
    // handlePodUpdate: `late` is scaled up at 60 s and bound to the already tainted worker-0
    // (it tolerates the taint for 20 s): the controller hears of the binding one watch latency
    // (10 ms) later and evicts it 20 s after that. `doomed` has an eviction scheduled at
    // 30 + 100 s and is force-deleted at 50 s: cancelWorkWithEvent when it leaves the store.
    let (_t, f) = write_scenario(
        r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: bound-later}
spec:
  duration: 2m
  nodePools: [{name: worker, count: 1, capacity: {cpu: "2", memory: 4Gi}}]
  faults:
  - taint-node: {at: 30s, nodes: [worker-0], key: maintenance, effect: NoExecute}
  - pod-kill: {at: 50s, selector: {app: doomed}, gracePeriod: 0}
  - scale: {at: 60s, workload: deployment/late, replicas: 1}
---
apiVersion: v1
kind: Pod
metadata: {name: doomed, labels: {app: doomed}}
spec:
  tolerations: [{key: maintenance, operator: Exists, effect: NoExecute, tolerationSeconds: 100}]
  containers: [{name: app, image: nginx}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: late}
spec:
  replicas: 0
  selector: {matchLabels: {app: late}}
  template:
    metadata: {labels: {app: late}}
    spec:
      tolerations: [{key: maintenance, operator: Exists, effect: NoExecute, tolerationSeconds: 20}]
      containers: [{name: app, image: nginx}]
"#,
    );
    let (_t2, out) = run_cli(&f, &["--quiet", "--check-invariants"]);
    let events = events_of(&out);
    let taint: Vec<(u64, &str)> = events
        .iter()
        .filter(|e| e["reason"] == "TaintManagerEviction")
        .map(|e| (ms(&e["time"]), e["message"].as_str()))
        .collect();
    assert_eq!(taint[0], (50_010, "Cancelling deletion of Pod default/doomed"));
    let bound = events.iter().find(|e| e["reason"] == "Scheduled" && e["name"].starts_with("late-")).unwrap();
    let bound_ms = ms(&bound["time"]);
    let name = &bound["name"];
    let marked = format!("Marking for deletion Pod default/{name}");
    assert_eq!(taint[1], (bound_ms + 10 + 20_000, marked.as_str()), "{taint:?}");
}
