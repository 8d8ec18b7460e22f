//! `kubectl get` for the kinds beyond pods, nodes and events: each table with kubectl's
//! columns (its table printers' column definitions), namespaced as `-n` / `-A` ask.

use super::kubectl::{get_cronjobs, get_deployments, get_jobs, get_services, human_duration, namespaced_table};
use crate::api::*;
use crate::cluster::Cluster;
use crate::sim::SimTime;

/// A `get` view: the cluster at `now`, for a namespace or (`None`) all of them.
pub type ListView = fn(&Cluster, SimTime, Option<&str>) -> String;

/// The view of a resource as `kubectl get` names it: plural, singular or short name.
pub fn view_of(kind: &str) -> Option<ListView> {
    Some(match kind.to_ascii_lowercase().as_str() {
        "deployments" | "deployment" | "deploy" => get_deployments,
        "services" | "service" | "svc" => get_services,
        "jobs" | "job" => get_jobs,
        "cronjobs" | "cronjob" | "cj" => get_cronjobs,
        "replicasets" | "replicaset" | "rs" => get_replicasets,
        "statefulsets" | "statefulset" | "sts" => get_statefulsets,
        "daemonsets" | "daemonset" | "ds" => get_daemonsets,
        "poddisruptionbudgets" | "poddisruptionbudget" | "pdb" => get_pdbs,
        "configmaps" | "configmap" | "cm" => get_configmaps,
        "secrets" | "secret" => get_secrets,
        "serviceaccounts" | "serviceaccount" | "sa" => get_service_accounts,
        "namespaces" | "namespace" | "ns" => get_namespaces,
        "resourcequotas" | "resourcequota" | "quota" => get_quotas,
        "limitranges" | "limitrange" | "limits" => get_limit_ranges,
        "endpointslices" | "endpointslice" => get_endpoint_slices,
        _ => return None,
    })
}

fn age(now: SimTime, t: SimTime) -> String {
    human_duration(now.since(t))
}

fn in_ns(namespace: Option<&str>, ns: &str) -> bool {
    namespace.is_none_or(|x| x == ns)
}

fn get_replicasets(c: &Cluster, now: SimTime, namespace: Option<&str>) -> String {
    let rows = (c.api.replicasets.iter().filter(|r| in_ns(namespace, &r.namespace)))
        .map(|r| {
            let row = vec![
                r.name.clone(),
                r.replicas.to_string(),
                r.status.replicas.to_string(),
                r.status.ready.to_string(),
                age(now, r.created),
            ];
            (r.namespace.clone(), row)
        })
        .collect();
    namespaced_table(namespace, &["NAME", "DESIRED", "CURRENT", "READY", "AGE"], rows)
}

fn get_statefulsets(c: &Cluster, now: SimTime, namespace: Option<&str>) -> String {
    let rows = (c.api.statefulsets.iter().filter(|s| in_ns(namespace, &s.namespace)))
        .map(|s| {
            let row = vec![s.name.clone(), format!("{}/{}", s.status.ready, s.replicas), age(now, s.created)];
            (s.namespace.clone(), row)
        })
        .collect();
    namespaced_table(namespace, &["NAME", "READY", "AGE"], rows)
}

fn get_daemonsets(c: &Cluster, now: SimTime, namespace: Option<&str>) -> String {
    let rows = (c.api.daemonsets.iter().filter(|d| in_ns(namespace, &d.namespace)))
        .map(|d| {
            let sel: Vec<String> = d.template.spec.node_selector.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let row = vec![
                d.name.clone(),
                d.desired.to_string(),
                d.status.replicas.to_string(),
                d.status.ready.to_string(),
                d.status.updated.to_string(),
                d.status.available.to_string(),
                if sel.is_empty() { "<none>".into() } else { sel.join(",") },
                age(now, d.created),
            ];
            (d.namespace.clone(), row)
        })
        .collect();
    let head = ["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE"];
    namespaced_table(namespace, &head, rows)
}

fn get_pdbs(c: &Cluster, now: SimTime, namespace: Option<&str>) -> String {
    let show = |v: Option<IntOrPercent>| match v {
        Some(IntOrPercent::Int(n)) => n.to_string(),
        Some(IntOrPercent::Percent(p)) => format!("{p}%"),
        None => "N/A".into(),
    };
    let rows = (c.api.pdbs.iter().filter(|b| in_ns(namespace, &b.namespace)))
        .map(|b| {
            let row = vec![
                b.name.clone(),
                show(b.min_available),
                show(b.max_unavailable),
                b.status.disruptions_allowed.to_string(),
                age(now, SimTime::ZERO),
            ];
            (b.namespace.clone(), row)
        })
        .collect();
    namespaced_table(namespace, &["NAME", "MIN AVAILABLE", "MAX UNAVAILABLE", "ALLOWED DISRUPTIONS", "AGE"], rows)
}

fn configs(c: &Cluster, now: SimTime, namespace: Option<&str>, kind: ConfigKind) -> String {
    let g = &c.api.gates;
    let rows = (g.configs().filter(|o| o.kind == kind && in_ns(namespace, &o.namespace)))
        .map(|o| {
            let mut row = vec![o.name.to_string()];
            if let Some(t) = &o.secret_type {
                row.push(t.to_string());
            }
            row.push(o.keys.len().to_string());
            row.push(age(now, g.created_at(kind.kind(), &o.namespace, &o.name)));
            (o.namespace.to_string(), row)
        })
        .collect();
    match kind {
        ConfigKind::ConfigMap => namespaced_table(namespace, &["NAME", "DATA", "AGE"], rows),
        ConfigKind::Secret => namespaced_table(namespace, &["NAME", "TYPE", "DATA", "AGE"], rows),
    }
}

fn get_configmaps(c: &Cluster, now: SimTime, namespace: Option<&str>) -> String {
    configs(c, now, namespace, ConfigKind::ConfigMap)
}

fn get_secrets(c: &Cluster, now: SimTime, namespace: Option<&str>) -> String {
    configs(c, now, namespace, ConfigKind::Secret)
}

/// The EndpointSlice the controller keeps for a Service with a selector: `generateName`
/// `<service>-` and five characters (derived from the Service's name, so runs repeat).
pub fn slice_name(s: &crate::api::service::Service) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.namespace.bytes().chain([b'/']).chain(s.name.bytes()) {
        h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    let a = crate::controller::NAME_ALPHABET;
    let suffix: String = (0..5).map(|i| a[((h >> (i * 8)) % a.len() as u64) as usize] as char).collect();
    format!("{}-{suffix}", s.name)
}

/// kubectl's `+ N more...` for lists over three (`listWithMoreString`); `<unset>` when empty.
fn three_and_more(items: Vec<String>) -> String {
    match items.len() {
        0 => "<unset>".into(),
        1..=3 => items.join(","),
        n => format!("{} + {} more...", items[..3].join(","), n - 3),
    }
}

fn get_endpoint_slices(c: &Cluster, now: SimTime, namespace: Option<&str>) -> String {
    use crate::controller::endpointslice::{endpoint_list, slice_ports};
    let rows = (c.api.services.iter().filter(|s| s.selector.is_some() && in_ns(namespace, &s.namespace)))
        .map(|s| {
            let eps = endpoint_list(&c.api, s);
            let ports = slice_ports(&c.api, s, &eps).into_iter().map(|(_, p, _)| p.to_string()).collect();
            let ips = eps.iter().map(|e| crate::api::network::Ip(e.ip).to_string()).collect();
            let row =
                vec![slice_name(s), "IPv4".into(), three_and_more(ports), three_and_more(ips), age(now, s.created)];
            (s.namespace.to_string(), row)
        })
        .collect();
    namespaced_table(namespace, &["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"], rows)
}

fn get_service_accounts(c: &Cluster, now: SimTime, namespace: Option<&str>) -> String {
    let g = &c.api.gates;
    let rows = (g.service_accounts().filter(|(ns, _)| in_ns(namespace, ns)))
        .map(|(ns, name)| {
            (ns.to_string(), vec![name.to_string(), "0".into(), age(now, g.created_at("ServiceAccount", ns, name))])
        })
        .collect();
    namespaced_table(namespace, &["NAME", "SECRETS", "AGE"], rows)
}

/// Namespaces are cluster-scoped: `-n` does not filter them. A deleted namespace shows
/// Terminating while pods of it remain, then is gone.
fn get_namespaces(c: &Cluster, now: SimTime, _: Option<&str>) -> String {
    let g = &c.api.gates;
    let rows = g
        .namespaces()
        .filter_map(|n| {
            let status = if !g.terminating.contains(n) {
                "Active"
            } else if c.api.pods.iter().any(|p| p.removed.is_none() && *p.namespace == *n) {
                "Terminating"
            } else {
                return None;
            };
            Some((String::new(), vec![n.to_string(), status.into(), age(now, SimTime::ZERO)]))
        })
        .collect();
    namespaced_table(Some(""), &["NAME", "STATUS", "AGE"], rows)
}

fn get_quotas(c: &Cluster, now: SimTime, namespace: Option<&str>) -> String {
    use crate::apiserver::admission::render;
    let api = &c.api;
    let rows = (api.gates.quotas.iter().filter(|q| in_ns(namespace, &q.namespace)))
        .map(|q| {
            let (mut req, mut lim) = (Vec::new(), Vec::new());
            for ((key, r, hard), used) in q.hard.iter().zip(api.quota_used(q)) {
                let cell = format!("{key}: {}/{}", render(*r, used), render(*r, *hard));
                if key.starts_with("limits.") { lim.push(cell) } else { req.push(cell) }
            }
            let row = vec![q.name.clone(), req.join(", "), lim.join(", "), age(now, SimTime::ZERO)];
            (q.namespace.to_string(), row)
        })
        .collect();
    namespaced_table(namespace, &["NAME", "REQUEST", "LIMIT", "AGE"], rows)
}

fn get_limit_ranges(c: &Cluster, _now: SimTime, namespace: Option<&str>) -> String {
    let rows = (c.api.gates.limit_ranges.iter().filter(|l| in_ns(namespace, &l.namespace)))
        .map(|l| (l.namespace.to_string(), vec![l.name.clone(), super::objects::rfc3339(SimTime::ZERO)]))
        .collect();
    namespaced_table(namespace, &["NAME", "CREATED AT"], rows)
}
