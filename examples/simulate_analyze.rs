//! Sample, image, detect and analyse in memory with the library: how much
//! of a sample's pairing survives imaging at a given dose?
//!
//! ```sh
//! cargo run --release --example simulate_analyze -- 3e4
//! ```

use sacsim::analysis::detect::{DetectConfig, detect};
use sacsim::analysis::pairstats::{AnalyzeConfig, analyze};
use sacsim::model::sample::{SampleSpec, Support, SupportShape, build_sample};
use sacsim::stem::acquire_image;
use sacsim::stem::incoherent::{Imaging, Scan};
use sacsim::stem::noise::Acquisition;
use sacsim::structure::{Positions, Region};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dose: f64 = std::env::args().nth(1).map_or(Ok(1e5), |s| s.parse())?;
    let spec = SampleSpec {
        size_nm: [15.0, 15.0],
        density: 0.6,
        support: Support::Amorphous {
            shape: SupportShape::Slab { thickness_nm: 2.0 },
            density_g_cm3: 2.0,
        },
        seed: 5,
        ..SampleSpec::default()
    };
    let sample = build_sample(&spec)?;
    let scan = Scan {
        pixel: 0.1,
        shape: None,
        window: None,
    };
    let sim = acquire_image(
        &sample.structure,
        &Imaging::default_80kv(),
        &scan,
        &Acquisition {
            dose: Some(dose),
            seed: 5,
            ..Default::default()
        },
    )?;
    let img = &sim.image;
    let found = detect(&img.data, &img.frame, &DetectConfig::default())?;
    let [bx, by] = sample.box_angstrom;
    let region = Region::Periodic {
        size: [bx, by, 0.0],
    };
    let to_positions = |points: Vec<[f64; 3]>| Positions {
        elements: vec![None; points.len()],
        points,
        region,
        dims: 2,
        source: String::new(),
    };
    let detected = to_positions(
        found
            .detections
            .iter()
            .map(|d| [d.position[0], d.position[1], 0.0])
            .collect(),
    );
    let truth = to_positions(
        sample
            .sites
            .iter()
            .flat_map(|s| s.metals.iter().map(|m| [m.position[0], m.position[1], 0.0]))
            .collect(),
    );
    let (d, t) = (
        analyze(&detected, &AnalyzeConfig::default())?,
        analyze(&truth, &AnalyzeConfig::default())?,
    );
    println!(
        "dose {dose:.0e} e/Å²: {} of {} metals found",
        detected.len(),
        truth.len()
    );
    println!(
        "pair fraction {:.1} % measured, {:.1} % true, {:.1} % by chance",
        100.0 * d.pair_fraction.value,
        100.0 * t.pair_fraction.value,
        100.0 * d.csr.pair_fraction
    );
    Ok(())
}
