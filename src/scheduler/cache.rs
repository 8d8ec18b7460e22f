//! The scheduler's cache (`pkg/scheduler/backend/cache`): its node copies, the requests
//! counted on each node, pods assumed before their binding is seen.

use super::*;

impl Scheduler {
    /// Bring the compact node copies up to date if any node changed since the last look.
    pub(super) fn sync_nodes(&mut self, ctx: &Ctx) {
        if self.node_epoch == ctx.api.node_epoch && self.nodes.len() == ctx.api.nodes.len() {
            return;
        }
        self.node_epoch = ctx.api.node_epoch;
        if self.nodes.len() < ctx.api.nodes.len() {
            self.nodes.resize(ctx.api.nodes.len(), NodeInfo::default());
            self.node_pods.resize(ctx.api.nodes.len(), Vec::new());
            for v in self.owner_counts.values_mut() {
                v.resize(ctx.api.nodes.len(), 0);
            }
        }
        let (mut deleted, mut prefer) = (0, 0);
        for (info, node) in self.nodes.iter_mut().zip(&ctx.api.nodes) {
            info.refresh(node);
            deleted += usize::from(node.deleted.is_some());
            prefer += usize::from(info.prefer_taint && node.deleted.is_none());
        }
        self.deleted_nodes = deleted;
        self.prefer_taint_nodes = prefer;
        self.slots.clear();
        self.slots.extend(self.nodes.iter().map(plugins::FreeSlot::of));
        if self.free_enabled {
            self.free.rebuild(&self.nodes);
        }
    }

    pub(super) fn count(&mut self, id: PodId, node: NodeId, ctx: &Ctx, d: i32) {
        let p = ctx.api.pod(id);
        // Only ReplicaSets' and StatefulSets' pods are spread by default (per-node counts for
        // every Job would cost nodes x jobs).
        if let Some(o @ (Owner::ReplicaSet(_) | Owner::StatefulSet(_))) = p.owner {
            let n = self.nodes.len();
            let v = self.owner_counts.entry(o).or_insert_with(|| vec![0; n]);
            v[node.idx()] = v[node.idx()].saturating_add_signed(d);
        }
        if p.spec.affinity.as_ref().is_some_and(|a| a.has_pod_terms()) {
            self.pods_with_affinity = self.pods_with_affinity.saturating_add_signed(d as isize);
        }
        let prio = p.spec.priority;
        match self.priorities.binary_search_by_key(&prio, |&(x, _)| x) {
            Ok(i) => {
                self.priorities[i].1 = self.priorities[i].1.saturating_add_signed(d);
                if self.priorities[i].1 == 0 {
                    self.priorities.remove(i);
                }
            }
            Err(i) if d > 0 => self.priorities.insert(i, (prio, d as u32)),
            Err(_) => {}
        }
    }

    pub(super) fn forget(&mut self, id: PodId, ctx: &mut Ctx) {
        let req = ctx.api.pod(id).requests;
        let nz = ctx.api.pod(id).nonzero;
        if let Some(n) = self.info(id).assumed.take() {
            let before = self.nodes[n.idx()];
            let ni = &mut self.nodes[n.idx()];
            ni.requested.sub(req);
            ni.nonzero.sub(nz);
            ni.pods -= 1;
            if self.free_enabled {
                self.free.update(&before, &self.nodes[n.idx()]);
            }
            self.slots[n.idx()] = plugins::FreeSlot::of(&self.nodes[n.idx()]);
            let list = &mut self.node_pods[n.idx()];
            if let Some(i) = list.iter().position(|&p| p == id) {
                list.swap_remove(i);
            }
            self.count(id, n, ctx, -1);
        }
    }

    pub(super) fn assume(&mut self, id: PodId, node: NodeId, ctx: &mut Ctx) {
        self.sync_nodes(ctx);
        let before = self.nodes[node.idx()];
        let ni = &mut self.nodes[node.idx()];
        ni.requested.add(ctx.api.pod(id).requests);
        ni.nonzero.add(ctx.api.pod(id).nonzero);
        ni.pods += 1;
        if self.free_enabled {
            self.free.update(&before, &self.nodes[node.idx()]);
        }
        self.slots[node.idx()] = plugins::FreeSlot::of(&self.nodes[node.idx()]);
        self.node_pods[node.idx()].push(id);
        self.count(id, node, ctx, 1);
        self.info(id).assumed = Some(node);
        self.nominated.retain(|&(p, _)| p != id);
    }
}
