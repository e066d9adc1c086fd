//! Calibration by simulation: does the heteronuclear-fraction interval
//! hold its 95 %? Repeats sample -> simulate -> detect --elements ->
//! analyze over seeds, for each dose and support thickness, and prints the
//! coverage of the interval, its mean width, the mean error of the
//! estimate and the per-atom element accuracy (a Markdown table; the
//! README's table came from the default arguments).
//!
//! ```sh
//! cargo run --release --example identity_calibration -- [SEEDS] [DOSES] [SUPPORTS_NM]
//! cargo run --release --example identity_calibration -- 40 1e4,1e5,1e6 0,2,5
//! ```
//!
//! The sample is 20 x 20 nm at 0.5 sites/nm² with half the sites Co-Mn
//! pairs and a fifth each Co-Co and Mn-Mn (so the truth is about 0.5
//! heteronuclear, the hardest case), 80 kV, 30 mrad, 80-200 mrad, 0.1 Å
//! pixels; seed k of a cell uses seeds 1000 + k everywhere.

use rayon::prelude::*;

use sacsim::analysis::detect::{DetectConfig, detect};
use sacsim::analysis::evaluate::evaluate;
use sacsim::analysis::pairstats::{
    AnalyzeConfig, analyze_with_neighbours, mutual_pairs, with_pair_types,
};
use sacsim::model::sample::{SampleSpec, Support, SupportShape, build_sample, parse_mix};
use sacsim::run::field_positions;
use sacsim::stem::acquire_image;
use sacsim::stem::incoherent::{Imaging, Scan};
use sacsim::stem::noise::Acquisition;
use sacsim::stem::truth::truth_atoms;
use sacsim::structure::Element;
use sacsim::values::Pair;

const MIX: &str = "l-comn:0.4,l-co2:0.2,l-mn2:0.2,co-n4:0.1,mn-n4:0.1";

/// One repetition: (covered, interval width, estimate − truth, accuracy).
struct Rep {
    covered: bool,
    width: f64,
    error: f64,
    accuracy: f64,
    resolving_power: f64,
}

fn repetition(dose: f64, support_nm: f64, seed: u64) -> sacsim::Result<Option<Rep>> {
    let spec = SampleSpec {
        size_nm: [20.0, 20.0],
        density: 0.5,
        mix: parse_mix(MIX)?,
        support: if support_nm > 0.0 {
            Support::Amorphous {
                shape: SupportShape::Slab {
                    thickness_nm: support_nm,
                },
                density_g_cm3: 2.0,
            }
        } else {
            Support::None
        },
        seed,
        ..SampleSpec::default()
    };
    let sample = build_sample(&spec)?;
    let imaging = Imaging::default_80kv();
    let scan = Scan {
        pixel: 0.1,
        shape: None,
        window: None,
    };
    let acquisition = Acquisition {
        dose: Some(dose),
        seed,
        ..Default::default()
    };
    let sim = acquire_image(&sample.structure, &imaging, &scan, &acquisition)?;
    let (co, mn) = (Element::from_symbol("Co")?, Element::from_symbol("Mn")?);
    let settings = DetectConfig {
        elements: Some(Pair([mn, co])),
        intensity_ratio: Some(sim.cross_sections["Co"] / sim.cross_sections["Mn"]),
        ..DetectConfig::default()
    };
    let img = &sim.image;
    let found = detect(&img.data, &img.frame, &settings)?;
    let det = field_positions(
        &img.frame,
        found.detections.iter().map(|d| (d.position, d.element)),
        String::new(),
    );
    let truth = field_positions(
        &img.frame,
        truth_atoms(&sample.structure, &sim.clean.frame, false)
            .iter()
            .map(|t| {
                (
                    [t.position[0], t.position[1]],
                    Element::from_symbol(&t.element).ok(),
                )
            }),
        String::new(),
    );
    let config = AnalyzeConfig::default();
    let (mut stats, nn) = analyze_with_neighbours(&det, &config)?;
    let Some(identity) = &found.identity else {
        return Ok(None);
    };
    let photometry: Vec<_> = found.detections.iter().map(|d| d.photometry).collect();
    with_pair_types(&mut stats, &nn, &photometry, identity);
    let Some(types) = stats.pair_types else {
        return Ok(None);
    };
    let (_, truth_nn) = analyze_with_neighbours(&truth, &config)?;
    let [a, b] = config.window_nm.0;
    let pairs = mutual_pairs(&truth_nn, [10.0 * a, 10.0 * b]);
    let h = pairs
        .iter()
        .filter(|&&(i, j)| truth.elements[i] != truth.elements[j])
        .count() as f64
        / pairs.len().max(1) as f64;
    let f = &types.hetero_fraction;
    Ok(Some(Rep {
        covered: f.ci95[0] <= h && h <= f.ci95[1],
        width: f.ci95[1] - f.ci95[0],
        error: f.estimate - h,
        resolving_power: f.resolving_power,
        accuracy: evaluate(&det, &truth, 1.0)?
            .element_accuracy
            .unwrap_or(f64::NAN),
    }))
}

fn list(arg: Option<String>, default: &str) -> Result<Vec<f64>, std::num::ParseFloatError> {
    arg.as_deref()
        .unwrap_or(default)
        .split(',')
        .map(str::parse)
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let seeds: u64 = args.next().map_or(Ok(40), |s| s.parse())?;
    let doses = list(args.next(), "1e4,1e5,1e6")?;
    let supports = list(args.next(), "0,2,5")?;
    println!(
        "| dose (e/Å²) | support (nm) | covered | mean 95 % width | mean error | atoms right | resolving power |"
    );
    println!("|---|---|---|---|---|---|---|");
    for &support in &supports {
        for &dose in &doses {
            let reps: Vec<Rep> = (0..seeds)
                .into_par_iter()
                .map(|k| repetition(dose, support, 1000 + k))
                .collect::<sacsim::Result<Vec<_>>>()?
                .into_iter()
                .flatten()
                .collect();
            let n = reps.len() as f64;
            let mean = |f: &dyn Fn(&Rep) -> f64| reps.iter().map(f).sum::<f64>() / n;
            println!(
                "| {dose:.0e} | {support} | {}/{} | {:.3} | {:+.3} | {:.3} | {:.2} |",
                reps.iter().filter(|r| r.covered).count(),
                reps.len(),
                mean(&|r| r.width),
                mean(&|r| r.error),
                mean(&|r| r.accuracy),
                mean(&|r| r.resolving_power),
            );
        }
    }
    Ok(())
}
