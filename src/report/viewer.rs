//! report.html's viewer: the run's history (each pod's `get pods` row and node's state at every
//! change, each pod's `describe` at every change, the events with their causes) as one JSON
//! document inside the page, and our own script (assets/viewer.js) that shows the cluster at any
//! moment. Large runs are trimmed to stay small; the page says what it left out.

use super::kubectl::snapshot_row;
use crate::api::conditions::PodConditions;
use crate::api::events::ObjRef;
use crate::api::*;
use crate::cluster::Cluster;
use crate::record::history::{History, PodSnap};
use crate::run::RunResult;
use crate::sim::SimTime;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Most events a page embeds. Beyond it Warnings, events about objects other than pods and
/// the faults' evictions are kept first, then the earliest of the rest.
pub const MAX_EVENTS: usize = 20_000;
/// Runs with at most this many pods embed each pod's `describe` at every change of it.
pub const MAX_DESCRIBED_PODS: usize = 2_000;
/// And at most this much describe text in all (bytes).
pub const MAX_DESCRIBE_BYTES: usize = 4 << 20;
/// Most series repeats a page embeds (a large run's failed scheduling attempts).
pub const MAX_REPEATS: usize = 200_000;
/// Marks where the viewer writes "lasts ..." of a Terminating pod's describe.
const LASTS_MARK: &str = "\u{1}";

/// A string table: the page refers to repeated strings by index (0 is "").
#[derive(Default)]
struct Strings {
    index: HashMap<String, u32>,
    list: Vec<String>,
}

impl Strings {
    fn new() -> Strings {
        let mut s = Strings::default();
        s.id("");
        s
    }
    fn id(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.list.len() as u32;
        self.list.push(s.to_string());
        self.index.insert(s.to_string(), i);
        i
    }
}

#[derive(Serialize, Default)]
struct Nodes {
    name: Vec<u32>,
    cpu: Vec<u64>,
    mem_mi: Vec<u64>,
    pods: Vec<u32>,
}

/// Node snapshots; `ready`: 0 True, 1 False, 2 Unknown; `flags`: 1 cordoned, 2 memory
/// pressure, 4 deleted. Times as differences from the previous entry.
#[derive(Serialize, Default)]
struct NodeSnaps {
    dt: Vec<u64>,
    n: Vec<u32>,
    ready: Vec<u8>,
    flags: Vec<u8>,
}

/// The pods; `order` lists them as `get pods` sorts them (namespace, name), or is empty when
/// that is their own order.
#[derive(Serialize, Default)]
struct Pods {
    ns: Vec<u32>,
    name: Vec<String>,
    created: Vec<u64>,
    cpu: Vec<u64>,
    mem_mi: Vec<u64>,
    order: Vec<u32>,
}

/// Pod snapshots, grouped by pod (in pod order), each pod's in time order. Per pod: `n`
/// snapshots, the `node` it was bound to + 1 (0: never; a pod binds once). Per snapshot: `dt`
/// ms since the pod's previous one (the first: since 0), `row` an index into `rows`
/// ("READY\tSTATUS\tPHASE"), `f` = bound + 2 gone + 4 restarts, `ip` 0 when it is the pod's
/// previous one, else an index into `ips` + 1; `last` (snapshot, ms) of the last restart where
/// there is one.
#[derive(Serialize, Default)]
struct Snaps {
    n: Vec<u32>,
    node: Vec<u32>,
    dt: Vec<u64>,
    row: Vec<u32>,
    f: Vec<u64>,
    ip: Vec<u32>,
    last: Vec<(u32, u64)>,
    rows: Vec<String>,
    ips: Vec<String>,
}

/// Each pod's describe (without events) from `t` on, by pod then time; `del` is the deletion
/// time + 1 for "Terminating (lasts ...)" (0: none).
#[derive(Serialize, Default)]
struct Describes {
    p: Vec<u32>,
    t: Vec<u64>,
    text: Vec<u32>,
    del: Vec<u64>,
}

/// Events in time order; `cause` is the index of the causing event in this list + 1 (0: none
/// or not embedded); `pod` the pod + 1 (0: another object); `count`/`last` as events.csv.
#[derive(Serialize, Default)]
struct Events {
    t: Vec<u64>,
    warn: Vec<u8>,
    reason: Vec<u32>,
    obj: Vec<u32>,
    pod: Vec<u32>,
    src: Vec<u32>,
    msg: Vec<u32>,
    why: Vec<u32>,
    cause: Vec<u32>,
    count: Vec<u32>,
    last: Vec<u64>,
    /// Each repeat of a series (kube-scheduler's FailedScheduling): the event's index here and
    /// the time as a difference from the previous repeat; the page counts those up to its
    /// moment, as a run cut there would.
    rep_e: Vec<u32>,
    rep_dt: Vec<u64>,
}

#[derive(Serialize)]
struct Data {
    name: String,
    end: u64,
    nodes: Nodes,
    node_snaps: NodeSnaps,
    pods: Pods,
    snaps: Snaps,
    describes: Describes,
    events: Events,
    /// (start, end or -1, what) per fault.
    faults: Vec<(u64, i64, String)>,
    /// What this page leaves out, in words.
    dropped: Vec<String>,
    strings: Vec<String>,
}

/// The run's history as the viewer's JSON, safe inside a `<script>` element.
pub fn data_json(r: &RunResult) -> String {
    let c = &r.cluster;
    let empty = History::default();
    let h = c.rec.history.as_ref().unwrap_or(&empty);
    let mut s = Strings::new();
    let mut dropped = Vec::new();
    if c.rec.history.is_none() {
        dropped.push("the pods' history (the run kept none)".to_string());
    }
    let data = Data {
        name: c.scenario.name.clone(),
        end: r.outcome.end.as_millis(),
        nodes: nodes(c, &mut s),
        node_snaps: node_snaps(h),
        pods: pods(c, &mut s),
        snaps: snaps(c, h),
        describes: describes(c, h, r.outcome.end, &mut s, &mut dropped),
        events: events(c, &mut s, &mut dropped),
        faults: (c.rec.fault_spans.iter())
            .map(|&(a, b, what)| (a.as_millis(), b.map_or(-1, |t| t.as_millis() as i64), what.to_string()))
            .collect(),
        dropped,
        strings: std::mem::take(&mut s.list),
    };
    let json = serde_json::to_string(&data).unwrap_or_default();
    // Inside <script>, "</" could end the element early (a name or message holding "</script").
    if json.contains("</") { json.replace("</", "<\\/") } else { json }
}

fn nodes(c: &Cluster, s: &mut Strings) -> Nodes {
    let mut n = Nodes::default();
    for node in &c.api.nodes {
        n.name.push(s.id(&node.name));
        n.cpu.push(node.allocatable.cpu_milli);
        n.mem_mi.push(node.allocatable.memory >> 20);
        n.pods.push(node.pods);
    }
    n
}

fn node_snaps(h: &History) -> NodeSnaps {
    let mut out = NodeSnaps::default();
    let mut prev = 0;
    for x in &h.nodes {
        let t = x.time.as_millis();
        out.dt.push(t - prev);
        prev = t;
        out.n.push(x.node.0);
        out.ready.push(match x.ready {
            ConditionStatus::True => 0,
            ConditionStatus::False => 1,
            ConditionStatus::Unknown => 2,
        });
        out.flags.push(x.unschedulable as u8 | (x.memory_pressure as u8) << 1 | (x.deleted as u8) << 2);
    }
    out
}

fn pods(c: &Cluster, s: &mut Strings) -> Pods {
    let api = &c.api;
    let mut out = Pods::default();
    for p in &api.pods {
        out.ns.push(s.id(&p.namespace));
        out.name.push(p.name.clone());
        out.created.push(p.created.as_millis());
        out.cpu.push(p.requests.cpu_milli);
        out.mem_mi.push(p.requests.memory >> 20);
    }
    let mut order: Vec<u32> = (0..api.pods.len() as u32).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&api.pods[a as usize], &api.pods[b as usize]);
        (&*x.namespace, &x.name, a).cmp(&(&*y.namespace, &y.name, b))
    });
    if order.iter().enumerate().any(|(i, &p)| i as u32 != p) {
        out.order = order;
    }
    out
}

fn snaps(c: &Cluster, h: &History) -> Snaps {
    let mut out = Snaps::default();
    let mut rows = Strings::default();
    let mut ips = Strings::default();
    // The snapshots by pod, each pod's in time order (a stable sort).
    let mut all: Vec<&PodSnap> = h.pods.iter().collect();
    all.sort_by_key(|x| x.pod);
    let mut groups = all.chunk_by(|a, b| a.pod == b.pod).peekable();
    for pod in 0..c.api.pods.len() as u32 {
        let list: &[&PodSnap] = match groups.peek() {
            Some(g) if g[0].pod.0 == pod => groups.next().unwrap_or_default(),
            _ => &[],
        };
        out.n.push(list.len() as u32);
        out.node.push(list.iter().find_map(|x| x.node).map_or(0, |n| n.0 + 1));
        let (mut prev_t, mut prev_ip) = (0, None);
        for (k, x) in list.iter().enumerate() {
            let t = x.time.as_millis();
            out.dt.push(t - prev_t);
            prev_t = t;
            let (ready, status, restarts, last) = snapshot_row(&c.api.pods[x.pod.idx()], h, x);
            out.row.push(rows.id(&format!("{ready}\t{status}\t{:?}", x.phase)));
            out.f.push(x.node.is_some() as u64 | (x.removed as u64) << 1 | (restarts as u64) << 2);
            if k > 0 && x.pod_ip == prev_ip {
                out.ip.push(0);
            } else {
                let ip = x.pod_ip.map_or(String::new(), |ip| crate::api::network::Ip(ip).to_string());
                out.ip.push(ips.id(&ip) + 1);
            }
            prev_ip = x.pod_ip;
            if let Some(l) = last {
                out.last.push((out.dt.len() as u32 - 1, l.as_millis()));
            }
        }
    }
    out.rows = rows.list;
    out.ips = ips.list;
    out
}

/// The pod `id` as it was at `at`: the snapshot's status and the conditions logged so far.
fn pod_as_of(c: &Cluster, h: &History, x: &PodSnap, conds: PodConditions, at: SimTime) -> Pod {
    let now = &c.api.pods[x.pod.idx()];
    let mut p = now.clone();
    let st = h.statuses_of(x);
    p.node = x.node;
    p.status.phase = x.phase;
    p.status.reason = x.reason;
    p.status.ready = x.ready;
    p.status.pod_ip = x.pod_ip;
    p.status.init_containers = st[..x.n_init as usize].to_vec();
    p.status.containers = st[x.n_init as usize..].to_vec();
    p.status.conditions = conds;
    if x.reason != now.status.reason {
        p.status.message = None;
    }
    p.deletion = if x.deleting { now.deletion } else { None };
    p.removed = None;
    p.scheduled_at = now.scheduled_at.filter(|&t| t <= at);
    p
}

fn describes(c: &Cluster, h: &History, end: SimTime, s: &mut Strings, dropped: &mut Vec<String>) -> Describes {
    let mut out = Describes::default();
    let n = c.api.pods.len();
    if h.pods.is_empty() {
        return out;
    }
    if n > MAX_DESCRIBED_PODS {
        dropped.push(format!(
            "each pod's describe (this run has {n} pods; pages describe runs of up to {MAX_DESCRIBED_PODS})"
        ));
        return out;
    }
    // Per pod: its snapshots and its condition changes, in time order.
    let mut snaps: Vec<Vec<&PodSnap>> = vec![Vec::new(); n];
    for x in h.pods.iter() {
        snaps[x.pod.idx()].push(x);
    }
    let mut conds: Vec<Vec<&crate::apiserver::conditions::ConditionChange>> = vec![Vec::new(); n];
    for ch in c.api.condition_log.iter() {
        conds[ch.pod.idx()].push(ch);
    }
    let mut bytes = 0usize;
    for (i, list) in snaps.iter().enumerate() {
        let kept = out.p.len();
        let mut moments: Vec<SimTime> = list.iter().map(|x| x.time).chain(conds[i].iter().map(|x| x.time)).collect();
        moments.sort();
        moments.dedup();
        let mut last_text = u32::MAX;
        for &m in moments.iter().filter(|&&m| m <= end) {
            let Some(x) = list.iter().rev().find(|x| x.time <= m) else { continue };
            if x.removed {
                continue;
            }
            let mut pc = PodConditions::default();
            for ch in conds[i].iter().take_while(|ch| ch.time <= m) {
                pc.set(ch.ty, ch.status, ch.reason, ch.detail, ch.time);
            }
            let p = pod_as_of(c, h, x, pc, m);
            let mut text = super::describe::describe_pod_as(c, x.pod, &p, m, false);
            if let Some(a) = text.find("Terminating (lasts ")
                && let Some(b) = text[a..].find(')')
            {
                text.replace_range(a + "Terminating (lasts ".len()..a + b, LASTS_MARK);
            }
            bytes += text.len();
            if bytes > MAX_DESCRIBE_BYTES {
                // This pod's and the later pods' describes are left out whole.
                out.p.truncate(kept);
                out.t.truncate(kept);
                out.text.truncate(kept);
                out.del.truncate(kept);
                dropped.push(format!("describe after {MAX_DESCRIBE_BYTES} bytes of it (from pod {})", p.name));
                return out;
            }
            let id = s.id(&text);
            if id == last_text {
                continue;
            }
            last_text = id;
            out.p.push(i as u32);
            out.t.push(m.as_millis());
            out.text.push(id);
            out.del.push(p.deletion.map_or(0, |(t, _)| t.as_millis() + 1));
        }
    }
    out
}

/// Which events a large run keeps: what explains the run before the routine pod events.
fn keep_events(c: &Cluster, dropped: &mut Vec<String>) -> Vec<bool> {
    let all = &c.rec.events;
    if all.len() <= MAX_EVENTS {
        return vec![true; all.len()];
    }
    let important = |e: &crate::api::events::RecordedEvent| {
        e.kind == EventType::Warning
            || !matches!(e.object, ObjRef::Pod(_))
            || matches!(e.reason, "TaintManagerEviction" | "Evicted" | "Preempted" | "Killing")
    };
    let mut keep: Vec<bool> = all.iter().map(important).collect();
    let mut n = keep.iter().filter(|&&k| k).count();
    if n > MAX_EVENTS {
        // Even the important ones are too many: the earliest.
        let mut seen = 0;
        for k in keep.iter_mut() {
            if *k {
                seen += 1;
                *k = seen <= MAX_EVENTS;
            }
        }
        n = MAX_EVENTS;
    }
    for k in keep.iter_mut() {
        if n >= MAX_EVENTS {
            break;
        }
        if !*k {
            *k = true;
            n += 1;
        }
    }
    dropped.push(format!(
        "{} of the {} events (kept: Warnings, events about nodes and workloads, evictions, then the earliest others; events.csv has them all)",
        all.len() - n,
        all.len()
    ));
    keep
}

fn events(c: &Cluster, s: &mut Strings, dropped: &mut Vec<String>) -> Events {
    let api = &c.api;
    let keep = keep_events(c, dropped);
    let mut out = Events::default();
    // Recorded index -> embedded index + 1.
    let mut at = vec![0u32; c.rec.events.len()];
    // The rule text depends on the reason, for TaintManagerEviction on carried out or not, for
    // NodeNotReady on who reported it.
    let mut rules: HashMap<(&'static str, bool, bool), u32> = HashMap::new();
    for (i, e) in c.rec.events.iter().enumerate() {
        if !keep[i] {
            continue;
        }
        at[i] = out.t.len() as u32 + 1;
        let (kind, _, name) = api.describe(e.object);
        out.t.push(e.time.as_millis());
        out.warn.push((e.kind == EventType::Warning) as u8);
        out.reason.push(s.id(e.reason));
        out.obj.push(s.id(&format!("{}/{}", kind.to_lowercase(), name)));
        out.pod.push(if let ObjRef::Pod(p) = e.object { p.0 + 1 } else { 0 });
        out.src.push(s.id(e.source.as_str()));
        let msg = super::messages::render(e, api, &c.scenario.images, c.scenario.seed);
        out.msg.push(s.id(msg.trim()));
        let key = (e.reason, e.is_taint_eviction(), e.source == crate::api::events::Source::Kubelet);
        let why = match rules.get(&key) {
            Some(&w) => w,
            None => {
                let w = s.id(&super::kubectl::rule(e, c));
                rules.insert(key, w);
                w
            }
        };
        out.why.push(why);
        let cause = e.cause as usize;
        out.cause.push(if cause > 0 && cause <= i { at[cause - 1] } else { 0 });
        out.count.push(e.count);
        out.last.push(e.last_seen.as_millis());
    }
    // Series repeats, whole series only (a series cut short would show a wrong count): the
    // earliest series first while they fit.
    let none = crate::sim::chunked::Chunked::default();
    let repeats = c.rec.history.as_ref().map_or(&none, |h| &h.repeats);
    let mut per_event: BTreeMap<u32, usize> = BTreeMap::new();
    for &(id, _) in repeats.iter() {
        *per_event.entry(id).or_default() += 1;
    }
    let (mut total, mut left_out) = (0usize, 0usize);
    let mut kept: BTreeMap<u32, bool> = BTreeMap::new();
    for (&id, &n) in &per_event {
        let fits = at.get(id as usize - 1).is_some_and(|&a| a > 0) && total + n <= MAX_REPEATS;
        if fits {
            total += n;
        } else if at.get(id as usize - 1).is_some_and(|&a| a > 0) {
            left_out += n;
        }
        kept.insert(id, fits);
    }
    let mut prev = 0;
    for &(id, t) in repeats.iter().filter(|(id, _)| kept.get(id) == Some(&true)) {
        out.rep_e.push(at[id as usize - 1] - 1);
        out.rep_dt.push(t.as_millis() - prev);
        prev = t.as_millis();
    }
    if left_out > 0 {
        dropped.push(format!(
            "{left_out} repeats of event series beyond the first {MAX_REPEATS} (those series show their final count)"
        ));
    }
    out
}

/// The viewer's script and style, embedded as they are.
pub const SCRIPT: &str = include_str!("../../assets/viewer.js");
pub const STYLE: &str = include_str!("../../assets/viewer.css");

/// Where the viewer goes on a page (it fills itself in when the script runs).
pub fn markup() -> String {
    format!(
        "<style>\n{STYLE}</style>\n<section id=\"viewer\" aria-label=\"Step through the run\"><noscript>The viewer needs JavaScript; the charts and tables below do not.</noscript></section>\n"
    )
}

/// The data of each run shown (label, JSON) and the script, for the end of the page: one slider
/// drives them all (the comparison page shows two side by side).
pub fn scripts(runs: &[(&str, String)]) -> String {
    let mut h = String::new();
    for (i, (label, json)) in runs.iter().enumerate() {
        h.push_str(&format!(
            "<script type=\"application/json\" class=\"kubesim-data\" id=\"kubesim-data-{i}\" data-label=\"{}\">",
            super::html::esc(label)
        ));
        h.push_str(json);
        h.push_str("</script>\n");
    }
    h.push_str("<script>\n");
    h.push_str(SCRIPT);
    h.push_str("</script>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn node_crash(history: bool) -> RunResult {
        let f = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/node-crash.yaml"));
        let s = crate::scenario::load(f).unwrap();
        crate::run::simulate(s, &crate::run::RunOptions { history, ..Default::default() }).unwrap()
    }

    #[test]
    fn the_page_data_replays_each_pod_and_links_each_event_to_its_cause() {
        let r = node_crash(true);
        let v: Value = serde_json::from_str(&data_json(&r)).unwrap();
        let ints = |x: &Value| x.as_array().unwrap().iter().map(|n| n.as_u64().unwrap()).collect::<Vec<_>>();
        let snaps = &v["snaps"];
        let n = ints(&snaps["n"]);
        assert_eq!(n.len(), 8, "one entry per pod");
        assert_eq!(n.iter().sum::<u64>() as usize, snaps["dt"].as_array().unwrap().len());
        // An evicted pod: Pending, ContainerCreating, Running, then Terminating from 465s on.
        let rows: Vec<&str> = snaps["rows"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
        assert!(rows.contains(&"1/1\tTerminating\tRunning"), "{rows:?}");
        assert!(rows.contains(&"0/1\tPending\tPending"), "{rows:?}");
        // Its describe from 465s on says how long it has been Terminating (filled in by the page).
        let d = &v["describes"];
        let texts = v["strings"].as_array().unwrap();
        let marked: Vec<u64> = (ints(&d["text"]).iter().zip(ints(&d["t"])))
            .filter(|(i, _)| texts[**i as usize].as_str().unwrap().contains("Terminating (lasts \u{1})"))
            .map(|(_, t)| t)
            .collect();
        assert!(marked.contains(&465_000), "{marked:?}");
        // Causes point backwards; nothing is dropped in a small run.
        for (i, c) in ints(&v["events"]["cause"]).into_iter().enumerate() {
            assert!(c as usize <= i, "event {i} caused by a later one ({c})");
        }
        assert_eq!(v["events"]["t"].as_array().unwrap().len(), r.cluster.rec.events.len());
        assert_eq!(v["dropped"], Value::Array(vec![]));
        // `order` lists the pods by name, as get pods does.
        let names: Vec<&str> = v["pods"]["name"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
        let sorted: Vec<&str> = ints(&v["pods"]["order"]).iter().map(|&i| names[i as usize]).collect();
        assert!(sorted.windows(2).all(|w| w[0] < w[1]) && sorted.len() == 8, "{sorted:?}");
    }

    #[test]
    fn a_run_without_history_says_so_and_the_page_text_cannot_close_its_script() {
        let r = node_crash(false);
        let json = data_json(&r);
        let v: Value = serde_json::from_str(&json).unwrap();
        assert!(v["dropped"][0].as_str().unwrap().contains("the run kept none"));
        assert!(!json.contains("</"));
    }
}
