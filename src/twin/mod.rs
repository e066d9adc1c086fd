//! Synthetic twins of a real image (`sacsim twin`): a simulated image of
//! the same size, pixel size and optics whose background, noise and atom
//! contrast follow the real one, with the exact truth of every atom.
//!
//! From the real image (values v in ADC units, pixel area A Å²):
//! 1. the detector's noise law var = g (mean − o) over 16 px blocks gives
//!    the gain g (ADC per electron) and offset o ([`measure::noise_law`]);
//! 2. the default detector finds the atoms; aperture photometry
//!    ([`measure::atom_signals`]) gives each one's integrated signal and
//!    its contrast over the local background;
//! 3. a single metal atom simulated with the same optics at source sizes
//!    0-3 Å gives integral and contrast per unit dose: the source size
//!    whose contrast/integral ratio matches the real median is used, and
//!    the dose D = median integral / (g · integral per e/Å²);
//! 4. the 10 Å low-pass of (v − o)/g is the background in electrons per
//!    pixel; vacuum where it is under 15 % of its median; elsewhere the
//!    carbon thickness t = (n/(D A) − σ_C s) / (σ_C ρ) (s: one sheet's atoms
//!    per Å², ρ: 0.1003 atoms/Å³ at 2.0 g/cm³), the twin's support map
//!    (at most 100 nm, sacsim's thickest support);
//! 5. a sample on that map with as many single-metal sites as atoms were
//!    detected, its top face rough by the depth of field λ/α² (rms, 2 nm
//!    correlation; the real atoms' contrast varies 3x more than flat-faced
//!    twins' did), imaged depth-resolved (focused at the metals' median
//!    height) with dose D, gain g and offset o.

pub mod measure;

use rand::SeedableRng;

use crate::analysis::detect::{DetectConfig, detect};
use crate::config::ImagingConfig;
use crate::error::{Error, Result};
use crate::model::sample::shape::{MAX_THICKNESS_NM, Profile};
use crate::model::sample::{
    CARBON_ATOMS_PER_A3_PER_G_CM3, Sample, SampleSpec, Support, SupportShape, build_sample_on,
    parse_mix,
};
use crate::stem::noise::Acquisition;
use crate::stem::scan::Scan;
use crate::stem::{Simulation, acquire_with};
use crate::structure::{Atom, Element, ImageFrame, Lattice, Structure};
use crate::values::angstrom_to_nm;

use measure::{AtomSignal, NoiseLaw, atom_signals, low_pass, median, noise_law};

/// Low-pass σ (Å) of the background map.
const BACKGROUND_SIGMA: f64 = 10.0;
/// Vacuum: background under this share of its median.
const VACUUM_SHARE: f64 = 0.15;
/// Source sizes (Å, Gaussian σ) tried to match the atom contrast.
const SOURCE_SIZES: [f64; 14] = [
    0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0,
];
/// Support density (g/cm³) the thickness is expressed in.
const SUPPORT_DENSITY: f64 = 2.0;

/// What a twin is built from besides the image.
#[derive(Debug, Clone)]
pub struct TwinConfig {
    /// The heavy metal of the single-atom sites.
    pub metal: Element,
    /// Optics (kV, convergence, detector); the source size is fitted.
    pub imaging: ImagingConfig,
    /// Seed of the sample and the noise.
    pub seed: u64,
    /// The detector's zero level (ADC), when known; else fitted.
    pub offset: Option<f64>,
    /// Rms height variation (Å) of the top face the metals sit on; None:
    /// the depth of field λ/α² (46 Å at 80 kV / 30 mrad).
    pub roughness: Option<f64>,
}

/// Correlation length (Å) of the top face's roughness.
const ROUGHNESS_CORRELATION: f64 = 20.0;

/// What was measured on the real image and chosen for the twin.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TwinEstimate {
    /// Detector noise law of the real image.
    pub noise: NoiseLaw,
    /// Atoms the default detector found (the twin gets as many sites).
    pub atoms_detected: usize,
    /// Median photometry of the detected atoms (ADC units).
    pub atom_contrast: f64,
    /// Median integrated atom signal (ADC units).
    pub atom_integral: f64,
    /// Median background (ADC units) at the detected atoms.
    pub atom_background: f64,
    /// Fitted source size (Å, Gaussian σ).
    pub source_size_angstrom: f64,
    /// Fitted dose (e/Å²).
    pub dose_e_per_a2: f64,
    /// Share of the field that is vacuum.
    pub vacuum_fraction: f64,
    /// Carbon thickness over the support (nm): median, 5 % and 95 %.
    pub thickness_nm: [f64; 3],
}

/// The twin: its sample, its image and what it was built from.
pub struct Twin {
    /// The sample (truth of every site).
    pub sample: Sample,
    /// The simulated image.
    pub simulation: Simulation,
    /// The imaging used (with the fitted source size).
    pub imaging: ImagingConfig,
    /// Dose, gain and offset used.
    pub acquisition: Acquisition,
    /// The measurements.
    pub estimate: TwinEstimate,
}

/// Integral and contrast of one metal atom per unit dose (e/Å²) at a
/// source size, measured as on the real image.
fn unit_atom(c: &TwinConfig, pixel: f64, source: f64) -> Result<AtomSignal> {
    let n = (24.0 / pixel).ceil() as usize;
    let side = n as f64 * pixel;
    let atom = Atom::new(c.metal, nalgebra::Vector3::new(side / 2.0, side / 2.0, 5.0));
    let structure = Structure {
        title: "unit atom".into(),
        lattice: Lattice::new([[side, 0.0, 0.0], [0.0, side, 0.0], [0.0, 0.0, 10.0]])?,
        pbc: [true, true, false],
        atoms: vec![atom],
    };
    let imaging = ImagingConfig {
        source_size_angstrom: source,
        ..c.imaging.clone()
    };
    let scan = Scan {
        pixel,
        shape: Some([n, n]),
        window: Some([0.0, 0.0, side, side]),
    };
    let img = crate::stem::incoherent::simulate(&structure, &imaging.imaging()?, &scan)?;
    let area = pixel * pixel;
    let per_dose: Vec<f32> = img.data.iter().map(|v| (*v as f64 * area) as f32).collect();
    let centre = [side / 2.0 / pixel, side / 2.0 / pixel];
    Ok(atom_signals(&per_dose, [n, n], pixel, &[centre])[0])
}

/// Measure a real image (values, frame) and build its twin.
pub fn twin(data: &[f32], frame: &ImageFrame, c: &TwinConfig) -> Result<Twin> {
    let shape = frame.shape;
    let px = (frame.pixel[0] + frame.pixel[1]) / 2.0;
    let optics = c.imaging.imaging()?;
    let band = 2.0 * optics.probe.convergence_mrad * 1e-3
        / crate::stem::optics::wavelength(optics.probe.kv);
    let noise = noise_law(data, shape, frame.pixel, band, c.offset)?;
    let smoothing = crate::stem::optics::diffraction_limited_sigma(
        optics.probe.kv,
        optics.probe.convergence_mrad,
    )
    .max(crate::analysis::detect::AUTO_MIN_PIXELS * px);
    let config = DetectConfig {
        smoothing: Some(smoothing),
        ..DetectConfig::default()
    };
    let found = detect(data, frame, &config)?;
    let at: Vec<[f64; 2]> = found.detections.iter().map(|d| d.pixel).collect();
    let signals = atom_signals(data, shape, px, &at);
    if signals.is_empty() {
        return Err(Error::invalid(
            "IMAGE",
            "no atoms found away from the edges: a twin needs the metal's contrast to calibrate the dose",
        ));
    }
    let contrast = median(signals.iter().map(|s| s.contrast).collect());
    let integral = median(signals.iter().map(|s| s.integral).collect());
    let background = median(signals.iter().map(|s| s.background).collect());
    if !(integral > 0.0 && contrast > 0.0) {
        return Err(Error::invalid(
            "IMAGE",
            "the detected atoms are not brighter than their surroundings",
        ));
    }
    // Source size by the contrast/integral ratio, then the dose.
    let want = contrast / integral;
    let mut best: Option<(f64, f64, AtomSignal)> = None;
    for s in SOURCE_SIZES {
        let u = unit_atom(c, px, s)?;
        let miss = (u.contrast / u.integral / want).ln().abs();
        if best.as_ref().is_none_or(|b| miss < b.0) {
            best = Some((miss, s, u));
        }
    }
    let (_, source, unit) = best.expect("SOURCE_SIZES is not empty");
    // The dose from the integral per unit dose; then once more from the
    // twin itself, so that its detected atoms (selected by the same
    // detector, at the same noise) carry the real median integral.
    let measured = Measured {
        noise,
        electrons_bg: {
            let electrons: Vec<f32> = data
                .iter()
                .map(|v| ((*v as f64 - noise.offset) / noise.gain) as f32)
                .collect();
            low_pass(&electrons, shape, BACKGROUND_SIGMA / px)
        },
        source,
        detections: found.detections.len(),
    };
    let mut dose = integral / (noise.gain * unit.integral);
    let mut built = build(frame, &measured, dose, c)?;
    let twin_found = detect(&built.simulation.image.data, frame, &config)?;
    let at: Vec<[f64; 2]> = twin_found.detections.iter().map(|d| d.pixel).collect();
    let twin_integral = median(
        atom_signals(&built.simulation.image.data, shape, px, &at)
            .iter()
            .map(|s| s.integral)
            .collect(),
    );
    // Rebuild only when the correction matters (over 5 %).
    let correction = (integral / twin_integral).clamp(0.25, 4.0);
    if twin_integral > 0.0 && (correction - 1.0).abs() > 0.05 {
        dose *= correction;
        built = build(frame, &measured, dose, c)?;
    }
    let Built {
        sample,
        simulation,
        imaging,
        acquisition,
        vacuum_fraction,
        thickness_nm,
    } = built;
    Ok(Twin {
        sample,
        simulation,
        imaging,
        acquisition,
        estimate: TwinEstimate {
            noise,
            atoms_detected: found.detections.len(),
            atom_contrast: contrast,
            atom_integral: integral,
            atom_background: background,
            source_size_angstrom: source,
            dose_e_per_a2: dose,
            vacuum_fraction,
            thickness_nm,
        },
    })
}

/// What the twin is built from, measured once on the real image.
struct Measured {
    noise: NoiseLaw,
    /// Background electrons per pixel (10 Å low-pass).
    electrons_bg: Vec<f32>,
    source: f64,
    detections: usize,
}

/// One built twin.
struct Built {
    sample: Sample,
    simulation: Simulation,
    imaging: ImagingConfig,
    acquisition: Acquisition,
    vacuum_fraction: f64,
    thickness_nm: [f64; 3],
}

/// The thickness map at `dose`, the sample on it and its image.
fn build(frame: &ImageFrame, m: &Measured, dose: f64, c: &TwinConfig) -> Result<Built> {
    let [nx, ny] = frame.shape;
    let px = (frame.pixel[0] + frame.pixel[1]) / 2.0;
    let bg = &m.electrons_bg;
    let bg_median = median(bg.iter().map(|v| *v as f64).collect());
    let optics = c.imaging.imaging()?;
    let sigma_c = crate::stem::incoherent::cached_cross_section(Element::C, &optics);
    let rho = SUPPORT_DENSITY * CARBON_ATOMS_PER_A3_PER_G_CM3;
    let sheet = 4.0 / (crate::model::DEFAULT_A.powi(2) * 3f64.sqrt());
    let area = frame.pixel[0] * frame.pixel[1];
    // The map on a grid of ~1 Å, spanning the field.
    let step = ((1.0 / px).round() as usize).max(1);
    let (gx, gy) = (nx.div_ceil(step), ny.div_ceil(step));
    let mut map = Vec::with_capacity(gx * gy);
    for j in 0..gy {
        for i in 0..gx {
            let n = bg[(j * step).min(ny - 1) * nx + (i * step).min(nx - 1)] as f64;
            let t = if n < VACUUM_SHARE * bg_median {
                0.0
            } else {
                // At least a sheet's worth of carbon where it is not vacuum.
                // (capped at sacsim's largest support, 100 nm).
                ((n / (dose * area) - sigma_c * sheet) / (sigma_c * rho))
                    .clamp(1.0, MAX_THICKNESS_NM * 10.0)
            };
            map.push(t);
        }
    }
    let vacuum_fraction = map.iter().filter(|t| **t == 0.0).count() as f64 / map.len() as f64;
    let mut carbon: Vec<f64> = map.iter().copied().filter(|t| *t > 0.0).collect();
    carbon.sort_by(f64::total_cmp);
    let q = |f: f64| {
        carbon
            .get(((carbon.len() as f64 - 1.0) * f) as usize)
            .map_or(0.0, |t| angstrom_to_nm(*t))
    };
    let thickness_nm = [q(0.5), q(0.05), q(0.95)];

    // The sample on that map.
    let field = [nx as f64 * frame.pixel[0], ny as f64 * frame.pixel[1]];
    let size_nm = field.map(angstrom_to_nm);
    let covered = (1.0 - vacuum_fraction).max(1e-3) * size_nm[0] * size_nm[1];
    let spec = SampleSpec {
        size_nm,
        density: m.detections as f64 / covered,
        mix: parse_mix(&format!("{}-n4:1", c.metal.symbol().to_lowercase()))?,
        support: Support::Amorphous {
            shape: SupportShape::Slab {
                thickness_nm: thickness_nm[0].clamp(0.1, MAX_THICKNESS_NM),
            },
            density_g_cm3: SUPPORT_DENSITY,
        },
        seed: c.seed,
        ..SampleSpec::default()
    };
    let cell = spec.cell();
    let [u, v] = cell.in_plane_vectors();
    let optics_alpha = optics.probe.convergence_mrad * 1e-3;
    let roughness = c.roughness.unwrap_or(
        crate::stem::optics::wavelength(optics.probe.kv) / (optics_alpha * optics_alpha),
    );
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(c.seed);
    rng.set_stream(5);
    let profile = Profile::from_map(map, [gx, gy], [u.x, v.y]).with_roughness(
        roughness,
        ROUGHNESS_CORRELATION,
        &mut rng,
    );
    let sample = build_sample_on(&spec, Some(profile))?;

    // Focus on the atoms (an operator focuses where the metal is): the
    // median height of the metals.
    let focus = median(
        sample
            .sites
            .iter()
            .flat_map(|s| s.metals.iter().map(|m| m.position[2]))
            .collect(),
    );
    let imaging = ImagingConfig {
        source_size_angstrom: m.source,
        focus_angstrom: (!sample.sites.is_empty()).then_some(focus),
        shape: Some(crate::values::Dims([nx, ny])),
        window_angstrom: Some(crate::values::Rect([0.0, 0.0, field[0], field[1]])),
        ..c.imaging.clone()
    };
    let acquisition = Acquisition {
        dose: Some(dose),
        gain: Some(m.noise.gain),
        offset: m.noise.offset,
        seed: c.seed,
        ..Acquisition::default()
    };
    acquisition.validate()?;
    let model = imaging.image_model(acquisition.seed)?;
    let simulation = acquire_with(
        &*model,
        &sample.structure,
        &imaging.imaging()?,
        &imaging.scan(),
        &acquisition,
    )?;
    Ok(Built {
        sample,
        simulation,
        imaging,
        acquisition,
        vacuum_fraction,
        thickness_nm,
    })
}
