//! Interoperability with the real readers users run: ASE reads every
//! committed POSCAR, XYZ and CIF with the same cell, species and positions
//! (1e-6 Å); pymatgen reads every POSCAR and CIF with the same composition.
//!
//! Python comes from `SACSIM_PYTHON`, or the `.venv` that the README's test
//! command (`scripts/test.sh`) creates with pinned versions. A missing
//! interpreter or package fails the test; it never skips.

use std::path::PathBuf;
use std::process::Command;

use sacsim::model::{ModelSpec, PRESETS, build_model};

use super::{root, sacsim_ok, sample_and_image, scores, tempdir};

pub fn python() -> PathBuf {
    match std::env::var_os("SACSIM_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => root().join(".venv/bin/python"),
    }
}

fn run_python(args: &[&str]) -> String {
    let py = python();
    let out = Command::new(&py)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {} ({e}); run scripts/test.sh, which creates the virtualenv with ASE and pymatgen", py.display()));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{} {args:?} failed:\n{stdout}\n{}",
        py.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn ase_and_pymatgen_read_the_committed_structures() {
    // What sacsim itself says each model is.
    let mut expected = serde_json::Map::new();
    for preset in PRESETS {
        let s = build_model(&ModelSpec::from_preset(preset))
            .unwrap()
            .structure;
        expected.insert(
            preset.name.to_string(),
            serde_json::json!({
                "cell": s.lattice.to_array(),
                "symbols": s.atoms.iter().map(|a| a.element.symbol()).collect::<Vec<_>>(),
                "positions": s.atoms.iter().map(|a| [a.position.x, a.position.y, a.position.z]).collect::<Vec<_>>(),
                "tags": s.atoms.iter().map(|a| a.site).collect::<Vec<_>>(),
            }),
        );
    }
    let tmp = tempdir();
    let json = tmp.path().join("expected.json");
    std::fs::write(&json, serde_json::to_string(&expected).unwrap()).unwrap();
    let script = root().join("tests/python/check_structures.py");
    let out = run_python(&[
        script.to_str().unwrap(),
        json.to_str().unwrap(),
        root().join("structures").to_str().unwrap(),
    ]);
    // One line per preset and reader, all checked.
    assert_eq!(
        out.lines().filter(|l| l.starts_with("ok ")).count(),
        PRESETS.len() * 5,
        "{out}"
    );
}

#[test]
fn ase_writes_the_same_extended_xyz_as_sacsim() {
    let tmp = tempdir();
    let ours = tmp.path().join("graphene.xyz");
    let o = super::sacsim(&[
        "build",
        "--motif",
        "pristine",
        "--cell",
        "4x3",
        "--vacuum",
        "20",
        "--format",
        "xyz",
        "-o",
        tmp.path().to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let script = root().join("tests/python/ase_graphene_xyz.py");
    let out = run_python(&[
        script.to_str().unwrap(),
        ours.to_str().unwrap(),
        "4",
        "3",
        "20",
    ]);
    assert!(out.contains("identical atom lines"), "{out}");
}

#[test]
fn ase_and_pymatgen_agree_on_which_atoms_are_frozen() {
    let tmp = tempdir();
    let dir = tmp.path().join("fixed");
    let o = super::sacsim(&[
        "build",
        "l-co1mn1-nc",
        "--fix-beyond",
        "5",
        "--format",
        "poscar",
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let poscar = dir.join("POSCAR");
    let s = sacsim::io::read_structure(&poscar).unwrap();
    let fixed: Vec<usize> = (0..s.len())
        .filter(|&i| s.atoms[i].free == [false; 3])
        .collect();
    // Some atoms frozen, some free (which ones is checked against the
    // distance rule in geometry::fix_beyond_freezes_exactly_the_far_atoms).
    assert!(!fixed.is_empty() && fixed.len() < s.len());
    let script = root().join("tests/python/check_selective.py");
    let out = run_python(&[script.to_str().unwrap(), poscar.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let want = serde_json::json!(fixed);
    assert_eq!(v["ase"], want, "ASE reads other fixed atoms");
    assert_eq!(v["pymatgen"], want, "pymatgen reads other fixed atoms");
    assert_eq!(v["natoms"], 70);
}

#[test]
fn ase_reads_the_xyz_constraints_and_moments_and_writes_the_same_bytes() {
    // The extended XYZ of a DFT model carries what ASE keeps: FixAtoms
    // (move_mask), initial magnetic moments (Materials Project defaults,
    // Co 5 µB here overridden to 3), the site tags; ASE writes it back
    // byte for byte, and its atoms are the POSCAR's.
    let tmp = tempdir();
    let dir = tmp.path().join("m");
    sacsim_ok(&[
        "build",
        "l-co1mn1-nc",
        "--fix-beyond",
        "5",
        "--magmom",
        "Co=3",
        "--format",
        "poscar,xyz",
        "-o",
        dir.to_str().unwrap(),
    ]);
    let xyz = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "xyz"))
        .unwrap();
    let s = sacsim::io::read_structure(&dir.join("POSCAR")).unwrap();
    let fixed: Vec<usize> = (0..s.len())
        .filter(|&i| s.atoms[i].free == [false; 3])
        .collect();
    assert!(!fixed.is_empty());
    let script = root().join("tests/python/check_xyz_ase.py");
    let out = run_python(&[
        script.to_str().unwrap(),
        xyz.to_str().unwrap(),
        dir.join("POSCAR").to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["fixed"], serde_json::json!(fixed), "{v}");
    assert_eq!(v["moments"]["Co"], serde_json::json!([3.0]), "{v}");
    assert_eq!(v["moments"]["Mn"], serde_json::json!([5.0]), "{v}");
    assert_eq!(v["moments"]["C"], serde_json::json!([0.6]), "{v}");
    // Co, Mn and their six N.
    assert_eq!(v["site_atoms"], 8, "{v}");
    assert_eq!(v["rewrites_identically"], true, "{v}");
    assert!(v["max_distance_to_poscar"].as_f64().unwrap() < 1e-6, "{v}");
    // sacsim reads its own file back with the same constraints.
    let back = sacsim::io::read_structure(&xyz).unwrap();
    assert!(
        back.atoms
            .iter()
            .zip(&s.atoms)
            .all(|(a, b)| a.free == b.free)
    );
}

#[test]
fn ase_reads_a_sample_and_its_ground_truth_agrees() {
    let tmp = tempdir();
    let dir = tmp.path().join("s");
    sacsim_ok(&[
        "sample",
        "--size",
        "15x15",
        "--density",
        "0.8",
        "--support",
        "layers:2",
        "--both-faces",
        "--n-doping",
        "2",
        "-o",
        dir.to_str().unwrap(),
    ]);
    let script = root().join("tests/python/check_sample.py");
    let out = run_python(&[script.to_str().unwrap(), dir.to_str().unwrap()]);
    assert!(out.starts_with("ok sample"), "{out}");
}

#[test]
fn numpy_tifffile_and_pillow_read_the_simulated_images() {
    let tmp = tempdir();
    let sample = tmp.path().join("s");
    sacsim_ok(&[
        "sample",
        "--size",
        "5x5",
        "--density",
        "1",
        "-o",
        sample.to_str().unwrap(),
    ]);
    let dir = tmp.path().join("sim");
    sacsim_ok(&[
        "simulate",
        sample.to_str().unwrap(),
        "--pixel",
        "0.2",
        "--dose",
        "1e5",
        "-o",
        dir.to_str().unwrap(),
    ]);
    // A window away from the origin: the TIFF's ImageJ origin must follow.
    let window = tmp.path().join("win");
    sacsim_ok(&[
        "simulate",
        sample.to_str().unwrap(),
        "--window",
        "3,4,30,30",
        "-o",
        window.to_str().unwrap(),
    ]);
    // Integer detector output: uint16 in npy and TIFF, read by numpy,
    // tifffile and rosettasciio.
    let adc = tmp.path().join("adc");
    sacsim_ok(&[
        "simulate",
        sample.to_str().unwrap(),
        "--pixel",
        "0.2",
        "--dose",
        "1e5",
        "--gain",
        "20",
        "--offset",
        "300",
        "--dark-noise",
        "2",
        "--adc-bits",
        "16",
        "-o",
        adc.to_str().unwrap(),
    ]);
    let script = root().join("tests/python/check_image.py");
    for d in [&dir, &window, &adc] {
        let out = run_python(&[script.to_str().unwrap(), d.to_str().unwrap()]);
        assert!(out.starts_with("ok image"), "{out}");
    }
}

#[test]
fn nearest_neighbours_match_scipy_ckdtree() {
    let tmp = tempdir();
    let pts = tmp.path().join("pts.npy");
    let box_a = 2000.0;
    run_python(&[
        "-c",
        &format!(
            "import numpy as np; np.save({:?}, np.random.default_rng(7).random((20000, 2)) * {box_a})",
            pts.to_str().unwrap()
        ),
    ]);
    let out = tmp.path().join("a");
    sacsim_ok(&[
        "analyze",
        pts.to_str().unwrap(),
        "--box",
        &format!("{box_a}x{box_a}"),
        "-o",
        out.to_str().unwrap(),
    ]);
    let script = root().join("tests/python/check_nn_scipy.py");
    let res = run_python(&[
        script.to_str().unwrap(),
        pts.to_str().unwrap(),
        &box_a.to_string(),
        out.to_str().unwrap(),
    ]);
    assert!(res.starts_with("ok nn"), "{res}");
}

#[test]
fn pycocotools_loads_the_dataset_and_labels_match_the_atoms() {
    let tmp = tempdir();
    let dir = tmp.path().join("ds");
    let cfg = tmp.path().join("c.toml");
    std::fs::write(&cfg, "[run]\nseed = 3\ncategories = \"element+site\"\n[imaging]\nshape = [160, 128]\npixel_angstrom = [0.09, 0.11]\n").unwrap();
    sacsim_ok(&[
        "dataset",
        "--count",
        "12",
        "--config",
        cfg.to_str().unwrap(),
        "-o",
        dir.to_str().unwrap(),
    ]);
    // The same run as float32 npy: png8 levels map back to its values.
    let npy_cfg = tmp.path().join("npy.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &npy_cfg,
        text.replace("[run]\n", "[run]\nimage_format = \"npy\"\n"),
    )
    .unwrap();
    let npy = tmp.path().join("npy");
    sacsim_ok(&[
        "dataset",
        "--count",
        "12",
        "--config",
        npy_cfg.to_str().unwrap(),
        "-o",
        npy.to_str().unwrap(),
    ]);
    let script = root().join("tests/python/check_dataset.py");
    let out = run_python(&[
        script.to_str().unwrap(),
        dir.to_str().unwrap(),
        npy.to_str().unwrap(),
    ]);
    assert!(out.contains("ok dataset 12 images"), "{out}");
}

#[test]
fn ase_and_pymatgen_read_every_file_of_a_series() {
    let tmp = tempdir();
    let dir = tmp.path().join("series");
    sacsim_ok(&[
        "series",
        "l-co1mn1-nc",
        "co1-nc",
        "--reaction",
        "co2rr",
        "--bridge",
        "-o",
        dir.to_str().unwrap(),
    ]);
    let script = root().join("tests/python/check_series.py");
    let out = run_python(&[script.to_str().unwrap(), dir.to_str().unwrap()]);
    // l-co1mn1-nc: clean + 3 sites (Co, Mn, bridge) x 3; co1-nc: clean + 3.
    let models = 1 + 9 + 1 + 3;
    assert_eq!(
        out.lines().filter(|l| l.starts_with("ok ")).count(),
        models * 5 + 4,
        "{out}"
    );
    // The committed series too.
    let out = run_python(&[
        script.to_str().unwrap(),
        root().join("structures/series-co2rr").to_str().unwrap(),
    ]);
    assert_eq!(
        out.lines().filter(|l| l.starts_with("ok ")).count(),
        7 * 5 + 4,
        "{out}"
    );
}

/// Every 2D image of the DM3, DM4, EMD and TIFF files in hyperspy 1.7.6's
/// wheel (real microscope-written samples, fetched by scripts/test.sh)
/// reads with the same array and pixel size as rosettasciio reads it; the
/// rest (spectra, stacks, complex, RGB) is refused with a one-line message.
#[test]
fn microscope_files_read_as_rosettasciio_reads_them() {
    let files = match std::env::var_os("SACSIM_MICROSCOPE_FILES") {
        Some(p) => PathBuf::from(p),
        None => root().join(".venv/hyperspy-1.7.6-io/hyperspy/tests/io"),
    };
    assert!(
        files.is_dir(),
        "{} is missing: run scripts/test.sh, which fetches hyperspy 1.7.6's test files",
        files.display()
    );
    let script = root().join("tests/python/check_microscope_files.py");
    let out = run_python(&[
        script.to_str().unwrap(),
        env!("CARGO_BIN_EXE_sacsim"),
        files.to_str().unwrap(),
    ]);
    assert!(
        out.trim_end().ends_with("refused") && out.contains("ok "),
        "{out}"
    );
}

/// A simulated image written as a Velox EMD by h5py (and read back by
/// rosettasciio with the same array) is detected without --pixel-size:
/// the calibration and optics come from the Velox metadata and the atoms
/// land on the truth.
#[test]
fn a_velox_emd_written_by_h5py_is_detected_with_its_own_calibration() {
    let tmp = tempdir();
    let p = |n: &str| tmp.path().join(n).to_str().unwrap().to_string();
    sample_and_image(tmp.path(), &["--size", "6x6", "--density", "1"], "1e5", "4");
    let params: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("im/params.json")).unwrap()).unwrap();
    let pixel = params["pixel_angstrom"][0].as_f64().unwrap();
    let script = root().join("tests/python/write_velox.py");
    let out = run_python(&[
        script.to_str().unwrap(),
        &p("im/image.npy"),
        &pixel.to_string(),
        &p("image.emd"),
    ]);
    assert!(out.starts_with("ok"), "{out}");
    let det = sacsim_ok(&["detect", &p("image.emd"), "-o", &p("det")]);
    let said = String::from_utf8_lossy(&det.stdout);
    assert!(said.contains("from the file's Velox metadata"), "{said}");
    // The smoothing follows the optics the file records (80 kV, 30 mrad).
    assert!(
        said.contains("smoothing 0.304 Å from the file's optics (80 kV, 30.0 mrad"),
        "{said}"
    );
    let v = scores(&tmp.path().join("det"), &tmp.path().join("im"));
    assert!(v["f1"].as_f64().unwrap() >= 0.95, "{v}");
    assert!(v["rmse_pm"].as_f64().unwrap() <= 10.0, "{v}");
    sacsim_ok(&["convert", &p("image.emd"), "-o", &p("image.npy")]);
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("image.npy.json")).unwrap()).unwrap();
    assert_eq!(meta["acquisition"]["convergence_mrad"], "30", "{meta}");
    assert_eq!(meta["acquisition"]["voltage_V"], "80000", "{meta}");
}

#[test]
fn cif_written_by_sacsim_pymatgen_and_ase_reads_back_as_the_poscar() {
    // The same model through three CIF writers, read by sacsim: the same
    // elements at the same Cartesian positions as its POSCAR (CIF keeps
    // lengths and angles; a along x and b in the xy plane, as sacsim's
    // cells are built), to the writers' printed precision.
    let tmp = tempdir();
    let dir = tmp.path().join("m");
    sacsim_ok(&[
        "build",
        "l-co1mn1-nc",
        "--format",
        "poscar,cif",
        "-o",
        dir.to_str().unwrap(),
    ]);
    let poscar = sacsim::io::read_structure(&dir.join("POSCAR")).unwrap();
    let ours = dir.join("l-co1mn1-nc.cif");
    let (pmg, ase) = (tmp.path().join("pmg.cif"), tmp.path().join("ase.cif"));
    let script = root().join("tests/python/write_cif_pymatgen.py");
    run_python(&[
        script.to_str().unwrap(),
        dir.join("POSCAR").to_str().unwrap(),
        pmg.to_str().unwrap(),
        ase.to_str().unwrap(),
    ]);
    for (cif, tolerance) in [(&ours, 1e-6), (&pmg, 1e-4), (&ase, 1e-4)] {
        let s = sacsim::io::read_structure(cif).unwrap();
        assert_eq!(s.len(), poscar.len(), "{}", cif.display());
        assert_eq!(s.formula(), "C62CoMnN6");
        // pymatgen may order atoms by species: match each atom to its
        // nearest POSCAR atom of the same element (minimum image).
        for a in &s.atoms {
            let nearest = poscar
                .atoms
                .iter()
                .filter(|b| b.element == a.element)
                .map(|b| {
                    let d = s.lattice.to_fractional(&(a.position - b.position));
                    let d = d.map(|x| x - x.round());
                    s.lattice.to_cartesian(&d).norm()
                })
                .fold(f64::INFINITY, f64::min);
            assert!(nearest < tolerance, "{}: {nearest} Å", cif.display());
        }
        let [a, b, c] = s.lattice.lengths();
        let [a0, b0, c0] = poscar.lattice.lengths();
        assert!((a - a0).abs() + (b - b0).abs() + (c - c0).abs() < 1e-5);
    }
}

/// A trajectory as ASE writes it (a list of rattled Atoms, one extended
/// XYZ) reads back as its frames, every position as ASE reads it.
#[test]
fn ase_trajectories_read_back_frame_by_frame() {
    let dir = tempdir();
    let traj = dir.path().join("traj.xyz");
    let script = r#"
import json, sys
from ase.io import read, write
atoms = read(sys.argv[1])
frames = []
for k in range(3):
    b = atoms.copy()
    b.rattle(0.08, seed=k)
    frames.append(b)
write(sys.argv[2], frames)
print(json.dumps([f.positions.tolist() for f in read(sys.argv[2], index=":")]))
"#;
    let source = root().join("tests/data/abtem-80kv/structure.xyz");
    let out = run_python(&[
        "-c",
        script,
        source.to_str().unwrap(),
        traj.to_str().unwrap(),
    ]);
    let ase: Vec<Vec<[f64; 3]>> = serde_json::from_str(out.trim()).unwrap();
    let frames = sacsim::io::read_frames(&traj).unwrap();
    assert_eq!(frames.len(), 3);
    for (frame, theirs) in frames.iter().zip(&ase) {
        assert_eq!(frame.len(), theirs.len());
        for (a, p) in frame.atoms.iter().zip(theirs) {
            let d = (a.position - nalgebra::Vector3::from(*p)).norm();
            assert!(d < 1e-7, "{d} Å from ASE's position");
        }
    }
    // The frames differ as ASE rattled them (0.08 Å rms per axis).
    let moved = frames[0]
        .atoms
        .iter()
        .zip(&frames[1].atoms)
        .map(|(a, b)| (a.position - b.position).norm_squared())
        .sum::<f64>()
        / frames[0].len() as f64;
    let rms_axis = (moved / 6.0).sqrt();
    assert!((rms_axis - 0.08).abs() < 0.02, "{rms_axis}");
}
