//! Parquet copies of findings and entitlements for analysts' notebooks:
//! money as Decimal(18, 2) (never a float), dates as Date, flags as Boolean.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::prelude::*;
use polars_arrow::array::MutableBinaryViewArray;
use polars_arrow::bitmap::{Bitmap, MutableBitmap};
use polars_parquet::parquet::error::ParquetError;
use polars_parquet::write::{
    array_to_columns, CompressedPage, Compressor, Encoding, ParquetType, Version, WriteOptions, ZstdLevel,
};
use rayon::prelude::*;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use super::durable::{self, DurableFile};
use super::{fixed_units, write_file, ChangeRow, Chunked, EntitlementRow, FindingRow, Written};
use crate::error::Error;
use crate::model::Month;
use crate::util::hex;

pub(crate) fn money_col(name: &str, values: impl Iterator<Item = Option<Decimal>>) -> PolarsResult<Column> {
    let ca: Int128Chunked = values.map(|v| v.map(|d| fixed_units(d, 2))).collect();
    // No second pass checking that 18 digits hold every amount: the run
    // stops on a figure of 10^16 € or more (`run::process_seeker`).
    Ok(ca.with_name(name.into()).into_decimal_unchecked(18, 2).into_series().into())
}

pub(crate) fn date_col(name: &str, values: impl Iterator<Item = Option<NaiveDate>>) -> PolarsResult<Column> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid");
    let ca: Int32Chunked = values.map(|v| v.map(|d| (d - epoch).num_days() as i32)).collect();
    Ok(ca.with_name(name.into()).into_date().into_series().into())
}

pub(crate) fn str_col<'a>(name: &str, values: impl Iterator<Item = &'a str>) -> Column {
    let v: Vec<&str> = values.collect();
    Column::new(name.into(), v)
}

fn month_col(months: impl Iterator<Item = Month>) -> Column {
    // A run holds a few months: format each once, not once a row.
    let mut names: Vec<(Month, String)> = Vec::new();
    let mut idx: Vec<usize> = Vec::new();
    for m in months {
        let i = match names.iter().position(|(n, _)| *n == m) {
            Some(i) => i,
            None => {
                names.push((m, m.to_string()));
                names.len() - 1
            }
        };
        idx.push(i);
    }
    let v: Vec<&str> = idx.iter().map(|&i| names[i].1.as_str()).collect();
    Column::new("month".into(), v)
}

/// The rule set a Parquet output was computed with, as key-value metadata
/// (the CSV twins name it in `rule_set` and in manifest.json).
pub(crate) struct RuleSetTag {
    pub label: String,
    pub sha256: String,
}

/// zstd at level 1: at 1M rows it makes `entitlements.parquet` no bigger
/// than polars' default level (38.2 MB both) and saves 0.15 s.
fn compression() -> ParquetCompression {
    ParquetCompression::Zstd(Some(ZstdLevel::try_new(1).expect("1 is a zstd level")))
}

fn rule_set_metadata(tag: &RuleSetTag) -> KeyValueMetadata {
    KeyValueMetadata::from_static(vec![
        ("indus.rule_set".into(), tag.label.clone()),
        ("indus.rule_set_sha256".into(), tag.sha256.clone()),
    ])
}

/// Rows a row group of findings.parquet and changes.parquet holds: polars'
/// default, which they were always written with.
pub(crate) const FRAME_ROW_GROUP: usize = 512 * 512;

fn write(dir: &Path, file: &str, df: DataFrame, tag: &RuleSetTag) -> Result<Written, Error> {
    write_frame_in_groups(dir, file, df, tag, FRAME_ROW_GROUP)
}

/// [`write`] with a given row-group size (tests use small ones).
pub(crate) fn write_frame_in_groups(
    dir: &Path,
    file: &str,
    mut df: DataFrame,
    tag: &RuleSetTag,
    group: usize,
) -> Result<Written, Error> {
    let path = dir.join(file);
    let rows = df.height() as u64;
    let mut buf = Cursor::new(Vec::new());
    ParquetWriter::new(&mut buf)
        .with_compression(compression())
        .with_key_value_metadata(Some(rule_set_metadata(tag)))
        .with_row_group_size(Some(group))
        .finish(&mut df)
        .map_err(|e| Error::output(&path, e))?;
    let bytes = buf.into_inner();
    write_file(&path, &bytes)?;
    Ok(Written { file: file.to_string(), sha256: hex(&Sha256::digest(&bytes)), rows })
}

pub(crate) fn write_findings(dir: &Path, rows: &Chunked<FindingRow>, tag: &RuleSetTag) -> Result<Written, Error> {
    let path = dir.join("findings.parquet");
    write(dir, "findings.parquet", findings_frame(rows).map_err(|e| Error::output(&path, e))?, tag)
}

/// The findings as typed columns: findings.parquet's, and the Python module's frame.
pub(crate) fn findings_frame(rows: &Chunked<FindingRow>) -> PolarsResult<DataFrame> {
    DataFrame::new_infer_height(vec![
        str_col("finding_id", rows.iter().map(|r| r.finding_id.as_str())),
        str_col("seeker_id", rows.iter().map(|r| r.seeker_id.as_str())),
        str_col("agency_id", rows.iter().map(|r| r.agency_id.as_str())),
        str_col("right_id", rows.iter().map(|r| r.right_id.as_str())),
        month_col(rows.iter().map(|r| r.month)),
        str_col("cause", rows.iter().map(|r| r.cause.as_str())),
        money_col("amount", rows.iter().map(|r| Some(r.amount)))?,
        str_col("status", rows.iter().map(|r| r.status.as_str())),
        str_col("basis", rows.iter().map(|r| r.basis)),
        date_col("time_barred_on", rows.iter().map(|r| r.time_barred_on))?,
        str_col("evidence", rows.iter().map(|r| r.evidence.as_str())),
        str_col("rule_set", rows.iter().map(|r| r.rule_set.as_str())),
    ])
}

/// The row groups, as (first row, end), that polars cuts a one-chunk frame
/// of `height` rows into (`chunk_df_for_writing`, `split_df`): one when it
/// holds fewer than `group` rows, else `height / group` of equal size, the
/// last taking the rest.
pub(crate) fn frame_groups(height: usize, group: usize) -> Vec<(usize, usize)> {
    let n = height / group.max(1);
    if n == 0 {
        return vec![(0, height)];
    }
    let size = height / n;
    (0..n).map(|i| (i * size, if i + 1 == n { height } else { (i + 1) * size })).collect()
}

/// changes.parquet: the twin of changes.csv (nights.md §8.3), empty
/// previous or current sides as nulls.
pub(crate) fn write_changes(dir: &Path, rows: &[ChangeRow], tag: &RuleSetTag) -> Result<Written, Error> {
    let path = dir.join("changes.parquet");
    write(dir, "changes.parquet", changes_frame(rows).map_err(|e| Error::output(&path, e))?, tag)
}

/// The changes as typed columns: changes.parquet's, and the Python module's frame.
pub(crate) fn changes_frame(rows: &[ChangeRow]) -> PolarsResult<DataFrame> {
    let opt_str = |name: &str, values: Vec<Option<&str>>| Column::new(name.into(), values);
    DataFrame::new_infer_height(vec![
        str_col("seeker_id", rows.iter().map(|r| r.seeker_id.as_str())),
        month_col(rows.iter().map(|r| r.month)),
        str_col("cause", rows.iter().map(|r| r.cause.as_str())),
        str_col("change", rows.iter().map(|r| r.change.as_str())),
        money_col("previous_amount", rows.iter().map(|r| r.previous.map(|p| p.0)))?,
        opt_str("previous_status", rows.iter().map(|r| r.previous.map(|p| p.1.as_str())).collect()),
        money_col("amount", rows.iter().map(|r| r.current.map(|p| p.0)))?,
        opt_str("status", rows.iter().map(|r| r.current.map(|p| p.1.as_str())).collect()),
        str_col("evidence_added", rows.iter().map(|r| r.evidence_added.as_str())),
        str_col("evidence_removed", rows.iter().map(|r| r.evidence_removed.as_str())),
    ])
}

/// The entitlements as typed columns (entitlements.parquet's), in one frame.
pub(crate) fn entitlements_frame(rows: &Chunked<EntitlementRow>) -> PolarsResult<DataFrame> {
    let mut cols = EntitlementColumns::new(rows.len());
    rows.iter().for_each(|r| cols.push(r));
    cols.finish()
}

/// Rows of `entitlements.parquet` a row group holds. The groups are built,
/// encoded and compressed in parallel; a fixed size keeps the file the same
/// whatever the thread count.
pub(crate) const ENTITLEMENTS_ROW_GROUP: usize = 131_072;

pub(crate) fn write_entitlements(
    dir: &Path,
    rows: &Chunked<EntitlementRow>,
    tag: &RuleSetTag,
) -> Result<Written, Error> {
    write_entitlements_in_groups(dir, rows, tag, ENTITLEMENTS_ROW_GROUP)
}

/// [`write_entitlements`] with a given row-group size (tests use small ones).
pub(crate) fn write_entitlements_in_groups(
    dir: &Path,
    rows: &Chunked<EntitlementRow>,
    tag: &RuleSetTag,
    group: usize,
) -> Result<Written, Error> {
    let path = dir.join(ENTITLEMENTS_FILE);
    let err = |e: PolarsError| Error::output(&path, e);
    let total = rows.len();
    let ranges: Vec<(usize, usize)> = (0..total).step_by(group.max(1)).map(|s| (s, (s + group).min(total))).collect();
    let mut file = EntitlementsParquet::new(dir, tag)?;
    // Row groups are independent: encoded side by side, written in order.
    let encoded = ranges
        .par_iter()
        .map(|&(start, end)| file.encode(rows.range(start, end), end - start))
        .collect::<PolarsResult<Vec<_>>>()
        .map_err(err)?;
    for (num_rows, pages) in &encoded {
        file.write(*num_rows, pages)?;
    }
    file.finish()
}

const ENTITLEMENTS_FILE: &str = "entitlements.parquet";

/// A Parquet output written a row group at a time, each group encoded and
/// compressed as polars' writer does it (any thread), then appended: the
/// same bytes as polars' eager writer given the same groups.
/// findings.parquet and changes.parquet are written so by a run that never
/// holds all their rows (`--memory-limit`), in the groups [`frame_groups`]
/// gives; entitlements.parquet so by every run ([`EntitlementsParquet`]).
pub(crate) struct FrameParquet {
    path: PathBuf,
    file_name: String,
    writer: polars::io::parquet::write::BatchedWriter<HashingFile>,
    file: HashingFile,
    fields: Vec<ParquetType>,
    encodings: Vec<Vec<Encoding>>,
    options: WriteOptions,
    rows: u64,
}

impl FrameParquet {
    /// `file` in `dir`, of frames with `schema` (an empty frame's).
    pub(crate) fn new(dir: &Path, file: &str, schema: &Schema, tag: &RuleSetTag) -> Result<Self, Error> {
        let path = dir.join(file);
        let err = |e: PolarsError| Error::output(&path, e);
        let handle = HashingFile::create(&path)?;
        let mut writer = ParquetWriter::new(handle.clone())
            .with_compression(compression())
            .with_key_value_metadata(Some(rule_set_metadata(tag)))
            .batched(schema)
            .map_err(err)?;
        let fields = writer.parquet_schema().fields().to_vec();
        let encodings = get_encodings(&schema.to_arrow(CompatLevel::newest()));
        let options = WriteOptions {
            statistics: StatisticsOptions::default(),
            compression: compression().into(),
            version: Version::V1,
            data_page_size: None,
        };
        Ok(FrameParquet {
            path,
            file_name: file.to_string(),
            writer,
            file: handle,
            fields,
            encodings: encodings.to_vec(),
            options,
            rows: 0,
        })
    }

    /// Encodes `df` as one row group (any thread; a column made one chunk
    /// at a time, so a frame in many chunks is never copied whole).
    pub(crate) fn encode(&self, df: &DataFrame) -> PolarsResult<(usize, Vec<Vec<CompressedPage>>)> {
        encode_row_group(df, &self.fields, &self.encodings, self.options)
    }

    /// Appends an encoded row group.
    pub(crate) fn write(&mut self, num_rows: usize, pages: &[Vec<CompressedPage>]) -> Result<(), Error> {
        self.writer.write_row_group(num_rows as u64, pages).map_err(|e| Error::output(&self.path, e))?;
        self.rows += num_rows as u64;
        Ok(())
    }

    /// Encodes and appends `df` as one row group.
    pub(crate) fn write_frame(&mut self, df: &DataFrame) -> Result<(), Error> {
        let (rows, pages) = self.encode(df).map_err(|e| Error::output(&self.path, e))?;
        self.write(rows, &pages)
    }

    pub(crate) fn finish(self) -> Result<Written, Error> {
        let err = |e: PolarsError| Error::output(&self.path, e);
        let writer = self.writer;
        writer.finish().map_err(err)?;
        drop(writer);
        let sha256 = self.file.finish().map_err(|e| Error::output(&self.path, e))?;
        Ok(Written { file: self.file_name, sha256, rows: self.rows })
    }
}

/// entitlements.parquet written row group by row group: all at once by a
/// run, as its partitions come by a partitioned run. Both encode the same
/// groups the same way, so the bytes are the same.
pub(crate) struct EntitlementsParquet {
    file: FrameParquet,
}

impl EntitlementsParquet {
    pub(crate) fn new(dir: &Path, tag: &RuleSetTag) -> Result<Self, Error> {
        let path = dir.join(ENTITLEMENTS_FILE);
        let schema = EntitlementColumns::new(0).finish().map_err(|e| Error::output(&path, e))?.schema().clone();
        Ok(EntitlementsParquet { file: FrameParquet::new(dir, ENTITLEMENTS_FILE, &schema, tag)? })
    }

    /// Encodes one row group (any thread).
    pub(crate) fn encode<'a>(
        &self,
        rows: impl Iterator<Item = &'a EntitlementRow>,
        n: usize,
    ) -> PolarsResult<(usize, Vec<Vec<CompressedPage>>)> {
        self.encoder().encode(rows, n)
    }

    /// What encodes row groups, apart from the file they are written to (so
    /// that one group is encoded while the last is written).
    pub(crate) fn encoder(&self) -> EntitlementsEncoder {
        let f = &self.file;
        EntitlementsEncoder { fields: f.fields.clone(), encodings: f.encodings.clone(), options: f.options }
    }

    /// Appends an encoded row group.
    pub(crate) fn write(&mut self, num_rows: usize, pages: &[Vec<CompressedPage>]) -> Result<(), Error> {
        self.file.write(num_rows, pages)
    }

    pub(crate) fn finish(self) -> Result<Written, Error> {
        self.file.finish()
    }
}

/// Encodes row groups of entitlements.parquet, as [`EntitlementsParquet::encode`].
pub(crate) struct EntitlementsEncoder {
    fields: Vec<ParquetType>,
    encodings: Vec<Vec<Encoding>>,
    options: WriteOptions,
}

impl EntitlementsEncoder {
    pub(crate) fn encode<'a>(
        &self,
        rows: impl Iterator<Item = &'a EntitlementRow>,
        n: usize,
    ) -> PolarsResult<(usize, Vec<Vec<CompressedPage>>)> {
        let mut cols = EntitlementColumns::new(n);
        rows.for_each(|r| cols.push(r));
        let df = cols.finish()?;
        encode_row_group(&df, &self.fields, &self.encodings, self.options)
    }
}

/// A file written through a buffer and hashed on the way (the Parquet
/// writer owns its sink; the handle kept outside flushes and hashes it).
#[derive(Clone)]
pub(crate) struct HashingFile(std::sync::Arc<std::sync::Mutex<(std::io::BufWriter<DurableFile>, Sha256)>>);

impl HashingFile {
    fn create(path: &Path) -> Result<Self, Error> {
        Ok(HashingFile(std::sync::Arc::new(std::sync::Mutex::new((durable::create(path)?, Sha256::new())))))
    }

    /// Flushes and syncs the file; its SHA-256.
    fn finish(&self) -> std::io::Result<String> {
        let mut g = self.0.lock().expect("not poisoned");
        std::io::Write::flush(&mut g.0)?;
        g.0.get_ref().sync_all()?;
        Ok(hex(&std::mem::take(&mut g.1).finalize()))
    }
}

impl std::io::Write for HashingFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut g = self.0.lock().expect("not poisoned");
        let n = g.0.write(buf)?;
        g.1.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.lock().expect("not poisoned").0.flush()
    }
}

/// Encodes and compresses one row group's columns (what polars' streaming
/// sink does; its eager writer would compress on the writing thread).
fn encode_row_group(
    df: &DataFrame,
    fields: &[ParquetType],
    encodings: &[Vec<Encoding>],
    options: WriteOptions,
) -> PolarsResult<(usize, Vec<Vec<CompressedPage>>)> {
    let mut pages = Vec::with_capacity(df.width());
    for (i, col) in df.columns().iter().enumerate() {
        let array = col.as_materialized_series().rechunk().to_arrow(0, CompatLevel::newest());
        for column in array_to_columns(array, fields[i].clone(), options, &encodings[i])? {
            let column = column.map(|page| page.map_err(|e| ParquetError::FeatureNotSupported(e.to_string())));
            let compressed: Vec<CompressedPage> =
                Compressor::new_from_vec(column, options.compression, vec![]).collect::<Result<_, ParquetError>>()?;
            pages.push(compressed);
        }
    }
    Ok((df.height(), pages))
}

/// The 27 columns of `entitlements`, filled in one pass over the rows (a
/// pass per column would read each 300-byte row 27 times).
struct EntitlementColumns {
    ids: [MutableBinaryViewArray<str>; 3],
    month: MutableBinaryViewArray<str>,
    months: Vec<(Month, String)>,
    basis: MutableBinaryViewArray<str>,
    /// aj, degressive_rate, paid_rate, e_declared, e_attested: empty where they do not apply.
    opt_money: [Nullable<i128>; 5],
    a: Nullable<i128>,
    /// w, w_prime, days_due.
    ints: [Nullable<i64>; 3],
    ceiling: Nullable<bool>,
    /// due, paid, duplicates, f0 … f5, delta.
    money: [Vec<i128>; 10],
    flags: [Vec<bool>; 2],
}

struct Nullable<T> {
    values: Vec<T>,
    valid: MutableBitmap,
}

impl<T: Default> Nullable<T> {
    fn new(n: usize) -> Self {
        Nullable { values: Vec::with_capacity(n), valid: MutableBitmap::with_capacity(n) }
    }

    fn push(&mut self, v: Option<T>) {
        self.valid.push(v.is_some());
        self.values.push(v.unwrap_or_default());
    }
}

impl EntitlementColumns {
    fn new(n: usize) -> Self {
        let text = || MutableBinaryViewArray::<str>::with_capacity(n);
        EntitlementColumns {
            ids: [text(), text(), text()],
            month: text(),
            months: Vec::new(),
            basis: text(),
            opt_money: std::array::from_fn(|_| Nullable::new(n)),
            a: Nullable::new(n),
            ints: std::array::from_fn(|_| Nullable::new(n)),
            ceiling: Nullable::new(n),
            money: std::array::from_fn(|_| Vec::with_capacity(n)),
            flags: [Vec::with_capacity(n), Vec::with_capacity(n)],
        }
    }

    fn push(&mut self, r: &EntitlementRow) {
        self.ids[0].push_value(r.seeker_id.as_str());
        self.ids[1].push_value(r.agency_id.as_str());
        self.ids[2].push_value(r.right_id.as_str());
        // A run holds a few months: format each once, not once a row.
        let i = match self.months.iter().position(|(m, _)| *m == r.month) {
            Some(i) => i,
            None => {
                self.months.push((r.month, r.month.to_string()));
                self.months.len() - 1
            }
        };
        self.month.push_value(self.months[i].1.as_str());
        self.basis.push_value(r.basis);
        for (col, v) in
            self.opt_money.iter_mut().zip([r.aj, r.degressive_rate, r.paid_rate, r.e_declared, r.e_attested])
        {
            col.push(v.get().map(i128::from));
        }
        self.a.push(r.a.get().map(i128::from));
        for (col, v) in self.ints.iter_mut().zip([r.w, r.w_prime, r.days_due]) {
            col.push(v);
        }
        self.ceiling.push(r.ceiling_applied);
        let [f0, f1, f2, f3, f4, f5] = r.f;
        for (col, v) in self.money.iter_mut().zip([r.due, r.paid, r.duplicates, f0, f1, f2, f3, f4, f5, r.delta]) {
            col.push(v.get().map_or(0, i128::from));
        }
        self.flags[0].push(r.ambiguous);
        self.flags[1].push(r.held);
    }

    fn finish(self) -> PolarsResult<DataFrame> {
        let text = |name: &str, a: MutableBinaryViewArray<str>| -> Column {
            StringChunked::with_chunk(name.into(), a.freeze()).into_series().into()
        };
        // Every figure is below 10^16 € ([`super::Fixed::new`]): 18 digits hold it.
        let decimal = |name: &str, values: Vec<i128>, valid: Option<Bitmap>, scale: usize| -> Column {
            Int128Chunked::from_vec_validity(name.into(), values, valid)
                .into_decimal_unchecked(18, scale)
                .into_series()
                .into()
        };
        let [seeker, agency, right] = self.ids;
        let [aj, degressive, paid_rate, e_declared, e_attested] = self.opt_money;
        let [w, w_prime, days_due] = self.ints;
        let [due, paid, duplicates, f0, f1, f2, f3, f4, f5, delta] = self.money;
        let [ambiguous, held] = self.flags;
        let opt_money = |name: &str, c: Nullable<i128>| decimal(name, c.values, c.valid.into(), 2);
        let money = |name: &str, v: Vec<i128>| decimal(name, v, None, 2);
        let int = |name: &str, c: Nullable<i64>| -> Column {
            Int64Chunked::from_vec_validity(name.into(), c.values, c.valid.into()).into_series().into()
        };
        let flag =
            |name: &str, v: Vec<bool>| -> Column { BooleanChunked::from_slice(name.into(), &v).into_series().into() };
        let ceiling: BooleanChunked =
            self.ceiling.values.iter().zip(self.ceiling.valid.iter()).map(|(&v, ok)| ok.then_some(v)).collect();
        DataFrame::new_infer_height(vec![
            text("seeker_id", seeker),
            text("agency_id", agency),
            text("right_id", right),
            text("month", self.month),
            text("basis", self.basis),
            opt_money("aj", aj),
            opt_money("degressive_rate", degressive),
            opt_money("paid_rate", paid_rate),
            int("w", w),
            int("w_prime", w_prime),
            opt_money("e_declared", e_declared),
            opt_money("e_attested", e_attested),
            decimal("a", self.a.values, self.a.valid.into(), 3),
            int("days_due", days_due),
            ceiling.with_name("ceiling_applied".into()).into_series().into(),
            money("due", due),
            money("paid", paid),
            money("duplicates", duplicates),
            money("f0", f0),
            money("f1", f1),
            money("f2", f2),
            money("f3", f3),
            money("f4", f4),
            money("f5", f5),
            money("delta", delta),
            flag("ambiguous", ambiguous),
            flag("held", held),
        ])
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::output::Fixed;
    use rust_decimal_macros::dec;

    fn fixed(d: Option<Decimal>, places: u32) -> Fixed {
        d.map_or(Fixed::EMPTY, |d| Fixed::new(d, places).unwrap())
    }

    /// A row with every kind of figure, empty or not, by `i`.
    pub(crate) fn row(i: usize) -> EntitlementRow {
        let cents = |d: Option<Decimal>| fixed(d, 2);
        let some = |d: Decimal| (!i.is_multiple_of(3)).then_some(d);
        EntitlementRow {
            seeker_id: format!("S{i:05}").into(),
            agency_id: format!("ARA-069-{}", i % 4).into(),
            right_id: if i.is_multiple_of(5) { "".into() } else { format!("R{i}").into() },
            month: Month::new(2024, 1 + (i % 3) as u32).unwrap(),
            basis: if i.is_multiple_of(2) { "attested" } else { "declared" },
            aj: cents(some(dec!(41.25) + Decimal::from(i))),
            degressive_rate: cents((i.is_multiple_of(7)).then_some(dec!(88.20))),
            paid_rate: cents(some(dec!(41.3))),
            w: (!i.is_multiple_of(3)).then_some(31 - (i % 4) as i64),
            w_prime: (!i.is_multiple_of(3)).then_some(28),
            e_declared: cents(some(dec!(0))),
            e_attested: cents((i % 4 == 1).then_some(dec!(1234.56))),
            a: fixed((!i.is_multiple_of(3)).then_some(dec!(417.3305) - Decimal::from(i)), 3),
            days_due: (!i.is_multiple_of(3)).then_some(i as i64 % 31),
            ceiling_applied: (!i.is_multiple_of(3)).then_some(i.is_multiple_of(11)),
            due: cents(Some(dec!(1038.75))),
            paid: cents(Some(dec!(1100))),
            duplicates: cents(Some(-Decimal::from(i))),
            f: [dec!(1), dec!(2.5), dec!(-3.25), dec!(4), dec!(5), dec!(6)].map(|d| cents(Some(d))),
            delta: cents(Some(dec!(61.25) - Decimal::from(i))),
            ambiguous: i.is_multiple_of(13),
            held: i.is_multiple_of(17),
        }
    }

    fn read(path: &Path) -> DataFrame {
        ParquetReader::new(std::fs::File::open(path).unwrap()).finish().unwrap()
    }

    #[test]
    fn row_groups_hold_every_row_and_value_once() {
        let rows = Chunked(vec![(0..7).map(row).collect(), vec![], (7..40).map(row).collect()]);
        let tag = RuleSetTag { label: "fr-are@2025-07-01".into(), sha256: "ab".into() };
        let (one, many) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let a = write_entitlements_in_groups(one.path(), &rows, &tag, 1000).unwrap();
        let b = write_entitlements_in_groups(many.path(), &rows, &tag, 6).unwrap();
        assert_eq!((a.rows, b.rows), (40, 40));
        let (a, b) = (read(&one.path().join("entitlements.parquet")), read(&many.path().join("entitlements.parquet")));
        assert!(a.equals_missing(&b), "{a}\n{b}");
        assert_eq!(a.width(), super::super::ENTITLEMENTS_HEADER.len());
        let text = |c: &str, i: usize| {
            a.column(c).unwrap().cast(&DataType::String).unwrap().str().unwrap().get(i).map(String::from)
        };
        // Row 3: the optional figures are empty; row 4 holds them, A to three decimals.
        assert_eq!(text("aj", 3), None);
        assert_eq!(text("aj", 4).as_deref(), Some("45.25"));
        assert_eq!(text("a", 4).as_deref(), Some("413.331"));
        assert_eq!(text("e_attested", 5).as_deref(), Some("1234.56"));
        assert_eq!(text("ceiling_applied", 22).as_deref(), Some("true"));
        assert_eq!(text("ceiling_applied", 21), None);
        assert_eq!(text("duplicates", 39).as_deref(), Some("-39.00"));
        assert_eq!(text("month", 38).as_deref(), Some("2024-03"));
        assert_eq!(text("seeker_id", 39).as_deref(), Some("S00039"));
        assert_eq!(text("held", 34).as_deref(), Some("true"));
        // No row at all still gives a readable file with every column.
        let empty = tempfile::tempdir().unwrap();
        write_entitlements_in_groups(empty.path(), &Chunked::default(), &tag, 6).unwrap();
        let e = read(&empty.path().join("entitlements.parquet"));
        assert_eq!((e.height(), e.schema()), (0, a.schema()));
    }
}
