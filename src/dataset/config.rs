//! The dataset configuration (TOML): `[run]` (seed, splits, labels), and
//! the stage tables `[sample]`, `[imaging]`, `[acquisition]` with every key
//! of `sacsim sample` / `simulate`, where any value may be a distribution
//! drawn per image ([`Ranged`]). Keys not given keep the built-in survey
//! recipe ([`SURVEY_RECIPE`]), then the command's default. Unknown keys
//! are errors.
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
//! image_format = "png8"       # png8 (robust 8-bit stretch), png16, tiff32f, npy
//!
//! [sample]
//! density_per_nm2 = [0.3, 1.2]
//! mix = ["l-comn:0.67,co-n4:0.17,mn-n4:0.16"]
//! placement = ["random", "clustered"]
//! support = "amorphous"
//! support_thickness_nm = [0.0, 5.0]   # below 0.05 nm: no support
//!
//! [imaging]
//! shape = [512, 512]
//! pixel_angstrom = [0.08, 0.12]
//! alpha_mrad = [25.0, 32.0]
//! defocus_angstrom = [-30.0, 30.0]
//! model = "phase-object"
//!
//! [acquisition]
//! dose_e_per_a2 = { log_uniform = [1e4, 1e6] }
//! drift_angstrom = [[-1.4, 1.4], [-1.4, 1.4]]
//! ```
//!
//! The dataset sets `size_nm` and `seed` of the sample, `window_angstrom`
//! of the imaging and `seed` of the acquisition itself, per image.

use serde::{Deserialize, Serialize};
use toml::Table;

use super::labels::LabelKind;
use super::ranged::Ranged;
use crate::config::{AcquisitionConfig, ImagingConfig, SampleConfig};
use crate::error::{Error, Result};
use crate::model::sample::Mix;
use crate::values::Dims;

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
    pub labels: Vec<LabelKind>,
    /// COCO/YOLO box edge (Å).
    pub box_angstrom: f64,
    /// Heatmap Gaussian sigma (pixels).
    pub heatmap_sigma_px: f64,
    /// Mask disc radius (Å).
    pub mask_radius_angstrom: f64,
    /// `element` or `element+site`.
    pub categories: String,
    /// How images are stored: png8, png16, tiff32f, npy.
    pub image_format: super::image_format::ImageFormat,
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
            labels: LabelKind::ALL.to_vec(),
            box_angstrom: 1.6,
            heatmap_sigma_px: 1.5,
            mask_radius_angstrom: 0.6,
            categories: "element".into(),
            image_format: Default::default(),
        }
    }
}

/// The built-in survey recipe: L-Co1Mn1-NC survey images, 512 x 512 px.
pub const SURVEY_RECIPE: &str = r#"
[sample]
density_per_nm2 = [0.3, 1.2]
placement = ["random"]
support = "amorphous"
support_thickness_nm = [0.0, 5.0]
n_doping_percent = [0.0, 3.0]

[imaging]
shape = [512, 512]
pixel_angstrom = [0.08, 0.12]
alpha_mrad = [25.0, 32.0]
defocus_angstrom = [-30.0, 30.0]
source_size_angstrom = [0.0, 0.6]

[acquisition]
dose_e_per_a2 = { log_uniform = [1e4, 1e6] }
gain = { log_uniform = [20.0, 200.0] }
offset = [0.0, 500.0]
dark_noise = [5.0, 30.0]
probe_jitter_angstrom = [0.0, 0.03]
drift_angstrom = [[-1.4, 1.4], [-1.4, 1.4]]
"#;

/// Keys each image sets itself.
const OWNED: [(&str, &[&str]); 3] = [
    ("sample", &["size_nm", "seed"]),
    ("imaging", &["window_angstrom"]),
    ("acquisition", &["seed"]),
];

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatasetConfig {
    /// Run-wide settings.
    pub run: RunConfig,
    /// What samples are drawn from.
    pub sample: Ranged<SampleConfig>,
    /// What imaging conditions are drawn from.
    pub imaging: Ranged<ImagingConfig>,
    /// What acquisitions are drawn from.
    pub acquisition: Ranged<AcquisitionConfig>,
}

/// The file as written, before the stage tables are checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    run: RunConfig,
    #[serde(default)]
    sample: Table,
    #[serde(default)]
    imaging: Table,
    #[serde(default)]
    acquisition: Table,
}

impl Default for DatasetConfig {
    fn default() -> DatasetConfig {
        DatasetConfig::from_toml("", "the built-in recipe").expect("the survey recipe is valid")
    }
}

impl DatasetConfig {
    /// Parse TOML text (`source` names it in errors).
    pub fn from_toml(text: &str, source: &str) -> Result<DatasetConfig> {
        let parse = |text: &str| -> Result<RawConfig> {
            toml::from_str(text).map_err(|e: toml::de::Error| {
                Error::invalid(
                    "--config",
                    format!("{source}: {}", e.to_string().trim().replace('\n', " ")),
                )
            })
        };
        let recipe = parse(SURVEY_RECIPE)?;
        let user = parse(text)?;
        let merged = |mut base: Table, over: Table| {
            base.extend(over);
            base
        };
        let owned = |section: &str| {
            OWNED
                .iter()
                .find(|o| o.0 == section)
                .map_or(&[][..], |o| o.1)
        };
        let c = DatasetConfig {
            run: user.run,
            sample: Ranged::new(
                "sample",
                merged(recipe.sample, user.sample),
                owned("sample"),
                |s: &SampleConfig| s.spec()?.validate(),
            )?,
            imaging: Ranged::new(
                "imaging",
                merged(recipe.imaging, user.imaging),
                owned("imaging"),
                |i: &ImagingConfig| i.imaging().and_then(|_| i.scan().validate()),
            )?,
            acquisition: Ranged::new(
                "acquisition",
                merged(recipe.acquisition, user.acquisition),
                owned("acquisition"),
                AcquisitionConfig::validate,
            )?,
        };
        c.validate()?;
        Ok(c)
    }

    /// Every mix the samples are drawn from.
    pub fn mixes(&self) -> Result<Vec<Mix>> {
        let texts = self.sample.choices("mix");
        if texts.is_empty() {
            return Ok(vec![SampleConfig::default().mix]);
        }
        texts.iter().map(|t| t.parse()).collect()
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
        if !["element", "element+site"].contains(&self.run.categories.as_str()) {
            return Err(Error::invalid(
                "--config",
                format!(
                    "run.categories = '{}'; valid: element, element+site",
                    self.run.categories
                ),
            ));
        }
        for (key, v) in [
            ("run.box_angstrom", self.run.box_angstrom),
            ("run.heatmap_sigma_px", self.run.heatmap_sigma_px),
            ("run.mask_radius_angstrom", self.run.mask_radius_angstrom),
        ] {
            if !(v > 0.0 && v.is_finite()) {
                return Err(Error::invalid(
                    "--config",
                    format!("{key} = {v}: give a positive number"),
                ));
            }
        }
        let shape = self.imaging.table().get("shape");
        let pixels = shape.and_then(|v| Dims::<usize>::deserialize(v.clone()).ok());
        match pixels {
            Some(Dims([x, y])) if (16..=8192).contains(&x) && (16..=8192).contains(&y) => {}
            _ => {
                return Err(Error::invalid(
                    "--config",
                    format!(
                        "imaging.shape {}: give [NX, NY] with 16-8192 pixels per side",
                        shape.map_or("missing".into(), |v| v.to_string())
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn keys_outside_the_recipe_keep_the_command_defaults() {
        let c = DatasetConfig::default();
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let imaging = c.imaging.draw(&mut rng).unwrap();
        let sample = c.sample.draw(&mut rng).unwrap();
        let acquisition = c.acquisition.draw(&mut rng).unwrap();
        let (di, ds, da) = (
            ImagingConfig::default(),
            SampleConfig::default(),
            AcquisitionConfig::default(),
        );
        // Not in the survey recipe: the command's defaults.
        assert_eq!(
            (imaging.kv, imaging.detector_mrad, imaging.model),
            (di.kv, di.detector_mrad, di.model)
        );
        assert_eq!(imaging.thermal_angstrom, di.thermal_angstrom);
        assert_eq!(
            (sample.mix.clone(), sample.pyridinic_fraction),
            (ds.mix, ds.pyridinic_fraction)
        );
        assert_eq!(
            sample.cluster_distance_angstrom,
            ds.cluster_distance_angstrom
        );
        assert_eq!(acquisition.line_offset, da.line_offset);
        // In the recipe: drawn inside its range.
        assert!((0.08..=0.12).contains(&imaging.pixel_angstrom));
        assert!((1e4..=1e6).contains(&acquisition.dose.unwrap()));
        // A user key overrides the recipe's, and any stage key is accepted.
        let c =
            DatasetConfig::from_toml("[imaging]\nmodel = \"born\"\nkv = [60, 80]\n", "t").unwrap();
        let i = c.imaging.draw(&mut rng).unwrap();
        assert_eq!(i.model.to_string(), "born");
        assert!((60.0..=80.0).contains(&i.kv));
    }
}
