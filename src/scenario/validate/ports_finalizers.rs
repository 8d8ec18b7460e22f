//! What a pod claims beyond its resources: host ports on its node (`ports[].hostPort`) and
//! finalizers that hold its deletion (`metadata.finalizers`).

use super::*;
use crate::api::{DEFAULT_BIND_ALL_HOST_IP, HostPort};

/// The host ports the pod reserves (`util.GetHostPorts`: the containers' and the sidecars'),
/// with the API server's defaulting (with `hostNetwork`, an unset `hostPort` is the
/// `containerPort`) and validation (1-65535; equal to `containerPort` under `hostNetwork`).
pub(super) fn host_ports(ctx: &mut Ctx, s: &PodSpecRaw, prefix: &str) -> R<Vec<HostPort>> {
    let host_network = s.host_network.unwrap_or(false);
    let mut out = Vec::new();
    let lists = [("initContainers", &s.init_containers), ("containers", &s.containers)];
    for (what, list) in lists {
        for (ci, c) in list.iter().enumerate() {
            let running = what == "containers" || c.restart_policy.as_ref().is_some_and(|r| r.value == "Always");
            for (i, port) in c.ports.iter().enumerate() {
                let path = format!("{prefix}{what}[{ci}].ports[{i}].hostPort");
                let cp = port.container_port.unwrap_or(0);
                let hp = match port.host_port.unwrap_or(0) {
                    0 if host_network => cp,
                    hp if host_network && hp != cp => {
                        let msg = format!(
                            "{path}: Invalid value: {hp}: must match `containerPort` when `hostNetwork` is true"
                        );
                        return Err(ctx.err_doc(msg, Some("leave hostPort out, or give it the containerPort".into())));
                    }
                    hp => hp,
                };
                if hp == 0 {
                    continue;
                }
                let Ok(port_no) = u16::try_from(hp) else {
                    let msg = format!("{path}: Invalid value: {hp}: must be between 1 and 65535, inclusive");
                    return Err(ctx.err_doc(msg, Some("give the node's port, or leave hostPort out".into())));
                };
                if !running {
                    continue; // a plain init container has finished before the others run
                }
                let protocol = match port.protocol.as_deref() {
                    Some("UDP") => "UDP",
                    Some("SCTP") => "SCTP",
                    _ => "TCP",
                };
                let ip = port.host_ip.as_deref().filter(|ip| !ip.is_empty()).unwrap_or(DEFAULT_BIND_ALL_HOST_IP);
                out.push(HostPort { ip: Arc::from(ip), protocol, port: port_no });
            }
        }
    }
    Ok(out)
}

/// `metadata.finalizers` (`ValidateFinalizerName`): a qualified name, with a `/` unless it is
/// a standard one. Only the others are kept: `orphan` and `foregroundDeletion` are the garbage
/// collector's, which clears them from a pod without dependents at once, and `kubernetes`
/// means something on namespaces only (kubesim does not hold a pod for it; see the README).
pub(super) fn finalizers(ctx: &mut Ctx, meta: &ObjectMeta, prefix: &str) -> R<Vec<Arc<str>>> {
    const STANDARD: [&str; 3] = ["kubernetes", "orphan", "foregroundDeletion"];
    let Some(list) = &meta.finalizers else { return Ok(Vec::new()) };
    let meta_path = prefix.strip_suffix("spec.").map_or("metadata".to_string(), |p| format!("{p}metadata"));
    let mut out: Vec<Arc<str>> = Vec::new();
    for (i, f) in list.value.iter().enumerate() {
        let (prefix_ok, name) = match f.split_once('/') {
            Some((p, n)) => (is_dns_subdomain(p), n),
            None => (true, f.as_str()),
        };
        let why = if f.matches('/').count() > 1 || !prefix_ok || !is_qualified_name_part(name) {
            Some(
                "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character, with an optional DNS subdomain prefix and '/'",
            )
        } else if !f.contains('/') && !STANDARD.contains(&f.as_str()) {
            Some("name is neither a standard finalizer name nor is it fully qualified")
        } else {
            None
        };
        if let Some(why) = why {
            let msg = format!("{meta_path}.finalizers[{i}]: Invalid value: {f:?}: {why}");
            return Err(ctx.err_at(list.referenced, msg, Some("name it DOMAIN/NAME, e.g. example.com/cleanup".into())));
        }
        if f.contains('/') && !out.iter().any(|x| **x == **f) {
            out.push(Arc::from(f.as_str()));
        }
    }
    Ok(out)
}

/// The name part of a qualified name: at most 63 characters, alphanumeric at both ends and
/// '-', '_' or '.' between.
fn is_qualified_name_part(s: &str) -> bool {
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    s.len() <= 63
        && edge(s.chars().next())
        && edge(s.chars().last())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}
