//! The fault plan: each fault acts on the world (here: deletes pods as `kubectl delete pod`
//! does); what follows emerges from the components.

mod drain;
pub mod plan;

use crate::api::events::ContainerRef;
use crate::api::events::{ObjRef, Source};
use crate::api::*;
use crate::runtime::Ctx;
use crate::runtime::Event;
use crate::runtime::KubeletEvent;
use crate::sim::SimTime;
use drain::Drain;
pub use drain::{DRAIN_DELETE_POLL_MS, DRAIN_EVICTION_RETRY_MS};
use plan::{FaultDef, PodMode, PodTarget};

pub struct Chaos {
    /// The fault plan, shared with the cluster (no copy per injection).
    faults: std::sync::Arc<[FaultDef]>,
    drains: Vec<Drain>,
}

impl Chaos {
    pub fn new(faults: impl Into<std::sync::Arc<[FaultDef]>>) -> Chaos {
        Chaos { faults: faults.into(), drains: Vec::new() }
    }

    pub fn inject(&mut self, i: usize, ctx: &mut Ctx) {
        let faults = self.faults.clone();
        let f = &faults[i];
        ctx.rec.faults.push((ctx.now, f.action()));
        ctx.rec.fault_spans.push((ctx.now, f.until(), f.action()));
        match f {
            FaultDef::PodKill { target, grace_ms, .. } => pod_kill(target, *grace_ms, ctx),
            FaultDef::PodFailure { until, target, .. } => pod_failure(target, *until, ctx),
            FaultDef::ContainerKill { target, containers, .. } => container_kill(target, containers, ctx),
            FaultDef::NetworkPartition { nodes, .. } => {
                let root = ctx.cause;
                for &n in nodes {
                    ctx.cause = root;
                    let msg =
                        format!("network-partition: node {} is cut off from the control plane", ctx.api.node(n).name);
                    node_event(ctx, n, EventType::Warning, "FaultInjected", msg);
                    ctx.api.disconnect(n, ctx.now, ctx.cause);
                }
            }
            FaultDef::KubeletKill { nodes, .. } => {
                let root = ctx.cause;
                for &n in nodes {
                    ctx.cause = root;
                    let msg = format!("kubelet-service-kill: the kubelet of node {} is killed", ctx.api.node(n).name);
                    node_event(ctx, n, EventType::Warning, "FaultInjected", msg);
                    ctx.after(0, Event::Kubelet(n, KubeletEvent::ServiceStop));
                }
            }
            FaultDef::RuntimeDown { nodes, .. } => runtime(nodes, false, false, ctx),
            FaultDef::CniDown { nodes, .. } => runtime(nodes, true, false, ctx),
            // The control plane's own outage is the cluster's to handle; random failures were
            // expanded into concrete faults when the cluster was built.
            FaultDef::ApiserverOutage { .. } | FaultDef::RandomFailures { .. } => {}
            FaultDef::RegistryOutage { .. } | FaultDef::RegistrySlow { .. } | FaultDef::ImageMissing { .. } => {
                self.registry(f, true, ctx);
            }
            FaultDef::NodeMemoryHog { .. } | FaultDef::DiskFill { .. } | FaultDef::PidExhaustion { .. } => {
                self.hog(f, true, ctx)
            }
            FaultDef::SetImage { .. } | FaultDef::RolloutRestart { .. } | FaultDef::Scale { .. } => {
                operator_action(f, ctx)
            }
            FaultDef::Apply { .. } | FaultDef::Delete { .. } => apply_or_delete(f, ctx),
            FaultDef::RemoveFinalizers { namespace, name, .. } => remove_finalizers(namespace, name, ctx),
            FaultDef::NodeDrain { nodes, force, grace_ms, .. } => {
                let root = ctx.cause;
                for &n in nodes {
                    ctx.cause = root;
                    self.start_drain(n, *force, *grace_ms, ctx);
                }
            }
            // Joining nodes need new kubelets: the cluster handles `add-nodes` itself.
            FaultDef::AddNodes { .. } => {}
            FaultDef::DeleteNode { nodes, .. } => delete_nodes(nodes, ctx),
            FaultDef::NodeCrash { .. } => self.power(f, false, ctx),
            FaultDef::NodeCordon { nodes, cordon, .. } => cordon_nodes(nodes, *cordon, ctx),
            FaultDef::Taint { .. } => taint_nodes(f, ctx),
        }
    }

    /// A fault with a `duration` is over.
    pub fn end(&mut self, i: usize, ctx: &mut Ctx) {
        let faults = self.faults.clone();
        let f = &faults[i];
        match f {
            FaultDef::NetworkPartition { nodes, .. } => {
                let root = ctx.cause;
                for &n in nodes {
                    ctx.cause = root;
                    let msg =
                        format!("network-partition: node {} reaches the control plane again", ctx.api.node(n).name);
                    node_event(ctx, n, EventType::Normal, "FaultEnded", msg);
                    ctx.after(0, Event::Kubelet(n, KubeletEvent::Reconnect));
                }
            }
            FaultDef::KubeletKill { nodes, .. } => {
                let root = ctx.cause;
                for &n in nodes {
                    ctx.cause = root;
                    let msg =
                        format!("kubelet-service-kill: the kubelet of node {} starts again", ctx.api.node(n).name);
                    node_event(ctx, n, EventType::Normal, "FaultEnded", msg);
                    ctx.after(0, Event::Kubelet(n, KubeletEvent::ServiceStart));
                }
            }
            FaultDef::RuntimeDown { nodes, .. } => runtime(nodes, false, true, ctx),
            FaultDef::CniDown { nodes, .. } => runtime(nodes, true, true, ctx),
            _ => {}
        }
        self.registry(f, false, ctx);
        self.hog(f, false, ctx);
        self.power(f, true, ctx);
    }

    /// `node-crash`: the node's power goes (or comes back); its kubelet stops (or boots).
    fn power(&mut self, f: &FaultDef, on: bool, ctx: &mut Ctx) {
        let FaultDef::NodeCrash { nodes, graceful, .. } = f else { return };
        let root = ctx.cause;
        for &n in nodes {
            ctx.cause = root;
            let name = &ctx.api.node(n).name;
            let msg = match (on, graceful) {
                (true, _) => format!("node-crash: powering on node {name}"),
                (false, false) => format!("node-crash: powering off node {name}"),
                (false, true) => format!("node-shutdown: shutting down node {name}"),
            };
            node_event(ctx, n, EventType::Warning, "FaultInjected", msg);
            let ev = match (on, graceful) {
                (true, _) => KubeletEvent::PowerOn,
                (false, false) => KubeletEvent::PowerOff,
                (false, true) => KubeletEvent::Shutdown,
            };
            ctx.after(0, Event::Kubelet(n, ev));
        }
    }

    /// A memory hog starts or stops on its nodes; their kubelets' eviction managers see it at
    /// their next monitoring tick.
    fn hog(&mut self, f: &FaultDef, on: bool, ctx: &mut Ctx) {
        let (nodes, bytes) = match f {
            FaultDef::NodeMemoryHog { nodes, bytes, .. } | FaultDef::DiskFill { nodes, bytes, .. } => (nodes, bytes),
            FaultDef::PidExhaustion { nodes, processes, .. } => (nodes, processes),
            _ => return,
        };
        for &n in nodes {
            let h = match f {
                FaultDef::DiskFill { .. } => &mut ctx.disk_fill[n.idx()],
                FaultDef::PidExhaustion { .. } => &mut ctx.pid_hog[n.idx()],
                _ => &mut ctx.memory_hog[n.idx()],
            };
            *h = if on { h.saturating_add(*bytes) } else { h.saturating_sub(*bytes) };
            ctx.at(KubeletEvent::next_eviction_monitor(ctx.now), Event::Kubelet(n, KubeletEvent::EvictionMonitor));
        }
    }

    /// Registry faults act on the registry model only; the kubelets find out by pulling.
    fn registry(&mut self, f: &FaultDef, on: bool, ctx: &mut Ctx) {
        let mut timers = Vec::new();
        let now = ctx.now;
        match *f {
            FaultDef::RegistryOutage { .. } => ctx.registry.set_outage(on, now, &mut timers),
            FaultDef::RegistrySlow { factor, .. } => {
                ctx.registry.set_slow(if on { factor as u64 } else { 1 }, now, &mut timers)
            }
            FaultDef::ImageMissing { image, .. } => ctx.registry.set_missing(image, on),
            _ => return,
        }
        for (t, ev) in timers {
            ctx.at(t, Event::Registry(ev));
        }
    }
}

/// The operator's own actions: spec changes through the API server, as kubectl makes them.
fn operator_action(f: &FaultDef, ctx: &mut Ctx) {
    use crate::apiserver::Watcher;
    use plan::{RolloutTarget, ScaleTarget};
    use std::sync::Arc;
    let (obj, msg) = match *f {
        FaultDef::SetImage { deployment: target, init, container, image, behavior, .. } => {
            let template = match target {
                RolloutTarget::Deployment(d) => &ctx.api.deployments[d.idx()].template,
                RolloutTarget::DaemonSet(d) => &ctx.api.daemonsets[d.idx()].template,
            };
            let mut spec = (*template.spec).clone();
            let c = if init { &mut spec.init_containers[container] } else { &mut spec.containers[container] };
            c.image = image;
            // The new image's own behaviour (kubectl set image changes what runs).
            c.behavior = behavior;
            let cname = c.name.clone();
            let spec = Arc::new(spec);
            let obj = match target {
                RolloutTarget::Deployment(d) => {
                    ctx.api.update_deployment(d, Watcher::Operator, |d| d.template.spec = spec);
                    ObjRef::Deployment(d)
                }
                RolloutTarget::DaemonSet(d) => {
                    ctx.api.update_daemonset(d, Watcher::Operator, |d| d.template.spec = spec);
                    ObjRef::DaemonSet(d)
                }
            };
            let (kind, _, name) = ctx.api.describe(obj);
            let msg = format!(
                "set-image: {} {name} container {cname} image {}",
                kind.to_lowercase(),
                ctx.images[image.idx()].name
            );
            (obj, msg)
        }
        FaultDef::RolloutRestart { deployment: target, .. } => {
            let now = ctx.now;
            let obj = match target {
                RolloutTarget::Deployment(d) => {
                    ctx.api.update_deployment(d, Watcher::Operator, |d| d.template.restarted_at = Some(now));
                    ObjRef::Deployment(d)
                }
                RolloutTarget::DaemonSet(d) => {
                    ctx.api.update_daemonset(d, Watcher::Operator, |d| d.template.restarted_at = Some(now));
                    ObjRef::DaemonSet(d)
                }
            };
            let (kind, _, name) = ctx.api.describe(obj);
            let msg = format!("rollout-restart: {} {name} restarted", kind.to_lowercase());
            (obj, msg)
        }
        FaultDef::Scale { workload, replicas, .. } => {
            let (obj, from) = match workload {
                ScaleTarget::Deployment(d) => {
                    let from = ctx.api.deployments[d.idx()].replicas;
                    ctx.api.update_deployment(d, Watcher::Operator, |x| x.replicas = replicas);
                    (ObjRef::Deployment(d), from)
                }
                ScaleTarget::ReplicaSet(r) => {
                    let from = ctx.api.replicasets[r.idx()].replicas;
                    ctx.api.update_replicaset(r, Watcher::Operator, |x| x.replicas = replicas);
                    (ObjRef::ReplicaSet(r), from)
                }
                ScaleTarget::StatefulSet(s) => {
                    let from = ctx.api.statefulsets[s.idx()].replicas;
                    ctx.api.update_statefulset(s, Watcher::Operator, |x| x.replicas = replicas);
                    (ObjRef::StatefulSet(s), from)
                }
            };
            let (kind, _, name) = ctx.api.describe(obj);
            let msg = format!("scale: {} {name} from {from} to {replicas} replicas", kind.to_lowercase());
            (obj, msg)
        }
        _ => return,
    };
    ctx.cause = ctx.record(EventType::Normal, "OperatorAction", obj, None, Source::Chaos, Message::Text(msg.into()));
}

/// Record kubesim-chaos's own event about a node.
/// `pod-kill`: `kubectl delete pod` on the picked pods, each with its grace period (or the
/// fault's).
fn pod_kill(target: &PodTarget, grace_ms: Option<u64>, ctx: &mut Ctx) {
    let root = ctx.cause;
    for id in pick_pods(target, ctx) {
        ctx.cause = root;
        let p = ctx.api.pod(id);
        let grace = grace_ms.unwrap_or(p.spec.termination_grace_ms);
        let msg = format!(
            "pod-kill: deleting pod {}/{} with a grace period of {}s",
            p.namespace,
            p.name,
            grace as f64 / 1000.0
        );
        let node = p.node;
        ctx.api.delete_pod(id, grace, ctx.now);
        pod_fault_event(ctx, id, node, msg);
    }
}

/// `pod-failure`: the picked pods' containers fail until `until`.
fn pod_failure(target: &PodTarget, until: Option<SimTime>, ctx: &mut Ctx) {
    let root = ctx.cause;
    let until = until.unwrap_or(SimTime(u64::MAX));
    for id in pick_pods(target, ctx) {
        ctx.cause = root;
        let p = ctx.api.pod(id);
        let Some(node) = p.node else { continue };
        let msg = format!("pod-failure: the containers of pod {}/{} fail", p.namespace, p.name);
        pod_fault_event(ctx, id, Some(node), msg);
        ctx.after(0, Event::Kubelet(node, KubeletEvent::FailPod { pod: id, until }));
    }
}

/// `container-kill`: SIGKILL to the named containers of the picked pods.
fn container_kill(target: &PodTarget, containers: &[String], ctx: &mut Ctx) {
    let root = ctx.cause;
    for id in pick_pods(target, ctx) {
        let p = ctx.api.pod(id);
        let Some(node) = p.node else { continue };
        let spec = p.spec.clone();
        let refs = spec
            .init_containers
            .iter()
            .enumerate()
            .map(|(i, c)| (ContainerRef { init: true, index: i as u16 }, c))
            .chain(spec.containers.iter().enumerate().map(|(i, c)| (ContainerRef { init: false, index: i as u16 }, c)));
        for (c, cs) in refs.filter(|(_, cs)| containers.contains(&cs.name)) {
            ctx.cause = root;
            let p = ctx.api.pod(id);
            let msg = format!("container-kill: SIGKILL to container {} of pod {}/{}", cs.name, p.namespace, p.name);
            pod_fault_event(ctx, id, Some(node), msg);
            ctx.after(0, Event::Kubelet(node, KubeletEvent::KillContainer { pod: id, c }));
        }
    }
}

/// `delete-node`: `kubectl delete node`; the node controller forgets it.
fn delete_nodes(nodes: &[NodeId], ctx: &mut Ctx) {
    let root = ctx.cause;
    for &n in nodes {
        ctx.cause = root;
        if ctx.api.node(n).deleted.is_some() {
            continue;
        }
        let name = ctx.api.node(n).name.clone();
        node_event(ctx, n, EventType::Warning, "FaultInjected", format!("delete-node: kubectl delete node {name}"));
        ctx.api.delete_node(n, ctx.now);
        ctx.cause = ctx.record(
            EventType::Normal,
            "RemovingNode",
            ObjRef::Node(n),
            Some(n),
            Source::NodeController,
            Message::Text(format!("Node {name} event: Removing Node {name} from Controller").into()),
        );
    }
}

/// `kubectl cordon` / `uncordon`: spec.unschedulable, seen by the scheduler.
fn cordon_nodes(nodes: &[NodeId], cordon: bool, ctx: &mut Ctx) {
    let root = ctx.cause;
    for &n in nodes {
        ctx.cause = root;
        ctx.api.update_node(n, |x| x.unschedulable = cordon);
        let msg = if cordon {
            format!("node-cordon: marking node {} unschedulable", ctx.api.node(n).name)
        } else {
            format!("node-uncordon: marking node {} schedulable", ctx.api.node(n).name)
        };
        node_event(ctx, n, EventType::Warning, "FaultInjected", msg);
    }
}

/// `kubectl taint nodes`: the taint goes on (replacing one of the same key and effect, as
/// `--overwrite`) or off; the scheduler sees the node change, and the taint eviction controller
/// looks at the node's pods when its NoExecute taints changed.
fn taint_nodes(f: &FaultDef, ctx: &mut Ctx) {
    let FaultDef::Taint { nodes, key, value, effect, add, .. } = f else { return };
    let root = ctx.cause;
    for &n in nodes {
        ctx.cause = root;
        let no_execute =
            |x: &Node| x.taints.iter().filter(|t| t.effect == TaintEffect::NoExecute).cloned().collect::<Vec<_>>();
        let before = no_execute(ctx.api.node(n));
        let matches = |t: &Taint| t.key == *key && effect.is_none_or(|e| t.effect == e);
        ctx.api.update_node(n, |x| {
            x.taints.retain(|t| !matches(t));
            if *add && let Some(e) = effect {
                x.taints.push(Taint { key: key.clone(), value: value.clone(), effect: *e });
            }
        });
        let name = ctx.api.node(n).name.clone();
        let what = match (add, effect) {
            (true, Some(e)) if value.is_empty() => format!("{key}:{e:?}"),
            (true, Some(e)) => format!("{key}={value}:{e:?}"),
            (_, Some(e)) => format!("{key}:{e:?}-"),
            (_, None) => format!("{key}-"),
        };
        let done = if *add { "tainted" } else { "untainted" };
        ctx.cause = ctx.record(
            EventType::Normal,
            "OperatorAction",
            ObjRef::Node(n),
            Some(n),
            Source::Chaos,
            Message::Text(format!("{}: kubectl taint nodes {name} {what}: node/{name} {done}", f.action()).into()),
        );
        if no_execute(ctx.api.node(n)) != before {
            ctx.after(0, Event::NodeLifecycle(crate::runtime::NodeLifecycleEvent::TaintsChanged { node: n }));
        }
    }
}

/// `apply` / `delete` of the objects that gate pods: the store changes, and one event on the
/// control plane says what the operator did (the kubelet sees the change at its next retry).
fn apply_or_delete(f: &FaultDef, ctx: &mut Ctx) {
    let msg = match f {
        FaultDef::Apply { file, configs, service_accounts, .. } => {
            let mut names = Vec::new();
            for (ns, name) in service_accounts {
                ctx.api.gates.add_service_account(ns, name);
                ctx.api.gates.created.insert(format!("ServiceAccount/{ns}/{name}"), ctx.now);
                names.push(format!("serviceaccount/{name}"));
            }
            for c in configs {
                names.push(format!("{}/{}", c.kind.resource(), c.name));
                ctx.api.gates.created.insert(format!("{}/{}/{}", c.kind.kind(), c.namespace, c.name), ctx.now);
                ctx.api.gates.put_config(c.clone());
            }
            format!("apply -f {file}: {} created", names.join(", "))
        }
        FaultDef::Delete { target: plan::DeleteTarget::Namespace, name, .. } => delete_namespace(name, ctx),
        FaultDef::Delete { target, namespace, name, .. } => {
            let (gone, what) = match *target {
                plan::DeleteTarget::Config(k) => (ctx.api.gates.delete_config(k, namespace, name), k.resource()),
                plan::DeleteTarget::ServiceAccount => {
                    (ctx.api.gates.delete_service_account(namespace, name), "serviceaccount")
                }
                plan::DeleteTarget::Namespace => unreachable!("handled above"),
            };
            if gone {
                format!("delete: {what} \"{name}\" deleted")
            } else {
                format!("delete: {what}s \"{name}\" not found")
            }
        }
        _ => return,
    };
    let kind = if msg.ends_with("not found") || msg.contains("Error from server") {
        EventType::Warning
    } else {
        EventType::Normal
    };
    control_plane_event(ctx, kind, msg);
}

/// Record kubesim-chaos's event about the cluster as a whole (an operator's kubectl action).
fn control_plane_event(ctx: &mut Ctx, kind: EventType, msg: String) {
    ctx.cause = ctx.record(kind, "FaultInjected", ObjRef::ControlPlane, None, Source::Chaos, Message::Text(msg.into()));
}

/// `kubectl delete namespace NAME`: the namespace turns Terminating, the namespace controller
/// deletes its pods (with their grace periods) and its other content; nothing new may be created
/// there (the workloads' controllers are refused silently); it is gone once its pods are.
fn delete_namespace(name: &str, ctx: &mut Ctx) -> String {
    if let Err(e) = ctx.api.gates.delete_namespace(name) {
        return format!("delete: Error from server: {e}");
    }
    let pods: Vec<PodId> = (0..ctx.api.pods.len() as u32)
        .map(PodId)
        .filter(|&p| {
            let pod = ctx.api.pod(p);
            pod.removed.is_none() && pod.deletion.is_none() && *pod.namespace == *name
        })
        .collect();
    for p in pods {
        let grace = ctx.api.pod(p).spec.termination_grace_ms;
        ctx.api.delete_pod(p, grace, ctx.now);
    }
    format!("delete: namespace \"{name}\" deleted")
}

/// `kubectl patch pod NAME` removing its finalizers; a pod deleted meanwhile then goes.
fn remove_finalizers(namespace: &str, name: &str, ctx: &mut Ctx) {
    let patch = format!(
        "kubectl patch pod {name} -n {namespace} --type=json -p '[{{\"op\":\"remove\",\"path\":\"/metadata/finalizers\"}}]'"
    );
    let found = (0..ctx.api.pods.len() as u32).map(PodId).find(|&p| {
        let pod = ctx.api.pod(p);
        pod.removed.is_none() && *pod.namespace == *namespace && pod.name == name
    });
    let Some(p) = found else {
        let msg = format!("remove-finalizers: {patch}: Error from server (NotFound): pods {name:?} not found");
        return control_plane_event(ctx, EventType::Warning, msg);
    };
    let node = ctx.api.pod(p).node;
    let (kind, msg) = if ctx.api.pod(p).finalizers.is_empty() {
        // A JSON patch `remove` of a path the object does not have is refused.
        let why =
            "jsonpatch remove operation does not apply: doc is missing path: \"/metadata/finalizers\": missing value";
        (EventType::Warning, format!("remove-finalizers: {patch}: Error from server: {why}"))
    } else {
        (EventType::Normal, format!("remove-finalizers: {patch}: pod/{name} patched"))
    };
    pod_event(ctx, p, node, kind, "FaultInjected", msg);
    ctx.api.remove_finalizers(p, ctx.now);
}

fn node_event(ctx: &mut Ctx, n: NodeId, kind: EventType, reason: &'static str, msg: String) {
    ctx.cause = ctx.record(kind, reason, ObjRef::Node(n), Some(n), Source::Chaos, Message::Text(msg.into()));
}

/// The pods a pod action picks: candidates in name order, then Chaos Mesh's mode, drawn from
/// the fault stream so the choice depends only on the seed.
fn pick_pods(t: &PodTarget, ctx: &mut Ctx) -> Vec<PodId> {
    let mut cands: Vec<PodId> = (0..ctx.api.pods.len() as u32)
        .map(PodId)
        .filter(|&id| {
            let p = ctx.api.pod(id);
            p.is_active() && *p.namespace == *t.namespace && t.selector.matches(&p.labels)
        })
        .collect();
    cands.sort_by(|a, b| ctx.api.pod(*a).name.cmp(&ctx.api.pod(*b).name));
    let n = match t.mode {
        PodMode::All => cands.len(),
        PodMode::One => cands.len().min(1),
        PodMode::Fixed(k) => cands.len().min(k as usize),
        PodMode::FixedPercent(pct) => cands.len() * pct as usize / 100,
    };
    // Partial Fisher-Yates: the first n are a uniform random choice.
    for k in 0..n {
        let j = k + ctx.rng.faults.below((cands.len() - k) as u64) as usize;
        cands.swap(k, j);
    }
    cands.truncate(n);
    cands
}

/// Record kubesim-chaos's event about a pod.
fn pod_fault_event(ctx: &mut Ctx, id: PodId, node: Option<NodeId>, msg: String) {
    pod_event(ctx, id, node, EventType::Warning, "FaultInjected", msg);
}

/// An event about a pod from chaos (a fault or kubectl's action); what follows is its effect.
fn pod_event(ctx: &mut Ctx, id: PodId, node: Option<NodeId>, kind: EventType, reason: &'static str, msg: String) {
    ctx.cause = ctx.record(kind, reason, ObjRef::Pod(id), node, Source::Chaos, Message::Text(msg.into()));
}

/// `container-runtime-down` (or `cni-down`) and its end: the nodes' runtime stops answering (its
/// network plugin is not initialized), or is back.
fn runtime(nodes: &[NodeId], cni: bool, back: bool, ctx: &mut Ctx) {
    let root = ctx.cause;
    for &n in nodes {
        ctx.cause = root;
        let name = &ctx.api.node(n).name;
        let (kind, reason, msg, ev) = match (cni, back) {
            (false, false) => (EventType::Warning, "FaultInjected", "stops answering", KubeletEvent::RuntimeDown),
            (false, true) => (EventType::Normal, "FaultEnded", "is back", KubeletEvent::RuntimeUp),
            (true, false) => (EventType::Warning, "FaultInjected", "is gone", KubeletEvent::CniDown),
            (true, true) => (EventType::Normal, "FaultEnded", "is back", KubeletEvent::CniUp),
        };
        let msg = match cni {
            false => format!("container-runtime-down: the container runtime of node {name} {msg}"),
            true => format!("cni-down: the CNI configuration of node {name} {msg}"),
        };
        node_event(ctx, n, kind, reason, msg);
        ctx.after(0, Event::Kubelet(n, ev));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::test_pod_spec;
    use crate::api::workloads::PdbStatus;
    use crate::runtime::testing::{Harness, selector};

    const GI: u64 = 1024 * 1024 * 1024;

    /// What chaos scheduled, as it came due: a kubelet's event, or its own drain tick.
    #[derive(Debug, PartialEq)]
    enum Due {
        Kubelet(NodeId, KubeletEvent),
        DrainTick(u32),
    }

    /// Deliver chaos's drain ticks up to `until` ms; return what came due (ms, what).
    fn run(h: &mut Harness, chaos: &mut Chaos, until: u64) -> Vec<(u64, Due)> {
        let mut due = Vec::new();
        h.run_until(SimTime(until), |e, ctx| match e {
            Event::DrainTick(i) => {
                due.push((ctx.now.as_millis(), Due::DrainTick(i)));
                chaos.drain_tick(i as usize, ctx);
            }
            Event::Kubelet(n, ev) => due.push((ctx.now.as_millis(), Due::Kubelet(n, ev))),
            _ => {}
        });
        due
    }

    /// A pod in `default` labelled `labels`, bound to `node`.
    fn bound(h: &mut Harness, name: &str, labels: &[(&str, &str)], node: NodeId, spec: PodSpec) -> PodId {
        let p = h.add_pod(name, labels, None, spec);
        h.bind(p, node);
        p
    }

    /// The text of an event's message (chaos builds them when it acts).
    fn text_of(e: &crate::api::RecordedEvent) -> String {
        match &e.message {
            Message::Text(t) => t.to_string(),
            m => panic!("a chaos event with a structured message: {m:?}"),
        }
    }

    /// The texts of kubesim-chaos's FaultInjected events about `obj`.
    fn injected(h: &Harness, obj: ObjRef) -> Vec<String> {
        let ours = h.events_of(obj).into_iter().filter(|e| e.reason == "FaultInjected" && e.source == Source::Chaos);
        ours.map(text_of).collect()
    }

    /// Every event with `reason`: when (ms) and its text.
    fn texts(h: &Harness, reason: &str) -> Vec<(u64, String)> {
        h.rec.events.iter().filter(|e| e.reason == reason).map(|e| (e.time.as_millis(), text_of(e))).collect()
    }

    #[test]
    fn pod_kill_deletes_the_selected_pods_each_with_its_own_grace_period() {
        let mut h = Harness::new();
        let n = h.add_node("n", 4000, 8 * GI);
        let quick = PodSpec { termination_grace_ms: 5_000, ..test_pod_spec() };
        let web1 = bound(&mut h, "web-1", &[("app", "web")], n, test_pod_spec());
        let web2 = bound(&mut h, "web-2", &[("app", "web")], n, quick);
        let db = bound(&mut h, "db", &[("app", "db")], n, test_pod_spec());
        let web = PodTarget { namespace: "default".into(), selector: selector(&[("app", "web")]), mode: PodMode::All };
        let dbs = PodTarget { namespace: "default".into(), selector: selector(&[("app", "db")]), mode: PodMode::One };
        let mut chaos = Chaos::new(vec![
            FaultDef::PodKill { at: SimTime(2_000), target: web, grace_ms: None },
            // `kubectl delete --grace-period=0 --force`: the object goes at once.
            FaultDef::PodKill { at: SimTime(3_000), target: dbs, grace_ms: Some(0) },
        ]);
        run(&mut h, &mut chaos, 2_000);
        h.handle(|ctx| chaos.inject(0, ctx));
        // Without a grace period of its own, each pod gets its terminationGracePeriodSeconds.
        assert_eq!(h.api.pod(web1).deletion, Some((SimTime(2_000), 30_000)));
        assert_eq!(h.api.pod(web2).deletion, Some((SimTime(2_000), 5_000)));
        assert!(h.api.pod(web1).is_terminating() && h.api.pod(db).is_active());
        let msg1 = "pod-kill: deleting pod default/web-1 with a grace period of 30s";
        assert_eq!(injected(&h, ObjRef::Pod(web1)), [msg1]);
        let msg2 = "pod-kill: deleting pod default/web-2 with a grace period of 5s";
        assert_eq!(injected(&h, ObjRef::Pod(web2)), [msg2]);
        run(&mut h, &mut chaos, 3_000);
        h.handle(|ctx| chaos.inject(1, ctx));
        assert_eq!(h.api.pod(db).removed, Some(SimTime(3_000)));
        assert_eq!(injected(&h, ObjRef::Pod(db)), ["pod-kill: deleting pod default/db with a grace period of 0s"]);
        assert_eq!(h.rec.faults, [(SimTime(2_000), "pod-kill"), (SimTime(3_000), "pod-kill")]);
    }

    #[test]
    fn node_crash_powers_the_node_off_and_on_again_at_its_end() {
        let mut h = Harness::new();
        let a = h.add_node("a", 4000, 8 * GI);
        let b = h.add_node("b", 4000, 8 * GI);
        let crash =
            FaultDef::NodeCrash { at: SimTime(10_000), until: Some(SimTime(70_000)), nodes: vec![b], graceful: false };
        let mut chaos = Chaos::new(vec![crash]);
        run(&mut h, &mut chaos, 10_000);
        h.handle(|ctx| chaos.inject(0, ctx));
        // b's kubelet (only b's) loses power at once; node a is untouched.
        assert_eq!(run(&mut h, &mut chaos, 60_000), [(10_000, Due::Kubelet(b, KubeletEvent::PowerOff))]);
        assert_eq!(injected(&h, ObjRef::Node(b)), ["node-crash: powering off node b"]);
        assert!(injected(&h, ObjRef::Node(a)).is_empty());
        assert_eq!(h.rec.fault_spans, [(SimTime(10_000), Some(SimTime(70_000)), "node-crash")]);
        run(&mut h, &mut chaos, 70_000);
        h.handle(|ctx| chaos.end(0, ctx));
        assert_eq!(run(&mut h, &mut chaos, 80_000), [(70_000, Due::Kubelet(b, KubeletEvent::PowerOn))]);
        let both = ["node-crash: powering off node b", "node-crash: powering on node b"];
        assert_eq!(injected(&h, ObjRef::Node(b)), both);
    }

    #[test]
    fn node_drain_cordons_evicts_and_retries_a_budget_refusal_every_5_seconds() {
        let mut h = Harness::new();
        let n = h.add_node("n", 4000, 8 * GI);
        let a = bound(&mut h, "a", &[("app", "a")], n, test_pod_spec());
        let b = bound(&mut h, "b", &[("app", "b")], n, test_pod_spec());
        let proxy = bound(&mut h, "kube-proxy-n", &[], n, test_pod_spec());
        h.api.pods[proxy.idx()].mirror = true; // a static pod: drain leaves it alone
        h.set_pod_status(b, PodPhase::Running, true);
        // minAvailable 1 of 1 healthy: no disruption allowed while b is b's only ready pod.
        let status = PdbStatus { current_healthy: 1, desired_healthy: 1, expected_pods: 1, disruptions_allowed: 0 };
        let pdb = h.api.create_pdb(PodDisruptionBudget {
            namespace: "default".into(),
            name: "b".into(),
            labels: Default::default(),
            selector: selector(&[("app", "b")]),
            min_available: Some(IntOrPercent::Int(1)),
            max_unavailable: None,
            resource_version: 0,
            status,
            disrupted: Default::default(),
            unblocked_by: 0,
        });
        let drain = FaultDef::NodeDrain { at: SimTime(1_000), nodes: vec![n], force: true, grace_ms: None };
        let mut chaos = Chaos::new(vec![drain]);
        run(&mut h, &mut chaos, 1_000);
        h.handle(|ctx| chaos.inject(0, ctx));
        assert!(h.api.node(n).unschedulable);
        assert_eq!(injected(&h, ObjRef::Node(n)), ["node-drain: node/n cordoned; draining"]);
        // a goes through the eviction API with its own grace period; b's budget says 429.
        assert_eq!(h.api.pod(a).deletion, Some((SimTime(1_000), 30_000)));
        assert_eq!(h.api.pod(b).deletion, None);
        assert_eq!(h.api.pod(proxy).deletion, None);
        let refused = "node-drain: error when evicting pods/\"b\" -n \"default\" (will retry after 5s): Cannot evict \
                       pod as it would violate the pod's disruption budget. (DisruptionBudget: The disruption budget \
                       b needs 1 healthy pods and has 1 currently)";
        assert_eq!(texts(&h, "EvictionRefused"), [(1_000, refused.to_string())]);
        // Retried at 6000 (refused again, recorded again); a second ready pod of b's at 8000
        // lets the budget allow one; the retry at 11000 evicts b, names the budget's
        // arithmetic, follows from what unblocked it and uses the disruption up.
        assert_eq!(run(&mut h, &mut chaos, 8_000), [(6_000, Due::DrainTick(0))]);
        assert_eq!(h.api.pod(b).deletion, None);
        let ready = h.handle(|ctx| {
            ctx.record(EventType::Normal, "Started", ObjRef::Pod(a), Some(n), Source::Kubelet, Message::Text("".into()))
        });
        h.api.update_pdb(pdb, |p| {
            p.status = PdbStatus { current_healthy: 2, desired_healthy: 1, expected_pods: 2, disruptions_allowed: 1 };
            p.unblocked_by = ready;
        });
        // Then, with nothing left to evict, it looks for the pods' deletion every second.
        let ticks = [(11_000, Due::DrainTick(0)), (12_000, Due::DrainTick(0))];
        assert_eq!(run(&mut h, &mut chaos, 12_500), ticks);
        assert_eq!(h.api.pod(b).deletion, Some((SimTime(11_000), 30_000)));
        assert_eq!(h.times_of("EvictionRequested"), [1_000, 11_000]);
        assert_eq!(h.times_of("EvictionRefused"), [1_000, 6_000]);
        let went = "node-drain: evicting pod default/b (the disruption budget b allows disruptions again: 2 healthy \
                    pods, 1 needed)";
        assert_eq!(texts(&h, "EvictionRequested")[1], (11_000, went.to_string()));
        assert_eq!(h.rec.events.iter().rfind(|e| e.reason == "EvictionRequested").unwrap().cause, ready);
        assert_eq!(h.api.pdbs[pdb.idx()].status.disruptions_allowed, 0);
        assert_eq!(h.api.pdbs[pdb.idx()].disrupted.get(&b.0), Some(&SimTime(11_000)));
        // Done at the first look after their kubelet removed them (12500).
        assert!(h.times_of("NodeDrained").is_empty());
        h.remove_pod(a);
        h.remove_pod(b);
        run(&mut h, &mut chaos, 20_000);
        assert_eq!(texts(&h, "NodeDrained"), [(13_000, "node-drain: node/n drained".to_string())]);
    }

    #[test]
    fn node_drain_without_force_refuses_pods_no_controller_owns() {
        let mut h = Harness::new();
        let n = h.add_node("n", 4000, 8 * GI);
        let a = bound(&mut h, "a", &[], n, test_pod_spec());
        let drain = FaultDef::NodeDrain { at: SimTime(1_000), nodes: vec![n], force: false, grace_ms: None };
        let mut chaos = Chaos::new(vec![drain]);
        run(&mut h, &mut chaos, 1_000);
        h.handle(|ctx| chaos.inject(0, ctx));
        // kubectl cordons first, then refuses the whole drain: nothing is evicted or retried.
        assert!(h.api.node(n).unschedulable);
        let why = "node-drain: cannot delete Pods that declare no controller (use --force to override): default/a";
        assert_eq!(texts(&h, "DrainFailed"), [(1_000, why.to_string())]);
        assert_eq!(run(&mut h, &mut chaos, 60_000), []);
        assert_eq!(h.api.pod(a).deletion, None);
        assert!(h.times_of("EvictionRequested").is_empty());
    }
}
