//! `sacsim simulate --model multislice --shard I/N` and `simulate merge`:
//! shards computed on any thread count and merged in any order give the
//! unsharded run's files byte for byte; incomplete, mixed or stale shard
//! sets are refused before anything is written.

use std::path::Path;
use std::process::Command;

use super::{root, sacsim, tempdir};

/// `sacsim simulate` of the 80 kV reference window with noise, drift and
/// `phonons` frozen-phonon configurations (every random stream in play),
/// whole or one `shard`.
fn simulate(
    structure: &Path,
    out: &Path,
    phonons: &str,
    shard: Option<&str>,
    threads: &str,
) -> bool {
    let mut args = vec![
        "simulate",
        structure.to_str().unwrap(),
        "--model",
        "multislice",
        "--window",
        "8,9,4,4",
        "--pixel",
        "0.25",
        "--frozen-phonons",
        phonons,
        "--dose",
        "1e5",
        "--drift",
        "0.4,-0.2",
        "--seed",
        "9",
        "-o",
        out.to_str().unwrap(),
    ];
    if let Some(shard) = shard {
        args.extend(["--shard", shard]);
    }
    Command::new(env!("CARGO_BIN_EXE_sacsim"))
        .args(&args)
        .env("RAYON_NUM_THREADS", threads)
        .status()
        .unwrap()
        .success()
}

/// A copy of the 80 kV reference structure in `dir` (the tests change it).
fn reference_copy(dir: &Path) -> std::path::PathBuf {
    let structure = dir.join("structure.xyz");
    std::fs::copy(
        root().join("tests/data/abtem-80kv/structure.xyz"),
        &structure,
    )
    .unwrap();
    structure
}

fn merge(shards: &[&Path], out: &Path) -> std::process::Output {
    let mut args = vec!["simulate", "merge"];
    args.extend(shards.iter().map(|p| p.to_str().unwrap()));
    args.extend(["-o", out.to_str().unwrap()]);
    sacsim(&args)
}

#[test]
fn merged_shards_are_the_unsharded_run_byte_for_byte() {
    let dir = tempdir();
    let d = dir.path();
    let structure = reference_copy(d);
    assert!(simulate(&structure, &d.join("whole"), "2", None, "2"));
    let shard = |i: usize, threads: &str| {
        let out = d.join(format!("shard{i}"));
        assert!(simulate(
            &structure,
            &out,
            "2",
            Some(&format!("{i}/3")),
            threads
        ));
        out
    };
    let shards = [shard(0, "2"), shard(1, "1"), shard(2, "2")];
    // Each shard holds its block of the scan and says so.
    let mut next = 0;
    for (i, s) in shards.iter().enumerate() {
        let p: serde_json::Value =
            serde_json::from_slice(&std::fs::read(s.join("params.json")).unwrap()).unwrap();
        assert_eq!(p["shard"]["index"], i);
        let [a, b] = [0, 1].map(|k| p["positions"][k].as_u64().unwrap());
        assert_eq!(a, next);
        next = b;
        if i == 2 {
            assert_eq!(b, p["total_positions"].as_u64().unwrap());
        }
    }
    // Merged in any order: every file of the unsharded run, same bytes.
    let o = merge(&[&shards[2], &shards[0], &shards[1]], &d.join("merged"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut names: Vec<_> = std::fs::read_dir(d.join("whole"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert!(names.len() >= 6, "{names:?}");
    for name in names {
        assert!(
            std::fs::read(d.join("whole").join(&name)).unwrap()
                == std::fs::read(d.join("merged").join(&name)).unwrap(),
            "{name:?} differs"
        );
    }
}

#[test]
fn incomplete_mixed_or_stale_shards_are_refused() {
    let dir = tempdir();
    let d = dir.path();
    let structure = reference_copy(d);
    for i in 0..2 {
        let shard = format!("{i}/2");
        let out = d.join(format!("s{i}"));
        assert!(simulate(&structure, &out, "0", Some(&shard), "2"));
    }
    let other = d.join("other1");
    assert!(simulate(&structure, &other, "1", Some("1/2"), "2"));
    let refused = |o: std::process::Output, what: &str| {
        assert_eq!(o.status.code(), Some(2));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(what), "{err}");
        assert!(!d.join("out").exists(), "nothing written");
    };
    refused(merge(&[&d.join("s0")], &d.join("out")), "missing: [1/2]");
    refused(
        merge(&[&d.join("s0"), &other], &d.join("out")),
        "different run",
    );
    // The structure changed on disk since the shards ran.
    let text = std::fs::read_to_string(&structure).unwrap();
    std::fs::write(&structure, text.replacen("\nCo ", "\nNi ", 1)).unwrap();
    refused(
        merge(&[&d.join("s0"), &d.join("s1")], &d.join("out")),
        "CRC-32",
    );
    // The incoherent model is not sharded.
    let o = sacsim(&[
        "simulate",
        structure.to_str().unwrap(),
        "--shard",
        "0/2",
        "-o",
        d.join("out").to_str().unwrap(),
    ]);
    refused(o, "--model multislice");
}
