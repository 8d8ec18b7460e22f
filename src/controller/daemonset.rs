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

#[derive(Default)]
pub struct DaemonSetController {
    queue: WorkQueue,
    /// Per DaemonSet: the template it last saw (by identity, and its restartedAt) and its
    /// generation.
    templates: Vec<((usize, Option<SimTime>), u32)>,
    /// Per pod: the node it is pinned to and the template generation it was made from.
    pods: Vec<(u32, u32)>,
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
            for &p in pods {
                let pod = ctx.api.pod(p);
                if pod.deletion.is_some() {
                    continue;
                }
                if pod.status.phase == PodPhase::Failed && should {
                    ctx.cause = root;
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
                0 => {
                    ctx.cause = root;
                    self.create(id, nid, generation, ctx);
                    st.replicas += 1;
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

    fn create(&mut self, id: DsId, node: NodeId, generation: u32, ctx: &mut Ctx) {
        let ds = &ctx.api.daemonsets[id.idx()];
        let (ns, template, base) = (ds.namespace.clone(), ds.template.clone(), ds.name.clone());
        let mut spec = (*template.spec).clone();
        spec.affinity_node = Some(ctx.api.node(node).name.clone());
        let owner = Owner::DaemonSet(id);
        let src = Source::DaemonSetController;
        let pid = create_owned_pod(owner, &ns, &base, template.labels, Arc::new(spec), src, ctx);
        if self.pods.len() <= pid.idx() {
            self.pods.resize(pid.idx() + 1, (NO_NODE, 0));
        }
        self.pods[pid.idx()] = (node.0, generation);
    }

    fn delete(&mut self, id: DsId, p: PodId, ctx: &mut Ctx) {
        delete_owned_pod(Owner::DaemonSet(id), p, Source::DaemonSetController, ctx);
    }
}
