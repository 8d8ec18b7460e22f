//! `nodeaffinity`: the pod's nodeSelector and required node affinity (Filter), the sum of the
//! weights of its preferred terms a node matches (Score, normalised by the largest).

use crate::api::{Node, PodSpec};

/// Filter: the nodeSelector's labels all present, and one required term (if any) matching.
/// The DaemonSet controller's `matchFields: metadata.name` pin is `affinity_node`.
pub fn matches(pod: &PodSpec, node: &Node) -> bool {
    if !pod.node_selector.0.iter().all(|(k, v)| node.labels.get(k) == Some(v.as_str())) {
        return false;
    }
    if pod.affinity_node.as_deref().is_some_and(|n| n != node.name) {
        return false;
    }
    match pod.affinity.as_ref().and_then(|a| a.node_required.as_ref()) {
        Some(terms) => terms.iter().any(|t| t.matches(node)),
        None => true,
    }
}

/// Score: the sum of the weights of the preferred terms the node matches.
pub fn score(pod: &PodSpec, node: &Node) -> i64 {
    pod.affinity
        .as_ref()
        .map_or(0, |a| a.node_preferred.iter().filter(|(_, t)| t.matches(node)).map(|&(w, _)| w as i64).sum())
}

/// PreScore skips pods without preferred terms.
pub fn has_preferred(pod: &PodSpec) -> bool {
    pod.affinity.as_ref().is_some_and(|a| !a.node_preferred.is_empty())
}

#[cfg(test)]
mod tests {
    //! The Filter cases of upstream's node_affinity_test.go (TestNodeAffinity), each named after
    //! the upstream case, and a Score case computed by hand the way TestNodeAffinityPriority does.
    use super::super::helper::default_normalize_score;
    use super::*;
    use crate::api::*;

    fn node(name: &str, labels: &[(&str, &str)]) -> Node {
        crate::api::node::test_node(name, labels)
    }

    fn req(k: &str, op: NodeSelectorOp, v: &[&str]) -> NodeSelectorRequirement {
        NodeSelectorRequirement { key: k.into(), op, values: v.iter().map(|s| s.to_string()).collect() }
    }

    fn spec(selector: &[(&str, &str)], required: Option<Vec<NodeSelectorTerm>>) -> PodSpec {
        let mut s = crate::api::pod::test_pod_spec();
        s.node_selector = Labels::from_pairs(selector.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect());
        if required.is_some() {
            s.affinity = Some(Box::new(Affinity { node_required: required, ..Affinity::default() }));
        }
        s
    }

    fn term(e: Vec<NodeSelectorRequirement>) -> NodeSelectorTerm {
        NodeSelectorTerm::new(e, vec![])
    }

    use NodeSelectorOp::*;

    #[test]
    fn node_affinity_filter() {
        let foo_bar = node("node1", &[("foo", "bar")]);
        // "missing labels"
        assert!(!matches(&spec(&[("foo", "bar")], None), &node("node1", &[])));
        // "same labels"
        assert!(matches(&spec(&[("foo", "bar")], None), &foo_bar));
        // "node labels are superset"
        assert!(matches(&spec(&[("foo", "bar")], None), &node("node1", &[("foo", "bar"), ("baz", "blah")])));
        // "node labels are subset"
        assert!(!matches(&spec(&[("foo", "bar"), ("baz", "blah")], None), &foo_bar));
        // "Pod with matchExpressions using In operator that matches the existing node"
        assert!(matches(&spec(&[], Some(vec![term(vec![req("foo", In, &["bar", "value2"])])])), &foo_bar));
        // "Pod with matchExpressions using Gt operator that matches the existing node"
        let k = node("node1", &[("kernel-version", "0206")]);
        assert!(matches(&spec(&[], Some(vec![term(vec![req("kernel-version", Gt, &["0204"])])])), &k));
        // "Pod with matchExpressions using NotIn operator that matches the existing node"
        let m = node("node1", &[("mem-type", "DDR3")]);
        assert!(matches(&spec(&[], Some(vec![term(vec![req("mem-type", NotIn, &["DDR", "DDR2"])])])), &m));
        // "Pod with matchExpressions using Exists operator that matches the existing node"
        let g = node("node1", &[("GPU", "NVIDIA-GRID-K1")]);
        assert!(matches(&spec(&[], Some(vec![term(vec![req("GPU", Exists, &[])])])), &g));
        // "Pod with affinity that don't match node's labels won't schedule onto the node"
        assert!(!matches(&spec(&[], Some(vec![term(vec![req("foo", In, &["value1", "value2"])])])), &foo_bar));
        // "Pod with empty MatchExpressions is not a valid value will match no objects and won't schedule onto the node"
        assert!(!matches(&spec(&[], Some(vec![term(vec![])])), &foo_bar));
        // "Pod with no Affinity will schedule onto a node"
        assert!(matches(&spec(&[], None), &foo_bar));
        // "Pod with multiple matchExpressions ANDed that matches the existing node"
        let t = term(vec![req("GPU", Exists, &[]), req("GPU", NotIn, &["AMD", "INTER"])]);
        assert!(matches(&spec(&[], Some(vec![t])), &g));
        // "Pod with multiple matchExpressions ANDed that doesn't match the existing node"
        let t = term(vec![req("GPU", Exists, &[]), req("GPU", In, &["AMD", "INTER"])]);
        assert!(!matches(&spec(&[], Some(vec![t])), &g));
        // "Pod with multiple NodeSelectorTerms ORed in affinity, matches the node's labels and will schedule onto the node"
        let ts =
            vec![term(vec![req("foo", In, &["bar", "value2"])]), term(vec![req("diffkey", In, &["wrong", "value2"])])];
        assert!(matches(&spec(&[], Some(ts)), &foo_bar));
        // "Pod with an Affinity and a PodSpec.NodeSelector(...) both are satisfied, will schedule onto the node"
        assert!(matches(&spec(&[("foo", "bar")], Some(vec![term(vec![req("foo", Exists, &[])])])), &foo_bar));
        // "Pod with an Affinity matches node's labels but the PodSpec.NodeSelector(...) is not satisfied, ..."
        let f2 = node("node1", &[("foo", "barrrrrr")]);
        assert!(!matches(&spec(&[("foo", "bar")], Some(vec![term(vec![req("foo", Exists, &[])])])), &f2));
        // "Pod with an invalid value in Affinity term won't be scheduled onto the node"
        let t = term(vec![req("foo", NotIn, &["invalid value: ___@#$%^"])]);
        assert!(!matches(&spec(&[], Some(vec![t])), &foo_bar));
        // "Pod with matchFields using In operator that matches the existing node"
        let by_name = || NodeSelectorTerm::new(vec![], vec![req("metadata.name", In, &["node1"])]);
        assert!(matches(&spec(&[], Some(vec![by_name()])), &node("node1", &[])));
        // "Pod with matchFields using In operator that does not match the existing node"
        assert!(!matches(&spec(&[], Some(vec![by_name()])), &node("node2", &[])));
        // "Pod with two terms: matchFields does not match, but matchExpressions matches"
        let two = NodeSelectorTerm::new(
            vec![],
            vec![req("metadata.name", In, &["node1"]), req("metadata.name", In, &["node2"])],
        );
        let ts = vec![two, term(vec![req("foo", In, &["bar"])])];
        assert!(matches(&spec(&[], Some(ts)), &node("node2", &[("foo", "bar")])));
    }

    #[test]
    fn node_affinity_score() {
        // Preferred terms of weight 2 (foo=bar), 4 (key=value) and 5 (az1 in zone): a node
        // matching all three scores 11 -> 100; one matching only foo=bar 2 -> 18; none 0.
        let mut s = crate::api::pod::test_pod_spec();
        s.affinity = Some(Box::new(Affinity {
            node_preferred: vec![
                (2, term(vec![req("foo", In, &["bar"])])),
                (4, term(vec![req("key", In, &["value"])])),
                (5, term(vec![req("az", In, &["az1"])])),
            ],
            ..Affinity::default()
        }));
        let nodes = [
            node("node1", &[("foo", "bar")]),
            node("node2", &[]),
            node("node3", &[("foo", "bar"), ("key", "value"), ("az", "az1")]),
        ];
        let mut v: Vec<i64> = nodes.iter().map(|n| score(&s, n)).collect();
        assert_eq!(v, [2, 0, 11]);
        default_normalize_score(100, false, &mut v);
        assert_eq!(v, [18, 0, 100]);
        assert!(has_preferred(&s));
        assert!(!has_preferred(&crate::api::pod::test_pod_spec()));
    }
}
