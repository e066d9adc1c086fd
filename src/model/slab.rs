//! From a model specification (motif, metals, cell) to a checked
//! [`Structure`]: the recipe is applied to a pristine sheet, the metals are
//! placed, the slab is centred in its vacuum, and the result is checked for
//! overlapping atoms and for sites too close to their periodic images.

use nalgebra::Vector3;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::structure::{Atom, Element, Lattice, Structure};

use super::adsorbate::{AdsorbateSpec, adsorb};
use super::graphene::{CellShape, GrapheneCell};
use super::motif::Motif;
use super::preset::Preset;
use super::site::{SitePlacement, resolve_site};

/// Default target M-N distance of the MN3 single-vacancy motif (Å): the
/// unrelaxed divacancy value, so every motif starts from the same bond.
pub const DEFAULT_MN3_DISTANCE: f64 = 1.879;

/// A site must be at least this far (Å) from every periodic image of a
/// metal of the same site, unless small cells are allowed.
pub const MIN_SITE_IMAGE_DISTANCE: f64 = 12.0;

/// Free shells around the site when an adsorbate is present and no other
/// selective-dynamics rule is given: the metals, their first shell (N) and
/// second shell (C bonded to that N) relax, the rest is fixed.
pub const DEFAULT_FREE_SHELLS: usize = 2;

/// Two atoms overlap when closer than this fraction of the sum of their
/// covalent radii (C-C 1.06 Å, Co-N 1.38 Å).
const OVERLAP_FRACTION: f64 = 0.7;

/// Everything that defines a model; serialised into `params.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelSpec {
    /// Model name (file stem, POSCAR title).
    pub name: String,
    /// The preset it came from, if any.
    pub preset: Option<String>,
    /// Site motif.
    #[serde(serialize_with = "serialize_motif")]
    pub motif: Motif,
    /// Metals in placement order.
    pub metals: Vec<Element>,
    /// The graphene supercell.
    pub cell: GrapheneCell,
    /// Which of the three in-plane orientations (0, 1, 2: rotated by 0, 120,
    /// 240 degrees).
    pub orientation: u8,
    /// Target M-N distance of the out-of-plane MN3 motif (Å).
    #[serde(rename = "mn3_distance_angstrom")]
    pub mn3_distance: f64,
    /// Freeze atoms farther than this from every metal (Å).
    #[serde(rename = "fix_beyond_angstrom")]
    pub fix_beyond: Option<f64>,
    /// Accept sites closer than 12 Å to their periodic images.
    pub allow_small: bool,
    /// A reaction intermediate on the site.
    pub adsorbate: Option<AdsorbateSpec>,
    /// Selective dynamics by bonds: the metals, the adsorbate and this many
    /// bonded shells around the metals relax, the rest is fixed (default
    /// [`DEFAULT_FREE_SHELLS`] with an adsorbate, off without).
    pub free_shells: Option<usize>,
}

fn serialize_motif<S: serde::Serializer>(m: &Motif, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(m.name())
}

impl ModelSpec {
    /// A motif with its metals in the default 6x6 hexagonal cell.
    pub fn new(motif: Motif, metals: Vec<Element>) -> ModelSpec {
        let name = match motif {
            Motif::Pristine => "graphene".to_string(),
            _ => format!(
                "{}-{}",
                metals.iter().map(|e| e.symbol()).collect::<String>(),
                motif.name()
            ),
        };
        ModelSpec {
            name,
            preset: None,
            motif,
            metals,
            cell: GrapheneCell::hexagonal(6, 6),
            orientation: 0,
            mn3_distance: DEFAULT_MN3_DISTANCE,
            fix_beyond: None,
            allow_small: false,
            adsorbate: None,
            free_shells: None,
        }
    }

    /// The spec of a named preset (6x6 hexagonal cell: every preset's metals
    /// are >= 12.3 Å from the periodic images of their site).
    pub fn from_preset(preset: Preset) -> ModelSpec {
        ModelSpec {
            name: preset.name.to_string(),
            preset: Some(preset.name.to_string()),
            ..ModelSpec::new(preset.motif, preset.metals.to_vec())
        }
    }

    fn validate(&self) -> Result<()> {
        self.cell.validate()?;
        if self.cell.n.saturating_mul(self.cell.m) > MAX_MODEL_CELLS {
            let side = (MAX_MODEL_CELLS as f64).sqrt() as usize;
            return Err(Error::invalid(
                format!(
                    "--{}",
                    if self.cell.shape == CellShape::Hexagonal {
                        "cell"
                    } else {
                        "rect"
                    }
                ),
                format!(
                    "{}x{} is {} primitive cells; a DFT model holds at most {MAX_MODEL_CELLS} (e.g. {side}x{side}); large areas are `sacsim sample`",
                    self.cell.n,
                    self.cell.m,
                    self.cell.n.saturating_mul(self.cell.m)
                ),
            ));
        }
        let want = self.motif.metal_count();
        if self.metals.len() != want {
            let hint = match want {
                0 => "give no --metals".to_string(),
                1 => "e.g. --metals Co".to_string(),
                _ => "e.g. --metals Co,Mn".to_string(),
            };
            return Err(Error::invalid(
                "--metals",
                format!(
                    "motif {} holds {want} metal(s), got {} ({hint})",
                    self.motif,
                    self.metals.len()
                ),
            ));
        }
        if let Some(e) = self.metals.iter().find(|e| !e.is_metal()) {
            return Err(Error::invalid("--metals", format!("{e} is not a metal")));
        }
        if self.orientation > 2 {
            return Err(Error::invalid(
                "--orientation",
                format!("{}; valid: 0, 1, 2", self.orientation),
            ));
        }
        let cc = self.cell.a / 3f64.sqrt();
        if self.motif == Motif::MN3 && !(self.mn3_distance > cc && self.mn3_distance < 3.0) {
            return Err(Error::invalid(
                "--mn3-distance",
                format!(
                    "{} Å; the metal sits above the vacancy, so it must exceed the in-plane distance {cc:.3} Å and stay below 3 Å",
                    self.mn3_distance
                ),
            ));
        }
        if let Some(r) = self.fix_beyond {
            if !(r >= 0.0 && r.is_finite()) {
                return Err(Error::invalid(
                    "--fix-beyond",
                    format!("{r} Å; give a distance >= 0"),
                ));
            }
            if self.free_shells.is_some() {
                return Err(Error::invalid(
                    "--fix-beyond",
                    "give either --fix-beyond or --free-shells, not both",
                ));
            }
            if self.metals.is_empty() {
                return Err(Error::invalid(
                    "--fix-beyond",
                    "the model has no metal to measure from",
                ));
            }
        }
        if self.free_shells.is_some() && self.metals.is_empty() {
            return Err(Error::invalid(
                "--free-shells",
                "the model has no metal to count shells from",
            ));
        }
        if self.adsorbate.is_some() && self.metals.is_empty() {
            return Err(Error::invalid(
                "--adsorbate",
                "pristine graphene has no metal site to adsorb on",
            ));
        }
        Ok(())
    }

    /// The selective-dynamics rule in force: shells by bonds, if any.
    fn shells(&self) -> Option<usize> {
        match (self.fix_beyond, self.free_shells, self.adsorbate) {
            (Some(_), _, _) => None,
            (None, Some(n), _) => Some(n),
            (None, None, Some(_)) => Some(DEFAULT_FREE_SHELLS),
            (None, None, None) => None,
        }
    }
}

/// A built model.
#[derive(Debug, Clone)]
pub struct Model {
    /// The structure, species grouped by ascending Z, positions wrapped.
    pub structure: Structure,
    /// The specification it was built from.
    pub spec: ModelSpec,
}

impl Model {
    /// Indices of the metal atoms in [`Model::structure`].
    pub fn metal_indices(&self) -> Vec<usize> {
        self.structure.metal_indices()
    }
}

/// Most primitive cells in a model: 250,000 (500,000 atoms, 500x500).
pub const MAX_MODEL_CELLS: usize = 250_000;

/// Build and check a model. A cell too small for the motif is refused with
/// the smallest cell of the same shape that works; `allow_small` accepts
/// sites closer than 12 Å to their images, but never overlapping atoms.
pub fn build_model(spec: &ModelSpec) -> Result<Model> {
    spec.validate()?;
    let problem = match assemble(spec, &spec.cell) {
        Ok(structure) => match image_problem(&structure) {
            Some(reason) if !spec.allow_small => reason,
            _ => return finish(structure, spec),
        },
        Err(reason) => reason,
    };
    Err(Error::CellTooSmall {
        cell: spec.cell.option(),
        motif: spec.motif.name().to_string(),
        reason: problem,
        smallest: smallest_cell(spec)
            .map_or_else(|| "none up to 40x40".to_string(), |c| c.option()),
    })
}

/// Add the adsorbate, freeze atoms by the selective-dynamics rule and sort
/// species.
fn finish(mut structure: Structure, spec: &ModelSpec) -> Result<Model> {
    let substrate = structure.len();
    if let Some(ads) = &spec.adsorbate {
        structure = adsorb(&structure, ads, spec.cell.vacuum)?;
    }
    let free: Option<Vec<bool>> = if let Some(r) = spec.fix_beyond {
        let metals = structure.metal_indices();
        Some(
            (0..structure.len())
                .map(|i| i >= substrate || metals.iter().any(|&m| structure.distance(i, m) <= r))
                .collect(),
        )
    } else {
        spec.shells().map(|n| {
            let mut free = bonded_shells(&structure, n);
            free[substrate..].iter_mut().for_each(|f| *f = true);
            free
        })
    };
    if let Some(free) = free {
        for (atom, free) in structure.atoms.iter_mut().zip(free) {
            atom.free = [free; 3];
        }
    }
    structure.sort_species();
    // A DFT cell: periodic in 3D with a vacuum gap, as VASP sees the
    // POSCAR and ASE/pymatgen read the POSCAR and CIF; the extended XYZ
    // says the same (one convention across formats).
    structure.pbc = [true; 3];
    Ok(Model {
        structure,
        spec: spec.clone(),
    })
}

/// Atoms within `shells` bonds of a metal (metals are shell 0). Two atoms
/// are bonded when closer than 1.1 x the sum of their covalent radii (C-C
/// 1.67, Co-N 2.17, Mn-C 2.37 Å: below the 2.46 Å of graphene second
/// neighbours, so a metal on a lattice site does not "bond" to them).
pub fn bonded_shells(structure: &Structure, shells: usize) -> Vec<bool> {
    let mut within = vec![false; structure.len()];
    let mut front = structure.metal_indices();
    front.iter().for_each(|&m| within[m] = true);
    for _ in 0..shells {
        let mut next = Vec::new();
        for &i in &front {
            let ei = structure.atoms[i].element;
            for n in structure.neighbors_within(i, 3.0) {
                let ej = structure.atoms[n.index].element;
                let bond = 1.1 * (ei.covalent_radius() + ej.covalent_radius());
                if !within[n.index] && n.distance < bond {
                    within[n.index] = true;
                    next.push(n.index);
                }
            }
        }
        front = next;
    }
    within
}

/// The smallest cell of the requested shape (fewest atoms, then most
/// square) in which the model builds and passes the image check.
fn smallest_cell(spec: &ModelSpec) -> Option<GrapheneCell> {
    let mut sizes: Vec<(usize, usize)> = (1..=40)
        .flat_map(|n| (1..=40).map(move |m| (n, m)))
        .collect();
    sizes.sort_by_key(|&(n, m)| (n * m, n.abs_diff(m), n));
    sizes
        .into_iter()
        .map(|(n, m)| spec.cell.with_size(n, m))
        .find(|cell| assemble(spec, cell).is_ok_and(|s| image_problem(&s).is_none()))
}

/// Apply the motif to a pristine sheet; Err(reason) if the recipe does not
/// fit the cell (sites wrap onto each other) or atoms overlap.
fn assemble(spec: &ModelSpec, cell: &GrapheneCell) -> std::result::Result<Structure, String> {
    let mut sheet = cell.sheet();
    sheet.title = spec.name.clone();
    let resolved = resolve_site(
        cell,
        &SitePlacement {
            motif: spec.motif,
            metals: &spec.metals,
            orientation: spec.orientation,
            anchor: cell.central_cell(),
            mn3_distance: spec.mn3_distance,
            up: 1.0,
        },
    )?;
    let z_sheet = Vector3::new(0.0, 0.0, cell.vacuum / 2.0);
    for &k in &resolved.nitrogen {
        sheet.atoms[k].element = Element::N;
        sheet.atoms[k].site = 1;
    }
    let metals = resolved.metals.iter().map(|&(element, position)| Atom {
        site: 1,
        ..Atom::new(element, position + z_sheet)
    });
    let removed = &resolved.removed;
    let mut keep = vec![true; sheet.len()];
    removed.iter().for_each(|&k| keep[k] = false);
    let mut atoms: Vec<_> = sheet
        .atoms
        .into_iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(a, _)| a)
        .collect();
    atoms.extend(metals);

    let mut structure = Structure {
        atoms,
        lattice: cell.lattice(1.0),
        ..sheet
    };
    centre_in_vacuum(&mut structure, cell.vacuum);

    if let Some(reason) = overlap_problem(&structure) {
        return Err(reason);
    }
    Ok(structure)
}

/// Centre a slab (in-plane lattice vectors with no z part) in its vacuum:
/// c = vacuum + thickness along z, mid-plane at c/2, atoms wrapped.
pub(super) fn centre_in_vacuum(structure: &mut Structure, vacuum: f64) {
    let (zmin, zmax) = structure
        .atoms
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), a| {
            (lo.min(a.position.z), hi.max(a.position.z))
        });
    let c = (vacuum + (zmax - zmin)).max(1e-3);
    let dz = c / 2.0 - (zmin + zmax) / 2.0;
    structure.atoms.iter_mut().for_each(|a| a.position.z += dz);
    let [u, v, _] = structure.lattice.to_array();
    structure.lattice = Lattice::new([u, v, [0.0, 0.0, c]]).expect("slab cell with c > 0");
    structure.wrap();
}

/// Any atom closer to a metal than 70 % of their covalent radii? The
/// graphene part keeps its ideal geometry, so only metals can overlap.
/// Checked fully periodic (the DFT cell repeats along z too).
fn overlap_problem(structure: &Structure) -> Option<String> {
    if structure.metal_indices().is_empty() {
        return None;
    }
    let mut periodic = structure.clone();
    periodic.pbc = [true; 3];
    for m in periodic.metal_indices() {
        let em = periodic.atoms[m].element;
        for n in periodic.neighbors_within(m, 4.0) {
            let en = periodic.atoms[n.index].element;
            let limit = OVERLAP_FRACTION * (em.covalent_radius() + en.covalent_radius());
            if n.distance < limit {
                return Some(format!(
                    "atoms overlap ({em} and {en} {:.3} Å apart, below {limit:.2} Å)",
                    n.distance
                ));
            }
        }
    }
    None
}

/// Smallest distance (Å) from a metal to a metal of a periodic image of its
/// site; infinity without metals.
pub fn site_image_distance(structure: &Structure) -> f64 {
    let metals = structure.metal_indices();
    let cutoff = MIN_SITE_IMAGE_DISTANCE + 10.0;
    metals
        .iter()
        .filter_map(|&m| structure.nearest_periodic_image(m, &metals, cutoff))
        .map(|n| n.distance)
        .fold(f64::INFINITY, f64::min)
}

fn image_problem(structure: &Structure) -> Option<String> {
    let d = site_image_distance(structure);
    (d < MIN_SITE_IMAGE_DISTANCE).then(|| {
        format!("a metal is {d:.2} Å from a periodic image of its site (minimum {MIN_SITE_IMAGE_DISTANCE} Å)")
    })
}
