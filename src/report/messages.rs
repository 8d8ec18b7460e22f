//! Event messages in upstream's wording, rendered at output time.

use crate::api::duration::format_go_duration_ms;
use crate::api::events::{ContainerRef, ObjRef, RecordedEvent};
use crate::api::{Message, PodId};
use crate::apiserver::ApiServer;
use crate::scenario::ImageDef;

fn cname(api: &ApiServer, pod: PodId, c: ContainerRef) -> &str {
    let s = &api.pod(pod).spec;
    if c.init { &s.init_containers[c.index as usize].name } else { &s.containers[c.index as usize].name }
}

pub use crate::api::pod_uid;

pub fn render(e: &RecordedEvent, api: &ApiServer, images: &[ImageDef], seed: u64) -> String {
    let pod = match e.object {
        ObjRef::Pod(p) => Some(p),
        _ => None,
    };
    let img = |i: crate::api::ImageId| images[i.idx()].name.as_str();
    match &e.message {
        Message::Text(t) => t.to_string(),
        Message::Scheduled { node } => {
            let p = api.pod(pod.expect("Scheduled is about a pod"));
            format!("Successfully assigned {}/{} to {}", p.namespace, p.name, api.node(*node).name)
        }
        Message::Pulling { image } => format!("Pulling image \"{}\"", img(*image)),
        Message::Pulled { image, pull_ms, total_ms, size } => format!(
            "Successfully pulled image \"{}\" in {} ({} including waiting). Image size: {} bytes.",
            img(*image),
            format_go_duration_ms(*pull_ms),
            format_go_duration_ms(*total_ms),
            size
        ),
        Message::AlreadyPresent { image } => format!("Container image \"{}\" already present on machine", img(*image)),
        Message::NeverPull { image } => {
            format!("Container image \"{}\" is not present with pull policy of Never", img(*image))
        }
        Message::Created { container } => {
            format!("Created container: {}", cname(api, pod.expect("pod event"), *container))
        }
        Message::Started { container } => {
            format!("Started container {}", cname(api, pod.expect("pod event"), *container))
        }
        Message::Killing { container } => {
            format!("Stopping container {}", cname(api, pod.expect("pod event"), *container))
        }
        Message::PullFailed { image, err } => {
            let i = img(*image);
            match err {
                crate::api::events::PullError::Unavailable => format!(
                    "Failed to pull image \"{i}\": rpc error: code = Unavailable desc = failed to pull and unpack image \"{i}\": failed to resolve reference \"{i}\": dial tcp: connect: connection refused"
                ),
                crate::api::events::PullError::NotFound => format!(
                    "Failed to pull image \"{i}\": rpc error: code = NotFound desc = failed to pull and unpack image \"{i}\": failed to resolve reference \"{i}\": not found"
                ),
            }
        }
        Message::Error { reason } => format!("Error: {reason}"),
        Message::BackOffPulling { image } => format!("Back-off pulling image \"{}\"", img(*image)),
        Message::BackOff { container } => {
            let p = api.pod(pod.expect("pod event"));
            format!(
                "Back-off restarting failed container {} in pod {}_{}({})",
                cname(api, pod.expect("pod event"), *container),
                p.name,
                p.namespace,
                pod_uid(pod.expect("pod event"), seed)
            )
        }
        Message::Unhealthy { container, kind, hung, slow, ip } => {
            let p = api.pod(pod.expect("pod event"));
            let s = &p.spec;
            let c = if container.init { &s.init_containers } else { &s.containers };
            let c = &c[container.index as usize];
            let probe = match kind {
                crate::api::ProbeKind::Readiness => &c.readiness_probe,
                crate::api::ProbeKind::Liveness => &c.liveness_probe,
                crate::api::ProbeKind::Startup => &c.startup_probe,
            };
            let ip = if *ip == 0 { p.status.pod_ip } else { Some(*ip) };
            let why = probe.as_ref().map_or(String::new(), |pr| pr.failure_message(c, ip, *hung, *slow));
            format!("{} probe failed: {why}", kind.as_str())
        }
        Message::ProbeKilled { container, kind } => format!(
            "Container {} failed {} probe, will be restarted",
            cname(api, pod.expect("pod event"), *container),
            kind.as_str().to_lowercase()
        ),
        Message::CreatedPod { pod } => format!("Created pod: {}", api.pod(*pod).name),
        Message::DeletedPod { pod } => format!("Deleted pod: {}", api.pod(*pod).name),
        Message::ScaledReplicaSet { rs, from, to } => {
            let dir = if to >= from { "up" } else { "down" };
            format!("Scaled {dir} replica set {} from {from} to {to}", api.replicasets[rs.idx()].name)
        }
    }
}
