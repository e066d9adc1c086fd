//! Random N doping and carbon vacancies in the free part of a sheet.
//!
//! Three defects, each placed on atoms that no site owns or touches and
//! that no other defect has touched (the defect's atoms and their bonded
//! neighbours are then marked), so site coordination never changes and
//! defects never merge:
//! - graphitic N: one C replaced by N (three C neighbours);
//! - pyridinic N: a single vacancy whose three neighbours become N (3 N);
//! - vacancy: one C removed.
//!
//! Counts are exact: N at.% of the sheet's lattice atoms, split
//! `pyridinic_fraction` pyridinic (rounded to whole 3-N defects) and the
//! rest graphitic; vacancies at.% of the lattice atoms.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::model::GrapheneCell;

/// What was made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct DefectCounts {
    /// Graphitic (substitutional) N atoms.
    pub graphitic_n: usize,
    /// Pyridinic N atoms (three per pyridinic vacancy).
    pub pyridinic_n: usize,
    /// Plain carbon vacancies (pyridinic vacancies not included).
    pub vacancies: usize,
}

/// The state of one sheet's lattice atoms.
pub struct SheetState {
    /// Atom removed.
    pub removed: Vec<bool>,
    /// Atom is N.
    pub nitrogen: Vec<bool>,
    /// Atom belongs to or touches a site or a defect: leave it alone.
    pub touched: Vec<bool>,
}

impl SheetState {
    /// A pristine sheet of `n` atoms.
    pub fn new(n: usize) -> Self {
        SheetState {
            removed: vec![false; n],
            nitrogen: vec![false; n],
            touched: vec![false; n],
        }
    }

    /// Mark atoms and their bonded neighbours as touched.
    pub fn touch(&mut self, cell: &GrapheneCell, atoms: impl IntoIterator<Item = usize>) {
        for a in atoms {
            self.touched[a] = true;
            for n in cell.neighbor_indices(a) {
                self.touched[n] = true;
            }
        }
    }

    fn free(&self, cell: &GrapheneCell, a: usize) -> bool {
        !self.touched[a] && cell.neighbor_indices(a).iter().all(|&n| !self.touched[n])
    }
}

/// Requested defect numbers for a sheet of `lattice_atoms`.
pub fn defect_targets(
    lattice_atoms: usize,
    n_percent: f64,
    pyridinic_fraction: f64,
    vacancy_percent: f64,
) -> DefectCounts {
    let n_total = (lattice_atoms as f64 * n_percent / 100.0).round() as usize;
    let pyridinic_defects = (n_total as f64 * pyridinic_fraction / 3.0).round() as usize;
    let pyridinic_n = (3 * pyridinic_defects).min(n_total - n_total % 3);
    DefectCounts {
        graphitic_n: n_total - pyridinic_n,
        pyridinic_n,
        vacancies: (lattice_atoms as f64 * vacancy_percent / 100.0).round() as usize,
    }
}

/// Place the defects; Err(what could be placed) if the free lattice ran out.
pub fn dope(
    cell: &GrapheneCell,
    state: &mut SheetState,
    want: DefectCounts,
    rng: &mut ChaCha8Rng,
) -> Result<DefectCounts, DefectCounts> {
    let n = cell.atom_count();
    let mut got = DefectCounts::default();
    // Bounded random search: plenty of tries for any density that fits.
    let budget = 64 * (want.graphitic_n + want.pyridinic_n + want.vacancies) + 10_000;
    let mut tries = 0;
    let mut pick = |state: &SheetState, rng: &mut ChaCha8Rng| -> Option<usize> {
        while tries < budget {
            tries += 1;
            let a = rng.random_range(0..n);
            if state.free(cell, a) {
                return Some(a);
            }
        }
        None
    };
    while got.pyridinic_n < want.pyridinic_n {
        let Some(a) = pick(state, rng) else {
            return Err(got);
        };
        // The vacancy's neighbours must be free too (their own neighbours
        // are then touched).
        let ns = cell.neighbor_indices(a);
        if !ns.iter().all(|&x| state.free(cell, x)) {
            continue;
        }
        state.removed[a] = true;
        ns.iter().for_each(|&x| state.nitrogen[x] = true);
        state.touch(cell, std::iter::once(a).chain(ns));
        got.pyridinic_n += 3;
    }
    while got.graphitic_n < want.graphitic_n {
        let Some(a) = pick(state, rng) else {
            return Err(got);
        };
        state.nitrogen[a] = true;
        state.touch(cell, [a]);
        got.graphitic_n += 1;
    }
    while got.vacancies < want.vacancies {
        let Some(a) = pick(state, rng) else {
            return Err(got);
        };
        state.removed[a] = true;
        state.touch(cell, [a]);
        got.vacancies += 1;
    }
    Ok(got)
}
