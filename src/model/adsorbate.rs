//! Reaction intermediates on metal sites: a small library of adsorbates with
//! literature starting geometries, placed on a metal's top site or bridging
//! the two metals of a dual site, and the gas-phase reference molecules.
//!
//! Geometry sources (starting points for relaxation, not relaxed values):
//! gas-phase bond lengths and angles from NIST CCCBDB (experimental: CO
//! 1.128 Å; CO2 1.160 Å; H2 0.741 Å; H2O 0.958 Å, 104.5°; HCOOH C=O 1.202,
//! C-O 1.343, O-H 0.972 Å, O=C-O 124.9°, C-O-H 106.3°; H2O2 O-O 1.475 Å);
//! bent chemisorbed CO2δ− (C-O 1.25 Å, O-C-O 134°) from Freund & Roberts,
//! Surf. Sci. Rep. 25, 225 (1996); the CO2RR set (*COOH C-bound, *CO
//! C-bound) from Peterson et al., Energy Environ. Sci. 3, 1311 (2010); the
//! ORR set (*O, *OH, *OOH) from Nørskov et al., J. Phys. Chem. B 108, 17886
//! (2004). Metal-adsorbate distances are typical DFT values on MN4 sites
//! (M-C 1.80-2.00, M-O 1.65-1.90, M-H 1.55 Å); bridge distances are longer
//! (two bonds share the adsorbate).

use nalgebra::Vector3;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::structure::{Atom, Element, Lattice, Structure};

/// No adsorbate atom may come closer than this to a substrate atom (Å).
pub const MIN_SUBSTRATE_DISTANCE: f64 = 1.5;

/// Edge of the cubic box of the gas-phase reference molecules (Å).
pub const GAS_BOX: f64 = 20.0;

/// A reaction intermediate from the built-in library.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Adsorbate {
    /// Bent CO2δ−, C-bound (η1-C), both O pointing away from the sheet.
    CO2,
    /// Carboxyl, C-bound, planar, trans O-H.
    COOH,
    /// Carbon monoxide, C-bound, linear, upright.
    CO,
    /// Atomic hydrogen.
    H,
    /// Hydroxyl, O-bound, tilted.
    OH,
    /// Atomic oxygen (oxo).
    O,
    /// Hydroperoxyl, O-bound.
    OOH,
    /// Dinitrogen, end-on.
    N2,
}

/// One intramolecular bond of an adsorbate's reference geometry.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Bond {
    /// Atom indices within the adsorbate (0 = the binding atom).
    pub atoms: [usize; 2],
    /// Length (Å).
    pub length: f64,
}

/// One bond angle of an adsorbate's reference geometry; `atoms[1]` is the
/// vertex, and index `usize::MAX` stands for the metal (M-X-Y angles).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Angle {
    /// Atom indices (vertex in the middle); `METAL` for the metal.
    pub atoms: [usize; 3],
    /// Angle (degrees).
    pub degrees: f64,
}

/// Stand-in index for the (top-site) metal in [`Angle::atoms`].
pub const METAL: usize = usize::MAX;

impl Adsorbate {
    /// Every adsorbate of the library.
    pub const ALL: [Adsorbate; 8] = [
        Adsorbate::CO2,
        Adsorbate::COOH,
        Adsorbate::CO,
        Adsorbate::H,
        Adsorbate::OH,
        Adsorbate::O,
        Adsorbate::OOH,
        Adsorbate::N2,
    ];

    /// Formula as written on the command line and in directory names.
    pub fn name(self) -> &'static str {
        match self {
            Adsorbate::CO2 => "CO2",
            Adsorbate::COOH => "COOH",
            Adsorbate::CO => "CO",
            Adsorbate::H => "H",
            Adsorbate::OH => "OH",
            Adsorbate::O => "O",
            Adsorbate::OOH => "OOH",
            Adsorbate::N2 => "N2",
        }
    }

    /// Parse a name (case-insensitive, leading `*` allowed).
    pub fn from_name(name: &str) -> Result<Adsorbate> {
        let bare = name.trim().trim_start_matches('*');
        Adsorbate::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(bare))
            .ok_or_else(|| {
                Error::invalid(
                    "--adsorbate",
                    format!(
                        "unknown adsorbate '{name}'; valid: {}",
                        Adsorbate::ALL.map(|a| a.name()).join(", ")
                    ),
                )
            })
    }

    /// Metal to binding-atom distance on a top site (Å).
    pub fn top_distance(self) -> f64 {
        match self {
            Adsorbate::CO2 => 2.00,
            Adsorbate::COOH => 1.95,
            Adsorbate::CO => 1.80,
            Adsorbate::H => 1.55,
            Adsorbate::OH => 1.85,
            Adsorbate::O => 1.65,
            Adsorbate::OOH => 1.90,
            Adsorbate::N2 => 1.90,
        }
    }

    /// Distance from each of the two metals to the binding atom when the
    /// adsorbate bridges a dual site (Å).
    pub fn bridge_distance(self) -> f64 {
        match self {
            Adsorbate::CO2 => 2.10,
            Adsorbate::COOH => 2.10,
            Adsorbate::CO => 1.95,
            Adsorbate::H => 1.70,
            Adsorbate::OH => 2.00,
            Adsorbate::O => 1.85,
            Adsorbate::OOH => 2.05,
            Adsorbate::N2 => 2.05,
        }
    }

    /// Intramolecular bonds of the reference geometry.
    pub fn bonds(self) -> Vec<Bond> {
        let b = |i, j, length| Bond {
            atoms: [i, j],
            length,
        };
        match self {
            Adsorbate::CO2 => vec![b(0, 1, 1.25), b(0, 2, 1.25)],
            Adsorbate::COOH => vec![b(0, 1, 1.20), b(0, 2, 1.34), b(2, 3, 0.98)],
            Adsorbate::CO => vec![b(0, 1, 1.15)],
            Adsorbate::H | Adsorbate::O => vec![],
            Adsorbate::OH => vec![b(0, 1, 0.98)],
            Adsorbate::OOH => vec![b(0, 1, 1.45), b(1, 2, 0.98)],
            Adsorbate::N2 => vec![b(0, 1, 1.12)],
        }
    }

    /// Bond angles of the reference geometry (top site; `METAL` = metal).
    pub fn angles(self) -> Vec<Angle> {
        let a = |i, j, k, degrees| Angle {
            atoms: [i, j, k],
            degrees,
        };
        match self {
            // O-C-O bent to 134°, bisector along the surface normal.
            Adsorbate::CO2 => vec![
                a(1, 0, 2, 134.0),
                a(METAL, 0, 1, 113.0),
                a(METAL, 0, 2, 113.0),
            ],
            // sp2 carbon: O=C-O 125°, M-C=O = M-C-O = 117.5°; C-O-H 106°.
            Adsorbate::COOH => vec![
                a(1, 0, 2, 125.0),
                a(METAL, 0, 1, 117.5),
                a(METAL, 0, 2, 117.5),
                a(0, 2, 3, 106.0),
            ],
            Adsorbate::CO | Adsorbate::N2 => vec![a(METAL, 0, 1, 180.0)],
            Adsorbate::H | Adsorbate::O => vec![],
            Adsorbate::OH => vec![a(METAL, 0, 1, 110.0)],
            Adsorbate::OOH => vec![a(METAL, 0, 1, 115.0), a(0, 1, 2, 100.0)],
        }
    }

    /// The atoms in the adsorbate frame: binding atom at the origin, the
    /// surface normal along +z, the molecular plane x-z.
    pub fn local_atoms(self) -> Vec<(Element, Vector3<f64>)> {
        use Element as E;
        // Unit vector at polar angle `theta` (degrees from +z, towards +x).
        let dir = |theta: f64| {
            let t = theta.to_radians();
            Vector3::new(t.sin(), 0.0, t.cos())
        };
        let origin = Vector3::zeros();
        match self {
            Adsorbate::CO2 => {
                let half = 134.0 / 2.0;
                vec![
                    (E::C, origin),
                    (E::O, 1.25 * dir(half)),
                    (E::O, 1.25 * dir(-half)),
                ]
            }
            Adsorbate::COOH => {
                let o1 = 1.20 * dir(62.5);
                let o2 = 1.34 * dir(-62.5);
                // O-H at 106° from O->C, turned so that H points up (trans).
                let h = o2 + 0.98 * dir(-62.5 + 180.0 - 106.0 + 360.0);
                vec![(E::C, origin), (E::O, o1), (E::O, o2), (E::H, h)]
            }
            Adsorbate::CO => vec![(E::C, origin), (E::O, 1.15 * dir(0.0))],
            Adsorbate::N2 => vec![(E::N, origin), (E::N, 1.12 * dir(0.0))],
            Adsorbate::H => vec![(E::H, origin)],
            Adsorbate::O => vec![(E::O, origin)],
            // M-O-H 110°: H 70° from the normal.
            Adsorbate::OH => vec![(E::O, origin), (E::H, 0.98 * dir(70.0))],
            Adsorbate::OOH => {
                let o2 = 1.45 * dir(65.0);
                // O-O-H 100°, H turned up: O2->O1 is at 245°, minus 100°.
                let h = o2 + 0.98 * dir(145.0 + 200.0);
                vec![(E::O, origin), (E::O, o2), (E::H, h)]
            }
        }
    }
}

impl std::fmt::Display for Adsorbate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Adsorbate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// Where an adsorbate binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindingSite {
    /// On top of the first metal of this element.
    Top(Element),
    /// Bridging the two metals of a dual site.
    Bridge,
}

impl std::fmt::Display for BindingSite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BindingSite::Top(e) => f.write_str(e.symbol()),
            BindingSite::Bridge => f.write_str("bridge"),
        }
    }
}

impl Serialize for BindingSite {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// An adsorbate, its site and its placement; serialised into `params.json`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AdsorbateSpec {
    /// The intermediate.
    pub adsorbate: Adsorbate,
    /// Top of a metal or bridge.
    pub site: BindingSite,
    /// Height of the binding atom above the metal (top) or above the
    /// midpoint of the two metals (bridge), Å; default from the library.
    #[serde(rename = "height_angstrom")]
    pub height: Option<f64>,
    /// Rotation of the adsorbate about the surface normal (degrees); 0 puts
    /// the molecular plane along x (top) or along the metal-metal axis
    /// (bridge).
    #[serde(rename = "rotation_degrees")]
    pub rotation: f64,
}

impl AdsorbateSpec {
    /// Parse `ADS@SITE` (`COOH@Co`, `CO@bridge`, `*H@Mn`).
    pub fn parse(text: &str) -> Result<AdsorbateSpec> {
        let (ads, site) = text.split_once('@').ok_or_else(|| {
            Error::invalid(
                "--adsorbate",
                format!(
                    "'{text}': expected ADSORBATE@SITE, e.g. COOH@Co or CO@bridge (SITE is a metal of the model or 'bridge')"
                ),
            )
        })?;
        let site = if site.eq_ignore_ascii_case("bridge") {
            BindingSite::Bridge
        } else {
            BindingSite::Top(Element::from_symbol(site)?)
        };
        Ok(AdsorbateSpec {
            adsorbate: Adsorbate::from_name(ads)?,
            site,
            height: None,
            rotation: 0.0,
        })
    }
}

/// Heights of the binding atom accepted (Å).
const MIN_HEIGHT: f64 = 0.5;
/// Heights of the binding atom accepted (Å).
const MAX_HEIGHT: f64 = 10.0;

/// Add the adsorbate to a slab on its +z face. Returns the slab with the
/// adsorbate atoms appended (site tag 1) and the cell height grown so that
/// `vacuum` Å of empty space remains; errors name the metals present, a
/// bridge on a single site, or an atom too close to the substrate.
pub fn adsorb(slab: &Structure, spec: &AdsorbateSpec, vacuum: f64) -> Result<Structure> {
    let metals = slab.metal_indices();
    let symbols = || {
        metals
            .iter()
            .map(|&m| slab.atoms[m].element.symbol())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let up = Vector3::z();
    let (anchor, x_axis) = match spec.site {
        BindingSite::Top(element) => {
            let m = *metals
                .iter()
                .find(|&&m| slab.atoms[m].element == element)
                .ok_or_else(|| {
                    Error::invalid(
                        "--adsorbate",
                        format!(
                            "no {element} in the model; its metals: {}",
                            if metals.is_empty() {
                                "none".into()
                            } else {
                                symbols()
                            }
                        ),
                    )
                })?;
            let h = spec.height.unwrap_or(spec.adsorbate.top_distance());
            (slab.atoms[m].position + h * up, Vector3::x())
        }
        BindingSite::Bridge => {
            if metals.len() != 2 {
                return Err(Error::invalid(
                    "--adsorbate",
                    format!(
                        "a bridge needs a dual site (two metals); this model has {} ({})",
                        metals.len(),
                        symbols()
                    ),
                ));
            }
            let (a, b) = (metals[0], metals[1]);
            let axis = slab.minimum_image_vector(a, b);
            let mid = slab.atoms[a].position + axis / 2.0;
            let half = (axis.x.powi(2) + axis.y.powi(2)).sqrt() / 2.0;
            let d = spec.adsorbate.bridge_distance();
            // Both M-X bonds of length d: h = sqrt(d² - (s/2)²).
            let h = match spec.height {
                Some(h) => h,
                None if d > half => (d * d - half * half).sqrt(),
                None => {
                    return Err(Error::invalid(
                        "--adsorbate",
                        format!(
                            "the metals are {:.2} Å apart, too far for {ads} to bridge at {d} Å; put it on top of one metal (e.g. {ads}@{}) or force a height with --adsorbate-height",
                            2.0 * half,
                            slab.atoms[a].element,
                            ads = spec.adsorbate,
                        ),
                    ));
                }
            };
            let x = Vector3::new(axis.x, axis.y, 0.0).normalize();
            (mid + h * up, x)
        }
    };
    if let Some(h) = spec.height
        && !(MIN_HEIGHT..=MAX_HEIGHT).contains(&h)
    {
        return Err(Error::invalid(
            "--adsorbate-height",
            format!(
                "{} Å; give {MIN_HEIGHT}-{MAX_HEIGHT} Å (bonds are 1.5-2.2 Å)",
                crate::values::short(h)
            ),
        ));
    }
    if !(spec.rotation.is_finite() && spec.rotation.abs() <= 3600.0) {
        return Err(Error::invalid(
            "--adsorbate-rotation",
            format!(
                "{}°; give an angle within ±3600°",
                crate::values::short(spec.rotation)
            ),
        ));
    }
    // Frame: x along x_axis rotated about z, z = surface normal.
    let phi = spec.rotation.to_radians();
    let y_axis = up.cross(&x_axis);
    let x_rot = x_axis * phi.cos() + y_axis * phi.sin();
    let y_rot = up.cross(&x_rot);
    let mut out = slab.clone();
    let first = out.len();
    for (element, local) in spec.adsorbate.local_atoms() {
        let position = anchor + x_rot * local.x + y_rot * local.y + up * local.z;
        out.atoms.push(Atom {
            site: 1,
            ..Atom::new(element, position)
        });
    }

    // Grow c so that `vacuum` Å stays empty above the adsorbate.
    super::slab::centre_in_vacuum(&mut out, vacuum);

    let (i, j, d) = closest_to_substrate(&out, first);
    if d < MIN_SUBSTRATE_DISTANCE {
        return Err(Error::invalid(
            "--adsorbate",
            format!(
                "{} of {} would be {d:.2} Å from {} of the substrate (minimum {MIN_SUBSTRATE_DISTANCE} Å); raise --adsorbate-height or turn it with --adsorbate-rotation",
                out.atoms[i].element, spec.adsorbate, out.atoms[j].element
            ),
        ));
    }
    Ok(out)
}

/// The closest (adsorbate atom, substrate atom, distance Å) pair, fully
/// periodic; atoms from index `first` on are the adsorbate.
pub fn closest_to_substrate(s: &Structure, first: usize) -> (usize, usize, f64) {
    let mut periodic = s.clone();
    periodic.pbc = [true; 3];
    let mut best = (first, 0, f64::INFINITY);
    for i in first..s.len() {
        for n in periodic.neighbors_within(i, 4.0) {
            if n.index < first && n.distance < best.2 {
                best = (i, n.index, n.distance);
            }
        }
    }
    best
}

/// A gas-phase reference molecule in a [`GAS_BOX`] Å cubic box.
pub fn gas_molecule(name: &str) -> Result<Structure> {
    use Element as E;
    let atoms: Vec<(Element, [f64; 3])> = match name.to_ascii_uppercase().as_str() {
        "CO2" => vec![
            (E::C, [0.0, 0.0, 0.0]),
            (E::O, [0.0, 0.0, 1.160]),
            (E::O, [0.0, 0.0, -1.160]),
        ],
        "CO" => vec![(E::C, [0.0, 0.0, 0.0]), (E::O, [0.0, 0.0, 1.128])],
        "H2" => vec![(E::H, [0.0, 0.0, 0.0]), (E::H, [0.0, 0.0, 0.741])],
        "H2O" => {
            let half = (104.5f64 / 2.0).to_radians();
            vec![
                (E::O, [0.0, 0.0, 0.0]),
                (E::H, [0.958 * half.sin(), 0.0, 0.958 * half.cos()]),
                (E::H, [-0.958 * half.sin(), 0.0, 0.958 * half.cos()]),
            ]
        }
        "O2" => vec![(E::O, [0.0, 0.0, 0.0]), (E::O, [0.0, 0.0, 1.208])],
        "N2" => vec![(E::N, [0.0, 0.0, 0.0]), (E::N, [0.0, 0.0, 1.098])],
        _ => {
            return Err(Error::invalid(
                "gas",
                format!(
                    "unknown molecule '{name}'; valid: {}",
                    GAS_MOLECULES.join(", ")
                ),
            ));
        }
    };
    let centre = Vector3::repeat(GAS_BOX / 2.0);
    let n = atoms.len() as f64;
    let mean = atoms
        .iter()
        .fold(Vector3::zeros(), |acc, (_, p)| acc + Vector3::from(*p))
        / n;
    let mut s = Structure {
        title: name.to_string(),
        lattice: Lattice::new([
            [GAS_BOX, 0.0, 0.0],
            [0.0, GAS_BOX, 0.0],
            [0.0, 0.0, GAS_BOX],
        ])?,
        pbc: [true; 3],
        atoms: atoms
            .into_iter()
            .map(|(e, p)| Atom::new(e, Vector3::from(p) - mean + centre))
            .collect(),
    };
    s.sort_species();
    Ok(s)
}

/// The gas-phase molecules [`gas_molecule`] knows.
pub const GAS_MOLECULES: [&str; 6] = ["CO2", "CO", "H2", "H2O", "O2", "N2"];

/// A reaction whose intermediates `sacsim series` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reaction {
    /// CO2 reduction to CO: *CO2, *COOH, *CO.
    Co2rr,
    /// Hydrogen evolution: *H.
    Her,
    /// Oxygen reduction (4 e−): *OOH, *O, *OH.
    Orr,
}

impl Reaction {
    /// Every reaction.
    pub const ALL: [Reaction; 3] = [Reaction::Co2rr, Reaction::Her, Reaction::Orr];

    /// Command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Reaction::Co2rr => "co2rr",
            Reaction::Her => "her",
            Reaction::Orr => "orr",
        }
    }

    /// Parse a name.
    pub fn from_name(name: &str) -> Result<Reaction> {
        Reaction::ALL
            .into_iter()
            .find(|r| r.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                Error::invalid(
                    "--reaction",
                    format!(
                        "unknown reaction '{name}'; valid: {}",
                        Reaction::ALL.map(|r| r.name()).join(", ")
                    ),
                )
            })
    }

    /// Adsorbed intermediates, in reaction order.
    pub fn intermediates(self) -> &'static [Adsorbate] {
        match self {
            Reaction::Co2rr => &[Adsorbate::CO2, Adsorbate::COOH, Adsorbate::CO],
            Reaction::Her => &[Adsorbate::H],
            Reaction::Orr => &[Adsorbate::OOH, Adsorbate::O, Adsorbate::OH],
        }
    }

    /// Gas-phase references of the computational hydrogen electrode.
    pub fn gas_references(self) -> &'static [&'static str] {
        match self {
            Reaction::Co2rr => &["CO2", "CO", "H2", "H2O"],
            Reaction::Her => &["H2"],
            Reaction::Orr => &["H2", "H2O"],
        }
    }
}

crate::values::named_value!(Reaction, Adsorbate);
crate::values::serde_as_text!(Reaction);

impl std::str::FromStr for AdsorbateSpec {
    type Err = Error;
    fn from_str(text: &str) -> Result<AdsorbateSpec> {
        AdsorbateSpec::parse(text)
    }
}

impl std::fmt::Display for Reaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
