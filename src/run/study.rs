//! The study TOML: `[study]` (seed, DFT series), one table per stage
//! (`[sample]`, `[imaging]`, `[acquisition]`, `[detect]`, `[analyze]`: the
//! stage configs with their usual defaults), and one `[[catalyst]]` per
//! catalyst (name, DFT preset, site mix of its sample).

use serde::{Deserialize, Serialize};

use crate::config::{AcquisitionConfig, AnalyzeConfig, DetectConfig, ImagingConfig, SampleConfig};
use crate::error::{Error, Result};
use crate::model::sample::Mix;
use crate::model::{Preset, Reaction};

/// The embedded default study.
pub const DEFAULT_STUDY: &str = include_str!("../../examples/pei2024.toml");

/// Study-wide settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudySettings {
    /// Seed of every sample and noise draw: catalyst n uses seed + n for
    /// its sample and its acquisition.
    pub seed: u64,
    /// DFT free-energy series to write for the catalysts' presets; none by
    /// default.
    #[serde(default)]
    pub reactions: Vec<Reaction>,
}

/// One catalyst of the study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalyst {
    /// Display name, e.g. `L-Co1Mn1-NC`.
    pub name: String,
    /// The DFT model preset.
    pub preset: Preset,
    /// Site mix of its sample (the `--mix` grammar).
    pub mix: Mix,
}

/// A study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Study {
    /// Settings.
    pub study: StudySettings,
    /// The samples (their mix and seed come from each catalyst and the
    /// study seed).
    #[serde(default)]
    pub sample: SampleConfig,
    /// The microscope and scan.
    #[serde(default)]
    pub imaging: ImagingConfig,
    /// Dose and scan artefacts (the seed comes from the study seed).
    #[serde(default)]
    pub acquisition: AcquisitionConfig,
    /// Detection settings; the elements default to the two metals of a
    /// catalyst's mix.
    #[serde(default)]
    pub detect: DetectConfig,
    /// Pair statistics.
    #[serde(default)]
    pub analyze: AnalyzeConfig,
    /// The catalysts.
    pub catalyst: Vec<Catalyst>,
}

impl Study {
    /// Parse a study from TOML (`source` names it in errors).
    pub fn from_toml(text: &str, source: &str) -> Result<Study> {
        let bad = |message: String| Error::invalid("CONFIG", format!("{source}: {message}"));
        let table: toml::Table =
            toml::from_str(text).map_err(|e| bad(e.to_string().trim().replace('\n', " ")))?;
        // Seeds and mixes come from the study and its catalysts; a key that
        // would be ignored is refused.
        for (section, key) in [
            ("sample", "seed"),
            ("sample", "mix"),
            ("acquisition", "seed"),
        ] {
            if table
                .get(section)
                .and_then(|t| t.as_table())
                .is_some_and(|t| t.contains_key(key))
            {
                return Err(bad(format!(
                    "[{section}] {key}: a study takes it from {}",
                    if key == "mix" {
                        "each [[catalyst]] mix"
                    } else {
                        "[study] seed (catalyst n uses seed + n)"
                    }
                )));
            }
        }
        let s: Study = toml::from_str(text)
            .map_err(|e: toml::de::Error| bad(e.to_string().trim().replace('\n', " ")))?;
        if s.catalyst.is_empty() {
            return Err(bad("no [[catalyst]]".into()));
        }
        s.imaging.imaging()?;
        s.acquisition.validate()?;
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str =
        "[study]\nseed = 1\n[[catalyst]]\nname = \"x\"\npreset = \"co1-nc\"\nmix = \"co-n4:1\"\n";

    #[test]
    fn a_study_without_stage_tables_takes_the_command_defaults() {
        let s = Study::from_toml(MINIMAL, "t").unwrap();
        assert_eq!(s.sample, SampleConfig::default());
        assert_eq!(s.imaging, ImagingConfig::default());
        assert_eq!(s.acquisition, AcquisitionConfig::default());
        assert_eq!(s.detect, DetectConfig::default());
        assert_eq!(s.analyze, AnalyzeConfig::default());
    }

    #[test]
    fn ignored_or_unknown_keys_are_refused() {
        for (extra, want) in [
            (
                "[sample]\nseed = 4\n",
                "[sample] seed: a study takes it from [study] seed",
            ),
            (
                "[sample]\nmix = \"co-n4:1\"\n",
                "[sample] mix: a study takes it from each [[catalyst]] mix",
            ),
            ("[acquisition]\nseed = 4\n", "[acquisition] seed"),
            ("[imaging]\nalpha = 30\n", "unknown field `alpha`"),
            (
                "[imaging]\nmodel = \"lorentz\"\n",
                "unknown image model 'lorentz'; valid image models: phase-object, born, zn, zn:N (incoherent), multislice",
            ),
        ] {
            let e = Study::from_toml(&format!("{MINIMAL}{extra}"), "t")
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{extra}: {e}");
        }
    }
}
