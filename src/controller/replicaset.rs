//! The ReplicaSet controller: keep `replicas` active pods, with expectations so that a sync
//! does not act twice on the same observation, upstream's scale-down ranking, and `.status`.

use super::{BURST_REPLICAS, EXPECTATIONS_TIMEOUT_MS, WorkQueue, create_owned_pod, delete_owned_pod};
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
                // Slow start (batches of 1, 2, 4, ...) only matters when creations fail, which
                // they do not here: all n are created in this sync.
                let root = ctx.cause;
                for _ in 0..n {
                    ctx.cause = root;
                    self.create_pod(id, ctx);
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

    fn create_pod(&mut self, id: RsId, ctx: &mut Ctx) {
        let rs = &ctx.api.replicasets[id.idx()];
        let (ns, template, base) = (rs.namespace.clone(), rs.template.clone(), rs.name.clone());
        let owner = Owner::ReplicaSet(id);
        create_owned_pod(owner, &ns, &base, template.labels, template.spec, Source::ReplicaSetController, ctx);
        self.created += 1;
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
