//! The layering of `src/` (#17): each top-level module imports only from the layers below it,
//! never from its own layer's other modules, so the import graph has no circle. The table is
//! written once, here; the test names the file and line of every import that breaks it.

use super::*;

/// Bottom to top. Modules on one line are peers: they may not import each other.
const LAYERS: &[&[&str]] = &[
    // The kernel: virtual time, the event queue, RNG streams. Knows nothing of Kubernetes.
    &["sim"],
    // The object model, settings and upstream defaults as named constants, label/selector helpers.
    &["api"],
    // What components share: the physical world (registry, node power), the API server's store,
    // watches and eviction subresource, the recorder of events and samples.
    &["world", "apiserver", "record"],
    // `Ctx`, `Event` and each component's event payloads, as plain data.
    &["runtime"],
    // The components: they talk through the API server and its watches; chaos acts on the world
    // and the API server only.
    &["scheduler", "controller", "kubelet", "chaos"],
    // Scenario files -> the validated model, built from the lower types.
    &["scenario"],
    // Checks of the store's consistency.
    &["invariants"],
    // One run's wiring and dispatch.
    &["cluster"],
    // `simulate`, `RunResult`, the summary metrics.
    &["run"],
    // CSV, charts, kubectl views, the HTML report, output folders.
    &["report"],
    // Sweeps: grids, parallel runs, aggregation.
    &["sweep"],
    // lib.rs: re-exports only (main.rs is a separate crate on top).
    &["crate"],
];

fn layer_of(m: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&m))
}

/// The module path of a source file: `src/report/csv.rs` -> [report, csv]; `src/api/mod.rs` ->
/// [api]; `src/lib.rs` -> [].
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel.iter().map(|c| c.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_string());
    }
    parts
}

/// The code without comments (`//` to the end of the line; string contents are kept, which is
/// fine: no string in src/ spells a `crate::` path).
fn strip_comments(text: &str) -> Vec<String> {
    text.lines().map(|l| l.split_once("//").map_or(l, |(code, _)| code).to_string()).collect()
}

/// Every top-level module a line refers to, with `super::` chains resolved from `here`.
fn references(code: &str, here: &[String], open_group: &mut bool) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let mut i = 0;
    // Inside a multi-line `use crate::{...}` group: each item's first segment.
    if *open_group {
        let end = code.find('}');
        let part = &code[..end.unwrap_or(code.len())];
        out.extend(group_items(part));
        if end.is_some() {
            *open_group = false;
        }
    }
    while let Some(off) = code[i..].find("crate::").or_else(|| code[i..].find("super::")) {
        let at = i + off;
        let word_before = at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_');
        if word_before {
            i = at + 1;
            continue;
        }
        let (mut rest, mut path): (&str, Vec<String>) = if code[at..].starts_with("crate::") {
            (&code[at + 7..], Vec::new())
        } else {
            (&code[at..], here.to_vec())
        };
        while let Some(r) = rest.strip_prefix("super::") {
            path.pop();
            rest = r;
        }
        if let Some(group) = rest.strip_prefix('{') {
            match group.find('}') {
                Some(end) => out.extend(group_items(&group[..end]).into_iter().map(|m| first(&path, &m))),
                None => {
                    out.extend(group_items(group).into_iter().map(|m| first(&path, &m)));
                    *open_group = path.is_empty();
                }
            }
        } else {
            let seg: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            out.push(first(&path, &seg));
        }
        i = at + 7;
    }
    out
}

/// `mod NAME {` (with any visibility) opens an inline module.
fn inline_module(line: &str) -> Option<String> {
    let t = line.trim_start();
    let t = t.strip_prefix("pub(crate) ").or_else(|| t.strip_prefix("pub ")).unwrap_or(t);
    let name = t.strip_prefix("mod ")?.strip_suffix('{')?.trim();
    name.chars().all(|c| c.is_alphanumeric() || c == '_').then(|| name.to_string())
}

fn group_items(s: &str) -> Vec<String> {
    s.split(',')
        .map(|x| x.trim().split("::").next().unwrap_or("").trim().to_string())
        .filter(|x| !x.is_empty() && x != "self")
        .collect()
}

/// The top-level module named by `seg` after the resolved path `path`.
fn first(path: &[String], seg: &str) -> String {
    match path.first() {
        Some(top) => top.clone(),
        None if layer_of(seg).is_some() => seg.to_string(),
        // An item of lib.rs itself (a re-export such as `crate::simulate`).
        None => "crate".to_string(),
    }
}

/// Every import that breaks the table, as `file:line: what`.
pub fn violations(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") && p.file_name().unwrap() != "main.rs" {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let rel = f.strip_prefix(src).unwrap();
        let here = module_path(rel);
        let top = here.first().cloned().unwrap_or_else(|| "crate".into());
        let Some(mine) = layer_of(&top) else {
            out.push(format!("src/{}: module {top} is in no layer: add it to LAYERS", rel.display()));
            continue;
        };
        let mut open_group = false;
        // Inline modules (`mod tests { ... }`) add a level for `super::`: tracked by brace depth.
        let (mut depth, mut inline): (i64, Vec<(String, i64)>) = (0, Vec::new());
        for (n, line) in strip_comments(&std::fs::read_to_string(&f).unwrap()).iter().enumerate() {
            let mut path = here.clone();
            path.extend(inline.iter().map(|(m, _)| m.clone()));
            let refs = references(line, &path, &mut open_group);
            if let Some(name) = inline_module(line) {
                inline.push((name, depth));
            }
            depth += line.matches('{').count() as i64 - line.matches('}').count() as i64;
            while inline.last().is_some_and(|(_, d)| *d >= depth) {
                inline.pop();
            }
            for m in refs {
                if m == top {
                    continue;
                }
                let why = match layer_of(&m) {
                    None => Some("a module in no layer".to_string()),
                    Some(l) if l > mine => Some(format!("layer {l} is above {top}'s layer {mine}")),
                    Some(l) if l == mine => Some(format!("{m} is a peer of {top}: peers talk through the API server")),
                    _ => None,
                };
                if let Some(why) = why {
                    out.push(format!("src/{}:{}: {top} imports {m} ({why})", rel.display(), n + 1));
                }
            }
        }
    }
    out
}

#[test]
fn each_module_imports_only_from_the_layers_below_it() {
    let v = violations(&root().join("src"));
    assert!(v.is_empty(), "{} import(s) break the layering:\n{}", v.len(), v.join("\n"));
}

#[test]
fn the_layering_test_catches_an_upward_import_and_a_peer_import() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path();
    std::fs::create_dir_all(src.join("api")).unwrap();
    std::fs::create_dir_all(src.join("kubelet")).unwrap();
    std::fs::write(src.join("lib.rs"), "pub mod api;\npub mod kubelet;\n").unwrap();
    std::fs::write(src.join("api/mod.rs"), "// crate::cluster in a comment is fine\nuse crate::sim::SimTime;\n")
        .unwrap();
    std::fs::write(src.join("kubelet/mod.rs"), "use super::api::Pod;\nmod images;\n").unwrap();
    std::fs::write(
        src.join("kubelet/images.rs"),
        "use super::Kubelet;\nuse crate::{\n    api::Pod,\n    scheduler::Scheduler,\n};\nfn f() { crate::cluster::x(); super::super::report::y(); }\n",
    )
    .unwrap();
    let v = violations(src);
    assert_eq!(
        v,
        [
            "src/kubelet/images.rs:4: kubelet imports scheduler (scheduler is a peer of kubelet: peers talk through the API server)",
            "src/kubelet/images.rs:6: kubelet imports cluster (layer 7 is above kubelet's layer 4)",
            "src/kubelet/images.rs:6: kubelet imports report (layer 9 is above kubelet's layer 4)",
        ]
    );
}
