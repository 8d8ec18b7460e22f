//! What report.html's viewer replays: each pod's and node's printable state at every change,
//! so that the page can show `get pods` and the nodes at any moment without running again.
//! Kept only when asked (`RunOptions::history`); appends into flat vectors (no allocation per
//! change once they have grown).

use crate::api::{ConditionStatus, ContainerStatus, Node, NodeId, Pod, PodId, PodPhase};
use crate::sim::SimTime;
use crate::sim::chunked::Chunked;

/// A pod's state as `kubectl get pods` and `describe` read it, from `time` on. Its container
/// statuses are `History::statuses_of` it (init containers first).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PodSnap {
    pub time: SimTime,
    pub pod: PodId,
    pub node: Option<NodeId>,
    pub phase: PodPhase,
    pub reason: Option<&'static str>,
    pub ready: bool,
    pub deleting: bool,
    pub removed: bool,
    pub pod_ip: Option<u32>,
    pub first: u32,
    pub n_init: u16,
    pub n: u16,
}

/// A node's state as `kubectl get nodes` and the viewer's node cards read it, from `time` on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeSnap {
    pub time: SimTime,
    pub node: NodeId,
    pub ready: ConditionStatus,
    pub unschedulable: bool,
    pub memory_pressure: bool,
    pub deleted: bool,
}

/// Kept in chunks (`sim::chunked`): a 150,000-pod run keeps about a million snapshots.
#[derive(Debug, Default)]
pub struct History {
    pub pods: Chunked<PodSnap>,
    statuses: Chunked<ContainerStatus>,
    pub nodes: Vec<NodeSnap>,
    /// Each repeat of an event series (the event's id, when), in time order: a series' count
    /// and last-seen time at any moment.
    pub repeats: Chunked<(u32, SimTime)>,
    /// Per pod / node: the index + 1 of its last snapshot (0: none yet).
    last_pod: Vec<u32>,
    last_node: Vec<u32>,
}

impl History {
    /// Note `p`'s state at `now` if it differs from the last one noted.
    pub fn pod(&mut self, now: SimTime, id: PodId, p: &Pod) {
        let i = id.idx();
        if self.last_pod.len() <= i {
            self.last_pod.resize(i + 1, 0);
        }
        let s = &p.status;
        let snap = PodSnap {
            time: now,
            pod: id,
            node: p.node,
            phase: s.phase,
            reason: s.reason,
            ready: s.ready,
            deleting: p.deletion.is_some(),
            removed: p.removed.is_some(),
            pod_ip: s.pod_ip,
            first: 0,
            n_init: s.init_containers.len() as u16,
            n: s.containers.len() as u16,
        };
        let last = self.last_pod[i];
        let mut first = None;
        if last > 0 {
            let l = *self.pods.get(last - 1);
            let same_statuses = (l.n_init, l.n) == (snap.n_init, snap.n)
                && self.statuses_of(&l).iter().eq(s.init_containers.iter().chain(&s.containers));
            if same_statuses {
                if (PodSnap { time: now, ..l }) == (PodSnap { first: l.first, ..snap }) {
                    return;
                }
                // Only the pod's own fields changed: share the container statuses.
                first = Some(l.first);
            }
        }
        let n = s.init_containers.len() + s.containers.len();
        let first = first
            .unwrap_or_else(|| self.statuses.push_together(n, s.init_containers.iter().chain(&s.containers).copied()));
        self.last_pod[i] = self.pods.push(PodSnap { first, ..snap }) + 1;
    }

    /// The container statuses of a snapshot, init containers first.
    pub fn statuses_of(&self, s: &PodSnap) -> &[ContainerStatus] {
        self.statuses.slice(s.first, s.n_init as usize + s.n as usize)
    }

    /// Note a repeat of the series of event `id` (its count goes up by one) at `now`.
    pub fn repeat(&mut self, id: u32, now: SimTime) {
        self.repeats.push((id, now));
    }

    /// Note `n`'s state at `now` if it differs from the last one noted.
    pub fn node(&mut self, now: SimTime, id: NodeId, n: &Node) {
        let i = id.idx();
        if self.last_node.len() <= i {
            self.last_node.resize(i + 1, 0);
        }
        let snap = NodeSnap {
            time: now,
            node: id,
            ready: n.ready,
            unschedulable: n.unschedulable,
            memory_pressure: n.memory_pressure,
            deleted: n.deleted.is_some(),
        };
        let last = self.last_node[i];
        if last > 0 && (NodeSnap { time: now, ..self.nodes[last as usize - 1] }) == snap {
            return;
        }
        self.nodes.push(snap);
        self.last_node[i] = self.nodes.len() as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::node::test_node;
    use crate::api::{ContainerState, new_pod, test_pod_spec};
    use std::sync::Arc;

    #[test]
    fn a_state_is_kept_once_and_each_change_with_its_container_statuses() {
        let mut pod =
            new_pod("default".into(), "a".into(), Arc::default(), None, Arc::new(test_pod_spec()), SimTime(0));
        let mut h = History::default();
        h.pod(SimTime(0), PodId(3), &pod);
        // Written again unchanged (another write in the same or a later moment): no new entry.
        h.pod(SimTime(0), PodId(3), &pod);
        h.pod(SimTime(5), PodId(3), &pod);
        assert_eq!(h.pods.len(), 1);
        pod.node = Some(NodeId(1));
        pod.status.containers = vec![ContainerStatus::default()];
        h.pod(SimTime(7), PodId(3), &pod);
        pod.status.containers[0].state = ContainerState::Running { started: SimTime(9) };
        h.pod(SimTime(9), PodId(3), &pod);
        assert_eq!(h.pods.len(), 3);
        let (a, b) = (*h.pods.get(1), *h.pods.get(2));
        assert_eq!((a.time, a.node, a.n), (SimTime(7), Some(NodeId(1)), 1));
        assert_eq!(h.statuses_of(&a)[0].state, ContainerState::Waiting { reason: "ContainerCreating" });
        assert_eq!(h.statuses_of(&b)[0].state, ContainerState::Running { started: SimTime(9) });
    }

    #[test]
    fn a_node_is_kept_at_each_change_of_what_its_card_shows() {
        let mut n = test_node("w", &[]);
        let mut h = History::default();
        h.node(SimTime(0), NodeId(0), &n);
        n.resource_version += 1; // a write that changes nothing the viewer shows
        h.node(SimTime(1), NodeId(0), &n);
        n.ready = ConditionStatus::Unknown;
        h.node(SimTime(2), NodeId(0), &n);
        n.unschedulable = true;
        h.node(SimTime(3), NodeId(0), &n);
        let seen: Vec<(u64, ConditionStatus, bool)> =
            h.nodes.iter().map(|x| (x.time.as_millis(), x.ready, x.unschedulable)).collect();
        assert_eq!(
            seen,
            [
                (0, ConditionStatus::True, false),
                (2, ConditionStatus::Unknown, false),
                (3, ConditionStatus::Unknown, true)
            ]
        );
    }
}
