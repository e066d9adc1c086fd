//! Training sets: determinism across threads, shards and interruptions,
//! and bad input.

use std::path::{Path, PathBuf};

use super::{sacsim, sacsim_ok, tempdir};

const SMALL: &str = r#"
[run]
seed = 7
[sample]
density_per_nm2 = [0.5, 1.0]
support_thickness_nm = [0.0, 1.0]
[imaging]
shape = [128, 128]
pixel_angstrom = 0.1
[acquisition]
dose_e_per_a2 = { log_uniform = [3.16e4, 3.16e5] }
"#;

/// Every file under `dir` (relative path, bytes), sorted.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(root: &Path, d: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else if p.file_name().unwrap() != "shard.json" {
                out.push((
                    p.strip_prefix(root).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn dataset(args: &[&str], threads: &str) {
    let r = std::process::Command::new(env!("CARGO_BIN_EXE_sacsim"))
        .env("RAYON_NUM_THREADS", threads)
        .args(args)
        .output()
        .unwrap();
    assert!(
        r.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&r.stderr)
    );
}

#[test]
fn shards_threads_and_resume_all_give_the_same_bytes() {
    let tmp = tempdir();
    let cfg = tmp.path().join("small.toml");
    std::fs::write(&cfg, SMALL).unwrap();
    let c = cfg.to_str().unwrap();
    let p = |n: &str| tmp.path().join(n).to_str().unwrap().to_string();
    dataset(
        &["dataset", "--count", "9", "--config", c, "-o", &p("one")],
        "1",
    );
    dataset(
        &["dataset", "--count", "9", "--config", c, "-o", &p("two")],
        "2",
    );
    let reference = tree(&tmp.path().join("one"));
    assert!(reference.len() > 9 * 5, "{} files", reference.len());
    assert!(
        reference == tree(&tmp.path().join("two")),
        "1 and 2 threads differ"
    );
    // Two shards, merged.
    dataset(
        &[
            "dataset",
            "--count",
            "9",
            "--config",
            c,
            "--shard",
            "0/2",
            "-o",
            &p("s0"),
        ],
        "2",
    );
    dataset(
        &[
            "dataset",
            "--count",
            "9",
            "--config",
            c,
            "--shard",
            "1/2",
            "-o",
            &p("s1"),
        ],
        "2",
    );
    dataset(
        &["dataset", "merge", &p("s0"), &p("s1"), "-o", &p("merged")],
        "2",
    );
    assert!(
        reference == tree(&tmp.path().join("merged")),
        "merged shards differ from the unsharded run"
    );
    // Killed midway (simulated by removing half the finished images and
    // leaving a stray temporary file), then resumed.
    dataset(
        &[
            "dataset",
            "--count",
            "9",
            "--config",
            c,
            "-o",
            &p("resumed"),
        ],
        "2",
    );
    let resumed = tmp.path().join("resumed");
    let mut removed = 0;
    for split in ["train", "val", "test"] {
        if let Ok(entries) = std::fs::read_dir(resumed.join("meta").join(split)) {
            for e in entries.flatten().step_by(2) {
                std::fs::remove_file(e.path()).unwrap();
                removed += 1;
            }
        }
    }
    std::fs::remove_file(resumed.join("manifest.jsonl")).unwrap();
    std::fs::write(
        resumed.join("images").join("train").join(".sacsim-partial"),
        b"half",
    )
    .unwrap();
    assert!(removed > 0);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sacsim"))
        .args([
            "dataset",
            "--count",
            "9",
            "--config",
            c,
            "-o",
            &p("resumed"),
        ])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("{removed} images generated")),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(reference == tree(&resumed), "resumed run differs");
}

#[test]
fn a_real_interruption_resumes_to_the_same_bytes() {
    let tmp = tempdir();
    let cfg = tmp.path().join("small.toml");
    std::fs::write(&cfg, SMALL).unwrap();
    let (c, full, cut) = (
        cfg.to_str().unwrap(),
        tmp.path().join("full"),
        tmp.path().join("cut"),
    );
    dataset(
        &[
            "dataset",
            "--count",
            "24",
            "--config",
            c,
            "-o",
            full.to_str().unwrap(),
        ],
        "2",
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sacsim"))
        .args([
            "dataset",
            "--count",
            "24",
            "--config",
            c,
            "-o",
            cut.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let _ = child.kill();
    let _ = child.wait();
    dataset(
        &[
            "dataset",
            "--count",
            "24",
            "--config",
            c,
            "-o",
            cut.to_str().unwrap(),
        ],
        "2",
    );
    assert!(
        tree(&full) == tree(&cut),
        "interrupted and resumed run differs"
    );
}

#[test]
fn bad_dataset_input() {
    let tmp = tempdir();
    let bad = tmp.path().join("bad.toml");
    let o = tmp.path().join("o");
    let cases: Vec<(&str, Vec<String>, &str)> = vec![
        (
            "[sample]\ndensityy = 1.0\n",
            vec![],
            "unknown field `densityy`, expected one of `size_nm`, `density_per_nm2`, `mix`",
        ),
        (
            "[sample]\ndensity_per_nm2 = [2.0, 1.0]\n",
            vec![],
            "sample.density_per_nm2: [2, 1]: a range needs finite min <= max",
        ),
        (
            "[imaging]\nwindow_angstrom = [0, 0, 10, 10]\n",
            vec![],
            "imaging.window_angstrom: set by the dataset for each image",
        ),
        (
            "[run]\nheatmap_sigma_px = nan\n",
            vec![],
            "run.heatmap_sigma_px = NaN: give a positive number",
        ),
        (
            "[run]\nlabels = [\"coco\", \"voc\"]\n",
            vec![],
            "unknown label 'voc'; valid labels: coco, yolo, heatmap, mask, csv",
        ),
        (
            "",
            vec!["--shard".into(), "3/2".into()],
            "invalid value '3/2' for '--shard <I/N>': expected I/N with 0 <= I < N",
        ),
    ];
    for (toml, extra, want) in cases {
        std::fs::write(&bad, toml).unwrap();
        let mut args = vec![
            "dataset".to_string(),
            "--count".into(),
            "2".into(),
            "--config".into(),
            bad.to_str().unwrap().into(),
            "-o".into(),
            o.to_str().unwrap().into(),
        ];
        args.extend(extra);
        let r = sacsim(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(r.status.code(), Some(2), "{toml}");
        let e = String::from_utf8_lossy(&r.stderr).into_owned();
        assert!(e.contains(want), "{toml}\n got: {e}\nwant: {want}");
    }
    // A directory holding another run is refused unless --force.
    std::fs::write(&bad, SMALL).unwrap();
    let b = bad.to_str().unwrap();
    let dir = tmp.path().join("d");
    let d = dir.to_str().unwrap();
    sacsim_ok(&["dataset", "--count", "2", "--config", b, "-o", d]);
    let r = sacsim(&["dataset", "--count", "3", "--config", b, "-o", d]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("holds a different run"));
    sacsim_ok(&["dataset", "--count", "3", "--config", b, "--force", "-o", d]);
}
