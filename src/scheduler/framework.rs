//! One scheduling cycle (`schedule_one.go`): PreFilter, Filter over the nodes from the rotating
//! start index until enough feasible ones are found, PostFilter (preemption) when none is,
//! PreScore / Score / NormalizeScore of each score plugin, the weighted sum, and selection with
//! ties broken at random from the scheduler's own stream.

use super::plugins::{self, NodeInfo, Verdict, helper, imagelocality, interpodaffinity, nodeaffinity};
use super::plugins::{noderesources, podtopologyspread, tainttoleration};
use super::{NEVER, QState, QUICK, SCORE_PLUGINS, Scheduler, SchedulerEvent, TraceRow};
use crate::api::*;
use crate::apiserver::ApiServer;
use crate::runtime::{Ctx, Event};
use std::sync::Arc;

/// Per-plugin score buffers, reused by every cycle.
#[derive(Default)]
pub struct Scores {
    raw: [Vec<i64>; 7],
    norm: [Vec<i64>; 7],
    active: [bool; 7],
    total: Vec<i64>,
}

/// What PreFilter computes for one attempt (the cycle state).
pub struct Cycle {
    pub id: PodId,
    pub spec: Arc<PodSpec>,
    pub labels: Arc<Labels>,
    pub namespace: Arc<str>,
    pub owner: Option<Owner>,
    pub req: Resources,
    pub nonzero: Resources,
    /// Requests ephemeral-storage or an extended resource.
    pub extra: bool,
    /// No node selection, affinity or spread constraint: on a plain node only the resources
    /// decide.
    pub simple: bool,
    pub spread: Option<podtopologyspread::FilterState>,
    pub ipa: Option<interpodaffinity::FilterState>,
}

impl Scores {
    /// Mark a plugin as scoring this cycle and size its buffers (only active ones are read).
    fn activate(&mut self, p: usize, k: usize) {
        self.active[p] = true;
        for v in [&mut self.raw[p], &mut self.norm[p]] {
            v.clear();
            v.resize(k, 0);
        }
    }
}

impl Cycle {
    pub fn incoming(&self) -> interpodaffinity::Incoming<'_> {
        interpodaffinity::Incoming {
            namespace: &self.namespace,
            labels: &self.labels,
            affinity: self.spec.affinity.as_deref(),
        }
    }
}

/// `selectHost`: the index of the highest total, ties broken by reservoir sampling (each tie
/// replaces the pick with probability 1/ties), from the scheduler's own stream.
fn select_host(totals: impl Iterator<Item = i64>, rng: &mut crate::sim::rng::SimRng) -> usize {
    let (mut best, mut chosen, mut ties) = (i64::MIN, 0, 0u64);
    for (j, t) in totals.enumerate() {
        if t > best {
            best = t;
            chosen = j;
            ties = 1;
        } else if t == best {
            ties += 1;
            if rng.below(ties) == 0 {
                chosen = j;
            }
        }
    }
    chosen
}

/// NodeUnschedulable: whether the pod tolerates the `node.kubernetes.io/unschedulable:NoSchedule`
/// taint a cordoned node stands for.
fn tolerates_unschedulable(spec: &PodSpec) -> bool {
    let t =
        Taint { key: plugins::TAINT_NODE_UNSCHEDULABLE.into(), value: String::new(), effect: TaintEffect::NoSchedule };
    spec.tolerations.iter().any(|tol| tol.tolerates(&t))
}

impl Scheduler {
    /// The pods counted on nodes, as InterPodAffinity sees them.
    fn existing<'a>(&'a self, api: &'a ApiServer) -> impl Iterator<Item = interpodaffinity::Existing<'a>> + 'a {
        self.node_pods.iter().enumerate().filter(|(i, _)| api.nodes[*i].deleted.is_none()).flat_map(move |(i, ps)| {
            ps.iter().map(move |&p| {
                let pod = api.pod(p);
                interpodaffinity::Existing {
                    namespace: &pod.namespace,
                    labels: &pod.labels,
                    affinity: pod.spec.affinity.as_deref(),
                    node: &api.nodes[i],
                }
            })
        })
    }

    /// Matching pods of a spread constraint on node `i`: not terminating, same namespace.
    fn spread_count(&self, api: &ApiServer, ns: &str, sel: &LabelSelector, i: usize) -> i64 {
        self.node_pods[i]
            .iter()
            .filter(|&&p| {
                let pod = api.pod(p);
                pod.deletion.is_none() && *pod.namespace == *ns && sel.matches(&pod.labels)
            })
            .count() as i64
    }

    /// PreFilter: requests, and the state of the plugins that look at other pods.
    pub(super) fn pre_filter(&mut self, id: PodId, api: &ApiServer) -> Cycle {
        let p = api.pod(id);
        let spec = p.spec.clone();
        let nonzero = p.nonzero;
        let req = p.requests;
        let extra = req.storage > 0 || req.has_ext();
        let mut hard =
            podtopologyspread::constraints_of(&spec.topology_spread, &p.labels, WhenUnsatisfiable::DoNotSchedule);
        podtopologyspread::resolve(&mut hard, &mut self.topology, &api.nodes, api.node_epoch);
        let spread = (!hard.is_empty()).then(|| {
            let ns = p.namespace.clone();
            podtopologyspread::pre_filter(hard, &self.topology, &api.nodes, &spec, |c, i| {
                self.spread_count(api, &ns, &c.selector, i)
            })
        });
        let has_required_pod_terms = spec
            .affinity
            .as_ref()
            .is_some_and(|a| !a.pod_affinity_required.is_empty() || !a.pod_anti_affinity_required.is_empty());
        let mut cyc = Cycle {
            id,
            spec: spec.clone(),
            labels: p.labels.clone(),
            namespace: p.namespace.clone(),
            owner: p.owner,
            req,
            nonzero,
            extra,
            simple: false,
            spread,
            ipa: None,
        };
        if has_required_pod_terms || self.pods_with_affinity > 0 {
            let s = interpodaffinity::pre_filter(&cyc.incoming(), self.existing(api));
            if has_required_pod_terms || !s.existing_anti.is_empty() {
                cyc.ipa = Some(s);
            }
        }
        cyc.simple = spec.node_selector.0.is_empty()
            && spec.affinity_node.is_none()
            && spec.affinity.as_ref().is_none_or(|a| a.node_required.is_none())
            && cyc.spread.is_none()
            && cyc.ipa.is_none();
        cyc
    }

    /// The node's totals with the pods nominated to it that outrank (or equal) this one, as
    /// the framework adds them before filtering (`addNominatedPods`).
    pub(super) fn with_nominated(&self, cyc: &Cycle, i: usize, api: &ApiServer) -> Option<NodeInfo> {
        let mut info = None;
        for &(p, n) in &self.nominated {
            if n.idx() != i || p == cyc.id {
                continue;
            }
            let pod = api.pod(p);
            if pod.spec.priority >= cyc.spec.priority {
                let x = info.get_or_insert(self.nodes[i]);
                x.requested.add(pod.requests);
                x.nonzero.add(pod.nonzero);
                x.pods += 1;
            }
        }
        info
    }

    /// The filter plugins in the default profile's order; the first failing one decides.
    pub(super) fn filter_node(&self, cyc: &Cycle, i: usize, info: &NodeInfo, api: &ApiServer) -> Verdict {
        let node = &api.nodes[i];
        let spec = &cyc.spec;
        if node.unschedulable && !tolerates_unschedulable(spec) {
            return Verdict::of(plugins::UNSCHEDULABLE);
        }
        if spec.node_name.as_deref().is_some_and(|n| n != node.name) {
            return Verdict::of(plugins::NODE_NAME);
        }
        if let Some(t) = tainttoleration::first_untolerated(node, &spec.tolerations) {
            return Verdict { bits: plugins::TAINT, taint: t as u16 };
        }
        if !nodeaffinity::matches(spec, node) {
            return Verdict::of(plugins::AFFINITY);
        }
        let v = plugins::fit(&cyc.req, cyc.extra, info);
        if !v.fits() {
            return v;
        }
        if let Some(s) = &cyc.spread {
            let b = podtopologyspread::filter(s, &self.topology, i, &cyc.labels);
            if b != 0 {
                return Verdict::of(b);
            }
        }
        if let Some(s) = &cyc.ipa {
            let b = interpodaffinity::filter(s, &cyc.incoming(), node);
            if b != 0 {
                return Verdict::of(b);
            }
        }
        Verdict::default()
    }

    fn verdict(&self, cyc: &Cycle, i: usize, api: &ApiServer) -> Verdict {
        let nominated = if self.nominated.is_empty() { None } else { self.with_nominated(cyc, i, api) };
        let info = nominated.as_ref().unwrap_or(&self.nodes[i]);
        if cyc.simple && info.plain {
            plugins::fit(&cyc.req, cyc.extra, info)
        } else {
            self.filter_node(cyc, i, info, api)
        }
    }

    fn trace_row(&mut self, id: PodId, node: usize, code: plugins::Code, filter: String, now: crate::sim::SimTime) {
        let attempt = self.attempt_seq;
        if let Some(t) = &mut self.trace {
            t.push(TraceRow {
                time: now,
                attempt,
                pod: id,
                node: NodeId(node as u32),
                code,
                filter,
                raw: [None; 7],
                normalized: [None; 7],
                total: None,
                chosen: false,
            });
        }
    }

    /// One scheduling cycle for `id`; whether it took the scheduler's time (an attempt ran).
    pub(super) fn schedule_one(&mut self, id: PodId, ctx: &mut Ctx) -> bool {
        if !ctx.api.unsettled[id.idx()] {
            self.info(id).state = QState::Done;
            return false;
        }
        ctx.cause = self.info(id).cause;
        {
            let now = ctx.now;
            let i = self.info(id);
            i.attempts += 1;
            i.last_attempt = now;
        }
        self.attempt_seq += 1;
        self.sync_nodes(ctx);
        if self.quick_fail(id, ctx) {
            return true;
        }
        let cyc = self.pre_filter(id, ctx.api);
        let n = ctx.api.nodes.len();
        let live = n - self.deleted_nodes;
        let want = plugins::num_feasible_nodes_to_find(live, self.config.percentage_of_nodes_to_score);
        let tracing = self.trace.is_some();
        self.feasible.clear();
        self.failures.clear();
        // evaluateNominatedNode: a pod preemption made room for tries that node first.
        if let Some(nn) = ctx.api.pod(id).nominated_node
            && ctx.api.nodes[nn.idx()].deleted.is_none()
            && self.verdict(&cyc, nn.idx(), ctx.api).fits()
        {
            self.feasible.push(nn);
        }
        if self.feasible.is_empty() {
            // Every live node plain and one resource short on all of them: the visit would
            // fail every node; the sorted free capacities give its counts without it.
            if cyc.simple && !cyc.extra && !self.may_preempt(&cyc) && self.free_index_answers(n) {
                let counts = self.free.shortfalls(cyc.req);
                if counts.iter().any(|&(_, c)| c as usize == live) {
                    let never = cyc.spec.preemption_policy == PreemptionPolicy::Never;
                    self.fail_short(id, live, counts, never, ctx);
                    return true;
                }
            }
            let mut processed = 0;
            let fast_filter = cyc.simple && self.nominated.is_empty();
            let mut next = if n > 0 { self.next_start_node % n } else { 0 };
            while processed < n && self.feasible.len() < want {
                let idx = next;
                next = if next + 1 == n { 0 } else { next + 1 };
                processed += 1;
                let slot = self.slots[idx];
                if slot.deleted {
                    continue; // gone from the informer's snapshot
                }
                // The common case inline: no nominated pods and a pod only resources constrain.
                let v = if fast_filter && slot.plain {
                    if cyc.extra { plugins::fit(&cyc.req, true, &self.nodes[idx]) } else { slot.fit(&cyc.req) }
                } else {
                    self.verdict(&cyc, idx, ctx.api)
                };
                if v.fits() {
                    self.feasible.push(NodeId(idx as u32));
                } else {
                    self.failures.push((NodeId(idx as u32), v));
                    if tracing {
                        let text = plugins::reasons(v, &ctx.api.nodes[idx], &self.config.extended_resources).join("; ");
                        self.trace_row(id, idx, v.code(), text, ctx.now);
                    }
                }
            }
            if n > 0 {
                self.next_start_node = (self.next_start_node + processed) % n;
            }
        }
        if self.feasible.is_empty() {
            // From the first failure on, the cluster may be full: keep the free-capacity index.
            if !self.free_enabled {
                self.free_enabled = true;
                self.free.rebuild(&self.nodes);
            }
            let post = super::preemption::post_filter(self, &cyc, ctx);
            self.fail(id, live, None, post, ctx);
            return true;
        }
        let chosen = self.score_and_select(&cyc, live, ctx);
        self.assume(id, chosen, ctx);
        self.info(id).state = QState::Binding;
        ctx.after(self.config.attempt_latency_ms, Event::Scheduler(SchedulerEvent::Bind(id, chosen)));
        true
    }

    /// Whether the sorted free capacities can stand for the visit of every node: they are kept,
    /// every live node is plain, no pod is nominated (nothing to add to a node) and no
    /// per-node trace is asked for.
    fn free_index_answers(&self, n: usize) -> bool {
        self.trace.is_none()
            && self.free_enabled
            && self.nominated.is_empty()
            && self.free.len() + self.deleted_nodes == n
            && !self.free.is_empty()
    }

    /// The fast failure below without PreFilter's cycle state: for a pod only resources
    /// constrain (`QUICK`), when no pod has affinity terms, none is nominated and preemption
    /// cannot help, the same verdict and message as the full cycle, read from the pod's learnt
    /// facts and the sorted free capacities (a pod that waits long in a full cluster is
    /// retried many times: this keeps each retry off its spec).
    fn quick_fail(&mut self, id: PodId, ctx: &mut Ctx) -> bool {
        let i = self.learn(id, ctx.api);
        let n = ctx.api.nodes.len();
        if i.flags & QUICK == 0 || self.pods_with_affinity > 0 || !self.free_index_answers(n) {
            return false;
        }
        let never = i.flags & NEVER != 0;
        if !never && self.priorities.first().is_some_and(|&(lo, _)| lo < i.prio) {
            return false; // may_preempt
        }
        if self.ever_nominated && ctx.api.pod(id).nominated_node.is_some() {
            return false;
        }
        let live = n - self.deleted_nodes;
        let counts = self.free.shortfalls(Resources::new(i.req_cpu, i.req_memory));
        if !counts.iter().any(|&(_, c)| c as usize == live) {
            return false;
        }
        self.fail_short(id, live, counts, never, ctx);
        true
    }

    /// FailedScheduling when every live node is one resource short (`counts` per reason):
    /// PostFilter finds no victims (no pod ranks below this one) or may not preempt (Never).
    /// The message of the last identical inputs is reused.
    fn fail_short(&mut self, id: PodId, live: usize, counts: [(u32, u32); 3], never: bool, ctx: &mut Ctx) {
        let key = (live, counts, never);
        if let Some((k, m)) = &self.last_quick
            && *k == key
        {
            let text = m.clone();
            self.failed(id, text, ctx);
            return;
        }
        let post = if never {
            super::preemption::NOT_ELIGIBLE_NEVER.to_string()
        } else {
            super::preemption::no_candidates_message(live, live, 0)
        };
        self.fail(id, live, Some(counts), Some(post), ctx);
        if let Some(m) = &self.last_message {
            self.last_quick = Some((key, m.clone()));
        }
    }

    /// Whether some counted pod has a lower priority than this one (preemption could help).
    pub(super) fn may_preempt(&self, cyc: &Cycle) -> bool {
        cyc.spec.preemption_policy != PreemptionPolicy::Never
            && self.priorities.first().is_some_and(|&(lo, _)| lo < cyc.spec.priority)
    }

    /// PreScore, Score, NormalizeScore of every score plugin over the feasible nodes, the
    /// weighted sum, and `selectHost` (the highest total; ties at random).
    fn score_and_select(&mut self, cyc: &Cycle, live: usize, ctx: &mut Ctx) -> NodeId {
        let tracing = self.trace.is_some();
        if self.feasible.len() == 1 && !tracing {
            return self.feasible[0]; // one feasible node: no scoring (as upstream)
        }
        let api = &ctx.api;
        let k = self.feasible.len();
        let mut s = std::mem::take(&mut self.scores);
        s.active = [false; 7];
        s.total.clear();
        s.total.resize(k, 0);
        // The default profile's resource scores (LeastAllocated and BalancedAllocation over cpu
        // and memory, weight 1 each) in one pass straight into the totals: the same integer
        // arithmetic as the general path below, which the trace and other profiles take.
        let fast_resources = !tracing
            && self.config.strategy == noderesources::Strategy::LeastAllocated
            && self.config.resources == noderesources::DEFAULT_RESOURCES
            && !cyc.extra;
        let spec = &cyc.spec;
        let feasible = &self.feasible;
        let balanced = !noderesources::is_best_effort(&noderesources::DEFAULT_RESOURCES, &cyc.req);
        let fast_total = |i: &NodeInfo| noderesources::default_profile_score(i, &cyc.nonzero, &cyc.req, balanced);
        // Which plugins can tell nodes apart for this pod (the others add the same to every
        // node, or are skipped by their PreScore).
        // PodTopologySpread: the soft constraints, or the system defaults for a pod a
        // ReplicaSet or StatefulSet selects (DefaultSelector; Services are not modelled).
        let explicit = !spec.topology_spread.is_empty();
        let (mut constraints, by_owner) = if explicit {
            let c = podtopologyspread::constraints_of(
                &spec.topology_spread,
                &cyc.labels,
                WhenUnsatisfiable::ScheduleAnyway,
            );
            (c, None)
        } else {
            match cyc.owner {
                Some(o @ (Owner::ReplicaSet(_) | Owner::StatefulSet(_))) => {
                    (podtopologyspread::system_default_constraints(), self.owner_counts.get(&o))
                }
                _ => (Vec::new(), None),
            }
        };
        let spread_active = !constraints.is_empty();
        let ipa_active = self.pods_with_affinity > 0
            || spec
                .affinity
                .as_ref()
                .is_some_and(|a| !a.pod_affinity_preferred.is_empty() || !a.pod_anti_affinity_preferred.is_empty());
        // ImageLocality looks at the images of the init and app containers.
        let all_images = || spec.init_containers.iter().chain(&spec.containers).map(|c| c.image);
        let images_vary = all_images().any(|i| {
            let k = api.image_num_nodes(i) as usize;
            k > 0 && k < live
        });
        // Only the resources differ: score and select in one pass (the same totals, the same
        // tie-break draws in the same order as the general path).
        if fast_resources
            && self.prefer_taint_nodes == 0
            && !nodeaffinity::has_preferred(spec)
            && !spread_active
            && !ipa_active
            && !images_vary
        {
            let totals = feasible.iter().map(|nid| fast_total(&self.nodes[nid.idx()]));
            let id = self.feasible[select_host(totals, &mut ctx.rng.scheduler)];
            self.scores = s;
            return id;
        }
        // TaintToleration: constant unless some node has a PreferNoSchedule taint.
        if tracing || self.prefer_taint_nodes > 0 {
            s.activate(0, k);
            for (j, &nid) in feasible.iter().enumerate() {
                s.raw[0][j] = tainttoleration::score(&api.nodes[nid.idx()], &spec.tolerations);
            }
            s.norm[0].copy_from_slice(&s.raw[0]);
            helper::default_normalize_score(plugins::MAX_NODE_SCORE, true, &mut s.norm[0]);
        }
        // NodeAffinity: PreScore skips a pod without preferred terms.
        if nodeaffinity::has_preferred(spec) {
            s.activate(1, k);
            for (j, &nid) in feasible.iter().enumerate() {
                s.raw[1][j] = nodeaffinity::score(spec, &api.nodes[nid.idx()]);
            }
            s.norm[1].copy_from_slice(&s.raw[1]);
            helper::default_normalize_score(plugins::MAX_NODE_SCORE, false, &mut s.norm[1]);
        }
        // NodeResourcesFit (its scoring strategy) and BalancedAllocation.
        if fast_resources {
            for (j, &nid) in feasible.iter().enumerate() {
                s.total[j] = fast_total(&self.nodes[nid.idx()]);
            }
        } else {
            let specs = &self.config.resources;
            let mut fit_req = cyc.nonzero;
            fit_req.storage = cyc.req.storage;
            fit_req.ext = cyc.req.ext;
            let mut ra = [(0i64, 0i64); 8];
            s.activate(2, k);
            for (j, &nid) in feasible.iter().enumerate() {
                let ra = &mut ra[..specs.len()];
                noderesources::requested_allocatable(specs, &self.nodes[nid.idx()], &fit_req, false, ra);
                let v = noderesources::strategy_score(&self.config.strategy, ra, specs);
                s.raw[2][j] = v;
                s.norm[2][j] = v;
            }
            let bal = &noderesources::DEFAULT_RESOURCES;
            if !noderesources::is_best_effort(bal, &cyc.req) {
                s.activate(5, k);
                for (j, &nid) in feasible.iter().enumerate() {
                    let ra = &mut ra[..bal.len()];
                    noderesources::requested_allocatable(bal, &self.nodes[nid.idx()], &cyc.req, true, ra);
                    let v = noderesources::balanced_score(ra);
                    s.raw[5][j] = v;
                    s.norm[5][j] = v;
                }
            }
        }
        // PodTopologySpread (its constraints were chosen above).
        {
            podtopologyspread::resolve(&mut constraints, &mut self.topology, &api.nodes, api.node_epoch);
            if !constraints.is_empty() {
                s.activate(3, k);
                let idx: Vec<usize> = feasible.iter().map(|n| n.idx()).collect();
                let count = |c: &podtopologyspread::Constraint, i: usize| match by_owner {
                    Some(v) => v.get(i).copied().unwrap_or(0) as i64,
                    None if explicit => self.spread_count(api, &cyc.namespace, &c.selector, i),
                    None => 0,
                };
                let st =
                    podtopologyspread::pre_score(constraints, explicit, &self.topology, &api.nodes, &idx, spec, count);
                for (j, &i) in idx.iter().enumerate() {
                    s.raw[3][j] = podtopologyspread::score(&st, &self.topology, j, i, count);
                }
                s.norm[3].copy_from_slice(&s.raw[3]);
                podtopologyspread::normalize(&st, &mut s.norm[3]);
            }
        }
        // InterPodAffinity: skipped unless either side has terms.
        if ipa_active {
            s.activate(4, k);
            let m = interpodaffinity::pre_score(&cyc.incoming(), self.existing(api));
            for (j, &nid) in feasible.iter().enumerate() {
                s.raw[4][j] = interpodaffinity::score(&m, &api.nodes[nid.idx()]);
            }
            s.norm[4].copy_from_slice(&s.raw[4]);
            interpodaffinity::normalize(&mut s.norm[4]);
        }
        // ImageLocality: constant unless some image is on some nodes but not all.
        if tracing || images_vary {
            s.activate(6, k);
            for (j, &nid) in feasible.iter().enumerate() {
                let node = &api.nodes[nid.idx()];
                let sum: i64 = all_images()
                    .filter(|i| node.images.binary_search(i).is_ok())
                    .map(|i| {
                        let size = ctx.images.get(i.idx()).map_or(0, |x| x.size) as i64;
                        imagelocality::scaled_image_score(size, api.image_num_nodes(i), live)
                    })
                    .sum();
                let v = imagelocality::calculate_priority(sum, spec.init_containers.len() + spec.containers.len());
                s.raw[6][j] = v;
                s.norm[6][j] = v;
            }
        }
        // The weighted sum and selectHost.
        for (p, &(_, w)) in SCORE_PLUGINS.iter().enumerate() {
            if s.active[p] {
                for j in 0..k {
                    s.total[j] += s.norm[p][j] * w;
                }
            }
        }
        let chosen = select_host(s.total.iter().copied(), &mut ctx.rng.scheduler);
        if let Some(t) = &mut self.trace {
            for j in 0..k {
                let mut raw = [None; 7];
                let mut normalized = [None; 7];
                for p in 0..7 {
                    if s.active[p] {
                        raw[p] = Some(s.raw[p][j]);
                        normalized[p] = Some(s.norm[p][j]);
                    }
                }
                t.push(TraceRow {
                    time: ctx.now,
                    attempt: self.attempt_seq,
                    pod: cyc.id,
                    node: self.feasible[j],
                    code: plugins::Code::Success,
                    filter: String::new(),
                    raw,
                    normalized,
                    total: Some(s.total[j]),
                    chosen: j == chosen,
                });
            }
        }
        let id = self.feasible[chosen];
        self.scores = s;
        id
    }
}
