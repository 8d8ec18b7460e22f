//! The fault plan: each fault acts on the world (here: deletes pods as `kubectl delete pod`
//! does); what follows emerges from the components.

pub mod plan;

use crate::api::events::ContainerRef;
use crate::api::events::{ObjRef, Source};
use crate::api::*;
use crate::runtime::Ctx;
use crate::runtime::Event;
use crate::runtime::KubeletEvent;
use crate::sim::SimTime;
use plan::{FaultDef, PodMode, PodTarget};

pub struct Chaos {
    faults: Vec<FaultDef>,
    drains: Vec<Drain>,
}

/// `kubectl drain` of one node in progress.
struct Drain {
    node: NodeId,
    grace_ms: Option<u64>,
    /// Pods still to evict, and pods evicted that are not gone yet.
    pending: Vec<PodId>,
    evicted: Vec<PodId>,
    /// Pods whose refusal was already recorded (kubectl prints every retry; once is enough).
    refused: Vec<PodId>,
    done: bool,
}

/// kubectl drain retries a refused eviction after 5 s and polls deletions every second.
pub const DRAIN_EVICTION_RETRY_MS: u64 = 5_000;
pub const DRAIN_DELETE_POLL_MS: u64 = 1_000;

impl Chaos {
    pub fn new(faults: Vec<FaultDef>) -> Chaos {
        Chaos { faults, drains: Vec::new() }
    }

    pub fn inject(&mut self, i: usize, ctx: &mut Ctx) {
        let f = self.faults[i].clone();
        ctx.rec.faults.push((ctx.now, f.action()));
        ctx.rec.fault_spans.push((ctx.now, f.until(), f.action()));
        match f {
            FaultDef::PodKill { target, grace_ms, .. } => {
                let root = ctx.cause;
                for id in pick_pods(&target, ctx) {
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
            FaultDef::PodFailure { until, target, .. } => {
                let root = ctx.cause;
                let until = until.unwrap_or(SimTime(u64::MAX));
                for id in pick_pods(&target, ctx) {
                    ctx.cause = root;
                    let p = ctx.api.pod(id);
                    let Some(node) = p.node else { continue };
                    let msg = format!("pod-failure: the containers of pod {}/{} fail", p.namespace, p.name);
                    pod_fault_event(ctx, id, Some(node), msg);
                    ctx.after(0, Event::Kubelet(node, KubeletEvent::FailPod { pod: id, until }));
                }
            }
            FaultDef::ContainerKill { target, containers, .. } => {
                let root = ctx.cause;
                for id in pick_pods(&target, ctx) {
                    let p = ctx.api.pod(id);
                    let Some(node) = p.node else { continue };
                    let spec = p.spec.clone();
                    let refs = spec
                        .init_containers
                        .iter()
                        .enumerate()
                        .map(|(i, c)| (ContainerRef { init: true, index: i as u16 }, c))
                        .chain(
                            spec.containers
                                .iter()
                                .enumerate()
                                .map(|(i, c)| (ContainerRef { init: false, index: i as u16 }, c)),
                        );
                    for (c, cs) in refs.filter(|(_, cs)| containers.contains(&cs.name)) {
                        ctx.cause = root;
                        let p = ctx.api.pod(id);
                        let msg = format!(
                            "container-kill: SIGKILL to container {} of pod {}/{}",
                            cs.name, p.namespace, p.name
                        );
                        pod_fault_event(ctx, id, Some(node), msg);
                        ctx.after(0, Event::Kubelet(node, KubeletEvent::KillContainer { pod: id, c }));
                    }
                }
            }
            FaultDef::NetworkPartition { nodes, .. } => {
                let root = ctx.cause;
                for n in nodes {
                    ctx.cause = root;
                    let msg =
                        format!("network-partition: node {} is cut off from the control plane", ctx.api.node(n).name);
                    node_event(ctx, n, EventType::Warning, "FaultInjected", msg);
                    ctx.api.disconnect(n, ctx.now, ctx.cause);
                }
            }
            FaultDef::KubeletKill { nodes, .. } => {
                let root = ctx.cause;
                for n in nodes {
                    ctx.cause = root;
                    let msg = format!("kubelet-service-kill: the kubelet of node {} is killed", ctx.api.node(n).name);
                    node_event(ctx, n, EventType::Warning, "FaultInjected", msg);
                    ctx.after(0, Event::Kubelet(n, KubeletEvent::ServiceStop));
                }
            }
            // The control plane's own outage is the cluster's to handle; random failures were
            // expanded into concrete faults when the cluster was built.
            FaultDef::ApiserverOutage { .. } | FaultDef::RandomFailures { .. } => {}
            FaultDef::RegistryOutage { .. } | FaultDef::RegistrySlow { .. } | FaultDef::ImageMissing { .. } => {
                self.registry(&f, true, ctx);
            }
            FaultDef::NodeMemoryHog { .. } => self.hog(&f, true, ctx),
            FaultDef::SetImage { .. } | FaultDef::RolloutRestart { .. } | FaultDef::Scale { .. } => {
                operator_action(&f, ctx)
            }
            FaultDef::NodeDrain { nodes, force, grace_ms, .. } => {
                let root = ctx.cause;
                for n in nodes {
                    ctx.cause = root;
                    self.start_drain(n, force, grace_ms, ctx);
                }
            }
            // Joining nodes need new kubelets: the cluster handles `add-nodes` itself.
            FaultDef::AddNodes { .. } => {}
            FaultDef::DeleteNode { nodes, .. } => {
                let root = ctx.cause;
                for n in nodes {
                    ctx.cause = root;
                    if ctx.api.node(n).deleted.is_some() {
                        continue;
                    }
                    let name = ctx.api.node(n).name.clone();
                    node_event(
                        ctx,
                        n,
                        EventType::Warning,
                        "FaultInjected",
                        format!("delete-node: kubectl delete node {name}"),
                    );
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
            FaultDef::NodeCrash { .. } => self.power(&f, false, ctx),
            FaultDef::NodeCordon { nodes, cordon, .. } => {
                // `kubectl cordon` / `uncordon`: spec.unschedulable, seen by the scheduler.
                let root = ctx.cause;
                for n in nodes {
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
        }
    }

    /// `kubectl drain NODE [--force] [--grace-period]`: cordon, list the pods, refuse pods no
    /// controller owns unless forced, skip mirror and DaemonSet pods, evict the rest.
    fn start_drain(&mut self, n: NodeId, force: bool, grace_ms: Option<u64>, ctx: &mut Ctx) {
        let name = ctx.api.node(n).name.clone();
        ctx.api.update_node(n, |x| x.unschedulable = true);
        ctx.cause = ctx.record(
            EventType::Warning,
            "FaultInjected",
            ObjRef::Node(n),
            Some(n),
            Source::Chaos,
            Message::Text(format!("node-drain: node/{name} cordoned; draining").into()),
        );
        let mut pending = Vec::new();
        let mut unmanaged = Vec::new();
        for &p in ctx.api.pods_on_node(n) {
            let pod = ctx.api.pod(p);
            if pod.removed.is_some() || pod.mirror || matches!(pod.owner, Some(Owner::DaemonSet(_))) {
                continue;
            }
            if pod.owner.is_none() && !force {
                unmanaged.push(format!("{}/{}", pod.namespace, pod.name));
            }
            pending.push(p);
        }
        if !unmanaged.is_empty() {
            let msg = format!(
                "node-drain: cannot delete Pods that declare no controller (use --force to override): {}",
                unmanaged.join(", ")
            );
            node_event(ctx, n, EventType::Warning, "DrainFailed", msg);
            return;
        }
        self.drains.push(Drain { node: n, grace_ms, pending, evicted: Vec::new(), refused: Vec::new(), done: false });
        let i = self.drains.len() - 1;
        self.drain_step(i, ctx);
    }

    /// A drain's retry or poll timer.
    pub fn drain_tick(&mut self, i: usize, ctx: &mut Ctx) {
        self.drain_step(i, ctx);
    }

    fn drain_step(&mut self, i: usize, ctx: &mut Ctx) {
        let d = &mut self.drains[i];
        if d.done {
            return;
        }
        let root = ctx.cause;
        let mut still = Vec::new();
        for &p in &d.pending {
            ctx.cause = root;
            match ctx.api.evict(p, d.grace_ms, ctx.now) {
                Ok(live) => {
                    if live {
                        let pod = ctx.api.pod(p);
                        let msg = format!("node-drain: evicting pod {}/{}", pod.namespace, pod.name);
                        ctx.cause = ctx.record(
                            EventType::Normal,
                            "EvictionRequested",
                            ObjRef::Pod(p),
                            Some(d.node),
                            Source::Chaos,
                            Message::Text(msg.into()),
                        );
                        d.evicted.push(p);
                    }
                }
                Err(e) => {
                    if !d.refused.contains(&p) {
                        d.refused.push(p);
                        let pod = ctx.api.pod(p);
                        let msg = format!(
                            "node-drain: error when evicting pods/{:?} -n {:?} (will retry after 5s): {}",
                            pod.name,
                            pod.namespace,
                            e.message()
                        );
                        ctx.cause = ctx.record(
                            EventType::Warning,
                            "EvictionRefused",
                            ObjRef::Pod(p),
                            Some(d.node),
                            Source::Chaos,
                            Message::Text(msg.into()),
                        );
                    }
                    still.push(p);
                }
            }
        }
        ctx.cause = root;
        d.pending = still;
        d.evicted.retain(|&p| ctx.api.pod(p).removed.is_none());
        if d.pending.is_empty() && d.evicted.is_empty() {
            d.done = true;
            let name = &ctx.api.node(d.node).name;
            let msg = format!("node-drain: node/{name} drained");
            let node = d.node;
            node_event(ctx, node, EventType::Normal, "NodeDrained", msg);
            return;
        }
        let delay = if d.pending.is_empty() { DRAIN_DELETE_POLL_MS } else { DRAIN_EVICTION_RETRY_MS };
        ctx.after(delay, Event::DrainTick(i as u32));
    }

    /// A fault with a `duration` is over.
    pub fn end(&mut self, i: usize, ctx: &mut Ctx) {
        let f = self.faults[i].clone();
        match &f {
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
            _ => {}
        }
        self.registry(&f, false, ctx);
        self.hog(&f, false, ctx);
        self.power(&f, true, ctx);
    }

    /// `node-crash`: the node's power goes (or comes back); its kubelet stops (or boots).
    fn power(&mut self, f: &FaultDef, on: bool, ctx: &mut Ctx) {
        let FaultDef::NodeCrash { nodes, .. } = f else { return };
        let root = ctx.cause;
        for &n in nodes {
            ctx.cause = root;
            let what = if on { "powering on" } else { "powering off" };
            let msg = format!("node-crash: {what} node {}", ctx.api.node(n).name);
            node_event(ctx, n, EventType::Warning, "FaultInjected", msg);
            let ev = if on { KubeletEvent::PowerOn } else { KubeletEvent::PowerOff };
            ctx.after(0, Event::Kubelet(n, ev));
        }
    }

    /// A memory hog starts or stops on its nodes; their kubelets' eviction managers see it at
    /// their next monitoring tick.
    fn hog(&mut self, f: &FaultDef, on: bool, ctx: &mut Ctx) {
        let FaultDef::NodeMemoryHog { nodes, bytes, .. } = f else { return };
        for &n in nodes {
            let h = &mut ctx.memory_hog[n.idx()];
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
        FaultDef::SetImage { deployment: target, init, container, image, .. } => {
            let template = match target {
                RolloutTarget::Deployment(d) => &ctx.api.deployments[d.idx()].template,
                RolloutTarget::DaemonSet(d) => &ctx.api.daemonsets[d.idx()].template,
            };
            let mut spec = (*template.spec).clone();
            let c = if init { &mut spec.init_containers[container] } else { &mut spec.containers[container] };
            c.image = image;
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
    ctx.cause = ctx.record(
        EventType::Warning,
        "FaultInjected",
        ObjRef::Pod(id),
        node,
        Source::Chaos,
        Message::Text(msg.into()),
    );
}
