//! kubectl's habits on every kind (#18 item 6): `-o wide`, `-l`, `--show-labels`, and
//! `-o yaml|json|name` beyond pods, nodes included.

use super::*;

fn run(args: &[&str]) -> String {
    let (code, out, err) = kubesim(args);
    assert_eq!(code, Some(0), "{args:?}: {err}");
    out
}

#[test]
fn wide_tables_add_kubectls_columns_for_every_kind_that_has_them() {
    let q = scenario("quickstart.yaml");
    let q = q.to_str().unwrap();
    let deploy = run(&["get", "deploy", q, "-o", "wide"]);
    assert_eq!(
        deploy.lines().next().unwrap().split_whitespace().collect::<Vec<_>>()[5..],
        ["CONTAINERS", "IMAGES", "SELECTOR"]
    );
    assert!(deploy.contains("   nginx        nginx:1.27   app=web\n"), "{deploy}");
    let rs = run(&["get", "rs", q, "-o", "wide"]);
    assert!(rs.contains("app=web,pod-template-hash="), "{rs}");
    let nodes = run(&["get", "nodes", q, "-o", "wide"]);
    assert!(nodes.starts_with("NAME       STATUS   ROLES    AGE   VERSION   INTERNAL-IP   EXTERNAL-IP"), "{nodes}");
    assert!(nodes.contains("worker-2   Ready    <none>   5m    v1.34.0   172.18.0.4    <none>"), "{nodes}");
    let svc = run(&["get", "svc", scenario("service-no-endpoints.yaml").to_str().unwrap(), "-o", "wide"]);
    assert!(svc.lines().any(|l| l.starts_with("web ") && l.ends_with("app=web")), "{svc}");
    let jobs = run(&["get", "jobs", scenario("job-backoff.yaml").to_str().unwrap(), "-o", "wide"]);
    assert!(jobs.contains("   work         worker:1   batch.kubernetes.io/job-name=batch\n"), "{jobs}");
}

#[test]
fn label_selectors_and_show_labels_work_on_every_kind() {
    let q = scenario("quickstart.yaml");
    let q = q.to_str().unwrap();
    // The Deployment's own metadata.labels (app: web), not its pods'.
    let d = run(&["get", "deploy", q, "-l", "app=web", "--show-labels"]);
    assert_eq!(d.lines().nth(1).unwrap().split_whitespace().last(), Some("app=web"), "{d}");
    assert_eq!(run(&["get", "deploy", q, "-l", "app!=web"]), "No resources found in default namespace.\n");
    let n = run(&["get", "no", q, "-l", "kubernetes.io/hostname in (worker-0,worker-2)"]);
    assert_eq!(n.lines().count(), 3, "{n}");
    let ns = run(&["get", "ns", q, "--show-labels", "-l", "kubernetes.io/metadata.name=kube-system"]);
    assert!(ns.contains("kube-system   Active   5m    kubernetes.io/metadata.name=kube-system"), "{ns}");
    // The API server's own Service is labelled as upstream labels it.
    let svc = run(&["get", "svc", q, "-l", "component=apiserver", "-o", "name"]);
    assert_eq!(svc, "service/kubernetes\n");
    let (code, _, err) = kubesim(&["get", "deploy", q, "-l", "app in (web"]);
    assert_eq!(code, Some(2), "{err}");
}

#[test]
fn nodes_budgets_quotas_and_limit_ranges_print_as_objects() {
    let q = scenario("quickstart.yaml");
    let node = run(&["get", "nodes", q.to_str().unwrap(), "-o", "json", "-l", "kubernetes.io/hostname=worker-1"]);
    let v: serde_json::Value = serde_json::from_str(&node).unwrap();
    assert_eq!(v["kind"], "Node");
    assert_eq!(v["spec"]["podCIDR"], "10.244.1.0/24");
    assert_eq!(v["status"]["addresses"][0]["address"], "172.18.0.3");
    assert_eq!(v["status"]["capacity"]["cpu"], "4");
    let pdb = run(&["get", "pdb", scenario("drain-pdb.yaml").to_str().unwrap(), "-o", "yaml"]);
    assert!(pdb.contains("kind: PodDisruptionBudget") && pdb.contains("minAvailable: 3"), "{pdb}");
    let quota = run(&[
        "get",
        "quota",
        "-n",
        "shop",
        scenario("quota-rollout.yaml").to_str().unwrap(),
        "-o",
        "yaml",
        "--at",
        "30s",
    ]);
    assert!(quota.contains("requests.cpu: \"2\"") && quota.contains("used:"), "{quota}");
    let limits = run(&["get", "limits", "-A", scenario("limitrange-defaults.yaml").to_str().unwrap(), "-o", "yaml"]);
    assert!(limits.contains("kind: LimitRange") && limits.contains("defaultRequest:"), "{limits}");
}

#[test]
fn pod_conditions_show_in_yaml_and_describe_in_the_apis_order() {
    let f = scenario("unschedulable.yaml");
    let out = run(&["get", "pods", f.to_str().unwrap(), "-o", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let items = v["items"].as_array().unwrap();
    let pod =
        |prefix: &str| items.iter().find(|p| p["metadata"]["name"].as_str().unwrap().starts_with(prefix)).unwrap();
    let big = &pod("too-big")["status"]["conditions"];
    assert_eq!(big.as_array().unwrap().len(), 1, "{big}");
    assert_eq!((big[0]["type"].as_str(), big[0]["status"].as_str()), (Some("PodScheduled"), Some("False")));
    assert_eq!(big[0]["reason"], "Unschedulable");
    assert!(big[0]["message"].as_str().unwrap().starts_with("0/3 nodes are available: 3 Insufficient cpu."), "{big}");
    let types: Vec<&str> = (pod("small")["status"]["conditions"].as_array().unwrap().iter())
        .map(|c| c["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"]);
    let d = run(&["describe", "pod", "too-big", f.to_str().unwrap()]);
    assert!(d.contains("Conditions:\n  Type           Status\n  PodScheduled   False \n"), "{d}");
}

#[test]
fn trace_prints_a_pods_path_through_the_cluster() {
    let q = scenario("quickstart.yaml");
    let q = q.to_str().unwrap();
    let table = run(&["get", "pods", q]);
    let name = table.lines().nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    insta::assert_snapshot!("trace_pod_quickstart", run(&["trace", &format!("pod/{name}"), q]));
    // Cut at a moment: only the steps so far.
    let early = run(&["trace", &format!("pod/{name}"), q, "--at", "1s"]);
    assert!(early.contains("RunPodSandbox") && !early.contains("Started container"), "{early}");
    let (code, _, err) = kubesim(&["trace", "pod/nope", q]);
    assert_eq!(code, Some(1));
    assert!(err.contains("Error from server (NotFound): pods \"nope\" not found"), "{err}");
    let (code, _, err) = kubesim(&["trace", "deploy/web", q]);
    assert_eq!(code, Some(2));
    assert!(err.contains("trace takes pod/NAME"), "{err}");
}

#[test]
fn probes_and_ports_show_as_the_api_and_kubectl_describe_give_them() {
    let f = scenario("probe-timeout.yaml");
    let f = f.to_str().unwrap();
    let v: serde_json::Value = serde_json::from_str(&run(&["get", "pods", f, "-o", "json"])).unwrap();
    let pod = (v["items"].as_array().unwrap().iter())
        .find(|p| p["metadata"]["name"].as_str().unwrap().starts_with("patient-"))
        .unwrap();
    let c = &pod["spec"]["containers"][0];
    assert_eq!(
        c["livenessProbe"],
        serde_json::json!({"failureThreshold": 3, "httpGet": {"path": "/healthz", "port": "http", "scheme": "HTTP"},
            "initialDelaySeconds": 5, "periodSeconds": 10, "successThreshold": 1, "timeoutSeconds": 3})
    );
    assert_eq!(c["ports"], serde_json::json!([{"containerPort": 8080, "name": "http", "protocol": "TCP"}]));
    let name = pod["metadata"]["name"].as_str().unwrap();
    let d = run(&["describe", "pod", name, f]);
    assert!(d.contains("    Port:           8080/TCP (http)\n    Host Port:      0/TCP (http)\n"), "{d}");
    assert!(
        d.contains(
            "Liveness:       http-get http://:http/healthz delay=5s timeout=3s period=10s #success=1 #failure=3"
        ),
        "{d}"
    );
}
