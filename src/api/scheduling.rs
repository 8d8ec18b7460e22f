//! What a pod says about where it may and would like to run: node affinity, pod affinity and
//! anti-affinity, topology spread constraints, and priority (`PriorityClass`).

use super::{LabelSelector, Labels, Node};

/// `kubernetes.io/hostname`, which the kubelet sets on its Node.
pub const LABEL_HOSTNAME: &str = "kubernetes.io/hostname";
/// `topology.kubernetes.io/zone`.
pub const LABEL_ZONE: &str = "topology.kubernetes.io/zone";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeSelectorOp {
    In,
    NotIn,
    Exists,
    DoesNotExist,
    Gt,
    Lt,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeSelectorRequirement {
    pub key: String,
    pub op: NodeSelectorOp,
    pub values: Vec<String>,
}

impl NodeSelectorRequirement {
    /// `nodeaffinity`'s requirement semantics over one value (the label, or the field).
    pub fn matches(&self, have: Option<&str>) -> bool {
        match self.op {
            NodeSelectorOp::In => have.is_some_and(|h| self.values.iter().any(|v| v == h)),
            NodeSelectorOp::NotIn => have.is_none_or(|h| self.values.iter().all(|v| v != h)),
            NodeSelectorOp::Exists => have.is_some(),
            NodeSelectorOp::DoesNotExist => have.is_none(),
            // Gt/Lt compare integers; a label that is not one never matches.
            NodeSelectorOp::Gt | NodeSelectorOp::Lt => {
                let (Some(h), Some(v)) = (have, self.values.first()) else { return false };
                let (Ok(h), Ok(v)) = (h.parse::<i64>(), v.parse::<i64>()) else { return false };
                if self.op == NodeSelectorOp::Gt { h > v } else { h < v }
            }
        }
    }
}

/// A `nodeSelectorTerm`: its expressions and fields are ANDed; a term with neither matches
/// no node (as upstream).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeSelectorTerm {
    pub match_expressions: Vec<NodeSelectorRequirement>,
    /// `matchFields`: only `metadata.name` exists.
    pub match_fields: Vec<NodeSelectorRequirement>,
    /// A term with a value that is not a valid label value cannot be turned into a selector
    /// upstream and matches nothing.
    pub invalid: bool,
}

impl NodeSelectorTerm {
    pub fn new(match_expressions: Vec<NodeSelectorRequirement>, match_fields: Vec<NodeSelectorRequirement>) -> Self {
        let invalid = match_expressions
            .iter()
            .filter(|r| matches!(r.op, NodeSelectorOp::In | NodeSelectorOp::NotIn))
            .any(|r| r.values.iter().any(|v| !is_label_value(v)));
        NodeSelectorTerm { match_expressions, match_fields, invalid }
    }

    pub fn matches(&self, node: &Node) -> bool {
        if self.invalid || (self.match_expressions.is_empty() && self.match_fields.is_empty()) {
            return false;
        }
        self.match_expressions.iter().all(|r| r.matches(node.labels.get(&r.key)))
            && self.match_fields.iter().all(|r| r.matches(Some(node.name.as_str())))
    }
}

/// A valid label value: at most 63 characters, alphanumerics with '-', '_', '.' inside.
pub fn is_label_value(v: &str) -> bool {
    let b = v.as_bytes();
    if b.is_empty() {
        return true;
    }
    let inner = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.');
    b.len() <= 63 && b[0].is_ascii_alphanumeric() && b[b.len() - 1].is_ascii_alphanumeric() && b.iter().all(inner)
}

/// A pod affinity term: pods matching `selector` in `namespaces` (empty: the pod's own), in the
/// same `topology_key` domain.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodAffinityTerm {
    pub selector: LabelSelector,
    pub namespaces: Vec<String>,
    pub topology_key: String,
}

impl PodAffinityTerm {
    /// Whether a pod (namespace, labels) is one this term, owned by a pod of `own_ns`, selects.
    pub fn selects(&self, own_ns: &str, ns: &str, labels: &Labels) -> bool {
        let ns_ok = if self.namespaces.is_empty() { ns == own_ns } else { self.namespaces.iter().any(|n| n == ns) };
        ns_ok && self.selector.matches(labels)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Affinity {
    /// `requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms` (ORed); None: unset.
    pub node_required: Option<Vec<NodeSelectorTerm>>,
    /// `preferredDuringSchedulingIgnoredDuringExecution`: (weight 1..100, term).
    pub node_preferred: Vec<(i32, NodeSelectorTerm)>,
    pub pod_affinity_required: Vec<PodAffinityTerm>,
    pub pod_affinity_preferred: Vec<(i32, PodAffinityTerm)>,
    pub pod_anti_affinity_required: Vec<PodAffinityTerm>,
    pub pod_anti_affinity_preferred: Vec<(i32, PodAffinityTerm)>,
}

impl Affinity {
    pub fn has_pod_terms(&self) -> bool {
        !(self.pod_affinity_required.is_empty()
            && self.pod_affinity_preferred.is_empty()
            && self.pod_anti_affinity_required.is_empty()
            && self.pod_anti_affinity_preferred.is_empty())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WhenUnsatisfiable {
    DoNotSchedule,
    ScheduleAnyway,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopologySpreadConstraint {
    pub max_skew: i32,
    pub topology_key: String,
    pub when_unsatisfiable: WhenUnsatisfiable,
    /// With `matchLabelKeys` already merged in (as the API server does at creation).
    pub selector: LabelSelector,
    pub min_domains: Option<i32>,
    /// `nodeAffinityPolicy` (default Honor) and `nodeTaintsPolicy` (default Ignore).
    pub honor_node_affinity: bool,
    pub honor_node_taints: bool,
    /// `matchLabelKeys`: the pod's values for these keys narrow the selector.
    pub match_label_keys: Vec<String>,
}

impl TopologySpreadConstraint {
    /// The selector with `matchLabelKeys` applied for a pod with `labels` (what the API server
    /// merges in at creation).
    pub fn effective_selector(&self, labels: &Labels) -> LabelSelector {
        let mut sel = self.selector.clone();
        for k in &self.match_label_keys {
            if let Some(v) = labels.get(k) {
                sel.match_expressions.push(super::Requirement {
                    key: k.clone(),
                    op: super::SelectorOp::In,
                    values: vec![v.to_string()],
                });
            }
        }
        sel
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PreemptionPolicy {
    #[default]
    PreemptLowerPriority,
    Never,
}

impl PreemptionPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            PreemptionPolicy::PreemptLowerPriority => "PreemptLowerPriority",
            PreemptionPolicy::Never => "Never",
        }
    }
}

/// A `scheduling.k8s.io/v1 PriorityClass`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriorityClass {
    pub name: String,
    pub value: i32,
    pub global_default: bool,
    pub preemption_policy: PreemptionPolicy,
}

/// The built-in classes every cluster has (`scheduling.SystemPriorityClasses`).
pub const SYSTEM_CLUSTER_CRITICAL: (&str, i32) = ("system-cluster-critical", 2_000_000_000);
pub const SYSTEM_NODE_CRITICAL: (&str, i32) = ("system-node-critical", 2_000_001_000);
/// `scheduling.HighestUserDefinablePriority`: user classes may not go above one billion.
pub const HIGHEST_USER_DEFINABLE_PRIORITY: i32 = 1_000_000_000;
