//! Reaction intermediates: every adsorbate's internal geometry, its
//! metal-adsorbate distance and its clearance from the substrate, on top
//! and bridge sites, at every rotation; selective dynamics; bad requests.

use nalgebra::Vector3;
use sacsim::model::adsorbate::{
    Adsorbate, AdsorbateSpec, BindingSite, METAL, MIN_SUBSTRATE_DISTANCE, adsorb,
    closest_to_substrate, gas_molecule,
};
use sacsim::model::{DEFAULT_VACUUM, Model, ModelSpec, PRESETS, Preset, build_model};
use sacsim::structure::{Element, Structure};

use super::{files_in, root, sacsim, sacsim_ok, tempdir};

/// The reference geometry, restated from the literature (see the module
/// docs of `sacsim::model::adsorbate`): bonds (i, j, Å), angles (i, vertex,
/// k, degrees; M = metal), top and bridge distances (Å).
#[allow(clippy::type_complexity)]
fn reference(
    a: Adsorbate,
) -> (
    Vec<(usize, usize, f64)>,
    Vec<(usize, usize, usize, f64)>,
    f64,
    f64,
) {
    const M: usize = METAL;
    match a {
        Adsorbate::CO2 => (
            vec![(0, 1, 1.25), (0, 2, 1.25)],
            vec![(1, 0, 2, 134.0), (M, 0, 1, 113.0), (M, 0, 2, 113.0)],
            2.00,
            2.10,
        ),
        Adsorbate::COOH => (
            vec![(0, 1, 1.20), (0, 2, 1.34), (2, 3, 0.98)],
            vec![
                (1, 0, 2, 125.0),
                (0, 2, 3, 106.0),
                (M, 0, 1, 117.5),
                (M, 0, 2, 117.5),
            ],
            1.95,
            2.10,
        ),
        Adsorbate::CO => (vec![(0, 1, 1.15)], vec![(M, 0, 1, 180.0)], 1.80, 1.95),
        Adsorbate::H => (vec![], vec![], 1.55, 1.70),
        Adsorbate::OH => (vec![(0, 1, 0.98)], vec![(M, 0, 1, 110.0)], 1.85, 2.00),
        Adsorbate::O => (vec![], vec![], 1.65, 1.85),
        Adsorbate::OOH => (
            vec![(0, 1, 1.45), (1, 2, 0.98)],
            vec![(M, 0, 1, 115.0), (0, 1, 2, 100.0)],
            1.90,
            2.05,
        ),
        Adsorbate::N2 => (vec![(0, 1, 1.12)], vec![(M, 0, 1, 180.0)], 1.90, 2.05),
    }
}

fn clean(preset: &str) -> Model {
    build_model(&ModelSpec::from_preset(Preset::from_name(preset).unwrap())).unwrap()
}

fn angle(a: Vector3<f64>, vertex: Vector3<f64>, b: Vector3<f64>) -> f64 {
    (a - vertex).angle(&(b - vertex)).to_degrees()
}

/// Check one placed adsorbate (atoms from `first` on) against the reference.
fn check(s: &Structure, first: usize, metals: &[usize], a: Adsorbate, site: BindingSite) {
    let (bonds, angles, top, bridge) = reference(a);
    let p = |i: usize| s.atoms[first + i].position;
    for (i, j, want) in bonds {
        let d = (p(i) - p(j)).norm();
        assert!((d - want).abs() < 1e-9, "{a} bond {i}-{j}: {d} != {want}");
    }
    for &m in metals {
        let d = s.distance(first, m);
        let want = if site == BindingSite::Bridge {
            bridge
        } else {
            top
        };
        assert!((d - want).abs() < 1e-9, "{a}@{site}: M-X {d} != {want}");
    }
    let metal = s.atoms[metals[0]].position;
    for (i, v, k, want) in angles {
        if site == BindingSite::Bridge && (i == METAL || k == METAL) {
            continue; // the metal is not below the binding atom
        }
        let q = |x: usize| if x == METAL { metal } else { p(x) };
        let got = angle(q(i), q(v), q(k));
        assert!(
            (got - want).abs() < 1e-7,
            "{a} angle {i}-{v}-{k}: {got} != {want}"
        );
    }
    // Pointing away from the sheet, clear of the substrate.
    let plane = metals
        .iter()
        .map(|&m| s.atoms[m].position.z)
        .fold(f64::MIN, f64::max);
    for i in first..s.len() {
        assert!(
            s.atoms[i].position.z > plane + 1.0,
            "{a}: atom {i} not above the metals"
        );
    }
    let (_, _, d) = closest_to_substrate(s, first);
    assert!(
        d >= MIN_SUBSTRATE_DISTANCE,
        "{a}@{site}: {d} Å from the substrate"
    );
    // The vacuum is kept above the adsorbate.
    let (lo, hi) = s.atoms.iter().fold((f64::MAX, f64::MIN), |(l, h), a| {
        (l.min(a.position.z), h.max(a.position.z))
    });
    let c = s.lattice.lengths()[2];
    assert!(
        (c - (hi - lo) - DEFAULT_VACUUM).abs() < 1e-9,
        "vacuum {}",
        c - (hi - lo)
    );
}

#[test]
fn every_adsorbate_on_every_top_and_bridge_site_matches_its_reference() {
    for preset in ["co1-nc", "mn1-nc", "l-co1mn1-nc", "co1mn1-nc"] {
        let model = clean(preset);
        let s = &model.structure;
        let metals = s.metal_indices();
        let mut sites: Vec<BindingSite> = metals
            .iter()
            .map(|&m| BindingSite::Top(s.atoms[m].element))
            .collect();
        if metals.len() == 2 {
            sites.push(BindingSite::Bridge);
        }
        for a in Adsorbate::ALL {
            for &site in &sites {
                for rotation in (0..12).map(|k| 30.0 * k as f64) {
                    let spec = AdsorbateSpec {
                        adsorbate: a,
                        site,
                        height: None,
                        rotation,
                    };
                    let out = adsorb(s, &spec, DEFAULT_VACUUM)
                        .unwrap_or_else(|e| panic!("{preset} {a}@{site} {rotation}: {e}"));
                    let on: Vec<usize> = match site {
                        BindingSite::Top(e) => {
                            vec![*metals.iter().find(|&&m| s.atoms[m].element == e).unwrap()]
                        }
                        BindingSite::Bridge => metals.clone(),
                    };
                    check(&out, s.len(), &on, a, site);
                    assert_eq!(out.len(), s.len() + a.local_atoms().len());
                }
            }
        }
    }
}

#[test]
fn the_library_states_the_reference_geometry() {
    for a in Adsorbate::ALL {
        let (bonds, angles, top, bridge) = reference(a);
        let lib: Vec<_> = a
            .bonds()
            .iter()
            .map(|b| (b.atoms[0], b.atoms[1], b.length))
            .collect();
        assert_eq!(lib, bonds, "{a}");
        let mut lib: Vec<_> = a
            .angles()
            .iter()
            .map(|g| (g.atoms[0], g.atoms[1], g.atoms[2], g.degrees))
            .collect();
        let mut want = angles.clone();
        lib.sort_by_key(|t| (t.0, t.1, t.2));
        want.sort_by_key(|t| (t.0, t.1, t.2));
        assert_eq!(lib, want, "{a}");
        assert_eq!(
            (a.top_distance(), a.bridge_distance()),
            (top, bridge),
            "{a}"
        );
        assert_eq!(
            Adsorbate::from_name(&format!("*{}", a.name().to_lowercase())).unwrap(),
            a
        );
    }
}

#[test]
fn built_models_carry_the_adsorbate_and_free_the_site_shells() {
    let mut spec = ModelSpec::from_preset(Preset::from_name("l-co1mn1-nc").unwrap());
    spec.adsorbate = Some(AdsorbateSpec::parse("COOH@Co").unwrap());
    let model = build_model(&spec).unwrap();
    let s = &model.structure;
    assert_eq!(s.formula(), "C63HCoMnN6O2");
    let co = *s
        .metal_indices()
        .iter()
        .find(|&&m| s.atoms[m].element == Element::CO)
        .unwrap();
    // The carbon 1.95 Å above Co is the adsorbate's.
    let c = (0..s.len())
        .find(|&i| s.atoms[i].element == Element::C && (s.distance(i, co) - 1.95).abs() < 1e-9)
        .unwrap();
    assert!(s.atoms[c].position.z > s.atoms[co].position.z + 1.9);
    // Free: adsorbate (4), metals (2), N (6) and the C bonded to N; fixed:
    // everything else, in particular every atom more than 4.5 Å from a metal.
    let metals = s.metal_indices();
    for (i, a) in s.atoms.iter().enumerate() {
        let near = metals
            .iter()
            .map(|&m| s.distance(i, m))
            .fold(f64::MAX, f64::min);
        let adsorbate = a.element == Element::O || a.element == Element::H || i == c;
        if adsorbate || a.element == Element::N || a.element.is_metal() {
            assert_eq!(a.free, [true; 3], "atom {i} {}", a.element);
        }
        if near > 4.5 && !adsorbate {
            assert_eq!(a.free, [false; 3], "atom {i} at {near:.2} Å");
        }
        if a.element == Element::C && !adsorbate {
            let bonded_to_n = s
                .neighbors_within(i, 1.5)
                .iter()
                .any(|n| s.atoms[n.index].element == Element::N);
            assert_eq!(a.free[0], bonded_to_n, "C {i}");
        }
    }
    // The clean slab with the same rule frees the same substrate atoms.
    let mut clean_spec = ModelSpec::from_preset(Preset::from_name("l-co1mn1-nc").unwrap());
    clean_spec.free_shells = Some(2);
    let clean = build_model(&clean_spec).unwrap();
    let free = |s: &Structure| s.atoms.iter().filter(|a| a.free[0]).count();
    assert_eq!(free(s), free(&clean.structure) + 4);
}

#[test]
fn bad_adsorbate_requests_are_refused_with_what_is_valid() {
    let err = |args: &[&str]| {
        let tmp = tempdir();
        let out = tmp.path().join("m");
        let mut all = vec!["build"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["-o", out.to_str().unwrap()]);
        let o = sacsim(&all);
        assert!(!o.status.success(), "{args:?} succeeded");
        assert!(!out.exists(), "{args:?} left files");
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    assert!(err(&["l-co1mn1-nc", "--adsorbate", "COOH@Fe"]).contains("its metals: Co, Mn"));
    assert!(err(&["co1-nc", "--adsorbate", "CO@bridge"]).contains("dual site"));
    assert!(
        err(&["co1-nc", "--adsorbate", "HCOO@Co"])
            .contains("valid: CO2, COOH, CO, H, OH, O, OOH, N2")
    );
    assert!(err(&["co1-nc", "--adsorbate", "COOH"]).contains("ADSORBATE@SITE"));
    assert!(
        err(&[
            "co1-nc",
            "--adsorbate",
            "CO2@Co",
            "--adsorbate-height",
            "0.6"
        ])
        .contains("minimum 1.5 Å")
    );
    let s = sacsim(&["series", "co1-nc", "--reaction", "oer", "-o", "/tmp/never"]);
    assert!(String::from_utf8_lossy(&s.stderr).contains("valid: co2rr, her, orr"));
}

#[test]
fn gas_references_have_their_experimental_geometry() {
    let co2 = gas_molecule("CO2").unwrap();
    assert_eq!(co2.formula(), "CO2");
    let h2o = gas_molecule("H2O").unwrap();
    let (o, h1, h2) = (
        h2o.atoms[2].position,
        h2o.atoms[0].position,
        h2o.atoms[1].position,
    );
    assert!(((h1 - o).norm() - 0.958).abs() < 1e-12);
    assert!((angle(h1, o, h2) - 104.5).abs() < 1e-9);
    assert!(
        gas_molecule("NH3")
            .unwrap_err()
            .to_string()
            .contains("CO2, CO, H2, H2O")
    );
}

#[test]
fn series_writes_every_intermediate_of_each_reaction() {
    let tmp = tempdir();
    for (reaction, per_site) in [
        ("co2rr", ["CO2", "COOH", "CO"].as_slice()),
        ("her", &["H"]),
        ("orr", &["OOH", "O", "OH"]),
    ] {
        let dir = tmp.path().join(reaction);
        sacsim_ok(&[
            "series",
            "l-co1mn1-nc",
            "co1-nc",
            "--reaction",
            reaction,
            "-o",
            dir.to_str().unwrap(),
        ]);
        let index: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("series.json")).unwrap()).unwrap();
        let models = index["models"].as_array().unwrap();
        // Clean slabs + (Co, Mn) and (Co) x intermediates.
        assert_eq!(models.len(), 2 + 3 * per_site.len());
        for ads in per_site {
            for site in ["l-co1mn1-nc/Co", "l-co1mn1-nc/Mn", "co1-nc/Co"] {
                let path = dir.join(format!("{site}/{ads}/POSCAR"));
                let s = sacsim::io::read_structure(&path).unwrap();
                let clean = sacsim::io::read_structure(
                    &dir.join(format!("{}/clean/POSCAR", site.split('/').next().unwrap())),
                )
                .unwrap();
                assert_eq!(
                    s.len(),
                    clean.len() + Adsorbate::from_name(ads).unwrap().local_atoms().len(),
                    "{site}/{ads}"
                );
            }
        }
        assert!(dir.join("params.json").exists());
    }
    // Every preset takes every reaction.
    for p in PRESETS {
        for a in Adsorbate::ALL {
            for &m in p.metals {
                let mut spec = ModelSpec::from_preset(p);
                spec.adsorbate = Some(AdsorbateSpec {
                    adsorbate: a,
                    site: BindingSite::Top(m),
                    height: None,
                    rotation: 0.0,
                });
                build_model(&spec).unwrap_or_else(|e| panic!("{} {a}@{m}: {e}", p.name));
            }
        }
    }
}

#[test]
fn committed_series_is_regenerated_byte_for_byte() {
    let tmp = tempdir();
    let out = tmp.path().join("series-co2rr");
    sacsim_ok(&[
        "series",
        "l-co1mn1-nc",
        "--reaction",
        "co2rr",
        "-o",
        out.to_str().unwrap(),
    ]);
    fn walk(dir: &std::path::Path, base: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for p in files_in(dir) {
            if p.is_dir() {
                walk(&p, base, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().to_owned());
            }
        }
    }
    let committed = root().join("structures/series-co2rr");
    let (mut a, mut b) = (Vec::new(), Vec::new());
    walk(&committed, &committed, &mut a);
    walk(&out, &out, &mut b);
    assert_eq!(a, b);
    assert_eq!(a.len(), 7 * 5 + 4 * 3 + 2);
    for f in a {
        assert!(
            std::fs::read(committed.join(&f)).unwrap() == std::fs::read(out.join(&f)).unwrap(),
            "{} differs; run the regenerate_structures example",
            f.display()
        );
    }
}

#[test]
fn separated_metals_cannot_be_bridged_but_take_top_adsorbates() {
    let tmp = tempdir();
    let out = tmp.path().join("m8");
    let args = [
        "build", "--motif", "m1m2-n8", "--metals", "Co,Mn", "--cell", "7x7",
    ];
    let mut bridge = args.to_vec();
    bridge.extend(["--adsorbate", "CO@bridge", "-o", out.to_str().unwrap()]);
    let o = sacsim(&bridge);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("4.92 Å apart") && err.contains("CO@Co"),
        "{err}"
    );
    // The lifted MN3 metal and both metals of the separated pair take every
    // adsorbate on top, clear of the substrate.
    for a in Adsorbate::ALL {
        for (motif, metals, cell) in [
            ("mn3", vec![Element::from_symbol("Pt").unwrap()], (6, 6)),
            ("m1m2-n8", vec![Element::CO, Element::MN], (7, 7)),
        ] {
            for &m in &metals {
                let mut spec = ModelSpec::new(
                    sacsim::model::Motif::from_name(motif).unwrap(),
                    metals.clone(),
                );
                spec.cell = spec.cell.with_size(cell.0, cell.1);
                spec.adsorbate = Some(AdsorbateSpec {
                    adsorbate: a,
                    site: BindingSite::Top(m),
                    height: None,
                    rotation: 0.0,
                });
                let s = build_model(&spec)
                    .unwrap_or_else(|e| panic!("{motif} {a}@{m}: {e}"))
                    .structure;
                let metal = s
                    .metal_indices()
                    .into_iter()
                    .find(|&i| s.atoms[i].element == m)
                    .unwrap();
                let top = a.top_distance();
                assert!(
                    (0..s.len()).any(|i| (s.distance(i, metal) - top).abs() < 1e-9
                        && s.atoms[i].position.z > s.atoms[metal].position.z),
                    "{motif} {a}@{m}"
                );
            }
        }
    }
}
