//! Evaluating a scenario's `expect:` against what happened.

use crate::api::{ContainerState, WorkloadRef};
use crate::report::summary::recovery;
use crate::run::RunResult;
use crate::scenario::expect::{Cmp, Expectation, Field, NodeWant, PodFilter, PodWant};
use crate::sim::SimTime;

/// One expectation's verdict.
#[derive(Clone, Debug)]
pub struct Verdict {
    pub expectation: String,
    pub pass: bool,
    pub actual: String,
}

fn name_of(r: &RunResult, w: WorkloadRef) -> String {
    r.cluster.api.workload(w).0
}

fn d(ms: u64) -> String {
    crate::api::duration::format_go_duration_ms(ms)
}

/// "at 5m" or "during [5m, 7m]".
fn when(from: SimTime, to: SimTime) -> String {
    if from == to {
        format!("at {}", d(from.as_millis()))
    } else {
        format!("during [{}, {}]", d(from.as_millis()), d(to.as_millis()))
    }
}

/// The pods a `get:` expectation names.
struct Who<'a> {
    pod: Option<&'a str>,
    namespace: Option<&'a str>,
    selector: &'a [(String, String)],
}

/// A pod as `kubectl get pods` and `describe` show it at a moment.
struct Row {
    name: String,
    status: String,
    restarts: u32,
    /// Each container's latest termination: (exit code, reason).
    terminations: Vec<(i32, &'static str)>,
    phase: &'static str,
    pod_reason: Option<&'static str>,
}

impl Row {
    fn matches(&self, w: &PodWant) -> bool {
        w.status.as_ref().is_none_or(|s| *s == self.status)
            && w.restarts.is_none_or(|c| c.holds(self.restarts as i64))
            && w.exit_code.is_none_or(|c| self.terminations.iter().any(|t| t.0 == c))
            && w.reason.as_ref().is_none_or(|r| self.terminations.iter().any(|t| t.1 == r))
            && w.phase.as_ref().is_none_or(|p| p == self.phase)
            && w.pod_reason.as_ref().is_none_or(|r| self.pod_reason == Some(r.as_str()))
    }
    fn show(&self, w: &PodWant) -> String {
        let mut s = format!("{} {}", self.name, self.status);
        if w.restarts.is_some() {
            s += &format!(" RESTARTS {}", self.restarts);
        }
        if w.exit_code.is_some() || w.reason.is_some() {
            let t: Vec<String> = self.terminations.iter().map(|(c, r)| format!("{r} {c}")).collect();
            s += &format!(" (terminated: {})", if t.is_empty() { "none".into() } else { t.join(", ") });
        }
        if w.phase.is_some() || w.pod_reason.is_some() {
            s += &format!(" (phase {}, reason {})", self.phase, self.pod_reason.unwrap_or("none"));
        }
        s
    }
}

/// A `get:` expectation's verdict: how the pods it names look at `at`.
fn status_verdict(r: &RunResult, at: SimTime, who: &Who, want: &PodWant, cmp: Option<&Cmp>) -> Verdict {
    let what = match who.pod {
        Some(p) => format!("pod/{p}"),
        None if who.selector.is_empty() => "all pods".to_string(),
        None => format!("pods {}", who.selector.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")),
    };
    let expectation = match cmp {
        Some(c) => format!("{}: {what} with {want} count {c}", when(at, at)),
        None => format!("{}: {what} {want}", when(at, at)),
    };
    let seen = rows_at(r, at, who);
    let n = seen.iter().filter(|row| row.matches(want)).count();
    let pass = match cmp {
        Some(c) => c.holds(n as i64),
        None => !seen.is_empty() && n == seen.len(),
    };
    let actual = if seen.is_empty() {
        "no such pod then".to_string()
    } else {
        seen.iter().map(|row| row.show(want)).collect::<Vec<_>>().join(", ")
    };
    Verdict { expectation, pass, actual }
}

/// Each pod that exists at `at` and is `pod` or carries `selector`'s labels, as `kubectl get
/// pods` prints it then (from the run's history, which `check` keeps).
fn rows_at(r: &RunResult, at: SimTime, who: &Who) -> Vec<Row> {
    let api = &r.cluster.api;
    let Some(h) = &r.cluster.rec.history else { return Vec::new() };
    let mut last: std::collections::BTreeMap<u32, crate::record::history::PodSnap> = Default::default();
    for s in h.pods.iter().filter(|s| s.time <= at) {
        last.insert(s.pod.0, *s);
    }
    let mut out = Vec::new();
    for (&i, s) in &last {
        let p = &api.pods[i as usize];
        let wanted = match who.pod {
            Some(name) => p.name == name,
            None => who.selector.iter().all(|(k, v)| p.labels.get(k) == Some(v.as_str())),
        };
        if !wanted || s.removed || who.namespace.is_some_and(|ns| *p.namespace != *ns) {
            continue;
        }
        let (_, status, restarts, _) = crate::report::kubectl::snapshot_row(p, h, s);
        let terminations = h
            .statuses_of(s)
            .iter()
            .filter_map(|c| match c.state {
                ContainerState::Terminated { exit_code, reason, .. } => Some((exit_code, reason)),
                _ => c.last_terminated.map(|(code, reason, _)| (code, reason)),
            })
            .collect();
        let (phase, pod_reason) = (s.phase.as_str(), s.reason);
        out.push(Row { name: p.name.clone(), status, restarts, terminations, phase, pod_reason });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// A workload's or a Service's field, read from the time series (at `sampleInterval`
/// resolution: `at: T` reads the last sample at or before T).
fn state_verdict(r: &RunResult, from: SimTime, to: SimTime, workload: &str, field: Field, cmp: &Cmp) -> Verdict {
    let rec = &r.cluster.rec;
    let samples: Vec<(SimTime, i64)> = match workload.strip_prefix("service/") {
        Some(name) => rec
            .service_samples
            .iter()
            .filter(|s| r.cluster.api.services[s.service as usize].name == name)
            .map(|s| (s.time, s.endpoints.ready as i64))
            .collect(),
        None => rec
            .workload_samples
            .iter()
            .filter(|s| name_of(r, s.workload) == *workload)
            .map(|s| {
                let v = match field {
                    Field::Replicas => s.desired,
                    Field::ReadyReplicas => s.ready,
                    Field::AvailableReplicas => s.available,
                    Field::UpdatedReplicas => s.updated,
                    Field::ReadyEndpoints => 0,
                };
                (s.time, v as i64)
            })
            .collect(),
    };
    let window: Vec<&(SimTime, i64)> = if from == to {
        samples.iter().rev().find(|s| s.0 <= from).into_iter().collect()
    } else {
        samples.iter().filter(|s| s.0 >= from && s.0 <= to).collect()
    };
    let expectation = format!("{}: {workload} {} {cmp}", when(from, to), field.name());
    match window.iter().find(|s| !cmp.holds(s.1)) {
        _ if window.is_empty() => Verdict { expectation, pass: false, actual: "no sample in that window".into() },
        Some(bad) => Verdict { expectation, pass: false, actual: format!("{} at {}", bad.1, d(bad.0.as_millis())) },
        None => Verdict { expectation, pass: true, actual: window[window.len() - 1].1.to_string() },
    }
}

/// How many events of `reason` (about `object`, in `window`) were recorded: each repeat of an
/// event series counts, at the time it happened.
fn events_verdict(r: &RunResult, e: &Expectation) -> Verdict {
    let Expectation::Events { reason, cmp, object, message, window } = e else { unreachable!() };
    let (object, window) = (object.as_deref(), *window);
    let api = &r.cluster.api;
    let rec = &r.cluster.rec;
    let about = |e: &crate::api::events::RecordedEvent| {
        object.is_none_or(|o| {
            let (kind, _, name) = api.describe(e.object);
            o.split_once('/').is_some_and(|(k, n)| k.eq_ignore_ascii_case(kind) && n == name)
        })
    };
    let says = |e: &crate::api::events::RecordedEvent| {
        message.as_ref().is_none_or(|m| {
            crate::report::messages::render(e, api, &r.cluster.scenario.images, r.cluster.scenario.seed)
                .contains(m.as_str())
        })
    };
    let inside = |t: SimTime| window.is_none_or(|(a, b)| t >= a && t <= b);
    let chosen: Vec<&crate::api::events::RecordedEvent> =
        rec.events.iter().filter(|e| e.reason == reason && about(e) && says(e)).collect();
    let n = match (window, &rec.history) {
        (None, _) => chosen.iter().map(|e| e.count as i64).sum::<i64>(),
        (Some(_), history) => {
            let ids: std::collections::BTreeSet<u32> = chosen.iter().map(|e| e.id).collect();
            let repeats = history
                .as_ref()
                .map_or(0, |h| h.repeats.iter().filter(|(id, t)| ids.contains(id) && inside(*t)).count());
            chosen.iter().filter(|e| inside(e.time)).count() as i64 + repeats as i64
        }
    };
    let mut expectation = format!("events {reason}");
    if let Some(o) = object {
        expectation += &format!(" about {o}");
    }
    if let Some(m) = message {
        expectation += &format!(" saying {m:?}");
    }
    if let Some((a, b)) = window {
        // Always a window: `at` is refused for events.
        expectation = format!("during [{}, {}]: {expectation}", d(a.as_millis()), d(b.as_millis()));
    }
    Verdict { expectation: format!("{expectation}: count {cmp}"), pass: cmp.holds(n), actual: n.to_string() }
}

/// When a pod counts for `filter`: from `.0` until before `.1` (`None`: to the end). Each
/// condition holds from one moment on (exists, bound, being deleted) or until one (exists,
/// not yet bound, not yet deleting), so together they hold over one interval.
fn counted(
    api: &crate::apiserver::ApiServer,
    p: &crate::api::Pod,
    f: &PodFilter,
) -> Option<(SimTime, Option<SimTime>)> {
    let has = |labels: &crate::api::Labels, want: &[(String, String)]| {
        want.iter().all(|(k, v)| labels.get(k) == Some(v.as_str()))
    };
    if !has(&p.labels, &f.selector) {
        return None;
    }
    let (mut from, mut until) = (p.created, p.removed);
    let mut before = |t: SimTime| until = Some(until.map_or(t, |u| u.min(t)));
    // Bound from its scheduling; a pod created with its node (static, nodeName) from the start.
    let bound_at = match (p.node, p.scheduled_at) {
        (Some(_), None) => Some(p.created),
        (_, t) => t,
    };
    if f.scheduled {
        let node = api.node(p.node?);
        if f.node.as_ref().is_some_and(|x| *x != node.name) || !has(&node.labels, &f.node_selector) {
            return None;
        }
        from = from.max(bound_at?);
    } else if let Some(t) = bound_at {
        before(t);
    }
    match (f.terminating, p.deletion) {
        (Some(true), None) => return None,
        (Some(true), Some((t, _))) => from = from.max(t),
        (Some(false), Some((t, _))) => before(t),
        _ => {}
    }
    until.is_none_or(|u| u > from).then_some((from, until))
}

/// A `pods:` expectation: the count at `from` and at every moment it changes until `to`.
fn pods_verdict(r: &RunResult, from: SimTime, to: SimTime, filter: &PodFilter, cmp: &Cmp) -> Verdict {
    let api = &r.cluster.api;
    // The count at `from`, then its changes in (from, to] in time order.
    let (mut n, mut changes) = (0i64, Vec::new());
    for (a, b) in api.pods.iter().filter_map(|p| counted(api, p, filter)) {
        n += i64::from(a <= from && b.is_none_or(|b| b > from));
        for (t, delta) in [(Some(a), 1), (b, -1)] {
            if let Some(t) = t.filter(|&t| t > from && t <= to) {
                changes.push((t, delta));
            }
        }
    }
    changes.sort_unstable();
    let expectation = format!("{}: {filter} count {cmp}", when(from, to));
    let fail = |n: i64, t: SimTime| {
        let actual = if from == to { n.to_string() } else { format!("{n} at {}", d(t.as_millis())) };
        Verdict { expectation: expectation.clone(), pass: false, actual }
    };
    if !cmp.holds(n) {
        return fail(n, from);
    }
    // Every change at one instant applies before the count is read, as `at` reads it.
    for group in changes.chunk_by(|x, y| x.0 == y.0) {
        n += group.iter().map(|c| c.1).sum::<i64>();
        if !cmp.holds(n) {
            return fail(n, group[0].0);
        }
    }
    Verdict { expectation, pass: true, actual: n.to_string() }
}

/// A `node/NAME:` expectation: its state at `from` and at every change until `to`.
fn node_verdict(r: &RunResult, from: SimTime, to: SimTime, node: &str, want: &[NodeWant]) -> Verdict {
    let shown = |w: &[NodeWant]| w.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", ");
    let expectation = format!("{}: node/{node} {}", when(from, to), shown(want));
    let fail = |actual: String| Verdict { expectation: expectation.clone(), pass: false, actual };
    let Some(id) = r.cluster.api.nodes.iter().position(|n| n.name == node) else {
        return fail("no such node".into());
    };
    let Some(h) = &r.cluster.rec.history else { return fail("no history kept".into()) };
    let snaps: Vec<_> = h.nodes.iter().filter(|s| s.node.idx() == id).collect();
    let Some(start) = snaps.iter().rposition(|s| s.time <= from) else {
        return fail("the node did not exist then".into());
    };
    let mut last = String::new();
    for s in snaps[start..].iter().take_while(|s| s.time <= to) {
        let got: Vec<NodeWant> =
            want.iter().map(|w| w.same_field(s.ready, s.unschedulable, s.memory_pressure)).collect();
        last = shown(&got);
        if s.deleted {
            return fail(format!("deleted at {}", d(s.time.as_millis())));
        }
        if got != want {
            let at = s.time.max(from);
            return fail(if from == to { last } else { format!("{last} at {}", d(at.as_millis())) });
        }
    }
    Verdict { expectation, pass: true, actual: last }
}

/// Check every expectation.
pub fn check(r: &RunResult) -> Vec<Verdict> {
    let rec = &r.cluster.rec;
    r.cluster
        .scenario
        .expectations
        .iter()
        .map(|e| match e {
            Expectation::State { from, to, workload, field, cmp } => {
                state_verdict(r, *from, *to, workload, *field, cmp)
            }
            Expectation::Events { .. } => events_verdict(r, e),
            Expectation::Pods { from, to, filter, cmp } => pods_verdict(r, *from, *to, filter, cmp),
            Expectation::Status { at, pod, namespace, selector, want, cmp } => {
                let who = Who { pod: pod.as_deref(), namespace: namespace.as_deref(), selector };
                status_verdict(r, *at, &who, want, cmp.as_ref())
            }
            Expectation::Node { from, to, node, want } => node_verdict(r, *from, *to, node, want),
            Expectation::Recovers { workload, after, within_ms } => {
                let log = rec.workload_changes.iter().find(|(w, _)| name_of(r, *w) == *workload).map(|x| &x.1);
                let got = log.and_then(|l| recovery(l, *after));
                let expectation =
                    format!("{workload} recovers within {} after {}", d(*within_ms), d(after.as_millis()));
                match got {
                    Some(ms) => {
                        Verdict { expectation, pass: ms <= *within_ms, actual: format!("recovered in {}", d(ms)) }
                    }
                    None => Verdict { expectation, pass: false, actual: "never recovered".into() },
                }
            }
        })
        .collect()
}
