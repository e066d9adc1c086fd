//! Pair statistics of metal positions against complete spatial randomness
//! (SCIENCE.md §6). Distances are reported in nm, densities per nm² (per
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

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::spatial::{Grid2, Hit, NeighborIndex, Pairs};
use crate::error::{Error, Result};
use crate::structure::{Positions, Region};
use crate::values::Pair;

/// Points above which intervals use normal approximations.
const BOOTSTRAP_LIMIT: usize = 20_000;

/// Pair-statistics settings (nm): the flags of `sacsim analyze` and the
/// `[analyze]` table of the study TOML.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, clap::Args)]
#[serde(deny_unknown_fields, default)]
pub struct AnalyzeConfig {
    /// NN histogram bin (nm).
    #[arg(long = "bin", value_name = "NM", default_value_t = AnalyzeConfig::default().bin_nm)]
    pub bin_nm: f64,
    /// Pair window min,max (nm).
    #[arg(long = "pair-window", value_name = "MIN,MAX", default_value_t = AnalyzeConfig::default().window_nm)]
    pub window_nm: Pair<f64>,
    /// Group cutoff (nm) [default: the pair window's max].
    #[arg(long = "group-cutoff", value_name = "NM")]
    pub group_cutoff_nm: Option<f64>,
    /// Largest r of g(r) (nm) [default: 1 nm, at most a quarter of the
    /// region (half if periodic)].
    #[arg(long = "gr-max", value_name = "NM")]
    pub gr_max_nm: Option<f64>,
    /// g(r) bin (nm).
    #[arg(long = "gr-bin", value_name = "NM", default_value_t = AnalyzeConfig::default().gr_bin_nm)]
    pub gr_bin_nm: f64,
    /// Bootstrap resamples for the 95 % intervals (0: normal approximations).
    #[arg(long, default_value_t = AnalyzeConfig::default().bootstrap)]
    pub bootstrap: usize,
    /// CSR realisations for a Monte-Carlo envelope (0: none).
    #[arg(long = "monte-carlo", default_value_t = AnalyzeConfig::default().monte_carlo)]
    pub monte_carlo: usize,
    /// Seed of the bootstrap and Monte Carlo.
    #[arg(long, default_value_t = AnalyzeConfig::default().seed)]
    pub seed: u64,
}

impl Default for AnalyzeConfig {
    fn default() -> Self {
        AnalyzeConfig {
            bin_nm: 0.01,
            window_nm: Pair([0.20, 0.30]),
            group_cutoff_nm: None,
            gr_max_nm: None,
            gr_bin_nm: 0.02,
            bootstrap: 1000,
            monte_carlo: 0,
            seed: 1,
        }
    }
}

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

fn periodic_size(p: &Positions) -> Option<[f64; 3]> {
    match p.region {
        Region::Periodic { size } => Some(size),
        Region::Open { .. } => None,
    }
}

/// Distance (Å) from a point to the border of an open region.
fn border_distance(p: &[f64; 3], region: &Region, dims: usize) -> f64 {
    match region {
        Region::Periodic { .. } => f64::INFINITY,
        Region::Open { origin, size } => (0..dims)
            .map(|k| (p[k] - origin[k]).min(origin[k] + size[k] - p[k]))
            .fold(f64::INFINITY, f64::min),
    }
}

/// The spatial index of one analysis, built once: a cell grid in 2D when
/// the density is even enough (3-4x faster than the tree on 10⁶-10⁷
/// points), k-d trees otherwise.
enum Context {
    Grid(Grid2),
    Tree2(NeighborIndex<2>),
    Tree3(NeighborIndex<3>),
}

impl Context {
    fn new(p: &Positions) -> Context {
        if p.dims == 3 {
            return Context::Tree3(NeighborIndex::<3>::new(&p.points, periodic_size(p)));
        }
        let pts: Vec<[f64; 2]> = p.points.par_iter().map(|q| [q[0], q[1]]).collect();
        let (origin, size, periodic) = bounds2(p);
        let grid = Grid2::new(&pts, (origin, size), periodic, 2.0, 0.0);
        if grid.max_occupancy() <= 64 {
            Context::Grid(grid)
        } else {
            Context::Tree2(NeighborIndex::<2>::new(&pts, periodic.then_some(size)))
        }
    }

    fn nearest(&self) -> Vec<Option<Hit>> {
        match self {
            Context::Grid(g) => g.nearest(),
            Context::Tree2(t) => t.nearest(),
            Context::Tree3(t) => t.nearest(),
        }
    }

    fn pairs_within(&self, r: f64) -> Vec<(usize, usize, f64)> {
        match self {
            Context::Grid(g) => g.pairs_within(r),
            Context::Tree2(t) => t.pairs_within(r),
            Context::Tree3(t) => t.pairs_within(r),
        }
    }

    /// Pair-distance histogram (deterministic order of summation) and the
    /// pairs within `keep`, in one pass.
    fn histogram(
        &self,
        r_max: f64,
        nbins: usize,
        keep: f64,
        weight: impl Fn(usize, usize, f64) -> f64 + Sync,
    ) -> (Vec<f64>, Pairs) {
        if let Context::Grid(g) = self {
            return g.pair_histogram(r_max, nbins, keep, weight);
        }
        let dr = r_max / nbins as f64;
        let mut h = vec![0.0; nbins];
        let pairs = self.pairs_within(r_max.max(keep));
        for &(i, j, d) in &pairs {
            if d > 0.0 && d <= r_max {
                h[((d / dr) as usize).min(nbins - 1)] += weight(i, j, d);
            }
        }
        (h, pairs.into_iter().filter(|p| p.2 <= keep).collect())
    }
}

/// Nearest neighbours of every point.
pub fn nearest_neighbours(p: &Positions) -> NearestNeighbours {
    neighbours_in(p, &Context::new(p))
}

fn neighbours_in(p: &Positions, ctx: &Context) -> NearestNeighbours {
    let hits: Vec<(f64, usize)> = ctx
        .nearest()
        .into_iter()
        .map(|h| h.map_or((f64::INFINITY, usize::MAX), |h| (h.distance, h.index)))
        .collect();
    let focal = p
        .points
        .par_iter()
        .zip(&hits)
        .map(|(q, h)| h.0 <= border_distance(q, &p.region, p.dims))
        .collect();
    NearestNeighbours {
        distance: hits.iter().map(|h| h.0).collect(),
        index: hits.iter().map(|h| h.1).collect(),
        focal,
    }
}

/// Unit-ball measure V_d: π (2D), 4π/3 (3D).
fn ball(dims: usize) -> f64 {
    if dims == 3 {
        4.0 / 3.0 * std::f64::consts::PI
    } else {
        std::f64::consts::PI
    }
}

/// CSR NN CDF at r (Å) for density rho (per Å^d).
fn csr_cdf(r: f64, rho: f64, dims: usize) -> f64 {
    1.0 - (-rho * ball(dims) * r.powi(dims as i32)).exp()
}

/// CSR mean and sd of the NN distance (Å): Γ(1+1/d) and
/// sqrt(Γ(1+2/d) − Γ(1+1/d)²) times (rho V_d)^(−1/d).
fn csr_moments(rho: f64, dims: usize) -> (f64, f64) {
    let (g1, g2) = if dims == 3 {
        (0.892_979_511_569_249, 0.902_745_292_950_934)
    } else {
        (0.886_226_925_452_758, 1.0)
    };
    let scale = (rho * ball(dims)).powf(-1.0 / dims as f64);
    (g1 * scale, (g2 - g1 * g1).sqrt() * scale)
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

fn median(values: &mut [f64]) -> f64 {
    values.par_sort_unstable_by(f64::total_cmp);
    percentile(values, 0.5)
}

/// Percentile-bootstrap 95 % interval of a statistic over `values`.
fn bootstrap(
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

/// Union-find group sizes of points closer than `cutoff` (Å).
fn group_sizes(p: &Positions, pairs: &[(usize, usize, f64)]) -> Vec<usize> {
    let mut parent: Vec<usize> = (0..p.len()).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for &(i, j, _) in pairs {
        let (a, b) = (find(&mut parent, i), find(&mut parent, j));
        if a != b {
            parent[a.max(b)] = a.min(b);
        }
    }
    let mut sizes = vec![0usize; p.len()];
    for i in 0..p.len() {
        sizes[find(&mut parent, i)] += 1;
    }
    sizes.retain(|&s| s > 0);
    sizes
}

/// The 2D bounds of the region: (origin, size, periodic).
fn bounds2(p: &Positions) -> ([f64; 2], [f64; 2], bool) {
    match p.region {
        Region::Periodic { size } => ([0.0, 0.0], [size[0], size[1]], true),
        Region::Open { origin, size } => ([origin[0], origin[1]], [size[0], size[1]], false),
    }
}

/// Fraction of the circle of radius r about (x, y) that lies inside the
/// rectangle (Ripley 1977): 1 − (arcs outside the four edges − corner
/// overlaps) / 2π. Valid for r up to half the shorter side.
fn circle_inside(x: f64, y: f64, r: f64, origin: [f64; 3], size: [f64; 3]) -> f64 {
    let e = [
        x - origin[0],
        origin[0] + size[0] - x,
        y - origin[1],
        origin[1] + size[1] - y,
    ];
    let half = |d: f64| if d < r { (d / r).acos() } else { 0.0 };
    let mut outside = e.iter().map(|&d| 2.0 * half(d)).sum::<f64>();
    for (a, b) in [(0, 2), (0, 3), (1, 2), (1, 3)] {
        if e[a] * e[a] + e[b] * e[b] < r * r {
            outside -= half(e[a]) + half(e[b]) - std::f64::consts::FRAC_PI_2;
        }
    }
    (1.0 - outside / (2.0 * std::f64::consts::PI)).max(1e-3)
}

/// g(r) up to r_max (Å) in bins of dr (Å), and the pairs within `keep`.
fn pair_correlation(
    p: &Positions,
    ctx: &Context,
    r_max: f64,
    dr: f64,
    keep: f64,
) -> (Vec<[f64; 2]>, Pairs) {
    let nbins = ((r_max / dr).floor() as usize).max(1);
    let n = p.len() as f64;
    let measure = p.region.measure(p.dims);
    let open2d = match (p.region, p.dims) {
        (Region::Open { origin, size }, 2) => Some((origin, size)),
        _ => None,
    };
    // Each unordered pair counts twice; in open 2D regions each direction
    // carries Ripley's weight 1/(share of the circle inside the region).
    let (hist, pairs) = ctx.histogram(nbins as f64 * dr, nbins, keep, |i, j, d| match open2d {
        Some((origin, size)) => {
            1.0 / circle_inside(p.points[i][0], p.points[i][1], d, origin, size)
                + 1.0 / circle_inside(p.points[j][0], p.points[j][1], d, origin, size)
        }
        None => 2.0,
    });
    let g = (0..nbins)
        .map(|b| {
            let (r0, r1) = (b as f64 * dr, (b + 1) as f64 * dr);
            let shell = if p.dims == 3 {
                4.0 / 3.0 * std::f64::consts::PI * (r1.powi(3) - r0.powi(3))
            } else {
                std::f64::consts::PI * (r1 * r1 - r0 * r0)
            };
            [
                (r0 + r1) / 2.0 / 10.0,
                measure * hist[b] / (n * (n - 1.0) * shell),
            ]
        })
        .collect();
    (g, pairs)
}

/// Uniform random points in the same region (one CSR realisation).
fn csr_points(p: &Positions, rng: &mut ChaCha8Rng) -> Positions {
    let (origin, size) = match p.region {
        Region::Periodic { size } => ([0.0; 3], size),
        Region::Open { origin, size } => (origin, size),
    };
    let points = (0..p.len())
        .map(|_| {
            std::array::from_fn(|k| {
                if k < p.dims {
                    origin[k] + rng.random::<f64>() * size[k]
                } else {
                    0.0
                }
            })
        })
        .collect();
    Positions {
        points,
        elements: vec![None; p.len()],
        source: "csr".into(),
        ..p.clone()
    }
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
    let [a_nm, b_nm] = s.window_nm.0;
    if !(a_nm >= 0.0 && b_nm > a_nm && b_nm.is_finite()) {
        return Err(Error::invalid(
            "--pair-window",
            format!("{a_nm},{b_nm} nm; give min,max with 0 <= min < max (default 0.20,0.30)"),
        ));
    }
    if !(s.bin_nm > 0.0 && s.gr_bin_nm > 0.0) {
        return Err(Error::invalid("--bin", "bin widths must be positive"));
    }
    let (a, b) = (a_nm * 10.0, b_nm * 10.0);
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
    let bin = s.bin_nm * 10.0;
    let nbins = ((hist_max / bin).ceil() as usize).clamp(1, 100_000);
    let mut counts = vec![0usize; nbins];
    for &x in &d {
        counts[((x / bin) as usize).min(nbins - 1)] += 1;
    }
    let mut histogram: Vec<Bin> = (0..nbins)
        .map(|k| {
            let (lo, hi) = (k as f64 * bin, (k + 1) as f64 * bin);
            Bin {
                lo_nm: lo / 10.0,
                hi_nm: hi / 10.0,
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
    let gr_max = s
        .gr_max_nm
        .map_or(10.0f64.min(gr_limit), |x| (x * 10.0).min(gr_limit));
    let cutoff_nm = s.group_cutoff_nm.unwrap_or(b_nm);
    let (pair_correlation, close_pairs) =
        pair_correlation(p, &ctx, gr_max, s.gr_bin_nm * 10.0, cutoff_nm * 10.0);

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
            value: mean / 10.0,
            ci_low: mean_ci.0 / 10.0,
            ci_high: mean_ci.1 / 10.0,
        },
        median_nn_nm: Estimate {
            value: med / 10.0,
            ci_low: median_ci.0 / 10.0,
            ci_high: median_ci.1 / 10.0,
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
        csr: Baseline {
            mean_nn_nm: csr_mean / 10.0,
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

impl std::fmt::Display for PairStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let e = |x: &Estimate, digits: usize| {
            format!(
                "{:.*} [{:.*}, {:.*}]",
                digits, x.value, digits, x.ci_low, digits, x.ci_high
            )
        };
        let unit = if self.dims == 3 { "nm³" } else { "nm²" };
        writeln!(
            f,
            "points       {} ({} focal), {}D, density {} per {unit}",
            self.points,
            self.focal_points,
            self.dims,
            e(&self.density, 4)
        )?;
        writeln!(
            f,
            "NN distance  mean {} nm, median {} nm, mode {:.3} nm (CSR mean {:.4} nm)",
            e(&self.mean_nn_nm, 4),
            e(&self.median_nn_nm, 4),
            self.mode_nn_nm,
            self.csr.mean_nn_nm
        )?;
        writeln!(
            f,
            "pairs        {:.1} % of points have their NN in {:.2}-{:.2} nm [{:.1}, {:.1}]; CSR chance {:.1} %; excess {:.1} %",
            100.0 * self.pair_fraction.value,
            self.window_nm[0],
            self.window_nm[1],
            100.0 * self.pair_fraction.ci_low,
            100.0 * self.pair_fraction.ci_high,
            100.0 * self.csr.pair_fraction,
            100.0 * self.csr.excess_pair_fraction.value
        )?;
        if !self.pair_fraction_by_elements.is_empty() {
            let parts: Vec<String> = self
                .pair_fraction_by_elements
                .iter()
                .map(|(k, v)| format!("{k} {:.1} %", 100.0 * v))
                .collect();
            writeln!(f, "by elements  {}", parts.join(", "))?;
        }
        let g = &self.groups;
        writeln!(
            f,
            "groups       {} under {:.2} nm: {} singles, {} pairs, {} clusters of 3+ (pairs {:.1} % of groups)",
            g.groups,
            g.cutoff_nm,
            g.singles,
            g.pairs,
            g.clusters,
            100.0 * g.pair_share_of_groups.value
        )?;
        write!(
            f,
            "Clark-Evans  R = {:.3} ± {:.3} (z = {:.1}; R < 1 clustered, 1 random, > 1 regular)",
            self.csr.clark_evans_r, self.csr.clark_evans_se, self.csr.clark_evans_z
        )?;
        if let Some(pv) = self.csr.monte_carlo_p {
            write!(f, "; Monte-Carlo p(pair fraction) = {pv:.3}")?;
        }
        writeln!(f)
    }
}
