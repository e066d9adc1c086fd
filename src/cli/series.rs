//! `sacsim series`: every model of a free-energy path.

use std::path::PathBuf;

use anyhow::Result;

use sacsim::io::Format;
use sacsim::model::{Preset, Reaction};
use sacsim::output::series::{SeriesSpec, write_series};
use sacsim::values::Moment;

/// Arguments of `sacsim series`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Presets: co1-nc, mn1-nc, co1mn1-nc, l-co1mn1-nc, l-co2-nc, l-mn2-nc.
    #[arg(required = true)]
    presets: Vec<Preset>,
    /// Reaction: co2rr (*CO2, *COOH, *CO), her (*H), orr (*OOH, *O, *OH).
    #[arg(long, default_value = "co2rr")]
    reaction: Reaction,
    /// Also bridge each intermediate across the two metals of dual sites.
    #[arg(long)]
    bridge: bool,
    /// Bonded shells around the metals that relax; the rest is fixed.
    #[arg(long, default_value_t = sacsim::model::DEFAULT_FREE_SHELLS, value_name = "N")]
    free_shells: usize,
    /// Output formats, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "poscar,xyz,cif")]
    format: Vec<Format>,
    /// Initial magnetic moments (µB) overriding the defaults, e.g. Co=1.0.
    #[arg(long, value_delimiter = ',', value_name = "EL=MU")]
    magmom: Vec<Moment>,
    /// Output directory.
    #[arg(short, long, value_name = "DIR", default_value = "series")]
    output: PathBuf,
}

/// Run `sacsim series`.
pub fn run(args: Args) -> Result<()> {
    let spec = SeriesSpec {
        presets: args.presets.iter().map(|p| p.name.to_string()).collect(),
        reaction: args.reaction,
        bridge: args.bridge,
        free_shells: args.free_shells,
    };
    let magmoms = super::build::magmoms(&args.magmom);
    let index = write_series(&spec, &args.output, &args.format, &magmoms)?;
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
