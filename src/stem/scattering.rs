//! High-angle scattering cross sections of single atoms, integrated over an
//! annular detector: the object function of the incoherent HAADF image.
//!
//! Electron scattering factors come from Kirkland's parameterisation
//! (E. J. Kirkland, *Advanced Computing in Electron Microscopy*, 2nd ed.,
//! Springer 2010, Appendix C; table `kirkland.tsv`, compiled in):
//! f_e(q) = Σ a_i/(q² + b_i) + c_i exp(−d_i q²), q in 1/Å, f_e in Å.
//!
//! Three models of σ(Z) = 2π ∫ θ |f(θ/λ)|² dθ over the detector angles:
//! - [`CrossSectionModel::PhaseObject`] (default): the Molière /
//!   phase-object scattering factor Kirkland's incostem uses,
//!   f(k) = (2π/λ) ∫ r J0(2πkr) [sin(σ_e v_z(r)) + i(1 − cos(σ_e v_z(r)))] dr,
//!   with the projected potential
//!   v_z(r) = 4π² a0 e Σ a_i K0(2πr√b_i) + 2π² a0 e Σ (c_i/d_i) exp(−π²r²/d_i)
//!   (Kirkland eq. 5.15). It tends to the Born factor for weak potentials
//!   and is 7-9 % lower than Born for Mn and Co, which is what reproduces
//!   abTEM's multislice peak ratios.
//! - [`CrossSectionModel::Born`]: γ f_e(q), the first Born approximation.
//! - [`CrossSectionModel::PowerLaw`]: σ_C (phase object) · (Z/6)^n.

use std::sync::OnceLock;

use pxfm::{f_j0, f_k0};
use rayon::prelude::*;
use serde::Serialize;

use super::optics::{gamma, interaction_parameter, wavelength};
use crate::error::{Error, Result};
use crate::structure::Element;

const TABLE_TSV: &str = include_str!("kirkland.tsv");

/// Bohr radius times the elementary charge, a0·e (V·Å²): a0 = 0.529177 Å,
/// e = 14.3996 V·Å.
const A0_E: f64 = 0.529_177_210_9 * 14.399_645;

/// Kirkland's 12 parameters of one element: a, b, c, d (3 each).
#[derive(Debug, Clone, Copy)]
pub struct Params {
    /// Lorentzian amplitudes (Å⁻¹).
    pub a: [f64; 3],
    /// Lorentzian widths (Å⁻²).
    pub b: [f64; 3],
    /// Gaussian amplitudes (Å).
    pub c: [f64; 3],
    /// Gaussian widths (Å²).
    pub d: [f64; 3],
}

fn table() -> &'static [Params] {
    static TABLE: OnceLock<Vec<Params>> = OnceLock::new();
    TABLE.get_or_init(|| {
        TABLE_TSV
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|line| {
                let v: Vec<f64> = line
                    .split('\t')
                    .skip(2)
                    .map(|x| x.parse().expect("kirkland.tsv"))
                    .collect();
                Params {
                    a: [v[0], v[1], v[2]],
                    b: [v[3], v[4], v[5]],
                    c: [v[6], v[7], v[8]],
                    d: [v[9], v[10], v[11]],
                }
            })
            .collect()
    })
}

/// Kirkland's parameters of `element` (f_e(q) = Σ a_i/(q² + b_i) +
/// c_i e^{−d_i q²}).
pub fn kirkland_terms(element: Element) -> Params {
    params(element)
}

fn params(element: Element) -> Params {
    table()[element.z() as usize - 1]
}

/// Kirkland electron scattering factor f_e(q) in Å (non-relativistic; the
/// Born amplitude is γ f_e), q = 1/d in 1/Å.
pub fn scattering_factor(element: Element, q: f64) -> f64 {
    let p = params(element);
    let q2 = q * q;
    (0..3)
        .map(|i| p.a[i] / (q2 + p.b[i]) + p.c[i] * (-p.d[i] * q2).exp())
        .sum()
}

/// Projected potential v_z(r) of an isolated atom (V·Å), r in Å.
pub fn projected_potential(element: Element, r: f64) -> f64 {
    let p = params(element);
    let pi = std::f64::consts::PI;
    let r = r.max(1e-12);
    (0..3)
        .map(|i| {
            4.0 * pi * pi * A0_E * p.a[i] * f_k0(2.0 * pi * r * p.b[i].sqrt())
                + 2.0 * pi * pi * A0_E * p.c[i] / p.d[i] * (-pi * pi * r * r / p.d[i]).exp()
        })
        .sum()
}

/// How atoms scatter to the detector. Written and read as its name:
/// `phase-object` (alias `moliere`), `born`, `zn` (n = 1.7) or `zn:N`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CrossSectionModel {
    /// Phase-object (Molière) scattering factor (default).
    PhaseObject,
    /// First Born approximation.
    Born,
    /// σ_C · (Z/6)^n.
    PowerLaw {
        /// The exponent n.
        exponent: f64,
    },
}

/// The exponent of a bare `zn` model.
pub const DEFAULT_POWER_LAW_EXPONENT: f64 = 1.7;

impl std::str::FromStr for CrossSectionModel {
    type Err = Error;
    fn from_str(text: &str) -> Result<CrossSectionModel> {
        match text.trim().to_ascii_lowercase().as_str() {
            "phase-object" | "phase_object" | "moliere" => Ok(CrossSectionModel::PhaseObject),
            "born" => Ok(CrossSectionModel::Born),
            "zn" => Ok(CrossSectionModel::PowerLaw {
                exponent: DEFAULT_POWER_LAW_EXPONENT,
            }),
            other => match other.strip_prefix("zn:").map(str::parse::<f64>) {
                Some(Ok(exponent)) if (0.5..=3.0).contains(&exponent) => {
                    Ok(CrossSectionModel::PowerLaw { exponent })
                }
                _ => Err(Error::UnknownName {
                    kind: "cross-section model",
                    name: text.to_string(),
                    valid: "phase-object, born, zn, zn:N with N in 0.5-3 (e.g. zn:1.7)".into(),
                }),
            },
        }
    }
}

impl std::fmt::Display for CrossSectionModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CrossSectionModel::PhaseObject => f.write_str("phase-object"),
            CrossSectionModel::Born => f.write_str("born"),
            CrossSectionModel::PowerLaw { exponent } => write!(f, "zn:{exponent}"),
        }
    }
}

crate::values::serde_as_text!(CrossSectionModel);

/// An annular detector, inner and outer semi-angles in mrad.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Detector {
    /// Inner semi-angle (mrad).
    pub inner_mrad: f64,
    /// Outer semi-angle (mrad).
    pub outer_mrad: f64,
}

/// Radial grid of the Hankel transforms: r in [0, R_MAX] Å, step DR, and
/// the angular Simpson points: 0.02 % from the converged values of the
/// reference table (validation/cross-sections.md) at ~10 ms per element.
const R_MAX: f64 = 8.0;
const DR: f64 = 0.002;
/// Angular integration points (Simpson, odd).
const N_THETA: usize = 41;

/// Simpson weights for n (odd) equally spaced points, step h.
fn simpson(n: usize, h: f64) -> Vec<f64> {
    (0..n)
        .map(|i| {
            let w = if i == 0 || i == n - 1 {
                1.0
            } else if i % 2 == 1 {
                4.0
            } else {
                2.0
            };
            w * h / 3.0
        })
        .collect()
}

/// |f(k)|² (Å²) of the phase-object scattering factor at each k (1/Å).
fn phase_object_f2(element: Element, kv: f64, ks: &[f64]) -> Vec<f64> {
    let n = (R_MAX / DR).round() as usize + 1;
    let weights = simpson(n, DR);
    let sigma = interaction_parameter(kv);
    // r · w_r · sin(σ v) and r · w_r · (1 − cos(σ v)) on the radial grid.
    let (sin_part, cos_part): (Vec<f64>, Vec<f64>) = (0..n)
        .map(|i| {
            let r = i as f64 * DR;
            if i == 0 {
                return (0.0, 0.0);
            }
            let phase = sigma * projected_potential(element, r);
            (
                r * weights[i] * phase.sin(),
                r * weights[i] * (1.0 - phase.cos()),
            )
        })
        .unzip();
    let prefactor = 2.0 * std::f64::consts::PI / wavelength(kv);
    ks.par_iter()
        .map(|&k| {
            let (mut re, mut im) = (0.0, 0.0);
            for i in 1..n {
                let j = f_j0(2.0 * std::f64::consts::PI * k * i as f64 * DR);
                re += j * sin_part[i];
                im += j * cos_part[i];
            }
            prefactor * prefactor * (re * re + im * im)
        })
        .collect()
}

/// Detector-integrated cross section σ (Å²) of one atom:
/// 2π ∫ θ |f(θ/λ)|² dθ over [inner, outer] (small-angle approximation).
pub fn cross_section(
    element: Element,
    kv: f64,
    detector: Detector,
    model: CrossSectionModel,
) -> f64 {
    let lambda = wavelength(kv);
    let (t0, t1) = (detector.inner_mrad * 1e-3, detector.outer_mrad * 1e-3);
    let h = (t1 - t0) / (N_THETA - 1) as f64;
    let thetas: Vec<f64> = (0..N_THETA).map(|i| t0 + i as f64 * h).collect();
    let ks: Vec<f64> = thetas.iter().map(|t| t / lambda).collect();
    let f2: Vec<f64> = match model {
        CrossSectionModel::PhaseObject => phase_object_f2(element, kv, &ks),
        CrossSectionModel::Born => ks
            .iter()
            .map(|&k| (gamma(kv) * scattering_factor(element, k)).powi(2))
            .collect(),
        CrossSectionModel::PowerLaw { exponent } => {
            let carbon = cross_section(Element::C, kv, detector, CrossSectionModel::PhaseObject);
            return carbon * (element.z() as f64 / 6.0).powf(exponent);
        }
    };
    let w = simpson(N_THETA, h);
    2.0 * std::f64::consts::PI
        * thetas
            .iter()
            .zip(&f2)
            .zip(&w)
            .map(|((t, f), w)| t * f * w)
            .sum::<f64>()
}

/// Phase-object cross section (Å²) seen through the probe aperture: each
/// plane wave q of the convergent probe (|q| ≤ α) scatters into the
/// annulus shifted by −q, so the effective detector is the annulus
/// averaged over the aperture disc, D(θ) = |disc(α, at θ) ∩ annulus| /
/// (πα²) (circle-intersection areas). σ = 2π ∫ θ |f(θ/λ)|² D(θ) dθ. For
/// an isolated atom this is what a multislice image integrates to; the
/// plain annulus ([`cross_section`]) is 10-15 % lower at 80-200 mrad and
/// 30 mrad, because |f|² falls steeply across the inner edge.
pub fn cross_section_through_aperture(
    element: Element,
    kv: f64,
    detector: Detector,
    convergence_mrad: f64,
) -> f64 {
    let lambda = wavelength(kv);
    let a = convergence_mrad * 1e-3;
    let (t_in, t_out) = (detector.inner_mrad * 1e-3, detector.outer_mrad * 1e-3);
    let (t0, t1) = ((t_in - a).max(0.0), t_out + a);
    let n = 8 * N_THETA + 1;
    let h = (t1 - t0) / (n - 1) as f64;
    let thetas: Vec<f64> = (0..n).map(|i| t0 + i as f64 * h).collect();
    let ks: Vec<f64> = thetas.iter().map(|t| t / lambda).collect();
    let f2 = phase_object_f2(element, kv, &ks);
    let w = simpson(n, h);
    let disc = std::f64::consts::PI * a * a;
    2.0 * std::f64::consts::PI
        * thetas
            .iter()
            .zip(&f2)
            .zip(&w)
            .map(|((&t, f), w)| {
                let d = (lens(a, t_out, t) - lens(a, t_in, t)) / disc;
                t * f * w * d
            })
            .sum::<f64>()
}

/// Area of the intersection of circles of radii r1, r2 whose centres are
/// d apart.
fn lens(r1: f64, r2: f64, d: f64) -> f64 {
    use std::f64::consts::PI;
    if d >= r1 + r2 {
        return 0.0;
    }
    if d <= (r1 - r2).abs() {
        return PI * r1.min(r2).powi(2);
    }
    let c1 = ((d * d + r1 * r1 - r2 * r2) / (2.0 * d * r1)).clamp(-1.0, 1.0);
    let c2 = ((d * d + r2 * r2 - r1 * r1) / (2.0 * d * r2)).clamp(-1.0, 1.0);
    let k = (-d + r1 + r2) * (d + r1 - r2) * (d - r1 + r2) * (d + r1 + r2);
    r1 * r1 * c1.acos() + r2 * r2 * c2.acos() - 0.5 * k.max(0.0).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carbon_scattering_factor_at_zero_angle() {
        // Kirkland's C: f_e(0) = Σ a/b + c = 2.516 Å (Appendix C fit).
        let f0 = scattering_factor(Element::C, 0.0);
        assert!((f0 - 2.516).abs() < 5e-3, "{f0}");
    }

    #[test]
    fn projected_potential_transforms_back_to_the_scattering_factor() {
        // 2π ∫ r J0(2πqr) v_z(r) dr = 2π a0 e f_e(q) (the Born relation).
        for q in [0.5, 1.5, 3.0] {
            let n = 60_000;
            let dr = 30.0 / n as f64;
            let w = simpson(n + 1, dr);
            let integral: f64 = (1..=n)
                .map(|i| {
                    let r = i as f64 * dr;
                    r * f_j0(2.0 * std::f64::consts::PI * q * r)
                        * projected_potential(Element::CO, r)
                        * w[i]
                })
                .sum();
            let lhs = 2.0 * std::f64::consts::PI * integral;
            let rhs = 2.0 * std::f64::consts::PI * A0_E * scattering_factor(Element::CO, q);
            assert!((lhs / rhs - 1.0).abs() < 2e-3, "q {q}: {lhs} vs {rhs}");
        }
    }
}
