//! The incoherent model against multislice on the same structure and
//! settings (`sacsim compare-models`): Pearson r over the image, the mean
//! level, and each metal's signal (peak over background − 1) in both, so
//! a user can see whether the fast model is enough for their sample.

use serde::Serialize;

use super::incoherent::{Image, Imaging, Scan};
use super::multislice::Multislice;
use super::noise::Acquisition;
use super::{Incoherent, acquire_with};
use crate::error::Result;
use crate::structure::Structure;

/// Radius (Å) within which a metal's peak is taken.
pub const PEAK_RADIUS: f64 = 0.5;
/// Pixels farther than this (Å) from every metal are the background.
pub const BACKGROUND_DISTANCE: f64 = 4.0;

/// One metal atom in both images.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetalSignal {
    /// Element symbol.
    pub element: String,
    /// Position (Å).
    pub position_angstrom: [f64; 3],
    /// Depth below the highest atom (Å): 0 on the entrance surface.
    pub depth_angstrom: f64,
    /// Incoherent peak over background − 1.
    pub incoherent: f64,
    /// Multislice peak over background − 1.
    pub multislice: f64,
    /// incoherent / multislice.
    pub ratio: f64,
}

/// The comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Pearson r of the two clean images.
    pub pearson_r: f64,
    /// Mean of the incoherent image over the multislice one's.
    pub mean_level_ratio: f64,
    /// Every metal inside the field.
    pub metals: Vec<MetalSignal>,
    /// The incoherent image.
    #[serde(skip)]
    pub incoherent: Image,
    /// The multislice image.
    #[serde(skip)]
    pub multislice: Image,
}

/// Simulate `structure` with both models (clean images) and compare.
pub fn compare_models(
    structure: &Structure,
    imaging: &Imaging,
    scan: &Scan,
    multislice: &Multislice,
) -> Result<Comparison> {
    let quiet = Acquisition::default();
    let inc = acquire_with(&Incoherent, structure, imaging, scan, &quiet)?.clean;
    let ms = acquire_with(multislice, structure, imaging, scan, &quiet)?.clean;
    let a: Vec<f64> = inc.data.iter().map(|&v| v as f64).collect();
    let b: Vec<f64> = ms.data.iter().map(|&v| v as f64).collect();
    let top = structure
        .atoms
        .iter()
        .map(|a| a.position.z)
        .fold(f64::MIN, f64::max);
    let metals: Vec<_> = structure
        .atoms
        .iter()
        .filter(|a| a.element.is_metal())
        .map(|a| [a.position.x, a.position.y, a.position.z])
        .collect();
    let signals = |img: &Image| -> Vec<Option<f64>> {
        let f = &img.frame;
        let [nx, ny] = f.shape;
        let xy = |ix: usize, iy: usize| f.to_angstrom([ix as f64, iy as f64]);
        let d2 = |p: [f64; 2], m: &[f64; 3]| (p[0] - m[0]).powi(2) + (p[1] - m[1]).powi(2);
        let mut far: Vec<f32> = (0..ny)
            .flat_map(|iy| (0..nx).map(move |ix| (ix, iy)))
            .filter(|&(ix, iy)| {
                metals
                    .iter()
                    .all(|m| d2(xy(ix, iy), m) > BACKGROUND_DISTANCE.powi(2))
            })
            .map(|(ix, iy)| img.at(ix, iy))
            .collect();
        let bg = if far.is_empty() {
            0.0
        } else {
            let mid = far.len() / 2;
            *far.select_nth_unstable_by(mid, f32::total_cmp).1 as f64
        };
        metals
            .iter()
            .map(|m| {
                let peak = (0..ny)
                    .flat_map(|iy| (0..nx).map(move |ix| (ix, iy)))
                    .filter(|&(ix, iy)| d2(xy(ix, iy), m) <= PEAK_RADIUS.powi(2))
                    .map(|(ix, iy)| img.at(ix, iy) as f64)
                    .fold(None, |acc: Option<f64>, v| {
                        Some(acc.map_or(v, |a| a.max(v)))
                    });
                peak.filter(|_| bg > 0.0).map(|p| p / bg - 1.0)
            })
            .collect()
    };
    let (si, sm) = (signals(&inc), signals(&ms));
    let metal_signals = structure
        .atoms
        .iter()
        .filter(|a| a.element.is_metal())
        .zip(si.iter().zip(&sm))
        .filter_map(|(atom, (i, m))| {
            let (i, m) = ((*i)?, (*m)?);
            Some(MetalSignal {
                element: atom.element.symbol().to_string(),
                position_angstrom: [atom.position.x, atom.position.y, atom.position.z],
                depth_angstrom: top - atom.position.z,
                incoherent: i,
                multislice: m,
                ratio: i / m,
            })
        })
        .collect();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    Ok(Comparison {
        pearson_r: pearson(&a, &b),
        mean_level_ratio: mean(&a) / mean(&b),
        metals: metal_signals,
        incoherent: inc,
        multislice: ms,
    })
}

/// Pearson correlation coefficient.
pub fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}
