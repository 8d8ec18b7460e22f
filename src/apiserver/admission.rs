//! The admission plugins that decide whether a pod may be created, in the API server's order:
//! LimitRanger (defaults, then min/max), then ResourceQuota. (ServiceAccount is in `config`.)

use crate::api::quantity::{format_bytes, format_millicores};
use crate::api::{ContainerSpec, PodSpec};
use std::sync::Arc;

/// A container's (cpu, memory) amount of one kind (requests or limits), if stated.
type Amounts = (Option<u64>, Option<u64>);

/// An exceeded quota entry: (key, requested, used, hard), rendered.
type Over<'a> = (&'a str, String, String, String);

/// cpu (millicores) and memory (bytes), each optional.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuMem {
    pub cpu: Option<u64>,
    pub memory: Option<u64>,
}

/// One `spec.limits` entry of type Container or Pod.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LimitRangeItem {
    /// `type: Pod` (sums over containers; no defaults) rather than Container.
    pub pod: bool,
    pub default: CpuMem,
    pub default_request: CpuMem,
    pub min: CpuMem,
    pub max: CpuMem,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitRange {
    pub namespace: Arc<str>,
    pub name: String,
    pub items: Vec<LimitRangeItem>,
}

/// A resource a ResourceQuota limits for pods, as written in `spec.hard`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuotaResource {
    Pods,
    RequestsCpu,
    RequestsMemory,
    LimitsCpu,
    LimitsMemory,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceQuota {
    pub namespace: Arc<str>,
    pub name: String,
    /// (the key as written, what it limits, the hard amount), sorted by key.
    pub hard: Vec<(String, QuotaResource, u64)>,
}

/// An amount of `r` as the quota prints it (`500m`, `2`, `128Mi`, `10`).
pub fn render(r: QuotaResource, v: u64) -> String {
    match r {
        QuotaResource::Pods => v.to_string(),
        QuotaResource::RequestsCpu | QuotaResource::LimitsCpu => format_millicores(v),
        QuotaResource::RequestsMemory | QuotaResource::LimitsMemory => format_bytes(v),
    }
}

/// LimitRanger's mutation: each container's missing limits from `default` (or `max`), missing
/// requests from `defaultRequest` (or `default`, or `min`). `None` when nothing changes.
pub fn limit_defaults(ranges: &[&LimitRange], spec: &PodSpec) -> Option<PodSpec> {
    let items: Vec<&LimitRangeItem> = ranges.iter().flat_map(|r| &r.items).filter(|i| !i.pod).collect();
    if items.is_empty() {
        return None;
    }
    let mut out = spec.clone();
    let mut changed = false;
    for c in out.containers.iter_mut().chain(out.init_containers.iter_mut()) {
        for i in &items {
            let limit_cpu = i.default.cpu.or(i.max.cpu);
            let limit_mem = i.default.memory.or(i.max.memory);
            if let (false, Some(v)) = (c.has_cpu_limit, limit_cpu) {
                (c.limits.cpu_milli, c.has_cpu_limit, changed) = (v, true, true);
            }
            if let (false, Some(v)) = (c.has_memory_limit, limit_mem) {
                (c.limits.memory, c.has_memory_limit, changed) = (v, true, true);
            }
            if let (false, Some(v)) = (c.has_cpu_request, i.default_request.cpu.or(limit_cpu).or(i.min.cpu)) {
                (c.requests.cpu_milli, c.has_cpu_request, changed) = (v, true, true);
            }
            if let (false, Some(v)) = (c.has_memory_request, i.default_request.memory.or(limit_mem).or(i.min.memory)) {
                (c.requests.memory, c.has_memory_request, changed) = (v, true, true);
            }
        }
    }
    changed.then_some(out)
}

/// LimitRanger's validation: min and max per Container (and per Pod, summed), with upstream's
/// words. Err: the first violation.
pub fn limit_check(ranges: &[&LimitRange], spec: &PodSpec) -> Result<(), String> {
    for i in ranges.iter().flat_map(|r| &r.items) {
        let (kind, subjects): (&str, Vec<(CpuMem, CpuMem)>) = if i.pod {
            let sum = |f: &dyn Fn(&ContainerSpec) -> Amounts| {
                spec.containers.iter().fold(CpuMem { cpu: Some(0), memory: Some(0) }, |a, c| {
                    let (cpu, mem) = f(c);
                    CpuMem { cpu: a.cpu.zip(cpu).map(|(x, y)| x + y), memory: a.memory.zip(mem).map(|(x, y)| x + y) }
                })
            };
            let req = sum(&|c| {
                (c.has_cpu_request.then_some(c.requests.cpu_milli), c.has_memory_request.then_some(c.requests.memory))
            });
            let lim = sum(&|c| {
                (c.has_cpu_limit.then_some(c.limits.cpu_milli), c.has_memory_limit.then_some(c.limits.memory))
            });
            ("Pod", vec![(req, lim)])
        } else {
            let per = spec.containers.iter().chain(&spec.init_containers).map(|c| {
                (
                    CpuMem {
                        cpu: c.has_cpu_request.then_some(c.requests.cpu_milli),
                        memory: c.has_memory_request.then_some(c.requests.memory),
                    },
                    CpuMem {
                        cpu: c.has_cpu_limit.then_some(c.limits.cpu_milli),
                        memory: c.has_memory_limit.then_some(c.limits.memory),
                    },
                )
            });
            ("Container", per.collect())
        };
        for (req, lim) in subjects {
            for (res, min, max, r, l, fmt) in [
                ("cpu", i.min.cpu, i.max.cpu, req.cpu, lim.cpu, format_millicores as fn(u64) -> String),
                ("memory", i.min.memory, i.max.memory, req.memory, lim.memory, format_bytes as fn(u64) -> String),
            ] {
                if let Some(min) = min {
                    match r {
                        None => {
                            return Err(format!(
                                "minimum {res} usage per {kind} is {}.  No request is specified",
                                fmt(min)
                            ));
                        }
                        Some(r) if r < min => {
                            return Err(format!(
                                "minimum {res} usage per {kind} is {}, but request is {}",
                                fmt(min),
                                fmt(r)
                            ));
                        }
                        _ => {}
                    }
                }
                if let Some(max) = max {
                    match l {
                        None => {
                            return Err(format!(
                                "maximum {res} usage per {kind} is {}.  No limit is specified",
                                fmt(max)
                            ));
                        }
                        Some(l) if l > max => {
                            return Err(format!(
                                "maximum {res} usage per {kind} is {}, but limit is {}",
                                fmt(max),
                                fmt(l)
                            ));
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    Ok(())
}

/// What one pod charges a quota for `r`.
pub fn pod_usage(spec: &PodSpec, r: QuotaResource) -> u64 {
    let limits = || {
        let sum = spec.containers.iter().fold((0, 0), |a, c| (a.0 + c.limits.cpu_milli, a.1 + c.limits.memory));
        let init =
            spec.init_containers.iter().fold((0, 0), |a, c| (a.0.max(c.limits.cpu_milli), a.1.max(c.limits.memory)));
        (sum.0.max(init.0), sum.1.max(init.1))
    };
    match r {
        QuotaResource::Pods => 1,
        QuotaResource::RequestsCpu => spec.requests().cpu_milli,
        QuotaResource::RequestsMemory => spec.requests().memory,
        QuotaResource::LimitsCpu => limits().0,
        QuotaResource::LimitsMemory => limits().1,
    }
}

/// ResourceQuota's check of a pod create against `q` with `used` (per `q.hard` entry, what the
/// namespace's live pods charge now). Err: upstream's refusal text (without the `pods "x" is
/// forbidden: ` prefix).
pub fn quota_check(q: &ResourceQuota, used: &[u64], spec: &PodSpec) -> Result<(), String> {
    // Constraints first: a quota on limits or requests needs every container to state them.
    let mut missing: Vec<String> = Vec::new();
    for (key, r, _) in &q.hard {
        let lacks = |c: &&ContainerSpec| match r {
            QuotaResource::RequestsCpu => !c.has_cpu_request,
            QuotaResource::RequestsMemory => !c.has_memory_request,
            QuotaResource::LimitsCpu => !c.has_cpu_limit,
            QuotaResource::LimitsMemory => !c.has_memory_limit,
            QuotaResource::Pods => false,
        };
        let mut names: Vec<&str> = spec.containers.iter().filter(lacks).map(|c| c.name.as_str()).collect();
        names.sort();
        if !names.is_empty() {
            missing.push(format!("{key} for: {}", names.join(",")));
        }
    }
    if !missing.is_empty() {
        return Err(format!("failed quota: {}: must specify {}", q.name, missing.join("; ")));
    }
    let mut over: Vec<Over> = Vec::new();
    for ((key, r, hard), &u) in q.hard.iter().zip(used) {
        let want = pod_usage(spec, *r);
        if want > 0 && u + want > *hard {
            over.push((key, render(*r, want), render(*r, u), render(*r, *hard)));
        }
    }
    if over.is_empty() {
        return Ok(());
    }
    let list = |f: &dyn Fn(&Over) -> String| over.iter().map(f).collect::<Vec<_>>().join(",");
    Err(format!(
        "exceeded quota: {}, requested: {}, used: {}, limited: {}",
        q.name,
        list(&|o| format!("{}={}", o.0, o.1)),
        list(&|o| format!("{}={}", o.0, o.2)),
        list(&|o| format!("{}={}", o.0, o.3)),
    ))
}

impl super::ApiServer {
    /// What the namespace's live pods charge each of `q.hard`'s resources now (terminal and
    /// removed pods not counted; terminating ones still are).
    pub fn quota_used(&self, q: &ResourceQuota) -> Vec<u64> {
        let mut used = vec![0u64; q.hard.len()];
        let live = self
            .pods
            .iter()
            .filter(|p| p.removed.is_none() && *p.namespace == *q.namespace && !p.status.phase.is_terminal());
        for p in live {
            for (u, (_, r, _)) in used.iter_mut().zip(&q.hard) {
                *u += pod_usage(&p.spec, *r);
            }
        }
        used
    }

    /// The admission chain of a pod create: ServiceAccount (it sees the name the request carries:
    /// `generate_base` + "-" for a generated name), LimitRanger defaults and limits, then
    /// ResourceQuota (which sees the generated `name`). Ok: the spec to create (defaulted when a
    /// LimitRange filled something). Err: the refusal, `pods "NAME" is forbidden: ...`.
    pub fn admit_pod(
        &self,
        namespace: &str,
        generate_base: Option<&str>,
        name: &str,
        spec: &Arc<PodSpec>,
    ) -> Result<Arc<PodSpec>, String> {
        let g = &self.gates;
        g.admit_namespace(namespace)
            .and_then(|()| g.admit_service_account(namespace, spec.service_account.as_deref()))
            .map_err(|e| match generate_base {
                Some(base) => format!("pods \"{base}-\" is forbidden: {e}"),
                None => format!("pods {name:?} is forbidden: {e}"),
            })?;
        let ranges: Vec<&LimitRange> = g.limit_ranges.iter().filter(|r| *r.namespace == *namespace).collect();
        let quotas: Vec<&ResourceQuota> = g.quotas.iter().filter(|q| *q.namespace == *namespace).collect();
        if ranges.is_empty() && quotas.is_empty() {
            return Ok(spec.clone());
        }
        let spec = match limit_defaults(&ranges, spec) {
            Some(s) => Arc::new(s),
            None => spec.clone(),
        };
        let forbidden = |e: String| format!("pods {name:?} is forbidden: {e}");
        limit_check(&ranges, &spec).map_err(forbidden)?;
        for q in quotas {
            let mut used = vec![0u64; q.hard.len()];
            let live = self
                .pods
                .iter()
                .filter(|p| p.removed.is_none() && *p.namespace == *namespace && !p.status.phase.is_terminal());
            for p in live {
                for (u, (_, r, _)) in used.iter_mut().zip(&q.hard) {
                    *u += pod_usage(&p.spec, *r);
                }
            }
            quota_check(q, &used, &spec).map_err(forbidden)?;
        }
        Ok(spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::test_pod_spec;

    fn with_requests(cpu: Option<u64>, cpu_limit: Option<u64>) -> PodSpec {
        let mut s = test_pod_spec();
        let c = &mut s.containers[0];
        c.name = "app".into();
        if let Some(v) = cpu {
            (c.requests.cpu_milli, c.has_cpu_request) = (v, true);
        }
        if let Some(v) = cpu_limit {
            (c.limits.cpu_milli, c.has_cpu_limit) = (v, true);
        }
        s
    }

    fn range(item: LimitRangeItem) -> LimitRange {
        LimitRange { namespace: "default".into(), name: "limits".into(), items: vec![item] }
    }

    #[test]
    fn limit_ranger_fills_defaults_then_checks_min_and_max_in_upstreams_words() {
        let r = range(LimitRangeItem {
            default: CpuMem { cpu: Some(500), memory: Some(256 << 20) },
            default_request: CpuMem { cpu: Some(100), memory: None },
            max: CpuMem { cpu: Some(1000), memory: None },
            ..Default::default()
        });
        let s = limit_defaults(&[&r], &with_requests(None, None)).expect("defaulted");
        let c = &s.containers[0];
        assert_eq!((c.requests.cpu_milli, c.limits.cpu_milli, c.limits.memory), (100, 500, 256 << 20));
        // memory request from the default limit (defaultRequest falls back to default).
        assert_eq!(c.requests.memory, 256 << 20);
        assert_eq!(s.qos(), crate::api::QosClass::Burstable);
        assert_eq!(
            limit_check(&[&r], &with_requests(Some(2000), Some(2000))).unwrap_err(),
            "maximum cpu usage per Container is 1, but limit is 2"
        );
        let min = range(LimitRangeItem { min: CpuMem { cpu: Some(200), memory: None }, ..Default::default() });
        assert_eq!(
            limit_check(&[&min], &with_requests(Some(100), None)).unwrap_err(),
            "minimum cpu usage per Container is 200m, but request is 100m"
        );
        assert_eq!(
            limit_check(&[&min], &with_requests(None, None)).unwrap_err(),
            "minimum cpu usage per Container is 200m.  No request is specified"
        );
    }

    #[test]
    fn quota_refuses_what_exceeds_it_and_what_does_not_state_its_resources() {
        let q = ResourceQuota {
            namespace: "default".into(),
            name: "compute".into(),
            hard: vec![
                ("pods".into(), QuotaResource::Pods, 10),
                ("requests.cpu".into(), QuotaResource::RequestsCpu, 2000),
            ],
        };
        assert!(quota_check(&q, &[3, 1500], &with_requests(Some(500), None)).is_ok());
        assert_eq!(
            quota_check(&q, &[4, 2000], &with_requests(Some(500), None)).unwrap_err(),
            "exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=2, limited: requests.cpu=2"
        );
        assert_eq!(
            quota_check(&q, &[0, 0], &with_requests(None, None)).unwrap_err(),
            "failed quota: compute: must specify requests.cpu for: app"
        );
    }
}
