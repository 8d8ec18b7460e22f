//! kube-scheduler: the per-plugin trace against a hand computation, the filters' messages,
//! preemption, PriorityClass admission and the per-attempt latency.

use crate::{ms, read_csv, root, run_cli, scenario};
use std::collections::BTreeMap;
use std::path::PathBuf;

type Row = BTreeMap<String, String>;

/// Write a scenario file into a fresh folder and run it (with the scheduling trace).
fn run_text(text: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("s.yaml");
    std::fs::write(&f, text).unwrap();
    let (t2, out) = run_cli(&f, &["--quiet", "--check-invariants", "--trace-scheduling"]);
    let keep = tmp.path().join("run");
    std::fs::rename(&out, &keep).unwrap();
    drop(t2);
    (tmp, keep)
}

fn cols(r: &Row, plugin: &str) -> (String, String) {
    let score = r.keys().find(|k| k.starts_with(&format!("{plugin}.score"))).unwrap();
    (r[&format!("{plugin}.raw")].clone(), r[score].clone())
}

#[test]
fn scheduling_csv_matches_a_hand_computation_for_three_nodes() {
    let (_t, out) = run_cli(&root().join("tests/data/sched-3node.yaml"), &["--quiet", "--trace-scheduling"]);
    let rows = read_csv(&out.join("scheduling.csv"));
    let attempt = |n: &str| -> Vec<&Row> { rows.iter().filter(|r| r["attempt"] == n).collect() };
    // Attempt 1: nothing placed yet. a-0 and a-1 tie (LeastAllocated 87, spread 6 -> 100,
    // balanced 100: 300 + 87 + 200 + 100 = 687); b-0, half the cpu, has LeastAllocated
    // ((2000-500)*100/2000 = 75 + 87) / 2 = 81 and balanced (0.25 vs 0.125: std 0.0625) 93.
    let a1 = attempt("1");
    assert_eq!(a1.len(), 3);
    let total = |rows: &[&Row], node: &str| rows.iter().find(|r| r["node"] == node).unwrap()["total"].clone();
    assert_eq!(total(&a1, "a-0"), "687");
    assert_eq!(total(&a1, "a-1"), "687");
    assert_eq!(total(&a1, "b-0"), "674");
    let first = a1.iter().find(|r| r["result"] == "chosen").unwrap()["node"].clone();
    assert!(first == "a-0" || first == "a-1", "a tie of the two a nodes, broken at random: {first}");
    let other = if first == "a-0" { "a-1" } else { "a-0" };

    // Attempt 2, the first pod on `first` (500m cpu, 1Gi memory):
    let a2 = attempt("2");
    let row = |node: &str| *a2.iter().find(|r| r["node"] == node).unwrap();
    // TaintToleration: no PreferNoSchedule taint anywhere: raw 0, reversed normalisation 100.
    for n in ["a-0", "a-1", "b-0"] {
        assert_eq!(cols(row(n), "TaintToleration"), ("0".into(), "100".into()));
        // NodeAffinity and InterPodAffinity: PreScore skips (no terms): empty columns.
        assert_eq!(cols(row(n), "NodeAffinity"), (String::new(), String::new()));
        assert_eq!(cols(row(n), "InterPodAffinity"), (String::new(), String::new()));
        // ImageLocality: web:1 is on no node yet.
        assert_eq!(cols(row(n), "ImageLocality"), ("0".into(), "0".into()));
    }
    // NodeResourcesFit (LeastAllocated) on `first`: cpu (4000-1000)*100/4000 = 75, memory
    // (8Gi-2Gi)*100/8Gi = 75: 75. On `other`: 87 and 87: 87. On b-0: 75 and 87: 81.
    assert_eq!(cols(row(&first), "NodeResourcesFit"), ("75".into(), "75".into()));
    assert_eq!(cols(row(other), "NodeResourcesFit"), ("87".into(), "87".into()));
    assert_eq!(cols(row("b-0"), "NodeResourcesFit"), ("81".into(), "81".into()));
    // PodTopologySpread, the system defaults for a ReplicaSet's pod: hostname maxSkew 3 with
    // weight ln(3 + 2) = 1.609, zone maxSkew 5 with weight ln(2 + 2) = 1.386.
    //   first: 1 * 1.609 + 2 + 1 * 1.386 + 4 = 8.995 -> 9
    //   other: 0 + 2 + 1 * 1.386 + 4 = 7.386 -> 7
    //   b-0:   0 + 2 + 0 + 4 = 6
    // normalised 100 * (max + min - s) / max with max 9, min 6: 66, 88, 100.
    assert_eq!(cols(row(&first), "PodTopologySpread"), ("9".into(), "66".into()));
    assert_eq!(cols(row(other), "PodTopologySpread"), ("7".into(), "88".into()));
    assert_eq!(cols(row("b-0"), "PodTopologySpread"), ("6".into(), "100".into()));
    // BalancedAllocation with the pod's own request: first (0.25, 0.25) -> 100; other
    // (0.125, 0.125) -> 100; b-0 (0.25, 0.125): (1 - 0.0625) * 100 = 93.
    assert_eq!(cols(row(&first), "NodeResourcesBalancedAllocation"), ("100".into(), "100".into()));
    assert_eq!(cols(row("b-0"), "NodeResourcesBalancedAllocation"), ("93".into(), "93".into()));
    // Weighted: 3*TaintToleration + 1*Fit + 2*Spread + 1*Balanced + 1*Image.
    assert_eq!(row(&first)["total"], (300 + 75 + 2 * 66 + 100).to_string());
    assert_eq!(row(other)["total"], (300 + 87 + 2 * 88 + 100).to_string());
    assert_eq!(row("b-0")["total"], (300 + 81 + 2 * 100 + 93).to_string());
    assert_eq!(row("b-0")["result"], "chosen");
    assert_eq!(row(&first)["result"], "feasible");
    // The same bytes on a second run.
    let (_t2, again) = run_cli(&root().join("tests/data/sched-3node.yaml"), &["--quiet", "--trace-scheduling"]);
    assert_eq!(
        std::fs::read(out.join("scheduling.csv")).unwrap(),
        std::fs::read(again.join("scheduling.csv")).unwrap()
    );
    // Every pod bound where the trace says it was chosen.
    let pods = read_csv(&out.join("pods.csv"));
    for r in rows.iter().filter(|r| r["result"] == "chosen") {
        let name = r["pod"].split_once('/').unwrap().1;
        assert_eq!(pods.iter().find(|p| p["name"] == name).unwrap()["node"], r["node"]);
    }
}

#[test]
fn filtered_nodes_carry_their_plugins_reasons_in_the_trace_and_the_event() {
    let (_t, out) = run_cli(&scenario("dedicated-node.yaml"), &["--quiet", "--trace-scheduling"]);
    let rows = read_csv(&out.join("scheduling.csv"));
    // A web pod (no toleration) never passes the GPU node.
    let web_on_gpu: Vec<_> = rows.iter().filter(|r| r["pod"].contains("/web-") && r["node"] == "gpu-0").collect();
    assert!(!web_on_gpu.is_empty());
    for r in web_on_gpu {
        assert_eq!(r["result"], "filtered");
        assert_eq!(r["status"], "UnschedulableAndUnresolvable");
        assert_eq!(r["reasons"], "node(s) had untolerated taint {dedicated: gpu}");
    }
    // The third trainer: the GPU node is short of the extended resource (preemption could
    // help in principle), the general nodes do not match the selector (it cannot).
    let gpu_short: Vec<_> = rows.iter().filter(|r| r["reasons"] == "Insufficient nvidia.com/gpu").collect();
    assert!(!gpu_short.is_empty());
    assert!(gpu_short.iter().all(|r| r["node"] == "gpu-0" && r["status"] == "Unschedulable"));
    let events = read_csv(&out.join("events.csv"));
    let failed: Vec<_> = events.iter().filter(|e| e["reason"] == "FailedScheduling").collect();
    assert_eq!(
        failed[0]["message"],
        "0/3 nodes are available: 1 Insufficient nvidia.com/gpu, 2 node(s) didn't match Pod's node affinity/selector. \
         preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not \
         helpful for scheduling."
    );
}

#[test]
fn required_anti_affinity_leaves_the_fourth_replica_pending_until_a_node_joins() {
    let (_t, out) = run_cli(&scenario("anti-affinity-pending.yaml"), &["--quiet"]);
    let events = read_csv(&out.join("events.csv"));
    let f = events.iter().find(|e| e["reason"] == "FailedScheduling").unwrap();
    assert_eq!(
        f["message"],
        "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are \
         available: 3 No preemption victims found for incoming pod."
    );
    let pods = read_csv(&out.join("pods.csv"));
    let mut nodes: Vec<&str> = pods.iter().map(|p| p["node"].as_str()).collect();
    nodes.sort();
    // One replica per node, the fourth on the node added at 3m (+ its registration).
    assert_eq!(nodes, ["worker-0", "worker-1", "worker-2", "worker-3"]);
    let late = pods.iter().find(|p| p["node"] == "worker-3").unwrap();
    assert!(ms(&late["scheduled"]) >= 180_000, "{late:?}");
}

#[test]
fn a_high_priority_pod_preempts_the_least_important_victim_and_binds_to_its_nominated_node() {
    let (_t, out) = run_cli(&scenario("priority-preemption.yaml"), &["--quiet"]);
    let events = read_csv(&out.join("events.csv"));
    let pods = read_csv(&out.join("pods.csv"));
    let pre: Vec<_> = events.iter().filter(|e| e["reason"] == "Preempted").collect();
    assert_eq!(pre.len(), 1);
    let victim = pods.iter().find(|p| p["name"] == pre[0]["name"]).unwrap();
    let api = pods.iter().find(|p| p["name"].starts_with("api-")).unwrap();
    assert!(pre[0]["message"].starts_with(&format!("Preempted by pod default/{} on node ", api["name"])));
    // Scaled at 2m: the Deployment and ReplicaSet controllers each act on a watch 10 ms
    // later (the pod exists at 2m0.020s) and the scheduler hears of it 10 ms after that; the
    // attempt fails and preempts at once. The api pod binds to the victim's node only once the
    // victim is gone.
    assert_eq!(ms(&pre[0]["time"]), 120_030);
    assert_eq!(api["node"], victim["node"]);
    assert!(ms(&api["scheduled"]) >= ms(&victim["finished"]), "{api:?} {victim:?}");
    // While it waited, kubectl showed its nominated node.
    let o = assert_cmd::Command::cargo_bin("kubesim")
        .unwrap()
        .args(["get", "pods"])
        .arg(scenario("priority-preemption.yaml"))
        .args(["--at", "2m0.3s", "-o", "wide"])
        .output()
        .unwrap();
    let text = String::from_utf8(o.stdout).unwrap();
    let line = text.lines().find(|l| l.starts_with(api["name"].as_str())).unwrap();
    let f: Vec<&str> = line.split_whitespace().collect();
    assert_eq!((f[2], f[6], f[7]), ("Pending", "<none>", victim["node"].as_str()), "{text}");
    // The victim's replacement cannot preempt anything: it stays Pending.
    let pending: Vec<_> = pods.iter().filter(|p| p["name"].starts_with("batch-") && p["node"].is_empty()).collect();
    assert_eq!(pending.len(), 1);
}

const TWO_NODES: &str = "apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nmetadata: {name: s}\nspec:\n  duration: 2m\n";

fn nodes(extra_spec: &str) -> String {
    format!(
        "{TWO_NODES}{extra_spec}  nodePools:\n  - name: n\n    count: 2\n    capacity: {{cpu: \"2\", memory: 8Gi}}\n"
    )
}

fn pod(name: &str, cpu: &str, extra: &str) -> String {
    format!(
        "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n{extra}  containers:\n  - {{name: c, image: \"app:1\", resources: {{requests: {{cpu: \"{cpu}\"}}}}}}\n"
    )
}

#[test]
fn priority_classes_resolve_at_admission_and_preemption_policy_never_is_respected() {
    // A globalDefault class gives every pod without a class its value; a Never class's pod,
    // arriving at 1m into a full cluster, waits instead of preempting.
    let text = format!(
        "{}  faults:\n  - scale: {{at: 1m, workload: deployment/late, replicas: 1}}\n---\napiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {{name: default-prio}}\nvalue: 10\nglobalDefault: true\n---\napiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {{name: polite}}\nvalue: 1000\npreemptionPolicy: Never\n{}{}---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: late}}\nspec:\n  replicas: 0\n  selector: {{matchLabels: {{app: late}}}}\n  template:\n    metadata: {{labels: {{app: late}}}}\n    spec:\n      priorityClassName: polite\n      containers: [{{name: c, image: \"app:1\", resources: {{requests: {{cpu: \"1\"}}}}}}]\n",
        nodes(""),
        pod("a", "2", ""),
        pod("b", "2", ""),
    );
    let (_t, out) = run_text(&text);
    let events = read_csv(&out.join("events.csv"));
    assert!(events.iter().all(|e| e["reason"] != "Preempted"));
    let f = events.iter().find(|e| e["reason"] == "FailedScheduling" && e["name"].starts_with("late-")).unwrap();
    assert_eq!(
        f["message"],
        "0/2 nodes are available: 2 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never."
    );
    // Without Never the same pod preempts one of the default-priority pods.
    let text = text.replace("preemptionPolicy: Never", "preemptionPolicy: PreemptLowerPriority");
    let (_t, out) = run_text(&text);
    let events = read_csv(&out.join("events.csv"));
    assert_eq!(events.iter().filter(|e| e["reason"] == "Preempted").count(), 1);
}

#[test]
fn a_burst_is_scheduled_one_attempt_at_a_time() {
    // 20 pods created together: bound 1 ms apart by default, 25 ms apart with
    // `attemptLatency: 25ms` (the throughput of a real scheduler, not an infinitely fast one).
    for (latency, step) in [("", 1u64), ("  kubernetes:\n    scheduler: {attemptLatency: 25ms}\n", 25)] {
        let mut text = nodes(latency);
        for i in 0..20 {
            text.push_str(&pod(&format!("p{i:02}"), "10m", ""));
        }
        let (_t, out) = run_text(&text);
        let pods = read_csv(&out.join("pods.csv"));
        let mut t: Vec<u64> = pods.iter().map(|p| ms(&p["scheduled"])).collect();
        t.sort();
        let gaps: Vec<u64> = t.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.iter().all(|&g| g == step), "{latency:?}: {t:?}");
        // The scheduler hears of a pod 10 ms (the watch latency) after it is created.
        assert_eq!(t[0], ms(&pods[0]["created"]) + 10 + step, "the first binding one attempt after that");
    }
}
