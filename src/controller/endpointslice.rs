//! The EndpointSlice controller's rule: which pods a Service's endpoints are and with what
//! conditions (`podToEndpoint`, `ShouldPodBeInEndpoints`). Computed from the pods at the moment
//! asked (the controller follows pod changes within its watch latency; its batching and the
//! slices' 100-endpoint split are not modelled).

use crate::api::service::{EndpointCounts, Service};
use crate::api::{Pod, PodPhase};
use crate::apiserver::ApiServer;

/// Whether a pod is one of the Service's endpoints (`ShouldPodBeInEndpoints`): in its
/// namespace, matched by its selector, with an address (its sandbox is up), not terminal.
pub fn selects(s: &Service, p: &Pod) -> bool {
    let Some(sel) = &s.selector else { return false };
    p.removed.is_none()
        && *p.namespace == *s.namespace
        && p.status.pod_ip.is_some()
        && !matches!(p.status.phase, PodPhase::Succeeded | PodPhase::Failed)
        && sel.0.iter().all(|(k, v)| p.labels.get(k) == Some(v.as_str()))
}

/// The Service's endpoints now, by condition (counted without building the list).
pub fn endpoints(api: &ApiServer, s: &Service) -> EndpointCounts {
    let mut c = EndpointCounts::default();
    for e in all_endpoints(api, s) {
        c.ready += u32::from(e.ready);
        c.not_ready += u32::from(!e.ready);
        c.terminating += u32::from(e.terminating);
    }
    c
}

/// `podToEndpoint` for every selected pod, in pod creation order.
fn all_endpoints<'a>(api: &'a ApiServer, s: &'a Service) -> impl Iterator<Item = Endpoint> + 'a {
    (api.pods.iter().enumerate().filter(|(_, p)| selects(s, p))).map(|(i, p)| {
        let terminating = p.deletion.is_some();
        Endpoint {
            pod: crate::api::PodId(i as u32),
            ip: p.status.pod_ip.expect("selected pods have an address"),
            ready: !terminating && (p.status.ready || s.publish_not_ready),
            terminating,
        }
    })
}

/// One endpoint of a slice: the pod's address and its conditions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub pod: crate::api::PodId,
    pub ip: u32,
    pub ready: bool,
    pub terminating: bool,
}

/// The Service's endpoints now, in pod creation order.
pub fn endpoint_list(api: &ApiServer, s: &Service) -> Vec<Endpoint> {
    all_endpoints(api, s).collect()
}

/// The slice's ports (`getEndpointPorts`): each Service port's `targetPort` as a number,
/// a name resolved against the first endpoint pod's container ports (`podutil.FindPort`);
/// a name no container has leaves the port out, as upstream does.
pub fn slice_ports(api: &ApiServer, s: &Service, eps: &[Endpoint]) -> Vec<(Option<String>, i32, String)> {
    let first = eps.first().map(|e| api.pod(e.pod));
    (s.ports.iter())
        .filter_map(|p| {
            let port = match p.target_port.parse::<i32>() {
                Ok(n) => n,
                Err(_) => {
                    first?
                        .spec
                        .containers
                        .iter()
                        .flat_map(|c| &c.ports)
                        .find(|(name, ..)| name.as_deref() == Some(p.target_port.as_str()))?
                        .1
                }
            };
            Some((p.name.clone(), port, p.protocol.clone()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::test_pod_spec;
    use crate::api::service::ServiceType;
    use crate::api::{Labels, PodPhase};
    use crate::runtime::testing::Harness;

    fn web(publish_not_ready: bool) -> Service {
        Service {
            namespace: "default".into(),
            name: "web".into(),
            labels: Default::default(),
            selector: Some(Labels::from_pairs(vec![("app".into(), "web".into())])),
            type_: ServiceType::ClusterIP,
            cluster_ip: "10.96.0.10".into(),
            ports: vec![],
            publish_not_ready,
            created: crate::sim::SimTime::ZERO,
        }
    }

    #[test]
    fn endpoints_are_the_bound_live_selected_pods_ready_only_when_ready_and_not_terminating() {
        let mut h = Harness::new();
        let n = h.add_node("n", 4000, 1 << 33);
        let bind = |h: &mut Harness, name: &str, labels: &[(&str, &str)]| {
            let p = h.add_pod(name, labels, None, test_pod_spec());
            h.bind(p, n);
            h.api.set_pod_ip(p, 0x0af4_0002 + p.0);
            p
        };
        let ready = bind(&mut h, "ready", &[("app", "web")]);
        let starting = bind(&mut h, "starting", &[("app", "web")]);
        let leaving = bind(&mut h, "leaving", &[("app", "web")]);
        let done = bind(&mut h, "done", &[("app", "web")]);
        let _other = bind(&mut h, "other", &[("app", "db")]);
        let _unbound = h.add_pod("unbound", &[("app", "web")], None, test_pod_spec());
        // Bound, but its sandbox has no address yet: not an endpoint.
        let no_ip = h.add_pod("no-ip", &[("app", "web")], None, test_pod_spec());
        h.bind(no_ip, n);
        h.set_pod_status(ready, PodPhase::Running, true);
        h.set_pod_status(starting, PodPhase::Running, false);
        h.set_pod_status(leaving, PodPhase::Running, true);
        h.set_pod_status(done, PodPhase::Succeeded, false);
        h.handle(|ctx| ctx.api.delete_pod(leaving, 30_000, ctx.now));
        let c = endpoints(&h.api, &web(false));
        assert_eq!(c, EndpointCounts { ready: 1, not_ready: 2, terminating: 1 });
        // publishNotReadyAddresses: the starting pod counts as ready, the terminating one not.
        let c = endpoints(&h.api, &web(true));
        assert_eq!(c, EndpointCounts { ready: 2, not_ready: 1, terminating: 1 });
        // No selector: no endpoints managed here.
        let none = Service { selector: None, ..web(false) };
        assert_eq!(endpoints(&h.api, &none), EndpointCounts::default());
        let list = endpoint_list(&h.api, &web(false));
        let got: Vec<_> = list.iter().map(|e| (e.pod, e.ready, e.terminating)).collect();
        assert_eq!(got, [(ready, true, false), (starting, false, false), (leaving, false, true)]);
    }

    #[test]
    fn a_named_target_port_resolves_against_the_pods_container_ports() {
        use crate::api::service::ServicePort;
        let mut h = Harness::new();
        let n = h.add_node("n", 4000, 1 << 33);
        let mut spec = test_pod_spec();
        spec.containers[0].ports = vec![(Some("http".into()), 8080, "TCP", 0)];
        let p = h.add_pod("p", &[("app", "web")], None, spec);
        h.bind(p, n);
        h.api.set_pod_ip(p, 0x0af4_0002);
        let port = |name: Option<&str>, target: &str| ServicePort {
            name: name.map(String::from),
            port: 80,
            target_port: target.into(),
            protocol: "TCP".into(),
            node_port: None,
        };
        let s = Service {
            ports: vec![port(Some("web"), "http"), port(Some("alt"), "9090"), port(None, "grpc")],
            ..web(false)
        };
        let eps = endpoint_list(&h.api, &s);
        let got = slice_ports(&h.api, &s, &eps);
        assert_eq!(got, vec![(Some("web".into()), 8080, "TCP".into()), (Some("alt".into()), 9090, "TCP".into())]);
    }
}
