//! NodePorts (`pkg/scheduler/framework/plugins/nodeports`): a pod's host ports must be free on
//! the node, against every pod counted there (terminating ones too, until they are gone).

use crate::api::HostPort;

/// `ErrReason`.
pub const ERR_REASON: &str = crate::api::NODE_PORTS_ERR_REASON;

/// `fitsPorts`: none of `want` conflicts with a port in `used`.
pub fn fits<'a>(want: &[HostPort], used: impl IntoIterator<Item = &'a HostPort>) -> bool {
    used.into_iter().all(|u| !want.iter().any(|w| w.conflicts(u)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// "PROTOCOL/IP/PORT", as upstream's test helper `newPod` writes them.
    fn ports(specs: &[&str]) -> Vec<HostPort> {
        specs
            .iter()
            .map(|s| {
                let parts: Vec<&str> = s.split('/').collect();
                let protocol = if parts[0] == "UDP" { "UDP" } else { "TCP" };
                HostPort { ip: parts[1].into(), protocol, port: parts[2].parse().unwrap() }
            })
            .collect()
    }

    #[test]
    fn upstreams_node_ports_cases() {
        // TestNodePorts (node_ports_test.go): (name, pod, node's pod, fits).
        let cases: [(&str, &[&str], &[&str], bool); 12] = [
            ("other port", &["UDP/127.0.0.1/8080"], &["UDP/127.0.0.1/9090"], true),
            ("same udp port", &["UDP/127.0.0.1/8080"], &["UDP/127.0.0.1/8080"], false),
            ("same tcp port", &["TCP/127.0.0.1/8080"], &["TCP/127.0.0.1/8080"], false),
            ("different host ip", &["TCP/127.0.0.1/8080"], &["TCP/127.0.0.2/8080"], true),
            ("different protocol", &["UDP/127.0.0.1/8080"], &["TCP/127.0.0.1/8080"], true),
            ("second udp port conflict", &["UDP/127.0.0.1/8000", "UDP/127.0.0.1/8080"], &["UDP/127.0.0.1/8080"], false),
            (
                "first tcp port conflict",
                &["TCP/127.0.0.1/8001", "UDP/127.0.0.1/8080"],
                &["TCP/127.0.0.1/8001", "UDP/127.0.0.1/8081"],
                false,
            ),
            ("first tcp port conflict due to 0.0.0.0 hostIP", &["TCP/0.0.0.0/8001"], &["TCP/127.0.0.1/8001"], false),
            (
                "TCP hostPort conflict due to 0.0.0.0 hostIP",
                &["TCP/10.0.10.10/8001", "TCP/0.0.0.0/8001"],
                &["TCP/127.0.0.1/8001"],
                false,
            ),
            ("second tcp port conflict to 0.0.0.0 hostIP", &["TCP/127.0.0.1/8001"], &["TCP/0.0.0.0/8001"], false),
            ("second different protocol", &["UDP/127.0.0.1/8001"], &["TCP/0.0.0.0/8001"], true),
            (
                "UDP hostPort conflict due to 0.0.0.0 hostIP",
                &["UDP/127.0.0.1/8001"],
                &["TCP/0.0.0.0/8001", "UDP/0.0.0.0/8001"],
                false,
            ),
        ];
        for (name, want, used, ok) in cases {
            assert_eq!(fits(&ports(want), &ports(used)), ok, "{name}");
        }
    }

    mod in_the_scheduler {
        use crate::api::events::ObjRef;
        use crate::api::*;
        use crate::runtime::testing::Harness;
        use crate::scheduler::{Scheduler, SchedulerConfig};

        const GI: u64 = 1024 * 1024 * 1024;

        fn with_port(port: u16, priority: i32) -> PodSpec {
            let mut spec = crate::api::pod::test_pod_spec();
            spec.host_ports = vec![HostPort { ip: DEFAULT_BIND_ALL_HOST_IP.into(), protocol: "TCP", port }];
            spec.priority = priority;
            spec
        }

        use crate::scheduler::run_for_test as run;

        fn texts(h: &Harness, p: PodId, reason: &str) -> Vec<String> {
            (h.events_of(ObjRef::Pod(p)).iter())
                .filter(|e| e.reason == reason)
                .map(|e| match &e.message {
                    Message::Text(t) => t.to_string(),
                    other => format!("{other:?}"),
                })
                .collect()
        }

        #[test]
        fn a_host_port_taken_on_every_node_keeps_the_pod_pending_and_an_other_port_fits() {
            let mut h = Harness::new();
            let mut s = Scheduler::new(&h.settings, &SchedulerConfig::default());
            let a = h.add_node("a", 4000, 8 * GI);
            let b = h.add_node("b", 4000, 8 * GI);
            h.add_bound_pod("on-a", a, with_port(80, 0));
            let p = h.add_pod("p", &[], None, with_port(80, 0));
            h.flush();
            run(&mut h, &mut s, 1_000);
            assert_eq!(h.api.pod(p).node, Some(b), "a's port 80 is taken");
            let q = h.add_pod("q", &[], None, with_port(80, 0));
            let other = h.add_pod("other", &[], None, with_port(81, 0));
            h.flush();
            run(&mut h, &mut s, 2_000);
            let msg = "0/2 nodes are available: 2 node(s) didn't have free ports for the requested pod ports. \
                       preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.";
            assert_eq!(texts(&h, q, "FailedScheduling"), [msg]);
            assert!(h.api.pod(other).node.is_some());
        }

        #[test]
        fn preemption_frees_a_host_port_held_by_a_lower_priority_pod() {
            let mut h = Harness::new();
            let mut s = Scheduler::new(&h.settings, &SchedulerConfig::default());
            let a = h.add_node("a", 4000, 8 * GI);
            let low = h.add_bound_pod("low", a, with_port(80, 0));
            let bystander = h.add_bound_pod("bystander", a, with_port(81, 0));
            let high = h.add_pod("high", &[], None, with_port(80, 1000));
            h.flush();
            run(&mut h, &mut s, 1_000);
            // Resources fit; only the port is in the way: the pod holding it is the one victim.
            assert_eq!(texts(&h, low, "Preempted"), ["Preempted by pod default/high on node a"]);
            assert!(texts(&h, bystander, "Preempted").is_empty());
            assert_eq!(h.api.pod(high).nominated_node, Some(a));
        }
    }
}
