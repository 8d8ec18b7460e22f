//! CSV outputs, written into a temporary folder and swapped into place (`output.rs`), so a run
//! that fails leaves nothing half-written.

use super::messages::render;
use crate::api::WorkloadRef;
use crate::api::events::{ObjRef, RecordedEvent};
use crate::api::{ContainerState, Pod};
use crate::cluster::Cluster;
use crate::run::Summary;
pub use crate::run::{Stats, peak_rss_bytes};
use crate::sim::SimTime;
use std::fs;
use std::io::{self, Write};
use std::path::Path;

fn t(t: Option<SimTime>) -> String {
    t.map(|t| t.to_string()).unwrap_or_default()
}

fn csv_writer(dir: &Path, name: &str) -> io::Result<csv::Writer<io::BufWriter<fs::File>>> {
    Ok(csv::Writer::from_writer(io::BufWriter::new(fs::File::create(dir.join(name))?)))
}

fn io_err(e: csv::Error) -> io::Error {
    io::Error::other(e)
}

/// The pod's most recent container termination (container, reason, exit code, finish), from
/// each container's state and `lastState`: what a learner asks first about a restart.
fn last_exit(p: &Pod) -> Option<(&str, &'static str, i32, SimTime)> {
    let specs = p.spec.init_containers.iter().chain(&p.spec.containers);
    let mut last: Option<(&str, &'static str, i32, SimTime)> = None;
    for (s, c) in p.status.init_containers.iter().chain(&p.status.containers).zip(specs) {
        let current = match s.state {
            ContainerState::Terminated { exit_code, reason, finished } => Some((exit_code, reason, finished)),
            _ => None,
        };
        for (code, reason, at) in current.into_iter().chain(s.last_terminated) {
            if last.is_none_or(|l| at > l.3) {
                last = Some((c.name.as_str(), reason, code, at));
            }
        }
    }
    last
}

/// The pod's status reason as `kubectl` would surface it, or empty.
fn pod_reason(p: &Pod) -> &'static str {
    if let Some(r) = p.status.reason {
        return r;
    }
    // The pod GC writes no reason, only its DisruptionTarget condition: the only word on why.
    use crate::api::conditions::{CondReason, CondType};
    if p.status.conditions.get(CondType::DisruptionTarget).is_some_and(|c| c.reason == CondReason::DeletionByPodGC) {
        return CondReason::DeletionByPodGC.as_str();
    }
    for c in p.status.init_containers.iter().chain(p.status.containers.iter()) {
        if let ContainerState::Waiting { reason } = c.state
            && reason != "ContainerCreating"
            && p.node.is_some()
        {
            return reason;
        }
    }
    if p.status.phase.is_terminal() {
        // The first container that did not succeed, else the first one.
        let terminated = |c: &&crate::api::ContainerStatus| match c.state {
            ContainerState::Terminated { exit_code, reason, .. } => Some((exit_code, reason)),
            _ => None,
        };
        let all: Vec<(i32, &'static str)> = p.status.containers.iter().filter_map(|c| terminated(&c)).collect();
        if let Some(&(_, r)) = all.iter().find(|(code, _)| *code != 0).or(all.first()) {
            return r;
        }
    }
    ""
}

fn object_names(c: &Cluster, e: &RecordedEvent) -> (&'static str, String, String) {
    let (kind, ns, name) = c.api.describe(e.object);
    (kind, ns.to_string(), name.to_string())
}

/// `scheduling.csv` (`--trace-scheduling`): one row per attempt and node visited, with the
/// filter's reasons or each score plugin's raw and normalised score, the weighted total, and
/// which node was chosen.
fn write_scheduling(dir: &Path, c: &Cluster, rows: &[crate::scheduler::TraceRow]) -> io::Result<()> {
    use crate::scheduler::SCORE_PLUGINS;
    let mut w = csv_writer(dir, "scheduling.csv")?;
    let mut header: Vec<String> =
        ["time", "attempt", "pod", "node", "result", "status", "reasons"].map(String::from).to_vec();
    for (p, weight) in SCORE_PLUGINS {
        header.push(format!("{p}.raw"));
        header.push(format!("{p}.score(x{weight})"));
    }
    header.push("total".into());
    w.write_record(&header).map_err(io_err)?;
    let opt = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
    for r in rows {
        let pod = c.api.pod(r.pod);
        let result = if r.chosen {
            "chosen"
        } else if r.total.is_some() {
            "feasible"
        } else {
            "filtered"
        };
        let mut rec = vec![
            r.time.to_string(),
            r.attempt.to_string(),
            format!("{}/{}", pod.namespace, pod.name),
            c.api.node(r.node).name.clone(),
            result.to_string(),
            r.code.as_str().to_string(),
            r.filter.clone(),
        ];
        for p in 0..SCORE_PLUGINS.len() {
            rec.push(opt(r.raw[p]));
            rec.push(opt(r.normalized[p]));
        }
        rec.push(opt(r.total));
        w.write_record(&rec).map_err(io_err)?;
    }
    w.flush()
}

/// Write every output of one run into `dir` (which must exist and be empty).
pub fn write_run(dir: &Path, c: &Cluster, s: &Summary, stats: &Stats) -> io::Result<()> {
    if let Some(rows) = &c.scheduler.trace {
        write_scheduling(dir, c, rows)?;
    }
    write_events(dir, c)?;
    write_pods(dir, c)?;
    write_conditions(dir, c)?;
    write_timeseries(dir, c)?;
    write_workloads(dir, c)?;
    if !c.rec.service_samples.is_empty() {
        write_services(dir, c)?;
    }
    write_summary(dir, s)?;
    write_stats(dir, stats)
}

/// events.csv: every recorded event, with its cause and series.
fn write_events(dir: &Path, c: &Cluster) -> io::Result<()> {
    let api = &c.api;
    let images = &c.scenario.images;
    let mut w = csv_writer(dir, "events.csv")?;
    w.write_record([
        "id",
        "time",
        "type",
        "reason",
        "kind",
        "namespace",
        "name",
        "node",
        "source",
        "message",
        "cause",
        "count",
        "last_seen",
    ])
    .map_err(io_err)?;
    for e in &c.rec.events {
        let (kind, ns, name) = object_names(c, e);
        let node = e.node.map(|n| api.node(n).name.as_str()).unwrap_or("");
        let cause = if e.cause == 0 { String::new() } else { e.cause.to_string() };
        w.write_record([
            e.id.to_string().as_str(),
            &e.time.to_string(),
            e.kind.as_str(),
            e.reason,
            kind,
            &ns,
            &name,
            node,
            e.source.as_str(),
            &render(e, api, images, c.scenario.seed),
            &cause,
            &e.count.to_string(),
            &e.last_seen.to_string(),
        ])
        .map_err(io_err)?;
    }
    w.flush()?;
    Ok(())
}

/// pods.csv: every pod ever created, its lifecycle times and final state.
fn write_pods(dir: &Path, c: &Cluster) -> io::Result<()> {
    let api = &c.api;
    let mut w = csv_writer(dir, "pods.csv")?;
    w.write_record([
        "namespace",
        "name",
        "owner",
        "node",
        "ip",
        "qos",
        "created",
        "scheduled",
        "started",
        "ready",
        "deleted",
        "finished",
        "phase",
        "reason",
        "restarts",
        "last_exit_container",
        "last_exit_reason",
        "last_exit_code",
        "last_exit_time",
    ])
    .map_err(io_err)?;
    for p in &api.pods {
        let last = last_exit(p);
        let owner = match p.owner {
            Some(o) => {
                let (kind, _, name) = api.describe(crate::apiserver::ApiServer::owner_ref(o));
                format!("{kind}/{name}")
            }
            None => String::new(),
        };
        w.write_record([
            &*p.namespace,
            &p.name,
            &owner,
            p.node.map(|n| api.node(n).name.as_str()).unwrap_or(""),
            &p.status.pod_ip.map_or(String::new(), |ip| crate::api::network::Ip(ip).to_string()),
            p.spec.qos().as_str(),
            &p.created.to_string(),
            &t(p.scheduled_at),
            &t(p.started_at),
            &t(p.ready_at),
            &t(p.deletion.map(|d| d.0)),
            &t(p.finished_at),
            p.status.phase.as_str(),
            pod_reason(p),
            &p.restarts().to_string(),
            last.map_or("", |l| l.0),
            last.map_or("", |l| l.1),
            &last.map_or(String::new(), |l| l.2.to_string()),
            &t(last.map(|l| l.3)),
        ])
        .map_err(io_err)?;
    }
    w.flush()?;
    Ok(())
}

/// conditions.csv: every change of a pod condition (status, reason or message), in time order;
/// changes at the same moment in the order a pod's life walks them.
fn write_conditions(dir: &Path, c: &Cluster) -> io::Result<()> {
    let api = &c.api;
    let mut w = csv_writer(dir, "conditions.csv")?;
    w.write_record(["time", "namespace", "pod", "type", "status", "reason", "message"]).map_err(io_err)?;
    for x in api.condition_log.iter() {
        let p = api.pod(x.pod);
        let status = if x.status { "True" } else { "False" };
        let message = api.condition_message(x.pod, &x.cond()).unwrap_or_default();
        w.write_record([
            &*x.time.to_string(),
            &p.namespace,
            &p.name,
            x.ty.as_str(),
            status,
            x.reason.as_str(),
            &message,
        ])
        .map_err(io_err)?;
    }
    w.flush()
}

/// services.csv: each Service's endpoints at every sample (only when the run has Services).
fn write_services(dir: &Path, c: &Cluster) -> io::Result<()> {
    let mut w = csv_writer(dir, "services.csv")?;
    w.write_record(["time", "namespace", "service", "ready", "not_ready", "terminating"]).map_err(io_err)?;
    for x in &c.rec.service_samples {
        let svc = &c.api.services[x.service as usize];
        w.write_record([
            x.time.to_string(),
            svc.namespace.to_string(),
            svc.name.clone(),
            x.endpoints.ready.to_string(),
            x.endpoints.not_ready.to_string(),
            x.endpoints.terminating.to_string(),
        ])
        .map_err(io_err)?;
    }
    w.flush()
}

/// timeseries.csv: one row per sample.
fn write_timeseries(dir: &Path, c: &Cluster) -> io::Result<()> {
    let mut w = csv_writer(dir, "timeseries.csv")?;
    w.write_record([
        "time",
        "nodes_ready",
        "nodes_not_ready",
        "pods_pending",
        "pods_running",
        "pods_succeeded",
        "pods_failed",
        "pods_terminating",
        "cpu_requested",
        "memory_requested",
    ])
    .map_err(io_err)?;
    for x in &c.rec.samples {
        w.write_record([
            x.time.to_string(),
            x.nodes_ready.to_string(),
            x.nodes_not_ready.to_string(),
            x.pending.to_string(),
            x.running.to_string(),
            x.succeeded.to_string(),
            x.failed.to_string(),
            x.terminating.to_string(),
            format!("{}.{:03}", x.cpu_requested_milli / 1000, x.cpu_requested_milli % 1000),
            x.memory_requested.to_string(),
        ])
        .map_err(io_err)?;
    }
    w.flush()?;
    Ok(())
}

/// workloads.csv: one row per (sample, tracked workload), then the Jobs of that sample.
fn write_workloads(dir: &Path, c: &Cluster) -> io::Result<()> {
    let api = &c.api;
    let mut w = csv_writer(dir, "workloads.csv")?;
    w.write_record([
        "time",
        "kind",
        "namespace",
        "name",
        "desired",
        "ready",
        "available",
        "updated",
        "replicas",
        "active",
        "succeeded",
        "failed",
    ])
    .map_err(io_err)?;
    let mut jobs = c.rec.job_samples.iter().peekable();
    let mut job_rows = |w: &mut csv::Writer<_>, until: Option<SimTime>| -> io::Result<()> {
        while let Some(j) = jobs.next_if(|j| until.is_none_or(|t| j.time < t)) {
            let job = &api.jobs[j.job.idx()];
            let n = |v: u32| v.to_string();
            let time = j.time.to_string();
            let row = [time.as_str(), "Job", &job.namespace, &job.name, &n(j.desired), &n(j.ready)];
            let tail = ["", "", "", &n(j.active), &n(j.succeeded), &n(j.failed)];
            w.write_record(row.iter().chain(&tail)).map_err(io_err)?;
        }
        Ok(())
    };
    for x in &c.rec.workload_samples {
        job_rows(&mut w, Some(x.time))?;
        let (kind, ns, name) = api.describe(match x.workload {
            WorkloadRef::Deployment(d) => ObjRef::Deployment(d),
            WorkloadRef::ReplicaSet(r) => ObjRef::ReplicaSet(r),
            WorkloadRef::StatefulSet(s) => ObjRef::StatefulSet(s),
            WorkloadRef::DaemonSet(d) => ObjRef::DaemonSet(d),
        });
        let n = |v: u32| v.to_string();
        let time = x.time.to_string();
        let row = [time.as_str(), kind, ns, name, &n(x.desired), &n(x.ready)];
        let tail = [&n(x.available), &n(x.updated), &n(x.replicas), "", "", ""];
        w.write_record(row.iter().chain(&tail)).map_err(io_err)?;
    }
    job_rows(&mut w, None)?;
    w.flush()?;
    Ok(())
}

/// stats.csv: the run's own measurements.
fn write_stats(dir: &Path, stats: &Stats) -> io::Result<()> {
    let mut w = csv_writer(dir, "stats.csv")?;
    w.write_record([
        "wall_seconds",
        "events",
        "events_per_second",
        "peak_rss_bytes",
        "scheduling_attempts",
        "scheduler_seconds",
        "attempts_per_second",
    ])
    .map_err(io_err)?;
    let eps = if stats.wall_seconds > 0.0 { stats.events as f64 / stats.wall_seconds } else { 0.0 };
    let aps =
        if stats.scheduler_seconds > 0.0 { stats.scheduling_attempts as f64 / stats.scheduler_seconds } else { 0.0 };
    w.write_record([
        format!("{:.3}", stats.wall_seconds),
        stats.events.to_string(),
        format!("{eps:.0}"),
        stats.peak_rss_bytes.map(|b| b.to_string()).unwrap_or_default(),
        stats.scheduling_attempts.to_string(),
        format!("{:.3}", stats.scheduler_seconds),
        format!("{aps:.0}"),
    ])
    .map_err(io_err)?;
    w.flush()?;
    Ok(())
}

fn ms_secs(ms: u64) -> String {
    SimTime(ms).to_string()
}

/// summary.csv: one row for the run; per-workload columns are named `metric:kind/name`.
pub fn summary_header_and_row(s: &Summary) -> (Vec<String>, Vec<String>) {
    let p = |v: Option<[u64; 3]>, i: usize| v.map(|a| ms_secs(a[i])).unwrap_or_default();
    let mut h: Vec<String> = [
        "scenario",
        "variant",
        "seed",
        "duration",
        "complete",
        "events",
        "nodes",
        "pods_created",
        "restarts",
        "evictions",
        "failed_scheduling",
        "startup_p50",
        "startup_p90",
        "startup_p99",
        "startup_with_pulls_p50",
        "startup_with_pulls_p90",
        "startup_with_pulls_p99",
        "availability",
        "recovery_time",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut r = vec![
        s.scenario.clone(),
        s.variant.clone(),
        s.seed.to_string(),
        s.duration.to_string(),
        s.complete.to_string(),
        s.events_processed.to_string(),
        s.nodes.to_string(),
        s.pods_created.to_string(),
        s.restarts.to_string(),
        s.evictions.to_string(),
        s.failed_scheduling.to_string(),
        p(s.startup_ms, 0),
        p(s.startup_ms, 1),
        p(s.startup_ms, 2),
        p(s.startup_with_pulls_ms, 0),
        p(s.startup_with_pulls_ms, 1),
        p(s.startup_with_pulls_ms, 2),
        format!("{:.6}", s.availability()),
        if s.faults.is_empty() { String::new() } else { s.recovery_ms().map(ms_secs).unwrap_or_default() },
    ];
    for w in &s.workloads {
        h.push(format!("availability:{}", w.name));
        r.push(format!("{:.6}", w.availability));
        h.push(format!("longest_outage:{}", w.name));
        r.push(ms_secs(w.longest_outage_ms));
        h.push(format!("below_desired:{}", w.name));
        r.push(ms_secs(w.below_desired_ms));
        if let Some((pdb, a, below)) = &w.pdb_availability {
            h.push(format!("availability_pdb:{}:{pdb}", w.name));
            r.push(format!("{a:.6}"));
            h.push(format!("below_pdb:{}:{pdb}", w.name));
            r.push(ms_secs(*below));
        }
        for (i, (_, action)) in s.faults.iter().enumerate() {
            h.push(format!("recovery:{}:fault{}:{}", w.name, i + 1, action));
            r.push(w.recovery_ms[i].map(ms_secs).unwrap_or_default());
        }
    }
    (h, r)
}

fn write_summary(dir: &Path, s: &Summary) -> io::Result<()> {
    let mut w = csv_writer(dir, "summary.csv")?;
    let (h, r) = summary_header_and_row(s);
    w.write_record(&h).map_err(io_err)?;
    w.write_record(&r).map_err(io_err)?;
    w.flush()?;
    Ok(())
}

/// Write to stdout, ignoring a closed pipe (`kubesim run ... | head`).
pub fn print(s: &str) {
    let _ = io::stdout().write_all(s.as_bytes());
}
