//! One scheduling cycle (`schedule_one.go`): PreFilter, Filter over the nodes from the rotating
//! start index until enough feasible ones are found, PostFilter (preemption) when none is,
//! PreScore / Score / NormalizeScore of each score plugin, the weighted sum, and selection with
//! ties broken at random from the scheduler's own stream.

use super::plugins::{self, NodeInfo, Verdict, helper, imagelocality, interpodaffinity, nodeaffinity};
use super::plugins::{nodeports, noderesources, podtopologyspread, tainttoleration};
use super::{NEVER, QState, QUICK, Scheduler, SchedulerEvent, ScorePlugin, TraceRow};
use crate::api::*;
use crate::apiserver::ApiServer;
use crate::runtime::{Ctx, Event};
use std::sync::Arc;

/// Per-plugin score buffers, reused by every cycle.
#[derive(Default)]
pub struct Scores {
    raw: [Vec<i64>; ScorePlugin::COUNT],
    norm: [Vec<i64>; ScorePlugin::COUNT],
    active: [bool; ScorePlugin::COUNT],
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
    /// A new cycle over `k` feasible nodes: no plugin active, totals zero.
    fn reset(&mut self, k: usize) {
        self.active = [false; ScorePlugin::COUNT];
        self.total.clear();
        self.total.resize(k, 0);
    }

    /// Mark a plugin as scoring this cycle and size its buffers (only active ones are read).
    fn activate(&mut self, p: ScorePlugin, k: usize) {
        let p = p as usize;
        self.active[p] = true;
        for v in [&mut self.raw[p], &mut self.norm[p]] {
            v.clear();
            v.resize(k, 0);
        }
    }

    /// A score a plugin's NormalizeScore leaves as it is.
    fn set(&mut self, p: ScorePlugin, j: usize, v: i64) {
        self.raw[p as usize][j] = v;
        self.norm[p as usize][j] = v;
    }

    /// The normalised scores: the raw ones, through the plugin's NormalizeScore.
    fn normalize_from_raw(&mut self, p: ScorePlugin, normalize: impl FnOnce(&mut [i64])) {
        let p = p as usize;
        self.norm[p].copy_from_slice(&self.raw[p]);
        normalize(&mut self.norm[p]);
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
            && cyc.ipa.is_none()
            && spec.host_ports.is_empty();
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

    /// NodePorts over the pods counted on node `i` but `removed` (preemption's trial), with the
    /// pods nominated to it that outrank (or equal) this one.
    pub(super) fn ports_free(&self, cyc: &Cycle, i: usize, api: &ApiServer, removed: &[PodId]) -> bool {
        let want = &cyc.spec.host_ports;
        // Most pods hold no host port: the conflict test first, the (linear) removed set after.
        let conflicts = |p: PodId| !nodeports::fits(want, &api.pod(p).spec.host_ports);
        let counted = self.node_pods[i].iter().any(|&p| conflicts(p) && !removed.contains(&p));
        let nominated = (self.nominated.iter()).any(|&(p, n)| {
            n.idx() == i && p != cyc.id && api.pod(p).spec.priority >= cyc.spec.priority && conflicts(p)
        });
        !counted && !nominated
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
        if !spec.host_ports.is_empty() && !self.ports_free(cyc, i, api, &[]) {
            return Verdict::of(plugins::PORTS);
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
        let k = self.feasible.len();
        let mut s = std::mem::take(&mut self.scores);
        s.reset(k);
        // The default profile's resource scores (LeastAllocated and BalancedAllocation over cpu
        // and memory, weight 1 each) in one pass straight into the totals: the same integer
        // arithmetic as the general path, which the trace and other profiles take.
        let fast_resources = !tracing
            && self.config.strategy == noderesources::Strategy::LeastAllocated
            && self.config.resources == noderesources::DEFAULT_RESOURCES
            && !cyc.extra;
        let spec = &cyc.spec;
        let spread = SpreadSource::of(cyc);
        let ipa_active = self.pods_with_affinity > 0
            || spec
                .affinity
                .as_ref()
                .is_some_and(|a| !a.pod_affinity_preferred.is_empty() || !a.pod_anti_affinity_preferred.is_empty());
        let images_vary = all_images(spec).any(|i| {
            let n = ctx.api.image_num_nodes(i) as usize;
            n > 0 && n < live
        });
        // Only the resources tell nodes apart: score and select in one pass (the same totals,
        // the same tie-break draws in the same order as the general path).
        if fast_resources
            && self.prefer_taint_nodes == 0
            && !nodeaffinity::has_preferred(spec)
            && matches!(spread, SpreadSource::None)
            && !ipa_active
            && !images_vary
        {
            let balanced = balanced_scores(cyc);
            let totals = self.feasible.iter().map(|nid| self.default_profile_total(cyc, nid, balanced));
            let id = self.feasible[select_host(totals, &mut ctx.rng.scheduler)];
            self.scores = s;
            return id;
        }
        if tracing || self.prefer_taint_nodes > 0 {
            self.score_taint_toleration(&mut s, spec, ctx.api);
        }
        if nodeaffinity::has_preferred(spec) {
            self.score_node_affinity(&mut s, spec, ctx.api);
        }
        self.score_resources(&mut s, cyc, fast_resources);
        self.score_topology_spread(&mut s, cyc, spread, ctx.api);
        if ipa_active {
            self.score_inter_pod_affinity(&mut s, cyc, ctx.api);
        }
        if tracing || images_vary {
            self.score_image_locality(&mut s, spec, live, ctx);
        }
        // The weighted sum and selectHost.
        for p in ScorePlugin::ALL {
            if s.active[p as usize] {
                for j in 0..k {
                    s.total[j] += s.norm[p as usize][j] * p.weight();
                }
            }
        }
        let chosen = select_host(s.total.iter().copied(), &mut ctx.rng.scheduler);
        self.trace_scores(&s, cyc, chosen, ctx.now);
        let id = self.feasible[chosen];
        self.scores = s;
        id
    }

    /// LeastAllocated + BalancedAllocation (when `balanced`) of the default profile, for one
    /// node.
    #[inline]
    fn default_profile_total(&self, cyc: &Cycle, nid: &NodeId, balanced: bool) -> i64 {
        noderesources::default_profile_score(&self.nodes[nid.idx()], &cyc.nonzero, &cyc.req, balanced)
    }

    /// TaintToleration: constant unless some node has a PreferNoSchedule taint.
    fn score_taint_toleration(&self, s: &mut Scores, spec: &PodSpec, api: &ApiServer) {
        let p = ScorePlugin::TaintToleration;
        s.activate(p, self.feasible.len());
        for (j, &nid) in self.feasible.iter().enumerate() {
            s.raw[p as usize][j] = tainttoleration::score(&api.nodes[nid.idx()], &spec.tolerations);
        }
        s.normalize_from_raw(p, |v| helper::default_normalize_score(plugins::MAX_NODE_SCORE, true, v));
    }

    /// NodeAffinity: PreScore skips a pod without preferred terms.
    fn score_node_affinity(&self, s: &mut Scores, spec: &PodSpec, api: &ApiServer) {
        let p = ScorePlugin::NodeAffinity;
        s.activate(p, self.feasible.len());
        for (j, &nid) in self.feasible.iter().enumerate() {
            s.raw[p as usize][j] = nodeaffinity::score(spec, &api.nodes[nid.idx()]);
        }
        s.normalize_from_raw(p, |v| helper::default_normalize_score(plugins::MAX_NODE_SCORE, false, v));
    }

    /// NodeResourcesFit (its scoring strategy) and BalancedAllocation; on the fast path, both
    /// straight into the totals.
    fn score_resources(&self, s: &mut Scores, cyc: &Cycle, fast: bool) {
        if fast {
            let balanced = balanced_scores(cyc);
            for (j, nid) in self.feasible.iter().enumerate() {
                s.total[j] = self.default_profile_total(cyc, nid, balanced);
            }
            return;
        }
        let specs = &self.config.resources;
        let mut fit_req = cyc.nonzero;
        fit_req.storage = cyc.req.storage;
        fit_req.ext = cyc.req.ext;
        let mut ra = [(0i64, 0i64); 8];
        let fit = ScorePlugin::NodeResourcesFit;
        s.activate(fit, self.feasible.len());
        for (j, &nid) in self.feasible.iter().enumerate() {
            let ra = &mut ra[..specs.len()];
            noderesources::requested_allocatable(specs, &self.nodes[nid.idx()], &fit_req, false, ra);
            s.set(fit, j, noderesources::strategy_score(&self.config.strategy, ra, specs));
        }
        let bal = &noderesources::DEFAULT_RESOURCES;
        if !noderesources::is_best_effort(bal, &cyc.req) {
            let p = ScorePlugin::NodeResourcesBalancedAllocation;
            s.activate(p, self.feasible.len());
            for (j, &nid) in self.feasible.iter().enumerate() {
                let ra = &mut ra[..bal.len()];
                noderesources::requested_allocatable(bal, &self.nodes[nid.idx()], &cyc.req, true, ra);
                s.set(p, j, noderesources::balanced_score(ra));
            }
        }
    }

    /// PodTopologySpread: the pod's soft constraints, or the system defaults (kept resolved in
    /// the scheduler: no allocation per cycle) counted by owner.
    fn score_topology_spread(&mut self, s: &mut Scores, cyc: &Cycle, spread: SpreadSource, api: &ApiServer) {
        let (explicit, mut own) = match spread {
            SpreadSource::None => return,
            SpreadSource::Explicit => (
                true,
                podtopologyspread::constraints_of(
                    &cyc.spec.topology_spread,
                    &cyc.labels,
                    WhenUnsatisfiable::ScheduleAnyway,
                ),
            ),
            SpreadSource::Defaults(_) => (false, Vec::new()),
        };
        if explicit {
            podtopologyspread::resolve(&mut own, &mut self.topology, &api.nodes, api.node_epoch);
            if own.is_empty() {
                return;
            }
        } else {
            podtopologyspread::resolve(&mut self.default_spread, &mut self.topology, &api.nodes, api.node_epoch);
        }
        let by_owner = match spread {
            SpreadSource::Defaults(o) => self.owner_counts.get(&o),
            _ => None,
        };
        let p = ScorePlugin::PodTopologySpread;
        s.activate(p, self.feasible.len());
        let mut idx = std::mem::take(&mut self.feasible_idx);
        idx.clear();
        idx.extend(self.feasible.iter().map(|n| n.idx()));
        let count = |c: &podtopologyspread::Constraint, i: usize| match by_owner {
            Some(v) => v.get(i).copied().unwrap_or(0) as i64,
            None if explicit => self.spread_count(api, &cyc.namespace, &c.selector, i),
            None => 0,
        };
        let constraints = if explicit { &own[..] } else { &self.default_spread[..] };
        let st =
            podtopologyspread::pre_score(constraints, explicit, &self.topology, &api.nodes, &idx, &cyc.spec, count);
        for (j, &i) in idx.iter().enumerate() {
            s.raw[p as usize][j] = podtopologyspread::score(&st, &self.topology, j, i, count);
        }
        s.normalize_from_raw(p, |v| podtopologyspread::normalize(&st, v));
        self.feasible_idx = idx;
    }

    /// InterPodAffinity: skipped unless either side has terms.
    fn score_inter_pod_affinity(&self, s: &mut Scores, cyc: &Cycle, api: &ApiServer) {
        let p = ScorePlugin::InterPodAffinity;
        s.activate(p, self.feasible.len());
        let m = interpodaffinity::pre_score(&cyc.incoming(), self.existing(api));
        for (j, &nid) in self.feasible.iter().enumerate() {
            s.raw[p as usize][j] = interpodaffinity::score(&m, &api.nodes[nid.idx()]);
        }
        s.normalize_from_raw(p, interpodaffinity::normalize);
    }

    /// ImageLocality: constant unless some image is on some nodes but not all.
    fn score_image_locality(&self, s: &mut Scores, spec: &PodSpec, live: usize, ctx: &Ctx) {
        let p = ScorePlugin::ImageLocality;
        s.activate(p, self.feasible.len());
        let api = &ctx.api;
        for (j, &nid) in self.feasible.iter().enumerate() {
            let node = &api.nodes[nid.idx()];
            let sum: i64 = all_images(spec)
                .filter(|i| node.images.binary_search(i).is_ok())
                .map(|i| {
                    let size = ctx.images.get(i.idx()).map_or(0, |x| x.size) as i64;
                    imagelocality::scaled_image_score(size, api.image_num_nodes(i), live)
                })
                .sum();
            s.set(p, j, imagelocality::calculate_priority(sum, spec.init_containers.len() + spec.containers.len()));
        }
    }

    /// `--trace-scheduling`: every feasible node's raw and normalised scores and total.
    fn trace_scores(&mut self, s: &Scores, cyc: &Cycle, chosen: usize, now: crate::sim::SimTime) {
        let Some(t) = &mut self.trace else { return };
        for j in 0..self.feasible.len() {
            let mut raw = [None; ScorePlugin::COUNT];
            let mut normalized = [None; ScorePlugin::COUNT];
            for p in 0..ScorePlugin::COUNT {
                if s.active[p] {
                    raw[p] = Some(s.raw[p][j]);
                    normalized[p] = Some(s.norm[p][j]);
                }
            }
            t.push(TraceRow {
                time: now,
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
}

/// Which constraints PodTopologySpread scores with: the pod's own soft constraints, the system
/// defaults for a pod a ReplicaSet or StatefulSet selects (DefaultSelector; Services are not
/// modelled), or none.
#[derive(Clone, Copy)]
enum SpreadSource {
    None,
    Explicit,
    Defaults(Owner),
}

impl SpreadSource {
    fn of(cyc: &Cycle) -> SpreadSource {
        if cyc.spec.topology_spread.iter().any(|c| c.when_unsatisfiable == WhenUnsatisfiable::ScheduleAnyway) {
            return SpreadSource::Explicit;
        }
        if !cyc.spec.topology_spread.is_empty() {
            return SpreadSource::None;
        }
        match cyc.owner {
            Some(o @ (Owner::ReplicaSet(_) | Owner::StatefulSet(_))) => SpreadSource::Defaults(o),
            _ => SpreadSource::None,
        }
    }
}

/// Whether BalancedAllocation scores this pod (its PreScore skips a best-effort pod).
fn balanced_scores(cyc: &Cycle) -> bool {
    !noderesources::is_best_effort(&noderesources::DEFAULT_RESOURCES, &cyc.req)
}

/// The images of the pod's init and app containers (ImageLocality counts both).
fn all_images(spec: &PodSpec) -> impl Iterator<Item = ImageId> + '_ {
    spec.init_containers.iter().chain(&spec.containers).map(|c| c.image)
}

#[cfg(test)]
mod tests {
    use super::super::SchedulerConfig;
    use super::*;
    use crate::api::events::ObjRef;
    use crate::runtime::testing::Harness;
    use crate::sim::SimTime;

    const GI: u64 = 1024 * 1024 * 1024;

    /// A pod of one container requesting `cpu_milli` and `memory`.
    fn requesting(cpu_milli: u64, memory: u64) -> PodSpec {
        let mut spec = crate::api::pod::test_pod_spec();
        let c = &mut spec.containers[0];
        c.requests = Resources::new(cpu_milli, memory);
        (c.has_cpu_request, c.has_memory_request) = (true, true);
        spec
    }

    use super::super::run_for_test as run;

    fn scheduler(h: &Harness) -> Scheduler {
        Scheduler::new(&h.settings, &SchedulerConfig::default())
    }

    /// The pod's scheduler events: reason, time (ms), and the message as upstream renders it.
    fn events(h: &Harness, p: PodId) -> Vec<(&'static str, u64, String)> {
        let (_, ns, name) = h.api.describe(ObjRef::Pod(p));
        let render = |m: &Message| match m {
            Message::Scheduled { node } => format!("Successfully assigned {ns}/{name} to {}", h.api.node(*node).name),
            Message::Text(t) => t.to_string(),
            other => panic!("not a scheduler message: {other:?}"),
        };
        h.events_of(ObjRef::Pod(p)).iter().map(|e| (e.reason, e.time.as_millis(), render(&e.message))).collect()
    }

    #[test]
    fn a_pending_pod_is_bound_to_the_node_with_the_most_free_resources() {
        let mut h = Harness::new();
        let mut s = scheduler(&h);
        let busy = h.add_node("busy", 2000, 4 * GI);
        let idle = h.add_node("idle", 2000, 4 * GI);
        h.add_bound_pod("old", busy, requesting(1000, 2 * GI));
        let p = h.add_pod("p", &[], None, requesting(500, GI));
        h.flush();
        run(&mut h, &mut s, 1_000);
        // LeastAllocated: busy keeps 25% of cpu and memory free after p, idle 75%, so idle
        // scores 75 to 25 (BalancedAllocation is 100 on both). The cycle runs when the pod's
        // watch event arrives (10 ms); the binding takes the 1 ms attempt latency.
        assert_eq!(events(&h, p), [("Scheduled", 11, "Successfully assigned default/p to idle".to_string())]);
        assert_eq!(h.api.pod(p).node, Some(idle));
        assert_eq!(h.api.pod(p).scheduled_at, Some(SimTime(11)));
    }

    #[test]
    fn a_pod_that_fits_nowhere_gets_failed_scheduling_in_upstreams_words() {
        let mut h = Harness::new();
        let mut s = scheduler(&h);
        h.add_node("a", 1000, 4 * GI);
        h.add_node("b", 1000, 4 * GI);
        let p = h.add_pod("p", &[], None, requesting(2000, GI));
        h.flush();
        run(&mut h, &mut s, 330_000);
        // Both nodes lack cpu; no pod of lower priority runs anywhere, so preemption finds no
        // victims on either.
        let msg = "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No \
                   preemption victims found for incoming pod.";
        assert_eq!(events(&h, p), [("FailedScheduling", 10, msg.to_string())]);
        assert_eq!(h.api.pod(p).node, None);
        // Nothing changes in the cluster: it waits more than podMaxInUnschedulablePodsDuration
        // (5 min) for the leftover flush, every 30 s from its parking at 10, to retry it: not at
        // 300010 (exactly 5 min), at 330010. The same failure joins the event as a series.
        assert_eq!(h.rec.failed_scheduling, 1);
        run(&mut h, &mut s, 340_000);
        assert_eq!(h.rec.failed_scheduling, 2);
        s.flush_series(&mut h.rec);
        let e = h.event("FailedScheduling").expect("recorded");
        assert_eq!((e.count, e.last_seen), (2, SimTime(330_010)));
    }

    #[test]
    fn an_unschedulable_pod_is_retried_after_1_then_2_seconds_of_backoff_and_binds() {
        let mut h = Harness::new();
        let mut s = scheduler(&h);
        h.add_node("small", 1000, 4 * GI);
        let p = h.add_pod("p", &[], None, requesting(2000, GI));
        h.flush();
        run(&mut h, &mut s, 500);
        // A big node joins cordoned at 500: the pod's first attempt (10) keeps it in backoff
        // until 10 + 1 s; the queue's 1 s ticker moves it to activeQ at 2000.
        let big = h.add_node("big", 4000, 8 * GI);
        h.api.update_node(big, |n| n.unschedulable = true);
        h.flush();
        run(&mut h, &mut s, 2_500);
        let second = "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) were unschedulable. preemption: 0/2 \
                      nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not \
                      helpful for scheduling.";
        assert_eq!(h.times_of("FailedScheduling"), [10, 2000]);
        assert_eq!(events(&h, p)[1].2, second);
        // Uncordoned at 2500: after two attempts the backoff is 2 s, so it waits until 4000.
        h.api.update_node(big, |n| n.unschedulable = false);
        h.flush();
        run(&mut h, &mut s, 10_000);
        assert_eq!(events(&h, p)[2], ("Scheduled", 4001, "Successfully assigned default/p to big".to_string()));
        assert_eq!(h.api.pod(p).node, Some(big));
    }

    #[test]
    fn node_selectors_and_taints_filter_the_nodes_a_pod_may_go_to() {
        let mut h = Harness::new();
        let mut s = scheduler(&h);
        let ssd = h.add_node("ssd", 1000, 2 * GI);
        h.add_node("hdd", 8000, 16 * GI);
        let gpu = h.add_node("gpu", 8000, 16 * GI);
        h.api.update_node(ssd, |n| n.labels.insert("disk", "ssd"));
        h.api.update_node(gpu, |n| {
            n.labels.insert("disk", "ssd");
            n.taints.push(Taint { key: "dedicated".into(), value: "gpu".into(), effect: TaintEffect::NoSchedule });
        });
        let on = |disk: &str, tolerate: bool| {
            let mut spec = requesting(100, GI / 8);
            spec.node_selector = Labels::from_pairs(vec![("disk".into(), disk.into())]);
            if tolerate {
                // `operator: Exists` on the key, any effect.
                let (key, op, value) = ("dedicated".into(), TolerationOp::Exists, String::new());
                spec.tolerations.push(Toleration { key, op, value, effect: None, toleration_seconds: None });
            }
            spec
        };
        let plain = h.add_pod("plain", &[], None, on("ssd", false));
        let nvme = h.add_pod("nvme", &[], None, on("nvme", false));
        let tolerant = h.add_pod("tolerant", &[], None, on("ssd", true));
        h.flush();
        run(&mut h, &mut s, 1_000);
        // hdd has no disk=ssd label and gpu's taint is not tolerated: the small ssd node it is.
        assert_eq!(h.api.pod(plain).node, Some(ssd));
        // Both filters fail nodes as unresolvable, which preemption cannot help.
        let msg = "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 node(s) didn't \
                   match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not \
                   helpful for scheduling.";
        assert_eq!(events(&h, nvme), [("FailedScheduling", 11, msg.to_string())]);
        // Tolerating the taint opens gpu, which LeastAllocated prefers (far more room).
        assert_eq!(h.api.pod(tolerant).node, Some(gpu));
    }
}
