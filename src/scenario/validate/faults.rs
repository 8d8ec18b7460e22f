//! `spec.faults`: each entry checked against what the scenario defines, into the fault plan.

use super::*;

/// Every `spec.faults` entry, in order.
pub(super) fn faults(ctx: &mut Ctx, model: &mut Model, spec: &ScenarioSpec, duration: u64) -> R<()> {
    for f in &spec.faults {
        match &f.value {
            FaultRaw::PodKill(k) | FaultRaw::PodFailure(k) | FaultRaw::ContainerKill(k) => {
                pod_action(ctx, model, f, k, duration)?
            }
            FaultRaw::NodeCordon(t) | FaultRaw::NodeUncordon(t) => cordon(ctx, model, f, t, spec, duration)?,
            FaultRaw::TaintNode(t) | FaultRaw::UntaintNode(t) => taint(ctx, model, f, t, spec, duration)?,
            FaultRaw::NodeCrash(t) | FaultRaw::NodeRestart(t) | FaultRaw::NodeShutdown(t) => {
                crash(ctx, model, f, t, spec)?
            }
            FaultRaw::NodeMemoryHog(t) => memory_hog(ctx, model, f, t, spec)?,
            FaultRaw::DiskFill(t) => disk_fill(ctx, model, f, t, spec)?,
            FaultRaw::PidExhaustion(t) => pid_exhaustion(ctx, model, f, t, spec)?,
            FaultRaw::RegistryOutage(r) | FaultRaw::RegistrySlow(r) | FaultRaw::ImageMissing(r) => {
                registry(ctx, model, f, r, duration)?
            }
            FaultRaw::NodeDrain(t) => drain(ctx, model, f, t, spec)?,
            FaultRaw::ZoneOutage(z) => zone_outage(ctx, model, z)?,
            FaultRaw::NetworkPartition(t) | FaultRaw::KubeletServiceKill(t) => {
                partition_or_kubelet_kill(ctx, model, f, t, spec)?
            }
            FaultRaw::ContainerRuntimeDown(t) | FaultRaw::CniDown(t) => runtime_down(ctx, model, f, t, spec)?,
            FaultRaw::ApiserverOutage(r) => apiserver_outage(ctx, model, f, r)?,
            FaultRaw::AddNodes(a) => add_nodes(ctx, model, f, a)?,
            FaultRaw::DeleteNode(t) => delete_node(ctx, model, f, t, spec)?,
            FaultRaw::SetImage(r) | FaultRaw::RolloutRestart(r) => rollout(ctx, model, f, r, duration)?,
            FaultRaw::Scale(r) => scale(ctx, model, r)?,
            FaultRaw::Apply(r) => super::apply::apply(ctx, model, f, r)?,
            FaultRaw::Delete(r) => super::apply::delete(ctx, model, r)?,
            FaultRaw::RemoveFinalizers(r) => super::apply::remove_finalizers(ctx, model, r)?,
        }
    }
    Ok(())
}

pub(super) fn pod_action(
    ctx: &mut Ctx,
    model: &mut Model,
    f: &Spanned<FaultRaw>,
    k: &PodKillRaw,
    duration: u64,
) -> R<()> {
    let Model { pods, replicasets, deployments, statefulsets, daemonsets, jobs, nodes, faults, .. } = model;
    let action = match &f.value {
        FaultRaw::PodKill(_) => "pod-kill",
        FaultRaw::PodFailure(_) => "pod-failure",
        _ => "container-kill",
    };
    let allowed = match action {
        "pod-kill" => k.duration.is_none() && k.containers.is_none(),
        "pod-failure" => k.grace_period.is_none() && k.containers.is_none(),
        _ => k.grace_period.is_none() && k.duration.is_none() && k.containers.is_some(),
    };
    if !allowed {
        let want = match action {
            "pod-kill" => "{at, namespace, selector, mode, value, gracePeriod}",
            "pod-failure" => "{at, namespace, selector, mode, value, duration}",
            _ => "{at, namespace, selector, mode, value, containers: [NAME, ...]}",
        };
        return Err(ctx.err_at(f.referenced, format!("{action} takes {want}"), None));
    }
    let mode = match k.mode.as_ref().map(|m| m.value.as_str()) {
        None | Some("all") => PodMode::All,
        Some("one") => PodMode::One,
        Some(m @ ("fixed" | "fixed-percent")) => {
            let Some(v) = &k.value else {
                return Err(ctx.err_at(
                    f.referenced,
                    format!("mode {m} needs a `value`"),
                    Some("e.g. `value: \"2\"`".into()),
                ));
            };
            let n: u32 =
                v.value.trim().parse().map_err(|_| {
                    ctx.err_at(v.referenced, format!("value {:?} is not a whole number", v.value), None)
                })?;
            if m == "fixed" {
                PodMode::Fixed(n)
            } else if n > 100 {
                return Err(ctx.err_at(v.referenced, "fixed-percent value must be 0..100", None));
            } else {
                PodMode::FixedPercent(n)
            }
        }
        Some(other) => {
            let loc = k.mode.as_ref().unwrap().referenced;
            return Err(ctx.err_at(
                loc,
                format!("unknown mode {other:?}"),
                Some("use one, all, fixed or fixed-percent".into()),
            ));
        }
    };
    let selector = LabelSelector { match_labels: k.selector.clone().into_iter().collect(), match_expressions: vec![] };
    let namespace = k.namespace.clone().unwrap_or_else(|| "default".into());
    // Any pod the scenario can have: its Pods, static pods' mirror pods, every workload's template.
    let matches_something = pods.iter().any(|p| p.namespace == namespace && selector.matches(&p.labels))
        || nodes.iter().flat_map(|n| &n.static_pods).any(|p| p.namespace == namespace && selector.matches(&p.labels))
        || replicasets
            .iter()
            .chain(deployments.iter())
            .chain(statefulsets.iter())
            .chain(daemonsets.iter())
            .any(|w| w.namespace == namespace && selector.matches(&w.template.labels))
        || jobs.iter().any(|j| j.namespace == namespace && selector.matches(&j.template.labels));
    if !matches_something {
        ctx.warn_at(f.referenced, format!("{action}: the selector matches no pod or pod template; it will do nothing"));
    }
    if k.at.0 > duration {
        ctx.warn_at(f.referenced, format!("{action}: `at` is after spec.duration; it will never happen"));
    }
    let at = SimTime(k.at.0);
    let target = PodTarget { namespace, selector, mode };
    faults.push(match action {
        "pod-kill" => FaultDef::PodKill { at, target, grace_ms: k.grace_period.map(|s| s.saturating_mul(1000)) },
        "pod-failure" => FaultDef::PodFailure { at, until: k.duration.map(|d| at.plus(d.0)), target },
        _ => {
            let names: Vec<String> = k.containers.iter().flatten().map(|c| c.value.clone()).collect();
            if names.is_empty() {
                return Err(ctx.err_at(f.referenced, "container-kill needs at least one container name", None));
            }
            FaultDef::ContainerKill { at, target, containers: names }
        }
    });
    Ok(())
}

pub(super) fn cordon(
    ctx: &mut Ctx,
    model: &mut Model,
    f: &Spanned<FaultRaw>,
    t: &NodeTargetRaw,
    spec: &ScenarioSpec,
    duration: u64,
) -> R<()> {
    let Model { nodes, faults, .. } = model;
    no_drain_fields(ctx, f, t)?;
    let cordon = matches!(&f.value, FaultRaw::NodeCordon(_));
    let action = if cordon { "node-cordon" } else { "node-uncordon" };
    if t.memory.is_some() || t.size.is_some() || t.processes.is_some() || t.duration.is_some() || t.downtime.is_some() {
        return Err(ctx.err_at(
            f.referenced,
            format!("{action} takes no `memory`, `duration` or `downtime`"),
            Some("cordon with one action and uncordon with another".into()),
        ));
    }
    let nodes = node_targets(ctx, t, f.referenced, action, nodes, &spec.node_pools)?;
    if t.at_ms() > duration {
        ctx.warn_at(f.referenced, format!("{action}: `at` is after spec.duration; it will never happen"));
    }
    faults.push(FaultDef::NodeCordon { at: SimTime(t.at_ms()), nodes, cordon });
    Ok(())
}

/// `taint-node` / `untaint-node`: a key, and for `taint-node` an effect.
fn taint(
    ctx: &mut Ctx,
    model: &mut Model,
    f: &Spanned<FaultRaw>,
    t: &TaintNodeRaw,
    spec: &ScenarioSpec,
    duration: u64,
) -> R<()> {
    let add = matches!(&f.value, FaultRaw::TaintNode(_));
    let action = if add { "taint-node" } else { "untaint-node" };
    let effect = match &t.effect {
        None if add => {
            return Err(ctx.err_at(
                f.referenced,
                format!("{action} needs an `effect`"),
                Some("use NoSchedule, PreferNoSchedule or NoExecute".into()),
            ));
        }
        None => None,
        Some(e) => Some(super::effect(ctx, e)?),
    };
    if t.key.value.is_empty() {
        return Err(ctx.err_at(
            t.key.referenced,
            format!("{action}: the taint's `key` is empty"),
            Some("name the taint's key, e.g. key: dedicated".into()),
        ));
    }
    let target = NodeTargetRaw {
        at: Some(t.at),
        mtbf: None,
        mttr: None,
        nodes: t.nodes.clone(),
        pool: t.pool.clone(),
        node_selector: t.node_selector.clone(),
        memory: None,
        size: None,
        processes: None,
        duration: None,
        downtime: None,
        force: None,
        grace_period: None,
    };
    let nodes = node_targets(ctx, &target, f.referenced, action, &model.nodes, &spec.node_pools)?;
    if t.at.0 > duration {
        ctx.warn_at(f.referenced, format!("{action}: `at` is after spec.duration; it will never happen"));
    }
    let (key, value) = (t.key.value.clone(), t.value.clone().unwrap_or_default());
    model.faults.push(FaultDef::Taint { at: SimTime(t.at.0), nodes, key, value, effect, add });
    Ok(())
}

pub(super) fn crash(
    ctx: &mut Ctx,
    model: &mut Model,
    f: &Spanned<FaultRaw>,
    t: &NodeTargetRaw,
    spec: &ScenarioSpec,
) -> R<()> {
    let Model { nodes, faults, .. } = model;
    no_drain_fields(ctx, f, t)?;
    let restart = matches!(&f.value, FaultRaw::NodeRestart(_));
    let shutdown = matches!(&f.value, FaultRaw::NodeShutdown(_));
    let action = match (restart, shutdown) {
        (true, _) => "node-restart",
        (_, true) => "node-shutdown",
        _ => "node-crash",
    };
    if t.memory.is_some()
        || t.size.is_some()
        || t.processes.is_some()
        || (restart && t.duration.is_some())
        || (!restart && t.downtime.is_some())
    {
        let want = if restart {
            "{at, nodes | pool | nodeSelector, downtime}"
        } else {
            "{at, nodes | pool | nodeSelector, duration}"
        };
        return Err(ctx.err_at(f.referenced, format!("{action} takes {want}"), None));
    }
    let targets = node_targets(ctx, t, f.referenced, action, nodes, &spec.node_pools)?;
    let at = SimTime(t.at_ms());
    if let Some(r) =
        random_failures(ctx, t, if restart { RandomAction::Restart } else { RandomAction::Crash }, &targets)?
    {
        if (restart && t.downtime.is_some()) || (!restart && t.duration.is_some()) {
            return Err(ctx.err_at(
                f.referenced,
                format!("{action} with `mtbf` takes its downtimes from `mttr`"),
                None,
            ));
        }
        faults.push(r);
        return Ok(());
    }
    let until = if restart {
        // A reboot: down for `downtime` (default 1m), then back.
        Some(at.plus(t.downtime.map_or(DEFAULT_NODE_RESTART_DOWNTIME_MS, |d| d.0)))
    } else {
        t.duration.map(|d| at.plus(d.0))
    };
    faults.push(FaultDef::NodeCrash { at, until, nodes: targets, graceful: shutdown });
    Ok(())
}

pub(super) fn memory_hog(
    ctx: &mut Ctx,
    model: &mut Model,
    f: &Spanned<FaultRaw>,
    t: &NodeTargetRaw,
    spec: &ScenarioSpec,
) -> R<()> {
    let Model { nodes, faults, .. } = model;
    no_drain_fields(ctx, f, t)?;
    if t.downtime.is_some() || t.size.is_some() || t.processes.is_some() {
        return Err(ctx.err_at(
            f.referenced,
            "node-memory-hog takes {at, nodes | pool | nodeSelector, memory, duration}",
            None,
        ));
    }
    let Some(mem) = &t.memory else {
        return Err(ctx.err_at(f.referenced, "node-memory-hog needs `memory`", Some("e.g. `memory: 2Gi`".into())));
    };
    let bytes = mem
        .value
        .0
        .value()
        .filter(|&v| v > 0)
        .ok_or_else(|| ctx.err_at(mem.referenced, "node-memory-hog memory must be positive and below 8Ei", None))?
        as u64;
    let targets = node_targets(ctx, t, f.referenced, "node-memory-hog", nodes, &spec.node_pools)?;
    let at = SimTime(t.at_ms());
    faults.push(FaultDef::NodeMemoryHog { at, until: t.duration.map(|d| at.plus(d.0)), nodes: targets, bytes });
    Ok(())
}

pub(super) fn registry(
    ctx: &mut Ctx,
    model: &mut Model,
    f: &Spanned<FaultRaw>,
    r: &RegistryFaultRaw,
    duration: u64,
) -> R<()> {
    let Model { images, faults, .. } = model;
    let at = SimTime(r.at.0);
    let until = r.duration.map(|d| at.plus(d.0));
    let (kind, needs_factor, needs_image) = match &f.value {
        FaultRaw::RegistryOutage(_) => ("registry-outage", false, false),
        FaultRaw::RegistrySlow(_) => ("registry-slow", true, false),
        _ => ("image-missing", false, true),
    };
    if r.factor.is_some() != needs_factor || r.image.is_some() != needs_image {
        let want = if needs_factor {
            "{at, factor, duration}"
        } else if needs_image {
            "{at, image, duration}"
        } else {
            "{at, duration}"
        };
        return Err(ctx.err_at(f.referenced, format!("{kind} takes {want}"), None));
    }
    if r.at.0 > duration {
        ctx.warn_at(f.referenced, format!("{kind}: `at` is after spec.duration; it will never happen"));
    }
    faults.push(match &f.value {
        FaultRaw::RegistryOutage(_) => FaultDef::RegistryOutage { at, until },
        FaultRaw::RegistrySlow(_) => {
            let factor = r.factor.as_ref().expect("checked above");
            if factor.value < 1 {
                return Err(ctx.err_at(factor.referenced, "registry-slow factor must be at least 1", None));
            }
            FaultDef::RegistrySlow { at, until, factor: factor.value }
        }
        _ => {
            let name = r.image.as_ref().expect("checked above");
            let Some(i) = images.iter().position(|i| crate::api::image::same(&i.name, &name.value)) else {
                return Err(ctx.err_at(
                    name.referenced,
                    format!(
                        "image-missing names image {:?}, which no node pool, catalogue entry or manifest uses",
                        name.value
                    ),
                    None,
                ));
            };
            FaultDef::ImageMissing { at, until, image: ImageId(i as u32) }
        }
    });
    Ok(())
}

pub(super) fn drain(
    ctx: &mut Ctx,
    model: &mut Model,
    f: &Spanned<FaultRaw>,
    t: &NodeTargetRaw,
    spec: &ScenarioSpec,
) -> R<()> {
    let Model { nodes, faults, .. } = model;
    if t.memory.is_some() || t.size.is_some() || t.processes.is_some() || t.duration.is_some() || t.downtime.is_some() {
        return Err(ctx.err_at(
            f.referenced,
            "node-drain takes {at, nodes | pool | nodeSelector, force, gracePeriod}",
            Some("uncordon later with a node-uncordon action".into()),
        ));
    }
    let targets = node_targets(ctx, t, f.referenced, "node-drain", nodes, &spec.node_pools)?;
    faults.push(FaultDef::NodeDrain {
        at: SimTime(t.at_ms()),
        nodes: targets,
        force: t.force.unwrap_or(false),
        grace_ms: t.grace_period.map(|g| g.saturating_mul(1000)),
    });
    Ok(())
}

pub(super) fn zone_outage(ctx: &mut Ctx, model: &mut Model, z: &ZoneOutageRaw) -> R<()> {
    let Model { nodes, faults, .. } = model;
    let label = crate::controller::nodelifecycle::LABEL_ZONE;
    let targets: Vec<crate::api::NodeId> = (0..nodes.len())
        .filter(|&i| nodes[i].labels.get(label) == Some(z.zone.value.as_str()))
        .map(|i| crate::api::NodeId(i as u32))
        .collect();
    if targets.is_empty() {
        let mut zones: Vec<&str> = nodes.iter().filter_map(|n| n.labels.get(label)).collect();
        zones.sort();
        zones.dedup();
        return Err(ctx.err_at(
            z.zone.referenced,
            format!("zone-outage: no node has the label {label}={}", z.zone.value),
            Some(if zones.is_empty() {
                format!("label a node pool, e.g. `labels: {{{label}: zone-a}}`")
            } else {
                format!("zones: {}", zones.join(", "))
            }),
        ));
    }
    let at = SimTime(z.at.0);
    faults.push(FaultDef::NodeCrash { at, until: z.duration.map(|d| at.plus(d.0)), nodes: targets, graceful: false });
    Ok(())
}

pub(super) fn partition_or_kubelet_kill(
    ctx: &mut Ctx,
    model: &mut Model,
    f: &Spanned<FaultRaw>,
    t: &NodeTargetRaw,
    spec: &ScenarioSpec,
) -> R<()> {
    let Model { nodes, faults, .. } = model;
    let partition = matches!(&f.value, FaultRaw::NetworkPartition(_));
    let action = if partition { "network-partition" } else { "kubelet-service-kill" };
    if t.memory.is_some() || t.size.is_some() || t.processes.is_some() || t.downtime.is_some() || t.has_drain_fields() {
        return Err(ctx.err_at(
            f.referenced,
            format!("{action} takes {{at, nodes | pool | nodeSelector, duration}}"),
            None,
        ));
    }
    let nodes = node_targets(ctx, t, f.referenced, action, nodes, &spec.node_pools)?;
    let kind = if partition { RandomAction::Partition } else { RandomAction::KubeletKill };
    if let Some(r) = random_failures(ctx, t, kind, &nodes)? {
        if t.duration.is_some() {
            return Err(ctx.err_at(
                f.referenced,
                format!("{action} with `mtbf` takes its durations from `mttr`"),
                None,
            ));
        }
        faults.push(r);
        return Ok(());
    }
    let at = SimTime(t.at_ms());
    let until = t.duration.map(|d| at.plus(d.0));
    faults.push(if partition {
        FaultDef::NetworkPartition { at, until, nodes }
    } else {
        FaultDef::KubeletKill { at, until, nodes }
    });
    Ok(())
}

/// A node fault that takes its nodes, `at` and `duration` (and its own field): no random
/// failures, memory, downtime or drain fields.
fn only_at_and_duration(ctx: &mut Ctx, f: &Spanned<FaultRaw>, t: &NodeTargetRaw, what: &str) -> R<()> {
    if t.memory.is_some() || t.downtime.is_some() || t.has_drain_fields() || t.mtbf.is_some() || t.mttr.is_some() {
        return Err(ctx.err_at(f.referenced, what.to_string(), None));
    }
    Ok(())
}

/// `disk-fill: {at, nodes | pool | nodeSelector, size, duration}`: only on nodes whose disk is
/// modelled (their capacity declares ephemeral-storage).
pub(super) fn disk_fill(
    ctx: &mut Ctx,
    model: &mut Model,
    f: &Spanned<FaultRaw>,
    t: &NodeTargetRaw,
    spec: &ScenarioSpec,
) -> R<()> {
    let Model { nodes, faults, .. } = model;
    let what = "disk-fill takes {at, nodes | pool | nodeSelector, size, duration}";
    only_at_and_duration(ctx, f, t, what)?;
    if t.processes.is_some() {
        return Err(ctx.err_at(f.referenced, what, None));
    }
    let Some(size) = &t.size else {
        return Err(ctx.err_at(f.referenced, "disk-fill needs `size`", Some("e.g. `size: 90Gi`".into())));
    };
    let bytes = (size.value.0.value().filter(|&v| v > 0))
        .ok_or_else(|| ctx.err_at(size.referenced, "disk-fill size must be positive and below 8Ei", None))?
        as u64;
    let targets = node_targets(ctx, t, f.referenced, "disk-fill", nodes, &spec.node_pools)?;
    if let Some(n) = targets.iter().find(|n| nodes[n.idx()].capacity.storage == 0) {
        let msg =
            format!("disk-fill targets node {:?}, whose capacity declares no ephemeral-storage", nodes[n.idx()].name);
        let help = "give its pool a disk, e.g. `capacity: {cpu: \"4\", memory: 16Gi, ephemeral-storage: 100Gi}`";
        return Err(ctx.err_at(f.referenced, msg, Some(help.into())));
    }
    let at = SimTime(t.at_ms());
    faults.push(FaultDef::DiskFill { at, until: t.duration.map(|d| at.plus(d.0)), nodes: targets, bytes });
    Ok(())
}

/// `pid-exhaustion: {at, nodes | pool | nodeSelector, processes, duration}`: `processes` a
/// count or a share of `pid_max` (`100%`: nothing can fork).
pub(super) fn pid_exhaustion(
    ctx: &mut Ctx,
    model: &mut Model,
    f: &Spanned<FaultRaw>,
    t: &NodeTargetRaw,
    spec: &ScenarioSpec,
) -> R<()> {
    use crate::scenario::raw::IntOrString;
    let what = "pid-exhaustion takes {at, nodes | pool | nodeSelector, processes, duration}";
    only_at_and_duration(ctx, f, t, what)?;
    if t.size.is_some() {
        return Err(ctx.err_at(f.referenced, what, None));
    }
    let help = Some("a count or a share of the node's pid_max, e.g. `processes: 100%`".to_string());
    let Some(p) = &t.processes else {
        return Err(ctx.err_at(f.referenced, "pid-exhaustion needs `processes`", help));
    };
    let max = model.kubernetes.pid_max;
    let processes = match &p.value {
        IntOrString::Int(n) if *n > 0 => (*n as u64).min(max),
        IntOrString::Str(s) => match s.strip_suffix('%').and_then(|v| v.parse::<u64>().ok()) {
            Some(pct) if (1..=100).contains(&pct) => max * pct / 100,
            _ => {
                return Err(ctx.err_at(
                    p.referenced,
                    format!("pid-exhaustion processes {s:?} is not a share from 1% to 100%"),
                    help,
                ));
            }
        },
        IntOrString::Int(n) => {
            return Err(ctx.err_at(p.referenced, format!("pid-exhaustion processes {n} must be positive"), help));
        }
    };
    let targets = node_targets(ctx, t, f.referenced, "pid-exhaustion", &model.nodes, &spec.node_pools)?;
    let at = SimTime(t.at_ms());
    let until = t.duration.map(|d| at.plus(d.0));
    model.faults.push(FaultDef::PidExhaustion { at, until, nodes: targets, processes });
    Ok(())
}

/// `container-runtime-down` / `cni-down: {at, nodes | pool | nodeSelector, duration}`.
pub(super) fn runtime_down(
    ctx: &mut Ctx,
    model: &mut Model,
    f: &Spanned<FaultRaw>,
    t: &NodeTargetRaw,
    spec: &ScenarioSpec,
) -> R<()> {
    let Model { nodes, faults, .. } = model;
    let cni = matches!(f.value, FaultRaw::CniDown(_));
    let action = if cni { "cni-down" } else { "container-runtime-down" };
    let what = format!("{action} takes {{at, nodes | pool | nodeSelector, duration}}");
    only_at_and_duration(ctx, f, t, &what)?;
    if t.size.is_some() || t.processes.is_some() {
        return Err(ctx.err_at(f.referenced, what, None));
    }
    let Some(at) = t.at else {
        return Err(ctx.err_at(f.referenced, format!("{action} needs `at`"), Some("e.g. `at: 1m`".into())));
    };
    let nodes = node_targets(ctx, t, f.referenced, action, nodes, &spec.node_pools)?;
    let (at, until) = (SimTime(at.0), t.duration.map(|d| SimTime(at.0).plus(d.0)));
    faults.push(if cni { FaultDef::CniDown { at, until, nodes } } else { FaultDef::RuntimeDown { at, until, nodes } });
    Ok(())
}

pub(super) fn apiserver_outage(ctx: &mut Ctx, model: &mut Model, f: &Spanned<FaultRaw>, r: &RegistryFaultRaw) -> R<()> {
    let Model { faults, .. } = model;
    if r.factor.is_some() || r.image.is_some() {
        return Err(ctx.err_at(f.referenced, "apiserver-outage takes {at, duration}", None));
    }
    let at = SimTime(r.at.0);
    faults.push(FaultDef::ApiserverOutage { at, until: r.duration.map(|d| at.plus(d.0)) });
    Ok(())
}

pub(super) fn add_nodes(ctx: &mut Ctx, model: &mut Model, f: &Spanned<FaultRaw>, a: &AddNodesRaw) -> R<()> {
    let Model { node_names, pool_templates, faults, .. } = model;
    let Some(k) = pool_templates.iter().position(|p| p.0 == a.pool.value) else {
        let known: Vec<&str> = pool_templates.iter().map(|p| p.0.as_str()).collect();
        return Err(ctx.err_at(
            a.pool.referenced,
            format!("add-nodes names pool {:?}, which spec.nodePools does not define", a.pool.value),
            Some(format!("defined pools: {} (a pool may have count: 0)", known.join(", "))),
        ));
    };
    if a.count == 0 || a.count > 100_000 {
        return Err(ctx.err_at(f.referenced, "add-nodes count must be 1..100000", None));
    }
    let (pool, next, template) = &mut pool_templates[k];
    let mut new_nodes = Vec::new();
    for i in *next..*next + a.count {
        let name = format!("{pool}-{i}");
        if !node_names.insert(name.clone()) {
            return Err(ctx.err_at(f.referenced, format!("add-nodes: node {name:?} already exists"), None));
        }
        new_nodes.push(super::nodes::pool_node(template, name));
    }
    *next += a.count;
    faults.push(FaultDef::AddNodes { at: SimTime(a.at.0), nodes: new_nodes });
    Ok(())
}

pub(super) fn delete_node(
    ctx: &mut Ctx,
    model: &mut Model,
    f: &Spanned<FaultRaw>,
    t: &NodeTargetRaw,
    spec: &ScenarioSpec,
) -> R<()> {
    let Model { nodes, faults, .. } = model;
    no_drain_fields(ctx, f, t)?;
    if t.memory.is_some() || t.size.is_some() || t.processes.is_some() || t.duration.is_some() || t.downtime.is_some() {
        return Err(ctx.err_at(f.referenced, "delete-node takes {at, nodes | pool | nodeSelector}", None));
    }
    let targets = node_targets(ctx, t, f.referenced, "delete-node", nodes, &spec.node_pools)?;
    faults.push(FaultDef::DeleteNode { at: SimTime(t.at_ms()), nodes: targets });
    Ok(())
}

pub(super) fn rollout(
    ctx: &mut Ctx,
    model: &mut Model,
    f: &Spanned<FaultRaw>,
    r: &SetImageRaw,
    duration: u64,
) -> R<()> {
    let Model { images, deployments, daemonsets, faults, .. } = model;
    let set_image = matches!(&f.value, FaultRaw::SetImage(_));
    let action = if set_image { "set-image" } else { "rollout-restart" };
    let ns = r.namespace.clone().unwrap_or_else(|| "default".into());
    let (kind, list, wanted) = match (&r.deployment, &r.daemonset) {
        (Some(d), None) => ("deployment", &deployments, d),
        (None, Some(d)) => ("daemonset", &daemonsets, d),
        _ => {
            return Err(ctx.err_at(
                f.referenced,
                format!("{action} needs exactly one of `deployment` and `daemonset`"),
                Some("e.g. `deployment: web`".into()),
            ));
        }
    };
    let Some(di) = list.iter().position(|d| d.name == wanted.value && d.namespace == ns) else {
        let known: Vec<String> = list.iter().map(|d| format!("{}/{}", d.namespace, d.name)).collect();
        return Err(ctx.err_at(
            wanted.referenced,
            format!("{action} names {kind} {ns}/{}, which the scenario does not define", wanted.value),
            Some(if known.is_empty() {
                format!("define the {kind} first")
            } else {
                format!("defined: {}", known.join(", "))
            }),
        ));
    };
    let deployment = if kind == "deployment" {
        RolloutTarget::Deployment(crate::api::DeployId(di as u32))
    } else {
        RolloutTarget::DaemonSet(crate::api::DsId(di as u32))
    };
    let at = SimTime(r.at.0);
    if r.at.0 > duration {
        ctx.warn_at(f.referenced, format!("{action}: `at` is after spec.duration; it will never happen"));
    }
    if !set_image {
        if r.container.is_some() || r.image.is_some() {
            return Err(ctx.err_at(f.referenced, "rollout-restart takes {at, deployment, namespace}", None));
        }
        faults.push(FaultDef::RolloutRestart { at, deployment });
        return Ok(());
    }
    let (Some(cname), Some(image)) = (&r.container, &r.image) else {
        return Err(ctx.err_at(
            f.referenced,
            "set-image needs `container` and `image`",
            Some("e.g. `set-image: {at: 2m, deployment: web, container: app, image: web:v2}`".into()),
        ));
    };
    let spec = &list[di].template.spec;
    let found = spec
        .containers
        .iter()
        .position(|c| c.name == cname.value)
        .map(|i| (false, i))
        .or_else(|| spec.init_containers.iter().position(|c| c.name == cname.value).map(|i| (true, i)));
    let Some((init, container)) = found else {
        let names: Vec<&str> =
            spec.init_containers.iter().chain(spec.containers.iter()).map(|c| c.name.as_str()).collect();
        return Err(ctx.err_at(
            cname.referenced,
            format!("{kind} {} has no container {:?}", wanted.value, cname.value),
            Some(format!("its containers: {}", names.join(", "))),
        ));
    };
    if image.value.trim().is_empty() {
        return Err(ctx.err_at(image.referenced, "set-image: the image name is empty", None));
    }
    let img = match images.iter().position(|i| crate::api::image::same(&i.name, &image.value)) {
        Some(i) => ImageId(i as u32),
        None => {
            images.push(ImageDef {
                name: image.value.clone(),
                size: DEFAULT_IMAGE_SIZE,
                behavior: Behavior::default(),
            });
            ImageId(images.len() as u32 - 1)
        }
    };
    // The new image's behaviour, then the first matching `spec.behaviors` rule, then the
    // template's annotation: what a pod of the new template would get at load time.
    let w = &list[di];
    let mut behavior = images[img.idx()].behavior;
    ctx.subject = Subject {
        workload: format!("{kind}/{}", w.name),
        namespace: w.namespace.clone(),
        labels: (*w.template.labels).clone(),
    };
    if let Some(r) = ctx.matching_rule(&image.value, &cname.value) {
        crate::scenario::apply_behavior(&mut behavior, &r);
    }
    if let Some(o) = &w.behavior_annotation {
        crate::scenario::apply_behavior(&mut behavior, o);
    }
    faults.push(FaultDef::SetImage { at, deployment, init, container, image: img, behavior });
    Ok(())
}

pub(super) fn scale(ctx: &mut Ctx, model: &mut Model, r: &ScaleRaw) -> R<()> {
    let Model { replicasets, deployments, statefulsets, daemonsets, faults, .. } = model;
    let ns = r.namespace.clone().unwrap_or_else(|| "default".into());
    let w = r.workload.value.as_str();
    let target = match w.split_once('/') {
        Some(("deployment", n)) => deployments
            .iter()
            .position(|d| d.name == n && d.namespace == ns)
            .map(|i| ScaleTarget::Deployment(crate::api::DeployId(i as u32))),
        Some(("replicaset", n)) => replicasets
            .iter()
            .position(|d| d.name == n && d.namespace == ns)
            .map(|i| ScaleTarget::ReplicaSet(crate::api::RsId(i as u32))),
        Some(("statefulset", n)) => statefulsets
            .iter()
            .position(|d| d.name == n && d.namespace == ns)
            .map(|i| ScaleTarget::StatefulSet(crate::api::StsId(i as u32))),
        _ => {
            return Err(ctx.err_at(
                r.workload.referenced,
                format!("scale: {w:?} is not KIND/NAME"),
                Some("e.g. `workload: deployment/web` (deployment, replicaset or statefulset)".into()),
            ));
        }
    };
    let Some(workload) = target else {
        return Err(ctx.err_at(
            r.workload.referenced,
            format!("scale names {w} in namespace {ns}, which the scenario does not define"),
            Some(format!("defined: {}", workload_list(deployments, replicasets, statefulsets, daemonsets).join(", "))),
        ));
    };
    faults.push(FaultDef::Scale { at: SimTime(r.at.0), workload, replicas: r.replicas });
    Ok(())
}

/// `mtbf` / `mttr` on a node action: random failures of each target node for the whole run.
pub(super) fn random_failures(
    ctx: &mut Ctx,
    t: &NodeTargetRaw,
    action: RandomAction,
    nodes: &[crate::api::NodeId],
) -> R<Option<FaultDef>> {
    let (Some(mtbf), Some(mttr)) = (&t.mtbf, &t.mttr) else { return Ok(None) };
    for (v, name) in [(mtbf, "mtbf"), (mttr, "mttr")] {
        if v.value.0 == 0 {
            return Err(ctx.err_at(v.referenced, format!("{name} must be positive"), Some("e.g. `mtbf: 2h`".into())));
        }
    }
    Ok(Some(FaultDef::RandomFailures {
        from: SimTime(t.at_ms()),
        action,
        nodes: nodes.to_vec(),
        mtbf_ms: mtbf.value.0,
        mttr_ms: mttr.value.0,
    }))
}

/// Resolve a node action's targets to node ids (in node order).
pub(super) fn node_targets(
    ctx: &mut Ctx,
    t: &NodeTargetRaw,
    at: Location,
    action: &str,
    nodes: &[NodeDef],
    pools: &[NodePool],
) -> R<Vec<crate::api::NodeId>> {
    if t.at.is_none() && t.mtbf.is_none() {
        return Err(ctx.err_at(at, format!("{action} needs `at`"), Some("e.g. `at: 2m`".into())));
    }
    let random_ok = matches!(action, "node-crash" | "node-restart" | "network-partition" | "kubelet-service-kill");
    if (t.mtbf.is_some() || t.mttr.is_some()) && !random_ok {
        return Err(ctx.err_at(
            at,
            format!("{action} takes no `mtbf` / `mttr`"),
            Some(
                "random failures apply to node-crash, node-restart, network-partition and kubelet-service-kill".into(),
            ),
        ));
    }
    if t.mtbf.is_some() != t.mttr.is_some() {
        return Err(ctx.err_at(
            at,
            format!("{action}: give both `mtbf` and `mttr`"),
            Some("e.g. `mtbf: 2h, mttr: 10m`".into()),
        ));
    }
    let given = usize::from(t.nodes.is_some()) + usize::from(t.pool.is_some()) + usize::from(t.node_selector.is_some());
    if given != 1 {
        return Err(ctx.err_at(
            at,
            format!("{action} needs exactly one of `nodes`, `pool` or `nodeSelector`"),
            Some(
                "e.g. `nodes: [worker-0]`, `pool: worker` or `nodeSelector: {topology.kubernetes.io/zone: zone-a}`"
                    .into(),
            ),
        ));
    }
    let id = |i: usize| crate::api::NodeId(i as u32);
    if let Some(names) = &t.nodes {
        let mut out = Vec::new();
        for n in names {
            match nodes.iter().position(|d| d.name == n.value) {
                Some(i) => out.push(id(i)),
                None => {
                    let known: Vec<&str> = nodes.iter().take(8).map(|d| d.name.as_str()).collect();
                    let more = if nodes.len() > 8 { ", ..." } else { "" };
                    return Err(ctx.err_at(
                        n.referenced,
                        format!("{action} names node {:?}, which the scenario does not define", n.value),
                        Some(format!(
                            "a pool NAME of count N has nodes NAME-0..NAME-(N-1); defined: {}{more}",
                            known.join(", ")
                        )),
                    ));
                }
            }
        }
        out.sort();
        out.dedup();
        return Ok(out);
    }
    if let Some(p) = &t.pool {
        if !pools.iter().any(|x| x.name.value == p.value) {
            let known: Vec<&str> = pools.iter().map(|x| x.name.value.as_str()).collect();
            return Err(ctx.err_at(
                p.referenced,
                format!("{action} names pool {:?}, which spec.nodePools does not define", p.value),
                Some(format!("defined pools: {}", known.join(", "))),
            ));
        }
        let want = p.value.as_str();
        return Ok((0..nodes.len())
            .filter(|&i| nodes[i].labels.get("kubesim.io/pool") == Some(want))
            .map(id)
            .collect());
    }
    let sel = t.node_selector.as_ref().expect("one target is given");
    let out: Vec<_> = (0..nodes.len())
        .filter(|&i| sel.iter().all(|(k, v)| nodes[i].labels.get(k) == Some(v.as_str())))
        .map(id)
        .collect();
    if out.is_empty() {
        ctx.warn_at(at, format!("{action}: the nodeSelector matches no node; it will do nothing"));
    }
    Ok(out)
}

/// Only `node-drain` takes `force` and `gracePeriod`.
fn no_drain_fields(ctx: &Ctx, f: &Spanned<FaultRaw>, t: &NodeTargetRaw) -> R<()> {
    if t.has_drain_fields() {
        return Err(ctx.err_at(f.referenced, "`force` and `gracePeriod` belong to node-drain", None));
    }
    Ok(())
}
