//! The node IPAM controller's range allocator (kube-controller-manager, `--allocate-node-cidrs`):
//! each node gets the next free `/--node-cidr-mask-size` block of `--cluster-cidr` as its
//! `spec.podCIDR`, round robin from the last one handed out (`cidrset.AllocateNext`); a
//! deleted node's block is free again. With none left the node gets none and the event
//! `CIDRNotAvailable`. kubesim runs it when the node registers (upstream: within the
//! informer's latency), so a node never runs pods before it has its block.

use crate::api::network::Cidr;
use crate::apiserver::ApiServer;

/// The allocator as a cluster runs it: the blocks, and how many deleted nodes' blocks it
/// has taken back.
#[derive(Clone, Debug)]
pub struct NodeIpam {
    set: CidrSet,
    released: usize,
}

impl NodeIpam {
    /// For settings the scenario loader has checked.
    pub fn new(s: &crate::api::settings::KubeSettings) -> NodeIpam {
        NodeIpam { set: CidrSet::new(s.cluster_cidr, s.node_cidr_mask_size).expect("validated"), released: 0 }
    }

    /// The block of a node that registers now (`None`: `CIDRNotAvailable`). Blocks of nodes
    /// deleted since the last call are free again first.
    pub fn next_block(&mut self, api: &ApiServer) -> Option<Cidr> {
        for &n in &api.deleted_nodes[self.released..] {
            if let Some(c) = api.node(n).pod_cidr {
                self.set.release(c);
            }
        }
        self.released = api.deleted_nodes.len();
        self.set.allocate()
    }
}

/// `cidrset`: more than 2^16 blocks per cluster CIDR is refused upstream.
pub const MAX_PREFIX_DIFFERENCE: u8 = 16;

/// The blocks of one cluster CIDR and which are taken.
#[derive(Clone, Debug)]
pub struct CidrSet {
    cluster: Cidr,
    node_prefix: u8,
    used: Vec<bool>,
    allocated: usize,
    next: usize,
}

impl CidrSet {
    /// Upstream's `NewCIDRSet` checks, with its wording.
    pub fn new(cluster: Cidr, node_prefix: u8) -> Result<CidrSet, String> {
        if node_prefix < cluster.prefix || node_prefix > 32 {
            return Err(format!(
                "nodeCIDRMaskSize {node_prefix} must be between the cluster CIDR's prefix length {} and 32",
                cluster.prefix
            ));
        }
        if node_prefix - cluster.prefix > MAX_PREFIX_DIFFERENCE {
            return Err(format!(
                "CIDRSet: subnetMaskSize {node_prefix} is too large, the difference with the cluster CIDR's mask {} must be at most {MAX_PREFIX_DIFFERENCE}",
                cluster.prefix
            ));
        }
        let n = 1usize << (node_prefix - cluster.prefix);
        Ok(CidrSet { cluster, node_prefix, used: vec![false; n], allocated: 0, next: 0 })
    }

    /// How many node blocks the cluster CIDR holds.
    pub fn capacity(&self) -> usize {
        self.used.len()
    }

    fn block(&self, i: usize) -> Cidr {
        let step = 1u64 << (32 - self.node_prefix);
        Cidr { base: (self.cluster.base as u64 + i as u64 * step) as u32, prefix: self.node_prefix }
    }

    /// `AllocateNext`: the first free block at or after the one after the last handed out.
    pub fn allocate(&mut self) -> Option<Cidr> {
        if self.allocated == self.used.len() {
            return None;
        }
        let n = self.used.len();
        let i = (0..n).map(|k| (self.next + k) % n).find(|&i| !self.used[i])?;
        self.used[i] = true;
        self.allocated += 1;
        self.next = (i + 1) % n;
        Some(self.block(i))
    }

    /// `Release`: a deleted node's block.
    pub fn release(&mut self, c: Cidr) {
        if c.prefix != self.node_prefix || !self.cluster.contains(c.base) {
            return;
        }
        let i = ((c.base - self.cluster.base) >> (32 - self.node_prefix)) as usize;
        if std::mem::take(&mut self.used[i]) {
            self.allocated -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(cluster: &str, mask: u8) -> CidrSet {
        CidrSet::new(Cidr::parse(cluster).unwrap(), mask).unwrap()
    }

    /// cidr_set_test.go `TestCIDRSetFullyAllocated`: a /30 cut into /30s holds one block;
    /// released, the same block comes back.
    #[test]
    fn a_fully_allocated_set_refuses_until_a_block_is_released() {
        let mut s = set("127.123.234.0/30", 30);
        let c = s.allocate().unwrap();
        assert_eq!(c.to_string(), "127.123.234.0/30");
        assert_eq!(s.allocate(), None);
        s.release(c);
        assert_eq!(s.allocate(), Some(c));
        assert_eq!(s.allocate(), None);
    }

    /// `TestCIDRSet_RandomishAllocation`: 256 /24s of a /16 come out in order, then none; once
    /// all are released they come out again in the same order (round robin from the start).
    #[test]
    fn blocks_come_out_in_order_and_again_after_release() {
        let mut s = set("127.123.0.0/16", 24);
        let mut got = Vec::new();
        for i in 0..256 {
            let c = s.allocate().unwrap();
            assert_eq!(c.to_string(), format!("127.123.{i}.0/24"));
            got.push(c);
        }
        assert_eq!(s.allocate(), None);
        for c in &got {
            s.release(*c);
        }
        for c in &got {
            assert_eq!(s.allocate(), Some(*c));
        }
    }

    /// Round robin: a released block is not reused before the ones after the last handed out.
    #[test]
    fn a_released_block_waits_its_turn() {
        let mut s = set("10.244.0.0/16", 24);
        let a = s.allocate().unwrap();
        let _b = s.allocate().unwrap();
        s.release(a);
        assert_eq!(s.allocate().unwrap().to_string(), "10.244.2.0/24");
    }

    /// `TestNewCIDRSet`'s limits: more than 16 bits of blocks, or a mask shorter than the cluster's.
    #[test]
    fn sizes_upstream_refuses_are_refused() {
        assert!(CidrSet::new(Cidr::parse("10.0.0.0/8").unwrap(), 25).is_err());
        assert!(CidrSet::new(Cidr::parse("10.0.0.0/8").unwrap(), 24).is_ok());
        assert!(CidrSet::new(Cidr::parse("10.244.0.0/16").unwrap(), 15).is_err());
        assert_eq!(set("10.0.0.0/8", 24).capacity(), 65_536);
    }
}
