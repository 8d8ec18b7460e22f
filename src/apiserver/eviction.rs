//! The eviction subresource (`pkg/registry/core/pod/storage/eviction.go`): POST
//! `pods/NAME/eviction` deletes the pod with its grace period unless a PodDisruptionBudget
//! forbids it (429 while the budget allows no disruption).

use super::ApiServer;
use crate::api::*;
use crate::sim::SimTime;

/// The 429 the eviction subresource answers while a budget allows no disruption.
pub const EVICTION_REFUSED: &str = "Cannot evict pod as it would violate the pod's disruption budget.";

/// `MaxDisruptedPodSize`: above this many evictions not yet confirmed by the disruption
/// controller, the eviction subresource refuses more (403).
pub const MAX_DISRUPTED_POD_SIZE: usize = 2000;

/// Why an eviction was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EvictionError {
    /// 429 TooManyRequests: the budget allows no disruption now. Clients retry. The budget and
    /// its health at the refusal, for the response's `DisruptionBudget` cause.
    TooManyRequests { budget: PdbId, desired: u32, current: u32 },
    /// 500: more than one budget selects the pod.
    MultipleBudgets,
    /// 403 Forbidden, with the API server's message (too many unconfirmed evictions).
    Forbidden(String),
}

impl EvictionError {
    pub fn message(&self) -> &str {
        match self {
            EvictionError::TooManyRequests { .. } => EVICTION_REFUSED,
            EvictionError::MultipleBudgets => {
                "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."
            }
            EvictionError::Forbidden(m) => m,
        }
    }

    /// Whether a client (kubectl drain) retries: only a 429.
    pub fn retryable(&self) -> bool {
        matches!(self, EvictionError::TooManyRequests { .. })
    }

    /// The message and, for a 429, the `DisruptionBudget` cause the response carries
    /// (`checkAndDecrement`'s "The disruption budget NAME needs N healthy pods and has M
    /// currently"): the arithmetic behind the refusal.
    pub fn explain(&self, api: &ApiServer) -> String {
        match self {
            EvictionError::TooManyRequests { budget, desired, current } => format!(
                "{EVICTION_REFUSED} (DisruptionBudget: The disruption budget {} needs {desired} healthy pods and has {current} currently)",
                api.pdbs[budget.idx()].name
            ),
            e => e.message().to_string(),
        }
    }
}

impl ApiServer {
    /// POST `pods/NAME/eviction`: delete the pod with its grace period unless its budget forbids
    /// it. Ok(true) when the pod is (being) deleted, Ok(false) when it was already gone.
    ///
    /// As upstream: a pod that is Pending, Succeeded, Failed or already terminating is deleted
    /// without looking at budgets (`canIgnorePDB`); more than one budget is a 500; an unready
    /// pod goes when the budget is met (`IfHealthyBudget`: currentHealthy >= desiredHealthy > 0)
    /// without using up a disruption; otherwise `checkAndDecrement` (403 past
    /// `MAX_DISRUPTED_POD_SIZE` unconfirmed evictions, 429 while none is allowed).
    pub fn evict(&mut self, p: PodId, grace_ms: Option<u64>, now: SimTime) -> Result<bool, EvictionError> {
        let pod = self.pod(p);
        if pod.removed.is_some() {
            return Ok(false);
        }
        let ignore_budgets = matches!(pod.status.phase, PodPhase::Pending | PodPhase::Succeeded | PodPhase::Failed)
            || pod.deletion.is_some();
        if !ignore_budgets {
            self.check_budget(p, now)?;
        }
        let grace = grace_ms.unwrap_or(self.pod(p).spec.termination_grace_ms);
        self.set_disruption_target(p, crate::api::conditions::CondReason::EvictionByEvictionAPI);
        self.delete_pod(p, grace, now);
        Ok(true)
    }

    /// The budgets that select pod `p`.
    pub fn budgets_of(&self, p: PodId) -> Vec<PdbId> {
        let pod = self.pod(p);
        (0..self.pdbs.len() as u32).map(PdbId).filter(|b| self.pdbs[b.idx()].selects(pod)).collect()
    }

    /// The budget part of an eviction of a Running (or Unknown) pod: Ok when it may be deleted (a
    /// disruption used up and noted where upstream's `checkAndDecrement` does so).
    fn check_budget(&mut self, p: PodId, now: SimTime) -> Result<(), EvictionError> {
        let pod = self.pod(p);
        let id = match self.budgets_of(p)[..] {
            [] => return Ok(()),
            [b] => b,
            _ => return Err(EvictionError::MultipleBudgets),
        };
        let b = &self.pdbs[id.idx()];
        if !pod.status.ready && b.status.current_healthy >= b.status.desired_healthy && b.status.desired_healthy > 0 {
            return Ok(());
        }
        if b.disrupted.len() > MAX_DISRUPTED_POD_SIZE {
            return Err(EvictionError::Forbidden(format!(
                "poddisruptionbudgets.policy {:?} is forbidden: DisruptedPods map too big - too many evictions not confirmed by PDB controller",
                b.name
            )));
        }
        if b.status.disruptions_allowed == 0 {
            let (desired, current) = (b.status.desired_healthy, b.status.current_healthy);
            return Err(EvictionError::TooManyRequests { budget: id, desired, current });
        }
        self.update_pdb(id, |b| {
            b.status.disruptions_allowed -= 1;
            b.disrupted.insert(p.0, now);
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::workloads::PdbStatus;
    use crate::apiserver::Watcher;
    use std::sync::Arc;

    /// The store, with the status writes a kubelet would make.
    struct Store {
        api: ApiServer,
    }

    impl Store {
        fn now(&self) -> SimTime {
            SimTime(1_000)
        }
        fn set_pod_status(&mut self, p: PodId, phase: PodPhase, ready: bool) {
            self.api.update_pod_status(p, Watcher::Kubelet(NodeId(0)), |x| {
                x.status.phase = phase;
                x.status.ready = ready;
            });
        }
    }

    /// A budget over `app=web` with this status, and `n` Running pods of `app=web` on a node.
    fn setup(status: PdbStatus, n: usize) -> (Store, PdbId, Vec<PodId>) {
        let mut h = Store { api: ApiServer::new() };
        let node = h.api.create_node(crate::api::node::test_node("n", &[]));
        let web = Labels::from_pairs(vec![("app".into(), "web".into())]);
        let b = h.api.create_pdb(PodDisruptionBudget {
            namespace: "default".into(),
            name: "web".into(),
            labels: Default::default(),
            selector: LabelSelector { match_labels: web.0.clone(), match_expressions: vec![] },
            min_available: Some(IntOrPercent::Int(status.desired_healthy)),
            max_unavailable: None,
            resource_version: 0,
            status,
            disrupted: Default::default(),
            unblocked_by: 0,
        });
        let pods = (0..n)
            .map(|i| {
                let spec = Arc::new(crate::api::pod::test_pod_spec());
                let pod = new_pod("default".into(), format!("web-{i}"), Arc::new(web.clone()), None, spec, h.now());
                let p = h.api.create_pod(pod);
                h.api.bind_pod(p, node, h.now(), None);
                h.set_pod_status(p, PodPhase::Running, true);
                p
            })
            .collect();
        (h, b, pods)
    }

    fn status(current: u32, desired: u32, allowed: u32) -> PdbStatus {
        PdbStatus {
            current_healthy: current,
            desired_healthy: desired,
            expected_pods: current,
            disruptions_allowed: allowed,
        }
    }

    #[test]
    fn pending_succeeded_failed_and_terminating_pods_are_evicted_without_their_budget() {
        // canIgnorePDB: the budget allows nothing, yet these go, and use up no disruption.
        let (mut h, b, pods) = setup(status(0, 4, 0), 4);
        let now = h.now();
        for (p, phase) in pods.iter().zip([PodPhase::Pending, PodPhase::Succeeded, PodPhase::Failed]) {
            h.set_pod_status(*p, phase, false);
            assert_eq!(h.api.evict(*p, None, now), Ok(true));
            assert!(h.api.pod(*p).deletion.is_some());
        }
        h.api.delete_pod(pods[3], 30_000, now);
        assert_eq!(h.api.evict(pods[3], None, now), Ok(true));
        assert!(h.api.pdbs[b.idx()].disrupted.is_empty());
    }

    #[test]
    fn an_unready_running_pod_goes_free_only_while_the_budget_is_met_and_wants_some() {
        // IfHealthyBudget: currentHealthy >= desiredHealthy > 0 lets an unready pod go without
        // using up a disruption; with desiredHealthy 0 it goes through checkAndDecrement.
        let (mut h, b, pods) = setup(status(2, 2, 0), 3);
        h.set_pod_status(pods[0], PodPhase::Running, false);
        let now = h.now();
        assert_eq!(h.api.evict(pods[0], None, now), Ok(true));
        assert_eq!(h.api.pdbs[b.idx()].status.disruptions_allowed, 0);
        let (mut h, b, pods) = setup(status(1, 0, 1), 2);
        h.set_pod_status(pods[0], PodPhase::Running, false);
        assert_eq!(h.api.evict(pods[0], None, now), Ok(true));
        assert_eq!(h.api.pdbs[b.idx()].status.disruptions_allowed, 0, "decremented");
        assert!(h.api.pdbs[b.idx()].disrupted.contains_key(&pods[0].0));
        h.set_pod_status(pods[1], PodPhase::Running, false);
        let e = h.api.evict(pods[1], None, now).unwrap_err();
        assert_eq!(e, EvictionError::TooManyRequests { budget: b, desired: 0, current: 1 });
        assert_eq!(
            e.explain(&h.api),
            "Cannot evict pod as it would violate the pod's disruption budget. (DisruptionBudget: The disruption \
             budget web needs 0 healthy pods and has 1 currently)"
        );
        assert!(e.retryable());
    }

    #[test]
    fn too_many_unconfirmed_evictions_are_forbidden_and_not_retried() {
        let (mut h, b, pods) = setup(status(5, 1, 4), 1);
        let now = h.now();
        h.api.update_pdb(b, |b| {
            for i in 0..=MAX_DISRUPTED_POD_SIZE as u32 {
                b.disrupted.insert(10_000 + i, now);
            }
        });
        let e = h.api.evict(pods[0], None, now).unwrap_err();
        assert_eq!(
            e.message(),
            "poddisruptionbudgets.policy \"web\" is forbidden: DisruptedPods map too big - too many evictions not confirmed by PDB controller"
        );
        assert!(!e.retryable());
        assert!(h.api.pod(pods[0]).deletion.is_none());
    }
}
