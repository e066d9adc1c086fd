//! Percentiles, medians and seeded percentile-bootstrap 95 % intervals.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

pub(super) fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

pub(super) fn median(values: &mut [f64]) -> f64 {
    values.par_sort_unstable_by(f64::total_cmp);
    percentile(values, 0.5)
}

/// Percentile-bootstrap 95 % interval of a statistic over `values`.
pub(super) fn bootstrap(
    values: &[f64],
    b: usize,
    seed: u64,
    stream: u64,
    stat: impl Fn(&mut Vec<f64>) -> f64 + Sync,
) -> (f64, f64) {
    let mut est: Vec<f64> = (0..b)
        .into_par_iter()
        .map(|k| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(stream * 1_000_000 + k as u64);
            let mut sample: Vec<f64> = (0..values.len())
                .map(|_| values[rng.random_range(0..values.len())])
                .collect();
            stat(&mut sample)
        })
        .collect();
    est.sort_by(f64::total_cmp);
    (percentile(&est, 0.025), percentile(&est, 0.975))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_and_the_bootstrap_covers_the_mean() {
        let v: Vec<f64> = (0..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.5), 50.0);
        assert_eq!(percentile(&v, 0.025), 2.5);
        assert!(percentile(&[], 0.5).is_nan());
        assert_eq!(median(&mut [3.0, 1.0, 2.0, 4.0]), 2.5);
        // Mean of 0..=100: 50, standard error 29.3/sqrt(101) = 2.91; the
        // 95 % interval is about ±1.96 se.
        let mean = |s: &mut Vec<f64>| s.iter().sum::<f64>() / s.len() as f64;
        let (lo, hi) = bootstrap(&v, 2000, 7, 1, mean);
        assert!(lo < 50.0 && hi > 50.0);
        assert!(
            ((hi - lo) / 2.0 / (1.96 * 2.915) - 1.0).abs() < 0.1,
            "{lo} {hi}"
        );
        assert_eq!(
            bootstrap(&v, 200, 7, 1, mean),
            bootstrap(&v, 200, 7, 1, mean)
        );
    }
}
