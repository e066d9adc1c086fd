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

/// One atom's slab of slices: slice s spans heights (faces[s + 1],
/// faces[s]], the outer faces open; every slice reaches the atom.
fn finite_slices(
    d: &super::finite::Decomposition,
    element: Element,
    at: [f64; 3],
    faces: &[f64],
) -> Vec<Vec<super::potential::Term>> {
    let n = faces.len() - 1;
    let home = (0..n)
        .find(|&s| at[2] <= faces[s] && at[2] > faces[s + 1])
        .unwrap();
    let slabs = (0..n).map(|s| vec![(element, at, s == home)]).collect();
    let bounds = |s: usize| ((s + 1 < n).then(|| faces[s + 1]), (s > 0).then(|| faces[s]));
    super::finite::slab_terms(d, slabs, &bounds)
}

/// The finite projections of one atom into a stack of 1 Å slices add up
/// to its infinite projection (both parameterisations).
#[test]
fn finite_slices_add_up_to_the_infinite_projection() {
    use super::finite::Decomposition;
    use super::potential::{infinite_terms, potentials_of};
    let grid = Grid {
        n: [256, 256],
        h: [0.04, 0.04],
        origin: [0.0, 0.0],
    };
    let at = [5.133, 5.099, 0.3];
    for p in [Parametrization::Kirkland, Parametrization::Lobato] {
        let d = Decomposition::new(&[Element::CO], p);
        let terms = finite_slices(&d, Element::CO, at, &[1.5, 0.5, -0.5, -1.5]);
        let core = |e, q| d.core(e, q);
        let slices = potentials_of(&grid, &terms, &core);
        let mut whole = SliceAtoms::new();
        whole.insert(Element::CO, vec![[at[0], at[1]]]);
        let table = |e, q| p.scattering_factor(e, q);
        let infinite = potentials_of(&grid, &infinite_terms(vec![whole]), &table).remove(0);
        let peak = infinite.iter().cloned().fold(0f32, f32::max);
        let worst = (0..infinite.len())
            .map(|i| (slices.iter().map(|s| s[i]).sum::<f32>() - infinite[i]).abs())
            .fold(0f32, f32::max);
        assert!(worst < 2e-5 * peak, "{p}: sum differs by {worst} of {peak}");
        // Each slice holds a real share: the atom's own slice most of it.
        let sums: Vec<f32> = slices.iter().map(|s| s.iter().sum()).collect();
        let total: f32 = sums.iter().sum();
        assert!(
            sums[1] / total > 0.6 && sums[0] / total > 0.05,
            "{p}: {sums:?}"
        );
    }
}

/// An atom in the middle of a 1 Å slice: the slice's potential is the
/// integral of Kirkland's 3D potential between the faces (Simpson in z,
/// Kirkland 2010 eq. C.15), up to the same band-limit ringing by which the
/// infinite projection differs from its closed form (eq. C.19), and well
/// below the infinite projection away from the nucleus.
#[test]
fn a_finite_slice_integrates_the_potential_between_its_faces() {
    use super::finite::Decomposition;
    use super::potential::{infinite_terms, potentials_of};
    use crate::stem::scattering::{kirkland_terms, projected_potential};
    let grid = Grid {
        n: [256, 256],
        h: [0.04, 0.04],
        origin: [0.0, 0.0],
    };
    let (element, half) = (Element::CO, 0.5);
    let at = [5.12, 5.12, 0.0];
    let d = Decomposition::new(&[element], Parametrization::Kirkland);
    let terms = finite_slices(&d, element, at, &[1.5, half, -half, -1.5]);
    let core = |e, q| d.core(e, q);
    let finite = potentials_of(&grid, &terms, &core).remove(1);
    let mut whole = SliceAtoms::new();
    whole.insert(element, vec![[at[0], at[1]]]);
    let table = |e, q| Parametrization::Kirkland.scattering_factor(e, q);
    let infinite = potentials_of(&grid, &infinite_terms(vec![whole]), &table).remove(0);
    let pi = std::f64::consts::PI;
    let a0e = 0.529_177_210_9 * 14.399_645;
    let k = kirkland_terms(element);
    let v3d = |r: f64| -> f64 {
        (0..3)
            .map(|i| {
                2.0 * pi * pi * a0e * k.a[i] * (-2.0 * pi * r * k.b[i].sqrt()).exp() / r
                    + 2.0
                        * pi.powf(2.5)
                        * a0e
                        * k.c[i]
                        * k.d[i].powf(-1.5)
                        * (-pi * pi * r * r / k.d[i]).exp()
            })
            .sum()
    };
    for points in [10usize, 15, 20, 30, 40] {
        let rho = points as f64 * grid.h[0];
        let n = 4000;
        let h = 2.0 * half / n as f64;
        let exact: f64 = (0..=n)
            .map(|i| {
                let z = -half + i as f64 * h;
                let w = if i == 0 || i == n {
                    1.0
                } else {
                    2.0 + 2.0 * (i % 2) as f64
                };
                w * v3d((rho * rho + z * z).sqrt())
            })
            .sum::<f64>()
            * h
            / 3.0;
        let index = 128 * 256 + 128 + points;
        let (fin, inf) = (finite[index] as f64, infinite[index] as f64);
        // The grid's band limit rings (5 % at 0.4 Å), identically for both.
        let band_limit = inf - projected_potential(element, rho);
        assert!(
            ((fin - exact) - band_limit).abs() <= 2e-3 * exact + 1e-3,
            "ρ {rho} Å: finite {fin}, integral {exact}; infinite {inf} vs {}",
            projected_potential(element, rho)
        );
        if rho >= 1.0 {
            assert!(fin < 0.9 * inf, "ρ {rho}: {fin} vs infinite {inf}");
        }
    }
}

/// Frozen phonons draw each atom's displacement with its element's rms
/// (`--thermal 0.1,Co=0.04`): the sample rms per element recovers it.
#[test]
fn frozen_phonons_displace_each_element_by_its_own_rms() {
    use crate::structure::{Atom, Lattice, Structure};
    let mut atoms = Vec::new();
    for i in 0..2000 {
        let e = if i % 2 == 0 { Element::C } else { Element::CO };
        atoms.push(Atom::new(
            e,
            nalgebra::Vector3::new(i as f64 * 0.01, 1.0, 2.0),
        ));
    }
    let structure = Structure {
        title: String::new(),
        lattice: Lattice::new([[30.0, 0.0, 0.0], [0.0, 30.0, 0.0], [0.0, 0.0, 10.0]]).unwrap(),
        pbc: [true, true, false],
        atoms,
    };
    let mut imaging = Imaging::default_80kv();
    imaging.thermal_rms = "0.1,Co=0.04".parse().unwrap();
    let ms = super::Multislice {
        frozen_phonons: 2,
        seed: 7,
        ..Default::default()
    };
    for config in 0..2 {
        let moved = ms.displaced(&structure, &imaging, config);
        for (element, u) in [(Element::C, 0.1), (Element::CO, 0.04)] {
            let (mut sum2, mut n) = (0.0, 0);
            for ((e, p), a) in moved.iter().zip(&structure.atoms) {
                if *e == element {
                    let q = [a.position.x, a.position.y, a.position.z];
                    sum2 += (0..3).map(|k| (p[k] - q[k]).powi(2)).sum::<f64>();
                    n += 3;
                }
            }
            let rms = (sum2 / n as f64).sqrt();
            // 3000 draws: the sample rms is within 3 % (≈ 2.3 σ).
            assert!((rms / u - 1.0).abs() < 0.03, "{element}: {rms} vs {u}");
        }
    }
    // Configurations differ; a static element stays put.
    assert_ne!(
        ms.displaced(&structure, &imaging, 0),
        ms.displaced(&structure, &imaging, 1)
    );
    imaging.thermal_rms = "0.1,Co=0".parse().unwrap();
    let moved = ms.displaced(&structure, &imaging, 0);
    assert!(
        moved.iter().zip(&structure.atoms).all(
            |((e, p), a)| *e != Element::CO || p == &[a.position.x, a.position.y, a.position.z]
        )
    );
}
