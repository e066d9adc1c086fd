//! Issue 13's reproducers, as a hostile user would run them: under a 6 GB
//! address-space limit and a 10 s timeout, each ends with exit 0 and a
//! right answer, or exit 1/2 and one line that names what is wrong; none
//! panics, aborts or hangs.

use std::path::Path;
use std::process::Command;

use super::{sacsim_ok, tempdir};

/// (exit code, stdout, stderr) of sacsim under `ulimit -v 6000000` and a
/// 10 s kill timer (a hang exits 137).
fn bounded(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new("sh")
        .current_dir(dir)
        .arg("-c")
        .arg("ulimit -v 6000000; exec timeout -s KILL 10 \"$@\"")
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_sacsim"))
        .args(args)
        .output()
        .expect("run sh");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Refused in one line containing `want`, with exit code `code`.
fn refused(dir: &Path, args: &[&str], code: i32, want: &str) {
    let (c, _, e) = bounded(dir, args);
    assert_eq!(c, code, "{args:?}: {e}");
    assert!(
        e.starts_with("sacsim: ") && e.contains(want),
        "{args:?}: {e}"
    );
    assert_eq!(e.trim_end().lines().count(), 1, "{args:?}: {e}");
}

#[test]
fn every_reproducer_ends_quickly_with_an_answer_or_one_line() {
    let tmp = tempdir();
    let d = tmp.path();
    let w = |name: &str, text: &str| std::fs::write(d.join(name), text).unwrap();
    sacsim_ok(&["build", "l-co1mn1-nc", "-o", d.join("m").to_str().unwrap()]);
    sacsim_ok(&[
        "sample",
        "--size",
        "5x5",
        "-o",
        d.join("s5").to_str().unwrap(),
    ]);
    // Its own output, in a hexagonal cell: the Co-Mn pair at 2.46 Å.
    for f in ["m/l-co1mn1-nc.xyz", "m/POSCAR"] {
        let (c, out, e) = bounded(d, &["analyze", f, "-o", "a"]);
        assert_eq!(c, 0, "{f}: {e}");
        assert!(out.contains("mean 0.2460"), "{f}: {out}");
    }
    refused(
        d,
        &["build", "co1-nc", "--vacuum", "0", "-o", "b"],
        2,
        "--vacuum: 0 Å; use 1-1000 Å",
    );
    refused(
        d,
        &["build", "co1-nc", "--vacuum", "0.5", "-o", "b"],
        2,
        "use 1-1000 Å",
    );
    refused(
        d,
        &["build", "co1-nc", "--cell", "3000x3000", "-o", "b"],
        2,
        "at most 250000",
    );
    refused(
        d,
        &[
            "build",
            "co1-nc",
            "--adsorbate",
            "CO@Co",
            "--adsorbate-height",
            "1e300",
            "-o",
            "b",
        ],
        2,
        "1e300 Å; give 0.5-10 Å",
    );
    refused(
        d,
        &["sample", "--size", "2000x2000", "-o", "s"],
        2,
        "the largest that fits is about",
    );
    refused(
        d,
        &[
            "sample",
            "--size",
            "500x500",
            "--support",
            "amorphous",
            "--support-thickness",
            "100",
            "-o",
            "s",
        ],
        2,
        "the largest that fits is about",
    );
    refused(
        d,
        &["simulate", "s5", "--dose", "1e30", "-o", "i"],
        2,
        "--dose: 1e30 e/Å²",
    );
    refused(
        d,
        &["simulate", "m", "--defocus", "1e300", "-o", "i"],
        2,
        "--defocus: 1e300 Å",
    );
    refused(
        d,
        &["simulate", "m", "--shape", "20000x20000", "-o", "i"],
        2,
        "GiB, more than the",
    );
    refused(
        d,
        &["analyze", "s5", "--gr-bin", "1e-12", "-o", "a"],
        2,
        "--gr-bin",
    );
    refused(
        d,
        &["analyze", "s5", "--monte-carlo", "100000000", "-o", "a"],
        2,
        "the largest that runs",
    );
    refused(
        d,
        &["analyze", "s5", "--bootstrap", "100000000", "-o", "a"],
        2,
        "the largest that runs",
    );
    refused(
        d,
        &["dataset", "--count", "100000000000000", "-o", "ds"],
        2,
        "--count: 1e14; give 1-1e7",
    );
    w("ds.toml", "[acquisition]\ndose_e_per_a2 = [1e30, 1e31]\n");
    refused(
        d,
        &["dataset", "--count", "2", "--config", "ds.toml", "-o", "ds"],
        2,
        "--dose",
    );
    assert!(
        !d.join("ds").exists(),
        "a refused dataset leaves no directory"
    );
    w("hb.toml", "[run]\nbox_angstrom = 0\n");
    refused(
        d,
        &["dataset", "--count", "2", "--config", "hb.toml", "-o", "ds"],
        2,
        "box_angstrom = 0",
    );
    // Malformed and extreme files: file, line, expectation.
    w(
        "big.vasp",
        "big\n1.0\n1000000000000 0 20\n0 20 0\n0 0 20\nC\n1\nDirect\n0 0 0\n",
    );
    refused(
        d,
        &["inspect", "big.vasp"],
        1,
        "big.vasp:5: expected three independent lattice vectors",
    );
    w(
        "scale.vasp",
        "s\n1e12\n5 0 0\n0 5 0\n0 0 5\nC\n1\nDirect\n0 0 0\n",
    );
    refused(
        d,
        &["inspect", "scale.vasp"],
        1,
        "scale.vasp:2: expected a scale factor",
    );
    w(
        "huge.vasp",
        "s\n1e300\n5 0 0\n0 5 0\n0 0 5\nC\n1\nDirect\n0 0 0\n",
    );
    refused(d, &["simulate", "huge.vasp", "-o", "i"], 1, "huge.vasp:2:");
    w(
        "dir.vasp",
        "s\n1.0\n5 0 0\n0 5 0\n0 0 5\nC\n1\nDirect\n1e300 0 0\n",
    );
    refused(
        d,
        &["inspect", "dir.vasp"],
        1,
        "dir.vasp:9: expected position 1 of 1",
    );
    w("pts.csv", "x,y\n1,2\n3,4\n5,6\n");
    refused(
        d,
        &["analyze", "pts.csv", "--pixel-size", "0", "-o", "a"],
        2,
        "--pixel-size: 0 Å",
    );
    w("far.csv", "x,y\n1,2\n3,4\n1e300,6\n");
    refused(
        d,
        &["analyze", "far.csv", "-o", "a"],
        1,
        "far.csv:4: expected a finite number for x",
    );
    w("cut.csv", "x,y,element\n1,2,Co\n3,4,Mn\n5,6");
    refused(
        d,
        &["analyze", "cut.csv", "-o", "a"],
        1,
        "cut.csv:4: expected 3 comma-separated fields",
    );
    w("nolat.xyz", "1\npbc=\"T T F\"\nC 0 0 0\n");
    refused(
        d,
        &["inspect", "nolat.xyz"],
        1,
        "nolat.xyz:2: expected a Lattice=",
    );
    w(
        "quote.xyz",
        "1\nLattice=\"5 0 0 0 5 0 0 0 5 pbc=\"T T T\"\nC 0 0 0\n",
    );
    refused(d, &["inspect", "quote.xyz"], 1, "quote.xyz:2:");
    w(
        "count.xyz",
        "1\nLattice=\"5 0 0 0 5 0 0 0 5\"\nC 0 0 0\nC 1 1 1\n",
    );
    refused(
        d,
        &["inspect", "count.xyz"],
        1,
        "count.xyz:4: expected the end of the 1 atoms",
    );
    w(
        "props.xyz",
        "1\nLattice=\"5 0 0 0 5 0 0 0 5\" Properties=species:S:1:pos:R:3\nC 0 0 0 7\n",
    );
    refused(
        d,
        &["inspect", "props.xyz"],
        1,
        "props.xyz:3: expected atom 1 of 1: 4 columns",
    );
    // Images: non-finite values and absurd settings.
    let nan = d.join("nan.npy");
    let mut bytes = npy_header(16, 16);
    bytes.extend(std::iter::repeat_n(f32::NAN.to_le_bytes(), 256).flatten());
    std::fs::write(&nan, bytes).unwrap();
    refused(
        d,
        &["detect", "nan.npy", "--pixel-size", "0.1", "-o", "dt"],
        2,
        "256 of 256 pixels are NaN",
    );
    let mut zeros = npy_header(16, 16);
    zeros.extend(vec![0u8; 4 * 256]);
    std::fs::write(d.join("zeros.npy"), zeros).unwrap();
    refused(
        d,
        &["detect", "zeros.npy", "--pixel-size", "1e300", "-o", "dt"],
        2,
        "--pixel-size: 1e300,1e300 Å",
    );
    refused(
        d,
        &[
            "detect",
            "zeros.npy",
            "--pixel-size",
            "0.1",
            "--smoothing",
            "1e300",
            "-o",
            "dt",
        ],
        2,
        "--smoothing: 1e300",
    );
    let head = npy_header(100000, 100000);
    std::fs::write(d.join("lie.npy"), head).unwrap();
    refused(
        d,
        &["detect", "lie.npy", "--pixel-size", "0.1", "-o", "dt"],
        1,
        "lie.npy:1:",
    );
    // Output paths and pipes.
    w("afile", "");
    refused(
        d,
        &["build", "co1-nc", "-o", "afile"],
        2,
        "afile exists and is not a directory",
    );
    let (c, out, e) = bounded(d, &["evaluate", "pts.csv", "far.csv"]);
    assert!(
        c != 101 && !e.contains("panicked") && !out.contains("NaN"),
        "{out} {e}"
    );
}

/// A version-1 npy header for a float32 array of shape (ny, nx).
fn npy_header(ny: usize, nx: usize) -> Vec<u8> {
    let dict = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({ny}, {nx}), }}");
    let mut h = dict.into_bytes();
    while (10 + h.len() + 1) % 64 != 0 {
        h.push(b' ');
    }
    h.push(b'\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((h.len() as u16).to_le_bytes());
    out.extend(h);
    out
}

/// A `sample` killed midway leaves a temporary that the next run removes.
#[test]
fn a_killed_run_leaves_no_temporary_after_the_next_one() {
    let tmp = tempdir();
    let out = tmp.path().join("s");
    std::fs::create_dir_all(&out).unwrap();
    // What SIGKILL leaves: a temporary of a process that no longer exists.
    let stale = out.join(".sacsim-4000000-abc123");
    std::fs::write(&stale, vec![0u8; 1024]).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sacsim"))
        .args([
            "sample",
            "--size",
            "60x60",
            "--support",
            "layers:3",
            "--format",
            "xyz,poscar",
            "-o",
        ])
        .arg(&out)
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    let _ = child.kill();
    let _ = child.wait();
    sacsim_ok(&["sample", "--size", "5x5", "-o", out.to_str().unwrap()]);
    let left: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".sacsim-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
