//! The fault plan: each fault acts on the world (here: deletes pods as `kubectl delete pod`
//! does); what follows emerges from the components.

use crate::api::events::{ObjRef, Source};
use crate::api::*;
use crate::cluster::Ctx;
use crate::scenario::{FaultDef, PodMode};

pub struct Chaos {
    faults: Vec<FaultDef>,
}

impl Chaos {
    pub fn new(faults: Vec<FaultDef>) -> Chaos {
        Chaos { faults }
    }

    pub fn inject(&mut self, i: usize, ctx: &mut Ctx) {
        let f = self.faults[i].clone();
        ctx.rec.faults.push((ctx.now, f.action()));
        match f {
            FaultDef::PodKill { namespace, selector, mode, grace_ms, .. } => {
                // Candidates in name order, so the random pick depends only on the seed.
                let mut cands: Vec<PodId> = (0..ctx.api.pods.len() as u32)
                    .map(PodId)
                    .filter(|&id| {
                        let p = ctx.api.pod(id);
                        p.is_active() && *p.namespace == *namespace && selector.matches(&p.labels)
                    })
                    .collect();
                cands.sort_by(|a, b| ctx.api.pod(*a).name.cmp(&ctx.api.pod(*b).name));
                let n = match mode {
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
                let root = ctx.cause;
                for &id in &cands[..n] {
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
                    ctx.record(
                        EventType::Warning,
                        "FaultInjected",
                        ObjRef::Pod(id),
                        node,
                        Source::Chaos,
                        Message::Text(msg.into()),
                    );
                }
            }
            FaultDef::RegistryOutage { .. } | FaultDef::RegistrySlow { .. } | FaultDef::ImageMissing { .. } => {
                self.registry(&f, true, ctx);
            }
            FaultDef::NodeMemoryHog { .. } => self.hog(&f, true, ctx),
            FaultDef::SetImage { .. } | FaultDef::RolloutRestart { .. } | FaultDef::Scale { .. } => {
                operator_action(&f, ctx)
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
                    ctx.record(
                        EventType::Warning,
                        "FaultInjected",
                        ObjRef::Node(n),
                        Some(n),
                        Source::Chaos,
                        Message::Text(msg.into()),
                    );
                }
            }
        }
    }

    /// A fault with a `duration` is over.
    pub fn end(&mut self, i: usize, ctx: &mut Ctx) {
        let f = self.faults[i].clone();
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
            ctx.record(
                EventType::Warning,
                "FaultInjected",
                ObjRef::Node(n),
                Some(n),
                Source::Chaos,
                Message::Text(msg.into()),
            );
            let ev = if on { crate::kubelet::KubeletEvent::PowerOn } else { crate::kubelet::KubeletEvent::PowerOff };
            ctx.after(0, crate::cluster::Event::Kubelet(n, ev));
        }
    }

    /// A memory hog starts or stops on its nodes; their kubelets' eviction managers see it at
    /// their next monitoring tick.
    fn hog(&mut self, f: &FaultDef, on: bool, ctx: &mut Ctx) {
        let FaultDef::NodeMemoryHog { nodes, bytes, .. } = f else { return };
        for &n in nodes {
            let h = &mut ctx.memory_hog[n.idx()];
            *h = if on { h.saturating_add(*bytes) } else { h.saturating_sub(*bytes) };
            crate::kubelet::eviction::wake(n, ctx);
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
            ctx.at(t, crate::cluster::Event::Registry(ev));
        }
    }
}

/// The operator's own actions: spec changes through the API server, as kubectl makes them.
fn operator_action(f: &FaultDef, ctx: &mut Ctx) {
    use crate::apiserver::Watcher;
    use crate::scenario::ScaleTarget;
    use std::sync::Arc;
    let (obj, msg) = match *f {
        FaultDef::SetImage { deployment, init, container, image, .. } => {
            let d = &ctx.api.deployments[deployment.idx()];
            let mut spec = (*d.template.spec).clone();
            let c = if init { &mut spec.init_containers[container] } else { &mut spec.containers[container] };
            c.image = image;
            let msg =
                format!("set-image: deployment {} container {} image {}", d.name, c.name, ctx.images[image.idx()].name);
            let spec = Arc::new(spec);
            ctx.api.update_deployment(deployment, Watcher::Operator, |d| d.template.spec = spec);
            (ObjRef::Deployment(deployment), msg)
        }
        FaultDef::RolloutRestart { deployment, .. } => {
            let now = ctx.now;
            ctx.api.update_deployment(deployment, Watcher::Operator, |d| d.template.restarted_at = Some(now));
            let msg = format!("rollout-restart: deployment {} restarted", ctx.api.deployments[deployment.idx()].name);
            (ObjRef::Deployment(deployment), msg)
        }
        FaultDef::Scale { workload, replicas, .. } => match workload {
            ScaleTarget::Deployment(d) => {
                let from = ctx.api.deployments[d.idx()].replicas;
                ctx.api.update_deployment(d, Watcher::Operator, |x| x.replicas = replicas);
                let msg = format!(
                    "scale: deployment {} from {from} to {replicas} replicas",
                    ctx.api.deployments[d.idx()].name
                );
                (ObjRef::Deployment(d), msg)
            }
            ScaleTarget::ReplicaSet(r) => {
                let from = ctx.api.replicasets[r.idx()].replicas;
                ctx.api.update_replicaset(r, Watcher::Operator, |x| x.replicas = replicas);
                let msg = format!(
                    "scale: replicaset {} from {from} to {replicas} replicas",
                    ctx.api.replicasets[r.idx()].name
                );
                (ObjRef::ReplicaSet(r), msg)
            }
        },
        _ => return,
    };
    ctx.record(EventType::Normal, "OperatorAction", obj, None, Source::Chaos, Message::Text(msg.into()));
}
