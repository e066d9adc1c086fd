//! Gatan Digital Micrograph DM3 and DM4 images with their calibration.
//!
//! Both are a tree of tagged values (layout as documented by rosettasciio's
//! `digital_micrograph` reader and Gatan's DM file notes): a header
//! (version 3 or 4, root length, byte order of the data), then groups of
//! named tags. Tag headers and counts are big-endian; values follow the
//! header's byte order. DM4 widens lengths and counts to 64 bits. The
//! images are `ImageList` entries (the first is the thumbnail); each has
//! `ImageData/Data` (an array), `ImageData/Dimensions` (x, y, ...) and
//! `ImageData/Calibrations/Dimension` (per axis `Origin`, `Scale`, `Units`,
//! physical position = (index − Origin) · Scale).

use std::path::Path;

use super::raster::{Calibration, Raster};
use crate::error::{Error, Result};

/// A tag's value: a group of named tags, a number, a string, or an array
/// kept as its element type and byte range in the file.
#[derive(Debug, Clone)]
enum Value {
    Group(Vec<(String, Value)>),
    Number(f64),
    Text(String),
    Array { kind: u64, start: usize, len: usize },
    Other,
}

impl Value {
    /// The child named `name` (groups only).
    fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Group(tags) => tags.iter().find(|(n, _)| n == name).map(|(_, v)| v),
            _ => None,
        }
    }
    /// The children of a group.
    fn children(&self) -> &[(String, Value)] {
        match self {
            Value::Group(tags) => tags,
            _ => &[],
        }
    }
    /// Follow a path of names.
    fn at(&self, path: &[&str]) -> Option<&Value> {
        path.iter().try_fold(self, |v, name| v.get(name))
    }
    fn number(&self) -> Option<f64> {
        match self {
            Value::Number(v) => Some(*v),
            _ => None,
        }
    }
}

/// Size in bytes of a simple DM type, or None.
fn type_size(kind: u64) -> Option<usize> {
    Some(match kind {
        2 | 4 => 2,
        3 | 5 | 6 => 4,
        7 | 11 | 12 => 8,
        8..=10 => 1,
        _ => return None,
    })
}

/// A bounds-checked reader over the file's bytes.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    path: &'a Path,
    dm4: bool,
    little: bool,
}

impl<'a> Reader<'a> {
    fn err(&self, what: impl std::fmt::Display) -> Error {
        Error::Parse {
            path: self.path.to_path_buf(),
            line: 1,
            expected: "a Gatan DM3/DM4 file".into(),
            found: format!("{what} at byte {}", self.pos),
        }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        let Some(end) = end else {
            return Err(self.err(format!(
                "truncated file ({} bytes) needing {n} more bytes",
                self.bytes.len()
            )));
        };
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn be(&mut self, n: usize) -> Result<u64> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |a, &b| (a << 8) | u64::from(b)))
    }
    /// A big-endian count: 32 bits in DM3, 64 in DM4.
    fn count(&mut self) -> Result<u64> {
        self.be(if self.dm4 { 8 } else { 4 })
    }
    /// One simple value in the data byte order.
    fn simple(&mut self, kind: u64) -> Result<f64> {
        let n = type_size(kind).ok_or_else(|| self.err(format!("unknown data type {kind}")))?;
        let raw = self.take(n)?;
        Ok(decode(raw, kind, self.little))
    }
    fn group(&mut self, depth: usize) -> Result<Value> {
        if depth > 64 {
            return Err(self.err("tag groups nested more than 64 deep"));
        }
        self.take(2)?; // sorted, open flags
        let n = self.count()?;
        let mut tags = Vec::new();
        for _ in 0..n {
            let kind = self.be(1)?;
            if kind == 0 {
                break; // end-of-file marker
            }
            let name_len = self.be(2)? as usize;
            let name: String = self.take(name_len)?.iter().map(|&b| b as char).collect();
            if self.dm4 {
                self.be(8)?; // size of the tag in bytes
            }
            let value = match kind {
                20 => self.group(depth + 1)?,
                21 => self.data(&name)?,
                k => return Err(self.err(format!("tag kind {k} (expected 20 or 21)"))),
            };
            tags.push((name, value));
        }
        Ok(Value::Group(tags))
    }
    fn data(&mut self, name: &str) -> Result<Value> {
        if self.take(4)? != b"%%%%" {
            return Err(self.err("a data tag without its %%%% delimiter"));
        }
        let n = self.count()? as usize;
        if n == 0 || n > 1 << 16 {
            return Err(self.err(format!("a data tag with {n} type descriptors")));
        }
        let info: Vec<u64> = (0..n).map(|_| self.count()).collect::<Result<_>>()?;
        match info[0] {
            15 => {
                // Struct: 15, name length, field count, (name length, type)...
                let fields = *info
                    .get(2)
                    .ok_or_else(|| self.err("a struct without fields"))?;
                let types: Vec<u64> = (0..fields as usize)
                    .map(|i| info.get(4 + 2 * i).copied())
                    .collect::<Option<_>>()
                    .ok_or_else(|| self.err("a struct with missing field types"))?;
                for t in types {
                    self.simple(t)?;
                }
                Ok(Value::Other)
            }
            18 => {
                let len = *info
                    .get(1)
                    .ok_or_else(|| self.err("a string without length"))?;
                let raw = self.take(len as usize)?;
                Ok(Value::Text(String::from_utf8_lossy(raw).into_owned()))
            }
            20 => {
                let elem = *info
                    .get(1)
                    .ok_or_else(|| self.err("an array without type"))?;
                let len = *info.last().expect("n > 0") as usize;
                let size = if elem == 15 {
                    // Array of structs: 20, 15, 0, fields, (0, type)..., length.
                    let fields = info.get(3).copied().unwrap_or(0) as usize;
                    (0..fields)
                        .map(|i| info.get(5 + 2 * i).and_then(|&t| type_size(t)))
                        .sum::<Option<usize>>()
                        .ok_or_else(|| self.err("an array of structs with unknown fields"))?
                } else {
                    type_size(elem).ok_or_else(|| self.err(format!("array type {elem}")))?
                };
                let bytes = len
                    .checked_mul(size)
                    .ok_or_else(|| self.err(format!("an array of {len} elements")))?;
                let start = self.pos;
                self.take(bytes)?;
                // Short u16 arrays other than image data are strings
                // (units, titles): UTF-16.
                if elem == 4 && len <= 256 && name != "Data" {
                    let units: Vec<u16> = self.bytes[start..start + bytes]
                        .chunks_exact(2)
                        .map(|c| decode(c, 4, self.little) as u16)
                        .collect();
                    return Ok(Value::Text(String::from_utf16_lossy(&units)));
                }
                Ok(Value::Array {
                    kind: elem,
                    start,
                    len,
                })
            }
            k => Ok(Value::Number(self.simple(k)?)),
        }
    }
}

/// Decode one value of a simple type.
fn decode(raw: &[u8], kind: u64, little: bool) -> f64 {
    let mut b = [0u8; 8];
    b[..raw.len()].copy_from_slice(raw);
    if !little {
        b[..raw.len()].reverse();
    }
    match kind {
        2 => f64::from(i16::from_le_bytes([b[0], b[1]])),
        4 => f64::from(u16::from_le_bytes([b[0], b[1]])),
        3 => f64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        5 => f64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        6 => f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        7 => f64::from_le_bytes(b),
        8 | 10 => f64::from(b[0]),
        9 => f64::from(b[0] as i8),
        11 => i64::from_le_bytes(b) as f64,
        12 => u64::from_le_bytes(b) as f64,
        _ => f64::NAN,
    }
}

/// Å per unit of a DM length unit; None for reciprocal or unknown units.
fn angstrom_per(unit: &str) -> Option<f64> {
    match unit.trim() {
        "Å" | "A" | "Angstrom" | "angstrom" => Some(1.0),
        "nm" => Some(10.0),
        "µm" | "um" | "μm" => Some(1e4),
        "pm" => Some(0.01),
        _ => None,
    }
}

/// Read the first image of a DM3 or DM4 file (after the thumbnail) with
/// its calibration and the acquisition metadata it records.
pub fn read(path: &Path) -> Result<Raster> {
    let size = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .len();
    // The file plus the f32 image, at most as large again.
    crate::limits::check_memory(
        "IMAGE",
        &format!("reading {}", path.display()),
        2.0 * size as f64,
        |_| "crop or bin the image in Digital Micrograph first".into(),
    )?;
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let mut r = Reader {
        bytes: &bytes,
        pos: 0,
        path,
        dm4: false,
        little: true,
    };
    let version = r.be(4)?;
    r.dm4 = match version {
        3 => false,
        4 => true,
        v => return Err(r.err(format!("version {v} (sacsim reads DM3 and DM4)"))),
    };
    r.count()?; // root length
    r.little = r.be(4)? == 1;
    let root = r.group(0)?;
    let images = root.get("ImageList").map(Value::children).unwrap_or(&[]);
    // The first entry is the thumbnail when there are several.
    let skip = usize::from(images.len() > 1);
    let Some((_, image)) = images.get(skip) else {
        return Err(r.err("no image in its ImageList"));
    };
    let dims: Vec<usize> = image
        .at(&["ImageData", "Dimensions"])
        .map(Value::children)
        .unwrap_or(&[])
        .iter()
        .filter_map(|(_, v)| v.number().map(|n| n as usize))
        .collect();
    let shape = dims
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join(" x ");
    let wrong = |what: String| Error::Parse {
        path: path.to_path_buf(),
        line: 1,
        expected: "a 2D image (sacsim detects atoms in single images)".into(),
        found: what,
    };
    let (nx, ny) = match dims[..] {
        [nx, ny] => (nx, ny),
        [n] => return Err(wrong(format!("a spectrum of {n} channels"))),
        [_, _, n, ..] => {
            return Err(wrong(format!(
                "a {shape} stack or spectrum image of {n} frames/channels; export one frame or the sum as TIFF"
            )));
        }
        _ => return Err(wrong("an image without dimensions".into())),
    };
    let Some(&Value::Array { kind, start, len }) = image.at(&["ImageData", "Data"]) else {
        return Err(r.err("an image without its data array"));
    };
    let data_type = image
        .at(&["ImageData", "DataType"])
        .and_then(Value::number)
        .unwrap_or(0.0) as u32;
    // Complex (3, 5, 13) and RGB (8, 23) images are not intensities.
    if matches!(data_type, 3 | 5 | 8 | 13 | 23) {
        return Err(wrong(format!(
            "complex or RGB data (DM data type {data_type}), not intensities"
        )));
    }
    if len != nx * ny {
        return Err(r.err(format!("{len} values for {shape} pixels")));
    }
    let elem = type_size(kind).expect("checked when read");
    let data: Vec<f32> = bytes[start..start + len * elem]
        .chunks_exact(elem)
        .map(|c| decode(c, kind, r.little) as f32)
        .collect();
    let axes: Vec<&Value> = image
        .at(&["ImageData", "Calibrations", "Dimension"])
        .map(Value::children)
        .unwrap_or(&[])
        .iter()
        .map(|(_, v)| v)
        .collect();
    let axis = |i: usize| -> Option<(f64, f64)> {
        let a = axes.get(i)?;
        let scale = a.get("Scale")?.number()?;
        let origin = a.get("Origin").and_then(Value::number).unwrap_or(0.0);
        let unit = match a.get("Units")? {
            Value::Text(t) => angstrom_per(t)?,
            _ => return None,
        };
        let pixel = scale.abs() * unit;
        (pixel.is_finite() && (1e-3..=1e4).contains(&pixel))
            .then_some((pixel, -origin * scale * unit + 0.0))
    };
    let calibration = match (axis(0), axis(1)) {
        (Some((px, ox)), Some((py, oy))) => Some(Calibration {
            pixel_angstrom: [px, py],
            origin_angstrom: [ox, oy],
            source: "DM calibration",
        }),
        _ => None,
    };
    let mut metadata = Vec::new();
    let tags = image.get("ImageTags");
    for (key, path) in [
        ("voltage_V", &["Microscope Info", "Voltage"][..]),
        (
            "magnification",
            &["Microscope Info", "Indicated Magnification"],
        ),
        (
            "camera_length_mm",
            &["Microscope Info", "STEM Camera Length"],
        ),
        ("dwell_us", &["DigiScan", "Sample Time"]),
        ("exposure_s", &["DataBar", "Exposure Time (s)"]),
    ] {
        if let Some(v) = tags.and_then(|t| t.at(path)).and_then(Value::number) {
            metadata.push((key.to_string(), v.to_string()));
        }
    }
    let warning = (images.len() > skip + 1).then(|| {
        format!(
            "{}: holds {} images; read the first",
            path.display(),
            images.len() - skip
        )
    });
    Ok(Raster {
        data,
        nx,
        ny,
        warning,
        calibration,
        metadata,
    })
}
