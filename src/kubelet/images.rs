//! The kubelet's image manager: pull policies, the node's image cache, and the serialized
//! puller (`serializeImagePulls: true`, the upstream default): one pull at a time per node,
//! later requests wait in FIFO order. A queued pull of an image that is on disk by the time it
//! starts only fetches the manifest (the registry's latency).

use crate::api::events::{ContainerRef, ObjRef, Source};
use crate::api::*;
use crate::apiserver::Watcher;
use crate::cluster::{Ctx, Event};
use crate::sim::SimTime;
use crate::world::PullToken;
use std::collections::VecDeque;

struct PullRequest {
    image: ImageId,
    pod: PodId,
    c: ContainerRef,
    /// The pod worker's epoch when it asked.
    epoch: u32,
    requested: SimTime,
    /// The `Pulling` event, cause of `Pulled`.
    cause: EventId,
    started: SimTime,
}

pub struct ImageManager {
    node: NodeId,
    present: Vec<bool>,
    requests: Vec<Option<PullRequest>>,
    free: Vec<u32>,
    queue: VecDeque<u32>,
    in_flight: Option<u32>,
}

impl ImageManager {
    pub fn new(node: NodeId, n_images: usize, preloaded: &[ImageId]) -> ImageManager {
        let mut present = vec![false; n_images];
        for i in preloaded {
            present[i.idx()] = true;
        }
        ImageManager { node, present, requests: Vec::new(), free: Vec::new(), queue: VecDeque::new(), in_flight: None }
    }

    pub fn is_present(&self, image: ImageId) -> bool {
        self.present[image.idx()]
    }

    /// `EnsureImageExists`: true when the container can be created now; false when a pull was
    /// requested (the caller resumes on `pull_done`) or the image can never be had.
    pub fn ensure(
        &mut self,
        pod: PodId,
        c: ContainerRef,
        image: ImageId,
        policy: PullPolicy,
        epoch: u32,
        ctx: &mut Ctx,
    ) -> bool {
        let present = self.present[image.idx()];
        let node = Some(self.node);
        match policy {
            PullPolicy::Never if !present => {
                ctx.api.update_pod_status(pod, Watcher::Kubelet(self.node), |p| {
                    let s = if c.init {
                        &mut p.status.init_containers[c.index as usize]
                    } else {
                        &mut p.status.containers[c.index as usize]
                    };
                    s.state = ContainerState::Waiting { reason: "ErrImageNeverPull" };
                });
                ctx.record(
                    EventType::Warning,
                    "ErrImageNeverPull",
                    ObjRef::Pod(pod),
                    node,
                    Source::Kubelet,
                    Message::NeverPull { image },
                );
                false
            }
            PullPolicy::Never | PullPolicy::IfNotPresent if present => {
                ctx.record(
                    EventType::Normal,
                    "Pulled",
                    ObjRef::Pod(pod),
                    node,
                    Source::Kubelet,
                    Message::AlreadyPresent { image },
                );
                true
            }
            _ => {
                ctx.record(
                    EventType::Normal,
                    "Pulling",
                    ObjRef::Pod(pod),
                    node,
                    Source::Kubelet,
                    Message::Pulling { image },
                );
                self.request(pod, c, image, epoch, ctx);
                false
            }
        }
    }

    fn request(&mut self, pod: PodId, c: ContainerRef, image: ImageId, epoch: u32, ctx: &mut Ctx) {
        let req = PullRequest { image, pod, c, epoch, requested: ctx.now, cause: ctx.cause, started: ctx.now };
        let r = match self.free.pop() {
            Some(r) => {
                self.requests[r as usize] = Some(req);
                r
            }
            None => {
                self.requests.push(Some(req));
                self.requests.len() as u32 - 1
            }
        };
        self.queue.push_back(r);
        if self.in_flight.is_none() {
            self.start_next(ctx);
        }
    }

    fn start_next(&mut self, ctx: &mut Ctx) {
        let Some(r) = self.queue.pop_front() else { return };
        self.in_flight = Some(r);
        let req = self.requests[r as usize].as_mut().expect("live request");
        req.started = ctx.now;
        // With the image on disk (pull policy Always) only the manifest is fetched.
        let bytes = if self.present[req.image.idx()] { 0 } else { ctx.images[req.image.idx()].size };
        let (t, ev) = ctx.registry.start(PullToken { node: self.node, request: r }, bytes, ctx.now);
        ctx.at(t, Event::Registry(ev));
    }

    /// The registry delivered the bytes: record `Pulled` and return who asked, with how long
    /// they waited (the `Pulled` event is left as the cause of what follows).
    pub fn pull_done(&mut self, r: u32, ctx: &mut Ctx) -> (PodId, ContainerRef, u32, u64) {
        let req = self.requests[r as usize].take().expect("pull in flight");
        self.free.push(r);
        self.in_flight = None;
        self.present[req.image.idx()] = true;
        let pull_ms = ctx.now.since(req.started);
        let size = ctx.images[req.image.idx()].size;
        let total_ms = ctx.now.since(req.requested);
        let msg = Message::Pulled { image: req.image, pull_ms, total_ms, size };
        ctx.cause = req.cause;
        ctx.record(EventType::Normal, "Pulled", ObjRef::Pod(req.pod), Some(self.node), Source::Kubelet, msg);
        let pulled = ctx.cause;
        self.start_next(ctx);
        ctx.cause = pulled;
        (req.pod, req.c, req.epoch, total_ms)
    }
}
