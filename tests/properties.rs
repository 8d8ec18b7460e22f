//! Property tests: random clusters, workloads and fault plans run without panic, with the
//! invariants holding, and deterministically.

use proptest::prelude::*;
use std::fmt::Write;

#[derive(Debug, Clone)]
struct Pool {
    count: u32,
    cpu_milli: u32,
    mem_mi: u32,
    pods: u32,
    taint: bool,
}

#[derive(Debug, Clone)]
struct Image {
    size_mi: u32,
    startup_ms: u32,
    ready_ms: u32,
    jitter_ms: u32,
    termination_ms: u32,
    /// Extra behaviour keys: exit, crash, memory, hang, preStop (each optional).
    extra: ExtraBehavior,
}

/// exit (after s, code), crash mean s, memory (start Mi, growth Mi/m), hang after s, preStop s.
type ExtraBehavior = (Option<(u32, u8)>, Option<u32>, Option<(u32, u32)>, Option<u32>, Option<u32>);

#[derive(Debug, Clone)]
struct Workload {
    replicas: u32,
    cpu_milli: u32,
    mem_mi: u32,
    image: usize,
    probe: bool,
    grace_s: u32,
    init: bool,
    tolerate: bool,
    policy: u8,
    /// liveness, startup probe, memory limit (Mi), preStop hook, kind (Deployment,
    /// StatefulSet, DaemonSet, Job; standalone pods ignore it)
    more: (bool, bool, Option<u32>, bool, u8),
}

#[derive(Debug, Clone)]
enum Fault {
    PodKill {
        at_s: u32,
        target: usize,
        mode: u8,
        value: u32,
        grace: Option<u32>,
    },
    Cordon {
        at_s: u32,
        pool: usize,
        cordon: bool,
    },
    Hog {
        at_s: u32,
        pool: usize,
        mem_mi: u32,
        dur_s: u32,
    },
    Registry {
        at_s: u32,
        kind: u8,
        dur_s: u32,
    },
    Crash {
        at_s: u32,
        pool: usize,
        dur_s: Option<u32>,
    },
    Drain {
        at_s: u32,
        pool: usize,
        force: bool,
    },
    DeleteNode {
        at_s: u32,
        pool: usize,
    },
    AddNodes {
        at_s: u32,
        pool: usize,
        count: u32,
    },
    SetImage {
        at_s: u32,
        target: usize,
        image: usize,
    },
    Scale {
        at_s: u32,
        target: usize,
        replicas: u32,
    },
    Zone {
        at_s: u32,
        zone: bool,
        dur_s: Option<u32>,
    },
    /// 0 partition, 1 kubelet kill, 2 random crashes (mtbf/mttr), 3 random partitions.
    Disconnect {
        at_s: u32,
        pool: usize,
        kind: u8,
        dur_s: Option<u32>,
    },
    Outage {
        at_s: u32,
        dur_s: Option<u32>,
    },
    /// pod-failure (with a duration) or container-kill (without).
    PodChaos {
        at_s: u32,
        target: usize,
        dur_s: Option<u32>,
    },
}

#[derive(Debug, Clone)]
struct Case {
    seed: u64,
    duration_s: u32,
    pools: Vec<Pool>,
    images: Vec<Image>,
    workloads: Vec<Workload>,
    pods: Vec<Workload>,
    faults: Vec<Fault>,
    watch_latency_ms: u32,
    /// A PodDisruptionBudget on `app: w0`: minAvailable (Some(false)) or maxUnavailable.
    pdb: Option<(bool, u32)>,
}

fn pool() -> impl Strategy<Value = Pool> {
    (0u32..5, 250u32..8000, 256u32..16384, 1u32..30, any::<bool>())
        .prop_map(|(count, cpu_milli, mem_mi, pods, taint)| Pool { count, cpu_milli, mem_mi, pods, taint })
}

fn image() -> impl Strategy<Value = Image> {
    let extra = (
        proptest::option::of((1u32..600, 0u8..3)),
        proptest::option::of(1u32..600),
        proptest::option::of((1u32..300, 0u32..20)),
        proptest::option::of(1u32..600),
        proptest::option::of(0u32..60),
    );
    (0u32..300, 0u32..3000, 0u32..30_000, 0u32..500, 0u32..40_000, extra).prop_map(
        |(size_mi, startup_ms, ready_ms, jitter, termination_ms, extra)| Image {
            size_mi,
            startup_ms: startup_ms + jitter,
            ready_ms,
            jitter_ms: jitter,
            termination_ms,
            extra,
        },
    )
}

fn workload() -> impl Strategy<Value = Workload> {
    let more = (any::<bool>(), any::<bool>(), proptest::option::of(1u32..400), any::<bool>(), 0u8..4);
    (0u32..12, 0u32..3000, 0u32..3000, 0usize..3, any::<bool>(), 0u32..60, any::<bool>(), any::<bool>(), 0u8..3, more)
        .prop_map(|(replicas, cpu_milli, mem_mi, image, probe, grace_s, init, tolerate, policy, more)| Workload {
            replicas,
            cpu_milli,
            mem_mi,
            image,
            probe,
            grace_s,
            init,
            tolerate,
            policy,
            more,
        })
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        (0u32..900, 0usize..4, 0u8..4, 0u32..120, proptest::option::of(0u32..40))
            .prop_map(|(at_s, target, mode, value, grace)| Fault::PodKill { at_s, target, mode, value, grace }),
        (0u32..900, 0usize..3, any::<bool>()).prop_map(|(at_s, pool, cordon)| Fault::Cordon { at_s, pool, cordon }),
        (0u32..900, 0usize..3, 1u32..20000, 1u32..600).prop_map(|(at_s, pool, mem_mi, dur_s)| Fault::Hog {
            at_s,
            pool,
            mem_mi,
            dur_s
        }),
        (0u32..900, 0u8..3, 1u32..600).prop_map(|(at_s, kind, dur_s)| Fault::Registry { at_s, kind, dur_s }),
        (0u32..900, 0usize..3, proptest::option::of(1u32..600)).prop_map(|(at_s, pool, dur_s)| Fault::Crash {
            at_s,
            pool,
            dur_s
        }),
        (0u32..900, 0usize..3, any::<bool>()).prop_map(|(at_s, pool, force)| Fault::Drain { at_s, pool, force }),
        (0u32..900, 0usize..3).prop_map(|(at_s, pool)| Fault::DeleteNode { at_s, pool }),
        (0u32..900, 0usize..3, 1u32..4).prop_map(|(at_s, pool, count)| Fault::AddNodes { at_s, pool, count }),
        (0u32..900, 0usize..4, 0usize..3).prop_map(|(at_s, target, image)| Fault::SetImage { at_s, target, image }),
        (0u32..900, 0usize..4, 0u32..10).prop_map(|(at_s, target, replicas)| Fault::Scale { at_s, target, replicas }),
        (0u32..900, any::<bool>(), proptest::option::of(1u32..600)).prop_map(|(at_s, zone, dur_s)| Fault::Zone {
            at_s,
            zone,
            dur_s
        }),
        (0u32..900, 0usize..3, 0u8..4, proptest::option::of(1u32..600))
            .prop_map(|(at_s, pool, kind, dur_s)| Fault::Disconnect { at_s, pool, kind, dur_s }),
        (0u32..900, proptest::option::of(1u32..600)).prop_map(|(at_s, dur_s)| Fault::Outage { at_s, dur_s }),
        (0u32..900, 0usize..4, proptest::option::of(1u32..600)).prop_map(|(at_s, target, dur_s)| Fault::PodChaos {
            at_s,
            target,
            dur_s
        }),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (
        any::<u64>(),
        30u32..900,
        proptest::collection::vec(pool(), 1..4),
        proptest::collection::vec(image(), 1..4),
        proptest::collection::vec(workload(), 0..4),
        proptest::collection::vec(workload(), 0..3),
        proptest::collection::vec(fault(), 0..6),
        0u32..50,
        proptest::option::of((any::<bool>(), 0u32..4)),
    )
        .prop_map(|(seed, duration_s, pools, images, workloads, pods, faults, watch_latency_ms, pdb)| Case {
            seed,
            duration_s,
            pools,
            images,
            workloads,
            pods,
            faults,
            watch_latency_ms,
            pdb,
        })
}

fn pod_spec(y: &mut String, w: &Workload, images: &[Image], indent: &str, standalone: bool) {
    let img = w.image % images.len();
    let policy = if standalone {
        ["Always", "OnFailure", "Never"][w.policy as usize]
    } else if w.more.4 == 3 {
        ["OnFailure", "Never"][w.policy as usize % 2]
    } else {
        "Always"
    };
    let _ = writeln!(y, "{indent}restartPolicy: {policy}");
    let _ = writeln!(y, "{indent}terminationGracePeriodSeconds: {}", w.grace_s);
    if w.tolerate {
        let _ = writeln!(y, "{indent}tolerations: [{{key: dedicated, operator: Exists}}]");
    }
    if w.init {
        // With a readiness probe on the app, make the init container a sidecar instead.
        let sidecar = if w.probe { ", restartPolicy: Always" } else { "" };
        let _ = writeln!(y, "{indent}initContainers: [{{name: init, image: \"img-{img}:1\"{sidecar}}}]");
    }
    let _ = writeln!(y, "{indent}containers:");
    let _ = writeln!(y, "{indent}- name: app");
    let _ = writeln!(y, "{indent}  image: \"img-{img}:1\"");
    let (liveness, startup, limit, pre_stop, _) = w.more;
    let limits = limit.map(|l| format!(", limits: {{memory: {}Mi}}", l.max(w.mem_mi))).unwrap_or_default();
    let _ = writeln!(y, "{indent}  resources: {{requests: {{cpu: {}m, memory: {}Mi}}{limits}}}", w.cpu_milli, w.mem_mi);
    if w.probe {
        let _ = writeln!(y, "{indent}  readinessProbe: {{httpGet: {{path: /, port: 80}}, periodSeconds: 3}}");
    }
    if liveness {
        let _ = writeln!(
            y,
            "{indent}  livenessProbe: {{tcpSocket: {{port: 80}}, initialDelaySeconds: 5, failureThreshold: 2}}"
        );
    }
    if startup {
        let _ =
            writeln!(y, "{indent}  startupProbe: {{tcpSocket: {{port: 80}}, periodSeconds: 2, failureThreshold: 5}}");
    }
    if pre_stop {
        let _ = writeln!(y, "{indent}  lifecycle: {{preStop: {{exec: {{command: [sleep, \"5\"]}}}}}}");
    }
}

fn yaml(c: &Case) -> String {
    let mut y = String::new();
    let _ = writeln!(y, "apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nmetadata: {{name: prop}}\nspec:");
    let _ = writeln!(y, "  duration: {}s\n  seed: {}\n  sampleInterval: 10s", c.duration_s, c.seed);
    let _ = writeln!(y, "  kubernetes: {{watchLatency: {}ms}}", c.watch_latency_ms);
    let _ = writeln!(y, "  nodePools:");
    for (i, p) in c.pools.iter().enumerate() {
        let _ = writeln!(y, "  - name: pool{i}\n    count: {}", p.count);
        let _ = writeln!(y, "    labels: {{topology.kubernetes.io/zone: zone-{}}}", i % 2);
        let _ = writeln!(y, "    capacity: {{cpu: {}m, memory: {}Mi, pods: {}}}", p.cpu_milli, p.mem_mi, p.pods);
        if p.taint {
            let _ = writeln!(y, "    taints: [{{key: dedicated, value: x, effect: NoSchedule}}]");
        }
        if i == 0 {
            let _ = writeln!(y, "    images: [\"img-0:1\"]");
            if p.taint {
                // A static pod that pod-kill faults on `app: w0` also hit (its mirror pod).
                let _ = writeln!(
                    y,
                    "    staticPods:\n    - apiVersion: v1\n      kind: Pod\n      metadata: {{name: sp, labels: {{app: w0}}}}\n      spec:\n        containers: [{{name: c, image: \"img-0:1\"}}]"
                );
            }
        }
    }
    let _ = writeln!(y, "  images:");
    for (i, im) in c.images.iter().enumerate() {
        let _ = writeln!(y, "  - name: \"img-{i}:1\"\n    size: {}Mi", im.size_mi);
        let (exit, crash, memory, hang, pre_stop) = im.extra;
        let mut more = String::new();
        if let Some((after, code)) = exit {
            let _ = write!(more, ", exit: {{after: {after}s, code: {code}}}");
        }
        if let Some(mean) = crash {
            let _ = write!(more, ", crash: {{meanInterval: {mean}s}}");
        }
        if let Some((start, growth)) = memory {
            let _ = write!(more, ", memory: {{start: {start}Mi, growth: {growth}Mi/m}}");
        }
        if let Some(h) = hang {
            let _ = write!(more, ", hang: {{after: {h}s}}");
        }
        if let Some(p) = pre_stop {
            let _ = write!(more, ", preStop: {p}s");
        }
        let _ = writeln!(
            y,
            "    behavior: {{startup: {{mean: {}ms, jitter: {}ms}}, ready: {}ms, terminationTime: {}ms{more}}}",
            im.startup_ms, im.jitter_ms, im.ready_ms, im.termination_ms
        );
    }
    let mut plan = String::new();
    let y_main = std::mem::take(&mut y);
    for f in &c.faults {
        match f {
            Fault::PodKill { at_s, target, mode, value, grace } => {
                let mode = ["one", "all", "fixed", "fixed-percent"][*mode as usize];
                let value = if mode == "fixed-percent" { value % 101 } else { *value };
                let grace = grace.map(|g| format!(", gracePeriod: {g}")).unwrap_or_default();
                let _ = writeln!(
                    y,
                    "  - pod-kill: {{at: {at_s}s, selector: {{app: w{target}}}, mode: {mode}, value: \"{value}\"{grace}}}"
                );
            }
            Fault::Hog { at_s, pool, mem_mi, dur_s } => {
                let _ = writeln!(
                    y,
                    "  - node-memory-hog: {{at: {at_s}s, pool: pool{}, memory: {mem_mi}Mi, duration: {dur_s}s}}",
                    pool % c.pools.len()
                );
            }
            Fault::Registry { at_s, kind, dur_s } => {
                let _ = match kind {
                    0 => writeln!(y, "  - registry-outage: {{at: {at_s}s, duration: {dur_s}s}}"),
                    1 => writeln!(y, "  - registry-slow: {{at: {at_s}s, factor: 7, duration: {dur_s}s}}"),
                    _ => writeln!(y, "  - image-missing: {{at: {at_s}s, image: \"img-0:1\", duration: {dur_s}s}}"),
                };
            }
            Fault::Crash { at_s, pool, dur_s } => {
                let d = dur_s.map(|d| format!(", duration: {d}s")).unwrap_or_default();
                let _ = writeln!(y, "  - node-crash: {{at: {at_s}s, pool: pool{}{d}}}", pool % c.pools.len());
            }
            Fault::Cordon { at_s, pool, cordon } => {
                let action = if *cordon { "node-cordon" } else { "node-uncordon" };
                let _ = writeln!(y, "  - {action}: {{at: {at_s}s, pool: pool{}}}", pool % c.pools.len());
            }
            Fault::Drain { at_s, pool, force } => {
                let _ =
                    writeln!(y, "  - node-drain: {{at: {at_s}s, pool: pool{}, force: {force}}}", pool % c.pools.len());
            }
            Fault::DeleteNode { at_s, pool } => {
                let _ = writeln!(y, "  - delete-node: {{at: {at_s}s, pool: pool{}}}", pool % c.pools.len());
            }
            Fault::AddNodes { at_s, pool, count } => {
                let _ =
                    writeln!(y, "  - add-nodes: {{at: {at_s}s, pool: pool{}, count: {count}}}", pool % c.pools.len());
            }
            Fault::SetImage { at_s, target, image } => {
                // Only Deployments and DaemonSets roll out.
                if let Some(w) = c.workloads.get(*target).filter(|w| w.more.4 == 0 || w.more.4 == 2) {
                    let kind = if w.more.4 == 0 { "deployment" } else { "daemonset" };
                    let img = image % c.images.len();
                    let _ = writeln!(
                        y,
                        "  - set-image: {{at: {at_s}s, {kind}: w{target}, container: app, image: \"img-{img}:1\"}}"
                    );
                }
            }
            Fault::Scale { at_s, target, replicas } => {
                if let Some(w) = c.workloads.get(*target).filter(|w| w.more.4 < 2) {
                    let kind = if w.more.4 == 0 { "deployment" } else { "statefulset" };
                    let _ = writeln!(y, "  - scale: {{at: {at_s}s, workload: {kind}/w{target}, replicas: {replicas}}}");
                }
            }
            Fault::Zone { at_s, zone, dur_s } => {
                let z = usize::from(*zone);
                if c.pools.iter().enumerate().any(|(i, p)| i % 2 == z && p.count > 0) {
                    let d = dur_s.map(|d| format!(", duration: {d}s")).unwrap_or_default();
                    let _ = writeln!(y, "  - zone-outage: {{at: {at_s}s, zone: zone-{z}{d}}}");
                }
            }
            _ => {} // written below
        }
    }
    for f in &c.faults {
        match f {
            Fault::Disconnect { at_s, pool, kind, dur_s } => {
                let pool = pool % c.pools.len();
                let d = dur_s.map(|d| format!(", duration: {d}s")).unwrap_or_default();
                let _ = match kind {
                    0 => writeln!(y, "  - network-partition: {{at: {at_s}s, pool: pool{pool}{d}}}"),
                    1 => writeln!(y, "  - kubelet-service-kill: {{at: {at_s}s, pool: pool{pool}{d}}}"),
                    2 => writeln!(y, "  - node-crash: {{pool: pool{pool}, mtbf: {}s, mttr: 60s}}", 60 + at_s),
                    _ => writeln!(y, "  - network-partition: {{at: {at_s}s, pool: pool{pool}, mtbf: 300s, mttr: 90s}}"),
                };
            }
            Fault::Outage { at_s, dur_s } => {
                let d = dur_s.map(|d| format!(", duration: {d}s")).unwrap_or_default();
                let _ = writeln!(y, "  - apiserver-outage: {{at: {at_s}s{d}}}");
            }
            Fault::PodChaos { at_s, target, dur_s } => {
                let _ = match dur_s {
                    Some(d) => writeln!(
                        y,
                        "  - pod-failure: {{at: {at_s}s, selector: {{app: w{target}}}, mode: one, duration: {d}s}}"
                    ),
                    None => writeln!(
                        y,
                        "  - container-kill: {{at: {at_s}s, selector: {{app: w{target}}}, containers: [app, init]}}"
                    ),
                };
            }
            _ => {}
        }
    }
    std::mem::swap(&mut plan, &mut y);
    y = y_main;
    if !plan.is_empty() {
        let _ = write!(y, "  faults:\n{plan}");
    }
    for (i, w) in c.workloads.iter().enumerate() {
        match w.more.4 {
            0 | 1 => {
                let kind = if w.more.4 == 0 { "Deployment" } else { "StatefulSet" };
                let _ = writeln!(y, "---\napiVersion: apps/v1\nkind: {kind}\nmetadata: {{name: w{i}}}\nspec:");
                let _ = writeln!(y, "  replicas: {}\n  selector: {{matchLabels: {{app: w{i}}}}}", w.replicas);
                if w.probe && w.more.4 == 1 {
                    let _ = writeln!(y, "  podManagementPolicy: Parallel");
                }
            }
            2 => {
                let _ = writeln!(y, "---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {{name: w{i}}}\nspec:");
                let _ = writeln!(y, "  selector: {{matchLabels: {{app: w{i}}}}}");
            }
            _ => {
                let _ = writeln!(y, "---\napiVersion: batch/v1\nkind: Job\nmetadata: {{name: w{i}}}\nspec:");
                let _ = writeln!(y, "  completions: {}\n  parallelism: {}", w.replicas, 1 + w.grace_s % 3);
                let _ = writeln!(y, "  backoffLimit: {}\n  activeDeadlineSeconds: {}", w.grace_s % 5, 60 + w.mem_mi);
            }
        }
        let _ = writeln!(y, "  template:\n    metadata: {{labels: {{app: w{i}}}}}\n    spec:");
        pod_spec(&mut y, w, &c.images, "      ", false);
    }
    if let Some((min, n)) = c.pdb {
        let bound = if min { format!("minAvailable: {n}") } else { format!("maxUnavailable: \"{}%\"", n * 25) };
        let _ = writeln!(
            y,
            "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: b}}\nspec:\n  {bound}\n  selector: {{matchLabels: {{app: w0}}}}"
        );
    }
    for (i, p) in c.pods.iter().enumerate() {
        let _ = writeln!(y, "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}, labels: {{app: w3}}}}\nspec:");
        pod_spec(&mut y, p, &c.images, "  ", true);
    }
    y
}

fn run(text: &str) -> (kubesim::RunResult, std::collections::BTreeMap<String, Vec<u8>>) {
    let s = kubesim::scenario::load_bytes("prop.yaml", text.as_bytes(), std::path::Path::new("prop.yaml"))
        .unwrap_or_else(|e| panic!("generated scenario does not validate: {e}\n{text}"));
    let opts = kubesim::RunOptions { max_events: Some(1_000_000), check_invariants: true, ..Default::default() };
    let r = kubesim::simulate(s, &opts).unwrap_or_else(|v| panic!("{v}\n{text}"));
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    kubesim::write_outputs(&out, &r).unwrap();
    let files = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap() != "stats.csv")
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    (r, files)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any generated cluster runs to its end with every invariant holding.
    #[test]
    fn random_scenarios_run_with_invariants_holding(c in case()) {
        let (r, _) = run(&yaml(&c));
        prop_assert!(r.outcome.complete);
        prop_assert_eq!(r.outcome.end.as_millis(), c.duration_s as u64 * 1000);
        // Every pod the scenario or a controller created is in the outputs.
        let standalone = c.pods.len();
        prop_assert!(r.summary.pods_created >= standalone);
    }

    /// The same scenario and seed give the same bytes.
    #[test]
    fn random_scenarios_are_deterministic(c in case()) {
        let text = yaml(&c);
        let (_, a) = run(&text);
        let (_, b) = run(&text);
        prop_assert_eq!(a, b);
    }

    /// Arbitrary text never panics the loader: it validates or it is a clean error.
    #[test]
    fn arbitrary_text_never_panics_the_loader(s in "\\PC{0,400}") {
        let _ = kubesim::scenario::load_bytes("fuzz.yaml", s.as_bytes(), std::path::Path::new("fuzz.yaml"));
    }
}
