//! The API server: the object store. Every write bumps the resourceVersion and queues watch
//! notifications in an outbox; the `Cluster` delivers them after the watch latency. Components
//! read and write cluster state only through here.

pub mod admission;
pub mod conditions;
pub mod config;
pub mod cronjob;
pub mod deletion;
pub mod eviction;
mod lease;
pub mod watch;
use lease::Lease;

use crate::api::events::ObjRef;
use crate::api::*;
use crate::sim::SimTime;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
pub use watch::{Notification, Watcher};

pub use crate::api::settings::DEFAULT_WATCH_LATENCY_MS;

/// A terminated pod's place in the pod garbage collector's order
/// (`byEvictionAndCreationTimestamp`): evicted pods first, then by creation time to the second
/// (what `metav1.Time` keeps); among pods of the same second the collector sorts by name.
pub type TerminatedKey = (bool, u64, PodId);

fn terminated_key(p: &Pod, id: PodId) -> TerminatedKey {
    let evicted = p.status.phase == PodPhase::Failed && p.status.reason == Some("Evicted");
    (!evicted, p.created.as_millis() / 1000, id)
}

/// Incrementally maintained counts for the time series (no scan per sample).
#[derive(Clone, Copy, Debug, Default)]
pub struct Counters {
    pub pending: u32,
    pub running: u32,
    pub succeeded: u32,
    pub failed: u32,
    pub unknown: u32,
    pub terminating: u32,
    /// Requests of pods bound to a node and not yet terminal or gone.
    pub requested: Resources,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Bucket {
    Gone,
    Terminating,
    Phase(PodPhase),
}

#[derive(Default)]
pub struct ApiServer {
    pub pods: Vec<Pod>,
    /// Per pod: not bound, not being deleted, not removed (what the scheduler checks before
    /// each attempt), as one dense byte so that a retry does not read the whole object.
    /// Kept by `create_pod` and `mutate_pod`, the only writers of those fields.
    pub unsettled: Vec<bool>,
    pub nodes: Vec<Node>,
    /// Per image, how many live nodes have it in `status.images`.
    pub image_nodes: Vec<u32>,
    pub replicasets: Vec<ReplicaSet>,
    pub deployments: Vec<Deployment>,
    pub jobs: Vec<Job>,
    pub daemonsets: Vec<DaemonSet>,
    pub statefulsets: Vec<StatefulSet>,
    pub pdbs: Vec<PodDisruptionBudget>,
    resource_version: u64,
    outbox: Vec<Notification>,
    pods_by_node: Vec<Vec<PodId>>,
    pods_by_rs: Vec<Vec<PodId>>,
    /// Per ReplicaSet: (active pods, active and ready pods).
    rs_live: Vec<(u32, u32)>,
    pods_by_job: Vec<Vec<PodId>>,
    pods_by_ds: Vec<Vec<PodId>>,
    pods_by_sts: Vec<Vec<PodId>>,
    rs_by_deployment: Vec<Vec<RsId>>,
    /// Live pod names by namespace (looked up without building a key).
    pod_names: HashMap<Arc<str>, HashSet<String>>,
    pub counters: Counters,
    /// Per node: how many reasons (partition, kubelet down, API server outage) keep its kubelet
    /// from reaching the API server.
    disconnected: Vec<u16>,
    /// Final deletes a disconnected kubelet made, applied when it reaches the API again.
    deferred_removals: Vec<(NodeId, PodId)>,
    /// Terminal statuses a disconnected kubelet wrote (its status manager's cache: phase,
    /// readiness, finish time), sent when it reaches the API again, even for a pod it no longer
    /// runs (evicted, or finished, meanwhile).
    deferred_terminal: std::collections::BTreeMap<PodId, (NodeId, PodPhase, Option<SimTime>)>,
    /// `apiserver-outage` in progress: nothing in the control plane changes.
    pub down: bool,
    /// Bumped by every change to a Node object (not lease renewals): caches of nodes compare it.
    pub node_epoch: u64,
    leases: Vec<Lease>,
    /// Lease grid settings: the renew interval and its largest jitter (ms), and the seed.
    lease_interval_ms: u64,
    lease_jitter_ms: u64,
    lease_seed: u64,
    /// Nodes whose lease may go stale (not renewing, or cut off) or that are not Ready: the
    /// only ones the node lifecycle controller has to look at.
    pub suspects: std::collections::BTreeSet<NodeId>,
    /// Deleted nodes, for the pod garbage collector.
    pub deleted_nodes: Vec<NodeId>,
    /// Terminated pods (Succeeded or Failed, not deleting) in the pod garbage collector's order
    /// (`TerminatedKey`): it removes the first ones above its threshold.
    pub terminated: std::collections::BTreeSet<TerminatedKey>,
    /// When the control plane last came back: the node lifecycle controller measures lease
    /// staleness from no earlier than this (it has just started observing again).
    pub resumed_at: SimTime,
    /// Namespaces, ServiceAccounts, ConfigMaps and Secrets.
    pub gates: config::GateStore,
    pub cronjobs: Vec<CronJob>,
    /// Services (created at the start; their endpoints follow the pods).
    pub services: Vec<crate::api::service::Service>,
    /// The virtual time of the write in progress (set by the wiring before each handler).
    pub now: SimTime,
    /// Every change of a pod condition, in order; the scheduler's messages they name.
    pub condition_log: conditions::ConditionLog,
    pub sched_messages: Vec<Arc<str>>,
    /// Pods and nodes written since the wiring last looked (kept only while it records the
    /// history report.html replays).
    pub touched: Option<(Vec<PodId>, Vec<NodeId>)>,
    /// The seed pods' UIDs derive from (`api::pod_uid`): the scenario's.
    pub uid_seed: u64,
}

impl ApiServer {
    pub fn new() -> ApiServer {
        ApiServer { gates: config::GateStore::new(), ..ApiServer::default() }
    }

    /// Take the notifications queued by the writes so far (the caller schedules them).
    pub fn drain_outbox(&mut self, into: &mut Vec<Notification>) {
        into.append(&mut self.outbox);
    }

    fn next_rv(&mut self) -> u64 {
        self.resource_version += 1;
        self.resource_version
    }

    /// The pod's `metadata.uid`.
    pub fn pod_uid(&self, id: PodId) -> String {
        crate::api::pod_uid(id, self.uid_seed)
    }

    pub fn pod(&self, id: PodId) -> &Pod {
        &self.pods[id.idx()]
    }
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.idx()]
    }
    pub fn pods_on_node(&self, n: NodeId) -> &[PodId] {
        &self.pods_by_node[n.idx()]
    }
    pub fn pods_of_rs(&self, rs: RsId) -> &[PodId] {
        &self.pods_by_rs[rs.idx()]
    }
    /// The pods an owner has (deleted ones leave the index when they leave the store).
    pub fn pods_of(&self, o: Owner) -> &[PodId] {
        match o {
            Owner::ReplicaSet(r) => &self.pods_by_rs[r.idx()],
            Owner::Job(j) => &self.pods_by_job[j.idx()],
            Owner::DaemonSet(d) => &self.pods_by_ds[d.idx()],
            Owner::StatefulSet(s) => &self.pods_by_sts[s.idx()],
        }
    }
    fn pods_of_mut(&mut self, o: Owner) -> &mut Vec<PodId> {
        match o {
            Owner::ReplicaSet(r) => &mut self.pods_by_rs[r.idx()],
            Owner::Job(j) => &mut self.pods_by_job[j.idx()],
            Owner::DaemonSet(d) => &mut self.pods_by_ds[d.idx()],
            Owner::StatefulSet(s) => &mut self.pods_by_sts[s.idx()],
        }
    }
    /// (kind, namespace, name) of any object, for outputs and messages.
    pub fn describe(&self, o: ObjRef) -> (&'static str, &str, &str) {
        match o {
            ObjRef::Pod(p) => ("Pod", &self.pods[p.idx()].namespace, &self.pods[p.idx()].name),
            ObjRef::Node(n) => ("Node", "", &self.nodes[n.idx()].name),
            ObjRef::ReplicaSet(r) => {
                ("ReplicaSet", &self.replicasets[r.idx()].namespace, &self.replicasets[r.idx()].name)
            }
            ObjRef::Deployment(d) => {
                ("Deployment", &self.deployments[d.idx()].namespace, &self.deployments[d.idx()].name)
            }
            ObjRef::Job(j) => ("Job", &self.jobs[j.idx()].namespace, &self.jobs[j.idx()].name),
            ObjRef::DaemonSet(d) => ("DaemonSet", &self.daemonsets[d.idx()].namespace, &self.daemonsets[d.idx()].name),
            ObjRef::StatefulSet(x) => {
                ("StatefulSet", &self.statefulsets[x.idx()].namespace, &self.statefulsets[x.idx()].name)
            }
            ObjRef::PodDisruptionBudget(x) => {
                ("PodDisruptionBudget", &self.pdbs[x.idx()].namespace, &self.pdbs[x.idx()].name)
            }
            ObjRef::CronJob(x) => ("CronJob", &self.cronjobs[x.idx()].namespace, &self.cronjobs[x.idx()].name),
            ObjRef::ControlPlane => ("ControlPlane", "", "kube-apiserver"),
        }
    }
    /// A tracked workload: (`kind/name` as expectations write it, namespace, desired, status).
    pub fn workload(&self, w: crate::api::WorkloadRef) -> (String, &str, u32, WorkloadStatus) {
        use crate::api::WorkloadRef as W;
        match w {
            W::Deployment(d) => {
                let x = &self.deployments[d.idx()];
                (format!("deployment/{}", x.name), &x.namespace, x.replicas, x.status)
            }
            W::ReplicaSet(r) => {
                let x = &self.replicasets[r.idx()];
                (format!("replicaset/{}", x.name), &x.namespace, x.replicas, x.status)
            }
            W::StatefulSet(s) => {
                let x = &self.statefulsets[s.idx()];
                (format!("statefulset/{}", x.name), &x.namespace, x.replicas, x.status)
            }
            W::DaemonSet(d) => {
                let x = &self.daemonsets[d.idx()];
                (format!("daemonset/{}", x.name), &x.namespace, x.desired, x.status)
            }
        }
    }

    /// Whether `o` names an object of the store (a deleted pod's slot included).
    pub fn exists(&self, o: ObjRef) -> bool {
        match o {
            ObjRef::Pod(p) => p.idx() < self.pods.len(),
            ObjRef::Node(n) => n.idx() < self.nodes.len(),
            ObjRef::ReplicaSet(r) => r.idx() < self.replicasets.len(),
            ObjRef::Deployment(d) => d.idx() < self.deployments.len(),
            ObjRef::Job(j) => j.idx() < self.jobs.len(),
            ObjRef::DaemonSet(d) => d.idx() < self.daemonsets.len(),
            ObjRef::StatefulSet(x) => x.idx() < self.statefulsets.len(),
            ObjRef::PodDisruptionBudget(x) => x.idx() < self.pdbs.len(),
            ObjRef::CronJob(x) => x.idx() < self.cronjobs.len(),
            ObjRef::ControlPlane => true,
        }
    }
    /// The owner's object, as events name it.
    pub fn owner_ref(o: Owner) -> ObjRef {
        match o {
            Owner::ReplicaSet(r) => ObjRef::ReplicaSet(r),
            Owner::Job(j) => ObjRef::Job(j),
            Owner::DaemonSet(d) => ObjRef::DaemonSet(d),
            Owner::StatefulSet(s) => ObjRef::StatefulSet(s),
        }
    }
    pub fn replicasets_of(&self, d: DeployId) -> &[RsId] {
        &self.rs_by_deployment[d.idx()]
    }
    /// The namespace's name shared with the pods already in it (one copy per namespace).
    pub fn namespace(&self, namespace: &str) -> Arc<str> {
        self.pod_names.get_key_value(namespace).map_or_else(|| Arc::from(namespace), |(k, _)| k.clone())
    }

    pub fn pod_name_taken(&self, namespace: &str, name: &str) -> bool {
        self.pod_names.get(namespace).is_some_and(|names| names.contains(name))
    }
    pub fn node_by_name(&self, name: &str) -> Option<NodeId> {
        self.nodes.iter().position(|n| n.name == name).map(|i| NodeId(i as u32))
    }

    // ---- pods ----

    fn bucket(p: &Pod) -> Bucket {
        if p.removed.is_some() {
            Bucket::Gone
        } else if p.deletion.is_some() {
            Bucket::Terminating
        } else {
            Bucket::Phase(p.status.phase)
        }
    }

    /// (active, active and ready): what a ReplicaSet counts.
    fn liveness(p: &Pod) -> (bool, bool) {
        let a = p.is_active();
        (a, a && p.status.ready)
    }

    /// A ReplicaSet's active pods and how many of them are ready, kept as pods change.
    pub fn rs_counts(&self, rs: RsId) -> (u32, u32) {
        self.rs_live[rs.idx()]
    }

    /// Succeeded or Failed, not being deleted and still in the store.
    fn is_terminated(b: Bucket) -> bool {
        matches!(b, Bucket::Phase(PodPhase::Succeeded | PodPhase::Failed))
    }

    fn holds_resources(p: &Pod) -> bool {
        p.node.is_some() && p.removed.is_none() && !p.status.phase.is_terminal()
    }

    fn count(&mut self, b: Bucket, delta: i32) {
        let c = &mut self.counters;
        let slot = match b {
            Bucket::Gone => return,
            Bucket::Terminating => &mut c.terminating,
            Bucket::Phase(PodPhase::Pending) => &mut c.pending,
            Bucket::Phase(PodPhase::Running) => &mut c.running,
            Bucket::Phase(PodPhase::Succeeded) => &mut c.succeeded,
            Bucket::Phase(PodPhase::Failed) => &mut c.failed,
            Bucket::Phase(PodPhase::Unknown) => &mut c.unknown,
        };
        *slot = slot.wrapping_add_signed(delta);
    }

    /// Apply `f` to a pod, keeping counters, indices and notifications right.
    /// Room for `pods` more pods and `jobs` more Jobs (a trace's size is known up front).
    pub fn reserve(&mut self, pods: usize, jobs: usize) {
        self.pods.reserve(pods);
        self.unsettled.reserve(pods);
        self.jobs.reserve(jobs);
    }

    fn is_unsettled(p: &Pod) -> bool {
        p.node.is_none() && p.deletion.is_none() && p.removed.is_none()
    }

    fn mutate_pod(&mut self, id: PodId, writer: Option<Watcher>, f: impl FnOnce(&mut Pod)) {
        let p = &self.pods[id.idx()];
        let (b0, held0, node0) = (Self::bucket(p), Self::holds_resources(p), p.node);
        let live0 = Self::liveness(p);
        let req = p.requests;
        let conds0 = p.status.conditions;
        f(&mut self.pods[id.idx()]);
        self.touch(Some(id), None);
        self.log_conditions(id, &conds0, conditions::Writer::of(writer));
        let rv = self.next_rv();
        let p = &mut self.pods[id.idx()];
        p.resource_version = rv;
        self.unsettled[id.idx()] = Self::is_unsettled(p);
        let (b1, held1, node1) = (Self::bucket(p), Self::holds_resources(p), p.node);
        let bound_now = node0.is_none() && node1.is_some();
        let removed = p.removed.is_some();
        let owner = p.owner;
        let live1 = Self::liveness(p);
        if live0 != live1
            && let Some(Owner::ReplicaSet(rs)) = owner
        {
            let c = &mut self.rs_live[rs.idx()];
            c.0 = c.0 + live1.0 as u32 - live0.0 as u32;
            c.1 = c.1 + live1.1 as u32 - live0.1 as u32;
        }
        if b0 != b1 {
            self.count(b0, -1);
            self.count(b1, 1);
            let (t0, t1) = (Self::is_terminated(b0), Self::is_terminated(b1));
            if t0 != t1 {
                let key = terminated_key(&self.pods[id.idx()], id);
                if t1 {
                    self.terminated.insert(key);
                } else {
                    self.terminated.remove(&key);
                }
            }
        }
        if held0 && !held1 {
            self.counters.requested.sub(req);
        } else if !held0 && held1 {
            self.counters.requested.add(req);
        }
        if node0.is_none()
            && let Some(n) = node1
        {
            self.pods_by_node[n.idx()].push(id);
        }
        if removed {
            if let Some(n) = node1 {
                self.pods_by_node[n.idx()].retain(|&x| x != id);
            }
            if let Some(o) = owner {
                self.pods_of_mut(o).retain(|&x| x != id);
            }
        }
        self.route_pod(id, writer, (held0 && !held1) || bound_now);
    }

    fn route_pod(&mut self, id: PodId, writer: Option<Watcher>, sched_interest: bool) {
        let p = &self.pods[id.idx()];
        let obj = ObjRef::Pod(id);
        let send = |outbox: &mut Vec<Notification>, to: Watcher| {
            if Some(to) != writer {
                outbox.push(Notification { to, obj });
            }
        };
        if p.node.is_none() || sched_interest {
            send(&mut self.outbox, Watcher::Scheduler);
        }
        if let Some(n) = p.node {
            send(&mut self.outbox, Watcher::Kubelet(n));
        }
        match p.owner {
            Some(Owner::ReplicaSet(rs)) => {
                send(&mut self.outbox, Watcher::ReplicaSetController);
                // The Deployment controller's pod handler cares about deletions only (Recreate
                // waits for every old pod to be gone), and a deleted pod that finalizers hold
                // once it has finished (it no longer runs).
                let held_done = !p.finalizers.is_empty() && p.deletion.is_some() && p.status.phase.is_terminal();
                if (p.removed.is_some() || held_done) && self.replicasets[rs.idx()].owner.is_some() {
                    send(&mut self.outbox, Watcher::DeploymentController);
                }
            }
            Some(Owner::Job(_)) => send(&mut self.outbox, Watcher::JobController),
            Some(Owner::DaemonSet(_)) => send(&mut self.outbox, Watcher::DaemonSetController),
            Some(Owner::StatefulSet(_)) => send(&mut self.outbox, Watcher::StatefulSetController),
            None => {}
        }
        if !self.pdbs.is_empty() {
            send(&mut self.outbox, Watcher::DisruptionController);
        }
    }

    /// POST a pod. The caller has made the name unique.
    pub fn create_pod(&mut self, mut pod: Pod) -> PodId {
        let id = PodId(self.pods.len() as u32);
        pod.resource_version = self.next_rv();
        self.pod_names.entry(pod.namespace.clone()).or_default().insert(pod.name.clone());
        if let Some(o) = pod.owner {
            self.pods_of_mut(o).push(id);
        }
        if let Some(n) = pod.node {
            self.pods_by_node[n.idx()].push(id);
        }
        if let Some(Owner::ReplicaSet(rs)) = pod.owner {
            let (a, r) = Self::liveness(&pod);
            self.rs_live[rs.idx()].0 += a as u32;
            self.rs_live[rs.idx()].1 += r as u32;
        }
        let b = Self::bucket(&pod);
        if Self::is_terminated(b) {
            self.terminated.insert(terminated_key(&pod, id));
        }
        let pod_bound = pod.node.is_some();
        if Self::holds_resources(&pod) {
            self.counters.requested.add(pod.requests);
        }
        self.unsettled.push(Self::is_unsettled(&pod));
        self.pods.push(pod);
        self.touch(Some(id), None);
        self.count(b, 1);
        self.route_pod(id, None, pod_bound);
        self.tell_taint_eviction(id);
        id
    }

    /// The `pods/binding` subresource: set `spec.nodeName` (PodScheduled=True).
    pub fn bind_pod(&mut self, id: PodId, node: NodeId, now: SimTime, writer: Option<Watcher>) {
        self.mutate_pod(id, writer, |p| {
            p.node = Some(node);
            p.scheduled_at = Some(now);
            let c = &mut p.status.conditions;
            c.set(crate::api::conditions::CondType::PodScheduled, true, Default::default(), 0, now);
        });
        self.tell_taint_eviction(id);
    }

    /// The taint eviction controller's pod handler: a pod bound to (or gone from) a node with
    /// NoExecute taints (its other updates change neither its node nor its tolerations).
    fn tell_taint_eviction(&mut self, id: PodId) {
        let Some(n) = self.pods[id.idx()].node else { return };
        if self.nodes[n.idx()].taints.iter().any(|t| t.effect == TaintEffect::NoExecute) {
            self.outbox.push(Notification { to: Watcher::NodeLifecycleController, obj: ObjRef::Pod(id) });
        }
    }

    /// A status write (kubelet's status manager).
    ///
    /// From a disconnected kubelet the write never arrives: what the API shows (phase,
    /// readiness, the lifecycle times) stays as it was and nobody is told. The container
    /// statuses are kept as the kubelet's own record, which it sends in full when it is back.
    pub fn update_pod_status(&mut self, id: PodId, writer: Watcher, f: impl FnOnce(&mut Pod)) {
        if let Watcher::Kubelet(n) = writer
            && self.is_disconnected(n)
        {
            let p = &mut self.pods[id.idx()];
            let keep = (p.status.phase, p.status.ready, p.started_at, p.ready_at, p.finished_at);
            f(p);
            if p.status.phase.is_terminal() && !keep.0.is_terminal() {
                self.deferred_terminal.insert(id, (n, p.status.phase, p.finished_at));
            }
            (p.status.phase, p.status.ready, p.started_at, p.ready_at, p.finished_at) = keep;
            self.touch(Some(id), None);
            return;
        }
        if let Watcher::Kubelet(_) = writer {
            // The status manager sends the conditions generated from the status it writes.
            let now = self.now;
            self.mutate_pod(id, Some(writer), |p| {
                f(p);
                crate::api::conditions::generate_kubelet(p, now);
            });
            return;
        }
        self.mutate_pod(id, Some(writer), f);
    }

    /// Give a pod an address without a status write (unit tests of what reads addresses; the
    /// kubelet writes it with the sandbox's status).
    #[cfg(test)]
    pub fn set_pod_ip(&mut self, id: PodId, ip: u32) {
        self.pods[id.idx()].status.pod_ip = Some(ip);
    }

    /// The node's kubelet loses (or regains) its connection to the API server.
    pub fn disconnect(&mut self, n: NodeId, now: SimTime, why: EventId) {
        if self.disconnected[n.idx()] == 0 {
            let kept = self.lease_renewed(n, now);
            self.leases[n.idx()].frozen = kept;
            self.leases[n.idx()].why = why;
        }
        self.disconnected[n.idx()] += 1;
        self.suspects.insert(n);
    }

    /// One reason for the disconnection is over; true when the kubelet is connected again.
    /// Its deferred final deletes go through then.
    pub fn reconnect(&mut self, n: NodeId, now: SimTime) -> bool {
        let d = &mut self.disconnected[n.idx()];
        *d = d.saturating_sub(1);
        if *d > 0 {
            return false;
        }
        // Renewals arrive again from the next one on.
        self.leases[n.idx()].back_at = now.plus(1);
        let mine: Vec<PodId> = self.deferred_removals.iter().filter(|(node, _)| *node == n).map(|&(_, p)| p).collect();
        self.deferred_removals.retain(|(node, _)| *node != n);
        for p in mine {
            self.remove_pod(p, now, Some(Watcher::Kubelet(n)));
        }
        let owed: Vec<(PodId, PodPhase, Option<SimTime>)> =
            (self.deferred_terminal.iter()).filter(|(_, v)| v.0 == n).map(|(&p, v)| (p, v.1, v.2)).collect();
        self.deferred_terminal.retain(|_, v| v.0 != n);
        for (p, phase, finished) in owed {
            if self.pods[p.idx()].removed.is_none() && !self.pods[p.idx()].status.phase.is_terminal() {
                self.mutate_pod(p, Some(Watcher::Kubelet(n)), |x| {
                    (x.status.phase, x.status.ready, x.finished_at) = (phase, false, finished);
                    crate::api::conditions::generate_kubelet(x, now);
                });
            }
        }
        true
    }

    /// The node lost power: what its kubelet had not sent is gone.
    pub fn forget_unsent(&mut self, n: NodeId) {
        self.deferred_terminal.retain(|_, v| v.0 != n);
    }

    pub fn is_disconnected(&self, n: NodeId) -> bool {
        self.disconnected.get(n.idx()).is_some_and(|&d| d > 0)
    }

    // ---- nodes ----

    pub fn create_node(&mut self, mut node: Node) -> NodeId {
        let id = NodeId(self.nodes.len() as u32);
        for i in &node.images {
            self.count_image(*i, 1);
        }
        self.leases.push(Lease::default());
        node.resource_version = self.next_rv();
        self.nodes.push(node);
        self.pods_by_node.push(Vec::new());
        self.disconnected.push(0);
        self.route_node(id);
        self.touch(None, Some(id));
        id
    }

    /// Update a node object (spec or status); the scheduler hears about it.
    pub fn update_node(&mut self, id: NodeId, f: impl FnOnce(&mut Node)) {
        f(&mut self.nodes[id.idx()]);
        self.nodes[id.idx()].resource_version = self.next_rv();
        self.route_node(id);
        self.touch(None, Some(id));
    }

    /// Note a written pod or node for the history (when it is kept).
    fn touch(&mut self, pod: Option<PodId>, node: Option<NodeId>) {
        if let Some((pods, nodes)) = &mut self.touched {
            pods.extend(pod);
            nodes.extend(node);
        }
    }

    /// DELETE a Node object (`kubectl delete node`): it leaves the store (its slot stays as a
    /// tombstone); its pods stay until the pod garbage collector removes them.
    pub fn delete_node(&mut self, id: NodeId, now: SimTime) {
        for i in std::mem::take(&mut self.nodes[id.idx()].images) {
            self.count_image(i, -1);
        }
        self.update_node(id, |n| n.deleted = Some(now));
        self.deleted_nodes.push(id);
    }

    fn count_image(&mut self, i: ImageId, d: i32) {
        if self.image_nodes.len() <= i.idx() {
            self.image_nodes.resize(i.idx() + 1, 0);
        }
        self.image_nodes[i.idx()] = self.image_nodes[i.idx()].saturating_add_signed(d);
    }

    /// The kubelet reports an image it now has in `status.images` (a status write the
    /// scheduler reads when it scores, without a watch event of its own).
    pub fn node_image_added(&mut self, id: NodeId, image: ImageId) {
        let n = &mut self.nodes[id.idx()];
        if n.deleted.is_some() {
            return;
        }
        if let Err(at) = n.images.binary_search(&image) {
            n.images.insert(at, image);
            self.count_image(image, 1);
        }
    }

    /// The kubelet's image garbage collector removed the image from the node's disk.
    pub fn node_image_removed(&mut self, id: NodeId, image: ImageId) {
        let n = &mut self.nodes[id.idx()];
        if let Ok(at) = n.images.binary_search(&image) {
            n.images.remove(at);
            self.count_image(image, -1);
        }
    }

    /// How many (live) nodes report the image: `ImageStateSummary.NumNodes`.
    pub fn image_num_nodes(&self, image: ImageId) -> u32 {
        self.image_nodes.get(image.idx()).copied().unwrap_or(0)
    }

    fn route_node(&mut self, id: NodeId) {
        self.node_epoch += 1;
        let obj = ObjRef::Node(id);
        self.outbox.push(Notification { to: Watcher::Scheduler, obj });
        if !self.daemonsets.is_empty() {
            self.outbox.push(Notification { to: Watcher::DaemonSetController, obj });
        }
    }

    // ---- workloads ----

    pub fn create_replicaset(&mut self, mut rs: ReplicaSet) -> RsId {
        let id = RsId(self.replicasets.len() as u32);
        rs.resource_version = self.next_rv();
        if let Some(d) = rs.owner {
            self.rs_by_deployment[d.idx()].push(id);
        }
        self.replicasets.push(rs);
        self.pods_by_rs.push(Vec::new());
        self.rs_live.push((0, 0));
        self.route_rs(id, None);
        id
    }

    fn route_rs(&mut self, id: RsId, writer: Option<Watcher>) {
        let obj = ObjRef::ReplicaSet(id);
        if writer != Some(Watcher::ReplicaSetController) {
            self.outbox.push(Notification { to: Watcher::ReplicaSetController, obj });
        }
        if self.replicasets[id.idx()].owner.is_some() && writer != Some(Watcher::DeploymentController) {
            self.outbox.push(Notification { to: Watcher::DeploymentController, obj });
        }
    }

    /// DELETE a ReplicaSet (the Deployment controller's revision history clean-up, only of
    /// ReplicaSets without pods): it leaves its Deployment's list; the slot stays.
    pub fn delete_replicaset(&mut self, id: RsId, now: SimTime) {
        self.replicasets[id.idx()].deleted = Some(now);
        self.replicasets[id.idx()].resource_version = self.next_rv();
        if let Some(d) = self.replicasets[id.idx()].owner {
            self.rs_by_deployment[d.idx()].retain(|&r| r != id);
        }
        self.route_rs(id, Some(Watcher::DeploymentController));
    }

    pub fn update_replicaset(&mut self, id: RsId, writer: Watcher, f: impl FnOnce(&mut ReplicaSet)) {
        f(&mut self.replicasets[id.idx()]);
        self.replicasets[id.idx()].resource_version = self.next_rv();
        self.route_rs(id, Some(writer));
    }

    pub fn create_deployment(&mut self, mut d: Deployment) -> DeployId {
        let id = DeployId(self.deployments.len() as u32);
        d.resource_version = self.next_rv();
        self.deployments.push(d);
        self.rs_by_deployment.push(Vec::new());
        self.outbox.push(Notification { to: Watcher::DeploymentController, obj: ObjRef::Deployment(id) });
        id
    }

    // ---- the other workload kinds: created at time 0 (or at a trace's arrival time) ----

    pub fn create_job(&mut self, mut j: Job) -> JobId {
        let id = JobId(self.jobs.len() as u32);
        j.resource_version = self.next_rv();
        self.jobs.push(j);
        self.pods_by_job.push(Vec::new());
        self.outbox.push(Notification { to: Watcher::JobController, obj: ObjRef::Job(id) });
        id
    }

    pub fn update_job(&mut self, id: JobId, writer: Watcher, f: impl FnOnce(&mut Job)) {
        f(&mut self.jobs[id.idx()]);
        self.jobs[id.idx()].resource_version = self.next_rv();
        if writer != Watcher::JobController {
            self.outbox.push(Notification { to: Watcher::JobController, obj: ObjRef::Job(id) });
        }
        if self.jobs[id.idx()].owner.is_some() && writer != Watcher::CronJobController {
            self.outbox.push(Notification { to: Watcher::CronJobController, obj: ObjRef::Job(id) });
        }
    }

    pub fn create_daemonset(&mut self, mut d: DaemonSet) -> DsId {
        let id = DsId(self.daemonsets.len() as u32);
        d.resource_version = self.next_rv();
        self.daemonsets.push(d);
        self.pods_by_ds.push(Vec::new());
        self.outbox.push(Notification { to: Watcher::DaemonSetController, obj: ObjRef::DaemonSet(id) });
        id
    }

    pub fn update_daemonset(&mut self, id: DsId, writer: Watcher, f: impl FnOnce(&mut DaemonSet)) {
        f(&mut self.daemonsets[id.idx()]);
        self.daemonsets[id.idx()].resource_version = self.next_rv();
        if writer != Watcher::DaemonSetController {
            self.outbox.push(Notification { to: Watcher::DaemonSetController, obj: ObjRef::DaemonSet(id) });
        }
    }

    pub fn create_statefulset(&mut self, mut s: StatefulSet) -> StsId {
        let id = StsId(self.statefulsets.len() as u32);
        s.resource_version = self.next_rv();
        self.statefulsets.push(s);
        self.pods_by_sts.push(Vec::new());
        self.outbox.push(Notification { to: Watcher::StatefulSetController, obj: ObjRef::StatefulSet(id) });
        id
    }

    pub fn update_statefulset(&mut self, id: StsId, writer: Watcher, f: impl FnOnce(&mut StatefulSet)) {
        f(&mut self.statefulsets[id.idx()]);
        self.statefulsets[id.idx()].resource_version = self.next_rv();
        if writer != Watcher::StatefulSetController {
            self.outbox.push(Notification { to: Watcher::StatefulSetController, obj: ObjRef::StatefulSet(id) });
        }
    }

    pub fn create_pdb(&mut self, mut p: PodDisruptionBudget) -> PdbId {
        let id = PdbId(self.pdbs.len() as u32);
        p.resource_version = self.next_rv();
        self.pdbs.push(p);
        self.outbox.push(Notification { to: Watcher::DisruptionController, obj: ObjRef::PodDisruptionBudget(id) });
        id
    }

    /// A PDB status write (the disruption controller, or the eviction subresource).
    pub fn update_pdb(&mut self, id: PdbId, f: impl FnOnce(&mut PodDisruptionBudget)) {
        f(&mut self.pdbs[id.idx()]);
        self.pdbs[id.idx()].resource_version = self.next_rv();
    }

    pub fn update_deployment(&mut self, id: DeployId, writer: Watcher, f: impl FnOnce(&mut Deployment)) {
        f(&mut self.deployments[id.idx()]);
        self.deployments[id.idx()].resource_version = self.next_rv();
        if writer != Watcher::DeploymentController {
            self.outbox.push(Notification { to: Watcher::DeploymentController, obj: ObjRef::Deployment(id) });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_node() -> ApiServer {
        let mut a = ApiServer::new();
        a.configure_leases(10_000, 400, 42);
        let mut n = crate::api::node::test_node("n", &[]);
        n.allocatable = Resources::default();
        a.create_node(n);
        a
    }

    #[test]
    fn the_lease_grid_renews_every_interval_plus_jitter_and_stops_with_its_kubelet() {
        let mut a = one_node();
        let n = NodeId(0);
        a.lease_start(n, SimTime(3_000));
        // Walk the grid one millisecond at a time: renewals come 10.0 to 10.4 s apart.
        let mut last = a.lease_renewed(n, SimTime(3_000));
        assert_eq!(last, SimTime(3_000));
        let mut gaps = Vec::new();
        for t in 3_000..200_000 {
            let r = a.lease_renewed(n, SimTime(t));
            assert!(r <= SimTime(t));
            if r != last {
                gaps.push(r.0 - last.0);
                last = r;
            }
        }
        assert!(gaps.len() >= 18 && gaps.iter().all(|&g| (10_000..=10_400).contains(&g)), "{gaps:?}");
        // Asking again for an earlier time (a fresh cursor) gives the same grid.
        let mut b = one_node();
        b.lease_start(n, SimTime(3_000));
        assert_eq!(b.lease_renewed(n, SimTime(199_999)), last);
        // Cut off at 250 s: the API keeps the last renewal before; renewals count again after.
        a.disconnect(n, SimTime(250_000), 0);
        let kept = a.lease_renewed(n, SimTime(250_000));
        assert!(kept <= SimTime(250_000) && kept.0 > 239_000);
        assert_eq!(a.lease_renewed(n, SimTime(400_000)), kept);
        a.reconnect(n, SimTime(400_000));
        assert_eq!(a.lease_renewed(n, SimTime(400_000)), kept, "no renewal has arrived yet");
        assert!(a.lease_renewed(n, SimTime(411_000)) > SimTime(400_000));
        // Power off at 500 s: the grid ends there.
        a.lease_stop(n, SimTime(500_000), 0);
        let stopped = a.lease_renewed(n, SimTime(900_000));
        assert!(stopped <= SimTime(500_000) && stopped.0 > 489_000);
        // Boot at 1000 s: a renewal at once, then the grid again.
        a.lease_start(n, SimTime(1_000_000));
        assert_eq!(a.lease_renewed(n, SimTime(1_000_000)), SimTime(1_000_000));
    }
}
