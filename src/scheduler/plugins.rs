//! The filter and score plugins of the default profile that kubesim models so far, in
//! upstream's order (NodeUnschedulable, TaintToleration, NodeAffinity, NodeResourcesFit) and
//! with upstream's integer arithmetic.

use crate::api::{Node, PodSpec, Resources, TaintEffect};

/// `framework.MaxNodeScore`.
pub const MAX_NODE_SCORE: u64 = 100;
/// `minFeasibleNodesToFind`.
pub const MIN_FEASIBLE_NODES_TO_FIND: usize = 100;
/// `minFeasibleNodesPercentageToFind`.
pub const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND: usize = 5;
/// The taint a cordoned node carries, which NodeUnschedulable lets tolerating pods past.
pub const TAINT_NODE_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";

/// Why a node was filtered out: a set of reasons (NodeResourcesFit can give several).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    pub bits: u8,
    /// Index of the first untolerated taint, when `TAINT` is set.
    pub taint: u16,
}

pub const UNSCHEDULABLE: u8 = 1;
pub const TAINT: u8 = 2;
pub const AFFINITY: u8 = 4;
pub const CPU: u8 = 8;
pub const MEMORY: u8 = 16;
pub const PODS: u8 = 32;
/// Reasons preemption cannot fix (`UnschedulableAndUnresolvable`).
pub const UNRESOLVABLE: u8 = UNSCHEDULABLE | TAINT | AFFINITY;

impl Verdict {
    pub fn fits(self) -> bool {
        self.bits == 0
    }
}

/// The scheduler's running totals for one node (its `NodeInfo`), with a compact copy of what
/// the filters read from the Node object, refreshed whenever a node changes.
#[derive(Clone, Copy, Debug, Default)]
pub struct NodeInfo {
    pub requested: Resources,
    /// Requests with the non-zero defaults, for scoring.
    pub nonzero: Resources,
    pub pods: u32,
    pub allocatable: Resources,
    pub max_pods: u32,
    /// Schedulable, not deleted, and no taint that filters (only PreferNoSchedule ones): for
    /// a pod without node selection only the resources decide.
    pub plain: bool,
}

impl NodeInfo {
    /// Copy what the filters need from the Node object.
    pub fn refresh(&mut self, node: &Node) {
        self.allocatable = node.allocatable;
        self.max_pods = node.pods;
        self.plain = node.deleted.is_none()
            && !node.unschedulable
            && node.taints.iter().all(|t| t.effect == TaintEffect::PreferNoSchedule);
    }
}

/// NodeResourcesFit alone, from the compact copy: for a plain node and a pod without node
/// selection this is the whole filter chain's verdict (the same bits as `filter`).
#[inline]
pub fn fit(req: Resources, info: &NodeInfo) -> Verdict {
    let mut bits = 0;
    if info.pods + 1 > info.max_pods {
        bits |= PODS;
    }
    if req.cpu_milli > 0 && req.cpu_milli > info.allocatable.cpu_milli.saturating_sub(info.requested.cpu_milli) {
        bits |= CPU;
    }
    if req.memory > 0 && req.memory > info.allocatable.memory.saturating_sub(info.requested.memory) {
        bits |= MEMORY;
    }
    Verdict { bits, taint: 0 }
}

/// Run the filters in order; the first failing plugin decides (as the framework does).
pub fn filter(pod: &PodSpec, req: Resources, node: &Node, info: &NodeInfo) -> Verdict {
    // NodeUnschedulable.
    if node.unschedulable
        && !pod.tolerations.iter().any(|t| {
            (t.key.is_empty() || t.key == TAINT_NODE_UNSCHEDULABLE)
                && t.effect.is_none_or(|e| e == TaintEffect::NoSchedule)
                && (t.op == crate::api::pod::TolerationOp::Exists || t.value.is_empty())
        })
    {
        return Verdict { bits: UNSCHEDULABLE, taint: 0 };
    }
    // TaintToleration: NoSchedule and NoExecute taints must be tolerated.
    for (i, t) in node.taints.iter().enumerate() {
        if t.effect != TaintEffect::PreferNoSchedule && !pod.tolerations.iter().any(|tol| tol.tolerates(t)) {
            return Verdict { bits: TAINT, taint: i as u16 };
        }
    }
    // NodeAffinity (nodeSelector; a DaemonSet pod's matchFields on metadata.name).
    if !pod.node_selector.0.iter().all(|(k, v)| node.labels.get(k) == Some(v.as_str()))
        || pod.affinity_node.as_deref().is_some_and(|n| n != node.name)
    {
        return Verdict { bits: AFFINITY, taint: 0 };
    }
    // NodeResourcesFit: every insufficient resource is a reason.
    let mut bits = 0;
    if info.pods + 1 > node.pods {
        bits |= PODS;
    }
    if req.cpu_milli > 0 && req.cpu_milli > node.allocatable.cpu_milli.saturating_sub(info.requested.cpu_milli) {
        bits |= CPU;
    }
    if req.memory > 0 && req.memory > node.allocatable.memory.saturating_sub(info.requested.memory) {
        bits |= MEMORY;
    }
    Verdict { bits, taint: 0 }
}

/// The framework's status reasons that do not depend on the node, by verdict bit (an
/// untolerated taint names the taint, so it is counted apart).
pub const FIXED_REASONS: [(u8, &str); 5] = [
    (UNSCHEDULABLE, "node(s) were unschedulable"),
    (AFFINITY, "node(s) didn't match Pod's node affinity/selector"),
    (PODS, "Too many pods"),
    (CPU, "Insufficient cpu"),
    (MEMORY, "Insufficient memory"),
];

/// NodeResourcesFit with the LeastAllocated strategy (cpu and memory, weight 1 each):
/// `sum((allocatable - requested) * 100 / allocatable * w) / sum(w)`.
pub fn least_allocated(pod_nonzero: Resources, info: &NodeInfo) -> u64 {
    let one = |alloc: u64, req: u64| -> u64 {
        if alloc == 0 || req > alloc { 0 } else { (alloc - req) * MAX_NODE_SCORE / alloc }
    };
    // The node's allocatable from the compact copy (the same value as the Node object's).
    let cpu = one(info.allocatable.cpu_milli, info.nonzero.cpu_milli + pod_nonzero.cpu_milli);
    let mem = one(info.allocatable.memory, info.nonzero.memory + pod_nonzero.memory);
    (cpu + mem) / 2
}

/// `numFeasibleNodesToFind` with the adaptive percentage (percentageOfNodesToScore unset).
pub fn num_feasible_nodes_to_find(num_all_nodes: usize) -> usize {
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND {
        return num_all_nodes;
    }
    let mut percentage = 50usize.saturating_sub(num_all_nodes / 125);
    if percentage < MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND {
        percentage = MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND;
    }
    let n = num_all_nodes * percentage / 100;
    n.max(MIN_FEASIBLE_NODES_TO_FIND)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn num_feasible_nodes_table() {
        // The cases of upstream's TestNumFeasibleNodesToFind (default percentage).
        assert_eq!(num_feasible_nodes_to_find(10), 10);
        assert_eq!(num_feasible_nodes_to_find(1000), 420);
        assert_eq!(num_feasible_nodes_to_find(6000), 300);
        assert_eq!(num_feasible_nodes_to_find(10000), 500);
        assert_eq!(num_feasible_nodes_to_find(50), 50);
        assert_eq!(num_feasible_nodes_to_find(150), 100);
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

    /// Per `FIXED_REASONS` entry, how many plain nodes `fit` would fail for it.
    pub fn shortfalls(&self, req: Resources) -> [u32; 5] {
        let short = |v: &[u64], r: u64| if r == 0 { 0 } else { v.partition_point(|&f| f < r) as u32 };
        let full = self.pods.partition_point(|&f| f < 1) as u32;
        [0, 0, full, short(&self.cpu, req.cpu_milli), short(&self.memory, req.memory)]
    }
}
