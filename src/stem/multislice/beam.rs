//! One probe position through the slices: the incident probe, the Fresnel
//! propagator, the exit wave's annular detector.
//!
//! The wave lives on a window of the potential grid centred on the probe
//! (index nw/2 along each axis). Every scan position sits on a potential
//! grid point, so the incident probe is the same array at every position:
//! only the window of the transmission functions moves.
//!
//! Multislice (Kirkland 2010, eq. 6.92): ψ_{s+1} = F⁻¹[P(k) F[t_s ψ_s]],
//! P(k) = exp(−iπλΔz k²) times the anti-aliasing aperture. The beam
//! travels towards −z: propagation by Δz adds Δz to C1 (abTEM's
//! convention: defocus = −C1 falls by Δz). The detector collects
//! Σ |Ψ(k)|² over θ_in ≤ λ|k| < θ_out at the exit, as a fraction of the
//! incident intensity (Parseval: Σ_k |Ψ|² = N Σ_r |ψ|²).

use rustfft::num_complex::Complex;

use super::potential::Grid;
use crate::fft::{ComplexFft2, FftScratch};
use crate::stem::incoherent::Imaging;
use crate::stem::optics::Aberrations;

/// The probe, propagator and detector on one window size.
pub struct Beam {
    fft: ComplexFft2,
    /// Window grid (origin unused).
    window: Grid,
    /// Incident probes (row-major, Σ|ψ|² = 1) and their weights, one per
    /// focal-spread node.
    probes: Vec<(f64, Vec<Complex<f32>>)>,
    /// exp(−iπλΔz k²) · aperture / (nx ny), transposed spectrum layout.
    propagator: Vec<Complex<f32>>,
    /// Transposed-spectrum indices inside the detector annulus (and the
    /// anti-aliasing disc).
    detector: Vec<u32>,
}

/// Buffers of one thread.
#[derive(Default)]
pub struct Workspace {
    wave: Vec<Complex<f32>>,
    fft: FftScratch,
}

impl Beam {
    /// Plan the window `window` (n and h; the potential's spacing) for
    /// slices `dz` Å apart, the probe defocused by `entrance_shift` Å
    /// more than `--defocus` at the first slice.
    pub fn new(imaging: &Imaging, window: Grid, dz: f64, entrance_shift: f64) -> Beam {
        let [nx, ny] = window.n;
        let lambda = imaging.probe.wavelength();
        let fft = ComplexFft2::new(nx, ny);
        let mut scratch = FftScratch::default();
        let k_of = |ix: usize, iy: usize| (window.frequency(0, ix), window.frequency(1, iy));
        let kmax = imaging.probe.k_aperture();
        let dk = (1.0 / (nx as f64 * window.h[0])).max(1.0 / (ny as f64 * window.h[1]));
        // Centre at index (nx/2, ny/2): a phase ramp in k.
        let centre = [(nx / 2) as f64 * window.h[0], (ny / 2) as f64 * window.h[1]];
        let probes = imaging
            .probe
            .focal_nodes()
            .into_iter()
            .map(|(dc1, weight)| {
                let ab = Aberrations {
                    c1: imaging.probe.aberrations.c1 - entrance_shift + dc1,
                    ..imaging.probe.aberrations
                };
                let mut spec = vec![Complex::<f32>::default(); nx * ny];
                for ix in 0..nx {
                    for iy in 0..ny {
                        let (kx, ky) = k_of(ix, iy);
                        // Hard aperture with a one-sample linear edge (as
                        // Probe::intensity and abTEM).
                        let edge = ((kmax - (kx * kx + ky * ky).sqrt()) / dk + 0.5).clamp(0.0, 1.0);
                        if edge > 0.0 {
                            let phase = -ab.chi(kx, ky, lambda)
                                - 2.0 * std::f64::consts::PI * (kx * centre[0] + ky * centre[1]);
                            spec[ix * ny + iy] = Complex::from_polar(edge as f32, phase as f32);
                        }
                    }
                }
                fft.inverse(&mut spec, &mut scratch);
                let total: f64 = spec.iter().map(|c| c.norm_sqr() as f64).sum();
                let norm = (1.0 / total).sqrt() as f32;
                spec.iter_mut().for_each(|c| *c *= norm);
                (weight, spec)
            })
            .collect();
        let n = (nx * ny) as f64;
        let mut propagator = vec![Complex::<f32>::default(); nx * ny];
        let mut detector = Vec::new();
        let (k_in, k_out) = (
            imaging.detector.inner_mrad * 1e-3 / lambda,
            imaging.detector.outer_mrad * 1e-3 / lambda,
        );
        for ix in 0..nx {
            for iy in 0..ny {
                let (kx, ky) = k_of(ix, iy);
                let k2 = kx * kx + ky * ky;
                let k = k2.sqrt();
                let aperture = window.antialias(k) as f64;
                let phase = -std::f64::consts::PI * lambda * dz * k2;
                propagator[ix * ny + iy] = Complex::from_polar((aperture / n) as f32, phase as f32);
                if k >= k_in && k < k_out && k < window.antialias_cutoff() {
                    detector.push((ix * ny + iy) as u32);
                }
            }
        }
        Beam {
            fft,
            window,
            probes,
            propagator,
            detector,
        }
    }

    /// Detector signal (fraction of the incident beam) for the window
    /// starting at `start` (grid indices, wrapped) of the potential grid
    /// `[px, py]`, through `slices` (None: empty, propagation only).
    pub fn signal(
        &self,
        slices: &[Option<Vec<Complex<f32>>>],
        pot: [usize; 2],
        start: [i64; 2],
        ws: &mut Workspace,
    ) -> f64 {
        let n = (self.window.n[0] * self.window.n[1]) as f64;
        let mut total = 0.0;
        for (weight, probe) in &self.probes {
            self.exit_wave(probe, slices, pot, start, ws);
            let collected: f64 = self
                .detector
                .iter()
                .map(|&i| ws.wave[i as usize].norm_sqr() as f64)
                .sum();
            total += weight * collected / n;
        }
        total
    }

    /// Total exit intensity over the incident one (1 when nothing is cut
    /// by the anti-aliasing aperture), for the first focal node.
    pub fn exit_intensity(
        &self,
        slices: &[Option<Vec<Complex<f32>>>],
        pot: [usize; 2],
        start: [i64; 2],
    ) -> f64 {
        let mut ws = Workspace::default();
        self.exit_wave(&self.probes[0].1, slices, pot, start, &mut ws);
        let n = (self.window.n[0] * self.window.n[1]) as f64;
        ws.wave.iter().map(|c| c.norm_sqr() as f64).sum::<f64>() / n
    }

    /// The exit wave's spectrum (unscaled transform, transposed layout)
    /// in `ws.wave`.
    fn exit_wave(
        &self,
        probe: &[Complex<f32>],
        slices: &[Option<Vec<Complex<f32>>>],
        pot: [usize; 2],
        start: [i64; 2],
        ws: &mut Workspace,
    ) {
        let n = (self.window.n[0] * self.window.n[1]) as f32;
        ws.wave.clear();
        ws.wave.extend_from_slice(probe);
        let mut in_k = false;
        for (s, t) in slices.iter().enumerate() {
            if let Some(t) = t {
                if in_k {
                    self.fft.inverse(&mut ws.wave, &mut ws.fft);
                }
                transmit(&mut ws.wave, t, self.window.n, pot, start);
                self.fft.forward(&mut ws.wave, &mut ws.fft);
                in_k = true;
            } else if !in_k {
                self.fft.forward(&mut ws.wave, &mut ws.fft);
                in_k = true;
            }
            if s + 1 < slices.len() {
                ws.wave
                    .iter_mut()
                    .zip(&self.propagator)
                    .for_each(|(w, p)| *w *= p);
                // The propagator carries the inverse transform's 1/N;
                // through an empty slice the wave stays in k.
                if slices[s + 1].is_none() {
                    ws.wave.iter_mut().for_each(|w| *w *= n);
                }
            }
        }
        if !in_k {
            self.fft.forward(&mut ws.wave, &mut ws.fft);
        }
    }
}

/// ψ(r) *= t(r + start), the window cut from the periodic potential grid.
fn transmit(
    wave: &mut [Complex<f32>],
    t: &[Complex<f32>],
    [nx, ny]: [usize; 2],
    [px, py]: [usize; 2],
    [sx, sy]: [i64; 2],
) {
    for iy in 0..ny {
        let row = (sy + iy as i64).rem_euclid(py as i64) as usize * px;
        let w = &mut wave[iy * nx..(iy + 1) * nx];
        let x0 = sx.rem_euclid(px as i64) as usize;
        if x0 + nx <= px {
            w.iter_mut()
                .zip(&t[row + x0..row + x0 + nx])
                .for_each(|(a, b)| *a *= b);
        } else {
            for (ix, a) in w.iter_mut().enumerate() {
                *a *= t[row + (x0 + ix) % px];
            }
        }
    }
}
