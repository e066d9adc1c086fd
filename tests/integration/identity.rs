//! Element identity (issue 17): per-atom accuracy on the standard sample,
//! the heteronuclear fraction's interval against the truth over seeds, and
//! the study's Co-Mn catalysts against their homonuclear controls.

use super::{json, sacsim_ok, tempdir};

/// The standard case ([`super::standard_image`]) with its detections.
fn standard(dir: &std::path::Path, mix: &str, seed: u64) {
    let d = |s: &str| dir.join(s).to_str().unwrap().to_string();
    super::standard_image(dir, Some(mix), seed);
    sacsim_ok(&["detect", &d("i"), "--elements", "Mn,Co", "-o", &d("d")]);
    sacsim_ok(&["analyze", &d("d"), "-o", &d("a")]);
}

/// Heteronuclear share of the true mutual-nearest-neighbour pairs within
/// 2-3 Å (atoms.csv of a simulate directory), by brute force.
fn true_hetero(dir: &std::path::Path) -> f64 {
    let text = std::fs::read_to_string(dir.join("i/atoms.csv")).unwrap();
    let atoms: Vec<(String, f64, f64)> = text
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[1].to_string(),
                f[4].parse().unwrap(),
                f[5].parse().unwrap(),
            )
        })
        .filter(|a| a.0 == "Co" || a.0 == "Mn")
        .collect();
    let nn: Vec<(usize, f64)> = (0..atoms.len())
        .map(|i| {
            (0..atoms.len())
                .filter(|&j| j != i)
                .map(|j| (j, (atoms[i].1 - atoms[j].1).hypot(atoms[i].2 - atoms[j].2)))
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap()
        })
        .collect();
    let pairs: Vec<(usize, usize)> = (0..atoms.len())
        .filter(|&i| {
            let (j, d) = nn[i];
            i < j && nn[j].0 == i && (2.0..=3.0).contains(&d)
        })
        .map(|i| (i, nn[i].0))
        .collect();
    pairs
        .iter()
        .filter(|&&(i, j)| atoms[i].0 != atoms[j].0)
        .count() as f64
        / pairs.len() as f64
}

#[test]
fn per_atom_element_accuracy_on_the_standard_sample() {
    // Issue 17: >= 0.82 without the truth (two-means split: 0.79; the
    // oracle threshold on 0.5 Å photometry: 0.84).
    let tmp = tempdir();
    standard(tmp.path(), "l-comn:0.67,co-n4:0.17,mn-n4:0.16", 11);
    let out = tmp.path().join("scores.json");
    let (d, i) = (tmp.path().join("d"), tmp.path().join("i"));
    sacsim_ok(&[
        "evaluate",
        d.to_str().unwrap(),
        i.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    let acc = json(&out)["element_accuracy"].as_f64().unwrap();
    assert!(acc >= 0.82, "element accuracy {acc}");
    // Every detection carries P(Co) and its photometry.
    let csv = std::fs::read_to_string(d.join("detections.csv")).unwrap();
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .ends_with("photometry,photometry_sigma,p_heavy")
    );
}

#[test]
fn the_heteronuclear_interval_covers_the_truth_over_40_seeds() {
    // Half of the pairs Co-Mn, a quarter Co-Co, a quarter Mn-Mn, singles
    // of both metals: the 95 % interval must cover the true share in at
    // least 90 % of 40 repetitions.
    let mix = "l-comn:0.4,l-co2:0.2,l-mn2:0.2,co-n4:0.1,mn-n4:0.1";
    let mut covered = 0;
    let mut lines = Vec::new();
    for seed in 100..140u64 {
        let tmp = tempdir();
        standard(tmp.path(), mix, seed);
        let h = &json(&tmp.path().join("a/stats.json"))["pair_types"]["hetero_fraction"];
        let (est, lo, hi) = (
            h["estimate"].as_f64().unwrap(),
            h["ci95"][0].as_f64().unwrap(),
            h["ci95"][1].as_f64().unwrap(),
        );
        let truth = true_hetero(tmp.path());
        if lo <= truth && truth <= hi {
            covered += 1;
        }
        // The interval is informative, not [0, 1].
        assert!(hi - lo < 0.6, "seed {seed}: [{lo}, {hi}]");
        lines.push(format!(
            "seed {seed}: {est:.3} [{lo:.3}, {hi:.3}] truth {truth:.3}"
        ));
    }
    assert!(covered >= 36, "{covered}/40 covered:\n{}", lines.join("\n"));
}

const CONTROLS: &str = r#"
[study]
seed = 1

[sample]
size_nm = [20.0, 20.0]
density_per_nm2 = 0.5
support = "amorphous"
support_thickness_nm = 2.0

[acquisition]
dose_e_per_a2 = 1e5

[[catalyst]]
name = "L-Co1Mn1-NC"
preset = "l-co1mn1-nc"
mix = "l-comn:0.67,co-n4:0.17,mn-n4:0.16"

[[catalyst]]
name = "L-Co2-NC"
preset = "l-co2-nc"
mix = "l-co2:0.67,co-n4:0.33"

[[catalyst]]
name = "L-Mn2-NC"
preset = "l-mn2-nc"
mix = "l-mn2:0.67,mn-n4:0.33"
"#;

#[test]
fn co_mn_pairs_stand_apart_from_the_homonuclear_controls() {
    let tmp = tempdir();
    let cfg = tmp.path().join("study.toml");
    std::fs::write(&cfg, CONTROLS).unwrap();
    let out = tmp.path().join("study");
    sacsim_ok(&["run", cfg.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    let rows = json(&out.join("summary.json"));
    let h = |k: usize| {
        let v = &rows[k]["hetero_pair_fraction"];
        (
            v["ci95"][0].as_f64().unwrap(),
            v["ci95"][1].as_f64().unwrap(),
            v["truth"].as_f64().unwrap(),
        )
    };
    let (comn, co2, mn2) = (h(0), h(1), h(2));
    for (name, (lo, hi, truth)) in [("CoMn", comn), ("Co2", co2), ("Mn2", mn2)] {
        assert!(
            lo <= truth && truth <= hi,
            "{name}: [{lo}, {hi}] vs {truth}"
        );
    }
    assert_eq!(co2.2, 0.0);
    assert_eq!(mn2.2, 0.0);
    assert!(comn.0 > co2.1 && comn.0 > mn2.1, "{comn:?} {co2:?} {mn2:?}");
    // The site-based pair share (the paper's "> 67 % of sites"): 2/3 of
    // the sites are pairs, measured within 5 points of the truth.
    for k in 0..3 {
        let s = &rows[k]["site_pair_share"];
        let (d, t) = (
            s["detected"].as_f64().unwrap(),
            s["truth"].as_f64().unwrap(),
        );
        assert!((d - t).abs() < 0.05 && (t - 0.67).abs() < 0.06, "{d} {t}");
    }
    // Per-atom labels are far from certain on a 2 nm support (the issue's
    // 0.82 target is tested on the seed-11 sample above); here, with half
    // the atoms in pairs, 0.72 is measured: well above chance (0.5).
    let acc = rows[0]["element_accuracy"].as_f64().unwrap();
    assert!(acc >= 0.68, "{acc}");
    assert!(rows[1]["element_accuracy"].is_null());
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("heteronuclear pairs % [95 % CI] (truth)"));
}
