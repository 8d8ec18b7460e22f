//! Pods and workloads: Pod, ReplicaSet, Deployment, StatefulSet, DaemonSet, Job and
//! PodDisruptionBudget manifests, and the size limits of what they ask for.

use super::*;

/// `v1` Pod manifests.
pub(super) fn pods(ctx: &mut Ctx, model: &mut Model, raw: &[(PodManifest, At)]) -> R<()> {
    let Model { images, kubernetes, node_names, seen, pods, limit_ranges, quotas, refused, .. } = model;
    let mut image_id = |name: &str| intern_image(images, name);
    for (p, line) in raw {
        ctx.goto(*line);
        ctx.kind = "Pod";
        let name = meta_name(ctx, &p.metadata, "Pod", true)?;
        let ns = namespace(ctx, &p.metadata)?;
        ctx.subject = Subject { workload: format!("pod/{name}"), namespace: ns.clone(), ..Subject::default() };
        if !seen.insert(("Pod", ns.clone(), name.clone())) {
            return Err(ctx.err_at(
                p.metadata.name.as_ref().unwrap().referenced,
                format!("Pod {ns}/{name} is defined twice"),
                None,
            ));
        }
        ctx.warn_ignored("metadata.", p.metadata.ignored_fields());
        ctx.warn_ignored("", p.ignored_fields());
        let Some(spec) = &p.spec else {
            return Err(ctx.err_doc(format!("Pod {name} has no spec"), None));
        };
        let mut spec = pod_spec(ctx, spec, &p.metadata, "spec.", &mut image_id)?;
        default_tolerations(&mut spec, kubernetes);
        let admission = super::config::Admission { limit_ranges, quotas, pods };
        let spec = match super::config::admit_bare_pod(ctx, &admission, &ns, &name, spec) {
            Ok(s) => s,
            Err(refusal) => {
                refused.push(refusal);
                continue;
            }
        };
        if spec.restart_policy != RestartPolicy::Always {
            warn_never_exits(ctx, &spec, "Pod", &ns, &name);
        }
        if let Some(nn) = &spec.node_name
            && !node_names.contains(nn)
        {
            ctx.warn_doc(format!(
                "Pod {ns}/{name} names spec.nodeName {nn:?}, which no node has: it will stay Pending"
            ));
        }
        pods.push(ObjectDef { namespace: ns, name, labels: labels_of(&p.metadata), spec: Arc::new(spec) });
    }
    Ok(())
}

/// A Job, or a pod that is meant to finish, whose app containers never exit: it never completes
/// (kubesim does not run `command`), which a user would not expect. Said once, with the fix.
fn warn_never_exits(ctx: &mut Ctx, spec: &PodSpec, kind: &str, ns: &str, name: &str) {
    if spec.containers.iter().any(|c| c.behavior.exit.is_some() || c.behavior.crash.is_some()) {
        return;
    }
    let what = if kind == "Job" { "it never completes" } else { "it never finishes" };
    ctx.warn_doc(format!(
        "{kind} {ns}/{name}: its containers never exit, so {what}: give it a behavior, e.g. spec.behaviors: \
         [{{match: {{workload: {}/{name}}}, behavior: {{exit: {{after: 30s}}}}}}] (kubesim does not run `command`)",
        kind.to_lowercase()
    ));
}

impl Model {
    /// A replicated workload's (ReplicaSet, Deployment, StatefulSet) selector, replicas and pod
    /// template; its replicas noted for the size limit.
    fn replicated(
        &mut self,
        ctx: &mut Ctx,
        name: &str,
        selector: &Option<Spanned<LabelSelectorRaw>>,
        replicas: &Option<Spanned<u32>>,
        template: &PodTemplateRaw,
        line: At,
    ) -> R<(LabelSelector, u32, PodTemplate)> {
        let images = &mut self.images;
        let kind = TemplateKind::Replicated;
        let parts = workload_parts(
            ctx,
            name,
            selector,
            replicas,
            template,
            &mut |n| intern_image(images, n),
            &self.kubernetes,
            kind,
        )?;
        note_biggest(&mut self.biggest, replicas, line);
        Ok(parts)
    }
}

/// `apps/v1` ReplicaSets.
pub(super) fn replicasets(ctx: &mut Ctx, model: &mut Model, raw: &[(ReplicaSetManifest, At)]) -> R<()> {
    for (m, line) in raw {
        ctx.goto(*line);
        let (ns, name, spec) =
            manifest_head(ctx, &mut model.seen, "ReplicaSet", &m.metadata, m.ignored_fields(), m.spec.as_ref())?;
        ctx.warn_ignored("spec.", spec.ignored_fields());
        let (selector, replicas, template) =
            model.replicated(ctx, &name, &spec.selector, &spec.replicas, &spec.template, *line)?;
        model.replicasets.push(WorkloadDef::new(ns, name, labels_of(&m.metadata), selector, replicas, template));
    }
    Ok(())
}

/// `apps/v1` Deployments.
pub(super) fn deployments(ctx: &mut Ctx, model: &mut Model, raw: &[(DeploymentManifest, At)]) -> R<()> {
    for (m, line) in raw {
        ctx.goto(*line);
        let (ns, name, spec) =
            manifest_head(ctx, &mut model.seen, "Deployment", &m.metadata, m.ignored_fields(), m.spec.as_ref())?;
        ctx.warn_ignored("spec.", spec.ignored_fields());
        let strategy = deployment_strategy(ctx, spec.strategy.as_ref())?;
        let progress_deadline_ms = match &spec.progress_deadline_seconds {
            None => DEFAULT_PROGRESS_DEADLINE_SECONDS as u64 * 1000,
            Some(p) if p.value == 0 => {
                return Err(ctx.err_at(
                    p.referenced,
                    "spec.progressDeadlineSeconds must be positive",
                    Some(format!("upstream's default is {DEFAULT_PROGRESS_DEADLINE_SECONDS}")),
                ));
            }
            Some(p) => p.value as u64 * 1000,
        };
        let (selector, replicas, template) =
            model.replicated(ctx, &name, &spec.selector, &spec.replicas, &spec.template, *line)?;
        let behavior_annotation = super::pod_spec::behavior_override(ctx, &spec.template.metadata.annotations)?;
        let revision_history_limit = spec
            .revision_history_limit
            .as_ref()
            .map_or(crate::api::workloads::DEFAULT_REVISION_HISTORY_LIMIT, |r| r.value);
        model.deployments.push(WorkloadDef {
            strategy,
            progress_deadline_ms,
            revision_history_limit,
            behavior_annotation,
            ..WorkloadDef::new(ns, name, labels_of(&m.metadata), selector, replicas, template)
        });
    }
    Ok(())
}

/// `apps/v1` StatefulSets.
pub(super) fn statefulsets(ctx: &mut Ctx, model: &mut Model, raw: &[(StatefulSetManifest, At)]) -> R<()> {
    for (m, line) in raw {
        ctx.goto(*line);
        let (ns, name, spec) =
            manifest_head(ctx, &mut model.seen, "StatefulSet", &m.metadata, m.ignored_fields(), m.spec.as_ref())?;
        ctx.warn_ignored("spec.", spec.ignored_fields());
        let pod_management = match spec.pod_management_policy.as_ref().map(|p| (p.value.as_str(), p.referenced)) {
            None | Some(("OrderedReady", _)) => PodManagementPolicy::OrderedReady,
            Some(("Parallel", _)) => PodManagementPolicy::Parallel,
            Some((other, loc)) => {
                return Err(ctx.err_at(
                    loc,
                    format!("unknown podManagementPolicy {other:?}"),
                    Some("use OrderedReady (the default) or Parallel".into()),
                ));
            }
        };
        let (selector, replicas, template) =
            model.replicated(ctx, &name, &spec.selector, &spec.replicas, &spec.template, *line)?;
        model.statefulsets.push(WorkloadDef {
            pod_management,
            ..WorkloadDef::new(ns, name, labels_of(&m.metadata), selector, replicas, template)
        });
    }
    Ok(())
}

/// `apps/v1` DaemonSets.
pub(super) fn daemonsets(ctx: &mut Ctx, model: &mut Model, raw: &[(DaemonSetManifest, At)]) -> R<()> {
    let Model { images, kubernetes, seen, daemonsets, .. } = model;
    let mut image_id = |name: &str| intern_image(images, name);
    for (m, line) in raw {
        ctx.goto(*line);
        let (ns, name, spec) = manifest_head(ctx, seen, "DaemonSet", &m.metadata, m.ignored_fields(), m.spec.as_ref())?;
        ctx.warn_ignored("spec.", spec.ignored_fields());
        let mut max_unavailable = DEFAULT_DAEMONSET_MAX_UNAVAILABLE;
        if let Some(u) = &spec.update_strategy {
            match u.r#type.as_ref().map(|t| (t.value.as_str(), t.referenced)) {
                None | Some(("RollingUpdate", _)) => {}
                Some(("OnDelete", loc)) => {
                    ctx.warn_at(loc, "updateStrategy OnDelete is modelled as RollingUpdate");
                }
                Some((other, loc)) => {
                    return Err(ctx.err_at(
                        loc,
                        format!("unknown updateStrategy type {other:?}"),
                        Some("use RollingUpdate or OnDelete".into()),
                    ));
                }
            }
            if let Some(ru) = &u.rolling_update {
                ctx.warn_ignored("spec.updateStrategy.rollingUpdate.", ru.ignored_fields());
                if let Some(v) = int_or_percent(ctx, ru.max_unavailable.as_ref(), "maxUnavailable")? {
                    if matches!(v, IntOrPercent::Int(0) | IntOrPercent::Percent(0)) {
                        let loc = ru.max_unavailable.as_ref().unwrap().referenced;
                        return Err(ctx.err_at(loc, "maxUnavailable may not be 0 for a DaemonSet", None));
                    }
                    max_unavailable = v;
                }
            }
        }
        let (selector, _, template) = workload_parts(
            ctx,
            &name,
            &spec.selector,
            &None,
            &spec.template,
            &mut image_id,
            kubernetes,
            TemplateKind::Daemon,
        )?;
        let behavior_annotation = super::pod_spec::behavior_override(ctx, &spec.template.metadata.annotations)?;
        daemonsets.push(WorkloadDef {
            max_unavailable,
            behavior_annotation,
            ..WorkloadDef::new(ns, name, labels_of(&m.metadata), selector, 0, template)
        });
    }
    Ok(())
}

/// `batch/v1` Jobs.
pub(super) fn jobs(ctx: &mut Ctx, model: &mut Model, raw: &[(JobManifest, At)]) -> R<()> {
    for (m, line) in raw {
        ctx.goto(*line);
        let (ns, name, spec) =
            manifest_head(ctx, &mut model.seen, "Job", &m.metadata, m.ignored_fields(), m.spec.as_ref())?;
        let def = job_def(ctx, model, ns, name, spec, "Job")?;
        model.jobs.push(JobDef { labels: labels_of(&m.metadata), ..def });
    }
    Ok(())
}

/// A Job's spec (of a Job manifest, or of a CronJob's `jobTemplate`) checked into a `JobDef`;
/// `kind` names the manifest in warnings.
pub(super) fn job_def(
    ctx: &mut Ctx,
    model: &mut Model,
    ns: String,
    name: String,
    spec: &JobSpecRaw,
    kind: &str,
) -> R<JobDef> {
    let Model { images, kubernetes, .. } = model;
    let mut image_id = |name: &str| intern_image(images, name);
    ctx.warn_ignored("spec.", spec.ignored_fields());
    // The controller labels the pods with the Job's name; a selector must match them.
    let mut template_labels = labels_of(&spec.template.metadata);
    template_labels.insert(crate::controller::job::JOB_NAME_LABEL, &name);
    template_labels.insert(crate::controller::job::LEGACY_JOB_NAME_LABEL, &name);
    if let Some(sel) = &spec.selector {
        let sel_v = selector(ctx, sel)?;
        if !sel_v.matches(&template_labels) {
            return Err(ctx.err_at(
                sel.referenced,
                "spec.selector does not match the template's labels",
                Some("leave spec.selector out: the Job controller generates it".into()),
            ));
        }
    }
    let template = job_template(ctx, &name, &spec.template, template_labels, &mut image_id, kubernetes)?;
    warn_never_exits(ctx, &template.spec, kind, &ns, &name);
    let parallelism = spec.parallelism.as_ref().map_or(1, |p| p.value);
    let completions = match (&spec.completions, &spec.parallelism) {
        (Some(c), _) => Some(c.value),
        // Neither set: one pod, one completion. Only parallelism: a work queue.
        (None, None) => Some(1),
        (None, Some(_)) => None,
    };
    Ok(JobDef {
        namespace: ns,
        name,
        labels: Labels::default(),
        template,
        completions,
        parallelism,
        backoff_limit: spec.backoff_limit.as_ref().map_or(crate::api::workloads::DEFAULT_BACKOFF_LIMIT, |b| b.value),
        active_deadline_ms: match &spec.active_deadline_seconds {
            Some(a) if a.value == 0 => {
                return Err(ctx.err_at(a.referenced, "spec.activeDeadlineSeconds must be positive", None));
            }
            Some(a) => Some(a.value.saturating_mul(1000)),
            None => None,
        },
    })
}

/// `policy/v1` PodDisruptionBudgets.
pub(super) fn pdbs(ctx: &mut Ctx, model: &mut Model, raw: &[(PdbManifest, At)]) -> R<()> {
    let Model { seen, pdbs, .. } = model;
    for (m, line) in raw {
        ctx.goto(*line);
        let (ns, name, spec) =
            manifest_head(ctx, seen, "PodDisruptionBudget", &m.metadata, m.ignored_fields(), m.spec.as_ref())?;
        ctx.warn_ignored("spec.", spec.ignored_fields());
        let Some(sel) = &spec.selector else {
            return Err(ctx.err_doc(
                format!("PodDisruptionBudget {name}: spec.selector is required"),
                Some("e.g. selector: {matchLabels: {app: web}}".into()),
            ));
        };
        let sel = selector(ctx, sel)?;
        let min_available = int_or_percent(ctx, spec.min_available.as_ref(), "minAvailable")?;
        let max_unavailable = int_or_percent(ctx, spec.max_unavailable.as_ref(), "maxUnavailable")?;
        if min_available.is_some() == max_unavailable.is_some() {
            return Err(ctx.err_doc(
                format!("PodDisruptionBudget {name}: give exactly one of spec.minAvailable and spec.maxUnavailable"),
                Some("e.g. `minAvailable: 2` or `maxUnavailable: \"25%\"`".into()),
            ));
        }
        let labels = labels_of(&m.metadata);
        pdbs.push(PdbDef { namespace: ns, name, labels, selector: sel, min_available, max_unavailable });
    }
    Ok(())
}

/// Refuse what would take many GiB or hours (`--allow-large` lifts it).
pub(super) fn size_limits(ctx: &mut Ctx, model: &Model, spec: &ScenarioSpec, timing: &Timing) -> R<()> {
    let Model {
        kubernetes,
        nodes,
        pods,
        trace_pods,
        replicasets,
        deployments,
        statefulsets,
        daemonsets,
        jobs,
        biggest,
        ..
    } = model;
    let Timing { duration, sample, sample_loc } = *timing;
    let total_pods: u64 = pods.len() as u64
        + trace_pods.len() as u64
        + replicasets.iter().map(|r| r.replicas as u64).sum::<u64>()
        + deployments.iter().map(|d| d.replicas as u64).sum::<u64>()
        + statefulsets.iter().map(|d| d.replicas as u64).sum::<u64>()
        + jobs.iter().map(|j| j.completions.unwrap_or(j.parallelism) as u64).sum::<u64>()
        + daemonsets.len() as u64 * nodes.len() as u64;
    let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
    if total_pods > MAX_PODS {
        let at = biggest.map(|b| {
            ctx.goto(b.2);
            b.1
        });
        let msg = format!(
            "the manifests ask for {total_pods} pods: about {:.1} GiB of memory (~{BYTES_PER_POD_ESTIMATE} bytes per pod); kubesim refuses more than {MAX_PODS} pods",
            gib(total_pods * BYTES_PER_POD_ESTIMATE)
        );
        let help = Some("lower the replicas, or pass --allow-large to run it anyway".into());
        return Err(match at {
            Some(loc) => ctx.err_at(loc, format!("spec.replicas: {msg}"), help),
            None => ctx.err_doc(msg, help),
        });
    }
    let rows = (duration / sample + 1) * (1 + deployments.len() as u64 + replicasets.len() as u64);
    if rows > MAX_SAMPLE_ROWS {
        return Err(ctx.err_at(
            sample_loc,
            format!(
                "{rows} time-series rows ({duration} ms / {sample} ms per sample): about {:.1} GiB of memory; kubesim refuses more than {MAX_SAMPLE_ROWS}",
                gib(rows * BYTES_PER_SAMPLE_ROW_ESTIMATE)
            ),
            Some("raise spec.sampleInterval or shorten spec.duration, or pass --allow-large to run it anyway".into()),
        ));
    }
    // Lease renewals alone: one per node per renew interval.
    let leases = nodes.len() as u64 * (duration / kubernetes.lease_renew_interval_ms().max(1));
    if leases > MAX_ESTIMATED_EVENTS {
        return Err(ctx.err_at(
            spec.duration.referenced,
            format!("{} nodes over {duration} ms make {leases} lease renewals alone; kubesim refuses runs estimated above {MAX_ESTIMATED_EVENTS} events", nodes.len()),
            Some("shorten spec.duration, or pass --allow-large (and perhaps --max-events) to run it anyway".into()),
        ));
    }
    Ok(())
}

/// `spec.strategy`: RollingUpdate (with upstream's 25%/25% defaults) or Recreate.
pub(super) fn deployment_strategy(ctx: &mut Ctx, s: Option<&StrategyRaw>) -> R<DeploymentStrategy> {
    let Some(s) = s else { return Ok(DeploymentStrategy::DEFAULT) };
    match s.r#type.as_ref().map(|t| t.value.as_str()) {
        None | Some("RollingUpdate") => {
            let Some(ru) = &s.rolling_update else { return Ok(DeploymentStrategy::DEFAULT) };
            let max_surge = int_or_percent(ctx, ru.max_surge.as_ref(), "maxSurge")?.unwrap_or(DEFAULT_MAX_SURGE);
            let max_unavailable =
                int_or_percent(ctx, ru.max_unavailable.as_ref(), "maxUnavailable")?.unwrap_or(DEFAULT_MAX_UNAVAILABLE);
            let zero = |v: IntOrPercent| matches!(v, IntOrPercent::Int(0) | IntOrPercent::Percent(0));
            if zero(max_surge) && zero(max_unavailable) {
                let loc = ru.max_unavailable.as_ref().or(ru.max_surge.as_ref()).map(|x| x.referenced);
                let msg = "spec.strategy.rollingUpdate: maxSurge and maxUnavailable may not both be 0";
                let help = Some("allow one extra pod (`maxSurge: 1`) or one missing pod (`maxUnavailable: 1`)".into());
                return Err(match loc {
                    Some(l) => ctx.err_at(l, msg, help),
                    None => ctx.err_doc(msg, help),
                });
            }
            Ok(DeploymentStrategy::RollingUpdate { max_surge, max_unavailable })
        }
        Some("Recreate") => {
            if s.rolling_update.is_some() {
                return Err(ctx.err_at(
                    s.r#type.as_ref().unwrap().referenced,
                    "spec.strategy.rollingUpdate may not be given when the type is Recreate",
                    Some("remove rollingUpdate, or use type: RollingUpdate".into()),
                ));
            }
            Ok(DeploymentStrategy::Recreate)
        }
        Some(other) => Err(ctx.err_at(
            s.r#type.as_ref().unwrap().referenced,
            format!("unknown strategy type {other:?}"),
            Some("use RollingUpdate or Recreate".into()),
        )),
    }
}

#[allow(clippy::too_many_arguments)] // the parts of a manifest it checks together
pub(super) fn workload_parts(
    ctx: &mut Ctx,
    name: &str,
    sel: &Option<Spanned<LabelSelectorRaw>>,
    replicas: &Option<Spanned<u32>>,
    template: &PodTemplateRaw,
    image_id: &mut dyn FnMut(&str) -> (ImageId, Behavior),
    kubernetes: &KubeSettings,
    kind: TemplateKind,
) -> R<(LabelSelector, u32, PodTemplate)> {
    let Some(sel) = sel else {
        return Err(ctx.err_doc(
            format!("{name}: spec.selector is required"),
            Some("e.g. selector: {matchLabels: {app: web}}".into()),
        ));
    };
    let selector = selector(ctx, sel)?;
    let labels = labels_of(&template.metadata);
    if !selector.matches(&labels) {
        return Err(ctx.err_at(
            sel.referenced,
            "spec.selector does not match the template's labels",
            Some("make spec.template.metadata.labels carry what spec.selector asks for".into()),
        ));
    }
    ctx.warn_ignored("spec.template.metadata.", template.metadata.ignored_fields());
    let Some(spec) = &template.spec else {
        return Err(ctx.err_doc(format!("{name}: spec.template.spec is required"), None));
    };
    let mut spec = pod_spec(ctx, spec, &template.metadata, "spec.template.spec.", image_id)?;
    if kind == TemplateKind::Daemon {
        daemonset_tolerations(&mut spec);
    }
    default_tolerations(&mut spec, kubernetes);
    if spec.restart_policy != RestartPolicy::Always {
        return Err(ctx.err_doc(
            format!("{name}: spec.template.spec.restartPolicy must be Always for this kind"),
            Some(
                "Deployments, ReplicaSets, StatefulSets and DaemonSets only allow Always (as upstream validation)"
                    .into(),
            ),
        ));
    }
    let replicas = match replicas {
        None => 1,
        Some(r) => r.value,
    };
    Ok((selector, replicas, PodTemplate { labels: Arc::new(labels), spec: Arc::new(spec), restarted_at: None }))
}

/// Remember the largest `replicas` written, to point at when the total is too large.
pub(super) fn note_biggest(biggest: &mut Option<(u32, Location, At)>, replicas: &Option<Spanned<u32>>, line: At) {
    if let Some(r) = replicas
        && biggest.is_none_or(|b| r.value > b.0)
    {
        *biggest = Some((r.value, r.referenced, line));
    }
}

/// What a pod template belongs to, for the kind-specific rules.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum TemplateKind {
    /// Deployments, ReplicaSets, StatefulSets.
    Replicated,
    /// DaemonSets: upstream adds its tolerations to every daemon pod.
    Daemon,
}

/// A manifest's name, namespace and spec, checked for duplicates; ignored fields warned.
pub(super) fn manifest_head<'a, S>(
    ctx: &mut Ctx,
    seen: &mut BTreeSet<(&'static str, String, String)>,
    kind: &'static str,
    meta: &ObjectMeta,
    ignored: Vec<(&'static str, Location)>,
    spec: Option<&'a S>,
) -> R<(String, String, &'a S)> {
    ctx.kind = kind;
    let name = meta_name(ctx, meta, kind, false)?;
    let ns = namespace(ctx, meta)?;
    ctx.subject =
        Subject { workload: format!("{}/{name}", kind.to_lowercase()), namespace: ns.clone(), ..Subject::default() };
    if !seen.insert((kind, ns.clone(), name.clone())) {
        return Err(ctx.err_at(
            meta.name.as_ref().unwrap().referenced,
            format!("{kind} {ns}/{name} is defined twice"),
            None,
        ));
    }
    ctx.warn_ignored("metadata.", meta.ignored_fields());
    if let Some(f) = &meta.finalizers
        && kind != "Pod"
    {
        ctx.warn_ignored("metadata.", vec![("finalizers", f.referenced)]);
    }
    ctx.warn_ignored("", ignored);
    let Some(spec) = spec else {
        return Err(ctx.err_doc(format!("{kind} {name} has no spec"), None));
    };
    Ok((ns, name, spec))
}

/// A Job's pod template: restartPolicy Never or OnFailure (upstream validation).
pub(super) fn job_template(
    ctx: &mut Ctx,
    name: &str,
    template: &PodTemplateRaw,
    labels: Labels,
    image_id: &mut dyn FnMut(&str) -> (ImageId, Behavior),
    kubernetes: &KubeSettings,
) -> R<PodTemplate> {
    ctx.warn_ignored("spec.template.metadata.", template.metadata.ignored_fields());
    let Some(spec_raw) = &template.spec else {
        return Err(ctx.err_doc(format!("{name}: spec.template.spec is required"), None));
    };
    if spec_raw.restart_policy.is_none() {
        return Err(ctx.err_doc(
            format!("Job {name}: spec.template.spec.restartPolicy is required"),
            Some("a Job's pods take `restartPolicy: Never` or `OnFailure`".into()),
        ));
    }
    let mut spec = pod_spec(ctx, spec_raw, &template.metadata, "spec.template.spec.", image_id)?;
    default_tolerations(&mut spec, kubernetes);
    if spec.restart_policy == RestartPolicy::Always {
        let loc = spec_raw.restart_policy.as_ref().unwrap().referenced;
        return Err(ctx.err_at(
            loc,
            "a Job's spec.template.spec.restartPolicy may not be Always",
            Some("use Never (the Job replaces failed pods) or OnFailure (the kubelet restarts containers)".into()),
        ));
    }
    Ok(PodTemplate { labels: Arc::new(labels), spec: Arc::new(spec), restarted_at: None })
}

/// The tolerations the DaemonSet controller adds to its pods (`util.AddOrUpdateDaemonPodTolerations`):
/// not-ready and unreachable NoExecute without a time limit, and the pressure and
/// unschedulable NoSchedule taints.
pub(super) fn daemonset_tolerations(spec: &mut PodSpec) {
    use crate::controller::nodelifecycle::{TAINT_NOT_READY, TAINT_UNREACHABLE};
    let wanted = [
        (TAINT_NOT_READY, TaintEffect::NoExecute),
        (TAINT_UNREACHABLE, TaintEffect::NoExecute),
        ("node.kubernetes.io/disk-pressure", TaintEffect::NoSchedule),
        ("node.kubernetes.io/memory-pressure", TaintEffect::NoSchedule),
        ("node.kubernetes.io/pid-pressure", TaintEffect::NoSchedule),
        ("node.kubernetes.io/unschedulable", TaintEffect::NoSchedule),
    ];
    for (key, effect) in wanted {
        let t = Toleration {
            key: key.into(),
            op: TolerationOp::Exists,
            value: String::new(),
            effect: Some(effect),
            toleration_seconds: None,
        };
        if !spec.tolerations.contains(&t) {
            spec.tolerations.push(t);
        }
    }
}

/// The DefaultTolerationSeconds admission plugin: every pod tolerates the not-ready and
/// unreachable NoExecute taints for 300 s unless it says otherwise.
pub(crate) fn default_tolerations(spec: &mut PodSpec, k: &KubeSettings) {
    use crate::controller::nodelifecycle::{TAINT_NOT_READY, TAINT_UNREACHABLE};
    for (key, secs) in [
        (TAINT_NOT_READY, k.default_not_ready_toleration_seconds),
        (TAINT_UNREACHABLE, k.default_unreachable_toleration_seconds),
    ] {
        let has = spec.tolerations.iter().any(|t| {
            (t.key == key || (t.key.is_empty() && t.op == TolerationOp::Exists))
                && t.effect.is_none_or(|e| e == TaintEffect::NoExecute)
        });
        if !has {
            spec.tolerations.push(Toleration {
                key: key.into(),
                op: TolerationOp::Exists,
                value: String::new(),
                effect: Some(TaintEffect::NoExecute),
                toleration_seconds: Some(secs),
            });
        }
    }
}
