//! The kubelet's image manager: pull policies, the node's image cache, the puller
//! (`serializeImagePulls: true`, the upstream default: one pull at a time per node, later
//! requests wait in FIFO order; with `serializeImagePulls: false`, up to
//! `maxParallelImagePulls` at once, sharing the node's bandwidth; a queued pull of an image
//! that is on disk by the time it starts only fetches the manifest), and the per-(pod, image)
//! pull back-off behind ErrImagePull and ImagePullBackOff.

use super::status_mut;
use crate::api::events::PullError;
use crate::api::events::{ContainerRef, ObjRef, Source};
use crate::api::*;
use crate::apiserver::Watcher;
use crate::runtime::{Ctx, Event};
use crate::sim::SimTime;
use crate::world::PullToken;
use std::collections::{BTreeMap, VecDeque};

/// The image pull back-off: 10 s doubling to 300 s (`backOffPeriod`, `MaxContainerBackOff`),
/// forgotten after 10 minutes without a failure.
pub const IMAGE_BACKOFF_INITIAL_MS: u64 = 10_000;
pub const IMAGE_BACKOFF_MAX_MS: u64 = 300_000;

struct PullRequest {
    image: ImageId,
    pod: PodId,
    c: ContainerRef,
    /// The container's epoch when it asked.
    epoch: u32,
    requested: SimTime,
    /// The `Pulling` event, cause of `Pulled`.
    cause: EventId,
    started: SimTime,
}

/// What `ensure` found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ensure {
    /// The image is there: create the container.
    Ready,
    /// A pull was requested: wait for `pull_done`.
    Pulling,
    /// Inside the pull back-off (ImagePullBackOff) or never pullable: try again later.
    Later,
}

pub struct ImageManager {
    node: NodeId,
    present: Vec<bool>,
    requests: Vec<Option<PullRequest>>,
    free: Vec<u32>,
    queue: VecDeque<u32>,
    /// Pulls running now (at most 1 with serialized pulls, else `maxParallelImagePulls`).
    in_flight: u32,
    /// Per (pod, image): current back-off and when it was last raised.
    backoff: BTreeMap<(PodId, ImageId), (u64, SimTime)>,
}

fn set_waiting(ctx: &mut Ctx, node: NodeId, pod: PodId, c: ContainerRef, reason: &'static str) {
    ctx.api.update_pod_status(pod, Watcher::Kubelet(node), |p| {
        status_mut(p, c).set_state(ContainerState::Waiting { reason });
    });
}

impl ImageManager {
    pub fn new(node: NodeId, n_images: usize, preloaded: &[ImageId]) -> ImageManager {
        let mut present = vec![false; n_images];
        for i in preloaded {
            present[i.idx()] = true;
        }
        ImageManager {
            node,
            present,
            requests: Vec::new(),
            free: Vec::new(),
            queue: VecDeque::new(),
            in_flight: 0,
            backoff: BTreeMap::new(),
        }
    }

    /// `EnsureImageExists`.
    pub fn ensure(
        &mut self,
        pod: PodId,
        c: ContainerRef,
        image: ImageId,
        policy: PullPolicy,
        epoch: u32,
        ctx: &mut Ctx,
    ) -> Ensure {
        let present = self.present[image.idx()];
        let node = Some(self.node);
        let rec = |ctx: &mut Ctx, kind, reason, msg| {
            ctx.cause = ctx.record(kind, reason, ObjRef::Pod(pod), node, Source::Kubelet, msg);
        };
        match policy {
            PullPolicy::Never if !present => {
                set_waiting(ctx, self.node, pod, c, "ErrImageNeverPull");
                rec(ctx, EventType::Warning, "ErrImageNeverPull", Message::NeverPull { image });
                // startContainer's own report of the failed EnsureImageExists.
                rec(ctx, EventType::Warning, "Failed", Message::Error { reason: "ErrImageNeverPull" });
                Ensure::Later
            }
            PullPolicy::Never | PullPolicy::IfNotPresent if present => {
                rec(ctx, EventType::Normal, "Pulled", Message::AlreadyPresent { image });
                Ensure::Ready
            }
            _ => {
                if let Some(&(b, updated)) = self.backoff.get(&(pod, image))
                    && ctx.now.since(updated) < b
                {
                    set_waiting(ctx, self.node, pod, c, "ImagePullBackOff");
                    rec(ctx, EventType::Normal, "BackOff", Message::BackOffPulling { image });
                    rec(ctx, EventType::Warning, "Failed", Message::Error { reason: "ImagePullBackOff" });
                    return Ensure::Later;
                }
                rec(ctx, EventType::Normal, "Pulling", Message::Pulling { image });
                self.request(pod, c, image, epoch, ctx);
                Ensure::Pulling
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
        self.start_next(ctx);
    }

    fn start_next(&mut self, ctx: &mut Ctx) {
        let k = ctx.settings;
        let limit = if k.serialize_image_pulls { 1 } else { k.max_parallel_image_pulls.unwrap_or(u32::MAX) };
        if self.in_flight >= limit {
            return;
        }
        let Some(r) = self.queue.pop_front() else { return };
        self.in_flight += 1;
        let req = self.requests[r as usize].as_mut().expect("live request");
        req.started = ctx.now;
        // With the image on disk (pull policy Always) only the manifest is fetched.
        let bytes = if self.present[req.image.idx()] { 0 } else { ctx.images[req.image.idx()].size };
        let (t, ev) = ctx.registry.start(PullToken { node: self.node, request: r }, req.image, bytes, ctx.now);
        ctx.at(t, Event::Registry(ev));
    }

    /// The registry answered: record `Pulled` (or the failure and its back-off) and return who
    /// asked, when they asked, and whether they got the image. The last recorded
    /// event is left as the cause of what follows.
    pub fn pull_done(
        &mut self,
        r: u32,
        result: Result<(), PullError>,
        ctx: &mut Ctx,
    ) -> Option<(PodId, ContainerRef, u32, SimTime, bool)> {
        // A pull the kubelet forgot (its node lost power meanwhile) only frees its slot.
        let req = self.requests[r as usize].take()?;
        self.free.push(r);
        self.in_flight -= 1;
        let pull_ms = ctx.now.since(req.started);
        let total_ms = ctx.now.since(req.requested);
        let node = Some(self.node);
        ctx.cause = req.cause;
        let ok = result.is_ok();
        match result {
            Ok(()) => {
                self.present[req.image.idx()] = true;
                ctx.api.node_image_added(self.node, req.image);
                let size = ctx.images[req.image.idx()].size;
                let msg = Message::Pulled { image: req.image, pull_ms, total_ms, size };
                ctx.cause = ctx.record(EventType::Normal, "Pulled", ObjRef::Pod(req.pod), node, Source::Kubelet, msg);
            }
            Err(err) => {
                // Backoff.Next: 10 s, or double, or start again after 10 quiet minutes.
                let now = ctx.now;
                let e = self.backoff.entry((req.pod, req.image)).or_insert((0, now));
                let expired = now.since(e.1) > 2 * IMAGE_BACKOFF_MAX_MS;
                e.0 = if e.0 == 0 || expired { IMAGE_BACKOFF_INITIAL_MS } else { (e.0 * 2).min(IMAGE_BACKOFF_MAX_MS) };
                e.1 = now;
                set_waiting(ctx, self.node, req.pod, req.c, "ErrImagePull");
                let pod = ObjRef::Pod(req.pod);
                let msg = Message::PullFailed { image: req.image, err };
                ctx.cause = ctx.record(EventType::Warning, "Failed", pod, node, Source::Kubelet, msg);
                ctx.cause = ctx.record(
                    EventType::Warning,
                    "Failed",
                    pod,
                    node,
                    Source::Kubelet,
                    Message::Error { reason: "ErrImagePull" },
                );
            }
        }
        let last = ctx.cause;
        self.start_next(ctx);
        ctx.cause = last;
        Some((req.pod, req.c, req.epoch, req.requested, ok))
    }

    /// The bytes the images on the node's disk take.
    pub fn disk_bytes(&self, images: &[crate::api::settings::ImageDef]) -> u64 {
        (self.present.iter().zip(images)).filter(|(p, _)| **p).map(|(_, d)| d.size).sum()
    }

    /// Image garbage collection for disk pressure (`DeleteUnusedImages`): every image on disk
    /// that no container in `in_use` names and no pull is writing goes; returns those removed.
    pub fn remove_unused(&mut self, in_use: &[ImageId]) -> Vec<ImageId> {
        let pulling: Vec<ImageId> = self.requests.iter().flatten().map(|r| r.image).collect();
        let mut removed = Vec::new();
        for (i, p) in self.present.iter_mut().enumerate() {
            let id = ImageId(i as u32);
            if *p && !in_use.contains(&id) && !pulling.contains(&id) {
                *p = false;
                removed.push(id);
            }
        }
        removed
    }

    /// The node lost power: queued and running pulls are forgotten (the disk keeps its images).
    pub fn power_off(&mut self) {
        for (i, r) in self.requests.iter_mut().enumerate() {
            if r.take().is_some() {
                self.free.push(i as u32);
            }
        }
        self.queue.clear();
        self.in_flight = 0;
    }
}
