//! Extended XYZ, as ASE writes and reads it.
//!
//! Written exactly like `ase.io.write(..., format="extxyz")` for plain
//! atoms: the count line, then
//! `Lattice="ax ay az bx by bz cx cy cz" Properties=species:S:1:pos:R:3 pbc="T T F"`
//! (plus `:tags:I:1` when atoms carry site tags, which ASE reads back as
//! `atoms.get_tags()`), then one line per atom: `%-2s` symbol and `%16.8f`
//! Cartesian coordinates in Å.
//!
//! Read: the first frame ([`parse`]) or every frame ([`parse_frames`], a
//! trajectory) of an extended XYZ file (key=value comment line
//! with quoted or bare values; `Lattice`, `pbc`, `Properties` with the
//! `species`, `pos`, `tags` and `move_mask` (L:1 or L:3) columns; others,
//! such as `initial_magmoms`, skipped), or of a
//! plain XYZ file (no cell, not periodic). Species may be symbols or atomic
//! numbers.

use std::fmt::Write;
use std::path::Path;

use nalgebra::Vector3;
use rayon::prelude::*;

use super::text::{Lines, parse_float, quote};
use crate::error::Result;
use crate::structure::lattice::MAX_LENGTH;
use crate::structure::{Atom, Element, Lattice, Structure};

/// Atoms per formatting chunk when writing in parallel.
const CHUNK: usize = 16_384;

/// Python's `repr` of a float, as ASE writes lattice numbers (`14.76`,
/// `0.0`, `20.0`).
fn py_repr(x: f64) -> String {
    let x = if x == 0.0 { 0.0 } else { x };
    format!("{x:?}")
}

/// The structure as extended XYZ text.
pub fn to_string(structure: &Structure) -> String {
    to_string_with(structure, None)
}

/// The structure as extended XYZ text, with each atom's initial magnetic
/// moment (µB) when `magmoms` is given, in the columns and order ASE
/// writes for an `Atoms` with tags, constraints and moments: `move_mask`
/// (`L:1`, T = free, when some atom is fixed in all directions; `L:3`
/// when some atom is fixed along some axes only; ASE reads them back as
/// `FixAtoms` / `FixCartesian`), `tags`, `initial_magmoms`.
pub fn to_string_with(structure: &Structure, magmoms: Option<&super::incar::Magmoms>) -> String {
    let tags = structure.atoms.iter().any(|a| a.site != 0);
    let partly = structure
        .atoms
        .iter()
        .any(|a| a.free.iter().any(|&f| f != a.free[0]));
    let mask_columns = if partly {
        3
    } else if structure.atoms.iter().any(|a| !a.free[0]) {
        1
    } else {
        0
    };
    let mut out = String::new();
    let _ = writeln!(out, "{}", structure.len());
    let lattice: Vec<String> = structure
        .lattice
        .to_array()
        .iter()
        .flatten()
        .map(|&x| py_repr(x))
        .collect();
    let pbc: Vec<&str> = structure
        .pbc
        .iter()
        .map(|&p| if p { "T" } else { "F" })
        .collect();
    let _ = writeln!(
        out,
        "Lattice=\"{}\" Properties=species:S:1:pos:R:3{}{}{} pbc=\"{}\"",
        lattice.join(" "),
        match mask_columns {
            0 => String::new(),
            n => format!(":move_mask:L:{n}"),
        },
        if tags { ":tags:I:1" } else { "" },
        if magmoms.is_some() {
            ":initial_magmoms:R:1"
        } else {
            ""
        },
        pbc.join(" ")
    );
    // Formatting floats dominates for large sheets: do it in parallel
    // chunks, joined in order (same bytes on any thread count).
    let chunks: Vec<String> = structure
        .atoms
        .par_chunks(CHUNK)
        .map(|atoms| {
            let mut s = String::with_capacity(atoms.len() * 64);
            for a in atoms {
                let p = a.position;
                let _ = write!(
                    s,
                    "{:<2} {:16.8} {:16.8} {:16.8}",
                    a.element.symbol(),
                    p.x,
                    p.y,
                    p.z
                );
                for &free in &a.free[..mask_columns] {
                    let _ = write!(s, "  {}", if free { 'T' } else { 'F' });
                }
                if tags {
                    let _ = write!(s, " {:8}", a.site);
                }
                if let Some(m) = magmoms {
                    let _ = write!(s, " {:16.8}", m.moment(a.element));
                }
                s.push('\n');
            }
            s
        })
        .collect();
    out.reserve(chunks.iter().map(String::len).sum());
    chunks.iter().for_each(|c| out.push_str(c));
    out
}

/// Split an extended-XYZ comment line into key=value pairs (values may be
/// double-quoted; a key alone means `T`). None if the line is not of that
/// form (a plain XYZ comment).
fn key_values(line: &str) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut chars = line.trim().chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            if c == '"' {
                return None;
            }
            key.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek() != Some(&'=') {
            out.push((key, "T".to_string()));
            continue;
        }
        chars.next();
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            let mut closed = false;
            for c in chars.by_ref() {
                if c == '"' {
                    closed = true;
                    break;
                }
                value.push(c);
            }
            if !closed {
                return None;
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        out.push((key, value));
    }
    Some(out)
}

/// One column group of the `Properties` specification.
struct Column {
    name: String,
    kind: char,
    width: usize,
}

fn parse_properties(spec: &str) -> Option<Vec<Column>> {
    let parts: Vec<&str> = spec.split(':').collect();
    if !parts.len().is_multiple_of(3) {
        return None;
    }
    parts
        .chunks(3)
        .map(|c| {
            let kind = c[1].chars().next()?.to_ascii_uppercase();
            let width: usize = c[2].parse().ok()?;
            ("SRIL".contains(kind) && width > 0).then(|| Column {
                name: c[0].to_string(),
                kind,
                width,
            })
        })
        .collect()
}

/// Parse (extended) XYZ text, first frame; `path` names the file in errors.
pub fn parse(text: &str, path: &Path) -> Result<Structure> {
    parse_frame(&Lines::new(text, path)).map(|(s, _)| s)
}

/// Every frame of (extended) XYZ text (a trajectory as ASE writes it),
/// in order; blank lines after the last frame are allowed.
pub fn parse_frames(text: &str, path: &Path) -> Result<Vec<Structure>> {
    let all = Lines::new(text, path);
    let mut frames = Vec::new();
    let mut at = 0;
    while (at..all.len()).any(|n| all.get(n, "").is_ok_and(|l| !l.trim().is_empty())) {
        let (frame, used) = parse_frame(&all.from(at))?;
        frames.push(frame);
        at += used;
    }
    Ok(frames)
}

/// One frame from the first of `lines`, and the number of lines it spans.
fn parse_frame(lines: &Lines) -> Result<(Structure, usize)> {
    let first = lines.get(0, "the number of atoms")?;
    let count: usize = first
        .trim()
        .parse()
        .map_err(|_| lines.error(0, "the number of atoms (a whole number)", &quote(first)))?;
    let comment = lines.get(1, "the comment line")?;
    // A comment without '=' is a plain XYZ title, not key=value pairs.
    let pairs = if comment.contains('=') {
        key_values(comment).ok_or_else(|| {
            lines.error(
                1,
                "key=value pairs with every quote closed (e.g. Lattice=\"...\" pbc=\"T T F\")",
                &quote(comment),
            )
        })?
    } else {
        Vec::new()
    };
    let get = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    };

    let lattice = match get("Lattice") {
        Some(v) => {
            let nums: Vec<f64> = v.split_whitespace().map_while(parse_float).collect();
            let expected = "Lattice=\"ax ay az bx by bz cx cy cz\" (nine numbers)";
            if nums.len() != 9 || v.split_whitespace().count() != 9 {
                return Err(lines.error(1, expected, &format!("Lattice=\"{v}\"")));
            }
            Some(
                Lattice::new([
                    [nums[0], nums[1], nums[2]],
                    [nums[3], nums[4], nums[5]],
                    [nums[6], nums[7], nums[8]],
                ])
                .map_err(|e| lines.error(1, expected, &e.to_string()))?,
            )
        }
        None => None,
    };
    let pbc = match get("pbc") {
        Some(v) => {
            let flags: Vec<Option<bool>> = v
                .split_whitespace()
                .map(|t| match t.to_ascii_uppercase().as_str() {
                    "T" | "TRUE" | "1" => Some(true),
                    "F" | "FALSE" | "0" => Some(false),
                    _ => None,
                })
                .collect();
            if flags.len() != 3 || flags.iter().any(Option::is_none) {
                return Err(lines.error(
                    1,
                    "pbc=\"T T F\" (three T/F flags)",
                    &format!("pbc=\"{v}\""),
                ));
            }
            [flags[0].unwrap(), flags[1].unwrap(), flags[2].unwrap()]
        }
        None => [lattice.is_some(); 3],
    };
    if lattice.is_none() && pbc.iter().any(|&p| p) {
        return Err(lines.error(
            1,
            "a Lattice=\"...\" for a periodic (pbc T) structure",
            &quote(comment),
        ));
    }
    let columns = match get("Properties") {
        Some(spec) => parse_properties(spec).ok_or_else(|| {
            lines.error(
                1,
                "Properties=name:type:width:... (types S, R, I, L)",
                &format!("Properties={spec}"),
            )
        })?,
        None => vec![
            Column {
                name: "species".into(),
                kind: 'S',
                width: 1,
            },
            Column {
                name: "pos".into(),
                kind: 'R',
                width: 3,
            },
        ],
    };
    let offset_of = |name: &str| {
        let mut offset = 0;
        for c in &columns {
            if c.name == name {
                return Some((offset, c));
            }
            offset += c.width;
        }
        None
    };
    let (species_at, _) = offset_of("species").ok_or_else(|| {
        lines.error(
            1,
            "a species column in Properties",
            &format!("Properties={}", get("Properties").unwrap_or("")),
        )
    })?;
    let (pos_at, pos_col) = offset_of("pos").ok_or_else(|| {
        lines.error(
            1,
            "a pos:R:3 column in Properties",
            &format!("Properties={}", get("Properties").unwrap_or("")),
        )
    })?;
    if pos_col.width != 3 || pos_col.kind != 'R' {
        return Err(lines.error(
            1,
            "pos:R:3 in Properties",
            &format!("Properties={}", get("Properties").unwrap_or("")),
        ));
    }
    let tags_at = offset_of("tags")
        .filter(|(_, c)| c.kind == 'I' && c.width == 1)
        .map(|(o, _)| o);
    // move_mask: L:3 per axis, or L:1 for all three (ASE's FixAtoms).
    let mask_at = offset_of("move_mask")
        .filter(|(_, c)| c.kind == 'L' && (c.width == 3 || c.width == 1))
        .map(|(o, c)| (o, c.width));
    let width: usize = columns.iter().map(|c| c.width).sum();

    // The count comes from the file: never trust it for an allocation.
    let mut atoms = Vec::with_capacity(count.min(lines.len()));
    for k in 0..count {
        let n = 2 + k;
        let expected = format!(
            "atom {} of {count}: {width} columns (species x y z ...)",
            k + 1
        );
        let line = lines.get(n, &expected)?;
        let t: Vec<&str> = line.split_whitespace().collect();
        if t.len() != width {
            return Err(lines.error(n, &expected, &quote(line)));
        }
        let sym = t[species_at];
        let element = match sym.parse::<u32>() {
            Ok(z) => Element::from_z(z),
            Err(_) => Element::from_symbol(sym),
        }
        .map_err(|_| lines.error(n, "an element symbol or atomic number", &format!("'{sym}'")))?;
        let xyz: Vec<f64> = t[pos_at..pos_at + 3]
            .iter()
            .map_while(|s| parse_float(s))
            .collect();
        if xyz.len() != 3 || xyz.iter().any(|x| x.abs() > MAX_LENGTH) {
            return Err(lines.error(
                n,
                &format!(
                    "three Cartesian coordinates in Å, within {} Å",
                    crate::values::short(MAX_LENGTH)
                ),
                &quote(line),
            ));
        }
        let mut atom = Atom::new(element, Vector3::new(xyz[0], xyz[1], xyz[2]));
        if let Some(o) = tags_at {
            atom.site = t[o].parse().map_err(|_| {
                lines.error(n, "a non-negative integer tag", &format!("'{}'", t[o]))
            })?;
        }
        if let Some((o, w)) = mask_at {
            for d in 0..3 {
                atom.free[d] = match t[o + d.min(w - 1)].to_ascii_uppercase().as_str() {
                    "T" | "TRUE" => true,
                    "F" | "FALSE" => false,
                    other => {
                        return Err(lines.error(n, "T or F in move_mask", &format!("'{other}'")));
                    }
                };
            }
        }
        atoms.push(atom);
    }
    // The line after the atoms is the end, a blank line, or the atom
    // count of a next frame; anything else means the count is wrong.
    if let Ok(next) = lines.get(2 + count, "") {
        let t = next.trim();
        if !t.is_empty() && t.parse::<usize>().is_err() {
            return Err(lines.error(
                2 + count,
                &format!("the end of the {count} atoms (or the atom count of a next frame)"),
                &quote(next),
            ));
        }
    }
    // Without a cell, use a box around the atoms (not periodic).
    let lattice = match lattice {
        Some(l) => l,
        None => {
            let ext = |d: usize| {
                let (lo, hi) = atoms
                    .iter()
                    .fold((f64::MAX, f64::MIN), |(lo, hi), a: &Atom| {
                        (lo.min(a.position[d]), hi.max(a.position[d]))
                    });
                if atoms.is_empty() {
                    1.0
                } else {
                    (hi - lo).max(1.0)
                }
            };
            Lattice::new([[ext(0), 0.0, 0.0], [0.0, ext(1), 0.0], [0.0, 0.0, ext(2)]])?
        }
    };
    let title = get("title").map(str::to_string).unwrap_or_else(|| {
        if pairs.is_empty() {
            comment.trim().to_string()
        } else {
            String::new()
        }
    });
    Ok((
        Structure {
            title,
            lattice,
            pbc,
            atoms,
        },
        2 + count,
    ))
}
