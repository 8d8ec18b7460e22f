//! Run-level metrics (summary.csv and the end-of-run text). Definitions are in the README.

use crate::cluster::{Cluster, RunOutcome};
use crate::sim::SimTime;

/// One workload's outcome.
#[derive(Clone, Debug)]
pub struct WorkloadSummary {
    /// `deployment/web` or `replicaset/name`.
    pub name: String,
    pub desired: u32,
    pub ready: u32,
    /// Fraction of time with ready >= desired, counted from the workload's creation (its
    /// first rollout is an outage too).
    pub availability: f64,
    /// Longest stretch with ready < desired since the workload's creation, in ms.
    pub longest_outage_ms: u64,
    /// All the time with ready < desired since the workload's creation, in ms.
    pub below_desired_ms: u64,
    /// Per fault, ms from the fault to ready >= desired again (None: never recovered).
    pub recovery_ms: Vec<Option<u64>>,
    /// When a PodDisruptionBudget selects the workload's pods: its name, the fraction of the
    /// same window with ready >= the budget's minimum healthy count, and the ms below it.
    pub pdb_availability: Option<(String, f64, u64)>,
}

#[derive(Clone, Debug)]
pub struct Summary {
    pub scenario: String,
    pub variant: String,
    pub seed: u64,
    pub duration: SimTime,
    /// False when `--max-events` stopped the run before `spec.duration`.
    pub complete: bool,
    pub events_processed: u64,
    pub nodes: usize,
    pub pods_created: usize,
    pub restarts: u64,
    pub evictions: u64,
    pub failed_scheduling: u64,
    /// Pod startup latency (created -> Ready) excluding image pulls (the SLO's definition).
    pub startup_ms: Option<[u64; 3]>,
    /// The same including image pulls.
    pub startup_with_pulls_ms: Option<[u64; 3]>,
    pub workloads: Vec<WorkloadSummary>,
    pub faults: Vec<(SimTime, &'static str)>,
}

/// Nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[u64], p: u64) -> u64 {
    let n = sorted.len() as u64;
    let rank = (p * n).div_ceil(100).max(1);
    sorted[(rank - 1) as usize]
}

fn pcts(mut v: Vec<u64>) -> Option<[u64; 3]> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    Some([percentile(&v, 50), percentile(&v, 90), percentile(&v, 99)])
}

impl Summary {
    pub fn compute(c: &Cluster, out: &RunOutcome) -> Summary {
        let api = &c.api;
        let end = out.end;
        let mut slo = Vec::new();
        let mut with_pulls = Vec::new();
        for p in &api.pods {
            if let Some(r) = p.ready_at {
                let total = r.since(p.created);
                with_pulls.push(total);
                slo.push(total.saturating_sub(p.pull_ms));
            }
        }
        let restarts = api.pods.iter().map(|p| p.restarts() as u64).sum();
        // Node-pressure evictions by kubelets, taint-based evictions by the node controller,
        // preemptions by the scheduler and evictions through the API (a drain's).
        let evictions = c.rec.events.iter().filter(|e| e.is_eviction()).count() as u64;
        let workloads = c
            .rec
            .workload_changes
            .iter()
            .map(|(w, log)| {
                let (name, _, desired, st) = api.workload(*w);
                let ready = st.ready;
                let created = created_of(api, *w);
                let Window { availability, longest_ms: longest_outage_ms, below_ms: below_desired_ms } =
                    availability(log, created, end);
                let recovery_ms = c.rec.faults.iter().map(|&(t, _)| recovery(log, t)).collect();
                let pdb_availability = budget_of(api, *w).map(|b| {
                    let pdb = &api.pdbs[b];
                    // The budget's minimum healthy count for the desired replicas of the moment.
                    let min = |desired: u32| match (pdb.min_available, pdb.max_unavailable) {
                        (Some(m), _) => m.scaled(desired, true),
                        (None, Some(u)) => desired.saturating_sub(u.scaled(desired, true)),
                        (None, None) => desired,
                    };
                    let relative: Vec<(SimTime, u32, u32)> = log.iter().map(|&(t, d, r)| (t, min(d), r)).collect();
                    let w = self::availability(&relative, created, end);
                    (pdb.name.clone(), w.availability, w.below_ms)
                });
                WorkloadSummary {
                    name,
                    desired,
                    ready,
                    availability,
                    longest_outage_ms,
                    below_desired_ms,
                    recovery_ms,
                    pdb_availability,
                }
            })
            .collect();
        Summary {
            scenario: c.scenario.name.clone(),
            variant: String::new(),
            seed: c.scenario.seed,
            duration: end,
            complete: out.complete,
            events_processed: out.events_processed,
            nodes: api.nodes.len(),
            pods_created: api.pods.len(),
            restarts,
            evictions,
            failed_scheduling: c.rec.failed_scheduling,
            startup_ms: pcts(slo),
            startup_with_pulls_ms: pcts(with_pulls),
            workloads,
            faults: c.rec.faults.clone(),
        }
    }

    /// The lowest availability of any workload (1 when there are none).
    pub fn availability(&self) -> f64 {
        self.workloads.iter().map(|w| w.availability).fold(1.0, f64::min)
    }

    /// The longest time to recover after any fault, if every workload recovered.
    pub fn recovery_ms(&self) -> Option<u64> {
        let mut worst = 0;
        for w in &self.workloads {
            for r in &w.recovery_ms {
                worst = worst.max((*r)?);
            }
        }
        Some(worst)
    }
}

/// The PodDisruptionBudget (index) in the workload's namespace whose selector matches its
/// pod template's labels, if any.
fn budget_of(api: &crate::apiserver::ApiServer, w: crate::api::WorkloadRef) -> Option<usize> {
    use crate::api::WorkloadRef as W;
    let (ns, labels) = match w {
        W::Deployment(d) => (&api.deployments[d.idx()].namespace, &api.deployments[d.idx()].template.labels),
        W::ReplicaSet(r) => (&api.replicasets[r.idx()].namespace, &api.replicasets[r.idx()].template.labels),
        W::StatefulSet(x) => (&api.statefulsets[x.idx()].namespace, &api.statefulsets[x.idx()].template.labels),
        W::DaemonSet(d) => (&api.daemonsets[d.idx()].namespace, &api.daemonsets[d.idx()].template.labels),
    };
    api.pdbs.iter().position(|b| *b.namespace == **ns && b.selector.matches(labels))
}

/// When the workload was created: its availability window opens then.
fn created_of(api: &crate::apiserver::ApiServer, w: crate::api::WorkloadRef) -> SimTime {
    use crate::api::WorkloadRef as W;
    match w {
        W::Deployment(d) => api.deployments[d.idx()].created,
        W::ReplicaSet(r) => api.replicasets[r.idx()].created,
        W::StatefulSet(x) => api.statefulsets[x.idx()].created,
        W::DaemonSet(d) => api.daemonsets[d.idx()].created,
    }
}

/// A workload's time below a target, over the window from its creation to the end.
struct Window {
    /// The fraction of the window at or above it.
    availability: f64,
    /// The longest stretch below it, and all the time below it (ms).
    longest_ms: u64,
    below_ms: u64,
}

/// The `Window` from a workload's (time, target, ready) changes: before its first record it
/// had no ready replicas.
fn availability(log: &[(SimTime, u32, u32)], created: SimTime, end: SimTime) -> Window {
    let span = end.since(created);
    if span == 0 {
        return Window { availability: 1.0, longest_ms: 0, below_ms: 0 };
    }
    let mut down = 0u64;
    let mut longest = 0u64;
    let mut down_since: Option<SimTime> = None;
    // Created with its desired count and nothing ready, until its first record.
    let opening = log.first().filter(|f| f.0 > created && f.1 > 0).map(|f| (created, f.1, 0));
    let log: Vec<(SimTime, u32, u32)> = opening.into_iter().chain(log.iter().copied()).collect();
    for (i, &(t, d, r)) in log.iter().enumerate() {
        let next = log.get(i + 1).map_or(end, |x| x.0).min(end);
        if r < d {
            let s = *down_since.get_or_insert(t);
            down += next.since(t);
            longest = longest.max(next.since(s));
        } else {
            down_since = None;
        }
    }
    Window { availability: (span - down) as f64 / span as f64, longest_ms: longest, below_ms: down }
}

/// Time from `fault` until the workload is back at ready >= desired; 0 if it never dipped.
pub fn recovery(log: &[(SimTime, u32, u32)], fault: SimTime) -> Option<u64> {
    let at_fault = log.iter().rev().find(|x| x.0 <= fault);
    let mut dipped = at_fault.is_some_and(|&(_, d, r)| r < d);
    for &(t, d, r) in log.iter().filter(|x| x.0 > fault) {
        if r < d {
            dipped = true;
        } else if dipped {
            return Some(t.since(fault));
        }
    }
    if dipped { None } else { Some(0) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50), 50);
        assert_eq!(percentile(&v, 90), 90);
        assert_eq!(percentile(&v, 99), 99);
        assert_eq!(percentile(&[7], 99), 7);
    }

    #[test]
    fn availability_and_recovery() {
        let s = SimTime::from_secs;
        // Created at 0, ready at 10s, down 100s..130s, back up: the first rollout's 10s count.
        let log = vec![(s(0), 3, 0), (s(10), 3, 3), (s(100), 3, 2), (s(130), 3, 3)];
        let w = availability(&log, s(0), s(210));
        assert!((w.availability - 170.0 / 210.0).abs() < 1e-9);
        // Below desired 10 s at the start and 30 s later: 40 s in all, 30 s at the longest.
        assert_eq!((w.longest_ms, w.below_ms), (30_000, 40_000));
        // Its first record 10 ms after creation: unavailable from the creation.
        let late = vec![(SimTime(10), 2, 0), (s(300), 2, 2)];
        let w = availability(&late, SimTime::ZERO, s(600));
        assert_eq!((w.availability, w.longest_ms, w.below_ms), (0.5, 300_000, 300_000));
        // Never ready: the whole window is one outage.
        let w = availability(&[(s(0), 1, 0)], s(0), s(60));
        assert_eq!((w.availability, w.longest_ms, w.below_ms), (0.0, 60_000, 60_000));
        assert_eq!(recovery(&log, s(99)), Some(31_000));
        assert_eq!(recovery(&log, s(150)), Some(0));
        assert_eq!(recovery(&[(s(0), 3, 3), (s(5), 3, 1)], s(4)), None);
    }
}
