//! Unit tests of the propagation itself.

use super::beam::Beam;
use super::potential::{Grid, SliceAtoms, transmissions};
use crate::stem::incoherent::Imaging;
use crate::stem::optics::interaction_parameter;
use crate::stem::parametrization::Parametrization;
use crate::structure::Element;

fn one_atom(grid: &Grid, element: Element) -> Vec<rustfft::num_complex::Complex<f32>> {
    let mut atoms = SliceAtoms::new();
    let centre = [
        grid.origin[0] + (grid.n[0] / 2) as f64 * grid.h[0] + 0.013,
        grid.origin[1] + (grid.n[1] / 2) as f64 * grid.h[1] - 0.021,
    ];
    atoms.insert(element, vec![centre]);
    let sigma = interaction_parameter(80.0);
    transmissions(grid, &[atoms], Parametrization::Kirkland, sigma, 2)
        .remove(0)
        .unwrap()
}

/// Empty slices are pure Fresnel propagation: a probe sent through k
/// empty slices of Δz onto an atom sees the atom exactly as a probe whose
/// defocus is k·Δz smaller, transmitted at once.
#[test]
fn empty_slices_propagate_like_a_change_of_defocus() {
    let grid = Grid {
        n: [160, 160],
        h: [0.06, 0.06],
        origin: [0.0, 0.0],
    };
    let t = one_atom(&grid, Element::CO);
    let imaging = Imaging::default_80kv();
    let (dz, k) = (2.0, 15);
    let mut through: Vec<_> = (0..k).map(|_| None).collect();
    through.push(Some(t.clone()));
    let propagated = Beam::new(&imaging, grid, dz, 0.0).signal(
        &through,
        grid.n,
        [0, 0],
        &mut Default::default(),
    );
    let defocused = Beam::new(&imaging, grid, dz, -(k as f64) * dz).signal(
        &[Some(t.clone())],
        grid.n,
        [0, 0],
        &mut Default::default(),
    );
    let focused = Beam::new(&imaging, grid, dz, 0.0).signal(
        &[Some(t)],
        grid.n,
        [0, 0],
        &mut Default::default(),
    );
    assert!(
        (propagated / defocused - 1.0).abs() < 1e-5,
        "{propagated} vs {defocused}"
    );
    // And the test can tell: 30 Å of defocus changes the signal.
    assert!(
        (focused / defocused - 1.0).abs() > 0.05,
        "{focused} vs {defocused}"
    );
}

/// Nothing is lost when the anti-aliasing aperture cuts nothing: the exit
/// wave carries the incident intensity.
#[test]
fn the_exit_wave_keeps_the_incident_intensity() {
    // 0.01 Å: the cutoff 1/(3h) lies at 1.4 rad, beyond any scattering
    // the Co core's phase produces.
    let grid = Grid {
        n: [512, 512],
        h: [0.01, 0.01],
        origin: [0.0, 0.0],
    };
    let imaging = Imaging::default_80kv();
    for element in [Element::C, Element::CO] {
        let t = one_atom(&grid, element);
        let slices = vec![Some(t.clone()), None, Some(t)];
        let total = Beam::new(&imaging, grid, 2.0, 0.0).exit_intensity(&slices, grid.n, [0, 0]);
        // Carbon scatters nothing beyond the cutoff; the Co core's phase,
        // log-singular at the nucleus, sends 1.8e-4 of the beam there.
        let cut = if element == Element::C { 0.0 } else { 1.8e-4 };
        assert!((total - 1.0 + cut).abs() < 1e-4, "{element:?}: {total}");
    }
}
