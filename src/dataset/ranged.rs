//! [`Ranged`]: a stage config (`SampleConfig`, `ImagingConfig`,
//! `AcquisitionConfig`) where any value may instead be a distribution,
//! drawn per image. Every key of the stage is accepted, with the same name
//! and default as on the command line; on top of that a key may hold
//!
//! - `[min, max]` for a scalar key: uniform in [min, max];
//! - `{ log_uniform = [min, max] }`: log-uniform (doses);
//! - `[[min, max], [min, max]]` for a pair key (e.g. `drift_angstrom`):
//!   each component uniform;
//! - `["a", "b", ...]` for a text key (e.g. `mix`, `placement`): one of
//!   them, uniformly.
//!
//! Whether `[a, b]` is a range or a fixed pair is decided by the stage
//! itself: a key that accepts a single number takes `[a, b]` as a range.

use std::marker::PhantomData;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use serde::de::DeserializeOwned;
use toml::{Table, Value};

use crate::error::{Error, Result};

/// A stage config with distributions in place of values.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranged<T> {
    section: &'static str,
    table: Table,
    stage: PhantomData<T>,
}

/// How one key is drawn.
enum Draw<'a> {
    Fixed(&'a Value),
    Uniform(f64, f64),
    LogUniform(f64, f64),
    Components(Vec<(f64, f64)>),
    Choice(&'a [Value]),
}

fn two_numbers(v: &Value) -> Option<(f64, f64)> {
    let a = v.as_array()?;
    let num = |x: &Value| x.as_float().or_else(|| x.as_integer().map(|i| i as f64));
    match a.as_slice() {
        [lo, hi] => Some((num(lo)?, num(hi)?)),
        _ => None,
    }
}

impl<T: DeserializeOwned + Serialize + Default> Ranged<T> {
    /// Check a table: every key is the stage's, every distribution fits
    /// its key, and the stage accepts both ends of every range. `owned`
    /// lists keys the dataset sets itself (refused here).
    pub fn new(
        section: &'static str,
        table: Table,
        owned: &[&str],
        check: impl Fn(&T) -> Result<()>,
    ) -> Result<Ranged<T>> {
        let r = Ranged {
            section,
            table,
            stage: PhantomData,
        };
        let bad = |key: &str, message: String| {
            Error::invalid("--config", format!("{section}.{key}: {message}"))
        };
        for key in r.table.keys() {
            if owned.contains(&key.as_str()) {
                return Err(bad(
                    key,
                    "set by the dataset for each image; remove it".into(),
                ));
            }
            match r.how(key)? {
                Draw::Uniform(lo, hi) | Draw::LogUniform(lo, hi)
                    if !(lo.is_finite() && hi.is_finite()) || lo > hi =>
                {
                    return Err(bad(
                        key,
                        format!("[{lo}, {hi}]: a range needs finite min <= max"),
                    ));
                }
                Draw::LogUniform(lo, _) if lo.is_nan() || lo <= 0.0 => {
                    return Err(bad(key, "a log-uniform range needs min > 0".into()));
                }
                Draw::Components(c)
                    if c.iter()
                        .any(|(lo, hi)| !(lo.is_finite() && hi.is_finite()) || lo > hi) =>
                {
                    return Err(bad(
                        key,
                        "each component range needs finite min <= max".into(),
                    ));
                }
                _ => {}
            }
        }
        // Both ends of every range (and each choice) must make a valid stage.
        for end in [0, 1] {
            let stage = r.realise(|d| match d {
                Draw::Fixed(v) => (*v).clone(),
                Draw::Uniform(lo, hi) | Draw::LogUniform(lo, hi) => {
                    Value::Float(if end == 0 { lo } else { hi })
                }
                Draw::Components(c) => Value::Array(
                    c.iter()
                        .map(|&(lo, hi)| Value::Float(if end == 0 { lo } else { hi }))
                        .collect(),
                ),
                Draw::Choice(list) => list[end * (list.len() - 1)].clone(),
            })?;
            check(&stage).map_err(|e| {
                Error::invalid(
                    "--config",
                    format!(
                        "[{section}] at the {} of its ranges: {e}",
                        ["low end", "high end"][end]
                    ),
                )
            })?;
        }
        Ok(r)
    }

    /// Does the stage accept `key = value` (everything else at its default)?
    fn accepts(&self, key: &str, value: Value) -> bool {
        let mut t = Table::new();
        t.insert(key.to_string(), value);
        T::deserialize(t).is_ok()
    }

    fn how<'a>(&'a self, key: &str) -> Result<Draw<'a>> {
        let v = &self.table[key];
        if let Some(inner) = v.as_table()
            && let (1, Some(range)) = (inner.len(), inner.get("log_uniform"))
        {
            let (lo, hi) = two_numbers(range).ok_or_else(|| {
                Error::invalid(
                    "--config",
                    format!("{}.{key}: log_uniform takes [min, max]", self.section),
                )
            })?;
            return Ok(Draw::LogUniform(lo, hi));
        }
        if let Some((lo, hi)) = two_numbers(v)
            && self.accepts(key, Value::Float(lo))
        {
            return Ok(Draw::Uniform(lo, hi));
        }
        if let Some(list) = v.as_array() {
            if let Some(c) = list.iter().map(two_numbers).collect::<Option<Vec<_>>>()
                && !c.is_empty()
                && self.accepts(
                    key,
                    Value::Array(c.iter().map(|&(lo, _)| Value::Float(lo)).collect()),
                )
            {
                return Ok(Draw::Components(c));
            }
            if !list.is_empty()
                && list.iter().all(Value::is_str)
                && self.accepts(key, list[0].clone())
            {
                return Ok(Draw::Choice(list));
            }
        }
        Ok(Draw::Fixed(v))
    }

    fn realise(&self, mut pick: impl FnMut(Draw) -> Value) -> Result<T> {
        let mut t = Table::new();
        for key in self.table.keys() {
            t.insert(key.clone(), pick(self.how(key)?));
        }
        T::deserialize(t).map_err(|e| {
            Error::invalid(
                "--config",
                format!(
                    "[{}] {}",
                    self.section,
                    e.to_string().trim().replace('\n', " ")
                ),
            )
        })
    }

    /// Draw one stage config: keys in sorted order, one draw per ranged key.
    pub fn draw(&self, rng: &mut ChaCha8Rng) -> Result<T> {
        self.realise(|d| match d {
            Draw::Fixed(v) => v.clone(),
            Draw::Uniform(lo, hi) => Value::Float(lo + rng.random::<f64>() * (hi - lo)),
            Draw::LogUniform(lo, hi) => {
                let (a, b) = (lo.ln(), hi.ln());
                Value::Float((a + rng.random::<f64>() * (b - a)).exp())
            }
            Draw::Components(c) => Value::Array(
                c.iter()
                    .map(|&(lo, hi)| Value::Float(lo + rng.random::<f64>() * (hi - lo)))
                    .collect(),
            ),
            Draw::Choice(list) => list[rng.random_range(0..list.len())].clone(),
        })
    }

    /// The table as given.
    pub fn table(&self) -> &Table {
        &self.table
    }

    /// Every choice of a text key (one entry if fixed).
    pub fn choices(&self, key: &str) -> Vec<String> {
        match self.table.get(key) {
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    }
}

impl<T> Serialize for Ranged<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.table.serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AcquisitionConfig, ImagingConfig};
    use rand::SeedableRng;

    fn ranged<T: DeserializeOwned + Serialize + Default>(text: &str) -> Result<Ranged<T>> {
        Ranged::new(
            "imaging",
            toml::from_str(text).unwrap(),
            &["window_angstrom"],
            |_| Ok(()),
        )
    }

    #[test]
    fn ranges_pairs_choices_and_fixed_values_draw_as_documented() {
        let r: Ranged<ImagingConfig> = ranged(
            "pixel_angstrom = [0.08, 0.12]\ndetector_mrad = [70, 190]\nmodel = [\"born\", \"zn:1.7\"]\nkv = 200\nshape = [64, 32]",
        )
        .unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut models = std::collections::BTreeSet::new();
        for _ in 0..200 {
            let c = r.draw(&mut rng).unwrap();
            assert!((0.08..=0.12).contains(&c.pixel_angstrom));
            assert_eq!(c.detector_mrad.0, [70.0, 190.0]);
            assert_eq!((c.kv, c.shape.unwrap().0), (200.0, [64, 32]));
            models.insert(c.model.to_string());
        }
        assert_eq!(models.len(), 2);
        let a: Ranged<AcquisitionConfig> = ranged(
            "dose_e_per_a2 = { log_uniform = [1e4, 1e6] }\ndrift_angstrom = [[-1, 1], [2, 3]]",
        )
        .unwrap();
        let draws: Vec<AcquisitionConfig> = (0..2000).map(|_| a.draw(&mut rng).unwrap()).collect();
        let below_1e5 = draws.iter().filter(|d| d.dose.unwrap() < 1e5).count();
        // log-uniform: half the draws below the geometric midpoint.
        assert!((below_1e5 as f64 / 2000.0 - 0.5).abs() < 0.05);
        assert!(
            draws.iter().all(
                |d| (-1.0..=1.0).contains(&d.drift.0[0]) && (2.0..=3.0).contains(&d.drift.0[1])
            )
        );
    }

    #[test]
    fn bad_tables_are_refused_with_the_key() {
        for (text, key) in [
            ("pixel_angstrom = [0.2, 0.1]", "pixel_angstrom"),
            ("window_angstrom = [0, 0, 5, 5]", "window_angstrom"),
            ("alpha = 30", "alpha"),
            ("model = [\"born\", \"nonsense\"]", "nonsense"),
        ] {
            let e = ranged::<ImagingConfig>(text).unwrap_err().to_string();
            assert!(e.contains(key), "{text}: {e}");
        }
    }
}
