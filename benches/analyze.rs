//! Pair statistics in process, 10⁴ to 10⁶ random points at 1 per nm²
//! (periodic): nearest neighbours, pair fraction, groups, g(r), CSR.
//! The scipy comparison: `benches/peers/pairs_scipy.py`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sacsim::analysis::pairstats::{AnalyzeConfig, analyze};
use sacsim::structure::{Positions, Region};

fn pair_statistics(c: &mut Criterion) {
    let mut group = c.benchmark_group("analyze");
    group.sample_size(10);
    for n in [10_000usize, 100_000, 1_000_000] {
        let l = (n as f64).sqrt() * 10.0;
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let points = (0..n)
            .map(|_| [rng.random::<f64>() * l, rng.random::<f64>() * l, 0.0])
            .collect();
        let p = Positions {
            points,
            elements: vec![None; n],
            region: Region::Periodic { size: [l, l, 0.0] },
            dims: 2,
            source: "bench".into(),
        };
        let settings = AnalyzeConfig {
            bootstrap: 0,
            ..Default::default()
        };
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &p, |b, p| {
            b.iter(|| analyze(p, &settings).unwrap().groups.groups)
        });
    }
    group.finish();
}

// Criterion's HTML plots are off: the numbers are what we record, and its
// plot fonts clash with the embedded font sacsim registers for its own plots.
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = pair_statistics
}
criterion_main!(benches);
