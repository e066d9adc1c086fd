//! Building models: graphene supercells, metal-site motifs and named presets.

mod graphene;
mod model;
mod motif;
mod preset;
pub mod sample;
mod site;

pub use graphene::{CellShape, DEFAULT_A, DEFAULT_VACUUM, GrapheneCell, Site, Sublattice};
pub use model::{
    DEFAULT_MN3_DISTANCE, MIN_SITE_IMAGE_DISTANCE, Model, ModelSpec, build_model,
    site_image_distance,
};
pub use motif::{Motif, Placement, Recipe};
pub use preset::{PRESETS, Preset};
pub use site::{ResolvedSite, SitePlacement, resolve_site};
