//! Raw documents -> a checked `Scenario`: `build` runs the sections in order, one module per
//! concern (settings, nodes, workloads, pod specs, faults).

mod faults;
mod nodes;
mod pod_spec;
mod settings;
mod workloads;

use pod_spec::*;
pub(crate) use workloads::default_tolerations;

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

/// `spec.duration`, `spec.sampleInterval` and where to point at the latter.
#[derive(Clone, Copy)]
struct Timing {
    duration: u64,
    sample: u64,
    sample_loc: Location,
}

/// The scenario as it is built, section by section.
#[derive(Default)]
struct Model {
    images: Vec<ImageDef>,
    kubernetes: KubeSettings,
    nodes: Vec<NodeDef>,
    node_names: BTreeSet<String>,
    /// Per pool: (name, count, a template of its nodes) for `add-nodes`.
    pool_templates: Vec<(String, u32, NodeDef)>,
    /// (kind, namespace, name) of every manifest so far: a second one is refused.
    seen: BTreeSet<(&'static str, String, String)>,
    pods: Vec<ObjectDef<Arc<PodSpec>>>,
    trace_pods: Vec<super::trace::TracePod>,
    trace_image: Option<ImageId>,
    trace_faults: Vec<FaultDef>,
    replicasets: Vec<WorkloadDef>,
    deployments: Vec<WorkloadDef>,
    statefulsets: Vec<WorkloadDef>,
    daemonsets: Vec<WorkloadDef>,
    jobs: Vec<JobDef>,
    pdbs: Vec<PdbDef>,
    /// The largest `replicas`, to point at when the total is too large.
    biggest: Option<(u32, Location, usize)>,
    faults: Vec<FaultDef>,
}

/// The id of image `name`, added to the catalogue (default size and behaviour) on first use.
fn intern_image(images: &mut Vec<ImageDef>, name: &str) -> (ImageId, Behavior) {
    if let Some(i) = images.iter().position(|i| i.name == name) {
        return (ImageId(i as u32), images[i].behavior);
    }
    images.push(ImageDef { name: name.to_string(), size: DEFAULT_IMAGE_SIZE, behavior: Behavior::default() });
    (ImageId(images.len() as u32 - 1), Behavior::default())
}

/// The raw documents -> a `Scenario`, section by section. The order of the checks is a contract:
/// a file's first error is the same from one version to the next (`tests/bad/`).
fn build(ctx: &mut Ctx, raw: Raw, path: &Path, opts: &LoadOptions) -> R<Scenario> {
    let (doc, line) = settings::scenario_document(ctx, raw.scenario)?;
    let spec = &doc.spec;
    let timing = settings::timing(ctx, spec)?;
    let variants = settings::variants(ctx, spec)?;
    settings::priority_classes(ctx, &raw.priority_classes)?;
    let mut m = Model { images: settings::image_catalogue(ctx, spec)?, ..Model::default() };
    let registry = settings::registry(ctx, spec)?;
    m.kubernetes = settings::kubernetes(ctx, spec)?;
    nodes::pools(ctx, &mut m, &spec.node_pools)?;
    nodes::node_manifests(ctx, &mut m, &raw.nodes)?;
    workloads::pods(ctx, &mut m, &raw.pods)?;
    if let Some(t) = &spec.trace {
        nodes::trace(ctx, &mut m, t, path, opts)?;
    }
    workloads::replicasets(ctx, &mut m, &raw.replicasets)?;
    workloads::deployments(ctx, &mut m, &raw.deployments)?;
    workloads::statefulsets(ctx, &mut m, &raw.statefulsets)?;
    workloads::daemonsets(ctx, &mut m, &raw.daemonsets)?;
    workloads::jobs(ctx, &mut m, &raw.jobs)?;
    workloads::pdbs(ctx, &mut m, &raw.pdbs)?;
    ctx.doc_line = line;
    if !opts.allow_large {
        workloads::size_limits(ctx, &m, spec, &timing)?;
    }
    ctx.doc_line = line;
    faults::faults(ctx, &mut m, spec, timing.duration)?;
    m.faults.append(&mut m.trace_faults);
    // Expectations, against the workloads that exist.
    let workload_names = workload_list(&m.deployments, &m.replicasets, &m.statefulsets, &m.daemonsets);
    let mut expectations = Vec::new();
    for e in spec.expect.iter().flatten() {
        let parsed = super::expect::parse(&e.value, &workload_names)
            .map_err(|msg| ctx.err_at(e.referenced, format!("expect: {msg}"), None))?;
        expectations.extend(parsed);
    }
    let scheduler = settings::scheduler(ctx, spec)?;
    Ok(Scenario {
        file: path.to_path_buf(),
        name: doc.metadata.name.value.clone(),
        description: doc.metadata.description.clone().unwrap_or_default(),
        duration: SimTime(timing.duration),
        seed: spec.seed.unwrap_or(DEFAULT_SEED),
        sample_interval_ms: timing.sample,
        nodes: m.nodes,
        images: m.images,
        registry,
        kubernetes: m.kubernetes,
        pods: m.pods,
        replicasets: m.replicasets,
        deployments: m.deployments,
        jobs: m.jobs,
        daemonsets: m.daemonsets,
        statefulsets: m.statefulsets,
        pdbs: m.pdbs,
        trace_pods: m.trace_pods.into(),
        trace_image: m.trace_image,
        faults: m.faults,
        expectations,
        warnings: std::mem::take(&mut ctx.warnings),
        scheduler,
        variants,
        source_hash: crate::sim::fnv64(&[ctx.src.text.as_bytes()]),
    })
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
