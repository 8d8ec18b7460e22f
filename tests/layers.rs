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
    // The command line's arguments (main.rs is the glue that calls the library with them).
    &["cli"],
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

/// The longest a function in `src/` may be (outside `#[cfg(test)]` code), and a file.
const MAX_FUNCTION_LINES: usize = 120;
const MAX_FILE_LINES: usize = 900;
// (A file counts its lines outside `#[cfg(test)]` modules.)

/// Functions longer than `MAX_FUNCTION_LINES` (test modules and test files skipped) and files
/// longer than `MAX_FILE_LINES` (test files skipped), as `file:line: what`. A function runs from
/// its `fn` line to the closing brace at its own indentation.
pub fn too_long(src: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![src.to_path_buf()];
    let mut files = Vec::new();
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") && p.file_name().unwrap() != "tests.rs" {
                files.push(p);
            }
        }
    }
    files.sort();
    for f in files {
        let rel = f.strip_prefix(src).unwrap().display().to_string();
        let text = std::fs::read_to_string(&f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let mut test_lines = 0;
        let mut i = 0;
        while i < lines.len() {
            let l = lines[i];
            let indent = l.len() - l.trim_start().len();
            let closing = format!("{}}}", " ".repeat(indent));
            if l.trim_start().starts_with("#[cfg(test)]") {
                // Skip the test module (or item) that follows.
                let next = lines.get(i + 1).map_or("", |n| n.trim_end());
                if next.ends_with('{') {
                    let end = (i + 2..lines.len()).find(|&k| lines[k].trim_end() == closing).unwrap_or(lines.len());
                    test_lines += end + 1 - i;
                    i = end + 1;
                    continue;
                }
            }
            let t = l.trim_start();
            let is_fn = ["fn ", "pub fn ", "pub(crate) fn ", "pub(super) fn ", "const fn ", "pub const fn "]
                .iter()
                .any(|p| t.starts_with(p));
            if is_fn && !t.trim_end().ends_with(';') && !t.trim_end().ends_with('}') {
                let end = (i + 1..lines.len()).find(|&k| lines[k].trim_end() == closing).unwrap_or(i);
                let n = end - i + 1;
                if n > MAX_FUNCTION_LINES {
                    let name: String = t
                        .split("fn ")
                        .nth(1)
                        .unwrap_or("")
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    out.push(format!("src/{rel}:{}: fn {name} is {n} lines (at most {MAX_FUNCTION_LINES})", i + 1));
                }
            }
            i += 1;
        }
        // The file's own code, test modules left out.
        let code = lines.len() - test_lines.min(lines.len());
        if code > MAX_FILE_LINES {
            out.push(format!("src/{rel}: {code} lines outside tests (at most {MAX_FILE_LINES})"));
        }
    }
    out
}

#[test]
fn no_function_over_120_lines_and_no_file_over_900() {
    let v = too_long(&root().join("src"));
    assert!(v.is_empty(), "split these:\n{}", v.join("\n"));
}

#[test]
fn the_size_test_catches_a_long_function_and_skips_test_modules() {
    let tmp = tempfile::tempdir().unwrap();
    let body = "    let x = 1;\n".repeat(130);
    let text = format!(
        "pub fn long() {{\n{body}}}\n\nfn short() {{}}\n\n#[cfg(test)]\nmod tests {{\n    fn long_test() {{\n{body}    }}\n}}\n"
    );
    std::fs::write(tmp.path().join("a.rs"), text).unwrap();
    assert_eq!(too_long(tmp.path()), ["src/a.rs:1: fn long is 132 lines (at most 120)"]);
}
