//! The learned detector (feature `net`): a tiny training run lowers its
//! loss and finds every atom of images it never saw; detection is the
//! same on one and two threads; bad weights are refused.

use super::{sacsim, sacsim_ok, tempdir};

/// Isolated Pt atoms on bare graphene at 0.2 Å pixels, 10⁷ e/Å², no
/// drift or jitter: what 100 steps of a 6-channel network learn.
const EASY: &str = r#"
[run]
seed = 5
[sample]
mix = ["pt-n4:1"]
density_per_nm2 = [1.0, 1.5]
support = "none"
[imaging]
shape = [80, 80]
pixel_angstrom = [0.2, 0.2]
defocus_angstrom = [0.0, 0.0]
source_size_angstrom = [0.0, 0.0]
[acquisition]
dose_e_per_a2 = 1e7
drift_angstrom = [[0.0, 0.0], [0.0, 0.0]]
probe_jitter_angstrom = [0.0, 0.0]
"#;

const TRAIN: &str = r#"
[train]
seed = 3
steps = 100
batch = 4
patch = 64
width = 6
learning_rate = 0.003
checkpoint_every = 100
"#;

fn columns(path: &std::path::Path, x: &str, y: &str) -> Vec<[f64; 2]> {
    let text = std::fs::read_to_string(path).unwrap();
    let head: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let col = |c: &str| head.iter().position(|h| *h == c).unwrap();
    let (ix, iy) = (col(x), col(y));
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            [f[ix].parse().unwrap(), f[iy].parse().unwrap()]
        })
        .collect()
}

#[test]
fn a_tiny_training_run_learns_to_find_atoms_it_never_saw() {
    let tmp = tempdir();
    let p = |n: &str| tmp.path().join(n);
    std::fs::write(p("train.toml"), format!("{EASY}{TRAIN}")).unwrap();
    let model = p("model");
    let train = || {
        sacsim_ok(&[
            "train",
            "--config",
            p("train.toml").to_str().unwrap(),
            "-o",
            model.to_str().unwrap(),
        ])
    };
    train();
    let loss: Vec<f64> = columns(&model.join("loss.csv"), "step", "loss")
        .iter()
        .map(|r| r[1])
        .collect();
    assert_eq!(loss.len(), 100);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    assert!(
        mean(&loss[80..]) < 0.5 * mean(&loss[..10]),
        "loss {:.4} -> {:.4}",
        mean(&loss[..10]),
        mean(&loss[80..])
    );
    // Images of the same recipe from another seed: never seen in training.
    let unseen = EASY.replace(
        "seed = 5",
        "seed = 77\nimage_format = \"npy\"\nsplits = { train = 1.0, val = 0.0, test = 0.0 }",
    );
    std::fs::write(p("unseen.toml"), unseen).unwrap();
    sacsim_ok(&[
        "dataset",
        "--count",
        "4",
        "--config",
        p("unseen.toml").to_str().unwrap(),
        "-o",
        p("ds").to_str().unwrap(),
    ]);
    let weights = model.join("detector.safetensors");
    let (mut truth_n, mut found) = (0, 0);
    for k in 0..4 {
        let image = p(&format!("ds/images/train/{k:06}.npy"));
        let det = p(&format!("det{k}"));
        sacsim_ok(&[
            "detect",
            image.to_str().unwrap(),
            "--pixel-size",
            "0.2",
            "--method",
            "net",
            "--weights",
            weights.to_str().unwrap(),
            "-o",
            det.to_str().unwrap(),
        ]);
        let truth = columns(
            &p(&format!("ds/positions/train/{k:06}.csv")),
            "x_px",
            "y_px",
        );
        let detections = columns(&det.join("detections.csv"), "x_px", "y_px");
        truth_n += truth.len();
        assert!(detections.len() <= truth.len(), "image {k}: false atoms");
        // Within 0.5 px = 0.1 Å of its label.
        found += truth
            .iter()
            .filter(|t| {
                detections
                    .iter()
                    .any(|d| (d[0] - t[0]).hypot(d[1] - t[1]) < 0.5)
            })
            .count();
    }
    // 10 of 11 measured (one atom at the frame's edge is missed).
    assert!(
        truth_n >= 4 && found as f64 >= 0.9 * truth_n as f64,
        "{found} of {truth_n} atoms found"
    );
    // A finished run resumes to the same weights.
    let before = std::fs::read(&weights).unwrap();
    train();
    assert_eq!(std::fs::read(&weights).unwrap(), before);
    // One and two threads: the same detections.
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let det = p(&format!("threads{threads}"));
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_sacsim"))
            .env("RAYON_NUM_THREADS", threads)
            .args([
                "detect",
                p("ds/images/train/000001.npy").to_str().unwrap(),
                "--pixel-size",
                "0.2",
                "--method",
                "net",
                "--weights",
                weights.to_str().unwrap(),
                "-o",
                det.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(out.status.success());
        outputs.push(std::fs::read(det.join("detections.csv")).unwrap());
    }
    assert_eq!(outputs[0], outputs[1]);
    // Not a model: refused by name.
    let bad = sacsim(&[
        "detect",
        p("ds/images/train/000001.npy").to_str().unwrap(),
        "--pixel-size",
        "0.2",
        "--method",
        "net",
        "--weights",
        model.join("loss.csv").to_str().unwrap(),
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a sacsim detector model"));
}

/// The shipped model (trained on simulated images only, models/net/)
/// finds the atoms of the standard case, which no training image was:
/// L-Co1Mn1-NC, 20 x 20 nm on 2 nm of amorphous carbon, 0.1 Å pixels,
/// 10⁵ e/Å², within 1 Å (the classical detector's test asks the same).
#[test]
fn the_shipped_model_finds_the_standard_case() {
    let tmp = tempdir();
    let p = |n: &str| tmp.path().join(n).to_str().unwrap().to_string();
    super::standard_image(tmp.path(), None, 1);
    // The calibration comes from the image's own files.
    sacsim_ok(&["detect", &p("i"), "--method", "net", "-o", &p("det")]);
    sacsim_ok(&[
        "evaluate",
        &p("det"),
        &p("i"),
        "--radius",
        "1.0",
        "-o",
        &p("scores.json"),
    ]);
    let scores = super::json(&tmp.path().join("scores.json"));
    let (f1, rmse) = (
        scores["f1"].as_f64().unwrap(),
        scores["rmse_pm"].as_f64().unwrap(),
    );
    assert!(f1 >= 0.95 && rmse <= 15.0, "F1 {f1}, RMSE {rmse} pm");
    // The heatmap is written beside the detections, on the image's grid
    // (float32 like the image: the same file size).
    let size = |f: &str| std::fs::metadata(tmp.path().join(f)).unwrap().len();
    assert_eq!(size("det/heatmap.npy"), size("i/image.npy"));
}
