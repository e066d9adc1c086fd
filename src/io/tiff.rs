//! TIFF images as microscopes and their software write them: 8/16/32/64-bit
//! integers (signed or not), float16/32/64, palette-grey (JEOL, Gatan
//! exports), with the calibration of ImageJ tags (`ImageJ=...` description
//! with `unit=`, pixels per unit in XResolution/YResolution, the form
//! hyperspy/rosettasciio and Fiji write) or of plain resolution tags
//! (pixels per cm or inch). sacsim writes its float32 images with ImageJ
//! calibration in nm, so Fiji and hyperspy show lengths, not pixels.

use std::io::Cursor;
use std::path::Path;

use tiff::ColorType;
use tiff::decoder::{Decoder, DecodingResult};
use tiff::encoder::{Rational, TiffEncoder, colortype::Gray32Float};
use tiff::tags::{ResolutionUnit, Tag};

use super::raster::{Calibration, Raster, one_line};
use crate::error::{Error, Result};

/// Å per unit of the length units ImageJ descriptions use.
fn angstrom_per(unit: &str) -> Option<f64> {
    match unit.trim().trim_matches('"').to_ascii_lowercase().as_str() {
        "a" | "å" | "angstrom" | "\\u00c5" => Some(1.0),
        "nm" | "nanometer" | "nanometre" => Some(10.0),
        "picometer" | "picometre" => Some(0.01),
        "um" | "µm" | "μm" | "micron" | "microns" | "micrometer" | "micrometre" | "\\u00b5m" => {
            Some(1e4)
        }
        "mm" => Some(1e7),
        "pm" => Some(0.01),
        _ => None,
    }
}

/// Pixels per unit of a resolution tag.
fn per_unit(dec: &mut Decoder<std::io::BufReader<std::fs::File>>, tag: Tag) -> Option<f64> {
    use tiff::decoder::ifd::Value;
    let v = match dec.find_tag(tag).ok()?? {
        Value::Rational(n, d) if d != 0 => f64::from(n) / f64::from(d),
        Value::SRational(n, d) if d != 0 => f64::from(n) / f64::from(d),
        Value::Float(v) => f64::from(v),
        Value::Double(v) => v,
        Value::Short(v) => f64::from(v),
        Value::Unsigned(v) => f64::from(v),
        _ => return None,
    };
    (v.is_finite() && v > 0.0).then_some(v)
}

/// The calibration of Gatan's private tags (Digital Micrograph, hyperspy
/// and sacsim write them; as rosettasciio reads them): 65003/65004 x/y
/// units, 65009/65010 x/y scale, 65006/65007 x/y offset (in the units).
fn dm_calibration(dec: &mut Decoder<std::io::BufReader<std::fs::File>>) -> Option<Calibration> {
    use tiff::decoder::ifd::Value;
    let mut number = |tag: u16| -> Option<f64> {
        match dec.find_tag(Tag::Unknown(tag)).ok()?? {
            Value::Double(v) => Some(v),
            Value::Float(v) => Some(f64::from(v)),
            Value::Rational(n, d) if d != 0 => Some(f64::from(n) / f64::from(d)),
            _ => None,
        }
    };
    let (sx, sy) = (number(65009)?, number(65010)?);
    let (ox, oy) = (number(65006).unwrap_or(0.0), number(65007).unwrap_or(0.0));
    let mut unit = |tag: u16| {
        dec.get_tag_ascii_string(Tag::Unknown(tag))
            .ok()
            .and_then(|u| angstrom_per(u.trim_end_matches('\0')))
    };
    // 65003/65004 may hold Latin-1 "µm"; 65012/65013 spell the unit out.
    let (ux, uy) = (
        unit(65003).or_else(|| unit(65012))?,
        unit(65004).or_else(|| unit(65013))?,
    );
    let pixel = [sx.abs() * ux, sy.abs() * uy];
    pixel
        .iter()
        .all(|p| (1e-3..=1e4).contains(p))
        .then_some(Calibration {
            pixel_angstrom: pixel,
            origin_angstrom: [ox * ux + 0.0, oy * uy + 0.0],
            source: "Gatan TIFF tags",
        })
}

/// The calibration a TIFF carries, if any (pixel sizes outside 1e-3..1e4 Å,
/// such as a 72 dpi default, are no calibration): Gatan's tags first, then
/// ImageJ's, then plain resolution tags.
fn calibration(dec: &mut Decoder<std::io::BufReader<std::fs::File>>) -> Option<Calibration> {
    if let Some(c) = dm_calibration(dec) {
        return Some(c);
    }
    let (xres, yres) = (
        per_unit(dec, Tag::XResolution)?,
        per_unit(dec, Tag::YResolution),
    );
    let yres = yres.unwrap_or(xres);
    let description = dec
        .get_tag_ascii_string(Tag::ImageDescription)
        .unwrap_or_default();
    let (scale, source) = if description.starts_with("ImageJ=") {
        let unit = description
            .lines()
            .find_map(|l| l.strip_prefix("unit="))
            .and_then(angstrom_per)?;
        (unit, "ImageJ tags")
    } else {
        match dec.get_tag_u32(Tag::ResolutionUnit).ok() {
            Some(3) => (1e8, "resolution tags (pixels per cm)"),
            Some(2) | None => (2.54e8, "resolution tags (pixels per inch)"),
            _ => return None,
        }
    };
    let pixel = [scale / xres, scale / yres];
    let origin = ["xorigin=", "yorigin="].map(|key| {
        description
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or(0.0)
    });
    pixel
        .iter()
        .all(|p| (1e-3..=1e4).contains(p))
        .then(|| Calibration {
            pixel_angstrom: pixel,
            // ImageJ's origin is the pixel position of x = 0.
            origin_angstrom: [-origin[0] * pixel[0] + 0.0, -origin[1] * pixel[1] + 0.0],
            source,
        })
}

/// Read a single-channel TIFF with its calibration.
pub fn read(path: &Path) -> Result<Raster> {
    let bad = |what: String| Error::Parse {
        path: path.to_path_buf(),
        line: 1,
        expected: "a single-channel TIFF (integer, float or palette-grey)".into(),
        found: one_line(&what),
    };
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut dec = Decoder::new(std::io::BufReader::new(file)).map_err(|e| bad(e.to_string()))?;
    let (nx, ny) = dec.dimensions().map_err(|e| bad(e.to_string()))?;
    let calibration = calibration(&mut dec);
    // A stack (several pages, or an ImageJ hyperstack in one) is not an
    // image: say so rather than read its first frame.
    let frames = dec
        .get_tag_ascii_string(Tag::ImageDescription)
        .ok()
        .and_then(|d| {
            d.lines()
                .find_map(|l| l.strip_prefix("images=")?.trim().parse::<usize>().ok())
        })
        .unwrap_or(1);
    if frames > 1 || dec.more_images() {
        return Err(bad(format!(
            "a stack of {} frames of {nx} x {ny} px; save the frame or sum to use as its own TIFF",
            if frames > 1 {
                frames.to_string()
            } else {
                "several".into()
            }
        )));
    }
    if dec.get_tag_u32(Tag::PhotometricInterpretation).ok() == Some(3) {
        return read_palette(path, &mut dec, [nx as usize, ny as usize], calibration);
    }
    let colortype = dec.colortype().map_err(|e| bad(e.to_string()))?;
    let values: Vec<f64> = match dec.read_image().map_err(|e| bad(e.to_string()))? {
        DecodingResult::U8(v) => v.into_iter().map(f64::from).collect(),
        DecodingResult::U16(v) => v.into_iter().map(f64::from).collect(),
        DecodingResult::U32(v) => v.into_iter().map(f64::from).collect(),
        DecodingResult::U64(v) => v.into_iter().map(|x| x as f64).collect(),
        DecodingResult::I8(v) => v.into_iter().map(f64::from).collect(),
        DecodingResult::I16(v) => v.into_iter().map(f64::from).collect(),
        DecodingResult::I32(v) => v.into_iter().map(f64::from).collect(),
        DecodingResult::I64(v) => v.into_iter().map(|x| x as f64).collect(),
        DecodingResult::F16(v) => v.into_iter().map(|x| f64::from(f32::from(x))).collect(),
        DecodingResult::F32(v) => v.into_iter().map(f64::from).collect(),
        DecodingResult::F64(v) => v,
    };
    let n = nx as usize * ny as usize;
    let data = match colortype {
        ColorType::Gray(_) if values.len() == n => values,
        other => {
            return Err(bad(format!(
                "{other:?} samples ({} values for {nx} x {ny} pixels): not a single-channel image",
                values.len()
            )));
        }
    };
    Ok(Raster {
        data: data.into_iter().map(|v| v as f32).collect(),
        nx: nx as usize,
        ny: ny as usize,
        warning: None,
        calibration,
        metadata: Vec::new(),
    })
}

/// An uncompressed 8- or 16-bit palette image (the decoder does not expand
/// palettes): the strips read as indices, each mapped to its grey level
/// (R = G = B), or to luminance with a warning for a colour palette.
fn read_palette(
    path: &Path,
    dec: &mut Decoder<std::io::BufReader<std::fs::File>>,
    [nx, ny]: [usize; 2],
    calibration: Option<Calibration>,
) -> Result<Raster> {
    let bad = |what: String| Error::Parse {
        path: path.to_path_buf(),
        line: 1,
        expected: "an uncompressed 8- or 16-bit single-channel palette TIFF".into(),
        found: one_line(&what),
    };
    let tag =
        |dec: &mut Decoder<_>, t: Tag| dec.get_tag_u32(t).map_err(|e| bad(format!("{t:?}: {e}")));
    let bits = tag(dec, Tag::BitsPerSample)?;
    let compression = dec.get_tag_u32(Tag::Compression).unwrap_or(1);
    let samples = dec.get_tag_u32(Tag::SamplesPerPixel).unwrap_or(1);
    if !(bits == 8 || bits == 16) || compression != 1 || samples != 1 {
        return Err(bad(format!(
            "a palette image of {bits}-bit samples x {samples}, compression {compression}"
        )));
    }
    let offsets = dec
        .get_tag_u64_vec(Tag::StripOffsets)
        .map_err(|e| bad(format!("StripOffsets: {e}")))?;
    let counts = dec
        .get_tag_u64_vec(Tag::StripByteCounts)
        .map_err(|e| bad(format!("StripByteCounts: {e}")))?;
    let map = dec
        .get_tag_u16_vec(Tag::ColorMap)
        .map_err(|e| bad(format!("ColorMap: {e}")))?;
    let entries = 1usize << bits;
    if map.len() != 3 * entries || offsets.len() != counts.len() {
        return Err(bad(format!(
            "a colour map of {} values and {} strips for {} byte counts",
            map.len(),
            offsets.len(),
            counts.len()
        )));
    }
    let file = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let little = file.starts_with(b"II");
    let mut raw = Vec::with_capacity(nx * ny * (bits as usize / 8));
    for (&o, &c) in offsets.iter().zip(&counts) {
        let (o, c) = (o as usize, c as usize);
        let strip = file
            .get(o..o.saturating_add(c))
            .ok_or_else(|| bad(format!("a strip at byte {o} of {c} bytes past the end")))?;
        raw.extend_from_slice(strip);
    }
    let indices: Vec<usize> = if bits == 8 {
        raw.iter().map(|&b| b as usize).collect()
    } else {
        raw.chunks_exact(2)
            .map(|p| {
                let b = [p[0], p[1]];
                (if little {
                    u16::from_le_bytes(b)
                } else {
                    u16::from_be_bytes(b)
                }) as usize
            })
            .collect()
    };
    if indices.len() < nx * ny {
        return Err(bad(format!("{} pixels for {nx} x {ny}", indices.len())));
    }
    let (r, g, b) = (
        &map[..entries],
        &map[entries..2 * entries],
        &map[2 * entries..],
    );
    let grey = r == g && g == b;
    // A monotone grey ramp only displays the stored values: those are the
    // data (as tifffile and rosettasciio return them).
    let ramp = grey && r.windows(2).all(|w| w[0] <= w[1]);
    let level = |k: usize| {
        let k = k.min(entries - 1);
        if ramp {
            k as f32
        } else if grey {
            f32::from(r[k])
        } else {
            (0.2126 * f64::from(r[k]) + 0.7152 * f64::from(g[k]) + 0.0722 * f64::from(b[k])) as f32
        }
    };
    Ok(Raster {
        data: indices[..nx * ny].iter().map(|&k| level(k)).collect(),
        nx,
        ny,
        warning: (!grey)
            .then(|| format!("{}: colour palette converted to luminance", path.display())),
        calibration,
        metadata: Vec::new(),
    })
}

/// How the samples of a written image are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleType {
    /// 32-bit float.
    F32,
    /// Unsigned 8-bit integers.
    U8,
    /// Unsigned 16-bit integers.
    U16,
    /// Unsigned 32-bit integers.
    U32,
}

impl SampleType {
    /// The narrowest unsigned type holding `bits`-bit ADC values.
    pub fn for_adc_bits(bits: u32) -> SampleType {
        match bits {
            0..=8 => SampleType::U8,
            9..=16 => SampleType::U16,
            _ => SampleType::U32,
        }
    }
}

/// A float32 TIFF with ImageJ calibration: `pixel` (Å per pixel along x
/// and y) written as pixels per nm with `unit=nm`, the origin as
/// `xorigin`/`yorigin` in pixels.
pub fn write_f32(data: &[f32], nx: usize, ny: usize, pixel: [f64; 2], origin: [f64; 2]) -> Vec<u8> {
    write(data, nx, ny, pixel, origin, SampleType::F32)
}

/// A calibrated TIFF (as [`write_f32`]) stored as `ty`; integer types take
/// the values rounded and clamped to their range.
pub fn write(
    data: &[f32],
    nx: usize,
    ny: usize,
    pixel: [f64; 2],
    origin: [f64; 2],
    ty: SampleType,
) -> Vec<u8> {
    use tiff::encoder::colortype::{Gray8, Gray16, Gray32};
    let round = |v: &f32, top: f32| v.round().clamp(0.0, top);
    match ty {
        SampleType::F32 => encode::<Gray32Float>(data, nx, ny, pixel, origin),
        SampleType::U8 => {
            let v: Vec<u8> = data.iter().map(|v| round(v, 255.0) as u8).collect();
            encode::<Gray8>(&v, nx, ny, pixel, origin)
        }
        SampleType::U16 => {
            let v: Vec<u16> = data.iter().map(|v| round(v, 65535.0) as u16).collect();
            encode::<Gray16>(&v, nx, ny, pixel, origin)
        }
        SampleType::U32 => {
            let v: Vec<u32> = data
                .iter()
                .map(|v| round(v, u32::MAX as f32) as u32)
                .collect();
            encode::<Gray32>(&v, nx, ny, pixel, origin)
        }
    }
}

fn encode<C: tiff::encoder::colortype::ColorType>(
    data: &[C::Inner],
    nx: usize,
    ny: usize,
    pixel: [f64; 2],
    origin: [f64; 2],
) -> Vec<u8>
where
    [C::Inner]: tiff::encoder::TiffValue,
{
    let mut cursor = Cursor::new(Vec::new());
    let mut encoder = TiffEncoder::new(&mut cursor).expect("in-memory TIFF");
    let mut image = encoder
        .new_image::<C>(nx as u32, ny as u32)
        .expect("in-memory TIFF");
    let nm = pixel.map(|p| p / 10.0);
    let description = format!(
        "ImageJ=1.54f\nunit=nm\nxorigin={}\nyorigin={}\n",
        // + 0.0 turns -0 into 0.
        -origin[0] / pixel[0] + 0.0,
        -origin[1] / pixel[1] + 0.0
    );
    image
        .encoder()
        .write_tag(Tag::ImageDescription, description.as_str())
        .expect("in-memory TIFF");
    // Pixels per nm as a rational with the largest denominator (up to
    // 1e9) whose numerator still fits in 32 bits: ~1e-9 relative.
    let per_nm = |p: f64| {
        let v = 1.0 / p;
        let d = (u32::MAX as f64 / (v + 1.0)).clamp(1.0, 1e9).floor();
        Rational {
            n: (v * d).round().clamp(1.0, u32::MAX as f64) as u32,
            d: d as u32,
        }
    };
    // Gatan's tags as hyperspy writes them, read by rosettasciio with the
    // unit (it takes only the scale from ImageJ's "nm"): x/y units, x/y
    // scale (nm per pixel, exact doubles), x/y offset (nm).
    for (tag, unit) in [(65003u16, "nm"), (65004, "nm")] {
        image
            .encoder()
            .write_tag(Tag::Unknown(tag), unit)
            .expect("in-memory TIFF");
    }
    for (tag, value) in [
        (65009u16, nm[0]),
        (65010, nm[1]),
        (65006, origin[0] / 10.0 + 0.0),
        (65007, origin[1] / 10.0 + 0.0),
    ] {
        image
            .encoder()
            .write_tag(Tag::Unknown(tag), value)
            .expect("in-memory TIFF");
    }
    image.resolution_unit(ResolutionUnit::None);
    image.x_resolution(per_nm(nm[0]));
    image.y_resolution(per_nm(nm[1]));
    image.write_data(data).expect("in-memory TIFF");
    cursor.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tiff::encoder::colortype;

    fn roundtrip(bytes: &[u8]) -> Raster {
        let tmp = tempfile::Builder::new().suffix(".tiff").tempfile().unwrap();
        std::fs::write(tmp.path(), bytes).unwrap();
        read(tmp.path()).unwrap()
    }

    fn encoded<C: colortype::ColorType>(data: &[C::Inner]) -> Vec<u8>
    where
        [C::Inner]: tiff::encoder::TiffValue,
    {
        let mut cursor = Cursor::new(Vec::new());
        TiffEncoder::new(&mut cursor)
            .unwrap()
            .write_image::<C>(3, 2, data)
            .unwrap();
        cursor.into_inner()
    }

    #[test]
    fn every_integer_and_float_width_reads_its_values() {
        let want = [0.0f32, 1.0, 2.0, 100.0, 250.0, 7.0];
        let u8s: Vec<u8> = want.iter().map(|&v| v as u8).collect();
        let u16s: Vec<u16> = want.iter().map(|&v| v as u16).collect();
        let u32s: Vec<u32> = want.iter().map(|&v| v as u32 * 70_000).collect();
        let i16s: Vec<i16> = want.iter().map(|&v| -(v as i16)).collect();
        let i32s: Vec<i32> = want.iter().map(|&v| -(v as i32)).collect();
        let f64s: Vec<f64> = want.iter().map(|&v| f64::from(v) / 3.0).collect();
        assert_eq!(roundtrip(&encoded::<colortype::Gray8>(&u8s)).data, want);
        assert_eq!(roundtrip(&encoded::<colortype::Gray16>(&u16s)).data, want);
        let r = roundtrip(&encoded::<colortype::Gray32>(&u32s));
        assert_eq!(r.data, want.map(|v| v * 70_000.0));
        assert_eq!(
            roundtrip(&encoded::<colortype::GrayI16>(&i16s)).data,
            want.map(|v| -v)
        );
        assert_eq!(
            roundtrip(&encoded::<colortype::GrayI32>(&i32s)).data,
            want.map(|v| -v)
        );
        let r = roundtrip(&encoded::<colortype::Gray64Float>(&f64s));
        assert_eq!(r.data, want.map(|v| (f64::from(v) / 3.0) as f32));
        // No calibration tags: none invented.
        assert_eq!(r.calibration, None);
    }

    #[test]
    fn calibration_round_trips_with_its_origin() {
        // sacsim writes both Gatan's tags (exact doubles, read first) and
        // ImageJ's (rationals, ~1e-9); the ImageJ-only path is tested in
        // tests/integration/detect.rs.
        let data: Vec<f32> = (0..12).map(|v| v as f32 * 0.5).collect();
        let bytes = write_f32(&data, 4, 3, [0.0998, 0.1012], [15.0, -3.0]);
        let r = roundtrip(&bytes);
        assert_eq!((r.nx, r.ny, r.data.clone()), (4, 3, data));
        let c = r.calibration.unwrap();
        assert_eq!(c.source, "Gatan TIFF tags");
        for k in 0..2 {
            let want = [0.0998, 0.1012][k];
            assert!((c.pixel_angstrom[k] - want).abs() < 1e-12, "{c:?}");
        }
        assert!(
            (c.origin_angstrom[0] - 15.0).abs() < 1e-9 && (c.origin_angstrom[1] + 3.0).abs() < 1e-9
        );
    }

    /// A little-endian TIFF with 8-bit palette indices and a grey colour
    /// map (level = 256 · index), as JEOL and Gatan exports write them.
    fn palette_tiff(indices: &[u8], nx: u32, ny: u32, grey: bool) -> Vec<u8> {
        let map: Vec<u16> = (0..3)
            .flat_map(|c| {
                (0..256u32).map(move |i| if grey || c == 0 { (i * 256) as u16 } else { 0 })
            })
            .collect();
        let entries: [(u16, u16, u32, u32); 9] = [
            (256, 4, 1, nx),      // ImageWidth
            (257, 4, 1, ny),      // ImageLength
            (258, 3, 1, 8),       // BitsPerSample
            (259, 3, 1, 1),       // Compression: none
            (262, 3, 1, 3),       // Photometric: palette
            (273, 4, 1, 0),       // StripOffsets (patched)
            (277, 3, 1, 1),       // SamplesPerPixel
            (279, 4, 1, nx * ny), // StripByteCounts
            (320, 3, 3 * 256, 0), // ColorMap (patched)
        ];
        let ifd_at = 8u32;
        let ifd_len = 2 + 12 * entries.len() as u32 + 4;
        let map_at = ifd_at + ifd_len;
        let data_at = map_at + 2 * map.len() as u32;
        let mut out = b"II*\0".to_vec();
        out.extend(ifd_at.to_le_bytes());
        out.extend((entries.len() as u16).to_le_bytes());
        for (tag, kind, count, value) in entries {
            let value = match tag {
                273 => data_at,
                320 => map_at,
                _ => value,
            };
            out.extend(tag.to_le_bytes());
            out.extend(kind.to_le_bytes());
            out.extend(count.to_le_bytes());
            if kind == 3 && count == 1 {
                out.extend((value as u16).to_le_bytes());
                out.extend([0, 0]);
            } else {
                out.extend(value.to_le_bytes());
            }
        }
        out.extend(0u32.to_le_bytes());
        out.extend(map.iter().flat_map(|v| v.to_le_bytes()));
        out.extend(indices);
        out
    }

    #[test]
    fn palette_grey_reads_the_stored_values() {
        // A grey ramp only displays the stored values: those are the data,
        // as tifffile and rosettasciio return them.
        let idx = [0u8, 1, 2, 10, 200, 255];
        let r = roundtrip(&palette_tiff(&idx, 3, 2, true));
        assert_eq!(r.data, idx.map(f32::from));
        assert_eq!(r.warning, None);
        let r = roundtrip(&palette_tiff(&idx, 3, 2, false));
        assert!(r.warning.unwrap().contains("luminance"));
        assert!((r.data[1] - 0.2126 * 256.0).abs() < 1e-3);
    }
}
