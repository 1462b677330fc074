//! A run spread over a cluster (the Python module's Spark job), in the
//! engine's terms: the cluster moves records, the engine does the rest.
//!
//! ```text
//! scan        each input read once (one task a file): every record as it
//!             is in the file (a Parquet row as a line of CSV), with its physical line and its bucket
//!             (partition::partition_of of its seeker); and, the task seeing
//!             the whole file, the lines that repeat an earlier id
//! bucket      a bucket's records, per input in line order: validated,
//!             recomputed and settled into a part (findings, candidate notices,
//!             entitlements, rejects, counts), as a `--memory-limit` partition is
//! merge       the parts (any order) into the run folder, as a partitioned
//!             run merges its partitions: byte for byte `indus run`'s
//! ```
//!
//! A bucket is a partition of the partitioned run, with its records
//! brought by the cluster instead of scattered from the files here, so the
//! outputs are those of `indus run` whatever the number of buckets.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ingest::scatter::{is_parquet, split, split_parquet, Piece};
use crate::ingest::{self, DialectChoice, InputKind, RawTable};
use crate::model::Month;
use crate::output::manifest::Manifest;
use crate::output::{self, FolderKind, Staging};
pub use crate::partitioned::FileFacts;
use crate::partitioned::{finish, reconcile_partition, Partitions};
use crate::previous;
use crate::run::{self, RunOptions};
use crate::validate::{self, InputStats, Window};

/// Some records of an input, in file order, as a scan hands them over.
#[derive(Default)]
pub struct ScanChunk {
    pub records: Vec<Scanned>,
    /// The records' bytes, one after the other.
    pub text: Vec<u8>,
}

/// A record of a [`ScanChunk`].
pub struct Scanned {
    pub bucket: u32,
    /// Its first physical line (the header is line 1).
    pub line: u64,
    /// Where its bytes are in [`ScanChunk::text`].
    pub text: std::ops::Range<usize>,
}

/// What a scan says of its file once it is read.
pub struct ScanEnd {
    pub facts: FileFacts,
    /// The header line as it is in the file.
    pub header: Vec<u8>,
    /// The lines that repeat an id of an earlier line (data.md
    /// `duplicate_id` is about the whole file, which only the scan sees).
    pub repeats: Vec<u64>,
}

/// Reads an input, every record into its bucket (of `buckets`), handing
/// the records over `chunk` at a time: a scan holds a chunk, and a hash and
/// a line a record, never the file. The records whose id hash is another's
/// are read a second time, to say which repeat an earlier id.
pub fn scan(
    kind: InputKind,
    path: &Path,
    opts: &RunOptions,
    buckets: u32,
    chunk: usize,
    mut on_chunk: impl FnMut(ScanChunk) -> Result<()>,
) -> Result<ScanEnd> {
    if buckets == 0 {
        return Err(Error::Usage("a cluster run needs at least one bucket".into()));
    }
    let mut header = Vec::new();
    let mut empty_lines = Vec::new();
    let mut ids: Vec<(u64, u64)> = Vec::new();
    let mut cur = ScanChunk::default();
    let sha256 = pieces(kind, path, opts, buckets, |piece| {
        match piece {
            Piece::Header(h) => header = h.to_vec(),
            Piece::Empty(line) => empty_lines.push(line),
            Piece::Record { part, rec, line, id_hash, .. } => {
                ids.extend(id_hash.map(|h| (h, line)));
                let start = cur.text.len();
                cur.text.extend_from_slice(rec);
                cur.records.push(Scanned { bucket: part, line, text: start..cur.text.len() });
                if cur.records.len() >= chunk.max(1) {
                    on_chunk(std::mem::take(&mut cur))?;
                }
            }
        }
        Ok(())
    })?;
    if !cur.records.is_empty() {
        on_chunk(cur)?;
    }
    let facts = FileFacts { kind, path: path.to_path_buf(), sha256, empty_lines };
    // The records whose id hash is another's (true repeats, and the rare
    // collisions) are validated together: validation says which repeat.
    ids.sort_unstable();
    let mut candidates = HashSet::new();
    for run in ids.chunk_by(|a, b| a.0 == b.0).filter(|r| r.len() > 1) {
        candidates.extend(run.iter().map(|&(_, line)| line));
    }
    drop(ids);
    let repeats = if candidates.is_empty() {
        Vec::new()
    } else {
        let mut records = Vec::with_capacity(candidates.len());
        pieces(kind, path, opts, buckets, |piece| {
            if let Piece::Record { rec, line, .. } = piece {
                if candidates.contains(&line) {
                    records.push((line, rec.to_vec()));
                }
            }
            Ok(())
        })?;
        duplicate_lines(BucketInput { facts: facts.clone(), header: header.clone(), records }, opts)?
    };
    Ok(ScanEnd { facts, header, repeats })
}

/// Every piece of an input (a Parquet input's rows as international CSV
/// lines of its known columns); its SHA-256.
fn pieces(
    kind: InputKind,
    path: &Path,
    opts: &RunOptions,
    buckets: u32,
    on: impl FnMut(Piece<'_>) -> Result<()>,
) -> Result<String> {
    // A cluster's buckets are hashes of the seeker (Spark's pmod(xxhash64)).
    let bucket_of = |seeker: &str| crate::partition::partition_of_record(seeker, buckets);
    Ok(if is_parquet(path) {
        split_parquet(kind, path, &bucket_of, on)?.0
    } else {
        split(kind, path, opts.inputs.dialect, &bucket_of, on)?
    })
}

/// Some records of one input, as the cluster brings them to a bucket.
pub struct BucketInput {
    pub facts: FileFacts,
    pub header: Vec<u8>,
    /// (line, the record as it is in the file), in any order.
    pub records: Vec<(u64, Vec<u8>)>,
}

impl BucketInput {
    /// The records as a table that speaks for the whole file (its path,
    /// SHA-256 and lines), `repeats` the lines that repeat an earlier id
    /// (`None`: validation finds them among these records).
    fn table(mut self, choice: DialectChoice, repeats: Option<&HashSet<u64>>) -> Result<RawTable> {
        self.records.sort_unstable_by_key(|r| r.0);
        let mut bytes = self.header;
        if !bytes.ends_with(b"\n") {
            bytes.push(b'\n');
        }
        for (_, rec) in &self.records {
            bytes.extend_from_slice(rec);
            if !rec.ends_with(b"\n") {
                bytes.push(b'\n');
            }
        }
        let lines: Vec<u64> = self.records.iter().map(|r| r.0).collect();
        let duplicates = lines.iter().map(|l| repeats.is_some_and(|r| r.contains(l))).collect();
        let f = &self.facts;
        let choice = if is_parquet(&f.path) { DialectChoice::Intl } else { choice };
        let mut t = ingest::read_part_bytes(f.kind, &f.path, &f.sha256, bytes, lines, duplicates, choice)?;
        if repeats.is_none() {
            t.known_duplicates = None;
        }
        Ok(t)
    }
}

fn window(opts: &RunOptions, rules: &crate::rules::RuleSet) -> Result<Window> {
    Ok(Window::of(rules, run::parse_months(opts.months.as_deref())?.as_deref()))
}

/// Of the records of one input whose id hash repeats, the lines that
/// repeat the id of an earlier line (data.md `duplicate_id`, by
/// validation's own rule: ids compared as text, records not yet known not
/// counted).
fn duplicate_lines(candidates: BucketInput, opts: &RunOptions) -> Result<Vec<u64>> {
    let rules = run::load_rules(opts.rules.as_deref())?;
    let t = candidates.table(opts.inputs.dialect, None)?;
    let v = validate::validate(std::slice::from_ref(&t), opts.as_of, 1.0, &window(opts, &rules)?)?;
    Ok(v.rejects.iter().filter(|r| r.code == validate::Code::DuplicateId).map(|r| r.line).collect())
}

/// What a bucket's folder says of it besides its rows (`summary.json`).
#[derive(Serialize, Deserialize)]
struct Summary {
    stats: BTreeMap<String, InputStats>,
    known: Vec<String>,
    decisions_unmatched: u64,
    unknown_columns: BTreeMap<String, Vec<String>>,
    /// The bucket's seeker-months (its entitlement rows, not spilled when
    /// the run writes no entitlements).
    seeker_months: u64,
}

/// Reconciles a bucket into `dir` (created; it must not exist):
/// findings.csv, notices.csv (tonight's candidates), entitlements.bin
/// (unless `--outputs nightly`), rejects.csv and summary.json, what
/// [`merge`] takes. `repeats`: the lines of each input that repeat an
/// earlier id ([`duplicate_lines`]).
pub fn reconcile(
    inputs: Vec<BucketInput>,
    repeats: &BTreeMap<InputKind, HashSet<u64>>,
    opts: &RunOptions,
    dir: &Path,
) -> Result<()> {
    let rules = run::load_rules(opts.rules.as_deref())?;
    let window = window(opts, &rules)?;
    let selected = window.selected.clone();
    let none = HashSet::new();
    let tables = inputs
        .into_iter()
        .map(|i| {
            let r = repeats.get(&i.facts.kind).unwrap_or(&none);
            i.table(opts.inputs.dialect, Some(r))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut p = Partitions::new(rules);
    reconcile_partition(tables, opts, &window, selected.as_deref(), dir, &mut p)?;
    let rejects: Vec<validate::Reject> = p.rejects.concat();
    output::write_csv(dir, "rejects.csv", output::REJECTS_HEADER, &[&rejects])?;
    let summary = Summary {
        stats: p.stats.iter().map(|(k, s)| (k.name().to_string(), s.clone())).collect(),
        known: p.known.iter().map(Month::to_string).collect(),
        decisions_unmatched: p.decisions_unmatched,
        seeker_months: p.seeker_months,
        unknown_columns: p.unknown_columns.iter().map(|(k, c)| (k.name().to_string(), c.clone())).collect(),
    };
    let json = serde_json::to_vec(&summary).map_err(|e| Error::output(dir.join("summary.json"), e))?;
    output::write_file(&dir.join("summary.json"), &json)
}

/// Merges the buckets' folders (each written by [`reconcile`], in any
/// order; a bucket without any record has none) into `opts.out`, as `indus
/// run` would have written it. `files`: every input's facts, from its scan.
pub fn merge(files: &[FileFacts], dirs: &[PathBuf], opts: &RunOptions) -> Result<Manifest> {
    run::check_out_holds_no_input(opts)?;
    let rules = run::load_rules(opts.rules.as_deref())?;
    rules.notice_params(opts.as_of)?;
    let previous = match &opts.previous {
        Some(dir) => Some(previous::check(dir, &rules.id, opts.as_of)?),
        None => None,
    };
    let staging = Staging::new(&opts.out, FolderKind::Run)?;
    let mut p = Partitions::new(rules);
    for dir in dirs {
        let path = dir.join("summary.json");
        let text =
            std::fs::read(&path).map_err(|e| Error::Unreadable { path: path.clone(), problem: e.to_string() })?;
        let s: Summary = serde_json::from_slice(&text)
            .map_err(|e| Error::Unreadable { path: path.clone(), problem: e.to_string() })?;
        for (k, st) in s.stats {
            let kind = InputKind::parse(&k)
                .ok_or_else(|| Error::Unreadable { path: path.clone(), problem: format!("`{k}` is not an input") })?;
            p.stats.entry(kind).or_default().add(&st);
        }
        for (k, c) in s.unknown_columns {
            if let Some(kind) = InputKind::parse(&k) {
                p.unknown_columns.entry(kind).or_insert(c);
            }
        }
        p.known.extend(s.known.iter().filter_map(|m| Month::parse(m)));
        p.decisions_unmatched += s.decisions_unmatched;
        p.seeker_months += s.seeker_months;
        p.rejects.push(output::read::rejects(&dir.join("rejects.csv"))?);
        p.dirs.push(dir.clone());
    }
    // Every input has its counts, even one without any record.
    for f in files {
        p.stats.entry(f.kind).or_default();
    }
    let mut timings = run::Timings::default();
    let (manifest, _) = finish(&staging, p, files, opts, previous, &mut timings, &mut Instant::now())?;
    staging.commit()?;
    Ok(manifest)
}
