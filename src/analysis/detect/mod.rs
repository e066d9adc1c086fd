//! Finding atoms in HAADF images, simulated or experimental
//! (docs/PHYSICS.md §5).
//!
//! 1. The image is mirrored at its borders by two background widths and
//!    transformed once (no FFT wrap-around: real images have gradients,
//!    thick carbon at one edge and vacuum at the other). Two Gaussian
//!    filters in Fourier space: smoothing matched to the atom's apparent
//!    size (σ_s) and a background (σ_b, 2 Å). Signal R = smoothed − background.
//! 2. Local noise: σ_loc = sqrt(G_w * R²), the Gaussian-weighted RMS of R
//!    over a 40 Å window, so the threshold follows thickness changes (the
//!    shot noise of thick carbon is several times that of thin carbon) and
//!    a vacuum region is judged by its own, small noise. Significance
//!    z = R / σ_loc.
//! 3. Candidates: 3 x 3 local maxima of z above `threshold`, off the
//!    border; non-maximum suppression keeps the most significant within the
//!    minimum separation.
//! 4. Sub-pixel position: a 2D Gaussian fitted to R in a small window (the
//!    log-intensity paraboloid, weighted least squares), falling back to the
//!    centre of mass where the fit is not a peak (quality `centroid`).
//! 5. Integrated intensity of (image − background) within 0.8 Å, the
//!    significance z, a quality flag (`good`, or `weak` within 1.5 σ of the
//!    threshold), and optionally P(element) of two candidate elements from
//!    aperture photometry ([`crate::analysis::identity`]).
//!
//! Defaults were chosen on the `tune` images of ../shared/realdata and the
//! synthetic standard case (docs/DECISIONS.md, issue 14).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::analysis::identity::{self, ElementIdentity, Photometry, PhotometryImage};
use crate::error::{Error, Result};
use crate::structure::{Element, ImageFrame};
use crate::values::Pair;

pub mod filters;
mod refine;

pub use filters::{Padded, local_noise};

/// Probe σ assumed by the automatic smoothing when the image does not say
/// (Å): an aberration-corrected probe of about 0.7 Å FWHM.
pub const AUTO_PROBE_SIGMA: f64 = 0.3;
/// The automatic smoothing is never narrower than this many pixels: below
/// it a blob is undersampled and the smoothing no longer averages noise.
pub const AUTO_MIN_PIXELS: f64 = 1.25;

/// Detection settings (Å where not stated): the flags of `sacsim detect`
/// and the `[detect]` table of the study TOML. The pixel size and origin
/// are not settings: they come with the image ([`ImageFrame`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, clap::Args)]
#[serde(deny_unknown_fields, default)]
pub struct DetectConfig {
    /// Smoothing σ (Å), matched to the atom's apparent size. Default:
    /// automatic, the larger of the probe σ (0.3 Å) and 1.25 pixels.
    #[serde(rename = "smoothing_angstrom")]
    #[arg(id = "smoothing_angstrom", long = "smoothing", value_name = "Å")]
    pub smoothing: Option<f64>,
    /// Background σ (Å).
    #[serde(rename = "background_angstrom")]
    #[arg(id = "background_angstrom", long = "background", value_name = "Å", default_value_t = DetectConfig::default().background)]
    pub background: f64,
    /// Minimum separation of two detections (Å).
    #[serde(rename = "min_separation_angstrom")]
    #[arg(id = "min_separation_angstrom", long = "min-separation", value_name = "Å", default_value_t = DetectConfig::default().min_separation)]
    pub min_separation: f64,
    /// Width (Gaussian σ, Å) of the window over which the local noise is
    /// measured.
    #[serde(rename = "noise_window_angstrom")]
    #[arg(id = "noise_window_angstrom", long = "noise-window", value_name = "Å", default_value_t = DetectConfig::default().noise_window)]
    pub noise_window: f64,
    /// Detection threshold: significance in units of the local noise σ.
    #[arg(long, value_name = "SIGMA", default_value_t = DetectConfig::default().threshold)]
    pub threshold: f64,
    /// Half-width of the sub-pixel refinement window (Å).
    #[serde(rename = "refine_radius_angstrom")]
    #[arg(id = "refine_radius_angstrom", long = "refine-radius", value_name = "Å", default_value_t = DetectConfig::default().refine_radius)]
    pub refine_radius: f64,
    /// Radius of the intensity integration (Å).
    #[serde(rename = "integration_radius_angstrom")]
    #[arg(id = "integration_radius_angstrom", long = "integration-radius", value_name = "Å", default_value_t = DetectConfig::default().integration_radius)]
    pub integration_radius: f64,
    /// Border excluded from detection (Å).
    #[serde(rename = "edge_angstrom")]
    #[arg(id = "edge_angstrom", long = "edge", value_name = "Å", default_value_t = DetectConfig::default().edge)]
    pub edge: f64,
    /// Assign two elements by intensity, lighter,heavier (e.g. Mn,Co):
    /// P(heavier) per atom from aperture photometry (docs/PHYSICS.md §5).
    #[arg(long, value_name = "LIGHT,HEAVY")]
    pub elements: Option<Pair<Element>>,
    /// Radius (Å) of the element photometry aperture: small, so the
    /// support under the atom adds little (0.4-0.6 Å is best at 0.1 Å
    /// pixels and a 30 mrad probe).
    #[serde(rename = "photometry_radius_angstrom")]
    #[arg(id = "photometry_radius_angstrom", long = "photometry-radius", value_name = "Å", default_value_t = DetectConfig::default().photometry_radius)]
    pub photometry_radius: f64,
    /// Expected aperture-intensity ratio heavier/lighter [default: from
    /// the cross sections at the image's optics when it records them,
    /// else (Z_heavy/Z_light)^1.7].
    #[arg(long, value_name = "RATIO")]
    pub intensity_ratio: Option<f64>,
    /// Image units per detected electron, for the atoms' shot noise
    /// [default: 1 for images of counts (non-negative integers), else 0].
    #[arg(long, value_name = "UNITS")]
    pub gain: Option<f64>,
}

impl Default for DetectConfig {
    fn default() -> DetectConfig {
        DetectConfig {
            smoothing: None,
            background: 2.0,
            noise_window: 40.0,
            min_separation: 1.5,
            threshold: 4.0,
            refine_radius: 0.4,
            integration_radius: 0.8,
            edge: 0.3,
            elements: None,
            photometry_radius: 0.5,
            intensity_ratio: None,
            gain: None,
        }
    }
}

impl DetectConfig {
    /// Refuse settings outside their ranges (Å, or σ for the threshold).
    pub fn validate(&self) -> Result<()> {
        let short = crate::values::short;
        for (name, v, max) in [
            ("--smoothing", self.smoothing.unwrap_or(1.0), 100.0),
            ("--background", self.background, 1e4),
            ("--noise-window", self.noise_window, 1e4),
            ("--min-separation", self.min_separation, 1e3),
            ("--threshold", self.threshold, 1e3),
            ("--refine-radius", self.refine_radius, 100.0),
            ("--integration-radius", self.integration_radius, 100.0),
            ("--photometry-radius", self.photometry_radius, 100.0),
            (
                "--intensity-ratio",
                self.intensity_ratio.unwrap_or(1.5),
                100.0,
            ),
        ] {
            if !(v > 0.0 && v <= max) {
                return Err(Error::invalid(
                    name,
                    format!("{}; give a value in 0-{}", short(v), short(max)),
                ));
            }
        }
        if let Some(g) = self.gain
            && !(0.0..=1e9).contains(&g)
        {
            return Err(Error::invalid(
                "--gain",
                format!("{}; give 0-1e9 image units per electron", short(g)),
            ));
        }
        if let Some(Pair([light, heavy])) = self.elements
            && light == heavy
        {
            return Err(Error::invalid(
                "--elements",
                format!("{light},{heavy}: give two different elements, lighter first"),
            ));
        }
        if !(self.edge >= 0.0 && self.edge <= 1e3) {
            return Err(Error::invalid(
                "--edge",
                format!("{} Å; give 0-1000 Å", short(self.edge)),
            ));
        }
        Ok(())
    }

    /// The smoothing σ (Å) for pixels of `pixel` Å: the setting, or the
    /// larger of [`AUTO_PROBE_SIGMA`] and [`AUTO_MIN_PIXELS`] pixels.
    pub fn smoothing_for(&self, pixel: f64) -> f64 {
        self.smoothing
            .unwrap_or(AUTO_PROBE_SIGMA.max(AUTO_MIN_PIXELS * pixel))
    }
}

/// How far a detection can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Quality {
    /// Significant by more than 1.5 σ over the threshold, position fitted.
    Good,
    /// Within 1.5 σ of the threshold: a likely false positive on a
    /// textured support.
    Weak,
    /// The Gaussian fit was not a peak; the position is a centre of mass.
    Centroid,
}

impl Quality {
    /// The name written in detections.csv.
    pub fn name(self) -> &'static str {
        match self {
            Quality::Good => "good",
            Quality::Weak => "weak",
            Quality::Centroid => "centroid",
        }
    }
}

/// One detected atom.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detection {
    /// Position in pixels (x, y; pixel centres at integers).
    pub pixel: [f64; 2],
    /// Position in Å (the image frame's origin + pixel · pixel size).
    pub position: [f64; 2],
    /// Integrated intensity of (image − background) within the radius.
    pub intensity: f64,
    /// Significance: peak signal over the local noise σ.
    pub snr: f64,
    /// Quality flag.
    pub quality: Quality,
    /// Assigned element, if asked for: the more likely of the two.
    pub element: Option<Element>,
    /// Element photometry (with `elements`; None at the border).
    pub photometry: Option<Photometry>,
    /// P(heavier element) (with `elements`).
    pub p_heavy: Option<f64>,
}

/// Detections and what the detector saw.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DetectionResult {
    /// The atoms found.
    pub detections: Vec<Detection>,
    /// Median of the local noise σ of the signal image.
    pub noise_sigma: f64,
    /// Smoothing σ used (Å): the setting, or the automatic choice.
    pub smoothing_angstrom: f64,
    /// The image's frame: positions are in its coordinates.
    pub frame: ImageFrame,
    /// Settings used.
    pub settings: DetectConfig,
    /// The element model (with `elements`).
    pub identity: Option<ElementIdentity>,
}

/// Median of the values.
fn median_of(values: impl Iterator<Item = f32>) -> f64 {
    let mut v: Vec<f32> = values.collect();
    if v.is_empty() {
        return 0.0;
    }
    let mid = v.len() / 2;
    *v.select_nth_unstable_by(mid, f32::total_cmp).1 as f64
}

/// Detect atoms in a row-major image placed by `frame`.
pub fn detect(image: &[f32], frame: &ImageFrame, s: &DetectConfig) -> Result<DetectionResult> {
    s.validate()?;
    let [nx, ny] = frame.shape;
    let bad = image.iter().filter(|v| !v.is_finite()).count();
    if bad > 0 {
        return Err(Error::invalid(
            "IMAGE",
            format!(
                "{bad} of {} pixels are NaN or infinite; give an image of finite values",
                image.len()
            ),
        ));
    }
    if nx < 8 || ny < 8 || image.len() != nx * ny {
        return Err(Error::invalid(
            "IMAGE",
            format!("{nx} x {ny} pixels: too small to detect atoms in (at least 8 x 8)"),
        ));
    }
    // Filters and distances in pixels use the mean pixel size (images are
    // near-square); positions use the exact per-axis sizes.
    let [pxx, pxy] = frame.pixel;
    let px = (pxx + pxy) / 2.0;
    let smoothing = s.smoothing_for(px);
    // Two background widths hold all but e^-2 of its kernel's reach.
    let padded = Padded::new(image, [nx, ny], 2.0 * s.background / px);
    let mut signal = padded.gaussian(smoothing / px);
    let background = padded.gaussian(s.background / px);
    drop(padded);
    signal
        .par_iter_mut()
        .zip(&background)
        .for_each(|(a, b)| *a -= b);
    let mut z = local_noise(&signal, [nx, ny], s.noise_window / px);
    let step = (z.len() / 1_000_000).max(1);
    let noise_sigma = median_of(z.iter().step_by(step).copied());
    // Noise below 1e-5 of the largest |value| is f32 round-off of the
    // FFT filters, not noise (a flat image): nothing is significant there.
    let peak = image.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let floor = (1e-5 * peak).max(f32::MIN_POSITIVE);
    // z = R / σ_loc, in place of the noise map.
    z.par_iter_mut()
        .zip(&signal)
        .for_each(|(n, &r)| *n = r / n.max(floor));

    // Count images at a few counts per pixel: Poisson noise is not
    // Gaussian there, so a detection must also beat its expected
    // background in Anscombe z (below).
    let mean = image.iter().map(|&v| v as f64).sum::<f64>() / image.len() as f64;
    let sparse_counts = mean < 100.0
        && image
            .iter()
            .step_by(step)
            .all(|&v| v >= 0.0 && v.fract() == 0.0);

    // Candidates: 3 x 3 maxima of z above threshold, off the border.
    let border = ((s.edge / px).ceil() as usize).max(1);
    let level = s.threshold as f32;
    let mut candidates = maxima(&z, [nx, ny], border, level);
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then((a.2, a.1).cmp(&(b.2, b.1))));
    let kept = suppress(&candidates, [nx, ny], s.min_separation / px);

    // Refinement, intensity, significance and quality.
    let w = ((s.refine_radius / px).round() as i64).max(1);
    let r_int = s.integration_radius / px;
    let mut detections: Vec<Detection> = kept
        .par_iter()
        .filter_map(|&(ix, iy)| {
            let (xy, fitted) = refine::refine(&signal, nx, ny, ix, iy, w);
            let [x, y] = xy;
            let ri = r_int.ceil() as i64;
            let (mut total, mut counts, mut expected) = (0.0f64, 0.0f64, 0.0f64);
            for dy in -ri..=ri {
                for dx in -ri..=ri {
                    let (qx, qy) = (ix as i64 + dx, iy as i64 + dy);
                    if qx < 0 || qy < 0 || qx >= nx as i64 || qy >= ny as i64 {
                        continue;
                    }
                    if (qx as f64 - x).powi(2) + (qy as f64 - y).powi(2) <= r_int * r_int {
                        let k = qy as usize * nx + qx as usize;
                        total += (image[k] - background[k]) as f64;
                        counts += image[k] as f64;
                        expected += background[k].max(0.0) as f64;
                    }
                }
            }
            if sparse_counts
                && 2.0 * ((counts + 0.375).sqrt() - (expected + 0.375).sqrt()) < s.threshold
            {
                return None;
            }
            let significance = z[iy * nx + ix] as f64;
            let quality = if !fitted {
                Quality::Centroid
            } else if significance < s.threshold + 1.5 {
                Quality::Weak
            } else {
                Quality::Good
            };
            Some(Detection {
                pixel: [x, y],
                position: frame.to_angstrom([x, y]),
                intensity: total,
                snr: significance,
                quality,
                element: None,
                photometry: None,
                p_heavy: None,
            })
        })
        .collect();
    let identity = s.elements.map(|Pair(pair)| {
        let counts = image
            .iter()
            .step_by(step)
            .all(|&v| v >= 0.0 && v.fract() == 0.0);
        let view = PhotometryImage {
            image,
            background: &background,
            shape: [nx, ny],
            pixel: px,
        };
        assign_elements(&mut detections, &view, s, pair, counts)
    });
    Ok(DetectionResult {
        detections,
        noise_sigma,
        smoothing_angstrom: smoothing,
        frame: *frame,
        settings: *s,
        identity,
    })
}

/// Element photometry and the per-atom mixture; each detection gets its
/// photometry, P(heavy) and the more likely element.
fn assign_elements(
    detections: &mut [Detection],
    view: &PhotometryImage,
    s: &DetectConfig,
    [light, heavy]: [Element; 2],
    counts: bool,
) -> ElementIdentity {
    let pixels: Vec<[f64; 2]> = detections.iter().map(|d| d.pixel).collect();
    let radius_px = s.photometry_radius / view.pixel;
    let background = view.background_noise(&pixels, radius_px);
    let gain = s.gain.unwrap_or(if counts { 1.0 } else { 0.0 });
    let photometry = view.measure(&pixels, radius_px, gain, &background);
    let (intensity_ratio, ratio_source) = match s.intensity_ratio {
        Some(r) => (r, "given".to_string()),
        None => (
            identity::z_rule_ratio(light, heavy),
            format!("Z^{} rule", identity::Z_EXPONENT),
        ),
    };
    let logs: Vec<Option<(f64, f64)>> =
        photometry.iter().map(|p| p.and_then(|p| p.log())).collect();
    let atoms = identity::fit_atoms(&logs, intensity_ratio.ln());
    // Atoms without a usable ln I: by their intensity against the midpoint.
    let midpoint = atoms.light_log_level + intensity_ratio.ln() / 2.0;
    for ((d, p), ph) in detections.iter_mut().zip(&atoms.p_heavy).zip(&photometry) {
        d.photometry = *ph;
        d.p_heavy = *p;
        let is_heavy = match p {
            Some(p) => *p > 0.5,
            None => d.intensity > 0.0 && d.intensity.ln() > midpoint,
        };
        d.element = Some(if is_heavy { heavy } else { light });
    }
    ElementIdentity {
        light,
        heavy,
        intensity_ratio,
        ratio_source,
        aperture_angstrom: s.photometry_radius,
        gain,
        background,
        atoms,
    }
}

/// 3 x 3 maxima of `z` above `level`, at least `border` pixels from the
/// edge: (value, ix, iy).
fn maxima(z: &[f32], [nx, ny]: [usize; 2], border: usize, level: f32) -> Vec<(f32, usize, usize)> {
    (border..ny.saturating_sub(border))
        .into_par_iter()
        .flat_map_iter(|iy| {
            (border..nx.saturating_sub(border)).filter_map(move |ix| {
                let v = z[iy * nx + ix];
                if v <= level {
                    return None;
                }
                for dy in [-1i64, 0, 1] {
                    for dx in [-1i64, 0, 1] {
                        if (dx, dy) != (0, 0) {
                            let w = z[(iy as i64 + dy) as usize * nx + (ix as i64 + dx) as usize];
                            // Ties: the first pixel in scan order wins.
                            if w > v || (w == v && (dy < 0 || (dy == 0 && dx < 0))) {
                                return None;
                            }
                        }
                    }
                }
                Some((v, ix, iy))
            })
        })
        .collect()
}

/// Atoms from a score map on the image's grid (the learned detector's
/// heatmap): maxima above `level`, suppressed within the minimum
/// separation and refined on the score map, as [`detect`] does with its
/// significance; snr is the score, intensity the image value at the peak.
pub fn peaks_of(
    score: &[f32],
    image: &[f32],
    frame: &ImageFrame,
    s: &DetectConfig,
    level: f32,
) -> DetectionResult {
    let [nx, ny] = frame.shape;
    let px = (frame.pixel[0] + frame.pixel[1]) / 2.0;
    let border = ((s.edge / px).ceil() as usize).max(1);
    let mut candidates = maxima(score, [nx, ny], border, level);
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then((a.2, a.1).cmp(&(b.2, b.1))));
    let kept = suppress(&candidates, [nx, ny], s.min_separation / px);
    let w = ((s.refine_radius / px).round() as i64).max(1);
    let detections = kept
        .iter()
        .map(|&(ix, iy)| {
            let ([x, y], fitted) = refine::refine(score, nx, ny, ix, iy, w);
            Detection {
                pixel: [x, y],
                position: frame.to_angstrom([x, y]),
                intensity: image[iy * nx + ix] as f64,
                snr: score[iy * nx + ix] as f64,
                quality: if fitted {
                    Quality::Good
                } else {
                    Quality::Centroid
                },
                element: None,
                photometry: None,
                p_heavy: None,
            }
        })
        .collect();
    DetectionResult {
        detections,
        noise_sigma: 0.0,
        smoothing_angstrom: 0.0,
        frame: *frame,
        settings: *s,
        identity: None,
    }
}

/// Non-maximum suppression: walk the candidates from the most significant
/// and keep each one farther than `sep_px` from every kept one (cell grid).
fn suppress(
    candidates: &[(f32, usize, usize)],
    [nx, ny]: [usize; 2],
    sep_px: f64,
) -> Vec<(usize, usize)> {
    let cell = sep_px.max(1.0);
    let (gx, gy) = (
        ((nx as f64 / cell).ceil() as usize).max(1),
        ((ny as f64 / cell).ceil() as usize).max(1),
    );
    let mut grid: Vec<Vec<(f64, f64)>> = vec![Vec::new(); gx * gy];
    let mut kept: Vec<(usize, usize)> = Vec::new();
    for &(_, ix, iy) in candidates {
        let (cx, cy) = ((ix as f64 / cell) as usize, (iy as f64 / cell) as usize);
        let clear = (cy.saturating_sub(1)..(cy + 2).min(gy)).all(|gy_| {
            (cx.saturating_sub(1)..(cx + 2).min(gx)).all(|gx_| {
                grid[gy_ * gx + gx_].iter().all(|&(x, y)| {
                    (x - ix as f64).powi(2) + (y - iy as f64).powi(2) >= sep_px * sep_px
                })
            })
        });
        if clear {
            grid[cy * gx + cx].push((ix as f64, iy as f64));
            kept.push((ix, iy));
        }
    }
    kept
}
