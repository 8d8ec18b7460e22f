//! Each component's timer payloads: plain `Copy` data carried by [`super::Event`]. They live
//! here, below the components, so that the event enum and `Ctx` need no component.

use crate::api::events::ContainerRef;
use crate::api::{NodeId, PodId, ProbeKind};
use crate::sim::SimTime;

/// kubelet `evictionMonitoringPeriod` (housekeeping) default.
pub const EVICTION_MONITORING_PERIOD_MS: u64 = 10_000;

/// Scheduler timers (scheduler -> scheduler).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchedulerEvent {
    /// Take the next pod from activeQ and run one scheduling cycle.
    ScheduleOne,
    /// The binding of an assumed pod reaches the API server.
    Bind(PodId, NodeId),
    /// `flushBackoffQCompleted`: move the pods whose backoff has expired to activeQ.
    FlushBackoff,
    /// Move pods that have waited too long in unschedulablePods.
    FlushUnschedulable,
}

/// Kubelet timers (kubelet -> itself). `epoch` is the container's: a timer is stale once the
/// container moved on (it was restarted, killed, or its pod deleted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KubeletEvent {
    /// The node loses power (`node-crash`): the kubelet and every container stop.
    PowerOff,
    /// The node is told it will shut down (`node-shutdown`): the shutdown manager's turn.
    Shutdown,
    /// The shutdown manager's next step: 1 the critical pods' turn, 2 power off.
    ShutdownStage {
        step: u8,
    },
    /// The node boots again: the kubelet starts and syncs the pods bound to it.
    PowerOn,
    /// The eviction manager's housekeeping tick.
    EvictionMonitor,
    /// The container's process is up (Created -> Started).
    Started {
        pod: PodId,
        c: ContainerRef,
        epoch: u32,
    },
    /// The container's postStart hook has run its course.
    PostStartDone {
        pod: PodId,
        c: ContainerRef,
        epoch: u32,
    },
    /// The process ends on its own: `exit`, `crash`, OOM, or an init container's work done.
    Exited {
        pod: PodId,
        c: ContainerRef,
        epoch: u32,
        code: i32,
        oom: bool,
    },
    /// A probe of this container runs now.
    /// `late`: the answer it waited for did not come within `timeoutSeconds`.
    Probe {
        pod: PodId,
        c: ContainerRef,
        epoch: u32,
        kind: ProbeKind,
        late: bool,
    },
    /// CrashLoopBackOff is over: start the container again.
    Restart {
        pod: PodId,
        c: ContainerRef,
        epoch: u32,
    },
    /// The pod worker syncs again after the container's image could not be had.
    Resync {
        pod: PodId,
        c: ContainerRef,
        epoch: u32,
    },
    /// The process is gone after the kubelet stopped it (preStop, SIGTERM, or SIGKILL).
    Stopped {
        pod: PodId,
        c: ContainerRef,
        epoch: u32,
        code: i32,
    },
    /// `kubelet-service-kill`: the kubelet process dies; containers keep running, nobody
    /// looks after them, nothing is reported.
    ServiceStop,
    /// The kubelet process starts again: it catches up with what happened meanwhile.
    ServiceStart,
    /// The node reaches the control plane again (a partition or an API server outage ended).
    Reconnect,
    /// `container-kill`: SIGKILL to one container; the restart policy decides what follows.
    KillContainer {
        pod: PodId,
        c: ContainerRef,
    },
    /// `pod-failure`: the pod's containers fail, and fail again at every start, until `until`.
    FailPod {
        pod: PodId,
        until: SimTime,
    },
    /// The volume manager tries a failed mount again (its back-off is over).
    MountRetry {
        pod: PodId,
    },
    /// The pod worker's next sync after `FailedCreatePodSandBox`.
    SandboxRetry {
        pod: PodId,
    },
    /// The pod worker's next sync after one the network stopped (`NetworkNotReady`).
    SyncRetry {
        pod: PodId,
    },
    /// `container-runtime-down`: the container runtime stops answering (or answers again).
    RuntimeDown,
    RuntimeUp,
    /// A runtime check or node status update the runtime's state decides (stale unless
    /// `epoch` is the kubelet's current one).
    RuntimeStatus {
        epoch: u32,
    },
    /// `cni-down`: the runtime's network plugin is not initialized (or is again).
    CniDown,
    CniUp,
    /// A runtime check or node status update the network's state decides (stale unless
    /// `epoch` is the kubelet's current network epoch).
    NetworkStatus {
        epoch: u32,
    },
}

/// Node lifecycle timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeLifecycleEvent {
    /// The periodic look at every node's lease.
    Monitor,
    /// The pod's toleration of its node's NoExecute taints ran out (stale if `epoch` is not
    /// the eviction scheduled now).
    Evict { pod: PodId, node: NodeId, epoch: u32 },
    /// A node's NoExecute taints changed (an operator's `kubectl taint`): the taint eviction
    /// controller looks at its pods.
    TaintsChanged { node: NodeId },
    /// Work a zone's tainting queue (`doNoExecuteTaintingPass`).
    Taint { zone: u32, epoch: u32 },
}

impl KubeletEvent {
    /// Events the kubelet handles while its sync loop skips pod work (the runtime is down):
    /// power, its own process, the connection and the runtime's state.
    pub fn goes_on_without_runtime(&self) -> bool {
        matches!(
            self,
            KubeletEvent::PowerOff
                | KubeletEvent::PowerOn
                | KubeletEvent::Shutdown
                | KubeletEvent::ShutdownStage { .. }
                | KubeletEvent::ServiceStop
                | KubeletEvent::ServiceStart
                | KubeletEvent::Reconnect
                | KubeletEvent::RuntimeDown
                | KubeletEvent::RuntimeUp
                | KubeletEvent::RuntimeStatus { .. }
                | KubeletEvent::CniDown
                | KubeletEvent::CniUp
                | KubeletEvent::NetworkStatus { .. }
        )
    }

    /// The eviction manager's next housekeeping tick after `now` (ticks fall on multiples of
    /// `evictionMonitoringPeriod`): where a change of node memory is first seen.
    pub fn next_eviction_monitor(now: SimTime) -> SimTime {
        SimTime((now.as_millis() / EVICTION_MONITORING_PERIOD_MS + 1) * EVICTION_MONITORING_PERIOD_MS)
    }
}
