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
pub use crate::runtime::NodeLifecycleEvent;
use crate::runtime::{Ctx, Event};
use crate::sim::SimTime;
use std::collections::VecDeque;

/// kube-controller-manager `--node-monitor-period`.
pub const NODE_MONITOR_PERIOD_MS: u64 = 5_000;
/// `nodeEvictionPeriod`: how often the per-zone tainting queues are worked.
pub const NODE_EVICTION_PERIOD_MS: u64 = 100;
pub use crate::api::settings::{
    DEFAULT_LARGE_CLUSTER_SIZE_THRESHOLD, DEFAULT_NODE_EVICTION_RATE, DEFAULT_SECONDARY_NODE_EVICTION_RATE,
    DEFAULT_UNHEALTHY_ZONE_THRESHOLD,
};
/// The labels that name a node's zone.
pub const LABEL_ZONE: &str = "topology.kubernetes.io/zone";
pub const LABEL_REGION: &str = "topology.kubernetes.io/region";

/// A zone's health as the controller classifies it (`ComputeZoneState`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ZoneState {
    #[default]
    Normal,
    PartialDisruption,
    FullDisruption,
}

impl ZoneState {
    pub fn as_str(self) -> &'static str {
        match self {
            ZoneState::Normal => "Normal",
            ZoneState::PartialDisruption => "PartialDisruption",
            ZoneState::FullDisruption => "FullDisruption",
        }
    }
}

/// One zone's rate-limited queue of nodes waiting for their NoExecute taint.
#[derive(Default)]
struct Zone {
    key: String,
    state: ZoneState,
    queue: VecDeque<NodeId>,
    /// The token bucket (burst 1): the next moment a node may be tainted; `None` = stopped.
    period_ms: Option<u64>,
    next_ok: SimTime,
    /// A `Taint` event is pending for this zone, and the epoch it carries (a swapped limiter
    /// makes older events stale).
    armed: bool,
    epoch: u32,
}
pub use crate::api::node::{TAINT_NOT_READY, TAINT_UNREACHABLE};

#[derive(Default)]
pub struct NodeLifecycleController {
    /// The taint eviction controller: it acts on every NoExecute taint, the controller's own and
    /// an operator's (`taint-node`).
    pub taint_eviction: super::tainteviction::TaintEviction,
    /// Per node: its zone, and whether it is queued for or carries the NoExecute taint.
    zone_of: Vec<u32>,
    tainting: Vec<bool>,
    zones: Vec<Zone>,
    /// Every zone is fully disrupted: the controller suspects itself, not the nodes.
    master_disruption: bool,
    /// The node epoch zone states were last computed at.
    seen_epoch: Option<u64>,
}

/// `GetZoneKey`: region and zone labels.
fn zone_key(node: &Node) -> String {
    format!("{}:\x00:{}", node.labels.get(LABEL_REGION).unwrap_or(""), node.labels.get(LABEL_ZONE).unwrap_or(""))
}

/// The rate of a zone in `state` with `size` nodes, as a tainting period (`None` = stopped).
fn zone_period(state: ZoneState, size: u32, s: &crate::api::settings::KubeSettings) -> Option<u64> {
    let qps = match state {
        ZoneState::Normal | ZoneState::FullDisruption => s.node_eviction_rate,
        ZoneState::PartialDisruption if size > s.large_cluster_size_threshold => s.secondary_node_eviction_rate,
        ZoneState::PartialDisruption => 0.0,
    };
    if qps > 0.0 { Some((1000.0 / qps).round().max(1.0) as u64) } else { None }
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
            NodeLifecycleEvent::Evict { pod, epoch, .. } => self.taint_eviction.fire(pod, epoch, ctx),
            NodeLifecycleEvent::TaintsChanged { node } => self.taint_eviction.node_changed(node, ctx),
            NodeLifecycleEvent::Taint { zone, epoch } => {
                if self.zones[zone as usize].epoch == epoch {
                    self.taint_pass(zone as usize, ctx)
                }
            }
        }
    }

    /// The taint eviction controller's pod handler (`handlePodUpdate`).
    pub fn on_watch(&mut self, obj: ObjRef, ctx: &mut Ctx) {
        if let ObjRef::Pod(id) = obj {
            self.taint_eviction.pod_changed(id, ctx);
        }
    }

    fn monitor(&mut self, ctx: &mut Ctx) {
        let grace = ctx.settings.node_monitor_grace_period_ms;
        let n_nodes = ctx.api.nodes.len();
        if self.tainting.len() < n_nodes {
            self.tainting.resize(n_nodes, false);
            for i in self.zone_of.len()..n_nodes {
                let key = zone_key(&ctx.api.nodes[i]);
                let z = match self.zones.iter().position(|z| z.key == key) {
                    Some(z) => z,
                    None => {
                        let period = zone_period(ZoneState::Normal, 1, ctx.settings);
                        self.zones.push(Zone { key, period_ms: period, ..Zone::default() });
                        self.zones.len() - 1
                    }
                };
                self.zone_of.push(z as u32);
            }
        }
        let root = ctx.cause;
        // A node whose kubelet renews, reaches the API and renews more often than the grace
        // period cannot go stale: only the others (and the nodes not Ready) need a look.
        let candidates: Vec<NodeId> = if ctx.api.suspects.len() < n_nodes {
            ctx.api.suspects.iter().copied().collect()
        } else {
            (0..n_nodes as u32).map(NodeId).collect()
        };
        for n in candidates {
            let i = n.idx();
            ctx.cause = root;
            if ctx.api.node(n).deleted.is_some() {
                ctx.api.suspects.remove(&n);
                continue;
            }
            // After an API server outage the controller starts observing afresh.
            let renewed = ctx.api.lease_renewed(n, ctx.now);
            let stale = ctx.now.since(renewed.max(ctx.api.resumed_at)) > grace;
            match (stale, ctx.api.node(n).ready) {
                (true, ConditionStatus::True | ConditionStatus::False) => {
                    // The NotReady follows from whatever stopped the lease (a fault).
                    let why = ctx.api.lease_why(n);
                    if why > 0 {
                        ctx.cause = why;
                    }
                    self.not_ready(n, ctx)
                }
                (false, ConditionStatus::Unknown) => self.ready_again(n, ctx),
                // processTaintBaseEviction: a node the kubelet reports Ready again has its
                // NoExecute taint removed (markNodeAsReachable); one it reports NotReady
                // swaps an unreachable NoExecute taint for the not-ready one at once.
                (false, ConditionStatus::True) if self.tainting[i] => self.untaint(n, ctx),
                (false, ConditionStatus::False) => self.swap_no_execute(n, TAINT_UNREACHABLE, TAINT_NOT_READY, ctx),
                // The tick after the controller wrote Unknown over a kubelet's False, the
                // condition it observes is Unknown: the not-ready taint becomes unreachable.
                (true, ConditionStatus::Unknown) => self.swap_no_execute(n, TAINT_NOT_READY, TAINT_UNREACHABLE, ctx),
                _ => {}
            }
            if ctx.api.node(n).ready == ConditionStatus::True && ctx.api.lease_is_live(n, grace) {
                ctx.api.suspects.remove(&n);
            }
            // A not-ready node waits in its zone's queue for the NoExecute taint.
            if ctx.api.node(n).ready != ConditionStatus::True && !self.tainting[i] && !self.master_disruption {
                self.tainting[i] = true;
                let why = ctx.api.lease_why(n);
                if ctx.api.node(n).ready == ConditionStatus::False && why > 0 {
                    ctx.cause = why; // the kubelet's own NodeNotReady
                }
                let z = self.zone_of[i] as usize;
                // A unique queue: a node that flapped may still wait in it.
                if !self.zones[z].queue.contains(&n) {
                    self.zones[z].queue.push_back(n);
                }
                self.arm(z, ctx);
            }
        }
        ctx.cause = root;
        // Zone states only change when nodes do.
        if self.seen_epoch != Some(ctx.api.node_epoch) {
            self.handle_disruption(ctx);
            self.seen_epoch = Some(ctx.api.node_epoch);
        }
    }

    /// `handleDisruption`: classify each zone, slow or stop tainting where many nodes are
    /// down, and stop entirely when every zone is down.
    fn handle_disruption(&mut self, ctx: &mut Ctx) {
        let mut counts = vec![(0u32, 0u32); self.zones.len()];
        for (i, node) in ctx.api.nodes.iter().enumerate() {
            if node.deleted.is_some() {
                continue;
            }
            let c = &mut counts[self.zone_of[i] as usize];
            if node.ready == ConditionStatus::True { c.0 += 1 } else { c.1 += 1 }
        }
        let threshold = ctx.settings.unhealthy_zone_threshold;
        let states: Vec<ZoneState> = counts
            .iter()
            .map(|&(ready, not_ready)| {
                if ready == 0 && not_ready > 0 {
                    ZoneState::FullDisruption
                } else if not_ready > 2 && not_ready as f64 / (ready + not_ready) as f64 >= threshold {
                    ZoneState::PartialDisruption
                } else {
                    ZoneState::Normal
                }
            })
            .collect();
        let all_full = !states.is_empty()
            && states.iter().zip(&counts).all(|(s, c)| *s == ZoneState::FullDisruption || c.0 + c.1 == 0);
        if all_full && !self.master_disruption {
            // Every node is down: more likely the controller's own network. Untaint all.
            self.master_disruption = true;
            for i in 0..self.tainting.len() {
                if self.tainting[i] {
                    self.untaint(NodeId(i as u32), ctx);
                }
            }
            for z in &mut self.zones {
                z.queue.clear();
                z.period_ms = None;
            }
            let msg = "Controller detected that all Nodes are not-Ready. Entering master disruption mode.";
            self.zone_event(None, msg.to_string(), ctx);
        } else if !all_full && self.master_disruption {
            self.master_disruption = false;
            let msg = "Controller detected that some Nodes are Ready. Exiting master disruption mode.";
            self.zone_event(None, msg.to_string(), ctx);
        }
        for (z, &state) in states.iter().enumerate() {
            let size = counts[z].0 + counts[z].1;
            let changed = self.zones[z].state != state;
            let period = if self.master_disruption { None } else { zone_period(state, size, ctx.settings) };
            if changed {
                let msg = format!(
                    "Zone {:?} is now {} ({} of {size} nodes not ready): tainting {}",
                    self.zones[z].key.rsplit(':').next().unwrap_or(""),
                    state.as_str(),
                    counts[z].1,
                    match period {
                        Some(p) => format!("one node every {}", crate::api::duration::format_go_duration_ms(p)),
                        None => "stopped".into(),
                    }
                );
                self.zones[z].state = state;
                self.zone_event(Some(z), msg, ctx);
            }
            if self.zones[z].period_ms != period {
                // SwapLimiter: a fresh bucket, its one token available at once.
                let zone = &mut self.zones[z];
                zone.period_ms = period;
                zone.next_ok = ctx.now;
                zone.epoch = zone.epoch.wrapping_add(1);
                zone.armed = false;
                self.arm(z, ctx);
            }
        }
    }

    /// kubesim's record of a zone state change (upstream only logs it), on the zone's first node.
    fn zone_event(&mut self, zone: Option<usize>, msg: String, ctx: &mut Ctx) {
        let first = self.zone_of.iter().position(|&z| zone.is_none_or(|x| x as u32 == z)).unwrap_or(0);
        ctx.cause = ctx.record(
            EventType::Warning,
            "ZoneStateChanged",
            ObjRef::Node(NodeId(first as u32)),
            None,
            Source::NodeController,
            Message::Text(msg.into()),
        );
    }

    /// Make sure a `Taint` pass is pending for the zone when it has work and a rate.
    fn arm(&mut self, z: usize, ctx: &mut Ctx) {
        let zone = &mut self.zones[z];
        let Some(_) = zone.period_ms else { return };
        if zone.armed || zone.queue.is_empty() {
            return;
        }
        zone.armed = true;
        // The queues are worked on a 100 ms tick.
        let t = zone.next_ok.max(ctx.now).0.div_ceil(NODE_EVICTION_PERIOD_MS) * NODE_EVICTION_PERIOD_MS;
        let epoch = zone.epoch;
        ctx.at(SimTime(t), Event::NodeLifecycle(NodeLifecycleEvent::Taint { zone: z as u32, epoch }));
    }

    /// `doNoExecuteTaintingPass` for one zone: taint the next queued node if the bucket allows.
    fn taint_pass(&mut self, z: usize, ctx: &mut Ctx) {
        self.zones[z].armed = false;
        let Some(period) = self.zones[z].period_ms else { return };
        while ctx.now >= self.zones[z].next_ok {
            let Some(n) = self.zones[z].queue.pop_front() else { break };
            let node = ctx.api.node(n);
            if node.deleted.is_some() || node.ready == ConditionStatus::True || !self.tainting[n.idx()] {
                continue; // recovered or gone while it waited: no token spent
            }
            self.zones[z].next_ok = ctx.now.plus(period);
            self.taint_no_execute(n, ctx);
        }
        self.arm(z, ctx);
    }

    fn not_ready(&mut self, n: NodeId, ctx: &mut Ctx) {
        // Ready=Unknown and the NoSchedule taint at once; the NoExecute taint is rate limited.
        // Leaving True is the status change (the event, MarkPodsNotReady); a kubelet that had
        // said False itself (shutting down) only goes Unknown.
        let was_ready = ctx.api.node(n).ready == ConditionStatus::True;
        ctx.api.update_node(n, |x| {
            x.ready = ConditionStatus::Unknown;
            // SwapNodeControllerTaint: a not-ready node that stops reporting is unreachable.
            x.taints.retain(|t| !(t.key == TAINT_NOT_READY && t.effect == TaintEffect::NoSchedule));
            x.taints.push(Taint {
                key: TAINT_UNREACHABLE.into(),
                value: String::new(),
                effect: TaintEffect::NoSchedule,
            });
        });
        if !was_ready {
            return;
        }
        status_change(n, "NodeNotReady", ctx);
        let pods: Vec<PodId> = ctx.api.pods_on_node(n).to_vec();
        let root = ctx.cause;
        for id in pods {
            ctx.cause = root;
            let p = ctx.api.pod(id);
            if p.removed.is_some() || p.status.phase.is_terminal() {
                continue;
            }
            // MarkPodsNotReady: only the pod's Ready condition goes False; the container statuses
            // stay as the kubelet last reported them (kubectl still counts them READY).
            let now = ctx.now;
            ctx.api.update_pod_status(id, crate::apiserver::Watcher::NodeLifecycleController, |p| {
                p.status.ready = false;
                let c = &mut p.status.conditions;
                if let Some(r) = c.get(crate::api::conditions::CondType::Ready).copied() {
                    c.set(crate::api::conditions::CondType::Ready, false, r.reason, r.detail, now);
                }
            });
        }
        ctx.cause = root;
    }

    /// The NoExecute taint goes on (`doNoExecuteTaintingPass`: not-ready for a node that
    /// reports Ready=False, unreachable for one that stopped reporting); the taint eviction
    /// controller schedules each pod's eviction by its tolerations.
    fn taint_no_execute(&mut self, n: NodeId, ctx: &mut Ctx) {
        let key = match ctx.api.node(n).ready {
            ConditionStatus::False => TAINT_NOT_READY,
            _ => TAINT_UNREACHABLE,
        };
        if ctx.api.node(n).taints.iter().any(|t| t.effect == TaintEffect::NoExecute && is_lifecycle_taint(t)) {
            return; // already tainted (AddOrUpdateTaintOnNode is idempotent)
        }
        let taint = Taint { key: key.into(), value: String::new(), effect: TaintEffect::NoExecute };
        ctx.api.update_node(n, |x| x.taints.push(taint));
        self.taint_eviction.node_changed(n, ctx);
    }

    /// `SwapNodeControllerTaint`: the node's `from` NoExecute taint becomes `to` at once (the
    /// two mirror the Ready condition and never coexist).
    fn swap_no_execute(&mut self, n: NodeId, from: &str, to: &str, ctx: &mut Ctx) {
        let has = ctx.api.node(n).taints.iter().any(|t| t.key == from && t.effect == TaintEffect::NoExecute);
        if !has {
            return;
        }
        ctx.api.update_node(n, |x| {
            for t in x.taints.iter_mut().filter(|t| t.key == from && t.effect == TaintEffect::NoExecute) {
                t.key = to.into();
            }
        });
        self.taint_eviction.node_changed(n, ctx);
    }

    /// `markNodeAsReachable`: the NoExecute taint goes and pending evictions are cancelled.
    fn untaint(&mut self, n: NodeId, ctx: &mut Ctx) {
        self.tainting[n.idx()] = false;
        let has = ctx.api.node(n).taints.iter().any(|t| t.effect == TaintEffect::NoExecute && is_lifecycle_taint(t));
        if has {
            ctx.api.update_node(n, |x| {
                x.taints.retain(|t| !(t.effect == TaintEffect::NoExecute && is_lifecycle_taint(t)))
            });
            self.taint_eviction.node_changed(n, ctx);
        }
    }

    fn ready_again(&mut self, n: NodeId, ctx: &mut Ctx) {
        let kubelet_error = ctx.api.node(n).not_ready_message;
        if !kubelet_error.is_empty() {
            // The kubelet is heard again but reports NotReady itself (its runtime is down):
            // Ready=False, and the unreachable taints become not-ready ones.
            ctx.api.update_node(n, |x| {
                x.ready = ConditionStatus::False;
                for t in x.taints.iter_mut().filter(|t| t.key == TAINT_UNREACHABLE) {
                    t.key = TAINT_NOT_READY.into();
                }
            });
            self.taint_eviction.node_changed(n, ctx);
            return;
        }
        // One update: Ready, and every taint the controller put on goes.
        self.tainting[n.idx()] = false;
        let had_no_execute =
            ctx.api.node(n).taints.iter().any(|t| t.effect == TaintEffect::NoExecute && is_lifecycle_taint(t));
        ctx.api.update_node(n, |x| {
            x.ready = ConditionStatus::True;
            x.taints.retain(|t| !is_lifecycle_taint(t));
        });
        // Ready follows from what brought the kubelet back (the power-on, the healed partition).
        let why = ctx.api.lease_back_why(n);
        if why > 0 {
            ctx.cause = why;
        }
        status_change(n, "NodeReady", ctx);
        if had_no_execute {
            let root = ctx.cause;
            self.taint_eviction.node_changed(n, ctx);
            ctx.cause = root;
        }
    }
}

fn is_lifecycle_taint(t: &Taint) -> bool {
    t.key == TAINT_UNREACHABLE || t.key == TAINT_NOT_READY
}

/// `RecordNodeStatusChange`: "Node NAME status is now: REASON".
fn status_change(n: NodeId, reason: &'static str, ctx: &mut Ctx) {
    let msg = format!("Node {} status is now: {reason}", ctx.api.node(n).name);
    ctx.cause = ctx.record(
        EventType::Normal,
        reason,
        ObjRef::Node(n),
        Some(n),
        Source::NodeController,
        Message::Text(msg.into()),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::test_pod_spec;
    use crate::api::settings::DEFAULT_TOLERATION_SECONDS;
    use crate::runtime::testing::Harness;

    /// Nodes `names` (one zone) with the controller started at 0. The harness's leases renew
    /// every 10 s from 0 without jitter (40 s lease, renewed at a quarter of it).
    fn cluster(names: &[&str]) -> (Harness, NodeLifecycleController, Vec<NodeId>) {
        let mut h = Harness::new();
        let nodes = names.iter().map(|n| h.add_node(n, 4_000, 1 << 33)).collect();
        h.handle(NodeLifecycleController::start);
        (h, NodeLifecycleController::default(), nodes)
    }

    /// Deliver the controller's timers due up to `t` ms.
    fn run(h: &mut Harness, nlc: &mut NodeLifecycleController, t: u64) {
        h.run_until(SimTime(t), |ev, ctx| {
            if let Event::NodeLifecycle(e) = ev {
                nlc.handle(e, ctx);
            }
        });
    }

    /// A Running, Ready pod on `node` tolerating the unreachable NoExecute taint for `seconds`
    /// (`Some(None)`: forever; `None`: no toleration).
    fn pod(h: &mut Harness, name: &str, node: NodeId, seconds: Option<Option<i64>>) -> PodId {
        let mut spec = test_pod_spec();
        if let Some(s) = seconds {
            spec.tolerations.push(Toleration {
                key: TAINT_UNREACHABLE.into(),
                op: TolerationOp::Exists,
                value: String::new(),
                effect: Some(TaintEffect::NoExecute),
                toleration_seconds: s,
            });
        }
        let p = h.add_bound_pod(name, node, spec);
        h.set_pod_status(p, PodPhase::Running, true);
        p
    }

    /// (time, pod) of every TaintManagerEviction.
    fn evictions(h: &Harness) -> Vec<(u64, ObjRef)> {
        let marking =
            |e: &&crate::api::RecordedEvent| matches!(&e.message, Message::Text(m) if m.starts_with("Marking"));
        h.rec
            .events
            .iter()
            .filter(|e| e.reason == "TaintManagerEviction")
            .filter(marking)
            .map(|e| (e.time.0, e.object))
            .collect()
    }

    fn has_taint(h: &Harness, n: NodeId, effect: TaintEffect) -> bool {
        h.api.node(n).taints.iter().any(|t| t.key == TAINT_UNREACHABLE && t.effect == effect)
    }

    /// The kubelet of `n` stops at 32 s: its last renewal was at 30 s, so the lease is older
    /// than the 50 s grace period from just after 80 s, seen at the monitor tick of 85 s.
    const STOP_MS: u64 = 32_000;
    const NOT_READY_MS: u64 = 85_000;

    #[test]
    fn a_node_whose_lease_stops_renewing_becomes_unknown_after_the_grace_period_and_is_tainted() {
        let (mut h, mut nlc, nodes) = cluster(&["a", "b", "c"]);
        let a = nodes[0];
        let p = pod(&mut h, "p", a, Some(None));
        run(&mut h, &mut nlc, STOP_MS);
        h.api.lease_stop(a, h.now(), 0);
        run(&mut h, &mut nlc, NOT_READY_MS - 1);
        assert_eq!(h.api.node(a).ready, ConditionStatus::True, "80 s is not more than 30 s + 50 s");
        assert!(h.event("NodeNotReady").is_none());
        run(&mut h, &mut nlc, NOT_READY_MS);
        let e = h.event("NodeNotReady").expect("the node went NotReady");
        assert_eq!((e.time, e.object, e.source), (SimTime(NOT_READY_MS), ObjRef::Node(a), Source::NodeController));
        assert_eq!(e.message, Message::Text("Node a status is now: NodeNotReady".into()));
        assert_eq!(h.api.node(a).ready, ConditionStatus::Unknown);
        // NoSchedule at once; NoExecute from the zone's queue, whose token is there (0.1/s).
        assert!(has_taint(&h, a, TaintEffect::NoSchedule) && has_taint(&h, a, TaintEffect::NoExecute));
        // MarkPodsNotReady; a pod tolerating the taint forever stays.
        assert!(!h.api.pod(p).status.ready);
        run(&mut h, &mut nlc, 1_000_000);
        assert!(evictions(&h).is_empty());
        assert_eq!(h.api.pod(p).deletion, None);
        // The other nodes renew: untouched.
        assert!(
            nodes[1..].iter().all(|&n| h.api.node(n).ready == ConditionStatus::True && h.api.node(n).taints.is_empty())
        );
        assert_eq!(h.reasons().iter().filter(|&&r| r == "NodeNotReady").count(), 1);
    }

    #[test]
    fn pods_on_an_unreachable_node_are_evicted_when_their_toleration_runs_out() {
        let (mut h, mut nlc, nodes) = cluster(&["a", "b", "c"]);
        let a = nodes[0];
        let none = pod(&mut h, "none", a, None);
        let five_min = pod(&mut h, "five-min", a, Some(Some(DEFAULT_TOLERATION_SECONDS)));
        let short = pod(&mut h, "short", a, Some(Some(60)));
        let elsewhere = pod(&mut h, "elsewhere", nodes[1], None);
        run(&mut h, &mut nlc, STOP_MS);
        h.api.lease_stop(a, h.now(), 0);
        run(&mut h, &mut nlc, 1_000_000);
        // Without a toleration: when the NoExecute taint lands; with one: that much later.
        let want = [
            (NOT_READY_MS, ObjRef::Pod(none)),
            (NOT_READY_MS + 60_000, ObjRef::Pod(short)),
            (NOT_READY_MS + 300_000, ObjRef::Pod(five_min)),
        ];
        assert_eq!(evictions(&h), want);
        let e = h.event("TaintManagerEviction").unwrap();
        assert_eq!((e.source, e.node), (Source::TaintEvictionController, Some(a)));
        assert_eq!(e.message, Message::Text("Marking for deletion Pod default/none".into()));
        // Deleted with their grace period: the kubelet (unreachable) would finish it.
        assert_eq!(h.api.pod(five_min).deletion, Some((SimTime(NOT_READY_MS + 300_000), 30_000)));
        assert_eq!(h.api.pod(elsewhere).deletion, None);
    }

    #[test]
    fn a_node_whose_lease_renews_again_is_ready_untainted_and_its_pending_evictions_lapse() {
        let (mut h, mut nlc, nodes) = cluster(&["a", "b", "c"]);
        let a = nodes[0];
        let p = pod(&mut h, "p", a, Some(Some(DEFAULT_TOLERATION_SECONDS)));
        run(&mut h, &mut nlc, STOP_MS);
        h.api.lease_stop(a, h.now(), 0);
        run(&mut h, &mut nlc, 97_000);
        assert!(has_taint(&h, a, TaintEffect::NoExecute));
        // The kubelet is back at 97 s (powered on) and renews at once: seen fresh at the tick of
        // 100 s, and the NodeReady follows from the power-on.
        let on = h.handle(|ctx| {
            let msg = Message::Text("node-crash: powering on node a".into());
            ctx.record(EventType::Normal, "FaultEnded", ObjRef::Node(a), Some(a), Source::Chaos, msg)
        });
        h.api.lease_start(a, h.now());
        h.api.set_lease_back_why(a, on);
        run(&mut h, &mut nlc, 100_000);
        let e = h.event("NodeReady").expect("the node is Ready again");
        assert_eq!((e.time, e.object, e.cause), (SimTime(100_000), ObjRef::Node(a), on));
        assert_eq!(h.api.node(a).ready, ConditionStatus::True);
        assert!(h.api.node(a).taints.is_empty(), "both lifecycle taints are gone");
        // The eviction due at 85 s + 300 s is cancelled with the taint (cancelWorkWithEvent),
        // the NodeReady event its cause.
        let c = h.event("TaintManagerEviction").expect("the cancellation is recorded");
        assert_eq!((c.time, c.object), (SimTime(100_000), ObjRef::Pod(p)));
        assert_eq!(c.message, Message::Text("Cancelling deletion of Pod default/p".into()));
        assert_eq!(h.rec.events[c.cause as usize - 1].reason, "NodeReady");
        run(&mut h, &mut nlc, 1_000_000);
        assert!(evictions(&h).is_empty());
        assert_eq!(h.api.pod(p).deletion, None);
    }

    #[test]
    fn nodes_of_a_zone_are_tainted_at_the_eviction_rate_one_every_10_seconds() {
        let (mut h, mut nlc, nodes) = cluster(&["a", "b", "c", "d", "e"]);
        let pa = pod(&mut h, "pa", nodes[0], None);
        let pb = pod(&mut h, "pb", nodes[1], None);
        run(&mut h, &mut nlc, STOP_MS);
        h.api.lease_stop(nodes[0], h.now(), 0);
        h.api.lease_stop(nodes[1], h.now(), 0);
        run(&mut h, &mut nlc, 200_000);
        // Both NotReady at 85 s; 2 of 5 is a Normal zone (more than 2 are needed for a partial
        // disruption), tainted at --node-eviction-rate 0.1: a, then b 10 s later.
        let not_ready: Vec<u64> =
            h.rec.events.iter().filter(|e| e.reason == "NodeNotReady").map(|e| e.time.0).collect();
        assert_eq!(not_ready, [NOT_READY_MS, NOT_READY_MS]);
        assert_eq!(evictions(&h), [(NOT_READY_MS, ObjRef::Pod(pa)), (NOT_READY_MS + 10_000, ObjRef::Pod(pb))]);
        assert!(h.event("ZoneStateChanged").is_none());
    }

    #[test]
    fn when_every_node_is_unreachable_the_controller_stops_evicting() {
        let (mut h, mut nlc, nodes) = cluster(&["a"]);
        let a = nodes[0];
        let p = pod(&mut h, "p", a, None);
        run(&mut h, &mut nlc, STOP_MS);
        h.api.lease_stop(a, h.now(), 0);
        run(&mut h, &mut nlc, 1_000_000);
        // Master disruption: the node is Unknown with its NoSchedule taint, but no NoExecute
        // taint and no eviction, since the controller more likely lost the nodes than they all died.
        assert_eq!(h.api.node(a).ready, ConditionStatus::Unknown);
        assert!(has_taint(&h, a, TaintEffect::NoSchedule) && !has_taint(&h, a, TaintEffect::NoExecute));
        assert!(evictions(&h).is_empty());
        assert_eq!(h.api.pod(p).deletion, None);
        let entered = "Controller detected that all Nodes are not-Ready. Entering master disruption mode.";
        let e = h.event("ZoneStateChanged").expect("master disruption");
        assert_eq!((e.time, &e.message), (SimTime(NOT_READY_MS), &Message::Text(entered.into())));
    }

    /// The kubelet of `n` posts Ready=False with its own error (what `container-runtime-down`
    /// makes it do), its lease still renewed; `None` posts Ready again.
    fn kubelet_posts(h: &mut Harness, n: NodeId, error: Option<&'static str>) {
        h.api.update_node(n, |x| {
            x.ready = if error.is_some() { ConditionStatus::False } else { ConditionStatus::True };
            x.not_ready_message = error.unwrap_or("");
        });
        h.api.suspects.insert(n);
    }

    fn not_ready_taint(h: &Harness, n: NodeId) -> bool {
        h.api.node(n).taints.iter().any(|t| t.key == TAINT_NOT_READY && t.effect == TaintEffect::NoExecute)
    }

    /// A pod tolerating the not-ready NoExecute taint for `seconds`.
    fn pod_not_ready_toleration(h: &mut Harness, name: &str, node: NodeId, seconds: i64) -> PodId {
        let mut spec = test_pod_spec();
        spec.tolerations.push(Toleration {
            key: TAINT_NOT_READY.into(),
            op: TolerationOp::Exists,
            value: String::new(),
            effect: Some(TaintEffect::NoExecute),
            toleration_seconds: Some(seconds),
        });
        let p = h.add_bound_pod(name, node, spec);
        h.set_pod_status(p, PodPhase::Running, true);
        p
    }

    /// monitorNodeHealth with a kubelet that reports Ready=False itself: the condition it
    /// observes is already False, so no NodeNotReady of its own and no MarkPodsNotReady
    /// (upstream's `currentReadyCondition != True && observedReadyCondition == True` does not
    /// hold); processTaintBaseEviction queues the node for the not-ready NoExecute taint, and
    /// the pods go when their toleration of it runs out.
    #[test]
    fn a_node_whose_kubelet_reports_not_ready_gets_the_not_ready_taint_and_its_pods_stay_ready() {
        let (mut h, mut nlc, nodes) = cluster(&["a", "b", "c"]);
        let a = nodes[0];
        let p = pod_not_ready_toleration(&mut h, "p", a, DEFAULT_TOLERATION_SECONDS);
        run(&mut h, &mut nlc, 90_000);
        kubelet_posts(&mut h, a, Some("container runtime is down"));
        run(&mut h, &mut nlc, 94_999);
        assert!(!not_ready_taint(&h, a), "seen at the next monitor tick, 95 s");
        run(&mut h, &mut nlc, 95_000);
        assert!(not_ready_taint(&h, a) && !has_taint(&h, a, TaintEffect::NoExecute));
        assert!(h.event("NodeNotReady").is_none(), "the kubelet records its own; the controller none");
        assert!(h.api.pod(p).status.ready, "MarkPodsNotReady only follows a transition the controller sees");
        assert_eq!(h.api.node(a).ready, ConditionStatus::False, "the lease is fresh: not Unknown");
        run(&mut h, &mut nlc, 1_000_000);
        assert_eq!(evictions(&h), [(95_000 + 300_000, ObjRef::Pod(p))]);
    }

    /// markNodeAsReachable when the kubelet reports Ready again: the not-ready NoExecute taint
    /// goes and the scheduled eviction is cancelled.
    #[test]
    fn a_kubelet_that_reports_ready_again_has_its_not_ready_taint_removed_and_evictions_cancelled() {
        let (mut h, mut nlc, nodes) = cluster(&["a", "b", "c"]);
        let a = nodes[0];
        let p = pod_not_ready_toleration(&mut h, "p", a, 60);
        run(&mut h, &mut nlc, 90_000);
        kubelet_posts(&mut h, a, Some("container runtime is down"));
        run(&mut h, &mut nlc, 120_000);
        assert!(not_ready_taint(&h, a));
        kubelet_posts(&mut h, a, None);
        run(&mut h, &mut nlc, 125_000);
        assert!(!not_ready_taint(&h, a));
        let c = h.event("TaintManagerEviction").expect("the cancellation");
        assert_eq!(
            (c.time, &c.message),
            (SimTime(125_000), &Message::Text("Cancelling deletion of Pod default/p".into()))
        );
        run(&mut h, &mut nlc, 1_000_000);
        assert!(evictions(&h).is_empty());
        assert_eq!(h.api.pod(p).deletion, None);
    }

    /// processTaintBaseEviction's swaps: a not-ready node whose lease then goes stale has its
    /// not-ready NoExecute taint swapped for the unreachable one (not through the queue), and a
    /// pod's eviction keeps the time first scheduled.
    #[test]
    fn a_not_ready_node_that_stops_renewing_swaps_to_the_unreachable_taint_at_once() {
        let (mut h, mut nlc, nodes) = cluster(&["a", "b", "c"]);
        let a = nodes[0];
        let p = pod(&mut h, "p", a, Some(Some(DEFAULT_TOLERATION_SECONDS)));
        run(&mut h, &mut nlc, STOP_MS);
        kubelet_posts(&mut h, a, Some("node is shutting down"));
        h.api.lease_stop(a, h.now(), 0);
        run(&mut h, &mut nlc, 35_000);
        assert!(not_ready_taint(&h, a), "tainted not-ready at the tick of 35 s");
        run(&mut h, &mut nlc, NOT_READY_MS);
        assert_eq!(h.api.node(a).ready, ConditionStatus::Unknown);
        // processTaintBaseEviction reads the condition observed before this tick's write
        // (False): the swap comes at the next tick.
        assert!(not_ready_taint(&h, a));
        run(&mut h, &mut nlc, NOT_READY_MS + NODE_MONITOR_PERIOD_MS);
        assert!(!not_ready_taint(&h, a) && has_taint(&h, a, TaintEffect::NoExecute), "swapped");
        assert!(h.event("NodeNotReady").is_none(), "False -> Unknown is no Ready -> NotReady transition");
        run(&mut h, &mut nlc, 1_000_000);
        // The pod tolerates unreachable for 300 s, not-ready not at all: evicted when the
        // not-ready taint lands.
        assert_eq!(evictions(&h), [(35_000, ObjRef::Pod(p))]);
    }
}
