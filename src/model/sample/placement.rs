//! Random sequential placement of metal sites on lattice positions.
//!
//! Each site is anchored at a uniformly random lattice cell of the sheet in
//! a uniformly random orientation (one of three) and accepted when
//! 1. none of its lattice atoms (vacancy or N) belongs to another site
//!    (exact, through a per-atom owner table), and
//! 2. every metal is at least `min_separation` Å (in-plane, periodic) from
//!    every metal of other sites on the same face (k-d tree query).
//!
//! In `clustered` mode the first `2·round(N·fraction/2)` sites come in pairs:
//! the second of each pair is placed with a metal within `distance` Å of a
//! metal of the first, and every other site is kept farther than `distance`
//! from all others, so the share of sites with a neighbour site within
//! `distance` is the requested fraction.
//!
//! Attempts are bounded; a density that cannot be reached fails with the
//! largest density that can (random sequential adsorption saturates at a
//! disk coverage of 0.547, Feder 1980).

use nalgebra::Vector3;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;

use crate::model::{GrapheneCell, ResolvedSite, SitePlacement, resolve_site};

use super::kind::SiteKind;

/// RSA jamming coverage of hard disks.
pub const JAMMING_COVERAGE: f64 = 0.547;

/// Attempts per site before giving up.
const MAX_ATTEMPTS: usize = 4000;

/// How sites are spread.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "lowercase", tag = "mode")]
pub enum PlacementMode {
    /// Independent uniform placement (hard-core random).
    Random,
    /// A fraction of sites in close pairs.
    Clustered {
        /// Share of sites that have a neighbour site within `distance`.
        fraction: f64,
        /// Pair distance bound between the nearest metals of two sites (Å).
        #[serde(rename = "distance_angstrom")]
        distance: f64,
    },
}

/// One placed site (before the atoms are assembled).
#[derive(Debug, Clone)]
pub struct Placed {
    /// Index into the mix.
    pub kind: usize,
    /// Face index (0 = top, 1 = bottom).
    pub face: usize,
    /// Orientation 0-2.
    pub orientation: u8,
    /// Anchor lattice cell.
    pub anchor: (i64, i64),
    /// The resolved site on the face's sheet (metal z relative to the sheet).
    pub resolved: ResolvedSite,
}

/// Everything placement needs.
pub struct Request<'a> {
    /// The sheet cell (rectangular, periodic).
    pub cell: &'a GrapheneCell,
    /// Kinds of the mix.
    pub kinds: &'a [SiteKind],
    /// Kind index of every site, in placement order.
    pub order: &'a [usize],
    /// Face of every site.
    pub faces: &'a [usize],
    /// Number of faces.
    pub n_faces: usize,
    /// Minimum metal-metal distance between sites (Å).
    pub min_separation: f64,
    /// Random or clustered.
    pub mode: PlacementMode,
    /// MN3 target distance (Å).
    pub mn3_distance: f64,
    /// Probability (0-1) that a site of face `f` is kept at (x, y) (Å):
    /// 0 where the sheet does not exist, 1 almost everywhere; below 1 it
    /// costs one draw (a twin's sites favour thick carbon).
    pub acceptance: &'a dyn Fn(usize, f64, f64) -> f64,
}

/// In-plane box size (Å) of a rectangular cell.
pub fn box_size(cell: &GrapheneCell) -> [f64; 2] {
    let [u, v] = cell.in_plane_vectors();
    [u.x, v.y]
}

fn wrap2(p: &Vector3<f64>, b: &[f64; 2]) -> [f64; 2] {
    [p.x.rem_euclid(b[0]), p.y.rem_euclid(b[1])]
}

/// The lattice cell (i, j) nearest an in-plane point.
fn nearest_cell(cell: &GrapheneCell, x: f64, y: f64) -> (i64, i64) {
    let j = (y / (cell.a * 3f64.sqrt() / 2.0)).round();
    let i = (x / cell.a + j / 2.0).round();
    (i as i64, j as i64)
}

/// A uniformly random lattice cell of a rectangular n x m sheet (two
/// lattice points per rectangle, rows j = 2r and 2r + 1).
fn random_cell(cell: &GrapheneCell, rng: &mut ChaCha8Rng) -> (i64, i64) {
    let c = rng.random_range(0..cell.n) as i64;
    let r = rng.random_range(0..cell.m) as i64;
    if rng.random_bool(0.5) {
        (c + r, 2 * r)
    } else {
        (c + r + 1, 2 * r + 1)
    }
}

/// A placed metal: x, y (Å, wrapped) and its site id.
type IndexedMetal = (f64, f64, u32);

/// Metals of placed sites on one face, for separation queries: a periodic
/// cell grid (sites sit on lattice columns, so thousands share one x; a
/// bucketed k-d tree cannot split such a column).
struct FaceIndex {
    /// Cell edge (Å), at least the largest query radius.
    side: f64,
    /// Cells along x and y.
    dims: [i64; 2],
    /// Per cell: its metals.
    cells: HashMap<(i64, i64), Vec<IndexedMetal>>,
}

impl FaceIndex {
    fn new(b: &[f64; 2], radius: f64) -> FaceIndex {
        let side = radius.max(1.0);
        FaceIndex {
            side,
            dims: [0, 1].map(|k| ((b[k] / side).floor() as i64).max(1)),
            cells: HashMap::new(),
        }
    }

    fn cell_of(&self, p: &[f64; 2]) -> (i64, i64) {
        let c = |k: usize| ((p[k] / self.side).floor() as i64).rem_euclid(self.dims[k]);
        (c(0), c(1))
    }

    fn add(&mut self, p: &[f64; 2], id: u32) {
        let c = self.cell_of(p);
        self.cells.entry(c).or_default().push((p[0], p[1], id));
    }

    /// (site id, squared minimum-image distance) of metals within `radius`
    /// Å of `p`.
    fn within(&self, p: &[f64; 2], radius: f64, b: &[f64; 2]) -> Vec<(u32, f64)> {
        let (cx, cy) = self.cell_of(p);
        let reach = (radius / self.side).ceil() as i64;
        // Each wrapped cell once, however small the box.
        let span = |k: usize, c: i64| -> Vec<i64> {
            if 2 * reach + 1 >= self.dims[k] {
                (0..self.dims[k]).collect()
            } else {
                (c - reach..=c + reach)
                    .map(|v| v.rem_euclid(self.dims[k]))
                    .collect()
            }
        };
        let image = |d: f64, k: usize| d - b[k] * (d / b[k]).round();
        let mut out = Vec::new();
        for y in span(1, cy) {
            for x in span(0, cx) {
                for &(qx, qy, id) in self.cells.get(&(x, y)).into_iter().flatten() {
                    let (dx, dy) = (image(qx - p[0], 0), image(qy - p[1], 1));
                    let d2 = dx * dx + dy * dy;
                    if d2 <= radius * radius {
                        out.push((id, d2));
                    }
                }
            }
        }
        out
    }
}

/// Place every site; Err(number placed) when a site found no room within
/// the bounded attempts.
pub fn place(req: &Request, rng: &mut ChaCha8Rng) -> std::result::Result<Vec<Placed>, usize> {
    let b = box_size(req.cell);
    let atoms = req.cell.atom_count();
    let mut owner: Vec<Vec<u32>> = vec![vec![0; atoms]; req.n_faces];
    let (pairs, cluster_r) = match req.mode {
        PlacementMode::Random => (0, 0.0),
        PlacementMode::Clustered { fraction, distance } => (
            ((req.order.len() as f64 * fraction) / 2.0).round() as usize,
            distance,
        ),
    };
    let mut index: Vec<FaceIndex> = (0..req.n_faces)
        .map(|_| FaceIndex::new(&b, req.min_separation.max(cluster_r)))
        .collect();
    let mut placed: Vec<Placed> = Vec::with_capacity(req.order.len());
    for (s, &kind) in req.order.iter().enumerate() {
        let id = s as u32 + 1;
        let is_partner = s < 2 * pairs && s % 2 == 1;
        let face = if is_partner {
            placed[s - 1].face
        } else {
            req.faces[s]
        };
        let k = &req.kinds[kind];
        let mut done = false;
        for _ in 0..MAX_ATTEMPTS {
            let anchor = if is_partner {
                // A point at distance min_separation..cluster_r from a metal
                // of the partner site, uniform in area.
                let (_, m) = placed[s - 1].resolved.metals
                    [rng.random_range(0..placed[s - 1].resolved.metals.len())];
                let (r0, r1) = (req.min_separation, cluster_r);
                let r = (r0 * r0 + rng.random::<f64>() * (r1 * r1 - r0 * r0)).sqrt();
                let phi = rng.random::<f64>() * std::f64::consts::TAU;
                nearest_cell(req.cell, m.x + r * phi.cos(), m.y + r * phi.sin())
            } else {
                random_cell(req.cell, rng)
            };
            let orientation = rng.random_range(0..3u8);
            let up = if face == 0 { 1.0 } else { -1.0 };
            let p = SitePlacement {
                motif: k.motif,
                metals: &k.metals,
                orientation,
                anchor,
                mn3_distance: req.mn3_distance,
                up,
            };
            let Ok(resolved) = resolve_site(req.cell, &p) else {
                continue;
            };
            if resolved.footprint().any(|a| owner[face][a] != 0) {
                continue;
            }
            let keep = resolved
                .metals
                .iter()
                .map(|(_, m)| (req.acceptance)(face, m.x.rem_euclid(b[0]), m.y.rem_euclid(b[1])))
                .fold(1.0, f64::min);
            if keep <= 0.0 || (keep < 1.0 && rng.random::<f64>() >= keep) {
                continue;
            }
            if !separation_ok(
                &resolved,
                &index[face],
                &b,
                req.min_separation,
                req.mode,
                is_partner.then_some(s as u32),
                cluster_r,
            ) {
                continue;
            }
            for a in resolved.footprint() {
                owner[face][a] = id;
            }
            for (_, m) in &resolved.metals {
                index[face].add(&wrap2(m, &b), id);
            }
            placed.push(Placed {
                kind,
                face,
                orientation,
                anchor,
                resolved,
            });
            done = true;
            break;
        }
        if !done {
            return Err(s);
        }
    }
    Ok(placed)
}

/// The separation rules for a candidate site.
fn separation_ok(
    site: &ResolvedSite,
    index: &FaceIndex,
    b: &[f64; 2],
    min_sep: f64,
    mode: PlacementMode,
    partner_of: Option<u32>,
    cluster_r: f64,
) -> bool {
    let clustered = matches!(mode, PlacementMode::Clustered { .. });
    // Clustered singles and first members of pairs stay farther than the
    // pair distance from everything; partners must see only their anchor.
    let reach = if clustered {
        cluster_r.max(min_sep)
    } else {
        min_sep
    };
    let mut near_anchor = false;
    for (_, m) in &site.metals {
        for (owner, d2) in index.within(&wrap2(m, b), reach, b) {
            if d2 < min_sep * min_sep {
                return false;
            }
            match partner_of {
                Some(me) if owner == me => near_anchor = true,
                _ if clustered && d2 <= cluster_r * cluster_r => return false,
                _ => {}
            }
        }
    }
    partner_of.is_none() || near_anchor
}
