//! The `Cluster` of one run: it owns the kernel and every component, builds them from a
//! validated `Scenario`, and dispatches each popped event to its component. It is the only
//! place that knows all the components; they talk to each other through the API server.

use crate::api::WorkloadRef;
use crate::api::events::{ObjRef, Source};
use crate::api::*;
use crate::apiserver::{ApiServer, Notification, Watcher};
use crate::chaos::Chaos;
use crate::controller::daemonset::DaemonSetController;
use crate::controller::deployment::DeploymentController;
use crate::controller::disruption::DisruptionController;
use crate::controller::job::JobController;
use crate::controller::nodelifecycle::NodeLifecycleController;
use crate::controller::replicaset::ReplicaSetController;
use crate::controller::statefulset::StatefulSetController;
use crate::invariants::Violation;
use crate::kubelet::Kubelet;
use crate::record::Recorder;
use crate::record::{JobSample, Sample, ServiceSample, WorkloadSample};
use crate::runtime::KubeletEvent;
pub use crate::runtime::{Ctx, Event};
use crate::scenario::Scenario;
use crate::scheduler::Scheduler;
use crate::sim::{EventQueue, RngStreams, Scheduled, SimTime};
use crate::world::Registry;
use std::sync::Arc;

/// How to run: limits and checks that are not part of the scenario.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunOptions {
    /// Stop cleanly after this many events; the outputs are marked incomplete.
    pub max_events: Option<u64>,
    /// Check the invariants at every sample (always on in debug builds).
    pub check_invariants: bool,
    /// Stop at this moment (`kubesim get --at`): the same run as the whole one, cut there.
    pub stop_at: Option<SimTime>,
    /// `--trace-scheduling`: record every attempt's per-node filter verdicts and scores
    /// (written as `scheduling.csv`).
    pub trace_scheduling: bool,
    /// Show a progress line on stderr (simulated time, events/s) during long runs.
    pub progress: bool,
    /// Keep a hash of every event as it is dispatched (`--check-determinism`).
    pub log_events: bool,
    /// Keep every pod's and node's printable state at each change (`record::history`), for
    /// report.html's viewer.
    pub history: bool,
    /// Test-only: reseed the scheduler's tie-break stream, as a stray source of randomness
    /// would, so that `--check-determinism` has a divergence to find.
    #[doc(hidden)]
    pub perturb: bool,
}

/// One dispatched event, as `--check-determinism` compares two runs: its time, its sequence
/// number and a hash of the event itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventStamp {
    pub time: SimTime,
    pub seq: u64,
    pub hash: u64,
}

/// The events of a run as they were dispatched (`RunOptions::log_events`), and the description
/// of one of them when asked for (`describe`: its index).
#[derive(Clone, Debug, Default)]
pub struct EventLog {
    pub stamps: Vec<EventStamp>,
    pub describe: Option<usize>,
    pub described: Option<String>,
}

impl EventLog {
    /// Note one dispatched event (and describe it if it is the one asked for).
    fn stamp(&mut self, e: &Scheduled<Event>) {
        let text = format!("{:?}", e.event);
        if self.describe == Some(self.stamps.len()) {
            self.described = Some(text.clone());
        }
        let hash = crate::sim::fnv64(&[text.as_bytes()]);
        self.stamps.push(EventStamp { time: e.time, seq: e.seq, hash });
    }
}

/// The result of a run, for outputs.
pub struct RunOutcome {
    pub events_processed: u64,
    /// Where the run stopped: `spec.duration`, or earlier when `max_events` cut it short.
    pub end: SimTime,
    pub complete: bool,
}

pub struct Cluster {
    pub scenario: Arc<Scenario>,
    pub api: ApiServer,
    pub rec: Recorder,
    queue: EventQueue<Event>,
    rng: RngStreams,
    registry: Registry,
    pub scheduler: Scheduler,
    kubelets: Vec<Kubelet>,
    replicasets: ReplicaSetController,
    deployments: DeploymentController,
    jobs: JobController,
    cronjobs: crate::controller::cronjob::CronJobController,
    daemonsets: DaemonSetController,
    statefulsets: StatefulSetController,
    disruption: DisruptionController,
    nodelifecycle: NodeLifecycleController,
    podgc: crate::controller::podgc::PodGc,
    chaos: Chaos,
    outbox: Vec<Notification>,
    tracked: Vec<WorkloadRef>,
    /// Pods whose behaviour uses memory (sampled for the memory chart), and how many pods were
    /// looked at for it so far.
    memory_pods: (Vec<PodId>, usize),
    memory_hog: Vec<u64>,
    disk_fill: Vec<u64>,
    pid_hog: Vec<u64>,
    /// Recorded events already checked by the invariants.
    events_checked: usize,
    /// Control-plane events held while the API server is down, replayed when it is back.
    held: Vec<Scheduled<Event>>,
    /// The fault plan: the scenario's, then the random failures drawn from the seed.
    faults: Arc<[crate::scenario::FaultDef]>,
    /// Every dispatched event, when `RunOptions::log_events` asks for it.
    pub event_log: Option<EventLog>,
    /// The registry's new timers of the event being handled (reused).
    registry_timers: crate::world::registry::Timers,
    /// The node IPAM controller's range allocator.
    ipam: crate::controller::nodeipam::NodeIpam,
}

macro_rules! ctx {
    ($self:ident, $now:expr, $cause:expr) => {{
        $self.api.now = $now;
        Ctx {
            now: $now,
            cause: $cause,
            api: &mut $self.api,
            rec: &mut $self.rec,
            rng: &mut $self.rng,
            registry: &mut $self.registry,
            memory_hog: &mut $self.memory_hog,
            disk_fill: &mut $self.disk_fill,
            pid_hog: &mut $self.pid_hog,
            images: &$self.scenario.images,
            settings: &$self.scenario.kubernetes,
            queue: &mut $self.queue,
            outbox: &mut $self.outbox,
        }
    }};
}

impl Cluster {
    /// Build the cluster at time 0 from a validated scenario (with `seed` overriding its own).
    pub fn new(scenario: Scenario) -> Cluster {
        let scenario = Arc::new(scenario);
        let mut plan = scenario.faults.clone();
        plan.extend(crate::scenario::random_failure_plan(&scenario));
        let faults: Arc<[crate::scenario::FaultDef]> = plan.into();
        let n_nodes = scenario.nodes.len();
        let mut api = ApiServer::new();
        api.uid_seed = scenario.seed;
        let interval = scenario.kubernetes.lease_renew_interval_ms();
        api.configure_leases(
            interval,
            interval * crate::scenario::LEASE_RENEW_JITTER_PERCENT / 100,
            crate::sim::rng::SimRng::new(scenario.seed, crate::sim::rng::Stream::Kubelet).next_u64(),
        );
        let mut c = Cluster {
            api,
            rec: Recorder::default(),
            queue: {
                let mut q = EventQueue::with_capacity(1024 + n_nodes * 4);
                // The delays most events use: work-queue kicks, watch deliveries, the Job
                // controller's batch period and the backoff ticker, a scheduling attempt.
                q.add_lane(0);
                q.add_lane(scenario.kubernetes.watch_latency_ms);
                q.add_lane(crate::controller::job::SYNC_JOB_BATCH_PERIOD_MS);
                q.add_lane(scenario.scheduler.attempt_latency_ms);
                q
            },
            rng: RngStreams::new(scenario.seed),
            registry: Registry::new(
                scenario.registry.bandwidth,
                scenario.registry.node_bandwidth,
                scenario.registry.latency_ms,
                0,
            ),
            scheduler: Scheduler::new(&scenario.kubernetes, &scenario.scheduler),
            kubelets: Vec::with_capacity(n_nodes),
            replicasets: ReplicaSetController::default(),
            deployments: DeploymentController::default(),
            jobs: JobController::default(),
            cronjobs: Default::default(),
            daemonsets: DaemonSetController::default(),
            statefulsets: StatefulSetController::default(),
            disruption: DisruptionController::default(),
            nodelifecycle: NodeLifecycleController::default(),
            podgc: Default::default(),
            chaos: Chaos::new(faults.clone()),
            outbox: Vec::new(),
            tracked: Vec::new(),
            memory_pods: (Vec::new(), 0),
            memory_hog: Vec::with_capacity(n_nodes),
            disk_fill: Vec::with_capacity(n_nodes),
            pid_hog: Vec::with_capacity(n_nodes),
            events_checked: 0,
            event_log: None,
            registry_timers: Vec::new(),
            held: Vec::new(),
            faults: faults.clone(),
            ipam: crate::controller::nodeipam::NodeIpam::new(&scenario.kubernetes),
            scenario: scenario.clone(),
        };
        for n in &scenario.nodes {
            c.add_node(n, SimTime::ZERO);
        }
        c.create_gates();
        c.create_workloads();
        c.create_cronjobs();
        c.create_pods();
        for (i, f) in faults.iter().enumerate() {
            c.queue.schedule_at(f.at(), 0, Event::Fault(i as u32));
            if let Some(end) = f.until() {
                c.queue.schedule_at(end, 0, Event::FaultEnd(i as u32));
            }
        }
        if let Some(p) = scenario.trace_pods.first() {
            c.queue.schedule_at(SimTime(p.arrival_ms), 0, Event::TraceArrival(0));
            // One Job and at least one pod per trace pod: room for them now rather than
            // copying the stores as they double.
            c.api.reserve(scenario.trace_pods.len(), scenario.trace_pods.len());
        }
        c.queue.schedule_at(SimTime::ZERO, 0, Event::Sample);
        let mut ctx = ctx!(c, SimTime::ZERO, 0);
        NodeLifecycleController::start(&mut ctx);
        crate::controller::podgc::PodGc::start(&mut ctx);
        ctx.flush_watches();
        c
    }

    /// The objects that gate pods (namespaces, ServiceAccounts, ConfigMaps, Secrets,
    /// LimitRanges, ResourceQuotas) and the Services, as the API server holds them at time 0.
    fn create_gates(&mut self) {
        let scenario = self.scenario.clone();
        for ns in &scenario.namespaces {
            self.api.gates.add_namespace(ns);
        }
        for (ns, name) in &scenario.service_accounts {
            self.api.gates.add_service_account(ns, name);
        }
        for c in &scenario.configs {
            self.api.gates.put_config(c.clone());
        }
        self.api.services = scenario.services.clone();
        self.api.gates.limit_ranges = scenario.limit_ranges.clone();
        self.api.gates.quotas = scenario.quotas.clone();
    }

    /// The scenario's CronJobs (each run's Job is stamped from the template).
    fn create_cronjobs(&mut self) {
        let scenario = self.scenario.clone();
        for c in &scenario.cronjobs {
            self.api.create_cronjob(c.clone());
        }
    }

    /// The scenario's workloads (Deployments, ReplicaSets, StatefulSets, DaemonSets tracked for
    /// the outputs), Jobs and PodDisruptionBudgets, as the API server holds them at time 0.
    fn create_workloads(&mut self) {
        let scenario = self.scenario.clone();
        for d in &scenario.deployments {
            let id = self.api.create_deployment(Deployment {
                namespace: d.namespace.clone(),
                name: d.name.clone(),
                labels: d.labels.clone(),
                selector: d.selector.clone(),
                replicas: d.replicas,
                template: d.template.clone(),
                strategy: d.strategy,
                progress_deadline_ms: d.progress_deadline_ms,
                revision_history_limit: d.revision_history_limit,
                created: SimTime::ZERO,
                resource_version: 0,
                status: WorkloadStatus::default(),
            });
            self.rec.track(WorkloadRef::Deployment(id));
            self.tracked.push(WorkloadRef::Deployment(id));
        }
        for r in &scenario.replicasets {
            let id = self.api.create_replicaset(ReplicaSet {
                namespace: r.namespace.clone(),
                name: r.name.clone(),
                labels: r.labels.clone(),
                selector: r.selector.clone(),
                replicas: r.replicas,
                template: r.template.clone(),
                owner: None,
                template_hash: None,
                revision: 0,
                created: SimTime::ZERO,
                resource_version: 0,
                status: WorkloadStatus::default(),
                deleted: None,
            });
            self.rec.track(WorkloadRef::ReplicaSet(id));
            self.tracked.push(WorkloadRef::ReplicaSet(id));
        }
        for s in &scenario.statefulsets {
            let id = self.api.create_statefulset(StatefulSet {
                namespace: s.namespace.clone(),
                name: s.name.clone(),
                labels: s.labels.clone(),
                selector: s.selector.clone(),
                replicas: s.replicas,
                template: s.template.clone(),
                pod_management: s.pod_management,
                created: SimTime::ZERO,
                resource_version: 0,
                status: WorkloadStatus::default(),
            });
            self.rec.track(WorkloadRef::StatefulSet(id));
            self.tracked.push(WorkloadRef::StatefulSet(id));
        }
        for d in &scenario.daemonsets {
            let id = self.api.create_daemonset(DaemonSet {
                namespace: d.namespace.clone(),
                name: d.name.clone(),
                labels: d.labels.clone(),
                selector: d.selector.clone(),
                template: d.template.clone(),
                max_unavailable: d.max_unavailable,
                created: SimTime::ZERO,
                resource_version: 0,
                status: WorkloadStatus::default(),
                desired: 0,
            });
            self.rec.track(WorkloadRef::DaemonSet(id));
            self.tracked.push(WorkloadRef::DaemonSet(id));
        }
        for j in &scenario.jobs {
            self.api.create_job(j.to_job());
        }
        for b in &scenario.pdbs {
            self.api.create_pdb(PodDisruptionBudget {
                namespace: b.namespace.clone(),
                name: b.name.clone(),
                labels: b.labels.clone(),
                selector: b.selector.clone(),
                min_available: b.min_available,
                max_unavailable: b.max_unavailable,
                resource_version: 0,
                status: Default::default(),
                disrupted: Default::default(),
                unblocked_by: 0,
            });
        }
    }

    /// Static pods (each kubelet posts a mirror pod `<name>-<node>` bound to its node) and the
    /// scenario's own Pods (bound at once when they name `spec.nodeName`).
    fn create_pods(&mut self) {
        let scenario = self.scenario.clone();
        // Static pods: each kubelet posts a mirror pod `<name>-<node>` bound to its node.
        for (i, n) in scenario.nodes.iter().enumerate() {
            for sp in &n.static_pods {
                let name = format!("{}-{}", sp.name, n.name);
                let mut pod = new_pod(
                    sp.namespace.as_str().into(),
                    name,
                    Arc::new(sp.labels.clone()),
                    None,
                    sp.spec.clone(),
                    SimTime::ZERO,
                );
                pod.mirror = true;
                let id = self.api.create_pod(pod);
                self.api.bind_pod(id, NodeId(i as u32), SimTime::ZERO, None);
            }
        }
        for p in &scenario.pods {
            let pod = new_pod(
                p.namespace.as_str().into(),
                p.name.clone(),
                Arc::new(p.labels.clone()),
                None,
                p.spec.clone(),
                SimTime::ZERO,
            );
            let node = p.spec.node_name.as_deref().and_then(|n| self.api.node_by_name(n));
            let id = self.api.create_pod(pod);
            if let Some(n) = node {
                // spec.nodeName set by the user: the kubelet takes it without the scheduler.
                self.api.bind_pod(id, n, SimTime::ZERO, None);
            }
        }
    }

    /// Register a node (at time 0, or when `add-nodes` brings it): its object, its kubelet,
    /// and its first lease renewal, staggered because kubelets do not all start together.
    fn add_node(&mut self, n: &crate::scenario::NodeDef, now: SimTime) -> NodeId {
        // The node IPAM controller hands out the node's pod CIDR as it registers.
        let pod_cidr = self.ipam.next_block(&self.api);
        let address = crate::api::network::node_address(self.api.nodes.len() as u32);
        let id = self.api.create_node(Node {
            name: n.name.clone(),
            labels: n.labels.clone(),
            taints: n.taints.clone(),
            unschedulable: n.unschedulable,
            capacity: n.capacity,
            allocatable: n.allocatable,
            pods: n.pods,
            ready: ConditionStatus::True,
            memory_pressure: false,
            not_ready_message: "",
            disk_pressure: false,
            pid_pressure: false,
            created: now,
            resource_version: 0,
            deleted: None,
            images: {
                let mut v = n.images.clone();
                v.sort();
                v.dedup();
                v
            },
            pod_cidr,
            address,
        });
        if pod_cidr.is_none() {
            let mut ctx = ctx!(self, now, 0);
            let msg = format!("Node {} status is now: CIDRNotAvailable", n.name);
            ctx.record(
                EventType::Normal,
                "CIDRNotAvailable",
                ObjRef::Node(id),
                Some(id),
                Source::NodeController,
                Message::Text(msg.into()),
            );
        }
        let mut k = Kubelet::new(id, self.scenario.images.len(), &n.images);
        k.sandbox_image_name = self.scenario.sandbox_image.as_str().into();
        if !n.sandbox_image {
            k.sandbox_image = crate::kubelet::SandboxImage::Absent;
        }
        self.kubelets.push(k);
        self.registry.add_node();
        self.memory_hog.push(0);
        self.disk_fill.push(0);
        self.pid_hog.push(0);
        // Kubelets did not all start at the same instant: stagger the first renewal.
        let renew = self.scenario.kubernetes.lease_renew_interval_ms().max(1);
        let offset = self.rng.kubelet.below(renew);
        self.api.lease_start(id, now.plus(offset));
        id
    }

    /// `add-nodes`: the machines boot and their kubelets register (with their static pods).
    fn add_nodes(&mut self, i: usize, now: SimTime, cause: EventId) {
        let faults = self.faults.clone();
        let crate::scenario::FaultDef::AddNodes { nodes: defs, .. } = &faults[i] else { return };
        self.rec.faults.push((now, "add-nodes"));
        for def in defs {
            let id = self.add_node(def, now);
            let mut ctx = ctx!(self, now, cause);
            ctx.cause = ctx.record(
                EventType::Normal,
                "RegisteredNode",
                ObjRef::Node(id),
                Some(id),
                Source::NodeController,
                Message::Text(format!("Node {} event: Registered Node {} in Controller", def.name, def.name).into()),
            );
            for sp in &def.static_pods {
                let mut pod = new_pod(
                    sp.namespace.as_str().into(),
                    format!("{}-{}", sp.name, def.name),
                    Arc::new(sp.labels.clone()),
                    None,
                    sp.spec.clone(),
                    now,
                );
                pod.mirror = true;
                let p = ctx.api.create_pod(pod);
                ctx.api.bind_pod(p, id, now, None);
            }
            ctx.flush_watches();
        }
    }

    /// Run to `spec.duration` (events at exactly that time included), then stop cleanly; or
    /// stop after `max_events`. Invariants are checked at the end, and at every sample in debug
    /// builds or when asked.
    pub fn run(&mut self, opts: &RunOptions) -> Result<RunOutcome, Violation> {
        let end = opts.stop_at.map_or(self.scenario.duration, |t| t.min(self.scenario.duration));
        let check_often = opts.check_invariants || cfg!(debug_assertions);
        let mut last = SimTime::ZERO;
        let max = opts.max_events.unwrap_or(u64::MAX);
        // Checks cost O(objects): space them so that they stay O(1) per event on average.
        let mut next_check = 0u64;
        let mut progress = Progress::new();
        if opts.log_events && self.event_log.is_none() {
            self.event_log = Some(EventLog::default());
        }
        if opts.history && self.rec.history.is_none() {
            self.rec.history = Some(Default::default());
            // What exists before the first event is written at time 0.
            let pods = (0..self.api.pods.len() as u32).map(PodId).collect();
            let nodes = (0..self.api.nodes.len() as u32).map(NodeId).collect();
            self.api.touched = Some((pods, nodes));
            self.note_history(SimTime::ZERO);
        }
        if opts.perturb {
            self.rng.scheduler = crate::sim::rng::SimRng::new(!self.scenario.seed, crate::sim::rng::Stream::Scheduler);
        }
        let result = self.run_loop(opts, end, check_often, max, &mut last, &mut next_check, &mut progress);
        self.scheduler.flush_series(&mut self.rec);
        if opts.progress {
            progress.clear();
        }
        result
    }

    #[allow(clippy::too_many_arguments)]
    fn run_loop(
        &mut self,
        opts: &RunOptions,
        end: SimTime,
        check_often: bool,
        max: u64,
        last: &mut SimTime,
        next_check: &mut u64,
        progress: &mut Progress,
    ) -> Result<RunOutcome, Violation> {
        while self.queue.processed() < max {
            let Some(e) = self.queue.pop_until(end) else {
                self.queue.advance_to(end);
                self.check_invariants(end)?;
                return Ok(RunOutcome { events_processed: self.queue.processed(), end, complete: true });
            };
            if e.time < *last {
                return Err(Violation {
                    time: e.time,
                    seed: self.scenario.seed,
                    what: format!("virtual time went back from {}s", *last),
                });
            }
            *last = e.time;
            if let Some(log) = &mut self.event_log {
                log.stamp(&e);
            }
            let sample = matches!(e.event, Event::Sample);
            self.dispatch(e);
            if self.api.touched.is_some() {
                self.note_history(*last);
            }
            // The progress line: looked at every 2^16 events, written at most once a second.
            if opts.progress && self.queue.processed() & 0xFFFF == 0 {
                progress.tick(*last, end, self.queue.processed());
            }
            if sample && check_often && self.queue.processed() >= *next_check {
                self.check_invariants(*last)?;
                *next_check = self.queue.processed() + 4 * (self.api.pods.len() + self.api.nodes.len()) as u64 + 1000;
            }
        }
        self.check_invariants(*last)?;
        Ok(RunOutcome { events_processed: self.queue.processed(), end: *last, complete: false })
    }

    /// Move the pods and nodes written by the last event into the history.
    fn note_history(&mut self, now: SimTime) {
        let (Some(h), Some((pods, nodes))) = (&mut self.rec.history, &mut self.api.touched) else { return };
        for &p in pods.iter() {
            h.pod(now, p, &self.api.pods[p.idx()]);
        }
        for &n in nodes.iter() {
            h.node(now, n, &self.api.nodes[n.idx()]);
        }
        pods.clear();
        nodes.clear();
    }

    pub fn check_invariants(&mut self, now: SimTime) -> Result<(), Violation> {
        let kubelets = &self.kubelets;
        let api = &self.api;
        // A disconnected kubelet last reported what the API shows.
        let has = |n: NodeId, p: PodId| api.is_disconnected(n) || kubelets[n.idx()].runs(p);
        let view = crate::invariants::View {
            api: &self.api,
            rec: &self.rec,
            kubelet_has: &has,
            rs_created: self.replicasets.created,
            events_from: self.events_checked,
        };
        crate::invariants::check(&view, now, self.scenario.seed)?;
        self.events_checked = self.rec.events.len();
        Ok(())
    }

    /// While the API server is down, the control plane (controllers, scheduler, node lifecycle,
    /// kubectl-style actions) can do nothing: its events wait. Kubelets, containers, the
    /// registry and the physical faults go on.
    fn held_during_outage(&self, e: &Event) -> bool {
        use crate::scenario::FaultDef as F;
        match e {
            Event::Watch(n) => !matches!(n.to, Watcher::Kubelet(_)),
            Event::Kubelet(..) | Event::Registry(_) | Event::Sample | Event::FaultEnd(_) => false,
            Event::Fault(i) => matches!(
                self.faults[*i as usize],
                F::PodKill { .. }
                    | F::PodFailure { .. }
                    | F::ContainerKill { .. }
                    | F::NodeCordon { .. }
                    | F::Taint { .. }
                    | F::NodeDrain { .. }
                    | F::DeleteNode { .. }
                    | F::SetImage { .. }
                    | F::RolloutRestart { .. }
                    | F::Scale { .. }
                    | F::RemoveFinalizers { .. }
            ),
            _ => true,
        }
    }

    /// `apiserver-outage` starts (or ends): every kubelet loses (or regains) the API server.
    fn apiserver(&mut self, up: bool, now: SimTime, cause: EventId) {
        let n = self.api.nodes.len();
        if !up {
            if self.api.down {
                return;
            }
            self.api.down = true;
            for i in 0..n {
                self.api.disconnect(NodeId(i as u32), now, cause);
            }
            let mut ctx = ctx!(self, now, cause);
            let msg = "apiserver-outage: the API server is unreachable";
            ctx.record(
                EventType::Warning,
                "FaultInjected",
                ObjRef::ControlPlane,
                None,
                Source::Chaos,
                Message::Text(msg.into()),
            );
            return;
        }
        if !self.api.down {
            return;
        }
        self.api.down = false;
        self.api.resumed_at = now;
        let mut ctx = ctx!(self, now, cause);
        let msg = "apiserver-outage: the API server is back";
        ctx.cause = ctx.record(
            EventType::Normal,
            "FaultEnded",
            ObjRef::ControlPlane,
            None,
            Source::Chaos,
            Message::Text(msg.into()),
        );
        for i in 0..n {
            ctx.at(now, Event::Kubelet(NodeId(i as u32), KubeletEvent::Reconnect));
        }
        // Replay what waited, in its original order.
        for h in std::mem::take(&mut self.held) {
            self.queue.schedule_at(now, h.cause, h.event);
        }
    }

    fn dispatch(&mut self, e: Scheduled<Event>) {
        let now = e.time;
        self.api.now = now;
        if self.api.down && self.held_during_outage(&e.event) {
            self.held.push(e);
            return;
        }
        if let Event::Fault(i) | Event::FaultEnd(i) = e.event
            && matches!(self.faults[i as usize], crate::scenario::FaultDef::ApiserverOutage { .. })
        {
            if let Event::Fault(_) = e.event {
                self.rec.faults.push((now, "apiserver-outage"));
            }
            self.apiserver(matches!(e.event, Event::FaultEnd(_)), now, e.cause);
            return;
        }
        if let Event::Watch(n) = e.event
            && let Watcher::Kubelet(node) = n.to
            && self.api.is_disconnected(node)
        {
            return; // lost; the kubelet relists when it is back
        }
        let mut ctx = ctx!(self, now, e.cause);
        match e.event {
            Event::Watch(n) => match n.to {
                Watcher::Scheduler => self.scheduler.on_watch(n.obj, &mut ctx),
                Watcher::Kubelet(node) => self.kubelets[node.idx()].on_watch(n.obj, &mut ctx),
                Watcher::ReplicaSetController => self.replicasets.on_watch(n.obj, &mut ctx),
                Watcher::DeploymentController => self.deployments.on_watch(n.obj, &mut ctx),
                Watcher::JobController => self.jobs.on_watch(n.obj, &mut ctx),
                Watcher::CronJobController => self.cronjobs.on_watch(n.obj, &mut ctx),
                Watcher::DaemonSetController => self.daemonsets.on_watch(n.obj, &mut ctx),
                Watcher::StatefulSetController => self.statefulsets.on_watch(n.obj, &mut ctx),
                Watcher::DisruptionController => self.disruption.on_watch(n.obj, &mut ctx),
                Watcher::NodeLifecycleController => self.nodelifecycle.on_watch(n.obj, &mut ctx),
                Watcher::Operator => {}
            },
            Event::Scheduler(ev) => self.scheduler.handle(ev, &mut ctx),
            Event::Kubelet(node, ev) => self.kubelets[node.idx()].handle(ev, &mut ctx),
            Event::Registry(ev) => {
                // A scratch list reused across events: registry events are frequent in pull storms.
                let done = ctx.registry.handle(ev, now, &mut self.registry_timers);
                for (t, ev) in self.registry_timers.drain(..) {
                    ctx.at(t, Event::Registry(ev));
                }
                if let Some((tok, result)) = done {
                    self.kubelets[tok.node.idx()].on_pull_done(tok.request, result, &mut ctx);
                }
            }
            Event::ReplicaSetWork => self.replicasets.work(&mut ctx),
            Event::DeploymentWork => self.deployments.work(&mut ctx),
            Event::DeploymentDeadline(d) => self.deployments.on_deadline(d, &mut ctx),
            Event::JobWork => self.jobs.work(&mut ctx),
            Event::JobSync(j) => self.jobs.on_timer(j, &mut ctx),
            Event::CronJobWork => self.cronjobs.work(&mut ctx),
            Event::CronJobSync(c) => self.cronjobs.on_timer(c, &mut ctx),
            Event::DaemonSetWork => self.daemonsets.work(&mut ctx),
            Event::StatefulSetWork => self.statefulsets.work(&mut ctx),
            Event::Requeue(crate::runtime::Requeue::ReplicaSet(r)) => self.replicasets.requeue(r, &mut ctx),
            Event::Requeue(crate::runtime::Requeue::DaemonSet(d)) => self.daemonsets.requeue(d, &mut ctx),
            Event::Requeue(crate::runtime::Requeue::StatefulSet(s)) => self.statefulsets.requeue(s, &mut ctx),
            Event::DisruptionWork => self.disruption.work(&mut ctx),
            Event::DisruptionTimer(b) => self.disruption.on_timer(b, &mut ctx),
            Event::PodGc => self.podgc.tick(&mut ctx),
            Event::DrainTick(i) => self.chaos.drain_tick(i as usize, &mut ctx),
            Event::TraceArrival(i) => {
                let i = i as usize;
                ctx.api.create_job(crate::scenario::trace_job(&self.scenario, i, now));
                if let Some(next) = self.scenario.trace_pods.get(i + 1) {
                    ctx.at(SimTime(next.arrival_ms), Event::TraceArrival(i as u32 + 1));
                }
            }
            Event::NodeLifecycle(ev) => self.nodelifecycle.handle(ev, &mut ctx),
            Event::Fault(i) if matches!(self.faults[i as usize], crate::scenario::FaultDef::AddNodes { .. }) => {
                self.add_nodes(i as usize, now, e.cause);
                return;
            }
            Event::Fault(i) => self.chaos.inject(i as usize, &mut ctx),
            Event::FaultEnd(i) => self.chaos.end(i as usize, &mut ctx),
            Event::Sample => {
                self.sample(now);
                let next = now.plus(self.scenario.sample_interval_ms);
                if next <= self.scenario.duration {
                    self.queue.schedule_at(next, 0, Event::Sample);
                }
                return;
            }
        }
        ctx.flush_watches();
    }

    fn sample(&mut self, now: SimTime) {
        let c = self.api.counters;
        let live = self.api.nodes.iter().filter(|n| n.deleted.is_none());
        let (mut ready, mut all) = (0u32, 0u32);
        for n in live {
            all += 1;
            ready += u32::from(n.ready == ConditionStatus::True);
        }
        self.rec.samples.push(Sample {
            time: now,
            nodes_ready: ready,
            nodes_not_ready: all - ready,
            pending: c.pending,
            running: c.running,
            succeeded: c.succeeded,
            failed: c.failed,
            terminating: c.terminating,
            cpu_requested_milli: c.requested.cpu_milli,
            memory_requested: c.requested.memory,
        });
        for (i, svc) in self.api.services.iter().enumerate() {
            if svc.selector.is_some() {
                let endpoints = crate::controller::endpointslice::endpoints(&self.api, svc);
                self.rec.service_samples.push(ServiceSample { time: now, service: i as u32, endpoints });
            }
        }
        for &w in &self.tracked {
            let (_, _, desired, st) = self.api.workload(w);
            self.rec.workload_samples.push(WorkloadSample {
                time: now,
                workload: w,
                desired,
                ready: st.ready,
                available: st.available,
                updated: st.updated,
                replicas: st.replicas,
            });
        }
        self.sample_memory(now);
        if self.scenario.trace_pods.is_empty() {
            for (i, j) in self.api.jobs.iter().enumerate().filter(|(_, j)| j.deleted.is_none() && j.created <= now) {
                let st = j.status;
                self.rec.job_samples.push(JobSample {
                    time: now,
                    job: JobId(i as u32),
                    desired: j.completions.unwrap_or(j.parallelism),
                    active: st.active,
                    ready: st.ready,
                    succeeded: st.succeeded,
                    failed: st.failed,
                });
            }
        }
    }
}

/// The memory chart samples the first this many pods whose behaviour uses memory (it draws
/// the 8 that used the most): a bound on what a large run records.
pub const MAX_MEMORY_SAMPLED_PODS: usize = 64;

impl Cluster {
    /// Each live pod's memory (its running containers'), for pods whose behaviour uses memory;
    /// new pods are looked at once.
    fn sample_memory(&mut self, now: SimTime) {
        let (pods, seen) = &mut self.memory_pods;
        for (i, p) in self.api.pods.iter().enumerate().skip(*seen) {
            let uses = p.spec.containers.iter().chain(&p.spec.init_containers).any(|c| c.behavior.memory.is_some());
            if uses && pods.len() < MAX_MEMORY_SAMPLED_PODS {
                pods.push(PodId(i as u32));
            }
        }
        *seen = self.api.pods.len();
        // A pod that finished uses no memory any more: it leaves the chart.
        pods.retain(|&id| self.api.pod(id).removed.is_none() && !self.api.pod(id).status.phase.is_terminal());
        for &id in pods.iter() {
            let p = self.api.pod(id);
            let specs = p.spec.containers.iter().zip(&p.status.containers);
            let inits = p.spec.init_containers.iter().zip(&p.status.init_containers);
            let bytes = (specs.chain(inits))
                .map(|(c, st)| match st.state {
                    ContainerState::Running { started } => crate::api::behavior::memory_usage(c, started, now),
                    _ => 0,
                })
                .sum();
            self.rec.memory_samples.push(crate::record::MemorySample { time: now, pod: id, bytes });
        }
    }
}

/// The progress line of a long run on stderr (`\r`-rewritten): simulated time and events/s.
struct Progress {
    start: std::time::Instant,
    last_print: std::time::Instant,
    printed: bool,
}

impl Progress {
    fn new() -> Progress {
        let now = std::time::Instant::now();
        Progress { start: now, last_print: now, printed: false }
    }

    fn tick(&mut self, now: SimTime, end: SimTime, events: u64) {
        let t = std::time::Instant::now();
        if t.duration_since(self.last_print).as_millis() < 1000 {
            return;
        }
        self.last_print = t;
        self.printed = true;
        let wall = t.duration_since(self.start).as_secs_f64().max(1e-9);
        let d = crate::api::duration::format_go_duration_ms;
        eprint!(
            "\r  simulated {} of {} ({:.0}%), {:.2} M events/s   ",
            d(now.as_millis()),
            d(end.as_millis()),
            100.0 * now.as_millis() as f64 / end.as_millis().max(1) as f64,
            events as f64 / wall / 1e6
        );
    }

    fn clear(&self) {
        if self.printed {
            eprint!("\r{:70}\r", "");
        }
    }
}
