//! Pair statistics of metal positions against complete spatial randomness
//! (docs/PHYSICS.md §6). Distances are reported in nm, densities per nm² (per
//! nm³ in 3D).
//!
//! - Nearest-neighbour (NN) distance of every point; in an open region only
//!   "focal" points whose NN is closer than their distance to the border
//!   count (border method: unbiased for the NN distribution).
//! - Pair fraction: share of focal points whose NN lies in the window,
//!   split by element pair.
//! - Groups: connected components of points closer than the cutoff.
//! - g(r) = measure · n(r, r+dr) / (N (N−1) · shell), with Ripley's
//!   isotropic edge weights in open 2D regions.
//! - CSR at density rho in d dimensions: P(NN <= r) = 1 − exp(−rho V_d r^d);
//!   mean Γ(1+1/d)(rho V_d)^(−1/d); pair chance in [a, b]
//!   exp(−rho V a^d) − exp(−rho V b^d); Clark-Evans R = mean/mean_CSR with
//!   standard error sd_CSR/(mean_CSR √N); excess pair fraction
//!   (f − P)/(1 − P).
//! - 95 % intervals: percentile bootstrap over points (B resamples, seeded)
//!   up to 20,000 points, normal approximations above.

use std::collections::BTreeMap;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

mod config;
mod csr;
mod display;
mod gr;
mod groups;
mod intervals;
mod neighbours;

pub use config::AnalyzeConfig;
use config::MAX_GR_BINS;
pub use neighbours::nearest_neighbours;

use crate::analysis::identity::{ElementIdentity, PairTypes, Photometry, pair_types};
use crate::error::{Error, Result};
use crate::structure::{Positions, Region};
use crate::values::{angstrom_to_nm, nm_to_angstrom, short};
use csr::{csr_cdf, csr_moments, csr_points};
use gr::pair_correlation;
use groups::group_sizes;
use intervals::{bootstrap, median, percentile};
use neighbours::{Context, neighbours_in};

/// Points above which intervals use normal approximations.
const BOOTSTRAP_LIMIT: usize = 20_000;

/// A value with a 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    /// The value.
    pub value: f64,
    /// Lower bound of the 95 % interval.
    pub ci_low: f64,
    /// Upper bound of the 95 % interval.
    pub ci_high: f64,
}

/// One histogram bin.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Bin {
    /// Lower edge (nm).
    pub lo_nm: f64,
    /// Upper edge (nm).
    pub hi_nm: f64,
    /// Focal points with NN in the bin.
    pub count: usize,
    /// Expected count under CSR.
    pub csr_expected: f64,
    /// Monte-Carlo 2.5 % and 97.5 % counts (with --monte-carlo).
    pub mc_envelope: Option<[f64; 2]>,
}

/// Groups under the cutoff.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Groups {
    /// Cutoff (nm).
    pub cutoff_nm: f64,
    /// Number of groups.
    pub groups: usize,
    /// Single points.
    pub singles: usize,
    /// Groups of two.
    pub pairs: usize,
    /// Groups of three or more.
    pub clusters: usize,
    /// Share of groups that are pairs.
    pub pair_share_of_groups: Estimate,
    /// Share of points that sit in pairs.
    pub points_in_pairs: f64,
    /// Share of points in clusters of 3+.
    pub points_in_clusters: f64,
}

/// The CSR baseline at the observed density and region.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Baseline {
    /// Expected mean NN distance (nm).
    pub mean_nn_nm: f64,
    /// Expected share of NN in the pair window.
    pub pair_fraction: f64,
    /// Clark-Evans ratio R = observed / expected mean NN.
    pub clark_evans_r: f64,
    /// Standard error of R.
    pub clark_evans_se: f64,
    /// z = (R − 1) / se.
    pub clark_evans_z: f64,
    /// (f − P) / (1 − P), with its interval.
    pub excess_pair_fraction: Estimate,
    /// Monte Carlo: share of CSR realisations with a pair fraction at least
    /// the observed one.
    pub monte_carlo_p: Option<f64>,
}

/// Everything `sacsim analyze` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairStats {
    /// Points analysed.
    pub points: usize,
    /// Focal points (all in periodic regions).
    pub focal_points: usize,
    /// 2 or 3.
    pub dims: usize,
    /// The region.
    pub region: Region,
    /// Points per nm² (nm³), with a Poisson interval.
    pub density: Estimate,
    /// Mean NN distance (nm).
    pub mean_nn_nm: Estimate,
    /// Median NN distance (nm).
    pub median_nn_nm: Estimate,
    /// Centre of the fullest histogram bin (nm).
    pub mode_nn_nm: f64,
    /// The pair window (nm).
    pub window_nm: [f64; 2],
    /// Share of focal points whose NN lies in the window.
    pub pair_fraction: Estimate,
    /// Pair fraction by element pair (e.g. "Co-Mn").
    pub pair_fraction_by_elements: BTreeMap<String, f64>,
    /// Connected groups.
    pub groups: Groups,
    /// Heteronuclear fraction of pairs from their intensity ratios, when
    /// the points carry element photometry (`detect --elements`); set by
    /// [`with_pair_types`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pair_types: Option<PairTypes>,
    /// The CSR baseline.
    pub csr: Baseline,
    /// NN histogram.
    pub histogram: Vec<Bin>,
    /// g(r): (r nm, g).
    pub pair_correlation: Vec<[f64; 2]>,
    /// How the intervals were obtained.
    pub interval_method: String,
    /// The settings.
    pub settings: AnalyzeConfig,
}

/// Per-point NN results.
#[derive(Debug, Clone, PartialEq)]
pub struct NearestNeighbours {
    /// NN distance (Å) of every point.
    pub distance: Vec<f64>,
    /// Index of the NN.
    pub index: Vec<usize>,
    /// Counts in the statistics (far enough from an open border).
    pub focal: Vec<bool>,
}

/// The full analysis.
pub fn analyze(p: &Positions, s: &AnalyzeConfig) -> Result<PairStats> {
    Ok(analyze_with_neighbours(p, s)?.0)
}

/// The full analysis and the per-point nearest neighbours it used.
pub fn analyze_with_neighbours(
    p: &Positions,
    s: &AnalyzeConfig,
) -> Result<(PairStats, NearestNeighbours)> {
    p.validate()?;
    s.validate(p.len())?;
    let [a_nm, b_nm] = s.window_nm.0;
    let (a, b) = (nm_to_angstrom(a_nm), nm_to_angstrom(b_nm));
    let ctx = Context::new(p);
    let nn = neighbours_in(p, &ctx);
    let focal: Vec<usize> = (0..p.len()).filter(|&i| nn.focal[i]).collect();
    if focal.len() < 2 {
        return Err(Error::invalid(
            "input",
            format!(
                "{}: only {} point(s) lie farther from the region's edge than from their nearest neighbour; enlarge the region",
                p.source,
                focal.len()
            ),
        ));
    }
    let nf = focal.len() as f64;
    let n = p.len();
    let measure = p.region.measure(p.dims);
    let rho = n as f64 / measure;
    let unit = if p.dims == 3 { 1e3 } else { 1e2 }; // Å^d per nm^d
    let big = n > BOOTSTRAP_LIMIT || s.bootstrap == 0;

    // Density with a Poisson interval.
    let density = Estimate {
        value: rho * unit,
        ci_low: (n as f64 - 1.96 * (n as f64).sqrt()).max(0.0) / measure * unit,
        ci_high: (n as f64 + 1.96 * (n as f64).sqrt()) / measure * unit,
    };

    // NN distances of focal points.
    let mut d: Vec<f64> = focal.iter().map(|&i| nn.distance[i]).collect();
    let mean = d.iter().sum::<f64>() / nf;
    let sd = (d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (nf - 1.0)).sqrt();
    let d_max = d.iter().fold(0.0f64, |m, &x| m.max(x));
    // The median and its order-statistic interval: selection for large
    // sets (O(N)), a full sort only where the bootstrap needs one.
    let k = (1.96 * nf.sqrt() / 2.0).ceil() as usize;
    let mid = d.len() / 2;
    let (med, med_lo, med_hi) = if big {
        let (lower, m, upper) = d.select_nth_unstable_by(mid, f64::total_cmp);
        let m = *m;
        let lo = if k == 0 || lower.is_empty() {
            m
        } else {
            *lower
                .select_nth_unstable_by(lower.len().saturating_sub(k), f64::total_cmp)
                .1
        };
        let hi = if k == 0 || upper.is_empty() {
            m
        } else {
            *upper
                .select_nth_unstable_by((k - 1).min(upper.len() - 1), f64::total_cmp)
                .1
        };
        (m, lo, hi)
    } else {
        let m = median(&mut d);
        (m, d[mid.saturating_sub(k)], d[(mid + k).min(d.len() - 1)])
    };
    let in_window: Vec<f64> = focal
        .iter()
        .map(|&i| f64::from(u8::from(nn.distance[i] >= a && nn.distance[i] <= b)))
        .collect();
    let pf = in_window.iter().sum::<f64>() / nf;
    let (mean_ci, median_ci, pf_ci) = if big {
        let se = sd / nf.sqrt();
        let pse = (pf * (1.0 - pf) / nf).sqrt();
        (
            (mean - 1.96 * se, mean + 1.96 * se),
            (med_lo, med_hi),
            ((pf - 1.96 * pse).max(0.0), (pf + 1.96 * pse).min(1.0)),
        )
    } else {
        (
            bootstrap(&d, s.bootstrap, s.seed, 1, |v| {
                v.iter().sum::<f64>() / v.len() as f64
            }),
            bootstrap(&d, s.bootstrap, s.seed, 2, |v| median(v)),
            bootstrap(&in_window, s.bootstrap, s.seed, 3, |v| {
                v.iter().sum::<f64>() / v.len() as f64
            }),
        )
    };

    // By element pair.
    let mut by_pair: BTreeMap<String, f64> = BTreeMap::new();
    if p.elements.iter().all(Option::is_some) {
        for &i in &focal {
            let j = nn.index[i];
            if nn.distance[i] >= a && nn.distance[i] <= b {
                // Alphabetical, as papers write it: Co-Mn.
                let (mut x, mut y) = (
                    p.elements[i].expect("known").symbol(),
                    p.elements[j].expect("known").symbol(),
                );
                if y < x {
                    std::mem::swap(&mut x, &mut y);
                }
                *by_pair.entry(format!("{x}-{y}")).or_default() += 1.0 / nf;
            }
        }
    }

    // Histogram with the CSR expectation.
    let hist_max = d_max.max(2.0 * b).min(50.0 * (mean + 1.0));
    let bin = nm_to_angstrom(s.bin_nm);
    let nbins = ((hist_max / bin).ceil() as usize).clamp(1, 100_000);
    let mut counts = vec![0usize; nbins];
    for &x in &d {
        counts[((x / bin) as usize).min(nbins - 1)] += 1;
    }
    let mut histogram: Vec<Bin> = (0..nbins)
        .map(|k| {
            let (lo, hi) = (k as f64 * bin, (k + 1) as f64 * bin);
            Bin {
                lo_nm: angstrom_to_nm(lo),
                hi_nm: angstrom_to_nm(hi),
                count: counts[k],
                csr_expected: nf * (csr_cdf(hi, rho, p.dims) - csr_cdf(lo, rho, p.dims)),
                mc_envelope: None,
            }
        })
        .collect();
    let mode = histogram
        .iter()
        .max_by_key(|b| b.count)
        .map_or(f64::NAN, |b| (b.lo_nm + b.hi_nm) / 2.0);

    // CSR baseline.
    let (csr_mean, csr_sd) = csr_moments(rho, p.dims);
    let p_csr = csr_cdf(b, rho, p.dims) - csr_cdf(a, rho, p.dims);
    let excess = |f: f64| (f - p_csr) / (1.0 - p_csr);
    let se_r = csr_sd / (csr_mean * nf.sqrt());
    let r_ce = mean / csr_mean;

    // Monte-Carlo envelope.
    let mut mc_p = None;
    if s.monte_carlo > 0 {
        let runs: Vec<(Vec<usize>, f64)> = (0..s.monte_carlo)
            .into_par_iter()
            .map(|k| {
                let mut rng = ChaCha8Rng::seed_from_u64(s.seed);
                rng.set_stream(10_000_000 + k as u64);
                let q = csr_points(p, &mut rng);
                let nq = nearest_neighbours(&q);
                let mut c = vec![0usize; nbins];
                let (mut inw, mut nfq) = (0usize, 0usize);
                for i in 0..q.len() {
                    if nq.focal[i] {
                        nfq += 1;
                        c[((nq.distance[i] / bin) as usize).min(nbins - 1)] += 1;
                        inw += usize::from(nq.distance[i] >= a && nq.distance[i] <= b);
                    }
                }
                // Scale counts to the observed number of focal points.
                let scale = nf / nfq.max(1) as f64;
                (
                    c.into_iter()
                        .map(|x| (x as f64 * scale).round() as usize)
                        .collect(),
                    inw as f64 / nfq.max(1) as f64,
                )
            })
            .collect();
        for (k, bin) in histogram.iter_mut().enumerate() {
            let mut v: Vec<f64> = runs.iter().map(|r| r.0[k] as f64).collect();
            v.sort_by(f64::total_cmp);
            bin.mc_envelope = Some([percentile(&v, 0.025), percentile(&v, 0.975)]);
        }
        mc_p = Some(runs.iter().filter(|r| r.1 >= pf).count() as f64 / runs.len() as f64);
    }

    // g(r).
    let min_side = match p.region {
        Region::Periodic { size } | Region::Open { size, .. } => {
            size[..p.dims].iter().fold(f64::INFINITY, |m, &x| m.min(x))
        }
    };
    let gr_limit = if matches!(p.region, Region::Periodic { .. }) {
        min_side / 2.0
    } else {
        min_side / 4.0
    };
    let gr_max = s.gr_max_nm.map_or(nm_to_angstrom(1.0).min(gr_limit), |x| {
        nm_to_angstrom(x).min(gr_limit)
    });
    let gr_bins = gr_max / nm_to_angstrom(s.gr_bin_nm);
    if gr_bins > MAX_GR_BINS {
        return Err(Error::invalid(
            "--gr-bin",
            format!(
                "{} nm makes {} bins up to {} nm; at most {} (the smallest bin here is {} nm)",
                short(s.gr_bin_nm),
                short(gr_bins.round()),
                short(angstrom_to_nm(gr_max)),
                short(MAX_GR_BINS),
                short(angstrom_to_nm(gr_max) / MAX_GR_BINS)
            ),
        ));
    }
    let cutoff_nm = s.group_cutoff_nm.unwrap_or(b_nm);
    let (pair_correlation, close_pairs) = pair_correlation(
        p,
        &ctx,
        gr_max,
        nm_to_angstrom(s.gr_bin_nm),
        nm_to_angstrom(cutoff_nm),
    );

    // Groups.
    let sizes = group_sizes(p, &close_pairs);
    let groups_n = sizes.len();
    let (singles, pairs, clusters) = (
        sizes.iter().filter(|&&x| x == 1).count(),
        sizes.iter().filter(|&&x| x == 2).count(),
        sizes.iter().filter(|&&x| x >= 3).count(),
    );
    let pair_share = pairs as f64 / groups_n as f64;
    let pair_indicator: Vec<f64> = sizes.iter().map(|&x| f64::from(u8::from(x == 2))).collect();
    let share_ci = if big || groups_n > BOOTSTRAP_LIMIT {
        let se = (pair_share * (1.0 - pair_share) / groups_n as f64).sqrt();
        (
            (pair_share - 1.96 * se).max(0.0),
            (pair_share + 1.96 * se).min(1.0),
        )
    } else {
        bootstrap(&pair_indicator, s.bootstrap, s.seed, 4, |v| {
            v.iter().sum::<f64>() / v.len() as f64
        })
    };
    let groups = Groups {
        cutoff_nm,
        groups: groups_n,
        singles,
        pairs,
        clusters,
        pair_share_of_groups: Estimate {
            value: pair_share,
            ci_low: share_ci.0,
            ci_high: share_ci.1,
        },
        points_in_pairs: 2.0 * pairs as f64 / n as f64,
        points_in_clusters: sizes.iter().filter(|&&x| x >= 3).sum::<usize>() as f64 / n as f64,
    };

    let stats = PairStats {
        points: n,
        focal_points: focal.len(),
        dims: p.dims,
        region: p.region,
        density,
        mean_nn_nm: Estimate {
            value: angstrom_to_nm(mean),
            ci_low: angstrom_to_nm(mean_ci.0),
            ci_high: angstrom_to_nm(mean_ci.1),
        },
        median_nn_nm: Estimate {
            value: angstrom_to_nm(med),
            ci_low: angstrom_to_nm(median_ci.0),
            ci_high: angstrom_to_nm(median_ci.1),
        },
        mode_nn_nm: mode,
        window_nm: s.window_nm.0,
        pair_fraction: Estimate {
            value: pf,
            ci_low: pf_ci.0,
            ci_high: pf_ci.1,
        },
        pair_fraction_by_elements: by_pair,
        groups,
        pair_types: None,
        csr: Baseline {
            mean_nn_nm: angstrom_to_nm(csr_mean),
            pair_fraction: p_csr,
            clark_evans_r: r_ce,
            clark_evans_se: se_r,
            clark_evans_z: (r_ce - 1.0) / se_r,
            excess_pair_fraction: Estimate {
                value: excess(pf),
                ci_low: excess(pf_ci.0),
                ci_high: excess(pf_ci.1),
            },
            monte_carlo_p: mc_p,
        },
        histogram,
        pair_correlation,
        interval_method: if big {
            "normal approximation (more than 20,000 points)".into()
        } else {
            format!(
                "percentile bootstrap, {} resamples, seed {}",
                s.bootstrap, s.seed
            )
        },
        settings: *s,
    };
    Ok((stats, nn))
}

/// Mutual nearest neighbours with their distance in the window [a, b] (Å):
/// the pairs whose composition the intensity ratio can tell.
pub fn mutual_pairs(nn: &NearestNeighbours, [a, b]: [f64; 2]) -> Vec<(usize, usize)> {
    (0..nn.index.len())
        .filter_map(|i| {
            let j = nn.index[i];
            (i < j && nn.index[j] == i && nn.distance[i] >= a && nn.distance[i] <= b)
                .then_some((i, j))
        })
        .collect()
}

/// Add the pair types of `stats`' window from per-point photometry under
/// the element model of the image.
pub fn with_pair_types(
    stats: &mut PairStats,
    nn: &NearestNeighbours,
    photometry: &[Option<Photometry>],
    identity: &ElementIdentity,
) {
    let [a, b] = stats.window_nm;
    let pairs = mutual_pairs(nn, [nm_to_angstrom(a), nm_to_angstrom(b)]);
    stats.pair_types = pair_types(&pairs, photometry, identity);
}
