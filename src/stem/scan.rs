//! What to scan: pixel size, image shape and field window, with their
//! ranges.

use serde::Serialize;

use crate::error::{Error, Result};

/// What to scan.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Scan {
    /// Target pixel size (Å); the field is divided into whole pixels.
    #[serde(rename = "pixel_angstrom")]
    pub pixel: f64,
    /// Image size in pixels (overrides `pixel`).
    pub shape: Option<[usize; 2]>,
    /// Window x0, y0, width, height (Å); default: the structure's cell.
    #[serde(rename = "window_angstrom")]
    pub window: Option<[f64; 4]>,
}

/// Largest field edge and window coordinate (Å): 100 µm.
pub const MAX_FIELD: f64 = 1e6;
/// Pixel sizes accepted (Å).
pub const PIXEL_RANGE: [f64; 2] = [1e-3, 1e4];
/// Most pixels per image side.
pub const MAX_PIXELS_PER_SIDE: usize = 100_000;

impl Scan {
    /// Refuse pixel sizes, shapes and windows outside their ranges.
    pub fn validate(&self) -> Result<()> {
        let short = crate::values::short;
        if !(PIXEL_RANGE[0]..=PIXEL_RANGE[1]).contains(&self.pixel) {
            return Err(Error::invalid(
                "--pixel",
                format!(
                    "{} Å; give a pixel size in {}-{} Å",
                    short(self.pixel),
                    short(PIXEL_RANGE[0]),
                    short(PIXEL_RANGE[1])
                ),
            ));
        }
        if let Some(s) = self.shape
            && !s.iter().all(|&n| (1..=MAX_PIXELS_PER_SIDE).contains(&n))
        {
            return Err(Error::invalid(
                "--shape",
                format!(
                    "{}x{}; give 1-{MAX_PIXELS_PER_SIDE} pixels per side",
                    s[0], s[1]
                ),
            ));
        }
        if let Some([x0, y0, w, h]) = self.window {
            let ok = [x0, y0]
                .iter()
                .all(|v| v.is_finite() && v.abs() <= MAX_FIELD)
                && [w, h].iter().all(|v| *v > 0.0 && *v <= MAX_FIELD);
            if !ok {
                return Err(Error::invalid(
                    "--window",
                    format!(
                        "{},{},{},{}; give x0,y0,width,height in Å, positive sizes, all within {} Å",
                        short(x0),
                        short(y0),
                        short(w),
                        short(h),
                        short(MAX_FIELD)
                    ),
                ));
            }
        }
        Ok(())
    }
}
