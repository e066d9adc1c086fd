//! `sacsim inspect`: composition, cell, closest contact, metal shells.

use std::path::PathBuf;

use anyhow::Result;

use sacsim::analysis::inspect;

/// Arguments of `sacsim inspect`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A POSCAR/CONTCAR/*.vasp or (extended) XYZ file.
    file: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// Run `sacsim inspect`.
pub fn run(args: Args) -> Result<()> {
    let structure = sacsim::io::read_structure(&args.file)?;
    let report = inspect::inspect(&structure);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("file         {}", args.file.display());
        print!("{report}");
    }
    Ok(())
}
