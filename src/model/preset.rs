//! Named models of the source paper's samples (Pei et al., J. Mater. Chem. A
//! 2024, 12, 13694).

use crate::error::{Error, Result};
use crate::structure::Element;

use super::motif::Motif;

/// A named model: a motif and its metals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    /// Command-line name, e.g. `l-co1mn1-nc`.
    pub name: &'static str,
    /// The site motif.
    pub motif: Motif,
    /// Metals, in placement order.
    pub metals: &'static [Element],
    /// One line on what the sample is.
    pub description: &'static str,
}

/// The paper's six models.
pub const PRESETS: [Preset; 6] = [
    Preset {
        name: "co1-nc",
        motif: Motif::MN4,
        metals: &[Element::CO],
        description: "single Co in a pyridinic N4 divacancy (CoN4)",
    },
    Preset {
        name: "mn1-nc",
        motif: Motif::MN4,
        metals: &[Element::MN],
        description: "single Mn in a pyridinic N4 divacancy (MnN4)",
    },
    Preset {
        name: "co1mn1-nc",
        motif: Motif::M2N6Bridged,
        metals: &[Element::CO, Element::MN],
        description: "900 °C Co-Mn pair, each metal N4 (N-bridged CoMnN6)",
    },
    Preset {
        name: "l-co1mn1-nc",
        motif: Motif::M2N6Low,
        metals: &[Element::CO, Element::MN],
        description: "1000 °C low-coordinated CoN3-MnN3 pair with a Co-Mn bond",
    },
    Preset {
        name: "l-co2-nc",
        motif: Motif::M2N6Low,
        metals: &[Element::CO, Element::CO],
        description: "homonuclear CoN3-CoN3 control model",
    },
    Preset {
        name: "l-mn2-nc",
        motif: Motif::M2N6Low,
        metals: &[Element::MN, Element::MN],
        description: "homonuclear MnN3-MnN3 control model",
    },
];

impl std::fmt::Display for Preset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

crate::values::named_value!(Preset);
crate::values::serde_as_text!(Preset);

impl Preset {
    /// Look a preset up by name (case-insensitive).
    pub fn from_name(name: &str) -> Result<Preset> {
        let key = name.trim().to_ascii_lowercase();
        PRESETS
            .into_iter()
            .find(|p| p.name == key)
            .ok_or_else(|| Error::UnknownName {
                kind: "preset",
                name: name.to_string(),
                valid: PRESETS.map(|p| p.name).join(", "),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_hold_as_many_metals_as_their_motif() {
        for p in PRESETS {
            assert_eq!(p.metals.len(), p.motif.metal_count(), "{}", p.name);
            assert_eq!(Preset::from_name(&p.name.to_uppercase()).unwrap(), p);
        }
        let e = Preset::from_name("co-nc").unwrap_err().to_string();
        assert!(e.contains("valid presets: co1-nc, mn1-nc"), "{e}");
    }
}
