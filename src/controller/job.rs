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
/// The Job controller's queue back-off after a failed sync (`DefaultJobApiBackOff`,
/// `MaxJobApiBackOff`): 1 s doubling to 1 minute.
pub const DEFAULT_JOB_API_BACKOFF_MS: u64 = 1_000;
pub const MAX_JOB_API_BACKOFF_MS: u64 = 60_000;
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
    /// Syncs that failed on an API error (a create refused), per Job.
    api_backoff: super::Backoff,
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
        if job.status.condition.is_some() || job.deleted.is_some() {
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
        let (active, restarts) = self.count_pods(id, &mut status, now, ctx);
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
            let event = (EventType::Warning, reason, msg);
            return self.finish(id, &active, status, JobCondition::Failed(reason), event, ctx);
        }
        if complete {
            status.completion = Some(now);
            let event = (EventType::Normal, "Completed", "Job completed");
            return self.finish(id, &active, status, JobCondition::Complete, event, ctx);
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
                let mut created = 0u32;
                for _ in 0..n {
                    ctx.cause = root;
                    if !self.create_pod(id, ctx) {
                        // Refused: the sync fails and the Job is synced again after the
                        // controller's API back-off.
                        let delay = self.api_backoff.next(id.0, DEFAULT_JOB_API_BACKOFF_MS, MAX_JOB_API_BACKOFF_MS);
                        ctx.after(delay, Event::JobSync(id));
                        break;
                    }
                    created += 1;
                }
                if created as usize == n {
                    self.api_backoff.forget(id.0);
                }
                ctx.cause = root;
                status.active += created;
            }
        }
        if ctx.api.jobs[id.idx()].status != status {
            ctx.api.update_job(id, Watcher::JobController, |j| j.status = status);
        }
    }

    /// Count the pods that finished since the last sync (in creation order) into `status`;
    /// the active ones and their containers' restarts.
    fn count_pods(&mut self, id: JobId, status: &mut JobStatus, now: SimTime, ctx: &Ctx) -> (Vec<PodId>, u32) {
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
        (active, restarts)
    }

    /// The Job is over: its active pods deleted, the condition set, the event recorded.
    fn finish(
        &mut self,
        id: JobId,
        active: &[PodId],
        mut status: JobStatus,
        condition: JobCondition,
        (kind, reason, msg): (EventType, &'static str, &'static str),
        ctx: &mut Ctx,
    ) {
        self.delete_active(id, active, ctx);
        status.active = 0;
        status.ready = 0;
        status.condition = Some(condition);
        ctx.api.update_job(id, Watcher::JobController, |j| j.status = status);
        ctx.cause = ctx.record(kind, reason, ObjRef::Job(id), None, Source::JobController, Message::Text(msg.into()));
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

    /// False: the API server refused the pod.
    fn create_pod(&mut self, id: JobId, ctx: &mut Ctx) -> bool {
        let j = &ctx.api.jobs[id.idx()];
        let (ns, template, base) = (j.namespace.clone(), j.template.clone(), j.name.clone());
        let made =
            create_owned_pod(Owner::Job(id), &ns, &base, template.labels, template.spec, Source::JobController, ctx);
        if let Some(p) = made {
            self.owned[id.idx()].push(p);
        }
        made.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::test_pod_spec;
    use crate::runtime::testing::{Harness, template};

    /// A Job `batch` (pods with restartPolicy Never), created now.
    fn batch(h: &mut Harness, completions: u32, parallelism: u32, backoff_limit: u32, deadline: Option<u64>) -> JobId {
        let mut spec = test_pod_spec();
        spec.restart_policy = RestartPolicy::Never;
        h.handle(|ctx| {
            ctx.api.create_job(Job {
                owner: None,
                deleted: None,
                namespace: "default".into(),
                name: "batch".into(),
                labels: Default::default(),
                template: template(&[("app", "batch")], spec),
                completions: Some(completions),
                parallelism,
                backoff_limit,
                active_deadline_ms: deadline,
                created: ctx.now,
                resource_version: 0,
                status: JobStatus::default(),
            })
        })
    }

    /// Deliver the controller's watches, work items and timers due up to `t` ms.
    fn run(h: &mut Harness, jc: &mut JobController, t: u64) {
        h.run_until(SimTime(t), |ev, ctx| match ev {
            Event::JobWork => jc.work(ctx),
            Event::JobSync(j) => jc.on_timer(j, ctx),
            Event::Watch(n) if n.to == Watcher::JobController => jc.on_watch(n.obj, ctx),
            _ => {}
        });
    }

    /// The Job's pods in creation order, with the time each was created.
    fn created(h: &Harness, j: JobId) -> Vec<(u64, PodId)> {
        h.events_of(ObjRef::Job(j))
            .into_iter()
            .filter_map(|e| match e.message {
                Message::CreatedPod { pod } if e.reason == "SuccessfulCreate" => Some((e.time.0, pod)),
                _ => None,
            })
            .collect()
    }

    /// The kubelet of node `n` runs the pod and reports it finished with `phase` now.
    fn finish(h: &mut Harness, p: PodId, n: NodeId, phase: PodPhase) {
        h.bind(p, n);
        h.set_pod_status(p, phase, false);
    }

    #[test]
    fn a_job_runs_parallelism_pods_until_its_completions_succeed() {
        let mut h = Harness::new();
        let n = h.add_node("n", 4_000, 1 << 33);
        let mut jc = JobController::default();
        let j = batch(&mut h, 3, 2, 6, None);
        run(&mut h, &mut jc, 1_000);
        // parallelism 2 of 3 completions, at the first sync (one watch latency after creation).
        let first: Vec<u64> = created(&h, j).iter().map(|c| c.0).collect();
        assert_eq!(first, [10, 10]);
        let st = h.api.jobs[j.idx()].status;
        assert_eq!((st.active, st.succeeded, st.start), (2, 0, Some(SimTime(10))));
        let pods = h.live_pods_of(Owner::Job(j));
        assert_eq!(h.api.pod(pods[0]).labels.get("app"), Some("batch"));
        run(&mut h, &mut jc, 5_000);
        finish(&mut h, pods[0], n, PodPhase::Succeeded);
        h.bind(pods[1], n);
        // The success is seen 10 ms after the write and synced after the 1 s batch period.
        run(&mut h, &mut jc, 5_000 + 10 + SYNC_JOB_BATCH_PERIOD_MS - 1);
        assert_eq!(created(&h, j).len(), 2, "pod updates are batched for a second");
        run(&mut h, &mut jc, 8_000);
        // 2 remain to complete and one runs: one more pod.
        assert_eq!(created(&h, j)[2].0, 6_010);
        let st = h.api.jobs[j.idx()].status;
        assert_eq!((st.active, st.succeeded, st.condition), (2, 1, None));
        let third = created(&h, j)[2].1;
        h.set_pod_status(pods[1], PodPhase::Succeeded, false);
        finish(&mut h, third, n, PodPhase::Succeeded);
        run(&mut h, &mut jc, 10_000);
        let st = h.api.jobs[j.idx()].status;
        assert_eq!((st.active, st.succeeded, st.failed), (0, 3, 0));
        assert_eq!(st.condition, Some(JobCondition::Complete));
        assert_eq!(st.completion, Some(SimTime(9_010)));
        let done = h.event("Completed").expect("the Job completed");
        assert_eq!((done.time, done.object, done.kind), (SimTime(9_010), ObjRef::Job(j), EventType::Normal));
        assert_eq!(created(&h, j).len(), 3);
    }

    #[test]
    fn a_job_waits_10s_then_20s_before_replacing_failed_pods() {
        let mut h = Harness::new();
        let n = h.add_node("n", 4_000, 1 << 33);
        let mut jc = JobController::default();
        let j = batch(&mut h, 1, 1, 6, None);
        run(&mut h, &mut jc, 1_000);
        let p = created(&h, j)[0].1;
        finish(&mut h, p, n, PodPhase::Failed);
        // The first failure (at 1 s) delays the replacement by 10 s from the failure.
        run(&mut h, &mut jc, 10_999);
        assert_eq!(created(&h, j).len(), 1);
        run(&mut h, &mut jc, 12_000);
        assert_eq!(created(&h, j)[1].0, 11_000);
        assert_eq!(h.api.jobs[j.idx()].status.failed, 1);
        let p = created(&h, j)[1].1;
        finish(&mut h, p, n, PodPhase::Failed);
        // The second (at 12 s) doubles it: 12 s + 20 s.
        run(&mut h, &mut jc, 31_999);
        assert_eq!(created(&h, j).len(), 2);
        run(&mut h, &mut jc, 40_000);
        let times: Vec<u64> = created(&h, j).iter().map(|c| c.0).collect();
        assert_eq!(times, [10, 11_000, 32_000]);
        let st = h.api.jobs[j.idx()].status;
        assert_eq!((st.active, st.failed, st.condition), (1, 2, None));
    }

    #[test]
    fn a_job_that_fails_more_than_its_backoff_limit_fails_with_backoff_limit_exceeded() {
        let mut h = Harness::new();
        let n = h.add_node("n", 4_000, 1 << 33);
        let mut jc = JobController::default();
        let j = batch(&mut h, 1, 1, 1, None);
        run(&mut h, &mut jc, 1_000);
        let p = created(&h, j)[0].1;
        finish(&mut h, p, n, PodPhase::Failed);
        run(&mut h, &mut jc, 12_000);
        // One failure is within backoffLimit 1: replaced after the 10 s back-off.
        assert_eq!(created(&h, j).len(), 2);
        run(&mut h, &mut jc, 20_000);
        let p = created(&h, j)[1].1;
        finish(&mut h, p, n, PodPhase::Failed);
        run(&mut h, &mut jc, 100_000);
        // The second failure (at 20 s, seen 10 ms later, synced after the batch period) exceeds it.
        let st = h.api.jobs[j.idx()].status;
        assert_eq!(st.condition, Some(JobCondition::Failed("BackoffLimitExceeded")));
        assert_eq!((st.active, st.failed, st.succeeded, st.completion), (0, 2, 0, None));
        let e = h.event("BackoffLimitExceeded").expect("the Job failed");
        assert_eq!((e.time, e.kind, e.object), (SimTime(21_010), EventType::Warning, ObjRef::Job(j)));
        assert_eq!(e.message, Message::Text("Job has reached the specified backoff limit".into()));
        assert_eq!(created(&h, j).len(), 2, "a failed Job creates no more pods");
    }

    #[test]
    fn a_job_past_its_active_deadline_fails_and_deletes_its_running_pods() {
        let mut h = Harness::new();
        let n = h.add_node("n", 4_000, 1 << 33);
        let mut jc = JobController::default();
        let j = batch(&mut h, 2, 2, 6, Some(30_000));
        run(&mut h, &mut jc, 1_000);
        let pods = h.live_pods_of(Owner::Job(j));
        for &p in &pods {
            h.bind(p, n);
            h.set_pod_status(p, PodPhase::Running, true);
        }
        // activeDeadlineSeconds counts from status.startTime (the first sync, at 10 ms).
        run(&mut h, &mut jc, 30_009);
        assert_eq!(h.api.jobs[j.idx()].status.condition, None);
        run(&mut h, &mut jc, 40_000);
        assert_eq!(h.api.jobs[j.idx()].status.condition, Some(JobCondition::Failed("DeadlineExceeded")));
        let e = h.event("DeadlineExceeded").expect("the deadline passed");
        assert_eq!((e.time, e.kind), (SimTime(30_010), EventType::Warning));
        assert_eq!(e.message, Message::Text("Job was active longer than specified deadline".into()));
        let deleted: Vec<Message> = h
            .events_of(ObjRef::Job(j))
            .into_iter()
            .filter(|e| e.reason == "SuccessfulDelete" && e.time == SimTime(30_010))
            .map(|e| e.message.clone())
            .collect();
        assert_eq!(deleted, pods.iter().map(|&pod| Message::DeletedPod { pod }).collect::<Vec<_>>());
        for &p in &pods {
            assert_eq!(h.api.pod(p).deletion, Some((SimTime(30_010), 30_000)), "deleted with their grace period");
        }
        assert_eq!(h.api.jobs[j.idx()].status.active, 0);
    }
}
