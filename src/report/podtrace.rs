//! One pod's path through the cluster (`kubesim trace pod/NAME`, and report.html's sequence
//! diagram): the write that created it, the scheduler's watch and binding, the kubelet's
//! watch, sandbox, pulls, containers and status writes, and the deletion flow, as numbered
//! steps between the components, in virtual time. Built after the run from what it recorded:
//! the pod's events, its condition changes and its lifecycle times.

use crate::api::conditions::{CondReason, CondType};
use crate::api::events::{ObjRef, Source};
use crate::api::*;
use crate::apiserver::conditions::Writer;
use crate::cluster::Cluster;
use crate::sim::SimTime;

/// The components a step goes between (the diagram's lanes, left to right).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Lane {
    /// kubectl and the controllers (the pod's creator, the deleters).
    Controllers,
    ApiServer,
    Scheduler,
    Kubelet,
    /// The container runtime (CRI) and the CNI plugin it calls.
    Runtime,
}

impl Lane {
    pub const ALL: [Lane; 5] = [Lane::Controllers, Lane::ApiServer, Lane::Scheduler, Lane::Kubelet, Lane::Runtime];
    pub fn name(self) -> &'static str {
        match self {
            Lane::Controllers => "kubectl / controllers",
            Lane::ApiServer => "kube-apiserver",
            Lane::Scheduler => "kube-scheduler",
            Lane::Kubelet => "kubelet",
            Lane::Runtime => "containerd (CRI, CNI)",
        }
    }
}

/// One step: at `time`, `from` tells or asks `to` `what`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub time: SimTime,
    pub from: Lane,
    pub to: Lane,
    pub what: String,
}

/// Same-moment steps in the order the flow takes them.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    Create,
    Watch,
    /// A DisruptionTarget patch precedes the delete it announces.
    Disrupt,
    Delete,
    Event,
    Status,
    Gone,
}

/// Who creates a pod of this owner.
fn creator(p: &Pod) -> &'static str {
    match p.owner {
        Some(Owner::ReplicaSet(_)) => "replicaset-controller",
        Some(Owner::Job(_)) => "job-controller",
        Some(Owner::DaemonSet(_)) => "daemonset-controller",
        Some(Owner::StatefulSet(_)) => "statefulset-controller",
        None if p.mirror => "kubelet (mirror pod of a static pod)",
        None => "kubectl",
    }
}

/// The pod's steps up to `until`, in order.
pub fn steps(c: &Cluster, id: PodId, until: SimTime) -> Vec<Step> {
    let api = &c.api;
    let p = api.pod(id);
    let latency = c.scenario.kubernetes.watch_latency_ms;
    let node = p.node.map_or(String::new(), |n| api.node(n).name.clone());
    let mut out: Vec<(SimTime, Rank, u32, Step)> = Vec::new();
    let mut add = |time: SimTime, rank: Rank, seq: u32, from: Lane, to: Lane, what: String| {
        if time <= until {
            out.push((time, rank, seq, Step { time, from, to, what }));
        }
    };
    let kind = if p.mirror { "a mirror pod" } else { "pod" };
    add(
        p.created,
        Rank::Create,
        0,
        Lane::Controllers,
        Lane::ApiServer,
        format!("{}: POST {kind} {}/{} (stored: Pending, no node)", creator(p), p.namespace, p.name),
    );
    if let Some(t) = p.scheduled_at
        && !p.mirror
        && t > p.created
    {
        add(
            p.created.plus(latency),
            Rank::Watch,
            0,
            Lane::ApiServer,
            Lane::Scheduler,
            "watch: ADDED, no nodeName: queued".into(),
        );
    }
    if let Some(t) = p.scheduled_at {
        let what = format!("watch: bound to {node}: admitted, pod worker started");
        add(t.plus(latency), Rank::Watch, 1, Lane::ApiServer, Lane::Kubelet, what);
    }
    events(c, id, &node, &mut add);
    conditions(c, id, &mut add);
    if let Some((t, grace)) = p.deletion {
        let what = format!("DELETE (grace {}s): deletionTimestamp set, Terminating", grace / 1000);
        add(t, Rank::Delete, 0, Lane::Controllers, Lane::ApiServer, what);
        if p.node.is_some() {
            add(
                t.plus(latency),
                Rank::Watch,
                2,
                Lane::ApiServer,
                Lane::Kubelet,
                "watch: MODIFIED, deletionTimestamp: stop the containers".into(),
            );
        }
    }
    if let Some(t) = p.removed {
        let who = if p.node.is_some() { Lane::Kubelet } else { Lane::Controllers };
        add(t, Rank::Gone, 0, who, Lane::ApiServer, "DELETE (grace 0): the object is gone".into());
    }
    out.sort_by_key(|(t, r, s, _)| (*t, *r, *s));
    out.into_iter().map(|(_, _, _, s)| s).collect()
}

type Add<'a> = dyn FnMut(SimTime, Rank, u32, Lane, Lane, String) + 'a;

/// The recorded events about the pod (and its controller's create/delete of it), as steps.
fn events(c: &Cluster, id: PodId, node: &str, add: &mut Add) {
    let api = &c.api;
    for e in &c.rec.events {
        let about = match e.message {
            Message::CreatedPod { pod } | Message::DeletedPod { pod } => pod == id,
            _ => e.object == ObjRef::Pod(id),
        };
        if !about || e.reason == "SuccessfulCreate" {
            continue; // the creation is its own step
        }
        let text = super::messages::render(e, api, &c.scenario.images, c.scenario.seed);
        let what = format!("{}: {text}", e.reason);
        let (from, to) = match (e.source, e.reason) {
            (Source::Scheduler, "Scheduled") => {
                let what = format!("POST pods/binding: {node} ({what})");
                add(e.time, Rank::Event, e.id, Lane::Scheduler, Lane::ApiServer, what);
                continue;
            }
            (Source::Scheduler, _) => (Lane::Scheduler, Lane::ApiServer),
            (Source::Kubelet, "Pulling" | "Created" | "Started" | "Killing") => (Lane::Kubelet, Lane::Runtime),
            (Source::Kubelet, "Pulled" | "Failed" | "FailedCreatePodSandBox") => (Lane::Runtime, Lane::Kubelet),
            (Source::Kubelet, _) => (Lane::Kubelet, Lane::Kubelet),
            _ => (Lane::Controllers, Lane::ApiServer),
        };
        let what = if e.count > 1 { format!("{what} (x{})", e.count) } else { what };
        add(e.time, Rank::Event, e.id, from, to, what);
    }
}

/// The pod's condition changes: the kubelet's status writes (the sandbox's creation first),
/// the binding's PodScheduled, a DisruptionTarget.
fn conditions(c: &Cluster, id: PodId, add: &mut Add) {
    let api = &c.api;
    let p = api.pod(id);
    let mine = || api.condition_log.iter().enumerate().filter(|(_, x)| x.pod == id);
    // The write that reports the sandbox carries the whole status: its rows follow the sandbox.
    let sandbox = mine().find(|(_, x)| x.ty == CondType::PodReadyToStartContainers && x.status).map(|(_, x)| x.time);
    for (i, x) in mine() {
        let (rank, seq) = if Some(x.time) == sandbox { (Rank::Event, 0) } else { (Rank::Status, i as u32) };
        let state = if x.status { "True" } else { "False" };
        let reason = if x.reason == CondReason::None { String::new() } else { format!(" ({})", x.reason.as_str()) };
        let what = format!("status: {}={state}{reason}", x.ty.as_str());
        let from = match x.by {
            Writer::Kubelet => Lane::Kubelet,
            Writer::Scheduler => Lane::Scheduler,
            Writer::Controllers => Lane::Controllers,
        };
        match x.ty {
            CondType::PodScheduled if !x.status => {} // the FailedScheduling event says it
            CondType::DisruptionTarget => add(x.time, Rank::Disrupt, seq, from, Lane::ApiServer, what),
            CondType::PodReadyToStartContainers if x.status => {
                let ip = match x.detail {
                    0 => p.status.pod_ip.map_or("the node's".into(), |ip| crate::api::network::Ip(ip).to_string()),
                    ip => crate::api::network::Ip(ip).to_string(),
                };
                let run = format!("RunPodSandbox (pause image), CNI ADD: address {ip}");
                add(x.time, Rank::Event, 0, Lane::Kubelet, Lane::Runtime, run);
                add(x.time, rank, seq, from, Lane::ApiServer, what);
            }
            _ => add(x.time, rank, seq, from, Lane::ApiServer, what),
        }
    }
}

/// `kubesim trace pod/NAME`: the numbered steps as a table.
pub fn trace_pod(c: &Cluster, now: SimTime, namespace: &str, name: &str) -> Result<String, String> {
    let api = &c.api;
    // The latest pod of that name (a StatefulSet reuses names).
    let Some(i) = api.pods.iter().rposition(|p| *p.namespace == *namespace && p.name == name && p.created <= now)
    else {
        return Err(format!("pods {name:?} not found"));
    };
    let id = PodId(i as u32);
    let p = api.pod(id);
    let steps = steps(c, id, now);
    let node = p.node.map_or("no node".to_string(), |n| format!("node {}", api.node(n).name));
    let mut o = format!(
        "pod/{} in namespace {} ({node}): {} steps up to {}\n\n",
        p.name,
        p.namespace,
        steps.len(),
        crate::api::duration::format_go_duration_ms(now.0)
    );
    let lane = |l: Lane| match p.node {
        Some(n) if l == Lane::Kubelet => format!("kubelet ({})", api.node(n).name),
        _ => l.name().to_string(),
    };
    let rows: Vec<[String; 4]> = steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let who = if s.to == s.from { lane(s.from) } else { format!("{} -> {}", lane(s.from), lane(s.to)) };
            [format!("{}", i + 1), s.time.to_string(), who, s.what.clone()]
        })
        .collect();
    let header = ["#".to_string(), "TIME(s)".into(), "FROM -> TO".into(), "WHAT".into()];
    let width = |k: usize| rows.iter().map(|r| r[k].len()).chain([header[k].len()]).max().unwrap_or(0);
    let w = [width(0), width(1), width(2)];
    for r in std::iter::once(&header).chain(rows.iter()) {
        o.push_str(&format!(
            "{:>w0$}  {:>w1$}  {:<w2$}  {}\n",
            r[0],
            r[1],
            r[2],
            r[3],
            w0 = w[0],
            w1 = w[1],
            w2 = w[2]
        ));
    }
    Ok(o)
}

/// The pod report.html shows: the first one a fault touched (an event it caused names it),
/// else the first pod.
pub fn chosen_pod(c: &Cluster) -> Option<PodId> {
    let faults: std::collections::BTreeSet<u32> =
        c.rec.events.iter().filter(|e| e.source == Source::Chaos).map(|e| e.id).collect();
    let touched =
        c.rec.events.iter().find(|e| matches!(e.object, ObjRef::Pod(_)) && faults.contains(&root_of(c, e.id)));
    match touched.map(|e| e.object) {
        Some(ObjRef::Pod(p)) => Some(p),
        _ => (!c.api.pods.is_empty()).then_some(PodId(0)),
    }
}

/// The root cause of an event (its chain of causes followed back).
fn root_of(c: &Cluster, mut id: u32) -> u32 {
    while let Some(e) = id.checked_sub(1).and_then(|i| c.rec.events.get(i as usize)) {
        if e.cause == 0 {
            return id;
        }
        id = e.cause;
    }
    id
}

/// The steps as an SVG sequence diagram: a lane per component, an arrow per step (a note for a
/// component's own step), the virtual time at the left.
pub fn sequence_svg(steps: &[Step]) -> String {
    const LANE_W: usize = 210;
    const LEFT: usize = 70;
    const TOP: usize = 40;
    const ROW: usize = 22;
    let width = LEFT + LANE_W * Lane::ALL.len();
    let height = TOP + ROW * (steps.len() + 1);
    let x = |l: Lane| LEFT + LANE_W * (l as usize) + LANE_W / 2;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"11\">\n"
    );
    s.push_str("<defs><marker id=\"arrow\" markerWidth=\"8\" markerHeight=\"8\" refX=\"7\" refY=\"4\" orient=\"auto\"><path d=\"M0,0 L8,4 L0,8 z\" fill=\"#333\"/></marker></defs>\n");
    for l in Lane::ALL {
        let cx = x(l);
        s.push_str(&format!(
            "<text x=\"{cx}\" y=\"20\" text-anchor=\"middle\" font-weight=\"bold\">{}</text>\n<line x1=\"{cx}\" y1=\"28\" x2=\"{cx}\" y2=\"{height}\" stroke=\"#bbb\" stroke-dasharray=\"4 3\"/>\n",
            super::html::esc(l.name())
        ));
    }
    for (i, st) in steps.iter().enumerate() {
        let y = TOP + ROW * (i + 1);
        s.push_str(&format!("<text x=\"4\" y=\"{y}\" fill=\"#666\">{}s</text>\n", st.time));
        // A component's own step is a note to the right of its lane: less room.
        let label = super::html::esc(&truncate(&st.what, if st.from == st.to { 40 } else { 60 }));
        let title = super::html::esc(&st.what);
        let (x1, x2) = (x(st.from), x(st.to));
        if x1 == x2 {
            s.push_str(&format!(
                "<g><title>{title}</title><circle cx=\"{x1}\" cy=\"{}\" r=\"3\" fill=\"#333\"/><text x=\"{}\" y=\"{y}\">{label}</text></g>\n",
                y - 4,
                x1 + 6
            ));
        } else {
            let lx = (x1 + x2) / 2;
            s.push_str(&format!(
                "<g><title>{title}</title><line x1=\"{x1}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\" stroke=\"#333\" marker-end=\"url(#arrow)\"/><text x=\"{lx}\" y=\"{}\" text-anchor=\"middle\">{label}</text></g>\n",
                y - 4
            ));
        }
    }
    s.push_str("</svg>\n");
    s
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { format!("{}...", s.chars().take(n).collect::<String>()) }
}
