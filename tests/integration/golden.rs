//! The committed reference models in `structures/` are exactly what the
//! tool writes today.

use sacsim::model::{ModelSpec, PRESETS, build_model};

use super::{files_in, root, sacsim_ok, tempdir};

#[test]
fn committed_structures_are_regenerated_byte_for_byte() {
    let tmp = tempdir();
    for preset in PRESETS {
        let out = tmp.path().join(preset.name);
        sacsim_ok(&["build", preset.name, "-o", out.to_str().unwrap()]);
        let committed = root().join("structures").join(preset.name);
        let names = |d: &std::path::Path| {
            files_in(d)
                .iter()
                .map(|p| p.file_name().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&out), names(&committed), "{}", preset.name);
        for file in files_in(&committed) {
            let fresh = std::fs::read(out.join(file.file_name().unwrap())).unwrap();
            assert!(
                fresh == std::fs::read(&file).unwrap(),
                "{} differs from a fresh build; run `cargo run --release --example regenerate_structures` if the change is intended",
                file.display()
            );
        }
    }
}

#[test]
fn structures_readme_table_matches_the_models() {
    let models: Vec<_> = PRESETS
        .iter()
        .map(|p| build_model(&ModelSpec::from_preset(*p)).unwrap())
        .collect();
    let table = sacsim::output::reference_table(&models);
    let readme = std::fs::read_to_string(root().join("structures/README.md")).unwrap();
    assert!(
        readme.contains(&table),
        "structures/README.md is stale; regenerate it"
    );
    assert!(table.contains("| `l-co1mn1-nc` | C62CoMnN6 | 70 | m2n6-low | hexagonal 6x6 | Mn 1.879 x3, Co 1.879 x3 | 2.460 | 12.30 |"));
}
