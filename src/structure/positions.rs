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
        let periodic =
            structure.pbc[0] && structure.pbc[1] && (!three_d || structure.pbc[2]) && orthogonal;
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
