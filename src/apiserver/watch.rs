//! Watches: who is told about a change. Routing is indexed by the object's fields (a kubelet
//! hears only about pods bound to its node), so fan-out is O(interested), never O(nodes).

use crate::api::NodeId;
use crate::api::events::ObjRef;

/// A component with a watch on the API server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Watcher {
    /// Unbound pods, pods that released their resources, nodes.
    Scheduler,
    /// Pods bound to this node.
    Kubelet(NodeId),
    /// ReplicaSets and the pods they own.
    ReplicaSetController,
    /// Deployments and the ReplicaSets they own.
    DeploymentController,
    /// Jobs and their pods.
    JobController,
    /// CronJobs and the Jobs they own.
    CronJobController,
    /// DaemonSets, their pods, and nodes.
    DaemonSetController,
    /// StatefulSets and their pods.
    StatefulSetController,
    /// Every pod while PodDisruptionBudgets exist.
    DisruptionController,
    /// Reads nodes' leases on its own period; its taint eviction controller watches pods
    /// bound to, or gone from, nodes with NoExecute taints.
    NodeLifecycleController,
    /// The operator's own actions (`kubectl set image`, `scale`, ...): a writer only.
    Operator,
}

/// "Something about `obj` changed": delivered to `to` after the watch latency. The receiver
/// reads the object's current state from the store (level-triggered, like an informer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Notification {
    pub to: Watcher,
    pub obj: ObjRef,
}
