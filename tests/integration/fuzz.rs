//! The fuzz harness: mutated bytes of valid files (truncations, byte
//! flips, token swaps, extreme numbers) fed to every reader, and extreme
//! values to every validated config. Each case must end without a panic;
//! a refusal is one line that names the file (readers) or the flag.
//!
//! The test command runs a fixed seeded corpus (`FUZZ_CASES`, default 64
//! per target, seed `FUZZ_SEED`, default 13). A long run:
//!
//! ```sh
//! FUZZ_CASES=20000 FUZZ_SEED=$RANDOM cargo test --release --test integration fuzz
//! ```

use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};

use super::{root, tempdir};

fn runner() -> TestRunner {
    let cases = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    let seed = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(13);
    TestRunner::new(Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        ..Config::default()
    })
}

/// A mutation of `seed` bytes: truncate, flip bytes, swap two
/// whitespace-separated tokens, or put an extreme number in place of one.
fn mutated(seed: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let n = seed.len().max(1);
    let extremes = prop::sample::select(vec![
        "1e300",
        "-1e300",
        "nan",
        "inf",
        "0",
        "-0",
        "1e-320",
        "99999999999999999999",
        "",
        "\"",
        "=",
    ]);
    (0usize..4, 0..n, 0..n, any::<u8>(), extremes).prop_map(move |(kind, i, j, byte, extreme)| {
        let mut b = seed.clone();
        match kind {
            0 => b.truncate(i),
            1 => {
                if let Some(x) = b.get_mut(i) {
                    *x ^= byte | 1;
                }
            }
            2 => {
                let text = String::from_utf8_lossy(&b).into_owned();
                let mut tokens: Vec<&str> = text.split(' ').collect();
                let len = tokens.len();
                tokens.swap(i % len, j % len);
                b = tokens.join(" ").into_bytes();
            }
            _ => {
                let text = String::from_utf8_lossy(&b).into_owned();
                let mut tokens: Vec<String> = text.split(' ').map(String::from).collect();
                let len = tokens.len();
                tokens[i % len] = extreme.to_string();
                b = tokens.join(" ").into_bytes();
            }
        }
        b
    })
}

/// A refusal is one line; reader refusals name the file.
fn one_line(e: &sacsim::Error, path: Option<&Path>) -> Result<(), TestCaseError> {
    let text = e.to_string();
    prop_assert!(!text.is_empty() && !text.contains('\n'), "{text}");
    if let Some(p) = path {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        prop_assert!(text.contains(&name), "{text}");
    }
    Ok(())
}

/// Run `read` on mutations of `seed`, written to a file named `name`.
fn fuzz_file(name: &str, seed: Vec<u8>, read: impl Fn(&Path) -> sacsim::Result<()>) {
    let tmp = tempdir();
    let path = tmp.path().join(name);
    runner()
        .run(&mutated(seed), |bytes| {
            std::fs::write(&path, &bytes).unwrap();
            match read(&path) {
                Ok(()) => Ok(()),
                Err(e) => one_line(&e, Some(&path)),
            }
        })
        .unwrap();
}

#[test]
fn structure_readers_survive_mutated_files() {
    let poscar = std::fs::read(root().join("structures/l-co1mn1-nc/POSCAR")).unwrap();
    fuzz_file("POSCAR", poscar, |p| {
        sacsim::io::read_structure(p).map(drop)
    });
    let xyz = std::fs::read(root().join("structures/l-co1mn1-nc/l-co1mn1-nc.xyz")).unwrap();
    fuzz_file("m.xyz", xyz, |p| {
        sacsim::io::read_structure(p)?;
        // What a reader accepts, analysis takes without hanging.
        let opts = sacsim::output::load::LoadOptions::default();
        if let Ok(pos) = sacsim::output::load::load(p, &opts) {
            let _ = sacsim::analysis::pairstats::nearest_neighbours(&pos);
        }
        Ok(())
    });
}

#[test]
fn point_and_image_readers_survive_mutated_files() {
    let csv = b"x,y,element\n1.5,2.0,Co\n3.25,4.0,Mn\n10.0,12.5,Co\n".to_vec();
    fuzz_file("p.csv", csv, |p| {
        let pos = sacsim::output::load::load(p, &Default::default())?;
        let _ = sacsim::analysis::pairstats::analyze(&pos, &Default::default());
        Ok(())
    });
    let data: Vec<f32> = (0..24 * 20).map(|k| (k % 7) as f32 * 0.01).collect();
    let read = |p: &Path| {
        let r = sacsim::io::raster::read_image(p)?;
        let frame = sacsim::ImageFrame::new([r.nx, r.ny], [0.1, 0.1], [0.0, 0.0])?;
        let _ = sacsim::analysis::detect::detect(&r.data, &frame, &Default::default());
        Ok(())
    };
    fuzz_file("i.npy", sacsim::io::raster::npy_f32(&data, 24, 20), read);
    fuzz_file(
        "i.tiff",
        sacsim::io::tiff::write_f32(&data, 24, 20, [0.1, 0.1], [0.0, 0.0]),
        read,
    );
    fuzz_file("i.png", sacsim::io::raster::png16(&data, 24, 20).0, read);
}

#[test]
fn configuration_files_survive_mutations() {
    let study = sacsim::run::DEFAULT_STUDY.as_bytes().to_vec();
    runner()
        .run(&mutated(study), |bytes| {
            let text = String::from_utf8_lossy(&bytes);
            match sacsim::run::Study::from_toml(&text, "study.toml") {
                Ok(_) => Ok(()),
                Err(e) => one_line(&e, None),
            }
        })
        .unwrap();
    let dataset = std::fs::read(root().join("examples/dataset.toml")).unwrap();
    runner()
        .run(&mutated(dataset), |bytes| {
            let text = String::from_utf8_lossy(&bytes);
            match sacsim::dataset::config::DatasetConfig::from_toml(&text, "data.toml") {
                Ok(_) => Ok(()),
                Err(e) => one_line(&e, None),
            }
        })
        .unwrap();
}

/// Any float, weighted towards the extremes.
fn wild() -> impl Strategy<Value = f64> {
    prop_oneof![
        prop::num::f64::ANY,
        prop::sample::select(vec![
            0.0,
            -0.0,
            1e-320,
            1e300,
            -1e300,
            f64::NAN,
            f64::INFINITY
        ]),
        -1e6..1e6f64,
    ]
}

#[test]
fn validated_configs_refuse_extreme_values_by_name() {
    use sacsim::config::{
        AcquisitionConfig, AnalyzeConfig, DetectConfig, ImagingConfig, SampleConfig,
    };
    use sacsim::values::{Dims, Pair};
    let values = prop::collection::vec(wild(), 12);
    runner()
        .run(&values, |v| {
            let imaging = ImagingConfig {
                kv: v[0],
                alpha_mrad: v[1],
                detector_mrad: Pair([v[2], v[3]]),
                pixel_angstrom: v[4],
                defocus_angstrom: v[5],
                cs_um: v[6],
                thermal_angstrom: sacsim::stem::thermal::ThermalRms::uniform(v[7]),
                source_size_angstrom: v[8],
                ..ImagingConfig::default()
            };
            if let Err(e) = imaging.imaging().and_then(|_| imaging.scan().validate()) {
                one_line(&e, None)?;
                prop_assert!(e.to_string().starts_with("invalid --"), "{e}");
            }
            let acq = AcquisitionConfig {
                dose: Some(v[9]),
                flyback: v[10],
                drift: Pair([v[11], 0.0]),
                ..AcquisitionConfig::default()
            };
            if let Err(e) = acq.validate() {
                one_line(&e, None)?;
            }
            let sample = SampleConfig {
                size_nm: Dims([v[0].abs().min(50.0), v[1].abs().min(50.0)]),
                density_per_nm2: v[2],
                support_thickness_nm: v[3],
                n_doping_percent: v[4],
                vacuum_angstrom: v[5],
                ..SampleConfig::default()
            };
            if let Err(e) = sample.spec().and_then(|s| s.validate()) {
                one_line(&e, None)?;
            }
            let detect = DetectConfig {
                smoothing: Some(v[6]),
                background: v[7],
                threshold: v[8],
                ..DetectConfig::default()
            };
            if let Err(e) = detect.validate() {
                one_line(&e, None)?;
            }
            let analyze = AnalyzeConfig {
                bin_nm: v[9],
                gr_bin_nm: v[10],
                window_nm: Pair([v[11], v[0]]),
                ..AnalyzeConfig::default()
            };
            if let Err(e) = analyze.validate(1000) {
                one_line(&e, None)?;
            }
            Ok(())
        })
        .unwrap();
}
