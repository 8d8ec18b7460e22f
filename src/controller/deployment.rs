//! The Deployment controller: owns a ReplicaSet per pod template (named with the
//! `pod-template-hash`), scales it to `replicas`, and reports `.status`. Rollouts between
//! templates come with the controller issue.

use super::{WorkQueue, fnv32a, safe_encode};
use crate::api::events::{ObjRef, Source};
use crate::api::*;
use crate::apiserver::Watcher;
use crate::cluster::{Ctx, Event};
use crate::report::recorder::WorkloadRef;
use crate::sim::SimTime;
use std::sync::Arc;

/// The label that ties a ReplicaSet and its pods to one template of a Deployment.
pub const POD_TEMPLATE_HASH_LABEL: &str = "pod-template-hash";

#[derive(Default)]
pub struct DeploymentController {
    queue: WorkQueue,
    /// Per Deployment: the template (by identity of its shared spec and labels) and its hash,
    /// so a sync does not render and hash the template again.
    hashes: Vec<Option<(usize, usize, String)>>,
}

/// `ComputeHash`-style: FNV-32a over a canonical rendering of the template, safe-encoded.
pub fn template_hash(t: &PodTemplate, images: &[crate::scenario::ImageDef]) -> String {
    let mut s = String::new();
    for (k, v) in &t.labels.0 {
        s.push_str(&format!("l:{k}={v};"));
    }
    for c in t.spec.init_containers.iter().chain(t.spec.containers.iter()) {
        s.push_str(&format!(
            "c:{}:{}:{:?}:{:?}:{:?}:{:?}:{:?}:{:?}:{}:{:?};",
            c.name,
            images[c.image.idx()].name,
            c.pull_policy,
            c.requests,
            c.limits,
            c.readiness_probe,
            c.liveness_probe,
            c.startup_probe,
            c.pre_stop,
            c.behavior
        ));
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
            _ => return,
        };
        self.queue.add(d.0, ctx, Event::DeploymentWork);
    }

    pub fn work(&mut self, ctx: &mut Ctx) {
        if let Some(k) = self.queue.pop() {
            self.sync(DeployId(k), ctx);
        }
        self.queue.done(ctx, Event::DeploymentWork);
    }

    fn hash(&mut self, id: DeployId, ctx: &Ctx) -> String {
        let t = &ctx.api.deployments[id.idx()].template;
        let key = (Arc::as_ptr(&t.spec) as usize, Arc::as_ptr(&t.labels) as usize);
        if self.hashes.len() <= id.idx() {
            self.hashes.resize(id.idx() + 1, None);
        }
        match &self.hashes[id.idx()] {
            Some((a, b, h)) if (*a, *b) == key => h.clone(),
            _ => {
                let h = template_hash(t, ctx.images);
                self.hashes[id.idx()] = Some((key.0, key.1, h.clone()));
                h
            }
        }
    }

    fn sync(&mut self, id: DeployId, ctx: &mut Ctx) {
        let hash = self.hash(id, ctx);
        let d = &ctx.api.deployments[id.idx()];
        let replicas = d.replicas;
        let current = ctx
            .api
            .replicasets_of(id)
            .iter()
            .copied()
            .find(|&r| ctx.api.replicasets[r.idx()].template_hash.as_deref() == Some(hash.as_str()));
        match current {
            None => {
                let d = &ctx.api.deployments[id.idx()];
                let mut labels = (*d.template.labels).clone();
                labels.insert(POD_TEMPLATE_HASH_LABEL, &hash);
                let mut selector = d.selector.clone();
                selector.match_labels.push((POD_TEMPLATE_HASH_LABEL.to_string(), hash.clone()));
                let rs = ReplicaSet {
                    namespace: d.namespace.clone(),
                    name: format!("{}-{}", d.name, hash),
                    selector,
                    replicas,
                    template: PodTemplate { labels: Arc::new(labels), spec: d.template.spec.clone() },
                    owner: Some(id),
                    template_hash: Some(hash),
                    created: ctx.now,
                    resource_version: 0,
                    status: WorkloadStatus::default(),
                };
                let rs = ctx.api.create_replicaset(rs);
                ctx.record(
                    EventType::Normal,
                    "ScalingReplicaSet",
                    ObjRef::Deployment(id),
                    None,
                    Source::DeploymentController,
                    Message::ScaledReplicaSet { rs, from: 0, to: replicas },
                );
            }
            Some(r) if ctx.api.replicasets[r.idx()].replicas != replicas => {
                let from = ctx.api.replicasets[r.idx()].replicas;
                ctx.api.update_replicaset(r, Watcher::DeploymentController, |x| x.replicas = replicas);
                ctx.record(
                    EventType::Normal,
                    "ScalingReplicaSet",
                    ObjRef::Deployment(id),
                    None,
                    Source::DeploymentController,
                    Message::ScaledReplicaSet { rs: r, from, to: replicas },
                );
            }
            Some(_) => {}
        }
        self.update_status(id, ctx.now, ctx);
    }

    fn update_status(&mut self, id: DeployId, now: SimTime, ctx: &mut Ctx) {
        let hash = self.hash(id, ctx);
        let d = &ctx.api.deployments[id.idx()];
        let mut st = WorkloadStatus::default();
        for &r in ctx.api.replicasets_of(id) {
            let rs = &ctx.api.replicasets[r.idx()];
            st.replicas += rs.status.replicas;
            st.ready += rs.status.ready;
            st.available += rs.status.available;
            if rs.template_hash.as_deref() == Some(hash.as_str()) {
                st.updated += rs.status.replicas;
            }
        }
        if d.status != st {
            let desired = d.replicas;
            ctx.api.update_deployment(id, Watcher::DeploymentController, |d| d.status = st);
            ctx.rec.workload_status(WorkloadRef::Deployment(id), now, desired, st.ready);
        }
    }
}
