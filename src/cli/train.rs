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
    /// Write the first N training examples as preview.png (what the
    /// network sees, normalised, with the target heatmap in red and atoms
    /// too faint to see, which the loss ignores, in blue) and stop.
    #[arg(long, value_name = "N")]
    preview: Option<usize>,
}

/// Run `sacsim train`.
pub fn run(args: Args) -> Result<()> {
    let text = super::read_text(&args.config)?;
    let config = TrainConfig::from_toml(&text, &args.config.display().to_string())?;
    sacsim::output::prepare_dir(&args.output)?;
    sacsim::io::write_atomic(&args.output.join("train.toml"), text.as_bytes())?;
    if let Some(n) = args.preview {
        let png = preview(&config, n)?;
        let path = args.output.join("preview.png");
        sacsim::io::write_atomic(&path, &png)?;
        println!("{n} training examples: {}", path.display());
        return Ok(());
    }
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
    if let Some(from) = config.train.average_from {
        println!(
            "averaged the weights of the checkpoints from step {from}: {}/averaged.safetensors (the model to use)",
            args.output.display()
        );
    }
    Ok(())
}

/// The first `n` (1-64) examples side by side in rows of eight: input
/// mapped from −3..6 (asinh units) to black..white, target in red.
fn preview(config: &TrainConfig, n: usize) -> Result<Vec<u8>> {
    if !(1..=64).contains(&n) {
        anyhow::bail!(sacsim::Error::invalid(
            "--preview",
            format!("{n}: give 1 to 64 examples")
        ));
    }
    let p = config.train.patch;
    let (cols, rows) = (n.min(8), n.div_ceil(8));
    let (w, h) = (cols * (p + 2), rows * (p + 2));
    let mut rgb = vec![0u8; w * h * 3];
    for k in 0..n {
        let e = sacsim::learn::train::example(config, k)?;
        let (input, target, mask) = (e.input, e.target, e.mask);
        let (ox, oy) = ((k % 8) * (p + 2), (k / 8) * (p + 2));
        for y in 0..p {
            for x in 0..p {
                let v = ((input[y * p + x] + 3.0) / 9.0).clamp(0.0, 1.0);
                let t = target[y * p + x];
                let grey = (v * 255.0) as u8;
                let i = ((oy + y) * w + ox + x) * 3;
                rgb[i] = grey.max((t * 255.0) as u8);
                rgb[i + 1] = grey;
                // Ignored (too faint to see): blue.
                rgb[i + 2] = if mask[y * p + x] == 0.0 { 255 } else { grey };
            }
        }
    }
    Ok(sacsim::output::figure::encode_rgb(&rgb, w as u32, h as u32))
}
