//! Splits an input into partitions of seekers without holding it in
//! memory (`--memory-limit`). Each CSV record goes, bytes untouched, to the
//! partition of its `seeker_id` (`partition::Ranges`, drawn from a sample
//! of the inputs read first: [`sample_seekers`]), after the file's own
//! header line, and its physical line is kept, so that each partition
//! reads as the original file would for those records and its rejects name
//! the original lines. While a partition's records are one run of the
//! input's bytes (an input in seeker order), nothing is copied: the
//! partition is read from the input itself ([`Scattered::part_bytes`]);
//! once the run is broken, its records are copied into its file. A Parquet
//! input is read a slice of rows at a time, and its partitions are CSV
//! ([`split_parquet`]).
//!
//! Two things need the whole file and are settled here: lines without any
//! value (only a warning names them), and ids repeated across partitions
//! (`duplicate_id` is about the whole file): the records whose id may repeat
//! one elsewhere are validated together once, and each partition is told
//! which of its rows repeat an earlier id.
//!
//! Nothing here grows with the file: each record's line number goes to its
//! partition's line file, and each id's hash to a bucket file (by hash), so
//! that repeats are found a bucket at a time. A file of any size is split
//! in the memory of a partition.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{DialectChoice, InputKind};
use crate::error::Error;
use crate::partition::Ranges;
use crate::util::hex;

/// One input split into partitions.
pub(crate) struct Scattered {
    pub kind: InputKind,
    pub path: PathBuf,
    pub sha256: String,
    /// The partition files (the header line, then their records, unless
    /// `spans` has them).
    pub parts: Vec<PathBuf>,
    /// A partition whose records are one run of a CSV input's bytes (a
    /// sorted input: every partition) is left there, not copied: the
    /// run's offsets in the input. Read by [`Scattered::part_bytes`].
    spans: Vec<Option<(u64, u64)>>,
    /// The input's header line, as in the file (a span's bytes follow it).
    header: Vec<u8>,
    /// The input's size and time when it was scattered: a span is only
    /// read from an input that has not changed since.
    stamp: Option<(u64, std::time::SystemTime)>,
    /// Each partition's line file: the physical line of each of its
    /// records, as little-endian u64s, read by [`Scattered::take_part`].
    line_files: Vec<PathBuf>,
    /// How many records each partition holds.
    rows: Vec<u32>,
    /// Each partition's rows that repeat an id of an earlier row of the
    /// file: set by [`Scattered::mark_repeats`].
    repeated: Vec<Vec<u32>>,
    /// The records that may repeat an id, as one table in file order, and
    /// where each is (line, partition, row); `None` when no id hash repeats.
    pub repeats: Option<Repeats>,
    /// Lines without any value (ignored, named in a warning).
    pub empty_lines: Vec<u64>,
    /// For a Parquet input: the columns indus does not know (its partitions
    /// hold the known ones only, as international CSV).
    pub from_parquet: Option<Vec<String>>,
}

/// The records of a file that may repeat an id: one table in file order,
/// and where each record is in the partitions.
pub(crate) struct Repeats {
    pub table: super::RawTable,
    /// (line, partition, row) of each of the table's rows.
    pub at: Vec<(u64, u32, u32)>,
}

/// A record whose id some other record may share: where its bytes are
/// (its offset in a CSV input; in its partition file for a Parquet one),
/// its partition and row there, and its line in the file.
#[derive(Clone, Copy)]
struct IdKey {
    hash: u64,
    start: u64,
    len: u32,
    line: u64,
    part: u32,
    row: u32,
}

impl IdKey {
    /// Its size in a bucket file.
    const SIZE: usize = 36;

    fn put(&self, out: &mut impl Write) -> std::io::Result<()> {
        let mut b = [0u8; Self::SIZE];
        b[0..8].copy_from_slice(&self.hash.to_le_bytes());
        b[8..16].copy_from_slice(&self.start.to_le_bytes());
        b[16..20].copy_from_slice(&self.len.to_le_bytes());
        b[20..28].copy_from_slice(&self.line.to_le_bytes());
        b[28..32].copy_from_slice(&self.part.to_le_bytes());
        b[32..36].copy_from_slice(&self.row.to_le_bytes());
        out.write_all(&b)
    }

    fn get(b: &[u8]) -> IdKey {
        let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        let u32_at = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().expect("4 bytes"));
        IdKey {
            hash: u64_at(0),
            start: u64_at(8),
            len: u32_at(16),
            line: u64_at(20),
            part: u32_at(28),
            row: u32_at(32),
        }
    }
}

/// The memory an input's scatter gives its writers' buffers (three a
/// partition): 64 KB each up to 170 partitions, less past that, so that a
/// run of a thousand partitions does not spend its limit on buffers.
const SCATTER_BUFFERS: usize = 32 << 20;

/// Buffered writers of scratch files, created together.
fn create_all(paths: &[PathBuf], scratch: &Path) -> Result<Vec<BufWriter<File>>, Error> {
    let each = (SCATTER_BUFFERS / (3 * paths.len().max(1))).clamp(8 << 10, 64 << 10);
    paths
        .iter()
        .map(|p| File::create(p).map(|f| BufWriter::with_capacity(each, f)))
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| Error::output(scratch, e))
}

/// Splits `path` into the partition files of `ranges` in `scratch`.
pub(crate) fn scatter(
    kind: InputKind,
    path: &Path,
    choice: DialectChoice,
    ranges: &Ranges,
    scratch: &Path,
) -> Result<Scattered, Error> {
    let n = ranges.count();
    let part_of = |seeker: &str| ranges.of_record(seeker);
    // A Parquet input's records are lines written here, never its bytes;
    // spans need the input's size and time to check it later.
    let stamp = stamp(path);
    let spans_ok = !is_parquet(path) && stamp.is_some();
    let mut place: Vec<Place> = vec![Place::Nothing; n as usize];
    let mut original: Option<File> = None;
    let mut header: Vec<u8> = Vec::new();
    let parts: Vec<PathBuf> = (0..n).map(|k| scratch.join(format!("{}-{k}.csv", kind.name()))).collect();
    let line_files: Vec<PathBuf> = (0..n).map(|k| scratch.join(format!("{}-{k}.lines", kind.name()))).collect();
    // As many buckets of id hashes as partitions: a bucket is read whole.
    let id_files: Vec<PathBuf> = (0..n).map(|b| scratch.join(format!("{}-ids-{b}.bin", kind.name()))).collect();
    let mut writers = create_all(&parts, scratch)?;
    let mut line_writers = create_all(&line_files, scratch)?;
    let mut id_writers = create_all(&id_files, scratch)?;
    let mut rows: Vec<u32> = vec![0; n as usize];
    let mut empty_lines = Vec::new();
    let write_err = |e: std::io::Error| Error::output(scratch, e);
    // Where each partition file is at: a record's offset in it, for a second look.
    let mut at: Vec<u64> = vec![0; n as usize];
    // A record written after the span of records it breaks (copied first).
    let mut write_line = |k: usize, rec: &[u8], span: Option<(u64, u64)>| -> Result<u64, Error> {
        let w = &mut writers[k];
        if let Some((from, to)) = span {
            let input = match &mut original {
                Some(f) => f,
                None => original.insert(
                    File::open(path)
                        .map_err(|e| Error::Unreadable { path: path.to_path_buf(), problem: e.to_string() })?,
                ),
            };
            copy_range(input, from, to, w).map_err(write_err)?;
            at[k] += to - from;
        }
        let start = at[k];
        w.write_all(rec).map_err(write_err)?;
        at[k] += rec.len() as u64;
        if !rec.ends_with(b"\n") {
            w.write_all(b"\n").map_err(write_err)?;
            at[k] += 1;
        }
        Ok(start)
    };
    let on_piece = |piece: Piece<'_>| -> Result<(), Error> {
        match piece {
            Piece::Header(rec) => {
                for k in 0..n as usize {
                    write_line(k, rec, None)?;
                }
                header = rec.to_vec();
                if !header.ends_with(b"\n") {
                    header.push(b'\n');
                }
            }
            Piece::Empty(line) => empty_lines.push(line),
            Piece::Record { part, rec, line, id_hash, offset } => {
                let k = part as usize;
                let end = offset + rec.len() as u64;
                // Where spans may be, a record's place is its offset in the
                // input (read again from there if its id may repeat another's).
                let start = match place[k] {
                    _ if !spans_ok => write_line(k, rec, None)?,
                    Place::Nothing => {
                        place[k] = Place::Span(offset, end);
                        offset
                    }
                    Place::Span(first, last) if last == offset => {
                        place[k] = Place::Span(first, end);
                        offset
                    }
                    Place::Span(first, last) => {
                        // Not one run any more (a blank line, or an input
                        // not in seeker order): copied as the records are.
                        place[k] = Place::Copied;
                        write_line(k, rec, Some((first, last)))?;
                        offset
                    }
                    Place::Copied => {
                        write_line(k, rec, None)?;
                        offset
                    }
                };
                let row = rows[k];
                rows[k] = row.checked_add(1).ok_or_else(|| {
                    Error::Usage("a partition would hold over 4 billion records: give a larger --memory-limit".into())
                })?;
                line_writers[k].write_all(&line.to_le_bytes()).map_err(write_err)?;
                if let Some(hash) = id_hash {
                    let key = IdKey { hash, start, len: rec.len() as u32, line, part, row };
                    key.put(&mut id_writers[(hash % u64::from(n)) as usize]).map_err(write_err)?;
                }
            }
        }
        Ok(())
    };
    let (sha256, from_parquet, choice) = if is_parquet(path) {
        // Its partitions are international CSV of its known columns.
        let (sha256, unknown) = split_parquet(kind, path, &part_of, on_piece)?;
        (sha256, Some(unknown), DialectChoice::Intl)
    } else {
        (split(kind, path, choice, &part_of, on_piece)?, None, choice)
    };
    for w in writers.iter_mut().chain(&mut line_writers).chain(&mut id_writers) {
        w.flush().map_err(write_err)?;
    }
    drop((writers, line_writers, id_writers));
    // Offsets are the input's where records may stay spans, else the partition files'.
    let source = if spans_ok { Source::Input(path) } else { Source::Parts(&parts) };
    let repeats = repeat_candidates(kind, path, choice, &header, source, &id_files)?;
    let spans = place.iter().map(|p| if let Place::Span(a, b) = *p { Some((a, b)) } else { None }).collect();
    Ok(Scattered {
        kind,
        path: path.to_path_buf(),
        sha256,
        spans,
        header,
        stamp,
        parts,
        line_files,
        repeated: vec![Vec::new(); n as usize],
        rows,
        repeats,
        empty_lines,
        from_parquet,
    })
}

/// Where a partition's records are, as the scatter goes.
#[derive(Clone, Copy)]
enum Place {
    Nothing,
    /// One run of the input's bytes, from..to.
    Span(u64, u64),
    /// In its partition file.
    Copied,
}

/// An input's size and modification time, if it can tell them.
fn stamp(path: &Path) -> Option<(u64, std::time::SystemTime)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.len(), m.modified().ok()?))
}

/// Copies `from..to` of `file` into `out`.
fn copy_range(file: &mut File, from: u64, to: u64, out: &mut impl Write) -> std::io::Result<()> {
    file.seek(SeekFrom::Start(from))?;
    std::io::copy(&mut file.take(to - from), out)?;
    Ok(())
}

/// Whether an input is read as Parquet (by its name, as `ingest` does).
pub(crate) fn is_parquet(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

/// About `count` seeker ids of an input, read at evenly spaced places: a
/// sample for [`Ranges::balanced`], each id standing for an equal share of
/// the file. A CSV file is read at `count` offsets (the first whole record
/// after each), a Parquet file's seeker column in a few slices of rows.
/// What cannot be read is left out: the sample only balances partitions,
/// and the scatter that follows names any problem of the file.
pub(crate) fn sample_seekers(kind: InputKind, path: &Path, choice: DialectChoice, count: usize) -> Vec<String> {
    if is_parquet(path) {
        return sample_parquet(path, count);
    }
    let Ok(mut file) = File::open(path) else { return Vec::new() };
    let Ok(len) = file.metadata().map(|m| m.len()) else { return Vec::new() };
    let mut head = vec![0u8; 64 << 10];
    let Ok(got) = read_window(&mut file, 0, &mut head) else { return Vec::new() };
    let Some((end, _)) = record_end(&head[..got], got < head.len()) else { return Vec::new() };
    let h = Header::read(kind, &head[..end], choice);
    let Some(seeker) = h.seeker else { return Vec::new() };
    let body = len.saturating_sub(end as u64);
    let mut ids = Vec::with_capacity(count);
    let mut window = vec![0u8; 16 << 10];
    for i in 0..count as u64 {
        let at = end as u64 + body * (2 * i + 1) / (2 * count as u64);
        let Ok(got) = read_window(&mut file, at, &mut window) else { break };
        // The record cut by `at` is skipped: the next one is whole.
        let Some(nl) = memchr::memchr(b'\n', &window[..got]) else { continue };
        let rest = &window[nl + 1..got];
        let Some((rec_end, _)) = record_end(rest, at + got as u64 >= len) else { continue };
        let rec = &rest[..rec_end];
        if std::str::from_utf8(rec).is_err() {
            continue;
        }
        let fields = Fields::of(rec, h.separator, memchr::memchr(b'"', rec).is_some());
        let id = fields.get(seeker).map(unquote).unwrap_or_default();
        let id = id.trim();
        if !id.is_empty() {
            ids.push(id.to_string());
        }
    }
    ids
}

/// [`sample_seekers`] of a Parquet input: 16 slices of its seeker column.
fn sample_parquet(path: &Path, count: usize) -> Vec<String> {
    use polars::prelude::{DataType, ParquetReader, SerReader};
    let slices = count.clamp(1, 16);
    let per = count.div_ceil(slices);
    let read = || -> Option<Vec<String>> {
        let rows = ParquetReader::new(File::open(path).ok()?).num_rows().ok()?;
        let mut ids = Vec::with_capacity(count);
        for j in 0..slices {
            let start = (rows * (2 * j + 1) / (2 * slices)).saturating_sub(per / 2);
            let df = ParquetReader::new(File::open(path).ok()?)
                .with_columns(Some(vec!["seeker_id".into()]))
                .with_slice(Some((start, per)))
                .finish()
                .ok()?;
            let col = df.column("seeker_id").ok()?.cast(&DataType::String).ok()?;
            let values = col.str().ok()?;
            ids.extend(values.iter().flatten().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string));
        }
        Some(ids)
    };
    // A damaged file may panic in polars' reader: the scatter names it.
    std::panic::catch_unwind(read).ok().flatten().unwrap_or_default()
}

/// Reads what it can of `buf.len()` bytes at `at`.
fn read_window(file: &mut File, at: u64, buf: &mut [u8]) -> std::io::Result<usize> {
    file.seek(SeekFrom::Start(at))?;
    let mut got = 0;
    while got < buf.len() {
        match file.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

/// Rows of a Parquet input read at a time: its text columns, never the file.
const PARQUET_ROWS: usize = 262_144;

/// [`split`] for a Parquet input, read a slice of rows at a time: each row
/// handed over as a line of international CSV holding the columns indus
/// knows, each value as the Parquet column reads as text (quoted where it
/// must be), after a header of those columns; a row's line is its 1-based
/// row number, as the file's rejects name it. Its SHA-256 and the columns
/// indus does not know.
pub(crate) fn split_parquet(
    kind: InputKind,
    path: &Path,
    part_of: &dyn Fn(&str) -> u32,
    mut on: impl FnMut(Piece<'_>) -> Result<(), Error>,
) -> Result<(String, Vec<String>), Error> {
    use polars::prelude::{ParquetReader, SerReader};
    let unreadable = |problem: String| Error::Unreadable { path: path.to_path_buf(), problem };
    let damaged = || unreadable("not a readable Parquet file (its pages are damaged)".into());
    let sha256 = crate::util::sha256_file(path).map_err(|e| unreadable(e.to_string()))?;
    let open = || File::open(path).map_err(|e| unreadable(e.to_string()));
    let rows = {
        let mut r = ParquetReader::new(open()?);
        // As `ingest`: a damaged file is an error naming it, never a crash.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || r.num_rows()))
            .map_err(|_| damaged())?
            .map_err(|e| unreadable(format!("not a readable Parquet file ({e})")))?
    };
    let seeker = kind.columns().iter().position(|c| c.name == "seeker_id");
    let mut unknown = None;
    let mut line = Vec::new();
    let mut start = 0;
    loop {
        let file = open()?;
        let df = std::panic::catch_unwind(|| ParquetReader::new(file).with_slice(Some((start, PARQUET_ROWS))).finish())
            .map_err(|_| damaged())?
            .map_err(|e| unreadable(format!("not a readable Parquet file ({e})")))?;
        let t = super::text_table(kind, path, &df, true)?;
        if unknown.is_none() {
            let names: Vec<&str> =
                (kind.columns().iter().zip(&t.columns)).filter(|(_, c)| c.is_some()).map(|(c, _)| c.name).collect();
            on(Piece::Header((names.join(",") + "\n").as_bytes()))?;
            unknown = Some(t.unknown_columns.clone());
        }
        for row in 0..t.rows {
            let file_line = (start + row + 1) as u64;
            if t.is_empty_row(row) {
                on(Piece::Empty(file_line))?;
                continue;
            }
            line.clear();
            for (i, col) in t.columns.iter().flatten().enumerate() {
                if i > 0 {
                    line.push(b',');
                }
                csv_field(&mut line, col.get(row));
            }
            line.push(b'\n');
            let part = part_of(seeker.and_then(|c| t.cell(c, row)).unwrap_or_default());
            let id_hash = t.cell(0, row).map(id_hash);
            on(Piece::Record { part, rec: &line, line: file_line, id_hash, offset: 0 })?;
        }
        start += t.rows;
        if t.rows < PARQUET_ROWS || start >= rows {
            break;
        }
    }
    Ok((sha256, unknown.unwrap_or_default()))
}

/// A value as an international CSV field: quoted when it holds a comma, a
/// quote or a line break (quotes doubled); an empty value stays empty.
fn csv_field(out: &mut Vec<u8>, value: Option<&str>) {
    let Some(v) = value else { return };
    if v.contains([',', '"', '\n', '\r']) {
        out.push(b'"');
        for b in v.bytes() {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(v.as_bytes());
    }
}

/// The hash of a record's id, equal for equal ids (which records may
/// repeat another's id is found by these, then checked as text).
fn id_hash(id: &str) -> u64 {
    std::hash::BuildHasher::hash_one(&foldhash::fast::FixedState::with_seed(0x1d05), id)
}

/// What [`split`] finds in a file, in file order.
pub(crate) enum Piece<'a> {
    /// The header line, as it is in the file.
    Header(&'a [u8]),
    /// A line (or lines, for a quoted line break) without any value.
    Empty(u64),
    /// A record as it is in the file (its line break included, except maybe
    /// the last): the partition of its seeker (0 when none can be read), its
    /// first physical line, the hash of its id (`None`: no id) and its
    /// offset in a CSV file (0 for a Parquet row, which is not a line of it).
    Record { part: u32, rec: &'a [u8], line: u64, id_hash: Option<u64>, offset: u64 },
}

/// Reads a CSV input once, without holding it, and hands each header,
/// record (with its partition, `part_of` its trimmed seeker id) and empty
/// line to `on`; the file's SHA-256.
pub(crate) fn split(
    kind: InputKind,
    path: &Path,
    choice: DialectChoice,
    part_of: &dyn Fn(&str) -> u32,
    mut on: impl FnMut(Piece<'_>) -> Result<(), Error>,
) -> Result<String, Error> {
    let unreadable = |problem: String| Error::Unreadable { path: path.to_path_buf(), problem };
    let meta = std::fs::metadata(path).map_err(|e| unreadable(e.to_string()))?;
    if !meta.is_file() {
        return Err(unreadable(
            "not a regular file (an input is an exported file, not a device, pipe or folder)".into(),
        ));
    }
    let mut file = File::open(path).map_err(|e| unreadable(e.to_string()))?;
    let mut hasher = Sha256::new();

    // The reading state: a buffer of bytes not yet split into records.
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 22);
    let mut block = vec![0u8; 1 << 20];
    let mut line: u64 = 1; // physical line of buf[0]
    let mut base: u64 = 0; // file offset of buf[0]
    let mut header: Option<Header> = None;
    let mut eof = false;
    loop {
        // The buffer's text up to its last line break checked at once (a
        // line break is never inside a character); a record past it, or
        // in a buffer that is not all UTF-8, is checked on its own to name
        // its line. Checking each record was 7 % of the scatter.
        let checked = memchr::memrchr(b'\n', &buf).map_or(0, |nl| nl + 1);
        let checked = if std::str::from_utf8(&buf[..checked]).is_ok() { checked } else { 0 };
        // Split every complete record in the buffer.
        let mut at = 0;
        while let Some((end, quoted)) = record_end(&buf[at..], eof) {
            let rec = &buf[at..at + end];
            let rec_line = line;
            let breaks = if quoted { memchr::memchr_iter(b'\n', rec).count() as u64 } else { 1 };
            if at + end > checked {
                if let Err(e) = std::str::from_utf8(rec) {
                    let l = rec_line + rec[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() as u64;
                    return Err(unreadable(format!("not UTF-8 text (first invalid byte on line {l})")));
                }
            }
            match &header {
                None => {
                    header = Some(Header::read(kind, rec, choice));
                    on(Piece::Header(rec))?;
                }
                Some(h) => {
                    // Cheap first: only separators, blanks and quotes can make a line without any value.
                    let maybe_empty = rec.iter().all(|&b| b == h.separator || b == b'"' || b.is_ascii_whitespace());
                    let fields = Fields::of(rec, h.separator, quoted || maybe_empty);
                    let text = |i: Option<usize>| i.and_then(|i| fields.get(i)).map(unquote).unwrap_or_default();
                    if maybe_empty && fields.len() <= h.fields && fields.all_empty() {
                        on(Piece::Empty(rec_line))?;
                    } else {
                        let seeker = text(h.seeker);
                        let seeker = seeker.trim();
                        let part = part_of(seeker);
                        let id = text(h.id);
                        let id = id.trim();
                        let id_hash = (!id.is_empty()).then(|| id_hash(id));
                        on(Piece::Record { part, rec, line: rec_line, id_hash, offset: base + at as u64 })?;
                    }
                }
            }
            line += breaks;
            at += end;
        }
        buf.drain(..at);
        base += at as u64;
        if eof {
            break;
        }
        let got = file.read(&mut block).map_err(|e| unreadable(e.to_string()))?;
        if got == 0 {
            eof = true;
        } else {
            hasher.update(&block[..got]);
            buf.extend_from_slice(&block[..got]);
        }
    }
    if header.is_none() {
        return Err(unreadable("empty file: no header line".into()));
    }
    Ok(hex(&hasher.finalize()))
}

/// What the header line says: the separator, how many fields, and where the id and the seeker are.
struct Header {
    separator: u8,
    fields: usize,
    id: Option<usize>,
    seeker: Option<usize>,
}

impl Header {
    fn read(kind: InputKind, rec: &[u8], choice: DialectChoice) -> Header {
        let text = String::from_utf8_lossy(rec);
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text).trim_end_matches(['\r', '\n']).to_string();
        let separator = choice.resolve(&text).separator();
        let names: Vec<String> =
            split_fields(text.as_bytes(), separator).iter().map(|f| unquote(f).trim().to_string()).collect();
        let at = |name: &str| names.iter().position(|n| n == name);
        Header { separator, fields: names.len(), id: at(kind.columns()[0].name), seeker: at("seeker_id") }
    }
}

/// The length of the first record of `bytes` (with its line break), if
/// complete, and whether it holds a quote: a line break outside quotes ends
/// it; at the end of the file the rest is the last record.
fn record_end(bytes: &[u8], eof: bool) -> Option<(usize, bool)> {
    if bytes.is_empty() {
        return None;
    }
    // Most records hold no quote: their end is the first line break.
    let newline = memchr::memchr(b'\n', bytes);
    let line = &bytes[..newline.unwrap_or(bytes.len())];
    if memchr::memchr(b'"', line).is_none() {
        return match newline {
            Some(n) => Some((n + 1, false)),
            None => eof.then_some((bytes.len(), false)),
        };
    }
    let mut quoted = false;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => return Some((i + 1, true)),
            _ => {}
        }
    }
    eof.then_some((bytes.len(), true))
}

/// A record's fields (still quoted): split once when quotes or an empty
/// line need every field, else found on demand by their separators.
enum Fields<'a> {
    Split(Vec<&'a [u8]>),
    Plain(&'a [u8], u8),
}

impl<'a> Fields<'a> {
    fn of(rec: &'a [u8], separator: u8, split: bool) -> Fields<'a> {
        let body = rec.strip_suffix(b"\n").unwrap_or(rec);
        let body = body.strip_suffix(b"\r").unwrap_or(body);
        if split {
            Fields::Split(split_fields(body, separator))
        } else {
            Fields::Plain(body, separator)
        }
    }

    fn get(&self, i: usize) -> Option<&'a [u8]> {
        match self {
            Fields::Split(v) => v.get(i).copied(),
            Fields::Plain(body, sep) => body.split(|b| b == sep).nth(i),
        }
    }

    fn len(&self) -> usize {
        match self {
            Fields::Split(v) => v.len(),
            Fields::Plain(body, sep) => memchr::memchr_iter(*sep, body).count() + 1,
        }
    }

    fn all_empty(&self) -> bool {
        match self {
            Fields::Split(v) => v.iter().all(|f| unquote(f).trim().is_empty()),
            Fields::Plain(body, sep) => body.split(|b| b == sep).all(|f| unquote(f).trim().is_empty()),
        }
    }
}

/// A record's fields (without its line break), split on the separator
/// outside quotes (still quoted).
fn split_fields(rec: &[u8], separator: u8) -> Vec<&[u8]> {
    let mut fields = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    for (i, &b) in rec.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b if b == separator && !quoted => {
                fields.push(&rec[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    fields.push(&rec[start..]);
    fields
}

/// A field's text: without its quotes, `""` read as `"`.
fn unquote(f: &[u8]) -> std::borrow::Cow<'_, str> {
    // Records were checked to be UTF-8 before they are split.
    let s = std::str::from_utf8(f).unwrap_or("");
    let t = s.trim();
    match t.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) => std::borrow::Cow::Owned(inner.replace("\"\"", "\"")),
        None => std::borrow::Cow::Borrowed(s),
    }
}

impl Scattered {
    /// Marks the rows at `lines` (those validation found repeating an
    /// earlier id of the file, among [`Scattered::repeats`]) as duplicates.
    pub(crate) fn mark_repeats(&mut self, lines: &std::collections::HashSet<u64>) {
        if let Some(r) = &self.repeats {
            for &(line, part, row) in &r.at {
                if lines.contains(&line) {
                    self.repeated[part as usize].push(row);
                }
            }
        }
    }

    /// Partition `k` as CSV text: its header line and records, from its
    /// file, or from the input when they are a span of it (the input must
    /// not have changed since it was scattered).
    pub(crate) fn part_bytes(&self, k: usize) -> Result<Vec<u8>, Error> {
        let Some((from, to)) = self.spans[k] else {
            return std::fs::read(&self.parts[k])
                .map_err(|e| Error::Unreadable { path: self.parts[k].clone(), problem: e.to_string() });
        };
        let unreadable = |problem: String| Error::Unreadable { path: self.path.clone(), problem };
        if stamp(&self.path) != self.stamp {
            return Err(unreadable(
                "it changed while the run was reading it (its size or time is not what it was): run again once \
                 the export is complete"
                    .into(),
            ));
        }
        let mut bytes = Vec::with_capacity(self.header.len() + (to - from) as usize + 1);
        bytes.extend_from_slice(&self.header);
        let mut file = File::open(&self.path).map_err(|e| unreadable(e.to_string()))?;
        file.seek(SeekFrom::Start(from)).map_err(|e| unreadable(e.to_string()))?;
        (&mut file).take(to - from).read_to_end(&mut bytes).map_err(|e| unreadable(e.to_string()))?;
        if bytes.len() as u64 != self.header.len() as u64 + (to - from) {
            return Err(unreadable("it is shorter than when the run read it first".into()));
        }
        // As a partition file, whose last record always ends its line.
        if !bytes.ends_with(b"\n") {
            bytes.push(b'\n');
        }
        Ok(bytes)
    }

    /// Partition `k`'s line map and which of its rows repeat an id, for
    /// reading it; its line file is removed (a partition is read once).
    pub(crate) fn take_part(&mut self, k: usize) -> Result<(Vec<u64>, Vec<bool>), Error> {
        let path = &self.line_files[k];
        let damaged = |problem: String| Error::Unreadable { path: path.clone(), problem };
        let bytes = std::fs::read(path).map_err(|e| damaged(e.to_string()))?;
        let rows = self.rows[k] as usize;
        if bytes.len() != rows * 8 {
            return Err(damaged(format!("a partition's line file holds {} bytes for {rows} records", bytes.len())));
        }
        std::fs::remove_file(path).map_err(|e| damaged(e.to_string()))?;
        let lines = bytes.chunks_exact(8).map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes"))).collect();
        let mut duplicates = vec![false; rows];
        for &row in &self.repeated[k] {
            duplicates[row as usize] = true;
        }
        Ok((lines, duplicates))
    }
}

/// Where the records whose id may repeat are read again.
#[derive(Clone, Copy)]
enum Source<'a> {
    /// A CSV input: the keys hold their offsets in it.
    Input(&'a Path),
    /// A Parquet input's partition files: the keys hold offsets in them.
    Parts(&'a [PathBuf]),
}

/// Partition file `k`, opened once.
fn opened<'a>(files: &'a mut [Option<File>], parts: &[PathBuf], k: usize) -> Result<&'a mut File, Error> {
    if files[k].is_none() {
        let f =
            File::open(&parts[k]).map_err(|e| Error::Unreadable { path: parts[k].clone(), problem: e.to_string() })?;
        files[k] = Some(f);
    }
    Ok(files[k].as_mut().expect("opened above"))
}

/// The records whose id hash is shared with another record (true repeats,
/// and the rare collisions), read again from the file into one table in
/// file order: validating it says which are repeats, by validation's own
/// rule (ids compared as text, records not yet known not counted).
fn repeat_candidates(
    kind: InputKind,
    path: &Path,
    choice: DialectChoice,
    header: &[u8],
    source: Source<'_>,
    buckets: &[PathBuf],
) -> Result<Option<Repeats>, Error> {
    // Equal hashes are in one bucket: a bucket at a time.
    let mut candidates: Vec<IdKey> = Vec::new();
    for bucket in buckets {
        let unreadable = |e: std::io::Error| Error::Unreadable { path: bucket.clone(), problem: e.to_string() };
        let bytes = std::fs::read(bucket).map_err(unreadable)?;
        std::fs::remove_file(bucket).map_err(unreadable)?;
        // Each key's hash and place in the bucket as one integer, sorted:
        // equal hashes side by side, in file order (keys were written in
        // it). Sorting the 36-byte keys themselves was 10 % of the scatter.
        let key = |i: usize| &bytes[i * IdKey::SIZE..(i + 1) * IdKey::SIZE];
        let mut order: Vec<u128> =
            (0..bytes.len() / IdKey::SIZE).map(|i| u128::from(IdKey::get(key(i)).hash) << 64 | i as u128).collect();
        order.sort_unstable();
        for run in order.chunk_by(|a, b| a >> 64 == b >> 64).filter(|r| r.len() > 1) {
            candidates.extend(run.iter().map(|&o| IdKey::get(key(o as u64 as usize))));
        }
    }
    if candidates.is_empty() {
        return Ok(None);
    }
    candidates.sort_unstable_by_key(|k| k.line);
    let unreadable = |p: &Path, e: std::io::Error| Error::Unreadable { path: p.to_path_buf(), problem: e.to_string() };
    // The header, then each candidate record as it is in the input (or,
    // for a Parquet input, as it was written into its partition).
    let mut input = match source {
        Source::Input(p) => Some(File::open(p).map_err(|e| unreadable(p, e))?),
        Source::Parts(_) => None,
    };
    let mut files: Vec<Option<File>> = match source {
        Source::Parts(parts) => (0..parts.len()).map(|_| None).collect(),
        Source::Input(_) => Vec::new(),
    };
    let mut mini = header.to_vec();
    for k in &candidates {
        let (f, at) = match source {
            Source::Input(p) => (input.as_mut().expect("opened above"), p),
            Source::Parts(parts) => (opened(&mut files, parts, k.part as usize)?, parts[k.part as usize].as_path()),
        };
        let mut rec = vec![0u8; k.len as usize];
        f.seek(SeekFrom::Start(k.start)).map_err(|e| unreadable(at, e))?;
        f.read_exact(&mut rec).map_err(|e| unreadable(at, e))?;
        mini.extend_from_slice(&rec);
        if !rec.ends_with(b"\n") {
            mini.push(b'\n');
        }
    }
    let mini_lines: Vec<u64> = candidates.iter().map(|k| k.line).collect();
    let mut t = super::read_part_bytes(kind, path, "", mini, mini_lines, Vec::new(), choice)?;
    t.known_duplicates = None;
    Ok(Some(Repeats { table: t, at: candidates.iter().map(|k| (k.line, k.part, k.row)).collect() }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partition::Ranges;

    /// Each partition gets back the lines of its records, in file order,
    /// from its line file; the ids a file repeats (in other partitions, and
    /// in other buckets than the first) are the repeat candidates; and a
    /// line file cut short is an error that names it.
    #[test]
    fn line_files_and_id_buckets_give_back_what_the_file_holds() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("ledger.csv");
        let mut text = String::from("payment_id,seeker_id,right_id,month,kind,days,daily_rate,amount,paid_on\n");
        // P7 is repeated twice, by other seekers, further down.
        for i in 0..40 {
            let id = if i == 25 || i == 33 { 7 } else { i };
            text += &format!("P{id},S{i},R{i},2024-03,advance,31,40.00,1240.00,2024-04-04\n");
            if i == 10 {
                text += ",,,,,,,,\n";
            }
        }
        std::fs::write(&path, &text).unwrap();
        let ranges = Ranges::balanced(vec![("S2".into(), 1.0), ("S3".into(), 1.0), ("S4".into(), 1.0)], 3);
        let n = ranges.count();
        let mut s = scatter(InputKind::Ledger, &path, DialectChoice::Auto, &ranges, tmp.path()).unwrap();
        assert_eq!(s.empty_lines, [13]);
        let repeats = s.repeats.as_ref().expect("P7 repeats");
        let lines: Vec<u64> = repeats.at.iter().map(|a| a.0).collect();
        assert_eq!(lines, [9, 28, 36], "the three rows of P7, in file order");
        for k in 0..n {
            let expected: Vec<u64> = (0..40u64)
                .filter(|&i| ranges.of_record(&format!("S{i}")) == k)
                .map(|i| if i <= 10 { i + 2 } else { i + 3 })
                .collect();
            let (got, duplicates) = s.take_part(k as usize).unwrap();
            assert_eq!(got, expected, "partition {k}");
            assert_eq!(duplicates, vec![false; expected.len()]);
            assert!(!s.line_files[k as usize].exists(), "a partition's line file is read once");
        }
        // A line file that lost its last record's line.
        let mut s = scatter(InputKind::Ledger, &path, DialectChoice::Auto, &ranges, tmp.path()).unwrap();
        let cut = s.line_files[1].clone();
        let len = std::fs::metadata(&cut).unwrap().len();
        std::fs::OpenOptions::new().write(true).open(&cut).unwrap().set_len(len - 8).unwrap();
        let err = s.take_part(1).unwrap_err().to_string();
        assert!(err.contains("ledger-1.lines"), "{err}");
    }

    /// A sorted input's partitions are left in it as spans of its bytes
    /// (nothing copied); one broken by a blank line or a record out of
    /// order is copied, records as they are; either reads as the header
    /// then the partition's records in file order. A span is not read from
    /// an input that changed since.
    #[test]
    fn partitions_of_a_sorted_input_are_spans_of_it() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("ledger.csv");
        let head = "payment_id,seeker_id,right_id,month,kind,days,daily_rate,amount,paid_on\n";
        let rec = |i: u32| format!("P{i},S{i:02},R{i},2024-03,advance,31,40.00,1240.00,2024-04-04\n");
        let mut text = head.to_string();
        for i in 0..30 {
            text += &rec(i);
            if i == 14 {
                text += ",,,,,,,,\n"; // a blank line inside partition 1
            }
            if i == 19 {
                text += &rec(3); // back in partition 0, whose run it breaks
            }
        }
        text += "P99,S29,R29,2024-03,advance,31,40.00,1240.00,2024-04-04"; // no line break at the end
        std::fs::write(&path, &text).unwrap();
        let ranges = Ranges::balanced((0..30).map(|i| (format!("S{i:02}"), 1.0)).collect(), 3);
        let s = scatter(InputKind::Ledger, &path, DialectChoice::Auto, &ranges, tmp.path()).unwrap();
        assert_eq!(s.spans.iter().map(Option::is_some).collect::<Vec<_>>(), [false, false, true]);
        let expected = |k: u32| {
            let mut t = head.to_string();
            for line in text.lines().skip(1).filter(|l| !l.starts_with(',')) {
                let seeker = line.split(',').nth(1).unwrap();
                if ranges.of_record(seeker) == k {
                    t += line;
                    t += "\n";
                }
            }
            t
        };
        for k in 0..3 {
            assert_eq!(String::from_utf8(s.part_bytes(k as usize).unwrap()).unwrap(), expected(k), "partition {k}");
        }
        // P3 repeats across partitions 0's run and its copy: read again from the input.
        let repeats = s.repeats.as_ref().expect("P3 repeats");
        assert_eq!(repeats.at.iter().map(|a| a.0).collect::<Vec<_>>(), [5, 23]);
        let seekers: Vec<Option<&str>> = (0..2).map(|r| repeats.table.cell(1, r)).collect();
        assert_eq!(seekers, [Some("S03"), Some("S03")], "the records themselves");
        std::fs::write(&path, text.clone() + "\n").unwrap();
        let err = s.part_bytes(2).unwrap_err().to_string();
        assert!(err.contains("ledger.csv") && err.contains("changed while the run was reading it"), "{err}");
    }

    /// A CSV file's sample is read at evenly spaced places: from a file of
    /// 1000 seekers in order, the i-th of 10 ids is about the (100 i + 50)-th
    /// seeker (places are bytes: the first hundred records are shorter), in
    /// either dialect, quoted values and a quoted line break read as the
    /// file has them.
    #[test]
    fn a_csv_sample_is_spread_over_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        for (sep, choice) in [(',', DialectChoice::Auto), (';', DialectChoice::Fr)] {
            let path = tmp.path().join("ledger.csv");
            let mut text =
                ["payment_id", "seeker_id", "right_id", "month", "kind", "days", "daily_rate", "amount", "paid_on"]
                    .join(&sep.to_string())
                    + "\n";
            for i in 0..1000 {
                // Every tenth seeker quoted, every hundredth with a line break in its right.
                let seeker = if i % 10 == 0 { format!("\" S{i:04} \"") } else { format!("S{i:04}") };
                let right = if i % 100 == 7 { "\"R\nX\"".to_string() } else { format!("R{i}") };
                let fields = [
                    format!("P{i}"),
                    seeker,
                    right,
                    "2024-03".into(),
                    "advance".into(),
                    "31".into(),
                    "40".into(),
                    "1240".into(),
                    "2024-04-04".into(),
                ];
                text += &(fields.join(&sep.to_string()) + "\n");
            }
            std::fs::write(&path, &text).unwrap();
            let ids = sample_seekers(InputKind::Ledger, &path, choice, 10);
            assert_eq!(ids.len(), 10, "{ids:?}");
            for (i, id) in ids.iter().enumerate() {
                let n: i64 = id[1..].parse().unwrap_or_else(|_| panic!("{id:?}"));
                assert!((n - (100 * i as i64 + 50)).abs() <= 8, "sample {i} is {id} ({sep:?})");
            }
        }
        // A file that cannot be read gives no sample (the scatter names the problem).
        assert!(sample_seekers(InputKind::Ledger, &tmp.path().join("missing.csv"), DialectChoice::Auto, 10).is_empty());
    }

    /// A Parquet file's sample comes from slices spread over its rows.
    #[test]
    fn a_parquet_sample_is_spread_over_the_file() {
        use polars::prelude::{Column, DataFrame, ParquetWriter};
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("rights.parquet");
        let ids: Vec<String> = (0..1000).map(|i| format!("S{i:04}")).collect();
        let mut df = DataFrame::new_infer_height(vec![Column::new("seeker_id".into(), ids)]).unwrap();
        ParquetWriter::new(File::create(&path).unwrap()).finish(&mut df).unwrap();
        let sample = sample_seekers(InputKind::Rights, &path, DialectChoice::Auto, 32);
        assert_eq!(sample.len(), 32);
        let first: i64 = sample[0][1..].parse().unwrap();
        let last: i64 = sample[31][1..].parse().unwrap();
        assert!(first < 60 && last > 940, "from S{first:04} to S{last:04}");
    }
}
