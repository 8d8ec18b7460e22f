//! Pods: spec (what the user asked for) and status (what the kubelet reports).

use super::{DsId, ImageId, JobId, Labels, NodeId, Probe, Resources, RsId, StsId, TaintEffect};
use crate::sim::SimTime;
use std::sync::Arc;

/// Upstream's `pkg/scheduler/util` non-zero defaults: a container without a cpu or memory
/// request counts as 100m / 200Mi when the scheduler *scores* (never when it filters).
pub const DEFAULT_MILLI_CPU_REQUEST: u64 = 100;
pub const DEFAULT_MEMORY_REQUEST: u64 = 200 * 1024 * 1024;
/// `v1.DefaultTerminationGracePeriodSeconds`.
pub const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS: u64 = 30;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestartPolicy {
    Always,
    OnFailure,
    Never,
}

impl RestartPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            RestartPolicy::Always => "Always",
            RestartPolicy::OnFailure => "OnFailure",
            RestartPolicy::Never => "Never",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PullPolicy {
    Always,
    IfNotPresent,
    Never,
}

impl PullPolicy {
    /// Upstream defaulting (`SetDefaults_Container` with `parsers.ParseImageName`): `Always`
    /// when the tag is `latest`, or when there is neither a tag nor a digest (the tag defaults
    /// to `latest`); otherwise `IfNotPresent`. A digest does not hide a `:latest` tag
    /// (`app:latest@sha256:...` is `Always`).
    pub fn default_for(image: &str) -> PullPolicy {
        let (name, digest) = match image.split_once('@') {
            Some((n, d)) => (n, Some(d)),
            None => (image, None),
        };
        let last = name.rsplit('/').next().unwrap_or(name);
        match (last.rsplit_once(':'), digest) {
            (Some((_, "latest")), _) | (None, None) => PullPolicy::Always,
            _ => PullPolicy::IfNotPresent,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QosClass {
    Guaranteed,
    Burstable,
    BestEffort,
}

impl QosClass {
    pub fn as_str(self) -> &'static str {
        match self {
            QosClass::Guaranteed => "Guaranteed",
            QosClass::Burstable => "Burstable",
            QosClass::BestEffort => "BestEffort",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TolerationOp {
    Equal,
    Exists,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Toleration {
    /// Empty with `Exists` tolerates every taint.
    pub key: String,
    pub op: TolerationOp,
    pub value: String,
    /// `None` matches every effect.
    pub effect: Option<TaintEffect>,
    pub toleration_seconds: Option<i64>,
}

impl Toleration {
    /// `v1.Toleration.ToleratesTaint`.
    pub fn tolerates(&self, t: &super::Taint) -> bool {
        if self.effect.is_some_and(|e| e != t.effect) {
            return false;
        }
        if !self.key.is_empty() && self.key != t.key {
            return false;
        }
        match self.op {
            TolerationOp::Exists => true,
            TolerationOp::Equal => self.value == t.value,
        }
    }
}

/// A port a pod reserves on its node: `hostIP` ("0.0.0.0", every address, when not given),
/// protocol and `hostPort`, as the scheduler's `HostPortInfo` keys it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostPort {
    pub ip: Arc<str>,
    pub protocol: &'static str,
    pub port: u16,
}

/// NodePorts' `ErrReason`, in the scheduler's messages and the kubelet's admission failures.
pub const NODE_PORTS_ERR_REASON: &str = "node(s) didn't have free ports for the requested pod ports";

/// `DefaultBindAllHostIP`: a host port without `hostIP` binds every address.
pub const DEFAULT_BIND_ALL_HOST_IP: &str = "0.0.0.0";

impl HostPort {
    /// `HostPortInfo.CheckConflict`: the same protocol and port on the same address, or on
    /// any address when either binds them all.
    pub fn conflicts(&self, other: &HostPort) -> bool {
        self.port == other.port
            && self.protocol == other.protocol
            && (self.ip == other.ip || &*self.ip == DEFAULT_BIND_ALL_HOST_IP || &*other.ip == DEFAULT_BIND_ALL_HOST_IP)
    }
}

/// A container port: its name, number, protocol (TCP, UDP or SCTP) and `hostPort` (0: none).
pub type ContainerPort = (Option<Arc<str>>, i32, &'static str, u16);

#[derive(Clone, Debug)]
pub struct ContainerSpec {
    pub name: String,
    pub image: ImageId,
    pub pull_policy: PullPolicy,
    /// What the user wrote (a limit without a request defaults the request to the limit).
    pub requests: Resources,
    pub limits: Resources,
    pub has_cpu_request: bool,
    pub has_memory_request: bool,
    pub has_cpu_limit: bool,
    pub has_memory_limit: bool,
    pub readiness_probe: Option<Probe>,
    pub liveness_probe: Option<Probe>,
    pub startup_probe: Option<Probe>,
    /// `lifecycle.preStop` is set (its duration is the behaviour's `preStop`).
    pub pre_stop: bool,
    /// `lifecycle.postStart` is set (its duration and outcome are the behaviour's `postStart`).
    pub post_start: bool,
    /// The image's behaviour with the pod's `kubesim.io/behavior` annotation applied.
    pub behavior: crate::api::behavior::Behavior,
    /// An init container with `restartPolicy: Always`: it starts in order, stays up beside the
    /// app containers and is always restarted.
    pub sidecar: bool,
    /// ConfigMaps and Secrets its environment reads (`env[].valueFrom`, `envFrom`).
    pub env_refs: Vec<super::ConfigRef>,
    /// `ports`: (name, containerPort), what a Service's named `targetPort` resolves against.
    pub ports: Vec<ContainerPort>,
    /// `command[0]`, when the pod gives one: what a bad entrypoint's error names.
    pub command: Option<Arc<str>>,
}

#[derive(Clone, Debug)]
pub struct PodSpec {
    pub containers: Vec<ContainerSpec>,
    pub init_containers: Vec<ContainerSpec>,
    pub node_selector: Labels,
    pub node_name: Option<String>,
    /// Required node affinity `matchFields: metadata.name In [NAME]`: how the DaemonSet
    /// controller pins each of its pods to one node (the scheduler still binds it).
    pub affinity_node: Option<String>,
    pub tolerations: Vec<Toleration>,
    pub restart_policy: RestartPolicy,
    pub termination_grace_ms: u64,
    pub priority: i32,
    /// `priorityClassName` as given (the priority is resolved from it at admission).
    pub priority_class: Option<String>,
    pub preemption_policy: super::PreemptionPolicy,
    /// Node affinity, pod affinity and anti-affinity (boxed: most pods have none).
    pub affinity: Option<Box<super::Affinity>>,
    pub topology_spread: Vec<super::TopologySpreadConstraint>,
    /// Volumes whose mount reads a ConfigMap or Secret (others mount at once).
    pub volumes: Vec<super::VolumeSpec>,
    /// `serviceAccountName` as written (`None`: the namespace's `default`, filled at admission).
    pub service_account: Option<Arc<str>>,
    /// `hostNetwork`: the pod uses the node's network namespace and address (no CNI).
    pub host_network: bool,
    /// Pod-level `resources` (cpu and memory), when given.
    pub pod_level: Option<PodLevelResources>,
    /// `imagePullSecrets` by name.
    pub image_pull_secrets: Vec<Arc<str>>,
    /// `readinessGates`: condition types someone else must set True before the pod is Ready
    /// (no simulated component sets one).
    pub readiness_gates: Vec<Arc<str>>,
    /// The host ports its containers and sidecars reserve on the node (`ports[].hostPort`;
    /// with `hostNetwork`, every container port), what the NodePorts filter checks.
    pub host_ports: Vec<HostPort>,
    /// `metadata.finalizers` the pod is created with (a template's are copied to its pods, as
    /// the controllers' `getPodsFinalizers`): what keeps a deleted pod in the store.
    pub finalizers: Vec<Arc<str>>,
}

/// `spec.resources`: the pod's own cpu and memory requests and limits (PodLevelResources),
/// which win over the containers' for the scheduler, admission, QoS and eviction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PodLevelResources {
    pub requests: Resources,
    pub limits: Resources,
    pub has_cpu_request: bool,
    pub has_memory_request: bool,
    pub has_cpu_limit: bool,
    pub has_memory_limit: bool,
}

impl ContainerSpec {
    /// A container of `image` with no requests, limits, probes or preStop hook.
    pub fn new(
        name: impl Into<String>,
        image: ImageId,
        pull_policy: PullPolicy,
        behavior: crate::api::behavior::Behavior,
    ) -> ContainerSpec {
        ContainerSpec {
            name: name.into(),
            image,
            pull_policy,
            requests: Resources::default(),
            limits: Resources::default(),
            has_cpu_request: false,
            has_memory_request: false,
            has_cpu_limit: false,
            has_memory_limit: false,
            readiness_probe: None,
            liveness_probe: None,
            startup_probe: None,
            pre_stop: false,
            post_start: false,
            behavior,
            sidecar: false,
            env_refs: Vec::new(),
            ports: Vec::new(),
            command: None,
        }
    }
}

impl PodSpec {
    /// A pod of these containers with every other field at its Kubernetes default
    /// (restartPolicy Always, a 30 s grace period, priority 0, no selection or tolerations).
    pub fn of(containers: Vec<ContainerSpec>) -> PodSpec {
        PodSpec {
            containers,
            init_containers: Vec::new(),
            node_selector: Labels::default(),
            node_name: None,
            affinity_node: None,
            tolerations: Vec::new(),
            restart_policy: RestartPolicy::Always,
            termination_grace_ms: DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS * 1000,
            priority: 0,
            priority_class: None,
            preemption_policy: Default::default(),
            affinity: None,
            topology_spread: Vec::new(),
            volumes: Vec::new(),
            service_account: None,
            host_network: false,
            pod_level: None,
            image_pull_secrets: Vec::new(),
            readiness_gates: Vec::new(),
            host_ports: Vec::new(),
            finalizers: Vec::new(),
        }
    }

    /// The pod's effective request (`resourcehelper.PodRequests`): the larger of the sum over
    /// app containers and the largest init container.
    pub fn requests(&self) -> Resources {
        self.with_pod_level(self.effective(|c| c.requests), false)
    }

    /// Pod-level cpu and memory, where given, in place of the containers' (`PodRequests` /
    /// `PodLimits` with PodLevelResources).
    fn with_pod_level(&self, mut r: Resources, limits: bool) -> Resources {
        if let Some(p) = &self.pod_level {
            let (v, cpu, mem) = if limits {
                (p.limits, p.has_cpu_limit, p.has_memory_limit)
            } else {
                (p.requests, p.has_cpu_request, p.has_memory_request)
            };
            if cpu {
                r.cpu_milli = v.cpu_milli;
            }
            if mem {
                r.memory = v.memory;
            }
        }
        r
    }

    /// The sum over app containers or the largest init container, whichever is larger.
    fn effective(&self, of: impl Fn(&ContainerSpec) -> Resources) -> Resources {
        let mut sum = Resources::default();
        for c in &self.containers {
            sum.add(of(c));
        }
        let init = self.init_containers.iter().fold(Resources::default(), |m, c| m.max(of(c)));
        sum.max(init)
    }

    /// The pod's effective limits (`resourcehelper.PodLimits`), summed as `requests` sums.
    pub fn limits(&self) -> Resources {
        self.with_pod_level(self.effective(|c| c.limits), true)
    }

    /// Requests with the scheduler's non-zero defaults, as the scoring plugins see them.
    pub fn nonzero_requests(&self) -> Resources {
        let nz = |c: &ContainerSpec| Resources {
            cpu_milli: if c.has_cpu_request { c.requests.cpu_milli } else { DEFAULT_MILLI_CPU_REQUEST },
            memory: if c.has_memory_request { c.requests.memory } else { DEFAULT_MEMORY_REQUEST },
            ..c.requests
        };
        self.with_pod_level(self.effective(nz), false)
    }

    /// `qos.ComputePodQOS` (container-level): only cpu and memory above zero count. BestEffort
    /// when no container asks for either; Guaranteed when every container has cpu and memory
    /// limits and the pod's summed requests equal its summed limits, resource by resource;
    /// Burstable otherwise. An explicit `cpu: 0` is as good as none.
    /// With pod-level resources, they alone decide (the containers' are not looked at).
    pub fn qos(&self) -> QosClass {
        let (mut req, mut lim) = ([None::<u64>; 2], [None::<u64>; 2]);
        let mut guaranteed = true;
        if let Some(p) = &self.pod_level {
            let r = [(p.has_cpu_request, p.requests.cpu_milli), (p.has_memory_request, p.requests.memory)];
            let l = [(p.has_cpu_limit, p.limits.cpu_milli), (p.has_memory_limit, p.limits.memory)];
            for i in 0..2 {
                req[i] = (r[i].0 && r[i].1 > 0).then_some(r[i].1);
                lim[i] = (l[i].0 && l[i].1 > 0).then_some(l[i].1);
            }
            guaranteed = lim.iter().all(Option::is_some);
        }
        for c in self.containers.iter().chain(self.init_containers.iter()).filter(|_| self.pod_level.is_none()) {
            let r = [(c.has_cpu_request, c.requests.cpu_milli), (c.has_memory_request, c.requests.memory)];
            let l = [(c.has_cpu_limit, c.limits.cpu_milli), (c.has_memory_limit, c.limits.memory)];
            for i in 0..2 {
                if r[i].0 && r[i].1 > 0 {
                    req[i] = Some(req[i].unwrap_or(0) + r[i].1);
                }
                if l[i].0 && l[i].1 > 0 {
                    lim[i] = Some(lim[i].unwrap_or(0) + l[i].1);
                }
            }
            guaranteed &= l.iter().all(|&(set, v)| set && v > 0);
        }
        if req.iter().chain(&lim).all(Option::is_none) {
            return QosClass::BestEffort;
        }
        let equal = (0..2).all(|i| req[i].is_none_or(|r| lim[i] == Some(r)));
        let same_count = req.iter().flatten().count() == lim.iter().flatten().count();
        if guaranteed && equal && same_count { QosClass::Guaranteed } else { QosClass::Burstable }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodPhase {
    Pending,
    Running,
    Succeeded,
    Failed,
    Unknown,
}

impl PodPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            PodPhase::Pending => "Pending",
            PodPhase::Running => "Running",
            PodPhase::Succeeded => "Succeeded",
            PodPhase::Failed => "Failed",
            PodPhase::Unknown => "Unknown",
        }
    }
    pub fn is_terminal(self) -> bool {
        matches!(self, PodPhase::Succeeded | PodPhase::Failed)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContainerState {
    Waiting { reason: &'static str },
    Running { started: SimTime },
    Terminated { exit_code: i32, reason: &'static str, finished: SimTime },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContainerStatus {
    pub state: ContainerState,
    pub ready: bool,
    pub restart_count: u32,
    /// `lastState.terminated`: exit code, reason, finished at.
    pub last_terminated: Option<(i32, &'static str, SimTime)>,
}

impl ContainerStatus {
    /// A new state for the container's latest instance: a termination it replaces becomes the
    /// last state (`lastState.terminated`), as the kubelet's status shows the dead instance
    /// until a new one exists.
    pub fn set_state(&mut self, state: ContainerState) {
        if let ContainerState::Terminated { exit_code, reason, finished } = self.state
            && !matches!(state, ContainerState::Terminated { .. })
        {
            self.last_terminated = Some((exit_code, reason, finished));
        }
        self.state = state;
    }
}

impl Default for ContainerStatus {
    fn default() -> Self {
        ContainerStatus {
            state: ContainerState::Waiting { reason: "ContainerCreating" },
            ready: false,
            restart_count: 0,
            last_terminated: None,
        }
    }
}

/// The three kinds of container probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeKind {
    Readiness,
    Liveness,
    Startup,
}

impl ProbeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeKind::Readiness => "Readiness",
            ProbeKind::Liveness => "Liveness",
            ProbeKind::Startup => "Startup",
        }
    }
}

#[derive(Clone, Debug)]
pub struct PodStatus {
    pub phase: PodPhase,
    /// `status.reason` (e.g. `OutOfcpu`, `Evicted`).
    pub reason: Option<&'static str>,
    pub message: Option<String>,
    pub ready: bool,
    pub containers: Vec<ContainerStatus>,
    pub init_containers: Vec<ContainerStatus>,
    /// `status.podIP`: the sandbox's address (the node's own for `hostNetwork` pods); kept
    /// once the pod is terminal, as the kubelet keeps it.
    pub pod_ip: Option<u32>,
    /// The pod's sandbox is up with its network (the kubelet's view; drives
    /// PodReadyToStartContainers).
    pub sandbox_ready: bool,
    pub conditions: super::conditions::PodConditions,
}

/// Ownership as far as the controllers need it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Owner {
    ReplicaSet(RsId),
    Job(JobId),
    DaemonSet(DsId),
    StatefulSet(StsId),
}

#[derive(Clone, Debug)]
pub struct Pod {
    pub namespace: Arc<str>,
    pub name: String,
    pub labels: Arc<Labels>,
    pub owner: Option<Owner>,
    pub spec: Arc<PodSpec>,
    /// `spec.nodeName` once bound.
    pub node: Option<NodeId>,
    pub resource_version: u64,
    pub created: SimTime,
    /// `metadata.deletionTimestamp` and the grace period the deletion asked for.
    pub deletion: Option<(SimTime, u64)>,
    /// When the object left the API server (the final delete). The slot stays as a tombstone.
    pub removed: Option<SimTime>,
    pub status: PodStatus,
    // Lifecycle times for pods.csv and the startup-latency metric.
    pub scheduled_at: Option<SimTime>,
    pub started_at: Option<SimTime>,
    pub ready_at: Option<SimTime>,
    pub finished_at: Option<SimTime>,
    /// Virtual time spent pulling this pod's images (excluded by the startup SLO).
    pub pull_ms: u64,
    /// A mirror pod: the API's view of a static pod its node's kubelet runs on its own.
    pub mirror: bool,
    /// `spec.requests()`, computed once (the spec never changes): read on every status write.
    pub requests: Resources,
    /// `status.nominatedNodeName`: where preemption made room for it.
    pub nominated_node: Option<NodeId>,
    /// `spec.nonzero_requests()`, computed once: the scheduler reads it on every attempt.
    pub nonzero: Resources,
    /// `metadata.finalizers` now (created from the spec's; an operator can remove them).
    pub finalizers: Vec<Arc<str>>,
}

impl Pod {
    pub fn is_terminating(&self) -> bool {
        self.deletion.is_some() && self.removed.is_none()
    }
    /// Counted by controllers as a live replica (`controller.IsPodActive`).
    pub fn is_active(&self) -> bool {
        self.removed.is_none() && self.deletion.is_none() && !self.status.phase.is_terminal()
    }
    pub fn restarts(&self) -> u32 {
        self.status.containers.iter().chain(self.status.init_containers.iter()).map(|c| c.restart_count).sum()
    }
}

/// A new Pending pod object.
pub fn new_pod(
    namespace: Arc<str>,
    name: String,
    labels: Arc<Labels>,
    owner: Option<Owner>,
    spec: Arc<PodSpec>,
    now: SimTime,
) -> Pod {
    let status = PodStatus {
        phase: PodPhase::Pending,
        reason: None,
        message: None,
        ready: false,
        containers: vec![ContainerStatus::default(); spec.containers.len()],
        init_containers: vec![ContainerStatus::default(); spec.init_containers.len()],
        pod_ip: None,
        sandbox_ready: false,
        conditions: Default::default(),
    };
    let requests = spec.requests();
    let nonzero = spec.nonzero_requests();
    let finalizers = spec.finalizers.clone();
    Pod {
        namespace,
        name,
        labels,
        owner,
        spec,
        node: None,
        resource_version: 0,
        created: now,
        deletion: None,
        removed: None,
        status,
        scheduled_at: None,
        started_at: None,
        ready_at: None,
        finished_at: None,
        pull_ms: 0,
        mirror: false,
        requests,
        nominated_node: None,
        nonzero,
        finalizers,
    }
}

/// A pod spec with one container and nothing else, for unit tests.
#[cfg(test)]
pub fn test_pod_spec() -> PodSpec {
    use crate::api::*;
    PodSpec::of(vec![ContainerSpec::new("c", ImageId(0), PullPolicy::IfNotPresent, Behavior::default())])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_policy_defaults_as_upstream() {
        assert_eq!(PullPolicy::default_for("nginx"), PullPolicy::Always);
        assert_eq!(PullPolicy::default_for("nginx:latest"), PullPolicy::Always);
        assert_eq!(PullPolicy::default_for("nginx:1.27"), PullPolicy::IfNotPresent);
        assert_eq!(PullPolicy::default_for("localhost:5000/app"), PullPolicy::Always);
        assert_eq!(PullPolicy::default_for("localhost:5000/app:v2"), PullPolicy::IfNotPresent);
        assert_eq!(PullPolicy::default_for("nginx@sha256:abcd"), PullPolicy::IfNotPresent);
        // #21: the tag decides, digest or not.
        assert_eq!(PullPolicy::default_for("nginx:latest@sha256:abcd"), PullPolicy::Always);
        assert_eq!(PullPolicy::default_for("nginx:1.27@sha256:abcd"), PullPolicy::IfNotPresent);
        assert_eq!(PullPolicy::default_for("localhost:5000/app@sha256:abcd"), PullPolicy::IfNotPresent);
    }

    /// With pod-level resources (ComputePodQOS's PodLevelResources branch) only they count:
    /// equal cpu and memory requests and limits are Guaranteed whatever the containers say.
    #[test]
    fn pod_level_resources_decide_qos_and_the_requests() {
        const MI: u64 = 1 << 20;
        let mut c = ContainerSpec::new("c", crate::api::ImageId(0), PullPolicy::IfNotPresent, Default::default());
        (c.has_cpu_request, c.requests.cpu_milli) = (true, 100);
        let mut s = PodSpec::of(vec![c.clone(), c]);
        assert_eq!((s.qos(), s.requests().cpu_milli), (QosClass::Burstable, 200));
        let both = |cpu, mem| Resources { cpu_milli: cpu, memory: mem, ..Resources::default() };
        s.pod_level = Some(PodLevelResources {
            requests: both(1000, 512 * MI),
            limits: both(1000, 512 * MI),
            has_cpu_request: true,
            has_memory_request: true,
            has_cpu_limit: true,
            has_memory_limit: true,
        });
        assert_eq!((s.qos(), s.requests().cpu_milli, s.limits().memory), (QosClass::Guaranteed, 1000, 512 * MI));
        assert_eq!(s.nonzero_requests().memory, 512 * MI);
        let p = s.pod_level.as_mut().unwrap();
        p.has_memory_limit = false;
        assert_eq!(s.qos(), QosClass::Burstable, "a memory limit is missing");
        s.pod_level = Some(PodLevelResources::default());
        assert_eq!((s.qos(), s.requests().cpu_milli), (QosClass::BestEffort, 200), "empty pod-level resources");
    }

    /// qos_test.go `TestComputePodQOS`, the container-level cases (no API defaulting: a
    /// container's requests and limits as given; `None` = not given).
    #[test]
    fn qos_classes_follow_upstreams_compute_pod_qos() {
        type Rl = (Option<u64>, Option<u64>);
        let c = |req: Rl, lim: Rl| {
            let mut c = ContainerSpec::new("c", crate::api::ImageId(0), PullPolicy::IfNotPresent, Default::default());
            (c.has_cpu_request, c.requests.cpu_milli) = (req.0.is_some(), req.0.unwrap_or(0));
            (c.has_memory_request, c.requests.memory) = (req.1.is_some(), req.1.unwrap_or(0));
            (c.has_cpu_limit, c.limits.cpu_milli) = (lim.0.is_some(), lim.0.unwrap_or(0));
            (c.has_memory_limit, c.limits.memory) = (lim.1.is_some(), lim.1.unwrap_or(0));
            c
        };
        const MI: u64 = 1 << 20;
        let none: Rl = (None, None);
        let g = || c((Some(100), Some(100 * MI)), (Some(100), Some(100 * MI)));
        let qos = |v: Vec<ContainerSpec>| PodSpec::of(v).qos();
        use QosClass::*;
        assert_eq!(qos(vec![g()]), Guaranteed, "guaranteed");
        assert_eq!(qos(vec![g(), g()]), Guaranteed, "guaranteed-guaranteed");
        assert_eq!(qos(vec![c(none, none), c(none, none)]), BestEffort, "best-effort-best-effort");
        assert_eq!(qos(vec![c(none, none)]), BestEffort, "best-effort");
        assert_eq!(
            qos(vec![c(none, none), c((Some(1000), None), (Some(2000), None))]),
            Burstable,
            "best-effort-burstable"
        );
        let g10 = c((Some(10), Some(100 * MI)), (Some(10), Some(100 * MI)));
        assert_eq!(qos(vec![c(none, none), g10]), Burstable, "best-effort-guaranteed");
        assert_eq!(
            qos(vec![c((None, Some(100 * MI)), (None, Some(100 * MI)))]),
            Burstable,
            "burstable-cpu-guaranteed-memory"
        );
        assert_eq!(qos(vec![c((Some(100), Some(100 * MI)), none)]), Burstable, "burstable-no-limits");
        let b = c((Some(1000), Some(100 * MI)), (Some(2000), Some(100 * MI)));
        assert_eq!(qos(vec![b, g()]), Burstable, "burstable-guaranteed");
        let b = c((Some(100), Some(100 * MI)), (Some(200), Some(200 * MI)));
        let unbounded = c((Some(100), Some(100 * MI)), none);
        assert_eq!(qos(vec![b, unbounded]), Burstable, "burstable-unbounded-but-requests-match-limits");
        assert_eq!(qos(vec![c((Some(10), Some(100 * MI)), (Some(100), Some(200 * MI)))]), Burstable, "burstable-1");
        assert_eq!(qos(vec![c((Some(0), Some(0)), (Some(100), Some(200 * MI)))]), Burstable, "burstable-2");
        // bestEffortResources: explicit zeros are no request at all.
        assert_eq!(qos(vec![c((Some(0), Some(0)), none)]), BestEffort, "zero requests");
        let mut init = PodSpec::of(vec![c(none, none)]);
        init.init_containers = vec![c((Some(10), Some(100 * MI)), (Some(100), Some(200 * MI)))];
        assert_eq!(init.qos(), Burstable, "init-container");
    }
}
