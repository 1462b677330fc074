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

use std::collections::{BTreeMap, HashMap, HashSet};
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

/// One input file read for a cluster: its facts and every record.
pub struct Scan {
    pub facts: FileFacts,
    /// The header line as it is in the file.
    pub header: Vec<u8>,
    pub records: Vec<Scanned>,
    /// The records' bytes, one after the other.
    pub text: Vec<u8>,
    /// The lines that repeat an id of an earlier line (data.md
    /// `duplicate_id` is about the whole file, which only the scan sees).
    pub repeats: Vec<u64>,
}

/// A record of a [`Scan`].
pub struct Scanned {
    pub bucket: u32,
    /// Its first physical line (the header is line 1).
    pub line: u64,
    /// The hash of its id (`None`: it has none); equal ids, equal hashes.
    pub id_hash: Option<u64>,
    /// Where its bytes are in [`Scan::text`].
    pub text: std::ops::Range<usize>,
}

/// Reads a CSV input once, every record into its bucket (of `buckets`).
pub fn scan(kind: InputKind, path: &Path, opts: &RunOptions, buckets: u32) -> Result<Scan> {
    let choice = opts.inputs.dialect;
    if buckets == 0 {
        return Err(Error::Usage("a cluster run needs at least one bucket".into()));
    }
    let mut header = Vec::new();
    let mut records = Vec::new();
    let mut text = Vec::new();
    let mut empty_lines = Vec::new();
    let on_piece = |piece: Piece<'_>| -> Result<()> {
        match piece {
            Piece::Header(h) => header = h.to_vec(),
            Piece::Empty(line) => empty_lines.push(line),
            Piece::Record { part, rec, line, id_hash } => {
                let start = text.len();
                text.extend_from_slice(rec);
                records.push(Scanned { bucket: part, line, id_hash, text: start..text.len() });
            }
        }
        Ok(())
    };
    // A Parquet input's records come as international CSV of its known columns.
    let sha256 = if is_parquet(path) {
        split_parquet(kind, path, buckets, on_piece)?.0
    } else {
        split(kind, path, choice, buckets, on_piece)?.0
    };
    let facts = FileFacts { kind, path: path.to_path_buf(), sha256, empty_lines };
    // The records whose id hash is another's (true repeats, and the rare
    // collisions) are validated together: validation says which repeat.
    let mut count: HashMap<u64, u32> = HashMap::new();
    for h in records.iter().filter_map(|r| r.id_hash) {
        *count.entry(h).or_default() += 1;
    }
    let candidates: Vec<(u64, Vec<u8>)> = (records.iter())
        .filter(|r| r.id_hash.is_some_and(|h| count[&h] > 1))
        .map(|r| (r.line, text[r.text.clone()].to_vec()))
        .collect();
    let repeats = if candidates.is_empty() {
        Vec::new()
    } else {
        duplicate_lines(BucketInput { facts: facts.clone(), header: header.clone(), records: candidates }, opts)?
    };
    Ok(Scan { facts, header, records, text, repeats })
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
        let mut t = ingest::read_part_bytes(f.kind, &f.path, &f.sha256, &bytes, lines, duplicates, choice)?;
        if repeats.is_none() {
            t.known_duplicates = None;
        }
        Ok(t)
    }
}

fn window(opts: &RunOptions, rules: &crate::rules::RuleSet) -> Result<Window> {
    Ok(Window { first: Month::of(rules.in_force_from), selected: run::parse_months(opts.months.as_deref())? })
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
}

/// Reconciles a bucket into `dir` (created; it must not exist):
/// findings.csv, notices.csv (tonight's candidates), entitlements.bin,
/// rejects.csv and summary.json, what [`merge`] takes. `repeats`: the
/// lines of each input that repeat an earlier id ([`duplicate_lines`]).
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
