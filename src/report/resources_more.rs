//! `-o yaml|json|name` for nodes, PodDisruptionBudgets, ResourceQuotas and LimitRanges: the
//! fields kubesim models, as the API server returns them.

use super::objects::rfc3339;
use crate::api::network::Ip;
use crate::api::quantity::{format_bytes, format_millicores};
use crate::api::*;
use crate::cluster::Cluster;
use crate::sim::SimTime;
use serde_json::{Map, Value, json};

fn labels(l: &Labels) -> Value {
    Value::Object(l.0.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
}

fn resources(c: &Cluster, r: Resources, pods: u32) -> Value {
    let mut m = Map::new();
    m.insert("cpu".into(), json!(format_millicores(r.cpu_milli)));
    m.insert("memory".into(), json!(format_bytes(r.memory)));
    if r.storage > 0 {
        m.insert("ephemeral-storage".into(), json!(format_bytes(r.storage)));
    }
    for (i, name) in c.scenario.scheduler.extended_resources.iter().enumerate() {
        m.insert(name.clone(), json!(r.ext[i].to_string()));
    }
    m.insert("pods".into(), json!(pods.to_string()));
    Value::Object(m)
}

fn node(c: &Cluster, id: NodeId, now: SimTime) -> Value {
    let n = c.api.node(id);
    let (major, minor) = c.scenario.kubernetes.version;
    let mut spec = json!({});
    if let Some(cidr) = n.pod_cidr {
        spec["podCIDR"] = json!(cidr.to_string());
        spec["podCIDRs"] = json!([cidr.to_string()]);
    }
    if !n.taints.is_empty() {
        let t: Vec<Value> = (n.taints.iter())
            .map(|t| {
                let mut v = json!({"effect": t.effect.as_str(), "key": t.key});
                if !t.value.is_empty() {
                    v["value"] = json!(t.value);
                }
                v
            })
            .collect();
        spec["taints"] = json!(t);
    }
    if n.unschedulable {
        spec["unschedulable"] = json!(true);
    }
    let ready = super::describe_node::ready_row(n);
    let status = json!({
        "addresses": [{"address": Ip(n.address).to_string(), "type": "InternalIP"}, {"address": n.name, "type": "Hostname"}],
        "allocatable": resources(c, n.allocatable, n.pods),
        "capacity": resources(c, n.capacity, n.pods),
        "conditions": [{"lastHeartbeatTime": rfc3339(c.api.lease_renew_time(id, now)),
            "message": ready.2, "reason": ready.1, "status": ready.0, "type": "Ready"}],
        "nodeInfo": {"architecture": "amd64", "containerRuntimeVersion": crate::api::node::NODE_CONTAINER_RUNTIME,
            "kubeletVersion": format!("v{major}.{minor}.0"), "operatingSystem": "linux"},
    });
    let meta = json!({"creationTimestamp": rfc3339(n.created), "labels": labels(&n.labels), "name": n.name,
        "resourceVersion": n.resource_version.to_string()});
    json!({"apiVersion": "v1", "kind": "Node", "metadata": meta, "spec": spec, "status": status})
}

fn namespaced(ns: &str, name: &str, l: Option<&Labels>) -> Value {
    let mut m =
        json!({"creationTimestamp": rfc3339(SimTime::ZERO), "name": name, "namespace": ns, "resourceVersion": "0"});
    if let Some(l) = l.filter(|l| !l.0.is_empty()) {
        m["labels"] = labels(l);
    }
    m
}

fn cpu_mem(m: &crate::apiserver::admission::CpuMem) -> Option<Value> {
    let mut o = Map::new();
    if let Some(c) = m.cpu {
        o.insert("cpu".into(), json!(format_millicores(c)));
    }
    if let Some(v) = m.memory {
        o.insert("memory".into(), json!(format_bytes(v)));
    }
    (!o.is_empty()).then_some(Value::Object(o))
}

/// Nodes, PodDisruptionBudgets, ResourceQuotas and LimitRanges; false for other kinds.
pub(super) fn more(
    c: &Cluster,
    now: SimTime,
    kind: &str,
    ns_ok: &dyn Fn(&str) -> bool,
    push: &mut dyn FnMut(&str, &str, Value),
) -> bool {
    use crate::apiserver::admission::render;
    let api = &c.api;
    match kind {
        "nodes" | "node" | "no" => {
            for (i, n) in api.nodes.iter().enumerate().filter(|(_, n)| n.deleted.is_none()) {
                push("", &n.name, node(c, NodeId(i as u32), now));
            }
        }
        "poddisruptionbudgets" | "poddisruptionbudget" | "pdb" => {
            for b in api.pdbs.iter().filter(|b| ns_ok(&b.namespace)) {
                let mut spec = json!({"selector": super::resources::selector(&b.selector)});
                if let Some(v) = b.min_available {
                    spec["minAvailable"] = super::resources::int_or_percent(v);
                }
                if let Some(v) = b.max_unavailable {
                    spec["maxUnavailable"] = super::resources::int_or_percent(v);
                }
                let st = b.status;
                let status = json!({"currentHealthy": st.current_healthy, "desiredHealthy": st.desired_healthy,
                    "disruptionsAllowed": st.disruptions_allowed, "expectedPods": st.expected_pods});
                let v = json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                    "metadata": namespaced(&b.namespace, &b.name, Some(&b.labels)), "spec": spec, "status": status});
                push(&b.namespace, &b.name, v);
            }
        }
        "resourcequotas" | "resourcequota" | "quota" => {
            for q in api.gates.quotas.iter().filter(|q| ns_ok(&q.namespace)) {
                let hard: Map<String, Value> =
                    q.hard.iter().map(|(k, r, h)| (k.clone(), json!(render(*r, *h)))).collect();
                let used: Map<String, Value> = q
                    .hard
                    .iter()
                    .zip(api.quota_used(q))
                    .map(|((k, r, _), u)| (k.clone(), json!(render(*r, u))))
                    .collect();
                let v = json!({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": namespaced(&q.namespace, &q.name, None),
                    "spec": {"hard": hard.clone()}, "status": {"hard": hard, "used": used}});
                push(&q.namespace, &q.name, v);
            }
        }
        "limitranges" | "limitrange" | "limits" => {
            for l in api.gates.limit_ranges.iter().filter(|l| ns_ok(&l.namespace)) {
                let items: Vec<Value> = (l.items.iter())
                    .map(|i| {
                        let mut v = json!({"type": if i.pod { "Pod" } else { "Container" }});
                        for (k, m) in [
                            ("default", &i.default),
                            ("defaultRequest", &i.default_request),
                            ("max", &i.max),
                            ("min", &i.min),
                        ] {
                            if let Some(x) = cpu_mem(m) {
                                v[k] = x;
                            }
                        }
                        v
                    })
                    .collect();
                let v = json!({"apiVersion": "v1", "kind": "LimitRange", "metadata": namespaced(&l.namespace, &l.name, None),
                    "spec": {"limits": items}});
                push(&l.namespace, &l.name, v);
            }
        }
        _ => return false,
    }
    true
}
