//! The previous night's run folder (nights.md §8.1): found, checked against
//! its own manifest, and read back into the findings and notices tonight's
//! run is compared with. A folder that is not a run, is incomplete, was
//! edited since, or was made under another rule set stops the run: what the
//! seekers were told must be known exactly before anything is sent again.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::model::{Id, Month};
use crate::output::manifest::Manifest;
use crate::partition::Ranges;
use crate::reconcile::{Cause, Status};
use crate::status::{Action, Channel};
use crate::util::hex;
use crate::validate::{parse_date, parse_decimal};

/// A finding of the previous run, as its findings.csv has it.
#[derive(Clone, Debug, PartialEq)]
pub struct PreviousFinding {
    pub finding_id: String,
    pub seeker_id: Id,
    pub month: Month,
    pub cause: Cause,
    pub amount: Decimal,
    pub status: Status,
    pub evidence: String,
}

/// A notice of the previous run, as its notices.csv has it.
#[derive(Clone, Debug, PartialEq)]
pub struct PreviousNotice {
    pub seeker_id: Id,
    pub agency_id: Id,
    pub net: Decimal,
    pub channel: Channel,
    pub notified_on: NaiveDate,
    pub formal_notice_on: Option<NaiveDate>,
    pub finding_ids: Vec<String>,
    /// `first` for a run made before notices had an action.
    pub action: Action,
}

/// The previous night, checked and read.
#[derive(Clone, Debug)]
pub struct Previous {
    /// The folder as the user named it (the manifest records it so).
    pub dir: PathBuf,
    pub manifest: Manifest,
    pub manifest_sha256: String,
    /// Sorted by (seeker, month, cause).
    pub findings: Vec<PreviousFinding>,
    /// Sorted by seeker; one per seeker.
    pub notices: Vec<PreviousNotice>,
}

impl Previous {
    /// Keeps the findings and notices of one shard's seekers (`--shard`).
    pub(crate) fn keep_shard(&mut self, shard: crate::partition::Shard) {
        self.findings.retain(|f| shard.holds(&f.seeker_id));
        self.notices.retain(|n| shard.holds(&n.seeker_id));
    }

    /// The same run reduced to one seeker's findings and notice (`explain`).
    pub fn only(&self, seeker: &str) -> Previous {
        Previous {
            dir: self.dir.clone(),
            manifest: self.manifest.clone(),
            manifest_sha256: self.manifest_sha256.clone(),
            findings: self.findings.iter().filter(|f| f.seeker_id == seeker).cloned().collect(),
            notices: self.notices.iter().filter(|n| n.seeker_id == seeker).cloned().collect(),
        }
    }
}

fn problem(dir: &Path, what: impl Into<String>) -> Error {
    Error::Previous { path: dir.to_path_buf(), problem: what.into() }
}

/// The previous run folder, checked (its manifest, rule set, `as_of`, and
/// the SHA-256 of its findings and notices) but not read yet: a run checks
/// it before any work and reads its rows once its own are computed, when
/// they are needed.
pub struct Checked {
    dir: PathBuf,
    manifest: Manifest,
    manifest_sha256: String,
}

/// Reads and checks the previous run folder `dir` for a run at `as_of` under
/// the rule set `rule_set_id`.
pub fn load(dir: &Path, rule_set_id: &str, as_of: NaiveDate) -> Result<Previous> {
    check(dir, rule_set_id, as_of)?.read()
}

/// Checks the previous run folder `dir` for a run at `as_of` under the rule
/// set `rule_set_id`. (That `--out` is not `dir` is `run`'s check, with the
/// inputs': a run never replaces what it reads.)
pub fn check(dir: &Path, rule_set_id: &str, as_of: NaiveDate) -> Result<Checked> {
    if !dir.is_dir() {
        return Err(problem(dir, "no such folder (--previous names the previous night's output folder)"));
    }
    let manifest_path = dir.join("manifest.json");
    let bytes = fs::read(&manifest_path)
        .map_err(|e| problem(dir, format!("not an indus run folder: cannot read its manifest.json ({e})")))?;
    let manifest_sha256 = hex(&Sha256::digest(&bytes));
    let manifest = Manifest::read(&manifest_path).map_err(|e| match e {
        Error::Unreadable { problem: p, .. } => problem(dir, format!("its manifest.json: {p}")),
        e => e,
    })?;
    if manifest.rule_set.id != rule_set_id {
        return Err(problem(
            dir,
            format!(
                "was made under rule set `{}`, tonight's is `{rule_set_id}`: findings of different rule sets \
                 cannot be compared (a new version of the same rule set can)",
                manifest.rule_set.id
            ),
        ));
    }
    let prev_as_of = parse_date(&manifest.as_of)
        .ok_or_else(|| problem(dir, format!("its manifest's as_of `{}` is not a date", manifest.as_of)))?;
    if prev_as_of > as_of {
        return Err(problem(dir, format!("its as_of {prev_as_of} is after tonight's {as_of}")));
    }
    for file in ["findings.csv", "notices.csv"] {
        hash_checked(dir, &manifest, file)?;
    }
    Ok(Checked { dir: dir.to_path_buf(), manifest, manifest_sha256 })
}

impl Checked {
    /// Reads the findings and notices (checked against the manifest again:
    /// the folder may have changed since).
    pub fn read(self) -> Result<Previous> {
        let Checked { dir, manifest, manifest_sha256 } = self;
        let findings_text = checked_file(&dir, &manifest, "findings.csv")?;
        let findings = read_findings(&dir.join("findings.csv"), &findings_text)?;
        drop(findings_text);
        let notices_text = checked_file(&dir, &manifest, "notices.csv")?;
        let notices = read_notices(&dir.join("notices.csv"), &notices_text)?;
        in_order(Previous { dir, manifest, manifest_sha256, findings, notices })
    }

    /// The findings and notices split by tonight's seeker `ranges` into
    /// files of `scratch` (a `--memory-limit` run, which compares a range
    /// at a time): every record read and checked on the way, and each file
    /// hashed against the manifest again (the folder may have changed since).
    pub(crate) fn split(self, ranges: &Ranges, scratch: &Path) -> Result<Split> {
        let Checked { dir, manifest, manifest_sha256 } = self;
        let findings = split_file(&dir, &manifest, "findings.csv", ranges, scratch, |c| {
            let cols = FindingColumns::of(c)?;
            Ok(move |rec: &csv::StringRecord| cols.read(rec).map(|f| f.seeker_id))
        })?;
        let notices = split_file(&dir, &manifest, "notices.csv", ranges, scratch, |c| {
            let cols = NoticeColumns::of(c)?;
            Ok(move |rec: &csv::StringRecord| cols.read(rec).map(|n| n.seeker_id))
        })?;
        Ok(Split { dir, manifest, manifest_sha256, findings, notices })
    }
}

/// The previous night's findings in (seeker, month, cause) order and its
/// notices in seeker order, one a seeker.
fn in_order(mut p: Previous) -> Result<Previous> {
    p.findings.sort_by(|a, b| (&a.seeker_id, a.month, a.cause).cmp(&(&b.seeker_id, b.month, b.cause)));
    p.notices.sort_by(|a, b| a.seeker_id.cmp(&b.seeker_id));
    if let Some(w) = p.notices.windows(2).find(|w| w[0].seeker_id == w[1].seeker_id) {
        return Err(problem(&p.dir, format!("its notices.csv has two rows for seeker {}", w[0].seeker_id)));
    }
    Ok(p)
}

/// The previous night split by seeker range ([`Checked::split`]).
pub(crate) struct Split {
    dir: PathBuf,
    manifest: Manifest,
    manifest_sha256: String,
    /// Each range's findings.csv, then notices.csv.
    findings: Vec<PathBuf>,
    notices: Vec<PathBuf>,
}

impl Split {
    /// The previous night of the seekers of range `k` (a shard's of them).
    pub(crate) fn range(&self, k: usize, shard: Option<crate::partition::Shard>) -> Result<Previous> {
        let text = |path: &Path| {
            fs::read_to_string(path).map_err(|e| Error::Unreadable { path: path.to_path_buf(), problem: e.to_string() })
        };
        let findings = read_findings(&self.findings[k], &text(&self.findings[k])?)?;
        let notices = read_notices(&self.notices[k], &text(&self.notices[k])?)?;
        let mut p = in_order(Previous {
            dir: self.dir.clone(),
            manifest: self.manifest.clone(),
            manifest_sha256: self.manifest_sha256.clone(),
            findings,
            notices,
        })?;
        if let Some(shard) = shard {
            p.keep_shard(shard);
        }
        Ok(p)
    }

    /// The folder as the user named it, and its manifest's SHA-256.
    pub(crate) fn reference(&self) -> (&Path, &str) {
        (&self.dir, &self.manifest_sha256)
    }
}

/// One CSV file of the previous run folder copied record by record into a
/// file a seeker range (the header in each), each record read first by
/// `reader` (made of the file's columns; it gives the record's seeker), and
/// the whole hashed against the manifest.
fn split_file<F>(
    dir: &Path,
    manifest: &Manifest,
    file: &str,
    ranges: &Ranges,
    scratch: &Path,
    reader: impl FnOnce(Columns) -> Result<F>,
) -> Result<Vec<PathBuf>>
where
    F: Fn(&csv::StringRecord) -> Result<Id>,
{
    let listed = listed_sha256(dir, manifest, file)?;
    let path = dir.join(file);
    let cannot = |e: std::io::Error| problem(dir, format!("incomplete: cannot read {file} ({e})"));
    let from = Hashing { inner: fs::File::open(&path).map_err(cannot)?, hasher: Sha256::new() };
    let stem = file.trim_end_matches(".csv");
    let parts: Vec<PathBuf> = (0..ranges.count()).map(|k| scratch.join(format!("previous-{stem}-{k}.csv"))).collect();
    let (c, mut r) = open(&path, std::io::BufReader::with_capacity(1 << 16, from))?;
    let mut writers =
        parts.iter().map(|p| csv::Writer::from_path(p).map_err(|e| Error::output(p, e))).collect::<Result<Vec<_>>>()?;
    let header = r.headers().map_err(|e| unreadable(&path, e))?.clone();
    let copied = (|| -> Result<()> {
        for (w, p) in writers.iter_mut().zip(&parts) {
            w.write_record(&header).map_err(|e| Error::output(p, e))?;
        }
        let seeker_of = reader(c)?;
        let mut rec = csv::StringRecord::new();
        while next(&path, &mut r, &mut rec)? {
            let k = ranges.of_record(&seeker_of(&rec)?) as usize;
            writers[k].write_record(&rec).map_err(|e| Error::output(&parts[k], e))?;
        }
        Ok(())
    })();
    // A record that cannot be read may be an edit: the hash says which.
    let mut rest = r.into_inner();
    std::io::copy(&mut rest, &mut std::io::sink()).map_err(cannot)?;
    let sha = hex(&rest.into_inner().hasher.finalize());
    if sha != listed {
        return Err(changed(dir, file, &sha, &listed));
    }
    copied?;
    for (mut w, p) in writers.into_iter().zip(&parts) {
        w.flush().map_err(|e| Error::output(p, e))?;
    }
    Ok(parts)
}

/// A reader that hashes what it reads.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: std::io::Read> std::io::Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// A file of the run folder, as text, once its SHA-256 is the manifest's.
fn checked_file(dir: &Path, manifest: &Manifest, file: &str) -> Result<String> {
    let bytes = read_checked(dir, manifest, file, true)?;
    String::from_utf8(bytes).map_err(|_| problem(dir, format!("{file} is not UTF-8")))
}

/// Hashes a file of the run folder against its manifest without keeping it.
/// It is read in small blocks on purpose: one large buffer freed would raise
/// glibc's mmap threshold, and the ingest's large buffers would then stay in
/// the heap after being freed (measured: 400 MB more peak at 1M seekers).
fn hash_checked(dir: &Path, manifest: &Manifest, file: &str) -> Result<()> {
    read_checked(dir, manifest, file, false).map(drop)
}

fn read_checked(dir: &Path, manifest: &Manifest, file: &str, keep: bool) -> Result<Vec<u8>> {
    let listed = listed_sha256(dir, manifest, file)?;
    let path = dir.join(file);
    let cannot = |e: std::io::Error| problem(dir, format!("incomplete: cannot read {file} ({e})"));
    let mut f = fs::File::open(&path).map_err(cannot)?;
    let mut hasher = Sha256::new();
    let mut kept = Vec::new();
    let mut block = [0u8; 1 << 16];
    loop {
        let n = std::io::Read::read(&mut f, &mut block).map_err(cannot)?;
        if n == 0 {
            break;
        }
        hasher.update(&block[..n]);
        if keep {
            kept.extend_from_slice(&block[..n]);
        }
    }
    let sha = hex(&hasher.finalize());
    if sha != listed {
        return Err(changed(dir, file, &sha, &listed));
    }
    Ok(kept)
}

/// The SHA-256 the manifest gives `file`.
fn listed_sha256(dir: &Path, manifest: &Manifest, file: &str) -> Result<String> {
    manifest
        .outputs
        .iter()
        .find(|o| o.file == file)
        .map(|o| o.sha256.clone())
        .ok_or_else(|| problem(dir, format!("its manifest.json lists no {file}")))
}

fn changed(dir: &Path, file: &str, sha: &str, listed: &str) -> Error {
    problem(dir, format!("{file} no longer matches its manifest (SHA-256 {sha}, the manifest says {listed})"))
}

/// The columns of a run folder's CSV file, by name, from its header.
struct Columns {
    path: PathBuf,
    columns: HashMap<String, usize>,
}

impl Columns {
    fn of(path: &Path, header: &csv::StringRecord) -> Columns {
        Columns {
            path: path.to_path_buf(),
            columns: header.iter().enumerate().map(|(i, h)| (h.to_string(), i)).collect(),
        }
    }

    fn column(&self, name: &str) -> Result<usize> {
        self.columns.get(name).copied().ok_or_else(|| Error::MissingColumn {
            path: self.path.clone(),
            column: name.to_string(),
            found: {
                let mut v: Vec<(&usize, &String)> = self.columns.iter().map(|(k, v)| (v, k)).collect();
                v.sort();
                v.into_iter().map(|(_, k)| k.as_str()).collect::<Vec<_>>().join(", ")
            },
        })
    }

    /// A typed cell, or an error naming the file, line and column.
    fn get<T>(&self, rec: &csv::StringRecord, col: usize, name: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T> {
        let text = rec.get(col).unwrap_or("");
        parse(text).ok_or_else(|| Error::Unreadable {
            path: self.path.clone(),
            problem: format!("line {}: {name} `{text}` cannot be read", rec.position().map_or(0, |p| p.line())),
        })
    }
}

fn money(s: &str) -> Option<Decimal> {
    parse_decimal(s, b'.')
}

fn optional<T>(parse: impl Fn(&str) -> Option<T>) -> impl Fn(&str) -> Option<Option<T>> {
    move |s| if s.is_empty() { Some(None) } else { parse(s).map(Some) }
}

/// Where findings.csv has what tonight compares.
struct FindingColumns {
    c: Columns,
    id: usize,
    seeker: usize,
    month: usize,
    cause: usize,
    amount: usize,
    status: usize,
    evidence: usize,
}

impl FindingColumns {
    fn of(c: Columns) -> Result<Self> {
        let (id, seeker, month, cause) =
            (c.column("finding_id")?, c.column("seeker_id")?, c.column("month")?, c.column("cause")?);
        let (amount, status, evidence) = (c.column("amount")?, c.column("status")?, c.column("evidence")?);
        Ok(FindingColumns { c, id, seeker, month, cause, amount, status, evidence })
    }

    fn read(&self, rec: &csv::StringRecord) -> Result<PreviousFinding> {
        let c = &self.c;
        Ok(PreviousFinding {
            finding_id: c.get(rec, self.id, "finding_id", |s| Some(s.to_string()))?,
            seeker_id: c.get(rec, self.seeker, "seeker_id", |s| Some(Id::from(s)))?,
            month: c.get(rec, self.month, "month", Month::parse)?,
            cause: c.get(rec, self.cause, "cause", Cause::parse)?,
            amount: c.get(rec, self.amount, "amount", money)?,
            status: c.get(rec, self.status, "status", Status::parse)?,
            evidence: c.get(rec, self.evidence, "evidence", |s| Some(s.to_string()))?,
        })
    }
}

/// Where notices.csv has what tonight compares.
struct NoticeColumns {
    c: Columns,
    seeker: usize,
    agency: usize,
    net: usize,
    channel: usize,
    notified: usize,
    formal: usize,
    ids: usize,
    /// A run made before nights had no action column: every notice was a first one.
    action: Option<usize>,
}

impl NoticeColumns {
    fn of(c: Columns) -> Result<Self> {
        let (seeker, agency, net, channel) =
            (c.column("seeker_id")?, c.column("agency_id")?, c.column("net")?, c.column("channel")?);
        let (notified, formal, ids) =
            (c.column("notified_on")?, c.column("formal_notice_on")?, c.column("finding_ids")?);
        let action = c.columns.get("action").copied();
        Ok(NoticeColumns { c, seeker, agency, net, channel, notified, formal, ids, action })
    }

    fn read(&self, rec: &csv::StringRecord) -> Result<PreviousNotice> {
        let c = &self.c;
        Ok(PreviousNotice {
            seeker_id: c.get(rec, self.seeker, "seeker_id", |s| Some(Id::from(s)))?,
            agency_id: c.get(rec, self.agency, "agency_id", |s| Some(Id::from(s)))?,
            net: c.get(rec, self.net, "net", money)?,
            channel: c.get(rec, self.channel, "channel", Channel::parse)?,
            notified_on: c.get(rec, self.notified, "notified_on", parse_date)?,
            formal_notice_on: c.get(rec, self.formal, "formal_notice_on", optional(parse_date))?,
            finding_ids: c.get(rec, self.ids, "finding_ids", |s| {
                Some(s.split(' ').filter(|x| !x.is_empty()).map(str::to_string).collect())
            })?,
            action: match self.action {
                Some(col) => c.get(rec, col, "action", Action::parse)?,
                None => Action::First,
            },
        })
    }
}

/// A run folder's CSV file `path`, read from `from`: its columns, and a
/// reader at its first record.
fn open<R: std::io::Read>(path: &Path, from: R) -> Result<(Columns, csv::Reader<R>)> {
    let mut r = csv::ReaderBuilder::new().from_reader(from);
    let columns = Columns::of(path, r.headers().map_err(|e| unreadable(path, e))?);
    Ok((columns, r))
}

fn unreadable(path: &Path, e: csv::Error) -> Error {
    Error::Unreadable { path: path.to_path_buf(), problem: e.to_string() }
}

/// Reads the next record into `rec`; false at the end.
fn next<R: std::io::Read>(path: &Path, r: &mut csv::Reader<R>, rec: &mut csv::StringRecord) -> Result<bool> {
    r.read_record(rec).map_err(|e| unreadable(path, e))
}

fn read_findings(path: &Path, text: &str) -> Result<Vec<PreviousFinding>> {
    let (c, mut r) = open(path, text.as_bytes())?;
    let cols = FindingColumns::of(c)?;
    let (mut rows, mut rec) = (Vec::new(), csv::StringRecord::new());
    while next(path, &mut r, &mut rec)? {
        rows.push(cols.read(&rec)?);
    }
    Ok(rows)
}

fn read_notices(path: &Path, text: &str) -> Result<Vec<PreviousNotice>> {
    let (c, mut r) = open(path, text.as_bytes())?;
    let cols = NoticeColumns::of(c)?;
    let (mut rows, mut rec) = (Vec::new(), csv::StringRecord::new());
    while next(path, &mut r, &mut rec)? {
        rows.push(cols.read(&rec)?);
    }
    Ok(rows)
}
