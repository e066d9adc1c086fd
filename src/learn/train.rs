//! Training the heatmap network on simulated images (`sacsim train`).
//!
//! The configuration is a dataset configuration (the images to learn from,
//! drawn per step exactly as `sacsim dataset` draws them) plus a `[train]`
//! table. Each step draws `batch` images k = step · batch + b (each just
//! large enough for its crop and context), resamples them to the
//! canonical pixel, normalises them, crops `patch` x `patch` at a random
//! place with a random flip or turn and
//! learns a Gaussian heatmap (σ = `heatmap_sigma_angstrom`) at every metal
//! atom with a positive-weighted binary cross-entropy. Everything random
//! comes from the run seed, so a run is reproducible; a checkpoint every
//! `checkpoint_every` steps lets an interrupted run resume (the AdamW
//! moments restart from zero at a resume).

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarBuilder, VarMap};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::unet::{UNet, seed_variables};
use super::{CANONICAL_PIXEL, normalise, resample};
use crate::dataset::config::DatasetConfig;
use crate::dataset::draw_image_in;
use crate::error::{Error, Result};

/// The `[train]` table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainSettings {
    /// Seed of the weights (the images use the dataset's `[run] seed`).
    pub seed: u64,
    /// Optimiser steps.
    pub steps: usize,
    /// Images per step.
    pub batch: usize,
    /// Crop edge at the canonical pixel (pixels, multiple of 4).
    pub patch: usize,
    /// Network base width (channels of the first level).
    pub width: usize,
    /// AdamW learning rate.
    pub learning_rate: f64,
    /// Heatmap Gaussian σ (Å).
    pub heatmap_sigma_angstrom: f64,
    /// Weight of atom pixels in the loss, 1 + w · target.
    pub positive_weight: f64,
    /// Save weights every this many steps.
    pub checkpoint_every: usize,
    /// Atoms whose aperture signal-to-noise ratio is below this are
    /// neither targets nor background: the loss ignores their
    /// neighbourhood (hand labellers mark atoms from about 3 upwards;
    /// [`crate::stem::truth::visibility`]). 0 makes every atom a target.
    pub visible_snr: f64,
    /// From this step on, every checkpoint's weights are kept
    /// (`snapshots/`) and their mean is written as `averaged.safetensors`
    /// when the run ends (stochastic weight averaging, Izmailov et al.
    /// 2018: a constant learning rate leaves the weights wandering around
    /// a minimum, and their mean sits nearer its centre). None: no average.
    pub average_from: Option<usize>,
}

impl Default for TrainSettings {
    fn default() -> Self {
        TrainSettings {
            seed: 1,
            steps: 2000,
            batch: 8,
            patch: 96,
            width: 16,
            learning_rate: 2e-3,
            heatmap_sigma_angstrom: 0.3,
            positive_weight: 20.0,
            checkpoint_every: 100,
            visible_snr: 3.0,
            average_from: None,
        }
    }
}

impl TrainSettings {
    /// Refuse settings that cannot train.
    pub fn validate(&self) -> Result<()> {
        let bad = |key: &str, what: &str| Err(Error::invalid(format!("train.{key}"), what));
        if !(1..=10_000_000).contains(&self.steps) {
            return bad("steps", "give 1 to 10000000");
        }
        if !(1..=256).contains(&self.batch) {
            return bad("batch", "give 1 to 256 images per step");
        }
        if !(16..=1024).contains(&self.patch) || !self.patch.is_multiple_of(4) {
            return bad("patch", "give a multiple of 4 from 16 to 1024 pixels");
        }
        if !(2..=128).contains(&self.width) {
            return bad("width", "give 2 to 128 channels");
        }
        if !(self.learning_rate > 0.0 && self.learning_rate < 1.0) {
            return bad("learning_rate", "give a rate in (0, 1)");
        }
        if !(self.heatmap_sigma_angstrom > 0.05 && self.heatmap_sigma_angstrom < 5.0) {
            return bad("heatmap_sigma_angstrom", "give 0.05 to 5 Å");
        }
        if !(0.0..=1e4).contains(&self.positive_weight) {
            return bad("positive_weight", "give 0 to 10000");
        }
        if !(0.0..=100.0).contains(&self.visible_snr) {
            return bad("visible_snr", "give 0 to 100");
        }
        if self.average_from == Some(0) {
            return bad("average_from", "give a step of at least 1");
        }
        if self.checkpoint_every == 0 {
            return bad("checkpoint_every", "give at least 1");
        }
        Ok(())
    }
}

/// A training configuration: the images and the `[train]` table.
#[derive(Debug, Clone)]
pub struct TrainConfig {
    /// The images (a dataset configuration).
    pub data: DatasetConfig,
    /// The training settings.
    pub train: TrainSettings,
}

impl TrainConfig {
    /// Parse TOML: `[train]` plus the tables of a dataset configuration.
    pub fn from_toml(text: &str, source: &str) -> Result<TrainConfig> {
        let mut table: toml::Table = toml::from_str(text).map_err(|e: toml::de::Error| {
            Error::invalid("--config", format!("{source}: {}", e.message()))
        })?;
        let train: TrainSettings = match table.remove("train") {
            Some(t) => t.try_into().map_err(|e: toml::de::Error| {
                Error::invalid("--config", format!("{source}: [train]: {}", e.message()))
            })?,
            None => TrainSettings::default(),
        };
        train.validate()?;
        let data = DatasetConfig::from_toml(&toml::to_string(&table).expect("TOML"), source)?;
        Ok(TrainConfig { data, train })
    }
}

/// Canonical pixels of context around each training crop: the image is
/// normalised over crop and context together, as a whole micrograph is at
/// inference, so the crop's background and noise estimates see as far as
/// they would there.
pub const CONTEXT: usize = 48;

/// Training example k: the normalised crop, its heatmap target and the
/// loss weight mask (patch² each, row-major; the mask is 0 around atoms
/// too faint to see, [`TrainSettings::visible_snr`], else 1). Image k of the dataset recipe covers the crop and
/// its [`CONTEXT`] at its drawn pixel size; the crop sits at a random
/// place inside the context and is flipped and turned by one of the
/// eight symmetries of the square (seeded by the train seed and k).
pub fn example(config: &TrainConfig, k: usize) -> Result<Example> {
    let s = &config.train;
    let field = (s.patch + 2 * CONTEXT) as f64 * CANONICAL_PIXEL;
    let drawn = draw_image_in(&config.data, k, Some(field))?;
    let frame = drawn.image.frame;
    let [nx, ny] = frame.shape;
    let m = |n: usize, px: f64| ((n as f64 * px / CANONICAL_PIXEL).round() as usize).max(1);
    let (mx, my) = (m(nx, frame.pixel[0]), m(ny, frame.pixel[1]));
    let p = s.patch;
    if mx < p || my < p {
        return Err(Error::invalid(
            "train.patch",
            format!("image {k} spans {mx} x {my} canonical pixels, smaller than the {p} px patch"),
        ));
    }
    let image = normalise(&resample(&drawn.image.data, [nx, ny], [mx, my]), [mx, my]);
    let mut rng = ChaCha8Rng::seed_from_u64(s.seed);
    rng.set_stream(k as u64);
    let x0 = rng.random_range(0..=mx - p);
    let y0 = rng.random_range(0..=my - p);
    let symmetry: u8 = rng.random_range(0..8);
    // Atom centres in crop pixels: canonical pixel centres sit at
    // (i + 0.5) · size of the resampled grid.
    let sigma = s.heatmap_sigma_angstrom / CANONICAL_PIXEL;
    let mut target = vec![0f32; p * p];
    let mut mask = vec![1f32; p * p];
    for (t, &shown) in drawn.truth.iter().zip(&drawn.visibility) {
        let visible = shown >= s.visible_snr;
        let cx = (t.pixel[0] + 0.5) * mx as f64 / nx as f64 - 0.5 - x0 as f64;
        let cy = (t.pixel[1] + 0.5) * my as f64 / ny as f64 - 0.5 - y0 as f64;
        let r = (3.0 * sigma).ceil() as i64;
        for y in (cy.round() as i64 - r).max(0)..=(cy.round() as i64 + r).min(p as i64 - 1) {
            for x in (cx.round() as i64 - r).max(0)..=(cx.round() as i64 + r).min(p as i64 - 1) {
                let i = y as usize * p + x as usize;
                if !visible {
                    mask[i] = 0.0;
                    continue;
                }
                let g = (-((x as f64 - cx).powi(2) + (y as f64 - cy).powi(2))
                    / (2.0 * sigma * sigma))
                    .exp();
                target[i] = target[i].max(g as f32);
            }
        }
    }
    let crop: Vec<f32> = (y0..y0 + p)
        .flat_map(|y| image[y * mx + x0..y * mx + x0 + p].iter().copied())
        .collect();
    Ok(Example {
        input: turn(&crop, p, symmetry),
        target: turn(&target, p, symmetry),
        mask: turn(&mask, p, symmetry),
    })
}

/// One training example (patch² values each, row-major).
pub struct Example {
    /// The normalised crop.
    pub input: Vec<f32>,
    /// The heatmap target (Gaussians at visible atoms).
    pub target: Vec<f32>,
    /// Loss weight: 0 around atoms too faint to see, else 1.
    pub mask: Vec<f32>,
}

/// Symmetry `k` (0..8) of the square applied to a p x p row-major image:
/// bit 0 mirrors x, bit 1 mirrors y, bit 2 swaps the axes.
fn turn(data: &[f32], p: usize, k: u8) -> Vec<f32> {
    let mut out = vec![0f32; p * p];
    for y in 0..p {
        for x in 0..p {
            let (mut sx, mut sy) = (x, y);
            if k & 4 != 0 {
                (sx, sy) = (sy, sx);
            }
            if k & 1 != 0 {
                sx = p - 1 - sx;
            }
            if k & 2 != 0 {
                sy = p - 1 - sy;
            }
            out[y * p + x] = data[sy * p + sx];
        }
    }
    out
}

/// What a training run reports per logged step.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct LossPoint {
    /// Step (from 1).
    pub step: usize,
    /// Mean weighted BCE of the step's batch.
    pub loss: f64,
}

fn candle(e: candle_core::Error) -> Error {
    Error::invalid("train", format!("network: {e}"))
}

/// Train into `out` (weights `detector.safetensors`, `loss.csv`,
/// `checkpoint.json`, all written at every checkpoint), resuming from a
/// checkpoint there; `progress(step, loss)` after every step. Returns the
/// loss history of this call.
pub fn train(
    config: &TrainConfig,
    out: &Path,
    mut progress: impl FnMut(usize, f64),
) -> Result<Vec<LossPoint>> {
    let s = config.train;
    let vars = VarMap::new();
    let vb = VarBuilder::from_varmap(&vars, DType::F32, &Device::Cpu);
    let net = UNet::new(s.width, vb).map_err(candle)?;
    seed_variables(&vars, s.seed).map_err(candle)?;
    let weights = out.join("detector.safetensors");
    let checkpoint = out.join("checkpoint.json");
    let mut start = 0;
    if checkpoint.is_file() && weights.is_file() {
        let text = std::fs::read_to_string(&checkpoint).map_err(|e| Error::io(&checkpoint, e))?;
        start = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["step"].as_u64())
            .unwrap_or(0) as usize;
        let mut vars = vars.clone();
        vars.load(&weights).map_err(candle)?;
    }
    let mut opt = AdamW::new(
        vars.all_vars(),
        ParamsAdamW {
            lr: s.learning_rate,
            weight_decay: 1e-4,
            ..Default::default()
        },
    )
    .map_err(candle)?;
    let p = s.patch;
    let mut history = Vec::new();
    let mut saved = 0;
    for step in start..s.steps {
        let batch: Vec<Example> = (0..s.batch)
            .into_par_iter()
            .map(|b| example(config, step * s.batch + b))
            .collect::<Result<_>>()?;
        let shape = (s.batch, 1, p, p);
        let stack = |f: fn(&Example) -> &Vec<f32>| {
            let all: Vec<f32> = batch.iter().flat_map(|e| f(e).iter().copied()).collect();
            Tensor::from_vec(all, shape, &Device::Cpu).map_err(candle)
        };
        let (x, t, m) = (
            stack(|e| &e.input)?,
            stack(|e| &e.target)?,
            stack(|e| &e.mask)?,
        );
        let loss = weighted_bce(&net.forward(&x).map_err(candle)?, &t, &m, s.positive_weight)
            .map_err(candle)?;
        opt.backward_step(&loss).map_err(candle)?;
        let value = loss.to_scalar::<f32>().map_err(candle)? as f64;
        history.push(LossPoint {
            step: step + 1,
            loss: value,
        });
        progress(step + 1, value);
        if (step + 1) % s.checkpoint_every == 0 || step + 1 == s.steps {
            if s.average_from.is_some_and(|from| step + 1 >= from) {
                let dir = out.join("snapshots");
                std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
                vars.save(dir.join(format!("step_{:07}.safetensors", step + 1)))
                    .map_err(candle)?;
            }
            save(&vars, out, step + 1, &history[saved..])?;
            saved = history.len();
        }
    }
    if s.average_from.is_some() {
        average_snapshots(out)?;
    }
    Ok(history)
}

/// mean(m · (1 + w·t) · BCE(logit, t)), BCE = max(z, 0) − z·t +
/// ln(1 + e^−|z|), m the mask.
fn weighted_bce(
    logits: &Tensor,
    target: &Tensor,
    mask: &Tensor,
    w: f64,
) -> candle_core::Result<Tensor> {
    let bce = (logits.relu()? - (logits * target)?)?
        .add(&((logits.abs()?.neg()?.exp()? + 1.0)?.log()?))?;
    let weight = (((target * w)? + 1.0)? * mask)?;
    (bce * weight)?.mean_all()
}

/// The mean of every weight over `out/snapshots/*.safetensors` (in name
/// order), written to `out/averaged.safetensors`. Reruns of a finished
/// run write it again from the snapshots present.
pub fn average_snapshots(out: &Path) -> Result<usize> {
    let dir = out.join("snapshots");
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| Error::io(&dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "safetensors"))
        .collect();
    files.sort();
    let mut sum: std::collections::BTreeMap<String, Tensor> = Default::default();
    for f in &files {
        let tensors = candle_core::safetensors::load(f, &Device::Cpu).map_err(candle)?;
        for (name, t) in tensors {
            let t = t.to_dtype(DType::F64).map_err(candle)?;
            let total = match sum.remove(&name) {
                Some(acc) => (acc + t).map_err(candle)?,
                None => t,
            };
            sum.insert(name, total);
        }
    }
    let n = files.len();
    let mean: std::collections::HashMap<String, Tensor> = sum
        .into_iter()
        .map(|(k, t)| Ok((k, (t / n as f64)?.to_dtype(DType::F32)?)))
        .collect::<candle_core::Result<_>>()
        .map_err(candle)?;
    let path = out.join("averaged.safetensors");
    let tmp = out.join(".averaged.safetensors.tmp");
    candle_core::safetensors::save(&mean, &tmp).map_err(candle)?;
    std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))?;
    Ok(n)
}

/// Save the weights, append the losses since the last save to loss.csv,
/// then mark the step done in checkpoint.json (written last, so a resume
/// never skips steps whose weights were not saved).
fn save(vars: &VarMap, out: &Path, step: usize, losses: &[LossPoint]) -> Result<()> {
    crate::output::prepare_dir(out)?;
    let weights = out.join("detector.safetensors");
    let tmp = out.join(".detector.safetensors.tmp");
    vars.save(&tmp).map_err(candle)?;
    std::fs::rename(&tmp, &weights).map_err(|e| Error::io(&weights, e))?;
    let csv_path = out.join("loss.csv");
    let mut csv = std::fs::read_to_string(&csv_path).unwrap_or_else(|_| "step,loss\n".into());
    for p in losses {
        csv.push_str(&format!("{},{:.6}\n", p.step, p.loss));
    }
    crate::io::write_atomic(&csv_path, csv.as_bytes())?;
    crate::io::write_atomic(
        &out.join("checkpoint.json"),
        format!("{{\"step\": {step}}}\n").as_bytes(),
    )
}
