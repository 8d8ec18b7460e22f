//! Pod status from container states: upstream's `getPhase` and the Ready condition.

use crate::api::*;
use crate::sim::SimTime;

/// `getPhase` (pkg/kubelet/kubelet_pods.go). `terminating`: the pod is being deleted
/// (`podIsTerminal`), so stopped containers make it terminal whatever the restart policy.
/// Regular init containers gate initialization; sidecars (restartable init containers) count
/// with the app containers while they run or wait for their first start, and are ignored once
/// they have terminated.
pub fn phase(p: &Pod, terminating: bool) -> PodPhase {
    let policy = p.spec.restart_policy;
    let (mut pending_init, mut failed_init) = (0, 0);
    let (mut running, mut waiting, mut stopped, mut succeeded) = (0, 0, 0, 0);
    for (s, c) in p.status.init_containers.iter().zip(&p.spec.init_containers) {
        let last_failed = s.last_terminated.is_some_and(|(code, _, _)| code != 0);
        match (c.sidecar, &s.state) {
            (false, ContainerState::Running { .. }) => pending_init += 1,
            (false, ContainerState::Terminated { exit_code, .. }) => failed_init += usize::from(*exit_code != 0),
            (false, ContainerState::Waiting { .. }) if s.last_terminated.is_some() => {
                failed_init += usize::from(last_failed)
            }
            (false, ContainerState::Waiting { .. }) => pending_init += 1,
            (true, ContainerState::Running { .. }) => running += 1,
            // Terminated sidecars are not taken into account.
            (true, ContainerState::Terminated { .. }) => {}
            (true, ContainerState::Waiting { .. }) if s.last_terminated.is_some() => {}
            (true, ContainerState::Waiting { .. }) => {
                pending_init += 1;
                waiting += 1;
            }
        }
    }
    let mut any_started = false;
    for s in &p.status.containers {
        match s.state {
            ContainerState::Running { .. } => running += 1,
            ContainerState::Terminated { exit_code, .. } => {
                stopped += 1;
                succeeded += usize::from(exit_code == 0);
            }
            ContainerState::Waiting { .. } if s.last_terminated.is_some() => stopped += 1,
            ContainerState::Waiting { .. } => waiting += 1,
        }
        // HasAnyRegularContainerStarted.
        any_started |= !matches!(s.state, ContainerState::Waiting { .. }) || s.last_terminated.is_some();
    }
    if failed_init > 0 && policy == RestartPolicy::Never {
        return PodPhase::Failed;
    }
    if (pending_init > 0 && !any_started) || waiting > 0 {
        return PodPhase::Pending;
    }
    if running > 0 {
        return PodPhase::Running;
    }
    if stopped == 0 {
        return PodPhase::Pending;
    }
    if terminating {
        return if stopped == succeeded { PodPhase::Succeeded } else { PodPhase::Failed };
    }
    match policy {
        RestartPolicy::Always => PodPhase::Running,
        _ if stopped == succeeded => PodPhase::Succeeded,
        RestartPolicy::Never => PodPhase::Failed,
        RestartPolicy::OnFailure => PodPhase::Running,
    }
}

/// Recompute phase and readiness after a container changed; note first-Running and
/// first-Ready times for the outputs.
pub fn refresh(p: &mut Pod, now: SimTime) {
    refresh_with(p, now, phase(p, false));
}

/// As `refresh`, for a pod whose container the kubelet is about to restart: it cannot be
/// terminal (the status manager never lets a pod leave a terminal phase, and the kubelet does
/// not restart containers of a terminal pod).
pub fn refresh_restarting(p: &mut Pod, now: SimTime) {
    let ph = phase(p, false);
    refresh_with(p, now, if ph.is_terminal() { PodPhase::Running } else { ph });
}

fn refresh_with(p: &mut Pod, now: SimTime, ph: PodPhase) {
    // The status manager never lets a pod leave a terminal phase.
    let ph = if p.status.phase.is_terminal() { p.status.phase } else { ph };
    p.status.phase = ph;
    let all_running = p.status.containers.iter().all(|c| matches!(c.state, ContainerState::Running { .. }));
    if all_running && ph == PodPhase::Running {
        p.started_at.get_or_insert(now);
    }
    let sidecars_ready =
        p.status.init_containers.iter().zip(&p.spec.init_containers).filter(|(_, c)| c.sidecar).all(|(s, _)| s.ready);
    // A readiness gate's condition is never set here: a gated pod is never Ready.
    let ready = ph == PodPhase::Running
        && all_running
        && sidecars_ready
        && p.status.containers.iter().all(|c| c.ready)
        && p.spec.readiness_gates.is_empty();
    p.status.ready = ready;
    if ready {
        p.ready_at.get_or_insert(now);
    }
    if ph.is_terminal() {
        p.finished_at.get_or_insert(now);
    }
}
