//! Aperture photometry of detected atoms with a variance measured from the
//! image itself.
//!
//! I = Σ_{|r − r_i| ≤ R} (image − background): the integrated intensity in
//! a small aperture over the local background (the detector's 2 Å
//! Gaussian). Its variance has two parts (docs/PHYSICS.md §5, element
//! identity):
//! - what the support and the background's own shot noise put into an
//!   aperture: the variance of the same sum at empty places of the image
//!   (a regular lattice of apertures farther than [`EMPTY_CLEARANCE`] from
//!   every detection: no random draws, so no seed);
//! - the atom's own shot noise, gain · I (Poisson: var = g · mean; g = 1
//!   for images in detected electrons).

use serde::{Deserialize, Serialize};

/// Empty apertures lie at least this far (Å) from every detection.
pub const EMPTY_CLEARANCE: f64 = 3.0;
/// Fewer empty apertures than this and the background variance is not
/// trusted: the image is crowded or tiny.
pub const MIN_EMPTY_APERTURES: usize = 30;

/// One atom's aperture intensity and its standard deviation (image units).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Photometry {
    /// Σ (image − background) within the aperture.
    pub intensity: f64,
    /// Its 1σ uncertainty: sqrt(background variance + gain · max(I, 0)).
    pub sigma: f64,
}

impl Photometry {
    /// ln I and its standard deviation σ/I (first order); None where the
    /// intensity is not positive or not known to better than 100 %.
    pub fn log(&self) -> Option<(f64, f64)> {
        (self.intensity > 0.0 && self.sigma < self.intensity)
            .then(|| (self.intensity.ln(), self.sigma / self.intensity))
    }
}

/// What the empty apertures measured.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BackgroundNoise {
    /// Variance of the aperture sum at empty places (image units²).
    pub variance: f64,
    /// Mean of those sums (≈ 0 when the background is right).
    pub mean: f64,
    /// Empty apertures used.
    pub apertures: usize,
}

/// The image, its local background and where it sits: what photometry reads.
pub struct PhotometryImage<'a> {
    /// Row-major image.
    pub image: &'a [f32],
    /// Its local background, same shape.
    pub background: &'a [f32],
    /// [nx, ny].
    pub shape: [usize; 2],
    /// Mean pixel size (Å).
    pub pixel: f64,
}

impl PhotometryImage<'_> {
    /// Σ (image − background) within `radius_px` of (x, y) (pixels), or
    /// None if the aperture leaves the image.
    fn aperture(&self, [x, y]: [f64; 2], radius_px: f64) -> Option<f64> {
        let [nx, ny] = self.shape;
        let r = radius_px.ceil() as i64;
        let (cx, cy) = (x.round() as i64, y.round() as i64);
        if cx - r < 0 || cy - r < 0 || cx + r >= nx as i64 || cy + r >= ny as i64 {
            return None;
        }
        let mut total = 0.0f64;
        for qy in cy - r..=cy + r {
            for qx in cx - r..=cx + r {
                if (qx as f64 - x).powi(2) + (qy as f64 - y).powi(2) <= radius_px * radius_px {
                    let k = qy as usize * nx + qx as usize;
                    total += (self.image[k] - self.background[k]) as f64;
                }
            }
        }
        Some(total)
    }

    /// The empty-aperture statistics for apertures of `radius_px` with
    /// detections at `pixels`.
    pub fn background_noise(&self, pixels: &[[f64; 2]], radius_px: f64) -> BackgroundNoise {
        let [nx, ny] = self.shape;
        let clear = EMPTY_CLEARANCE / self.pixel;
        // Pixels within the clearance of a detection.
        let mut near = vec![false; nx * ny];
        let c = clear.ceil() as i64;
        for &[px, py] in pixels {
            let (cx, cy) = (px.round() as i64, py.round() as i64);
            for qy in (cy - c).max(0)..=(cy + c).min(ny as i64 - 1) {
                for qx in (cx - c).max(0)..=(cx + c).min(nx as i64 - 1) {
                    if (qx as f64 - px).powi(2) + (qy as f64 - py).powi(2) <= clear * clear {
                        near[qy as usize * nx + qx as usize] = true;
                    }
                }
            }
        }
        // Apertures on a lattice 2.5 radii apart (they do not overlap).
        let step = (2.5 * radius_px).max(2.0);
        let margin = radius_px.ceil() + 1.0;
        let mut sums = Vec::new();
        let mut y = margin;
        while y < ny as f64 - margin {
            let mut x = margin;
            while x < nx as f64 - margin {
                if !near[y.round() as usize * nx + x.round() as usize]
                    && let Some(s) = self.aperture([x, y], radius_px)
                {
                    sums.push(s);
                }
                x += step;
            }
            y += step;
        }
        let n = sums.len().max(1) as f64;
        let mean = sums.iter().sum::<f64>() / n;
        let variance = sums.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
        BackgroundNoise {
            variance,
            mean,
            apertures: sums.len(),
        }
    }

    /// Photometry of every detection at `pixels` (None at the border).
    pub fn measure(
        &self,
        pixels: &[[f64; 2]],
        radius_px: f64,
        gain: f64,
        noise: &BackgroundNoise,
    ) -> Vec<Option<Photometry>> {
        pixels
            .iter()
            .map(|&p| {
                self.aperture(p, radius_px).map(|intensity| Photometry {
                    intensity,
                    sigma: (noise.variance + gain * intensity.max(0.0)).sqrt(),
                })
            })
            .collect()
    }
}
