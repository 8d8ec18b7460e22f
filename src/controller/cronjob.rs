//! The CronJob controller (v2, `cronjob_controllerv2.go`): on each sync, finished Jobs are
//! noted and trimmed to the history limits, then the most recent unmet schedule time (bounded by
//! `startingDeadlineSeconds`, "too many missed start times" past 100) starts a Job named
//! `NAME-<minutes since the epoch>` as the concurrency policy allows; the next sync is queued for
//! the next schedule time plus 100 ms. Times are on the virtual calendar (UTC).

use super::WorkQueue;
use crate::api::cron::{Schedule, VIRTUAL_EPOCH_UNIX_SECONDS};
use crate::api::events::{ObjRef, Source};
use crate::api::*;
use crate::runtime::{Ctx, Event};
use crate::sim::SimTime;

/// `nextScheduleDelta`: the requeue lands this long after the schedule time.
pub const NEXT_SCHEDULE_DELTA_MS: u64 = 100;
/// More missed start times than this record `TooManyMissedTimes`.
pub const MAX_MISSED_START_TIMES: i64 = 100;

/// Virtual time -> calendar seconds (whole seconds, as `metav1.Time`).
pub fn calendar(t: SimTime) -> i64 {
    VIRTUAL_EPOCH_UNIX_SECONDS + (t.as_millis() / 1000) as i64
}

/// Calendar seconds -> virtual time (never before 0).
fn virtual_ms(unix: i64) -> u64 {
    ((unix - VIRTUAL_EPOCH_UNIX_SECONDS).max(0) as u64) * 1000
}

/// How many schedule times were missed (`missedSchedulesType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missed {
    None,
    Few,
    Many,
}

/// `mostRecentScheduleTime`: (earliest, the most recent schedule time at or before `now`,
/// missed). Err for a schedule whose times are less than a second apart (or never come).
pub fn most_recent(
    s: &Schedule,
    created: i64,
    last: Option<i64>,
    deadline_s: Option<i64>,
    now: i64,
) -> Result<(i64, Option<i64>, Missed), String> {
    let mut earliest = last.unwrap_or(created);
    if let Some(d) = deadline_s
        && now - d > earliest
    {
        earliest = now - d;
    }
    let too_close = || "time difference between two schedules is less than 1 second".to_string();
    let t1 = s.next(earliest).ok_or_else(too_close)?;
    if now < t1 {
        return Ok((earliest, None, Missed::None));
    }
    let t2 = s.next(t1).ok_or_else(too_close)?;
    if now < t2 {
        return Ok((earliest, Some(t1), Missed::None));
    }
    let gap = t2 - t1;
    if gap < 1 {
        return Err(too_close());
    }
    // Upstream's approximation: count by the first gap, then walk from two gaps before.
    let n = (now - t1) / gap + 1;
    let mut recent = None;
    let mut t = s.next(t1 + (n - 2) * gap);
    while let Some(x) = t.filter(|&x| x <= now) {
        recent = Some(x);
        t = s.next(x);
    }
    let missed = if n > MAX_MISSED_START_TIMES { Missed::Many } else { Missed::Few };
    Ok((earliest, recent, missed))
}

/// `nextScheduleTimeDuration` without the delta: when the next sync is due (calendar seconds).
pub fn next_due(s: &Schedule, created: i64, last: Option<i64>, now: i64) -> i64 {
    let base = match most_recent(s, created, last, None, now) {
        Ok((_, Some(t), _)) => t,
        Ok((earliest, None, Missed::None)) => earliest,
        _ => now,
    };
    s.next(base).unwrap_or(i64::MAX / 4)
}

#[derive(Default)]
pub struct CronJobController {
    queue: WorkQueue,
}

impl CronJobController {
    pub fn on_watch(&mut self, obj: ObjRef, ctx: &mut Ctx) {
        let id = match obj {
            ObjRef::CronJob(c) => c,
            ObjRef::Job(j) => match ctx.api.jobs[j.idx()].owner {
                Some(c) => c,
                None => return,
            },
            _ => return,
        };
        self.queue.add(id.0, ctx, Event::CronJobWork);
    }

    /// A requeue timer: sync the CronJob now.
    pub fn on_timer(&mut self, id: CronJobId, ctx: &mut Ctx) {
        self.queue.add(id.0, ctx, Event::CronJobWork);
    }

    pub fn work(&mut self, ctx: &mut Ctx) {
        if let Some(k) = self.queue.pop() {
            self.sync(CronJobId(k), ctx);
        }
        self.queue.done(ctx, Event::CronJobWork);
    }

    fn event(ctx: &mut Ctx, id: CronJobId, kind: EventType, reason: &'static str, msg: String) {
        let obj = ObjRef::CronJob(id);
        ctx.cause = ctx.record(kind, reason, obj, None, Source::CronJobController, Message::Text(msg.into()));
    }

    fn sync(&mut self, id: CronJobId, ctx: &mut Ctx) {
        let root = ctx.cause;
        self.note_finished(id, ctx);
        self.cleanup(id, ctx);
        ctx.cause = root;
        let cj = &ctx.api.cronjobs[id.idx()];
        if cj.suspend {
            return; // no requeue: a change to the CronJob brings it back
        }
        let (now, created) = (calendar(ctx.now), calendar(cj.created));
        let schedule = cj.schedule.clone();
        let scheduled = match most_recent(&schedule, created, cj.last_schedule, cj.starting_deadline_s, now) {
            Err(e) => {
                let msg = format!("invalid schedule: {} : {e}", cj.schedule_text);
                return Self::event(ctx, id, EventType::Warning, "InvalidSchedule", msg);
            }
            Ok((_, t, missed)) => {
                if missed == Missed::Many {
                    let msg = "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew";
                    Self::event(ctx, id, EventType::Warning, "TooManyMissedTimes", msg.into());
                }
                t
            }
        };
        if let Some(t) = scheduled {
            self.start(id, t, ctx);
        }
        let cj = &ctx.api.cronjobs[id.idx()];
        let due = next_due(&schedule, created, cj.last_schedule, calendar(ctx.now));
        let at = SimTime(virtual_ms(due) + NEXT_SCHEDULE_DELTA_MS);
        if at > ctx.now {
            ctx.at(at, Event::CronJobSync(id));
        }
    }

    /// Run the schedule time `t` if the concurrency policy lets it (and it was not run yet).
    fn start(&mut self, id: CronJobId, t: i64, ctx: &mut Ctx) {
        let cj = &ctx.api.cronjobs[id.idx()];
        let name = format!("{}-{}", cj.name, t / 60);
        let already = cj.last_schedule == Some(t) || cj.active.iter().any(|j| ctx.api.jobs[j.idx()].name == name);
        if already {
            return;
        }
        let active = cj.active.clone();
        match cj.concurrency {
            ConcurrencyPolicy::Forbid if !active.is_empty() => {
                let msg = "Not starting job because prior execution is running and concurrency policy is Forbid";
                return Self::event(ctx, id, EventType::Normal, "JobAlreadyActive", msg.into());
            }
            ConcurrencyPolicy::Replace => {
                for j in active {
                    self.delete(id, j, ctx);
                }
            }
            _ => {}
        }
        let cj = &ctx.api.cronjobs[id.idx()];
        let mut job = cj.job.clone();
        job.name = name.clone();
        job.owner = Some(id);
        // The Job controller labels its pods with their Job's name: this run's.
        let mut labels = (*job.template.labels).clone();
        labels.insert(super::job::JOB_NAME_LABEL, &name);
        labels.insert(super::job::LEGACY_JOB_NAME_LABEL, &name);
        job.template.labels = std::sync::Arc::new(labels);
        job.created = ctx.now;
        let jid = ctx.api.create_job(job);
        Self::event(ctx, id, EventType::Normal, "SuccessfulCreate", format!("Created job {name}"));
        ctx.api.update_cronjob(id, |c| {
            c.active.push(jid);
            c.last_schedule = Some(t);
        });
    }

    /// Jobs of `active` that finished: noted (`SawCompletedJob`) and taken off the list.
    fn note_finished(&mut self, id: CronJobId, ctx: &mut Ctx) {
        let active = ctx.api.cronjobs[id.idx()].active.clone();
        for j in active {
            let job = &ctx.api.jobs[j.idx()];
            let cond = match job.status.condition {
                Some(JobCondition::Complete) => "Complete",
                Some(JobCondition::Failed(_)) => "Failed",
                None => continue,
            };
            let (name, done) = (job.name.clone(), job.status.completion);
            Self::event(
                ctx,
                id,
                EventType::Normal,
                "SawCompletedJob",
                format!("Saw completed job: {name}, condition: {cond}"),
            );
            ctx.api.update_cronjob(id, |c| {
                c.active.retain(|&x| x != j);
                if cond == "Complete" {
                    c.last_successful = c.last_successful.max(done);
                }
            });
        }
    }

    /// `cleanupFinishedJobs`: beyond the history limits, the oldest finished Jobs are deleted.
    fn cleanup(&mut self, id: CronJobId, ctx: &mut Ctx) {
        let (ok_limit, failed_limit) = {
            let c = &ctx.api.cronjobs[id.idx()];
            (c.successful_history as usize, c.failed_history as usize)
        };
        for (want_ok, limit) in [(true, ok_limit), (false, failed_limit)] {
            let mut done: Vec<(Option<SimTime>, String, JobId)> = (0..ctx.api.jobs.len() as u32)
                .map(JobId)
                .filter(|&j| {
                    let job = &ctx.api.jobs[j.idx()];
                    job.owner == Some(id)
                        && job.deleted.is_none()
                        && match job.status.condition {
                            Some(JobCondition::Complete) => want_ok,
                            Some(JobCondition::Failed(_)) => !want_ok,
                            None => false,
                        }
                })
                .map(|j| (ctx.api.jobs[j.idx()].status.start, ctx.api.jobs[j.idx()].name.clone(), j))
                .collect();
            if done.len() <= limit {
                continue;
            }
            // byJobStartTime: jobs with a start time first, oldest first; ties by name.
            done.sort_by(|a, b| (a.0.is_none(), a.0, &a.1).cmp(&(b.0.is_none(), b.0, &b.1)));
            let n = done.len() - limit;
            for (_, _, j) in done.into_iter().take(n) {
                self.delete(id, j, ctx);
            }
        }
    }

    fn delete(&mut self, id: CronJobId, j: JobId, ctx: &mut Ctx) {
        let name = ctx.api.jobs[j.idx()].name.clone();
        ctx.api.delete_job(j, ctx.now);
        ctx.api.update_cronjob(id, |c| c.active.retain(|&x| x != j));
        Self::event(ctx, id, EventType::Normal, "SuccessfulDelete", format!("Deleted job {name}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// upstream's `topOfTheHour()`: 2016-05-19T10:00:00Z, a Thursday.
    const T0: i64 = 1_463_652_000;
    const M: i64 = 60;
    const H: i64 = 3600;

    fn recent(s: &str, created: i64, last: Option<i64>, sds: Option<i64>, now: i64) -> (i64, Option<i64>, Missed) {
        most_recent(&Schedule::parse(s).unwrap(), created, last, sds, now).unwrap()
    }

    /// Ported from upstream's `TestMostRecentScheduleTime` (utils_test.go).
    #[test]
    fn most_recent_schedule_time_as_upstream() {
        assert_eq!(recent("0 * * * *", T0, None, None, T0 + 30), (T0, None, Missed::None));
        assert_eq!(recent("0 * * * *", T0, None, None, T0 + 61 * M), (T0, Some(T0 + H), Missed::None));
        assert_eq!(recent("0 * * * *", T0 + 10, None, None, T0 + 301 * M), (T0 + 10, Some(T0 + 5 * H), Missed::Few));
        let c = "30 6-16/4 * * 1-5";
        assert_eq!(recent(c, T0, Some(T0 + 30 * M), None, T0 + 24 * H + 31 * M).1, Some(T0 + 24 * H + 30 * M));
        // Upstream's approximation misses Friday 12:30 here and returns nothing.
        assert_eq!(
            recent("30 10,11,12 * * 1-5", T0, Some(T0 + 30 * M), None, T0 + 30 * H + 30 * M),
            (T0 + 30 * M, None, Missed::Few)
        );
        assert_eq!(recent(c, T0, Some(T0 + 30 * M), None, T0 + 96 * H + 31 * M).1, Some(T0 + 96 * H + 30 * M));
        assert_eq!(recent(c, T0, None, None, T0 + 24 * H + 31 * M).1, Some(T0 + 24 * H + 30 * M));
        let every = recent("@every 1h", T0 - 59 * M, Some(T0 + M), None, T0 + 7 * 24 * H);
        assert_eq!(every, (T0 + M, Some(T0 + 6 * 24 * H + 23 * H + M), Missed::Many));
        assert!(most_recent(&Schedule::parse("59 23 31 2 *").unwrap(), T0 + 10, None, None, T0 + H).is_err());
        assert_eq!(recent("0 * * * *", T0, Some(T0), None, T0 + 30), (T0, None, Missed::None));
        assert_eq!(recent("*/5 * * * *", T0, Some(T0 + 30 * M), None, T0 + 31 * M), (T0 + 30 * M, None, Missed::None));
        assert_eq!(recent("*/5 * * * *", T0, Some(T0 + 30 * M), Some(60), T0 + 32 * M).0, T0 + 31 * M);
    }

    /// Ported from upstream's `TestNextScheduleTimeDuration` (without the 100 ms delta).
    #[test]
    fn next_schedule_time_duration_as_upstream() {
        let due = |s: &str, last: Option<i64>, now: i64| next_due(&Schedule::parse(s).unwrap(), T0, last, now) - now;
        assert_eq!(due("30 6-16/4 * * 1-5", Some(T0 + 30 * M), T0 + 24 * H + 31 * M), 3 * H + 59 * M);
        assert_eq!(due("30 10,11,12 * * 1-5", Some(T0 + 30 * M), T0 + 30 * H + 30 * M), 66 * H);
        assert_eq!(due("0 12 * * 4", Some(T0 + 2 * H), T0 + 19 * 24 * H + H + 30 * M), 48 * H + 30 * M);
        assert_eq!(due("0 12 * * 5", None, T0 + 6 * H), 20 * H);
    }
}
