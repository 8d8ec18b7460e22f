//! `imagelocality`: favour nodes that already have the pod's images (of its init and app
//! containers, as today's plugin counts them), each image's size scaled by the share of nodes
//! that have it (so one hot node is not preferred forever), between 23 MiB and 1000 MiB per
//! container.

use super::MAX_NODE_SCORE;

const MB: i64 = 1024 * 1024;
/// `minThreshold`.
pub const MIN_THRESHOLD: i64 = 23 * MB;
/// `maxContainerThreshold`: the top of the range is this times the number of containers.
pub const MAX_CONTAINER_THRESHOLD: i64 = 1000 * MB;

/// `scaledImageScore`: size times the fraction of nodes with the image (float, truncated).
pub fn scaled_image_score(size: i64, num_nodes: u32, total_nodes: usize) -> i64 {
    if total_nodes == 0 {
        return 0;
    }
    let spread = num_nodes as f64 / total_nodes as f64;
    (size as f64 * spread) as i64
}

/// `calculatePriority`: the sum clamped to [min, max * containers], scaled to 0..100.
pub fn calculate_priority(sum: i64, num_containers: usize) -> i64 {
    let max = MAX_CONTAINER_THRESHOLD * num_containers.max(1) as i64;
    let s = sum.clamp(MIN_THRESHOLD, max);
    MAX_NODE_SCORE * (s - MIN_THRESHOLD) / (max - MIN_THRESHOLD)
}

#[cfg(test)]
mod tests {
    //! The cases of upstream's image_locality_test.go (TestImageLocalityPriority), with the
    //! per-container maximum (1000 MiB x containers) of today's plugin.
    use super::*;

    /// A node's score for a pod: (size MiB, nodes with the image) of each container's image the
    /// node has.
    fn score(present: &[(i64, u32)], containers: usize, total: usize) -> i64 {
        let sum = present.iter().map(|&(mib, n)| scaled_image_score(mib * MB, n, total)).sum();
        calculate_priority(sum, containers)
    }

    #[test]
    fn image_locality_priority() {
        // Node1 has gcr.io/40 (40 MiB), gcr.io/300, gcr.io/2000; node2 has gcr.io/250 and gcr.io/10.
        // "two images spread on two nodes, prefer the larger image one": pod 40 + 250
        assert_eq!(score(&[(40, 1)], 2, 2), 0); // 20 MiB < 23 MiB
        assert_eq!(score(&[(250, 1)], 2, 2), 5); // 100 * (125 - 23) / (2000 - 23)
        // "two images on one node, prefer this node": pod 40 + 300
        assert_eq!(score(&[(40, 1), (300, 1)], 2, 2), 7); // 100 * (170 - 23) / 1977
        assert_eq!(score(&[], 2, 2), 0);
        // "if exceed limit, use limit": pod 10 + 2000
        assert_eq!(score(&[(2000, 1)], 2, 2), 49); // 100 * (1000 - 23) / 1977
        assert_eq!(score(&[(10, 1)], 2, 2), 0);
        // "if exceed limit, use limit (with node which has no images present)": three nodes
        assert_eq!(score(&[(2000, 1)], 2, 3), 32); // 100 * (666.7 - 23) / 1977
        assert_eq!(score(&[(10, 1)], 2, 3), 0);
        assert_eq!(score(&[], 2, 3), 0);
        // One container, the image on every node: the whole size counts.
        assert_eq!(score(&[(1000, 3)], 1, 3), 100);
    }
}
