//! Bad input: every file under tests/bad/ must be refused with exit code 2, a message that
//! names the file (and line and column where the input has them), and no output written.

use super::*;
use assert_cmd::Command;

/// Each case: file, what the message must contain, and whether it has a position.
const CASES: &[(&str, &str)] = &[
    ("typo-replica.yaml", "unknown field `replica`"),
    ("bad-quantity.yaml", "invalid quantity \"1Qi\""),
    ("negative-cpu.yaml", "must not be negative"),
    ("huge-replicas.yaml", "a whole number"),
    ("unknown-kind.yaml", "unknown kind \"Frobnicator\""),
    ("daemonset-not-yet.yaml", "kind DaemonSet (apps/v1) is not supported yet"),
    ("wrong-apiversion.yaml", "apiVersion \"apps/v2\" is not one kubesim knows"),
    ("empty.yaml", "the file holds no YAML document"),
    ("no-scenario.yaml", "no `kind: Scenario` document"),
    ("name-traversal.yaml", "is not a DNS label"),
    ("duplicate-deployment.yaml", "Deployment default/web is defined twice"),
    ("syntax-error.yaml", ""),
    ("unknown-fault.yaml", "fault action `node-crash` is not supported yet"),
    ("bad-duration.yaml", "time: unknown unit \"d\" in duration \"1d\""),
    ("selector-mismatch.yaml", "spec.selector does not match the template's labels"),
    ("scenario-unknown-field.yaml", "unknown field `nodepools`"),
    ("alias-bomb.yaml", ""),
    ("deep-nesting.yaml", ""),
    ("not-utf8.yaml", "not valid UTF-8"),
    ("binary-garbage.yaml", ""),
];

fn write_generated(dir: &Path) {
    // Files that are easier to generate than to keep in the repository.
    let mut deep = String::from(
        "apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nmetadata: {name: deep}\nspec:\n  duration: 1m\n  x: ",
    );
    deep.push_str(&"[".repeat(10_000));
    std::fs::write(dir.join("deep-nesting.yaml"), deep).unwrap();
    std::fs::write(dir.join("not-utf8.yaml"), b"apiVersion: kubesim.io/v1alpha1\nkind: Scen\xffario\n").unwrap();
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    std::fs::write(dir.join("binary-garbage.yaml"), garbage).unwrap();
}

#[test]
fn bad_inputs_exit_2_with_a_clear_message_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let gen_dir = tmp.path().join("gen");
    std::fs::create_dir(&gen_dir).unwrap();
    write_generated(&gen_dir);
    for (file, needle) in CASES {
        let path = if gen_dir.join(file).exists() { gen_dir.join(file) } else { root().join("tests/bad").join(file) };
        assert!(path.exists(), "{file} missing");
        let work = tmp.path().join(format!("work-{file}"));
        std::fs::create_dir(&work).unwrap();
        let out = Command::cargo_bin("kubesim").unwrap().current_dir(&work).arg("run").arg(&path).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{file}: {stderr}");
        assert!(stderr.contains(&path.display().to_string()), "{file}: message does not name the file: {stderr}");
        assert!(stderr.contains(needle), "{file}: expected {needle:?} in {stderr}");
        assert!(!stderr.contains("panicked"), "{file}: {stderr}");
        assert_eq!(std::fs::read_dir(&work).unwrap().count(), 0, "{file}: output was written");
    }
}

#[test]
fn errors_point_at_line_and_column() {
    for (file, line, col) in [("bad-quantity.yaml", 26, 41), ("typo-replica.yaml", 15, 3), ("unknown-fault.yaml", 7, 5)]
    {
        let path = root().join("tests/bad").join(file);
        let out = Command::cargo_bin("kubesim").unwrap().arg("validate").arg(&path).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let want = format!("{}:{line}:{col}:", path.display());
        assert!(stderr.contains(&want), "{file}: expected {want} in {stderr}");
    }
}
