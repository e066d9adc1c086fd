//! `sacsim simulate`: a HAADF-STEM image of a structure or sample.

use std::path::PathBuf;

use anyhow::Result;

use sacsim::config::{AcquisitionConfig, ImagingConfig};
use sacsim::values::{Shard, angstrom_to_nm};

/// Arguments of `sacsim simulate`: the [`ImagingConfig`] and
/// [`AcquisitionConfig`] flags, the structure and where to write.
#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Args {
    #[command(subcommand)]
    action: Option<Action>,
    /// A POSCAR, (extended) XYZ, CIF, or a `sacsim sample` / `build`
    /// directory.
    #[arg(required = true)]
    structure: Option<PathBuf>,
    /// Microscope and scan.
    #[command(flatten)]
    pub imaging: ImagingConfig,
    /// Dose, noise and scan artefacts.
    #[command(flatten)]
    pub acquisition: AcquisitionConfig,
    /// Multislice only: compute shard I of N of the scan (a contiguous
    /// block of probe positions) into DIR; `sacsim simulate merge` joins
    /// the N shard directories into the unsharded run's files.
    #[arg(long, value_name = "I/N")]
    shard: Option<Shard>,
    /// Output directory.
    #[arg(short, long, value_name = "DIR", default_value = "simulation")]
    output: PathBuf,
}

#[derive(clap::Subcommand, Debug)]
enum Action {
    /// Join the shard directories of a `--shard I/N` multislice run into
    /// the image directory the unsharded run writes (the same bytes). Run
    /// it where the shards' structure path resolves.
    Merge {
        /// The shard directories (all N of them, any order).
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// Output directory.
        #[arg(short, long, value_name = "DIR")]
        output: PathBuf,
    },
}

/// Run `sacsim simulate` (or `simulate merge`).
pub fn run(args: Args) -> Result<()> {
    if let Some(Action::Merge { shards, output }) = &args.action {
        let (sim, files) = sacsim::output::simulate_shard::merge_shards(output, shards)?;
        println!("merged {} shards", shards.len());
        summary(&sim);
        super::print_written(output, &files);
        return Ok(());
    }
    let input = args
        .structure
        .as_deref()
        .ok_or_else(|| sacsim::Error::invalid("STRUCTURE", "give the structure to image"))?;
    let imaging = args.imaging.imaging()?;
    args.acquisition.validate()?;
    let structure = sacsim::io::read_structure(input)?;
    if let Some(shard) = args.shard {
        let (files, p) = sacsim::output::simulate_shard::write_shard(
            &args.output,
            input,
            &structure,
            &args.imaging,
            &args.acquisition,
            shard,
        )?;
        println!(
            "shard {shard}: probe positions {}..{} of {}",
            p.positions[0], p.positions[1], p.total_positions
        );
        super::print_written(&args.output, &files);
        return Ok(());
    }
    let model = args
        .imaging
        .image_model_for(args.acquisition.seed, input, &structure)?;
    let sim = sacsim::stem::acquire_with(
        &*model,
        &structure,
        &imaging,
        &args.imaging.scan(),
        &args.acquisition,
    )?;
    let files = sacsim::output::simulate::write_simulation(
        &args.output,
        input,
        &structure,
        &sim,
        &args.imaging,
        &args.acquisition,
    )?;
    summary(&sim);
    super::print_written(&args.output, &files);
    Ok(())
}

/// One line: the image's size, optics and cross sections.
fn summary(sim: &sacsim::stem::Simulation) {
    let imaging = &sim.imaging;
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
}
