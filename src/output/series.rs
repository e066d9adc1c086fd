//! `sacsim series`: every model of a free-energy path, ready for a batch of
//! DFT jobs. For each preset: the clean slab, and for each metal (top site)
//! every intermediate of the reaction, plus the gas-phase references:
//!
//! ```text
//! DIR/series.json                      index of every model
//! DIR/params.json                      the command's parameters
//! DIR/<preset>/clean/POSCAR ...
//! DIR/<preset>/<Metal>/<ADS>/POSCAR ... (bridge/<ADS> with --bridge)
//! DIR/gas/<MOLECULE>/POSCAR ...
//! ```
//!
//! Every model is built and checked in memory before the first file is
//! written, so an invalid request leaves nothing behind.

use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::io::Format;
use crate::io::incar::Magmoms;
use crate::model::adsorbate::{BindingSite, Reaction, gas_molecule};
use crate::model::{AdsorbateSpec, Model, ModelSpec, Preset, build_model};

use super::{write_files, write_model};

/// What `sacsim series` builds; serialised into `params.json`.
#[derive(Debug, Clone, Serialize)]
pub struct SeriesSpec {
    /// Preset names.
    pub presets: Vec<String>,
    /// The reaction.
    #[serde(serialize_with = "serialize_reaction")]
    pub reaction: Reaction,
    /// Also put every intermediate across both metals of dual sites.
    pub bridge: bool,
    /// Bonded shells around the metals that relax (the clean slab uses the
    /// same rule, so energy differences compare like with like).
    pub free_shells: usize,
}

fn serialize_reaction<S: serde::Serializer>(
    r: &Reaction,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(r.name())
}

/// One model of the series in `series.json`.
#[derive(Debug, Clone, Serialize)]
pub struct SeriesEntry {
    /// Preset name.
    pub preset: String,
    /// Metal symbol, `bridge`, or `clean`.
    pub site: String,
    /// Intermediate formula, or null for the clean slab.
    pub adsorbate: Option<String>,
    /// Directory relative to the series root.
    pub path: String,
    /// Chemical formula.
    pub formula: String,
    /// Number of atoms.
    pub atoms: usize,
    /// Atoms free to relax (selective dynamics).
    pub free_atoms: usize,
}

/// A gas-phase reference in `series.json`.
#[derive(Debug, Clone, Serialize)]
pub struct GasEntry {
    /// Molecule formula.
    pub molecule: String,
    /// Directory relative to the series root.
    pub path: String,
    /// Cubic box edge (Å).
    pub box_angstrom: f64,
}

/// The `series.json` index.
#[derive(Debug, Clone, Serialize)]
pub struct SeriesIndex {
    /// sacsim version.
    pub sacsim_version: &'static str,
    /// Reaction name.
    pub reaction: String,
    /// Intermediates in reaction order.
    pub intermediates: Vec<String>,
    /// Slab models.
    pub models: Vec<SeriesEntry>,
    /// Gas-phase references.
    pub gas: Vec<GasEntry>,
}

/// Build every model of the series in memory.
pub fn build_series(spec: &SeriesSpec) -> Result<Vec<(SeriesEntry, Model)>> {
    if spec.presets.is_empty() {
        return Err(Error::invalid("PRESET", "name at least one preset"));
    }
    let mut out = Vec::new();
    for name in &spec.presets {
        let preset = Preset::from_name(name)?;
        let base = ModelSpec {
            free_shells: Some(spec.free_shells),
            ..ModelSpec::from_preset(preset)
        };
        let mut sites: Vec<BindingSite> = Vec::new();
        for &m in preset.metals {
            if !sites.contains(&BindingSite::Top(m)) {
                sites.push(BindingSite::Top(m));
            }
        }
        if spec.bridge && preset.metals.len() == 2 {
            sites.push(BindingSite::Bridge);
        }
        let mut add = |site: String, ads: Option<AdsorbateSpec>| -> Result<()> {
            let path = match &ads {
                None => format!("{}/clean", preset.name),
                Some(a) => format!("{}/{}/{}", preset.name, site, a.adsorbate),
            };
            let model_spec = ModelSpec {
                name: path.replace('/', "_"),
                adsorbate: ads,
                ..base.clone()
            };
            let model = build_model(&model_spec)?;
            let s = &model.structure;
            out.push((
                SeriesEntry {
                    preset: preset.name.to_string(),
                    site,
                    adsorbate: ads.map(|a| a.adsorbate.to_string()),
                    path,
                    formula: s.formula(),
                    atoms: s.len(),
                    free_atoms: s.atoms.iter().filter(|a| a.free[2]).count(),
                },
                model,
            ));
            Ok(())
        };
        add("clean".into(), None)?;
        for &site in &sites {
            for &adsorbate in spec.reaction.intermediates() {
                let ads = AdsorbateSpec {
                    adsorbate,
                    site,
                    height: None,
                    rotation: 0.0,
                };
                add(site.to_string(), Some(ads))?;
            }
        }
    }
    Ok(out)
}

/// Build and write the whole series into `dir`; returns the index.
pub fn write_series(
    spec: &SeriesSpec,
    dir: &Path,
    formats: &[Format],
    magmoms: &Magmoms,
) -> Result<SeriesIndex> {
    let models = build_series(spec)?;
    let gases = spec
        .reaction
        .gas_references()
        .iter()
        .map(|&m| gas_molecule(m).map(|s| (m, s)))
        .collect::<Result<Vec<_>>>()?;
    for (entry, model) in &models {
        write_model(model, &dir.join(&entry.path), formats, magmoms)?;
    }
    let mut gas = Vec::new();
    for (molecule, structure) in gases {
        let path = format!("gas/{molecule}");
        let files = formats
            .iter()
            .map(|f| (f.file_name(molecule), f.render(&structure)))
            .collect();
        write_files(&dir.join(&path), files)?;
        gas.push(GasEntry {
            molecule: molecule.to_string(),
            path,
            box_angstrom: crate::model::adsorbate::GAS_BOX,
        });
    }
    let index = SeriesIndex {
        sacsim_version: env!("CARGO_PKG_VERSION"),
        reaction: spec.reaction.name().to_string(),
        intermediates: spec
            .reaction
            .intermediates()
            .iter()
            .map(|a| a.to_string())
            .collect(),
        models: models.into_iter().map(|(e, _)| e).collect(),
        gas,
    };
    #[derive(Serialize)]
    struct Params<'a> {
        sacsim_version: &'static str,
        command: &'static str,
        series: &'a SeriesSpec,
        formats: Vec<&'static str>,
    }
    let params = Params {
        sacsim_version: env!("CARGO_PKG_VERSION"),
        command: "series",
        series: spec,
        formats: formats.iter().map(|f| f.name()).collect(),
    };
    let pretty = |json: std::result::Result<String, serde_json::Error>| {
        json.expect("series index serialises") + "\n"
    };
    write_files(
        dir,
        vec![
            (
                "series.json".to_string(),
                pretty(serde_json::to_string_pretty(&index)),
            ),
            (
                "params.json".to_string(),
                pretty(serde_json::to_string_pretty(&params)),
            ),
        ],
    )?;
    Ok(index)
}
