//! A harness for unit tests of one component: the API server, the recorder, RNG streams, the
//! registry and the event queue, with a clock the test moves. A test creates objects in the
//! store, hands the component its watch notifications and timers (`run_until` delivers every
//! due event to a closure that routes the ones the component under test handles), and asserts
//! on the store and on the recorded events.

use super::{Ctx, Event};
use crate::api::behavior::Behavior;
use crate::api::events::{ObjRef, RecordedEvent};
use crate::api::settings::{
    DEFAULT_NODE_BANDWIDTH, DEFAULT_REGISTRY_BANDWIDTH, DEFAULT_REGISTRY_LATENCY_MS, ImageDef, KubeSettings,
};
use crate::api::*;
use crate::apiserver::{ApiServer, Notification, Watcher};
use crate::record::Recorder;
use crate::sim::{EventQueue, RngStreams, SimTime};
use crate::world::Registry;
use std::sync::Arc;

/// One component's world, without the other components.
pub struct Harness {
    pub api: ApiServer,
    pub rec: Recorder,
    pub rng: RngStreams,
    pub registry: Registry,
    pub memory_hog: Vec<u64>,
    pub disk_fill: Vec<u64>,
    pub pid_hog: Vec<u64>,
    pub images: Vec<ImageDef>,
    pub settings: KubeSettings,
    pub queue: EventQueue<Event>,
    outbox: Vec<Notification>,
}

impl Default for Harness {
    fn default() -> Self {
        Harness::new()
    }
}

/// Builds a `Ctx` over the harness's parts (a macro, so that the borrows stay disjoint).
macro_rules! harness_ctx {
    ($h:ident, $cause:expr) => {{
        $h.api.now = $h.queue.now();
        Ctx {
            now: $h.queue.now(),
            cause: $cause,
            api: &mut $h.api,
            rec: &mut $h.rec,
            rng: &mut $h.rng,
            registry: &mut $h.registry,
            memory_hog: &mut $h.memory_hog,
            disk_fill: &mut $h.disk_fill,
            pid_hog: &mut $h.pid_hog,
            images: &$h.images,
            settings: &$h.settings,
            queue: &mut $h.queue,
            outbox: &mut $h.outbox,
        }
    }};
}

impl Harness {
    /// An empty cluster at time 0 with upstream's default settings and seed 1.
    pub fn new() -> Harness {
        let settings = KubeSettings::default();
        let mut api = ApiServer::new();
        let interval = settings.lease_renew_interval_ms();
        api.configure_leases(interval, 0, 1);
        Harness {
            api,
            rec: Recorder::default(),
            rng: RngStreams::new(1),
            registry: Registry::new(DEFAULT_REGISTRY_BANDWIDTH, DEFAULT_NODE_BANDWIDTH, DEFAULT_REGISTRY_LATENCY_MS, 0),
            memory_hog: Vec::new(),
            disk_fill: Vec::new(),
            pid_hog: Vec::new(),
            images: Vec::new(),
            settings,
            queue: EventQueue::default(),
            outbox: Vec::new(),
        }
    }

    pub fn now(&self) -> SimTime {
        self.queue.now()
    }

    /// Run `f` as a handler at the current time (a root cause); its writes' watch notifications
    /// are queued afterwards, as the cluster does after every handler.
    pub fn handle<R>(&mut self, f: impl FnOnce(&mut Ctx) -> R) -> R {
        let mut ctx = harness_ctx!(self, 0);
        let r = f(&mut ctx);
        ctx.flush_watches();
        r
    }

    /// Deliver every event due up to `until`, in `(time, seq)` order, to `deliver` with a `Ctx`
    /// at its time and cause; then move the clock to `until`. `deliver` routes the events of the
    /// component under test and ignores the rest (another component's watch, say).
    pub fn run_until(&mut self, until: SimTime, mut deliver: impl FnMut(Event, &mut Ctx)) {
        while let Some(e) = self.queue.pop_until(until) {
            let mut ctx = harness_ctx!(self, e.cause);
            deliver(e.event, &mut ctx);
            ctx.flush_watches();
        }
        self.queue.advance_to(until);
    }

    /// An image of the catalogue (`spec.images`), with its size and process behaviour.
    pub fn add_image(&mut self, name: &str, size: u64, behavior: Behavior) -> ImageId {
        self.images.push(ImageDef { name: name.into(), size, behavior });
        ImageId(self.images.len() as u32 - 1)
    }

    /// A Ready node with this much allocatable cpu (millicores) and memory (bytes).
    pub fn add_node(&mut self, name: &str, cpu_milli: u64, memory: u64) -> NodeId {
        let mut n = crate::api::node::test_node(name, &[("kubernetes.io/hostname", name)]);
        n.capacity = Resources::new(cpu_milli, memory);
        n.allocatable = n.capacity;
        n.created = self.now();
        // As the node IPAM controller would: the i-th node gets 10.244.i.0/24.
        let i = self.api.nodes.len() as u32;
        let cluster = crate::api::network::DEFAULT_CLUSTER_CIDR;
        n.pod_cidr = Some(crate::api::network::Cidr { base: cluster.base + (i << 8), prefix: 24 });
        n.address = crate::api::network::node_address(i);
        let id = self.api.create_node(n);
        self.registry.add_node();
        self.memory_hog.push(0);
        self.disk_fill.push(0);
        self.pid_hog.push(0);
        id
    }

    /// A pending pod in `default`, owned by `owner`, labelled `labels`.
    pub fn add_pod(&mut self, name: &str, labels: &[(&str, &str)], owner: Option<Owner>, spec: PodSpec) -> PodId {
        let labels = Labels::from_pairs(labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
        let ns = self.api.namespace("default");
        let pod = new_pod(ns, name.into(), Arc::new(labels), owner, Arc::new(spec), self.now());
        self.api.create_pod(pod)
    }

    /// A pod bound to `node` (as if scheduled there now).
    pub fn add_bound_pod(&mut self, name: &str, node: NodeId, spec: PodSpec) -> PodId {
        let id = self.add_pod(name, &[], None, spec);
        self.api.bind_pod(id, node, self.now(), Some(Watcher::Scheduler));
        id
    }

    /// The reasons recorded so far, in order.
    pub fn reasons(&self) -> Vec<&'static str> {
        self.rec.events.iter().map(|e| e.reason).collect()
    }

    /// The events recorded about `obj`, in order.
    pub fn events_of(&self, obj: ObjRef) -> Vec<&RecordedEvent> {
        self.rec.events.iter().filter(|e| e.object == obj).collect()
    }

    /// The first recorded event with `reason`, if any.
    pub fn event(&self, reason: &str) -> Option<&RecordedEvent> {
        self.rec.events.iter().find(|e| e.reason == reason)
    }

    /// When (ms) each event with `reason` was recorded, in order.
    pub fn times_of(&self, reason: &str) -> Vec<u64> {
        self.rec.events.iter().filter(|e| e.reason == reason).map(|e| e.time.as_millis()).collect()
    }

    /// The live (not removed) pods with this owner.
    pub fn live_pods_of(&self, o: Owner) -> Vec<PodId> {
        self.api.pods_of(o).iter().copied().filter(|&p| self.api.pod(p).removed.is_none()).collect()
    }

    /// Queue the watch notifications of writes made directly on `h.api`, as a handler's end does.
    pub fn flush(&mut self) {
        self.handle(|_| ());
    }

    /// Bind a pod to `node` now, as the scheduler does.
    pub fn bind(&mut self, p: PodId, node: NodeId) {
        self.handle(|ctx| ctx.api.bind_pod(p, node, ctx.now, Some(Watcher::Scheduler)));
    }

    /// Write a bound pod's phase and readiness now, as its kubelet would (lifecycle times too).
    pub fn set_pod_status(&mut self, p: PodId, phase: PodPhase, ready: bool) {
        let node = self.api.pod(p).node.expect("only a bound pod has a kubelet to report its status");
        self.handle(|ctx| {
            let now = ctx.now;
            ctx.api.update_pod_status(p, Watcher::Kubelet(node), |pod| {
                pod.status.phase = phase;
                pod.status.ready = ready;
                if phase == PodPhase::Running {
                    pod.started_at.get_or_insert(now);
                }
                if ready {
                    pod.ready_at.get_or_insert(now);
                }
                if phase.is_terminal() {
                    pod.finished_at.get_or_insert(now);
                }
            });
        });
    }

    /// The final delete of a pod now, as its kubelet makes it once the containers stopped.
    pub fn remove_pod(&mut self, p: PodId) {
        let writer = self.api.pod(p).node.map(Watcher::Kubelet);
        self.handle(|ctx| ctx.api.remove_pod(p, ctx.now, writer));
    }
}

/// A workload's `spec.template`: these labels and this pod spec.
pub fn template(labels: &[(&str, &str)], spec: PodSpec) -> PodTemplate {
    let labels = Labels::from_pairs(labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
    PodTemplate { labels: Arc::new(labels), spec: Arc::new(spec), restarted_at: None }
}

/// A label selector with these `matchLabels`.
pub fn selector(labels: &[(&str, &str)]) -> LabelSelector {
    LabelSelector {
        match_labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        match_expressions: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_until_delivers_in_order_and_moves_the_clock() {
        let mut h = Harness::new();
        h.handle(|ctx| {
            ctx.after(2000, Event::PodGc);
            ctx.after(1000, Event::ReplicaSetWork);
        });
        let mut seen = Vec::new();
        h.run_until(SimTime(1500), |e, ctx| seen.push((format!("{e:?}"), ctx.now)));
        assert_eq!(seen, [("ReplicaSetWork".to_string(), SimTime(1000))]);
        assert_eq!(h.now(), SimTime(1500));
        h.run_until(SimTime(5000), |e, ctx| seen.push((format!("{e:?}"), ctx.now)));
        assert_eq!(seen[1], ("PodGc".to_string(), SimTime(2000)));
    }

    #[test]
    fn writes_reach_their_watchers_after_the_watch_latency() {
        let mut h = Harness::new();
        let n = h.add_node("n", 1000, 1 << 30);
        let p = h.add_pod("p", &[], None, crate::api::pod::test_pod_spec());
        h.handle(|ctx| ctx.api.bind_pod(p, n, ctx.now, Some(Watcher::Scheduler)));
        let mut got = Vec::new();
        h.run_until(SimTime(1000), |e, ctx| {
            if let Event::Watch(w) = e {
                got.push((w.to, ctx.now));
            }
        });
        let latency = SimTime(h.settings.watch_latency_ms);
        assert!(got.contains(&(Watcher::Kubelet(n), latency)), "{got:?}");
    }
}
