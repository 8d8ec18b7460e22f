//! Pod networking (#19's network part): the node IPAM controller's pod CIDRs, host-local
//! addresses per sandbox, exhaustion, `hostNetwork`, and the EndpointSlices built on them.

use super::*;
use std::collections::BTreeSet;

#[test]
fn every_pod_gets_a_distinct_address_in_its_nodes_block() {
    let (_tmp, out) = run_cli(&scenario("quickstart.yaml"), &[]);
    let pods = read_csv(&out.join("pods.csv"));
    assert_eq!(pods.len(), 6);
    let mut seen = BTreeSet::new();
    for p in &pods {
        // worker-0 registers first and gets 10.244.0.0/24, worker-1 10.244.1.0/24, ...
        let i = p["node"].strip_prefix("worker-").expect("bound");
        assert!(p["ip"].starts_with(&format!("10.244.{i}.")), "{p:?}");
        let host: u32 = p["ip"].rsplit('.').next().unwrap().parse().unwrap();
        assert!((2..=254).contains(&host), "{p:?}: .1 is the gateway");
        assert!(seen.insert(p["ip"].clone()), "{p:?}");
    }
}

#[test]
fn the_254th_pod_of_a_24_waits_in_container_creating_for_an_address() {
    let f = scenario("ip-exhaustion.yaml");
    let f = f.to_str().unwrap();
    let (code, table, stderr) = kubesim(&["get", "pods", f, "--at", "1m", "-o", "wide"]);
    assert_eq!(code, Some(0), "{stderr}");
    let rows: Vec<Vec<&str>> = table.lines().skip(1).map(|l| l.split_whitespace().collect()).collect();
    let running: Vec<_> = rows.iter().filter(|r| r[2] == "Running").collect();
    let waiting: Vec<_> = rows.iter().filter(|r| r[2] == "ContainerCreating").collect();
    assert_eq!((running.len(), waiting.len()), (253, 7), "{table}");
    assert!(waiting.iter().all(|r| r[5] == "<none>"), "{table}");
    let ips: BTreeSet<&str> = running.iter().map(|r| r[5]).collect();
    assert_eq!(ips.len(), 253);
    assert!(ips.contains("10.244.0.2") && ips.contains("10.244.0.254") && !ips.contains("10.244.0.1"));
    let (_, describe, _) = kubesim(&["describe", "pod", waiting[0][0], f, "--at", "1m"]);
    // Tried at admission and at every pod worker sync since (10-15 s after the last): 5 or 6
    // times in the first minute, each a new sandbox (a new id, so the events are not counted
    // together).
    let tries: Vec<&str> = describe.lines().filter(|l| l.contains("FailedCreatePodSandBox")).collect();
    assert!((5..=6).contains(&tries.len()), "{describe}");
    for line in tries {
        assert!(line.ends_with("no IP addresses available in range set: 10.244.0.1-10.244.0.254"), "{line}");
    }
    let (code, out, _) = kubesim(&["check", f]);
    assert_eq!(code, Some(0), "{out}");
}

const SMALL_CIDR: &str = r#"
apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: small-cidr}
spec:
  duration: 1m
  kubernetes: {clusterCIDR: 10.244.0.0/24, nodeCIDRMaskSize: 25}
  nodePools:
  - {name: worker, count: 3, capacity: {cpu: "4", memory: 8Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: on-last}
spec:
  nodeName: worker-2
  containers: [{name: app, image: nginx}]
---
apiVersion: v1
kind: Pod
metadata: {name: host-net}
spec:
  nodeName: worker-2
  hostNetwork: true
  containers: [{name: app, image: nginx}]
---
apiVersion: v1
kind: Pod
metadata: {name: on-first}
spec:
  nodeName: worker-0
  containers: [{name: app, image: nginx}]
"#;

#[test]
fn a_node_without_a_block_runs_only_host_network_pods_and_the_shortfall_is_warned() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("small.yaml");
    std::fs::write(&f, SMALL_CIDR).unwrap();
    let f = f.to_str().unwrap();
    let (code, out, stderr) = kubesim(&["validate", f]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("clusterCIDR 10.244.0.0/24 holds 2 node blocks of /25, and the cluster has 3 nodes"),
        "{out}{stderr}"
    );
    let (_, table, _) = kubesim(&["get", "pods", f, "-o", "wide"]);
    let row =
        |name: &str| table.lines().find(|l| l.starts_with(name)).map(|l| l.split_whitespace().collect::<Vec<_>>());
    let on_first = row("on-first").expect(&table);
    assert_eq!((on_first[2], on_first[5]), ("Running", "10.244.0.2"), "{table}");
    let host = row("host-net").expect(&table);
    // The node's own address: kubesim's nodes are 172.18.0.2, .3, .4 in registration order.
    assert_eq!((host[2], host[5]), ("Running", "172.18.0.4"), "{table}");
    let last = row("on-last").expect(&table);
    assert_eq!((last[2], last[5]), ("ContainerCreating", "<none>"), "{table}");
    let (_, events, _) = kubesim(&["get", "events", f]);
    assert!(
        events.contains("CIDRNotAvailable") && events.contains("Node worker-2 status is now: CIDRNotAvailable"),
        "{events}"
    );
    assert!(events.contains("failed to setup network for sandbox"), "{events}");
    assert!(events.contains("cni plugin not initialized"), "{events}");
}

#[test]
fn a_bad_cluster_cidr_is_refused_with_its_field() {
    let tmp = tempfile::tempdir().unwrap();
    for (cidr, want) in [
        ("clusterCIDR: 10.244.1.0/16", "has host bits set (did you mean 10.244.0.0/16?)"),
        ("clusterCIDR: 10.0.0.0/8, nodeCIDRMaskSize: 25", "CIDRSet: subnetMaskSize 25 is too large"),
        ("nodeCIDRMaskSize: 31", "leaves a node no address for pods"),
    ] {
        let f = tmp.path().join("bad.yaml");
        std::fs::write(&f, SMALL_CIDR.replace("clusterCIDR: 10.244.0.0/24, nodeCIDRMaskSize: 25", cidr)).unwrap();
        let (code, out, stderr) = kubesim(&["validate", f.to_str().unwrap()]);
        assert_eq!(code, Some(2), "{cidr}: {out}{stderr}");
        assert!(stderr.contains(want), "{cidr}: {stderr}");
        assert!(stderr.contains("bad.yaml:7:"), "{cidr}: {stderr}");
    }
}

/// #19: image names meet in full form: a node that lists `docker.io/library/nginx:latest` has
/// the image a pod names `nginx`, so `imagePullPolicy: Never` starts it there and nowhere else.
#[test]
fn a_short_image_name_finds_the_node_image_listed_in_full() {
    let text = r#"
apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: normalised}
spec:
  duration: 1m
  nodePools:
  - {name: has, count: 1, capacity: {cpu: "4", memory: 8Gi}, images: ["docker.io/library/nginx:latest"]}
  - {name: bare, count: 1, capacity: {cpu: "4", memory: 8Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: on-has}
spec:
  nodeName: has-0
  containers: [{name: app, image: nginx, imagePullPolicy: Never}]
---
apiVersion: v1
kind: Pod
metadata: {name: on-bare}
spec:
  nodeName: bare-0
  containers: [{name: app, image: nginx, imagePullPolicy: Never}]
"#;
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("normalised.yaml");
    std::fs::write(&f, text).unwrap();
    let (code, table, err) = kubesim(&["get", "pods", f.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    let rows = pod_rows(&table);
    assert!(rows.contains(&("on-has".into(), "1/1".into(), "Running".into())), "{table}");
    assert!(rows.contains(&("on-bare".into(), "0/1".into(), "ErrImageNeverPull".into())), "{table}");
}
