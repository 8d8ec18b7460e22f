//! `apply` and `delete` in the fault plan: an operator creating or removing, mid-run, the
//! objects that gate pods (ConfigMaps, Secrets, ServiceAccounts).

use super::*;
use crate::chaos::plan::DeleteTarget;

/// The kinds `apply` and `delete` handle mid-run so far.
const MID_RUN_KINDS: &str = "ConfigMap, Secret and ServiceAccount (delete: Namespace too)";

/// `apply: {at, file}`: the file read and checked now (relative to the scenario, inside its
/// folder unless --allow-outside-paths), its objects created at `at`.
pub(super) fn apply(ctx: &mut Ctx, model: &mut Model, f: &Spanned<FaultRaw>, r: &ApplyRaw) -> R<()> {
    let written = &r.file;
    let full =
        crate::scenario::paths::resolve(&model.scenario_path, &written.value, model.allow_outside).map_err(|m| {
            ctx.err_at(
                written.referenced,
                format!("apply.file: {m}"),
                Some(crate::scenario::paths::OUTSIDE_HELP.into()),
            )
        })?;
    let src = crate::scenario::input::read_file(&full).map_err(|e| {
        let why = match e {
            LoadError::Io { source, .. } => source.to_string(),
            other => other.to_string(),
        };
        ctx.err_at(written.referenced, format!("apply.file: cannot read {:?}: {why}", written.value), None)
    })?;
    let sources = [src];
    let mut sub = Ctx::new(&sources);
    let raw = documents::read_all(&mut sub).map_err(|e| first_error(e, ctx, f))?;
    let kinds_other_than_gates = raw.pods.len()
        + raw.nodes.len()
        + raw.deployments.len()
        + raw.replicasets.len()
        + raw.jobs.len()
        + raw.daemonsets.len()
        + raw.statefulsets.len()
        + raw.pdbs.len()
        + raw.priority_classes.len()
        + raw.namespaces.len();
    if kinds_other_than_gates > 0 || raw.scenario.is_some() {
        return Err(ctx.err_at(
            written.referenced,
            format!("apply.file: {:?} holds kinds `apply` cannot create mid-run yet", written.value),
            Some(format!("mid-run, apply handles {MID_RUN_KINDS}; give the others in the manifests from the start")),
        ));
    }
    let mut m = Model { seen: model.seen.clone(), ..Model::default() };
    config::service_accounts(&mut sub, &mut m, &raw.service_accounts).map_err(|e| first_error(e.into(), ctx, f))?;
    config::configs(&mut sub, &mut m, &raw.configmaps, &raw.secrets).map_err(|e| first_error(e.into(), ctx, f))?;
    ctx.warnings.extend(sub.finish_warnings().into_iter().map(|text| Warning { place: (usize::MAX - 1, 0, 0), text }));
    model.faults.push(FaultDef::Apply {
        at: SimTime(r.at.0),
        file: written.value.clone(),
        configs: m.configs,
        service_accounts: m.service_accounts,
    });
    Ok(())
}

/// An error inside an applied file: itself (it points into that file), or its first one.
fn first_error(e: LoadError, ctx: &Ctx, f: &Spanned<FaultRaw>) -> Box<InputError> {
    match e {
        LoadError::Input(e) => e,
        LoadError::Many(mut v) if !v.is_empty() => Box::new(v.remove(0)),
        other => ctx.err_at(f.referenced, format!("apply: {other}"), None),
    }
}

/// `delete: {at, object: KIND/NAME, namespace}`.
pub(super) fn delete(ctx: &mut Ctx, model: &mut Model, r: &DeleteRaw) -> R<()> {
    let o = &r.object;
    let Some((kind, name)) = o.value.split_once('/') else {
        return Err(ctx.err_at(o.referenced, format!("delete.object {:?} is not KIND/NAME", o.value), None));
    };
    let target = match kind.to_ascii_lowercase().as_str() {
        "configmap" | "cm" => DeleteTarget::Config(ConfigKind::ConfigMap),
        "secret" => DeleteTarget::Config(ConfigKind::Secret),
        "serviceaccount" | "sa" => DeleteTarget::ServiceAccount,
        "namespace" | "ns" => DeleteTarget::Namespace,
        other => {
            return Err(ctx.err_at(
                o.referenced,
                format!("delete: kind {other:?} cannot be deleted mid-run yet"),
                Some(format!("delete handles {MID_RUN_KINDS}")),
            ));
        }
    };
    model.faults.push(FaultDef::Delete {
        at: SimTime(r.at.0),
        target,
        namespace: r.namespace.clone().unwrap_or_else(|| "default".into()),
        name: name.to_string(),
    });
    Ok(())
}

/// `remove-finalizers: {at, object: pod/NAME, namespace}`.
pub(super) fn remove_finalizers(ctx: &mut Ctx, model: &mut Model, r: &DeleteRaw) -> R<()> {
    let o = &r.object;
    let name = match o.value.split_once('/') {
        Some((kind, name)) if matches!(kind.to_ascii_lowercase().as_str(), "pod" | "pods" | "po") => name,
        _ => {
            return Err(ctx.err_at(
                o.referenced,
                format!("remove-finalizers.object {:?} is not pod/NAME", o.value),
                Some("finalizers are honoured on pods only".into()),
            ));
        }
    };
    model.faults.push(FaultDef::RemoveFinalizers {
        at: SimTime(r.at.0),
        namespace: r.namespace.clone().unwrap_or_else(|| "default".into()),
        name: name.to_string(),
    });
    Ok(())
}
