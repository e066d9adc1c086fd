//! The command line: what users see for good and bad input, and that a
//! failing run writes nothing.

use super::{files_in, sacsim, sacsim_ok, tempdir};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn build_writes_every_format_and_the_parameters() {
    let dir = tempdir();
    let out = dir.path().join("m");
    let o = sacsim(&["build", "l-co1mn1-nc", "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let names: Vec<String> = files_in(&out)
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "INCAR.magmom",
            "POSCAR",
            "l-co1mn1-nc.cif",
            "l-co1mn1-nc.xyz",
            "params.json"
        ]
    );
    let params: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("params.json")).unwrap()).unwrap();
    assert_eq!(params["model"]["motif"], "m2n6-low");
    assert_eq!(params["model"]["metals"], serde_json::json!(["Co", "Mn"]));
    assert_eq!(params["model"]["cell"]["n"], 6);
    assert_eq!(params["model"]["cell"]["vacuum_angstrom"], 20.0);
    let incar = std::fs::read_to_string(out.join("INCAR.magmom")).unwrap();
    // POSCAR order C N Mn Co: MP defaults 0.6, 0.6, 5, 0.6.
    assert!(
        incar.contains("ISPIN = 2\nMAGMOM = 62*0.6 6*0.6 1*5 1*0.6\n"),
        "{incar}"
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("Co: N 1.879 x3, Mn 2.460"), "{stdout}");
}

#[test]
fn build_from_motif_with_options() {
    let dir = tempdir();
    let out = dir.path().join("fe");
    let o = sacsim(&[
        "build",
        "--motif",
        "mn4",
        "--metals",
        "Fe",
        "--rect",
        "6x4",
        "--vacuum",
        "15",
        "--a",
        "2.47",
        "--format",
        "poscar",
        "--fix-beyond",
        "5",
        "--magmom",
        "Fe=3",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let names: Vec<_> = files_in(&out)
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["INCAR.magmom", "POSCAR", "params.json"]);
    let poscar = std::fs::read_to_string(out.join("POSCAR")).unwrap();
    assert!(poscar.contains("Selective dynamics\nDirect\n"));
    assert!(poscar.contains("   F   F   F\n") && poscar.contains("   T   T   T\n"));
    let incar = std::fs::read_to_string(out.join("INCAR.magmom")).unwrap();
    assert!(incar.contains("MAGMOM = 90*0.6 4*0.6 1*3\n"), "{incar}");
}

#[test]
fn inspect_reports_shells_and_images() {
    let dir = tempdir();
    let out = dir.path().join("m");
    sacsim_ok(&["build", "co1mn1-nc", "-o", out.to_str().unwrap()]);
    for file in ["POSCAR", "co1mn1-nc.xyz"] {
        let o = sacsim(&["inspect", out.join(file).to_str().unwrap()]);
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(text.contains("C62CoMnN6 (70 atoms"), "{text}");
        assert!(
            text.contains("Co: N 1.879 x4, Mn 2.460; nearest periodic image Mn 12.300 Å"),
            "{text}"
        );
        assert!(text.contains("min distance 1.4203 Å"), "{text}");
    }
    let o = sacsim(&["inspect", "--json", out.join("POSCAR").to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["metals"].as_array().unwrap().len(), 2);
    assert_eq!(v["metals"][0]["shell"][0]["count"], 4);
}

/// Every bad input: exit code 2 (bad usage), one clear line, no output
/// directory.
#[test]
fn bad_input_is_refused_with_the_valid_choices_and_writes_nothing() {
    let dir = tempdir();
    let out = dir.path().join("never");
    let o = out.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str, i32)> = vec![
        (
            vec!["build", "co3-nc", "-o", o],
            "unknown preset 'co3-nc'; valid presets: co1-nc, mn1-nc, co1mn1-nc, l-co1mn1-nc, l-co2-nc, l-mn2-nc",
            2,
        ),
        (
            vec!["build", "--motif", "mn5", "--metals", "Co", "-o", o],
            "unknown motif 'mn5'; valid motifs: pristine, mn4",
            2,
        ),
        (
            vec!["build", "--motif", "mn4", "--metals", "Xx", "-o", o],
            "unknown element 'Xx'; valid symbols: H, He",
            2,
        ),
        (
            vec!["build", "--motif", "mn4", "--metals", "N", "-o", o],
            "N is not a metal",
            2,
        ),
        (
            vec!["build", "--motif", "m2n6-low", "--metals", "Co", "-o", o],
            "motif m2n6-low holds 2 metal(s), got 1",
            2,
        ),
        (
            vec!["build", "co1-nc", "--format", "pdb", "-o", o],
            "unknown format 'pdb'; valid formats: poscar, xyz, cif",
            2,
        ),
        (
            vec!["build", "co1-nc", "--cell", "4x4", "-o", o],
            "--cell 4x4 is too small for mn4: a metal is 9.84 Å from a periodic image of its site (minimum 12 Å); the smallest cell that works is --cell 5x5",
            2,
        ),
        (
            vec!["build", "co1-nc", "--cell", "1x1", "--allow-small", "-o", o],
            "the smallest cell that works is --cell 5x5",
            2,
        ),
        (
            vec!["build", "--motif", "m1m2-n8", "--metals", "Co,Mn", "-o", o],
            "the smallest cell that works is --cell 6x7",
            2,
        ),
        (
            vec!["build", "co1-nc", "--cell", "six", "-o", o],
            "invalid value 'six' for '--cell <NxM>': expected two values joined by x",
            2,
        ),
        (
            vec!["build", "co1-nc", "--a", "1.2", "-o", o],
            "1.2 Å is not a graphene lattice constant",
            2,
        ),
        (
            vec!["build", "co1-nc", "--magmom", "Co", "-o", o],
            "expected ELEMENT=MOMENT",
            2,
        ),
        (vec!["build", "-o", o], "name a preset", 2),
    ];
    for (args, want, code) in cases {
        let r = sacsim(&args);
        assert_eq!(r.status.code(), Some(code), "{args:?}");
        let e = stderr(&r);
        assert!(
            e.starts_with("sacsim: ") && e.contains(want),
            "{args:?}\n got: {e}\nwant: {want}"
        );
        assert_eq!(e.trim_end().lines().count(), 1, "{e}");
        assert!(!out.exists(), "{args:?} left output behind");
    }
    // Malformed input file: file, line, expectation.
    let bad = dir.path().join("POSCAR");
    std::fs::write(&bad, "t\n1.0\n 5 0 0\n 0 5 0\n").unwrap();
    let r = sacsim(&["inspect", bad.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(1));
    assert!(
        stderr(&r)
            .contains("POSCAR:5: expected lattice vector 3 (three numbers), found end of file"),
        "{}",
        stderr(&r)
    );
}

#[test]
fn allow_small_accepts_close_images() {
    let dir = tempdir();
    let out = dir.path().join("s");
    let o = sacsim(&[
        "build",
        "co1-nc",
        "--cell",
        "3x3",
        "--allow-small",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("C12CoN4"));
}

#[test]
fn a_failed_build_keeps_existing_files_intact() {
    let dir = tempdir();
    let out = dir.path().join("m");
    sacsim_ok(&["build", "co1-nc", "-o", out.to_str().unwrap()]);
    let before = std::fs::read(out.join("POSCAR")).unwrap();
    let r = sacsim(&[
        "build",
        "co1-nc",
        "--cell",
        "2x2",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert_eq!(std::fs::read(out.join("POSCAR")).unwrap(), before);
    // No temporary files left behind either.
    assert!(files_in(&out).iter().all(|p| {
        !p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(".sacsim-")
    }));
}
