//! The workload controllers: rollouts, Jobs, DaemonSets, StatefulSets, disruption budgets and
//! drains, with timings and bounds that follow from upstream's rules.

use super::*;

/// Rows of workloads.csv for one workload.
fn workload_rows(out: &Path, name: &str) -> Vec<BTreeMap<String, String>> {
    read_csv(&out.join("workloads.csv")).into_iter().filter(|r| r["name"] == name).collect()
}

fn num(r: &BTreeMap<String, String>, k: &str) -> u32 {
    r[k].parse().unwrap()
}

#[test]
fn a_good_rolling_update_keeps_the_surge_and_unavailable_bounds_at_every_sample() {
    let (_tmp, out) = run_cli(&scenario("rolling-update.yaml"), &["--quiet", "--check-invariants"]);
    let rows = workload_rows(&out, "web");
    assert!(rows.len() > 700, "1 s samples over 12 minutes");
    // 6 replicas, maxSurge 2, maxUnavailable 1.
    for r in rows.iter().filter(|r| ms(&r["time"]) >= 60_000) {
        assert!(num(r, "available") >= 5, "{r:?}");
        assert!(num(r, "replicas") <= 8, "{r:?}");
    }
    let events = read_csv(&out.join("events.csv"));
    let scaling: Vec<&String> =
        events.iter().filter(|e| e["reason"] == "ScalingReplicaSet").map(|e| &e["message"]).collect();
    // The first step of the rollout: surge 2 new pods, then take one old one away.
    assert!(scaling[1].starts_with("Scaled up replica set web-") && scaling[1].ends_with("from 0 to 2"));
    assert!(scaling[2].ends_with("from 6 to 5"), "{scaling:?}");
    // Both rollouts complete: the old ReplicaSets end at 0, every replica is updated.
    assert_eq!(scaling.iter().filter(|m| m.ends_with("to 0")).count(), 2, "{scaling:?}");
    let last = rows.last().unwrap();
    assert_eq!((num(last, "updated"), num(last, "available"), num(last, "replicas")), (6, 6, 6));
}

#[test]
fn a_rollout_to_a_missing_image_stalls_within_max_unavailable_and_times_out() {
    let (_tmp, out) = run_cli(&scenario("bad-rollout.yaml"), &["--quiet", "--check-invariants"]);
    let rows = workload_rows(&out, "web");
    // 10 replicas: maxUnavailable 25% -> 2 (rounded down), maxSurge 25% -> 3 (rounded up).
    for r in rows.iter().filter(|r| ms(&r["time"]) >= 60_000) {
        assert!(num(r, "available") >= 8, "{r:?}");
        assert!(num(r, "replicas") <= 13, "{r:?}");
    }
    let events = read_csv(&out.join("events.csv"));
    let pulls_failed = events.iter().filter(|e| e["reason"] == "Failed" && e["message"].contains("web:2.0")).count();
    assert!(pulls_failed >= 5, "the new pods cannot pull their image");
    let scaled: Vec<&BTreeMap<String, String>> = events.iter().filter(|e| e["reason"] == "ScalingReplicaSet").collect();
    let last_scale = ms(&scaled.last().unwrap()["time"]);
    assert!(scaled.last().unwrap()["message"].ends_with("from 3 to 5"), "{:?}", scaled.last());
    let timeout = events.iter().find(|e| e["reason"] == "ProgressDeadlineExceeded").expect("deadline exceeded");
    assert!(
        timeout["message"].starts_with("ReplicaSet \"web-")
            && timeout["message"].ends_with("has timed out progressing.")
    );
    // The last progress (the new ReplicaSet's pods counted) came right after the last scale;
    // the deadline is 600 s after it, seen on the next look.
    let t = ms(&timeout["time"]);
    assert!((last_scale + 600_000..=last_scale + 600_100).contains(&t), "timed out at {t}, last scale {last_scale}");
}

#[test]
fn recreate_stops_every_old_pod_before_starting_new_ones() {
    let text = std::fs::read_to_string(scenario("rolling-update.yaml")).unwrap().replace(
        "    type: RollingUpdate\n    rollingUpdate: {maxSurge: 2, maxUnavailable: 1}\n",
        "    type: Recreate\n",
    );
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("recreate.yaml");
    std::fs::write(&f, text).unwrap();
    let (_t, out) = run_cli(&f, &["--quiet", "--check-invariants"]);
    let pods = read_csv(&out.join("pods.csv"));
    let old_finished = pods.iter().filter(|p| ms(&p["created"]) < 120_000).map(|p| ms(&p["finished"])).max().unwrap();
    let new_created: Vec<u64> =
        pods.iter().map(|p| ms(&p["created"])).filter(|&c| (120_000..600_000).contains(&c)).collect();
    assert_eq!(new_created.len(), 6);
    // Old pods stop after their grace period's work; none of the new ones exists before.
    assert!(new_created.iter().all(|&c| c > old_finished), "{old_finished} vs {new_created:?}");
    let rows = workload_rows(&out, "web");
    assert!(rows.iter().any(|r| ms(&r["time"]) > 120_000 && num(r, "available") == 0), "a full outage");
}

/// Event rows with a reason.
fn with_reason<'a>(events: &'a [BTreeMap<String, String>], reason: &str) -> Vec<&'a BTreeMap<String, String>> {
    events.iter().filter(|e| e["reason"] == reason).collect()
}

#[test]
fn a_job_backs_off_10_20_40s_between_failed_pods_and_fails_past_its_backoff_limit() {
    let (_tmp, out) = run_cli(&scenario("job-backoff.yaml"), &["--quiet", "--check-invariants"]);
    let pods = read_csv(&out.join("pods.csv"));
    let flaky: Vec<_> = pods.iter().filter(|p| p["owner"] == "Job/flaky").collect();
    // backoffLimit 3: the Job fails at the 4th failure; no 5th pod.
    assert_eq!(flaky.len(), 4);
    for (i, w) in flaky.windows(2).enumerate() {
        assert_eq!(w[0]["phase"], "Failed");
        // The next pod is created 10s * 2^i after the previous one finished.
        assert_eq!(ms(&w[1]["created"]) - ms(&w[0]["finished"]), 10_000 << i, "{w:?}");
    }
    let events = read_csv(&out.join("events.csv"));
    let failed = with_reason(&events, "BackoffLimitExceeded");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["message"], "Job has reached the specified backoff limit");
    assert_eq!(failed[0]["source"], "job-controller");
    // Seen at the next batched sync: 1 s after the last failure (plus the watch latency).
    let last_fail = ms(&flaky[3]["finished"]);
    assert!((last_fail + 1_000..=last_fail + 1_100).contains(&ms(&failed[0]["time"])));
}

#[test]
fn a_job_honours_completions_and_parallelism() {
    let (_tmp, out) = run_cli(&scenario("job-backoff.yaml"), &["--quiet"]);
    let pods = read_csv(&out.join("pods.csv"));
    let batch: Vec<_> = pods.iter().filter(|p| p["owner"] == "Job/batch").collect();
    assert_eq!(batch.len(), 6, "6 completions, no failures");
    assert!(batch.iter().all(|p| p["phase"] == "Succeeded"));
    // parallelism 2: never more than 2 running at once.
    for p in &batch {
        let t = ms(&p["started"]);
        let running = batch.iter().filter(|q| ms(&q["started"]) <= t && ms(&q["finished"]) > t).count();
        assert!(running <= 2, "{running} at {t}");
    }
    let events = read_csv(&out.join("events.csv"));
    let done = with_reason(&events, "Completed");
    assert_eq!(done.len(), 1);
    assert_eq!(done[0]["message"], "Job completed");
    let last_finish = batch.iter().map(|p| ms(&p["finished"])).max().unwrap();
    assert!(ms(&done[0]["time"]) >= last_finish);
    // workloads.csv follows the Job: never more than 2 active, 6 succeeded at the end.
    let rows = workload_rows(&out, "batch");
    assert!(rows.iter().all(|r| r["kind"] == "Job" && r["desired"] == "6" && r["replicas"].is_empty()));
    assert!(rows.iter().all(|r| r["active"].parse::<u32>().unwrap() <= 2), "{rows:?}");
    let last = rows.last().unwrap();
    assert_eq!((&*last["active"], &*last["succeeded"], &*last["failed"]), ("0", "6", "0"));
    let flaky = workload_rows(&out, "flaky");
    assert!(flaky.last().unwrap()["failed"].parse::<u32>().unwrap() > 0, "{flaky:?}");
}

#[test]
fn a_daemonset_pod_survives_its_node_going_unreachable_and_a_new_node_gets_one() {
    let (_tmp, out) = run_cli(&scenario("daemonset.yaml"), &["--quiet", "--check-invariants"]);
    let pods = read_csv(&out.join("pods.csv"));
    let events = read_csv(&out.join("events.csv"));
    let agents: Vec<_> = pods.iter().filter(|p| p["owner"] == "DaemonSet/log-agent").collect();
    // One per node, worker-3 included (it joined at 3m), none deleted.
    let mut nodes: Vec<&str> = agents.iter().map(|p| p["node"].as_str()).collect();
    nodes.sort();
    assert_eq!(nodes, ["worker-0", "worker-1", "worker-2", "worker-3"]);
    assert!(agents.iter().all(|p| p["deleted"].is_empty()), "{agents:?}");
    let joined = agents.iter().find(|p| p["node"] == "worker-3").unwrap();
    assert!((180_000..181_000).contains(&ms(&joined["created"])));
    // The Deployment's pod on worker-1 was evicted; the daemon pod was not.
    let evicted: Vec<_> = with_reason(&events, "TaintManagerEviction");
    assert!(!evicted.is_empty());
    assert!(evicted.iter().all(|e| e["name"].starts_with("web-")));
    assert!(with_reason(&events, "RegisteredNode").iter().any(|e| e["name"] == "worker-3"));
}

#[test]
fn a_statefulset_never_runs_two_copies_of_a_pod_on_a_dead_node() {
    let (_tmp, out) = run_cli(&scenario("statefulset-dead-node.yaml"), &["--quiet", "--check-invariants"]);
    let pods = read_csv(&out.join("pods.csv"));
    // OrderedReady: db-1 is created only once db-0 is Ready, db-2 once db-1 is.
    let first = |n: &str| pods.iter().find(|p| p["name"] == n).unwrap();
    assert!(ms(&first("db-1")["created"]) >= ms(&first("db-0")["ready"]));
    assert!(ms(&first("db-2")["created"]) >= ms(&first("db-1")["ready"]));
    let lost: Vec<_> = pods.iter().filter(|p| p["node"] == "worker-0").collect();
    assert_eq!(lost.len(), 1);
    let name = &lost[0]["name"];
    let copies: Vec<_> = pods.iter().filter(|p| &p["name"] == name).collect();
    assert_eq!(copies.len(), 2, "the original and, after the node is deleted, one replacement");
    // The replacement exists only after the original object is gone (force-deleted by PodGC
    // 40 s after the Node object was deleted at 12m).
    let gone = ms(&lost[0]["finished"]);
    assert_eq!(lost[0]["reason"], "DeletionByPodGC");
    assert!((760_000..=780_000).contains(&gone), "gone at {gone}");
    assert!(ms(&copies[1]["created"]) >= gone);
    assert_ne!(copies[1]["node"], "worker-0");
}

#[test]
fn a_drain_waits_for_the_disruption_budget_then_completes() {
    let (_tmp, out) = run_cli(&scenario("drain-pdb.yaml"), &["--quiet", "--check-invariants"]);
    let events = read_csv(&out.join("events.csv"));
    let evicting = with_reason(&events, "EvictionRequested");
    assert_eq!(evicting.len(), 1);
    let t = ms(&evicting[0]["time"]);
    // Allowed only after the 4th replica (created at 4m) is ready; on kubectl's 5 s retry grid.
    assert!(t > 240_000 && (t - 60_000).is_multiple_of(5_000), "evicted at {t}");
    assert!(
        evicting[0]["message"]
            .ends_with("(the disruption budget web allows disruptions again: 4 healthy pods, 3 needed)")
    );
    // Every refusal is recorded, every 5 s from the drain until the eviction, with the budget's
    // arithmetic from the 429's cause.
    let refused = with_reason(&events, "EvictionRefused");
    let times: Vec<u64> = refused.iter().map(|e| ms(&e["time"])).collect();
    assert_eq!(times, (60_000..t).step_by(5_000).collect::<Vec<u64>>());
    let arithmetic = "Cannot evict pod as it would violate the pod's disruption budget. (DisruptionBudget: The \
                      disruption budget web needs 3 healthy pods and has 3 currently)";
    assert!(refused.iter().all(|e| e["message"].ends_with(arithmetic)));
    // The API eviction is counted with the others. The budget (3 of 3, then of 4) held
    // through the drain: below its minimum only while the first replicas started (7.351 s),
    // below desired also while the fourth replica and the replacement started.
    let s = &read_csv(&out.join("summary.csv"))[0];
    assert_eq!(s["evictions"], "1");
    assert_eq!(s["below_pdb:deployment/web:web"], "7.351");
    assert_eq!(s["below_desired:deployment/web"], "19.433");
    let drained = with_reason(&events, "NodeDrained");
    assert_eq!(drained.len(), 1);
    assert!(ms(&drained[0]["time"]) > t);
    // The DaemonSet pod stays on the drained node.
    let pods = read_csv(&out.join("pods.csv"));
    assert!(pods.iter().any(|p| p["owner"] == "DaemonSet/agent" && p["node"] == "worker-0" && p["deleted"].is_empty()));
    assert!(
        !pods
            .iter()
            .any(|p| p["owner"].starts_with("ReplicaSet/") && p["node"] == "worker-0" && p["deleted"].is_empty())
    );
}

#[test]
fn a_daemonset_rolls_a_new_image_out_one_node_at_a_time() {
    let text = std::fs::read_to_string(scenario("daemonset.yaml"))
        .unwrap()
        .replace("duration: 16m", "duration: 25m\n  sampleInterval: 1s")
        .replace(
            "  - add-nodes: {at: 3m, pool: worker, count: 1}\n",
            "  - add-nodes: {at: 3m, pool: worker, count: 1}\n  - set-image: {at: 16m, daemonset: log-agent, container: agent, image: \"agent:2\"}\n",
        );
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("ds.yaml");
    std::fs::write(&f, text).unwrap();
    let (_t, out) = run_cli(&f, &["--quiet", "--check-invariants"]);
    let rows = workload_rows(&out, "log-agent");
    // maxUnavailable 1 (the default): at most one node without a ready daemon pod.
    for r in rows.iter().filter(|r| ms(&r["time"]) >= 16 * 60_000) {
        assert!(num(r, "ready") + 1 >= num(r, "desired"), "{r:?}");
    }
    let last = rows.last().unwrap();
    assert_eq!((num(last, "desired"), num(last, "ready"), num(last, "updated")), (4, 4, 4));
    let pods = read_csv(&out.join("pods.csv"));
    let replaced =
        pods.iter().filter(|p| p["owner"] == "DaemonSet/log-agent" && ms(&p["created"]) >= 16 * 60_000).count();
    assert_eq!(replaced, 4);
}

#[test]
fn a_job_past_its_active_deadline_fails_with_deadline_exceeded() {
    let text = std::fs::read_to_string(scenario("job-backoff.yaml")).unwrap().replace(
        "  completions: 6\n  parallelism: 2\n",
        "  completions: 6\n  parallelism: 2\n  activeDeadlineSeconds: 45\n",
    );
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("deadline.yaml");
    std::fs::write(&f, text).unwrap();
    let (_t, out) = run_cli(&f, &["--quiet", "--check-invariants"]);
    let events = read_csv(&out.join("events.csv"));
    let dl = with_reason(&events, "DeadlineExceeded");
    assert_eq!(dl.len(), 1);
    assert_eq!(dl[0]["message"], "Job was active longer than specified deadline");
    // The Job started at its first sync (10 ms): 45 s later it fails and its pods are deleted.
    assert_eq!(ms(&dl[0]["time"]), 45_010);
    assert!(!events.iter().any(|e| e["reason"] == "Completed" && e["name"] == "batch"));
    let pods = read_csv(&out.join("pods.csv"));
    assert!(pods.iter().filter(|p| p["owner"] == "Job/batch").all(|p| !p["finished"].is_empty()));
}

#[test]
fn a_drain_over_pending_pods_goes_through_their_budget_at_once() {
    // #21: upstream's eviction subresource deletes a Pending pod without consulting its budget
    // (canIgnorePDB). Both replicas are stuck in ImagePullBackOff, the budget wants 2 of 2: the
    // drain at 60 s evicts both at once, and kubectl's 1 s deletion poll sees them gone at 61 s.
    let (_tmp, out) = run_cli(&root().join("tests/data/drain-pending-pdb.yaml"), &["--quiet", "--check-invariants"]);
    let events = read_csv(&out.join("events.csv"));
    let evicted = with_reason(&events, "EvictionRequested");
    assert_eq!(evicted.len(), 2);
    assert!(evicted.iter().all(|e| ms(&e["time"]) == 60_000), "{evicted:?}");
    assert!(with_reason(&events, "EvictionRefused").is_empty());
    let drained = with_reason(&events, "NodeDrained");
    assert_eq!(drained.len(), 1);
    assert_eq!(ms(&drained[0]["time"]), 61_000);
}

#[test]
fn old_replicasets_beyond_the_revision_history_limit_are_deleted_once_a_rollout_completes() {
    // cleanupDeployment with revisionHistoryLimit 1: three rollouts (revisions 2, 3, 4). Each
    // completed rollout keeps one old ReplicaSet (scaled to zero) and deletes older ones.
    let (_t, f) = write_scenario(
        r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: history}
spec:
  duration: 4m
  nodePools: [{name: worker, count: 1, capacity: {cpu: "4", memory: 8Gi}}]
  images: [{name: "web:1", size: 10Mi}, {name: "web:2", size: 10Mi}, {name: "web:3", size: 10Mi}, {name: "web:4", size: 10Mi}]
  faults:
  - set-image: {at: 1m, deployment: web, container: web, image: "web:2"}
  - set-image: {at: 2m, deployment: web, container: web, image: "web:3"}
  - set-image: {at: 3m, deployment: web, container: web, image: "web:4"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  revisionHistoryLimit: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "web:1"}]
"#,
    );
    let file = f.to_str().unwrap();
    let images_of = |at: &str| -> Vec<String> {
        let (code, out, err) = kubesim(&["get", "rs", file, "--at", at, "-o", "wide"]);
        assert_eq!(code, Some(0), "{err}");
        let mut v: Vec<String> =
            out.lines().skip(1).map(|l| l.split_whitespace().nth(6).unwrap_or_default().to_string()).collect();
        v.sort();
        v
    };
    // Before the second rollout: revision 1 is the one old ReplicaSet allowed.
    assert_eq!(images_of("1m59s"), ["web:1", "web:2"]);
    // Revision 3 complete: revision 1 goes, revision 2 stays.
    assert_eq!(images_of("2m59s"), ["web:2", "web:3"]);
    assert_eq!(images_of("4m"), ["web:3", "web:4"]);
    let (_, yaml, _) = kubesim(&["get", "deployments", file, "-o", "yaml"]);
    assert!(yaml.contains("revisionHistoryLimit: 1"), "{yaml}");
}

/// Regression (#22 note): a DaemonSet whose pods the kubelet rejects (DiskPressure admission)
/// hot-looped, deleting and recreating its pod every few milliseconds (25,214 FailedDaemonPod
/// events in 10 minutes). Upstream's failedPodsBackoff spaces the deletes 1 s, 2 s, 4 s ...
/// apart (doubling to 15 min), each counted from the last delete; the sync that sees the
/// replacement failed is requeued after the whole back-off, so each gap is the back-off plus
/// the few milliseconds it took the replacement to be created, bound and rejected.
#[test]
fn regression_a_rejected_daemon_pod_is_replaced_with_the_failed_pods_back_off() {
    let text = r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: ds-disk}
spec:
  duration: 10m
  nodePools:
  - {name: worker, count: 1, capacity: {cpu: "4", memory: 8Gi, ephemeral-storage: 100Gi}}
  faults:
  - disk-fill: {at: 1m, nodes: [worker-0], size: 95Gi, duration: 8m}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: agent, image: "nginx:1.27"}]
"#;
    let (_t, f) = write_scenario(text);
    let (_o, out) = run_cli(&f, &["--quiet", "--check-invariants"]);
    let deletes: Vec<u64> = read_csv(&out.join("events.csv"))
        .iter()
        .filter(|e| e["reason"] == "FailedDaemonPod")
        .map(|e| ms(&e["time"]))
        .collect();
    // Evicted at the first pressured tick after 1m (1m10s), then rejected until the run ends
    // (the fill lasts 8m, the condition 5m longer): 1+2+...+256 s = 511 s fit, 512 s more do not.
    assert_eq!(deletes.len(), 10, "{deletes:?}");
    for (k, w) in deletes.windows(2).enumerate() {
        let back_off = 1000u64 << k;
        assert!(w[1] - w[0] >= back_off && w[1] - w[0] < back_off + 100, "{deletes:?}");
    }
}
