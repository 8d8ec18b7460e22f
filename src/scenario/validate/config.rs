//! The objects that gate pods: Namespaces, ServiceAccounts, ConfigMaps and Secrets.

use super::*;
use crate::api::ConfigObject;

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
        ctx.warn_ignored("metadata.", m.metadata.ignored_fields());
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
        ctx.warn_ignored("metadata.", m.metadata.ignored_fields());
        ctx.warn_ignored("", m.ignored_fields());
        model.service_accounts.push((ns, name));
    }
    Ok(())
}

/// ConfigMaps and Secrets: their keys.
pub(super) fn configs(
    ctx: &mut Ctx,
    model: &mut Model,
    maps: &[(ConfigMapManifest, At)],
    secrets: &[(SecretManifest, At)],
) -> R<()> {
    let keys = |a: &Option<BTreeMap<String, Ignored>>, b: &Option<BTreeMap<String, Ignored>>| {
        let mut k: Vec<Arc<str>> = a.iter().chain(b).flat_map(|m| m.keys()).map(|k| Arc::from(k.as_str())).collect();
        k.sort();
        k.dedup();
        k
    };
    let mut add = |ctx: &mut Ctx, kind: ConfigKind, meta: &ObjectMeta, at: At, keys: Vec<Arc<str>>| -> R<()> {
        ctx.goto(at);
        ctx.kind = kind.kind();
        let name = meta_name(ctx, meta, kind.kind(), true)?;
        let ns = namespace(ctx, meta)?;
        let k = if kind == ConfigKind::ConfigMap { "ConfigMap" } else { "Secret" };
        if !model.seen.insert((k, ns.clone(), name.clone())) {
            return Err(ctx.err_doc(format!("{k} {ns}/{name} is defined twice"), None));
        }
        ctx.warn_ignored("metadata.", meta.ignored_fields());
        model.configs.push(ConfigObject {
            kind,
            namespace: Arc::from(ns.as_str()),
            name: Arc::from(name.as_str()),
            keys,
        });
        Ok(())
    };
    for (m, at) in maps {
        add(ctx, ConfigKind::ConfigMap, &m.metadata, *at, keys(&m.data, &m.binary_data))?;
    }
    for (m, at) in secrets {
        add(ctx, ConfigKind::Secret, &m.metadata, *at, keys(&m.data, &m.string_data))?;
    }
    Ok(())
}
