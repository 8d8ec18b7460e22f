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
    ctx.api.update_pdb(id, |b| {
        b.status = status;
        b.disrupted = disrupted;
    });
}

use crate::api::workloads::PdbStatus;
