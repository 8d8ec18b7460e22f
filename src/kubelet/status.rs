//! Pod status from container states: upstream's `getPhase` and the Ready condition.

use crate::api::*;
use crate::sim::SimTime;

/// `getPhase` (pkg/kubelet/kubelet_pods.go) for pods without sidecars. `terminating`: the pod is
/// being deleted, so stopped containers make it terminal whatever the restart policy.
pub fn phase(p: &Pod, terminating: bool) -> PodPhase {
    let policy = p.spec.restart_policy;
    let mut init_pending = false;
    for (s, c) in p.status.init_containers.iter().zip(&p.spec.init_containers) {
        if c.sidecar {
            // A sidecar counts as initialized once it has started.
            if !matches!(s.state, ContainerState::Running { .. }) && s.last_terminated.is_none() && s.restart_count == 0
            {
                init_pending = true;
            }
            continue;
        }
        match s.state {
            ContainerState::Terminated { exit_code: 0, .. } => {}
            ContainerState::Terminated { .. } if policy == RestartPolicy::Never => return PodPhase::Failed,
            _ => init_pending = true,
        }
    }
    if init_pending {
        return PodPhase::Pending;
    }
    let (mut waiting, mut running, mut stopped, mut succeeded) = (0, 0, 0, 0);
    for s in &p.status.containers {
        match s.state {
            ContainerState::Running { .. } => running += 1,
            ContainerState::Terminated { exit_code, .. } => {
                stopped += 1;
                if exit_code == 0 {
                    succeeded += 1;
                }
            }
            ContainerState::Waiting { .. } => match s.last_terminated {
                Some((code, _, _)) => {
                    stopped += 1;
                    if code == 0 {
                        succeeded += 1;
                    }
                }
                None => waiting += 1,
            },
        }
    }
    if waiting > 0 {
        return PodPhase::Pending;
    }
    if running > 0 {
        return PodPhase::Running;
    }
    if stopped > 0 {
        if terminating {
            return if stopped == succeeded { PodPhase::Succeeded } else { PodPhase::Failed };
        }
        return match policy {
            RestartPolicy::Always => PodPhase::Running,
            _ if stopped == succeeded => PodPhase::Succeeded,
            RestartPolicy::Never => PodPhase::Failed,
            RestartPolicy::OnFailure => PodPhase::Running,
        };
    }
    PodPhase::Pending
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
    let ready = ph == PodPhase::Running && all_running && sidecars_ready && p.status.containers.iter().all(|c| c.ready);
    p.status.ready = ready;
    if ready {
        p.ready_at.get_or_insert(now);
    }
    if ph.is_terminal() {
        p.finished_at.get_or_insert(now);
    }
}
