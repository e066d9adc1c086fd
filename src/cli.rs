//! Argument parsing and dispatch. Raw flags become a validated library
//! configuration here; all work happens in the library.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};

use sacsim::analysis::detect::{self, DetectSettings};
use sacsim::analysis::inspect;
use sacsim::analysis::pairstats::{self, PairSettings};
use sacsim::analysis::positions::{self, LoadOptions, Region};
use sacsim::io::{self, Format, incar::Magmoms};
use sacsim::model::sample::{self, PlacementMode, SampleSpec, Support};
use sacsim::model::{
    self as model, DEFAULT_A, DEFAULT_MN3_DISTANCE, DEFAULT_VACUUM, GrapheneCell, ModelSpec, Motif,
    PRESETS, Preset,
};
use sacsim::stem::incoherent::{Imaging, Scan};
use sacsim::stem::noise::Acquisition;
use sacsim::stem::optics::Aberrations;
use sacsim::stem::probe::Probe;
use sacsim::stem::scattering::{CrossSectionModel, Detector};
use sacsim::structure::Element;

/// Single- and dual-atom metal catalysts in N-doped graphene: DFT-ready
/// models and their geometry.
#[derive(Parser, Debug)]
#[command(name = "sacsim", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Build a DFT-ready model: POSCAR (+ INCAR.magmom), extended XYZ, CIF.
    Build(Box<BuildArgs>),
    /// Report composition, cell, closest contact and metal coordination.
    Inspect(InspectArgs),
    /// Build a large sample with dispersed sites, support and ground truth.
    Sample(Box<SampleArgs>),
    /// Simulate a HAADF-STEM image of a structure or sample.
    Simulate(Box<SimulateArgs>),
    /// Pair statistics of metal positions against the random baseline.
    Analyze(Box<AnalyzeArgs>),
    /// Find atoms in a HAADF image (PNG, TIFF, npy).
    Detect(Box<DetectArgs>),
    /// Score detections against ground truth.
    Evaluate(EvaluateArgs),
    /// Generate a synthetic training set (images + COCO/YOLO/heatmap labels).
    Dataset(Box<DatasetArgs>),
    /// The main job: the source paper's study end to end, with a report.
    Run(RunArgs),
    /// Every model of a free-energy path: clean slabs, intermediates, gases.
    Series(SeriesArgs),
}

#[derive(Args, Debug)]
struct SeriesArgs {
    /// Presets: co1-nc, mn1-nc, co1mn1-nc, l-co1mn1-nc, l-co2-nc, l-mn2-nc.
    #[arg(required = true)]
    presets: Vec<String>,
    /// Reaction: co2rr (*CO2, *COOH, *CO), her (*H), orr (*OOH, *O, *OH).
    #[arg(long, default_value = "co2rr")]
    reaction: String,
    /// Also bridge each intermediate across the two metals of dual sites.
    #[arg(long)]
    bridge: bool,
    /// Bonded shells around the metals that relax; the rest is fixed.
    #[arg(long, default_value_t = sacsim::model::DEFAULT_FREE_SHELLS, value_name = "N")]
    free_shells: usize,
    /// Output formats, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "poscar,xyz,cif")]
    format: Vec<String>,
    /// Initial magnetic moments (µB) overriding the defaults, e.g. Co=1.0.
    #[arg(long, value_delimiter = ',', value_name = "EL=MU")]
    magmom: Vec<String>,
    /// Output directory.
    #[arg(short, long, value_name = "DIR", default_value = "series")]
    output: PathBuf,
}

#[derive(Args, Debug)]
struct RunArgs {
    /// A study TOML [default: the embedded study, examples/pei2024.toml].
    config: Option<PathBuf>,
    /// Output directory.
    #[arg(short, long, value_name = "DIR", default_value = "sacsim-study")]
    output: PathBuf,
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
struct DatasetArgs {
    #[command(subcommand)]
    action: Option<DatasetAction>,
    /// Number of images of the whole run.
    #[arg(long)]
    count: Option<usize>,
    /// TOML configuration [default: the built-in L-Co1Mn1-NC survey set].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Generate only shard I of N (images k with k mod N = I).
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// Overwrite a directory that holds a different run.
    #[arg(long)]
    force: bool,
    /// Output directory.
    #[arg(short, long, value_name = "DIR", default_value = "dataset")]
    output: PathBuf,
}

#[derive(Subcommand, Debug)]
enum DatasetAction {
    /// Join shard directories into one dataset.
    Merge {
        /// The shard directories.
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// Output directory.
        #[arg(short, long, value_name = "DIR")]
        output: PathBuf,
    },
}

#[derive(Args, Debug)]
struct DetectArgs {
    /// An 8/16-bit PNG, 16-bit or float TIFF, or 2D .npy image.
    image: PathBuf,
    /// Pixel size (Å), or X,Y for non-square pixels; required, there is
    /// no safe default (a `simulate` params.json gives pixel_angstrom).
    #[arg(long, value_name = "Å[,Å]")]
    pixel_size: String,
    /// Detection threshold in units of the robust noise σ.
    #[arg(long, default_value_t = 6.0)]
    threshold: f64,
    /// Smoothing σ (Å), about the probe size.
    #[arg(long, default_value_t = 0.3, value_name = "Å")]
    smoothing: f64,
    /// Background σ (Å).
    #[arg(long, default_value_t = 10.0, value_name = "Å")]
    background: f64,
    /// Minimum separation of two detections (Å).
    #[arg(long, default_value_t = 1.5, value_name = "Å")]
    min_separation: f64,
    /// Assign two elements by intensity, lighter,heavier (e.g. Mn,Co).
    #[arg(long, value_delimiter = ',', value_name = "LIGHT,HEAVY")]
    elements: Vec<String>,
    /// Output directory.
    #[arg(short, long, value_name = "DIR", default_value = "detections")]
    output: PathBuf,
}

#[derive(Args, Debug)]
struct EvaluateArgs {
    /// Detections: a detect directory or a CSV of x,y[,element] (Å).
    detections: PathBuf,
    /// Truth: a simulate or sample directory, a structure, or a CSV (Å).
    truth: PathBuf,
    /// Matching radius (Å).
    #[arg(long, default_value_t = 1.0, value_name = "Å")]
    radius: f64,
    /// Write the scores as JSON here too.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct AnalyzeArgs {
    /// A structure, a CSV of x,y[,element] (Å, or pixels with --pixel-size),
    /// an N x 2 .npy, or a `sample` / `simulate` / `build` output directory.
    input: PathBuf,
    /// Elements to analyse [default: all metals].
    #[arg(long, value_delimiter = ',')]
    elements: Vec<String>,
    /// Keep z: statistics in 3D instead of projected along z.
    #[arg(long = "3d")]
    three_d: bool,
    /// Pixel size (Å) of pixel-unit CSV/npy input.
    #[arg(long, value_name = "Å")]
    pixel_size: Option<f64>,
    /// Open analysis region x0,y0,width,height (Å) [default: periodic box
    /// of the input, or the points' bounding box].
    #[arg(long, value_name = "X0,Y0,W,H", allow_hyphen_values = true)]
    region: Option<String>,
    /// Periodic analysis box LXxLY (Å).
    #[arg(long = "box", value_name = "LXxLY", conflicts_with = "region")]
    periodic_box: Option<String>,
    /// Pair window min,max (nm).
    #[arg(long, default_value = "0.20,0.30", value_name = "MIN,MAX")]
    pair_window: String,
    /// NN histogram bin (nm).
    #[arg(long, default_value_t = 0.01, value_name = "NM")]
    bin: f64,
    /// Group cutoff (nm) [default: the pair window's max].
    #[arg(long, value_name = "NM")]
    group_cutoff: Option<f64>,
    /// Largest r of g(r) (nm).
    #[arg(long, value_name = "NM")]
    gr_max: Option<f64>,
    /// g(r) bin (nm).
    #[arg(long, default_value_t = 0.02, value_name = "NM")]
    gr_bin: f64,
    /// Bootstrap resamples for the 95 % intervals (0: normal approximations).
    #[arg(long, default_value_t = 1000)]
    bootstrap: usize,
    /// CSR realisations for a Monte-Carlo envelope (0: none).
    #[arg(long, default_value_t = 0)]
    monte_carlo: usize,
    /// Seed of the bootstrap and Monte Carlo.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output directory.
    #[arg(short, long, value_name = "DIR", default_value = "analysis")]
    output: PathBuf,
}

#[derive(Args, Debug)]
struct SimulateArgs {
    /// A POSCAR, (extended) XYZ, or a `sacsim sample` / `build` directory.
    structure: PathBuf,
    /// Accelerating voltage (kV).
    #[arg(long, default_value_t = 80.0)]
    kv: f64,
    /// Probe convergence semi-angle (mrad).
    #[arg(long, default_value_t = 30.0, value_name = "MRAD")]
    alpha: f64,
    /// Detector inner,outer semi-angles (mrad).
    #[arg(long, default_value = "80,200", value_name = "IN,OUT")]
    detector: String,
    /// Pixel size (Å); the field is split into whole pixels.
    #[arg(long, default_value_t = 0.1, value_name = "Å")]
    pixel: f64,
    /// Image size in pixels (overrides --pixel).
    #[arg(long, value_name = "NXxNY")]
    shape: Option<String>,
    /// Field x0,y0,width,height (Å) [default: the structure's cell].
    #[arg(long, value_name = "X0,Y0,W,H", allow_hyphen_values = true)]
    window: Option<String>,
    /// Defocus (Å) = -C1 = -abTEM C10; positive is underfocus.
    #[arg(
        long,
        default_value_t = 0.0,
        value_name = "Å",
        allow_hyphen_values = true
    )]
    defocus: f64,
    /// Spherical aberration C3 (µm).
    #[arg(
        long,
        default_value_t = 0.0,
        value_name = "µM",
        allow_hyphen_values = true
    )]
    cs: f64,
    /// Fifth-order spherical aberration C5 (mm).
    #[arg(
        long,
        default_value_t = 0.0,
        value_name = "MM",
        allow_hyphen_values = true
    )]
    c5: f64,
    /// Two-fold astigmatism A1 (Å).
    #[arg(long, default_value_t = 0.0, value_name = "Å")]
    astigmatism: f64,
    /// Azimuth of the astigmatism (degrees).
    #[arg(
        long,
        default_value_t = 0.0,
        value_name = "DEG",
        allow_hyphen_values = true
    )]
    astigmatism_angle: f64,
    /// Focal spread, 1 sigma (Å).
    #[arg(long, default_value_t = 0.0, value_name = "Å")]
    focal_spread: f64,
    /// Effective source size, FWHM (Å).
    #[arg(long, default_value_t = 0.0, value_name = "Å")]
    source_size: f64,
    /// Thermal rms displacement per axis (Å).
    #[arg(long, default_value_t = sacsim::stem::incoherent::DEFAULT_THERMAL_RMS, value_name = "Å")]
    thermal: f64,
    /// Cross sections: phase-object (default), born, or zn[:N] (Z^N, N = 1.7).
    #[arg(long, default_value = "phase-object")]
    model: String,
    /// Accept a detector reaching into the bright field.
    #[arg(long)]
    bright_field: bool,
    /// Electron dose (e/Å²): Poisson counts.
    #[arg(long, value_name = "E_PER_A2")]
    dose: Option<f64>,
    /// Gaussian detector noise, rms (counts with --dose, else beam fraction).
    #[arg(long, default_value_t = 0.0)]
    detector_noise: f64,
    /// Per-line intensity offset, rms, in units of the image mean.
    #[arg(long, default_value_t = 0.0)]
    line_offset: f64,
    /// Per-line scan jitter along x, rms (Å).
    #[arg(long, default_value_t = 0.0, value_name = "Å")]
    line_jitter: f64,
    /// Flyback distortion at the start of each line (Å).
    #[arg(
        long,
        default_value_t = 0.0,
        value_name = "Å",
        allow_hyphen_values = true
    )]
    flyback: f64,
    /// Linear drift over the frame, x,y (Å).
    #[arg(
        long,
        default_value = "0,0",
        value_name = "DX,DY",
        allow_hyphen_values = true
    )]
    drift: String,
    /// Per-pixel probe jitter, rms (Å).
    #[arg(long, default_value_t = 0.0, value_name = "Å")]
    probe_jitter: f64,
    /// Seed of the noise and scan artefacts.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Ground truth of all atoms, not only the metals.
    #[arg(long)]
    all_atoms: bool,
    /// Output directory.
    #[arg(short, long, value_name = "DIR", default_value = "simulation")]
    output: PathBuf,
}

#[derive(Args, Debug)]
struct SampleArgs {
    /// Area x by y in nm (the sheet is the nearest rectangular graphene cell).
    #[arg(long, value_name = "XxY", default_value = "20x20")]
    size: String,
    /// Sites per nm² of projected area.
    #[arg(long, default_value_t = 0.5)]
    density: f64,
    /// Site kinds with fractions summing to 1 (kinds: co-n4, l-comn,
    /// comn-n6, pt-n3, co1-nc, m2n6-low/Co+Mn, ...).
    #[arg(long, default_value = sample::DEFAULT_MIX)]
    mix: String,
    /// Minimum in-plane metal-metal distance between sites (Å) [default:
    /// the smallest at which sites share and bond no atoms, 5.19 Å for MN4].
    #[arg(long, value_name = "Å")]
    min_separation: Option<f64>,
    /// Placement: random (hard-core uniform) or clustered.
    #[arg(long, default_value = "random", value_parser = ["random", "clustered"])]
    placement: String,
    /// Clustered: share of sites with a neighbour site within --cluster-distance.
    #[arg(long, default_value_t = 0.5)]
    cluster_fraction: f64,
    /// Clustered: pair distance between nearest metals of two sites (Å)
    /// [default: 1.5 x the minimum separation].
    #[arg(long, value_name = "Å")]
    cluster_distance: Option<f64>,
    /// N doping of the free lattice (at.%).
    #[arg(long, default_value_t = 0.0, value_name = "AT%")]
    n_doping: f64,
    /// Share of the doped N that is pyridinic (the rest graphitic).
    #[arg(long, default_value_t = 0.5)]
    pyridinic_fraction: f64,
    /// Extra carbon vacancies (at.%).
    #[arg(long, default_value_t = 0.0, value_name = "AT%")]
    vacancies: f64,
    /// Support: none, amorphous, or layers:N (turbostratic graphene).
    #[arg(long, default_value = "none")]
    support: String,
    /// Amorphous support thickness (nm).
    #[arg(long, default_value_t = 5.0, value_name = "NM")]
    support_thickness: f64,
    /// Amorphous support density (g/cm³).
    #[arg(long, default_value_t = 2.0)]
    support_density: f64,
    /// Put sites on both faces (a second N-doped sheet under the support).
    #[arg(long)]
    both_faces: bool,
    /// Graphene lattice constant (Å).
    #[arg(long, default_value_t = DEFAULT_A, value_name = "Å")]
    a: f64,
    /// Target M-N distance of MN3 sites (Å).
    #[arg(long, default_value_t = DEFAULT_MN3_DISTANCE, value_name = "Å")]
    mn3_distance: f64,
    /// Vacuum along z (Å).
    #[arg(long, default_value_t = DEFAULT_VACUUM, value_name = "Å")]
    vacuum: f64,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Structure formats: xyz, poscar.
    #[arg(long, value_delimiter = ',', default_value = "xyz")]
    format: Vec<String>,
    /// Output directory.
    #[arg(short, long, value_name = "DIR", default_value = "sample")]
    output: PathBuf,
}

#[derive(Args, Debug)]
struct BuildArgs {
    /// A named model: co1-nc, mn1-nc, co1mn1-nc, l-co1mn1-nc, l-co2-nc, l-mn2-nc.
    preset: Option<String>,
    /// Site motif: pristine, mn4, mn3c1, mn3, m2n6-bridged, m2n6-low, m1m2-n8.
    #[arg(long, conflicts_with = "preset")]
    motif: Option<String>,
    /// Metal(s) of the motif, in placement order, e.g. Co or Co,Mn.
    #[arg(long, value_delimiter = ',', requires = "motif")]
    metals: Vec<String>,
    /// Hexagonal supercell n x m of the primitive cell [default: 6x6].
    #[arg(long, value_name = "NxM", conflicts_with = "rect")]
    cell: Option<String>,
    /// Rectangular (orthogonal) supercell: n·a along x, m·a·√3 along y.
    #[arg(long, value_name = "NxM")]
    rect: Option<String>,
    /// Vacuum gap between periodic images along z (Å).
    #[arg(long, default_value_t = DEFAULT_VACUUM, value_name = "Å")]
    vacuum: f64,
    /// Graphene lattice constant (Å).
    #[arg(long, default_value_t = DEFAULT_A, value_name = "Å")]
    a: f64,
    /// In-plane orientation of the motif: 0, 1, 2 (rotated by 0, 120, 240°).
    #[arg(long, default_value_t = 0)]
    orientation: u8,
    /// Target M-N distance of the out-of-plane MN3 motif (Å).
    #[arg(long, default_value_t = DEFAULT_MN3_DISTANCE, value_name = "Å")]
    mn3_distance: f64,
    /// Output formats, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "poscar,xyz,cif")]
    format: Vec<String>,
    /// Selective dynamics: freeze atoms farther than R Å from every metal.
    #[arg(long, value_name = "R")]
    fix_beyond: Option<f64>,
    /// Initial magnetic moments (µB) overriding the Materials Project
    /// defaults, e.g. Co=1.0,Mn=3.
    #[arg(long, value_delimiter = ',', value_name = "EL=MU")]
    magmom: Vec<String>,
    /// Accept a site closer than 12 Å to its periodic images.
    #[arg(long)]
    allow_small: bool,
    /// A reaction intermediate ADS@SITE: ADS one of CO2, COOH, CO, H, OH, O,
    /// OOH, N2; SITE a metal of the model (top) or 'bridge' (dual sites).
    #[arg(long, value_name = "ADS@SITE")]
    adsorbate: Option<String>,
    /// Height of the adsorbate's binding atom above the metal (top) or the
    /// metals' midpoint (bridge) [default: the library's distance].
    #[arg(long, value_name = "Å", requires = "adsorbate")]
    adsorbate_height: Option<f64>,
    /// Rotation of the adsorbate about the surface normal.
    #[arg(
        long,
        value_name = "DEG",
        default_value_t = 0.0,
        requires = "adsorbate"
    )]
    adsorbate_rotation: f64,
    /// Selective dynamics by bonds: metals, adsorbate and N bonded shells
    /// relax, the rest is fixed [default: 2 with --adsorbate].
    #[arg(long, value_name = "N", conflicts_with = "fix_beyond")]
    free_shells: Option<usize>,
    /// Model name (file stem and POSCAR title) [default: preset or motif name].
    #[arg(long)]
    name: Option<String>,
    /// Output directory [default: ./NAME].
    #[arg(short, long, value_name = "DIR")]
    output: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct InspectArgs {
    /// A POSCAR/CONTCAR/*.vasp or (extended) XYZ file.
    file: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

fn sample_spec(args: &SampleArgs) -> Result<SampleSpec> {
    let bad_size = || {
        anyhow::anyhow!(
            "invalid --size '{}': expected XxY in nm, e.g. 20x20",
            args.size
        )
    };
    let (x, y) = args.size.split_once(['x', 'X']).ok_or_else(bad_size)?;
    let size_nm = [
        x.trim().parse().map_err(|_| bad_size())?,
        y.trim().parse().map_err(|_| bad_size())?,
    ];
    let support = match args.support.trim().to_ascii_lowercase().as_str() {
        "none" => Support::None,
        "amorphous" => Support::Amorphous {
            thickness_nm: args.support_thickness,
            density_g_cm3: args.support_density,
        },
        other => match other.strip_prefix("layers:").map(str::parse::<usize>) {
            Some(Ok(count)) => Support::Layers { count },
            _ => bail!(
                "invalid --support '{other}': valid: none, amorphous, layers:N (e.g. layers:5)"
            ),
        },
    };
    let mut spec = SampleSpec {
        size_nm,
        a: args.a,
        density: args.density,
        mix: sample::parse_mix(&args.mix)?,
        min_separation: args.min_separation,
        placement: PlacementMode::Random,
        n_doping_percent: args.n_doping,
        pyridinic_fraction: args.pyridinic_fraction,
        vacancies_percent: args.vacancies,
        support,
        both_faces: args.both_faces,
        mn3_distance: args.mn3_distance,
        vacuum: args.vacuum,
        seed: args.seed,
    };
    if args.placement == "clustered" {
        let distance = args
            .cluster_distance
            .unwrap_or_else(|| 1.5 * spec.separation());
        spec.placement = PlacementMode::Clustered {
            fraction: args.cluster_fraction,
            distance,
        };
    }
    Ok(spec)
}

fn run_sample(args: SampleArgs) -> Result<()> {
    let spec = sample_spec(&args)?;
    let formats = parse_formats(&args.format)?;
    let built = sample::build_sample(&spec)?;
    let files = sacsim::export::sample::write_sample(&built, &args.output, &formats)?;
    let [bx, by] = built.box_angstrom;
    println!(
        "sample {:.1} x {:.1} nm: {} sites ({:.3} per nm²), {} atoms, min separation {:.2} Å, seed {}",
        bx / 10.0,
        by / 10.0,
        built.sites.len(),
        built.sites.len() as f64 / (bx * by / 100.0),
        built.structure.len(),
        built.min_separation,
        spec.seed
    );
    print_written(&args.output, &files);
    Ok(())
}

fn parse_formats(names: &[String]) -> Result<Vec<Format>> {
    Ok(names
        .iter()
        .map(|f| Format::from_name(f))
        .collect::<Result<Vec<_>, _>>()?)
}

fn print_written(dir: &std::path::Path, files: &[PathBuf]) {
    let names: Vec<String> = files
        .iter()
        .filter_map(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .collect();
    println!("wrote {}/ {}", dir.display(), names.join(" "));
}

/// Parse comma-separated numbers, exactly `n` of them.
fn numbers(text: &str, n: usize, flag: &str, example: &str) -> Result<Vec<f64>> {
    let v: Vec<f64> = text
        .split(',')
        .map(|t| t.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            anyhow::anyhow!("invalid {flag} '{text}': expected {n} numbers, e.g. {example}")
        })?;
    if v.len() != n {
        bail!("invalid {flag} '{text}': expected {n} numbers, e.g. {example}");
    }
    Ok(v)
}

fn imaging_of(args: &SimulateArgs) -> Result<Imaging> {
    let det = numbers(&args.detector, 2, "--detector", "80,200")?;
    let model = match args.model.trim().to_ascii_lowercase().as_str() {
        "phase-object" | "moliere" => CrossSectionModel::PhaseObject,
        "born" => CrossSectionModel::Born,
        "zn" => CrossSectionModel::PowerLaw { exponent: 1.7 },
        other => match other.strip_prefix("zn:").map(str::parse::<f64>) {
            Some(Ok(exponent)) => CrossSectionModel::PowerLaw { exponent },
            _ => bail!(
                "invalid --model '{}': valid: phase-object, born, zn, zn:N (e.g. zn:1.7)",
                args.model
            ),
        },
    };
    let aberrations = Aberrations {
        c1: -args.defocus,
        c3: args.cs * 1e4,
        c5: args.c5 * 1e7,
        a1: args.astigmatism,
        a1_angle: args.astigmatism_angle.to_radians(),
    };
    Ok(Imaging {
        probe: Probe {
            kv: args.kv,
            convergence_mrad: args.alpha,
            aberrations,
            focal_spread: args.focal_spread,
            source_fwhm: args.source_size,
        },
        detector: Detector {
            inner_mrad: det[0],
            outer_mrad: det[1],
        },
        model,
        thermal_rms: args.thermal,
        allow_bright_field: args.bright_field,
    })
}

fn run_simulate(args: SimulateArgs) -> Result<()> {
    let imaging = imaging_of(&args)?;
    let shape = match &args.shape {
        Some(s) => {
            let (nx, ny) = parse_size(s, "--shape")?;
            Some([nx, ny])
        }
        None => None,
    };
    let window = match &args.window {
        Some(w) => {
            let v = numbers(w, 4, "--window", "0,0,50,50")?;
            Some([v[0], v[1], v[2], v[3]])
        }
        None => None,
    };
    let scan = Scan {
        pixel: args.pixel,
        shape,
        window,
    };
    let drift = numbers(&args.drift, 2, "--drift", "5,-2")?;
    let acquisition = Acquisition {
        dose: args.dose,
        detector_noise: args.detector_noise,
        line_offset: args.line_offset,
        line_jitter: args.line_jitter,
        flyback: args.flyback,
        drift: [drift[0], drift[1]],
        probe_jitter: args.probe_jitter,
        seed: args.seed,
    };
    let structure = io::read_structure(&args.structure)?;
    let sim = sacsim::stem::acquire_image(&structure, &imaging, &scan, &acquisition)?;
    let files = sacsim::export::simulate::write_simulation(
        &args.output,
        &args.structure,
        &structure,
        &sim,
        &imaging,
        &scan,
        &acquisition,
        args.all_atoms,
    )?;
    let img = &sim.image;
    let xs: Vec<String> = sim
        .cross_sections
        .iter()
        .map(|(e, s)| format!("{e} {s:.3e}"))
        .collect();
    println!(
        "{} x {} px of {:.3} x {:.3} Å ({:.1} x {:.1} nm), {} kV, {} mrad, detector {}-{} mrad; cross sections (Å²): {}",
        img.nx,
        img.ny,
        img.pixel[0],
        img.pixel[1],
        img.nx as f64 * img.pixel[0] / 10.0,
        img.ny as f64 * img.pixel[1] / 10.0,
        imaging.probe.kv,
        imaging.probe.convergence_mrad,
        imaging.detector.inner_mrad,
        imaging.detector.outer_mrad,
        xs.join(", ")
    );
    print_written(&args.output, &files);
    Ok(())
}

fn run_analyze(args: AnalyzeArgs) -> Result<()> {
    let elements = if args.elements.is_empty() {
        None
    } else {
        Some(
            args.elements
                .iter()
                .map(|e| Element::from_symbol(e))
                .collect::<Result<Vec<_>, _>>()?,
        )
    };
    let region = match (&args.region, &args.periodic_box) {
        (Some(r), _) => {
            let v = numbers(r, 4, "--region", "0,0,200,200")?;
            Some(Region::Open {
                origin: [v[0], v[1], 0.0],
                size: [v[2], v[3], 0.0],
            })
        }
        (None, Some(b)) => {
            let (x, y) = b.split_once(['x', 'X']).ok_or_else(|| {
                anyhow::anyhow!("invalid --box '{b}': expected LXxLY in Å, e.g. 200x200")
            })?;
            let (x, y): (f64, f64) = (x.trim().parse()?, y.trim().parse()?);
            Some(Region::Periodic { size: [x, y, 0.0] })
        }
        _ => None,
    };
    let opts = LoadOptions {
        elements,
        three_d: args.three_d,
        pixel_size: args.pixel_size,
        region,
    };
    let positions = positions::load(&args.input, &opts)?;
    let w = numbers(&args.pair_window, 2, "--pair-window", "0.20,0.30")?;
    let settings = PairSettings {
        bin_nm: args.bin,
        window_nm: [w[0], w[1]],
        group_cutoff_nm: args.group_cutoff,
        gr_max_nm: args.gr_max,
        gr_bin_nm: args.gr_bin,
        bootstrap: args.bootstrap,
        monte_carlo: args.monte_carlo,
        seed: args.seed,
    };
    let (stats, nn) = pairstats::analyze_with_neighbours(&positions, &settings)?;
    let files = sacsim::export::analyze::write_analysis(
        &args.output,
        &args.input,
        &positions,
        &nn,
        &stats,
    )?;
    print!("{stats}");
    print_written(&args.output, &files);
    Ok(())
}

fn run_detect(args: DetectArgs) -> Result<()> {
    let raster = io::raster::read_image(&args.image)?;
    if let Some(w) = &raster.warning {
        eprintln!("sacsim: warning: {w}");
    }
    let p = args
        .pixel_size
        .split(',')
        .map(|v| v.trim().parse::<f64>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| {
            anyhow::anyhow!("invalid --pixel-size '{}': give Å, or X,Y", args.pixel_size)
        })?;
    let pixel = match p[..] {
        [x] => [x, x],
        [x, y] => [x, y],
        _ => bail!("invalid --pixel-size '{}': give Å, or X,Y", args.pixel_size),
    };
    let mut settings = DetectSettings::new(pixel);
    settings.threshold = args.threshold;
    settings.smoothing = args.smoothing;
    settings.background = args.background;
    settings.min_separation = args.min_separation;
    if !args.elements.is_empty() {
        let e = args
            .elements
            .iter()
            .map(|e| Element::from_symbol(e))
            .collect::<Result<Vec<_>, _>>()?;
        if e.len() != 2 {
            bail!("invalid --elements: give two, lighter first, e.g. Mn,Co");
        }
        settings.elements = Some([e[0], e[1]]);
    }
    let result = detect::detect(&raster.data, raster.nx, raster.ny, &settings)?;
    let files =
        sacsim::export::detect::write_detections(&args.output, &args.image, &raster.data, &result)?;
    println!(
        "{} atoms in {} x {} px (noise σ {:.4e}, threshold {}σ)",
        result.detections.len(),
        raster.nx,
        raster.ny,
        result.noise_sigma,
        settings.threshold
    );
    print_written(&args.output, &files);
    Ok(())
}

fn run_evaluate(args: EvaluateArgs) -> Result<()> {
    let detections = positions::load(&args.detections, &LoadOptions::default())?;
    let truth = positions::load(&args.truth, &LoadOptions::default())?;
    let s = sacsim::analysis::evaluate::evaluate(&detections, &truth, args.radius)?;
    let acc = s.element_accuracy.map_or(String::new(), |a| {
        format!(", elements {:.1} % right", 100.0 * a)
    });
    println!(
        "{} detections, {} true atoms, {} matched within {} Å: precision {:.4}, recall {:.4}, F1 {:.4}, RMSE {:.1} pm{acc}",
        s.detections, s.truth, s.matched, s.radius_angstrom, s.precision, s.recall, s.f1, s.rmse_pm
    );
    if let Some(path) = &args.output {
        io::write_atomic(path, (serde_json::to_string_pretty(&s)? + "\n").as_bytes())?;
    }
    Ok(())
}

fn run_main(args: RunArgs) -> Result<()> {
    let study = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            sacsim::run::Study::from_toml(&text, &path.display().to_string())?
        }
        None => sacsim::run::Study::from_toml(sacsim::run::DEFAULT_STUDY, "the embedded study")?,
    };
    let t = std::time::Instant::now();
    let results = sacsim::run::run_study(&study, &args.output)?;
    println!(
        "{:<12} {:>6} {:>9} {:>18} {:>7} {:>8} {:>8} {:>6}",
        "catalyst",
        "sites",
        "detected",
        "pairs % [95 % CI]",
        "truth %",
        "random %",
        "peak nm",
        "F1"
    );
    for r in &results {
        println!(
            "{:<12} {:>6} {:>9} {:>6.1} [{:>4.1}, {:>4.1}] {:>7.1} {:>8.1} {:>8.3} {:>6.3}",
            r.name,
            r.sites,
            r.detected,
            100.0 * r.pair_fraction[0],
            100.0 * r.pair_fraction[1],
            100.0 * r.pair_fraction[2],
            100.0 * r.pair_fraction_truth,
            100.0 * r.pair_fraction_random,
            r.peak_nm,
            r.f1
        );
    }
    let series: String = study
        .study
        .reactions
        .iter()
        .map(|r| format!(", series-{}/", r.to_ascii_lowercase()))
        .collect();
    println!(
        "done in {:.1} s: {}/report.html, report.md, summary.json{series} and one directory per catalyst",
        t.elapsed().as_secs_f64(),
        args.output.display()
    );
    Ok(())
}

/// A progress bar on a terminal, a line every ~10 % otherwise.
struct Reporter {
    bar: Option<indicatif::ProgressBar>,
    done: std::sync::atomic::AtomicUsize,
    total: usize,
}

impl sacsim::dataset::Progress for Reporter {
    fn tick(&self) {
        let n = self.done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        match &self.bar {
            Some(b) => b.inc(1),
            None if n == self.total || n.is_multiple_of((self.total / 10).max(1)) => {
                eprintln!("sacsim dataset: {n}/{} images", self.total)
            }
            None => {}
        }
    }
}

fn run_dataset(args: DatasetArgs) -> Result<()> {
    if let Some(DatasetAction::Merge { shards, output }) = args.action {
        let n = sacsim::dataset::merge(&output, &shards)?;
        println!(
            "merged {} shards: {n} images in {}/",
            shards.len(),
            output.display()
        );
        return Ok(());
    }
    let config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            sacsim::dataset::config::DatasetConfig::from_toml(&text, &path.display().to_string())?
        }
        None => sacsim::dataset::config::DatasetConfig::default(),
    };
    let count = args
        .count
        .context("give --count N (images in the whole run)")?;
    let shard = match &args.shard {
        Some(s) => {
            let (i, n) = s
                .split_once('/')
                .with_context(|| format!("invalid --shard '{s}': expected I/N, e.g. 0/4"))?;
            (
                i.trim()
                    .parse::<usize>()
                    .with_context(|| format!("invalid --shard '{s}'"))?,
                n.trim()
                    .parse::<usize>()
                    .with_context(|| format!("invalid --shard '{s}'"))?,
            )
        }
        None => (0, 1),
    };
    let run = sacsim::dataset::Run {
        config,
        count,
        shard,
    };
    let todo = (0..count)
        .filter(|k| shard.1 > 0 && k % shard.1 == shard.0)
        .count();
    use std::io::IsTerminal;
    let bar = std::io::stderr().is_terminal().then(|| {
        let b = indicatif::ProgressBar::new(todo as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{elapsed_precise} [{bar:40}] {pos}/{len} images, {per_sec}, ETA {eta}",
            )
            .expect("template"),
        );
        b
    });
    let reporter = Reporter {
        bar,
        done: 0.into(),
        total: todo,
    };
    let t = std::time::Instant::now();
    let made = sacsim::dataset::generate(&run, &args.output, args.force, &reporter)?;
    if let Some(b) = &reporter.bar {
        b.finish_and_clear();
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{made} images generated ({} already done) in {secs:.1} s ({:.1} images/s) -> {}/",
        todo - made,
        made as f64 / secs.max(1e-9),
        args.output.display()
    );
    Ok(())
}

/// Parse `6x6` into (6, 6).
fn parse_size(text: &str, flag: &str) -> Result<(usize, usize)> {
    let parts: Vec<&str> = text.split(['x', 'X']).collect();
    let bad =
        || anyhow::anyhow!("invalid {flag} '{text}': expected NxM with whole numbers, e.g. 6x6");
    if parts.len() != 2 {
        return Err(bad());
    }
    Ok((
        parts[0].trim().parse().map_err(|_| bad())?,
        parts[1].trim().parse().map_err(|_| bad())?,
    ))
}

fn parse_magmoms(items: &[String]) -> Result<Magmoms> {
    let mut magmoms = Magmoms::default();
    for item in items {
        let (el, mu) = item.split_once('=').with_context(|| {
            format!("invalid --magmom '{item}': expected ELEMENT=MOMENT, e.g. Co=1.0")
        })?;
        let element = Element::from_symbol(el)?;
        let mu: f64 = mu
            .trim()
            .parse()
            .ok()
            .filter(|m: &f64| m.is_finite())
            .with_context(|| {
                format!("invalid --magmom '{item}': the moment must be a number in µB")
            })?;
        magmoms.overrides.insert(element, mu);
    }
    Ok(magmoms)
}

fn model_spec(args: &BuildArgs) -> Result<ModelSpec> {
    let mut spec = match (&args.preset, &args.motif) {
        (Some(p), None) => ModelSpec::from_preset(Preset::from_name(p)?),
        (None, Some(m)) => {
            let metals = args
                .metals
                .iter()
                .map(|s| Element::from_symbol(s))
                .collect::<Result<Vec<_>, _>>()?;
            ModelSpec::new(Motif::from_name(m)?, metals)
        }
        _ => bail!(
            "name a preset ({}) or give --motif and --metals (motifs: {})",
            PRESETS.map(|p| p.name).join(", "),
            Motif::ALL.map(|m| m.name()).join(", ")
        ),
    };
    spec.cell = match (&args.cell, &args.rect) {
        (_, Some(r)) => {
            let (n, m) = parse_size(r, "--rect")?;
            GrapheneCell::rectangular(n, m)
        }
        (Some(c), None) => {
            let (n, m) = parse_size(c, "--cell")?;
            GrapheneCell::hexagonal(n, m)
        }
        (None, None) => spec.cell,
    };
    spec.cell.a = args.a;
    spec.cell.vacuum = args.vacuum;
    spec.orientation = args.orientation;
    spec.mn3_distance = args.mn3_distance;
    spec.fix_beyond = args.fix_beyond;
    spec.allow_small = args.allow_small;
    spec.free_shells = args.free_shells;
    if let Some(text) = &args.adsorbate {
        let mut ads = sacsim::model::AdsorbateSpec::parse(text)?;
        ads.height = args.adsorbate_height;
        ads.rotation = args.adsorbate_rotation;
        spec.name = format!("{}-{}-{}", spec.name, ads.adsorbate, ads.site);
        spec.adsorbate = Some(ads);
    }
    if let Some(name) = &args.name {
        if name.is_empty() || name.contains(['/', '\\']) {
            bail!("invalid --name '{name}': use a plain file stem without path separators");
        }
        spec.name = name.clone();
    }
    Ok(spec)
}

fn run_build(args: BuildArgs) -> Result<()> {
    let spec = model_spec(&args)?;
    let formats = parse_formats(&args.format)?;
    let magmoms = parse_magmoms(&args.magmom)?;
    let model = model::build_model(&spec)?;
    let dir = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(&spec.name));
    let files = sacsim::export::write_model(&model, &dir, &formats, &magmoms)?;
    let s = &model.structure;
    println!(
        "{}: {} ({} atoms), {} {}x{} cell, motif {}",
        spec.name,
        s.formula(),
        s.len(),
        format!("{:?}", spec.cell.shape).to_lowercase(),
        spec.cell.n,
        spec.cell.m,
        spec.motif
    );
    for m in inspect::metal_reports(s) {
        println!("  {}: {}", m.element, m.shell_line());
    }
    print_written(&dir, &files);
    Ok(())
}

fn run_series(args: SeriesArgs) -> Result<()> {
    use sacsim::export::series::{SeriesSpec, write_series};
    let spec = SeriesSpec {
        presets: args.presets.clone(),
        reaction: sacsim::model::Reaction::from_name(&args.reaction)?,
        bridge: args.bridge,
        free_shells: args.free_shells,
    };
    let formats = parse_formats(&args.format)?;
    let magmoms = parse_magmoms(&args.magmom)?;
    let index = write_series(&spec, &args.output, &formats, &magmoms)?;
    for m in &index.models {
        println!(
            "{:<34} {:<16} {:>4} atoms, {:>3} free",
            m.path, m.formula, m.atoms, m.free_atoms
        );
    }
    for g in &index.gas {
        println!("{:<34} {} Å box", g.path, g.box_angstrom);
    }
    println!(
        "{} models and {} gas references in {}/ (index: series.json)",
        index.models.len(),
        index.gas.len(),
        args.output.display()
    );
    Ok(())
}

fn run_inspect(args: InspectArgs) -> Result<()> {
    let structure = io::read_structure(&args.file)?;
    let report = inspect::inspect(&structure);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("file         {}", args.file.display());
        print!("{report}");
    }
    Ok(())
}

/// Entry point: parse, run, print `sacsim: error` on failure.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Build(args) => run_build(*args),
        Command::Series(args) => run_series(args),
        Command::Inspect(args) => run_inspect(args),
        Command::Sample(args) => run_sample(*args),
        Command::Simulate(args) => run_simulate(*args),
        Command::Analyze(args) => run_analyze(*args),
        Command::Detect(args) => run_detect(*args),
        Command::Evaluate(args) => run_evaluate(args),
        Command::Dataset(args) => run_dataset(*args),
        Command::Run(args) => run_main(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sacsim: {e:#}");
            ExitCode::FAILURE
        }
    }
}
