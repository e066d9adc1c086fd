//! `sacsim compare-models`: the incoherent model against multislice on
//! one structure, so users know when the fast model is enough.

use std::path::PathBuf;

use anyhow::Result;

use sacsim::config::{ImagingConfig, ModelChoice};
use sacsim::stem::compare::compare_models;

/// Arguments of `sacsim compare-models`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A POSCAR, (extended) XYZ, or a `sacsim sample` / `build` directory.
    structure: PathBuf,
    /// Microscope, scan and the multislice settings (`--model` is ignored:
    /// both models run; the incoherent one with phase-object cross
    /// sections unless an incoherent model is named).
    #[command(flatten)]
    imaging: ImagingConfig,
    /// Seed of the frozen phonons.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output directory.
    #[arg(short, long, value_name = "DIR", default_value = "comparison")]
    output: PathBuf,
}

/// Run `sacsim compare-models`.
pub fn run(args: Args) -> Result<()> {
    let imaging = args.imaging.imaging()?;
    let multislice = args.imaging.multislice(args.seed)?;
    let structure = sacsim::io::read_structure(&args.structure)?;
    let cmp = compare_models(&structure, &imaging, &args.imaging.scan(), &multislice)?;
    sacsim::output::prepare_dir(&args.output)?;
    let [nx, ny] = cmp.incoherent.frame.shape;
    let write = |name: &str, bytes: &[u8]| sacsim::io::write_atomic(&args.output.join(name), bytes);
    write(
        "incoherent.npy",
        &sacsim::io::raster::npy_f32(&cmp.incoherent.data, nx, ny),
    )?;
    write(
        "multislice.npy",
        &sacsim::io::raster::npy_f32(&cmp.multislice.data, nx, ny),
    )?;
    let mut params = serde_json::json!({
        "provenance": sacsim::output::Provenance::of("compare-models"),
        "structure": args.structure,
        "imaging": args.imaging,
        "seed": args.seed,
        "frame": cmp.incoherent.frame,
        "comparison": &cmp,
    });
    if let ModelChoice::Multislice = args.imaging.model {
        params["note"] = "--model is ignored: both models ran".into();
    }
    write(
        "comparison.json",
        (serde_json::to_string_pretty(&params)? + "\n").as_bytes(),
    )?;
    println!(
        "Pearson r {:.5}, mean level incoherent/multislice {:.3}",
        cmp.pearson_r, cmp.mean_level_ratio
    );
    println!("metal  depth Å  incoherent  multislice  ratio");
    for m in &cmp.metals {
        println!(
            "{:5}  {:7.2}  {:10.3}  {:10.3}  {:5.3}",
            m.element, m.depth_angstrom, m.incoherent, m.multislice, m.ratio
        );
    }
    println!(
        "wrote {}/ incoherent.npy multislice.npy comparison.json",
        args.output.display()
    );
    Ok(())
}
