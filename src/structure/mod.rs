//! The shared vocabulary: [`Structure`], [`Atom`], [`Lattice`], [`Element`].
//!
//! Conventions: positions are Cartesian in Å; the lattice vectors are the
//! rows of a 3x3 matrix; `pbc[k]` says whether the structure repeats along
//! lattice vector k. Distances between atoms follow the minimum-image
//! convention along periodic axes.

mod element;
mod frame;
pub mod lattice;
pub mod positions;

pub use element::Element;
pub use frame::ImageFrame;
pub use lattice::{Lattice, MAX_LENGTH};
pub use positions::{Positions, Region};

use std::collections::BTreeMap;

use nalgebra::Vector3;

/// Fractional tolerance of [`Structure::wrap`].
const WRAP_EPS: f64 = 1e-10;

/// One atom of a [`Structure`].
#[derive(Debug, Clone, PartialEq)]
pub struct Atom {
    /// Chemical element.
    pub element: Element,
    /// Cartesian position in Å.
    pub position: Vector3<f64>,
    /// Selective dynamics: may the atom relax along x, y, z? (`T` in POSCAR.)
    pub free: [bool; 3],
    /// Site tag: 0 for the support lattice, k >= 1 for the atoms (metals
    /// and their coordinating N) of the k-th metal site.
    pub site: u32,
}

impl Atom {
    /// A free atom of the support (site tag 0).
    pub fn new(element: Element, position: Vector3<f64>) -> Self {
        Atom {
            element,
            position,
            free: [true; 3],
            site: 0,
        }
    }
}

/// A periodic (or partly periodic) atomic structure.
#[derive(Debug, Clone, PartialEq)]
pub struct Structure {
    /// Title (the POSCAR comment line, the CIF data block name).
    pub title: String,
    /// The cell.
    pub lattice: Lattice,
    /// Periodicity along a, b, c.
    pub pbc: [bool; 3],
    /// The atoms, in order.
    pub atoms: Vec<Atom>,
}

/// A neighbour of an atom found under periodic boundary conditions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Neighbor {
    /// Index of the neighbouring atom.
    pub index: usize,
    /// Distance in Å.
    pub distance: f64,
    /// Lattice translation (in cell vectors) of the neighbour's image.
    pub image: [i32; 3],
}

impl Structure {
    /// Number of atoms.
    pub fn len(&self) -> usize {
        self.atoms.len()
    }

    /// True when there are no atoms.
    pub fn is_empty(&self) -> bool {
        self.atoms.is_empty()
    }

    /// Atom counts per element, ordered by atomic number.
    pub fn composition(&self) -> BTreeMap<Element, usize> {
        let mut counts = BTreeMap::new();
        for atom in &self.atoms {
            *counts.entry(atom.element).or_insert(0) += 1;
        }
        counts
    }

    /// Hill formula: C first, H second, then alphabetical (e.g. `C64CoMnN6`).
    pub fn formula(&self) -> String {
        let comp = self.composition();
        let mut keys: Vec<Element> = comp.keys().copied().collect();
        let has_c = comp.contains_key(&Element::C);
        keys.sort_by_key(|e| {
            let rank = match (has_c, e.symbol()) {
                (true, "C") => 0,
                (true, "H") => 1,
                _ => 2,
            };
            (rank, e.symbol())
        });
        keys.iter()
            .map(|e| match comp[e] {
                1 => e.symbol().to_string(),
                n => format!("{}{n}", e.symbol()),
            })
            .collect()
    }

    /// Species in the order sacsim writes them (ascending atomic number),
    /// with their counts: the POSCAR species and counts lines.
    pub fn species_counts(&self) -> Vec<(Element, usize)> {
        self.composition().into_iter().collect()
    }

    /// Reorder atoms so that species are grouped by ascending atomic number,
    /// keeping the relative order within each species (stable).
    pub fn sort_species(&mut self) {
        self.atoms.sort_by_key(|a| a.element);
    }

    /// True if any atom has a fixed coordinate (selective dynamics needed).
    pub fn has_constraints(&self) -> bool {
        self.atoms.iter().any(|a| a.free != [true; 3])
    }

    /// Fractional coordinates of atom `i`.
    pub fn fractional(&self, i: usize) -> Vector3<f64> {
        self.lattice.to_fractional(&self.atoms[i].position)
    }

    /// Wrap every position into the cell along the periodic axes
    /// (fractional coordinates in [-1e-10, 1 - 1e-10)).
    pub fn wrap(&mut self) {
        for i in 0..self.atoms.len() {
            let mut f = self.fractional(i);
            // Atoms already inside keep their exact coordinates; values
            // within WRAP_EPS below 1 go to 0, so no written coordinate
            // reads 1.0000 (readers would wrap it).
            let outside =
                (0..3).any(|k| self.pbc[k] && (f[k] < -WRAP_EPS || f[k] >= 1.0 - WRAP_EPS));
            if !outside {
                continue;
            }
            for k in 0..3 {
                if self.pbc[k] {
                    f[k] -= (f[k] + WRAP_EPS).floor();
                    if f[k] < 0.0 {
                        f[k] = 0.0;
                    }
                }
            }
            self.atoms[i].position = self.lattice.to_cartesian(&f);
        }
    }

    /// Minimum-image vector from atom `i` to atom `j` (Å).
    pub fn minimum_image_vector(&self, i: usize, j: usize) -> Vector3<f64> {
        self.minimum_image(&(self.atoms[j].position - self.atoms[i].position))
    }

    /// Minimum-image distance between atoms `i` and `j` (Å).
    pub fn distance(&self, i: usize, j: usize) -> f64 {
        self.minimum_image_vector(i, j).norm()
    }

    /// The shortest periodic image of a Cartesian displacement (Å): reduce
    /// the fractional displacement to [-0.5, 0.5) and then test the 27
    /// neighbouring translations, which is exact for the reduced cells
    /// sacsim builds (and for any cell whose angles lie in 60-120 degrees).
    pub fn minimum_image(&self, d: &Vector3<f64>) -> Vector3<f64> {
        let mut f = self.lattice.to_fractional(d);
        for k in 0..3 {
            if self.pbc[k] {
                f[k] -= f[k].round();
            }
        }
        let base = self.lattice.to_cartesian(&f);
        let mut best = base;
        let range = |k: usize| if self.pbc[k] { -1..=1 } else { 0..=0 };
        for s0 in range(0) {
            for s1 in range(1) {
                for s2 in range(2) {
                    let t = self.translation([s0, s1, s2]);
                    let cand = base + t;
                    if cand.norm_squared() < best.norm_squared() {
                        best = cand;
                    }
                }
            }
        }
        best
    }

    /// Cartesian lattice translation for integer cell shifts (Å).
    pub fn translation(&self, shift: [i32; 3]) -> Vector3<f64> {
        self.lattice.to_cartesian(&Vector3::new(
            shift[0] as f64,
            shift[1] as f64,
            shift[2] as f64,
        ))
    }

    /// Integer lattice shifts along the periodic axes that can bring an
    /// image of any atom within `cutoff` Å of a point in the central cell
    /// (one extra shell covers displacements reduced to [-0.5, 0.5)).
    fn image_shifts(&self, cutoff: f64) -> Vec<[i32; 3]> {
        let widths = self.lattice.face_widths();
        let reach: [i32; 3] = std::array::from_fn(|k| {
            if self.pbc[k] {
                (cutoff / widths[k]).ceil() as i32 + 1
            } else {
                0
            }
        });
        let mut shifts = Vec::new();
        for s0 in -reach[0]..=reach[0] {
            for s1 in -reach[1]..=reach[1] {
                for s2 in -reach[2]..=reach[2] {
                    shifts.push([s0, s1, s2]);
                }
            }
        }
        shifts
    }

    /// All neighbours of atom `i` within `cutoff` Å, every periodic image
    /// included (also images of atom `i` itself), sorted by distance.
    /// Brute force over all atoms: O(N) per call, exact for any cell size.
    pub fn neighbors_within(&self, i: usize, cutoff: f64) -> Vec<Neighbor> {
        let shifts = self.image_shifts(cutoff);
        let origin = self.atoms[i].position;
        let mut out = Vec::new();
        for (j, atom) in self.atoms.iter().enumerate() {
            // Bring the displacement into the central cell first, then walk images.
            let mut f = self.lattice.to_fractional(&(atom.position - origin));
            let mut base_shift = [0i32; 3];
            for k in 0..3 {
                if self.pbc[k] {
                    let r = f[k].round();
                    f[k] -= r;
                    base_shift[k] = -(r as i32);
                }
            }
            let base = self.lattice.to_cartesian(&f);
            for &[s0, s1, s2] in &shifts {
                if j == i && [s0, s1, s2] == [0, 0, 0] {
                    continue;
                }
                let d = (base + self.translation([s0, s1, s2])).norm();
                if d <= cutoff {
                    out.push(Neighbor {
                        index: j,
                        distance: d,
                        image: [base_shift[0] + s0, base_shift[1] + s1, base_shift[2] + s2],
                    });
                }
            }
        }
        out.sort_by(|a, b| {
            a.distance
                .total_cmp(&b.distance)
                .then(a.index.cmp(&b.index))
        });
        out
    }

    /// Indices of the metal atoms.
    pub fn metal_indices(&self) -> Vec<usize> {
        (0..self.atoms.len())
            .filter(|&i| self.atoms[i].element.is_metal())
            .collect()
    }
}

impl Structure {
    /// The nearest atom among `among` that belongs to another periodic image
    /// of the cell contents around atom `i`: every image of `i` itself except
    /// `i`, and every image of another atom q except q's own minimum-image
    /// copy (its partner in the same site). For a metal of a DFT model this
    /// is how close the periodic copies of the site come (Å).
    ///
    /// Only periodic axes are searched; `None` if nothing lies within
    /// `cutoff` Å.
    pub fn nearest_periodic_image(
        &self,
        i: usize,
        among: &[usize],
        cutoff: f64,
    ) -> Option<Neighbor> {
        let shifts = self.image_shifts(cutoff);
        let origin = self.atoms[i].position;
        let mut best: Option<Neighbor> = None;
        for &q in among {
            let d = self.atoms[q].position - origin;
            let own = self.minimum_image(&d);
            for &shift in &shifts {
                let v = d + self.translation(shift);
                let is_own = if q == i {
                    shift == [0, 0, 0]
                } else {
                    (v - own).norm() < 1e-9
                };
                let dist = v.norm();
                if is_own || dist > cutoff {
                    continue;
                }
                if best.is_none_or(|b| dist < b.distance - 1e-12) {
                    best = Some(Neighbor {
                        index: q,
                        distance: dist,
                        image: shift,
                    });
                }
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex_pair() -> Structure {
        let a = 2.46;
        let lattice = Lattice::new([
            [a, 0.0, 0.0],
            [-a / 2.0, a * 3f64.sqrt() / 2.0, 0.0],
            [0.0, 0.0, 10.0],
        ])
        .unwrap();
        let b = lattice.to_cartesian(&Vector3::new(2.0 / 3.0, 1.0 / 3.0, 0.5));
        Structure {
            title: "graphene".into(),
            lattice,
            pbc: [true, true, false],
            atoms: vec![
                Atom::new(Element::C, Vector3::new(0.0, 0.0, 5.0)),
                Atom::new(Element::C, b),
            ],
        }
    }

    #[test]
    fn graphene_primitive_cell_has_three_bonds_per_atom() {
        let s = hex_pair();
        let cc = 2.46 / 3f64.sqrt();
        let n = s.neighbors_within(0, 1.5);
        assert_eq!(n.len(), 3);
        assert!(
            n.iter()
                .all(|x| (x.distance - cc).abs() < 1e-9 && x.index == 1)
        );
        assert!((s.distance(0, 1) - cc).abs() < 1e-12);
        // Second shell: 6 images of the atom itself at a.
        let n2 = s.neighbors_within(0, 2.5);
        assert_eq!(n2.iter().filter(|x| x.index == 0).count(), 6);
    }

    #[test]
    fn minimum_image_matches_brute_force() {
        let s = hex_pair();
        for d in [
            Vector3::new(2.3, 1.9, 0.0),
            Vector3::new(-1.1, 2.0, 0.3),
            Vector3::new(7.0, -5.0, 0.0),
        ] {
            let mi = s.minimum_image(&d).norm();
            let mut best = f64::MAX;
            for i in -6..=6 {
                for j in -6..=6 {
                    best = best.min((d + s.translation([i, j, 0])).norm());
                }
            }
            assert!((mi - best).abs() < 1e-12, "{mi} vs {best}");
        }
    }

    #[test]
    fn hill_formula() {
        let mut s = hex_pair();
        s.atoms.push(Atom::new(Element::CO, Vector3::zeros()));
        s.atoms.push(Atom::new(Element::N, Vector3::zeros()));
        s.atoms.push(Atom::new(Element::N, Vector3::zeros()));
        assert_eq!(s.formula(), "C2CoN2");
    }
}
