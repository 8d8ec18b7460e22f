//! `tainttoleration`: NoSchedule and NoExecute taints must be tolerated (Filter); the fewer
//! untolerated PreferNoSchedule taints a node has, the better (Score, reversed normalisation).

use crate::api::{Node, Taint, TaintEffect, Toleration};

/// The first taint that filters the pod out: NoSchedule or NoExecute and not tolerated.
pub fn first_untolerated(node: &Node, tolerations: &[Toleration]) -> Option<usize> {
    node.taints
        .iter()
        .position(|t| t.effect != TaintEffect::PreferNoSchedule && !tolerations.iter().any(|tol| tol.tolerates(t)))
}

/// The Filter's reason for an untolerated taint (v1.34 wording).
pub fn untolerated_message(t: &Taint) -> String {
    format!("node(s) had untolerated taint {{{}: {}}}", t.key, t.value)
}

/// Score: how many PreferNoSchedule taints the pod's PreferNoSchedule (or effect-less)
/// tolerations do not tolerate.
pub fn score(node: &Node, tolerations: &[Toleration]) -> i64 {
    node.taints
        .iter()
        .filter(|t| t.effect == TaintEffect::PreferNoSchedule)
        .filter(|t| {
            !tolerations
                .iter()
                .filter(|tol| tol.effect.is_none_or(|e| e == TaintEffect::PreferNoSchedule))
                .any(|tol| tol.tolerates(t))
        })
        .count() as i64
}

#[cfg(test)]
mod tests {
    //! The cases of upstream's taint_toleration_test.go (those without the alpha Gt/Lt
    //! toleration operators, which v1.34 does not have), each named after the upstream case.
    use super::super::helper::default_normalize_score;
    use super::*;
    use crate::api::pod::TolerationOp;

    fn node(taints: &[(&str, &str, TaintEffect)]) -> Node {
        let mut n = crate::api::node::test_node("n", &[]);
        n.taints = taints.iter().map(|&(k, v, e)| Taint { key: k.into(), value: v.into(), effect: e }).collect();
        n
    }

    fn tol(k: &str, op: TolerationOp, v: &str, e: Option<TaintEffect>) -> Toleration {
        Toleration { key: k.into(), op, value: v.into(), effect: e, toleration_seconds: None }
    }

    fn scores(tols: &[Toleration], nodes: &[Node]) -> Vec<i64> {
        let mut s: Vec<i64> = nodes.iter().map(|n| score(n, tols)).collect();
        default_normalize_score(100, true, &mut s);
        s
    }

    use TaintEffect::{NoSchedule as NS, PreferNoSchedule as PNS};
    use TolerationOp::{Equal, Exists};

    #[test]
    fn taint_toleration_score() {
        // "node with taints tolerated by the pod, gets a higher score than those node with intolerable taints"
        let t = [tol("foo", Equal, "bar", Some(PNS))];
        assert_eq!(scores(&t, &[node(&[("foo", "bar", PNS)]), node(&[("foo", "blah", PNS)])]), [100, 0]);
        // "the nodes that all of their taints are tolerated by the pod, get the same score, ..."
        let t = [tol("cpu-type", Equal, "arm64", Some(PNS)), tol("disk-type", Equal, "ssd", Some(PNS))];
        let ns = [
            node(&[]),
            node(&[("cpu-type", "arm64", PNS)]),
            node(&[("cpu-type", "arm64", PNS), ("disk-type", "ssd", PNS)]),
        ];
        assert_eq!(scores(&t, &ns), [100, 100, 100]);
        // "the more intolerable taints a node has, the lower score it gets."
        let t = [tol("foo", Equal, "bar", Some(PNS))];
        assert_eq!(scores(&t, &ns), [100, 50, 0]);
        // "only taints and tolerations that have effect PreferNoSchedule are checked by ..."
        let t = [tol("cpu-type", Equal, "arm64", Some(NS)), tol("disk-type", Equal, "ssd", Some(NS))];
        let ns2 = [
            node(&[]),
            node(&[("cpu-type", "arm64", NS)]),
            node(&[("cpu-type", "arm64", PNS), ("disk-type", "ssd", PNS)]),
        ];
        assert_eq!(scores(&t, &ns2), [100, 100, 0]);
        // "Default behaviour No taints and tolerations, lands on node with no taints"
        assert_eq!(scores(&[], &[node(&[]), node(&[("cpu-type", "arm64", PNS)])]), [100, 0]);
    }

    #[test]
    fn taint_toleration_filter() {
        let dedicated1 = node(&[("dedicated", "user1", NS)]);
        // "A pod having no tolerations can't be scheduled onto a node with nonempty taints"
        assert_eq!(first_untolerated(&dedicated1, &[]), Some(0));
        assert_eq!(untolerated_message(&dedicated1.taints[0]), "node(s) had untolerated taint {dedicated: user1}");
        // "A pod which can be scheduled on a dedicated node assigned to user1 with effect NoSchedule"
        assert_eq!(first_untolerated(&dedicated1, &[tol("dedicated", Equal, "user1", Some(NS))]), None);
        // "A pod which can't be scheduled on a dedicated node assigned to user2 with effect NoSchedule"
        assert_eq!(first_untolerated(&dedicated1, &[tol("dedicated", Equal, "user2", Some(NS))]), Some(0));
        // "A pod can be scheduled onto the node, with a toleration uses operator Exists ..."
        assert_eq!(first_untolerated(&node(&[("foo", "bar", NS)]), &[tol("foo", Exists, "", Some(NS))]), None);
        // "A pod has multiple tolerations, node has multiple taints, all the taints are tolerated, ..."
        let n = node(&[("dedicated", "user2", NS), ("foo", "bar", NS)]);
        let t = [tol("dedicated", Equal, "user2", Some(NS)), tol("foo", Exists, "", Some(NS))];
        assert_eq!(first_untolerated(&n, &t), None);
        // "A pod has a toleration that keys and values match the taint on the node, but (non-empty) effect doesn't match, ..."
        assert_eq!(first_untolerated(&node(&[("foo", "bar", NS)]), &[tol("foo", Equal, "bar", Some(PNS))]), Some(0));
        // "The pod has a toleration that keys and values match the taint on the node, the effect of toleration is empty, ..."
        assert_eq!(first_untolerated(&node(&[("foo", "bar", NS)]), &[tol("foo", Equal, "bar", None)]), None);
        // "The pod has a toleration that key and value don't match the taint on the node, but the effect of taint on node is PreferNoSchedule. ..."
        let p = node(&[("dedicated", "user1", PNS)]);
        assert_eq!(first_untolerated(&p, &[tol("dedicated", Equal, "user2", Some(NS))]), None);
        // "The pod has no toleration, but the effect of taint on node is PreferNoSchedule. ..."
        assert_eq!(first_untolerated(&p, &[]), None);
    }
}
