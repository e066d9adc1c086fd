//! `sacsim analyze` output: `stats.json` (everything, with intervals),
//! `nn_distances.csv` (per point, in input order: index, element, NN
//! distance in nm, NN index and element, focal flag), `histogram.csv` (NN histogram with the
//! CSR expectation and Monte-Carlo envelope), `gr.csv`, the plots
//! `nn_histogram.png` (the paper's Fig. 1g with the random baseline) and
//! `gr.png`, and `params.json`.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use plotters::prelude::*;
use rayon::prelude::*;
use serde::Serialize;

use crate::analysis::pairstats::{AnalyzeConfig, NearestNeighbours, PairStats};
use crate::error::Result;
use crate::structure::Positions;
use crate::values::angstrom_to_nm;

use super::figure::chart_png;
use super::{listed, write_with_params};

/// The NN histogram with the CSR expectation (line), the Monte-Carlo
/// envelope (dashed) and the pair window (shaded).
pub fn histogram_png(stats: &PairStats) -> Vec<u8> {
    let x_max = (stats.csr.mean_nn_nm * 3.0)
        .max(stats.window_nm[1] * 2.0)
        .min(stats.histogram.last().map_or(1.0, |b| b.hi_nm));
    let bins: Vec<_> = stats.histogram.iter().filter(|b| b.lo_nm < x_max).collect();
    let y_max = bins
        .iter()
        .map(|b| {
            (b.count as f64)
                .max(b.csr_expected)
                .max(b.mc_envelope.map_or(0.0, |e| e[1]))
        })
        .fold(1.0, f64::max)
        * 1.1;
    chart_png(900, 560, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(format!("Nearest-neighbour distances ({} points, {:.1} % in {:.2}-{:.2} nm; CSR {:.1} %)", stats.focal_points, 100.0 * stats.pair_fraction.value, stats.window_nm[0], stats.window_nm[1], 100.0 * stats.csr.pair_fraction), ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..x_max, 0.0..y_max)
            .expect("chart");
        chart
            .configure_mesh()
            .x_desc("NN distance (nm)")
            .y_desc("points per bin")
            .label_style(("sans-serif", 15))
            .draw()
            .expect("mesh");
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(stats.window_nm[0], 0.0), (stats.window_nm[1], y_max)],
                RGBColor(255, 235, 200).filled(),
            )))
            .expect("window");
        chart
            .draw_series(bins.iter().map(|b| {
                Rectangle::new(
                    [(b.lo_nm, 0.0), (b.hi_nm, b.count as f64)],
                    RGBColor(60, 110, 180).filled(),
                )
            }))
            .expect("bars")
            .label("observed")
            .legend(|(x, y)| {
                Rectangle::new(
                    [(x, y - 5), (x + 15, y + 5)],
                    RGBColor(60, 110, 180).filled(),
                )
            });
        chart
            .draw_series(LineSeries::new(
                bins.iter()
                    .map(|b| ((b.lo_nm + b.hi_nm) / 2.0, b.csr_expected)),
                RGBColor(200, 30, 30).stroke_width(3),
            ))
            .expect("csr")
            .label("random (CSR) at the same density")
            .legend(|(x, y)| {
                PathElement::new(
                    vec![(x, y), (x + 15, y)],
                    RGBColor(200, 30, 30).stroke_width(3),
                )
            });
        if bins.iter().any(|b| b.mc_envelope.is_some()) {
            for k in 0..2 {
                chart
                    .draw_series(LineSeries::new(
                        bins.iter().filter_map(|b| {
                            b.mc_envelope.map(|e| ((b.lo_nm + b.hi_nm) / 2.0, e[k]))
                        }),
                        RGBColor(200, 30, 30).stroke_width(1),
                    ))
                    .expect("envelope");
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

/// g(r) with the random level 1.
pub fn gr_png(stats: &PairStats) -> Vec<u8> {
    let r_max = stats.pair_correlation.last().map_or(1.0, |p| p[0] + 0.01);
    let g_max = stats
        .pair_correlation
        .iter()
        .map(|p| p[1])
        .fold(2.0, f64::max)
        * 1.1;
    chart_png(900, 560, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption("Pair correlation g(r)", ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..r_max, 0.0..g_max)
            .expect("chart");
        chart
            .configure_mesh()
            .x_desc("r (nm)")
            .y_desc("g(r)")
            .label_style(("sans-serif", 15))
            .draw()
            .expect("mesh");
        chart
            .draw_series(LineSeries::new(
                [(0.0, 1.0), (r_max, 1.0)],
                RGBColor(200, 30, 30).stroke_width(2),
            ))
            .expect("one");
        chart
            .draw_series(LineSeries::new(
                stats.pair_correlation.iter().map(|p| (p[0], p[1])),
                RGBColor(60, 110, 180).stroke_width(2),
            ))
            .expect("g");
    })
}

/// The NN histograms of several samples on one chart (the source paper's
/// Fig. 1g): each as the share of its points per bin, so samples of
/// different sizes compare, with the pair window shaded and, dashed, the
/// random baseline of the first sample.
pub fn nn_overlay_png(samples: &[(&str, &PairStats)]) -> Vec<u8> {
    const COLOURS: [RGBColor; 6] = [
        RGBColor(200, 30, 30),
        RGBColor(60, 110, 180),
        RGBColor(40, 150, 60),
        RGBColor(150, 60, 170),
        RGBColor(230, 140, 20),
        RGBColor(90, 90, 90),
    ];
    let share = |s: &PairStats, count: f64| count / s.focal_points.max(1) as f64;
    let x_max = samples
        .iter()
        .map(|(_, s)| (s.csr.mean_nn_nm * 3.0).max(s.window_nm[1] * 2.0))
        .fold(0.0, f64::max)
        .max(0.1);
    let y_max = samples
        .iter()
        .flat_map(|(_, s)| {
            s.histogram
                .iter()
                .map(|b| share(s, (b.count as f64).max(b.csr_expected)))
        })
        .fold(0.01, f64::max)
        * 1.1;
    chart_png(900, 560, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(
                "Nearest-neighbour distances by catalyst",
                ("sans-serif", 20),
            )
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..x_max, 0.0..y_max)
            .expect("chart");
        chart
            .configure_mesh()
            .x_desc("NN distance (nm)")
            .y_desc("share of atoms per bin")
            .label_style(("sans-serif", 15))
            .draw()
            .expect("mesh");
        if let Some((_, s)) = samples.first() {
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(s.window_nm[0], 0.0), (s.window_nm[1], y_max)],
                    RGBColor(255, 235, 200).filled(),
                )))
                .expect("window");
            chart
                .draw_series(DashedLineSeries::new(
                    s.histogram
                        .iter()
                        .filter(|b| b.lo_nm < x_max)
                        .map(|b| ((b.lo_nm + b.hi_nm) / 2.0, share(s, b.csr_expected))),
                    6,
                    4,
                    BLACK.stroke_width(2),
                ))
                .expect("csr")
                .label("random (CSR), first catalyst's density")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 15, y)], BLACK));
        }
        for (k, (name, s)) in samples.iter().enumerate() {
            let colour = COLOURS[k % COLOURS.len()];
            // A step outline: each bin's top edge, joined by verticals.
            let steps = s
                .histogram
                .iter()
                .filter(|b| b.lo_nm < x_max)
                .flat_map(|b| {
                    let y = share(s, b.count as f64);
                    [(b.lo_nm, y), (b.hi_nm, y)]
                });
            chart
                .draw_series(LineSeries::new(steps, colour.stroke_width(2)))
                .expect("steps")
                .label(name.to_string())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 15, y)], colour.stroke_width(3))
                });
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
struct Params<'a> {
    sacsim_version: &'static str,
    command: &'static str,
    input: String,
    source: &'a str,
    settings: &'a AnalyzeConfig,
    files: Vec<String>,
}

/// Write the analysis into `dir`.
pub fn write_analysis(
    dir: &Path,
    input: &Path,
    positions: &Positions,
    nn: &NearestNeighbours,
    stats: &PairStats,
) -> Result<Vec<PathBuf>> {
    // Formatting 10⁷ rows dominates: parallel chunks, joined in order.
    let el = |k: usize| {
        positions
            .elements
            .get(k)
            .copied()
            .flatten()
            .map_or("", |e| e.symbol())
    };
    let chunks: Vec<String> = (0..positions.len())
        .collect::<Vec<_>>()
        .par_chunks(65_536)
        .map(|rows| {
            let mut s = String::with_capacity(rows.len() * 36);
            let mut ints = itoa::Buffer::new();
            for &i in rows {
                let j = nn.index[i];
                s.push_str(ints.format(i));
                s.push(',');
                s.push_str(el(i));
                s.push(',');
                // nm with 6 decimals, as fixed point: integer part, then the
                // 6-digit fraction (1_000_000 + frac printed without its 1).
                let micro = (angstrom_to_nm(nn.distance[i]) * 1e6).round();
                if micro.is_finite() {
                    let micro = micro as u64;
                    s.push_str(ints.format(micro / 1_000_000));
                    s.push('.');
                    s.push_str(&ints.format(1_000_000 + micro % 1_000_000)[1..]);
                } else {
                    s.push_str("inf");
                }
                s.push(',');
                if j != usize::MAX {
                    s.push_str(ints.format(j));
                    s.push(',');
                    s.push_str(el(j));
                } else {
                    s.push(',');
                }
                s.push_str(if nn.focal[i] { ",1\n" } else { ",0\n" });
            }
            s
        })
        .collect();
    let mut per_point = String::from("index,element,nn_distance_nm,nn_index,nn_element,focal\n");
    per_point.reserve(chunks.iter().map(String::len).sum());
    chunks.iter().for_each(|c| per_point.push_str(c));
    let mut hist = String::from("lo_nm,hi_nm,count,csr_expected,mc_low,mc_high\n");
    for b in &stats.histogram {
        let (lo, hi) = b.mc_envelope.map_or((String::new(), String::new()), |e| {
            (format!("{:.3}", e[0]), format!("{:.3}", e[1]))
        });
        let _ = writeln!(
            hist,
            "{:.4},{:.4},{},{:.6},{lo},{hi}",
            b.lo_nm, b.hi_nm, b.count, b.csr_expected
        );
    }
    let mut gr = String::from("r_nm,g\n");
    for p in &stats.pair_correlation {
        let _ = writeln!(gr, "{:.4},{:.6}", p[0], p[1]);
    }
    let files: Vec<(String, Vec<u8>)> = vec![
        (
            "stats.json".into(),
            (serde_json::to_string_pretty(stats).expect("serialise") + "\n").into_bytes(),
        ),
        ("nn_distances.csv".into(), per_point.into_bytes()),
        ("histogram.csv".into(), hist.into_bytes()),
        ("gr.csv".into(), gr.into_bytes()),
        ("nn_histogram.png".into(), histogram_png(stats)),
        ("gr.png".into(), gr_png(stats)),
    ];
    let params = Params {
        sacsim_version: env!("CARGO_PKG_VERSION"),
        command: "analyze",
        input: input.display().to_string(),
        source: &positions.source,
        settings: &stats.settings,
        files: listed(&files),
    };
    write_with_params(dir, files, &params)
}
