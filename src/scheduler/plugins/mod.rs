//! The plugins of kube-scheduler's default profile (v1.34), each in a module named after its
//! upstream package, with upstream's integer arithmetic. This module holds what they share:
//! the per-node cache (`NodeInfo`), the filter verdict with upstream's reason strings, and the
//! framework helpers (`DefaultNormalizeScore`, `numFeasibleNodesToFind`).

pub mod helper;
pub mod imagelocality;
pub mod interpodaffinity;
pub mod nodeaffinity;
pub mod nodeports;
pub mod noderesources;
pub mod podtopologyspread;
pub mod tainttoleration;

use crate::api::{Node, Resources, TaintEffect};

/// The default profile's score plugins, by name, in upstream's order (`getDefaultPlugins`).
/// Their weights are `super::SCORE_PLUGINS`, indexed by `as usize`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScorePlugin {
    TaintToleration,
    NodeAffinity,
    NodeResourcesFit,
    PodTopologySpread,
    InterPodAffinity,
    NodeResourcesBalancedAllocation,
    ImageLocality,
}

impl ScorePlugin {
    pub const COUNT: usize = 7;
    pub const ALL: [ScorePlugin; Self::COUNT] = [
        ScorePlugin::TaintToleration,
        ScorePlugin::NodeAffinity,
        ScorePlugin::NodeResourcesFit,
        ScorePlugin::PodTopologySpread,
        ScorePlugin::InterPodAffinity,
        ScorePlugin::NodeResourcesBalancedAllocation,
        ScorePlugin::ImageLocality,
    ];

    pub fn name(self) -> &'static str {
        super::SCORE_PLUGINS[self as usize].0
    }

    pub fn weight(self) -> i64 {
        super::SCORE_PLUGINS[self as usize].1
    }
}

/// `framework.MaxNodeScore`.
pub const MAX_NODE_SCORE: i64 = 100;
/// `minFeasibleNodesToFind`.
pub const MIN_FEASIBLE_NODES_TO_FIND: usize = 100;
/// `minFeasibleNodesPercentageToFind`.
pub const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND: usize = 5;
/// The taint a cordoned node carries, which NodeUnschedulable lets tolerating pods past.
pub const TAINT_NODE_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";

/// Why a node was filtered out: a set of reasons (NodeResourcesFit can give several; the other
/// plugins one each, and the first failing plugin ends the chain as in the framework).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    pub bits: u32,
    /// Index of the first untolerated taint, when `TAINT` is set.
    pub taint: u16,
}

pub const UNSCHEDULABLE: u32 = 1;
pub const NODE_NAME: u32 = 1 << 1;
pub const TAINT: u32 = 1 << 2;
pub const AFFINITY: u32 = 1 << 3;
pub const PODS: u32 = 1 << 4;
pub const CPU: u32 = 1 << 5;
pub const MEMORY: u32 = 1 << 6;
pub const STORAGE: u32 = 1 << 7;
/// `EXT << i`: extended resource `i` is short.
pub const EXT: u32 = 1 << 8;
pub const SPREAD: u32 = 1 << 12;
pub const SPREAD_LABEL: u32 = 1 << 13;
pub const POD_AFFINITY: u32 = 1 << 14;
pub const POD_ANTI_AFFINITY: u32 = 1 << 15;
pub const EXISTING_ANTI_AFFINITY: u32 = 1 << 16;
/// NodePorts: a host port the pod asks for is taken on the node.
pub const PORTS: u32 = 1 << 17;
/// Reasons preemption cannot fix (`UnschedulableAndUnresolvable`).
pub const UNRESOLVABLE: u32 = UNSCHEDULABLE | NODE_NAME | TAINT | AFFINITY | SPREAD_LABEL | POD_AFFINITY;
/// The NodeResourcesFit reasons.
pub const RESOURCES: u32 = PODS | CPU | MEMORY | STORAGE | (0xF * EXT);

/// The framework's status codes (`fwk.Code`) as the plugins return them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    Success,
    /// Preemption might make the node fit.
    Unschedulable,
    /// Removing pods cannot help (a taint, a selector, a missing label).
    UnschedulableAndUnresolvable,
    /// PreFilter/PreScore: the plugin has nothing to do for this pod.
    Skip,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Success => "Success",
            Code::Unschedulable => "Unschedulable",
            Code::UnschedulableAndUnresolvable => "UnschedulableAndUnresolvable",
            Code::Skip => "Skip",
        }
    }
}

impl Verdict {
    pub fn fits(self) -> bool {
        self.bits == 0
    }
    /// The status code of the plugin that failed (or Success).
    pub fn code(self) -> Code {
        if self.bits == 0 {
            Code::Success
        } else if self.bits & UNRESOLVABLE != 0 {
            Code::UnschedulableAndUnresolvable
        } else {
            Code::Unschedulable
        }
    }
    pub fn of(bits: u32) -> Verdict {
        Verdict { bits, taint: 0 }
    }
}

/// The reason strings of the bits that do not depend on the node (an untolerated taint names
/// the taint; an extended resource its name), as upstream's plugins word them.
pub const FIXED_REASONS: [(u32, &str); 13] = [
    (UNSCHEDULABLE, "node(s) were unschedulable"),
    (NODE_NAME, "node(s) didn't match the requested node name"),
    (AFFINITY, "node(s) didn't match Pod's node affinity/selector"),
    (PORTS, nodeports::ERR_REASON),
    (PODS, "Too many pods"),
    (CPU, "Insufficient cpu"),
    (MEMORY, "Insufficient memory"),
    (STORAGE, "Insufficient ephemeral-storage"),
    (SPREAD, "node(s) didn't match pod topology spread constraints"),
    (SPREAD_LABEL, "node(s) didn't match pod topology spread constraints (missing required label)"),
    (POD_AFFINITY, "node(s) didn't match pod affinity rules"),
    (POD_ANTI_AFFINITY, "node(s) didn't match pod anti-affinity rules"),
    (EXISTING_ANTI_AFFINITY, "node(s) didn't satisfy existing pods anti-affinity rules"),
];

/// Every reason of a verdict as text (for the trace and for messages).
pub fn reasons(v: Verdict, node: &Node, ext_names: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for &(bit, text) in &FIXED_REASONS {
        if v.bits & bit != 0 {
            out.push(text.to_string());
        }
    }
    for (i, name) in ext_names.iter().enumerate().take(4) {
        if v.bits & (EXT << i) != 0 {
            out.push(format!("Insufficient {name}"));
        }
    }
    if v.bits & TAINT != 0
        && let Some(t) = node.taints.get(v.taint as usize)
    {
        out.push(tainttoleration::untolerated_message(t));
    }
    out
}

/// The scheduler's running totals for one node (its `NodeInfo`), with a compact copy of what
/// the filters read from the Node object, refreshed whenever a node changes.
#[derive(Clone, Copy, Debug, Default)]
pub struct NodeInfo {
    /// Sum of the requests of the pods counted on the node (`NodeInfo.Requested`).
    pub requested: Resources,
    /// The same with the non-zero defaults for cpu and memory (`NodeInfo.NonZeroRequested`).
    pub nonzero: Resources,
    pub pods: u32,
    pub allocatable: Resources,
    pub max_pods: u32,
    /// Schedulable, not deleted, and no taint that filters (only PreferNoSchedule ones): for
    /// a pod without node selection only the resources decide.
    pub plain: bool,
    /// Whether it has a PreferNoSchedule taint (TaintToleration scores it).
    pub prefer_taint: bool,
    /// Deleted: gone from the scheduler's snapshot.
    pub deleted: bool,
}

impl NodeInfo {
    /// Copy what the filters need from the Node object.
    pub fn refresh(&mut self, node: &Node) {
        self.allocatable = node.allocatable;
        self.max_pods = node.pods;
        self.deleted = node.deleted.is_some();
        self.plain = node.deleted.is_none()
            && !node.unschedulable
            && node.taints.iter().all(|t| t.effect == TaintEffect::PreferNoSchedule);
        self.prefer_taint = node.taints.iter().any(|t| t.effect == TaintEffect::PreferNoSchedule);
    }
}

/// What the inlined filter loop reads of a node, packed (24 bytes: a thousand nodes stay in the
/// L1 cache): the free cpu, memory and pod slots, and the `plain` and `deleted` flags.
#[derive(Clone, Copy, Debug, Default)]
pub struct FreeSlot {
    pub cpu: u64,
    pub memory: u64,
    pub pods: u32,
    pub plain: bool,
    pub deleted: bool,
}

impl FreeSlot {
    pub fn of(info: &NodeInfo) -> FreeSlot {
        FreeSlot {
            cpu: info.allocatable.cpu_milli.saturating_sub(info.requested.cpu_milli),
            memory: info.allocatable.memory.saturating_sub(info.requested.memory),
            pods: info.max_pods.saturating_sub(info.pods),
            plain: info.plain,
            deleted: info.deleted,
        }
    }

    /// NodeResourcesFit's pods, cpu and memory checks (all of `fit` for a pod that asks for no
    /// ephemeral-storage or extended resource).
    #[inline(always)]
    pub fn fit(&self, req: &Resources) -> Verdict {
        let mut bits = 0;
        if self.pods == 0 {
            bits |= PODS;
        }
        if req.cpu_milli > 0 && req.cpu_milli > self.cpu {
            bits |= CPU;
        }
        if req.memory > 0 && req.memory > self.memory {
            bits |= MEMORY;
        }
        Verdict { bits, taint: 0 }
    }
}

/// NodeResourcesFit alone, from the compact copy: for a plain node and a pod without node
/// selection this is the whole filter chain's verdict (the same bits as the full chain).
#[inline(always)]
pub fn fit(req: &Resources, extra: bool, info: &NodeInfo) -> Verdict {
    let mut v = FreeSlot::of(info).fit(req);
    if extra {
        if req.storage > 0 && req.storage > info.allocatable.storage.saturating_sub(info.requested.storage) {
            v.bits |= STORAGE;
        }
        for i in 0..req.ext.len() {
            if req.ext[i] > 0 && req.ext[i] > info.allocatable.ext[i].saturating_sub(info.requested.ext[i]) {
                v.bits |= EXT << i;
            }
        }
    }
    v
}

/// `numFeasibleNodesToFind`: all nodes below 100; else `percentage` of them (adaptive when
/// unset: 50 - n/125, at least 5), but at least 100.
pub fn num_feasible_nodes_to_find(num_all_nodes: usize, percentage: Option<u32>) -> usize {
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND {
        return num_all_nodes;
    }
    let mut percentage = percentage.unwrap_or(0) as usize;
    if percentage == 0 {
        percentage = 50usize.saturating_sub(num_all_nodes / 125);
        if percentage < MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND {
            percentage = MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND;
        }
    }
    let n = num_all_nodes * percentage / 100;
    n.max(MIN_FEASIBLE_NODES_TO_FIND)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn num_feasible_nodes_table() {
        // The cases of upstream's TestNumFeasibleNodesToFind (schedule_one_test.go).
        // "not set percentageOfNodesToScore and nodes number not more than 50"
        assert_eq!(num_feasible_nodes_to_find(10, None), 10);
        // "set profile percentageOfNodesToScore and nodes number not more than 50"
        assert_eq!(num_feasible_nodes_to_find(10, Some(40)), 10);
        // "not set percentageOfNodesToScore and nodes number more than 50"
        assert_eq!(num_feasible_nodes_to_find(1000, None), 420);
        // "set profile percentageOfNodesToScore and nodes number more than 50"
        assert_eq!(num_feasible_nodes_to_find(1000, Some(40)), 400);
        // "not set percentageOfNodesToScore and nodes number more than 50*125"
        assert_eq!(num_feasible_nodes_to_find(6000, None), 300);
        // "set profile percentageOfNodesToScore and nodes number more than 50*125"
        assert_eq!(num_feasible_nodes_to_find(6000, Some(40)), 2400);
        // Below minFeasibleNodesToFind's floor of 100.
        assert_eq!(num_feasible_nodes_to_find(150, None), 100);
        assert_eq!(num_feasible_nodes_to_find(10000, None), 500);
    }
}

/// The free cpu, memory and pod slots of every plain node, each kept sorted, so that the number
/// of nodes short of a request is a binary search. It lets a pod that fits nowhere for one
/// reason fail without visiting every node, with the same counts the visit would give.
#[derive(Clone, Debug, Default)]
pub struct FreeIndex {
    cpu: Vec<u64>,
    memory: Vec<u64>,
    pods: Vec<u32>,
}

fn free_of(i: &NodeInfo) -> (u64, u64, u32) {
    (
        i.allocatable.cpu_milli.saturating_sub(i.requested.cpu_milli),
        i.allocatable.memory.saturating_sub(i.requested.memory),
        i.max_pods.saturating_sub(i.pods),
    )
}

fn remove_sorted<T: Ord>(v: &mut Vec<T>, x: T) {
    if let Ok(i) = v.binary_search(&x) {
        v.remove(i);
    }
}

fn insert_sorted<T: Ord>(v: &mut Vec<T>, x: T) {
    let i = v.partition_point(|y| *y < x);
    v.insert(i, x);
}

impl FreeIndex {
    pub fn rebuild(&mut self, nodes: &[NodeInfo]) {
        self.cpu.clear();
        self.memory.clear();
        self.pods.clear();
        for i in nodes.iter().filter(|i| i.plain) {
            let (c, m, p) = free_of(i);
            self.cpu.push(c);
            self.memory.push(m);
            self.pods.push(p);
        }
        self.cpu.sort_unstable();
        self.memory.sort_unstable();
        self.pods.sort_unstable();
    }

    /// A plain node's totals are about to change (`before`) and did (`after`).
    pub fn update(&mut self, before: &NodeInfo, after: &NodeInfo) {
        if !before.plain {
            return;
        }
        let (c0, m0, p0) = free_of(before);
        let (c1, m1, p1) = free_of(after);
        if c0 != c1 {
            remove_sorted(&mut self.cpu, c0);
            insert_sorted(&mut self.cpu, c1);
        }
        if m0 != m1 {
            remove_sorted(&mut self.memory, m0);
            insert_sorted(&mut self.memory, m1);
        }
        if p0 != p1 {
            remove_sorted(&mut self.pods, p0);
            insert_sorted(&mut self.pods, p1);
        }
    }

    pub fn len(&self) -> usize {
        self.cpu.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cpu.is_empty()
    }

    /// How many plain nodes `fit` would fail for too many pods, cpu and memory (a pod that
    /// asks for no other resource).
    pub fn shortfalls(&self, req: Resources) -> [(u32, u32); 3] {
        let short = |v: &[u64], r: u64| if r == 0 { 0 } else { v.partition_point(|&f| f < r) as u32 };
        let full = self.pods.partition_point(|&f| f < 1) as u32;
        [(PODS, full), (CPU, short(&self.cpu, req.cpu_milli)), (MEMORY, short(&self.memory, req.memory))]
    }
}
