//! Element identity from HAADF intensities: which atoms are the heavier of
//! two elements, and which pairs are heteronuclear (docs/PHYSICS.md §5,
//! element identity).
//!
//! The intensity difference of neighbours such as Co and Mn (Z 27 and 25,
//! σ ratio 1.15 at 80 kV, 80-200 mrad) is comparable to what the support
//! under each atom adds, so single-atom labels are uncertain; what an
//! image can answer with confidence is a population fraction with an
//! interval. [`photometry`] measures each atom and its noise, [`mixture`]
//! turns them into P(element) per atom and the heteronuclear fraction of
//! pairs.

use serde::{Deserialize, Serialize};

use crate::structure::Element;

pub mod mixture;
pub mod photometry;

pub use mixture::{
    AtomMixture, HeteroFraction, MIN_RESOLVING_POWER, atom_posterior, fit_atoms, fit_pairs,
    pair_posterior,
};
pub use photometry::{BackgroundNoise, Photometry, PhotometryImage};

/// HAADF intensity exponent of the Z-power rule I ∝ Z^1.7, used for the
/// intensity ratio when neither the optics nor a ratio are given.
pub const Z_EXPONENT: f64 = 1.7;

/// The element model of one image: the two candidate elements and what
/// the per-atom fit found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ElementIdentity {
    /// The lighter element.
    pub light: Element,
    /// The heavier element.
    pub heavy: Element,
    /// Expected aperture-intensity ratio heavy / light.
    pub intensity_ratio: f64,
    /// Where that ratio came from.
    pub ratio_source: String,
    /// Photometry aperture radius (Å).
    pub aperture_angstrom: f64,
    /// Image units per detected electron (0: the atom's shot noise is not
    /// added).
    pub gain: f64,
    /// The empty-aperture measurement.
    pub background: BackgroundNoise,
    /// The per-atom mixture fit.
    pub atoms: AtomMixture,
}

impl ElementIdentity {
    /// δ = ln(intensity ratio).
    pub fn log_ratio(&self) -> f64 {
        self.intensity_ratio.ln()
    }
}

/// The ratio by the Z^1.7 rule.
pub fn z_rule_ratio(light: Element, heavy: Element) -> f64 {
    (heavy.z() as f64 / light.z() as f64).powf(Z_EXPONENT)
}

/// The composition of detected pairs: heteronuclear fraction with its
/// interval, and the expected share of each pair type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairTypes {
    /// The elements.
    pub elements: [Element; 2],
    /// Heteronuclear fraction of pairs from the within-pair intensity
    /// ratios (the mixture model).
    pub hetero_fraction: HeteroFraction,
    /// Expected share of each pair type, e.g. "Co-Mn" (alphabetical): the
    /// mean over pairs of P(heteronuclear | ratio) at the fitted fraction,
    /// the homonuclear rest split by both atoms' P(heavy) (which, unlike
    /// the ratio, depends on the local support and focus).
    pub type_shares: std::collections::BTreeMap<String, f64>,
    /// P(heteronuclear) of each pair, in the order of `pairs`.
    #[serde(skip)]
    pub posterior: Vec<f64>,
    /// The pairs (point indices).
    #[serde(skip)]
    pub pairs: Vec<(usize, usize)>,
}

/// "Co-Mn": two symbols, alphabetical, as papers write pair types.
fn pair_name(a: Element, b: Element) -> String {
    let (mut x, mut y) = (a.symbol(), b.symbol());
    if y < x {
        std::mem::swap(&mut x, &mut y);
    }
    format!("{x}-{y}")
}

/// Pair types of `pairs` (indices into `photometry`) under the element
/// model `id` of their image.
pub fn pair_types(
    pairs: &[(usize, usize)],
    photometry: &[Option<Photometry>],
    id: &ElementIdentity,
) -> Option<PairTypes> {
    let delta = id.log_ratio();
    let (mu, pi) = (id.atoms.light_log_level, id.atoms.heavy_share);
    // (a, b, [(ln I, s) of a and of b]).
    type Usable = (usize, usize, [(f64, f64); 2]);
    let usable: Vec<Usable> = pairs
        .iter()
        .filter_map(|&(a, b)| {
            let ya = photometry.get(a).copied().flatten()?.log()?;
            let yb = photometry.get(b).copied().flatten()?.log()?;
            Some((a, b, [ya, yb]))
        })
        .collect();
    let ratios: Vec<(f64, f64)> = usable
        .iter()
        .map(|u| (u.2[0].0 - u.2[1].0, u.2[0].1.hypot(u.2[1].1)))
        .collect();
    let hetero_fraction = fit_pairs(&ratios, delta)?;
    let posterior: Vec<f64> = ratios
        .iter()
        .map(|&(x, s)| pair_posterior(x, s, delta, hetero_fraction.estimate))
        .collect();
    let mut type_shares = std::collections::BTreeMap::new();
    let n = usable.len() as f64;
    for (u, &p_het) in usable.iter().zip(&posterior) {
        let [ph_a, ph_b] = u.2.map(|(y, s)| atom_posterior(y, s, mu, pi, delta));
        let (hh, ll) = (ph_a * ph_b, (1.0 - ph_a) * (1.0 - ph_b));
        let heavy_given_homo = if hh + ll > 0.0 { hh / (hh + ll) } else { 0.5 };
        for (name, share) in [
            (pair_name(id.light, id.heavy), p_het),
            (
                pair_name(id.heavy, id.heavy),
                (1.0 - p_het) * heavy_given_homo,
            ),
            (
                pair_name(id.light, id.light),
                (1.0 - p_het) * (1.0 - heavy_given_homo),
            ),
        ] {
            *type_shares.entry(name).or_insert(0.0) += share / n;
        }
    }
    Some(PairTypes {
        elements: [id.light, id.heavy],
        hetero_fraction,
        type_shares,
        posterior,
        pairs: usable.iter().map(|u| (u.0, u.1)).collect(),
    })
}

/// Shares of `pairs` by their points' element pair ("Co-Mn",
/// alphabetical as papers write it); pairs with an unknown element do not
/// count towards any share.
pub fn label_shares(
    pairs: &[(usize, usize)],
    labels: &[Option<Element>],
) -> std::collections::BTreeMap<String, f64> {
    let mut out = std::collections::BTreeMap::new();
    for &(a, b) in pairs {
        if let (Some(Some(x)), Some(Some(y))) = (labels.get(a), labels.get(b)) {
            *out.entry(pair_name(*x, *y)).or_insert(0.0) += 1.0 / pairs.len() as f64;
        }
    }
    out
}
