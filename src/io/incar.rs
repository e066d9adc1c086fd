//! The `INCAR.magmom` snippet written beside each POSCAR: `ISPIN = 2` and a
//! `MAGMOM` line with one `count*moment` group per POSCAR species, in POSCAR
//! order, so the model is ready for a spin-polarised VASP run.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::structure::{Element, Structure};

/// Initial magnetic moments (µB) per element: Materials Project defaults
/// (see [`Element::default_magmom`]) unless overridden.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Magmoms {
    /// Overrides, e.g. Co -> 1.0.
    pub overrides: BTreeMap<Element, f64>,
}

impl Magmoms {
    /// The initial moment of an element in µB.
    pub fn moment(&self, element: Element) -> f64 {
        self.overrides
            .get(&element)
            .copied()
            .unwrap_or_else(|| element.default_magmom())
    }
}

/// The snippet for a structure (species order as in its POSCAR).
pub fn to_string(structure: &Structure, magmoms: &Magmoms) -> String {
    let species = structure.species_counts();
    let names: Vec<&str> = species.iter().map(|(e, _)| e.symbol()).collect();
    let groups: Vec<String> = species
        .iter()
        .map(|(e, n)| format!("{n}*{}", magmoms.moment(*e)))
        .collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# sacsim: spin polarisation for the POSCAR beside this file"
    );
    let _ = writeln!(out, "# species in POSCAR order: {}", names.join(" "));
    let _ = writeln!(
        out,
        "# initial moments in µB (Materials Project defaults unless set with --magmom)"
    );
    out.push_str("ISPIN = 2\n");
    let _ = writeln!(out, "MAGMOM = {}", groups.join(" "));
    out
}
