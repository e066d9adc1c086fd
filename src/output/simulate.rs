//! `sacsim simulate` output: `image.npy` and `image.tiff` (float32, physical
//! units; unsigned integers of the ADC's width with `--adc-bits`), `image.png` (16-bit, scaled; scale in `params.json`),
//! `clean.npy` when noise or distortions are on, the ground truth
//! `atoms.csv` (metals, or all atoms on request) and `params.json`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::ImagingConfig;
use crate::error::Result;
use crate::io::raster::{PngScale, npy_as, npy_f32, png16};
use crate::io::tiff::SampleType;
use crate::stem::Simulation;
use crate::stem::noise::Acquisition;
use crate::stem::truth::{truth_atoms, truth_csv};
use crate::structure::ImageFrame;
use crate::structure::Structure;

use super::{Provenance, listed, write_with_params};

/// The pixel convention written into every image directory.
pub const PIXEL_CONVENTION: &str = "array[iy][ix] samples the image at (x0 + ix*px, y0 + iy*py) Å (before scan distortions); atoms.csv x_A,y_A are the specimen's positions and x_px,y_px where each atom shows in the image (= (x - x0)/px without drift, flyback or line jitter)";

/// `params.json` of an image directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimulateParams {
    /// Version and command.
    #[serde(flatten)]
    pub provenance: Provenance,
    /// The structure file or directory imaged.
    pub input: String,
    /// The imaging settings as given.
    pub imaging: ImagingConfig,
    /// Dose, noise and scan artefacts.
    pub acquisition: Acquisition,
    /// The dose in effect (e/Å²): the given one, or probe current x dwell
    /// over the pixel area.
    pub dose_in_effect_e_per_a2: Option<f64>,
    /// The optics as used (aberrations in Å, angles in rad).
    pub optics: serde_json::Value,
    /// The computation grids.
    pub grid: serde_json::Value,
    /// Where the pixels lie.
    #[serde(flatten)]
    pub frame: ImageFrame,
    /// How pixels map to positions.
    pub pixel_convention: String,
    /// What the values are.
    pub units: String,
    /// Cross section of each element (Å²).
    pub cross_sections_a2: BTreeMap<String, f64>,
    /// How `image.png` maps back to values.
    pub png_scale: PngScale,
    /// Atoms in `atoms.csv`.
    pub truth_atoms: usize,
    /// Files written.
    pub files: Vec<String>,
}

/// The ground truth of atoms.csv: every metal (every atom with
/// `all_atoms`) in the field, at the pixel where it shows in the acquired
/// image (scan distortions included); x_A, y_A stay the specimen's
/// positions.
pub fn imaged_truth(
    structure: &Structure,
    sim: &Simulation,
    config: &ImagingConfig,
    acquisition: &Acquisition,
) -> Vec<crate::stem::truth::TruthAtom> {
    let frame = &sim.image.frame;
    let mut truth = truth_atoms(structure, frame, config.all_atoms);
    crate::stem::truth::as_scanned(
        &mut truth,
        &crate::stem::noise::ScanMap::new(acquisition, frame),
        frame,
    );
    truth
}

/// Write a simulation of `structure` (read from `input`) into `dir`.
pub fn write_simulation(
    dir: &Path,
    input: &Path,
    structure: &Structure,
    sim: &Simulation,
    config: &ImagingConfig,
    acquisition: &Acquisition,
) -> Result<Vec<PathBuf>> {
    let img = &sim.image;
    let [nx, ny] = img.frame.shape;
    let (png, png_scale) = png16(&img.data, nx, ny);
    // With an ADC the values are integers: stored as a microscope does.
    let ty = acquisition
        .adc_bits
        .map_or(SampleType::F32, SampleType::for_adc_bits);
    let mut files: Vec<(String, Vec<u8>)> = vec![
        ("image.npy".into(), npy_as(&img.data, nx, ny, ty)),
        (
            "image.tiff".into(),
            crate::io::tiff::write(&img.data, nx, ny, img.frame.pixel, img.frame.origin, ty),
        ),
        ("image.png".into(), png),
    ];
    if acquisition.is_noisy() {
        files.push(("clean.npy".into(), npy_f32(&sim.clean.data, nx, ny)));
    }
    let truth = imaged_truth(structure, sim, config, acquisition);
    files.push(("atoms.csv".into(), truth_csv(&truth).into_bytes()));
    let params = SimulateParams {
        provenance: Provenance::of("simulate"),
        input: input.display().to_string(),
        imaging: config.clone(),
        acquisition: *acquisition,
        dose_in_effect_e_per_a2: acquisition.dose_for(img.frame.pixel[0] * img.frame.pixel[1]),
        optics: serde_json::to_value(&sim.imaging).expect("serialise"),
        grid: serde_json::to_value(sim.plan).expect("serialise"),
        frame: img.frame,
        pixel_convention: PIXEL_CONVENTION.into(),
        units: acquisition.units(),
        cross_sections_a2: sim.cross_sections.clone(),
        png_scale,
        truth_atoms: truth.len(),
        files: listed(&files),
    };
    write_with_params(dir, files, &params)
}
