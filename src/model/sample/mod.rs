//! Large-area samples: a rectangular N-doped graphene sheet (up to hundreds
//! of nm) with thousands of dispersed metal sites, optional N doping and
//! vacancies, a carbon support underneath, and the exact ground truth of
//! every site.
//!
//! ```
//! use sacsim::model::sample::{SampleSpec, build_sample};
//!
//! let spec = SampleSpec { size_nm: [5.0, 5.0], density: 0.4, seed: 7, ..SampleSpec::default() };
//! let sample = build_sample(&spec).unwrap();
//! assert_eq!(sample.sites.len(), 10); // 0.4 /nm² x 25 nm²
//! ```
//!
//! Geometry (z up): `[bottom sheet] 3.35 Å [support] 3.35 Å [top sheet]`;
//! without a support the two faces are 3.35 Å apart. An amorphous support
//! may be shaped (wedge, rod, random thickness field; see [`shape`]): the
//! sheets and their sites then follow its surfaces. MN3 metals are lifted
//! away from the support on both faces. The box is periodic in x and y
//! (the sheet is the rectangular graphene cell closest to the requested
//! size) and gets `vacuum` Å of empty space along z.
//!
//! Randomness: one seed. Each stage draws from its own ChaCha8 stream of
//! that seed (placement, doping, support, support shape), so the same seed gives the same
//! sample on any number of threads, and changing the support does not move
//! the sites.

mod doping;
mod heights;
mod kind;
mod placement;
pub mod shape;
mod spec;
mod support;

pub use doping::DefectCounts;
pub use kind::{Mix, MixEntry, SiteKind, allocate, parse_mix, validate_mix};
pub use placement::{JAMMING_COVERAGE, PlacementMode};
pub use shape::{ShapeChoice, SupportShape};
pub use spec::{DEFAULT_MIX, INTERLAYER, SampleSpec, Support, default_min_separation, max_density};
pub use support::{CARBON_ATOMS_PER_A3_PER_G_CM3, MIN_DISTANCE as SUPPORT_MIN_DISTANCE};

use nalgebra::Vector3;
use rand::seq::SliceRandom;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::Motif;
use crate::structure::{Atom, Element, Lattice, Structure};
use crate::values::{ANGSTROM2_PER_NM2, angstrom_to_nm};

use doping::SheetState;
use heights::Heights;
use placement::{Request, box_size, place};

/// Which sheet a site sits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Face {
    /// The top sheet (towards +z, the probe side).
    Top,
    /// The sheet under the support.
    Bottom,
}

impl Face {
    /// `top` or `bottom`.
    pub fn name(self) -> &'static str {
        match self {
            Face::Top => "top",
            Face::Bottom => "bottom",
        }
    }
}

/// One metal of a site in the final structure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetalRecord {
    /// Element.
    pub element: Element,
    /// Cartesian position (Å), wrapped into the box.
    pub position: [f64; 3],
    /// Index of the atom in the sample structure.
    pub atom_index: usize,
}

/// The ground truth of one site.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteRecord {
    /// Site id, 1-based; atoms of the site carry it as their tag.
    pub id: u32,
    /// Kind name from the mix, e.g. `l-comn`.
    pub kind: String,
    /// Motif.
    #[serde(serialize_with = "motif_name")]
    pub motif: Motif,
    /// Orientation 0-2 (x 120°).
    pub orientation: u8,
    /// Face.
    pub face: Face,
    /// Anchor lattice cell (i, j) of the recipe.
    pub anchor: (i64, i64),
    /// The metals.
    pub metals: Vec<MetalRecord>,
}

fn motif_name<S: serde::Serializer>(m: &Motif, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(m.name())
}

/// A built sample.
#[derive(Debug, Clone)]
pub struct Sample {
    /// All atoms: top sheet, top metals, support, bottom sheet, bottom metals.
    pub structure: Structure,
    /// Ground truth of every site, by id.
    pub sites: Vec<SiteRecord>,
    /// In-plane box (Å).
    pub box_angstrom: [f64; 2],
    /// Defects made per face.
    pub defects: Vec<DefectCounts>,
    /// The min separation used (Å).
    pub min_separation: f64,
    /// The specification.
    pub spec: SampleSpec,
}

/// Build a sample.
pub fn build_sample(spec: &SampleSpec) -> Result<Sample> {
    build_sample_on(spec, None)
}

/// Build a sample whose amorphous support follows `map` (a measured
/// thickness profile, see [`shape::Profile::from_map`]) instead of the
/// spec's shape; the spec must have an amorphous support.
pub fn build_sample_on(spec: &SampleSpec, map: Option<shape::Profile>) -> Result<Sample> {
    spec.validate()?;
    let cell = spec.cell();
    let b = box_size(&cell);
    let area_nm2 = b[0] * b[1] / ANGSTROM2_PER_NM2;
    let n_faces = if spec.both_faces { 2 } else { 1 };
    let heights = Heights::new(spec, b, n_faces, map);
    // Density is per nm² of the area the sheets cover (all of it but a rod's
    // surroundings).
    let n_sites = (spec.density * area_nm2 * heights.sheet_fraction()).round() as usize;
    let sep = spec.separation();

    // Fail fast above what random sequential placement can reach.
    let d_excl = match spec.placement {
        PlacementMode::Random => sep,
        PlacementMode::Clustered { distance, .. } => distance,
    };
    // A site must not meet its own periodic image: each side at least
    // 2 nm and twice the exclusion distance plus the widest site.
    let span = spec
        .mix
        .iter()
        .map(|m| m.kind.motif.metal_span(spec.a))
        .fold(0.0, f64::max);
    let min_side = (2.0 * (d_excl + span)).max(20.0);
    if b[0] < min_side || b[1] < min_side {
        return Err(Error::invalid(
            "--size",
            format!(
                "{}x{} nm is too small; the smallest sample for this mix and separation is {:.1}x{:.1} nm",
                spec.size_nm[0],
                spec.size_nm[1],
                angstrom_to_nm(min_side),
                angstrom_to_nm(min_side)
            ),
        ));
    }
    let rho_max = max_density(&spec.mix, spec.a, d_excl) * n_faces as f64;
    let too_dense = |placed: Option<usize>| {
        let got = placed.map_or(String::new(), |p| {
            format!(" (placed {p} of {n_sites} before running out of room)")
        });
        Error::invalid(
            "--density",
            format!(
                "{} sites/nm² cannot be placed at a separation of {d_excl:.2} Å on {:.1} x {:.1} nm{got}; the largest achievable density is about {:.3} sites/nm²",
                spec.density,
                angstrom_to_nm(b[0]),
                angstrom_to_nm(b[1]),
                0.8 * rho_max
            ),
        )
    };
    if spec.density > 0.8 * rho_max {
        return Err(too_dense(None));
    }

    // Kinds in exact proportion, faces in exact halves, both shuffled.
    let kinds: Vec<SiteKind> = spec.mix.iter().map(|m| m.kind.clone()).collect();
    let mut rng = spec.rng(1);
    let mut order: Vec<usize> = allocate(&spec.mix, n_sites)
        .iter()
        .enumerate()
        .flat_map(|(k, &c)| std::iter::repeat_n(k, c))
        .collect();
    order.shuffle(&mut rng);
    let mut faces: Vec<usize> = (0..n_sites)
        .map(|s| usize::from(n_faces == 2 && s >= n_sites.div_ceil(2)))
        .collect();
    faces.shuffle(&mut rng);
    let req = Request {
        cell: &cell,
        kinds: &kinds,
        order: &order,
        faces: &faces,
        n_faces,
        min_separation: sep,
        mode: spec.placement,
        mn3_distance: spec.mn3_distance,
        acceptance: &|face, x, y| heights.site_acceptance(face, x, y),
    };
    let placed = place(&req, &mut rng).map_err(|p| too_dense(Some(p)))?;

    // Sheets: sites, then defects on the free lattice.
    let sheet = cell.sheet();
    let mut states: Vec<SheetState> = (0..n_faces)
        .map(|_| SheetState::new(cell.atom_count()))
        .collect();
    // Lattice beyond a rod's edges is not built: no defects there.
    let mut on_sheet = cell.atom_count();
    for (face, st) in states.iter_mut().enumerate() {
        for (k, atom) in sheet.atoms.iter().enumerate() {
            if heights
                .sheet(face, atom.position.x, atom.position.y)
                .is_none()
            {
                st.touched[k] = true;
                st.removed[k] = true;
            }
        }
        on_sheet = st.removed.iter().filter(|r| !**r).count();
    }
    for p in &placed {
        let st = &mut states[p.face];
        p.resolved
            .removed
            .iter()
            .for_each(|&k| st.removed[k] = true);
        p.resolved
            .nitrogen
            .iter()
            .for_each(|&k| st.nitrogen[k] = true);
        st.touch(&cell, p.resolved.footprint());
    }
    let want = doping::defect_targets(
        on_sheet,
        spec.n_doping_percent,
        spec.pyridinic_fraction,
        spec.vacancies_percent,
    );
    let mut rng = spec.rng(2);
    let mut defects = Vec::with_capacity(n_faces);
    for st in states.iter_mut() {
        let got = doping::dope(&cell, st, want, &mut rng).map_err(|got| {
            let lattice = on_sheet as f64;
            Error::invalid(
                "--n-doping/--vacancies",
                format!(
                    "{} % N and {} % vacancies do not fit beside the sites (defects may not touch sites or each other); placed {:.2} % N and {:.2} % vacancies",
                    spec.n_doping_percent,
                    spec.vacancies_percent,
                    100.0 * (got.graphitic_n + got.pyridinic_n) as f64 / lattice,
                    100.0 * got.vacancies as f64 / lattice
                ),
            )
        })?;
        defects.push(got);
    }

    let mut atoms: Vec<Atom> = Vec::with_capacity(sheet.len() * n_faces + placed.len() * 2);
    let mut sites: Vec<SiteRecord> = Vec::with_capacity(placed.len());
    let mut support_atoms = heights.support_atoms(spec, b)?;
    for (face, st) in states.iter().enumerate() {
        // A site's N carry its id as their tag, like its metals.
        let mut tag = vec![0u32; sheet.len()];
        for (s, p) in placed.iter().enumerate().filter(|(_, p)| p.face == face) {
            p.resolved
                .nitrogen
                .iter()
                .for_each(|&k| tag[k] = s as u32 + 1);
        }
        for (k, atom) in sheet.atoms.iter().enumerate() {
            let Some(z) = heights.sheet(face, atom.position.x, atom.position.y) else {
                continue;
            };
            if st.removed[k] {
                continue;
            }
            let element = if st.nitrogen[k] {
                Element::N
            } else {
                Element::C
            };
            atoms.push(Atom {
                site: tag[k],
                ..Atom::new(element, Vector3::new(atom.position.x, atom.position.y, z))
            });
        }
        for (s, p) in placed.iter().enumerate().filter(|(_, p)| p.face == face) {
            let id = s as u32 + 1;
            let mut metals = Vec::new();
            for &(element, m) in &p.resolved.metals {
                let (x, y) = (m.x.rem_euclid(b[0]), m.y.rem_euclid(b[1]));
                let z = heights
                    .sheet(face, x, y)
                    .expect("sites are placed on the sheet");
                let pos = Vector3::new(x, y, z + m.z);
                metals.push(MetalRecord {
                    element,
                    position: [pos.x, pos.y, pos.z],
                    atom_index: atoms.len(),
                });
                atoms.push(Atom {
                    site: id,
                    ..Atom::new(element, pos)
                });
            }
            sites.push(SiteRecord {
                id,
                kind: kinds[p.kind].name.clone(),
                motif: kinds[p.kind].motif,
                orientation: p.orientation,
                face: if face == 0 { Face::Top } else { Face::Bottom },
                anchor: p.anchor,
                metals,
            });
        }
        if face == 0 {
            atoms.append(&mut support_atoms);
        }
    }
    sites.sort_by_key(|s| s.id);

    // Centre in z with the vacuum.
    let (zmin, zmax) = atoms.iter().fold((f64::MAX, f64::MIN), |(lo, hi), a| {
        (lo.min(a.position.z), hi.max(a.position.z))
    });
    let c = (zmax - zmin) + spec.vacuum;
    let dz = c / 2.0 - (zmin + zmax) / 2.0;
    atoms.iter_mut().for_each(|a| a.position.z += dz);
    sites
        .iter_mut()
        .flat_map(|s| s.metals.iter_mut())
        .for_each(|m| m.position[2] += dz);
    let lattice = Lattice::new([[b[0], 0.0, 0.0], [0.0, b[1], 0.0], [0.0, 0.0, c.max(1.0)]])?;
    let structure = Structure {
        title: format!("sacsim sample seed {}", spec.seed),
        lattice,
        pbc: [true, true, false],
        atoms,
    };
    Ok(Sample {
        structure,
        sites,
        box_angstrom: b,
        defects,
        min_separation: sep,
        spec: spec.clone(),
    })
}
