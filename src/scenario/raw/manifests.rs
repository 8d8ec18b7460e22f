//! The Kubernetes manifests a scenario file holds: their raw serde shapes, with the fields
//! kubesim models and the ones it accepts and ignores.

use super::*;

// ---------- manifests ----------

/// The first pass over any document: what kind is it?
#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct Header {
    #[serde(default)]
    pub api_version: Option<Spanned<String>>,
    #[serde(default)]
    pub kind: Option<Spanned<String>>,
}

k8s_struct!(#[derive(Default)] ObjectMeta {
    name: Option<Spanned<String>>,
    namespace: Option<Spanned<String>>,
    #[serde(default)] labels: BTreeMap<String, String>,
    #[serde(default)] annotations: BTreeMap<String, String>,
    // Honoured on pods (and pod templates); other kinds warn that they are ignored.
    #[serde(default)] finalizers: Option<Spanned<Vec<String>>>,
} ignored [generateName, uid, resourceVersion, generation, creationTimestamp, deletionTimestamp,
    deletionGracePeriodSeconds, ownerReferences, managedFields, selfLink]);

k8s_struct!(PodManifest {
    api_version: String,
    kind: String,
    #[serde(default)] metadata: ObjectMeta,
    spec: Option<PodSpecRaw>,
} ignored [status]);

k8s_struct!(PodSpecRaw {
    #[serde(default)] containers: Vec<ContainerRaw>,
    #[serde(default)] init_containers: Vec<ContainerRaw>,
    #[serde(default)] node_selector: BTreeMap<String, String>,
    node_name: Option<Spanned<String>>,
    #[serde(default)] tolerations: Vec<TolerationRaw>,
    restart_policy: Option<Spanned<String>>,
    #[serde(default, deserialize_with = "super::strict::opt")] termination_grace_period_seconds: Option<u64>,
    #[serde(default, deserialize_with = "super::strict::opt")] priority: Option<i32>,
    priority_class_name: Option<Spanned<String>>,
    preemption_policy: Option<Spanned<String>>,
    affinity: Option<AffinityRaw>,
    #[serde(default)] topology_spread_constraints: Vec<TopologySpreadConstraintRaw>,
    #[serde(default)] volumes: Vec<VolumeRaw>,
    service_account_name: Option<Spanned<String>>,
    /// Deprecated alias of serviceAccountName.
    service_account: Option<Spanned<String>>,
    #[serde(default)] host_network: Option<bool>,
    /// Pod-level `resources` (PodLevelResources, on by default since 1.34).
    resources: Option<ResourcesRaw>,
    /// Secrets for the registry: the registry model has no auth, but a missing one is reported.
    #[serde(default)] image_pull_secrets: Vec<NameRefRaw>,
    #[serde(default)] readiness_gates: Vec<ReadinessGateRaw>,
} ignored [activeDeadlineSeconds, automountServiceAccountToken, dnsConfig, dnsPolicy,
    enableServiceLinks, ephemeralContainers, hostAliases, hostIPC, hostPID, hostUsers,
    hostname, hostnameOverride, os, overhead,
    resourceClaims, runtimeClassName, schedulerName, schedulingGates,
    securityContext, setHostnameAsFQDN, shareProcessNamespace, subdomain]);

k8s_struct!(VolumeRaw {
    name: Spanned<String>,
    config_map: Option<ConfigMapVolumeRaw>,
    secret: Option<SecretVolumeRaw>,
    projected: Option<ProjectedVolumeRaw>,
    // Sources that mount at once in the model: accepted without a warning.
    empty_dir: Option<Ignored>,
    host_path: Option<Ignored>,
    #[serde(rename = "downwardAPI")] downward_api: Option<Ignored>,
} ignored [persistentVolumeClaim, ephemeral, csi, image, nfs, iscsi, fc, rbd, cephfs, cinder,
    flexVolume, flocker, gcePersistentDisk, awsElasticBlockStore, gitRepo, glusterfs, azureFile,
    azureDisk, vsphereVolume, quobyte, photonPersistentDisk, portworxVolume, scaleIO, storageos]);

k8s_struct!(ConfigMapVolumeRaw {
    name: Option<String>,
    #[serde(default)] items: Vec<KeyToPathRaw>,
    optional: Option<bool>,
} ignored [defaultMode]);

k8s_struct!(SecretVolumeRaw {
    secret_name: Option<String>,
    #[serde(default)] items: Vec<KeyToPathRaw>,
    optional: Option<bool>,
} ignored [defaultMode]);

k8s_struct!(KeyToPathRaw {
    key: String,
    path: Option<Ignored>,
} ignored [mode]);

k8s_struct!(ProjectedVolumeRaw {
    #[serde(default)] sources: Vec<ProjectionRaw>,
} ignored [defaultMode]);

k8s_struct!(ProjectionRaw {
    config_map: Option<ConfigMapVolumeRaw>,
    secret: Option<ConfigMapVolumeRaw>,
    // The token and downward API sources mount at once in the model.
    service_account_token: Option<Ignored>,
    #[serde(rename = "downwardAPI")] downward_api: Option<Ignored>,
} ignored [clusterTrustBundle, podCertificate]);

k8s_struct!(EnvVarRaw {
    name: String,
    value: Option<Ignored>,
    value_from: Option<EnvVarSourceRaw>,
} ignored []);

k8s_struct!(EnvVarSourceRaw {
    config_map_key_ref: Option<KeyRefRaw>,
    secret_key_ref: Option<KeyRefRaw>,
    // Values the API server or the kubelet fill in: they never block a start.
    field_ref: Option<Ignored>,
    resource_field_ref: Option<Ignored>,
} ignored [fileKeyRef]);

k8s_struct!(KeyRefRaw {
    name: Option<String>,
    key: String,
    optional: Option<bool>,
} ignored []);

k8s_struct!(EnvFromRaw {
    config_map_ref: Option<NameRefRaw>,
    secret_ref: Option<NameRefRaw>,
    prefix: Option<Ignored>,
} ignored []);

k8s_struct!(ReadinessGateRaw {
    condition_type: Spanned<String>,
} ignored []);

k8s_struct!(NameRefRaw {
    name: Option<String>,
    optional: Option<bool>,
} ignored []);

k8s_struct!(ContainerPortRaw {
    name: Option<String>,
    #[serde(default, deserialize_with = "super::strict::opt")] container_port: Option<i32>,
    protocol: Option<String>,
    #[serde(default, deserialize_with = "super::strict::opt")] host_port: Option<i32>,
    #[serde(rename = "hostIP")] host_ip: Option<String>,
} ignored []);

k8s_struct!(VolumeMountRaw {
    name: Spanned<String>,
    mount_path: Option<Ignored>,
} ignored [readOnly, subPath, subPathExpr, mountPropagation, recursiveReadOnly]);

k8s_struct!(AffinityRaw {
    node_affinity: Option<NodeAffinityRaw>,
    pod_affinity: Option<PodAffinityRaw>,
    pod_anti_affinity: Option<PodAffinityRaw>,
} ignored []);

k8s_struct!(NodeAffinityRaw {
    required_during_scheduling_ignored_during_execution: Option<Spanned<NodeSelectorRaw>>,
    #[serde(default)] preferred_during_scheduling_ignored_during_execution: Vec<PreferredSchedulingTermRaw>,
} ignored []);

k8s_struct!(NodeSelectorRaw {
    #[serde(default)] node_selector_terms: Vec<NodeSelectorTermRaw>,
} ignored []);

k8s_struct!(#[derive(Default)] NodeSelectorTermRaw {
    #[serde(default)] match_expressions: Vec<NodeSelectorRequirementRaw>,
    #[serde(default)] match_fields: Vec<NodeSelectorRequirementRaw>,
} ignored []);

k8s_struct!(NodeSelectorRequirementRaw {
    key: Spanned<String>,
    operator: Spanned<String>,
    #[serde(default)] values: Vec<String>,
} ignored []);

k8s_struct!(PreferredSchedulingTermRaw {
    #[serde(deserialize_with = "super::strict::sp")] weight: Spanned<i32>,
    #[serde(default)] preference: NodeSelectorTermRaw,
} ignored []);

k8s_struct!(PodAffinityRaw {
    #[serde(default)] required_during_scheduling_ignored_during_execution: Vec<PodAffinityTermRaw>,
    #[serde(default)] preferred_during_scheduling_ignored_during_execution: Vec<WeightedPodAffinityTermRaw>,
} ignored []);

k8s_struct!(PodAffinityTermRaw {
    label_selector: Option<Spanned<LabelSelectorRaw>>,
    #[serde(default)] namespaces: Vec<String>,
    topology_key: Spanned<String>,
} ignored [namespaceSelector, matchLabelKeys, mismatchLabelKeys]);

k8s_struct!(WeightedPodAffinityTermRaw {
    #[serde(deserialize_with = "super::strict::sp")] weight: Spanned<i32>,
    pod_affinity_term: PodAffinityTermRaw,
} ignored []);

k8s_struct!(TopologySpreadConstraintRaw {
    #[serde(deserialize_with = "super::strict::sp")] max_skew: Spanned<i32>,
    topology_key: Spanned<String>,
    when_unsatisfiable: Spanned<String>,
    label_selector: Option<Spanned<LabelSelectorRaw>>,
    #[serde(default, deserialize_with = "super::strict::opt_sp")] min_domains: Option<Spanned<i32>>,
    node_affinity_policy: Option<Spanned<String>>,
    node_taints_policy: Option<Spanned<String>>,
    #[serde(default)] match_label_keys: Vec<String>,
} ignored []);

k8s_struct!(PriorityClassManifest {
    api_version: String,
    kind: String,
    #[serde(default)] metadata: ObjectMeta,
    #[serde(default, deserialize_with = "super::strict::opt_sp")] value: Option<Spanned<i64>>,
    #[serde(default)] global_default: bool,
    preemption_policy: Option<Spanned<String>>,
    description: Option<String>,
} ignored []);

k8s_struct!(ContainerRaw {
    name: Spanned<String>,
    image: Option<Spanned<String>>,
    image_pull_policy: Option<Spanned<String>>,
    resources: Option<ResourcesRaw>,
    readiness_probe: Option<ProbeRaw>,
    liveness_probe: Option<ProbeRaw>,
    startup_probe: Option<ProbeRaw>,
    lifecycle: Option<LifecycleRaw>,
    restart_policy: Option<Spanned<String>>,
    #[serde(default)] env: Vec<EnvVarRaw>,
    #[serde(default)] env_from: Vec<EnvFromRaw>,
    #[serde(default)] volume_mounts: Vec<VolumeMountRaw>,
    #[serde(default)] ports: Vec<ContainerPortRaw>,
    // Only its first word is used: the path a bad entrypoint's error names.
    #[serde(default)] command: Vec<String>,
} ignored [args, resizePolicy,
    restartPolicyRules, securityContext, stdin, stdinOnce, terminationMessagePath,
    terminationMessagePolicy, tty, volumeDevices, workingDir]);

k8s_struct!(ConfigMapManifest {
    api_version: String,
    kind: String,
    #[serde(default)] metadata: ObjectMeta,
    #[serde(default, deserialize_with = "super::strict::string_map")] data: Option<BTreeMap<String, Spanned<String>>>,
    #[serde(default, deserialize_with = "super::strict::string_map")] binary_data: Option<BTreeMap<String, Spanned<String>>>,
    immutable: Option<bool>,
} ignored []);

k8s_struct!(SecretManifest {
    api_version: String,
    kind: String,
    #[serde(default)] metadata: ObjectMeta,
    #[serde(default, deserialize_with = "super::strict::string_map")] data: Option<BTreeMap<String, Spanned<String>>>,
    #[serde(default, deserialize_with = "super::strict::string_map")] string_data: Option<BTreeMap<String, Spanned<String>>>,
    r#type: Option<String>,
    immutable: Option<bool>,
} ignored []);

k8s_struct!(ServiceAccountManifest {
    api_version: String,
    kind: String,
    #[serde(default)] metadata: ObjectMeta,
} ignored [secrets, imagePullSecrets, automountServiceAccountToken]);

k8s_struct!(ProbeRaw {
    #[serde(default, deserialize_with = "super::strict::opt")] initial_delay_seconds: Option<u32>,
    #[serde(default, deserialize_with = "super::strict::opt_sp")] period_seconds: Option<Spanned<u32>>,
    #[serde(default, deserialize_with = "super::strict::opt_sp")] timeout_seconds: Option<Spanned<u32>>,
    #[serde(default, deserialize_with = "super::strict::opt_sp")] success_threshold: Option<Spanned<u32>>,
    #[serde(default, deserialize_with = "super::strict::opt_sp")] failure_threshold: Option<Spanned<u32>>,
    // Whether the check passes is the behaviour's; what it names goes into the messages.
    http_get: Option<HttpGetRaw>,
    tcp_socket: Option<TcpSocketRaw>,
    exec: Option<ExecRaw>,
    grpc: Option<GrpcRaw>,
} ignored [terminationGracePeriodSeconds]);

k8s_struct!(HttpGetRaw {
    path: Option<String>,
    port: Spanned<IntOrString>,
    host: Option<String>,
    scheme: Option<Spanned<String>>,
    // Headers change nothing the model decides.
    #[serde(default)] http_headers: Option<Ignored>,
} ignored []);

k8s_struct!(TcpSocketRaw {
    port: Spanned<IntOrString>,
    host: Option<String>,
} ignored []);

k8s_struct!(ExecRaw {
    #[serde(default)] command: Vec<String>,
} ignored []);

k8s_struct!(GrpcRaw {
    #[serde(deserialize_with = "super::strict::sp")] port: Spanned<i32>,
    service: Option<String>,
} ignored []);

k8s_struct!(LifecycleRaw {
    pre_stop: Option<Ignored>,
    post_start: Option<Ignored>,
} ignored [stopSignal]);

k8s_struct!(ResourcesRaw {
    #[serde(default)] requests: BTreeMap<String, Spanned<Qty>>,
    #[serde(default)] limits: BTreeMap<String, Spanned<Qty>>,
} ignored [claims]);

k8s_struct!(TolerationRaw {
    key: Option<String>,
    operator: Option<Spanned<String>>,
    value: Option<String>,
    effect: Option<Spanned<String>>,
    #[serde(default, deserialize_with = "super::strict::opt")] toleration_seconds: Option<i64>,
} ignored []);

k8s_struct!(TaintRaw {
    key: Spanned<String>,
    value: Option<String>,
    effect: Spanned<String>,
} ignored [timeAdded]);

k8s_struct!(NodeManifest {
    api_version: String,
    kind: String,
    #[serde(default)] metadata: ObjectMeta,
    #[serde(default)] spec: NodeSpecRaw,
    #[serde(default)] status: NodeStatusRaw,
} ignored []);

k8s_struct!(#[derive(Default)] NodeSpecRaw {
    #[serde(default)] taints: Vec<TaintRaw>,
    #[serde(default)] unschedulable: bool,
} ignored [podCIDR, podCIDRs, providerID, configSource, externalID]);

k8s_struct!(#[derive(Default)] NodeStatusRaw {
    capacity: Option<Spanned<BTreeMap<String, Qty>>>,
    allocatable: Option<Spanned<BTreeMap<String, Qty>>>,
    #[serde(default)] images: Vec<NodeImageRaw>,
} ignored [conditions, addresses, daemonEndpoints, nodeInfo, volumesInUse, volumesAttached,
    config, phase, runtimeHandlers, features]);

k8s_struct!(NodeImageRaw {
    #[serde(default)] names: Vec<String>,
} ignored [sizeBytes]);

k8s_struct!(LabelSelectorRaw {
    #[serde(default)] match_labels: BTreeMap<String, String>,
    #[serde(default)] match_expressions: Vec<SelectorRequirementRaw>,
} ignored []);

k8s_struct!(SelectorRequirementRaw {
    key: String,
    operator: Spanned<String>,
    #[serde(default)] values: Vec<String>,
} ignored []);

k8s_struct!(PodTemplateRaw {
    #[serde(default)] metadata: ObjectMeta,
    spec: Option<PodSpecRaw>,
} ignored []);

k8s_struct!(ReplicaSetManifest {
    api_version: String,
    kind: String,
    #[serde(default)] metadata: ObjectMeta,
    spec: Option<ReplicaSetSpecRaw>,
} ignored [status]);

k8s_struct!(ReplicaSetSpecRaw {
    #[serde(default, deserialize_with = "super::strict::opt_sp")] replicas: Option<Spanned<u32>>,
    selector: Option<Spanned<LabelSelectorRaw>>,
    template: PodTemplateRaw,
} ignored [minReadySeconds]);

k8s_struct!(DeploymentManifest {
    api_version: String,
    kind: String,
    #[serde(default)] metadata: ObjectMeta,
    spec: Option<DeploymentSpecRaw>,
} ignored [status]);

k8s_struct!(DeploymentSpecRaw {
    #[serde(default, deserialize_with = "super::strict::opt_sp")] replicas: Option<Spanned<u32>>,
    selector: Option<Spanned<LabelSelectorRaw>>,
    template: PodTemplateRaw,
    strategy: Option<StrategyRaw>,
    #[serde(default, deserialize_with = "super::strict::opt_sp")] progress_deadline_seconds: Option<Spanned<u32>>,
    #[serde(default, deserialize_with = "super::strict::opt_sp")] revision_history_limit: Option<Spanned<u32>>,
} ignored [minReadySeconds, paused]);

k8s_struct!(StrategyRaw {
    r#type: Option<Spanned<String>>,
    rolling_update: Option<RollingUpdateRaw>,
} ignored []);

k8s_struct!(RollingUpdateRaw {
    max_surge: Option<Spanned<IntOrString>>,
    max_unavailable: Option<Spanned<IntOrString>>,
} ignored []);

/// An `IntOrString` value as written: `1` or `"25%"`.
#[derive(Debug, Clone)]
pub enum IntOrString {
    Int(i64),
    Str(String),
}

impl<'de> Deserialize<'de> for IntOrString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = IntOrString;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a whole number or a percentage such as \"25%\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<IntOrString, E> {
                Ok(IntOrString::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<IntOrString, E> {
                Ok(IntOrString::Int(v.min(i64::MAX as u64) as i64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<IntOrString, E> {
                Ok(IntOrString::Str(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

k8s_struct!(NamespaceManifest {
    api_version: String,
    kind: String,
    #[serde(default)] metadata: ObjectMeta,
} ignored [spec, status]);

k8s_struct!(JobManifest {
    api_version: String,
    kind: String,
    #[serde(default)] metadata: ObjectMeta,
    spec: Option<JobSpecRaw>,
} ignored [status]);

k8s_struct!(JobSpecRaw {
    #[serde(default, deserialize_with = "super::strict::opt_sp")] completions: Option<Spanned<u32>>,
    #[serde(default, deserialize_with = "super::strict::opt_sp")] parallelism: Option<Spanned<u32>>,
    #[serde(default, deserialize_with = "super::strict::opt_sp")] backoff_limit: Option<Spanned<u32>>,
    #[serde(default, deserialize_with = "super::strict::opt_sp")] active_deadline_seconds: Option<Spanned<u64>>,
    selector: Option<Spanned<LabelSelectorRaw>>,
    template: PodTemplateRaw,
} ignored [manualSelector, ttlSecondsAfterFinished, completionMode, suspend, podFailurePolicy,
    podReplacementPolicy, backoffLimitPerIndex, maxFailedIndexes, successPolicy, managedBy]);

k8s_struct!(DaemonSetManifest {
    api_version: String,
    kind: String,
    #[serde(default)] metadata: ObjectMeta,
    spec: Option<DaemonSetSpecRaw>,
} ignored [status]);

k8s_struct!(DaemonSetSpecRaw {
    selector: Option<Spanned<LabelSelectorRaw>>,
    template: PodTemplateRaw,
    update_strategy: Option<DaemonSetUpdateStrategyRaw>,
} ignored [minReadySeconds, revisionHistoryLimit]);

k8s_struct!(DaemonSetUpdateStrategyRaw {
    r#type: Option<Spanned<String>>,
    rolling_update: Option<DaemonSetRollingUpdateRaw>,
} ignored []);

k8s_struct!(DaemonSetRollingUpdateRaw {
    max_unavailable: Option<Spanned<IntOrString>>,
} ignored [maxSurge]);

k8s_struct!(StatefulSetManifest {
    api_version: String,
    kind: String,
    #[serde(default)] metadata: ObjectMeta,
    spec: Option<StatefulSetSpecRaw>,
} ignored [status]);

k8s_struct!(StatefulSetSpecRaw {
    #[serde(default, deserialize_with = "super::strict::opt_sp")] replicas: Option<Spanned<u32>>,
    selector: Option<Spanned<LabelSelectorRaw>>,
    template: PodTemplateRaw,
    pod_management_policy: Option<Spanned<String>>,
    service_name: Option<String>,
} ignored [volumeClaimTemplates, updateStrategy, minReadySeconds, revisionHistoryLimit,
    persistentVolumeClaimRetentionPolicy, ordinals]);

k8s_struct!(PdbManifest {
    api_version: String,
    kind: String,
    #[serde(default)] metadata: ObjectMeta,
    spec: Option<PdbSpecRaw>,
} ignored [status]);

k8s_struct!(PdbSpecRaw {
    selector: Option<Spanned<LabelSelectorRaw>>,
    min_available: Option<Spanned<IntOrString>>,
    max_unavailable: Option<Spanned<IntOrString>>,
} ignored [unhealthyPodEvictionPolicy]);

k8s_struct!(ServiceManifest {
    api_version: String,
    kind: String,
    #[serde(default)] metadata: ObjectMeta,
    #[serde(default)] spec: ServiceSpecRaw,
} ignored [status]);

// Traffic is not modelled: the fields that shape it are accepted without a warning each (the
// README's kind table says so once).
k8s_struct!(#[derive(Default)] ServiceSpecRaw {
    selector: Option<BTreeMap<String, String>>,
    r#type: Option<Spanned<String>>,
    #[serde(rename = "clusterIP")] cluster_ip: Option<String>,
    #[serde(default)] ports: Vec<ServicePortRaw>,
    publish_not_ready_addresses: Option<bool>,
    #[serde(rename = "clusterIPs")] cluster_ips: Option<Ignored>,
    #[serde(rename = "externalIPs")] external_ips: Option<Ignored>,
    external_name: Option<Ignored>,
    external_traffic_policy: Option<Ignored>,
    health_check_node_port: Option<Ignored>,
    internal_traffic_policy: Option<Ignored>,
    ip_families: Option<Ignored>,
    ip_family_policy: Option<Ignored>,
    load_balancer_class: Option<Ignored>,
    #[serde(rename = "loadBalancerIP")] load_balancer_ip: Option<Ignored>,
    load_balancer_source_ranges: Option<Ignored>,
    session_affinity: Option<Ignored>,
    session_affinity_config: Option<Ignored>,
    allocate_load_balancer_node_ports: Option<Ignored>,
    traffic_distribution: Option<Ignored>,
} ignored []);

k8s_struct!(ServicePortRaw {
    name: Option<String>,
    #[serde(deserialize_with = "super::strict::sp")] port: Spanned<i32>,
    target_port: Option<IntOrString>,
    protocol: Option<String>,
    #[serde(default, deserialize_with = "super::strict::opt")] node_port: Option<i32>,
    app_protocol: Option<Ignored>,
} ignored []);

k8s_struct!(LimitRangeManifest {
    api_version: String,
    kind: String,
    #[serde(default)] metadata: ObjectMeta,
    #[serde(default)] spec: LimitRangeSpecRaw,
} ignored []);

k8s_struct!(#[derive(Default)] LimitRangeSpecRaw {
    #[serde(default)] limits: Vec<LimitRangeItemRaw>,
} ignored []);

k8s_struct!(LimitRangeItemRaw {
    r#type: Spanned<String>,
    #[serde(default)] default: BTreeMap<String, Spanned<Qty>>,
    #[serde(default)] default_request: BTreeMap<String, Spanned<Qty>>,
    #[serde(default)] min: BTreeMap<String, Spanned<Qty>>,
    #[serde(default)] max: BTreeMap<String, Spanned<Qty>>,
} ignored [maxLimitRequestRatio]);

k8s_struct!(ResourceQuotaManifest {
    api_version: String,
    kind: String,
    #[serde(default)] metadata: ObjectMeta,
    #[serde(default)] spec: ResourceQuotaSpecRaw,
} ignored [status]);

k8s_struct!(#[derive(Default)] ResourceQuotaSpecRaw {
    #[serde(default)] hard: BTreeMap<String, Spanned<Qty>>,
} ignored [scopes, scopeSelector]);

k8s_struct!(CronJobManifest {
    api_version: String,
    kind: String,
    #[serde(default)] metadata: ObjectMeta,
    spec: Option<CronJobSpecRaw>,
} ignored [status]);

k8s_struct!(CronJobSpecRaw {
    schedule: Spanned<String>,
    time_zone: Option<Spanned<String>>,
    concurrency_policy: Option<Spanned<String>>,
    suspend: Option<bool>,
    #[serde(default, deserialize_with = "super::strict::opt_sp")] starting_deadline_seconds: Option<Spanned<i64>>,
    #[serde(default, deserialize_with = "super::strict::opt_sp")] successful_jobs_history_limit: Option<Spanned<i32>>,
    #[serde(default, deserialize_with = "super::strict::opt_sp")] failed_jobs_history_limit: Option<Spanned<i32>>,
    job_template: JobTemplateRaw,
} ignored []);

k8s_struct!(JobTemplateRaw {
    #[serde(default)] metadata: ObjectMeta,
    spec: JobSpecRaw,
} ignored []);
