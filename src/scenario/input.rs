//! What the user hands kubesim, read as kubectl reads `-f`: a scenario file (optional), then
//! manifest files, folders (their `*.yaml`, `*.yml` and `*.json`, sorted by name; recursive with
//! `-R`) and `-` for standard input. Without a scenario the documented default cluster
//! (`DEFAULT_SCENARIO`) is used, so `kubesim run -f app.yaml` just works.

use super::error::{LoadError, SourceFile};
use super::{LoadOptions, MAX_FILE_BYTES};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The name standard input has in messages (kubectl says `"STDIN"` too).
pub const STDIN_NAME: &str = "STDIN";

/// The file name the default cluster's Scenario document has in messages.
pub const DEFAULT_SCENARIO_NAME: &str = "<default cluster>";

/// The cluster `kubesim run -f FILE` uses when no scenario is given: three workers of 4 cpu,
/// 16Gi and 110 pods (the kubelet's `--max-pods` default) in one zone, 10 minutes, seed 1.
/// `{NAME}` becomes the name of the first manifest file. Documented in the README.
pub const DEFAULT_SCENARIO: &str = "apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata:
  name: {NAME}
  description: the default cluster (no scenario file was given)
spec:
  duration: 10m
  seed: 1
  nodePools:
  - name: worker
    count: 3
    capacity: {cpu: \"4\", memory: 16Gi, pods: 110}
    labels: {topology.kubernetes.io/zone: zone-a}
";

/// A scenario and the manifests given beside it.
#[derive(Clone, Debug, Default)]
pub struct Input {
    /// The scenario file; `None`: the default cluster.
    pub scenario: Option<PathBuf>,
    /// `-f` arguments, in order: files, folders, `-`.
    pub manifests: Vec<PathBuf>,
    /// `-R`: folders are read recursively.
    pub recursive: bool,
}

impl Input {
    /// Just a scenario file (what every command took before `-f`).
    pub fn file(path: &Path) -> Input {
        Input { scenario: Some(path.to_path_buf()), manifests: Vec::new(), recursive: false }
    }

    /// The path relative paths resolve against and outputs are guarded for: the scenario file,
    /// or the first manifest.
    pub fn anchor(&self) -> PathBuf {
        match (&self.scenario, self.manifests.first()) {
            (Some(s), _) => s.clone(),
            (None, Some(m)) if m.as_os_str() != "-" => m.clone(),
            _ => PathBuf::from("."),
        }
    }

    /// Every path given, for the output guard (an input folder is never replaced).
    pub fn paths(&self) -> Vec<&Path> {
        self.scenario.iter().chain(&self.manifests).map(PathBuf::as_path).filter(|p| p.as_os_str() != "-").collect()
    }
}

/// The texts to load: the scenario's first (or the default cluster's), then each manifest file.
pub fn read_sources(input: &Input, opts: &LoadOptions) -> Result<Vec<SourceFile>, LoadError> {
    let mut out = Vec::new();
    match &input.scenario {
        Some(p) => out.push(read_file(p)?),
        None => out.push(default_source(&default_name(&input.manifests))),
    }
    if let Some(p) = &input.scenario {
        add_spec_manifests(&mut out, p, input.recursive, opts)?;
    }
    let mut stdin_used = false;
    for m in &input.manifests {
        if m.as_os_str() == "-" {
            if std::mem::replace(&mut stdin_used, true) {
                continue;
            }
            let mut bytes = Vec::new();
            std::io::stdin()
                .take(MAX_FILE_BYTES as u64 + 1)
                .read_to_end(&mut bytes)
                .map_err(|source| LoadError::Io { path: STDIN_NAME.into(), source })?;
            out.push(decode(STDIN_NAME, &bytes)?);
        } else {
            read_path(m, input.recursive, &mut out)?;
        }
    }
    Ok(out)
}

/// `spec.manifests` of the scenario (`out[0]`, read from `path`), relative to it (paths
/// checked as `spec.trace`'s are), appended to `out`.
pub fn add_spec_manifests(
    out: &mut Vec<SourceFile>,
    path: &Path,
    recursive: bool,
    opts: &LoadOptions,
) -> Result<(), LoadError> {
    for (written, line) in spec_manifests(&out[0]) {
        let full = super::paths::resolve(path, &written, opts.allow_outside_paths).map_err(|m| {
            LoadError::from(out[0].error(
                line,
                1,
                format!("spec.manifests: {m}"),
                Some(super::paths::OUTSIDE_HELP.into()),
            ))
        })?;
        read_path(&full, recursive, out)?;
    }
    Ok(())
}

/// The default cluster's Scenario document, named `name`.
pub fn default_source(name: &str) -> SourceFile {
    SourceFile { name: DEFAULT_SCENARIO_NAME.into(), text: Arc::new(DEFAULT_SCENARIO.replace("{NAME}", name)) }
}

/// The output folder's default name without a scenario: the first manifest's file stem as a DNS
/// label (`guestbook/` -> `guestbook`, `app.yaml` -> `app`).
fn default_name(manifests: &[PathBuf]) -> String {
    let stem = manifests
        .iter()
        .find(|m| m.as_os_str() != "-")
        .and_then(|m| {
            let m = std::fs::canonicalize(m).unwrap_or_else(|_| m.clone());
            m.file_stem().map(|s| s.to_string_lossy().into_owned())
        })
        .unwrap_or_default();
    let mut name: String = stem
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .trim_matches('-')
        .chars()
        .take(63)
        .collect();
    name = name.trim_end_matches('-').to_string();
    if name.is_empty() { "manifests".into() } else { name }
}

/// `spec.manifests` entries of the scenario text, with their lines: read before the scenario
/// is validated, since the manifests are part of what is validated.
fn spec_manifests(src: &SourceFile) -> Vec<(String, usize)> {
    #[derive(serde::Deserialize)]
    struct Doc {
        kind: Option<String>,
        spec: Option<Spec>,
    }
    #[derive(serde::Deserialize)]
    struct Spec {
        manifests: Option<Vec<serde_saphyr::Spanned<String>>>,
    }
    let mut out = Vec::new();
    for d in super::validate::split_documents(&src.text) {
        let Ok(doc) = serde_saphyr::from_str::<Doc>(&d.text) else { continue };
        if doc.kind.as_deref() != Some("Scenario") {
            continue;
        }
        for m in doc.spec.and_then(|s| s.manifests).unwrap_or_default() {
            out.push((m.value, m.referenced.line() as usize + d.first_line - 1));
        }
    }
    out
}

/// A file, or a folder's manifest files in name order.
fn read_path(path: &Path, recursive: bool, out: &mut Vec<SourceFile>) -> Result<(), LoadError> {
    let io = |source| LoadError::Io { path: path.display().to_string(), source };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_dir() {
        out.push(read_file(path)?);
        return Ok(());
    }
    let mut entries: Vec<(PathBuf, bool)> = std::fs::read_dir(path)
        .map_err(io)?
        .filter_map(Result::ok)
        .map(|e| {
            let p = e.path();
            let dir = std::fs::metadata(&p).map(|m| m.is_dir()).unwrap_or(false);
            (p, dir)
        })
        .collect();
    entries.sort();
    for (p, dir) in entries {
        if dir {
            if recursive {
                read_path(&p, true, out)?;
            }
        } else if matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "json")) {
            out.push(read_file(&p)?);
        }
    }
    Ok(())
}

/// One file, size-checked and decoded.
pub fn read_file(path: &Path) -> Result<SourceFile, LoadError> {
    let io = |source| LoadError::Io { path: path.display().to_string(), source };
    let meta = std::fs::metadata(path).map_err(io)?;
    let name = path.display().to_string();
    if meta.len() as usize > MAX_FILE_BYTES {
        return Err(too_big(&name, meta.len() as usize));
    }
    let bytes = std::fs::read(path).map_err(io)?;
    decode(&name, &bytes)
}

fn too_big(name: &str, len: usize) -> LoadError {
    let f = SourceFile { name: name.to_string(), text: Arc::new(String::new()) };
    f.error(
        0,
        0,
        format!("the file is {} MiB; kubesim reads files of at most {} MiB", len >> 20, MAX_FILE_BYTES >> 20),
        Some("split the manifests or generate them with a sweep".into()),
    )
    .into()
}

/// Bytes -> text, or an error at the first byte that is not UTF-8.
pub fn decode(name: &str, bytes: &[u8]) -> Result<SourceFile, LoadError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(too_big(name, bytes.len()));
    }
    match std::str::from_utf8(bytes) {
        Ok(t) => Ok(SourceFile { name: name.to_string(), text: Arc::new(t.to_string()) }),
        Err(e) => {
            let good = &bytes[..e.valid_up_to()];
            let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
            let col = String::from_utf8_lossy(good).rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            let f = SourceFile { name: name.to_string(), text: Arc::new(String::from_utf8_lossy(bytes).into_owned()) };
            Err(f
                .error(line, col, "the file is not valid UTF-8 text", Some("save it as UTF-8 YAML or JSON".into()))
                .into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names_are_dns_labels() {
        assert_eq!(default_name(&[PathBuf::from("My_App.v2.yaml")]), "my-app-v2");
        assert_eq!(default_name(&[PathBuf::from("-")]), "manifests");
        assert_eq!(default_name(&[]), "manifests");
    }
}
