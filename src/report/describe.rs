//! `kubectl describe pod` at a moment of the run, in kubectl's layout (pkg/describe, 1.33/1.34):
//! a Go `text/tabwriter` (minwidth 0, tabwidth 8, padding 2) fed by a prefix writer that indents
//! two spaces per level. What kubesim does not model yet (pod and node IPs, container and image
//! IDs, conditions other than those derived from the pod's state) prints as kubectl prints an
//! unset field.

use super::kubectl::human_duration;
use super::objects::rfc1123z;
use crate::api::conditions::{Cond, CondType};
use crate::api::events::ObjRef;
use crate::api::network::Ip;
use crate::api::*;
use crate::cluster::Cluster;
use crate::sim::SimTime;

/// Go's `text/tabwriter` with flags 0: cells end at a tab; a column is as wide as its widest cell
/// plus the padding over each run of consecutive lines that have a cell in it.
pub struct TabWriter {
    lines: Vec<Vec<String>>,
    /// The cell being written (it stays open across writes, as in Go's writer).
    cell: String,
    widths: Vec<usize>,
    out: String,
    padding: usize,
    min_width: usize,
}

impl TabWriter {
    pub fn new(min_width: usize, padding: usize) -> TabWriter {
        TabWriter {
            lines: vec![Vec::new()],
            cell: String::new(),
            widths: Vec::new(),
            out: String::new(),
            padding,
            min_width,
        }
    }

    /// Write text; a line with a single cell ends the current block (as Go's writer flushes).
    pub fn write(&mut self, text: &str) {
        for ch in text.chars() {
            match ch {
                '\t' => {
                    let cell = std::mem::take(&mut self.cell);
                    self.lines.last_mut().expect("a line").push(cell);
                }
                '\n' => {
                    let cell = std::mem::take(&mut self.cell);
                    let line = self.lines.last_mut().expect("a line");
                    line.push(cell);
                    let single = line.len() == 1;
                    self.lines.push(Vec::new());
                    if single {
                        self.flush();
                    }
                }
                c => self.cell.push(c),
            }
        }
    }

    pub fn flush(&mut self) {
        if !self.cell.is_empty() {
            let cell = std::mem::take(&mut self.cell);
            self.lines.last_mut().expect("a line").push(cell);
        }
        let n = self.lines.len();
        self.format(0, n);
        self.lines = vec![Vec::new()];
    }

    fn format(&mut self, mut line0: usize, line1: usize) {
        let column = self.widths.len();
        let mut this = line0;
        while this < line1 {
            if column + 1 >= self.lines[this].len() {
                this += 1;
                continue;
            }
            self.write_lines(line0, this);
            line0 = this;
            let mut width = self.min_width;
            while this < line1 && column + 1 < self.lines[this].len() {
                width = width.max(self.lines[this][column].chars().count() + self.padding);
                this += 1;
            }
            self.widths.push(width);
            self.format(line0, this);
            self.widths.pop();
            line0 = this;
        }
        self.write_lines(line0, line1);
    }

    fn write_lines(&mut self, l0: usize, l1: usize) {
        let total = self.lines.len();
        for i in l0..l1 {
            for (j, c) in self.lines[i].iter().enumerate() {
                self.out.push_str(c);
                if j < self.widths.len() {
                    self.out.extend(std::iter::repeat_n(' ', self.widths[j] - c.chars().count()));
                }
            }
            if i + 1 != total {
                self.out.push('\n');
            }
        }
    }

    pub fn finish(mut self) -> String {
        self.flush();
        self.out
    }
}

/// kubectl's `PrefixWriter`: two spaces per level before each write.
pub(super) struct Prefix(pub(super) TabWriter);

impl Prefix {
    pub(super) fn w(&mut self, level: usize, text: &str) {
        self.0.write(&"  ".repeat(level));
        self.0.write(text);
    }
}

/// The name of the projected token volume the ServiceAccount admission plugin adds
/// (`kube-api-access-` and five generated characters: here a function of the pod's UID).
fn api_access_volume(uid: &str) -> String {
    let alphabet = crate::controller::NAME_ALPHABET;
    let h = crate::sim::fnv64(&[uid.as_bytes()]);
    let suffix: String = (0..5).map(|i| alphabet[((h >> (i * 8)) % alphabet.len() as u64) as usize] as char).collect();
    format!("kube-api-access-{suffix}")
}

fn state_lines(o: &mut Prefix, label: &str, s: &ContainerState) {
    match *s {
        ContainerState::Waiting { reason } => {
            o.w(2, &format!("{label}:\tWaiting\n"));
            o.w(3, &format!("Reason:\t{reason}\n"));
        }
        ContainerState::Running { started } => {
            o.w(2, &format!("{label}:\tRunning\n"));
            o.w(3, &format!("Started:\t{}\n", rfc1123z(started)));
        }
        ContainerState::Terminated { exit_code, reason, finished } => {
            o.w(2, &format!("{label}:\tTerminated\n"));
            o.w(3, &format!("Reason:\t{reason}\n"));
            o.w(3, &format!("Exit Code:\t{exit_code}\n"));
            o.w(3, &format!("Finished:\t{}\n", rfc1123z(finished)));
        }
    }
}

fn containers(o: &mut Prefix, c: &Cluster, p: &Pod, vol: &str) {
    let images = &c.scenario.images;
    o.w(0, "Containers:\n");
    // Every container of the spec; its status lines only when it has a status (kubectl's
    // describeContainers: a pod the kubelet rejected has none).
    for (i, spec) in p.spec.containers.iter().enumerate() {
        let st = p.status.containers.get(i).filter(|_| p.node.is_some());
        o.w(1, &format!("{}:\n", spec.name));
        if st.is_some() {
            o.w(2, "Container ID:\t\n");
        }
        o.w(2, &format!("Image:\t{}\n", images[spec.image.idx()].name));
        if st.is_some() {
            o.w(2, "Image ID:\t\n");
        }
        // describeContainerPorts / describeContainerHostPorts (no host port: 0).
        let ports = |host: bool| {
            (spec.ports.iter())
                .map(|(name, port, protocol, host_port)| {
                    let n = if host { *host_port as i32 } else { *port };
                    name.as_ref().map_or(format!("{n}/{protocol}"), |name| format!("{n}/{protocol} ({name})"))
                })
                .collect::<Vec<_>>()
        };
        for (one, many, list) in [("Port", "Ports", ports(false)), ("Host Port", "Host Ports", ports(true))] {
            match list.len() {
                0 => o.w(2, &format!("{one}:\t<none>\n")),
                1 => o.w(2, &format!("{one}:\t{}\n", list[0])),
                _ => o.w(2, &format!("{many}:\t{}\n", list.join(", "))),
            }
        }
        if let Some(st) = st {
            state_lines(o, "State", &st.state);
            if let Some((code, reason, at)) = st.last_terminated {
                o.w(2, "Last State:\tTerminated\n");
                o.w(3, &format!("Reason:\t{reason}\n"));
                o.w(3, &format!("Exit Code:\t{code}\n"));
                o.w(3, &format!("Finished:\t{}\n", rfc1123z(at)));
            }
            o.w(2, &format!("Ready:\t{}\n", if st.ready { "True" } else { "False" }));
            o.w(2, &format!("Restart Count:\t{}\n", st.restart_count));
        }
        resources(o, spec);
        for (label, probe) in
            [("Liveness", &spec.liveness_probe), ("Readiness", &spec.readiness_probe), ("Startup", &spec.startup_probe)]
        {
            if let Some(pr) = probe {
                o.w(2, &format!("{label}:\t{}\n", pr.describe()));
            }
        }
        o.w(2, "Environment:\t<none>\n");
        o.w(2, "Mounts:\n");
        o.w(3, &format!("/var/run/secrets/kubernetes.io/serviceaccount from {vol} (ro)\n"));
    }
}

pub(super) fn resources(o: &mut Prefix, spec: &ContainerSpec) {
    use crate::api::quantity::{format_bytes, format_millicores};
    for (label, r, cpu, mem) in [
        ("Limits", spec.limits, spec.has_cpu_limit, spec.has_memory_limit),
        ("Requests", spec.requests, spec.has_cpu_request, spec.has_memory_request),
    ] {
        if cpu || mem {
            o.w(2, &format!("{label}:\n"));
            if cpu {
                o.w(3, &format!("cpu:\t{}\n", format_millicores(r.cpu_milli)));
            }
            if mem {
                o.w(3, &format!("memory:\t{}\n", format_bytes(r.memory)));
            }
        }
    }
}

/// The pod's conditions in `status.conditions` order.
pub(super) fn conditions(p: &Pod) -> impl Iterator<Item = (CondType, &Cond)> {
    CondType::API_ORDER.into_iter().filter_map(|t| p.status.conditions.get(t).map(|c| (t, c)))
}

/// `Node-Selectors:` and `Tolerations:` (sorted, one per line) of a pod spec.
pub(super) fn selectors_and_tolerations(o: &mut Prefix, level: usize, spec: &PodSpec) {
    let sel: Vec<String> = spec.node_selector.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
    o.w(level, &format!("Node-Selectors:\t{}\n", if sel.is_empty() { "<none>".into() } else { sel.join(",") }));
    let mut tols: Vec<String> = spec.tolerations.iter().map(toleration).collect();
    tols.sort();
    match tols.split_first() {
        None => o.w(level, "Tolerations:\t<none>\n"),
        Some((first, rest)) => {
            o.w(level, &format!("Tolerations:\t{first}\n"));
            for t in rest {
                o.w(level, &format!("\t{t}\n"));
            }
        }
    }
}

pub(super) fn toleration(t: &Toleration) -> String {
    let mut s = t.key.clone();
    if !t.value.is_empty() {
        s.push('=');
        s.push_str(&t.value);
    }
    if let Some(e) = t.effect {
        s.push(':');
        s.push_str(e.as_str());
    }
    if t.op == TolerationOp::Exists {
        s.push_str(" op=Exists");
    }
    if let Some(secs) = t.toleration_seconds {
        s.push_str(&format!(" for {secs}s"));
    }
    s
}

fn header(o: &mut Prefix, c: &Cluster, p: &Pod, now: SimTime) {
    let api = &c.api;
    o.w(0, &format!("Name:\t{}\n", p.name));
    o.w(0, &format!("Namespace:\t{}\n", p.namespace));
    o.w(0, &format!("Priority:\t{}\n", p.spec.priority));
    if let Some(pc) = &p.spec.priority_class {
        o.w(0, &format!("Priority Class Name:\t{pc}\n"));
    }
    o.w(0, &format!("Service Account:\t{}\n", p.spec.service_account.as_deref().unwrap_or("default")));
    match p.node {
        // hostIP arrives with the kubelet's status (kubesim: with the sandbox's address).
        Some(n) => {
            let host = p.status.pod_ip.map_or(String::new(), |_| Ip(api.node(n).address).to_string());
            o.w(0, &format!("Node:\t{}/{host}\n", api.node(n).name))
        }
        None => o.w(0, "Node:\t<none>\n"),
    }
    if let Some(t) = p.scheduled_at {
        o.w(0, &format!("Start Time:\t{}\n", rfc1123z(t)));
    }
    let labels: Vec<String> = p.labels.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
    match labels.split_first() {
        None => o.w(0, "Labels:\t<none>\n"),
        Some((first, rest)) => {
            o.w(0, &format!("Labels:\t{first}\n"));
            for l in rest {
                o.w(0, &format!("\t{l}\n"));
            }
        }
    }
    o.w(0, "Annotations:\t<none>\n");
    match p.deletion {
        Some((at, grace)) => {
            o.w(0, &format!("Status:\tTerminating (lasts {})\n", human_duration(now.since(at))));
            o.w(0, &format!("Termination Grace Period:\t{}s\n", grace / 1000));
        }
        None => o.w(0, &format!("Status:\t{:?}\n", p.status.phase)),
    }
    if let Some(r) = p.status.reason {
        o.w(0, &format!("Reason:\t{r}\n"));
    }
    if let Some(m) = &p.status.message {
        o.w(0, &format!("Message:\t{m}\n"));
    }
    match p.status.pod_ip.map(Ip) {
        Some(ip) => {
            o.w(0, &format!("IP:\t{ip}\n"));
            o.w(0, "IPs:\n");
            o.w(1, &format!("IP:\t{ip}\n"));
        }
        None => {
            o.w(0, "IP:\t\n");
            o.w(0, "IPs:\t<none>\n");
        }
    }
    if let Some(owner) = p.owner {
        let (kind, _, name) = api.describe(crate::apiserver::ApiServer::owner_ref(owner));
        o.w(0, &format!("Controlled By:\t{kind}/{name}\n"));
    }
}

/// The pod's events as the client's event correlator stores them: the same type, reason,
/// source and message counted in one Event (first and last seen), sorted by last seen.
pub(super) fn events(o: &mut Prefix, c: &Cluster, obj: ObjRef, now: SimTime) {
    struct Agg {
        kind: &'static str,
        reason: &'static str,
        from: &'static str,
        msg: String,
        count: u32,
        first: SimTime,
        last: SimTime,
    }
    let mut aggs: Vec<Agg> = Vec::new();
    for e in c.rec.events.iter().filter(|e| e.object == obj && e.time <= now) {
        let msg = super::messages::render(e, &c.api, &c.scenario.images, c.scenario.seed).trim().to_string();
        let (kind, from, last) = (e.kind.as_str(), e.source.as_str(), e.last_seen.min(now));
        match aggs.iter_mut().find(|a| a.kind == kind && a.reason == e.reason && a.from == from && a.msg == msg) {
            Some(a) => {
                a.count += e.count;
                a.last = a.last.max(last);
            }
            None => aggs.push(Agg { kind, reason: e.reason, from, msg, count: e.count, first: e.time, last }),
        }
    }
    if aggs.is_empty() {
        o.w(0, "Events:\t<none>\n");
        return;
    }
    o.0.flush();
    aggs.sort_by_key(|a| a.last);
    o.w(0, "Events:\n");
    o.w(1, "Type\tReason\tAge\tFrom\tMessage\n");
    o.w(1, "----\t------\t----\t----\t-------\n");
    for a in aggs {
        let age = if a.count > 1 {
            format!("{} (x{} over {})", human_duration(now.since(a.last)), a.count, human_duration(now.since(a.first)))
        } else {
            human_duration(now.since(a.first))
        };
        o.w(1, &format!("{}\t{}\t{age}\t{}\t{}\n", a.kind, a.reason, a.from, a.msg));
    }
}

/// `kubectl describe pod NAME -n NAMESPACE` at `now`; Err when there is no such pod.
pub fn describe_pod(c: &Cluster, now: SimTime, namespace: &str, name: &str) -> Result<String, String> {
    let api = &c.api;
    let Some(i) = api.pods.iter().position(|p| p.removed.is_none() && *p.namespace == *namespace && p.name == name)
    else {
        return Err(format!("pods {name:?} not found"));
    };
    let id = PodId(i as u32);
    Ok(describe_pod_as(c, id, api.pod(id), now, true))
}

/// `describe pod` of `p` (pod `id` as it is now, or as it was at `now`: report.html's viewer
/// rebuilds it from the history), with its events or, without, an `Events: <none>` line.
pub fn describe_pod_as(c: &Cluster, id: PodId, p: &Pod, now: SimTime, with_events: bool) -> String {
    let uid = super::messages::pod_uid(id, c.scenario.seed);
    let vol = api_access_volume(&uid);
    let mut o = Prefix(TabWriter::new(0, 2));
    header(&mut o, c, p, now);
    containers(&mut o, c, p, &vol);
    o.w(0, "Conditions:\n");
    o.w(1, "Type\tStatus\n");
    for (t, c) in conditions(p) {
        o.w(1, &format!("{} \t{} \n", t.as_str(), if c.status { "True" } else { "False" }));
    }
    o.w(0, "Volumes:\n");
    o.w(1, &format!("{vol}:\n"));
    o.w(2, "Type:\tProjected (a volume that contains injected data from multiple sources)\n");
    o.w(2, "TokenExpirationSeconds:\t3607\n");
    o.w(2, "ConfigMapName:\tkube-root-ca.crt\n");
    o.w(2, "Optional:\tfalse\n");
    o.w(2, "DownwardAPI:\ttrue\n");
    for v in &p.spec.volumes {
        o.w(1, &format!("{}:\n", v.name));
        for s in &v.sources {
            let (kind, what) = match s.kind {
                ConfigKind::ConfigMap => ("ConfigMap", "ConfigMap"),
                ConfigKind::Secret => ("Secret", "Secret"),
            };
            o.w(2, &format!("Type:\t{kind} (a volume populated by a {what})\n"));
            let field = if s.kind == ConfigKind::Secret { "SecretName" } else { "Name" };
            o.w(2, &format!("{field}:\t{}\n", s.name));
            o.w(2, &format!("Optional:\t{}\n", s.optional));
        }
    }
    o.w(0, &format!("QoS Class:\t{}\n", p.spec.qos().as_str()));
    selectors_and_tolerations(&mut o, 0, &p.spec);
    if with_events {
        events(&mut o, c, ObjRef::Pod(id), now);
    } else {
        // The line a pod without events ends with, aligned with the block above it (the viewer
        // replaces it with the events of its moment when there are some).
        o.w(0, "Events:\t<none>\n");
    }
    o.0.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tabwriter_aligns_each_block_of_tabbed_lines_on_its_own() {
        let mut t = TabWriter::new(0, 2);
        t.write("Name:\tcrasher\nService Account:\tdefault\nIPs:\n  IP:\t10.0.0.1\n");
        assert_eq!(t.finish(), "Name:             crasher\nService Account:  default\nIPs:\n  IP:  10.0.0.1\n");
        // Trailing cells are not padded; a cell followed by a tab is.
        let mut t = TabWriter::new(0, 2);
        t.write("  Type\tStatus\n  Ready \tFalse \n");
        assert_eq!(t.finish(), "  Type    Status\n  Ready   False \n");
    }
}
