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

/// A pod's UID: random-looking, but a function of the seed and the pod only.
pub fn pod_uid(pod: PodId, seed: u64) -> String {
    let mix = |mut z: u64| {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let a = mix(seed ^ (pod.0 as u64) << 1);
    let b = mix(a ^ 0x5851_F42D_4C95_7F2D);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}
