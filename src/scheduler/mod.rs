//! kube-scheduler: the scheduling queue (activeQ by priority, backoffQ, unschedulable pods),
//! one pod per scheduling cycle (PreFilter -> Filter -> PostFilter (preemption) -> PreScore ->
//! Score -> NormalizeScore -> select -> Reserve (assume) -> Bind), and its per-node cache of
//! requested resources kept incrementally (assume on bind, forget when a pod goes).

mod cache;
pub mod framework;
pub mod plugins;
pub mod preemption;
mod queue;

use crate::api::events::{ObjRef, Source};
use crate::api::settings::KubeSettings;
use crate::api::*;
pub use crate::runtime::SchedulerEvent;
use crate::runtime::{Ctx, Event};
use crate::sim::SimTime;
pub use plugins::ScorePlugin;
use plugins::noderesources::{DEFAULT_RESOURCES, ResourceSpec, Strategy};
use plugins::{NodeInfo, Verdict};
use queue::{ActiveQ, Parked};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

/// One scheduling cycle in this many is timed for `scheduler_seconds` (the others are
/// counted): the estimate is the timed cycles' mean times the number of cycles.
const CLOCK_SAMPLE: u64 = 4;

/// `flushUnschedulablePodsLeftover` runs every 30 s upstream.
pub const UNSCHEDULABLE_FLUSH_PERIOD_MS: u64 = 30_000;

/// The scheduling queue moves expired backoff pods to activeQ on a 1 s ticker
/// (`flushBackoffQCompleted`).
pub const BACKOFF_FLUSH_PERIOD_MS: u64 = 1_000;

/// client-go events/v1 `isomorphic` window: an identical event within 6 minutes of the last
/// observation is counted in its series.
pub const EVENT_SERIES_WINDOW_MS: u64 = 6 * 60 * 1000;

/// kubesim: how long one scheduling attempt occupies the scheduler, from popping the pod to
/// the binding being written (kube-scheduler's `scheduling_attempt_duration_seconds` is in the
/// milliseconds on small clusters). Pods are scheduled one at a time, so a burst of N pods
/// takes N times this. `spec.kubernetes.scheduler.attemptLatency` overrides it.
pub const DEFAULT_ATTEMPT_LATENCY_MS: u64 = 1;

/// The default profile's score plugins in order, with their weights (v1.34
/// `getDefaultPlugins`).
pub const SCORE_PLUGINS: [(&str, i64); ScorePlugin::COUNT] = [
    ("TaintToleration", 3),
    ("NodeAffinity", 2),
    ("NodeResourcesFit", 1),
    ("PodTopologySpread", 2),
    ("InterPodAffinity", 2),
    ("NodeResourcesBalancedAllocation", 1),
    ("ImageLocality", 1),
];

/// `spec.kubernetes.scheduler`: the KubeSchedulerConfiguration settings kubesim models.
#[derive(Clone, Debug)]
pub struct SchedulerConfig {
    /// `percentageOfNodesToScore`; None (or 0): adaptive.
    pub percentage_of_nodes_to_score: Option<u32>,
    /// NodeResourcesFit `scoringStrategy`.
    pub strategy: Strategy,
    pub resources: Vec<ResourceSpec>,
    pub attempt_latency_ms: u64,
    /// Extended resource names, by index (for messages).
    pub extended_resources: Vec<String>,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig {
            percentage_of_nodes_to_score: None,
            strategy: Strategy::LeastAllocated,
            resources: DEFAULT_RESOURCES.to_vec(),
            attempt_latency_ms: DEFAULT_ATTEMPT_LATENCY_MS,
            extended_resources: Vec::new(),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum QState {
    #[default]
    Unknown,
    Active,
    Backoff,
    Unschedulable,
    /// Assumed, its binding on the way.
    Binding,
    Done,
}

#[derive(Clone, Copy, Debug, Default)]
struct PodInfo {
    state: QState,
    attempts: u32,
    epoch: u32,
    last_attempt: SimTime,
    unschedulable_since: SimTime,
    /// The node this pod's requests are counted on (assumed or observed bound).
    assumed: Option<NodeId>,
    /// What last put the pod in the queue: the cause of its Scheduled / FailedScheduling.
    cause: EventId,
    /// The pod's last FailedScheduling event, which an identical failure joins as a series;
    /// the address of that event's message (alive as long as the event) and the series' last
    /// observation, so that a retry with the same shared message need not read the event.
    series: EventId,
    series_msg: usize,
    series_seen: SimTime,
    /// Repeats joined to the series since its event was last written.
    series_pending: u32,
    /// Its entry's enqueue number in activeQ, while Active.
    active_seq: u64,
    /// From the spec (immutable), learnt when the pod is first queued: its priority, and
    /// `QUICK` when only resources can rule a plain node out for it (no node selection,
    /// affinity, DoNotSchedule spreading or required pod terms, no ephemeral-storage or
    /// extended resource), `NEVER` for preemptionPolicy Never.
    prio: i32,
    flags: u8,
    /// Its cpu and memory requests (all a `QUICK` pod's filters read).
    req_cpu: u64,
    req_memory: u64,
}

/// What a quick failure's message depends on: the live nodes, the per-reason node counts,
/// and whether the pod's preemptionPolicy is Never.
type QuickKey = (usize, [(u32, u32); 3], bool);

const KNOWN: u8 = 1;
const QUICK: u8 = 2;
const NEVER: u8 = 4;

/// One row of `scheduling.csv`: a node's verdict and scores in one attempt.
#[derive(Clone, Debug)]
pub struct TraceRow {
    pub time: SimTime,
    pub attempt: u64,
    pub pod: PodId,
    pub node: NodeId,
    /// The filters' status code for the node.
    pub code: plugins::Code,
    /// Empty when the node passed the filters; else its reasons, `; `-separated.
    pub filter: String,
    /// Per score plugin (SCORE_PLUGINS order): raw and normalised, None when skipped.
    pub raw: [Option<i64>; ScorePlugin::COUNT],
    pub normalized: [Option<i64>; ScorePlugin::COUNT],
    pub total: Option<i64>,
    pub chosen: bool,
}

pub struct Scheduler {
    initial_backoff_ms: u64,
    max_backoff_ms: u64,
    max_in_unschedulable_ms: u64,
    pub config: SchedulerConfig,
    /// activeQ: highest priority first, then FIFO by enqueue order. A heap with lazy deletion:
    /// an entry is live while its pod is Active with that enqueue number.
    active: ActiveQ,
    /// How many entries of `active` are live.
    active_live: usize,
    enqueue_seq: u64,
    pods: Vec<PodInfo>,
    unschedulable: Parked,
    pub(crate) nodes: Vec<NodeInfo>,
    /// The filter loop's packed view of `nodes` (kept with it).
    slots: Vec<plugins::FreeSlot>,
    /// The pods counted on each node (`NodeInfo.Pods`).
    pub(crate) node_pods: Vec<Vec<PodId>>,
    /// Per owner, how many of its pods each node holds (default topology spreading).
    owner_counts: HashMap<Owner, Vec<u32>>,
    /// Topology label values of every node as integers (PodTopologySpread).
    topology: plugins::podtopologyspread::Topology,
    /// The system default spreading constraints, built once and kept resolved.
    default_spread: Vec<plugins::podtopologyspread::Constraint>,
    /// The feasible nodes' indexes (scratch, reused by every scoring cycle).
    feasible_idx: Vec<usize>,
    /// Counted pods with pod affinity or anti-affinity terms.
    pods_with_affinity: usize,
    /// Priorities of the counted pods with how many each, sorted (few distinct values):
    /// preemption is only possible above the lowest.
    pub(crate) priorities: Vec<(i32, u32)>,
    /// Pods nominated to a node by preemption, not yet bound: (pod, node).
    pub(crate) nominated: Vec<(PodId, NodeId)>,
    /// Whether preemption ever nominated a pod (else no pod has a `nominatedNodeName`).
    pub(crate) ever_nominated: bool,
    cycle_pending: bool,
    flush_pending: bool,
    /// backoffQ: (expiry, pod, epoch), flushed to activeQ once a second.
    backoff_q: BinaryHeap<Reverse<(SimTime, PodId, u32)>>,
    backoff_flush_pending: bool,
    /// The API server's node epoch the compact node copies reflect.
    node_epoch: u64,
    /// The plain nodes' free capacity, sorted; and how many nodes are deleted.
    free: plugins::FreeIndex,
    /// The index is kept only once an attempt has failed (a cluster that never fills up never
    /// pays for it).
    free_enabled: bool,
    deleted_nodes: usize,
    /// Nodes with a PreferNoSchedule taint (TaintToleration's score varies only with them).
    prefer_taint_nodes: usize,
    /// The last FailedScheduling message, shared by identical ones that follow.
    last_message: Option<std::sync::Arc<str>>,
    /// The last quick failure's (nodes, per-reason counts, preemptionPolicy Never) and its
    /// message: the same inputs give the same message.
    last_quick: Option<(QuickKey, std::sync::Arc<str>)>,
    next_start_node: usize,
    attempt_seq: u64,
    /// `--trace-scheduling`: every attempt's per-node verdicts and scores.
    pub trace: Option<Vec<TraceRow>>,
    /// Scheduling attempts made (for the benches and stats.csv only: never part of a
    /// decision).
    pub attempts: u64,
    /// Scheduling cycles run, how many of them were timed and the wall time those took (one in
    /// `CLOCK_SAMPLE`: reading the clock twice per cycle cost 4% of a run whose cycles are
    /// mostly quick failures).
    cycles: u64,
    timed_cycles: u64,
    timed_wall: std::time::Duration,
    // Scratch buffers reused by every cycle.
    feasible: Vec<NodeId>,
    failures: Vec<(NodeId, Verdict)>,
    scores: framework::Scores,
}

impl Scheduler {
    pub fn new(k: &KubeSettings, config: &SchedulerConfig) -> Scheduler {
        Scheduler {
            initial_backoff_ms: k.pod_initial_backoff_ms,
            max_backoff_ms: k.pod_max_backoff_ms,
            max_in_unschedulable_ms: k.pod_max_in_unschedulable_ms,
            config: config.clone(),
            active: ActiveQ::default(),
            active_live: 0,
            enqueue_seq: 0,
            pods: Vec::new(),
            unschedulable: Parked::default(),
            nodes: Vec::new(),
            slots: Vec::new(),
            node_pods: Vec::new(),
            owner_counts: HashMap::new(),
            topology: Default::default(),
            default_spread: plugins::podtopologyspread::system_default_constraints(),
            feasible_idx: Vec::new(),
            pods_with_affinity: 0,
            priorities: Vec::new(),
            nominated: Vec::new(),
            ever_nominated: false,
            cycle_pending: false,
            flush_pending: false,
            last_message: None,
            last_quick: None,
            node_epoch: u64::MAX,
            backoff_q: BinaryHeap::new(),
            backoff_flush_pending: false,
            free: plugins::FreeIndex::default(),
            free_enabled: false,
            deleted_nodes: 0,
            prefer_taint_nodes: 0,
            next_start_node: 0,
            attempt_seq: 0,
            trace: None,
            attempts: 0,
            cycles: 0,
            timed_cycles: 0,
            timed_wall: std::time::Duration::ZERO,
            feasible: Vec::new(),
            failures: Vec::new(),
            scores: framework::Scores::default(),
        }
    }

    /// The wall time the scheduling cycles took, estimated from the timed ones (for the
    /// benches and stats.csv only).
    pub fn wall(&self) -> std::time::Duration {
        if self.timed_cycles == 0 {
            return std::time::Duration::ZERO;
        }
        self.timed_wall.mul_f64(self.cycles as f64 / self.timed_cycles as f64)
    }

    fn info(&mut self, id: PodId) -> &mut PodInfo {
        if self.pods.len() <= id.idx() {
            self.pods.resize(id.idx() + 1, PodInfo::default());
        }
        &mut self.pods[id.idx()]
    }

    /// The spec's facts the queue and the quick failure path read, learnt once.
    fn learn(&mut self, id: PodId, api: &crate::apiserver::ApiServer) -> PodInfo {
        let i = *self.info(id);
        if i.flags & KNOWN != 0 {
            return i;
        }
        let p = api.pod(id);
        let spec = &p.spec;
        let quick = spec.node_selector.0.is_empty()
            && spec.affinity_node.is_none()
            && spec.affinity.as_ref().is_none_or(|a| {
                a.node_required.is_none()
                    && a.pod_affinity_required.is_empty()
                    && a.pod_anti_affinity_required.is_empty()
            })
            && spec.topology_spread.iter().all(|c| c.when_unsatisfiable != WhenUnsatisfiable::DoNotSchedule)
            && p.requests.storage == 0
            && !p.requests.has_ext();
        let never = spec.preemption_policy == PreemptionPolicy::Never;
        let prio = spec.priority;
        let req = p.requests;
        let i = self.info(id);
        i.prio = prio;
        i.req_cpu = req.cpu_milli;
        i.req_memory = req.memory;
        i.flags = KNOWN | if quick { QUICK } else { 0 } | if never { NEVER } else { 0 };
        *i
    }

    pub fn on_watch(&mut self, obj: ObjRef, ctx: &mut Ctx) {
        match obj {
            ObjRef::Pod(id) => {
                let p = ctx.api.pod(id);
                let gone = p.removed.is_some() || p.status.phase.is_terminal();
                let (bound, deleting, named) = (p.node, p.deletion.is_some(), p.spec.node_name.is_some());
                let info = *self.info(id);
                if gone {
                    if info.assumed.is_some() {
                        self.forget(id, ctx);
                        self.move_all(ctx); // AssignedPodDelete
                    }
                    self.remove_active(id);
                    self.unschedulable.remove(id);
                    self.nominated.retain(|&(p, _)| p != id);
                    self.info(id).state = QState::Done;
                } else if let Some(n) = bound {
                    if info.assumed.is_none() {
                        self.assume(id, n, ctx); // bound by someone else (spec.nodeName)
                        self.assigned_pod_added(id, ctx);
                    }
                } else if deleting {
                    self.remove_active(id);
                    self.unschedulable.remove(id);
                    self.nominated.retain(|&(p, _)| p != id);
                } else if !named && info.state == QState::Unknown {
                    self.push_active(id, ctx);
                }
            }
            ObjRef::Node(_) => {
                self.sync_nodes(ctx);
                self.move_all(ctx); // NodeAdd / NodeUpdate
            }
            _ => {}
        }
    }

    pub fn handle(&mut self, ev: SchedulerEvent, ctx: &mut Ctx) {
        match ev {
            SchedulerEvent::ScheduleOne => {
                self.cycle_pending = false;
                let mut busy = false;
                if let Some(id) = self.pop_active() {
                    self.cycles += 1;
                    if self.cycles.is_multiple_of(CLOCK_SAMPLE) {
                        let t0 = std::time::Instant::now();
                        busy = self.schedule_one(id, ctx);
                        self.timed_wall += t0.elapsed();
                        self.timed_cycles += 1;
                    } else {
                        busy = self.schedule_one(id, ctx);
                    }
                    self.attempts += u64::from(busy);
                }
                if self.active_live > 0 {
                    // The next cycle starts when this attempt's time is spent.
                    self.kick(if busy { self.config.attempt_latency_ms } else { 0 }, ctx);
                }
            }
            SchedulerEvent::Bind(id, node) => self.bind(id, node, ctx),
            SchedulerEvent::FlushBackoff => {
                while let Some(&Reverse((expiry, pod, epoch))) = self.backoff_q.peek() {
                    if expiry > ctx.now {
                        break;
                    }
                    self.backoff_q.pop();
                    let i = *self.info(pod);
                    if i.epoch == epoch && i.state == QState::Backoff {
                        self.push_active(pod, ctx);
                    }
                }
                if self.backoff_q.is_empty() {
                    self.backoff_flush_pending = false;
                } else {
                    ctx.after(BACKOFF_FLUSH_PERIOD_MS, Event::Scheduler(SchedulerEvent::FlushBackoff));
                }
            }
            SchedulerEvent::FlushUnschedulable => {
                let stale: Vec<PodId> = self
                    .unschedulable
                    .members()
                    .iter()
                    .copied()
                    .filter(|&id| ctx.now.since(self.pods[id.idx()].unschedulable_since) > self.max_in_unschedulable_ms)
                    .collect();
                for id in stale {
                    self.unschedulable.remove(id);
                    self.requeue(id, ctx);
                }
                if self.unschedulable.is_empty() {
                    self.flush_pending = false;
                } else {
                    ctx.after(UNSCHEDULABLE_FLUSH_PERIOD_MS, Event::Scheduler(SchedulerEvent::FlushUnschedulable));
                }
            }
        }
    }

    /// The binding reaches the API server (`DefaultBinder`), unless the pod went meanwhile.
    fn bind(&mut self, id: PodId, node: NodeId, ctx: &mut Ctx) {
        let info = *self.info(id);
        if info.state != QState::Binding || info.assumed != Some(node) {
            return;
        }
        self.info(id).state = QState::Done;
        let p = ctx.api.pod(id);
        if p.removed.is_some() || p.deletion.is_some() || p.node.is_some() {
            return; // the watch already made the cache forget it, or will
        }
        ctx.cause = info.cause;
        ctx.api.pods[id.idx()].nominated_node = None;
        ctx.api.bind_pod(id, node, ctx.now, Some(crate::apiserver::Watcher::Scheduler));
        self.assigned_pod_added(id, ctx);
        ctx.cause = ctx.record(
            EventType::Normal,
            "Scheduled",
            ObjRef::Pod(id),
            Some(node),
            Source::Scheduler,
            Message::Scheduled { node },
        );
    }

    /// FailedScheduling in upstream's shape (reasons by node count, then preemption's
    /// message), then park the pod in unschedulablePods. `counts`: the per-reason node counts
    /// when they are known without the visit (every node short of a resource).
    fn fail(&mut self, id: PodId, n: usize, counts: Option<[(u32, u32); 3]>, post: Option<String>, ctx: &mut Ctx) {
        // Count nodes per reason without building a string per node: the fixed reasons by
        // their bit, the untolerated taints by content (few distinct ones in practice).
        let mut fixed = [0u32; plugins::FIXED_REASONS.len()];
        let mut ext = [0u32; MAX_EXTENDED_RESOURCES];
        let mut taints: Vec<(NodeId, u16, u32)> = Vec::new();
        if let Some(c) = counts {
            for (bit, k) in c {
                let i = plugins::FIXED_REASONS.iter().position(|r| r.0 == bit).expect("a fixed reason");
                fixed[i] = k;
            }
        }
        for &(nid, v) in if counts.is_some() { &[][..] } else { &self.failures[..] } {
            for (k, &(bit, _)) in plugins::FIXED_REASONS.iter().enumerate() {
                fixed[k] += u32::from(v.bits & bit != 0);
            }
            for (i, e) in ext.iter_mut().enumerate() {
                *e += u32::from(v.bits & (plugins::EXT << i) != 0);
            }
            if v.bits & plugins::TAINT != 0 {
                let t = &ctx.api.nodes[nid.idx()].taints[v.taint as usize];
                let same = taints.iter_mut().find(|(n, i, _)| {
                    let o = &ctx.api.nodes[n.idx()].taints[*i as usize];
                    o.key == t.key && o.value == t.value
                });
                match same {
                    Some(e) => e.2 += 1,
                    None => taints.push((nid, v.taint, 1)),
                }
            }
        }
        let mut msg = format!("0/{n} nodes are available:");
        if n == 0 {
            msg.push_str(" no nodes available to schedule pods.");
        } else {
            let mut parts: Vec<String> = Vec::new();
            for (k, &(_, text)) in plugins::FIXED_REASONS.iter().enumerate() {
                if fixed[k] > 0 {
                    parts.push(format!("{} {text}", fixed[k]));
                }
            }
            for (i, name) in self.config.extended_resources.iter().enumerate() {
                if ext[i] > 0 {
                    parts.push(format!("{} Insufficient {name}", ext[i]));
                }
            }
            for &(nid, i, c) in &taints {
                let t = &ctx.api.nodes[nid.idx()].taints[i as usize];
                parts.push(format!("{c} {}", plugins::tainttoleration::untolerated_message(t)));
            }
            parts.sort();
            msg.push(' ');
            msg.push_str(&parts.join(", "));
            msg.push('.');
            if let Some(p) = post {
                msg.push_str(" preemption: ");
                msg.push_str(&p);
            }
        }
        // The same message again (a burst of identical pods) shares one copy.
        let text = self.share(msg);
        self.failed(id, text, ctx);
    }

    fn share(&mut self, msg: String) -> std::sync::Arc<str> {
        match &self.last_message {
            Some(m) if **m == *msg => m.clone(),
            _ => {
                let m: std::sync::Arc<str> = msg.into();
                self.last_message = Some(m.clone());
                m
            }
        }
    }

    /// Write the pod's counted repeats of its FailedScheduling series to the event.
    fn flush_series_of(&mut self, id: PodId, rec: &mut crate::record::Recorder) {
        let i = self.info(id);
        if i.series_pending > 0 {
            let e = &mut rec.events[i.series as usize - 1];
            e.count += i.series_pending;
            e.last_seen = i.series_seen;
            i.series_pending = 0;
        }
    }

    /// Write every pod's counted repeats to its FailedScheduling event (at the end of a run).
    pub fn flush_series(&mut self, rec: &mut crate::record::Recorder) {
        for i in 0..self.pods.len() {
            self.flush_series_of(PodId(i as u32), rec);
        }
    }

    /// Record a failed attempt with its message and park the pod with the unschedulable ones.
    fn failed(&mut self, id: PodId, text: std::sync::Arc<str>, ctx: &mut Ctx) {
        ctx.rec.failed_scheduling += 1;
        // handleSchedulingFailure: PodScheduled=False, Unschedulable, the same message.
        ctx.api.set_unschedulable(id, &text);
        // events/v1 (kube-scheduler's recorder): the same event again within 6 minutes joins
        // the last one as a series (count, last observed) instead of being stored anew.
        let now = ctx.now;
        let info = *self.info(id);
        let last = info.series;
        let joined = last > 0
            && now.since(info.series_seen) <= EVENT_SERIES_WINDOW_MS
            && (info.series_msg == text.as_ptr() as usize
                || matches!(&ctx.rec.events[last as usize - 1].message, Message::Text(m) if **m == *text));
        if joined {
            // Counted here and written to the event by `flush_series` (nothing reads a
            // series' count during the run): a retry does not touch the old event.
            ctx.cause = last;
            if let Some(h) = &mut ctx.rec.history {
                h.repeat(last, now);
            }
            let i = self.info(id);
            i.series_pending += 1;
            i.series_seen = now;
        } else {
            self.flush_series_of(id, ctx.rec);
            let addr = text.as_ptr() as usize;
            let eid = ctx.record(
                EventType::Warning,
                "FailedScheduling",
                ObjRef::Pod(id),
                None,
                Source::Scheduler,
                Message::Text(text),
            );
            ctx.cause = eid;
            let i = self.info(id);
            i.series = eid;
            i.series_msg = addr;
            i.series_seen = now;
        }
        let i = self.info(id);
        i.state = QState::Unschedulable;
        i.unschedulable_since = now;
        self.unschedulable.insert(id);
        if !self.flush_pending {
            self.flush_pending = true;
            ctx.after(UNSCHEDULABLE_FLUSH_PERIOD_MS, Event::Scheduler(SchedulerEvent::FlushUnschedulable));
        }
    }
}

/// Deliver the scheduler's timers and watch events up to `until` ms (unit tests).
#[cfg(test)]
pub(crate) fn run_for_test(h: &mut crate::runtime::testing::Harness, s: &mut Scheduler, until: u64) {
    h.run_until(crate::sim::SimTime(until), |e, ctx| match e {
        Event::Scheduler(ev) => s.handle(ev, ctx),
        Event::Watch(w) if w.to == crate::apiserver::Watcher::Scheduler => s.on_watch(w.obj, ctx),
        _ => {}
    });
}
