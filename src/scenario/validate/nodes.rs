//! Nodes: `spec.nodePools`, Node manifests and the trace's nodes (with its pods and removals).

use super::*;

/// `spec.nodePools`: `count` nodes `NAME-0..` each, and a template per pool for `add-nodes`.
pub(super) fn pools(ctx: &mut Ctx, model: &mut Model, node_pools: &[NodePool]) -> R<()> {
    let Model { images, kubernetes, nodes, node_names, pool_templates, .. } = model;
    let mut image_id = |name: &str| intern_image(images, name);
    let mut total_nodes: u64 = 0;
    for pool in node_pools {
        if !is_dns_label(&pool.name.value) {
            return Err(ctx.err_at(
                pool.name.referenced,
                format!("node pool name {:?} is not a DNS label", pool.name.value),
                Some("use lowercase letters, digits and '-'".into()),
            ));
        }
        total_nodes += pool.count as u64;
        if total_nodes > 100_000 {
            return Err(ctx.err_at(
                pool.name.referenced,
                format!("{total_nodes} nodes exceed kubesim's limit of 100000"),
                Some("lower nodePools[].count".into()),
            ));
        }
        let mut static_pods = Vec::new();
        if let Some(sp) = &pool.static_pods {
            for (i, m) in sp.value.iter().enumerate() {
                if m.kind != "Pod" || m.api_version != "v1" {
                    return Err(ctx.err_at(
                        sp.referenced,
                        format!("staticPods[{i}] must be a v1 Pod (it is {} {})", m.api_version, m.kind),
                        None,
                    ));
                }
                ctx.kind = "static Pod";
                let name = meta_name(ctx, &m.metadata, "Pod", true)?;
                let ns = namespace(ctx, &m.metadata)?;
                ctx.subject = Subject { workload: format!("pod/{name}"), namespace: ns.clone(), ..Subject::default() };
                ctx.warn_ignored("metadata.", m.metadata.ignored_fields());
                let Some(spec) = &m.spec else {
                    return Err(ctx.err_at(sp.referenced, format!("staticPods[{i}] ({name}) has no spec"), None));
                };
                let prefix = format!("nodePools[].staticPods[{i}].spec.");
                let mut spec = pod_spec(ctx, spec, &m.metadata, &prefix, &mut image_id)?;
                default_tolerations(&mut spec, kubernetes);
                static_pods.push(ObjectDef {
                    namespace: ns,
                    name,
                    labels: labels_of(&m.metadata),
                    spec: Arc::new(spec),
                });
            }
        }
        let (capacity, pods) = resource_map(ctx, &pool.capacity, "capacity")?;
        let (allocatable, apods) = match &pool.allocatable {
            Some(a) => resource_map(ctx, a, "allocatable")?,
            None => (capacity, pods),
        };
        let mut taints = Vec::new();
        for t in &pool.taints {
            taints.push(taint(ctx, t)?);
        }
        let pool_images: Vec<ImageId> = pool.images.iter().map(|i| image_id(i).0).collect();
        let mut labels = Labels::default();
        for (k, v) in &pool.labels {
            labels.insert(k, v);
        }
        labels.insert("kubesim.io/pool", &pool.name.value);
        let template = NodeDef {
            sandbox_image: pool.sandbox_image_preloaded.unwrap_or(true),
            name: String::new(),
            labels,
            taints,
            unschedulable: pool.unschedulable,
            capacity,
            allocatable,
            pods: apods.unwrap_or(pods.unwrap_or(DEFAULT_MAX_PODS)),
            images: pool_images,
            static_pods,
        };
        for i in 0..pool.count {
            let name = format!("{}-{}", pool.name.value, i);
            if !node_names.insert(name.clone()) {
                return Err(ctx.err_at(pool.name.referenced, format!("node {name:?} is defined twice"), None));
            }
            nodes.push(pool_node(&template, name));
        }
        pool_templates.push((pool.name.value.clone(), pool.count, template));
    }
    Ok(())
}

/// Node `name` of a pool: the pool's template with the node's own well-known labels (the pool's
/// labels win where they overlap). Used at time 0 and by `add-nodes`.
pub(super) fn pool_node(template: &NodeDef, name: String) -> NodeDef {
    let mut labels = node_labels(&name);
    for (k, v) in &template.labels.0 {
        labels.insert(k, v);
    }
    NodeDef { name, labels, ..template.clone() }
}

/// `v1` Node manifests (`status.capacity` required).
pub(super) fn node_manifests(ctx: &mut Ctx, model: &mut Model, raw: &[(NodeManifest, At)]) -> R<()> {
    let Model { images, nodes, node_names, .. } = model;
    let mut image_id = |name: &str| intern_image(images, name);
    for (n, line) in raw {
        ctx.goto(*line);
        ctx.kind = "Node";
        let name = meta_name(ctx, &n.metadata, "Node", false)?;
        if !node_names.insert(name.clone()) {
            return Err(ctx.err_at(
                n.metadata.name.as_ref().unwrap().referenced,
                format!("node {name:?} is defined twice"),
                None,
            ));
        }
        ctx.warn_meta("metadata.", &n.metadata);
        ctx.warn_ignored("spec.", n.spec.ignored_fields());
        ctx.warn_ignored("status.", n.status.ignored_fields());
        let Some(cap) = &n.status.capacity else {
            return Err(ctx.err_doc(
                format!("Node {name} has no status.capacity"),
                Some("give status.capacity: {cpu: \"4\", memory: 16Gi, pods: 110}".into()),
            ));
        };
        let (capacity, pods) = resource_map(ctx, cap, "status.capacity")?;
        let (allocatable, apods) = match &n.status.allocatable {
            Some(a) => resource_map(ctx, a, "status.allocatable")?,
            None => (capacity, pods),
        };
        let mut labels = node_labels(&name);
        for (k, v) in &n.metadata.labels {
            labels.insert(k, v);
        }
        let mut taints = Vec::new();
        for t in &n.spec.taints {
            taints.push(taint(ctx, t)?);
        }
        let imgs = n.status.images.iter().flat_map(|i| i.names.iter()).map(|i| image_id(i).0).collect();
        nodes.push(NodeDef {
            sandbox_image: true,
            name,
            labels,
            taints,
            unschedulable: n.spec.unschedulable,
            capacity,
            allocatable,
            pods: apods.unwrap_or(pods.unwrap_or(DEFAULT_MAX_PODS)),
            images: imgs,
            static_pods: Vec::new(),
        });
    }

    Ok(())
}

/// `spec.trace`: every path checked before any file is read, then nodes, pods and removals.
pub(super) fn trace(ctx: &mut Ctx, model: &mut Model, t: &TraceRaw, path: &Path, opts: &LoadOptions) -> R<()> {
    let Model { images, nodes, node_names, trace_pods, trace_image, trace_faults, .. } = model;
    let mut image_id = |name: &str| intern_image(images, name);
    let terr = |loc: Location, e: super::trace::TraceError| {
        let place = if e.line > 0 { format!("{}:{}", e.file, e.line) } else { e.file.clone() };
        ctx.err_at(loc, format!("spec.trace: {place}: {}", e.message), Some(super::trace::TRACE_FORMAT_HELP.into()))
    };
    let img = image_id(TRACE_IMAGE).0;
    *trace_image = Some(img);
    let outside = opts.allow_outside_paths;
    let resolve = |v: &Spanned<String>, field: &str| {
        super::paths::resolve(path, &v.value, outside).map_err(|m| {
            ctx.err_at(v.referenced, format!("spec.trace.{field}: {m}"), Some(super::paths::OUTSIDE_HELP.into()))
        })
    };
    // Every path is checked before any file is read.
    let nodes_path = resolve(&t.nodes, "nodes")?;
    let pods_path = t.pods.as_ref().map(|p| resolve(p, "pods")).transpose()?;
    let removals_path = t.removals.as_ref().map(|r| resolve(r, "removals")).transpose()?;
    let tn = super::trace::nodes(&nodes_path).map_err(|e| terr(t.nodes.referenced, e))?;
    for (name, cpu, ram) in tn {
        if !node_names.insert(name.clone()) {
            return Err(ctx.err_at(t.nodes.referenced, format!("spec.trace: node {name:?} is defined twice"), None));
        }
        let r = Resources::new(cpu, ram);
        nodes.push(NodeDef {
            sandbox_image: true,
            labels: node_labels(&name),
            name,
            taints: Vec::new(),
            unschedulable: false,
            capacity: r,
            allocatable: r,
            pods: DEFAULT_MAX_PODS,
            images: vec![img],
            static_pods: Vec::new(),
        });
    }
    if let Some(p) = &t.pods {
        *trace_pods = super::trace::pods(pods_path.as_deref().unwrap_or(path)).map_err(|e| terr(p.referenced, e))?;
    }
    if let Some(r) = &t.removals {
        let rm = super::trace::removals(removals_path.as_deref().unwrap_or(path)).map_err(|e| terr(r.referenced, e))?;
        // A removal is a node lost for good: it powers off and its Node object is deleted.
        let mut by_time: BTreeMap<u64, Vec<crate::api::NodeId>> = BTreeMap::new();
        for (name, at) in rm {
            let Some(i) = nodes.iter().position(|n| n.name == name) else {
                return Err(ctx.err_at(
                    r.referenced,
                    format!("spec.trace: removals name node {name:?}, which no node has"),
                    None,
                ));
            };
            by_time.entry(at).or_default().push(crate::api::NodeId(i as u32));
        }
        for (at, ids) in by_time {
            trace_faults.push(FaultDef::NodeCrash {
                at: SimTime(at),
                until: None,
                nodes: ids.clone(),
                graceful: false,
            });
            trace_faults.push(FaultDef::DeleteNode { at: SimTime(at), nodes: ids });
        }
    }
    Ok(())
}

/// cpu / memory / pods of a capacity map; other resources are warned about.
pub(super) fn resource_map(
    ctx: &mut Ctx,
    m: &Spanned<BTreeMap<String, Qty>>,
    what: &str,
) -> R<(Resources, Option<u32>)> {
    let mut r = Resources::default();
    let mut pods = None;
    let mut have = (false, false);
    for (k, q) in &m.value {
        match k.as_str() {
            "cpu" => {
                r.cpu_milli =
                    q.0.milli_value()
                        .filter(|v| *v > 0)
                        .ok_or_else(|| ctx.err_at(m.referenced, format!("{what}.cpu must be positive"), None))?
                        as u64;
                have.0 = true;
            }
            "memory" => {
                r.memory = q.0.value().filter(|v| *v > 0).ok_or_else(|| {
                    ctx.err_at(m.referenced, format!("{what}.memory must be positive and below 8Ei"), None)
                })? as u64;
                have.1 = true;
            }
            "pods" => {
                let v = q.0.value().filter(|v| (1..=100_000).contains(v)).ok_or_else(|| {
                    ctx.err_at(m.referenced, format!("{what}.pods must be between 1 and 100000"), None)
                })?;
                pods = Some(v as u32);
            }
            "ephemeral-storage" => {
                r.storage = q.0.value().ok_or_else(|| {
                    ctx.err_at(m.referenced, format!("{what}.ephemeral-storage is out of range"), None)
                })? as u64;
            }
            other if other.contains('/') && !other.starts_with("kubernetes.io/") => {
                let i = ctx.extended_resource(other, m.referenced)?;
                r.ext[i] = q.0.value().and_then(|v| u32::try_from(v).ok()).ok_or_else(|| {
                    ctx.err_at(m.referenced, format!("{what}.{other} must be a whole number below 2^32"), None)
                })?;
            }
            other => ctx.warn_at(
                m.referenced,
                format!(
                    "ignored: {what}.{other} (cpu, memory, pods, ephemeral-storage and extended resources are modelled)"
                ),
            ),
        }
    }
    if !have.0 || !have.1 {
        return Err(ctx.err_at(
            m.referenced,
            format!("{what} needs both cpu and memory"),
            Some("e.g. {cpu: \"4\", memory: 16Gi, pods: 110}".into()),
        ));
    }
    Ok((r, pods))
}
