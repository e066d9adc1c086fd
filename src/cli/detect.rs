//! `sacsim detect`: atoms in a HAADF image, placed in the image's frame.

use std::path::PathBuf;

use anyhow::Result;

use sacsim::analysis::detect::detect;
use sacsim::config::DetectConfig;
use sacsim::output::image::{PlacedImage, load_image};
use sacsim::values::{Pair, PixelSize};

/// Arguments of `sacsim detect`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// An 8/16-bit PNG, 16-bit or float TIFF, 2D .npy, or a `sacsim
    /// simulate` directory (its image.npy with its frame).
    image: PathBuf,
    /// Pixel size (Å), or PX,PY [default: from the params.json of a sacsim
    /// image directory (the image's or the one it sits in), else from the
    /// TIFF's calibration tags].
    #[arg(long, value_name = "Å[,Å]")]
    pixel_size: Option<PixelSize>,
    /// Position (Å) of pixel (0, 0) [default: from params.json, else 0,0].
    #[arg(long, value_name = "X,Y", allow_hyphen_values = true)]
    origin: Option<Pair<f64>>,
    /// Detection settings.
    #[command(flatten)]
    pub config: DetectConfig,
    /// Output directory.
    #[arg(short, long, value_name = "DIR", default_value = "detections")]
    output: PathBuf,
}

/// Run `sacsim detect`.
pub fn run(args: Args) -> Result<()> {
    let placed = load_image(
        &args.image,
        args.pixel_size.map(|p| p.0),
        args.origin.map(|o| o.0),
    )?;
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
        "{} atoms in {} x {} px of {:.4} x {:.4} Å (from {source}) from ({:.2}, {:.2}) Å (noise σ {:.4e}, threshold {}σ)",
        result.detections.len(),
        raster.nx,
        raster.ny,
        frame.pixel[0],
        frame.pixel[1],
        frame.origin[0],
        frame.origin[1],
        result.noise_sigma,
        args.config.threshold
    );
    super::print_written(&args.output, &files);
    Ok(())
}
