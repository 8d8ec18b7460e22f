//! The reports people look at: every chart for quickstart and a node crash, report.html in a
//! real browser with the network off, and snapshots of the kubectl-style views.

use crate::scenario;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Run with the charts (and so report.html).
pub(crate) fn run_with_charts(file: &Path) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    assert_cmd::Command::cargo_bin("kubesim")
        .unwrap()
        .arg("run")
        .arg(file)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .assert()
        .success();
    (tmp, out)
}

const CHARTS: [&str; 5] =
    ["pods-by-phase", "ready-vs-desired", "node-timeline", "startup-latency", "restarts-evictions"];

/// How many of a PNG's pixels are exactly `rgb`.
fn png_pixels_of(path: &Path, rgb: [u8; 3]) -> usize {
    let d = png::Decoder::new(std::fs::File::open(path).unwrap());
    let mut r = d.read_info().unwrap();
    let mut buf = vec![0; r.output_buffer_size()];
    let info = r.next_frame(&mut buf).unwrap();
    let ch = info.color_type.samples();
    buf[..info.buffer_size()].chunks(ch).filter(|p| p[..3] == rgb).count()
}

/// Decode a PNG; (width, height, share of pixels that are not near-white).
pub(crate) fn png_ink(path: &Path) -> (u32, u32, f64) {
    let d = png::Decoder::new(std::fs::File::open(path).unwrap());
    let mut r = d.read_info().unwrap();
    let mut buf = vec![0; r.output_buffer_size()];
    let info = r.next_frame(&mut buf).unwrap();
    let bytes = &buf[..info.buffer_size()];
    let ch = info.color_type.samples();
    let px = bytes.chunks(ch);
    let total = (info.width * info.height) as f64;
    let ink = px.filter(|p| p.iter().take(3).any(|&v| v < 235)).count() as f64;
    (info.width, info.height, ink / total)
}

#[test]
fn every_chart_is_drawn_for_quickstart_and_a_node_crash() {
    for s in ["quickstart.yaml", "node-crash.yaml"] {
        let (_t, out) = run_with_charts(&scenario(s));
        for c in CHARTS {
            let png = out.join("charts").join(format!("{c}.png"));
            let (w, h, ink) = png_ink(&png);
            assert!(w >= 1000 && h >= 300, "{s} {c}: {w}x{h}");
            // Axes, labels, bars: a real drawing, not a blank canvas.
            assert!(ink > 0.02, "{s} {c}: only {:.1}% of the pixels drawn", ink * 100.0);
            let svg = std::fs::read_to_string(out.join("charts").join(format!("{c}.svg"))).unwrap();
            assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{s} {c}");
            // Time axes read in minutes and seconds (`2m`, `4m30s`), not raw seconds.
            assert!(
                svg.contains("<text")
                    && (svg.contains("\n2m\n") && svg.contains("\ntime\n") || svg.contains("seconds")),
                "{s} {c}: axis title and labels"
            );
        }
        let html = std::fs::read_to_string(out.join("report.html")).unwrap();
        for c in CHARTS {
            assert!(html.contains(&format!("id=\"chart-{c}\"")), "{s}: {c} in report.html");
        }
    }
}

#[test]
fn the_node_timeline_shows_the_crashed_nodes_pods_terminating() {
    // node-crash: worker-1's pods run, are evicted at 465 s and stay Terminating until the
    // node boots; the row is shaded NotReady in between.
    let (_t, out) = run_with_charts(&scenario("node-crash.yaml"));
    let svg = std::fs::read_to_string(out.join("charts/node-timeline.svg")).unwrap();
    for label in ["worker-0", "worker-1", "worker-2", "running", "terminating", "NotReady (bottom band)"] {
        assert!(svg.contains(label), "{label}");
    }
    // The terminating colour (204, 121, 167) is used for bars; the power-off band is black.
    assert!(svg.contains("#CC79A7"), "terminating bars drawn");
    assert!(svg.contains("fill=\"#000000\" stroke=\"none\"/>"), "the power-off band");
}

#[test]
fn the_node_timeline_tells_image_back_off_from_crash_back_off_and_names_the_pods() {
    // #22: ImagePullBackOff (Okabe-Ito orange) and CrashLoopBackOff (vermillion) apart, each
    // pod's name on its lane; checked in the PNG a learner opens and in the SVG's text.
    let orange = [230, 159, 0];
    let vermillion = [213, 94, 0];
    // (pixels of a colour in the PNG, the SVG) of a scenario's node timeline.
    let timeline = |s: &str, rgb: [u8; 3]| {
        let (_t, out) = run_with_charts(&scenario(s));
        let svg = std::fs::read_to_string(out.join("charts/node-timeline.svg")).unwrap();
        let png = out.join("charts/node-timeline.png");
        (png_pixels_of(&png, rgb), png_pixels_of(&png, if rgb == orange { vermillion } else { orange }), svg)
    };
    let (image, crash, svg) = timeline("image-pull-backoff.yaml", orange);
    assert!(image > 2_000, "image back-off bars");
    // The legend's swatch (20 x 14 pixels) is the only vermillion: no crash back-off bars.
    assert!(crash < 400, "no crash back-off in an image pull story");
    assert!(svg.contains("\ntypo\n"), "the bad tag's pod named on its lane");
    let (crash, image, svg) = timeline("crashloop.yaml", vermillion);
    assert!(crash > 2_000, "crash back-off bars");
    assert!(image < 400, "no image back-off in a crash loop");
    assert!(svg.contains("\ncrasher\n"), "the pod named on its lane");
    // A partition is a blue band above the node's row.
    let (_t, out) = run_with_charts(&scenario("network-partition.yaml"));
    let png = out.join("charts/node-timeline.png");
    assert!(png_pixels_of(&png, [0, 114, 178]) > 1_000, "the partition band");
}

#[test]
fn the_memory_chart_follows_a_leak_to_its_limit() {
    // oomkilled: the leaking pod's memory climbs to its 200Mi limit (dashed) and drops at
    // each OOM kill; only scenarios whose behaviours use memory get the chart.
    let (_t, out) = run_with_charts(&scenario("oomkilled.yaml"));
    let svg = std::fs::read_to_string(out.join("charts/memory-usage.svg")).unwrap();
    assert!(svg.contains("\nMiB\n") && svg.contains("limit\n"), "axis and the limit's legend");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("id=\"chart-memory-usage\""));
    let (_t, out) = run_with_charts(&scenario("quickstart.yaml"));
    assert!(!out.join("charts/memory-usage.png").exists());
}

pub(crate) fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for name in ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"] {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Headless Chromium on a file with every network request refused; (stdout, stderr).
fn headless(browser: &Path, url: &str, extra: &[&str]) -> (String, String) {
    let profile = tempfile::tempdir().unwrap();
    let o = Command::new(browser)
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--proxy-server=127.0.0.1:9",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(url)
        .output()
        .unwrap();
    assert!(o.status.success(), "chromium failed: {}", String::from_utf8_lossy(&o.stderr));
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

#[test]
fn report_html_loads_in_headless_chromium_with_no_console_errors() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("KUBESIM_REQUIRE_BROWSER").is_none(),
            "KUBESIM_REQUIRE_BROWSER is set but no chromium is on PATH (apt-get install chromium)"
        );
        eprintln!("skipped: no chromium on PATH (CI installs Debian's chromium and runs this test)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    // The channel works: a page with an error shows up as a console message.
    let probe = tmp.path().join("probe.html");
    std::fs::write(&probe, "<html><body><script>console.error('kubesim-probe')</script></body></html>").unwrap();
    let (_, err) = headless(&browser, &format!("file://{}", probe.display()), &["--dump-dom"]);
    assert!(err.contains("kubesim-probe"), "console messages must reach stderr for this test to mean anything");

    let (_t, out) = run_with_charts(&scenario("node-crash.yaml"));
    let url = format!("file://{}", out.join("report.html").display());
    let (dom, err) = headless(&browser, &url, &["--dump-dom"]);
    let console: Vec<&str> = err.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:?}");
    // Everything is inline: the charts, the summary, the fault's chain of consequences.
    assert_eq!(dom.matches("<svg").count(), CHARTS.len() + 1, "every chart inline, and the pod's sequence diagram");
    for want in [
        "id=\"summary\"",
        "id=\"timeline\"",
        "node-crash",
        "TaintManagerEviction",
        "NodeNotReady",
        "id=\"pod-trace\"",
        "RunPodSandbox",
        "DisruptionTarget=True",
    ] {
        assert!(dom.contains(want), "{want} in the rendered page");
    }
    // And it is visible: a screenshot that is not blank.
    let shot = tmp.path().join("shot.png");
    headless(&browser, &url, &["--window-size=1200,2400", &format!("--screenshot={}", shot.display())]);
    let (w, h, ink) = png_ink(&shot);
    assert_eq!((w, h), (1200, 2400));
    assert!(ink > 0.05, "the screenshot is nearly blank ({:.1}% drawn)", ink * 100.0);
}

fn get(args: &[&str]) -> String {
    let o = assert_cmd::Command::cargo_bin("kubesim").unwrap().args(args).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn snapshot_get_pods_during_a_crash_loop_and_a_node_crash() {
    let crash = scenario("crashloop.yaml");
    insta::assert_snapshot!(
        "get_pods_crashloop_6m30s",
        get(&["get", "pods", crash.to_str().unwrap(), "--at", "6m30s"])
    );
    let node = scenario("node-crash.yaml");
    insta::assert_snapshot!(
        "get_pods_node_crash_10m_wide",
        get(&["get", "pods", node.to_str().unwrap(), "--at", "10m", "-o", "wide"])
    );
    let init = scenario("init-container-failure.yaml");
    insta::assert_snapshot!("get_pods_init_failure_3m", get(&["get", "pods", init.to_str().unwrap(), "--at", "3m"]));
    let pull = scenario("image-pull-backoff.yaml");
    insta::assert_snapshot!("get_pods_image_pull_3m", get(&["get", "pods", pull.to_str().unwrap(), "--at", "3m"]));
}

#[test]
fn snapshot_get_pods_across_an_oom_kill_under_restart_policy_always() {
    // #22: the STATUS column between restarts names the exit. Each OOM kill is seen at the next
    // relist, whose status shows the dead instance (`OOMKilled`); the first is restarted in that
    // sync; later ones wait out the back-off, shown as CrashLoopBackOff from the pod worker's
    // next sync (10-15 s later) until the restarted instance runs.
    let f = scenario("oomkilled.yaml");
    let f = f.to_str().unwrap();
    let mut out = String::new();
    for at in ["11s", "12s500ms", "24s", "37s500ms", "38s500ms", "49s", "70s"] {
        out.push_str(&format!("--at {at}\n"));
        out.push_str(&get(&["get", "pods", f, "--at", at]));
    }
    let status: Vec<&str> =
        out.lines().filter(|l| l.starts_with("leaky-")).filter_map(|l| l.split_whitespace().nth(2)).collect();
    assert!(status.contains(&"OOMKilled") && status.contains(&"CrashLoopBackOff"), "{out}");
    insta::assert_snapshot!("get_pods_oomkilled_transitions", out);
}

#[test]
fn snapshot_get_pods_in_the_other_states_the_kubelet_models() {
    // ContainerCreating (image being pulled), Completed / Error (Job pods), Pending (nothing
    // fits), Terminating (grace period running), and node-pressure eviction's failed pods.
    for (file, at, name) in [
        ("quickstart.yaml", "0.5s", "get_pods_quickstart_creating"),
        ("job-backoff.yaml", "2m", "get_pods_job_backoff_2m"),
        ("unschedulable.yaml", "2m", "get_pods_unschedulable_2m"),
        ("graceful-termination.yaml", "62s", "get_pods_graceful_termination_62s"),
        ("memory-pressure.yaml", "5m", "get_pods_memory_pressure_5m"),
    ] {
        let f = scenario(file);
        insta::assert_snapshot!(name, get(&["get", "pods", f.to_str().unwrap(), "--at", at]));
    }
}

#[test]
fn snapshot_get_nodes_and_events_why() {
    let node = scenario("node-crash.yaml");
    let f = node.to_str().unwrap();
    insta::assert_snapshot!("get_nodes_node_crash_4m", get(&["get", "nodes", f, "--at", "4m"]));
    let why = get(&["get", "events", f, "--why"]);
    // The eviction's chain, back to the fault.
    let eviction = why.split("\n\n").find(|b| b.contains("TaintManagerEviction")).unwrap();
    insta::assert_snapshot!("get_events_why_node_crash_eviction", eviction);
}

#[test]
fn a_crash_loops_last_back_off_is_explained_in_a_few_lines_ending_with_the_exit_code() {
    // #22: the restarts before it fold into one line with their counts, and the chain ends
    // with why the container keeps being restarted: how it last exited.
    let f = scenario("crashloop.yaml");
    let why = get(&["get", "events", f.to_str().unwrap(), "--why"]);
    let last = why.split("\n\n").filter(|b| b.contains("  BackOff  ")).last().unwrap();
    assert!(last.lines().count() <= 16, "{last}");
    assert!(last.lines().last().unwrap().ends_with("Error, exit code 1"), "{last}");
    insta::assert_snapshot!("get_events_why_crashloop_last_back_off", last);
}

#[test]
fn variants_run_side_by_side_with_a_comparison() {
    let (_t, out) = run_with_charts(&scenario("eviction-timing.yaml"));
    for v in ["base", "fast-eviction", "slow-detection"] {
        assert!(out.join(v).join("events.csv").is_file(), "{v}/events.csv");
        assert!(out.join(v).join("report.html").is_file(), "{v}/report.html");
    }
    let rows = crate::read_csv(&out.join("compare/summary.csv"));
    let variants: Vec<&str> = rows.iter().map(|r| r["variant"].as_str()).collect();
    assert_eq!(variants, ["", "fast-eviction", "slow-detection"]);
    let avail = |i: usize| rows[i]["availability"].parse::<f64>().unwrap();
    let recovery = |i: usize| crate::ms(&rows[i]["recovery_time"]);
    // 30s instead of 300s of toleration: the pods leave the dead node 270s sooner.
    assert_eq!(recovery(0) - recovery(1), 270_000);
    assert!(avail(1) > avail(0));
    // A 2m grace period instead of 50s: NotReady (and so everything after it) 70s later.
    assert_eq!(recovery(2) - recovery(0), 70_000);
    for c in ["ready-by-variant", "availability-by-variant"] {
        assert!(out.join("compare").join(format!("{c}.png")).is_file());
    }
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(page.contains("href=\"fast-eviction/report.html\""));
    assert!(page.contains("spec.kubernetes.defaultUnreachableTolerationSeconds=30"));
    // One variant alone is an ordinary run.
    let tmp = tempfile::tempdir().unwrap();
    let one = tmp.path().join("one");
    assert_cmd::Command::cargo_bin("kubesim")
        .unwrap()
        .arg("run")
        .arg(scenario("eviction-timing.yaml"))
        .args(["--variant", "fast-eviction", "--no-charts", "--quiet", "--out"])
        .arg(&one)
        .assert()
        .success();
    let s = crate::read_csv(&one.join("summary.csv"));
    assert_eq!(crate::ms(&s[0]["recovery_time"]), recovery(1));
    assert_cmd::Command::cargo_bin("kubesim")
        .unwrap()
        .arg("run")
        .arg(scenario("eviction-timing.yaml"))
        .args(["--variant", "nope", "--quiet", "--out"])
        .arg(tmp.path().join("x"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no variant \"nope\" (known: base, fast-eviction, slow-detection)"));
}

#[test]
fn a_pod_the_kubelet_rejects_shows_its_reason_in_get_pods() {
    // #22: the kubelet's rejectPod writes a status without container statuses, so kubectl's
    // STATUS is the pod's reason (OutOfcpu), not a container's ContainerCreating.
    let f = super::root().join("tests/data/kubelet-rejects.yaml");
    insta::assert_snapshot!("get_pods_kubelet_rejects", get(&["get", "pods", f.to_str().unwrap(), "--at", "30s"]));
    // describe lists the spec's containers all the same, without the status lines they lack.
    let d = get(&["describe", "pod", "big", f.to_str().unwrap(), "--at", "30s"]);
    let containers = &d[d.find("Containers:\n").unwrap()..d.find("Conditions:").unwrap()];
    assert!(containers.contains("  app:\n    Image:") && containers.contains("cpu:"), "{d}");
    assert!(!containers.contains("State:") && !containers.contains("Container ID:"), "{d}");
}
