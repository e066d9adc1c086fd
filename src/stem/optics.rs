//! Electron optics: wavelength, interaction parameter and the aberration
//! phase of the probe-forming lens.
//!
//! Conventions (stated against abTEM and Kirkland):
//! - `c1` is the defocus aberration C1 (= abTEM's `C10`, Å). sacsim's
//!   `defocus` is −C1 (= abTEM's `defocus` = Kirkland's defocus): a
//!   positive defocus is underfocus.
//! - chi(k) = 2π/λ · (C1 α²/2 + C3 α⁴/4 + C5 α⁶/6 + A1 α²/2 · cos 2(φ − φ_A1)),
//!   α = λ|k| (rad), φ the azimuth of k; C1, C3, C5, A1 in Å.

use serde::Serialize;

/// h c in keV·Å.
pub const HC_KEV_A: f64 = 12.398_424_4;
/// Electron rest energy m0 c² in keV.
pub const M0C2_KEV: f64 = 510.998_95;

/// Relativistic electron wavelength (Å) at `kv` kilovolts:
/// λ = h c / sqrt(E (2 m0 c² + E)).
pub fn wavelength(kv: f64) -> f64 {
    HC_KEV_A / (kv * (2.0 * M0C2_KEV + kv)).sqrt()
}

/// σ (Å) of the Gaussian with the FWHM of an aberration-free probe of
/// semi-angle `mrad` at `kv`: the Airy disk's intensity FWHM is
/// 1.029 λ / (2α) ≈ 0.51 λ/α, and σ = FWHM / 2.3548.
pub fn diffraction_limited_sigma(kv: f64, mrad: f64) -> f64 {
    0.5145 * wavelength(kv) / (mrad * 1e-3) / 2.3548
}

/// Relativistic mass factor γ = 1 + E / m0c².
pub fn gamma(kv: f64) -> f64 {
    1.0 + kv / M0C2_KEV
}

/// Interaction parameter σ_e (rad / (V·Å)) = 2π/(λ V) · (m0c² + eV)/(2 m0c² + eV)
/// (Kirkland 2010, eq. 5.6).
pub fn interaction_parameter(kv: f64) -> f64 {
    let v = kv * 1e3;
    2.0 * std::f64::consts::PI / (wavelength(kv) * v) * (M0C2_KEV + kv) / (2.0 * M0C2_KEV + kv)
}

/// Aberrations of the probe-forming lens (Å, radians).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Aberrations {
    /// C1 (Å) = abTEM C10 = −defocus; negative is underfocus.
    #[serde(rename = "c1_angstrom")]
    pub c1: f64,
    /// Spherical aberration C3 = Cs (Å).
    #[serde(rename = "c3_angstrom")]
    pub c3: f64,
    /// Fifth-order spherical aberration C5 (Å).
    #[serde(rename = "c5_angstrom")]
    pub c5: f64,
    /// Two-fold astigmatism A1 (Å).
    #[serde(rename = "a1_angstrom")]
    pub a1: f64,
    /// Azimuth of the two-fold astigmatism φ_A1 (rad).
    #[serde(rename = "a1_angle_rad")]
    pub a1_angle: f64,
}

impl Aberrations {
    /// The aberration phase chi (rad) at spatial frequency (kx, ky) in 1/Å.
    pub fn chi(&self, kx: f64, ky: f64, wavelength: f64) -> f64 {
        let alpha = wavelength * (kx * kx + ky * ky).sqrt();
        let a2 = alpha * alpha;
        let phi = ky.atan2(kx);
        2.0 * std::f64::consts::PI / wavelength
            * (self.c1 * a2 / 2.0
                + self.c3 * a2 * a2 / 4.0
                + self.c5 * a2 * a2 * a2 / 6.0
                + self.a1 * a2 / 2.0 * (2.0 * (phi - self.a1_angle)).cos())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_diffraction_limited_probe_is_0_3_angstrom_at_80_kv_30_mrad() {
        // FWHM 0.51 λ/α = 0.716 Å at λ = 0.041757 Å, α = 30 mrad.
        let s = diffraction_limited_sigma(80.0, 30.0);
        assert!((s * 2.3548 - 0.5145 * 0.041757 / 0.030).abs() < 1e-4, "{s}");
        assert!((s - 0.304).abs() < 1e-3, "{s}");
        // Halving the angle doubles the width.
        assert!((diffraction_limited_sigma(80.0, 15.0) / s - 2.0).abs() < 1e-12);
    }

    #[test]
    fn wavelengths_match_the_reference_values() {
        for (kv, lambda) in [
            (60.0, 0.048661),
            (80.0, 0.041757),
            (200.0, 0.025079),
            (300.0, 0.019687),
        ] {
            assert!(
                (wavelength(kv) - lambda).abs() < 1e-5,
                "{kv} kV: {}",
                wavelength(kv)
            );
        }
    }

    #[test]
    fn interaction_parameter_at_80_kv() {
        assert!((interaction_parameter(80.0) - 1.00871e-3).abs() < 1e-7);
    }

    #[test]
    fn defocus_phase_has_the_stated_sign() {
        let ab = Aberrations {
            c1: -100.0,
            ..Default::default()
        };
        // Underfocus (C1 < 0): chi negative and quadratic in k.
        let (l, k) = (wavelength(80.0), 0.5);
        let chi = ab.chi(k, 0.0, l);
        assert!(
            (chi - 2.0 * std::f64::consts::PI / l * (-100.0) * (l * k).powi(2) / 2.0).abs() < 1e-12
        );
        assert!((ab.chi(0.0, 2.0 * k, l) / chi - 4.0).abs() < 1e-12);
    }
}
