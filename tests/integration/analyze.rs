//! Pair statistics against known truth: the CSR formulas, lattices,
//! clustered samples, brute force, and thread-count independence.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sacsim::analysis::pairstats::{
    AnalyzeConfig, analyze, analyze_with_neighbours, nearest_neighbours,
};
use sacsim::structure::{Positions, Region};

use super::{files_in, sacsim, sacsim_ok, tempdir};

fn random(n: usize, l: f64, seed: u64, periodic: bool) -> Positions {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let points = (0..n)
        .map(|_| [rng.random::<f64>() * l, rng.random::<f64>() * l, 0.0])
        .collect();
    let region = if periodic {
        Region::Periodic { size: [l, l, 0.0] }
    } else {
        Region::Open {
            origin: [0.0; 3],
            size: [l, l, 0.0],
        }
    };
    Positions {
        points,
        elements: vec![None; n],
        region,
        dims: 2,
        source: "random".into(),
    }
}

#[test]
fn uniform_random_points_reproduce_the_csr_formulas() {
    // 40,000 points at 1 per nm²: mean NN 1/(2 sqrt(rho)) = 0.5 nm.
    let n = 40_000;
    let l = (n as f64).sqrt() * 10.0;
    let p = random(n, l, 11, true);
    let s = analyze(
        &p,
        &AnalyzeConfig {
            bootstrap: 0,
            ..Default::default()
        },
    )
    .unwrap();
    let rho = n as f64 / (l * l); // per Å²
    let csr_mean_nm = 1.0 / (2.0 * rho.sqrt()) / 10.0;
    let sigma_nm = 0.26136 / (rho * n as f64).sqrt() / 10.0;
    assert!(
        (s.mean_nn_nm.value - csr_mean_nm).abs() < 4.0 * sigma_nm,
        "{} vs {csr_mean_nm}",
        s.mean_nn_nm.value
    );
    assert!((s.csr.mean_nn_nm - csr_mean_nm).abs() < 1e-12);
    assert!(
        (s.csr.clark_evans_r - 1.0).abs() < 4.0 * s.csr.clark_evans_se,
        "R = {}",
        s.csr.clark_evans_r
    );
    // P(NN <= r) = 1 - exp(-rho pi r²) at several r.
    let nn = nearest_neighbours(&p);
    for r in [2.0, 4.0, 6.0, 8.0] {
        // r in Å, rho per Å².
        let want = 1.0 - (-rho * std::f64::consts::PI * r * r).exp();
        let got = nn.distance.iter().filter(|&&d| d <= r).count() as f64 / n as f64;
        let se = (2.0 * want * (1.0 - want) / n as f64).sqrt();
        assert!(
            (got - want).abs() < 4.0 * se,
            "P(NN <= {r} Å) = {got} vs {want}"
        );
    }
    // The pair window and g(r): chance level, g = 1.
    assert!(
        s.pair_fraction.ci_low <= s.csr.pair_fraction
            && s.csr.pair_fraction <= s.pair_fraction.ci_high,
        "{:?} vs {}",
        s.pair_fraction,
        s.csr.pair_fraction
    );
    assert!(s.csr.excess_pair_fraction.value.abs() < 0.01);
    let g: Vec<f64> = s.pair_correlation.iter().map(|p| p[1]).collect();
    let mean_g = g.iter().sum::<f64>() / g.len() as f64;
    assert!((mean_g - 1.0).abs() < 0.05, "g = {mean_g}");
}

#[test]
fn open_regions_are_edge_corrected() {
    // Same statistics with the border method and Ripley weights.
    let n = 20_000;
    let l = (n as f64).sqrt() * 10.0;
    let p = random(n, l, 5, false);
    let s = analyze(
        &p,
        &AnalyzeConfig {
            bootstrap: 0,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(s.focal_points < n);
    assert!(
        (s.csr.clark_evans_r - 1.0).abs() < 4.0 * s.csr.clark_evans_se,
        "R = {}",
        s.csr.clark_evans_r
    );
    let g: Vec<f64> = s.pair_correlation.iter().map(|p| p[1]).collect();
    let mean_g = g.iter().sum::<f64>() / g.len() as f64;
    assert!((mean_g - 1.0).abs() < 0.05, "g = {mean_g}");
}

#[test]
fn periodic_and_open_agree_far_from_the_edges() {
    let l = 400.0;
    let per = random(3000, l, 3, true);
    let open = Positions {
        region: Region::Open {
            origin: [0.0; 3],
            size: [l, l, 0.0],
        },
        ..per.clone()
    };
    let (a, b) = (nearest_neighbours(&per), nearest_neighbours(&open));
    let mut compared = 0;
    for i in 0..per.len() {
        if b.focal[i] {
            assert_eq!(a.index[i], b.index[i]);
            assert_eq!(a.distance[i], b.distance[i]);
            compared += 1;
        }
    }
    assert!(compared > 2500);
}

#[test]
fn a_lattice_gives_the_exact_nn_distance() {
    // Square lattice, 3 Å spacing, periodic: every NN is 0.3 nm.
    let (k, a) = (40, 3.0);
    let points = (0..k * k)
        .map(|i| [(i % k) as f64 * a, (i / k) as f64 * a, 0.0])
        .collect();
    let p = Positions {
        points,
        elements: vec![None; k * k],
        region: Region::Periodic {
            size: [k as f64 * a, k as f64 * a, 0.0],
        },
        dims: 2,
        source: "lattice".into(),
    };
    let s = analyze(&p, &AnalyzeConfig::default()).unwrap();
    assert_eq!(s.mean_nn_nm.value, 0.3);
    assert_eq!(s.median_nn_nm.value, 0.3);
    // 0.3 nm is inside the default window and the group cutoff: all pairs,
    // one cluster; a lattice is more regular than random (R > 1).
    assert_eq!(s.pair_fraction.value, 1.0);
    assert_eq!((s.groups.groups, s.groups.clusters), (1, 1));
    assert!(s.csr.clark_evans_r > 1.9);
    // Graphene from a committed model: C-C 0.1420 nm.
    let structure =
        sacsim::io::read_structure(&super::root().join("structures/co1-nc/co1-nc.xyz")).unwrap();
    let c = Positions::from_structure(&structure, Some(&[sacsim::Element::C]), false, "graphene")
        .unwrap();
    let nn = nearest_neighbours(&c);
    assert!(
        nn.distance
            .iter()
            .all(|&d| (d - 2.46 / 3f64.sqrt()).abs() < 1e-9 || d > 1.42),
        "C-C"
    );
    assert!((nn.distance.iter().fold(f64::MAX, |m, &d| m.min(d)) - 1.4203).abs() < 1e-4);
}

#[test]
fn results_equal_brute_force_on_small_sets() {
    for periodic in [true, false] {
        let l = 120.0;
        let p = random(300, l, 17, periodic);
        let (s, nn) = analyze_with_neighbours(
            &p,
            &AnalyzeConfig {
                window_nm: sacsim::values::Pair([0.2, 0.6]),
                ..Default::default()
            },
        )
        .unwrap();
        let d = |i: usize, j: usize| {
            let mut dx = p.points[j][0] - p.points[i][0];
            let mut dy = p.points[j][1] - p.points[i][1];
            if periodic {
                dx -= l * (dx / l).round();
                dy -= l * (dy / l).round();
            }
            (dx * dx + dy * dy).sqrt()
        };
        let mut in_window = 0;
        for i in 0..p.len() {
            let (best, j) = (0..p.len())
                .filter(|&j| j != i)
                .map(|j| (d(i, j), j))
                .fold((f64::MAX, 0), |a, b| if b.0 < a.0 { b } else { a });
            // Same neighbour; the distance to the last bits (the grid adds
            // image offsets where brute force rounds the displacement).
            assert_eq!(nn.index[i], j, "point {i}");
            assert!((nn.distance[i] - best).abs() < 1e-12, "point {i}");
            if nn.focal[i] && (2.0..=6.0).contains(&best) {
                in_window += 1;
            }
        }
        let focal = nn.focal.iter().filter(|&&f| f).count();
        assert_eq!(s.pair_fraction.value, in_window as f64 / focal as f64);
        // Groups under 0.6 nm by brute-force union-find.
        let mut parent: Vec<usize> = (0..p.len()).collect();
        fn root(p: &mut Vec<usize>, x: usize) -> usize {
            if p[x] != x {
                let r = root(p, p[x]);
                p[x] = r;
            }
            p[x]
        }
        for i in 0..p.len() {
            for j in i + 1..p.len() {
                if d(i, j) <= 6.0 {
                    let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                    parent[a] = b;
                }
            }
        }
        let mut sizes = std::collections::HashMap::new();
        for i in 0..p.len() {
            *sizes.entry(root(&mut parent, i)).or_insert(0) += 1;
        }
        assert_eq!(s.groups.groups, sizes.len());
        assert_eq!(s.groups.pairs, sizes.values().filter(|&&x| x == 2).count());
        assert_eq!(
            s.groups.singles,
            sizes.values().filter(|&&x| x == 1).count()
        );
    }
}

#[test]
fn clustered_samples_return_their_pair_fraction() {
    let tmp = tempdir();
    let dir = tmp.path().join("s");
    sacsim_ok(&[
        "sample",
        "--size",
        "60x60",
        "--density",
        "0.3",
        "--mix",
        "co-n4:1",
        "--placement",
        "clustered",
        "--cluster-fraction",
        "0.4",
        "--cluster-distance",
        "8",
        "--seed",
        "21",
        "-o",
        dir.to_str().unwrap(),
    ]);
    let p = sacsim::output::load::load(&dir, &Default::default()).unwrap();
    assert!(matches!(p.region, Region::Periodic { .. }));
    let n = p.len() as f64;
    let s = analyze(
        &p,
        &AnalyzeConfig {
            window_nm: sacsim::values::Pair([0.5, 0.8]),
            group_cutoff_nm: Some(0.8),
            ..Default::default()
        },
    )
    .unwrap();
    let want = 2.0 * (n * 0.4 / 2.0).round() / n;
    assert_eq!(s.pair_fraction.value, want);
    assert_eq!(s.groups.pairs as f64, (n * 0.4 / 2.0).round());
    assert_eq!(s.groups.clusters, 0);
    // Chance alone gives 24 % in this window at this density: the excess,
    // (0.40 - 0.24)/(1 - 0.24) = 0.21, is significant.
    assert!(
        (s.csr.pair_fraction - 0.243).abs() < 0.01,
        "{}",
        s.csr.pair_fraction
    );
    assert!(
        s.csr.excess_pair_fraction.ci_low > 0.1,
        "{:?}",
        s.csr.excess_pair_fraction
    );
}

#[test]
fn the_default_mix_shows_its_co_mn_pairs() {
    let tmp = tempdir();
    let dir = tmp.path().join("s");
    sacsim_ok(&[
        "sample",
        "--size",
        "40x40",
        "--density",
        "0.5",
        "-o",
        dir.to_str().unwrap(),
    ]);
    let out = tmp.path().join("a");
    let r = sacsim_ok(&[
        "analyze",
        dir.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    let stats: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("stats.json")).unwrap()).unwrap();
    // 67 % of the sites are CoN3-MnN3 pairs at 0.246 nm.
    let share = stats["groups"]["pair_share_of_groups"]["value"]
        .as_f64()
        .unwrap();
    assert!((share - 0.67).abs() < 0.01, "{share}");
    assert_eq!(stats["mode_nn_nm"].as_f64().unwrap(), 0.245);
    assert!(
        stats["pair_fraction_by_elements"]["Co-Mn"]
            .as_f64()
            .unwrap()
            > 0.75
    );
    let stdout = String::from_utf8_lossy(&r.stdout);
    assert!(
        stdout.contains("Co-Mn") && stdout.contains("CSR chance"),
        "{stdout}"
    );
    for f in [
        "stats.json",
        "nn_distances.csv",
        "histogram.csv",
        "gr.csv",
        "nn_histogram.png",
        "gr.png",
        "params.json",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
}

#[test]
fn same_input_same_output_on_one_and_two_threads() {
    let tmp = tempdir();
    let dir = tmp.path().join("s");
    sacsim_ok(&[
        "sample",
        "--size",
        "50x50",
        "--density",
        "0.8",
        "--seed",
        "4",
        "-o",
        dir.to_str().unwrap(),
    ]);
    let mut runs = Vec::new();
    for threads in ["1", "2"] {
        let out = tmp.path().join(threads);
        let r = std::process::Command::new(env!("CARGO_BIN_EXE_sacsim"))
            .env("RAYON_NUM_THREADS", threads)
            .args([
                "analyze",
                dir.to_str().unwrap(),
                "--monte-carlo",
                "20",
                "--region",
                "0,0,505,505",
                "-o",
                out.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        runs.push(
            files_in(&out)
                .iter()
                .map(|p| std::fs::read(p).unwrap())
                .collect::<Vec<_>>(),
        );
    }
    assert!(runs[0] == runs[1]);
}

#[test]
fn bad_analysis_input_gets_clear_errors() {
    let tmp = tempdir();
    let out = tmp.path().join("never");
    let o = out.to_str().unwrap();
    let one = tmp.path().join("one.csv");
    std::fs::write(&one, "x,y\n1,2\n").unwrap();
    let nan = tmp.path().join("nan.csv");
    std::fs::write(&nan, "x,y,element\n1,2,Co\n3,nan,Mn\n").unwrap();
    let two = tmp.path().join("two.csv");
    std::fs::write(&two, "x,y,element\n1,2,Co\n30,40,Mn\n").unwrap();
    let model = super::root().join("structures/l-co1mn1-nc/POSCAR");
    let cases: Vec<(Vec<&str>, String, i32)> = vec![
        (
            vec!["analyze", one.to_str().unwrap(), "-o", o],
            "1 point(s); pair statistics need at least two".into(),
            2,
        ),
        (
            vec!["analyze", nan.to_str().unwrap(), "-o", o],
            format!(
                "{}:3: expected a finite number for y in column 2",
                nan.display()
            ),
            1,
        ),
        (
            vec![
                "analyze",
                model.to_str().unwrap(),
                "--elements",
                "Fe",
                "-o",
                o,
            ],
            "no atoms of the selected elements; the file holds C, Co, Mn, N".into(),
            2,
        ),
        (
            vec![
                "analyze",
                two.to_str().unwrap(),
                "--pair-window",
                "0.3,0.2",
                "-o",
                o,
            ],
            "give min,max with 0 <= min < max".into(),
            2,
        ),
        (
            vec![
                "analyze",
                two.to_str().unwrap(),
                "--region",
                "0,0,10,10",
                "-o",
                o,
            ],
            "lies outside the region".into(),
            2,
        ),
    ];
    for (args, want, code) in cases {
        let r = sacsim(&args);
        assert_eq!(r.status.code(), Some(code), "{args:?}");
        let e = String::from_utf8_lossy(&r.stderr).into_owned();
        assert!(e.contains(&want), "{args:?}\n got: {e}\nwant: {want}");
        assert!(!out.exists());
    }
}

/// Every committed model and every preset in a hexagonal cell (also an
/// uneven 5x7 one) is analysed in its periodic cell: each metal's NN
/// distance equals a brute force over the lattice images (issue 13: the
/// cell grid used to loop on hexagonal cells).
#[test]
fn hexagonal_models_have_the_nn_distances_of_a_brute_force() {
    use sacsim::model::{GrapheneCell, ModelSpec, PRESETS, build_model};
    let brute = |s: &sacsim::Structure| -> Vec<f64> {
        let metals = s.metal_indices();
        let (a, b) = (s.lattice.vector(0), s.lattice.vector(1));
        metals
            .iter()
            .map(|&i| {
                let mut best = f64::INFINITY;
                for &j in &metals {
                    for u in -6i32..=6 {
                        for v in -6i32..=6 {
                            if i == j && u == 0 && v == 0 {
                                continue;
                            }
                            let d = s.atoms[j].position + a * u as f64 + b * v as f64
                                - s.atoms[i].position;
                            best = best.min(d.x.hypot(d.y));
                        }
                    }
                }
                best
            })
            .collect()
    };
    let mut structures = Vec::new();
    for dir in std::fs::read_dir(super::root().join("structures"))
        .unwrap()
        .flatten()
    {
        let poscar = dir.path().join("POSCAR");
        if poscar.is_file() {
            structures.push(sacsim::io::read_structure(&poscar).unwrap());
        }
    }
    for preset in PRESETS {
        for (n, m) in [(6, 6), (5, 7)] {
            let mut spec = ModelSpec::from_preset(preset);
            spec.cell = GrapheneCell::hexagonal(n, m);
            spec.allow_small = true;
            if let Ok(model) = build_model(&spec) {
                structures.push(model.structure);
            }
        }
    }
    assert!(structures.len() >= 16, "{}", structures.len());
    for s in &structures {
        let want = brute(s);
        let p = sacsim::structure::Positions::from_structure(s, None, false, "t").unwrap();
        assert!(
            matches!(p.region, Region::Periodic { .. }),
            "{}",
            s.formula()
        );
        let nn = sacsim::analysis::pairstats::nearest_neighbours(&p);
        // The first points are the originals (the supercell's copies follow).
        for (k, w) in want.iter().enumerate() {
            assert!(
                (nn.distance[k] - w).abs() < 1e-9,
                "{}: {} vs {w}",
                s.formula(),
                nn.distance[k]
            );
        }
    }
}
