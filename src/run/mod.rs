//! The main job, `sacsim run`: the source paper's study end to end. For
//! every catalyst: its DFT model, a large sample with its site mix,
//! HAADF images (clean and at the dose), atom detection scored against the
//! ground truth, and pair statistics against the random baseline; then one
//! report (`report.md`, and `report.html` with the figures embedded),
//! rendered from the result structs ([`report`]).
//!
//! The default study (`examples/pei2024.toml`) is compiled in.

pub mod report;
mod study;

use std::path::{Path, PathBuf};

use serde::Serialize;

pub use study::{Catalyst, DEFAULT_STUDY, Study, StudySettings};

use crate::analysis::detect::detect;
use crate::analysis::evaluate::evaluate;
use crate::analysis::identity::label_shares;
use crate::analysis::pairstats::{
    PairStats, analyze_with_neighbours, mutual_pairs, with_pair_types,
};
use crate::error::Result;
use crate::io::incar::Magmoms;
use crate::io::{Format, write_atomic};
use crate::model::sample::{Sample, build_sample};
use crate::model::{DEFAULT_FREE_SHELLS, ModelSpec, build_model};
use crate::output::series::{SeriesSpec, write_series};
use crate::output::{Provenance, analyze as out_analyze, detect as out_detect, write_model};
use crate::output::{sample as out_sample, simulate as out_simulate};
use crate::stem::acquire_with;
use crate::stem::truth::truth_atoms;
use crate::structure::{Element, ImageFrame};
use crate::structure::{Positions, Region};
use crate::values::Pair;

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
    /// Share of matched atoms whose element is right (two candidate
    /// elements in the study).
    pub element_accuracy: Option<f64>,
    /// Heteronuclear fraction of mutual pairs from the intensity ratios,
    /// with its 95 % interval and the truth (two candidate elements).
    pub hetero_pair_fraction: Option<HeteroSummary>,
    /// Share of groups (sites) that are pairs, as the source paper counts.
    pub site_pair_share: Detected,
    /// Expected shares of the detected pairs by type (e.g. "Co-Mn"; see
    /// `PairTypes::type_shares`) and of the true pairs by their elements;
    /// one-metal catalysts show "homonuclear" and the heteronuclear type
    /// only (relative intensities cannot name the one metal).
    pub pair_type_shares: DetectedShares,
    /// The catalyst's directory (relative to the study output).
    pub dir: String,
}

/// An estimate with its interval and the truth.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeteroSummary {
    /// Maximum-likelihood estimate.
    pub estimate: f64,
    /// 95 % profile-likelihood interval.
    pub ci95: [f64; 2],
    /// The same share among the true pairs of the field.
    pub truth: f64,
    /// Mutual pairs used.
    pub pairs: usize,
    /// δ over the pairs' median noise (see `HeteroFraction`).
    pub resolving_power: f64,
}

/// A statistic from the detections and from the truth.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detected {
    /// From the detections.
    pub detected: f64,
    /// From the true positions in the same field.
    pub truth: f64,
}

/// Shares by label pair, detected and true.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DetectedShares {
    /// From the detections' labels.
    pub detected: std::collections::BTreeMap<String, f64>,
    /// From the true elements.
    pub truth: std::collections::BTreeMap<String, f64>,
}

impl DetectedShares {
    /// Fold the homonuclear types ("Co-Co", "Mn-Mn") into "homonuclear".
    fn merge_homonuclear(&mut self) {
        let homo = |k: &str| k.split_once('-').is_some_and(|(a, b)| a == b);
        for m in [&mut self.detected, &mut self.truth] {
            let share: f64 = m.iter().filter(|(k, _)| homo(k)).map(|(_, v)| v).sum();
            m.retain(|k, _| !homo(k));
            m.insert("homonuclear".into(), share);
        }
    }
}

/// The candidate elements of a study: its catalysts' metals, lighter
/// first, when there are exactly two (Co and Mn in the default study).
fn study_elements(study: &Study) -> Option<Pair<Element>> {
    let mut all: Vec<Element> = study.catalyst.iter().flat_map(|c| c.mix.metals()).collect();
    all.sort_by_key(|e| e.z());
    all.dedup();
    (all.len() == 2).then(|| Pair([all[0], all[1]]))
}

/// Positions in the image field: detections or truth.
pub fn field_positions(
    frame: &ImageFrame,
    points: impl Iterator<Item = ([f64; 2], Option<Element>)>,
    source: String,
) -> Positions {
    let (origin, size) = frame.field();
    let (points, elements): (Vec<[f64; 3]>, Vec<Option<Element>>) =
        points.map(|(p, e)| ([p[0], p[1], 0.0], e)).unzip();
    Positions {
        points,
        elements,
        region: Region::Open {
            origin: [origin[0], origin[1], 0.0],
            size: [size[0], size[1], 0.0],
        },
        dims: 2,
        source,
    }
}

/// Run a study into `out`; returns the per-catalyst results.
pub fn run_study(study: &Study, out: &Path) -> Result<Vec<CatalystResult>> {
    let s = &study.study;
    let imaging = study.imaging.imaging()?;
    let scan = study.imaging.scan();
    let mut results = Vec::new();
    let mut figures = Vec::new();
    let mut all_stats = Vec::new();
    for (n, cat) in study.catalyst.iter().enumerate() {
        let dir = out.join(slug(&cat.name));
        let seed = s.seed + n as u64;
        // 1. The DFT model.
        let model = build_model(&ModelSpec::from_preset(cat.preset))?;
        write_model(
            &model,
            &dir.join("model"),
            &Format::ALL,
            &Magmoms::default(),
        )?;
        // 2. The sample.
        let mut sample_config = study.sample.clone();
        sample_config.mix = cat.mix.clone();
        sample_config.seed = seed;
        let sample = build_sample(&sample_config.spec()?)?;
        out_sample::write_sample(&sample, &dir.join("sample"), &[Format::Xyz])?;
        // 3. The image at the dose (and the clean one).
        let acq = crate::config::AcquisitionConfig {
            seed,
            ..study.acquisition
        };
        let model = study.imaging.image_model(seed)?;
        let sim = acquire_with(&*model, &sample.structure, &imaging, &scan, &acq)?;
        out_simulate::write_simulation(
            &dir.join("image"),
            &dir.join("sample"),
            &sample.structure,
            &sim,
            &study.imaging,
            &acq,
        )?;
        // 4. Detection, scores and statistics.
        let img = &sim.image;
        // Every catalyst is asked the same question (which of the study's
        // two metals is each atom?), so homonuclear controls are tested
        // too; the expected ratio comes from the image's cross sections.
        let mut settings = study.detect;
        if settings.elements.is_none() {
            settings.elements = study_elements(study);
        }
        if let Some(Pair([light, heavy])) = settings.elements
            && settings.intensity_ratio.is_none()
            && let (Some(l), Some(h)) = (
                sim.cross_sections.get(light.symbol()),
                sim.cross_sections.get(heavy.symbol()),
            )
        {
            settings.intensity_ratio = Some(h / l);
        }
        let found = detect(&img.data, &img.frame, &settings)?;
        out_detect::write_detections(
            &dir.join("detections"),
            &dir.join("image/image.npy"),
            &img.data,
            &found,
        )?;
        let det = field_positions(
            &img.frame,
            found.detections.iter().map(|d| (d.position, d.element)),
            format!("{} detections", cat.name),
        );
        let atoms = truth_atoms(&sample.structure, &sim.clean.frame, false);
        let truth = field_positions(
            &img.frame,
            atoms.iter().map(|t| {
                (
                    [t.position[0], t.position[1]],
                    Element::from_symbol(&t.element).ok(),
                )
            }),
            format!("{} truth", cat.name),
        );
        // Detections are scored against where the image shows each atom
        // (scan drift moves them); statistics use the specimen positions.
        let mut seen = atoms;
        crate::stem::truth::as_scanned(
            &mut seen,
            &crate::stem::noise::ScanMap::new(&acq, &img.frame),
            &img.frame,
        );
        let imaged = field_positions(
            &img.frame,
            seen.iter().map(|t| {
                (
                    img.frame.to_angstrom(t.pixel),
                    Element::from_symbol(&t.element).ok(),
                )
            }),
            format!("{} truth as imaged", cat.name),
        );
        let scores = evaluate(&det, &imaged, 1.0)?;
        let (mut stats, nn) = analyze_with_neighbours(&det, &study.analyze)?;
        if let Some(id) = &found.identity {
            let photometry: Vec<_> = found.detections.iter().map(|d| d.photometry).collect();
            with_pair_types(&mut stats, &nn, &photometry, id);
        }
        out_analyze::write_analysis(
            &dir.join("analysis"),
            &dir.join("detections"),
            &det,
            &nn,
            &stats,
        )?;
        let (truth_stats, truth_nn) = analyze_with_neighbours(&truth, &study.analyze)?;
        let [a, b] = study.analyze.window_nm.0;
        let truth_pairs = mutual_pairs(&truth_nn, [10.0 * a, 10.0 * b]);
        let mut r = result_of(
            cat,
            &sample,
            [&truth, &det],
            [&stats, &truth_stats],
            [scores.f1, scores.rmse_pm],
        );
        // Per-atom labels need two populations to contrast: relative
        // photometry cannot tell an all-Co field from an all-Mn one.
        r.element_accuracy = scores
            .element_accuracy
            .filter(|_| cat.mix.metals().len() == 2);
        r.pair_type_shares.truth = label_shares(&truth_pairs, &truth.elements);
        if cat.mix.metals().len() < 2 {
            r.pair_type_shares.merge_homonuclear();
        }
        r.hetero_pair_fraction = stats.pair_types.as_ref().map(|t| HeteroSummary {
            estimate: t.hetero_fraction.estimate,
            ci95: t.hetero_fraction.ci95,
            truth: truth_pairs
                .iter()
                .filter(|&&(i, j)| truth.elements[i] != truth.elements[j])
                .count() as f64
                / truth_pairs.len().max(1) as f64,
            pairs: t.hetero_fraction.pairs,
            resolving_power: t.hetero_fraction.resolving_power,
        });
        figures.push(report::Figures {
            overlay_png: report::crop_overlay(&img.data, &found),
            histogram_png: out_analyze::histogram_png(&stats),
            gr_png: out_analyze::gr_png(&stats),
        });
        all_stats.push(stats);
        results.push(r);
    }
    // 5. The DFT free-energy series of the catalysts' presets.
    let mut series = Vec::new();
    for &reaction in &s.reactions {
        let spec = SeriesSpec {
            presets: study
                .catalyst
                .iter()
                .map(|c| c.preset.name.to_string())
                .collect(),
            reaction,
            bridge: false,
            free_shells: DEFAULT_FREE_SHELLS,
        };
        let dir = format!("series-{reaction}");
        let index = write_series(&spec, &out.join(&dir), &Format::ALL, &Magmoms::default())?;
        series.push(report::SeriesLine {
            dir,
            reaction: reaction.to_string(),
            intermediates: index.intermediates.iter().map(|i| i.to_string()).collect(),
            models: index.models.len(),
            gas: index.gas.len(),
        });
    }
    let report = report::Report {
        study,
        results: &results,
        series: &series,
        provenance: &report::provenance_line(s.seed),
    };
    let named: Vec<(&str, &_)> = study
        .catalyst
        .iter()
        .map(|c| c.name.as_str())
        .zip(&all_stats)
        .collect();
    let overlay = out_analyze::nn_overlay_png(&named);
    write_atomic(&out.join("nn_overlay.png"), &overlay)?;
    write_atomic(
        &out.join("summary.json"),
        (serde_json::to_string_pretty(&results).expect("serialise") + "\n").as_bytes(),
    )?;
    write_atomic(&out.join("report.md"), report.markdown().as_bytes())?;
    write_atomic(
        &out.join("report.html"),
        report.html(&figures, &overlay).as_bytes(),
    )?;
    #[derive(Serialize)]
    struct RunParams<'a> {
        #[serde(flatten)]
        provenance: Provenance,
        study: &'a Study,
    }
    let params = RunParams {
        provenance: Provenance::of("run"),
        study,
    };
    write_atomic(
        &out.join("params.json"),
        (serde_json::to_string_pretty(&params).expect("serialise") + "\n").as_bytes(),
    )?;
    Ok(results)
}

fn slug(name: &str) -> String {
    name.to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

fn result_of(
    cat: &Catalyst,
    sample: &Sample,
    [truth, det]: [&Positions; 2],
    [stats, truth_stats]: [&PairStats; 2],
    [f1, rmse_pm]: [f64; 2],
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
        element_accuracy: None,
        hetero_pair_fraction: None,
        site_pair_share: Detected {
            detected: stats.groups.pair_share_of_groups.value,
            truth: truth_stats.groups.pair_share_of_groups.value,
        },
        pair_type_shares: DetectedShares {
            detected: stats
                .pair_types
                .as_ref()
                .map(|t| t.type_shares.clone())
                .unwrap_or_default(),
            truth: Default::default(),
        },
        dir: slug(&cat.name),
    }
}

/// Where `run` writes by default.
pub fn default_output() -> PathBuf {
    PathBuf::from("sacsim-study")
}
