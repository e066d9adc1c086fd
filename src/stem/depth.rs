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

/// Defocus spacing (Å) of the interpolation nodes when there are more than
/// [`EXACT_LAYERS`] layers: an eighth of the 80 kV / 30 mrad depth of field
/// λ/α² = 46 Å, where the probe's transfer is linear in defocus to ~0.3 %.
pub const NODE_STEP: f64 = 6.0;
/// Up to this many layers, each is imaged at its own defocus exactly.
pub const EXACT_LAYERS: usize = 4;

/// The defocus shifts at which the probe transfer is computed, each with
/// the atoms imaged through it and their weights. Few layers: one node
/// per layer, weight 1 (exact). More: nodes every [`NODE_STEP`] Å over
/// the layers' range, each layer's atoms shared between the two nodes
/// around its shift by linear interpolation. The image is linear in the
/// transfer, so Σ_layers G_l T(Δ_l) ≈ Σ_nodes T(Δ_n) Σ_l w_ln G_l costs one
/// FFT per node instead of one per layer.
pub fn defocus_nodes(layers: Vec<(Vec<usize>, f64)>) -> Vec<(f64, Vec<(usize, f32)>)> {
    if layers.len() <= EXACT_LAYERS {
        return layers
            .into_iter()
            .map(|(atoms, shift)| (shift, atoms.into_iter().map(|i| (i, 1.0)).collect()))
            .collect();
    }
    let lo = layers.iter().map(|l| l.1).fold(f64::MAX, f64::min);
    let hi = layers.iter().map(|l| l.1).fold(f64::MIN, f64::max);
    let n = ((hi - lo) / NODE_STEP).ceil() as usize + 1;
    let step = (hi - lo) / (n - 1) as f64;
    let mut nodes: Vec<(f64, Vec<(usize, f32)>)> =
        (0..n).map(|k| (lo + k as f64 * step, Vec::new())).collect();
    for (atoms, shift) in layers {
        let t = ((shift - lo) / step).clamp(0.0, (n - 1) as f64);
        let a = (t.floor() as usize).min(n - 2);
        let frac = (t - a as f64) as f32;
        for i in atoms {
            if frac < 1.0 {
                nodes[a].1.push((i, 1.0 - frac));
            }
            if frac > 0.0 {
                nodes[a + 1].1.push((i, frac));
            }
        }
    }
    nodes.retain(|n| !n.1.is_empty());
    nodes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_are_exact_for_few_layers_and_interpolate_linearly_for_many() {
        let few = vec![(vec![0, 1], 0.0), (vec![2], -37.0)];
        let nodes = defocus_nodes(few);
        assert_eq!(nodes.len(), 2);
        assert_eq!(nodes[1], (-37.0, vec![(2, 1.0)]));
        // 26 layers 2 Å apart (a 5 nm support): nodes every ≤ 6 Å; each
        // atom's weights sum to 1 and reproduce its layer's shift.
        let many: Vec<(Vec<usize>, f64)> = (0..26).map(|k| (vec![k], -2.0 * k as f64)).collect();
        let nodes = defocus_nodes(many);
        assert!(nodes.len() <= 10, "{}", nodes.len());
        for atom in 0..26 {
            let (mut w, mut shift) = (0.0f64, 0.0f64);
            for (s, atoms) in &nodes {
                for &(i, wi) in atoms {
                    if i == atom {
                        w += wi as f64;
                        shift += wi as f64 * s;
                    }
                }
            }
            assert!((w - 1.0).abs() < 1e-6, "atom {atom}: {w}");
            assert!(
                (shift + 2.0 * atom as f64).abs() < 1e-4,
                "atom {atom}: {shift}"
            );
        }
    }
}
