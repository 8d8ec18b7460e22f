//! Labels and label selectors (`matchLabels` + `matchExpressions`).

/// Labels as a sorted list of pairs: small, ordered (deterministic output), cheap to compare.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Labels(pub Vec<(String, String)>);

impl Labels {
    pub fn from_pairs(mut v: Vec<(String, String)>) -> Labels {
        v.sort();
        v.dedup_by(|a, b| a.0 == b.0);
        Labels(v)
    }
    pub fn get(&self, k: &str) -> Option<&str> {
        self.0.binary_search_by(|(key, _)| key.as_str().cmp(k)).ok().map(|i| self.0[i].1.as_str())
    }
    pub fn insert(&mut self, k: &str, v: &str) {
        match self.0.binary_search_by(|(key, _)| key.as_str().cmp(k)) {
            Ok(i) => self.0[i].1 = v.to_string(),
            Err(i) => self.0.insert(i, (k.to_string(), v.to_string())),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectorOp {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    pub op: SelectorOp,
    pub values: Vec<String>,
}

/// A `metav1.LabelSelector`. An empty selector matches everything (as upstream).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelSelector {
    pub match_labels: Vec<(String, String)>,
    pub match_expressions: Vec<Requirement>,
}

impl LabelSelector {
    pub fn matches(&self, labels: &Labels) -> bool {
        self.match_labels.iter().all(|(k, v)| labels.get(k) == Some(v.as_str()))
            && self.match_expressions.iter().all(|r| {
                let have = labels.get(&r.key);
                match r.op {
                    SelectorOp::In => have.is_some_and(|h| r.values.iter().any(|v| v == h)),
                    SelectorOp::NotIn => have.is_none_or(|h| r.values.iter().all(|v| v != h)),
                    SelectorOp::Exists => have.is_some(),
                    SelectorOp::DoesNotExist => have.is_none(),
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(p: &[(&str, &str)]) -> Labels {
        Labels::from_pairs(p.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect())
    }

    #[test]
    fn selector_semantics() {
        let sel = LabelSelector {
            match_labels: vec![("app".into(), "web".into())],
            match_expressions: vec![
                Requirement { key: "tier".into(), op: SelectorOp::In, values: vec!["a".into(), "b".into()] },
                Requirement { key: "canary".into(), op: SelectorOp::DoesNotExist, values: vec![] },
            ],
        };
        assert!(sel.matches(&l(&[("app", "web"), ("tier", "b")])));
        assert!(!sel.matches(&l(&[("app", "web"), ("tier", "c")])));
        assert!(!sel.matches(&l(&[("app", "web"), ("tier", "a"), ("canary", "1")])));
        assert!(!sel.matches(&l(&[("tier", "a")])));
        assert!(LabelSelector::default().matches(&l(&[])));
    }
}
