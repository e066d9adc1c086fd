//! g(r) with Ripley's isotropic edge weights in open 2D regions.

use super::neighbours::Context;
use crate::analysis::spatial::Pairs;
use crate::structure::{Positions, Region};
use crate::values::angstrom_to_nm;

/// The 2D bounds of the region: (origin, size, periodic).
pub(super) fn bounds2(p: &Positions) -> ([f64; 2], [f64; 2], bool) {
    match p.region {
        Region::Periodic { size } => ([0.0, 0.0], [size[0], size[1]], true),
        Region::Open { origin, size } => ([origin[0], origin[1]], [size[0], size[1]], false),
    }
}

/// Fraction of the circle of radius r about (x, y) that lies inside the
/// rectangle (Ripley 1977): 1 − (arcs outside the four edges − corner
/// overlaps) / 2π. Valid for r up to half the shorter side.
pub(super) fn circle_inside(x: f64, y: f64, r: f64, origin: [f64; 3], size: [f64; 3]) -> f64 {
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
pub(super) fn pair_correlation(
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
                angstrom_to_nm((r0 + r1) / 2.0),
                measure * hist[b] / (n * (n - 1.0) * shell),
            ]
        })
        .collect();
    (g, pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ripley_weight_is_exact_for_edges_and_corners() {
        let (o, s) = ([0.0; 3], [10.0, 10.0, 0.0]);
        // Far from every edge: the whole circle is inside.
        assert_eq!(circle_inside(5.0, 5.0, 2.0, o, s), 1.0);
        // On an edge: half the circle.
        assert!((circle_inside(0.0, 5.0, 2.0, o, s) - 0.5).abs() < 1e-12);
        // In a corner: a quarter.
        assert!((circle_inside(0.0, 0.0, 2.0, o, s) - 0.25).abs() < 1e-12);
        // At distance d = r/2 from one edge: 1 - 2 acos(1/2) / 2π = 2/3.
        assert!((circle_inside(1.0, 5.0, 2.0, o, s) - 2.0 / 3.0).abs() < 1e-12);
    }
}
