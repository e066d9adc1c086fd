//! `sacsim build`: one DFT-ready model.

use std::path::PathBuf;

use anyhow::Result;

use sacsim::analysis::inspect;
use sacsim::io::Format;
use sacsim::io::incar::Magmoms;
use sacsim::model::{
    self, AdsorbateSpec, BuildRequest, DEFAULT_A, DEFAULT_MN3_DISTANCE, DEFAULT_VACUUM, ModelSpec,
    Motif, Preset,
};
use sacsim::structure::Element;
use sacsim::values::{Dims, Moment};

/// Arguments of `sacsim build`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A named model: co1-nc, mn1-nc, co1mn1-nc, l-co1mn1-nc, l-co2-nc, l-mn2-nc.
    preset: Option<Preset>,
    /// Site motif: pristine, mn4, mn3c1, mn3, m2n6-bridged, m2n6-low, m1m2-n8.
    #[arg(long, conflicts_with = "preset")]
    motif: Option<Motif>,
    /// Metal(s) of the motif, in placement order, e.g. Co or Co,Mn.
    #[arg(long, value_delimiter = ',', requires = "motif")]
    metals: Vec<Element>,
    /// Hexagonal supercell n x m of the primitive cell [default: 6x6].
    #[arg(long, value_name = "NxM", conflicts_with = "rect")]
    cell: Option<Dims<usize>>,
    /// Rectangular (orthogonal) supercell: n·a along x, m·a·√3 along y.
    #[arg(long, value_name = "NxM")]
    rect: Option<Dims<usize>>,
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
    format: Vec<Format>,
    /// Selective dynamics: freeze atoms farther than R Å from every metal.
    #[arg(long, value_name = "R")]
    fix_beyond: Option<f64>,
    /// Initial magnetic moments (µB) overriding the Materials Project
    /// defaults, e.g. Co=1.0,Mn=3.
    #[arg(long, value_delimiter = ',', value_name = "EL=MU")]
    magmom: Vec<Moment>,
    /// Accept a site closer than 12 Å to its periodic images.
    #[arg(long)]
    allow_small: bool,
    /// A reaction intermediate ADS@SITE: ADS one of CO2, COOH, CO, H, OH, O,
    /// OOH, N2; SITE a metal of the model (top) or 'bridge' (dual sites).
    #[arg(long, value_name = "ADS@SITE")]
    adsorbate: Option<AdsorbateSpec>,
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

/// Moments given as `EL=MU` over the Materials Project defaults.
pub fn magmoms(items: &[Moment]) -> Magmoms {
    let mut m = Magmoms::default();
    for item in items {
        m.overrides.insert(item.element, item.mu_b);
    }
    m
}

fn model_spec(args: &Args) -> Result<ModelSpec> {
    let request = BuildRequest {
        preset: args.preset,
        motif: args.motif,
        metals: args.metals.clone(),
        cell: args.cell.map(|Dims(d)| d),
        rect: args.rect.map(|Dims(d)| d),
        vacuum: args.vacuum,
        a: args.a,
        orientation: args.orientation,
        mn3_distance: args.mn3_distance,
        fix_beyond: args.fix_beyond,
        allow_small: args.allow_small,
        adsorbate: args.adsorbate,
        adsorbate_height: args.adsorbate_height,
        adsorbate_rotation: args.adsorbate_rotation,
        free_shells: args.free_shells,
        name: args.name.clone(),
    };
    Ok(request.spec()?)
}

/// Run `sacsim build`.
pub fn run(args: Args) -> Result<()> {
    let spec = model_spec(&args)?;
    let model = model::build_model(&spec)?;
    let dir = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(&spec.name));
    let files = sacsim::output::write_model(&model, &dir, &args.format, &magmoms(&args.magmom))?;
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
    super::print_written(&dir, &files);
    Ok(())
}
