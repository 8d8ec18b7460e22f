//! The Scenario document's own settings: name, duration, sampling, variants, PriorityClasses,
//! the image catalogue, the registry, `spec.kubernetes` and the scheduler's configuration.

use super::*;

/// The Scenario document (exactly one) and its name, a DNS label.
pub(super) fn scenario_document(ctx: &mut Ctx, scenario: Option<(ScenarioDoc, At)>) -> R<(ScenarioDoc, At)> {
    let Some((doc, line)) = scenario else {
        ctx.doc_line = 1;
        return Err(Box::new(ctx.src.error(
            0,
            0,
            "no `kind: Scenario` document",
            Some(
                "add a Scenario document (apiVersion: kubesim.io/v1alpha1) with metadata.name and spec.duration".into(),
            ),
        )));
    };
    ctx.goto(line);
    let name = &doc.metadata.name;
    if !is_dns_label(&name.value) {
        return Err(ctx.err_at(
            name.referenced,
            format!("metadata.name {:?} is not a DNS label", name.value),
            Some(
                "use lowercase letters, digits and '-' (at most 63), e.g. `node-crash`; it names the output folder"
                    .into(),
            ),
        ));
    }
    Ok((doc, line))
}

/// `spec.duration` and `spec.sampleInterval`, both positive.
pub(super) fn timing(ctx: &mut Ctx, spec: &ScenarioSpec) -> R<Timing> {
    let duration = spec.duration.value.0;
    if duration == 0 {
        return Err(ctx.err_at(
            spec.duration.referenced,
            "spec.duration must be positive",
            Some("e.g. `duration: 10m`".into()),
        ));
    }
    let sample = spec.sample_interval.as_ref().map_or(DEFAULT_SAMPLE_INTERVAL_MS, |s| s.value.0);
    let sample_loc = spec.sample_interval.as_ref().map_or(spec.duration.referenced, |s| s.referenced);
    if sample == 0 {
        return Err(ctx.err_at(
            sample_loc,
            "spec.sampleInterval must be positive",
            Some("e.g. `sampleInterval: 5s`".into()),
        ));
    }
    Ok(Timing { duration, sample, sample_loc })
}

/// How a variant's own `expect:` travels among its changes: it replaces the base's.
pub const VARIANT_EXPECT: &str = "spec.expect=";

/// `spec.variants`: names are DNS labels other than the output folders kubesim writes.
pub(super) fn variants(ctx: &mut Ctx, spec: &ScenarioSpec) -> R<Vec<(String, Vec<String>)>> {
    let mut variants = Vec::new();
    if let Some(v) = &spec.variants {
        for x in &v.value {
            let n = &x.name;
            if !is_dns_label(&n.value) || matches!(n.value.as_str(), "base" | "compare" | "charts") {
                return Err(ctx.err_at(
                    n.referenced,
                    format!("variant name {:?} must be a DNS label other than base, compare and charts", n.value),
                    Some("it names the variant's output folder".into()),
                ));
            }
            if variants.iter().any(|(m, _): &(String, Vec<String>)| *m == n.value) {
                return Err(ctx.err_at(n.referenced, format!("variant {:?} is defined twice", n.value), None));
            }
            let mut sets: Vec<String> = x.set.iter().map(|(k, v)| format!("{k}={}", v.inline())).collect();
            if let Some(e) = &x.expect {
                // Last, so that it wins over a `set` of the same path.
                sets.push(format!("{VARIANT_EXPECT}{}", e.inline()));
            }
            variants.push((n.value.clone(), sets));
        }
    }
    Ok(variants)
}

/// PriorityClasses first: pods name them (the two system classes exist already).
pub(super) fn priority_classes(ctx: &mut Ctx, raw: &[(PriorityClassManifest, At)]) -> R<()> {
    ctx.priority_classes = vec![
        PriorityClass {
            name: crate::api::SYSTEM_CLUSTER_CRITICAL.0.into(),
            value: crate::api::SYSTEM_CLUSTER_CRITICAL.1,
            global_default: false,
            preemption_policy: PreemptionPolicy::PreemptLowerPriority,
        },
        PriorityClass {
            name: crate::api::SYSTEM_NODE_CRITICAL.0.into(),
            value: crate::api::SYSTEM_NODE_CRITICAL.1,
            global_default: false,
            preemption_policy: PreemptionPolicy::PreemptLowerPriority,
        },
    ];
    for (m, line) in raw {
        ctx.goto(*line);
        ctx.warn_meta("metadata.", &m.metadata);
        let Some(name) = &m.metadata.name else {
            return Err(ctx.err_doc("PriorityClass: metadata.name is required", None));
        };
        if ctx.priority_classes.iter().any(|c| c.name == name.value) {
            return Err(ctx.err_at(name.referenced, format!("PriorityClass {:?} is defined twice", name.value), None));
        }
        if name.value.starts_with("system-") {
            return Err(ctx.err_at(
                name.referenced,
                "PriorityClass names starting with \"system-\" are reserved (as upstream validation)",
                None,
            ));
        }
        let Some(v) = &m.value else {
            return Err(ctx.err_doc(format!("PriorityClass {}: value is required", name.value), None));
        };
        if v.value > crate::api::HIGHEST_USER_DEFINABLE_PRIORITY as i64 || v.value < i32::MIN as i64 {
            return Err(ctx.err_at(
                v.referenced,
                format!(
                    "value must be at most {} (HighestUserDefinablePriority)",
                    crate::api::HIGHEST_USER_DEFINABLE_PRIORITY
                ),
                None,
            ));
        }
        if m.global_default && ctx.priority_classes.iter().any(|c| c.global_default) {
            return Err(ctx.err_doc("only one PriorityClass may be globalDefault", None));
        }
        let preemption_policy = preemption_policy(ctx, &m.preemption_policy)?.unwrap_or_default();
        ctx.priority_classes.push(PriorityClass {
            name: name.value.clone(),
            value: v.value as i32,
            global_default: m.global_default,
            preemption_policy,
        });
    }
    Ok(())
}

/// `spec.images`: the catalogue; any other image a manifest or pool names joins it later.
pub(super) fn image_catalogue(ctx: &mut Ctx, spec: &ScenarioSpec) -> R<Vec<ImageDef>> {
    let mut images: Vec<ImageDef> = Vec::new();
    for im in &spec.images {
        if images.iter().any(|i| crate::api::image::same(&i.name, &im.name.value)) {
            return Err(ctx.err_at(im.name.referenced, format!("image {:?} is listed twice", im.name.value), None));
        }
        let b = &im.behavior;
        check_behavior(ctx, b)?;
        let size = match im.size {
            Some(q) => {
                q.0.value()
                    .filter(|&v| v >= 0)
                    .ok_or_else(|| ctx.err_at(im.name.referenced, "image size out of range", None))?
                    as u64
            }
            None => DEFAULT_IMAGE_SIZE,
        };
        images.push(ImageDef {
            name: im.name.value.clone(),
            size,
            behavior: {
                let mut x = Behavior::default();
                apply_behavior(&mut x, b);
                x
            },
        });
    }
    Ok(images)
}

/// `spec.registry`: bandwidths and latency.
pub(super) fn registry(ctx: &mut Ctx, spec: &ScenarioSpec) -> R<RegistryDef> {
    let default = RegistryRaw::default();
    let reg = spec.registry.as_ref().unwrap_or(&default);
    let bw = |q: &Option<Spanned<Qty>>, default: u64, field: &str| -> R<u64> {
        match q {
            None => Ok(default),
            Some(s) => match s.value.0.value() {
                Some(v) if v > 0 => Ok(v as u64),
                _ => Err(ctx.err_at(
                    s.referenced,
                    format!("registry.{field} must be a positive number of bytes per second"),
                    Some("e.g. 100Mi".into()),
                )),
            },
        }
    };
    let registry = RegistryDef {
        bandwidth: bw(&reg.bandwidth, DEFAULT_REGISTRY_BANDWIDTH, "bandwidth")?,
        node_bandwidth: bw(&reg.node_bandwidth, DEFAULT_NODE_BANDWIDTH, "nodeBandwidth")?,
        latency_ms: reg.latency.map_or(DEFAULT_REGISTRY_LATENCY_MS, |l| l.0),
    };

    Ok(registry)
}

/// `clusterCIDR` and `nodeCIDRMaskSize`, checked as kube-controller-manager checks them.
fn network(ctx: &mut Ctx, k: &KubernetesRaw, out: &mut KubeSettings) -> R<()> {
    if let Some(c) = &k.cluster_cidr {
        out.cluster_cidr = crate::api::network::Cidr::parse(c.value.trim()).map_err(|e| {
            ctx.err_at(c.referenced, format!("kubernetes.clusterCIDR: {e}"), Some("e.g. 10.244.0.0/16".into()))
        })?;
    }
    if let Some(m) = &k.node_cidr_mask_size {
        out.node_cidr_mask_size = m.value;
    }

    if let Err(e) = crate::controller::nodeipam::CidrSet::new(out.cluster_cidr, out.node_cidr_mask_size) {
        let at = k.node_cidr_mask_size.as_ref().map(|m| m.referenced);
        let at = at.or(k.cluster_cidr.as_ref().map(|c| c.referenced)).expect("the defaults fit");
        return Err(ctx.err_at(at, format!("kubernetes: {e}"), Some("e.g. nodeCIDRMaskSize: 24".into())));
    }
    if out.node_cidr_mask_size > 30 {
        let m = k.node_cidr_mask_size.as_ref().expect("the default is 24");
        return Err(ctx.err_at(
            m.referenced,
            "kubernetes.nodeCIDRMaskSize leaves a node no address for pods (host-local keeps the network, gateway and broadcast addresses)",
            Some("use 30 or less, e.g. 24".into()),
        ));
    }
    Ok(())
}

/// `spec.kubernetes`: the release whose defaults apply, then each override.
pub(super) fn kubernetes(ctx: &mut Ctx, spec: &ScenarioSpec) -> R<KubeSettings> {
    let mut kubernetes = KubeSettings::default();
    if let Some(k) = &spec.kubernetes {
        if let Some(v) = &k.version {
            kubernetes.version = parse_version(&v.value)
                .filter(|&v| v >= OLDEST_KUBERNETES_VERSION && v <= DEFAULT_KUBERNETES_VERSION)
                .ok_or_else(|| {
                    ctx.err_at(
                        v.referenced,
                        format!("kubernetes.version {:?} is not a release kubesim knows", v.value),
                        Some(format!(
                            "use a version from {}.{} to {}.{}, e.g. \"1.31\"",
                            OLDEST_KUBERNETES_VERSION.0,
                            OLDEST_KUBERNETES_VERSION.1,
                            DEFAULT_KUBERNETES_VERSION.0,
                            DEFAULT_KUBERNETES_VERSION.1
                        )),
                    )
                })?;
            // Defaults that changed between releases (the README's version table).
            if kubernetes.version_before(1, 32) {
                kubernetes.node_monitor_grace_period_ms = NODE_MONITOR_GRACE_PERIOD_MS_BEFORE_1_32;
            }
        }
        if let Some(w) = k.watch_latency {
            kubernetes.watch_latency_ms = w.0;
        }
        let rate = |v: &Option<Spanned<f64>>, name: &str, max: f64| -> R<Option<f64>> {
            match v {
                Some(s) if !(s.value >= 0.0 && s.value <= max) => {
                    Err(ctx.err_at(s.referenced, format!("kubernetes.{name} must be between 0 and {max}"), None))
                }
                Some(s) => Ok(Some(s.value)),
                None => Ok(None),
            }
        };
        if let Some(v) = rate(&k.node_eviction_rate, "nodeEvictionRate", 1000.0)? {
            kubernetes.node_eviction_rate = v;
        }
        if let Some(v) = rate(&k.secondary_node_eviction_rate, "secondaryNodeEvictionRate", 1000.0)? {
            kubernetes.secondary_node_eviction_rate = v;
        }
        if let Some(v) = rate(&k.unhealthy_zone_threshold, "unhealthyZoneThreshold", 1.0)? {
            kubernetes.unhealthy_zone_threshold = v;
        }
        if let Some(v) = k.large_cluster_size_threshold {
            kubernetes.large_cluster_size_threshold = v;
        }
        let positive = |v: &Option<Spanned<u32>>, name: &str| -> R<Option<u32>> {
            match v {
                Some(s) if s.value == 0 => {
                    Err(ctx.err_at(s.referenced, format!("kubernetes.{name} must be positive"), None))
                }
                Some(s) => Ok(Some(s.value)),
                None => Ok(None),
            }
        };
        if let Some(v) = positive(&k.node_lease_duration_seconds, "nodeLeaseDurationSeconds")? {
            kubernetes.node_lease_duration_seconds = v;
        }
        if let Some(v) = positive(&k.pod_initial_backoff_seconds, "podInitialBackoffSeconds")? {
            kubernetes.pod_initial_backoff_ms = v as u64 * 1000;
        }
        if let Some(v) = positive(&k.pod_max_backoff_seconds, "podMaxBackoffSeconds")? {
            kubernetes.pod_max_backoff_ms = v as u64 * 1000;
        }
        if kubernetes.pod_max_backoff_ms < kubernetes.pod_initial_backoff_ms {
            let loc =
                k.pod_max_backoff_seconds.as_ref().or(k.pod_initial_backoff_seconds.as_ref()).map(|s| s.referenced);
            return Err(match loc {
                Some(l) => ctx.err_at(l, "podMaxBackoffSeconds must be >= podInitialBackoffSeconds", None),
                None => ctx.err_doc("podMaxBackoffSeconds must be >= podInitialBackoffSeconds", None),
            });
        }
        if let Some(v) = k.node_monitor_grace_period {
            kubernetes.node_monitor_grace_period_ms = v.0;
        }
        if let Some(v) = k.default_not_ready_toleration_seconds {
            kubernetes.default_not_ready_toleration_seconds = v as i64;
        }
        if let Some(v) = k.default_unreachable_toleration_seconds {
            kubernetes.default_unreachable_toleration_seconds = v as i64;
        }
        if let Some(v) = k.serialize_image_pulls {
            kubernetes.serialize_image_pulls = v;
        }
        if let Some(m) = &k.max_parallel_image_pulls {
            if kubernetes.serialize_image_pulls && m.value > 1 {
                return Err(ctx.err_at(
                    m.referenced,
                    "maxParallelImagePulls needs serializeImagePulls: false (as the kubelet's validation)",
                    Some("set `serializeImagePulls: false`".into()),
                ));
            }
            if m.value == 0 {
                return Err(ctx.err_at(m.referenced, "maxParallelImagePulls must be at least 1", None));
            }
            kubernetes.max_parallel_image_pulls = Some(m.value);
        }
        if let Some(v) = k.pod_max_in_unschedulable_pods_duration {
            kubernetes.pod_max_in_unschedulable_ms = v.0;
        }
        if let Some(v) = k.shutdown_grace_period {
            kubernetes.shutdown_grace_period_ms = v.0;
        }
        if let Some(v) = k.shutdown_grace_period_critical_pods {
            kubernetes.shutdown_grace_period_critical_pods_ms = v.0;
        }
        if kubernetes.shutdown_grace_period_critical_pods_ms > kubernetes.shutdown_grace_period_ms {
            return Err(ctx.err_doc(
                "kubernetes.shutdownGracePeriodCriticalPods must be <= shutdownGracePeriod (as the kubelet's validation)",
                Some("the critical pods' share is part of shutdownGracePeriod".into()),
            ));
        }
        network(ctx, k, &mut kubernetes)?;
        eviction(ctx, k, &mut kubernetes)?;
    }

    Ok(kubernetes)
}

/// kubelet `evictionHard` (a map that replaces the defaults: a signal it leaves out has no
/// threshold) and the nodes' `pid_max`.
fn eviction(ctx: &mut Ctx, k: &KubernetesRaw, out: &mut KubeSettings) -> R<()> {
    use crate::api::settings::{EvictionHard, Threshold};
    if let Some(m) = &k.pid_max {
        if !(1024..=crate::api::settings::DEFAULT_PID_MAX).contains(&m.value) {
            let msg = "kubernetes.pidMax must be from 1024 to 4194304 (the kernel's PID_MAX_LIMIT)";
            return Err(ctx.err_at(m.referenced, msg, None));
        }
        out.pid_max = m.value;
    }
    let Some(map) = &k.eviction_hard else { return Ok(()) };
    let mut hard = EvictionHard { memory_available: None, nodefs_available: None, pid_available: None };
    for (signal, v) in &map.value {
        let threshold = if let Some(p) = v.value.strip_suffix('%') {
            match p.parse::<f32>() {
                // 0% and 100% switch the signal off, as the kubelet's `parseThresholdStatement`.
                Ok(p) if p == 0.0 || p == 100.0 => None,
                Ok(p) if (0.0..=100.0).contains(&p) => Some(Threshold::Percent(p / 100.0)),
                _ => {
                    let msg = format!("evictionHard {signal}: percentage {:?} must be from 0% to 100%", v.value);
                    return Err(ctx.err_at(v.referenced, msg, None));
                }
            }
        } else {
            match crate::api::quantity::Quantity::parse(&v.value).ok().and_then(|q| q.value()) {
                Some(q) if q >= 0 => Some(Threshold::Quantity(q as u64)),
                _ => {
                    let msg = format!("evictionHard {signal}: {:?} is not a quantity or a percentage", v.value);
                    return Err(ctx.err_at(v.referenced, msg, Some("e.g. `100Mi` or `10%`".into())));
                }
            }
        };
        match signal.as_str() {
            "memory.available" => hard.memory_available = threshold,
            "nodefs.available" => hard.nodefs_available = threshold,
            "pid.available" => hard.pid_available = threshold,
            "nodefs.inodesFree"
            | "imagefs.available"
            | "imagefs.inodesFree"
            | "containerfs.available"
            | "containerfs.inodesFree"
            | "allocatableMemory.available" => {
                ctx.warn_at(v.referenced, format!("evictionHard {signal} is not modelled: no threshold on it"));
            }
            other => {
                let msg = format!("evictionHard: unknown eviction signal {other:?}");
                let help = "use memory.available, nodefs.available or pid.available (or nodefs.inodesFree, imagefs.available, imagefs.inodesFree)";
                return Err(ctx.err_at(map.referenced, msg, Some(help.into())));
            }
        }
    }
    out.eviction_hard = hard;
    Ok(())
}

/// `spec.kubernetes.scheduler`, with the extended resource names the manifests used.
pub(super) fn scheduler(ctx: &mut Ctx, spec: &ScenarioSpec) -> R<crate::scheduler::SchedulerConfig> {
    let mut scheduler = crate::scheduler::SchedulerConfig::default();
    if let Some(r) = spec.kubernetes.as_ref().and_then(|k| k.scheduler.as_ref()) {
        scheduler_config(ctx, r, &mut scheduler)?;
    }
    scheduler.extended_resources = ctx.extended_resources.clone();
    Ok(scheduler)
}

/// `spec.kubernetes.scheduler`: percentageOfNodesToScore, the NodeResourcesFit scoring
/// strategy (validated as kube-scheduler validates its args), the attempt latency.
pub(super) fn scheduler_config(ctx: &mut Ctx, r: &SchedulerRaw, out: &mut crate::scheduler::SchedulerConfig) -> R<()> {
    use crate::scheduler::plugins::noderesources::{Res, ResourceSpec, Strategy};
    if let Some(p) = &r.percentage_of_nodes_to_score {
        if p.value > 100 {
            return Err(ctx.err_at(p.referenced, "percentageOfNodesToScore must be between 0 and 100", None));
        }
        out.percentage_of_nodes_to_score = Some(p.value);
    }
    if let Some(l) = r.attempt_latency {
        out.attempt_latency_ms = l.0;
    }
    let Some(st) = &r.scoring_strategy else { return Ok(()) };
    if !st.resources.is_empty() {
        let mut v = Vec::new();
        for (i, rs) in st.resources.iter().enumerate() {
            if !(1..=100).contains(&rs.weight.value) {
                return Err(ctx.err_at(
                    rs.weight.referenced,
                    format!("scoringStrategy.resources[{i}].weight must be between 1 and 100"),
                    None,
                ));
            }
            let res = match rs.name.value.as_str() {
                "cpu" => Res::Cpu,
                "memory" => Res::Memory,
                "ephemeral-storage" => Res::Storage,
                other if other.contains('/') => Res::Ext(ctx.extended_resource(other, rs.name.referenced)?),
                other => {
                    return Err(ctx.err_at(
                        rs.name.referenced,
                        format!("scoringStrategy: unknown resource {other:?}"),
                        Some("use cpu, memory, ephemeral-storage or an extended resource (domain/name)".into()),
                    ));
                }
            };
            v.push(ResourceSpec { res, weight: rs.weight.value });
        }
        out.resources = v;
    }
    out.strategy = match st.kind.value.as_str() {
        "LeastAllocated" => Strategy::LeastAllocated,
        "MostAllocated" => Strategy::MostAllocated,
        "RequestedToCapacityRatio" => {
            let Some(p) = &st.requested_to_capacity_ratio else {
                return Err(ctx.err_at(
                    st.kind.referenced,
                    "RequestedToCapacityRatio needs requestedToCapacityRatio.shape",
                    Some("e.g. shape: [{utilization: 0, score: 0}, {utilization: 100, score: 10}]".into()),
                ));
            };
            if p.shape.is_empty() {
                return Err(ctx.err_at(st.kind.referenced, "requestedToCapacityRatio.shape must not be empty", None));
            }
            let mut pts = Vec::new();
            for (i, sp) in p.shape.iter().enumerate() {
                if !(0..=100).contains(&sp.utilization.value) {
                    return Err(ctx.err_at(
                        sp.utilization.referenced,
                        "shape utilization must be between 0 and 100",
                        None,
                    ));
                }
                if !(0..=10).contains(&sp.score.value) {
                    return Err(ctx.err_at(sp.score.referenced, "shape score must be between 0 and 10", None));
                }
                if i > 0 && sp.utilization.value <= pts.last().map_or(-1, |x: &(i64, i64)| x.0) {
                    return Err(ctx.err_at(
                        sp.utilization.referenced,
                        "shape utilization values must be in increasing order",
                        None,
                    ));
                }
                pts.push((sp.utilization.value, sp.score.value));
            }
            Strategy::RequestedToCapacityRatio(crate::scheduler::plugins::helper::scale_shape(&pts))
        }
        o => {
            return Err(ctx.err_at(
                st.kind.referenced,
                format!("unknown scoringStrategy type {o:?}"),
                Some("use LeastAllocated, MostAllocated or RequestedToCapacityRatio".into()),
            ));
        }
    };
    Ok(())
}

/// "1.31", "v1.31" or "1.31.4" -> (1, 31).
pub(super) fn parse_version(s: &str) -> Option<(u32, u32)> {
    let s = s.trim().strip_prefix('v').unwrap_or(s.trim());
    let mut it = s.split('.');
    let major = it.next()?.parse().ok()?;
    let minor = it.next()?.parse().ok()?;
    match it.next() {
        None => {}
        Some(patch) => {
            patch.parse::<u32>().ok()?;
        }
    }
    if it.next().is_some() {
        return None;
    }
    Some((major, minor))
}

/// The kinds a `spec.behaviors` rule may name in `match.workload`.
const BEHAVIOR_WORKLOAD_KINDS: &[&str] =
    &["pod", "deployment", "replicaset", "statefulset", "daemonset", "job", "cronjob"];

/// `spec.behaviors`: each rule matches on something, names a known kind, and its behaviour
/// makes sense. Kept in `ctx` for the pod specs that follow.
pub(super) fn behaviors(ctx: &mut Ctx, spec: &ScenarioSpec) -> R<()> {
    for r in &spec.behaviors {
        let m = &r.value.match_;
        if m.workload.is_none()
            && m.image.is_none()
            && m.selector.is_none()
            && m.namespace.is_none()
            && m.container.is_none()
        {
            return Err(ctx.err_at(
                r.referenced,
                "spec.behaviors: `match` names nothing",
                Some("match on workload (job/pi), image, selector (labels), namespace or container".into()),
            ));
        }
        if let Some(w) = &m.workload {
            let ok = w.value.split_once('/').is_some_and(|(k, n)| {
                BEHAVIOR_WORKLOAD_KINDS.contains(&k.to_ascii_lowercase().as_str()) && !n.is_empty()
            });
            if !ok {
                return Err(ctx.err_at(
                    w.referenced,
                    format!("spec.behaviors: match.workload {:?} is not KIND/NAME", w.value),
                    Some(format!("e.g. job/pi; kinds: {}", BEHAVIOR_WORKLOAD_KINDS.join(", "))),
                ));
            }
        }
        check_behavior(ctx, &r.value.behavior)?;
        ctx.behaviors.push((r.value.clone(), r.referenced, false));
    }
    Ok(())
}

/// A `spec.behaviors` rule that matched no container does nothing: say so.
pub(super) fn unused_behaviors(ctx: &mut Ctx) {
    let unused: Vec<Location> = ctx.behaviors.iter().filter(|r| !r.2).map(|r| r.1).collect();
    for loc in unused {
        ctx.warn_at(loc, "spec.behaviors: this rule matches no container; it will do nothing");
    }
}
