//! The scheduling queue (`pkg/scheduler/backend/queue`): activeQ by priority then FIFO,
//! backoffQ, unschedulablePods, and the moves between them.

use super::*;

/// activeQ's order: highest priority first, then FIFO by enqueue number. One FIFO per
/// priority (a run has few distinct ones), highest first: enqueue numbers only grow, so each
/// FIFO is in order and a push or pop is O(1), where a heap would sift.
#[derive(Default)]
pub(super) struct ActiveQ {
    /// (priority, entries as (enqueue number, pod)), by priority, highest first.
    lanes: Vec<(i32, std::collections::VecDeque<(u64, PodId)>)>,
}

impl ActiveQ {
    pub(super) fn push(&mut self, prio: i32, seq: u64, id: PodId) {
        let at = match self.lanes.iter().position(|l| l.0 <= prio) {
            Some(i) if self.lanes[i].0 == prio => i,
            Some(i) => {
                self.lanes.insert(i, (prio, Default::default()));
                i
            }
            None => {
                self.lanes.push((prio, Default::default()));
                self.lanes.len() - 1
            }
        };
        self.lanes[at].1.push_back((seq, id));
    }

    /// The first entry of the highest priority (possibly stale: the caller checks).
    pub(super) fn pop(&mut self) -> Option<(u64, PodId)> {
        self.lanes.iter_mut().find_map(|l| l.1.pop_front())
    }
}

/// unschedulablePods: parked pods, taken in PodId order. A vector with a membership flag per
/// pod (removal only clears the flag) instead of an ordered set: a full cluster parks and
/// takes thousands of pods per second.
#[derive(Default)]
pub(super) struct Parked {
    /// Members, possibly with stale or repeated entries; sorted when read.
    ids: Vec<PodId>,
    member: Vec<bool>,
    live: usize,
}

impl Parked {
    pub(super) fn insert(&mut self, id: PodId) {
        if self.member.len() <= id.idx() {
            self.member.resize(id.idx() + 1, false);
        }
        if !self.member[id.idx()] {
            self.member[id.idx()] = true;
            self.live += 1;
            if self.ids.len() > 2 * self.live + 64 {
                self.members(); // drop the stale entries
            }
            self.ids.push(id);
        }
    }

    pub(super) fn remove(&mut self, id: PodId) {
        if self.member.get(id.idx()).copied().unwrap_or(false) {
            self.member[id.idx()] = false;
            self.live -= 1;
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// The members in PodId order.
    pub(super) fn members(&mut self) -> &[PodId] {
        self.ids.sort_unstable();
        self.ids.dedup();
        let member = &self.member;
        self.ids.retain(|id| member[id.idx()]);
        &self.ids
    }

    /// Every member in PodId order, leaving none (hand the vector back with `give_back`).
    pub(super) fn take_all(&mut self) -> Vec<PodId> {
        self.members();
        for id in &self.ids {
            self.member[id.idx()] = false;
        }
        self.live = 0;
        std::mem::take(&mut self.ids)
    }

    pub(super) fn give_back(&mut self, empty: Vec<PodId>) {
        if self.ids.is_empty() {
            self.ids = empty;
        }
    }
}

impl Scheduler {
    /// `calculateBackoffDuration`: initial, doubled per earlier attempt, capped.
    pub(super) fn backoff_ms(&self, attempts: u32) -> u64 {
        let mut d = self.initial_backoff_ms;
        for _ in 1..attempts {
            if d > self.max_backoff_ms - d {
                return self.max_backoff_ms;
            }
            d += d;
        }
        d
    }

    pub(super) fn kick(&mut self, delay_ms: u64, ctx: &mut Ctx) {
        if !self.cycle_pending {
            self.cycle_pending = true;
            ctx.after(delay_ms, Event::Scheduler(SchedulerEvent::ScheduleOne));
        }
    }

    pub(super) fn push_active(&mut self, id: PodId, ctx: &mut Ctx) {
        let prio = self.learn(id, ctx.api).prio;
        self.enqueue_seq += 1;
        let seq = self.enqueue_seq;
        self.active.push(prio, seq, id);
        let cause = ctx.cause;
        let i = self.info(id);
        let was_active = i.state == QState::Active;
        i.state = QState::Active;
        i.cause = cause;
        i.active_seq = seq;
        if !was_active {
            self.active_live += 1;
        }
        self.kick(0, ctx);
    }

    /// Take the pod out of activeQ (its entry goes stale).
    pub(super) fn remove_active(&mut self, id: PodId) {
        let i = self.info(id);
        if i.state == QState::Active {
            i.state = QState::Unknown;
            self.active_live -= 1;
        }
    }

    /// The next live entry of activeQ.
    pub(super) fn pop_active(&mut self) -> Option<PodId> {
        while let Some((seq, id)) = self.active.pop() {
            let i = self.pods[id.idx()];
            if i.state == QState::Active && i.active_seq == seq {
                self.active_live -= 1;
                self.pods[id.idx()].state = QState::Unknown;
                return Some(id);
            }
        }
        None
    }

    /// Backoff if it has not expired yet, else straight to activeQ.
    pub(super) fn requeue(&mut self, id: PodId, ctx: &mut Ctx) {
        let info = *self.info(id);
        let expiry = info.last_attempt.plus(self.backoff_ms(info.attempts));
        if expiry > ctx.now {
            let i = self.info(id);
            i.state = QState::Backoff;
            i.epoch = i.epoch.wrapping_add(1);
            let epoch = i.epoch;
            self.backoff_q.push(Reverse((expiry, id, epoch)));
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

    /// `AssignedPodAdded`: a pod bound to a node may be what a pending pod's required pod
    /// affinity waits for; the unschedulable pods with a term that selects it move
    /// (`getUnschedulablePodsWithMatchingAffinityTerm`, as InterPodAffinity's queueing hint).
    pub(super) fn assigned_pod_added(&mut self, added: PodId, ctx: &mut Ctx) {
        if self.unschedulable.is_empty() {
            return;
        }
        let a = ctx.api.pod(added);
        let matching: Vec<PodId> = (self.unschedulable.members().iter().copied())
            .filter(|&id| {
                let p = ctx.api.pod(id);
                p.spec.affinity.as_ref().is_some_and(|af| {
                    af.pod_affinity_required.iter().any(|t| t.selects(&p.namespace, &a.namespace, &a.labels))
                })
            })
            .collect();
        for id in matching {
            self.unschedulable.remove(id);
            self.requeue(id, ctx);
        }
    }

    /// `MoveAllToActiveOrBackoffQueue` on a cluster event that may make pods schedulable.
    pub(super) fn move_all(&mut self, ctx: &mut Ctx) {
        let mut pods = self.unschedulable.take_all();
        for &id in &pods {
            self.requeue(id, ctx);
        }
        pods.clear();
        self.unschedulable.give_back(pods);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_queue_pops_by_priority_then_fifo_as_a_heap_would() {
        let mut q = ActiveQ::default();
        let mut heap = BinaryHeap::new();
        let prios = [0, 100, -5, 0, 2000, 100, 0, -5, 7, 2000];
        for (seq, &p) in prios.iter().enumerate() {
            q.push(p, seq as u64, PodId(seq as u32));
            heap.push((p, Reverse(seq as u64), PodId(seq as u32)));
        }
        let mut popped = Vec::new();
        while let Some((seq, id)) = q.pop() {
            popped.push((seq, id));
        }
        let mut expected = Vec::new();
        while let Some((_, Reverse(seq), id)) = heap.pop() {
            expected.push((seq, id));
        }
        assert_eq!(popped, expected);
    }

    #[test]
    fn parked_pods_come_out_once_each_in_id_order() {
        let mut p = Parked::default();
        for i in [9, 3, 7, 3, 1] {
            p.insert(PodId(i));
        }
        p.remove(PodId(7));
        p.remove(PodId(4)); // never parked
        p.insert(PodId(7)); // parked again after a removal: one entry
        assert_eq!(p.members(), &[PodId(1), PodId(3), PodId(7), PodId(9)]);
        let all = p.take_all();
        assert_eq!(all, vec![PodId(1), PodId(3), PodId(7), PodId(9)]);
        assert!(p.is_empty());
        p.give_back(all);
        // Many removals: the stale entries are dropped on the way, the order stays.
        for round in 0..50u32 {
            for i in 0..20 {
                p.insert(PodId(i * 7 % 20 + round % 3));
            }
            for i in 0..22 {
                p.remove(PodId(i));
            }
        }
        assert!(p.is_empty());
        assert!(p.ids.len() <= 2 * 22 + 64 + 1);
        p.insert(PodId(5));
        p.insert(PodId(2));
        assert_eq!(p.take_all(), vec![PodId(2), PodId(5)]);
    }
}
