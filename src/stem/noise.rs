//! Acquisition: how a real scan turns the clean image into data. Every
//! effect is off by default and seeded.
//!
//! - Scan distortions move the point where pixel (ix, iy) samples the
//!   continuous image: slow linear drift over the frame, per-line jitter
//!   along the fast (x) axis, flyback (a decaying x offset at the start of
//!   each line: amplitude A, decay over 5 % of the line), and per-pixel probe
//!   jitter. The image is then read by bicubic interpolation of the fine
//!   grid (simulated at >= 2x oversampling when any distortion is on).
//! - Shot noise: with a dose D (e/Å²) each pixel counts
//!   Poisson(D · px · py · I) detected electrons (values become counts).
//! - Detector noise: additive Gaussian (in counts with a dose, else in
//!   fraction-of-beam units), and per-line offsets (Gaussian, in units of
//!   the image mean).
//!
//! Randomness: each effect and each scan line draws from its own ChaCha8
//! stream of the seed, so the result does not depend on the thread count.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal, Poisson};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::incoherent::{FineImage, Image};
use crate::error::{Error, Result};
use crate::values::Pair;

/// How the image is acquired: dose, detector noise and scan artefacts.
/// The `[acquisition]` table of the study and dataset TOML and the flags
/// of `sacsim simulate`; the default adds nothing (a clean image).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, clap::Args)]
#[serde(deny_unknown_fields, default)]
pub struct Acquisition {
    /// Electron dose (e/Å²): Poisson counts; none: no shot noise, values
    /// stay fractions of the beam.
    #[serde(rename = "dose_e_per_a2")]
    #[arg(id = "dose_e_per_a2", long = "dose", value_name = "E_PER_A2")]
    pub dose: Option<f64>,
    /// Gaussian detector noise, rms (counts with a dose, else fraction).
    #[arg(long, value_name = "RMS", default_value_t = Acquisition::default().detector_noise)]
    pub detector_noise: f64,
    /// Per-line intensity offset, rms, in units of the image mean.
    #[arg(long, value_name = "RMS", default_value_t = Acquisition::default().line_offset)]
    pub line_offset: f64,
    /// Per-line scan jitter along x, rms (Å).
    #[serde(rename = "line_jitter_angstrom")]
    #[arg(
        id = "line_jitter_angstrom",
        long = "line-jitter",
        value_name = "Å",
        default_value_t = Acquisition::default().line_jitter
    )]
    pub line_jitter: f64,
    /// Flyback distortion at the start of each line (Å).
    #[serde(rename = "flyback_angstrom")]
    #[arg(
        id = "flyback_angstrom",
        long = "flyback",
        value_name = "Å",
        allow_hyphen_values = true,
        default_value_t = Acquisition::default().flyback
    )]
    pub flyback: f64,
    /// Linear drift over the frame, x,y (Å).
    #[serde(rename = "drift_angstrom")]
    #[arg(id = "drift_angstrom", long = "drift", value_name = "DX,DY", allow_hyphen_values = true, default_value_t = Acquisition::default().drift)]
    pub drift: Pair<f64>,
    /// Per-pixel probe jitter, rms per axis (Å).
    #[serde(rename = "probe_jitter_angstrom")]
    #[arg(
        id = "probe_jitter_angstrom",
        long = "probe-jitter",
        value_name = "Å",
        default_value_t = Acquisition::default().probe_jitter
    )]
    pub probe_jitter: f64,
    /// Seed of the noise and scan artefacts.
    #[arg(long, default_value_t = Acquisition::default().seed)]
    pub seed: u64,
}

impl Default for Acquisition {
    fn default() -> Acquisition {
        Acquisition {
            dose: None,
            detector_noise: 0.0,
            line_offset: 0.0,
            line_jitter: 0.0,
            flyback: 0.0,
            drift: Pair([0.0, 0.0]),
            probe_jitter: 0.0,
            seed: 1,
        }
    }
}

/// Largest dose accepted (e/Å²): far beyond any sample's survival
/// (carbon supports take ~1e8), still exact in Poisson sampling.
pub const MAX_DOSE: f64 = 1e12;

/// Largest scan error accepted (Å): jitter, flyback, drift.
pub const MAX_SCAN_ERROR: f64 = 1e4;

impl Acquisition {
    /// Any effect at all?
    pub fn is_noisy(&self) -> bool {
        self.dose.is_some()
            || self.detector_noise > 0.0
            || self.line_offset > 0.0
            || self.distorts()
    }

    /// Does the scan move the sampling points?
    pub fn distorts(&self) -> bool {
        self.line_jitter > 0.0
            || self.flyback != 0.0
            || self.drift.0 != [0.0, 0.0]
            || self.probe_jitter > 0.0
    }

    /// Refuse negative or non-finite settings.
    pub fn validate(&self) -> Result<()> {
        if let Some(d) = self.dose
            && !(d > 0.0 && d <= MAX_DOSE)
        {
            return Err(Error::invalid(
                "--dose",
                format!(
                    "{} e/Å²; give a dose in 0-{} e/Å² (typical 1e4-1e6)",
                    crate::values::short(d),
                    crate::values::short(MAX_DOSE)
                ),
            ));
        }
        // Distances (Å) beyond a micrometre move the scan off any field.
        let short = crate::values::short;
        for (name, v, max) in [
            ("--detector-noise", self.detector_noise, 1e12),
            ("--line-offset", self.line_offset, 1e3),
            ("--line-jitter", self.line_jitter, MAX_SCAN_ERROR),
            ("--probe-jitter", self.probe_jitter, MAX_SCAN_ERROR),
        ] {
            if !(v >= 0.0 && v <= max) {
                return Err(Error::invalid(
                    name,
                    format!("{}; give a value in 0-{}", short(v), short(max)),
                ));
            }
        }
        for (name, v) in [
            ("--flyback", self.flyback),
            ("--drift", self.drift.0[0]),
            ("--drift", self.drift.0[1]),
        ] {
            if !(v.is_finite() && v.abs() <= MAX_SCAN_ERROR) {
                return Err(Error::invalid(
                    name,
                    format!(
                        "{} Å; give a distance within ±{} Å",
                        short(v),
                        short(MAX_SCAN_ERROR)
                    ),
                ));
            }
        }
        Ok(())
    }

    fn rng(&self, stream: u64) -> ChaCha8Rng {
        let mut r = ChaCha8Rng::seed_from_u64(self.seed);
        r.set_stream(stream);
        r
    }
}

/// Stream numbers: effect in the high bits, scan line in the low bits.
const POSITIONS: u64 = 1 << 40;
const LINES: u64 = 2 << 40;
const COUNTS: u64 = 3 << 40;

/// Acquire an image from the clean continuous image.
pub fn acquire(fine: &FineImage, acq: &Acquisition) -> Image {
    let clean = fine.sample();
    if !acq.is_noisy() {
        return clean;
    }
    let (nx, ny) = (clean.frame.nx(), clean.frame.ny());
    let mut data = if acq.distorts() {
        distorted(fine, &clean, acq)
    } else {
        clean.data.clone()
    };
    let pixel_area = clean.frame.pixel[0] * clean.frame.pixel[1];
    let mean = clean.data.iter().map(|&v| v as f64).sum::<f64>() / clean.data.len().max(1) as f64;
    let line_offsets: Vec<f64> = {
        let mut rng = acq.rng(LINES);
        let normal = Normal::new(0.0, 1.0).expect("unit normal");
        (0..ny)
            .map(|_| normal.sample(&mut rng) * acq.line_offset * mean)
            .collect()
    };
    data.par_chunks_mut(nx).enumerate().for_each(|(iy, row)| {
        let mut rng = acq.rng(COUNTS + iy as u64);
        let gauss = Normal::new(0.0, 1.0).expect("unit normal");
        for v in row.iter_mut() {
            let signal = (*v as f64 + line_offsets[iy]).max(0.0);
            let mut value = match acq.dose {
                Some(dose) => {
                    let lambda = dose * pixel_area * signal;
                    // Poisson::new refuses means beyond ~1e19 (and f32
                    // holds counts to 2^24 exactly anyway); the dose range
                    // keeps lambda far below, the fallback keeps it total.
                    match Poisson::new(lambda) {
                        Ok(p) if lambda > 0.0 => p.sample(&mut rng),
                        _ => lambda.max(0.0),
                    }
                }
                None => signal,
            };
            if acq.detector_noise > 0.0 {
                value += gauss.sample(&mut rng) * acq.detector_noise;
            }
            *v = value as f32;
        }
    });
    Image { data, ..clean }
}

/// Sample the continuous image at the distorted scan positions.
fn distorted(fine: &FineImage, clean: &Image, acq: &Acquisition) -> Vec<f32> {
    let (nx, ny) = (clean.frame.nx(), clean.frame.ny());
    let line_shift: Vec<f64> = {
        let mut rng = acq.rng(LINES + 1);
        let normal = Normal::new(0.0, 1.0).expect("unit normal");
        (0..ny)
            .map(|_| normal.sample(&mut rng) * acq.line_jitter)
            .collect()
    };
    let decay = (0.05 * nx as f64).max(1.0);
    let mut out = vec![0f32; nx * ny];
    out.par_chunks_mut(nx).enumerate().for_each(|(iy, row)| {
        let mut rng = acq.rng(POSITIONS + iy as u64);
        let normal = Normal::new(0.0, 1.0).expect("unit normal");
        for (ix, v) in row.iter_mut().enumerate() {
            let t = (iy * nx + ix) as f64 / (nx * ny) as f64;
            let mut x = clean.frame.origin[0]
                + ix as f64 * clean.frame.pixel[0]
                + acq.drift.0[0] * t
                + line_shift[iy]
                + acq.flyback * (-(ix as f64) / decay).exp();
            let mut y =
                clean.frame.origin[1] + iy as f64 * clean.frame.pixel[1] + acq.drift.0[1] * t;
            if acq.probe_jitter > 0.0 {
                x += normal.sample(&mut rng) * acq.probe_jitter;
                y += normal.sample(&mut rng) * acq.probe_jitter;
            }
            *v = fine.interpolate(x, y);
        }
    });
    out
}
