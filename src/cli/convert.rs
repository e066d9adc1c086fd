//! `sacsim convert`: any image sacsim reads to a calibrated float32 TIFF
//! (ImageJ tags in nm: Fiji, tifffile and hyperspy show lengths), or to
//! `.npy` / 16-bit `.png` with a JSON of the frame beside it.

use std::path::PathBuf;

use anyhow::Result;
use serde_json::json;

use sacsim::io::raster::{npy_f32, png16};
use sacsim::io::write_atomic;

/// Arguments of `sacsim convert`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The image and its frame.
    #[command(flatten)]
    input: super::image_input::ImageInput,
    /// Output file: .tif/.tiff (calibrated float32), .npy or .png (with
    /// OUT.json holding the frame).
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
}

/// Run `sacsim convert`.
pub fn run(args: Args) -> Result<()> {
    let placed = args.input.load()?;
    let (r, f) = (&placed.raster, placed.frame);
    let ext = args
        .output
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let mut meta = json!({
        "sacsim_version": env!("CARGO_PKG_VERSION"),
        "command": "convert",
        "input": placed.path.display().to_string(),
        "calibration_from": placed.source,
        "image_shape_ny_nx": [f.ny(), f.nx()],
        "pixel_angstrom": f.pixel,
        "origin_angstrom": f.origin,
        "acquisition": r.metadata.iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
    });
    let bytes = match ext.as_str() {
        "tif" | "tiff" => sacsim::io::tiff::write_f32(&r.data, r.nx, r.ny, f.pixel, f.origin),
        "npy" => npy_f32(&r.data, r.nx, r.ny),
        "png" => {
            let (png, scale) = png16(&r.data, r.nx, r.ny);
            meta["png_scale"] = json!(scale);
            png
        }
        _ => {
            return Err(sacsim::Error::invalid(
                "--output",
                format!(
                    "{}: give a .tiff, .npy or .png file name",
                    args.output.display()
                ),
            )
            .into());
        }
    };
    write_atomic(&args.output, &bytes)?;
    if ext != "tif" && ext != "tiff" {
        let side = args.output.with_extension(format!("{ext}.json"));
        write_atomic(
            &side,
            (serde_json::to_string_pretty(&meta)? + "\n").as_bytes(),
        )?;
    }
    println!(
        "wrote {} ({} x {} px of {:.4} x {:.4} Å from ({:.2}, {:.2}) Å; calibration from {})",
        args.output.display(),
        r.nx,
        r.ny,
        f.pixel[0],
        f.pixel[1],
        f.origin[0],
        f.origin[1],
        placed.source
    );
    Ok(())
}
