//! The event queue: a binary heap ordered by `(time, seq)`, beside FIFO lanes for the delays
//! most events use.
//!
//! A plain `BinaryHeap` was measured at about 3x the throughput of the `priority-queue` crate
//! for the hold model; keyed updates are not needed here because stale timers are cancelled
//! lazily (they carry a generation and are dropped when popped).
//!
//! Most events of a run are scheduled a fixed delay after now (watch deliveries, work-queue
//! kicks, batch periods): for one delay, events pushed later are due later (now only grows)
//! and have a larger `seq`, so a FIFO of them is already sorted. A lane holds them in O(1)
//! instead of a heap sift; `pop` takes the smallest `(time, seq)` among the lanes' fronts and
//! the heap's top: the same total order as a single heap.

use super::SimTime;
use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

/// At most this many lanes: each costs one comparison per pop.
pub const MAX_LANES: usize = 4;

/// One scheduled event. `cause` is an opaque word the owner uses to link what a handler records
/// to what triggered it (kubesim stores the id of a recorded Kubernetes Event, 0 = none).
#[derive(Clone, Copy, Debug)]
pub struct Scheduled<E> {
    pub time: SimTime,
    pub seq: u64,
    pub cause: u32,
    pub event: E,
}

impl<E> PartialEq for Scheduled<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}
impl<E> Eq for Scheduled<E> {}
impl<E> PartialOrd for Scheduled<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Scheduled<E> {
    // Reversed: BinaryHeap is a max-heap and we want the earliest (time, seq) first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

/// The kernel's clock and queue.
pub struct EventQueue<E> {
    heap: BinaryHeap<Scheduled<E>>,
    /// FIFO lanes, one per registered delay (`add_lane`).
    lanes: Vec<(u64, VecDeque<Scheduled<E>>)>,
    now: SimTime,
    next_seq: u64,
    popped: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::with_capacity(0)
    }
}

impl<E> EventQueue<E> {
    pub fn with_capacity(cap: usize) -> Self {
        EventQueue {
            heap: BinaryHeap::with_capacity(cap),
            lanes: Vec::new(),
            now: SimTime::ZERO,
            next_seq: 0,
            popped: 0,
        }
    }

    /// Keep the events scheduled exactly `delay_ms` after now in a FIFO lane (a delay many
    /// events use). Only an optimisation: the order of events is the same without it.
    pub fn add_lane(&mut self, delay_ms: u64) {
        if self.lanes.len() < MAX_LANES && !self.lanes.iter().any(|l| l.0 == delay_ms) {
            self.lanes.push((delay_ms, VecDeque::new()));
        }
    }

    /// The time of the event being handled (or of the last one popped).
    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Events popped so far.
    pub fn processed(&self) -> u64 {
        self.popped
    }

    pub fn pending(&self) -> usize {
        self.heap.len() + self.lanes.iter().map(|l| l.1.len()).sum::<usize>()
    }

    /// Schedule `event` at absolute time `at` (clamped to now: time never goes backwards).
    #[inline]
    pub fn schedule_at(&mut self, at: SimTime, cause: u32, event: E) {
        let time = if at < self.now { self.now } else { at };
        let seq = self.next_seq;
        self.next_seq += 1;
        let e = Scheduled { time, seq, cause, event };
        let delay = time.0 - self.now.0;
        match self.lanes.iter_mut().find(|l| l.0 == delay) {
            Some(l) => l.1.push_back(e),
            None => self.heap.push(e),
        }
    }

    /// Schedule `event` `delay_ms` after now.
    #[inline]
    pub fn schedule_in(&mut self, delay_ms: u64, cause: u32, event: E) {
        self.schedule_at(self.now.plus(delay_ms), cause, event);
    }

    /// Pop the next event if it is due at or before `end`; advances the clock.
    #[inline]
    pub fn pop_until(&mut self, end: SimTime) -> Option<Scheduled<E>> {
        // The earliest of the heap's top (lane index MAX_LANES) and the lanes' fronts.
        let mut best: Option<((SimTime, u64), usize)> = self.heap.peek().map(|e| ((e.time, e.seq), MAX_LANES));
        for (i, l) in self.lanes.iter().enumerate() {
            if let Some(e) = l.1.front()
                && best.is_none_or(|(k, _)| (e.time, e.seq) < k)
            {
                best = Some(((e.time, e.seq), i));
            }
        }
        let ((time, _), from) = best?;
        if time > end {
            return None;
        }
        let e = if from == MAX_LANES { self.heap.pop()? } else { self.lanes[from].1.pop_front()? };
        debug_assert!(e.time >= self.now, "virtual time went backwards");
        self.now = e.time;
        self.popped += 1;
        Some(e)
    }

    /// Move the clock to `end` (the clean stop at `spec.duration`).
    pub fn advance_to(&mut self, end: SimTime) {
        if end > self.now {
            self.now = end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_by_time_then_fifo() {
        let mut q = EventQueue::default();
        q.schedule_at(SimTime(5), 0, 'c');
        q.schedule_at(SimTime(1), 0, 'a');
        q.schedule_at(SimTime(5), 0, 'd');
        q.schedule_at(SimTime(1), 0, 'b');
        q.schedule_at(SimTime(9), 0, 'e');
        let mut out = vec![];
        while let Some(e) = q.pop_until(SimTime(8)) {
            out.push((e.time.0, e.event));
        }
        assert_eq!(out, vec![(1, 'a'), (1, 'b'), (5, 'c'), (5, 'd')]);
        assert_eq!(q.pending(), 1);
        assert_eq!(q.now(), SimTime(5));
    }

    #[test]
    fn lanes_keep_the_single_heap_order() {
        // The same pushes with and without lanes pop in the same (time, seq) order.
        let run = |lanes: &[u64]| {
            let mut q = EventQueue::default();
            for &d in lanes {
                q.add_lane(d);
            }
            let mut out = vec![];
            let mut x = 7u64;
            for i in 0..2000u32 {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let d = [0, 0, 5, 5, 1000, 1][(x >> 33) as usize % 6]
                    + if (x >> 40).is_multiple_of(4) { x >> 50 } else { 0 };
                q.schedule_in(d, 0, i);
                if (x >> 20).is_multiple_of(3)
                    && let Some(e) = q.pop_until(SimTime::MAX)
                {
                    out.push((e.time, e.seq, e.event));
                }
            }
            while let Some(e) = q.pop_until(SimTime::MAX) {
                out.push((e.time, e.seq, e.event));
            }
            out
        };
        let plain = run(&[]);
        assert_eq!(plain.len(), 2000);
        assert_eq!(run(&[0, 5, 1000, 1]), plain);
        assert_eq!(run(&[5]), plain);
    }

    #[test]
    fn past_is_clamped_to_now() {
        let mut q = EventQueue::default();
        q.schedule_at(SimTime(10), 0, 1);
        q.pop_until(SimTime::MAX);
        q.schedule_at(SimTime(3), 0, 2);
        assert_eq!(q.pop_until(SimTime::MAX).unwrap().time, SimTime(10));
    }
}
