//! `sacsim sample`: a large sample with its ground truth.

use std::path::PathBuf;

use anyhow::Result;

use sacsim::config::SampleConfig;
use sacsim::io::Format;
use sacsim::values::angstrom_to_nm;

/// Arguments of `sacsim sample`: the [`SampleConfig`] flags and where to
/// write.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The sample.
    #[command(flatten)]
    pub config: SampleConfig,
    /// Structure formats: xyz, poscar.
    #[arg(long, value_delimiter = ',', default_value = "xyz")]
    format: Vec<Format>,
    /// Output directory.
    #[arg(short, long, value_name = "DIR", default_value = "sample")]
    output: PathBuf,
}

/// Run `sacsim sample`.
pub fn run(args: Args) -> Result<()> {
    let spec = args.config.spec()?;
    let built = sacsim::model::sample::build_sample(&spec)?;
    let files = sacsim::output::sample::write_sample(&built, &args.output, &args.format)?;
    let [bx, by] = built.box_angstrom.map(angstrom_to_nm);
    println!(
        "sample {bx:.1} x {by:.1} nm: {} sites ({:.3} per nm²), {} atoms, min separation {:.2} Å, seed {}",
        built.sites.len(),
        built.sites.len() as f64 / (bx * by),
        built.structure.len(),
        built.min_separation,
        spec.seed
    );
    super::print_written(&args.output, &files);
    Ok(())
}
