//! The HAADF simulator against an independent multislice code (abTEM),
//! published cross sections, and the physics of the incoherent model.

use nalgebra::Vector3;
use sacsim::stem::incoherent::{FineImage, Imaging, Scan, simulate};
use sacsim::stem::noise::{Acquisition, acquire};
use sacsim::stem::scattering::{CrossSectionModel, Detector, cross_section};
use sacsim::structure::{Atom, Element, Lattice, Structure};

use super::{root, sacsim, sacsim_ok, tempdir};

/// Pearson correlation coefficient (the tests' own, independent of the
/// library's).
pub fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

#[test]
fn matches_abtem_multislice_for_co_and_mn_in_graphene() {
    let dir = root().join("tests/data/abtem-80kv");
    let s = sacsim::io::read_structure(&dir.join("structure.xyz")).unwrap();
    let (abtem, nx_ab, ny_ab) = sacsim::io::raster::read_npy(&dir.join("haadf.npy")).unwrap();
    // abTEM stores img[ix, iy]: shape (148, 150) read as (ny, nx) = (148, 150).
    let (nx, ny) = (ny_ab, nx_ab);
    assert_eq!((nx, ny), (148, 150));
    let mut imaging = Imaging::default_80kv();
    imaging.thermal_rms = sacsim::stem::thermal::ThermalRms::uniform(0.0); // abTEM reference: static lattice
    let img = simulate(
        &s,
        &imaging,
        &Scan {
            pixel: 0.2,
            shape: Some([nx, ny]),
            window: None,
        },
    )
    .unwrap();
    let ours: Vec<f64> = (0..nx)
        .flat_map(|ix| (0..ny).map(move |iy| (ix, iy)))
        .map(|(ix, iy)| img.at(ix, iy) as f64)
        .collect();
    let theirs: Vec<f64> = abtem.iter().map(|&v| v as f64).collect();
    let r = pearson(&ours, &theirs);
    assert!(r >= 0.99, "Pearson r = {r}");

    let [lx, ly, _] = s.lattice.lengths();
    let peak = |data: &[f64], x: f64, y: f64| {
        let mut m = 0.0f64;
        for ix in 0..nx {
            for iy in 0..ny {
                let dx = (ix as f64 * img.frame.pixel[0] - x).abs();
                let dy = (iy as f64 * img.frame.pixel[1] - y).abs();
                let (dx, dy) = (dx.min(lx - dx), dy.min(ly - dy));
                if dx * dx + dy * dy <= 0.09 {
                    m = m.max(data[ix * ny + iy]);
                }
            }
        }
        m
    };
    let ratios = |data: &[f64]| {
        let metal = |sym: &str| {
            s.atoms
                .iter()
                .find(|a| a.element.symbol() == sym)
                .unwrap()
                .position
        };
        let (co, mn) = (metal("Co"), metal("Mn"));
        let co = peak(data, co.x, co.y);
        let mn = peak(data, mn.x, mn.y);
        let cs: Vec<f64> = s
            .atoms
            .iter()
            .filter(|a| a.element == Element::C)
            .map(|a| peak(data, a.position.x, a.position.y))
            .collect();
        let c = cs.iter().sum::<f64>() / cs.len() as f64;
        [co / c, mn / c, co / mn]
    };
    let (a, b) = (ratios(&ours), ratios(&theirs));
    // abTEM's own numbers (meta.json): Co/C 15.52, Mn/C 13.37 with its C mean.
    assert!(
        (b[0] - 15.5).abs() < 0.1 && (b[1] - 13.35).abs() < 0.1,
        "{b:?}"
    );
    for (k, name) in ["Co/C", "Mn/C", "Co/Mn"].iter().enumerate() {
        assert!(
            (a[k] / b[k] - 1.0).abs() < 0.03,
            "{name}: sacsim {:.3} vs abTEM {:.3}",
            a[k],
            b[k]
        );
    }
}

#[test]
fn cross_sections_match_the_reference_table() {
    // validation/cross-sections.md (scipy quadrature of Kirkland's
    // parameterisation): C, N, Mn, Co in Å².
    let cases = [
        (
            80.0,
            80.0,
            200.0,
            CrossSectionModel::Born,
            [4.1561e-4, 5.5916e-4, 6.1405e-3, 7.1593e-3],
        ),
        (
            80.0,
            80.0,
            200.0,
            CrossSectionModel::PhaseObject,
            [4.1390e-4, 5.5618e-4, 5.6840e-3, 6.5396e-3],
        ),
        (
            60.0,
            80.0,
            200.0,
            CrossSectionModel::Born,
            [6.7193e-4, 9.1507e-4, 9.8381e-3, 1.1510e-2],
        ),
        (
            200.0,
            80.0,
            200.0,
            CrossSectionModel::Born,
            [9.3097e-5, 1.2388e-4, 1.4412e-3, 1.6590e-3],
        ),
        (
            300.0,
            50.0,
            200.0,
            CrossSectionModel::Born,
            [1.2508e-4, 1.6668e-4, 1.9036e-3, 2.1995e-3],
        ),
    ];
    for (kv, inner, outer, model, want) in cases {
        let d = Detector {
            inner_mrad: inner,
            outer_mrad: outer,
        };
        for (sym, w) in ["C", "N", "Mn", "Co"].iter().zip(want) {
            let got = cross_section(Element::from_symbol(sym).unwrap(), kv, d, model);
            assert!(
                (got / w - 1.0).abs() < 1e-3,
                "{kv} kV {inner}-{outer} {model:?} {sym}: {got:.5e} vs {w:.5e}"
            );
        }
    }
    // Z^n: Co/C = (27/6)^1.7 exactly; phase object Co/Mn 1.15.
    let d = Detector {
        inner_mrad: 80.0,
        outer_mrad: 200.0,
    };
    let zn = |e| cross_section(e, 80.0, d, CrossSectionModel::PowerLaw { exponent: 1.7 });
    assert!((zn(Element::CO) / zn(Element::C) - 4.5f64.powf(1.7)).abs() < 1e-9);
}

fn box_with(atoms: Vec<(Element, f64, f64)>) -> Structure {
    box_in(
        10.0,
        atoms.into_iter().map(|(e, x, y)| (e, x, y, 5.0)).collect(),
    )
}

/// A 20 x 16 Å cell, periodic in-plane, `c` Å high, holding the atoms.
pub(crate) fn box_in(c: f64, atoms: Vec<(Element, f64, f64, f64)>) -> Structure {
    Structure {
        title: "test".into(),
        lattice: Lattice::new([[20.0, 0.0, 0.0], [0.0, 16.0, 0.0], [0.0, 0.0, c]]).unwrap(),
        pbc: [true, true, false],
        atoms: atoms
            .into_iter()
            .map(|(e, x, y, z)| Atom::new(e, Vector3::new(x, y, z)))
            .collect(),
    }
}

#[test]
fn image_is_linear_in_atoms_and_integrates_to_the_cross_sections() {
    let imaging = Imaging::default_80kv();
    let scan = Scan {
        pixel: 0.1,
        shape: None,
        window: None,
    };
    let a = simulate(&box_with(vec![(Element::CO, 5.03, 4.17)]), &imaging, &scan).unwrap();
    let b = simulate(
        &box_with(vec![(Element::MN, 12.71, 9.88), (Element::C, 15.0, 3.0)]),
        &imaging,
        &scan,
    )
    .unwrap();
    let ab = simulate(
        &box_with(vec![
            (Element::CO, 5.03, 4.17),
            (Element::MN, 12.71, 9.88),
            (Element::C, 15.0, 3.0),
        ]),
        &imaging,
        &scan,
    )
    .unwrap();
    let peak = ab.data.iter().fold(0f32, |m, &v| m.max(v));
    for k in 0..ab.data.len() {
        assert!((ab.data[k] - a.data[k] - b.data[k]).abs() < 1e-5 * peak);
    }
    // ∫ I dA = Σ σ: the image holds exactly the scattered fraction.
    let sigma = |e| sacsim::stem::incoherent::cached_cross_section(e, &imaging);
    let total: f64 =
        ab.data.iter().map(|&v| v as f64).sum::<f64>() * ab.frame.pixel[0] * ab.frame.pixel[1];
    let want = sigma(Element::CO) + sigma(Element::MN) + sigma(Element::C);
    assert!((total / want - 1.0).abs() < 1e-3, "{total} vs {want}");
}

#[test]
fn atoms_keep_their_sub_pixel_positions() {
    let imaging = Imaging::default_80kv();
    let scan = Scan {
        pixel: 0.2,
        shape: None,
        window: None,
    };
    let centroid = |x: f64, y: f64| {
        let img = simulate(&box_with(vec![(Element::CO, x, y)]), &imaging, &scan).unwrap();
        let (mut sx, mut sy, mut s) = (0.0, 0.0, 0.0);
        for iy in 0..img.frame.ny() {
            for ix in 0..img.frame.nx() {
                let (px, py) = (
                    ix as f64 * img.frame.pixel[0],
                    iy as f64 * img.frame.pixel[1],
                );
                if (px - 10.0).abs() < 4.0 && (py - 8.0).abs() < 4.0 {
                    let v = img.at(ix, iy) as f64;
                    sx += v * px;
                    sy += v * py;
                    s += v;
                }
            }
        }
        (sx / s, sy / s)
    };
    let (x0, y0) = centroid(10.0, 8.0);
    for (dx, dy) in [(0.03, 0.0), (0.07, -0.05), (0.13, 0.11)] {
        let (x1, y1) = centroid(10.0 + dx, 8.0 + dy);
        assert!(
            (x1 - x0 - dx).abs() < 0.005 && (y1 - y0 - dy).abs() < 0.005,
            "shift {dx},{dy} -> {},{}",
            x1 - x0,
            y1 - y0
        );
    }
}

#[test]
fn poisson_noise_has_variance_equal_to_mean_counts() {
    let (n, value) = (256, 0.01f32);
    let fine = FineImage {
        nx: n,
        ny: n,
        h: [0.2, 0.2],
        origin: [0.0, 0.0],
        data: vec![value; n * n],
        oversample: 1,
        offset: [0, 0],
        out: [n, n],
    };
    let acq = Acquisition {
        dose: Some(5e4),
        seed: 9,
        ..Default::default()
    };
    let img = acquire(&fine, &acq);
    let counts: Vec<f64> = img.data.iter().map(|&v| v as f64).collect();
    let mean = counts.iter().sum::<f64>() / counts.len() as f64;
    let var = counts.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / (counts.len() - 1) as f64;
    let lambda = 5e4 * 0.04 * value as f64; // dose x pixel area x signal = 20 counts
    assert!(
        (mean / lambda - 1.0).abs() < 0.01,
        "mean {mean} vs {lambda}"
    );
    // Var of the sample variance: ~2 λ² / N -> 1.1 % here; allow 4 sigma.
    assert!(
        (var / mean - 1.0).abs() < 0.045,
        "variance {var} vs mean {mean}"
    );
    assert!(counts.iter().all(|c| c.fract() == 0.0 && *c >= 0.0));
}

#[test]
fn windows_and_periodic_cells_give_the_same_image() {
    // Imaging the cell through a padded window reproduces the periodic image.
    let s = box_with(vec![
        (Element::CO, 1.0, 1.0),
        (Element::MN, 10.0, 8.0),
        (Element::C, 19.5, 15.7),
    ]);
    let imaging = Imaging::default_80kv();
    let periodic = simulate(
        &s,
        &imaging,
        &Scan {
            pixel: 0.2,
            shape: None,
            window: None,
        },
    )
    .unwrap();
    let window = simulate(
        &s,
        &imaging,
        &Scan {
            pixel: 0.2,
            shape: None,
            window: Some([0.0, 0.0, 20.0, 16.0]),
        },
    )
    .unwrap();
    assert_eq!((periodic.frame.shape), (window.frame.shape));
    let peak = periodic.data.iter().fold(0f32, |m, &v| m.max(v));
    let worst = periodic
        .data
        .iter()
        .zip(&window.data)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert!(worst < 1e-4 * peak, "{worst} of {peak}");
}

#[test]
fn bad_optics_and_oversized_fields_are_refused() {
    let tmp = tempdir();
    let out = tmp.path().join("never");
    let o = out.to_str().unwrap();
    let model = root().join("structures/l-co1mn1-nc/POSCAR");
    let m = model.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str, i32)> = vec![
        (
            vec!["simulate", m, "--alpha=-5", "-o", o],
            "the convergence semi-angle must lie in 0-200 mrad",
            2,
        ),
        (
            vec!["simulate", m, "--detector", "20,200", "-o", o],
            "the inner angle 20 mrad lies inside the 30 mrad probe aperture",
            2,
        ),
        (
            vec!["simulate", m, "--detector", "200,80", "-o", o],
            "give inner < outer",
            2,
        ),
        (
            vec!["simulate", m, "--kv", "0", "-o", o],
            "give a positive voltage",
            2,
        ),
        (
            vec!["simulate", m, "--model", "lorentz", "-o", o],
            "invalid value 'lorentz' for '--model <MODEL>': unknown image model 'lorentz'; valid image models: phase-object, born, zn, zn:N (incoherent), multislice",
            2,
        ),
        (
            vec![
                "simulate",
                m,
                "--window",
                "0,0,5000,5000",
                "--pixel",
                "0.05",
                "-o",
                o,
            ],
            "GiB, more than the",
            2,
        ),
        (
            vec![
                "simulate",
                m,
                "--window",
                "0,0,1e6,1e6",
                "--pixel",
                "0.05",
                "-o",
                o,
            ],
            "make 2e7 x 2e7 pixels; at most 100000 per side",
            2,
        ),
        (
            vec!["simulate", m, "--dose=-3", "-o", o],
            "give a dose in 0-1e12 e/Å²",
            2,
        ),
        (vec!["simulate", "nothing.xyz", "-o", o], "nothing.xyz", 1),
    ];
    for (args, want, code) in cases {
        let r = sacsim(&args);
        assert_eq!(r.status.code(), Some(code), "{args:?}");
        let e = String::from_utf8_lossy(&r.stderr).into_owned();
        assert!(e.contains(want), "{args:?}\n got: {e}\nwant: {want}");
        assert_eq!(e.trim_end().lines().count(), 1, "{e}");
        assert!(!out.exists());
    }
    // The bright-field override lets the same detector through.
    let ok = tmp.path().join("bf");
    sacsim_ok(&[
        "simulate",
        m,
        "--detector",
        "20,200",
        "--bright-field",
        "--pixel",
        "0.3",
        "-o",
        ok.to_str().unwrap(),
    ]);
}

#[test]
fn noisy_simulation_is_reproducible_on_any_thread_count() {
    let tmp = tempdir();
    let sample = tmp.path().join("s");
    sacsim_ok(&[
        "sample",
        "--size",
        "6x6",
        "--density",
        "1",
        "--seed",
        "5",
        "-o",
        sample.to_str().unwrap(),
    ]);
    let mut runs = Vec::new();
    for threads in ["1", "2"] {
        let dir = tmp.path().join(threads);
        let r = std::process::Command::new(env!("CARGO_BIN_EXE_sacsim"))
            .env("RAYON_NUM_THREADS", threads)
            .args([
                "simulate",
                sample.to_str().unwrap(),
                "--pixel",
                "0.15",
                "--dose",
                "1e5",
                "--detector-noise",
                "1",
                "--line-jitter",
                "0.1",
                "--drift",
                "1,0.5",
                "--probe-jitter",
                "0.02",
                "--flyback",
                "0.3",
                "--line-offset",
                "0.01",
                "--seed",
                "3",
                "-o",
                dir.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        runs.push(
            super::files_in(&dir)
                .iter()
                .map(|p| std::fs::read(p).unwrap())
                .collect::<Vec<_>>(),
        );
    }
    assert!(runs[0] == runs[1], "1 and 2 threads differ");
}

#[test]
fn metals_in_the_truth_table_sit_on_image_maxima() {
    let tmp = tempdir();
    let dir = tmp.path().join("sim");
    let model = root().join("structures/l-co1mn1-nc/POSCAR");
    sacsim_ok(&[
        "simulate",
        model.to_str().unwrap(),
        "--pixel",
        "0.1",
        "-o",
        dir.to_str().unwrap(),
    ]);
    let (img, nx, ny) = sacsim::io::raster::read_npy(&dir.join("image.npy")).unwrap();
    let csv = std::fs::read_to_string(dir.join("atoms.csv")).unwrap();
    let rows: Vec<Vec<String>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    // The hexagonal cell is imaged through its atoms' bounding box, which
    // also shows periodic copies of the metals: all are listed.
    let metals = rows.iter().filter(|r| r[1] == "Co" || r[1] == "Mn").count();
    assert!(metals >= 2 && metals == rows.len(), "{csv}");
    for row in &rows {
        let (x, y): (f64, f64) = (row[7].parse().unwrap(), row[8].parse().unwrap());
        let (ix, iy) = (x.round() as usize, y.round() as usize);
        // The brightest pixel within 2 px is within 1 px of the truth.
        let mut best = (0f32, 0usize, 0usize);
        for j in iy.saturating_sub(2)..(iy + 3).min(ny) {
            for i in ix.saturating_sub(2)..(ix + 3).min(nx) {
                if img[j * nx + i] > best.0 {
                    best = (img[j * nx + i], i, j);
                }
            }
        }
        assert!(
            (best.1 as f64 - x).abs() <= 1.0 && (best.2 as f64 - y).abs() <= 1.0,
            "{row:?} max at {},{}",
            best.1,
            best.2
        );
    }
}

fn box_at(atoms: Vec<(Element, f64, f64, f64)>) -> Structure {
    box_in(60.0, atoms)
}

/// Depth-resolved imaging: an atom d below the focal plane is the
/// depth-blind image at defocus −d (abTEM's sign: the probe is propagated
/// d past its focus), exactly; the image is the sum of its layers; a
/// monolayer is unchanged; the bottom atom is dimmer and wider.
#[test]
fn an_atom_at_depth_is_the_depth_blind_image_at_that_defocus() {
    let scan = Scan {
        pixel: 0.1,
        shape: None,
        window: None,
    };
    let on = Imaging::default_80kv();
    let off = Imaging {
        depth_resolved: false,
        ..on.clone()
    };
    let top = (Element::CO, 5.0, 4.0, 40.0);
    let bottom = (Element::MN, 14.0, 11.0, 3.0);
    let both = simulate(&box_at(vec![top, bottom]), &on, &scan).unwrap();
    // The top atom defines the entrance surface and the default focus.
    let top_alone = simulate(&box_at(vec![top]), &off, &scan).unwrap();
    let mut defocused = off.clone();
    defocused.probe.aberrations.c1 += 37.0; // defocus −37 Å = C1 +37 Å
    let bottom_alone = simulate(&box_at(vec![bottom]), &defocused, &scan).unwrap();
    let peak = both.data.iter().fold(0f32, |m, &v| m.max(v));
    for k in 0..both.data.len() {
        let sum = top_alone.data[k] + bottom_alone.data[k];
        assert!(
            (both.data[k] - sum).abs() <= 1e-5 * peak,
            "{k}: {} vs {sum}",
            both.data[k]
        );
    }
    // Focus on the bottom atom instead: now the top one is 37 Å above it.
    let focused_low = Imaging {
        focus: Some(3.0),
        ..on.clone()
    };
    let low = simulate(&box_at(vec![bottom]), &focused_low, &scan).unwrap();
    let plain = simulate(&box_at(vec![bottom]), &off, &scan).unwrap();
    assert_eq!(
        low.data, plain.data,
        "an atom in the focal plane is unchanged"
    );
    // The defocused bottom atom: same integral, lower peak.
    let peak_of =
        |img: &sacsim::stem::incoherent::Image| img.data.iter().fold(0f32, |m, &v| m.max(v));
    assert!(peak_of(&bottom_alone) < 0.8 * peak_of(&plain));
    let sum =
        |img: &sacsim::stem::incoherent::Image| img.data.iter().map(|&v| v as f64).sum::<f64>();
    assert!((sum(&bottom_alone) / sum(&plain) - 1.0).abs() < 1e-3);
    // A monolayer (all atoms in one plane) is the same with depth on or off.
    let flat = box_with(vec![(Element::CO, 5.03, 4.17), (Element::C, 15.0, 3.0)]);
    assert_eq!(
        simulate(&flat, &on, &scan).unwrap().data,
        simulate(&flat, &off, &scan).unwrap().data
    );
}
