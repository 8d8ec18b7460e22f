//! kube-scheduler: the scheduling queue (activeQ, backoff, unschedulable pods), one pod per
//! scheduling cycle (filter -> score -> select -> assume -> bind), and its per-node cache of
//! requested resources kept incrementally (assume on bind, forget when a pod goes).

pub mod plugins;

use crate::api::events::{ObjRef, Source};
use crate::api::*;
use crate::cluster::{Ctx, Event};
use crate::scenario::KubeSettings;
use crate::sim::SimTime;
use plugins::{NodeInfo, Verdict};
use priority_queue::PriorityQueue;
use std::cmp::Reverse;
use std::collections::BTreeSet;

/// `flushUnschedulablePodsLeftover` runs every 30 s upstream.
pub const UNSCHEDULABLE_FLUSH_PERIOD_MS: u64 = 30_000;

/// The scheduling queue moves expired backoff pods to activeQ on a 1 s ticker
/// (`flushBackoffQCompleted`).
pub const BACKOFF_FLUSH_PERIOD_MS: u64 = 1_000;

/// client-go events/v1 `isomorphic` window: an identical event within 6 minutes of the last
/// observation is counted in its series.
pub const EVENT_SERIES_WINDOW_MS: u64 = 6 * 60 * 1000;

/// Scheduler timers (scheduler -> scheduler).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchedulerEvent {
    /// Take the next pod from activeQ and run one scheduling cycle.
    ScheduleOne,
    /// `flushBackoffQCompleted`: move the pods whose backoff has expired to activeQ.
    FlushBackoff,
    /// Move pods that have waited too long in unschedulablePods.
    FlushUnschedulable,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum QState {
    #[default]
    Unknown,
    Active,
    Backoff,
    Unschedulable,
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
    /// The pod's last FailedScheduling event, which an identical failure joins as a series.
    series: EventId,
}

pub struct Scheduler {
    initial_backoff_ms: u64,
    max_backoff_ms: u64,
    max_in_unschedulable_ms: u64,
    /// activeQ: highest priority first, then FIFO by enqueue order.
    active: PriorityQueue<PodId, (i32, Reverse<u64>)>,
    enqueue_seq: u64,
    pods: Vec<PodInfo>,
    unschedulable: BTreeSet<PodId>,
    nodes: Vec<NodeInfo>,
    cycle_pending: bool,
    flush_pending: bool,
    /// backoffQ: (expiry, pod, epoch), flushed to activeQ once a second.
    backoff_q: BTreeSet<(SimTime, PodId, u32)>,
    backoff_flush_pending: bool,
    /// The API server's node epoch the compact node copies reflect.
    node_epoch: u64,
    /// The plain nodes' free capacity, sorted; and how many nodes are deleted.
    free: plugins::FreeIndex,
    /// The index is kept only once an attempt has failed (a cluster that never fills up never
    /// pays for it).
    free_enabled: bool,
    deleted_nodes: usize,
    /// The per-reason counts of the last fast failure, whose message `last_message` is.
    last_counts: Option<(usize, [u32; 5])>,
    /// The last FailedScheduling message, shared by identical ones that follow.
    last_message: Option<std::sync::Arc<str>>,
    next_start_node: usize,
    // Scratch buffers reused by every cycle.
    feasible: Vec<NodeId>,
    failures: Vec<(NodeId, Verdict)>,
}

impl Scheduler {
    pub fn new(k: &KubeSettings) -> Scheduler {
        Scheduler {
            initial_backoff_ms: k.pod_initial_backoff_ms,
            max_backoff_ms: k.pod_max_backoff_ms,
            max_in_unschedulable_ms: k.pod_max_in_unschedulable_ms,
            active: PriorityQueue::new(),
            enqueue_seq: 0,
            pods: Vec::new(),
            unschedulable: BTreeSet::new(),
            nodes: Vec::new(),
            cycle_pending: false,
            flush_pending: false,
            last_message: None,
            last_counts: None,
            node_epoch: u64::MAX,
            backoff_q: BTreeSet::new(),
            backoff_flush_pending: false,
            free: plugins::FreeIndex::default(),
            free_enabled: false,
            deleted_nodes: 0,
            next_start_node: 0,
            feasible: Vec::new(),
            failures: Vec::new(),
        }
    }

    fn info(&mut self, id: PodId) -> &mut PodInfo {
        if self.pods.len() <= id.idx() {
            self.pods.resize(id.idx() + 1, PodInfo::default());
        }
        &mut self.pods[id.idx()]
    }

    /// `calculateBackoffDuration`: initial, doubled per earlier attempt, capped.
    fn backoff_ms(&self, attempts: u32) -> u64 {
        let mut d = self.initial_backoff_ms;
        for _ in 1..attempts {
            if d > self.max_backoff_ms - d {
                return self.max_backoff_ms;
            }
            d += d;
        }
        d
    }

    fn push_active(&mut self, id: PodId, ctx: &mut Ctx) {
        let prio = ctx.api.pod(id).spec.priority;
        self.enqueue_seq += 1;
        self.active.push(id, (prio, Reverse(self.enqueue_seq)));
        let cause = ctx.cause;
        let i = self.info(id);
        i.state = QState::Active;
        i.cause = cause;
        if !self.cycle_pending {
            self.cycle_pending = true;
            ctx.after(0, Event::Scheduler(SchedulerEvent::ScheduleOne));
        }
    }

    /// Backoff if it has not expired yet, else straight to activeQ.
    fn requeue(&mut self, id: PodId, ctx: &mut Ctx) {
        let info = *self.info(id);
        let expiry = info.last_attempt.plus(self.backoff_ms(info.attempts));
        if expiry > ctx.now {
            let i = self.info(id);
            i.state = QState::Backoff;
            i.epoch = i.epoch.wrapping_add(1);
            let epoch = i.epoch;
            self.backoff_q.insert((expiry, id, epoch));
            if !self.backoff_flush_pending {
                // The queue's 1 s ticker: the next whole second.
                self.backoff_flush_pending = true;
                let t = SimTime((ctx.now.0 / BACKOFF_FLUSH_PERIOD_MS + 1) * BACKOFF_FLUSH_PERIOD_MS);
                ctx.at(t, Event::Scheduler(SchedulerEvent::FlushBackoff));
            }
        } else {
            self.push_active(id, ctx);
        }
    }

    /// Bring the compact node copies up to date if any node changed since the last look.
    fn sync_nodes(&mut self, ctx: &Ctx) {
        if self.node_epoch == ctx.api.node_epoch && self.nodes.len() == ctx.api.nodes.len() {
            return;
        }
        self.node_epoch = ctx.api.node_epoch;
        if self.nodes.len() < ctx.api.nodes.len() {
            self.nodes.resize(ctx.api.nodes.len(), NodeInfo::default());
        }
        let mut deleted = 0;
        for (info, node) in self.nodes.iter_mut().zip(&ctx.api.nodes) {
            info.refresh(node);
            deleted += usize::from(node.deleted.is_some());
        }
        self.deleted_nodes = deleted;
        if self.free_enabled {
            self.free.rebuild(&self.nodes);
        }
    }

    /// `MoveAllToActiveOrBackoffQueue` on a cluster event that may make pods schedulable.
    fn move_all(&mut self, ctx: &mut Ctx) {
        let pods = std::mem::take(&mut self.unschedulable);
        for id in pods {
            self.requeue(id, ctx);
        }
    }

    fn forget(&mut self, id: PodId, ctx: &mut Ctx) {
        let req = ctx.api.pod(id).requests;
        let nz = ctx.api.pod(id).spec.nonzero_requests();
        if let Some(n) = self.info(id).assumed.take() {
            let before = self.nodes[n.idx()];
            let ni = &mut self.nodes[n.idx()];
            ni.requested.sub(req);
            ni.nonzero.sub(nz);
            ni.pods -= 1;
            if self.free_enabled {
                self.free.update(&before, &self.nodes[n.idx()]);
            }
        }
    }

    fn assume(&mut self, id: PodId, node: NodeId, ctx: &mut Ctx) {
        self.sync_nodes(ctx);
        let spec = &ctx.api.pod(id).spec;
        let before = self.nodes[node.idx()];
        let ni = &mut self.nodes[node.idx()];
        ni.requested.add(ctx.api.pod(id).requests);
        ni.nonzero.add(spec.nonzero_requests());
        ni.pods += 1;
        if self.free_enabled {
            self.free.update(&before, &self.nodes[node.idx()]);
        }
        self.info(id).assumed = Some(node);
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
                    self.active.remove(&id);
                    self.unschedulable.remove(&id);
                    self.info(id).state = QState::Done;
                } else if let Some(n) = bound {
                    if info.assumed.is_none() {
                        self.assume(id, n, ctx); // bound by someone else (spec.nodeName)
                    }
                } else if deleting {
                    self.active.remove(&id);
                    self.unschedulable.remove(&id);
                } else if !named && info.state == QState::Unknown {
                    self.push_active(id, ctx);
                }
            }
            ObjRef::Node(id) => {
                self.sync_nodes(ctx);
                let _ = id;
                self.move_all(ctx); // NodeAdd / NodeUpdate
            }
            _ => {}
        }
    }

    pub fn handle(&mut self, ev: SchedulerEvent, ctx: &mut Ctx) {
        match ev {
            SchedulerEvent::ScheduleOne => {
                self.cycle_pending = false;
                if let Some((id, _)) = self.active.pop() {
                    self.schedule_one(id, ctx);
                }
                if !self.active.is_empty() && !self.cycle_pending {
                    self.cycle_pending = true;
                    ctx.after(0, Event::Scheduler(SchedulerEvent::ScheduleOne));
                }
            }
            SchedulerEvent::FlushBackoff => {
                while let Some(&(expiry, pod, epoch)) = self.backoff_q.first() {
                    if expiry > ctx.now {
                        break;
                    }
                    self.backoff_q.pop_first();
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
                    .iter()
                    .copied()
                    .filter(|&id| ctx.now.since(self.pods[id.idx()].unschedulable_since) > self.max_in_unschedulable_ms)
                    .collect();
                for id in stale {
                    self.unschedulable.remove(&id);
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

    fn schedule_one(&mut self, id: PodId, ctx: &mut Ctx) {
        let p = ctx.api.pod(id);
        if p.node.is_some() || p.removed.is_some() || p.deletion.is_some() {
            self.info(id).state = QState::Done;
            return;
        }
        let spec = p.spec.clone();
        ctx.cause = self.info(id).cause;
        let req = p.requests;
        {
            let i = self.info(id);
            i.attempts += 1;
            i.last_attempt = ctx.now;
        }
        self.sync_nodes(ctx);
        let n = ctx.api.nodes.len();
        let want = plugins::num_feasible_nodes_to_find(n);
        self.feasible.clear();
        self.failures.clear();
        // A pod without node selection on a plain node: only the resources decide.
        let plain_pod = spec.node_selector.0.is_empty() && spec.affinity_node.is_none();
        // Every live node plain and one resource short on all of them: the visit would fail
        // every node; the sorted free capacities give its counts without it.
        if self.free_enabled && plain_pod && self.free.len() + self.deleted_nodes == n && !self.free.is_empty() {
            let counts = self.free.shortfalls(req);
            let live = self.free.len() as u32;
            if counts.contains(&live) {
                self.fail(id, live as usize, Some(counts), ctx);
                return;
            }
        }
        let nz = spec.nonzero_requests();
        let mut processed = 0;
        while processed < n && self.feasible.len() < want {
            let idx = (self.next_start_node + processed) % n;
            processed += 1;
            let info = &self.nodes[idx];
            let v = if plain_pod && info.plain {
                plugins::fit(req, info)
            } else {
                let node = &ctx.api.nodes[idx];
                if node.deleted.is_some() {
                    continue; // gone from the informer's snapshot
                }
                plugins::filter(&spec, req, node, info)
            };
            if v.fits() {
                self.feasible.push(NodeId(idx as u32));
            } else {
                self.failures.push((NodeId(idx as u32), v));
            }
        }
        if n > 0 {
            self.next_start_node = (self.next_start_node + processed) % n;
        }
        if self.feasible.is_empty() {
            let live = ctx.api.nodes.iter().filter(|x| x.deleted.is_none()).count();
            // From the first failure on, the cluster may be full: keep the free-capacity index.
            if !self.free_enabled {
                self.free_enabled = true;
                self.free.rebuild(&self.nodes);
            }
            self.fail(id, live, None, ctx);
            return;
        }
        // Score (LeastAllocated) and select; ties are broken at random (reservoir sampling).
        let chosen = if self.feasible.len() == 1 {
            self.feasible[0]
        } else {
            let mut best = 0u64;
            let mut chosen = self.feasible[0];
            let mut ties = 0u64;
            for &nid in &self.feasible {
                let s = plugins::least_allocated(nz, &self.nodes[nid.idx()]);
                if s > best || ties == 0 {
                    best = s;
                    chosen = nid;
                    ties = 1;
                } else if s == best {
                    ties += 1;
                    if ctx.rng.scheduler.below(ties) == 0 {
                        chosen = nid;
                    }
                }
            }
            chosen
        };
        self.assume(id, chosen, ctx);
        self.info(id).state = QState::Done;
        ctx.api.bind_pod(id, chosen, ctx.now, Some(crate::apiserver::Watcher::Scheduler));
        ctx.record(
            EventType::Normal,
            "Scheduled",
            ObjRef::Pod(id),
            Some(chosen),
            Source::Scheduler,
            Message::Scheduled { node: chosen },
        );
    }

    /// FailedScheduling in upstream's shape, then park the pod in unschedulablePods.
    /// A failed attempt; `counts` are the per-reason node counts when they are known without
    /// the visit (every node short of a resource: all resolvable by preemption).
    fn fail(&mut self, id: PodId, n: usize, counts: Option<[u32; 5]>, ctx: &mut Ctx) {
        // The same counts as the last fast failure: the same message, without building it.
        if let (Some(c), Some((ln, lc)), Some(m)) = (counts, self.last_counts, &self.last_message)
            && ln == n
            && lc == c
        {
            let text = m.clone();
            self.failed(id, text, ctx);
            return;
        }
        self.last_counts = counts.map(|c| (n, c));
        // Count nodes per reason without building a string per node: the fixed reasons by
        // their bit, the untolerated taints by content (few distinct ones in practice).
        let mut fixed = counts.unwrap_or([0u32; plugins::FIXED_REASONS.len()]);
        let mut taints: Vec<(NodeId, u16, u32)> = Vec::new();
        let (mut unresolvable, mut resolvable) = (0u32, if counts.is_some() { n as u32 } else { 0 });
        let visited: &[(NodeId, Verdict)] = if counts.is_some() { &[] } else { &self.failures };
        for &(nid, v) in visited {
            for (k, &(bit, _)) in plugins::FIXED_REASONS.iter().enumerate() {
                fixed[k] += u32::from(v.bits & bit != 0);
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
            if v.bits & plugins::UNRESOLVABLE != 0 {
                unresolvable += 1;
            } else {
                resolvable += 1;
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
            for &(nid, i, c) in &taints {
                let t = &ctx.api.nodes[nid.idx()].taints[i as usize];
                parts.push(format!("{c} node(s) had untolerated taint {{{}: {}}}", t.key, t.value));
            }
            parts.sort();
            msg.push(' ');
            msg.push_str(&parts.join(", "));
            msg.push('.');
            // DefaultPreemption's PostFilter message (no pod of lower priority is modelled as
            // a victim yet: see the fidelity table).
            let mut post = Vec::new();
            if resolvable > 0 {
                post.push(format!("{resolvable} No preemption victims found for incoming pod"));
            }
            if unresolvable > 0 {
                post.push(format!("{unresolvable} Preemption is not helpful for scheduling"));
            }
            post.sort();
            msg.push_str(&format!(" preemption: 0/{n} nodes are available: {}.", post.join(", ")));
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

    /// Record a failed attempt with its message and park the pod with the unschedulable ones.
    fn failed(&mut self, id: PodId, text: std::sync::Arc<str>, ctx: &mut Ctx) {
        ctx.rec.failed_scheduling += 1;
        // events/v1 (kube-scheduler's recorder): the same event again within 6 minutes joins
        // the last one as a series (count, last observed) instead of being stored anew.
        let last = self.info(id).series;
        let joined = last > 0 && {
            let e = &mut ctx.rec.events[last as usize - 1];
            let same = matches!(&e.message, Message::Text(m) if **m == *text);
            if same && ctx.now.since(e.last_seen) <= EVENT_SERIES_WINDOW_MS {
                e.count += 1;
                e.last_seen = ctx.now;
                true
            } else {
                false
            }
        };
        if joined {
            ctx.cause = last;
        } else {
            let eid = ctx.record(
                EventType::Warning,
                "FailedScheduling",
                ObjRef::Pod(id),
                None,
                Source::Scheduler,
                Message::Text(text),
            );
            self.info(id).series = eid;
        }
        let now = ctx.now;
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
