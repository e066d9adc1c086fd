//! sacsim integration tests: one binary, one module per topic.

mod adsorbate;
mod analyze;
mod cli;
mod dataset;
mod detect;
mod frames;
mod fuzz;
mod geometry;
mod golden;
mod hostile;
mod identity;
#[cfg(feature = "interop")]
mod interop;
mod io;
#[cfg(feature = "net")]
mod learn;
mod microscope;
mod multislice;
mod multislice_frames;
mod multislice_shard;
mod profile;
mod run;
mod sample;
mod shapes;
mod stem;
mod thermal;
mod twin;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Run the sacsim binary with arguments.
pub fn sacsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sacsim"))
        .args(args)
        .output()
        .expect("run sacsim")
}

/// A JSON file, parsed.
/// The standard case into `dir/s` (sample) and `dir/i` (image): 20 x 20
/// nm, 0.5 sites/nm² (`mix`, default the sample command's), 2 nm
/// amorphous support, 80 kV, 30 mrad, 80-200 mrad, 0.1 Å, 1e5 e/Å².
pub fn standard_image(dir: &Path, mix: Option<&str>, seed: u64) {
    let d = |s: &str| dir.join(s).to_str().unwrap().to_string();
    let seed = seed.to_string();
    let mut sample = vec![
        "sample",
        "--size",
        "20x20",
        "--density",
        "0.5",
        "--support",
        "amorphous",
        "--support-thickness",
        "2",
        "--seed",
        &seed,
    ];
    if let Some(m) = mix {
        sample.extend(["--mix", m]);
    }
    let out = d("s");
    sample.extend(["-o", &out]);
    sacsim_ok(&sample);
    sacsim_ok(&[
        "simulate",
        &d("s/sample.xyz"),
        "--kv",
        "80",
        "--alpha",
        "30",
        "--detector",
        "80,200",
        "--pixel",
        "0.1",
        "--dose",
        "1e5",
        "--seed",
        &seed,
        "-o",
        &d("i"),
    ]);
}

pub fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// A fresh temporary directory.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

/// Files of a directory, sorted by name.
pub fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

/// Run the sacsim binary and require success, showing its stderr if not.
pub fn sacsim_ok(args: &[&str]) -> Output {
    let out = sacsim(args);
    assert!(
        out.status.success(),
        "sacsim {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `sacsim sample SAMPLE_ARGS --seed SEED -o DIR/s`, then `sacsim simulate`
/// of it at 0.1 Å pixels and `dose` e/Å² with the same seed into DIR/im;
/// returns DIR/im.
pub fn sample_and_image(dir: &Path, sample_args: &[&str], dose: &str, seed: &str) -> PathBuf {
    let (s, im) = (dir.join("s"), dir.join("im"));
    let (s_arg, im_arg) = (s.to_str().unwrap(), im.to_str().unwrap());
    let mut args = vec!["sample"];
    args.extend_from_slice(sample_args);
    args.extend_from_slice(&["--seed", seed, "-o", s_arg]);
    sacsim_ok(&args);
    sacsim_ok(&[
        "simulate", s_arg, "--pixel", "0.1", "--dose", dose, "--seed", seed, "-o", im_arg,
    ]);
    im
}

/// `sacsim evaluate DETECTIONS TRUTH --radius 1.0`: the scores JSON.
pub fn scores(detections: &Path, truth: &Path) -> serde_json::Value {
    let out = detections.with_extension("scores.json");
    sacsim_ok(&[
        "evaluate",
        detections.to_str().unwrap(),
        truth.to_str().unwrap(),
        "--radius",
        "1.0",
        "-o",
        out.to_str().unwrap(),
    ]);
    serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap()
}

/// The float32 values of an `image.npy` sacsim wrote (npy v1, little
/// endian, row-major).
pub fn npy_f32(path: &Path) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap();
    let header = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    bytes[10 + header..]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}
