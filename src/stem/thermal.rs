//! Thermal vibration: the rms displacement per axis (Å) of each element,
//! one value for all with optional per-element values (`--thermal
//! 0.08,Co=0.06,Mn=0.06`), like abTEM's `FrozenPhonons(sigmas={"C": ...})`.
//!
//! The incoherent model smears each atom by a Gaussian of its element's
//! rms; multislice displaces each atom of a frozen-phonon configuration by
//! N(0, u²) per axis with its element's u.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::structure::Element;

/// Default thermal rms displacement per axis (Å).
pub const DEFAULT_THERMAL_RMS: f64 = 0.08;

/// Largest accepted rms displacement (Å, exclusive).
const MAX_RMS: f64 = 1.0;

/// Rms displacement per axis (Å): `default` for every element not in
/// `per_element`.
#[derive(Debug, Clone, PartialEq)]
pub struct ThermalRms {
    /// Rms of every element without its own value (Å).
    pub default: f64,
    /// Per-element rms (Å).
    pub per_element: BTreeMap<Element, f64>,
}

impl Default for ThermalRms {
    fn default() -> Self {
        ThermalRms::uniform(DEFAULT_THERMAL_RMS)
    }
}

impl ThermalRms {
    /// The same rms `u` (Å) for every element.
    pub fn uniform(u: f64) -> ThermalRms {
        ThermalRms {
            default: u,
            per_element: BTreeMap::new(),
        }
    }

    /// The rms (Å) of `element`.
    pub fn of(&self, element: Element) -> f64 {
        self.per_element
            .get(&element)
            .copied()
            .unwrap_or(self.default)
    }

    /// True when every element is static (u = 0).
    pub fn is_static(&self) -> bool {
        self.default == 0.0 && self.per_element.values().all(|&u| u == 0.0)
    }

    /// Refuse an rms outside 0-1 Å.
    pub fn validate(&self) -> Result<()> {
        let values = std::iter::once((None, self.default))
            .chain(self.per_element.iter().map(|(e, u)| (Some(*e), *u)));
        for (element, u) in values {
            if !(0.0..MAX_RMS).contains(&u) {
                let what = element.map_or(String::new(), |e| format!("{e}="));
                return Err(Error::invalid(
                    "--thermal",
                    format!(
                        "{what}{} Å; give rms displacements in 0-1 Å, e.g. 0.08 or 0.08,Co=0.06 (default {DEFAULT_THERMAL_RMS})",
                        crate::values::short(u)
                    ),
                ));
            }
        }
        Ok(())
    }
}

impl FromStr for ThermalRms {
    type Err = String;

    /// `U` or `U,El=U,...` or `El=U,...` (elements not listed: the plain
    /// value, else the default 0.08 Å).
    fn from_str(s: &str) -> std::result::Result<ThermalRms, String> {
        let number = |v: &str| {
            v.trim()
                .parse::<f64>()
                .map_err(|_| format!("{v:?} is not a number; give Å, e.g. 0.08 or 0.08,Co=0.06"))
        };
        let mut out = ThermalRms::default();
        let mut plain = None;
        for part in s.split(',') {
            match part.split_once('=') {
                Some((el, v)) => {
                    let e: Element = el.trim().parse().map_err(|e| format!("{e}"))?;
                    if out.per_element.insert(e, number(v)?).is_some() {
                        return Err(format!("{e} is given twice"));
                    }
                }
                None if plain.is_none() => plain = Some(number(part)?),
                None => return Err("give one plain value (the elements not listed)".into()),
            }
        }
        if let Some(u) = plain {
            out.default = u;
        }
        out.validate().map_err(|e| e.to_string())?;
        Ok(out)
    }
}

impl fmt::Display for ThermalRms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.default)?;
        for (e, u) in &self.per_element {
            write!(f, ",{e}={u}")?;
        }
        Ok(())
    }
}

/// A number when uniform (as in earlier files), else a table
/// `{default = 0.08, Co = 0.06}`.
impl Serialize for ThermalRms {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        if self.per_element.is_empty() {
            return s.serialize_f64(self.default);
        }
        let mut table: BTreeMap<String, f64> = BTreeMap::new();
        table.insert("default".into(), self.default);
        for (e, u) in &self.per_element {
            table.insert(e.symbol().to_string(), *u);
        }
        table.serialize(s)
    }
}

/// A number, a string (`"0.08,Co=0.06"`) or a table
/// (`{default = 0.08, Co = 0.06}`).
impl<'de> Deserialize<'de> for ThermalRms {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            Number(f64),
            Text(String),
            Table(BTreeMap<String, f64>),
        }
        use serde::de::Error as _;
        let out = match Form::deserialize(d)? {
            Form::Number(u) => ThermalRms::uniform(u),
            Form::Text(s) => s.parse().map_err(D::Error::custom)?,
            Form::Table(table) => {
                let mut out = ThermalRms::default();
                for (key, u) in table {
                    if key == "default" {
                        out.default = u;
                    } else {
                        let e: Element = key.parse().map_err(D::Error::custom)?;
                        out.per_element.insert(e, u);
                    }
                }
                out
            }
        };
        out.validate().map_err(D::Error::custom)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_per_element_values() {
        let t: ThermalRms = "0.1,Co=0.06, Mn = 0.05".parse().unwrap();
        assert_eq!(t.of(Element::C), 0.1);
        assert_eq!(t.of(Element::CO), 0.06);
        assert_eq!(t.of(Element::MN), 0.05);
        assert_eq!(t.to_string().parse::<ThermalRms>().unwrap(), t);
        let only: ThermalRms = "Co=0.06".parse().unwrap();
        assert_eq!(only.of(Element::N), DEFAULT_THERMAL_RMS);
        assert!(!only.is_static());
        assert!("0,Co=0".parse::<ThermalRms>().unwrap().is_static());
    }

    #[test]
    fn refuses_bad_values_with_the_rule() {
        for bad in ["x", "0.1,0.2", "Co=0.1,Co=0.2", "Qq=0.1", "1.5", "Co=-0.1"] {
            let e = bad.parse::<ThermalRms>().unwrap_err();
            assert!(!e.is_empty(), "{bad}");
        }
        assert!("Co=-0.1".parse::<ThermalRms>().unwrap_err().contains("Co="));
    }

    #[test]
    fn serde_keeps_plain_numbers_and_tables() {
        let plain: ThermalRms = serde_json::from_str("0.07").unwrap();
        assert_eq!(serde_json::to_string(&plain).unwrap(), "0.07");
        let t: ThermalRms = toml::from_str::<BTreeMap<String, ThermalRms>>(
            "a = { default = 0.09, Co = 0.05 }\nb = \"0.09,Co=0.05\"",
        )
        .map(|m| {
            assert_eq!(m["a"], m["b"]);
            m["a"].clone()
        })
        .unwrap();
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, r#"{"Co":0.05,"default":0.09}"#);
        assert_eq!(serde_json::from_str::<ThermalRms>(&json).unwrap(), t);
        assert!(serde_json::from_str::<ThermalRms>("2.0").is_err());
    }
}
