//! One validated configuration per stage, each with its defaults defined
//! once, shared by the command line (the structs are the flags), the study
//! TOML (`sacsim run`) and the dataset TOML (where any number may also be
//! a range):
//!
//! | stage | type | TOML table | command |
//! |---|---|---|---|
//! | sample | [`SampleConfig`] | `[sample]` | `sacsim sample` |
//! | imaging | [`ImagingConfig`] | `[imaging]` | `sacsim simulate` |
//! | acquisition | [`AcquisitionConfig`] | `[acquisition]` | `sacsim simulate` |
//! | detection | [`DetectConfig`] | `[detect]` | `sacsim detect` |
//! | statistics | [`AnalyzeConfig`] | `[analyze]` | `sacsim analyze` |
//!
//! TOML keys are the field names (with their units: `alpha_mrad`,
//! `pixel_angstrom`); flags are the short names (`--alpha`, `--pixel`).
//! Unknown keys are refused with the list of valid ones.

mod imaging;
mod sample;

pub use crate::analysis::detect::DetectConfig;
pub use crate::analysis::pairstats::AnalyzeConfig;
pub use crate::stem::noise::Acquisition as AcquisitionConfig;
pub use imaging::{DepthMode, ImagingConfig, ModelChoice};
pub use sample::SampleConfig;

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use clap::{Args, Command, FromArgMatches};
    use serde::Serialize;

    use super::*;
    use crate::values::{Dims, Pair, Rect};

    /// The ids of a config's flags (clap ids are the TOML keys).
    fn flags<T: Args>() -> BTreeSet<String> {
        T::augment_args(Command::new("t"))
            .get_arguments()
            .map(|a| a.get_id().to_string())
            .collect()
    }

    /// The TOML keys of a config with every optional value set.
    fn keys<T: Serialize>(config: &T) -> BTreeSet<String> {
        match serde_json::to_value(config).unwrap() {
            serde_json::Value::Object(m) => m.keys().cloned().collect(),
            _ => panic!("a table"),
        }
    }

    /// The config the command line gives with no flags at all.
    fn parsed<T: Args + FromArgMatches>() -> T {
        let matches = T::augment_args(Command::new("t")).get_matches_from(["t"]);
        T::from_arg_matches(&matches).unwrap()
    }

    #[test]
    fn every_flag_of_every_stage_is_a_toml_key() {
        let imaging = ImagingConfig {
            shape: Some(Dims([4, 4])),
            window_angstrom: Some(Rect([0.0, 0.0, 1.0, 1.0])),
            ..ImagingConfig::default()
        };
        assert_eq!(flags::<ImagingConfig>(), keys(&imaging));
        let acquisition = AcquisitionConfig {
            dose: Some(1e5),
            ..AcquisitionConfig::default()
        };
        assert_eq!(flags::<AcquisitionConfig>(), keys(&acquisition));
        let sample = SampleConfig {
            min_separation_angstrom: Some(6.0),
            cluster_distance_angstrom: Some(8.0),
            ..SampleConfig::default()
        };
        assert_eq!(flags::<SampleConfig>(), keys(&sample));
        let detect = DetectConfig {
            smoothing: Some(0.4),
            elements: Some("Mn,Co".parse().unwrap()),
            ..DetectConfig::default()
        };
        assert_eq!(flags::<DetectConfig>(), keys(&detect));
        let analyze = AnalyzeConfig {
            group_cutoff_nm: Some(0.3),
            gr_max_nm: Some(1.0),
            ..AnalyzeConfig::default()
        };
        assert_eq!(flags::<AnalyzeConfig>(), keys(&analyze));
    }

    #[test]
    fn command_line_toml_and_default_agree() {
        assert_eq!(parsed::<ImagingConfig>(), ImagingConfig::default());
        assert_eq!(parsed::<AcquisitionConfig>(), AcquisitionConfig::default());
        assert_eq!(parsed::<SampleConfig>(), SampleConfig::default());
        assert_eq!(parsed::<DetectConfig>(), DetectConfig::default());
        assert_eq!(parsed::<AnalyzeConfig>(), AnalyzeConfig::default());
        assert_eq!(
            toml::from_str::<ImagingConfig>("").unwrap(),
            ImagingConfig::default()
        );
        assert_eq!(
            toml::from_str::<SampleConfig>("").unwrap(),
            SampleConfig::default()
        );
        // A TOML value is read by the flag's own grammar too.
        let c: ImagingConfig =
            toml::from_str("detector_mrad = \"70,190\"\nmodel = \"born\"").unwrap();
        assert_eq!(
            (c.detector_mrad, c.model.to_string()),
            (Pair([70.0, 190.0]), "born".into())
        );
        assert!(toml::from_str::<ImagingConfig>("alpha = 30").is_err());
    }
}
