//! The Deployment controller (`pkg/controller/deployment`): owns a ReplicaSet per pod template
//! (named with the `pod-template-hash`), rolls from the old ones to the new one with the
//! RollingUpdate fenceposts (maxSurge rounded up, maxUnavailable rounded down) or Recreate,
//! numbers revisions, and tracks the Progressing condition against `progressDeadlineSeconds`.

use super::{WorkQueue, fnv32a, safe_encode};
use crate::api::WorkloadRef;
use crate::api::events::{ObjRef, Source};
use crate::api::*;
use crate::apiserver::Watcher;
use crate::runtime::{Ctx, Event};
use crate::sim::SimTime;
use std::sync::Arc;

/// The label that ties a ReplicaSet and its pods to one template of a Deployment.
pub const POD_TEMPLATE_HASH_LABEL: &str = "pod-template-hash";

/// The Progressing condition as far as the deadline needs it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Progress {
    /// No rollout seen yet.
    #[default]
    Unknown,
    /// Progressing=True; `since` is the condition's lastUpdateTime.
    Progressing { since: SimTime },
    /// Progressing=True, reason NewReplicaSetAvailable: the rollout is complete.
    Complete,
    /// Progressing=False, reason ProgressDeadlineExceeded.
    TimedOut,
}

type HashKey = (usize, usize, Option<SimTime>);

#[derive(Default)]
pub struct DeploymentController {
    queue: WorkQueue,
    /// Per Deployment: the template (by identity of its shared spec and labels, and its
    /// restartedAt) and its hash, so a sync does not render and hash the template again.
    hashes: Vec<Option<(HashKey, String)>>,
    progress: Vec<Progress>,
    /// The deadline a `DeploymentDeadline` event is pending for, per Deployment.
    armed: Vec<Option<SimTime>>,
    /// The sync under way created or scaled a ReplicaSet (no revision clean-up then).
    scaled: bool,
}

/// `ComputeHash`-style: FNV-32a over a canonical rendering of the template, safe-encoded.
pub fn template_hash(t: &PodTemplate, images: &[crate::api::settings::ImageDef]) -> String {
    let mut s = String::new();
    for (k, v) in &t.labels.0 {
        s.push_str(&format!("l:{k}={v};"));
    }
    if let Some(r) = t.restarted_at {
        s.push_str(&format!("restartedAt:{};", r.0));
    }
    for c in t.spec.init_containers.iter().chain(t.spec.containers.iter()) {
        s.push_str(&format!(
            "c:{}:{}:{:?}:{:?}:{:?}:{}:{}:{}:{}:{};",
            c.name,
            images[c.image.idx()].name,
            c.pull_policy,
            c.requests,
            c.limits,
            Probe::hash_key(&c.readiness_probe),
            Probe::hash_key(&c.liveness_probe),
            Probe::hash_key(&c.startup_probe),
            c.pre_stop,
            c.behavior.hash_key()
        ));
        if c.post_start {
            s.push_str("postStart;");
        }
    }
    s.push_str(&format!("rp:{:?};g:{};p:{}", t.spec.restart_policy, t.spec.termination_grace_ms, t.spec.priority));
    safe_encode(fnv32a(s.as_bytes()))
}

impl DeploymentController {
    pub fn on_watch(&mut self, obj: ObjRef, ctx: &mut Ctx) {
        let d = match obj {
            ObjRef::Deployment(d) => d,
            ObjRef::ReplicaSet(r) => match ctx.api.replicasets[r.idx()].owner {
                Some(d) => d,
                None => return,
            },
            ObjRef::Pod(p) => match ctx.api.pod(p).owner {
                Some(Owner::ReplicaSet(r)) => match ctx.api.replicasets[r.idx()].owner {
                    Some(d) if ctx.api.deployments[d.idx()].strategy == DeploymentStrategy::Recreate => d,
                    _ => return,
                },
                _ => return,
            },
            _ => return,
        };
        self.queue.add(d.0, ctx, Event::DeploymentWork);
    }

    /// The progress deadline of a Deployment may have passed: look again if it still counts.
    pub fn on_deadline(&mut self, d: DeployId, ctx: &mut Ctx) {
        if let Some(Progress::Progressing { since }) = self.progress.get(d.idx())
            && since.plus(ctx.api.deployments[d.idx()].progress_deadline_ms) < ctx.now
        {
            self.queue.add(d.0, ctx, Event::DeploymentWork);
        }
    }

    pub fn work(&mut self, ctx: &mut Ctx) {
        if let Some(k) = self.queue.pop() {
            self.sync(DeployId(k), ctx);
        }
        self.queue.done(ctx, Event::DeploymentWork);
    }

    fn hash(&mut self, id: DeployId, ctx: &Ctx) -> String {
        let t = &ctx.api.deployments[id.idx()].template;
        let key = (Arc::as_ptr(&t.spec) as usize, Arc::as_ptr(&t.labels) as usize, t.restarted_at);
        if self.hashes.len() <= id.idx() {
            self.hashes.resize(id.idx() + 1, None);
        }
        match &self.hashes[id.idx()] {
            Some((k, h)) if *k == key => h.clone(),
            _ => {
                let h = template_hash(t, ctx.images);
                self.hashes[id.idx()] = Some((key, h.clone()));
                h
            }
        }
    }

    fn sync(&mut self, id: DeployId, ctx: &mut Ctx) {
        if self.progress.len() <= id.idx() {
            self.progress.resize(id.idx() + 1, Progress::Unknown);
            self.armed.resize(id.idx() + 1, None);
        }
        let hash = self.hash(id, ctx);
        let d = &ctx.api.deployments[id.idx()];
        let (replicas, strategy) = (d.replicas, d.strategy);
        self.scaled = false;
        let mut new_rs = None;
        let mut old: Vec<RsId> = Vec::new();
        for &r in ctx.api.replicasets_of(id) {
            if ctx.api.replicasets[r.idx()].template_hash.as_deref() == Some(hash.as_str()) {
                new_rs = Some(r);
            } else {
                old.push(r);
            }
        }
        // ReplicaSetsByCreationTimestamp (ids are in creation order).
        old.sort_by_key(|&r| (ctx.api.replicasets[r.idx()].created, r));
        let max_revision = old.iter().map(|&r| ctx.api.replicasets[r.idx()].revision).max().unwrap_or(0);
        // A rollback to an older template makes its ReplicaSet the newest revision again.
        if let Some(r) = new_rs
            && ctx.api.replicasets[r.idx()].revision <= max_revision
        {
            ctx.api.update_replicaset(r, Watcher::DeploymentController, |x| x.revision = max_revision + 1);
            self.progress[id.idx()] = Progress::Progressing { since: ctx.now };
        }
        match strategy {
            DeploymentStrategy::Recreate => self.recreate(id, new_rs, &old, &hash, max_revision, ctx),
            DeploymentStrategy::RollingUpdate { .. } => {
                let spec_total =
                    |ctx: &Ctx, rs: &[RsId]| -> u32 { rs.iter().map(|&r| ctx.api.replicasets[r.idx()].replicas).sum() };
                match new_rs {
                    None => {
                        let (surge, _) = strategy.fenceposts(replicas);
                        let current = spec_total(ctx, &old);
                        let n = (replicas + surge).saturating_sub(current).min(replicas);
                        self.create_rs(id, n, &hash, max_revision + 1, ctx);
                    }
                    Some(r) => {
                        let cur = ctx.api.replicasets[r.idx()].replicas;
                        let target = if cur >= replicas {
                            replicas
                        } else {
                            // NewRSNewReplicas: grow up to replicas + maxSurge pods in all.
                            let (surge, _) = strategy.fenceposts(replicas);
                            let all = spec_total(ctx, &old) + cur;
                            cur + (replicas + surge).saturating_sub(all).min(replicas - cur)
                        };
                        if target != cur {
                            self.scale(id, r, target, ctx);
                        } else {
                            self.reconcile_old(id, r, &old, ctx);
                        }
                    }
                }
            }
        }
        // A sync that scaled nothing on a complete rollout cleans up the revision history
        // (upstream: the next sync, which this status write triggers, a watch latency later).
        let complete = self.update_status(id, ctx);
        if complete && !self.scaled {
            self.cleanup(id, &old, ctx);
        }
    }

    /// `cleanupDeployment`: beyond `revisionHistoryLimit` old ReplicaSets, the oldest revisions
    /// are deleted, those with neither replicas asked for nor pods left.
    fn cleanup(&mut self, id: DeployId, old: &[RsId], ctx: &mut Ctx) {
        let limit = ctx.api.deployments[id.idx()].revision_history_limit as usize;
        let mut alive: Vec<RsId> =
            old.iter().copied().filter(|r| ctx.api.replicasets[r.idx()].deleted.is_none()).collect();
        if alive.len() <= limit {
            return;
        }
        // ReplicaSetsByRevision: revision, then creation.
        alive.sort_by_key(|&r| (ctx.api.replicasets[r.idx()].revision, ctx.api.replicasets[r.idx()].created, r));
        for &r in &alive[..alive.len() - limit] {
            let rs = &ctx.api.replicasets[r.idx()];
            if rs.replicas == 0 && rs.status.replicas == 0 {
                ctx.api.delete_replicaset(r, ctx.now);
            }
        }
    }

    /// Recreate: scale every old ReplicaSet to 0, wait until none of their pods runs, then
    /// bring up the new one.
    fn recreate(
        &mut self,
        id: DeployId,
        new_rs: Option<RsId>,
        old: &[RsId],
        hash: &str,
        max_revision: u64,
        ctx: &mut Ctx,
    ) {
        let root = ctx.cause;
        for &r in old {
            if ctx.api.replicasets[r.idx()].replicas > 0 {
                ctx.cause = root;
                self.scale(id, r, 0, ctx);
            }
        }
        // `oldPodsRunning`: Terminating pods still run.
        let running = old.iter().any(|&r| {
            ctx.api.pods_of_rs(r).iter().any(|&p| {
                let p = ctx.api.pod(p);
                p.removed.is_none() && !p.status.phase.is_terminal()
            })
        });
        if running {
            return;
        }
        let replicas = ctx.api.deployments[id.idx()].replicas;
        match new_rs {
            None => self.create_rs(id, replicas, hash, max_revision + 1, ctx),
            Some(r) if ctx.api.replicasets[r.idx()].replicas != replicas => self.scale(id, r, replicas, ctx),
            Some(_) => {}
        }
    }

    /// `reconcileOldReplicaSets`: scale old ReplicaSets down as far as maxUnavailable allows,
    /// their unhealthy replicas first, oldest ReplicaSet first.
    fn reconcile_old(&mut self, id: DeployId, new_rs: RsId, old: &[RsId], ctx: &mut Ctx) {
        let rs = |r: RsId| &ctx.api.replicasets[r.idx()];
        let old_count: u32 = old.iter().map(|&r| rs(r).replicas).sum();
        if old_count == 0 {
            return;
        }
        let d = &ctx.api.deployments[id.idx()];
        let min_available = d.replicas as i64 - d.strategy.max_unavailable(d.replicas) as i64;
        let new = rs(new_rs);
        let all = old_count as i64 + new.replicas as i64;
        let new_unavailable = new.replicas as i64 - new.status.available as i64;
        let max_scaled_down = all - min_available - new_unavailable;
        if max_scaled_down <= 0 {
            return;
        }
        let root = ctx.cause;
        // cleanupUnhealthyReplicas.
        let mut cleaned = 0i64;
        for &r in old {
            if cleaned >= max_scaled_down {
                break;
            }
            let x = &ctx.api.replicasets[r.idx()];
            let unhealthy = x.replicas as i64 - x.status.available as i64;
            if x.replicas == 0 || unhealthy <= 0 {
                continue;
            }
            let n = (max_scaled_down - cleaned).min(unhealthy);
            let to = x.replicas - n as u32;
            ctx.cause = root;
            self.scale(id, r, to, ctx);
            cleaned += n;
        }
        // scaleDownOldReplicaSetsForRollingUpdate.
        let available: i64 = old
            .iter()
            .chain(std::iter::once(&new_rs))
            .map(|&r| ctx.api.replicasets[r.idx()].status.available as i64)
            .sum();
        if available <= min_available {
            return;
        }
        let total = available - min_available;
        let mut done = 0i64;
        for &r in old {
            if done >= total {
                break;
            }
            let cur = ctx.api.replicasets[r.idx()].replicas;
            if cur == 0 {
                continue;
            }
            let n = (cur as i64).min(total - done);
            ctx.cause = root;
            self.scale(id, r, cur - n as u32, ctx);
            done += n;
        }
    }

    fn create_rs(&mut self, id: DeployId, replicas: u32, hash: &str, revision: u64, ctx: &mut Ctx) {
        let d = &ctx.api.deployments[id.idx()];
        let mut labels = (*d.template.labels).clone();
        labels.insert(POD_TEMPLATE_HASH_LABEL, hash);
        let mut selector = d.selector.clone();
        selector.match_labels.push((POD_TEMPLATE_HASH_LABEL.to_string(), hash.to_string()));
        let rs = ReplicaSet {
            namespace: d.namespace.clone(),
            name: format!("{}-{}", d.name, hash),
            // The new ReplicaSet's labels are its template's, hash included.
            labels: labels.clone(),
            selector,
            replicas,
            template: PodTemplate {
                labels: Arc::new(labels),
                spec: d.template.spec.clone(),
                restarted_at: d.template.restarted_at,
            },
            owner: Some(id),
            template_hash: Some(hash.to_string()),
            revision,
            created: ctx.now,
            resource_version: 0,
            status: WorkloadStatus::default(),
            deleted: None,
        };
        let rs = ctx.api.create_replicaset(rs);
        self.scaled = true;
        // Progressing=True, NewReplicaSetCreated.
        self.progress[id.idx()] = Progress::Progressing { since: ctx.now };
        // getNewReplicaSet records the scale-up only when the new ReplicaSet starts above 0.
        if replicas > 0 {
            scaled_event(id, rs, 0, replicas, ctx);
        }
    }

    fn scale(&mut self, id: DeployId, r: RsId, to: u32, ctx: &mut Ctx) {
        let from = ctx.api.replicasets[r.idx()].replicas;
        if from == to {
            return;
        }
        ctx.api.update_replicaset(r, Watcher::DeploymentController, |x| x.replicas = to);
        self.scaled = true;
        scaled_event(id, r, from, to, ctx);
    }

    /// `calculateStatus` and `syncRolloutStatus`: the counts, and the Progressing condition
    /// (complete, progressing, or past its deadline).
    /// Returns DeploymentComplete of the status written.
    fn update_status(&mut self, id: DeployId, ctx: &mut Ctx) -> bool {
        let hash = self.hash(id, ctx);
        let d = &ctx.api.deployments[id.idx()];
        let mut st = WorkloadStatus::default();
        let mut new_rs = None;
        for &r in ctx.api.replicasets_of(id) {
            let rs = &ctx.api.replicasets[r.idx()];
            st.replicas += rs.status.replicas;
            st.ready += rs.status.ready;
            st.available += rs.status.available;
            if rs.template_hash.as_deref() == Some(hash.as_str()) {
                st.updated += rs.status.replicas;
                new_rs = Some(r);
            }
        }
        let old = d.status;
        let desired = d.replicas;
        let complete = st.updated == desired && st.replicas == desired && st.available == desired;
        // DeploymentProgressing: more updated, fewer old, more ready or more available.
        let progressed = st.updated > old.updated
            || st.replicas - st.updated < old.replicas - old.updated
            || st.ready > old.ready
            || st.available > old.available;
        let p = &mut self.progress[id.idx()];
        let now = ctx.now;
        if complete {
            *p = Progress::Complete;
        } else if progressed {
            // Progressing=True, ReplicaSetUpdated: the deadline counts from now.
            *p = Progress::Progressing { since: now };
        }
        if let Progress::Progressing { since } = *p {
            let deadline = since.plus(d.progress_deadline_ms);
            if deadline < now {
                *p = Progress::TimedOut;
                let msg = match new_rs {
                    Some(r) => format!("ReplicaSet {:?} has timed out progressing.", ctx.api.replicasets[r.idx()].name),
                    None => format!("Deployment {:?} has timed out progressing.", d.name),
                };
                ctx.cause = ctx.record(
                    EventType::Warning,
                    "ProgressDeadlineExceeded",
                    ObjRef::Deployment(id),
                    None,
                    Source::DeploymentController,
                    Message::Text(msg.into()),
                );
            } else if self.armed[id.idx()] != Some(deadline) {
                // requeueStuckDeployment: look again just after the deadline.
                self.armed[id.idx()] = Some(deadline);
                ctx.at(deadline.plus(1), Event::DeploymentDeadline(id));
            }
        }
        if old != st {
            ctx.api.update_deployment(id, Watcher::DeploymentController, |d| d.status = st);
        }
        ctx.rec.workload_status(WorkloadRef::Deployment(id), now, desired, st.ready);
        complete
    }
}

/// "Scaled up replica set web-abc from 0 to 3" on the Deployment.
fn scaled_event(id: DeployId, rs: RsId, from: u32, to: u32, ctx: &mut Ctx) {
    let msg = Message::ScaledReplicaSet { rs, from, to };
    ctx.cause = ctx.record(
        EventType::Normal,
        "ScalingReplicaSet",
        ObjRef::Deployment(id),
        None,
        Source::DeploymentController,
        msg,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::test_pod_spec;
    use crate::api::workloads::DEFAULT_PROGRESS_DEADLINE_SECONDS;
    use crate::runtime::testing::{Harness, selector, template};

    /// A harness whose catalogue has `web:1.0` (image 0) and `web:2.0` (image 1).
    fn harness() -> Harness {
        let mut h = Harness::new();
        h.add_image("web:1.0", 1 << 20, Behavior::default());
        h.add_image("web:2.0", 1 << 20, Behavior::default());
        h
    }

    /// The template of `web` running `image`.
    fn web_template(image: u32) -> PodTemplate {
        let mut spec = test_pod_spec();
        spec.containers[0].image = ImageId(image);
        template(&[("app", "web")], spec)
    }

    /// A Deployment `web` of `replicas` on image 0, created now.
    fn web(h: &mut Harness, replicas: u32, strategy: DeploymentStrategy) -> DeployId {
        h.handle(|ctx| {
            ctx.api.create_deployment(Deployment {
                namespace: "default".into(),
                name: "web".into(),
                labels: Default::default(),
                selector: selector(&[("app", "web")]),
                replicas,
                template: web_template(0),
                strategy,
                progress_deadline_ms: DEFAULT_PROGRESS_DEADLINE_SECONDS as u64 * 1000,
                revision_history_limit: crate::api::workloads::DEFAULT_REVISION_HISTORY_LIMIT,
                created: ctx.now,
                resource_version: 0,
                status: WorkloadStatus::default(),
            })
        })
    }

    /// Deliver the controller's watches, work items and deadlines due up to `t` ms.
    fn run(h: &mut Harness, dc: &mut DeploymentController, t: u64) {
        h.run_until(SimTime(t), |ev, ctx| match ev {
            Event::DeploymentWork => dc.work(ctx),
            Event::DeploymentDeadline(d) => dc.on_deadline(d, ctx),
            Event::Watch(n) if n.to == Watcher::DeploymentController => dc.on_watch(n.obj, ctx),
            _ => {}
        });
    }

    /// Every ScalingReplicaSet event: (time, ReplicaSet, from, to).
    fn scalings(h: &Harness) -> Vec<(u64, RsId, u32, u32)> {
        h.rec
            .events
            .iter()
            .filter_map(|e| match e.message {
                Message::ScaledReplicaSet { rs, from, to } if e.reason == "ScalingReplicaSet" => {
                    Some((e.time.0, rs, from, to))
                }
                _ => None,
            })
            .collect()
    }

    /// The ReplicaSet controller's status write: `replicas` pods, `available` of them available.
    fn report(h: &mut Harness, rs: RsId, replicas: u32, available: u32) {
        let st = WorkloadStatus { replicas, ready: available, available, updated: replicas };
        h.handle(|ctx| ctx.api.update_replicaset(rs, Watcher::ReplicaSetController, |r| r.status = st));
    }

    #[test]
    fn a_deployment_creates_a_replicaset_named_by_its_pod_template_hash_and_scales_it_up() {
        let mut h = harness();
        let mut dc = DeploymentController::default();
        let d = web(&mut h, 3, DeploymentStrategy::DEFAULT);
        run(&mut h, &mut dc, 1_000);
        let rss = h.api.replicasets_of(d).to_vec();
        assert_eq!(rss.len(), 1);
        let rs = &h.api.replicasets[rss[0].idx()];
        let hash = template_hash(&web_template(0), &h.images);
        assert!(!hash.is_empty() && hash.bytes().all(|b| crate::controller::NAME_ALPHABET.contains(&b)), "{hash}");
        assert_eq!(rs.name, format!("web-{hash}"));
        assert_eq!(rs.template_hash.as_deref(), Some(hash.as_str()));
        // The hash label goes on the pods' template and into the selector, beside the user's.
        assert_eq!(rs.template.labels.get(POD_TEMPLATE_HASH_LABEL), Some(hash.as_str()));
        assert_eq!(rs.template.labels.get("app"), Some("web"));
        assert!(rs.selector.match_labels.contains(&(POD_TEMPLATE_HASH_LABEL.to_string(), hash.clone())));
        assert_eq!((rs.replicas, rs.revision, rs.owner), (3, 1, Some(d)));
        // A new Deployment's ReplicaSet starts at full scale (no old pods to surge over), once.
        assert_eq!(scalings(&h), vec![(10, rss[0], 0, 3)]);
        // An identical template hashes the same; another image does not.
        assert_ne!(template_hash(&web_template(1), &h.images), hash);
    }

    #[test]
    fn a_rolling_update_surges_by_max_surge_and_scales_old_pods_down_within_max_unavailable() {
        let mut h = harness();
        let mut dc = DeploymentController::default();
        let strategy = DeploymentStrategy::RollingUpdate {
            max_surge: IntOrPercent::Int(1),
            max_unavailable: IntOrPercent::Int(1),
        };
        let d = web(&mut h, 4, strategy);
        run(&mut h, &mut dc, 1_000);
        let old = h.api.replicasets_of(d)[0];
        report(&mut h, old, 4, 4);
        run(&mut h, &mut dc, 2_000);
        h.handle(|ctx| ctx.api.update_deployment(d, Watcher::Operator, |x| x.template = web_template(1)));
        run(&mut h, &mut dc, 3_000);
        let new = h.api.replicasets_of(d)[1];
        assert_eq!(h.api.replicasets[new.idx()].revision, 2);
        // 4 replicas, maxSurge 1: at most 5 pods, so the new ReplicaSet starts at 1; maxUnavailable
        // 1: at least 3 available, so one old pod may go (4 + 1 - 3 - 1 unavailable new = 1) once
        // the new ReplicaSet is seen (its creation's watch, 10 ms later).
        assert_eq!(scalings(&h)[1..], [(2_010, new, 0, 1), (2_020, old, 4, 3)]);
        // The new pod is available: room for one more new pod (3 + 1 < 5).
        report(&mut h, old, 3, 3);
        report(&mut h, new, 1, 1);
        run(&mut h, &mut dc, 4_000);
        assert_eq!(scalings(&h)[3..], [(3_010, new, 1, 2)]);
        // The second new pod is not available yet: 3 old + 1 new available = 4, one above the
        // minimum of 3, so one old pod more may go; no further surge (3 + 2 = 5).
        report(&mut h, new, 2, 1);
        run(&mut h, &mut dc, 5_000);
        assert_eq!(scalings(&h)[4..], [(4_010, old, 3, 2)]);
        // The scale-down left room for one more new pod (2 + 2 < 5).
        report(&mut h, old, 2, 2);
        run(&mut h, &mut dc, 6_000);
        assert_eq!(scalings(&h)[5..], [(5_010, new, 2, 3)]);
        // 5 pods, 2 new ones unavailable: old 2 + new 1 available = 3 = the minimum, so nothing
        // moves until more new pods are available.
        report(&mut h, new, 3, 1);
        run(&mut h, &mut dc, 7_000);
        assert_eq!(scalings(&h).len(), 6);
        // Every step kept spec replicas within replicas + maxSurge.
        let mut spec = [0u32; 2];
        for (_, rs, _, to) in scalings(&h) {
            spec[usize::from(rs == new)] = to;
            assert!(spec[0] + spec[1] <= 5, "{spec:?}");
        }
    }

    #[test]
    fn recreate_scales_the_old_replicaset_to_zero_and_waits_for_its_pods_to_be_gone() {
        let mut h = harness();
        let mut dc = DeploymentController::default();
        let d = web(&mut h, 2, DeploymentStrategy::Recreate);
        run(&mut h, &mut dc, 1_000);
        let old = h.api.replicasets_of(d)[0];
        let n = h.add_node("n", 4_000, 1 << 33);
        let pods: Vec<PodId> = (0..2)
            .map(|i| {
                h.add_pod(&format!("web-old-{i}"), &[("app", "web")], Some(Owner::ReplicaSet(old)), test_pod_spec())
            })
            .collect();
        for &p in &pods {
            h.bind(p, n);
            h.set_pod_status(p, PodPhase::Running, true);
        }
        h.handle(|ctx| ctx.api.update_deployment(d, Watcher::Operator, |x| x.template = web_template(1)));
        run(&mut h, &mut dc, 5_000);
        assert_eq!(scalings(&h), vec![(10, old, 0, 2), (1_010, old, 2, 0)]);
        assert_eq!(h.api.replicasets_of(d).len(), 1, "no new ReplicaSet while old pods run");
        // The old pods' final deletes: the new ReplicaSet comes once the last one is gone.
        h.remove_pod(pods[0]);
        run(&mut h, &mut dc, 6_000);
        assert_eq!(h.api.replicasets_of(d).len(), 1, "one old pod still runs");
        h.remove_pod(pods[1]);
        run(&mut h, &mut dc, 7_000);
        let new = h.api.replicasets_of(d)[1];
        assert_eq!(scalings(&h)[2..], [(6_010, new, 0, 2)]);
        assert_eq!(h.api.replicasets[new.idx()].revision, 2);
    }

    /// `getNewReplicaSet` records "Scaled up" only for a new ReplicaSet created above 0: with
    /// maxSurge 0 the new one starts at 0 and the first event is the old one's scale-down.
    #[test]
    fn a_new_replicaset_created_at_zero_records_no_scale_up() {
        let mut h = harness();
        let mut dc = DeploymentController::default();
        let strategy = DeploymentStrategy::RollingUpdate {
            max_surge: IntOrPercent::Int(0),
            max_unavailable: IntOrPercent::Int(1),
        };
        let d = web(&mut h, 2, strategy);
        run(&mut h, &mut dc, 1_000);
        let old = h.api.replicasets_of(d)[0];
        h.handle(|ctx| ctx.api.update_deployment(d, Watcher::Operator, |x| x.template = web_template(1)));
        run(&mut h, &mut dc, 2_000);
        assert_eq!(h.api.replicasets_of(d).len(), 2);
        assert!(scalings(&h).iter().all(|&(_, _, from, to)| (from, to) != (0, 0)), "{:?}", scalings(&h));
        assert_eq!(scalings(&h)[1].1, old, "the scale-down of the old ReplicaSet comes next");
    }

    #[test]
    fn a_deployment_that_makes_no_progress_reports_progress_deadline_exceeded() {
        let mut h = harness();
        let mut dc = DeploymentController::default();
        let d = web(&mut h, 3, DeploymentStrategy::DEFAULT);
        // Progressing since the ReplicaSet was created at 10 ms; no pod ever becomes available.
        let deadline = 10 + DEFAULT_PROGRESS_DEADLINE_SECONDS as u64 * 1000;
        run(&mut h, &mut dc, deadline);
        assert!(h.event("ProgressDeadlineExceeded").is_none(), "not before the deadline");
        run(&mut h, &mut dc, deadline + 60_000);
        let e = h.event("ProgressDeadlineExceeded").expect("the deadline passed");
        // Seen once the deadline has passed (upstream requeues at deadline + 1 s).
        assert!(e.time.0 > deadline && e.time.0 <= deadline + 1_000, "{}", e.time);
        assert_eq!(e.kind, EventType::Warning);
        assert_eq!(e.object, ObjRef::Deployment(d));
        let rs = &h.api.replicasets[h.api.replicasets_of(d)[0].idx()];
        let want = format!("ReplicaSet {:?} has timed out progressing.", rs.name);
        assert_eq!(e.message, Message::Text(want.into()));
        assert_eq!(h.reasons().iter().filter(|&&r| r == "ProgressDeadlineExceeded").count(), 1);
    }
}
