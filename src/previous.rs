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
        let mut findings = read_findings(&dir.join("findings.csv"), &findings_text)?;
        drop(findings_text);
        findings.sort_by(|a, b| (&a.seeker_id, a.month, a.cause).cmp(&(&b.seeker_id, b.month, b.cause)));
        let notices_text = checked_file(&dir, &manifest, "notices.csv")?;
        let mut notices = read_notices(&dir.join("notices.csv"), &notices_text)?;
        notices.sort_by(|a, b| a.seeker_id.cmp(&b.seeker_id));
        if let Some(w) = notices.windows(2).find(|w| w[0].seeker_id == w[1].seeker_id) {
            return Err(problem(&dir, format!("its notices.csv has two rows for seeker {}", w[0].seeker_id)));
        }
        Ok(Previous { dir, manifest, manifest_sha256, findings, notices })
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
    let listed = manifest
        .outputs
        .iter()
        .find(|o| o.file == file)
        .ok_or_else(|| problem(dir, format!("its manifest.json lists no {file}")))?;
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
    if sha != listed.sha256 {
        return Err(problem(
            dir,
            format!("{file} no longer matches its manifest (SHA-256 {sha}, the manifest says {})", listed.sha256),
        ));
    }
    Ok(kept)
}

/// A CSV file of a run folder: its header's columns by name, then each record.
struct Table<'a> {
    path: &'a Path,
    columns: HashMap<String, usize>,
    records: Vec<csv::StringRecord>,
}

impl<'a> Table<'a> {
    fn read(path: &'a Path, text: &str) -> Result<Table<'a>> {
        let bad = |e: csv::Error| Error::Unreadable { path: path.to_path_buf(), problem: e.to_string() };
        let mut r = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        let columns = r.headers().map_err(bad)?.iter().enumerate().map(|(i, h)| (h.to_string(), i)).collect();
        let records = r.records().collect::<std::result::Result<Vec<_>, _>>().map_err(bad)?;
        Ok(Table { path, columns, records })
    }

    fn column(&self, name: &str) -> Result<usize> {
        self.columns.get(name).copied().ok_or_else(|| Error::MissingColumn {
            path: self.path.to_path_buf(),
            column: name.to_string(),
            found: {
                let mut v: Vec<(&usize, &String)> = self.columns.iter().map(|(k, v)| (v, k)).collect();
                v.sort();
                v.into_iter().map(|(_, k)| k.as_str()).collect::<Vec<_>>().join(", ")
            },
        })
    }

    /// A typed cell, or an error naming the file, line and column.
    fn get<T>(&self, row: usize, col: usize, name: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T> {
        let text = self.records[row].get(col).unwrap_or("");
        parse(text).ok_or_else(|| Error::Unreadable {
            path: self.path.to_path_buf(),
            problem: format!("line {}: {name} `{text}` cannot be read", row + 2),
        })
    }
}

fn money(s: &str) -> Option<Decimal> {
    parse_decimal(s, b'.')
}

fn optional<T>(parse: impl Fn(&str) -> Option<T>) -> impl Fn(&str) -> Option<Option<T>> {
    move |s| if s.is_empty() { Some(None) } else { parse(s).map(Some) }
}

fn read_findings(path: &Path, text: &str) -> Result<Vec<PreviousFinding>> {
    let t = Table::read(path, text)?;
    let c = |n| t.column(n);
    let (id, seeker, month, cause, amount, status, evidence) =
        (c("finding_id")?, c("seeker_id")?, c("month")?, c("cause")?, c("amount")?, c("status")?, c("evidence")?);
    (0..t.records.len())
        .map(|i| {
            Ok(PreviousFinding {
                finding_id: t.get(i, id, "finding_id", |s| Some(s.to_string()))?,
                seeker_id: t.get(i, seeker, "seeker_id", |s| Some(Id::from(s)))?,
                month: t.get(i, month, "month", Month::parse)?,
                cause: t.get(i, cause, "cause", Cause::parse)?,
                amount: t.get(i, amount, "amount", money)?,
                status: t.get(i, status, "status", Status::parse)?,
                evidence: t.get(i, evidence, "evidence", |s| Some(s.to_string()))?,
            })
        })
        .collect()
}

fn read_notices(path: &Path, text: &str) -> Result<Vec<PreviousNotice>> {
    let t = Table::read(path, text)?;
    let c = |n| t.column(n);
    let (seeker, agency, net, channel, notified, formal, ids) = (
        c("seeker_id")?,
        c("agency_id")?,
        c("net")?,
        c("channel")?,
        c("notified_on")?,
        c("formal_notice_on")?,
        c("finding_ids")?,
    );
    // A run made before nights had no action column: every notice was a first one.
    let action = t.columns.get("action").copied();
    (0..t.records.len())
        .map(|i| {
            Ok(PreviousNotice {
                seeker_id: t.get(i, seeker, "seeker_id", |s| Some(Id::from(s)))?,
                agency_id: t.get(i, agency, "agency_id", |s| Some(Id::from(s)))?,
                net: t.get(i, net, "net", money)?,
                channel: t.get(i, channel, "channel", Channel::parse)?,
                notified_on: t.get(i, notified, "notified_on", parse_date)?,
                formal_notice_on: t.get(i, formal, "formal_notice_on", optional(parse_date))?,
                finding_ids: t.get(i, ids, "finding_ids", |s| {
                    Some(s.split(' ').filter(|x| !x.is_empty()).map(str::to_string).collect())
                })?,
                action: match action {
                    Some(col) => t.get(i, col, "action", Action::parse)?,
                    None => Action::First,
                },
            })
        })
        .collect()
}
