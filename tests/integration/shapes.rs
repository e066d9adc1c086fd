//! Shaped supports: a wedge's background follows its thickness through
//! carbon's cross section, a rod has vacuum beyond its edges, and sites
//! sit on the surfaces.

use sacsim::model::sample::{Sample, SampleSpec, Support, SupportShape, build_sample, parse_mix};
use sacsim::stem::incoherent::{Imaging, cached_cross_section, simulate};
use sacsim::stem::scan::Scan;
use sacsim::structure::Element;

fn shaped(shape: SupportShape, size: [f64; 2], density: f64, seed: u64) -> Sample {
    build_sample(&SampleSpec {
        size_nm: size,
        density,
        mix: parse_mix("co-n4:1").unwrap(),
        support: Support::Amorphous {
            shape,
            density_g_cm3: 2.0,
        },
        seed,
        ..SampleSpec::default()
    })
    .unwrap()
}

#[test]
fn a_wedge_background_rises_with_thickness_as_the_cross_section_predicts() {
    // 1 -> 5 nm across 12 nm, no sites; depth-resolved image, no noise.
    let (t0, t1) = (10.0, 50.0);
    let s = shaped(
        SupportShape::Wedge {
            t0_nm: t0 / 10.0,
            t1_nm: t1 / 10.0,
        },
        [12.0, 8.0],
        0.0,
        5,
    );
    let imaging = Imaging::default_80kv();
    assert!(imaging.depth_resolved);
    let scan = Scan {
        pixel: 0.25,
        shape: None,
        window: None,
    };
    let img = simulate(&s.structure, &imaging, &scan).unwrap();
    let [lx, ly] = s.box_angstrom;
    let (nx, ny) = (img.frame.shape[0], img.frame.shape[1]);
    // Expected fraction scattered per Å²: (sheet atoms per Å² + ρ t(x)) σ_C.
    let sigma_c = cached_cross_section(Element::C, &imaging);
    let rho = 2.0 * sacsim::model::sample::CARBON_ATOMS_PER_A3_PER_G_CM3;
    let sheet = 4.0 / (2.46 * 2.46 * 3f64.sqrt());
    let strip = 20.0; // Å
    let mut worst: f64 = 0.0;
    let mut x0 = 15.0; // away from the seam, where the wedge steps back
    while x0 + strip < lx - 15.0 {
        let cols = (x0 / lx * nx as f64) as usize..((x0 + strip) / lx * nx as f64) as usize;
        let sum: f64 = (0..ny)
            .flat_map(|iy| cols.clone().map(move |ix| (ix, iy)))
            .map(|(ix, iy)| img.at(ix, iy) as f64)
            .sum();
        let mean = sum / (cols.len() * ny) as f64;
        let t = t0 + (t1 - t0) * (x0 + strip / 2.0) / lx;
        let want = (sheet + rho * t) * sigma_c;
        worst = worst.max((mean / want - 1.0).abs());
        x0 += strip;
    }
    assert!(worst < 0.05, "worst strip off by {:.1} %", 100.0 * worst);
    assert!(ly > 70.0);
}

#[test]
fn a_rod_has_vacuum_beyond_its_edges_and_sites_on_its_surface() {
    let r = 30.0;
    let s = shaped(
        SupportShape::Rod {
            radius_nm: r / 10.0,
        },
        [12.0, 6.0],
        0.3,
        2,
    );
    let [lx, _] = s.box_angstrom;
    let xc = lx / 2.0;
    for a in &s.structure.atoms {
        assert!(
            (a.position.x - xc).abs() < r + 1e-9,
            "atom beyond the rod at x {}",
            a.position.x
        );
    }
    // The axis: every sheet atom lies R from it, every body atom closer.
    let axis = s
        .structure
        .atoms
        .iter()
        .map(|a| a.position.z - (r * r - (a.position.x - xc).powi(2)).sqrt())
        .fold(f64::MIN, f64::max);
    // Sites: 0.3 per nm² of the rod's projected area, on the top surface
    // (the sheet, on the circle of radius R about the axis; MN4 metals sit
    // in the sheet).
    let area_nm2 = 2.0 * r * s.box_angstrom[1] / 100.0;
    assert_eq!(s.sites.len(), (0.3 * area_nm2).round() as usize);
    for m in s.sites.iter().flat_map(|site| &site.metals) {
        let (dx, dz) = (m.position[0] - xc, m.position[2] - axis);
        assert!(
            dz > 0.0 && ((dx * dx + dz * dz).sqrt() - r).abs() < 1e-6,
            "{m:?}"
        );
    }
    // The image is dark beyond the rod: 2.5 nm out only the probe's Airy
    // tails reach (~1/d² summed along the rod), under 0.3 % of the centre.
    let imaging = Imaging::default_80kv();
    let img = simulate(
        &s.structure,
        &imaging,
        &Scan {
            pixel: 0.5,
            shape: None,
            window: None,
        },
    )
    .unwrap();
    let (nx, ny) = (img.frame.shape[0], img.frame.shape[1]);
    let column = |x: f64| {
        let ix = (x / lx * nx as f64) as usize;
        (0..ny).map(|iy| img.at(ix, iy) as f64).sum::<f64>() / ny as f64
    };
    let centre = column(xc);
    assert!(centre > 0.0);
    for x in [3.0, lx - 3.0] {
        assert!(
            column(x) < 3e-3 * centre,
            "vacuum at x {x}: {}",
            column(x) / centre
        );
    }
}

#[test]
fn integer_detector_output_reproduces_its_gain_and_offset() {
    // A rod (vacuum on both sides) at 1e5 e/Å², read out with gain 25 ADC
    // units per electron, offset 500, dark noise 3 and a 16-bit ADC.
    let dir = crate::tempdir();
    let (s, im) = (dir.path().join("s"), dir.path().join("im"));
    crate::sacsim_ok(&[
        "sample",
        "--size",
        "8x6",
        "--support",
        "amorphous",
        "--support-shape",
        "rod:1.5",
        "-o",
        s.to_str().unwrap(),
    ]);
    crate::sacsim_ok(&[
        "simulate",
        s.join("sample.xyz").to_str().unwrap(),
        "--pixel",
        "0.2",
        "--dose",
        "1e5",
        "--gain",
        "25",
        "--offset",
        "500",
        "--dark-noise",
        "3",
        "--adc-bits",
        "16",
        "--seed",
        "4",
        "-o",
        im.to_str().unwrap(),
    ]);
    let npy = std::fs::read(im.join("image.npy")).unwrap();
    assert!(
        String::from_utf8_lossy(&npy[..128]).contains("'<u2'"),
        "stored as uint16"
    );
    let tiff = sacsim::io::tiff::read(&im.join("image.tiff")).unwrap();
    let (v, nx, _) = sacsim::io::raster::read_npy_f64(&im.join("image.npy")).unwrap();
    let (clean, _, _) = sacsim::io::raster::read_npy_f64(&im.join("clean.npy")).unwrap();
    assert!(v.iter().zip(&tiff.data).all(|(a, b)| *a == *b as f64));
    assert!(
        v.iter()
            .all(|x| x.fract() == 0.0 && (0.0..=65535.0).contains(x))
    );
    let params: serde_json::Value =
        serde_json::from_slice(&std::fs::read(im.join("params.json")).unwrap()).unwrap();
    let px: Vec<f64> = serde_json::from_value(params["pixel_angstrom"].clone()).unwrap();
    let lambda: Vec<f64> = clean.iter().map(|c| c * 1e5 * px[0] * px[1]).collect();
    // Offset: the vacuum beyond the rod reads offset + dark noise (+ the
    // probe's Airy tails, under 5e-3 electrons per pixel, subtracted).
    let vacuum: Vec<(f64, f64)> = v
        .iter()
        .zip(&lambda)
        .enumerate()
        .filter(|(k, (_, l))| {
            let x = (k % nx) as f64 * px[0];
            **l < 5e-3 && !(20.0..=60.0).contains(&x)
        })
        .map(|(_, (x, l))| (*x, *l))
        .collect();
    assert!(vacuum.len() > 5000, "{} vacuum pixels", vacuum.len());
    let n = vacuum.len() as f64;
    let tails = vacuum.iter().map(|(_, l)| l).sum::<f64>() / n;
    let mean_vac = vacuum.iter().map(|(x, _)| x).sum::<f64>() / n - 25.0 * tails;
    let var_vac = vacuum
        .iter()
        .map(|(x, l)| (x - 500.0 - 25.0 * l).powi(2))
        .sum::<f64>()
        / n
        - 625.0 * tails;
    assert!((mean_vac - 500.0).abs() < 0.2, "offset {mean_vac}");
    // Dark noise 3 plus rounding (1/12).
    let dark = (var_vac - 1.0 / 12.0).sqrt();
    assert!((dark - 3.0).abs() < 0.1, "dark noise {dark}");
    // Gain from the mean (least squares of value on electrons) and from the
    // variance (photon transfer: var - dark = gain² · electrons).
    let n = v.len() as f64;
    let (ml, mv) = (lambda.iter().sum::<f64>() / n, v.iter().sum::<f64>() / n);
    let (sxy, sxx) = lambda.iter().zip(&v).fold((0.0, 0.0), |(a, b), (l, x)| {
        (a + (l - ml) * (x - mv), b + (l - ml).powi(2))
    });
    let gain = sxy / sxx;
    assert!(
        (gain / 25.0 - 1.0).abs() < 0.01,
        "gain from the mean {gain}"
    );
    let resid = lambda
        .iter()
        .zip(&v)
        .map(|(l, x)| (x - 500.0 - 25.0 * l).powi(2))
        .sum::<f64>()
        / n;
    let gain_var = ((resid - var_vac) / ml).sqrt();
    assert!(
        (gain_var / 25.0 - 1.0).abs() < 0.03,
        "gain from the variance {gain_var}"
    );
}

#[test]
fn shaped_samples_read_out_images_and_twins_are_the_same_bytes_on_one_and_two_threads() {
    let tmp = crate::tempdir();
    let mut runs = Vec::new();
    for threads in ["1", "2"] {
        let d = tmp.path().join(threads);
        let run = |args: &[&str]| {
            let o = std::process::Command::new(env!("CARGO_BIN_EXE_sacsim"))
                .env("RAYON_NUM_THREADS", threads)
                .args(args)
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        };
        let (s, im, tw) = (d.join("s"), d.join("im"), d.join("tw"));
        run(&[
            "sample",
            "--size",
            "6x6",
            "--support",
            "amorphous",
            "--support-shape",
            "field:1.5,0.5,1",
            "--both-faces",
            "--mix",
            "pt-n4:1",
            "--seed",
            "9",
            "-o",
            s.to_str().unwrap(),
        ]);
        run(&[
            "simulate",
            s.to_str().unwrap(),
            "--pixel",
            "0.25",
            "--dose",
            "5e4",
            "--gain",
            "8",
            "--offset",
            "100",
            "--dark-noise",
            "2",
            "--adc-bits",
            "16",
            "--seed",
            "9",
            "-o",
            im.to_str().unwrap(),
        ]);
        run(&[
            "twin",
            im.join("image.tiff").to_str().unwrap(),
            "-o",
            tw.to_str().unwrap(),
        ]);
        let mut bytes = Vec::new();
        for f in [
            "s/sample.xyz",
            "s/sites.json",
            "im/image.npy",
            "im/image.tiff",
            "tw/image.npy",
        ] {
            bytes.push(std::fs::read(d.join(f)).unwrap());
        }
        // twin.json names its input path; the estimate must match.
        let j: serde_json::Value =
            serde_json::from_slice(&std::fs::read(d.join("tw/twin.json")).unwrap()).unwrap();
        bytes.push(j["estimate"].to_string().into_bytes());
        runs.push(bytes);
    }
    for (k, (a, b)) in runs[0].iter().zip(&runs[1]).enumerate() {
        assert!(
            a == b,
            "output {k} differs between 1 and 2 threads: {} vs {}",
            String::from_utf8_lossy(&a[..a.len().min(600)]),
            String::from_utf8_lossy(&b[..b.len().min(600)])
        );
    }
}
