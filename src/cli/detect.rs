//! `sacsim detect`: atoms in a HAADF image, placed in the image's frame.

use std::path::PathBuf;

use anyhow::Result;

use sacsim::analysis::detect::detect;
use sacsim::config::DetectConfig;
use sacsim::output::image::PlacedImage;
use sacsim::values::Pair;

/// Arguments of `sacsim detect`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The image and its frame.
    #[command(flatten)]
    input: super::image_input::ImageInput,
    /// Detection settings.
    #[command(flatten)]
    pub config: DetectConfig,
    /// The learned heatmap detector with these weights (safetensors from
    /// `sacsim train`; feature `net`) instead of the classical one.
    #[cfg(feature = "net")]
    #[arg(long, value_name = "FILE")]
    net: Option<PathBuf>,
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
        cross_sections,
    } = placed;
    if let Some(w) = &raster.warning {
        eprintln!("sacsim: warning: {w}");
    }
    // Automatic smoothing: the probe the file's optics give, where it
    // records them (voltage and convergence), else the default probe σ.
    let mut config = args.config;
    let optics = |key: &str| {
        raster
            .metadata
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v > 0.0)
    };
    if config.smoothing.is_none()
        && let (Some(volts), Some(mrad)) = (optics("voltage_V"), optics("convergence_mrad"))
    {
        let probe = sacsim::stem::optics::diffraction_limited_sigma(volts / 1e3, mrad);
        let px = (frame.pixel[0] + frame.pixel[1]) / 2.0;
        let sigma = probe.max(sacsim::analysis::detect::AUTO_MIN_PIXELS * px);
        println!(
            "smoothing {sigma:.3} Å from the file's optics ({:.0} kV, {mrad:.1} mrad: probe σ {probe:.3} Å)",
            volts / 1e3
        );
        config.smoothing = Some(sigma);
    }
    // The elements' intensity ratio from the cross sections the image's
    // params.json records (a sacsim image), unless given.
    let mut ratio_source = None;
    if let (Some(Pair([light, heavy])), None, Some(sigma)) =
        (config.elements, config.intensity_ratio, &cross_sections)
        && let (Some(l), Some(h)) = (sigma.get(light.symbol()), sigma.get(heavy.symbol()))
    {
        config.intensity_ratio = Some(h / l);
        ratio_source = Some("the cross sections in params.json".to_string());
    }
    #[cfg(feature = "net")]
    if let Some(weights) = &args.net {
        let net = sacsim::learn::infer::NetDetector::from_bytes(
            &std::fs::read(weights).map_err(|e| sacsim::Error::io(weights, e))?,
        )?;
        let result = net.detect(&raster.data, &frame, &config)?;
        let files =
            sacsim::output::detect::write_detections(&args.output, &path, &raster.data, &result)?;
        println!(
            "{} atoms in {} x {} px of {:.4} x {:.4} Å (from {source}) by the net (heatmap > {})",
            result.detections.len(),
            raster.nx,
            raster.ny,
            frame.pixel[0],
            frame.pixel[1],
            sacsim::learn::infer::NET_THRESHOLD
        );
        super::print_written(&args.output, &files);
        return Ok(());
    }
    let mut result = detect(&raster.data, &frame, &config)?;
    if let (Some(id), Some(src)) = (result.identity.as_mut(), ratio_source) {
        id.ratio_source = src;
    }
    if let Some(id) = &result.identity {
        println!(
            "elements {},{}: intensity ratio {:.4} ({}), heavier share {:.3}, photometry r {} Å, empty-aperture σ {:.4e} ({} apertures), gain {}",
            id.light,
            id.heavy,
            id.intensity_ratio,
            id.ratio_source,
            id.atoms.heavy_share,
            id.aperture_angstrom,
            id.background.variance.sqrt(),
            id.background.apertures,
            id.gain
        );
    }
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
        config.threshold
    );
    super::print_written(&args.output, &files);
    Ok(())
}
