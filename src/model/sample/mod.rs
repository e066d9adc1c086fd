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
//! without a support the two faces are 3.35 Å apart. MN3 metals are lifted
//! away from the support on both faces. The box is periodic in x and y
//! (the sheet is the rectangular graphene cell closest to the requested
//! size) and gets `vacuum` Å of empty space along z.
//!
//! Randomness: one seed. Each stage draws from its own ChaCha8 stream of
//! that seed (placement, doping, support), so the same seed gives the same
//! sample on any number of threads, and changing the support does not move
//! the sites.

mod doping;
mod kind;
mod placement;
mod support;

pub use doping::DefectCounts;
pub use kind::{Mix, MixEntry, SiteKind, allocate, parse_mix, validate_mix};
pub use placement::{JAMMING_COVERAGE, PlacementMode};
pub use support::{CARBON_ATOMS_PER_A3_PER_G_CM3, MIN_DISTANCE as SUPPORT_MIN_DISTANCE};

use nalgebra::Vector3;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::{GrapheneCell, Motif, SitePlacement, resolve_site};
use crate::structure::{Atom, Element, Lattice, Structure};
use crate::values::{ANGSTROM2_PER_NM2, angstrom_to_nm, nm_to_angstrom, short};

use doping::SheetState;
use placement::{Request, box_size, place};

/// Memory per atom while a sample is built and written (bytes): the
/// structure, the owner tables and the rendered files; measured 163 bytes
/// per atom at 1.3 M atoms, with a margin.
const BYTES_PER_ATOM: f64 = 250.0;

/// Interlayer distance between the sheets and the support (Å).
pub const INTERLAYER: f64 = 3.35;

/// The carbon under the sheet.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "lowercase", tag = "kind")]
pub enum Support {
    /// No support: a free-standing sheet.
    None,
    /// Random amorphous carbon.
    Amorphous {
        /// Slab thickness (nm).
        thickness_nm: f64,
        /// Mass density (g/cm³).
        density_g_cm3: f64,
    },
    /// Turbostratic graphene layers 3.35 Å apart, randomly rotated.
    Layers {
        /// Number of layers.
        count: usize,
    },
}

/// Everything that defines a sample; serialised into `params.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SampleSpec {
    /// Requested area x, y (nm); the sheet is the nearest whole rectangular
    /// graphene cell.
    pub size_nm: [f64; 2],
    /// Graphene lattice constant (Å).
    #[serde(rename = "a_angstrom")]
    pub a: f64,
    /// Sites per nm² of projected area (all faces together).
    #[serde(rename = "density_per_nm2")]
    pub density: f64,
    /// Site kinds and their fractions.
    pub mix: Vec<MixEntry>,
    /// Minimum in-plane distance between metals of different sites (Å);
    /// `None`: the smallest that keeps sites from sharing or bonding atoms.
    #[serde(rename = "min_separation_angstrom")]
    pub min_separation: Option<f64>,
    /// Random or clustered placement.
    pub placement: PlacementMode,
    /// N doping of the free lattice (at.% of sheet lattice atoms).
    pub n_doping_percent: f64,
    /// Share of the doped N that is pyridinic (rest graphitic).
    pub pyridinic_fraction: f64,
    /// Extra carbon vacancies (at.% of sheet lattice atoms).
    pub vacancies_percent: f64,
    /// The support.
    pub support: Support,
    /// Sites on both faces (a second N-doped sheet under the support).
    pub both_faces: bool,
    /// Target M-N distance of MN3 sites (Å).
    #[serde(rename = "mn3_distance_angstrom")]
    pub mn3_distance: f64,
    /// Vacuum along z (Å).
    #[serde(rename = "vacuum_angstrom")]
    pub vacuum: f64,
    /// The seed of every random choice.
    pub seed: u64,
}

/// The paper's L-Co1Mn1-NC composition: 67 % CoN3-MnN3 pairs, the rest
/// single CoN4 and MnN4.
pub const DEFAULT_MIX: &str = "l-comn:0.67,co-n4:0.17,mn-n4:0.16";

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

/// Largest in-plane distance from a site's lattice atoms to its nearest own
/// metal (Å): the reach of a site.
fn site_reach(kind: &SiteKind, a: f64, mn3_distance: f64) -> f64 {
    let cell = GrapheneCell {
        a,
        ..GrapheneCell::hexagonal(16, 16)
    };
    let p = SitePlacement {
        motif: kind.motif,
        metals: &kind.metals,
        orientation: 0,
        anchor: (8, 8),
        mn3_distance,
        up: 1.0,
    };
    let r = resolve_site(&cell, &p).expect("a 16x16 cell holds any motif");
    let sites: Vec<_> = r
        .footprint()
        .map(|k| cell.site_position(cell.site_of(k)))
        .collect();
    sites
        .iter()
        .map(|s| {
            // Footprint atoms wrap in the 16x16 cell; the recipe is compact,
            // so take the nearest periodic copy.
            r.metals
                .iter()
                .map(|(_, m)| {
                    let [u, v] = cell.in_plane_vectors();
                    let mut best = f64::MAX;
                    for du in -1..=1 {
                        for dv in -1..=1 {
                            let d = s + u * du as f64 + v * dv as f64 - m;
                            best = best.min((d.x * d.x + d.y * d.y).sqrt());
                        }
                    }
                    best
                })
                .fold(f64::MAX, f64::min)
        })
        .fold(0.0, f64::max)
}

/// The default minimum separation for a mix: metals of different sites
/// farther apart than 2 x reach + one C-C bond can share no atom and have
/// no bonded atoms (MN4: 2 x 1.879 + 1.420 = 5.18 Å, plus 0.01).
pub fn default_min_separation(mix: &[MixEntry], a: f64, mn3_distance: f64) -> f64 {
    let reach = mix
        .iter()
        .map(|m| site_reach(&m.kind, a, mn3_distance))
        .fold(0.0, f64::max);
    2.0 * reach + a / 3f64.sqrt() + 0.01
}

/// The densest packing random sequential placement reaches (sites per nm²
/// of one face): jamming coverage 0.547 of the exclusion area, which for a
/// site is the union of disks of diameter `d` around its metals.
pub fn max_density(mix: &[MixEntry], a: f64, d: f64) -> f64 {
    let r = d / 2.0;
    let mean_area: f64 = mix
        .iter()
        .map(|m| {
            let s = m.kind.motif.metal_span(a);
            let disk = std::f64::consts::PI * r * r;
            let area = if s == 0.0 {
                disk
            } else if s >= 2.0 * r {
                2.0 * disk
            } else {
                // Two disks minus their lens: 2r²acos(s/2r) - (s/2)√(4r² - s²).
                let lens =
                    2.0 * r * r * (s / (2.0 * r)).acos() - s / 2.0 * (4.0 * r * r - s * s).sqrt();
                2.0 * disk - lens
            };
            m.fraction * area
        })
        .sum();
    JAMMING_COVERAGE / mean_area * ANGSTROM2_PER_NM2
}

impl SampleSpec {
    /// Check every parameter and that the sample fits in memory.
    pub fn validate(&self) -> Result<()> {
        let [x, y] = self.size_nm;
        if !(x > 0.0 && y > 0.0 && x <= 2000.0 && y <= 2000.0) {
            return Err(Error::invalid(
                "--size",
                format!(
                    "{}x{} nm; give two positive sizes up to 2000 nm, e.g. 20x20",
                    short(x),
                    short(y)
                ),
            ));
        }
        if !(2.0..=3.0).contains(&self.a) {
            return Err(Error::invalid(
                "--a",
                format!("{} Å; use 2.0-3.0 Å (graphene: 2.46)", short(self.a)),
            ));
        }
        if !(self.density >= 0.0 && self.density.is_finite()) {
            return Err(Error::invalid(
                "--density",
                format!("{}; give sites per nm² >= 0", short(self.density)),
            ));
        }
        validate_mix(&self.mix)?;
        if let Some(d) = self.min_separation
            && !(d >= 0.0 && d.is_finite())
        {
            return Err(Error::invalid(
                "--min-separation",
                format!("{} Å; give a distance >= 0", short(d)),
            ));
        }
        if let PlacementMode::Clustered { fraction, distance } = self.placement {
            if !(0.0..=1.0).contains(&fraction) {
                return Err(Error::invalid(
                    "--cluster-fraction",
                    format!("{}; give a fraction in 0-1", short(fraction)),
                ));
            }
            let sep = self.separation();
            if distance.is_nan() || distance <= sep {
                return Err(Error::invalid(
                    "--cluster-distance",
                    format!(
                        "{} Å; it must exceed the minimum separation {sep:.2} Å",
                        short(distance)
                    ),
                ));
            }
        }
        for (name, v, hi) in [
            ("--n-doping", self.n_doping_percent, 50.0),
            ("--vacancies", self.vacancies_percent, 50.0),
            (
                "--pyridinic-fraction",
                self.pyridinic_fraction * 100.0,
                100.0,
            ),
        ] {
            if !(v >= 0.0 && v <= hi) {
                return Err(Error::invalid(name, format!("{}; give 0-{hi}", short(v))));
            }
        }
        match self.support {
            Support::Amorphous {
                thickness_nm,
                density_g_cm3,
            } => {
                if !(thickness_nm > 0.0 && thickness_nm <= 100.0) {
                    return Err(Error::invalid(
                        "--support-thickness",
                        format!("{} nm; give 0-100 nm", short(thickness_nm)),
                    ));
                }
                if !(0.1..=3.0).contains(&density_g_cm3) {
                    return Err(Error::invalid(
                        "--support-density",
                        format!(
                            "{density_g_cm3} g/cm³; give 0.1-3.0 (amorphous carbon: about 2.0)"
                        ),
                    ));
                }
            }
            Support::Layers { count } if count == 0 || count > 300 => {
                return Err(Error::invalid(
                    "--support",
                    format!("layers:{count}; give 1-300 layers"),
                ));
            }
            _ => {}
        }
        if !(self.vacuum >= 1.0 && self.vacuum <= 1000.0) {
            return Err(Error::invalid(
                "--vacuum",
                format!("{} Å; give 1-1000", short(self.vacuum)),
            ));
        }
        self.check_size()
    }

    /// Atoms the sample will hold (sheets and support), estimated before
    /// anything is built.
    pub fn estimated_atoms(&self) -> f64 {
        let area = nm_to_angstrom(self.size_nm[0]) * nm_to_angstrom(self.size_nm[1]);
        // Graphene: 4 atoms per a x a√3 rectangle.
        let sheet = 4.0 * area / (self.a * self.a * 3f64.sqrt());
        let faces = if self.both_faces { 2.0 } else { 1.0 };
        let support = match self.support {
            Support::None => 0.0,
            Support::Amorphous {
                thickness_nm,
                density_g_cm3,
            } => {
                density_g_cm3 * CARBON_ATOMS_PER_A3_PER_G_CM3 * area * nm_to_angstrom(thickness_nm)
            }
            Support::Layers { count } => count as f64 * sheet,
        };
        faces * sheet + support
    }

    /// Refuse a sample that would not fit in memory, with the largest
    /// square size that would.
    fn check_size(&self) -> Result<()> {
        let atoms = self.estimated_atoms();
        let [x, y] = self.size_nm;
        crate::limits::check_memory(
            "--size",
            &format!(
                "a {} x {} nm sample of about {} atoms",
                short(x),
                short(y),
                short(atoms.round())
            ),
            atoms * BYTES_PER_ATOM,
            |usable| {
                let f = (usable / (atoms * BYTES_PER_ATOM)).sqrt();
                format!(
                    "the largest that fits is about {} x {} nm (or a thinner support)",
                    short((x * f).floor()),
                    short((y * f).floor())
                )
            },
        )
    }

    /// The minimum separation in use (Å).
    pub fn separation(&self) -> f64 {
        self.min_separation
            .unwrap_or_else(|| default_min_separation(&self.mix, self.a, self.mn3_distance))
    }

    /// The rectangular sheet cell nearest the requested size.
    pub fn cell(&self) -> GrapheneCell {
        let n = ((nm_to_angstrom(self.size_nm[0]) / self.a).round() as usize).max(4);
        let m =
            ((nm_to_angstrom(self.size_nm[1]) / (self.a * 3f64.sqrt())).round() as usize).max(3);
        GrapheneCell {
            a: self.a,
            ..GrapheneCell::rectangular(n, m)
        }
    }

    fn rng(&self, stream: u64) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(stream);
        rng
    }
}

/// Build a sample.
pub fn build_sample(spec: &SampleSpec) -> Result<Sample> {
    spec.validate()?;
    let cell = spec.cell();
    let b = box_size(&cell);
    let area_nm2 = b[0] * b[1] / ANGSTROM2_PER_NM2;
    let n_faces = if spec.both_faces { 2 } else { 1 };
    let n_sites = (spec.density * area_nm2).round() as usize;
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
    };
    let placed = place(&req, &mut rng).map_err(|p| too_dense(Some(p)))?;

    // Sheets: sites, then defects on the free lattice.
    let mut states: Vec<SheetState> = (0..n_faces)
        .map(|_| SheetState::new(cell.atom_count()))
        .collect();
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
        cell.atom_count(),
        spec.n_doping_percent,
        spec.pyridinic_fraction,
        spec.vacancies_percent,
    );
    let mut rng = spec.rng(2);
    let mut defects = Vec::with_capacity(n_faces);
    for st in states.iter_mut() {
        let got = doping::dope(&cell, st, want, &mut rng).map_err(|got| {
            let lattice = cell.atom_count() as f64;
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

    // Heights: bottom sheet, support, top sheet.
    let support_thickness = match spec.support {
        Support::None => 0.0,
        Support::Amorphous { thickness_nm, .. } => nm_to_angstrom(thickness_nm),
        Support::Layers { count } => (count - 1) as f64 * INTERLAYER,
    };
    let has_support = spec.support != Support::None;
    let z_bottom = 0.0;
    let z_support = if n_faces == 2 { INTERLAYER } else { 0.0 };
    let z_top = if has_support {
        z_support + support_thickness + INTERLAYER
    } else if n_faces == 2 {
        INTERLAYER
    } else {
        0.0
    };
    let sheet_z = [z_top, z_bottom];

    let sheet = cell.sheet();
    let mut atoms: Vec<Atom> = Vec::with_capacity(sheet.len() * n_faces + placed.len() * 2);
    let mut sites: Vec<SiteRecord> = Vec::with_capacity(placed.len());
    let mut support_atoms = Vec::new();
    if has_support {
        let mut rng = spec.rng(3);
        support_atoms = match spec.support {
            Support::Amorphous {
                thickness_nm,
                density_g_cm3,
            } => support::amorphous(
                b,
                z_support,
                nm_to_angstrom(thickness_nm),
                density_g_cm3,
                &mut rng,
            )
            .map_err(|n| {
                Error::invalid(
                    "--support-density",
                    format!(
                        "{density_g_cm3} g/cm³ does not fit at 1.3 Å spacing (placed {n} atoms)"
                    ),
                )
            })?,
            Support::Layers { count } => (0..count)
                .flat_map(|k| {
                    support::graphene_layer(b, spec.a, z_support + k as f64 * INTERLAYER, &mut rng)
                })
                .collect(),
            Support::None => unreachable!(),
        };
    }
    for face in 0..n_faces {
        let z = sheet_z[face];
        let st = &states[face];
        // A site's N carry its id as their tag, like its metals.
        let mut tag = vec![0u32; sheet.len()];
        for (s, p) in placed.iter().enumerate().filter(|(_, p)| p.face == face) {
            p.resolved
                .nitrogen
                .iter()
                .for_each(|&k| tag[k] = s as u32 + 1);
        }
        for (k, atom) in sheet.atoms.iter().enumerate() {
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
                let pos = Vector3::new(m.x.rem_euclid(b[0]), m.y.rem_euclid(b[1]), z + m.z);
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
