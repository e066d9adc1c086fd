//! `sacsim train`: train the heatmap detector on simulated images.

use std::path::PathBuf;

use anyhow::Result;

use sacsim::learn::train::{TrainConfig, train};

/// Arguments of `sacsim train`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Training configuration: a dataset configuration plus `[train]`
    /// (seed, steps, batch, patch, width, learning_rate, ...).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Output directory: detector.safetensors, checkpoint.json,
    /// loss.csv, loss.png, train.toml; a rerun resumes from it.
    #[arg(short, long, value_name = "DIR", default_value = "model")]
    output: PathBuf,
}

/// Run `sacsim train`.
pub fn run(args: Args) -> Result<()> {
    let text = super::read_text(&args.config)?;
    let config = TrainConfig::from_toml(&text, &args.config.display().to_string())?;
    sacsim::output::prepare_dir(&args.output)?;
    sacsim::io::write_atomic(&args.output.join("train.toml"), text.as_bytes())?;
    let t = std::time::Instant::now();
    let steps = config.train.steps;
    train(&config, &args.output, |step, loss| {
        if step % 10 == 0 || step == steps {
            eprintln!(
                "step {step}/{steps}: loss {loss:.5} ({:.1} s)",
                t.elapsed().as_secs_f64()
            );
        }
    })?;
    // The loss history of every run into this directory (train writes
    // it at each checkpoint).
    let csv = std::fs::read_to_string(args.output.join("loss.csv")).unwrap_or_default();
    let points: Vec<(f64, f64)> = csv
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(','))
        .filter_map(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
        .collect();
    sacsim::io::write_atomic(
        &args.output.join("loss.png"),
        &sacsim::output::figure::line_png("Training loss", "step", "weighted BCE", &points),
    )?;
    println!(
        "trained to step {steps} in {:.1} s: {}/detector.safetensors, loss.csv, loss.png",
        t.elapsed().as_secs_f64(),
        args.output.display()
    );
    Ok(())
}
