//! `interpodaffinity`: required pod affinity and anti-affinity, the existing pods' required
//! anti-affinity (Filter), and preferred terms of both sides (Score, min-max normalised).

use super::MAX_NODE_SCORE;
use crate::api::{Affinity, Labels, Node, PodAffinityTerm};
use std::collections::BTreeMap;

/// `hardPodAffinityWeight` (InterPodAffinityArgs default): an existing pod's required affinity
/// to the incoming pod counts this much in Score.
pub const HARD_POD_AFFINITY_WEIGHT: i64 = 1;

/// One pod already on a node, as the plugin sees it.
pub struct Existing<'a> {
    pub namespace: &'a str,
    pub labels: &'a Labels,
    pub affinity: Option<&'a Affinity>,
    pub node: &'a Node,
}

/// The incoming pod.
pub struct Incoming<'a> {
    pub namespace: &'a str,
    pub labels: &'a Labels,
    pub affinity: Option<&'a Affinity>,
}

type Pairs = BTreeMap<(String, String), i64>;

fn domain(node: &Node, key: &str) -> Option<(String, String)> {
    node.labels.get(key).map(|v| (key.to_string(), v.to_string()))
}

/// PreFilter's state: matching pods per topology pair for the pod's required affinity and
/// anti-affinity, and the pairs the existing pods' anti-affinity forbids to it.
#[derive(Clone, Debug, Default)]
pub struct FilterState {
    pub affinity: Pairs,
    pub anti: Pairs,
    pub existing_anti: Pairs,
}

pub fn pre_filter<'a>(pod: &Incoming, existing: impl Iterator<Item = Existing<'a>>) -> FilterState {
    let mut s = FilterState::default();
    let aff = pod.affinity.map_or(&[][..], |a| &a.pod_affinity_required[..]);
    let anti = pod.affinity.map_or(&[][..], |a| &a.pod_anti_affinity_required[..]);
    for e in existing {
        if let Some(ea) = e.affinity {
            for t in &ea.pod_anti_affinity_required {
                if t.selects(e.namespace, pod.namespace, pod.labels)
                    && let Some(d) = domain(e.node, &t.topology_key)
                {
                    *s.existing_anti.entry(d).or_insert(0) += 1;
                }
            }
        }
        // The affinity terms count a pod only when it matches all of them.
        if !aff.is_empty() && aff.iter().all(|t| t.selects(pod.namespace, e.namespace, e.labels)) {
            for t in aff {
                if let Some(d) = domain(e.node, &t.topology_key) {
                    *s.affinity.entry(d).or_insert(0) += 1;
                }
            }
        }
        for t in anti {
            if t.selects(pod.namespace, e.namespace, e.labels)
                && let Some(d) = domain(e.node, &t.topology_key)
            {
                *s.anti.entry(d).or_insert(0) += 1;
            }
        }
    }
    s
}

/// Filter: affinity (unresolvable), then the pod's anti-affinity, then the existing pods'.
pub fn filter(s: &FilterState, pod: &Incoming, node: &Node) -> u32 {
    let aff = pod.affinity.map_or(&[][..], |a| &a.pod_affinity_required[..]);
    let mut exist = true;
    for t in aff {
        let Some(d) = domain(node, &t.topology_key) else { return super::POD_AFFINITY };
        if s.affinity.get(&d).copied().unwrap_or(0) <= 0 {
            exist = false;
        }
    }
    // The first pod of a group that has affinity to itself may go anywhere with the keys.
    let first_of_group =
        s.affinity.is_empty() && aff.iter().all(|t| t.selects(pod.namespace, pod.namespace, pod.labels));
    if !(exist || first_of_group) {
        return super::POD_AFFINITY;
    }
    let anti = pod.affinity.map_or(&[][..], |a| &a.pod_anti_affinity_required[..]);
    for t in anti {
        if let Some(d) = domain(node, &t.topology_key)
            && s.anti.get(&d).copied().unwrap_or(0) > 0
        {
            return super::POD_ANTI_AFFINITY;
        }
    }
    for ((k, v), &c) in &s.existing_anti {
        if c > 0 && node.labels.get(k) == Some(v.as_str()) {
            return super::EXISTING_ANTI_AFFINITY;
        }
    }
    0
}

/// PreScore: the score of each topology pair from both sides' preferred terms (and the
/// existing pods' required affinity to this pod, at the hard weight).
pub fn pre_score<'a>(pod: &Incoming, existing: impl Iterator<Item = Existing<'a>>) -> Pairs {
    let mut m = Pairs::new();
    let mut add = |node: &Node, t: &PodAffinityTerm, w: i64| {
        if let Some(d) = domain(node, &t.topology_key) {
            *m.entry(d).or_insert(0) += w;
        }
    };
    let (pa, pn) = pod
        .affinity
        .map_or((&[][..], &[][..]), |a| (&a.pod_affinity_preferred[..], &a.pod_anti_affinity_preferred[..]));
    for e in existing {
        for (w, t) in pa {
            if t.selects(pod.namespace, e.namespace, e.labels) {
                add(e.node, t, *w as i64);
            }
        }
        for (w, t) in pn {
            if t.selects(pod.namespace, e.namespace, e.labels) {
                add(e.node, t, -(*w as i64));
            }
        }
        if let Some(ea) = e.affinity {
            for t in &ea.pod_affinity_required {
                if t.selects(e.namespace, pod.namespace, pod.labels) {
                    add(e.node, t, HARD_POD_AFFINITY_WEIGHT);
                }
            }
            for (w, t) in &ea.pod_affinity_preferred {
                if t.selects(e.namespace, pod.namespace, pod.labels) {
                    add(e.node, t, *w as i64);
                }
            }
            for (w, t) in &ea.pod_anti_affinity_preferred {
                if t.selects(e.namespace, pod.namespace, pod.labels) {
                    add(e.node, t, -(*w as i64));
                }
            }
        }
    }
    m
}

pub fn score(m: &Pairs, node: &Node) -> i64 {
    m.iter().filter(|((k, v), _)| node.labels.get(k) == Some(v.as_str())).map(|(_, &s)| s).sum()
}

/// NormalizeScore: (s - min) / (max - min) * 100, truncated; all equal: all 0.
pub fn normalize(scores: &mut [i64]) {
    let min = scores.iter().copied().min().unwrap_or(0);
    let max = scores.iter().copied().max().unwrap_or(0);
    let diff = max - min;
    for s in scores.iter_mut() {
        *s = if diff > 0 { (MAX_NODE_SCORE as f64 * ((*s - min) as f64 / diff as f64)) as i64 } else { 0 };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::*;

    fn node(name: &str, zone: &str) -> Node {
        crate::api::node::test_node(name, &[(LABEL_HOSTNAME, name), (LABEL_ZONE, zone)])
    }

    fn app(v: &str) -> Labels {
        let mut l = Labels::default();
        l.insert("app", v);
        l
    }

    fn term(v: &str, key: &str) -> PodAffinityTerm {
        PodAffinityTerm {
            selector: LabelSelector { match_labels: vec![("app".into(), v.into())], match_expressions: vec![] },
            namespaces: vec![],
            topology_key: key.into(),
        }
    }

    #[test]
    fn anti_affinity_keeps_replicas_apart_and_affinity_brings_them_together() {
        let nodes = [node("n1", "a"), node("n2", "a"), node("n3", "b")];
        let web = app("web");
        let anti = Affinity { pod_anti_affinity_required: vec![term("web", LABEL_HOSTNAME)], ..Affinity::default() };
        let existing =
            || std::iter::once(Existing { namespace: "default", labels: &web, affinity: Some(&anti), node: &nodes[0] });
        let pod = Incoming { namespace: "default", labels: &web, affinity: Some(&anti) };
        let s = pre_filter(&pod, existing());
        assert_eq!(filter(&s, &pod, &nodes[0]), super::super::POD_ANTI_AFFINITY);
        assert_eq!(filter(&s, &pod, &nodes[1]), 0);
        // A pod without terms is kept off n1 by the existing pod's anti-affinity.
        let plain = Incoming { namespace: "default", labels: &web, affinity: None };
        let s = pre_filter(&plain, existing());
        assert_eq!(filter(&s, &plain, &nodes[0]), super::super::EXISTING_ANTI_AFFINITY);
        // Zone affinity to a cache pod: only zone a; the first pod of a self-affine group anywhere.
        let cache = app("cache");
        let aff = Affinity { pod_affinity_required: vec![term("cache", LABEL_ZONE)], ..Affinity::default() };
        let pod = Incoming { namespace: "default", labels: &web, affinity: Some(&aff) };
        let s = pre_filter(
            &pod,
            std::iter::once(Existing { namespace: "default", labels: &cache, affinity: None, node: &nodes[1] }),
        );
        assert_eq!(filter(&s, &pod, &nodes[0]), 0);
        assert_eq!(filter(&s, &pod, &nodes[2]), super::super::POD_AFFINITY);
        let selfish = Affinity { pod_affinity_required: vec![term("web", LABEL_ZONE)], ..Affinity::default() };
        let first = Incoming { namespace: "default", labels: &web, affinity: Some(&selfish) };
        let s = pre_filter(&first, std::iter::empty());
        assert_eq!(filter(&s, &first, &nodes[2]), 0);
    }

    #[test]
    fn preferred_terms_score_by_domain() {
        let nodes = [node("n1", "a"), node("n2", "a"), node("n3", "b")];
        let cache = app("cache");
        let web = app("web");
        let aff = Affinity { pod_affinity_preferred: vec![(10, term("cache", LABEL_ZONE))], ..Affinity::default() };
        let pod = Incoming { namespace: "default", labels: &web, affinity: Some(&aff) };
        let m = pre_score(
            &pod,
            std::iter::once(Existing { namespace: "default", labels: &cache, affinity: None, node: &nodes[0] }),
        );
        let mut s: Vec<i64> = nodes.iter().map(|n| score(&m, n)).collect();
        assert_eq!(s, [10, 10, 0]);
        normalize(&mut s);
        assert_eq!(s, [100, 100, 0]);
    }
}
