//! VASP POSCAR / CONTCAR.
//!
//! Written as every reader accepts it (VASP, ASE, pymatgen): VASP 5 species
//! line; species grouped by ascending atomic number (the order to
//! concatenate the POTCAR in; stable within a species); scale 1.0; Direct
//! coordinates with 12 decimals; `Selective dynamics` with uppercase `T`/`F`
//! only when some coordinate is fixed; no blank line inside the position
//! block; final newline. Twelve decimals keep 1e-11 Å precision while making
//! read -> write byte-stable.
//!
//! Read: VASP 4 (species taken from the comment line, as ASE does) and 5
//! (POTCAR suffixes such as `Co_pv` or `Co/1a2b` are stripped), one scale
//! factor (negative: the cell volume in Å³) or three (per axis), Direct or
//! Cartesian coordinates, selective dynamics (`T`/`F`, either case);
//! anything after the positions (velocities, predictor) is ignored. Periodic
//! along all three axes.

use std::fmt::Write;
use std::path::Path;

use nalgebra::Vector3;

use super::text::{Lines, parse_float, quote};
use crate::error::{Error, Result};
use crate::structure::lattice::MAX_LENGTH;
use crate::structure::{Atom, Element, Lattice, Structure};

/// The structure as POSCAR text (species grouped by ascending Z).
pub fn to_string(structure: &Structure) -> String {
    let mut order: Vec<usize> = (0..structure.len()).collect();
    order.sort_by_key(|&i| structure.atoms[i].element);
    let species = structure.species_counts();
    let mut out = String::with_capacity(80 * (structure.len() + 10));
    let title = structure.title.lines().next().unwrap_or("").trim();
    out.push_str(if title.is_empty() { "sacsim" } else { title });
    out.push_str("\n1.0\n");
    for v in structure.lattice.to_array() {
        let _ = writeln!(out, " {:21.12} {:21.12} {:21.12}", v[0], v[1], v[2]);
    }
    for (e, _) in &species {
        let _ = write!(out, " {:>5}", e.symbol());
    }
    out.push('\n');
    for (_, n) in &species {
        let _ = write!(out, " {n:>5}");
    }
    out.push('\n');
    let selective = structure.has_constraints();
    if selective {
        out.push_str("Selective dynamics\n");
    }
    out.push_str("Direct\n");
    let flag = |b: bool| if b { 'T' } else { 'F' };
    for i in order {
        let f = structure.fractional(i);
        let _ = write!(
            out,
            " {:17.12} {:17.12} {:17.12}",
            clean(f.x),
            clean(f.y),
            clean(f.z)
        );
        if selective {
            let fr = structure.atoms[i].free;
            let _ = write!(
                out,
                "   {}   {}   {}",
                flag(fr[0]),
                flag(fr[1]),
                flag(fr[2])
            );
        }
        out.push('\n');
    }
    out
}

/// Avoid printing `-0.000000000000`.
fn clean(x: f64) -> f64 {
    if x.abs() < 5e-13 { 0.0 } else { x }
}

/// Strip a POTCAR suffix: `Co_pv` -> `Co`, `Mn/a1b2` -> `Mn`.
fn species_symbol(token: &str) -> &str {
    token.split(['_', '/']).next().unwrap_or(token)
}

/// Parse POSCAR text; `path` names the file in errors.
pub fn parse(text: &str, path: &Path) -> Result<Structure> {
    let lines = Lines::new(text, path);
    let title = lines.get(0, "a comment line")?.trim().to_string();

    // Scale: one factor (negative = volume) or three.
    let scale_line = lines.get(1, "the scale factor")?;
    let scales: Vec<f64> = scale_line
        .split_whitespace()
        .map_while(parse_float)
        .collect();
    let expected_scale = "a scale factor (one number, or three positive numbers)";
    let scales = match scales.len() {
        1 => vec![scales[0]],
        3 => scales,
        _ => return Err(lines.error(1, expected_scale, &quote(scale_line))),
    };
    if scales.contains(&0.0) || (scales.len() == 3 && scales.iter().any(|&s| s < 0.0)) {
        return Err(lines.error(1, expected_scale, &quote(scale_line)));
    }

    let mut vectors = [[0.0; 3]; 3];
    for (k, row) in vectors.iter_mut().enumerate() {
        let v = lines.floats(
            2 + k,
            3,
            &format!("lattice vector {} (three numbers)", k + 1),
        )?;
        row.copy_from_slice(&v);
    }
    let raw = Lattice::new(vectors)
        .map_err(|e| lines.error(4, "three independent lattice vectors", &e.to_string()))?;
    let factors = if scales.len() == 3 {
        [scales[0], scales[1], scales[2]]
    } else if scales[0] < 0.0 {
        // Negative scale: the target cell volume in Å³.
        let f = (-scales[0] / raw.volume().abs()).cbrt();
        [f; 3]
    } else {
        [scales[0]; 3]
    };
    let lattice = raw
        .scaled(factors)
        .map_err(|e| lines.error(1, expected_scale, &format!("{} ({e})", quote(scale_line))))?;

    // Line 6: species (VASP 5) or counts (VASP 4).
    let line6 = lines.get(5, "the species line or the atom counts")?;
    let tokens: Vec<&str> = line6.split_whitespace().collect();
    let is_counts = !tokens.is_empty() && tokens.iter().all(|t| t.parse::<usize>().is_ok());
    let (symbols, counts_line): (Vec<String>, usize) = if is_counts {
        let n = tokens.len();
        let from_title: Vec<String> = title
            .split_whitespace()
            .take(n)
            .map(|s| species_symbol(s).to_string())
            .collect();
        if from_title.len() != n || from_title.iter().any(|s| Element::from_symbol(s).is_err()) {
            return Err(lines.error(
                0,
                &format!("{n} element symbols (a VASP 4 POSCAR has no species line, so the comment line must name the species)"),
                &quote(&title),
            ));
        }
        (from_title, 5)
    } else {
        (
            tokens
                .iter()
                .map(|t| species_symbol(t).to_string())
                .collect(),
            6,
        )
    };
    let mut species = Vec::with_capacity(symbols.len());
    for s in &symbols {
        let line = if counts_line == 5 { 0 } else { 5 };
        species.push(Element::from_symbol(s).map_err(|_| {
            lines.error(
                line,
                &format!("element symbols (valid: {})", Element::valid_symbols()),
                &format!("'{s}'"),
            )
        })?);
    }
    let count_text = lines.get(counts_line, "the atom counts")?;
    let counts: Vec<usize> = count_text
        .split_whitespace()
        .map_while(|t| t.parse().ok())
        .collect();
    if counts.len() != species.len() || counts.iter().all(|&c| c == 0) {
        return Err(lines.error(
            counts_line,
            &format!(
                "{} atom counts, one per species ({})",
                species.len(),
                symbols.join(" ")
            ),
            &quote(count_text),
        ));
    }

    let mut n = counts_line + 1;
    let mut mode = lines.get(n, "'Direct' or 'Cartesian'")?.trim();
    let selective = mode.starts_with(['s', 'S']);
    if selective {
        n += 1;
        mode = lines.get(n, "'Direct' or 'Cartesian'")?.trim();
    }
    let cartesian = match mode.chars().next() {
        Some('c' | 'C' | 'k' | 'K') => true,
        Some('d' | 'D') => false,
        _ => return Err(lines.error(n, "'Direct' or 'Cartesian'", &quote(mode))),
    };
    n += 1;

    let total = counts
        .iter()
        .try_fold(0usize, |acc, &c| acc.checked_add(c))
        .filter(|&t| t <= lines.len())
        .ok_or_else(|| {
            lines.error(
                counts_line,
                "atom counts that the file holds positions for",
                &quote(count_text),
            )
        })?;
    let elements = species
        .iter()
        .zip(&counts)
        .flat_map(|(&e, &c)| std::iter::repeat_n(e, c));
    let mut atoms = Vec::with_capacity(total);
    for (k, element) in elements.enumerate() {
        let line_no = n + k;
        let what = if selective {
            format!(
                "position {} of {total}: three numbers and three T/F flags",
                k + 1
            )
        } else {
            format!("position {} of {total}: three numbers", k + 1)
        };
        let line = lines.get(line_no, &what)?;
        let t: Vec<&str> = line.split_whitespace().collect();
        let xyz: Vec<f64> = t.iter().take(3).map_while(|s| parse_float(s)).collect();
        if xyz.len() != 3 {
            return Err(lines.error(line_no, &what, &quote(line)));
        }
        let v = Vector3::new(xyz[0], xyz[1], xyz[2]);
        let position = if cartesian {
            Vector3::new(v.x * factors[0], v.y * factors[1], v.z * factors[2])
        } else {
            lattice.to_cartesian(&v)
        };
        if !position
            .iter()
            .all(|x| x.is_finite() && x.abs() <= MAX_LENGTH)
        {
            return Err(lines.error(
                line_no,
                &format!(
                    "{what}, within {} Å of the origin",
                    crate::values::short(MAX_LENGTH)
                ),
                &quote(line),
            ));
        }
        let mut atom = Atom::new(element, position);
        if selective {
            for d in 0..3 {
                atom.free[d] = match t.get(3 + d).map(|s| s.to_ascii_uppercase()) {
                    Some(f) if f == "T" => true,
                    Some(f) if f == "F" => false,
                    _ => return Err(lines.error(line_no, &what, &quote(line))),
                };
            }
        }
        atoms.push(atom);
    }
    if total == 0 || lines.len() < n {
        return Err(Error::invalid(
            "POSCAR",
            format!("{}: no atoms", path.display()),
        ));
    }
    Ok(Structure {
        title,
        lattice,
        pbc: [true; 3],
        atoms,
    })
}
