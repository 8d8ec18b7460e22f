//! What must be in place before a container starts: the pod's ConfigMap and Secret volumes
//! (the volume manager: `MountVolume.SetUp`, retried with exponential back-off) and each
//! container's environment (`makeEnvironmentVariables`: `CreateContainerConfigError`).

use super::*;
use crate::api::config::{env_error, volume_error};

/// The operation executor's back-off for a failed mount (`exponentialbackoff`):
/// `initialDurationBeforeRetry` 500 ms, doubling, up to `maxDurationBeforeRetry` 2m2s.
pub const MOUNT_BACKOFF_INITIAL_MS: u64 = 500;
pub const MOUNT_BACKOFF_MAX_MS: u64 = 122_000;

impl Kubelet {
    /// Set up the pod's volumes. False while one cannot be (a `FailedMount` event each, a retry
    /// scheduled after the back-off); the containers wait in ContainerCreating meanwhile.
    pub(super) fn volumes_ready(&mut self, id: PodId, ctx: &mut Ctx) -> bool {
        let Some(w) = self.workers.get_mut(&id) else { return false };
        if w.mounted || w.spec.volumes.is_empty() {
            w.mounted = true;
            return true;
        }
        let spec = w.spec.clone();
        let ns = ctx.api.pod(id).namespace.clone();
        let mut failed = false;
        for v in &spec.volumes {
            let Some(err) = volume_error(v, |k, n| ctx.api.gates.config(k, &ns, n)) else { continue };
            failed = true;
            let msg = format!("MountVolume.SetUp failed for volume {:?} : {err}", &*v.name);
            pod_event(ctx, id, self.node, EventType::Warning, "FailedMount", Message::Text(msg.into()));
        }
        let w = self.workers.get_mut(&id).expect("worker exists");
        if !failed {
            w.mounted = true;
            return true;
        }
        w.mount_backoff_ms = if w.mount_backoff_ms == 0 {
            MOUNT_BACKOFF_INITIAL_MS
        } else {
            (w.mount_backoff_ms * 2).min(MOUNT_BACKOFF_MAX_MS)
        };
        ctx.after(w.mount_backoff_ms, Event::Kubelet(self.node, KubeletEvent::MountRetry { pod: id }));
        false
    }

    /// The mount back-off is over: try again, and start the pod once every volume is there.
    pub(super) fn mount_retry(&mut self, id: PodId, ctx: &mut Ctx) {
        let Some(w) = self.workers.get(&id) else { return };
        if w.killing || w.mounted {
            return;
        }
        if self.volumes_ready(id, ctx) {
            self.advance(id, ctx);
        }
    }

    /// `getPullSecretsForPod`, at the pod's first sync: the registry model has no auth, but a
    /// named pull Secret that does not exist is reported (and the pull attempted anyway).
    pub(super) fn check_pull_secrets(&self, id: PodId, ctx: &mut Ctx) {
        let p = ctx.api.pod(id);
        let ns = &p.namespace;
        let missing: Vec<&str> = (p.spec.image_pull_secrets.iter())
            .filter(|n| ctx.api.gates.config(ConfigKind::Secret, ns, n).is_none())
            .map(|n| &**n)
            .collect();
        if missing.is_empty() {
            return;
        }
        let msg = format!(
            "Unable to retrieve some image pull secrets ({}); attempting to pull the image may not succeed.",
            missing.join(", ")
        );
        pod_event(
            ctx,
            id,
            Some(self.node),
            EventType::Warning,
            "FailedToRetrieveImagePullSecret",
            Message::Text(msg.into()),
        );
    }

    /// The container's environment can be built. False: it waits in
    /// `CreateContainerConfigError` (a `Failed` event), and the pod worker syncs again later.
    pub(super) fn env_ready(&mut self, id: PodId, c: ContainerRef, ctx: &mut Ctx) -> bool {
        let w = &self.workers[&id];
        let refs = &container(&w.spec, c).env_refs;
        if refs.is_empty() {
            return true;
        }
        let ns = ctx.api.pod(id).namespace.clone();
        let Some(err) = env_error(refs, |k, n| ctx.api.gates.config(k, &ns, n)) else { return true };
        self.create_failed(id, c, "CreateContainerConfigError", err, ctx);
        false
    }
}
