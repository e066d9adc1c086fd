//! How a training set stores its images (`[run] image_format`), so that
//! the loaders people use read them as they are:
//!
//! - `png8` (default): 8-bit grey, a contrast stretch per image from the
//!   0.1 percentile (darker outliers clipped) to the maximum (the atoms,
//!   which must not clip) onto levels 0-255: what `PIL.Image.open(f).convert("RGB")` in torchvision's
//!   `CocoDetection`, Detectron2 and Ultralytics reads without losing the
//!   image;
//! - `png16`: 16-bit grey, the image's min..max to 0..65535 (PIL's
//!   `convert("RGB")` clips these to 8 bits: read them with
//!   `np.asarray(Image.open(f))` or tifffile-style loaders);
//! - `tiff32f`: float32 TIFF in detected electrons (ImageJ calibration in
//!   nm), no scaling;
//! - `npy`: float32 `.npy`, no scaling.
//!
//! The PNG scales go into each image's `meta/SPLIT/NNNNNN.json` as
//! `grey_scale`: value = min + level / top · (max − min).

use serde::{Deserialize, Serialize};

use crate::io::raster::{PngDepth, PngScale, npy_f32, png_scaled};
use crate::structure::ImageFrame;

/// Lower and upper percentiles (%) of the png8 stretch: the top is the
/// maximum, because the brightest pixels are the metal atoms a detector
/// is trained to find.
pub const PNG8_PERCENTILES: [f64; 2] = [0.1, 100.0];

/// The stored form of a training image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    /// 8-bit PNG, robust stretch per image.
    #[default]
    Png8,
    /// 16-bit PNG, min..max.
    Png16,
    /// float32 TIFF, physical values.
    Tiff32f,
    /// float32 `.npy`, physical values.
    Npy,
}

/// How PNG levels map back to image values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GreyScale {
    /// The value of level 0.
    pub min: f64,
    /// The value of the top level.
    pub max: f64,
    /// The top level: 255 or 65535.
    pub top: u32,
    /// Share of pixels clipped below min and above max.
    pub clipped: [f64; 2],
}

impl ImageFormat {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            ImageFormat::Png8 | ImageFormat::Png16 => "png",
            ImageFormat::Tiff32f => "tiff",
            ImageFormat::Npy => "npy",
        }
    }

    /// The image file and, for PNGs, its grey scale.
    pub fn encode(self, data: &[f32], frame: &ImageFrame) -> (Vec<u8>, Option<GreyScale>) {
        let [nx, ny] = frame.shape;
        let (scale, depth) = match self {
            ImageFormat::Tiff32f => {
                let tiff = crate::io::tiff::write_f32(data, nx, ny, frame.pixel, frame.origin);
                return (tiff, None);
            }
            ImageFormat::Npy => return (npy_f32(data, nx, ny), None),
            ImageFormat::Png16 => {
                let (lo, hi) = data
                    .iter()
                    .fold((f32::MAX, f32::MIN), |(a, b), &v| (a.min(v), b.max(v)));
                ([lo as f64, hi as f64], PngDepth::Sixteen)
            }
            ImageFormat::Png8 => (percentiles(data, PNG8_PERCENTILES), PngDepth::Eight),
        };
        let [min, max] = if data.is_empty() { [0.0, 1.0] } else { scale };
        let png = png_scaled(data, nx, ny, PngScale { min, max }, depth);
        let n = data.len().max(1) as f64;
        let clipped = [
            data.iter().filter(|&&v| (v as f64) < min).count() as f64 / n,
            data.iter().filter(|&&v| (v as f64) > max).count() as f64 / n,
        ];
        let top = depth.top() as u32;
        (
            png,
            Some(GreyScale {
                min,
                max,
                top,
                clipped,
            }),
        )
    }
}

/// The two percentiles (%) of the data (nearest rank; min and max of a
/// constant image differ by 1 so the scale stays defined).
fn percentiles(data: &[f32], [lo, hi]: [f64; 2]) -> [f64; 2] {
    let mut v: Vec<f32> = data.iter().copied().filter(|v| v.is_finite()).collect();
    if v.is_empty() {
        return [0.0, 1.0];
    }
    v.sort_by(f32::total_cmp);
    let at =
        |p: f64| v[((p / 100.0 * (v.len() - 1) as f64).round() as usize).min(v.len() - 1)] as f64;
    let (a, b) = (at(lo), at(hi));
    if b > a { [a, b] } else { [a, a + 1.0] }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png8_levels_map_back_to_values_within_half_a_level() {
        let frame = ImageFrame::new([100, 100], [0.1, 0.1], [0.0, 0.0]).unwrap();
        // A ramp 0..9999 with a dead pixel.
        let mut data: Vec<f32> = (0..10_000).map(|k| k as f32).collect();
        data[0] = -1e6;
        let (png, scale) = ImageFormat::Png8.encode(&data, &frame);
        let scale = scale.unwrap();
        assert_eq!(scale.top, 255);
        // The dead pixel is clipped, not allowed to flatten the ramp; the
        // brightest pixel sets the top.
        assert!(
            (scale.min - 10.0).abs() <= 1.0 && scale.max == 9999.0,
            "{scale:?}"
        );
        let img = image::load_from_memory(&png).unwrap().to_luma8();
        let step = (scale.max - scale.min) / 255.0;
        let levels: std::collections::BTreeSet<u8> = img.as_raw().iter().copied().collect();
        assert_eq!(levels.len(), 256);
        for k in [500usize, 5000, 9000] {
            let back = scale.min + img.as_raw()[k] as f64 * step;
            assert!(
                (back - data[k] as f64).abs() <= step / 2.0 + 1e-9,
                "{k}: {back}"
            );
        }
        // Ten pixels below the 0.1 percentile, none above the maximum.
        assert_eq!(scale.clipped, [1e-3, 0.0], "{scale:?}");
    }
}
