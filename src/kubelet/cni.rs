//! The pod sandbox's network (CRI `RunPodSandbox` -> CNI ADD): the reference `bridge` plugin
//! with `host-local` IPAM over the node's pod CIDR. host-local hands out addresses round robin
//! from the one after the last reserved, skipping the gateway (the block's first address), and
//! frees one when the sandbox is torn down. A pod on `hostNetwork` takes the node's address.
//! A sandbox that cannot be set up is a `FailedCreatePodSandBox` event, tried again at the pod
//! worker's next sync.

use super::*;
use crate::api::network::{Cidr, Ip};

/// The sandbox (pause) image on the node: there, or being pulled by the runtime (inside
/// `RunPodSandbox`, so without kubelet events) until a time, or not there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SandboxImage {
    Present,
    Pulling { until: SimTime },
    Absent,
}

/// host-local's allocator over one range: `rangeStart` = network + 1, `rangeEnd` = broadcast
/// - 1, the gateway (network + 1) never handed out.
#[derive(Clone, Debug)]
pub struct HostLocal {
    block: Cidr,
    used: Vec<bool>,
    /// Offset of the last reserved address (`last_reserved_ip`), if any.
    last: Option<u32>,
}

impl HostLocal {
    pub fn new(block: Cidr) -> HostLocal {
        HostLocal { block, used: vec![false; block.size() as usize], last: None }
    }

    fn start(&self) -> u32 {
        1
    }

    fn end(&self) -> u32 {
        (self.block.size() as u32).saturating_sub(2).max(1)
    }

    /// `failed to allocate for range 0: no IP addresses available in range set: A-B`.
    pub fn exhausted_message(&self) -> String {
        let (a, b) = (self.block.base + self.start(), self.block.base + self.end());
        format!("failed to allocate for range 0: no IP addresses available in range set: {}-{}", Ip(a), Ip(b))
    }

    /// The next free address after the last reserved one (wrapping), or `None`.
    pub fn allocate(&mut self) -> Option<u32> {
        let (start, end) = (self.start(), self.end());
        let n = end + 1 - start;
        let from = self.last.map_or(start, |l| if l >= end { start } else { l + 1 });
        for k in 0..n {
            let off = start + (from - start + k) % n;
            // The gateway is the range's first address: never a pod's.
            if off == start || self.used[off as usize] {
                continue;
            }
            self.used[off as usize] = true;
            self.last = Some(off);
            return Some(self.block.base + off);
        }
        None
    }

    pub fn release(&mut self, ip: u32) {
        if self.block.contains(ip) {
            self.used[(ip - self.block.base) as usize] = false;
        }
    }
}

/// A sandbox's (or container's) id as containerd prints it (64 hex digits), derived from the
/// pod and the attempt so that runs repeat without drawing from a random stream.
pub(super) fn runtime_id(pod: PodId, node: NodeId, attempt: u32) -> String {
    let mut x = (pod.0 as u64) << 32 | (node.0 as u64) << 8 ^ attempt as u64;
    (0..4)
        .map(|_| {
            // splitmix64
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            format!("{:016x}", z ^ (z >> 31))
        })
        .collect()
}

impl Kubelet {
    /// `RunPodSandbox` for a pod whose volumes are ready: its address. False when the network
    /// cannot give it one (the event recorded, a retry scheduled).
    pub(super) fn sandbox_ready(&mut self, id: PodId, ctx: &mut Ctx) -> bool {
        let node = self.node;
        let Some(w) = self.workers.get(&id) else { return false };
        if w.sandbox || w.killing {
            return w.sandbox;
        }
        if let Err(why) = self.sandbox_image_ready(id, ctx) {
            if let Some(why) = why {
                self.sandbox_failed(id, why, ctx);
            }
            return false;
        }
        if self.pids_exhausted(ctx) {
            let w = self.workers.get_mut(&id).expect("worker exists");
            w.sandbox_attempts += 1;
            let sandbox = runtime_id(id, node, w.sandbox_attempts);
            let why = format!("failed to start sandbox {sandbox:?}: {}", super::start_errors::FORK_FAILED);
            self.sandbox_failed(id, why, ctx);
            return false;
        }
        let w = &self.workers[&id];
        let n = ctx.api.node(node);
        let ip = if w.spec.host_network {
            Ok(n.address)
        } else {
            let block = n.pod_cidr;
            let net = self.network.get_or_insert_with(|| block.map(HostLocal::new));
            match net {
                // containerd has no CNI config loaded (`cni-down`), whatever the kubelet knows yet.
                _ if self.runtime.network_down => Err("cni plugin not initialized".to_string()),
                Some(h) => h
                    .allocate()
                    .ok_or_else(|| format!("plugin type=\"bridge\" failed (add): {}", h.exhausted_message())),
                None => Err("cni plugin not initialized".to_string()),
            }
        };
        let w = self.workers.get_mut(&id).expect("worker exists");
        match ip {
            Ok(ip) => {
                w.sandbox = true;
                w.ip = (!w.spec.host_network).then_some(ip);
                // The sandbox's address and PodReadyToStartContainers reach the API with the next
                // sync's status write.
                ctx.api.update_pod_status(id, Watcher::Kubelet(node), |p| {
                    p.status.pod_ip = Some(ip);
                    p.status.sandbox_ready = true;
                });
                true
            }
            Err(why) => {
                w.sandbox_attempts += 1;
                let sandbox = runtime_id(id, node, w.sandbox_attempts);
                self.sandbox_failed(id, format!("failed to setup network for sandbox {sandbox:?}: {why}"), ctx);
                false
            }
        }
    }

    /// `FailedCreatePodSandBox` with the runtime's error; the pod worker tries again at its next
    /// sync.
    fn sandbox_failed(&mut self, id: PodId, why: String, ctx: &mut Ctx) {
        let node = self.node;
        let msg = format!("Failed to create pod sandbox: rpc error: code = Unknown desc = {why}");
        pod_event(ctx, id, Some(node), EventType::Warning, "FailedCreatePodSandBox", Message::Text(msg.into()));
        let wait = error_requeue_ms(ctx);
        ctx.after(wait, Event::Kubelet(node, KubeletEvent::SandboxRetry { pod: id }));
    }

    /// The runtime needs the sandbox image before it can create a sandbox: pulled (alone, at the
    /// registry's and the node's bandwidth) the first time it is missing. `Err(None)`: wait (a
    /// retry is scheduled for the pull's end); `Err(Some(why))`: the registry cannot be reached.
    fn sandbox_image_ready(&mut self, id: PodId, ctx: &mut Ctx) -> Result<(), Option<String>> {
        let now = ctx.now;
        match self.sandbox_image {
            SandboxImage::Present => Ok(()),
            SandboxImage::Pulling { until } if now >= until => {
                self.sandbox_image = SandboxImage::Present;
                Ok(())
            }
            SandboxImage::Pulling { until } => {
                ctx.at(until, Event::Kubelet(self.node, KubeletEvent::SandboxRetry { pod: id }));
                Err(None)
            }
            SandboxImage::Absent if ctx.registry.is_down() => {
                let i = &self.sandbox_image_name;
                Err(Some(format!(
                    "failed to get sandbox image \"{i}\": failed to pull image \"{i}\": failed to pull and unpack image \"{i}\": failed to resolve reference \"{i}\": dial tcp: connect: connection refused"
                )))
            }
            SandboxImage::Absent => {
                let until = now.plus(ctx.registry.solo_pull_ms(crate::api::settings::SANDBOX_IMAGE_BYTES));
                self.sandbox_image = SandboxImage::Pulling { until };
                ctx.at(until, Event::Kubelet(self.node, KubeletEvent::SandboxRetry { pod: id }));
                Err(None)
            }
        }
    }

    /// The pod worker syncs again after a failed sandbox.
    pub(super) fn sandbox_retry(&mut self, id: PodId, ctx: &mut Ctx) {
        let Some(w) = self.workers.get(&id) else { return };
        if w.killing || w.sandbox {
            return;
        }
        self.advance(id, ctx);
    }

    /// The sandbox is torn down: its address goes back to host-local.
    pub(super) fn release_ip(&mut self, ip: Option<u32>) {
        if let (Some(ip), Some(Some(h))) = (ip, self.network.as_mut()) {
            h.release(ip);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A /24 holds 253 pod addresses (.2 to .254: .1 is the gateway, .0 and .255 are the
    /// network and broadcast addresses), handed out round robin.
    #[test]
    fn host_local_hands_out_253_addresses_of_a_24_round_robin() {
        let mut h = HostLocal::new(Cidr::parse("10.244.1.0/24").unwrap());
        let first = h.allocate().unwrap();
        assert_eq!(Ip(first).to_string(), "10.244.1.2");
        let mut n = 1;
        while h.allocate().is_some() {
            n += 1;
        }
        assert_eq!(n, 253);
        assert_eq!(
            h.exhausted_message(),
            "failed to allocate for range 0: no IP addresses available in range set: 10.244.1.1-10.244.1.254"
        );
        // A freed address is handed out again only once the range comes round to it.
        h.release(first);
        h.release(first + 10);
        assert_eq!(Ip(h.allocate().unwrap()).to_string(), "10.244.1.2");
        assert_eq!(Ip(h.allocate().unwrap()).to_string(), "10.244.1.12");
        assert_eq!(h.allocate(), None);
    }

    #[test]
    fn after_a_release_the_next_address_follows_the_last_reserved() {
        let mut h = HostLocal::new(Cidr::parse("10.244.0.0/24").unwrap());
        let a = h.allocate().unwrap();
        let b = h.allocate().unwrap();
        h.release(a);
        assert_eq!(h.allocate().unwrap(), b + 1);
    }

    #[test]
    fn sandbox_ids_are_64_hex_digits_and_differ_per_attempt() {
        let a = runtime_id(PodId(3), NodeId(1), 1);
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, runtime_id(PodId(3), NodeId(1), 2));
    }
}
