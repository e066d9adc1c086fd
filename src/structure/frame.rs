//! Where an image's pixels lie in the structure's coordinates.
//!
//! Convention (the one `sacsim simulate` writes and every command reads):
//! arrays are row-major `[iy][ix]`; pixel (ix, iy) samples the image at
//! (x0 + ix·px, y0 + iy·py) Å, so the pixels cover the field
//! [x0 − px/2, x0 + (nx − ½)·px) × [y0 − py/2, y0 + (ny − ½)·py).
//! The frame travels with every image, its ground truth and its
//! detections, so all three always agree on coordinates.

use serde::{Deserialize, Serialize};

use super::lattice::MAX_LENGTH;
use crate::error::{Error, Result};

/// Largest pixel size accepted (Å).
pub const MAX_PIXEL: f64 = 1e4;

/// Origin, pixel size and shape of an image (Å).
///
/// Serialised as `origin_angstrom`, `pixel_angstrom` and
/// `image_shape_ny_nx` (numpy's axis order), the keys of every sacsim
/// `params.json` that describes an image.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(into = "FrameKeys", try_from = "FrameKeys")]
pub struct ImageFrame {
    /// Position (Å) sampled by pixel (0, 0).
    pub origin: [f64; 2],
    /// Pixel size (Å) along x and y.
    pub pixel: [f64; 2],
    /// Pixels along x and y (nx, ny).
    pub shape: [usize; 2],
}

/// The serialised form of [`ImageFrame`].
#[derive(Serialize, Deserialize)]
struct FrameKeys {
    image_shape_ny_nx: [usize; 2],
    pixel_angstrom: [f64; 2],
    origin_angstrom: [f64; 2],
}

impl From<ImageFrame> for FrameKeys {
    fn from(f: ImageFrame) -> FrameKeys {
        FrameKeys {
            image_shape_ny_nx: [f.shape[1], f.shape[0]],
            pixel_angstrom: f.pixel,
            origin_angstrom: f.origin,
        }
    }
}

impl TryFrom<FrameKeys> for ImageFrame {
    type Error = Error;
    fn try_from(k: FrameKeys) -> Result<ImageFrame> {
        ImageFrame::new(
            [k.image_shape_ny_nx[1], k.image_shape_ny_nx[0]],
            k.pixel_angstrom,
            k.origin_angstrom,
        )
    }
}

impl ImageFrame {
    /// A checked frame: at least one pixel, finite positive pixel sizes,
    /// a finite origin.
    pub fn new(shape: [usize; 2], pixel: [f64; 2], origin: [f64; 2]) -> Result<ImageFrame> {
        if shape[0] == 0 || shape[1] == 0 {
            return Err(Error::invalid(
                "image",
                format!(
                    "{} x {} px; an image needs at least one pixel",
                    shape[0], shape[1]
                ),
            ));
        }
        let short = crate::values::short;
        if !pixel.iter().all(|p| *p > 0.0 && *p <= MAX_PIXEL) {
            return Err(Error::invalid(
                "--pixel-size",
                format!(
                    "{},{} Å; give the image's pixel size in 0-{} Å, e.g. 0.1",
                    short(pixel[0]),
                    short(pixel[1]),
                    short(MAX_PIXEL)
                ),
            ));
        }
        if !origin
            .iter()
            .all(|o| o.is_finite() && o.abs() <= MAX_LENGTH)
        {
            return Err(Error::invalid(
                "--origin",
                format!(
                    "{},{} Å; give a position within ±{} Å",
                    short(origin[0]),
                    short(origin[1]),
                    short(MAX_LENGTH)
                ),
            ));
        }
        Ok(ImageFrame {
            origin,
            pixel,
            shape,
        })
    }

    /// Pixels along x.
    pub fn nx(&self) -> usize {
        self.shape[0]
    }

    /// Pixels along y.
    pub fn ny(&self) -> usize {
        self.shape[1]
    }

    /// Number of pixels.
    pub fn len(&self) -> usize {
        self.shape[0] * self.shape[1]
    }

    /// Always false: a frame has at least one pixel.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fractional pixel coordinates of a position (Å).
    pub fn to_pixel(&self, [x, y]: [f64; 2]) -> [f64; 2] {
        [
            (x - self.origin[0]) / self.pixel[0],
            (y - self.origin[1]) / self.pixel[1],
        ]
    }

    /// Position (Å) of fractional pixel coordinates.
    pub fn to_angstrom(&self, [ix, iy]: [f64; 2]) -> [f64; 2] {
        [
            self.origin[0] + ix * self.pixel[0],
            self.origin[1] + iy * self.pixel[1],
        ]
    }

    /// The field the pixels cover: lower corner and size (Å).
    pub fn field(&self) -> ([f64; 2], [f64; 2]) {
        (
            [
                self.origin[0] - self.pixel[0] / 2.0,
                self.origin[1] - self.pixel[1] / 2.0,
            ],
            [
                self.shape[0] as f64 * self.pixel[0],
                self.shape[1] as f64 * self.pixel[1],
            ],
        )
    }

    /// The same frame cut to pixels [x0, x0 + nx) × [y0, y0 + ny).
    pub fn crop(&self, [x0, y0]: [usize; 2], shape: [usize; 2]) -> ImageFrame {
        ImageFrame {
            origin: self.to_angstrom([x0 as f64, y0 as f64]),
            pixel: self.pixel,
            shape,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixel_and_angstrom_are_inverse_and_field_is_half_a_pixel_out() {
        let f = ImageFrame::new([40, 30], [0.1, 0.2], [15.0, -3.0]).unwrap();
        let p = f.to_pixel([16.234, 1.5]);
        assert!((p[0] - 12.34).abs() < 1e-9 && (p[1] - 22.5).abs() < 1e-9);
        let back = f.to_angstrom(p);
        assert!((back[0] - 16.234).abs() < 1e-12 && (back[1] - 1.5).abs() < 1e-12);
        let (lo, size) = f.field();
        assert_eq!(lo, [14.95, -3.1]);
        assert!((size[0] - 4.0).abs() < 1e-12 && (size[1] - 6.0).abs() < 1e-12);
        let c = f.crop([10, 5], [8, 8]);
        assert_eq!(c.origin, [16.0, -2.0]);
    }

    #[test]
    fn serialises_with_numpy_axis_order_and_refuses_bad_values() {
        let f = ImageFrame::new([40, 30], [0.1, 0.1], [15.0, 15.0]).unwrap();
        let v = serde_json::to_value(f).unwrap();
        assert_eq!(v["image_shape_ny_nx"], serde_json::json!([30, 40]));
        assert_eq!(serde_json::from_value::<ImageFrame>(v).unwrap(), f);
        assert!(ImageFrame::new([0, 3], [0.1, 0.1], [0.0; 2]).is_err());
        assert!(ImageFrame::new([3, 3], [0.0, 0.1], [0.0; 2]).is_err());
        assert!(ImageFrame::new([3, 3], [0.1, f64::NAN], [0.0; 2]).is_err());
        assert!(ImageFrame::new([3, 3], [0.1, 0.1], [f64::INFINITY, 0.0]).is_err());
    }
}
