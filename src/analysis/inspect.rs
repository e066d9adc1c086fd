//! The report of `sacsim inspect`: composition, cell, the closest pair of
//! atoms, and for every metal its coordination shell and how close the
//! periodic images of its site come.
//!
//! A neighbour belongs to a metal's shell when closer than 1.15 x the sum of
//! the covalent radii (Co-N 2.27 Å, Mn-C 2.47 Å, Co-Mn 3.05 Å; the second-shell N and C of the
//! dual sites at 2.56 Å stay out).

use std::fmt;

use serde::Serialize;

use super::neighbors::{Contact, min_distance};
use crate::structure::Structure;

/// Shell cutoff as a multiple of the sum of covalent radii.
pub const SHELL_FACTOR: f64 = 1.15;

/// Equal distances (Å) within this tolerance are grouped in a shell.
const SHELL_TOLERANCE: f64 = 5e-4;

/// Neighbours of one element at one distance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShellEntry {
    /// Element symbol.
    pub element: String,
    /// Distance in Å.
    pub distance: f64,
    /// How many.
    pub count: usize,
}

/// The nearest metal of another periodic image of the site.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageContact {
    /// Element symbol of that metal.
    pub element: String,
    /// Its atom index.
    pub index: usize,
    /// Distance in Å.
    pub distance: f64,
}

/// One metal atom.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetalReport {
    /// Atom index (0-based, file order).
    pub index: usize,
    /// Element symbol.
    pub element: String,
    /// Cartesian position (Å).
    pub position: [f64; 3],
    /// Coordination shell, nearest first.
    pub shell: Vec<ShellEntry>,
    /// Closest metal of a periodic image (none if not periodic).
    pub nearest_image: Option<ImageContact>,
}

/// Everything `sacsim inspect` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Hill formula.
    pub formula: String,
    /// Number of atoms.
    pub atoms: usize,
    /// (symbol, count) by ascending Z.
    pub composition: Vec<(String, usize)>,
    /// Lattice vectors as rows (Å).
    pub lattice: [[f64; 3]; 3],
    /// |a|, |b|, |c| (Å).
    pub lengths: [f64; 3],
    /// alpha, beta, gamma (degrees).
    pub angles: [f64; 3],
    /// Cell volume (Å³).
    pub volume: f64,
    /// Periodicity.
    pub pbc: [bool; 3],
    /// The closest pair of atoms.
    pub min_distance: Option<Contact>,
    /// Every metal atom.
    pub metals: Vec<MetalReport>,
}

/// Inspect a structure.
pub fn inspect(structure: &Structure) -> Report {
    Report {
        formula: structure.formula(),
        atoms: structure.len(),
        composition: structure
            .species_counts()
            .into_iter()
            .map(|(e, n)| (e.symbol().to_string(), n))
            .collect(),
        lattice: structure.lattice.to_array(),
        lengths: structure.lattice.lengths(),
        angles: structure.lattice.angles_deg(),
        volume: structure.lattice.volume().abs(),
        pbc: structure.pbc,
        min_distance: min_distance(structure),
        metals: metal_reports(structure),
    }
}

/// Coordination shell and nearest periodic image of every metal atom.
pub fn metal_reports(structure: &Structure) -> Vec<MetalReport> {
    let metal_indices = structure.metal_indices();
    let widest = structure
        .lattice
        .lengths()
        .iter()
        .fold(0.0f64, |a, &b| a.max(b));
    metal_indices
        .iter()
        .map(|&m| {
            let em = structure.atoms[m].element;
            let reach = SHELL_FACTOR * (em.covalent_radius() + 2.5);
            let mut shell: Vec<ShellEntry> = Vec::new();
            for n in structure.neighbors_within(m, reach) {
                let en = structure.atoms[n.index].element;
                if n.distance > SHELL_FACTOR * (em.covalent_radius() + en.covalent_radius()) {
                    continue;
                }
                match shell.last_mut() {
                    Some(last)
                        if last.element == en.symbol()
                            && (n.distance - last.distance).abs() < SHELL_TOLERANCE =>
                    {
                        last.count += 1
                    }
                    _ => shell.push(ShellEntry {
                        element: en.symbol().to_string(),
                        distance: n.distance,
                        count: 1,
                    }),
                }
            }
            let nearest_image = structure
                .nearest_periodic_image(m, &metal_indices, 2.0 * widest)
                .map(|n| ImageContact {
                    element: structure.atoms[n.index].element.symbol().to_string(),
                    index: n.index,
                    distance: n.distance,
                });
            let p = structure.atoms[m].position;
            MetalReport {
                index: m,
                element: em.symbol().to_string(),
                position: [p.x, p.y, p.z],
                shell,
                nearest_image,
            }
        })
        .collect()
}

impl MetalReport {
    /// The shell as one line: `N 1.879 x3, Mn 2.460`.
    pub fn shell_line(&self) -> String {
        if self.shell.is_empty() {
            return "no neighbours".to_string();
        }
        self.shell
            .iter()
            .map(|s| match s.count {
                1 => format!("{} {:.3}", s.element, s.distance),
                n => format!("{} {:.3} x{n}", s.element, s.distance),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let comp: Vec<String> = self
            .composition
            .iter()
            .map(|(e, n)| format!("{e} {n}"))
            .collect();
        writeln!(
            f,
            "formula      {} ({} atoms: {})",
            self.formula,
            self.atoms,
            comp.join(", ")
        )?;
        let [a, b, c] = self.lengths;
        let [al, be, ga] = self.angles;
        writeln!(
            f,
            "cell         a {a:.4}  b {b:.4}  c {c:.4} Å   alpha {al:.2}  beta {be:.2}  gamma {ga:.2}°   volume {:.2} Å³",
            self.volume
        )?;
        let pbc: Vec<&str> = self
            .pbc
            .iter()
            .map(|&p| if p { "T" } else { "F" })
            .collect();
        writeln!(f, "pbc          {}", pbc.join(" "))?;
        match &self.min_distance {
            Some(c) => writeln!(
                f,
                "min distance {:.4} Å (atoms {} and {})",
                c.distance, c.i, c.j
            )?,
            None => writeln!(f, "min distance none (fewer than two atoms in reach)")?,
        }
        if self.metals.is_empty() {
            writeln!(f, "metals       none")?;
        }
        for m in &self.metals {
            let image = match &m.nearest_image {
                Some(i) => format!("; nearest periodic image {} {:.3} Å", i.element, i.distance),
                None => String::new(),
            };
            writeln!(
                f,
                "{}: {}{image}   (atom {})",
                m.element,
                m.shell_line(),
                m.index
            )?;
        }
        Ok(())
    }
}
