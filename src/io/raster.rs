//! Image files: 32-bit float TIFF and `.npy` in physical units, and a
//! 16-bit PNG scaled to the full range (the scale goes into `params.json`).
//!
//! Layout everywhere: row-major, `[iy][ix]`, shape (ny, nx); row 0 is the
//! first scan line (y = y0), so in a viewer y grows downwards.

use std::path::Path;

use image::ImageEncoder;
use serde::Serialize;

use crate::error::{Error, Result};

/// How a 16-bit PNG maps back to physical values:
/// value = min + png / 65535 · (max − min).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct PngScale {
    /// The value of PNG level 0.
    pub min: f64,
    /// The value of PNG level 65535.
    pub max: f64,
}

/// A 16-bit grayscale PNG of the data, scaled min..max to 0..65535.
pub fn png16(data: &[f32], nx: usize, ny: usize) -> (Vec<u8>, PngScale) {
    let (min, max) = data
        .iter()
        .fold((f32::MAX, f32::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let scale = if data.is_empty() {
        PngScale { min: 0.0, max: 1.0 }
    } else {
        PngScale {
            min: min as f64,
            max: max as f64,
        }
    };
    (png_scaled(data, nx, ny, scale, PngDepth::Sixteen), scale)
}

/// Bits per PNG sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PngDepth {
    /// 0-255.
    Eight,
    /// 0-65535.
    Sixteen,
}

impl PngDepth {
    /// The top level (255 or 65535).
    pub fn top(self) -> f64 {
        match self {
            PngDepth::Eight => 255.0,
            PngDepth::Sixteen => 65535.0,
        }
    }
}

/// A grayscale PNG of the data with `scale.min` at level 0 and
/// `scale.max` at the top level; values outside are clipped.
pub fn png_scaled(data: &[f32], nx: usize, ny: usize, scale: PngScale, depth: PngDepth) -> Vec<u8> {
    let top = depth.top();
    let span = if scale.max > scale.min {
        scale.max - scale.min
    } else {
        1.0
    };
    let level = |v: f32| {
        (((v as f64 - scale.min) / span) * top)
            .round()
            .clamp(0.0, top)
    };
    let (raw, colour): (Vec<u8>, _) = match depth {
        PngDepth::Eight => (
            data.iter().map(|&v| level(v) as u8).collect(),
            image::ExtendedColorType::L8,
        ),
        PngDepth::Sixteen => (
            data.iter()
                .flat_map(|&v| (level(v) as u16).to_ne_bytes())
                .collect(),
            image::ExtendedColorType::L16,
        ),
    };
    let mut bytes = Vec::new();
    let encoder = image::codecs::png::PngEncoder::new_with_quality(
        &mut bytes,
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::Sub,
    );
    encoder
        .write_image(&raw, nx as u32, ny as u32, colour)
        .expect("in-memory PNG");
    bytes
}

/// A little-endian float32 `.npy` of shape (ny, nx).
pub fn npy_f32(data: &[f32], nx: usize, ny: usize) -> Vec<u8> {
    npy_of(data.iter().copied(), data.len(), nx, ny)
}

/// A little-endian float64 `.npy` of shape (ny, nx).
pub fn npy_f64(data: &[f64], nx: usize, ny: usize) -> Vec<u8> {
    npy_of(data.iter().copied(), data.len(), nx, ny)
}

/// A `.npy` of shape (ny, nx) stored as `ty` (integers rounded and clamped
/// to their range, like [`crate::io::tiff::write`]).
pub fn npy_as(data: &[f32], nx: usize, ny: usize, ty: crate::io::tiff::SampleType) -> Vec<u8> {
    use crate::io::tiff::SampleType;
    let n = data.len();
    let r = |v: &f32, top: f32| v.round().clamp(0.0, top);
    match ty {
        SampleType::F32 => npy_f32(data, nx, ny),
        SampleType::U8 => npy_of(data.iter().map(|v| r(v, 255.0) as u8), n, nx, ny),
        SampleType::U16 => npy_of(data.iter().map(|v| r(v, 65535.0) as u16), n, nx, ny),
        SampleType::U32 => npy_of(data.iter().map(|v| r(v, u32::MAX as f32) as u32), n, nx, ny),
    }
}

fn npy_of<T: npyz::AutoSerialize>(
    values: impl Iterator<Item = T>,
    n: usize,
    nx: usize,
    ny: usize,
) -> Vec<u8> {
    use npyz::WriterBuilder;
    let mut bytes = Vec::with_capacity(n * std::mem::size_of::<T>() + 128);
    {
        let mut writer = npyz::WriteOptions::new()
            .default_dtype()
            .shape(&[ny as u64, nx as u64])
            .writer(&mut bytes)
            .begin_nd()
            .expect("in-memory npy");
        writer.extend(values).expect("in-memory npy");
        writer.finish().expect("in-memory npy");
    }
    bytes
}

/// Read a 2D `.npy` (float32/64 or (u)int8/16/32, C order): (data, nx, ny).
pub fn read_npy(path: &Path) -> Result<(Vec<f32>, usize, usize)> {
    let (data, nx, ny) = read_npy_f64(path)?;
    Ok((data.into_iter().map(|v| v as f32).collect(), nx, ny))
}

/// A decoder's message on one line, at most 200 characters.
pub(crate) fn one_line(text: &str) -> String {
    let t: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.chars().count() > 200 {
        t.chars().take(200).collect::<String>() + "..."
    } else {
        t
    }
}

/// Read a 2D `.npy` at full precision: (data as f64, nx, ny).
pub fn read_npy_f64(path: &Path) -> Result<(Vec<f64>, usize, usize)> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let file_len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let bad = |what: String| Error::Parse {
        path: path.to_path_buf(),
        line: 1,
        expected: "a 2D .npy array in C order (float32/64, (u)int8/16/32, little-endian)".into(),
        found: one_line(&what),
    };
    let npy = npyz::NpyFile::new(std::io::BufReader::new(file)).map_err(|e| bad(e.to_string()))?;
    let shape = npy.shape().to_vec();
    if shape.len() != 2 || npy.order() != npyz::Order::C {
        return Err(bad(format!("shape {shape:?}, order {:?}", npy.order())));
    }
    // The header's shape is not trusted for an allocation: the values must
    // be in the file.
    let values = shape[0] as f64 * shape[1] as f64;
    if values == 0.0 {
        return Err(bad(format!("an empty array of shape {shape:?}")));
    }
    let item: f64 = npy
        .dtype()
        .descr()
        .trim_end_matches('\'')
        .chars()
        .last()
        .and_then(|c| c.to_digit(10))
        .unwrap_or(1)
        .into();
    if values * item > file_len as f64 {
        return Err(bad(format!(
            "a header for {} x {} values in a file of {file_len} bytes",
            shape[0], shape[1]
        )));
    }
    let (ny, nx) = (shape[0] as usize, shape[1] as usize);
    let descr = npy.dtype().descr();
    // Floats, and the integer types detectors write (uint8/16/32 counts).
    let data: Vec<f64> = match descr.trim_matches('\'').trim_start_matches(['<', '|', '=']) {
        "f4" => ints::<f32>(npy, &bad)?,
        "f8" => npy.into_vec::<f64>().map_err(|e| bad(e.to_string()))?,
        "u1" => ints::<u8>(npy, &bad)?,
        "u2" => ints::<u16>(npy, &bad)?,
        "u4" => ints::<u32>(npy, &bad)?,
        "i1" => ints::<i8>(npy, &bad)?,
        "i2" => ints::<i16>(npy, &bad)?,
        "i4" => ints::<i32>(npy, &bad)?,
        _ => return Err(bad(format!("dtype {descr}"))),
    };
    Ok((data, nx, ny))
}

/// The values of an npy file as f64.
fn ints<T: npyz::Deserialize + Into<f64>>(
    npy: npyz::NpyFile<std::io::BufReader<std::fs::File>>,
    bad: &dyn Fn(String) -> Error,
) -> Result<Vec<f64>> {
    Ok(npy
        .into_vec::<T>()
        .map_err(|e| bad(e.to_string()))?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// A grayscale image read from disk: row-major values, size, and a note
/// when it had to be converted (RGB to luminance).
#[derive(Debug, Clone, PartialEq)]
pub struct Raster {
    /// Row-major values `[iy * nx + ix]` (raw levels or physical units).
    pub data: Vec<f32>,
    /// Width.
    pub nx: usize,
    /// Height.
    pub ny: usize,
    /// Set when the file was not single-channel grayscale.
    pub warning: Option<String>,
    /// The pixel size and origin the file records, if any.
    pub calibration: Option<Calibration>,
    /// Acquisition metadata the file records (key with unit, value), e.g.
    /// `voltage_V`, `convergence_mrad`, `dwell_us`, `magnification`.
    pub metadata: Vec<(String, String)>,
}

/// A calibration read from an image file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibration {
    /// Pixel size (Å) along x and y.
    pub pixel_angstrom: [f64; 2],
    /// Position (Å) of pixel (0, 0).
    pub origin_angstrom: [f64; 2],
    /// Where it came from (for messages).
    pub source: &'static str,
}

/// Read a grayscale image: 8/16-bit PNG (RGB converted to luminance, with
/// a warning), 8/16-bit or 32-bit float TIFF, or a 2D `.npy`.
pub fn read_image(path: &Path) -> Result<Raster> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let bad = |what: String| Error::Parse {
        path: path.to_path_buf(),
        line: 1,
        expected: "a grayscale PNG, TIFF, DM3/DM4, EMD or 2D .npy image".into(),
        found: one_line(&what),
    };
    match ext.as_str() {
        "npy" => {
            let (data, nx, ny) = read_npy(path)?;
            Ok(Raster {
                data,
                nx,
                ny,
                warning: None,
                calibration: None,
                metadata: Vec::new(),
            })
        }
        "tif" | "tiff" => super::tiff::read(path),
        "dm3" | "dm4" => super::dm::read(path),
        "emd" => super::emd::read(path),
        "png" => {
            let img = image::ImageReader::open(path)
                .map_err(|e| Error::io(path, e))?
                .decode()
                .map_err(|e| bad(e.to_string()))?;
            let (nx, ny) = (img.width() as usize, img.height() as usize);
            let (data, warning) = match img {
                image::DynamicImage::ImageLuma8(b) => {
                    (b.into_raw().into_iter().map(f32::from).collect(), None)
                }
                image::DynamicImage::ImageLuma16(b) => {
                    (b.into_raw().into_iter().map(f32::from).collect(), None)
                }
                other => {
                    let note = format!(
                        "{}: {:?} image converted to grayscale (luminance)",
                        path.display(),
                        other.color()
                    );
                    (
                        other
                            .to_luma16()
                            .into_raw()
                            .into_iter()
                            .map(f32::from)
                            .collect(),
                        Some(note),
                    )
                }
            };
            Ok(Raster {
                data,
                nx,
                ny,
                warning,
                calibration: None,
                metadata: Vec::new(),
            })
        }
        _ => Err(bad(format!(
            "'{}' (sacsim reads .png, .tif/.tiff, .dm3, .dm4, .emd and .npy images)",
            path.display()
        ))),
    }
}
