//! The detector's filters: reflect padding, Gaussian filters in Fourier
//! space, and the local noise map.

use rayon::prelude::*;
use rustfft::num_complex::Complex;

use crate::fft::Fft2;

/// The image mirrored at its borders by `margin_px` pixels (rounded up to
/// an FFT-friendly size), transformed once; filters are applied to its
/// spectrum and cropped back to the image.
pub struct Padded {
    fft: Fft2,
    spectrum: Vec<Complex<f32>>,
    /// Padded width and height.
    size: [usize; 2],
    /// Offset of the image inside the padded grid.
    offset: [usize; 2],
    /// Image width and height.
    shape: [usize; 2],
}

/// Mirror index `i` into 0..n (whole-sample symmetric reflection).
fn reflect(i: i64, n: usize) -> usize {
    let n = n as i64;
    let period = (2 * (n - 1)).max(1);
    let k = i.rem_euclid(period);
    (if k < n { k } else { period - k }) as usize
}

impl Padded {
    /// Pad `image` (row-major, `shape` = [nx, ny]) by `margin_px` on every
    /// side (at most the image size less one) and transform it.
    pub fn new(image: &[f32], [nx, ny]: [usize; 2], margin_px: f64) -> Padded {
        let size_of = |n: usize| {
            let margin = (margin_px.ceil() as usize).min(n - 1);
            let total = crate::fft::smooth_size(n + 2 * margin);
            (total, (total - n) / 2)
        };
        let ((sx, ox), (sy, oy)) = (size_of(nx), size_of(ny));
        let mut padded = vec![0.0f32; sx * sy];
        padded.par_chunks_mut(sx).enumerate().for_each(|(y, row)| {
            let src = &image[reflect(y as i64 - oy as i64, ny) * nx..][..nx];
            for (x, v) in row.iter_mut().enumerate() {
                *v = src[reflect(x as i64 - ox as i64, nx)];
            }
        });
        let fft = Fft2::new(sx, sy);
        let spectrum = fft.forward(padded);
        Padded {
            fft,
            spectrum,
            size: [sx, sy],
            offset: [ox, oy],
            shape: [nx, ny],
        }
    }

    /// The image filtered by a Gaussian of `sigma_px` pixels (transfer
    /// function exp(−2π² σ² k²), k in 1/pixel), cropped to the image.
    pub fn gaussian(&self, sigma_px: f64) -> Vec<f32> {
        let freq = self.fft.frequencies(1.0, 1.0);
        let half = self.fft.half();
        let ny = self.spectrum.len() / half;
        let c = -2.0 * std::f64::consts::PI.powi(2) * sigma_px * sigma_px;
        // Separable: exp(c (kx² + ky²)) = exp(c kx²) · exp(c ky²).
        let gx: Vec<f32> = (0..half)
            .map(|ix| (c * freq(ix, 0).0.powi(2)).exp() as f32)
            .collect();
        let gy: Vec<f32> = (0..ny)
            .map(|iy| (c * freq(0, iy).1.powi(2)).exp() as f32)
            .collect();
        let mut out = self.spectrum.clone();
        out.par_chunks_mut(ny).enumerate().for_each(|(ix, col)| {
            for (v, &g) in col.iter_mut().zip(&gy) {
                *v *= gx[ix] * g;
            }
        });
        let full = self.fft.inverse(out);
        let ([sx, _], [ox, oy], [nx, ny]) = (self.size, self.offset, self.shape);
        let mut cropped = vec![0.0f32; nx * ny];
        cropped
            .par_chunks_mut(nx)
            .enumerate()
            .for_each(|(y, row)| row.copy_from_slice(&full[(y + oy) * sx + ox..][..nx]));
        cropped
    }
}

/// Local noise σ of a zero-mean signal: sqrt of its Gaussian-weighted
/// mean square over `window_px` pixels (σ of the weight).
///
/// The mean square varies slowly, so it is computed on blocks of about a
/// quarter window (block means of R², a separable Gaussian on the block
/// grid with mirrored edges) and interpolated bilinearly back to pixels:
/// cost O(pixels) whatever the window.
pub fn local_noise(signal: &[f32], [nx, ny]: [usize; 2], window_px: f64) -> Vec<f32> {
    let b = ((window_px / 4.0).floor() as usize).clamp(1, nx.min(ny));
    let (bx, by) = (nx.div_ceil(b), ny.div_ceil(b));
    let mut blocks = vec![0.0f64; bx * by];
    let mut counts = vec![0u32; bx * by];
    for y in 0..ny {
        for x in 0..nx {
            let k = (y / b) * bx + x / b;
            blocks[k] += (signal[y * nx + x] as f64).powi(2);
            counts[k] += 1;
        }
    }
    for (v, &c) in blocks.iter_mut().zip(&counts) {
        *v /= c as f64;
    }
    // Separable Gaussian of window/b blocks, truncated at 3σ, mirrored.
    let s = window_px / b as f64;
    let r = (3.0 * s).ceil() as i64;
    let kernel: Vec<f64> = (-r..=r)
        .map(|i| (-0.5 * (i as f64 / s).powi(2)).exp())
        .collect();
    let norm: f64 = kernel.iter().sum();
    let smooth = |data: &[f64], n: usize, stride: usize, count: usize, step: usize| {
        let mut out = vec![0.0f64; data.len()];
        for line in 0..count {
            for i in 0..n {
                let acc: f64 = kernel
                    .iter()
                    .enumerate()
                    .map(|(j, w)| {
                        w * data[line * step + reflect(i as i64 + j as i64 - r, n) * stride]
                    })
                    .sum();
                out[line * step + i * stride] = acc / norm;
            }
        }
        out
    };
    let rows = smooth(&blocks, bx, 1, by, bx);
    let var = smooth(&rows, by, bx, bx, 1);
    // Bilinear interpolation from block centres ((i + 0.5) b − 0.5 px).
    let at = |p: usize, nb: usize| {
        let t = ((p as f64 + 0.5) / b as f64 - 0.5).clamp(0.0, (nb - 1) as f64);
        let i = (t.floor() as usize).min(nb.saturating_sub(2));
        (i, (t - i as f64).min(1.0))
    };
    (0..ny)
        .into_par_iter()
        .flat_map_iter(|y| {
            let (j, fy) = at(y, by);
            let j1 = (j + 1).min(by - 1);
            let var = &var;
            (0..nx).map(move |x| {
                let (i, fx) = at(x, bx);
                let i1 = (i + 1).min(bx - 1);
                let v = (1.0 - fy) * ((1.0 - fx) * var[j * bx + i] + fx * var[j * bx + i1])
                    + fy * ((1.0 - fx) * var[j1 * bx + i] + fx * var[j1 * bx + i1]);
                v.max(0.0).sqrt() as f32
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_gaussian_preserves_a_gradient_without_wrapping() {
        // A linear ramp is invariant under a normalised Gaussian away from
        // the border; with reflection it stays monotone at the border too
        // (a periodic FFT would pull the last column towards the first).
        let (nx, ny) = (64, 48);
        let img: Vec<f32> = (0..nx * ny).map(|k| (k % nx) as f32).collect();
        let out = Padded::new(&img, [nx, ny], 20.0).gaussian(3.0);
        for x in 10..54 {
            assert!(
                (out[20 * nx + x] - x as f32).abs() < 1e-2,
                "{x}: {}",
                out[20 * nx + x]
            );
        }
        assert!(
            out[20 * nx + nx - 1] > 60.0,
            "no wrap-around: {}",
            out[20 * nx + nx - 1]
        );
    }

    #[test]
    fn local_noise_follows_a_step_in_the_noise_level() {
        // White noise of σ 1 on the left half and σ 3 on the right.
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let (nx, ny) = (400, 100);
        let img: Vec<f32> = (0..nx * ny)
            .map(|k| {
                let s = if k % nx < nx / 2 { 1.0 } else { 3.0 };
                s * (rng.random::<f32>() - 0.5) * 12f32.sqrt()
            })
            .collect();
        let n = local_noise(&img, [nx, ny], 10.0);
        assert!((n[50 * nx + 50] - 1.0).abs() < 0.1, "{}", n[50 * nx + 50]);
        assert!((n[50 * nx + 350] - 3.0).abs() < 0.3, "{}", n[50 * nx + 350]);
    }
}
