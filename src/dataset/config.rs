//! The dataset configuration (TOML). Every numeric parameter is a fixed
//! value or a `[min, max]` range drawn uniformly per image; string
//! parameters are lists to choose from. Unknown keys are errors.
//!
//! ```toml
//! [run]
//! seed = 1
//! splits = { train = 0.8, val = 0.1, test = 0.1 }
//! labels = ["coco", "yolo", "heatmap", "mask", "csv"]
//! box_angstrom = 1.6          # COCO/YOLO box edge around each metal atom
//! heatmap_sigma_px = 1.5
//! mask_radius_angstrom = 0.6
//! categories = "element"      # or "element+site" (single / pair)
//!
//! [sample]
//! density = [0.3, 1.2]        # sites per nm²
//! mix = ["l-comn:0.67,co-n4:0.17,mn-n4:0.16"]
//! placement = ["random"]      # or "clustered"
//! cluster_fraction = 0.5
//! support_thickness_nm = [0.0, 5.0]
//! n_doping_percent = [0.0, 3.0]
//!
//! [imaging]
//! shape = [512, 512]
//! pixel_angstrom = [0.08, 0.12]
//! kv = 80.0
//! alpha_mrad = [25.0, 32.0]
//! detector_mrad = [80.0, 200.0]   # inner, outer (fixed)
//! defocus_angstrom = [-30.0, 30.0]
//! source_fwhm_angstrom = [0.0, 0.6]
//! thermal_angstrom = 0.08
//! dose_log10 = [4.0, 6.0]         # e/Å², drawn log-uniformly
//! probe_jitter_angstrom = [0.0, 0.03]
//! drift_angstrom = [0.0, 2.0]
//! ```

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A fixed number or a uniform range [min, max].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Num {
    /// Always this value.
    Fixed(f64),
    /// Uniform in [min, max].
    Range([f64; 2]),
}

impl Num {
    /// Draw a value.
    pub fn draw(&self, rng: &mut ChaCha8Rng) -> f64 {
        match *self {
            Num::Fixed(v) => v,
            Num::Range([a, b]) => a + rng.random::<f64>() * (b - a),
        }
    }

    fn check(&self, key: &str) -> Result<()> {
        match *self {
            Num::Fixed(v) if v.is_finite() => Ok(()),
            Num::Range([a, b]) if a.is_finite() && b.is_finite() && a <= b => Ok(()),
            Num::Range([a, b]) => Err(Error::invalid(
                "--config",
                format!("{key} = [{a}, {b}]: a range needs min <= max"),
            )),
            Num::Fixed(v) => Err(Error::invalid(
                "--config",
                format!("{key} = {v}: not a finite number"),
            )),
        }
    }
}

/// Split fractions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Splits {
    /// Training share.
    pub train: f64,
    /// Validation share.
    pub val: f64,
    /// Test share.
    pub test: f64,
}

/// Run-wide settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunConfig {
    /// Run seed: image k depends only on (seed, k).
    pub seed: u64,
    /// Split fractions (sum to 1).
    pub splits: Splits,
    /// Label kinds: coco, yolo, heatmap, mask, csv.
    pub labels: Vec<String>,
    /// COCO/YOLO box edge (Å).
    pub box_angstrom: f64,
    /// Heatmap Gaussian sigma (pixels).
    pub heatmap_sigma_px: f64,
    /// Mask disc radius (Å).
    pub mask_radius_angstrom: f64,
    /// `element` or `element+site`.
    pub categories: String,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            seed: 1,
            splits: Splits {
                train: 0.8,
                val: 0.1,
                test: 0.1,
            },
            labels: ["coco", "yolo", "heatmap", "mask", "csv"]
                .map(String::from)
                .to_vec(),
            box_angstrom: 1.6,
            heatmap_sigma_px: 1.5,
            mask_radius_angstrom: 0.6,
            categories: "element".into(),
        }
    }
}

/// What samples are drawn from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SampleRanges {
    /// Sites per nm².
    pub density: Num,
    /// Mixes to choose from (the `--mix` grammar).
    pub mix: Vec<String>,
    /// Placements to choose from: random, clustered.
    pub placement: Vec<String>,
    /// Clustered: share of paired sites.
    pub cluster_fraction: Num,
    /// Amorphous support thickness (nm); 0 = none.
    pub support_thickness_nm: Num,
    /// N doping (at.%).
    pub n_doping_percent: Num,
}

impl Default for SampleRanges {
    fn default() -> Self {
        SampleRanges {
            density: Num::Range([0.3, 1.2]),
            mix: vec![crate::model::sample::DEFAULT_MIX.to_string()],
            placement: vec!["random".into()],
            cluster_fraction: Num::Fixed(0.5),
            support_thickness_nm: Num::Range([0.0, 5.0]),
            n_doping_percent: Num::Range([0.0, 3.0]),
        }
    }
}

/// What imaging conditions are drawn from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImagingRanges {
    /// Image size in pixels (x, y).
    pub shape: [usize; 2],
    /// Pixel size (Å).
    pub pixel_angstrom: Num,
    /// Voltage (kV).
    pub kv: Num,
    /// Convergence semi-angle (mrad).
    pub alpha_mrad: Num,
    /// Detector inner, outer (mrad).
    pub detector_mrad: [f64; 2],
    /// Defocus (Å, positive underfocus).
    pub defocus_angstrom: Num,
    /// Source FWHM (Å).
    pub source_fwhm_angstrom: Num,
    /// Thermal rms (Å).
    pub thermal_angstrom: Num,
    /// log10 of the dose (e/Å²).
    pub dose_log10: Num,
    /// Probe jitter rms (Å).
    pub probe_jitter_angstrom: Num,
    /// Drift over the frame (Å), random direction.
    pub drift_angstrom: Num,
}

impl Default for ImagingRanges {
    fn default() -> Self {
        ImagingRanges {
            shape: [512, 512],
            pixel_angstrom: Num::Range([0.08, 0.12]),
            kv: Num::Fixed(80.0),
            alpha_mrad: Num::Range([25.0, 32.0]),
            detector_mrad: [80.0, 200.0],
            defocus_angstrom: Num::Range([-30.0, 30.0]),
            source_fwhm_angstrom: Num::Range([0.0, 0.6]),
            thermal_angstrom: Num::Fixed(0.08),
            dose_log10: Num::Range([4.0, 6.0]),
            probe_jitter_angstrom: Num::Range([0.0, 0.03]),
            drift_angstrom: Num::Range([0.0, 2.0]),
        }
    }
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct DatasetConfig {
    /// Run-wide settings.
    pub run: RunConfig,
    /// Sample ranges.
    pub sample: SampleRanges,
    /// Imaging ranges.
    pub imaging: ImagingRanges,
}

/// Valid label kinds.
pub const LABELS: [&str; 5] = ["coco", "yolo", "heatmap", "mask", "csv"];

impl DatasetConfig {
    /// Parse TOML text (`source` names it in errors).
    pub fn from_toml(text: &str, source: &str) -> Result<DatasetConfig> {
        let c: DatasetConfig = toml::from_str(text).map_err(|e| {
            Error::invalid(
                "--config",
                format!("{source}: {}", e.to_string().trim().replace('\n', " ")),
            )
        })?;
        c.validate()?;
        Ok(c)
    }

    /// Check ranges, names and fractions.
    pub fn validate(&self) -> Result<()> {
        let s = &self.run.splits;
        if [s.train, s.val, s.test]
            .iter()
            .any(|f| !(0.0..=1.0).contains(f))
            || ((s.train + s.val + s.test) - 1.0).abs() > 1e-6
        {
            return Err(Error::invalid(
                "--config",
                format!(
                    "run.splits {}/{}/{}: fractions in 0-1 summing to 1",
                    s.train, s.val, s.test
                ),
            ));
        }
        for l in &self.run.labels {
            if !LABELS.contains(&l.as_str()) {
                return Err(Error::invalid(
                    "--config",
                    format!(
                        "run.labels: unknown label '{l}'; valid: {}",
                        LABELS.join(", ")
                    ),
                ));
            }
        }
        if !["element", "element+site"].contains(&self.run.categories.as_str()) {
            return Err(Error::invalid(
                "--config",
                format!(
                    "run.categories = '{}'; valid: element, element+site",
                    self.run.categories
                ),
            ));
        }
        if self.sample.mix.is_empty() || self.sample.placement.is_empty() {
            return Err(Error::invalid(
                "--config",
                "sample.mix and sample.placement need at least one entry",
            ));
        }
        for m in &self.sample.mix {
            crate::model::sample::parse_mix(m)?;
        }
        for p in &self.sample.placement {
            if p != "random" && p != "clustered" {
                return Err(Error::invalid(
                    "--config",
                    format!("sample.placement: '{p}'; valid: random, clustered"),
                ));
            }
        }
        let i = &self.imaging;
        if i.shape[0] < 16 || i.shape[1] < 16 || i.shape[0] > 8192 || i.shape[1] > 8192 {
            return Err(Error::invalid(
                "--config",
                format!("imaging.shape {:?}: 16-8192 pixels per side", i.shape),
            ));
        }
        for (k, n) in [
            ("sample.density", &self.sample.density),
            ("sample.cluster_fraction", &self.sample.cluster_fraction),
            (
                "sample.support_thickness_nm",
                &self.sample.support_thickness_nm,
            ),
            ("sample.n_doping_percent", &self.sample.n_doping_percent),
            ("imaging.pixel_angstrom", &i.pixel_angstrom),
            ("imaging.kv", &i.kv),
            ("imaging.alpha_mrad", &i.alpha_mrad),
            ("imaging.defocus_angstrom", &i.defocus_angstrom),
            ("imaging.source_fwhm_angstrom", &i.source_fwhm_angstrom),
            ("imaging.thermal_angstrom", &i.thermal_angstrom),
            ("imaging.dose_log10", &i.dose_log10),
            ("imaging.probe_jitter_angstrom", &i.probe_jitter_angstrom),
            ("imaging.drift_angstrom", &i.drift_angstrom),
        ] {
            n.check(k)?;
        }
        Ok(())
    }
}
