//! Manifests as users have them (#18): `-f` files, folders and stdin, Lists, JSON, dumps of a
//! live cluster, kinds kubesim does not simulate, namespaces, all errors of an input.

use super::*;
use assert_cmd::Command;

fn real(name: &str) -> PathBuf {
    root().join("tests/data/real").join(name)
}

fn data(name: &str) -> PathBuf {
    root().join("tests/data/manifests").join(name)
}

#[test]
fn the_docs_deployment_runs_unmodified_on_the_default_cluster() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let f = real("nginx-deployment.yaml");
    let (code, stdout, stderr) =
        kubesim(&["run", "-f", f.to_str().unwrap(), "--out", out.to_str().unwrap(), "--no-charts"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("scenario nginx-deployment"), "{stdout}");
    assert!(out.join("pods.csv").is_file());
    let (code, table, _) = kubesim(&["get", "pods", "-f", f.to_str().unwrap()]);
    assert_eq!(code, Some(0));
    let rows = pod_rows(&table);
    assert_eq!(rows.len(), 3, "{table}");
    assert!(rows.iter().all(|(n, r, s)| n.starts_with("nginx-deployment-") && r == "1/1" && s == "Running"), "{table}");
    // The default cluster: three workers.
    let (_, nodes, _) = kubesim(&["get", "nodes", "-f", f.to_str().unwrap()]);
    assert_eq!(nodes.lines().filter(|l| l.contains(" Ready ")).count(), 3, "{nodes}");
}

#[test]
fn a_folder_is_read_as_kubectl_reads_it_and_services_are_accepted() {
    let dir = real("guestbook");
    let (code, table, stderr) = kubesim(&["get", "pods", "-f", dir.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
    let rows = pod_rows(&table);
    assert_eq!(rows.len(), 6, "{table}");
    assert!(rows.iter().all(|(_, r, s)| r == "1/1" && s == "Running"), "{table}");
    let (_, out, stderr) = kubesim(&["validate", "-f", dir.to_str().unwrap()]);
    assert!(!stderr.contains("not simulated"), "{stderr}");
    // Container ports are modelled: the guestbook validates without a warning.
    assert!(out.contains("0 warnings") && !stderr.contains("warning"), "{out}{stderr}");
    // The Services select the pods: each has its ready endpoints.
    let (code, svc, _) = kubesim(&["get", "svc", "-f", dir.to_str().unwrap()]);
    assert_eq!(code, Some(0));
    let names: Vec<&str> = svc.lines().skip(1).filter_map(|l| l.split_whitespace().next()).collect();
    assert_eq!(names, vec!["frontend", "kubernetes", "redis-follower", "redis-leader"], "{svc}");
    // Each Service's EndpointSlice lists its pods' addresses, each in its node's /24.
    let (code, slices, _) = kubesim(&["get", "endpointslices", "-f", dir.to_str().unwrap()]);
    assert_eq!(code, Some(0));
    let frontend = slices.lines().find(|l| l.starts_with("frontend-")).expect(&slices);
    let cols: Vec<&str> = frontend.split_whitespace().collect();
    assert_eq!((cols[1], cols[2]), ("IPv4", "80"), "{slices}");
    let ips: Vec<&str> = cols[3].split(',').collect();
    assert_eq!(ips.len(), 3, "{slices}");
    assert!(ips.iter().all(|ip| ip.starts_with("10.244.") && (ip.ends_with(".2") || ip.ends_with(".3"))), "{slices}");
}

#[test]
fn the_demo_application_runs_with_grouped_warnings() {
    let f = real("microservices-demo.yaml");
    let (code, table, stderr) = kubesim(&["get", "pods", "-f", f.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
    let rows = pod_rows(&table);
    assert_eq!(rows.len(), 12, "{table}");
    assert!(rows.iter().all(|(_, r, s)| r == "1/1" && s == "Running"), "{table}");
    let (_, _, stderr) = kubesim(&["validate", "-f", f.to_str().unwrap()]);
    assert!(!stderr.contains("not simulated"), "{stderr}");
    assert!(stderr.contains("ignored in 12 Deployments: spec.template.spec.securityContext"), "{stderr}");
    // One line per field and kind, in file order.
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.starts_with("warning: ")).collect();
    assert!(warnings.len() <= 12, "{stderr}");
    let lines: Vec<u32> = warnings.iter().filter_map(|w| w.split(':').nth(2).and_then(|x| x.parse().ok())).collect();
    assert!(lines.windows(2).all(|w| w[0] <= w[1]), "not in file order: {stderr}");
}

#[test]
fn standard_input_and_a_scenario_beside_manifests() {
    let text = std::fs::read_to_string(real("nginx-deployment.yaml")).unwrap();
    let out = Command::cargo_bin("kubesim").unwrap().args(["validate", "-f", "-"]).write_stdin(text).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("ok (3 nodes, 1 deployments"), "{stdout}");
    // A scenario's cluster, the manifests from elsewhere: the scenario's one node runs them.
    let s = scenario("crashloop.yaml");
    let (code, stdout, stderr) =
        kubesim(&["validate", s.to_str().unwrap(), "-f", real("nginx-deployment.yaml").to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("ok (1 nodes, 1 deployments, 0 replicasets, 1 pods"), "{stdout}");
}

#[test]
fn a_cluster_dump_replays_on_its_own_nodes_without_warnings() {
    for f in ["dump.yaml", "dump.json"] {
        let p = data(f);
        let (code, table, stderr) = kubesim(&["get", "pods", "-f", p.to_str().unwrap(), "-o", "wide"]);
        assert_eq!(code, Some(0), "{f}: {stderr}");
        let (code, _, warnings) = kubesim(&["validate", "-f", p.to_str().unwrap()]);
        assert_eq!(code, Some(0), "{f}: {warnings}");
        assert!(!warnings.contains("ignored"), "{f}: server-filled fields warned: {warnings}");
        let cache = table.lines().find(|l| l.starts_with("cache ")).unwrap_or_else(|| panic!("{f}: {table}"));
        assert!(cache.contains("Running"), "{f}: {table}");
        // Bound to its node in the dump, it starts there; the dump's nodes replace the default pool.
        let node = if f == "dump.yaml" { "kind-worker2" } else { "kind-worker" };
        assert!(cache.contains(node), "{f}: {table}");
        let (_, nodes, _) = kubesim(&["get", "nodes", "-f", p.to_str().unwrap()]);
        assert!(!nodes.contains("worker-"), "{f}: the default pool was added: {nodes}");
    }
    // A pod owned by a ReplicaSet is left to its owner, said once.
    let (_, _, stderr) = kubesim(&["validate", "-f", data("dump.yaml").to_str().unwrap()]);
    assert!(stderr.contains("left to their controllers (they carry a controller ownerReference): 1 Pod"), "{stderr}");
}

#[test]
fn an_object_in_a_missing_namespace_is_refused_as_kubectl_prints_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dep = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: c, image: nginx}]}\n";
    let ns = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n";
    // kubectl applies a folder in name order: the Namespace comes too late for the Deployment.
    std::fs::write(tmp.path().join("a-deploy.yaml"), dep).unwrap();
    std::fs::write(tmp.path().join("b-namespace.yaml"), ns).unwrap();
    let dir = tmp.path().to_str().unwrap();
    let (code, table, stderr) = kubesim(&["get", "pods", "-A", "-f", dir]);
    assert_eq!(code, Some(0), "{stderr}");
    let want = format!(
        "Error from server (NotFound): error when creating \"{}\": namespaces \"shop\" not found",
        tmp.path().join("a-deploy.yaml").display()
    );
    assert!(stderr.contains(&want), "{stderr}");
    assert_eq!(pod_rows(&table).len(), 0, "{table}");
    // Namespace first: it runs.
    std::fs::rename(tmp.path().join("b-namespace.yaml"), tmp.path().join("0-namespace.yaml")).unwrap();
    let (code, table, stderr) = kubesim(&["get", "pods", "-A", "-f", dir]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("not found"), "{stderr}");
    assert_eq!(table.lines().skip(1).filter(|l| l.starts_with("shop ")).count(), 1, "{table}");
}

#[test]
fn every_error_of_the_input_is_reported_in_file_order_with_did_you_mean() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("two.yaml");
    std::fs::write(
        &f,
        "apiVersion: apps/v1\nkind: Deploymnet\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec:\n  containers:\n  - name: c\n    image: nginx\n    imagePullPolicy: Sometimes\n    replica: 3\n",
    )
    .unwrap();
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let out = Command::cargo_bin("kubesim").unwrap().current_dir(&work).args(["run", "-f"]).arg(&f).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let name = f.display().to_string();
    let first = stderr.find(&format!("{name}:2:7: unknown kind \"Deploymnet\"")).expect(&stderr);
    let second = stderr.find(&format!("{name}:13:5: unknown field `replica`")).expect(&stderr);
    assert!(first < second, "{stderr}");
    assert!(stderr.contains("did you mean `Deployment`?"), "{stderr}");
    assert_eq!(std::fs::read_dir(&work).unwrap().count(), 0, "output was written");
}

#[test]
fn custom_resources_and_rbac_are_accepted_as_not_simulated() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("extras.yaml");
    std::fs::write(
        &f,
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: a}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: b}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: c}\n---\napiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: d}\n",
    )
    .unwrap();
    let (code, _, stderr) = kubesim(&["validate", "-f", f.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("not simulated (accepted and left out of the run): 2 ClusterRole, 1 Certificate (cert-manager.io), 1 RoleBinding"),
        "{stderr}"
    );
}

#[test]
fn no_input_at_all_is_refused() {
    let (code, _, stderr) = kubesim(&["run"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("give a scenario file, or manifests with -f"), "{stderr}");
}

#[test]
fn the_docs_job_is_warned_about_and_completes_with_a_behavior() {
    let job = real("job.yaml");
    let (code, _, stderr) = kubesim(&["validate", "-f", job.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("Job default/pi: its containers never exit, so it never completes: give it a behavior"),
        "{stderr}"
    );
    let (_, table, _) = kubesim(&["get", "pods", "-f", job.to_str().unwrap()]);
    assert!(pod_rows(&table).iter().all(|(_, _, s)| s == "Running"), "{table}");
    // The same Job, unmodified, beside a scenario that gives it a behaviour.
    let s = data("pi-behaviors.yaml");
    let (code, _, stderr) = kubesim(&["validate", s.to_str().unwrap(), "-f", job.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("never completes"), "{stderr}");
    let (_, table, _) = kubesim(&["get", "pods", s.to_str().unwrap(), "-f", job.to_str().unwrap()]);
    let rows = pod_rows(&table);
    assert_eq!(rows.len(), 1, "{table}");
    assert_eq!((rows[0].1.as_str(), rows[0].2.as_str()), ("0/1", "Completed"), "{table}");
    // Still running at 30s, done at 45s.
    let (_, table, _) = kubesim(&["get", "pods", s.to_str().unwrap(), "-f", job.to_str().unwrap(), "--at", "30s"]);
    assert_eq!(pod_rows(&table)[0].2, "Running", "{table}");
}

#[test]
fn spec_manifests_are_read_beside_the_scenario_and_unused_rules_are_warned() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(real("job.yaml"), tmp.path().join("job.yaml")).unwrap();
    let text = std::fs::read_to_string(data("pi-behaviors.yaml")).unwrap().replace(
        "  behaviors:\n",
        "  manifests: [job.yaml]\n  behaviors:\n  - match: {image: busybox}\n    behavior: {exit: {after: 1s}}\n",
    );
    let s = tmp.path().join("pi.yaml");
    std::fs::write(&s, text).unwrap();
    let (code, stdout, stderr) = kubesim(&["validate", s.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("ok (1 nodes"), "{stdout}");
    assert!(stderr.contains("pi.yaml:12:5: spec.behaviors: this rule matches no container"), "{stderr}");
    let (_, table, _) = kubesim(&["get", "pods", s.to_str().unwrap()]);
    assert!(table.contains("Completed"), "{table}");
    // A path out of the scenario's folder is refused.
    let text = std::fs::read_to_string(&s).unwrap().replace("[job.yaml]", "[../job.yaml]");
    std::fs::write(&s, text).unwrap();
    let (code, _, stderr) = kubesim(&["validate", s.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("spec.manifests: \"../job.yaml\" leaves the scenario's folder"), "{stderr}");
}

#[test]
fn probe_fields_written_as_zero_take_their_defaults_as_the_api_server_gives_them() {
    let s = kubesim::scenario::load(&data("probe-zeros.yaml")).unwrap();
    let p = s.pods[0].spec.containers[0].liveness_probe.clone().expect("a liveness probe");
    assert_eq!(p, kubesim::api::Probe::default());
    assert_eq!((p.period_ms, p.timeout_ms, p.success_threshold, p.failure_threshold), (10_000, 1_000, 1, 3));
}

#[test]
fn describe_pod_prints_kubectls_layout_for_a_crash_looping_pod() {
    let s = scenario("crashloop.yaml");
    let (code, out, stderr) = kubesim(&["describe", "pod", "crasher", s.to_str().unwrap(), "--at", "14m"]);
    assert_eq!(code, Some(0), "{stderr}");
    insta::assert_snapshot!("describe_pod_crashloop_14m", out);
    let (code, _, stderr) = kubesim(&["describe", "pod", "nobody", s.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("Error from server (NotFound): pods \"nobody\" not found"), "{stderr}");
}

#[test]
fn get_pods_selects_by_label_and_prints_yaml_json_and_names() {
    let s = scenario("quickstart.yaml");
    let s = s.to_str().unwrap();
    let (code, yaml, stderr) = kubesim(&["get", "po", s, "-l", "app=web", "-o", "yaml"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(yaml.starts_with("apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n"), "{yaml}");
    assert!(yaml.ends_with("kind: List\nmetadata:\n  resourceVersion: \"\"\n"), "{yaml}");
    // The YAML reads back (as kubectl apply would read it): five pods of app=web.
    let (code, stdout, stderr) = {
        let out = assert_cmd::Command::cargo_bin("kubesim")
            .unwrap()
            .args(["validate", "-f", "-"])
            .write_stdin(yaml.clone())
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(code, Some(0), "{stderr}");
    // Owned by their ReplicaSet: left to it; nothing server-filled is warned about.
    assert!(stderr.contains("left to their controllers (they carry a controller ownerReference): 5 Pod"), "{stderr}");
    assert!(!stderr.contains("ignored"), "{stderr}");
    assert!(stdout.contains("ok ("), "{stdout}");
    let (_, json, _) = kubesim(&["get", "pods", s, "-l", "app in (web)", "-o", "json"]);
    assert!(json.starts_with("{\n    \"apiVersion\": \"v1\",\n    \"items\": ["), "{json}");
    assert_eq!(json.matches("\"kind\": \"Pod\"").count(), 5, "{json}");
    let (_, names, _) = kubesim(&["get", "pods", s, "-l", "app=web", "-o", "name"]);
    assert_eq!(names.lines().count(), 5);
    assert!(names.lines().all(|l| l.starts_with("pod/web-")), "{names}");
    let (_, none, _) = kubesim(&["get", "pods", s, "-l", "app=db"]);
    assert_eq!(none, "No resources found in default namespace.\n");
    let (code, _, stderr) = kubesim(&["get", "pods", s, "-o", "toml"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("allowed formats are: json,name,wide,yaml"), "{stderr}");
}

#[test]
fn the_docs_cronjob_runs_on_schedule_and_its_jobs_are_listed() {
    let cj = real("cronjob.yaml");
    let (code, _, stderr) = kubesim(&["validate", "-f", cj.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("CronJob default/hello: its containers never exit"), "{stderr}");
    // Every minute on the virtual calendar (2026-01-01 00:00 UTC is minute 29453760).
    let (_, cronjobs, _) = kubesim(&["get", "cj", "-f", cj.to_str().unwrap(), "--at", "3m30s"]);
    assert!(cronjobs.starts_with("NAME    SCHEDULE    TIMEZONE   SUSPEND   ACTIVE   LAST SCHEDULE   AGE\nhello   * * * * *   <none>     False     3        30s"), "{cronjobs}");
    let (_, jobs, _) = kubesim(&["get", "jobs", "-f", cj.to_str().unwrap(), "--at", "3m30s"]);
    let names: Vec<&str> = jobs.lines().skip(1).filter_map(|l| l.split_whitespace().next()).collect();
    assert_eq!(names, vec!["hello-29453761", "hello-29453762", "hello-29453763"], "{jobs}");
    // A bad schedule is refused as the API server refuses it.
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.yaml");
    let text = std::fs::read_to_string(&cj).unwrap().replace("\"* * * * *\"", "\"* * * * 7\"");
    std::fs::write(&bad, text).unwrap();
    let (code, _, stderr) = kubesim(&["validate", "-f", bad.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("spec.schedule: Invalid value: \"* * * * 7\": end of range (7) above maximum (6): 7"),
        "{stderr}"
    );
}

#[test]
fn the_docs_pvc_and_probe_examples_run_unmodified() {
    let pv = ["pv-volume.yaml", "pv-claim.yaml", "pv-pod.yaml"].map(|f| real(f).display().to_string());
    let (code, _, stderr) = kubesim(&["validate", "-f", &pv[0], "-f", &pv[1], "-f", &pv[2]]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("pv-pod.yaml:9:9: ignored: spec.volumes[0].persistentVolumeClaim"), "{stderr}");
    assert!(
        stderr
            .contains("not simulated (accepted and left out of the run): 1 PersistentVolume, 1 PersistentVolumeClaim"),
        "{stderr}"
    );
    let (_, table, _) = kubesim(&["get", "pods", "-f", &pv[2]]);
    assert_eq!(pod_rows(&table), vec![("task-pv-pod".into(), "1/1".into(), "Running".into())]);
    // The exec liveness example with the behaviour its command has: restarted after each
    // three failed probes (period 5s), as the tutorial shows.
    let s = data("liveness-behaviors.yaml");
    let live = real("exec-liveness.yaml");
    let (code, events, stderr) =
        kubesim(&["get", "events", s.to_str().unwrap(), "-f", live.to_str().unwrap(), "--for", "pod/liveness-exec"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(events.contains("Container liveness failed liveness probe, will be restarted"), "{events}");
    let (_, table, _) = kubesim(&["get", "pods", s.to_str().unwrap(), "-f", live.to_str().unwrap()]);
    let restarts: u32 = table.lines().nth(1).and_then(|l| l.split_whitespace().nth(3)).unwrap().parse().unwrap();
    assert!(restarts >= 2, "{table}");
}

#[test]
fn bad_input_in_a_folder_or_on_stdin_exits_2_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("app");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(real("nginx-deployment.yaml"), dir.join("a.yaml")).unwrap();
    std::fs::write(
        dir.join("b.json"),
        "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"p\"}, \"spec\": {\"containerz\": []}}",
    )
    .unwrap();
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let out = Command::cargo_bin("kubesim").unwrap().current_dir(&work).args(["run", "-f"]).arg(&dir).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("b.json:1:") && stderr.contains("did you mean `containers`?"), "{stderr}");
    assert_eq!(std::fs::read_dir(&work).unwrap().count(), 0, "output was written");
    let out = Command::cargo_bin("kubesim")
        .unwrap()
        .current_dir(&work)
        .args(["run", "-f", "-"])
        .write_stdin("kind: Deployment\napiVersion: apps/v1\nmetadata: {name: 3}\nspec: [")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("STDIN:"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(std::fs::read_dir(&work).unwrap().count(), 0, "output was written");
}

#[test]
fn get_lists_every_simulated_kind_with_kubectls_columns() {
    let s = scenario("quota-rollout.yaml");
    let s = s.to_str().unwrap();
    let get = |args: &[&str]| {
        let mut a = vec!["get"];
        a.extend_from_slice(args);
        let (code, out, err) = kubesim(&a);
        assert_eq!(code, Some(0), "{args:?}: {err}");
        out
    };
    assert_eq!(
        get(&["quota", s, "-n", "shop", "--at", "30s"]),
        "NAME      REQUEST                         LIMIT   AGE\ncompute   pods: 4/10, requests.cpu: 2/2           30s\n"
    );
    let ns = get(&["ns", s]);
    assert!(ns.starts_with("NAME              STATUS   AGE\ndefault           Active   15m\n"), "{ns}");
    assert!(ns.contains("\nshop              Active   15m\n"), "{ns}");
    // Every namespace has its default ServiceAccount and the root CA ConfigMap.
    assert!(get(&["sa", s, "-n", "shop"]).contains("default   0         15m"));
    assert!(get(&["cm", s, "-A"]).contains("shop              kube-root-ca.crt   1      15m"));
    assert!(get(&["rs", s, "-n", "shop"]).starts_with("NAME             DESIRED   CURRENT   READY   AGE\n"));
    let (code, _, err) = kubesim(&["get", "foos", s]);
    assert_eq!(code, Some(2));
    assert!(err.contains("the server doesn't have a resource type \"foos\""), "{err}");
}

#[test]
fn the_summary_lists_jobs_and_at_takes_a_timestamp() {
    let (code, out, stderr) = {
        let tmp = tempfile::tempdir().unwrap();
        let o = tmp.path().join("o");
        let s = scenario("job-backoff.yaml");
        kubesim(&["run", s.to_str().unwrap(), "--out", o.to_str().unwrap(), "--no-charts", "--no-warnings"])
    };
    assert_eq!(code, Some(0), "{stderr}");
    assert!(out.contains("jobs       NAMESPACE   NAME    STATUS     COMPLETIONS   DURATION   AGE\n"), "{out}");
    assert!(out.contains("           default     batch   Complete   6/6"), "{out}");
    let q = scenario("quickstart.yaml");
    let (_, a, _) = kubesim(&["get", "pods", q.to_str().unwrap(), "--at", "2m5s"]);
    let (_, b, _) = kubesim(&["get", "pods", q.to_str().unwrap(), "--at", "2026-01-01T00:02:05Z"]);
    let (_, c, _) = kubesim(&["get", "pods", q.to_str().unwrap(), "--at", "00:02:05"]);
    assert!(a == b && b == c && a.contains("Running"), "{a}\n{b}\n{c}");
}

#[test]
fn a_cronjob_schedule_is_read_in_its_time_zone() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("tz.yaml");
    let cj = "apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nmetadata: {name: tz}\nspec:\n  duration: 1h\n  nodePools:\n  - {name: w, count: 1, capacity: {cpu: \"4\", memory: 8Gi}}\n---\napiVersion: batch/v1\nkind: CronJob\nmetadata: {name: report}\nspec:\n  schedule: \"30 1 * * *\"\n  timeZone: ZONE\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: OnFailure\n          containers: [{name: c, image: busybox}]\n";
    std::fs::write(&f, cj.replace("ZONE", "Europe/Paris")).unwrap();
    // 01:30 in Paris on 1 January (CET, UTC+1) is 00:30 on the virtual calendar.
    let (_, jobs, _) = kubesim(&["get", "jobs", f.to_str().unwrap(), "--at", "31m"]);
    assert!(jobs.contains("report-29453790"), "{jobs}");
    let (_, none, _) = kubesim(&["get", "jobs", f.to_str().unwrap(), "--at", "29m"]);
    assert!(none.starts_with("No resources found"), "{none}");
    std::fs::write(&f, cj.replace("ZONE", "Mars/Olympus")).unwrap();
    let (code, _, stderr) = kubesim(&["validate", "-f", f.to_str().unwrap()]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("spec.timeZone: Invalid value: \"Mars/Olympus\": unknown time zone Mars/Olympus"),
        "{stderr}"
    );
}

#[test]
fn every_misspelt_field_of_one_document_is_reported() {
    let f = data("three-typos.yaml");
    let (code, _, stderr) = kubesim(&["validate", "-f", f.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{stderr}");
    let name = f.display().to_string();
    let places: Vec<usize> =
        ["6:3: unknown field `replica`", "13:9: unknown field `imag`", "18:9: unknown field `livenesProbe`"]
            .iter()
            .map(|p| stderr.find(&format!("{name}:{p}")).unwrap_or_else(|| panic!("{p} missing: {stderr}")))
            .collect();
    assert!(places.windows(2).all(|w| w[0] < w[1]), "{stderr}");
    assert!(stderr.contains("did you mean `livenessProbe`?"), "{stderr}");
}

#[test]
fn get_o_yaml_of_a_workload_reads_back_as_input() {
    let q = scenario("quickstart.yaml");
    let (code, yaml, stderr) = kubesim(&["get", "deploy", q.to_str().unwrap(), "-o", "yaml"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(yaml.starts_with("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"), "{yaml}");
    let (_, name, _) = kubesim(&["get", "deployments", q.to_str().unwrap(), "-o", "name"]);
    assert_eq!(name, "deployment.apps/web\n");
    // A dump of it is a manifest again: applied on the default cluster, without warnings.
    let out =
        Command::cargo_bin("kubesim").unwrap().args(["get", "pods", "-f", "-"]).write_stdin(yaml).output().unwrap();
    let (table, err) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(pod_rows(&table).len(), 5, "{table}");
    let (_, json, _) = kubesim(&["get", "svc", q.to_str().unwrap(), "-o", "json"]);
    assert!(json.contains("\"name\": \"kubernetes\""), "{json}");
}

#[test]
fn describe_prints_deployments_services_and_jobs_in_kubectls_layout() {
    let run = |args: &[&str]| {
        let (code, out, err) = kubesim(args);
        assert_eq!(code, Some(0), "{args:?}: {err}");
        out
    };
    let q = scenario("quickstart.yaml");
    insta::assert_snapshot!("describe_deployment_quickstart", run(&["describe", "deploy", "web", q.to_str().unwrap()]));
    let j = scenario("job-backoff.yaml");
    insta::assert_snapshot!("describe_job_batch", run(&["describe", "job", "batch", j.to_str().unwrap()]));
    let s = scenario("service-no-endpoints.yaml");
    let svc = run(&["describe", "svc", "web", s.to_str().unwrap(), "--at", "1m"]);
    // The ready endpoints as IP:targetPort, three then a count (kubectl's formatEndpointSlices).
    assert!(
        svc.contains("Endpoints:                10.244.0.2:8080,10.244.2.2:8080,10.244.1.2:8080 + 1 more...\n"),
        "{svc}"
    );
    assert!(svc.contains("Port:                     <unset>  80/TCP\nTargetPort:               8080/TCP\n"), "{svc}");
    let svc = run(&["describe", "svc", "web", s.to_str().unwrap(), "--at", "2m10s"]);
    assert!(svc.contains("Endpoints:                \n"), "{svc}");
    let (code, _, err) = kubesim(&["describe", "deploy", "nope", q.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert!(err.contains("Error from server (NotFound): deployments.apps \"nope\" not found"), "{err}");
}

#[test]
fn describe_covers_the_other_workloads_budgets_and_namespaces() {
    let run = |args: &[&str]| {
        let (code, out, err) = kubesim(args);
        assert_eq!(code, Some(0), "{args:?}: {err}");
        out
    };
    let q = scenario("quota-rollout.yaml");
    insta::assert_snapshot!(
        "describe_namespace_quota",
        run(&["describe", "ns", "shop", q.to_str().unwrap(), "--at", "30s"])
    );
    let qs = scenario("quickstart.yaml");
    let rs = run(&["describe", "rs", "web-54cdbbbfb7", qs.to_str().unwrap()]);
    assert!(rs.contains("Controlled By:  Deployment/web\nReplicas:       5 current / 5 desired\n"), "{rs}");
    let cj = scenario("cronjob-concurrency.yaml");
    let out = run(&["describe", "cj", "hello", cj.to_str().unwrap(), "--at", "3m"]);
    assert!(out.contains("Concurrency Policy:            Forbid\n"), "{out}");
    assert!(out.contains("Active Jobs:         hello-29453762\n"), "{out}");
    let pdb = run(&["describe", "pdb", "web", scenario("drain-pdb.yaml").to_str().unwrap()]);
    assert!(pdb.contains("Min available:  3\n"), "{pdb}");
    let quota = run(&["describe", "quota", "compute", "-n", "shop", q.to_str().unwrap(), "--at", "30s"]);
    assert_eq!(
        quota,
        "Name:         compute\nNamespace:    shop\nResource      Used  Hard\n--------      ----  ----\npods          4     10\nrequests.cpu  2     2\n"
    );
    let lr = run(&[
        "describe",
        "limits",
        "defaults",
        "-n",
        "team-a",
        scenario("limitrange-defaults.yaml").to_str().unwrap(),
    ]);
    assert!(lr.contains("Container   cpu       -    -    500m             1              -\n"), "{lr}");
    let sa = run(&["describe", "sa", "default", qs.to_str().unwrap()]);
    assert!(sa.contains("Mountable secrets:   <none>\nTokens:              <none>\n"), "{sa}");
}

#[test]
fn describe_prints_nodes_configmaps_and_secrets_in_kubectls_layout() {
    let run = |args: &[&str]| {
        let (code, out, err) = kubesim(args);
        assert_eq!(code, Some(0), "{args:?}: {err}");
        out
    };
    let crash = scenario("node-crash.yaml");
    insta::assert_snapshot!(
        "describe_node_crashed_8m",
        run(&["describe", "node", "worker-1", crash.to_str().unwrap(), "--at", "8m"])
    );
    let healthy = run(&["describe", "no", "worker-0", crash.to_str().unwrap(), "--at", "1m"]);
    assert!(healthy.contains("  Ready            True    "), "{healthy}");
    assert!(healthy.contains("KubeletReady                 kubelet is posting ready status"), "{healthy}");
    assert!(healthy.contains("PodCIDR:                      10.244.0.0/24\n"), "{healthy}");
    let cm = root().join("tests/data/real/configmap-multikeys.yaml");
    assert_eq!(
        run(&["describe", "cm", "special-config", "-f", cm.to_str().unwrap()]),
        "Name:         special-config\nNamespace:    default\nLabels:       <none>\nAnnotations:  <none>\n\nData\n====\nSPECIAL_LEVEL:\n----\nvery\n\nSPECIAL_TYPE:\n----\ncharm\n\n\nBinaryData\n====\n\nEvents:  <none>\n"
    );
    let secret = root().join("tests/data/manifests/secret-sizes.yaml");
    assert_eq!(
        run(&["describe", "secret", "db-user-pass", "-f", secret.to_str().unwrap()]),
        "Name:         db-user-pass\nNamespace:    default\nLabels:       <none>\nAnnotations:  <none>\n\nType:  Opaque\n\nData\n====\nnote:      11 bytes\npassword:  12 bytes\nusername:  5 bytes\n"
    );
    // -o yaml gives the values back as the API server holds them: stringData as base64 data.
    let yaml = run(&["get", "secrets", "-f", secret.to_str().unwrap(), "-o", "yaml"]);
    assert!(yaml.contains("  note: aGVsbG8gd29ybGQ=\n  password: MWYyZDFlMmU2N2Rm\n"), "{yaml}");
    let (code, _, err) = kubesim(&["describe", "no", "worker-9", crash.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert!(err.contains("Error from server (NotFound): nodes \"worker-9\" not found"), "{err}");
}

#[test]
fn a_secret_value_that_is_not_base64_is_refused_where_it_is() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("bad-secret.yaml");
    std::fs::write(&f, "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  password: hunter2!\n").unwrap();
    let (code, out, err) = kubesim(&["validate", "-f", f.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(err.contains("bad-secret.yaml:5:13"), "{err}");
    assert!(err.contains("data.password: illegal base64 data at input byte"), "{err}");
    assert!(err.contains("put plain text under stringData"), "{err}");
    // A number where the API wants a string is refused too (the most common ConfigMap mistake).
    std::fs::write(&f, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  port: 8080\n").unwrap();
    let (code, _, err) = kubesim(&["validate", "-f", f.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("bad-secret.yaml:5:9: invalid type: got number 8080, expected \"string\" (quote it: \"8080\")"),
        "{err}"
    ); // A key in both data and binaryData is refused as ValidateConfigMap refuses it.
    std::fs::write(&f, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k: v}\nbinaryData: {k: dg==}\n")
        .unwrap();
    let (code, _, err) = kubesim(&["validate", "-f", f.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("binaryData: Invalid value: \"k\": duplicate of key present in data"), "{err}");
    assert!(err.contains("bad-secret.yaml:5:"), "{err}");
}

#[test]
fn every_published_manifest_runs_unmodified_with_run_f() {
    let dir = root().join("tests/data/real");
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() || p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    inputs.sort();
    assert!(inputs.len() >= 15, "{inputs:?}");
    for f in inputs {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let (code, _, err) =
            kubesim(&["run", "-f", f.to_str().unwrap(), "--out", out.to_str().unwrap(), "--no-charts"]);
        assert_eq!(code, Some(0), "{}: {err}", f.display());
        assert!(out.join("pods.csv").exists(), "{}", f.display());
    }
}

#[test]
fn pod_level_resources_are_what_the_scheduler_and_qos_see() {
    // Each pod asks 1500m at the pod level (its containers ask 100m each): two fit a 4-cpu
    // node, the third does not; Guaranteed, as the pod-level requests equal the limits.
    let text = "apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nmetadata: {name: s}\nspec:\n  duration: 1m\n  nodePools:\n  - {name: worker, count: 1, capacity: {cpu: \"4\", memory: 8Gi}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: big}\nspec:\n  replicas: 3\n  selector: {matchLabels: {app: big}}\n  template:\n    metadata: {labels: {app: big}}\n    spec:\n      resources:\n        requests: {cpu: 1500m, memory: 1Gi}\n        limits: {cpu: 1500m, memory: 1Gi}\n      containers:\n      - {name: a, image: nginx, resources: {requests: {cpu: 100m}}}\n      - {name: b, image: nginx, resources: {requests: {cpu: 100m}}}\n";
    let (_s, f) = write_scenario(text);
    let (_t, out) = run_cli(&f, &["--quiet"]);
    let pods = read_csv(&out.join("pods.csv"));
    assert_eq!(pods.iter().filter(|p| p["node"] == "worker-0").count(), 2, "{pods:?}");
    assert!(pods.iter().all(|p| p["qos"] == "Guaranteed"));
    let evs = read_csv(&out.join("events.csv"));
    assert!(evs.iter().any(|e| e["reason"] == "FailedScheduling" && e["message"].contains("1 Insufficient cpu")));
    // Below what the containers ask together: refused as upstream validation refuses it.
    std::fs::write(&f, text.replace("requests: {cpu: 1500m, memory: 1Gi}", "requests: {cpu: 150m, memory: 1Gi}"))
        .unwrap();
    let (code, _, err) = kubesim(&["validate", f.to_str().unwrap()]);
    assert_eq!(code, Some(2));
    assert!(err.contains("spec.template.spec.resources.requests[cpu]: must be greater than or equal to aggregate container requests of 200m"), "{err}");
}
