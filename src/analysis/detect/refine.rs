//! Sub-pixel refinement of a detected peak.

/// Sub-pixel peak position: fit ln R = a + b x + c y + d x² + e y² over the
/// window (weights R², the usual Gaussian-fit weighting), centre
/// (−b/2d, −c/2e); centre of mass of positive values if that fails
/// (then `false`).
pub(super) fn refine(
    signal: &[f32],
    nx: usize,
    ny: usize,
    ix: usize,
    iy: usize,
    w: i64,
) -> ([f64; 2], bool) {
    let mut ata = [[0.0f64; 5]; 5];
    let mut atb = [0.0f64; 5];
    let (mut sx, mut sy, mut sw) = (0.0, 0.0, 0.0);
    let peak = signal[iy * nx + ix] as f64;
    for dy in -w..=w {
        for dx in -w..=w {
            let (qx, qy) = (ix as i64 + dx, iy as i64 + dy);
            if qx < 0 || qy < 0 || qx >= nx as i64 || qy >= ny as i64 {
                continue;
            }
            let v = signal[qy as usize * nx + qx as usize] as f64;
            if v <= 0.0 {
                continue;
            }
            sx += v * dx as f64;
            sy += v * dy as f64;
            sw += v;
            if v < 0.05 * peak {
                continue;
            }
            let (x, y) = (dx as f64, dy as f64);
            let row = [1.0, x, y, x * x, y * y];
            let wt = v * v;
            let l = v.ln();
            for i in 0..5 {
                atb[i] += wt * row[i] * l;
                for j in 0..5 {
                    ata[i][j] += wt * row[i] * row[j];
                }
            }
        }
    }
    let com = if sw > 0.0 {
        [ix as f64 + sx / sw, iy as f64 + sy / sw]
    } else {
        [ix as f64, iy as f64]
    };
    match solve5(ata, atb) {
        Some(c) if c[3] < 0.0 && c[4] < 0.0 => {
            let (x0, y0) = (-c[1] / (2.0 * c[3]), -c[2] / (2.0 * c[4]));
            if x0.abs() <= w as f64 && y0.abs() <= w as f64 {
                ([ix as f64 + x0, iy as f64 + y0], true)
            } else {
                (com, false)
            }
        }
        _ => (com, false),
    }
}

/// Solve the 5 x 5 normal equations (nalgebra LU).
fn solve5(a: [[f64; 5]; 5], b: [f64; 5]) -> Option<[f64; 5]> {
    let m = nalgebra::Matrix5::from_fn(|i, j| a[i][j]);
    let x = m.lu().solve(&nalgebra::Vector5::from(b))?;
    x.iter()
        .all(|v| v.is_finite())
        .then(|| [x[0], x[1], x[2], x[3], x[4]])
}
