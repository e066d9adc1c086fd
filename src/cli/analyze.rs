//! `sacsim analyze`: pair statistics against the random baseline.

use std::path::PathBuf;

use anyhow::Result;

use sacsim::analysis::pairstats;
use sacsim::config::AnalyzeConfig;
use sacsim::output::load::{LoadOptions, load, load_element_evidence};
use sacsim::structure::{Element, Region};
use sacsim::values::{Dims, Rect};

/// Arguments of `sacsim analyze`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A structure, a CSV of x,y[,element] (Å, or pixels with --pixel-size),
    /// an N x 2 .npy, or a `sample` / `simulate` / `detect` / `build`
    /// output directory.
    input: PathBuf,
    /// Elements to analyse [default: all metals].
    #[arg(long, value_delimiter = ',')]
    elements: Vec<Element>,
    /// Keep z: statistics in 3D instead of projected along z.
    #[arg(long = "3d")]
    three_d: bool,
    /// Pixel size (Å) of pixel-unit CSV/npy input.
    #[arg(long, value_name = "Å")]
    pixel_size: Option<f64>,
    /// Open analysis region x0,y0,width,height (Å) [default: periodic box
    /// of the input, or the points' bounding box].
    #[arg(long, value_name = "X0,Y0,W,H", allow_hyphen_values = true)]
    region: Option<Rect<f64>>,
    /// Periodic analysis box LXxLY (Å).
    #[arg(long = "box", value_name = "LXxLY", conflicts_with = "region")]
    periodic_box: Option<Dims<f64>>,
    /// Statistics settings.
    #[command(flatten)]
    pub config: AnalyzeConfig,
    /// Output directory.
    #[arg(short, long, value_name = "DIR", default_value = "analysis")]
    output: PathBuf,
}

/// Run `sacsim analyze`.
pub fn run(args: Args) -> Result<()> {
    let region = match (args.region, args.periodic_box) {
        (Some(Rect([x0, y0, w, h])), _) => Some(Region::Open {
            origin: [x0, y0, 0.0],
            size: [w, h, 0.0],
        }),
        (None, Some(Dims([x, y]))) => Some(Region::Periodic { size: [x, y, 0.0] }),
        _ => None,
    };
    let opts = LoadOptions {
        elements: (!args.elements.is_empty()).then(|| args.elements.clone()),
        three_d: args.three_d,
        pixel_size: args.pixel_size,
        region,
        as_imaged: false,
    };
    let positions = load(&args.input, &opts)?;
    let (mut stats, nn) = pairstats::analyze_with_neighbours(&positions, &args.config)?;
    // Pair types from the detections' element photometry (unfiltered:
    // the rows must be the detections').
    if args.elements.is_empty()
        && let Some(ev) = load_element_evidence(&args.input)?
        && ev.photometry.len() == positions.len()
    {
        pairstats::with_pair_types(&mut stats, &nn, &ev.photometry, &ev.identity);
    }
    let files = sacsim::output::analyze::write_analysis(
        &args.output,
        &args.input,
        &positions,
        &nn,
        &stats,
    )?;
    print!("{stats}");
    super::print_written(&args.output, &files);
    Ok(())
}
