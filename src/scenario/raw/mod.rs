//! Serde structs that mirror the YAML. Nothing past `validate` sees these.
//!
//! Manifests: fields kubesim models are typed; Kubernetes fields it does not model are listed
//! as `ignored` (accepted, one warning each); anything else is an error with a suggestion.

use crate::api::behavior::DurationDist;
use crate::api::duration::parse_go_duration;
use crate::api::quantity::{Quantity, QuantityError};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_saphyr::Spanned;
use std::collections::BTreeMap;
use std::fmt;

/// Any value, accepted and dropped (a Kubernetes field kubesim does not model).
#[derive(Debug, Default, Clone, Copy)]
pub struct Ignored;

impl<'de> Deserialize<'de> for Ignored {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(d)?;
        Ok(Ignored)
    }
}

pub type IgnoredField = Option<Spanned<Ignored>>;

/// Declares a struct whose modelled fields are typed and whose known-but-unmodelled
/// Kubernetes fields are accepted for a warning. Unknown fields are an error.
macro_rules! k8s_struct {
    ($(#[$m:meta])* $name:ident { $($(#[$fm:meta])* $f:ident : $t:ty),* $(,)? } ignored [$($ig:ident),* $(,)?]) => {
        $(#[$m])*
        #[derive(Deserialize, Debug)]
        #[serde(deny_unknown_fields, rename_all = "camelCase")]
        #[allow(non_snake_case)]
        pub struct $name {
            $($(#[$fm])* pub $f: $t,)*
            $(#[serde(default)] pub $ig: IgnoredField,)*
        }
        impl $name {
            /// The unmodelled fields present, with where they were written.
            pub fn ignored_fields(&self) -> Vec<(&'static str, serde_saphyr::Location)> {
                #[allow(unused_mut)]
                let mut v = Vec::new();
                $(if let Some(s) = &self.$ig { v.push((stringify!($ig), s.referenced)); })*
                v
            }
        }
    };
}

mod manifests;
pub mod strict;
pub use manifests::*;

// ---------- scalars with units ----------

/// A quantity written as a YAML number or string; parse errors carry the value's location.
#[derive(Debug, Clone, Copy)]
pub struct Qty(pub Quantity);

impl<'de> Deserialize<'de> for Qty {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let q = Quantity::parse(s.trim()).map_err(|e| {
            de::Error::custom(match e {
                QuantityError::Format | QuantityError::Suffix => {
                    format!("invalid quantity {s:?}: {e} (examples: 250m, 0.5, 128Mi, 1.5Gi, 100M, 1e3)")
                }
                QuantityError::Range => format!("invalid quantity {s:?}: {e}"),
            })
        })?;
        if q.is_negative() {
            return Err(de::Error::custom(format!("invalid quantity {s:?}: must not be negative")));
        }
        Ok(Qty(q))
    }
}

/// A Go duration ("1h30m", "250ms"), kept in milliseconds (rounded up).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GoDuration(pub u64);

pub fn duration_to_ms(s: &str) -> Result<u64, String> {
    let ns = parse_go_duration(s).map_err(|e| format!("{e} (examples: 30s, 5m, 1h30m, 250ms)"))?;
    if ns < 0 {
        return Err(format!("duration {s:?} must not be negative"));
    }
    Ok((ns as u64).div_ceil(1_000_000))
}

impl<'de> Deserialize<'de> for GoDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        duration_to_ms(s.trim()).map(GoDuration).map_err(de::Error::custom)
    }
}

impl<'de> Deserialize<'de> for DurationDist {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DurationDist;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration (\"2s\") or {mean: 2s, jitter: 1s}")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<DurationDist, E> {
                duration_to_ms(s.trim()).map(|m| DurationDist { mean_ms: m, jitter_ms: 0 }).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<DurationDist, E> {
                self.visit_str(&n.to_string())
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<DurationDist, E> {
                self.visit_str(&n.to_string())
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<DurationDist, E> {
                self.visit_str(&n.to_string())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DurationDist, A::Error> {
                let mut out = DurationDist::default();
                let mut mean = false;
                while let Some(k) = map.next_key::<String>()? {
                    match k.as_str() {
                        "mean" => {
                            out.mean_ms = map.next_value::<GoDuration>()?.0;
                            mean = true;
                        }
                        "jitter" => out.jitter_ms = map.next_value::<GoDuration>()?.0,
                        other => {
                            return Err(de::Error::custom(format!(
                                "unknown field `{other}`, expected one of `mean`, `jitter`"
                            )));
                        }
                    }
                }
                if !mean {
                    return Err(de::Error::custom("missing field `mean`"));
                }
                if out.jitter_ms > out.mean_ms {
                    return Err(de::Error::custom("`jitter` must not exceed `mean`"));
                }
                Ok(out)
            }
        }
        d.deserialize_any(V)
    }
}

// ---------- the Scenario document ----------

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScenarioDoc {
    pub api_version: Spanned<String>,
    pub kind: String,
    pub metadata: ScenarioMeta,
    pub spec: ScenarioSpec,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScenarioMeta {
    pub name: Spanned<String>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScenarioSpec {
    pub duration: Spanned<GoDuration>,
    #[serde(default)]
    pub seed: Option<u64>,
    #[serde(default)]
    pub sample_interval: Option<Spanned<GoDuration>>,
    #[serde(default)]
    pub node_pools: Vec<NodePool>,
    #[serde(default)]
    pub registry: Option<RegistryRaw>,
    #[serde(default)]
    pub images: Vec<ImageRaw>,
    #[serde(default)]
    pub kubernetes: Option<KubernetesRaw>,
    #[serde(default)]
    pub faults: Vec<Spanned<FaultRaw>>,
    #[serde(default)]
    pub expect: Option<Vec<Spanned<super::expect::Value>>>,
    #[serde(default)]
    pub variants: Option<Spanned<Vec<VariantRaw>>>,
    #[serde(default)]
    pub trace: Option<TraceRaw>,
    /// Manifest files and folders read with the scenario (relative to it; read by `input`).
    #[serde(default)]
    pub manifests: Vec<Spanned<String>>,
    /// Behaviour for containers matched by workload, image, labels, namespace or name.
    #[serde(default)]
    pub behaviors: Vec<Spanned<BehaviorRuleRaw>>,
}

/// One `spec.behaviors` entry: what it matches and the behaviour keys it gives.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BehaviorRuleRaw {
    #[serde(rename = "match")]
    pub match_: BehaviorMatchRaw,
    pub behavior: BehaviorRaw,
}

/// `match:` of a `spec.behaviors` entry; every key given must match.
#[derive(Deserialize, Debug, Clone, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BehaviorMatchRaw {
    /// `KIND/NAME`: `job/pi`, `deployment/web`, `pod/nginx`.
    #[serde(default)]
    pub workload: Option<Spanned<String>>,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub selector: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub container: Option<String>,
}

/// `spec.variants[]`: a named set of `--set`-style changes to the base scenario.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct VariantRaw {
    pub name: Spanned<String>,
    #[serde(default)]
    pub set: BTreeMap<String, super::set::Node>,
    /// The variant's own `expect:`, in place of the base's (`kubesim check` runs it).
    #[serde(default)]
    pub expect: Option<super::set::Node>,
}

/// `spec.trace`: CSV traces (gzip accepted), relative to the scenario file.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct TraceRaw {
    pub nodes: Spanned<String>,
    #[serde(default)]
    pub pods: Option<Spanned<String>>,
    #[serde(default)]
    pub removals: Option<Spanned<String>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodePool {
    pub name: Spanned<String>,
    pub count: u32,
    pub capacity: Spanned<BTreeMap<String, Qty>>,
    #[serde(default)]
    pub allocatable: Option<Spanned<BTreeMap<String, Qty>>>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub taints: Vec<TaintRaw>,
    #[serde(default)]
    pub unschedulable: bool,
    #[serde(default)]
    pub images: Vec<String>,
    #[serde(default)]
    pub static_pods: Option<Spanned<Vec<PodManifest>>>,
    /// The sandbox (pause) image is on the nodes' disks from the start (default true).
    #[serde(default)]
    pub sandbox_image_preloaded: Option<bool>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RegistryRaw {
    #[serde(default)]
    pub bandwidth: Option<Spanned<Qty>>,
    #[serde(default)]
    pub node_bandwidth: Option<Spanned<Qty>>,
    #[serde(default)]
    pub latency: Option<GoDuration>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ImageRaw {
    pub name: Spanned<String>,
    #[serde(default)]
    pub size: Option<Qty>,
    #[serde(default)]
    pub behavior: BehaviorRaw,
}

#[derive(Deserialize, Debug, Default, Clone)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BehaviorRaw {
    #[serde(default)]
    pub startup: Option<DurationDist>,
    #[serde(default)]
    pub ready: Option<DurationDist>,
    #[serde(default)]
    pub termination_time: Option<DurationDist>,
    #[serde(default)]
    pub exit: Option<ExitRaw>,
    #[serde(default)]
    pub crash: Option<CrashRaw>,
    #[serde(default)]
    pub memory: Option<MemoryRaw>,
    #[serde(default)]
    pub hang: Option<HangRaw>,
    #[serde(default)]
    pub pre_stop: Option<DurationDist>,
    #[serde(default)]
    pub post_start: Option<PostStartRaw>,
    #[serde(default)]
    pub response_time: Option<DurationDist>,
    /// `entrypoint: missing | notExecutable | unset`: the runtime cannot run the container.
    #[serde(default)]
    pub entrypoint: Option<EntrypointRaw>,
}

#[derive(Deserialize, Debug, Clone, Copy)]
#[serde(rename_all = "camelCase")]
pub enum EntrypointRaw {
    Missing,
    NotExecutable,
    Unset,
}

/// `postStart: {duration, fail}`: how long the container's postStart hook runs and whether it
/// fails.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PostStartRaw {
    #[serde(default)]
    pub duration: Option<DurationDist>,
    #[serde(default)]
    pub fail: bool,
}

/// `exit: {after, code}`: the process exits on its own.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExitRaw {
    pub after: DurationDist,
    #[serde(default)]
    pub code: Option<u8>,
}

/// `crash: {meanInterval, code}`: random crashes, exponentially spaced.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CrashRaw {
    pub mean_interval: Spanned<GoDuration>,
    #[serde(default)]
    pub code: Option<u8>,
}

/// `memory: {start, growth}`: resident memory, growing linearly (`1Mi/s`).
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MemoryRaw {
    pub start: Qty,
    #[serde(default)]
    pub growth: Option<Rate>,
}

/// `hang: {after}`: the process stops answering (probes fail) but does not exit.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HangRaw {
    pub after: DurationDist,
}

/// A quantity per unit of time, `1Mi/s`, `60Mi/m`, `1Gi/h`: bytes per second (rounded up).
#[derive(Debug, Clone, Copy, Default)]
pub struct Rate(pub u64);

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let bad = || {
            de::Error::custom(format!(
                "invalid rate {s:?}: write a quantity per unit of time, e.g. 1Mi/s, 60Mi/m, 1Gi/h"
            ))
        };
        let (q, unit) = s.trim().rsplit_once('/').ok_or_else(bad)?;
        let per_s = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            _ => return Err(bad()),
        };
        let q = Quantity::parse(q.trim()).map_err(|_| bad())?;
        if q.is_negative() {
            return Err(de::Error::custom(format!("invalid rate {s:?}: must not be negative")));
        }
        let v = q.value().ok_or_else(bad)? as u64;
        Ok(Rate(v.div_ceil(per_s)))
    }
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KubernetesRaw {
    /// The release whose defaults apply (`"1.31"`, `v1.34.2`).
    #[serde(default)]
    pub version: Option<Spanned<String>>,
    /// kube-controller-manager `--node-eviction-rate`, `--secondary-node-eviction-rate`
    /// (nodes per second per zone), `--unhealthy-zone-threshold`, `--large-cluster-size-threshold`.
    #[serde(default)]
    pub node_eviction_rate: Option<Spanned<f64>>,
    #[serde(default)]
    pub secondary_node_eviction_rate: Option<Spanned<f64>>,
    #[serde(default)]
    pub unhealthy_zone_threshold: Option<Spanned<f64>>,
    #[serde(default)]
    pub large_cluster_size_threshold: Option<u32>,
    /// kubesim: delay between a write and its watch notifications.
    #[serde(default)]
    pub watch_latency: Option<GoDuration>,
    /// kubelet `--node-lease-duration-seconds`; renewals every quarter of it.
    #[serde(default)]
    pub node_lease_duration_seconds: Option<Spanned<u32>>,
    /// kube-scheduler `podInitialBackoffSeconds`.
    #[serde(default)]
    pub pod_initial_backoff_seconds: Option<Spanned<u32>>,
    /// kube-scheduler `podMaxBackoffSeconds`.
    #[serde(default)]
    pub pod_max_backoff_seconds: Option<Spanned<u32>>,
    /// kube-scheduler `podMaxInUnschedulablePodsDuration`.
    #[serde(default)]
    pub pod_max_in_unschedulable_pods_duration: Option<GoDuration>,
    /// kube-controller-manager `--node-monitor-grace-period`.
    #[serde(default)]
    pub node_monitor_grace_period: Option<GoDuration>,
    /// kubelet `shutdownGracePeriod` and `shutdownGracePeriodCriticalPods` (graceful node
    /// shutdown; 0 = off).
    #[serde(default)]
    pub shutdown_grace_period: Option<GoDuration>,
    #[serde(default)]
    pub shutdown_grace_period_critical_pods: Option<GoDuration>,
    /// kube-apiserver `--default-not-ready-toleration-seconds`.
    #[serde(default)]
    pub default_not_ready_toleration_seconds: Option<u32>,
    /// kube-apiserver `--default-unreachable-toleration-seconds`.
    #[serde(default)]
    pub default_unreachable_toleration_seconds: Option<u32>,
    /// kubelet `evictionHard` (`memory.available: 100Mi`, `pid.available: 10%`, ...).
    #[serde(default)]
    pub eviction_hard: Option<Spanned<BTreeMap<String, Spanned<String>>>>,
    /// The nodes' `kernel.pid_max`.
    #[serde(default)]
    pub pid_max: Option<Spanned<u64>>,
    /// kubelet `serializeImagePulls`.
    #[serde(default)]
    pub serialize_image_pulls: Option<bool>,
    /// kubelet `maxParallelImagePulls` (only with `serializeImagePulls: false`).
    #[serde(default)]
    pub max_parallel_image_pulls: Option<Spanned<u32>>,
    /// KubeSchedulerConfiguration settings.
    #[serde(default)]
    pub scheduler: Option<SchedulerRaw>,
    /// kube-controller-manager `--cluster-cidr` (the pods' network, `a.b.c.d/n`).
    #[serde(default, rename = "clusterCIDR")]
    pub cluster_cidr: Option<Spanned<String>>,
    /// kube-controller-manager `--node-cidr-mask-size` (each node's block of it).
    #[serde(default, rename = "nodeCIDRMaskSize")]
    pub node_cidr_mask_size: Option<Spanned<u8>>,
    /// The container runtime's sandbox (pause) image.
    #[serde(default)]
    pub sandbox_image: Option<String>,
}

/// `spec.kubernetes.scheduler`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SchedulerRaw {
    #[serde(default)]
    pub percentage_of_nodes_to_score: Option<Spanned<u32>>,
    #[serde(default)]
    pub scoring_strategy: Option<ScoringStrategyRaw>,
    /// kubesim: how long one scheduling attempt takes.
    #[serde(default)]
    pub attempt_latency: Option<GoDuration>,
}

/// NodeResourcesFitArgs `scoringStrategy`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScoringStrategyRaw {
    #[serde(rename = "type")]
    pub kind: Spanned<String>,
    #[serde(default)]
    pub resources: Vec<ResourceSpecRaw>,
    #[serde(default)]
    pub requested_to_capacity_ratio: Option<RtcrRaw>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResourceSpecRaw {
    pub name: Spanned<String>,
    pub weight: Spanned<i64>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RtcrRaw {
    pub shape: Vec<ShapePointRaw>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ShapePointRaw {
    pub utilization: Spanned<i64>,
    pub score: Spanned<i64>,
}

/// A fault-plan entry: externally tagged, the action is the key.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "kebab-case")]
pub enum FaultRaw {
    PodKill(Box<PodKillRaw>),
    // The rest of the contract; each is refused with "not supported yet" until it lands.
    NodeCrash(Box<NodeTargetRaw>),
    NodeRestart(Box<NodeTargetRaw>),
    NodeShutdown(Box<NodeTargetRaw>),
    NetworkPartition(Box<NodeTargetRaw>),
    KubeletServiceKill(Box<NodeTargetRaw>),
    ContainerRuntimeDown(Box<NodeTargetRaw>),
    CniDown(Box<NodeTargetRaw>),
    ZoneOutage(Box<ZoneOutageRaw>),
    NodeDrain(Box<NodeTargetRaw>),
    NodeCordon(Box<NodeTargetRaw>),
    NodeUncordon(Box<NodeTargetRaw>),
    TaintNode(Box<TaintNodeRaw>),
    UntaintNode(Box<TaintNodeRaw>),
    NodeMemoryHog(Box<NodeTargetRaw>),
    DiskFill(Box<NodeTargetRaw>),
    PidExhaustion(Box<NodeTargetRaw>),
    RegistryOutage(Box<RegistryFaultRaw>),
    RegistrySlow(Box<RegistryFaultRaw>),
    ImageMissing(Box<RegistryFaultRaw>),
    PodFailure(Box<PodKillRaw>),
    ContainerKill(Box<PodKillRaw>),
    ApiserverOutage(Box<RegistryFaultRaw>),
    SetImage(Box<SetImageRaw>),
    RolloutRestart(Box<SetImageRaw>),
    Scale(Box<ScaleRaw>),
    DeleteNode(Box<NodeTargetRaw>),
    AddNodes(Box<AddNodesRaw>),
    Apply(Box<ApplyRaw>),
    Delete(Box<DeleteRaw>),
    RemoveFinalizers(Box<DeleteRaw>),
}

/// `apply: {at, file}`: `kubectl apply -f FILE` at a moment of the run (the file relative to
/// the scenario).
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ApplyRaw {
    pub at: GoDuration,
    pub file: Spanned<String>,
}

/// `delete: {at, object: KIND/NAME, namespace}`: `kubectl delete KIND NAME`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeleteRaw {
    pub at: GoDuration,
    pub object: Spanned<String>,
    #[serde(default)]
    pub namespace: Option<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PodKillRaw {
    pub at: GoDuration,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub selector: BTreeMap<String, String>,
    #[serde(default)]
    pub mode: Option<Spanned<String>>,
    #[serde(default)]
    pub value: Option<Spanned<String>>,
    /// Seconds, as `kubectl delete --grace-period`.
    #[serde(default)]
    pub grace_period: Option<u64>,
    /// `pod-failure`: how long the containers fail.
    #[serde(default)]
    pub duration: Option<GoDuration>,
    /// `container-kill`: the containers to kill (by name).
    #[serde(default)]
    pub containers: Option<Vec<Spanned<String>>>,
}

/// `registry-outage: {at, duration}`, `registry-slow: {at, factor, duration}`,
/// `image-missing: {at, image, duration}`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RegistryFaultRaw {
    pub at: GoDuration,
    #[serde(default)]
    pub duration: Option<GoDuration>,
    #[serde(default)]
    pub factor: Option<Spanned<u32>>,
    #[serde(default)]
    pub image: Option<Spanned<String>>,
}

/// `set-image: {at, deployment, container, image}` and `rollout-restart: {at, deployment}`
/// (with `namespace`, default `default`).
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SetImageRaw {
    pub at: GoDuration,
    #[serde(default)]
    pub deployment: Option<Spanned<String>>,
    #[serde(default)]
    pub daemonset: Option<Spanned<String>>,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub container: Option<Spanned<String>>,
    #[serde(default)]
    pub image: Option<Spanned<String>>,
}

/// `zone-outage: {at, zone, duration}`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ZoneOutageRaw {
    pub at: GoDuration,
    pub zone: Spanned<String>,
    #[serde(default)]
    pub duration: Option<GoDuration>,
}

/// `add-nodes: {at, pool, count}`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AddNodesRaw {
    pub at: GoDuration,
    pub pool: Spanned<String>,
    pub count: u32,
}

/// `scale: {at, workload: deployment/web, replicas}`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScaleRaw {
    pub at: GoDuration,
    pub workload: Spanned<String>,
    #[serde(default)]
    pub namespace: Option<String>,
    pub replicas: u32,
}

/// `taint-node` / `untaint-node: {at, nodes | pool | nodeSelector, key, value, effect}`: an
/// operator's `kubectl taint`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TaintNodeRaw {
    pub at: GoDuration,
    #[serde(default)]
    pub nodes: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub pool: Option<Spanned<String>>,
    #[serde(default)]
    pub node_selector: Option<BTreeMap<String, String>>,
    pub key: Spanned<String>,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub effect: Option<Spanned<String>>,
}

/// Node targets of a node action: exactly one of `nodes`, `pool`, `nodeSelector`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodeTargetRaw {
    /// When (required unless `mtbf` makes the failures random).
    #[serde(default)]
    pub at: Option<GoDuration>,
    /// Random failures: mean time between failures and to repair, exponential, per node.
    #[serde(default)]
    pub mtbf: Option<Spanned<GoDuration>>,
    #[serde(default)]
    pub mttr: Option<Spanned<GoDuration>>,
    #[serde(default)]
    pub nodes: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub pool: Option<Spanned<String>>,
    #[serde(default)]
    pub node_selector: Option<BTreeMap<String, String>>,
    /// `node-memory-hog`: how much memory the hog takes; `duration`: how long the fault lasts
    /// (`node-memory-hog`, `node-crash`).
    #[serde(default)]
    pub memory: Option<Spanned<Qty>>,
    /// `disk-fill`: how much of the node's disk the files take.
    #[serde(default)]
    pub size: Option<Spanned<Qty>>,
    /// `pid-exhaustion`: how many processes outside pods run (a count, or a share of the
    /// node's `pid_max`: `100%`).
    #[serde(default)]
    pub processes: Option<Spanned<IntOrString>>,
    #[serde(default)]
    pub duration: Option<GoDuration>,
    /// `node-restart`: how long the node is down.
    #[serde(default)]
    pub downtime: Option<GoDuration>,
    /// `node-drain`: evict pods that no controller owns too (`kubectl drain --force`).
    #[serde(default)]
    pub force: Option<bool>,
    /// `node-drain`: `kubectl drain --grace-period` (seconds) instead of each pod's own.
    #[serde(default)]
    pub grace_period: Option<u64>,
}

impl NodeTargetRaw {
    /// `at` in ms (0 when random failures start with the run).
    pub fn at_ms(&self) -> u64 {
        self.at.map_or(0, |a| a.0)
    }

    /// Fields only `node-drain` takes.
    pub fn has_drain_fields(&self) -> bool {
        self.force.is_some() || self.grace_period.is_some()
    }
}
