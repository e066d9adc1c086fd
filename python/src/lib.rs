//! The `sacsim._sacsim` extension module: the Rust library behind the
//! `sacsim` Python package (`python/sacsim/`). Functions take and return
//! plain values (text, numbers); the Python layer turns them into
//! `ase.Atoms` and numpy arrays. The GIL is released while Rust works.

use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;

use sacsim::model::{ModelSpec, Preset, build_model};

/// A sacsim error as the Python exception a user expects: invalid input
/// -> ValueError, files -> OSError; the message is the CLI's.
fn py_error(e: sacsim::Error) -> PyErr {
    let text = e.to_string();
    match e {
        sacsim::Error::Io { .. } => PyOSError::new_err(text),
        _ => PyValueError::new_err(text),
    }
}

/// The extended XYZ text of a preset model (`name`, as `sacsim build
/// NAME`) on a `na` x `nb` cell with `vacuum` Å along c, and the initial
/// moments of INCAR.magmom: the bytes `sacsim build --format xyz` writes.
#[pyfunction]
#[pyo3(signature = (name, cell=None, vacuum=None))]
fn build_xyz(
    py: Python<'_>,
    name: &str,
    cell: Option<(usize, usize)>,
    vacuum: Option<f64>,
) -> PyResult<String> {
    let name = name.to_string();
    py.detach(move || -> sacsim::Result<String> {
        let mut spec = ModelSpec::from_preset(Preset::from_name(&name)?);
        if let Some((na, nb)) = cell {
            spec.cell = spec.cell.with_size(na, nb);
        }
        if let Some(v) = vacuum {
            spec.cell.vacuum = v;
        }
        let model = build_model(&spec)?;
        Ok(sacsim::io::xyz::to_string_with(
            &model.structure,
            Some(&Default::default()),
        ))
    })
    .map_err(py_error)
}

/// The extension module.
#[pymodule]
fn _sacsim(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(build_xyz, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
