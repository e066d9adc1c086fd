//! Regenerate the committed reference models in `structures/`:
//!
//! ```sh
//! cargo run --release --example regenerate_structures
//! ```
//!
//! Each preset is written exactly as `sacsim build PRESET -o structures/PRESET`
//! writes it, and `structures/README.md` gets the table of their geometry.
//! The CO2RR series of L-Co1Mn1-NC goes to `structures/series-co2rr`, as
//! `sacsim series l-co1mn1-nc --reaction co2rr -o structures/series-co2rr`
//! writes it. The golden test (`tests/integration/golden.rs`) requires
//! these bytes.

use std::path::Path;

use sacsim::io::{Format, incar::Magmoms};
use sacsim::model::{DEFAULT_FREE_SHELLS, ModelSpec, PRESETS, Reaction, build_model};
use sacsim::output::series::{SeriesSpec, write_series};
use sacsim::output::{reference_table, write_model};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("structures");
    let mut models = Vec::new();
    for preset in PRESETS {
        let model = build_model(&ModelSpec::from_preset(preset))?;
        write_model(
            &model,
            &root.join(preset.name),
            &Format::ALL,
            &Magmoms::default(),
        )?;
        models.push(model);
    }
    let series = SeriesSpec {
        presets: vec!["l-co1mn1-nc".to_string()],
        reaction: Reaction::Co2rr,
        bridge: false,
        free_shells: DEFAULT_FREE_SHELLS,
    };
    write_series(
        &series,
        &root.join("series-co2rr"),
        &Format::ALL,
        &Magmoms::default(),
    )?;
    let readme = format!(
        "{}\n\n{}{}",
        include_str!("structures_readme_head.md").trim_end(),
        reference_table(&models),
        include_str!("structures_readme_tail.md")
    );
    sacsim::io::write_atomic(&root.join("README.md"), readme.as_bytes())?;
    println!("wrote {} models to {}", models.len(), root.display());
    Ok(())
}
