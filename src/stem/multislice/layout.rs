//! Where everything of a multislice run sits: the potential grid, the
//! probe window, the coarse scan and the slices.

use super::Multislice;
use super::potential::{Grid, SliceAtoms};
use super::resample::Axis;
use crate::fft::smooth_size;
use crate::stem::incoherent::{Imaging, Plan};
use crate::structure::{Element, Structure};

/// Coarse scan step as a fraction of the Nyquist step λ/(4α).
const NYQUIST_MARGIN: f64 = 0.9;
/// Extra coarse positions scanned beyond each edge of a non-periodic field.
const EDGE_POSITIONS: usize = 2;
/// Grid points between the outermost window and the potential grid's edge.
const PAD: usize = 2;
/// Atoms this far (Å) outside a non-periodic potential grid still count.
const ATOM_MARGIN: f64 = 3.0;
/// Airy 99 % encircled-energy radius in units of λ/α: 1 − J0² − J1² =
/// 0.99 at v = 2πα r/λ ≈ 2/(π · 0.01).
const AIRY_R99: f64 = 2.0 / (std::f64::consts::PI * 0.01) / (2.0 * std::f64::consts::PI);

/// The geometry of one multislice run.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// The potential grid.
    pub grid: Grid,
    /// Probe window size (grid points).
    pub window: [usize; 2],
    /// Coarse scan along x and y.
    pub axes: [Axis; 2],
    /// Grid points per coarse step.
    step: [usize; 2],
    /// Grid index where the window of coarse position 0 starts.
    first: [i64; 2],
    /// Number of slices.
    pub slices: usize,
    /// Height (Å) of the first slice's centre: the highest atom.
    z_top: f64,
    /// Slice thickness (Å).
    dz: f64,
    /// Defocus at the first slice minus `--defocus` (Å): z_top − focus.
    pub entrance_shift: f64,
    /// In-plane translations of the atoms onto a non-periodic grid.
    translations: Vec<[f64; 2]>,
    /// The grid is the whole periodic cell (atoms wrap onto it).
    periodic: bool,
}

impl Layout {
    /// Lay out a run of `ms` for the planned image.
    pub fn new(ms: &Multislice, structure: &Structure, imaging: &Imaging, plan: &Plan) -> Layout {
        let h_max = ms.sampling_for(imaging);
        let alpha = imaging.probe.convergence_mrad * 1e-3;
        let lambda = imaging.probe.wavelength();
        let step_max = NYQUIST_MARGIN * lambda / (4.0 * alpha);
        let z: Vec<f64> = structure.atoms.iter().map(|a| a.position.z).collect();
        let z_top = z.iter().copied().fold(f64::MIN, f64::max);
        let z_low = z.iter().copied().fold(f64::MAX, f64::min);
        let dz = ms.slice_thickness;
        let slices = ((z_top + dz / 2.0 - z_low) / dz).floor() as usize + 1;
        let entrance_shift = z_top - imaging.focus.unwrap_or(z_top);
        let width = ms.probe_window.unwrap_or_else(|| {
            default_window(
                imaging,
                -imaging.probe.aberrations.c1 + entrance_shift,
                z_top - z_low,
            )
        });
        let hf = [
            plan.pixel[0] / plan.oversample as f64,
            plan.pixel[1] / plan.oversample as f64,
        ];
        let mut grid = Grid {
            n: [0; 2],
            h: [0.0; 2],
            origin: [0.0; 2],
        };
        let mut window = [0; 2];
        let mut axes = [Axis {
            start: 0.0,
            step: 0.0,
            n: 0,
            periodic: false,
        }; 2];
        let (mut step, mut first) = ([0; 2], [0; 2]);
        for a in 0..2 {
            let field = plan.out[a] as f64 * plan.pixel[a];
            if plan.periodic {
                let n = smooth_size((field / h_max - 1e-9).ceil() as usize);
                let h = field / n as f64;
                let nw = smooth_size((width / h).ceil() as usize);
                window[a] = if nw as f64 >= 0.75 * n as f64 { n } else { nw };
                let m = (1..=((step_max / h).floor() as usize).max(1))
                    .rev()
                    .find(|m| n.is_multiple_of(*m))
                    .unwrap_or(1);
                step[a] = m;
                first[a] = -((window[a] / 2) as i64);
                axes[a] = Axis {
                    start: plan.origin[a],
                    step: m as f64 * h,
                    n: n / m,
                    periodic: true,
                };
                grid.n[a] = n;
                grid.h[a] = h;
                grid.origin[a] = plan.origin[a];
            } else {
                let h = h_max;
                let m = ((step_max / h).floor() as usize).max(1);
                let s = m as f64 * h;
                let nc = ((field - hf[a]).max(0.0) / s).ceil() as usize + 1 + 2 * EDGE_POSITIONS;
                let start = plan.origin[a] - EDGE_POSITIONS as f64 * s;
                let nw = smooth_size((width / h).ceil() as usize);
                window[a] = nw;
                step[a] = m;
                first[a] = PAD as i64;
                axes[a] = Axis {
                    start,
                    step: s,
                    n: nc,
                    periodic: false,
                };
                grid.n[a] = smooth_size(nw + (nc - 1) * m + 2 * PAD + 1);
                grid.h[a] = h;
                grid.origin[a] = start - (nw / 2 + PAD) as f64 * h;
            }
        }
        let translations = if plan.periodic {
            vec![[0.0, 0.0]]
        } else {
            let size = [grid.n[0] as f64 * grid.h[0], grid.n[1] as f64 * grid.h[1]];
            crate::stem::incoherent::image_translations(structure, grid.origin, size, false)
        };
        Layout {
            grid,
            window,
            axes,
            step,
            first,
            slices,
            z_top,
            dz,
            entrance_shift,
            translations,
            periodic: plan.periodic,
        }
    }

    /// The window's grid (origin unused).
    pub fn window_grid(&self) -> Grid {
        Grid {
            n: self.window,
            ..self.grid
        }
    }

    /// Grid index where the window of coarse position (i, j) starts.
    pub fn window_start(&self, i: usize, j: usize) -> [i64; 2] {
        [
            self.first[0] + (i * self.step[0]) as i64,
            self.first[1] + (j * self.step[1]) as i64,
        ]
    }

    /// The atoms of each slice: slice s holds z in (z_top − (s + ½)Δz,
    /// z_top − (s − ½)Δz]; on a non-periodic grid, every periodic image
    /// that lands on it (with a margin).
    pub fn slice_atoms(&self, atoms: &[(Element, [f64; 3])]) -> Vec<SliceAtoms> {
        let mut out = vec![SliceAtoms::new(); self.slices];
        for (element, [x, y, z]) in self.slice_atoms_placed(atoms) {
            out[self.slice_of(z)]
                .entry(element)
                .or_default()
                .push([x, y]);
        }
        out
    }

    /// The slice holding height z (Å): slice s holds z in
    /// (z_top − (s + ½)Δz, z_top − (s − ½)Δz], the ends take everything
    /// beyond.
    fn slice_of(&self, z: f64) -> usize {
        let s = ((self.z_top + self.dz / 2.0 - z) / self.dz).floor();
        (s.max(0.0) as usize).min(self.slices - 1)
    }

    /// The lower and upper faces (Å) of slice `s`; None at the stack's
    /// open ends (the first slice takes everything above it, the last
    /// everything below).
    pub fn faces(&self, s: usize) -> (Option<f64>, Option<f64>) {
        let hi = self.z_top + self.dz / 2.0 - s as f64 * self.dz;
        (
            (s + 1 < self.slices).then_some(hi - self.dz),
            (s > 0).then_some(hi),
        )
    }

    /// For each slice, the atoms whose potential reaches it: (element,
    /// [x, y, z], whether its centre lies in the slice), every atom within
    /// `reach` (Å) of the slice's faces, placed on the grid as
    /// [`Layout::slice_atoms`] places them.
    pub fn slab_atoms(
        &self,
        atoms: &[(Element, [f64; 3])],
        reach: f64,
    ) -> Vec<Vec<(Element, [f64; 3], bool)>> {
        let mut out = vec![Vec::new(); self.slices];
        let on_grid = self.slice_atoms_placed(atoms);
        for (element, p) in on_grid {
            let home = self.slice_of(p[2]);
            let first = self.slice_of(p[2] + reach);
            let last = self.slice_of(p[2] - reach);
            for (s, slab) in out.iter_mut().enumerate().take(last + 1).skip(first) {
                slab.push((element, p, s == home));
            }
        }
        out
    }

    /// Every atom and periodic image that lands on the grid (with a
    /// margin), with its height.
    fn slice_atoms_placed(&self, atoms: &[(Element, [f64; 3])]) -> Vec<(Element, [f64; 3])> {
        let (lo, hi) = self.grid_bounds();
        let mut out = Vec::with_capacity(atoms.len());
        for &(element, [x, y, z]) in atoms {
            for t in &self.translations {
                let (px, py) = (x + t[0], y + t[1]);
                if self.periodic || (px >= lo[0] && px < hi[0] && py >= lo[1] && py < hi[1]) {
                    out.push((element, [px, py, z]));
                }
            }
        }
        out
    }

    /// The grid's extent with the atom margin: (low corner, high corner).
    fn grid_bounds(&self) -> ([f64; 2], [f64; 2]) {
        let lo = [
            self.grid.origin[0] - ATOM_MARGIN,
            self.grid.origin[1] - ATOM_MARGIN,
        ];
        let hi = [
            self.grid.origin[0] + self.grid.n[0] as f64 * self.grid.h[0] + ATOM_MARGIN,
            self.grid.origin[1] + self.grid.n[1] as f64 * self.grid.h[1] + ATOM_MARGIN,
        ];
        (lo, hi)
    }

    /// Peak memory (bytes) with `threads` workers: the transmission
    /// functions, the slices being built (on a grid `oversample` times
    /// finer), each thread's window buffers, the incident probes and the
    /// resampling.
    pub fn memory_bytes(&self, threads: usize, oversample: usize) -> f64 {
        let grid = self.grid.n[0] as f64 * self.grid.n[1] as f64;
        let fine = grid * (oversample * oversample) as f64;
        let window = self.window[0] as f64 * self.window[1] as f64;
        let c = 8.0;
        let slices = self.slices as f64 * grid * c;
        let building = threads as f64 * 3.0 * fine * c + 6.0 * fine * 4.0;
        let beams = threads as f64 * 3.0 * window * c + 10.0 * window * c;
        let coarse = 8.0 * (self.axes[0].n * self.axes[1].n) as f64;
        slices + building + beams + 4.0 * coarse
    }
}

/// Probe window width (Å): twice the Airy 99 % radius plus the geometric
/// blur α·|defocus| at the entrance or exit (whichever is larger) and the
/// aberrations' ray radii.
pub fn default_window(imaging: &Imaging, entrance_defocus: f64, thickness: f64) -> f64 {
    let p = &imaging.probe;
    let alpha = p.convergence_mrad * 1e-3;
    let ab = p.aberrations;
    let defocus = entrance_defocus
        .abs()
        .max((entrance_defocus - thickness).abs());
    let radius = AIRY_R99 * p.wavelength() / alpha
        + alpha * (defocus + ab.a1.abs() + 3.0 * p.focal_spread)
        + ab.c3.abs() * alpha.powi(3)
        + ab.c5.abs() * alpha.powi(5);
    2.0 * radius
}
