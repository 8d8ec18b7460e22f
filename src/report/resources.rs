//! `kubectl get KIND -o yaml|json|name` for the kinds beyond pods: each object as the API server
//! would return it (the fields kubesim models, keys sorted), built on `objects`.

use super::objects::{pod_spec, rfc3339};
use crate::api::*;
use crate::cluster::Cluster;
use crate::sim::SimTime;
use serde_json::{Map, Value, json};

fn meta(ns: &str, name: &str, created: SimTime, rv: u64) -> Value {
    let mut m = json!({"creationTimestamp": rfc3339(created), "name": name, "resourceVersion": rv.to_string()});
    if !ns.is_empty() {
        m["namespace"] = json!(ns);
    }
    m
}

/// `metadata` with `labels` when there are any.
fn meta_l(ns: &str, name: &str, created: SimTime, rv: u64, labels: &Labels) -> Value {
    let mut m = meta(ns, name, created, rv);
    if !labels.0.is_empty() {
        m["labels"] = Value::Object(labels.0.iter().map(|(k, v)| (k.clone(), json!(v))).collect());
    }
    m
}

/// The labels an object's JSON carries (what `-l` filters on).
fn labels_of_json(v: &Value) -> Labels {
    let pairs = v["metadata"]["labels"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect::<Vec<_>>());
    Labels::from_pairs(pairs.unwrap_or_default())
}

pub(super) fn selector(s: &LabelSelector) -> Value {
    let mut m = Map::new();
    if !s.match_labels.is_empty() {
        m.insert(
            "matchLabels".into(),
            Value::Object(s.match_labels.iter().map(|(k, v)| (k.clone(), json!(v))).collect()),
        );
    }
    if !s.match_expressions.is_empty() {
        let ex: Vec<Value> = s
            .match_expressions
            .iter()
            .map(|r| json!({"key": r.key, "operator": format!("{:?}", r.op), "values": r.values}))
            .collect();
        m.insert("matchExpressions".into(), json!(ex));
    }
    Value::Object(m)
}

fn template(c: &Cluster, t: &PodTemplate) -> Value {
    let labels: Map<String, Value> = t.labels.0.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    json!({"metadata": {"labels": labels}, "spec": pod_spec(&t.spec, &c.scenario.images)})
}

pub(super) fn int_or_percent(v: IntOrPercent) -> Value {
    match v {
        IntOrPercent::Int(n) => json!(n),
        IntOrPercent::Percent(p) => json!(format!("{p}%")),
    }
}

fn object(api_version: &str, kind: &str, metadata: Value, spec: Option<Value>, status: Option<Value>) -> Value {
    let mut o = json!({"apiVersion": api_version, "kind": kind, "metadata": metadata});
    if let Some(s) = spec {
        o["spec"] = s;
    }
    if let Some(s) = status {
        o["status"] = s;
    }
    o
}

fn workload_status(st: WorkloadStatus) -> Value {
    json!({"availableReplicas": st.available, "readyReplicas": st.ready, "replicas": st.replicas, "updatedReplicas": st.updated})
}

/// The objects of `kind` (any name kubectl takes) in `namespace` (`None`: all): (name, object).
pub fn objects_of(
    c: &Cluster,
    now: SimTime,
    kind: &str,
    namespace: Option<&str>,
    selector: Option<&LabelSelector>,
) -> Option<Vec<(String, Value)>> {
    let ns_ok = |ns: &str| namespace.is_none_or(|x| x == ns);
    let mut out: Vec<(String, String, Value)> = Vec::new();
    let mut push = |ns: &str, name: &str, v: Value| out.push((ns.to_string(), name.to_string(), v));
    let kind = kind.to_ascii_lowercase();
    let found = apps(c, &kind, &ns_ok, &mut push)
        || batch(c, &kind, &ns_ok, &mut push)
        || core(c, &kind, &ns_ok, &mut push)
        || super::resources_more::more(c, now, &kind, &ns_ok, &mut push);
    if !found {
        return None;
    }
    out.retain(|(_, _, v)| selector.is_none_or(|s| s.matches(&labels_of_json(v))));
    out.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    Some(out.into_iter().map(|(_, name, v)| (name, v)).collect())
}

/// Deployments, ReplicaSets, StatefulSets, DaemonSets.
fn apps(c: &Cluster, kind: &str, ns_ok: &dyn Fn(&str) -> bool, push: &mut dyn FnMut(&str, &str, Value)) -> bool {
    let api = &c.api;
    match kind {
        "deployments" | "deployment" | "deploy" => {
            for d in api.deployments.iter().filter(|d| ns_ok(&d.namespace)) {
                let strategy = match d.strategy {
                    DeploymentStrategy::Recreate => json!({"type": "Recreate"}),
                    DeploymentStrategy::RollingUpdate { max_surge, max_unavailable } => json!({"type": "RollingUpdate",
                        "rollingUpdate": {"maxSurge": int_or_percent(max_surge), "maxUnavailable": int_or_percent(max_unavailable)}}),
                };
                let spec = json!({"replicas": d.replicas, "selector": selector(&d.selector), "strategy": strategy,
                    "progressDeadlineSeconds": d.progress_deadline_ms / 1000, "revisionHistoryLimit": d.revision_history_limit,
                    "template": template(c, &d.template)});
                let m = meta_l(&d.namespace, &d.name, d.created, d.resource_version, &d.labels);
                push(
                    &d.namespace,
                    &d.name,
                    object("apps/v1", "Deployment", m, Some(spec), Some(workload_status(d.status))),
                );
            }
        }
        "replicasets" | "replicaset" | "rs" => {
            for r in api.replicasets.iter().filter(|r| r.deleted.is_none() && ns_ok(&r.namespace)) {
                let spec = json!({"replicas": r.replicas, "selector": selector(&r.selector), "template": template(c, &r.template)});
                let m = meta_l(&r.namespace, &r.name, r.created, r.resource_version, &r.labels);
                push(
                    &r.namespace,
                    &r.name,
                    object("apps/v1", "ReplicaSet", m, Some(spec), Some(workload_status(r.status))),
                );
            }
        }
        "statefulsets" | "statefulset" | "sts" => {
            for x in api.statefulsets.iter().filter(|x| ns_ok(&x.namespace)) {
                let spec = json!({"replicas": x.replicas, "selector": selector(&x.selector), "template": template(c, &x.template),
                    "podManagementPolicy": format!("{:?}", x.pod_management)});
                let m = meta_l(&x.namespace, &x.name, x.created, x.resource_version, &x.labels);
                push(
                    &x.namespace,
                    &x.name,
                    object("apps/v1", "StatefulSet", m, Some(spec), Some(workload_status(x.status))),
                );
            }
        }
        "daemonsets" | "daemonset" | "ds" => {
            for d in api.daemonsets.iter().filter(|d| ns_ok(&d.namespace)) {
                let spec = json!({"selector": selector(&d.selector), "template": template(c, &d.template),
                    "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": int_or_percent(d.max_unavailable)}}});
                let status = json!({"desiredNumberScheduled": d.desired, "currentNumberScheduled": d.status.replicas,
                    "numberReady": d.status.ready, "numberAvailable": d.status.available, "updatedNumberScheduled": d.status.updated});
                let m = meta_l(&d.namespace, &d.name, d.created, d.resource_version, &d.labels);
                push(&d.namespace, &d.name, object("apps/v1", "DaemonSet", m, Some(spec), Some(status)));
            }
        }
        _ => return false,
    }
    true
}

/// Jobs and CronJobs.
fn batch(c: &Cluster, kind: &str, ns_ok: &dyn Fn(&str) -> bool, push: &mut dyn FnMut(&str, &str, Value)) -> bool {
    let api = &c.api;
    match kind {
        "jobs" | "job" => {
            for j in api.jobs.iter().filter(|j| j.deleted.is_none() && ns_ok(&j.namespace)) {
                let mut spec = json!({"parallelism": j.parallelism, "backoffLimit": j.backoff_limit, "template": template(c, &j.template)});
                if let Some(n) = j.completions {
                    spec["completions"] = json!(n);
                }
                let mut status =
                    json!({"active": j.status.active, "succeeded": j.status.succeeded, "failed": j.status.failed});
                if let Some(t) = j.status.start {
                    status["startTime"] = json!(rfc3339(t));
                }
                if let Some(t) = j.status.completion {
                    status["completionTime"] = json!(rfc3339(t));
                }
                let m = meta_l(&j.namespace, &j.name, j.created, j.resource_version, &j.labels);
                push(&j.namespace, &j.name, object("batch/v1", "Job", m, Some(spec), Some(status)));
            }
        }
        "cronjobs" | "cronjob" | "cj" => {
            for x in api.cronjobs.iter().filter(|x| ns_ok(&x.namespace)) {
                let mut spec = json!({"schedule": x.schedule_text, "concurrencyPolicy": format!("{:?}", x.concurrency),
                    "suspend": x.suspend, "successfulJobsHistoryLimit": x.successful_history, "failedJobsHistoryLimit": x.failed_history,
                    "jobTemplate": {"spec": {"template": template(c, &x.job.template)}}});
                if let Some(tz) = &x.time_zone {
                    spec["timeZone"] = json!(tz);
                }
                let active: Vec<Value> =
                    x.active.iter().map(|j| json!({"kind": "Job", "name": api.jobs[j.idx()].name})).collect();
                let mut status = json!({"active": active});
                if let Some(t) = x.last_schedule {
                    let at = SimTime(((t - crate::api::cron::VIRTUAL_EPOCH_UNIX_SECONDS).max(0) as u64) * 1000);
                    status["lastScheduleTime"] = json!(rfc3339(at));
                }
                let m = meta_l(&x.namespace, &x.name, x.created, x.resource_version, &x.labels);
                push(&x.namespace, &x.name, object("batch/v1", "CronJob", m, Some(spec), Some(status)));
            }
        }
        _ => return false,
    }
    true
}

/// Services, ConfigMaps, Secrets, ServiceAccounts, Namespaces.
/// A Service port as the API server returns it: `targetPort` a number unless it names a port.
fn port_json(p: &crate::api::service::ServicePort) -> Value {
    let target = p.target_port.parse::<i64>().map(|n| json!(n)).unwrap_or_else(|_| json!(p.target_port));
    let mut v = json!({"port": p.port, "protocol": p.protocol, "targetPort": target});
    if let Some(n) = &p.name {
        v["name"] = json!(n);
    }
    if let Some(n) = p.node_port {
        v["nodePort"] = json!(n);
    }
    v
}

fn core(c: &Cluster, kind: &str, ns_ok: &dyn Fn(&str) -> bool, push: &mut dyn FnMut(&str, &str, Value)) -> bool {
    let api = &c.api;
    match kind {
        "services" | "service" | "svc" => {
            for s in api.services.iter().filter(|s| ns_ok(&s.namespace)) {
                let ports: Vec<Value> = s.ports.iter().map(port_json).collect();
                let mut spec = json!({"type": s.type_.name(), "clusterIP": s.cluster_ip, "ports": ports});
                if let Some(sel) = &s.selector {
                    spec["selector"] = Value::Object(sel.0.iter().map(|(k, v)| (k.clone(), json!(v))).collect());
                }
                let m = meta_l(&s.namespace, &s.name, s.created, 0, &s.labels);
                push(&s.namespace, &s.name, object("v1", "Service", m, Some(spec), None));
            }
        }
        "configmaps" | "configmap" | "cm" | "secrets" | "secret" => {
            let want = if kind.starts_with("secret") { ConfigKind::Secret } else { ConfigKind::ConfigMap };
            for o in api.gates.configs().filter(|o| o.kind == want && ns_ok(&o.namespace)) {
                let created = api.gates.created_at(o.kind.kind(), &o.namespace, &o.name);
                let mut v =
                    object("v1", o.kind.kind(), meta_l(&o.namespace, &o.name, created, 0, &o.labels), None, None);
                let (mut data, mut binary) = (Map::new(), Map::new());
                for (k, val) in o.keys.iter().zip(&o.values) {
                    match (val, o.kind) {
                        // The API server keeps a Secret's stringData as base64 data.
                        (ConfigValue::Text(t), ConfigKind::Secret) => {
                            use base64::Engine;
                            data.insert(k.to_string(), json!(base64::engine::general_purpose::STANDARD.encode(&**t)))
                        }
                        (ConfigValue::Text(t), _) => data.insert(k.to_string(), json!(&**t)),
                        (ConfigValue::Base64(b, _), ConfigKind::Secret) => data.insert(k.to_string(), json!(&**b)),
                        (ConfigValue::Base64(b, _), _) => binary.insert(k.to_string(), json!(&**b)),
                    };
                }
                if !binary.is_empty() {
                    v["binaryData"] = Value::Object(binary);
                }
                if !data.is_empty() {
                    v["data"] = Value::Object(data);
                }
                if let Some(t) = &o.secret_type {
                    v["type"] = json!(&**t);
                }
                push(&o.namespace, &o.name, v);
            }
        }
        "serviceaccounts" | "serviceaccount" | "sa" => {
            for (ns, name) in api.gates.service_accounts().filter(|(ns, _)| ns_ok(ns)) {
                let created = api.gates.created_at("ServiceAccount", ns, name);
                push(ns, name, object("v1", "ServiceAccount", meta(ns, name, created, 0), None, None));
            }
        }
        "namespaces" | "namespace" | "ns" => {
            for n in api.gates.namespaces() {
                let phase = if api.gates.terminating.contains(n) { "Terminating" } else { "Active" };
                push(
                    "",
                    n,
                    object(
                        "v1",
                        "Namespace",
                        meta_l(
                            "",
                            n,
                            SimTime::ZERO,
                            0,
                            &Labels::from_pairs(vec![("kubernetes.io/metadata.name".into(), n.to_string())]),
                        ),
                        Some(json!({"finalizers": ["kubernetes"]})),
                        Some(json!({"phase": phase})),
                    ),
                );
            }
        }
        "endpointslices" | "endpointslice" => endpoint_slices(c, ns_ok, push),
        _ => return false,
    }
    true
}

/// The EndpointSlice the controller keeps per Service with a selector (`discovery.k8s.io/v1`).
fn endpoint_slices(c: &Cluster, ns_ok: &dyn Fn(&str) -> bool, push: &mut dyn FnMut(&str, &str, Value)) {
    use crate::api::network::Ip;
    use crate::controller::endpointslice::{endpoint_list, slice_ports};
    let api = &c.api;
    for s in api.services.iter().filter(|s| s.selector.is_some() && ns_ok(&s.namespace)) {
        let eps = endpoint_list(api, s);
        let name = super::listing::slice_name(s);
        let mut m = meta(&s.namespace, &name, s.created, 0);
        m["generateName"] = json!(format!("{}-", s.name));
        m["labels"] = json!({
            "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
            "kubernetes.io/service-name": s.name,
        });
        m["ownerReferences"] = json!([{
            "apiVersion": "v1", "blockOwnerDeletion": true, "controller": true, "kind": "Service", "name": s.name,
        }]);
        let endpoints: Vec<Value> = eps
            .iter()
            .map(|e| {
                let p = api.pod(e.pod);
                let mut v = json!({
                    "addresses": [Ip(e.ip).to_string()],
                    "conditions": {"ready": e.ready, "serving": p.status.ready, "terminating": e.terminating},
                    "targetRef": {"kind": "Pod", "name": p.name, "namespace": &*p.namespace},
                });
                if let Some(n) = p.node {
                    v["nodeName"] = json!(api.node(n).name);
                }
                v
            })
            .collect();
        let ports: Vec<Value> = slice_ports(api, s, &eps)
            .into_iter()
            .map(|(n, port, proto)| json!({"name": n.unwrap_or_default(), "port": port, "protocol": proto}))
            .collect();
        let mut v = object("discovery.k8s.io/v1", "EndpointSlice", m, None, None);
        v["addressType"] = json!("IPv4");
        v["endpoints"] = json!(endpoints);
        v["ports"] = json!(ports);
        push(&s.namespace, &name, v);
    }
}

/// The singular lowercase kind `-o name` prints (`deployment.apps/web`).
pub fn name_prefix(v: &Value) -> String {
    let kind = v["kind"].as_str().unwrap_or("").to_lowercase();
    match v["apiVersion"].as_str().and_then(|a| a.split_once('/')) {
        Some((group, _)) => format!("{kind}.{group}"),
        None => kind,
    }
}

/// `-o name|yaml|json` of the objects of `kind`; `None` when kubesim cannot print that kind so.
pub fn print(
    c: &Cluster,
    now: SimTime,
    kind: &str,
    namespace: Option<&str>,
    selector: Option<&LabelSelector>,
    output: &str,
) -> Option<String> {
    let objs = objects_of(c, now, kind, namespace, selector)?;
    Some(match output {
        "name" => objs.iter().map(|(n, v)| format!("{}/{n}\n", name_prefix(v))).collect(),
        "yaml" => super::objects::to_yaml(&super::objects::list(objs.into_iter().map(|x| x.1).collect())),
        _ => super::objects::to_json(&super::objects::list(objs.into_iter().map(|x| x.1).collect())),
    })
}
