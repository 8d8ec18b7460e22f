//! `podtopologyspread`: DoNotSchedule constraints filter nodes whose domain would exceed
//! `maxSkew` over the least-loaded domain; ScheduleAnyway constraints (or, for a pod with
//! none, the system defaults: hostname maxSkew 3, zone maxSkew 5, for pods a ReplicaSet or
//! StatefulSet selects) score nodes by the matching pods in their domains.

use super::MAX_NODE_SCORE;
use crate::api::{
    LABEL_HOSTNAME, LABEL_ZONE, LabelSelector, Labels, Node, PodSpec, TopologySpreadConstraint, WhenUnsatisfiable,
};
use std::collections::BTreeMap;

/// Per topology key, every node's label value as a dense id, so that the plugin compares
/// integers instead of strings (rebuilt when a node changes).
#[derive(Clone, Debug, Default)]
pub struct Topology {
    epoch: u64,
    keys: Vec<String>,
    /// Per key, per node: the value's id, or `u32::MAX` when the node lacks the label.
    values: Vec<Vec<u32>>,
    /// Per key, how many distinct values there are.
    sizes: Vec<usize>,
}

impl Topology {
    /// The index of `key`, building its column if needed (after dropping every column when
    /// the nodes changed since `epoch`).
    pub fn key(&mut self, key: &str, nodes: &[Node], epoch: u64) -> usize {
        if self.epoch != epoch || self.values.first().is_some_and(|v| v.len() != nodes.len()) {
            *self = Topology { epoch, ..Topology::default() };
        }
        if let Some(i) = self.keys.iter().position(|k| k == key) {
            return i;
        }
        let mut ids: BTreeMap<&str, u32> = BTreeMap::new();
        let col = nodes
            .iter()
            .map(|n| match n.labels.get(key) {
                Some(v) => {
                    let next = ids.len() as u32;
                    *ids.entry(v).or_insert(next)
                }
                None => u32::MAX,
            })
            .collect();
        self.keys.push(key.to_string());
        self.values.push(col);
        self.sizes.push(ids.len());
        self.keys.len() - 1
    }

    #[inline]
    pub fn value(&self, key: usize, node: usize) -> Option<u32> {
        let v = self.values[key][node];
        (v != u32::MAX).then_some(v)
    }

    pub fn size(&self, key: usize) -> usize {
        self.sizes[key]
    }
}

/// One constraint as the plugin uses it (selector with matchLabelKeys applied).
#[derive(Clone, Debug)]
pub struct Constraint {
    pub max_skew: i32,
    pub key: String,
    /// `key`'s column in the Topology (set by `resolve`).
    pub key_idx: usize,
    /// `key` is `kubernetes.io/hostname` (set by `resolve`): counted per node, not per domain.
    pub hostname: bool,
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
            key_idx: 0,
            hostname: false,
            selector: c.effective_selector(labels),
            min_domains: c.min_domains,
            honor_node_affinity: c.honor_node_affinity,
            honor_node_taints: c.honor_node_taints,
        }
    }
}

impl Constraint {
    /// The node inclusion policies: with `nodeAffinityPolicy: Honor` (the default) only nodes
    /// the pod's nodeSelector and required node affinity accept count; with
    /// `nodeTaintsPolicy: Honor` only nodes whose taints it tolerates.
    pub fn includes(&self, pod: &PodSpec, node: &Node) -> bool {
        (!self.honor_node_affinity || super::nodeaffinity::matches(pod, node))
            && (!self.honor_node_taints || super::tainttoleration::first_untolerated(node, &pod.tolerations).is_none())
    }
}

/// Point each constraint at its key's column.
pub fn resolve(cs: &mut [Constraint], topo: &mut Topology, nodes: &[Node], epoch: u64) {
    for c in cs {
        c.key_idx = topo.key(&c.key, nodes, epoch);
        c.hostname = c.key == LABEL_HOSTNAME;
    }
}

/// `defaultConstraints` of the system-defaulted configuration. Their selector is the
/// ReplicaSet's or StatefulSet's, whose pods the caller counts by owner: it is left empty here.
pub fn system_default_constraints() -> Vec<Constraint> {
    let c = |key: &str, max_skew| Constraint {
        max_skew,
        key: key.into(),
        key_idx: 0,
        hostname: false,
        selector: LabelSelector::default(),
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

/// Matching pods per domain of one constraint: counts by value id, and which domains exist
/// among the nodes considered.
#[derive(Clone, Debug, Default)]
pub struct Domains {
    pub counts: Vec<i64>,
    pub present: Vec<bool>,
}

impl Domains {
    fn new(size: usize) -> Domains {
        Domains { counts: vec![0; size], present: vec![false; size] }
    }
    fn len(&self) -> usize {
        self.present.iter().filter(|&&p| p).count()
    }
    fn get(&self, v: u32) -> Option<i64> {
        self.present[v as usize].then(|| self.counts[v as usize])
    }
}

/// PreFilter's state: matching pods per domain of each hard constraint, and the minimum.
#[derive(Clone, Debug, Default)]
pub struct FilterState {
    pub constraints: Vec<Constraint>,
    pub domains: Vec<Domains>,
    pub min: Vec<i64>,
}

/// PreFilter: for every node that passes the inclusion policies and has every constraint's
/// key, add its matching pods to its domain (`count(constraint, node)` counts them).
pub fn pre_filter(
    constraints: Vec<Constraint>,
    topo: &Topology,
    nodes: &[Node],
    pod: &PodSpec,
    count: impl Fn(&Constraint, usize) -> i64,
) -> FilterState {
    let mut domains: Vec<Domains> = constraints.iter().map(|c| Domains::new(topo.size(c.key_idx))).collect();
    for (i, n) in nodes.iter().enumerate() {
        if n.deleted.is_some() || !constraints.iter().all(|c| topo.value(c.key_idx, i).is_some()) {
            continue;
        }
        for (ci, c) in constraints.iter().enumerate() {
            if !c.includes(pod, n) {
                continue;
            }
            let v = topo.value(c.key_idx, i).expect("checked above") as usize;
            domains[ci].present[v] = true;
            domains[ci].counts[v] += count(c, i);
        }
    }
    let min = constraints
        .iter()
        .zip(&domains)
        .map(|(c, d)| {
            if c.min_domains.is_some_and(|m| (d.len() as i64) < m as i64) {
                0
            } else {
                (0..d.present.len()).filter(|&v| d.present[v]).map(|v| d.counts[v]).min().unwrap_or(0)
            }
        })
        .collect();
    FilterState { constraints, domains, min }
}

/// Filter: the node must have each key, and its domain plus this pod stay within maxSkew.
pub fn filter(s: &FilterState, topo: &Topology, node: usize, pod_labels: &Labels) -> u32 {
    for (ci, c) in s.constraints.iter().enumerate() {
        let Some(v) = topo.value(c.key_idx, node) else { return super::SPREAD_LABEL };
        let self_match = i64::from(c.selector.matches(pod_labels));
        let matched = s.domains[ci].get(v).unwrap_or(0);
        if matched + self_match - s.min[ci] > c.max_skew as i64 {
            return super::SPREAD;
        }
    }
    0
}

/// PreScore's state for the soft constraints.
#[derive(Clone, Debug, Default)]
pub struct ScoreState<'a> {
    pub constraints: &'a [Constraint],
    /// Per scored node (same order as the feasible list): missing a key it needs.
    pub ignored: Vec<bool>,
    pub domains: Vec<Domains>,
    pub weights: Vec<f64>,
}

/// `topologyNormalizingWeight`: ln(domains + 2).
pub fn topology_normalizing_weight(size: usize) -> f64 {
    ((size + 2) as f64).ln()
}

/// PreScore over the feasible nodes (`feasible`, indexes into `nodes`); `require_all`: nodes
/// missing a key are ignored (explicit constraints; the system defaults do not require it).
pub fn pre_score<'a>(
    constraints: &'a [Constraint],
    require_all: bool,
    topo: &Topology,
    nodes: &[Node],
    feasible: &[usize],
    pod: &PodSpec,
    count: impl Fn(&Constraint, usize) -> i64,
) -> ScoreState<'a> {
    let has_all = |i: usize| constraints.iter().all(|c| topo.value(c.key_idx, i).is_some());
    // Hostname domains are counted per node in Score: no table for them.
    let mut domains: Vec<Domains> =
        constraints.iter().map(|c| Domains::new(if c.hostname { 0 } else { topo.size(c.key_idx) })).collect();
    let mut ignored = Vec::with_capacity(feasible.len());
    for &i in feasible {
        if require_all && !has_all(i) {
            ignored.push(true);
            continue;
        }
        ignored.push(false);
        for (ci, c) in constraints.iter().enumerate() {
            if c.hostname {
                continue;
            }
            if let Some(v) = topo.value(c.key_idx, i) {
                domains[ci].present[v as usize] = true;
            }
        }
    }
    let scored = ignored.iter().filter(|&&x| !x).count();
    let weights = constraints
        .iter()
        .zip(&domains)
        .map(|(c, d)| topology_normalizing_weight(if c.hostname { scored } else { d.len() }))
        .collect();
    if domains.iter().any(|d| d.len() > 0) {
        for (i, n) in nodes.iter().enumerate() {
            if n.deleted.is_some() || (require_all && !has_all(i)) {
                continue;
            }
            for (ci, c) in constraints.iter().enumerate() {
                if c.hostname {
                    continue;
                }
                let Some(v) = topo.value(c.key_idx, i) else { continue };
                if domains[ci].present[v as usize] && c.includes(pod, n) {
                    domains[ci].counts[v as usize] += count(c, i);
                }
            }
        }
    }
    ScoreState { constraints, ignored, domains, weights }
}

/// Score of the `k`-th feasible node (node index `i`).
pub fn score(s: &ScoreState, topo: &Topology, k: usize, i: usize, count: impl Fn(&Constraint, usize) -> i64) -> i64 {
    if s.ignored[k] {
        return 0;
    }
    let mut total = 0.0;
    for (ci, c) in s.constraints.iter().enumerate() {
        let Some(v) = topo.value(c.key_idx, i) else { continue };
        let cnt = if c.hostname { count(c, i) } else { s.domains[ci].get(v).unwrap_or(0) };
        total += cnt as f64 * s.weights[ci] + (c.max_skew - 1) as f64;
    }
    round_half_away(total)
}

/// `math.Round` for a non-negative score, without a libm call.
#[inline]
fn round_half_away(x: f64) -> i64 {
    let t = x as i64;
    if x - t as f64 >= 0.5 { t + 1 } else { t }
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
        let mut topo = Topology::default();
        let c = Constraint {
            max_skew: 1,
            key: LABEL_ZONE.into(),
            key_idx: topo.key(LABEL_ZONE, &nodes, 0),
            hostname: false,
            selector: sel(),
            min_domains: None,
            honor_node_affinity: true,
            honor_node_taints: false,
        };
        let s = pre_filter(vec![c], &topo, &nodes, &crate::api::pod::test_pod_spec(), |_, i| pods[i]);
        assert_eq!(s.min, [0]);
        let mut l = Labels::default();
        l.insert("app", "web");
        assert_eq!(filter(&s, &topo, 0, &l), super::super::SPREAD);
        assert_eq!(filter(&s, &topo, 2, &l), 0);
        // minDomains 3 with two domains: the minimum counts as 0.
        let mut c = s.constraints[0].clone();
        c.min_domains = Some(3);
        let s = pre_filter(vec![c], &topo, &nodes, &crate::api::pod::test_pod_spec(), |_, i| pods[i] + 1);
        assert_eq!(s.min, [0]);
    }

    #[test]
    fn system_default_scoring_prefers_the_emptier_host_and_zone() {
        // Hostname maxSkew 3 and zone maxSkew 5 over three nodes in two zones; node n1 holds 2
        // matching pods, n2 1, n3 none. Weights ln(3+2) (hosts) and ln(2+2) (zones).
        let nodes = [node("n1", "a"), node("n2", "a"), node("n3", "b")];
        let pods = [2, 1, 0];
        let mut topo = Topology::default();
        let mut cs = system_default_constraints();
        resolve(&mut cs, &mut topo, &nodes, 0);
        let s = pre_score(&cs, false, &topo, &nodes, &[0, 1, 2], &crate::api::pod::test_pod_spec(), |_, i| pods[i]);
        let (wh, wz) = (5f64.ln(), 4f64.ln());
        let raw: Vec<i64> = (0..3).map(|k| score(&s, &topo, k, k, |_, i| pods[i])).collect();
        let want = |h: f64, z: f64| (h * wh + 2.0 + z * wz + 4.0).round() as i64;
        assert_eq!(raw, [want(2.0, 3.0), want(1.0, 3.0), want(0.0, 0.0)]);
        let mut n = raw.clone();
        normalize(&s, &mut n);
        assert_eq!(n[2], 100 * (raw[0] + raw[2] - raw[2]) / raw[0]);
        assert!(n[2] > n[1] && n[1] > n[0]);
    }
}
