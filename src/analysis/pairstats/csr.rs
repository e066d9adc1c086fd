//! Complete spatial randomness: the NN distribution and its moments in d
//! dimensions, and CSR realisations for Monte-Carlo envelopes.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::structure::{Positions, Region};

/// Unit-ball measure V_d: π (2D), 4π/3 (3D).
pub(super) fn ball(dims: usize) -> f64 {
    if dims == 3 {
        4.0 / 3.0 * std::f64::consts::PI
    } else {
        std::f64::consts::PI
    }
}

/// CSR NN CDF at r (Å) for density rho (per Å^d).
pub(super) fn csr_cdf(r: f64, rho: f64, dims: usize) -> f64 {
    1.0 - (-rho * ball(dims) * r.powi(dims as i32)).exp()
}

/// CSR mean and sd of the NN distance (Å): Γ(1+1/d) and
/// sqrt(Γ(1+2/d) − Γ(1+1/d)²) times (rho V_d)^(−1/d).
pub(super) fn csr_moments(rho: f64, dims: usize) -> (f64, f64) {
    let (g1, g2) = if dims == 3 {
        (0.892_979_511_569_249, 0.902_745_292_950_934)
    } else {
        (0.886_226_925_452_758, 1.0)
    };
    let scale = (rho * ball(dims)).powf(-1.0 / dims as f64);
    (g1 * scale, (g2 - g1 * g1).sqrt() * scale)
}

/// Uniform random points in the same region (one CSR realisation).
pub(super) fn csr_points(p: &Positions, rng: &mut ChaCha8Rng) -> Positions {
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

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn closed_forms_in_two_and_three_dimensions() {
        // 2D: mean NN 1/(2 sqrt(rho)), sd sqrt((4 - pi)/(4 pi rho)).
        let rho = 0.37;
        let (m, s) = csr_moments(rho, 2);
        assert!((m - 0.5 / rho.sqrt()).abs() < 1e-12);
        let sd = ((4.0 - std::f64::consts::PI) / (4.0 * std::f64::consts::PI * rho)).sqrt();
        assert!((s - sd).abs() < 1e-12);
        // The CDF at the median of the exponential in r^d is 1/2.
        let r_half = (std::f64::consts::LN_2 / (rho * std::f64::consts::PI)).sqrt();
        assert!((csr_cdf(r_half, rho, 2) - 0.5).abs() < 1e-12);
        // 3D: mean Γ(4/3) (4π rho/3)^(-1/3).
        let (m3, _) = csr_moments(rho, 3);
        let want =
            0.892_979_511_569_249 * (4.0 / 3.0 * std::f64::consts::PI * rho).powf(-1.0 / 3.0);
        assert!((m3 - want).abs() < 1e-12);
    }

    #[test]
    fn realisations_fill_the_region_uniformly() {
        let p = Positions {
            points: vec![[0.0; 3]; 20_000],
            elements: vec![None; 20_000],
            region: Region::Open {
                origin: [10.0, -5.0, 0.0],
                size: [4.0, 2.0, 0.0],
            },
            dims: 2,
            source: String::new(),
        };
        let q = csr_points(&p, &mut ChaCha8Rng::seed_from_u64(1));
        let mean_x = q.points.iter().map(|p| p[0]).sum::<f64>() / 20_000.0;
        assert!(
            q.points.iter().all(|p| (10.0..14.0).contains(&p[0])
                && (-5.0..-3.0).contains(&p[1])
                && p[2] == 0.0)
        );
        // Uniform on [10, 14]: mean 12, sd of the mean 4/sqrt(12 * 20000).
        assert!((mean_x - 12.0).abs() < 4.0 * 4.0 / (12.0f64 * 20_000.0).sqrt());
    }
}
