//! Services: their selector, type and ports (what the endpoints and `get services` need).

use super::*;
use crate::api::service::{Service, ServicePort, ServiceType};

/// The Service CIDR's first address goes to `kubernetes`; the others are handed out in input
/// order from `SERVICE_IP_BASE` (upstream picks them at random in `--service-cluster-ip-range`,
/// default 10.96.0.0/12).
pub const KUBERNETES_SERVICE_IP: &str = "10.96.0.1";
const SERVICE_IP_BASE: u32 = (10 << 24) | (96 << 16) | 10;

/// `v1` Services, after the `kubernetes` Service every cluster has in `default`.
pub(super) fn services(ctx: &mut Ctx, model: &mut Model, raw: &[(ServiceManifest, At)]) -> R<()> {
    model.services.push(Service {
        namespace: "default".into(),
        name: "kubernetes".into(),
        // The API server's own Service carries these two.
        labels: Labels::from_pairs(vec![
            ("component".into(), "apiserver".into()),
            ("provider".into(), "kubernetes".into()),
        ]),
        selector: None,
        type_: ServiceType::ClusterIP,
        cluster_ip: KUBERNETES_SERVICE_IP.into(),
        ports: vec![ServicePort {
            name: Some("https".into()),
            port: 443,
            target_port: "6443".into(),
            protocol: "TCP".into(),
            node_port: None,
        }],
        publish_not_ready: false,
        created: SimTime::ZERO,
    });
    for (i, (m, at)) in raw.iter().enumerate() {
        ctx.goto(*at);
        ctx.kind = "Service";
        let name = meta_name(ctx, &m.metadata, "Service", false)?;
        if !is_dns_label(&name) {
            return Err(ctx.err_at(
                m.metadata.name.as_ref().expect("named").referenced,
                format!("metadata.name {name:?} is not a valid Service name (a DNS label)"),
                None,
            ));
        }
        let ns = namespace(ctx, &m.metadata)?;
        if !model.seen.insert(("Service", ns.clone(), name.clone())) || (ns == "default" && name == "kubernetes") {
            return Err(ctx.err_doc(format!("Service {ns}/{name} is defined twice"), None));
        }
        ctx.warn_meta("metadata.", &m.metadata);
        let spec = &m.spec;
        let type_ = match spec.r#type.as_ref().map(|t| t.value.as_str()) {
            None | Some("ClusterIP") => ServiceType::ClusterIP,
            Some("NodePort") => ServiceType::NodePort,
            Some("LoadBalancer") => ServiceType::LoadBalancer,
            Some("ExternalName") => ServiceType::ExternalName,
            Some(o) => {
                return Err(ctx.err_at(
                    spec.r#type.as_ref().expect("given").referenced,
                    format!("spec.type: Unsupported value: {o:?}"),
                    Some("use ClusterIP, NodePort, LoadBalancer or ExternalName".into()),
                ));
            }
        };
        let mut ports = Vec::new();
        for (j, p) in spec.ports.iter().enumerate() {
            if !(1..=65535).contains(&p.port.value) {
                return Err(ctx.err_at(
                    p.port.referenced,
                    format!(
                        "spec.ports[{j}].port: Invalid value: {}: must be between 1 and 65535, inclusive",
                        p.port.value
                    ),
                    None,
                ));
            }
            // NodePort and LoadBalancer Services get a node port from 30000-32767 when none is
            // given; here in input order.
            let node_port = match type_ {
                ServiceType::NodePort | ServiceType::LoadBalancer => {
                    Some(p.node_port.unwrap_or(30000 + ((i * 7 + j) % 2768) as i32))
                }
                _ => None,
            };
            // `SetDefaults_Service`: an unset targetPort is the port itself.
            let target_port = match &p.target_port {
                Some(IntOrString::Int(n)) => n.to_string(),
                Some(IntOrString::Str(s)) if !s.is_empty() => s.clone(),
                _ => p.port.value.to_string(),
            };
            ports.push(ServicePort {
                name: p.name.clone().filter(|n| !n.is_empty()),
                port: p.port.value,
                target_port,
                protocol: p.protocol.clone().unwrap_or_else(|| "TCP".into()),
                node_port,
            });
        }
        let cluster_ip = match (type_, spec.cluster_ip.as_deref()) {
            (ServiceType::ExternalName, _) => "<none>".to_string(),
            (_, Some("None")) => "None".to_string(),
            (_, Some(ip)) if !ip.is_empty() => ip.to_string(),
            _ => {
                let a = SERVICE_IP_BASE + model.services.len() as u32;
                format!("{}.{}.{}.{}", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255)
            }
        };
        model.services.push(Service {
            namespace: Arc::from(ns.as_str()),
            name,
            labels: labels_of(&m.metadata),
            selector: spec.selector.as_ref().map(|s| Labels::from_pairs(s.clone().into_iter().collect())),
            type_,
            cluster_ip,
            ports,
            publish_not_ready: spec.publish_not_ready_addresses.unwrap_or(false),
            created: SimTime::ZERO,
        });
    }
    Ok(())
}
