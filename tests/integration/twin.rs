//! `sacsim twin` recovers what made an image: the detector's gain and
//! offset, the dose, the atom count and the support thickness.

#[test]
fn a_twin_recovers_gain_offset_dose_atoms_and_thickness_of_a_known_image() {
    // Pt single atoms on a wedge (1 -> 6 nm) read out with gain 20 ADC/e,
    // offset 300 at 5e4 e/Å².
    let dir = crate::tempdir();
    let (s, im, tw) = (
        dir.path().join("s"),
        dir.path().join("im"),
        dir.path().join("tw"),
    );
    crate::sacsim_ok(&[
        "sample",
        "--size",
        "8x8",
        "--support",
        "amorphous",
        "--support-shape",
        "wedge:1,6",
        "--mix",
        "pt-n4:1",
        "--density",
        "0.3",
        "--seed",
        "3",
        "-o",
        s.to_str().unwrap(),
    ]);
    crate::sacsim_ok(&[
        "simulate",
        s.to_str().unwrap(),
        "--pixel",
        "0.25",
        "--dose",
        "5e4",
        "--gain",
        "20",
        "--offset",
        "300",
        "--seed",
        "3",
        "-o",
        im.to_str().unwrap(),
    ]);
    // The calibration comes from the TIFF's own tags.
    crate::sacsim_ok(&[
        "twin",
        im.join("image.tiff").to_str().unwrap(),
        "-o",
        tw.to_str().unwrap(),
    ]);
    let j: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tw.join("twin.json")).unwrap()).unwrap();
    let e = &j["estimate"];
    let f = |v: &serde_json::Value| v.as_f64().unwrap();
    assert!((f(&e["noise"]["gain"]) / 20.0 - 1.0).abs() < 0.1, "{e}");
    assert!((f(&e["noise"]["offset"]) - 300.0).abs() < 15.0, "{e}");
    assert!((f(&e["dose_e_per_a2"]) / 5e4 - 1.0).abs() < 0.2, "{e}");
    // 20 sites (0.3 /nm² of 64 nm²), all found.
    let n = e["atoms_detected"].as_u64().unwrap();
    assert!((19..=21).contains(&n), "{e}");
    // The wedge's median thickness is 3.5 nm.
    assert!((f(&e["thickness_nm"][0]) / 3.5 - 1.0).abs() < 0.3, "{e}");
    // The twin: same frame, its own truth with one Pt per detected atom.
    let truth = std::fs::read_to_string(tw.join("atoms.csv")).unwrap();
    assert_eq!(
        truth.lines().skip(1).filter(|l| l.contains(",Pt,")).count() as u64,
        n
    );
    let (v, nx, ny) = sacsim::io::raster::read_npy_f64(&tw.join("image.npy")).unwrap();
    let (r, rx, ry) = sacsim::io::raster::read_npy_f64(&im.join("image.npy")).unwrap();
    assert_eq!((nx, ny), (rx, ry));
    // Mean level within 10 % of the original's.
    let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
    assert!(
        (mean(&v) / mean(&r) - 1.0).abs() < 0.1,
        "{} vs {}",
        mean(&v),
        mean(&r)
    );
}

#[test]
fn a_twin_of_an_image_without_noise_is_refused_and_writes_nothing() {
    let dir = crate::tempdir();
    let (s, im, tw) = (
        dir.path().join("s"),
        dir.path().join("im"),
        dir.path().join("tw"),
    );
    crate::sacsim_ok(&[
        "sample",
        "--size",
        "4x4",
        "--mix",
        "pt-n4:1",
        "-o",
        s.to_str().unwrap(),
    ]);
    crate::sacsim_ok(&[
        "simulate",
        s.to_str().unwrap(),
        "--pixel",
        "0.25",
        "-o",
        im.to_str().unwrap(),
    ]);
    let out = crate::sacsim(&[
        "twin",
        im.join("image.tiff").to_str().unwrap(),
        "-o",
        tw.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("no noise"), "{err}");
    assert!(!tw.exists());
}
