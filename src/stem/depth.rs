//! Depth layers of depth-resolved incoherent imaging (docs/DECISIONS.md,
//! issue 15): which atoms share a defocus, and what that defocus is.

use super::incoherent::Imaging;
use crate::structure::Structure;

/// Thickness (Å) of the depth layers of depth-resolved imaging.
pub const DEPTH_LAYER: f64 = 2.0;

/// The atoms (indices) of each depth layer and the layer's defocus shift
/// (Å, added to the probe's defocus): z_mean − z_focus. Layers are
/// [`DEPTH_LAYER`] Å thick, counted down from the entrance surface (the
/// largest z); a layer's height is its atoms' mean z, so a single plane
/// of atoms (a monolayer, a DFT slab's metal layer) is exact. Depth-blind
/// imaging is one layer with shift 0.
pub fn depth_layers(structure: &Structure, imaging: &Imaging) -> Vec<(Vec<usize>, f64)> {
    let n = structure.atoms.len();
    if !imaging.depth_resolved || n == 0 {
        return vec![((0..n).collect(), 0.0)];
    }
    let z: Vec<f64> = structure.atoms.iter().map(|a| a.position.z).collect();
    let top = z.iter().copied().fold(f64::MIN, f64::max);
    let focus = imaging.focus.unwrap_or(top);
    let mut by_layer: std::collections::BTreeMap<u64, Vec<usize>> = Default::default();
    for (i, &zi) in z.iter().enumerate() {
        by_layer
            .entry(((top - zi) / DEPTH_LAYER).floor().max(0.0) as u64)
            .or_default()
            .push(i);
    }
    by_layer
        .into_values()
        .map(|atoms| {
            let mean = atoms.iter().map(|&i| z[i]).sum::<f64>() / atoms.len() as f64;
            (atoms, mean - focus)
        })
        .collect()
}
