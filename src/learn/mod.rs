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
/// which widens with the ratio when shrinking).
pub fn resample(data: &[f32], [nx, ny]: [usize; 2], [mx, my]: [usize; 2]) -> Vec<f32> {
    if [nx, ny] == [mx, my] {
        return data.to_vec();
    }
    let buffer: ImageBuffer<Luma<f32>, Vec<f32>> =
        ImageBuffer::from_raw(nx as u32, ny as u32, data.to_vec()).expect("size matches");
    imageops::resize(
        &buffer,
        mx as u32,
        my as u32,
        imageops::FilterType::Triangle,
    )
    .into_raw()
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
