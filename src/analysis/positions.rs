//! `Positions`: the points every statistic starts from (Å, projected 2D or
//! 3D), their elements when known, and the analysis region: a periodic box
//! (minimum image, no edges) or an open rectangle (edge-corrected
//! statistics). Loaders for every source sacsim knows.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::io::text::{Lines, parse_float, quote};
use crate::structure::{Element, Structure};

/// Where the points live.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Region {
    /// Periodic box from the origin; `size[2]` is used in 3D only.
    Periodic {
        /// Box lengths (Å).
        size: [f64; 3],
    },
    /// An open box (an image field, or a non-periodic model).
    Open {
        /// Lower corner (Å).
        origin: [f64; 3],
        /// Lengths (Å).
        size: [f64; 3],
    },
}

impl Region {
    /// Area (2D) or volume (3D) in Å² or Å³.
    pub fn measure(&self, dims: usize) -> f64 {
        let s = match self {
            Region::Periodic { size } | Region::Open { size, .. } => size,
        };
        s[..dims].iter().product()
    }
}

/// Points, their elements and the region.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Positions {
    /// Coordinates (Å); z is 0 for projected points.
    pub points: Vec<[f64; 3]>,
    /// Element of each point, where known.
    pub elements: Vec<Option<Element>>,
    /// The analysis region.
    pub region: Region,
    /// 2 (projected) or 3.
    pub dims: usize,
    /// Where the points came from.
    pub source: String,
}

impl Positions {
    /// Refuse what no statistic can use: fewer than two points, points
    /// outside the region, non-finite coordinates.
    pub fn validate(&self) -> Result<()> {
        if self.points.len() < 2 {
            return Err(Error::invalid(
                "input",
                format!(
                    "{}: {} point(s); pair statistics need at least two",
                    self.source,
                    self.points.len()
                ),
            ));
        }
        let (origin, size) = match self.region {
            Region::Periodic { size } => ([0.0; 3], size),
            Region::Open { origin, size } => (origin, size),
        };
        if size[..self.dims]
            .iter()
            .any(|&s| !(s > 0.0 && s.is_finite()))
        {
            return Err(Error::invalid(
                "--region",
                format!(
                    "{:?}: the region needs positive, finite sizes",
                    &size[..self.dims]
                ),
            ));
        }
        let periodic = matches!(self.region, Region::Periodic { .. });
        for (i, p) in self.points.iter().enumerate() {
            if p.iter().any(|v| !v.is_finite()) {
                return Err(Error::invalid(
                    "input",
                    format!(
                        "{}: point {} has a non-finite coordinate",
                        self.source,
                        i + 1
                    ),
                ));
            }
            if !periodic {
                for k in 0..self.dims {
                    if p[k] < origin[k] - 1e-9 || p[k] > origin[k] + size[k] + 1e-9 {
                        return Err(Error::invalid(
                            "--region",
                            format!(
                                "{}: point {} at {:?} Å lies outside the region {:?} + {:?} Å",
                                self.source,
                                i + 1,
                                &p[..self.dims],
                                &origin[..self.dims],
                                &size[..self.dims]
                            ),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// True without points.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Metal atoms (or the given elements) of a structure, projected along
    /// z (or kept 3D). The region is the periodic box when the in-plane cell
    /// is orthogonal and periodic, else the bounding box of the points.
    pub fn from_structure(
        structure: &Structure,
        elements: Option<&[Element]>,
        three_d: bool,
        source: &str,
    ) -> Result<Positions> {
        let keep = |e: Element| match elements {
            Some(list) => list.contains(&e),
            None => e.is_metal(),
        };
        let chosen: Vec<_> = structure.atoms.iter().filter(|a| keep(a.element)).collect();
        if chosen.is_empty() {
            let present: BTreeSet<&str> =
                structure.atoms.iter().map(|a| a.element.symbol()).collect();
            return Err(Error::invalid(
                "--elements",
                format!(
                    "{source}: no atoms of the selected elements; the file holds {}",
                    present.into_iter().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        let dims = if three_d { 3 } else { 2 };
        let points = chosen
            .iter()
            .map(|a| {
                [
                    a.position.x,
                    a.position.y,
                    if three_d { a.position.z } else { 0.0 },
                ]
            })
            .collect();
        let m = structure.lattice.to_array();
        let orthogonal = (0..3).all(|i| (0..3).all(|j| i == j || m[i][j].abs() < 1e-9));
        let periodic =
            structure.pbc[0] && structure.pbc[1] && (!three_d || structure.pbc[2]) && orthogonal;
        let mut pos = Positions {
            points,
            elements: chosen.iter().map(|a| Some(a.element)).collect(),
            region: Region::Periodic {
                size: [m[0][0], m[1][1], m[2][2]],
            },
            dims,
            source: source.to_string(),
        };
        if !periodic {
            pos.region = bounding_region(&pos.points);
        }
        Ok(pos)
    }

    /// A CSV of `x,y[,z][,element]` (header optional; Å, or pixels times
    /// `pixel_size`), with an explicit region or the points' bounding box.
    /// Also reads `sacsim sample` `sites.csv` and `simulate` `atoms.csv`.
    pub fn from_csv(
        text: &str,
        path: &Path,
        pixel_size: Option<f64>,
        region: Option<Region>,
    ) -> Result<Positions> {
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
                    (Some(x), Some(y), _, _) => {
                        (x, y, col("z_a").or(col("z")), col("element"), 1.0)
                    }
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
                let num = |c: usize, what: &str| {
                    f.get(c).and_then(|v| parse_float(v)).ok_or_else(|| {
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

    /// Keep only the given elements (points of unknown element are dropped).
    pub fn select(mut self, elements: &[Element]) -> Result<Positions> {
        let keep: Vec<bool> = self
            .elements
            .iter()
            .map(|e| e.is_some_and(|e| elements.contains(&e)))
            .collect();
        if !keep.iter().any(|&k| k) {
            return Err(Error::invalid(
                "--elements",
                format!(
                    "{}: no points of {}",
                    self.source,
                    elements
                        .iter()
                        .map(|e| e.symbol())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let mut k = keep.iter();
        self.points.retain(|_| *k.next().expect("same length"));
        let mut k = keep.iter();
        self.elements.retain(|_| *k.next().expect("same length"));
        Ok(self)
    }
}

/// The bounding box of the points (open), padded by nothing.
fn bounding_region(points: &[[f64; 3]]) -> Region {
    let mut lo = [f64::MAX; 3];
    let mut hi = [f64::MIN; 3];
    for p in points {
        for k in 0..3 {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
    if points.is_empty() {
        return Region::Open {
            origin: [0.0; 3],
            size: [1.0; 3],
        };
    }
    Region::Open {
        origin: lo,
        size: std::array::from_fn(|k| (hi[k] - lo[k]).max(1e-6)),
    }
}

/// How to read positions from a path.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadOptions {
    /// Keep only these elements (structures: default the metals).
    pub elements: Option<Vec<Element>>,
    /// Keep z (3D statistics) instead of projecting along z.
    pub three_d: bool,
    /// Pixel size (Å) for CSVs in pixels.
    pub pixel_size: Option<f64>,
    /// Override the analysis region.
    pub region: Option<Region>,
}

/// Read positions from a structure file, a CSV, a `.npy` (N x 2 or N x 3,
/// Å), or a sacsim output directory (`sample`: the sites' metals in the
/// periodic box; `simulate`: the ground truth in the image field; `build`:
/// the model's metals).
pub fn load(path: &Path, opts: &LoadOptions) -> Result<Positions> {
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| Error::io(p, e));
    let json = |p: &Path| -> Result<serde_json::Value> {
        serde_json::from_str(&read(p)?).map_err(|e| Error::Parse {
            path: p.to_path_buf(),
            line: e.line(),
            expected: "JSON".into(),
            found: e.to_string(),
        })
    };
    let mut pos = if path.is_dir() {
        if path.join("sites.csv").is_file() {
            let params = json(&path.join("params.json"))?;
            let b = params["box_angstrom"]
                .as_array()
                .and_then(|v| Some([v.first()?.as_f64()?, v.get(1)?.as_f64()?]))
                .ok_or_else(|| {
                    Error::invalid(
                        "input",
                        format!("{}: params.json has no box_angstrom", path.display()),
                    )
                })?;
            let region = opts.region.unwrap_or(Region::Periodic {
                size: [b[0], b[1], 0.0],
            });
            Positions::from_csv(
                &read(&path.join("sites.csv"))?,
                &path.join("sites.csv"),
                None,
                Some(region),
            )?
        } else if path.join("atoms.csv").is_file() || path.join("detections.csv").is_file() {
            let params = json(&path.join("params.json"))?;
            let num = |k: &str, i: usize| params[k][i].as_f64();
            let field = (|| {
                let (px, py, x0, y0) = (
                    num("pixel_angstrom", 0)?,
                    num("pixel_angstrom", 1)?,
                    num("origin_angstrom", 0)?,
                    num("origin_angstrom", 1)?,
                );
                let (ny, nx) = (num("image_shape_ny_nx", 0)?, num("image_shape_ny_nx", 1)?);
                Some(Region::Open {
                    origin: [x0 - px / 2.0, y0 - py / 2.0, 0.0],
                    size: [nx * px, ny * py, 0.0],
                })
            })()
            .ok_or_else(|| {
                Error::invalid(
                    "input",
                    format!("{}: params.json lacks the image geometry", path.display()),
                )
            })?;
            let csv = if path.join("atoms.csv").is_file() {
                path.join("atoms.csv")
            } else {
                path.join("detections.csv")
            };
            Positions::from_csv(&read(&csv)?, &csv, None, Some(opts.region.unwrap_or(field)))?
        } else {
            let s = crate::io::read_structure(path)?;
            Positions::from_structure(
                &s,
                opts.elements.as_deref(),
                opts.three_d,
                &path.display().to_string(),
            )?
        }
    } else {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("csv") => Positions::from_csv(&read(path)?, path, opts.pixel_size, opts.region)?,
            Some("npy") => from_npy(path, opts)?,
            _ => {
                let s = crate::io::read_structure(path)?;
                Positions::from_structure(
                    &s,
                    opts.elements.as_deref(),
                    opts.three_d,
                    &path.display().to_string(),
                )?
            }
        }
    };
    if let Some(r) = opts.region {
        pos.region = r;
    }
    if opts.three_d {
        pos.dims = 3;
    }
    // Element filters on element-tagged inputs (structures filter above).
    if let Some(list) = &opts.elements
        && pos.elements.iter().any(Option::is_some)
        && pos
            .elements
            .iter()
            .any(|e| e.is_some_and(|e| !list.contains(&e)))
    {
        pos = pos.select(list)?;
    }
    Ok(pos)
}

/// An N x 2 or N x 3 float array of positions (Å).
fn from_npy(path: &Path, opts: &LoadOptions) -> Result<Positions> {
    let (data, cols, rows) = crate::io::raster::read_npy_f64(path)?;
    if cols != 2 && cols != 3 {
        return Err(Error::Parse {
            path: path.to_path_buf(),
            line: 1,
            expected: "an N x 2 or N x 3 array of positions in Å".into(),
            found: format!("shape ({rows}, {cols})"),
        });
    }
    let scale = opts.pixel_size.unwrap_or(1.0);
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
    let region = opts.region.unwrap_or_else(|| bounding_region(&points));
    Ok(Positions {
        elements: vec![None; points.len()],
        points,
        region,
        dims: 2,
        source: path.display().to_string(),
    })
}
