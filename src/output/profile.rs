//! `sacsim profile` output: `profile.csv` (s_A, x_A, y_A, intensity, fit)
//! and `profile.png` (the profile, the two-peak fit and both fitted peaks
//! marked) for one line; `pairs.csv` (one row per detected pair: the two
//! detections, their distance, the fitted peak heights and their ratio)
//! and `profiles.csv` (every pair's profile, long form) for all pairs; and
//! `params.json`.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use plotters::prelude::*;
use serde::Serialize;

use crate::analysis::profile::{LineProfile, TwoPeaks};
use crate::error::Result;

use super::figure::chart_png;
use super::{Provenance, listed, write_with_params};

/// One profiled pair of detections.
#[derive(Debug, Clone, Serialize)]
pub struct PairProfile {
    /// Detection indices (rows of detections.csv, from 0).
    pub atoms: [usize; 2],
    /// Their elements, where the detections carry labels.
    pub elements: [Option<String>; 2],
    /// Their distance (Å).
    pub distance_angstrom: f64,
    /// The profile.
    pub profile: LineProfile,
    /// The two-peak fit (None where it failed).
    pub fit: Option<TwoPeaks>,
}

fn rows(out: &mut String, prefix: &str, p: &LineProfile, fit: Option<&TwoPeaks>) {
    for (&s, &v) in p.s_angstrom.iter().zip(&p.value) {
        let [x, y] = p.point(s);
        let f = fit.map_or(String::new(), |f| format!("{:.6e}", f.at(s)));
        let _ = writeln!(out, "{prefix}{s:.4},{x:.4},{y:.4},{v:.6e},{f}");
    }
}

/// The profile with its fit and the fitted peaks (PNG).
pub fn profile_png(p: &LineProfile, fit: Option<&TwoPeaks>) -> Vec<u8> {
    let s_max = p.s_angstrom.last().copied().unwrap_or(1.0).max(1e-6);
    let (lo, hi) = p
        .value
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let pad = 0.08 * (hi - lo).max(1e-12);
    chart_png(900, 520, |root| {
        let caption = fit.map_or("Intensity profile".to_string(), |f| {
            format!(
                "Intensity profile: peaks {:.2} Å apart, height ratio {:.3}",
                f.separation_angstrom, f.height_ratio
            )
        });
        let mut chart = ChartBuilder::on(root)
            .caption(caption, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(80)
            .build_cartesian_2d(0.0..s_max, (lo - pad)..(hi + pad))
            .expect("chart");
        chart
            .configure_mesh()
            .x_desc("distance along the line (Å)")
            .y_desc("intensity")
            .label_style(("sans-serif", 15))
            .draw()
            .expect("mesh");
        chart
            .draw_series(LineSeries::new(
                p.s_angstrom.iter().copied().zip(p.value.iter().copied()),
                RGBColor(60, 110, 180).stroke_width(2),
            ))
            .expect("profile")
            .label("image")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 15, y)], RGBColor(60, 110, 180)));
        if let Some(f) = fit {
            chart
                .draw_series(LineSeries::new(
                    p.s_angstrom.iter().map(|&s| (s, f.at(s))),
                    RGBColor(200, 30, 30).stroke_width(2),
                ))
                .expect("fit")
                .label("two-Gaussian fit")
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 15, y)], RGBColor(200, 30, 30))
                });
            for k in 0..2 {
                let c = f.position_angstrom[k];
                chart
                    .draw_series(DashedLineSeries::new(
                        [(c, lo - pad), (c, f.background + f.height[k])],
                        5,
                        4,
                        BLACK.stroke_width(1),
                    ))
                    .expect("peak");
            }
        }
        chart
            .configure_series_labels()
            .label_font(("sans-serif", 15))
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .expect("legend");
    })
}

#[derive(Serialize)]
struct Params<'a, S: Serialize> {
    #[serde(flatten)]
    provenance: Provenance,
    input: String,
    settings: &'a S,
    fit: Option<&'a TwoPeaks>,
    files: Vec<String>,
}

/// Write one profile and its fit into `dir`.
pub fn write_profile(
    dir: &Path,
    input: &Path,
    settings: &impl Serialize,
    p: &LineProfile,
    fit: Option<&TwoPeaks>,
) -> Result<Vec<PathBuf>> {
    let mut csv = String::from("s_A,x_A,y_A,intensity,fit\n");
    rows(&mut csv, "", p, fit);
    let files: Vec<(String, Vec<u8>)> = vec![
        ("profile.csv".into(), csv.into_bytes()),
        ("profile.png".into(), profile_png(p, fit)),
    ];
    let params = Params {
        provenance: Provenance::of("profile"),
        input: input.display().to_string(),
        settings,
        fit,
        files: listed(&files),
    };
    write_with_params(dir, files, &params)
}

/// Write the profiles of detected pairs into `dir`.
pub fn write_pair_profiles(
    dir: &Path,
    input: &Path,
    settings: &impl Serialize,
    pairs: &[PairProfile],
) -> Result<Vec<PathBuf>> {
    let mut table = String::from(
        "pair,atom_a,atom_b,element_a,element_b,distance_A,peak_a,peak_b,height_a,height_b,height_ratio_a_b,sigma_A,background\n",
    );
    let mut long = String::from("pair,s_A,x_A,y_A,intensity,fit\n");
    for (k, p) in pairs.iter().enumerate() {
        let el = |i: usize| p.elements[i].clone().unwrap_or_default();
        let fit = p.fit.as_ref().map_or(",,,,,,".to_string(), |f| {
            format!(
                "{:.4},{:.4},{:.6e},{:.6e},{:.5},{:.4},{:.6e}",
                f.position_angstrom[0],
                f.position_angstrom[1],
                f.height[0],
                f.height[1],
                f.height_ratio,
                f.sigma_angstrom,
                f.background
            )
        });
        let _ = writeln!(
            table,
            "{k},{},{},{},{},{:.4},{fit}",
            p.atoms[0],
            p.atoms[1],
            el(0),
            el(1),
            p.distance_angstrom
        );
        rows(&mut long, &format!("{k},"), &p.profile, p.fit.as_ref());
    }
    let files: Vec<(String, Vec<u8>)> = vec![
        ("pairs.csv".into(), table.into_bytes()),
        ("profiles.csv".into(), long.into_bytes()),
    ];
    let params = Params {
        provenance: Provenance::of("profile"),
        input: input.display().to_string(),
        settings,
        fit: None,
        files: listed(&files),
    };
    write_with_params(dir, files, &params)
}
