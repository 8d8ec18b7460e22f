//! The pod garbage collector (`pkg/controller/podgc`): every 20 s it force-deletes pods bound
//! to nodes that no longer exist (after a 40 s quarantine, marked Failed first) and, above
//! 12,500 terminated pods, the excess: evicted ones first, then the oldest by creation second,
//! then by name.

use crate::api::*;
use crate::apiserver::Watcher;
use crate::runtime::{Ctx, Event};

/// `gcCheckPeriod`.
pub const GC_CHECK_PERIOD_MS: u64 = 20_000;
/// `quarantineTime`: a node must stay gone this long before its pods are collected.
pub const QUARANTINE_MS: u64 = 40_000;
/// kube-controller-manager `--terminated-pod-gc-threshold`.
pub const TERMINATED_POD_GC_THRESHOLD: u32 = 12_500;

#[derive(Default)]
pub struct PodGc;

impl PodGc {
    pub fn start(ctx: &mut Ctx) {
        ctx.after(GC_CHECK_PERIOD_MS, Event::PodGc);
    }

    pub fn tick(&mut self, ctx: &mut Ctx) {
        ctx.after(GC_CHECK_PERIOD_MS, Event::PodGc);
        self.gc_terminated(ctx);
        self.gc_orphaned(ctx);
    }

    fn gc_terminated(&mut self, ctx: &mut Ctx) {
        let terminated = ctx.api.terminated.len();
        if terminated <= TERMINATED_POD_GC_THRESHOLD as usize {
            return;
        }
        // byEvictionAndCreationTimestamp: evicted first, then the oldest by creation second,
        // then by name (sorted here, within the one group of the same second).
        let excess = terminated - TERMINATED_POD_GC_THRESHOLD as usize;
        let api = &ctx.api;
        let mut oldest: Vec<PodId> = Vec::with_capacity(excess);
        let mut it = api.terminated.iter().peekable();
        while oldest.len() < excess {
            let Some(&&(evicted, second, _)) = it.peek() else { break };
            let mut group: Vec<PodId> = Vec::new();
            while let Some(&&(e, s, p)) = it.peek() {
                if (e, s) != (evicted, second) {
                    break;
                }
                group.push(p);
                it.next();
            }
            group.sort_by(|a, b| api.pod(*a).name.cmp(&api.pod(*b).name));
            let take = (excess - oldest.len()).min(group.len());
            oldest.extend_from_slice(&group[..take]);
        }
        for p in oldest {
            ctx.api.remove_pod(p, ctx.now, None);
        }
    }

    /// Pods on nodes deleted at least `QUARANTINE_MS` ago: Failed, then gone (grace 0).
    fn gc_orphaned(&mut self, ctx: &mut Ctx) {
        let now = ctx.now;
        for k in 0..ctx.api.deleted_nodes.len() {
            let n = ctx.api.deleted_nodes[k].idx();
            let node = &ctx.api.nodes[n];
            let Some(deleted) = node.deleted else { continue };
            if now.since(deleted) < QUARANTINE_MS || ctx.api.pods_on_node(NodeId(n as u32)).is_empty() {
                continue;
            }
            let pods: Vec<PodId> = ctx.api.pods_on_node(NodeId(n as u32)).to_vec();
            for p in pods {
                if !ctx.api.pod(p).status.phase.is_terminal() {
                    // markFailedAndDeletePodWithCondition: Failed, with DisruptionTarget.
                    ctx.api.update_pod_status(p, Watcher::NodeLifecycleController, |x| {
                        x.status.phase = PodPhase::Failed;
                        x.status.ready = false;
                        use crate::api::conditions::{CondReason, CondType};
                        x.status.conditions.set(CondType::DisruptionTarget, true, CondReason::DeletionByPodGC, 0, now);
                    });
                }
                ctx.api.remove_pod(p, now, None);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::{new_pod, test_pod_spec};
    use crate::runtime::testing::Harness;
    use crate::sim::SimTime;
    use std::sync::Arc;

    /// Run the collector's ticks due up to `t` ms; returns their times.
    fn run(h: &mut Harness, gc: &mut PodGc, t: u64) -> Vec<u64> {
        let mut ticks = Vec::new();
        h.run_until(SimTime(t), |ev, ctx| {
            if let Event::PodGc = ev {
                ticks.push(ctx.now.0);
                gc.tick(ctx);
            }
        });
        ticks
    }

    /// A pod `name` created at `created` and already in `phase`.
    fn add_finished(h: &mut Harness, name: String, created: u64, phase: PodPhase) -> PodId {
        let ns = h.api.namespace("default");
        let mut pod = new_pod(ns, name, Arc::default(), None, Arc::new(test_pod_spec()), SimTime(created));
        pod.status.phase = phase;
        h.api.create_pod(pod)
    }

    #[test]
    fn the_pod_garbage_collector_looks_every_20_seconds() {
        let mut h = Harness::new();
        let mut gc = PodGc;
        h.handle(PodGc::start);
        assert_eq!(run(&mut h, &mut gc, 65_000), [20_000, 40_000, 60_000]);
    }

    #[test]
    fn pods_of_a_deleted_node_are_failed_and_removed_after_the_40_second_quarantine() {
        let mut h = Harness::new();
        let gone = h.add_node("gone", 4_000, 1 << 33);
        let kept = h.add_node("kept", 4_000, 1 << 33);
        let running = h.add_bound_pod("running", gone, test_pod_spec());
        h.set_pod_status(running, PodPhase::Running, true);
        let done = h.add_bound_pod("done", gone, test_pod_spec());
        h.set_pod_status(done, PodPhase::Succeeded, false);
        let other = h.add_bound_pod("other", kept, test_pod_spec());
        h.set_pod_status(other, PodPhase::Running, true);
        let mut gc = PodGc;
        h.handle(PodGc::start);
        run(&mut h, &mut gc, 5_000);
        h.handle(|ctx| ctx.api.delete_node(gone, ctx.now));
        // Deleted at 5 s: still in quarantine at the ticks of 20 s and 40 s (35 s < 40 s).
        run(&mut h, &mut gc, 59_999);
        assert!(h.api.pod(running).removed.is_none() && h.api.pod(done).removed.is_none());
        assert_eq!(h.api.pod(running).status.phase, PodPhase::Running);
        // The tick at 60 s: Failed with a DisruptionTarget condition (DeletionByPodGC, no status
        // reason), then force-deleted (grace 0).
        run(&mut h, &mut gc, 60_000);
        let p = h.api.pod(running);
        use crate::api::conditions::{CondReason, CondType};
        let d = p.status.conditions.get(CondType::DisruptionTarget).copied().expect("set");
        assert_eq!((p.removed, p.status.phase, p.status.reason), (Some(SimTime(60_000)), PodPhase::Failed, None));
        assert_eq!((d.status, d.reason, d.since), (true, CondReason::DeletionByPodGC, SimTime(60_000)));
        assert_eq!(h.api.condition_message(running, &d).as_deref(), Some("PodGC: node no longer exists"));
        assert_eq!(p.deletion, Some((SimTime(60_000), 0)));
        // A pod that had finished keeps its phase.
        let p = h.api.pod(done);
        assert_eq!((p.removed, p.status.phase), (Some(SimTime(60_000)), PodPhase::Succeeded));
        assert!(h.api.pod(other).removed.is_none(), "pods of live nodes stay");
        assert!(h.api.pods_on_node(gone).is_empty());
    }

    #[test]
    fn above_12500_terminated_pods_the_oldest_by_creation_second_then_name_are_removed() {
        // byEvictionAndCreationTimestamp: creation time to the second, then the name.
        let mut h = Harness::new();
        let mut gc = PodGc;
        h.handle(PodGc::start);
        // Creation times are a permutation of 0..12503 ms (5003 is prime to it), not id order.
        let total = TERMINATED_POD_GC_THRESHOLD as u64 + 3;
        let created = |i: u64| i * 5_003 % total;
        let mut pods = Vec::new();
        for i in 0..TERMINATED_POD_GC_THRESHOLD as u64 {
            let phase = if i % 2 == 0 { PodPhase::Succeeded } else { PodPhase::Failed };
            pods.push(add_finished(&mut h, format!("done-{i}"), created(i), phase));
        }
        // Pods that have not terminated never count, however old.
        let running = add_finished(&mut h, "running".into(), 0, PodPhase::Running);
        // Exactly at the threshold: nothing to collect.
        run(&mut h, &mut gc, 20_000);
        assert_eq!(h.api.terminated.len(), TERMINATED_POD_GC_THRESHOLD as usize);
        assert!(pods.iter().all(|&p| h.api.pod(p).removed.is_none()));
        for i in TERMINATED_POD_GC_THRESHOLD as u64..total {
            pods.push(add_finished(&mut h, format!("done-{i}"), created(i), PodPhase::Succeeded));
        }
        run(&mut h, &mut gc, 40_000);
        // 3 above the threshold: of the 1,000 pods created in the first second, the three whose
        // names sort first go; the rule computed here from the names.
        let mut first_second: Vec<&str> =
            pods.iter().map(|&p| h.api.pod(p)).filter(|p| p.created.0 < 1_000).map(|p| p.name.as_str()).collect();
        first_second.sort();
        let mut removed: Vec<&str> =
            pods.iter().map(|&p| h.api.pod(p)).filter(|p| p.removed.is_some()).map(|p| p.name.as_str()).collect();
        removed.sort();
        assert_eq!(removed, first_second[..3]);
        assert_eq!(removed, ["done-0", "done-10", "done-100"], "names, not creation times, within the second");
        assert_eq!(h.api.terminated.len(), TERMINATED_POD_GC_THRESHOLD as usize);
        assert!(h.api.pod(running).removed.is_none());
    }

    #[test]
    fn evicted_pods_are_collected_before_older_ones() {
        let mut h = Harness::new();
        let mut gc = PodGc;
        h.handle(PodGc::start);
        for i in 0..TERMINATED_POD_GC_THRESHOLD as u64 {
            add_finished(&mut h, format!("old-{i:05}"), 0, PodPhase::Succeeded);
        }
        // The newest pod, but evicted: it goes first.
        let ns = h.api.namespace("default");
        let mut pod = new_pod(ns, "evicted".into(), Arc::default(), None, Arc::new(test_pod_spec()), SimTime(19_000));
        pod.status.phase = PodPhase::Failed;
        pod.status.reason = Some("Evicted");
        let evicted = h.api.create_pod(pod);
        run(&mut h, &mut gc, 20_000);
        assert!(h.api.pod(evicted).removed.is_some());
        assert_eq!(h.api.terminated.len(), TERMINATED_POD_GC_THRESHOLD as usize);
    }
}
