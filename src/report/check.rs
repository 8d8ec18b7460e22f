//! Evaluating a scenario's `expect:` against what happened.

use crate::api::WorkloadRef;
use crate::report::summary::recovery;
use crate::run::RunResult;
use crate::scenario::expect::{Expectation, Field};
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

/// A `get:` expectation's verdict: kubectl's STATUS of the pods it names at `at`.
fn status_verdict(
    r: &RunResult,
    at: SimTime,
    who: &Who,
    status: &str,
    cmp: Option<&crate::scenario::expect::Cmp>,
) -> Verdict {
    let (pod, selector) = (who.pod, who.selector);
    let d = crate::api::duration::format_go_duration_ms(at.as_millis());
    let what = match pod {
        Some(p) => format!("pod/{p}"),
        None => format!("pods {}", selector.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")),
    };
    let expectation = match cmp {
        Some(c) => format!("at {d}: {what} with STATUS {status} count {c}"),
        None => format!("at {d}: {what} STATUS {status}"),
    };
    let seen = statuses_at(r, at, who);
    let n = seen.iter().filter(|(_, s)| s == status).count();
    let pass = match cmp {
        Some(c) => c.holds(n as i64),
        None => !seen.is_empty() && n == seen.len(),
    };
    let actual = if seen.is_empty() {
        "no such pod then".to_string()
    } else {
        seen.iter().map(|(p, s)| format!("{p} {s}")).collect::<Vec<_>>().join(", ")
    };
    Verdict { expectation, pass, actual }
}

/// Each pod that exists at `at` and is `pod` or carries `selector`'s labels, with the STATUS
/// `kubectl get pods` prints for it then (from the run's history, which `check` keeps).
/// The pods a `get:` expectation names.
struct Who<'a> {
    pod: Option<&'a str>,
    namespace: Option<&'a str>,
    selector: &'a [(String, String)],
}

fn statuses_at(r: &RunResult, at: SimTime, who: &Who) -> Vec<(String, String)> {
    let (pod, selector) = (who.pod, who.selector);
    let api = &r.cluster.api;
    let Some(h) = &r.cluster.rec.history else { return Vec::new() };
    let mut last: std::collections::BTreeMap<u32, crate::record::history::PodSnap> = Default::default();
    for s in h.pods.iter().filter(|s| s.time <= at) {
        last.insert(s.pod.0, *s);
    }
    let mut out = Vec::new();
    for (&i, s) in &last {
        let p = &api.pods[i as usize];
        let wanted = match pod {
            Some(name) => p.name == name,
            None => selector.iter().all(|(k, v)| p.labels.get(k) == Some(v.as_str())),
        };
        if !wanted || s.removed || who.namespace.is_some_and(|ns| *p.namespace != *ns) {
            continue;
        }
        out.push((p.name.clone(), crate::report::kubectl::snapshot_row(p, h, s).1));
    }
    out.sort();
    out
}

/// Check every expectation. State expectations read the time series, so they see the
/// cluster at `sampleInterval` resolution (`at: T` reads the last sample at or before T).
pub fn check(r: &RunResult) -> Vec<Verdict> {
    let rec = &r.cluster.rec;
    let d = |ms: u64| crate::api::duration::format_go_duration_ms(ms);
    r.cluster
        .scenario
        .expectations
        .iter()
        .map(|e| match e {
            Expectation::State { from, to, workload, field, cmp } => {
                // (time, value) of the object's samples: a Service's endpoints, or a workload's.
                let samples: Vec<(crate::sim::SimTime, i64)> = match workload.strip_prefix("service/") {
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
                let samples: Vec<&(crate::sim::SimTime, i64)> = samples.iter().collect();
                let value = |s: &(crate::sim::SimTime, i64)| s.1;
                let window: Vec<_> = if from == to {
                    samples.iter().rev().find(|s| s.0 <= *from).into_iter().copied().collect()
                } else {
                    samples.iter().filter(|s| s.0 >= *from && s.0 <= *to).copied().collect()
                };
                let when = if from == to {
                    format!("at {}", d(from.as_millis()))
                } else {
                    format!("during [{}, {}]", d(from.as_millis()), d(to.as_millis()))
                };
                let expectation = format!("{when}: {workload} {} {cmp}", field.name());
                match window.iter().find(|s| !cmp.holds(value(s))) {
                    _ if window.is_empty() => {
                        Verdict { expectation, pass: false, actual: "no sample in that window".into() }
                    }
                    Some(bad) => Verdict {
                        expectation,
                        pass: false,
                        actual: format!("{} at {}", value(bad), d(bad.0.as_millis())),
                    },
                    None => Verdict { expectation, pass: true, actual: value(window[window.len() - 1]).to_string() },
                }
            }
            Expectation::Events { reason, cmp } => {
                // An event series counts every occurrence.
                let n = rec.events.iter().filter(|e| e.reason == reason.as_str()).map(|e| e.count as i64).sum::<i64>();
                Verdict {
                    expectation: format!("events {reason}: count {cmp}"),
                    pass: cmp.holds(n),
                    actual: n.to_string(),
                }
            }
            Expectation::Pods { at, filter, cmp } => {
                let api = &r.cluster.api;
                let has = |labels: &crate::api::Labels, want: &[(String, String)]| {
                    want.iter().all(|(k, v)| labels.get(k) == Some(v.as_str()))
                };
                let n = api
                    .pods
                    .iter()
                    .filter(|p| p.created <= *at && p.removed.is_none_or(|t| t > *at))
                    .filter(|p| has(&p.labels, &filter.selector))
                    .filter(|p| {
                        let bound =
                            p.scheduled_at.is_some_and(|t| t <= *at) || (p.node.is_some() && p.scheduled_at.is_none());
                        match p.node {
                            _ if !filter.scheduled => !bound,
                            Some(n) if bound => {
                                let node = api.node(n);
                                filter.node.as_ref().is_none_or(|x| *x == node.name)
                                    && has(&node.labels, &filter.node_selector)
                            }
                            _ => false,
                        }
                    })
                    .count() as i64;
                Verdict {
                    expectation: format!("at {}: {filter} count {cmp}", d(at.as_millis())),
                    pass: cmp.holds(n),
                    actual: n.to_string(),
                }
            }
            Expectation::Status { at, pod, namespace, selector, status, cmp } => {
                let who = Who { pod: pod.as_deref(), namespace: namespace.as_deref(), selector };
                status_verdict(r, *at, &who, status, cmp.as_ref())
            }
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
