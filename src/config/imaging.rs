//! [`ImagingConfig`]: the microscope and the scan, as users give them
//! (kV, mrad, Å, µm, mm, degrees), with the defaults of `sacsim simulate`.
//! The same struct is the `[imaging]` table of the study and dataset TOML
//! and the flags of `sacsim simulate`; [`ImagingConfig::imaging`] and
//! [`ImagingConfig::scan`] turn it into the validated physics types.

use serde::{Deserialize, Serialize};

use std::path::Path;

use crate::error::{Error, Result};
use crate::stem::ImageModel;
use crate::stem::incoherent::{Imaging, Scan};
use crate::stem::multislice::{DEFAULT_SLICE_THICKNESS, Multislice, Projection};
use crate::stem::optics::Aberrations;
use crate::stem::parametrization::Parametrization;
use crate::stem::probe::Probe;
use crate::stem::scattering::{CrossSectionModel, Detector};
use crate::stem::thermal::ThermalRms;
use crate::structure::Structure;
use crate::values::{Dims, Pair, Rect};

/// µm → Å.
const ANGSTROM_PER_UM: f64 = 1e4;
/// mm → Å.
const ANGSTROM_PER_MM: f64 = 1e7;

/// Probe, detector, cross sections and scan of a HAADF image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, clap::Args)]
#[serde(deny_unknown_fields, default)]
pub struct ImagingConfig {
    /// Accelerating voltage (kV).
    #[arg(long = "kv", value_name = "KV", default_value_t = ImagingConfig::default().kv)]
    pub kv: f64,
    /// Probe convergence semi-angle (mrad).
    #[arg(long = "alpha", value_name = "MRAD", default_value_t = ImagingConfig::default().alpha_mrad)]
    pub alpha_mrad: f64,
    /// Detector inner,outer semi-angles (mrad).
    #[arg(long = "detector", value_name = "IN,OUT", default_value_t = ImagingConfig::default().detector_mrad)]
    pub detector_mrad: Pair<f64>,
    /// Pixel size (Å); the field is split into whole pixels.
    #[arg(long = "pixel", value_name = "Å", default_value_t = ImagingConfig::default().pixel_angstrom)]
    pub pixel_angstrom: f64,
    /// Image size in pixels NXxNY (overrides the pixel size).
    #[arg(long = "shape", value_name = "NXxNY")]
    pub shape: Option<Dims<usize>>,
    /// Field x0,y0,width,height (Å) [default: the structure's cell].
    #[arg(long = "window", value_name = "X0,Y0,W,H", allow_hyphen_values = true)]
    pub window_angstrom: Option<Rect<f64>>,
    /// Defocus (Å) = −C1 = −abTEM C10; positive is underfocus.
    #[arg(long = "defocus", value_name = "Å", allow_hyphen_values = true, default_value_t = ImagingConfig::default().defocus_angstrom)]
    pub defocus_angstrom: f64,
    /// Spherical aberration C3 (µm).
    #[arg(long = "cs", value_name = "µM", allow_hyphen_values = true, default_value_t = ImagingConfig::default().cs_um)]
    pub cs_um: f64,
    /// Fifth-order spherical aberration C5 (mm).
    #[arg(long = "c5", value_name = "MM", allow_hyphen_values = true, default_value_t = ImagingConfig::default().c5_mm)]
    pub c5_mm: f64,
    /// Two-fold astigmatism A1 (Å).
    #[arg(long = "astigmatism", value_name = "Å", default_value_t = ImagingConfig::default().astigmatism_angstrom)]
    pub astigmatism_angstrom: f64,
    /// Azimuth of the astigmatism (degrees).
    #[arg(long = "astigmatism-angle", value_name = "DEG", allow_hyphen_values = true, default_value_t = ImagingConfig::default().astigmatism_angle_deg)]
    pub astigmatism_angle_deg: f64,
    /// Focal spread, 1 σ (Å).
    #[arg(long = "focal-spread", value_name = "Å", default_value_t = ImagingConfig::default().focal_spread_angstrom)]
    pub focal_spread_angstrom: f64,
    /// Effective source size, FWHM (Å).
    #[arg(long = "source-size", value_name = "Å", default_value_t = ImagingConfig::default().source_size_angstrom)]
    pub source_size_angstrom: f64,
    /// Thermal rms displacement per axis (Å): one value, or per element
    /// (`0.08,Co=0.06,Mn=0.06`: elements not listed take the plain value).
    #[arg(long = "thermal", value_name = "Å[,EL=Å...]", default_value_t = ImagingConfig::default().thermal_angstrom)]
    pub thermal_angstrom: ThermalRms,
    /// Image model: the incoherent model with its cross sections
    /// (phase-object, born, or zn[:N], Z^N with N = 1.7), or multislice.
    #[arg(long = "model", value_name = "MODEL", default_value_t = ImagingConfig::default().model)]
    pub model: ModelChoice,
    /// Multislice: slice thickness (Å).
    #[arg(long = "slice-thickness", value_name = "Å", default_value_t = ImagingConfig::default().slice_thickness_angstrom)]
    pub slice_thickness_angstrom: f64,
    /// Multislice: frozen-phonon configurations (0: static lattice); the
    /// displacements have the --thermal rms per axis (per element).
    #[arg(long = "frozen-phonons", value_name = "N", default_value_t = ImagingConfig::default().frozen_phonons)]
    pub frozen_phonons: usize,
    /// Multislice: average over the frames of the structure file (a
    /// multi-frame extended XYZ, e.g. an MD trajectory) as the
    /// frozen-phonon configurations, like abTEM's MDFrozenPhonons; the
    /// frames' displacements replace --thermal draws.
    #[arg(long = "phonon-frames")]
    pub phonon_frames: bool,
    /// Multislice: potential grid spacing (Å) [default: anti-aliasing
    /// cutoff 25 % beyond the detector's outer angle].
    #[arg(long = "potential-sampling", value_name = "Å")]
    pub potential_sampling_angstrom: Option<f64>,
    /// Multislice: probe window width (Å) [default: twice the Airy 99 %
    /// radius plus the defocus blur; the whole cell when nearly as large].
    #[arg(long = "probe-window", value_name = "Å")]
    pub probe_window_angstrom: Option<f64>,
    /// Multislice: how each atom's potential is divided among the slices:
    /// infinite (whole into the slice holding its centre, abTEM's default)
    /// or finite (integrated between the faces of every slice it reaches).
    #[arg(long = "projection", value_name = "infinite|finite", default_value_t = ImagingConfig::default().projection)]
    pub projection: Projection,
    /// Multislice: scattering factors, kirkland or lobato.
    #[arg(long = "parametrization", value_name = "NAME", default_value_t = ImagingConfig::default().parametrization)]
    pub parametrization: Parametrization,
    /// Accept a detector reaching into the bright field.
    #[arg(long = "bright-field")]
    pub bright_field: bool,
    /// Ground truth of all atoms, not only the metals.
    #[arg(long = "all-atoms")]
    pub all_atoms: bool,
    /// Depth-resolved focus: on (each 2 Å layer imaged at its own defocus)
    /// or off (every atom as if in the focal plane).
    #[arg(long = "depth", value_name = "on|off", default_value_t = ImagingConfig::default().depth)]
    pub depth: DepthMode,
    /// Focal plane height (Å, the structure's z) [default: the entrance
    /// surface, the largest z; the beam travels towards −z].
    #[arg(long = "focus", value_name = "Å", allow_hyphen_values = true)]
    pub focus_angstrom: Option<f64>,
}

/// How the image is computed: `phase-object`, `born`, `zn[:N]` (the
/// incoherent model and its cross sections) or `multislice`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ModelChoice {
    /// The incoherent model with these cross sections.
    Incoherent(CrossSectionModel),
    /// The multislice engine.
    Multislice,
}

impl std::str::FromStr for ModelChoice {
    type Err = crate::error::Error;
    fn from_str(s: &str) -> Result<ModelChoice> {
        if s.trim().eq_ignore_ascii_case("multislice") {
            return Ok(ModelChoice::Multislice);
        }
        s.parse()
            .map(ModelChoice::Incoherent)
            .map_err(|_| crate::error::Error::UnknownName {
                kind: "image model",
                name: s.to_string(),
                valid: "phase-object, born, zn, zn:N (incoherent), multislice".into(),
            })
    }
}

impl std::fmt::Display for ModelChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ModelChoice::Incoherent(m) => m.fmt(f),
            ModelChoice::Multislice => f.write_str("multislice"),
        }
    }
}

crate::values::serde_as_text!(ModelChoice);

/// Whether atoms are imaged at the defocus of their depth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DepthMode {
    /// Each layer of at most 2 Å at its own defocus (the default).
    On,
    /// Every atom in the focal plane (exact when all atoms share a plane).
    Off,
}

impl std::fmt::Display for DepthMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DepthMode::On => "on",
            DepthMode::Off => "off",
        })
    }
}

impl std::str::FromStr for DepthMode {
    type Err = crate::error::Error;
    fn from_str(s: &str) -> Result<DepthMode> {
        match s.trim() {
            "on" => Ok(DepthMode::On),
            "off" => Ok(DepthMode::Off),
            other => Err(crate::error::Error::invalid(
                "--depth",
                format!("'{other}'; give on or off"),
            )),
        }
    }
}

impl Default for ImagingConfig {
    /// 80 kV, 30 mrad, 80-200 mrad, 0.1 Å pixels, no aberrations,
    /// phase-object cross sections, 0.08 Å thermal rms.
    fn default() -> ImagingConfig {
        ImagingConfig {
            kv: 80.0,
            alpha_mrad: 30.0,
            detector_mrad: Pair([80.0, 200.0]),
            pixel_angstrom: 0.1,
            shape: None,
            window_angstrom: None,
            defocus_angstrom: 0.0,
            cs_um: 0.0,
            c5_mm: 0.0,
            astigmatism_angstrom: 0.0,
            astigmatism_angle_deg: 0.0,
            focal_spread_angstrom: 0.0,
            source_size_angstrom: 0.0,
            thermal_angstrom: ThermalRms::default(),
            model: ModelChoice::Incoherent(CrossSectionModel::PhaseObject),
            slice_thickness_angstrom: DEFAULT_SLICE_THICKNESS,
            frozen_phonons: 0,
            phonon_frames: false,
            potential_sampling_angstrom: None,
            probe_window_angstrom: None,
            parametrization: Parametrization::Kirkland,
            projection: Projection::Infinite,
            bright_field: false,
            all_atoms: false,
            depth: DepthMode::On,
            focus_angstrom: None,
        }
    }
}

impl ImagingConfig {
    /// The validated optics, detector and cross-section model.
    pub fn imaging(&self) -> Result<Imaging> {
        let imaging = Imaging {
            probe: Probe {
                kv: self.kv,
                convergence_mrad: self.alpha_mrad,
                aberrations: Aberrations {
                    c1: -self.defocus_angstrom,
                    c3: self.cs_um * ANGSTROM_PER_UM,
                    c5: self.c5_mm * ANGSTROM_PER_MM,
                    a1: self.astigmatism_angstrom,
                    a1_angle: self.astigmatism_angle_deg.to_radians(),
                },
                focal_spread: self.focal_spread_angstrom,
                source_fwhm: self.source_size_angstrom,
            },
            detector: Detector {
                inner_mrad: self.detector_mrad.0[0],
                outer_mrad: self.detector_mrad.0[1],
            },
            model: match self.model {
                ModelChoice::Incoherent(m) => m,
                ModelChoice::Multislice => CrossSectionModel::PhaseObject,
            },
            thermal_rms: self.thermal_angstrom.clone(),
            allow_bright_field: self.bright_field,
            depth_resolved: self.depth == DepthMode::On,
            focus: self.focus_angstrom,
        };
        imaging.validate()?;
        Ok(imaging)
    }

    /// The image model: incoherent, or multislice with these settings
    /// (`seed` drives the frozen phonons). Validated.
    pub fn image_model(&self, seed: u64) -> Result<Box<dyn ImageModel>> {
        if self.phonon_frames {
            return Err(Error::invalid(
                "phonon_frames",
                "averages over the frames of one structure file: give it to `sacsim simulate STRUCTURE --model multislice --phonon-frames`",
            ));
        }
        Ok(match self.model {
            ModelChoice::Incoherent(_) => Box::new(crate::stem::Incoherent),
            ModelChoice::Multislice => Box::new(self.multislice(seed)?),
        })
    }

    /// The image model for `structure`, read from `input`: as
    /// [`ImagingConfig::image_model`], and with `--phonon-frames` the
    /// multislice averaging over every frame of `input`.
    pub fn image_model_for(
        &self,
        seed: u64,
        input: &Path,
        structure: &Structure,
    ) -> Result<Box<dyn ImageModel>> {
        if !self.phonon_frames {
            return self.image_model(seed);
        }
        Ok(Box::new(self.multislice_for(seed, input, structure)?))
    }

    /// [`ImagingConfig::multislice`] for `structure`, read from `input`,
    /// with the frames of `input` when `--phonon-frames` is given.
    pub fn multislice_for(
        &self,
        seed: u64,
        input: &Path,
        structure: &Structure,
    ) -> Result<Multislice> {
        let ms = self.multislice(seed)?;
        if !self.phonon_frames {
            return Ok(ms);
        }
        if self.model != ModelChoice::Multislice {
            return Err(Error::invalid(
                "--phonon-frames",
                "averages multislice images over frozen-phonon frames; add --model multislice (the incoherent model smears each atom by --thermal analytically)",
            ));
        }
        ms.with_frames(structure, &crate::io::read_frames(input)?)
    }

    /// The multislice settings of these flags, whatever `--model` says
    /// (`seed` drives the frozen phonons). Validated.
    pub fn multislice(&self, seed: u64) -> Result<Multislice> {
        let ms = Multislice {
            slice_thickness: self.slice_thickness_angstrom,
            frozen_phonons: self.frozen_phonons,
            seed,
            sampling: self.potential_sampling_angstrom,
            probe_window: self.probe_window_angstrom,
            parametrization: self.parametrization,
            projection: self.projection,
            potential_oversample: None,
            progress: true,
            frames: None,
        };
        ms.validate(&self.imaging()?)?;
        Ok(ms)
    }

    /// The scan: pixel size, optional shape and window.
    pub fn scan(&self) -> Scan {
        Scan {
            pixel: self.pixel_angstrom,
            shape: self.shape.map(|d| d.0),
            window: self.window_angstrom.map(|r| r.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_convert_to_the_physics_types() {
        let c = ImagingConfig {
            defocus_angstrom: 30.0,
            cs_um: 2.0,
            c5_mm: 1.5,
            astigmatism_angle_deg: 90.0,
            ..ImagingConfig::default()
        };
        let i = c.imaging().unwrap();
        let ab = i.probe.aberrations;
        assert_eq!((ab.c1, ab.c3, ab.c5), (-30.0, 2e4, 1.5e7));
        assert!((ab.a1_angle - std::f64::consts::FRAC_PI_2).abs() < 1e-15);
        assert_eq!(
            ImagingConfig::default().imaging().unwrap(),
            Imaging::default_80kv()
        );
        let bad = ImagingConfig {
            detector_mrad: Pair([10.0, 200.0]),
            ..ImagingConfig::default()
        };
        assert!(
            bad.imaging()
                .unwrap_err()
                .to_string()
                .contains("--detector")
        );
    }
}
