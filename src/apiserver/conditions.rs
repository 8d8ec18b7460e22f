//! Pod conditions in the store: the kubelet's are generated at each of its status writes
//! (its status manager sends them with every status), the scheduler's `PodScheduled=False` and
//! the disruption writers' `DisruptionTarget` are set directly, and every change is logged for
//! `conditions.csv`.

use super::{ApiServer, Watcher};
use crate::api::conditions::{Cond, CondReason, CondType, PodConditions};
use crate::api::*;
use crate::sim::SimTime;
use std::sync::Arc;

/// One change of one condition (its status, reason or message), in 24 bytes: a big run logs
/// several per pod.
#[derive(Clone, Copy, Debug)]
pub struct ConditionChange {
    pub time: SimTime,
    pub pod: PodId,
    pub detail: u32,
    pub ty: CondType,
    pub status: bool,
    pub reason: CondReason,
    pub by: Writer,
}

/// The log, in chunks (`sim::chunked`): millions of changes are never copied as they grow.
#[derive(Default)]
pub struct ConditionLog {
    log: crate::sim::chunked::Chunked<ConditionChange>,
}

impl ConditionLog {
    pub fn push(&mut self, c: ConditionChange) {
        self.log.push(c);
    }

    pub fn iter(&self) -> impl Iterator<Item = &ConditionChange> {
        self.log.iter()
    }

    pub fn len(&self) -> usize {
        self.log.len()
    }

    pub fn is_empty(&self) -> bool {
        self.log.is_empty()
    }
}

/// Who wrote a condition change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Writer {
    Kubelet,
    Scheduler,
    /// The controllers (and kubectl's eviction).
    Controllers,
}

impl Writer {
    pub fn of(w: Option<Watcher>) -> Writer {
        match w {
            Some(Watcher::Kubelet(_)) => Writer::Kubelet,
            Some(Watcher::Scheduler) => Writer::Scheduler,
            _ => Writer::Controllers,
        }
    }
}

impl ConditionChange {
    /// The condition as it was set (its transition time is not kept).
    pub fn cond(&self) -> Cond {
        Cond { status: self.status, reason: self.reason, detail: self.detail, since: self.time }
    }
}

impl ApiServer {
    /// Log the conditions of `id` that differ from `before`.
    pub(super) fn log_conditions(&mut self, id: PodId, before: &PodConditions, by: Writer) {
        let after = self.pods[id.idx()].status.conditions;
        if after == *before {
            return;
        }
        for t in CondType::ALL {
            if let Some(c) = after.get(t)
                && before.get(t).is_none_or(|b| (b.status, b.reason, b.detail) != (c.status, c.reason, c.detail))
            {
                let (detail, status, reason) = (c.detail, c.status, c.reason);
                let c = ConditionChange { time: self.now, pod: id, detail, ty: t, status, reason, by };
                self.condition_log.push(c);
            }
        }
    }

    /// A failed scheduling attempt: `PodScheduled=False`, reason Unschedulable, the attempt's
    /// message. The scheduler's status patch changes nothing any watcher acts on, so it is
    /// applied without a watch event or a new resourceVersion.
    pub fn set_unschedulable(&mut self, id: PodId, msg: &Arc<str>) {
        let now = self.now;
        let current = self.pods[id.idx()].status.conditions.get(CondType::PodScheduled).copied();
        if let Some(c) = current
            && !c.status
            && self.sched_messages.get(c.detail as usize).is_some_and(|m| Arc::ptr_eq(m, msg) || **m == **msg)
        {
            return; // the same failure again
        }
        let index = match self.sched_messages.last() {
            Some(m) if Arc::ptr_eq(m, msg) => self.sched_messages.len() - 1,
            _ => {
                self.sched_messages.push(msg.clone());
                self.sched_messages.len() - 1
            }
        };
        let before = self.pods[id.idx()].status.conditions;
        let c = &mut self.pods[id.idx()].status.conditions;
        c.set(CondType::PodScheduled, false, CondReason::Unschedulable, index as u32, now);
        self.log_conditions(id, &before, Writer::Scheduler);
    }

    /// `DisruptionTarget=True` with the writer's reason, set just before the pod is deleted or
    /// killed (a status patch no watcher acts on: no watch event, as `set_unschedulable`).
    pub fn set_disruption_target(&mut self, id: PodId, reason: CondReason) {
        let now = self.now;
        let before = self.pods[id.idx()].status.conditions;
        let p = &mut self.pods[id.idx()];
        if p.removed.is_some() {
            return;
        }
        p.status.conditions.set(CondType::DisruptionTarget, true, reason, 0, now);
        self.log_conditions(id, &before, Writer::Controllers);
    }

    /// A condition's message as the API shows it.
    pub fn condition_message(&self, id: PodId, c: &Cond) -> Option<String> {
        crate::api::conditions::message(self.pod(id), c, &self.sched_messages)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_keeps_every_change_in_order_across_chunks() {
        let mut log = ConditionLog::default();
        assert!(log.is_empty());
        let n = 3 * crate::sim::chunked::Chunked::<ConditionChange>::CHUNK + 5;
        for i in 0..n {
            log.push(ConditionChange {
                time: SimTime(i as u64),
                pod: PodId(0),
                detail: 0,
                ty: CondType::Ready,
                status: i % 2 == 0,
                reason: CondReason::None,
                by: Writer::Kubelet,
            });
        }
        assert_eq!(log.len(), n);
        assert!(log.iter().enumerate().all(|(i, c)| c.time == SimTime(i as u64)));
        assert_eq!(std::mem::size_of::<ConditionChange>(), 24, "24 bytes a change");
    }
}
