//! The shape of an amorphous support: where its carbon is and where the
//! N-doped sheets that carry the sites lie on it.
//!
//! Heights are relative to the support's base (z = 0 at the flat bottom of
//! slab, wedge and field; the lowest point of the rod's body). The sheets
//! sit 3.35 Å outside the body: the top sheet over its top surface, the
//! bottom sheet (with `--both-faces`) under its bottom surface.
//! - `slab`: thickness T everywhere (the classic flat sample).
//! - `wedge:T0,T1`: thickness rising linearly from T0 at x = 0 to T1 at the
//!   far x edge (the box is periodic, so the wedge steps back at the seam).
//! - `rod:R`: a cylinder of outer radius R (where the sheets lie) along y,
//!   centred in x, with vacuum beyond |x - x_c| > R: a ZIF-8-derived
//!   nanorod seen side on. The sheets wrap the upper and lower half
//!   surfaces.
//! - `field:MEAN,RMS,CORR`: thickness MEAN + RMS·g(x, y), g a periodic
//!   Gaussian random field of unit variance and covariance
//!   exp(-r²/CORR²), cut at 0 (holes in the carbon, the sheet still spans
//!   them); the flat bottom stays flat.
//!
//! Sheets follow the surface height only (their in-plane positions stay
//! the graphene lattice), which is exact in projection and for depth focus;
//! the slope stretches bonds by 1/cos θ, so shaped samples are for imaging,
//! not for DFT.

use std::fmt;
use std::str::FromStr;

use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::fft::{Fft2, smooth_size};
use crate::values::{nm_to_angstrom, short};

use super::INTERLAYER;

/// Largest support thickness or rod diameter (nm).
pub const MAX_THICKNESS_NM: f64 = 100.0;

/// The shape of an amorphous support (all lengths in nm).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "lowercase", tag = "shape")]
pub enum SupportShape {
    /// Uniform thickness.
    Slab {
        /// Thickness (nm).
        thickness_nm: f64,
    },
    /// Thickness rising linearly across x.
    Wedge {
        /// Thickness at x = 0 (nm).
        t0_nm: f64,
        /// Thickness at the far x edge (nm).
        t1_nm: f64,
    },
    /// A cylinder along y, centred in x.
    Rod {
        /// Outer radius, where the sheets lie (nm).
        radius_nm: f64,
    },
    /// A smooth random thickness field over a flat bottom.
    Field {
        /// Mean thickness (nm).
        mean_nm: f64,
        /// Standard deviation of the thickness before the cut at 0 (nm).
        rms_nm: f64,
        /// Correlation length (nm) of the covariance exp(-r²/ℓ²).
        correlation_nm: f64,
    },
}

impl SupportShape {
    /// Check the numbers; `flag` names the option in errors.
    pub fn validate(&self, flag: &str) -> Result<()> {
        let bad = |what: &str, v: f64, range: &str| {
            Err(Error::invalid(
                flag,
                format!("{what} {} nm; give {range}", short(v)),
            ))
        };
        let thickness = |what: &str, v: f64| {
            if (0.0..=MAX_THICKNESS_NM).contains(&v) {
                Ok(())
            } else {
                bad(what, v, "0-100 nm")
            }
        };
        match *self {
            SupportShape::Slab { thickness_nm } => thickness("thickness", thickness_nm),
            SupportShape::Wedge { t0_nm, t1_nm } => {
                thickness("T0", t0_nm)?;
                thickness("T1", t1_nm)
            }
            SupportShape::Rod { radius_nm } => {
                let lo = 2.0 * INTERLAYER / 10.0;
                if (lo..=MAX_THICKNESS_NM / 2.0).contains(&radius_nm) {
                    Ok(())
                } else {
                    bad("radius", radius_nm, &format!("{}-50 nm", short(lo)))
                }
            }
            SupportShape::Field {
                mean_nm,
                rms_nm,
                correlation_nm,
            } => {
                thickness("mean", mean_nm)?;
                thickness("rms", rms_nm)?;
                if (0.1..=1000.0).contains(&correlation_nm) {
                    Ok(())
                } else {
                    bad("correlation length", correlation_nm, "0.1-1000 nm")
                }
            }
        }
    }

    /// The largest thickness (nm) the shape reaches, for size estimates.
    pub fn max_thickness_nm(&self) -> f64 {
        match *self {
            SupportShape::Slab { thickness_nm } => thickness_nm,
            SupportShape::Wedge { t0_nm, t1_nm } => t0_nm.max(t1_nm),
            SupportShape::Rod { radius_nm } => 2.0 * radius_nm,
            SupportShape::Field {
                mean_nm, rms_nm, ..
            } => mean_nm + 5.0 * rms_nm,
        }
    }
}

/// The `--support-shape` choice: `slab` (its thickness is
/// `--support-thickness`) or a shape with its own numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ShapeChoice {
    /// A slab of the separately given thickness.
    Slab,
    /// Wedge, rod or field.
    Shaped(SupportShape),
}

impl ShapeChoice {
    /// The shape, with the slab thickness filled in.
    pub fn shape(self, slab_thickness_nm: f64) -> SupportShape {
        match self {
            ShapeChoice::Slab => SupportShape::Slab {
                thickness_nm: slab_thickness_nm,
            },
            ShapeChoice::Shaped(s) => s,
        }
    }
}

impl FromStr for ShapeChoice {
    type Err = Error;
    fn from_str(text: &str) -> Result<ShapeChoice> {
        let flag = "--support-shape";
        let (name, args) = text.split_once(':').unwrap_or((text, ""));
        let nums: Vec<f64> = if args.is_empty() {
            Vec::new()
        } else {
            args.split(',')
                .map(|v| {
                    v.trim().parse::<f64>().map_err(|_| {
                        Error::invalid(flag, format!("'{v}' in '{text}' is not a number (nm)"))
                    })
                })
                .collect::<Result<_>>()?
        };
        let shape = match (name.trim(), nums.as_slice()) {
            ("slab", []) => return Ok(ShapeChoice::Slab),
            ("wedge", &[t0_nm, t1_nm]) => SupportShape::Wedge { t0_nm, t1_nm },
            ("rod", &[radius_nm]) => SupportShape::Rod { radius_nm },
            ("field", &[mean_nm, rms_nm, correlation_nm]) => SupportShape::Field {
                mean_nm,
                rms_nm,
                correlation_nm,
            },
            _ => {
                return Err(Error::invalid(
                    flag,
                    format!(
                        "'{text}'; give slab, wedge:T0,T1, rod:R or field:MEAN,RMS,CORR (nm), e.g. rod:8"
                    ),
                ));
            }
        };
        shape.validate(flag)?;
        Ok(ShapeChoice::Shaped(shape))
    }
}

impl fmt::Display for ShapeChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShapeChoice::Slab => f.write_str("slab"),
            ShapeChoice::Shaped(SupportShape::Slab { thickness_nm }) => {
                write!(f, "slab:{thickness_nm}")
            }
            ShapeChoice::Shaped(SupportShape::Wedge { t0_nm, t1_nm }) => {
                write!(f, "wedge:{t0_nm},{t1_nm}")
            }
            ShapeChoice::Shaped(SupportShape::Rod { radius_nm }) => write!(f, "rod:{radius_nm}"),
            ShapeChoice::Shaped(SupportShape::Field {
                mean_nm,
                rms_nm,
                correlation_nm,
            }) => write!(f, "field:{mean_nm},{rms_nm},{correlation_nm}"),
        }
    }
}

crate::values::serde_as_text!(ShapeChoice);

/// A shape laid out on a box: heights (Å) of the body and the sheets at
/// any in-plane point.
pub struct Profile {
    kind: Kind,
    box_angstrom: [f64; 2],
}

enum Kind {
    Slab(f64),
    Wedge(f64, f64),
    Rod(f64),
    Field(Grid),
    /// A measured thickness map: no carbon and no sheets where it is 0;
    /// optionally a (non-negative) lift of each column's top face.
    Map(Grid, Option<Grid>),
}

/// A periodic thickness map (Å), bilinearly interpolated.
struct Grid {
    n: [usize; 2],
    values: Vec<f64>,
}

impl Grid {
    fn at(&self, x: f64, y: f64, b: [f64; 2]) -> f64 {
        let fx = (x / b[0]).rem_euclid(1.0) * self.n[0] as f64;
        let fy = (y / b[1]).rem_euclid(1.0) * self.n[1] as f64;
        let (i0, j0) = (
            fx.floor() as usize % self.n[0],
            fy.floor() as usize % self.n[1],
        );
        let (i1, j1) = ((i0 + 1) % self.n[0], (j0 + 1) % self.n[1]);
        let (tx, ty) = (fx - fx.floor(), fy - fy.floor());
        let v = |i: usize, j: usize| self.values[j * self.n[0] + i];
        (1.0 - ty) * ((1.0 - tx) * v(i0, j0) + tx * v(i1, j0))
            + ty * ((1.0 - tx) * v(i0, j1) + tx * v(i1, j1))
    }
}

impl Profile {
    /// Lay a shape out on a box (Å); the field draws from `rng`.
    pub fn new(shape: &SupportShape, b: [f64; 2], rng: &mut ChaCha8Rng) -> Profile {
        let kind = match *shape {
            SupportShape::Slab { thickness_nm } => Kind::Slab(nm_to_angstrom(thickness_nm)),
            SupportShape::Wedge { t0_nm, t1_nm } => {
                Kind::Wedge(nm_to_angstrom(t0_nm), nm_to_angstrom(t1_nm))
            }
            SupportShape::Rod { radius_nm } => Kind::Rod(nm_to_angstrom(radius_nm)),
            SupportShape::Field {
                mean_nm,
                rms_nm,
                correlation_nm,
            } => Kind::Field(random_field(
                b,
                nm_to_angstrom(mean_nm),
                nm_to_angstrom(rms_nm),
                nm_to_angstrom(correlation_nm),
                rng,
            )),
        };
        Profile {
            kind,
            box_angstrom: b,
        }
    }

    /// A measured thickness map (Å) on an n[0] x n[1] grid spanning the box
    /// `b` (row-major, periodic, bilinear): where it is 0 there is vacuum,
    /// without carbon or sheets (e.g. a twin's map from a real image). The
    /// top face is flat (the metals on it share one focus); the thickness
    /// hangs below it.
    pub fn from_map(values: Vec<f64>, n: [usize; 2], b: [f64; 2]) -> Profile {
        assert_eq!(values.len(), n[0] * n[1], "map size");
        Profile {
            kind: Kind::Map(Grid { n, values }, None),
            box_angstrom: b,
        }
    }

    /// A map whose top face is rough: each column lifted by a smooth random
    /// field of `rms` Å and correlation length `corr` Å (shifted to lifts
    /// ≥ 0), so that metals on it sit at different heights and foci. Other
    /// shapes are returned as they are.
    pub fn with_roughness(self, rms: f64, corr: f64, rng: &mut ChaCha8Rng) -> Profile {
        match self.kind {
            Kind::Map(g, _) if rms > 0.0 => {
                let mut lift = random_field(self.box_angstrom, 0.0, rms, corr, rng);
                let lo = lift.values.iter().copied().fold(f64::MAX, f64::min);
                lift.values.iter_mut().for_each(|v| *v -= lo);
                Profile {
                    kind: Kind::Map(g, Some(lift)),
                    box_angstrom: self.box_angstrom,
                }
            }
            kind => Profile {
                kind,
                box_angstrom: self.box_angstrom,
            },
        }
    }

    /// A map's flat top (its thickest column) and the lift at (x, y) (Å).
    fn map_top(&self, x: f64, y: f64) -> (f64, f64) {
        match &self.kind {
            Kind::Map(g, lift) => (
                g.values.iter().copied().fold(0.0, f64::max),
                lift.as_ref().map_or(0.0, |l| l.at(x, y, self.box_angstrom)),
            ),
            _ => (0.0, 0.0),
        }
    }

    /// Thickness of the body (Å) under a flat-bottomed shape at (x, y).
    fn thickness(&self, x: f64, y: f64) -> f64 {
        let b = self.box_angstrom;
        match &self.kind {
            Kind::Slab(t) => *t,
            Kind::Wedge(t0, t1) => t0 + (t1 - t0) * (x / b[0]).rem_euclid(1.0),
            Kind::Rod(_) => unreachable!("the rod has no flat bottom"),
            Kind::Field(g) | Kind::Map(g, _) => g.at(x, y, b).max(0.0),
        }
    }

    /// Rod: centre height and in-plane offset from the axis (Å).
    fn rod(&self, r: f64, x: f64) -> (f64, f64) {
        let xc = self.box_angstrom[0] / 2.0;
        (
            r - INTERLAYER,
            (x.rem_euclid(self.box_angstrom[0]) - xc).abs(),
        )
    }

    /// The z range (Å) the carbon body fills at (x, y); None where there is
    /// none.
    pub fn body(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        match &self.kind {
            Kind::Rod(r) => {
                let (zc, dx) = self.rod(*r, x);
                let inner = r - INTERLAYER;
                (dx < inner).then(|| {
                    let s = (inner * inner - dx * dx).sqrt();
                    (zc - s, zc + s)
                })
            }
            Kind::Map(..) => {
                let ((top, lift), t) = (self.map_top(x, y), self.thickness(x, y));
                (t > 0.0).then_some((top + lift - t, top + lift))
            }
            _ => {
                let t = self.thickness(x, y);
                (t > 0.0).then_some((0.0, t))
            }
        }
    }

    /// Height (Å) of the top (`top = true`) or bottom sheet at (x, y);
    /// None where that sheet does not exist (beyond a rod).
    pub fn sheet(&self, top: bool, x: f64, y: f64) -> Option<f64> {
        match &self.kind {
            Kind::Rod(r) => {
                let (zc, dx) = self.rod(*r, x);
                (dx < *r).then(|| {
                    let s = (r * r - dx * dx).sqrt();
                    if top { zc + s } else { zc - s }
                })
            }
            Kind::Map(..) => {
                let ((hi, lift), t) = (self.map_top(x, y), self.thickness(x, y));
                (t > 0.0).then_some(if top {
                    hi + lift + INTERLAYER
                } else {
                    hi + lift - t - INTERLAYER
                })
            }
            _ if top => Some(self.thickness(x, y) + INTERLAYER),
            _ => Some(-INTERLAYER),
        }
    }

    /// Relative likelihood (0-1) of a site at (x, y): on a measured map
    /// t/t_max (metals sit where carbon is thick, as a twin's real image
    /// shows: its labelled atoms lie on 1.0-1.4x the median background),
    /// elsewhere 1.
    pub fn site_weight(&self, x: f64, y: f64) -> f64 {
        match &self.kind {
            Kind::Map(..) => self.thickness(x, y) / self.map_top(x, y).0.max(1e-9),
            _ => 1.0,
        }
    }

    /// The highest point of the body (Å).
    pub fn max_height(&self) -> f64 {
        match &self.kind {
            Kind::Slab(t) => *t,
            Kind::Wedge(t0, t1) => t0.max(*t1),
            Kind::Rod(r) => 2.0 * (r - INTERLAYER),
            Kind::Field(g) => g.values.iter().copied().fold(0.0, f64::max),
            Kind::Map(g, lift) => {
                let top = g.values.iter().copied().fold(0.0, f64::max);
                top + lift
                    .as_ref()
                    .map_or(0.0, |l| l.values.iter().copied().fold(0.0, f64::max))
            }
        }
    }

    /// Volume of the body (Å³), exact for slab, wedge and rod; for the field
    /// the grid's mean thickness times the area.
    pub fn volume(&self) -> f64 {
        let [bx, by] = self.box_angstrom;
        match &self.kind {
            Kind::Slab(t) => t * bx * by,
            Kind::Wedge(t0, t1) => 0.5 * (t0 + t1) * bx * by,
            Kind::Rod(r) => {
                // A circular segment when the rod is wider than the box.
                let inner = r - INTERLAYER;
                let h = (bx / 2.0).min(inner);
                let area =
                    2.0 * (h * (inner * inner - h * h).sqrt() + inner * inner * (h / inner).asin());
                area * by
            }
            Kind::Field(g) | Kind::Map(g, _) => {
                g.values.iter().map(|v| v.max(0.0)).sum::<f64>() / g.values.len() as f64 * bx * by
            }
        }
    }

    /// The share of the box's area the sheets cover.
    pub fn sheet_fraction(&self) -> f64 {
        match &self.kind {
            Kind::Rod(r) => (2.0 * r / self.box_angstrom[0]).min(1.0),
            Kind::Map(g, _) => {
                g.values.iter().filter(|v| **v > 0.0).count() as f64 / g.values.len() as f64
            }
            _ => 1.0,
        }
    }
}

/// A periodic Gaussian random field on a grid of at most ℓ/6 spacing:
/// white noise filtered by exp(-π² ℓ² k² / 2) (covariance exp(-r²/ℓ²)),
/// scaled to exactly `rms` and shifted to `mean`.
fn random_field(b: [f64; 2], mean: f64, rms: f64, corr: f64, rng: &mut ChaCha8Rng) -> Grid {
    let n = [0, 1].map(|k| smooth_size(((b[k] / (corr / 6.0)).ceil() as usize).clamp(8, 1024)));
    let noise: Vec<f32> = (0..n[0] * n[1])
        .map(|_| {
            let v: f64 = StandardNormal.sample(rng);
            v as f32
        })
        .collect();
    let fft = Fft2::new(n[0], n[1]);
    let freq = fft.frequencies(b[0] / n[0] as f64, b[1] / n[1] as f64);
    let mut spec = fft.forward(noise);
    let ny = n[1];
    for (i, v) in spec.iter_mut().enumerate() {
        let (kx, ky) = freq(i / ny, i % ny);
        let k2 = kx * kx + ky * ky;
        *v *= (-(std::f64::consts::PI * corr).powi(2) * k2 / 2.0).exp() as f32;
    }
    let g = fft.inverse(spec);
    let m = g.iter().map(|&v| v as f64).sum::<f64>() / g.len() as f64;
    let sd = (g.iter().map(|&v| (v as f64 - m).powi(2)).sum::<f64>() / g.len() as f64).sqrt();
    let values = g
        .iter()
        .map(|&v| mean + rms * (v as f64 - m) / sd.max(1e-30))
        .collect();
    Grid { n, values }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn shapes_parse_and_refuse_with_the_valid_forms() {
        for text in ["slab", "wedge:1,5", "rod:8", "field:3,0.5,2"] {
            assert_eq!(text.parse::<ShapeChoice>().unwrap().to_string(), text);
        }
        assert_eq!(
            "slab".parse::<ShapeChoice>().unwrap().shape(2.0),
            SupportShape::Slab { thickness_nm: 2.0 }
        );
        for bad in [
            "rod",
            "wedge:1",
            "field:1,2",
            "cone:3",
            "rod:x",
            "rod:0.1",
            "wedge:-1,2",
        ] {
            let e = bad.parse::<ShapeChoice>().unwrap_err().to_string();
            assert!(e.contains("--support-shape"), "{bad}: {e}");
        }
    }

    #[test]
    fn rod_and_wedge_heights_follow_their_geometry() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let b = [200.0, 100.0];
        let rod = Profile::new(&SupportShape::Rod { radius_nm: 5.0 }, b, &mut rng);
        // On the axis: body 2(R - 3.35) thick, sheets R above and below centre.
        let (lo, hi) = rod.body(100.0, 3.0).unwrap();
        assert!((hi - lo - 2.0 * (50.0 - INTERLAYER)).abs() < 1e-9);
        assert!(
            (rod.sheet(true, 100.0, 0.0).unwrap() - rod.sheet(false, 100.0, 0.0).unwrap() - 100.0)
                .abs()
                < 1e-9
        );
        assert!(rod.body(49.0, 0.0).is_none() && rod.sheet(true, 49.0, 0.0).is_none());
        assert!((rod.sheet_fraction() - 0.5).abs() < 1e-12);
        let area = std::f64::consts::PI * (50.0 - INTERLAYER).powi(2);
        assert!((rod.volume() - area * 100.0).abs() < 1e-6 * area);
        let wedge = Profile::new(
            &SupportShape::Wedge {
                t0_nm: 1.0,
                t1_nm: 3.0,
            },
            b,
            &mut rng,
        );
        assert!((wedge.body(100.0, 7.0).unwrap().1 - 20.0).abs() < 1e-9);
        assert!((wedge.sheet(true, 50.0, 0.0).unwrap() - 15.0 - INTERLAYER).abs() < 1e-9);
    }

    #[test]
    fn the_random_field_has_the_requested_statistics() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let b = [400.0, 400.0];
        let shape = SupportShape::Field {
            mean_nm: 3.0,
            rms_nm: 0.5,
            correlation_nm: 2.0,
        };
        let p = Profile::new(&shape, b, &mut rng);
        let Kind::Field(g) = &p.kind else { panic!() };
        let n = g.values.len() as f64;
        let m = g.values.iter().sum::<f64>() / n;
        let sd = (g.values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n).sqrt();
        assert!((m - 30.0).abs() < 1e-9 && (sd - 5.0).abs() < 1e-9);
        // Correlation at one correlation length: exp(-1) = 0.37 (a sample
        // of ~40 correlation areas: within 0.15).
        let (nx, ny) = (g.n[0], g.n[1]);
        let shift = (20.0 / (b[0] / nx as f64)).round() as usize;
        let mut c = 0.0;
        for j in 0..ny {
            for i in 0..nx {
                c += (g.values[j * nx + i] - m) * (g.values[j * nx + (i + shift) % nx] - m);
            }
        }
        let rho = c / n / (sd * sd);
        assert!(
            (rho - (-1f64).exp()).abs() < 0.15,
            "correlation at ℓ: {rho}"
        );
    }
}
