//! The image registry: each pull waits `latency` for its first byte, then downloads its bytes
//! at a rate shared fairly: a pull gets `min(nodeBandwidth / pulls on its node,
//! bandwidth / pulls in flight)`. Rates are recomputed when a transfer starts or ends, and only
//! the pulls whose rate changed get a new completion timer (stale ones carry an old generation).

use crate::api::{ImageId, NodeId};
use crate::sim::SimTime;

/// What the kubelet asked for; handed back when the bytes are on the node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PullToken {
    pub node: NodeId,
    /// The kubelet's own handle for the request.
    pub request: u32,
}

pub use crate::api::events::PullError;

/// Registry timers (world -> world).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegistryEvent {
    /// The pull in slot `slot` failed (its transfer was cut by an outage).
    TransferFailed { slot: u32 },
    /// The latency has passed: the transfer of slot `slot` begins.
    TransferStart { slot: u32 },
    /// Slot `slot` would finish now if its rate has not changed since generation `epoch`.
    TransferDone { slot: u32, epoch: u32 },
}

#[derive(Clone, Copy, Debug)]
struct Pull {
    token: PullToken,
    image: ImageId,
    /// Bytes still to transfer.
    remaining: u64,
    /// Bytes per second now (0 while waiting for the first byte).
    rate: u64,
    /// When `remaining` was last brought up to date.
    settled: SimTime,
    epoch: u32,
    transferring: bool,
    live: bool,
}

pub struct Registry {
    pub bandwidth: u64,
    pub node_bandwidth: u64,
    pub latency_ms: u64,
    slots: Vec<Pull>,
    free: Vec<u32>,
    transferring: u32,
    per_node: Vec<u32>,
    /// Faults: the registry is down; images that cannot be found; bandwidth divided by.
    outage: bool,
    missing: Vec<bool>,
    slow_factor: u64,
}

/// What the caller must schedule after a registry call.
pub type Timers = Vec<(SimTime, RegistryEvent)>;

impl Registry {
    pub fn new(bandwidth: u64, node_bandwidth: u64, latency_ms: u64, nodes: usize) -> Registry {
        Registry {
            bandwidth,
            node_bandwidth,
            latency_ms,
            slots: Vec::new(),
            free: Vec::new(),
            transferring: 0,
            per_node: vec![0; nodes],
            outage: false,
            missing: Vec::new(),
            slow_factor: 1,
        }
    }

    /// A node joined: it gets its own download link.
    pub fn add_node(&mut self) {
        self.per_node.push(0);
    }

    /// Start a pull of `bytes`; returns the timer for the end of the latency.
    pub fn start(&mut self, token: PullToken, image: ImageId, bytes: u64, now: SimTime) -> (SimTime, RegistryEvent) {
        let p =
            Pull { token, image, remaining: bytes, rate: 0, settled: now, epoch: 0, transferring: false, live: true };
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = p;
                s
            }
            None => {
                self.slots.push(p);
                self.slots.len() as u32 - 1
            }
        };
        (now.plus(self.latency_ms), RegistryEvent::TransferStart { slot })
    }

    /// `registry-outage` begins (pulls in flight fail now, new ones fail) or ends.
    pub fn set_outage(&mut self, on: bool, now: SimTime, timers: &mut Timers) {
        self.outage = on;
        if on {
            for (i, p) in self.slots.iter().enumerate() {
                if p.live && p.transferring {
                    timers.push((now, RegistryEvent::TransferFailed { slot: i as u32 }));
                }
            }
        }
    }

    /// The registry cannot be reached (`registry-outage`).
    pub fn is_down(&self) -> bool {
        self.outage
    }

    /// How long one pull of `bytes` alone takes: the latency, then the bytes at the slower of
    /// the registry's and a node's bandwidth (`registry-slow` included).
    pub fn solo_pull_ms(&self, bytes: u64) -> u64 {
        let rate = (self.bandwidth.min(self.node_bandwidth) / self.slow_factor).max(1);
        self.latency_ms + (bytes as u128 * 1000).div_ceil(rate as u128) as u64
    }

    /// `image-missing` begins or ends for `image`.
    pub fn set_missing(&mut self, image: ImageId, on: bool) {
        if self.missing.len() <= image.idx() {
            self.missing.resize(image.idx() + 1, false);
        }
        self.missing[image.idx()] = on;
    }

    /// `registry-slow`: bandwidth divided by `factor` (1 = normal again).
    pub fn set_slow(&mut self, factor: u64, now: SimTime, timers: &mut Timers) {
        self.slow_factor = factor.max(1);
        self.rebalance(now, timers);
    }

    fn end_transfer(&mut self, slot: u32) -> Pull {
        let p = self.slots[slot as usize];
        self.slots[slot as usize].live = false;
        self.free.push(slot);
        if p.transferring {
            self.transferring -= 1;
            self.per_node[p.token.node.idx()] -= 1;
        }
        p
    }

    /// Handle a registry timer. Returns the pull that finished (or failed), if one did, and
    /// pushes the timers to schedule into `timers`.
    pub fn handle(
        &mut self,
        ev: RegistryEvent,
        now: SimTime,
        timers: &mut Timers,
    ) -> Option<(PullToken, Result<(), PullError>)> {
        match ev {
            RegistryEvent::TransferFailed { slot } => {
                if !self.slots[slot as usize].live {
                    return None;
                }
                let p = self.end_transfer(slot);
                self.rebalance(now, timers);
                Some((p.token, Err(PullError::Unavailable)))
            }
            RegistryEvent::TransferStart { slot } => {
                let p = &mut self.slots[slot as usize];
                if !p.live {
                    return None;
                }
                let failure = if self.outage {
                    Some(PullError::Unavailable)
                } else if self.missing.get(p.image.idx()).copied().unwrap_or(false) {
                    Some(PullError::NotFound)
                } else {
                    None
                };
                if failure.is_some() || p.remaining == 0 {
                    // A failed pull, or nothing to download (only the manifest): no bandwidth.
                    let p = self.end_transfer(slot);
                    return Some((p.token, failure.map_or(Ok(()), Err)));
                }
                let p = &mut self.slots[slot as usize];
                p.transferring = true;
                p.settled = now;
                self.transferring += 1;
                self.per_node[p.token.node.idx()] += 1;
                self.rebalance(now, timers);
                None
            }
            RegistryEvent::TransferDone { slot, epoch } => {
                let p = self.slots[slot as usize];
                if !p.live || p.epoch != epoch {
                    return None;
                }
                let p = self.end_transfer(slot);
                self.rebalance(now, timers);
                Some((p.token, Ok(())))
            }
        }
    }

    fn rate_for(&self, node: NodeId) -> u64 {
        let on_node = self.per_node[node.idx()].max(1) as u64;
        let total = self.transferring.max(1) as u64;
        ((self.node_bandwidth / on_node).min(self.bandwidth / total) / self.slow_factor).max(1)
    }

    fn rebalance(&mut self, now: SimTime, timers: &mut Timers) {
        for i in 0..self.slots.len() {
            let p = self.slots[i];
            if !p.live || !p.transferring {
                continue;
            }
            let rate = self.rate_for(p.token.node);
            if rate == p.rate {
                continue;
            }
            let p = &mut self.slots[i];
            // Bring `remaining` up to now at the old rate, then re-time at the new one.
            let done = (p.rate as u128 * now.since(p.settled) as u128 / 1000) as u64;
            p.remaining = p.remaining.saturating_sub(done);
            p.settled = now;
            p.rate = rate;
            p.epoch = p.epoch.wrapping_add(1);
            let ms = (p.remaining as u128 * 1000).div_ceil(rate as u128) as u64;
            timers.push((now.plus(ms), RegistryEvent::TransferDone { slot: i as u32, epoch: p.epoch }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MI: u64 = 1024 * 1024;

    fn run(reg: &mut Registry, mut timers: Timers) -> Vec<(SimTime, PullToken)> {
        let mut q = crate::sim::EventQueue::default();
        for (t, e) in timers.drain(..) {
            q.schedule_at(t, 0, e);
        }
        let mut done = vec![];
        while let Some(e) = q.pop_until(SimTime::MAX) {
            if let Some((tok, _)) = reg.handle(e.event, e.time, &mut timers) {
                done.push((e.time, tok));
            }
            for (t, ev) in timers.drain(..) {
                q.schedule_at(t, 0, ev);
            }
        }
        done
    }

    #[test]
    fn single_pull_takes_latency_plus_size_over_bandwidth() {
        let mut r = Registry::new(1024 * MI, 100 * MI, 300, 2);
        let t = r.start(PullToken { node: NodeId(0), request: 7 }, ImageId(0), 70 * MI, SimTime(0));
        let done = run(&mut r, vec![t]);
        assert_eq!(done, vec![(SimTime(1000), PullToken { node: NodeId(0), request: 7 })]);
    }

    #[test]
    fn an_empty_pull_costs_the_latency_only() {
        let mut r = Registry::new(1024 * MI, 100 * MI, 300, 1);
        let t = r.start(PullToken { node: NodeId(0), request: 1 }, ImageId(0), 0, SimTime(5));
        assert_eq!(run(&mut r, vec![t]), vec![(SimTime(305), PullToken { node: NodeId(0), request: 1 })]);
    }

    #[test]
    fn global_bandwidth_is_shared() {
        // Two nodes, registry 100Mi/s in all: two 100Mi pulls share it and end together at 2s.
        let mut r = Registry::new(100 * MI, 100 * MI, 0, 2);
        let a = r.start(PullToken { node: NodeId(0), request: 1 }, ImageId(0), 100 * MI, SimTime(0));
        let b = r.start(PullToken { node: NodeId(1), request: 2 }, ImageId(0), 100 * MI, SimTime(0));
        let done = run(&mut r, vec![a, b]);
        assert_eq!(done.len(), 2);
        assert!(done.iter().all(|(t, _)| *t == SimTime(2000)), "{done:?}");
    }
}
