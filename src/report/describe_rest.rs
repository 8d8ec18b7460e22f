//! `kubectl describe` for ReplicaSets, StatefulSets, DaemonSets, CronJobs, Namespaces and
//! PodDisruptionBudgets, in kubectl 1.34's layout (pkg/describe).

use super::describe::{Prefix, TabWriter, events};
use super::describe_more::{labels_lines, percent, pod_template, selector_text};
use super::objects::rfc1123z;
use crate::api::events::ObjRef;
use crate::api::*;
use crate::cluster::Cluster;
use crate::sim::SimTime;

/// Every name `describe` takes for a kind (plural, singular, short).
#[rustfmt::skip]
pub const KINDS: &[&str] = &[
    "pod", "pods", "po", "deployment", "deployments", "deploy", "service", "services", "svc", "job", "jobs",
    "replicaset", "replicasets", "rs", "statefulset", "statefulsets", "sts", "daemonset", "daemonsets", "ds",
    "cronjob", "cronjobs", "cj", "poddisruptionbudget", "poddisruptionbudgets", "pdb", "namespace",
    "namespaces", "ns", "limitrange", "limitranges", "limits", "resourcequota", "resourcequotas", "quota",
    "serviceaccount", "serviceaccounts", "sa", "node", "nodes", "no", "configmap", "configmaps", "cm", "secret",
    "secrets",
];

/// `Pods Status:` of an owner's pods: Running / Waiting (Pending) / Succeeded / Failed.
fn pods_status(c: &Cluster, owner: Owner) -> String {
    let mut n = [0u32; 4];
    for &p in c.api.pods_of(owner) {
        let pod = c.api.pod(p);
        if pod.removed.is_some() {
            continue;
        }
        n[match pod.status.phase {
            PodPhase::Running => 0,
            PodPhase::Succeeded => 2,
            PodPhase::Failed => 3,
            _ => 1,
        }] += 1;
    }
    format!("{} Running / {} Waiting / {} Succeeded / {} Failed", n[0], n[1], n[2], n[3])
}

fn replicaset(c: &Cluster, now: SimTime, id: RsId) -> String {
    let api = &c.api;
    let r = &api.replicasets[id.idx()];
    let mut o = Prefix(TabWriter::new(0, 2));
    o.w(0, &format!("Name:\t{}\n", r.name));
    o.w(0, &format!("Namespace:\t{}\n", r.namespace));
    o.w(0, &format!("Selector:\t{}\n", selector_text(&r.selector)));
    labels_lines(&mut o, 0, "Labels", &r.labels);
    match r.owner {
        Some(d) => {
            let dep = &api.deployments[d.idx()];
            let (surge, _) = dep.strategy.fenceposts(dep.replicas);
            o.w(0, &format!("Annotations:\tdeployment.kubernetes.io/desired-replicas: {}\n", dep.replicas));
            o.w(0, &format!("\tdeployment.kubernetes.io/max-replicas: {}\n", dep.replicas + surge));
            o.w(0, &format!("\tdeployment.kubernetes.io/revision: {}\n", r.revision));
            o.w(0, &format!("Controlled By:\tDeployment/{}\n", dep.name));
        }
        None => o.w(0, "Annotations:\t<none>\n"),
    }
    o.w(0, &format!("Replicas:\t{} current / {} desired\n", r.status.replicas, r.replicas));
    o.w(0, &format!("Pods Status:\t{}\n", pods_status(c, Owner::ReplicaSet(id))));
    pod_template(&mut o, c, &r.template);
    events(&mut o, c, ObjRef::ReplicaSet(id), now);
    o.0.finish()
}

fn statefulset(c: &Cluster, now: SimTime, id: StsId) -> String {
    let s = &c.api.statefulsets[id.idx()];
    let mut o = Prefix(TabWriter::new(0, 2));
    o.w(0, &format!("Name:\t{}\n", s.name));
    o.w(0, &format!("Namespace:\t{}\n", s.namespace));
    o.w(0, &format!("CreationTimestamp:\t{}\n", rfc1123z(s.created)));
    o.w(0, &format!("Selector:\t{}\n", selector_text(&s.selector)));
    labels_lines(&mut o, 0, "Labels", &s.labels);
    o.w(0, "Annotations:\t<none>\n");
    o.w(0, &format!("Replicas:\t{} desired | {} total\n", s.replicas, s.status.replicas));
    o.w(0, "Update Strategy:\tRollingUpdate\n");
    o.w(1, "Partition:\t0\n");
    o.w(0, &format!("Pods Status:\t{}\n", pods_status(c, Owner::StatefulSet(id))));
    pod_template(&mut o, c, &s.template);
    o.w(0, "Volume Claims:\t<none>\n");
    events(&mut o, c, ObjRef::StatefulSet(id), now);
    o.0.finish()
}

fn daemonset(c: &Cluster, now: SimTime, id: DsId) -> String {
    let d = &c.api.daemonsets[id.idx()];
    let mut o = Prefix(TabWriter::new(0, 2));
    o.w(0, &format!("Name:\t{}\n", d.name));
    o.w(0, &format!("Namespace:\t{}\n", d.namespace));
    o.w(0, &format!("Selector:\t{}\n", selector_text(&d.selector)));
    let sel: Vec<String> = d.template.spec.node_selector.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
    o.w(0, &format!("Node-Selector:\t{}\n", if sel.is_empty() { "<none>".into() } else { sel.join(",") }));
    labels_lines(&mut o, 0, "Labels", &d.labels);
    o.w(0, "Annotations:\tdeprecated.daemonset.template.generation: 1\n");
    o.w(0, &format!("Desired Number of Nodes Scheduled: {}\n", d.desired));
    o.w(0, &format!("Current Number of Nodes Scheduled: {}\n", d.status.replicas));
    o.w(0, &format!("Number of Nodes Scheduled with Up-to-date Pods: {}\n", d.status.updated));
    o.w(0, &format!("Number of Nodes Scheduled with Available Pods: {}\n", d.status.available));
    o.w(0, "Number of Nodes Misscheduled: 0\n");
    o.w(0, &format!("Pods Status:\t{}\n", pods_status(c, Owner::DaemonSet(id))));
    pod_template(&mut o, c, &d.template);
    events(&mut o, c, ObjRef::DaemonSet(id), now);
    o.0.finish()
}

fn cronjob(c: &Cluster, now: SimTime, id: CronJobId) -> String {
    let api = &c.api;
    let j = &api.cronjobs[id.idx()];
    let mut o = Prefix(TabWriter::new(0, 2));
    o.w(0, &format!("Name:\t{}\n", j.name));
    o.w(0, &format!("Namespace:\t{}\n", j.namespace));
    labels_lines(&mut o, 0, "Labels", &j.labels);
    o.w(0, "Annotations:\t<none>\n");
    o.w(0, &format!("Schedule:\t{}\n", j.schedule_text));
    o.w(0, &format!("Concurrency Policy:\t{:?}\n", j.concurrency));
    o.w(0, &format!("Suspend:\t{}\n", if j.suspend { "True" } else { "False" }));
    o.w(0, &format!("Successful Job History Limit:\t{}\n", j.successful_history));
    o.w(0, &format!("Failed Job History Limit:\t{}\n", j.failed_history));
    let sds = j.starting_deadline_s.map_or("<unset>".into(), |s| format!("{s}s"));
    o.w(0, &format!("Starting Deadline Seconds:\t{sds}\n"));
    o.w(0, "Selector:\t<unset>\n");
    o.w(0, &format!("Parallelism:\t{}\n", j.job.parallelism));
    o.w(0, &format!("Completions:\t{}\n", j.job.completions.map_or("<unset>".into(), |n| n.to_string())));
    pod_template(&mut o, c, &j.job.template);
    let last = j.last_schedule.map_or("<unset>".into(), |t| {
        rfc1123z(SimTime(((t - crate::api::cron::VIRTUAL_EPOCH_UNIX_SECONDS).max(0) as u64) * 1000))
    });
    o.w(0, &format!("Last Schedule Time:\t{last}\n"));
    let active: Vec<&str> = j.active.iter().map(|x| api.jobs[x.idx()].name.as_str()).collect();
    o.w(0, &format!("Active Jobs:\t{}\n", if active.is_empty() { "<none>".into() } else { active.join(", ") }));
    events(&mut o, c, ObjRef::CronJob(id), now);
    o.0.finish()
}

fn namespace(c: &Cluster, name: &str) -> String {
    use crate::apiserver::admission::render;
    let api = &c.api;
    let mut o = Prefix(TabWriter::new(0, 2));
    o.w(0, &format!("Name:\t{name}\n"));
    o.w(0, &format!("Labels:\tkubernetes.io/metadata.name={name}\n"));
    o.w(0, "Annotations:\t<none>\n");
    o.w(0, &format!("Status:\t{}\n", if api.gates.terminating.contains(name) { "Terminating" } else { "Active" }));
    o.w(0, "\n");
    let mut quotas: Vec<_> = api.gates.quotas.iter().filter(|q| *q.namespace == *name).collect();
    quotas.sort_by(|a, b| a.name.cmp(&b.name));
    if quotas.is_empty() {
        o.w(0, "No resource quota.\n");
    } else {
        o.w(0, "Resource Quotas\n");
        for q in quotas {
            o.w(1, &format!("Name:\t{}\n", q.name));
            o.w(1, "Resource\tUsed\tHard\n");
            o.w(1, "--------\t---\t---\n");
            for ((key, r, hard), used) in q.hard.iter().zip(api.quota_used(q)) {
                o.w(1, &format!("{key}\t{}\t{}\n", render(*r, used), render(*r, *hard)));
            }
        }
    }
    o.w(0, "\n");
    let ranges: Vec<_> = api.gates.limit_ranges.iter().filter(|l| *l.namespace == *name).collect();
    if ranges.is_empty() {
        o.w(0, "No LimitRange resource.\n");
    } else {
        o.w(0, "Resource Limits\n");
        o.w(0, " Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio\n");
        o.w(0, " ----\t--------\t---\t---\t---------------\t-------------\t-----------------------\n");
        limit_rows(&mut o, " ", &ranges);
    }
    o.0.finish()
}

/// The rows of `describeLimitRangeSpec`: one per item and resource it names, `-` where unset
/// (cpu, then memory; upstream's order is a Go map's).
fn limit_rows(o: &mut Prefix, prefix: &str, ranges: &[&crate::apiserver::admission::LimitRange]) {
    use crate::api::quantity::{format_bytes, format_millicores};
    for item in ranges.iter().flat_map(|l| &l.items) {
        let kind = if item.pod { "Pod" } else { "Container" };
        for (res, cpu) in [("cpu", true), ("memory", false)] {
            let pick = |m: &crate::apiserver::admission::CpuMem| if cpu { m.cpu } else { m.memory };
            let cells = [pick(&item.min), pick(&item.max), pick(&item.default_request), pick(&item.default)];
            if cells.iter().all(Option::is_none) {
                continue;
            }
            let show =
                |v: Option<u64>| v.map_or("-".into(), |x| if cpu { format_millicores(x) } else { format_bytes(x) });
            let [min, max, dr, dl] = cells.map(show);
            o.w(0, &format!("{prefix}{kind}\t{res}\t{min}\t{max}\t{dr}\t{dl}\t-\n"));
        }
    }
}

fn limit_range(c: &Cluster, ns: &str, name: &str) -> String {
    let ranges: Vec<_> = c.api.gates.limit_ranges.iter().filter(|l| *l.namespace == *ns && l.name == name).collect();
    let mut o = Prefix(TabWriter::new(0, 2));
    o.w(0, &format!("Name:\t{name}\n"));
    o.w(0, &format!("Namespace:\t{ns}\n"));
    o.w(0, "Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio\n");
    o.w(0, "----\t--------\t---\t---\t---------------\t-------------\t-----------------------\n");
    limit_rows(&mut o, "", &ranges);
    o.0.finish()
}

fn quota(c: &Cluster, q: &crate::apiserver::admission::ResourceQuota) -> String {
    use crate::apiserver::admission::render;
    let mut o = Prefix(TabWriter::new(0, 2));
    o.w(0, &format!("Name:\t{}\n", q.name));
    o.w(0, &format!("Namespace:\t{}\n", q.namespace));
    o.w(0, "Resource\tUsed\tHard\n");
    o.w(0, "--------\t----\t----\n");
    for ((key, r, hard), used) in q.hard.iter().zip(c.api.quota_used(q)) {
        o.w(0, &format!("{key}\t{}\t{}\n", render(*r, used), render(*r, *hard)));
    }
    o.0.finish()
}

fn service_account(c: &Cluster, now: SimTime, ns: &str, name: &str) -> String {
    let mut o = Prefix(TabWriter::new(0, 2));
    o.w(0, &format!("Name:\t{name}\n"));
    o.w(0, &format!("Namespace:\t{ns}\n"));
    o.w(0, "Labels:\t<none>\n");
    o.w(0, "Annotations:\t<none>\n");
    o.w(0, "Image pull secrets:\t<none>\n");
    o.w(0, "Mountable secrets: \t<none>\n");
    o.w(0, "Tokens:            \t<none>\n");
    let _ = (c, now);
    o.w(0, "Events:\t<none>\n");
    o.0.finish()
}

/// `ConfigMapDescriber`: each `data` value under its key, then `binaryData` sizes.
fn config_map(o: &crate::api::ConfigObject) -> String {
    let mut w = Prefix(TabWriter::new(0, 2));
    w.w(0, &format!("Name:\t{}\n", o.name));
    w.w(0, &format!("Namespace:\t{}\n", o.namespace));
    labels_lines(&mut w, 0, "Labels", &o.labels);
    w.w(0, "Annotations:\t<none>\n");
    w.w(0, "\nData\n====\n");
    for (k, v) in o.keys.iter().zip(&o.values) {
        if let ConfigValue::Text(t) = v {
            w.w(0, &format!("{k}:\n----\n{t}\n\n"));
        }
    }
    w.w(0, "\nBinaryData\n====\n");
    for (k, v) in o.keys.iter().zip(&o.values) {
        if let ConfigValue::Base64(_, n) = v {
            w.w(0, &format!("{k}: {n} bytes\n"));
        }
    }
    w.w(0, "\n");
    w.w(0, "Events:\t<none>\n");
    w.0.finish()
}

/// `describeSecret`: the type, then each key's size (never its value).
fn secret(o: &crate::api::ConfigObject) -> String {
    let mut w = Prefix(TabWriter::new(0, 2));
    w.w(0, &format!("Name:\t{}\n", o.name));
    w.w(0, &format!("Namespace:\t{}\n", o.namespace));
    labels_lines(&mut w, 0, "Labels", &o.labels);
    w.w(0, "Annotations:\t<none>\n");
    w.w(0, &format!("\nType:\t{}\n", o.secret_type.as_deref().unwrap_or("Opaque")));
    w.w(0, "\nData\n====\n");
    for (k, v) in o.keys.iter().zip(&o.values) {
        w.w(0, &format!("{k}:\t{} bytes\n", v.len()));
    }
    w.0.finish()
}

fn pdb(c: &Cluster, now: SimTime, id: PdbId) -> String {
    let b = &c.api.pdbs[id.idx()];
    let mut o = Prefix(TabWriter::new(0, 2));
    o.w(0, &format!("Name:\t{}\n", b.name));
    o.w(0, &format!("Namespace:\t{}\n", b.namespace));
    if let Some(v) = b.min_available {
        o.w(0, &format!("Min available:\t{}\n", percent(v)));
    }
    if let Some(v) = b.max_unavailable {
        o.w(0, &format!("Max unavailable:\t{}\n", percent(v)));
    }
    o.w(0, &format!("Selector:\t{}\n", selector_text(&b.selector)));
    o.w(0, "Status:\n");
    o.w(2, &format!("Allowed disruptions:\t{}\n", b.status.disruptions_allowed));
    o.w(2, &format!("Current:\t{}\n", b.status.current_healthy));
    o.w(2, &format!("Desired:\t{}\n", b.status.desired_healthy));
    o.w(2, &format!("Total:\t{}\n", b.status.expected_pods));
    events(&mut o, c, ObjRef::PodDisruptionBudget(id), now);
    o.0.finish()
}

/// `kubectl describe KIND NAME` for these kinds; `None`: not one of them.
pub fn describe(c: &Cluster, now: SimTime, kind: &str, ns: &str, name: &str) -> Option<Result<String, String>> {
    let api = &c.api;
    let missing = |what: &str| format!("{what} {name:?} not found");
    let pos = |hit: Option<usize>, what: &str| hit.ok_or_else(|| missing(what));
    Some(match kind.to_ascii_lowercase().as_str() {
        "replicaset" | "replicasets" | "rs" => {
            let found = api.replicasets.iter().position(|r| r.deleted.is_none() && r.namespace == ns && r.name == name);
            pos(found, "replicasets.apps").map(|i| replicaset(c, now, RsId(i as u32)))
        }
        "statefulset" | "statefulsets" | "sts" => {
            pos(api.statefulsets.iter().position(|r| r.namespace == ns && r.name == name), "statefulsets.apps")
                .map(|i| statefulset(c, now, StsId(i as u32)))
        }
        "daemonset" | "daemonsets" | "ds" => {
            pos(api.daemonsets.iter().position(|r| r.namespace == ns && r.name == name), "daemonsets.apps")
                .map(|i| daemonset(c, now, DsId(i as u32)))
        }
        "cronjob" | "cronjobs" | "cj" => {
            pos(api.cronjobs.iter().position(|r| r.namespace == ns && r.name == name), "cronjobs.batch")
                .map(|i| cronjob(c, now, CronJobId(i as u32)))
        }
        "poddisruptionbudget" | "poddisruptionbudgets" | "pdb" => {
            pos(api.pdbs.iter().position(|r| r.namespace == ns && r.name == name), "poddisruptionbudgets.policy")
                .map(|i| pdb(c, now, PdbId(i as u32)))
        }
        "limitrange" | "limitranges" | "limits" => {
            match api.gates.limit_ranges.iter().any(|l| *l.namespace == *ns && l.name == name) {
                true => Ok(limit_range(c, ns, name)),
                false => Err(missing("limitranges")),
            }
        }
        "resourcequota" | "resourcequotas" | "quota" => {
            match api.gates.quotas.iter().find(|q| *q.namespace == *ns && q.name == name) {
                Some(q) => Ok(quota(c, q)),
                None => Err(missing("resourcequotas")),
            }
        }
        "serviceaccount" | "serviceaccounts" | "sa" => match api.gates.has_service_account(ns, name) {
            true => Ok(service_account(c, now, ns, name)),
            false => Err(missing("serviceaccounts")),
        },
        "configmap" | "configmaps" | "cm" => match api.gates.config(ConfigKind::ConfigMap, ns, name) {
            Some(o) => Ok(config_map(&o)),
            None => Err(missing("configmaps")),
        },
        "secret" | "secrets" => match api.gates.config(ConfigKind::Secret, ns, name) {
            Some(o) => Ok(secret(&o)),
            None => Err(missing("secrets")),
        },
        "namespace" | "namespaces" | "ns" => match api.gates.namespaces().any(|n| n == name) {
            true => Ok(namespace(c, name)),
            false => Err(missing("namespaces")),
        },
        _ => return None,
    })
}
