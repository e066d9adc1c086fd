//! The `sacsim._sacsim` extension module: the Rust library behind the
//! `sacsim` Python package (`python/sacsim/`). Functions take and return
//! plain values (text, numbers); the Python layer turns them into
//! `ase.Atoms` and numpy arrays. The GIL is released while Rust works.

use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use sacsim::ImageFrame;
use sacsim::config::{AcquisitionConfig, DetectConfig, ImagingConfig};
use sacsim::io::Format;
use sacsim::io::incar::Magmoms;
use sacsim::model::{BuildRequest, DEFAULT_A, DEFAULT_MN3_DISTANCE, DEFAULT_VACUUM, build_model};
use sacsim::structure::Element;

/// A sacsim error as the Python exception a user expects: invalid input
/// -> ValueError, files -> OSError; the message is the CLI's.
fn py_error(e: sacsim::Error) -> PyErr {
    let text = e.to_string();
    match e {
        sacsim::Error::Io { .. } => PyOSError::new_err(text),
        _ => PyValueError::new_err(text),
    }
}

/// The extended XYZ text and the resolved parameters (JSON) of the model
/// `sacsim build NAME [flags]` makes: `name` a preset or a motif, the
/// keywords its flags (strings parsed as the CLI parses them). The XYZ
/// carries the initial moments of INCAR.magmom (`magmom` overrides,
/// element -> µB): the bytes `sacsim build --format xyz` writes.
#[pyfunction]
#[pyo3(signature = (name, metals=Vec::new(), cell=None, rect=None, vacuum=DEFAULT_VACUUM,
    a=DEFAULT_A, orientation=0, mn3_distance=DEFAULT_MN3_DISTANCE, fix_beyond=None,
    free_shells=None, magmom=Vec::new(), allow_small=false, adsorbate=None,
    adsorbate_height=None, adsorbate_rotation=0.0, model_name=None))]
#[allow(clippy::too_many_arguments)]
fn build_xyz(
    py: Python<'_>,
    name: &str,
    metals: Vec<String>,
    cell: Option<(usize, usize)>,
    rect: Option<(usize, usize)>,
    vacuum: f64,
    a: f64,
    orientation: u8,
    mn3_distance: f64,
    fix_beyond: Option<f64>,
    free_shells: Option<usize>,
    magmom: Vec<(String, f64)>,
    allow_small: bool,
    adsorbate: Option<String>,
    adsorbate_height: Option<f64>,
    adsorbate_rotation: f64,
    model_name: Option<String>,
) -> PyResult<(String, String)> {
    let name = name.to_string();
    py.detach(move || -> sacsim::Result<(String, String)> {
        let mut request = BuildRequest::named(&name)?;
        request.metals = metals
            .iter()
            .map(|m| Element::from_symbol(m))
            .collect::<sacsim::Result<_>>()?;
        request.cell = cell.map(|(n, m)| [n, m]);
        request.rect = rect.map(|(n, m)| [n, m]);
        request.vacuum = vacuum;
        request.a = a;
        request.orientation = orientation;
        request.mn3_distance = mn3_distance;
        request.fix_beyond = fix_beyond;
        request.free_shells = free_shells;
        request.allow_small = allow_small;
        request.adsorbate = adsorbate.as_deref().map(str::parse).transpose()?;
        request.adsorbate_height = adsorbate_height;
        request.adsorbate_rotation = adsorbate_rotation;
        request.name = model_name;
        let mut moments = Magmoms::default();
        for (symbol, mu_b) in &magmom {
            moments
                .overrides
                .insert(Element::from_symbol(symbol)?, *mu_b);
        }
        let spec = request.spec()?;
        let model = build_model(&spec)?;
        let params = serde_json::to_string(&spec).expect("a model spec serialises");
        Ok((
            sacsim::io::xyz::to_string_with(&model.structure, Some(&moments)),
            params,
        ))
    })
    .map_err(py_error)
}

/// Pixels as float32 little-endian bytes (numpy.frombuffer "<f4").
fn f32_bytes(py: Python<'_>, data: &[f32]) -> Py<PyBytes> {
    let bytes: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
    PyBytes::new(py, &bytes).unbind()
}

/// The image of `structure` as `sacsim simulate` makes it, with the
/// `[imaging]` and `[acquisition]` tables (TOML text; the keys of the
/// study and dataset configurations): (float32 little-endian bytes,
/// nx, ny, pixel (x, y) Å, origin (x, y) Å, atoms.csv's text).
#[allow(clippy::type_complexity)]
fn simulate_structure(
    py: Python<'_>,
    structure: impl FnOnce() -> sacsim::Result<sacsim::Structure> + Send,
    imaging: &str,
    acquisition: &str,
) -> PyResult<(Py<PyBytes>, usize, usize, (f64, f64), (f64, f64), String)> {
    let invalid = |what: &str, e: toml::de::Error| {
        PyValueError::new_err(format!("invalid {what}: {}", e.message()))
    };
    let imaging: ImagingConfig = toml::from_str(imaging).map_err(|e| invalid("imaging", e))?;
    let acquisition: AcquisitionConfig =
        toml::from_str(acquisition).map_err(|e| invalid("acquisition", e))?;
    let (sim, truth) = py
        .detach(move || -> sacsim::Result<_> {
            let structure = structure()?;
            let optics = imaging.imaging()?;
            acquisition.validate()?;
            let model = imaging.image_model(acquisition.seed)?;
            let sim = sacsim::stem::acquire_with(
                &*model,
                &structure,
                &optics,
                &imaging.scan(),
                &acquisition,
            )?;
            let truth =
                sacsim::output::simulate::imaged_truth(&structure, &sim, &imaging, &acquisition);
            Ok((sim, sacsim::stem::truth::truth_csv(&truth)))
        })
        .map_err(py_error)?;
    let f = sim.image.frame;
    Ok((
        f32_bytes(py, &sim.image.data),
        f.nx(),
        f.ny(),
        (f.pixel[0], f.pixel[1]),
        (f.origin[0], f.origin[1]),
        truth,
    ))
}

/// [`simulate_structure`] of an extended-XYZ text (a `Sample`'s
/// sample.xyz).
#[pyfunction]
#[allow(clippy::type_complexity)]
fn simulate_xyz(
    py: Python<'_>,
    xyz: &str,
    imaging: &str,
    acquisition: &str,
) -> PyResult<(Py<PyBytes>, usize, usize, (f64, f64), (f64, f64), String)> {
    let xyz = xyz.to_string();
    simulate_structure(
        py,
        move || sacsim::io::xyz::parse(&xyz, std::path::Path::new("<sample>")),
        imaging,
        acquisition,
    )
}

/// [`simulate_structure`] of an `ase.Atoms`' arrays: atomic numbers,
/// Cartesian positions (Å), cell vectors (Å, rows), pbc, tags (site ids).
#[pyfunction]
#[allow(clippy::type_complexity, clippy::too_many_arguments)]
fn simulate_atoms(
    py: Python<'_>,
    numbers: Vec<u32>,
    positions: Vec<[f64; 3]>,
    cell: [[f64; 3]; 3],
    pbc: [bool; 3],
    tags: Vec<u32>,
    imaging: &str,
    acquisition: &str,
) -> PyResult<(Py<PyBytes>, usize, usize, (f64, f64), (f64, f64), String)> {
    if positions.len() != numbers.len() || tags.len() != numbers.len() {
        return Err(PyValueError::new_err(format!(
            "{} numbers, {} positions, {} tags: give one of each per atom",
            numbers.len(),
            positions.len(),
            tags.len()
        )));
    }
    simulate_structure(
        py,
        move || {
            let lattice = sacsim::Lattice::new(cell)?;
            let atoms = numbers
                .iter()
                .zip(&positions)
                .zip(&tags)
                .map(|((&z, p), &site)| {
                    let mut atom = sacsim::Atom::new(sacsim::Element::from_z(z)?, (*p).into());
                    atom.site = site;
                    Ok(atom)
                })
                .collect::<sacsim::Result<Vec<_>>>()?;
            Ok(sacsim::Structure {
                title: "atoms".into(),
                lattice,
                pbc,
                atoms,
            })
        },
        imaging,
        acquisition,
    )
}

/// Atoms in a float32 little-endian image of `nx` x `ny` pixels of `pixel`
/// Å from `origin`, as `sacsim detect` finds them: `method` "classical"
/// (with the `[detect]` table `config`, TOML text) or "net" (the shipped
/// model, `net_threshold` or its own level, `views` mirror views). The
/// result is detections.json's text.
#[pyfunction]
#[pyo3(signature = (data, nx, ny, pixel, origin, config, method, net_threshold=None, views=1))]
#[allow(clippy::too_many_arguments)]
fn detect_array(
    py: Python<'_>,
    data: &[u8],
    nx: usize,
    ny: usize,
    pixel: (f64, f64),
    origin: (f64, f64),
    config: &str,
    method: &str,
    net_threshold: Option<f32>,
    views: usize,
) -> PyResult<String> {
    if data.len() != 4 * nx * ny {
        return Err(PyValueError::new_err(format!(
            "{} bytes for {nx} x {ny} float32 pixels",
            data.len()
        )));
    }
    let config: DetectConfig = toml::from_str(config)
        .map_err(|e| PyValueError::new_err(format!("invalid detect settings: {}", e.message())))?;
    let image: Vec<f32> = data
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let frame = ImageFrame {
        origin: [origin.0, origin.1],
        pixel: [pixel.0, pixel.1],
        shape: [nx, ny],
    };
    let method = method.to_string();
    py.detach(move || -> sacsim::Result<String> {
        let result = match method.as_str() {
            "classical" => sacsim::analysis::detect::detect(&image, &frame, &config)?,
            "net" => {
                use sacsim::learn::infer::{NetDetector, SHIPPED_THRESHOLD};
                let net = NetDetector::shipped()?;
                let heat = net.heatmap_averaged(&image, &frame, views)?;
                let level = net_threshold.unwrap_or(SHIPPED_THRESHOLD);
                net.detect_in(&heat, &image, &frame, &config, level)?
            }
            other => {
                return Err(sacsim::Error::invalid(
                    "method",
                    format!("'{other}': give classical or net"),
                ));
            }
        };
        Ok(serde_json::to_string(&result).expect("serialise"))
    })
    .map_err(py_error)
}

/// Read an image file as `sacsim detect` reads it (TIFF of every width,
/// DM3/DM4, Velox EMD, npy, PNG, sacsim image directories) and place it:
/// `pixel` (Å) overrides the file's calibration; without either the image
/// is refused. Returns (float32 little-endian bytes, nx, ny, pixel (x, y),
/// origin (x, y), where the calibration came from, metadata pairs).
#[pyfunction]
#[pyo3(signature = (path, pixel=None))]
#[allow(clippy::type_complexity)]
fn read_image(
    py: Python<'_>,
    path: std::path::PathBuf,
    pixel: Option<(f64, f64)>,
) -> PyResult<(
    Py<PyBytes>,
    usize,
    usize,
    (f64, f64),
    (f64, f64),
    String,
    Vec<(String, String)>,
)> {
    let placed = py
        .detach(move || sacsim::output::image::load_image(&path, pixel.map(|(x, y)| [x, y]), None))
        .map_err(py_error)?;
    let f = placed.frame;
    Ok((
        f32_bytes(py, &placed.raster.data),
        f.nx(),
        f.ny(),
        (f.pixel[0], f.pixel[1]),
        (f.origin[0], f.origin[1]),
        placed.source,
        placed.raster.metadata,
    ))
}

/// A large sample as `sacsim sample` builds it, from the `[sample]` table
/// (TOML text, the study/dataset keys): (sample.xyz text, sites.csv text),
/// the bytes the CLI writes.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn sample_files(py: Python<'_>, config: &str) -> PyResult<(String, String, (f64, f64))> {
    let config: sacsim::config::SampleConfig = toml::from_str(config)
        .map_err(|e| PyValueError::new_err(format!("invalid sample settings: {}", e.message())))?;
    py.detach(move || -> sacsim::Result<_> {
        let sample = sacsim::model::sample::build_sample(&config.spec()?)?;
        let [bx, by] = sample.box_angstrom;
        Ok((
            Format::Xyz.render(&sample.structure),
            sacsim::output::sample::sites_csv(&sample.sites),
            (bx, by),
        ))
    })
    .map_err(py_error)
}

/// Pair statistics of projected points (x, y in Å) as `sacsim analyze`
/// computes them, in a periodic box (`periodic`, Å) or an open region
/// (`region` = x0, y0, width, height, Å), with the `[analyze]` table
/// `config` (TOML text): stats.json's text.
#[pyfunction]
#[pyo3(signature = (points, config, periodic=None, region=None, elements=None))]
fn analyze_points(
    py: Python<'_>,
    points: Vec<(f64, f64)>,
    config: &str,
    periodic: Option<(f64, f64)>,
    region: Option<(f64, f64, f64, f64)>,
    elements: Option<Vec<String>>,
) -> PyResult<String> {
    let elements: Vec<Option<sacsim::Element>> = match elements {
        Some(list) if list.len() == points.len() => list
            .iter()
            .map(|e| sacsim::Element::from_symbol(e).map(Some))
            .collect::<sacsim::Result<_>>()
            .map_err(py_error)?,
        Some(list) => {
            return Err(PyValueError::new_err(format!(
                "{} elements for {} points",
                list.len(),
                points.len()
            )));
        }
        None => vec![None; points.len()],
    };
    use sacsim::structure::{Positions, Region};
    let config: sacsim::config::AnalyzeConfig = toml::from_str(config)
        .map_err(|e| PyValueError::new_err(format!("invalid analyze settings: {}", e.message())))?;
    let region = match (periodic, region) {
        (Some((x, y)), None) => Region::Periodic { size: [x, y, 0.0] },
        (None, Some((x0, y0, w, h))) => Region::Open {
            origin: [x0, y0, 0.0],
            size: [w, h, 0.0],
        },
        _ => {
            return Err(PyValueError::new_err(
                "give the periodic box (box=(Lx, Ly), Å) or an open region (region=(x0, y0, w, h), Å), one of them",
            ));
        }
    };
    py.detach(move || -> sacsim::Result<String> {
        let positions = Positions {
            elements,
            points: points.iter().map(|&(x, y)| [x, y, 0.0]).collect(),
            region,
            dims: 2,
            source: "<points>".into(),
        };
        let (stats, _) = sacsim::analysis::pairstats::analyze_with_neighbours(&positions, &config)?;
        Ok(serde_json::to_string(&stats).expect("serialise"))
    })
    .map_err(py_error)
}

/// No progress output from Python.
struct Quiet;

impl sacsim::dataset::Progress for Quiet {
    fn tick(&self) {}
}

/// Write (or resume) a training set of `count` images into `out`, as
/// `sacsim dataset --count COUNT [--config F] -o OUT`, from the
/// configuration's TOML text (None: the built-in survey recipe). Returns
/// the number of images made by this call.
#[pyfunction]
#[pyo3(signature = (count, out, config=None, force=false))]
fn dataset_dir(
    py: Python<'_>,
    count: usize,
    out: std::path::PathBuf,
    config: Option<String>,
    force: bool,
) -> PyResult<usize> {
    py.detach(move || -> sacsim::Result<usize> {
        let config = match config {
            Some(text) => sacsim::dataset::config::DatasetConfig::from_toml(&text, "config")?,
            None => Default::default(),
        };
        let run = sacsim::dataset::Run {
            config,
            count,
            shard: Default::default(),
        };
        sacsim::dataset::generate(&run, &out, force, &Quiet)
    })
    .map_err(py_error)
}

/// Run a study (TOML text; None: the source paper's study) into `out`, as
/// `sacsim run [STUDY] -o OUT`; returns summary.json's text.
#[pyfunction]
#[pyo3(signature = (out, study=None))]
fn run_study_dir(
    py: Python<'_>,
    out: std::path::PathBuf,
    study: Option<String>,
) -> PyResult<String> {
    py.detach(move || -> sacsim::Result<String> {
        use sacsim::run::{DEFAULT_STUDY, Study, run_study};
        let study = match study {
            Some(text) => Study::from_toml(&text, "study")?,
            None => Study::from_toml(DEFAULT_STUDY, "the embedded study")?,
        };
        run_study(&study, &out)?;
        let summary = out.join("summary.json");
        std::fs::read_to_string(&summary).map_err(|e| sacsim::Error::io(&summary, e))
    })
    .map_err(py_error)
}

/// The extension module.
#[pymodule]
fn _sacsim(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(build_xyz, m)?)?;
    m.add_function(wrap_pyfunction!(simulate_xyz, m)?)?;
    m.add_function(wrap_pyfunction!(simulate_atoms, m)?)?;
    m.add_function(wrap_pyfunction!(detect_array, m)?)?;
    m.add_function(wrap_pyfunction!(read_image, m)?)?;
    m.add_function(wrap_pyfunction!(sample_files, m)?)?;
    m.add_function(wrap_pyfunction!(analyze_points, m)?)?;
    m.add_function(wrap_pyfunction!(dataset_dir, m)?)?;
    m.add_function(wrap_pyfunction!(run_study_dir, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("DEFAULT_VACUUM", DEFAULT_VACUUM)?;
    m.add("DEFAULT_A", DEFAULT_A)?;
    m.add("DEFAULT_MN3_DISTANCE", DEFAULT_MN3_DISTANCE)?;
    Ok(())
}
