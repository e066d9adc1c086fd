//! The k-d tree index (kiddo `ImmutableKdTree`): k nearest neighbours and
//! radius queries in K dimensions, open or periodic with ghost copies.

use std::num::NonZero;

use kiddo::{ImmutableKdTree, SquaredEuclidean};
use rayon::prelude::*;

use super::{Hit, wrap_into_box};

/// A k-d tree over points in K dimensions, open or periodic.
///
/// Points are stored in spatial (grid-cell) order, so the tree is built
/// and queried with good cache locality: on 10⁷ points this is several
/// times faster than querying in input order. Periodic boxes get ghost
/// copies of the points within a margin of the faces and are queried as
/// open space; a query whose answer lies beyond the margin falls back to
/// kiddo's periodic search, so results are always exact.
pub struct NeighborIndex<const K: usize> {
    tree: ImmutableKdTree<f64, K>,
    /// Points in spatial order, then ghosts.
    points: Vec<[f64; K]>,
    /// Original index of each stored point (ghosts: of their source).
    original: Vec<u32>,
    /// Real (non-ghost) points.
    n: usize,
    period: Option<[f64; K]>,
    /// Ghost margin (periodic only).
    margin: f64,
    /// A periodic tree over the real points for the rare fallback.
    periodic_tree: Option<ImmutableKdTree<f64, K>>,
}

/// Grid-cell order of points: cells of about 8 points, row-major.
fn spatial_order<const K: usize>(points: &[[f64; K]]) -> Vec<u32> {
    if points.is_empty() {
        return Vec::new();
    }
    let mut lo = [f64::MAX; K];
    let mut hi = [f64::MIN; K];
    for p in points {
        for k in 0..K {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
    let per_axis = ((points.len() as f64 / 8.0).powf(1.0 / K as f64).ceil() as u64).max(1);
    let key = |p: &[f64; K]| -> u64 {
        let mut key = 0u64;
        for k in (0..K).rev() {
            let span = (hi[k] - lo[k]).max(1e-12);
            let c = (((p[k] - lo[k]) / span) * per_axis as f64)
                .floor()
                .clamp(0.0, (per_axis - 1) as f64) as u64;
            // Serpentine rows keep consecutive cells adjacent.
            key = key * per_axis + c;
        }
        key
    };
    let mut order: Vec<(u64, u32)> = points
        .par_iter()
        .enumerate()
        .map(|(i, p)| (key(p), i as u32))
        .collect();
    order.par_sort_unstable();
    order.into_iter().map(|(_, i)| i).collect()
}

impl<const K: usize> NeighborIndex<K> {
    /// Index `points`; with `period`, coordinates are wrapped into
    /// [0, period) and distances use the minimum image.
    pub fn new(points: &[[f64; K]], period: Option<[f64; K]>) -> Self {
        let wrapped: Vec<[f64; K]> = match period {
            Some(p) => wrap_into_box(points, [0.0; K], p),
            None => points.to_vec(),
        };
        let order = spatial_order(&wrapped);
        let mut stored: Vec<[f64; K]> = order.iter().map(|&i| wrapped[i as usize]).collect();
        let mut original = order.clone();
        let n = stored.len();
        let mut margin = 0.0;
        let mut periodic_tree = None;
        if let Some(p) = period
            && n > 0
        {
            // Margin: four mean spacings, at most half the box.
            let volume: f64 = p.iter().product();
            let spacing = (volume / n as f64).powf(1.0 / K as f64);
            margin = (4.0 * spacing).min(p.iter().fold(f64::MAX, |m, &x| m.min(x)) / 2.0);
            let shifts: Vec<[i32; K]> = (0..3usize.pow(K as u32))
                .map(|mut c| {
                    std::array::from_fn(|_| {
                        let s = (c % 3) as i32 - 1;
                        c /= 3;
                        s
                    })
                })
                .filter(|s: &[i32; K]| s.iter().any(|&x| x != 0))
                .collect();
            for idx in 0..n {
                let q = stored[idx];
                for sh in &shifts {
                    let ok = (0..K).all(|k| match sh[k] {
                        -1 => q[k] > p[k] - margin,
                        1 => q[k] < margin,
                        _ => true,
                    });
                    if ok {
                        stored.push(std::array::from_fn(|k| q[k] + sh[k] as f64 * p[k]));
                        original.push(original[idx]);
                    }
                }
            }
            periodic_tree = Some(ImmutableKdTree::new_from_slice(&wrapped).expect("finite points"));
        }
        let tree = if stored.is_empty() {
            ImmutableKdTree::new_from_slice(&[[0.0; K]]).expect("one point")
        } else {
            ImmutableKdTree::new_from_slice(&stored).expect("finite points")
        };
        NeighborIndex {
            tree,
            points: stored,
            original,
            n,
            period,
            margin,
            periodic_tree,
        }
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.n
    }

    /// True without points.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// k nearest others of stored point `s`, as original indices.
    fn knn_of(&self, s: usize, k: usize) -> Vec<Hit> {
        let q = &self.points[s];
        let me = self.original[s] as usize;
        let want = (k + 1).min(self.n);
        let collect = |hits: Vec<(f64, usize)>| -> Vec<Hit> {
            let mut out: Vec<Hit> = hits
                .into_iter()
                .filter(|h| h.1 != me)
                .map(|h| Hit {
                    index: h.1,
                    distance: h.0.sqrt(),
                })
                .collect();
            out.sort_by(|a, b| {
                a.distance
                    .total_cmp(&b.distance)
                    .then(a.index.cmp(&b.index))
            });
            out.dedup_by_key(|h| h.index);
            out.truncate(k);
            out
        };
        let n = NonZero::new(want).expect("> 0");
        let hits = self
            .tree
            .query(q)
            .nearest_n::<SquaredEuclidean<f64>>(n)
            .execute();
        let out = collect(
            hits.into_iter()
                .map(|h| (h.distance, self.original[h.item as usize] as usize))
                .collect(),
        );
        match (&self.period, &self.periodic_tree) {
            // Beyond the ghost margin (or too few distinct points): ask the
            // periodic tree, which indexes real points by original index.
            (Some(p), Some(pt))
                if out.len() < k.min(self.n - 1)
                    || out.last().is_some_and(|h| h.distance > self.margin) =>
            {
                let hits = pt
                    .query(q)
                    .periodic_boundary_condition(p)
                    .nearest_n::<SquaredEuclidean<f64>>(NonZero::new(want).expect("> 0"))
                    .execute();
                collect(
                    hits.into_iter()
                        .map(|h| (h.distance, h.item as usize))
                        .collect(),
                )
            }
            _ => out,
        }
    }

    /// The k nearest other points of every point (by original index),
    /// nearest first.
    pub fn k_nearest(&self, k: usize) -> Vec<Vec<Hit>> {
        let mut out = vec![Vec::new(); self.n];
        let results: Vec<(usize, Vec<Hit>)> = (0..self.n)
            .into_par_iter()
            .map(|s| (self.original[s] as usize, self.knn_of(s, k)))
            .collect();
        for (i, v) in results {
            out[i] = v;
        }
        out
    }

    /// The nearest other point of every point (None for a lone point).
    pub fn nearest(&self) -> Vec<Option<Hit>> {
        let mut out = vec![None; self.n];
        let results: Vec<(usize, Option<Hit>)> = (0..self.n)
            .into_par_iter()
            .map(|s| {
                (
                    self.original[s] as usize,
                    self.knn_of(s, 1).first().copied(),
                )
            })
            .collect();
        for (i, v) in results {
            out[i] = v;
        }
        out
    }

    /// All pairs (i < j, original indices) closer than or at `r`, sorted.
    pub fn pairs_within(&self, r: f64) -> Vec<(usize, usize, f64)> {
        let r2 = r * r;
        let mut pairs: Vec<(usize, usize, f64)> = (0..self.n)
            .into_par_iter()
            .flat_map_iter(|s| {
                let q = &self.points[s];
                let me = self.original[s] as usize;
                let hits: Vec<(usize, f64)> = match (&self.period, &self.periodic_tree) {
                    (Some(p), Some(pt)) if r > self.margin => pt
                        .query(q)
                        .periodic_boundary_condition(p)
                        .within::<SquaredEuclidean<f64>>(r2)
                        .execute()
                        .into_iter()
                        .map(|h| (h.item as usize, h.distance))
                        .collect(),
                    _ => self
                        .tree
                        .query(q)
                        .within::<SquaredEuclidean<f64>>(r2)
                        .execute()
                        .into_iter()
                        .map(|h| (self.original[h.item as usize] as usize, h.distance))
                        .collect(),
                };
                let mut v: Vec<(usize, usize, f64)> = hits
                    .into_iter()
                    .filter(|h| h.0 > me)
                    .map(|h| (me, h.0, h.1.sqrt()))
                    .collect();
                v.sort_by(|a, b| a.1.cmp(&b.1).then(a.2.total_cmp(&b.2)));
                // A tiny box can show one partner through two images: keep the nearest.
                v.dedup_by_key(|p| p.1);
                v.into_iter()
            })
            .collect();
        pairs.par_sort_by_key(|p| (p.0, p.1));
        pairs
    }
}
