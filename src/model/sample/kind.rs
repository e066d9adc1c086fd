//! Site kinds for samples and the `--mix` grammar.
//!
//! A kind is a motif with its metals, named in one of three ways
//! (case-insensitive):
//!
//! | form | motif | examples |
//! |---|---|---|
//! | `<metals>-n4` | `mn4` | `co-n4`, `fe-n4` |
//! | `<metals>-n3c1` | `mn3c1` | `co-n3c1` |
//! | `<metals>-n3` | `mn3` (single vacancy) | `pt-n3` |
//! | `<metals>-n6` | `m2n6-bridged` | `comn-n6` |
//! | `l-<metals>` | `m2n6-low` (N3M-MN3) | `l-comn`, `l-co2`, `l-mn2` |
//! | `<metals>-n8` | `m1m2-n8` | `comn-n8` |
//! | a preset name | its motif and metals | `co1-nc`, `l-co1mn1-nc` |
//! | `<motif>/<M1>+<M2>` | any builder motif | `m2n6-low/Co+Mn`, `mn4/Ni` |
//!
//! `<metals>` are element symbols run together, each optionally followed by
//! a count: `comn` = Co, Mn; `co2` = Co, Co. A mix is a comma-separated list
//! of `kind:fraction` whose fractions sum to 1.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::{Motif, Preset};
use crate::structure::Element;

/// A motif with its metals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteKind {
    /// The name as given (lowercase), e.g. `l-comn`.
    pub name: String,
    /// The motif.
    #[serde(serialize_with = "motif_name")]
    pub motif: Motif,
    /// Metals in placement order.
    pub metals: Vec<Element>,
}

fn motif_name<S: serde::Serializer>(m: &Motif, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(m.name())
}

const FORMS: &str = "<metals>-n4, <metals>-n3c1, <metals>-n3, <metals>-n6, l-<metals>, <metals>-n8, a preset name, or <motif>/<M1>+<M2> (e.g. l-comn, co-n4, m2n6-low/Co+Mn)";

fn bad(name: &str, why: &str) -> Error {
    Error::invalid(
        "--mix",
        format!("site kind '{name}': {why}; valid forms: {FORMS}"),
    )
}

/// Parse run-together metal symbols with optional counts: `comn`, `co2`.
fn parse_metals(text: &str, whole: &str) -> Result<Vec<Element>> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut k = 0;
    while k < chars.len() {
        // Two-letter symbols first (Co before C), then one-letter.
        let two: String = chars[k..(k + 2).min(chars.len())].iter().collect();
        let (element, used) = match Element::from_symbol(&two) {
            Ok(e) if two.len() == 2 && e.is_metal() => (e, 2),
            _ => match Element::from_symbol(&chars[k].to_string()) {
                Ok(e) if e.is_metal() => (e, 1),
                _ => {
                    return Err(bad(
                        whole,
                        &format!("'{text}' is not a list of metal symbols"),
                    ));
                }
            },
        };
        k += used;
        let digits: String = chars[k..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        k += digits.len();
        let count: usize = if digits.is_empty() {
            1
        } else {
            digits.parse().map_err(|_| bad(whole, "bad count"))?
        };
        out.extend(std::iter::repeat_n(element, count));
    }
    if out.is_empty() {
        return Err(bad(whole, "no metals"));
    }
    Ok(out)
}

impl SiteKind {
    /// Parse a site-kind name (see the module docs for the forms).
    pub fn parse(name: &str) -> Result<SiteKind> {
        let key = name.trim().to_ascii_lowercase();
        let (motif, metals) = if let Ok(p) = Preset::from_name(&key) {
            (p.motif, p.metals.to_vec())
        } else if let Some((motif, metals)) = key.split_once('/') {
            let motif = Motif::from_name(motif)
                .map_err(|_| bad(name, &format!("unknown motif '{motif}'")))?;
            let metals = metals
                .split('+')
                .map(Element::from_symbol)
                .collect::<Result<Vec<_>>>()?;
            (motif, metals)
        } else if let Some(metals) = key.strip_prefix("l-") {
            (Motif::M2N6Low, parse_metals(metals, name)?)
        } else if let Some((metals, suffix)) = key.rsplit_once('-') {
            let motif = match suffix {
                "n4" => Motif::MN4,
                "n3c1" => Motif::MN3C1,
                "n3" => Motif::MN3,
                "n6" => Motif::M2N6Bridged,
                "n8" => Motif::M1M2N8,
                _ => return Err(bad(name, &format!("unknown suffix '-{suffix}'"))),
            };
            (motif, parse_metals(metals, name)?)
        } else {
            return Err(bad(name, "not a known form"));
        };
        if motif == Motif::Pristine {
            return Err(bad(name, "a site needs a metal motif"));
        }
        if metals.len() != motif.metal_count() {
            return Err(bad(
                name,
                &format!(
                    "motif {motif} holds {} metal(s), got {}",
                    motif.metal_count(),
                    metals.len()
                ),
            ));
        }
        if let Some(e) = metals.iter().find(|e| !e.is_metal()) {
            return Err(bad(name, &format!("{e} is not a metal")));
        }
        Ok(SiteKind {
            name: key,
            motif,
            metals,
        })
    }
}

/// A kind and the fraction of sites that are of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MixEntry {
    /// The site kind.
    pub kind: SiteKind,
    /// Fraction of all sites, 0-1.
    pub fraction: f64,
}

/// Parse `l-comn:0.67,co-n4:0.17,mn-n4:0.16`; fractions must sum to 1
/// (within 0.005).
pub fn parse_mix(text: &str) -> Result<Vec<MixEntry>> {
    let mut mix = Vec::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (name, fraction) = item.rsplit_once(':').ok_or_else(|| {
            Error::invalid(
                "--mix",
                format!("'{item}': expected KIND:FRACTION, e.g. l-comn:0.67"),
            )
        })?;
        let fraction: f64 = fraction
            .trim()
            .parse()
            .ok()
            .filter(|f: &f64| (0.0..=1.0).contains(f))
            .ok_or_else(|| {
                Error::invalid(
                    "--mix",
                    format!("'{item}': the fraction must be a number in 0-1"),
                )
            })?;
        mix.push(MixEntry {
            kind: SiteKind::parse(name)?,
            fraction,
        });
    }
    validate_mix(&mix)?;
    Ok(mix)
}

/// A parsed `--mix`: site kinds and their fractions, written back as
/// `kind:fraction,...` (the grammar of [`parse_mix`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Mix(pub Vec<MixEntry>);

impl std::str::FromStr for Mix {
    type Err = Error;
    fn from_str(text: &str) -> Result<Mix> {
        parse_mix(text).map(Mix)
    }
}

impl std::fmt::Display for Mix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let items: Vec<String> = self
            .0
            .iter()
            .map(|m| format!("{}:{}", m.kind.name, m.fraction))
            .collect();
        f.write_str(&items.join(","))
    }
}

crate::values::serde_as_text!(Mix);

impl Mix {
    /// The distinct metals of all kinds, sorted by Z.
    pub fn metals(&self) -> Vec<Element> {
        let mut m: Vec<Element> = self.0.iter().flat_map(|e| e.kind.metals.clone()).collect();
        m.sort();
        m.dedup();
        m
    }
}

/// Fractions sum to 1 (within 0.005), at least one kind.
pub fn validate_mix(mix: &[MixEntry]) -> Result<()> {
    if mix.is_empty() {
        return Err(Error::invalid("--mix", "give at least one KIND:FRACTION"));
    }
    let sum: f64 = mix.iter().map(|m| m.fraction).sum();
    if (sum - 1.0).abs() > 0.005 {
        return Err(Error::invalid(
            "--mix",
            format!("the fractions sum to {sum:.3}, not 1"),
        ));
    }
    Ok(())
}

/// How many sites of each kind for `n` sites: largest-remainder rounding,
/// so the counts sum to `n` and each is within 1 of fraction x n.
pub fn allocate(mix: &[MixEntry], n: usize) -> Vec<usize> {
    let sum: f64 = mix.iter().map(|m| m.fraction).sum();
    let exact: Vec<f64> = mix.iter().map(|m| m.fraction / sum * n as f64).collect();
    let mut counts: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
    let mut order: Vec<usize> = (0..mix.len()).collect();
    order.sort_by(|&a, &b| {
        (exact[b] - exact[b].floor())
            .total_cmp(&(exact[a] - exact[a].floor()))
            .then(a.cmp(&b))
    });
    let short = n - counts.iter().sum::<usize>();
    for &k in order.iter().take(short) {
        counts[k] += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_in_every_form() {
        let k = SiteKind::parse("l-comn").unwrap();
        assert_eq!(
            (k.motif, k.metals.clone()),
            (Motif::M2N6Low, vec![Element::CO, Element::MN])
        );
        assert_eq!(
            SiteKind::parse("L-Co2").unwrap().metals,
            vec![Element::CO, Element::CO]
        );
        assert_eq!(SiteKind::parse("co-n4").unwrap().motif, Motif::MN4);
        assert_eq!(SiteKind::parse("pt-n3").unwrap().motif, Motif::MN3);
        assert_eq!(
            SiteKind::parse("comn-n6").unwrap().motif,
            Motif::M2N6Bridged
        );
        assert_eq!(SiteKind::parse("comn-n8").unwrap().motif, Motif::M1M2N8);
        assert_eq!(
            SiteKind::parse("co1mn1-nc").unwrap().motif,
            Motif::M2N6Bridged
        );
        assert_eq!(
            SiteKind::parse("m2n6-low/Fe+Ni").unwrap().metals[1],
            Element::from_symbol("Ni").unwrap()
        );
        for bad in [
            "co-n5",
            "xx-n4",
            "l-co",
            "co-n6",
            "n-n4",
            "pristine/Co",
            "comn",
        ] {
            let e = SiteKind::parse(bad).unwrap_err().to_string();
            assert!(e.contains("valid forms"), "{bad}: {e}");
        }
    }

    #[test]
    fn mix_fractions_must_sum_to_one_and_allocation_is_exact() {
        let mix = parse_mix("l-comn:0.67,co-n4:0.17,mn-n4:0.16").unwrap();
        assert_eq!(allocate(&mix, 100), vec![67, 17, 16]);
        assert_eq!(allocate(&mix, 10_000), vec![6700, 1700, 1600]);
        assert_eq!(allocate(&mix, 7).iter().sum::<usize>(), 7);
        let e = parse_mix("l-comn:0.5,co-n4:0.3").unwrap_err().to_string();
        assert!(e.contains("sum to 0.800, not 1"), "{e}");
        assert!(
            parse_mix("l-comn")
                .unwrap_err()
                .to_string()
                .contains("KIND:FRACTION")
        );
    }
}
