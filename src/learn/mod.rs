//! The learned detector: a small U-Net that turns a HAADF image into a
//! heatmap of metal atoms, trained on sacsim's own simulated images only
//! (candle, on the CPU; docs/DECISIONS.md, issue 18).
//!
//! Work in progress behind the `net` feature: the pipeline runs end to
//! end (training from dataset recipes, checkpoints, inference with the
//! classical peak suppression), but short runs do not yet lower the loss
//! on easy images, so no model is shipped.
//!
//! Every image is resampled to [`CANONICAL_PIXEL`] before the network sees
//! it (so an atom always spans the same number of pixels, whatever the
//! microscope's pixel size) and normalised by its own median and MAD (so
//! counts, ADC units and fractions of the beam look alike).

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

/// asinh of (x − median) / (1.4826 · MAD), the MAD floored at 1e-3 of the
/// range: noise stays linear, bright atoms (tens to thousands of σ
/// depending on dose) are compressed logarithmically, so every image's
/// values lie in a few units.
pub fn normalise(data: &[f32]) -> Vec<f32> {
    let mut v: Vec<f32> = data.to_vec();
    if v.is_empty() {
        return v;
    }
    let mid = v.len() / 2;
    let median = *v.select_nth_unstable_by(mid, f32::total_cmp).1;
    let mut dev: Vec<f32> = data.iter().map(|x| (x - median).abs()).collect();
    let mad = *dev.select_nth_unstable_by(mid, f32::total_cmp).1;
    let (lo, hi) = data
        .iter()
        .fold((f32::MAX, f32::MIN), |(a, b), &x| (a.min(x), b.max(x)));
    let scale = (1.4826 * mad).max(1e-3 * (hi - lo)).max(f32::MIN_POSITIVE);
    data.iter()
        .map(|x| ((x - median) / scale).asinh())
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
}
