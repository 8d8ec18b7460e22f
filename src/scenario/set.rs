//! `--set PATH=VALUE` and sweep parameters: change one value of a scenario file by path, then
//! validate the result as a whole. A path starts in the Scenario document
//! (`spec.kubernetes.defaultUnreachableTolerationSeconds`, `spec.nodePools[0].count`) or in a
//! manifest named by `kind/name` (`deployment/web.spec.replicas`). Missing map keys on the way
//! are created; list indices must exist.

use super::error::{LoadError, SourceFile};
use super::{LoadOptions, Scenario};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::fmt::Write;
use std::sync::Arc;

/// A YAML value that remembers whether a scalar was a string, so it can be written back.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    /// A number as written (integers stay exact).
    Num(String),
    Str(String),
    List(Vec<Node>),
    /// In file order.
    Map(Vec<(String, Node)>),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Node;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a YAML value")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Node, E> {
                Ok(Node::Str(s.to_string()))
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<Node, E> {
                Ok(Node::Bool(b))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Node, E> {
                Ok(Node::Num(n.to_string()))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Node, E> {
                Ok(Node::Num(n.to_string()))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<Node, E> {
                Ok(if n.is_finite() { Node::Num(format!("{n:?}")) } else { Node::Str(n.to_string()) })
            }
            fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Node, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = a.next_element()? {
                    v.push(x);
                }
                Ok(Node::List(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Node, A::Error> {
                let mut m: Vec<(String, Node)> = Vec::new();
                while let Some((k, v)) = a.next_entry::<String, Node>()? {
                    match m.iter_mut().find(|(x, _)| *x == k) {
                        Some(e) => e.1 = v,
                        None => m.push((k, v)),
                    }
                }
                Ok(Node::Map(m))
            }
        }
        d.deserialize_any(V)
    }
}

impl Node {
    /// Flow-style (JSON-like) YAML that parses back to the same value.
    pub fn write(&self, out: &mut String) {
        match self {
            Node::Null => out.push_str("null"),
            Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Node::Num(n) => out.push_str(n),
            Node::Str(s) => quote(s, out),
            Node::List(v) => {
                out.push('[');
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    x.write(out);
                }
                out.push(']');
            }
            Node::Map(m) => {
                out.push('{');
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    quote(k, out);
                    out.push_str(": ");
                    v.write(out);
                }
                out.push('}');
            }
        }
    }

    /// `write` into a new string.
    pub fn inline(&self) -> String {
        let mut s = String::new();
        self.write(&mut s);
        s
    }

    fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

fn quote(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// One step of a path.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// A parsed `--set` path: which document, then the steps inside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Path {
    /// `None`: the Scenario document; `Some((kind, name))`: a manifest.
    doc: Option<(String, String)>,
    steps: Vec<Step>,
    text: String,
}

impl Path {
    pub fn parse(text: &str) -> Result<Path, String> {
        let t = text.trim();
        let (doc, rest) = match t.split_once('/') {
            Some((kind, rest)) if !kind.contains('.') => {
                let (name, rest) = rest.split_once('.').ok_or_else(|| {
                    format!("{t:?}: after `{kind}/NAME` comes a field path, e.g. `{kind}/web.spec.replicas`")
                })?;
                if name.is_empty() {
                    return Err(format!("{t:?}: the manifest name is empty"));
                }
                (Some((kind.to_ascii_lowercase(), name.to_string())), rest)
            }
            _ => (None, t),
        };
        if doc.is_none() && !(rest.starts_with("spec.") || rest.starts_with("metadata.")) {
            return Err(format!(
                "{t:?} is not a path kubesim knows: start with `spec.` (the Scenario document) or `KIND/NAME.` (a manifest, e.g. `deployment/web.spec.replicas`)"
            ));
        }
        let mut steps = Vec::new();
        for part in rest.split('.') {
            let (key, mut idx) = match part.find('[') {
                Some(i) => (&part[..i], &part[i..]),
                None => (part, ""),
            };
            if key.is_empty() {
                return Err(format!("{t:?}: an empty field name"));
            }
            steps.push(Step::Key(key.to_string()));
            while !idx.is_empty() {
                let close = idx.find(']').ok_or_else(|| format!("{t:?}: `[` without `]`"))?;
                let n: usize =
                    idx[1..close].parse().map_err(|_| format!("{t:?}: {:?} is not a list index", &idx[1..close]))?;
                steps.push(Step::Index(n));
                idx = &idx[close + 1..];
            }
        }
        Ok(Path { doc, steps, text: t.to_string() })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// A value as written after `=`: a YAML scalar (`30`, `true`, `5m`, `"a b"`).
pub fn parse_value(text: &str) -> Result<Node, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("the value is empty".into());
    }
    serde_saphyr::from_str::<Node>(t).map_err(|e| format!("{t:?} is not a YAML value: {e}"))
}

/// A scenario file split into documents, ready to take `set`s.
#[derive(Clone, Debug)]
pub struct Docs {
    docs: Vec<Node>,
}

impl Docs {
    pub fn parse(text: &str) -> Result<Docs, String> {
        let mut docs = Vec::new();
        for d in super::validate::split_documents(text) {
            let n: Node =
                serde_saphyr::from_str(&d.text).map_err(|e| format!("document at line {}: {e}", d.first_line))?;
            docs.push(n);
        }
        Ok(Docs { docs })
    }

    /// Whether one of the documents is the one `path` names.
    pub fn holds(&self, path: &Path) -> bool {
        self.docs.iter().any(|d| names(d, path))
    }

    /// Set `path` to `value`.
    pub fn set(&mut self, path: &Path, value: &Node) -> Result<(), String> {
        let doc = self.docs.iter_mut().find(|d| names(d, path)).ok_or_else(|| match &path.doc {
            None => "the file has no Scenario document".to_string(),
            Some((kind, name)) => format!("{}: the file has no {kind} named {name:?}", path.text),
        })?;
        let mut cur = doc;
        for (i, step) in path.steps.iter().enumerate() {
            // `kubernetes:` with nothing after it is an empty mapping to fill.
            if matches!(cur, Node::Null) && matches!(step, Step::Key(_)) {
                *cur = Node::Map(Vec::new());
            }
            cur = match (step, cur) {
                (Step::Key(k), Node::Map(m)) => {
                    if !m.iter().any(|(x, _)| x == k) {
                        let fresh = if matches!(path.steps.get(i + 1), Some(Step::Index(_))) {
                            Node::List(Vec::new())
                        } else {
                            Node::Map(Vec::new())
                        };
                        m.push((k.clone(), fresh));
                    }
                    &mut m.iter_mut().find(|(x, _)| x == k).expect("just ensured").1
                }
                (Step::Index(n), Node::List(v)) => {
                    let len = v.len();
                    v.get_mut(*n)
                        .ok_or_else(|| format!("{}: index {n} is out of range (the list has {len})", path.text))?
                }
                (Step::Key(k), _) => return Err(format!("{}: {k:?} is not inside a mapping", path.text)),
                (Step::Index(n), _) => return Err(format!("{}: [{n}] is not inside a list", path.text)),
            };
        }
        *cur = value.clone();
        Ok(())
    }

    /// The file again, each document as flow YAML.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for (i, d) in self.docs.iter().enumerate() {
            if i > 0 {
                out.push_str("---\n");
            }
            d.write(&mut out);
            out.push('\n');
        }
        out
    }
}

/// Whether document `d` is the one `path` starts at.
fn names(d: &Node, path: &Path) -> bool {
    match &path.doc {
        None => d.get("kind") == Some(&Node::Str("Scenario".into())),
        Some((kind, name)) => {
            let k = matches!(d.get("kind"), Some(Node::Str(k)) if k.eq_ignore_ascii_case(kind));
            let n = d.get("metadata").and_then(|m| m.get("name")) == Some(&Node::Str(name.clone()));
            k && n
        }
    }
}

/// Apply `--set PATH=VALUE` settings to a scenario file (for `kubesim run --set`).
pub fn load_with_sets(file: &std::path::Path, sets: &[String], opts: &LoadOptions) -> Result<Scenario, LoadError> {
    let inp = super::input::Input::file(file);
    let sources = super::input::read_sources(&inp, opts)?;
    load_sources_with_sets(&sources, &inp.anchor(), sets, opts)
}

/// `--set` over texts already read (the scenario's first): each setting changes the document it
/// names, in whichever file holds it.
pub fn load_sources_with_sets(
    sources: &[SourceFile],
    anchor: &std::path::Path,
    sets: &[String],
    opts: &LoadOptions,
) -> Result<Scenario, LoadError> {
    // The files' own errors first, with their places.
    let base = crate::scenario::load_sources(sources.to_vec(), anchor, opts)?;
    if sets.is_empty() {
        return Ok(base);
    }
    let cli = SourceFile { name: "--set".into(), text: Arc::new(sets.join(" ")) };
    let bad = |m: String| -> LoadError {
        cli.error(0, 0, m, Some("e.g. --set deployment/web.spec.replicas=5".into())).into()
    };
    let mut docs = Vec::with_capacity(sources.len());
    for src in sources {
        docs.push(Docs::parse(&src.text).map_err(&bad)?);
    }
    let mut touched = vec![false; sources.len()];
    for s in sets {
        let (p, v) = s.split_once('=').ok_or_else(|| bad(format!("{s:?} is not PATH=VALUE")))?;
        let path = Path::parse(p).map_err(&bad)?;
        let value = parse_value(v).map_err(&bad)?;
        let i = docs.iter().position(|d| d.holds(&path)).unwrap_or(0);
        docs[i].set(&path, &value).map_err(&bad)?;
        touched[i] = true;
    }
    // Only the files a setting changed are rewritten: the others keep their places for messages.
    let changed: Vec<SourceFile> = sources
        .iter()
        .zip(&docs)
        .zip(&touched)
        .map(
            |((src, d), &t)| {
                if t { SourceFile { name: src.name.clone(), text: Arc::new(d.text()) } } else { src.clone() }
            },
        )
        .collect();
    crate::scenario::load_sources(changed, anchor, opts).map_err(|e| match e {
        LoadError::Input(i) => bad(format!("with {}: {}", sets.join(", "), i.message)),
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nmetadata: {name: x}\nspec:\n  duration: 5m\n  nodePools:\n  - {name: w, count: 2, capacity: {cpu: \"4\", memory: 8Gi}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 3\n  template: {spec: {containers: [{name: c, image: \"nginx:1.27\"}]}}\n";

    fn set(path: &str, value: &str) -> Result<String, String> {
        let mut d = Docs::parse(FILE)?;
        d.set(&Path::parse(path)?, &parse_value(value)?)?;
        Ok(d.text())
    }

    #[test]
    fn sets_by_path_and_writes_back() {
        let t = set("deployment/web.spec.replicas", "5").unwrap();
        assert!(t.contains("\"replicas\": 5"), "{t}");
        assert!(t.contains("\"image\": \"nginx:1.27\""), "{t}");
        let t = set("spec.nodePools[0].count", "7").unwrap();
        assert!(t.contains("\"count\": 7"), "{t}");
        let t = set("spec.kubernetes.defaultUnreachableTolerationSeconds", "30").unwrap();
        assert!(t.contains("\"kubernetes\": {\"defaultUnreachableTolerationSeconds\": 30}"), "{t}");
        let t = set("spec.duration", "1h").unwrap();
        assert!(t.contains("\"duration\": \"1h\""), "{t}");
        // The result parses back.
        assert!(Docs::parse(&t).is_ok());
    }

    #[test]
    fn bad_paths_say_why() {
        assert!(set("replicas", "3").unwrap_err().contains("start with `spec.`"));
        assert!(set("deployment/api.spec.replicas", "3").unwrap_err().contains("no deployment named \"api\""));
        assert!(set("spec.nodePools[3].count", "3").unwrap_err().contains("out of range"));
        assert!(set("spec.duration.x", "3").unwrap_err().contains("not inside a mapping"));
        assert!(Path::parse("spec.a[x]").unwrap_err().contains("not a list index"));
    }
}
