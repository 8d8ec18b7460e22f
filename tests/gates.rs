//! The objects that gate a pod (#18): ConfigMaps and Secrets for volumes and the environment,
//! ServiceAccounts at admission, and the operator's `apply`/`delete` mid-run.

use super::*;

fn path(p: &str) -> String {
    root().join(p).display().to_string()
}

#[test]
fn the_docs_configmap_pod_waits_in_container_creating_until_its_configmap_is_given() {
    let pod = path("tests/data/real/pod-configmap-volume.yaml");
    let cm = path("tests/data/real/configmap-multikeys.yaml");
    let (code, table, stderr) = kubesim(&["get", "pods", "-f", &pod]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(pod_rows(&table), vec![("dapi-test-pod".into(), "0/1".into(), "ContainerCreating".into())], "{table}");
    let (_, events, _) = kubesim(&["get", "events", "-f", &pod]);
    let mounts: Vec<&str> = events.lines().filter(|l| l.contains("FailedMount")).collect();
    assert!(
        mounts.iter().all(|l| l.ends_with(
            "MountVolume.SetUp failed for volume \"config-volume\" : configmap \"special-config\" not found"
        )),
        "{events}"
    );
    // Tries at 0, 0.5, 1.5, 3.5, 7.5 ... 127.5 s, then every 2m2s (the cap): 249.5, 371.5,
    // 493.5; the next would be after the 10 minutes. 12 tries.
    assert_eq!(mounts.len(), 12, "{events}");
    let (_, table, _) = kubesim(&["get", "pods", "-f", &pod, "-f", &cm]);
    assert_eq!(pod_rows(&table), vec![("dapi-test-pod".into(), "1/1".into(), "Running".into())], "{table}");
}

#[test]
fn a_missing_secret_or_key_holds_the_container_in_create_container_config_error() {
    let f = path("tests/data/manifests/gated.yaml");
    let (code, table, stderr) = kubesim(&["get", "pods", &f]);
    assert_eq!(code, Some(0), "{stderr}");
    let r = pod_rows(&table);
    let status = |n: &str| r.iter().find(|x| x.0 == n).map(|x| x.2.clone());
    assert_eq!(status("needs-secret").as_deref(), Some("CreateContainerConfigError"), "{table}");
    assert_eq!(status("needs-key").as_deref(), Some("CreateContainerConfigError"), "{table}");
    let (_, events, _) = kubesim(&["get", "events", &f, "--for", "pod/needs-secret"]);
    assert!(events.contains("Warning   Failed") && events.contains("Error: secret \"db\" not found"), "{events}");
    // Retried at each pod sync, 10-15 s after the last: 40 to 60 times in 10 minutes, never
    // restarted.
    let n = events.lines().filter(|l| l.contains("Error: secret")).count();
    assert!((40..=61).contains(&n), "{n} retries: {events}");
    let (_, events, _) = kubesim(&["get", "events", &f, "--for", "pod/needs-key"]);
    assert!(events.contains("Error: couldn't find key COLOR in ConfigMap default/app-config"), "{events}");
}

#[test]
fn a_missing_service_account_refuses_pods_until_it_is_applied() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("tests/data/manifests/gated.yaml")).unwrap();
    let text = text.replace(
        "  - {name: worker, count: 2, capacity: {cpu: \"4\", memory: 8Gi}}\n",
        "  - {name: worker, count: 2, capacity: {cpu: \"4\", memory: 8Gi}}\n  faults:\n  - apply: {at: 3m, file: sa.yaml}\n",
    );
    std::fs::write(tmp.path().join("s.yaml"), text).unwrap();
    std::fs::write(tmp.path().join("sa.yaml"), "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: api}\n")
        .unwrap();
    let s = tmp.path().join("s.yaml").display().to_string();
    let (code, events, stderr) = kubesim(&["get", "events", &s, "--at", "3m"]);
    assert_eq!(code, Some(0), "{stderr}");
    let failed: Vec<&str> = events.lines().filter(|l| l.contains("FailedCreate")).collect();
    assert!(!failed.is_empty(), "{events}");
    assert!(
        failed[0].ends_with(
            "Error creating: pods \"api-6b5f8d4d8c-\" is forbidden: error looking up service account default/api: serviceaccount \"api\" not found"
        ) || failed[0].contains("is forbidden: error looking up service account default/api: serviceaccount \"api\" not found"),
        "{events}"
    );
    // The ReplicaSet's rate limiter: 5 ms doubling, so about 15 tries in 3 minutes.
    assert!((14..=17).contains(&failed.len()), "{} tries: {events}", failed.len());
    let (_, table, _) = kubesim(&["get", "pods", &s, "--at", "3m"]);
    assert!(!table.contains("api-"), "{table}");
    // Applied at 3m: the next retry (within the back-off, at most ~164 s later) creates both.
    let (_, table, _) = kubesim(&["get", "pods", &s]);
    let api: Vec<_> = pod_rows(&table).into_iter().filter(|r| r.0.starts_with("api-")).collect();
    assert_eq!(api.len(), 2, "{table}");
    assert!(api.iter().all(|r| r.2 == "Running"), "{table}");
}

#[test]
fn a_bare_pod_with_a_missing_service_account_is_refused_at_apply() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("pod.yaml");
    std::fs::write(
        &f,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  serviceAccountName: robot\n  containers: [{name: c, image: nginx}]\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: robot}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: q}\nspec:\n  serviceAccountName: robot\n  containers: [{name: c, image: nginx}]\n",
    )
    .unwrap();
    let f = f.display().to_string();
    let (code, table, stderr) = kubesim(&["get", "pods", "-f", &f]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!("Error from server (Forbidden): error when creating {f:?}: pods \"p\" is forbidden: error looking up service account default/robot: serviceaccount \"robot\" not found")),
        "{stderr}"
    );
    // The second pod comes after the account in the file: it is admitted.
    assert_eq!(pod_rows(&table).iter().map(|r| r.0.as_str()).collect::<Vec<_>>(), vec!["q"], "{table}");
}

#[test]
fn deleting_a_configmap_leaves_running_pods_alone_and_blocks_new_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("scenarios/missing-configmap.yaml")).unwrap();
    let text = text
        .replace("  - apply: {at: 2m, file: manifests/web-config.yaml}\n", "  - delete: {at: 1m, object: configmap/web-config}\n  - scale: {at: 2m, workload: deployment/web, replicas: 3}\n")
        .replace("  expect:\n", "  expect: []\n  x:\n");
    let text = text.split("  x:\n").next().unwrap().to_string()
        + &text.split("---\n").skip(1).map(|d| format!("---\n{d}")).collect::<String>()
        + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: web-config}\ndata: {a: b}\n";
    let s = tmp.path().join("s.yaml");
    std::fs::write(&s, text).unwrap();
    let s = s.display().to_string();
    let (code, table, stderr) = kubesim(&["get", "pods", &s]);
    assert_eq!(code, Some(0), "{stderr}");
    let r = pod_rows(&table);
    assert_eq!(r.iter().filter(|x| x.2 == "Running").count(), 2, "{table}");
    assert_eq!(r.iter().filter(|x| x.2 == "ContainerCreating").count(), 1, "{table}");
    let (_, events, _) = kubesim(&["get", "events", &s]);
    assert!(events.contains("delete: configmap \"web-config\" deleted"), "{events}");
}

#[test]
fn a_bare_pod_over_a_limit_range_or_a_quota_is_refused_at_apply() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("team.yaml");
    std::fs::write(
        &f,
        "apiVersion: v1\nkind: LimitRange\nmetadata: {name: lr}\nspec:\n  limits:\n  - type: Container\n    max: {cpu: 500m}\n    default: {cpu: 200m}\n---\napiVersion: v1\nkind: ResourceQuota\nmetadata: {name: compute}\nspec:\n  hard: {pods: \"1\"}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: big}\nspec:\n  containers:\n  - {name: c, image: nginx, resources: {limits: {cpu: \"1\"}}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: first}\nspec:\n  containers: [{name: c, image: nginx}]\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: second}\nspec:\n  containers: [{name: c, image: nginx}]\n",
    )
    .unwrap();
    let f = f.display().to_string();
    let (code, table, stderr) = kubesim(&["get", "pods", "-f", &f]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "Error from server (Forbidden): error when creating {f:?}: pods \"big\" is forbidden: maximum cpu usage per Container is 500m, but limit is 1"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "pods \"second\" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=1, limited: pods=1"
        ),
        "{stderr}"
    );
    assert_eq!(pod_rows(&table).iter().map(|r| r.0.as_str()).collect::<Vec<_>>(), vec!["first"], "{table}");
    // The LimitRange's default limit (and the request defaulted from it) made `first` Guaranteed.
    let (_, yaml, _) = kubesim(&["get", "pods", "-f", &f, "-o", "yaml"]);
    assert!(yaml.contains("limits:\n        cpu: 200m\n      requests:\n        cpu: 200m"), "{yaml}");
}

#[test]
fn a_deleted_namespace_takes_its_pods_with_it_and_nothing_comes_back() {
    let f = path("tests/data/manifests/namespace-delete.yaml");
    let (_, ns, _) = kubesim(&["get", "ns", &f, "--at", "2m0s100ms"]);
    assert!(ns.contains("\nshop              Terminating   2m\n"), "{ns}");
    let (_, ns, _) = kubesim(&["get", "ns", &f, "--at", "4m"]);
    assert!(!ns.contains("shop"), "{ns}");
    assert!(ns.contains("default           Active"), "{ns}");
    let (_, pods, _) = kubesim(&["get", "pods", "-A", &f]);
    assert_eq!(pods, "No resources found\n");
    let (_, events, _) = kubesim(&["get", "events", &f]);
    // The Deployment's ReplicaSet is refused without an event (upstream skips NamespaceTerminating).
    assert_eq!(events.matches("SuccessfulCreate").count(), 2, "{events}");
    assert!(!events.contains("FailedCreate"), "{events}");
    assert!(events.contains("namespaces \"default\" is forbidden: this namespace may not be deleted"), "{events}");
}
