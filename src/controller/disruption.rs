//! The disruption controller (`pkg/controller/disruption`): each PodDisruptionBudget's
//! `disruptionsAllowed` from its pods' health. The eviction subresource that honours it lives in
//! the API server (`apiserver/eviction.rs`).

use super::WorkQueue;
use crate::api::events::ObjRef;
use crate::api::*;
pub use crate::apiserver::eviction::{EVICTION_REFUSED, EvictionError};
use crate::runtime::{Ctx, Event};

/// `DeletionTimeout`: a pod the eviction API let go that is not seen deleted within 2 minutes
/// counts as healthy again.
pub const DELETION_TIMEOUT_MS: u64 = 2 * 60 * 1000;

#[derive(Default)]
pub struct DisruptionController {
    queue: WorkQueue,
}

impl DisruptionController {
    pub fn on_watch(&mut self, obj: ObjRef, ctx: &mut Ctx) {
        match obj {
            ObjRef::PodDisruptionBudget(b) => self.queue.add(b.0, ctx, Event::DisruptionWork),
            ObjRef::Pod(p) => {
                for b in 0..ctx.api.pdbs.len() {
                    if ctx.api.pdbs[b].selects(ctx.api.pod(p)) {
                        self.queue.add(b as u32, ctx, Event::DisruptionWork);
                    }
                }
            }
            _ => {}
        }
    }

    pub fn work(&mut self, ctx: &mut Ctx) {
        if let Some(k) = self.queue.pop() {
            sync(PdbId(k), ctx);
        }
        self.queue.done(ctx, Event::DisruptionWork);
    }

    /// A disrupted pod's 2-minute window ended: recount.
    pub fn on_timer(&mut self, b: PdbId, ctx: &mut Ctx) {
        self.queue.add(b.0, ctx, Event::DisruptionWork);
    }
}

/// The scale of the controllers owning `pods` (`getExpectedScale`): each controller once.
fn expected_scale(pods: &[PodId], ctx: &Ctx) -> u32 {
    let mut seen: Vec<ObjRef> = Vec::new();
    let mut total = 0;
    for &p in pods {
        let (obj, scale) = match ctx.api.pod(p).owner {
            Some(Owner::ReplicaSet(r)) => {
                let rs = &ctx.api.replicasets[r.idx()];
                match rs.owner {
                    Some(d) => (ObjRef::Deployment(d), ctx.api.deployments[d.idx()].replicas),
                    None => (ObjRef::ReplicaSet(r), rs.replicas),
                }
            }
            Some(Owner::StatefulSet(s)) => (ObjRef::StatefulSet(s), ctx.api.statefulsets[s.idx()].replicas),
            // Pods without a scalable controller count as themselves.
            _ => (ObjRef::Pod(p), 1),
        };
        if !seen.contains(&obj) {
            seen.push(obj);
            total += scale;
        }
    }
    total
}

/// `trySync`: recount a budget's status.
fn sync(id: PdbId, ctx: &mut Ctx) {
    let now = ctx.now;
    let pdb = &ctx.api.pdbs[id.idx()];
    let pods: Vec<PodId> = (0..ctx.api.pods.len() as u32)
        .map(PodId)
        .filter(|&p| {
            let pod = ctx.api.pod(p);
            pod.removed.is_none() && pdb.selects(pod)
        })
        .collect();
    // Disrupted pods stay out of the healthy count until deleted or 2 minutes have passed.
    let mut disrupted = pdb.disrupted.clone();
    disrupted.retain(|&p, &mut at| {
        let pod = ctx.api.pod(PodId(p));
        pod.removed.is_none() && pod.deletion.is_none() && now.since(at) < DELETION_TIMEOUT_MS
    });
    let current_healthy = pods
        .iter()
        .filter(|&&p| {
            let pod = ctx.api.pod(p);
            pod.deletion.is_none() && pod.status.ready && !disrupted.contains_key(&p.0)
        })
        .count() as u32;
    let (expected, desired) = match (pdb.min_available, pdb.max_unavailable) {
        (_, Some(mu)) => {
            let expected = expected_scale(&pods, ctx);
            (expected, expected.saturating_sub(mu.scaled(expected, true)))
        }
        (Some(IntOrPercent::Int(n)), None) => (pods.len() as u32, n),
        (Some(pct), None) => {
            let expected = expected_scale(&pods, ctx);
            (expected, pct.scaled(expected, true))
        }
        (None, None) => (pods.len() as u32, 0),
    };
    let status = PdbStatus {
        current_healthy,
        desired_healthy: desired,
        expected_pods: expected,
        disruptions_allowed: current_healthy.saturating_sub(desired),
    };
    if let Some(&first) = disrupted.values().min() {
        ctx.at(first.plus(DELETION_TIMEOUT_MS), Event::DisruptionTimer(id));
    }
    let cause = ctx.cause;
    ctx.api.update_pdb(id, |b| {
        if b.status.disruptions_allowed == 0 && status.disruptions_allowed > 0 {
            b.unblocked_by = cause;
        }
        b.status = status;
        b.disrupted = disrupted;
    });
}

use crate::api::workloads::PdbStatus;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::test_pod_spec;
    use crate::apiserver::Watcher;
    use crate::runtime::testing::{Harness, selector, template};
    use crate::sim::SimTime;

    /// A budget over `app=web`, created now.
    fn budget(h: &mut Harness, min: Option<IntOrPercent>, max: Option<IntOrPercent>) -> PdbId {
        h.handle(|ctx| {
            ctx.api.create_pdb(PodDisruptionBudget {
                namespace: "default".into(),
                name: "web".into(),
                labels: Default::default(),
                selector: selector(&[("app", "web")]),
                min_available: min,
                max_unavailable: max,
                resource_version: 0,
                status: Default::default(),
                disrupted: Default::default(),
                unblocked_by: 0,
            })
        })
    }

    /// `n` pods `app=web` owned by `owner`, Running and Ready on one node.
    fn ready_pods(h: &mut Harness, n: usize, owner: Option<Owner>) -> Vec<PodId> {
        let node = h.api.node_by_name("n").unwrap_or_else(|| h.add_node("n", 4_000, 1 << 33));
        (0..n)
            .map(|_| {
                let name = format!("web-{}", h.api.pods.len());
                let p = h.add_pod(&name, &[("app", "web")], owner, test_pod_spec());
                h.bind(p, node);
                h.set_pod_status(p, PodPhase::Running, true);
                p
            })
            .collect()
    }

    /// Deliver the controller's watches, work items and timers due up to `t` ms.
    fn run(h: &mut Harness, dc: &mut DisruptionController, t: u64) {
        h.run_until(SimTime(t), |ev, ctx| match ev {
            Event::DisruptionWork => dc.work(ctx),
            Event::DisruptionTimer(b) => dc.on_timer(b, ctx),
            Event::Watch(n) if n.to == Watcher::DisruptionController => dc.on_watch(n.obj, ctx),
            _ => {}
        });
    }

    /// (currentHealthy, desiredHealthy, expectedPods, disruptionsAllowed).
    fn status(h: &Harness, b: PdbId) -> (u32, u32, u32, u32) {
        let s = h.api.pdbs[b.idx()].status;
        (s.current_healthy, s.desired_healthy, s.expected_pods, s.disruptions_allowed)
    }

    #[test]
    fn a_min_available_budget_allows_the_ready_pods_above_it_and_follows_readiness() {
        let mut h = Harness::new();
        let pods = ready_pods(&mut h, 3, None);
        let mut dc = DisruptionController::default();
        let b = budget(&mut h, Some(IntOrPercent::Int(2)), None);
        run(&mut h, &mut dc, 1_000);
        // An integer minAvailable expects the pods that exist: 3 healthy, 2 needed, 1 may go.
        assert_eq!(status(&h, b), (3, 2, 3, 1));
        h.set_pod_status(pods[2], PodPhase::Running, false);
        run(&mut h, &mut dc, 2_000);
        assert_eq!(status(&h, b), (2, 2, 3, 0));
        // The eviction API refuses a ready pod now (429 TooManyRequests).
        let refused = EvictionError::TooManyRequests { budget: b, desired: 2, current: 2 };
        assert_eq!(h.api.evict(pods[0], None, h.now()), Err(refused));
        h.set_pod_status(pods[2], PodPhase::Running, true);
        run(&mut h, &mut dc, 3_000);
        assert_eq!(status(&h, b), (3, 2, 3, 1));
    }

    #[test]
    fn a_max_unavailable_budget_counts_against_the_scale_of_the_owning_replicaset() {
        let mut h = Harness::new();
        let rs = h.api.create_replicaset(ReplicaSet {
            namespace: "default".into(),
            name: "web".into(),
            labels: Default::default(),
            selector: selector(&[("app", "web")]),
            replicas: 4,
            template: template(&[("app", "web")], test_pod_spec()),
            owner: None,
            template_hash: None,
            revision: 0,
            created: SimTime::ZERO,
            resource_version: 0,
            status: WorkloadStatus::default(),
            deleted: None,
        });
        ready_pods(&mut h, 3, Some(Owner::ReplicaSet(rs)));
        let mut dc = DisruptionController::default();
        let by_max = budget(&mut h, None, Some(IntOrPercent::Int(1)));
        let by_pct = budget(&mut h, Some(IntOrPercent::Percent(60)), None);
        run(&mut h, &mut dc, 1_000);
        // 4 expected (the ReplicaSet's scale, not the 3 pods): 4 - 1 = 3 needed, 3 healthy.
        assert_eq!(status(&h, by_max), (3, 3, 4, 0));
        // 60% of 4 = 2.4, rounded up to 3.
        assert_eq!(status(&h, by_pct), (3, 3, 4, 0));
        ready_pods(&mut h, 1, Some(Owner::ReplicaSet(rs)));
        run(&mut h, &mut dc, 2_000);
        assert_eq!(status(&h, by_max), (4, 3, 4, 1));
        assert_eq!(status(&h, by_pct), (4, 3, 4, 1));
    }

    #[test]
    fn an_evicted_pod_counts_as_disrupted_for_two_minutes_unless_seen_deleted() {
        let mut h = Harness::new();
        let pods = ready_pods(&mut h, 3, None);
        let mut dc = DisruptionController::default();
        let b = budget(&mut h, Some(IntOrPercent::Int(2)), None);
        run(&mut h, &mut dc, 2_000);
        assert_eq!(status(&h, b), (3, 2, 3, 1));
        // What the eviction subresource writes when it lets pods[0] go; its delete has not
        // reached the store (the pod is still Running and Ready).
        h.api.update_pdb(b, |x| {
            x.status.disruptions_allowed -= 1;
            x.disrupted.insert(pods[0].0, SimTime(2_000));
        });
        h.handle(|ctx| dc.on_watch(ObjRef::PodDisruptionBudget(b), ctx));
        run(&mut h, &mut dc, 2_000 + DELETION_TIMEOUT_MS - 1);
        assert_eq!(status(&h, b), (2, 2, 3, 0));
        assert!(h.api.pdbs[b.idx()].disrupted.contains_key(&pods[0].0));
        // DeletionTimeout: two minutes after the eviction it is healthy again.
        run(&mut h, &mut dc, 2_000 + DELETION_TIMEOUT_MS);
        assert_eq!(status(&h, b), (3, 2, 3, 1));
        assert!(h.api.pdbs[b.idx()].disrupted.is_empty());
        // A real eviction: allowed at once drops to 0, a second ready pod is refused, and the
        // recount sees pods[1] Terminating (not healthy) and drops it from disruptedPods.
        assert_eq!(h.api.evict(pods[1], None, h.now()), Ok(true));
        let refused = EvictionError::TooManyRequests { budget: b, desired: 2, current: 3 };
        assert_eq!(h.api.evict(pods[2], None, h.now()), Err(refused));
        h.flush();
        run(&mut h, &mut dc, 200_000);
        assert_eq!(status(&h, b), (2, 2, 3, 0));
        assert!(h.api.pdbs[b.idx()].disrupted.is_empty());
    }
}
