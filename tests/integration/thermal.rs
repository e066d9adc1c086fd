//! Per-element thermal vibration (`--thermal 0.05,Co=0.2`) in the
//! incoherent model: each element is smeared by a Gaussian of its own rms.

use sacsim::stem::incoherent::{Image, Imaging, Scan, simulate};
use sacsim::structure::Element;

use super::stem::box_in;
use super::{root, sacsim, sacsim_ok, tempdir};

fn scan() -> Scan {
    Scan {
        pixel: 0.1,
        shape: None,
        window: None,
    }
}

fn with_rms(rms: &str) -> Imaging {
    let mut imaging = Imaging::default_80kv();
    imaging.thermal_rms = rms.parse().unwrap();
    imaging
}

/// |F(k)| of the periodic image at k = (m / Lx, 0).
fn fourier_x(img: &Image, m: usize) -> f64 {
    let (mut re, mut im) = (0.0, 0.0);
    let (nx, ny) = (img.frame.nx(), img.frame.ny());
    assert_eq!(nx, 200, "the image covers the 20 Å cell");
    for iy in 0..ny {
        for ix in 0..nx {
            let v = img.at(ix, iy) as f64;
            let phase = 2.0 * std::f64::consts::PI * (m * ix) as f64 / nx as f64;
            re += v * phase.cos();
            im -= v * phase.sin();
        }
    }
    re.hypot(im)
}

/// The image with per-element rms is the sum of each element's image with
/// that rms for all, and a Co atom's spectrum is damped by exactly the
/// Debye-Waller factor exp(−2π²(u1² − u0²)k²) between two rms values.
#[test]
fn each_element_is_smeared_by_its_own_rms() {
    let co = (Element::CO, 5.0, 4.0, 5.0);
    let c = (Element::C, 15.0, 11.0, 5.0);
    let mixed = simulate(
        &box_in(10.0, vec![co, c]),
        &with_rms("0.05,Co=0.2"),
        &scan(),
    )
    .unwrap();
    let co_alone = simulate(&box_in(10.0, vec![co]), &with_rms("0.2"), &scan()).unwrap();
    let c_alone = simulate(&box_in(10.0, vec![c]), &with_rms("0.05"), &scan()).unwrap();
    let peak = mixed.data.iter().fold(0f32, |m, &v| m.max(v));
    for k in 0..mixed.data.len() {
        let sum = co_alone.data[k] + c_alone.data[k];
        assert!((mixed.data[k] - sum).abs() <= 2e-5 * peak, "{k}");
    }
    // The cell is 20 Å wide (200 px): k = m / 20 Å⁻¹.
    let co_still = simulate(&box_in(10.0, vec![co]), &with_rms("0.05"), &scan()).unwrap();
    for m in [4, 8, 12] {
        let k = m as f64 / 20.0;
        let expected =
            (-2.0 * std::f64::consts::PI.powi(2) * (0.2f64.powi(2) - 0.05f64.powi(2)) * k * k)
                .exp();
        let ratio = fourier_x(&co_alone, m) / fourier_x(&co_still, m);
        assert!(
            (ratio / expected - 1.0).abs() < 2e-3,
            "k {k}: {ratio} vs {expected}"
        );
    }
}

/// The CLI takes per-element values, records them in params.json, and
/// refuses a bad one with the rule.
#[test]
fn the_cli_records_per_element_rms_and_refuses_bad_ones() {
    let dir = tempdir();
    let out = dir.path().join("img");
    let model = root().join("structures/co1-nc/POSCAR");
    sacsim_ok(&[
        "simulate",
        model.to_str().unwrap(),
        "--thermal",
        "0.07,Co=0.05",
        "--pixel",
        "0.2",
        "-o",
        out.to_str().unwrap(),
    ]);
    let params: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("params.json")).unwrap()).unwrap();
    let recorded = &params["imaging"]["thermal_angstrom"];
    assert_eq!(recorded["default"], 0.07, "{recorded}");
    assert_eq!(recorded["Co"], 0.05, "{recorded}");
    let bad_out = dir.path().join("bad");
    let bad = sacsim(&[
        "simulate",
        model.to_str().unwrap(),
        "--thermal",
        "0.07,Co=1.5",
        "-o",
        bad_out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        !bad.status.success() && err.contains("Co=1.5") && err.contains("0-1 Å"),
        "{err}"
    );
    assert!(!bad_out.exists());
}
