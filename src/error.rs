//! Typed errors of the sacsim library.
//!
//! Every message says what was wrong and what would be valid, so the command
//! line can print it as is (`sacsim: {error}`).

use std::path::PathBuf;

/// Result alias used throughout the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in sacsim.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An element symbol that is not in the element table.
    #[error("unknown element '{symbol}'; valid symbols: {valid}")]
    UnknownElement {
        /// The symbol as given.
        symbol: String,
        /// Comma-separated list of valid symbols.
        valid: String,
    },
    /// A named thing (preset, motif, format, ...) that does not exist.
    #[error("unknown {kind} '{name}'; valid {kind}s: {valid}")]
    UnknownName {
        /// What kind of name it is ("preset", "motif", "format").
        kind: &'static str,
        /// The name as given.
        name: String,
        /// Comma-separated list of valid names.
        valid: String,
    },
    /// A parameter outside its valid range or inconsistent with others.
    #[error("invalid {name}: {message}")]
    InvalidParameter {
        /// The parameter (as the user knows it, e.g. `--metals`).
        name: String,
        /// What is wrong and what is valid.
        message: String,
    },
    /// A supercell too small for the requested motif.
    #[error(
        "{cell} is too small for {motif}: {reason}; the smallest cell that works is {smallest} (or pass --allow-small)"
    )]
    CellTooSmall {
        /// The requested cell, e.g. `--cell 4x4`.
        cell: String,
        /// The motif name.
        motif: String,
        /// Why it does not fit.
        reason: String,
        /// The smallest working cell, as a command-line option.
        smallest: String,
    },
    /// A malformed input file.
    #[error("{}:{line}: expected {expected}, found {found}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What the parser expected there.
        expected: String,
        /// What it found (quoted text or "end of file").
        found: String,
    },
    /// A file that could not be read or written. (The I/O error is part
    /// of the message, not a separate source, so `{:#}` prints it once.)
    #[error("{}: {error}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        error: std::io::Error,
    },
}

impl Error {
    /// Shorthand for [`Error::InvalidParameter`].
    pub fn invalid(name: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidParameter {
            name: name.into(),
            message: message.into(),
        }
    }

    /// Shorthand for [`Error::Io`].
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            error: source,
        }
    }
}
