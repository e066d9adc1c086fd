//! The focused probe: P(r) = F⁻¹[A(k) exp(−i chi(k))] with a hard aperture
//! A = 1 for |k| <= alpha/λ, intensity normalised to Σ|P|² = 1 on its grid
//! (docs/PHYSICS.md §4). Partial temporal coherence: the intensity is averaged
//! over defocus C1 + √2 Δ x_i with 7-point Gauss-Hermite weights (Δ the
//! 1-sigma focal spread). Partial spatial coherence (finite source, FWHM d)
//! multiplies the image spectrum by exp(−π² d² k² / (4 ln 2)).

use rustfft::FftPlanner;
use rustfft::num_complex::Complex;
use serde::Serialize;

use super::optics::{Aberrations, wavelength};
use crate::error::{Error, Result};

/// Physicists' Gauss-Hermite nodes and weights, n = 7.
const GH_NODES: [f64; 7] = [
    -2.651_961_356_835_233,
    -1.673_551_628_767_471,
    -0.816_287_882_858_965,
    0.0,
    0.816_287_882_858_965,
    1.673_551_628_767_471,
    2.651_961_356_835_233,
];
const GH_WEIGHTS: [f64; 7] = [
    0.000_971_781_245_099_519,
    0.054_515_582_819_127_03,
    0.425_607_252_610_127_8,
    0.810_264_617_556_807_3,
    0.425_607_252_610_127_8,
    0.054_515_582_819_127_03,
    0.000_971_781_245_099_519,
];

/// Probe-forming optics.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Probe {
    /// Accelerating voltage (kV).
    pub kv: f64,
    /// Convergence semi-angle alpha (mrad).
    pub convergence_mrad: f64,
    /// Aberrations (Å).
    pub aberrations: Aberrations,
    /// Focal spread, 1 sigma (Å).
    #[serde(rename = "focal_spread_angstrom")]
    pub focal_spread: f64,
    /// Effective source size, FWHM (Å).
    #[serde(rename = "source_fwhm_angstrom")]
    pub source_fwhm: f64,
}

/// Largest |defocus| and |A1| accepted (Å): 1 µm.
pub const MAX_DEFOCUS: f64 = 1e4;
/// Largest |C3| accepted (Å): 10 mm.
pub const MAX_C3: f64 = 1e8;
/// Largest |C5| accepted (Å): 1 m.
pub const MAX_C5: f64 = 1e10;
/// Largest focal spread accepted (Å, 1 σ).
pub const MAX_FOCAL_SPREAD: f64 = 1e3;
/// Largest source size accepted (Å, FWHM).
pub const MAX_SOURCE_FWHM: f64 = 100.0;

impl Probe {
    /// An aberration-free probe.
    pub fn new(kv: f64, convergence_mrad: f64) -> Probe {
        Probe {
            kv,
            convergence_mrad,
            aberrations: Aberrations::default(),
            focal_spread: 0.0,
            source_fwhm: 0.0,
        }
    }

    /// Refuse non-physical optics.
    pub fn validate(&self) -> Result<()> {
        if !(self.kv > 0.0 && self.kv <= 3000.0) {
            return Err(Error::invalid(
                "--kv",
                format!(
                    "{} kV; give a positive voltage up to 3000 kV (typical: 60-300)",
                    crate::values::short(self.kv)
                ),
            ));
        }
        if !(self.convergence_mrad > 0.0 && self.convergence_mrad < 200.0) {
            return Err(Error::invalid(
                "--alpha",
                format!(
                    "{} mrad; the convergence semi-angle must lie in 0-200 mrad (typical: 20-35)",
                    crate::values::short(self.convergence_mrad)
                ),
            ));
        }
        // Physical ranges (Å): beyond them the probe is larger than any
        // field sacsim images, and the plan would not fit anywhere.
        let ab = &self.aberrations;
        let short = crate::values::short;
        for (name, v, max, unit_scale, unit) in [
            ("--defocus", -ab.c1, MAX_DEFOCUS, 1.0, "Å"),
            ("--cs", ab.c3, MAX_C3, 1e4, "µm"),
            ("--c5", ab.c5, MAX_C5, 1e7, "mm"),
            ("--astigmatism", ab.a1, MAX_DEFOCUS, 1.0, "Å"),
            (
                "--focal-spread",
                self.focal_spread,
                MAX_FOCAL_SPREAD,
                1.0,
                "Å",
            ),
            ("--source-size", self.source_fwhm, MAX_SOURCE_FWHM, 1.0, "Å"),
        ] {
            if !(v.is_finite() && v.abs() <= max) {
                return Err(Error::invalid(
                    name,
                    format!(
                        "{} {unit}; give a value within ±{} {unit}",
                        short(v / unit_scale),
                        short(max / unit_scale)
                    ),
                ));
            }
        }
        if self.focal_spread < 0.0 || self.source_fwhm < 0.0 {
            return Err(Error::invalid(
                "--focal-spread/--source-size",
                "must be >= 0",
            ));
        }
        Ok(())
    }

    /// Electron wavelength (Å).
    pub fn wavelength(&self) -> f64 {
        wavelength(self.kv)
    }

    /// Aperture radius in reciprocal space, alpha/λ (1/Å).
    pub fn k_aperture(&self) -> f64 {
        self.convergence_mrad * 1e-3 / self.wavelength()
    }

    /// Band limit of the incoherent image, 2 alpha/λ (1/Å).
    pub fn band_limit(&self) -> f64 {
        2.0 * self.k_aperture()
    }

    /// The focal spread as quadrature: (C1 shift Å, weight) pairs, 7-point
    /// Gauss-Hermite over a Gaussian of σ = `focal_spread` (weights sum
    /// to 1); one node of weight 1 without a spread.
    pub fn focal_nodes(&self) -> Vec<(f64, f64)> {
        if self.focal_spread > 0.0 {
            GH_NODES
                .iter()
                .zip(GH_WEIGHTS)
                .map(|(x, w)| {
                    (
                        std::f64::consts::SQRT_2 * self.focal_spread * x,
                        w / std::f64::consts::PI.sqrt(),
                    )
                })
                .collect()
        } else {
            vec![(0.0, 1.0)]
        }
    }

    /// Probe intensity on an nx x ny grid of spacings hx, hy (Å), centred
    /// on grid point (0, 0) with periodic wrap, normalised to sum 1,
    /// averaged over the focal spread. Row-major `[iy * nx + ix]`.
    pub fn intensity(&self, nx: usize, ny: usize, hx: f64, hy: f64) -> Vec<f64> {
        let lambda = self.wavelength();
        let kmax = self.k_aperture();
        let mut planner = FftPlanner::<f64>::new();
        let (row_fft, col_fft) = (planner.plan_fft_inverse(nx), planner.plan_fft_inverse(ny));
        let dk = (1.0 / (nx as f64 * hx)).max(1.0 / (ny as f64 * hy));
        let freq = |i: usize, n: usize, h: f64| {
            if i <= n / 2 {
                i as f64 / (n as f64 * h)
            } else {
                (i as f64 - n as f64) / (n as f64 * h)
            }
        };
        let (nodes, weights): (Vec<f64>, Vec<f64>) = self.focal_nodes().into_iter().unzip();
        let mut total = vec![0.0f64; nx * ny];
        for (dc1, w) in nodes.iter().zip(&weights) {
            let ab = Aberrations {
                c1: self.aberrations.c1 + dc1,
                ..self.aberrations
            };
            let mut wave = vec![Complex::new(0.0, 0.0); nx * ny];
            for iy in 0..ny {
                let ky = freq(iy, ny, hy);
                for ix in 0..nx {
                    let kx = freq(ix, nx, hx);
                    // Hard aperture with a one-sample linear edge, so its
                    // area does not jump with the grid (as abTEM does).
                    let edge = ((kmax - (kx * kx + ky * ky).sqrt()) / dk + 0.5).clamp(0.0, 1.0);
                    if edge > 0.0 {
                        let chi = ab.chi(kx, ky, lambda);
                        wave[iy * nx + ix] = Complex::new(chi.cos(), -chi.sin()) * edge;
                    }
                }
            }
            for row in wave.chunks_mut(nx) {
                row_fft.process(row);
            }
            let mut col = vec![Complex::new(0.0, 0.0); ny];
            for ix in 0..nx {
                for iy in 0..ny {
                    col[iy] = wave[iy * nx + ix];
                }
                col_fft.process(&mut col);
                for iy in 0..ny {
                    wave[iy * nx + ix] = col[iy];
                }
            }
            let sum: f64 = wave.iter().map(|c| c.norm_sqr()).sum();
            for (t, c) in total.iter_mut().zip(&wave) {
                *t += w * c.norm_sqr() / sum;
            }
        }
        total
    }

    /// Full width at half maximum of the probe intensity (Å), measured on
    /// a 0.01 Å grid along x through the centre (no source size).
    pub fn fwhm(&self) -> f64 {
        let (n, h) = (1024, 0.01);
        let i = self.intensity(n, n, h, h);
        let peak = i[0];
        // Walk out along +x from the centre to the half maximum.
        let mut ix = 0;
        while ix + 1 < n / 2 && i[ix + 1] > peak / 2.0 {
            ix += 1;
        }
        let (a, b) = (i[ix], i[ix + 1]);
        2.0 * h * (ix as f64 + (a - peak / 2.0) / (a - b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_at_80kv_30mrad_is_0_71_angstrom_wide_and_normalised() {
        let p = Probe::new(80.0, 30.0);
        let fwhm = p.fwhm();
        // 0.51 λ/α = 0.710 Å (docs/PHYSICS.md §4).
        assert!((fwhm - 0.71).abs() < 0.01, "{fwhm}");
        let i = p.intensity(128, 96, 0.1, 0.12);
        assert!((i.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn defocus_and_focal_spread_widen_the_probe() {
        // Depth of field λ/α² = 46 Å at 80 kV / 30 mrad: 6 nm of defocus
        // widens the probe and drops its peak to a fifth.
        let sharp = Probe::new(80.0, 30.0);
        let mut p = sharp;
        p.aberrations.c1 = -60.0;
        assert!(p.fwhm() > sharp.fwhm() * 1.1);
        let peak = |p: &Probe| p.intensity(256, 256, 0.05, 0.05)[0];
        assert!(peak(&p) < 0.3 * peak(&sharp));
        // Without C3 the sign of the defocus does not matter.
        let mut over = sharp;
        over.aberrations.c1 = 60.0;
        assert!((peak(&over) - peak(&p)).abs() < 1e-12);
        let mut q = Probe::new(80.0, 30.0);
        q.focal_spread = 40.0;
        let i0 = Probe::new(80.0, 30.0).intensity(256, 256, 0.05, 0.05)[0];
        assert!(q.intensity(256, 256, 0.05, 0.05)[0] < i0);
    }
}
