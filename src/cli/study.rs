//! `sacsim run`: the main job, the paper's study end to end.

use std::path::PathBuf;

use anyhow::Result;

use sacsim::run::{DEFAULT_STUDY, Study, run_study};

/// Arguments of `sacsim run`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A study TOML [default: the embedded study, examples/pei2024.toml].
    config: Option<PathBuf>,
    /// Output directory.
    #[arg(short, long, value_name = "DIR", default_value_os_t = sacsim::run::default_output())]
    output: PathBuf,
}

/// Run `sacsim run`.
pub fn run(args: Args) -> Result<()> {
    let study = match &args.config {
        Some(path) => Study::from_toml(&super::read_text(path)?, &path.display().to_string())?,
        None => Study::from_toml(DEFAULT_STUDY, "the embedded study")?,
    };
    let t = std::time::Instant::now();
    let results = run_study(&study, &args.output)?;
    println!(
        "{:<12} {:>6} {:>9} {:>18} {:>7} {:>8} {:>8} {:>6}  {:>10}  {:<28}",
        "catalyst",
        "sites",
        "detected",
        "pairs % [95 % CI]",
        "truth %",
        "random %",
        "peak nm",
        "F1",
        "elements %",
        "heteronuclear pairs % [95 % CI] (truth)"
    );
    for r in &results {
        // A peak only where pairs exceed chance.
        let peak = if r.excess_pairs[1] > 0.0 {
            format!("{:.3}", r.peak_nm)
        } else {
            "-".into()
        };
        let accuracy = r
            .element_accuracy
            .map_or("n/a".into(), |a| format!("{:.1}", 100.0 * a));
        let hetero = r.hetero_pair_fraction.as_ref().map_or("-".into(), |h| {
            format!(
                "{:.1} [{:.1}, {:.1}] ({:.1})",
                100.0 * h.estimate,
                100.0 * h.ci95[0],
                100.0 * h.ci95[1],
                100.0 * h.truth
            )
        });
        println!(
            "{:<12} {:>6} {:>9} {:>6.1} [{:>4.1}, {:>4.1}] {:>7.1} {:>8.1} {:>8} {:>6.3}  {:>10}  {hetero}",
            r.name,
            r.sites,
            r.detected,
            100.0 * r.pair_fraction[0],
            100.0 * r.pair_fraction[1],
            100.0 * r.pair_fraction[2],
            100.0 * r.pair_fraction_truth,
            100.0 * r.pair_fraction_random,
            peak,
            r.f1,
            accuracy
        );
    }
    let series: String = study
        .study
        .reactions
        .iter()
        .map(|r| format!(", series-{r}/"))
        .collect();
    println!(
        "done in {:.1} s: {}/report.html, report.md, summary.json{series} and one directory per catalyst",
        t.elapsed().as_secs_f64(),
        args.output.display()
    );
    Ok(())
}
