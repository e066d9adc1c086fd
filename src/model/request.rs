//! What a user asks `sacsim build` for, before it is resolved into a
//! [`ModelSpec`]: one set of options and one resolution for the CLI and
//! the Python package (`sacsim.build`), so both make the same model.

use crate::error::{Error, Result};
use crate::structure::Element;

use super::{
    AdsorbateSpec, DEFAULT_A, DEFAULT_MN3_DISTANCE, DEFAULT_VACUUM, GrapheneCell, ModelSpec, Motif,
    PRESETS, Preset,
};

/// The options of `sacsim build` (its flags, typed); `Default` is the
/// CLI's defaults.
#[derive(Clone, Debug)]
pub struct BuildRequest {
    /// A named model (conflicts with `motif`).
    pub preset: Option<Preset>,
    /// A site motif (with `metals`).
    pub motif: Option<Motif>,
    /// Metals of the motif in placement order.
    pub metals: Vec<Element>,
    /// Hexagonal supercell n x m of the primitive cell (default the preset's
    /// or 6 x 6).
    pub cell: Option<[usize; 2]>,
    /// Rectangular supercell: n·a along x, m·a·√3 along y.
    pub rect: Option<[usize; 2]>,
    /// Vacuum gap along z (Å).
    pub vacuum: f64,
    /// Graphene lattice constant (Å).
    pub a: f64,
    /// In-plane orientation of the motif: 0, 1, 2.
    pub orientation: u8,
    /// Target M-N distance of the out-of-plane MN3 motif (Å).
    pub mn3_distance: f64,
    /// Freeze atoms farther than this from every metal (Å).
    pub fix_beyond: Option<f64>,
    /// Accept a site closer than 12 Å to its periodic images.
    pub allow_small: bool,
    /// A reaction intermediate ADS@SITE.
    pub adsorbate: Option<AdsorbateSpec>,
    /// Height of the adsorbate's binding atom (Å; default the library's).
    pub adsorbate_height: Option<f64>,
    /// Rotation of the adsorbate about the surface normal (degrees).
    pub adsorbate_rotation: f64,
    /// Selective dynamics by bonded shells around the metals.
    pub free_shells: Option<usize>,
    /// Model name (file stem, POSCAR title).
    pub name: Option<String>,
}

impl Default for BuildRequest {
    fn default() -> Self {
        BuildRequest {
            preset: None,
            motif: None,
            metals: Vec::new(),
            cell: None,
            rect: None,
            vacuum: DEFAULT_VACUUM,
            a: DEFAULT_A,
            orientation: 0,
            mn3_distance: DEFAULT_MN3_DISTANCE,
            fix_beyond: None,
            allow_small: false,
            adsorbate: None,
            adsorbate_height: None,
            adsorbate_rotation: 0.0,
            free_shells: None,
            name: None,
        }
    }
}

impl BuildRequest {
    /// A request for a preset name or, failing that, a motif name (the
    /// Python package's single positional argument).
    pub fn named(name: &str) -> Result<BuildRequest> {
        let mut request = BuildRequest::default();
        match (Preset::from_name(name), Motif::from_name(name)) {
            (Ok(p), _) => request.preset = Some(p),
            (_, Ok(m)) => request.motif = Some(m),
            _ => return Err(Self::neither(name)),
        }
        Ok(request)
    }

    fn neither(what: &str) -> Error {
        Error::invalid(
            "PRESET",
            format!(
                "{what}: name a preset ({}) or a motif with its metals (motifs: {})",
                PRESETS.map(|p| p.name).join(", "),
                Motif::ALL.map(|m| m.name()).join(", ")
            ),
        )
    }

    /// The model these options describe, every option checked.
    pub fn spec(&self) -> Result<ModelSpec> {
        let mut spec = match (self.preset, self.motif) {
            (Some(p), None) => {
                if !self.metals.is_empty() {
                    return Err(Error::invalid(
                        "metals",
                        format!(
                            "preset {} has its own metals; give them with a motif",
                            p.name
                        ),
                    ));
                }
                ModelSpec::from_preset(p)
            }
            (None, Some(m)) => ModelSpec::new(m, self.metals.clone()),
            _ => return Err(Self::neither("no model")),
        };
        spec.cell = match (self.cell, self.rect) {
            (Some(_), Some(_)) => {
                return Err(Error::invalid(
                    "cell",
                    "give a hexagonal cell or a rect, not both",
                ));
            }
            (_, Some([n, m])) => GrapheneCell::rectangular(n, m),
            (Some([n, m]), None) => GrapheneCell::hexagonal(n, m),
            (None, None) => spec.cell,
        };
        spec.cell.a = self.a;
        spec.cell.vacuum = self.vacuum;
        spec.orientation = self.orientation;
        spec.mn3_distance = self.mn3_distance;
        spec.allow_small = self.allow_small;
        if self.fix_beyond.is_some() && self.free_shells.is_some() {
            return Err(Error::invalid(
                "fix_beyond",
                "selective dynamics by distance or by bonded shells (free_shells), not both",
            ));
        }
        spec.fix_beyond = self.fix_beyond;
        spec.free_shells = self.free_shells;
        match &self.adsorbate {
            Some(ads) => {
                let mut ads = *ads;
                ads.height = self.adsorbate_height;
                ads.rotation = self.adsorbate_rotation;
                spec.name = format!("{}-{}-{}", spec.name, ads.adsorbate, ads.site);
                spec.adsorbate = Some(ads);
            }
            None if self.adsorbate_height.is_some() || self.adsorbate_rotation != 0.0 => {
                return Err(Error::invalid(
                    "adsorbate_height",
                    "an adsorbate height or rotation needs an adsorbate",
                ));
            }
            None => {}
        }
        if let Some(name) = &self.name {
            if name.is_empty() || name.contains(['/', '\\']) {
                return Err(Error::invalid(
                    "--name",
                    format!("'{name}': use a plain file stem without path separators"),
                ));
            }
            spec.name = name.clone();
        }
        Ok(spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_a_preset_or_a_motif() {
        let preset = BuildRequest::named("l-co1mn1-nc").unwrap();
        assert_eq!(preset.spec().unwrap().metals.len(), 2);
        let mut motif = BuildRequest::named("mn4").unwrap();
        motif.metals = vec![Element::from_symbol("Fe").unwrap()];
        assert_eq!(motif.spec().unwrap().motif, Motif::MN4);
        let err = BuildRequest::named("co9-nc").unwrap_err().to_string();
        assert!(
            err.contains("l-co1mn1-nc") && err.contains("m2n6-bridged"),
            "{err}"
        );
    }

    #[test]
    fn conflicting_options_are_refused() {
        let mut r = BuildRequest::named("co1-nc").unwrap();
        r.cell = Some([5, 5]);
        r.rect = Some([5, 3]);
        assert!(r.spec().is_err());
        let mut r = BuildRequest::named("co1-nc").unwrap();
        r.adsorbate_height = Some(2.0);
        assert!(r.spec().is_err());
        let mut r = BuildRequest::named("co1-nc").unwrap();
        r.metals = vec![Element::from_symbol("Mn").unwrap()];
        assert!(r.spec().is_err());
    }
}
