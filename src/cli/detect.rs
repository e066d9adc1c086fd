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
    /// classical (filters and a noise threshold) or net (the learned
    /// heatmap detector, trained on sacsim images only; feature `net`).
    #[arg(long, value_enum, default_value_t = Method::Classical)]
    method: Method,
    /// Weights for `--method net` (safetensors from `sacsim train`);
    /// default: the model shipped with sacsim (models/net/).
    #[arg(long, value_name = "FILE")]
    weights: Option<PathBuf>,
    /// Heatmap level (0-1) above which a maximum is an atom (`--method
    /// net`); default: the level chosen for the shipped model on the
    /// tuning images, 0.5 for other weights.
    #[arg(long, value_name = "P")]
    net_threshold: Option<f32>,
    /// Average the net's heatmap over 1, 2 or 4 mirror views of the image
    /// (test-time augmentation; cost x views).
    #[arg(long, value_name = "N", default_value_t = 1)]
    views: usize,
    /// Output directory.
    #[arg(short, long, value_name = "DIR", default_value = "detections")]
    output: PathBuf,
}

/// Which detector `sacsim detect` runs.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Gaussian filters, local background and noise, a z threshold.
    Classical,
    /// The learned heatmap network.
    Net,
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
    if args.method == Method::Net {
        #[cfg(not(feature = "net"))]
        anyhow::bail!(sacsim::Error::invalid(
            "--method",
            "net: this sacsim was built without the `net` feature; rebuild with default features"
        ));
        #[cfg(feature = "net")]
        return run_net(&args, &path, &raster, &frame, &config, &source);
    }
    if args.weights.is_some() {
        anyhow::bail!(sacsim::Error::invalid(
            "--weights",
            "weights are for --method net; add --method net"
        ));
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

/// `--method net`: the heatmap, its maxima, and heatmap.npy beside the
/// detections.
#[cfg(feature = "net")]
fn run_net(
    args: &Args,
    path: &std::path::Path,
    raster: &sacsim::io::raster::Raster,
    frame: &sacsim::structure::ImageFrame,
    config: &DetectConfig,
    source: &str,
) -> Result<()> {
    use sacsim::learn::infer::NetDetector;
    let threshold = args.net_threshold.unwrap_or(if args.weights.is_some() {
        sacsim::learn::infer::NET_THRESHOLD
    } else {
        sacsim::learn::infer::SHIPPED_THRESHOLD
    });
    if !(threshold > 0.0 && threshold < 1.0) {
        anyhow::bail!(sacsim::Error::invalid(
            "--net-threshold",
            format!("{threshold}: give a level in (0, 1)")
        ));
    }
    let (net, model) = match &args.weights {
        Some(w) => (
            NetDetector::from_bytes(&std::fs::read(w).map_err(|e| sacsim::Error::io(w, e))?)?,
            w.display().to_string(),
        ),
        None => (NetDetector::shipped()?, "the shipped model".to_string()),
    };
    let heat = net.heatmap_averaged(&raster.data, frame, args.views)?;
    let result = net.detect_in(&heat, &raster.data, frame, config, threshold)?;
    let files = sacsim::output::detect::write_detections_with(
        &args.output,
        path,
        &raster.data,
        &result,
        vec![(
            "heatmap.npy".into(),
            sacsim::io::raster::npy_f32(&heat, raster.nx, raster.ny),
        )],
    )?;
    println!(
        "{} atoms in {} x {} px of {:.4} x {:.4} Å (from {source}) by the net ({model}, heatmap > {})",
        result.detections.len(),
        raster.nx,
        raster.ny,
        frame.pixel[0],
        frame.pixel[1],
        threshold
    );
    super::print_written(&args.output, &files);
    Ok(())
}
