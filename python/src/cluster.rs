//! The cluster run's steps, as `indus.spark` calls them (see
//! `indus::bucket`): locate, scan, reconcile a bucket, merge the buckets.
//! Options and facts travel as JSON: the driver hands them to every task.

use std::path::PathBuf;

use indus::ingest::InputKind;
use indus::run::{InputOptions, RunOptions};
use polars::prelude::*;
use pyo3::prelude::*;

use crate::arrow::{import_frame, Frame};
use crate::{to_py, usage, Options};

/// The options `indus/spark.py` sends every step, as JSON.
fn cluster_options(py: Python<'_>, json: &str, out: PathBuf) -> PyResult<RunOptions> {
    let o: Options = serde_json::from_str(json).map_err(|e| usage(py, format!("indus.spark options: {e}")))?;
    o.run_options(py, None, out)
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
pub(crate) fn locate(py: Python<'_>, input: PathBuf) -> PyResult<Vec<(String, String)>> {
    let opts = InputOptions { input: Some(input), ..Default::default() };
    let found = opts.locate().map_err(|e| to_py(py, e))?;
    Ok(found.into_iter().map(|(k, p)| (k.name().to_string(), p.display().to_string())).collect())
}

/// Starts reading one input on a thread of its own: an iterator of Frames
/// of kind, bucket, line and text, `chunk` records at a time (the file is
/// never held), then its facts as JSON ([`ScanStream::facts`]).
#[pyfunction]
pub(crate) fn scan(
    py: Python<'_>,
    kind: &str,
    path: PathBuf,
    options: &str,
    buckets: u32,
    chunk: usize,
) -> PyResult<ScanStream> {
    let k = InputKind::parse(kind).ok_or_else(|| usage(py, format!("`{kind}` is not an input")))?;
    let opts = cluster_options(py, options, PathBuf::new())?;
    // Two chunks in flight: the reader runs ahead of Spark by one.
    let (tx, rx) = std::sync::mpsc::sync_channel::<indus::bucket::ScanChunk>(1);
    let handle = std::thread::spawn(move || {
        indus::bucket::scan(k, &path, &opts, buckets, chunk, |c| {
            tx.send(c).map_err(|_| indus::Error::Usage("the scan was abandoned".into()))
        })
    });
    Ok(ScanStream {
        kind: kind.to_string(),
        rx: std::sync::Mutex::new(Some(rx)),
        handle: std::sync::Mutex::new(Some(handle)),
        facts: std::sync::Mutex::new(None),
    })
}

type ScanThread = std::thread::JoinHandle<indus::Result<indus::bucket::ScanEnd>>;

/// A scan under way (see [`scan`]).
#[pyclass(module = "indus._native", frozen)]
pub(crate) struct ScanStream {
    kind: String,
    rx: std::sync::Mutex<Option<std::sync::mpsc::Receiver<indus::bucket::ScanChunk>>>,
    handle: std::sync::Mutex<Option<ScanThread>>,
    facts: std::sync::Mutex<Option<String>>,
}

#[pymethods]
impl ScanStream {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// The next chunk of records; at the end, the scan's error if it failed.
    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Frame>> {
        // The receiver is taken out while waiting (without the GIL), then put back.
        let Some(rx) = self.rx.lock().expect("not poisoned").take() else { return Ok(None) };
        let (rx, chunk) = py.detach(move || {
            let chunk = rx.recv().ok();
            (rx, chunk)
        });
        *self.rx.lock().expect("not poisoned") = Some(rx);
        match chunk {
            Some(c) => Ok(Some(Frame { df: chunk_frame(&self.kind, &c).map_err(|e| usage(py, e.to_string()))? })),
            None => {
                // The reader is done: its end, or its error.
                self.rx.lock().expect("not poisoned").take();
                let handle = self.handle.lock().expect("not poisoned").take();
                let Some(handle) = handle else { return Ok(None) };
                let end = py.detach(|| handle.join()).map_err(|_| usage(py, "the scan stopped unexpectedly".into()))?;
                let end = end.map_err(|e| to_py(py, e))?;
                let facts = Facts {
                    kind: self.kind.clone(),
                    path: end.facts.path.clone(),
                    sha256: end.facts.sha256.clone(),
                    empty_lines: end.facts.empty_lines.clone(),
                    header: String::from_utf8_lossy(&end.header).into_owned(),
                    repeats: end.repeats,
                };
                *self.facts.lock().expect("not poisoned") =
                    Some(serde_json::to_string(&facts).expect("facts serialize"));
                Ok(None)
            }
        }
    }

    /// The input's facts as JSON, once every chunk was read.
    fn facts(&self, py: Python<'_>) -> PyResult<String> {
        let facts = self.facts.lock().expect("not poisoned").clone();
        facts.ok_or_else(|| usage(py, "the scan is not finished: read every chunk first".into()))
    }
}

/// A chunk of records as a frame of kind, bucket, line and text.
fn chunk_frame(kind: &str, c: &indus::bucket::ScanChunk) -> PolarsResult<DataFrame> {
    let n = c.records.len();
    let text: BinaryChunked = c.records.iter().map(|r| Some(&c.text[r.text.clone()])).collect();
    DataFrame::new_infer_height(vec![
        Column::new_scalar("kind".into(), Scalar::from(PlSmallStr::from(kind)), n),
        Column::new("bucket".into(), c.records.iter().map(|r| r.bucket as i32).collect::<Vec<i32>>()),
        Column::new("line".into(), c.records.iter().map(|r| r.line as i64).collect::<Vec<i64>>()),
        text.with_name("text".into()).into_column(),
    ])
}

/// Reconciles one bucket (`records`: a table of kind, line and text) into `dir`.
#[pyfunction]
pub(crate) fn reconcile_bucket(
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
pub(crate) fn merge_buckets(
    py: Python<'_>,
    facts: &str,
    dirs: Vec<PathBuf>,
    options: &str,
    out: PathBuf,
) -> PyResult<String> {
    let facts: Vec<Facts> = parse_json(py, "facts", facts)?;
    let files = facts.iter().map(|f| f.to_lib(py)).collect::<PyResult<Vec<_>>>()?;
    let opts = cluster_options(py, options, out)?;
    let m = py.detach(|| indus::bucket::merge(&files, &dirs, &opts)).map_err(|e| to_py(py, e))?;
    Ok(serde_json::to_string_pretty(&m).expect("a manifest serializes") + "\n")
}
