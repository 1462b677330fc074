//! `indus._native`: the thin layer between Python and the indus library.
//!
//! It owns three things and nothing else: turning Python arguments into
//! the library's options, moving tables across the boundary as Arrow C
//! streams (the PyCapsule interface: `__arrow_c_stream__`, no CSV and no
//! per-row Python object), and turning the library's errors into Python
//! exceptions. The engine, its checks and its writers are the library's.
//! `python/indus/__init__.py` gives these calls their documented shape.
//!
//! ```text
//! arrow.rs    tables in and out as Arrow C streams
//! run.rs      indus.run (a run kept in memory) and indus.explain
//! cluster.rs  the steps of indus.spark (indus::bucket)
//! lib.rs      errors, options, the module
//! ```

use std::path::PathBuf;

use chrono::NaiveDate;
use indus::ingest::{DialectChoice, InputKind};
use indus::run::{InputOptions, RunOptions};
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyDict;

mod arrow;
mod cluster;
mod run;

use arrow::{import_frame, Frame};

/// The engine allocates through mimalloc, whatever else the Python process
/// loads: Python's polars brings jemalloc, and with it the engine's peak on
/// the 1M month went from 1.07 to 1.66 GB (the memory freed between stages
/// is kept rather than reused).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pyo3::create_exception!(
    _native,
    NativeError,
    PyException,
    "An indus error: args are (message, exit_code, rejects or None)."
);

/// A library error as `NativeError(message, exit_code, rejects)`; the
/// rejects (a [`Frame`]) when the error is a file's reject rate.
pub(crate) fn to_py(py: Python<'_>, e: indus::Error) -> PyErr {
    let rejects = match &e {
        indus::Error::TooManyRejects { rejects, .. } => match indus::frames::rejects_frame(rejects) {
            Ok(df) => Py::new(py, Frame { df }).map(|f| f.into_any()).unwrap_or_else(|_| py.None()),
            Err(_) => py.None(),
        },
        _ => py.None(),
    };
    NativeError::new_err((e.to_string(), e.exit_code(), rejects))
}

pub(crate) fn usage(py: Python<'_>, message: String) -> PyErr {
    NativeError::new_err((message, 2, py.None()))
}

/// The inputs: a folder, or a dict of tables by kind.
pub(crate) fn input_options(
    py: Python<'_>,
    input: Option<PathBuf>,
    tables: Option<&Bound<'_, PyDict>>,
    dialect: &str,
) -> PyResult<InputOptions> {
    let dialect = match dialect {
        "auto" => DialectChoice::Auto,
        "intl" => DialectChoice::Intl,
        "fr" => DialectChoice::Fr,
        other => return Err(usage(py, format!("dialect `{other}` is not one of auto, intl, fr"))),
    };
    let mut opts = InputOptions { input, dialect, ..Default::default() };
    if let Some(tables) = tables {
        for (k, v) in tables.iter() {
            let name: String = k.extract()?;
            let kind = InputKind::parse(&name).ok_or_else(|| {
                usage(
                    py,
                    format!("`{name}` is not an input: the tables are rights, declarations, attestations, ledger and decisions"),
                )
            })?;
            opts.tables.push((kind, import_frame(&v, &name)?));
        }
    }
    Ok(opts)
}

/// A run's options from Python: `indus.run`'s arguments, or what
/// `indus.spark` sends its tasks as JSON.
#[derive(serde::Deserialize)]
pub(crate) struct Options {
    pub(crate) input: Option<PathBuf>,
    pub(crate) as_of: String,
    pub(crate) rules: Option<PathBuf>,
    pub(crate) previous: Option<PathBuf>,
    pub(crate) months: Option<String>,
    pub(crate) dialect: String,
    pub(crate) max_reject_rate: f64,
    pub(crate) max_withdrawal_rate: f64,
    pub(crate) allow_empty: bool,
}

impl Options {
    /// The library's options, the inputs being the folder or `tables`.
    pub(crate) fn run_options(
        self,
        py: Python<'_>,
        tables: Option<&Bound<'_, PyDict>>,
        out: PathBuf,
    ) -> PyResult<RunOptions> {
        Ok(RunOptions {
            inputs: input_options(py, self.input, tables, &self.dialect)?,
            out,
            as_of: parse_date(py, &self.as_of)?,
            rules: self.rules,
            months: self.months,
            max_reject_rate: self.max_reject_rate,
            previous: self.previous,
            max_withdrawal_rate: self.max_withdrawal_rate,
            allow_empty: self.allow_empty,
            progress: false,
            shard: None,
            memory_limit: None,
            partitions: None,
            // Analysts' runs: every file (the report reads the entitlements).
            outputs: indus::OutputSet::All,
        })
    }
}

pub(crate) fn parse_date(py: Python<'_>, s: &str) -> PyResult<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| usage(py, format!("as_of `{s}` is not a date (YYYY-MM-DD)")))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Frame>()?;
    m.add_class::<run::Run>()?;
    m.add_class::<cluster::ScanStream>()?;
    m.add_function(wrap_pyfunction!(run::run, m)?)?;
    m.add_function(wrap_pyfunction!(run::explain, m)?)?;
    m.add_function(wrap_pyfunction!(cluster::locate, m)?)?;
    m.add_function(wrap_pyfunction!(cluster::scan, m)?)?;
    m.add_function(wrap_pyfunction!(cluster::reconcile_bucket, m)?)?;
    m.add_function(wrap_pyfunction!(cluster::merge_buckets, m)?)?;
    m.add("NativeError", m.py().get_type::<NativeError>())?;
    m.add("DEFAULT_MAX_WITHDRAWAL_RATE", indus::run::DEFAULT_MAX_WITHDRAWAL_RATE)?;
    Ok(())
}
