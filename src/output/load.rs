//! Positions from any path sacsim reads: a structure file, a CSV, an
//! N x 2/3 `.npy`, or another command's output directory (`sample`: the
//! sites' metals in the periodic box; `simulate` and `detect`: the truth or
//! the detections in the image field, placed by its frame; `build`: the
//! model's metals).

use std::path::Path;

use super::{image_frame, read_params};
use crate::analysis::identity::{ElementIdentity, Photometry};
use crate::error::{Error, Result};
use crate::io::points::{read_csv, read_npy};
use crate::structure::{Element, Positions, Region};

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
    /// For a `simulate` directory: each atom where it shows in the image
    /// (its x_px, y_px through the image frame, scan distortions
    /// included) rather than where it sits in the specimen: what
    /// detections are compared with.
    pub as_imaged: bool,
}

/// Read positions from a structure file, a CSV, a `.npy` (N x 2 or N x 3,
/// Å), or a sacsim output directory (`sample`: the sites' metals in the
/// periodic box; `simulate`: the ground truth in the image field; `build`:
/// the model's metals).
pub fn load(path: &Path, opts: &LoadOptions) -> Result<Positions> {
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| Error::io(p, e));
    let structure = |p: &Path| -> Result<Positions> {
        Positions::from_structure(
            &crate::io::read_structure(p)?,
            opts.elements.as_deref(),
            opts.three_d,
            &p.display().to_string(),
        )
    };
    let mut pos = if path.is_dir() {
        let table = ["sites.csv", "atoms.csv", "detections.csv"]
            .into_iter()
            .map(|f| path.join(f))
            .find(|p| p.is_file());
        match table {
            Some(csv) if csv.ends_with("sites.csv") => {
                #[derive(serde::Deserialize)]
                struct SampleBox {
                    box_angstrom: [f64; 2],
                }
                let b = read_params::<SampleBox>(path)?.box_angstrom;
                let region = opts.region.unwrap_or(Region::Periodic {
                    size: [b[0], b[1], 0.0],
                });
                read_csv(&read(&csv)?, &csv, None, Some(region))?
            }
            Some(csv) => {
                let frame = image_frame(path)?;
                let (origin, size) = frame.field();
                let field = Region::Open {
                    origin: [origin[0], origin[1], 0.0],
                    size: [size[0], size[1], 0.0],
                };
                let text = read(&csv)?;
                let mut pos = read_csv(&text, &csv, None, Some(opts.region.unwrap_or(field)))?;
                if opts.as_imaged && csv.ends_with("atoms.csv") {
                    // The same rows in pixels, placed through the frame.
                    let pixels = read_csv(
                        &text.replacen("x_A,y_A,z_A", "xs,ys,zs", 1),
                        &csv,
                        Some(1.0),
                        None,
                    )?;
                    for (p, q) in pos.points.iter_mut().zip(&pixels.points) {
                        let [x, y] = frame.to_angstrom([q[0], q[1]]);
                        (p[0], p[1]) = (x, y);
                    }
                }
                pos
            }
            None => structure(path)?,
        }
    } else {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("csv") => read_csv(&read(path)?, path, opts.pixel_size, opts.region)?,
            Some("npy") => read_npy(path, opts.pixel_size, opts.region)?,
            _ => structure(path)?,
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

/// Element photometry of a `detect --elements` output: one entry per row
/// of its detections.csv, and the element model of the image.
#[derive(Debug, Clone, PartialEq)]
pub struct ElementEvidence {
    /// Photometry of each detection (None at the border).
    pub photometry: Vec<Option<Photometry>>,
    /// The image's element model.
    pub identity: ElementIdentity,
}

/// The element evidence of a `detect` output directory (or of the
/// detections.csv in one), if it was run with `--elements`.
pub fn load_element_evidence(path: &Path) -> Result<Option<ElementEvidence>> {
    let dir = if path.is_dir() {
        path
    } else {
        match path.parent() {
            Some(p) if path.file_name().is_some_and(|f| f == "detections.csv") => p,
            _ => return Ok(None),
        }
    };
    let json = dir.join("detections.json");
    if !json.is_file() {
        return Ok(None);
    }
    #[derive(serde::Deserialize)]
    struct Row {
        photometry: Option<Photometry>,
    }
    #[derive(serde::Deserialize)]
    struct Saved {
        detections: Vec<Row>,
        identity: Option<ElementIdentity>,
    }
    let text = std::fs::read_to_string(&json).map_err(|e| Error::io(&json, e))?;
    let saved: Saved = serde_json::from_str(&text).map_err(|e| {
        Error::invalid(
            "input",
            format!(
                "{}: line {}: not a sacsim detections.json ({e})",
                json.display(),
                e.line()
            ),
        )
    })?;
    Ok(saved.identity.map(|identity| ElementEvidence {
        photometry: saved.detections.into_iter().map(|r| r.photometry).collect(),
        identity,
    }))
}
