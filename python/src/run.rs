//! `indus.run` and `indus.explain`: a run computed and kept in memory, its
//! frames and its folder on demand; one seeker-month's explanation.

use std::path::PathBuf;

use indus::run::{Computed, RunOptions};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::arrow::Frame;
use crate::{input_options, parse_date, to_py, usage, Options};

/// A computed run, kept in memory: its frames on demand, its folder on `write`.
#[pyclass(module = "indus._native", frozen)]
pub(crate) struct Run {
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
    /// One output as a Frame, built when asked for (the entitlements of a
    /// million seekers take most of a second; the findings a few ms).
    fn frame(&self, py: Python<'_>, name: &str) -> PyResult<Frame> {
        let computed = self.computed();
        let df = py.detach(|| indus::frames::output_frame(computed, name)).map_err(|e| usage(py, e.to_string()))?;
        let df = df.ok_or_else(|| usage(py, format!("`{name}` is not an output of a run")))?;
        Ok(Frame { df })
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
pub(crate) fn run(
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
    let options = Options {
        input,
        as_of: as_of.to_string(),
        rules,
        previous,
        months,
        dialect: dialect.to_string(),
        max_reject_rate,
        max_withdrawal_rate,
        allow_empty,
    };
    let opts = options.run_options(py, tables.as_ref(), PathBuf::new())?;
    let computed = py.detach(|| indus::run::compute(&opts)).map_err(|e| to_py(py, e))?;
    Ok(Run { computed: Some(computed), opts })
}

#[allow(clippy::too_many_arguments)]
#[pyfunction]
#[pyo3(signature = (input, tables, seeker, month, as_of, rules, previous, dialect))]
pub(crate) fn explain(
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
        .detach(|| indus::explain::explain_inputs(&inputs, as_of, rules.as_deref(), previous.as_deref(), seeker, month))
        .map_err(|e| to_py(py, e))?;
    Ok(serde_json::to_string_pretty(&x).expect("an explanation serializes"))
}
