//! The DaemonSet controller (`pkg/controller/daemon`): one pod on every node that should run
//! it (nodeSelector matched, NoSchedule/NoExecute taints tolerated), pinned there with required
//! node affinity and bound by the scheduler; failed daemon pods replaced; nodes that join get
//! theirs; a template change rolls out node by node within maxUnavailable.

use super::{WorkQueue, create_owned_pod, delete_owned_pod};
use crate::api::WorkloadRef;
use crate::api::events::{ObjRef, Source};
use crate::api::*;
use crate::apiserver::Watcher;
use crate::runtime::{Ctx, Event};
use crate::sim::SimTime;
use std::sync::Arc;

const NO_NODE: u32 = u32::MAX;
/// `failedPodsBackoff` (`startDaemonSetController`: `flowcontrol.NewBackOff(1s, 15m)`): per
/// DaemonSet and node, deleting a failed daemon pod waits out a back-off of 1 s doubling to
/// 15 minutes since the last such delete, so the controller does not hot-loop against a
/// kubelet that rejects its pods (forgotten after twice the maximum without one).
pub const FAILED_PODS_BACKOFF_INITIAL_MS: u64 = 1_000;
pub const FAILED_PODS_BACKOFF_MAX_MS: u64 = 15 * 60 * 1000;

#[derive(Default)]
pub struct DaemonSetController {
    queue: WorkQueue,
    /// Per DaemonSet: the template it last saw (by identity, and its restartedAt) and its
    /// generation.
    templates: Vec<((usize, Option<SimTime>), u32)>,
    /// Per pod: the node it is pinned to and the template generation it was made from.
    pods: Vec<(u32, u32)>,
    /// Syncs that failed (a create refused), per DaemonSet: the work queue's rate limiter.
    backoff: super::Backoff,
    /// A create was refused in the current sync: no more are tried until the retry.
    refused: bool,
    /// `failedPodsBackoff` per (DaemonSet, node): the current delay and its last update.
    failed_backoff: std::collections::BTreeMap<(u32, u32), (u64, SimTime)>,
}

/// `NodeShouldRunDaemonPod`: (should run, should continue running). A daemon pod should run
/// where the node matches the nodeSelector and every NoSchedule and NoExecute taint is
/// tolerated; one already there keeps running while its NoExecute taints are tolerated (an
/// unreachable node's NoSchedule taint does not remove it).
pub fn should_run(spec: &PodSpec, node: &Node) -> (bool, bool) {
    if node.deleted.is_some() || !spec.node_selector.0.iter().all(|(k, v)| node.labels.get(k) == Some(v.as_str())) {
        return (false, false);
    }
    let tolerated = |t: &Taint| spec.tolerations.iter().any(|x| x.tolerates(t));
    let fits = node.taints.iter().all(|t| t.effect == TaintEffect::PreferNoSchedule || tolerated(t));
    let stays = node.taints.iter().all(|t| t.effect != TaintEffect::NoExecute || tolerated(t));
    (fits, fits || stays)
}

impl DaemonSetController {
    pub fn on_watch(&mut self, obj: ObjRef, ctx: &mut Ctx) {
        match obj {
            ObjRef::DaemonSet(d) => self.queue.add(d.0, ctx, Event::DaemonSetWork),
            ObjRef::Pod(p) => {
                if let Some(Owner::DaemonSet(d)) = ctx.api.pod(p).owner {
                    self.queue.add(d.0, ctx, Event::DaemonSetWork);
                }
            }
            ObjRef::Node(_) => {
                for d in 0..ctx.api.daemonsets.len() as u32 {
                    self.queue.add(d, ctx, Event::DaemonSetWork);
                }
            }
            _ => {}
        }
    }

    pub fn work(&mut self, ctx: &mut Ctx) {
        if let Some(k) = self.queue.pop() {
            self.sync(DsId(k), ctx);
        }
        self.queue.done(ctx, Event::DaemonSetWork);
    }

    fn generation(&mut self, id: DsId, ctx: &Ctx) -> u32 {
        if self.templates.len() <= id.idx() {
            self.templates.resize(id.idx() + 1, ((0, None), 0));
        }
        let t = &ctx.api.daemonsets[id.idx()].template;
        let key = (Arc::as_ptr(&t.spec) as usize, t.restarted_at);
        let t = &mut self.templates[id.idx()];
        if t.0 != key {
            *t = (key, t.1 + 1);
        }
        t.1
    }

    fn sync(&mut self, id: DsId, ctx: &mut Ctx) {
        let generation = self.generation(id, ctx);
        let n_nodes = ctx.api.nodes.len();
        // This DaemonSet's live pods, by the node each is pinned to.
        let mut by_node: Vec<Vec<PodId>> = vec![Vec::new(); n_nodes];
        for &p in ctx.api.pods_of(Owner::DaemonSet(id)) {
            let pod = ctx.api.pod(p);
            let node = self.pods.get(p.idx()).map_or(NO_NODE, |x| x.0);
            if pod.removed.is_none() && node != NO_NODE {
                by_node[node as usize].push(p);
            }
        }
        let spec = ctx.api.daemonsets[id.idx()].template.spec.clone();
        let root = ctx.cause;
        self.refused = false;
        let mut st = WorkloadStatus::default();
        let mut desired = 0u32;
        // Old-template pods that could be replaced, and how many nodes lack an available pod.
        let mut old_ready: Vec<PodId> = Vec::new();
        let mut unavailable = 0u32;
        for (n, pods) in by_node.iter().enumerate() {
            let nid = NodeId(n as u32);
            let (should, stays) = should_run(&spec, ctx.api.node(nid));
            desired += u32::from(should);
            let mut running: Vec<PodId> = Vec::new();
            // A failed pod on the node, held for the back-off or deleted now: the replacement
            // waits for a sync that finds no pod there (`len(daemonPods) == 0` upstream).
            let mut held = false;
            for &p in pods {
                let pod = ctx.api.pod(p);
                if pod.deletion.is_some() {
                    continue;
                }
                if pod.status.phase == PodPhase::Failed && should {
                    ctx.cause = root;
                    self.failed_pod(id, nid, p, ctx);
                    held = true;
                    continue;
                }
                running.push(p);
            }
            if !stays {
                for &p in &running {
                    ctx.cause = root;
                    self.delete(id, p, ctx);
                }
                continue;
            }
            match running.len() {
                0 if !should => {}
                // The failed pod leaves the node without an available daemon pod.
                0 if held => unavailable += 1,
                0 => {
                    ctx.cause = root;
                    if !self.refused && self.create(id, nid, generation, ctx) {
                        st.replicas += 1;
                    }
                    unavailable += 1;
                }
                _ => {
                    // Keep the oldest; extra pods go.
                    for &p in &running[1..] {
                        ctx.cause = root;
                        self.delete(id, p, ctx);
                    }
                    let p = running[0];
                    if !should {
                        continue; // kept, but not counted (`desiredNumberScheduled` leaves it out)
                    }
                    st.replicas += 1;
                    let ready = ctx.api.pod(p).status.ready;
                    st.ready += u32::from(ready);
                    let current = self.pods[p.idx()].1 == generation;
                    st.updated += u32::from(current);
                    if !ready {
                        unavailable += 1;
                    }
                    if !current {
                        if ready {
                            old_ready.push(p);
                        } else {
                            // An old pod that is not available anyway goes at once.
                            ctx.cause = root;
                            self.delete(id, p, ctx);
                        }
                    }
                }
            }
        }
        // RollingUpdate: replace available old pods while fewer than maxUnavailable nodes lack one.
        let max_unavailable = ctx.api.daemonsets[id.idx()].max_unavailable.scaled(desired, true).max(1);
        for &p in &old_ready {
            if unavailable >= max_unavailable {
                break;
            }
            ctx.cause = root;
            self.delete(id, p, ctx);
            unavailable += 1;
        }
        ctx.cause = root;
        st.available = st.ready;
        let ds = &ctx.api.daemonsets[id.idx()];
        if ds.status != st || ds.desired != desired {
            ctx.api.update_daemonset(id, Watcher::DaemonSetController, |d| {
                d.status = st;
                d.desired = desired;
            });
        }
        ctx.rec.workload_status(WorkloadRef::DaemonSet(id), ctx.now, desired, st.ready);
    }

    /// False: the API server refused the pod.
    fn create(&mut self, id: DsId, node: NodeId, generation: u32, ctx: &mut Ctx) -> bool {
        let ds = &ctx.api.daemonsets[id.idx()];
        let (ns, template, base) = (ds.namespace.clone(), ds.template.clone(), ds.name.clone());
        let mut spec = (*template.spec).clone();
        spec.affinity_node = Some(ctx.api.node(node).name.clone());
        let owner = Owner::DaemonSet(id);
        let src = Source::DaemonSetController;
        let Some(pid) = create_owned_pod(owner, &ns, &base, template.labels, Arc::new(spec), src, ctx) else {
            // Refused: the sync ends in an error and the key is retried after the back-off.
            self.refused = true;
            let delay = self.backoff.next(id.0, super::CONTROLLER_RETRY_BASE_MS, super::CONTROLLER_RETRY_MAX_MS);
            ctx.after(delay, Event::Requeue(crate::runtime::Requeue::DaemonSet(id)));
            return false;
        };
        self.backoff.forget(id.0);
        if self.pods.len() <= pid.idx() {
            self.pods.resize(pid.idx() + 1, (NO_NODE, 0));
        }
        self.pods[pid.idx()] = (node.0, generation);
        true
    }

    /// A failed daemon pod on a node where one should run: held while the node's failed-pod
    /// back-off lasts (the sync requeued after it), else `FailedDaemonPod` and deleted.
    fn failed_pod(&mut self, id: DsId, nid: NodeId, p: PodId, ctx: &mut Ctx) {
        if let Some(delay) = self.failed_pod_backoff(id, nid, ctx.now) {
            ctx.after(delay, Event::Requeue(crate::runtime::Requeue::DaemonSet(id)));
            return;
        }
        let pod = ctx.api.pod(p);
        let msg = format!(
            "Found failed daemon pod {}/{} on node {}, will try to kill it",
            pod.namespace,
            pod.name,
            ctx.api.node(nid).name
        );
        ctx.cause = ctx.record(
            EventType::Warning,
            "FailedDaemonPod",
            ObjRef::DaemonSet(id),
            None,
            Source::DaemonSetController,
            Message::Text(msg.into()),
        );
        self.delete(id, p, ctx);
    }

    /// `IsInBackOffSinceUpdate` for a failed pod of `id` on `node`: Some(the delay to sync
    /// again after: the whole back-off, as `enqueueDaemonSetAfter` takes it) while inside it;
    /// else None, after `Next` (the delay doubled, or 1 s again once expired) at `now`.
    fn failed_pod_backoff(&mut self, id: DsId, node: NodeId, now: SimTime) -> Option<u64> {
        let e = self.failed_backoff.entry((id.0, node.0)).or_insert((0, now));
        let (delay, updated) = *e;
        let expired = now.since(updated) > 2 * FAILED_PODS_BACKOFF_MAX_MS;
        if delay > 0 && !expired && now.since(updated) < delay {
            return Some(delay);
        }
        let next = if delay == 0 || expired { FAILED_PODS_BACKOFF_INITIAL_MS } else { delay * 2 };
        *e = (next.min(FAILED_PODS_BACKOFF_MAX_MS), now);
        None
    }

    /// The rate limiter's back-off is over: sync the DaemonSet again.
    pub fn requeue(&mut self, id: DsId, ctx: &mut Ctx) {
        self.queue.add(id.0, ctx, Event::DaemonSetWork);
    }

    fn delete(&mut self, id: DsId, p: PodId, ctx: &mut Ctx) {
        delete_owned_pod(Owner::DaemonSet(id), p, Source::DaemonSetController, ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::test_pod_spec;
    use crate::runtime::testing::{Harness, selector, template};

    /// A DaemonSet `agent` of `spec` with the default maxUnavailable (1), created now.
    fn agent(h: &mut Harness, spec: PodSpec) -> DsId {
        h.handle(|ctx| {
            ctx.api.create_daemonset(DaemonSet {
                namespace: "kube-system".into(),
                name: "agent".into(),
                labels: Default::default(),
                selector: selector(&[("app", "agent")]),
                template: template(&[("app", "agent")], spec),
                max_unavailable: crate::api::workloads::DEFAULT_DAEMONSET_MAX_UNAVAILABLE,
                created: ctx.now,
                resource_version: 0,
                status: WorkloadStatus::default(),
                desired: 0,
            })
        })
    }

    /// Deliver the controller's watches and work items due up to `t` ms.
    fn run(h: &mut Harness, dsc: &mut DaemonSetController, t: u64) {
        h.run_until(SimTime(t), |ev, ctx| match ev {
            Event::DaemonSetWork => dsc.work(ctx),
            Event::Requeue(crate::runtime::Requeue::DaemonSet(d)) => dsc.requeue(d, ctx),
            Event::Watch(n) if n.to == Watcher::DaemonSetController => dsc.on_watch(n.obj, ctx),
            _ => {}
        });
    }

    /// The node each live pod of the DaemonSet is pinned to, sorted.
    fn pinned(h: &Harness, ds: DsId) -> Vec<String> {
        let mut v: Vec<String> = h
            .live_pods_of(Owner::DaemonSet(ds))
            .iter()
            .filter_map(|&p| h.api.pod(p).spec.affinity_node.clone())
            .collect();
        v.sort();
        v
    }

    /// The DaemonSet's live pod pinned to `node`, not being deleted.
    fn pod_on(h: &Harness, ds: DsId, node: &str) -> PodId {
        let on = |&&p: &&PodId| {
            let pod = h.api.pod(p);
            pod.deletion.is_none() && pod.spec.affinity_node.as_deref() == Some(node)
        };
        *h.live_pods_of(Owner::DaemonSet(ds)).iter().find(on).expect("a daemon pod on the node")
    }

    /// How many events with `reason` the DaemonSet has.
    fn count(h: &Harness, ds: DsId, reason: &str) -> usize {
        h.events_of(ObjRef::DaemonSet(ds)).iter().filter(|e| e.reason == reason).count()
    }

    #[test]
    fn a_daemonset_runs_one_pod_pinned_to_each_node_and_on_a_node_that_joins() {
        let mut h = Harness::new();
        for n in ["a", "b", "c"] {
            h.add_node(n, 4_000, 1 << 33);
        }
        let mut dsc = DaemonSetController::default();
        let ds = agent(&mut h, test_pod_spec());
        run(&mut h, &mut dsc, 1_000);
        assert_eq!(pinned(&h, ds), ["a", "b", "c"]);
        let creates: Vec<SimTime> = h.events_of(ObjRef::DaemonSet(ds)).iter().map(|e| e.time).collect();
        assert_eq!(creates, [SimTime(10); 3], "three SuccessfulCreate in the first sync, and nothing else");
        assert_eq!(count(&h, ds, "SuccessfulCreate"), 3);
        // The scheduler binds them: the controller only pins them with node affinity.
        assert!(h.live_pods_of(Owner::DaemonSet(ds)).iter().all(|&p| h.api.pod(p).node.is_none()));
        let d = &h.api.daemonsets[ds.idx()];
        assert_eq!((d.desired, d.status.replicas, d.status.ready), (3, 3, 0));
        // A node joins: the Node's watch brings its daemon pod.
        h.add_node("d", 4_000, 1 << 33);
        h.flush();
        run(&mut h, &mut dsc, 2_000);
        assert_eq!(pinned(&h, ds), ["a", "b", "c", "d"]);
        assert_eq!(h.api.daemonsets[ds.idx()].desired, 4);
        assert_eq!(count(&h, ds, "SuccessfulCreate"), 4);
    }

    #[test]
    fn a_daemonset_skips_a_node_whose_no_schedule_taint_it_does_not_tolerate() {
        let mut h = Harness::new();
        let [_, b, c] = ["a", "b", "c"].map(|n| h.add_node(n, 4_000, 1 << 33));
        let taint = |key: &str, effect| Taint { key: key.into(), value: "x".into(), effect };
        h.api.update_node(b, |n| n.taints.push(taint("dedicated", TaintEffect::NoSchedule)));
        h.api.update_node(c, |n| n.taints.push(taint("spot", TaintEffect::PreferNoSchedule)));
        let mut tolerant = test_pod_spec();
        tolerant.tolerations.push(Toleration {
            key: "dedicated".into(),
            op: TolerationOp::Exists,
            value: String::new(),
            effect: Some(TaintEffect::NoSchedule),
            toleration_seconds: None,
        });
        let mut dsc = DaemonSetController::default();
        let plain = agent(&mut h, test_pod_spec());
        let tolerating = agent(&mut h, tolerant);
        run(&mut h, &mut dsc, 1_000);
        // A PreferNoSchedule taint does not keep a daemon pod away.
        assert_eq!(pinned(&h, plain), ["a", "c"]);
        assert_eq!(h.api.daemonsets[plain.idx()].desired, 2);
        assert_eq!(pinned(&h, tolerating), ["a", "b", "c"]);
        // The taint goes: the node's update brings its pod.
        h.handle(|ctx| ctx.api.update_node(b, |n| n.taints.clear()));
        run(&mut h, &mut dsc, 2_000);
        assert_eq!(pinned(&h, plain), ["a", "b", "c"]);
        assert_eq!(h.api.daemonsets[plain.idx()].desired, 3);
        assert_eq!(count(&h, tolerating, "SuccessfulCreate"), 3);
    }

    #[test]
    fn a_daemonset_deletes_a_failed_daemon_pod_and_replaces_it_on_the_same_node() {
        let mut h = Harness::new();
        let nodes = ["a", "b"].map(|n| h.add_node(n, 4_000, 1 << 33));
        let mut dsc = DaemonSetController::default();
        let ds = agent(&mut h, test_pod_spec());
        run(&mut h, &mut dsc, 1_000);
        for (n, name) in nodes.iter().zip(["a", "b"]) {
            let p = pod_on(&h, ds, name);
            h.bind(p, *n);
            h.set_pod_status(p, PodPhase::Running, true);
        }
        run(&mut h, &mut dsc, 2_000);
        assert_eq!(h.api.daemonsets[ds.idx()].status.ready, 2);
        let failed = pod_on(&h, ds, "a");
        h.set_pod_status(failed, PodPhase::Failed, false);
        run(&mut h, &mut dsc, 3_000);
        let after: Vec<&str> =
            h.events_of(ObjRef::DaemonSet(ds)).iter().filter(|e| e.time.0 > 2_000).map(|e| e.reason).collect();
        assert_eq!(after, ["FailedDaemonPod", "SuccessfulDelete", "SuccessfulCreate"]);
        // The replacement comes from the next sync, which finds no pod on the node (upstream
        // creates only when `len(daemonPods) == 0`): one watch latency (10 ms) after the delete.
        let at = |r: &str| h.events_of(ObjRef::DaemonSet(ds)).iter().rev().find(|e| e.reason == r).unwrap().time.0;
        assert_eq!(at("SuccessfulCreate"), at("SuccessfulDelete") + 10);
        let warning = h.event("FailedDaemonPod").unwrap();
        assert_eq!(warning.kind, EventType::Warning);
        let name = &h.api.pod(failed).name;
        let want = format!("Found failed daemon pod kube-system/{name} on node a, will try to kill it");
        assert_eq!(warning.message, Message::Text(want.into()));
        // A terminal pod's delete is immediate; the replacement is a new pod pinned to `a`.
        assert!(h.api.pod(failed).removed.is_some());
        assert_ne!(pod_on(&h, ds, "a"), failed);
        assert_eq!(pinned(&h, ds), ["a", "b"]);
    }

    #[test]
    fn failed_daemon_pods_on_a_node_are_deleted_with_a_back_off_of_1_second_doubling() {
        // A kubelet that rejects every daemon pod (say, under DiskPressure): each replacement
        // fails as soon as it exists (within 100 ms here). Upstream's failedPodsBackoff (1 s,
        // doubling, 15 min at most, since the last delete): the first failed pod goes at the sync
        // that sees it (10 ms of watch latency); a later one is held, the sync requeued after the
        // whole back-off (`enqueueDaemonSetAfter`), and deleted then: 1 s, 2 s, 4 s after the
        // sync that saw it. Meanwhile nothing replaces it.
        let mut h = Harness::new();
        let n = h.add_node("a", 4_000, 1 << 33);
        let mut dsc = DaemonSetController::default();
        let ds = agent(&mut h, test_pod_spec());
        let (mut t, mut fails) = (1_000, Vec::new());
        run(&mut h, &mut dsc, t);
        while fails.len() < 4 {
            let p = pod_on(&h, ds, "a");
            if h.api.pod(p).status.phase != PodPhase::Failed {
                h.bind(p, n);
                h.set_pod_status(p, PodPhase::Failed, false);
                fails.push(t);
            }
            t += 100;
            run(&mut h, &mut dsc, t);
        }
        run(&mut h, &mut dsc, 30_000);
        let deletes: Vec<u64> = h
            .events_of(ObjRef::DaemonSet(ds))
            .iter()
            .filter(|e| e.reason == "FailedDaemonPod")
            .map(|e| e.time.0)
            .collect();
        let want: Vec<u64> = fails.iter().zip([0, 1_000, 2_000, 4_000]).map(|(f, b)| f + 10 + b).collect();
        assert_eq!(deletes, want);
        assert_eq!(count(&h, ds, "SuccessfulCreate"), 5, "the first and one per delete: nothing replaces a held pod");
    }

    #[test]
    fn a_daemonset_rolls_a_new_template_out_one_node_at_a_time() {
        let mut h = Harness::new();
        let nodes = ["a", "b", "c"].map(|n| h.add_node(n, 4_000, 1 << 33));
        let mut dsc = DaemonSetController::default();
        let ds = agent(&mut h, test_pod_spec());
        run(&mut h, &mut dsc, 1_000);
        for (n, name) in nodes.iter().zip(["a", "b", "c"]) {
            let p = pod_on(&h, ds, name);
            h.bind(p, *n);
            h.set_pod_status(p, PodPhase::Running, true);
        }
        run(&mut h, &mut dsc, 2_000);
        let old_a = pod_on(&h, ds, "a");
        let old_b = pod_on(&h, ds, "b");
        let mut spec = test_pod_spec();
        spec.termination_grace_ms = 10_000;
        h.handle(|ctx| {
            ctx.api.update_daemonset(ds, Watcher::Operator, |d| d.template = template(&[("app", "agent")], spec))
        });
        run(&mut h, &mut dsc, 3_000);
        // maxUnavailable 1: one old pod goes, the others wait while a node lacks an available pod.
        let deleted = |h: &Harness| -> Vec<(u64, Message)> {
            let e = h.events_of(ObjRef::DaemonSet(ds));
            e.iter().filter(|e| e.reason == "SuccessfulDelete").map(|e| (e.time.0, e.message.clone())).collect()
        };
        assert_eq!(deleted(&h), [(2_010, Message::DeletedPod { pod: old_a })]);
        // The old pod on `a` is gone and its replacement is ready: the next node's turn.
        h.remove_pod(old_a);
        run(&mut h, &mut dsc, 3_500);
        assert_eq!(deleted(&h).len(), 1);
        let new_a = pod_on(&h, ds, "a");
        assert_eq!(h.api.pod(new_a).spec.termination_grace_ms, 10_000, "made from the new template");
        h.bind(new_a, nodes[0]);
        h.set_pod_status(new_a, PodPhase::Running, true);
        run(&mut h, &mut dsc, 4_000);
        assert_eq!(deleted(&h)[1..], [(3_510, Message::DeletedPod { pod: old_b })]);
        // Ready: the new pod on a and the old one on c, which waits for b's replacement.
        assert_eq!(h.api.daemonsets[ds.idx()].status.ready, 2);
        assert_eq!(h.api.pod(pod_on(&h, ds, "c")).deletion, None);
    }
}
