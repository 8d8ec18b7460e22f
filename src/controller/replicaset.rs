//! The ReplicaSet controller: keep `replicas` active pods, with expectations so that a sync
//! does not act twice on the same observation, upstream's scale-down ranking, and `.status`.

use super::{
    BURST_REPLICAS, Backoff, CONTROLLER_RETRY_BASE_MS, CONTROLLER_RETRY_MAX_MS, EXPECTATIONS_TIMEOUT_MS, WorkQueue,
    create_owned_pod, delete_owned_pod,
};
use crate::api::WorkloadRef;
use crate::api::events::{ObjRef, Source};
use crate::api::*;
use crate::apiserver::Watcher;
use crate::runtime::{Ctx, Event};
use crate::sim::SimTime;

#[derive(Clone, Copy, Default)]
struct Expectations {
    adds: i64,
    dels: i64,
    set_at: SimTime,
}

#[derive(Default)]
pub struct ReplicaSetController {
    queue: WorkQueue,
    expectations: Vec<Expectations>,
    /// Per pod: bit 0 = creation observed, bit 1 = deletion observed.
    observed: Vec<u8>,
    /// Pods created so far (checked against the API server by the invariants).
    pub created: u64,
    /// Syncs that failed (a create refused), per ReplicaSet: the work queue's rate limiter.
    backoff: Backoff,
}

impl ReplicaSetController {
    pub fn on_watch(&mut self, obj: ObjRef, ctx: &mut Ctx) {
        let rs = match obj {
            ObjRef::Pod(id) => {
                let p = ctx.api.pod(id);
                let Some(Owner::ReplicaSet(rs)) = p.owner else { return };
                if self.observed.len() <= id.idx() {
                    self.observed.resize(id.idx() + 1, 0);
                }
                if self.expectations.len() <= rs.idx() {
                    self.expectations.resize(rs.idx() + 1, Expectations::default());
                }
                let seen = &mut self.observed[id.idx()];
                if *seen & 1 == 0 {
                    *seen |= 1;
                    self.expectations[rs.idx()].adds -= 1;
                }
                if (p.deletion.is_some() || p.removed.is_some()) && *seen & 2 == 0 {
                    *seen |= 2;
                    self.expectations[rs.idx()].dels -= 1;
                }
                rs
            }
            ObjRef::ReplicaSet(rs) => rs,
            _ => return,
        };
        self.queue.add(rs.0, ctx, Event::ReplicaSetWork);
    }

    pub fn work(&mut self, ctx: &mut Ctx) {
        if let Some(k) = self.queue.pop() {
            self.sync(RsId(k), ctx);
        }
        self.queue.done(ctx, Event::ReplicaSetWork);
    }

    fn sync(&mut self, id: RsId, ctx: &mut Ctx) {
        if self.expectations.len() <= id.idx() {
            self.expectations.resize(id.idx() + 1, Expectations::default());
        }
        let rs = &ctx.api.replicasets[id.idx()];
        let replicas = rs.replicas as usize;
        // Counted as pods change: a sync is O(1) unless it has to choose pods to delete.
        let (active_n, ready) = ctx.api.rs_counts(id);
        let active_n = active_n as usize;
        let e = self.expectations[id.idx()];
        let satisfied = (e.adds <= 0 && e.dels <= 0) || ctx.now.since(e.set_at) > EXPECTATIONS_TIMEOUT_MS;
        if satisfied {
            if active_n < replicas {
                let n = (replicas - active_n).min(BURST_REPLICAS);
                self.expectations[id.idx()] = Expectations { adds: n as i64, dels: 0, set_at: ctx.now };
                // Slow start: batches of 1, 2, 4, ...; a refused create ends the sync with an
                // error (the rest are not tried, their expectations dropped) and the key is
                // retried after the rate limiter's back-off.
                let root = ctx.cause;
                let mut created = 0;
                let mut batch = 1;
                'batches: while created < n {
                    for _ in 0..batch.min(n - created) {
                        ctx.cause = root;
                        if !self.create_pod(id, ctx) {
                            self.expectations[id.idx()].adds -= (n - created) as i64;
                            let delay = self.backoff.next(id.0, CONTROLLER_RETRY_BASE_MS, CONTROLLER_RETRY_MAX_MS);
                            ctx.after(delay, Event::Requeue(crate::runtime::Requeue::ReplicaSet(id)));
                            break 'batches;
                        }
                        created += 1;
                    }
                    batch *= 2;
                }
                if created == n {
                    self.backoff.forget(id.0);
                }
            } else if active_n > replicas {
                let active: Vec<PodId> =
                    ctx.api.pods_of_rs(id).iter().copied().filter(|&p| ctx.api.pod(p).is_active()).collect();
                let n = (active_n - replicas).min(BURST_REPLICAS);
                let victims = rank_for_deletion(id, &active, ctx);
                self.expectations[id.idx()] = Expectations { adds: 0, dels: n as i64, set_at: ctx.now };
                let root = ctx.cause;
                for &p in victims.iter().take(n) {
                    ctx.cause = root;
                    delete_owned_pod(Owner::ReplicaSet(id), p, Source::ReplicaSetController, ctx);
                }
            }
        }
        let status = WorkloadStatus { replicas: active_n as u32, ready, available: ready, updated: active_n as u32 };
        let rs = &ctx.api.replicasets[id.idx()];
        let (desired, standalone) = (rs.replicas, rs.owner.is_none());
        if rs.status != status {
            ctx.api.update_replicaset(id, Watcher::ReplicaSetController, |r| r.status = status);
        }
        if standalone {
            ctx.rec.workload_status(WorkloadRef::ReplicaSet(id), ctx.now, desired, ready);
        }
    }

    /// False: the API server refused the pod.
    fn create_pod(&mut self, id: RsId, ctx: &mut Ctx) -> bool {
        let rs = &ctx.api.replicasets[id.idx()];
        let (ns, template, base) = (rs.namespace.clone(), rs.template.clone(), rs.name.clone());
        let owner = Owner::ReplicaSet(id);
        let made =
            create_owned_pod(owner, &ns, &base, template.labels, template.spec, Source::ReplicaSetController, ctx);
        self.created += u64::from(made.is_some());
        made.is_some()
    }

    /// The rate limiter's back-off is over: sync the ReplicaSet again.
    pub fn requeue(&mut self, id: RsId, ctx: &mut Ctx) {
        self.queue.add(id.0, ctx, Event::ReplicaSetWork);
    }
}

/// What `ActivePodsWithRanks.Less` reads of a pod: ready and creation times to the second (the
/// API's timestamps carry no more), the UID for ties.
struct Ranked {
    id: PodId,
    assigned: bool,
    phase: u8,
    ready: Option<u64>,
    colocated: usize,
    restarts: u32,
    created: u64,
    uid: String,
}

/// `logarithmicRankDiff`: the two times' ages at `now` (nanoseconds, as Go's durations) in
/// powers of two; an age of 0 or less ranks -1.
fn log_rank_diff(a_s: u64, b_s: u64, now_ms: u64) -> i64 {
    let rank = |t_s: u64| {
        let d = (now_ms as i128) * 1_000_000 - (t_s as i128) * 1_000_000_000;
        if d > 0 { 127 - (d as u128).leading_zeros() as i64 } else { -1 }
    };
    rank(a_s) - rank(b_s)
}

/// `ActivePodsWithRanks.Less` with LogarithmicScaleDown (on by default since v1.22): true when
/// `a` is to be deleted before `b`. Unassigned first; Pending before Unknown before Running;
/// not ready first; (pod-deletion-cost: not modelled, every pod costs 0); more pods of the
/// owner's sets on the same node first; ready more recently first, compared in log2 buckets of
/// age with ties broken by UID; more restarts first; created more recently first, likewise.
fn less(a: &Ranked, b: &Ranked, now_ms: u64) -> bool {
    if a.assigned != b.assigned {
        return !a.assigned;
    }
    if a.phase != b.phase {
        return a.phase < b.phase;
    }
    if a.ready.is_some() != b.ready.is_some() {
        return a.ready.is_none();
    }
    if a.colocated != b.colocated {
        return a.colocated > b.colocated;
    }
    if let (Some(x), Some(y)) = (a.ready, b.ready)
        && x != y
    {
        let d = log_rank_diff(x, y, now_ms);
        return if d == 0 { a.uid < b.uid } else { d < 0 };
    }
    if a.restarts != b.restarts {
        return a.restarts > b.restarts;
    }
    if a.created != b.created {
        let d = log_rank_diff(a.created, b.created, now_ms);
        return if d == 0 { a.uid < b.uid } else { d < 0 };
    }
    false
}

/// A stable merge sort by `less`: upstream's comparison is not a total order in every case (a
/// tie of times falls through, a tie of buckets does not), which `slice::sort_by` may reject.
fn merge_sort(v: Vec<Ranked>, less: &dyn Fn(&Ranked, &Ranked) -> bool) -> Vec<Ranked> {
    if v.len() <= 1 {
        return v;
    }
    let mut left = v;
    let right = left.split_off(left.len() / 2);
    let (left, right) = (merge_sort(left, less), merge_sort(right, less));
    let mut out = Vec::with_capacity(left.len() + right.len());
    let (mut l, mut r) = (left.into_iter().peekable(), right.into_iter().peekable());
    while let (Some(x), Some(y)) = (l.peek(), r.peek()) {
        // Take from the right only when it is strictly less: equal ones keep their order.
        let next = if less(y, x) { r.next() } else { l.next() };
        out.extend(next);
    }
    out.extend(l);
    out.extend(r);
    out
}

/// `getPodsToDelete`: the active pods in deletion order, ranked against the active pods of
/// every ReplicaSet of the same owner (`getPodsRankedByRelatedPodsOnSameNode`).
fn rank_for_deletion(id: RsId, active: &[PodId], ctx: &Ctx) -> Vec<PodId> {
    let api = &ctx.api;
    let related: Vec<PodId> = match api.replicasets[id.idx()].owner {
        Some(d) => api.replicasets_of(d).iter().flat_map(|&r| api.pods_of_rs(r).iter().copied()).collect(),
        None => active.to_vec(),
    };
    let mut on_node: std::collections::BTreeMap<NodeId, usize> = std::collections::BTreeMap::new();
    for p in related.iter().map(|&p| api.pod(p)).filter(|p| p.is_active()) {
        if let Some(n) = p.node {
            *on_node.entry(n).or_default() += 1;
        }
    }
    // Pods the ranking cannot tell apart keep this order: the newest first (upstream's order
    // is the informer cache's, which is not defined).
    let ranked: Vec<Ranked> = active
        .iter()
        .rev()
        .map(|&id| {
            let p = api.pod(id);
            // podReadyTime: when the Ready condition last turned True.
            let cond = p.status.conditions.get(crate::api::conditions::CondType::Ready).filter(|c| c.status);
            let ready_since = cond.map(|c| c.since).or(p.ready_at).unwrap_or(p.created);
            Ranked {
                id,
                assigned: p.node.is_some(),
                phase: match p.status.phase {
                    PodPhase::Unknown => 1,
                    PodPhase::Running => 2,
                    _ => 0,
                },
                ready: p.status.ready.then_some(ready_since.as_millis() / 1000),
                colocated: p.node.map_or(0, |n| on_node.get(&n).copied().unwrap_or(0)),
                restarts: p.status.containers.iter().map(|c| c.restart_count).max().unwrap_or(0),
                created: p.created.as_millis() / 1000,
                uid: api.pod_uid(id),
            }
        })
        .collect();
    let now = ctx.now.as_millis();
    merge_sort(ranked, &|a, b| less(a, b, now)).into_iter().map(|r| r.id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::test_pod_spec;
    use crate::runtime::testing::{Harness, selector, template};

    /// A standalone ReplicaSet `web` of `replicas` pods labelled `app=web`, created now.
    fn web(h: &mut Harness, replicas: u32) -> RsId {
        h.handle(|ctx| {
            ctx.api.create_replicaset(ReplicaSet {
                namespace: "default".into(),
                name: "web".into(),
                labels: Default::default(),
                selector: selector(&[("app", "web")]),
                replicas,
                template: template(&[("app", "web")], test_pod_spec()),
                owner: None,
                template_hash: None,
                revision: 0,
                created: ctx.now,
                resource_version: 0,
                status: WorkloadStatus::default(),
                deleted: None,
            })
        })
    }

    /// Deliver the controller's watches and work items due up to `t` ms.
    fn run(h: &mut Harness, rsc: &mut ReplicaSetController, t: u64) {
        h.run_until(SimTime(t), |ev, ctx| match ev {
            Event::ReplicaSetWork => rsc.work(ctx),
            Event::Requeue(crate::runtime::Requeue::ReplicaSet(r)) => rsc.requeue(r, ctx),
            Event::Watch(n) if n.to == Watcher::ReplicaSetController => rsc.on_watch(n.obj, ctx),
            _ => {}
        });
    }

    /// The ReplicaSet's events with `reason`: (time, message).
    fn events(h: &Harness, rs: RsId, reason: &str) -> Vec<(SimTime, Message)> {
        h.events_of(ObjRef::ReplicaSet(rs))
            .into_iter()
            .filter(|e| e.reason == reason)
            .map(|e| (e.time, e.message.clone()))
            .collect()
    }

    #[test]
    fn a_replicaset_of_three_creates_three_pods_and_records_successful_create_for_each() {
        let mut h = Harness::new();
        let mut rsc = ReplicaSetController::default();
        let rs = web(&mut h, 3);
        run(&mut h, &mut rsc, 1_000);
        let pods = h.live_pods_of(Owner::ReplicaSet(rs));
        assert_eq!(pods.len(), 3);
        // All three in the sync that saw the new ReplicaSet, one watch latency (10 ms) after it
        // was written; its own creations, observed at 20 ms, meet the expectations and add none.
        let want: Vec<(SimTime, Message)> =
            pods.iter().map(|&p| (SimTime(10), Message::CreatedPod { pod: p })).collect();
        assert_eq!(events(&h, rs, "SuccessfulCreate"), want);
        assert_eq!(rsc.created, 3);
        for &p in &pods {
            let pod = h.api.pod(p);
            // generateName `web-` and a 5-character suffix; the template's labels.
            assert!(pod.name.starts_with("web-") && pod.name.len() == 9, "{}", pod.name);
            assert_eq!(pod.labels.get("app"), Some("web"));
            assert_eq!(pod.owner, Some(Owner::ReplicaSet(rs)));
        }
        assert_eq!(
            h.api.replicasets[rs.idx()].status,
            WorkloadStatus { replicas: 3, ready: 0, available: 0, updated: 3 }
        );
        // The kubelets report the pods Running and Ready: the status counts them.
        let n = h.add_node("n", 4_000, 1 << 33);
        for &p in &pods {
            h.bind(p, n);
            h.set_pod_status(p, PodPhase::Running, true);
        }
        run(&mut h, &mut rsc, 2_000);
        assert_eq!(
            h.api.replicasets[rs.idx()].status,
            WorkloadStatus { replicas: 3, ready: 3, available: 3, updated: 3 }
        );
        assert_eq!(events(&h, rs, "SuccessfulCreate").len(), 3);
    }

    fn ranked(id: u32, ready: Option<u64>, restarts: u32, created: u64, uid: &str) -> Ranked {
        let (assigned, phase, colocated) = (true, 2, 1);
        Ranked { id: PodId(id), assigned, phase, ready, colocated, restarts, created, uid: uid.into() }
    }

    #[test]
    fn ages_compare_in_log2_buckets_of_nanoseconds() {
        // At 10 s: ready at 8 s is 2e9 ns old (bucket 30: 2^30 = 1.07e9 <= 2e9 < 2^31), at
        // 7 s 3e9 (bucket 31), at 6 s 4e9 (31); an age of 0 ranks -1.
        assert_eq!(log_rank_diff(8, 7, 10_000), -1);
        assert_eq!(log_rank_diff(7, 6, 10_000), 0);
        assert_eq!(log_rank_diff(10, 9, 10_000), -1 - 29);
        // The boundary 2^31 ns = 2.147483648 s: created at 0, 2.148 s old is bucket 31 and
        // 2.147 s old bucket 30; created at 1 s, 1.148 s and 1.147 s old are both bucket 30.
        assert_eq!(log_rank_diff(0, 1, 2_148), 1);
        assert_eq!(log_rank_diff(0, 1, 2_147), 0);
        // Newer bucket first whatever the UIDs; the same bucket by UID; equal times fall
        // through to restarts, then to the creation time.
        let now = 10_000;
        let (newer, older) = (ranked(1, Some(8), 0, 0, "ffff"), ranked(2, Some(7), 0, 0, "0000"));
        assert!(less(&newer, &older, now) && !less(&older, &newer, now));
        let (a, b) = (ranked(1, Some(7), 0, 0, "aaaa"), ranked(2, Some(6), 0, 0, "bbbb"));
        assert!(less(&a, &b, now) && !less(&b, &a, now));
        let (x, y) = (ranked(1, Some(7), 0, 0, "aaaa"), ranked(2, Some(7), 3, 0, "bbbb"));
        assert!(less(&y, &x, now), "the same second: more restarts first");
        let (x, y) = (ranked(1, Some(7), 0, 1, "bbbb"), ranked(2, Some(7), 0, 2, "aaaa"));
        assert!(less(&y, &x, now), "created at 1 s (9e9 ns old, bucket 33) and 2 s (8e9, bucket 32): newer first");
    }

    #[test]
    fn scaling_a_replicaset_down_deletes_the_not_ready_then_the_most_recently_ready_pods() {
        let mut h = Harness::new();
        let mut rsc = ReplicaSetController::default();
        let rs = web(&mut h, 3);
        run(&mut h, &mut rsc, 1_000);
        let pods = h.live_pods_of(Owner::ReplicaSet(rs));
        let n = h.add_node("n", 4_000, 1 << 33);
        for &p in &pods {
            h.bind(p, n);
        }
        // pods[0] ready since 1 s, pods[1] since 2 s, pods[2] Running but not ready.
        h.set_pod_status(pods[0], PodPhase::Running, true);
        run(&mut h, &mut rsc, 2_000);
        h.set_pod_status(pods[1], PodPhase::Running, true);
        h.set_pod_status(pods[2], PodPhase::Running, false);
        run(&mut h, &mut rsc, 5_000);
        h.handle(|ctx| ctx.api.update_replicaset(rs, Watcher::Operator, |r| r.replicas = 1));
        run(&mut h, &mut rsc, 6_000);
        // ActivePodsWithRanks: not ready before ready; then ready for less time first, in log2
        // buckets of the age in nanoseconds at the sync (5.010 s): ready at 1 s and 2 s are
        // 4.01e9 and 3.01e9 ns old, both in bucket 31 (2^31 = 2.15e9 <= age < 2^32), so the
        // smaller UID goes first.
        let (a, b) = (h.api.pod_uid(pods[0]), h.api.pod_uid(pods[1]));
        let (first, kept) = if a < b { (pods[0], pods[1]) } else { (pods[1], pods[0]) };
        let deleted = vec![
            (SimTime(5_010), Message::DeletedPod { pod: pods[2] }),
            (SimTime(5_010), Message::DeletedPod { pod: first }),
        ];
        assert_eq!(events(&h, rs, "SuccessfulDelete"), deleted);
        // Bound pods terminate with their 30 s grace period; the survivor is untouched.
        assert_eq!(h.api.pod(pods[2]).deletion, Some((SimTime(5_010), 30_000)));
        assert_eq!(h.api.pod(first).deletion, Some((SimTime(5_010), 30_000)));
        assert_eq!(h.api.pod(kept).deletion, None);
        // Terminating pods are not replicas any more.
        assert_eq!(
            h.api.replicasets[rs.idx()].status,
            WorkloadStatus { replicas: 1, ready: 1, available: 1, updated: 1 }
        );
    }

    #[test]
    fn a_replicaset_replaces_a_deleted_pod_while_the_old_one_still_terminates() {
        let mut h = Harness::new();
        let mut rsc = ReplicaSetController::default();
        let rs = web(&mut h, 2);
        run(&mut h, &mut rsc, 1_000);
        let pods = h.live_pods_of(Owner::ReplicaSet(rs));
        let n = h.add_node("n", 4_000, 1 << 33);
        for &p in &pods {
            h.bind(p, n);
            h.set_pod_status(p, PodPhase::Running, true);
        }
        run(&mut h, &mut rsc, 2_000);
        // `kubectl delete pod`: Terminating for its grace period, no longer an active replica.
        h.handle(|ctx| ctx.api.delete_pod(pods[0], 30_000, ctx.now));
        run(&mut h, &mut rsc, 3_000);
        let creates = events(&h, rs, "SuccessfulCreate");
        assert_eq!(creates.len(), 3);
        let Message::CreatedPod { pod: new } = creates[2].1 else { panic!("{creates:?}") };
        assert_eq!(creates[2].0, SimTime(2_010), "created when the deletion was seen");
        assert!(h.api.pod(pods[0]).is_terminating());
        assert_eq!(h.live_pods_of(Owner::ReplicaSet(rs)), vec![pods[0], pods[1], new]);
        assert_eq!(h.api.replicasets[rs.idx()].status.replicas, 2);
        // The old pod's final delete changes nothing: there are two replicas already.
        h.remove_pod(pods[0]);
        run(&mut h, &mut rsc, 4_000);
        assert_eq!(events(&h, rs, "SuccessfulCreate").len(), 3);
        assert!(events(&h, rs, "SuccessfulDelete").is_empty());
    }

    #[test]
    fn a_refused_create_records_failed_create_and_retries_with_the_rate_limiter_until_admitted() {
        let mut h = Harness::new();
        let mut rsc = ReplicaSetController::default();
        let rs = web(&mut h, 2);
        let mut spec = (*h.api.replicasets[rs.idx()].template.spec).clone();
        spec.service_account = Some("robot".into());
        h.api.replicasets[rs.idx()].template.spec = std::sync::Arc::new(spec);
        run(&mut h, &mut rsc, 100);
        // Seen at 10 ms; refused; retried 5, 10, 20, 40 ms later (one try per sync: slow start).
        let times: Vec<u64> = events(&h, rs, "FailedCreate").iter().map(|e| e.0.as_millis()).collect();
        assert_eq!(times, vec![10, 15, 25, 45, 85]);
        assert_eq!(
            events(&h, rs, "FailedCreate")[0].1,
            Message::Text(
                "Error creating: pods \"web-\" is forbidden: error looking up service account default/robot: serviceaccount \"robot\" not found"
                    .into()
            )
        );
        assert!(h.live_pods_of(Owner::ReplicaSet(rs)).is_empty());
        h.api.gates.add_service_account("default", "robot");
        // The next retry (80 ms after 85) creates both pods.
        run(&mut h, &mut rsc, 200);
        assert_eq!(events(&h, rs, "SuccessfulCreate").len(), 2);
        assert_eq!(events(&h, rs, "SuccessfulCreate")[0].0.as_millis(), 165);
    }
}
