//! The disruption controller (`pkg/controller/disruption`) and the eviction subresource
//! (`pkg/registry/core/pod/storage/eviction.go`): each PodDisruptionBudget's
//! `disruptionsAllowed` from its pods' health, and evictions that honour it (429 while it is 0).

use super::WorkQueue;
use crate::api::events::ObjRef;
use crate::api::*;
use crate::cluster::{Ctx, Event};

/// `DeletionTimeout`: a pod the eviction API let go that is not seen deleted within 2 minutes
/// counts as healthy again.
pub const DELETION_TIMEOUT_MS: u64 = 2 * 60 * 1000;

/// The 429 the eviction subresource answers while a budget allows no disruption.
pub const EVICTION_REFUSED: &str = "Cannot evict pod as it would violate the pod's disruption budget.";

#[derive(Default)]
pub struct DisruptionController {
    queue: WorkQueue,
}

/// Why an eviction was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EvictionError {
    /// 429 TooManyRequests: the budget allows no disruption now.
    TooManyRequests,
    /// 500: more than one budget selects the pod.
    MultipleBudgets,
}

impl EvictionError {
    pub fn message(&self) -> &'static str {
        match self {
            EvictionError::TooManyRequests => EVICTION_REFUSED,
            EvictionError::MultipleBudgets => {
                "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."
            }
        }
    }
}

pub(crate) fn selects(pdb: &PodDisruptionBudget, pod: &Pod) -> bool {
    *pod.namespace == *pdb.namespace && pdb.selector.matches(&pod.labels)
}

impl DisruptionController {
    pub fn on_watch(&mut self, obj: ObjRef, ctx: &mut Ctx) {
        match obj {
            ObjRef::PodDisruptionBudget(b) => self.queue.add(b.0, ctx, Event::DisruptionWork),
            ObjRef::Pod(p) => {
                for b in 0..ctx.api.pdbs.len() {
                    if selects(&ctx.api.pdbs[b], ctx.api.pod(p)) {
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
            pod.removed.is_none() && selects(pdb, pod)
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
    ctx.api.update_pdb(id, |b| {
        b.status = status;
        b.disrupted = disrupted;
    });
}

use crate::api::workloads::PdbStatus;

/// POST `pods/NAME/eviction`: delete the pod with its grace period if no budget forbids it.
/// Ok(true) when the pod is (being) deleted, Ok(false) when it was already gone.
pub fn evict(p: PodId, grace_ms: Option<u64>, ctx: &mut Ctx) -> Result<bool, EvictionError> {
    let pod = ctx.api.pod(p);
    if pod.removed.is_some() {
        return Ok(false);
    }
    let budgets: Vec<usize> = (0..ctx.api.pdbs.len()).filter(|&b| selects(&ctx.api.pdbs[b], pod)).collect();
    // A pod that is terminal or already being deleted needs no budget.
    let exempt = pod.status.phase.is_terminal() || pod.deletion.is_some();
    if !exempt && !budgets.is_empty() {
        if budgets.len() > 1 {
            return Err(EvictionError::MultipleBudgets);
        }
        let b = &ctx.api.pdbs[budgets[0]];
        // unhealthyPodEvictionPolicy IfHealthyBudget: a pod that is not ready may go while
        // the budget is met.
        let ok = if pod.status.ready {
            b.status.disruptions_allowed > 0
        } else {
            b.status.current_healthy >= b.status.desired_healthy
        };
        if !ok {
            return Err(EvictionError::TooManyRequests);
        }
        if pod.status.ready {
            let now = ctx.now;
            ctx.api.update_pdb(PdbId(budgets[0] as u32), |b| {
                b.status.disruptions_allowed -= 1;
                b.disrupted.insert(p.0, now);
            });
        }
    }
    let grace = grace_ms.unwrap_or(ctx.api.pod(p).spec.termination_grace_ms);
    ctx.api.delete_pod(p, grace, ctx.now);
    Ok(true)
}
