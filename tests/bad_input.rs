//! Bad input: every file under tests/bad/ (and a few generated ones) must be refused with exit
//! code 2, a message that names the file (with line and column where the input has them),
//! no panic, and no output written.

use super::*;
use assert_cmd::Command;

/// What the message must say for some files (every file is checked for the rest).
const MESSAGES: &[(&str, &str)] = &[
    ("typo-replica.yaml", "did you mean `replicas`?"),
    ("trace-missing-file.yaml", "spec.trace: "),
    ("set-image-unknown-container.yaml", "deployment web has no container \"nginx\""),
    ("max-surge-not-a-percentage.yaml", "maxSurge: \"two\" is not a number or a percentage"),
    (
        "scale-unknown-workload.yaml",
        "scale names deployment/api in namespace default, which the scenario does not define",
    ),
    ("container-field-typo.yaml", "did you mean `image`?"),
    ("probe-no-handler.yaml", "spec.containers[0].livenessProbe: must specify a handler type"),
    ("probe-two-handlers.yaml", "spec.containers[0].readinessProbe: may not specify more than 1 handler type"),
    ("fault-typo-action.yaml", "did you mean `pod-kill`?"),
    ("scenario-unknown-field.yaml", "did you mean `nodePools`?"),
    ("bad-quantity.yaml", "invalid quantity \"1Qi\""),
    ("malformed-memory.yaml", "invalid quantity \"12..5Gi\""),
    ("negative-cpu.yaml", "must not be negative"),
    ("zero-cpu-capacity.yaml", "capacity.cpu must be positive"),
    ("absurd-memory.yaml", "capacity.memory must be positive and below 8Ei"),
    ("huge-replicas.yaml", "expected a whole number from 0 to 4294967295"),
    ("hundred-million-pods.yaml", "spec.replicas: the manifests ask for 100000000 pods"),
    ("hundred-years-1s-samples.yaml", "--allow-large"),
    ("duration-overflow.yaml", "time: invalid duration \"9999999999h\""),
    ("bad-duration.yaml", "time: unknown unit \"d\" in duration \"1d\""),
    ("negative-duration.yaml", "must not be negative"),
    ("unknown-kind.yaml", "unknown kind \"Frobnicator\""),
    ("unknown-priorityclass.yaml", "no PriorityClass with name \"hihg\" was found"),
    ("bad-node-affinity.yaml", "unknown operator \"Bigger\""),
    ("bad-spread.yaml", "maxSkew must be at least 1"),
    ("bad-variant.yaml", "variant name \"compare\" must be a DNS label other than base, compare and charts"),
    ("bad-scoring-strategy.yaml", "scoringStrategy.resources[0].weight must be between 1 and 100"),
    ("daemonset-no-spec.yaml", "DaemonSet x has no spec"),
    ("job-restart-always.yaml", "a Job's spec.template.spec.restartPolicy may not be Always"),
    ("pdb-both-bounds.yaml", "give exactly one of spec.minAvailable and spec.maxUnavailable"),
    ("bad-kubernetes-version.yaml", "kubernetes.version \"1.99\" is not a release kubesim knows"),
    ("wrong-apiversion.yaml", "no matches for kind \"Deployment\" in version \"apps/v2\""),
    ("empty.yaml", "the file holds no YAML document"),
    ("no-scenario.yaml", "no `kind: Scenario` document"),
    ("name-traversal.yaml", "\"../../etc\" is not a DNS label"),
    ("namespace-traversal.yaml", "\"../../etc\" is not a DNS label"),
    ("duplicate-deployment.yaml", "Deployment default/web is defined twice"),
    ("duplicate-pod.yaml", "Pod default/x is defined twice"),
    ("node-clashes-with-pool.yaml", "node \"worker-0\" is defined twice"),
    ("partition-with-memory.yaml", "network-partition takes {at, nodes | pool | nodeSelector, duration}"),
    ("disk-fill-no-disk.yaml", "disk-fill targets node \"worker-0\", whose capacity declares no ephemeral-storage"),
    ("pid-exhaustion-bad-share.yaml", "pid-exhaustion processes \"120%\" is not a share from 1% to 100%"),
    ("pid-max-too-large.yaml", "kubernetes.pidMax must be from 1024 to 4194304"),
    ("eviction-hard-unknown-signal.yaml", "evictionHard: unknown eviction signal \"pids.available\""),
    (
        "entrypoint-missing-no-command.yaml",
        "behavior entrypoint missing names the container's command, and it has none",
    ),
    (
        "hostport-out-of-range.yaml",
        "spec.containers[0].ports[0].hostPort: Invalid value: 70000: must be between 1 and 65535",
    ),
    (
        "hostport-host-network-mismatch.yaml",
        "spec.template.spec.containers[0].ports[0].hostPort: Invalid value: 80: must match `containerPort` when `hostNetwork` is true",
    ),
    (
        "finalizer-unqualified.yaml",
        "metadata.finalizers[0]: Invalid value: \"cleanup\": name is neither a standard finalizer name nor is it fully qualified",
    ),
    ("runtime-down-random.yaml", "container-runtime-down takes {at, nodes | pool | nodeSelector, duration}"),
    ("fault-unknown-node.yaml", "names node \"worker-9\", which the scenario does not define"),
    ("fault-unknown-pool.yaml", "names pool \"gpu\", which spec.nodePools does not define"),
    ("selector-mismatch.yaml", "spec.selector does not match the template's labels"),
    ("alias-bomb.yaml", "budget breached"),
    ("deep-nesting.yaml", "yaml"),
    ("not-utf8.yaml", "not valid UTF-8"),
    ("containers-wrong-type.yaml", "expected a list here"),
    ("scalar-document.yaml", "expected a mapping here"),
    ("big-file.yaml", "kubesim reads files of at most 16 MiB"),
    ("list-bad-item.yaml", "list-bad-item.yaml:22:7: unknown field `imagePullPolicyy`"),
    ("json-unclosed.json", "json-unclosed.json:"),
    ("cronjob-bad-schedule.yaml", "spec.schedule: Invalid value: \"0 0 * * 7\": end of range (7) above maximum (6): 7"),
    ("misspelt-kind.yaml", "did you mean `ConfigMap`?"),
    (
        "replicas-as-string.yaml",
        "replicas-as-string.yaml:13:13: invalid type: got \"string\" (\"3\"), expected \"integer\"",
    ),
];

/// Inputs that are easier to generate than to keep in the repository.
fn generated(dir: &Path) -> Vec<PathBuf> {
    let mut deep = String::from(
        "apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nmetadata: {name: deep}\nspec:\n  duration: 1m\n  x: ",
    );
    deep.push_str(&"[".repeat(10_000));
    std::fs::write(dir.join("deep-nesting.yaml"), deep).unwrap();
    std::fs::write(dir.join("not-utf8.yaml"), b"apiVersion: kubesim.io/v1alpha1\nkind: Scen\xffario\n").unwrap();
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(dir.join("binary-garbage.yaml"), garbage).unwrap();
    // 100 MB: refused by size before it is read.
    let f = std::fs::File::create(dir.join("big-file.yaml")).unwrap();
    f.set_len(100 * 1000 * 1000).unwrap();
    ["deep-nesting.yaml", "not-utf8.yaml", "binary-garbage.yaml", "big-file.yaml"].iter().map(|n| dir.join(n)).collect()
}

fn corpus(gen_dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(root().join("tests/bad")).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files.extend(generated(gen_dir));
    files
}

/// Inputs whose problem has no single place in the file.
const NO_POSITION: &[&str] = &["empty.yaml", "no-scenario.yaml", "big-file.yaml"];

#[test]
fn every_bad_input_exits_2_with_a_clear_message_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let gen_dir = tmp.path().join("gen");
    std::fs::create_dir(&gen_dir).unwrap();
    let files = corpus(&gen_dir);
    assert!(files.len() >= 40, "the corpus has {} files", files.len());
    for path in &files {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let work = tmp.path().join(format!("work-{file}"));
        std::fs::create_dir(&work).unwrap();
        let out = Command::cargo_bin("kubesim").unwrap().current_dir(&work).arg("run").arg(path).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{file}: {stderr}");
        assert!(!stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"), "{file}: {stderr}");
        let named = path.display().to_string();
        assert!(stderr.contains(&named), "{file}: the message does not name the file: {stderr}");
        if !NO_POSITION.contains(&file.as_str()) {
            let with_pos = stderr.lines().any(|l| {
                l.split_once(&format!("{named}:")).is_some_and(|(_, rest)| {
                    let mut it = rest.split(':');
                    it.next().is_some_and(|x| x.parse::<u32>().is_ok())
                        && it.next().is_some_and(|x| x.parse::<u32>().is_ok())
                })
            });
            assert!(with_pos, "{file}: no file:line:column in {stderr}");
        }
        if let Some((_, needle)) = MESSAGES.iter().find(|(f, _)| *f == file) {
            assert!(stderr.contains(needle), "{file}: expected {needle:?} in {stderr}");
        }
        assert_eq!(std::fs::read_dir(&work).unwrap().count(), 0, "{file}: output was written");
    }
    for (f, _) in MESSAGES {
        assert!(files.iter().any(|p| p.ends_with(f)), "{f} is not in the corpus");
    }
}

#[test]
fn errors_point_at_line_and_column() {
    for (file, line, col) in
        [("bad-quantity.yaml", 26, 41), ("typo-replica.yaml", 15, 3), ("partition-with-memory.yaml", 7, 5)]
    {
        let path = root().join("tests/bad").join(file);
        let out = Command::cargo_bin("kubesim").unwrap().arg("validate").arg(&path).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let want = format!("{}:{line}:{col}:", path.display());
        assert!(stderr.contains(&want), "{file}: expected {want} in {stderr}");
    }
}

#[test]
fn size_limits_can_be_lifted_with_allow_large() {
    let path = root().join("tests/bad/hundred-million-pods.yaml");
    Command::cargo_bin("kubesim").unwrap().arg("validate").arg(&path).assert().code(2);
    Command::cargo_bin("kubesim").unwrap().arg("validate").arg("--allow-large").arg(&path).assert().success();
}

#[test]
fn a_selector_that_matches_nothing_is_a_warning_not_an_error() {
    let path = root().join("tests/warn/selector-matches-nothing.yaml");
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("kubesim")
        .unwrap()
        .arg("run")
        .arg(&path)
        .arg("--out")
        .arg(tmp.path().join("o"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("warning:") && stderr.contains("matches no pod"), "{stderr}");
}
