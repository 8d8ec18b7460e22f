//! Pod networking: IPv4 addresses and CIDR blocks, the cluster's pod CIDR and how it is cut
//! into one block per node. Addresses are `u32`s on the hot path; text only at the edges.

use std::fmt;

/// The cluster's pod network when a scenario names none: the `podSubnet` kubeadm's docs and
/// flannel's manifest (`kube-flannel.yml`, `net-conf.json` "Network") use.
/// kube-controller-manager `--cluster-cidr` has no default of its own.
pub const DEFAULT_CLUSTER_CIDR: Cidr = Cidr { base: 0x0af4_0000, prefix: 16 };
/// kube-controller-manager `--node-cidr-mask-size` for IPv4 (`defaultNodeMaskCIDRIPv4`).
pub const DEFAULT_NODE_CIDR_MASK_SIZE: u8 = 24;
/// Where the nodes' own addresses (`InternalIP`) come from: kubesim's choice, the subnet
/// kind's Docker network hands out (`172.18.0.0/16`, nodes from `.2`).
pub const NODE_ADDRESS_BASE: u32 = 0xac12_0002;

/// An IPv4 block `base/prefix` (`base` has no host bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cidr {
    pub base: u32,
    pub prefix: u8,
}

impl Cidr {
    /// Parse `a.b.c.d/n`; host bits must be zero, as the API server's validation wants.
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let (ip, len) = s.split_once('/').ok_or_else(|| format!("{s:?} is not a CIDR (want a.b.c.d/n)"))?;
        let base = parse_ip(ip).ok_or_else(|| format!("{ip:?} is not an IPv4 address"))?;
        let prefix: u8 =
            len.parse().ok().filter(|&p| p <= 32).ok_or_else(|| format!("{len:?} is not a prefix length 0-32"))?;
        let cidr = Cidr { base, prefix };
        if base & !cidr.mask() != 0 {
            return Err(format!(
                "{s:?} has host bits set (did you mean {}?)",
                Cidr { base: base & cidr.mask(), prefix }
            ));
        }
        Ok(cidr)
    }

    pub fn mask(self) -> u32 {
        if self.prefix == 0 { 0 } else { u32::MAX << (32 - self.prefix) }
    }

    /// The number of addresses in the block.
    pub fn size(self) -> u64 {
        1u64 << (32 - self.prefix)
    }

    pub fn contains(self, ip: u32) -> bool {
        ip & self.mask() == self.base
    }

    /// The last address (the broadcast address of a subnet).
    pub fn last(self) -> u32 {
        self.base | !self.mask()
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", Ip(self.base), self.prefix)
    }
}

/// An IPv4 address, printed dotted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ip(pub u32);

impl fmt::Display for Ip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0.to_be_bytes();
        write!(f, "{}.{}.{}.{}", b[0], b[1], b[2], b[3])
    }
}

/// `a.b.c.d` (no leading zeros, as Go's `net.ParseIP` wants since 1.17).
pub fn parse_ip(s: &str) -> Option<u32> {
    let mut out = 0u32;
    let mut parts = 0;
    for part in s.split('.') {
        if part.is_empty() || part.len() > 3 || (part.len() > 1 && part.starts_with('0')) {
            return None;
        }
        let v: u8 = part.parse().ok()?;
        out = out << 8 | v as u32;
        parts += 1;
    }
    (parts == 4).then_some(out)
}

/// The `InternalIP` of the node created `index`-th.
pub fn node_address(index: u32) -> u32 {
    NODE_ADDRESS_BASE.wrapping_add(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs_parse_print_and_refuse_host_bits() {
        let c = Cidr::parse("10.244.0.0/16").unwrap();
        assert_eq!(c, DEFAULT_CLUSTER_CIDR);
        assert_eq!(c.to_string(), "10.244.0.0/16");
        assert_eq!((c.size(), Ip(c.last()).to_string()), (65_536, "10.244.255.255".into()));
        assert!(c.contains(parse_ip("10.244.3.7").unwrap()) && !c.contains(parse_ip("10.245.0.1").unwrap()));
        assert_eq!(
            Cidr::parse("10.244.1.0/16").unwrap_err(),
            "\"10.244.1.0/16\" has host bits set (did you mean 10.244.0.0/16?)"
        );
        assert!(Cidr::parse("10.244.0.0").is_err() && Cidr::parse("10.244.0.0/33").is_err());
        assert!(Cidr::parse("10.244.0.256/24").is_err() && Cidr::parse("010.1.0.0/16").is_err());
        assert_eq!(Cidr::parse("0.0.0.0/0").unwrap().size(), 1 << 32);
    }
}
