//! Output folders (`--out`): kubesim replaces only what it wrote itself.
//!
//! Every folder kubesim writes carries a marker file ([`MARKER`]). An existing target is
//! replaced only when it carries the marker (or, from kubesim before markers, holds nothing but
//! kubesim's own file names); an empty folder is used; anything else is refused before the run
//! starts. `/`, the home folder, the current folder and its ancestors and the folders holding
//! the input files are never replaced. The new output is written into a temporary folder beside
//! the target and swapped in by renames (the old one is moved aside first and deleted last), so a
//! kill at any moment leaves the old or the new output whole; the next write cleans up.

use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

/// The marker file in every output folder kubesim writes.
pub const MARKER: &str = ".kubesim-output";

/// Environment variable (tests only): abort the process in the middle of the swap, after the old
/// output was moved aside and before the new one is renamed in.
pub const ABORT_IN_SWAP_ENV: &str = "KUBESIM_TEST_ABORT_IN_SWAP";

/// What an output folder holds (written into its marker).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputKind {
    /// One run: CSV files, charts, report.html.
    Run,
    /// A scenario with variants: one run folder per variant, `compare/` and the comparison page.
    Variants,
    /// The comparison of variants (`compare/`).
    Compare,
    /// A whole sweep.
    Sweep,
    /// One shard of a sweep (`--shard I/N`).
    SweepPart,
    /// Sweep parts joined by `kubesim merge`.
    Merge,
}

impl OutputKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OutputKind::Run => "run",
            OutputKind::Variants => "variants",
            OutputKind::Compare => "compare",
            OutputKind::Sweep => "sweep",
            OutputKind::SweepPart => "sweep-part",
            OutputKind::Merge => "merge",
        }
    }
}

/// Why an `--out` folder cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum OutError {
    #[error(
        "{0}: the folder exists and is not a kubesim output (it has no {MARKER} file), so kubesim will not replace it; pick a new or an empty folder with --out"
    )]
    NotKubesimOutput(String),
    #[error("{0}: is {1}; kubesim never replaces it: pick a new or an empty folder with --out")]
    Protected(String, &'static str),
    #[error(
        "{0}: is a symbolic link; kubesim does not write through links: pass the folder it points to, or a new folder"
    )]
    Symlink(String),
    #[error("{0}: is a file, not a folder: pick a new or an empty folder with --out")]
    NotAFolder(String),
    #[error("{0}: is a mount point, which cannot be replaced by a rename: pick a folder inside it with --out")]
    MountPoint(String),
    #[error("{0}: cannot write there ({1}): pick a folder you can write to with --out")]
    Unwritable(String, io::Error),
}

impl OutError {
    /// As an `io::Error` (for writers that return one); `main` reports it as bad input.
    pub fn into_io(self) -> io::Error {
        io::Error::new(io::ErrorKind::PermissionDenied, self)
    }
}

/// Where an output may go: the folders that must never be replaced, whatever they hold.
#[derive(Clone, Debug, Default)]
pub struct OutGuard {
    /// Input files and folders (the scenario, the sweep, merge parts): their folders and every
    /// ancestor are protected.
    inputs: Vec<PathBuf>,
}

impl OutGuard {
    /// A guard protecting, besides `/`, the home folder and the current folder with its ancestors,
    /// every folder that holds one of `inputs` (files or folders).
    pub fn new<P: AsRef<Path>>(inputs: &[P]) -> OutGuard {
        OutGuard { inputs: inputs.iter().filter_map(|p| fs::canonicalize(p.as_ref()).ok()).collect() }
    }

    /// Why `canonical` may never be replaced, if it may not.
    fn protected(&self, canonical: &Path) -> Option<&'static str> {
        if canonical.parent().is_none() {
            return Some("the root folder");
        }
        let home = std::env::var_os("HOME").and_then(|h| fs::canonicalize(h).ok());
        if home.as_deref() == Some(canonical) {
            return Some("your home folder");
        }
        if let Ok(cwd) = std::env::current_dir().and_then(fs::canonicalize)
            && cwd.starts_with(canonical)
        {
            return Some(if cwd == canonical { "the current folder" } else { "an ancestor of the current folder" });
        }
        // An input folder itself (a merge part) or a folder holding an input file.
        if self.inputs.iter().any(|i| i.starts_with(canonical)) {
            return Some("a folder holding an input of this command");
        }
        None
    }

    /// Check that `target` may be written: absent, an empty folder, or a kubesim output that is
    /// none of the protected folders. Called before a run starts and again before the swap.
    pub fn check(&self, target: &Path) -> Result<(), OutError> {
        let shown = target.display().to_string();
        let meta = match fs::symlink_metadata(target) {
            // Absent (or unreachable): what matters is the folder it would go in.
            Err(_) => return self.check_parent(target),
            Ok(m) => m,
        };
        if meta.file_type().is_symlink() {
            return Err(OutError::Symlink(shown));
        }
        if !meta.is_dir() {
            return Err(OutError::NotAFolder(shown));
        }
        let canonical = fs::canonicalize(target).map_err(|e| OutError::Unwritable(shown.clone(), e))?;
        if let Some(why) = self.protected(&canonical) {
            return Err(OutError::Protected(shown, why));
        }
        if is_mount_point(&canonical, &meta) {
            return Err(OutError::MountPoint(shown));
        }
        match kubesim_output(target) {
            Ok(true) => self.check_parent(target),
            Ok(false) => Err(OutError::NotKubesimOutput(shown)),
            Err(e) => Err(OutError::Unwritable(shown, e)),
        }
    }

    /// The nearest existing folder on the way to `target` must take new entries: tried with a
    /// probe there, so that a refused run leaves no folder behind.
    fn check_parent(&self, target: &Path) -> Result<(), OutError> {
        let shown = target.display().to_string();
        let mut dir = parent_of(target);
        while fs::symlink_metadata(dir).is_err() {
            match dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                Some(up) => dir = up,
                None => {
                    dir = Path::new(".");
                    break;
                }
            }
        }
        if !fs::metadata(dir).is_ok_and(|m| m.is_dir()) {
            return Err(OutError::NotAFolder(dir.display().to_string()));
        }
        let probe = dir.join(format!(".{}.probe-{}", base_name(target), std::process::id()));
        fs::create_dir(&probe).and_then(|_| fs::remove_dir(&probe)).map_err(|e| OutError::Unwritable(shown, e))
    }
}

fn parent_of(target: &Path) -> &Path {
    target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

fn base_name(target: &Path) -> String {
    match target.components().next_back() {
        Some(Component::Normal(n)) => n.to_string_lossy().into_owned(),
        _ => "out".into(),
    }
}

#[cfg(unix)]
fn is_mount_point(canonical: &Path, meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    match canonical.parent().map(fs::metadata) {
        Some(Ok(p)) => p.dev() != meta.dev(),
        _ => true,
    }
}

#[cfg(not(unix))]
fn is_mount_point(_: &Path, _: &fs::Metadata) -> bool {
    false
}

/// The names an output of kubesim before markers held (run, variants, sweep, merge).
const LEGACY_NAMES: &[&str] = &[
    "events.csv",
    "pods.csv",
    "timeseries.csv",
    "workloads.csv",
    "summary.csv",
    "stats.csv",
    "scheduling.csv",
    "report.html",
    "runs.csv",
    "aggregate.csv",
    "manifest.yaml",
    "charts",
];

/// Whether `dir` may be replaced: it carries the marker, is empty, or holds only what kubesim
/// wrote before it had markers (its file names, one level of variant folders).
fn kubesim_output(dir: &Path) -> io::Result<bool> {
    if fs::symlink_metadata(dir.join(MARKER)).is_ok_and(|m| m.is_file()) {
        return Ok(true);
    }
    legacy_output(dir, true)
}

fn legacy_output(dir: &Path, top: bool) -> io::Result<bool> {
    for e in fs::read_dir(dir)? {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        let ty = e.file_type()?;
        let known = LEGACY_NAMES.contains(&name.as_str()) && !ty.is_symlink();
        // A variant's folder (base/, compare/, NAME/) holds a run's own files.
        let variant = top && ty.is_dir() && legacy_output(&e.path(), false)?;
        if !known && !variant {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The marker's text: what wrote the folder, and from what.
fn marker_text(kind: OutputKind, source_hash: u64) -> String {
    format!(
        "# Written by kubesim: `--out` may replace this folder. Delete this file to keep kubesim from replacing it.\nkind: {}\nversion: \"{}\"\nsource: \"{source_hash:016x}\"\n",
        kind.as_str(),
        env!("CARGO_PKG_VERSION")
    )
}

/// Write the marker into `dir` (an output folder or a sub-folder of one: a variant, compare/).
pub fn mark(dir: &Path, kind: OutputKind, source_hash: u64) -> io::Result<()> {
    let mut f = fs::File::create(dir.join(MARKER))?;
    f.write_all(marker_text(kind, source_hash).as_bytes())?;
    f.sync_all()
}

/// Create a fresh temporary folder next to `target`, mark it, let `fill` write into it, then
/// swap it in for `target` (checked by `guard` again just before). On any error the temporary
/// folder is removed and `target` is untouched.
pub fn write_atomically(
    target: &Path,
    kind: OutputKind,
    source_hash: u64,
    guard: &OutGuard,
    fill: impl FnOnce(&Path) -> io::Result<()>,
) -> io::Result<PathBuf> {
    let parent = parent_of(target);
    fs::create_dir_all(parent)?;
    let base = base_name(target);
    recover_leftovers(parent, &base, target);
    guard.check(target).map_err(OutError::into_io)?;
    let tmp = parent.join(format!(".{base}.tmp-{}", std::process::id()));
    if fs::symlink_metadata(&tmp).is_ok() {
        fs::remove_dir_all(&tmp)?;
    }
    fs::create_dir(&tmp)?;
    let result = mark(&tmp, kind, source_hash).and_then(|_| fill(&tmp)).and_then(|_| {
        guard.check(target).map_err(OutError::into_io)?;
        swap_in(&tmp, target, parent, &base)
    });
    if let Err(e) = result {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e);
    }
    Ok(target.to_path_buf())
}

/// Rename `tmp` to `target`: an empty folder is removed first; a previous output is renamed
/// aside, the new one renamed in, and only then is the old one deleted.
fn swap_in(tmp: &Path, target: &Path, parent: &Path, base: &str) -> io::Result<()> {
    if fs::symlink_metadata(target).is_err() {
        return fs::rename(tmp, target);
    }
    if fs::read_dir(target)?.next().is_none() {
        fs::remove_dir(target)?;
        return fs::rename(tmp, target);
    }
    let aside = parent.join(format!(".{base}.old-{}", std::process::id()));
    fs::rename(target, &aside)?;
    if std::env::var_os(ABORT_IN_SWAP_ENV).is_some() {
        std::process::abort();
    }
    if let Err(e) = fs::rename(tmp, target) {
        let _ = fs::rename(&aside, target);
        return Err(e);
    }
    fs::remove_dir_all(&aside)
}

/// What killed writers of the same output left beside it (`.BASE.tmp-PID`, `.BASE.old-PID` of
/// processes that are gone, carrying the marker or empty): an old output moved aside goes back in
/// place when nothing replaced it; the rest is deleted.
fn recover_leftovers(parent: &Path, base: &str, target: &Path) {
    let Ok(entries) = fs::read_dir(parent) else { return };
    let mut names: Vec<String> = entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    for name in names {
        let Some(rest) = name.strip_prefix(&format!(".{base}.")) else { continue };
        let Some((what, pid)) = rest.split_once('-') else { continue };
        let Ok(pid) = pid.parse::<u32>() else { continue };
        if !matches!(what, "tmp" | "old") || !process_gone(pid) {
            continue;
        }
        let path = parent.join(&name);
        let Ok(meta) = fs::symlink_metadata(&path) else { continue };
        if !meta.is_dir() {
            continue;
        }
        let marked = fs::symlink_metadata(path.join(MARKER)).is_ok_and(|m| m.is_file());
        let empty = fs::read_dir(&path).is_ok_and(|mut d| d.next().is_none());
        if !marked && !empty {
            continue;
        }
        if what == "old" && marked && fs::symlink_metadata(target).is_err() && fs::rename(&path, target).is_ok() {
            continue;
        }
        let _ = fs::remove_dir_all(&path);
    }
}

/// Whether no process `pid` runs (Linux's /proc tells; elsewhere assume it may still run).
fn process_gone(pid: u32) -> bool {
    pid != std::process::id() && Path::new("/proc/self").exists() && !Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard() -> OutGuard {
        OutGuard::default()
    }

    #[test]
    fn an_absent_or_empty_folder_is_used_and_a_marked_one_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        guard().check(&out).unwrap();
        fs::create_dir(&out).unwrap();
        guard().check(&out).unwrap();
        write_atomically(&out, OutputKind::Run, 7, &guard(), |d| fs::write(d.join("a.csv"), "1")).unwrap();
        assert!(fs::read_to_string(out.join(MARKER)).unwrap().contains("kind: run"));
        write_atomically(&out, OutputKind::Run, 7, &guard(), |d| fs::write(d.join("b.csv"), "2")).unwrap();
        assert!(!out.join("a.csv").exists() && out.join("b.csv").exists());
        let left: Vec<_> = fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, vec![std::ffi::OsString::from("out")]);
    }

    #[test]
    fn checking_a_new_nested_folder_creates_nothing() {
        // The check runs before the simulation: a run that fails later leaves no folder.
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("a/b/out");
        guard().check(&out).unwrap();
        assert!(!tmp.path().join("a").exists());
        std::fs::write(tmp.path().join("file"), "x").unwrap();
        assert!(matches!(guard().check(&tmp.path().join("file/out")), Err(OutError::NotAFolder(_))));
    }

    #[test]
    fn a_folder_of_user_files_is_refused_and_left_intact() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("mine");
        fs::create_dir_all(out.join("keep")).unwrap();
        fs::write(out.join("notes.txt"), "mine").unwrap();
        let e = write_atomically(&out, OutputKind::Run, 1, &guard(), |_| Ok(())).unwrap_err();
        assert!(e.to_string().contains("is not a kubesim output"), "{e}");
        assert_eq!(fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");
        assert!(out.join("keep").is_dir());
    }

    #[test]
    fn a_legacy_output_is_recognised_by_its_names_only() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("old");
        fs::create_dir_all(out.join("charts")).unwrap();
        fs::create_dir_all(out.join("base")).unwrap();
        fs::write(out.join("summary.csv"), "").unwrap();
        fs::write(out.join("base/events.csv"), "").unwrap();
        guard().check(&out).unwrap();
        fs::write(out.join("base/thesis.tex"), "").unwrap();
        assert!(matches!(guard().check(&out), Err(OutError::NotKubesimOutput(_))));
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_or_a_file_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("real");
        fs::create_dir(&real).unwrap();
        mark(&real, OutputKind::Run, 0).unwrap();
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert!(matches!(guard().check(&link), Err(OutError::Symlink(_))));
        let file = tmp.path().join("file");
        fs::write(&file, "x").unwrap();
        assert!(matches!(guard().check(&file), Err(OutError::NotAFolder(_))));
        assert!(real.join(MARKER).exists());
    }

    #[test]
    fn input_folders_and_their_ancestors_are_protected_even_when_marked() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("course/week1");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("s.yaml"), "x").unwrap();
        mark(&dir, OutputKind::Run, 0).unwrap();
        mark(&tmp.path().join("course"), OutputKind::Run, 0).unwrap();
        let g = OutGuard::new(&[dir.join("s.yaml")]);
        assert!(matches!(g.check(&dir), Err(OutError::Protected(..))));
        assert!(matches!(g.check(&tmp.path().join("course")), Err(OutError::Protected(..))));
        assert!(matches!(guard().check(Path::new("/")), Err(OutError::Protected(..))));
    }

    #[test]
    fn an_output_moved_aside_by_a_killed_writer_is_put_back() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        // pid 0 never names a user process: the writer is gone.
        let aside = tmp.path().join(".out.old-0");
        fs::create_dir(&aside).unwrap();
        mark(&aside, OutputKind::Run, 0).unwrap();
        let stale = tmp.path().join(".out.tmp-0");
        fs::create_dir(&stale).unwrap();
        mark(&stale, OutputKind::Run, 0).unwrap();
        let foreign = tmp.path().join(".out.tmp-1x");
        fs::create_dir(&foreign).unwrap();
        recover_leftovers(tmp.path(), "out", &out);
        if Path::new("/proc/self").exists() {
            assert!(out.join(MARKER).exists() && !aside.exists() && !stale.exists());
        }
        assert!(foreign.exists(), "not ours: left alone");
    }
}
