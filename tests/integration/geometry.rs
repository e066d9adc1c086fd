//! The science of the built models: compositions, coordination, bond
//! lengths (unrelaxed, a = 2.46 Å), no clashes, periodic-image distances.

use sacsim::analysis::neighbors::min_distance;
use sacsim::model::{GrapheneCell, ModelSpec, Motif, PRESETS, Preset, build_model};
use sacsim::structure::{Element, Structure};

/// Unrelaxed M-N distance for a metal at a removed-bond midpoint:
/// a·√84/12 with a = 2.46 Å.
const M_N: f64 = 1.879;
const M_M: f64 = 2.46;

fn n_within(s: &Structure, i: usize, r: f64) -> Vec<f64> {
    s.neighbors_within(i, r)
        .into_iter()
        .filter(|n| s.atoms[n.index].element == Element::N)
        .map(|n| n.distance)
        .collect()
}

fn count(s: &Structure, e: Element) -> usize {
    s.atoms.iter().filter(|a| a.element == e).count()
}

#[test]
fn every_preset_has_the_paper_geometry() {
    for preset in PRESETS {
        let model = build_model(&ModelSpec::from_preset(preset)).unwrap();
        let s = &model.structure;
        let metals = s.metal_indices();
        let (n_metal, n_n, n_c) = match preset.motif {
            Motif::MN4 => (1, 4, 72 - 2 - 4),
            Motif::M2N6Bridged | Motif::M2N6Low => (2, 6, 72 - 4 - 6),
            _ => unreachable!(),
        };
        assert_eq!(metals.len(), n_metal, "{}", preset.name);
        assert_eq!(count(s, Element::N), n_n, "{}", preset.name);
        assert_eq!(count(s, Element::C), n_c, "{}", preset.name);
        let mut metal_elements: Vec<Element> = metals.iter().map(|&m| s.atoms[m].element).collect();
        let mut want = preset.metals.to_vec();
        metal_elements.sort();
        want.sort();
        assert_eq!(metal_elements, want, "{}", preset.name);

        let want_n = if preset.motif == Motif::M2N6Low { 3 } else { 4 };
        for &m in &metals {
            let ns = n_within(s, m, 2.2);
            assert_eq!(ns.len(), want_n, "{}: N count of metal {m}", preset.name);
            assert!(
                ns.iter().all(|d| (d - M_N).abs() < 1e-3),
                "{}: M-N {ns:?}",
                preset.name
            );
        }
        if metals.len() == 2 {
            let d = s.distance(metals[0], metals[1]);
            assert!((d - M_M).abs() < 1e-3, "{}: M-M {d}", preset.name);
        }
        let closest = min_distance(s).unwrap().distance;
        assert!(closest >= 1.3, "{}: atoms {closest} Å apart", preset.name);
        assert!(
            sacsim::model::site_image_distance(s) >= 12.0,
            "{}",
            preset.name
        );
    }
}

#[test]
fn low_coordinated_pair_has_its_next_n_at_2_56() {
    let s = build_model(&ModelSpec::from_preset(
        Preset::from_name("l-co1mn1-nc").unwrap(),
    ))
    .unwrap()
    .structure;
    for m in s.metal_indices() {
        let ns = n_within(&s, m, 3.0);
        // Three bonded N at 1.879, then the second-shell N at a·√156/12.
        let next = 2.46 * 156f64.sqrt() / 12.0;
        assert!(ns.iter().skip(3).any(|d| (d - next).abs() < 1e-3), "{ns:?}");
        assert!((next - 2.56).abs() < 5e-3);
    }
}

#[test]
fn bridged_pair_shares_two_n() {
    let s = build_model(&ModelSpec::from_preset(
        Preset::from_name("co1mn1-nc").unwrap(),
    ))
    .unwrap()
    .structure;
    let m = s.metal_indices();
    let shell = |i| -> Vec<usize> {
        s.neighbors_within(i, 2.2)
            .into_iter()
            .filter(|n| s.atoms[n.index].element == Element::N)
            .map(|n| n.index)
            .collect()
    };
    let (a, b) = (shell(m[0]), shell(m[1]));
    assert_eq!(a.iter().filter(|i| b.contains(i)).count(), 2);
}

#[test]
fn every_motif_in_every_orientation_and_both_cells() {
    for motif in Motif::ALL.into_iter().filter(|m| *m != Motif::Pristine) {
        let metals = vec![Element::CO; motif.metal_count()];
        for orientation in 0..3 {
            for cell in [
                GrapheneCell::hexagonal(9, 9),
                GrapheneCell::rectangular(8, 5),
            ] {
                let mut spec = ModelSpec::new(motif, metals.clone());
                spec.cell = cell;
                spec.orientation = orientation;
                let s = build_model(&spec)
                    .unwrap_or_else(|e| panic!("{motif} o{orientation}: {e}"))
                    .structure;
                let per_metal = motif.nitrogen_per_metal();
                for m in s.metal_indices() {
                    let bonded: Vec<_> = s
                        .neighbors_within(m, 2.2)
                        .into_iter()
                        .filter(|n| !s.atoms[n.index].element.is_metal())
                        .collect();
                    let n_count = bonded
                        .iter()
                        .filter(|n| s.atoms[n.index].element == Element::N)
                        .count();
                    assert_eq!(
                        n_count, per_metal,
                        "{motif} o{orientation} {:?}",
                        cell.shape
                    );
                    if motif == Motif::MN3 {
                        // Lifted to the target M-N distance above the vacancy.
                        assert!(bonded.iter().all(|n| (n.distance - 1.879).abs() < 1e-9));
                        let z_metal = s.atoms[m].position.z;
                        let z_n = s.atoms[bonded[0].index].position.z;
                        let h = (1.879f64.powi(2) - (2.46f64 / 3f64.sqrt()).powi(2)).sqrt();
                        assert!((z_metal - z_n - h).abs() < 1e-9);
                    } else {
                        // Every neighbour at 1.879: the N, and for MN3C1 one C.
                        let want = if motif == Motif::MN3C1 { 4 } else { per_metal };
                        assert_eq!(bonded.len(), want, "{motif}");
                        assert!(bonded.iter().all(|n| (n.distance - M_N).abs() < 1e-3));
                    }
                }
                assert!(min_distance(&s).unwrap().distance > 1.3);
                let atoms_removed = motif.recipe().remove.len();
                assert_eq!(
                    s.len(),
                    cell.atom_count() - atoms_removed + motif.metal_count()
                );
            }
        }
    }
}

#[test]
fn m1m2_n8_sites_are_4_92_apart_with_no_shared_n_and_no_n_n_bond() {
    let mut spec = ModelSpec::new(Motif::M1M2N8, vec![Element::CO, Element::MN]);
    spec.cell = GrapheneCell::hexagonal(8, 8);
    let s = build_model(&spec).unwrap().structure;
    let m = s.metal_indices();
    assert!((s.distance(m[0], m[1]) - 4.92).abs() < 1e-9);
    let n: Vec<usize> = (0..s.len())
        .filter(|&i| s.atoms[i].element == Element::N)
        .collect();
    assert_eq!(n.len(), 8);
    for &i in &n {
        for &j in &n {
            if i < j {
                assert!(s.distance(i, j) > 1.6, "N-N bond");
            }
        }
    }
}

#[test]
fn vacuum_and_lattice_constant_are_honoured() {
    let mut spec = ModelSpec::from_preset(Preset::from_name("co1-nc").unwrap());
    spec.cell.a = 2.50;
    spec.cell.vacuum = 15.0;
    let s = build_model(&spec).unwrap().structure;
    let l = s.lattice.lengths();
    assert!((l[0] - 15.0).abs() < 1e-9 && (l[2] - 15.0).abs() < 1e-9);
    let m = s.metal_indices()[0];
    let ns = n_within(&s, m, 2.2);
    assert!(
        ns.iter()
            .all(|d| (d - 2.50 * 84f64.sqrt() / 12.0).abs() < 1e-9)
    );
    // Flat model: the sheet sits mid-cell.
    assert!(s.atoms.iter().all(|a| (a.position.z - 7.5).abs() < 1e-9));
}

#[test]
fn fix_beyond_freezes_exactly_the_far_atoms() {
    let mut spec = ModelSpec::from_preset(Preset::from_name("l-co1mn1-nc").unwrap());
    spec.fix_beyond = Some(4.0);
    let s = build_model(&spec).unwrap().structure;
    let metals = s.metal_indices();
    for i in 0..s.len() {
        let near = metals.iter().any(|&m| s.distance(i, m) <= 4.0);
        assert_eq!(s.atoms[i].free, [near; 3]);
    }
    assert!(
        s.atoms.iter().any(|a| a.free == [false; 3]) && s.atoms.iter().any(|a| a.free == [true; 3])
    );
}

#[test]
fn pristine_sheet_matches_ase_graphene_order_and_positions() {
    // ase.build.graphene(a=2.46, size=(2, 2, 1), vacuum=10.0), positions as
    // ASE prints them (extended XYZ, 8 decimals).
    let ase = [
        [0.0, 0.0],
        [1.23, 0.71014083],
        [-1.23, 2.13042249],
        [0.0, 2.84056332],
        [2.46, 0.0],
        [3.69, 0.71014083],
        [1.23, 2.13042249],
        [2.46, 2.84056332],
    ];
    let s = GrapheneCell::hexagonal(2, 2).sheet();
    for (atom, want) in s.atoms.iter().zip(ase) {
        assert!(
            (atom.position.x - want[0]).abs() < 1e-8 && (atom.position.y - want[1]).abs() < 1e-8
        );
        assert!((atom.position.z - 10.0).abs() < 1e-12);
    }
}
