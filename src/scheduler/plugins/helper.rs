//! `pkg/scheduler/framework/plugins/helper`: score normalisation and the broken-linear shape.

use super::MAX_NODE_SCORE;

/// `DefaultNormalizeScore`: scale to [0, max] by the largest score (integer division); with
/// `reverse`, max minus that. All zero: all zero, or all max when reversed.
pub fn default_normalize_score(max_priority: i64, reverse: bool, scores: &mut [i64]) {
    let max_count = scores.iter().copied().max().unwrap_or(0).max(0);
    if max_count == 0 {
        if reverse {
            scores.iter_mut().for_each(|s| *s = max_priority);
        }
        return;
    }
    for s in scores.iter_mut() {
        let mut v = max_priority * *s / max_count;
        if reverse {
            v = max_priority - v;
        }
        *s = v;
    }
}

/// `BuildBrokenLinearFunction`: the score at `p` on a piecewise-linear shape of
/// (utilization, score) points, flat before the first point and after the last.
pub fn broken_linear(shape: &[(i64, i64)], p: i64) -> i64 {
    for i in 0..shape.len() {
        if p <= shape[i].0 {
            if i == 0 {
                return shape[0].1;
            }
            let (u0, s0) = shape[i - 1];
            let (u1, s1) = shape[i];
            return s0 + (s1 - s0) * (p - u0) / (u1 - u0);
        }
    }
    shape.last().map_or(0, |s| s.1)
}

/// `MaxCustomPriorityScore`: RequestedToCapacityRatio shapes score 0..10, scaled to 0..100.
pub const MAX_CUSTOM_PRIORITY_SCORE: i64 = 10;

/// A shape as written (scores 0..10) scaled to node scores.
pub fn scale_shape(shape: &[(i64, i64)]) -> Vec<(i64, i64)> {
    shape.iter().map(|&(u, s)| (u, s * (MAX_NODE_SCORE / MAX_CUSTOM_PRIORITY_SCORE))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_linear_function() {
        // requested_to_capacity_ratio_test.go: TestBrokenLinearFunction, its three shapes.
        let s = [(10, 1), (90, 9)];
        for (p, want) in [
            (-10, 1),
            (0, 1),
            (9, 1),
            (10, 1),
            (15, 1),
            (19, 1),
            (20, 2),
            (89, 8),
            (90, 9),
            (99, 9),
            (100, 9),
            (110, 9),
        ] {
            assert_eq!(broken_linear(&s, p), want, "case_0 p={p}");
        }
        let s = [(0, 2), (40, 10), (100, 0)];
        for (p, want) in [(-10, 2), (0, 2), (20, 6), (30, 8), (40, 10), (70, 5), (100, 0), (110, 0)] {
            assert_eq!(broken_linear(&s, p), want, "case_1 p={p}");
        }
        let s = [(0, 2), (40, 2), (100, 2)];
        for (p, want) in [(-10, 2), (0, 2), (20, 2), (30, 2), (40, 2), (70, 2), (100, 2), (110, 2)] {
            assert_eq!(broken_linear(&s, p), want, "case_2 p={p}");
        }
    }

    #[test]
    fn default_normalize() {
        let mut v = [0, 2, 4];
        default_normalize_score(100, false, &mut v);
        assert_eq!(v, [0, 50, 100]);
        let mut v = [0, 1, 3];
        default_normalize_score(100, true, &mut v);
        assert_eq!(v, [100, 67, 0]);
        let mut v = [0, 0];
        default_normalize_score(100, true, &mut v);
        assert_eq!(v, [100, 100]);
    }
}
