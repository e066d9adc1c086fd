//! `sacsim detect`: atoms in a HAADF image, placed in the image's frame.

use std::path::PathBuf;

use anyhow::Result;

use sacsim::analysis::detect::detect;
use sacsim::config::DetectConfig;
use sacsim::output::image::PlacedImage;

/// Arguments of `sacsim detect`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The image and its frame.
    #[command(flatten)]
    input: super::image_input::ImageInput,
    /// Detection settings.
    #[command(flatten)]
    pub config: DetectConfig,
    /// Output directory.
    #[arg(short, long, value_name = "DIR", default_value = "detections")]
    output: PathBuf,
}

/// Run `sacsim detect`.
pub fn run(args: Args) -> Result<()> {
    let placed = args.input.load()?;
    let PlacedImage {
        path,
        raster,
        frame,
        source,
    } = placed;
    if let Some(w) = &raster.warning {
        eprintln!("sacsim: warning: {w}");
    }
    let result = detect(&raster.data, &frame, &args.config)?;
    let files =
        sacsim::output::detect::write_detections(&args.output, &path, &raster.data, &result)?;
    println!(
        "{} atoms in {} x {} px of {:.4} x {:.4} Å (from {source}) from ({:.2}, {:.2}) Å (smoothing {:.3} Å, median local noise σ {:.4e}, threshold {}σ)",
        result.detections.len(),
        raster.nx,
        raster.ny,
        frame.pixel[0],
        frame.pixel[1],
        frame.origin[0],
        frame.origin[1],
        result.smoothing_angstrom,
        result.noise_sigma,
        args.config.threshold
    );
    super::print_written(&args.output, &files);
    Ok(())
}
