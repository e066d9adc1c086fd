//! The periodic cell: three lattice vectors in Å, stored as the rows of a 3x3
//! matrix (the ASE and VASP convention). A Cartesian position r and its
//! fractional coordinates f are related by r = f1 a + f2 b + f3 c.

use nalgebra::{Matrix3, Vector3};

use crate::error::{Error, Result};

/// Lattice vectors a, b, c (Å), rows of a 3x3 matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Lattice {
    /// Rows are the lattice vectors (Å).
    rows: Matrix3<f64>,
    /// Inverse of the transpose, maps Cartesian to fractional coordinates.
    to_frac: Matrix3<f64>,
}

/// Longest lattice vector and largest |coordinate| sacsim accepts (Å):
/// 100 µm, five times the largest sample it builds.
pub const MAX_LENGTH: f64 = 1e6;

impl Lattice {
    /// A lattice from three vectors in Å; refuses a singular (flat) cell.
    pub fn new(vectors: [[f64; 3]; 3]) -> Result<Self> {
        for (k, v) in vectors.iter().enumerate() {
            let length = v.iter().map(|x| x * x).sum::<f64>().sqrt();
            if !(length.is_finite() && length <= MAX_LENGTH) {
                return Err(Error::invalid(
                    "lattice",
                    format!(
                        "lattice vector {} is {} Å long; sacsim handles cells up to {} Å",
                        k + 1,
                        crate::values::short(length),
                        crate::values::short(MAX_LENGTH)
                    ),
                ));
            }
        }
        let rows = Matrix3::from_row_slice(&vectors.concat());
        let volume = rows.determinant();
        if !volume.is_finite() || volume.abs() < 1e-9 {
            return Err(Error::invalid(
                "lattice",
                format!("the cell vectors span no volume (det = {volume:.3e} Å³)"),
            ));
        }
        let to_frac = rows.transpose().try_inverse().expect("non-singular");
        Ok(Lattice { rows, to_frac })
    }

    /// Lattice vector `i` (0 = a, 1 = b, 2 = c) in Å.
    pub fn vector(&self, i: usize) -> Vector3<f64> {
        self.rows.row(i).transpose()
    }

    /// The three vectors as nested arrays (rows), Å.
    pub fn to_array(&self) -> [[f64; 3]; 3] {
        let mut out = [[0.0; 3]; 3];
        for (i, row) in out.iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = self.rows[(i, j)];
            }
        }
        out
    }

    /// The row matrix.
    pub fn matrix(&self) -> &Matrix3<f64> {
        &self.rows
    }

    /// Fractional coordinates of a Cartesian position (Å).
    pub fn to_fractional(&self, cartesian: &Vector3<f64>) -> Vector3<f64> {
        self.to_frac * cartesian
    }

    /// Cartesian position (Å) of fractional coordinates.
    pub fn to_cartesian(&self, fractional: &Vector3<f64>) -> Vector3<f64> {
        self.rows.transpose() * fractional
    }

    /// Lengths |a|, |b|, |c| in Å.
    pub fn lengths(&self) -> [f64; 3] {
        [0, 1, 2].map(|i| self.vector(i).norm())
    }

    /// Angles alpha (b,c), beta (a,c), gamma (a,b) in degrees.
    pub fn angles_deg(&self) -> [f64; 3] {
        let angle = |u: Vector3<f64>, v: Vector3<f64>| {
            (u.dot(&v) / (u.norm() * v.norm()))
                .clamp(-1.0, 1.0)
                .acos()
                .to_degrees()
        };
        let (a, b, c) = (self.vector(0), self.vector(1), self.vector(2));
        [angle(b, c), angle(a, c), angle(a, b)]
    }

    /// Signed volume a · (b × c) in Å³ (positive for a right-handed cell).
    pub fn volume(&self) -> f64 {
        self.rows.determinant()
    }

    /// Perpendicular widths of the cell (Å): the distance between the two
    /// faces spanned by the other two vectors. A sphere of radius r fits in
    /// the cell only if r <= width / 2 on every axis.
    pub fn face_widths(&self) -> [f64; 3] {
        let v = self.volume().abs();
        let (a, b, c) = (self.vector(0), self.vector(1), self.vector(2));
        [
            v / b.cross(&c).norm(),
            v / a.cross(&c).norm(),
            v / a.cross(&b).norm(),
        ]
    }

    /// A copy with every vector multiplied by `factor`.
    pub fn scaled(&self, factor: [f64; 3]) -> Result<Lattice> {
        let mut v = self.to_array();
        for (row, f) in v.iter_mut().zip(factor) {
            row.iter_mut().for_each(|x| *x *= f);
        }
        Lattice::new(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hexagonal_cell_round_trips_fractional() {
        let a = 2.46;
        let l = Lattice::new([
            [a, 0.0, 0.0],
            [-a / 2.0, a * 3f64.sqrt() / 2.0, 0.0],
            [0.0, 0.0, 20.0],
        ])
        .unwrap();
        let f = Vector3::new(2.0 / 3.0, 1.0 / 3.0, 0.5);
        let r = l.to_cartesian(&f);
        assert!((r - Vector3::new(1.23, 0.710140831, 10.0)).norm() < 1e-8);
        assert!((l.to_fractional(&r) - f).norm() < 1e-14);
        let ang = l.angles_deg();
        assert!((ang[2] - 120.0).abs() < 1e-12 && (ang[0] - 90.0).abs() < 1e-12);
        assert!((l.face_widths()[0] - a * 3f64.sqrt() / 2.0).abs() < 1e-12);
    }

    #[test]
    fn flat_cell_is_refused() {
        assert!(Lattice::new([[1.0, 0.0, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, 1.0]]).is_err());
    }
}
