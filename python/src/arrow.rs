//! Tables across the boundary as Arrow C streams (the PyCapsule interface,
//! `__arrow_c_stream__`): the outputs out as [`Frame`]s, the tables given
//! as input in as polars frames, through polars-arrow's own ffi. No CSV, no
//! Python object per row.

use std::ffi::CString;

use polars::prelude::*;
use polars_arrow::array::{Array, StructArray};
use polars_arrow::datatypes::{ArrowDataType, Field as ArrowField};
use polars_arrow::ffi::{export_iterator, ArrowArrayStream, ArrowArrayStreamReader};
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::NativeError;

const STREAM: &std::ffi::CStr = c"arrow_array_stream";

/// One output table, handed to Python as an Arrow C stream (any consumer
/// of the PyCapsule interface reads it: polars, pyarrow, DuckDB).
#[pyclass(module = "indus._native", frozen)]
pub(crate) struct Frame {
    pub(crate) df: DataFrame,
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
pub(crate) fn import_frame(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<DataFrame> {
    let capsule = obj.call_method0("__arrow_c_stream__").map_err(|_| {
        NativeError::new_err((
            format!("the `{what}` table is not a table (no Arrow stream: give a polars or pandas DataFrame or a pyarrow Table)"),
            2,
            obj.py().None(),
        ))
    })?;
    let capsule = capsule.cast::<PyCapsule>()?;
    let ptr = capsule.pointer_checked(Some(STREAM))?.as_ptr() as *mut ArrowArrayStream;
    // SAFETY: the capsule holds an ArrowArrayStream (its name says so); the
    // stream is moved out and the capsule's copy marked released, as the
    // PyCapsule interface asks of a consumer.
    let stream = unsafe { std::ptr::replace(ptr, ArrowArrayStream::empty()) };
    let bad = |e: PolarsError| NativeError::new_err((format!("the `{what}` table: {e}"), 2, obj.py().None()));
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
