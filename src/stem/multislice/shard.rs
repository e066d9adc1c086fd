//! A multislice scan split into shards and merged back. Each probe
//! position's signal depends on nothing but the structure and the
//! settings ([`Multislice::signals`]), so shard I of N computes a
//! contiguous block of positions and the merged blocks go through the same
//! interpolation and acquisition as an unsharded run: the merged image has
//! the unsharded bytes (`sacsim simulate --shard I/N`, `simulate merge`).

use std::ops::Range;

use super::Multislice;
use crate::error::{Error, Result};
use crate::stem::ImageModel;
use crate::stem::incoherent::{FineImage, Imaging, Plan, Scan};
use crate::structure::Structure;
use crate::values::Shard;

/// The probe positions (row-major over the scan) of `shard` among
/// `total`: contiguous blocks whose sizes differ by at most one.
pub fn shard_positions(shard: Shard, total: usize) -> Range<usize> {
    total * shard.index / shard.count..total * (shard.index + 1) / shard.count
}

/// A multislice whose scan signals are already known (merged shards):
/// plans as the multislice does, renders from the given signals.
#[derive(Debug, Clone, Copy)]
pub struct Merged<'a> {
    /// The settings the shards ran with.
    pub multislice: &'a Multislice,
    /// Every scan position's signal, in scan order.
    pub signals: &'a [f64],
}

impl ImageModel for Merged<'_> {
    fn name(&self) -> &'static str {
        self.multislice.name()
    }

    fn plan(
        &self,
        structure: &Structure,
        imaging: &Imaging,
        scan: &Scan,
        refine: usize,
    ) -> Result<Plan> {
        let plan = self.multislice.plan(structure, imaging, scan, refine)?;
        let total = self.multislice.scan_positions(structure, imaging, &plan);
        if total != self.signals.len() {
            return Err(Error::invalid(
                "shards",
                format!(
                    "hold {} probe positions but this scan has {total}: they were computed for other settings",
                    self.signals.len()
                ),
            ));
        }
        Ok(plan)
    }

    fn render(&self, structure: &Structure, imaging: &Imaging, plan: &Plan) -> FineImage {
        self.multislice
            .image_from_signals(structure, imaging, plan, self.signals)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_position_once() {
        for total in [0, 1, 7, 100, 1001] {
            for count in 1..9 {
                let mut next = 0;
                for index in 0..count {
                    let r = shard_positions(Shard { index, count }, total);
                    assert_eq!(r.start, next);
                    assert!(r.len() <= total / count + 1 && r.len() >= total / count);
                    next = r.end;
                }
                assert_eq!(next, total);
            }
        }
    }
}
