//! Projected potential slices and their transmission functions.
//!
//! Each slice's atoms are projected along z (infinite projection: an atom
//! belongs to the slice holding its centre, as abTEM's default; or finite,
//! [`super::finite`], as weighted Gaussian terms). The
//! potential is built in Fourier space: V̂(k) = Σ_j e^{−2πi k·r_j} ·
//! 2π a0 e f_e(|k|) (Kirkland eq. 5.9 projected). The structure factor
//! Σ_j e^{−2πi k·r_j} is computed as in a type-1 non-uniform FFT: every
//! atom is spread onto the grid as a normalised Gaussian of σ = 1.2 grid
//! spacings (±6 points), transformed, and divided by the Gaussian's
//! transform exp(−2π²σ²k²). Inside the anti-aliasing disc (|k| ≤ 1/(3h))
//! the aliased remainder is below exp(−2π²·1.2²/3) = 8e-5 for any
//! sub-pixel position (no bilinear-delta bias towards grid points); beyond
//! the disc V̂ is set to zero, as the wave is band-limited there anyway.
//! The transmission function t = exp(iσ_e v_z) (σ_e the interaction
//! parameter, Kirkland eq. 5.6) is band-limited to the same disc.

use std::collections::BTreeMap;

use rayon::prelude::*;
use rustfft::num_complex::Complex;

use crate::fft::ComplexFft2;
use crate::stem::parametrization::{Parametrization, TWO_PI_A0_E};
use crate::structure::Element;

/// Width of the spreading Gaussian in grid spacings.
const SPREAD_SIGMA: f64 = 1.2;
/// Reach of the spreading, in grid points either side (5 σ).
const SPREAD_REACH: i64 = 6;

/// A periodic 2D grid: `n` points of spacing `h` (Å) from `origin` (Å).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grid {
    /// Points along x, y.
    pub n: [usize; 2],
    /// Spacing (Å).
    pub h: [f64; 2],
    /// Position of point (0, 0) (Å).
    pub origin: [f64; 2],
}

impl Grid {
    /// Frequency (1/Å) of DFT index i along `axis` (FFT order).
    pub fn frequency(&self, axis: usize, i: usize) -> f64 {
        let n = self.n[axis];
        let i = if i <= n / 2 {
            i as f64
        } else {
            i as f64 - n as f64
        };
        i / (n as f64 * self.h[axis])
    }

    /// The anti-aliasing cutoff (1/Å): 2/3 of the Nyquist frequency of the
    /// coarser axis, 1/(3 max h) (abTEM's rule).
    pub fn antialias_cutoff(&self) -> f64 {
        1.0 / (3.0 * self.h[0].max(self.h[1]))
    }

    /// The anti-aliasing aperture at |k| (1/Å): 1 inside, a raised-cosine
    /// taper 0.01/h wide inside the cutoff, 0 beyond (abTEM's default).
    pub fn antialias(&self, k: f64) -> f32 {
        let cut = self.antialias_cutoff();
        let taper = 0.01 / self.h[0].max(self.h[1]);
        if k >= cut {
            0.0
        } else if k > cut - taper {
            (0.5 * (1.0 + (std::f64::consts::PI * (k - cut + taper) / taper).cos())) as f32
        } else {
            1.0
        }
    }
}

/// The atoms of one slice, projected: (x, y) in Å by element.
pub type SliceAtoms = BTreeMap<Element, Vec<[f64; 2]>>;

/// How a term's spectrum depends on |k|.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Form {
    /// The element's tabulated radial factor: its scattering factor
    /// (infinite projection) or its core (finite projection).
    Element(Element),
    /// A Gaussian e^{−t k²} of width t (Å²) ([`super::finite`]).
    Gaussian(f64),
}

/// One term of a slice's potential: atoms at (x, y) (Å) with weights (Å
/// for a Gaussian, 1 for an element's table), and the shape of their
/// transform.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    /// The k-dependence.
    pub form: Form,
    /// Positions and weights.
    pub atoms: Vec<([f64; 2], f64)>,
}

/// The terms of infinite-projection slices: one per element, unit weights.
pub fn infinite_terms(slices: Vec<SliceAtoms>) -> Vec<Vec<Term>> {
    slices
        .into_iter()
        .map(|atoms| {
            atoms
                .into_iter()
                .map(|(e, xy)| Term {
                    form: Form::Element(e),
                    atoms: xy.into_iter().map(|p| (p, 1.0)).collect(),
                })
                .collect()
        })
        .collect()
}

/// Transmission functions of every slice, row-major on `grid`, or `None`
/// for an empty slice, with the infinite projection of each slice's atoms
/// (see [`transmissions_of`]).
pub fn transmissions(
    grid: &Grid,
    slices: &[SliceAtoms],
    parametrization: Parametrization,
    sigma_e: f64,
    oversample: usize,
) -> Vec<Option<Vec<Complex<f32>>>> {
    let terms = infinite_terms(slices.to_vec());
    let table = |e: Element, q: f64| parametrization.scattering_factor(e, q);
    transmissions_of(grid, &terms, &table, sigma_e, oversample)
}

/// Transmission functions of slices given as terms; `table(e, q)` is the
/// radial factor (Å) of [`Form::Element`] terms. The potential is built
/// on a grid `oversample` times finer, so v_z keeps its components up to
/// 2/3 of the fine grid's Nyquist frequency: the phase exp(iσv) of a
/// heavy atom's core is far from linear, and its harmonics below the
/// coarse cutoff need the potential's high frequencies. t is band-limited
/// to the coarse grid's anti-aliasing disc and read at the coarse points.
/// Slices run in parallel; each is computed the same way on any thread
/// count.
pub fn transmissions_of(
    grid: &Grid,
    slices: &[Vec<Term>],
    table: &(dyn Fn(Element, f64) -> f64 + Sync),
    sigma_e: f64,
    oversample: usize,
) -> Vec<Option<Vec<Complex<f32>>>> {
    let q = oversample.max(1);
    let fine = Grid {
        n: [grid.n[0] * q, grid.n[1] * q],
        h: [grid.h[0] / q as f64, grid.h[1] / q as f64],
        origin: grid.origin,
    };
    let fft = ComplexFft2::new(fine.n[0], fine.n[1]);
    let coarse_fft = ComplexFft2::new(grid.n[0], grid.n[1]);
    let factors = element_tables(&fine, slices, table);
    slices
        .par_iter()
        .map(|terms| {
            (!terms.is_empty())
                .then(|| transmission(grid, &fine, &fft, &coarse_fft, terms, &factors, sigma_e))
        })
        .collect()
}

/// One table per element of the slices' [`Form::Element`] terms, on
/// `grid` (transposed spectrum layout).
fn element_tables(
    grid: &Grid,
    slices: &[Vec<Term>],
    table: &(dyn Fn(Element, f64) -> f64 + Sync),
) -> BTreeMap<Element, Vec<f32>> {
    let elements: std::collections::BTreeSet<Element> = slices
        .iter()
        .flatten()
        .filter_map(|t| match t.form {
            Form::Element(e) => Some(e),
            Form::Gaussian(_) => None,
        })
        .collect();
    let elements: Vec<Element> = elements.into_iter().collect();
    elements
        .par_iter()
        .map(|&e| (e, form_factor(grid, |k| table(e, k))))
        .collect()
}

/// 2π a0 e f(|k|) / (G(k) · hx hy · nx ny) inside the anti-aliasing disc,
/// 0 outside; G the spreading Gaussian's transform. Transposed layout.
fn form_factor(grid: &Grid, f: impl Fn(f64) -> f64) -> Vec<f32> {
    let [nx, ny] = grid.n;
    let cut = grid.antialias_cutoff();
    let s = [SPREAD_SIGMA * grid.h[0], SPREAD_SIGMA * grid.h[1]];
    // The spread density sums to 1 per atom: divide by the cell area for
    // a density (1/Å²), by nx·ny for the unscaled inverse transform.
    let scale = TWO_PI_A0_E / ((nx * ny) as f64 * grid.h[0] * grid.h[1]);
    let mut out = vec![0f32; nx * ny];
    for ix in 0..nx {
        let kx = grid.frequency(0, ix);
        for iy in 0..ny {
            let ky = grid.frequency(1, iy);
            let k = (kx * kx + ky * ky).sqrt();
            if k < cut {
                let pi2 = std::f64::consts::PI * std::f64::consts::PI;
                let g = (-2.0 * pi2 * (s[0] * s[0] * kx * kx + s[1] * s[1] * ky * ky)).exp();
                out[ix * ny + iy] = (scale * f(k) / g) as f32;
            }
        }
    }
    out
}

/// Add `density`'s spectrum times `unit` · 2π a0 e e^{−t k²}/G(k) (scaled as
/// [`form_factor`]) to `spectrum` inside the disc: the form is separable,
/// e^{−(t − 2π²s_x²) kx²} · e^{−(t − 2π²s_y²) ky²}.
fn add_gaussian(
    grid: &Grid,
    t: f64,
    density: &[Complex<f32>],
    unit: Complex<f32>,
    spectrum: &mut [Complex<f32>],
) {
    let [nx, ny] = grid.n;
    let cut2 = grid.antialias_cutoff().powi(2);
    let pi2 = std::f64::consts::PI * std::f64::consts::PI;
    let scale = TWO_PI_A0_E / ((nx * ny) as f64 * grid.h[0] * grid.h[1]);
    let factor = |axis: usize, i: usize| {
        let s = SPREAD_SIGMA * grid.h[axis];
        let k = grid.frequency(axis, i);
        (-(t - 2.0 * pi2 * s * s) * k * k).exp()
    };
    let fy: Vec<f64> = (0..ny).map(|iy| factor(1, iy)).collect();
    for ix in 0..nx {
        let kx = grid.frequency(0, ix);
        let fx = scale * factor(0, ix);
        for (iy, f) in fy.iter().enumerate() {
            let ky = grid.frequency(1, iy);
            if kx * kx + ky * ky < cut2 {
                let i = ix * ny + iy;
                spectrum[i] += density[i] * unit * (fx * f) as f32;
            }
        }
    }
}

/// The projected potential v_z (V·Å, in the real parts) of one slice's
/// terms on `grid`: spread, transform, forms, back.
fn potential(
    grid: &Grid,
    fft: &ComplexFft2,
    terms: &[Term],
    factors: &BTreeMap<Element, Vec<f32>>,
    scratch: &mut crate::fft::FftScratch,
) -> Vec<Complex<f32>> {
    // Two real densities share one complex transform: Z = F[d1 + i d2].
    // The forms f are real and even, so F⁻¹[f1 Z − i f2 Z] has the real
    // part f1 ⊛ d1 + f2 ⊛ d2, the only part used.
    let mut spectrum = vec![Complex::<f32>::default(); grid.n[0] * grid.n[1]];
    let terms: Vec<&Term> = terms.iter().filter(|t| !t.atoms.is_empty()).collect();
    for pair in terms.chunks(2) {
        let mut density = vec![Complex::<f32>::default(); grid.n[0] * grid.n[1]];
        spread(grid, &pair[0].atoms, &mut density, false);
        if let Some(second) = pair.get(1) {
            spread(grid, &second.atoms, &mut density, true);
        }
        fft.forward(&mut density, scratch);
        for (term, rotate) in pair.iter().zip([false, true]) {
            let unit = if rotate {
                Complex::new(0.0, -1.0)
            } else {
                Complex::new(1.0, 0.0)
            };
            match term.form {
                Form::Element(e) => {
                    for ((v, d), f) in spectrum.iter_mut().zip(&density).zip(&factors[&e]) {
                        *v += d * unit * f;
                    }
                }
                Form::Gaussian(t) => add_gaussian(grid, t, &density, unit, &mut spectrum),
            }
        }
    }
    fft.inverse(&mut spectrum, scratch);
    spectrum
}

/// The projected potential v_z (V·Å) of every slice, row-major on `grid`
/// itself (no oversampling), band-limited to its anti-aliasing disc: what
/// [`transmissions_of`] takes the phase of.
pub fn potentials_of(
    grid: &Grid,
    slices: &[Vec<Term>],
    table: &(dyn Fn(Element, f64) -> f64 + Sync),
) -> Vec<Vec<f32>> {
    let fft = ComplexFft2::new(grid.n[0], grid.n[1]);
    let factors = element_tables(grid, slices, table);
    slices
        .iter()
        .map(|terms| {
            let mut scratch = crate::fft::FftScratch::default();
            potential(grid, &fft, terms, &factors, &mut scratch)
                .iter()
                .map(|v| v.re)
                .collect()
        })
        .collect()
}

/// One slice: its potential on the fine grid, exp(iσ v);
/// band-limit to the coarse disc and keep the coarse spectrum.
fn transmission(
    grid: &Grid,
    fine: &Grid,
    fft: &ComplexFft2,
    coarse_fft: &ComplexFft2,
    terms: &[Term],
    factors: &BTreeMap<Element, Vec<f32>>,
    sigma_e: f64,
) -> Vec<Complex<f32>> {
    let [fx, fy] = fine.n;
    let [nx, ny] = grid.n;
    let mut scratch = crate::fft::FftScratch::default();
    let spectrum = potential(fine, fft, terms, factors, &mut scratch);
    // t = exp(iσ v), scaled by 1/(fx fy) for the unscaled pair below.
    let norm = 1.0 / (fx * fy) as f32;
    let mut t: Vec<Complex<f32>> = spectrum
        .iter()
        .map(|v| Complex::from_polar(norm, (sigma_e * v.re as f64) as f32))
        .collect();
    drop(spectrum);
    fft.forward(&mut t, &mut scratch);
    // The coarse spectrum: the fine one's entries at the coarse
    // frequencies, inside the anti-aliasing disc.
    let fine_index = |i: usize, n: usize, f: usize| if i <= n / 2 { i } else { f - (n - i) };
    let mut out = vec![Complex::<f32>::default(); nx * ny];
    for ix in 0..nx {
        let kx = grid.frequency(0, ix);
        let jx = fine_index(ix, nx, fx);
        for iy in 0..ny {
            let ky = grid.frequency(1, iy);
            let a = grid.antialias((kx * kx + ky * ky).sqrt());
            if a > 0.0 {
                out[ix * ny + iy] = t[jx * fy + fine_index(iy, ny, fy)] * a;
            }
        }
    }
    drop(t);
    coarse_fft.inverse(&mut out, &mut scratch);
    out
}

/// Add normalised Gaussians of σ = [`SPREAD_SIGMA`] spacings at the
/// positions, sampled on the periodic grid, each summing to its weight,
/// to the real (or `imaginary`) parts of `out`.
fn spread(grid: &Grid, atoms: &[([f64; 2], f64)], out: &mut [Complex<f32>], imaginary: bool) {
    let [nx, ny] = grid.n;
    let width = (2 * SPREAD_REACH + 1) as usize;
    let norm = 1.0 / ((2.0 * std::f64::consts::PI).sqrt() * SPREAD_SIGMA);
    let weights = |u: f64| -> (i64, Vec<f64>) {
        let i0 = u.round() as i64;
        let w = (-SPREAD_REACH..=SPREAD_REACH)
            .map(|d| {
                let x = (i0 + d) as f64 - u;
                norm * (-x * x / (2.0 * SPREAD_SIGMA * SPREAD_SIGMA)).exp()
            })
            .collect();
        (i0, w)
    };
    for &(p, weight) in atoms {
        let (ix0, wx) = weights((p[0] - grid.origin[0]) / grid.h[0]);
        let (iy0, wy) = weights((p[1] - grid.origin[1]) / grid.h[1]);
        for (dy, wy) in wy.iter().enumerate().take(width) {
            let wy = wy * weight;
            let iy = (iy0 + dy as i64 - SPREAD_REACH).rem_euclid(ny as i64) as usize;
            for (dx, wx) in wx.iter().enumerate() {
                let ix = (ix0 + dx as i64 - SPREAD_REACH).rem_euclid(nx as i64) as usize;
                let v = &mut out[iy * nx + ix];
                if imaginary {
                    v.im += (wx * wy) as f32;
                } else {
                    v.re += (wx * wy) as f32;
                }
            }
        }
    }
}
