//! Running the network: image -> heatmap on the image's own grid ->
//! atoms, with the classical detector's peak suppression and sub-pixel
//! refinement.

use candle_core::Device;

use super::fast::FastUNet;
use super::{CANONICAL_PIXEL, normalise, resample};
use crate::analysis::detect::{DetectConfig, DetectionResult, peaks_of};
use crate::error::{Error, Result};
use crate::structure::ImageFrame;

/// Heatmap level above which a maximum is an atom, for any weights.
pub const NET_THRESHOLD: f32 = 0.5;

/// The shipped model's level, chosen on the tuning images of the real
/// sets (pooled F1 within 1 Å; docs/DECISIONS.md).
pub const SHIPPED_THRESHOLD: f32 = 0.5;

/// Inference tile edge (canonical pixels, a multiple of 4).
pub const TILE: usize = 1024;

/// Context around each tile (canonical pixels, a multiple of 4): more
/// than the network's receptive radius, 2 + 2·2 + 2·4 + 2·2 + 2 = 20 px
/// (two 3 x 3 convolutions per level, at strides 1, 2, 4, 2, 1).
pub const HALO: usize = 24;

/// `data` mirrored in x (bit 0 of `view`) and y (bit 1).
fn mirror(data: &[f32], [w, h]: [usize; 2], view: u8) -> Vec<f32> {
    if view == 0 {
        return data.to_vec();
    }
    let mut out = Vec::with_capacity(w * h);
    for y in 0..h {
        let sy = if view & 2 != 0 { h - 1 - y } else { y };
        let row = &data[sy * w..][..w];
        if view & 1 != 0 {
            out.extend(row.iter().rev());
        } else {
            out.extend_from_slice(row);
        }
    }
    out
}

/// A loaded network.
pub struct NetDetector {
    net: FastUNet,
}

fn model_error(e: candle_core::Error) -> Error {
    Error::invalid("--weights", format!("not a sacsim detector model: {e}"))
}

/// The model shipped with sacsim: trained by `sacsim train --config
/// models/net/stage{1,2,3}.toml -o model` on simulated images only,
/// stage 3's averaged weights.
pub const SHIPPED_MODEL: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/models/net/detector.safetensors"
));

impl NetDetector {
    /// The shipped model ([`SHIPPED_MODEL`]).
    pub fn shipped() -> Result<NetDetector> {
        NetDetector::from_bytes(SHIPPED_MODEL)
    }

    /// Load safetensors bytes (the base width is read from the weights).
    pub fn from_bytes(bytes: &[u8]) -> Result<NetDetector> {
        let tensors =
            candle_core::safetensors::load_buffer(bytes, &Device::Cpu).map_err(model_error)?;
        Ok(NetDetector {
            net: FastUNet::load(&tensors).map_err(model_error)?,
        })
    }

    /// P(atom) per pixel of `image` (in `frame`), on the image's grid.
    pub fn heatmap(&self, image: &[f32], frame: &ImageFrame) -> Result<Vec<f32>> {
        self.heatmap_averaged(image, frame, 1)
    }

    /// [`NetDetector::heatmap`] averaged over `views` (1, 2 or 4) mirror
    /// images of the input (none; x; x, y and both), each mapped back:
    /// test-time augmentation, at `views` times the cost.
    pub fn heatmap_averaged(
        &self,
        image: &[f32],
        frame: &ImageFrame,
        views: usize,
    ) -> Result<Vec<f32>> {
        if ![1, 2, 4].contains(&views) {
            return Err(Error::invalid(
                "--views",
                format!("{views}: give 1, 2 or 4 mirror views"),
            ));
        }
        let [nx, ny] = frame.shape;
        let canonical = |n: usize, px: f64| {
            // A multiple of 4 for the two poolings.
            ((n as f64 * px / CANONICAL_PIXEL / 4.0).round() as usize).max(2) * 4
        };
        let (mx, my) = (canonical(nx, frame.pixel[0]), canonical(ny, frame.pixel[1]));
        let input = normalise(&resample(image, [nx, ny], [mx, my]), [mx, my]);
        let mut probs = vec![0f32; mx * my];
        for view in 0..views as u8 {
            // Bit 0 mirrors x, bit 1 mirrors y: each view is its own inverse.
            let mirrored = mirror(&input, [mx, my], view);
            let back = mirror(&self.forward(&mirrored, [mx, my]), [mx, my], view);
            for (p, b) in probs.iter_mut().zip(back) {
                *p += b / views as f32;
            }
        }
        Ok(resample(&probs, [mx, my], [nx, ny]))
    }

    /// Sigmoid of the logits of one normalised image (`[mx, my]`, both
    /// multiples of 4), computed in tiles of [`TILE`]² with a [`HALO`]
    /// of context: every output pixel sees its whole receptive field with
    /// the same zero padding at the image's edges and the same pooling
    /// grid, so the tiles give the whole image's result in bounded memory.
    pub fn forward(&self, input: &[f32], [mx, my]: [usize; 2]) -> Vec<f32> {
        let starts = |n: usize| (0..n.div_ceil(TILE)).map(move |k| k * TILE);
        let mut out = vec![0f32; mx * my];
        for y0 in starts(my) {
            for x0 in starts(mx) {
                // The tile's window with its halo, clipped to the image
                // (all bounds stay multiples of 4).
                let (wx0, wy0) = (x0.saturating_sub(HALO), y0.saturating_sub(HALO));
                let (tx1, ty1) = ((x0 + TILE).min(mx), (y0 + TILE).min(my));
                let (wx1, wy1) = ((tx1 + HALO).min(mx), (ty1 + HALO).min(my));
                let w = wx1 - wx0;
                let window: Vec<f32> = (wy0..wy1)
                    .flat_map(|y| input[y * mx + wx0..y * mx + wx1].iter().copied())
                    .collect();
                let logits = self.net.forward(&window, [w, wy1 - wy0]);
                for y in y0..ty1 {
                    let row = &logits[(y - wy0) * w + (x0 - wx0)..][..tx1 - x0];
                    for (o, &z) in out[y * mx + x0..y * mx + tx1].iter_mut().zip(row) {
                        *o = 1.0 / (1.0 + (-z).exp());
                    }
                }
            }
        }
        out
    }

    /// Atoms in `image`: heatmap maxima above [`NET_THRESHOLD`], suppressed
    /// and refined as the classical detector does (`settings` gives the
    /// minimum separation and the edge).
    pub fn detect(
        &self,
        image: &[f32],
        frame: &ImageFrame,
        settings: &DetectConfig,
    ) -> Result<DetectionResult> {
        let heat = self.heatmap(image, frame)?;
        self.detect_in(&heat, image, frame, settings, NET_THRESHOLD)
    }

    /// Atoms from a heatmap already computed ([`NetDetector::heatmap`]):
    /// maxima above `threshold` (0-1).
    pub fn detect_in(
        &self,
        heat: &[f32],
        image: &[f32],
        frame: &ImageFrame,
        settings: &DetectConfig,
        threshold: f32,
    ) -> Result<DetectionResult> {
        settings.validate()?;
        Ok(peaks_of(heat, image, frame, settings, threshold))
    }
}
