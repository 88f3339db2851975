//! Combining the BM25 and dense ranked lists. Both methods are here because which one wins depends on the
//! corpus; `evals/` records the measurements behind the default.

use std::collections::HashMap;

use cited_core::FusionMethod;

/// Fuses two ranked lists of `(chunk_id, score)`, best first, into one list of at most `limit`.
pub fn fuse(
    method: FusionMethod,
    bm25: &[(u64, f32)],
    dense: &[(u64, f32)],
    limit: usize,
) -> Vec<(u64, f32)> {
    let mut scores: HashMap<u64, f32> = HashMap::new();
    match method {
        FusionMethod::Rrf { k, dense_weight } => {
            let lists = [
                (bm25, 2.0 * (1.0 - dense_weight)),
                (dense, 2.0 * dense_weight),
            ];
            for (list, weight) in lists {
                for (rank, (id, _)) in list.iter().enumerate() {
                    *scores.entry(*id).or_default() += weight / (k + rank as f32 + 1.0);
                }
            }
        }
        FusionMethod::Convex { dense_weight } => {
            let lists = [(bm25, 1.0 - dense_weight), (dense, dense_weight)];
            for (list, weight) in lists {
                let (min, max) = list
                    .iter()
                    .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), (_, s)| {
                        (lo.min(*s), hi.max(*s))
                    });
                let span = max - min;
                for (id, s) in list {
                    let norm = if span > f32::EPSILON {
                        (s - min) / span
                    } else {
                        1.0
                    };
                    *scores.entry(*id).or_default() += weight * norm;
                }
            }
        }
    }
    let mut fused: Vec<(u64, f32)> = scores.into_iter().collect();
    // Ties break on chunk id so results are reproducible.
    fused.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    fused.truncate(limit);
    fused
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rrf_rewards_agreement() {
        let bm25 = [(1, 9.0), (2, 5.0), (3, 1.0)];
        let dense = [(4, 0.9), (2, 0.8), (5, 0.1)];
        let fused = fuse(
            FusionMethod::Rrf {
                k: 60.0,
                dense_weight: 0.5,
            },
            &bm25,
            &dense,
            10,
        );
        assert_eq!(fused[0].0, 2, "second in both lists beats first in one");
        assert_eq!(fused.len(), 5);
    }

    #[test]
    fn convex_weight_extremes_reproduce_single_lists() {
        let bm25 = [(1, 9.0), (2, 5.0)];
        let dense = [(2, 0.9), (1, 0.1)];
        let only_dense = fuse(FusionMethod::Convex { dense_weight: 1.0 }, &bm25, &dense, 2);
        assert_eq!(only_dense[0].0, 2);
        let only_bm25 = fuse(FusionMethod::Convex { dense_weight: 0.0 }, &bm25, &dense, 2);
        assert_eq!(only_bm25[0].0, 1);
    }
}
