//! Golden scenarios: outcomes that follow from Kubernetes' rules, checked on the outputs.

use super::*;
use std::collections::BTreeMap;

fn events_by_pod(events: &[BTreeMap<String, String>]) -> BTreeMap<String, Vec<(u64, String, String)>> {
    let mut m: BTreeMap<String, Vec<(u64, String, String)>> = BTreeMap::new();
    for e in events.iter().filter(|e| e["kind"] == "Pod") {
        m.entry(e["name"].clone()).or_default().push((ms(&e["time"]), e["reason"].clone(), e["message"].clone()));
    }
    m
}

#[test]
fn quickstart_pods_walk_the_kubelet_lifecycle_in_order() {
    let (_tmp, out) = run_cli(&scenario("quickstart.yaml"), &["--quiet"]);
    let events = read_csv(&out.join("events.csv"));
    let by_pod = events_by_pod(&events);
    assert_eq!(by_pod.len(), 6, "5 replicas + 1 replacement");
    for (pod, evs) in &by_pod {
        let reasons: Vec<&str> =
            evs.iter().map(|e| e.1.as_str()).filter(|r| *r != "FaultInjected" && *r != "Killing").collect();
        let pulled_fresh = reasons.starts_with(&["Scheduled", "Pulling", "Pulled", "Created", "Started"]);
        let already = reasons.starts_with(&["Scheduled", "Pulled", "Created", "Started"])
            && evs.iter().any(|e| e.2.contains("already present on machine"));
        assert!(pulled_fresh || already, "{pod}: {reasons:?}");
        // Times never go backwards within a pod's story.
        assert!(evs.windows(2).all(|w| w[0].0 <= w[1].0), "{pod}: {evs:?}");
    }
}

#[test]
fn an_uncached_pull_takes_latency_plus_size_over_bandwidth() {
    // quickstart: latency 300ms, 70Mi at 100Mi/s per node (registry 1Gi/s is not the limit):
    // the first pull on each node takes 0.3 + 0.7 = 1.0 s from Pulling to Pulled.
    let (_tmp, out) = run_cli(&scenario("quickstart.yaml"), &["--quiet"]);
    let events = read_csv(&out.join("events.csv"));
    let by_pod = events_by_pod(&events);
    let mut fresh = 0;
    for evs in by_pod.values() {
        let pulling = evs.iter().find(|e| e.1 == "Pulling");
        let pulled = evs.iter().find(|e| e.1 == "Pulled");
        if let (Some(a), Some(b)) = (pulling, pulled)
            && b.2.contains("(1s including waiting)")
        {
            assert_eq!(b.0 - a.0, 1000, "{a:?} -> {b:?}");
            assert!(b.2.contains("Successfully pulled image \"nginx:1.27\" in 1s"), "{}", b.2);
            assert!(b.2.contains("Image size: 73400320 bytes."), "{}", b.2);
            fresh += 1;
        }
    }
    assert_eq!(fresh, 3, "one uncached pull per node");
}

#[test]
fn quickstart_pod_kill_is_healed_by_the_replicaset() {
    let (_tmp, out) = run_cli(&scenario("quickstart.yaml"), &["--quiet"]);
    let events = read_csv(&out.join("events.csv"));
    let fault = events.iter().find(|e| e["reason"] == "FaultInjected").expect("the pod-kill happened");
    assert_eq!(ms(&fault["time"]), 120_000);
    let killed = fault["name"].clone();
    // The kubelet stops the container gracefully.
    let killing = events.iter().find(|e| e["reason"] == "Killing" && e["name"] == killed).expect("Killing");
    assert_eq!(killing["message"], "Stopping container nginx");
    assert_eq!(killing["cause"], fault["id"]);
    // The ReplicaSet creates a replacement within one second of virtual time...
    let create = events
        .iter()
        .find(|e| e["reason"] == "SuccessfulCreate" && ms(&e["time"]) >= 120_000)
        .expect("a replacement is created");
    assert!(ms(&create["time"]) - 120_000 <= 1000, "{create:?}");
    let new_pod = create["message"].strip_prefix("Created pod: ").unwrap().to_string();
    // ...which reaches Running and Ready.
    let pods = read_csv(&out.join("pods.csv"));
    let p = pods.iter().find(|p| p["name"] == new_pod).expect("replacement in pods.csv");
    assert_eq!(p["phase"], "Running");
    assert!(!p["ready"].is_empty());
    let old = pods.iter().find(|p| p["name"] == killed).unwrap();
    assert_eq!(ms(&old["deleted"]), 120_000);
    assert!(!old["finished"].is_empty());
    // workloads.csv shows 5 ready again, and stays there to the end.
    let w = read_csv(&out.join("workloads.csv"));
    let dipped = w.iter().any(|r| ms(&r["time"]) > 120_000 && r["ready"] != "5");
    let last = w.last().unwrap();
    assert_eq!((last["desired"].as_str(), last["ready"].as_str()), ("5", "5"));
    let _ = dipped; // the dip is shorter than a sample interval here; the summary measures it
    let summary = &read_csv(&out.join("summary.csv"))[0];
    let rec = ms(&summary["recovery:deployment/web:fault1:pod-kill"]);
    assert!(rec > 0 && rec < 10_000, "recovery {rec} ms");
}

#[test]
fn the_cause_column_links_each_step_to_the_one_before() {
    let (_tmp, out) = run_cli(&scenario("quickstart.yaml"), &["--quiet"]);
    let events = read_csv(&out.join("events.csv"));
    let by_id: BTreeMap<&str, &BTreeMap<String, String>> = events.iter().map(|e| (e["id"].as_str(), e)).collect();
    for e in &events {
        let cause = &e["cause"];
        let expected_parent = match e["reason"].as_str() {
            "Scheduled" => Some("SuccessfulCreate"),
            "Pulling" => Some("Scheduled"),
            "Created" => Some("Pulled"),
            "Started" => Some("Created"),
            "Killing" => Some("FaultInjected"),
            _ => None,
        };
        if let Some(parent) = expected_parent {
            let p = by_id.get(cause.as_str()).unwrap_or_else(|| panic!("{e:?} has no cause"));
            assert_eq!(p["reason"], parent, "{e:?}");
            assert!(ms(&p["time"]) <= ms(&e["time"]));
            if p["kind"] == "Pod" {
                assert_eq!(p["name"], e["name"], "cause about another pod: {e:?}");
            }
        }
    }
}

#[test]
fn unschedulable_pod_fails_with_upstream_message_and_retries_with_backoff() {
    let (_tmp, out) = run_cli(&scenario("unschedulable.yaml"), &["--quiet"]);
    let events = read_csv(&out.join("events.csv"));
    let fails: Vec<&BTreeMap<String, String>> =
        events.iter().filter(|e| e["reason"] == "FailedScheduling" && e["name"] == "too-big").collect();
    for f in &fails {
        assert_eq!(f["type"], "Warning");
        assert_eq!(f["source"], "default-scheduler");
        assert_eq!(
            f["message"],
            "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."
        );
    }
    // kube-scheduler records through events/v1: the identical failures join one event as a
    // series. Attempts: 0.01 s; the cluster changes once a second from 1m, but each retry waits
    // for the pod's backoff (1 s, 2 s, 4 s): 60.52, 62.52, 66.52; then nothing changes for it
    // and the 5-minute flush (checked every 30 s) retries at 390.01.
    assert_eq!(fails.len(), 1);
    assert_eq!(ms(&fails[0]["time"]), 10);
    assert_eq!(fails[0]["count"], "5");
    assert_eq!(fails[0]["last_seen"], "390.010");
    let pods = read_csv(&out.join("pods.csv"));
    let p = pods.iter().find(|p| p["name"] == "too-big").unwrap();
    assert_eq!(p["phase"], "Pending");
    assert_eq!(p["node"], "");
    assert_eq!(p["scheduled"], "");
}

fn outputs(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap() != "stats.csv")
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect()
}

#[test]
fn same_seed_gives_byte_identical_outputs() {
    for s in ["quickstart.yaml", "unschedulable.yaml"] {
        let (_a, out_a) = run_cli(&scenario(s), &["--quiet"]);
        let (_b, out_b) = run_cli(&scenario(s), &["--quiet"]);
        let (a, b) = (outputs(&out_a), outputs(&out_b));
        assert_eq!(a.len(), 7, "six CSV files and the output marker");
        for (name, bytes) in &a {
            assert!(bytes == &b[name], "{s}: {name} differs between two runs with the same seed");
        }
    }
}

#[test]
fn a_different_seed_changes_what_random_choices_touch() {
    let (_a, out_a) = run_cli(&scenario("quickstart.yaml"), &["--quiet", "--seed", "1"]);
    let (_b, out_b) = run_cli(&scenario("quickstart.yaml"), &["--quiet", "--seed", "2"]);
    let names = |d: &Path| -> Vec<String> { read_csv(&d.join("pods.csv")).iter().map(|p| p["name"].clone()).collect() };
    assert_ne!(names(&out_a), names(&out_b), "generated pod names come from the seed");
    // The deterministic parts do not move: the same number of pods, all Ready at the same time.
    let ready =
        |d: &Path| -> Vec<String> { read_csv(&d.join("pods.csv")).iter().map(|p| p["ready"].clone()).collect() };
    assert_eq!(ready(&out_a).len(), ready(&out_b).len());
    let summary = &read_csv(&out_a.join("summary.csv"))[0];
    assert_eq!(summary["seed"], "1");
}

#[test]
fn the_library_runs_a_scenario_without_the_cli() {
    let s = kubesim::scenario::load(&scenario("quickstart.yaml")).unwrap();
    assert_eq!(s.name, "quickstart");
    assert_eq!(s.nodes.len(), 3);
    let r = kubesim::simulate(s, &kubesim::RunOptions::default()).unwrap();
    let web = &r.summary.workloads[0];
    assert_eq!(web.name, "deployment/web");
    assert_eq!((web.ready, web.desired), (5, 5));
    assert_eq!(r.summary.pods_created, 6);
    assert_eq!(r.cluster.api.counters.running, 5);
    let again = kubesim::simulate(
        kubesim::scenario::load(&scenario("quickstart.yaml")).unwrap(),
        &kubesim::RunOptions::default(),
    )
    .unwrap();
    assert_eq!(again.outcome.events_processed, r.outcome.events_processed);
}

#[test]
fn invariant_violations_are_reported_with_seed_and_time() {
    let s = kubesim::scenario::load(&scenario("quickstart.yaml")).unwrap();
    let mut r = kubesim::simulate(s, &kubesim::RunOptions::default()).unwrap();
    let end = r.outcome.end;
    assert!(r.cluster.check_invariants(end).is_ok());
    // Shrink a node under its pods: the resource invariant must catch it.
    let n = r.cluster.api.pods.iter().find(|p| p.removed.is_none()).unwrap().node.unwrap();
    r.cluster.api.nodes[n.idx()].allocatable.cpu_milli = 1;
    let v = r.cluster.check_invariants(end).unwrap_err();
    let msg = v.to_string();
    assert!(msg.contains("seed 42") && msg.contains("t=300.000s") && msg.contains("bound pods request"), "{msg}");
    r.cluster.api.nodes[n.idx()].allocatable.cpu_milli = 4000;
    // A count that disagrees with a recount.
    r.cluster.api.counters.running += 1;
    assert!(r.cluster.check_invariants(end).unwrap_err().what.contains("recount"));
}

#[test]
fn check_determinism_names_the_first_divergent_event() {
    let run = |perturb: bool| {
        let mut c = assert_cmd::Command::cargo_bin("kubesim").unwrap();
        c.args(["run", scenario("quickstart.yaml").to_str().unwrap(), "--check-determinism"]);
        if perturb {
            c.env("KUBESIM_TEST_PERTURB", "1");
        }
        c.output().unwrap()
    };
    let ok = run(false);
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(ok.status.success() && stdout.contains("deterministic: two runs dispatched the same"), "{stdout}");
    // The hook reseeds the second run's scheduling ties: the first Bind to another node of three
    // identical ones is where the runs part.
    let bad = run(true);
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("the two runs diverge at event #") && stderr.contains("(seed 42, virtual time"),
        "{stderr}"
    );
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(lines[1].contains("run 1:") && lines[1].contains("Scheduler(Bind(PodId(0)"), "{stderr}");
    assert!(lines[2].contains("run 2:") && lines[2].contains("Scheduler(Bind(PodId(0)"), "{stderr}");
    assert_ne!(lines[1].split("NodeId").nth(1), lines[2].split("NodeId").nth(1), "{stderr}");
}
