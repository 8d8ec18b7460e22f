//! Output folders and paths (#16): `--out` replaces only what kubesim wrote; a scenario's own
//! paths stay inside its folder.

use super::*;
use assert_cmd::Command;

const MARKER: &str = ".kubesim-output";

/// A folder of the user's own files, as the issue tried it.
fn user_folder(parent: &Path) -> PathBuf {
    let d = parent.join("mine");
    std::fs::create_dir_all(d.join("keep")).unwrap();
    std::fs::write(d.join("notes.txt"), "my notes").unwrap();
    std::fs::write(d.join("keep/file.txt"), "keep me").unwrap();
    d
}

fn assert_intact(d: &Path) {
    assert_eq!(std::fs::read_to_string(d.join("notes.txt")).unwrap(), "my notes");
    assert_eq!(std::fs::read_to_string(d.join("keep/file.txt")).unwrap(), "keep me");
    let mut names: Vec<String> =
        std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["keep", "notes.txt"], "nothing added either");
}

fn kubesim(args: &[&Path]) -> std::process::Output {
    let mut c = Command::cargo_bin("kubesim").unwrap();
    c.args(args);
    if args[0] != Path::new("merge") {
        c.arg("--quiet");
    }
    c.output().unwrap()
}

/// Refused: exit 2, the message names the folder and says it is not a kubesim output.
fn assert_refused(o: &std::process::Output, d: &Path, why: &str) {
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&d.display().to_string()), "{stderr}");
    assert!(stderr.contains(why), "{stderr}");
}

/// A small sweep of two grid points over the quickstart scenario.
fn small_sweep(dir: &Path) -> PathBuf {
    let f = dir.join("s.yaml");
    let text = format!(
        "apiVersion: kubesim.io/v1alpha1\nkind: Sweep\nmetadata: {{name: small}}\nspec:\n  scenario: {}\n  seeds: {{from: 1, count: 1}}\n  parameters:\n  - set: deployment/web.spec.replicas\n    values: [2, 3]\n  report: [availability]\n",
        scenario("quickstart.yaml").display()
    );
    std::fs::write(&f, text).unwrap();
    f
}

#[test]
fn out_never_replaces_a_folder_of_user_files() {
    let tmp = tempfile::tempdir().unwrap();
    let mine = user_folder(tmp.path());
    let not_ours = "is not a kubesim output";
    let run = "run".as_ref();
    let out = "--out".as_ref();
    assert_refused(&kubesim(&[run, &scenario("quickstart.yaml"), out, &mine]), &mine, not_ours);
    assert_intact(&mine);
    // With variants: base/, each variant and compare/ would have gone into it.
    assert_refused(&kubesim(&[run, &scenario("eviction-timing.yaml"), out, &mine]), &mine, not_ours);
    assert_intact(&mine);
    let sw = small_sweep(tmp.path());
    let sweep = "sweep".as_ref();
    assert_refused(&kubesim(&[sweep, &sw, out, &mine]), &mine, not_ours);
    assert_intact(&mine);
    let shard = "--shard".as_ref();
    assert_refused(&kubesim(&[sweep, &sw, shard, "0/2".as_ref(), out, &mine]), &mine, not_ours);
    assert_intact(&mine);
    // Real parts, merged into the user's folder.
    let (p0, p1) = (tmp.path().join("p0"), tmp.path().join("p1"));
    assert!(kubesim(&[sweep, &sw, shard, "0/2".as_ref(), out, &p0]).status.success());
    assert!(kubesim(&[sweep, &sw, shard, "1/2".as_ref(), out, &p1]).status.success());
    assert!(p0.join(MARKER).is_file() && p1.join(MARKER).is_file());
    assert_refused(&kubesim(&["merge".as_ref(), &p0, &p1, out, &mine]), &mine, not_ours);
    assert_intact(&mine);
    // Merging into one of its own parts would destroy an input: refused although it is marked.
    assert_refused(&kubesim(&["merge".as_ref(), &p0, &p1, out, &p0]), &p0, "input of this command");
    let merged = tmp.path().join("merged");
    assert!(kubesim(&["merge".as_ref(), &p0, &p1, out, &merged]).status.success());
    assert!(std::fs::read_to_string(merged.join(MARKER)).unwrap().contains("kind: merge"));
}

#[test]
fn out_refuses_the_current_folder_home_and_the_scenario_folder() {
    let tmp = tempfile::tempdir().unwrap();
    // Marked and empty folders, which would otherwise be replaced or used.
    let here = tmp.path().join("project");
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&here).unwrap();
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(here.join(MARKER), "kind: run\n").unwrap();
    let run = |dir: &Path, out: &str| {
        Command::cargo_bin("kubesim")
            .unwrap()
            .current_dir(dir)
            .env("HOME", &home)
            .args(["run", scenario("quickstart.yaml").to_str().unwrap(), "--out", out, "-q", "--no-charts"])
            .output()
            .unwrap()
    };
    assert_refused(&run(&here, "."), Path::new("."), "the current folder");
    assert!(here.join(MARKER).exists());
    assert_refused(&run(&here, ".."), Path::new(".."), "an ancestor of the current folder");
    assert_refused(&run(&here, home.to_str().unwrap()), &home, "your home folder");
    assert_refused(&run(&here, "/"), Path::new("/"), "the root folder");
    // The folder holding the scenario, even marked and empty of anything else.
    let course = tmp.path().join("course");
    std::fs::create_dir_all(&course).unwrap();
    std::fs::copy(scenario("quickstart.yaml"), course.join("q.yaml")).unwrap();
    std::fs::write(course.join(MARKER), "kind: run\n").unwrap();
    let o = kubesim(&["run".as_ref(), &course.join("q.yaml"), "--out".as_ref(), &course]);
    assert_refused(&o, &course, "a folder holding an input");
    assert!(course.join("q.yaml").is_file());
}

#[test]
fn a_marked_folder_is_replaced_and_an_empty_one_used() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let run =
        || kubesim(&["run".as_ref(), &scenario("quickstart.yaml"), "--out".as_ref(), &out, "--no-charts".as_ref()]);
    assert!(run().status.success());
    let marker = std::fs::read_to_string(out.join(MARKER)).unwrap();
    assert!(marker.contains("kind: run") && marker.contains("version:"), "{marker}");
    std::fs::write(out.join("stale.csv"), "from an older run").unwrap();
    std::fs::write(out.join("pods.csv"), "stale").unwrap();
    assert!(run().status.success(), "a kubesim output is replaced");
    assert!(!out.join("stale.csv").exists());
    assert_ne!(std::fs::read_to_string(out.join("pods.csv")).unwrap(), "stale");
    // Variants: the top folder, each variant's folder and compare/ all carry the marker.
    let v = tmp.path().join("v");
    let o = kubesim(&["run".as_ref(), &scenario("eviction-timing.yaml"), "--out".as_ref(), &v, "--no-charts".as_ref()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for (d, kind) in [("", "variants"), ("base", "run"), ("compare", "compare")] {
        let m = std::fs::read_to_string(v.join(d).join(MARKER)).unwrap();
        assert!(m.contains(&format!("kind: {kind}")), "{d}: {m}");
    }
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left.len(), 2, "no temporary or aside folder left: {left:?}");
}

#[cfg(unix)]
#[test]
fn a_symlink_or_a_file_as_out_is_refused_without_touching_what_it_names() {
    let tmp = tempfile::tempdir().unwrap();
    let mine = user_folder(tmp.path());
    std::fs::write(mine.join(MARKER), "a marker the user copied").unwrap();
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(&mine, &link).unwrap();
    let o = kubesim(&["run".as_ref(), &scenario("quickstart.yaml"), "--out".as_ref(), &link]);
    assert_refused(&o, &link, "symbolic link");
    assert_eq!(std::fs::read_to_string(mine.join("notes.txt")).unwrap(), "my notes");
    let file = tmp.path().join("file.txt");
    std::fs::write(&file, "x").unwrap();
    let o = kubesim(&["run".as_ref(), &scenario("quickstart.yaml"), "--out".as_ref(), &file]);
    assert_refused(&o, &file, "is a file");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
}

/// A scenario in `course/` whose trace nodes file is `nodes` (written as given).
fn trace_scenario(tmp: &Path, nodes: &str) -> PathBuf {
    let course = tmp.join("course");
    std::fs::create_dir_all(&course).unwrap();
    let f = course.join("s.yaml");
    let text = format!(
        "apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nmetadata: {{name: t}}\nspec:\n  duration: 1m\n  trace:\n    nodes: {nodes}\n"
    );
    std::fs::write(&f, text).unwrap();
    f
}

fn validate(file: &Path, extra: &[&str]) -> std::process::Output {
    Command::cargo_bin("kubesim").unwrap().arg("validate").arg(file).args(extra).output().unwrap()
}

#[test]
fn paths_in_a_scenario_may_not_leave_its_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::copy(root().join("tests/data/trace-small/nodes.csv"), outside.join("nodes.csv")).unwrap();
    let cases = [("/etc/passwd", "is an absolute path"), ("../../x", "leaves the scenario's folder")];
    for (path, why) in cases {
        let f = trace_scenario(tmp.path(), path);
        let o = validate(&f, &[]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(why) && stderr.contains("--allow-outside-paths"), "{stderr}");
        assert!(stderr.contains("s.yaml:7:"), "points into the scenario: {stderr}");
        assert!(!stderr.contains("root:"), "nothing of the file is quoted: {stderr}");
    }
    // With the flag, /etc/passwd is read (and refused as a trace), its content still unquoted.
    let o = validate(&trace_scenario(tmp.path(), "/etc/passwd"), &["--allow-outside-paths"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    if Path::new("/etc/passwd").is_file() {
        assert!(stderr.contains("the header is not `name,create_time"), "{stderr}");
        assert!(!stderr.contains("root:"), "{stderr}");
    }
    // A real trace outside: refused by `..`, read with the flag.
    let f = trace_scenario(tmp.path(), "../outside/nodes.csv");
    assert_eq!(validate(&f, &[]).status.code(), Some(2));
    let o = validate(&f, &["--allow-outside-paths"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&outside, tmp.path().join("course/data")).unwrap();
        let f = trace_scenario(tmp.path(), "data/nodes.csv");
        let o = validate(&f, &[]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("through a symbolic link"), "{stderr}");
        assert!(validate(&f, &["--allow-outside-paths"]).status.success());
        // `run` refuses it too, and writes nothing.
        let out = tmp.path().join("out");
        let o = kubesim(&["run".as_ref(), &f, "--out".as_ref(), &out]);
        assert_eq!(o.status.code(), Some(2));
        assert!(!out.exists());
    }
}

#[test]
fn image_pull_backoff_counts_its_first_rollout_as_an_outage() {
    // #22: availability and the longest outage run from the workload's creation. The registry
    // is down for the first 3 minutes and the pull back-off (10s doubling) makes the pods wait
    // past it: the Deployment is down for more than 5 minutes from the start.
    let (_t, out) = run_cli(&scenario("image-pull-backoff.yaml"), &["--quiet"]);
    let s = &read_csv(&out.join("summary.csv"))[0];
    let availability: f64 = s["availability:deployment/web"].parse().unwrap();
    let outage: f64 = s["longest_outage:deployment/web"].parse().unwrap();
    assert!(availability < 1.0, "{availability}");
    assert!(outage >= 300.0, "{outage}");
    // One outage: all the time below desired is that one.
    assert_eq!(s["below_desired:deployment/web"], s["longest_outage:deployment/web"]);
}

/// #22: pods.csv names the last container termination, so a learner sees why a pod restarted
/// without reading events: under restartPolicy Always an OOM kill is `OOMKilled`, exit 137, at
/// the time of the last SystemOOM event; a Job's finished pods show `Completed` 0 or `Error` 1.
#[test]
fn pods_csv_names_the_last_container_termination() {
    let (_t, out) = run_cli(&scenario("oomkilled.yaml"), &["--quiet"]);
    let pods = read_csv(&out.join("pods.csv"));
    let leaky = &pods[0];
    assert_eq!(
        (leaky["last_exit_container"].as_str(), leaky["last_exit_reason"].as_str(), leaky["last_exit_code"].as_str()),
        ("app", "OOMKilled", "137")
    );
    let ooms: Vec<u64> = read_csv(&out.join("events.csv"))
        .iter()
        .filter(|e| e["reason"] == "SystemOOM")
        .map(|e| ms(&e["time"]))
        .collect();
    assert_eq!(ms(&leaky["last_exit_time"]), *ooms.last().unwrap());
    let (_t, out) = run_cli(&scenario("job-backoff.yaml"), &["--quiet"]);
    for p in read_csv(&out.join("pods.csv")) {
        let want = match p["reason"].as_str() {
            "Completed" => ("Completed", "0"),
            "Error" => ("Error", "1"),
            _ => continue,
        };
        assert_eq!((p["last_exit_reason"].as_str(), p["last_exit_code"].as_str()), want, "{p:?}");
        // The exit comes first; the pod's phase follows at the relist that sees it.
        assert_eq!(ms(&p["finished"]), (ms(&p["last_exit_time"]) / 1000 + 1) * 1000, "{p:?}");
    }
}
