//! What `kubectl get pods` would print at a moment of a run: the STATUS column derived from the
//! pod's status as kubectl's printer derives it, RESTARTS with the last restart's age, AGE in
//! kubectl's human duration, and columns aligned as its tabwriter aligns them.

use crate::api::events::RecordedEvent;
use crate::api::*;
use crate::cluster::Cluster;
use crate::sim::SimTime;

/// `duration.HumanDuration` (k8s.io/apimachinery): how kubectl writes an age.
pub(crate) fn human_duration(ms: u64) -> String {
    let seconds = ms / 1000;
    if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 { format!("{minutes}m") } else { format!("{minutes}m{s}s") };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = minutes / 60;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 { format!("{hours}h") } else { format!("{hours}h{m}m") };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 { format!("{}d", hours / 24) } else { format!("{}d{h}h", hours / 24) };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        return if dy == 0 { format!("{}y", hours / 24 / 365) } else { format!("{}y{dy}d", hours / 24 / 365) };
    }
    format!("{}y", hours / 24 / 365)
}

/// What `get pods` reads of a pod: its spec and the status fields kubectl's printer looks at
/// (from the pod now, or from a snapshot of the history).
pub struct PodRowInput<'a> {
    pub spec: &'a PodSpec,
    pub reported: bool,
    pub phase: PodPhase,
    pub reason: Option<&'static str>,
    pub ready: bool,
    pub deleting: bool,
    pub init: &'a [ContainerStatus],
    pub containers: &'a [ContainerStatus],
}

/// One row of `kubectl get pods`: READY, STATUS, RESTARTS (as printed) for a pod at `now`.
pub fn pod_row(p: &Pod, now: SimTime) -> (String, String, String) {
    let input = PodRowInput {
        spec: &p.spec,
        reported: p.node.is_some(),
        phase: p.status.phase,
        reason: p.status.reason,
        ready: p.status.ready,
        deleting: p.deletion.is_some(),
        init: &p.status.init_containers,
        containers: &p.status.containers,
    };
    let (ready, reason, restarts, last_restart) = pod_row_parts(&input);
    let restarts = match last_restart {
        Some(t) if restarts > 0 => format!("{restarts} ({} ago)", human_duration(now.since(t))),
        _ => restarts.to_string(),
    };
    (ready, reason, restarts)
}

/// `pod_row_parts` of a pod as the run's history saw it (`x`, a snapshot of pod `p`).
pub fn snapshot_row(
    p: &Pod,
    h: &crate::record::history::History,
    x: &crate::record::history::PodSnap,
) -> (String, String, u32, Option<SimTime>) {
    let (init, containers) = h.statuses_of(x).split_at(x.n_init as usize);
    let input = PodRowInput {
        spec: &p.spec,
        reported: x.node.is_some(),
        phase: x.phase,
        reason: x.reason,
        ready: x.ready,
        deleting: x.deleting,
        init,
        containers,
    };
    pod_row_parts(&input)
}

/// READY, STATUS, the restart count and the last restart's time, as kubectl's printer derives
/// them (`printPod`); the RESTARTS column adds the age of the last restart.
pub fn pod_row_parts(p: &PodRowInput) -> (String, String, u32, Option<SimTime>) {
    let mut restarts = 0u32;
    let mut sidecar_restarts = 0u32;
    let mut total = p.spec.containers.len();
    let mut ready = 0usize;
    let mut last_restart: Option<SimTime> = None;
    let mut note_restart = |s: &ContainerStatus| {
        if let Some((_, _, t)) = s.last_terminated {
            last_restart = Some(last_restart.map_or(t, |l: SimTime| l.max(t)));
        }
    };
    let mut reason: String = p.reason.unwrap_or(p.phase.as_str()).to_string();
    // Before a kubelet reports, a pod has no container statuses (kubesim starts them waiting).
    let reported = p.reported;
    let mut initializing = false;
    if reported {
        let n_init = p.spec.init_containers.len();
        for (i, (s, c)) in p.init.iter().zip(&p.spec.init_containers).enumerate() {
            restarts += s.restart_count;
            note_restart(s);
            if c.sidecar {
                sidecar_restarts += s.restart_count;
                total += 1;
                if s.ready {
                    ready += 1;
                }
                continue;
            }
            match s.state {
                ContainerState::Terminated { exit_code: 0, .. } => continue,
                ContainerState::Terminated { reason: r, exit_code, .. } => {
                    reason = if r.is_empty() { format!("Init:ExitCode:{exit_code}") } else { format!("Init:{r}") };
                    initializing = true;
                }
                ContainerState::Waiting { reason: r }
                    if !r.is_empty() && r != "PodInitializing" && r != "ContainerCreating" =>
                {
                    reason = format!("Init:{r}");
                    initializing = true;
                }
                _ => {
                    reason = format!("Init:{i}/{n_init}");
                    initializing = true;
                }
            }
            break;
        }
        if !initializing {
            restarts = sidecar_restarts;
            let mut has_running = false;
            for s in p.containers.iter().rev() {
                restarts += s.restart_count;
                note_restart(s);
                match s.state {
                    ContainerState::Waiting { reason: r } if !r.is_empty() => reason = r.to_string(),
                    ContainerState::Terminated { reason: r, .. } if !r.is_empty() => reason = r.to_string(),
                    ContainerState::Terminated { exit_code, .. } => reason = format!("ExitCode:{exit_code}"),
                    ContainerState::Running { .. } if s.ready => {
                        has_running = true;
                        ready += 1;
                    }
                    _ => {}
                }
            }
            if reason == "Completed" && has_running {
                reason = if p.ready { "Running".into() } else { "NotReady".into() };
            }
        }
    }
    if p.deleting && !p.phase.is_terminal() {
        reason = "Terminating".into();
    }
    (format!("{ready}/{total}"), reason, restarts, last_restart)
}

/// kubectl's tabwriter (cli-runtime's `GetNewTabWriter`: minwidth 6, padding 3): every column
/// but the last padded to its widest cell plus 3, at least 6.
pub(crate) fn table(rows: &[Vec<String>]) -> String {
    const TABWRITER_MIN_WIDTH: usize = 6;
    let cols = rows.iter().map(|r| r.len()).max().unwrap_or(0);
    let mut widths = vec![0usize; cols];
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count() + 3).max(TABWRITER_MIN_WIDTH);
        }
    }
    let mut out = String::new();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            out.push_str(c);
            if i + 1 < r.len() {
                out.extend(std::iter::repeat_n(' ', widths[i] - c.chars().count()));
            }
        }
        out.push('\n');
    }
    out
}

/// How `get pods` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodsOutput {
    Table,
    Wide,
    Name,
    Yaml,
    Json,
}

/// What `get pods` lists and how.
pub struct PodQuery<'a> {
    /// `None`: every namespace (`-A`).
    pub namespace: Option<&'a str>,
    /// `-l`.
    pub selector: Option<&'a crate::api::LabelSelector>,
    pub output: PodsOutput,
    /// `--show-labels`.
    pub show_labels: bool,
}

/// `kubectl get pods [-n NS | -A] [-l SEL] [-o wide|name|yaml|json] [--show-labels]` at the
/// cluster's current time.
pub fn get_pods(c: &Cluster, now: SimTime, q: &PodQuery) -> String {
    let api = &c.api;
    let mut pods: Vec<(usize, &Pod)> = api
        .pods
        .iter()
        .enumerate()
        .filter(|(_, p)| p.removed.is_none() && q.namespace.is_none_or(|ns| *p.namespace == *ns))
        .filter(|(_, p)| q.selector.is_none_or(|s| s.matches(&p.labels)))
        .collect();
    pods.sort_by(|a, b| (&*a.1.namespace, &a.1.name).cmp(&(&*b.1.namespace, &b.1.name)));
    match q.output {
        PodsOutput::Name => return pods.iter().map(|(_, p)| format!("pod/{}\n", p.name)).collect(),
        PodsOutput::Yaml | PodsOutput::Json => {
            let items = pods.iter().map(|&(i, p)| super::objects::pod(c, PodId(i as u32), p)).collect();
            let v = super::objects::list(items);
            return if q.output == PodsOutput::Yaml {
                super::objects::to_yaml(&v)
            } else {
                super::objects::to_json(&v)
            };
        }
        PodsOutput::Table | PodsOutput::Wide => {}
    }
    if pods.is_empty() {
        return match q.namespace {
            Some(ns) => format!("No resources found in {ns} namespace.\n"),
            None => "No resources found\n".into(),
        };
    }
    let (all, wide) = (q.namespace.is_none(), q.output == PodsOutput::Wide);
    let mut head: Vec<String> = Vec::new();
    if all {
        head.push("NAMESPACE".into());
    }
    head.extend(["NAME", "READY", "STATUS", "RESTARTS", "AGE"].map(String::from));
    if wide {
        head.extend(["IP", "NODE", "NOMINATED NODE", "READINESS GATES"].map(String::from));
    }
    if q.show_labels {
        head.push("LABELS".into());
    }
    let mut rows = vec![head];
    for (_, p) in pods {
        let (ready, status, restarts) = pod_row(p, now);
        let mut r = Vec::new();
        if all {
            r.push(p.namespace.to_string());
        }
        r.extend([p.name.clone(), ready, status, restarts, human_duration(now.since(p.created))]);
        if wide {
            let node = p.node.map_or("<none>".to_string(), |n| api.node(n).name.clone());
            let nominated = p.nominated_node.map_or("<none>".to_string(), |n| api.node(n).name.clone());
            let ip = p.status.pod_ip.map_or("<none>".to_string(), |ip| crate::api::network::Ip(ip).to_string());
            let gates = &p.spec.readiness_gates;
            let gates = if gates.is_empty() { "<none>".into() } else { format!("0/{}", gates.len()) };
            r.extend([ip, node, nominated, gates]);
        }
        if q.show_labels {
            let l: Vec<String> = p.labels.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
            r.push(if l.is_empty() { "<none>".into() } else { l.join(",") });
        }
        rows.push(r);
    }
    table(&rows)
}

/// The rule behind an event, with the setting that timed it, for `get events --why`.
pub(crate) fn rule(e: &RecordedEvent, c: &Cluster) -> String {
    let k = &c.scenario.kubernetes;
    let secs = |ms: u64| crate::api::duration::format_go_duration_ms(ms);
    match e.reason {
        "NodeNotReady" if e.source == crate::api::events::Source::Kubelet => {
            "kubelet: its node status (every 10s) reports Ready=False with its own error (the container runtime down for 30s, a shutdown under way)".into()
        }
        "NodeNotReady" => format!(
            "node lifecycle controller: no Lease renewal for nodeMonitorGracePeriod ({}), checked every 5s",
            secs(k.node_monitor_grace_period_ms)
        ),
        "TaintManagerEviction" if !e.is_taint_eviction() => {
            "taint eviction: the NoExecute taint went away, or is tolerated for good, before the toleration ran out"
                .into()
        }
        "TaintManagerEviction" => format!(
            "taint eviction: a NoExecute taint the pod does not tolerate, or its toleration ran out (tolerationSeconds; {}s by DefaultTolerationSeconds for the not-ready and unreachable taints)",
            k.default_unreachable_toleration_seconds
        ),
        "SuccessfulCreate" => "the controller had fewer pods than it wants and created one".into(),
        "SuccessfulDelete" => "the controller had more pods than it wants, or the Job ended".into(),
        "ScalingReplicaSet" => "Deployment rollout: maxSurge / maxUnavailable decide each step".into(),
        "Scheduled" => "kube-scheduler: filters, then the best score".into(),
        "FailedScheduling" => {
            "kube-scheduler: no node passed the filters; retried with backoff (1s doubling to 10s)".into()
        }
        "Killing" => {
            "kubelet: the pod is being deleted (or a probe failed): SIGTERM, then SIGKILL at the grace period".into()
        }
        "BackOff" => "kubelet: CrashLoopBackOff / image pull back-off (10s doubling to 5m)".into(),
        "Evicted" => "kubelet node-pressure eviction: memory.available below 100Mi".into(),
        "ProgressDeadlineExceeded" => "Deployment: no progress for progressDeadlineSeconds".into(),
        "BackoffLimitExceeded" => "Job: more pods failed than backoffLimit".into(),
        "FaultInjected" | "OperatorAction" => "the scenario's fault plan".into(),
        "Pulling" | "Pulled" | "Created" | "Started" => "kubelet: the pod worker starts the containers in order".into(),
        _ => String::new(),
    }
}

/// `kubectl get events` at the cluster's current time (in time order), optionally only about one
/// object (`kind/name`), and with `why` the chain of causes of each event back to its root.
pub fn get_events(c: &Cluster, now: SimTime, only: Option<(&str, &str)>, why: bool) -> Result<String, String> {
    let api = &c.api;
    let images = &c.scenario.images;
    let name_of = |o: crate::api::events::ObjRef| {
        let (kind, _, name) = api.describe(o);
        format!("{}/{}", kind.to_lowercase(), name)
    };
    let selected: Vec<&RecordedEvent> = c
        .rec
        .events
        .iter()
        .filter(|e| {
            only.is_none_or(|(kind, name)| {
                let (k, _, n) = api.describe(e.object);
                k.eq_ignore_ascii_case(kind) && n == name
            })
        })
        .collect();
    if let Some((kind, name)) = only
        && selected.is_empty()
    {
        return Err(format!("no events about {kind}/{name}"));
    }
    let msg = |e: &RecordedEvent| crate::report::messages::render(e, api, images, c.scenario.seed);
    if !why {
        let mut rows = vec![["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"].map(String::from).to_vec()];
        for e in selected {
            let seen = human_duration(now.since(e.last_seen));
            let seen = if e.count > 1 {
                format!("{seen} (x{} over {})", e.count, human_duration(e.last_seen.since(e.time)))
            } else {
                seen
            };
            rows.push(vec![seen, e.kind.as_str().into(), e.reason.into(), name_of(e.object), msg(e)]);
        }
        return Ok(table(&rows));
    }
    let mut out = String::new();
    for e in selected {
        super::why::chain(&mut out, e, c, &name_of, &msg);
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations_as_kubectl_writes_them() {
        let s = |x: u64| human_duration(x * 1000);
        assert_eq!(s(0), "0s");
        assert_eq!(s(119), "119s");
        assert_eq!(s(120), "2m");
        assert_eq!(s(142), "2m22s");
        assert_eq!(s(600), "10m");
        assert_eq!(s(3 * 3600 - 1), "179m");
        assert_eq!(s(3 * 3600), "3h");
        assert_eq!(s(3 * 3600 + 60 * 5), "3h5m");
        assert_eq!(s(8 * 3600), "8h");
        assert_eq!(s(47 * 3600), "47h");
        assert_eq!(s(48 * 3600), "2d");
        assert_eq!(s(50 * 3600), "2d2h");
        assert_eq!(s(8 * 86400), "8d");
        assert_eq!(s(730 * 86400), "2y");
        assert_eq!(s(731 * 86400), "2y1d");
        assert_eq!(s(8 * 365 * 86400), "8y");
    }

    #[test]
    fn the_table_pads_as_kubectls_tabwriter() {
        let t = table(&[
            vec!["NAME".into(), "READY".into(), "AGE".into()],
            vec!["web-abcdefghijk".into(), "1/1".into(), "5m".into()],
        ]);
        // READY is 5 wide: 5 + padding 3 = 8; a column of short cells still takes minwidth 6.
        assert_eq!(t, "NAME              READY   AGE\nweb-abcdefghijk   1/1     5m\n");
        let t = table(&[vec!["A".into(), "B".into()], vec!["x".into(), "y".into()]]);
        assert_eq!(t, "A     B\nx     y\n");
    }
}
