//! Line-oriented parsing helpers whose errors name file, line and
//! expectation.

use std::path::Path;

use crate::error::{Error, Result};

/// The lines of a text file, with 1-based line numbers in errors.
pub(crate) struct Lines<'a> {
    path: &'a Path,
    /// Every line of the file (shared by the views of [`Lines::from`]).
    lines: std::rc::Rc<Vec<&'a str>>,
    /// Line number (0-based) in the file of this view's line 0.
    first: usize,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(text: &'a str, path: &'a Path) -> Self {
        Lines {
            path,
            lines: std::rc::Rc::new(text.lines().collect()),
            first: 0,
        }
    }

    /// The lines from `n` (0-based) on, with errors still naming the
    /// file's line numbers (a later frame of a multi-frame file).
    pub(crate) fn from(&self, n: usize) -> Lines<'a> {
        Lines {
            path: self.path,
            lines: self.lines.clone(),
            first: self.first + n,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.lines.len().saturating_sub(self.first)
    }

    /// Line `n` (0-based), or an error naming what was expected there.
    pub(crate) fn get(&self, n: usize, expected: &str) -> Result<&'a str> {
        self.lines
            .get(self.first + n)
            .copied()
            .ok_or_else(|| self.error(n, expected, "end of file"))
    }

    /// A parse error at line `n` (0-based).
    pub(crate) fn error(&self, n: usize, expected: &str, found: &str) -> Error {
        Error::Parse {
            path: self.path.to_path_buf(),
            line: self.first + n + 1,
            expected: expected.to_string(),
            found: found.to_string(),
        }
    }

    /// Parse `count` floats from the start of line `n`.
    pub(crate) fn floats(&self, n: usize, count: usize, expected: &str) -> Result<Vec<f64>> {
        let line = self.get(n, expected)?;
        let values: Vec<f64> = line
            .split_whitespace()
            .take(count)
            .map_while(parse_float)
            .collect();
        if values.len() == count {
            Ok(values)
        } else {
            Err(self.error(n, expected, &quote(line)))
        }
    }
}

/// A float in Fortran or C notation (`1.5`, `1.5e-3`, `1.5D-3`); finite only.
pub(crate) fn parse_float(s: &str) -> Option<f64> {
    let v: f64 = if s.contains(['d', 'D']) {
        s.replace(['d', 'D'], "e").parse().ok()?
    } else {
        s.parse().ok()?
    };
    v.is_finite().then_some(v)
}

/// Quote a found text for an error message (shortened).
pub(crate) fn quote(s: &str) -> String {
    if s.trim().is_empty() {
        return "an empty line".to_string();
    }
    let t: String = s.trim().chars().take(60).collect();
    format!("'{t}'")
}
