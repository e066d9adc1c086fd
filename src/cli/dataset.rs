//! `sacsim dataset`: synthetic training sets, sharded and resumable.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result};

use sacsim::dataset::config::DatasetConfig;
use sacsim::values::Shard;

/// Arguments of `sacsim dataset`.
#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    action: Option<Action>,
    /// Number of images of the whole run.
    #[arg(long)]
    count: Option<usize>,
    /// TOML configuration [default: the built-in L-Co1Mn1-NC survey set].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Generate only shard I of N (images k with k mod N = I).
    #[arg(long, value_name = "I/N", default_value_t = Shard::default())]
    shard: Shard,
    /// Overwrite a directory that holds a different run.
    #[arg(long)]
    force: bool,
    /// Output directory.
    #[arg(short, long, value_name = "DIR", default_value = "dataset")]
    output: PathBuf,
}

#[derive(clap::Subcommand, Debug)]
enum Action {
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

/// A progress bar on a terminal, a line every ~10 % otherwise.
struct Reporter {
    bar: Option<indicatif::ProgressBar>,
    done: AtomicUsize,
    total: usize,
}

impl sacsim::dataset::Progress for Reporter {
    fn tick(&self) {
        let n = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        match &self.bar {
            Some(b) => b.inc(1),
            None if n == self.total || n.is_multiple_of((self.total / 10).max(1)) => {
                eprintln!("sacsim dataset: {n}/{} images", self.total)
            }
            None => {}
        }
    }
}

/// Run `sacsim dataset` (or `dataset merge`).
pub fn run(args: Args) -> Result<()> {
    if let Some(Action::Merge { shards, output }) = args.action {
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
            DatasetConfig::from_toml(&super::read_text(path)?, &path.display().to_string())?
        }
        None => DatasetConfig::default(),
    };
    let count = args
        .count
        .context("give --count N (images in the whole run)")?;
    let shard = args.shard;
    let run = sacsim::dataset::Run {
        config,
        count,
        shard,
    };
    // Images k < count with k mod N = I, counted without a loop.
    let todo = count / shard.count + usize::from(count % shard.count > shard.index);
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
