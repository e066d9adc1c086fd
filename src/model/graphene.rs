//! Graphene supercells and the site indexing the motif recipes use.
//!
//! Convention (ASE's `ase.build.graphene`): a1 = (a, 0, 0),
//! a2 = (-a/2, a·√3/2, 0), C-C = a/√3; sublattice A at fractional (0, 0) and
//! B at (2/3, 1/3) of the primitive cell. A site is named `A(i, j)` or
//! `B(i, j)` for the atom in primitive cell i·a1 + j·a2.
//!
//! Two supercells: the hexagonal n x m cell (vectors n·a1, m·a2; 2nm atoms,
//! atom order as `ase.build.graphene(size=(n, m, 1))`) and the rectangular
//! cell (vectors n·a x̂, m·a√3 ŷ; 4nm atoms).

use nalgebra::Vector3;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::structure::{Atom, Element, Lattice, Structure};

/// Default graphene lattice constant a (Å).
pub const DEFAULT_A: f64 = 2.46;
/// Default vacuum gap between periodic images along z (Å).
pub const DEFAULT_VACUUM: f64 = 20.0;

/// Which of the two graphene sublattices a site belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sublattice {
    /// Fractional (0, 0) of the primitive cell.
    A,
    /// Fractional (2/3, 1/3) of the primitive cell.
    B,
}

/// A lattice site `A(i, j)` or `B(i, j)` (unbounded indices; the supercell
/// wraps them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Site {
    /// Sublattice.
    pub sub: Sublattice,
    /// Index along a1.
    pub i: i64,
    /// Index along a2.
    pub j: i64,
}

impl Site {
    /// `A(i, j)`.
    pub const fn a(i: i64, j: i64) -> Site {
        Site {
            sub: Sublattice::A,
            i,
            j,
        }
    }
    /// `B(i, j)`.
    pub const fn b(i: i64, j: i64) -> Site {
        Site {
            sub: Sublattice::B,
            i,
            j,
        }
    }
    /// The site translated by (di, dj) primitive cells.
    pub fn shifted(self, di: i64, dj: i64) -> Site {
        Site {
            i: self.i + di,
            j: self.j + dj,
            ..self
        }
    }
    /// The three bonded neighbours: A(i, j) bonds B(i, j), B(i-1, j),
    /// B(i-1, j-1); B(i, j) bonds A(i, j), A(i+1, j), A(i+1, j+1).
    pub fn neighbors(self) -> [Site; 3] {
        let (i, j) = (self.i, self.j);
        match self.sub {
            Sublattice::A => [Site::b(i, j), Site::b(i - 1, j), Site::b(i - 1, j - 1)],
            Sublattice::B => [Site::a(i, j), Site::a(i + 1, j), Site::a(i + 1, j + 1)],
        }
    }
    /// The site rotated by 120 degrees about the A(0, 0) atom, which maps
    /// a1 -> a2 and a2 -> -a1 - a2: A(i, j) -> A(-j, i - j),
    /// B(i, j) -> B(-j - 1, i - j).
    pub fn rotated_120(self) -> Site {
        match self.sub {
            Sublattice::A => Site::a(-self.j, self.i - self.j),
            Sublattice::B => Site::b(-self.j - 1, self.i - self.j),
        }
    }
}

/// Shape of a graphene supercell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CellShape {
    /// n·a1 x m·a2 (gamma = 120 degrees).
    Hexagonal,
    /// n·a x m·a√3 (orthogonal).
    Rectangular,
}

/// A graphene supercell description.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GrapheneCell {
    /// Hexagonal or rectangular.
    pub shape: CellShape,
    /// Repeats along the first vector.
    pub n: usize,
    /// Repeats along the second vector.
    pub m: usize,
    /// Lattice constant a (Å).
    #[serde(rename = "a_angstrom")]
    pub a: f64,
    /// Vacuum gap along z between the periodic images of the model (Å).
    #[serde(rename = "vacuum_angstrom")]
    pub vacuum: f64,
}

impl GrapheneCell {
    /// A hexagonal n x m cell with default a and vacuum.
    pub fn hexagonal(n: usize, m: usize) -> Self {
        GrapheneCell {
            shape: CellShape::Hexagonal,
            n,
            m,
            a: DEFAULT_A,
            vacuum: DEFAULT_VACUUM,
        }
    }

    /// A rectangular n x m cell with default a and vacuum.
    pub fn rectangular(n: usize, m: usize) -> Self {
        GrapheneCell {
            shape: CellShape::Rectangular,
            n,
            m,
            ..Self::hexagonal(n, m)
        }
    }

    /// The same cell shape and constants with other repeat counts.
    pub fn with_size(&self, n: usize, m: usize) -> Self {
        GrapheneCell { n, m, ..*self }
    }

    /// The command-line spelling: `--cell 6x6` or `--rect 6x4`.
    pub fn option(&self) -> String {
        match self.shape {
            CellShape::Hexagonal => format!("--cell {}x{}", self.n, self.m),
            CellShape::Rectangular => format!("--rect {}x{}", self.n, self.m),
        }
    }

    /// Check the parameters: at least 1x1, a in 2.0-3.0 Å, vacuum 1-1000 Å.
    pub fn validate(&self) -> Result<()> {
        if self.n == 0 || self.m == 0 {
            return Err(Error::invalid(
                "cell",
                format!("{}x{} has no atoms; use at least 1x1", self.n, self.m),
            ));
        }
        if self.n.saturating_mul(self.m) > 50_000_000 {
            return Err(Error::invalid(
                "cell",
                format!(
                    "{}x{} is too large; the maximum is 50,000,000 cells",
                    self.n, self.m
                ),
            ));
        }
        if !(2.0..=3.0).contains(&self.a) {
            return Err(Error::invalid(
                "--a",
                format!(
                    "{} Å is not a graphene lattice constant; use 2.0-3.0 Å (default 2.46)",
                    crate::values::short(self.a)
                ),
            ));
        }
        if !(self.vacuum >= 1.0 && self.vacuum <= 1000.0) {
            return Err(Error::invalid(
                "--vacuum",
                format!(
                    "{} Å; use 1-1000 Å between periodic images (default 20; DFT slabs use 15-30)",
                    crate::values::short(self.vacuum)
                ),
            ));
        }
        Ok(())
    }

    /// Number of C atoms in the pristine sheet.
    pub fn atom_count(&self) -> usize {
        match self.shape {
            CellShape::Hexagonal => 2 * self.n * self.m,
            CellShape::Rectangular => 4 * self.n * self.m,
        }
    }

    /// The in-plane supercell vectors (Å).
    pub fn in_plane_vectors(&self) -> [Vector3<f64>; 2] {
        let (a, n, m) = (self.a, self.n as f64, self.m as f64);
        let s3 = 3f64.sqrt();
        match self.shape {
            CellShape::Hexagonal => [
                Vector3::new(n * a, 0.0, 0.0),
                Vector3::new(-m * a / 2.0, m * a * s3 / 2.0, 0.0),
            ],
            CellShape::Rectangular => [
                Vector3::new(n * a, 0.0, 0.0),
                Vector3::new(0.0, m * a * s3, 0.0),
            ],
        }
    }

    /// Unwrapped Cartesian position of a site in the plane z = 0 (Å).
    pub fn site_position(&self, site: Site) -> Vector3<f64> {
        let a = self.a;
        let s3 = 3f64.sqrt();
        let (i, j) = (site.i as f64, site.j as f64);
        let base = Vector3::new(a * (i - j / 2.0), a * s3 / 2.0 * j, 0.0);
        match site.sub {
            Sublattice::A => base,
            Sublattice::B => base + Vector3::new(a / 2.0, a * s3 / 6.0, 0.0),
        }
    }

    /// Index of a site's atom in the pristine sheet built by [`Self::sheet`]
    /// (indices wrap periodically).
    pub fn site_index(&self, site: Site) -> usize {
        let (n, m) = (self.n as i64, self.m as i64);
        match self.shape {
            CellShape::Hexagonal => {
                let s = usize::from(site.sub == Sublattice::B);
                ((site.i.rem_euclid(n) * m + site.j.rem_euclid(m)) as usize) * 2 + s
            }
            CellShape::Rectangular => {
                // Rectangular unit cell (a, a√3) with four atoms: 0 = A(0,0),
                // 1 = B(0,0), 2 = A(1,1), 3 = B(0,1). A lattice point (i, j)
                // with j = 2R (+1) lies in rectangle row R.
                let r = site.j.div_euclid(2);
                let (col, basis) = match (site.j.rem_euclid(2), site.sub) {
                    (0, Sublattice::A) => (site.i - r, 0),
                    (0, Sublattice::B) => (site.i - r, 1),
                    (_, Sublattice::A) => (site.i - r - 1, 2),
                    (_, Sublattice::B) => (site.i - r, 3),
                };
                ((col.rem_euclid(n) * m + r.rem_euclid(m)) as usize) * 4 + basis
            }
        }
    }

    /// The site of sheet atom `index` (inverse of [`Self::site_index`], in
    /// the first periodic copy).
    pub fn site_of(&self, index: usize) -> Site {
        match self.shape {
            CellShape::Hexagonal => {
                let (cellno, s) = (index / 2, index % 2);
                let (i, j) = ((cellno / self.m) as i64, (cellno % self.m) as i64);
                if s == 0 { Site::a(i, j) } else { Site::b(i, j) }
            }
            CellShape::Rectangular => {
                let (cellno, basis) = (index / 4, index % 4);
                let (col, r) = ((cellno / self.m) as i64, (cellno % self.m) as i64);
                match basis {
                    0 => Site::a(col + r, 2 * r),
                    1 => Site::b(col + r, 2 * r),
                    2 => Site::a(col + r + 1, 2 * r + 1),
                    _ => Site::b(col + r, 2 * r + 1),
                }
            }
        }
    }

    /// Indices of the three bonded neighbours of sheet atom `index`.
    pub fn neighbor_indices(&self, index: usize) -> [usize; 3] {
        self.site_of(index).neighbors().map(|s| self.site_index(s))
    }

    /// The lattice of the supercell with a c vector of `c` Å.
    pub fn lattice(&self, c: f64) -> Lattice {
        let [u, v] = self.in_plane_vectors();
        Lattice::new([[u.x, u.y, 0.0], [v.x, v.y, 0.0], [0.0, 0.0, c]])
            .expect("valid graphene cell")
    }

    /// The pristine sheet: all C, flat at z = vacuum / 2 in a cell of height
    /// `vacuum`, periodic in-plane only (pbc = T T F), as
    /// `ase.build.graphene(a=a, size=(n, m, 1), vacuum=vacuum / 2)` for the
    /// hexagonal cell.
    pub fn sheet(&self) -> Structure {
        let z = self.vacuum / 2.0;
        let (a, s3) = (self.a, 3f64.sqrt());
        let mut atoms = Vec::with_capacity(self.atom_count());
        match self.shape {
            CellShape::Hexagonal => {
                // The arithmetic of ASE (scaled basis @ cell, plus
                // (i, j) @ cell per repeat), so the coordinates match
                // `ase.build.graphene` to the last bit.
                let (a1, a2) = ([a, 0.0], [-a / 2.0, a * s3 / 2.0]);
                let b = [
                    (2.0 / 3.0) * a1[0] + (1.0 / 3.0) * a2[0],
                    (2.0 / 3.0) * a1[1] + (1.0 / 3.0) * a2[1],
                ];
                for i in 0..self.n {
                    for j in 0..self.m {
                        let (fi, fj) = (i as f64, j as f64);
                        let t = [fi * a1[0] + fj * a2[0], fi * a1[1] + fj * a2[1]];
                        for p in [[0.0, 0.0], b] {
                            let r = Vector3::new(p[0] + t[0], p[1] + t[1], z);
                            atoms.push(Atom::new(Element::C, r));
                        }
                    }
                }
            }
            CellShape::Rectangular => {
                let basis = [
                    Vector3::new(0.0, 0.0, z),
                    Vector3::new(a / 2.0, a * s3 / 6.0, z),
                    Vector3::new(a / 2.0, a * s3 / 2.0, z),
                    Vector3::new(0.0, 2.0 * a * s3 / 3.0, z),
                ];
                for c in 0..self.n {
                    for r in 0..self.m {
                        let t = Vector3::new(a * c as f64, a * s3 * r as f64, 0.0);
                        atoms.extend(basis.iter().map(|b| Atom::new(Element::C, b + t)));
                    }
                }
            }
        }
        Structure {
            title: format!("graphene {}x{} {:?}", self.n, self.m, self.shape).to_lowercase(),
            lattice: self.lattice(self.vacuum),
            pbc: [true, true, false],
            atoms,
        }
    }

    /// The lattice point (i, j) nearest the centre of the supercell.
    pub fn central_cell(&self) -> (i64, i64) {
        let [u, v] = self.in_plane_vectors();
        let centre = (u + v) / 2.0;
        let (a, s3) = (self.a, 3f64.sqrt());
        // Invert x = a(i - j/2), y = a√3/2 j.
        let j = (centre.y / (a * s3 / 2.0)).round();
        let i = (centre.x / a + j / 2.0).round();
        (i as i64, j as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_site_index(cell: GrapheneCell) {
        let sheet = cell.sheet();
        assert_eq!(sheet.len(), cell.atom_count());
        let z = Vector3::new(0.0, 0.0, cell.vacuum / 2.0);
        for i in -5..9 {
            for j in -5..9 {
                for site in [Site::a(i, j), Site::b(i, j)] {
                    let k = cell.site_index(site);
                    let d = sheet
                        .minimum_image(&(cell.site_position(site) + z - sheet.atoms[k].position));
                    assert!(d.norm() < 1e-9, "{site:?} -> atom {k} off by {}", d.norm());
                }
            }
        }
    }

    #[test]
    fn site_index_points_at_the_atom_at_the_site() {
        check_site_index(GrapheneCell::hexagonal(4, 3));
        check_site_index(GrapheneCell::rectangular(3, 2));
    }

    #[test]
    fn site_of_inverts_site_index_and_neighbours_are_bonded() {
        for cell in [
            GrapheneCell::hexagonal(4, 3),
            GrapheneCell::rectangular(3, 2),
        ] {
            let sheet = cell.sheet();
            for k in 0..cell.atom_count() {
                assert_eq!(cell.site_index(cell.site_of(k)), k);
                for n in cell.neighbor_indices(k) {
                    assert!((sheet.distance(k, n) - cell.a / 3f64.sqrt()).abs() < 1e-9);
                }
            }
        }
    }

    #[test]
    fn every_atom_has_three_neighbours_at_cc() {
        for cell in [
            GrapheneCell::hexagonal(3, 3),
            GrapheneCell::rectangular(2, 2),
        ] {
            let s = cell.sheet();
            let cc = cell.a / 3f64.sqrt();
            for i in 0..s.len() {
                let n = s.neighbors_within(i, 1.6);
                assert_eq!(n.len(), 3);
                assert!(n.iter().all(|x| (x.distance - cc).abs() < 1e-9));
            }
        }
    }

    #[test]
    fn rotation_keeps_bonds_and_has_order_three() {
        let cell = GrapheneCell::hexagonal(9, 9);
        let s = Site::b(2, -1);
        assert_eq!(s.rotated_120().rotated_120().rotated_120(), s);
        // Rotation about the origin preserves distances to the origin.
        let p = cell.site_position(s).norm();
        assert!((cell.site_position(s.rotated_120()).norm() - p).abs() < 1e-12);
        // B(0,0) -> B(-1,0), as derived in the module docs.
        assert_eq!(Site::b(0, 0).rotated_120(), Site::b(-1, 0));
    }
}
