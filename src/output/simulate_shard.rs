//! `sacsim simulate --model multislice --shard I/N` and `sacsim simulate
//! merge`: a multislice scan split across jobs (SLURM or Kubernetes
//! arrays) and merged into the image directory the unsharded run writes,
//! byte for byte ([`crate::stem::multislice::shard`]).
//!
//! A shard directory holds `signals.npy` (float64, shape (1, n): the
//! detector signal of its block of probe positions) and `params.json`
//! (the settings, the block, and a CRC-32 of the structure as extended
//! XYZ so `merge` can tell that it images the same atoms).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::{AcquisitionConfig, ImagingConfig, ModelChoice};
use crate::error::{Error, Result};
use crate::io::Format;
use crate::io::raster::read_npy_f64;
use crate::stem::multislice::{Merged, Multislice, shard_positions};
use crate::stem::{Simulation, acquire_with, plan_for};
use crate::structure::Structure;
use crate::values::Shard;

use super::{Provenance, listed, read_params, write_with_params};

/// `params.json` of a shard directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardParams {
    /// Version and command.
    #[serde(flatten)]
    pub provenance: Provenance,
    /// The structure file or directory imaged, as given.
    pub input: String,
    /// CRC-32 of the structure as sacsim's extended XYZ (of every frame
    /// with `--phonon-frames`).
    pub structure_crc32: u32,
    /// The imaging settings as given.
    pub imaging: ImagingConfig,
    /// Dose, noise and scan artefacts (applied at merge).
    pub acquisition: AcquisitionConfig,
    /// Which shard of how many.
    pub shard: Shard,
    /// First and one-past-last probe position of this shard.
    pub positions: [usize; 2],
    /// Probe positions of the whole scan.
    pub total_positions: usize,
    /// Files written.
    pub files: Vec<String>,
}

/// CRC-32 of the structure as extended XYZ; with `--phonon-frames`, of
/// every frame of `input`.
fn crc32(structure: &Structure, input: &Path, config: &ImagingConfig) -> Result<u32> {
    if !config.phonon_frames {
        return Ok(crc32fast::hash(Format::Xyz.render(structure).as_bytes()));
    }
    let mut hasher = crc32fast::Hasher::new();
    for frame in crate::io::read_frames(input)? {
        hasher.update(Format::Xyz.render(&frame).as_bytes());
    }
    Ok(hasher.finalize())
}

/// The multislice settings of `config`, refusing any other model.
fn multislice_of(
    config: &ImagingConfig,
    acquisition: &AcquisitionConfig,
    input: &Path,
    structure: &Structure,
) -> Result<Multislice> {
    if config.model != ModelChoice::Multislice {
        return Err(Error::invalid(
            "--shard",
            "splits a multislice scan (--model multislice); the incoherent model images a 20 nm field in about a second, whole",
        ));
    }
    config.multislice_for(acquisition.seed, input, structure)
}

/// Compute shard `shard` of the multislice scan of `structure` (read from
/// `input`) and write it into `dir`. Returns the files and the block of
/// positions.
pub fn write_shard(
    dir: &Path,
    input: &Path,
    structure: &Structure,
    config: &ImagingConfig,
    acquisition: &AcquisitionConfig,
    shard: Shard,
) -> Result<(Vec<PathBuf>, ShardParams)> {
    let imaging = config.imaging()?;
    let ms = multislice_of(config, acquisition, input, structure)?;
    let plan = plan_for(&ms, structure, &imaging, &config.scan(), acquisition)?;
    let total = ms.scan_positions(structure, &imaging, &plan);
    let range = shard_positions(shard, total);
    let signals = ms.signals(structure, &imaging, &plan, range.clone());
    let files = vec![(
        "signals.npy".to_string(),
        crate::io::raster::npy_f64(&signals, signals.len(), 1),
    )];
    let params = ShardParams {
        provenance: Provenance::of("simulate --shard"),
        input: input.display().to_string(),
        structure_crc32: crc32(structure, input, config)?,
        imaging: config.clone(),
        acquisition: *acquisition,
        shard,
        positions: [range.start, range.end],
        total_positions: total,
        files: listed(&files),
    };
    Ok((write_with_params(dir, files, &params)?, params))
}

/// The shards of one run, checked: the same settings and structure, every
/// shard of 0..N once. Sorted by index.
fn read_shards(shards: &[PathBuf]) -> Result<Vec<(PathBuf, ShardParams)>> {
    let bad = |message: String| Error::invalid("merge", message);
    let mut all = Vec::with_capacity(shards.len());
    for dir in shards {
        all.push((dir.clone(), read_params::<ShardParams>(dir)?));
    }
    let Some((first_dir, first)) = all.first().cloned() else {
        return Err(bad("give the shard directories of one run".into()));
    };
    for (dir, p) in &all {
        let same = p.input == first.input
            && p.structure_crc32 == first.structure_crc32
            && p.imaging == first.imaging
            && p.acquisition == first.acquisition
            && p.shard.count == first.shard.count
            && p.total_positions == first.total_positions;
        if !same {
            return Err(bad(format!(
                "{} belongs to a different run than {} (structure or settings differ)",
                dir.display(),
                first_dir.display()
            )));
        }
    }
    all.sort_by_key(|(_, p)| p.shard.index);
    let indices: Vec<usize> = all.iter().map(|(_, p)| p.shard.index).collect();
    let n = first.shard.count;
    if indices != (0..n).collect::<Vec<_>>() {
        let missing: Vec<String> = (0..n)
            .filter(|i| !indices.contains(i))
            .map(|i| format!("{i}/{n}"))
            .collect();
        return Err(bad(format!(
            "need each of the {n} shards once; missing: [{}], given: {:?}",
            missing.join(", "),
            indices
        )));
    }
    Ok(all)
}

/// Merge shard directories into the image directory `out` the unsharded
/// run writes. The structure is read again from the shards' input path
/// (run `merge` where that path resolves) and must be the same atoms.
pub fn merge_shards(out: &Path, shards: &[PathBuf]) -> Result<(Simulation, Vec<PathBuf>)> {
    let all = read_shards(shards)?;
    let params = &all[0].1;
    let input = PathBuf::from(&params.input);
    let structure = crate::io::read_structure(&input)?;
    if crc32(&structure, &input, &params.imaging)? != params.structure_crc32 {
        return Err(Error::invalid(
            "merge",
            format!(
                "{} is not the structure the shards imaged (its CRC-32 differs)",
                input.display()
            ),
        ));
    }
    let mut signals = Vec::with_capacity(params.total_positions);
    for (dir, p) in &all {
        let path = dir.join("signals.npy");
        let (values, n, _) = read_npy_f64(&path)?;
        if n != p.positions[1] - p.positions[0] || p.positions[0] != signals.len() {
            return Err(Error::invalid(
                "merge",
                format!(
                    "{} holds {n} positions, its params.json says {}..{}",
                    path.display(),
                    p.positions[0],
                    p.positions[1]
                ),
            ));
        }
        signals.extend(values);
    }
    let config = &params.imaging;
    let ms = multislice_of(config, &params.acquisition, &input, &structure)?;
    let model = Merged {
        multislice: &ms,
        signals: &signals,
    };
    let imaging = config.imaging()?;
    let sim = acquire_with(
        &model,
        &structure,
        &imaging,
        &config.scan(),
        &params.acquisition,
    )?;
    let files = super::simulate::write_simulation(
        out,
        &input,
        &structure,
        &sim,
        config,
        &params.acquisition,
    )?;
    Ok((sim, files))
}
