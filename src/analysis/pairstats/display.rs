//! The text summary `sacsim analyze` prints.

use super::{Estimate, PairStats};

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
        if let Some(t) = &self.pair_types {
            let h = &t.hetero_fraction;
            let labels: Vec<String> = t
                .type_shares
                .iter()
                .map(|(k, v)| format!("{k} {:.1} %", 100.0 * v))
                .collect();
            writeln!(
                f,
                "pair types   {}-{} in {:.1} % of {} mutual pairs [{:.1}, {:.1}] (intensity ratios, resolving power {:.2}); expected types {}",
                t.elements[1],
                t.elements[0],
                100.0 * h.estimate,
                h.pairs,
                100.0 * h.ci95[0],
                100.0 * h.ci95[1],
                h.resolving_power,
                labels.join(", ")
            )?;
            if h.resolving_power < crate::analysis::identity::MIN_RESOLVING_POWER {
                writeln!(
                    f,
                    "             warning: resolving power {:.2} (δ over the pairs' noise) is below {}: the interval is not calibrated at this noise",
                    h.resolving_power,
                    crate::analysis::identity::MIN_RESOLVING_POWER
                )?;
            }
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
