//! Large samples: counts, mix, clashes, coordination, determinism, and
//! the statistics of placement against the complete-spatial-randomness
//! baseline (docs/PHYSICS.md §6).

use std::collections::HashMap;

use sacsim::model::Motif;
use sacsim::model::sample::{
    PlacementMode, Sample, SampleSpec, Support, SupportShape, build_sample, parse_mix,
};
use sacsim::structure::{Element, Structure};

use super::{files_in, sacsim, sacsim_ok, tempdir};

/// In-plane minimum-image displacement in an orthogonal box periodic in x, y.
fn mic(s: &Structure, i: usize, j: usize) -> f64 {
    let [lx, ly, _] = s.lattice.lengths();
    let d = s.atoms[j].position - s.atoms[i].position;
    let dx = d.x - lx * (d.x / lx).round();
    let dy = d.y - ly * (d.y / ly).round();
    (dx * dx + dy * dy + d.z * d.z).sqrt()
}

/// Independent O(N²) closest pair, no spatial index.
fn brute_min_distance(s: &Structure) -> f64 {
    let mut best = f64::MAX;
    for i in 0..s.len() {
        for j in i + 1..s.len() {
            best = best.min(mic(s, i, j));
        }
    }
    best
}

fn small_full_sample(support: Support, seed: u64) -> Sample {
    let spec = SampleSpec {
        size_nm: [4.0, 4.0],
        density: 0.6,
        n_doping_percent: 3.0,
        vacancies_percent: 1.0,
        support,
        both_faces: true,
        seed,
        ..SampleSpec::default()
    };
    build_sample(&spec).unwrap()
}

#[test]
fn no_two_atoms_closer_than_1_3_anywhere() {
    for (k, support) in [
        Support::Amorphous {
            shape: SupportShape::Slab { thickness_nm: 1.0 },
            density_g_cm3: 2.0,
        },
        Support::Layers { count: 3 },
        Support::None,
    ]
    .into_iter()
    .enumerate()
    {
        let s = small_full_sample(support, 11 + k as u64);
        let d = brute_min_distance(&s.structure);
        assert!(d >= 1.3, "{support:?}: closest pair {d} Å");
        // And the k-d tree agrees with brute force.
        let kd = sacsim::analysis::neighbors::min_distance(&s.structure)
            .unwrap()
            .distance;
        assert!((kd - d).abs() < 1e-9, "{kd} vs {d}");
    }
}

#[test]
fn amorphous_support_has_the_requested_density() {
    let s = small_full_sample(
        Support::Amorphous {
            shape: SupportShape::Slab { thickness_nm: 1.0 },
            density_g_cm3: 2.0,
        },
        3,
    );
    let [lx, ly] = s.box_angstrom;
    // Support atoms are the untagged C between the two sheets.
    let zs: Vec<f64> = s.structure.atoms.iter().map(|a| a.position.z).collect();
    let (zmin, zmax) = zs
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &z| (a.min(z), b.max(z)));
    let support = zs
        .iter()
        .filter(|&&z| z > zmin + 2.0 && z < zmax - 2.0)
        .count();
    let mass_g = support as f64 * 12.011 * 1.660_539_07e-24;
    let volume_cm3 = lx * ly * 10.0 * 1e-24;
    assert!(
        (mass_g / volume_cm3 - 2.0).abs() < 0.01,
        "{} g/cm³",
        mass_g / volume_cm3
    );
}

#[test]
fn every_metal_has_its_motif_coordination_and_tags() {
    let s = small_full_sample(Support::Layers { count: 2 }, 5);
    let st = &s.structure;
    assert!(
        s.sites
            .iter()
            .any(|x| x.face == sacsim::model::sample::Face::Bottom)
    );
    for site in &s.sites {
        for m in &site.metals {
            assert_eq!(st.atoms[m.atom_index].element, m.element);
            assert_eq!(st.atoms[m.atom_index].site, site.id);
            let n: Vec<usize> = (0..st.len())
                .filter(|&j| st.atoms[j].element == Element::N && mic(st, m.atom_index, j) < 2.2)
                .collect();
            assert_eq!(
                n.len(),
                site.motif.nitrogen_per_metal(),
                "site {} {}",
                site.id,
                site.kind
            );
            assert!(n.iter().all(|&j| st.atoms[j].site == site.id));
            for &j in &n {
                assert!((mic(st, m.atom_index, j) - 1.879).abs() < 1e-3);
            }
        }
    }
}

#[test]
fn site_count_and_mix_are_exact() {
    let spec = SampleSpec {
        size_nm: [60.0, 60.0],
        density: 1.0,
        seed: 9,
        ..SampleSpec::default()
    };
    let s = build_sample(&spec).unwrap();
    let area = s.box_angstrom[0] * s.box_angstrom[1] / 100.0;
    let n = s.sites.len() as f64;
    assert!((n - area).abs() / area < 0.01, "{n} sites on {area} nm²");
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for site in &s.sites {
        *counts.entry(site.kind.as_str()).or_default() += 1;
    }
    for entry in parse_mix(sacsim::model::sample::DEFAULT_MIX).unwrap() {
        let got = counts[entry.kind.name.as_str()] as f64;
        assert!(
            (got - entry.fraction * n).abs() <= 1.0,
            "{}: {got} of {n}",
            entry.kind.name
        );
    }
    // Orientations: all three, about a third each (3 sigma).
    for o in 0..3u8 {
        let k = s.sites.iter().filter(|x| x.orientation == o).count() as f64;
        assert!(
            (k - n / 3.0).abs() < 3.0 * (n * 2.0 / 9.0).sqrt(),
            "orientation {o}: {k}"
        );
    }
}

/// Nearest other-site distance of every site (min over metal pairs).
fn site_nn(s: &Sample) -> Vec<f64> {
    let [lx, ly] = s.box_angstrom;
    let d = |p: &[f64; 3], q: &[f64; 3]| {
        let dx = (p[0] - q[0]) - lx * ((p[0] - q[0]) / lx).round();
        let dy = (p[1] - q[1]) - ly * ((p[1] - q[1]) / ly).round();
        (dx * dx + dy * dy).sqrt()
    };
    s.sites
        .iter()
        .map(|a| {
            s.sites
                .iter()
                .filter(|b| b.id != a.id && b.face == a.face)
                .flat_map(|b| {
                    a.metals.iter().flat_map(move |m| {
                        b.metals.iter().map(move |n| d(&m.position, &n.position))
                    })
                })
                .fold(f64::MAX, f64::min)
        })
        .collect()
}

#[test]
fn random_placement_follows_the_hard_core_csr_baseline() {
    // Single-metal sites at low density, pooled over six seeds. A random
    // (Poisson) pattern with a hard core d has nearest-neighbour CDF
    // F(r) = 1 - exp(-rho pi (r² - d²)), r >= d (docs/PHYSICS.md §6 with the
    // exclusion disk), and mean NN d + ∫_d^∞ (1 - F) dr, 1.5 % above the
    // plain CSR 1/(2 sqrt(rho)) here.
    let (mut nn, mut rho, mut d) = (Vec::new(), 0.0, 0.0);
    for seed in 0..6 {
        let spec = SampleSpec {
            size_nm: [150.0, 150.0],
            density: 0.03,
            mix: parse_mix("co-n4:1").unwrap(),
            seed,
            ..SampleSpec::default()
        };
        let s = build_sample(&spec).unwrap();
        rho = (s.sites.len() as f64 - 1.0) / (s.box_angstrom[0] * s.box_angstrom[1]);
        d = s.min_separation;
        nn.extend(site_nn(&s));
    }
    let n = nn.len() as f64;
    let pi = std::f64::consts::PI;
    let cdf = |r: f64| {
        if r < d {
            0.0
        } else {
            1.0 - (-rho * pi * (r * r - d * d)).exp()
        }
    };
    // NN distances are not independent (mutual pairs count twice): widen
    // the binomial standard error by sqrt(2) and allow 4 of them.
    for q in [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95] {
        let r = (d * d - (1.0f64 - q).ln() / (rho * pi)).sqrt();
        let emp = nn.iter().filter(|&&x| x <= r).count() as f64 / n;
        let se = (2.0 * q * (1.0 - q) / n).sqrt();
        assert!(
            (emp - q).abs() < 4.0 * se,
            "F({r:.1} Å) = {emp:.4}, expected {q} ± {:.4}",
            4.0 * se
        );
    }
    let mut mean_theory = d;
    let mut r = d;
    while r < d + 20.0 / (rho * pi).sqrt() {
        mean_theory += (1.0 - cdf(r + 0.005)) * 0.01;
        r += 0.01;
    }
    let mean = nn.iter().sum::<f64>() / n;
    let sigma = 2f64.sqrt() * 0.26 / (rho.sqrt() * n.sqrt()); // sd of NN: sqrt(4/pi - 1)/(2 sqrt(rho))
    assert!(
        (mean - mean_theory).abs() < 4.0 * sigma,
        "mean NN {mean:.2} vs {mean_theory:.2} ± {:.2} Å",
        4.0 * sigma
    );
    // The plain CSR baseline differs by the hard core, and we can tell.
    let csr = 1.0 / (2.0 * rho.sqrt());
    assert!(mean_theory > csr && (mean_theory - csr) / csr < 0.03);
}

#[test]
fn clustered_placement_gives_the_requested_pair_fraction() {
    for fraction in [0.3, 0.7] {
        let spec = SampleSpec {
            size_nm: [40.0, 40.0],
            density: 0.3,
            placement: PlacementMode::Clustered {
                fraction,
                distance: 8.0,
            },
            seed: 77,
            ..SampleSpec::default()
        };
        let s = build_sample(&spec).unwrap();
        let nn = site_nn(&s);
        let n = nn.len() as f64;
        let paired = nn.iter().filter(|&&r| r <= 8.0).count() as f64;
        let want = 2.0 * (n * fraction / 2.0).round();
        assert_eq!(
            paired, want,
            "fraction {fraction}: {paired} of {n} sites paired"
        );
        assert!(nn.iter().all(|&r| r >= s.min_separation - 1e-9));
    }
}

#[test]
fn same_seed_same_bytes_on_one_and_two_threads() {
    let tmp = tempdir();
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let dir = tmp.path().join(threads);
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_sacsim"))
            .env("RAYON_NUM_THREADS", threads)
            .args([
                "sample",
                "--size",
                "30x30",
                "--density",
                "0.8",
                "--n-doping",
                "2",
                "--vacancies",
                "0.5",
                "--support",
                "amorphous",
                "--support-thickness",
                "1",
                "--both-faces",
                "--format",
                "xyz,poscar",
                "--seed",
                "42",
                "-o",
                dir.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        outputs.push(
            files_in(&dir)
                .iter()
                .map(|p| (p.file_name().unwrap().to_owned(), std::fs::read(p).unwrap()))
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(outputs[0].len(), 5); // sample.xyz POSCAR sites.csv sites.json params.json
    assert!(outputs[0] == outputs[1], "1 and 2 threads differ");
    // params.json holds the seed and everything else needed to rebuild.
    let params: serde_json::Value = serde_json::from_slice(
        &outputs[0]
            .iter()
            .find(|(n, _)| n == "params.json")
            .unwrap()
            .1,
    )
    .unwrap();
    assert_eq!(params["sample"]["seed"], 42);
    assert_eq!(params["sample"]["support"]["kind"], "amorphous");
    // Another seed, another sample.
    let dir = tmp.path().join("other");
    sacsim_ok(&[
        "sample",
        "--size",
        "30x30",
        "--density",
        "0.8",
        "--seed",
        "43",
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert_ne!(
        std::fs::read(dir.join("sites.csv")).unwrap(),
        outputs[0].iter().find(|(n, _)| n == "sites.csv").unwrap().1
    );
}

#[test]
fn sites_csv_matches_the_structure() {
    let tmp = tempdir();
    let dir = tmp.path().join("s");
    sacsim_ok(&[
        "sample",
        "--size",
        "10x10",
        "--density",
        "1",
        "-o",
        dir.to_str().unwrap(),
    ]);
    let xyz = sacsim::io::read_structure(&dir.join("sample.xyz")).unwrap();
    let csv = std::fs::read_to_string(dir.join("sites.csv")).unwrap();
    let mut rows = 0;
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), 18);
        let id: u32 = f[0].parse().unwrap();
        let motif = Motif::from_name(f[2]).unwrap();
        let n_metals: usize = f[7].parse().unwrap();
        assert_eq!(n_metals, motif.metal_count());
        for k in 0..n_metals {
            let o = 8 + 5 * k;
            let atom: usize = f[o + 4].parse().unwrap();
            let a = &xyz.atoms[atom];
            assert_eq!(a.element.symbol(), f[o]);
            assert_eq!(a.site, id);
            for (axis, v) in [a.position.x, a.position.y, a.position.z]
                .iter()
                .enumerate()
            {
                assert!((v - f[o + 1 + axis].parse::<f64>().unwrap()).abs() < 1e-5);
            }
        }
        rows += 1;
    }
    // 10 x 10 nm rounds to the 9.84 x 10.0 nm graphene cell: 98.5 -> 99 sites.
    let params: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("params.json")).unwrap()).unwrap();
    assert_eq!(rows, params["sites"].as_u64().unwrap());
    assert_eq!(rows, 99);
}

#[test]
fn bad_sample_input_gets_one_clear_line() {
    let tmp = tempdir();
    let out = tmp.path().join("never");
    let o = out.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str, i32)> = vec![
        (
            vec!["sample", "--density", "5", "-o", o],
            "the largest achievable density is about 1.49",
            2,
        ),
        (
            vec!["sample", "--mix", "l-comn:0.5,co-n4:0.3", "-o", o],
            "the fractions sum to 0.800, not 1",
            2,
        ),
        (
            vec!["sample", "--mix", "co-n9:1", "-o", o],
            "unknown suffix '-n9'; valid forms:",
            2,
        ),
        (
            vec!["sample", "--size=-5x10", "-o", o],
            "give two positive sizes",
            2,
        ),
        (
            vec!["sample", "--size", "ten", "-o", o],
            "invalid value 'ten' for '--size <XxY>': expected two values joined by x",
            2,
        ),
        (
            vec!["sample", "--size", "0.1x0.1", "-o", o],
            "0.1x0.1 nm is too small; the smallest sample for this mix and separation is 2.0x2.0 nm",
            2,
        ),
        (
            vec!["sample", "--support", "foam", "-o", o],
            "invalid value 'foam' for '--support <SUPPORT>': unknown support 'foam'; valid supports: none, amorphous, layers:N",
            2,
        ),
        (
            vec!["sample", "--format", "cif", "-o", o],
            "samples are written as xyz and/or poscar",
            2,
        ),
        (
            vec!["sample", "--n-doping", "40", "-o", o],
            "do not fit beside the sites",
            2,
        ),
        (
            vec![
                "sample",
                "--placement",
                "clustered",
                "--cluster-distance",
                "3",
                "-o",
                o,
            ],
            "must exceed the minimum separation 5.19",
            2,
        ),
    ];
    for (args, want, code) in cases {
        let r = sacsim(&args);
        assert_eq!(r.status.code(), Some(code), "{args:?}");
        let e = String::from_utf8_lossy(&r.stderr).into_owned();
        assert!(e.contains(want), "{args:?}\n got: {e}\nwant: {want}");
        assert_eq!(e.trim_end().lines().count(), 1, "{e}");
        assert!(!out.exists());
    }
}
