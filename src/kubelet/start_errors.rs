//! A container the runtime cannot create or start (kuberuntime `startContainer`). CRI
//! `CreateContainer` failing (no command at all) leaves nothing behind: the container waits in
//! `CreateContainerError` and the pod worker tries again at its next sync. `StartContainer`
//! failing (runc cannot exec the entrypoint, or cannot fork at all) leaves a dead instance that
//! containerd reports as `StartError` with exit code 128: the container waits in
//! `RunContainerError`; PLEG's next relist sees the dead instance and that sync restarts it
//! under the restart policy with the usual back-off (so `get pods` shows RunContainerError and
//! CrashLoopBackOff in turn).

use super::*;
use crate::api::behavior::EntrypointFault;

/// containerd's exit code and reason for a task that failed to start (CRI
/// `container_start.go`: `errorStartExitCode`, `errorStartReason`).
pub const EXIT_CODE_START_ERROR: i32 = 128;
pub const START_ERROR_REASON: &str = "StartError";
/// The prefix of a start error as containerd 2.x with runc 1.2 reports it; the last clause is
/// the cause.
pub const RUNC_START_FAILED: &str = "failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init";
/// What the runtime reports when no process can be forked (the node's PIDs are exhausted):
/// containerd cannot even start the task's shim.
pub const FORK_FAILED: &str = "failed to create containerd task: failed to start shim: start failed: fork/exec /usr/bin/containerd-shim-runc-v2: resource temporarily unavailable: unknown";

impl EntrypointFault {
    /// The runtime's error for this fault of the command `cmd` (the container's `command[0]`),
    /// or for `Unset`, of the container with this id.
    pub fn message(self, cmd: &str, id: &str) -> String {
        let exec = match self {
            EntrypointFault::Unset => {
                return format!(
                    "failed to generate container {id:?} spec: failed to generate spec: no command specified"
                );
            }
            EntrypointFault::NotExecutable => "permission denied".to_string(),
            // Go's exec.LookPath: a path is stat'ed, a bare name searched in $PATH.
            EntrypointFault::Missing if cmd.contains('/') => format!("stat {cmd}: no such file or directory"),
            EntrypointFault::Missing => "executable file not found in $PATH".to_string(),
        };
        format!("{RUNC_START_FAILED}: exec: {cmd:?}: {exec}: unknown")
    }
}

impl Kubelet {
    /// Why CRI `CreateContainer` fails for this container, if it does.
    pub(super) fn create_error(&self, id: PodId, c: ContainerRef, ctx: &Ctx) -> Option<String> {
        let w = &self.workers[&id];
        let cs = container(&w.spec, c);
        if cs.behavior.entrypoint != Some(EntrypointFault::Unset) {
            return None;
        }
        let p = ctx.api.pod(id);
        let restarts =
            if c.init { &p.status.init_containers } else { &p.status.containers }[c.index as usize].restart_count;
        let cid = cni::runtime_id(id, self.node, 0x8000_0000 | (w.idx(c) as u32) << 16 | restarts);
        Some(EntrypointFault::Unset.message("", &cid))
    }

    /// Why CRI `StartContainer` fails for this container, if it does: its entrypoint, or no
    /// process left to fork on the node.
    pub(super) fn start_error(&self, id: PodId, c: ContainerRef, ctx: &Ctx) -> Option<String> {
        if self.pids_exhausted(ctx) {
            return Some(FORK_FAILED.to_string());
        }
        let cs = container(&self.workers[&id].spec, c);
        match cs.behavior.entrypoint {
            Some(f @ (EntrypointFault::Missing | EntrypointFault::NotExecutable)) => {
                Some(f.message(cs.command.as_deref().unwrap_or_default(), ""))
            }
            _ => None,
        }
    }

    /// A container that could not be created (`CreateContainerConfigError`,
    /// `CreateContainerError`): it waits with that reason, `Failed` ("Error: ..."), and the pod
    /// worker syncs again 10-15 s later. Nothing was created, so nothing restarts.
    pub(super) fn create_failed(
        &mut self,
        id: PodId,
        c: ContainerRef,
        reason: &'static str,
        err: String,
        ctx: &mut Ctx,
    ) {
        let w = &self.workers[&id];
        let epoch = w.containers[w.idx(c)].epoch;
        ctx.api.update_pod_status(id, self.me(), |p| {
            status_mut(p, c).set_state(ContainerState::Waiting { reason });
        });
        pod_event(ctx, id, self.node, EventType::Warning, "Failed", Message::Text(format!("Error: {err}").into()));
        let wait = error_requeue_ms(ctx);
        ctx.after(wait, Event::Kubelet(self.node, KubeletEvent::Resync { pod: id, c, epoch }));
    }

    /// `StartContainer` failed: `Failed` ("Error: ..."); the dead instance ended now
    /// (`StartError`, 128). Under restartPolicy Never that is the container's end; else it
    /// waits in `RunContainerError` until the sync at PLEG's next relist restarts it (or backs
    /// off).
    pub(super) fn start_failed(&mut self, id: PodId, c: ContainerRef, err: String, ctx: &mut Ctx) {
        let (now, node, me) = (ctx.now, self.node, self.me());
        pod_event(ctx, id, node, EventType::Warning, "Failed", Message::Text(format!("Error: {err}").into()));
        let w = self.workers.get_mut(&id).expect("worker exists");
        let restart = container(&w.spec, c).sidecar || w.spec.restart_policy != RestartPolicy::Never;
        let i = w.idx(c);
        if !restart {
            self.container_exited(id, c, (EXIT_CODE_START_ERROR, false, now), Ended::StartError, ctx);
            return;
        }
        let st = &mut w.containers[i];
        st.running = false;
        st.exited = None;
        st.finished = now;
        st.start_failed = true;
        st.epoch = st.epoch.wrapping_add(1);
        let epoch = st.epoch;
        let dead =
            ContainerState::Terminated { exit_code: EXIT_CODE_START_ERROR, reason: START_ERROR_REASON, finished: now };
        let (code, reason) = (EXIT_CODE_START_ERROR, START_ERROR_REASON);
        ctx.rec.exits.push(crate::record::ContainerExit { finished: now, pod: id, container: c, code, reason });
        ctx.api.update_pod_status(id, me, |p| {
            let s = status_mut(p, c);
            s.set_state(dead);
            s.set_state(ContainerState::Waiting { reason: "RunContainerError" });
            s.ready = false;
            status::refresh_restarting(p, now);
        });
        // The dead instance is a change PLEG's next relist sees: that sync restarts it or backs
        // off, as for any exit.
        ctx.after(until_relist_ms(now), Event::Kubelet(node, KubeletEvent::Restart { pod: id, c, epoch }));
    }
}
