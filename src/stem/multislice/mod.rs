//! Multislice HAADF-STEM (docs/PHYSICS.md §4b; Kirkland 2010, ch. 6): the
//! probe is propagated through the sample slice by slice and the annular
//! detector integrates the exit wave's diffraction pattern, for every
//! probe position. Coherent lattice scattering, channelling, the carbon
//! above a metal and thermal diffuse scattering (frozen phonons) are all
//! in it; the incoherent model ([`super::incoherent`]) has none of them.
//!
//! - Potential: [`potential`], infinite projection per slice (default
//!   2 Å), Kirkland or Lobato scattering factors, exact at any sub-pixel
//!   position, on a grid whose anti-aliasing cutoff (2/3 Nyquist) lies
//!   25 % beyond the detector's outer angle.
//! - Beam: [`beam`], a window of the potential around each probe position
//!   (default: the Airy disc's 99 % radius plus the geometric blur, or the
//!   whole cell when that is nearly as large), so the cost per position
//!   does not grow with the field.
//! - Scan: [`resample`], Nyquist-step positions on grid points, then the
//!   exact trigonometric interpolation to the requested pixels; the
//!   source size is a Gaussian blur applied there.
//! - Frozen phonons: N configurations, every atom displaced by a Gaussian
//!   of its element's thermal rms per axis (`--thermal`), seeded,
//!   averaged; or the
//!   frames of a trajectory ([`Multislice::with_frames`]).

pub mod beam;
pub mod finite;
pub mod layout;
pub mod potential;
pub mod resample;
pub mod shard;

use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::ImageModel;
use super::incoherent::{FineImage, Imaging, Plan, Scan};
use super::parametrization::Parametrization;
use crate::error::{Error, Result};
use crate::structure::Structure;

pub use finite::Projection;
pub use layout::Layout;
pub use shard::{Merged, shard_positions};

/// Default slice thickness (Å).
pub const DEFAULT_SLICE_THICKNESS: f64 = 2.0;
/// The potential grid's anti-aliasing cutoff is this factor beyond the
/// detector's outer angle by default.
pub const SAMPLING_MARGIN: f64 = 1.25;
/// Largest spacing (Å) of the grid the potential is built on by default.
/// The HAADF signal of a heavy atom converges slowly with it (the phase
/// σv of a Co core is ~1 rad): the Co peak of the 80 kV reference is 3.4 %
/// high at 0.055 Å, 1.4 % at 0.018 Å, 0.7 % at 0.014 Å, against 0.0075 Å
/// (docs/DECISIONS.md, issue 16).
pub const POTENTIAL_SPACING: f64 = 0.02;
/// Thinnest slice (Å) of the finite projection: on one Co atom at 80 kV
/// it is within 0.1 % of the infinite projection at 0.5-1 Å slices and
/// drifts upward below (measured, docs/DECISIONS.md).
pub const MIN_FINITE_SLICE: f64 = 0.5;
/// Largest number of frozen-phonon configurations.
pub const MAX_FROZEN_PHONONS: usize = 10_000;

/// Multislice settings (the flags of `sacsim simulate --model multislice`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Multislice {
    /// Slice thickness (Å).
    #[serde(rename = "slice_thickness_angstrom")]
    pub slice_thickness: f64,
    /// Frozen-phonon configurations; 0: the static lattice.
    pub frozen_phonons: usize,
    /// Seed of the phonon displacements.
    pub seed: u64,
    /// Potential grid spacing (Å); None: from the detector's outer angle.
    #[serde(rename = "sampling_angstrom")]
    pub sampling: Option<f64>,
    /// Probe window width (Å); None: the Airy 99 % radius rule.
    #[serde(rename = "probe_window_angstrom")]
    pub probe_window: Option<f64>,
    /// Scattering-factor parameterisation.
    pub parametrization: Parametrization,
    /// How each atom's potential is divided among the slices.
    pub projection: Projection,
    /// The potential is built on a grid this many times finer than the
    /// wave's (its high frequencies shape the phase of heavy cores); None:
    /// fine enough for [`POTENTIAL_SPACING`].
    pub potential_oversample: Option<usize>,
    /// Draw a progress bar on a terminal.
    #[serde(skip)]
    pub progress: bool,
    /// Frozen-phonon configurations given, not drawn: every atom's
    /// position (Å) per frame, in the structure's atom order (an MD
    /// trajectory, like abTEM's `MDFrozenPhonons`); see
    /// [`Multislice::with_frames`].
    #[serde(skip)]
    pub frames: Option<std::sync::Arc<Vec<Vec<[f64; 3]>>>>,
}

impl Default for Multislice {
    fn default() -> Multislice {
        Multislice {
            slice_thickness: DEFAULT_SLICE_THICKNESS,
            frozen_phonons: 0,
            seed: 1,
            sampling: None,
            probe_window: None,
            parametrization: Parametrization::Kirkland,
            projection: Projection::Infinite,
            potential_oversample: None,
            progress: false,
            frames: None,
        }
    }
}

impl Multislice {
    /// Refuse settings outside their ranges.
    pub fn validate(&self, imaging: &Imaging) -> Result<()> {
        let short = crate::values::short;
        if !(self.slice_thickness >= 0.1 && self.slice_thickness <= 100.0) {
            return Err(Error::invalid(
                "--slice-thickness",
                format!(
                    "{} Å; give 0.1-100 Å (default 2)",
                    short(self.slice_thickness)
                ),
            ));
        }
        if self.projection == Projection::Finite && self.slice_thickness < MIN_FINITE_SLICE {
            return Err(Error::invalid(
                "--slice-thickness",
                format!(
                    "{} Å with --projection finite; give {MIN_FINITE_SLICE}-100 Å: thinner finite slices drift from the converged image (one Co atom: +0.7 % at 0.25 Å, +3.1 % at 0.1 Å; docs/DECISIONS.md), or use the infinite projection",
                    short(self.slice_thickness)
                ),
            ));
        }
        if self.frozen_phonons > MAX_FROZEN_PHONONS {
            return Err(Error::invalid(
                "--frozen-phonons",
                format!("{}; give 0-{MAX_FROZEN_PHONONS}", self.frozen_phonons),
            ));
        }
        let needed = self.default_sampling(imaging) * SAMPLING_MARGIN;
        if let Some(h) = self.sampling
            && !(h >= 0.005 && h <= needed)
        {
            return Err(Error::invalid(
                "--potential-sampling",
                format!(
                    "{} Å; the anti-aliasing cutoff 1/(3h) must reach the detector's {} mrad: give 0.005-{} Å",
                    short(h),
                    short(imaging.detector.outer_mrad),
                    short((needed * 1e4).floor() / 1e4)
                ),
            ));
        }
        if let Some(w) = self.probe_window
            && !(2.0..=1e4).contains(&w)
        {
            return Err(Error::invalid(
                "--probe-window",
                format!("{} Å; give 2-10000 Å", short(w)),
            ));
        }
        Ok(())
    }

    /// Potential grid spacing (Å) whose anti-aliasing cutoff 1/(3h) lies
    /// [`SAMPLING_MARGIN`] beyond the detector's outer angle.
    pub fn default_sampling(&self, imaging: &Imaging) -> f64 {
        let k_out = imaging.detector.outer_mrad * 1e-3 / imaging.probe.wavelength();
        1.0 / (3.0 * SAMPLING_MARGIN * k_out)
    }

    /// How many times finer than `grid` the potential is built.
    pub fn oversample(&self, grid: &potential::Grid) -> usize {
        self.potential_oversample.unwrap_or_else(|| {
            (grid.h[0].max(grid.h[1]) / POTENTIAL_SPACING)
                .ceil()
                .max(1.0) as usize
        })
    }

    /// The potential grid spacing used (Å).
    pub fn sampling_for(&self, imaging: &Imaging) -> f64 {
        self.sampling
            .unwrap_or_else(|| self.default_sampling(imaging))
    }
}

impl ImageModel for Multislice {
    fn name(&self) -> &'static str {
        "multislice"
    }

    fn plan(
        &self,
        structure: &Structure,
        imaging: &Imaging,
        scan: &Scan,
        refine: usize,
    ) -> Result<Plan> {
        self.validate(imaging)?;
        let base = super::incoherent::plan(structure, imaging, scan, refine)?;
        if structure.is_empty() {
            return Err(Error::invalid(
                "STRUCTURE",
                "has no atoms: nothing for the multislice to scatter from",
            ));
        }
        let plan = Plan {
            fine: [base.out[0] * base.oversample, base.out[1] * base.oversample],
            offset: [0, 0],
            ..base
        };
        let layout = Layout::new(self, structure, imaging, &plan);
        let memory =
            layout.memory_bytes(rayon::current_num_threads(), self.oversample(&layout.grid));
        crate::limits::check_memory(
            "--potential-sampling/--window",
            &format!(
                "a multislice of {} slices on a {} x {} potential grid",
                layout.slices, layout.grid.n[0], layout.grid.n[1]
            ),
            memory,
            |_| "image a smaller --window, or use thicker slices".into(),
        )?;
        Ok(Plan {
            memory_bytes: memory as u64,
            ..plan
        })
    }

    fn render(&self, structure: &Structure, imaging: &Imaging, plan: &Plan) -> FineImage {
        let total = self.scan_positions(structure, imaging, plan);
        let signals = self.signals(structure, imaging, plan, 0..total);
        self.image_from_signals(structure, imaging, plan, &signals)
    }
}

impl Multislice {
    /// How many probe positions the scan of `plan` has (the Nyquist grid
    /// the image is interpolated from).
    pub fn scan_positions(&self, structure: &Structure, imaging: &Imaging, plan: &Plan) -> usize {
        let [ax, ay] = Layout::new(self, structure, imaging, plan).axes;
        ax.n * ay.n
    }

    /// The detector signal (fraction of the beam, averaged over the
    /// frozen-phonon configurations) at probe positions `range` of the
    /// scan (row-major over the Nyquist grid). Each position's value
    /// depends on nothing else, so any split of the range gives the same
    /// numbers.
    pub fn signals(
        &self,
        structure: &Structure,
        imaging: &Imaging,
        plan: &Plan,
        range: std::ops::Range<usize>,
    ) -> Vec<f64> {
        let layout = Layout::new(self, structure, imaging, plan);
        let beam = beam::Beam::new(
            imaging,
            layout.window_grid(),
            self.slice_thickness,
            layout.entrance_shift,
        );
        let configs = self.configurations();
        let [ax, _] = layout.axes;
        let bar = progress_bar(self.progress, (range.len() * configs) as u64);
        let sigma_e = super::optics::interaction_parameter(imaging.probe.kv);
        let mut out = vec![0.0f64; range.len()];
        for config in 0..configs {
            let atoms = self.displaced(structure, imaging, config);
            let t = self.transmissions(&layout, &atoms, sigma_e);
            let signals: Vec<f64> = range
                .clone()
                .into_par_iter()
                .map_init(beam::Workspace::default, |ws, p| {
                    let (j, i) = (p / ax.n, p % ax.n);
                    let v = beam.signal(&t, layout.grid.n, layout.window_start(i, j), ws);
                    if let Some(b) = &bar {
                        b.inc(1);
                    }
                    v
                })
                .collect();
            out.iter_mut()
                .zip(&signals)
                .for_each(|(c, s)| *c += s / configs as f64);
        }
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        out
    }

    /// The image of `plan` from the signals of every scan position:
    /// trigonometric interpolation to the requested pixels and the source
    /// size's blur.
    pub fn image_from_signals(
        &self,
        structure: &Structure,
        imaging: &Imaging,
        plan: &Plan,
        signals: &[f64],
    ) -> FineImage {
        let [ax, ay] = Layout::new(self, structure, imaging, plan).axes;
        let s = plan.oversample;
        let h = [plan.pixel[0] / s as f64, plan.pixel[1] / s as f64];
        let [nfx, nfy] = plan.fine;
        let xs: Vec<f64> = (0..nfx).map(|i| plan.origin[0] + i as f64 * h[0]).collect();
        let ys: Vec<f64> = (0..nfy).map(|i| plan.origin[1] + i as f64 * h[1]).collect();
        let source_sigma = imaging.probe.source_fwhm / (8.0 * 2f64.ln()).sqrt();
        let data = resample::resample(signals, &ax, &ay, source_sigma, &xs, &ys);
        FineImage {
            nx: nfx,
            ny: nfy,
            h,
            origin: plan.origin,
            data,
            oversample: s,
            offset: [0, 0],
            out: plan.out,
        }
    }
}

impl Multislice {
    /// These settings averaging over `frames` (every frame of a
    /// trajectory, `structure` being the first) as the frozen-phonon
    /// configurations, instead of drawing them. Every frame must hold the
    /// structure's atoms in its order, in its cell.
    pub fn with_frames(self, structure: &Structure, frames: &[Structure]) -> Result<Multislice> {
        let bad = |message: String| Error::invalid("--phonon-frames", message);
        if self.frozen_phonons > 0 {
            return Err(bad(
                "averages over the structure file's frames; give it or --frozen-phonons N, not both"
                    .into(),
            ));
        }
        if frames.len() < 2 || frames.len() > MAX_FROZEN_PHONONS {
            return Err(bad(format!(
                "the structure file holds {} frame(s); give 2-{MAX_FROZEN_PHONONS} frames of the same atoms in one extended XYZ (ase.io.write(path, list_of_atoms))",
                frames.len()
            )));
        }
        let cell = structure.lattice.to_array();
        let mut positions = Vec::with_capacity(frames.len());
        for (k, frame) in frames.iter().enumerate() {
            let which = format!("frame {} of {}", k + 1, frames.len());
            if frame.len() != structure.len() {
                return Err(bad(format!(
                    "{which} has {} atoms, frame 1 has {}",
                    frame.len(),
                    structure.len()
                )));
            }
            if let Some(i) =
                (0..frame.len()).find(|&i| frame.atoms[i].element != structure.atoms[i].element)
            {
                return Err(bad(format!(
                    "atom {} is {} in {which}, {} in frame 1 (frames must list the same atoms in the same order)",
                    i + 1,
                    frame.atoms[i].element,
                    structure.atoms[i].element
                )));
            }
            let same_cell = frame
                .lattice
                .to_array()
                .iter()
                .flatten()
                .zip(cell.iter().flatten())
                .all(|(a, b)| (a - b).abs() <= 1e-6);
            if !same_cell {
                return Err(bad(format!("{which} has another cell than frame 1")));
            }
            positions.push(
                frame
                    .atoms
                    .iter()
                    .map(|a| [a.position.x, a.position.y, a.position.z])
                    .collect(),
            );
        }
        Ok(Multislice {
            frames: Some(std::sync::Arc::new(positions)),
            ..self
        })
    }

    /// The transmission functions of one configuration's atoms.
    fn transmissions(
        &self,
        layout: &Layout,
        atoms: &[(crate::structure::Element, [f64; 3])],
        sigma_e: f64,
    ) -> Vec<Option<Vec<rustfft::num_complex::Complex<f32>>>> {
        let oversample = self.oversample(&layout.grid);
        match self.projection {
            Projection::Infinite => potential::transmissions(
                &layout.grid,
                &layout.slice_atoms(atoms),
                self.parametrization,
                sigma_e,
                oversample,
            ),
            Projection::Finite => {
                let mut elements: Vec<_> = atoms.iter().map(|a| a.0).collect();
                elements.sort();
                elements.dedup();
                let d = finite::Decomposition::new(&elements, self.parametrization);
                let terms = finite::slice_terms(&d, layout, atoms);
                let core = |e, q| d.core(e, q);
                potential::transmissions_of(&layout.grid, &terms, &core, sigma_e, oversample)
            }
        }
    }

    /// How many configurations are averaged: the frames given, the
    /// frozen-phonon draws, or 1 (the static lattice).
    pub fn configurations(&self) -> usize {
        self.frames
            .as_ref()
            .map_or(self.frozen_phonons.max(1), |f| f.len())
    }

    /// The atoms of configuration `config`: as given (static), or each
    /// displaced by N(0, u²) per axis, u = the thermal rms, from a stream
    /// of the seed per configuration (the same on any thread count).
    fn displaced(
        &self,
        structure: &Structure,
        imaging: &Imaging,
        config: usize,
    ) -> Vec<(crate::structure::Element, [f64; 3])> {
        let mut atoms: Vec<_> = structure
            .atoms
            .iter()
            .map(|a| (a.element, [a.position.x, a.position.y, a.position.z]))
            .collect();
        if let Some(frames) = &self.frames {
            for ((_, p), q) in atoms.iter_mut().zip(&frames[config]) {
                *p = *q;
            }
            return atoms;
        }
        if self.frozen_phonons == 0 || imaging.thermal_rms.is_static() {
            return atoms;
        }
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(config as u64 + 1);
        // u · N(0, 1) per axis: every atom draws three numbers, so one
        // element's rms does not shift another's displacements.
        for (element, p) in &mut atoms {
            let u = imaging.thermal_rms.of(*element);
            for c in p.iter_mut() {
                let z: f64 = StandardNormal.sample(&mut rng);
                *c += u * z;
            }
        }
        atoms
    }
}

fn progress_bar(on: bool, len: u64) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    (on && std::io::stderr().is_terminal()).then(|| {
        let b = indicatif::ProgressBar::new(len);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "multislice {elapsed_precise} [{bar:40}] {pos}/{len} probe positions, ETA {eta}",
            )
            .expect("template"),
        );
        b
    })
}

#[cfg(test)]
mod tests;
