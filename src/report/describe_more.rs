//! `kubectl describe` for Deployments, Services and Jobs, in kubectl 1.34's layout
//! (`pkg/describe`): the same tabwriter and prefix writer as `describe pod`, the pod template
//! block they share, their own summary lines.

use super::describe::{Prefix, TabWriter, events, resources, selectors_and_tolerations};
use super::kubectl::human_duration;
use super::objects::rfc1123z;
use crate::api::events::ObjRef;
use crate::api::*;
use crate::cluster::Cluster;
use crate::sim::SimTime;

pub(super) fn labels_lines(o: &mut Prefix, level: usize, label: &str, labels: &Labels) {
    let all: Vec<String> = labels.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
    match all.split_first() {
        None => o.w(level, &format!("{label}:\t<none>\n")),
        Some((first, rest)) => {
            o.w(level, &format!("{label}:\t{first}\n"));
            for l in rest {
                o.w(level, &format!("\t{l}\n"));
            }
        }
    }
}

pub(super) fn selector_text(s: &LabelSelector) -> String {
    let mut parts: Vec<String> = s.match_labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    for r in &s.match_expressions {
        parts.push(match r.op {
            SelectorOp::In => format!("{} in ({})", r.key, r.values.join(",")),
            SelectorOp::NotIn => format!("{} notin ({})", r.key, r.values.join(",")),
            SelectorOp::Exists => r.key.clone(),
            SelectorOp::DoesNotExist => format!("!{}", r.key),
        });
    }
    if parts.is_empty() { "<none>".into() } else { parts.join(",") }
}

/// `Pod Template:` as `DescribePodTemplate` prints it.
pub(super) fn pod_template(o: &mut Prefix, c: &Cluster, t: &PodTemplate) {
    o.w(0, "Pod Template:\n");
    labels_lines(o, 1, "Labels", &t.labels);
    if let Some(sa) = &t.spec.service_account {
        o.w(1, &format!("Service Account:\t{sa}\n"));
    }
    for (title, list) in [("Init Containers", &t.spec.init_containers), ("Containers", &t.spec.containers)] {
        if list.is_empty() {
            continue;
        }
        o.w(1, &format!("{title}:\n"));
        for ct in list {
            o.w(1, &format!(" {}:\n", ct.name));
            o.w(2, &format!("Image:\t{}\n", c.scenario.images[ct.image.idx()].name));
            o.w(2, "Port:\t<none>\n");
            o.w(2, "Host Port:\t<none>\n");
            resources(o, ct);
            o.w(2, "Environment:\t<none>\n");
            o.w(2, "Mounts:\t<none>\n");
        }
    }
    if t.spec.volumes.is_empty() {
        o.w(1, "Volumes:\t<none>\n");
    } else {
        o.w(1, "Volumes:\n");
        for v in &t.spec.volumes {
            o.w(1, &format!(" {}:\n", v.name));
            for s in &v.sources {
                o.w(2, &format!("Type:\t{} (a volume populated by a {})\n", s.kind.kind(), s.kind.kind()));
                o.w(2, &format!("Name:\t{}\n", s.name));
                o.w(2, &format!("Optional:\t{}\n", s.optional));
            }
        }
    }
    selectors_and_tolerations(o, 1, &t.spec);
}

pub(super) fn percent(v: IntOrPercent) -> String {
    match v {
        IntOrPercent::Int(n) => n.to_string(),
        IntOrPercent::Percent(p) => format!("{p}%"),
    }
}

fn describe_deployment(c: &Cluster, now: SimTime, id: DeployId) -> String {
    let api = &c.api;
    let d = &api.deployments[id.idx()];
    let mut rss: Vec<&ReplicaSet> = api.replicasets_of(id).iter().map(|r| &api.replicasets[r.idx()]).collect();
    rss.sort_by_key(|r| std::cmp::Reverse(r.revision));
    let mut o = Prefix(TabWriter::new(0, 2));
    o.w(0, &format!("Name:\t{}\n", d.name));
    o.w(0, &format!("Namespace:\t{}\n", d.namespace));
    o.w(0, &format!("CreationTimestamp:\t{}\n", rfc1123z(d.created)));
    labels_lines(&mut o, 0, "Labels", &d.labels);
    match rss.first() {
        Some(r) => o.w(0, &format!("Annotations:\tdeployment.kubernetes.io/revision: {}\n", r.revision)),
        None => o.w(0, "Annotations:\t<none>\n"),
    }
    o.w(0, &format!("Selector:\t{}\n", selector_text(&d.selector)));
    let st = d.status;
    o.w(
        0,
        &format!(
            "Replicas:\t{} desired | {} updated | {} total | {} available | {} unavailable\n",
            d.replicas,
            st.updated,
            st.replicas,
            st.available,
            d.replicas.saturating_sub(st.available)
        ),
    );
    match d.strategy {
        DeploymentStrategy::Recreate => {
            o.w(0, "StrategyType:\tRecreate\n");
            o.w(0, "MinReadySeconds:\t0\n");
        }
        DeploymentStrategy::RollingUpdate { max_surge, max_unavailable } => {
            o.w(0, "StrategyType:\tRollingUpdate\n");
            o.w(0, "MinReadySeconds:\t0\n");
            o.w(
                0,
                &format!(
                    "RollingUpdateStrategy:\t{} max unavailable, {} max surge\n",
                    percent(max_unavailable),
                    percent(max_surge)
                ),
            );
        }
    }
    pod_template(&mut o, c, &d.template);
    let (_, max_unavailable) = d.strategy.fenceposts(d.replicas);
    let available = st.available + max_unavailable >= d.replicas;
    let stalled =
        c.rec.events.iter().any(|e| e.object == ObjRef::Deployment(id) && e.reason == "ProgressDeadlineExceeded");
    let complete = st.updated == d.replicas && st.available == d.replicas && st.replicas == d.replicas;
    o.w(0, "Conditions:\n");
    o.w(1, "Type\tStatus\tReason\n");
    o.w(1, "----\t------\t------\n");
    let (a_status, a_reason) =
        if available { ("True", "MinimumReplicasAvailable") } else { ("False", "MinimumReplicasUnavailable") };
    o.w(1, &format!("Available \t{a_status}\t{a_reason}\n"));
    let (p_status, p_reason) = match (complete, stalled) {
        (true, _) => ("True", "NewReplicaSetAvailable"),
        (false, true) => ("False", "ProgressDeadlineExceeded"),
        (false, false) => ("True", "ReplicaSetUpdated"),
    };
    o.w(1, &format!("Progressing \t{p_status}\t{p_reason}\n"));
    let show = |r: &&ReplicaSet| format!("{} ({}/{} replicas created)", r.name, r.status.replicas, r.replicas);
    let old: Vec<String> = rss.iter().skip(1).filter(|r| r.replicas > 0 || r.status.replicas > 0).map(show).collect();
    o.w(0, &format!("OldReplicaSets:\t{}\n", if old.is_empty() { "<none>".into() } else { old.join(", ") }));
    o.w(0, &format!("NewReplicaSet:\t{}\n", rss.first().map_or("<none>".into(), show)));
    events(&mut o, c, ObjRef::Deployment(id), now);
    o.0.finish()
}

/// `formatEndpointSlices` for one Service port: the ready endpoints as `IP:PORT`, three at
/// most then `+ N more...` (kubectl sets "more" as soon as a fourth endpoint, ready or not,
/// comes up); none when the port did not resolve.
fn endpoints_text(eps: &[crate::controller::endpointslice::Endpoint], port: Option<i32>) -> String {
    let Some(port) = port else { return String::new() };
    let (mut list, mut more, mut count) = (Vec::new(), false, 0);
    for e in eps {
        if list.len() == 3 {
            more = true;
        }
        if !e.ready {
            continue;
        }
        if !more {
            list.push(format!("{}:{port}", crate::api::network::Ip(e.ip)));
        }
        count += 1;
    }
    let text = list.join(",");
    if more { format!("{text} + {} more...", count - 3) } else { text }
}

fn describe_service(c: &Cluster, now: SimTime, s: &crate::api::service::Service) -> String {
    let mut o = Prefix(TabWriter::new(0, 2));
    o.w(0, &format!("Name:\t{}\n", s.name));
    o.w(0, &format!("Namespace:\t{}\n", s.namespace));
    labels_lines(&mut o, 0, "Labels", &s.labels);
    o.w(0, "Annotations:\t<none>\n");
    let sel = s.selector.as_ref().map(|l| l.0.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(","));
    o.w(0, &format!("Selector:\t{}\n", sel.filter(|x| !x.is_empty()).unwrap_or_else(|| "<none>".into())));
    o.w(0, &format!("Type:\t{}\n", s.type_.name()));
    o.w(0, "IP Family Policy:\tSingleStack\n");
    o.w(0, "IP Families:\tIPv4\n");
    o.w(0, &format!("IP:\t{}\n", s.cluster_ip));
    o.w(0, &format!("IPs:\t{}\n", s.cluster_ip));
    let eps = crate::controller::endpointslice::endpoint_list(&c.api, s);
    let slice_ports = crate::controller::endpointslice::slice_ports(&c.api, s, &eps);
    for p in &s.ports {
        let name = p.name.as_deref().unwrap_or("<unset>");
        o.w(0, &format!("Port:\t{name}\t{}/{}\n", p.port, p.protocol));
        o.w(0, &format!("TargetPort:\t{}/{}\n", p.target_port, p.protocol));
        if let Some(n) = p.node_port {
            o.w(0, &format!("NodePort:\t{name}\t{n}/{}\n", p.protocol));
        }
        let ep = match s.selector.is_some() {
            false => "<none>".to_string(),
            true => {
                let port = slice_ports.iter().find(|(n, _, _)| *n == p.name).map(|x| x.1);
                endpoints_text(&eps, port)
            }
        };
        o.w(0, &format!("Endpoints:\t{ep}\n"));
    }
    o.w(0, "Session Affinity:\tNone\n");
    if matches!(s.type_, crate::api::service::ServiceType::NodePort | crate::api::service::ServiceType::LoadBalancer) {
        o.w(0, "External Traffic Policy:\tCluster\n");
    }
    o.w(0, "Internal Traffic Policy:\tCluster\n");
    o.w(0, "Events:\t<none>\n");
    let _ = now;
    o.0.finish()
}

fn describe_job(c: &Cluster, now: SimTime, id: JobId) -> String {
    let api = &c.api;
    let j = &api.jobs[id.idx()];
    let mut o = Prefix(TabWriter::new(0, 2));
    o.w(0, &format!("Name:\t{}\n", j.name));
    o.w(0, &format!("Namespace:\t{}\n", j.namespace));
    o.w(0, &format!("Selector:\tbatch.kubernetes.io/job-name={}\n", j.name));
    // The registry gives a Job without labels its template's.
    labels_lines(&mut o, 0, "Labels", if j.labels.0.is_empty() { &j.template.labels } else { &j.labels });
    o.w(0, "Annotations:\t<none>\n");
    if let Some(cj) = j.owner {
        o.w(0, &format!("Controlled By:\tCronJob/{}\n", api.cronjobs[cj.idx()].name));
    }
    o.w(0, &format!("Parallelism:\t{}\n", j.parallelism));
    o.w(0, &format!("Completions:\t{}\n", j.completions.map_or("<unset>".into(), |n| n.to_string())));
    o.w(0, "Completion Mode:\tNonIndexed\n");
    o.w(0, "Suspend:\tfalse\n");
    o.w(0, &format!("Backoff Limit:\t{}\n", j.backoff_limit));
    if let Some(s) = j.status.start {
        o.w(0, &format!("Start Time:\t{}\n", rfc1123z(s)));
    }
    if let Some(e) = j.status.completion {
        o.w(0, &format!("Completed At:\t{}\n", rfc1123z(e)));
        if let Some(s) = j.status.start {
            o.w(0, &format!("Duration:\t{}\n", human_duration(e.since(s))));
        }
    }
    if let Some(d) = j.active_deadline_ms {
        o.w(0, &format!("Active Deadline Seconds:\t{}s\n", d / 1000));
    }
    let st = j.status;
    o.w(
        0,
        &format!(
            "Pods Statuses:\t{} Active ({} Ready) / {} Succeeded / {} Failed\n",
            st.active, st.ready, st.succeeded, st.failed
        ),
    );
    pod_template(&mut o, c, &j.template);
    events(&mut o, c, ObjRef::Job(id), now);
    o.0.finish()
}

/// `kubectl describe KIND NAME` for a Deployment, Service or Job. `None`: not one of these
/// kinds; `Some(Err)`: no such object.
pub fn describe(c: &Cluster, now: SimTime, kind: &str, namespace: &str, name: &str) -> Option<Result<String, String>> {
    let api = &c.api;
    let found = |what: &str, hit: Option<usize>| hit.ok_or_else(|| format!("{what} {name:?} not found"));
    Some(match kind.to_ascii_lowercase().as_str() {
        "deployment" | "deployments" | "deploy" => {
            found("deployments.apps", api.deployments.iter().position(|d| d.namespace == namespace && d.name == name))
                .map(|i| describe_deployment(c, now, DeployId(i as u32)))
        }
        "service" | "services" | "svc" => {
            found("services", api.services.iter().position(|s| *s.namespace == *namespace && s.name == name))
                .map(|i| describe_service(c, now, &api.services[i]))
        }
        "job" | "jobs" => found(
            "jobs.batch",
            api.jobs.iter().position(|j| j.deleted.is_none() && j.namespace == namespace && j.name == name),
        )
        .map(|i| describe_job(c, now, JobId(i as u32))),
        _ => return None,
    })
}
