//! EMD images (HDF5), read with the pure-Rust `hdf5-reader` crate (no C
//! library to install): Thermo Fisher Velox files and the Berkeley NCEM
//! EMD that hyperspy and py4DSTEM write.
//!
//! - Velox: `/Data/Image/<id>/Data` holds (height, width, frames) and
//!   `/Data/Image/<id>/Metadata` a JSON text (uint8, NUL-padded) with
//!   `BinaryResult.PixelSize.{width,height}` and `PixelUnitX` (m),
//!   `BinaryResult.Offset.{x,y}`, `Optics.AccelerationVoltage` (V),
//!   `Optics.BeamConvergence` (rad), `Scan.DwellTime` (s) and the detector.
//! - NCEM: a group with attribute `emd_group_type = 1` holding `data` and
//!   one `dimN` vector per axis (`units` and `name` attributes); `dim1` is
//!   x: the stored (dim1, dim2) array is the image transposed (as
//!   rosettasciio reads it).

use std::path::Path;

use hdf5_reader::error::Error as Hdf5Error;
use hdf5_reader::group::Group;
use hdf5_reader::{Dataset, Datatype, Hdf5File};

use super::raster::{Calibration, Raster};
use crate::error::{Error, Result};

/// The error for a file sacsim cannot use, with what it found.
fn parse_error(path: &Path, expected: &str, found: impl Into<String>) -> Error {
    Error::Parse {
        path: path.to_path_buf(),
        line: 1,
        expected: expected.into(),
        found: found.into(),
    }
}

/// A dataset's values as f64, whatever its integer or float type.
fn read_values(path: &Path, d: &Dataset) -> Result<Vec<f64>> {
    let bad = |e: Hdf5Error| parse_error(path, "a readable EMD dataset", e.to_string());
    macro_rules! read {
        ($t:ty) => {
            d.read_array::<$t>()
                .map_err(bad)?
                .iter()
                .map(|&x| x as f64)
                .collect::<Vec<f64>>()
        };
    }
    Ok(match d.dtype() {
        Datatype::FixedPoint { size, signed, .. } => match (size, signed) {
            (1, false) => read!(u8),
            (1, true) => read!(i8),
            (2, false) => read!(u16),
            (2, true) => read!(i16),
            (4, false) => read!(u32),
            (4, true) => read!(i32),
            (8, false) => read!(u64),
            (8, true) => read!(i64),
            _ => {
                return Err(parse_error(
                    path,
                    "integer image data",
                    format!("{size}-byte integers"),
                ));
            }
        },
        Datatype::FloatingPoint { size: 4, .. } => read!(f32),
        Datatype::FloatingPoint { size: 8, .. } => read!(f64),
        other => {
            return Err(parse_error(
                path,
                "an image of integers or real numbers",
                format!("{other:?} data (complex or compound)"),
            ));
        }
    })
}

/// Read the first 2D image of an EMD file with its calibration.
pub fn read(path: &Path) -> Result<Raster> {
    let file =
        Hdf5File::open(path).map_err(|e| parse_error(path, "an HDF5 (EMD) file", e.to_string()))?;
    let root = file
        .root_group()
        .map_err(|e| parse_error(path, "an HDF5 (EMD) file", e.to_string()))?;
    if let Ok(images) = file.group("/Data/Image") {
        return read_velox(path, &images);
    }
    read_ncem(path, &root)
}

/// The stack/spectrum error for data of more than one frame.
fn not_2d(path: &Path, shape: &[u64]) -> Error {
    let dims = shape
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join(" x ");
    parse_error(
        path,
        "a 2D image (sacsim detects atoms in single images)",
        format!(
            "data of shape {dims} (a stack, spectrum image or 4D dataset); export one frame or the sum"
        ),
    )
}

fn read_velox(path: &Path, images: &Group) -> Result<Raster> {
    let hdf = |e: Hdf5Error| parse_error(path, "a Velox EMD file", e.to_string());
    let mut groups = images.groups().map_err(hdf)?;
    groups.sort_by(|a, b| a.name().cmp(b.name()));
    let Some(image) = groups.first() else {
        return Err(parse_error(
            path,
            "a Velox EMD file",
            "no image under /Data/Image",
        ));
    };
    let data = image.dataset("Data").map_err(hdf)?;
    let shape = data.shape().to_vec();
    let (ny, nx) = match shape[..] {
        [ny, nx] | [ny, nx, 1] => (ny as usize, nx as usize),
        _ => return Err(not_2d(path, &shape)),
    };
    let values = read_values(path, &data)?;
    if values.len() != nx * ny {
        return Err(not_2d(path, &shape));
    }
    let meta: serde_json::Value = image
        .dataset("Metadata")
        .ok()
        .and_then(|m| m.read_array::<u8>().ok())
        .and_then(|bytes| {
            // Column 0 of (length, frames); the text ends at the first NUL.
            let frames = if bytes.ndim() == 2 {
                bytes.shape()[1]
            } else {
                1
            };
            let b: Vec<u8> = bytes.iter().step_by(frames.max(1)).copied().collect();
            let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
            serde_json::from_slice(&b[..end]).ok()
        })
        .unwrap_or(serde_json::Value::Null);
    // Velox writes numbers as strings.
    let num = |ptr: &str| -> Option<f64> {
        let v = meta.pointer(ptr)?;
        v.as_f64().or_else(|| v.as_str()?.trim().parse().ok())
    };
    let unit = |ptr: &str| -> Option<f64> {
        match meta.pointer(ptr).and_then(|v| v.as_str()).unwrap_or("m") {
            "m" => Some(1e10),
            "nm" => Some(10.0),
            "Å" | "A" => Some(1.0),
            _ => None,
        }
    };
    let calibration = (|| {
        let px = num("/BinaryResult/PixelSize/width")? * unit("/BinaryResult/PixelUnitX")?;
        let py = num("/BinaryResult/PixelSize/height")? * unit("/BinaryResult/PixelUnitY")?;
        let ox = num("/BinaryResult/Offset/x").unwrap_or(0.0) * unit("/BinaryResult/PixelUnitX")?;
        let oy = num("/BinaryResult/Offset/y").unwrap_or(0.0) * unit("/BinaryResult/PixelUnitY")?;
        [px, py]
            .iter()
            .all(|p| (1e-3..=1e4).contains(p))
            .then_some(Calibration {
                pixel_angstrom: [px, py],
                origin_angstrom: [ox + 0.0, oy + 0.0],
                source: "Velox metadata",
            })
    })();
    let mut metadata = Vec::new();
    for (key, ptr, scale) in [
        ("voltage_V", "/Optics/AccelerationVoltage", 1.0),
        ("convergence_mrad", "/Optics/BeamConvergence", 1e3),
        ("dwell_us", "/Scan/DwellTime", 1e6),
        ("magnification", "/Optics/NominalMagnification", 1.0),
    ] {
        if let Some(v) = num(ptr) {
            metadata.push((key.to_string(), (v * scale).to_string()));
        }
    }
    let warning = (groups.len() > 1).then(|| {
        format!(
            "{}: holds {} images; read {}",
            path.display(),
            groups.len(),
            image.name()
        )
    });
    Ok(Raster {
        data: values.into_iter().map(|v| v as f32).collect(),
        nx,
        ny,
        warning,
        calibration,
        metadata,
    })
}

/// Groups marked `emd_group_type = 1`, depth first, at most 8 levels.
fn ncem_groups(g: &Group, depth: usize, out: &mut Vec<Group>) {
    let marked = g
        .attribute("emd_group_type")
        .ok()
        .and_then(|a| a.read_as_f64().ok())
        == Some(1.0);
    if marked {
        out.push(g.clone());
    }
    if depth < 8 {
        let mut children = g.groups().unwrap_or_default();
        children.sort_by(|a, b| a.name().cmp(b.name()));
        for c in &children {
            ncem_groups(c, depth + 1, out);
        }
    }
}

fn read_ncem(path: &Path, root: &Group) -> Result<Raster> {
    let mut found = Vec::new();
    ncem_groups(root, 0, &mut found);
    let Some(group) = found.first() else {
        return Err(parse_error(
            path,
            "a Velox (/Data/Image) or NCEM (emd_group_type = 1) EMD file",
            "neither layout",
        ));
    };
    let hdf = |e: Hdf5Error| parse_error(path, "an NCEM EMD file", e.to_string());
    let data = group.dataset("data").map_err(hdf)?;
    let shape = data.shape().to_vec();
    let (nx, ny) = match shape[..] {
        [nx, ny] => (nx as usize, ny as usize),
        _ => return Err(not_2d(path, &shape)),
    };
    let stored = read_values(path, &data)?;
    if stored.len() != nx * ny {
        return Err(not_2d(path, &shape));
    }
    // stored[x * ny + y] -> row-major image[y * nx + x].
    let values: Vec<f64> = (0..ny)
        .flat_map(|y| (0..nx).map(move |x| (x, y)))
        .map(|(x, y)| stored[x * ny + y])
        .collect();
    // Axis vectors: step and start in their units ("[n_m]" is nm in
    // the EMD unit notation).
    let axis = |name: &str| -> Option<(f64, f64)> {
        let d = group.dataset(name).ok()?;
        let v = read_values(path, &d).ok()?;
        let units = d.attribute("units").ok()?.read_string().ok()?;
        let per = match units.replace(['[', ']', '_'], "").as_str() {
            "nm" => 10.0,
            "m" => 1e10,
            "A" | "Å" | "angstrom" => 1.0,
            "um" | "µm" => 1e4,
            "pm" => 0.01,
            _ => return None,
        };
        let step = (v.get(1)? - v.first()?) * per;
        (1e-3..=1e4)
            .contains(&step.abs())
            .then_some((step.abs(), v[0] * per + 0.0))
    };
    let calibration = match (axis("dim1"), axis("dim2")) {
        (Some((px, ox)), Some((py, oy))) => Some(Calibration {
            pixel_angstrom: [px, py],
            origin_angstrom: [ox, oy],
            source: "EMD dimension vectors",
        }),
        _ => None,
    };
    Ok(Raster {
        data: values.into_iter().map(|v| v as f32).collect(),
        nx,
        ny,
        warning: (found.len() > 1).then(|| {
            format!(
                "{}: holds {} datasets; read the first",
                path.display(),
                found.len()
            )
        }),
        calibration,
        metadata: Vec::new(),
    })
}
