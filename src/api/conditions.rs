//! Pod conditions (core/v1 `PodCondition`): the five the kubelet's status manager generates
//! from the container statuses at every status write (pkg/kubelet/status/generate.go, in the
//! order `generateAPIPodStatus` appends them), the scheduler's `PodScheduled=False`, and
//! `DisruptionTarget` from whoever is about to take the pod away.
//!
//! Kept compact (no strings): a container list in a message is a bit set over the containers
//! it can name, a scheduler message an index into the API server's message table; both are
//! spelled out only when shown.

use super::pod::{ContainerState, Pod, PodPhase, PodSpec};
use crate::sim::SimTime;

/// The condition types kubesim models.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CondType {
    PodScheduled,
    PodReadyToStartContainers,
    Initialized,
    ContainersReady,
    Ready,
    DisruptionTarget,
}

impl CondType {
    /// The order a pod's life walks them (conditions.csv lists same-time changes this way).
    pub const ALL: [CondType; 6] = [
        CondType::PodScheduled,
        CondType::PodReadyToStartContainers,
        CondType::Initialized,
        CondType::ContainersReady,
        CondType::Ready,
        CondType::DisruptionTarget,
    ];
    /// The order of `status.conditions` (and so of `kubectl describe`): conditions the kubelet
    /// does not own first (it preserves them), then its own as `generateAPIPodStatus` appends
    /// them, `PodScheduled` last.
    pub const API_ORDER: [CondType; 6] = [
        CondType::DisruptionTarget,
        CondType::PodReadyToStartContainers,
        CondType::Initialized,
        CondType::Ready,
        CondType::ContainersReady,
        CondType::PodScheduled,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            CondType::PodScheduled => "PodScheduled",
            CondType::PodReadyToStartContainers => "PodReadyToStartContainers",
            CondType::Initialized => "Initialized",
            CondType::ContainersReady => "ContainersReady",
            CondType::Ready => "Ready",
            CondType::DisruptionTarget => "DisruptionTarget",
        }
    }
}

/// Condition reasons, by upstream's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CondReason {
    #[default]
    None,
    /// The scheduler found no node (`v1.PodReasonUnschedulable`).
    Unschedulable,
    /// generate.go's reasons.
    ContainersNotInitialized,
    ReadinessGatesNotReady,
    ContainersNotReady,
    PodCompleted,
    PodFailed,
    /// DisruptionTarget reasons (`v1.PodReason*`), each with its writer's fixed message.
    DeletionByTaintManager,
    PreemptionByScheduler,
    EvictionByEvictionAPI,
    DeletionByPodGC,
    /// The kubelet's eviction manager or node shutdown; the message is the pod's
    /// `status.message`.
    TerminationByKubelet,
}

impl CondReason {
    pub fn as_str(self) -> &'static str {
        match self {
            CondReason::None => "",
            CondReason::Unschedulable => "Unschedulable",
            CondReason::ContainersNotInitialized => "ContainersNotInitialized",
            CondReason::ReadinessGatesNotReady => "ReadinessGatesNotReady",
            CondReason::ContainersNotReady => "ContainersNotReady",
            CondReason::PodCompleted => "PodCompleted",
            CondReason::PodFailed => "PodFailed",
            CondReason::DeletionByTaintManager => "DeletionByTaintManager",
            CondReason::PreemptionByScheduler => "PreemptionByScheduler",
            CondReason::EvictionByEvictionAPI => "EvictionByEvictionAPI",
            CondReason::DeletionByPodGC => "DeletionByPodGC",
            CondReason::TerminationByKubelet => "TerminationByKubelet",
        }
    }
}

/// The messages of the DisruptionTarget writers (taint eviction controller, scheduler's
/// preemption with the default profile's name, the eviction subresource, pod GC).
pub const MSG_TAINT_MANAGER: &str = "Taint manager: deleting due to NoExecute taint";
pub const MSG_PREEMPTION: &str = "default-scheduler: preempting to accommodate a higher priority pod";
pub const MSG_EVICTION_API: &str = "Eviction API: evicting";
pub const MSG_POD_GC: &str = "PodGC: node no longer exists";

/// One condition. `detail`: for ContainersNotReady the unready containers (bit i: the i-th of
/// the sidecars then the app containers), for ContainersNotInitialized the incomplete init
/// containers, for Unschedulable the index of the scheduler's message, for a True
/// PodReadyToStartContainers the sandbox's address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cond {
    pub status: bool,
    pub reason: CondReason,
    pub detail: u32,
    /// `lastTransitionTime`: when `status` last changed.
    pub since: SimTime,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PodConditions(pub [Option<Cond>; 6]);

impl PodConditions {
    pub fn get(&self, t: CondType) -> Option<&Cond> {
        self.0[t as usize].as_ref()
    }
    /// Set a condition as `UpdatePodCondition` does: `lastTransitionTime` moves only when the
    /// status changes (or the condition is new).
    pub fn set(&mut self, t: CondType, status: bool, reason: CondReason, detail: u32, now: SimTime) {
        let slot = &mut self.0[t as usize];
        let since = match slot {
            Some(c) if c.status == status => c.since,
            _ => now,
        };
        *slot = Some(Cond { status, reason, detail, since });
    }
}

/// Bit set over the containers a message can name (at most 32; further ones go unnamed).
fn bit(i: usize) -> u32 {
    if i < 32 { 1 << i } else { 0 }
}

/// The containers `ContainersReady` looks at, in its order: restartable init containers
/// (sidecars), then the app containers; with their statuses.
fn readiness_set(p: &Pod) -> impl Iterator<Item = (&str, &super::ContainerStatus)> {
    let sidecars = p.spec.init_containers.iter().zip(&p.status.init_containers).filter(|(c, _)| c.sidecar);
    sidecars.chain(p.spec.containers.iter().zip(&p.status.containers)).map(|(c, s)| (c.name.as_str(), s))
}

/// `GenerateContainersReadyCondition`: (status, reason, unready set).
fn containers_ready(p: &Pod) -> (bool, CondReason, u32) {
    match p.status.phase {
        PodPhase::Succeeded => return (false, CondReason::PodCompleted, 0),
        PodPhase::Failed => return (false, CondReason::PodFailed, 0),
        _ => {}
    }
    let unready = readiness_set(p).enumerate().filter(|(_, (_, s))| !s.ready).fold(0, |m, (i, _)| m | bit(i));
    if unready != 0 { (false, CondReason::ContainersNotReady, unready) } else { (true, CondReason::None, 0) }
}

/// `GeneratePodInitializedCondition`: a regular init container counts once it succeeded, a
/// sidecar once it started; any regular container started means initialised before. A
/// Succeeded pod says PodCompleted, with or without init containers.
fn initialized(p: &Pod) -> (bool, CondReason, u32) {
    if p.status.phase == PodPhase::Succeeded {
        return (true, CondReason::PodCompleted, 0);
    }
    let any_started = p
        .status
        .containers
        .iter()
        .any(|s| !matches!(s.state, ContainerState::Waiting { .. }) || s.last_terminated.is_some());
    if any_started {
        return (true, CondReason::None, 0);
    }
    let mut incomplete = 0;
    for (i, (c, s)) in p.spec.init_containers.iter().zip(&p.status.init_containers).enumerate() {
        let done = if c.sidecar {
            matches!(s.state, ContainerState::Running { .. })
        } else {
            matches!(s.state, ContainerState::Terminated { exit_code: 0, .. })
        };
        if !done {
            incomplete |= bit(i);
        }
    }
    if incomplete != 0 {
        (false, CondReason::ContainersNotInitialized, incomplete)
    } else {
        (true, CondReason::None, 0)
    }
}

/// The conditions a kubelet status write carries (`generateAPIPodStatus`): PodReadyToStartContainers
/// (a sandbox with its network is up; none once the pod is terminal, its sandbox torn down),
/// Initialized, ContainersReady, Ready (as ContainersReady, then the readiness gates: no
/// component sets a gate's condition, so a gated pod reports ReadinessGatesNotReady),
/// PodScheduled True.
pub fn generate_kubelet(p: &mut Pod, now: SimTime) {
    let sandbox = p.status.sandbox_ready && !p.status.phase.is_terminal();
    let (i_status, i_reason, i_detail) = initialized(p);
    let (c_status, c_reason, c_detail) = containers_ready(p);
    let ready = p.status.ready && c_status;
    let c = &mut p.status.conditions;
    // Its detail keeps the sandbox's address (for the trace: the pod's address changes with it).
    let ip = if sandbox { p.status.pod_ip.unwrap_or(0) } else { 0 };
    c.set(CondType::PodReadyToStartContainers, sandbox, CondReason::None, ip, now);
    c.set(CondType::Initialized, i_status, i_reason, i_detail, now);
    c.set(CondType::ContainersReady, c_status, c_reason, c_detail, now);
    if ready {
        c.set(CondType::Ready, true, CondReason::None, 0, now);
    } else if c_status && !p.spec.readiness_gates.is_empty() {
        c.set(CondType::Ready, false, CondReason::ReadinessGatesNotReady, 0, now);
    } else {
        c.set(CondType::Ready, false, c_reason, c_detail, now);
    }
    if c.get(CondType::PodScheduled).is_none_or(|s| !s.status) {
        c.set(CondType::PodScheduled, true, CondReason::None, 0, now);
    }
}

/// Go's `%s` of a `[]string`: `[a b]`.
fn names<'a>(it: impl Iterator<Item = &'a str>) -> String {
    format!("[{}]", it.collect::<Vec<_>>().join(" "))
}

/// A condition's message as upstream writes it. `sched`: the scheduler's messages by index.
pub fn message(p: &Pod, c: &Cond, sched: &[std::sync::Arc<str>]) -> Option<String> {
    let named = |spec: &PodSpec, set: u32, init_only: bool| {
        let list: Vec<&str> = if init_only {
            spec.init_containers.iter().map(|c| c.name.as_str()).collect()
        } else {
            readiness_set(p).map(|(n, _)| n).collect()
        };
        names(list.into_iter().enumerate().filter(|(i, _)| set & bit(*i) != 0).map(|(_, n)| n))
    };
    Some(match c.reason {
        CondReason::None | CondReason::PodCompleted | CondReason::PodFailed => return None,
        CondReason::Unschedulable => sched.get(c.detail as usize)?.to_string(),
        CondReason::ContainersNotInitialized => {
            format!("containers with incomplete status: {}", named(&p.spec, c.detail, true))
        }
        CondReason::ContainersNotReady => {
            format!("containers with unready status: {}", named(&p.spec, c.detail, false))
        }
        CondReason::ReadinessGatesNotReady => (p.spec.readiness_gates.iter())
            .map(|g| format!("corresponding condition of pod readiness gate {:?} does not exist.", &**g))
            .collect::<Vec<_>>()
            .join(", "),
        CondReason::DeletionByTaintManager => MSG_TAINT_MANAGER.into(),
        CondReason::PreemptionByScheduler => MSG_PREEMPTION.into(),
        CondReason::EvictionByEvictionAPI => MSG_EVICTION_API.into(),
        CondReason::DeletionByPodGC => MSG_POD_GC.into(),
        CondReason::TerminationByKubelet => p.status.message.clone()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::{new_pod, test_pod_spec};
    use crate::api::*;
    use std::sync::Arc;

    fn pod(inits: &[(&str, bool)], apps: &[&str]) -> Pod {
        let mut spec = test_pod_spec();
        let c0 = spec.containers[0].clone();
        spec.containers = apps.iter().map(|n| ContainerSpec { name: n.to_string(), ..c0.clone() }).collect();
        spec.init_containers = inits
            .iter()
            .map(|(n, sidecar)| ContainerSpec { name: n.to_string(), sidecar: *sidecar, ..c0.clone() })
            .collect();
        new_pod("default".into(), "p".into(), Arc::new(Labels::default()), None, Arc::new(spec), SimTime(0))
    }
    fn running() -> ContainerState {
        ContainerState::Running { started: SimTime(0) }
    }
    fn done(code: i32) -> ContainerState {
        ContainerState::Terminated { exit_code: code, reason: "Completed", finished: SimTime(0) }
    }
    fn shown(p: &Pod, t: CondType) -> (bool, &'static str, Option<String>) {
        let c = p.status.conditions.get(t).expect("set");
        (c.status, c.reason.as_str(), message(p, c, &[]))
    }

    /// TestGenerateContainersReadyCondition (generate_test.go): unready containers listed,
    /// sidecars first; a Succeeded pod is PodCompleted, a Failed one PodFailed.
    #[test]
    fn containers_ready_names_the_unready_containers_sidecars_first() {
        let mut p = pod(&[("init", false), ("proxy", true)], &["app1", "app2"]);
        p.status.containers[0].ready = true;
        generate_kubelet(&mut p, SimTime(5));
        let m = "containers with unready status: [proxy app2]".to_string();
        assert_eq!(shown(&p, CondType::ContainersReady), (false, "ContainersNotReady", Some(m.clone())));
        assert_eq!(shown(&p, CondType::Ready), (false, "ContainersNotReady", Some(m)));
        p.status.phase = PodPhase::Succeeded;
        generate_kubelet(&mut p, SimTime(6));
        assert_eq!(shown(&p, CondType::ContainersReady), (false, "PodCompleted", None));
        p.status.phase = PodPhase::Failed;
        generate_kubelet(&mut p, SimTime(7));
        assert_eq!(shown(&p, CondType::Ready), (false, "PodFailed", None));
        // The status stayed False throughout: the transition time is the first one.
        assert_eq!(p.status.conditions.get(CondType::Ready).unwrap().since, SimTime(5));
    }

    /// TestGeneratePodInitializedCondition: no init containers -> True; incomplete ones
    /// listed; a sidecar counts once started; a regular container started -> True; Succeeded ->
    /// True/PodCompleted.
    #[test]
    fn initialized_follows_the_init_containers() {
        let mut p = pod(&[], &["app"]);
        generate_kubelet(&mut p, SimTime(1));
        assert_eq!(shown(&p, CondType::Initialized), (true, "", None));
        let mut p = pod(&[("a", false), ("b", true), ("c", false)], &["app"]);
        p.status.init_containers[0].state = done(0);
        generate_kubelet(&mut p, SimTime(1));
        let m = "containers with incomplete status: [b c]".to_string();
        assert_eq!(shown(&p, CondType::Initialized), (false, "ContainersNotInitialized", Some(m)));
        p.status.init_containers[1].state = running();
        p.status.init_containers[2].state = done(0);
        generate_kubelet(&mut p, SimTime(2));
        assert_eq!(shown(&p, CondType::Initialized), (true, "", None));
        assert_eq!(p.status.conditions.get(CondType::Initialized).unwrap().since, SimTime(2));
        // The sidecar restarting later does not un-initialise a pod whose app has started.
        p.status.init_containers[1].state = ContainerState::Waiting { reason: "CrashLoopBackOff" };
        p.status.containers[0].state = running();
        generate_kubelet(&mut p, SimTime(3));
        assert_eq!(shown(&p, CondType::Initialized), (true, "", None));
        p.status.phase = PodPhase::Succeeded;
        generate_kubelet(&mut p, SimTime(4));
        assert_eq!(shown(&p, CondType::Initialized), (true, "PodCompleted", None));
    }

    /// Every pod carries them: 16 bytes a condition.
    #[test]
    fn conditions_stay_small() {
        assert_eq!(std::mem::size_of::<PodConditions>(), 96);
    }

    #[test]
    fn ready_to_start_follows_the_sandbox_and_ends_with_the_pod() {
        let mut p = pod(&[], &["app"]);
        generate_kubelet(&mut p, SimTime(1));
        assert_eq!(shown(&p, CondType::PodReadyToStartContainers), (false, "", None));
        assert_eq!(shown(&p, CondType::PodScheduled), (true, "", None));
        p.status.sandbox_ready = true;
        generate_kubelet(&mut p, SimTime(2));
        assert_eq!(shown(&p, CondType::PodReadyToStartContainers), (true, "", None));
        p.status.phase = PodPhase::Succeeded;
        generate_kubelet(&mut p, SimTime(3));
        assert_eq!(shown(&p, CondType::PodReadyToStartContainers), (false, "", None));
    }
}
