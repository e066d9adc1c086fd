//! Building models: graphene supercells, metal-site motifs and named presets.

pub mod adsorbate;
mod graphene;
mod motif;
mod preset;
mod request;
pub mod sample;
mod site;
mod slab;

pub use adsorbate::{Adsorbate, AdsorbateSpec, BindingSite, Reaction};
pub use graphene::{CellShape, DEFAULT_A, DEFAULT_VACUUM, GrapheneCell, Site, Sublattice};
pub use motif::{Motif, Placement, Recipe};
pub use preset::{PRESETS, Preset};
pub use request::BuildRequest;
pub use site::{ResolvedSite, SitePlacement, resolve_site};
pub use slab::{
    DEFAULT_FREE_SHELLS, DEFAULT_MN3_DISTANCE, MIN_SITE_IMAGE_DISTANCE, Model, ModelSpec,
    bonded_shells, build_model, site_image_distance,
};
