//! The eviction subresource (`pkg/registry/core/pod/storage/eviction.go`): POST
//! `pods/NAME/eviction` deletes the pod with its grace period unless a PodDisruptionBudget
//! forbids it (429 while the budget allows no disruption).

use super::ApiServer;
use crate::api::*;
use crate::sim::SimTime;

/// The 429 the eviction subresource answers while a budget allows no disruption.
pub const EVICTION_REFUSED: &str = "Cannot evict pod as it would violate the pod's disruption budget.";

/// Why an eviction was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EvictionError {
    /// 429 TooManyRequests: the budget allows no disruption now.
    TooManyRequests,
    /// 500: more than one budget selects the pod.
    MultipleBudgets,
}

impl EvictionError {
    pub fn message(&self) -> &'static str {
        match self {
            EvictionError::TooManyRequests => EVICTION_REFUSED,
            EvictionError::MultipleBudgets => {
                "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."
            }
        }
    }
}

impl ApiServer {
    /// POST `pods/NAME/eviction`: delete the pod with its grace period if no budget forbids it.
    /// Ok(true) when the pod is (being) deleted, Ok(false) when it was already gone.
    pub fn evict(&mut self, p: PodId, grace_ms: Option<u64>, now: SimTime) -> Result<bool, EvictionError> {
        let pod = self.pod(p);
        if pod.removed.is_some() {
            return Ok(false);
        }
        let budgets: Vec<usize> = (0..self.pdbs.len()).filter(|&b| self.pdbs[b].selects(pod)).collect();
        // A pod that is terminal or already being deleted needs no budget.
        let exempt = pod.status.phase.is_terminal() || pod.deletion.is_some();
        if !exempt && !budgets.is_empty() {
            if budgets.len() > 1 {
                return Err(EvictionError::MultipleBudgets);
            }
            let b = &self.pdbs[budgets[0]];
            // unhealthyPodEvictionPolicy IfHealthyBudget: a pod that is not ready may go while
            // the budget is met.
            let ok = if pod.status.ready {
                b.status.disruptions_allowed > 0
            } else {
                b.status.current_healthy >= b.status.desired_healthy
            };
            if !ok {
                return Err(EvictionError::TooManyRequests);
            }
            if pod.status.ready {
                self.update_pdb(PdbId(budgets[0] as u32), |b| {
                    b.status.disruptions_allowed -= 1;
                    b.disrupted.insert(p.0, now);
                });
            }
        }
        let grace = grace_ms.unwrap_or(self.pod(p).spec.termination_grace_ms);
        self.delete_pod(p, grace, now);
        Ok(true)
    }
}
