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
#[cfg(feature = "interop")]
mod interop;
mod io;
mod microscope;
mod run;
mod sample;
mod stem;

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
