//! `sacsim detect`: atoms in a HAADF image, placed in the image's frame.

use std::path::{Path, PathBuf};

use anyhow::Result;

use sacsim::Error;
use sacsim::analysis::detect::detect;
use sacsim::config::DetectConfig;
use sacsim::structure::ImageFrame;
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

/// The image file and the directory whose params.json may hold its frame.
fn locate(image: &Path) -> (PathBuf, Option<PathBuf>) {
    if image.is_dir() {
        return (image.join("image.npy"), Some(image.to_path_buf()));
    }
    let dir = image.parent().map(|p| {
        if p.as_os_str().is_empty() {
            Path::new(".")
        } else {
            p
        }
    });
    let sidecar = dir.filter(|d| d.join("params.json").is_file());
    (image.to_path_buf(), sidecar.map(Path::to_path_buf))
}

/// Run `sacsim detect`.
pub fn run(args: Args) -> Result<()> {
    let (path, sidecar) = locate(&args.image);
    // Only TIFFs carry a calibration of their own.
    let calibrated_format = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "tif" | "tiff"));
    let recorded = match (&sidecar, args.pixel_size) {
        (Some(dir), None) => Some(sacsim::output::image_frame(dir)?),
        (Some(dir), Some(_)) => sacsim::output::image_frame(dir).ok(),
        (None, _) => None,
    };
    if recorded.is_none() && args.pixel_size.is_none() && !calibrated_format {
        return Err(Error::invalid(
            "--pixel-size",
            format!(
                "{} has no params.json with its frame beside it: give the pixel size in Å",
                args.image.display()
            ),
        )
        .into());
    }
    let raster = sacsim::io::raster::read_image(&path)?;
    if let Some(w) = &raster.warning {
        eprintln!("sacsim: warning: {w}");
    }
    let shape = [raster.nx, raster.ny];
    if let Some(f) = recorded
        && f.shape != shape
        && args.pixel_size.is_none()
    {
        return Err(Error::invalid(
            "--pixel-size",
            format!(
                "{} is {} x {} px but its params.json describes {} x {} px: give the pixel size",
                path.display(),
                shape[0],
                shape[1],
                f.shape[0],
                f.shape[1]
            ),
        )
        .into());
    }
    // The flag, else the sacsim frame, else the file's own calibration.
    let from_file = raster.calibration;
    let (pixel, source) = match (args.pixel_size, recorded, from_file) {
        (Some(p), _, _) => (p.0, "--pixel-size".to_string()),
        (None, Some(f), _) => (f.pixel, "params.json".to_string()),
        (None, None, Some(c)) => (c.pixel_angstrom, format!("the file's {}", c.source)),
        (None, None, None) => {
            return Err(Error::invalid(
                "--pixel-size",
                format!(
                    "{} carries no calibration (no ImageJ or resolution tags): give the pixel size in Å",
                    path.display()
                ),
            )
            .into());
        }
    };
    let origin = args
        .origin
        .map(|o| o.0)
        .or(recorded.map(|f| f.origin))
        .or(from_file
            .filter(|_| args.pixel_size.is_none())
            .map(|c| c.origin_angstrom))
        .unwrap_or([0.0, 0.0]);
    let frame = ImageFrame::new(shape, pixel, origin)?;
    let result = detect(&raster.data, &frame, &args.config)?;
    let files =
        sacsim::output::detect::write_detections(&args.output, &path, &raster.data, &result)?;
    println!(
        "{} atoms in {} x {} px of {:.4} x {:.4} Å (from {source}) from ({:.2}, {:.2}) Å (noise σ {:.4e}, threshold {}σ)",
        result.detections.len(),
        raster.nx,
        raster.ny,
        pixel[0],
        pixel[1],
        origin[0],
        origin[1],
        result.noise_sigma,
        args.config.threshold
    );
    super::print_written(&args.output, &files);
    Ok(())
}
