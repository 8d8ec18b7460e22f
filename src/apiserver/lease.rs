//! Node leases, computed rather than written: each kubelet's renewal grid, its stops and
//! restarts, and what the API shows of it.

use super::*;

/// A node's Lease, computed rather than written every 10 s: while its kubelet runs, it renews
/// at `start`, then every `interval + jitter_k` (client-go's sliding `JitterUntil`, jitter up
/// to 4%), so the renewTime at any moment is known without an event per renewal. A kubelet
/// that stops (power off, killed) ends the grid; one that starts again begins a new one. While
/// the kubelet cannot reach the API its renewals are lost: the API keeps the last one before.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Lease {
    pub(super) start: SimTime,
    pub(super) epoch: u32,
    pub(super) stop: Option<SimTime>,
    /// Cursor into the grid: renewal number `k` happened at `t` (queries only move forward).
    pub(super) k: u64,
    pub(super) t: SimTime,
    /// The renewTime the API kept when the kubelet lost the API server, and when it came back.
    pub(super) frozen: SimTime,
    pub(super) back_at: SimTime,
    /// The recorded event that stopped the renewals (a fault), or that the kubelet reported
    /// NotReady with: the cause of the node controller's reaction.
    pub(super) why: EventId,
    /// The recorded event that brought the renewals back (a power-on, a restarted kubelet, a
    /// healed partition): the cause of the node controller's `NodeReady`.
    pub(super) back_why: EventId,
}

/// SplitMix64: the k-th jitter of a node's lease grid as a pure function of its coordinates.
pub(super) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl ApiServer {
    /// Set the lease grid: renew every `interval_ms` plus up to `jitter_ms`, jitters from `seed`.
    pub fn configure_leases(&mut self, interval_ms: u64, jitter_ms: u64, seed: u64) {
        self.lease_interval_ms = interval_ms.max(1);
        self.lease_jitter_ms = jitter_ms;
        self.lease_seed = seed;
    }

    fn jitter(&self, n: NodeId, epoch: u32, k: u64) -> u64 {
        let h =
            mix(self.lease_seed ^ mix((n.0 as u64) << 32 | epoch as u64) ^ mix(k.wrapping_mul(0x2545_f491_4f6c_dd1d)));
        h % (self.lease_jitter_ms + 1)
    }

    /// The node's kubelet starts renewing now (boot, restart): a new grid.
    pub fn lease_start(&mut self, n: NodeId, now: SimTime) {
        let l = &mut self.leases[n.idx()];
        let epoch = l.epoch.wrapping_add(1);
        *l = Lease { start: now, epoch, stop: None, k: 0, t: now, ..*l };
    }

    /// The node's kubelet stops renewing (power off, killed).
    pub fn lease_stop(&mut self, n: NodeId, now: SimTime, why: EventId) {
        let last = self.grid_last(n, now);
        let l = &mut self.leases[n.idx()];
        l.why = why;
        if l.stop.is_none() {
            l.stop = Some(now.max(last));
        }
        self.suspects.insert(n);
    }

    /// The last renewal of the grid at or before `now` (its start if none yet happened), as
    /// (renewal number, time), walking on from the cursor when it is not past `now`.
    fn grid_walk(&self, n: NodeId, now: SimTime) -> (u64, SimTime) {
        let l = self.leases[n.idx()];
        let until = l.stop.map_or(now, |s| s.min(now));
        if until < l.start {
            return (0, l.start);
        }
        let (mut k, mut t) = if l.t <= until { (l.k, l.t) } else { (0, l.start) };
        loop {
            let next = t.plus(self.lease_interval_ms + self.jitter(n, l.epoch, k));
            if next > until {
                break;
            }
            k += 1;
            t = next;
        }
        (k, t)
    }

    fn grid_last(&mut self, n: NodeId, now: SimTime) -> SimTime {
        let (k, t) = self.grid_walk(n, now);
        let l = &mut self.leases[n.idx()];
        (l.k, l.t) = (k, t);
        t
    }

    /// `Lease.spec.renewTime` at `now`, for the views (leaves the cursor where it is).
    pub fn lease_renew_time(&self, n: NodeId, now: SimTime) -> SimTime {
        let l = self.leases[n.idx()];
        if self.is_disconnected(n) {
            return l.frozen;
        }
        let g = self.grid_walk(n, now).1;
        if g >= l.back_at { g } else { l.frozen }
    }

    /// `Lease.spec.renewTime` as the API shows it at `now`.
    pub fn lease_renewed(&mut self, n: NodeId, now: SimTime) -> SimTime {
        if self.is_disconnected(n) {
            return self.leases[n.idx()].frozen;
        }
        let g = self.grid_last(n, now);
        let l = self.leases[n.idx()];
        if g >= l.back_at { g } else { l.frozen }
    }

    /// Note what brought the node's kubelet back in touch (see `Lease::back_why`).
    pub fn set_lease_back_why(&mut self, n: NodeId, why: EventId) {
        self.leases[n.idx()].back_why = why;
    }

    pub fn lease_back_why(&self, n: NodeId) -> EventId {
        self.leases[n.idx()].back_why
    }

    /// The event that stopped the node's lease from being renewed, or that its kubelet
    /// reported NotReady with (0: none known).
    pub fn lease_why(&self, n: NodeId) -> EventId {
        self.leases[n.idx()].why
    }

    /// The kubelet reports the node NotReady: the event the node controller's reaction follows.
    pub fn set_not_ready_why(&mut self, n: NodeId, why: EventId) {
        self.leases[n.idx()].why = why;
    }

    /// Whether the node's lease cannot be stale whatever the time: its kubelet renews, reaches
    /// the API, and renews more often than `grace_ms`.
    pub fn lease_is_live(&self, n: NodeId, grace_ms: u64) -> bool {
        self.leases[n.idx()].stop.is_none()
            && !self.is_disconnected(n)
            && self.lease_interval_ms + self.lease_jitter_ms < grace_ms
    }
}
