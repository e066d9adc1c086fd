//! Finite projection (`--projection finite`): each atom's 3D potential is
//! integrated between the faces of every slice it reaches, instead of
//! being projected whole into the slice that holds its centre.
//!
//! Every scattering factor is written as a Laplace integral over Gaussians,
//! f(q) = ∫ c(t) e^{−t q²} dt: a Lorentzian a/(q² + b) has c = a e^{−tb},
//! Lobato's a(2 + bq²)/(1 + bq²)² = (a/b)/(q² + 1/b) + (a/b²)/(q² + 1/b)²
//! has c = (a/b + a t/b²) e^{−t/b}, and Kirkland's Gaussians c e^{−d q²}
//! are single terms. A 3D Gaussian e^{−t q²} is separable: its share of an
//! atom's potential between heights u0 < u1 (relative to the atom) is
//! ½[erf(πu1/√t) − erf(πu0/√t)], a weight per atom, so each Gaussian term
//! costs one spread and one FFT for all atoms at once.
//!
//! The integral is discretised by the midpoint rule in ln t from
//! [`T_CORE`] up (error ~e^{−π²/Δ}, Δ = [`LN_STEP`]), on nodes shared by
//! all elements. What the nodes miss, the exact f(q) minus their sum (the
//! narrow core, t < [`T_CORE`]: z-extent ≲ 0.01 Å), is projected whole into
//! the slice holding the atom's centre, as the infinite projection does.
//! So the slices of a whole stack sum to the infinite projection exactly;
//! the first and last slices take the potential beyond the stack.

use std::collections::BTreeMap;

use pxfm::f_erf;
use rayon::prelude::*;

use super::layout::Layout;
use super::potential::{Form, Term};
use crate::error::{Error, Result};
use crate::stem::parametrization::Parametrization;
use crate::structure::Element;

/// How each atom's potential is divided among the slices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Projection {
    /// Whole into the slice holding its centre (abTEM's default).
    #[default]
    Infinite,
    /// Integrated between the faces of every slice it reaches.
    Finite,
}

impl std::str::FromStr for Projection {
    type Err = Error;
    fn from_str(text: &str) -> Result<Projection> {
        match text.trim().to_ascii_lowercase().as_str() {
            "infinite" => Ok(Projection::Infinite),
            "finite" => Ok(Projection::Finite),
            _ => Err(Error::UnknownName {
                kind: "projection",
                name: text.to_string(),
                valid: "infinite, finite".into(),
            }),
        }
    }
}

impl std::fmt::Display for Projection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Projection::Infinite => "infinite",
            Projection::Finite => "finite",
        })
    }
}

crate::values::serde_as_text!(Projection);

/// Gaussian terms narrower than this (Å², z-extent 1.2 √t ≈ 0.01 Å) stay
/// in the core, projected whole.
pub const T_CORE: f64 = 1e-4;
/// Node spacing in ln t.
pub const LN_STEP: f64 = 0.6;
/// Shares below this are left out of a slice (relative to the atom).
const SHARE_FLOOR: f64 = 1e-8;

/// The Gaussian terms of one element: f(q) = core(q) + Σ_m shared[m]
/// e^{−t_m q²} + Σ (d, c) c e^{−d q²}.
#[derive(Debug, Clone, PartialEq)]
pub struct ElementTerms {
    /// Weight of each shared node (Å).
    pub shared: Vec<f64>,
    /// Kirkland's own Gaussian terms (d in Å², c in Å).
    pub own: Vec<(f64, f64)>,
}

/// The shared nodes and every element's terms on them.
#[derive(Debug, Clone, PartialEq)]
pub struct Decomposition {
    /// Node widths t (Å²), increasing.
    pub nodes: Vec<f64>,
    /// Terms per element.
    pub elements: BTreeMap<Element, ElementTerms>,
    /// Parameterisation the terms come from.
    pub parametrization: Parametrization,
}

/// c(t) of `element` in `parametrization` (Gaussian terms excluded).
fn laplace_density(element: Element, parametrization: Parametrization, t: f64) -> f64 {
    match parametrization {
        Parametrization::Kirkland => {
            let p = crate::stem::scattering::kirkland_terms(element);
            (0..3).map(|i| p.a[i] * (-t * p.b[i]).exp()).sum()
        }
        Parametrization::Lobato => {
            let [a, b] = crate::stem::parametrization::lobato_terms(element);
            (0..5)
                .map(|i| (a[i] / b[i] + a[i] * t / (b[i] * b[i])) * (-t / b[i]).exp())
                .sum()
        }
    }
}

/// Largest t (Å²) where c(t) still matters: e^{−40} of the slowest decay.
fn t_stop(element: Element, parametrization: Parametrization) -> f64 {
    match parametrization {
        Parametrization::Kirkland => {
            let p = crate::stem::scattering::kirkland_terms(element);
            40.0 / p.b.iter().copied().fold(f64::MAX, f64::min)
        }
        Parametrization::Lobato => {
            let [_, b] = crate::stem::parametrization::lobato_terms(element);
            40.0 * b.iter().copied().fold(0.0, f64::max)
        }
    }
}

impl Decomposition {
    /// The terms of `elements`.
    pub fn new(elements: &[Element], parametrization: Parametrization) -> Decomposition {
        let stop = elements
            .iter()
            .map(|&e| t_stop(e, parametrization))
            .fold(T_CORE, f64::max);
        let count = ((stop / T_CORE).ln() / LN_STEP).ceil() as usize;
        let nodes: Vec<f64> = (0..count)
            .map(|m| T_CORE * ((m as f64 + 0.5) * LN_STEP).exp())
            .collect();
        let elements = elements
            .iter()
            .map(|&e| {
                let shared = nodes
                    .iter()
                    .map(|&t| LN_STEP * t * laplace_density(e, parametrization, t))
                    .collect();
                let own = match parametrization {
                    Parametrization::Kirkland => {
                        let p = crate::stem::scattering::kirkland_terms(e);
                        (0..3).map(|i| (p.d[i], p.c[i])).collect()
                    }
                    Parametrization::Lobato => Vec::new(),
                };
                (e, ElementTerms { shared, own })
            })
            .collect();
        Decomposition {
            nodes,
            elements,
            parametrization,
        }
    }

    /// The core of `element` at q (1/Å): f(q) minus every Gaussian term.
    pub fn core(&self, element: Element, q: f64) -> f64 {
        let terms = &self.elements[&element];
        let q2 = q * q;
        let gaussians: f64 = self
            .nodes
            .iter()
            .zip(&terms.shared)
            .map(|(t, w)| w * (-t * q2).exp())
            .chain(terms.own.iter().map(|(d, c)| c * (-d * q2).exp()))
            .sum();
        self.parametrization.scattering_factor(element, q) - gaussians
    }

    /// Height (Å) beyond a slice's faces within which an atom's widest
    /// term still has a share above the floor.
    pub fn reach(&self) -> f64 {
        let widest = self.nodes.last().copied().unwrap_or(T_CORE);
        let own = self
            .elements
            .values()
            .flat_map(|t| t.own.iter().map(|(d, _)| *d))
            .fold(0.0, f64::max);
        // ½ erfc(x) < 1e-8 beyond x = 4.05.
        4.05 * widest.max(own).sqrt() / std::f64::consts::PI
    }
}

/// The terms of every slice of `layout` for `atoms`: per element, the
/// core of the atoms centred in the slice; per shared node, every atom
/// within reach weighted by its element's coefficient and its share; per
/// Kirkland Gaussian, the same for its element.
pub fn slice_terms(
    d: &Decomposition,
    layout: &Layout,
    atoms: &[(Element, [f64; 3])],
) -> Vec<Vec<Term>> {
    slab_terms(d, layout.slab_atoms(atoms, d.reach()), &|s| layout.faces(s))
}

/// The terms of slices given as slabs (each slice's atoms within reach:
/// element, position, centred in it) and faces (lower, upper; None at an
/// open end).
pub fn slab_terms(
    d: &Decomposition,
    slabs: Vec<Vec<(Element, [f64; 3], bool)>>,
    faces: &(dyn Fn(usize) -> (Option<f64>, Option<f64>) + Sync),
) -> Vec<Vec<Term>> {
    slabs
        .into_par_iter()
        .enumerate()
        .map(|(s, slab)| {
            let (lo, hi) = faces(s);
            let mut terms = Vec::new();
            let mut cores: BTreeMap<Element, Vec<([f64; 2], f64)>> = BTreeMap::new();
            for &(e, p, home) in &slab {
                if home {
                    cores.entry(e).or_default().push(([p[0], p[1]], 1.0));
                }
            }
            terms.extend(cores.into_iter().map(|(e, atoms)| Term {
                form: Form::Element(e),
                atoms,
            }));
            for (m, &t) in d.nodes.iter().enumerate() {
                let atoms: Vec<([f64; 2], f64)> = slab
                    .iter()
                    .filter_map(|&(e, p, _)| {
                        let f = share(t, p[2], lo, hi);
                        significant(f).then(|| ([p[0], p[1]], d.elements[&e].shared[m] * f))
                    })
                    .collect();
                if !atoms.is_empty() {
                    terms.push(Term {
                        form: Form::Gaussian(t),
                        atoms,
                    });
                }
            }
            for (&e, element_terms) in &d.elements {
                for &(t, c) in &element_terms.own {
                    let atoms: Vec<([f64; 2], f64)> = slab
                        .iter()
                        .filter(|(el, _, _)| *el == e)
                        .filter_map(|&(_, p, _)| {
                            let f = share(t, p[2], lo, hi);
                            significant(f).then(|| ([p[0], p[1]], c * f))
                        })
                        .collect();
                    if !atoms.is_empty() {
                        terms.push(Term {
                            form: Form::Gaussian(t),
                            atoms,
                        });
                    }
                }
            }
            terms
        })
        .collect()
}

/// Share of a Gaussian term of width t (Å²) of an atom at height z (Å)
/// between the faces `lo` < `hi` (None: the stack's open end).
pub fn share(t: f64, z: f64, lo: Option<f64>, hi: Option<f64>) -> f64 {
    let s = std::f64::consts::PI / t.sqrt();
    let top = hi.map_or(1.0, |h| f_erf(s * (h - z)));
    let bottom = lo.map_or(-1.0, |l| f_erf(s * (l - z)));
    0.5 * (top - bottom)
}

/// Whether a share is worth a spread.
pub fn significant(share: f64) -> bool {
    share.abs() > SHARE_FLOOR
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The core is what the terms narrower than [`T_CORE`] hold,
    /// ∫₀^T c(t) e^{−t q²} dt (Simpson, 2000 panels), to 2e-4 of f(0) at
    /// every q up to 20 /Å: the shared nodes carry the rest of f.
    #[test]
    fn the_core_is_the_narrow_terms() {
        for p in [Parametrization::Kirkland, Parametrization::Lobato] {
            let elements = [
                Element::C,
                Element::N,
                Element::MN,
                Element::CO,
                Element::from_z(78).unwrap(),
            ];
            let d = Decomposition::new(&elements, p);
            assert!(d.nodes.len() < 30, "{} nodes", d.nodes.len());
            for e in elements {
                let f0 = p.scattering_factor(e, 0.0);
                for k in 0..=200 {
                    let q2 = (k as f64 * 0.1).powi(2);
                    let n = 2000;
                    let h = T_CORE / n as f64;
                    let narrow: f64 = (0..=n)
                        .map(|i| {
                            let t = i as f64 * h;
                            let w = if i == 0 || i == n {
                                1.0
                            } else {
                                2.0 + 2.0 * (i % 2) as f64
                            };
                            w * laplace_density(e, p, t) * (-t * q2).exp()
                        })
                        .sum::<f64>()
                        * h
                        / 3.0;
                    let core = d.core(e, q2.sqrt());
                    assert!(
                        (core - narrow).abs() < 2e-4 * f0,
                        "{p} {e} q² {q2}: core {core}, narrow terms {narrow}, f(0) {f0}"
                    );
                }
            }
        }
    }

    /// Shares of adjacent slices add up, and a whole stack takes it all.
    #[test]
    fn shares_telescope() {
        let (t, z) = (0.7, 0.3);
        let faces = [2.0, 1.0, 0.0, -1.0];
        let total: f64 = (0..3)
            .map(|s| {
                let hi = (s > 0).then(|| faces[s]);
                let lo = (s < 2).then(|| faces[s + 1]);
                share(t, z, lo, hi)
            })
            .sum();
        assert!((total - 1.0).abs() < 1e-14, "{total}");
        let split = share(t, z, Some(0.0), Some(1.0)) + share(t, z, Some(-1.0), Some(0.0));
        assert!((split - share(t, z, Some(-1.0), Some(1.0))).abs() < 1e-14);
        // An atom at a face puts half of a narrow term on either side.
        assert!((share(1e-6, 0.0, Some(0.0), None) - 0.5).abs() < 1e-12);
    }
}
