//! `podtopologyspread`: DoNotSchedule constraints filter nodes whose domain would exceed
//! `maxSkew` over the least-loaded domain; ScheduleAnyway constraints (or, for a pod with
//! none, the system defaults: hostname maxSkew 3, zone maxSkew 5, for pods a ReplicaSet or
//! StatefulSet selects) score nodes by the matching pods in their domains.

use super::MAX_NODE_SCORE;
use crate::api::{
    LABEL_HOSTNAME, LABEL_ZONE, LabelSelector, Labels, Node, TopologySpreadConstraint, WhenUnsatisfiable,
};
use std::collections::BTreeMap;

/// One constraint as the plugin uses it (selector with matchLabelKeys applied).
#[derive(Clone, Debug)]
pub struct Constraint {
    pub max_skew: i32,
    pub key: String,
    pub selector: LabelSelector,
    pub min_domains: Option<i32>,
    pub honor_node_affinity: bool,
    pub honor_node_taints: bool,
}

impl Constraint {
    pub fn of(c: &TopologySpreadConstraint, labels: &Labels) -> Constraint {
        Constraint {
            max_skew: c.max_skew,
            key: c.topology_key.clone(),
            selector: c.effective_selector(labels),
            min_domains: c.min_domains,
            honor_node_affinity: c.honor_node_affinity,
            honor_node_taints: c.honor_node_taints,
        }
    }
}

/// `defaultConstraints` of the system-defaulted configuration, with the selector of the
/// ReplicaSet or StatefulSet the pod belongs to.
pub fn system_default_constraints(selector: &LabelSelector) -> Vec<Constraint> {
    let c = |key: &str, max_skew| Constraint {
        max_skew,
        key: key.into(),
        selector: selector.clone(),
        min_domains: None,
        honor_node_affinity: true,
        honor_node_taints: false,
    };
    vec![c(LABEL_HOSTNAME, 3), c(LABEL_ZONE, 5)]
}

/// The constraints of one kind from the pod's spec.
pub fn constraints_of(cs: &[TopologySpreadConstraint], labels: &Labels, kind: WhenUnsatisfiable) -> Vec<Constraint> {
    cs.iter().filter(|c| c.when_unsatisfiable == kind).map(|c| Constraint::of(c, labels)).collect()
}

/// PreFilter's state: matching pods per domain of each hard constraint, and the minimum.
#[derive(Clone, Debug, Default)]
pub struct FilterState {
    pub constraints: Vec<Constraint>,
    pub counts: Vec<BTreeMap<String, i64>>,
    pub min: Vec<i64>,
}

/// PreFilter: for every node that passes the inclusion policies and has every constraint's
/// key, add its matching pods to its domain (`count(constraint, node)` counts them).
pub fn pre_filter(
    constraints: Vec<Constraint>,
    nodes: &[Node],
    eligible: impl Fn(&Constraint, &Node) -> bool,
    count: impl Fn(&Constraint, usize) -> i64,
) -> FilterState {
    let mut counts = vec![BTreeMap::new(); constraints.len()];
    for (i, n) in nodes.iter().enumerate() {
        if n.deleted.is_some() || !constraints.iter().all(|c| n.labels.get(&c.key).is_some()) {
            continue;
        }
        for (ci, c) in constraints.iter().enumerate() {
            if !eligible(c, n) {
                continue;
            }
            let v = n.labels.get(&c.key).unwrap_or_default().to_string();
            *counts[ci].entry(v).or_insert(0) += count(c, i);
        }
    }
    let min = constraints
        .iter()
        .zip(&counts)
        .map(|(c, m)| {
            if c.min_domains.is_some_and(|d| (m.len() as i64) < d as i64) {
                0
            } else {
                m.values().copied().min().unwrap_or(0)
            }
        })
        .collect();
    FilterState { constraints, counts, min }
}

/// Filter: the node must have each key, and its domain plus this pod stay within maxSkew.
pub fn filter(s: &FilterState, node: &Node, pod_labels: &Labels) -> u32 {
    for (ci, c) in s.constraints.iter().enumerate() {
        let Some(v) = node.labels.get(&c.key) else { return super::SPREAD_LABEL };
        let self_match = i64::from(c.selector.matches(pod_labels));
        let matched = s.counts[ci].get(v).copied().unwrap_or(0);
        if matched + self_match - s.min[ci] > c.max_skew as i64 {
            return super::SPREAD;
        }
    }
    0
}

/// PreScore's state for the soft constraints.
#[derive(Clone, Debug, Default)]
pub struct ScoreState {
    pub constraints: Vec<Constraint>,
    /// Per scored node (same order as the feasible list): missing a key it needs.
    pub ignored: Vec<bool>,
    pub counts: Vec<BTreeMap<String, i64>>,
    pub weights: Vec<f64>,
}

/// `topologyNormalizingWeight`: ln(domains + 2).
pub fn topology_normalizing_weight(size: usize) -> f64 {
    ((size + 2) as f64).ln()
}

/// PreScore over the feasible nodes (`feasible`, indexes into `nodes`); `require_all`: nodes
/// missing a key are ignored (explicit constraints; the system defaults do not require it).
pub fn pre_score(
    constraints: Vec<Constraint>,
    require_all: bool,
    nodes: &[Node],
    feasible: &[usize],
    eligible: impl Fn(&Constraint, &Node) -> bool,
    count: impl Fn(&Constraint, usize) -> i64,
) -> ScoreState {
    let has_all = |n: &Node| constraints.iter().all(|c| n.labels.get(&c.key).is_some());
    let mut counts: Vec<BTreeMap<String, i64>> = vec![BTreeMap::new(); constraints.len()];
    let mut ignored = Vec::with_capacity(feasible.len());
    for &i in feasible {
        let n = &nodes[i];
        if require_all && !has_all(n) {
            ignored.push(true);
            continue;
        }
        ignored.push(false);
        for (ci, c) in constraints.iter().enumerate() {
            if c.key == LABEL_HOSTNAME {
                continue;
            }
            if let Some(v) = n.labels.get(&c.key) {
                counts[ci].entry(v.to_string()).or_insert(0);
            }
        }
    }
    let scored = ignored.iter().filter(|&&x| !x).count();
    let weights = constraints
        .iter()
        .zip(&counts)
        .map(|(c, m)| topology_normalizing_weight(if c.key == LABEL_HOSTNAME { scored } else { m.len() }))
        .collect();
    if counts.iter().any(|m| !m.is_empty()) {
        for (i, n) in nodes.iter().enumerate() {
            if n.deleted.is_some() || (require_all && !has_all(n)) {
                continue;
            }
            for (ci, c) in constraints.iter().enumerate() {
                if c.key == LABEL_HOSTNAME || !eligible(c, n) {
                    continue;
                }
                let Some(v) = n.labels.get(&c.key) else { continue };
                if let Some(slot) = counts[ci].get_mut(v) {
                    *slot += count(c, i);
                }
            }
        }
    }
    ScoreState { constraints, ignored, counts, weights }
}

/// Score of the `k`-th feasible node (node index `i`).
pub fn score(s: &ScoreState, k: usize, node: &Node, i: usize, count: impl Fn(&Constraint, usize) -> i64) -> i64 {
    if s.ignored[k] {
        return 0;
    }
    let mut total = 0.0;
    for (ci, c) in s.constraints.iter().enumerate() {
        let Some(v) = node.labels.get(&c.key) else { continue };
        let cnt = if c.key == LABEL_HOSTNAME { count(c, i) } else { s.counts[ci].get(v).copied().unwrap_or(0) };
        total += cnt as f64 * s.weights[ci] + (c.max_skew - 1) as f64;
    }
    total.round() as i64
}

/// NormalizeScore: fewer matching pods is better; ignored nodes score 0.
pub fn normalize(s: &ScoreState, scores: &mut [i64]) {
    let (mut min, mut max) = (i64::MAX, 0i64);
    for (k, &v) in scores.iter().enumerate() {
        if s.ignored[k] {
            continue;
        }
        min = min.min(v);
        max = max.max(v);
    }
    for (k, v) in scores.iter_mut().enumerate() {
        *v = if s.ignored[k] {
            0
        } else if max == 0 {
            MAX_NODE_SCORE
        } else {
            MAX_NODE_SCORE * (max + min - *v) / max
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::*;

    fn node(name: &str, zone: &str) -> Node {
        crate::api::node::test_node(name, &[(LABEL_HOSTNAME, name), (LABEL_ZONE, zone)])
    }

    fn sel() -> LabelSelector {
        LabelSelector { match_labels: vec![("app".into(), "web".into())], match_expressions: vec![] }
    }

    #[test]
    fn zone_spread_filter_counts_domains_and_skew() {
        // Zones a (2 nodes, 2 pods) and b (1 node, 0 pods), maxSkew 1: only zone b is allowed.
        let nodes = [node("n1", "a"), node("n2", "a"), node("n3", "b")];
        let pods = [1, 1, 0];
        let c = Constraint {
            max_skew: 1,
            key: LABEL_ZONE.into(),
            selector: sel(),
            min_domains: None,
            honor_node_affinity: true,
            honor_node_taints: false,
        };
        let s = pre_filter(vec![c], &nodes, |_, _| true, |_, i| pods[i]);
        assert_eq!(s.min, [0]);
        let mut l = Labels::default();
        l.insert("app", "web");
        assert_eq!(filter(&s, &nodes[0], &l), super::super::SPREAD);
        assert_eq!(filter(&s, &nodes[2], &l), 0);
        // minDomains 3 with two domains: the minimum counts as 0.
        let mut c = s.constraints[0].clone();
        c.min_domains = Some(3);
        let s = pre_filter(vec![c], &nodes, |_, _| true, |_, i| pods[i] + 1);
        assert_eq!(s.min, [0]);
    }

    #[test]
    fn system_default_scoring_prefers_the_emptier_host_and_zone() {
        // Hostname maxSkew 3 and zone maxSkew 5 over three nodes in two zones; node n1 holds 2
        // matching pods, n2 1, n3 none. Weights ln(3+2) (hosts) and ln(2+2) (zones).
        let nodes = [node("n1", "a"), node("n2", "a"), node("n3", "b")];
        let pods = [2, 1, 0];
        let s = pre_score(system_default_constraints(&sel()), false, &nodes, &[0, 1, 2], |_, _| true, |_, i| pods[i]);
        let (wh, wz) = (5f64.ln(), 4f64.ln());
        let raw: Vec<i64> = (0..3).map(|k| score(&s, k, &nodes[k], k, |_, i| pods[i])).collect();
        let want = |h: f64, z: f64| (h * wh + 2.0 + z * wz + 4.0).round() as i64;
        assert_eq!(raw, [want(2.0, 3.0), want(1.0, 3.0), want(0.0, 0.0)]);
        let mut n = raw.clone();
        normalize(&s, &mut n);
        assert_eq!(n[2], 100 * (raw[0] + raw[2] - raw[2]) / raw[0]);
        assert!(n[2] > n[1] && n[1] > n[0]);
    }
}
