//! The objects that gate pods: Namespaces, ServiceAccounts, ConfigMaps and Secrets.

use super::*;
use crate::api::{ConfigObject, ConfigValue};
use crate::apiserver::admission::{CpuMem, LimitRange, LimitRangeItem, QuotaResource, ResourceQuota};

/// Namespaces: the built-in ones and every Namespace manifest (a duplicate is refused).
pub(super) fn namespaces(ctx: &mut Ctx, model: &mut Model, raw: &[(NamespaceManifest, At)]) -> R<()> {
    model.namespaces = documents::BUILTIN_NAMESPACES.iter().map(|s| s.to_string()).collect();
    for (m, at) in raw {
        ctx.goto(*at);
        ctx.kind = "Namespace";
        let name = meta_name(ctx, &m.metadata, "Namespace", false)?;
        if !is_dns_label(&name) {
            return Err(ctx.err_at(
                m.metadata.name.as_ref().expect("named").referenced,
                format!("metadata.name {name:?} is not a valid Namespace name (a DNS label)"),
                None,
            ));
        }
        ctx.warn_meta("metadata.", &m.metadata);
        if documents::BUILTIN_NAMESPACES.contains(&name.as_str()) {
            continue; // applying `default` again changes nothing
        }
        if !model.namespaces.insert(name.clone()) {
            return Err(ctx.err_doc(format!("Namespace {name} is defined twice"), None));
        }
    }
    Ok(())
}

/// ServiceAccounts (each namespace's `default` one is added by the cluster, as the
/// serviceaccounts controller does).
pub(super) fn service_accounts(ctx: &mut Ctx, model: &mut Model, raw: &[(ServiceAccountManifest, At)]) -> R<()> {
    for (m, at) in raw {
        ctx.goto(*at);
        ctx.kind = "ServiceAccount";
        let name = meta_name(ctx, &m.metadata, "ServiceAccount", true)?;
        let ns = namespace(ctx, &m.metadata)?;
        if !model.seen.insert(("ServiceAccount", ns.clone(), name.clone())) {
            return Err(ctx.err_doc(format!("ServiceAccount {ns}/{name} is defined twice"), None));
        }
        ctx.warn_meta("metadata.", &m.metadata);
        ctx.warn_ignored("", m.ignored_fields());
        model.service_accounts.push((ns, name));
    }
    Ok(())
}

type Values = Option<BTreeMap<String, Spanned<String>>>;
type Entries = Vec<(Arc<str>, ConfigValue)>;

/// The entries of a map of base64 values (a ConfigMap's `binaryData`, a Secret's `data`),
/// each checked as the API server decodes it.
fn base64_entries(ctx: &Ctx, m: &Values, field: &str) -> R<Entries> {
    use base64::Engine;
    let mut out = Vec::new();
    for (k, v) in m.iter().flatten() {
        // Go's decoder skips line breaks (wrapped `base64` output is fine).
        let text: String = v.value.chars().filter(|c| !matches!(c, '\n' | '\r')).collect();
        let n = base64::engine::general_purpose::STANDARD.decode(&text).map_err(|e| {
            let at = match e {
                base64::DecodeError::InvalidByte(i, _) => i,
                base64::DecodeError::InvalidLastSymbol { offset, .. } => offset,
                _ => text.len(),
            };
            ctx.err_at(
                v.referenced,
                format!("{field}.{k}: illegal base64 data at input byte {at}"),
                Some(
                    "values here are base64 (`echo -n VALUE | base64`); put plain text under stringData or data".into(),
                ),
            )
        })?;
        out.push((Arc::from(k.as_str()), ConfigValue::Base64(Arc::from(text.as_str()), n.len())));
    }
    Ok(out)
}

fn text_entries(m: &Values) -> Entries {
    (m.iter().flatten()).map(|(k, v)| (Arc::from(k.as_str()), ConfigValue::Text(Arc::from(v.value.as_str())))).collect()
}

/// ConfigMaps and Secrets: their keys and values.
pub(super) fn configs(
    ctx: &mut Ctx,
    model: &mut Model,
    maps: &[(ConfigMapManifest, At)],
    secrets: &[(SecretManifest, At)],
) -> R<()> {
    let mut add = |ctx: &mut Ctx,
                   kind: ConfigKind,
                   meta: &ObjectMeta,
                   at: At,
                   entries: &dyn Fn(&Ctx) -> R<Entries>,
                   secret_type: Option<Arc<str>>|
     -> R<()> {
        ctx.goto(at);
        ctx.kind = kind.kind();
        let name = meta_name(ctx, meta, kind.kind(), true)?;
        let ns = namespace(ctx, meta)?;
        let k = if kind == ConfigKind::ConfigMap { "ConfigMap" } else { "Secret" };
        if !model.seen.insert((k, ns.clone(), name.clone())) {
            return Err(ctx.err_doc(format!("{k} {ns}/{name} is defined twice"), None));
        }
        ctx.warn_meta("metadata.", meta);
        let entries = entries(ctx)?;
        let mut o = ConfigObject::new(kind, Arc::from(ns.as_str()), Arc::from(name.as_str()), secret_type, entries);
        o.labels = labels_of(meta);
        model.configs.push(o);
        Ok(())
    };
    for (m, at) in maps {
        let entries = |ctx: &Ctx| {
            // ValidateConfigMap: a key may not be in both maps.
            for (k, v) in m.binary_data.iter().flatten() {
                if m.data.as_ref().is_some_and(|d| d.contains_key(k)) {
                    return Err(ctx.err_at(
                        v.referenced,
                        format!("binaryData: Invalid value: {k:?}: duplicate of key present in data"),
                        Some("give each key once, under data (text) or binaryData (base64)".into()),
                    ));
                }
            }
            let mut e = base64_entries(ctx, &m.binary_data, "binaryData")?;
            e.extend(text_entries(&m.data));
            Ok(e)
        };
        add(ctx, ConfigKind::ConfigMap, &m.metadata, *at, &entries, None)?;
    }
    for (m, at) in secrets {
        let t = Arc::from(m.r#type.as_deref().unwrap_or("Opaque"));
        let entries = |ctx: &Ctx| {
            let mut e = base64_entries(ctx, &m.data, "data")?;
            e.extend(text_entries(&m.string_data));
            Ok(e)
        };
        add(ctx, ConfigKind::Secret, &m.metadata, *at, &entries, Some(t))?;
    }
    Ok(())
}

/// cpu in millicores, memory in bytes, from a `{cpu, memory}` map; other resources warned.
fn cpu_mem(ctx: &mut Ctx, m: &BTreeMap<String, Spanned<Qty>>, field: &str) -> R<CpuMem> {
    let mut out = CpuMem::default();
    for (k, q) in m {
        let range = || ctx.err_at(q.referenced, format!("{field}.{k}: quantity out of range"), None);
        match k.as_str() {
            "cpu" => out.cpu = Some(q.value.0.milli_value().ok_or_else(range)? as u64),
            "memory" => out.memory = Some(q.value.0.value().ok_or_else(range)? as u64),
            _ => ctx.warn_at(q.referenced, format!("ignored: {field}.{k} (kubesim enforces cpu and memory)")),
        }
    }
    Ok(out)
}

/// LimitRanges: Container and Pod items (PersistentVolumeClaim items are not simulated).
pub(super) fn limit_ranges(ctx: &mut Ctx, model: &mut Model, raw: &[(LimitRangeManifest, At)]) -> R<()> {
    for (m, at) in raw {
        ctx.goto(*at);
        ctx.kind = "LimitRange";
        let name = meta_name(ctx, &m.metadata, "LimitRange", true)?;
        let ns = namespace(ctx, &m.metadata)?;
        if !model.seen.insert(("LimitRange", ns.clone(), name.clone())) {
            return Err(ctx.err_doc(format!("LimitRange {ns}/{name} is defined twice"), None));
        }
        ctx.warn_meta("metadata.", &m.metadata);
        let mut items = Vec::new();
        for (i, l) in m.spec.limits.iter().enumerate() {
            ctx.warn_ignored(&format!("spec.limits[{i}]."), l.ignored_fields());
            let pod = match l.r#type.value.as_str() {
                "Container" => false,
                "Pod" => true,
                "PersistentVolumeClaim" => {
                    ctx.warn_at(
                        l.r#type.referenced,
                        "ignored: a PersistentVolumeClaim limit (storage is not simulated yet)",
                    );
                    continue;
                }
                o => {
                    return Err(ctx.err_at(
                        l.r#type.referenced,
                        format!("spec.limits[{i}].type: Unsupported value: {o:?}"),
                        Some("use Container, Pod or PersistentVolumeClaim".into()),
                    ));
                }
            };
            let p = format!("spec.limits[{i}]");
            items.push(LimitRangeItem {
                pod,
                default: cpu_mem(ctx, &l.default, &format!("{p}.default"))?,
                default_request: cpu_mem(ctx, &l.default_request, &format!("{p}.defaultRequest"))?,
                min: cpu_mem(ctx, &l.min, &format!("{p}.min"))?,
                max: cpu_mem(ctx, &l.max, &format!("{p}.max"))?,
            });
        }
        model.limit_ranges.push(LimitRange { namespace: Arc::from(ns.as_str()), name, items });
    }
    Ok(())
}

/// ResourceQuotas: the pod resources of `spec.hard` (pods, cpu, memory; requests and limits).
pub(super) fn quotas(ctx: &mut Ctx, model: &mut Model, raw: &[(ResourceQuotaManifest, At)]) -> R<()> {
    for (m, at) in raw {
        ctx.goto(*at);
        ctx.kind = "ResourceQuota";
        let name = meta_name(ctx, &m.metadata, "ResourceQuota", true)?;
        let ns = namespace(ctx, &m.metadata)?;
        if !model.seen.insert(("ResourceQuota", ns.clone(), name.clone())) {
            return Err(ctx.err_doc(format!("ResourceQuota {ns}/{name} is defined twice"), None));
        }
        ctx.warn_meta("metadata.", &m.metadata);
        ctx.warn_ignored("spec.", m.spec.ignored_fields());
        let mut hard = Vec::new();
        for (k, q) in &m.spec.hard {
            let range = || ctx.err_at(q.referenced, format!("spec.hard.{k}: quantity out of range"), None);
            let (r, v) = match k.as_str() {
                "pods" | "count/pods" => (QuotaResource::Pods, q.value.0.value().ok_or_else(range)? as u64),
                "cpu" | "requests.cpu" => {
                    (QuotaResource::RequestsCpu, q.value.0.milli_value().ok_or_else(range)? as u64)
                }
                "memory" | "requests.memory" => {
                    (QuotaResource::RequestsMemory, q.value.0.value().ok_or_else(range)? as u64)
                }
                "limits.cpu" => (QuotaResource::LimitsCpu, q.value.0.milli_value().ok_or_else(range)? as u64),
                "limits.memory" => (QuotaResource::LimitsMemory, q.value.0.value().ok_or_else(range)? as u64),
                _ => {
                    ctx.warn_at(
                        q.referenced,
                        format!("ignored: spec.hard.{k} (kubesim enforces pods, cpu and memory)"),
                    );
                    continue;
                }
            };
            hard.push((k.clone(), r, v));
        }
        model.quotas.push(ResourceQuota { namespace: Arc::from(ns.as_str()), name, hard });
    }
    Ok(())
}

/// Admission of a bare Pod of the input: LimitRanger and ResourceQuota as the API server runs
/// them at apply (the pods before it in the namespace count against the quota). Err: the
/// refusal as kubectl prints it; Ok: the spec to create.
pub(super) struct Admission<'a> {
    pub(super) limit_ranges: &'a [LimitRange],
    pub(super) quotas: &'a [ResourceQuota],
    pub(super) pods: &'a [ObjectDef<Arc<PodSpec>>],
}

pub(super) fn admit_bare_pod(ctx: &Ctx, a: &Admission, ns: &str, name: &str, spec: PodSpec) -> Result<PodSpec, String> {
    let ranges: Vec<&LimitRange> = a.limit_ranges.iter().filter(|r| *r.namespace == *ns).collect();
    let spec = crate::apiserver::admission::limit_defaults(&ranges, &spec).unwrap_or(spec);
    let forbidden = |e: String| {
        format!(
            "Error from server (Forbidden): error when creating {:?}: pods {name:?} is forbidden: {e}",
            ctx.src.name
        )
    };
    crate::apiserver::admission::limit_check(&ranges, &spec).map_err(forbidden)?;
    for q in a.quotas.iter().filter(|q| *q.namespace == *ns) {
        let used: Vec<u64> = q
            .hard
            .iter()
            .map(|(_, r, _)| {
                a.pods
                    .iter()
                    .filter(|p| p.namespace == ns)
                    .map(|p| crate::apiserver::admission::pod_usage(&p.spec, *r))
                    .sum()
            })
            .collect();
        crate::apiserver::admission::quota_check(q, &used, &spec).map_err(forbidden)?;
    }
    Ok(spec)
}
