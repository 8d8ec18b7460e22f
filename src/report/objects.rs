//! Objects as `kubectl get -o yaml|json|name` prints them: a Pod rendered from the simulated
//! state (keys sorted, as kubectl prints unstructured objects), the YAML in kubectl's style, and
//! wall-clock times on kubesim's virtual calendar.

use crate::api::network::Ip;
use crate::api::quantity::{format_bytes, format_millicores};
use crate::api::*;
use crate::cluster::Cluster;
use crate::sim::SimTime;
use serde_json::{Map, Value, json};

pub use crate::api::cron::VIRTUAL_EPOCH_UNIX_SECONDS;
use crate::api::cron::civil_from_days as civil;

fn split(t: SimTime) -> (i64, u32, u32, i64, i64) {
    let secs = VIRTUAL_EPOCH_UNIX_SECONDS + (t.as_millis() / 1000) as i64;
    let (y, m, d) = civil(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    (y, m, d, s / 3600, s % 3600)
}

/// RFC 3339 in UTC, to the second, as the API serializes `metav1.Time`.
pub fn rfc3339(t: SimTime) -> String {
    let (y, m, d, h, rest) = split(t);
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{:02}:{:02}Z", rest / 60, rest % 60)
}

/// Go's `time.RFC1123Z`, as `kubectl describe` prints times: `Thu, 01 Jan 2026 00:06:30 +0000`.
pub fn rfc1123z(t: SimTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let secs = VIRTUAL_EPOCH_UNIX_SECONDS + (t.as_millis() / 1000) as i64;
    let wd = DAYS[secs.div_euclid(86_400).rem_euclid(7) as usize];
    let (y, m, d, h, rest) = split(t);
    format!("{wd}, {d:02} {} {y:04} {h:02}:{:02}:{:02} +0000", MONTHS[m as usize - 1], rest / 60, rest % 60)
}

/// A moment as a user types it for `--at`: a Go duration from the start (`6m`, `1h30m`), a
/// clock time on the first day (`00:06`, `00:06:30`), or an RFC 3339 UTC time on the virtual
/// calendar (`2026-01-01T00:06:30Z`, as `-o yaml` and `describe` print). Milliseconds from 0.
pub fn parse_at(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let clock = |s: &str| -> Option<i64> {
        let parts: Vec<i64> = s.split(':').map(|p| p.parse().ok()).collect::<Option<_>>()?;
        match parts[..] {
            [h, m] if (0..24).contains(&h) && (0..60).contains(&m) => Some(h * 3600 + m * 60),
            [h, m, s] if (0..24).contains(&h) && (0..60).contains(&m) && (0..60).contains(&s) => {
                Some(h * 3600 + m * 60 + s)
            }
            _ => None,
        }
    };
    let secs = if let Some((date, time)) = t.split_once('T') {
        let time = time
            .strip_suffix('Z')
            .or_else(|| time.strip_suffix("+00:00"))
            .ok_or_else(|| format!("{t:?}: give the time in UTC (ending in Z), as kubesim prints it"))?;
        let d: Vec<u32> = date.split('-').map(|p| p.parse().ok()).collect::<Option<_>>().unwrap_or_default();
        let (Some(secs), &[y, mo, da]) = (clock(time), &d[..]) else {
            return Err(format!("{t:?} is not a time like 2026-01-01T00:06:30Z"));
        };
        crate::api::cron::days_from_civil(i64::from(y), mo, da) * 86_400 + secs - VIRTUAL_EPOCH_UNIX_SECONDS
    } else if let Some(secs) = t.contains(':').then(|| clock(t)).flatten() {
        secs
    } else {
        return crate::scenario::raw::duration_to_ms(t);
    };
    if secs < 0 {
        return Err(format!("{t:?} is before the run starts ({})", rfc3339(SimTime::ZERO)));
    }
    Ok(secs as u64 * 1000)
}

fn resources(r: Resources, cpu: bool, memory: bool) -> Value {
    let mut m = Map::new();
    if cpu {
        m.insert("cpu".into(), json!(format_millicores(r.cpu_milli)));
    }
    if memory {
        m.insert("memory".into(), json!(format_bytes(r.memory)));
    }
    Value::Object(m)
}

fn container(c: &ContainerSpec, images: &[crate::scenario::ImageDef]) -> Value {
    let policy = match c.pull_policy {
        PullPolicy::Always => "Always",
        PullPolicy::IfNotPresent => "IfNotPresent",
        PullPolicy::Never => "Never",
    };
    let mut res = Map::new();
    if c.has_cpu_request || c.has_memory_request {
        res.insert("requests".into(), resources(c.requests, c.has_cpu_request, c.has_memory_request));
    }
    if c.has_cpu_limit || c.has_memory_limit {
        res.insert("limits".into(), resources(c.limits, c.has_cpu_limit, c.has_memory_limit));
    }
    let mut v = json!({
        "image": images[c.image.idx()].name,
        "imagePullPolicy": policy,
        "name": c.name,
        "resources": res,
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    });
    if !c.ports.is_empty() {
        let ports: Vec<Value> = (c.ports.iter())
            .map(|(name, port, protocol, host)| {
                let mut v = json!({"containerPort": port, "protocol": protocol});
                if let Some(n) = name {
                    v["name"] = json!(&**n);
                }
                if *host > 0 {
                    v["hostPort"] = json!(host);
                }
                v
            })
            .collect();
        v["ports"] = json!(ports);
    }
    for (key, probe) in [
        ("livenessProbe", &c.liveness_probe),
        ("readinessProbe", &c.readiness_probe),
        ("startupProbe", &c.startup_probe),
    ] {
        if let Some(pr) = probe {
            v[key] = probe_json(pr);
        }
    }
    v
}

/// A probe as the API returns it: the handler, then every defaulted number
/// (`initialDelaySeconds` only when set, as its zero is omitted).
fn probe_json(p: &Probe) -> Value {
    let port = |p: &PortRef| match p {
        PortRef::Number(n) => json!(n),
        PortRef::Name(n) => json!(&**n),
    };
    let mut v = json!({
        "failureThreshold": p.failure_threshold,
        "periodSeconds": p.period_ms / 1000,
        "successThreshold": p.success_threshold,
        "timeoutSeconds": p.timeout_ms / 1000,
    });
    if p.initial_delay_ms > 0 {
        v["initialDelaySeconds"] = json!(p.initial_delay_ms / 1000);
    }
    match &p.action {
        ProbeAction::HttpGet { scheme, host, port: pt, path } => {
            let mut h = json!({"path": &**path, "port": port(pt), "scheme": scheme.to_uppercase()});
            if let Some(host) = host {
                h["host"] = json!(&**host);
            }
            v["httpGet"] = h;
        }
        ProbeAction::TcpSocket { host, port: pt } => {
            let mut t = json!({"port": port(pt)});
            if let Some(host) = host {
                t["host"] = json!(&**host);
            }
            v["tcpSocket"] = t;
        }
        ProbeAction::Exec { command } => v["exec"] = json!({"command": &**command}),
        ProbeAction::Grpc { port: n, service } => {
            let mut g = json!({"port": n});
            if let Some(s) = service {
                g["service"] = json!(&**s);
            }
            v["grpc"] = g;
        }
    }
    v
}

fn state(s: &ContainerState) -> Value {
    match *s {
        ContainerState::Waiting { reason } => json!({"waiting": {"reason": reason}}),
        ContainerState::Running { started } => json!({"running": {"startedAt": rfc3339(started)}}),
        ContainerState::Terminated { exit_code, reason, finished } => {
            json!({"terminated": {"exitCode": exit_code, "finishedAt": rfc3339(finished), "reason": reason}})
        }
    }
}

fn container_status(c: &ContainerSpec, st: &ContainerStatus, images: &[crate::scenario::ImageDef]) -> Value {
    let last = match st.last_terminated {
        Some((code, reason, at)) => {
            json!({"terminated": {"exitCode": code, "finishedAt": rfc3339(at), "reason": reason}})
        }
        None => json!({}),
    };
    json!({
        "image": images[c.image.idx()].name,
        "lastState": last,
        "name": c.name,
        "ready": st.ready,
        "restartCount": st.restart_count,
        "started": matches!(st.state, ContainerState::Running { .. }),
        "state": state(&st.state),
    })
}

fn toleration(t: &Toleration) -> Value {
    let mut m = Map::new();
    if let Some(e) = t.effect {
        m.insert("effect".into(), json!(e.as_str()));
    }
    if !t.key.is_empty() {
        m.insert("key".into(), json!(t.key));
    }
    m.insert("operator".into(), json!(if t.op == TolerationOp::Exists { "Exists" } else { "Equal" }));
    if let Some(s) = t.toleration_seconds {
        m.insert("tolerationSeconds".into(), json!(s));
    }
    if !t.value.is_empty() {
        m.insert("value".into(), json!(t.value));
    }
    Value::Object(m)
}

/// A pod spec as the API serializes it (defaults filled).
pub fn pod_spec(s: &PodSpec, images: &[crate::scenario::ImageDef]) -> Value {
    let mut spec = json!({
        "containers": s.containers.iter().map(|x| container(x, images)).collect::<Vec<_>>(),
        "dnsPolicy": "ClusterFirst",
        "enableServiceLinks": true,
        "preemptionPolicy": "PreemptLowerPriority",
        "priority": s.priority,
        "restartPolicy": match s.restart_policy {
            RestartPolicy::Always => "Always",
            RestartPolicy::OnFailure => "OnFailure",
            RestartPolicy::Never => "Never",
        },
        "schedulerName": "default-scheduler",
        "serviceAccountName": s.service_account.as_deref().unwrap_or("default"),
        "terminationGracePeriodSeconds": s.termination_grace_ms / 1000,
        "tolerations": s.tolerations.iter().map(toleration).collect::<Vec<_>>(),
    });
    if !s.init_containers.is_empty() {
        spec["initContainers"] = json!(s.init_containers.iter().map(|x| container(x, images)).collect::<Vec<_>>());
    }
    if let Some(pc) = &s.priority_class {
        spec["priorityClassName"] = json!(pc);
    }
    if !s.readiness_gates.is_empty() {
        let gates: Vec<Value> = s.readiness_gates.iter().map(|g| json!({"conditionType": &**g})).collect();
        spec["readinessGates"] = json!(gates);
    }
    if let Some(p) = &s.pod_level {
        let mut res = Map::new();
        if p.has_cpu_request || p.has_memory_request {
            res.insert("requests".into(), resources(p.requests, p.has_cpu_request, p.has_memory_request));
        }
        if p.has_cpu_limit || p.has_memory_limit {
            res.insert("limits".into(), resources(p.limits, p.has_cpu_limit, p.has_memory_limit));
        }
        spec["resources"] = Value::Object(res);
    }
    spec
}

/// The Pod as the API server would return it now.
pub fn pod(c: &Cluster, id: PodId, p: &Pod) -> Value {
    let images = &c.scenario.images;
    let api = &c.api;
    let mut meta = json!({
        "creationTimestamp": rfc3339(p.created),
        "name": p.name,
        "namespace": &*p.namespace,
        "resourceVersion": p.resource_version.to_string(),
        "uid": super::messages::pod_uid(id, c.scenario.seed),
    });
    if !p.labels.0.is_empty() {
        let labels: Map<String, Value> = p.labels.0.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        meta["labels"] = Value::Object(labels);
    }
    if let Some(o) = p.owner {
        let (kind, _, name) = api.describe(crate::apiserver::ApiServer::owner_ref(o));
        let api_version = if kind == "Job" { "batch/v1" } else { "apps/v1" };
        meta["ownerReferences"] = json!([{
            "apiVersion": api_version, "blockOwnerDeletion": true, "controller": true, "kind": kind, "name": name,
        }]);
        if kind != "StatefulSet" {
            meta["generateName"] = json!(format!("{name}-"));
        }
    }
    if !p.finalizers.is_empty() {
        meta["finalizers"] = json!(p.finalizers.iter().map(|f| &**f).collect::<Vec<&str>>());
    }
    if let Some((at, grace)) = p.deletion {
        meta["deletionTimestamp"] = json!(rfc3339(at.plus(grace)));
        meta["deletionGracePeriodSeconds"] = json!(grace / 1000);
    }
    let s = &p.spec;
    let mut spec = pod_spec(s, images);
    if let Some(n) = p.node {
        spec["nodeName"] = json!(api.node(n).name);
    }
    let mut status = json!({
        "phase": format!("{:?}", p.status.phase),
        "qosClass": s.qos().as_str(),
    });
    let statuses: Vec<Value> =
        s.containers.iter().zip(&p.status.containers).map(|(c, st)| container_status(c, st, images)).collect();
    if p.node.is_some() {
        status["containerStatuses"] = json!(statuses);
        if let Some(t) = p.scheduled_at {
            status["startTime"] = json!(rfc3339(t));
        }
    }
    let conditions: Vec<Value> = super::describe::conditions(p)
        .map(|(t, c)| {
            let mut v = json!({"lastProbeTime": null, "lastTransitionTime": rfc3339(c.since),
                "status": if c.status { "True" } else { "False" }, "type": t.as_str()});
            if c.reason != crate::api::conditions::CondReason::None {
                v["reason"] = json!(c.reason.as_str());
            }
            if let Some(m) = api.condition_message(id, c) {
                v["message"] = json!(m);
            }
            v
        })
        .collect();
    if !conditions.is_empty() {
        status["conditions"] = json!(conditions);
    }
    if let Some(r) = p.status.reason {
        status["reason"] = json!(r);
    }
    if let Some(m) = &p.status.message {
        status["message"] = json!(m);
    }
    if let (Some(ip), Some(n)) = (p.status.pod_ip, p.node) {
        let (ip, host) = (Ip(ip).to_string(), Ip(api.node(n).address).to_string());
        status["hostIP"] = json!(host);
        status["hostIPs"] = json!([{"ip": host}]);
        status["podIP"] = json!(ip);
        status["podIPs"] = json!([{"ip": ip}]);
    }
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status})
}

/// Several objects as kubectl prints them: one alone, several in a `List`.
pub fn list(items: Vec<Value>) -> Value {
    if items.len() == 1 {
        return items.into_iter().next().expect("one");
    }
    json!({"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}})
}

/// `-o json`: four-space indentation, as kubectl prints.
pub fn to_json(v: &Value) -> String {
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    serde::Serialize::serialize(v, &mut ser).expect("a Value serializes");
    let mut s = String::from_utf8(out).expect("JSON is UTF-8");
    s.push('\n');
    s
}

/// `-o yaml` in kubectl's style (sigs.k8s.io/yaml): block mappings with sorted keys, sequence
/// items at their key's indentation, strings quoted only where YAML would read them otherwise.
/// Written here rather than with a YAML library: matching kubectl's layout is the point.
pub fn to_yaml(v: &Value) -> String {
    let mut out = String::new();
    yaml_value(v, 0, &mut out);
    out
}

fn yaml_value(v: &Value, indent: usize, out: &mut String) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                out.push_str(&" ".repeat(indent));
                out.push_str(&scalar_str(k));
                out.push(':');
                yaml_child(x, indent, out, true);
            }
        }
        Value::Array(a) => {
            for x in a {
                out.push_str(&" ".repeat(indent));
                out.push('-');
                yaml_child(x, indent, out, false);
            }
        }
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

/// What follows `key:` or `-`: a scalar on the same line, an empty collection inline, a block
/// below (a mapping under `-` starts on the dash's line).
fn yaml_child(x: &Value, indent: usize, out: &mut String, under_key: bool) {
    match x {
        Value::Object(m) if m.is_empty() => out.push_str(" {}\n"),
        Value::Array(a) if a.is_empty() => out.push_str(" []\n"),
        Value::Object(_) if !under_key => {
            let mut inner = String::new();
            yaml_value(x, indent + 2, &mut inner);
            out.push(' ');
            out.push_str(inner.trim_start());
        }
        Value::Object(_) => {
            out.push('\n');
            yaml_value(x, indent + 2, out);
        }
        Value::Array(_) => {
            out.push('\n');
            yaml_value(x, if under_key { indent } else { indent + 2 }, out);
        }
        s => {
            out.push(' ');
            out.push_str(&scalar(s));
            out.push('\n');
        }
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => scalar_str(s),
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

/// A string plain when YAML reads it back as that string, else double-quoted.
fn scalar_str(s: &str) -> String {
    let special = s.is_empty()
        || s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@` ".contains(c))
        || s.ends_with(' ')
        || s.contains(": ")
        || s.contains(" #")
        || s.contains('\n')
        || matches!(s.to_ascii_lowercase().as_str(), "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "~")
        || s.parse::<f64>().is_ok()
        || (s.len() >= 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-' && s[..4].parse::<u32>().is_ok());
    if special { serde_json::to_string(s).expect("a string serializes") } else { s.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_virtual_calendar_starts_on_1_january_2026() {
        assert_eq!(rfc3339(SimTime::ZERO), "2026-01-01T00:00:00Z");
        assert_eq!(rfc1123z(SimTime(390_000)), "Thu, 01 Jan 2026 00:06:30 +0000");
        // 2028 is a leap year: 29 February exists.
        let days = |d: u64| SimTime(d * 86_400_000);
        assert_eq!(rfc3339(days(365 + 365 + 31 + 28)), "2028-02-29T00:00:00Z");
        assert_eq!(rfc1123z(days(3)), "Sun, 04 Jan 2026 00:00:00 +0000");
    }

    #[test]
    fn at_takes_durations_clock_times_and_timestamps() {
        assert_eq!(parse_at("6m"), Ok(360_000));
        assert_eq!(parse_at("00:06"), Ok(360_000));
        assert_eq!(parse_at("01:00:30"), Ok(3_630_000));
        assert_eq!(parse_at("2026-01-01T00:06:00Z"), Ok(360_000));
        assert_eq!(parse_at("2026-01-02T00:00:00Z"), Ok(86_400_000));
        assert!(parse_at("2025-12-31T23:00:00Z").unwrap_err().contains("before the run starts"));
        assert!(parse_at("2026-01-01T00:06:00+02:00").is_err());
        assert!(parse_at("soon").is_err());
    }

    #[test]
    fn yaml_is_written_in_kubectls_style() {
        let v = json!({"kind": "Pod", "metadata": {"labels": {"app": "web"}, "resourceVersion": "12"},
            "spec": {"containers": [{"image": "nginx:1.27", "name": "web", "ports": []}], "priority": 0},
            "status": {"startTime": "2026-01-01T00:00:00Z", "ready": true}});
        assert_eq!(
            to_yaml(&v),
            "kind: Pod\nmetadata:\n  labels:\n    app: web\n  resourceVersion: \"12\"\nspec:\n  containers:\n  - image: nginx:1.27\n    name: web\n    ports: []\n  priority: 0\nstatus:\n  ready: true\n  startTime: \"2026-01-01T00:00:00Z\"\n"
        );
    }
}
