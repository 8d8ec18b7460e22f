//! The Job controller (`pkg/controller/job`): keeps `parallelism` pods running until
//! `completions` have succeeded; counts failures (a pod that failed, or was deleted before it
//! succeeded) against `backoffLimit` with the pod-failure back-off between replacements; ends
//! the Job Complete or Failed (BackoffLimitExceeded, DeadlineExceeded) with upstream's events.

use super::{BURST_REPLICAS, WorkQueue, create_owned_pod, delete_owned_pod};
use crate::api::events::{ObjRef, Source};
use crate::api::*;
use crate::apiserver::Watcher;
use crate::runtime::{Ctx, Event};
use crate::sim::SimTime;

/// `DefaultJobPodFailureBackOff`: the first replacement after a failure waits 10 s.
pub const DEFAULT_JOB_POD_FAILURE_BACKOFF_MS: u64 = 10_000;
/// `MaxJobPodFailureBackOff`: 10 minutes since v1.27 (`MaxJobBackOff`, 360 s, before).
pub const MAX_JOB_POD_FAILURE_BACKOFF_MS: u64 = 600_000;
pub const MAX_JOB_POD_FAILURE_BACKOFF_MS_BEFORE_1_27: u64 = 360_000;
/// `syncJobBatchPeriod`: pod changes reach a Job's sync at most once a second.
pub const SYNC_JOB_BATCH_PERIOD_MS: u64 = 1_000;
/// The labels upstream puts on a Job's pods.
pub const JOB_NAME_LABEL: &str = "batch.kubernetes.io/job-name";
pub const LEGACY_JOB_NAME_LABEL: &str = "job-name";

#[derive(Clone, Copy, Default)]
struct JobState {
    /// The back-off record: failures since the last success, and when the last one happened.
    failures_after_success: u32,
    last_failure: SimTime,
    /// A batched sync is already pending.
    batched: bool,
    /// The `activeDeadlineSeconds` timer is set.
    deadline_armed: bool,
}

#[derive(Default)]
pub struct JobController {
    queue: WorkQueue,
    jobs: Vec<JobState>,
    /// Per pod: bit 0 = its success was counted, bit 1 = its failure was counted.
    counted: Vec<u8>,
    /// Per Job: the pods it created. Upstream's tracking finalizer keeps a Job's pod in the
    /// API until the Job counted it; keeping the list here has the same effect (a pod the
    /// garbage collector removed right after it finished is still counted).
    owned: Vec<Vec<PodId>>,
}

impl JobController {
    pub fn on_watch(&mut self, obj: ObjRef, ctx: &mut Ctx) {
        match obj {
            ObjRef::Job(j) => self.queue.add(j.0, ctx, Event::JobWork),
            ObjRef::Pod(p) => {
                let Some(Owner::Job(j)) = ctx.api.pod(p).owner else { return };
                let st = self.state(j);
                if !st.batched {
                    st.batched = true;
                    ctx.after(SYNC_JOB_BATCH_PERIOD_MS, Event::JobSync(j));
                }
            }
            _ => {}
        }
    }

    /// A timer of this Job fired (the batch period, a back-off or the active deadline).
    pub fn on_timer(&mut self, j: JobId, ctx: &mut Ctx) {
        self.state(j).batched = false;
        self.queue.add(j.0, ctx, Event::JobWork);
    }

    pub fn work(&mut self, ctx: &mut Ctx) {
        if let Some(k) = self.queue.pop() {
            self.sync(JobId(k), ctx);
        }
        self.queue.done(ctx, Event::JobWork);
    }

    fn state(&mut self, j: JobId) -> &mut JobState {
        if self.jobs.len() <= j.idx() {
            self.jobs.resize(j.idx() + 1, JobState::default());
        }
        &mut self.jobs[j.idx()]
    }

    fn sync(&mut self, id: JobId, ctx: &mut Ctx) {
        self.state(id);
        let job = &ctx.api.jobs[id.idx()];
        if job.status.condition.is_some() {
            return;
        }
        let now = ctx.now;
        let mut status = job.status;
        let start = *status.start.get_or_insert(now);
        let (completions, parallelism, backoff_limit, deadline) =
            (job.completions, job.parallelism, job.backoff_limit, job.active_deadline_ms);
        let on_failure = job.template.spec.restart_policy == RestartPolicy::OnFailure;
        if let Some(d) = deadline
            && !self.state(id).deadline_armed
        {
            self.state(id).deadline_armed = true;
            ctx.at(start.plus(d), Event::JobSync(id));
        }
        // Count what finished since the last sync, in creation order.
        let mut active: Vec<PodId> = Vec::new();
        let mut restarts = 0u32;
        status.ready = 0;
        if self.owned.len() <= id.idx() {
            self.owned.resize(id.idx() + 1, Vec::new());
        }
        for &p in &self.owned[id.idx()] {
            let pod = ctx.api.pod(p);
            if self.counted.len() <= p.idx() {
                self.counted.resize(p.idx() + 1, 0);
            }
            let c = &mut self.counted[p.idx()];
            if pod.status.phase == PodPhase::Succeeded {
                if *c == 0 {
                    *c = 1;
                    status.succeeded += 1;
                    self.jobs[id.idx()].failures_after_success = 0;
                }
            } else if pod.status.phase == PodPhase::Failed || pod.deletion.is_some() || pod.removed.is_some() {
                // isPodFailed: a pod deleted before it succeeded counts as failed.
                if *c == 0 {
                    *c = 2;
                    status.failed += 1;
                    let st = &mut self.jobs[id.idx()];
                    st.failures_after_success += 1;
                    let finished = pod.finished_at.or(pod.deletion.map(|d| d.0)).unwrap_or(now);
                    st.last_failure = st.last_failure.max(finished);
                }
            } else {
                active.push(p);
                status.ready += u32::from(pod.status.ready);
                if matches!(pod.status.phase, PodPhase::Pending | PodPhase::Running) {
                    restarts += pod.restarts();
                }
            }
        }
        status.active = active.len() as u32;
        // pastBackoffLimitOnFailure / exceedsBackoffLimit, then the deadline.
        let past_on_failure = if backoff_limit == 0 { restarts > 0 } else { restarts >= backoff_limit };
        let failure = if (on_failure && past_on_failure) || status.failed > backoff_limit {
            Some(("BackoffLimitExceeded", "Job has reached the specified backoff limit"))
        } else if deadline.is_some_and(|d| now.since(start) >= d) {
            Some(("DeadlineExceeded", "Job was active longer than specified deadline"))
        } else {
            None
        };
        let complete = match completions {
            Some(c) => status.succeeded >= c,
            None => status.succeeded > 0 && active.is_empty(),
        };
        if let Some((reason, msg)) = failure {
            self.delete_active(id, &active, ctx);
            status.active = 0;
            status.ready = 0;
            status.condition = Some(JobCondition::Failed(reason));
            ctx.api.update_job(id, Watcher::JobController, |j| j.status = status);
            ctx.cause = ctx.record(
                EventType::Warning,
                reason,
                ObjRef::Job(id),
                None,
                Source::JobController,
                Message::Text(msg.into()),
            );
            return;
        }
        if complete {
            self.delete_active(id, &active, ctx);
            status.active = 0;
            status.ready = 0;
            status.condition = Some(JobCondition::Complete);
            status.completion = Some(now);
            ctx.api.update_job(id, Watcher::JobController, |j| j.status = status);
            ctx.cause = ctx.record(
                EventType::Normal,
                "Completed",
                ObjRef::Job(id),
                None,
                Source::JobController,
                Message::Text("Job completed".into()),
            );
            return;
        }
        // manageJob: how many should run now.
        let want = match completions {
            Some(c) => parallelism.min(c - status.succeeded),
            None if status.succeeded > 0 => status.active,
            None => parallelism,
        };
        if want > status.active {
            let st = self.jobs[id.idx()];
            let ready_at = if st.failures_after_success == 0 {
                now
            } else {
                let max = if ctx.settings.version_before(1, 27) {
                    MAX_JOB_POD_FAILURE_BACKOFF_MS_BEFORE_1_27
                } else {
                    MAX_JOB_POD_FAILURE_BACKOFF_MS
                };
                let shift = (st.failures_after_success - 1).min(20);
                st.last_failure.plus((DEFAULT_JOB_POD_FAILURE_BACKOFF_MS << shift).min(max))
            };
            if ready_at > now {
                ctx.at(ready_at, Event::JobSync(id));
            } else {
                let n = ((want - status.active) as usize).min(BURST_REPLICAS);
                let root = ctx.cause;
                for _ in 0..n {
                    ctx.cause = root;
                    self.create_pod(id, ctx);
                }
                ctx.cause = root;
                status.active += n as u32;
            }
        }
        if ctx.api.jobs[id.idx()].status != status {
            ctx.api.update_job(id, Watcher::JobController, |j| j.status = status);
        }
    }

    fn delete_active(&mut self, id: JobId, active: &[PodId], ctx: &mut Ctx) {
        let root = ctx.cause;
        for &p in active {
            ctx.cause = root;
            // Deleted on purpose: not a failure of the Job.
            self.counted[p.idx()] = 2;
            delete_owned_pod(Owner::Job(id), p, Source::JobController, ctx);
        }
        ctx.cause = root;
    }

    fn create_pod(&mut self, id: JobId, ctx: &mut Ctx) {
        let j = &ctx.api.jobs[id.idx()];
        let (ns, template, base) = (j.namespace.clone(), j.template.clone(), j.name.clone());
        let p =
            create_owned_pod(Owner::Job(id), &ns, &base, template.labels, template.spec, Source::JobController, ctx);
        self.owned[id.idx()].push(p);
    }
}
