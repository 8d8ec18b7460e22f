//! Raw documents -> a checked `Scenario`: `build` runs the sections in order, one module per
//! concern (settings, nodes, workloads, pod specs, faults).

mod apply;
mod config;
mod cronjobs;
mod documents;
mod faults;
mod nodes;
mod pod_spec;
mod ports_finalizers;
mod services;
mod settings;
pub(crate) use settings::VARIANT_EXPECT;
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
use crate::api::{Behavior, ConfigKind, ConfigRef, Probe, Resources, VolumeSource, VolumeSpec};
use crate::api::{
    ContainerSpec, LabelSelector, Labels, PullPolicy, Requirement, RestartPolicy, SelectorOp, Taint, TaintEffect,
    Toleration,
};
use serde::de::DeserializeOwned;
use serde_saphyr::{Location, Spanned};
use std::collections::{BTreeMap, BTreeSet};

/// One `---`-separated document: its text and the line it starts on.
pub(crate) struct Doc<'a> {
    pub(crate) text: std::borrow::Cow<'a, str>,
    pub(crate) first_line: usize,
}

/// Where a document starts: which input file (index into the sources), which line.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct At {
    pub(crate) src: usize,
    pub(crate) line: usize,
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
            docs.push(Doc { text: text[start..off].into(), first_line: start_line });
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
    docs.push(Doc { text: text[start..].into(), first_line: start_line });
    docs.retain(|d| {
        d.text.lines().any(|l| {
            let l = l.trim();
            !l.is_empty() && !l.starts_with('#') && !l.starts_with('%')
        })
    });
    docs
}

struct Ctx<'a> {
    /// Every input file; `src` is the one being read.
    sources: &'a [SourceFile],
    src: &'a SourceFile,
    /// `src`'s index.
    src_index: usize,
    doc_line: usize,
    /// The kind of the object being read (for grouping warnings).
    kind: &'static str,
    warnings: Vec<Warning>,
    /// "ignored" warnings grouped by (kind, field), in first-seen order, with their count.
    ignored: Vec<(&'static str, String, Warning, usize)>,
    /// `spec.behaviors`, in order, each with whether it matched a container.
    behaviors: Vec<(BehaviorRuleRaw, Location, bool)>,
    /// The object whose pod spec is being read, for `spec.behaviors`.
    subject: Subject,
    /// The scenario's PriorityClasses (and the two system ones), for `priorityClassName`.
    priority_classes: Vec<PriorityClass>,
    /// Extended resource names, in first-seen order: their index in `Resources::ext`.
    extended_resources: Vec<String>,
}

type R<T> = Result<T, Box<InputError>>;

impl<'a> Ctx<'a> {
    fn new(sources: &'a [SourceFile]) -> Ctx<'a> {
        Ctx {
            sources,
            src: &sources[0],
            src_index: 0,
            doc_line: 1,
            kind: "",
            warnings: Vec::new(),
            ignored: Vec::new(),
            behaviors: Vec::new(),
            subject: Subject::default(),
            priority_classes: Vec::new(),
            extended_resources: Vec::new(),
        }
    }

    /// Point messages at the document starting at `at`.
    fn goto(&mut self, at: At) {
        self.src = &self.sources[at.src];
        self.src_index = at.src;
        self.doc_line = at.line;
    }

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
    fn warning(&self, loc: Location, msg: impl AsRef<str>) -> Warning {
        let line = loc.line() as usize + self.doc_line - 1;
        let col = loc.column() as usize;
        Warning {
            place: (self.src_index, line, col),
            text: format!("{}:{}:{}: {}", self.src.name, line, col, msg.as_ref()),
        }
    }
    fn warn_at(&mut self, loc: Location, msg: impl AsRef<str>) {
        let w = self.warning(loc, msg);
        self.warnings.push(w);
    }
    /// A warning about the document as a whole.
    fn warn_doc(&mut self, msg: impl AsRef<str>) {
        let text = format!("{}:{}: {}", self.src.name, self.doc_line, msg.as_ref());
        self.warnings.push(Warning { place: (self.src_index, self.doc_line, 0), text });
    }
    /// Unmodelled fields: one warning per (kind, field), counted across objects.
    /// The ignored fields of an object's metadata, `finalizers` among them (honoured on pods only).
    fn warn_meta(&mut self, prefix: &str, meta: &ObjectMeta) {
        self.warn_ignored(prefix, meta.ignored_fields());
        if let Some(f) = &meta.finalizers {
            self.warn_ignored(prefix, vec![("finalizers", f.referenced)]);
        }
    }

    fn warn_ignored(&mut self, prefix: &str, fields: Vec<(&'static str, Location)>) {
        for (f, loc) in fields {
            if documents::server_filled(prefix, f) {
                continue;
            }
            let field = normalize_field(&format!("{prefix}{f}"));
            match self.ignored.iter_mut().find(|g| g.0 == self.kind && g.1 == field) {
                Some(g) => g.3 += 1,
                None => {
                    let w = self.warning(loc, format!("ignored: {prefix}{f} (not modelled by kubesim)"));
                    self.ignored.push((self.kind, field, w, 1));
                }
            }
        }
    }
    /// Every warning in file order, the grouped ones at their first place with their count.
    fn finish_warnings(&mut self) -> Vec<String> {
        let mut all = std::mem::take(&mut self.warnings);
        for (kind, field, mut w, n) in std::mem::take(&mut self.ignored) {
            if n > 1 {
                let head = w.text.split(": ignored: ").next().unwrap_or_default().to_string();
                let kind = if kind.is_empty() { "object" } else { kind };
                w.text =
                    format!("{head}: ignored in {n} {kind}s: {field} (not modelled by kubesim; the first is here)");
            }
            all.push(w);
        }
        all.sort_by_key(|w| w.place);
        all.into_iter().map(|w| w.text).collect()
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
    let sources = std::slice::from_ref(src);
    Ctx::new(sources).parse(&src.text)
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

/// The object a pod spec belongs to: `deployment/web` in `default`, its pods' labels.
#[derive(Default)]
struct Subject {
    workload: String,
    namespace: String,
    labels: Labels,
}

impl Ctx<'_> {
    /// The behaviour keys of the first `spec.behaviors` rule matching this container.
    fn matching_rule(&mut self, image: &str, container: &str) -> Option<BehaviorRaw> {
        let s = &self.subject;
        let rule = self.behaviors.iter_mut().find(|(r, _, _)| {
            let m = &r.match_;
            m.workload.as_ref().is_none_or(|w| w.value.eq_ignore_ascii_case(&s.workload))
                && m.image.as_deref().is_none_or(|i| image_matches(i, image))
                && m.selector.as_ref().is_none_or(|sel| sel.iter().all(|(k, v)| s.labels.get(k) == Some(v.as_str())))
                && m.namespace.as_deref().is_none_or(|n| n == s.namespace)
                && m.container.as_deref().is_none_or(|c| c == container)
        })?;
        rule.2 = true;
        Some(rule.0.behavior.clone())
    }
}

/// `perl` matches `perl:5.34.0` and `perl@sha256:...`; a name with a tag or digest matches
/// only itself.
fn image_matches(rule: &str, image: &str) -> bool {
    if crate::api::image::same(rule, image) {
        return true;
    }
    let has_tag = rule.contains('@') || rule.rsplit('/').next().is_some_and(|last| last.contains(':'));
    // Compared in full form, so `nginx` also matches `docker.io/library/nginx:1.27`.
    let (repo, full) = (crate::api::image::normalize(rule), crate::api::image::normalize(image));
    let repo = repo.strip_suffix(":latest").unwrap_or(&repo);
    !has_tag && full.strip_prefix(repo).is_some_and(|rest| rest.starts_with(':') || rest.starts_with('@'))
}

/// A warning and where it points (source, line, column), for file order.
struct Warning {
    place: (usize, usize, usize),
    text: String,
}

/// `spec.template.spec.containers[2].env` -> `spec.template.spec.containers[].env`: the same
/// field of every list item.
fn normalize_field(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push('[');
            }
            ']' => {
                in_index = false;
                out.push(']');
            }
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    out
}

#[derive(Default)]
struct Raw {
    scenario: Option<(ScenarioDoc, At)>,
    pods: Vec<(PodManifest, At)>,
    nodes: Vec<(NodeManifest, At)>,
    replicasets: Vec<(ReplicaSetManifest, At)>,
    deployments: Vec<(DeploymentManifest, At)>,
    jobs: Vec<(JobManifest, At)>,
    daemonsets: Vec<(DaemonSetManifest, At)>,
    statefulsets: Vec<(StatefulSetManifest, At)>,
    pdbs: Vec<(PdbManifest, At)>,
    priority_classes: Vec<(PriorityClassManifest, At)>,
    namespaces: Vec<(NamespaceManifest, At)>,
    configmaps: Vec<(ConfigMapManifest, At)>,
    secrets: Vec<(SecretManifest, At)>,
    service_accounts: Vec<(ServiceAccountManifest, At)>,
    services: Vec<(ServiceManifest, At)>,
    limit_ranges: Vec<(LimitRangeManifest, At)>,
    quotas: Vec<(ResourceQuotaManifest, At)>,
    cronjobs: Vec<(CronJobManifest, At)>,
    /// Objects the API server refused at apply, as kubectl prints the refusal.
    refused: Vec<String>,
}

pub(super) fn validate(sources: &[SourceFile], path: &Path, opts: &LoadOptions) -> Result<Scenario, LoadError> {
    let mut ctx = Ctx::new(sources);
    let raw = documents::read_all(&mut ctx)?;
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
    /// The scenario file and whether its paths may leave its folder (for `apply.file`).
    scenario_path: PathBuf,
    allow_outside: bool,
    /// Namespaces that exist at the start (built-in and given).
    namespaces: BTreeSet<String>,
    service_accounts: Vec<(String, String)>,
    configs: Vec<crate::api::ConfigObject>,
    services: Vec<crate::api::service::Service>,
    limit_ranges: Vec<crate::apiserver::admission::LimitRange>,
    quotas: Vec<crate::apiserver::admission::ResourceQuota>,
    cronjobs: Vec<crate::api::CronJob>,
    /// Bare pods the API server refused at apply (a LimitRange or ResourceQuota).
    refused: Vec<String>,
    /// The largest `replicas`, to point at when the total is too large.
    biggest: Option<(u32, Location, At)>,
    faults: Vec<FaultDef>,
}

/// The id of image `name`, added to the catalogue (default size and behaviour) on first use.
fn intern_image(images: &mut Vec<ImageDef>, name: &str) -> (ImageId, Behavior) {
    if let Some(i) = images.iter().position(|i| crate::api::image::same(&i.name, name)) {
        return (ImageId(i as u32), images[i].behavior);
    }
    images.push(ImageDef { name: name.to_string(), size: DEFAULT_IMAGE_SIZE, behavior: Behavior::default() });
    (ImageId(images.len() as u32 - 1), Behavior::default())
}

/// The raw documents -> a `Scenario`, section by section. The order of the checks is a contract:
/// a file's first error is the same from one version to the next (`tests/bad/`).
fn build(ctx: &mut Ctx, mut raw: Raw, path: &Path, opts: &LoadOptions) -> R<Scenario> {
    let refused = std::mem::take(&mut raw.refused);
    let (doc, line) = settings::scenario_document(ctx, raw.scenario)?;
    let spec = &doc.spec;
    let timing = settings::timing(ctx, spec)?;
    let variants = settings::variants(ctx, spec)?;
    settings::priority_classes(ctx, &raw.priority_classes)?;
    let mut m = Model {
        images: settings::image_catalogue(ctx, spec)?,
        scenario_path: path.to_path_buf(),
        allow_outside: opts.allow_outside_paths,
        ..Model::default()
    };
    let registry = settings::registry(ctx, spec)?;
    m.kubernetes = settings::kubernetes(ctx, spec)?;
    settings::behaviors(ctx, spec)?;
    // A dump of a live cluster brings its own nodes: the default cluster's pool then stays out.
    let default_cluster = ctx.sources[line.src].name == crate::scenario::input::DEFAULT_SCENARIO_NAME;
    if !default_cluster || raw.nodes.is_empty() {
        nodes::pools(ctx, &mut m, &spec.node_pools)?;
    }
    nodes::node_manifests(ctx, &mut m, &raw.nodes)?;
    config::namespaces(ctx, &mut m, &raw.namespaces)?;
    config::service_accounts(ctx, &mut m, &raw.service_accounts)?;
    config::configs(ctx, &mut m, &raw.configmaps, &raw.secrets)?;
    services::services(ctx, &mut m, &raw.services)?;
    config::limit_ranges(ctx, &mut m, &raw.limit_ranges)?;
    config::quotas(ctx, &mut m, &raw.quotas)?;
    workloads::pods(ctx, &mut m, &raw.pods)?;
    if let Some(t) = &spec.trace {
        nodes::trace(ctx, &mut m, t, path, opts)?;
    }
    workloads::replicasets(ctx, &mut m, &raw.replicasets)?;
    workloads::deployments(ctx, &mut m, &raw.deployments)?;
    workloads::statefulsets(ctx, &mut m, &raw.statefulsets)?;
    workloads::daemonsets(ctx, &mut m, &raw.daemonsets)?;
    workloads::jobs(ctx, &mut m, &raw.jobs)?;
    cronjobs::cronjobs(ctx, &mut m, &raw.cronjobs)?;
    workloads::pdbs(ctx, &mut m, &raw.pdbs)?;
    ctx.goto(line);
    settings::unused_behaviors(ctx);
    if !opts.allow_large {
        workloads::size_limits(ctx, &m, spec, &timing)?;
    }
    ctx.goto(line);
    faults::faults(ctx, &mut m, spec, timing.duration)?;
    m.faults.append(&mut m.trace_faults);
    if m.nodes.is_empty() && !m.faults.iter().any(|f| matches!(f, FaultDef::AddNodes { .. })) {
        // A warning, not an error: a sweep over a pool's size may well start at 0.
        ctx.warn_doc(
            "the cluster has no nodes: no pod will ever run (add spec.nodePools, Node manifests or an add-nodes fault)",
        );
    }
    let added: usize =
        m.faults.iter().map(|f| if let FaultDef::AddNodes { nodes, .. } = f { nodes.len() } else { 0 }).sum();
    let k = &m.kubernetes;
    let blocks = 1usize << (k.node_cidr_mask_size - k.cluster_cidr.prefix);
    if m.nodes.len() + added > blocks {
        ctx.warn_doc(format!(
            "clusterCIDR {} holds {blocks} node blocks of /{}, and the cluster has {} nodes: the others get no pod CIDR (CIDRNotAvailable) and cannot start pods (set spec.kubernetes.clusterCIDR wider)",
            k.cluster_cidr, k.node_cidr_mask_size, m.nodes.len() + added
        ));
    }
    // Expectations, against the workloads that exist.
    let mut workload_names = workload_list(&m.deployments, &m.replicasets, &m.statefulsets, &m.daemonsets);
    workload_names.extend(m.services.iter().skip(1).map(|s| format!("service/{}", s.name)));
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
        sandbox_image: (spec.kubernetes.as_ref().and_then(|k| k.sandbox_image.as_deref()))
            .map_or(crate::api::settings::DEFAULT_SANDBOX_IMAGE.to_string(), |s| s.trim().to_string()),
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
        namespaces: m.namespaces.into_iter().collect(),
        service_accounts: m.service_accounts,
        configs: m.configs,
        services: m.services,
        cronjobs: m.cronjobs,
        limit_ranges: m.limit_ranges,
        quotas: m.quotas,
        warnings: ctx.finish_warnings(),
        refused: refused.into_iter().chain(m.refused).collect(),
        scheduler,
        variants,
        source_hash: crate::sim::fnv64(&ctx.sources.iter().map(|s| s.text.as_bytes()).collect::<Vec<_>>()),
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
