//! Large samples in process: site placement and assembly on a 100 x 100 nm
//! sheet (about 380,000 atoms) at 0.1 and 1 site/nm² (1,000 and 10,000
//! sites), and a 5 nm amorphous support on 50 x 50 nm. Whole-process time
//! and peak memory: `benches/peers/sample_scale.py`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sacsim::model::sample::{SampleSpec, Support, SupportShape, build_sample};

fn sites(c: &mut Criterion) {
    let mut group = c.benchmark_group("sample_100x100nm");
    group.sample_size(10);
    for density in [0.1, 1.0] {
        let spec = SampleSpec {
            size_nm: [100.0, 100.0],
            density,
            ..SampleSpec::default()
        };
        group.throughput(Throughput::Elements((density * 10_000.0) as u64));
        group.bench_with_input(
            BenchmarkId::new("sites", (density * 10_000.0) as u64),
            &spec,
            |b, spec| b.iter(|| build_sample(spec).unwrap().sites.len()),
        );
    }
    group.finish();
}

fn support(c: &mut Criterion) {
    let mut group = c.benchmark_group("support_50x50nm");
    group.sample_size(10);
    let spec = SampleSpec {
        size_nm: [50.0, 50.0],
        support: Support::Amorphous {
            shape: SupportShape::Slab { thickness_nm: 5.0 },
            density_g_cm3: 2.0,
        },
        ..SampleSpec::default()
    };
    group.bench_function("amorphous_5nm", |b| {
        b.iter(|| build_sample(&spec).unwrap().structure.len())
    });
    group.finish();
}

// Criterion's HTML plots are off: the numbers are what we record, and its
// plot fonts clash with the embedded font sacsim registers for its own plots.
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = sites, support
}
criterion_main!(benches);
