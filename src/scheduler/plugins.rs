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

/// The scheduler's running totals for one node (its `NodeInfo`).
#[derive(Clone, Copy, Debug, Default)]
pub struct NodeInfo {
    pub requested: Resources,
    /// Requests with the non-zero defaults, for scoring.
    pub nonzero: Resources,
    pub pods: u32,
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

/// The reason strings of a verdict, as the framework's status reasons read.
pub fn reasons(v: Verdict, node: &Node) -> Vec<String> {
    let mut out = Vec::new();
    if v.bits & UNSCHEDULABLE != 0 {
        out.push("node(s) were unschedulable".to_string());
    }
    if v.bits & TAINT != 0 {
        let t = &node.taints[v.taint as usize];
        out.push(format!("node(s) had untolerated taint {{{}: {}}}", t.key, t.value));
    }
    if v.bits & AFFINITY != 0 {
        out.push("node(s) didn't match Pod's node affinity/selector".to_string());
    }
    if v.bits & PODS != 0 {
        out.push("Too many pods".to_string());
    }
    if v.bits & CPU != 0 {
        out.push("Insufficient cpu".to_string());
    }
    if v.bits & MEMORY != 0 {
        out.push("Insufficient memory".to_string());
    }
    out
}

/// NodeResourcesFit with the LeastAllocated strategy (cpu and memory, weight 1 each):
/// `sum((allocatable - requested) * 100 / allocatable * w) / sum(w)`.
pub fn least_allocated(pod_nonzero: Resources, node: &Node, info: &NodeInfo) -> u64 {
    let one = |alloc: u64, req: u64| -> u64 {
        if alloc == 0 || req > alloc { 0 } else { (alloc - req) * MAX_NODE_SCORE / alloc }
    };
    let cpu = one(node.allocatable.cpu_milli, info.nonzero.cpu_milli + pod_nonzero.cpu_milli);
    let mem = one(node.allocatable.memory, info.nonzero.memory + pod_nonzero.memory);
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
