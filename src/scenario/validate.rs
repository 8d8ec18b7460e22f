//! Raw documents -> a checked `Scenario`.

use super::error::{InputError, LoadError, SourceFile, suggestion};
use super::raw::*;
use super::*;
use crate::api::PodManagementPolicy;
use crate::api::pod::DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
use crate::api::pod::TolerationOp;
use crate::api::workloads::{
    DEFAULT_DAEMONSET_MAX_UNAVAILABLE, DEFAULT_MAX_SURGE, DEFAULT_MAX_UNAVAILABLE, DEFAULT_PROGRESS_DEADLINE_SECONDS,
    IntOrPercent,
};
use crate::api::{
    Affinity, NodeSelectorOp, NodeSelectorRequirement, NodeSelectorTerm, PodAffinityTerm, PreemptionPolicy,
    PriorityClass, TopologySpreadConstraint, WhenUnsatisfiable,
};
use crate::api::{Behavior, Probe, Resources};
use crate::api::{
    ContainerSpec, LabelSelector, Labels, PullPolicy, Requirement, RestartPolicy, SelectorOp, Taint, TaintEffect,
    Toleration,
};
use serde::de::DeserializeOwned;
use serde_saphyr::{Location, Spanned};
use std::collections::{BTreeMap, BTreeSet};

/// Kinds of the contract that later issues bring, with the issue that does.
const NOT_YET: &[(&str, &str)] = &[];

/// The kinds a scenario file may hold, for messages.
const SUPPORTED_KINDS: &str = "supported kinds: Scenario, Pod, Node, Namespace, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, PodDisruptionBudget, PriorityClass";

/// One `---`-separated document: its text and the line it starts on.
pub(crate) struct Doc<'a> {
    pub(crate) text: &'a str,
    pub(crate) first_line: usize,
}

pub(crate) fn split_documents(text: &str) -> Vec<Doc<'_>> {
    let mut docs = Vec::new();
    let mut start = 0usize;
    let mut start_line = 1usize;
    let mut off = 0usize;
    for (line_no, line) in (1usize..).zip(text.split_inclusive('\n')) {
        let t = line.trim_end_matches(['\n', '\r']);
        let is_marker = t == "---" || t.starts_with("--- ") || t.starts_with("---\t") || t == "...";
        if is_marker {
            docs.push(Doc { text: &text[start..off], first_line: start_line });
            // Content after "--- " on the marker line belongs to the next document.
            let skip = if t == "..." { line.len() } else { 3 };
            start = off + skip.min(line.len());
            start_line = line_no;
            if t == "..." || t == "---" {
                start = off + line.len();
                start_line = line_no + 1;
            }
        }
        off += line.len();
    }
    docs.push(Doc { text: &text[start..], first_line: start_line });
    docs.retain(|d| {
        d.text.lines().any(|l| {
            let l = l.trim();
            !l.is_empty() && !l.starts_with('#') && !l.starts_with('%')
        })
    });
    docs
}

struct Ctx<'a> {
    src: &'a SourceFile,
    doc_line: usize,
    warnings: Vec<String>,
    /// The scenario's PriorityClasses (and the two system ones), for `priorityClassName`.
    priority_classes: Vec<PriorityClass>,
    /// Extended resource names, in first-seen order: their index in `Resources::ext`.
    extended_resources: Vec<String>,
}

type R<T> = Result<T, Box<InputError>>;

impl Ctx<'_> {
    /// The index of an extended resource name, registering it on first sight.
    fn extended_resource(&mut self, name: &str, loc: Location) -> R<usize> {
        if let Some(i) = self.extended_resources.iter().position(|n| n == name) {
            return Ok(i);
        }
        if self.extended_resources.len() >= crate::api::MAX_EXTENDED_RESOURCES {
            return Err(self.err_at(
                loc,
                format!(
                    "{name}: a scenario may use at most {} extended resource names",
                    crate::api::MAX_EXTENDED_RESOURCES
                ),
                None,
            ));
        }
        self.extended_resources.push(name.to_string());
        Ok(self.extended_resources.len() - 1)
    }

    fn err_at(&self, loc: Location, msg: impl Into<String>, help: Option<String>) -> Box<InputError> {
        let line = loc.line() as usize + self.doc_line - 1;
        Box::new(self.src.error(line, loc.column() as usize, msg, help))
    }
    fn err_doc(&self, msg: impl Into<String>, help: Option<String>) -> Box<InputError> {
        Box::new(self.src.error(self.doc_line, 1, msg, help))
    }
    fn warn_at(&mut self, loc: Location, msg: impl AsRef<str>) {
        let line = loc.line() as usize + self.doc_line - 1;
        self.warnings.push(format!("{}:{}:{}: {}", self.src.name, line, loc.column(), msg.as_ref()));
    }
    fn warn_ignored(&mut self, prefix: &str, fields: Vec<(&'static str, Location)>) {
        for (f, loc) in fields {
            self.warn_at(loc, format!("ignored: {prefix}{f} (not modelled by kubesim)"));
        }
    }
    fn parse<T: DeserializeOwned>(&self, text: &str) -> R<T> {
        serde_saphyr::from_str::<T>(text).map_err(|e| {
            let raw = e.without_snippet().to_string();
            let msg = friendlier(strip_position(&raw));
            let help = suggestion(&msg);
            match e.location() {
                Some(loc) => self.err_at(loc, msg, help),
                None => self.err_doc(msg, help),
            }
        })
    }
}

/// serde's terse messages for numbers, said the way a user needs them.
fn friendlier(m: String) -> String {
    let range = match m.as_str() {
        "invalid u32" => Some("a whole number from 0 to 4294967295"),
        "invalid u64" => Some("a whole number from 0 to 18446744073709551615"),
        "invalid i32" => Some("a whole number from -2147483648 to 2147483647"),
        "invalid i64" => Some("a whole number from -9223372036854775808 to 9223372036854775807"),
        "expected sequence start" => {
            return "expected a list here (a YAML sequence: `- item` lines or `[a, b]`)".into();
        }
        "expected mapping start" => return "expected a mapping here (`key: value` lines or `{key: value}`)".into(),
        _ => None,
    };
    match range {
        Some(r) => format!("expected {r} here"),
        None if m.starts_with("budget breached") => {
            format!("{m}: the document expands to too much data (an alias bomb or runaway nesting?)")
        }
        None => m,
    }
}

fn strip_position(m: &str) -> String {
    match m.rfind(" at line ") {
        Some(i) if m[i..].contains(", column ") => m[..i].to_string(),
        _ => m.to_string(),
    }
}

/// Parse a whole file as one document of type `T`, with kubesim's error messages.
pub(crate) fn parse_document<T: DeserializeOwned>(src: &SourceFile) -> Result<T, Box<InputError>> {
    let ctx =
        Ctx { src, doc_line: 1, warnings: Vec::new(), priority_classes: Vec::new(), extended_resources: Vec::new() };
    ctx.parse(&src.text)
}

pub(crate) fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(is_dns_label)
}

#[derive(Default)]
struct Raw {
    scenario: Option<(ScenarioDoc, usize)>,
    pods: Vec<(PodManifest, usize)>,
    nodes: Vec<(NodeManifest, usize)>,
    replicasets: Vec<(ReplicaSetManifest, usize)>,
    deployments: Vec<(DeploymentManifest, usize)>,
    jobs: Vec<(JobManifest, usize)>,
    daemonsets: Vec<(DaemonSetManifest, usize)>,
    statefulsets: Vec<(StatefulSetManifest, usize)>,
    pdbs: Vec<(PdbManifest, usize)>,
    priority_classes: Vec<(PriorityClassManifest, usize)>,
}

pub(super) fn validate(src: &SourceFile, path: &Path, opts: &LoadOptions) -> Result<Scenario, LoadError> {
    let docs = split_documents(&src.text);
    let mut ctx =
        Ctx { src, doc_line: 1, warnings: Vec::new(), priority_classes: Vec::new(), extended_resources: Vec::new() };
    if docs.is_empty() {
        return Err(src
            .error(0, 0, "the file holds no YAML document", Some("start from scenarios/quickstart.yaml".into()))
            .into());
    }
    let mut raw = Raw::default();
    for d in &docs {
        ctx.doc_line = d.first_line;
        let header: Header = ctx.parse(d.text)?;
        let Some(kind) = header.kind else {
            return Err(ctx
                .err_doc("this document has no `kind`", Some("every document needs `apiVersion` and `kind`".into()))
                .into());
        };
        let api = header.api_version.as_ref().map(|a| a.value.as_str()).unwrap_or("");
        let want = match kind.value.as_str() {
            "Scenario" => "kubesim.io/v1alpha1",
            "Pod" | "Node" | "Namespace" => "v1",
            "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" => "apps/v1",
            "Job" => "batch/v1",
            "PodDisruptionBudget" => "policy/v1",
            "PriorityClass" => "scheduling.k8s.io/v1",
            k => {
                if let Some((_, av)) = NOT_YET.iter().find(|(n, _)| *n == k) {
                    return Err(ctx
                        .err_at(
                            kind.referenced,
                            format!("kind {k} ({av}) is not supported yet"),
                            Some(SUPPORTED_KINDS.into()),
                        )
                        .into());
                }
                return Err(ctx
                    .err_at(kind.referenced, format!("unknown kind {k:?}"), Some(SUPPORTED_KINDS.into()))
                    .into());
            }
        };
        if api != want {
            let loc = header.api_version.as_ref().map_or(kind.referenced, |a| a.referenced);
            return Err(ctx
                .err_at(
                    loc,
                    format!("apiVersion {api:?} is not one kubesim knows for kind {}", kind.value),
                    Some(format!("use `apiVersion: {want}`")),
                )
                .into());
        }
        match kind.value.as_str() {
            "Scenario" => {
                if raw.scenario.is_some() {
                    return Err(ctx
                        .err_at(
                            kind.referenced,
                            "a second Scenario document",
                            Some("a file holds exactly one Scenario".into()),
                        )
                        .into());
                }
                raw.scenario = Some((ctx.parse(d.text)?, d.first_line));
            }
            "Pod" => raw.pods.push((ctx.parse(d.text)?, d.first_line)),
            "Node" => raw.nodes.push((ctx.parse(d.text)?, d.first_line)),
            "Deployment" => raw.deployments.push((ctx.parse(d.text)?, d.first_line)),
            "ReplicaSet" => raw.replicasets.push((ctx.parse(d.text)?, d.first_line)),
            "Job" => raw.jobs.push((ctx.parse(d.text)?, d.first_line)),
            "DaemonSet" => raw.daemonsets.push((ctx.parse(d.text)?, d.first_line)),
            "StatefulSet" => raw.statefulsets.push((ctx.parse(d.text)?, d.first_line)),
            "PodDisruptionBudget" => raw.pdbs.push((ctx.parse(d.text)?, d.first_line)),
            "PriorityClass" => raw.priority_classes.push((ctx.parse(d.text)?, d.first_line)),
            "Namespace" => {
                let _: NamespaceManifest = ctx.parse(d.text)?;
            }
            _ => unreachable!("kinds are checked above"),
        }
    }
    build(&mut ctx, raw, path, opts).map_err(LoadError::from)
}

fn build(ctx: &mut Ctx, raw: Raw, path: &Path, opts: &LoadOptions) -> R<Scenario> {
    let Some((doc, line)) = raw.scenario else {
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
    ctx.doc_line = line;
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
    let spec = doc.spec;
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
            let sets = x.set.iter().map(|(k, v)| format!("{k}={}", v.inline())).collect();
            variants.push((n.value.clone(), sets));
        }
    }

    // PriorityClasses first: pods name them.
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
    for (m, line) in &raw.priority_classes {
        ctx.doc_line = *line;
        ctx.warn_ignored("metadata.", m.metadata.ignored_fields());
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

    // Images: the catalogue first, then any image a manifest or pool names.
    let mut images: Vec<ImageDef> = Vec::new();
    for im in &spec.images {
        if images.iter().any(|i| i.name == im.name.value) {
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
    let mut image_id = |name: &str| -> (ImageId, Behavior) {
        if let Some(i) = images.iter().position(|i| i.name == name) {
            return (ImageId(i as u32), images[i].behavior);
        }
        images.push(ImageDef { name: name.to_string(), size: DEFAULT_IMAGE_SIZE, behavior: Behavior::default() });
        (ImageId(images.len() as u32 - 1), Behavior::default())
    };

    // Registry.
    let reg = spec.registry.unwrap_or_default();
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

    // Kubernetes settings.
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
    }

    let mut scheduler = crate::scheduler::SchedulerConfig::default();
    let sched_raw = spec.kubernetes.as_ref().and_then(|k| k.scheduler.as_ref());
    // Nodes: pools, then Node manifests.
    let mut nodes: Vec<NodeDef> = Vec::new();
    let mut node_names = BTreeSet::new();
    let mut total_nodes: u64 = 0;
    // Per pool: (name, count, a template of its nodes) for `add-nodes`.
    let mut pool_templates: Vec<(String, u32, NodeDef)> = Vec::new();
    for pool in &spec.node_pools {
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
                let name = meta_name(ctx, &m.metadata, "Pod", true)?;
                let ns = namespace(ctx, &m.metadata)?;
                ctx.warn_ignored("metadata.", m.metadata.ignored_fields());
                let Some(spec) = &m.spec else {
                    return Err(ctx.err_at(sp.referenced, format!("staticPods[{i}] ({name}) has no spec"), None));
                };
                let prefix = format!("nodePools[].staticPods[{i}].spec.");
                let mut spec = pod_spec(ctx, spec, &m.metadata.annotations, &prefix, &mut image_id)?;
                default_tolerations(&mut spec, &kubernetes);
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
        {
            let mut labels = Labels::default();
            for (k, v) in &pool.labels {
                labels.insert(k, v);
            }
            labels.insert("kubesim.io/pool", &pool.name.value);
            pool_templates.push((
                pool.name.value.clone(),
                pool.count,
                NodeDef {
                    name: String::new(),
                    labels,
                    taints: taints.clone(),
                    unschedulable: pool.unschedulable,
                    capacity,
                    allocatable,
                    pods: apods.unwrap_or(pods.unwrap_or(DEFAULT_MAX_PODS)),
                    images: pool_images.clone(),
                    static_pods: static_pods.clone(),
                },
            ));
        }
        for i in 0..pool.count {
            let name = format!("{}-{}", pool.name.value, i);
            if !node_names.insert(name.clone()) {
                return Err(ctx.err_at(pool.name.referenced, format!("node {name:?} is defined twice"), None));
            }
            let mut labels = node_labels(&name);
            for (k, v) in &pool.labels {
                labels.insert(k, v);
            }
            labels.insert("kubesim.io/pool", &pool.name.value);
            nodes.push(NodeDef {
                name,
                labels,
                taints: taints.clone(),
                unschedulable: pool.unschedulable,
                capacity,
                allocatable,
                pods: apods.unwrap_or(pods.unwrap_or(DEFAULT_MAX_PODS)),
                images: pool_images.clone(),
                static_pods: static_pods.clone(),
            });
        }
    }
    for (n, line) in &raw.nodes {
        ctx.doc_line = *line;
        let name = meta_name(ctx, &n.metadata, "Node", false)?;
        if !node_names.insert(name.clone()) {
            return Err(ctx.err_at(
                n.metadata.name.as_ref().unwrap().referenced,
                format!("node {name:?} is defined twice"),
                None,
            ));
        }
        ctx.warn_ignored("metadata.", n.metadata.ignored_fields());
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

    // Workloads and pods.
    let mut seen = BTreeSet::new();
    let mut pods = Vec::new();
    for (p, line) in &raw.pods {
        ctx.doc_line = *line;
        let name = meta_name(ctx, &p.metadata, "Pod", true)?;
        let ns = namespace(ctx, &p.metadata)?;
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
        let mut spec = pod_spec(ctx, spec, &p.metadata.annotations, "spec.", &mut image_id)?;
        default_tolerations(&mut spec, &kubernetes);
        if let Some(nn) = &spec.node_name
            && !node_names.contains(nn)
        {
            ctx.warnings.push(format!(
                "{}: Pod {ns}/{name} names spec.nodeName {nn:?}, which no node has: it will stay Pending",
                ctx.src.name
            ));
        }
        pods.push(ObjectDef { namespace: ns, name, labels: labels_of(&p.metadata), spec: Arc::new(spec) });
    }
    // Trace nodes, pods and removals.
    let mut trace_pods: Vec<super::trace::TracePod> = Vec::new();
    let mut trace_image = None;
    let mut trace_faults = Vec::new();
    if let Some(t) = &spec.trace {
        let terr = |loc: Location, e: super::trace::TraceError| {
            let place = if e.line > 0 { format!("{}:{}", e.file, e.line) } else { e.file.clone() };
            ctx.err_at(loc, format!("spec.trace: {place}: {}", e.message), Some(super::trace::TRACE_FORMAT_HELP.into()))
        };
        let img = image_id(TRACE_IMAGE).0;
        trace_image = Some(img);
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
                return Err(ctx.err_at(
                    t.nodes.referenced,
                    format!("spec.trace: node {name:?} is defined twice"),
                    None,
                ));
            }
            let r = Resources::new(cpu, ram);
            nodes.push(NodeDef {
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
            trace_pods = super::trace::pods(pods_path.as_deref().unwrap_or(path)).map_err(|e| terr(p.referenced, e))?;
        }
        if let Some(r) = &t.removals {
            let rm =
                super::trace::removals(removals_path.as_deref().unwrap_or(path)).map_err(|e| terr(r.referenced, e))?;
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
                trace_faults.push(FaultDef::NodeCrash { at: SimTime(at), until: None, nodes: ids.clone() });
                trace_faults.push(FaultDef::DeleteNode { at: SimTime(at), nodes: ids });
            }
        }
    }
    let mut replicasets = Vec::new();
    // The largest `replicas`, to point at when the total is too large.
    let mut biggest: Option<(u32, Location, usize)> = None;
    for (m, line) in &raw.replicasets {
        ctx.doc_line = *line;
        let (ns, name, spec) =
            manifest_head(ctx, &mut seen, "ReplicaSet", &m.metadata, m.ignored_fields(), m.spec.as_ref())?;
        ctx.warn_ignored("spec.", spec.ignored_fields());
        let (selector, replicas, template) = workload_parts(
            ctx,
            &name,
            &spec.selector,
            &spec.replicas,
            &spec.template,
            &mut image_id,
            &kubernetes,
            TemplateKind::Replicated,
        )?;
        note_biggest(&mut biggest, &spec.replicas, *line);
        replicasets.push(WorkloadDef::new(ns, name, labels_of(&m.metadata), selector, replicas, template));
    }
    let mut deployments = Vec::new();
    for (m, line) in &raw.deployments {
        ctx.doc_line = *line;
        let (ns, name, spec) =
            manifest_head(ctx, &mut seen, "Deployment", &m.metadata, m.ignored_fields(), m.spec.as_ref())?;
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
        let (selector, replicas, template) = workload_parts(
            ctx,
            &name,
            &spec.selector,
            &spec.replicas,
            &spec.template,
            &mut image_id,
            &kubernetes,
            TemplateKind::Replicated,
        )?;
        note_biggest(&mut biggest, &spec.replicas, *line);
        deployments.push(WorkloadDef {
            strategy,
            progress_deadline_ms,
            ..WorkloadDef::new(ns, name, labels_of(&m.metadata), selector, replicas, template)
        });
    }
    let mut statefulsets = Vec::new();
    for (m, line) in &raw.statefulsets {
        ctx.doc_line = *line;
        let (ns, name, spec) =
            manifest_head(ctx, &mut seen, "StatefulSet", &m.metadata, m.ignored_fields(), m.spec.as_ref())?;
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
        let (selector, replicas, template) = workload_parts(
            ctx,
            &name,
            &spec.selector,
            &spec.replicas,
            &spec.template,
            &mut image_id,
            &kubernetes,
            TemplateKind::Replicated,
        )?;
        note_biggest(&mut biggest, &spec.replicas, *line);
        statefulsets.push(WorkloadDef {
            pod_management,
            ..WorkloadDef::new(ns, name, labels_of(&m.metadata), selector, replicas, template)
        });
    }
    let mut daemonsets = Vec::new();
    for (m, line) in &raw.daemonsets {
        ctx.doc_line = *line;
        let (ns, name, spec) =
            manifest_head(ctx, &mut seen, "DaemonSet", &m.metadata, m.ignored_fields(), m.spec.as_ref())?;
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
            &kubernetes,
            TemplateKind::Daemon,
        )?;
        daemonsets.push(WorkloadDef {
            max_unavailable,
            ..WorkloadDef::new(ns, name, labels_of(&m.metadata), selector, 0, template)
        });
    }
    let mut jobs = Vec::new();
    for (m, line) in &raw.jobs {
        ctx.doc_line = *line;
        let (ns, name, spec) = manifest_head(ctx, &mut seen, "Job", &m.metadata, m.ignored_fields(), m.spec.as_ref())?;
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
        let template = job_template(ctx, &name, &spec.template, template_labels, &mut image_id, &kubernetes)?;
        let parallelism = spec.parallelism.as_ref().map_or(1, |p| p.value);
        let completions = match (&spec.completions, &spec.parallelism) {
            (Some(c), _) => Some(c.value),
            // Neither set: one pod, one completion. Only parallelism: a work queue.
            (None, None) => Some(1),
            (None, Some(_)) => None,
        };
        jobs.push(JobDef {
            namespace: ns,
            name,
            template,
            completions,
            parallelism,
            backoff_limit: spec
                .backoff_limit
                .as_ref()
                .map_or(crate::api::workloads::DEFAULT_BACKOFF_LIMIT, |b| b.value),
            active_deadline_ms: match &spec.active_deadline_seconds {
                Some(a) if a.value == 0 => {
                    return Err(ctx.err_at(a.referenced, "spec.activeDeadlineSeconds must be positive", None));
                }
                Some(a) => Some(a.value.saturating_mul(1000)),
                None => None,
            },
        });
    }
    let mut pdbs = Vec::new();
    for (m, line) in &raw.pdbs {
        ctx.doc_line = *line;
        let (ns, name, spec) =
            manifest_head(ctx, &mut seen, "PodDisruptionBudget", &m.metadata, m.ignored_fields(), m.spec.as_ref())?;
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
        pdbs.push(PdbDef { namespace: ns, name, selector: sel, min_available, max_unavailable });
    }
    let total_pods: u64 = pods.len() as u64
        + trace_pods.len() as u64
        + replicasets.iter().map(|r| r.replicas as u64).sum::<u64>()
        + deployments.iter().map(|d| d.replicas as u64).sum::<u64>()
        + statefulsets.iter().map(|d| d.replicas as u64).sum::<u64>()
        + jobs.iter().map(|j| j.completions.unwrap_or(j.parallelism) as u64).sum::<u64>()
        + daemonsets.len() as u64 * nodes.len() as u64;
    ctx.doc_line = line;
    if !opts.allow_large {
        let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
        if total_pods > MAX_PODS {
            let at = biggest.map(|b| {
                ctx.doc_line = b.2;
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
    }

    // Faults.
    ctx.doc_line = line;
    let mut faults = Vec::new();
    for f in &spec.faults {
        match &f.value {
            FaultRaw::PodKill(k) | FaultRaw::PodFailure(k) | FaultRaw::ContainerKill(k) => {
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
                        let n: u32 = v.value.trim().parse().map_err(|_| {
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
                let selector =
                    LabelSelector { match_labels: k.selector.clone().into_iter().collect(), match_expressions: vec![] };
                let namespace = k.namespace.clone().unwrap_or_else(|| "default".into());
                let matches_something = pods.iter().any(|p| p.namespace == namespace && selector.matches(&p.labels))
                    || replicasets
                        .iter()
                        .chain(deployments.iter())
                        .any(|w| w.namespace == namespace && selector.matches(&w.template.labels));
                if !matches_something {
                    ctx.warn_at(
                        f.referenced,
                        format!("{action}: the selector matches no pod or pod template; it will do nothing"),
                    );
                }
                if k.at.0 > duration {
                    ctx.warn_at(f.referenced, format!("{action}: `at` is after spec.duration; it will never happen"));
                }
                let at = SimTime(k.at.0);
                let target = PodTarget { namespace, selector, mode };
                faults.push(match action {
                    "pod-kill" => {
                        FaultDef::PodKill { at, target, grace_ms: k.grace_period.map(|s| s.saturating_mul(1000)) }
                    }
                    "pod-failure" => FaultDef::PodFailure { at, until: k.duration.map(|d| at.plus(d.0)), target },
                    _ => {
                        let names: Vec<String> = k.containers.iter().flatten().map(|c| c.value.clone()).collect();
                        if names.is_empty() {
                            return Err(ctx.err_at(
                                f.referenced,
                                "container-kill needs at least one container name",
                                None,
                            ));
                        }
                        FaultDef::ContainerKill { at, target, containers: names }
                    }
                });
            }
            FaultRaw::NodeCordon(t) | FaultRaw::NodeUncordon(t) => {
                if t.has_drain_fields() {
                    return Err(ctx.err_at(f.referenced, "`force` and `gracePeriod` belong to node-drain", None));
                }
                let cordon = matches!(&f.value, FaultRaw::NodeCordon(_));
                let action = if cordon { "node-cordon" } else { "node-uncordon" };
                if t.memory.is_some() || t.duration.is_some() || t.downtime.is_some() {
                    return Err(ctx.err_at(
                        f.referenced,
                        format!("{action} takes no `memory`, `duration` or `downtime`"),
                        Some("cordon with one action and uncordon with another".into()),
                    ));
                }
                let nodes = node_targets(ctx, t, f.referenced, action, &nodes, &spec.node_pools)?;
                if t.at_ms() > duration {
                    ctx.warn_at(f.referenced, format!("{action}: `at` is after spec.duration; it will never happen"));
                }
                faults.push(FaultDef::NodeCordon { at: SimTime(t.at_ms()), nodes, cordon });
            }
            FaultRaw::NodeCrash(t) | FaultRaw::NodeRestart(t) => {
                if t.has_drain_fields() {
                    return Err(ctx.err_at(f.referenced, "`force` and `gracePeriod` belong to node-drain", None));
                }
                let restart = matches!(&f.value, FaultRaw::NodeRestart(_));
                let action = if restart { "node-restart" } else { "node-crash" };
                if t.memory.is_some() || (restart && t.duration.is_some()) || (!restart && t.downtime.is_some()) {
                    let want = if restart {
                        "{at, nodes | pool | nodeSelector, downtime}"
                    } else {
                        "{at, nodes | pool | nodeSelector, duration}"
                    };
                    return Err(ctx.err_at(f.referenced, format!("{action} takes {want}"), None));
                }
                let targets = node_targets(ctx, t, f.referenced, action, &nodes, &spec.node_pools)?;
                let at = SimTime(t.at_ms());
                if let Some(r) = random_failures(
                    ctx,
                    t,
                    if restart { RandomAction::Restart } else { RandomAction::Crash },
                    &targets,
                )? {
                    if (restart && t.downtime.is_some()) || (!restart && t.duration.is_some()) {
                        return Err(ctx.err_at(
                            f.referenced,
                            format!("{action} with `mtbf` takes its downtimes from `mttr`"),
                            None,
                        ));
                    }
                    faults.push(r);
                    continue;
                }
                let until = if restart {
                    // A reboot: down for `downtime` (default 1m), then back.
                    Some(at.plus(t.downtime.map_or(DEFAULT_NODE_RESTART_DOWNTIME_MS, |d| d.0)))
                } else {
                    t.duration.map(|d| at.plus(d.0))
                };
                faults.push(FaultDef::NodeCrash { at, until, nodes: targets });
            }
            FaultRaw::NodeMemoryHog(t) => {
                if t.has_drain_fields() {
                    return Err(ctx.err_at(f.referenced, "`force` and `gracePeriod` belong to node-drain", None));
                }
                if t.downtime.is_some() {
                    return Err(ctx.err_at(f.referenced, "node-memory-hog takes no `downtime`", None));
                }
                let Some(mem) = &t.memory else {
                    return Err(ctx.err_at(
                        f.referenced,
                        "node-memory-hog needs `memory`",
                        Some("e.g. `memory: 2Gi`".into()),
                    ));
                };
                let bytes = mem.value.0.value().filter(|&v| v > 0).ok_or_else(|| {
                    ctx.err_at(mem.referenced, "node-memory-hog memory must be positive and below 8Ei", None)
                })? as u64;
                let targets = node_targets(ctx, t, f.referenced, "node-memory-hog", &nodes, &spec.node_pools)?;
                let at = SimTime(t.at_ms());
                faults.push(FaultDef::NodeMemoryHog {
                    at,
                    until: t.duration.map(|d| at.plus(d.0)),
                    nodes: targets,
                    bytes,
                });
            }
            FaultRaw::RegistryOutage(r) | FaultRaw::RegistrySlow(r) | FaultRaw::ImageMissing(r) => {
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
                        let Some(i) = images.iter().position(|i| i.name == name.value) else {
                            return Err(ctx.err_at(
                                name.referenced,
                                format!("image-missing names image {:?}, which no node pool, catalogue entry or manifest uses", name.value),
                                None,
                            ));
                        };
                        FaultDef::ImageMissing { at, until, image: ImageId(i as u32) }
                    }
                });
            }
            FaultRaw::NodeDrain(t) => {
                if t.memory.is_some() || t.duration.is_some() || t.downtime.is_some() {
                    return Err(ctx.err_at(
                        f.referenced,
                        "node-drain takes {at, nodes | pool | nodeSelector, force, gracePeriod}",
                        Some("uncordon later with a node-uncordon action".into()),
                    ));
                }
                let targets = node_targets(ctx, t, f.referenced, "node-drain", &nodes, &spec.node_pools)?;
                faults.push(FaultDef::NodeDrain {
                    at: SimTime(t.at_ms()),
                    nodes: targets,
                    force: t.force.unwrap_or(false),
                    grace_ms: t.grace_period.map(|g| g.saturating_mul(1000)),
                });
            }
            FaultRaw::ZoneOutage(z) => {
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
                faults.push(FaultDef::NodeCrash { at, until: z.duration.map(|d| at.plus(d.0)), nodes: targets });
            }
            FaultRaw::NetworkPartition(t) | FaultRaw::KubeletServiceKill(t) => {
                let partition = matches!(&f.value, FaultRaw::NetworkPartition(_));
                let action = if partition { "network-partition" } else { "kubelet-service-kill" };
                if t.memory.is_some() || t.downtime.is_some() || t.has_drain_fields() {
                    return Err(ctx.err_at(
                        f.referenced,
                        format!("{action} takes {{at, nodes | pool | nodeSelector, duration}}"),
                        None,
                    ));
                }
                let nodes = node_targets(ctx, t, f.referenced, action, &nodes, &spec.node_pools)?;
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
                    continue;
                }
                let at = SimTime(t.at_ms());
                let until = t.duration.map(|d| at.plus(d.0));
                faults.push(if partition {
                    FaultDef::NetworkPartition { at, until, nodes }
                } else {
                    FaultDef::KubeletKill { at, until, nodes }
                });
            }
            FaultRaw::ApiserverOutage(r) => {
                if r.factor.is_some() || r.image.is_some() {
                    return Err(ctx.err_at(f.referenced, "apiserver-outage takes {at, duration}", None));
                }
                let at = SimTime(r.at.0);
                faults.push(FaultDef::ApiserverOutage { at, until: r.duration.map(|d| at.plus(d.0)) });
            }
            FaultRaw::AddNodes(a) => {
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
                    let mut n = template.clone();
                    let mut labels = node_labels(&name);
                    for (k, v) in &template.labels.0 {
                        labels.insert(k, v);
                    }
                    n.labels = labels;
                    n.name = name;
                    new_nodes.push(n);
                }
                *next += a.count;
                faults.push(FaultDef::AddNodes { at: SimTime(a.at.0), nodes: new_nodes });
            }
            FaultRaw::DeleteNode(t) => {
                if t.has_drain_fields() {
                    return Err(ctx.err_at(f.referenced, "`force` and `gracePeriod` belong to node-drain", None));
                }
                if t.memory.is_some() || t.duration.is_some() || t.downtime.is_some() {
                    return Err(ctx.err_at(f.referenced, "delete-node takes {at, nodes | pool | nodeSelector}", None));
                }
                let targets = node_targets(ctx, t, f.referenced, "delete-node", &nodes, &spec.node_pools)?;
                faults.push(FaultDef::DeleteNode { at: SimTime(t.at_ms()), nodes: targets });
            }
            FaultRaw::SetImage(r) | FaultRaw::RolloutRestart(r) => {
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
                        return Err(ctx.err_at(
                            f.referenced,
                            "rollout-restart takes {at, deployment, namespace}",
                            None,
                        ));
                    }
                    faults.push(FaultDef::RolloutRestart { at, deployment });
                    continue;
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
                let img = match images.iter().position(|i| i.name == image.value) {
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
                faults.push(FaultDef::SetImage { at, deployment, init, container, image: img });
            }
            FaultRaw::Scale(r) => {
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
                        Some(format!(
                            "defined: {}",
                            workload_list(&deployments, &replicasets, &statefulsets, &daemonsets).join(", ")
                        )),
                    ));
                };
                faults.push(FaultDef::Scale { at: SimTime(r.at.0), workload, replicas: r.replicas });
            }
        }
    }

    faults.extend(trace_faults);

    // Expectations, against the workloads that exist.
    let workload_names = workload_list(&deployments, &replicasets, &statefulsets, &daemonsets);
    let mut expectations = Vec::new();
    for e in spec.expect.iter().flatten() {
        let parsed = super::expect::parse(&e.value, &workload_names)
            .map_err(|m| ctx.err_at(e.referenced, format!("expect: {m}"), None))?;
        expectations.extend(parsed);
    }

    if let Some(r) = sched_raw {
        scheduler_config(ctx, r, &mut scheduler)?;
    }
    scheduler.extended_resources = ctx.extended_resources.clone();
    Ok(Scenario {
        file: path.to_path_buf(),
        name: doc.metadata.name.value.clone(),
        description: doc.metadata.description.clone().unwrap_or_default(),
        duration: SimTime(duration),
        seed: spec.seed.unwrap_or(DEFAULT_SEED),
        sample_interval_ms: sample,
        nodes,
        images,
        registry,
        kubernetes,
        pods,
        replicasets,
        deployments,
        jobs,
        daemonsets,
        statefulsets,
        pdbs,
        trace_pods: trace_pods.into(),
        trace_image,
        faults,
        expectations,
        warnings: std::mem::take(&mut ctx.warnings),
        scheduler,
        variants,
        source_hash: crate::sim::fnv64(&[ctx.src.text.as_bytes()]),
    })
}

/// `spec.kubernetes.scheduler`: percentageOfNodesToScore, the NodeResourcesFit scoring
/// strategy (validated as kube-scheduler validates its args), the attempt latency.
fn scheduler_config(ctx: &mut Ctx, r: &SchedulerRaw, out: &mut crate::scheduler::SchedulerConfig) -> R<()> {
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
fn parse_version(s: &str) -> Option<(u32, u32)> {
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

/// `kind/name` of every workload, for messages and expectations.
fn workload_list(
    deployments: &[WorkloadDef],
    replicasets: &[WorkloadDef],
    statefulsets: &[WorkloadDef],
    daemonsets: &[WorkloadDef],
) -> Vec<String> {
    let of = |kind: &str, v: &[WorkloadDef]| v.iter().map(|d| format!("{kind}/{}", d.name)).collect::<Vec<_>>();
    [
        of("deployment", deployments),
        of("replicaset", replicasets),
        of("statefulset", statefulsets),
        of("daemonset", daemonsets),
    ]
    .concat()
}

/// `spec.strategy`: RollingUpdate (with upstream's 25%/25% defaults) or Recreate.
fn deployment_strategy(ctx: &mut Ctx, s: Option<&StrategyRaw>) -> R<DeploymentStrategy> {
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

/// An `IntOrString` count or percentage (`1`, `"25%"`), never negative.
fn int_or_percent(ctx: &Ctx, v: Option<&Spanned<IntOrString>>, field: &str) -> R<Option<IntOrPercent>> {
    let Some(v) = v else { return Ok(None) };
    let bad = |what: String| {
        ctx.err_at(
            v.referenced,
            format!("{field}: {what}"),
            Some("write a whole number (`1`) or a percentage (`\"25%\"`)".into()),
        )
    };
    match &v.value {
        IntOrString::Int(i) if *i >= 0 && *i <= u32::MAX as i64 => Ok(Some(IntOrPercent::Int(*i as u32))),
        IntOrString::Int(i) => Err(bad(format!("{i} is out of range"))),
        IntOrString::Str(t) => match t.strip_suffix('%').map(|n| n.trim().parse::<u32>()) {
            Some(Ok(p)) if p <= 100 => Ok(Some(IntOrPercent::Percent(p))),
            Some(Ok(p)) => Err(bad(format!("{p}% is above 100%"))),
            _ => Err(bad(format!("{t:?} is not a number or a percentage"))),
        },
    }
}

/// `mtbf` / `mttr` on a node action: random failures of each target node for the whole run.
fn random_failures(
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
fn node_targets(
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

/// Behaviour values that parse but make no sense.
fn check_behavior(ctx: &Ctx, b: &BehaviorRaw) -> R<()> {
    if let Some(c) = &b.crash
        && c.mean_interval.value.0 == 0
    {
        return Err(ctx.err_at(
            c.mean_interval.referenced,
            "behavior.crash.meanInterval must be positive",
            Some("e.g. `meanInterval: 10m`".into()),
        ));
    }
    Ok(())
}

fn node_labels(name: &str) -> Labels {
    let mut l = Labels::default();
    l.insert("kubernetes.io/hostname", name);
    l.insert("kubernetes.io/os", "linux");
    l.insert("kubernetes.io/arch", "amd64");
    l
}

fn labels_of(m: &ObjectMeta) -> Labels {
    Labels::from_pairs(m.labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

fn meta_name(ctx: &Ctx, m: &ObjectMeta, kind: &str, subdomain_ok: bool) -> R<String> {
    let Some(n) = &m.name else {
        return Err(ctx.err_doc(format!("{kind} has no metadata.name"), Some("give every object a name".into())));
    };
    let ok = if subdomain_ok || kind != "Deployment" { is_dns_subdomain(&n.value) } else { is_dns_label(&n.value) };
    if !ok || n.value.len() > 200 {
        return Err(ctx.err_at(
            n.referenced,
            format!("metadata.name {:?} is not a valid {kind} name", n.value),
            Some("use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit".into()),
        ));
    }
    Ok(n.value.clone())
}

fn namespace(ctx: &Ctx, m: &ObjectMeta) -> R<String> {
    match &m.namespace {
        None => Ok("default".into()),
        Some(n) if is_dns_label(&n.value) => Ok(n.value.clone()),
        Some(n) => Err(ctx.err_at(n.referenced, format!("metadata.namespace {:?} is not a DNS label", n.value), None)),
    }
}

/// cpu / memory / pods of a capacity map; other resources are warned about.
fn resource_map(ctx: &mut Ctx, m: &Spanned<BTreeMap<String, Qty>>, what: &str) -> R<(Resources, Option<u32>)> {
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

fn taint(ctx: &Ctx, t: &TaintRaw) -> R<Taint> {
    Ok(Taint { key: t.key.value.clone(), value: t.value.clone().unwrap_or_default(), effect: effect(ctx, &t.effect)? })
}

fn effect(ctx: &Ctx, e: &Spanned<String>) -> R<TaintEffect> {
    match e.value.as_str() {
        "NoSchedule" => Ok(TaintEffect::NoSchedule),
        "PreferNoSchedule" => Ok(TaintEffect::PreferNoSchedule),
        "NoExecute" => Ok(TaintEffect::NoExecute),
        other => Err(ctx.err_at(
            e.referenced,
            format!("unknown taint effect {other:?}"),
            Some("use NoSchedule, PreferNoSchedule or NoExecute".into()),
        )),
    }
}

fn selector(ctx: &Ctx, s: &Spanned<LabelSelectorRaw>) -> R<LabelSelector> {
    let mut exprs = Vec::new();
    for r in &s.value.match_expressions {
        let op = match r.operator.value.as_str() {
            "In" => SelectorOp::In,
            "NotIn" => SelectorOp::NotIn,
            "Exists" => SelectorOp::Exists,
            "DoesNotExist" => SelectorOp::DoesNotExist,
            o => {
                return Err(ctx.err_at(
                    r.operator.referenced,
                    format!("unknown selector operator {o:?}"),
                    Some("use In, NotIn, Exists or DoesNotExist".into()),
                ));
            }
        };
        exprs.push(Requirement { key: r.key.clone(), op, values: r.values.clone() });
    }
    let sel =
        LabelSelector { match_labels: s.value.match_labels.clone().into_iter().collect(), match_expressions: exprs };
    if sel.match_labels.is_empty() && sel.match_expressions.is_empty() {
        return Err(ctx.err_at(
            s.referenced,
            "spec.selector is empty",
            Some("a workload's selector must select its template's labels".into()),
        ));
    }
    Ok(sel)
}

#[allow(clippy::too_many_arguments)] // the parts of a manifest it checks together
fn workload_parts(
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
    let mut spec = pod_spec(ctx, spec, &template.metadata.annotations, "spec.template.spec.", image_id)?;
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
fn note_biggest(biggest: &mut Option<(u32, Location, usize)>, replicas: &Option<Spanned<u32>>, line: usize) {
    if let Some(r) = replicas
        && biggest.is_none_or(|b| r.value > b.0)
    {
        *biggest = Some((r.value, r.referenced, line));
    }
}

/// What a pod template belongs to, for the kind-specific rules.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TemplateKind {
    /// Deployments, ReplicaSets, StatefulSets.
    Replicated,
    /// DaemonSets: upstream adds its tolerations to every daemon pod.
    Daemon,
}

/// A manifest's name, namespace and spec, checked for duplicates; ignored fields warned.
fn manifest_head<'a, S>(
    ctx: &mut Ctx,
    seen: &mut BTreeSet<(&'static str, String, String)>,
    kind: &'static str,
    meta: &ObjectMeta,
    ignored: Vec<(&'static str, Location)>,
    spec: Option<&'a S>,
) -> R<(String, String, &'a S)> {
    let name = meta_name(ctx, meta, kind, false)?;
    let ns = namespace(ctx, meta)?;
    if !seen.insert((kind, ns.clone(), name.clone())) {
        return Err(ctx.err_at(
            meta.name.as_ref().unwrap().referenced,
            format!("{kind} {ns}/{name} is defined twice"),
            None,
        ));
    }
    ctx.warn_ignored("metadata.", meta.ignored_fields());
    ctx.warn_ignored("", ignored);
    let Some(spec) = spec else {
        return Err(ctx.err_doc(format!("{kind} {name} has no spec"), None));
    };
    Ok((ns, name, spec))
}

/// A Job's pod template: restartPolicy Never or OnFailure (upstream validation).
fn job_template(
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
    let mut spec = pod_spec(ctx, spec_raw, &template.metadata.annotations, "spec.template.spec.", image_id)?;
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
fn daemonset_tolerations(spec: &mut PodSpec) {
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

/// A probe's timing with upstream's defaults and validation.
fn probe(ctx: &Ctx, p: &Option<ProbeRaw>, what: &str, success_must_be_one: bool) -> R<Option<Probe>> {
    let Some(p) = p else { return Ok(None) };
    let mut out = Probe { initial_delay_ms: p.initial_delay_seconds.unwrap_or(0) as u64 * 1000, ..Probe::default() };
    let positive = |v: &Option<Spanned<u32>>, name: &str| -> R<Option<u32>> {
        match v {
            Some(s) if s.value == 0 => {
                Err(ctx.err_at(s.referenced, format!("{what}.{name} must be greater than 0"), None))
            }
            Some(s) => Ok(Some(s.value)),
            None => Ok(None),
        }
    };
    if let Some(v) = positive(&p.period_seconds, "periodSeconds")? {
        out.period_ms = v as u64 * 1000;
    }
    if let Some(v) = positive(&p.timeout_seconds, "timeoutSeconds")? {
        out.timeout_ms = v as u64 * 1000;
    }
    if let Some(v) = positive(&p.failure_threshold, "failureThreshold")? {
        out.failure_threshold = v;
    }
    if let Some(v) = positive(&p.success_threshold, "successThreshold")? {
        if success_must_be_one && v != 1 {
            let loc = p.success_threshold.as_ref().unwrap().referenced;
            return Err(ctx.err_at(loc, format!("{what}.successThreshold must be 1 (as upstream validation)"), None));
        }
        out.success_threshold = v;
    }
    Ok(Some(out))
}

fn pod_spec(
    ctx: &mut Ctx,
    s: &PodSpecRaw,
    annotations: &BTreeMap<String, String>,
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
    let override_: Option<BehaviorRaw> = match annotations.get(BEHAVIOR_ANNOTATION) {
        None => None,
        Some(v) => {
            let b: BehaviorRaw = serde_saphyr::from_str(v).map_err(|e| {
                ctx.err_doc(
                    format!("annotation {BEHAVIOR_ANNOTATION}: {}", strip_position(&e.without_snippet().to_string())),
                    Some("the annotation holds behaviour keys as YAML, e.g. '{exit: {after: 30s, code: 1}}'".into()),
                )
            })?;
            check_behavior(ctx, &b)?;
            Some(b)
        }
    };
    for (list, out, what, init) in [
        (&s.init_containers, &mut init_containers, "initContainers", true),
        (&s.containers, &mut containers, "containers", false),
    ] {
        for (i, c) in list.iter().enumerate() {
            let p = format!("{prefix}{what}[{i}].");
            ctx.warn_ignored(&p, c.ignored_fields());
            if !is_dns_label(&c.name.value) {
                return Err(ctx.err_at(
                    c.name.referenced,
                    format!("container name {:?} is not a DNS label", c.name.value),
                    None,
                ));
            }
            if !names.insert(c.name.value.clone()) {
                return Err(ctx.err_at(
                    c.name.referenced,
                    format!("container name {:?} is used twice", c.name.value),
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
            if let Some(o) = &override_ {
                apply_behavior(&mut behavior, o);
            }
            let mut spec = ContainerSpec {
                readiness_probe: probe(ctx, &c.readiness_probe, &format!("{p}readinessProbe"), false)?,
                liveness_probe: probe(ctx, &c.liveness_probe, &format!("{p}livenessProbe"), true)?,
                startup_probe: probe(ctx, &c.startup_probe, &format!("{p}startupProbe"), true)?,
                pre_stop: c.lifecycle.as_ref().is_some_and(|l| l.pre_stop.is_some()),
                sidecar,
                ..ContainerSpec::new(c.name.value.clone(), image_id_, pull_policy, behavior)
            };
            if let Some(l) = &c.lifecycle {
                ctx.warn_ignored(&format!("{p}lifecycle."), l.ignored_fields());
            }
            if init
                && !sidecar
                && (spec.readiness_probe.is_some() || spec.liveness_probe.is_some() || spec.startup_probe.is_some())
            {
                return Err(ctx.err_at(
                    c.name.referenced,
                    format!(
                        "{p}: init containers may not have probes, unless they are sidecars (as upstream validation)"
                    ),
                    None,
                ));
            }
            if let Some(r) = &c.resources {
                ctx.warn_ignored(&format!("{p}resources."), r.ignored_fields());
                for (is_limit, map) in [(false, &r.requests), (true, &r.limits)] {
                    for (k, q) in map {
                        let what = if is_limit { "limits" } else { "requests" };
                        match k.as_str() {
                            "cpu" => {
                                let v = q
                                    .value
                                    .0
                                    .milli_value()
                                    .ok_or_else(|| ctx.err_at(q.referenced, "cpu quantity out of range", None))?
                                    as u64;
                                if is_limit {
                                    spec.limits.cpu_milli = v;
                                    spec.has_cpu_limit = true
                                } else {
                                    spec.requests.cpu_milli = v;
                                    spec.has_cpu_request = true
                                }
                            }
                            "memory" => {
                                let v = q
                                    .value
                                    .0
                                    .value()
                                    .ok_or_else(|| ctx.err_at(q.referenced, "memory quantity out of range", None))?
                                    as u64;
                                if is_limit {
                                    spec.limits.memory = v;
                                    spec.has_memory_limit = true
                                } else {
                                    spec.requests.memory = v;
                                    spec.has_memory_request = true
                                }
                            }
                            "ephemeral-storage" => {
                                let v = q.value.0.value().ok_or_else(|| {
                                    ctx.err_at(q.referenced, "ephemeral-storage quantity out of range", None)
                                })? as u64;
                                if is_limit {
                                    spec.limits.storage = v;
                                } else {
                                    spec.requests.storage = v;
                                }
                            }
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
                                if is_limit {
                                    spec.limits.ext[i] = v;
                                } else {
                                    spec.requests.ext[i] = v;
                                }
                            }
                            other => ctx.warn_at(
                                q.referenced,
                                format!("ignored: {p}resources.{what}.{other} (cpu, memory, ephemeral-storage and extended resources are modelled)"),
                            ),
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
                        let loc = r.requests.get(res).map(|q| q.referenced).unwrap_or(c.name.referenced);
                        return Err(ctx.err_at(
                            loc,
                            format!("{p}resources.requests.{res} must be less than or equal to the {res} limit"),
                            None,
                        ));
                    }
                }
            }
            out.push(spec);
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
    let mut tolerations = Vec::new();
    for t in &s.tolerations {
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
        tolerations.push(Toleration {
            key: t.key.clone().unwrap_or_default(),
            op,
            value: t.value.clone().unwrap_or_default(),
            effect,
            toleration_seconds: t.toleration_seconds,
        });
    }
    Ok(PodSpec {
        containers,
        init_containers,
        node_selector: Labels::from_pairs(s.node_selector.clone().into_iter().collect()),
        affinity_node: None,
        node_name: s.node_name.as_ref().map(|n| n.value.clone()),
        tolerations,
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

fn preemption_policy(ctx: &Ctx, p: &Option<Spanned<String>>) -> R<Option<PreemptionPolicy>> {
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
fn resolve_priority(ctx: &Ctx, s: &PodSpecRaw) -> R<(i32, Option<String>, PreemptionPolicy)> {
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

fn node_selector_term(ctx: &Ctx, t: &NodeSelectorTermRaw, what: &str) -> R<NodeSelectorTerm> {
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

fn pod_affinity_term(ctx: &mut Ctx, t: &PodAffinityTermRaw, what: &str) -> R<PodAffinityTerm> {
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

fn weight(ctx: &Ctx, w: &Spanned<i32>, what: &str) -> R<i32> {
    if !(1..=100).contains(&w.value) {
        return Err(ctx.err_at(w.referenced, format!("{what}.weight must be between 1 and 100"), None));
    }
    Ok(w.value)
}

fn affinity(ctx: &mut Ctx, a: &AffinityRaw, prefix: &str) -> R<Affinity> {
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

fn spread_constraint(ctx: &mut Ctx, c: &TopologySpreadConstraintRaw, prefix: &str) -> R<TopologySpreadConstraint> {
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
fn any_selector(ctx: &Ctx, s: &Spanned<LabelSelectorRaw>) -> R<LabelSelector> {
    if s.value.match_labels.is_empty() && s.value.match_expressions.is_empty() {
        return Ok(LabelSelector::default());
    }
    selector(ctx, s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_documents_with_line_numbers() {
        let t = "# c\na: 1\n---\nb: 2\n--- \n\n...\n---\nc: 3\n";
        let d = split_documents(t);
        assert_eq!(d.len(), 3);
        assert_eq!(d[0].first_line, 1);
        assert_eq!(d[1].first_line, 4);
        assert_eq!(d[1].text, "b: 2\n");
        assert_eq!(d[2].first_line, 9);
    }

    #[test]
    fn dns_names() {
        assert!(is_dns_label("web-1"));
        assert!(!is_dns_label("../../etc"));
        assert!(!is_dns_label("Web"));
        assert!(!is_dns_label("-a"));
        assert!(is_dns_subdomain("a.b-c"));
        assert!(!is_dns_subdomain("a..b"));
    }
}
