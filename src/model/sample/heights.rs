//! Where everything sits in z: the sheets of each face and the support
//! between them, flat or following an amorphous support's shape.
//!
//! Before centring in the box: the bottom sheet (with two faces) at z = 0,
//! the support's base 3.35 Å above it (at 0 with one face), the top sheet
//! 3.35 Å above the support's top surface; without a support the two faces
//! are 3.35 Å apart.

use crate::error::{Error, Result};

use super::shape::Profile;
use super::spec::{INTERLAYER, SampleSpec, Support};
use super::support;

/// Sheet and support heights of one sample.
pub struct Heights {
    /// Base of the support (Å).
    z_support: f64,
    /// Top sheet height of a flat sample (Å).
    flat_top: f64,
    /// The amorphous support's shape laid out on the box.
    profile: Option<Profile>,
}

impl Heights {
    /// Heights for a spec on box `b` (Å) with `n_faces` sheets; a random
    /// thickness field draws from the seed's stream 4.
    /// `map` replaces an amorphous support's shape.
    pub fn new(spec: &SampleSpec, b: [f64; 2], n_faces: usize, map: Option<Profile>) -> Heights {
        let z_support = if n_faces == 2 { INTERLAYER } else { 0.0 };
        let (flat_top, profile) = match spec.support {
            Support::None => (z_support, None),
            Support::Layers { count } => (z_support + count as f64 * INTERLAYER, None),
            Support::Amorphous { shape, .. } => (
                0.0,
                Some(map.unwrap_or_else(|| Profile::new(&shape, b, &mut spec.rng(4)))),
            ),
        };
        Heights {
            z_support,
            flat_top,
            profile,
        }
    }

    /// Height (Å) of face `face`'s sheet (0 = top, 1 = bottom) at (x, y);
    /// None where it does not exist.
    pub fn sheet(&self, face: usize, x: f64, y: f64) -> Option<f64> {
        match &self.profile {
            Some(p) => p.sheet(face == 0, x, y).map(|h| self.z_support + h),
            None if face == 0 => Some(self.flat_top),
            None => Some(0.0),
        }
    }

    /// Probability that a site is kept at (x, y) on face `face`: 0 off the
    /// sheet, else the profile's weight (1 but on a measured map).
    pub fn site_acceptance(&self, face: usize, x: f64, y: f64) -> f64 {
        match (&self.profile, self.sheet(face, x, y)) {
            (_, None) => 0.0,
            (Some(p), Some(_)) => p.site_weight(x, y),
            (None, Some(_)) => 1.0,
        }
    }

    /// The share of the box the sheets cover.
    pub fn sheet_fraction(&self) -> f64 {
        self.profile.as_ref().map_or(1.0, Profile::sheet_fraction)
    }

    /// The support's atoms (the seed's stream 3).
    pub fn support_atoms(
        &self,
        spec: &SampleSpec,
        b: [f64; 2],
    ) -> Result<Vec<crate::structure::Atom>> {
        let mut rng = spec.rng(3);
        Ok(match (spec.support, &self.profile) {
            (Support::Amorphous { density_g_cm3, .. }, Some(p)) => {
                support::amorphous(b, self.z_support, p, density_g_cm3, &mut rng).map_err(|n| {
                    Error::invalid(
                        "--support-density",
                        format!(
                            "{density_g_cm3} g/cm³ does not fit at 1.3 Å spacing (placed {n} atoms)"
                        ),
                    )
                })?
            }
            (Support::Layers { count }, _) => (0..count)
                .flat_map(|k| {
                    let z = self.z_support + k as f64 * INTERLAYER;
                    support::graphene_layer(b, spec.a, z, &mut rng)
                })
                .collect(),
            _ => Vec::new(),
        })
    }
}
