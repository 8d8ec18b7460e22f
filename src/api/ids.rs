//! `Copy` ids: indices into the API server's tables. Objects are never moved or reused, so an
//! id stays valid (a deleted object keeps its slot as a tombstone for the outputs).

macro_rules! id_type {
    ($($(#[$m:meta])* $name:ident),*) => {$(
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);
        impl $name {
            #[inline]
            pub fn idx(self) -> usize { self.0 as usize }
        }
    )*};
}

id_type!(
    /// A pod (any phase, including deleted ones).
    PodId,
    /// A node.
    NodeId,
    /// A ReplicaSet.
    RsId,
    /// A Deployment.
    DeployId,
    /// A Job.
    JobId,
    /// A DaemonSet.
    DsId,
    /// A StatefulSet.
    StsId,
    /// A PodDisruptionBudget.
    PdbId,
    /// A CronJob.
    CronJobId,
    /// An image of the catalogue (or one a manifest named that the catalogue did not).
    ImageId
);

/// A recorded Kubernetes Event: 1-based, 0 means "none" (a root cause).
pub type EventId = u32;
