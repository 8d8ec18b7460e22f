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

pub fn render(e: &RecordedEvent, api: &ApiServer, images: &[ImageDef]) -> String {
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
        Message::CreatedPod { pod } => format!("Created pod: {}", api.pod(*pod).name),
        Message::DeletedPod { pod } => format!("Deleted pod: {}", api.pod(*pod).name),
        Message::ScaledReplicaSet { rs, from, to } => {
            let dir = if to >= from { "up" } else { "down" };
            format!("Scaled {dir} replica set {} from {from} to {to}", api.replicasets[rs.idx()].name)
        }
    }
}
