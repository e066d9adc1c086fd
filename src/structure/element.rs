//! Chemical elements: symbol, atomic number Z, mass, covalent radius and the
//! default initial magnetic moment for spin-polarised DFT.
//!
//! The table (`elements.tsv`, compiled in) covers H to Rn (Z = 1-86): masses
//! and covalent radii as in ASE 3.29 (`ase.data`; radii from Cordero et al.,
//! Dalton Trans. 2008, 2832, low-spin values for Mn, Fe and Co), moments from
//! the Materials Project input sets (pymatgen `VASPIncarBase.yaml`).

use std::fmt;
use std::sync::OnceLock;

use crate::error::{Error, Result};

const TABLE_TSV: &str = include_str!("elements.tsv");

/// One row of the element table.
#[derive(Debug, Clone)]
struct ElementData {
    symbol: &'static str,
    name: &'static str,
    mass: f64,
    covalent_radius: f64,
    mp_magmom: f64,
}

fn table() -> &'static [ElementData] {
    static TABLE: OnceLock<Vec<ElementData>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut rows = Vec::new();
        for line in TABLE_TSV.lines().filter(|l| !l.starts_with('#')) {
            let cols: Vec<&'static str> = line.split('\t').collect();
            let z: usize = cols[0].parse().expect("elements.tsv: Z");
            assert_eq!(z, rows.len() + 1, "elements.tsv must list Z = 1, 2, 3, ...");
            rows.push(ElementData {
                symbol: cols[1],
                name: cols[2],
                mass: cols[3].parse().expect("elements.tsv: mass"),
                covalent_radius: cols[4].parse().expect("elements.tsv: radius"),
                mp_magmom: cols[5].parse().expect("elements.tsv: magmom"),
            });
        }
        rows
    })
}

/// Non-metals and metalloids; every other element counts as a metal site.
const NON_METALS: &[&str] = &[
    "H", "He", "B", "C", "N", "O", "F", "Ne", "Si", "P", "S", "Cl", "Ar", "Ge", "As", "Se", "Br",
    "Kr", "Sb", "Te", "I", "Xe", "At", "Rn",
];

/// A chemical element, identified by its atomic number.
///
/// Ordering is by atomic number, which is also the species order sacsim
/// writes POSCAR files in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Element(u8);

impl Element {
    /// Hydrogen (Z = 1).
    pub const H: Element = Element(1);
    /// Carbon (Z = 6).
    pub const C: Element = Element(6);
    /// Nitrogen (Z = 7).
    pub const N: Element = Element(7);
    /// Oxygen (Z = 8).
    pub const O: Element = Element(8);
    /// Manganese (Z = 25).
    pub const MN: Element = Element(25);
    /// Cobalt (Z = 27).
    pub const CO: Element = Element(27);

    /// The element with atomic number `z`.
    pub fn from_z(z: u32) -> Result<Element> {
        if z >= 1 && (z as usize) <= table().len() {
            Ok(Element(z as u8))
        } else {
            Err(Error::UnknownElement {
                symbol: format!("Z = {z}"),
                valid: format!("Z = 1..{}", table().len()),
            })
        }
    }

    /// The element with this symbol (case-insensitive: `co`, `Co`, `CO`).
    pub fn from_symbol(symbol: &str) -> Result<Element> {
        let s = symbol.trim();
        table()
            .iter()
            .position(|row| row.symbol.eq_ignore_ascii_case(s))
            .map(|i| Element(i as u8 + 1))
            .ok_or_else(|| Error::UnknownElement {
                symbol: s.to_string(),
                valid: Self::valid_symbols(),
            })
    }

    /// All symbols in the table, comma-separated (for error messages).
    pub fn valid_symbols() -> String {
        table()
            .iter()
            .map(|r| r.symbol)
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn data(self) -> &'static ElementData {
        &table()[self.0 as usize - 1]
    }

    /// Atomic number Z.
    pub fn z(self) -> u32 {
        self.0 as u32
    }
    /// Chemical symbol, e.g. `Co`.
    pub fn symbol(self) -> &'static str {
        self.data().symbol
    }
    /// English name, e.g. `Cobalt`.
    pub fn name(self) -> &'static str {
        self.data().name
    }
    /// Standard atomic mass in u.
    pub fn mass(self) -> f64 {
        self.data().mass
    }
    /// Covalent radius in Å.
    pub fn covalent_radius(self) -> f64 {
        self.data().covalent_radius
    }
    /// Materials Project default initial magnetic moment in µB
    /// (Mn, Fe, Ni, Cr, V, Mo, W, Ce 5; Eu 10; Co and all others 0.6).
    pub fn default_magmom(self) -> f64 {
        self.data().mp_magmom
    }
    /// True for metals (everything but non-metals, metalloids and noble gases).
    pub fn is_metal(self) -> bool {
        !NON_METALS.contains(&self.symbol())
    }
}

impl fmt::Display for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

impl std::str::FromStr for Element {
    type Err = Error;
    fn from_str(symbol: &str) -> Result<Element> {
        Element::from_symbol(symbol)
    }
}

impl serde::Serialize for Element {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.symbol())
    }
}

impl<'de> serde::Deserialize<'de> for Element {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Element::from_symbol(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_covers_h_to_kr_and_the_noble_metals() {
        for z in 1..=36 {
            assert!(Element::from_z(z).is_ok());
        }
        for (sym, z) in [
            ("Ru", 44),
            ("Rh", 45),
            ("Pd", 46),
            ("Ag", 47),
            ("Ir", 77),
            ("Pt", 78),
            ("Au", 79),
        ] {
            assert_eq!(Element::from_symbol(sym).unwrap().z(), z);
        }
    }

    #[test]
    fn known_values() {
        let co = Element::from_symbol("co").unwrap();
        assert_eq!(co, Element::CO);
        assert_eq!(co.symbol(), "Co");
        assert!((co.mass() - 58.9332).abs() < 1e-3);
        assert!((co.covalent_radius() - 1.26).abs() < 1e-9);
        assert_eq!(Element::MN.default_magmom(), 5.0);
        assert_eq!(Element::CO.default_magmom(), 0.6);
        assert!(Element::CO.is_metal() && !Element::N.is_metal());
    }

    #[test]
    fn unknown_symbol_lists_valid_ones() {
        let msg = Element::from_symbol("Xx").unwrap_err().to_string();
        assert!(msg.contains("unknown element 'Xx'") && msg.contains("Co, Ni"));
    }
}
