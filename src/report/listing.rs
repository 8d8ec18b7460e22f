//! `kubectl get` for the kinds beyond pods, nodes and events: each table with kubectl's
//! columns (its table printers' column definitions), namespaced as `-n` / `-A` ask.

use super::describe_more::selector_text;
use super::kubectl::{human_duration, table};
use crate::api::*;
use crate::cluster::Cluster;
use crate::sim::SimTime;

/// A `get` view: the cluster at `now`, as the query asks.
pub type ListView = fn(&Cluster, SimTime, &ListQuery) -> String;

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
        "nodes" | "node" | "no" => get_nodes,
        _ => return None,
    })
}

/// What a `get` asks of a list: the namespace (`None`: `-A`), `-l`, `-o wide`, `--show-labels`.
#[derive(Clone, Copy, Default)]
pub struct ListQuery<'a> {
    pub namespace: Option<&'a str>,
    pub selector: Option<&'a LabelSelector>,
    pub wide: bool,
    pub show_labels: bool,
}

impl<'a> ListQuery<'a> {
    /// The plain table of one namespace (or all).
    pub fn ns(namespace: Option<&'a str>) -> ListQuery<'a> {
        ListQuery { namespace, ..Default::default() }
    }

    fn in_ns(&self, ns: &str) -> bool {
        self.namespace.is_none_or(|x| x == ns)
    }

    /// kubectl's table: rows the selector keeps, sorted by (namespace, name), the `-o wide`
    /// columns and LABELS when asked, NAMESPACE first with `-A`; "No resources found" when
    /// none is left.
    fn table(&self, head: &[&str], wide_head: &[&str], rows: Vec<Row>) -> String {
        let mut rows: Vec<Row> =
            rows.into_iter().filter(|r| self.selector.is_none_or(|s| s.matches(&r.labels))).collect();
        if rows.is_empty() {
            return match self.namespace {
                Some(ns) if !ns.is_empty() => format!("No resources found in {ns} namespace.\n"),
                _ => "No resources found\n".into(),
            };
        }
        rows.sort_by(|a, b| (&a.ns, &a.cells[0]).cmp(&(&b.ns, &b.cells[0])));
        let all = self.namespace.is_none();
        let mut head: Vec<String> = head.iter().map(|h| h.to_string()).collect();
        if self.wide {
            head.extend(wide_head.iter().map(|h| h.to_string()));
        }
        if self.show_labels {
            head.push("LABELS".into());
        }
        let mut out = vec![all.then(|| "NAMESPACE".to_string()).into_iter().chain(head).collect::<Vec<_>>()];
        for r in rows {
            let mut cells: Vec<String> = all.then_some(r.ns).into_iter().chain(r.cells).collect();
            if self.wide {
                cells.extend(r.wide);
            }
            if self.show_labels {
                cells.push(label_text(&r.labels));
            }
            out.push(cells);
        }
        table(&out)
    }
}

/// `--show-labels`: `k=v,...` sorted by key, or `<none>`.
pub fn label_text(l: &Labels) -> String {
    let v: Vec<String> = l.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if v.is_empty() { "<none>".into() } else { v.join(",") }
}

/// One object's line: its namespace, its cells, its `-o wide` cells, its labels.
pub struct Row {
    ns: String,
    cells: Vec<String>,
    wide: Vec<String>,
    labels: Labels,
}

impl Row {
    fn new(ns: impl Into<String>, cells: Vec<String>, labels: &Labels) -> Row {
        Row { ns: ns.into(), cells, wide: Vec::new(), labels: labels.clone() }
    }

    fn wide(mut self, cells: Vec<String>) -> Row {
        self.wide = cells;
        self
    }
}

/// The `-o wide` CONTAINERS and IMAGES of a pod template.
fn containers_images(c: &Cluster, t: &PodTemplate) -> [String; 2] {
    let names: Vec<&str> = t.spec.containers.iter().map(|x| x.name.as_str()).collect();
    let images: Vec<&str> = t.spec.containers.iter().map(|x| c.scenario.images[x.image.idx()].name.as_str()).collect();
    [names.join(","), images.join(",")]
}

fn age(now: SimTime, t: SimTime) -> String {
    human_duration(now.since(t))
}

fn get_replicasets(c: &Cluster, now: SimTime, q: &ListQuery) -> String {
    let rows = (c.api.replicasets.iter().filter(|r| r.deleted.is_none() && q.in_ns(&r.namespace)))
        .map(|r| {
            let row = vec![
                r.name.clone(),
                r.replicas.to_string(),
                r.status.replicas.to_string(),
                r.status.ready.to_string(),
                age(now, r.created),
            ];
            let [cs, is] = containers_images(c, &r.template);
            Row::new(&r.namespace, row, &r.labels).wide(vec![cs, is, selector_text(&r.selector)])
        })
        .collect();
    q.table(&["NAME", "DESIRED", "CURRENT", "READY", "AGE"], &["CONTAINERS", "IMAGES", "SELECTOR"], rows)
}

fn get_statefulsets(c: &Cluster, now: SimTime, q: &ListQuery) -> String {
    let rows = (c.api.statefulsets.iter().filter(|s| q.in_ns(&s.namespace)))
        .map(|s| {
            let row = vec![s.name.clone(), format!("{}/{}", s.status.ready, s.replicas), age(now, s.created)];
            Row::new(&s.namespace, row, &s.labels).wide(containers_images(c, &s.template).to_vec())
        })
        .collect();
    q.table(&["NAME", "READY", "AGE"], &["CONTAINERS", "IMAGES"], rows)
}

fn get_daemonsets(c: &Cluster, now: SimTime, q: &ListQuery) -> String {
    let rows = (c.api.daemonsets.iter().filter(|d| q.in_ns(&d.namespace)))
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
            let [cs, is] = containers_images(c, &d.template);
            Row::new(&d.namespace, row, &d.labels).wide(vec![cs, is, selector_text(&d.selector)])
        })
        .collect();
    let head = ["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE"];
    q.table(&head, &["CONTAINERS", "IMAGES", "SELECTOR"], rows)
}

fn get_pdbs(c: &Cluster, now: SimTime, q: &ListQuery) -> String {
    let show = |v: Option<IntOrPercent>| match v {
        Some(IntOrPercent::Int(n)) => n.to_string(),
        Some(IntOrPercent::Percent(p)) => format!("{p}%"),
        None => "N/A".into(),
    };
    let rows = (c.api.pdbs.iter().filter(|b| q.in_ns(&b.namespace)))
        .map(|b| {
            let row = vec![
                b.name.clone(),
                show(b.min_available),
                show(b.max_unavailable),
                b.status.disruptions_allowed.to_string(),
                age(now, SimTime::ZERO),
            ];
            Row::new(&b.namespace, row, &b.labels)
        })
        .collect();
    q.table(&["NAME", "MIN AVAILABLE", "MAX UNAVAILABLE", "ALLOWED DISRUPTIONS", "AGE"], &[], rows)
}

fn configs(c: &Cluster, now: SimTime, q: &ListQuery, kind: ConfigKind) -> String {
    let g = &c.api.gates;
    let rows = (g.configs().filter(|o| o.kind == kind && q.in_ns(&o.namespace)))
        .map(|o| {
            let mut row = vec![o.name.to_string()];
            if let Some(t) = &o.secret_type {
                row.push(t.to_string());
            }
            row.push(o.keys.len().to_string());
            row.push(age(now, g.created_at(kind.kind(), &o.namespace, &o.name)));
            Row::new(&*o.namespace, row, &o.labels)
        })
        .collect();
    match kind {
        ConfigKind::ConfigMap => q.table(&["NAME", "DATA", "AGE"], &[], rows),
        ConfigKind::Secret => q.table(&["NAME", "TYPE", "DATA", "AGE"], &[], rows),
    }
}

fn get_configmaps(c: &Cluster, now: SimTime, q: &ListQuery) -> String {
    configs(c, now, q, ConfigKind::ConfigMap)
}

fn get_secrets(c: &Cluster, now: SimTime, q: &ListQuery) -> String {
    configs(c, now, q, ConfigKind::Secret)
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

fn get_endpoint_slices(c: &Cluster, now: SimTime, q: &ListQuery) -> String {
    use crate::controller::endpointslice::{endpoint_list, slice_ports};
    let rows = (c.api.services.iter().filter(|s| s.selector.is_some() && q.in_ns(&s.namespace)))
        .map(|s| {
            let eps = endpoint_list(&c.api, s);
            let ports = slice_ports(&c.api, s, &eps).into_iter().map(|(_, p, _)| p.to_string()).collect();
            let ips = eps.iter().map(|e| crate::api::network::Ip(e.ip).to_string()).collect();
            let row =
                vec![slice_name(s), "IPv4".into(), three_and_more(ports), three_and_more(ips), age(now, s.created)];
            // The controller labels its slices with the Service's name and itself.
            let labels = Labels::from_pairs(vec![
                ("endpointslice.kubernetes.io/managed-by".into(), "endpointslice-controller.k8s.io".into()),
                ("kubernetes.io/service-name".into(), s.name.clone()),
            ]);
            Row::new(&*s.namespace, row, &labels)
        })
        .collect();
    q.table(&["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"], &[], rows)
}

fn get_service_accounts(c: &Cluster, now: SimTime, q: &ListQuery) -> String {
    let g = &c.api.gates;
    let rows = (g.service_accounts().filter(|(ns, _)| q.in_ns(ns)))
        .map(|(ns, name)| {
            let row = vec![name.to_string(), "0".into(), age(now, g.created_at("ServiceAccount", ns, name))];
            Row::new(ns, row, &Labels::default())
        })
        .collect();
    q.table(&["NAME", "SECRETS", "AGE"], &[], rows)
}

/// Namespaces are cluster-scoped: `-n` does not filter them. A deleted namespace shows
/// Terminating while pods of it remain, then is gone.
fn get_namespaces(c: &Cluster, now: SimTime, q: &ListQuery) -> String {
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
            let labels = Labels::from_pairs(vec![("kubernetes.io/metadata.name".into(), n.to_string())]);
            Some(Row::new(String::new(), vec![n.to_string(), status.into(), age(now, SimTime::ZERO)], &labels))
        })
        .collect();
    ListQuery { namespace: Some(""), ..*q }.table(&["NAME", "STATUS", "AGE"], &[], rows)
}

fn get_quotas(c: &Cluster, now: SimTime, query: &ListQuery) -> String {
    use crate::apiserver::admission::render;
    let api = &c.api;
    let rows = (api.gates.quotas.iter().filter(|q| query.in_ns(&q.namespace)))
        .map(|q| {
            let (mut req, mut lim) = (Vec::new(), Vec::new());
            for ((key, r, hard), used) in q.hard.iter().zip(api.quota_used(q)) {
                let cell = format!("{key}: {}/{}", render(*r, used), render(*r, *hard));
                if key.starts_with("limits.") { lim.push(cell) } else { req.push(cell) }
            }
            let row = vec![q.name.clone(), req.join(", "), lim.join(", "), age(now, SimTime::ZERO)];
            Row::new(&*q.namespace, row, &Labels::default())
        })
        .collect();
    query.table(&["NAME", "REQUEST", "LIMIT", "AGE"], &[], rows)
}

fn get_limit_ranges(c: &Cluster, _now: SimTime, q: &ListQuery) -> String {
    let rows = (c.api.gates.limit_ranges.iter().filter(|l| q.in_ns(&l.namespace)))
        .map(|l| {
            Row::new(&*l.namespace, vec![l.name.clone(), super::objects::rfc3339(SimTime::ZERO)], &Labels::default())
        })
        .collect();
    q.table(&["NAME", "CREATED AT"], &[], rows)
}

/// `kubectl get deployments [-n NS | -A]` at the cluster's current time.
pub fn get_deployments(c: &Cluster, now: SimTime, q: &ListQuery) -> String {
    let rows = c
        .api
        .deployments
        .iter()
        .filter(|d| q.in_ns(&d.namespace))
        .map(|d| {
            let row = vec![
                d.name.clone(),
                format!("{}/{}", d.status.ready, d.replicas),
                d.status.updated.to_string(),
                d.status.available.to_string(),
                human_duration(now.since(d.created)),
            ];
            let [cs, is] = containers_images(c, &d.template);
            Row::new(&d.namespace, row, &d.labels).wide(vec![cs, is, selector_text(&d.selector)])
        })
        .collect();
    q.table(&["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], &["CONTAINERS", "IMAGES", "SELECTOR"], rows)
}

/// `kubectl get jobs`: STATUS (Running, Complete, Failed), COMPLETIONS, DURATION, AGE.
pub fn get_jobs(c: &Cluster, now: SimTime, q: &ListQuery) -> String {
    let rows = c
        .api
        .jobs
        .iter()
        .filter(|j| j.deleted.is_none() && q.in_ns(&j.namespace))
        .map(|j| {
            let status = match j.status.condition {
                Some(JobCondition::Complete) => "Complete",
                Some(JobCondition::Failed(_)) => "Failed",
                None => "Running",
            };
            let completions = match j.completions {
                Some(n) => format!("{}/{n}", j.status.succeeded),
                None => format!("{}/1 of {}", j.status.succeeded, j.parallelism),
            };
            let duration = match (j.status.start, j.status.completion) {
                (Some(s), Some(e)) => human_duration(e.since(s)),
                (Some(s), None) => human_duration(now.since(s)),
                _ => String::new(),
            };
            let row = vec![j.name.clone(), status.into(), completions, duration, human_duration(now.since(j.created))];
            // The Job's selector: the controller-uid label upstream; kubesim matches by name.
            let [cs, is] = containers_images(c, &j.template);
            let sel = format!("{}={}", crate::controller::job::JOB_NAME_LABEL, j.name);
            Row::new(&j.namespace, row, &j.labels).wide(vec![cs, is, sel])
        })
        .collect();
    q.table(&["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"], &["CONTAINERS", "IMAGES", "SELECTOR"], rows)
}

/// `kubectl get cronjobs`: SCHEDULE, TIMEZONE, SUSPEND, ACTIVE, LAST SCHEDULE, AGE.
pub fn get_cronjobs(c: &Cluster, now: SimTime, q: &ListQuery) -> String {
    let rows = c
        .api
        .cronjobs
        .iter()
        .filter(|j| q.in_ns(&j.namespace))
        .map(|j| {
            let last = j.last_schedule.map_or("<none>".to_string(), |t| {
                let at = SimTime(((t - crate::api::cron::VIRTUAL_EPOCH_UNIX_SECONDS).max(0) as u64) * 1000);
                human_duration(now.since(at))
            });
            let row = vec![
                j.name.clone(),
                j.schedule_text.clone(),
                j.time_zone.clone().unwrap_or_else(|| "<none>".into()),
                if j.suspend { "True" } else { "False" }.into(),
                j.active.len().to_string(),
                last,
                human_duration(now.since(j.created)),
            ];
            let [cs, is] = containers_images(c, &j.job.template);
            Row::new(&j.namespace, row, &j.labels).wide(vec![cs, is, "<none>".into()])
        })
        .collect();
    let head = ["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE"];
    q.table(&head, &["CONTAINERS", "IMAGES", "SELECTOR"], rows)
}

/// `kubectl get services [-n NS | -A]`.
pub fn get_services(c: &Cluster, now: SimTime, q: &ListQuery) -> String {
    use crate::api::service::ServiceType;
    let rows = c
        .api
        .services
        .iter()
        .filter(|s| q.in_ns(&s.namespace))
        .map(|s| {
            let external = if s.type_ == ServiceType::LoadBalancer { "<pending>" } else { "<none>" };
            let ports: Vec<String> = s
                .ports
                .iter()
                .map(|p| match p.node_port {
                    Some(n) => format!("{}:{n}/{}", p.port, p.protocol),
                    None => format!("{}/{}", p.port, p.protocol),
                })
                .collect();
            let row = vec![
                s.name.clone(),
                s.type_.name().to_string(),
                s.cluster_ip.clone(),
                external.to_string(),
                if ports.is_empty() { "<none>".to_string() } else { ports.join(",") },
                human_duration(now.since(s.created)),
            ];
            let sel = s.selector.as_ref().map_or("<none>".to_string(), label_text);
            Row::new(&*s.namespace, row, &s.labels).wide(vec![sel])
        })
        .collect();
    q.table(&["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"], &["SELECTOR"], rows)
}

/// `kubectl get nodes`: STATUS (with SchedulingDisabled when cordoned), ROLES, AGE, VERSION;
/// `-o wide` adds the addresses, OS image, kernel and runtime.
pub fn get_nodes(c: &Cluster, now: SimTime, q: &ListQuery) -> String {
    let (major, minor) = c.scenario.kubernetes.version;
    let rows = (c.api.nodes.iter().filter(|n| n.deleted.is_none()))
        .map(|n| {
            let mut status = if n.ready == ConditionStatus::True { "Ready" } else { "NotReady" }.to_string();
            if n.unschedulable {
                status.push_str(",SchedulingDisabled");
            }
            let roles = super::describe_node::roles(n);
            let row = vec![n.name.clone(), status, roles, age(now, n.created), format!("v{major}.{minor}.0")];
            let wide = vec![
                crate::api::network::Ip(n.address).to_string(),
                "<none>".into(),
                crate::api::node::NODE_OS_IMAGE.into(),
                crate::api::node::NODE_KERNEL_VERSION.into(),
                crate::api::node::NODE_CONTAINER_RUNTIME.into(),
            ];
            Row::new(String::new(), row, &n.labels).wide(wide)
        })
        .collect();
    let wide = ["INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"];
    ListQuery { namespace: Some(""), ..*q }.table(&["NAME", "STATUS", "ROLES", "AGE", "VERSION"], &wide, rows)
}
