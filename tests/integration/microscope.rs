//! Microscope files in, atoms out: a simulated image written as a Gatan
//! DM3 and DM4 file (the tag layout rosettasciio documents) with its
//! calibration in nm is detected without `--pixel-size`, and the atoms land
//! on the truth in Å. Truncated and non-image DM files get one-line errors.

use std::path::Path;

use super::{sacsim, sacsim_ok, sample_and_image, scores, tempdir};

/// A minimal DM file writer for tests: groups and typed data tags.
struct Dm {
    dm4: bool,
    out: Vec<u8>,
}

enum Tag<'a> {
    Group(Vec<(&'a str, Tag<'a>)>),
    U32(u32),
    F32(f32),
    F32Array(&'a [f32]),
    Text(&'a str),
}

impl Dm {
    fn count(&mut self, n: u64) {
        if self.dm4 {
            self.out.extend(n.to_be_bytes());
        } else {
            self.out.extend((n as u32).to_be_bytes());
        }
    }
    fn group(&mut self, tags: &[(&str, Tag)]) {
        self.out.extend([0u8, 0]);
        self.count(tags.len() as u64);
        for (name, tag) in tags {
            self.out
                .push(if matches!(tag, Tag::Group(_)) { 20 } else { 21 });
            self.out.extend((name.len() as u16).to_be_bytes());
            self.out.extend(name.as_bytes());
            if self.dm4 {
                self.out.extend(0u64.to_be_bytes()); // size: not read
            }
            match tag {
                Tag::Group(inner) => self.group(inner),
                Tag::U32(v) => self.data(&[5], &v.to_le_bytes()),
                Tag::F32(v) => self.data(&[6], &v.to_le_bytes()),
                Tag::F32Array(v) => {
                    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
                    self.data(&[20, 6, v.len() as u64], &bytes)
                }
                Tag::Text(t) => {
                    let units: Vec<u16> = t.encode_utf16().collect();
                    let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
                    self.data(&[20, 4, units.len() as u64], &bytes)
                }
            }
        }
    }
    fn data(&mut self, info: &[u64], bytes: &[u8]) {
        self.out.extend(b"%%%%");
        self.count(info.len() as u64);
        for &i in info {
            self.count(i);
        }
        self.out.extend(bytes);
    }
}

/// A DM3 or DM4 file of a row-major f32 image with pixel `nm` per pixel.
fn dm_file(dm4: bool, data: &[f32], [nx, ny]: [usize; 2], nm: f32) -> Vec<u8> {
    let axis = || {
        Tag::Group(vec![
            ("Origin", Tag::F32(0.0)),
            ("Scale", Tag::F32(nm)),
            ("Units", Tag::Text("nm")),
        ])
    };
    let image = |data, nx: usize, ny: usize| {
        Tag::Group(vec![
            (
                "ImageData",
                Tag::Group(vec![
                    (
                        "Calibrations",
                        Tag::Group(vec![(
                            "Dimension",
                            Tag::Group(vec![("", axis()), ("", axis())]),
                        )]),
                    ),
                    ("Data", Tag::F32Array(data)),
                    ("DataType", Tag::U32(2)),
                    (
                        "Dimensions",
                        Tag::Group(vec![("", Tag::U32(nx as u32)), ("", Tag::U32(ny as u32))]),
                    ),
                ]),
            ),
            (
                "ImageTags",
                Tag::Group(vec![(
                    "Microscope Info",
                    Tag::Group(vec![("Voltage", Tag::F32(80_000.0))]),
                )]),
            ),
        ])
    };
    let thumb = [0.0f32; 4];
    let root = vec![(
        "ImageList",
        Tag::Group(vec![
            ("", image(&thumb[..], 2, 2)),
            ("", image(data, nx, ny)),
        ]),
    )];
    let mut dm = Dm {
        dm4,
        out: Vec::new(),
    };
    dm.out.extend((if dm4 { 4u32 } else { 3 }).to_be_bytes());
    dm.count(0); // root length: not read
    dm.out.extend(1u32.to_be_bytes()); // little-endian data
    dm.group(&root);
    dm.out.extend([0u8; 8]); // end marker
    dm.out
}

fn simulated(dir: &Path) -> (Vec<f32>, [usize; 2], f64) {
    let im = sample_and_image(dir, &["--size", "6x6", "--density", "1"], "1e5", "3");
    let params: serde_json::Value =
        serde_json::from_slice(&std::fs::read(im.join("params.json")).unwrap()).unwrap();
    let (data, nx, ny) = sacsim::io::raster::read_npy(&im.join("image.npy")).unwrap();
    (
        data,
        [nx, ny],
        params["pixel_angstrom"][0].as_f64().unwrap(),
    )
}

#[test]
fn dm3_and_dm4_images_are_detected_with_their_own_calibration() {
    let tmp = tempdir();
    let (data, shape, pixel) = simulated(tmp.path());
    for dm4 in [false, true] {
        let name = if dm4 { "image.dm4" } else { "image.dm3" };
        let file = tmp.path().join(name);
        // The DM scale is f32 nm, as Digital Micrograph stores it.
        std::fs::write(&file, dm_file(dm4, &data, shape, (pixel / 10.0) as f32)).unwrap();
        let det = tmp.path().join(format!("det-{name}"));
        let out = sacsim_ok(&[
            "detect",
            file.to_str().unwrap(),
            "-o",
            det.to_str().unwrap(),
        ]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("from the file's DM calibration"), "{text}");
        let v = scores(&det, &tmp.path().join("im"));
        assert!(v["f1"].as_f64().unwrap() >= 0.95, "{name}: {v}");
        assert!(v["rmse_pm"].as_f64().unwrap() <= 10.0, "{name}: {v}");
        // convert keeps the values and records the voltage.
        let npy = tmp.path().join(format!("{name}.npy"));
        sacsim_ok(&[
            "convert",
            file.to_str().unwrap(),
            "-o",
            npy.to_str().unwrap(),
        ]);
        let (back, _, _) = sacsim::io::raster::read_npy(&npy).unwrap();
        assert_eq!(back, data);
        let meta: serde_json::Value = serde_json::from_slice(
            &std::fs::read(tmp.path().join(format!("{name}.npy.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(meta["acquisition"]["voltage_V"], "80000", "{meta}");
    }
}

#[test]
fn truncated_and_non_image_dm_files_get_one_line_errors() {
    let tmp = tempdir();
    let data: Vec<f32> = (0..64).map(|v| v as f32).collect();
    let whole = dm_file(true, &data, [8, 8], 0.01);
    for (name, bytes, expect) in [
        ("cut.dm4", whole[..whole.len() / 2].to_vec(), "truncated"),
        (
            "version.dm3",
            [&[0, 0, 0, 7][..], &whole[4..]].concat(),
            "version 7",
        ),
        (
            "short.dm4",
            dm_file(true, &data, [4, 4], 0.01),
            "64 values for 4 x 4 pixels",
        ),
    ] {
        let f = tmp.path().join(name);
        std::fs::write(&f, bytes).unwrap();
        let r = sacsim(&[
            "convert",
            f.to_str().unwrap(),
            "-o",
            tmp.path().join("x.npy").to_str().unwrap(),
            "--pixel-size",
            "1",
        ]);
        assert_eq!(r.status.code(), Some(1), "{name}");
        let e = String::from_utf8_lossy(&r.stderr);
        assert!(e.contains(expect) && e.lines().count() == 1, "{name}: {e}");
        assert!(!tmp.path().join("x.npy").exists());
    }
}
