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
pub use imaging::ImagingConfig;
pub use sample::SampleConfig;
