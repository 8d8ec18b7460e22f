//! `expect:`: the checked outcomes of a scenario (`kubesim check`). Forms: a workload's state
//! at a time (`at:`) or through a window (`during:`), counts of events by reason (`events:`),
//! and time-to-recover bounds (`recovers:`). Numbers compare with `==`, `>=`, `<=`, `>`, `<`.

use super::raw::duration_to_ms;
use crate::sim::SimTime;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;

/// Any YAML value, kept as text at the leaves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Scalar(String),
    List(Vec<Value>),
    Map(BTreeMap<String, Value>),
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a value")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
                Ok(Value::Scalar(s.to_string()))
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
                Ok(Value::Scalar(b.to_string()))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Value, E> {
                Ok(Value::Scalar(n.to_string()))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Value, E> {
                Ok(Value::Scalar(n.to_string()))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<Value, E> {
                Ok(Value::Scalar(n.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
                Ok(Value::Scalar(String::new()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = a.next_element()? {
                    v.push(x);
                }
                Ok(Value::List(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
                let mut m = BTreeMap::new();
                while let Some((k, v)) = a.next_entry::<String, Value>()? {
                    m.insert(k, v);
                }
                Ok(Value::Map(m))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ge,
    Le,
    Gt,
    Lt,
}

/// A comparison with a number: `3`, `">= 2"`, `"< 10"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cmp {
    pub op: Op,
    pub value: i64,
}

impl Cmp {
    pub fn parse(s: &str) -> Result<Cmp, String> {
        let s = s.trim();
        let (op, rest) = [(">=", Op::Ge), ("<=", Op::Le), ("==", Op::Eq), (">", Op::Gt), ("<", Op::Lt)]
            .iter()
            .find_map(|(p, op)| s.strip_prefix(p).map(|r| (*op, r)))
            .unwrap_or((Op::Eq, s));
        let value =
            rest.trim().parse::<i64>().map_err(|_| format!("{s:?} is not a number or a comparison like \">= 2\""))?;
        Ok(Cmp { op, value })
    }
    pub fn holds(&self, x: i64) -> bool {
        match self.op {
            Op::Eq => x == self.value,
            Op::Ge => x >= self.value,
            Op::Le => x <= self.value,
            Op::Gt => x > self.value,
            Op::Lt => x < self.value,
        }
    }
}

impl fmt::Display for Cmp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match self.op {
            Op::Eq => "==",
            Op::Ge => ">=",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Lt => "<",
        };
        write!(f, "{op} {}", self.value)
    }
}

/// A workload field an expectation can read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Replicas,
    ReadyReplicas,
    AvailableReplicas,
    UpdatedReplicas,
    /// A Service's endpoints that are ready.
    ReadyEndpoints,
}

impl Field {
    fn parse(s: &str) -> Option<Field> {
        Some(match s {
            "replicas" => Field::Replicas,
            "readyReplicas" => Field::ReadyReplicas,
            "availableReplicas" => Field::AvailableReplicas,
            "updatedReplicas" => Field::UpdatedReplicas,
            "readyEndpoints" => Field::ReadyEndpoints,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            Field::Replicas => "replicas",
            Field::ReadyReplicas => "readyReplicas",
            Field::AvailableReplicas => "availableReplicas",
            Field::UpdatedReplicas => "updatedReplicas",
            Field::ReadyEndpoints => "readyEndpoints",
        }
    }
}

/// One checked outcome. A window `(from, to)` with `from == to` is a moment (`at:`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expectation {
    /// `kind/name: {field: cmp}` at a time, or at every sample of a window.
    State { from: SimTime, to: SimTime, workload: String, field: Field, cmp: Cmp },
    /// The number of recorded events with this reason (each repeat of a series counts), about
    /// `object` (`pod/NAME`, `node/NAME`, ...) if given, over the run or within `window`.
    /// With `message`, only events whose message contains that text.
    Events {
        reason: String,
        cmp: Cmp,
        object: Option<String>,
        message: Option<String>,
        window: Option<(SimTime, SimTime)>,
    },
    /// The workload is back at ready >= desired within `within` of `after`.
    Recovers { workload: String, after: SimTime, within_ms: u64 },
    /// Where pods are at a time, or at every moment of a window: how many pods with these
    /// labels exist then and are bound (`scheduled: true`, the default) or not (`false`), on
    /// nodes with these labels or this name.
    Pods { from: SimTime, to: SimTime, filter: PodFilter, cmp: Cmp },
    /// What `kubectl get pods` prints at a time: the named pod's (in `namespace`, default
    /// `default`), or how many pods with these labels (in `namespace`, or any) match `want`
    /// (`cmp`; without one, every such pod, and at least one).
    Status {
        at: SimTime,
        pod: Option<String>,
        namespace: Option<String>,
        selector: Vec<(String, String)>,
        want: PodWant,
        cmp: Option<Cmp>,
    },
    /// A node's conditions and cordon at a time, or at every change of a window.
    Node { from: SimTime, to: SimTime, node: String, want: Vec<NodeWant> },
}

/// What a `get:` expectation asks of a pod; every given part must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodWant {
    /// kubectl's STATUS column.
    pub status: Option<String>,
    /// kubectl's RESTARTS column (the count, without the age).
    pub restarts: Option<Cmp>,
    /// Some container's latest termination (its state if terminated, else its Last State)
    /// has this exit code / this reason (`OOMKilled`, `Error`, `Completed`, ...).
    pub exit_code: Option<i32>,
    pub reason: Option<String>,
    /// The pod's own `status.phase` and `status.reason` (kubectl's STATUS may print a
    /// container's reason over them).
    pub phase: Option<String>,
    pub pod_reason: Option<String>,
}

impl fmt::Display for PodWant {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let parts: Vec<String> = [
            self.status.as_ref().map(|s| format!("STATUS {s}")),
            self.restarts.map(|c| format!("RESTARTS {c}")),
            self.reason.as_ref().map(|r| format!("last terminated {r}")),
            self.exit_code.map(|c| format!("exit code {c}")),
            self.phase.as_ref().map(|p| format!("phase {p}")),
            self.pod_reason.as_ref().map(|r| format!("pod reason {r}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        f.write_str(&parts.join(", "))
    }
}

/// A node field a `node/NAME:` expectation reads, with the value it wants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeWant {
    /// The Ready condition.
    Ready(crate::api::ConditionStatus),
    /// `spec.unschedulable` (cordoned).
    Unschedulable(bool),
    /// The MemoryPressure condition.
    MemoryPressure(bool),
}

impl NodeWant {
    /// The same field's value in `got`'s terms: what a node shows for the field this asks about.
    pub fn same_field(self, ready: crate::api::ConditionStatus, unschedulable: bool, memory: bool) -> NodeWant {
        match self {
            NodeWant::Ready(_) => NodeWant::Ready(ready),
            NodeWant::Unschedulable(_) => NodeWant::Unschedulable(unschedulable),
            NodeWant::MemoryPressure(_) => NodeWant::MemoryPressure(memory),
        }
    }
}

impl fmt::Display for NodeWant {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            NodeWant::Ready(c) => write!(f, "ready {c:?}"),
            NodeWant::Unschedulable(b) => write!(f, "unschedulable {b}"),
            NodeWant::MemoryPressure(b) => write!(f, "memoryPressure {b}"),
        }
    }
}

/// The pods a `pods:` expectation counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodFilter {
    pub selector: Vec<(String, String)>,
    pub node_selector: Vec<(String, String)>,
    pub node: Option<String>,
    pub scheduled: bool,
    /// Only pods being deleted (`true`: Terminating) or only the others (`false`).
    pub terminating: Option<bool>,
}

impl fmt::Display for PodFilter {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let kv = |v: &[(String, String)]| v.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",");
        write!(f, "pods {}", kv(&self.selector))?;
        match self.terminating {
            Some(true) => write!(f, " terminating")?,
            Some(false) => write!(f, " not terminating")?,
            None => {}
        }
        if !self.scheduled {
            return write!(f, " unscheduled");
        }
        if let Some(n) = &self.node {
            write!(f, " on node {n}")?;
        }
        if !self.node_selector.is_empty() {
            write!(f, " on nodes {}", kv(&self.node_selector))?;
        }
        Ok(())
    }
}

fn label_map(v: &Value, what: &str) -> Result<Vec<(String, String)>, String> {
    let Value::Map(m) = v else { return Err(format!("{what} is a map of labels, e.g. {{app: web}}")) };
    m.iter().map(|(k, v)| Ok((k.clone(), scalar(v, what)?.to_string()))).collect()
}

fn dur(v: &Value, what: &str) -> Result<u64, String> {
    match v {
        Value::Scalar(s) => duration_to_ms(s).map_err(|e| format!("{what}: {e}")),
        _ => Err(format!("{what} must be a duration like 5m")),
    }
}

fn scalar<'a>(v: &'a Value, what: &str) -> Result<&'a str, String> {
    match v {
        Value::Scalar(s) => Ok(s),
        _ => Err(format!("{what} must be a single value")),
    }
}

fn known(workloads: &[String]) -> String {
    if workloads.is_empty() {
        "it defines no Deployment or ReplicaSet".into()
    } else {
        format!("known: {}", workloads.join(", "))
    }
}

type Window = Option<(SimTime, SimTime)>;

/// `get: {at, pod: NAME | selector: {app: web}, status: CrashLoopBackOff, restarts: ">= 2",
/// reason: OOMKilled, exitCode: 137, count: ">= 2"}` (`at` here or beside it).
fn get(v: &Value, window: Window) -> Result<Expectation, String> {
    const HELP: &str = "get: {at: 6m, pod: NAME | selector: {app: web}, status: CrashLoopBackOff, restarts: \">= 2\", reason: OOMKilled, exitCode: 137, phase: Failed, podReason: Evicted, count: \">= 1\"}";
    let Value::Map(g) = v else { return Err(HELP.into()) };
    let at = match (g.get("at"), window) {
        (Some(a), _) => SimTime(dur(a, "get.at")?),
        (None, Some((a, b))) if a == b => a,
        _ => return Err(format!("get: give `at: TIME` ({HELP})")),
    };
    let (mut pod, mut selector, mut want, mut cmp, mut namespace) = (None, None, PodWant::default(), None, None);
    for (k, x) in g {
        match k.as_str() {
            "at" => {}
            "pod" => pod = Some(scalar(x, "get.pod")?.to_string()),
            "namespace" => namespace = Some(scalar(x, "get.namespace")?.to_string()),
            // `{}` selects every pod, as a label selector does.
            "selector" => selector = Some(label_map(x, "get.selector")?),
            "status" => want.status = Some(scalar(x, "get.status")?.to_string()),
            "restarts" => want.restarts = Some(Cmp::parse(scalar(x, "get.restarts")?)?),
            "reason" => want.reason = Some(scalar(x, "get.reason")?.to_string()),
            "exitCode" => {
                let c = scalar(x, "get.exitCode")?;
                want.exit_code = Some(c.parse().map_err(|_| format!("get.exitCode is a number, not {c:?}"))?);
            }
            "phase" => match scalar(x, "get.phase")? {
                p @ ("Pending" | "Running" | "Succeeded" | "Failed" | "Unknown") => want.phase = Some(p.to_string()),
                o => return Err(format!("get.phase is Pending, Running, Succeeded, Failed or Unknown, not {o:?}")),
            },
            "podReason" => want.pod_reason = Some(scalar(x, "get.podReason")?.to_string()),
            "count" => cmp = Some(Cmp::parse(scalar(x, "get.count")?)?),
            o => return Err(format!("get: unknown key {o:?} ({HELP})")),
        }
    }
    if want == PodWant::default() {
        return Err(format!("get needs `status`, `restarts`, `reason`, `exitCode`, `phase` or `podReason` ({HELP})"));
    }
    if pod.is_some() == selector.is_some() || (pod.is_some() && cmp.is_some()) {
        return Err(format!("get: give `pod` or `selector` (with an optional `count`), not both ({HELP})"));
    }
    if pod.is_some() && namespace.is_none() {
        namespace = Some("default".into());
    }
    Ok(Expectation::Status { at, pod, namespace, selector: selector.unwrap_or_default(), want, cmp })
}

/// `events: {reason: Evicted, count: ">= 2", object: pod/NAME}`, over the entry's `during`.
fn events(v: &Value, window: Window, has_at: bool) -> Result<Expectation, String> {
    const HELP: &str = "events: {reason: Evicted, count: \">= 2\", object: pod/NAME, message: TEXT} (beside it, `during: [FROM, TO]` to count only those in a window)";
    let Value::Map(e) = v else { return Err(HELP.into()) };
    if has_at {
        return Err(format!("events count over a window: give `during: [FROM, TO]`, not `at` ({HELP})"));
    }
    let (mut reason, mut cmp, mut object, mut message) = (None, None, None, None);
    for (k, x) in e {
        match k.as_str() {
            "reason" => reason = Some(scalar(x, "events.reason")?.to_string()),
            "count" => cmp = Some(Cmp::parse(scalar(x, "events.count")?)?),
            "object" => {
                let o = scalar(x, "events.object")?;
                if !o.contains('/') {
                    return Err(format!("events.object is kind/name, e.g. pod/web-0 or node/worker-1, not {o:?}"));
                }
                object = Some(o.to_ascii_lowercase());
            }
            "message" => message = Some(scalar(x, "events.message")?.to_string()),
            o => return Err(format!("events: unknown key {o:?} ({HELP})")),
        }
    }
    let reason = reason.ok_or("events needs `reason`")?;
    let cmp = cmp.ok_or("events needs `count`")?;
    Ok(Expectation::Events { reason, cmp, object, message, window })
}

/// `pods: {selector: {app: web}, nodeSelector: {zone: a} | node: NAME | scheduled: false, count: 2}`.
fn pods(v: &Value, window: Window) -> Result<Expectation, String> {
    const HELP: &str =
        "pods: {selector: {app: web}, nodeSelector: {zone: a} | node: NAME | scheduled: false, count: 2}";
    let Value::Map(p) = v else { return Err(HELP.into()) };
    let Some((from, to)) = window else { return Err("pods: give `at: TIME` or `during: [FROM, TO]`".into()) };
    let mut f = PodFilter { scheduled: true, ..PodFilter::default() };
    let mut cmp = None;
    for (k, x) in p {
        match k.as_str() {
            "selector" => f.selector = label_map(x, "pods.selector")?,
            "nodeSelector" => f.node_selector = label_map(x, "pods.nodeSelector")?,
            "node" => f.node = Some(scalar(x, "pods.node")?.to_string()),
            "scheduled" => f.scheduled = boolean(x, "pods.scheduled")?,
            "terminating" => f.terminating = Some(boolean(x, "pods.terminating")?),
            "count" => cmp = Some(Cmp::parse(scalar(x, "pods.count")?)?),
            o => return Err(format!("pods: unknown key {o:?} ({HELP})")),
        }
    }
    let cmp = cmp.ok_or("pods needs `count`")?;
    Ok(Expectation::Pods { from, to, filter: f, cmp })
}

fn boolean(v: &Value, what: &str) -> Result<bool, String> {
    match scalar(v, what)? {
        "true" => Ok(true),
        "false" => Ok(false),
        o => Err(format!("{what} is true or false, not {o:?}")),
    }
}

/// `node/NAME: {ready: "False", unschedulable: true, memoryPressure: false}`.
fn node(name: &str, v: &Value, window: Window) -> Result<Expectation, String> {
    const HELP: &str =
        "{ready: \"True\" | \"False\" | Unknown, unschedulable: true | false, memoryPressure: true | false}";
    let Some((from, to)) = window else { return Err(format!("node/{name}: give `at: TIME` or `during: [FROM, TO]`")) };
    let Value::Map(fields) = v else { return Err(format!("node/{name}: a mapping of fields, {HELP}")) };
    let mut want = Vec::new();
    for (k, x) in fields {
        let what = format!("node/{name}.{k}");
        use crate::api::ConditionStatus as C;
        want.push(match k.as_str() {
            // YAML reads an unquoted True / true as a boolean: both mean the condition's "True".
            "ready" => NodeWant::Ready(match scalar(x, &what)? {
                "True" | "true" => C::True,
                "False" | "false" => C::False,
                "Unknown" => C::Unknown,
                o => return Err(format!("{what} is True, False or Unknown, not {o:?}")),
            }),
            "unschedulable" => NodeWant::Unschedulable(boolean(x, &what)?),
            "memoryPressure" => NodeWant::MemoryPressure(boolean(x, &what)?),
            o => return Err(format!("node/{name}: unknown field {o:?}, {HELP}")),
        });
    }
    if want.is_empty() {
        return Err(format!("node/{name}: name a field, {HELP}"));
    }
    Ok(Expectation::Node { from, to, node: name.to_string(), want })
}

/// `recovers: {workload: deployment/web, within: 7m, after: 2m}`.
fn recovers(v: &Value, workloads: &[String]) -> Result<Expectation, String> {
    let Value::Map(r) = v else {
        return Err("recovers: {workload: deployment/web, within: 7m, after: 2m}".into());
    };
    let workload = scalar(r.get("workload").ok_or("recovers needs `workload`")?, "recovers.workload")?.to_string();
    if !workloads.contains(&workload) {
        return Err(format!("recovers names {workload:?}, which the scenario does not define ({})", known(workloads)));
    }
    let within_ms = dur(r.get("within").ok_or("recovers needs `within`")?, "recovers.within")?;
    let after = SimTime(r.get("after").map(|a| dur(a, "recovers.after")).transpose()?.unwrap_or(0));
    Ok(Expectation::Recovers { workload, after, within_ms })
}

/// `kind/name: {field: cmp, ...}` for a workload or a Service.
fn workload_state(w: &str, v: &Value, window: Window, workloads: &[String]) -> Result<Vec<Expectation>, String> {
    if !workloads.iter().any(|x| x == w) {
        return Err(format!("{w:?} is not a workload of the scenario ({})", known(workloads)));
    }
    let Some((from, to)) = window else {
        return Err(format!("{w}: give `at: TIME` or `during: [FROM, TO]`"));
    };
    let Value::Map(fields) = v else {
        return Err(format!("{w}: a mapping of fields, e.g. {{readyReplicas: 3}}"));
    };
    let service = w.starts_with("service/");
    let mut out = Vec::new();
    for (f, c) in fields {
        let field =
            Field::parse(f).filter(|f| (*f == Field::ReadyEndpoints) == service).ok_or_else(|| match service {
                true => format!("{w}: unknown field {f:?} (a Service has readyEndpoints)"),
                false => {
                    format!("{w}: unknown field {f:?} (replicas, readyReplicas, availableReplicas, updatedReplicas)")
                }
            })?;
        let cmp = Cmp::parse(scalar(c, f)?)?;
        out.push(Expectation::State { from, to, workload: w.to_string(), field, cmp });
    }
    Ok(out)
}

/// Turn one `expect:` entry into expectations; `workloads` are the `kind/name`s that exist.
pub fn parse(entry: &Value, workloads: &[String]) -> Result<Vec<Expectation>, String> {
    let Value::Map(m) = entry else {
        return Err("each expect entry is a mapping (at/during + workload, events, or recovers)".into());
    };
    let mut out = Vec::new();
    let window = match (m.get("at"), m.get("during")) {
        (Some(_), Some(_)) => return Err("give `at` or `during`, not both".into()),
        (Some(a), None) => {
            let t = SimTime(dur(a, "at")?);
            Some((t, t))
        }
        (None, Some(Value::List(l))) if l.len() == 2 => {
            let (a, b) = (SimTime(dur(&l[0], "during")?), SimTime(dur(&l[1], "during")?));
            if a > b {
                return Err("`during: [FROM, TO]` needs FROM <= TO".into());
            }
            Some((a, b))
        }
        (None, Some(_)) => return Err("`during` is a list of two times: [5m, 15m]".into()),
        (None, None) => None,
    };
    for (k, v) in m {
        match k.as_str() {
            "at" | "during" => {}
            "events" => out.push(events(v, window, m.contains_key("at"))?),
            "pods" => out.push(pods(v, window)?),
            "get" => out.push(get(v, window)?),
            "recovers" => out.push(recovers(v, workloads)?),
            w if w.starts_with("node/") => out.push(node(&w["node/".len()..], v, window)?),
            w if w.contains('/') => out.extend(workload_state(w, v, window, workloads)?),
            other => {
                return Err(format!(
                    "unknown expect key {other:?} (at, during, events, recovers, pods, get, node/NAME, or kind/name)"
                ));
            }
        }
    }
    if out.is_empty() {
        return Err("this expect entry checks nothing".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons() {
        assert_eq!(Cmp::parse(">= 2").unwrap(), Cmp { op: Op::Ge, value: 2 });
        assert_eq!(Cmp::parse("3").unwrap(), Cmp { op: Op::Eq, value: 3 });
        assert!(Cmp::parse("<10").unwrap().holds(9));
        assert!(!Cmp::parse("> 1").unwrap().holds(1));
        assert!(Cmp::parse("lots").is_err());
    }

    #[test]
    fn a_get_expectation_names_a_pod_or_a_selector_and_a_status() {
        let entry = |text: &str| parse(&serde_saphyr::from_str::<Value>(text).unwrap(), &[]);
        assert_eq!(
            entry("get: {at: 6m30s, pod: crasher, status: CrashLoopBackOff}").unwrap(),
            [Expectation::Status {
                at: SimTime(390_000),
                pod: Some("crasher".into()),
                namespace: Some("default".into()),
                selector: vec![],
                want: PodWant { status: Some("CrashLoopBackOff".into()), ..PodWant::default() },
                cmp: None
            }]
        );
        // `at` beside it, a selector and a count.
        let e = entry("{at: 8m, get: {selector: {app: web}, status: Terminating, count: \"== 2\"}}").unwrap();
        assert!(matches!(&e[0], Expectation::Status { at: SimTime(480_000), cmp: Some(_), .. }));
        for bad in [
            "get: {at: 1m, status: Running}",
            "get: {at: 1m, pod: a, selector: {app: web}, status: Running}",
            "get: {at: 1m, pod: a}",
            "get: {pod: a, status: Running}",
            "get: {at: 1m, pod: a, status: Running, count: 2}",
        ] {
            assert!(entry(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn events_take_a_window_and_an_object_pods_a_window_nodes_their_fields() {
        let entry = |text: &str| parse(&serde_saphyr::from_str::<Value>(text).unwrap(), &[]);
        assert_eq!(
            entry("{during: [1m, 2m], events: {reason: Killing, count: 1, object: Pod/web-0}}").unwrap(),
            [Expectation::Events {
                reason: "Killing".into(),
                cmp: Cmp { op: Op::Eq, value: 1 },
                object: Some("pod/web-0".into()),
                message: None,
                window: Some((SimTime(60_000), SimTime(120_000)))
            }]
        );
        let e = entry("events: {reason: Evicted, count: 1, message: \"low on resource: pids\"}").unwrap();
        assert!(
            matches!(&e[0], Expectation::Events { message: Some(m), window: None, .. } if m == "low on resource: pids")
        );
        let e = entry("{during: [1m, 2m], pods: {selector: {app: web}, count: \"<= 8\"}}").unwrap();
        assert!(matches!(&e[0], Expectation::Pods { from: SimTime(60_000), to: SimTime(120_000), .. }));
        // YAML's True is a boolean; it reads as the condition's "True".
        assert_eq!(
            entry("{at: 5m, node/worker-1: {ready: True, unschedulable: true}}").unwrap(),
            [Expectation::Node {
                from: SimTime(300_000),
                to: SimTime(300_000),
                node: "worker-1".into(),
                want: vec![NodeWant::Ready(crate::api::ConditionStatus::True), NodeWant::Unschedulable(true)]
            }]
        );
        let e = entry("get: {at: 5m, pod: leaky, restarts: \">= 2\", reason: OOMKilled, exitCode: 137}").unwrap();
        let Expectation::Status { want, .. } = &e[0] else { panic!() };
        assert_eq!(
            (want.exit_code, want.reason.as_deref(), want.status.as_deref()),
            (Some(137), Some("OOMKilled"), None)
        );
        let e = entry("get: {at: 5m, pod: batch, phase: Failed, podReason: Evicted}").unwrap();
        let Expectation::Status { want, .. } = &e[0] else { panic!() };
        assert_eq!((want.phase.as_deref(), want.pod_reason.as_deref()), (Some("Failed"), Some("Evicted")));
        for bad in [
            "{at: 1m, events: {reason: Killing, count: 1}}",
            "{during: [2m, 1m], events: {reason: Killing, count: 1}}",
            "events: {reason: Killing, count: 1, object: web-0}",
            "node/worker-1: {ready: True}",
            "{at: 1m, node/worker-1: {ready: maybe}}",
            "{at: 1m, node/worker-1: {cordoned: true}}",
            "{at: 1m, node/worker-1: {}}",
            "get: {at: 1m, pod: a, exitCode: x}",
            "get: {at: 1m, pod: a, phase: Done}",
            "pods: {count: 1}",
        ] {
            assert!(entry(bad).is_err(), "{bad}");
        }
    }
}
