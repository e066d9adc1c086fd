//! What defines a sample (`SampleSpec`, serialised into params.json),
//! its validation and the sizes derived from it before anything is built.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::{GrapheneCell, SitePlacement, resolve_site};
use crate::values::{ANGSTROM2_PER_NM2, nm_to_angstrom, short};

use super::kind::{MixEntry, SiteKind, validate_mix};
use super::placement::{JAMMING_COVERAGE, PlacementMode};
use super::shape::SupportShape;
use super::support::CARBON_ATOMS_PER_A3_PER_G_CM3;

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
    /// Random amorphous carbon of a given shape.
    Amorphous {
        /// Slab, wedge, rod or random thickness field.
        #[serde(flatten)]
        shape: SupportShape,
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
                shape,
                density_g_cm3,
            } => {
                let flag = match shape {
                    SupportShape::Slab { .. } => "--support-thickness",
                    _ => "--support-shape",
                };
                shape.validate(flag)?;
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
            // An upper bound: the area times the largest thickness.
            Support::Amorphous {
                shape,
                density_g_cm3,
            } => {
                density_g_cm3
                    * CARBON_ATOMS_PER_A3_PER_G_CM3
                    * area
                    * nm_to_angstrom(shape.max_thickness_nm())
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

    pub(super) fn rng(&self, stream: u64) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(stream);
        rng
    }
}
