//! Typed output directories: what each command writes, and how another
//! command reads it back. Every directory gets `params.json`: a
//! [`Provenance`] header (sacsim version, command) and the command's full
//! parameters, so any output can be regenerated exactly. Directories that
//! hold an image or detections also carry its [`ImageFrame`] (origin, pixel
//! size, shape), which [`image_frame`] reads back: truth, images and
//! detections always agree on coordinates.
//!
//! `build` writes a model as DFT input files.
//! Files: `POSCAR` (+ `INCAR.magmom`), `<name>.xyz`, `<name>.cif`,
//! `params.json`. Every file is rendered in memory first and then written
//! atomically, so a failing run leaves no partial file behind.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::io::incar::{self, Magmoms};
use crate::io::{Format, write_atomic};
use crate::model::{Model, ModelSpec};
use crate::structure::ImageFrame;

pub mod analyze;
pub mod detect;
pub mod figure;
pub mod image;
pub mod load;
pub mod profile;
pub mod sample;
pub mod series;
pub mod simulate;
pub mod simulate_shard;

/// The header of every `params.json`: which sacsim wrote it, and which
/// command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The sacsim version (Cargo package version).
    pub sacsim_version: String,
    /// The subcommand: build, sample, simulate, detect, analyze, series,
    /// dataset, run.
    pub command: String,
}

impl Provenance {
    /// This build of sacsim running `command`.
    pub fn of(command: &str) -> Provenance {
        Provenance {
            sacsim_version: env!("CARGO_PKG_VERSION").to_string(),
            command: command.to_string(),
        }
    }
}

/// Read `dir/params.json` as `T`.
pub fn read_params<T: DeserializeOwned>(dir: &Path) -> Result<T> {
    let path = dir.join("params.json");
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    serde_json::from_str(&text).map_err(|e| Error::Parse {
        path: path.clone(),
        line: e.line(),
        expected: "a sacsim params.json".into(),
        found: e.to_string(),
    })
}

/// The image frame recorded in a `simulate` or `detect` directory.
pub fn image_frame(dir: &Path) -> Result<ImageFrame> {
    #[derive(Deserialize)]
    struct WithFrame {
        #[serde(flatten)]
        frame: ImageFrame,
    }
    read_params::<WithFrame>(dir)
        .map(|w| w.frame)
        .map_err(|e| match e {
            Error::Parse { path, line, .. } => Error::Parse {
                path,
                line,
                expected: "the image frame (image_shape_ny_nx, pixel_angstrom, origin_angstrom) of a sacsim simulate or detect directory".into(),
                found: "no valid frame".into(),
            },
            other => other,
        })
}

/// The parameters recorded beside every model.
#[derive(Debug, Serialize)]
struct Params<'a> {
    #[serde(flatten)]
    provenance: Provenance,
    model: &'a ModelSpec,
    formats: Vec<&'static str>,
    magmom_mu_b: BTreeMap<String, f64>,
    formula: String,
    files: Vec<String>,
}

/// Write `model` into `dir` in the given formats; returns the files written.
pub fn write_model(
    model: &Model,
    dir: &Path,
    formats: &[Format],
    magmoms: &Magmoms,
) -> Result<Vec<PathBuf>> {
    if formats.is_empty() {
        return Err(Error::invalid(
            "--format",
            "give at least one of poscar, xyz, cif",
        ));
    }
    let s = &model.structure;
    let mut files: Vec<(String, String)> = Vec::new();
    for &format in formats {
        // The extended XYZ carries the initial moments (ASE's
        // `initial_magmoms`) that POSCAR leaves to INCAR.magmom.
        let text = match format {
            Format::Xyz => crate::io::xyz::to_string_with(s, Some(magmoms)),
            _ => format.render(s),
        };
        files.push((format.file_name(&model.spec.name), text));
        if format == Format::Poscar {
            files.push(("INCAR.magmom".to_string(), incar::to_string(s, magmoms)));
        }
    }
    let params = Params {
        provenance: Provenance::of("build"),
        model: &model.spec,
        formats: formats.iter().map(|f| f.name()).collect(),
        magmom_mu_b: s
            .composition()
            .keys()
            .map(|&e| (e.symbol().to_string(), magmoms.moment(e)))
            .collect(),
        formula: s.formula(),
        files: listed(&files),
    };
    write_with_params(dir, files, &params)
}

/// The names of rendered files and of the `params.json` that follows them
/// (every command lists its outputs in its parameters).
fn listed<B>(files: &[(String, B)]) -> Vec<String> {
    files
        .iter()
        .map(|(n, _)| n.clone())
        .chain(["params.json".to_string()])
        .collect()
}

/// Append `params` as `params.json` and write everything atomically.
fn write_with_params<B: AsRef<[u8]> + From<String>>(
    dir: &Path,
    mut files: Vec<(String, B)>,
    params: &impl Serialize,
) -> Result<Vec<PathBuf>> {
    let json = serde_json::to_string_pretty(params).expect("parameters serialise") + "\n";
    files.push(("params.json".to_string(), B::from(json)));
    write_files(dir, files)
}

/// Create the output directory `dir` (refusing a file of that name) and
/// remove the temporaries of killed runs in it.
pub fn prepare_dir(dir: &Path) -> Result<()> {
    if dir.exists() && !dir.is_dir() {
        return Err(Error::invalid(
            "-o",
            format!(
                "{} exists and is not a directory; give a directory",
                dir.display()
            ),
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    crate::io::remove_stale_temporaries(dir, false);
    Ok(())
}

/// Create `dir` and write rendered files into it atomically.
fn write_files<B: AsRef<[u8]>>(dir: &Path, files: Vec<(String, B)>) -> Result<Vec<PathBuf>> {
    prepare_dir(dir)?;
    let mut written = Vec::with_capacity(files.len());
    for (name, text) in files {
        let path = dir.join(name);
        write_atomic(&path, text.as_ref())?;
        written.push(path);
    }
    Ok(written)
}

/// The Markdown table of `structures/README.md`: composition, motif, and
/// the M-N and M-M distances of each reference model (Å, unrelaxed).
pub fn reference_table(models: &[Model]) -> String {
    let mut out = String::from(
        "| model | formula | atoms | motif | cell | M-N (Å) | M-M (Å) | site-image distance (Å) |\n|---|---|---|---|---|---|---|---|\n",
    );
    for model in models {
        let s = &model.structure;
        let report = crate::analysis::inspect::inspect(s);
        let m_n: Vec<String> = report
            .metals
            .iter()
            .map(|m| {
                let n: Vec<_> = m.shell.iter().filter(|e| e.element == "N").collect();
                let count: usize = n.iter().map(|e| e.count).sum();
                let d = n.first().map_or(f64::NAN, |e| e.distance);
                format!("{} {d:.3} x{count}", m.element)
            })
            .collect();
        let metals = s.metal_indices();
        let m_m = if metals.len() == 2 {
            format!("{:.3}", s.distance(metals[0], metals[1]))
        } else {
            "-".into()
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} {}x{} | {} | {} | {:.2} |\n",
            model.spec.name,
            s.formula(),
            s.len(),
            model.spec.motif,
            format!("{:?}", model.spec.cell.shape).to_lowercase(),
            model.spec.cell.n,
            model.spec.cell.m,
            m_n.join(", "),
            m_m,
            crate::model::site_image_distance(s),
        ));
    }
    out
}
