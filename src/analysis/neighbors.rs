//! Periodic nearest-neighbour searches on a k-d tree (kiddo).
//!
//! Periodicity is handled with ghost atoms: every atom is wrapped into the
//! cell and copied across each periodic face it lies within a margin of, so
//! that a plain Euclidean search sees every pair closer than the margin.
//! This works for any cell shape (kiddo's own periodic mode needs an
//! orthogonal box).

use std::num::NonZero;

use kiddo::{ImmutableKdTree, SquaredEuclidean};
use nalgebra::Vector3;
use rayon::prelude::*;

use crate::structure::Structure;

/// The closest pair of atoms.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Contact {
    /// First atom (lower index).
    pub i: usize,
    /// Second atom (may equal `i` when an atom is closest to its own image).
    pub j: usize,
    /// Distance in Å.
    pub distance: f64,
}

/// Wrapped Cartesian points plus ghost copies within `margin` Å of the
/// periodic faces; `owner[k]` is the atom a point copies. The first N
/// points are the atoms themselves.
fn with_ghosts(structure: &Structure, margin: f64) -> (Vec<[f64; 3]>, Vec<u32>) {
    let widths = structure.lattice.face_widths();
    let mu: [f64; 3] = std::array::from_fn(|k| {
        if structure.pbc[k] {
            margin / widths[k]
        } else {
            0.0
        }
    });
    let reach: [i32; 3] = std::array::from_fn(|k| mu[k].ceil() as i32);
    let wrapped: Vec<Vector3<f64>> = (0..structure.len())
        .map(|i| {
            let mut f = structure.fractional(i);
            for k in 0..3 {
                if structure.pbc[k] {
                    f[k] -= f[k].floor();
                }
            }
            f
        })
        .collect();
    let mut points: Vec<[f64; 3]> = Vec::with_capacity(structure.len() * 2);
    let mut owner: Vec<u32> = Vec::with_capacity(structure.len() * 2);
    for (i, f) in wrapped.iter().enumerate() {
        let r = structure.lattice.to_cartesian(f);
        points.push([r.x, r.y, r.z]);
        owner.push(i as u32);
    }
    for (i, f) in wrapped.iter().enumerate() {
        for s0 in -reach[0]..=reach[0] {
            for s1 in -reach[1]..=reach[1] {
                for s2 in -reach[2]..=reach[2] {
                    let s = [s0, s1, s2];
                    if s == [0, 0, 0] {
                        continue;
                    }
                    let g = f + Vector3::new(s0 as f64, s1 as f64, s2 as f64);
                    if (0..3).all(|k| g[k] >= -mu[k] && g[k] <= 1.0 + mu[k]) {
                        let r = structure.lattice.to_cartesian(&g);
                        points.push([r.x, r.y, r.z]);
                        owner.push(i as u32);
                    }
                }
            }
        }
    }
    (points, owner)
}

/// The closest pair of atoms under periodic boundary conditions (an atom
/// and its own periodic image count as a pair). `None` with fewer than two
/// points in reach (a lone atom in a non-periodic box).
///
/// O(N log N): a k-d tree over atoms and ghosts, queried in parallel; the
/// result does not depend on the thread count.
pub fn min_distance(structure: &Structure) -> Option<Contact> {
    if structure.is_empty() {
        return None;
    }
    let widest = structure
        .lattice
        .lengths()
        .iter()
        .fold(0.0f64, |a, &b| a.max(b));
    let mut margin = 3.0;
    loop {
        let (points, owner) = with_ghosts(structure, margin);
        if points.len() < 2 {
            return None;
        }
        let tree: ImmutableKdTree<f64, 3> =
            ImmutableKdTree::new_from_slice(&points).expect("finite coordinates");
        let two = NonZero::new(2).expect("2 > 0");
        let best = (0..structure.len())
            .into_par_iter()
            .filter_map(|i| {
                tree.query(&points[i])
                    .nearest_n::<SquaredEuclidean<f64>>(two)
                    .execute()
                    .into_iter()
                    .filter(|hit| hit.item as usize != i)
                    .map(|hit| (hit.distance, i, owner[hit.item as usize] as usize))
                    .min_by(|a, b| a.0.total_cmp(&b.0))
            })
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        if let Some((d2, i, j)) = best {
            let d = d2.sqrt();
            // Exact once the pair lies inside the ghost margin.
            if d < margin || margin > 2.0 * widest {
                return Some(Contact {
                    i: i.min(j),
                    j: i.max(j),
                    distance: d,
                });
            }
            margin = d * 1.01;
        } else if margin > 2.0 * widest {
            return None;
        } else {
            margin *= 2.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structure::{Atom, Element, Lattice};

    /// Brute force over all pairs and images (the oracle).
    fn brute(structure: &Structure) -> f64 {
        let mut best = f64::INFINITY;
        for i in 0..structure.len() {
            if let Some(n) = structure.neighbors_within(i, 30.0).first() {
                best = best.min(n.distance);
            }
        }
        best
    }

    fn pseudo_random(n: usize, seed: u64) -> Vec<f64> {
        // SplitMix64: a deterministic sequence for the test.
        let mut x = seed;
        (0..n)
            .map(|_| {
                x = x.wrapping_add(0x9E3779B97F4A7C15);
                let mut z = x;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
                ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
            })
            .collect()
    }

    #[test]
    fn matches_brute_force_in_skewed_cells() {
        for (seed, pbc) in [(1, [true; 3]), (2, [true, true, false]), (3, [false; 3])] {
            let lattice =
                Lattice::new([[7.0, 0.0, 0.0], [-3.5, 6.2, 0.0], [0.5, 0.3, 5.0]]).unwrap();
            let r = pseudo_random(60, seed);
            let atoms = r
                .chunks(3)
                .map(|f| {
                    Atom::new(
                        Element::C,
                        lattice.to_cartesian(&Vector3::new(f[0], f[1], f[2])),
                    )
                })
                .collect();
            let s = Structure {
                title: String::new(),
                lattice,
                pbc,
                atoms,
            };
            let got = min_distance(&s).unwrap().distance;
            assert!(
                (got - brute(&s)).abs() < 1e-9,
                "seed {seed}: {got} vs {}",
                brute(&s)
            );
        }
    }

    #[test]
    fn lone_atom_meets_its_image() {
        let lattice = Lattice::new([[4.0, 0.0, 0.0], [0.0, 5.0, 0.0], [0.0, 0.0, 6.0]]).unwrap();
        let s = Structure {
            title: String::new(),
            lattice,
            pbc: [true; 3],
            atoms: vec![Atom::new(Element::CO, Vector3::zeros())],
        };
        let c = min_distance(&s).unwrap();
        assert!((c.distance - 4.0).abs() < 1e-12 && c.i == 0 && c.j == 0);
        let free = Structure {
            pbc: [false; 3],
            ..s
        };
        assert!(min_distance(&free).is_none());
    }
}
