//! `batch/v1` CronJobs: the schedule as the API server validates it, the policies, the Job
//! template.

use super::*;
use crate::api::cron::Schedule;
use crate::api::workloads::ConcurrencyPolicy;

/// A CronJob's name leaves room for the 11-character suffix of its Jobs' names.
const MAX_CRONJOB_NAME: usize = 52;
/// `successfulJobsHistoryLimit` / `failedJobsHistoryLimit` defaults (`SetDefaults_CronJob`).
pub const DEFAULT_SUCCESSFUL_HISTORY: u32 = 3;
pub const DEFAULT_FAILED_HISTORY: u32 = 1;

pub(super) fn cronjobs(ctx: &mut Ctx, model: &mut Model, raw: &[(CronJobManifest, At)]) -> R<()> {
    for (m, at) in raw {
        ctx.goto(*at);
        let (ns, name, spec) = super::workloads::manifest_head(
            ctx,
            &mut model.seen,
            "CronJob",
            &m.metadata,
            m.ignored_fields(),
            m.spec.as_ref(),
        )?;
        if name.len() > MAX_CRONJOB_NAME {
            return Err(ctx.err_at(
                m.metadata.name.as_ref().expect("named").referenced,
                format!("metadata.name: Invalid value: {name:?}: must be no more than {MAX_CRONJOB_NAME} characters"),
                None,
            ));
        }
        let s = &spec.schedule;
        let invalid =
            |msg: String| ctx.err_at(s.referenced, format!("spec.schedule: Invalid value: {:?}: {msg}", s.value), None);
        if s.value.contains("TZ") {
            return Err(invalid("cannot use TZ or CRON_TZ in schedule, use timeZone field instead".into()));
        }
        let mut schedule = Schedule::parse(&s.value).map_err(invalid)?;
        if let Some(tz) = &spec.time_zone {
            let bad = |m: String| {
                ctx.err_at(tz.referenced, format!("spec.timeZone: Invalid value: {:?}: {m}", tz.value), None)
            };
            if tz.value.is_empty() {
                return Err(bad("timeZone must be nil or non-empty string".into()));
            }
            if tz.value.eq_ignore_ascii_case("local") {
                return Err(bad(
                    "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones".into(),
                ));
            }
            let zone: chrono_tz::Tz = tz.value.parse().map_err(|_| bad(format!("unknown time zone {}", tz.value)))?;
            schedule = schedule.in_zone(zone);
        }
        let concurrency = match spec.concurrency_policy.as_ref().map(|c| c.value.as_str()) {
            None | Some("Allow") => ConcurrencyPolicy::Allow,
            Some("Forbid") => ConcurrencyPolicy::Forbid,
            Some("Replace") => ConcurrencyPolicy::Replace,
            Some(o) => {
                return Err(ctx.err_at(
                    spec.concurrency_policy.as_ref().expect("given").referenced,
                    format!("spec.concurrencyPolicy: Unsupported value: {o:?}: supported values: \"Allow\", \"Forbid\", \"Replace\""),
                    None,
                ));
            }
        };
        let limit = |v: &Option<Spanned<i32>>, field: &str, default: u32| -> R<u32> {
            match v {
                None => Ok(default),
                Some(x) if x.value < 0 => Err(ctx.err_at(
                    x.referenced,
                    format!("spec.{field}: Invalid value: {}: must be greater than or equal to 0", x.value),
                    None,
                )),
                Some(x) => Ok(x.value as u32),
            }
        };
        let successful_history =
            limit(&spec.successful_jobs_history_limit, "successfulJobsHistoryLimit", DEFAULT_SUCCESSFUL_HISTORY)?;
        let failed_history = limit(&spec.failed_jobs_history_limit, "failedJobsHistoryLimit", DEFAULT_FAILED_HISTORY)?;
        ctx.warn_meta("spec.jobTemplate.metadata.", &spec.job_template.metadata);
        let job = super::workloads::job_def(ctx, model, ns.clone(), name.clone(), &spec.job_template.spec, "CronJob")?;
        let job = JobDef { labels: labels_of(&spec.job_template.metadata), ..job }.to_job();
        model.cronjobs.push(crate::api::CronJob {
            namespace: job.namespace.clone(),
            name: job.name.clone(),
            labels: labels_of(&m.metadata),
            schedule,
            schedule_text: s.value.clone(),
            time_zone: spec.time_zone.as_ref().map(|t| t.value.clone()),
            concurrency,
            suspend: spec.suspend.unwrap_or(false),
            starting_deadline_s: spec.starting_deadline_seconds.as_ref().map(|d| d.value),
            successful_history,
            failed_history,
            job,
            created: SimTime::ZERO,
            resource_version: 0,
            active: Vec::new(),
            last_schedule: None,
            last_successful: None,
        });
    }
    Ok(())
}
