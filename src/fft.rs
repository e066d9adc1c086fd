//! Two-dimensional real FFT on a row-major image (`data[iy * nx + ix]`),
//! built from realfft (rows) and rustfft (columns), planned once.
//!
//! The spectrum is kept transposed: `spec[kx * ny + ky]` for
//! kx in 0..=nx/2 and ky in 0..ny, which is the layout the column
//! transforms produce; [`Fft2::frequencies`] gives the k of each entry.
//! Conventions: forward e^{-2πi k·r}, no scaling; [`Fft2::inverse`]
//! divides by nx·ny, so inverse(forward(x)) = x. Rows and columns are
//! transformed in parallel; every output element is computed the same way
//! on any thread count.

use std::sync::Arc;

use rayon::prelude::*;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

/// A planned 2D real FFT for an nx x ny grid.
pub struct Fft2 {
    nx: usize,
    ny: usize,
    r2c: Arc<dyn RealToComplex<f32>>,
    c2r: Arc<dyn ComplexToReal<f32>>,
    col_fwd: Arc<dyn Fft<f32>>,
    col_inv: Arc<dyn Fft<f32>>,
}

impl Fft2 {
    /// Plan transforms for an nx x ny grid.
    pub fn new(nx: usize, ny: usize) -> Fft2 {
        let mut real = RealFftPlanner::<f32>::new();
        let mut complex = FftPlanner::<f32>::new();
        Fft2 {
            nx,
            ny,
            r2c: real.plan_fft_forward(nx),
            c2r: real.plan_fft_inverse(nx),
            col_fwd: complex.plan_fft_forward(ny),
            col_inv: complex.plan_fft_inverse(ny),
        }
    }

    /// Number of spectrum columns, nx/2 + 1.
    pub fn half(&self) -> usize {
        self.nx / 2 + 1
    }

    /// Forward transform of a real image (consumed as scratch).
    pub fn forward(&self, mut data: Vec<f32>) -> Vec<Complex<f32>> {
        let (nx, ny, h) = (self.nx, self.ny, self.half());
        let mut rows = vec![Complex::default(); h * ny];
        data.par_chunks_mut(nx)
            .zip(rows.par_chunks_mut(h))
            .for_each_init(
                || self.r2c.make_scratch_vec(),
                |scratch, (input, output)| {
                    self.r2c
                        .process_with_scratch(input, output, scratch)
                        .expect("row sizes match the plan");
                },
            );
        drop(data);
        let mut spec = transpose(&rows, ny, h);
        drop(rows);
        spec.par_chunks_mut(ny).for_each_init(
            || vec![Complex::default(); self.col_fwd.get_inplace_scratch_len()],
            |scratch, col| self.col_fwd.process_with_scratch(col, scratch),
        );
        spec
    }

    /// Inverse transform back to a real nx x ny image (scaled by 1/(nx ny)).
    pub fn inverse(&self, mut spec: Vec<Complex<f32>>) -> Vec<f32> {
        let (nx, ny, h) = (self.nx, self.ny, self.half());
        spec.par_chunks_mut(ny).for_each_init(
            || vec![Complex::default(); self.col_inv.get_inplace_scratch_len()],
            |scratch, col| self.col_inv.process_with_scratch(col, scratch),
        );
        let mut rows = transpose(&spec, h, ny);
        drop(spec);
        let scale = 1.0 / (nx * ny) as f32;
        let mut out = vec![0f32; nx * ny];
        rows.par_chunks_mut(h)
            .zip(out.par_chunks_mut(nx))
            .for_each_init(
                || self.c2r.make_scratch_vec(),
                |scratch, (input, output)| {
                    // The DC and Nyquist bins of a real signal are real; clear
                    // round-off so realfft accepts them.
                    input[0].im = 0.0;
                    if nx % 2 == 0 {
                        input[h - 1].im = 0.0;
                    }
                    self.c2r
                        .process_with_scratch(input, output, scratch)
                        .expect("row sizes match the plan");
                    output.iter_mut().for_each(|v| *v *= scale);
                },
            );
        out
    }

    /// The spatial frequency (1/Å) of spectrum entry (kx index, ky index)
    /// for grid spacings hx, hy (Å).
    pub fn frequencies(&self, hx: f64, hy: f64) -> impl Fn(usize, usize) -> (f64, f64) + Sync + '_ {
        let (nx, ny) = (self.nx as f64, self.ny as f64);
        move |ix, iy| {
            let ky = if iy <= self.ny / 2 {
                iy as f64
            } else {
                iy as f64 - ny
            };
            (ix as f64 / (nx * hx), ky / (ny * hy))
        }
    }
}

/// A planned 2D complex FFT for an nx x ny grid, for wave functions.
/// Real space is row-major (`[iy * nx + ix]`); the spectrum is kept
/// transposed (`[kx * ny + ky]`, the layout the column transforms leave),
/// so a forward-inverse pair needs no transpose back. Forward e^{-2πi k·r},
/// no scaling in either direction (inverse(forward(x)) = nx·ny·x).
pub struct ComplexFft2 {
    nx: usize,
    ny: usize,
    row_fwd: Arc<dyn Fft<f32>>,
    row_inv: Arc<dyn Fft<f32>>,
    col_fwd: Arc<dyn Fft<f32>>,
    col_inv: Arc<dyn Fft<f32>>,
}

/// Buffers one thread reuses across [`ComplexFft2`] transforms.
#[derive(Default)]
pub struct FftScratch {
    transposed: Vec<Complex<f32>>,
    fft: Vec<Complex<f32>>,
}

impl ComplexFft2 {
    /// Plan transforms for an nx x ny grid.
    pub fn new(nx: usize, ny: usize) -> ComplexFft2 {
        let mut p = FftPlanner::<f32>::new();
        ComplexFft2 {
            nx,
            ny,
            row_fwd: p.plan_fft_forward(nx),
            row_inv: p.plan_fft_inverse(nx),
            col_fwd: p.plan_fft_forward(ny),
            col_inv: p.plan_fft_inverse(ny),
        }
    }

    /// Real space (row-major) to the transposed spectrum, in place, on
    /// this thread.
    pub fn forward(&self, data: &mut Vec<Complex<f32>>, s: &mut FftScratch) {
        let (nx, ny) = (self.nx, self.ny);
        Self::batch(&*self.row_fwd, data, &mut s.fft);
        transpose_into(data, &mut s.transposed, ny, nx);
        Self::batch(&*self.col_fwd, &mut s.transposed, &mut s.fft);
        std::mem::swap(data, &mut s.transposed);
    }

    /// Transposed spectrum back to real space (row-major), in place, on
    /// this thread; not scaled.
    pub fn inverse(&self, data: &mut Vec<Complex<f32>>, s: &mut FftScratch) {
        let (nx, ny) = (self.nx, self.ny);
        Self::batch(&*self.col_inv, data, &mut s.fft);
        transpose_into(data, &mut s.transposed, nx, ny);
        Self::batch(&*self.row_inv, &mut s.transposed, &mut s.fft);
        std::mem::swap(data, &mut s.transposed);
    }

    /// [`ComplexFft2::forward`] with rows and columns spread over threads
    /// (large grids, one transform at a time).
    pub fn forward_parallel(&self, data: &mut Vec<Complex<f32>>) {
        let (nx, ny) = (self.nx, self.ny);
        Self::par_batch(&self.row_fwd, data, nx);
        *data = transpose(data, ny, nx);
        Self::par_batch(&self.col_fwd, data, ny);
    }

    /// [`ComplexFft2::inverse`] spread over threads; not scaled.
    pub fn inverse_parallel(&self, data: &mut Vec<Complex<f32>>) {
        let (nx, ny) = (self.nx, self.ny);
        Self::par_batch(&self.col_inv, data, ny);
        *data = transpose(data, nx, ny);
        Self::par_batch(&self.row_inv, data, nx);
    }

    fn batch(fft: &dyn Fft<f32>, data: &mut [Complex<f32>], scratch: &mut Vec<Complex<f32>>) {
        scratch.resize(fft.get_inplace_scratch_len(), Complex::default());
        fft.process_with_scratch(data, scratch);
    }

    fn par_batch(fft: &Arc<dyn Fft<f32>>, data: &mut [Complex<f32>], n: usize) {
        data.par_chunks_mut(n).for_each_init(
            || vec![Complex::default(); fft.get_inplace_scratch_len()],
            |scratch, row| fft.process_with_scratch(row, scratch),
        );
    }
}

/// Transpose a rows x cols matrix (row-major) into `out` (cols x rows), in
/// 16 x 16 blocks, on this thread.
fn transpose_into(data: &[Complex<f32>], out: &mut Vec<Complex<f32>>, rows: usize, cols: usize) {
    const B: usize = 16;
    out.resize(rows * cols, Complex::default());
    for r0 in (0..rows).step_by(B) {
        for c0 in (0..cols).step_by(B) {
            for r in r0..(r0 + B).min(rows) {
                for c in c0..(c0 + B).min(cols) {
                    out[c * rows + r] = data[r * cols + c];
                }
            }
        }
    }
}

/// Transpose a rows x cols matrix (row-major) into cols x rows.
fn transpose(data: &[Complex<f32>], rows: usize, cols: usize) -> Vec<Complex<f32>> {
    let mut out = vec![Complex::default(); rows * cols];
    out.par_chunks_mut(rows).enumerate().for_each(|(c, col)| {
        for (r, v) in col.iter_mut().enumerate() {
            *v = data[r * cols + c];
        }
    });
    out
}

/// The smallest n' >= n whose prime factors are 2, 3, 5, 7 (fast FFT sizes).
pub fn smooth_size(n: usize) -> usize {
    (n.max(1)..)
        .find(|&m| {
            let mut k = m;
            for p in [2, 3, 5, 7] {
                while k % p == 0 {
                    k /= p;
                }
            }
            k == 1
        })
        .expect("smooth numbers are unbounded")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Naive DFT oracle.
    fn dft(data: &[f32], nx: usize, ny: usize, kx: usize, ky: usize) -> Complex<f64> {
        let mut s = Complex::new(0.0, 0.0);
        for iy in 0..ny {
            for ix in 0..nx {
                let ph = -2.0
                    * std::f64::consts::PI
                    * (kx as f64 * ix as f64 / nx as f64 + ky as f64 * iy as f64 / ny as f64);
                s += Complex::new(ph.cos(), ph.sin()) * data[iy * nx + ix] as f64;
            }
        }
        s
    }

    #[test]
    fn matches_a_naive_dft_and_inverts() {
        for (nx, ny) in [(8, 6), (15, 10), (148, 150)] {
            let data: Vec<f32> = (0..nx * ny)
                .map(|i| ((i * 7919) % 101) as f32 / 101.0 - 0.3)
                .collect();
            let fft = Fft2::new(nx, ny);
            let spec = fft.forward(data.clone());
            for (kx, ky) in [(0, 0), (1, 2), (nx / 2, ny - 1), (3, 1)] {
                let want = dft(&data, nx, ny, kx, ky);
                let got = spec[kx * ny + ky];
                assert!(
                    (got.re as f64 - want.re).abs() < 1e-3 * (1.0 + want.norm()),
                    "{nx}x{ny} ({kx},{ky}) {got} vs {want}"
                );
                assert!((got.im as f64 - want.im).abs() < 1e-3 * (1.0 + want.norm()));
            }
            let back = fft.inverse(spec);
            assert!(back.iter().zip(&data).all(|(a, b)| (a - b).abs() < 1e-5));
        }
    }
    #[test]
    fn the_complex_transform_matches_the_real_one_and_inverts() {
        let (nx, ny) = (12, 10);
        let data: Vec<f32> = (0..nx * ny).map(|i| ((i * 31) % 17) as f32 - 8.0).collect();
        let real = Fft2::new(nx, ny).forward(data.clone());
        let c = ComplexFft2::new(nx, ny);
        let mut wave: Vec<Complex<f32>> = data.iter().map(|&v| Complex::new(v, 0.0)).collect();
        let mut s = FftScratch::default();
        c.forward(&mut wave, &mut s);
        let mut par: Vec<Complex<f32>> = data.iter().map(|&v| Complex::new(v, 0.0)).collect();
        c.forward_parallel(&mut par);
        for kx in 0..=nx / 2 {
            for ky in 0..ny {
                let (a, b) = (wave[kx * ny + ky], real[kx * ny + ky]);
                assert!((a - b).norm() < 1e-3, "({kx},{ky}) {a} vs {b}");
                assert_eq!(a, par[kx * ny + ky]);
            }
        }
        c.inverse(&mut wave, &mut s);
        for (w, d) in wave.iter().zip(&data) {
            assert!((w.re / (nx * ny) as f32 - d).abs() < 1e-4 && w.im.abs() < 1e-3);
        }
    }
}
