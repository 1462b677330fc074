//! `indus merge`: joins the part folders of a run split with `--shard I/N`
//! into the folder `indus run` would have written, byte for byte.
//!
//! Every output row belongs to one seeker and every seeker to one shard, so
//! the run's rows are the parts' rows merged in seeker order (each part is
//! already in that order); rejects are merged back into file and line order.
//! What no single part can say is computed again over the whole: agencies,
//! totals and the mass-withdrawal guard. The files are written by the run's
//! own writer ([`crate::run::write_folder`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::nights;
use crate::output::manifest::{Manifest, ShardRef};
use crate::output::parquet::RuleSetTag;
use crate::output::{self, Chunked, FolderKind, OutputSet, Staging};
use crate::run::{self, EntitlementFiles, Rows};
use crate::validate::Reject;

/// What `indus merge` is asked to do.
#[derive(Clone, Debug)]
pub struct MergeOptions {
    pub parts: Vec<PathBuf>,
    pub out: PathBuf,
}

/// One part folder: its manifest and shard.
struct Part {
    dir: PathBuf,
    manifest: Manifest,
    shard: ShardRef,
}

/// The CSV files a part's rows are read back from (their Parquet twins are
/// written again from the rows); entitlements.csv too unless the parts
/// were run with `--outputs nightly`.
const READ_BACK: [&str; 4] = ["findings.csv", "notices.csv", "changes.csv", "rejects.csv"];

/// The files of a part `merge` reads back.
fn read_back(set: OutputSet) -> impl Iterator<Item = &'static str> {
    READ_BACK.into_iter().chain(set.writes_entitlements().then_some("entitlements.csv"))
}

/// Joins the parts into `opts.out` (replaced atomically) and returns its manifest.
pub fn merge(opts: &MergeOptions) -> Result<Manifest> {
    let parts = opts.parts.iter().map(|d| read_part(d)).collect::<Result<Vec<_>>>()?;
    let parts = check_one_run(parts)?;
    for p in &parts {
        if p.dir.canonicalize().ok() == opts.out.canonicalize().ok() {
            return Err(Error::output(
                &opts.out,
                "it is one of the parts being merged: a merge never replaces what it reads",
            ));
        }
    }
    let staging = Staging::new(&opts.out, FolderKind::Run)?;

    let set = parts[0].manifest.output_set;
    let mut findings = Vec::new();
    let mut entitlements = Vec::new();
    let mut notices = Vec::new();
    let mut changes = Vec::new();
    let mut rejects = Vec::new();
    for p in &parts {
        findings.push(output::read::findings(&p.dir.join("findings.csv"))?);
        if set.writes_entitlements() {
            entitlements.push(output::read::entitlements(&p.dir.join("entitlements.csv"))?);
        }
        notices.push(output::read::notices(&p.dir.join("notices.csv"))?);
        changes.push(output::read::changes(&p.dir.join("changes.csv"))?);
        rejects.push(output::read::rejects(&p.dir.join("rejects.csv"))?);
    }
    let mut rows = Rows {
        findings: Chunked(vec![by_seeker(findings, |r| &r.seeker_id)]),
        entitlements: Chunked(vec![by_seeker(entitlements, |r| &r.seeker_id)]),
        notices: Chunked(vec![by_seeker(notices, |r| &r.seeker_id)]),
        changes: by_seeker(changes, |r| &r.seeker_id),
        agencies: Chunked::default(),
    };
    let base = &parts[0].manifest;
    let files: Vec<String> = base
        .inputs
        .iter()
        .map(|i| Path::new(&i.path).file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default())
        .collect();
    let rejects = by_file_and_line(rejects, &files);

    let standing = parts.iter().map(|p| p.shard.previous_notices_standing).sum();
    nights::guard_withdrawals(&rows.notices.0[0], standing, base.max_withdrawal_rate)?;
    rows.agencies = output::rows::agencies(&rows)?.into();

    let mut manifest = base.clone();
    manifest.shard = None;
    manifest.decisions_unmatched = parts.iter().map(|p| p.manifest.decisions_unmatched).sum();
    let tag = RuleSetTag {
        label: format!("{}@{}", base.rule_set.id, base.rule_set.version),
        sha256: base.rule_set.sha256.clone(),
    };
    let files = match set {
        OutputSet::All => EntitlementFiles::FromRows,
        OutputSet::Nightly => {
            EntitlementFiles::Left { seeker_months: parts.iter().map(|p| p.manifest.totals.seeker_months).sum() }
        }
    };
    let manifest = run::write_folder(&staging.dir, &rows, &rejects, &tag, manifest, files)?;
    staging.commit()?;
    Ok(manifest)
}

/// A part folder's manifest, which must be a shard's, and its files as the manifest lists them.
fn read_part(dir: &Path) -> Result<Part> {
    let manifest = Manifest::read(&dir.join("manifest.json"))?;
    let Some(shard) = manifest.shard.clone() else {
        return Err(Error::Parts(format!(
            "{}: a whole run, not a shard (its manifest has no `shard`): only folders written with --shard I/N are merged",
            dir.display()
        )));
    };
    for file in read_back(manifest.output_set) {
        let listed = manifest
            .outputs
            .iter()
            .find(|o| o.file == file)
            .ok_or_else(|| Error::Parts(format!("{}: its manifest.json lists no {file}", dir.display())))?;
        let sha = crate::util::sha256_file(&dir.join(file))
            .map_err(|e| Error::Unreadable { path: dir.join(file), problem: e.to_string() })?;
        if sha != listed.sha256 {
            return Err(Error::Parts(format!(
                "{}: {file} no longer matches its manifest (SHA-256 {sha}, the manifest says {})",
                dir.display(),
                listed.sha256
            )));
        }
    }
    Ok(Part { dir: dir.to_path_buf(), manifest, shard })
}

/// The parts must be the N shards of one run, each once: the same inputs
/// (by content), rule set, `as_of`, months, options and previous night.
/// Returns them in shard order.
fn check_one_run(mut parts: Vec<Part>) -> Result<Vec<Part>> {
    let Some(first) = parts.first() else {
        return Err(Error::Usage("indus merge needs the part folders of a run".into()));
    };
    let n = first.shard.count;
    // What makes two manifests the same run, field by field, with its name for the message.
    let same_run = |m: &Manifest| -> Vec<(&'static str, String)> {
        vec![
            ("engine version", m.engine_version.clone()),
            ("rule set", format!("{} {} (SHA-256 {})", m.rule_set.id, m.rule_set.version, m.rule_set.sha256)),
            ("as_of", m.as_of.clone()),
            ("months", m.months.join(",")),
            ("--months", m.months_selected.clone().unwrap_or_default()),
            ("dialect", m.dialect.clone()),
            ("--max-reject-rate", m.max_reject_rate.to_string()),
            ("--max-withdrawal-rate", m.max_withdrawal_rate.to_string()),
            ("--allow-empty", m.allow_empty.to_string()),
            ("--outputs", m.output_set.as_str().to_string()),
            ("previous night", m.previous.as_ref().map(|p| p.manifest_sha256.clone()).unwrap_or_default()),
            (
                "inputs",
                m.inputs
                    .iter()
                    .map(|i| {
                        format!(
                            "{} {} {}/{}/{}/{}",
                            i.kind, i.sha256, i.rows_read, i.rejected, i.not_yet_known, i.ignored
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            ("shard count", m.shard.as_ref().map_or(0, |s| s.count).to_string()),
        ]
    };
    let reference = same_run(&first.manifest);
    for p in &parts[1..] {
        for ((what, a), (_, b)) in reference.iter().zip(same_run(&p.manifest)) {
            if *a != b {
                return Err(Error::Parts(format!(
                    "{} and {} are not shards of one run: their {what} differ ({a} | {b})",
                    first.dir.display(),
                    p.dir.display()
                )));
            }
        }
    }
    let mut by_index: BTreeMap<u32, &Part> = BTreeMap::new();
    for p in &parts {
        if let Some(other) = by_index.insert(p.shard.index, p) {
            return Err(Error::Parts(format!(
                "shard {}/{n} is given twice: {} and {}",
                p.shard.index,
                other.dir.display(),
                p.dir.display()
            )));
        }
    }
    let missing: Vec<String> = (0..n).filter(|i| !by_index.contains_key(i)).map(|i| format!("{i}/{n}")).collect();
    if !missing.is_empty() {
        return Err(Error::Parts(format!(
            "shard{} {} of the run missing: a merge needs all {n} shards",
            if missing.len() > 1 { "s" } else { "" },
            missing.join(", ")
        )));
    }
    parts.sort_by_key(|p| p.shard.index);
    Ok(parts)
}

/// The parts' rows in seeker order. A seeker's rows are all in one part and
/// next to each other, in their order: take them whole from the part whose
/// next seeker is the smallest (the parts' next seekers in a heap).
pub(crate) fn by_seeker<R>(parts: Vec<Vec<R>>, seeker: impl Fn(&R) -> &str) -> Vec<R> {
    use std::cmp::Reverse;
    let total = parts.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(total);
    let mut parts: Vec<std::iter::Peekable<std::vec::IntoIter<R>>> =
        parts.into_iter().map(|p| p.into_iter().peekable()).collect();
    let mut heap: std::collections::BinaryHeap<Reverse<(String, usize)>> = parts
        .iter_mut()
        .enumerate()
        .filter_map(|(i, p)| p.peek().map(|r| Reverse((seeker(r).to_string(), i))))
        .collect();
    while let Some(Reverse((id, i))) = heap.pop() {
        while let Some(r) = parts[i].next_if(|r| seeker(r) == id) {
            out.push(r);
        }
        if let Some(r) = parts[i].peek() {
            heap.push(Reverse((seeker(r).to_string(), i)));
        }
    }
    out
}

/// Rejects in the run's order: by input file (`files`, the run's order of
/// the inputs' file names), then line.
pub(crate) fn by_file_and_line(parts: Vec<Vec<Reject>>, files: &[String]) -> Vec<Reject> {
    let file_order = |file: &str| files.iter().position(|f| f == file).unwrap_or(usize::MAX);
    let mut all: Vec<Reject> = parts.into_iter().flatten().collect();
    // Stable: the rejects of one line (one record, so one part) keep their order.
    all.sort_by_cached_key(|r| (file_order(&r.file), r.line));
    all
}
