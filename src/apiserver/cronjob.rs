//! CronJobs in the store, and the deletion of a Job with its pods (background propagation: the
//! garbage collector deletes the pods the Job owns).

use super::{ApiServer, Notification, Watcher};
use crate::api::events::ObjRef;
use crate::api::*;
use crate::sim::SimTime;

impl ApiServer {
    pub fn create_cronjob(&mut self, mut c: CronJob) -> CronJobId {
        let id = CronJobId(self.cronjobs.len() as u32);
        c.resource_version = self.next_rv();
        self.cronjobs.push(c);
        self.outbox.push(Notification { to: Watcher::CronJobController, obj: ObjRef::CronJob(id) });
        id
    }

    /// The CronJob controller's status writes (it is the only writer: nobody is told).
    pub fn update_cronjob(&mut self, id: CronJobId, f: impl FnOnce(&mut CronJob)) {
        f(&mut self.cronjobs[id.idx()]);
        self.cronjobs[id.idx()].resource_version = self.next_rv();
    }

    /// `kubectl delete job` with background propagation: the Job is gone at once, its live pods
    /// are deleted with their grace period.
    pub fn delete_job(&mut self, id: JobId, now: SimTime) {
        self.update_job(id, Watcher::Operator, |j| j.deleted = Some(now));
        let pods: Vec<PodId> = self.pods_of(Owner::Job(id)).to_vec();
        for p in pods {
            let pod = self.pod(p);
            if pod.removed.is_none() && pod.deletion.is_none() {
                let grace = pod.spec.termination_grace_ms;
                self.delete_pod(p, grace, now);
            }
        }
    }
}
