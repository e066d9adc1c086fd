//! `sacsim profile`: line profiles across a Co-Mn pair (the source
//! paper's Fig. 1f) recover the pair's distance and its intensity ratio.

use super::{json, sacsim, sacsim_ok, tempdir};

/// A noise-free image of the L-Co1Mn1-NC model: the two fitted peaks are
/// the model's Co-Mn distance apart (2.460 Å), Co the brighter, and their
/// height ratio is the cross-section ratio σ_Co/σ_Mn the simulation used
/// (both atoms see the same probe and the same N neighbours).
#[test]
fn a_co_mn_profile_recovers_distance_and_cross_section_ratio() {
    let tmp = tempdir();
    let (m, im, p) = (
        tmp.path().join("m"),
        tmp.path().join("im"),
        tmp.path().join("p"),
    );
    sacsim_ok(&["build", "l-co1mn1-nc", "-o", m.to_str().unwrap()]);
    sacsim_ok(&[
        "simulate",
        m.join("POSCAR").to_str().unwrap(),
        "--pixel",
        "0.1",
        "-o",
        im.to_str().unwrap(),
    ]);
    let atoms = std::fs::read_to_string(im.join("atoms.csv")).unwrap();
    let at = |el: &str| -> [f64; 2] {
        let row: Vec<&str> = atoms
            .lines()
            .find(|l| l.split(',').nth(1) == Some(el))
            .unwrap()
            .split(',')
            .collect();
        [row[4].parse().unwrap(), row[5].parse().unwrap()]
    };
    // Co at x 4.305, Mn 2.46 Å further along +x, on one row.
    let (co, mn) = (at("Co"), at("Mn"));
    let mn = if (mn[0] - co[0] - 2.46).abs() < 0.01 {
        mn
    } else {
        [co[0] + 2.46, co[1]]
    };
    let from = format!("{},{}", co[0] - 2.0, co[1]);
    let to = format!("{},{}", mn[0] + 2.0, mn[1]);
    sacsim_ok(&[
        "profile",
        im.to_str().unwrap(),
        "--from",
        &from,
        "--to",
        &to,
        "-o",
        p.to_str().unwrap(),
    ]);
    let params = json(&p.join("params.json"));
    let fit = &params["fit"];
    let sep = fit["separation_angstrom"].as_f64().unwrap();
    assert!((sep - 2.46).abs() < 0.01, "{sep}");
    let first = fit["position_angstrom"][0].as_f64().unwrap();
    assert!(
        (first - 2.0).abs() < 0.02,
        "Co at 2 Å along the line: {first}"
    );
    let sim = json(&im.join("params.json"));
    let cs = &sim["cross_sections_a2"];
    let expected = cs["Co"].as_f64().unwrap() / cs["Mn"].as_f64().unwrap();
    let ratio = fit["height_ratio"].as_f64().unwrap();
    assert!(
        (ratio - expected).abs() < 0.01,
        "Co/Mn peak ratio {ratio} vs σ ratio {expected}"
    );
    let csv = std::fs::read_to_string(p.join("profile.csv")).unwrap();
    assert!(csv.starts_with("s_A,x_A,y_A,intensity,fit\n"));
    assert!(csv.lines().count() > 100);
    assert!(p.join("profile.png").is_file());
}

/// Every mutual pair of a detection run is profiled; bad lines and pair
/// indices are refused with what is valid.
#[test]
fn pairs_of_a_detection_run_and_bad_requests() {
    let tmp = tempdir();
    let im = super::sample_and_image(
        tmp.path(),
        &["--size", "6x6", "--density", "1", "--mix", "l-comn:1"],
        "1e6",
        "4",
    );
    let det = tmp.path().join("det");
    sacsim_ok(&[
        "detect",
        im.to_str().unwrap(),
        "--elements",
        "Mn,Co",
        "-o",
        det.to_str().unwrap(),
    ]);
    let out = tmp.path().join("pairs");
    sacsim_ok(&[
        "profile",
        im.to_str().unwrap(),
        "--detections",
        det.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    let table = std::fs::read_to_string(out.join("pairs.csv")).unwrap();
    let rows: Vec<Vec<&str>> = table
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert!(rows.len() >= 10, "{} pairs", rows.len());
    // Fitted separations equal the detections' distances (2.46 Å pairs).
    for r in &rows {
        let (d, a, b): (f64, f64, f64) = (
            r[5].parse().unwrap(),
            r[6].parse().unwrap(),
            r[7].parse().unwrap(),
        );
        assert!((d - 2.46).abs() < 0.15, "{r:?}");
        assert!(((b - a) - d).abs() < 0.1, "{r:?}");
    }
    let bad = sacsim(&[
        "profile",
        im.to_str().unwrap(),
        "--from",
        "0,0",
        "--to",
        "500,0",
        "-o",
        tmp.path().join("x").to_str().unwrap(),
    ]);
    assert_eq!(bad.status.code(), Some(2));
    let msg = String::from_utf8_lossy(&bad.stderr);
    assert!(msg.contains("outside the image (x "), "{msg}");
    let bad = sacsim(&[
        "profile",
        im.to_str().unwrap(),
        "--detections",
        det.to_str().unwrap(),
        "--pair",
        "0,99999",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("give two different rows"));
    assert!(!tmp.path().join("x").exists(), "no output on refusal");
}
