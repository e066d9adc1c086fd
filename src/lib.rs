//! # sacsim
//!
//! Single- and dual-atom metal catalysts in N-doped graphene: DFT-ready
//! models (POSCAR, extended XYZ, CIF), and the analysis of their geometry.
//!
//! ```
//! use sacsim::model::{Preset, ModelSpec};
//!
//! let spec = ModelSpec::from_preset(Preset::from_name("l-co1mn1-nc").unwrap());
//! let model = sacsim::model::build_model(&spec).unwrap();
//! assert_eq!(model.structure.formula(), "C62CoMnN6");
//! ```
//!
//! Units: lengths in Å, angles in degrees, magnetic moments in µB.
//! Layers (imports point down): `export` (orchestration) -> `build`, `io`,
//! `analysis` -> `structure`.

#![deny(missing_docs)]

pub mod analysis;
pub mod config;
pub mod dataset;
pub mod error;
pub mod fft;
pub mod io;
#[cfg(feature = "net")]
pub mod learn;
pub mod limits;
pub mod model;
pub mod output;
pub mod run;
pub mod stem;
pub mod structure;
pub mod twin;
pub mod values;

pub use error::{Error, Result};
pub use structure::{Atom, Element, ImageFrame, Lattice, Structure};
