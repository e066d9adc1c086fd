//! What a twin matches, measured the same way on a real image and on its
//! twin: the detector's noise law (variance against mean), the low-pass
//! background, and aperture photometry of atoms.

use crate::analysis::detect::Padded;
use crate::error::{Error, Result};

/// Block edge (px) of the noise-law fit.
const BLOCK: usize = 16;

/// The detector's noise law var = gain · (mean − offset): ADC units per
/// detected electron and the zero-electron level (dark noise taken as 0).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct NoiseLaw {
    /// ADC units per detected electron.
    pub gain: f64,
    /// ADC value of zero electrons.
    pub offset: f64,
    /// Median noise σ (ADC) of the blocks with signal.
    pub noise_sigma: f64,
}

/// The image's content beyond the probe's band limit 2α/λ: an incoherent
/// HAADF image holds no signal there, only noise (white shot and read-out
/// noise). Returns the filtered image and the share of a white noise's
/// variance it keeps; None when the band is under 5 % of the spectrum
/// (pixels too coarse).
pub fn beyond_band(
    data: &[f32],
    [nx, ny]: [usize; 2],
    pixel: [f64; 2],
    band: f64,
) -> Option<(Vec<f32>, f64)> {
    // The mirrored 2nx x 2ny extension is periodic and continuous: the
    // borders of a real image would otherwise leak power to every k.
    let (mx, my) = (2 * nx, 2 * ny);
    let mirrored: Vec<f32> = (0..mx * my)
        .map(|k| {
            let (x, y) = (k % mx, k / mx);
            let rx = if x < nx { x } else { mx - 1 - x };
            let ry = if y < ny { y } else { my - 1 - y };
            data[ry * nx + rx]
        })
        .collect();
    let fft = crate::fft::Fft2::new(mx, my);
    let freq = fft.frequencies(pixel[0], pixel[1]);
    let mut spec = fft.forward(mirrored);
    let (mut kept, mut total) = (0.0, 0.0);
    for (i, v) in spec.iter_mut().enumerate() {
        let (kx, ky) = freq(i / my, i % my);
        // Half-spectrum columns other than 0 and Nyquist stand for two.
        let w = if i / my == 0 || i / my == mx / 2 {
            1.0
        } else {
            2.0
        };
        total += w;
        if (kx * kx + ky * ky).sqrt() <= 1.05 * band {
            *v = Default::default();
        } else {
            kept += w;
        }
    }
    let share = kept / total;
    (share >= 0.05).then(|| {
        let full = fft.inverse(spec);
        let crop = (0..nx * ny).map(|k| full[(k / nx) * mx + k % nx]).collect();
        (crop, share)
    })
}

/// Per-block mean and white-noise variance: from the content beyond the
/// band limit when there is enough of it (structure-free), else from the
/// residual from the 3 x 3 mean (variance 8/9 σ² for white noise, which
/// also counts atomic structure at the pixel scale).
fn blocks(data: &[f32], [nx, ny]: [usize; 2], noise: Option<&(Vec<f32>, f64)>) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    for by in 0..(ny.saturating_sub(2)) / BLOCK {
        for bx in 0..(nx.saturating_sub(2)) / BLOCK {
            let (mut s, mut s2, mut n) = (0.0, 0.0, 0.0);
            for y in 1 + by * BLOCK..1 + (by + 1) * BLOCK {
                for x in 1 + bx * BLOCK..1 + (bx + 1) * BLOCK {
                    let v = data[y * nx + x] as f64;
                    let r = match noise {
                        Some((hp, share)) => {
                            hp[y * nx + x] as f64 / share.sqrt() * (8.0f64 / 9.0).sqrt()
                        }
                        None => {
                            let mut m = 0.0;
                            for dy in 0..3 {
                                for dx in 0..3 {
                                    m += data[(y + dy - 1) * nx + x + dx - 1] as f64;
                                }
                            }
                            v - m / 9.0
                        }
                    };
                    s += v;
                    s2 += r * r;
                    n += 1.0;
                }
            }
            out.push((s / n, s2 / n * 9.0 / 8.0));
        }
    }
    out
}

/// Least squares y = a x + c.
fn line(points: &[(f64, f64)]) -> (f64, f64) {
    let n = points.len() as f64;
    let (mx, my) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x / n, b + y / n));
    let (sxy, sxx) = points.iter().fold((0.0, 0.0), |(a, b), (x, y)| {
        (a + (x - mx) * (y - my), b + (x - mx) * (x - mx))
    });
    let a = sxy / sxx.max(f64::MIN_POSITIVE);
    (a, my - a * mx)
}

/// Fit the noise law from 16 x 16 px blocks: a least-squares line of
/// variance on mean, refitted without the blocks more than 3 robust σ
/// off it (atoms, edges). `band`: the probe's band limit 2α/λ (1/Å).
/// With a known `offset` (a dark frame, a vacuum level) only the gain is
/// fitted: var = g (mean − offset) through that point.
pub fn noise_law(
    data: &[f32],
    shape: [usize; 2],
    pixel: [f64; 2],
    band: f64,
    offset: Option<f64>,
) -> Result<NoiseLaw> {
    let fit_line = |pts: &[(f64, f64)]| match offset {
        None => line(pts),
        Some(o) => {
            let (sxy, sxx) = pts.iter().fold((0.0, 0.0), |(a, b), (m, v)| {
                (a + (m - o) * v, b + (m - o) * (m - o))
            });
            let g = sxy / sxx.max(f64::MIN_POSITIVE);
            (g, -g * o)
        }
    };
    let hp = beyond_band(data, shape, pixel, band);
    let mut pts = blocks(data, shape, hp.as_ref());
    if pts.len() < 8 {
        return Err(Error::invalid(
            "IMAGE",
            "too small to measure its noise (at least 8 blocks of 16 x 16 px)",
        ));
    }
    let mut fit = fit_line(&pts);
    for _ in 0..2 {
        let mut dev: Vec<f64> = pts
            .iter()
            .map(|(x, y)| (y - fit.0 * x - fit.1).abs())
            .collect();
        dev.sort_by(f64::total_cmp);
        let mad = dev[dev.len() / 2] * 1.4826;
        pts.retain(|(x, y)| (y - fit.0 * x - fit.1).abs() <= 3.0 * mad);
        fit = fit_line(&pts);
    }
    let (gain, c) = fit;
    let mut means: Vec<f64> = pts.iter().map(|(m, _)| m.abs()).collect();
    means.sort_by(f64::total_cmp);
    let level = means[means.len() / 2];
    let mut vars: Vec<f64> = pts.iter().map(|(_, v)| *v).collect();
    vars.sort_by(f64::total_cmp);
    // f32 round-off of a noise-free image is ~1e-7 of its level.
    if vars[vars.len() / 2].max(0.0).sqrt() < 1e-4 * level {
        return Err(Error::invalid(
            "IMAGE",
            "it has no noise (a clean simulation?): a twin needs a counting image",
        ));
    }
    // Shot noise of a real acquisition: up to a few 1e3 electrons per
    // pixel (1e6 e/Å² on 0.25 Å pixels of thick carbon); beyond 1e4 the
    // "noise" is round-off or edge leakage of a clean image.
    if gain > 0.0 && (level + c / gain) / gain > 1e4 {
        return Err(Error::invalid(
            "IMAGE",
            "it has no noise (a clean simulation?): a twin needs a counting image",
        ));
    }
    if !(gain > 0.0 && gain.is_finite()) {
        return Err(Error::invalid(
            "IMAGE",
            "its noise does not grow with the signal (no shot-noise signature): a twin needs a counting image, not a processed one",
        ));
    }
    let mut sig: Vec<f64> = pts.iter().map(|(_, v)| v.max(0.0).sqrt()).collect();
    sig.sort_by(f64::total_cmp);
    Ok(NoiseLaw {
        gain,
        offset: -c / gain,
        noise_sigma: sig[sig.len() / 2],
    })
}

/// The image low-passed by a Gaussian of `sigma_px` (mirrored edges).
pub fn low_pass(data: &[f32], shape: [usize; 2], sigma_px: f64) -> Vec<f32> {
    Padded::new(data, shape, 3.0 * sigma_px).gaussian(sigma_px)
}

/// Aperture photometry of one atom (values in the image's units).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct AtomSignal {
    /// Local background: median of the annulus 2.5-4 Å.
    pub background: f64,
    /// Mean over the disc r ≤ 0.5 Å minus the background.
    pub contrast: f64,
    /// Sum over the disc r ≤ 1.5 Å minus the background.
    pub integral: f64,
}

/// Photometry at each position (pixels; atoms within 4 Å of an edge are
/// skipped). `pixel` is the mean pixel size (Å).
pub fn atom_signals(
    data: &[f32],
    [nx, ny]: [usize; 2],
    pixel: f64,
    at: &[[f64; 2]],
) -> Vec<AtomSignal> {
    let reach = (4.0 / pixel).ceil() as i64;
    at.iter()
        .filter(|p| {
            p[0] >= reach as f64
                && p[1] >= reach as f64
                && p[0] < (nx as i64 - reach - 1) as f64
                && p[1] < (ny as i64 - reach - 1) as f64
        })
        .map(|p| {
            let (cx, cy) = (p[0].round() as i64, p[1].round() as i64);
            let (mut ring, mut core, mut disc) = (Vec::new(), (0.0f64, 0.0f64), (0.0f64, 0.0f64));
            for y in cy - reach..=cy + reach {
                for x in cx - reach..=cx + reach {
                    let r = ((x as f64 - p[0]).hypot(y as f64 - p[1])) * pixel;
                    let v = data[y as usize * nx + x as usize] as f64;
                    if (2.5..=4.0).contains(&r) {
                        ring.push(v);
                    }
                    if r <= 0.5 {
                        core = (core.0 + v, core.1 + 1.0);
                    }
                    if r <= 1.5 {
                        disc = (disc.0 + v, disc.1 + 1.0);
                    }
                }
            }
            ring.sort_by(f64::total_cmp);
            let bg = ring[ring.len() / 2];
            AtomSignal {
                background: bg,
                contrast: core.0 / core.1.max(1.0) - bg,
                integral: disc.0 - bg * disc.1,
            }
        })
        .collect()
}

/// Median of a non-empty list (0 if empty).
pub fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, Poisson};

    #[test]
    fn the_noise_law_recovers_gain_and_offset_of_poisson_counts() {
        // A ramp of 5-50 electrons per pixel read with gain 40, offset 1000.
        let (nx, ny) = (256, 256);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
        let data: Vec<f32> = (0..nx * ny)
            .map(|k| {
                let lambda = 5.0 + 45.0 * (k % nx) as f64 / nx as f64;
                let n: f64 = Poisson::new(lambda).unwrap().sample(&mut rng);
                (40.0 * n + 1000.0) as f32
            })
            .collect();
        let law = noise_law(&data, [nx, ny], [0.1, 0.1], 1.44, None).unwrap();
        assert!((law.gain / 40.0 - 1.0).abs() < 0.05, "{law:?}");
        assert!((law.offset - 1000.0).abs() < 40.0, "{law:?}");
        let known = noise_law(&data, [nx, ny], [0.1, 0.1], 1.44, Some(1000.0)).unwrap();
        assert!(
            (known.gain / 40.0 - 1.0).abs() < 0.03 && (known.offset - 1000.0).abs() < 1e-6,
            "{known:?}"
        );
    }
}
