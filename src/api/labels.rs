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

impl LabelSelector {
    /// A selector as `kubectl -l` takes it (`labels.Parse`): requirements joined by commas,
    /// each `key`, `!key`, `key=value` (or `==`), `key!=value`, `key in (a,b)`, `key notin (a,b)`.
    pub fn parse(text: &str) -> Result<LabelSelector, String> {
        let mut sel = LabelSelector::default();
        for part in split_requirements(text) {
            let p = part.trim();
            if p.is_empty() {
                return Err(format!("unable to parse requirement: found '', expected: identifier (in {text:?})"));
            }
            let req = |key: &str, op, values: Vec<String>| -> Result<Requirement, String> {
                let key = key.trim();
                if key.is_empty() || key.contains(char::is_whitespace) {
                    return Err(format!("unable to parse requirement: invalid label key {key:?}"));
                }
                Ok(Requirement { key: key.to_string(), op, values })
            };
            let set = |rest: &str| -> Result<Vec<String>, String> {
                let inner = rest.trim().strip_prefix('(').and_then(|r| r.strip_suffix(')')).ok_or_else(|| {
                    format!("unable to parse requirement: expected a set of values in parentheses in {p:?}")
                })?;
                Ok(inner.split(',').map(|v| v.trim().to_string()).collect())
            };
            let r = if let Some(k) = p.strip_prefix('!') {
                req(k, SelectorOp::DoesNotExist, vec![])?
            } else if let Some((k, v)) = p.split_once("!=") {
                req(k, SelectorOp::NotIn, vec![v.trim().to_string()])?
            } else if let Some((k, v)) = p.split_once("==").or_else(|| p.split_once('=')) {
                req(k, SelectorOp::In, vec![v.trim().to_string()])?
            } else if let Some((k, rest)) = p.split_once(" notin ") {
                req(k, SelectorOp::NotIn, set(rest)?)?
            } else if let Some((k, rest)) = p.split_once(" in ") {
                req(k, SelectorOp::In, set(rest)?)?
            } else {
                req(p, SelectorOp::Exists, vec![])?
            };
            sel.match_expressions.push(r);
        }
        Ok(sel)
    }
}

/// Split at the commas that are not inside parentheses.
fn split_requirements(text: &str) -> Vec<&str> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0i32, 0usize);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_kubectl_l_takes() {
        let web = l(&[("app", "web"), ("tier", "front")]);
        let db = l(&[("app", "db")]);
        let m = |s: &str, x: &Labels| LabelSelector::parse(s).unwrap().matches(x);
        assert!(m("app=web", &web) && !m("app=web", &db));
        assert!(m("app==web,tier", &web) && !m("app=web,tier", &db));
        assert!(m("app!=web", &db) && !m("app!=web", &web));
        assert!(m("app in (db, web),!canary", &web) && m("app in (db,web)", &db));
        assert!(m("app notin (db)", &web) && !m("app notin (db)", &db));
        assert!(!m("!tier", &web) && m("!tier", &db));
        assert!(LabelSelector::parse("app=web,").is_err());
        assert!(LabelSelector::parse("app in db").is_err());
    }

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
