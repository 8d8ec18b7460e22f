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
