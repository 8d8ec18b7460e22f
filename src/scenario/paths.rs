//! Paths written inside a scenario (`spec.trace`; later manifests and load files). A scenario is
//! often someone else's file (a course, a shared repository, a hosted teaching service), so its
//! paths resolve relative to its own folder and may not leave it: no absolute path, no `..` above
//! the folder, no symbolic link leading out, unless the user passes `--allow-outside-paths`.
//! Nothing is read before the check. Paths typed on the command line are the user's own choice
//! and are not checked.

use std::path::{Component, Path, PathBuf};

/// The help shown with a refused path.
pub const OUTSIDE_HELP: &str = "paths in a scenario are relative to its folder and stay inside it; copy the file into the scenario's folder, or pass --allow-outside-paths if you trust this scenario";

/// Resolve `written` (a path in the scenario file `scenario`) against the scenario's folder.
/// Err: why it may not be read (without `allow_outside`).
pub fn resolve(scenario: &Path, written: &str, allow_outside: bool) -> Result<PathBuf, String> {
    let dir = scenario.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let rel = Path::new(written);
    let full = dir.join(rel);
    if allow_outside {
        return Ok(full);
    }
    let mut depth = 0i32;
    for c in rel.components() {
        match c {
            Component::Prefix(_) | Component::RootDir => {
                return Err(format!("{written:?} is an absolute path"));
            }
            Component::CurDir => {}
            Component::ParentDir => {
                depth -= 1;
                if depth < 0 {
                    return Err(format!("{written:?} leaves the scenario's folder (`..`)"));
                }
            }
            Component::Normal(_) => depth += 1,
        }
    }
    // A link anywhere on the way may lead out: compare where the path really is, or for a path
    // that does not exist, where its nearest existing ancestor is (the reader then says it is
    // missing without telling what lies outside).
    let root = std::fs::canonicalize(dir).map_err(|e| format!("the scenario's folder: {e}"))?;
    let mut probe = full.as_path();
    let real = loop {
        match std::fs::canonicalize(probe) {
            Ok(r) => break r,
            Err(_) => match probe.parent() {
                Some(up) => probe = up,
                None => return Ok(full),
            },
        }
    };
    if !real.starts_with(&root) {
        return Err(format!("{written:?} leads outside the scenario's folder through a symbolic link"));
    }
    Ok(full)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_scenario_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let s = tmp.path().join("course/s.yaml");
        std::fs::create_dir_all(tmp.path().join("course/data")).unwrap();
        std::fs::write(tmp.path().join("course/data/n.csv"), "x").unwrap();
        assert_eq!(resolve(&s, "data/n.csv", false).unwrap(), tmp.path().join("course/data/n.csv"));
        assert!(resolve(&s, "data/../data/n.csv", false).is_ok());
        assert!(resolve(&s, "/etc/passwd", false).unwrap_err().contains("absolute"));
        assert!(resolve(&s, "../../x", false).unwrap_err().contains("leaves"));
        assert!(resolve(&s, "data/../../x", false).unwrap_err().contains("leaves"));
        assert_eq!(resolve(&s, "/etc/passwd", true).unwrap(), PathBuf::from("/etc/passwd"));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/etc", tmp.path().join("course/etc")).unwrap();
            assert!(resolve(&s, "etc/passwd", false).unwrap_err().contains("symbolic link"));
            assert!(resolve(&s, "etc/passwd", true).is_ok());
            // A missing file behind the link is refused too, before anything says it is missing.
            assert!(resolve(&s, "etc/no-such-file", false).unwrap_err().contains("symbolic link"));
            assert!(resolve(&s, "data/no-such-file", false).is_ok());
        }
    }
}
