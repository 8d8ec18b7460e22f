//! The node lifecycle controller and its taint-based eviction: every `nodeMonitorPeriod` it
//! looks at each node's Lease; a node whose lease is older than `nodeMonitorGracePeriod`
//! becomes Ready=Unknown ("Kubelet stopped posting node status."), gets the
//! `node.kubernetes.io/unreachable` NoExecute and NoSchedule taints, and its pods are marked
//! not ready. Pods are then evicted (deleted) when their toleration of the NoExecute taint runs
//! out: at once without one, after `tolerationSeconds` with one (300 s from the
//! DefaultTolerationSeconds admission), never when tolerated without seconds. A node whose
//! lease is fresh again is Ready, untainted, and pending evictions are cancelled.

use crate::api::events::{ObjRef, Source};
use crate::api::*;
use crate::cluster::{Ctx, Event};

/// kube-controller-manager `--node-monitor-period`.
pub const NODE_MONITOR_PERIOD_MS: u64 = 5_000;
/// The taints of a node whose kubelet stopped posting status.
pub const TAINT_UNREACHABLE: &str = "node.kubernetes.io/unreachable";
pub const TAINT_NOT_READY: &str = "node.kubernetes.io/not-ready";

/// Node lifecycle timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeLifecycleEvent {
    /// The periodic look at every node's lease.
    Monitor,
    /// The pod's toleration of its node's NoExecute taint ran out (stale if `epoch` is old).
    Evict { pod: PodId, node: NodeId, epoch: u32 },
}

#[derive(Default)]
pub struct NodeLifecycleController {
    /// Per node: bumped whenever its NoExecute taint goes, so pending evictions lapse.
    epochs: Vec<u32>,
}

impl NodeLifecycleController {
    pub fn start(ctx: &mut Ctx) {
        ctx.after(NODE_MONITOR_PERIOD_MS, Event::NodeLifecycle(NodeLifecycleEvent::Monitor));
    }

    pub fn handle(&mut self, ev: NodeLifecycleEvent, ctx: &mut Ctx) {
        match ev {
            NodeLifecycleEvent::Monitor => {
                self.monitor(ctx);
                ctx.after(NODE_MONITOR_PERIOD_MS, Event::NodeLifecycle(NodeLifecycleEvent::Monitor));
            }
            NodeLifecycleEvent::Evict { pod, node, epoch } => {
                if self.epochs.get(node.idx()) == Some(&epoch) {
                    self.evict(pod, ctx);
                }
            }
        }
    }

    fn monitor(&mut self, ctx: &mut Ctx) {
        let grace = ctx.settings.node_monitor_grace_period_ms;
        if self.epochs.len() < ctx.api.nodes.len() {
            self.epochs.resize(ctx.api.nodes.len(), 0);
        }
        let root = ctx.cause;
        for i in 0..ctx.api.nodes.len() {
            ctx.cause = root;
            let n = NodeId(i as u32);
            let node = ctx.api.node(n);
            let stale = ctx.now.since(node.lease_renewed) > grace;
            match (stale, node.ready) {
                (true, ConditionStatus::True) => self.not_ready(n, ctx),
                (false, ConditionStatus::Unknown) => self.ready_again(n, ctx),
                _ => {}
            }
        }
    }

    fn not_ready(&mut self, n: NodeId, ctx: &mut Ctx) {
        ctx.api.update_node(n, |x| {
            x.ready = ConditionStatus::Unknown;
            for effect in [TaintEffect::NoSchedule, TaintEffect::NoExecute] {
                x.taints.push(Taint { key: TAINT_UNREACHABLE.into(), value: String::new(), effect });
            }
        });
        let msg = format!("Node {} status is now: NodeNotReady", ctx.api.node(n).name);
        ctx.record(
            EventType::Normal,
            "NodeNotReady",
            ObjRef::Node(n),
            Some(n),
            Source::NodeController,
            Message::Text(msg.into()),
        );
        let taint = Taint { key: TAINT_UNREACHABLE.into(), value: String::new(), effect: TaintEffect::NoExecute };
        let epoch = self.epochs[n.idx()];
        let pods: Vec<PodId> = ctx.api.pods_on_node(n).to_vec();
        let root = ctx.cause;
        for id in pods {
            ctx.cause = root;
            let p = ctx.api.pod(id);
            if p.removed.is_some() || p.status.phase.is_terminal() {
                continue;
            }
            // MarkPodsNotReady: the Ready condition goes False.
            ctx.api.update_pod_status(id, crate::apiserver::Watcher::NodeLifecycleController, |p| {
                p.status.ready = false;
                for c in p.status.containers.iter_mut().chain(p.status.init_containers.iter_mut()) {
                    c.ready = false;
                }
            });
            // The shortest toleration of the taint decides; none means now.
            let p = ctx.api.pod(id);
            if p.deletion.is_some() || p.mirror {
                continue;
            }
            // getMinTolerationTime: the least tolerationSeconds among matching tolerations;
            // none matching: now; matching only without seconds: never.
            let mut tolerated = false;
            let mut seconds: Option<i64> = None;
            for t in p.spec.tolerations.iter().filter(|t| t.tolerates(&taint)) {
                tolerated = true;
                if let Some(s) = t.toleration_seconds {
                    seconds = Some(seconds.map_or(s, |m: i64| m.min(s)));
                }
            }
            if !tolerated {
                self.evict(id, ctx);
            } else if let Some(s) = seconds {
                let delay = s.max(0) as u64 * 1000;
                ctx.after(delay, Event::NodeLifecycle(NodeLifecycleEvent::Evict { pod: id, node: n, epoch }));
            }
        }
    }

    fn ready_again(&mut self, n: NodeId, ctx: &mut Ctx) {
        self.epochs[n.idx()] = self.epochs[n.idx()].wrapping_add(1);
        ctx.api.update_node(n, |x| {
            x.ready = ConditionStatus::True;
            x.taints.retain(|t| t.key != TAINT_UNREACHABLE && t.key != TAINT_NOT_READY);
        });
        let msg = format!("Node {} status is now: NodeReady", ctx.api.node(n).name);
        ctx.record(
            EventType::Normal,
            "NodeReady",
            ObjRef::Node(n),
            Some(n),
            Source::NodeController,
            Message::Text(msg.into()),
        );
    }

    fn evict(&mut self, id: PodId, ctx: &mut Ctx) {
        let p = ctx.api.pod(id);
        if p.removed.is_some() || p.deletion.is_some() || p.status.phase.is_terminal() {
            return;
        }
        let node = p.node;
        let msg = format!("Marking for deletion Pod {}/{}", p.namespace, p.name);
        let grace = p.spec.termination_grace_ms;
        ctx.api.delete_pod(id, grace, ctx.now);
        ctx.record(
            EventType::Normal,
            "TaintManagerEviction",
            ObjRef::Pod(id),
            node,
            Source::TaintEvictionController,
            Message::Text(msg.into()),
        );
    }
}
