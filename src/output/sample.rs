//! `sacsim sample` output: the structure (`sample.xyz`, `POSCAR` on
//! request), the ground truth (`sites.csv`, `sites.json`) and
//! `params.json` with everything needed to rebuild the sample exactly.
//!
//! `sites.csv` has one row per site: `site_id, kind, motif, face,
//! orientation, anchor_i, anchor_j, n_metals`, then for each of up to two
//! metals `element, x, y, z` (Å, wrapped into the box) and the atom's index
//! in `sample.xyz` (0-based). The XYZ `tags` column carries the site id on
//! each site's metals and N (0 elsewhere).

use std::fmt::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::io::Format;
use crate::model::sample::{DefectCounts, Sample, SampleSpec, SiteRecord};

use super::{listed, write_with_params};

/// The ground truth as CSV text.
pub fn sites_csv(sites: &[SiteRecord]) -> String {
    let mut out = String::from(
        "site_id,kind,motif,face,orientation,anchor_i,anchor_j,n_metals,metal1,x1_A,y1_A,z1_A,atom1,metal2,x2_A,y2_A,z2_A,atom2\n",
    );
    for s in sites {
        let _ = write!(
            out,
            "{},{},{},{},{},{},{},{}",
            s.id,
            s.kind,
            s.motif,
            s.face.name(),
            s.orientation,
            s.anchor.0,
            s.anchor.1,
            s.metals.len()
        );
        for k in 0..2 {
            match s.metals.get(k) {
                Some(m) => {
                    let _ = write!(
                        out,
                        ",{},{:.6},{:.6},{:.6},{}",
                        m.element, m.position[0], m.position[1], m.position[2], m.atom_index
                    );
                }
                None => out.push_str(",,,,,"),
            }
        }
        out.push('\n');
    }
    out
}

#[derive(Serialize)]
struct SitesJson<'a> {
    box_angstrom: [f64; 2],
    sites: &'a [SiteRecord],
}

#[derive(Serialize)]
struct Params<'a> {
    sacsim_version: &'static str,
    command: &'static str,
    sample: &'a SampleSpec,
    box_angstrom: [f64; 2],
    sheet_cell: [usize; 2],
    min_separation_angstrom: f64,
    sites: usize,
    atoms: usize,
    defects_per_face: &'a [DefectCounts],
    formats: Vec<&'static str>,
    files: Vec<String>,
}

/// Write a sample into `dir`; returns the files written.
pub fn write_sample(sample: &Sample, dir: &Path, formats: &[Format]) -> Result<Vec<PathBuf>> {
    if formats.is_empty() || formats.contains(&Format::Cif) {
        return Err(Error::invalid(
            "--format",
            "samples are written as xyz and/or poscar",
        ));
    }
    let mut files: Vec<(String, String)> = Vec::new();
    for &f in formats {
        files.push((f.file_name("sample"), f.render(&sample.structure)));
    }
    files.push(("sites.csv".into(), sites_csv(&sample.sites)));
    let json = SitesJson {
        box_angstrom: sample.box_angstrom,
        sites: &sample.sites,
    };
    files.push((
        "sites.json".into(),
        serde_json::to_string_pretty(&json).expect("serialise") + "\n",
    ));
    let cell = sample.spec.cell();
    let params = Params {
        sacsim_version: env!("CARGO_PKG_VERSION"),
        command: "sample",
        sample: &sample.spec,
        box_angstrom: sample.box_angstrom,
        sheet_cell: [cell.n, cell.m],
        min_separation_angstrom: sample.min_separation,
        sites: sample.sites.len(),
        atoms: sample.structure.len(),
        defects_per_face: &sample.defects,
        formats: formats.iter().map(|f| f.name()).collect(),
        files: listed(&files),
    };
    write_with_params(dir, files, &params)
}
