//! The subcommands, one file each: arguments (the library's config
//! structs, flattened), the call into the library, the summary printed.
//! Every flag value is parsed by the library type's `FromStr`, so a bad
//! value names its flag and exits 2.

pub mod analyze;
pub mod build;
pub mod compare;
pub mod convert;
pub mod dataset;
pub mod detect;
pub mod evaluate;
pub mod image_input;
pub mod inspect;
pub mod profile;
pub mod sample;
pub mod series;
pub mod simulate;
pub mod study;
#[cfg(feature = "net")]
pub mod train;
pub mod twin;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

/// Single- and dual-atom metal catalysts in N-doped graphene: DFT-ready
/// models, HAADF-STEM images and pair statistics.
#[derive(Parser, Debug)]
#[command(name = "sacsim", version, about, long_about = None)]
pub struct Cli {
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Build a DFT-ready model: POSCAR (+ INCAR.magmom), extended XYZ, CIF.
    Build(Box<build::Args>),
    /// Report composition, cell, closest contact and metal coordination.
    Inspect(inspect::Args),
    /// Build a large sample with dispersed sites, support and ground truth.
    Sample(Box<sample::Args>),
    /// Simulate a HAADF-STEM image of a structure or sample.
    Simulate(Box<simulate::Args>),
    /// Pair statistics of metal positions against the random baseline.
    Analyze(Box<analyze::Args>),
    /// Find atoms in a HAADF image (PNG, TIFF, npy, or a simulate directory).
    Detect(Box<detect::Args>),
    /// Convert an image to a calibrated TIFF (or npy/png with its frame).
    Convert(convert::Args),
    /// A synthetic twin of a real image: same size, optics, noise and
    /// contrast, with known truth.
    Twin(Box<twin::Args>),
    /// Intensity line profiles across atoms with a two-peak fit (a line in
    /// Å, or every detected pair).
    Profile(Box<profile::Args>),
    /// Train the learned atom detector on simulated images (feature `net`).
    #[cfg(feature = "net")]
    Train(train::Args),
    /// Score detections against ground truth.
    Evaluate(evaluate::Args),
    /// Generate a synthetic training set (images + COCO/YOLO/heatmap labels).
    Dataset(Box<dataset::Args>),
    /// The main job: the source paper's study end to end, with a report.
    Run(study::Args),
    /// Every model of a free-energy path: clean slabs, intermediates, gases.
    Series(series::Args),
    /// The incoherent model against multislice on one structure: Pearson r
    /// and each metal's signal in both.
    CompareModels(Box<compare::Args>),
}

/// Print a command-line error on one line (`sacsim: ...`) and exit 2;
/// help and version go to stdout with exit 0.
pub fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion)
        || e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    {
        let _ = e.print();
        return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        };
    }
    let text = e.render().to_string();
    let message: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty() && !l.starts_with("Usage:") && !l.starts_with("For more information")
        })
        .collect();
    let line = message.join(" ");
    eprintln!("sacsim: {}", line.strip_prefix("error: ").unwrap_or(&line));
    ExitCode::from(2)
}

/// 2 for a usage error (a bad value, name or request), 1 otherwise.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    use sacsim::Error;
    match e.downcast_ref::<Error>() {
        Some(
            Error::InvalidParameter { .. }
            | Error::UnknownName { .. }
            | Error::UnknownElement { .. }
            | Error::CellTooSmall { .. },
        ) => 2,
        _ => 1,
    }
}

/// `wrote DIR/ a b c`.
pub fn print_written(dir: &Path, files: &[PathBuf]) {
    let names: Vec<String> = files
        .iter()
        .filter_map(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .collect();
    println!("wrote {}/ {}", dir.display(), names.join(" "));
}

/// The text of a configuration file.
pub fn read_text(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}
