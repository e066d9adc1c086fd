//! Acquisition: how a real scan turns the clean image into data. Every
//! effect is off by default and seeded.
//!
//! - Scan distortions move the point where pixel (ix, iy) samples the
//!   continuous image: slow linear drift over the frame, per-line jitter
//!   along the fast (x) axis, flyback (a decaying x offset at the start of
//!   each line: amplitude A, decay over 5 % of the line), and per-pixel probe
//!   jitter. The image is then read by bicubic interpolation of the fine
//!   grid (its spacing at most half the resolving spacing 0.8 λ/(4α) when
//!   any distortion is on: 0.14 Å at 80 kV / 30 mrad).
//! - Shot noise: with a dose D (e/Å²) each pixel counts
//!   Poisson(D · px · py · I) detected electrons (values become counts).
//!   The dose may instead come from the probe current and dwell time:
//!   electrons per pixel = I·t/e (1 pA for 1 µs is 6.24 electrons).
//! - Detector noise: additive Gaussian (in counts with a dose, else in
//!   fraction-of-beam units), and per-line offsets (Gaussian, in units of
//!   the image mean).
//! - Detector read-out (with a dose): ADC value = gain · electrons +
//!   offset + dark noise (Gaussian, ADC units); with `adc_bits` rounded to an
//!   integer and clamped to 0..2^bits - 1, and written as uint8/16/32 like
//!   a microscope's file.
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
use crate::structure::ImageFrame;
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
    /// Probe current (pA), with `dwell_us` instead of a dose.
    #[serde(rename = "probe_current_pa")]
    #[arg(
        id = "probe_current_pa",
        long = "probe-current",
        value_name = "PA",
        requires = "dwell_us",
        conflicts_with = "dose_e_per_a2"
    )]
    pub probe_current: Option<f64>,
    /// Dwell time per pixel (µs), with `probe_current_pa`.
    #[serde(rename = "dwell_us")]
    #[arg(
        id = "dwell_us",
        long = "dwell",
        value_name = "US",
        requires = "probe_current_pa"
    )]
    pub dwell: Option<f64>,
    /// Detector gain (ADC units per detected electron); needs a dose.
    #[arg(long, value_name = "ADC_PER_E")]
    pub gain: Option<f64>,
    /// Detector offset (ADC units) added to every pixel; needs a dose.
    #[arg(long, value_name = "ADC", allow_hyphen_values = true, default_value_t = Acquisition::default().offset)]
    pub offset: f64,
    /// Dark (read-out) noise, rms (ADC units); needs a dose.
    #[arg(long, value_name = "RMS", default_value_t = Acquisition::default().dark_noise)]
    pub dark_noise: f64,
    /// ADC depth (bits, 8-32): values rounded and clamped to 0..2^bits - 1
    /// and written as integers (uint8 up to 8 bits, uint16 up to 16,
    /// uint32 beyond); needs a dose.
    #[arg(long = "adc-bits", value_name = "BITS")]
    pub adc_bits: Option<u32>,
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
            probe_current: None,
            dwell: None,
            gain: None,
            offset: 0.0,
            dark_noise: 0.0,
            adc_bits: None,
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
        self.counts() || self.detector_noise > 0.0 || self.line_offset > 0.0 || self.distorts()
    }

    /// Are values counted electrons (a dose, or a current and dwell)?
    pub fn counts(&self) -> bool {
        self.dose.is_some() || self.probe_current.is_some()
    }

    /// Is there a detector read-out chain (gain, offset, dark noise, ADC)?
    pub fn reads_out(&self) -> bool {
        self.gain.is_some()
            || self.offset != 0.0
            || self.dark_noise > 0.0
            || self.adc_bits.is_some()
    }

    /// Mean electrons per pixel per unit of the clean image (the fraction
    /// of the beam) for pixels of `pixel_area` Å²: dose · area, or I·t/e.
    pub fn electrons_per_pixel(&self, pixel_area: f64) -> Option<f64> {
        /// Elementary charge (C).
        const E: f64 = 1.602_176_634e-19;
        match (self.dose, self.probe_current, self.dwell) {
            (Some(d), _, _) => Some(d * pixel_area),
            (None, Some(i_pa), Some(t_us)) => Some(i_pa * 1e-12 * t_us * 1e-6 / E),
            _ => None,
        }
    }

    /// The dose (e/Å²) in effect for pixels of `pixel_area` Å².
    pub fn dose_for(&self, pixel_area: f64) -> Option<f64> {
        self.electrons_per_pixel(pixel_area).map(|n| n / pixel_area)
    }

    /// What the values of an acquired image are.
    pub fn units(&self) -> String {
        match (self.counts(), self.reads_out()) {
            (true, true) => format!(
                "detector ADC units: {} per detected electron + offset {}{}",
                crate::values::short(self.gain.unwrap_or(1.0)),
                crate::values::short(self.offset),
                self.adc_bits
                    .map_or(String::new(), |b| format!(", {b}-bit integers"))
            ),
            (true, false) => "detected electrons per pixel (counts)".into(),
            _ => "fraction of the incident beam reaching the detector".into(),
        }
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
        for (name, v) in [
            ("--probe-current", self.probe_current),
            ("--dwell", self.dwell),
        ] {
            if let Some(v) = v
                && !(v > 0.0 && v <= 1e6)
            {
                return Err(Error::invalid(
                    name,
                    format!(
                        "{}; give a value in 0-1e6 (pA, µs)",
                        crate::values::short(v)
                    ),
                ));
            }
        }
        if self.probe_current.is_some() != self.dwell.is_some()
            || (self.dose.is_some() && self.probe_current.is_some())
        {
            return Err(Error::invalid(
                "--probe-current",
                "give --dose, or --probe-current with --dwell, not both",
            ));
        }
        if self.reads_out() && !self.counts() {
            return Err(Error::invalid(
                "--gain/--offset/--dark-noise/--adc-bits",
                "a detector read-out needs counted electrons: give --dose or --probe-current with --dwell",
            ));
        }
        if let Some(g) = self.gain
            && !(g > 0.0 && g <= 1e6)
        {
            return Err(Error::invalid(
                "--gain",
                format!(
                    "{}; give ADC units per electron in 0-1e6",
                    crate::values::short(g)
                ),
            ));
        }
        if let Some(b) = self.adc_bits
            && !(8..=32).contains(&b)
        {
            return Err(Error::invalid("--adc-bits", format!("{b}; give 8-32 bits")));
        }
        if !(self.offset.is_finite() && self.offset.abs() <= 1e9) {
            return Err(Error::invalid(
                "--offset",
                format!(
                    "{}; give ADC units within ±1e9",
                    crate::values::short(self.offset)
                ),
            ));
        }
        // Distances (Å) beyond a micrometre move the scan off any field.
        let short = crate::values::short;
        for (name, v, max) in [
            ("--detector-noise", self.detector_noise, 1e12),
            ("--dark-noise", self.dark_noise, 1e9),
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
    let electrons = acq.electrons_per_pixel(pixel_area);
    let read_out = acq.reads_out();
    let gain = acq.gain.unwrap_or(1.0);
    let adc_top = acq.adc_bits.map(|b| 2f64.powi(b as i32) - 1.0);
    data.par_chunks_mut(nx).enumerate().for_each(|(iy, row)| {
        let mut rng = acq.rng(COUNTS + iy as u64);
        let gauss = Normal::new(0.0, 1.0).expect("unit normal");
        for v in row.iter_mut() {
            let signal = (*v as f64 + line_offsets[iy]).max(0.0);
            let mut value = match electrons {
                Some(per_pixel) => {
                    let lambda = per_pixel * signal;
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
            if read_out {
                value = value * gain + acq.offset;
                if acq.dark_noise > 0.0 {
                    value += gauss.sample(&mut rng) * acq.dark_noise;
                }
                if let Some(top) = adc_top {
                    value = value.round().clamp(0.0, top);
                }
            }
            *v = value as f32;
        }
    });
    Image { data, ..clean }
}

/// The per-line x shifts (Å) of line jitter.
fn line_shifts(acq: &Acquisition, ny: usize) -> Vec<f64> {
    let mut rng = acq.rng(LINES + 1);
    let normal = Normal::new(0.0, 1.0).expect("unit normal");
    (0..ny)
        .map(|_| normal.sample(&mut rng) * acq.line_jitter)
        .collect()
}

/// Where in the acquired image the specimen point (x, y) (Å) appears:
/// the pixel (ix, iy) whose distorted scan position (drift, flyback and
/// line jitter; [`distorted`]) lands on it. Probe jitter is per-pixel
/// noise and moves nothing on average. For distortions much smaller than
/// the field (drift of a few Å over tens of Å) the map is nearly the
/// identity and fixed-point iteration converges in a few steps (at most
/// 20 are taken).
pub struct ScanMap {
    frame: ImageFrame,
    drift: [f64; 2],
    flyback: f64,
    decay: f64,
    line_shift: Vec<f64>,
}

impl ScanMap {
    /// The scan of `acq` over `frame`.
    pub fn new(acq: &Acquisition, frame: &ImageFrame) -> ScanMap {
        ScanMap {
            frame: *frame,
            drift: acq.drift.0,
            flyback: acq.flyback,
            decay: (0.05 * frame.nx() as f64).max(1.0),
            line_shift: line_shifts(acq, frame.ny()),
        }
    }

    /// The (fractional) pixel at which (x, y) Å appears.
    pub fn apparent_pixel(&self, [x, y]: [f64; 2]) -> [f64; 2] {
        let f = &self.frame;
        let (nx, ny) = (f.nx() as f64, f.ny() as f64);
        let [mut ix, mut iy] = f.to_pixel([x, y]);
        for _ in 0..20 {
            let t = (iy * nx + ix) / (nx * ny);
            let line = (iy.round().max(0.0) as usize).min(self.line_shift.len().saturating_sub(1));
            let shift = self.line_shift.get(line).copied().unwrap_or(0.0);
            let new_iy = (y - f.origin[1] - self.drift[1] * t) / f.pixel[1];
            let new_ix = (x
                - f.origin[0]
                - self.drift[0] * t
                - shift
                - self.flyback * (-ix.max(0.0) / self.decay).exp())
                / f.pixel[0];
            let done = (new_ix - ix).abs() < 1e-6 && (new_iy - iy).abs() < 1e-6;
            (ix, iy) = (new_ix, new_iy);
            if done {
                break;
            }
        }
        [ix, iy]
    }
}

/// Sample the continuous image at the distorted scan positions.
fn distorted(fine: &FineImage, clean: &Image, acq: &Acquisition) -> Vec<f32> {
    let (nx, ny) = (clean.frame.nx(), clean.frame.ny());
    let line_shift = line_shifts(acq, ny);
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
