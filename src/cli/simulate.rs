//! `sacsim simulate`: a HAADF-STEM image of a structure or sample.

use std::path::PathBuf;

use anyhow::Result;

use sacsim::config::{AcquisitionConfig, ImagingConfig};
use sacsim::values::angstrom_to_nm;

/// Arguments of `sacsim simulate`: the [`ImagingConfig`] and
/// [`AcquisitionConfig`] flags, the structure and where to write.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A POSCAR, (extended) XYZ, or a `sacsim sample` / `build` directory.
    structure: PathBuf,
    /// Microscope and scan.
    #[command(flatten)]
    pub imaging: ImagingConfig,
    /// Dose, noise and scan artefacts.
    #[command(flatten)]
    pub acquisition: AcquisitionConfig,
    /// Output directory.
    #[arg(short, long, value_name = "DIR", default_value = "simulation")]
    output: PathBuf,
}

/// Run `sacsim simulate`.
pub fn run(args: Args) -> Result<()> {
    let imaging = args.imaging.imaging()?;
    args.acquisition.validate()?;
    let structure = sacsim::io::read_structure(&args.structure)?;
    let model = args.imaging.image_model(args.acquisition.seed)?;
    let sim = sacsim::stem::acquire_with(
        &*model,
        &structure,
        &imaging,
        &args.imaging.scan(),
        &args.acquisition,
    )?;
    let files = sacsim::output::simulate::write_simulation(
        &args.output,
        &args.structure,
        &structure,
        &sim,
        &args.imaging,
        &args.acquisition,
    )?;
    let f = &sim.image.frame;
    let xs: Vec<String> = sim
        .cross_sections
        .iter()
        .map(|(e, s)| format!("{e} {s:.3e}"))
        .collect();
    println!(
        "{} x {} px of {:.3} x {:.3} Å ({:.1} x {:.1} nm) from ({:.2}, {:.2}) Å, {} kV, {} mrad, detector {}-{} mrad; cross sections (Å²): {}",
        f.nx(),
        f.ny(),
        f.pixel[0],
        f.pixel[1],
        angstrom_to_nm(f.nx() as f64 * f.pixel[0]),
        angstrom_to_nm(f.ny() as f64 * f.pixel[1]),
        f.origin[0],
        f.origin[1],
        imaging.probe.kv,
        imaging.probe.convergence_mrad,
        imaging.detector.inner_mrad,
        imaging.detector.outer_mrad,
        xs.join(", ")
    );
    super::print_written(&args.output, &files);
    Ok(())
}
