//! Build a pristine hexagonal graphene sheet and render it as extended XYZ,
//! from 200 to 500,000 atoms (the 500 x 500 sheet), in process.
//! The whole-process comparison with ASE is `benches/peers/graphene_xyz.py`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sacsim::io::xyz;
use sacsim::model::{ModelSpec, Motif, build_model};

fn sheet_to_xyz(c: &mut Criterion) {
    let mut group = c.benchmark_group("build_sheet_xyz");
    group.sample_size(10);
    for n in [10usize, 100, 500] {
        let atoms = 2 * n * n;
        group.throughput(Throughput::Elements(atoms as u64));
        group.bench_with_input(BenchmarkId::from_parameter(atoms), &n, |b, &n| {
            let mut spec = ModelSpec::new(Motif::Pristine, vec![]);
            spec.cell = spec.cell.with_size(n, n);
            b.iter(|| {
                let model = build_model(&spec).unwrap();
                xyz::to_string(&model.structure).len()
            })
        });
    }
    group.finish();
}

fn preset_model(c: &mut Criterion) {
    c.bench_function("build_preset_l-co1mn1-nc", |b| {
        let spec = ModelSpec::from_preset(sacsim::model::Preset::from_name("l-co1mn1-nc").unwrap());
        b.iter(|| build_model(&spec).unwrap().structure.len())
    });
}

/// The full CO2RR series of all six presets with bridges (in memory).
fn co2rr_series(c: &mut Criterion) {
    use sacsim::model::{DEFAULT_FREE_SHELLS, PRESETS, Reaction};
    use sacsim::output::series::{SeriesSpec, build_series};
    let spec = SeriesSpec {
        presets: PRESETS.iter().map(|p| p.name.to_string()).collect(),
        reaction: Reaction::Co2rr,
        bridge: true,
        free_shells: DEFAULT_FREE_SHELLS,
    };
    c.bench_function("series_co2rr_six_presets", |b| {
        b.iter(|| build_series(&spec).unwrap().len())
    });
}

// Criterion's HTML plots are off: the numbers are what we record, and its
// plot fonts clash with the embedded font sacsim registers for its own plots.
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = sheet_to_xyz, preset_model, co2rr_series
}
criterion_main!(benches);
