//! The pod garbage collector (`pkg/controller/podgc`): every 20 s it force-deletes pods bound
//! to nodes that no longer exist (after a 40 s quarantine, marked Failed first) and, above
//! 12,500 terminated pods, the oldest terminated ones.

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
        // The oldest first (by creation), as upstream sorts them.
        let excess = terminated - TERMINATED_POD_GC_THRESHOLD as usize;
        let oldest: Vec<PodId> = ctx.api.terminated.iter().take(excess).map(|&(_, p)| p).collect();
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
                    ctx.api.update_pod_status(p, Watcher::NodeLifecycleController, |x| {
                        x.status.phase = PodPhase::Failed;
                        x.status.ready = false;
                        x.status.reason = Some("DeletionByPodGC");
                        x.status.message = Some("PodGC: node no longer exists".into());
                    });
                }
                ctx.api.remove_pod(p, now, None);
            }
        }
    }
}
