//! HAADF simulation in process: a 1024 x 1024 image of a 20 x 20 nm
//! sample with Poisson noise, and a 4096 x 4096 image of a 100 x 100 nm
//! sample. Whole-process times, memory and the abTEM comparison:
//! `benches/peers/simulate_scale.py`, `benches/peers/abtem_reference.py`.

use criterion::{Criterion, criterion_group, criterion_main};
use sacsim::model::sample::{SampleSpec, build_sample};
use sacsim::stem::acquire_image;
use sacsim::stem::incoherent::{Imaging, Scan};
use sacsim::stem::noise::Acquisition;

fn simulate(c: &mut Criterion) {
    let mut group = c.benchmark_group("simulate");
    group.sample_size(10);
    let imaging = Imaging::default_80kv();
    let noisy = Acquisition {
        dose: Some(1e5),
        seed: 1,
        ..Default::default()
    };
    let small = build_sample(&SampleSpec {
        size_nm: [20.0, 20.0],
        ..SampleSpec::default()
    })
    .unwrap()
    .structure;
    group.bench_function("1024px_20nm_noise", |b| {
        b.iter(|| {
            acquire_image(
                &small,
                &imaging,
                &Scan {
                    pixel: 0.2,
                    shape: Some([1024, 1024]),
                    window: None,
                },
                &noisy,
            )
            .unwrap()
            .image
            .data
            .len()
        })
    });
    let large = build_sample(&SampleSpec {
        size_nm: [100.0, 100.0],
        density: 1.0,
        ..SampleSpec::default()
    })
    .unwrap()
    .structure;
    group.bench_function("4096px_100nm_noise", |b| {
        b.iter(|| {
            acquire_image(
                &large,
                &imaging,
                &Scan {
                    pixel: 0.25,
                    shape: Some([4096, 4096]),
                    window: None,
                },
                &noisy,
            )
            .unwrap()
            .image
            .data
            .len()
        })
    });
    group.finish();
}

// Criterion's HTML plots are off: the numbers are what we record, and its
// plot fonts clash with the embedded font sacsim registers for its own plots.
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = simulate
}
criterion_main!(benches);
