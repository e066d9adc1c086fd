//! Label kinds and the per-image label writers behind one trait. A new
//! label format is a new [`LabelKind`] row and a [`LabelWriter`].
//!
//! | kind | per image | file |
//! |---|---|---|
//! | `coco` | no: assembled per split from `positions/` | `annotations/instances_SPLIT.json` |
//! | `yolo` | yes | `labels/SPLIT/NNNNNN.txt` |
//! | `heatmap` | yes | `heatmaps/SPLIT/NNNNNN.png` |
//! | `mask` | yes | `masks/SPLIT/NNNNNN.png` |
//! | `csv` | always written (`positions/`), COCO is built from it | `positions/SPLIT/NNNNNN.csv` |

use std::fmt::Write as _;

use super::config::RunConfig;
use crate::error::{Error, Result};
use crate::structure::ImageFrame;

/// A label kind of `run.labels`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LabelKind {
    /// COCO instances (boxes and keypoints).
    Coco,
    /// YOLO text labels.
    Yolo,
    /// Gaussian heatmaps.
    Heatmap,
    /// Category discs.
    Mask,
    /// Exact positions.
    Csv,
}

impl LabelKind {
    /// Every kind, in documentation order.
    pub const ALL: [LabelKind; 5] = [
        LabelKind::Coco,
        LabelKind::Yolo,
        LabelKind::Heatmap,
        LabelKind::Mask,
        LabelKind::Csv,
    ];

    /// Its name in `run.labels`.
    pub fn name(self) -> &'static str {
        match self {
            LabelKind::Coco => "coco",
            LabelKind::Yolo => "yolo",
            LabelKind::Heatmap => "heatmap",
            LabelKind::Mask => "mask",
            LabelKind::Csv => "csv",
        }
    }

    /// Look a kind up by name.
    pub fn from_name(name: &str) -> Result<LabelKind> {
        let key = name.trim().to_ascii_lowercase();
        LabelKind::ALL
            .into_iter()
            .find(|k| k.name() == key)
            .ok_or_else(|| Error::UnknownName {
                kind: "label",
                name: name.to_string(),
                valid: LabelKind::ALL.map(|k| k.name()).join(", "),
            })
    }

    /// Its per-image writer, if it has one.
    pub fn writer(self) -> Option<&'static dyn LabelWriter> {
        match self {
            LabelKind::Yolo => Some(&Yolo),
            LabelKind::Heatmap => Some(&Heatmap),
            LabelKind::Mask => Some(&Mask),
            LabelKind::Coco | LabelKind::Csv => None,
        }
    }
}

impl std::fmt::Display for LabelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

crate::values::named_value!(LabelKind);
crate::values::serde_as_text!(LabelKind);

/// One labelled atom: exact pixel position and category id (from 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Label {
    /// Pixel coordinates (x, y; pixel centres at integers).
    pub pixel: [f64; 2],
    /// Category id, from 1.
    pub category: usize,
}

/// Writes one image's labels of one kind.
pub trait LabelWriter: Sync {
    /// Directory under the dataset (`labels`, `heatmaps`, ...).
    fn directory(&self) -> &'static str;
    /// File extension.
    fn extension(&self) -> &'static str;
    /// The file's bytes.
    fn render(&self, frame: &ImageFrame, labels: &[Label], run: &RunConfig) -> Vec<u8>;
}

/// The pixels within `r` px of a label, clipped to the image:
/// (index, squared distance in px²).
fn pixels_near(frame: &ImageFrame, p: [f64; 2], r: f64) -> impl Iterator<Item = (usize, f64)> {
    let [nx, ny] = frame.shape.map(|n| n as i64);
    let reach = r.ceil() as i64;
    let (cx, cy) = (p[0].round() as i64, p[1].round() as i64);
    ((cy - reach).max(0)..(cy + reach + 1).min(ny)).flat_map(move |y| {
        ((cx - reach).max(0)..(cx + reach + 1).min(nx)).map(move |x| {
            let d2 = (x as f64 - p[0]).powi(2) + (y as f64 - p[1]).powi(2);
            (y as usize * nx as usize + x as usize, d2)
        })
    })
}

/// YOLO: `class x_center y_center width height`, normalised, boxes of
/// `run.box_angstrom` clipped to the image.
struct Yolo;

impl LabelWriter for Yolo {
    fn directory(&self) -> &'static str {
        "labels"
    }
    fn extension(&self) -> &'static str {
        "txt"
    }
    fn render(&self, frame: &ImageFrame, labels: &[Label], run: &RunConfig) -> Vec<u8> {
        let (nx, ny) = (frame.nx() as f64, frame.ny() as f64);
        let box_px = frame.pixel.map(|p| run.box_angstrom / p);
        let mut y = String::new();
        for l in labels {
            let (x0, x1) = (
                (l.pixel[0] + 0.5 - box_px[0] / 2.0).max(0.0),
                (l.pixel[0] + 0.5 + box_px[0] / 2.0).min(nx),
            );
            let (y0, y1) = (
                (l.pixel[1] + 0.5 - box_px[1] / 2.0).max(0.0),
                (l.pixel[1] + 0.5 + box_px[1] / 2.0).min(ny),
            );
            let _ = writeln!(
                y,
                "{} {:.6} {:.6} {:.6} {:.6}",
                l.category - 1,
                (x0 + x1) / 2.0 / nx,
                (y0 + y1) / 2.0 / ny,
                (x1 - x0) / nx,
                (y1 - y0) / ny
            );
        }
        y.into_bytes()
    }
}

/// Heatmap: the maximum of unit Gaussians (σ = `run.heatmap_sigma_px`) at
/// the atoms, 16-bit with the fixed scale 1.0 = 65535.
struct Heatmap;

impl LabelWriter for Heatmap {
    fn directory(&self) -> &'static str {
        "heatmaps"
    }
    fn extension(&self) -> &'static str {
        "png"
    }
    fn render(&self, frame: &ImageFrame, labels: &[Label], run: &RunConfig) -> Vec<u8> {
        let sigma = run.heatmap_sigma_px;
        let mut h = vec![0f32; frame.len()];
        for l in labels {
            for (i, d2) in pixels_near(frame, l.pixel, 4.0 * sigma) {
                h[i] = h[i].max((-d2 / (2.0 * sigma * sigma)).exp() as f32);
            }
        }
        let levels: Vec<u16> = h
            .iter()
            .map(|&v| (v.clamp(0.0, 1.0) * 65535.0).round() as u16)
            .collect();
        let raw: Vec<u8> = levels.iter().flat_map(|v| v.to_ne_bytes()).collect();
        png(&raw, frame, image::ExtendedColorType::L16)
    }
}

/// Mask: discs of `run.mask_radius_angstrom`, value = category id.
struct Mask;

impl LabelWriter for Mask {
    fn directory(&self) -> &'static str {
        "masks"
    }
    fn extension(&self) -> &'static str {
        "png"
    }
    fn render(&self, frame: &ImageFrame, labels: &[Label], run: &RunConfig) -> Vec<u8> {
        let r = run.mask_radius_angstrom / frame.pixel[0];
        let mut m = vec![0u8; frame.len()];
        for l in labels {
            for (i, d2) in pixels_near(frame, l.pixel, r) {
                if d2 <= r * r {
                    m[i] = l.category as u8;
                }
            }
        }
        png(&m, frame, image::ExtendedColorType::L8)
    }
}

fn png(raw: &[u8], frame: &ImageFrame, color: image::ExtendedColorType) -> Vec<u8> {
    let mut out = Vec::new();
    image::ImageEncoder::write_image(
        image::codecs::png::PngEncoder::new(&mut out),
        raw,
        frame.nx() as u32,
        frame.ny() as u32,
        color,
    )
    .expect("in-memory PNG");
    out
}
