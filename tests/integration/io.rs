//! Readers and writers: round trips, the dialects readers must accept, and
//! errors that name file, line and expectation.

use std::path::Path;

use proptest::prelude::*;
use sacsim::io::{poscar, xyz};
use sacsim::model::{ModelSpec, PRESETS, build_model};
use sacsim::structure::{Atom, Element, Lattice, Structure};

fn p() -> &'static Path {
    Path::new("test.vasp")
}

fn same(a: &Structure, b: &Structure, tol: f64) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.atoms.iter().zip(&b.atoms) {
        assert_eq!(x.element, y.element);
        assert!(
            (x.position - y.position).norm() < tol,
            "{:?} vs {:?}",
            x.position,
            y.position
        );
        assert_eq!(x.free, y.free);
    }
    for k in 0..3 {
        assert!((a.lattice.vector(k) - b.lattice.vector(k)).norm() < tol);
    }
}

#[test]
fn poscar_read_write_round_trips_byte_for_byte() {
    for preset in PRESETS {
        let mut spec = ModelSpec::from_preset(preset);
        spec.fix_beyond = Some(5.0);
        let s = build_model(&spec).unwrap().structure;
        let text = poscar::to_string(&s);
        let back = poscar::parse(&text, p()).unwrap();
        same(&s, &back, 1e-10);
        assert_eq!(poscar::to_string(&back), text, "{}", preset.name);
        assert_eq!(back.title, preset.name);
    }
}

#[test]
fn xyz_read_write_round_trips() {
    let s = build_model(&ModelSpec::from_preset(PRESETS[3]))
        .unwrap()
        .structure;
    let text = xyz::to_string(&s);
    let back = xyz::parse(&text, Path::new("m.xyz")).unwrap();
    same(&s, &back, 1e-8);
    // A DFT cell is periodic in 3D, in the XYZ as in POSCAR and CIF.
    assert_eq!(back.pbc, [true; 3]);
    assert_eq!(
        back.atoms.iter().map(|a| a.site).collect::<Vec<_>>(),
        s.atoms.iter().map(|a| a.site).collect::<Vec<_>>()
    );
    assert_eq!(xyz::to_string(&back), text);
}

const VASP4_CARTESIAN: &str = "Co N C graphene-like\n  -1000.0\n 10 0 0\n 0 10 0\n 0 0 10\n 1 1 2\nSelective dynamics\nCartesian\n 1 1 1 T T F\n 2 1 1 f f t\n 3 1 1 T T T ! comment\n 4 1 1 T T T\n\n 0 0 0\n";

#[test]
fn vasp4_negative_scale_cartesian_selective() {
    let s = poscar::parse(VASP4_CARTESIAN, p()).unwrap();
    let symbols: Vec<&str> = s.atoms.iter().map(|a| a.element.symbol()).collect();
    assert_eq!(symbols, ["Co", "N", "C", "C"]);
    // Negative scale = volume 1000 Å³ on a 1000 Å³ cell: factor 1.
    assert!((s.lattice.volume() - 1000.0).abs() < 1e-9);
    assert!((s.atoms[1].position.x - 2.0).abs() < 1e-12);
    assert_eq!(s.atoms[0].free, [true, true, false]);
    assert_eq!(s.atoms[1].free, [false, false, true]);
}

#[test]
fn vasp5_scale_potcar_suffixes_and_velocities() {
    let text = "x\n2.0\n 1 0 0\n 0 1 0\n 0 0 1\n Co_pv Mn/1a2b\n 1 1\nDirect\n 0.5 0.5 0.5\n 0 0 0\n\n 0.1 0.2 0.3\n 0.1 0.2 0.3\n";
    let s = poscar::parse(text, p()).unwrap();
    assert_eq!(s.atoms[0].element, Element::CO);
    assert_eq!(s.atoms[1].element, Element::MN);
    assert!((s.atoms[0].position.x - 1.0).abs() < 1e-12);
    // Three scale factors (VASP 6) scale each axis.
    let text3 = "x\n2.0 3.0 4.0\n 1 0 0\n 0 1 0\n 0 0 1\n C\n 1\nDirect\n 0.5 0.5 0.5\n";
    let s3 = poscar::parse(text3, p()).unwrap();
    assert!((s3.atoms[0].position - nalgebra::Vector3::new(1.0, 1.5, 2.0)).norm() < 1e-12);
}

fn parse_error(text: &str) -> String {
    poscar::parse(text, p()).unwrap_err().to_string()
}

#[test]
fn malformed_poscar_errors_name_file_line_and_expectation() {
    let good = "t\n1.0\n 5 0 0\n 0 5 0\n 0 0 5\n C N\n 1 1\nDirect\n 0 0 0\n 0.5 0.5 0.5\n";
    assert!(poscar::parse(good, p()).is_ok());
    let cases = [
        (
            good.replace("1.0\n", "one\n"),
            "test.vasp:2: expected a scale factor",
        ),
        (
            good.replace(" 0 5 0\n", " 0 5\n"),
            "test.vasp:4: expected lattice vector 2 (three numbers)",
        ),
        (
            good.replace(" C N\n", " C Xx\n"),
            "test.vasp:6: expected element symbols",
        ),
        (
            good.replace(" 1 1\n", " 1\n"),
            "test.vasp:7: expected 2 atom counts",
        ),
        (
            good.replace("Direct", "Fractional"),
            "test.vasp:8: expected 'Direct' or 'Cartesian'",
        ),
        (
            good.replace(" 0.5 0.5 0.5\n", ""),
            "test.vasp:10: expected position 2 of 2: three numbers, found end of file",
        ),
        (
            good.replace("Direct\n 0 0 0\n", "Direct\n\n 0 0 0\n"),
            "test.vasp:9: expected position 1 of 2: three numbers, found an empty line",
        ),
        (
            good.replace("Direct", "Selective dynamics\nDirect")
                .replace(" 0 0 0\n", " 0 0 0 T T X\n"),
            "test.vasp:10: expected position 1 of 2: three numbers and three T/F flags",
        ),
        (
            "t\n1.0\n 5 0 0\n 0 5 0\n 0 0 5\n 1 1\nDirect\n".to_string(),
            "test.vasp:1: expected 2 element symbols",
        ),
        (
            String::new(),
            "test.vasp:1: expected a comment line, found end of file",
        ),
        (
            good.replace(" 1 1\n", " 1 99999999999999999\n"),
            "test.vasp:7: expected atom counts that the file holds positions for",
        ),
        (
            good.replace(" 1 1\n", " 18446744073709551615 1\n"),
            "test.vasp:7: expected atom counts that the file holds positions for",
        ),
    ];
    for (text, want) in cases {
        let got = parse_error(&text);
        assert!(got.starts_with(want), "got:  {got}\nwant: {want}");
    }
}

#[test]
fn malformed_xyz_errors() {
    let cases = [
        ("two\nx\n", "a.xyz:1: expected the number of atoms"),
        (
            "999999999999999\nx\nC 0 0 0\n",
            "a.xyz:4: expected atom 2 of 999999999999999",
        ),
        (
            "2\nLattice=\"1 0 0 0 1 0 0 0\" Properties=species:S:1:pos:R:3\nC 0 0 0\nC 1 1 1\n",
            "a.xyz:2: expected Lattice=\"ax ay az bx by bz cx cy cz\" (nine numbers)",
        ),
        ("2\n\nC 0 0 0\n", "a.xyz:4: expected atom 2 of 2"),
        (
            "1\n\nQq 0 0 0\n",
            "a.xyz:3: expected an element symbol or atomic number, found 'Qq'",
        ),
        (
            "1\n\nC 0 zero 0\n",
            "a.xyz:3: expected three Cartesian coordinates",
        ),
    ];
    for (text, want) in cases {
        let got = xyz::parse(text, Path::new("a.xyz"))
            .unwrap_err()
            .to_string();
        assert!(got.starts_with(want), "got:  {got}\nwant: {want}");
    }
}

#[test]
fn plain_xyz_is_read_without_a_cell() {
    let s = xyz::parse("2\nwater-ish\nO 0 0 0\n1 0.96 0 0\n", Path::new("a.xyz")).unwrap();
    assert_eq!(s.pbc, [false; 3]);
    assert_eq!(s.atoms[1].element, Element::from_symbol("H").unwrap());
    assert_eq!(s.title, "water-ish");
}

fn arb_structure() -> impl Strategy<Value = Structure> {
    let lattice =
        (3.0..30.0f64, 3.0..30.0f64, 3.0..30.0f64, -0.45..0.45f64).prop_map(|(a, b, c, skew)| {
            Lattice::new([[a, 0.0, 0.0], [skew * b, b, 0.0], [0.0, 0.0, c]]).unwrap()
        });
    let atoms = prop::collection::vec(
        (
            1u32..=86,
            prop::array::uniform3(0.0..1.0f64),
            prop::array::uniform3(any::<bool>()),
        ),
        1..40,
    );
    (lattice, atoms, "[a-zA-Z0-9 _-]{0,20}").prop_map(|(lattice, atoms, title)| {
        let atoms = atoms
            .into_iter()
            .map(|(z, f, free)| Atom {
                free,
                ..Atom::new(
                    Element::from_z(z).unwrap(),
                    lattice.to_cartesian(&nalgebra::Vector3::from(f)),
                )
            })
            .collect();
        let mut s = Structure {
            title,
            lattice,
            pbc: [true; 3],
            atoms,
        };
        s.sort_species();
        s
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    /// Whatever the structure, POSCAR and XYZ give it back.
    #[test]
    fn writers_and_readers_agree(s in arb_structure()) {
        let back = poscar::parse(&poscar::to_string(&s), p()).unwrap();
        prop_assert_eq!(back.len(), s.len());
        for (x, y) in s.atoms.iter().zip(&back.atoms) {
            prop_assert_eq!(x.element, y.element);
            prop_assert!((x.position - y.position).norm() < 1e-9);
            prop_assert_eq!(x.free, y.free);
        }
        let back = xyz::parse(&xyz::to_string(&s), Path::new("p.xyz")).unwrap();
        for (x, y) in s.atoms.iter().zip(&back.atoms) {
            prop_assert_eq!(x.element, y.element);
            prop_assert!((x.position - y.position).norm() < 1e-7);
        }
    }

    /// Arbitrary bytes never panic the parsers; they parse or explain.
    #[test]
    fn parsers_never_panic(text in "(?s).{0,400}") {
        let _ = poscar::parse(&text, p());
        let _ = xyz::parse(&text, Path::new("p.xyz"));
    }

    /// Corrupting one line of a valid POSCAR gives an error naming a line
    /// of the file, or a structure; never a panic.
    #[test]
    fn corrupted_poscar_errors_point_inside_the_file(line in 0usize..12, junk in "[a-zA-Z!#]{1,8}") {
        let good = "t\n1.0\n 5 0 0\n 0 5 0\n 0 0 5\n C N\n 1 1\nSelective dynamics\nDirect\n 0 0 0 T T T\n 0.5 0.5 0.5 F F F\n";
        let mut lines: Vec<String> = good.lines().map(String::from).collect();
        let last = lines.len() - 1;
        lines[line.min(last)] = junk;
        let text = lines.join("\n") + "\n";
        if let Err(sacsim::Error::Parse { line, .. }) = poscar::parse(&text, p()) {
            prop_assert!(line >= 1 && line <= lines.len() + 1);
        }
    }
}

#[test]
fn cif_with_symmetry_or_partial_sites_is_refused_with_its_line() {
    let tmp = super::tempdir();
    let head = "data_x\n_cell_length_a 5.0(1)\n_cell_length_b 5\n_cell_length_c 5\n_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n";
    let atoms = "loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n_atom_site_occupancy\nCo1 Co 0.1 0.2 0.3 1\n";
    // A P 1 file with uncertainties: read, Co at (0.5, 1, 1.5) Å.
    let ok = tmp.path().join("ok.cif");
    std::fs::write(&ok, format!("{head}{atoms}")).unwrap();
    let s = sacsim::io::read_structure(&ok).unwrap();
    assert_eq!(s.len(), 1);
    assert!((s.atoms[0].position - nalgebra::Vector3::new(0.5, 1.0, 1.5)).norm() < 1e-12);
    // Symmetry operations beyond the identity: refused at their line.
    let sym = tmp.path().join("sym.cif");
    std::fs::write(
        &sym,
        format!("{head}loop_\n_symmetry_equiv_pos_as_xyz\n'x, y, z'\n'-x, -y, z'\n{atoms}"),
    )
    .unwrap();
    let e = sacsim::io::read_structure(&sym).unwrap_err().to_string();
    assert!(e.contains("sym.cif:11:") && e.contains("P 1"), "{e}");
    // Partial occupancy: refused.
    let part = tmp.path().join("part.cif");
    std::fs::write(&part, format!("{head}{}", atoms.replace(" 1\n", " 0.5\n"))).unwrap();
    let e = sacsim::io::read_structure(&part).unwrap_err().to_string();
    assert!(e.contains("part.cif:15:") && e.contains("occupancy"), "{e}");
}
