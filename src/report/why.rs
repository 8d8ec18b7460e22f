//! `get events --why`: an event's chain of causes back to its root, kept short. A crash loop's
//! chain runs through every restart before it (each BackOff was caused by the last start); the
//! restarts are folded into one line with their counts, and a restart back-off ends with its
//! reason: how the container last exited.

use super::kubectl::rule;
use crate::api::Message;
use crate::api::events::{ContainerRef, ObjRef, RecordedEvent};
use crate::cluster::Cluster;
use std::fmt::Write;

/// Reasons of the pod worker's restart cycle, which the fold takes in.
const RESTART_CYCLE: &[&str] = &[
    "BackOff",
    "Pulling",
    "Pulled",
    "Created",
    "Started",
    "Failed",
    "Killing",
    "Unhealthy",
    "NetworkNotReady",
    "FailedPostStartHook",
];

/// Write `e`'s chain: the event, then each cause (`<-`), each with its rule once in a row.
pub(crate) fn chain(
    out: &mut String,
    e: &RecordedEvent,
    c: &Cluster,
    name_of: &dyn Fn(ObjRef) -> String,
    msg: &dyn Fn(&RecordedEvent) -> String,
) {
    let mut causes = Vec::new();
    let mut cause = e.cause;
    while cause > 0 {
        let p = &c.rec.events[cause as usize - 1];
        causes.push(p);
        cause = p.cause;
    }
    let _ = writeln!(out, "{}s  {}  {}: {}", e.time, e.reason, name_of(e.object), msg(e));
    let mut last_rule = rule(e, c);
    if !last_rule.is_empty() {
        let _ = writeln!(out, "          because: {last_rule}");
    }
    let fold = restart_fold(e, &causes);
    let mut i = 0;
    while i < causes.len() {
        if i == 0 && fold > 0 {
            fold_line(out, &causes[..fold], name_of);
            last_rule.clear();
            i = fold;
            continue;
        }
        let p = causes[i];
        let _ = writeln!(out, "  <- {}s  {}  {}: {}", p.time, p.reason, name_of(p.object), msg(p));
        let r = rule(p, c);
        if !r.is_empty() && r != last_rule {
            let _ = writeln!(out, "          because: {r}");
        }
        last_rule = r;
        i += 1;
    }
    if let Message::BackOff { container } = e.message
        && let ObjRef::Pod(pod) = e.object
    {
        let exits: Vec<_> =
            (c.rec.exits.iter()).filter(|x| x.pod == pod && x.container == container && x.finished <= e.time).collect();
        if let Some(last) = exits.last() {
            let name = &crate::kubelet::container(&c.api.pod(pod).spec, container).name;
            let times = if exits.len() == 1 { "once".to_string() } else { format!("{} times", exits.len()) };
            let _ = writeln!(
                out,
                "  reason: container {name} exited {times}, the last at {}s: {}, exit code {}",
                last.finished, last.reason, last.code
            );
        }
    }
}

/// How many of the first causes are earlier rounds of the same pod's restart cycle: from the
/// top event's own pod (and the OOM killer's node events between), up to its first attempt to
/// start the container (its oldest `Created` and what ended that attempt), when the chain holds
/// more than one attempt (0: nothing to fold).
fn restart_fold(e: &RecordedEvent, causes: &[&RecordedEvent]) -> usize {
    let Message::BackOff { container } = e.message else { return 0 };
    // Another container's steps (the start sequence carries its cause from one container to
    // the next) end the run.
    let cycle = |p: &RecordedEvent| {
        p.reason == "SystemOOM"
            || (p.object == e.object
                && RESTART_CYCLE.contains(&p.reason)
                && container_of(&p.message).is_none_or(|c| c == container))
    };
    let run = causes.iter().take_while(|p| cycle(p)).count();
    let created = |p: &RecordedEvent| p.reason == "Created" && container_of(&p.message) == Some(container);
    let attempts = causes[..run].iter().filter(|p| created(p)).count();
    let Some(first) = causes[..run].iter().rposition(|p| created(p)) else { return 0 };
    if attempts < 2 {
        return 0;
    }
    // The first attempt's own end (Started, or Failed for a start error) stays with it.
    let mut keep = first;
    while keep > 0
        && matches!(causes[keep - 1].reason, "Started" | "Failed")
        && causes[keep - 1].time == causes[first].time
    {
        keep -= 1;
    }
    if keep > 0 && causes[keep - 1].reason == "Started" {
        keep -= 1;
    }
    keep
}

/// The container an event's message names, if it names one.
fn container_of(m: &Message) -> Option<ContainerRef> {
    match *m {
        Message::Created { container }
        | Message::Started { container }
        | Message::BackOff { container }
        | Message::Killing { container }
        | Message::Unhealthy { container, .. }
        | Message::ProbeKilled { container, .. } => Some(container),
        _ => None,
    }
}

/// One line for the folded rounds: their span and what happened in them.
fn fold_line(out: &mut String, folded: &[&RecordedEvent], name_of: &dyn Fn(ObjRef) -> String) {
    let count = |r: &str| folded.iter().filter(|p| p.reason == r).count();
    let (newest, oldest) = (folded[0], folded[folded.len() - 1]);
    let mut what = vec![format!("{} restarts", count("Created"))];
    for r in ["BackOff", "Failed", "SystemOOM", "Unhealthy", "Killing", "FailedPostStartHook", "NetworkNotReady"] {
        let n = count(r);
        if n > 0 {
            what.push(format!("{n} {r}"));
        }
    }
    let _ = writeln!(out, "  <- {}s .. {}s  {}: {}", oldest.time, newest.time, name_of(newest.object), what.join(", "));
    let _ = writeln!(
        out,
        "          because: kubelet: each exit is restarted at the first pod worker sync past its back-off (10s doubling to 5m)"
    );
}
