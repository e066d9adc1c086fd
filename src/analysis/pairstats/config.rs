//! The settings of `sacsim analyze` (nm) and the work bounds they are
//! validated against.

use serde::{Deserialize, Serialize};

use super::BOOTSTRAP_LIMIT;
use crate::error::{Error, Result};
use crate::values::{Pair, short};

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

/// Most g(r) bins.
pub(super) const MAX_GR_BINS: f64 = 1e6;

/// Work bounds: bootstrap resamples x points resampled, and Monte-Carlo
/// realisations x points (each a full analysis), about ten seconds each
/// on two cores.
const MAX_BOOTSTRAP_WORK: f64 = 2e8;
const MAX_MONTE_CARLO_WORK: f64 = 5e7;

impl AnalyzeConfig {
    /// Refuse non-physical settings and work beyond the bounds for `n`
    /// points, naming the largest value that fits.
    pub fn validate(&self, n: usize) -> Result<()> {
        let [a, b] = self.window_nm.0;
        if !(a >= 0.0 && b > a && b <= MAX_DISTANCE_NM) {
            return Err(Error::invalid(
                "--pair-window",
                format!(
                    "{},{} nm; give min,max with 0 <= min < max <= {} nm (default 0.20,0.30)",
                    short(a),
                    short(b),
                    short(MAX_DISTANCE_NM)
                ),
            ));
        }
        for (flag, v) in [
            ("--bin", Some(self.bin_nm)),
            ("--gr-bin", Some(self.gr_bin_nm)),
            ("--gr-max", self.gr_max_nm),
            ("--group-cutoff", self.group_cutoff_nm),
        ] {
            if let Some(v) = v
                && !(v > 0.0 && v <= MAX_DISTANCE_NM)
            {
                return Err(Error::invalid(
                    flag,
                    format!("{} nm; give 0-{} nm", short(v), short(MAX_DISTANCE_NM)),
                ));
            }
        }
        let resampled = n.clamp(1, BOOTSTRAP_LIMIT) as f64;
        let largest = |work: f64, per: f64| short((work / per).floor());
        if self.bootstrap as f64 * resampled > MAX_BOOTSTRAP_WORK {
            return Err(Error::invalid(
                "--bootstrap",
                format!(
                    "{} resamples of {} points; the largest that runs in reasonable time is {}",
                    short(self.bootstrap as f64),
                    n,
                    largest(MAX_BOOTSTRAP_WORK, resampled)
                ),
            ));
        }
        if self.monte_carlo as f64 * n.max(1) as f64 > MAX_MONTE_CARLO_WORK {
            return Err(Error::invalid(
                "--monte-carlo",
                format!(
                    "{} realisations of {} points; the largest that runs in reasonable time is {}",
                    short(self.monte_carlo as f64),
                    n,
                    largest(MAX_MONTE_CARLO_WORK, n.max(1) as f64)
                ),
            ));
        }
        Ok(())
    }
}

/// Largest distance setting (nm): 100 µm.
const MAX_DISTANCE_NM: f64 = 1e5;
