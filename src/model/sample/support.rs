//! The carbon support under the sheet.
//!
//! - Amorphous: carbon atoms added one by one at uniformly random points of
//!   the support's body (a slab or a shaped body, see `shape`), each accepted only if no atom is closer than 1.3 Å (random
//!   sequential addition of hard spheres, periodic in x and y). At the
//!   default 2.0 g/cm³ (0.1003 atoms/Å³) the hard-sphere packing fraction is
//!   0.115, far below saturation (0.38), so the count is always reached.
//!   Candidate neighbours come from a uniform cell grid (cells >= 1.3 Å), so
//!   each test costs 27 cells.
//! - Layers: turbostratic graphene, each layer rotated by a random angle and
//!   shifted by a random vector, clipped to the periodic box; atoms that
//!   would sit closer than 1.3 Å to an atom across the box seam are dropped.

use kiddo::{ImmutableKdTree, SquaredEuclidean};
use nalgebra::Vector3;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::structure::{Atom, Element};

use super::shape::Profile;

/// Closest approach of two support atoms (Å).
pub const MIN_DISTANCE: f64 = 1.3;
/// Avogadro-scale conversion: atoms/Å³ of carbon at 1 g/cm³
/// (1 / (12.011 u · 1.66053907e-24 g/u) · 1e-24 cm³/Å³).
pub const CARBON_ATOMS_PER_A3_PER_G_CM3: f64 = 1.0 / (12.011 * 1.660_539_07);

/// Attempts per atom before the slab counts as full.
const ATTEMPTS_PER_ATOM: usize = 200;

/// A uniform grid over a box periodic in x and y.
struct Grid {
    dims: [usize; 3],
    size: [f64; 3],
    origin_z: f64,
    /// First atom in each cell (u32::MAX = none), linked through `next`.
    head: Vec<u32>,
    next: Vec<u32>,
    points: Vec<[f64; 3]>,
}

impl Grid {
    fn new(b: [f64; 2], z0: f64, thickness: f64) -> Grid {
        let dims = [
            ((b[0] / MIN_DISTANCE).floor() as usize).max(1),
            ((b[1] / MIN_DISTANCE).floor() as usize).max(1),
            ((thickness / MIN_DISTANCE).floor() as usize).max(1),
        ];
        let size = [
            b[0] / dims[0] as f64,
            b[1] / dims[1] as f64,
            thickness.max(1e-9) / dims[2] as f64,
        ];
        Grid {
            dims,
            size,
            origin_z: z0,
            head: vec![u32::MAX; dims[0] * dims[1] * dims[2]],
            next: Vec::new(),
            points: Vec::new(),
        }
    }

    fn cell_of(&self, p: &[f64; 3]) -> [usize; 3] {
        [
            ((p[0] / self.size[0]) as usize).min(self.dims[0] - 1),
            ((p[1] / self.size[1]) as usize).min(self.dims[1] - 1),
            (((p[2] - self.origin_z) / self.size[2]) as usize).min(self.dims[2] - 1),
        ]
    }

    fn flat(&self, c: [usize; 3]) -> usize {
        (c[2] * self.dims[1] + c[1]) * self.dims[0] + c[0]
    }

    /// No stored point within MIN_DISTANCE (periodic in x, y)?
    fn is_clear(&self, p: &[f64; 3]) -> bool {
        let c = self.cell_of(p);
        let box_xy = [
            self.size[0] * self.dims[0] as f64,
            self.size[1] * self.dims[1] as f64,
        ];
        let r2 = MIN_DISTANCE * MIN_DISTANCE;
        for dz in -1i64..=1 {
            let z = c[2] as i64 + dz;
            if z < 0 || z >= self.dims[2] as i64 {
                continue;
            }
            for dy in -1i64..=1 {
                let y = (c[1] as i64 + dy).rem_euclid(self.dims[1] as i64) as usize;
                for dx in -1i64..=1 {
                    let x = (c[0] as i64 + dx).rem_euclid(self.dims[0] as i64) as usize;
                    let mut k = self.head[self.flat([x, y, z as usize])];
                    while k != u32::MAX {
                        let q = &self.points[k as usize];
                        let mut d2 = (q[2] - p[2]).powi(2);
                        for axis in 0..2 {
                            let mut d = (q[axis] - p[axis]).abs();
                            d = d.min(box_xy[axis] - d);
                            d2 += d * d;
                        }
                        if d2 < r2 {
                            return false;
                        }
                        k = self.next[k as usize];
                    }
                }
            }
        }
        true
    }

    fn insert(&mut self, p: [f64; 3]) {
        let f = self.flat(self.cell_of(&p));
        self.next.push(self.head[f]);
        self.head[f] = self.points.len() as u32;
        self.points.push(p);
    }
}

/// Amorphous carbon filling a shape's body (heights relative to `z0`, Å)
/// in a periodic box `b` (Å), at `density` g/cm³: candidates uniform in the
/// bounding slab, kept inside the body. Err(atoms placed) if it is full.
pub fn amorphous(
    b: [f64; 2],
    z0: f64,
    profile: &Profile,
    density: f64,
    rng: &mut ChaCha8Rng,
) -> Result<Vec<Atom>, usize> {
    let volume = profile.volume();
    let height = profile.max_height();
    let target = (density * CARBON_ATOMS_PER_A3_PER_G_CM3 * volume).round() as usize;
    let mut grid = Grid::new(b, z0, height);
    // Candidates outside the body cost an attempt too.
    let outside = (b[0] * b[1] * height / volume.max(1e-9)).max(1.0);
    let budget = (ATTEMPTS_PER_ATOM as f64 * outside) as usize * target + 1000;
    let mut tries = 0;
    while grid.points.len() < target {
        if tries >= budget {
            return Err(grid.points.len());
        }
        tries += 1;
        let p = [
            rng.random::<f64>() * b[0],
            rng.random::<f64>() * b[1],
            z0 + rng.random::<f64>() * height,
        ];
        let inside = profile
            .body(p[0], p[1])
            .is_some_and(|(lo, hi)| (lo..=hi).contains(&(p[2] - z0)));
        if inside && grid.is_clear(&p) {
            grid.insert(p);
        }
    }
    Ok(grid
        .points
        .iter()
        .map(|p| Atom::new(Element::C, Vector3::new(p[0], p[1], p[2])))
        .collect())
}

/// One turbostratic graphene layer at height z: random rotation and shift,
/// clipped to the periodic box, seam clashes removed.
pub fn graphene_layer(b: [f64; 2], a: f64, z: f64, rng: &mut ChaCha8Rng) -> Vec<Atom> {
    let theta = rng.random::<f64>() * std::f64::consts::FRAC_PI_3;
    let shift = [rng.random::<f64>() * a, rng.random::<f64>() * a];
    let (c, s) = (theta.cos(), theta.sin());
    let rot = |x: f64, y: f64| [c * x - s * y + shift[0], s * x + c * y + shift[1]];
    let s3 = 3f64.sqrt();
    let a1 = [a, 0.0];
    let a2 = [-a / 2.0, a * s3 / 2.0];
    let basis = [[0.0, 0.0], [a / 2.0, a * s3 / 6.0]];
    // Lattice indices covering the box: the box diagonal bounds them.
    let reach = ((b[0] + b[1]) / a * 1.2).ceil() as i64 + 2;
    let mut points: Vec<[f64; 2]> = Vec::new();
    for i in -reach..=reach {
        for j in -reach..=reach {
            for bs in &basis {
                let x = i as f64 * a1[0] + j as f64 * a2[0] + bs[0];
                let y = i as f64 * a1[1] + j as f64 * a2[1] + bs[1];
                let p = rot(x, y);
                if p[0] >= 0.0 && p[0] < b[0] && p[1] >= 0.0 && p[1] < b[1] {
                    points.push(p);
                }
            }
        }
    }
    let keep = drop_seam_clashes(&points, b);
    points
        .iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(p, _)| Atom::new(Element::C, Vector3::new(p[0], p[1], z)))
        .collect()
}

/// Keep a point unless an earlier kept point lies within MIN_DISTANCE
/// (periodic): only atoms on opposite sides of the box seam can clash.
fn drop_seam_clashes(points: &[[f64; 2]], b: [f64; 2]) -> Vec<bool> {
    let mut keep = vec![true; points.len()];
    if points.is_empty() {
        return keep;
    }
    let tree: ImmutableKdTree<f64, 2> =
        ImmutableKdTree::new_from_slice(points).expect("finite points");
    for (i, p) in points.iter().enumerate() {
        let clash = tree
            .query(p)
            .periodic_boundary_condition(&b)
            .within::<SquaredEuclidean<f64>>(MIN_DISTANCE * MIN_DISTANCE)
            .execute()
            .into_iter()
            .any(|hit| (hit.item as usize) < i && keep[hit.item as usize]);
        if clash {
            keep[i] = false;
        }
    }
    keep
}
