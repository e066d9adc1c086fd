//! The small value grammars of the command line and the TOML files, parsed
//! in one place: `a,b` pairs ([`Pair`]), `AxB` sizes ([`Dims`]),
//! `x0,y0,w,h` rectangles ([`Rect`]), `EL=MU` moments ([`Moment`]), `I/N`
//! shards ([`Shard`]), and the unit conversions between them.
//!
//! Every type implements `FromStr` (clap uses it as the flag's value
//! parser, so a bad value names its flag and exits 2) and `Display` (the
//! inverse, used for defaults in `--help`). Serde writes the structured
//! form (`[a, b]`) and reads either that or the same text grammar, so a TOML
//! file may say `detector_mrad = [80, 200]` or `detector_mrad = "80,200"`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Å per nm.
pub const ANGSTROM_PER_NM: f64 = 10.0;

/// Å² per nm².
pub const ANGSTROM2_PER_NM2: f64 = ANGSTROM_PER_NM * ANGSTROM_PER_NM;

/// Convert nm to Å.
pub fn nm_to_angstrom(nm: f64) -> f64 {
    nm * ANGSTROM_PER_NM
}

/// Convert Å to nm.
pub fn angstrom_to_nm(angstrom: f64) -> f64 {
    angstrom / ANGSTROM_PER_NM
}

/// A number for messages: plain when moderate, short scientific form
/// otherwise (1e300, not 300 digits).
pub fn short(v: f64) -> String {
    let a = v.abs();
    if v == 0.0 || (1e-3..1e6).contains(&a) {
        let s = format!("{v:.6}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    } else if !v.is_finite() {
        v.to_string()
    } else {
        // At most four significant digits: 1.526e8, 1e300.
        let s = format!("{v:.3e}");
        let (mantissa, exponent) = s.split_once('e').expect("scientific form");
        let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
        format!("{mantissa}e{exponent}")
    }
}

/// Parse one item of a grammar, trimming spaces; a number must be finite.
fn item<T: FromStr>(text: &str) -> Option<T> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    // `f64::from_str` accepts "inf" and "nan"; no value here may be either.
    if lower.contains("inf") || lower.contains("nan") {
        return None;
    }
    t.parse().ok()
}

/// Split `text` at `sep` into exactly `N` parsed items.
fn items<T: FromStr, const N: usize>(text: &str, sep: &[char]) -> Option<[T; N]> {
    let parts: Vec<T> = text.split(sep).map(item).collect::<Option<_>>()?;
    parts.try_into().ok()
}

macro_rules! grammar {
    ($(#[$doc:meta])* $name:ident, $n:literal, $sep:expr, $join:literal, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Hash)]
        pub struct $name<T>(pub [T; $n]);

        impl<T: FromStr> FromStr for $name<T> {
            type Err = String;
            fn from_str(text: &str) -> Result<Self, String> {
                items(text, $sep)
                    .map($name)
                    .ok_or_else(|| format!("expected {}", $what))
            }
        }

        impl<T: fmt::Display> fmt::Display for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let parts: Vec<String> = self.0.iter().map(|v| v.to_string()).collect();
                f.write_str(&parts.join($join))
            }
        }

        impl<T: Serialize> Serialize for $name<T> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                self.0.serialize(s)
            }
        }

        impl<'de, T> Deserialize<'de> for $name<T>
        where
            T: Deserialize<'de> + FromStr,
        {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                #[derive(Deserialize)]
                #[serde(untagged)]
                enum Form<T> {
                    Text(String),
                    List([T; $n]),
                }
                match Form::<T>::deserialize(d)? {
                    Form::List(v) => Ok($name(v)),
                    Form::Text(t) => t.parse().map_err(serde::de::Error::custom),
                }
            }
        }
    };
}

grammar!(
    /// Two values `a,b`, e.g. a detector `80,200` (mrad) or a pair window
    /// `0.20,0.30` (nm).
    Pair,
    2,
    &[','],
    ",",
    "two values separated by a comma, e.g. 80,200"
);

grammar!(
    /// A size `AxB` along x and y, e.g. `20x20` (nm) or `512x512` (pixels).
    Dims,
    2,
    &['x', 'X'],
    "x",
    "two values joined by x, e.g. 20x20"
);

grammar!(
    /// A rectangle `x0,y0,width,height` (Å).
    Rect,
    4,
    &[','],
    ",",
    "four numbers x0,y0,width,height, e.g. 0,0,50,50"
);

/// A pixel size `P` or `PX,PY` (Å).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PixelSize(pub [f64; 2]);

impl FromStr for PixelSize {
    type Err = String;
    fn from_str(text: &str) -> Result<PixelSize, String> {
        let bad = || "expected a positive pixel size in Å, or PX,PY, e.g. 0.1".to_string();
        let p = match text.split_once(',') {
            Some(_) => items::<f64, 2>(text, &[',']).ok_or_else(bad)?,
            None => [item(text).ok_or_else(bad)?; 2],
        };
        if p.iter().all(|v| *v > 0.0) {
            Ok(PixelSize(p))
        } else {
            Err(bad())
        }
    }
}

/// An initial magnetic moment `EL=MU` (µB), e.g. `Co=1.0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moment {
    /// The element.
    pub element: crate::structure::Element,
    /// The moment (µB).
    pub mu_b: f64,
}

impl FromStr for Moment {
    type Err = String;
    fn from_str(text: &str) -> Result<Moment, String> {
        let bad = || "expected ELEMENT=MOMENT in µB, e.g. Co=1.0".to_string();
        let (el, mu) = text.split_once('=').ok_or_else(bad)?;
        let element = el.trim().parse().map_err(|e| format!("{e}"))?;
        let mu_b = item(mu).ok_or_else(bad)?;
        Ok(Moment { element, mu_b })
    }
}

/// Shard `I/N` of a run: the images k with k mod N = I.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// This shard's index, 0-based.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

impl Default for Shard {
    fn default() -> Shard {
        Shard { index: 0, count: 1 }
    }
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(text: &str) -> Result<Shard, String> {
        let bad = || "expected I/N with 0 <= I < N, e.g. 0/4".to_string();
        let [index, count]: [usize; 2] = items(text, &['/']).ok_or_else(bad)?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// `FromStr` and serde (as the name) for a library type with
/// `from_name(&str) -> Result<Self>` and a `Display` that writes the name.
macro_rules! named_value {
    ($($t:ty),+ $(,)?) => {$(
        impl std::str::FromStr for $t {
            type Err = $crate::error::Error;
            fn from_str(s: &str) -> $crate::error::Result<Self> {
                <$t>::from_name(s)
            }
        }
    )+};
}
pub(crate) use named_value;

/// Serde as the `Display` / `FromStr` text of a type.
macro_rules! serde_as_text {
    ($($t:ty),+ $(,)?) => {$(
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    )+};
}
pub(crate) use serde_as_text;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammars_parse_print_and_refuse() {
        let p: Pair<f64> = " 0.2, 0.3".parse().unwrap();
        assert_eq!(p, Pair([0.2, 0.3]));
        assert_eq!(p.to_string(), "0.2,0.3");
        let d: Dims<usize> = "512X256".parse().unwrap();
        assert_eq!(d.0, [512, 256]);
        assert_eq!(d.to_string(), "512x256");
        let r: Rect<f64> = "15,15,40,40".parse().unwrap();
        assert_eq!(r.0, [15.0, 15.0, 40.0, 40.0]);
        for bad in ["20xabc", "20", "20x20x20", "x", "nanx3", "infx2", ""] {
            assert!(bad.parse::<Dims<f64>>().is_err(), "{bad}");
        }
        for bad in ["1", "1,2,3", "a,b", "1,inf", "1;2"] {
            assert!(bad.parse::<Pair<f64>>().is_err(), "{bad}");
        }
        assert!("1.5x2".parse::<Dims<usize>>().is_err());
        assert!("1,2,3".parse::<Rect<f64>>().is_err());
        let s: Shard = "1/4".parse().unwrap();
        assert_eq!((s.index, s.count), (1, 4));
        for bad in ["4/4", "0/0", "1", "a/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        let m: Moment = "co=1.5".parse().unwrap();
        assert_eq!((m.element.symbol(), m.mu_b), ("Co", 1.5));
        assert!("Co".parse::<Moment>().is_err() && "Xx=1".parse::<Moment>().is_err());
    }

    #[test]
    fn serde_reads_lists_and_text_alike() {
        #[derive(Deserialize, Serialize)]
        struct T {
            a: Pair<f64>,
            b: Dims<usize>,
        }
        let t: T = toml::from_str("a = [80, 200]\nb = \"64x32\"").unwrap();
        assert_eq!((t.a.0, t.b.0), ([80.0, 200.0], [64, 32]));
        let t: T = toml::from_str("a = \"80,200\"\nb = [64, 32]").unwrap();
        assert_eq!((t.a.0, t.b.0), ([80.0, 200.0], [64, 32]));
        assert_eq!(
            toml::to_string(&t).unwrap(),
            "a = [80.0, 200.0]\nb = [64, 32]\n"
        );
        assert!(toml::from_str::<T>("a = \"80\"\nb = [1, 1]").is_err());
        assert_eq!(nm_to_angstrom(2.5), 25.0);
        assert_eq!(short(1e300), "1e300");
        assert_eq!(short(-2.5e-7), "-2.5e-7");
        assert_eq!(short(0.25), "0.25");
        assert_eq!(short(80.0), "80");
        assert_eq!(angstrom_to_nm(25.0), 2.5);
    }
}
