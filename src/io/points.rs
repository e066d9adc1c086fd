//! Point lists as files: CSV of `x,y[,z][,element]` (also sacsim's own
//! `sites.csv`, `atoms.csv` and `detections.csv`) and N x 2 / N x 3 `.npy`
//! arrays, read into [`Positions`].

use std::path::Path;

use crate::error::{Error, Result};
use crate::io::text::{Lines, parse_float, quote};
use crate::structure::lattice::MAX_LENGTH;
use crate::structure::positions::bounding_region;
use crate::structure::{Element, Positions, Region};

/// A CSV of `x,y[,z][,element]` (header optional; Å, or pixels times
/// `pixel_size`), with an explicit region or the points' bounding box.
/// Also reads `sacsim sample` `sites.csv` and `simulate` `atoms.csv`.
pub fn read_csv(
    text: &str,
    path: &Path,
    pixel_size: Option<f64>,
    region: Option<Region>,
) -> Result<Positions> {
    check_pixel_size(pixel_size)?;
    let lines = Lines::new(text, path);
    let first = lines.get(0, "a header or x,y values")?;
    let header: Vec<String> = first
        .split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .collect();
    let has_header = header
        .iter()
        .any(|h| h.parse::<f64>().is_err() && !h.is_empty());
    let (mut points, mut elements) = (Vec::new(), Vec::new());
    let col = |name: &str| header.iter().position(|h| h == name);
    if has_header && col("site_id").is_some() {
        // sites.csv: one row per site, up to two metals.
        for n in 1..lines.len() {
            let line = lines.get(n, "a site row")?;
            if line.trim().is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split(',').collect();
            let metals: usize = f
                .get(7)
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| lines.error(n, "n_metals in column 8", &quote(line)))?;
            for k in 0..metals {
                let o = 8 + 5 * k;
                let get = |c: usize| {
                    f.get(c)
                        .and_then(|v| parse_float(v))
                        .ok_or_else(|| lines.error(n, "metal coordinates in Å", &quote(line)))
                };
                points.push([get(o + 1)?, get(o + 2)?, get(o + 3)?]);
                elements.push(f.get(o).and_then(|e| Element::from_symbol(e).ok()));
            }
        }
    } else {
        // Generic: x, y[, z][, element], or atoms.csv (x_A, y_A ... or x_px, y_px).
        let (ix, iy, iz, ie, scale) = if has_header {
            let (xa, ya) = (col("x_a").or(col("x")), col("y_a").or(col("y")));
            match (xa, ya, col("x_px"), col("y_px")) {
                (Some(x), Some(y), _, _) => (x, y, col("z_a").or(col("z")), col("element"), 1.0),
                (None, None, Some(x), Some(y)) => {
                    let s = pixel_size.ok_or_else(|| {
                        lines.error(
                            0,
                            "x,y columns in Å, or --pixel-size for pixel columns",
                            &quote(first),
                        )
                    })?;
                    (x, y, None, col("element"), s)
                }
                _ => {
                    return Err(lines.error(
                        0,
                        "columns x and y (Å) or x_px and y_px",
                        &quote(first),
                    ));
                }
            }
        } else {
            (
                0,
                1,
                None,
                if header.len() >= 3 && header[2].parse::<f64>().is_err() {
                    Some(2)
                } else {
                    None
                },
                pixel_size.unwrap_or(1.0),
            )
        };
        for n in usize::from(has_header)..lines.len() {
            let line = lines.get(n, "x,y values")?;
            if line.trim().is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split(',').map(str::trim).collect();
            if has_header && f.len() != header.len() {
                return Err(lines.error(
                    n,
                    &format!("{} comma-separated fields, as in the header", header.len()),
                    &quote(line),
                ));
            }
            let num = |c: usize, what: &str| {
                f.get(c)
                    .and_then(|v| parse_float(v))
                    .filter(|v| v.abs() <= MAX_LENGTH)
                    .ok_or_else(|| {
                        lines.error(
                            n,
                            &format!("a finite number for {what} in column {}", c + 1),
                            &quote(line),
                        )
                    })
            };
            let z = match iz {
                Some(c) => num(c, "z")?,
                None => 0.0,
            };
            points.push([num(ix, "x")? * scale, num(iy, "y")? * scale, z * scale]);
            elements.push(match ie.and_then(|c| f.get(c)) {
                Some(e) if !e.is_empty() => Some(
                    Element::from_symbol(e)
                        .map_err(|_| lines.error(n, "an element symbol", &format!("'{e}'")))?,
                ),
                _ => None,
            });
        }
    }
    let source = path.display().to_string();
    let region = region.unwrap_or_else(|| bounding_region(&points));
    Ok(Positions {
        points,
        elements,
        region,
        dims: 2,
        source,
    })
}

/// An N x 2 or N x 3 float array of positions (Å).
pub fn read_npy(path: &Path, pixel_size: Option<f64>, region: Option<Region>) -> Result<Positions> {
    check_pixel_size(pixel_size)?;
    let (data, cols, rows) = super::raster::read_npy_f64(path)?;
    if cols != 2 && cols != 3 {
        return Err(Error::Parse {
            path: path.to_path_buf(),
            line: 1,
            expected: "an N x 2 or N x 3 array of positions in Å".into(),
            found: format!("shape ({rows}, {cols})"),
        });
    }
    let scale = pixel_size.unwrap_or(1.0);
    let points: Vec<[f64; 3]> = data
        .chunks(cols)
        .map(|c| {
            [
                c[0] * scale,
                c[1] * scale,
                c.get(2).map_or(0.0, |&z| z * scale),
            ]
        })
        .collect();
    if let Some(k) = points
        .iter()
        .position(|p| !p.iter().all(|v| v.is_finite() && v.abs() <= MAX_LENGTH))
    {
        return Err(Error::Parse {
            path: path.to_path_buf(),
            line: 1,
            expected: format!(
                "finite positions within {} Å",
                crate::values::short(MAX_LENGTH)
            ),
            found: format!("row {k}: {:?}", points[k]),
        });
    }
    let region = region.unwrap_or_else(|| bounding_region(&points));
    Ok(Positions {
        elements: vec![None; points.len()],
        points,
        region,
        dims: 2,
        source: path.display().to_string(),
    })
}

/// A pixel size for pixel-unit points: positive, at most 1e4 Å.
fn check_pixel_size(pixel_size: Option<f64>) -> Result<()> {
    match pixel_size {
        Some(p) if !(p > 0.0 && p <= 1e4) => Err(Error::invalid(
            "--pixel-size",
            format!(
                "{} Å; give the pixel size in 0-1e4 Å",
                crate::values::short(p)
            ),
        )),
        _ => Ok(()),
    }
}
