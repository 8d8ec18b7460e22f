//! The controllers of kube-controller-manager that kubesim models so far. Each reconciles by
//! key from a de-duplicating work queue fed by its watches, like client-go's workqueue.

pub mod cronjob;
pub mod daemonset;
pub mod deployment;
pub mod disruption;
pub mod endpointslice;
pub mod job;
pub mod nodeipam;
pub mod nodelifecycle;
pub mod podgc;
pub mod replicaset;
pub mod statefulset;
pub mod tainteviction;

use crate::api::events::Source;
use crate::api::pod::new_pod;
use crate::api::{EventType, Labels, Message, Owner, PodId, PodSpec};
use crate::apiserver::ApiServer;
use crate::runtime::{Ctx, Event};
use crate::sim::rng::SimRng;
use std::collections::VecDeque;
use std::sync::Arc;

/// `rand.String`'s alphabet (no vowels, no confusable characters), used for generated names
/// and for `SafeEncodeString` of template hashes.
pub const NAME_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
/// `burstReplicas`: at most this many creations or deletions per sync.
pub const BURST_REPLICAS: usize = 500;
/// `ExpectationsTimeout`: unmet expectations stop blocking a sync after 5 minutes.
pub const EXPECTATIONS_TIMEOUT_MS: u64 = 5 * 60 * 1000;

/// A FIFO of keys where a key already waiting is not added twice.
#[derive(Default)]
pub struct WorkQueue {
    queue: VecDeque<u32>,
    dirty: Vec<bool>,
    scheduled: bool,
}

impl WorkQueue {
    /// Add `key`; make sure a work event is pending.
    pub fn add(&mut self, key: u32, ctx: &mut Ctx, work: Event) {
        let k = key as usize;
        if self.dirty.len() <= k {
            self.dirty.resize(k + 1, false);
        }
        if !self.dirty[k] {
            self.dirty[k] = true;
            self.queue.push_back(key);
        }
        if !self.scheduled {
            self.scheduled = true;
            ctx.after(0, work);
        }
    }

    /// Take the next key (the caller handles it, then calls `done`).
    pub fn pop(&mut self) -> Option<u32> {
        self.scheduled = false;
        let k = self.queue.pop_front()?;
        self.dirty[k as usize] = false;
        Some(k)
    }

    /// After handling a key: keep working while keys wait.
    pub fn done(&mut self, ctx: &mut Ctx, work: Event) {
        if !self.queue.is_empty() && !self.scheduled {
            self.scheduled = true;
            ctx.after(0, work);
        }
    }
}

/// `DefaultControllerRateLimiter`'s per-item back-off: 5 ms doubling to 1000 s.
pub const CONTROLLER_RETRY_BASE_MS: u64 = 5;
pub const CONTROLLER_RETRY_MAX_MS: u64 = 1_000_000;

/// client-go's `ItemExponentialFailureRateLimiter`: per key, `base * 2^failures` up to `max`,
/// forgotten after a sync that succeeds.
#[derive(Default)]
pub struct Backoff {
    failures: std::collections::BTreeMap<u32, u32>,
}

impl Backoff {
    /// The delay before key `key` is retried, counting this failure.
    pub fn next(&mut self, key: u32, base_ms: u64, max_ms: u64) -> u64 {
        let n = self.failures.entry(key).or_insert(0);
        let d = base_ms.saturating_mul(1u64 << (*n).min(40)).min(max_ms);
        *n += 1;
        d
    }

    pub fn forget(&mut self, key: u32) {
        self.failures.remove(&key);
    }
}

/// Create a pod for `owner` named `generateName` style (`BASE-xxxxx`, unique among live pods),
/// and record the owner's `SuccessfulCreate` event. None: the API server refused it (the owner's
/// `FailedCreate` event says why, as `controller_utils` words it).
pub fn create_owned_pod(
    owner: Owner,
    namespace: &str,
    base: &str,
    labels: Arc<Labels>,
    spec: Arc<PodSpec>,
    source: Source,
    ctx: &mut Ctx,
) -> Option<PodId> {
    let name = loop {
        let mut n = String::with_capacity(base.len() + 6);
        n.push_str(base);
        n.push('-');
        push_random_suffix(&mut n, &mut ctx.rng.names);
        if !ctx.api.pod_name_taken(namespace, &n) {
            break n;
        }
    };
    // The admission chain: the ServiceAccount plugin sees the request's generateName, the
    // validating plugins (LimitRanger's checks, ResourceQuota) the generated name.
    let spec = match ctx.api.admit_pod(namespace, Some(base), &name, &spec) {
        Ok(s) => s,
        Err(e) => {
            // Upstream records nothing for a namespace being deleted (the NamespaceTerminating
            // cause); the controller still retries.
            if !e.ends_with("because it is being terminated") {
                let obj = ApiServer::owner_ref(owner);
                let msg = Message::Text(format!("Error creating: {e}").into());
                ctx.cause = ctx.record(EventType::Warning, "FailedCreate", obj, None, source, msg);
            }
            return None;
        }
    };
    let pod = new_pod(ctx.api.namespace(namespace), name, labels, Some(owner), spec, ctx.now);
    let pid = ctx.api.create_pod(pod);
    let obj = ApiServer::owner_ref(owner);
    ctx.cause = ctx.record(EventType::Normal, "SuccessfulCreate", obj, None, source, Message::CreatedPod { pod: pid });
    Some(pid)
}

/// Delete one of `owner`'s pods with its own grace period and record `SuccessfulDelete`.
pub fn delete_owned_pod(owner: Owner, p: PodId, source: Source, ctx: &mut Ctx) {
    let grace = ctx.api.pod(p).spec.termination_grace_ms;
    ctx.api.delete_pod(p, grace, ctx.now);
    let obj = ApiServer::owner_ref(owner);
    ctx.cause = ctx.record(EventType::Normal, "SuccessfulDelete", obj, None, source, Message::DeletedPod { pod: p });
}

/// `rand.String(5)`: a generated-name suffix, appended to `s`.
pub fn push_random_suffix(s: &mut String, rng: &mut SimRng) {
    for _ in 0..5 {
        s.push(NAME_ALPHABET[rng.below(NAME_ALPHABET.len() as u64) as usize] as char);
    }
}

/// FNV-1a, 32 bits (the hash upstream's `ComputeHash` uses).
pub fn fnv32a(data: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in data {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// `rand.SafeEncodeString(fmt.Sprint(hash))`: each decimal digit mapped into the alphabet.
pub fn safe_encode(hash: u32) -> String {
    hash.to_string().bytes().map(|b| NAME_ALPHABET[b as usize % NAME_ALPHABET.len()] as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_and_encoding() {
        assert_eq!(fnv32a(b""), 0x811c9dc5);
        assert_eq!(fnv32a(b"a"), 0xe40c292c);
        // Digits are bytes 48..57: 48 % 27 = 21 -> alphabet[21] = '4', 49 % 27 = 22 -> '5', ...
        assert_eq!(safe_encode(1234567890), "56789bcdf4");
    }
}
