//! `sacsim simulate --model multislice --phonon-frames`: the frames of a
//! trajectory (multi-frame extended XYZ) are the frozen-phonon
//! configurations. The image is the mean of the frames' static images
//! (signals average per probe position), and files whose frames do not
//! hold the same atoms are refused at the frame that differs.

use std::path::Path;

use sacsim::io::{read_structure, xyz};
use sacsim::structure::Structure;

use super::{npy_f32, root, sacsim, sacsim_ok, tempdir};

/// The 80 kV reference window, static or averaged over the file's frames.
fn image(structure: &Path, out: &Path, frames: bool) -> Vec<f32> {
    let mut args = vec![
        "simulate",
        structure.to_str().unwrap(),
        "--model",
        "multislice",
        "--window",
        "8,9,4,4",
        "--pixel",
        "0.25",
        "-o",
        out.to_str().unwrap(),
    ];
    if frames {
        args.push("--phonon-frames");
    }
    sacsim_ok(&args);
    npy_f32(&out.join("image.npy"))
}

/// The reference structure with every atom moved by a fixed pattern of
/// ±`u` Å per axis (frame `k` flips the pattern's sign per atom).
fn displaced(base: &Structure, u: f64, k: usize) -> Structure {
    let mut s = base.clone();
    for (i, a) in s.atoms.iter_mut().enumerate() {
        let sign = |axis: usize| {
            if (i * 7 + axis * 3 + k).is_multiple_of(2) {
                u
            } else {
                -u
            }
        };
        a.position.x += sign(0);
        a.position.y += sign(1);
        a.position.z += sign(2);
    }
    s
}

#[test]
fn phonon_frames_average_the_static_images_of_the_frames() {
    let dir = tempdir();
    let base = read_structure(&root().join("tests/data/abtem-80kv/structure.xyz")).unwrap();
    let (a, b) = (displaced(&base, 0.1, 0), displaced(&base, 0.1, 1));
    let write = |name: &str, frames: &[&Structure]| {
        let text: String = frames.iter().map(|s| xyz::to_string(s)).collect();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let static_a = image(&write("a.xyz", &[&a]), &dir.path().join("a"), false);
    let static_b = image(&write("b.xyz", &[&b]), &dir.path().join("b"), false);
    let both = image(&write("ab.xyz", &[&a, &b]), &dir.path().join("ab"), true);
    let peak = static_a.iter().cloned().fold(0f32, f32::max);
    let worst = both
        .iter()
        .zip(static_a.iter().zip(&static_b))
        .map(|(m, (x, y))| (m - (x + y) / 2.0).abs())
        .fold(0f32, f32::max);
    assert!(
        worst <= 1e-5 * peak,
        "frame average differs from the mean of the static images by {worst} (peak {peak})"
    );
    // The frames matter: the two static images differ far beyond that.
    let spread = static_a
        .iter()
        .zip(&static_b)
        .map(|(x, y)| (x - y).abs())
        .fold(0f32, f32::max);
    assert!(
        spread > 100.0 * worst.max(1e-7 * peak),
        "{spread} vs {worst}"
    );
    // Two copies of one frame are its static image.
    let twice = image(&write("aa.xyz", &[&a, &a]), &dir.path().join("aa"), true);
    let same = twice
        .iter()
        .zip(&static_a)
        .all(|(x, y)| (x - y).abs() <= 1e-6 * peak);
    assert!(same, "two copies of a frame must give its static image");
    let params = std::fs::read_to_string(dir.path().join("ab/params.json")).unwrap();
    assert!(params.contains("\"phonon_frames\": true"), "{params}");
}

#[test]
fn frames_that_are_not_the_same_atoms_are_refused() {
    let dir = tempdir();
    let base = read_structure(&root().join("tests/data/abtem-80kv/structure.xyz")).unwrap();
    let run = |name: &str, text: String, extra: &[&str]| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let out = dir.path().join(format!("out-{name}"));
        let mut args = vec![
            "simulate",
            path.to_str().unwrap(),
            "--model",
            "multislice",
            "--window",
            "8,9,4,4",
            "--phonon-frames",
            "-o",
            out.to_str().unwrap(),
        ];
        args.extend(extra);
        let o = sacsim(&args);
        assert!(!o.status.success(), "{name} must be refused");
        assert!(!out.exists(), "{name}: nothing may be written");
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let one = xyz::to_string(&base);
    let e = run("single.xyz", one.clone(), &[]);
    assert!(e.contains("holds 1 frame") && e.contains("2-10000"), "{e}");
    let mut fewer = base.clone();
    fewer.atoms.pop();
    let e = run("short.xyz", one.clone() + &xyz::to_string(&fewer), &[]);
    assert!(e.contains("frame 2 of 2") && e.contains("atoms"), "{e}");
    let mut swapped = base.clone();
    let heavy = swapped
        .atoms
        .iter()
        .position(|a| a.element.z() > 6)
        .unwrap();
    swapped.atoms.swap(0, heavy);
    let e = run("order.xyz", one.clone() + &xyz::to_string(&swapped), &[]);
    assert!(e.contains("same order") && e.contains("atom 1 "), "{e}");
    let e = run("both.xyz", one.clone() + &one, &["--frozen-phonons", "4"]);
    assert!(e.contains("not both"), "{e}");
    // A malformed later frame names the file's line.
    let broken = one.clone() + "2\nLattice=\"1 0 0 0 1 0 0 0 1\"\nC 0 0 0\nC 0 0\n";
    let e = run("broken.xyz", broken, &[]);
    let line = one.lines().count() + 4;
    assert!(
        e.contains(&format!("broken.xyz:{line}: expected atom 2 of 2")),
        "{e}"
    );
}

#[test]
fn the_incoherent_model_refuses_phonon_frames() {
    let dir = tempdir();
    let structure = root().join("tests/data/abtem-80kv/structure.xyz");
    let out = dir.path().join("out");
    let o = sacsim(&[
        "simulate",
        structure.to_str().unwrap(),
        "--phonon-frames",
        "-o",
        out.to_str().unwrap(),
    ]);
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && e.contains("--model multislice"),
        "{e}"
    );
    assert!(!out.exists());
}
