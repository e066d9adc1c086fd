//! The learned detector: a small U-Net that turns a HAADF image into a
//! heatmap of metal atoms, trained on sacsim's own simulated images only
//! (candle, on the CPU; docs/DECISIONS.md, issue 18).
//!
//! Every image is resampled to [`CANONICAL_PIXEL`] before the network sees
//! it (so an atom always spans the same number of pixels, whatever the
//! microscope's pixel size) and normalised by its local background and
//! local noise ([`normalise`]), so counts, ADC units, fractions of the
//! beam and thickness gradients look alike.

pub mod fast;
pub mod infer;
pub mod train;
pub mod unet;

use image::{ImageBuffer, Luma, imageops};

/// The network's pixel size (Å).
pub const CANONICAL_PIXEL: f64 = 0.2;

/// Resample a row-major `[nx, ny]` image to `[mx, my]` (triangle filter,
/// which widens with the ratio when shrinking). The image crate clamps
/// float pixels to 0..1, so values are mapped onto 0..1 and back (the
/// triangle filter has no negative lobes: nothing leaves the range).
pub fn resample(data: &[f32], [nx, ny]: [usize; 2], [mx, my]: [usize; 2]) -> Vec<f32> {
    if [nx, ny] == [mx, my] {
        return data.to_vec();
    }
    let (lo, hi) = data
        .iter()
        .fold((f32::MAX, f32::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    let span = if hi > lo { hi - lo } else { 1.0 };
    let unit: Vec<f32> = data.iter().map(|v| (v - lo) / span).collect();
    let buffer: ImageBuffer<Luma<f32>, Vec<f32>> =
        ImageBuffer::from_raw(nx as u32, ny as u32, unit).expect("size matches");
    imageops::resize(
        &buffer,
        mx as u32,
        my as u32,
        imageops::FilterType::Triangle,
    )
    .into_raw()
    .into_iter()
    .map(|v| lo + v * span)
    .collect()
}

/// Width of the background the network input is freed from (Å, the σ of
/// a Gaussian low-pass): far wider than an atom (σ ≤ 1 Å), far narrower
/// than the thickness changes of a real support (nm).
pub const BACKGROUND_ANGSTROM: f64 = 5.0;

/// Width of the window the local noise is measured over (Å, Gaussian σ).
pub const NOISE_WINDOW_ANGSTROM: f64 = 10.0;

/// The network's input: asinh(r / σ_loc), with r the image less its
/// Gaussian background of [`BACKGROUND_ANGSTROM`] (mirrored edges) and
/// σ_loc the local rms of r over [`NOISE_WINDOW_ANGSTROM`], measured
/// twice (the second time with r clipped at ±3 σ_loc, so bright atoms do
/// not inflate it). `data` is row-major `[nx, ny]` at [`CANONICAL_PIXEL`].
///
/// The input is then free of the support's thickness gradient, the vacuum
/// edge's step (mostly), the detector's gain and offset, and the dose:
/// noise is about 1 everywhere and atoms are compressed logarithmically
/// once they are many σ above it, so every micrograph looks alike to the
/// network whatever its counts.
pub fn normalise(data: &[f32], [nx, ny]: [usize; 2]) -> Vec<f32> {
    use crate::analysis::detect::filters::{Padded, local_noise};
    if data.is_empty() {
        return Vec::new();
    }
    let width = BACKGROUND_ANGSTROM / CANONICAL_PIXEL;
    let background = Padded::new(data, [nx, ny], 2.0 * width).gaussian(width);
    let residual: Vec<f32> = data.iter().zip(&background).map(|(a, b)| a - b).collect();
    let window = NOISE_WINDOW_ANGSTROM / CANONICAL_PIXEL;
    let first = local_noise(&residual, [nx, ny], window);
    let clipped: Vec<f32> = residual
        .iter()
        .zip(&first)
        .map(|(&r, &s)| r.clamp(-3.0 * s, 3.0 * s))
        .collect();
    let sigma = local_noise(&clipped, [nx, ny], window);
    // A noise-free image: round-off is not noise.
    let (lo, hi) = data
        .iter()
        .fold((f32::MAX, f32::MIN), |(a, b), &x| (a.min(x), b.max(x)));
    let floor = (1e-4 * (hi - lo)).max(f32::MIN_POSITIVE);
    residual
        .iter()
        .zip(&sigma)
        .map(|(r, s)| (r / s.max(floor)).asinh())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resampling_keeps_values_beyond_one() {
        // Counts in the thousands, halved in size: the mean is kept and
        // nothing is clamped to the image crate's 0..1.
        let data: Vec<f32> = (0..64 * 64).map(|k| 1000.0 + (k % 64) as f32).collect();
        let out = resample(&data, [64, 64], [32, 32]);
        let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
        assert!(
            (mean(&out) - mean(&data)).abs() < 0.5,
            "{} vs {}",
            mean(&out),
            mean(&data)
        );
        assert!(out.iter().all(|&v| (1000.0..=1063.0).contains(&v)));
    }

    /// Gaussian noise of σ = `sigma` from a fixed LCG (Box-Muller).
    fn noise(n: usize, sigma: f32) -> Vec<f32> {
        let mut state = 12345u64;
        let mut uniform = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        (0..n)
            .map(|_| {
                let (a, b) = (uniform(), uniform());
                ((-2.0 * a.ln()).sqrt() * (std::f64::consts::TAU * b).cos()) as f32 * sigma
            })
            .collect()
    }

    #[test]
    fn the_network_input_is_free_of_gradient_gain_and_offset() {
        // A support whose background triples across the field and whose
        // shot noise follows it (σ ∝ √mean), one atom in the dark and one
        // in the bright half at 8 local σ: after normalisation the noise
        // is 1 on both sides (rms of asinh of unit noise: 0.80), the
        // gradient is gone (away from the mirrored edges, whose kink the
        // 5 Å background and the 10 Å noise window feel within about
        // two widths) and both atoms stand
        // equally high; gain and offset change nothing.
        let n = 400;
        let white = noise(n * n, 1.0);
        let image = |gain: f32, offset: f32| -> Vec<f32> {
            (0..n * n)
                .map(|k| {
                    let (x, y) = ((k % n) as f32, (k / n) as f32);
                    let mean = 1000.0 * (1.0 + 2.0 * x / n as f32);
                    let sigma = mean.sqrt();
                    let atom = |cx: f32| {
                        8.0 * 2.5
                            * sigma
                            * (-((x - cx).powi(2) + (y - 200.0).powi(2)) / (2.0 * 2.5f32.powi(2)))
                                .exp()
                    };
                    offset + gain * (mean + sigma * white[k] + atom(130.0) + atom(270.0))
                })
                .collect()
        };
        let a = normalise(&image(1.0, 0.0), [n, n]);
        let b = normalise(&image(37.0, 500.0), [n, n]);
        let rms = |x0: usize| {
            let v: Vec<f32> = (0..n * n)
                .filter(|k| (k % n).abs_diff(x0) < 15 && (k / n).abs_diff(120) < 15)
                .map(|k| a[k])
                .collect();
            (v.iter().map(|x| x * x).sum::<f32>() / v.len() as f32).sqrt()
        };
        let (dark, bright) = (rms(130), rms(270));
        assert!(
            (0.72..0.88).contains(&dark) && (0.72..0.88).contains(&bright),
            "{dark} {bright}"
        );
        let (p1, p2) = (a[200 * n + 130], a[200 * n + 270]);
        assert!((p1 / p2 - 1.0).abs() < 0.15 && p1 > 2.0, "{p1} {p2}");
        let worst = a
            .iter()
            .zip(&b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max);
        assert!(worst < 1e-3, "gain and offset moved the input by {worst}");
    }
}
