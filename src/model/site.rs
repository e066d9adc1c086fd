//! A motif resolved on a concrete graphene cell: which atoms of the pristine
//! sheet it removes or turns into N, and where its metals sit. Shared by the
//! single-site models and the large samples.

use nalgebra::Vector3;

use crate::structure::Element;

use super::graphene::{GrapheneCell, Site};
use super::motif::{Motif, Placement};

/// One site on one cell.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedSite {
    /// Sheet atom indices removed (the vacancy).
    pub removed: Vec<usize>,
    /// Sheet atom indices turned into N.
    pub nitrogen: Vec<usize>,
    /// The metals with their unwrapped positions (Å; z relative to the
    /// sheet plane, positive = `up`).
    pub metals: Vec<(Element, Vector3<f64>)>,
}

impl ResolvedSite {
    /// Removed and N atoms: the lattice atoms the site owns.
    pub fn footprint(&self) -> impl Iterator<Item = usize> + '_ {
        self.removed.iter().chain(&self.nitrogen).copied()
    }
}

/// Where a site goes: motif, metals, orientation (0-2) and the lattice cell
/// (i, j) its recipe is anchored at.
#[derive(Debug, Clone, Copy)]
pub struct SitePlacement<'a> {
    /// The motif.
    pub motif: Motif,
    /// Its metals, in placement order.
    pub metals: &'a [Element],
    /// Orientation 0, 1, 2 (x 120°).
    pub orientation: u8,
    /// Anchor cell (i, j).
    pub anchor: (i64, i64),
    /// Target M-N distance of a lifted MN3 metal (Å).
    pub mn3_distance: f64,
    /// +1 to lift MN3 metals towards +z, -1 towards -z.
    pub up: f64,
}

/// Resolve a placement on a cell; Err if the recipe wraps onto itself (a
/// lattice atom removed and made N, or used twice).
pub fn resolve_site(cell: &GrapheneCell, p: &SitePlacement) -> Result<ResolvedSite, String> {
    let recipe = p
        .motif
        .recipe()
        .rotated(p.orientation)
        .shifted(p.anchor.0, p.anchor.1);
    let index = |s: &Site| cell.site_index(*s);
    let removed: Vec<usize> = recipe.remove.iter().map(index).collect();
    let nitrogen: Vec<usize> = recipe.nitrogen.iter().map(index).collect();
    let mut all: Vec<usize> = removed.iter().chain(&nitrogen).copied().collect();
    all.sort_unstable();
    if all.windows(2).any(|w| w[0] == w[1]) {
        return Err("the motif wraps onto its own periodic image (a lattice site would be both removed and N, or used twice)".into());
    }
    let cc = cell.a / 3f64.sqrt();
    let metals = recipe
        .metals
        .iter()
        .zip(p.metals)
        .map(|(placement, &element)| {
            let position = match *placement {
                Placement::BondMidpoint(a, b) => {
                    (cell.site_position(a) + cell.site_position(b)) / 2.0
                }
                // h = sqrt(d² - d_in-plane²): the metal above the vacancy at
                // distance d from the three N at the in-plane C-C distance.
                Placement::AboveSite(a) => {
                    let h = (p.mn3_distance.powi(2) - cc * cc).sqrt();
                    cell.site_position(a) + Vector3::new(0.0, 0.0, p.up * h)
                }
            };
            (element, position)
        })
        .collect();
    Ok(ResolvedSite {
        removed,
        nitrogen,
        metals,
    })
}
