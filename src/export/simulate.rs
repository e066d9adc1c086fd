//! `sacsim simulate` output: `image.npy` and `image.tiff` (float32, physical
//! units), `image.png` (16-bit, scaled; scale in `params.json`),
//! `clean.npy` when noise or distortions are on, the ground truth
//! `atoms.csv` (metals, or all atoms on request) and `params.json`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::Result;
use crate::io::raster::{PngScale, npy_f32, png16, tiff_f32};
use crate::stem::Simulation;
use crate::stem::incoherent::{Imaging, Plan, Scan};
use crate::stem::noise::Acquisition;
use crate::stem::truth::{truth_atoms, truth_csv};
use crate::structure::Structure;

use super::{listed, write_with_params};

#[derive(Serialize)]
struct Params<'a> {
    sacsim_version: &'static str,
    command: &'static str,
    input: String,
    imaging: &'a Imaging,
    scan: &'a Scan,
    acquisition: &'a Acquisition,
    grid: &'a Plan,
    image_shape_ny_nx: [usize; 2],
    pixel_angstrom: [f64; 2],
    origin_angstrom: [f64; 2],
    pixel_convention: &'static str,
    units: &'static str,
    cross_sections_a2: &'a BTreeMap<String, f64>,
    png_scale: PngScale,
    truth_atoms: usize,
    all_atoms_in_truth: bool,
    files: Vec<String>,
}

/// Write a simulation of `structure` (read from `input`) into `dir`.
#[allow(clippy::too_many_arguments)]
pub fn write_simulation(
    dir: &Path,
    input: &Path,
    structure: &Structure,
    sim: &Simulation,
    imaging: &Imaging,
    scan: &Scan,
    acquisition: &Acquisition,
    all_atoms: bool,
) -> Result<Vec<PathBuf>> {
    let img = &sim.image;
    let (png, png_scale) = png16(&img.data, img.nx, img.ny);
    let mut files: Vec<(String, Vec<u8>)> = vec![
        ("image.npy".into(), npy_f32(&img.data, img.nx, img.ny)),
        ("image.tiff".into(), tiff_f32(&img.data, img.nx, img.ny)),
        ("image.png".into(), png),
    ];
    if acquisition.is_noisy() {
        files.push(("clean.npy".into(), npy_f32(&sim.clean.data, img.nx, img.ny)));
    }
    let truth = truth_atoms(structure, &sim.clean, all_atoms);
    files.push(("atoms.csv".into(), truth_csv(&truth).into_bytes()));
    let params = Params {
        sacsim_version: env!("CARGO_PKG_VERSION"),
        command: "simulate",
        input: input.display().to_string(),
        imaging,
        scan,
        acquisition,
        grid: &sim.plan,
        image_shape_ny_nx: [img.ny, img.nx],
        pixel_angstrom: img.pixel,
        origin_angstrom: img.origin,
        pixel_convention: "array[iy][ix] samples the image at (x0 + ix*px, y0 + iy*py) Å; atoms.csv x_px = (x - x0)/px",
        units: if acquisition.dose.is_some() {
            "detected electrons per pixel (counts)"
        } else {
            "fraction of the incident beam reaching the detector"
        },
        cross_sections_a2: &sim.cross_sections,
        png_scale,
        truth_atoms: truth.len(),
        all_atoms_in_truth: all_atoms,
        files: listed(&files),
    };
    write_with_params(dir, files, &params)
}
