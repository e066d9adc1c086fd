//! Running the network: image -> heatmap on the image's own grid ->
//! atoms, with the classical detector's peak suppression and sub-pixel
//! refinement.

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;

use super::unet::UNet;
use super::{CANONICAL_PIXEL, normalise, resample};
use crate::analysis::detect::{DetectConfig, DetectionResult, peaks_of};
use crate::error::{Error, Result};
use crate::structure::ImageFrame;

/// Heatmap level above which a maximum is an atom.
pub const NET_THRESHOLD: f32 = 0.5;

/// A loaded network.
pub struct NetDetector {
    net: UNet,
}

fn model_error(e: candle_core::Error) -> Error {
    Error::invalid("--weights", format!("not a sacsim detector model: {e}"))
}

impl NetDetector {
    /// Load safetensors bytes (the base width is read from the weights).
    pub fn from_bytes(bytes: &[u8]) -> Result<NetDetector> {
        let tensors =
            candle_core::safetensors::load_buffer(bytes, &Device::Cpu).map_err(model_error)?;
        let width = tensors
            .get("down1.a.weight")
            .map(|t| t.dims()[0])
            .ok_or_else(|| {
                Error::invalid(
                    "--weights",
                    "not a sacsim detector model: no down1.a.weight",
                )
            })?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu);
        Ok(NetDetector {
            net: UNet::new(width, vb).map_err(model_error)?,
        })
    }

    /// P(atom) per pixel of `image` (in `frame`), on the image's grid.
    pub fn heatmap(&self, image: &[f32], frame: &ImageFrame) -> Result<Vec<f32>> {
        let [nx, ny] = frame.shape;
        let canonical = |n: usize, px: f64| {
            // A multiple of 4 for the two poolings.
            ((n as f64 * px / CANONICAL_PIXEL / 4.0).round() as usize).max(2) * 4
        };
        let (mx, my) = (canonical(nx, frame.pixel[0]), canonical(ny, frame.pixel[1]));
        let input = normalise(&resample(image, [nx, ny], [mx, my]));
        let probs = self.forward(input, [mx, my]).map_err(model_error)?;
        Ok(resample(&probs, [mx, my], [nx, ny]))
    }

    /// Sigmoid of the logits of one normalised image.
    pub fn forward(&self, input: Vec<f32>, [mx, my]: [usize; 2]) -> candle_core::Result<Vec<f32>> {
        let x = Tensor::from_vec(input, (1, 1, my, mx), &Device::Cpu)?;
        let p = candle_nn::ops::sigmoid(&self.net.forward(&x)?)?;
        p.flatten_all()?.to_vec1::<f32>()
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
        settings.validate()?;
        let heat = self.heatmap(image, frame)?;
        Ok(peaks_of(&heat, image, frame, settings, NET_THRESHOLD))
    }
}
