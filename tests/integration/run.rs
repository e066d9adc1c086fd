//! The main job on a reduced study: the report's numbers against the
//! ground truth of the samples it built.

use super::{sacsim, sacsim_ok, tempdir};

const REDUCED: &str = r#"
[study]
seed = 3
reactions = ["her"]

[sample]
size_nm = [8.0, 8.0]
density_per_nm2 = 0.6
support = "amorphous"
support_thickness_nm = 1.0

[imaging]
pixel_angstrom = 0.12
kv = 80.0
alpha_mrad = 30.0
detector_mrad = [80.0, 200.0]

[acquisition]
dose_e_per_a2 = 1e5

[analyze]
window_nm = [0.20, 0.30]

[[catalyst]]
name = "Co1-NC"
preset = "co1-nc"
mix = "co-n4:1"

[[catalyst]]
name = "L-Co1Mn1-NC"
preset = "l-co1mn1-nc"
mix = "l-comn:0.67,co-n4:0.17,mn-n4:0.16"
"#;

#[test]
fn a_reduced_study_reports_what_the_samples_hold() {
    let tmp = tempdir();
    let cfg = tmp.path().join("study.toml");
    std::fs::write(&cfg, REDUCED).unwrap();
    let out = tmp.path().join("study");
    sacsim_ok(&["run", cfg.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let rows = summary.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for row in rows {
        let name = row["name"].as_str().unwrap();
        let dir = out.join(row["dir"].as_str().unwrap());
        // Site and metal counts equal the sample's ground truth.
        let sites = std::fs::read_to_string(dir.join("sample/sites.csv")).unwrap();
        let site_rows: Vec<&str> = sites.lines().skip(1).collect();
        assert_eq!(
            row["sites"].as_u64().unwrap() as usize,
            site_rows.len(),
            "{name}"
        );
        let metals: usize = site_rows
            .iter()
            .map(|l| l.split(',').nth(7).unwrap().parse::<usize>().unwrap())
            .sum();
        assert_eq!(row["metals"].as_u64().unwrap() as usize, metals, "{name}");
        // The measured pair fraction recovers the truth; detection is good.
        let (pf, truth) = (
            row["pair_fraction"][0].as_f64().unwrap(),
            row["pair_fraction_truth"].as_f64().unwrap(),
        );
        assert!((pf - truth).abs() <= 0.08, "{name}: {pf} vs {truth}");
        assert!(row["f1"].as_f64().unwrap() >= 0.9, "{name}");
        assert!(row["pair_fraction_random"].as_f64().unwrap() > 0.0);
        // Every product of the study is there.
        for f in [
            "model/POSCAR",
            "model/INCAR.magmom",
            "sample/sample.xyz",
            "image/image.npy",
            "detections/detections.csv",
            "analysis/stats.json",
            "analysis/nn_histogram.png",
        ] {
            assert!(dir.join(f).is_file(), "{name}: {f}");
        }
    }
    // Singles never pair; the dual-site catalyst does, at 0.246 nm.
    assert_eq!(rows[0]["pair_fraction_truth"].as_f64().unwrap(), 0.0);
    assert!(rows[1]["pair_fraction_truth"].as_f64().unwrap() > 0.5);
    assert!((rows[1]["peak_nm"].as_f64().unwrap() - 0.246).abs() < 0.01);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Co1-NC") && html.contains("L-Co1Mn1-NC"));
    assert_eq!(
        html.matches("data:image/png;base64,").count(),
        2 * 3 + 1,
        "three figures per catalyst and the NN overlay, embedded"
    );
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("| L-Co1Mn1-NC |"));
    // Provenance: version, UTC date, the command line and the seed.
    let provenance = md
        .lines()
        .find(|l| l.starts_with("sacsim "))
        .expect("a provenance line");
    assert!(
        provenance.contains(env!("CARGO_PKG_VERSION"))
            && provenance.contains("run ")
            && provenance.contains("Z, command")
            && provenance.ends_with("seed 3."),
        "{provenance}"
    );
    assert!(out.join("nn_overlay.png").is_file());
    // No pair-distance peak where pairs do not exceed chance.
    let singles = md.lines().find(|l| l.starts_with("| Co1-NC |")).unwrap();
    assert_eq!(singles.split(" | ").nth(8), Some("–"), "{singles}");
    // The HER series of both presets: clean + *H on Co; clean + *H on Co
    // and on Mn; one gas reference (H2).
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("series-her/series.json")).unwrap())
            .unwrap();
    assert_eq!(index["models"].as_array().unwrap().len(), 2 + 3);
    assert_eq!(index["gas"].as_array().unwrap().len(), 1);
    let h = sacsim::io::read_structure(&out.join("series-her/l-co1mn1-nc/Mn/H/POSCAR")).unwrap();
    let mn = h
        .metal_indices()
        .into_iter()
        .find(|&i| h.atoms[i].element.symbol() == "Mn")
        .unwrap();
    let hydrogen = (0..h.len())
        .find(|&i| h.atoms[i].element.symbol() == "H")
        .unwrap();
    assert!((h.distance(mn, hydrogen) - 1.55).abs() < 1e-9);
    assert!(
        md.contains("DFT series `series-her/` (her: *H): 5 slab models and 1 gas reference(s)")
    );
    assert!(html.contains("<code>series-her/</code>"));
}

#[test]
fn the_embedded_study_is_the_shipped_example() {
    let shipped = std::fs::read_to_string(super::root().join("examples/pei2024.toml")).unwrap();
    assert_eq!(shipped, sacsim::run::DEFAULT_STUDY);
    let study = sacsim::run::Study::from_toml(&shipped, "pei2024").unwrap();
    assert_eq!(study.catalyst.len(), 6);
    let r = sacsim(&["run", "nothing.toml"]);
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("cannot read nothing.toml"));
}
