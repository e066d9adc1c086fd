//! `Positions`: the points every statistic starts from (Å, projected 2D or
//! 3D), their elements when known, and the analysis region: a periodic box
//! (minimum image, no edges) or an open rectangle (edge-corrected
//! statistics). Readers: `io::points` (CSV, npy); output directories:
//! `output::load`.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::structure::{Element, Structure};

/// Where the points live.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Region {
    /// Periodic box from the origin; `size[2]` is used in 3D only.
    Periodic {
        /// Box lengths (Å).
        size: [f64; 3],
    },
    /// An open box (an image field, or a non-periodic model).
    Open {
        /// Lower corner (Å).
        origin: [f64; 3],
        /// Lengths (Å).
        size: [f64; 3],
    },
}

impl Region {
    /// Area (2D) or volume (3D) in Å² or Å³.
    pub fn measure(&self, dims: usize) -> f64 {
        let s = match self {
            Region::Periodic { size } | Region::Open { size, .. } => size,
        };
        s[..dims].iter().product()
    }
}

/// Points, their elements and the region.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Positions {
    /// Coordinates (Å); z is 0 for projected points.
    pub points: Vec<[f64; 3]>,
    /// Element of each point, where known.
    pub elements: Vec<Option<Element>>,
    /// The analysis region.
    pub region: Region,
    /// 2 (projected) or 3.
    pub dims: usize,
    /// Where the points came from.
    pub source: String,
}

impl Positions {
    /// Refuse what no statistic can use: fewer than two points, points
    /// outside the region, non-finite coordinates.
    pub fn validate(&self) -> Result<()> {
        if self.points.len() < 2 {
            return Err(Error::invalid(
                "input",
                format!(
                    "{}: {} point(s); pair statistics need at least two",
                    self.source,
                    self.points.len()
                ),
            ));
        }
        let (origin, size) = match self.region {
            Region::Periodic { size } => ([0.0; 3], size),
            Region::Open { origin, size } => (origin, size),
        };
        if size[..self.dims]
            .iter()
            .any(|&s| !(s > 0.0 && s.is_finite()))
        {
            return Err(Error::invalid(
                "--region",
                format!(
                    "{:?}: the region needs positive, finite sizes",
                    &size[..self.dims]
                ),
            ));
        }
        let periodic = matches!(self.region, Region::Periodic { .. });
        for (i, p) in self.points.iter().enumerate() {
            if p.iter().any(|v| !v.is_finite()) {
                return Err(Error::invalid(
                    "input",
                    format!(
                        "{}: point {} has a non-finite coordinate",
                        self.source,
                        i + 1
                    ),
                ));
            }
            if !periodic {
                for k in 0..self.dims {
                    if p[k] < origin[k] - 1e-9 || p[k] > origin[k] + size[k] + 1e-9 {
                        return Err(Error::invalid(
                            "--region",
                            format!(
                                "{}: point {} at {:?} Å lies outside the region {:?} + {:?} Å",
                                self.source,
                                i + 1,
                                &p[..self.dims],
                                &origin[..self.dims],
                                &size[..self.dims]
                            ),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// True without points.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Metal atoms (or the given elements) of a structure, projected along
    /// z (or kept 3D). The region is the periodic box when the in-plane cell
    /// is orthogonal and periodic, else the bounding box of the points.
    pub fn from_structure(
        structure: &Structure,
        elements: Option<&[Element]>,
        three_d: bool,
        source: &str,
    ) -> Result<Positions> {
        let keep = |e: Element| match elements {
            Some(list) => list.contains(&e),
            None => e.is_metal(),
        };
        let chosen: Vec<_> = structure.atoms.iter().filter(|a| keep(a.element)).collect();
        if chosen.is_empty() {
            let present: BTreeSet<&str> =
                structure.atoms.iter().map(|a| a.element.symbol()).collect();
            return Err(Error::invalid(
                "--elements",
                format!(
                    "{source}: no atoms of the selected elements; the file holds {}",
                    present.into_iter().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        let dims = if three_d { 3 } else { 2 };
        let points = chosen
            .iter()
            .map(|a| {
                [
                    a.position.x,
                    a.position.y,
                    if three_d { a.position.z } else { 0.0 },
                ]
            })
            .collect();
        let m = structure.lattice.to_array();
        let orthogonal = (0..3).all(|i| (0..3).all(|j| i == j || m[i][j].abs() < 1e-9));
        let in_plane = structure.pbc[0] && structure.pbc[1];
        // A skewed (e.g. hexagonal) periodic cell, projected: the same
        // periodic point set in the smallest axis-aligned supercell.
        if in_plane && !three_d && !orthogonal {
            let flat = (0..2).all(|k| m[k][2].abs() < 1e-9)
                && m[2][0].abs() < 1e-9
                && m[2][1].abs() < 1e-9;
            if let (true, Some(sc)) = (
                flat,
                Supercell::find([m[0][0], m[0][1]], [m[1][0], m[1][1]]),
            ) {
                let points: Vec<[f64; 3]> = chosen
                    .iter()
                    .map(|a| [a.position.x, a.position.y, 0.0])
                    .collect();
                let elements: Vec<Option<Element>> =
                    chosen.iter().map(|a| Some(a.element)).collect();
                let (points, elements) = sc.replicate(&points, &elements);
                return Ok(Positions {
                    points,
                    elements,
                    region: Region::Periodic {
                        size: [sc.size[0], sc.size[1], 0.0],
                    },
                    dims: 2,
                    // Counts and intervals see every copy: say so.
                    source: format!(
                        "{source} ({} metal(s), each as {} copies in an axis-aligned supercell of the skewed cell)",
                        chosen.len(),
                        sc.shifts.len()
                    ),
                });
            }
        }
        let periodic = in_plane && (!three_d || structure.pbc[2]) && orthogonal;
        let mut pos = Positions {
            points,
            elements: chosen.iter().map(|a| Some(a.element)).collect(),
            region: Region::Periodic {
                size: [m[0][0], m[1][1], m[2][2]],
            },
            dims,
            source: source.to_string(),
        };
        if !periodic {
            pos.region = bounding_region(&pos.points);
        }
        Ok(pos)
    }
    /// Keep only the given elements (points of unknown element are dropped).
    pub fn select(mut self, elements: &[Element]) -> Result<Positions> {
        let keep: Vec<bool> = self
            .elements
            .iter()
            .map(|e| e.is_some_and(|e| elements.contains(&e)))
            .collect();
        if !keep.iter().any(|&k| k) {
            return Err(Error::invalid(
                "--elements",
                format!(
                    "{}: no points of {}",
                    self.source,
                    elements
                        .iter()
                        .map(|e| e.symbol())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let mut k = keep.iter();
        self.points.retain(|_| *k.next().expect("same length"));
        let mut k = keep.iter();
        self.elements.retain(|_| *k.next().expect("same length"));
        Ok(self)
    }
}

/// An axis-aligned supercell of a skewed 2D lattice (A, B): lattice
/// vectors u = (Ux, 0) and w = (0, Wy), holding `copies` cells.
#[derive(Debug, Clone, PartialEq)]
struct Supercell {
    a: [f64; 2],
    b: [f64; 2],
    size: [f64; 2],
    /// (s, t): the cell translations s·A + t·B that tile the supercell.
    shifts: Vec<[i64; 2]>,
}

impl Supercell {
    /// Largest coefficient searched and most copies accepted.
    const MAX_COEFF: i64 = 64;
    const MAX_COPIES: i64 = 400;

    /// The smallest such supercell, if one exists within the search.
    fn find(a: [f64; 2], b: [f64; 2]) -> Option<Supercell> {
        let scale = (a[0].hypot(a[1])).max(b[0].hypot(b[1]));
        let tol = 1e-7 * scale;
        let combos = || {
            (-Self::MAX_COEFF..=Self::MAX_COEFF).flat_map(|i| {
                (-Self::MAX_COEFF..=Self::MAX_COEFF).map(move |j| {
                    let v = [
                        i as f64 * a[0] + j as f64 * b[0],
                        i as f64 * a[1] + j as f64 * b[1],
                    ];
                    ([i, j], v)
                })
            })
        };
        let shortest = |axis: usize| {
            combos()
                .filter(|(_, v)| v[1 - axis].abs() < tol && v[axis] > tol)
                .min_by(|x, y| x.1[axis].total_cmp(&y.1[axis]))
        };
        let (u, w) = (shortest(0)?, shortest(1)?);
        // Twice the smallest such cell along each axis: a point's own
        // periodic image then lies at least 2|u| away, beyond any lattice
        // neighbour, so the index (which never pairs a point with its own
        // images) finds every NN among distinct copies.
        let (u, w) = (
            ([2 * u.0[0], 2 * u.0[1]], [2.0 * u.1[0], 2.0 * u.1[1]]),
            ([2 * w.0[0], 2 * w.0[1]], [2.0 * w.1[0], 2.0 * w.1[1]]),
        );
        let copies = (u.0[0] * w.0[1] - u.0[1] * w.0[0]).abs();
        if copies == 0 || copies > Self::MAX_COPIES {
            return None;
        }
        let size = [u.1[0], w.1[1]];
        // One representative shift per copy: wrap the images of the origin
        // into the box and keep the distinct ones.
        let mut seen: Vec<[f64; 2]> = Vec::new();
        let mut shifts = Vec::new();
        'search: for s in 0..=copies {
            for t in 0..=copies {
                let p = [
                    (s as f64 * a[0] + t as f64 * b[0]).rem_euclid(size[0]),
                    (s as f64 * a[1] + t as f64 * b[1]).rem_euclid(size[1]),
                ];
                let same = |q: &[f64; 2]| {
                    let d = |k: usize| {
                        let x = (p[k] - q[k]).abs();
                        x.min(size[k] - x)
                    };
                    d(0) < tol && d(1) < tol
                };
                if !seen.iter().any(same) {
                    seen.push(p);
                    shifts.push([s, t]);
                    if shifts.len() as i64 == copies {
                        break 'search;
                    }
                }
            }
        }
        (shifts.len() as i64 == copies).then_some(Supercell { a, b, size, shifts })
    }

    /// Every point's copies, wrapped into the supercell (originals first).
    fn replicate(
        &self,
        points: &[[f64; 3]],
        elements: &[Option<Element>],
    ) -> (Vec<[f64; 3]>, Vec<Option<Element>>) {
        let mut out = Vec::with_capacity(points.len() * self.shifts.len());
        let mut els = Vec::with_capacity(out.capacity());
        for &[s, t] in &self.shifts {
            for (p, e) in points.iter().zip(elements) {
                out.push([
                    (p[0] + s as f64 * self.a[0] + t as f64 * self.b[0]).rem_euclid(self.size[0]),
                    (p[1] + s as f64 * self.a[1] + t as f64 * self.b[1]).rem_euclid(self.size[1]),
                    0.0,
                ]);
                els.push(*e);
            }
        }
        (out, els)
    }
}

/// The bounding box of the points (open), padded by nothing.
pub fn bounding_region(points: &[[f64; 3]]) -> Region {
    let mut lo = [f64::MAX; 3];
    let mut hi = [f64::MIN; 3];
    for p in points {
        for k in 0..3 {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
    if points.is_empty() {
        return Region::Open {
            origin: [0.0; 3],
            size: [1.0; 3],
        };
    }
    Region::Open {
        origin: lo,
        size: std::array::from_fn(|k| (hi[k] - lo[k]).max(1e-6)),
    }
}
