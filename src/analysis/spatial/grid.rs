//! The 2D cell grid: fixed-radius pairs (half stencil), pair-distance
//! histograms and nearest neighbours by rings of cells, open or periodic.

use rayon::prelude::*;

use super::{Hit, Pairs, wrap_into_box};

/// All pairs (i < j) of 2D points closer than or at `r`, by a cell list
/// (cells of side >= r and >= 1.4 mean spacings, points sorted by cell,
/// half stencil), open or periodic; sorted by (i, j). `bounds` = (min
/// corner, size) of the region the points lie in.
pub fn pairs_within_cells(
    points: &[[f64; 2]],
    r: f64,
    bounds: ([f64; 2], [f64; 2]),
    periodic: bool,
) -> Vec<(usize, usize, f64)> {
    let side = r.max((bounds.1[0] * bounds.1[1] / points.len().max(1) as f64 * 2.0).sqrt());
    let grid = Grid2::with_cell(points, bounds, periodic, side);
    grid.pairs_within(r)
}

/// A uniform grid over 2D points (counting-sorted by cell) for nearest
/// neighbours, pair searches and pair-distance histograms at roughly
/// uniform density. Every cell is at least as wide as the search radius
/// it serves, or the stencil grows to cover it.
pub struct Grid2 {
    size: [f64; 2],
    dims: [usize; 2],
    cell: [f64; 2],
    periodic: bool,
    start: Vec<usize>,
    sorted: Vec<[f64; 2]>,
    index: Vec<u32>,
    /// Sorted position of each original point (inverse of `index`).
    position: Vec<u32>,
}

impl Grid2 {
    /// Bin points into cells of about `per_cell` points each (at least
    /// `min_cell` wide).
    pub fn new(
        points: &[[f64; 2]],
        bounds: ([f64; 2], [f64; 2]),
        periodic: bool,
        per_cell: f64,
        min_cell: f64,
    ) -> Grid2 {
        let area = bounds.1[0] * bounds.1[1];
        let side = ((area / points.len().max(1) as f64 * per_cell).sqrt()).max(min_cell);
        Grid2::with_cell(points, bounds, periodic, side)
    }

    /// Bin points into square-ish cells of about `side`.
    pub fn with_cell(
        points: &[[f64; 2]],
        bounds: ([f64; 2], [f64; 2]),
        periodic: bool,
        side: f64,
    ) -> Grid2 {
        let (lo, size) = bounds;
        let dims = [
            ((size[0] / side).floor() as usize).clamp(1, 1 << 15),
            ((size[1] / side).floor() as usize).clamp(1, 1 << 15),
        ];
        let cell = [size[0] / dims[0] as f64, size[1] / dims[1] as f64];
        let key = |p: &[f64; 2]| -> usize {
            let c: [usize; 2] = std::array::from_fn(|k| {
                let u = ((p[k] - lo[k]) / cell[k]).floor() as i64;
                if periodic {
                    u.rem_euclid(dims[k] as i64) as usize
                } else {
                    u.clamp(0, dims[k] as i64 - 1) as usize
                }
            });
            c[1] * dims[0] + c[0]
        };
        let ncell = dims[0] * dims[1];
        // Periodic points are stored wrapped into the box.
        let wrapped: Vec<[f64; 2]> = if periodic {
            wrap_into_box(points, lo, size)
        } else {
            points.to_vec()
        };
        let keys: Vec<u32> = wrapped.par_iter().map(|p| key(p) as u32).collect();
        let mut start = vec![0usize; ncell + 1];
        for &k in &keys {
            start[k as usize + 1] += 1;
        }
        for c in 0..ncell {
            start[c + 1] += start[c];
        }
        let mut fill = start.clone();
        let mut sorted = vec![[0.0f64; 2]; points.len()];
        let mut index = vec![0u32; points.len()];
        let mut position = vec![0u32; points.len()];
        for (i, &k) in keys.iter().enumerate() {
            let slot = &mut fill[k as usize];
            sorted[*slot] = wrapped[i];
            index[*slot] = i as u32;
            position[i] = *slot as u32;
            *slot += 1;
        }
        Grid2 {
            size,
            dims,
            cell,
            periodic,
            start,
            sorted,
            index,
            position,
        }
    }

    /// The most points in one cell.
    pub fn max_occupancy(&self) -> usize {
        self.start
            .windows(2)
            .map(|w| w[1] - w[0])
            .max()
            .unwrap_or(0)
    }

    /// The cells within `reach` of cell (cx, cy), each with the image
    /// offset (Å) of its periodic copy (open grids: in-range cells only).
    /// Periodic stencils wider than the grid list each cell image once.
    fn stencil(&self, cx: i64, cy: i64, reach: [i64; 2], out: &mut Vec<(usize, f64, f64)>) {
        out.clear();
        let (dxn, dyn_) = (self.dims[0] as i64, self.dims[1] as i64);
        // Open grids: only the cells that exist (a degenerate strip of
        // points must not walk a huge empty square).
        let (ys, xs) = if self.periodic {
            (cy - reach[1]..=cy + reach[1], cx - reach[0]..=cx + reach[0])
        } else {
            (
                (cy - reach[1]).max(0)..=(cy + reach[1]).min(dyn_ - 1),
                (cx - reach[0]).max(0)..=(cx + reach[0]).min(dxn - 1),
            )
        };
        for ny in ys {
            for nx in xs.clone() {
                out.push(self.cell_at(nx, ny));
            }
        }
    }

    /// Cell (nx, ny), wrapped into the grid when periodic, with the offset
    /// (Å) of its periodic copy. Open grids: (nx, ny) must exist.
    fn cell_at(&self, nx: i64, ny: i64) -> (usize, f64, f64) {
        let (dxn, dyn_) = (self.dims[0] as i64, self.dims[1] as i64);
        let (mut wx, mut wy, mut ox, mut oy) = (nx, ny, 0.0, 0.0);
        if self.periodic {
            let (kx, ky) = (wx.div_euclid(dxn), wy.div_euclid(dyn_));
            wx -= kx * dxn;
            wy -= ky * dyn_;
            ox = kx as f64 * self.size[0];
            oy = ky as f64 * self.size[1];
        }
        (wy as usize * self.dims[0] + wx as usize, ox, oy)
    }

    /// The cells on the square ring at Chebyshev distance `ring` >= 1 from
    /// cell `c` (open grids: those that exist), O(ring) of them.
    fn ring(&self, c: [i64; 2], ring: i64, out: &mut Vec<(usize, f64, f64)>) {
        out.clear();
        let (dxn, dyn_) = (self.dims[0] as i64, self.dims[1] as i64);
        let inside =
            |x: i64, y: i64| self.periodic || (0..dxn).contains(&x) && (0..dyn_).contains(&y);
        let (y0, y1) = if self.periodic {
            (-ring, ring)
        } else {
            ((-ring).max(-c[1]), ring.min(dyn_ - 1 - c[1]))
        };
        for dy in y0..=y1 {
            if dy.abs() == ring {
                let (x0, x1) = if self.periodic {
                    (-ring, ring)
                } else {
                    ((-ring).max(-c[0]), ring.min(dxn - 1 - c[0]))
                };
                for dx in x0..=x1 {
                    out.push(self.cell_at(c[0] + dx, c[1] + dy));
                }
            } else {
                for dx in [-ring, ring] {
                    if inside(c[0] + dx, c[1] + dy) {
                        out.push(self.cell_at(c[0] + dx, c[1] + dy));
                    }
                }
            }
        }
    }

    /// Call `f(i, j, d)` (original indices, i < j) for every pair closer
    /// than or at `r` whose lower-index point lies in cell rows `rows`;
    /// the nearest periodic image only (`r` at most half the box).
    fn for_pairs_in_rows(
        &self,
        rows: std::ops::Range<usize>,
        r: f64,
        mut f: impl FnMut(usize, usize, f64),
    ) {
        let reach = [
            (r / self.cell[0]).ceil() as i64,
            (r / self.cell[1]).ceil() as i64,
        ];
        // One-cell reach on a grid of at least 3 x 3 cells: a half stencil
        // (later points of the own cell, four forward neighbours) visits
        // each pair once without index comparisons.
        if reach == [1, 1] && self.dims[0] >= 3 && self.dims[1] >= 3 {
            let r2 = r * r;
            let mut stencil = Vec::with_capacity(9);
            for cy in rows {
                for cx in 0..self.dims[0] {
                    let cid = cy * self.dims[0] + cx;
                    if self.start[cid] == self.start[cid + 1] {
                        continue;
                    }
                    // stencil() lists rows dy = -1, 0, 1, columns dx = -1, 0, 1:
                    // the forward half is entry 5 (dx = 1, dy = 0) and the dy = 1 row.
                    self.stencil(cx as i64, cy as i64, [1, 1], &mut stencil);
                    let forward: Vec<(usize, f64, f64)> = if self.periodic {
                        vec![stencil[5], stencil[6], stencil[7], stencil[8]]
                    } else {
                        // Open grids drop out-of-range cells; rebuild by offsets.
                        let mut v = Vec::with_capacity(4);
                        for (dx, dy) in [(1i64, 0i64), (-1, 1), (0, 1), (1, 1)] {
                            let (nx, ny) = (cx as i64 + dx, cy as i64 + dy);
                            if nx >= 0
                                && ny >= 0
                                && nx < self.dims[0] as i64
                                && ny < self.dims[1] as i64
                            {
                                v.push((ny as usize * self.dims[0] + nx as usize, 0.0, 0.0));
                            }
                        }
                        v
                    };
                    let own = self.start[cid]..self.start[cid + 1];
                    for a in own.clone() {
                        let p = self.sorted[a];
                        let ia = self.index[a] as usize;
                        let mut emit = |b: usize, px: f64, py: f64| {
                            let q = self.sorted[b];
                            let (dx, dy) = (q[0] - px, q[1] - py);
                            let d2 = dx * dx + dy * dy;
                            if d2 <= r2 {
                                let ib = self.index[b] as usize;
                                f(ia.min(ib), ia.max(ib), d2.sqrt());
                            }
                        };
                        for b in a + 1..own.end {
                            emit(b, p[0], p[1]);
                        }
                        for &(nid, ox, oy) in &forward {
                            for b in self.start[nid]..self.start[nid + 1] {
                                emit(b, p[0] - ox, p[1] - oy);
                            }
                        }
                    }
                }
            }
            return;
        }
        let r2 = r * r;
        let mut stencil = Vec::new();
        for cy in rows {
            for cx in 0..self.dims[0] {
                let cid = cy * self.dims[0] + cx;
                if self.start[cid] == self.start[cid + 1] {
                    continue;
                }
                self.stencil(cx as i64, cy as i64, reach, &mut stencil);
                for a in self.start[cid]..self.start[cid + 1] {
                    let p = self.sorted[a];
                    let ia = self.index[a];
                    for &(nid, ox, oy) in &stencil {
                        let (px, py) = (p[0] - ox, p[1] - oy);
                        for b in self.start[nid]..self.start[nid + 1] {
                            // Each unordered pair once: the lower original index visits.
                            if self.index[b] <= ia {
                                continue;
                            }
                            let q = self.sorted[b];
                            let (dx, dy) = (q[0] - px, q[1] - py);
                            let d2 = dx * dx + dy * dy;
                            if d2 <= r2 {
                                f(ia as usize, self.index[b] as usize, d2.sqrt());
                            }
                        }
                    }
                }
            }
        }
    }

    /// All pairs (i < j, original indices) within `r`, sorted by (i, j).
    /// `r` must not exceed half the periodic box.
    pub fn pairs_within(&self, r: f64) -> Vec<(usize, usize, f64)> {
        let mut pairs: Vec<(usize, usize, f64)> = (0..self.dims[1])
            .into_par_iter()
            .flat_map_iter(|row| {
                let mut v = Vec::new();
                self.for_pairs_in_rows(row..row + 1, r, |i, j, d| v.push((i, j, d)));
                v.into_iter()
            })
            .collect();
        pairs.par_sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)).then(a.2.total_cmp(&b.2)));
        // Tiny periodic boxes show a partner through several images.
        pairs.dedup_by_key(|p| (p.0, p.1));
        pairs
    }

    /// Histogram of pair distances in `nbins` bins of width r_max/nbins,
    /// each pair adding `weight(i, j, d)`, and, in the same pass, the pairs
    /// (i < j) within `keep` (<= r_max), sorted. Partial sums per cell row
    /// are added in row order: the same result on any thread count.
    pub fn pair_histogram(
        &self,
        r_max: f64,
        nbins: usize,
        keep: f64,
        weight: impl Fn(usize, usize, f64) -> f64 + Sync,
    ) -> (Vec<f64>, Pairs) {
        let dr = r_max / nbins as f64;
        let partial: Vec<(Vec<f64>, Pairs)> = (0..self.dims[1])
            .into_par_iter()
            .map(|row| {
                let mut h = vec![0.0; nbins];
                let mut kept = Vec::new();
                self.for_pairs_in_rows(row..row + 1, r_max.max(keep), |i, j, d| {
                    if d <= keep {
                        kept.push((i, j, d));
                    }
                    if d > 0.0 && d <= r_max {
                        h[((d / dr) as usize).min(nbins - 1)] += weight(i, j, d);
                    }
                });
                (h, kept)
            })
            .collect();
        let mut total = vec![0.0; nbins];
        let mut pairs = Vec::new();
        for (h, kept) in partial {
            for (t, v) in total.iter_mut().zip(h) {
                *t += v;
            }
            pairs.extend(kept);
        }
        pairs.par_sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)).then(a.2.total_cmp(&b.2)));
        pairs.dedup_by_key(|p| (p.0, p.1));
        (total, pairs)
    }

    /// Nearest other point of every point (original indices). Each cell
    /// first scans its 3 x 3 block; a point whose best lies beyond one cell
    /// width continues ring by ring. Exact.
    pub fn nearest(&self) -> Vec<Option<Hit>> {
        let n = self.sorted.len();
        let cell_min = self.cell[0].min(self.cell[1]);
        // Results in sorted order (cell rows are contiguous there), then a
        // parallel gather back to input order.
        let rows: Vec<Vec<(f64, u32)>> = (0..self.dims[1])
            .into_par_iter()
            .map(|cy| {
                let mut stencil = Vec::with_capacity(9);
                let mut v = Vec::with_capacity(
                    self.start[(cy + 1) * self.dims[0]] - self.start[cy * self.dims[0]],
                );
                for cx in 0..self.dims[0] {
                    let cid = cy * self.dims[0] + cx;
                    if self.start[cid] == self.start[cid + 1] {
                        continue;
                    }
                    self.stencil(cx as i64, cy as i64, [1, 1], &mut stencil);
                    for a in self.start[cid]..self.start[cid + 1] {
                        let mut best = self.best_in(a, &stencil);
                        if best.0 > cell_min * cell_min {
                            best = self.nearest_by_rings(a, [cx as i64, cy as i64]);
                        }
                        v.push(best);
                    }
                }
                v
            })
            .collect();
        let mut by_sorted: Vec<(f64, u32)> = Vec::with_capacity(n);
        rows.into_iter().for_each(|r| by_sorted.extend(r));
        self.position
            .par_iter()
            .map(|&s| {
                let (d2, j) = by_sorted[s as usize];
                (j != u32::MAX).then(|| Hit {
                    index: j as usize,
                    distance: d2.sqrt(),
                })
            })
            .collect()
    }

    /// (squared distance, original index) of the nearest point to sorted
    /// point `a` among the given cells; ties go to the lower index.
    fn best_in(&self, a: usize, cells: &[(usize, f64, f64)]) -> (f64, u32) {
        let p = self.sorted[a];
        let mut best = (f64::INFINITY, u32::MAX);
        for &(nid, ox, oy) in cells {
            let (px, py) = (p[0] - ox, p[1] - oy);
            for b in self.start[nid]..self.start[nid + 1] {
                // A point is never its own neighbour (nor its images).
                let j = self.index[b];
                if j == self.index[a] {
                    continue;
                }
                let q = self.sorted[b];
                let (dx, dy) = (q[0] - px, q[1] - py);
                let d2 = dx * dx + dy * dy;
                if d2 < best.0 || (d2 == best.0 && j < best.1) {
                    best = (d2, j);
                }
            }
        }
        best
    }

    /// Exact nearest neighbour of sorted point `a` by growing square rings
    /// of cells: stop once a whole ring lies beyond the best distance.
    fn nearest_by_rings(&self, a: usize, c: [i64; 2]) -> (f64, u32) {
        let cell_min = self.cell[0].min(self.cell[1]);
        let max_ring = if self.periodic {
            2 * self.dims[0].max(self.dims[1]) as i64
        } else {
            self.dims[0].max(self.dims[1]) as i64
        };
        let mut best = (f64::INFINITY, u32::MAX);
        let mut cells = Vec::new();
        // Ring 1 is the whole 3 x 3 block (the caller searched it already,
        // but searching it again keeps this function self-contained).
        self.stencil(c[0], c[1], [1, 1], &mut cells);
        best = better(self.best_in(a, &cells), best);
        for ring in 2..=max_ring {
            // Every point of ring `ring` is at least (ring - 1) cells away.
            let reach = (ring - 1) as f64 * cell_min;
            if reach * reach > best.0 {
                break;
            }
            self.ring(c, ring, &mut cells);
            best = better(self.best_in(a, &cells), best);
        }
        best
    }
}

/// The better of two (squared distance, index) candidates; ties go to the
/// lower index.
fn better(a: (f64, u32), b: (f64, u32)) -> (f64, u32) {
    if a.0 < b.0 || (a.0 == b.0 && a.1 < b.1) {
        a
    } else {
        b
    }
}
