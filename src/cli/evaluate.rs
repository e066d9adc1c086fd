//! `sacsim evaluate`: detections against the ground truth.

use std::path::PathBuf;

use anyhow::Result;

use sacsim::output::load::{LoadOptions, load};

/// Arguments of `sacsim evaluate`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Detections: a detect directory or a CSV of x,y[,element] (Å).
    detections: PathBuf,
    /// Truth: a simulate directory (its atoms where the image shows them),
    /// a sample directory, a structure, or a CSV (Å).
    truth: PathBuf,
    /// Matching radius (Å).
    #[arg(long, default_value_t = 1.0, value_name = "Å")]
    radius: f64,
    /// Write the scores as JSON here too.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Run `sacsim evaluate`.
pub fn run(args: Args) -> Result<()> {
    let detections = load(&args.detections, &LoadOptions::default())?;
    // A simulate directory's atoms where the image shows them (scan
    // drift moves them), in the detections' frame.
    let truth = load(
        &args.truth,
        &LoadOptions {
            as_imaged: true,
            ..LoadOptions::default()
        },
    )?;
    let s = sacsim::analysis::evaluate::evaluate(&detections, &truth, args.radius)?;
    let acc = s.element_accuracy.map_or(String::new(), |a| {
        format!(", elements {:.1} % right", 100.0 * a)
    });
    // No match: no localisation error to report.
    let rmse = if s.matched > 0 {
        format!("{:.1} pm", s.rmse_pm)
    } else {
        "- (nothing matched)".into()
    };
    println!(
        "{} detections, {} true atoms, {} matched within {} Å: precision {:.4}, recall {:.4}, F1 {:.4}, RMSE {rmse}{acc}",
        s.detections, s.truth, s.matched, s.radius_angstrom, s.precision, s.recall, s.f1
    );
    if let Some(path) = &args.output {
        sacsim::io::write_atomic(path, (serde_json::to_string_pretty(&s)? + "\n").as_bytes())?;
    }
    Ok(())
}
