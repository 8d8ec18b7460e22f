//! Every document of every input file, sorted by kind: the kinds kubesim simulates are parsed
//! into their raw structs; the other Kubernetes kinds are accepted and counted ("not
//! simulated"); `kind: List` is opened; a `kubectl get -o yaml` dump's server-filled fields are
//! dropped. Errors are collected across documents (the first of each document, at most
//! `MAX_ERRORS`), in file order.

use super::*;
use serde::Deserialize;
use serde_saphyr::Spanned;

/// At most this many errors are reported for one load (kubectl-style inputs can be large).
pub(crate) const MAX_ERRORS: usize = 20;

/// How deep `kind: List` may nest.
const MAX_LIST_DEPTH: usize = 4;

/// The kinds kubesim simulates, with the one apiVersion each is read at.
pub(crate) const SIMULATED: &[(&str, &str)] = &[
    ("Scenario", "kubesim.io/v1alpha1"),
    ("Pod", "v1"),
    ("Node", "v1"),
    ("Namespace", "v1"),
    ("Deployment", "apps/v1"),
    ("ReplicaSet", "apps/v1"),
    ("StatefulSet", "apps/v1"),
    ("DaemonSet", "apps/v1"),
    ("Job", "batch/v1"),
    ("PodDisruptionBudget", "policy/v1"),
    ("PriorityClass", "scheduling.k8s.io/v1"),
    ("ServiceAccount", "v1"),
    ("ConfigMap", "v1"),
    ("Secret", "v1"),
    ("Service", "v1"),
    ("LimitRange", "v1"),
    ("ResourceQuota", "v1"),
    ("CronJob", "batch/v1"),
];

/// Built-in Kubernetes kinds kubesim accepts and does not simulate, with their API group
/// (`""` is the core group). Any version of the group is accepted.
pub(crate) const NOT_SIMULATED: &[(&str, &str)] = &[
    ("PersistentVolumeClaim", ""),
    ("PersistentVolume", ""),
    ("Endpoints", ""),
    ("Event", ""),
    ("PodTemplate", ""),
    ("ReplicationController", ""),
    ("Binding", ""),
    ("ControllerRevision", "apps"),
    ("HorizontalPodAutoscaler", "autoscaling"),
    ("Ingress", "networking.k8s.io"),
    ("IngressClass", "networking.k8s.io"),
    ("NetworkPolicy", "networking.k8s.io"),
    ("ServiceCIDR", "networking.k8s.io"),
    ("IPAddress", "networking.k8s.io"),
    ("EndpointSlice", "discovery.k8s.io"),
    ("Role", "rbac.authorization.k8s.io"),
    ("ClusterRole", "rbac.authorization.k8s.io"),
    ("RoleBinding", "rbac.authorization.k8s.io"),
    ("ClusterRoleBinding", "rbac.authorization.k8s.io"),
    ("StorageClass", "storage.k8s.io"),
    ("VolumeAttachment", "storage.k8s.io"),
    ("CSIDriver", "storage.k8s.io"),
    ("CSINode", "storage.k8s.io"),
    ("CSIStorageCapacity", "storage.k8s.io"),
    ("VolumeAttributesClass", "storage.k8s.io"),
    ("ValidatingWebhookConfiguration", "admissionregistration.k8s.io"),
    ("MutatingWebhookConfiguration", "admissionregistration.k8s.io"),
    ("ValidatingAdmissionPolicy", "admissionregistration.k8s.io"),
    ("ValidatingAdmissionPolicyBinding", "admissionregistration.k8s.io"),
    ("MutatingAdmissionPolicy", "admissionregistration.k8s.io"),
    ("MutatingAdmissionPolicyBinding", "admissionregistration.k8s.io"),
    ("CustomResourceDefinition", "apiextensions.k8s.io"),
    ("APIService", "apiregistration.k8s.io"),
    ("Lease", "coordination.k8s.io"),
    ("CertificateSigningRequest", "certificates.k8s.io"),
    ("ClusterTrustBundle", "certificates.k8s.io"),
    ("RuntimeClass", "node.k8s.io"),
    ("FlowSchema", "flowcontrol.apiserver.k8s.io"),
    ("PriorityLevelConfiguration", "flowcontrol.apiserver.k8s.io"),
    ("PodDisruptionBudget", "policy"),
    ("PriorityClass", "scheduling.k8s.io"),
    ("ResourceClaim", "resource.k8s.io"),
    ("ResourceClaimTemplate", "resource.k8s.io"),
    ("DeviceClass", "resource.k8s.io"),
    ("ResourceSlice", "resource.k8s.io"),
    ("TokenReview", "authentication.k8s.io"),
    ("SubjectAccessReview", "authorization.k8s.io"),
    ("SelfSubjectAccessReview", "authorization.k8s.io"),
    ("StorageVersionMigration", "storagemigration.k8s.io"),
];

/// Whether an API group is one of Kubernetes' own (a misspelt kind there is an error; any
/// other group holds custom resources, accepted and not simulated).
fn builtin_group(group: &str) -> bool {
    group.is_empty()
        || matches!(group, "apps" | "batch" | "autoscaling" | "policy" | "extensions")
        || group.ends_with(".k8s.io")
}

/// Fields a `kubectl get -o yaml` dump carries that the API server fills in: dropped without a
/// warning (the object is read as the user would apply it).
pub(crate) fn server_filled(prefix: &str, field: &str) -> bool {
    field == "status"
        || prefix.ends_with("status.")
        || (prefix.ends_with("metadata.")
            && matches!(
                field,
                "uid" | "resourceVersion" | "generation" | "creationTimestamp" | "managedFields" | "selfLink"
            ))
        || (prefix == "spec." && matches!(field, "podCIDR" | "podCIDRs" | "providerID"))
        // Defaulted by the API server and printed by every dump; they change nothing here.
        || matches!(
            field,
            "terminationMessagePath" | "terminationMessagePolicy" | "dnsPolicy" | "enableServiceLinks" | "schedulerName"
        )
}

pub(crate) use crate::apiserver::config::BUILTIN_NAMESPACES;

/// Kinds that live outside namespaces (a namespace written on them is ignored by the API server).
const CLUSTER_SCOPED: &[&str] = &[
    "Node",
    "Namespace",
    "PriorityClass",
    "PersistentVolume",
    "ClusterRole",
    "ClusterRoleBinding",
    "StorageClass",
    "CSIDriver",
    "CSINode",
    "VolumeAttachment",
    "VolumeAttributesClass",
    "IngressClass",
    "RuntimeClass",
    "CustomResourceDefinition",
    "APIService",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "FlowSchema",
    "PriorityLevelConfiguration",
    "CertificateSigningRequest",
    "ClusterTrustBundle",
    "DeviceClass",
    "ResourceSlice",
    "IPAddress",
    "ServiceCIDR",
    "TokenReview",
    "SubjectAccessReview",
    "SelfSubjectAccessReview",
    "StorageVersionMigration",
    "Scenario",
];

/// What a document says it is, and whether a controller owns it.
#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
struct Head {
    #[serde(default)]
    api_version: Option<Spanned<String>>,
    #[serde(default)]
    kind: Option<Spanned<String>>,
    #[serde(default)]
    metadata: Option<HeadMeta>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
struct HeadMeta {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    owner_references: Vec<HeadOwner>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
struct HeadOwner {
    #[serde(default)]
    controller: Option<bool>,
}

/// A `kind: List`'s items, each with where it starts.
#[derive(Deserialize)]
struct ListDoc {
    #[serde(default)]
    items: Option<Vec<Spanned<Ignored>>>,
}

/// The documents of every source, read into `Raw`; all their errors (up to `MAX_ERRORS`).
pub(super) fn read_all(ctx: &mut Ctx) -> Result<Raw, LoadError> {
    let mut st = State {
        namespaces: BUILTIN_NAMESPACES.iter().map(|s| s.to_string()).collect(),
        service_accounts: BUILTIN_NAMESPACES.iter().map(|s| (s.to_string(), "default".to_string())).collect(),
        ..State::default()
    };
    let sources = ctx.sources;
    if sources.len() == 1 && split_documents(&sources[0].text).is_empty() {
        return Err(sources[0]
            .error(0, 0, "the file holds no YAML document", Some("start from scenarios/quickstart.yaml".into()))
            .into());
    }
    'files: for (i, src) in sources.iter().enumerate() {
        for d in split_documents(&src.text) {
            let at = At { src: i, line: d.first_line };
            let mut text = d.text.to_string();
            loop {
                ctx.goto(at);
                let Err(e) = document(ctx, &mut st, &text, at, 0) else { break };
                // An unknown field can be taken out and the document read again for the next
                // error: every typo of a document is reported at once.
                let next = without_unknown_field(&text, &e, d.first_line);
                st.errors.push(*e);
                if st.errors.len() >= MAX_ERRORS {
                    break 'files;
                }
                match next {
                    Some(t) => text = t,
                    None => break,
                }
            }
        }
    }
    if !st.errors.is_empty() {
        return Err(LoadError::many(st.errors));
    }
    note_counts(ctx, "not simulated (accepted and left out of the run)", &st.not_simulated);
    note_counts(ctx, "left to their controllers (they carry a controller ownerReference)", &st.owned);
    st.raw.refused = st.refused;
    Ok(st.raw)
}

/// The document without the unknown field `e` reports (its line and the lines nested under it
/// blanked, so that every other place keeps its line and column), when the field starts its
/// line in block style; `None` otherwise.
fn without_unknown_field(text: &str, e: &InputError, first_line: usize) -> Option<String> {
    let key = e.message.strip_prefix("unknown field `")?.split('`').next()?;
    let idx = e.line.checked_sub(first_line)?;
    let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
    let line = *lines.get(idx)?;
    let col = e.column.checked_sub(1)?;
    let rest: String = line.chars().skip(col).collect();
    let before: String = line.chars().take(col).collect();
    if !rest.starts_with(key) || !before.trim_start_matches([' ', '-']).is_empty() {
        return None;
    }
    lines[idx] = "\n";
    for l in lines.iter_mut().skip(idx + 1) {
        let t = l.trim_start_matches(' ');
        if !t.trim().is_empty() && l.len() - t.len() <= col {
            break;
        }
        *l = "\n";
    }
    Some(lines.concat())
}

/// One grouped line: `not simulated: 4 ClusterRole, 2 RoleBinding`, most frequent first.
fn note_counts(ctx: &mut Ctx, what: &str, counts: &BTreeMap<String, usize>) {
    if counts.is_empty() {
        return;
    }
    let mut v: Vec<(&String, &usize)> = counts.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let list: Vec<String> = v.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let text = format!("{what}: {}", list.join(", "));
    ctx.warnings.push(Warning { place: (usize::MAX, 0, 0), text });
}

#[derive(Default)]
struct State {
    raw: Raw,
    errors: Vec<InputError>,
    not_simulated: BTreeMap<String, usize>,
    owned: BTreeMap<String, usize>,
    /// The Scenario document is the built-in default cluster's (a given one replaces it).
    scenario_is_default: bool,
    /// The namespaces that exist so far, in input order (objects are applied in that order).
    namespaces: BTreeSet<String>,
    /// The ServiceAccounts that exist so far (each namespace's `default` with it).
    service_accounts: BTreeSet<(String, String)>,
    /// What the API server refused, as kubectl prints it.
    refused: Vec<String>,
}

/// One document (or List item) into `st.raw`.
fn document(ctx: &mut Ctx, st: &mut State, text: &str, at: At, depth: usize) -> R<()> {
    let head: Head = ctx.parse(text)?;
    let Some(kind) = head.kind.clone() else {
        return Err(
            ctx.err_doc("this document has no `kind`", Some("every document needs `apiVersion` and `kind`".into()))
        );
    };
    let api = head.api_version.as_ref().map(|a| a.value.as_str()).unwrap_or("");
    let group = api.rsplit_once('/').map_or("", |(g, _)| g);
    let k = kind.value.as_str();
    if k == "List" || (k.ends_with("List") && k.len() > 4 && known_kind(&k[..k.len() - 4])) {
        return list(ctx, st, text, at, depth);
    }
    let controlled = head.metadata.iter().flat_map(|m| &m.owner_references).any(|o| o.controller == Some(true));
    if let Some((_, want)) = SIMULATED.iter().find(|(n, _)| *n == k) {
        if api != *want {
            let loc = head.api_version.as_ref().map_or(kind.referenced, |a| a.referenced);
            return Err(ctx.err_at(
                loc,
                format!("no matches for kind {k:?} in version {api:?}"),
                Some(format!("kubesim reads {k} at `apiVersion: {want}` (the version current Kubernetes serves)")),
            ));
        }
        if controlled && k != "Scenario" {
            *st.owned.entry(k.to_string()).or_default() += 1;
            return Ok(());
        }
        if refused_for_namespace(ctx, st, &head, k) || (k == "Pod" && refused_for_service_account(ctx, st, text, &head))
        {
            return Ok(());
        }
        return simulated(ctx, st, k, text, at, &kind);
    }
    if refused_for_namespace(ctx, st, &head, k) {
        return Ok(());
    }
    if NOT_SIMULATED.iter().any(|(n, g)| *n == k && *g == group) || !builtin_group(group) {
        let label = if builtin_group(group) { k.to_string() } else { format!("{k} ({group})") };
        *st.not_simulated.entry(label).or_default() += 1;
        return Ok(());
    }
    let mut help = match kind_suggestion(k) {
        Some(s) => format!("did you mean `{s}`? "),
        None => String::new(),
    };
    help.push_str("see the README's table of kinds");
    Err(ctx.err_at(kind.referenced, format!("unknown kind {k:?} in apiVersion {api:?}"), Some(help)))
}

/// An object in a namespace that does not exist (yet, in input order) is refused as the API
/// server's NamespaceLifecycle admission refuses it; kubectl goes on with the next object.
fn refused_for_namespace(ctx: &Ctx, st: &mut State, head: &Head, k: &str) -> bool {
    let meta = head.metadata.as_ref();
    if k == "Namespace" {
        if let Some(n) = meta.and_then(|m| m.name.clone()) {
            st.service_accounts.insert((n.clone(), "default".into()));
            st.namespaces.insert(n);
        }
        return false;
    }
    let ns = meta.and_then(|m| m.namespace.as_deref()).unwrap_or("default");
    if CLUSTER_SCOPED.contains(&k) || !is_dns_label(ns) {
        return false;
    }
    if !st.namespaces.contains(ns) {
        st.refused.push(format!(
            "Error from server (NotFound): error when creating {:?}: namespaces {ns:?} not found",
            ctx.src.name
        ));
        return true;
    }
    let name = meta.and_then(|m| m.name.clone()).unwrap_or_default();
    if k == "ServiceAccount" {
        st.service_accounts.insert((ns.to_string(), name));
        return false;
    }
    false
}

/// A Pod naming a ServiceAccount that does not exist (yet, in input order) is refused by the
/// ServiceAccount admission plugin.
fn refused_for_service_account(ctx: &Ctx, st: &mut State, text: &str, head: &Head) -> bool {
    #[derive(Deserialize, Default)]
    #[serde(rename_all = "camelCase")]
    struct PodHead {
        #[serde(default)]
        spec: Option<PodHeadSpec>,
    }
    #[derive(Deserialize, Default)]
    #[serde(rename_all = "camelCase")]
    struct PodHeadSpec {
        #[serde(default)]
        service_account_name: Option<String>,
        #[serde(default)]
        service_account: Option<String>,
    }
    let Ok(p) = serde_saphyr::from_str::<PodHead>(text) else { return false };
    let spec = p.spec.unwrap_or_default();
    let sa = spec.service_account_name.or(spec.service_account).filter(|s| !s.is_empty());
    let sa = sa.as_deref().unwrap_or("default");
    let meta = head.metadata.as_ref();
    let ns = meta.and_then(|m| m.namespace.as_deref()).unwrap_or("default");
    if st.service_accounts.contains(&(ns.to_string(), sa.to_string())) {
        return false;
    }
    let name = meta.and_then(|m| m.name.as_deref()).unwrap_or("");
    st.refused.push(format!(
        "Error from server (Forbidden): error when creating {:?}: pods {name:?} is forbidden: error looking up service account {ns}/{sa}: serviceaccount {sa:?} not found",
        ctx.src.name
    ));
    true
}

fn known_kind(k: &str) -> bool {
    SIMULATED.iter().chain(NOT_SIMULATED).any(|(n, _)| *n == k)
}

/// The known kind closest to a misspelt one, if close enough.
pub(crate) fn kind_suggestion(k: &str) -> Option<&'static str> {
    let (d, best) = SIMULATED
        .iter()
        .chain(NOT_SIMULATED)
        .map(|(n, _)| (super::super::error::levenshtein(&k.to_lowercase(), &n.to_lowercase()), *n))
        .min()?;
    (d <= (k.len() / 3).max(2)).then_some(best)
}

/// A simulated kind's document, parsed into its raw struct.
fn simulated(ctx: &mut Ctx, st: &mut State, k: &str, text: &str, at: At, kind: &Spanned<String>) -> R<()> {
    let raw = &mut st.raw;
    match k {
        "Scenario" => {
            if raw.scenario.is_some() && !st.scenario_is_default {
                return Err(ctx.err_at(
                    kind.referenced,
                    "a second Scenario document",
                    Some("the input holds exactly one Scenario".into()),
                ));
            }
            let doc: ScenarioDoc = ctx.parse(text)?;
            st.scenario_is_default =
                raw.scenario.is_none() && ctx.src.name == crate::scenario::input::DEFAULT_SCENARIO_NAME;
            raw.scenario = Some((doc, at));
        }
        "Pod" => raw.pods.push((ctx.parse(text)?, at)),
        "Node" => raw.nodes.push((ctx.parse(text)?, at)),
        "Deployment" => raw.deployments.push((ctx.parse(text)?, at)),
        "ReplicaSet" => raw.replicasets.push((ctx.parse(text)?, at)),
        "Job" => raw.jobs.push((ctx.parse(text)?, at)),
        "DaemonSet" => raw.daemonsets.push((ctx.parse(text)?, at)),
        "StatefulSet" => raw.statefulsets.push((ctx.parse(text)?, at)),
        "PodDisruptionBudget" => raw.pdbs.push((ctx.parse(text)?, at)),
        "PriorityClass" => raw.priority_classes.push((ctx.parse(text)?, at)),
        "Namespace" => raw.namespaces.push((ctx.parse(text)?, at)),
        "ServiceAccount" => raw.service_accounts.push((ctx.parse(text)?, at)),
        "ConfigMap" => raw.configmaps.push((ctx.parse(text)?, at)),
        "Secret" => raw.secrets.push((ctx.parse(text)?, at)),
        "Service" => raw.services.push((ctx.parse(text)?, at)),
        "LimitRange" => raw.limit_ranges.push((ctx.parse(text)?, at)),
        "ResourceQuota" => raw.quotas.push((ctx.parse(text)?, at)),
        "CronJob" => raw.cronjobs.push((ctx.parse(text)?, at)),
        _ => unreachable!("SIMULATED lists the kinds handled here"),
    }
    Ok(())
}

/// `kind: List` (or `PodList`, ...): each item read as a document of its own, its messages
/// pointing at its place in the file.
fn list(ctx: &mut Ctx, st: &mut State, text: &str, at: At, depth: usize) -> R<()> {
    if depth >= MAX_LIST_DEPTH {
        return Err(ctx.err_doc(format!("Lists nested deeper than {MAX_LIST_DEPTH}"), None));
    }
    let l: ListDoc = ctx.parse(text)?;
    for item in l.items.unwrap_or_default() {
        let loc = item.referenced;
        let Some(off) = loc.span().byte_offset() else { continue };
        let (sub, first_line) = item_text(text, off as usize, loc.line() as usize);
        let item_at = At { src: at.src, line: at.line + first_line - 1 };
        ctx.goto(item_at);
        let r = document(ctx, st, &sub, item_at, depth + 1);
        ctx.goto(at);
        r?;
    }
    Ok(())
}

/// The text of the List item starting at byte `off` of `doc` (on 1-based line `line`), padded so
/// that its columns are those of the file: a flow item (`{...}`) up to its closing brace, a block
/// item up to the first line indented less than it.
fn item_text(doc: &str, off: usize, line: usize) -> (String, usize) {
    let line_start = doc[..off].rfind('\n').map_or(0, |i| i + 1);
    let col = doc[line_start..off].chars().count();
    let mut out = " ".repeat(col);
    let rest = &doc[off..];
    if rest.starts_with('{') || rest.starts_with('[') {
        out.push_str(&rest[..flow_end(rest)]);
        return (out, line);
    }
    let mut lines = rest.split_inclusive('\n');
    out.push_str(lines.next().unwrap_or(""));
    for l in lines {
        let t = l.trim_start_matches(' ');
        let indent = l.len() - t.len();
        let blank = t.trim().is_empty() || t.starts_with('#');
        if !blank && indent < col {
            break;
        }
        out.push_str(l);
    }
    (out, line)
}

/// The length of the flow collection at the start of `s`, strings and escapes respected.
fn flow_end(s: &str) -> usize {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q == '"' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' => quote = Some(c),
                '{' | '[' => depth += 1,
                '}' | ']' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return i + 1;
                    }
                }
                _ => {}
            },
        }
    }
    s.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_and_flow_items_keep_their_columns() {
        let doc = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  # c\n  metadata: {name: a}\n- kind: Node\n";
        let off = doc.find("apiVersion: v1\n  kind").unwrap();
        let (t, _) = item_text(doc, off, 4);
        assert_eq!(t, "  apiVersion: v1\n  kind: Pod\n  # c\n  metadata: {name: a}\n");
        let json = "{\"items\": [{\"kind\": \"Pod\", \"x\": \"}\\\"\"}, {\"kind\": \"Node\"}], \"kind\": \"List\"}";
        let off = json.find("{\"kind\"").unwrap();
        let (t, _) = item_text(json, off, 1);
        assert_eq!(t.trim_start(), "{\"kind\": \"Pod\", \"x\": \"}\\\"\"}");
        assert_eq!(t.len() - t.trim_start().len(), off);
    }

    #[test]
    fn misspelt_kinds_are_suggested() {
        assert_eq!(kind_suggestion("Deploymnet"), Some("Deployment"));
        assert_eq!(kind_suggestion("configmap"), Some("ConfigMap"));
        assert_eq!(kind_suggestion("Zebra"), None);
    }

    #[test]
    fn dump_fields_are_server_filled() {
        assert!(server_filled("", "status"));
        assert!(server_filled("metadata.", "uid"));
        assert!(server_filled("spec.template.metadata.", "creationTimestamp"));
        assert!(!server_filled("spec.", "volumes"));
    }
}
