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
    /// Syncs that failed (a create refused), per StatefulSet: the work queue's rate limiter.
    backoff: super::Backoff,
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
                    // OrderedReady: wait for this one to be Running and Ready; a refused
                    // create ends the sync (retried after the back-off).
                    let created = self.create(id, ord, ctx);
                    blocked = ordered || !created;
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

    /// False: the API server refused the pod.
    fn create(&mut self, id: StsId, ord: u32, ctx: &mut Ctx) -> bool {
        let set = &ctx.api.statefulsets[id.idx()];
        let name = format!("{}-{ord}", set.name);
        if ctx.api.pod_name_taken(&set.namespace, &name) {
            return true; // the old object is still there (Terminating): never two with one name
        }
        let spec = match ctx.api.admit_pod(&set.namespace, None, &name, &set.template.spec) {
            Ok(s) => s,
            Err(e) => {
                let msg = format!("create Pod {name} in StatefulSet {} failed error: {e}", set.name);
                ctx.cause = ctx.record(
                    EventType::Warning,
                    "FailedCreate",
                    ObjRef::StatefulSet(id),
                    None,
                    Source::StatefulSetController,
                    Message::Text(msg.into()),
                );
                let delay = self.backoff.next(id.0, super::CONTROLLER_RETRY_BASE_MS, super::CONTROLLER_RETRY_MAX_MS);
                ctx.after(delay, Event::Requeue(crate::runtime::Requeue::StatefulSet(id)));
                return false;
            }
        };
        self.backoff.forget(id.0);
        let mut labels = (*set.template.labels).clone();
        labels.insert(POD_NAME_LABEL, &name);
        labels.insert(POD_INDEX_LABEL, &ord.to_string());
        let pod = new_pod(
            Arc::from(set.namespace.as_str()),
            name.clone(),
            Arc::new(labels),
            Some(Owner::StatefulSet(id)),
            spec,
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
        true
    }

    /// The rate limiter's back-off is over: sync the StatefulSet again.
    pub fn requeue(&mut self, id: StsId, ctx: &mut Ctx) {
        self.queue.add(id.0, ctx, Event::StatefulSetWork);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::test_pod_spec;
    use crate::runtime::testing::{Harness, selector, template};
    use crate::sim::SimTime;

    /// A StatefulSet `web` of `replicas` pods labelled `app=web`, created now.
    fn web(h: &mut Harness, replicas: u32, pod_management: PodManagementPolicy) -> StsId {
        h.handle(|ctx| {
            ctx.api.create_statefulset(StatefulSet {
                namespace: "default".into(),
                name: "web".into(),
                labels: Default::default(),
                selector: selector(&[("app", "web")]),
                replicas,
                template: template(&[("app", "web")], test_pod_spec()),
                pod_management,
                created: ctx.now,
                resource_version: 0,
                status: WorkloadStatus::default(),
            })
        })
    }

    /// Deliver the controller's watches and work items due up to `t` ms.
    fn run(h: &mut Harness, ssc: &mut StatefulSetController, t: u64) {
        h.run_until(SimTime(t), |ev, ctx| match ev {
            Event::StatefulSetWork => ssc.work(ctx),
            Event::Watch(n) if n.to == Watcher::StatefulSetController => ssc.on_watch(n.obj, ctx),
            _ => {}
        });
    }

    /// The live pod named `name`, if any.
    fn pod_named(h: &Harness, s: StsId, name: &str) -> Option<PodId> {
        h.live_pods_of(Owner::StatefulSet(s)).into_iter().find(|&p| h.api.pod(p).name == name)
    }

    /// The live pods' names, sorted.
    fn names(h: &Harness, s: StsId) -> Vec<String> {
        let mut v: Vec<String> =
            h.live_pods_of(Owner::StatefulSet(s)).iter().map(|&p| h.api.pod(p).name.clone()).collect();
        v.sort();
        v
    }

    /// The StatefulSet's events with `reason`: (time, message text).
    fn events(h: &Harness, s: StsId, reason: &str) -> Vec<(u64, String)> {
        let text = |m: &Message| match m {
            Message::Text(t) => t.to_string(),
            m => panic!("{m:?}"),
        };
        let e = h.events_of(ObjRef::StatefulSet(s));
        e.iter().filter(|e| e.reason == reason).map(|e| (e.time.0, text(&e.message))).collect()
    }

    /// The kubelet runs the pod on `n` and reports it Running, ready or not.
    fn start(h: &mut Harness, p: PodId, n: NodeId, ready: bool) {
        h.bind(p, n);
        h.set_pod_status(p, PodPhase::Running, ready);
    }

    #[test]
    fn an_ordered_ready_statefulset_creates_web_0_and_waits_for_it_to_be_ready_before_web_1() {
        let mut h = Harness::new();
        let n = h.add_node("n", 4_000, 1 << 33);
        let mut ssc = StatefulSetController::default();
        let s = web(&mut h, 3, PodManagementPolicy::OrderedReady);
        run(&mut h, &mut ssc, 1_000);
        assert_eq!(names(&h, s), ["web-0"]);
        let p0 = pod_named(&h, s, "web-0").unwrap();
        let labels = &h.api.pod(p0).labels;
        assert_eq!(
            (labels.get(POD_NAME_LABEL), labels.get(POD_INDEX_LABEL), labels.get("app")),
            (Some("web-0"), Some("0"), Some("web"))
        );
        // Running is not enough: web-1 waits for web-0 to be Ready.
        start(&mut h, p0, n, false);
        run(&mut h, &mut ssc, 5_000);
        assert_eq!(names(&h, s), ["web-0"]);
        h.set_pod_status(p0, PodPhase::Running, true);
        run(&mut h, &mut ssc, 6_000);
        assert_eq!(names(&h, s), ["web-0", "web-1"]);
        let want = [
            (10, "create Pod web-0 in StatefulSet web successful".to_string()),
            (5_010, "create Pod web-1 in StatefulSet web successful".to_string()),
        ];
        assert_eq!(events(&h, s, "SuccessfulCreate"), want);
        let st = h.api.statefulsets[s.idx()].status;
        assert_eq!((st.replicas, st.ready), (2, 1));
    }

    #[test]
    fn a_parallel_statefulset_creates_every_ordinal_at_once() {
        let mut h = Harness::new();
        let mut ssc = StatefulSetController::default();
        let s = web(&mut h, 3, PodManagementPolicy::Parallel);
        run(&mut h, &mut ssc, 1_000);
        assert_eq!(names(&h, s), ["web-0", "web-1", "web-2"]);
        let times: Vec<u64> = events(&h, s, "SuccessfulCreate").iter().map(|e| e.0).collect();
        assert_eq!(times, [10, 10, 10]);
        assert_eq!(h.api.statefulsets[s.idx()].status.replicas, 3);
    }

    #[test]
    fn scaling_an_ordered_ready_statefulset_down_deletes_the_highest_ordinal_first_one_at_a_time() {
        let mut h = Harness::new();
        let n = h.add_node("n", 4_000, 1 << 33);
        let mut ssc = StatefulSetController::default();
        let s = web(&mut h, 3, PodManagementPolicy::OrderedReady);
        for i in 0..3u64 {
            run(&mut h, &mut ssc, (i + 1) * 1_000);
            let p = pod_named(&h, s, &format!("web-{i}")).unwrap();
            start(&mut h, p, n, true);
        }
        run(&mut h, &mut ssc, 4_000);
        assert_eq!(h.api.statefulsets[s.idx()].status.ready, 3);
        h.handle(|ctx| ctx.api.update_statefulset(s, Watcher::Operator, |x| x.replicas = 1));
        run(&mut h, &mut ssc, 5_000);
        // web-2 terminates (30 s grace); web-1 waits until it is gone.
        let web2 = pod_named(&h, s, "web-2").unwrap();
        assert!(h.api.pod(web2).is_terminating());
        assert_eq!(
            events(&h, s, "SuccessfulDelete"),
            [(4_010, "delete Pod web-2 in StatefulSet web successful".into())]
        );
        h.remove_pod(web2);
        run(&mut h, &mut ssc, 6_000);
        assert_eq!(
            events(&h, s, "SuccessfulDelete")[1..],
            [(5_010, "delete Pod web-1 in StatefulSet web successful".into())]
        );
        assert_eq!(h.api.pod(pod_named(&h, s, "web-0").unwrap()).deletion, None);
    }

    #[test]
    fn a_statefulset_recreates_a_deleted_pod_only_once_the_old_one_is_gone() {
        let mut h = Harness::new();
        let n = h.add_node("n", 4_000, 1 << 33);
        let mut ssc = StatefulSetController::default();
        let s = web(&mut h, 1, PodManagementPolicy::OrderedReady);
        run(&mut h, &mut ssc, 1_000);
        let old = pod_named(&h, s, "web-0").unwrap();
        start(&mut h, old, n, true);
        h.handle(|ctx| ctx.api.delete_pod(old, 30_000, ctx.now));
        // At most one web-0: none is created while the old object terminates.
        run(&mut h, &mut ssc, 20_000);
        assert_eq!(pod_named(&h, s, "web-0"), Some(old));
        assert_eq!(events(&h, s, "SuccessfulCreate").len(), 1);
        h.remove_pod(old);
        run(&mut h, &mut ssc, 21_000);
        let new = pod_named(&h, s, "web-0").expect("web-0 again");
        assert_ne!(new, old);
        assert_eq!(
            events(&h, s, "SuccessfulCreate")[1],
            (20_010, "create Pod web-0 in StatefulSet web successful".into())
        );
    }

    #[test]
    fn a_statefulset_replaces_a_failed_pod_under_the_same_name() {
        let mut h = Harness::new();
        let n = h.add_node("n", 4_000, 1 << 33);
        let mut ssc = StatefulSetController::default();
        let s = web(&mut h, 1, PodManagementPolicy::Parallel);
        run(&mut h, &mut ssc, 1_000);
        let failed = pod_named(&h, s, "web-0").unwrap();
        start(&mut h, failed, n, true);
        h.set_pod_status(failed, PodPhase::Failed, false);
        run(&mut h, &mut ssc, 2_000);
        // The failed pod is deleted when the failure is seen; a terminal pod's delete is
        // immediate, so the name is free for the new pod at once.
        let deleted = events(&h, s, "SuccessfulDelete");
        assert_eq!(deleted, [(1_010, "delete Pod web-0 in StatefulSet web successful".into())]);
        assert!(h.api.pod(failed).removed.is_some());
        let new = pod_named(&h, s, "web-0").expect("web-0 again");
        assert_ne!(new, failed);
        let created = events(&h, s, "SuccessfulCreate");
        assert_eq!(created.len(), 2);
        assert!(created[1].0 >= 1_010 && created[1].1 == "create Pod web-0 in StatefulSet web successful");
    }
}
