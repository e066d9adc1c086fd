//! The study report, rendered from the result structs: one [`Table`] of
//! cells written as Markdown (`report.md`) and as HTML (`report.html`, the
//! figures embedded as base64 PNG), and the DFT series as [`SeriesLine`]s.

use std::fmt::Write as _;

use base64::Engine;

use super::{CatalystResult, Study};
use crate::analysis::detect::DetectionResult;
use crate::analysis::identity::MIN_RESOLVING_POWER;
use crate::output::detect::overlay_png;

/// The figures of one catalyst.
#[derive(Debug, Clone)]
pub struct Figures {
    /// The centre of the image with its detections (PNG).
    pub overlay_png: Vec<u8>,
    /// The NN histogram against the random baseline (PNG).
    pub histogram_png: Vec<u8>,
    /// g(r) against the random level 1 (PNG).
    pub gr_png: Vec<u8>,
}

/// One DFT free-energy series the study wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesLine {
    /// Its directory, relative to the study output.
    pub dir: String,
    /// The reaction.
    pub reaction: String,
    /// Its intermediates (without the `*`).
    pub intermediates: Vec<String>,
    /// Slab models written.
    pub models: usize,
    /// Gas references written.
    pub gas: usize,
}

impl SeriesLine {
    /// One sentence on the series, file names marked up by `code`.
    pub fn sentence(&self, code: impl Fn(&str) -> String) -> String {
        format!(
            "DFT series {} ({}: {}): {} slab models and {} gas reference(s), indexed in {}.",
            code(&format!("{}/", self.dir)),
            self.reaction,
            stars(&self.intermediates),
            self.models,
            self.gas,
            code(&format!("{}/series.json", self.dir))
        )
    }
}

/// A table: header cells and rows of cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Column headings.
    pub header: Vec<String>,
    /// Rows, one cell per column.
    pub rows: Vec<Vec<String>>,
}

/// Everything the report shows.
#[derive(Debug, Clone, Copy)]
pub struct Report<'a> {
    /// The study as run.
    pub study: &'a Study,
    /// One row per catalyst.
    pub results: &'a [CatalystResult],
    /// The DFT series written.
    pub series: &'a [SeriesLine],
    /// Who made the report: version, date, command, seed.
    pub provenance: &'a str,
}

/// The report's provenance line: sacsim version, date (UTC; from
/// `SOURCE_DATE_EPOCH` when set, for byte-identical reruns), the command
/// line and the seed.
pub fn provenance_line(seed: u64) -> String {
    let now = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map_or_else(std::time::SystemTime::now, |t| {
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(t)
        });
    let command: Vec<String> = std::env::args().collect();
    format!(
        "sacsim {}, {}, command `{}`, seed {seed}.",
        env!("CARGO_PKG_VERSION"),
        humantime::format_rfc3339_seconds(now),
        command.join(" ")
    )
}

fn pct(x: f64) -> String {
    format!("{:.1}", 100.0 * x)
}

fn with_ci(v: [f64; 3]) -> String {
    format!("{} [{}, {}]", pct(v[0]), pct(v[1]), pct(v[2]))
}

const EXPLAIN: &str = "Pair fraction: share of detected metal atoms whose nearest neighbour lies in the pair window (edge-corrected). Random: the share complete spatial randomness gives at the same density. Excess: (observed − random)/(1 − random). Truth: the same statistic from the exact positions in the same field. Pair-distance peak: the NN histogram's mode, shown only where pairs exceed chance. Elements right: share of matched atoms given the right one of the study's two metals (per-atom photometry, ratio fixed by the cross sections); n/a for one-metal catalysts, whose field has no second population to contrast (relative intensities cannot tell an all-Co field from an all-Mn one; their pairs' heteronuclear fraction still can be estimated). Heteronuclear pairs: share of mutual-nearest-neighbour pairs made of two different metals, estimated from the within-pair intensity ratios by maximum likelihood (a mixture of homo- and heteronuclear pairs, each pair's noise measured from the image); the interval is the 95 % profile-likelihood interval, i.e. the population fractions the image does not reject, not a per-pair label count. Pairs % of sites: share of groups (atoms connected within the window's upper end) that are pairs, as the source paper counts sites. Pair types: expected shares of the mutual pairs by type, each pair's P(heteronuclear) from its intensity ratio at the fitted fraction, the homonuclear rest split by both atoms' P(heavier); one-metal catalysts show heteronuclear and homonuclear only. Every image crop carries a scale bar.";

impl Report<'_> {
    /// The results table.
    pub fn table(&self) -> Table {
        let header = [
            "catalyst",
            "sites",
            "metals (truth / detected)",
            "density (nm⁻²)",
            "pair fraction % [95 % CI]",
            "truth %",
            "random %",
            "excess % [95 % CI]",
            "pair-distance peak (nm)",
            "F1",
            "RMSE (pm)",
            "elements right %",
            "heteronuclear pairs % [95 % CI] (truth)",
            "pairs % of sites (truth)",
            "pair types % (truth)",
        ];
        let rows = self
            .results
            .iter()
            .map(|r| {
                vec![
                    r.name.clone(),
                    r.sites.to_string(),
                    format!("{} / {}", r.metals, r.detected),
                    format!("{:.3}", r.density_per_nm2),
                    with_ci(r.pair_fraction),
                    pct(r.pair_fraction_truth),
                    pct(r.pair_fraction_random),
                    with_ci(r.excess_pairs),
                    // A peak only where pairs exceed chance.
                    if r.excess_pairs[1] > 0.0 {
                        format!("{:.3}", r.peak_nm)
                    } else {
                        "–".to_string()
                    },
                    format!("{:.3}", r.f1),
                    format!("{:.1}", r.rmse_pm),
                    r.element_accuracy.map_or("n/a (one metal)".into(), pct),
                    r.hetero_pair_fraction.as_ref().map_or("–".into(), |h| {
                        let flag = if h.resolving_power < MIN_RESOLVING_POWER {
                            format!(
                                " (not calibrated: resolving power {:.2} < {MIN_RESOLVING_POWER})",
                                h.resolving_power
                            )
                        } else {
                            String::new()
                        };
                        format!(
                            "{} [{}, {}] ({}){flag}",
                            pct(h.estimate),
                            pct(h.ci95[0]),
                            pct(h.ci95[1]),
                            pct(h.truth)
                        )
                    }),
                    format!(
                        "{} ({})",
                        pct(r.site_pair_share.detected),
                        pct(r.site_pair_share.truth)
                    ),
                    type_shares(&r.pair_type_shares),
                ]
            })
            .collect();
        Table {
            header: header.map(String::from).to_vec(),
            rows,
        }
    }

    /// The conditions sentence.
    pub fn conditions(&self) -> String {
        let st = self.study;
        let (sa, im, acq, an) = (&st.sample, &st.imaging, &st.acquisition, &st.analyze);
        let dose = acq
            .dose
            .map_or("no noise".to_string(), |d| format!("{d:.0e} e/Å²"));
        format!(
            "{} x {} nm samples, {} sites/nm², support {} ({} nm); {} kV, {} mrad, detector {}-{} mrad, {} Å pixels, {dose}; pair window {}-{} nm; seed {}.",
            sa.size_nm.0[0],
            sa.size_nm.0[1],
            sa.density_per_nm2,
            sa.support,
            sa.support_thickness_nm,
            im.kv,
            im.alpha_mrad,
            im.detector_mrad.0[0],
            im.detector_mrad.0[1],
            im.pixel_angstrom,
            an.window_nm.0[0],
            an.window_nm.0[1],
            st.study.seed
        )
    }

    /// `report.md`.
    pub fn markdown(&self) -> String {
        let t = self.table();
        let line = |cells: &[String]| format!("| {} |\n", cells.join(" | "));
        let mut md = format!(
            "# sacsim study report\n\n{}\n\n{}\n\n",
            self.conditions(),
            self.provenance
        );
        md += &line(&t.header);
        md += &line(&vec!["---".to_string(); t.header.len()]).replace(' ', "");
        for row in &t.rows {
            md += &line(row);
        }
        let _ = write!(
            md,
            "\n{EXPLAIN}\n\n![nearest-neighbour histograms of all catalysts](nn_overlay.png)\n\n"
        );
        for s in self.series {
            let _ = write!(md, "{}\n\n", s.sentence(|t| format!("`{t}`")));
        }
        for r in self.results {
            let _ = write!(
                md,
                "## {}\n\n![detections]({d}/detections/overlay.png)\n![nearest-neighbour histogram]({d}/analysis/nn_histogram.png)\n![pair correlation]({d}/analysis/gr.png)\n\nModel: `{d}/model/` (POSCAR, XYZ, CIF, INCAR.magmom). Sample: `{d}/sample/`. Image: `{d}/image/`. Statistics: `{d}/analysis/stats.json`.\n\n",
                r.name,
                d = r.dir
            );
        }
        md
    }

    /// `report.html`, self-contained: one figure pair per catalyst.
    /// `overlay_png` is the NN-histogram overlay of all catalysts.
    pub fn html(&self, figures: &[Figures], overlay_png: &[u8]) -> String {
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        let t = self.table();
        let cells = |tag: &str, row: &[String]| -> String {
            row.iter().map(|c| format!("<{tag}>{c}</{tag}>")).collect()
        };
        let head = cells("th", &t.header);
        let rows: String = t
            .rows
            .iter()
            .map(|r| format!("<tr>{}</tr>\n", cells("td", r)))
            .collect();
        let series: String = self
            .series
            .iter()
            .map(|s| format!("<p>{}</p>", s.sentence(|t| format!("<code>{t}</code>"))))
            .collect();
        let mut body = String::new();
        for (r, f) in self.results.iter().zip(figures) {
            let _ = write!(
                body,
                "<h2>{}</h2><div class=\"pair\"><figure><img src=\"data:image/png;base64,{}\" alt=\"detections\"><figcaption>Centre of the image at the dose, detections marked (red: heavier metal or only metal, cyan: lighter)</figcaption></figure><figure><img src=\"data:image/png;base64,{}\" alt=\"histogram\"><figcaption>Nearest-neighbour distances against the random baseline</figcaption></figure><figure><img src=\"data:image/png;base64,{}\" alt=\"g(r)\"><figcaption>Pair correlation g(r); 1 is random</figcaption></figure></div>",
                r.name,
                b64(&f.overlay_png),
                b64(&f.histogram_png),
                b64(&f.gr_png)
            );
        }
        format!(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>sacsim study report</title><style>body{{font-family:sans-serif;max-width:1400px;margin:2em auto}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}img{{max-width:100%}}.pair{{display:flex;gap:1em;align-items:flex-start}}figure{{margin:0;flex:1}}</style></head><body><h1>sacsim study report</h1><p>{}</p><p>{}</p><table><tr>{head}</tr>{rows}</table><p>{EXPLAIN}</p><figure><img src=\"data:image/png;base64,{}\" alt=\"NN histograms\" style=\"max-width:900px\"><figcaption>Nearest-neighbour distances of all catalysts (share of atoms per bin) against the random baseline</figcaption></figure>{series}{body}</body></html>\n",
            self.conditions(),
            self.provenance,
            b64(overlay_png)
        )
    }
}

/// "Co-Mn 55.0 (100.0), Co-Co ..." over the union of detected and true
/// pair types; "–" without element photometry.
fn type_shares(s: &super::DetectedShares) -> String {
    let mut keys: Vec<&String> = s.detected.keys().chain(s.truth.keys()).collect();
    keys.sort();
    keys.dedup();
    if s.detected.is_empty() {
        return "–".into();
    }
    keys.iter()
        .map(|k| {
            let get =
                |m: &std::collections::BTreeMap<String, f64>| m.get(*k).copied().unwrap_or(0.0);
            format!("{k} {} ({})", pct(get(&s.detected)), pct(get(&s.truth)))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn stars(intermediates: &[String]) -> String {
    intermediates
        .iter()
        .map(|i| format!("*{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A 480 x 480 px centre crop of the image with its detections.
pub fn crop_overlay(image: &[f32], found: &DetectionResult) -> Vec<u8> {
    let [nx, ny] = found.frame.shape;
    let (w, h) = (nx.min(480), ny.min(480));
    let (x0, y0) = ((nx - w) / 2, (ny - h) / 2);
    let crop: Vec<f32> = (y0..y0 + h)
        .flat_map(|y| image[y * nx + x0..y * nx + x0 + w].iter().copied())
        .collect();
    let mut sub = found.clone();
    sub.frame = found.frame.crop([x0, y0], [w, h]);
    sub.detections = found
        .detections
        .iter()
        .filter(|d| {
            d.pixel[0] >= x0 as f64
                && d.pixel[1] >= y0 as f64
                && d.pixel[0] < (x0 + w) as f64
                && d.pixel[1] < (y0 + h) as f64
        })
        .map(|d| {
            let mut d = d.clone();
            d.pixel = [d.pixel[0] - x0 as f64, d.pixel[1] - y0 as f64];
            d
        })
        .collect();
    overlay_png(&crop, &sub)
}
