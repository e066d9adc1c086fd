//! Finding atoms in HAADF images (docs/PHYSICS.md §5).
//!
//! 1. One FFT of the image; two Gaussian filters applied in Fourier space:
//!    smoothing matched to the probe (σ_s, default 0.3 Å) and a wide
//!    background (σ_b, default 10 Å). Signal R = smoothed − background.
//! 2. Noise: robust σ = 1.4826 · MAD(R); for count images (non-negative
//!    integers) at least the Poisson noise of the smoothed image,
//!    sqrt(mean counts / (4π σ_s²)) with σ_s in pixels, which keeps the
//!    threshold meaningful where most pixels count zero.
//! 3. Candidates: 3 x 3 local maxima of R above `threshold` · σ, away from
//!    the border; non-maximum suppression keeps the brightest within the
//!    minimum separation.
//! 4. Sub-pixel position: a 2D Gaussian fitted to R in a small window (the
//!    log-intensity paraboloid, weighted least squares), falling back to the
//!    centre of mass where the fit is not a peak.
//! 5. Integrated intensity of (image − background) within 0.8 Å, SNR =
//!    peak / σ, and optionally two elements assigned by intensity (two-class
//!    split in log intensity; the heavier element takes the brighter class).
//!
//! Images are mirrored at their borders by two background widths before
//! the FFT filters (no wrap-around); detections within `edge` Å of the
//! border are dropped.

use rayon::prelude::*;
use rustfft::num_complex::Complex;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fft::Fft2;
use crate::structure::{Element, ImageFrame};
use crate::values::Pair;

/// Detection settings (Å where not stated): the flags of `sacsim detect`
/// and the `[detect]` table of the study TOML. The pixel size and origin
/// are not settings: they come with the image ([`ImageFrame`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, clap::Args)]
#[serde(deny_unknown_fields, default)]
pub struct DetectConfig {
    /// Smoothing σ (Å), about the probe's.
    #[serde(rename = "smoothing_angstrom")]
    #[arg(id = "smoothing_angstrom", long = "smoothing", value_name = "Å", default_value_t = DetectConfig::default().smoothing)]
    pub smoothing: f64,
    /// Background σ (Å).
    #[serde(rename = "background_angstrom")]
    #[arg(id = "background_angstrom", long = "background", value_name = "Å", default_value_t = DetectConfig::default().background)]
    pub background: f64,
    /// Minimum separation of two detections (Å).
    #[serde(rename = "min_separation_angstrom")]
    #[arg(id = "min_separation_angstrom", long = "min-separation", value_name = "Å", default_value_t = DetectConfig::default().min_separation)]
    pub min_separation: f64,
    /// Detection threshold in units of the robust noise σ.
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
    /// Assign two elements by intensity, lighter,heavier (e.g. Mn,Co).
    #[arg(long, value_name = "LIGHT,HEAVY")]
    pub elements: Option<Pair<Element>>,
}

impl Default for DetectConfig {
    fn default() -> DetectConfig {
        DetectConfig {
            smoothing: 0.3,
            background: 10.0,
            min_separation: 1.5,
            threshold: 6.0,
            refine_radius: 0.4,
            integration_radius: 0.8,
            edge: 1.0,
            elements: None,
        }
    }
}

impl DetectConfig {
    /// Refuse settings outside their ranges (Å, or σ for the threshold).
    pub fn validate(&self) -> Result<()> {
        let short = crate::values::short;
        for (name, v, max) in [
            ("--smoothing", self.smoothing, 100.0),
            ("--background", self.background, 1e4),
            ("--min-separation", self.min_separation, 1e3),
            ("--threshold", self.threshold, 1e3),
            ("--refine-radius", self.refine_radius, 100.0),
            ("--integration-radius", self.integration_radius, 100.0),
        ] {
            if !(v > 0.0 && v <= max) {
                return Err(Error::invalid(
                    name,
                    format!("{}; give a value in 0-{}", short(v), short(max)),
                ));
            }
        }
        if !(self.edge >= 0.0 && self.edge <= 1e3) {
            return Err(Error::invalid(
                "--edge",
                format!("{} Å; give 0-1000 Å", short(self.edge)),
            ));
        }
        Ok(())
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
    /// Peak signal over the noise σ.
    pub snr: f64,
    /// Assigned element, if asked for.
    pub element: Option<Element>,
}

/// Detections and what the detector saw.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DetectionResult {
    /// The atoms found.
    pub detections: Vec<Detection>,
    /// Robust noise σ of the signal image.
    pub noise_sigma: f64,
    /// The image's frame: positions are in its coordinates.
    pub frame: ImageFrame,
    /// Settings used.
    pub settings: DetectConfig,
}

/// Gaussian transfer function exp(−2π² σ² k²), σ in pixels, k in 1/pixel.
fn gaussian_filtered(fft: &Fft2, spectrum: &[Complex<f32>], sigma_px: f64) -> Vec<f32> {
    let freq = fft.frequencies(1.0, 1.0);
    let ny = spectrum.len() / fft.half();
    let c = -2.0 * std::f64::consts::PI.powi(2) * sigma_px * sigma_px;
    let mut out = spectrum.to_vec();
    out.par_chunks_mut(ny).enumerate().for_each(|(ix, col)| {
        for (iy, v) in col.iter_mut().enumerate() {
            let (kx, ky) = freq(ix, iy);
            *v *= (c * (kx * kx + ky * ky)).exp() as f32;
        }
    });
    fft.inverse(out)
}

/// Median of a sample of the values (every `step`-th).
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
    // Mirror the image by two background widths before filtering, so
    // the FFT's periodic wrap never brings one edge's intensity into the
    // other's background (real images have gradients: thick carbon at one
    // edge, vacuum at the other).
    // Two background widths hold all but e^-2 of its kernel's reach; the
    // padded size is rounded up to an FFT-friendly (2,3,5,7-smooth) one.
    let padded_size = |n: usize| {
        let margin = ((2.0 * s.background / px).ceil() as usize).min(n - 1);
        let total = crate::fft::smooth_size(n + 2 * margin);
        (total, (total - n) / 2)
    };
    let ((px_n, mx), (py_n, my)) = (padded_size(nx), padded_size(ny));
    let reflect = |i: i64, n: usize| -> usize {
        let n = n as i64;
        let period = 2 * (n - 1);
        let k = i.rem_euclid(period.max(1));
        (if k < n { k } else { period - k }) as usize
    };
    let padded: Vec<f32> = (0..py_n)
        .flat_map(|y| {
            let sy = reflect(y as i64 - my as i64, ny);
            (0..px_n).map(move |x| (reflect(x as i64 - mx as i64, nx), sy))
        })
        .map(|(sx, sy)| image[sy * nx + sx])
        .collect();
    let fft = Fft2::new(px_n, py_n);
    let spectrum = fft.forward(padded);
    let crop = |v: Vec<f32>| -> Vec<f32> {
        (0..ny)
            .flat_map(|y| {
                let row = (y + my) * px_n + mx;
                v[row..row + nx].to_vec()
            })
            .collect()
    };
    let smooth = crop(gaussian_filtered(&fft, &spectrum, s.smoothing / px));
    let background = crop(gaussian_filtered(&fft, &spectrum, s.background / px));
    let signal: Vec<f32> = smooth
        .par_iter()
        .zip(&background)
        .map(|(a, b)| a - b)
        .collect();

    // Robust noise from a sample of about 10⁶ pixels.
    let step = (signal.len() / 1_000_000).max(1);
    let med = median_of(signal.iter().step_by(step).copied());
    let mad = median_of(
        signal
            .iter()
            .step_by(step)
            .map(|&v| (v as f64 - med).abs() as f32),
    );
    // Count images (non-negative integers): the smoothed image's Poisson
    // noise is sqrt(λ Σ g²), Σ g² = 1/(4π σ_px²) for a normalised Gaussian;
    // it bounds σ from below where most pixels are empty (MAD = 0).
    let is_counts = image
        .iter()
        .step_by(step)
        .all(|&v| v >= 0.0 && v.fract() == 0.0);
    let poisson = if is_counts {
        let mean = image.iter().map(|&v| v as f64).sum::<f64>() / image.len() as f64;
        let sp = s.smoothing / px;
        (mean / (4.0 * std::f64::consts::PI * sp * sp)).sqrt()
    } else {
        0.0
    };
    let sigma = (1.4826 * mad).max(poisson).max(f64::MIN_POSITIVE);

    // Candidates: 3 x 3 maxima above threshold, off the border.
    let border = ((s.edge / px).ceil() as usize).max(1);
    let level = (med + s.threshold * sigma) as f32;
    let mut candidates: Vec<(f32, usize, usize)> = (border..ny.saturating_sub(border))
        .into_par_iter()
        .flat_map_iter(|iy| {
            let signal = &signal;
            (border..nx.saturating_sub(border)).filter_map(move |ix| {
                let v = signal[iy * nx + ix];
                if v <= level {
                    return None;
                }
                for dy in [-1i64, 0, 1] {
                    for dx in [-1i64, 0, 1] {
                        if (dx, dy) != (0, 0) {
                            let w =
                                signal[(iy as i64 + dy) as usize * nx + (ix as i64 + dx) as usize];
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
        .collect();
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then((a.2, a.1).cmp(&(b.2, b.1))));

    // Non-maximum suppression within the minimum separation (cell grid).
    let sep_px = s.min_separation / px;
    let cell = sep_px.max(1.0);
    let (gx, gy) = (
        ((nx as f64 / cell).ceil() as usize).max(1),
        ((ny as f64 / cell).ceil() as usize).max(1),
    );
    let mut grid: Vec<Vec<(f64, f64)>> = vec![Vec::new(); gx * gy];
    let mut kept: Vec<(usize, usize)> = Vec::new();
    for &(_, ix, iy) in &candidates {
        let (cx, cy) = ((ix as f64 / cell) as usize, (iy as f64 / cell) as usize);
        let mut clear = true;
        'scan: for ny_ in cy.saturating_sub(1)..(cy + 2).min(gy) {
            for nx_ in cx.saturating_sub(1)..(cx + 2).min(gx) {
                for &(x, y) in &grid[ny_ * gx + nx_] {
                    if (x - ix as f64).powi(2) + (y - iy as f64).powi(2) < sep_px * sep_px {
                        clear = false;
                        break 'scan;
                    }
                }
            }
        }
        if clear {
            grid[cy * gx + cx].push((ix as f64, iy as f64));
            kept.push((ix, iy));
        }
    }

    // Refinement, intensity and SNR.
    let w = ((s.refine_radius / px).round() as i64).max(1);
    let r_int = s.integration_radius / px;
    let mut detections: Vec<Detection> = kept
        .par_iter()
        .filter_map(|&(ix, iy)| {
            let [x, y] = refine(&signal, nx, ny, ix, iy, w);
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
            let peak = signal[iy * nx + ix] as f64 - med;
            // Count images: the disk must also beat its expected background
            // by `threshold` in Anscombe z (Poisson noise is not Gaussian
            // at a few counts per pixel).
            if is_counts
                && 2.0 * ((counts + 0.375).sqrt() - (expected + 0.375).sqrt()) < s.threshold
            {
                return None;
            }
            Some(Detection {
                pixel: [x, y],
                position: frame.to_angstrom([x, y]),
                intensity: total,
                snr: peak / sigma,
                element: None,
            })
        })
        .collect();
    if let Some(Pair(pair)) = s.elements {
        assign_elements(&mut detections, pair);
    }
    Ok(DetectionResult {
        detections,
        noise_sigma: sigma,
        frame: *frame,
        settings: *s,
    })
}

/// Sub-pixel peak position: fit ln R = a + b x + c y + d x² + e y² over the
/// window (weights R², the usual Gaussian-fit weighting), centre
/// (−b/2d, −c/2e); centre of mass of positive values if that fails.
fn refine(signal: &[f32], nx: usize, ny: usize, ix: usize, iy: usize, w: i64) -> [f64; 2] {
    let mut ata = [[0.0f64; 5]; 5];
    let mut atb = [0.0f64; 5];
    let (mut sx, mut sy, mut sw) = (0.0, 0.0, 0.0);
    let peak = signal[iy * nx + ix] as f64;
    for dy in -w..=w {
        for dx in -w..=w {
            let (qx, qy) = (ix as i64 + dx, iy as i64 + dy);
            if qx < 0 || qy < 0 || qx >= nx as i64 || qy >= ny as i64 {
                continue;
            }
            let v = signal[qy as usize * nx + qx as usize] as f64;
            if v <= 0.0 {
                continue;
            }
            sx += v * dx as f64;
            sy += v * dy as f64;
            sw += v;
            if v < 0.05 * peak {
                continue;
            }
            let (x, y) = (dx as f64, dy as f64);
            let row = [1.0, x, y, x * x, y * y];
            let wt = v * v;
            let l = v.ln();
            for i in 0..5 {
                atb[i] += wt * row[i] * l;
                for j in 0..5 {
                    ata[i][j] += wt * row[i] * row[j];
                }
            }
        }
    }
    let com = if sw > 0.0 {
        [ix as f64 + sx / sw, iy as f64 + sy / sw]
    } else {
        [ix as f64, iy as f64]
    };
    match solve5(ata, atb) {
        Some(c) if c[3] < 0.0 && c[4] < 0.0 => {
            let (x0, y0) = (-c[1] / (2.0 * c[3]), -c[2] / (2.0 * c[4]));
            if x0.abs() <= w as f64 && y0.abs() <= w as f64 {
                [ix as f64 + x0, iy as f64 + y0]
            } else {
                com
            }
        }
        _ => com,
    }
}

/// Solve the 5 x 5 normal equations (nalgebra LU).
fn solve5(a: [[f64; 5]; 5], b: [f64; 5]) -> Option<[f64; 5]> {
    let m = nalgebra::Matrix5::from_fn(|i, j| a[i][j]);
    let x = m.lu().solve(&nalgebra::Vector5::from(b))?;
    x.iter()
        .all(|v| v.is_finite())
        .then(|| [x[0], x[1], x[2], x[3], x[4]])
}

/// Two-class split of ln(intensity) (two-means from the quartiles); the
/// brighter class gets the heavier element.
fn assign_elements(dets: &mut [Detection], [light, heavy]: [Element; 2]) {
    let mut logs: Vec<f64> = dets
        .iter()
        .filter(|d| d.intensity > 0.0)
        .map(|d| d.intensity.ln())
        .collect();
    if logs.len() < 2 {
        dets.iter_mut().for_each(|d| d.element = Some(heavy));
        return;
    }
    logs.sort_by(f64::total_cmp);
    let (mut lo, mut hi) = (logs[logs.len() / 4], logs[3 * logs.len() / 4]);
    for _ in 0..50 {
        let t = (lo + hi) / 2.0;
        let (a, b): (Vec<f64>, Vec<f64>) = logs.iter().partition(|&&v| v < t);
        if a.is_empty() || b.is_empty() {
            break;
        }
        let (nlo, nhi) = (
            a.iter().sum::<f64>() / a.len() as f64,
            b.iter().sum::<f64>() / b.len() as f64,
        );
        if (nlo - lo).abs() < 1e-12 && (nhi - hi).abs() < 1e-12 {
            break;
        }
        (lo, hi) = (nlo, nhi);
    }
    let t = (lo + hi) / 2.0;
    for d in dets.iter_mut() {
        d.element = Some(if d.intensity > 0.0 && d.intensity.ln() >= t {
            heavy
        } else {
            light
        });
    }
}
