//! Minimal P 1 CIF that ASE, pymatgen and VESTA read: a `data_` block, the
//! six `_cell_*` items, `_symmetry_space_group_name_H-M 'P 1'`, the
//! `'x, y, z'` symmetry loop, and an atom loop (label, type symbol,
//! fractional x/y/z with 10 decimals, occupancy 1). Labels are the symbol
//! and a per-species counter (`Co1`, `N4`).
//!
//! A CIF stores cell lengths and angles, not vectors: readers rebuild the
//! cell with a along x and b in the xy plane, which is how sacsim's
//! graphene cells are oriented, so Cartesian positions agree too.

use std::collections::HashMap;
use std::fmt::Write;

use crate::structure::{Element, Structure};

/// A CIF data-block name from a title (letters, digits, `-_.` only).
fn block_name(title: &str) -> String {
    let name: String = title
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() {
        "sacsim".into()
    } else {
        name
    }
}

/// The structure as CIF text.
pub fn to_string(structure: &Structure) -> String {
    let [a, b, c] = structure.lattice.lengths();
    let [alpha, beta, gamma] = structure.lattice.angles_deg();
    let mut out = String::with_capacity(64 * (structure.len() + 30));
    let _ = writeln!(out, "data_{}", block_name(&structure.title));
    let _ = writeln!(
        out,
        "_audit_creation_method 'sacsim {}'",
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(out, "_chemical_formula_sum '{}'", structure.formula());
    for (key, v) in [("length_a", a), ("length_b", b), ("length_c", c)] {
        let _ = writeln!(out, "_cell_{key:<9} {v:.10}");
    }
    for (key, v) in [
        ("angle_alpha", alpha),
        ("angle_beta", beta),
        ("angle_gamma", gamma),
    ] {
        let _ = writeln!(out, "_cell_{key:<12} {v:.10}");
    }
    out.push_str("_symmetry_space_group_name_H-M 'P 1'\n_symmetry_Int_Tables_number 1\n");
    out.push_str("loop_\n_symmetry_equiv_pos_as_xyz\n'x, y, z'\n");
    out.push_str("loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n_atom_site_occupancy\n");
    let mut counter: HashMap<Element, usize> = HashMap::new();
    for (i, atom) in structure.atoms.iter().enumerate() {
        let n = counter.entry(atom.element).or_insert(0);
        *n += 1;
        let f = structure.fractional(i);
        let label = format!("{}{}", atom.element.symbol(), n);
        let clean = |x: f64| if x.abs() < 5e-11 { 0.0 } else { x };
        let _ = writeln!(
            out,
            "{label:<7} {:<2} {:14.10} {:14.10} {:14.10} 1",
            atom.element.symbol(),
            clean(f.x),
            clean(f.y),
            clean(f.z)
        );
    }
    out
}
