//! `sacsim twin`: a synthetic twin of a real image, with known truth.

use std::path::PathBuf;

use anyhow::Result;

use sacsim::config::ImagingConfig;
use sacsim::io::Format;
use sacsim::twin::{TwinConfig, twin};
use sacsim::values::Pair;

/// Arguments of `sacsim twin`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The real image and its calibration.
    #[command(flatten)]
    input: super::image_input::ImageInput,
    /// The heavy metal of the single atoms (element symbol).
    #[arg(long, default_value = "Pt")]
    metal: String,
    /// Accelerating voltage (kV) [default: the file's, else 80].
    #[arg(long, value_name = "KV")]
    kv: Option<f64>,
    /// Convergence semi-angle (mrad) [default: the file's, else 30].
    #[arg(long, value_name = "MRAD")]
    alpha: Option<f64>,
    /// HAADF detector inner,outer angles (mrad).
    #[arg(long, value_name = "IN,OUT", default_value_t = ImagingConfig::default().detector_mrad)]
    detector: Pair<f64>,
    /// The detector's zero level in the image's units (from a dark frame
    /// or a vacuum region), when known [default: fitted from the noise].
    #[arg(long, value_name = "ADC", allow_hyphen_values = true)]
    offset: Option<f64>,
    /// Rms height variation (Å) of the face the metals sit on [default: the
    /// depth of field λ/α², 46 Å at 80 kV / 30 mrad; 0: flat].
    #[arg(long, value_name = "Å")]
    roughness: Option<f64>,
    /// Seed of the twin's sample and noise.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output directory: the twin's image files (as `simulate` writes them,
    /// with `atoms.csv` the truth), sample/, twin.json (the measurements)
    /// and comparison.png (real | twin on one grey scale).
    #[arg(short, long, value_name = "DIR", default_value = "twin")]
    output: PathBuf,
}

/// Run `sacsim twin`.
pub fn run(args: Args) -> Result<()> {
    let placed = args.input.load()?;
    let meta = |key: &str| {
        placed
            .raster
            .metadata
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v > 0.0)
    };
    let defaults = ImagingConfig::default();
    let imaging = ImagingConfig {
        kv: args
            .kv
            .or(meta("voltage_V").map(|v| v / 1e3))
            .unwrap_or(defaults.kv),
        alpha_mrad: args
            .alpha
            .or(meta("convergence_mrad"))
            .unwrap_or(defaults.alpha_mrad),
        detector_mrad: args.detector,
        ..defaults
    };
    let metal = sacsim::Element::from_symbol(&args.metal).map_err(|_| {
        sacsim::Error::invalid(
            "--metal",
            format!("'{}' is not an element symbol", args.metal),
        )
    })?;
    let config = TwinConfig {
        metal,
        imaging,
        seed: args.seed,
        offset: args.offset,
        roughness: args.roughness,
    };
    let t = twin(&placed.raster.data, &placed.frame, &config)?;
    let lowest = placed.raster.data.iter().copied().fold(f32::MAX, f32::min) as f64;
    if args.offset.is_none() && t.estimate.noise.offset < lowest.min(0.0) {
        eprintln!(
            "sacsim: warning: the fitted zero level {:.4e} lies below every pixel ({lowest:.4e}): the image has no thin or vacuum area to pin it; give --offset if the detector's is known",
            t.estimate.noise.offset
        );
    }
    let mut files = sacsim::output::simulate::write_simulation(
        &args.output,
        &placed.path,
        &t.sample.structure,
        &t.simulation,
        &t.imaging,
        &t.acquisition,
    )?;
    files.extend(sacsim::output::sample::write_sample(
        &t.sample,
        &args.output.join("sample"),
        &[Format::Xyz],
    )?);
    let report = serde_json::json!({
        "sacsim_version": env!("CARGO_PKG_VERSION"),
        "command": "twin",
        "input": placed.path.display().to_string(),
        "calibration_from": placed.source,
        "metal": metal.symbol(),
        "seed": args.seed,
        "estimate": t.estimate,
    });
    // The real image and its twin side by side, on one grey scale (the
    // real image's 0.5-99.5 % range).
    let comparison = args.output.join("comparison.png");
    let [nx, ny] = placed.frame.shape;
    let mut sorted: Vec<f32> = placed.raster.data.clone();
    sorted.sort_by(f32::total_cmp);
    let (lo, hi) = (sorted[sorted.len() / 200], sorted[sorted.len() * 199 / 200]);
    let gap = (nx / 50).max(2);
    let width = 2 * nx + gap;
    let mut both = vec![hi; width * ny];
    for iy in 0..ny {
        for ix in 0..nx {
            both[iy * width + ix] = placed.raster.data[iy * nx + ix].clamp(lo, hi);
            both[iy * width + nx + gap + ix] = t.simulation.image.data[iy * nx + ix].clamp(lo, hi);
        }
    }
    sacsim::io::write_atomic(&comparison, &sacsim::io::raster::png16(&both, width, ny).0)?;
    files.push(comparison);
    let path = args.output.join("twin.json");
    sacsim::io::write_atomic(&path, serde_json::to_string_pretty(&report)?.as_bytes())?;
    files.push(path);
    let e = &t.estimate;
    println!(
        "twin of {}: gain {:.4e} ADC/e, offset {:.4e}, dose {:.3e} e/Å², source size {:.2} Å, {} atoms, vacuum {:.0} %, carbon {:.1} nm (5-95 %: {:.1}-{:.1})",
        placed.path.display(),
        e.noise.gain,
        e.noise.offset,
        e.dose_e_per_a2,
        e.source_size_angstrom,
        e.atoms_detected,
        100.0 * e.vacuum_fraction,
        e.thickness_nm[0],
        e.thickness_nm[1],
        e.thickness_nm[2]
    );
    super::print_written(&args.output, &files);
    Ok(())
}
