//! Pod specs (containers, probes, resources, scheduling constraints) as every manifest kind
//! holds them.

use super::*;
use crate::api::{PodLevelResources, PortRef, ProbeAction};

/// A probe's timing with upstream's defaults and validation: a field left out or written as 0
/// takes its default, as the API server's `SetDefaults_Probe` does (periodSeconds 10,
/// timeoutSeconds 1, successThreshold 1, failureThreshold 3).
pub(super) fn probe(ctx: &Ctx, p: &Option<ProbeRaw>, what: &str, success_must_be_one: bool) -> R<Option<Probe>> {
    let Some(p) = p else { return Ok(None) };
    let action = probe_action(ctx, p, what)?;
    let mut out =
        Probe { action, initial_delay_ms: p.initial_delay_seconds.unwrap_or(0) as u64 * 1000, ..Probe::default() };
    let given = |v: &Option<Spanned<u32>>| v.as_ref().map(|s| s.value).filter(|&v| v > 0);
    if let Some(v) = given(&p.period_seconds) {
        out.period_ms = v as u64 * 1000;
    }
    if let Some(v) = given(&p.timeout_seconds) {
        out.timeout_ms = v as u64 * 1000;
    }
    if let Some(v) = given(&p.failure_threshold) {
        out.failure_threshold = v;
    }
    if let Some(v) = given(&p.success_threshold) {
        if success_must_be_one && v != 1 {
            let loc = p.success_threshold.as_ref().unwrap().referenced;
            return Err(ctx.err_at(loc, format!("{what}.successThreshold must be 1 (as upstream validation)"), None));
        }
        out.success_threshold = v;
    }
    Ok(Some(out))
}

/// The probe's one handler, as `validateHandler` wants it.
fn probe_action(ctx: &Ctx, p: &ProbeRaw, what: &str) -> R<ProbeAction> {
    let n = [p.http_get.is_some(), p.tcp_socket.is_some(), p.exec.is_some(), p.grpc.is_some()];
    match n.iter().filter(|&&x| x).count() {
        0 => return Err(ctx.err_doc(format!("{what}: must specify a handler type"), handler_help())),
        1 => {}
        _ => return Err(ctx.err_doc(format!("{what}: may not specify more than 1 handler type"), handler_help())),
    }
    let port = |ctx: &Ctx, p: &Spanned<IntOrString>, field: &str| -> R<PortRef> {
        match &p.value {
            IntOrString::Int(n) if (1..=65535).contains(n) => Ok(PortRef::Number(*n as i32)),
            IntOrString::Int(n) => Err(ctx.err_at(
                p.referenced,
                format!("{what}.{field}: Invalid value: {n}: must be between 1 and 65535, inclusive"),
                None,
            )),
            IntOrString::Str(s) => Ok(PortRef::Name(s.as_str().into())),
        }
    };
    if let Some(h) = &p.http_get {
        let scheme = match h.scheme.as_ref().map(|s| s.value.as_str()) {
            None | Some("HTTP") => "http",
            Some("HTTPS") => "https",
            Some(other) => {
                let loc = h.scheme.as_ref().unwrap().referenced;
                let msg = format!(
                    "{what}.httpGet.scheme: Unsupported value: {other:?}: supported values: \"HTTP\", \"HTTPS\""
                );
                return Err(ctx.err_at(loc, msg, None));
            }
        };
        // SetDefaults_HTTPGetAction: an empty path is "/".
        let path = h.path.as_deref().filter(|p| !p.is_empty()).unwrap_or("/");
        let host = h.host.as_deref().filter(|s| !s.is_empty()).map(Into::into);
        return Ok(ProbeAction::HttpGet { scheme, host, port: port(ctx, &h.port, "httpGet.port")?, path: path.into() });
    }
    if let Some(t) = &p.tcp_socket {
        let host = t.host.as_deref().filter(|s| !s.is_empty()).map(Into::into);
        return Ok(ProbeAction::TcpSocket { host, port: port(ctx, &t.port, "tcpSocket.port")? });
    }
    if let Some(e) = &p.exec {
        if e.command.is_empty() {
            return Err(ctx.err_doc(
                format!("{what}.exec.command: Required value"),
                Some("give the command the kubelet runs in the container, e.g. command: [cat, /tmp/healthy]".into()),
            ));
        }
        return Ok(ProbeAction::Exec { command: e.command.clone().into() });
    }
    let g = p.grpc.as_ref().expect("one handler");
    if !(1..=65535).contains(&g.port.value) {
        let msg = format!("{what}.grpc.port: Invalid value: {}: must be between 1 and 65535, inclusive", g.port.value);
        return Err(ctx.err_at(g.port.referenced, msg, None));
    }
    Ok(ProbeAction::Grpc { port: g.port.value, service: g.service.as_deref().map(Into::into) })
}

fn handler_help() -> Option<String> {
    Some("give exactly one of httpGet, tcpSocket, exec or grpc".into())
}

/// A pod spec as every kind holds it: containers (init containers first), restart policy,
/// priority, affinity, spread constraints, tolerations.
pub(super) fn pod_spec(
    ctx: &mut Ctx,
    s: &PodSpecRaw,
    meta: &ObjectMeta,
    prefix: &str,
    image_id: &mut dyn FnMut(&str) -> (ImageId, Behavior),
) -> R<PodSpec> {
    ctx.warn_ignored(prefix, s.ignored_fields());
    if s.containers.is_empty() {
        return Err(ctx.err_doc(format!("{prefix}containers must list at least one container"), None));
    }
    let mut names = BTreeSet::new();
    let mut containers = Vec::new();
    let mut init_containers = Vec::new();
    let override_ = behavior_override(ctx, &meta.annotations)?;
    ctx.subject.labels = labels_of(meta);
    for (list, out, what, init) in [
        (&s.init_containers, &mut init_containers, "initContainers", true),
        (&s.containers, &mut containers, "containers", false),
    ] {
        for (i, c) in list.iter().enumerate() {
            let p = format!("{prefix}{what}[{i}].");
            if !names.insert(c.name.value.clone()) && is_dns_label(&c.name.value) {
                return Err(ctx.err_at(
                    c.name.referenced,
                    format!("container name {:?} is used twice", c.name.value),
                    None,
                ));
            }
            out.push(container(ctx, c, &p, init, override_.as_ref(), image_id)?);
        }
    }
    if s.host_network.unwrap_or(false) {
        // The API server's defaulting: on the host's network every container port is a host port.
        for p in containers.iter_mut().chain(init_containers.iter_mut()).flat_map(|c| c.ports.iter_mut()) {
            if p.3 == 0 {
                p.3 = p.1 as u16;
            }
        }
    }
    let restart_policy = match s.restart_policy.as_ref().map(|r| r.value.as_str()) {
        None | Some("Always") => RestartPolicy::Always,
        Some("OnFailure") => RestartPolicy::OnFailure,
        Some("Never") => RestartPolicy::Never,
        Some(o) => {
            return Err(ctx.err_at(
                s.restart_policy.as_ref().unwrap().referenced,
                format!("unknown restartPolicy {o:?}"),
                Some("use Always, OnFailure or Never".into()),
            ));
        }
    };
    let (priority, priority_class, preemption_policy) = resolve_priority(ctx, s)?;
    let affinity = match &s.affinity {
        Some(a) => Some(Box::new(affinity(ctx, a, prefix)?)),
        None => None,
    };
    let topology_spread =
        s.topology_spread_constraints.iter().map(|c| spread_constraint(ctx, c, prefix)).collect::<R<Vec<_>>>()?;
    let volumes = volumes(ctx, s, prefix)?;
    let service_account = s
        .service_account_name
        .as_ref()
        .or(s.service_account.as_ref())
        .filter(|n| !n.value.is_empty())
        .map(|n| Arc::from(n.value.as_str()));
    let pod_level = match &s.resources {
        Some(r) => Some(pod_level(ctx, r, prefix, &containers, &init_containers)?),
        None => None,
    };
    Ok(PodSpec {
        image_pull_secrets: (s.image_pull_secrets.iter())
            .filter_map(|r| r.name.as_deref())
            .filter(|n| !n.is_empty())
            .map(Arc::from)
            .collect(),
        readiness_gates: s.readiness_gates.iter().map(|g| Arc::from(g.condition_type.value.as_str())).collect(),
        host_ports: super::ports_finalizers::host_ports(ctx, s, prefix)?,
        finalizers: super::ports_finalizers::finalizers(ctx, meta, prefix)?,
        pod_level,
        volumes,
        service_account,
        host_network: s.host_network.unwrap_or(false),
        containers,
        init_containers,
        node_selector: Labels::from_pairs(s.node_selector.clone().into_iter().collect()),
        affinity_node: None,
        // An empty nodeName is unset, as the API server's defaulting leaves it: the pod is scheduled.
        node_name: s.node_name.as_ref().filter(|n| !n.value.is_empty()).map(|n| n.value.clone()),
        tolerations: tolerations(ctx, &s.tolerations)?,
        restart_policy,
        termination_grace_ms: s
            .termination_grace_period_seconds
            .unwrap_or(DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS)
            .saturating_mul(1000),
        priority,
        priority_class,
        preemption_policy,
        affinity,
        topology_spread,
    })
}

/// `spec.volumes` (names unique, one source each, as upstream validation) -> the ones whose
/// mount reads a ConfigMap or Secret; every container's `volumeMounts` must name one of them.
fn volumes(ctx: &mut Ctx, s: &PodSpecRaw, prefix: &str) -> R<Vec<VolumeSpec>> {
    let mut names = BTreeSet::new();
    let mut out = Vec::new();
    for (i, v) in s.volumes.iter().enumerate() {
        ctx.warn_ignored(&format!("{prefix}volumes[{i}]."), v.ignored_fields());
        if !names.insert(v.name.value.as_str()) {
            return Err(ctx.err_at(
                v.name.referenced,
                format!("{prefix}volumes[{i}].name: Duplicate value: {:?}", v.name.value),
                None,
            ));
        }
        let items = |items: &[KeyToPathRaw]| items.iter().map(|k| Arc::from(k.key.as_str())).collect::<Vec<_>>();
        let name_of = |n: &Option<String>| Arc::from(n.as_deref().unwrap_or(""));
        let mut sources = Vec::new();
        if let Some(c) = &v.config_map {
            sources.push(VolumeSource {
                kind: ConfigKind::ConfigMap,
                name: name_of(&c.name),
                keys: items(&c.items),
                optional: c.optional.unwrap_or(false),
            });
        }
        if let Some(c) = &v.secret {
            sources.push(VolumeSource {
                kind: ConfigKind::Secret,
                name: name_of(&c.secret_name),
                keys: items(&c.items),
                optional: c.optional.unwrap_or(false),
            });
        }
        for p in v.projected.iter().flat_map(|p| &p.sources) {
            for (kind, c) in [(ConfigKind::ConfigMap, &p.config_map), (ConfigKind::Secret, &p.secret)] {
                if let Some(c) = c {
                    sources.push(VolumeSource {
                        kind,
                        name: name_of(&c.name),
                        keys: items(&c.items),
                        optional: c.optional.unwrap_or(false),
                    });
                }
            }
        }
        if !sources.is_empty() {
            out.push(VolumeSpec { name: Arc::from(v.name.value.as_str()), sources });
        }
    }
    for (what, list) in [("initContainers", &s.init_containers), ("containers", &s.containers)] {
        for (ci, c) in list.iter().enumerate() {
            for (mi, m) in c.volume_mounts.iter().enumerate() {
                if !names.contains(m.name.value.as_str()) {
                    return Err(ctx.err_at(
                        m.name.referenced,
                        format!("{prefix}{what}[{ci}].volumeMounts[{mi}].name: Not found: {:?}", m.name.value),
                        Some("name one of the pod's spec.volumes".into()),
                    ));
                }
            }
        }
    }
    Ok(out)
}

/// A container's `env[].valueFrom` and `envFrom` references to ConfigMaps and Secrets.
/// `ports`: each `containerPort` 1-65535, as the API server validates it.
fn container_ports(ctx: &mut Ctx, c: &ContainerRaw, p: &str) -> R<Vec<crate::api::ContainerPort>> {
    let mut out = Vec::new();
    for (i, port) in c.ports.iter().enumerate() {
        ctx.warn_ignored(&format!("{p}ports[{i}]."), port.ignored_fields());
        let protocol = match port.protocol.as_deref() {
            None | Some("TCP") => "TCP",
            Some("UDP") => "UDP",
            Some("SCTP") => "SCTP",
            Some(other) => {
                let msg = format!(
                    "{p}ports[{i}].protocol: Unsupported value: {other:?}: supported values: \"SCTP\", \"TCP\", \"UDP\""
                );
                return Err(ctx.err_doc(msg, None));
            }
        };
        match port.container_port {
            Some(n) if (1..=65535).contains(&n) => {
                // The host port, checked with the pod's others (`ports_finalizers::host_ports`).
                let host = port.host_port.and_then(|h| u16::try_from(h).ok()).unwrap_or(0);
                out.push((port.name.as_deref().map(Arc::from), n, protocol, host))
            }
            _ => {
                return Err(ctx.err_doc(
                    format!("{p}ports[{i}].containerPort: must be between 1 and 65535, inclusive"),
                    Some("give the port the container listens on".into()),
                ));
            }
        }
    }
    Ok(out)
}

fn env_refs(c: &ContainerRaw) -> Vec<ConfigRef> {
    let mut out = Vec::new();
    let name_of = |n: &Option<String>| Arc::from(n.as_deref().unwrap_or(""));
    for e in &c.env {
        let Some(src) = &e.value_from else { continue };
        for (kind, r) in [(ConfigKind::ConfigMap, &src.config_map_key_ref), (ConfigKind::Secret, &src.secret_key_ref)] {
            if let Some(r) = r {
                out.push(ConfigRef {
                    kind,
                    name: name_of(&r.name),
                    key: Some(Arc::from(r.key.as_str())),
                    optional: r.optional.unwrap_or(false),
                });
            }
        }
    }
    for e in &c.env_from {
        for (kind, r) in [(ConfigKind::ConfigMap, &e.config_map_ref), (ConfigKind::Secret, &e.secret_ref)] {
            if let Some(r) = r {
                out.push(ConfigRef { kind, name: name_of(&r.name), key: None, optional: r.optional.unwrap_or(false) });
            }
        }
    }
    out
}

/// The pod's `kubesim.io/behavior` annotation: behaviour keys applied over every container's.
pub(super) fn behavior_override(ctx: &mut Ctx, annotations: &BTreeMap<String, String>) -> R<Option<BehaviorRaw>> {
    let Some(v) = annotations.get(BEHAVIOR_ANNOTATION) else { return Ok(None) };
    let b: BehaviorRaw = serde_saphyr::from_str(v).map_err(|e| {
        ctx.err_doc(
            format!("annotation {BEHAVIOR_ANNOTATION}: {}", strip_position(&e.without_snippet().to_string())),
            Some("the annotation holds behaviour keys as YAML, e.g. '{exit: {after: 30s, code: 1}}'".into()),
        )
    })?;
    check_behavior(ctx, &b)?;
    Ok(Some(b))
}

/// One container (`p` is its field path): name, sidecar restart policy, image and pull
/// policy, probes, preStop, resources.
fn container(
    ctx: &mut Ctx,
    c: &ContainerRaw,
    p: &str,
    init: bool,
    override_: Option<&BehaviorRaw>,
    image_id: &mut dyn FnMut(&str) -> (ImageId, Behavior),
) -> R<ContainerSpec> {
    ctx.warn_ignored(p, c.ignored_fields());
    if !is_dns_label(&c.name.value) {
        return Err(ctx.err_at(
            c.name.referenced,
            format!("container name {:?} is not a DNS label", c.name.value),
            None,
        ));
    }
    let sidecar = match &c.restart_policy {
        None => false,
        Some(rp) if init && rp.value == "Always" => true,
        Some(rp) => {
            return Err(ctx.err_at(
                rp.referenced,
                format!("{p}restartPolicy {:?} is not allowed", rp.value),
                Some("only init containers may set it, and only to Always (a sidecar container)".into()),
            ));
        }
    };
    let Some(image) = &c.image else {
        return Err(ctx.err_at(c.name.referenced, format!("container {:?} has no image", c.name.value), None));
    };
    let pull_policy = match c.image_pull_policy.as_ref().map(|p| p.value.as_str()) {
        None => PullPolicy::default_for(&image.value),
        Some("Always") => PullPolicy::Always,
        Some("IfNotPresent") => PullPolicy::IfNotPresent,
        Some("Never") => PullPolicy::Never,
        Some(o) => {
            return Err(ctx.err_at(
                c.image_pull_policy.as_ref().unwrap().referenced,
                format!("unknown imagePullPolicy {o:?}"),
                Some("use Always, IfNotPresent or Never".into()),
            ));
        }
    };
    let (image_id_, mut behavior) = image_id(&image.value);
    // The image's behaviour, then the first `spec.behaviors` rule that matches, then the pod's
    // annotation: the most specific word wins.
    if let Some(r) = ctx.matching_rule(&image.value, &c.name.value) {
        apply_behavior(&mut behavior, &r);
    }
    if let Some(o) = override_ {
        apply_behavior(&mut behavior, o);
    }
    let mut spec = ContainerSpec {
        readiness_probe: probe(ctx, &c.readiness_probe, &format!("{p}readinessProbe"), false)?,
        liveness_probe: probe(ctx, &c.liveness_probe, &format!("{p}livenessProbe"), true)?,
        startup_probe: probe(ctx, &c.startup_probe, &format!("{p}startupProbe"), true)?,
        pre_stop: c.lifecycle.as_ref().is_some_and(|l| l.pre_stop.is_some()),
        post_start: c.lifecycle.as_ref().is_some_and(|l| l.post_start.is_some()),
        sidecar,
        env_refs: env_refs(c),
        ports: container_ports(ctx, c, p)?,
        command: c.command.first().map(|s| s.as_str().into()),
        ..ContainerSpec::new(c.name.value.clone(), image_id_, pull_policy, behavior)
    };
    use crate::api::behavior::EntrypointFault;
    if matches!(behavior.entrypoint, Some(EntrypointFault::Missing | EntrypointFault::NotExecutable))
        && spec.command.is_none()
    {
        return Err(ctx.err_at(
            c.name.referenced,
            format!(
                "{p}: behavior entrypoint {} names the container's command, and it has none",
                behavior.entrypoint.map_or("", |e| e.word())
            ),
            Some("give the container the `command` the runtime cannot run, e.g. command: [/app/server]".into()),
        ));
    }
    if let Some(l) = &c.lifecycle {
        ctx.warn_ignored(&format!("{p}lifecycle."), l.ignored_fields());
    }
    if init
        && !sidecar
        && (spec.readiness_probe.is_some() || spec.liveness_probe.is_some() || spec.startup_probe.is_some())
    {
        return Err(ctx.err_at(
            c.name.referenced,
            format!("{p}: init containers may not have probes, unless they are sidecars (as upstream validation)"),
            None,
        ));
    }
    if let Some(r) = &c.resources {
        resources(ctx, r, p, c.name.referenced, &mut spec)?;
    }
    Ok(spec)
}

/// The amount a quantity gives one resource, in its unit (millicores for cpu, bytes,
/// a count for extended resources); `None` for a resource kubesim does not model.
fn resource_amount(ctx: &mut Ctx, name: &str, q: &Spanned<Qty>) -> R<Option<(ResourceName, u64)>> {
    let out_of_range = |ctx: &Ctx| ctx.err_at(q.referenced, format!("{name} quantity out of range"), None);
    let bytes = |ctx: &Ctx| q.value.0.value().map(|v| v as u64).ok_or_else(|| out_of_range(ctx));
    Ok(Some(match name {
        "cpu" => (ResourceName::Cpu, q.value.0.milli_value().ok_or_else(|| out_of_range(ctx))? as u64),
        "memory" => (ResourceName::Memory, bytes(ctx)?),
        "ephemeral-storage" => (ResourceName::Storage, bytes(ctx)?),
        other if other.contains('/') && !other.starts_with("kubernetes.io/") => {
            let i = ctx.extended_resource(other, q.referenced)?;
            let v = q
                .value
                .0
                .value()
                .filter(|_| q.value.0.milli_value().is_some_and(|m| m % 1000 == 0))
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(|| {
                    ctx.err_at(
                        q.referenced,
                        format!("{other} must be a whole number below 2^32 (extended resources are integers)"),
                        None,
                    )
                })?;
            (ResourceName::Extended(i), v as u64)
        }
        _ => return Ok(None),
    }))
}

/// A resource kubesim models.
#[derive(Clone, Copy)]
enum ResourceName {
    Cpu,
    Memory,
    Storage,
    Extended(usize),
}

/// `resources.requests` and `resources.limits`, each parsed the same way, then upstream's
/// defaulting (a limit without a request sets the request) and its check (request <= limit).
fn resources(ctx: &mut Ctx, r: &ResourcesRaw, p: &str, name_loc: Location, spec: &mut ContainerSpec) -> R<()> {
    ctx.warn_ignored(&format!("{p}resources."), r.ignored_fields());
    for (is_limit, map) in [(false, &r.requests), (true, &r.limits)] {
        for (k, q) in map {
            let Some((res, v)) = resource_amount(ctx, k, q)? else {
                let what = if is_limit { "limits" } else { "requests" };
                ctx.warn_at(
                    q.referenced,
                    format!("ignored: {p}resources.{what}.{k} (cpu, memory, ephemeral-storage and extended resources are modelled)"),
                );
                continue;
            };
            let (amounts, has_cpu, has_memory) = if is_limit {
                (&mut spec.limits, &mut spec.has_cpu_limit, &mut spec.has_memory_limit)
            } else {
                (&mut spec.requests, &mut spec.has_cpu_request, &mut spec.has_memory_request)
            };
            match res {
                ResourceName::Cpu => (amounts.cpu_milli, *has_cpu) = (v, true),
                ResourceName::Memory => (amounts.memory, *has_memory) = (v, true),
                ResourceName::Storage => amounts.storage = v,
                ResourceName::Extended(i) => amounts.ext[i] = v as u32,
            }
        }
    }
    // Upstream defaulting: a limit without a request sets the request.
    if spec.limits.storage > 0 && !r.requests.contains_key("ephemeral-storage") {
        spec.requests.storage = spec.limits.storage;
    }
    for i in 0..spec.limits.ext.len() {
        if spec.limits.ext[i] > 0 && spec.requests.ext[i] == 0 {
            spec.requests.ext[i] = spec.limits.ext[i];
        }
    }
    if spec.has_cpu_limit && !spec.has_cpu_request {
        spec.requests.cpu_milli = spec.limits.cpu_milli;
        spec.has_cpu_request = true;
    }
    if spec.has_memory_limit && !spec.has_memory_request {
        spec.requests.memory = spec.limits.memory;
        spec.has_memory_request = true;
    }
    for (res, req, lim, has) in [
        ("cpu", spec.requests.cpu_milli, spec.limits.cpu_milli, spec.has_cpu_limit),
        ("memory", spec.requests.memory, spec.limits.memory, spec.has_memory_limit),
    ] {
        if has && req > lim {
            let loc = r.requests.get(res).map(|q| q.referenced).unwrap_or(name_loc);
            return Err(ctx.err_at(
                loc,
                format!("{p}resources.requests.{res} must be less than or equal to the {res} limit"),
                None,
            ));
        }
    }
    Ok(())
}

/// Pod-level `resources` (cpu and memory only, as upstream validation): parsed as a container's,
/// then `defaultPodRequests` (a limit without a request: the containers' effective request if
/// one of them asks, else the limit) and `validatePodResourceConsistency` (at least what the
/// containers ask together).
fn pod_level(
    ctx: &mut Ctx,
    r: &ResourcesRaw,
    prefix: &str,
    containers: &[ContainerSpec],
    inits: &[ContainerSpec],
) -> R<PodLevelResources> {
    let p = format!("{prefix}resources");
    for (what, map) in [("requests", &r.requests), ("limits", &r.limits)] {
        if let Some((k, q)) = map.iter().find(|(k, _)| !matches!(k.as_str(), "cpu" | "memory")) {
            let msg = format!("{p}.{what}[{k}]: Unsupported value: {k:?}: supported values: \"cpu\", \"memory\"");
            return Err(ctx.err_at(q.referenced, msg, Some("pod-level resources take cpu and memory only".into())));
        }
    }
    let mut scratch = ContainerSpec::new("", ImageId(0), PullPolicy::IfNotPresent, Behavior::default());
    let name_loc = r.requests.values().chain(r.limits.values()).next().map(|q| q.referenced);
    let Some(name_loc) = name_loc else { return Ok(PodLevelResources::default()) };
    resources(ctx, r, &format!("{p}."), name_loc, &mut scratch)?;
    let all = || containers.iter().chain(inits);
    let sum = PodSpec { containers: containers.to_vec(), init_containers: inits.to_vec(), ..PodSpec::of(Vec::new()) }
        .requests();
    let mut out = PodLevelResources {
        requests: scratch.requests,
        limits: scratch.limits,
        has_cpu_request: scratch.has_cpu_request,
        has_memory_request: scratch.has_memory_request,
        has_cpu_limit: scratch.has_cpu_limit,
        has_memory_limit: scratch.has_memory_limit,
    };
    if !r.requests.contains_key("cpu") && out.has_cpu_limit && all().any(|c| c.has_cpu_request) {
        out.requests.cpu_milli = sum.cpu_milli;
    }
    if !r.requests.contains_key("memory") && out.has_memory_limit && all().any(|c| c.has_memory_request) {
        out.requests.memory = sum.memory;
    }
    for (res, has, pod, containers) in [
        ("cpu", out.has_cpu_request, out.requests.cpu_milli, sum.cpu_milli),
        ("memory", out.has_memory_request, out.requests.memory, sum.memory),
    ] {
        if has && pod < containers {
            let loc = r.requests.get(res).or(r.limits.get(res)).map_or(name_loc, |q| q.referenced);
            let msg = format!(
                "{p}.requests[{res}]: must be greater than or equal to aggregate container requests of {}",
                if res == "cpu" { format!("{containers}m") } else { crate::api::quantity::format_bytes(containers) }
            );
            return Err(ctx.err_at(loc, msg, None));
        }
    }
    Ok(out)
}

/// `tolerations`: operator Equal (default) or Exists, an effect or all effects.
fn tolerations(ctx: &mut Ctx, raw: &[TolerationRaw]) -> R<Vec<Toleration>> {
    let mut out = Vec::new();
    for t in raw {
        let op = match t.operator.as_ref().map(|o| o.value.as_str()) {
            None | Some("Equal") => TolerationOp::Equal,
            Some("Exists") => TolerationOp::Exists,
            Some(o) => {
                return Err(ctx.err_at(
                    t.operator.as_ref().unwrap().referenced,
                    format!("unknown toleration operator {o:?}"),
                    Some("use Equal or Exists".into()),
                ));
            }
        };
        let effect = match &t.effect {
            None => None,
            Some(e) if e.value.is_empty() => None,
            Some(e) => Some(effect(ctx, e)?),
        };
        out.push(Toleration {
            key: t.key.clone().unwrap_or_default(),
            op,
            value: t.value.clone().unwrap_or_default(),
            effect,
            toleration_seconds: t.toleration_seconds,
        });
    }
    Ok(out)
}

pub(super) fn preemption_policy(ctx: &Ctx, p: &Option<Spanned<String>>) -> R<Option<PreemptionPolicy>> {
    match p {
        None => Ok(None),
        Some(v) if v.value == "PreemptLowerPriority" => Ok(Some(PreemptionPolicy::PreemptLowerPriority)),
        Some(v) if v.value == "Never" => Ok(Some(PreemptionPolicy::Never)),
        Some(v) => Err(ctx.err_at(
            v.referenced,
            format!("unknown preemptionPolicy {:?}", v.value),
            Some("use PreemptLowerPriority or Never".into()),
        )),
    }
}

/// Admission (`Priority` plugin): the class named, else the global default, else 0.
pub(super) fn resolve_priority(ctx: &Ctx, s: &PodSpecRaw) -> R<(i32, Option<String>, PreemptionPolicy)> {
    let own = preemption_policy(ctx, &s.preemption_policy)?;
    let class = match &s.priority_class_name {
        Some(n) => match ctx.priority_classes.iter().find(|c| c.name == n.value) {
            Some(c) => Some(c),
            None => {
                let known: Vec<&str> = ctx.priority_classes.iter().map(|c| c.name.as_str()).collect();
                return Err(ctx.err_at(
                    n.referenced,
                    format!("no PriorityClass with name {:?} was found", n.value),
                    Some(format!("define it in the scenario (kind: PriorityClass); known: {}", known.join(", "))),
                ));
            }
        },
        None => ctx.priority_classes.iter().find(|c| c.global_default),
    };
    Ok(match class {
        Some(c) => (c.value, Some(c.name.clone()), own.unwrap_or(c.preemption_policy)),
        None => (s.priority.unwrap_or(0), None, own.unwrap_or_default()),
    })
}

pub(super) fn node_selector_term(ctx: &Ctx, t: &NodeSelectorTermRaw, what: &str) -> R<NodeSelectorTerm> {
    let req = |r: &NodeSelectorRequirementRaw, field: bool| -> R<NodeSelectorRequirement> {
        let op = match r.operator.value.as_str() {
            "In" => NodeSelectorOp::In,
            "NotIn" => NodeSelectorOp::NotIn,
            "Exists" => NodeSelectorOp::Exists,
            "DoesNotExist" => NodeSelectorOp::DoesNotExist,
            "Gt" => NodeSelectorOp::Gt,
            "Lt" => NodeSelectorOp::Lt,
            o => {
                return Err(ctx.err_at(
                    r.operator.referenced,
                    format!("{what}: unknown operator {o:?}"),
                    Some("use In, NotIn, Exists, DoesNotExist, Gt or Lt".into()),
                ));
            }
        };
        let n = r.values.len();
        let bad = match op {
            NodeSelectorOp::In | NodeSelectorOp::NotIn => (n == 0).then_some("needs at least one value"),
            NodeSelectorOp::Exists | NodeSelectorOp::DoesNotExist => (n != 0).then_some("takes no values"),
            NodeSelectorOp::Gt | NodeSelectorOp::Lt => {
                (n != 1 || r.values[0].parse::<i64>().is_err()).then_some("takes exactly one integer value")
            }
        };
        if let Some(b) = bad {
            return Err(ctx.err_at(r.operator.referenced, format!("{what}: operator {} {b}", r.operator.value), None));
        }
        if field && r.key.value != "metadata.name" {
            return Err(ctx.err_at(
                r.key.referenced,
                format!("{what}: matchFields supports only the key metadata.name"),
                None,
            ));
        }
        Ok(NodeSelectorRequirement { key: r.key.value.clone(), op, values: r.values.clone() })
    };
    let e = t.match_expressions.iter().map(|r| req(r, false)).collect::<R<Vec<_>>>()?;
    let f = t.match_fields.iter().map(|r| req(r, true)).collect::<R<Vec<_>>>()?;
    Ok(NodeSelectorTerm::new(e, f))
}

pub(super) fn pod_affinity_term(ctx: &mut Ctx, t: &PodAffinityTermRaw, what: &str) -> R<PodAffinityTerm> {
    ctx.warn_ignored(&format!("{what}."), t.ignored_fields());
    if t.topology_key.value.is_empty() {
        return Err(ctx.err_at(t.topology_key.referenced, format!("{what}.topologyKey must not be empty"), None));
    }
    // A term without a selector selects no pod (as upstream).
    let selector = match &t.label_selector {
        Some(sel) => any_selector(ctx, sel)?,
        None => LabelSelector {
            match_labels: vec![],
            match_expressions: vec![Requirement { key: "kubesim.io/never".into(), op: SelectorOp::In, values: vec![] }],
        },
    };
    Ok(PodAffinityTerm { selector, namespaces: t.namespaces.clone(), topology_key: t.topology_key.value.clone() })
}

pub(super) fn weight(ctx: &Ctx, w: &Spanned<i32>, what: &str) -> R<i32> {
    if !(1..=100).contains(&w.value) {
        return Err(ctx.err_at(w.referenced, format!("{what}.weight must be between 1 and 100"), None));
    }
    Ok(w.value)
}

pub(super) fn affinity(ctx: &mut Ctx, a: &AffinityRaw, prefix: &str) -> R<Affinity> {
    let mut out = Affinity::default();
    if let Some(na) = &a.node_affinity {
        let what = format!("{prefix}affinity.nodeAffinity");
        if let Some(r) = &na.required_during_scheduling_ignored_during_execution {
            if r.value.node_selector_terms.is_empty() {
                return Err(ctx.err_at(r.referenced, format!("{what}: nodeSelectorTerms must not be empty"), None));
            }
            let terms =
                r.value.node_selector_terms.iter().map(|t| node_selector_term(ctx, t, &what)).collect::<R<_>>()?;
            out.node_required = Some(terms);
        }
        for p in &na.preferred_during_scheduling_ignored_during_execution {
            out.node_preferred.push((weight(ctx, &p.weight, &what)?, node_selector_term(ctx, &p.preference, &what)?));
        }
    }
    for (anti, pa) in [(false, &a.pod_affinity), (true, &a.pod_anti_affinity)] {
        let Some(pa) = pa else { continue };
        let what = format!("{prefix}affinity.{}", if anti { "podAntiAffinity" } else { "podAffinity" });
        let mut req = Vec::new();
        for t in &pa.required_during_scheduling_ignored_during_execution {
            req.push(pod_affinity_term(ctx, t, &what)?);
        }
        let mut pref = Vec::new();
        for w in &pa.preferred_during_scheduling_ignored_during_execution {
            pref.push((weight(ctx, &w.weight, &what)?, pod_affinity_term(ctx, &w.pod_affinity_term, &what)?));
        }
        if anti {
            (out.pod_anti_affinity_required, out.pod_anti_affinity_preferred) = (req, pref);
        } else {
            (out.pod_affinity_required, out.pod_affinity_preferred) = (req, pref);
        }
    }
    Ok(out)
}

pub(super) fn spread_constraint(
    ctx: &mut Ctx,
    c: &TopologySpreadConstraintRaw,
    prefix: &str,
) -> R<TopologySpreadConstraint> {
    let what = format!("{prefix}topologySpreadConstraints");
    if c.max_skew.value < 1 {
        return Err(ctx.err_at(c.max_skew.referenced, format!("{what}: maxSkew must be at least 1"), None));
    }
    let when_unsatisfiable = match c.when_unsatisfiable.value.as_str() {
        "DoNotSchedule" => WhenUnsatisfiable::DoNotSchedule,
        "ScheduleAnyway" => WhenUnsatisfiable::ScheduleAnyway,
        o => {
            return Err(ctx.err_at(
                c.when_unsatisfiable.referenced,
                format!("{what}: unknown whenUnsatisfiable {o:?}"),
                Some("use DoNotSchedule or ScheduleAnyway".into()),
            ));
        }
    };
    if let Some(m) = &c.min_domains {
        if m.value < 1 {
            return Err(ctx.err_at(m.referenced, format!("{what}: minDomains must be at least 1"), None));
        }
        if when_unsatisfiable != WhenUnsatisfiable::DoNotSchedule {
            return Err(ctx.err_at(
                m.referenced,
                format!("{what}: minDomains needs whenUnsatisfiable: DoNotSchedule"),
                None,
            ));
        }
    }
    let policy = |p: &Option<Spanned<String>>, default: bool| -> R<bool> {
        match p {
            None => Ok(default),
            Some(v) if v.value == "Honor" => Ok(true),
            Some(v) if v.value == "Ignore" => Ok(false),
            Some(v) => Err(ctx.err_at(v.referenced, format!("{what}: policy must be Honor or Ignore"), None)),
        }
    };
    let honor_node_affinity = policy(&c.node_affinity_policy, true)?;
    let honor_node_taints = policy(&c.node_taints_policy, false)?;
    let selector = match &c.label_selector {
        Some(sel) => any_selector(ctx, sel)?,
        None => LabelSelector {
            match_labels: vec![],
            match_expressions: vec![Requirement { key: "kubesim.io/never".into(), op: SelectorOp::In, values: vec![] }],
        },
    };
    Ok(TopologySpreadConstraint {
        max_skew: c.max_skew.value,
        topology_key: c.topology_key.value.clone(),
        when_unsatisfiable,
        selector,
        min_domains: c.min_domains.as_ref().map(|m| m.value),
        honor_node_affinity,
        honor_node_taints,
        match_label_keys: c.match_label_keys.clone(),
    })
}

/// A label selector where an empty one is allowed (it selects every pod).
pub(super) fn any_selector(ctx: &Ctx, s: &Spanned<LabelSelectorRaw>) -> R<LabelSelector> {
    if s.value.match_labels.is_empty() && s.value.match_expressions.is_empty() {
        return Ok(LabelSelector::default());
    }
    selector(ctx, s)
}
