//! Pod deletion as the registry does it: graceful deletion (the kubelet finishes it), the final
//! delete, and finalizers that keep a deleted pod in the store until they are removed.

use super::{ApiServer, Watcher};
use crate::api::*;
use crate::sim::SimTime;

impl ApiServer {
    /// DELETE with a grace period. Unbound and terminated pods, and grace 0, go at once (as
    /// the registry's `BeforeDelete` rules for pods); otherwise the pod becomes Terminating and
    /// its kubelet finishes the deletion. Returns true when the final delete was made (a pod
    /// finalizers hold stays in the store even then).
    pub fn delete_pod(&mut self, id: PodId, grace_ms: u64, now: SimTime) -> bool {
        let p = &self.pods[id.idx()];
        if p.removed.is_some() {
            return true;
        }
        if p.node.is_none() || p.status.phase.is_terminal() || grace_ms == 0 {
            self.remove_pod(id, now, None);
            return true;
        }
        if let Some((_, g)) = p.deletion
            && g <= grace_ms
        {
            return false; // already deleting with a grace period at least as short
        }
        self.mutate_pod(id, None, |p| p.deletion = Some((now, grace_ms)));
        false
    }

    /// The final delete (grace 0): the object leaves the store, unless finalizers hold it
    /// (then it stays, deleted with grace 0, until the last one is removed). A disconnected
    /// kubelet's final delete waits until it is back.
    pub fn remove_pod(&mut self, id: PodId, now: SimTime, writer: Option<Watcher>) {
        if let Some(Watcher::Kubelet(n)) = writer
            && self.is_disconnected(n)
        {
            if !self.deferred_removals.contains(&(n, id)) {
                self.deferred_removals.push((n, id));
            }
            return;
        }
        let p = &self.pods[id.idx()];
        if !p.finalizers.is_empty() {
            if p.removed.is_none() && p.deletion.is_none_or(|(_, g)| g > 0) {
                self.mutate_pod(id, writer, |p| p.deletion = Some((p.deletion.map_or(now, |(t, _)| t), 0)));
            }
            return;
        }
        self.mutate_pod(id, writer, |p| {
            if p.deletion.is_none() {
                p.deletion = Some((now, 0));
            }
            p.removed = Some(now);
            if p.finished_at.is_none() {
                p.finished_at = Some(now);
            }
        });
        let p = &self.pods[id.idx()];
        if let Some(names) = self.pod_names.get_mut(&*p.namespace) {
            names.remove(&p.name);
        }
        self.tell_taint_eviction(id);
    }

    /// `kubectl patch` removing the pod's finalizers: a pod already deleted with grace 0 then
    /// leaves the store (the registry's `ShouldDeleteDuringUpdate`). False when it had none.
    pub fn remove_finalizers(&mut self, id: PodId, now: SimTime) -> bool {
        let p = &self.pods[id.idx()];
        if p.removed.is_some() || p.finalizers.is_empty() {
            return false;
        }
        let delete_now = p.deletion.is_some_and(|(_, g)| g == 0);
        self.mutate_pod(id, None, |p| p.finalizers.clear());
        if delete_now {
            self.remove_pod(id, now, None);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::test_pod_spec;

    /// A store with node `n` and pod `name` on it, holding the finalizer example.com/cleanup.
    fn held_pod(name: &str) -> (ApiServer, NodeId, PodId) {
        let mut api = ApiServer::new();
        let n = api.create_node(crate::api::node::test_node("n", &[]));
        let mut spec = test_pod_spec();
        spec.finalizers = vec!["example.com/cleanup".into()];
        let pod = new_pod("default".into(), name.into(), Default::default(), None, spec.into(), SimTime(0));
        let p = api.create_pod(pod);
        api.bind_pod(p, n, SimTime(0), None);
        (api, n, p)
    }

    #[test]
    fn a_finalizer_keeps_a_deleted_pod_until_it_is_removed() {
        let (mut api, n, p) = held_pod("db-0");
        // The graceful delete, then the kubelet's final delete: the object stays, deleted with
        // grace 0 from the moment of the request (deletionTimestamp moves back to it).
        assert!(!api.delete_pod(p, 30_000, SimTime(1_000)));
        api.remove_pod(p, SimTime(3_000), Some(Watcher::Kubelet(n)));
        assert_eq!((api.pod(p).deletion, api.pod(p).removed), (Some((SimTime(1_000), 0)), None));
        // A second final delete changes nothing (no write, so no watch loop).
        let rv = api.pod(p).resource_version;
        api.remove_pod(p, SimTime(4_000), Some(Watcher::Kubelet(n)));
        assert_eq!(api.pod(p).resource_version, rv);
        assert!(api.pod_name_taken("default", "db-0"), "the name is still taken");
        // Removing the finalizer deletes it at once (ShouldDeleteDuringUpdate).
        assert!(api.remove_finalizers(p, SimTime(300_000)));
        assert_eq!(api.pod(p).removed, Some(SimTime(300_000)));
        assert!(!api.pod_name_taken("default", "db-0"));
    }

    #[test]
    fn removing_the_finalizers_of_a_pod_still_terminating_leaves_it_to_its_kubelet() {
        let (mut api, n, p) = held_pod("a");
        api.delete_pod(p, 30_000, SimTime(1_000));
        assert!(api.remove_finalizers(p, SimTime(2_000)));
        assert_eq!(api.pod(p).removed, None);
        assert!(!api.remove_finalizers(p, SimTime(2_500)), "none left");
        api.remove_pod(p, SimTime(3_000), Some(Watcher::Kubelet(n)));
        assert_eq!(api.pod(p).removed, Some(SimTime(3_000)));
    }
}
