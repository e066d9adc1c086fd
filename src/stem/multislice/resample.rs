//! From the coarse scan to the requested pixels.
//!
//! A HAADF image is band-limited to 2α/λ: every detected intensity is a
//! sum of products of two probe plane waves inside the aperture, so its
//! dependence on the probe position holds spatial frequencies |q − q'| ≤
//! 2α/λ only. Scanning at the Nyquist step λ/(4α) (here with a margin)
//! and evaluating the trigonometric interpolant anywhere is exact for a
//! periodic field. A window of a larger sample is not periodic: its scan
//! is extended by its mirror image (the DCT-II extension: no jump at the
//! edges, only a kink) and two extra coarse positions are scanned beyond
//! each edge, where the kink's error lives.

use rayon::prelude::*;
use rustfft::FftPlanner;
use rustfft::num_complex::Complex;

/// Coarse scan positions along one axis: `start + j · step`, j < `n`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Axis {
    /// First position (Å).
    pub start: f64,
    /// Step (Å).
    pub step: f64,
    /// Number of positions.
    pub n: usize,
    /// The field repeats every n · step (else: mirror extension).
    pub periodic: bool,
}

impl Axis {
    /// Positions and period of the (extended) periodic sequence the
    /// interpolant is built on.
    fn extended(&self) -> (usize, f64) {
        if self.periodic {
            (self.n, self.n as f64 * self.step)
        } else {
            (2 * self.n, 2.0 * self.n as f64 * self.step)
        }
    }

    /// Interpolation weights (`points.len()` x n, row-major): value at
    /// each point = Σ_j w[p][j] · sample_j. Periodic Dirichlet kernel of
    /// the extended sequence (even length: the Nyquist term split evenly),
    /// D(u) = sin(πNu/P) / (N tan(πu/P)); odd length: sin(πNu/P) /
    /// (N sin(πu/P)).
    pub fn weights(&self, points: &[f64]) -> Vec<f64> {
        let (n_ext, period) = self.extended();
        let kernel = |u: f64| {
            let x = std::f64::consts::PI * u / period;
            let s = x.sin();
            if s.abs() < 1e-12 {
                // u on a multiple of the period (D = 1 there).
                return 1.0;
            }
            let top = (n_ext as f64 * x).sin() / n_ext as f64;
            if n_ext % 2 == 0 {
                top / x.tan()
            } else {
                top / s
            }
        };
        // Mirror of sample j about start − step/2.
        let mirror = |j: usize| 2.0 * self.start - self.step - (self.start + j as f64 * self.step);
        let mut w = vec![0.0; points.len() * self.n];
        for (p, &x) in points.iter().enumerate() {
            for j in 0..self.n {
                let c = self.start + j as f64 * self.step;
                let mut v = kernel(x - c);
                if !self.periodic {
                    v += kernel(x - mirror(j));
                }
                w[p * self.n + j] = v;
            }
        }
        w
    }

    /// Convolve each line of `n` samples (stride-contiguous rows of
    /// `data`) with a Gaussian of σ (Å), in Fourier space over the
    /// extended sequence.
    fn blur_rows(&self, data: &mut [f64], sigma: f64) {
        let (n_ext, period) = self.extended();
        let mut planner = FftPlanner::<f64>::new();
        let (fwd, inv) = (
            planner.plan_fft_forward(n_ext),
            planner.plan_fft_inverse(n_ext),
        );
        let pi2 = std::f64::consts::PI * std::f64::consts::PI;
        let filter: Vec<f64> = (0..n_ext)
            .map(|i| {
                let f = if i <= n_ext / 2 {
                    i as f64
                } else {
                    i as f64 - n_ext as f64
                } / period;
                (-2.0 * pi2 * sigma * sigma * f * f).exp() / n_ext as f64
            })
            .collect();
        data.par_chunks_mut(self.n).for_each(|row| {
            let mut buf: Vec<Complex<f64>> = row.iter().map(|&v| Complex::new(v, 0.0)).collect();
            if !self.periodic {
                buf.extend(row.iter().rev().map(|&v| Complex::new(v, 0.0)));
            }
            fwd.process(&mut buf);
            buf.iter_mut().zip(&filter).for_each(|(b, f)| *b *= f);
            inv.process(&mut buf);
            row.iter_mut().zip(&buf).for_each(|(r, b)| *r = b.re);
        });
    }
}

/// The coarse scan (`[iy * nx + ix]` over `ax.n` x `ay.n`) blurred by a
/// Gaussian source of σ (Å) and evaluated at the fine points.
pub fn resample(
    coarse: &[f64],
    ax: &Axis,
    ay: &Axis,
    source_sigma: f64,
    xs: &[f64],
    ys: &[f64],
) -> Vec<f32> {
    let mut c = coarse.to_vec();
    if source_sigma > 0.0 {
        ax.blur_rows(&mut c, source_sigma);
        let mut t = transpose(&c, ay.n, ax.n);
        ay.blur_rows(&mut t, source_sigma);
        c = transpose(&t, ax.n, ay.n);
    }
    let (wx, wy) = (ax.weights(xs), ay.weights(ys));
    // Along x: rows of the coarse grid onto the fine x points.
    let along_x: Vec<f64> = (0..ay.n)
        .into_par_iter()
        .flat_map_iter(|j| {
            let row = &c[j * ax.n..(j + 1) * ax.n];
            let wx = &wx;
            (0..xs.len()).map(move |p| {
                wx[p * ax.n..(p + 1) * ax.n]
                    .iter()
                    .zip(row)
                    .map(|(w, v)| w * v)
                    .sum::<f64>()
            })
        })
        .collect();
    // Along y.
    let nfx = xs.len();
    (0..ys.len())
        .into_par_iter()
        .flat_map_iter(|q| {
            let (wy, along_x) = (&wy, &along_x);
            (0..nfx).map(move |p| {
                (0..ay.n)
                    .map(|j| wy[q * ay.n + j] * along_x[j * nfx + p])
                    .sum::<f64>() as f32
            })
        })
        .collect()
}

fn transpose(data: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    let mut out = vec![0.0; data.len()];
    for r in 0..rows {
        for c in 0..cols {
            out[c * rows + r] = data[r * cols + c];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A band-limited periodic function is reproduced exactly between its
    /// samples; a mirrored window reproduces a smooth function closely.
    #[test]
    fn trigonometric_interpolation_is_exact_for_band_limited_images() {
        let f = |x: f64, y: f64| {
            let t = 2.0 * std::f64::consts::PI / 10.0;
            1.0 + (t * x).cos() * (2.0 * t * y).sin() + 0.3 * (3.0 * t * x + 0.4).sin()
        };
        for n in [9usize, 10] {
            let ax = Axis {
                start: 0.0,
                step: 10.0 / n as f64,
                n,
                periodic: true,
            };
            let coarse: Vec<f64> = (0..n)
                .flat_map(|j| (0..n).map(move |i| (i, j)))
                .map(|(i, j)| f(i as f64 * ax.step, j as f64 * ax.step))
                .collect();
            let pts: Vec<f64> = (0..37).map(|i| i as f64 * 0.27).collect();
            let fine = resample(&coarse, &ax, &ax, 0.0, &pts, &pts);
            for (q, &y) in pts.iter().enumerate() {
                for (p, &x) in pts.iter().enumerate() {
                    assert!(
                        (fine[q * pts.len() + p] as f64 - f(x, y)).abs() < 1e-5,
                        "n {n}"
                    );
                }
            }
        }
        // Mirror: a smooth non-periodic ramp-free bump, error small inside.
        let g = |x: f64| (-(x - 5.0) * (x - 5.0) / 8.0).exp();
        let ax = Axis {
            start: -1.0,
            step: 0.4,
            n: 31,
            periodic: false,
        };
        let coarse: Vec<f64> = (0..ax.n)
            .map(|j| g(ax.start + j as f64 * ax.step))
            .collect();
        let one = Axis {
            start: 0.0,
            step: 1.0,
            n: 1,
            periodic: true,
        };
        let pts: Vec<f64> = (0..100).map(|i| i as f64 * 0.1).collect();
        let fine = resample(&coarse, &ax, &one, 0.0, &pts, &[0.0]);
        for (p, &x) in pts.iter().enumerate() {
            assert!((fine[p] as f64 - g(x)).abs() < 2e-3, "{x}: {}", fine[p]);
        }
    }

    #[test]
    fn the_source_blur_is_a_gaussian_convolution() {
        // cos(kx) blurred by σ: multiplied by exp(−σ²k²/2).
        let n = 32;
        let ax = Axis {
            start: 0.0,
            step: 0.5,
            n,
            periodic: true,
        };
        let k = 2.0 * std::f64::consts::PI * 3.0 / 16.0;
        let coarse: Vec<f64> = (0..n).map(|j| (k * j as f64 * 0.5).cos()).collect();
        let one = Axis {
            start: 0.0,
            step: 1.0,
            n: 1,
            periodic: true,
        };
        let pts: Vec<f64> = (0..n).map(|j| j as f64 * 0.5).collect();
        let out = resample(&coarse, &ax, &one, 0.4, &pts, &[0.0]);
        let damp = (-0.16 * k * k / 2.0).exp();
        for (j, v) in out.iter().enumerate() {
            assert!((*v as f64 - damp * coarse[j]).abs() < 1e-6);
        }
    }
}
