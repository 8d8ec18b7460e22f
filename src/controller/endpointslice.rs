//! The EndpointSlice controller's rule: which pods a Service's endpoints are and with what
//! conditions (`podToEndpoint`, `ShouldPodBeInEndpoints`). Computed from the pods at the moment
//! asked (the controller follows pod changes within its watch latency; its batching and the
//! slices' 100-endpoint split are not modelled).

use crate::api::service::{EndpointCounts, Service};
use crate::api::{Pod, PodPhase};
use crate::apiserver::ApiServer;

/// Whether a pod is one of the Service's endpoints (`ShouldPodBeInEndpoints`): in its
/// namespace, matched by its selector, on a node (it has an address), not terminal.
pub fn selects(s: &Service, p: &Pod) -> bool {
    let Some(sel) = &s.selector else { return false };
    p.removed.is_none()
        && *p.namespace == *s.namespace
        && p.node.is_some()
        && !matches!(p.status.phase, PodPhase::Succeeded | PodPhase::Failed)
        && sel.0.iter().all(|(k, v)| p.labels.get(k) == Some(v.as_str()))
}

/// The Service's endpoints now, by condition.
pub fn endpoints(api: &ApiServer, s: &Service) -> EndpointCounts {
    let mut c = EndpointCounts::default();
    for p in api.pods.iter().filter(|p| selects(s, p)) {
        let terminating = p.deletion.is_some();
        let ready = !terminating && (p.status.ready || s.publish_not_ready);
        c.ready += u32::from(ready);
        c.not_ready += u32::from(!ready);
        c.terminating += u32::from(terminating);
    }
    c
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
            p
        };
        let ready = bind(&mut h, "ready", &[("app", "web")]);
        let starting = bind(&mut h, "starting", &[("app", "web")]);
        let leaving = bind(&mut h, "leaving", &[("app", "web")]);
        let done = bind(&mut h, "done", &[("app", "web")]);
        let _other = bind(&mut h, "other", &[("app", "db")]);
        let _unbound = h.add_pod("unbound", &[("app", "web")], None, test_pod_spec());
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
    }
}
