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
use std::cmp::Reverse;

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
                let victims = rank_for_deletion(&active, ctx);
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

/// The sort key of `rank_for_deletion` (ascending = deleted first).
type RankKey = (bool, u8, bool, Reverse<usize>, Reverse<SimTime>, Reverse<u32>, Reverse<SimTime>);

/// `ActivePodsWithRanks` order: the first pods are deleted first. Unassigned before assigned;
/// Pending before Unknown before Running; not ready before ready; more pods of this set on the
/// same node first; ready for less time first; more restarts first; newer first.
fn rank_for_deletion(active: &[PodId], ctx: &Ctx) -> Vec<PodId> {
    let on_node = |n: Option<NodeId>| -> usize {
        n.map_or(0, |n| active.iter().filter(|&&q| ctx.api.pod(q).node == Some(n)).count())
    };
    let mut v: Vec<(PodId, RankKey)> = active
        .iter()
        .map(|&id| {
            let p = ctx.api.pod(id);
            let phase = match p.status.phase {
                PodPhase::Pending => 0,
                PodPhase::Unknown => 1,
                _ => 2,
            };
            let key = (
                p.node.is_some(),
                phase,
                p.status.ready,
                Reverse(on_node(p.node)),
                Reverse(p.ready_at.unwrap_or(SimTime::ZERO)),
                Reverse(p.restarts()),
                Reverse(p.created),
            );
            (id, key)
        })
        .collect();
    v.sort_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)));
    v.into_iter().map(|x| x.0).collect()
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
        // ActivePodsWithRanks: not ready before ready, then ready for less time first.
        let deleted = vec![
            (SimTime(5_010), Message::DeletedPod { pod: pods[2] }),
            (SimTime(5_010), Message::DeletedPod { pod: pods[1] }),
        ];
        assert_eq!(events(&h, rs, "SuccessfulDelete"), deleted);
        // Bound pods terminate with their 30 s grace period; the survivor is untouched.
        assert_eq!(h.api.pod(pods[2]).deletion, Some((SimTime(5_010), 30_000)));
        assert_eq!(h.api.pod(pods[1]).deletion, Some((SimTime(5_010), 30_000)));
        assert_eq!(h.api.pod(pods[0]).deletion, None);
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
