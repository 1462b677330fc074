//! `indus._native`: the thin layer between Python and the indus library.
//!
//! It owns three things and nothing else: turning Python arguments into
//! the library's options, moving tables across the boundary as Arrow C
//! streams (the PyCapsule interface: `__arrow_c_stream__`, no CSV and no
//! per-row Python object), and turning the library's errors into Python
//! exceptions. The engine, its checks and its writers are the library's.
//! `python/indus/__init__.py` gives these calls their documented shape.

use std::ffi::CString;
use std::path::PathBuf;

use chrono::NaiveDate;
use indus::ingest::{DialectChoice, InputKind};
use indus::run::{Computed, InputOptions, RunOptions};
use polars::prelude::*;
use polars_arrow::array::{Array, StructArray};
use polars_arrow::datatypes::{ArrowDataType, Field as ArrowField};
use polars_arrow::ffi::{export_iterator, ArrowArrayStream, ArrowArrayStreamReader};
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyDict};

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

const STREAM: &std::ffi::CStr = c"arrow_array_stream";

/// One output table, handed to Python as an Arrow C stream (any consumer
/// of the PyCapsule interface reads it: polars, pyarrow, DuckDB).
#[pyclass(module = "indus._native", frozen)]
struct Frame {
    df: DataFrame,
}

#[pymethods]
impl Frame {
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        // The schema is the documented one; a consumer asking for another casts on its side.
        let _ = requested_schema;
        let stream = export_frame(&self.df);
        PyCapsule::new(py, stream, Some(CString::from(STREAM)))
    }

    fn __len__(&self) -> usize {
        self.df.height()
    }
}

/// A frame as an Arrow C stream of struct arrays, one per chunk.
fn export_frame(df: &DataFrame) -> ArrowArrayStream {
    let mut df = df.clone();
    // One chunk boundary for every column (iter_chunks needs it).
    df.align_chunks();
    let fields: Vec<ArrowField> = df.schema().iter_fields().map(|f| f.to_arrow(CompatLevel::newest())).collect();
    let dtype = ArrowDataType::Struct(fields);
    let height = df.height();
    let batches: Vec<PolarsResult<Box<dyn Array>>> = if height == 0 {
        Vec::new()
    } else {
        df.iter_chunks(CompatLevel::newest(), false)
            .map(|rb| {
                let len = rb.height();
                Ok(StructArray::new(dtype.clone(), len, rb.into_arrays(), None).boxed())
            })
            .collect()
    };
    export_iterator(Box::new(batches.into_iter()), ArrowField::new("".into(), dtype, false))
}

/// A Python table (anything with `__arrow_c_stream__`: a polars or pandas
/// frame, a pyarrow table) as a polars frame, without copying its values
/// into Python objects.
fn import_frame(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<DataFrame> {
    let capsule = obj.call_method0("__arrow_c_stream__").map_err(|_| {
        NativeError::new_err((
            format!("the `{what}` table is not a table (no Arrow stream: give a polars or pandas DataFrame or a pyarrow Table)"),
            2,
            py_none(obj.py()),
        ))
    })?;
    let capsule = capsule.cast::<PyCapsule>()?;
    let ptr = capsule.pointer_checked(Some(STREAM))?.as_ptr() as *mut ArrowArrayStream;
    // SAFETY: the capsule holds an ArrowArrayStream (its name says so); the
    // stream is moved out and the capsule's copy marked released, as the
    // PyCapsule interface asks of a consumer.
    let stream = unsafe { std::ptr::replace(ptr, ArrowArrayStream::empty()) };
    let bad = |e: PolarsError| NativeError::new_err((format!("the `{what}` table: {e}"), 2, py_none(obj.py())));
    let mut reader = unsafe { ArrowArrayStreamReader::try_new(Box::new(stream)) }.map_err(bad)?;
    let ArrowDataType::Struct(fields) = reader.field().dtype().clone() else {
        return Err(bad(polars_err!(ComputeError: "its Arrow stream is not of records")));
    };
    let mut columns: Vec<Vec<Box<dyn Array>>> = vec![Vec::new(); fields.len()];
    while let Some(batch) = unsafe { reader.next() } {
        let batch = batch.map_err(bad)?;
        let s = batch
            .as_any()
            .downcast_ref::<StructArray>()
            .ok_or_else(|| bad(polars_err!(ComputeError: "its Arrow stream is not of records")))?;
        for (c, v) in columns.iter_mut().zip(s.values()) {
            c.push(v.clone());
        }
    }
    let cols = fields
        .iter()
        .zip(columns)
        .map(|(f, chunks)| {
            let s = if chunks.is_empty() {
                Series::new_empty(f.name.clone(), &DataType::from_arrow_field(f))
            } else {
                Series::try_from((f.name.clone(), chunks))?
            };
            Ok(s.into_column())
        })
        .collect::<PolarsResult<Vec<Column>>>()
        .map_err(bad)?;
    DataFrame::new_infer_height(cols).map_err(bad)
}

fn py_none(py: Python<'_>) -> Py<PyAny> {
    py.None()
}

/// A library error as `NativeError(message, exit_code, rejects)`; the
/// rejects (a [`Frame`]) when the error is a file's reject rate.
fn to_py(py: Python<'_>, e: indus::Error) -> PyErr {
    let rejects = match &e {
        indus::Error::TooManyRejects { rejects, .. } => match indus::frames::rejects_frame(rejects) {
            Ok(df) => Py::new(py, Frame { df }).map(|f| f.into_any()).unwrap_or_else(|_| py.None()),
            Err(_) => py.None(),
        },
        _ => py.None(),
    };
    NativeError::new_err((e.to_string(), e.exit_code(), rejects))
}

fn usage(py: Python<'_>, message: String) -> PyErr {
    NativeError::new_err((message, 2, py.None()))
}

/// The inputs: a folder, or a dict of tables by kind.
fn input_options(
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

fn parse_date(py: Python<'_>, s: &str) -> PyResult<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| usage(py, format!("as_of `{s}` is not a date (YYYY-MM-DD)")))
}

/// A computed run, kept in memory: its frames on demand, its folder on `write`.
#[pyclass(module = "indus._native", frozen)]
struct Run {
    /// Always `Some` until dropped.
    computed: Option<Computed>,
    opts: RunOptions,
}

impl Run {
    fn computed(&self) -> &Computed {
        self.computed.as_ref().expect("a run's result is there until it is dropped")
    }
}

impl Drop for Run {
    /// A million seekers' records take half a second to free one by one
    /// (the CLI leaves them to the kernel at exit): freed on a thread of
    /// their own, so that dropping a run (or leaving Python) does not wait.
    fn drop(&mut self) {
        if let Some(c) = self.computed.take() {
            std::thread::spawn(move || drop(c));
        }
    }
}

#[pymethods]
impl Run {
    /// Every output as (name, Frame), in the folder's order.
    fn frames(&self, py: Python<'_>) -> PyResult<Vec<(String, Py<Frame>)>> {
        let frames = indus::frames::output_frames(self.computed()).map_err(|e| usage(py, e.to_string()))?;
        frames.into_iter().map(|(name, df)| Ok((name.to_string(), Py::new(py, Frame { df })?))).collect()
    }

    /// Writes the run folder `indus run --out DIR` writes; returns the manifest as JSON.
    fn write(&self, py: Python<'_>, out: PathBuf) -> PyResult<String> {
        let mut opts = self.opts.clone();
        opts.out = out;
        let computed = self.computed();
        let m = py.detach(|| indus::run::write_run(computed, &opts)).map_err(|e| to_py(py, e))?;
        Ok(serde_json::to_string_pretty(&m).expect("a manifest serializes") + "\n")
    }

    fn warnings(&self) -> Vec<String> {
        indus::run::warnings_of(self.computed())
    }
}

#[allow(clippy::too_many_arguments)]
#[pyfunction]
#[pyo3(signature = (input, tables, as_of, rules, previous, months, dialect, max_reject_rate, max_withdrawal_rate, allow_empty))]
fn run(
    py: Python<'_>,
    input: Option<PathBuf>,
    tables: Option<Bound<'_, PyDict>>,
    as_of: &str,
    rules: Option<PathBuf>,
    previous: Option<PathBuf>,
    months: Option<String>,
    dialect: &str,
    max_reject_rate: f64,
    max_withdrawal_rate: f64,
    allow_empty: bool,
) -> PyResult<Run> {
    let opts = RunOptions {
        inputs: input_options(py, input, tables.as_ref(), dialect)?,
        out: PathBuf::new(),
        as_of: parse_date(py, as_of)?,
        rules,
        months,
        max_reject_rate,
        previous,
        max_withdrawal_rate,
        allow_empty,
        progress: false,
        shard: None,
        memory_limit: None,
    };
    let computed = py.detach(|| indus::run::compute(&opts)).map_err(|e| to_py(py, e))?;
    Ok(Run { computed: Some(computed), opts })
}

#[allow(clippy::too_many_arguments)]
#[pyfunction]
#[pyo3(signature = (input, tables, seeker, month, as_of, rules, previous, dialect))]
fn explain(
    py: Python<'_>,
    input: Option<PathBuf>,
    tables: Option<Bound<'_, PyDict>>,
    seeker: &str,
    month: &str,
    as_of: &str,
    rules: Option<PathBuf>,
    previous: Option<PathBuf>,
    dialect: &str,
) -> PyResult<String> {
    let inputs = input_options(py, input, tables.as_ref(), dialect)?;
    let as_of = parse_date(py, as_of)?;
    let month = indus::model::Month::parse(month)
        .ok_or_else(|| usage(py, format!("month `{month}` is not a month (YYYY-MM)")))?;
    let x = py
        .detach(|| -> indus::Result<indus::explain::Explanation> {
            // As `indus explain`: a reject rate never stops an explanation.
            let p = indus::run::prepare(&inputs, as_of, rules.as_deref(), 1.0, None, &mut Default::default())?;
            let previous = match &previous {
                Some(dir) => Some(indus::previous::load(dir, &p.rules.id, as_of)?),
                None => None,
            };
            indus::explain::explain(&p, seeker, month, previous.as_ref())
        })
        .map_err(|e| to_py(py, e))?;
    Ok(serde_json::to_string_pretty(&x).expect("an explanation serializes"))
}

// ---- The cluster run's steps (indus.spark): see indus::bucket. ----

/// The options a cluster run's steps share, as `indus/spark.py` sends them.
#[derive(serde::Deserialize)]
struct ClusterOptions {
    input: Option<PathBuf>,
    as_of: String,
    rules: Option<PathBuf>,
    previous: Option<PathBuf>,
    months: Option<String>,
    dialect: String,
    max_reject_rate: f64,
    max_withdrawal_rate: f64,
    allow_empty: bool,
}

fn cluster_options(py: Python<'_>, json: &str, out: PathBuf) -> PyResult<RunOptions> {
    let o: ClusterOptions = serde_json::from_str(json).map_err(|e| usage(py, format!("indus.spark options: {e}")))?;
    Ok(RunOptions {
        inputs: input_options(py, o.input, None, &o.dialect)?,
        out,
        as_of: parse_date(py, &o.as_of)?,
        rules: o.rules,
        months: o.months,
        max_reject_rate: o.max_reject_rate,
        previous: o.previous,
        max_withdrawal_rate: o.max_withdrawal_rate,
        allow_empty: o.allow_empty,
        progress: false,
        shard: None,
        memory_limit: None,
    })
}

/// An input's facts and header line, as the scan hands them to the driver.
#[derive(serde::Serialize, serde::Deserialize)]
struct Facts {
    kind: String,
    path: PathBuf,
    sha256: String,
    empty_lines: Vec<u64>,
    header: String,
    /// The lines that repeat an earlier id of the file.
    repeats: Vec<u64>,
}

impl Facts {
    fn to_lib(&self, py: Python<'_>) -> PyResult<indus::bucket::FileFacts> {
        let kind = InputKind::parse(&self.kind).ok_or_else(|| usage(py, format!("`{}` is not an input", self.kind)))?;
        Ok(indus::bucket::FileFacts {
            kind,
            path: self.path.clone(),
            sha256: self.sha256.clone(),
            empty_lines: self.empty_lines.clone(),
        })
    }
}

fn parse_json<T: serde::de::DeserializeOwned>(py: Python<'_>, what: &str, json: &str) -> PyResult<T> {
    serde_json::from_str(json).map_err(|e| usage(py, format!("indus.spark {what}: {e}")))
}

/// The inputs of a folder: (kind, path) of each, as `indus run --input` finds them.
#[pyfunction]
fn locate(py: Python<'_>, input: PathBuf) -> PyResult<Vec<(String, String)>> {
    let opts = InputOptions { input: Some(input), ..Default::default() };
    let found = opts.locate().map_err(|e| to_py(py, e))?;
    Ok(found.into_iter().map(|(k, p)| (k.name().to_string(), p.display().to_string())).collect())
}

/// Reads one CSV input: (its records as a Frame of kind, bucket, line and
/// text; its facts as JSON, the lines that repeat an earlier id included).
#[pyfunction]
fn scan(py: Python<'_>, kind: &str, path: PathBuf, options: &str, buckets: u32) -> PyResult<(Frame, String)> {
    let k = InputKind::parse(kind).ok_or_else(|| usage(py, format!("`{kind}` is not an input")))?;
    let opts = cluster_options(py, options, PathBuf::new())?;
    let s = py.detach(|| indus::bucket::scan(k, &path, &opts, buckets)).map_err(|e| to_py(py, e))?;
    let n = s.records.len();
    let build = || -> PolarsResult<DataFrame> {
        let text: BinaryChunked = s.records.iter().map(|r| Some(&s.text[r.text.clone()])).collect();
        DataFrame::new_infer_height(vec![
            Column::new_scalar("kind".into(), Scalar::from(PlSmallStr::from(kind)), n),
            Column::new("bucket".into(), s.records.iter().map(|r| r.bucket as i32).collect::<Vec<i32>>()),
            Column::new("line".into(), s.records.iter().map(|r| r.line as i64).collect::<Vec<i64>>()),
            text.with_name("text".into()).into_column(),
        ])
    };
    let df = build().map_err(|e| usage(py, e.to_string()))?;
    let facts = Facts {
        kind: kind.to_string(),
        path: s.facts.path.clone(),
        sha256: s.facts.sha256.clone(),
        empty_lines: s.facts.empty_lines.clone(),
        header: String::from_utf8_lossy(&s.header).into_owned(),
        repeats: s.repeats.clone(),
    };
    Ok((Frame { df }, serde_json::to_string(&facts).expect("facts serialize")))
}

/// Reconciles one bucket (`records`: a table of kind, line and text) into `dir`.
#[pyfunction]
fn reconcile_bucket(
    py: Python<'_>,
    records: &Bound<'_, PyAny>,
    facts: &str,
    options: &str,
    dir: PathBuf,
) -> PyResult<()> {
    let facts: Vec<Facts> = parse_json(py, "facts", facts)?;
    let opts = cluster_options(py, options, PathBuf::new())?;
    let df = import_frame(records, "bucket")?;
    let col = |name: &str| df.column(name).map_err(|e| usage(py, e.to_string()));
    let (kinds, lines, texts) = (col("kind")?, col("line")?, col("text")?);
    let bad = |e: PolarsError| usage(py, format!("a bucket's records: {e}"));
    let (kinds, lines, texts) = (kinds.str().map_err(bad)?, lines.i64().map_err(bad)?, texts.binary().map_err(bad)?);
    let mut inputs: Vec<indus::bucket::BucketInput> = Vec::new();
    for f in &facts {
        inputs.push(indus::bucket::BucketInput {
            facts: f.to_lib(py)?,
            header: f.header.clone().into_bytes(),
            records: Vec::new(),
        });
    }
    for ((k, l), t) in kinds.iter().zip(lines.iter()).zip(texts.iter()) {
        let (Some(k), Some(l), Some(t)) = (k, l, t) else { continue };
        let i = facts.iter().position(|f| f.kind == k).ok_or_else(|| usage(py, format!("`{k}` has no scan")))?;
        inputs[i].records.push((l as u64, t.to_vec()));
    }
    let mut by_kind = std::collections::BTreeMap::new();
    for (f, i) in facts.iter().zip(&inputs) {
        by_kind.insert(i.facts.kind, f.repeats.iter().copied().collect());
    }
    py.detach(|| indus::bucket::reconcile(inputs, &by_kind, &opts, &dir)).map_err(|e| to_py(py, e))
}

/// Merges the buckets' folders into `out`; returns the manifest as JSON.
#[pyfunction]
fn merge_buckets(py: Python<'_>, facts: &str, dirs: Vec<PathBuf>, options: &str, out: PathBuf) -> PyResult<String> {
    let facts: Vec<Facts> = parse_json(py, "facts", facts)?;
    let files = facts.iter().map(|f| f.to_lib(py)).collect::<PyResult<Vec<_>>>()?;
    let opts = cluster_options(py, options, out)?;
    let m = py.detach(|| indus::bucket::merge(&files, &dirs, &opts)).map_err(|e| to_py(py, e))?;
    Ok(serde_json::to_string_pretty(&m).expect("a manifest serializes") + "\n")
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Frame>()?;
    m.add_class::<Run>()?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(explain, m)?)?;
    m.add_function(wrap_pyfunction!(locate, m)?)?;
    m.add_function(wrap_pyfunction!(scan, m)?)?;
    m.add_function(wrap_pyfunction!(reconcile_bucket, m)?)?;
    m.add_function(wrap_pyfunction!(merge_buckets, m)?)?;
    m.add("NativeError", m.py().get_type::<NativeError>())?;
    m.add("DEFAULT_MAX_WITHDRAWAL_RATE", indus::run::DEFAULT_MAX_WITHDRAWAL_RATE)?;
    Ok(())
}
