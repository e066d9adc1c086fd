//! Spatial index for neighbour statistics: k nearest neighbours and radius
//! queries in 2D or 3D, open or periodic (minimum image in an orthogonal
//! box), over kiddo's `ImmutableKdTree` with rayon-parallel queries; and a
//! cell list for fixed-radius pair searches in 2D, which is faster there
//! (10⁶ points at density 1, r = 0.5 on 2 cores: 0.14 s against 0.21 s for
//! the tree including its build).
//!
//! Every result is in a fixed order (by point index, then by distance and
//! index), so the output does not depend on the thread count.

mod grid;
mod kdtree;

pub use grid::{Grid2, pairs_within_cells};
pub use kdtree::NeighborIndex;

use rayon::prelude::*;

/// Pairs (i, j, distance) with i < j.
pub type Pairs = Vec<(usize, usize, f64)>;

/// A neighbour: index and distance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// Index of the neighbouring point.
    pub index: usize,
    /// Distance (same units as the points).
    pub distance: f64,
}

/// Points wrapped into the periodic box [origin, origin + size) (the one
/// ghost-free form both indexes store).
pub(crate) fn wrap_into_box<const K: usize>(
    points: &[[f64; K]],
    origin: [f64; K],
    size: [f64; K],
) -> Vec<[f64; K]> {
    points
        .par_iter()
        .map(|q| std::array::from_fn(|k| origin[k] + (q[k] - origin[k]).rem_euclid(size[k])))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(n: usize, l: f64, seed: u64) -> Vec<[f64; 2]> {
        let mut x = seed;
        let mut rnd = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        (0..n).map(|_| [rnd() * l, rnd() * l]).collect()
    }

    fn brute(p: &[[f64; 2]], r: f64, period: Option<f64>) -> Vec<(usize, usize)> {
        let mut v = Vec::new();
        for i in 0..p.len() {
            for j in i + 1..p.len() {
                let mut d = [p[j][0] - p[i][0], p[j][1] - p[i][1]];
                if let Some(l) = period {
                    d = d.map(|x| x - l * (x / l).round());
                }
                if d[0] * d[0] + d[1] * d[1] <= r * r {
                    v.push((i, j));
                }
            }
        }
        v
    }

    #[test]
    fn tree_and_cells_match_brute_force_open_and_periodic() {
        let (l, r) = (30.0, 2.5);
        let p = points(700, l, 7);
        for period in [None, Some(l)] {
            let want = brute(&p, r, period);
            let idx = NeighborIndex::new(&p, period.map(|l| [l, l]));
            let tree: Vec<(usize, usize)> =
                idx.pairs_within(r).iter().map(|x| (x.0, x.1)).collect();
            let cells: Vec<(usize, usize)> =
                pairs_within_cells(&p, r, ([0.0, 0.0], [l, l]), period.is_some())
                    .iter()
                    .map(|x| (x.0, x.1))
                    .collect();
            let extra: Vec<_> = tree.iter().filter(|x| !want.contains(x)).take(5).collect();
            let missing: Vec<_> = want.iter().filter(|x| !tree.contains(x)).take(5).collect();
            assert!(
                extra.is_empty() && missing.is_empty(),
                "tree {period:?}: extra {extra:?} missing {missing:?} ({} vs {})",
                tree.len(),
                want.len()
            );
            assert_eq!(cells, want, "cells {period:?}");
            let grid: Vec<(usize, usize)> =
                Grid2::new(&p, ([0.0, 0.0], [l, l]), period.is_some(), 2.0, 0.0)
                    .pairs_within(r)
                    .iter()
                    .map(|x| (x.0, x.1))
                    .collect();
            assert_eq!(grid, want, "grid {period:?}");
            // Cells exactly r wide: the half-stencil path.
            let half: Vec<(usize, usize)> =
                Grid2::with_cell(&p, ([0.0, 0.0], [l, l]), period.is_some(), r)
                    .pairs_within(r)
                    .iter()
                    .map(|x| (x.0, x.1))
                    .collect();
            assert_eq!(half, want, "half stencil {period:?}");
            // Nearest neighbours: the closest of all others (tree and grid).
            let nn = idx.nearest();
            let grid = Grid2::new(&p, ([0.0, 0.0], [l, l]), period.is_some(), 2.0, 0.0).nearest();
            assert_eq!(
                grid.iter().map(|h| h.map(|h| h.index)).collect::<Vec<_>>(),
                nn.iter().map(|h| h.map(|h| h.index)).collect::<Vec<_>>()
            );
            for i in (0..p.len()).step_by(37) {
                let mut best = (f64::MAX, 0);
                for j in 0..p.len() {
                    if j != i {
                        let mut d = [p[j][0] - p[i][0], p[j][1] - p[i][1]];
                        if let Some(l) = period {
                            d = d.map(|x| x - l * (x / l).round());
                        }
                        let dist = (d[0] * d[0] + d[1] * d[1]).sqrt();
                        if dist < best.0 {
                            best = (dist, j);
                        }
                    }
                }
                let hit = nn[i].unwrap();
                assert!((hit.distance - best.0).abs() < 1e-12 && hit.index == best.1);
            }
        }
    }
}
