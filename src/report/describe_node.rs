//! `kubectl describe node` in kubectl 1.34's layout (`describeNode`, `describeNodeResource`):
//! roles, taints, the lease, the kubelet's four conditions, addresses, capacity, the pod CIDR,
//! the non-terminated pods with their share of allocatable, and the node's events.

use super::describe::{Prefix, TabWriter, events};
use super::describe_more::labels_lines;
use super::objects::rfc1123z;
use crate::api::events::ObjRef;
use crate::api::network::Ip;
use crate::api::quantity::{format_bytes, format_millicores};
use crate::api::*;
use crate::cluster::Cluster;
use crate::sim::SimTime;

/// `findNodeRoles`: `node-role.kubernetes.io/ROLE` labels and `kubernetes.io/role`, sorted.
pub(super) fn roles(n: &Node) -> String {
    let mut r: Vec<&str> = (n.labels.0.iter())
        .filter_map(|(k, v)| match k.strip_prefix("node-role.kubernetes.io/") {
            Some(role) if !role.is_empty() => Some(role),
            _ if k == "kubernetes.io/role" && !v.is_empty() => Some(v.as_str()),
            _ => None,
        })
        .collect();
    r.sort();
    r.dedup();
    if r.is_empty() { "<none>".into() } else { r.join(",") }
}

/// `printNodeTaintsMultiline`: sorted by effect then key; `key=value:Effect`.
fn taints(o: &mut Prefix, n: &Node) {
    let mut t: Vec<Taint> = n.taints.clone();
    // Cordoning is a taint too (TaintNodesByCondition): the view shows it with the flag.
    if n.unschedulable && !t.iter().any(|t| t.key == "node.kubernetes.io/unschedulable") {
        let effect = TaintEffect::NoSchedule;
        t.push(Taint { key: "node.kubernetes.io/unschedulable".into(), value: String::new(), effect });
    }
    t.sort_by(|a, b| (a.effect.as_str(), &a.key).cmp(&(b.effect.as_str(), &b.key)));
    if t.is_empty() {
        o.w(0, "Taints:\t<none>\n");
    }
    for (i, t) in t.iter().enumerate() {
        let text = match t.value.is_empty() {
            true => format!("{}:{}", t.key, t.effect.as_str()),
            false => format!("{}={}:{}", t.key, t.value, t.effect.as_str()),
        };
        o.w(0, &format!("{}\t{text}\n", if i == 0 { "Taints:" } else { "" }));
    }
}

/// When the node's condition last changed: its latest event among `reasons` at or before now.
fn transition(c: &Cluster, id: NodeId, reasons: &[&str], now: SimTime) -> SimTime {
    (c.rec.events.iter().rev())
        .find(|e| e.object == ObjRef::Node(id) && e.time <= now && reasons.contains(&e.reason))
        .map_or(c.api.node(id).created, |e| e.time)
}

fn conditions(o: &mut Prefix, c: &Cluster, id: NodeId, now: SimTime) {
    let n = c.api.node(id);
    let beat = rfc1123z(c.api.lease_renew_time(id, now));
    let ready_at = rfc1123z(transition(c, id, &["NodeReady", "NodeNotReady"], now));
    let unknown = n.ready == ConditionStatus::Unknown;
    o.w(0, "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n");
    o.w(1, "----\t------\t-----------------\t------------------\t------\t-------\n");
    let memory = match n.memory_pressure {
        true => ("True", "KubeletHasInsufficientMemory", "kubelet has insufficient memory available"),
        false => ("False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    };
    let mem_at = rfc1123z(transition(c, id, &["NodeHasInsufficientMemory", "NodeHasSufficientMemory"], now));
    let disk = match n.disk_pressure {
        true => ("True", "KubeletHasDiskPressure", "kubelet has disk pressure"),
        false => ("False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    };
    let disk_at = rfc1123z(transition(c, id, &["NodeHasDiskPressure", "NodeHasNoDiskPressure"], now));
    let pid = match n.pid_pressure {
        true => ("True", "KubeletHasInsufficientPID", "kubelet has insufficient PID available"),
        false => ("False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    };
    let pid_at = rfc1123z(transition(c, id, &["NodeHasInsufficientPID", "NodeHasSufficientPID"], now));
    let rows = [
        ("MemoryPressure", memory, mem_at),
        ("DiskPressure", disk, disk_at),
        ("PIDPressure", pid, pid_at),
        ("Ready", ready_row(n), ready_at.clone()),
    ];
    for (kind, (status, reason, msg), at) in rows {
        // The node controller marks every kubelet condition Unknown when the lease goes stale.
        let (status, reason, msg, at) = match unknown {
            true => ("Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.", &ready_at),
            false => (status, reason, msg, &at),
        };
        o.w(1, &format!("{kind} \t{status} \t{beat} \t{at} \t{reason} \t{msg}\n"));
    }
}

/// The Ready condition's (status, reason, message) as the kubelet or the node controller sets it.
pub(super) fn ready_row(n: &crate::api::Node) -> (&'static str, &'static str, &'static str) {
    match n.ready {
        ConditionStatus::True => ("True", "KubeletReady", "kubelet is posting ready status"),
        ConditionStatus::False => ("False", "KubeletNotReady", n.not_ready_message),
        ConditionStatus::Unknown => ("Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status."),
    }
}

/// Capacity or allocatable, by resource name as `SortableResourceNames` orders them.
fn resource_list(o: &mut Prefix, c: &Cluster, r: Resources, pods: u32) {
    let mut rows = vec![("cpu".to_string(), format_millicores(r.cpu_milli)), ("memory".into(), format_bytes(r.memory))];
    if r.storage > 0 {
        rows.push(("ephemeral-storage".into(), format_bytes(r.storage)));
    }
    for (i, name) in c.scenario.scheduler.extended_resources.iter().enumerate() {
        rows.push((name.clone(), r.ext[i].to_string()));
    }
    rows.push(("pods".into(), pods.to_string()));
    rows.sort();
    for (k, v) in rows {
        o.w(0, &format!("  {k}:\t{v}\n"));
    }
}

/// `int64(x / alloc * 100)`, 0 when nothing is allocatable.
fn share(x: u64, alloc: u64) -> u64 {
    if alloc == 0 { 0 } else { (x as f64 / alloc as f64 * 100.0) as u64 }
}

fn quantity(cpu: bool, v: u64) -> String {
    if cpu { format_millicores(v) } else { format_bytes(v) }
}

/// `describeNodeResource`: the node's pods that are not Succeeded or Failed.
fn pods(o: &mut Prefix, c: &Cluster, id: NodeId, now: SimTime) {
    let api = &c.api;
    let alloc = api.node(id).allocatable;
    let mut live: Vec<&Pod> = (api.pods_on_node(id).iter().map(|&p| api.pod(p)))
        .filter(|p| p.removed.is_none() && !p.status.phase.is_terminal())
        .collect();
    live.sort_by(|a, b| (&*a.namespace, &a.name).cmp(&(&*b.namespace, &b.name)));
    o.w(0, &format!("Non-terminated Pods:\t({} in total)\n", live.len()));
    o.w(1, "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n");
    o.w(1, "---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n");
    let (mut req, mut lim) = (Resources::default(), Resources::default());
    for p in &live {
        let (r, l) = (p.spec.requests(), p.spec.limits());
        req.add(r);
        lim.add(l);
        let cell = |cpu: bool, v: u64| {
            let a = if cpu { alloc.cpu_milli } else { alloc.memory };
            format!("{} ({}%)", quantity(cpu, v), share(v, a))
        };
        let age = super::kubectl::human_duration(now.since(p.created));
        o.w(
            1,
            &format!(
                "{}\t{}\t\t{}\t{}\t{}\t{}\t{age}\n",
                p.namespace,
                p.name,
                cell(true, r.cpu_milli),
                cell(true, l.cpu_milli),
                cell(false, r.memory),
                cell(false, l.memory)
            ),
        );
    }
    o.w(0, "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n");
    o.w(1, "Resource\tRequests\tLimits\n");
    o.w(1, "--------\t--------\t------\n");
    for (name, cpu, r, l, a) in [
        ("cpu", true, req.cpu_milli, lim.cpu_milli, alloc.cpu_milli),
        ("memory", false, req.memory, lim.memory, alloc.memory),
        ("ephemeral-storage", false, req.storage, lim.storage, alloc.storage),
    ] {
        o.w(1, &format!("{name}\t{} ({}%)\t{} ({}%)\n", quantity(cpu, r), share(r, a), quantity(cpu, l), share(l, a)));
    }
    for (i, name) in c.scenario.scheduler.extended_resources.iter().enumerate() {
        o.w(1, &format!("{name}\t{}\t{}\n", req.ext[i], lim.ext[i]));
    }
}

/// `kubectl describe node NAME` at `now`.
pub fn describe_node(c: &Cluster, now: SimTime, name: &str) -> Result<String, String> {
    let api = &c.api;
    let id = (0..api.nodes.len() as u32)
        .map(NodeId)
        .find(|&i| api.node(i).name == name && api.node(i).deleted.is_none_or(|d| d > now))
        .ok_or_else(|| format!("nodes {name:?} not found"))?;
    let n = api.node(id);
    let mut o = Prefix(TabWriter::new(0, 2));
    o.w(0, &format!("Name:\t{name}\n"));
    o.w(0, &format!("Roles:\t{}\n", roles(n)));
    labels_lines(&mut o, 0, "Labels", &n.labels);
    o.w(0, "Annotations:\tnode.alpha.kubernetes.io/ttl: 0\n");
    o.w(0, "\tvolumes.kubernetes.io/controller-managed-attach-detach: true\n");
    o.w(0, &format!("CreationTimestamp:\t{}\n", rfc1123z(n.created)));
    taints(&mut o, n);
    o.w(0, &format!("Unschedulable:\t{}\n", n.unschedulable));
    o.w(0, "Lease:\n");
    o.w(1, &format!("HolderIdentity:\t{name}\n"));
    o.w(1, "AcquireTime:\t<unset>\n");
    o.w(1, &format!("RenewTime:\t{}\n", rfc1123z(api.lease_renew_time(id, now))));
    conditions(&mut o, c, id, now);
    o.w(0, "Addresses:\n");
    o.w(1, &format!("InternalIP:\t{}\n", Ip(n.address)));
    o.w(1, &format!("Hostname:\t{name}\n"));
    o.w(0, "Capacity:\n");
    resource_list(&mut o, c, n.capacity, n.pods);
    o.w(0, "Allocatable:\n");
    resource_list(&mut o, c, n.allocatable, n.pods);
    let (major, minor) = c.scenario.kubernetes.version;
    // kubesim's nodes are kind-like machines: ids derived from the name, so runs repeat.
    let id_of = |salt: &str| {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in salt.bytes().chain(name.bytes()) {
            h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
        format!("{h:016x}{:016x}", h.rotate_left(29) ^ 0x9e37_79b9_7f4a_7c15)
    };
    let uuid = |h: String| format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..]);
    o.w(0, "System Info:\n");
    for (k, v) in [
        ("Machine ID", id_of("machine")),
        ("System UUID", uuid(id_of("system"))),
        ("Boot ID", uuid(id_of("boot"))),
        ("Kernel Version", crate::api::node::NODE_KERNEL_VERSION.into()),
        ("OS Image", crate::api::node::NODE_OS_IMAGE.into()),
        ("Operating System", "linux".to_string()),
        ("Architecture", n.labels.get("kubernetes.io/arch").unwrap_or("amd64").to_string()),
        ("Container Runtime Version", crate::api::node::NODE_CONTAINER_RUNTIME.into()),
        ("Kubelet Version", format!("v{major}.{minor}.0")),
    ] {
        o.w(0, &format!("  {k}:\t{v}\n"));
    }
    if let Some(cidr) = n.pod_cidr {
        o.w(0, &format!("PodCIDR:\t{cidr}\n"));
        o.w(0, &format!("PodCIDRs:\t{cidr}\n"));
    }
    pods(&mut o, c, id, now);
    events(&mut o, c, ObjRef::Node(id), now);
    Ok(o.0.finish())
}

/// `kubectl describe` for nodes (and the kinds of this file); `None`: not one of them.
pub fn describe(c: &Cluster, now: SimTime, kind: &str, _ns: &str, name: &str) -> Option<Result<String, String>> {
    match kind.to_ascii_lowercase().as_str() {
        "node" | "nodes" | "no" => Some(describe_node(c, now, name)),
        _ => None,
    }
}
