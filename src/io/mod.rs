//! File formats, one module each, with a registry that picks by file name
//! (as `ase.io` does).
//!
//! | format | read | write | file names |
//! |---|---|---|---|
//! | VASP POSCAR | VASP 4 and 5, Direct/Cartesian, selective dynamics, negative scale = volume | VASP 5, Direct, scale 1.0 | `POSCAR*`, `CONTCAR*`, `*.vasp`, `*.poscar` |
//! | extended XYZ | ASE's dialect (first frame) and plain XYZ | as `ase.io.write` | `*.xyz`, `*.extxyz` |
//! | CIF | - | minimal P 1 | `*.cif` |
//!
//! Every write goes to a temporary file in the target directory that is
//! renamed into place, so a failed run never leaves a half-written file.

pub mod cif;
pub mod dm;
pub mod emd;
pub mod incar;
pub mod points;
pub mod poscar;
pub mod raster;
pub(crate) mod text;
pub mod tiff;
pub mod xyz;

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};
use crate::structure::Structure;

/// A structure file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// VASP POSCAR / CONTCAR.
    Poscar,
    /// Extended XYZ.
    Xyz,
    /// Crystallographic Information File.
    Cif,
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

crate::values::named_value!(Format);

/// What sacsim knows of a format: its names, the file names that imply it,
/// and whether it reads it. The one table that lookups, errors and help
/// are built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormatInfo {
    /// The format.
    pub format: Format,
    /// Command-line name.
    pub name: &'static str,
    /// Other accepted names.
    pub aliases: &'static [&'static str],
    /// File-name prefixes that imply it (lowercase), e.g. `poscar`.
    pub prefixes: &'static [&'static str],
    /// Extensions that imply it (lowercase, no dot).
    pub extensions: &'static [&'static str],
    /// sacsim reads it (every format is written).
    pub readable: bool,
}

/// Every structure format, in the order sacsim writes them.
pub const FORMATS: [FormatInfo; 3] = [
    FormatInfo {
        format: Format::Poscar,
        name: "poscar",
        aliases: &["vasp", "contcar"],
        prefixes: &["poscar", "contcar"],
        extensions: &["vasp", "poscar"],
        readable: true,
    },
    FormatInfo {
        format: Format::Xyz,
        name: "xyz",
        aliases: &["extxyz"],
        prefixes: &[],
        extensions: &["xyz", "extxyz"],
        readable: true,
    },
    FormatInfo {
        format: Format::Cif,
        name: "cif",
        aliases: &[],
        prefixes: &[],
        extensions: &["cif"],
        readable: true,
    },
];

/// The file names sacsim reads structures from, for messages:
/// `POSCAR*, CONTCAR*, *.vasp, ...`.
pub fn readable_file_names() -> String {
    FORMATS
        .iter()
        .filter(|f| f.readable)
        .flat_map(|f| {
            f.prefixes
                .iter()
                .map(|p| format!("{}*", p.to_ascii_uppercase()))
                .chain(f.extensions.iter().map(|e| format!("*.{e}")))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl Format {
    /// Every format, in the order sacsim writes them.
    pub const ALL: [Format; 3] = [Format::Poscar, Format::Xyz, Format::Cif];

    /// This format's row of [`FORMATS`].
    pub fn info(self) -> &'static FormatInfo {
        FORMATS
            .iter()
            .find(|f| f.format == self)
            .expect("every format has a row")
    }

    /// Command-line name (`poscar`, `xyz`, `cif`).
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// Look a format up by its command-line name or an alias.
    pub fn from_name(name: &str) -> Result<Format> {
        let key = name.trim().to_ascii_lowercase();
        FORMATS
            .iter()
            .find(|f| f.name == key || f.aliases.contains(&key.as_str()))
            .map(|f| f.format)
            .ok_or_else(|| Error::UnknownName {
                kind: "format",
                name: name.to_string(),
                valid: FORMATS.map(|f| f.name).join(", "),
            })
    }

    /// The format a file name implies.
    pub fn from_path(path: &Path) -> Result<Format> {
        let lower = |s: Option<&std::ffi::OsStr>| {
            s.and_then(|n| n.to_str())
                .unwrap_or("")
                .to_ascii_lowercase()
        };
        let (name, ext) = (lower(path.file_name()), lower(path.extension()));
        FORMATS
            .iter()
            .find(|f| {
                f.prefixes.iter().any(|p| name.starts_with(p))
                    || f.extensions.contains(&ext.as_str())
            })
            .map(|f| f.format)
            .ok_or_else(|| {
                Error::invalid(
                    "input file",
                    format!(
                        "cannot tell the format of '{}'; name it {}",
                        path.display(),
                        readable_file_names()
                    ),
                )
            })
    }

    /// The file name sacsim gives a model called `stem` in this format.
    pub fn file_name(self, stem: &str) -> String {
        match self {
            Format::Poscar => "POSCAR".to_string(),
            Format::Xyz => format!("{stem}.xyz"),
            Format::Cif => format!("{stem}.cif"),
        }
    }

    /// The structure as file contents.
    pub fn render(self, structure: &Structure) -> String {
        match self {
            Format::Poscar => poscar::to_string(structure),
            Format::Xyz => xyz::to_string(structure),
            Format::Cif => cif::to_string(structure),
        }
    }
}

/// Read a structure, picking the format from the file name; a directory
/// written by `sacsim sample` (or `build`) is read through its
/// `sample.xyz` (or `POSCAR`).
pub fn read_structure(path: &Path) -> Result<Structure> {
    if path.is_dir() {
        for name in ["sample.xyz", "POSCAR"] {
            if path.join(name).is_file() {
                return read_structure(&path.join(name));
            }
        }
        return Err(Error::invalid(
            "input",
            format!(
                "directory '{}' holds neither sample.xyz nor POSCAR; give a structure file or a sacsim output directory",
                path.display()
            ),
        ));
    }
    let format = Format::from_path(path)?;
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    match format {
        Format::Poscar => poscar::parse(&text, path),
        Format::Xyz => xyz::parse(&text, path),
        Format::Cif => cif::parse(&text, path),
    }
}

/// Every frame of a structure file: the frames of a multi-frame
/// (extended) XYZ file (a trajectory, as `ase.io.write` writes a list of
/// Atoms), or the one structure of any other file or directory.
pub fn read_frames(path: &Path) -> Result<Vec<Structure>> {
    if !path.is_dir() && Format::from_path(path)? == Format::Xyz {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        return xyz::parse_frames(&text, path);
    }
    read_structure(path).map(|s| vec![s])
}

/// Write a structure in the given format (atomically).
pub fn write_structure(path: &Path, structure: &Structure, format: Format) -> Result<()> {
    write_atomic(path, format.render(structure).as_bytes())
}

/// Temporaries start with `.sacsim-PID-`, so a later run can tell a stale
/// one (its process is gone, e.g. killed with SIGKILL) from one in use.
const TEMPORARY: &str = ".sacsim-";

fn temporary_prefix() -> String {
    format!("{TEMPORARY}{}-", std::process::id())
}

/// Remove the temporaries of dead sacsim processes in `dir` (and, with
/// `recursive`, below it); returns how many were removed. Names without a
/// process id (older sacsim) count as stale.
pub fn remove_stale_temporaries(dir: &Path, recursive: bool) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if p.is_dir() {
            if recursive {
                removed += remove_stale_temporaries(&p, true);
            }
            continue;
        }
        let Some(rest) = name.strip_prefix(TEMPORARY) else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|pid| {
            pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists()
        });
        if !alive && std::fs::remove_file(&p).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Write `bytes` to `path` through a temporary file in the same directory
/// that is renamed into place: readers see the old file or the new one,
/// never a partial one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    let prefix = temporary_prefix();
    builder.prefix(&prefix);
    // tempfile creates files 0600; outputs get the usual 0666 & ~umask.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut tmp = builder.tempfile_in(dir).map_err(|e| Error::io(dir, e))?;
    tmp.write_all(bytes).map_err(|e| Error::io(path, e))?;
    tmp.flush().map_err(|e| Error::io(path, e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}
