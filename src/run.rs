//! The main job, `sacsim run`: the source paper's study end to end. For
//! every catalyst: its DFT model, a large sample with its site mix on an
//! amorphous support, HAADF images (clean and at a realistic dose), atom
//! detection scored against the ground truth, and pair statistics against
//! the random baseline; then one report (`report.md`, and `report.html`
//! with the images embedded).
//!
//! The default study (`examples/pei2024.toml`) is compiled in.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::analysis::detect::{DetectSettings, DetectionResult, detect};
use crate::analysis::evaluate::evaluate;
use crate::analysis::pairstats::{PairSettings, PairStats, analyze, analyze_with_neighbours};
use crate::analysis::positions::{Positions, Region};
use crate::error::{Error, Result};
use crate::export::{
    analyze as export_analyze, detect as export_detect, sample as export_sample,
    series::{SeriesSpec, write_series},
    simulate as export_simulate, write_model,
};
use crate::io::incar::Magmoms;
use crate::io::{Format, write_atomic};
use crate::model::sample::{SampleSpec, Support, build_sample, parse_mix};
use crate::model::{DEFAULT_FREE_SHELLS, ModelSpec, Preset, Reaction, build_model};
use crate::stem::acquire_image;
use crate::stem::incoherent::{DEFAULT_THERMAL_RMS, Imaging, Scan};
use crate::stem::noise::Acquisition;
use crate::stem::optics::Aberrations;
use crate::stem::probe::Probe;
use crate::stem::scattering::{CrossSectionModel, Detector};
use crate::stem::truth::truth_atoms;
use crate::structure::Element;

/// The embedded default study.
pub const DEFAULT_STUDY: &str = include_str!("../examples/pei2024.toml");

/// Study-wide settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudySettings {
    /// Seed of every sample and noise draw.
    pub seed: u64,
    /// Sample size (nm).
    pub size_nm: [f64; 2],
    /// Sites per nm².
    pub density: f64,
    /// Amorphous support thickness (nm); 0 for none.
    pub support_thickness_nm: f64,
    /// Pixel size (Å).
    pub pixel_angstrom: f64,
    /// Voltage (kV).
    pub kv: f64,
    /// Convergence semi-angle (mrad).
    pub alpha_mrad: f64,
    /// Detector inner, outer (mrad).
    pub detector_mrad: [f64; 2],
    /// Dose (e/Å²).
    pub dose: f64,
    /// Pair window (nm).
    pub pair_window_nm: [f64; 2],
    /// DFT free-energy series to write for the catalysts' presets
    /// (`co2rr`, `her`, `orr`); none by default.
    #[serde(default)]
    pub reactions: Vec<String>,
}

/// One catalyst of the study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalyst {
    /// Display name, e.g. `L-Co1Mn1-NC`.
    pub name: String,
    /// The DFT model preset.
    pub preset: String,
    /// Site mix of its sample (the `--mix` grammar).
    pub mix: String,
}

/// A study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Study {
    /// Settings.
    pub study: StudySettings,
    /// The catalysts.
    pub catalyst: Vec<Catalyst>,
}

impl Study {
    /// Parse a study from TOML (`source` names it in errors).
    pub fn from_toml(text: &str, source: &str) -> Result<Study> {
        let s: Study = toml::from_str(text).map_err(|e| {
            Error::invalid(
                "CONFIG",
                format!("{source}: {}", e.to_string().trim().replace('\n', " ")),
            )
        })?;
        if s.catalyst.is_empty() {
            return Err(Error::invalid(
                "CONFIG",
                format!("{source}: no [[catalyst]]"),
            ));
        }
        for c in &s.catalyst {
            Preset::from_name(&c.preset)?;
            parse_mix(&c.mix)?;
        }
        for r in &s.study.reactions {
            Reaction::from_name(r)?;
        }
        Ok(s)
    }
}

/// One catalyst's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CatalystResult {
    /// Name.
    pub name: String,
    /// Sites in the sample (truth).
    pub sites: usize,
    /// Metal atoms in the image (truth).
    pub metals: usize,
    /// Metal atoms detected.
    pub detected: usize,
    /// Detected density per nm².
    pub density_per_nm2: f64,
    /// Pair fraction from the detections, with its 95 % interval.
    pub pair_fraction: [f64; 3],
    /// Pair fraction of the ground truth in the same field.
    pub pair_fraction_truth: f64,
    /// Chance of a pair at this density (CSR).
    pub pair_fraction_random: f64,
    /// Excess over chance, with its interval.
    pub excess_pairs: [f64; 3],
    /// Pair-distance peak (nm): the NN histogram's mode.
    pub peak_nm: f64,
    /// Detection F1 against the truth.
    pub f1: f64,
    /// Localisation RMSE (pm).
    pub rmse_pm: f64,
    /// The catalyst's directory (relative to the study output).
    pub dir: String,
}

fn imaging_of(s: &StudySettings) -> Imaging {
    Imaging {
        probe: Probe {
            kv: s.kv,
            convergence_mrad: s.alpha_mrad,
            aberrations: Aberrations::default(),
            focal_spread: 0.0,
            source_fwhm: 0.0,
        },
        detector: Detector {
            inner_mrad: s.detector_mrad[0],
            outer_mrad: s.detector_mrad[1],
        },
        model: CrossSectionModel::PhaseObject,
        thermal_rms: DEFAULT_THERMAL_RMS,
        allow_bright_field: false,
    }
}

/// Run a study into `out`; returns the per-catalyst results.
pub fn run_study(study: &Study, out: &Path) -> Result<Vec<CatalystResult>> {
    let s = &study.study;
    let imaging = imaging_of(s);
    let pairs = PairSettings {
        window_nm: s.pair_window_nm,
        ..Default::default()
    };
    let mut results = Vec::new();
    let mut sections = Vec::new();
    for (n, cat) in study.catalyst.iter().enumerate() {
        let dir = out.join(slug(&cat.name));
        // 1. The DFT model.
        let model = build_model(&ModelSpec::from_preset(Preset::from_name(&cat.preset)?))?;
        write_model(
            &model,
            &dir.join("model"),
            &Format::ALL,
            &Magmoms::default(),
        )?;
        // 2. The sample.
        let mix = parse_mix(&cat.mix)?;
        let support = if s.support_thickness_nm > 0.0 {
            Support::Amorphous {
                thickness_nm: s.support_thickness_nm,
                density_g_cm3: 2.0,
            }
        } else {
            Support::None
        };
        let spec = SampleSpec {
            size_nm: s.size_nm,
            density: s.density,
            mix: mix.clone(),
            support,
            seed: s.seed + n as u64,
            ..SampleSpec::default()
        };
        let sample = build_sample(&spec)?;
        export_sample::write_sample(&sample, &dir.join("sample"), &[Format::Xyz])?;
        // 3. Images: clean and at the dose.
        let scan = Scan {
            pixel: s.pixel_angstrom,
            shape: None,
            window: None,
        };
        let acq = Acquisition {
            dose: Some(s.dose),
            seed: s.seed + n as u64,
            ..Default::default()
        };
        let sim = acquire_image(&sample.structure, &imaging, &scan, &acq)?;
        export_simulate::write_simulation(
            &dir.join("image"),
            &dir.join("sample"),
            &sample.structure,
            &sim,
            &imaging,
            &scan,
            &acq,
            false,
        )?;
        // 4. Detection, scores and statistics.
        let img = &sim.image;
        let metals: Vec<Element> = {
            let mut m: Vec<Element> = mix.iter().flat_map(|e| e.kind.metals.clone()).collect();
            m.sort();
            m.dedup();
            m
        };
        let mut settings = DetectSettings::new(img.pixel);
        if metals.len() == 2 {
            settings.elements = Some([metals[0].min(metals[1]), metals[0].max(metals[1])]);
        }
        let found = detect(&img.data, img.nx, img.ny, &settings)?;
        export_detect::write_detections(
            &dir.join("detections"),
            &dir.join("image/image.npy"),
            &img.data,
            &found,
        )?;
        let region = Region::Open {
            origin: [
                img.origin[0] - img.pixel[0] / 2.0,
                img.origin[1] - img.pixel[1] / 2.0,
                0.0,
            ],
            size: [
                img.nx as f64 * img.pixel[0],
                img.ny as f64 * img.pixel[1],
                0.0,
            ],
        };
        let det = Positions {
            points: found
                .detections
                .iter()
                .map(|d| {
                    [
                        img.origin[0] + d.position[0],
                        img.origin[1] + d.position[1],
                        0.0,
                    ]
                })
                .collect(),
            elements: found.detections.iter().map(|d| d.element).collect(),
            region,
            dims: 2,
            source: format!("{} detections", cat.name),
        };
        let truth_atoms = truth_atoms(&sample.structure, &sim.clean, false);
        let truth = Positions {
            points: truth_atoms
                .iter()
                .map(|t| [t.position[0], t.position[1], 0.0])
                .collect(),
            elements: truth_atoms
                .iter()
                .map(|t| Element::from_symbol(&t.element).ok())
                .collect(),
            region,
            dims: 2,
            source: format!("{} truth", cat.name),
        };
        let scores = evaluate(&det, &truth, 1.0)?;
        let (stats, nn) = analyze_with_neighbours(&det, &pairs)?;
        export_analyze::write_analysis(
            &dir.join("analysis"),
            &dir.join("detections"),
            &det,
            &nn,
            &stats,
        )?;
        let truth_stats = analyze(&truth, &pairs)?;
        let r = result_of(
            cat,
            &sample,
            &truth,
            &det,
            &stats,
            &truth_stats,
            scores.f1,
            scores.rmse_pm,
            &slug(&cat.name),
        );
        sections.push((
            r.clone(),
            crop_overlay(&img.data, &found),
            export_analyze::histogram_png(&stats),
        ));
        results.push(r);
    }
    // 5. The DFT free-energy series of the catalysts' presets.
    let mut series = Vec::new();
    for name in &s.reactions {
        let reaction = Reaction::from_name(name)?;
        let spec = SeriesSpec {
            presets: study.catalyst.iter().map(|c| c.preset.clone()).collect(),
            reaction,
            bridge: false,
            free_shells: DEFAULT_FREE_SHELLS,
        };
        let dir = format!("series-{reaction}");
        let index = write_series(&spec, &out.join(&dir), &Format::ALL, &Magmoms::default())?;
        series.push(format!(
            "DFT series `{dir}/` ({reaction}: {}): {} slab models and {} gas reference(s), indexed in `{dir}/series.json`.",
            index.intermediates.iter().map(|i| format!("*{i}")).collect::<Vec<_>>().join(", "),
            index.models.len(),
            index.gas.len()
        ));
    }
    write_atomic(
        &out.join("summary.json"),
        (serde_json::to_string_pretty(&results).expect("serialise") + "\n").as_bytes(),
    )?;
    write_atomic(
        &out.join("report.md"),
        report_md(study, &results, &series).as_bytes(),
    )?;
    write_atomic(
        &out.join("report.html"),
        report_html(study, &sections, &series).as_bytes(),
    )?;
    write_atomic(&out.join("params.json"), (serde_json::to_string_pretty(&serde_json::json!({"sacsim_version": env!("CARGO_PKG_VERSION"), "command": "run", "study": study})).expect("serialise") + "\n").as_bytes())?;
    Ok(results)
}

fn slug(name: &str) -> String {
    name.to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn result_of(
    cat: &Catalyst,
    sample: &crate::model::sample::Sample,
    truth: &Positions,
    det: &Positions,
    stats: &PairStats,
    truth_stats: &PairStats,
    f1: f64,
    rmse_pm: f64,
    dir: &str,
) -> CatalystResult {
    let e = |x: &crate::analysis::pairstats::Estimate| [x.value, x.ci_low, x.ci_high];
    CatalystResult {
        name: cat.name.clone(),
        sites: sample.sites.len(),
        metals: truth.len(),
        detected: det.len(),
        density_per_nm2: stats.density.value,
        pair_fraction: e(&stats.pair_fraction),
        pair_fraction_truth: truth_stats.pair_fraction.value,
        pair_fraction_random: stats.csr.pair_fraction,
        excess_pairs: e(&stats.csr.excess_pair_fraction),
        peak_nm: stats.mode_nn_nm,
        f1,
        rmse_pm,
        dir: dir.to_string(),
    }
}

/// A 480 x 480 px centre crop of the image with its detections.
fn crop_overlay(image: &[f32], found: &DetectionResult) -> Vec<u8> {
    let [nx, ny] = found.shape;
    let (w, h) = (nx.min(480), ny.min(480));
    let (x0, y0) = ((nx - w) / 2, (ny - h) / 2);
    let crop: Vec<f32> = (y0..y0 + h)
        .flat_map(|y| image[y * nx + x0..y * nx + x0 + w].iter().copied())
        .collect();
    let mut sub = found.clone();
    sub.shape = [w, h];
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
    export_detect::overlay_png(&crop, &sub)
}

fn pct(x: f64) -> String {
    format!("{:.1}", 100.0 * x)
}

fn table(results: &[CatalystResult]) -> String {
    let mut t = String::from(
        "| catalyst | sites | metals (truth / detected) | density (nm⁻²) | pair fraction % [95 % CI] | truth % | random % | excess % [95 % CI] | pair-distance peak (nm) | F1 | RMSE (pm) |\n|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in results {
        let _ = writeln!(
            t,
            "| {} | {} | {} / {} | {:.3} | {} [{}, {}] | {} | {} | {} [{}, {}] | {:.3} | {:.3} | {:.1} |",
            r.name,
            r.sites,
            r.metals,
            r.detected,
            r.density_per_nm2,
            pct(r.pair_fraction[0]),
            pct(r.pair_fraction[1]),
            pct(r.pair_fraction[2]),
            pct(r.pair_fraction_truth),
            pct(r.pair_fraction_random),
            pct(r.excess_pairs[0]),
            pct(r.excess_pairs[1]),
            pct(r.excess_pairs[2]),
            r.peak_nm,
            r.f1,
            r.rmse_pm
        );
    }
    t
}

fn conditions(s: &StudySettings) -> String {
    format!(
        "{} x {} nm samples, {} sites/nm², {} nm amorphous carbon support; {} kV, {} mrad, detector {}-{} mrad, {} Å pixels, {:.0e} e/Å²; pair window {}-{} nm; seed {}.",
        s.size_nm[0],
        s.size_nm[1],
        s.density,
        s.support_thickness_nm,
        s.kv,
        s.alpha_mrad,
        s.detector_mrad[0],
        s.detector_mrad[1],
        s.pixel_angstrom,
        s.dose,
        s.pair_window_nm[0],
        s.pair_window_nm[1],
        s.seed
    )
}

const EXPLAIN: &str = "Pair fraction: share of detected metal atoms whose nearest neighbour lies in the pair window (edge-corrected). Random: the share complete spatial randomness gives at the same density. Excess: (observed − random)/(1 − random). Truth: the same statistic from the exact positions in the same field.";

fn report_md(study: &Study, results: &[CatalystResult], series: &[String]) -> String {
    let mut md = format!(
        "# sacsim study report\n\n{}\n\n{}\n\n{EXPLAIN}\n\n",
        conditions(&study.study),
        table(results)
    );
    for line in series {
        let _ = write!(md, "{line}\n\n");
    }
    for r in results {
        let _ = write!(
            md,
            "## {}\n\n![detections]({d}/detections/overlay.png)\n![nearest-neighbour histogram]({d}/analysis/nn_histogram.png)\n\nModel: `{d}/model/` (POSCAR, XYZ, CIF, INCAR.magmom). Sample: `{d}/sample/`. Image: `{d}/image/`. Statistics: `{d}/analysis/stats.json`.\n\n",
            r.name,
            d = r.dir
        );
    }
    md
}

fn report_html(
    study: &Study,
    sections: &[(CatalystResult, Vec<u8>, Vec<u8>)],
    series: &[String],
) -> String {
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let results: Vec<CatalystResult> = sections.iter().map(|s| s.0.clone()).collect();
    let mut rows = String::new();
    for line in table(&results).lines().skip(2) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let _ = writeln!(
            rows,
            "<tr>{}</tr>",
            cells
                .iter()
                .map(|c| format!("<td>{c}</td>"))
                .collect::<String>()
        );
    }
    let head: String = table(&results)
        .lines()
        .next()
        .unwrap_or("")
        .trim_matches('|')
        .split('|')
        .map(|c| format!("<th>{}</th>", c.trim()))
        .collect();
    // Markdown `code` spans of the series lines as <code>.
    let series_html: String = series
        .iter()
        .map(|line| {
            let html: String = line
                .split('`')
                .enumerate()
                .map(|(k, part)| match k % 2 {
                    1 => format!("<code>{part}</code>"),
                    _ => part.to_string(),
                })
                .collect();
            format!("<p>{html}</p>")
        })
        .collect();
    let mut body = String::new();
    for (r, overlay, hist) in sections {
        let _ = write!(
            body,
            "<h2>{}</h2><div class=\"pair\"><figure><img src=\"data:image/png;base64,{}\" alt=\"detections\"><figcaption>Centre of the image at the dose, detections marked (red: heavier metal or only metal, cyan: lighter)</figcaption></figure><figure><img src=\"data:image/png;base64,{}\" alt=\"histogram\"><figcaption>Nearest-neighbour distances against the random baseline</figcaption></figure></div>",
            r.name,
            b64(overlay),
            b64(hist)
        );
    }
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>sacsim study report</title><style>body{{font-family:sans-serif;max-width:1400px;margin:2em auto}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}img{{max-width:100%}}.pair{{display:flex;gap:1em;align-items:flex-start}}figure{{margin:0;flex:1}}</style></head><body><h1>sacsim study report</h1><p>{}</p><table><tr>{head}</tr>{rows}</table><p>{EXPLAIN}</p>{series_html}{body}</body></html>\n",
        conditions(&study.study)
    )
}

/// Where `run` writes by default.
pub fn default_output() -> PathBuf {
    PathBuf::from("sacsim-study")
}
