//! The StatefulSet controller (`pkg/controller/statefulset`): pods with stable names
//! `NAME-0 .. NAME-(n-1)`. OrderedReady creates one ordinal at a time, each Running and Ready
//! before the next, and deletes from the highest ordinal down; Parallel does both at once. A
//! pod's name is only free once the old object is gone, so a pod stuck Terminating on a dead
//! node is never replaced by a second copy: the at-most-one guarantee.

use super::WorkQueue;
use crate::api::WorkloadRef;
use crate::api::events::{ObjRef, Source};
use crate::api::pod::new_pod;
use crate::api::*;
use crate::apiserver::Watcher;
use crate::runtime::{Ctx, Event};
use std::sync::Arc;

/// The labels upstream puts on each StatefulSet pod.
pub const POD_NAME_LABEL: &str = "statefulset.kubernetes.io/pod-name";
pub const POD_INDEX_LABEL: &str = "apps.kubernetes.io/pod-index";

#[derive(Default)]
pub struct StatefulSetController {
    queue: WorkQueue,
    /// Per pod: its ordinal.
    ordinals: Vec<u32>,
}

impl StatefulSetController {
    pub fn on_watch(&mut self, obj: ObjRef, ctx: &mut Ctx) {
        let s = match obj {
            ObjRef::StatefulSet(s) => s,
            ObjRef::Pod(p) => match ctx.api.pod(p).owner {
                Some(Owner::StatefulSet(s)) => s,
                _ => return,
            },
            _ => return,
        };
        self.queue.add(s.0, ctx, Event::StatefulSetWork);
    }

    pub fn work(&mut self, ctx: &mut Ctx) {
        if let Some(k) = self.queue.pop() {
            self.sync(StsId(k), ctx);
        }
        self.queue.done(ctx, Event::StatefulSetWork);
    }

    fn sync(&mut self, id: StsId, ctx: &mut Ctx) {
        let set = &ctx.api.statefulsets[id.idx()];
        let (replicas, ordered) = (set.replicas, set.pod_management == PodManagementPolicy::OrderedReady);
        // The current object of each ordinal (names are unique among live objects).
        let mut pods: Vec<(u32, PodId)> = ctx
            .api
            .pods_of(Owner::StatefulSet(id))
            .iter()
            .filter(|&&p| ctx.api.pod(p).removed.is_none())
            .map(|&p| (self.ordinals[p.idx()], p))
            .collect();
        pods.sort();
        let root = ctx.cause;
        let healthy = |ctx: &Ctx, p: PodId| {
            let pod = ctx.api.pod(p);
            pod.deletion.is_none() && pod.status.phase == PodPhase::Running && pod.status.ready
        };
        let mut st = WorkloadStatus::default();
        for &(_, p) in &pods {
            let pod = ctx.api.pod(p);
            if pod.deletion.is_none() {
                st.replicas += 1;
                st.ready += u32::from(pod.status.ready);
            }
        }
        // Failed pods are deleted and recreated under the same name.
        for &(_, p) in &pods {
            let pod = ctx.api.pod(p);
            if pod.status.phase == PodPhase::Failed && pod.deletion.is_none() {
                ctx.cause = root;
                let msg = format!(
                    "StatefulSet {}/{} is recreating failed Pod {}",
                    pod.namespace,
                    set_name(ctx, id),
                    pod.name
                );
                ctx.cause = ctx.record(
                    EventType::Warning,
                    "RecreatingFailedPod",
                    ObjRef::StatefulSet(id),
                    None,
                    Source::StatefulSetController,
                    Message::Text(msg.into()),
                );
                self.delete(id, p, ctx);
            }
        }
        // Create the missing ordinals below `replicas`, in order.
        let mut blocked = false;
        for ord in 0..replicas {
            if blocked {
                break;
            }
            match pods.iter().find(|x| x.0 == ord) {
                None => {
                    ctx.cause = root;
                    self.create(id, ord, ctx);
                    // OrderedReady: wait for this one to be Running and Ready.
                    blocked = ordered;
                }
                Some(&(_, p)) => {
                    if ordered && !healthy(ctx, p) {
                        blocked = true;
                    }
                }
            }
        }
        // Condemned ordinals (>= replicas) go from the highest down; OrderedReady one at a
        // time, and only while every lower ordinal is healthy.
        if !blocked {
            for &(ord, p) in pods.iter().rev() {
                if ord < replicas {
                    break;
                }
                let pod = ctx.api.pod(p);
                if pod.deletion.is_some() {
                    if ordered {
                        break;
                    }
                    continue;
                }
                ctx.cause = root;
                self.delete(id, p, ctx);
                if ordered {
                    break;
                }
            }
        }
        ctx.cause = root;
        st.available = st.ready;
        st.updated = st.replicas;
        if ctx.api.statefulsets[id.idx()].status != st {
            ctx.api.update_statefulset(id, Watcher::StatefulSetController, |s| s.status = st);
        }
        ctx.rec.workload_status(WorkloadRef::StatefulSet(id), ctx.now, replicas, st.ready);
    }

    fn create(&mut self, id: StsId, ord: u32, ctx: &mut Ctx) {
        let set = &ctx.api.statefulsets[id.idx()];
        let name = format!("{}-{ord}", set.name);
        if ctx.api.pod_name_taken(&set.namespace, &name) {
            return; // the old object is still there (Terminating): never two with one name
        }
        let mut labels = (*set.template.labels).clone();
        labels.insert(POD_NAME_LABEL, &name);
        labels.insert(POD_INDEX_LABEL, &ord.to_string());
        let pod = new_pod(
            Arc::from(set.namespace.as_str()),
            name.clone(),
            Arc::new(labels),
            Some(Owner::StatefulSet(id)),
            set.template.spec.clone(),
            ctx.now,
        );
        let msg = format!("create Pod {name} in StatefulSet {} successful", set.name);
        let pid = ctx.api.create_pod(pod);
        if self.ordinals.len() <= pid.idx() {
            self.ordinals.resize(pid.idx() + 1, 0);
        }
        self.ordinals[pid.idx()] = ord;
        ctx.cause = ctx.record(
            EventType::Normal,
            "SuccessfulCreate",
            ObjRef::StatefulSet(id),
            None,
            Source::StatefulSetController,
            Message::Text(msg.into()),
        );
    }

    fn delete(&mut self, id: StsId, p: PodId, ctx: &mut Ctx) {
        let pod = ctx.api.pod(p);
        let msg = format!("delete Pod {} in StatefulSet {} successful", pod.name, set_name(ctx, id));
        let grace = pod.spec.termination_grace_ms;
        ctx.api.delete_pod(p, grace, ctx.now);
        ctx.cause = ctx.record(
            EventType::Normal,
            "SuccessfulDelete",
            ObjRef::StatefulSet(id),
            None,
            Source::StatefulSetController,
            Message::Text(msg.into()),
        );
    }
}

fn set_name<'a>(ctx: &'a Ctx, id: StsId) -> &'a str {
    &ctx.api.statefulsets[id.idx()].name
}
