//! `noderesources`: the NodeResourcesFit scoring strategies (LeastAllocated, MostAllocated,
//! RequestedToCapacityRatio) and NodeResourcesBalancedAllocation, over the resources the
//! profile names, with upstream's truncations.

use super::helper::broken_linear;
use super::{MAX_NODE_SCORE, NodeInfo};
use crate::api::Resources;

/// A resource a scoring strategy looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Res {
    Cpu,
    Memory,
    Storage,
    /// An extended resource, by its index in `Resources::ext`.
    Ext(usize),
}

/// `config.ResourceSpec`: a resource and its weight (1..100).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResourceSpec {
    pub res: Res,
    pub weight: i64,
}

/// The default `resources` of NodeResourcesFit and BalancedAllocation: cpu and memory, weight 1.
pub const DEFAULT_RESOURCES: [ResourceSpec; 2] =
    [ResourceSpec { res: Res::Cpu, weight: 1 }, ResourceSpec { res: Res::Memory, weight: 1 }];

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Strategy {
    LeastAllocated,
    MostAllocated,
    /// The shape with scores already scaled to 0..100.
    RequestedToCapacityRatio(Vec<(i64, i64)>),
}

impl Strategy {
    pub fn name(&self) -> &'static str {
        match self {
            Strategy::LeastAllocated => "LeastAllocated",
            Strategy::MostAllocated => "MostAllocated",
            Strategy::RequestedToCapacityRatio(_) => "RequestedToCapacityRatio",
        }
    }
}

fn amount(r: &Resources, res: Res) -> i64 {
    (match res {
        Res::Cpu => r.cpu_milli,
        Res::Memory => r.memory,
        Res::Storage => r.storage,
        Res::Ext(i) => r.ext[i] as u64,
    }) as i64
}

/// `calculateResourceAllocatableRequest` for each resource: (requested, allocatable), with
/// (0, 0) for an extended resource the pod does not ask for. NodeResourcesFit scores with the
/// non-zero requests of cpu and memory (`use_requested` false); BalancedAllocation with the
/// actual ones. `pod` is the matching request of the incoming pod.
pub fn requested_allocatable(
    specs: &[ResourceSpec],
    info: &NodeInfo,
    pod: &Resources,
    use_requested: bool,
    out: &mut [(i64, i64)],
) {
    for (o, s) in out.iter_mut().zip(specs) {
        let p = amount(pod, s.res);
        *o = match s.res {
            Res::Ext(_) if p == 0 => (0, 0),
            Res::Cpu | Res::Memory => {
                let node = if use_requested { &info.requested } else { &info.nonzero };
                (amount(node, s.res) + p, amount(&info.allocatable, s.res))
            }
            _ => (amount(&info.requested, s.res) + p, amount(&info.allocatable, s.res)),
        };
    }
}

/// `leastRequestedScore`.
fn least_requested(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 || requested > capacity {
        return 0;
    }
    (capacity - requested) * MAX_NODE_SCORE / capacity
}

/// `mostRequestedScore`: a request above capacity counts as full.
fn most_requested(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 {
        return 0;
    }
    requested.min(capacity) * MAX_NODE_SCORE / capacity
}

/// The weighted mean of a per-resource score over the resources the node has.
fn weighted(ra: &[(i64, i64)], specs: &[ResourceSpec], f: impl Fn(i64, i64) -> i64) -> i64 {
    let (mut score, mut weights) = (0i64, 0i64);
    for (&(req, alloc), s) in ra.iter().zip(specs) {
        if alloc == 0 {
            continue;
        }
        score += f(req, alloc) * s.weight;
        weights += s.weight;
    }
    if weights == 0 { 0 } else { score / weights }
}

/// NodeResourcesFit's score under a strategy, from (requested, allocatable) pairs.
pub fn strategy_score(strategy: &Strategy, ra: &[(i64, i64)], specs: &[ResourceSpec]) -> i64 {
    match strategy {
        Strategy::LeastAllocated => weighted(ra, specs, least_requested),
        Strategy::MostAllocated => weighted(ra, specs, most_requested),
        Strategy::RequestedToCapacityRatio(shape) => {
            // Resources scoring 0 on the shape take no part in the mean; the result is rounded.
            let (mut score, mut weights) = (0i64, 0i64);
            for (&(req, alloc), s) in ra.iter().zip(specs) {
                if alloc == 0 {
                    continue;
                }
                let util = if req > alloc { 100 } else { req * 100 / alloc };
                let r = broken_linear(shape, util);
                if r > 0 {
                    score += r * s.weight;
                    weights += s.weight;
                }
            }
            if weights == 0 { 0 } else { (score as f64 / weights as f64).round() as i64 }
        }
    }
}

/// BalancedAllocation: `(1 - std) * 100` of the requested fractions (each capped at 1) of the
/// resources the node has; for two resources std is half their difference.
pub fn balanced_score(ra: &[(i64, i64)]) -> i64 {
    let mut fractions = [0f64; 8];
    let mut n = 0;
    let mut total = 0.0;
    for &(req, alloc) in ra {
        if alloc == 0 {
            continue;
        }
        let f = fraction(req, alloc);
        total += f;
        fractions[n] = f;
        n += 1;
    }
    let std = if n == 2 {
        ((fractions[0] - fractions[1]) / 2.0).abs()
    } else if n > 2 {
        let mean = total / n as f64;
        let sum: f64 = fractions[..n].iter().map(|f| (f - mean) * (f - mean)).sum();
        (sum / n as f64).sqrt()
    } else {
        0.0
    };
    balanced_from_std(std)
}

/// A resource's requested fraction of the allocatable, capped at 1.
#[inline]
fn fraction(req: i64, alloc: i64) -> f64 {
    (req as f64 / alloc as f64).min(1.0)
}

/// `(1 - std) * MaxNodeScore`, truncated.
#[inline]
fn balanced_from_std(std: f64) -> i64 {
    ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
}

/// The default profile's two resource scores summed (both have weight 1): LeastAllocated over cpu
/// and memory with the non-zero requests, plus BalancedAllocation with the actual ones (0 for a
/// best-effort pod, whose PreScore skips it). `strategy_score` and `balanced_score` on fixed
/// pairs, for the hot path.
#[inline]
pub fn default_profile_score(info: &NodeInfo, nonzero: &Resources, req: &Resources, balanced: bool) -> i64 {
    let (ac, am) = (info.allocatable.cpu_milli as i64, info.allocatable.memory as i64);
    // LeastAllocated: the mean over the resources the node has (weights 1).
    let (mut sum, mut n) = (0, 0);
    if ac > 0 {
        sum += least_requested((info.nonzero.cpu_milli + nonzero.cpu_milli) as i64, ac);
        n += 1;
    }
    if am > 0 {
        sum += least_requested((info.nonzero.memory + nonzero.memory) as i64, am);
        n += 1;
    }
    let least = if n == 0 { 0 } else { sum / n };
    if !balanced {
        return least;
    }
    // BalancedAllocation: two fractions, std = half their difference; fewer: std 0.
    let std = if ac > 0 && am > 0 {
        let fc = fraction((info.requested.cpu_milli + req.cpu_milli) as i64, ac);
        let fm = fraction((info.requested.memory + req.memory) as i64, am);
        ((fc - fm) / 2.0).abs()
    } else {
        0.0
    };
    least + balanced_from_std(std)
}

/// BalancedAllocation's PreScore skips a pod that requests none of its resources.
pub fn is_best_effort(specs: &[ResourceSpec], pod: &Resources) -> bool {
    specs.iter().all(|s| amount(pod, s.res) == 0)
}

#[cfg(test)]
mod tests {
    //! The cases of upstream's least_allocated_test.go, most_allocated_test.go,
    //! requested_to_capacity_ratio_test.go and balanced_allocation_test.go, each named after
    //! the upstream case. Quantities as upstream writes them: "cpu": "4000" is 4000 cores.
    use super::*;
    use crate::api::DEFAULT_MEMORY_REQUEST;
    use crate::api::DEFAULT_MILLI_CPU_REQUEST;

    const MI: u64 = 1024 * 1024;

    /// A container's requests as upstream's test helpers write them: (cpu cores, memory
    /// bytes, extended[0]); None = not set.
    type C = (Option<u64>, Option<u64>, u32);

    fn pod(containers: &[C]) -> (Resources, Resources) {
        let (mut actual, mut nonzero) = (Resources::default(), Resources::default());
        for &(cpu, mem, ext) in containers {
            let mut a = Resources::new(cpu.unwrap_or(0) * 1000, mem.unwrap_or(0));
            a.ext[0] = ext;
            actual.add(a);
            let mut nz = Resources::new(
                cpu.map_or(DEFAULT_MILLI_CPU_REQUEST, |c| c * 1000),
                mem.unwrap_or(DEFAULT_MEMORY_REQUEST),
            );
            nz.ext[0] = ext;
            nonzero.add(nz);
        }
        (actual, nonzero)
    }

    /// A node of `cpu` cores and `mem` bytes (and `ext` of extended[0]) with existing pods.
    fn node(cpu: u64, mem: u64, ext: u32, pods: &[&[C]]) -> NodeInfo {
        let mut alloc = Resources::new(cpu * 1000, mem);
        alloc.ext[0] = ext;
        let mut info = NodeInfo { allocatable: alloc, max_pods: 110, ..NodeInfo::default() };
        for p in pods {
            let (a, nz) = pod(p);
            info.requested.add(a);
            info.nonzero.add(nz);
            info.pods += 1;
        }
        info
    }

    fn fit_score(strategy: &Strategy, specs: &[ResourceSpec], info: &NodeInfo, p: &[C]) -> i64 {
        let (actual, nonzero) = pod(p);
        // NodeResourcesFit scores cpu/memory with non-zero requests, the rest as requested.
        let mut req = nonzero;
        req.storage = actual.storage;
        let mut ra = vec![(0, 0); specs.len()];
        requested_allocatable(specs, info, &req, false, &mut ra);
        strategy_score(strategy, &ra, specs)
    }

    fn balanced(specs: &[ResourceSpec], info: &NodeInfo, p: &[C]) -> Option<i64> {
        let (actual, _) = pod(p);
        if is_best_effort(specs, &actual) {
            return None; // PreScore: Skip
        }
        let mut ra = vec![(0, 0); specs.len()];
        requested_allocatable(specs, info, &actual, true, &mut ra);
        Some(balanced_score(&ra))
    }

    const CPU_MEM: &[ResourceSpec] = &DEFAULT_RESOURCES;
    const EXT_SET: &[ResourceSpec] = &[
        ResourceSpec { res: Res::Cpu, weight: 1 },
        ResourceSpec { res: Res::Memory, weight: 1 },
        ResourceSpec { res: Res::Ext(0), weight: 1 },
    ];
    const TWO_CONTAINERS: &[C] = &[(Some(1000), Some(2000), 0), (Some(2000), Some(3000), 0)];

    #[test]
    fn least_allocated_test_go() {
        let la = Strategy::LeastAllocated;
        let s = |info: &NodeInfo, p: &[C]| fit_score(&la, CPU_MEM, info, p);
        // "nothing scheduled, nothing requested"
        assert_eq!(s(&node(4000, 10000, 0, &[]), &[]), 100);
        // "nothing scheduled, resources requested, differently sized nodes"
        assert_eq!(s(&node(4000, 10000, 0, &[]), TWO_CONTAINERS), 37);
        assert_eq!(s(&node(6000, 10000, 0, &[]), TWO_CONTAINERS), 50);
        // "no resources requested, pods scheduled" (pods without containers request nothing)
        assert_eq!(s(&node(4000, 10000, 0, &[&[], &[]]), &[]), 100);
        // "no resources requested, pods scheduled with resources"
        let c3 = (Some(3000), Some(0), 0);
        let c35 = (Some(3000), Some(5000), 0);
        assert_eq!(s(&node(10000, 20000, 0, &[&[c3], &[c3]]), &[]), 70);
        assert_eq!(s(&node(10000, 20000, 0, &[&[c3], &[c35]]), &[]), 57);
        // "resources requested, pods scheduled with resources"
        assert_eq!(s(&node(10000, 20000, 0, &[&[c3]]), TWO_CONTAINERS), 57);
        assert_eq!(s(&node(10000, 20000, 0, &[&[c35]]), TWO_CONTAINERS), 45);
        // "resources requested, pods scheduled with resources, differently sized nodes"
        assert_eq!(s(&node(10000, 50000, 0, &[&[c35]]), TWO_CONTAINERS), 60);
        // "requested resources exceed node capacity"
        assert_eq!(s(&node(4000, 10000, 0, &[&[c3]]), &[c3]), 50);
        assert_eq!(s(&node(4000, 10000, 0, &[&[c35]]), &[c3]), 25);
        // "zero node resources, pods scheduled with resources"
        assert_eq!(s(&node(0, 0, 0, &[&[c3]]), &[]), 0);
        // "nothing scheduled, resources requested with different weight on CPU and memory, ..."
        let w = [ResourceSpec { res: Res::Memory, weight: 2 }, ResourceSpec { res: Res::Cpu, weight: 1 }];
        assert_eq!(fit_score(&la, &w, &node(4000, 10000, 0, &[]), TWO_CONTAINERS), 41);
        assert_eq!(fit_score(&la, &w, &node(6000, 10000, 0, &[]), TWO_CONTAINERS), 50);
        // "bypass extended resource if the pod does not request"
        assert_eq!(fit_score(&la, EXT_SET, &node(6000, 10000, 0, &[]), TWO_CONTAINERS), 50);
        assert_eq!(fit_score(&la, EXT_SET, &node(6000, 10000, 4, &[]), TWO_CONTAINERS), 50);
        // "honor extended resource if the pod requests"
        let p = [(Some(3000), Some(5000), 2)];
        assert_eq!(fit_score(&la, EXT_SET, &node(6000, 10000, 4, &[]), &p), 50);
        assert_eq!(fit_score(&la, EXT_SET, &node(6000, 10000, 10, &[]), &p), 60);
        // "if the node doesn't have a resource"
        let w = [
            ResourceSpec { res: Res::Ext(0), weight: 2 },
            ResourceSpec { res: Res::Cpu, weight: 1 },
            ResourceSpec { res: Res::Memory, weight: 1 },
        ];
        let p = [(Some(3000), Some(4000), 0)];
        assert_eq!(fit_score(&la, &w, &node(6000, 10000, 0, &[]), &p), 55);
        assert_eq!(fit_score(&la, &w, &node(6000, 10000, 4, &[]), &p), 55);
    }

    #[test]
    fn most_allocated_test_go() {
        let ma = Strategy::MostAllocated;
        let s = |info: &NodeInfo, p: &[C]| fit_score(&ma, CPU_MEM, info, p);
        // "nothing scheduled, nothing requested"
        assert_eq!(s(&node(4000, 10000, 0, &[]), &[]), 0);
        // "nothing scheduled, resources requested, differently sized nodes"
        assert_eq!(s(&node(4000, 10000, 0, &[]), TWO_CONTAINERS), 62);
        assert_eq!(s(&node(6000, 10000, 0, &[]), TWO_CONTAINERS), 50);
        // "no resources requested, pods scheduled with resources"
        let c3 = (Some(3000), Some(0), 0);
        let c35 = (Some(3000), Some(5000), 0);
        assert_eq!(s(&node(10000, 20000, 0, &[&[c3], &[c3]]), &[]), 30);
        assert_eq!(s(&node(10000, 20000, 0, &[&[c3], &[c35]]), &[]), 42);
        // "resources requested, pods scheduled with resources"
        assert_eq!(s(&node(10000, 20000, 0, &[&[c3]]), TWO_CONTAINERS), 42);
        assert_eq!(s(&node(10000, 20000, 0, &[&[c35]]), TWO_CONTAINERS), 55);
        // "resources requested equal node capacity"
        let p = [(Some(2000), Some(4000), 0), (Some(3000), Some(5000), 0)];
        assert_eq!(s(&node(5000, 10000, 0, &[]), &p), 95);
        assert_eq!(s(&node(10000, 9000, 0, &[]), &p), 75);
        // "nothing scheduled, resources requested, differently sized nodes" (memory weight 2)
        let w = [ResourceSpec { res: Res::Memory, weight: 2 }, ResourceSpec { res: Res::Cpu, weight: 1 }];
        assert_eq!(fit_score(&ma, &w, &node(4000, 10000, 0, &[]), TWO_CONTAINERS), 58);
        assert_eq!(fit_score(&ma, &w, &node(6000, 10000, 0, &[]), TWO_CONTAINERS), 50);
        // "no resources requested, pods scheduled, nonzero request for resource": 250m, 1000Mi
        let empty = (None, None, 0);
        let mut n1 = node(0, 1000 * MI, 0, &[&[empty], &[empty]]);
        n1.allocatable.cpu_milli = 250;
        let mut n2 = node(0, 1000 * MI, 0, &[]);
        n2.allocatable.cpu_milli = 250;
        assert_eq!(s(&n1, &[empty]), 80);
        assert_eq!(s(&n2, &[empty]), 30);
        // "bypass extended resource if the pod does not request"
        assert_eq!(fit_score(&ma, EXT_SET, &node(6000, 10000, 4, &[]), TWO_CONTAINERS), 50);
        // "honor extended resource if the pod request"
        let p = [(Some(3000), Some(5000), 2)];
        assert_eq!(fit_score(&ma, EXT_SET, &node(6000, 10000, 4, &[]), &p), 50);
        assert_eq!(fit_score(&ma, EXT_SET, &node(6000, 10000, 10, &[]), &p), 40);
        // "if the node doesn't have a resource"
        let w = [
            ResourceSpec { res: Res::Ext(0), weight: 2 },
            ResourceSpec { res: Res::Cpu, weight: 1 },
            ResourceSpec { res: Res::Memory, weight: 1 },
        ];
        let p = [(Some(3000), Some(4000), 0)];
        assert_eq!(fit_score(&ma, &w, &node(6000, 10000, 0, &[]), &p), 45);
        assert_eq!(fit_score(&ma, &w, &node(6000, 10000, 4, &[]), &p), 45);
    }

    #[test]
    fn requested_to_capacity_ratio_test_go() {
        // TestRequestedToCapacityRatioScoringStrategy: shape {0: 10, 100: 0}.
        let rtcr = Strategy::RequestedToCapacityRatio(super::super::helper::scale_shape(&[(0, 10), (100, 0)]));
        let s = |info: &NodeInfo, p: &[C]| fit_score(&rtcr, CPU_MEM, info, p);
        // "nothing scheduled, nothing requested (default - least requested nodes have priority)"
        assert_eq!(s(&node(4000, 10000, 0, &[&[], &[]]), &[]), 100);
        assert_eq!(s(&node(4000, 10000, 0, &[]), &[]), 100);
        // "nothing scheduled, resources requested, differently sized nodes (...)"
        assert_eq!(s(&node(4000, 10000, 0, &[&[], &[]]), TWO_CONTAINERS), 38);
        assert_eq!(s(&node(6000, 10000, 0, &[]), TWO_CONTAINERS), 50);
        // "no resources requested, pods scheduled with resources (...)"
        let c35 = (Some(3000), Some(5000), 0);
        assert_eq!(s(&node(4000, 10000, 0, &[&[c35]]), &[]), 38);
        assert_eq!(s(&node(6000, 10000, 0, &[&[c35]]), &[]), 50);

        // TestResourceBinPackingSingleExtended: intel.com/foo weight 1, shape {0: 0, 100: 1}.
        let rtcr = Strategy::RequestedToCapacityRatio(super::super::helper::scale_shape(&[(0, 0), (100, 1)]));
        let foo = [ResourceSpec { res: Res::Ext(0), weight: 1 }];
        let gi10 = 10000 * MI;
        let s = |info: &NodeInfo, p: &[C]| fit_score(&rtcr, &foo, info, p);
        // "nothing scheduled, nothing requested"
        assert_eq!(s(&node(4000, gi10, 8, &[]), &[]), 0);
        assert_eq!(s(&node(4000, gi10, 4, &[]), &[]), 0);
        // "resources requested, pods scheduled with less resources"
        let req2 = [(None, None, 2)];
        assert_eq!(s(&node(4000, gi10, 8, &[&[]]), &req2), 2);
        assert_eq!(s(&node(4000, gi10, 4, &[]), &req2), 5);
        // "resources requested, pods scheduled with resources, on node with existing pod running"
        assert_eq!(s(&node(4000, gi10, 8, &[]), &req2), 2);
        assert_eq!(s(&node(4000, gi10, 4, &[&[(None, None, 2)]]), &req2), 10);
        // "resources requested, pods scheduled with more resources"
        let req4 = [(None, None, 4)];
        assert_eq!(s(&node(4000, gi10, 8, &[]), &req4), 5);
        assert_eq!(s(&node(4000, gi10, 4, &[]), &req4), 10);
    }

    #[test]
    fn the_default_profile_fast_path_is_the_two_plugins_summed() {
        for (cpu, mem, pods) in [(4, 10000, 0), (10, 20000, 2), (6, 9000, 1), (1, 1, 3)] {
            let existing: Vec<&[C]> = (0..pods).map(|_| TWO_CONTAINERS).collect();
            let info = node(cpu * 1000, mem, 0, &existing);
            for p in [TWO_CONTAINERS, &[(None, None, 0)][..], &[(Some(1), Some(0), 0)][..]] {
                let (actual, nonzero) = pod(p);
                let want =
                    fit_score(&Strategy::LeastAllocated, CPU_MEM, &info, p) + balanced(CPU_MEM, &info, p).unwrap_or(0);
                let got = default_profile_score(&info, &nonzero, &actual, !is_best_effort(CPU_MEM, &actual));
                assert_eq!(got, want, "node {cpu}/{mem}/{pods}, pod {p:?}");
            }
        }
    }

    #[test]
    fn balanced_allocation_test_go() {
        let cpu_and_memory: &[C] = TWO_CONTAINERS;
        let cpu_only: &[C] = &[(Some(1), Some(0), 0), (Some(2), Some(0), 0)];
        let cm: &[C] = &[(Some(1), Some(2000), 0), (Some(2), Some(3000), 0)];
        // "nothing scheduled, nothing requested, skip in PreScore"
        assert_eq!(balanced(CPU_MEM, &node(4, 10000, 0, &[]), &[]), None);
        // "nothing scheduled, resources requested, differently sized nodes" (1000m + 2000m)
        assert_eq!(balanced(CPU_MEM, &node(4, 10000, 0, &[]), cm), Some(87));
        assert_eq!(balanced(CPU_MEM, &node(6, 10000, 0, &[]), cm), Some(100));
        // "resources requested, pods scheduled with resources": cpuOnly on node1, cpuAndMemory on node2
        assert_eq!(balanced(CPU_MEM, &node(10, 20000, 0, &[cpu_only]), cm), Some(82));
        assert_eq!(balanced(CPU_MEM, &node(10, 20000, 0, &[cm]), cm), Some(95));
        // "... differently sized nodes"
        assert_eq!(balanced(CPU_MEM, &node(10, 50000, 0, &[cm]), cm), Some(80));
        // "requested resources at node capacity"
        assert_eq!(balanced(CPU_MEM, &node(6, 10000, 0, &[cpu_only]), cpu_only), Some(50));
        assert_eq!(balanced(CPU_MEM, &node(6, 10000, 0, &[cm]), cpu_only), Some(75));
        // "include scalar resource on a node for balanced resource allocation": gpu 8 per node,
        // cpuAndMemory on node1... as upstream's snapshot puts them (pods carry NodeName)
        let cmg: &[C] = &[(Some(1), Some(2000), 0), (Some(2), Some(3000), 3)];
        let gpu1: &[C] = &[(None, Some(0), 1)];
        let mut n1 = node(0, 40000, 8, &[cmg]);
        n1.allocatable.cpu_milli = 3500;
        let mut n2 = node(0, 40000, 8, &[cm]);
        n2.allocatable.cpu_milli = 3500;
        assert_eq!(balanced(EXT_SET, &n1, gpu1), Some(70));
        assert_eq!(balanced(EXT_SET, &n2, gpu1), Some(65));
        // "node without the scalar resource should skip the scalar resource"
        let mut n1 = node(0, 40000, 8, &[]);
        n1.allocatable.cpu_milli = 3500;
        let mut n2 = node(0, 40000, 0, &[]);
        n2.allocatable.cpu_milli = 3500;
        assert_eq!(balanced(EXT_SET, &n1, cm), Some(63));
        assert_eq!(balanced(EXT_SET, &n2, cm), Some(63));
        let _ = cpu_and_memory;
    }
}
