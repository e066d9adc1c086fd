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

/// One CIF value: quotes removed, a trailing standard uncertainty `(n)`
/// removed from numbers.
fn value(token: &str) -> &str {
    let t = token.trim_matches(|c| c == '\'' || c == '"');
    match t.find('(') {
        Some(i) if t.ends_with(')') => &t[..i],
        _ => t,
    }
}

/// Split a CIF line into tokens: whitespace-separated, '...' and "..."
/// kept whole.
fn tokens(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        if bytes[i] == b'\'' || bytes[i] == b'"' {
            let q = bytes[i];
            i += 1;
            // A closing quote followed by whitespace or the end.
            while i < bytes.len()
                && !(bytes[i] == q && bytes.get(i + 1).is_none_or(|c| c.is_ascii_whitespace()))
            {
                i += 1;
            }
            i = (i + 1).min(bytes.len());
        } else {
            while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                i += 1;
            }
        }
        out.push(&line[start..i]);
    }
    out
}

/// A CIF loop: its tags, its rows of values, the line of each row.
type Loop = (Vec<String>, Vec<Vec<String>>, Vec<usize>);

/// Read the first data block of a P 1 CIF (what sacsim, ASE, pymatgen
/// and VESTA write for a P 1 cell): the six `_cell_*` items, the
/// `_atom_site_` loop (type symbol or label, fractional x, y, z). The
/// cell is rebuilt with a along x and b in the xy plane, as CIF readers
/// do. Structures with symmetry operations other than the identity are
/// refused (expand them to P 1 first), as are partial occupancies.
pub fn parse(text: &str, path: &std::path::Path) -> crate::error::Result<Structure> {
    let source = super::text::Lines::new(text, path);
    let err = |n: usize, expected: &str, found: &str| {
        source.error(n, expected, &super::text::quote(found))
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut items: HashMap<String, (usize, String)> = HashMap::new();
    let mut loops: Vec<Loop> = Vec::new();
    let mut title = String::from("cif");
    let mut n = 0;
    while n < lines.len() {
        let line = lines[n].split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            n += 1;
            continue;
        }
        if let Some(name) = line.strip_prefix("data_") {
            if !loops.is_empty() || !items.is_empty() {
                break; // the first block only
            }
            title = name.to_string();
            n += 1;
        } else if line.eq_ignore_ascii_case("loop_") {
            n += 1;
            let mut tags = Vec::new();
            while n < lines.len() && lines[n].trim().starts_with('_') {
                tags.push(lines[n].trim().to_ascii_lowercase());
                n += 1;
            }
            let (mut rows, mut at) = (Vec::new(), Vec::new());
            let mut pending: Vec<String> = Vec::new();
            while n < lines.len() {
                let l = lines[n].split('#').next().unwrap_or("").trim();
                if l.starts_with('_') || l.eq_ignore_ascii_case("loop_") || l.starts_with("data_") {
                    break;
                }
                pending.extend(tokens(l).into_iter().map(|t| value(t).to_string()));
                if pending.len() >= tags.len() && !tags.is_empty() {
                    if pending.len() > tags.len() {
                        return Err(err(
                            n,
                            &format!("{} values per row of the loop", tags.len()),
                            l,
                        ));
                    }
                    rows.push(std::mem::take(&mut pending));
                    at.push(n);
                }
                n += 1;
            }
            loops.push((tags, rows, at));
        } else if line.starts_with('_') {
            let t = tokens(line);
            let v = t.get(1).map(|v| value(v).to_string()).unwrap_or_default();
            items.insert(t[0].to_ascii_lowercase(), (n, v));
            n += 1;
        } else {
            n += 1;
        }
    }
    let cell = |key: &str| -> crate::error::Result<f64> {
        let (line, v) = items.get(key).ok_or_else(|| {
            err(
                lines.len().saturating_sub(1),
                &format!("a {key} item"),
                "none",
            )
        })?;
        super::text::parse_float(v).ok_or_else(|| err(*line, &format!("a number for {key}"), v))
    };
    let [a, b, c] = [
        cell("_cell_length_a")?,
        cell("_cell_length_b")?,
        cell("_cell_length_c")?,
    ];
    let [al, be, ga] = [
        cell("_cell_angle_alpha")?.to_radians(),
        cell("_cell_angle_beta")?.to_radians(),
        cell("_cell_angle_gamma")?.to_radians(),
    ];
    // a along x, b in the xy plane (the usual CIF convention).
    let cx = c * be.cos();
    let cy = c * (al.cos() - be.cos() * ga.cos()) / ga.sin();
    let cz = (c * c - cx * cx - cy * cy).max(0.0).sqrt();
    let lattice = crate::structure::Lattice::new([
        [a, 0.0, 0.0],
        [b * ga.cos(), b * ga.sin(), 0.0],
        [cx, cy, cz],
    ])?;
    for (tags, rows, at) in &loops {
        let sym = tags.iter().position(|t| {
            t == "_symmetry_equiv_pos_as_xyz" || t == "_space_group_symop_operation_xyz"
        });
        if let Some(k) = sym {
            for (row, &line) in rows.iter().zip(at) {
                let op: String = row[k].chars().filter(|c| !c.is_whitespace()).collect();
                if !op.eq_ignore_ascii_case("x,y,z") {
                    return Err(err(
                        line,
                        "only the identity 'x, y, z' (sacsim reads P 1 CIF; expand the symmetry first)",
                        &row[k],
                    ));
                }
            }
        }
    }
    let (tags, rows, at) = loops
        .iter()
        .find(|(t, _, _)| t.iter().any(|t| t == "_atom_site_fract_x"))
        .ok_or_else(|| {
            err(
                lines.len().saturating_sub(1),
                "an _atom_site_ loop with fractional coordinates",
                "none",
            )
        })?;
    let col = |name: &str| tags.iter().position(|t| t == name);
    let (fx, fy, fz) = (
        col("_atom_site_fract_x"),
        col("_atom_site_fract_y"),
        col("_atom_site_fract_z"),
    );
    let (Some(fx), Some(fy), Some(fz)) = (fx, fy, fz) else {
        return Err(err(
            at.first().copied().unwrap_or(0),
            "_atom_site_fract_x, _y and _z",
            "a partial set",
        ));
    };
    let symbol = col("_atom_site_type_symbol").or(col("_atom_site_label"));
    let occupancy = col("_atom_site_occupancy");
    let mut atoms = Vec::with_capacity(rows.len());
    for (row, &line) in rows.iter().zip(at) {
        let raw = symbol.map(|k| row[k].as_str()).unwrap_or("");
        // A label like Co1 or a type like Co2+: the leading letters.
        let letters: String = raw
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        let element =
            Element::from_symbol(&letters).map_err(|_| err(line, "an element symbol", raw))?;
        if let Some(k) = occupancy
            && let Some(o) = super::text::parse_float(&row[k])
            && (o - 1.0).abs() > 1e-6
        {
            return Err(err(
                line,
                "occupancy 1 (sacsim models have no partial sites)",
                &row[k],
            ));
        }
        let f: Vec<f64> = [fx, fy, fz]
            .iter()
            .map(|&k| {
                super::text::parse_float(&row[k])
                    .ok_or_else(|| err(line, "a fractional coordinate", &row[k]))
            })
            .collect::<crate::error::Result<_>>()?;
        let position = lattice.to_cartesian(&nalgebra::Vector3::new(f[0], f[1], f[2]));
        atoms.push(crate::structure::Atom::new(element, position));
    }
    Ok(Structure {
        title,
        lattice,
        pbc: [true; 3],
        atoms,
    })
}
