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

/// One checked outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expectation {
    /// `kind/name: {field: cmp}` at a time, or at every sample of a window.
    State { from: SimTime, to: SimTime, workload: String, field: Field, cmp: Cmp },
    /// The number of recorded events with this reason.
    Events { reason: String, cmp: Cmp },
    /// The workload is back at ready >= desired within `within` of `after`.
    Recovers { workload: String, after: SimTime, within_ms: u64 },
    /// Where pods are at a time: how many pods with these labels exist then and are bound
    /// (`scheduled: true`, the default) or not (`false`), on nodes with these labels or this
    /// name.
    Pods { at: SimTime, filter: PodFilter, cmp: Cmp },
    /// What `kubectl get pods` prints in STATUS at a time: the named pod's (in `namespace`,
    /// default `default`), or how many pods with these labels (in `namespace`, or any) show it
    /// (`cmp`; without one, every such pod, and at least one).
    Status {
        at: SimTime,
        pod: Option<String>,
        namespace: Option<String>,
        selector: Vec<(String, String)>,
        status: String,
        cmp: Option<Cmp>,
    },
}

/// The pods a `pods:` expectation counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodFilter {
    pub selector: Vec<(String, String)>,
    pub node_selector: Vec<(String, String)>,
    pub node: Option<String>,
    pub scheduled: bool,
}

impl fmt::Display for PodFilter {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let kv = |v: &[(String, String)]| v.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",");
        write!(f, "pods {}", kv(&self.selector))?;
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

/// Turn one `expect:` entry into expectations; `workloads` are the `kind/name`s that exist.
/// `get: {at, pod: NAME | selector: {app: web}, status: CrashLoopBackOff, count: ">= 2"}`
/// (`at` here or beside it).
fn get(v: &Value, window: Option<(SimTime, SimTime)>) -> Result<Expectation, String> {
    const HELP: &str = "get: {at: 6m, pod: NAME | selector: {app: web}, status: CrashLoopBackOff, count: \">= 1\"}";
    let Value::Map(g) = v else { return Err(HELP.into()) };
    let at = match (g.get("at"), window) {
        (Some(a), _) => SimTime(dur(a, "get.at")?),
        (None, Some((a, b))) if a == b => a,
        _ => return Err(format!("get: give `at: TIME` ({HELP})")),
    };
    let (mut pod, mut selector, mut status, mut cmp, mut namespace) = (None, Vec::new(), None, None, None);
    for (k, x) in g {
        match k.as_str() {
            "at" => {}
            "pod" => pod = Some(scalar(x, "get.pod")?.to_string()),
            "namespace" => namespace = Some(scalar(x, "get.namespace")?.to_string()),
            "selector" => selector = label_map(x, "get.selector")?,
            "status" => status = Some(scalar(x, "get.status")?.to_string()),
            "count" => cmp = Some(Cmp::parse(scalar(x, "get.count")?)?),
            o => return Err(format!("get: unknown key {o:?} ({HELP})")),
        }
    }
    let status = status.ok_or_else(|| format!("get needs `status` ({HELP})"))?;
    if pod.is_some() != selector.is_empty() || (pod.is_some() && cmp.is_some()) {
        return Err(format!("get: give `pod` or `selector` (with an optional `count`), not both ({HELP})"));
    }
    if pod.is_some() && namespace.is_none() {
        namespace = Some("default".into());
    }
    Ok(Expectation::Status { at, pod, namespace, selector, status, cmp })
}

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
            Some((SimTime(dur(&l[0], "during")?), SimTime(dur(&l[1], "during")?)))
        }
        (None, Some(_)) => return Err("`during` is a list of two times: [5m, 15m]".into()),
        (None, None) => None,
    };
    for (k, v) in m {
        match k.as_str() {
            "at" | "during" => {}
            "events" => {
                let Value::Map(e) = v else { return Err("events: {reason: Evicted, count: \">= 2\"}".into()) };
                let reason = scalar(e.get("reason").ok_or("events needs `reason`")?, "events.reason")?.to_string();
                let cmp = Cmp::parse(scalar(e.get("count").ok_or("events needs `count`")?, "events.count")?)?;
                out.push(Expectation::Events { reason, cmp });
            }
            "pods" => {
                const HELP: &str =
                    "pods: {selector: {app: web}, nodeSelector: {zone: a} | node: NAME | scheduled: false, count: 2}";
                let Value::Map(p) = v else { return Err(HELP.into()) };
                let Some((at, to)) = window else { return Err("pods: give `at: TIME`".into()) };
                if at != to {
                    return Err("pods: give `at: TIME` (not `during`)".into());
                }
                let mut f = PodFilter { scheduled: true, ..PodFilter::default() };
                let mut cmp = None;
                for (k, x) in p {
                    match k.as_str() {
                        "selector" => f.selector = label_map(x, "pods.selector")?,
                        "nodeSelector" => f.node_selector = label_map(x, "pods.nodeSelector")?,
                        "node" => f.node = Some(scalar(x, "pods.node")?.to_string()),
                        "scheduled" => {
                            f.scheduled = match scalar(x, "pods.scheduled")? {
                                "true" => true,
                                "false" => false,
                                o => return Err(format!("pods.scheduled is true or false, not {o:?}")),
                            }
                        }
                        "count" => cmp = Some(Cmp::parse(scalar(x, "pods.count")?)?),
                        o => return Err(format!("pods: unknown key {o:?} ({HELP})")),
                    }
                }
                let cmp = cmp.ok_or("pods needs `count`")?;
                out.push(Expectation::Pods { at, filter: f, cmp });
            }
            "get" => out.push(get(v, window)?),
            "recovers" => {
                let Value::Map(r) = v else {
                    return Err("recovers: {workload: deployment/web, within: 7m, after: 2m}".into());
                };
                let workload =
                    scalar(r.get("workload").ok_or("recovers needs `workload`")?, "recovers.workload")?.to_string();
                if !workloads.contains(&workload) {
                    return Err(format!(
                        "recovers names {workload:?}, which the scenario does not define ({})",
                        known(workloads)
                    ));
                }
                let within_ms = dur(r.get("within").ok_or("recovers needs `within`")?, "recovers.within")?;
                let after = SimTime(r.get("after").map(|a| dur(a, "recovers.after")).transpose()?.unwrap_or(0));
                out.push(Expectation::Recovers { workload, after, within_ms });
            }
            w if w.contains('/') => {
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
                for (f, c) in fields {
                    let field = Field::parse(f).filter(|f| (*f == Field::ReadyEndpoints) == service).ok_or_else(
                        || match service {
                            true => format!("{w}: unknown field {f:?} (a Service has readyEndpoints)"),
                            false => format!(
                                "{w}: unknown field {f:?} (replicas, readyReplicas, availableReplicas, updatedReplicas)"
                            ),
                        },
                    )?;
                    let cmp = Cmp::parse(scalar(c, f)?)?;
                    out.push(Expectation::State { from, to, workload: w.to_string(), field, cmp });
                }
            }
            other => {
                return Err(format!(
                    "unknown expect key {other:?} (at, during, events, recovers, pods, get, or kind/name)"
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
                status: "CrashLoopBackOff".into(),
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
}
