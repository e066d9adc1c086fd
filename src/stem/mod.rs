//! HAADF-STEM imaging: probe optics, detector-integrated cross sections,
//! the incoherent image model, noise and scan artefacts.

pub mod fft;
pub mod incoherent;
pub mod noise;
pub mod optics;
pub mod probe;
pub mod scattering;
pub mod truth;

use std::collections::BTreeMap;

use crate::error::Result;
use crate::structure::Structure;

use incoherent::{Image, Imaging, Plan, Scan};
use noise::Acquisition;

/// A finished simulation: the clean image, the acquired one, and how.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// The noise-free image (fraction of the incident beam).
    pub clean: Image,
    /// The acquired image (counts with a dose, else fraction); equal to
    /// `clean` when acquisition adds nothing.
    pub image: Image,
    /// The grids used.
    pub plan: Plan,
    /// Cross section of each element present (Å²).
    pub cross_sections: BTreeMap<String, f64>,
}

/// Simulate and acquire an image of a structure.
pub fn acquire_image(
    structure: &Structure,
    imaging: &Imaging,
    scan: &Scan,
    acquisition: &Acquisition,
) -> Result<Simulation> {
    acquisition.validate()?;
    let plan = incoherent::plan(
        structure,
        imaging,
        scan,
        if acquisition.distorts() { 2 } else { 1 },
    )?;
    let fine = incoherent::render(structure, imaging, &plan);
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
        plan,
        cross_sections,
    })
}
