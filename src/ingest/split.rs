//! The fast path of CSV ingest: a file with no quoted value, no blank line
//! and no record longer than its header is split in place, its cells kept
//! as byte ranges of the file's own text. Nothing is copied, and a cell is
//! found in constant time.
//!
//! Anything else (a `"`, a lone CR, a blank line, a header polars would
//! rename) is left to polars' reader, whose reading of those cases the rest
//! of ingest was built on. On the files this path takes, both readings are
//! the same by construction, and `tests::split_reads_as_polars_does`
//! checks it on generated files.

use std::sync::Arc;

use rayon::prelude::*;

/// A CSV file's text and where each of its cells is.
pub struct SplitFile {
    /// The file's bytes, as read.
    file: Arc<super::FileText>,
    /// Where its text starts (after a BOM).
    offset: usize,
    /// Column names, as the header spells them.
    pub(crate) header: Vec<String>,
    /// The records, in the pieces they were split in (joining them would
    /// copy every cell's place once more).
    pieces: Vec<Piece>,
    /// The first row of each piece.
    pub(crate) first_rows: Vec<usize>,
}

/// The records of one piece of a file.
struct Piece {
    /// Where each record starts in the file's text.
    starts: Vec<u64>,
    /// For each record, each column's end, relative to the record's start
    /// (`ABSENT` for a field the record does not reach): a field starts one
    /// byte after the previous one ends.
    ends: Vec<u32>,
}

/// A field that a record shorter than the header does not have.
const ABSENT: u32 = u32::MAX;

/// Records are split in parallel in pieces of about this many bytes.
const PIECE_BYTES: usize = 8 << 20;

impl SplitFile {
    pub(crate) fn rows(&self) -> usize {
        self.first_rows.last().map_or(0, |&f| f + self.pieces.last().map_or(0, |p| p.starts.len()))
    }

    /// The text of `col` in `row`, as the file has it (not trimmed); `None`
    /// when the record has no such field.
    pub(crate) fn get(&self, row: usize, col: usize) -> Option<&str> {
        let piece = self.first_rows.partition_point(|&f| f <= row).checked_sub(1)?;
        self.get_in(piece, row - self.first_rows[piece], col)
    }

    /// The `offset`-th record of a piece, for reading several of its fields.
    pub(crate) fn record(&self, piece: usize, offset: usize) -> Option<Record<'_>> {
        let p = self.pieces.get(piece)?;
        let n = self.header.len();
        let ends = p.ends.get(offset * n..offset * n + n)?;
        let text = &self.file[self.offset + *p.starts.get(offset)? as usize..];
        Some(Record { text, ends })
    }

    /// [`SplitFile::get`] of the `offset`-th record of a piece.
    pub(crate) fn get_in(&self, piece: usize, offset: usize, col: usize) -> Option<&str> {
        self.record(piece, offset)?.field(col)
    }
}

/// One record of a [`SplitFile`]: its text, from its first byte on, and
/// where each of its fields ends.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Record<'a> {
    text: &'a [u8],
    ends: &'a [u32],
}

impl<'a> Record<'a> {
    /// The text of field `col`, as [`SplitFile::get_in`] gives it.
    pub(crate) fn field(&self, col: usize) -> Option<&'a str> {
        let end = *self.ends.get(col)?;
        if end == ABSENT {
            return None;
        }
        let begin = if col == 0 { 0 } else { self.ends[col - 1] + 1 };
        let bytes = &self.text[begin as usize..end as usize];
        // SAFETY: the file was checked to be UTF-8 before splitting, and a
        // field is cut at ASCII separators and line ends only, which never
        // fall inside a multi-byte character.
        Some(unsafe { std::str::from_utf8_unchecked(bytes) })
    }
}

/// Splits a CSV file (UTF-8, its header at `offset`, after any BOM) on
/// `separator`; `None` when the file needs polars' reader.
pub(crate) fn split(file: Arc<super::FileText>, offset: usize, separator: u8) -> Option<SplitFile> {
    let text = &file[offset..];
    if memchr::memchr(b'"', text).is_some() {
        return None;
    }
    // A CR is only ever the first half of a line end.
    if memchr::memchr_iter(b'\r', text).any(|i| text.get(i + 1) != Some(&b'\n')) {
        return None;
    }
    let header_end = memchr::memchr(b'\n', text).unwrap_or(text.len());
    let header_line = strip_cr(&text[..header_end]);
    let header: Vec<String> =
        std::str::from_utf8(header_line).ok()?.split(separator as char).map(str::to_string).collect();
    // Polars renames an empty or repeated name, and trims none: those
    // headers are its to read.
    let plain = |h: &String| !h.is_empty() && h.trim() == h;
    if !header.iter().all(plain) || (1..header.len()).any(|i| header[..i].contains(&header[i])) {
        return None;
    }
    let body_start = (header_end + 1).min(text.len());
    let n = header.len();
    let pieces = pieces(text, body_start);
    let split: Vec<Option<Piece>> =
        pieces.par_iter().map(|&(from, to)| split_piece(text, from, to, separator, n)).collect();
    let pieces: Vec<Piece> = split.into_iter().collect::<Option<_>>()?;
    let mut first_rows = Vec::with_capacity(pieces.len());
    let mut rows = 0;
    for p in &pieces {
        first_rows.push(rows);
        rows += p.starts.len();
    }
    Some(SplitFile { file, offset, header, pieces, first_rows })
}

/// `line` without the CR of a CR LF line end.
fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The body cut into pieces that end at line ends.
fn pieces(text: &[u8], body_start: usize) -> Vec<(usize, usize)> {
    let mut pieces = Vec::new();
    let mut from = body_start;
    while from < text.len() {
        let to = match memchr::memchr(b'\n', text.get(from + PIECE_BYTES..).unwrap_or(&[])) {
            Some(i) => from + PIECE_BYTES + i + 1,
            None => text.len(),
        };
        pieces.push((from, to));
        from = to;
    }
    pieces
}

/// The records of `text[from..to]` (whole lines): their starts and their
/// fields' ends; `None` for a blank line, a record longer than the header,
/// or one longer than 4 GiB.
fn split_piece(text: &[u8], from: usize, to: usize, separator: u8, n: usize) -> Option<Piece> {
    let piece = &text[from..to];
    let mut starts = Vec::with_capacity(piece.len() / 64);
    let mut ends = Vec::with_capacity(piece.len() / 64 * n);
    let mut line_start = 0usize;
    let mut field = 0usize;
    let end_record = |starts: &mut Vec<u64>, ends: &mut Vec<u32>, line_start: usize, end: usize, fields: usize| {
        if end == line_start {
            return false;
        }
        starts.push((from + line_start) as u64);
        ends.push((end - line_start) as u32);
        ends.extend(std::iter::repeat_n(ABSENT, n - fields - 1));
        true
    };
    for i in Marks::new(piece, separator) {
        if i - line_start > u32::MAX as usize - 1 {
            return None;
        }
        if piece[i] == b'\n' {
            let end = if i > line_start && piece[i - 1] == b'\r' { i - 1 } else { i };
            if !end_record(&mut starts, &mut ends, line_start, end, field) {
                return None;
            }
            line_start = i + 1;
            field = 0;
        } else {
            field += 1;
            if field >= n {
                return None;
            }
            ends.push((i - line_start) as u32);
        }
    }
    // A last line without its line end.
    if line_start < piece.len() {
        let end = piece.len();
        if end - line_start > u32::MAX as usize - 1 {
            return None;
        }
        end_record(&mut starts, &mut ends, line_start, end, field);
    }
    Some(Piece { starts, ends })
}

/// The places of every separator and line feed in a piece, in order: what
/// `memchr2_iter` gave, found 64 bytes at a time as a bit mask. A field is
/// a few bytes long: a search per field cost ~45 instructions (4 % of a
/// run's outside SHA-256), a mask costs a few per 64 bytes and per field.
struct Marks<'a> {
    text: &'a [u8],
    separator: u8,
    /// Where the block of `mask` starts.
    base: usize,
    /// The marks of the block at `base` not yet given.
    mask: u64,
}

impl<'a> Marks<'a> {
    fn new(text: &'a [u8], separator: u8) -> Self {
        let mask = block_marks(text, 0, separator);
        Marks { text, separator, base: 0, mask }
    }
}

impl Iterator for Marks<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        while self.mask == 0 {
            self.base += 64;
            if self.base >= self.text.len() {
                return None;
            }
            self.mask = block_marks(self.text, self.base, self.separator);
        }
        let at = self.base + self.mask.trailing_zeros() as usize;
        self.mask &= self.mask - 1;
        Some(at)
    }
}

/// Bit `k` set when byte `base + k` of `text` is `separator` or a line
/// feed (bits past the end clear).
fn block_marks(text: &[u8], base: usize, separator: u8) -> u64 {
    let rest = &text[base.min(text.len())..];
    if let Some(block) = rest.first_chunk::<64>() {
        return marks(block, separator);
    }
    let mut block = [0u8; 64];
    block[..rest.len()].copy_from_slice(rest);
    marks(&block, separator) & ((1u64 << rest.len()) - 1)
}

/// Bit `k` set when `block[k]` is `separator` or a line feed.
fn marks(block: &[u8; 64], separator: u8) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
        };
        // SAFETY: SSE2 is part of every x86_64 processor; the four 16-byte
        // loads are within the 64-byte block (unaligned loads).
        unsafe {
            let (sep, lf) = (_mm_set1_epi8(separator as i8), _mm_set1_epi8(b'\n' as i8));
            let mut m = 0u64;
            for k in 0..4 {
                let v = _mm_loadu_si128(block.as_ptr().add(16 * k).cast::<__m128i>());
                let hit = _mm_or_si128(_mm_cmpeq_epi8(v, sep), _mm_cmpeq_epi8(v, lf));
                m |= u64::from(_mm_movemask_epi8(hit) as u16) << (16 * k);
            }
            m
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        block.iter().enumerate().fold(0, |m, (k, &b)| m | u64::from(b == separator || b == b'\n') << k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;
    use std::io::Cursor;

    use crate::generate::rng::Rng;

    /// Cells as the rest of ingest reads them: trimmed, `None` when empty.
    fn cell(s: Option<&str>) -> Option<String> {
        s.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
    }

    fn polars_cells(text: &[u8], separator: u8) -> Vec<Vec<Option<String>>> {
        let df = CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .map_parse_options(|o| o.with_separator(separator))
            .into_reader_with_file_handle(Cursor::new(text))
            .finish()
            .unwrap();
        let cols: Vec<StringChunked> = df
            .columns()
            .iter()
            .map(|c| c.as_materialized_series().cast(&DataType::String).unwrap().str().unwrap().clone())
            .collect();
        (0..df.height()).map(|r| cols.iter().map(|c| cell(c.get(r))).collect()).collect()
    }

    /// A file of short records, some of them shorter than the header, with
    /// spaces, empty fields, CR LF ends and French decimals.
    fn file(rng: &mut Rng, separator: u8) -> Vec<u8> {
        const VALUES: [&str; 9] = ["", "a", " b", "c ", "12", "x y", "1,5", "é", "  "];
        let sep = separator as char;
        let n = 1 + rng.below(5) as usize;
        let crlf = rng.below(3) == 0;
        let end = if crlf { "\r\n" } else { "\n" };
        let mut s: String = (0..n).map(|i| format!("c{i}")).collect::<Vec<_>>().join(&sep.to_string());
        for _ in 0..rng.below(12) {
            s.push_str(end);
            let fields = if rng.below(4) == 0 { 1 + rng.below(n as u64) as usize } else { n };
            let values: Vec<&str> = (0..fields)
                .map(|_| VALUES[rng.below(VALUES.len() as u64) as usize])
                .map(|v| if separator == b',' && v.contains(',') { "1.5" } else { v })
                .collect();
            let line = values.join(&sep.to_string());
            // A record polars sees as a line at all (an empty one-column line is a blank line).
            s.push_str(if line.is_empty() { "z" } else { &line });
        }
        if rng.below(2) == 0 {
            s.push_str(end);
        }
        s.into_bytes()
    }

    /// The marks are what a search for either byte finds: across block
    /// edges, in a last block shorter than 64 bytes, in an empty text.
    #[test]
    fn marks_are_where_a_search_finds_separators_and_line_feeds() {
        let mut rng = Rng::new(7, 0, 0);
        for len in [0usize, 1, 2, 63, 64, 65, 127, 128, 129, 200, 1000] {
            for separator in [b',', b';'] {
                let text: Vec<u8> = (0..len).map(|_| b",;\n\rab 1"[rng.below(8) as usize]).collect();
                let found: Vec<usize> = Marks::new(&text, separator).collect();
                let searched: Vec<usize> = memchr::memchr2_iter(separator, b'\n', &text).collect();
                assert_eq!(found, searched, "{len} bytes, separator {}", separator as char);
            }
        }
        // Marks in the last bits of a block, and a block of nothing but marks.
        let text = [vec![b'a'; 63], vec![b','], vec![b'\n'; 64], vec![b'a'; 3]].concat();
        let expected: Vec<usize> = (63..128).collect();
        assert_eq!(Marks::new(&text, b',').collect::<Vec<_>>(), expected);
    }

    #[test]
    fn split_reads_as_polars_does() {
        let mut rng = Rng::new(7, 0, 0);
        let mut taken = 0;
        for round in 0..2000 {
            let separator = if round % 2 == 0 { b',' } else { b';' };
            let text = file(&mut rng, separator);
            let Some(split) = split(Arc::new(crate::ingest::FileText::Owned(text.clone())), 0, separator) else {
                continue;
            };
            taken += 1;
            let ours: Vec<Vec<Option<String>>> =
                (0..split.rows()).map(|r| (0..split.header.len()).map(|c| cell(split.get(r, c))).collect()).collect();
            assert_eq!(ours, polars_cells(&text, separator), "{}", String::from_utf8_lossy(&text));
            // A record read whole (as validation reads it) has the same fields.
            let by_record: Vec<Vec<Option<String>>> = (0..split.rows())
                .map(|r| {
                    let piece = split.first_rows.partition_point(|&f| f <= r) - 1;
                    let record = split.record(piece, r - split.first_rows[piece]).expect("a record of the file");
                    (0..split.header.len()).map(|c| cell(record.field(c))).collect()
                })
                .collect();
            assert_eq!(by_record, ours, "{}", String::from_utf8_lossy(&text));
        }
        // Files without quotes, blank lines or long records are this path's.
        assert_eq!(taken, 2000);
    }

    #[test]
    fn what_polars_must_read_is_left_to_it() {
        for text in [
            "a,b\n\"x\",y\n",    // a quoted value
            "a,b\nx,y\n\nz,w\n", // a blank line
            "a,b\nx,y,z\n",      // a record longer than the header
            "a,b\rx,y\r",        // lone CR line ends
            "a,a\nx,y\n",        // a name repeated
            "a,\nx,y\n",         // a name empty
            " a,b\nx,y\n",       // a name with a space
        ] {
            assert!(split(Arc::new(crate::ingest::FileText::Owned(text.into())), 0, b',').is_none(), "{text:?}");
        }
        let s = split(Arc::new(crate::ingest::FileText::Owned(b"a,b,c\nx,,z\r\nu\n".to_vec())), 0, b',').unwrap();
        assert_eq!(
            (s.rows(), s.get(0, 1), s.get(0, 2), s.get(1, 0), s.get(1, 1)),
            (2, Some(""), Some("z"), Some("u"), None)
        );
    }
}
