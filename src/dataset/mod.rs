//! Synthetic training sets (`sacsim dataset`): for each image k, draw a
//! sample and imaging conditions from the configuration, build and image
//! them in memory, and write the image with its labels.
//!
//! Determinism: image k depends only on (run seed, k) (its own ChaCha8
//! stream), so any thread count, any shard split and any resume give the
//! same bytes. Layout of a dataset directory (`SPLIT` = train, val, test):
//!
//! ```text
//! images/SPLIT/NNNNNN.png        the image: png8 (default), png16, .tiff
//!                                or .npy ([run] image_format; PNG scales
//!                                in meta/)
//! labels/SPLIT/NNNNNN.txt        YOLO: class x_center y_center w h (0-1)
//! heatmaps/SPLIT/NNNNNN.png      16-bit Gaussian blobs at the metals
//! masks/SPLIT/NNNNNN.png         8-bit discs, value = category id
//! positions/SPLIT/NNNNNN.csv     exact positions (px and Å), element, site
//! meta/SPLIT/NNNNNN.json         the image's drawn parameters (written last:
//!                                its presence marks the image done)
//! annotations/instances_SPLIT.json   COCO, assembled from positions/
//! manifest.jsonl, data.yaml, params.json
//! ```
//!
//! Shards (`--shard I/N`) generate images k with k mod N = I; `merge`
//! joins shard directories and reassembles the run-wide files, which are
//! built only from per-image files, so the result equals the unsharded run.

mod assemble;
pub mod config;
pub mod image_format;
pub mod labels;
mod ranged;

pub use assemble::{assemble, merge};
pub use ranged::Ranged;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;
use serde_json::json;

use crate::config::{AcquisitionConfig, ImagingConfig, SampleConfig};
use crate::error::{Error, Result};
use crate::io::write_atomic;
use crate::model::sample::build_sample;
use crate::stem::acquire_with;
use crate::stem::truth::truth_atoms;
use crate::structure::Element;
use crate::values::{Dims, Rect, Shard, angstrom_to_nm};

use config::DatasetConfig;
use labels::Label;

/// Most images in one run (shard the run for more is no answer: the
/// manifest and COCO files hold every image).
pub const MAX_IMAGES: usize = 10_000_000;

/// Split names in order.
pub const SPLITS: [&str; 3] = ["train", "val", "test"];

/// The run: configuration, size and shard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Run {
    /// The configuration.
    pub config: DatasetConfig,
    /// Number of images of the whole run.
    pub count: usize,
    /// This process's shard.
    #[serde(skip)]
    pub shard: Shard,
}

/// One image's category set: (element, site type) -> id from 1.
#[derive(Debug, Clone, PartialEq)]
pub struct Categories {
    names: Vec<(Element, Option<&'static str>)>,
}

impl Categories {
    /// Categories from every metal the mixes can place.
    pub fn of(config: &DatasetConfig) -> Result<Categories> {
        let mut metals = BTreeSet::new();
        for m in config.mixes()? {
            metals.extend(m.metals());
        }
        let by_site = config.run.categories == "element+site";
        let names = metals
            .into_iter()
            .flat_map(|e| {
                if by_site {
                    vec![(e, Some("single")), (e, Some("pair"))]
                } else {
                    vec![(e, None)]
                }
            })
            .collect();
        Ok(Categories { names })
    }

    /// Category id (from 1) of an element in a single or paired site.
    pub fn id(&self, element: Element, paired: bool) -> usize {
        let site = if paired { "pair" } else { "single" };
        self.names
            .iter()
            .position(|&(e, s)| e == element && s.is_none_or(|s| s == site))
            .map_or(0, |i| i + 1)
    }

    fn coco(&self) -> Vec<serde_json::Value> {
        self.names
            .iter()
            .enumerate()
            .map(|(i, (e, s))| json!({"id": i + 1, "name": s.map_or(e.symbol().to_string(), |s| format!("{}-{s}", e.symbol())), "supercategory": "metal"}))
            .collect()
    }
}

/// Which split image k goes to (its own stream, so shards agree).
fn split_of(config: &DatasetConfig, k: usize) -> &'static str {
    let mut rng = ChaCha8Rng::seed_from_u64(config.run.seed);
    rng.set_stream(u64::MAX - k as u64);
    let u = rng.random::<f64>();
    let s = config.run.splits;
    if u < s.train {
        "train"
    } else if u < s.train + s.val {
        "val"
    } else {
        "test"
    }
}

fn stem(k: usize) -> String {
    format!("{k:06}")
}

/// Everything drawn for one image.
#[derive(Debug, Clone, Serialize)]
struct Drawn {
    k: usize,
    split: &'static str,
    sample: SampleConfig,
    imaging: ImagingConfig,
    acquisition: AcquisitionConfig,
    shape: [usize; 2],
    pixel_angstrom: [f64; 2],
    image_format: image_format::ImageFormat,
    /// PNG levels to values (PNG formats).
    grey_scale: Option<image_format::GreyScale>,
    metals: usize,
}

/// Fields smaller than this (Å) are windows of a larger periodic sample,
/// so no periodic image of the sample shows inside the field.
const MIN_PERIODIC_FIELD: f64 = 25.0;

/// Image k of a run, drawn and simulated in memory: what [`render`]
/// writes and what `sacsim train` learns from.
pub struct DrawnImage {
    /// The noisy image.
    pub image: crate::stem::incoherent::Image,
    /// Every metal atom of the field.
    pub truth: Vec<crate::stem::truth::TruthAtom>,
    /// Each atom's aperture signal-to-noise ratio
    /// ([`crate::stem::truth::visibility`]).
    pub visibility: Vec<f64>,
    /// Whether each site holds more than one metal.
    paired: std::collections::HashMap<u32, bool>,
    sample: SampleConfig,
    imaging: ImagingConfig,
    acquisition: AcquisitionConfig,
    shape: [usize; 2],
}

/// Draw and simulate image k of the run `config`.
pub fn draw_image(config: &DatasetConfig, k: usize) -> Result<DrawnImage> {
    draw_image_in(config, k, None)
}

/// Draw and simulate image k of the run `config`; with `field_angstrom`,
/// the image covers that square field at its drawn pixel size (the shape
/// follows the pixel), as training crops need.
pub fn draw_image_in(
    config: &DatasetConfig,
    k: usize,
    field_angstrom: Option<f64>,
) -> Result<DrawnImage> {
    let mut rng = ChaCha8Rng::seed_from_u64(config.run.seed);
    rng.set_stream(k as u64);
    let mut imaging = config.imaging.draw(&mut rng)?;
    let mut sample = config.sample.draw(&mut rng)?;
    let mut acquisition = config.acquisition.draw(&mut rng)?;
    let pixel = imaging.pixel_angstrom;
    if let Some(f) = field_angstrom {
        let n = (f / pixel).ceil() as usize;
        imaging.shape = Some(Dims([n, n]));
    }
    let shape = imaging
        .shape
        .map(|d| d.0)
        .ok_or_else(|| Error::invalid("--config", "imaging.shape: give the image size [NX, NY]"))?;
    let field = [shape[0] as f64 * pixel, shape[1] as f64 * pixel];
    sample.size_nm = Dims(field.map(|f| angstrom_to_nm(f.max(MIN_PERIODIC_FIELD))));
    sample.seed = rng.random::<u64>();
    acquisition.seed = rng.random::<u64>();
    if field[0] < MIN_PERIODIC_FIELD || field[1] < MIN_PERIODIC_FIELD {
        imaging.window_angstrom = Some(Rect([0.0, 0.0, field[0], field[1]]));
    }
    let built = build_sample(&sample.spec()?)?;
    let model = imaging.image_model(acquisition.seed)?;
    let sim = acquire_with(
        &*model,
        &built.structure,
        &imaging.imaging()?,
        &imaging.scan(),
        &acquisition,
    )?;
    let paired = built
        .sites
        .iter()
        .map(|site| (site.id, site.metals.len() > 1))
        .collect();
    // Labels where the atoms show in the acquired image (drift, flyback
    // and line jitter move them by up to a few Å).
    let mut truth = truth_atoms(&built.structure, &sim.clean.frame, imaging.all_atoms);
    let pixel_area = sim.clean.frame.pixel[0] * sim.clean.frame.pixel[1];
    let shown: std::collections::HashMap<usize, f64> = truth
        .iter()
        .zip(crate::stem::truth::visibility(
            &sim.clean,
            &truth,
            acquisition.electrons_per_pixel(pixel_area),
            acquisition.dark_noise / acquisition.gain.unwrap_or(1.0),
        ))
        .map(|(t, v)| (t.atom, v))
        .collect();
    crate::stem::truth::as_scanned(
        &mut truth,
        &crate::stem::noise::ScanMap::new(&acquisition, &sim.image.frame),
        &sim.image.frame,
    );
    let visibility = truth.iter().map(|t| shown[&t.atom]).collect();
    Ok(DrawnImage {
        image: sim.image,
        truth,
        visibility,
        paired,
        sample,
        imaging,
        acquisition,
        shape,
    })
}

/// Generate image k's files in memory: (relative path, bytes), the meta
/// file last.
fn render(
    config: &DatasetConfig,
    categories: &Categories,
    k: usize,
) -> Result<Vec<(String, Vec<u8>)>> {
    let DrawnImage {
        image: img,
        truth,
        visibility: _,
        paired,
        sample,
        imaging,
        acquisition,
        shape,
    } = draw_image(config, k)?;
    let img = &img;
    let split = split_of(config, k);
    let name = stem(k);
    let format = config.run.image_format;
    let (image_file, grey_scale) = format.encode(&img.data, &img.frame);
    let mut files = vec![(
        format!("images/{split}/{name}.{}", format.extension()),
        image_file,
    )];

    // Exact positions: always written, COCO is assembled from them.
    let mut pos = String::from("atom,element,category,site,site_type,x_px,y_px,x_A,y_A\n");
    for t in &truth {
        let element = Element::from_symbol(&t.element)?;
        let pair = paired.get(&t.site).copied().unwrap_or(false);
        let _ = writeln!(
            pos,
            "{},{},{},{},{},{:.4},{:.4},{:.4},{:.4}",
            t.atom,
            t.element,
            categories.id(element, pair),
            t.site,
            if pair { "pair" } else { "single" },
            t.pixel[0],
            t.pixel[1],
            t.position[0],
            t.position[1]
        );
    }
    let labels: Vec<Label> = truth
        .iter()
        .map(|t| {
            Ok(Label {
                pixel: t.pixel,
                category: categories.id(
                    Element::from_symbol(&t.element)?,
                    paired.get(&t.site).copied().unwrap_or(false),
                ),
            })
        })
        .collect::<Result<_>>()?;
    for writer in config.run.labels.iter().filter_map(|k| k.writer()) {
        files.push((
            format!(
                "{}/{split}/{name}.{}",
                writer.directory(),
                writer.extension()
            ),
            writer.render(&img.frame, &labels, &config.run),
        ));
    }
    files.push((format!("positions/{split}/{name}.csv"), pos.into_bytes()));
    let drawn = Drawn {
        k,
        split,
        sample,
        imaging,
        acquisition,
        shape,
        pixel_angstrom: img.frame.pixel,
        image_format: format,
        grey_scale,
        metals: truth.len(),
    };
    files.push((
        format!("meta/{split}/{name}.json"),
        (serde_json::to_string(&drawn).expect("serialise") + "\n").into_bytes(),
    ));
    Ok(files)
}

/// The run fingerprint written as params.json (no shard information).
fn params_json(run: &Run) -> String {
    serde_json::to_string_pretty(&json!({
        "sacsim_version": env!("CARGO_PKG_VERSION"),
        "command": "dataset",
        "count": run.count,
        "config": run.config,
    }))
    .expect("serialise")
        + "\n"
}

fn write(dir: &Path, rel: &str, bytes: &[u8]) -> Result<()> {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    write_atomic(&path, bytes)
}

/// Progress reporting: a bar on a terminal, periodic lines otherwise.
pub trait Progress: Sync {
    /// One more image is done.
    fn tick(&self);
}

/// Generate (or resume) a dataset or one shard of it; returns the number of
/// images generated in this call.
pub fn generate(run: &Run, dir: &Path, force: bool, progress: &dyn Progress) -> Result<usize> {
    run.config.validate()?;
    if !(1..=MAX_IMAGES).contains(&run.count) {
        return Err(Error::invalid(
            "--count",
            format!(
                "{}; give 1-{} images",
                crate::values::short(run.count as f64),
                crate::values::short(MAX_IMAGES as f64)
            ),
        ));
    }
    let Shard {
        index,
        count: total,
    } = run.shard;
    if total == 0 || index >= total {
        return Err(Error::invalid(
            "--shard",
            format!(
                "{index}/{total}: the index must be below the shard count (0/2 and 1/2 for two shards)"
            ),
        ));
    }
    let params = params_json(run);
    let existing = dir.join("params.json");
    if existing.is_file()
        && std::fs::read_to_string(&existing).map_err(|e| Error::io(&existing, e))? != params
        && !force
    {
        return Err(Error::invalid(
            "-o",
            format!(
                "{} holds a different run (its params.json differs); use another directory or --force",
                dir.display()
            ),
        ));
    }
    crate::output::prepare_dir(dir)?;
    crate::io::remove_stale_temporaries(dir, true);
    write(dir, "params.json", params.as_bytes())?;
    if total > 1 {
        write(
            dir,
            "shard.json",
            format!("{{\"shard\": {index}, \"of\": {total}}}\n").as_bytes(),
        )?;
    }
    let categories = Categories::of(&run.config)?;
    let todo: Vec<usize> = (0..run.count)
        .filter(|k| k % total == index)
        .filter(|&k| {
            !dir.join(format!(
                "meta/{}/{}.json",
                split_of(&run.config, k),
                stem(k)
            ))
            .is_file()
        })
        .collect();
    todo.par_iter().try_for_each(|&k| -> Result<()> {
        for (rel, bytes) in render(&run.config, &categories, k)? {
            write(dir, &rel, &bytes)?;
        }
        progress.tick();
        Ok(())
    })?;
    assemble(dir, &run.config)?;
    Ok(todo.len())
}
