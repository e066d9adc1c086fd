//! HAADF-STEM imaging: probe optics, detector-integrated cross sections,
//! the incoherent image model, noise and scan artefacts.

pub mod compare;
pub mod depth;
pub mod image;
pub mod incoherent;
pub mod multislice;
pub mod noise;
pub mod optics;
pub mod parametrization;
pub mod probe;
pub mod scan;
pub mod scattering;
pub mod thermal;
pub mod truth;

use std::collections::BTreeMap;

use crate::error::Result;
use crate::structure::Structure;

use incoherent::{FineImage, Image, Imaging, Plan, Scan};
use noise::Acquisition;

/// A finished simulation: the clean image, the acquired one, and how.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// The noise-free image (fraction of the incident beam).
    pub clean: Image,
    /// The acquired image (counts with a dose, else fraction); equal to
    /// `clean` when acquisition adds nothing.
    pub image: Image,
    /// The optics, detector and cross sections used.
    pub imaging: Imaging,
    /// The grids used.
    pub plan: Plan,
    /// Cross section of each element present (Å²).
    pub cross_sections: BTreeMap<String, f64>,
}

/// How a structure becomes a noise-free image: the incoherent model
/// ([`Incoherent`]) today; a multislice engine implements the same trait.
/// Both take the same structure, optics, detector and scan, and return the
/// continuous image on a fine grid that acquisition then samples.
pub trait ImageModel: Sync {
    /// The name recorded in `params.json`.
    fn name(&self) -> &'static str;
    /// Choose the grids and size the request before any work (refuses what
    /// does not fit in memory). `refine`: how many times finer than the
    /// resolving spacing the fine grid must be (2 for distorted scans).
    fn plan(
        &self,
        structure: &Structure,
        imaging: &Imaging,
        scan: &Scan,
        refine: usize,
    ) -> Result<Plan>;
    /// The continuous noise-free image on the planned fine grid.
    fn render(&self, structure: &Structure, imaging: &Imaging, plan: &Plan) -> FineImage;
}

/// Kirkland's incoherent model ([`incoherent`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Incoherent;

impl ImageModel for Incoherent {
    fn name(&self) -> &'static str {
        "incoherent"
    }
    fn plan(
        &self,
        structure: &Structure,
        imaging: &Imaging,
        scan: &Scan,
        refine: usize,
    ) -> Result<Plan> {
        incoherent::plan(structure, imaging, scan, refine)
    }
    fn render(&self, structure: &Structure, imaging: &Imaging, plan: &Plan) -> FineImage {
        incoherent::render(structure, imaging, plan)
    }
}

/// Simulate and acquire an image of a structure with the incoherent model.
pub fn acquire_image(
    structure: &Structure,
    imaging: &Imaging,
    scan: &Scan,
    acquisition: &Acquisition,
) -> Result<Simulation> {
    acquire_with(&Incoherent, structure, imaging, scan, acquisition)
}

/// The plan `model` makes for imaging `structure` with this acquisition
/// (distorted scans need a grid twice as fine), settings validated.
pub fn plan_for(
    model: &dyn ImageModel,
    structure: &Structure,
    imaging: &Imaging,
    scan: &Scan,
    acquisition: &Acquisition,
) -> Result<incoherent::Plan> {
    acquisition.validate()?;
    imaging.validate()?;
    model.plan(
        structure,
        imaging,
        scan,
        if acquisition.distorts() { 2 } else { 1 },
    )
}

/// Simulate with `model` and acquire: plan, render, then the acquisition
/// (noise, scan distortions) of `acquisition`.
pub fn acquire_with(
    model: &dyn ImageModel,
    structure: &Structure,
    imaging: &Imaging,
    scan: &Scan,
    acquisition: &Acquisition,
) -> Result<Simulation> {
    let plan = plan_for(model, structure, imaging, scan, acquisition)?;
    let fine = model.render(structure, imaging, &plan);
    let clean = fine.sample();
    let acquired = noise::acquire(&fine, acquisition);
    let cross_sections = structure
        .composition()
        .keys()
        .map(|&e| {
            (
                e.symbol().to_string(),
                incoherent::cached_cross_section(e, imaging),
            )
        })
        .collect();
    Ok(Simulation {
        clean,
        image: acquired,
        imaging: imaging.clone(),
        plan,
        cross_sections,
    })
}
