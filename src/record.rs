//! The recorder (the `record` layer, below the components): Kubernetes Events as they are emitted, time-series samples and workload
//! readiness changes. Appends only; nothing here allocates strings.

pub mod history;

use crate::api::events::{ObjRef, RecordedEvent, Source};
use crate::api::{EventId, EventType, Message, NodeId, WorkloadRef};
use crate::sim::SimTime;

/// One row of timeseries.csv.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sample {
    pub time: SimTime,
    pub nodes_ready: u32,
    pub nodes_not_ready: u32,
    pub pending: u32,
    pub running: u32,
    pub succeeded: u32,
    pub failed: u32,
    pub terminating: u32,
    pub cpu_requested_milli: u64,
    pub memory_requested: u64,
}

/// A workload's (time, desired, ready) at every change.
pub type WorkloadLog = Vec<(SimTime, u32, u32)>;

/// One row of workloads.csv.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkloadSample {
    pub time: SimTime,
    pub workload: WorkloadRef,
    pub desired: u32,
    pub ready: u32,
    pub available: u32,
    pub updated: u32,
    /// `.status.replicas`: the workload's pods that exist and are not terminating.
    pub replicas: u32,
}

/// One Job row of workloads.csv: its completions (parallelism for a work queue) and status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobSample {
    pub time: SimTime,
    pub job: crate::api::JobId,
    pub desired: u32,
    pub active: u32,
    pub ready: u32,
    pub succeeded: u32,
    pub failed: u32,
}

/// A pod's memory use at a sample (pods whose behaviour uses memory), for the memory chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemorySample {
    pub time: SimTime,
    pub pod: crate::api::PodId,
    pub bytes: u64,
}

/// One row of services.csv: a Service's endpoints at a sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceSample {
    pub time: SimTime,
    /// Index into the API server's Services.
    pub service: u32,
    pub endpoints: crate::api::service::EndpointCounts,
}

/// A container instance's end as the kubelet saw it (a process's exit, a kill, a failed start):
/// what `get events --why` names as the reason of a restart back-off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContainerExit {
    pub finished: SimTime,
    pub pod: crate::api::PodId,
    pub container: crate::api::events::ContainerRef,
    pub code: i32,
    pub reason: &'static str,
}

#[derive(Default)]
pub struct Recorder {
    pub events: Vec<RecordedEvent>,
    pub samples: Vec<Sample>,
    pub workload_samples: Vec<WorkloadSample>,
    /// The input's Jobs and its CronJobs' (not a trace's) at each sample while they exist.
    pub job_samples: Vec<JobSample>,
    /// Per sample, each Service with a selector.
    pub service_samples: Vec<ServiceSample>,
    /// Per tracked workload: every change of (desired, ready), in time order.
    pub workload_changes: Vec<(WorkloadRef, WorkloadLog)>,
    pub failed_scheduling: u64,
    /// Fault start times with the action name, for recovery metrics.
    pub faults: Vec<(SimTime, &'static str)>,
    /// Fault spans (start, end if it has one, action), for the charts.
    pub fault_spans: Vec<(SimTime, Option<SimTime>, &'static str)>,
    /// Every pod's and node's printable state at each change, for report.html's viewer (kept
    /// only when asked: `RunOptions::history`).
    pub history: Option<history::History>,
    /// Every container instance's end, in the order the kubelets saw them.
    pub exits: Vec<ContainerExit>,
    /// Per sample, the memory of each live pod whose behaviour uses memory.
    pub memory_samples: Vec<MemorySample>,
}

impl Recorder {
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &mut self,
        time: SimTime,
        kind: EventType,
        reason: &'static str,
        object: ObjRef,
        node: Option<NodeId>,
        source: Source,
        message: Message,
        cause: EventId,
    ) -> EventId {
        let id = self.events.len() as EventId + 1;
        self.events.push(RecordedEvent {
            id,
            time,
            kind,
            reason,
            object,
            node,
            source,
            message,
            cause,
            count: 1,
            last_seen: time,
        });
        id
    }

    pub fn track(&mut self, w: WorkloadRef) {
        self.workload_changes.push((w, Vec::new()));
    }

    /// Note a tracked workload's (desired, ready) at `time` if it changed.
    pub fn workload_status(&mut self, w: WorkloadRef, time: SimTime, desired: u32, ready: u32) {
        let Some((_, log)) = self.workload_changes.iter_mut().find(|(x, _)| *x == w) else {
            return;
        };
        if log.last().is_some_and(|&(_, d, r)| d == desired && r == ready) {
            return;
        }
        if let Some(last) = log.last_mut()
            && last.0 == time
        {
            *last = (time, desired, ready);
            return;
        }
        log.push((time, desired, ready));
    }
}
