//! Electron scattering factors f_e(q) of neutral atoms, from a choice of
//! published parameterisations (both compiled in):
//! - [`Parametrization::Kirkland`] (default): E. J. Kirkland, *Advanced
//!   Computing in Electron Microscopy*, 2nd ed., Springer 2010, App. C,
//!   f_e(q) = Σ_{i=1..3} a_i/(q² + b_i) + c_i exp(−d_i q²) (`kirkland.tsv`).
//! - [`Parametrization::Lobato`]: I. Lobato and D. Van Dyck, Acta Cryst. A
//!   70, 636 (2014), f_e(q) = Σ_{i=1..5} a_i (2 + b_i q²)/(1 + b_i q²)²
//!   (`lobato.tsv`), abTEM's default.
//!
//! q = 1/d in 1/Å, f_e in Å (non-relativistic; the relativistic mass
//! enters through the interaction parameter). The 2D Fourier transform of
//! an atom's projected potential is 2π a0 e f_e(q) (V·Å³), Kirkland eq. 5.9
//! projected along z.

use std::sync::OnceLock;

use crate::error::{Error, Result};
use crate::structure::Element;

const LOBATO_TSV: &str = include_str!("lobato.tsv");

/// 2π a0 e (V·Å²): the factor from f_e (Å) to the projected potential's
/// Fourier transform (V·Å³). a0 = 0.529177 Å, e = 14.3996 V·Å.
pub const TWO_PI_A0_E: f64 = 2.0 * std::f64::consts::PI * 0.529_177_210_9 * 14.399_645;

/// Which fit of the electron scattering factors to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Parametrization {
    /// Kirkland (2010), 3 Lorentzians + 3 Gaussians.
    #[default]
    Kirkland,
    /// Lobato & Van Dyck (2014), 5 terms (abTEM's default).
    Lobato,
}

impl Parametrization {
    /// f_e(q) in Å for q in 1/Å.
    pub fn scattering_factor(self, element: Element, q: f64) -> f64 {
        match self {
            Parametrization::Kirkland => super::scattering::scattering_factor(element, q),
            Parametrization::Lobato => {
                let [a, b] = lobato_table()[element.z() as usize - 1];
                let q2 = q * q;
                (0..5)
                    .map(|i| {
                        let x = 1.0 + b[i] * q2;
                        a[i] * (2.0 + b[i] * q2) / (x * x)
                    })
                    .sum()
            }
        }
    }
}

/// Lobato's parameters of `element`: [a, b] with f_e(q) = Σ a_i (2 +
/// b_i q²)/(1 + b_i q²)².
pub fn lobato_terms(element: Element) -> [[f64; 5]; 2] {
    lobato_table()[element.z() as usize - 1]
}

fn lobato_table() -> &'static [[[f64; 5]; 2]] {
    static TABLE: OnceLock<Vec<[[f64; 5]; 2]>> = OnceLock::new();
    TABLE.get_or_init(|| {
        LOBATO_TSV
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|line| {
                let v: Vec<f64> = line
                    .split('\t')
                    .skip(2)
                    .map(|x| x.parse().expect("lobato.tsv"))
                    .collect();
                [
                    [v[0], v[1], v[2], v[3], v[4]],
                    [v[5], v[6], v[7], v[8], v[9]],
                ]
            })
            .collect()
    })
}

impl std::str::FromStr for Parametrization {
    type Err = Error;
    fn from_str(text: &str) -> Result<Parametrization> {
        match text.trim().to_ascii_lowercase().as_str() {
            "kirkland" => Ok(Parametrization::Kirkland),
            "lobato" => Ok(Parametrization::Lobato),
            _ => Err(Error::UnknownName {
                kind: "parametrization",
                name: text.to_string(),
                valid: "kirkland, lobato".into(),
            }),
        }
    }
}

impl std::fmt::Display for Parametrization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Parametrization::Kirkland => "kirkland",
            Parametrization::Lobato => "lobato",
        })
    }
}

crate::values::serde_as_text!(Parametrization);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_fits_agree_where_both_are_accurate() {
        // Values from abTEM 1.0.11 (its lobato.json and kirkland.json),
        // projected scattering factor 2π a0 e f_e at q² = 0, 0.25, 1, 4 /Å²
        // (abTEM evaluates Lobato's in float32: 1e-4 relative).
        for (el, lobato, kirkland) in [
            (
                Element::C,
                [120.15909, 55.97783, 19.76377, 5.609345],
                [120.23792, 56.01899, 19.75923, 5.593615],
            ),
            (
                Element::CO,
                [328.00162, 140.88567, 67.96721, 23.23994],
                [328.10305, 139.90846, 67.80563, 23.23008],
            ),
        ] {
            for (i, q2) in [0.0f64, 0.25, 1.0, 4.0].into_iter().enumerate() {
                let q = q2.sqrt();
                let l = TWO_PI_A0_E * Parametrization::Lobato.scattering_factor(el, q);
                let k = TWO_PI_A0_E * Parametrization::Kirkland.scattering_factor(el, q);
                assert!((l / lobato[i] - 1.0).abs() < 1e-4, "{el:?} {q2}: {l}");
                assert!((k / kirkland[i] - 1.0).abs() < 2e-5, "{el:?} {q2}: {k}");
            }
        }
    }
}
