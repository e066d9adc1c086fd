//! The incoherent HAADF image (Kirkland's incostem model, docs/PHYSICS.md §4):
//!
//! I(r) = Σ_j σ_j · (|P|² ⊛ G_u)(r − r_j) ⊛ source,
//!
//! σ_j the detector-integrated cross section of atom j, |P|² the probe
//! intensity density (∫ = 1), G_u the thermal smearing (Gaussian, rms u
//! per axis). Values are the fraction of the incident beam that reaches
//! the detector.
//!
//! Numerics. The image is computed on a fine periodic grid of spacing
//! h <= 0.8 · λ/(4α) (the image is band-limited to 2α/λ, so this grid
//! resolves it with room to spare) and sampled at the pixels. Atoms keep
//! their exact positions: each is spread as a Gaussian of width w =
//! max(u, h) sampled on the grid (accurate to ~1e-4 below the band limit)
//! and the extra width is divided out in Fourier space, exp(+2π²(w² − u²)k²).
//! The product with the probe's transfer function F[|P|²] and the source
//! envelope is transformed back with one real FFT pair.
//!
//! Field: an orthogonal periodic cell is imaged exactly periodically; a
//! window (or a non-orthogonal or non-periodic structure) is padded by the
//! probe's reach and the periodic images of the atoms around it are
//! included, so nothing wraps around.
//!
//! Pixel convention: pixel (ix, iy) samples the image at
//! (x0 + ix·px, y0 + iy·py) Å; arrays are row-major `[iy][ix]`.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use rayon::prelude::*;
use rustfft::num_complex::Complex;
use serde::Serialize;

pub use super::image::{FineImage, Image, fft_size};
use super::probe::Probe;
pub use super::scan::{MAX_FIELD, MAX_PIXELS_PER_SIDE, PIXEL_RANGE, Scan};
use super::scattering::{CrossSectionModel, Detector, cross_section};
use super::thermal::ThermalRms;
use crate::error::{Error, Result};
use crate::fft::Fft2;
use crate::structure::{Element, Structure};

/// The largest probe-grid edge; larger fields interpolate its transfer
/// function.
const MAX_PROBE_GRID: usize = 1024;

/// The smallest probe box (Å): its transfer function is then sampled
/// finely enough (Δk = 1/64 Å⁻¹) to interpolate to any image grid.
const MIN_PROBE_BOX: f64 = 64.0;

/// How the image is formed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Imaging {
    /// The probe.
    pub probe: Probe,
    /// The annular detector.
    pub detector: Detector,
    /// Cross-section model.
    pub model: CrossSectionModel,
    /// Thermal rms displacement per axis (Å), per element.
    #[serde(rename = "thermal_rms_angstrom")]
    pub thermal_rms: ThermalRms,
    /// Allow a detector that reaches into the bright field.
    pub allow_bright_field: bool,
    /// Depth-resolved imaging: each layer of at most
    /// [`DEPTH_LAYER`](super::depth::DEPTH_LAYER) Å is
    /// imaged with the probe defocused by its height relative to the focal
    /// plane; off, every atom is imaged as if in the focal plane.
    pub depth_resolved: bool,
    /// Focal plane (Å, the structure's z); None: the entrance surface
    /// (the largest z: the beam travels towards −z).
    #[serde(rename = "focus_angstrom")]
    pub focus: Option<f64>,
}

impl Imaging {
    /// 80 kV, 30 mrad, 80-200 mrad detector, phase-object cross sections.
    pub fn default_80kv() -> Imaging {
        Imaging {
            probe: Probe::new(80.0, 30.0),
            detector: Detector {
                inner_mrad: 80.0,
                outer_mrad: 200.0,
            },
            model: CrossSectionModel::PhaseObject,
            thermal_rms: ThermalRms::default(),
            allow_bright_field: false,
            depth_resolved: true,
            focus: None,
        }
    }

    /// Refuse non-physical settings.
    pub fn validate(&self) -> Result<()> {
        let short = crate::values::short;
        self.probe.validate()?;
        let d = self.detector;
        if !(d.inner_mrad >= 0.0 && d.outer_mrad > d.inner_mrad && d.outer_mrad <= 500.0) {
            return Err(Error::invalid(
                "--detector",
                format!(
                    "{},{} mrad; give inner < outer, both in 0-500 mrad (HAADF: e.g. 80,200)",
                    short(d.inner_mrad),
                    short(d.outer_mrad)
                ),
            ));
        }
        if d.inner_mrad < self.probe.convergence_mrad && !self.allow_bright_field {
            return Err(Error::invalid(
                "--detector",
                format!(
                    "the inner angle {} mrad lies inside the {} mrad probe aperture: that detector sees the bright field, which the incoherent HAADF model does not describe; use an inner angle above the convergence angle (or --bright-field to accept it)",
                    d.inner_mrad, self.probe.convergence_mrad
                ),
            ));
        }
        self.thermal_rms.validate()?;
        if let Some(f) = self.focus
            && !(f.is_finite() && f.abs() <= 1e6)
        {
            return Err(Error::invalid(
                "--focus",
                format!("{} Å; give a height within ±1e6 Å", short(f)),
            ));
        }
        if let CrossSectionModel::PowerLaw { exponent } = self.model
            && !(0.5..=3.0).contains(&exponent)
        {
            return Err(Error::invalid(
                "--model",
                format!("zn:{exponent}; the exponent n must lie in 0.5-3 (default 1.7)"),
            ));
        }
        Ok(())
    }

    /// Largest fine-grid spacing (Å) that resolves the image: 0.8 λ/(4α).
    pub fn max_grid_spacing(&self) -> f64 {
        0.8 / (2.0 * self.probe.band_limit())
    }

    /// How far the probe reaches (Å): 2 nm (the Airy tails beyond hold
    /// ~1/(π² k_α R) = 0.7 % of the intensity at 80 kV / 30 mrad) plus its
    /// geometric defocus blur.
    pub fn probe_reach(&self) -> f64 {
        let alpha = self.probe.convergence_mrad * 1e-3;
        let ab = self.probe.aberrations;
        20.0 + 2.0 * alpha * (ab.c1.abs() + ab.a1.abs() + 3.0 * self.probe.focal_spread)
            + 3.0 * self.probe.source_fwhm
    }
}

/// Cross section (Å²) of an element under the imaging conditions, cached
/// for the life of the process.
pub fn cached_cross_section(element: Element, imaging: &Imaging) -> f64 {
    static CACHE: OnceLock<Mutex<HashMap<String, f64>>> = OnceLock::new();
    let key = format!(
        "{}|{}|{}|{}|{:?}",
        element.z(),
        imaging.probe.kv,
        imaging.detector.inner_mrad,
        imaging.detector.outer_mrad,
        imaging.model
    );
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(&v) = cache.lock().expect("cache").get(&key) {
        return v;
    }
    let v = cross_section(element, imaging.probe.kv, imaging.detector, imaging.model);
    cache.lock().expect("cache").insert(key, v);
    v
}

/// The field an image covers.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Field {
    origin: [f64; 2],
    size: [f64; 2],
    periodic: bool,
}

fn field_of(structure: &Structure, scan: &Scan) -> Result<Field> {
    if let Some([x0, y0, w, h]) = scan.window {
        return Ok(Field {
            origin: [x0, y0],
            size: [w, h],
            periodic: false,
        });
    }
    let m = structure.lattice.to_array();
    let orthogonal = m[0][1].abs() < 1e-9 && m[1][0].abs() < 1e-9 && m[0][0] > 0.0 && m[1][1] > 0.0;
    if structure.pbc[0] && structure.pbc[1] && orthogonal {
        return Ok(Field {
            origin: [0.0, 0.0],
            size: [m[0][0], m[1][1]],
            periodic: true,
        });
    }
    // Otherwise the bounding box of the atoms.
    if structure.is_empty() {
        return Err(Error::invalid(
            "STRUCTURE",
            "has no atoms and no orthogonal periodic cell; give --window",
        ));
    }
    let (mut lo, mut hi) = ([f64::MAX; 2], [f64::MIN; 2]);
    for a in &structure.atoms {
        for k in 0..2 {
            lo[k] = lo[k].min(a.position[k]);
            hi[k] = hi[k].max(a.position[k]);
        }
    }
    Ok(Field {
        origin: [lo[0] - 2.0, lo[1] - 2.0],
        size: [hi[0] - lo[0] + 4.0, hi[1] - lo[1] + 4.0],
        periodic: false,
    })
}

/// The geometry of a simulation before it runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Plan {
    /// Output pixels.
    pub out: [usize; 2],
    /// Pixel size (Å).
    pub pixel: [f64; 2],
    /// Position of pixel (0, 0) (Å).
    pub origin: [f64; 2],
    /// Fine points per pixel.
    pub oversample: usize,
    /// Fine grid size.
    pub fine: [usize; 2],
    /// Fine grid index of pixel (0, 0).
    pub offset: [usize; 2],
    /// Periodic field (no padding).
    pub periodic: bool,
    /// Estimated peak memory (bytes).
    pub memory_bytes: u64,
}

/// Plan the grids (and check the memory) without simulating. `refine`:
/// the fine grid's spacing is at most the resolving spacing
/// ([`Imaging::max_grid_spacing`]) over `refine` (2 when a distorted scan
/// reads it by bicubic interpolation, else 1).
pub fn plan(structure: &Structure, imaging: &Imaging, scan: &Scan, refine: usize) -> Result<Plan> {
    imaging.validate()?;
    scan.validate()?;
    let field = field_of(structure, scan)?;
    if !field.size.iter().all(|s| *s > 0.0 && *s <= MAX_FIELD) {
        return Err(Error::invalid(
            "STRUCTURE",
            format!(
                "the field is {} x {} Å; sacsim images fields up to {} Å (give --window)",
                crate::values::short(field.size[0]),
                crate::values::short(field.size[1]),
                crate::values::short(MAX_FIELD)
            ),
        ));
    }
    let out = match scan.shape {
        Some([nx, ny]) if nx > 0 && ny > 0 => [nx, ny],
        Some(s) => {
            return Err(Error::invalid(
                "--shape",
                format!("{}x{}; give positive pixel counts", s[0], s[1]),
            ));
        }
        None => {
            let n = |w: f64| (w / scan.pixel).round().max(1.0);
            let (nx, ny) = (n(field.size[0]), n(field.size[1]));
            if nx.max(ny) > MAX_PIXELS_PER_SIDE as f64 {
                return Err(Error::invalid(
                    "--pixel",
                    format!(
                        "{} Å pixels over a {} x {} Å field make {} x {} pixels; at most {MAX_PIXELS_PER_SIDE} per side (use larger pixels or a smaller --window)",
                        crate::values::short(scan.pixel),
                        crate::values::short(field.size[0]),
                        crate::values::short(field.size[1]),
                        crate::values::short(nx),
                        crate::values::short(ny)
                    ),
                ));
            }
            [nx as usize, ny as usize]
        }
    };
    let pixel = [field.size[0] / out[0] as f64, field.size[1] / out[1] as f64];
    let hmax = imaging.max_grid_spacing();
    let oversample =
        ((pixel[0].max(pixel[1]) * refine.max(1) as f64 / hmax).ceil() as usize).max(1);
    let (fine, offset) = if field.periodic {
        ([out[0] * oversample, out[1] * oversample], [0, 0])
    } else {
        let reach = imaging.probe_reach();
        let pad = |k: usize| {
            let h = pixel[k] / oversample as f64;
            let inner = out[k] * oversample;
            let n = fft_size(inner + 2 * (reach / h).ceil() as usize);
            (n, (n - inner) / 2)
        };
        let (px, py) = (pad(0), pad(1));
        ([px.0, py.0], [px.1, py.1])
    };
    let fine_points = fine[0] as f64 * fine[1] as f64;
    let probe_points = fine[0].min(MAX_PROBE_GRID) as f64 * fine[1].min(MAX_PROBE_GRID) as f64;
    // Real grid + half spectrum + transposes (f32), the probe (f64
    // complex, twice), and the output images; in f64, so no overflow.
    let memory = 24.0 * fine_points + 48.0 * probe_points + 16.0 * out[0] as f64 * out[1] as f64;
    let memory_bytes = memory.min(u64::MAX as f64) as u64;
    crate::limits::check_memory(
        "--pixel/--shape",
        &format!(
            "a {} x {} image on a {} x {} grid",
            out[0], out[1], fine[0], fine[1]
        ),
        memory,
        |_| "use larger pixels or a smaller window".into(),
    )?;
    let origin = [field.origin[0], field.origin[1]];
    Ok(Plan {
        out,
        pixel,
        origin,
        oversample,
        fine,
        offset,
        periodic: field.periodic,
        memory_bytes,
    })
}

/// Simulate the clean image on the fine grid.
pub fn render(structure: &Structure, imaging: &Imaging, plan: &Plan) -> FineImage {
    let s = plan.oversample;
    let h = [plan.pixel[0] / s as f64, plan.pixel[1] / s as f64];
    let [nfx, nfy] = plan.fine;
    let origin = [
        plan.origin[0] - plan.offset[0] as f64 * h[0],
        plan.origin[1] - plan.offset[1] as f64 * h[1],
    ];
    let size = [nfx as f64 * h[0], nfy as f64 * h[1]];

    // Cross sections of the elements present.
    let mut sigma: HashMap<Element, f64> = HashMap::new();
    for a in &structure.atoms {
        sigma
            .entry(a.element)
            .or_insert_with(|| cached_cross_section(a.element, imaging));
    }

    // Depth layers: the beam enters at the largest z and travels towards
    // −z; a layer at mean height z sees the probe propagated by
    // (z_focus − z) past its focus, i.e. at defocus −C1 + (z − z_focus)
    // (abTEM's convention: positive defocus is underfocus). Off: one
    // layer, at the focal plane.
    let nodes = super::depth::defocus_nodes(super::depth::depth_layers(structure, imaging));
    let translations = image_translations(structure, origin, size, plan.periodic);
    // Each element is smeared by a Gaussian of its rms u, deposited with
    // width w = max(u, h) and widened back by exp(2π²(w² − u²)k²) in
    // Fourier space; one group per distinct u.
    let mut groups: Vec<f64> = structure
        .atoms
        .iter()
        .map(|a| imaging.thermal_rms.of(a.element))
        .collect();
    groups.sort_by(f64::total_cmp);
    groups.dedup();
    let pi2 = std::f64::consts::PI.powi(2);
    let fft = Fft2::new(nfx, nfy);
    let freq = fft.frequencies(h[0], h[1]);
    let band = imaging.probe.band_limit() * 1.0001;
    // One spectrum per rms group, summed over the depth layers.
    let mut specs: Vec<Vec<Complex<f32>>> = vec![Vec::new(); groups.len()];
    for (defocus_shift, atoms) in nodes {
        let mut probe = imaging.probe;
        probe.aberrations.c1 -= defocus_shift;
        let reach = Imaging {
            probe,
            ..imaging.clone()
        }
        .probe_reach();
        let transfer = ProbeTransfer::new(&probe, nfx, nfy, h, reach);
        for (&u, spec) in groups.iter().zip(&mut specs) {
            // Atoms projected along z, with the periodic images that fall
            // in the padded grid (non-periodic fields), in grid units.
            let mut points: Vec<(f64, f64, f32)> = Vec::with_capacity(atoms.len());
            for &(i, weight) in &atoms {
                let a = &structure.atoms[i];
                if imaging.thermal_rms.of(a.element) != u {
                    continue;
                }
                let sg = sigma[&a.element] as f32 * weight;
                for t in &translations {
                    let (x, y) = (a.position.x + t[0], a.position.y + t[1]);
                    let (u, v) = ((x - origin[0]) / h[0], (y - origin[1]) / h[1]);
                    if plan.periodic || (u >= 0.0 && v >= 0.0 && u < nfx as f64 && v < nfy as f64) {
                        points.push((u, v, sg));
                    }
                }
            }
            if points.is_empty() {
                continue;
            }
            let w = u.max(h[0].max(h[1]));
            let mut layer = fft.forward(deposit(&points, nfx, nfy, h, w));
            layer.par_chunks_mut(nfy).enumerate().for_each(|(ix, col)| {
                for (iy, c) in col.iter_mut().enumerate() {
                    let (kx, ky) = freq(ix, iy);
                    *c = if (kx * kx + ky * ky).sqrt() > band {
                        Complex::new(0.0, 0.0)
                    } else {
                        *c * transfer.at(ix, iy, kx, ky)
                    };
                }
            });
            if spec.is_empty() {
                *spec = layer;
            } else {
                spec.par_iter_mut().zip(&layer).for_each(|(a, b)| *a += b);
            }
        }
    }

    // Each group widened back from its deposit width w to its rms u,
    // exp(2π²(w² − u²)k²), then the source envelope common to all.
    let source = imaging.probe.source_fwhm;
    let area = (h[0] * h[1]) as f32;
    let widen: Vec<f64> = groups
        .iter()
        .map(|&u| {
            let w = u.max(h[0].max(h[1]));
            2.0 * pi2 * (w * w - u * u)
        })
        .collect();
    let mut spec = vec![Complex::new(0f32, 0.0); nfx * nfy];
    spec.par_chunks_mut(nfy).enumerate().for_each(|(ix, col)| {
        for (iy, c) in col.iter_mut().enumerate() {
            let (kx, ky) = freq(ix, iy);
            let k2 = kx * kx + ky * ky;
            let source_envelope = -pi2 * source * source * k2 / (4.0 * std::f64::consts::LN_2);
            for (g, w) in specs.iter().zip(&widen) {
                if let Some(v) = g.get(ix * nfy + iy) {
                    *c += v * ((w * k2 + source_envelope).exp() as f32 / area);
                }
            }
        }
    });
    let data = fft.inverse(spec);
    FineImage {
        nx: nfx,
        ny: nfy,
        h,
        origin,
        data,
        oversample: s,
        offset: plan.offset,
        out: plan.out,
    }
}

/// Simulate a clean image (fraction of the incident beam per pixel).
pub fn simulate(structure: &Structure, imaging: &Imaging, scan: &Scan) -> Result<Image> {
    let plan = plan(structure, imaging, scan, 1)?;
    Ok(render(structure, imaging, &plan).sample())
}

/// In-plane lattice translations whose atom images can land on the grid.
pub(crate) fn image_translations(
    structure: &Structure,
    origin: [f64; 2],
    size: [f64; 2],
    periodic_field: bool,
) -> Vec<[f64; 2]> {
    if periodic_field || !(structure.pbc[0] || structure.pbc[1]) {
        return vec![[0.0, 0.0]];
    }
    let a = structure.lattice.vector(0);
    let b = structure.lattice.vector(1);
    let widths = structure.lattice.face_widths();
    // Enough repeats to cover the grid from anywhere in the cell.
    let extent = size[0].hypot(size[1]) + (origin[0].abs() + origin[1].abs());
    let na = if structure.pbc[0] {
        (extent / widths[0]).ceil() as i64 + 1
    } else {
        0
    };
    let nb = if structure.pbc[1] {
        (extent / widths[1]).ceil() as i64 + 1
    } else {
        0
    };
    let mut out = Vec::new();
    for i in -na..=na {
        for j in -nb..=nb {
            let t = a * i as f64 + b * j as f64;
            out.push([t.x, t.y]);
        }
    }
    out
}

/// Spread points (grid units u, v; weight σ) as normalised Gaussians of
/// width w (Å) on a periodic grid: each grid cell receives σ h² G_w.
fn deposit(points: &[(f64, f64, f32)], nx: usize, ny: usize, h: [f64; 2], w: f64) -> Vec<f32> {
    let mut grid = vec![0f32; nx * ny];
    let (rx, ry) = (
        (4.0 * w / h[0]).ceil() as i64,
        (4.0 * w / h[1]).ceil() as i64,
    );
    let norm = (h[0] * h[1] / (2.0 * std::f64::consts::PI * w * w)) as f32;
    let (cx, cy) = (
        (h[0] * h[0] / (2.0 * w * w)) as f32,
        (h[1] * h[1] / (2.0 * w * w)) as f32,
    );
    let mut wx = vec![0f32; (2 * rx + 1) as usize];
    let mut wy = vec![0f32; (2 * ry + 1) as usize];
    for &(u, v, sg) in points {
        let (iu, iv) = (u.round() as i64, v.round() as i64);
        let (du, dv) = ((u - iu as f64) as f32, (v - iv as f64) as f32);
        for (k, x) in wx.iter_mut().enumerate() {
            let d = (k as i64 - rx) as f32 - du;
            *x = (-cx * d * d).exp();
        }
        for (k, y) in wy.iter_mut().enumerate() {
            let d = (k as i64 - ry) as f32 - dv;
            *y = (-cy * d * d).exp() * norm * sg;
        }
        for (j, y) in wy.iter().enumerate() {
            let row = (iv - ry + j as i64).rem_euclid(ny as i64) as usize * nx;
            for (i, x) in wx.iter().enumerate() {
                let col = (iu - rx + i as i64).rem_euclid(nx as i64) as usize;
                grid[row + col] += x * y;
            }
        }
    }
    grid
}

/// The probe's transfer function F[|P|²] at the fine grid's frequencies,
/// computed on the fine grid itself or, for large grids, on a smaller
/// grid of the same spacing and interpolated (it is smooth in k).
struct ProbeTransfer {
    spec: Vec<Complex<f32>>,
    n: [usize; 2],
    same_grid: bool,
    h: [f64; 2],
}

impl ProbeTransfer {
    fn new(probe: &Probe, nx: usize, ny: usize, h: [f64; 2], reach: f64) -> ProbeTransfer {
        // |P|² is band-limited to 2α/λ, so its transfer function can be
        // computed on a grid no finer than 1/(2.2 · band) (Nyquist with a
        // 10 % margin) and read at the fine grid's frequencies: the same
        // Δk = 1/box, a fraction of the points (about 1/9 at 0.1 Å pixels).
        let coarsest = 1.0 / (2.2 * probe.band_limit());
        let hp = [h[0].max(coarsest), h[1].max(coarsest)];
        // The probe box must be large: its transfer function is sampled at
        // Δk = 1/box, and a small box (a small periodic cell) makes that a
        // coarse Riemann sum of the aperture autocorrelation.
        let size = |n: usize, h: f64, hp: f64| {
            let needed = fft_size(((MIN_PROBE_BOX.max(2.0 * reach)) / hp).ceil() as usize);
            if hp == h && n >= needed && n <= MAX_PROBE_GRID {
                n
            } else {
                needed.min(MAX_PROBE_GRID)
            }
        };
        let (px, py) = (size(nx, h[0], hp[0]), size(ny, h[1], hp[1]));
        let intensity: Vec<f32> = probe
            .intensity(px, py, hp[0], hp[1])
            .into_iter()
            .map(|v| v as f32)
            .collect();
        let spec = Fft2::new(px, py).forward(intensity);
        ProbeTransfer {
            spec,
            n: [px, py],
            same_grid: px == nx && py == ny && hp == h,
            h: hp,
        }
    }

    fn at(&self, ix: usize, iy: usize, kx: f64, ky: f64) -> Complex<f32> {
        let [px, py] = self.n;
        if self.same_grid {
            return self.spec[ix * py + iy];
        }
        // Fractional probe-grid indices of (kx, ky); kx >= 0.
        let fx = kx * px as f64 * self.h[0];
        let fy = (ky * py as f64 * self.h[1]).rem_euclid(py as f64);
        let (x0, y0) = (fx.floor() as usize, fy.floor() as usize);
        let (tx, ty) = ((fx - x0 as f64) as f32, (fy - y0 as f64) as f32);
        let half = px / 2;
        let get = |x: usize, y: usize| self.spec[x.min(half) * py + y % py];
        get(x0, y0) * (1.0 - tx) * (1.0 - ty)
            + get(x0 + 1, y0) * tx * (1.0 - ty)
            + get(x0, y0 + 1) * (1.0 - tx) * ty
            + get(x0 + 1, y0 + 1) * tx * ty
    }
}
