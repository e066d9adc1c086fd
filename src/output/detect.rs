//! `sacsim detect` output: `detections.csv` (x_A, y_A, element, x_px,
//! y_px, intensity, snr, quality, photometry, photometry_sigma, p_heavy:
//! the form `analyze` and `evaluate` read; snr is the significance over
//! the local noise; the last three are filled with `--elements`),
//! `detections.json`, `overlay.png` (the image with a mark on every
//! detection: red for the heavier or only class, cyan for the lighter) and
//! `params.json` ([`DetectParams`], with the image frame).

use std::fmt::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::analysis::detect::{DetectConfig, DetectionResult};
use crate::error::Result;

use super::figure::{draw_scale_bar, encode_rgb};
use super::{Provenance, listed, write_with_params};
use crate::structure::ImageFrame;

/// The detections as CSV.
pub fn detections_csv(r: &DetectionResult) -> String {
    let mut out = String::from(
        "x_A,y_A,element,x_px,y_px,intensity,snr,quality,photometry,photometry_sigma,p_heavy\n",
    );
    for d in &r.detections {
        let el = d.element.map_or("", |e| e.symbol());
        let (ph, sigma) = d.photometry.map_or((String::new(), String::new()), |p| {
            (format!("{:.6e}", p.intensity), format!("{:.6e}", p.sigma))
        });
        let p = d.p_heavy.map_or(String::new(), |p| format!("{p:.4}"));
        let _ = writeln!(
            out,
            "{:.4},{:.4},{el},{:.4},{:.4},{:.6e},{:.2},{},{ph},{sigma},{p}",
            d.position[0],
            d.position[1],
            d.pixel[0],
            d.pixel[1],
            d.intensity,
            d.snr,
            d.quality.name()
        );
    }
    out
}

/// The image (1-99.9 percentile grey levels) with a 5-pixel cross on every
/// detection and a scale bar.
pub fn overlay_png(image: &[f32], r: &DetectionResult) -> Vec<u8> {
    let [nx, ny] = r.frame.shape;
    let mut sorted: Vec<f32> = image
        .iter()
        .step_by((image.len() / 200_000).max(1))
        .copied()
        .collect();
    sorted.sort_by(f32::total_cmp);
    let (lo, hi) = (
        sorted[sorted.len() / 100],
        sorted[(sorted.len() * 999 / 1000).min(sorted.len() - 1)],
    );
    let span = if hi > lo { hi - lo } else { 1.0 };
    let mut rgb = vec![0u8; 3 * image.len()];
    rgb.par_chunks_mut(3 * nx)
        .zip(image.par_chunks(nx))
        .for_each(|(out, row)| {
            for (px, &v) in out.chunks_exact_mut(3).zip(row) {
                px.fill((((v - lo) / span).clamp(0.0, 1.0) * 255.0) as u8);
            }
        });
    let heavy = r.settings.elements.map(|e| e.0[1]);
    for d in &r.detections {
        let color = match (d.element, heavy) {
            (Some(e), Some(h)) if e != h => [0, 220, 255],
            _ => [255, 40, 40],
        };
        let (cx, cy) = (d.pixel[0].round() as i64, d.pixel[1].round() as i64);
        for k in -2i64..=2 {
            for (x, y) in [(cx + k, cy), (cx, cy + k)] {
                if x >= 0 && y >= 0 && (x as usize) < nx && (y as usize) < ny {
                    let i = 3 * (y as usize * nx + x as usize);
                    rgb[i..i + 3].copy_from_slice(&color);
                }
            }
        }
    }
    draw_scale_bar(&mut rgb, nx, ny, r.frame.pixel[0]);
    encode_rgb(&rgb, nx as u32, ny as u32)
}

/// `params.json` of a detection directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectParams {
    /// Version and command.
    #[serde(flatten)]
    pub provenance: Provenance,
    /// The image file.
    pub input: String,
    /// Detection settings.
    pub settings: DetectConfig,
    /// The image frame: detections are in its coordinates (Å).
    #[serde(flatten)]
    pub frame: ImageFrame,
    /// Median local noise σ of the signal image.
    pub noise_sigma: f64,
    /// Smoothing σ used (Å).
    pub smoothing_angstrom: f64,
    /// Number of detections.
    pub detections: usize,
    /// The element model (with `--elements`).
    pub identity: Option<crate::analysis::identity::ElementIdentity>,
    /// Files written.
    pub files: Vec<String>,
}

/// Write a detection run into `dir`.
pub fn write_detections(
    dir: &Path,
    input: &Path,
    image: &[f32],
    r: &DetectionResult,
) -> Result<Vec<PathBuf>> {
    write_detections_with(dir, input, image, r, Vec::new())
}

/// [`write_detections`] with `extra` files (name, bytes) beside them, such
/// as the learned detector's heatmap.
pub fn write_detections_with(
    dir: &Path,
    input: &Path,
    image: &[f32],
    r: &DetectionResult,
    extra: Vec<(String, Vec<u8>)>,
) -> Result<Vec<PathBuf>> {
    let mut files: Vec<(String, Vec<u8>)> = vec![
        ("detections.csv".into(), detections_csv(r).into_bytes()),
        (
            "detections.json".into(),
            (serde_json::to_string_pretty(r).expect("serialise") + "\n").into_bytes(),
        ),
        ("overlay.png".into(), overlay_png(image, r)),
    ];
    files.extend(extra);
    let params = DetectParams {
        provenance: Provenance::of("detect"),
        input: input.display().to_string(),
        settings: r.settings,
        frame: r.frame,
        noise_sigma: r.noise_sigma,
        smoothing_angstrom: r.smoothing_angstrom,
        detections: r.detections.len(),
        identity: r.identity.clone(),
        files: listed(&files),
    };
    write_with_params(dir, files, &params)
}
