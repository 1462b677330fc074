//! Ingest: finds the four input files, reads each into text columns (CSV in
//! the international or French dialect, or Parquet), and checks the header.
//! A plain CSV file is split in place (`split`); polars reads the rest.
//! Typing and per-record checks belong to `validate`.
//!
//! Every column is read as text on purpose: one bad cell must reject one
//! record, not the file, and the original text is kept for the reject message.

use std::fmt;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use sha2::{Digest, Sha256};

pub(crate) mod scatter;
pub mod schema;
mod split;
mod text;

pub use text::FileText;

use crate::error::Error;
use crate::util::hex;

/// The CSV dialect of an input file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// `,` separator, `.` decimal point.
    Intl,
    /// `;` separator, `,` decimal comma (French back-office exports).
    Fr,
}

impl Dialect {
    pub(crate) fn separator(self) -> u8 {
        match self {
            Dialect::Intl => b',',
            Dialect::Fr => b';',
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Intl => "intl",
            Dialect::Fr => "fr",
        }
    }
}

/// `--dialect`: detect from the header line, or force one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DialectChoice {
    #[default]
    Auto,
    Intl,
    Fr,
}

impl DialectChoice {
    /// The dialect a file with this header line is read in.
    pub(crate) fn resolve(self, header: &str) -> Dialect {
        match self {
            DialectChoice::Auto => detect_dialect(header),
            DialectChoice::Intl => Dialect::Intl,
            DialectChoice::Fr => Dialect::Fr,
        }
    }
}

/// The four inputs of data.md, and the agents' decisions of nights.md §8.1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InputKind {
    Rights,
    Declarations,
    Attestations,
    Ledger,
    /// Optional: absent means no decision was ever taken.
    Decisions,
}

impl InputKind {
    pub const ALL: [InputKind; 5] =
        [InputKind::Rights, InputKind::Declarations, InputKind::Attestations, InputKind::Ledger, InputKind::Decisions];

    pub fn name(self) -> &'static str {
        match self {
            InputKind::Rights => "rights",
            InputKind::Declarations => "declarations",
            InputKind::Attestations => "attestations",
            InputKind::Ledger => "ledger",
            InputKind::Decisions => "decisions",
        }
    }

    pub fn parse(s: &str) -> Option<InputKind> {
        InputKind::ALL.into_iter().find(|k| k.name() == s)
    }

    /// The column naming the month a record is for (a payslip's is its
    /// `period_end`); a right has none.
    pub(crate) fn month_column(self) -> &'static str {
        match self {
            InputKind::Rights => "",
            InputKind::Declarations | InputKind::Ledger | InputKind::Decisions => "month",
            InputKind::Attestations => "period_end",
        }
    }

    /// Whether a run needs the file: every input but the decisions.
    pub fn required(self) -> bool {
        match self {
            InputKind::Rights | InputKind::Declarations | InputKind::Attestations | InputKind::Ledger => true,
            InputKind::Decisions => false,
        }
    }

    /// The columns of the input, in data.md's order (see [`schema`]).
    pub fn columns(self) -> &'static [schema::Column] {
        schema::schema(self)
    }
}

impl fmt::Display for InputKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One input file read as text columns, in data.md's column order.
pub struct RawTable {
    pub kind: InputKind,
    /// The path as the user gave it (or as found in the input folder).
    pub path: PathBuf,
    /// The file's name, as rejects name it.
    pub file_name: String,
    pub sha256: String,
    /// `None` for Parquet.
    pub dialect: Option<Dialect>,
    pub rows: usize,
    /// One per column of `kind.columns()`; `None` for an optional column the file lacks.
    pub columns: Vec<Option<TextColumn>>,
    /// Columns the file has that indus does not know (ignored).
    pub unknown_columns: Vec<String>,
    /// Records with more fields than the header (data.md `bad_record`), by
    /// row: read as rows without any value, rejected by `validate`.
    pub bad_records: Vec<BadRecord>,
    /// The chunks' first rows, when every column is chunked alike.
    uniform_starts: Option<Vec<usize>>,
    /// The physical line of each row, when some record spans several lines
    /// (a quoted value holding a line break); `None`: one record a line.
    lines: Option<Vec<u64>>,
    /// For a partition of a file (`--memory-limit`): which rows repeat an
    /// id of an earlier row of the whole file, found across partitions.
    pub(crate) known_duplicates: Option<Vec<bool>>,
}

/// A record with more fields than the header: its row, the fields it has,
/// and its first two (the id and the seeker, as far as they can be trusted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadRecord {
    pub row: usize,
    pub line: u64,
    pub fields: usize,
    pub header_fields: usize,
    pub id: Option<String>,
    pub seeker: Option<String>,
}

/// A text column: in the chunks polars read it in (joining them into one
/// would copy every string of the file once more), or a column of a CSV
/// file split in place.
pub enum TextColumn {
    Polars {
        column: StringChunked,
        /// The first row of each chunk.
        starts: Vec<usize>,
    },
    Split {
        file: std::sync::Arc<split::SplitFile>,
        /// The column's place in the file's header.
        at: usize,
    },
}

impl TextColumn {
    fn new(column: StringChunked) -> Self {
        let mut starts = Vec::with_capacity(column.chunks().len());
        let mut at = 0;
        for a in column.downcast_iter() {
            starts.push(at);
            at += a.len();
        }
        TextColumn::Polars { column, starts }
    }

    fn get(&self, row: usize) -> Option<&str> {
        match self {
            TextColumn::Polars { starts, .. } => {
                let c = starts.partition_point(|&s| s <= row).checked_sub(1)?;
                self.get_in(c, row - starts[c])
            }
            TextColumn::Split { file, at } => file.get(row, *at),
        }
    }

    fn get_in(&self, chunk: usize, offset: usize) -> Option<&str> {
        match self {
            TextColumn::Polars { column, .. } => column.downcast_get(chunk)?.get(offset),
            TextColumn::Split { file, at } => file.get_in(chunk, offset, *at),
        }
    }

    /// The first row of each chunk, whichever kind of column.
    fn chunk_starts(&self) -> &[usize] {
        match self {
            TextColumn::Polars { starts, .. } => starts,
            TextColumn::Split { file, .. } => &file.first_rows,
        }
    }
}

/// The cells of one column over a range of rows, in order: each row's chunk
/// found by stepping from the last, not by a search per cell (which, with
/// the cell's own lookup, cost ~90 instructions a row in the check that a
/// file's ids increase).
pub(crate) struct ColumnCells<'a> {
    column: Option<&'a TextColumn>,
    chunk: usize,
    row: usize,
    end: usize,
}

impl<'a> Iterator for ColumnCells<'a> {
    type Item = Option<&'a str>;

    fn next(&mut self) -> Option<Option<&'a str>> {
        if self.row >= self.end {
            return None;
        }
        let row = self.row;
        self.row += 1;
        let Some(column) = self.column else { return Some(None) };
        let starts = column.chunk_starts();
        while starts.get(self.chunk + 1).is_some_and(|&next| next <= row) {
            self.chunk += 1;
        }
        // A cell polars read as missing is an empty cell, not the end.
        let s = column.get_in(self.chunk, row - starts[self.chunk]).map(trim);
        Some(s.filter(|s| !s.is_empty()))
    }
}

/// Where a row stands when every column of a table has the same chunks;
/// for a file split in place, its record's text and field ends, found once
/// for all its cells (finding them cell by cell was a fifth of validation).
#[derive(Clone, Copy, Debug)]
pub(crate) struct RowAt<'a> {
    row: usize,
    chunk: Option<(usize, usize)>,
    record: Option<split::Record<'a>>,
}

impl RawTable {
    /// The text of a cell, `None` when empty or absent.
    pub fn cell(&self, column: usize, row: usize) -> Option<&str> {
        let s = trim(self.columns[column].as_ref()?.get(row)?);
        (!s.is_empty()).then_some(s)
    }

    /// [`RawTable::cell`] of `column` for each row of `rows`, in order.
    pub(crate) fn column_cells(&self, column: usize, rows: std::ops::Range<usize>) -> ColumnCells<'_> {
        let col = self.columns[column].as_ref();
        let chunk = col.map_or(0, |c| c.chunk_starts().partition_point(|&s| s <= rows.start).saturating_sub(1));
        ColumnCells { column: col, chunk, row: rows.start, end: rows.end.min(self.rows) }
    }

    /// Whether a row holds no value at all (a blank line: polars reads it as
    /// a row of empty cells).
    pub(crate) fn is_empty_row(&self, row: usize) -> bool {
        self.cell(0, row).is_none() && (1..self.columns.len()).all(|c| self.cell(c, row).is_none())
    }

    /// Finds a row's chunk once, for reading several of its cells.
    pub(crate) fn row_at(&self, row: usize) -> RowAt<'_> {
        let chunk = self.uniform_starts.as_ref().and_then(|starts| {
            let c = starts.partition_point(|&s| s <= row).checked_sub(1)?;
            Some((c, row - starts[c]))
        });
        let split = self.columns.iter().flatten().find_map(|c| match c {
            TextColumn::Split { file, .. } => Some(file),
            TextColumn::Polars { .. } => None,
        });
        let record = split.zip(chunk).and_then(|(file, (c, off))| file.record(c, off));
        RowAt { row, chunk, record }
    }

    /// [`RawTable::cell`] for a row already located.
    pub(crate) fn cell_at<'a>(&'a self, column: usize, at: &RowAt<'a>) -> Option<&'a str> {
        let col = self.columns[column].as_ref()?;
        let s = match (col, at.record, at.chunk) {
            (TextColumn::Split { at: field, .. }, Some(record), _) => record.field(*field)?,
            (_, _, Some((c, off))) => col.get_in(c, off)?,
            _ => col.get(at.row)?,
        };
        let s = trim(s);
        (!s.is_empty()).then_some(s)
    }

    /// The line a row stands on: the header is line 1 in a CSV file; a
    /// Parquet row's line is its 1-based row number.
    pub fn line(&self, row: usize) -> u64 {
        if let Some(line) = self.lines.as_ref().and_then(|l| l.get(row)) {
            return *line;
        }
        if self.dialect.is_some() {
            row as u64 + 2
        } else {
            row as u64 + 1
        }
    }
}

/// `s` without surrounding white space: [`str::trim`], which decodes
/// characters, only when a cell starts or ends with something other than
/// printable ASCII (most cells of most files do not).
fn trim(s: &str) -> &str {
    let printable = |b: Option<&u8>| b.is_some_and(|&b| b > b' ' && b < 0x7f);
    if printable(s.as_bytes().first()) && printable(s.as_bytes().last()) {
        s
    } else {
        s.trim()
    }
}

/// Where an optional input is: given, or `DIR/NAME.csv` or `DIR/NAME.parquet`
/// when there is one; `None` when absent.
pub(crate) fn locate_optional(
    input_dir: Option<&Path>,
    kind: InputKind,
    explicit: Option<&Path>,
) -> Result<Option<PathBuf>, Error> {
    if explicit.is_some() {
        return locate(input_dir, kind, explicit).map(Some);
    }
    match input_dir {
        Some(dir)
            if dir.join(format!("{}.csv", kind.name())).exists()
                || dir.join(format!("{}.parquet", kind.name())).exists() =>
        {
            locate(input_dir, kind, None).map(Some)
        }
        _ => Ok(None),
    }
}

/// Where the four inputs are: `DIR/NAME.csv` or `DIR/NAME.parquet`, unless a
/// path is given for one.
pub fn locate(input_dir: Option<&Path>, kind: InputKind, explicit: Option<&Path>) -> Result<PathBuf, Error> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    let dir =
        input_dir.ok_or_else(|| Error::Usage(format!("no --input folder and no --{} file given", kind.name())))?;
    let csv = dir.join(format!("{}.csv", kind.name()));
    let parquet = dir.join(format!("{}.parquet", kind.name()));
    match (csv.exists(), parquet.exists()) {
        (true, true) => Err(Error::Unreadable {
            path: dir.to_path_buf(),
            problem: format!("both {0}.csv and {0}.parquet are there: keep one, or name it with --{0}", kind.name()),
        }),
        (false, true) => Ok(parquet),
        (true, false) => Ok(csv),
        (false, false) if !dir.is_dir() => {
            Err(Error::Unreadable { path: dir.to_path_buf(), problem: "no such input folder".into() })
        }
        (false, false) => Err(Error::Unreadable {
            path: dir.to_path_buf(),
            problem: format!("neither {0}.csv nor {0}.parquet is there (name it elsewhere with --{0})", kind.name()),
        }),
    }
}

/// Detects the dialect from the header line: French when it holds a `;`.
pub(crate) fn detect_dialect(header: &str) -> Dialect {
    if header.contains(';') {
        Dialect::Fr
    } else {
        Dialect::Intl
    }
}

/// Reads a Parquet file's bytes.
fn parse_parquet(bytes: &[u8]) -> Result<DataFrame, String> {
    // polars' Parquet reader can panic on a damaged file (found by
    // fuzzing: an assertion on a bitmap's length): a bad file is an
    // error naming it, never a crash of the night.
    let read = std::panic::catch_unwind(|| ParquetReader::new(Cursor::new(bytes)).finish());
    let df = match read {
        Ok(r) => r.map_err(|e| format!("not a readable Parquet file ({e})"))?,
        Err(_) => return Err("not a readable Parquet file (its pages are damaged)".into()),
    };
    Ok(df)
}

/// Where a CSV file's header starts (after any BOM) and its dialect,
/// checking that it is UTF-8 text with a header line.
fn csv_start(bytes: &[u8], choice: DialectChoice) -> Result<(usize, Dialect), String> {
    // simdutf8 checks a file several times faster; std says where it breaks.
    let text = simdutf8::basic::from_utf8(bytes).or_else(|_| std::str::from_utf8(bytes)).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
        format!("not UTF-8 text (first invalid byte on line {line})")
    })?;
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let header = body.lines().next().unwrap_or("");
    if header.trim().is_empty() {
        return Err("empty file: no header line".into());
    }
    Ok((text.len() - body.len(), choice.resolve(header)))
}

/// Reads a CSV file with polars, from its header at `offset`, and the
/// records longer than the header (blanked for polars, rejected later).
fn parse_csv(bytes: &[u8], offset: usize, dialect: Dialect) -> Result<(DataFrame, Vec<BadRecord>), String> {
    let separator = dialect.separator();
    let read = |csv: &[u8]| {
        CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .map_parse_options(|o| o.with_separator(separator))
            .into_reader_with_file_handle(Cursor::new(csv))
            .finish()
    };
    let first = read(&bytes[offset..]);
    // Records with more fields than the header are rejects, not a failed
    // file (data.md `bad_record`): only when polars refuses the file are its
    // records counted, and those records blanked (their line kept) for a
    // second read. A good file is read once.
    let (df, bad) = match first {
        Err(e) if e.to_string().contains("more fields than defined") => {
            let (patched, bad, records) = blank_long_records(&bytes[offset..], separator);
            // Every record too long is a file read in the wrong dialect (or
            // a broken export), not bad records: the file is refused.
            if bad.is_empty() || bad.len() == records {
                (Err(e), Vec::new())
            } else {
                (read(&patched), bad)
            }
        }
        other => (other, Vec::new()),
    };
    let df = df.map_err(|e| {
        let e = e.to_string();
        if e.contains("more fields than defined") {
            let (name, sep, other) = match dialect {
                Dialect::Intl => ("international", ',', "fr"),
                Dialect::Fr => ("French", ';', "intl"),
            };
            let record = ragged_record(&bytes[offset..], separator)
                .map(|(line, fields, header)| format!("line {line} has {fields} fields where the header has {header}"))
                .unwrap_or_else(|| "a record has more fields than the header".into());
            format!(
                "{record} when read in the {name} dialect (`{sep}` separator): a value holding `{sep}` \
                     must be quoted; if the file uses the other dialect, run with --dialect {other} or auto"
            )
        } else if let Some(line) = unclosed_quote(&bytes[offset..]) {
            format!(
                "line {line}: a quoted value is not closed on its line (a record is one line; a `\"` \
                     inside a quoted value is written `\"\"`)"
            )
        } else {
            // Polars' own words, without its hints for Python users.
            let original = e.split("Original error: ```").nth(1).and_then(|s| s.split("```").next());
            format!("not a readable CSV file ({})", original.unwrap_or(&e).trim())
        }
    })?;
    Ok((df, bad))
}

/// The records with more fields than the header, the file with each of
/// them replaced by bare separators on the same line (a row without any
/// value, so that every later line keeps its number), and the records read.
fn blank_long_records(csv_bytes: &[u8], separator: u8) -> (Vec<u8>, Vec<BadRecord>, usize) {
    let mut r = csv::ReaderBuilder::new().delimiter(separator).flexible(true).from_reader(csv_bytes);
    let header = r.headers().map(|h| h.len()).unwrap_or(0);
    let mut bad = Vec::new();
    let mut spans = Vec::new();
    let mut record = csv::ByteRecord::new();
    let mut row = 0;
    let mut lines = LineCounter::default();
    // Blank lines are rows to polars, not records to the csv reader: a bad
    // record's row counts those before it (else another record is blanked).
    let mut blank_rows = 0;
    loop {
        let start = r.position().byte() as usize;
        match r.read_byte_record(&mut record) {
            Ok(true) => {}
            _ => break,
        }
        let at = record.position().map_or(start, |p| p.byte() as usize).max(start);
        let skipped = &csv_bytes[start..at.min(csv_bytes.len())];
        if skipped.iter().all(|&b| matches!(b, b'\n' | b'\r')) {
            blank_rows += skipped.iter().filter(|&&b| b == b'\n').count();
        }
        let leading: Vec<u8> =
            csv_bytes[at.min(csv_bytes.len())..].iter().copied().take_while(|&b| matches!(b, b'\n' | b'\r')).collect();
        blank_rows += leading.iter().filter(|&&b| b == b'\n').count();
        // Where the record itself starts, after any blank line.
        let begins = at + leading.len();
        if record.len() > header {
            let end = r.position().byte() as usize;
            let text = |i: usize| {
                record.get(i).map(|f| String::from_utf8_lossy(f).trim().to_string()).filter(|f| !f.is_empty())
            };
            bad.push(BadRecord {
                row: row + blank_rows,
                // The csv reader's own line count skips blank lines.
                line: lines.line_at(csv_bytes, begins),
                fields: record.len(),
                header_fields: header,
                id: text(0),
                seeker: text(1),
            });
            spans.push((begins, end));
        }
        row += 1;
    }
    let mut out = Vec::with_capacity(csv_bytes.len());
    let mut at = 0;
    for (start, end) in spans {
        out.extend_from_slice(&csv_bytes[at..start]);
        // Keep the record's line end; everything before it becomes separators.
        let body = &csv_bytes[start..end];
        let kept_end = body.iter().rposition(|&b| b != b'\n' && b != b'\r').map_or(0, |i| i + 1);
        out.extend(std::iter::repeat_n(separator, header.saturating_sub(1)));
        out.extend_from_slice(&body[kept_end..]);
        at = end;
    }
    out.extend_from_slice(&csv_bytes[at..]);
    (out, bad, row)
}

/// The physical line (the header is line 1) of byte offsets met in order:
/// the newlines before each, counted once.
#[derive(Default)]
struct LineCounter {
    at: usize,
    newlines: u64,
}

impl LineCounter {
    /// The line of the record read from `offset`: blank lines before it,
    /// which the csv reader skips, are not its line.
    fn line_at(&mut self, bytes: &[u8], offset: usize) -> u64 {
        let mut offset = offset.min(bytes.len());
        while offset < bytes.len() && matches!(bytes[offset], b'\n' | b'\r') {
            offset += 1;
        }
        if offset >= self.at {
            self.newlines += bytes[self.at..offset].iter().filter(|&&b| b == b'\n').count() as u64;
            self.at = offset;
        } else {
            self.at = 0;
            self.newlines = 0;
            return self.line_at(bytes, offset);
        }
        self.newlines + 1
    }
}

/// The first line (the header is line 1) holding an odd number of `"`: a
/// quoted value left open, since data.md puts one record on each line.
fn unclosed_quote(csv_bytes: &[u8]) -> Option<u64> {
    csv_bytes
        .split(|&b| b == b'\n')
        .position(|l| l.iter().filter(|&&b| b == b'"').count() % 2 == 1)
        .map(|i| i as u64 + 1)
}

/// The first record with more fields than the header: (line, its fields,
/// the header's). Only read to explain a file polars refused.
fn ragged_record(csv_bytes: &[u8], separator: u8) -> Option<(u64, usize, usize)> {
    let mut r = csv::ReaderBuilder::new().delimiter(separator).flexible(true).from_reader(csv_bytes);
    let header = r.headers().ok()?.len();
    let mut record = csv::StringRecord::new();
    while r.read_record(&mut record).ok()? {
        if record.len() > header {
            let line = LineCounter::default().line_at(csv_bytes, record.position()?.byte() as usize);
            return Some((line, record.len(), header));
        }
    }
    None
}

/// Reads one input file into text columns and checks its header.
pub fn read_table(kind: InputKind, path: &Path, choice: DialectChoice) -> Result<RawTable, Error> {
    let unreadable = |problem: String| Error::Unreadable { path: path.to_path_buf(), problem };
    // A device or FIFO would be read forever (or block): inputs are files.
    let meta = std::fs::metadata(path).map_err(|e| unreadable(e.to_string()))?;
    if !meta.is_file() {
        return Err(unreadable(
            "not a regular file (an input is an exported file, not a device, pipe or folder)".into(),
        ));
    }
    let bytes = FileText::map(path).map_err(|e| unreadable(e.to_string()))?;
    let is_parquet = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
    let bytes = std::sync::Arc::new(bytes);
    let t = table_from(kind, path, bytes.clone(), choice, is_parquet)?;
    // What was hashed is what was split only if the file held still.
    if !bytes.unchanged(path).map_err(|e| unreadable(e.to_string()))? {
        return Err(unreadable("it changed while it was read (an input must not be written during a run)".into()));
    }
    Ok(t)
}

/// [`read_table`] of a file's bytes (the fuzz targets call it directly).
pub fn table_from_bytes(kind: InputKind, path: &Path, bytes: &[u8], choice: DialectChoice) -> Result<RawTable, Error> {
    let is_parquet = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
    table_from(kind, path, std::sync::Arc::new(FileText::Owned(bytes.to_vec())), choice, is_parquet)
}

/// [`table_from_bytes`] of bytes that are Parquet or not whatever `path`
/// is named (a partition of a Parquet input is CSV).
fn table_from(
    kind: InputKind,
    path: &Path,
    bytes: std::sync::Arc<FileText>,
    choice: DialectChoice,
    is_parquet: bool,
) -> Result<RawTable, Error> {
    let unreadable = |problem: String| Error::Unreadable { path: path.to_path_buf(), problem };
    if is_parquet {
        // Hashing the file for the manifest overlaps with parsing it.
        let (sha256, parsed) = rayon::join(|| hex(&Sha256::digest(&bytes[..])), || parse_parquet(&bytes));
        let mut t = text_table(kind, path, &parsed.map_err(unreadable)?, true)?;
        t.sha256 = sha256;
        return Ok(t);
    }
    check_csv_text(&bytes).map_err(unreadable)?;
    // The file's text is shared with the split path's cells, which keep it.
    let (sha256, read) = rayon::join(
        || hex(&Sha256::digest(&bytes[..])),
        || -> Result<RawTable, Error> {
            let (offset, dialect) = csv_start(&bytes, choice).map_err(unreadable)?;
            let separator = dialect.separator();
            if let Some(file) = split::split(bytes.clone(), offset, separator) {
                let mut t = split_table(kind, path, file)?;
                t.dialect = Some(dialect);
                return Ok(t);
            }
            let (df, bad_records) = parse_csv(&bytes, offset, dialect).map_err(unreadable)?;
            let mut t = text_table(kind, path, &df, false)?;
            t.dialect = Some(dialect);
            t.bad_records = bad_records;
            t.lines = physical_lines(&bytes, separator, df.height());
            Ok(t)
        },
    );
    let mut t = read?;
    t.sha256 = sha256;
    Ok(t)
}

/// An input given as a table rather than a file (the Python module's
/// `indus.run(input={...})`): read as a Parquet file's columns are, its
/// rows numbered from 1, under the name `table:KIND`. Its SHA-256 is the
/// digest of its text, column by column in data.md's order (name, then each
/// cell with 0x1F before it, 0x1E for an empty one), so that the manifest
/// still pins what was read.
pub fn table_from_frame(kind: InputKind, df: &DataFrame) -> Result<RawTable, Error> {
    let path = PathBuf::from(format!("table:{}", kind.name()));
    let mut t = text_table(kind, &path, df, true)?;
    let mut h = Sha256::new();
    for (c, col) in kind.columns().iter().zip(&t.columns) {
        let Some(col) = col else { continue };
        h.update(c.name.as_bytes());
        for row in 0..t.rows {
            match col.get(row) {
                Some(v) => {
                    h.update([0x1f]);
                    h.update(v.as_bytes());
                }
                None => h.update([0x1e]),
            }
        }
    }
    t.sha256 = hex(&h.finalize());
    Ok(t)
}

/// A parsed file's (or a given table's) columns as text, in data.md's
/// order, checking the header; typed columns (Parquet, Arrow) are checked
/// for types that cannot carry what data.md asks.
pub(crate) fn text_table(kind: InputKind, path: &Path, df: &DataFrame, typed: bool) -> Result<RawTable, Error> {
    let unreadable = |problem: String| Error::Unreadable { path: path.to_path_buf(), problem };
    let names: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
    let mut columns = Vec::new();
    for &schema::Column { name, presence, .. } in kind.columns() {
        let required = presence == schema::Presence::Required;
        match df.column(name) {
            Ok(c) => {
                let column_problem = |what: String| unreadable(format!("column `{name}` {what}"));
                if typed {
                    check_parquet_type(kind, name, c.dtype()).map_err(column_problem)?;
                }
                let s = c
                    .as_materialized_series()
                    .cast(&DataType::String)
                    .map_err(|_| column_problem(format!("has type {}, which cannot be read as text", c.dtype())))?;
                let ca = s.str().map_err(|e| column_problem(e.to_string()))?.clone();
                // A damaged file can give a frame whose columns (or whose
                // columns' pieces) do not hold as many rows as the table:
                // reading a cell past its piece's end would crash the run.
                let pieces: usize = ca.chunks().iter().map(|a| a.len()).sum();
                if ca.len() != df.height() || pieces != df.height() {
                    return Err(unreadable(format!(
                        "not a readable Parquet file (its pages are damaged: column `{name}` holds {pieces} of its {} rows)",
                        df.height()
                    )));
                }
                columns.push(Some(TextColumn::new(ca)));
            }
            Err(_) if !required => columns.push(None),
            Err(_) => {
                return Err(Error::MissingColumn {
                    path: path.to_path_buf(),
                    column: name.to_string(),
                    found: if names.is_empty() { "nothing".into() } else { names.join(", ") },
                })
            }
        }
    }
    let mut present = columns.iter().flatten().map(TextColumn::chunk_starts);
    let first = present.next().map(<[usize]>::to_vec);
    let uniform_starts = first.filter(|f| present.all(|s| s == f));
    Ok(RawTable::read(kind, path, df.height(), columns, &names, uniform_starts))
}

impl RawTable {
    /// A table of `rows` rows read from `path` with its `columns` found by
    /// name among the file's `names`; the reader fills in the rest.
    fn read(
        kind: InputKind,
        path: &Path,
        rows: usize,
        columns: Vec<Option<TextColumn>>,
        names: &[String],
        uniform_starts: Option<Vec<usize>>,
    ) -> RawTable {
        RawTable {
            kind,
            file_name: path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default(),
            path: path.to_path_buf(),
            sha256: String::new(),
            dialect: None,
            rows,
            columns,
            unknown_columns: names
                .iter()
                .filter(|n| !kind.columns().iter().any(|c| c.name == n.as_str()))
                .cloned()
                .collect(),
            bad_records: Vec::new(),
            uniform_starts,
            lines: None,
            known_duplicates: None,
        }
    }
}

/// [`text_table`] of a CSV file split in place.
fn split_table(kind: InputKind, path: &Path, file: split::SplitFile) -> Result<RawTable, Error> {
    let file = std::sync::Arc::new(file);
    let mut columns = Vec::new();
    for &schema::Column { name, presence, .. } in kind.columns() {
        match file.header.iter().position(|h| h == name) {
            Some(at) => columns.push(Some(TextColumn::Split { file: file.clone(), at })),
            None if presence != schema::Presence::Required => columns.push(None),
            None => {
                return Err(Error::MissingColumn {
                    path: path.to_path_buf(),
                    column: name.to_string(),
                    found: file.header.join(", "),
                })
            }
        }
    }
    let uniform_starts = Some(file.first_rows.clone());
    Ok(RawTable::read(kind, path, file.rows(), columns, &file.header, uniform_starts))
}

/// Reads one partition of a CSV input (`--memory-limit`, a cluster's
/// bucket), given as its bytes: its rows are the original file's records
/// at `lines`, and it speaks for that file (path, SHA-256) in rejects,
/// errors and the manifest.
pub(crate) fn read_part_bytes(
    kind: InputKind,
    original: &Path,
    sha256: &str,
    bytes: Vec<u8>,
    lines: Vec<u64>,
    duplicates: Vec<bool>,
    choice: DialectChoice,
) -> Result<RawTable, Error> {
    // A partition is CSV, also of a Parquet input.
    let mut t = table_from(kind, original, std::sync::Arc::new(FileText::Owned(bytes)), choice, false)?;
    if t.rows != lines.len() {
        return Err(Error::Unreadable {
            path: original.to_path_buf(),
            problem: format!(
                "a partition of it read as {} rows where {} records were written to it: a record indus splits \
                 differently from the CSV reader (run without --memory-limit to see it)",
                t.rows,
                lines.len()
            ),
        });
    }
    t.sha256 = sha256.to_string();
    for b in &mut t.bad_records {
        b.line = lines[b.row];
    }
    t.lines = Some(lines);
    t.known_duplicates = Some(duplicates);
    Ok(t)
}

/// What polars would read wrong or not say clearly: line ends that are a
/// lone CR (the whole file would be one line), and a header that names a
/// column twice (polars would silently take the first).
fn check_csv_text(bytes: &[u8]) -> Result<(), String> {
    // `memchr` rather than the slice's own search, which reads 8 bytes at a
    // time: the whole file is looked through, before it is split or hashed.
    let first_line_end = memchr::memchr(b'\n', bytes);
    if memchr::memchr(b'\r', bytes).is_some()
        && first_line_end.is_none_or(|n| bytes[..n].contains(&b'\r') && !bytes[..n].ends_with(b"\r"))
    {
        return Err("its lines end with a lone CR (an old Mac export): convert them to LF or CR LF".into());
    }
    let header = std::str::from_utf8(&bytes[..first_line_end.unwrap_or(bytes.len())]).unwrap_or("");
    let header = header.strip_prefix('\u{feff}').unwrap_or(header).trim_end_matches('\r');
    let separator = if header.contains(';') { ';' } else { ',' };
    let mut seen: Vec<&str> = Vec::new();
    for name in header.split(separator).map(|n| n.trim().trim_matches('"')) {
        if !name.is_empty() && seen.contains(&name) {
            return Err(format!("the header names the column `{name}` twice"));
        }
        seen.push(name);
    }
    Ok(())
}

/// Parquet columns whose type cannot carry what data.md asks: a money
/// column as a float (a binary float is not an exact amount), and types with
/// no text form a record could use (lists, structs, time zones).
fn check_parquet_type(kind: InputKind, name: &str, dtype: &DataType) -> Result<(), String> {
    let money = matches!(
        (kind, name),
        (InputKind::Rights, "sjr")
            | (InputKind::Declarations, "gross_earnings")
            | (InputKind::Attestations, "gross_pay")
            | (InputKind::Ledger, "daily_rate" | "amount")
            | (InputKind::Decisions, "amount")
    );
    match dtype {
        DataType::Float32 | DataType::Float64 if money => {
            Err(format!("is money stored as a binary float ({dtype}): write it as a decimal or as text"))
        }
        DataType::List(_) => Err(format!("is a list ({dtype}): one value a cell is expected")),
        DataType::Datetime(_, Some(tz)) => {
            Err(format!("is a timestamp with a time zone ({tz}): write dates as Date or YYYY-MM-DD text"))
        }
        _ => Ok(()),
    }
}

/// The physical line of each record when a quoted value holds a line break
/// (rejects then name the line an editor shows); `None` otherwise, the
/// common case, found without reading records: no `"` in the file.
fn physical_lines(bytes: &[u8], separator: u8, rows: usize) -> Option<Vec<u64>> {
    if !bytes.contains(&b'"') {
        return None;
    }
    let mut r = csv::ReaderBuilder::new().delimiter(separator).flexible(true).from_reader(bytes);
    let mut record = csv::ByteRecord::new();
    let mut lines = Vec::with_capacity(rows);
    let mut spans = false;
    while r.read_byte_record(&mut record).ok()? {
        lines.push(record.position()?.line());
        spans |= record.iter().any(|f| f.contains(&b'\n'));
    }
    // Blank lines are rows to polars but not to this reader: then the
    // records cannot be matched to rows, and lines are counted as before.
    (spans && lines.len() == rows).then_some(lines)
}
