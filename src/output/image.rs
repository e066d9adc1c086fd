//! An image from any path sacsim reads, placed by its frame: a `simulate`
//! directory (its `image.npy` and the frame in `params.json`), an image
//! file beside such a `params.json`, or a file with its own calibration
//! (TIFF tags); flags override. Used by `detect` and `convert`.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::io::raster::{Raster, read_image};
use crate::structure::ImageFrame;

/// An image with the frame that places it and where the frame came from.
#[derive(Debug, Clone)]
pub struct PlacedImage {
    /// The image file read.
    pub path: PathBuf,
    /// Its values and the file's own calibration.
    pub raster: Raster,
    /// Origin, pixel size and shape.
    pub frame: ImageFrame,
    /// Where the pixel size came from (for messages and params.json).
    pub source: String,
    /// Detector cross sections (Å²) by element, when a sacsim params.json
    /// beside the image records them: the expected intensity ratios.
    pub cross_sections: Option<std::collections::BTreeMap<String, f64>>,
}

/// The image file and the directory whose params.json may hold its frame.
fn locate(image: &Path) -> (PathBuf, Option<PathBuf>) {
    if image.is_dir() {
        return (image.join("image.npy"), Some(image.to_path_buf()));
    }
    let dir = image.parent().map(|p| {
        if p.as_os_str().is_empty() {
            Path::new(".")
        } else {
            p
        }
    });
    let sidecar = dir.filter(|d| d.join("params.json").is_file());
    (image.to_path_buf(), sidecar.map(Path::to_path_buf))
}

/// Read `image` and place it: the pixel size from `pixel` (Å, per axis),
/// else a sacsim frame, else the file's calibration; the origin from
/// `origin`, else the same source, else (0, 0).
pub fn load_image(
    image: &Path,
    pixel: Option<[f64; 2]>,
    origin: Option<[f64; 2]>,
) -> Result<PlacedImage> {
    let (path, sidecar) = locate(image);
    // Formats that can carry a calibration of their own.
    let calibrated_format = path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        matches!(
            e.to_ascii_lowercase().as_str(),
            "tif" | "tiff" | "dm3" | "dm4" | "emd"
        )
    });
    let recorded = match (&sidecar, pixel) {
        (Some(dir), None) => Some(super::image_frame(dir)?),
        (Some(dir), Some(_)) => super::image_frame(dir).ok(),
        (None, _) => None,
    };
    let no_calibration = |what: &str| {
        Error::invalid(
            "--pixel-size",
            format!("{} {what}: give the pixel size in Å", image.display()),
        )
    };
    if recorded.is_none() && pixel.is_none() && !calibrated_format {
        return Err(no_calibration(
            "has no params.json with its frame beside it",
        ));
    }
    let raster = read_image(&path)?;
    let shape = [raster.nx, raster.ny];
    if let Some(f) = recorded
        && f.shape != shape
        && pixel.is_none()
    {
        return Err(no_calibration(&format!(
            "is {} x {} px but its params.json describes {} x {} px",
            shape[0], shape[1], f.shape[0], f.shape[1]
        )));
    }
    let from_file = raster.calibration;
    let (px, source) = match (pixel, recorded, from_file) {
        (Some(p), _, _) => (p, "--pixel-size".to_string()),
        (None, Some(f), _) => (f.pixel, "params.json".to_string()),
        (None, None, Some(c)) => (c.pixel_angstrom, format!("the file's {}", c.source)),
        (None, None, None) => {
            return Err(no_calibration(
                "carries no length calibration (no ImageJ, resolution, DM or EMD pixel size in Å, nm or µm)",
            ));
        }
    };
    let origin = origin
        .or(recorded.map(|f| f.origin))
        .or(from_file
            .filter(|_| pixel.is_none())
            .map(|c| c.origin_angstrom)
            // A stage position beyond ±1e6 Å (DM files record them) is
            // not an origin sacsim can place atoms at: the image starts at 0.
            .filter(|o| o.iter().all(|v| v.abs() <= crate::structure::MAX_LENGTH)))
        .unwrap_or([0.0, 0.0]);
    let frame = ImageFrame::new(shape, px, origin)?;
    #[derive(serde::Deserialize)]
    struct Recorded {
        cross_sections_a2: std::collections::BTreeMap<String, f64>,
    }
    let cross_sections = sidecar
        .as_deref()
        .and_then(|d| super::read_params::<Recorded>(d).ok())
        .map(|r| r.cross_sections_a2);
    Ok(PlacedImage {
        path,
        raster,
        frame,
        source,
        cross_sections,
    })
}
