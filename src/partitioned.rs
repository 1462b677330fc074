//! A run in partitions of seekers, one after the other, for inputs larger
//! than memory (`indus run --memory-limit`).
//!
//! ```text
//! sample  seeker ids from each input, read at evenly spaced places: ranges of ids, a partition each
//! scatter each input by seeker range (ingest::scatter; Parquet a slice of rows at a time) into a scratch folder
//! for each partition, in id order: ingest → validate → recompute → settle → its rows, sorted by seeker;
//!         entitlements and findings written on (CSV, and entitlements' Parquet row groups);
//!         findings and candidate notices also to scratch files
//! finish  the previous night split by the same ranges; for each range: nights (§8), notices and
//!         changes written on; guards and totals over the whole; the Parquet twins group by group
//! ```
//!
//! Every output row is one seeker's, a seeker is in one partition, and the
//! partitions are ranges of ids in output order: each partition's rows
//! follow the last one's, so the outputs are those of the in-memory run,
//! byte for byte, without a merge. What is about the whole waits for the
//! end (the reject threshold, the empty-run check, the months, the
//! comparison with the previous night and its guard), and is taken a range
//! at a time: the run never holds more than a partition's rows, whatever
//! the size of its inputs.
//!
//! A cluster's buckets are hashes of the seeker instead (`bucket`, Spark):
//! their rows interleave, and [`finish`] merges them by seeker, in memory.
//!
//! The scratch folder is inside the run's staging folder: removed with it
//! on failure, and by the next run after a kill.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::path::{Path, PathBuf};
use std::time::Instant;

use polars::prelude::{DataFrame, PolarsError, PolarsResult};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::ingest::scatter::{is_parquet, scatter, Scattered};
use crate::ingest::{self, DialectChoice, InputKind};
use crate::merge::{by_file_and_line, by_seeker};
use crate::model::Month;
use crate::nights;
use crate::output::manifest::{PreviousRef, ShardRef};
use crate::output::parquet::{frame_groups, FrameParquet};
use crate::output::parquet::{EntitlementsParquet, RuleSetTag, ENTITLEMENTS_ROW_GROUP};
use crate::output::read;
use crate::output::rows::Tally;
use crate::output::{
    self, Chunked, CsvStream, EntitlementRow, FindingRow, FolderKind, NoticeRow, OutputSet, Staging, Written,
};
use crate::partition::Ranges;
use crate::previous;
use crate::rules::RuleSet;
use crate::run::{self, EntitlementFiles, Prepared, Rows, RunOptions, RunReport, Timings};
use crate::validate::{self, InputStats, Reject, RejectSummary, Window};

/// Peak memory of the in-memory run per byte of CSV input, measured: 1.09 GB
/// for the 285 MB of the generated 1M month (3.8); rounded up for months
/// whose records carry more per byte.
const MEMORY_PER_INPUT_BYTE: u64 = 5;

/// The share of `--memory-limit` a partition may plan to use: the rest is
/// for what does not shrink with partitions (the scatter's buffers, the
/// Parquet row groups being written, a range of the previous night, the
/// rejects).
const PARTITION_SHARE: (u64, u64) = (1, 2);

/// What a run holds besides its partition, whatever the limit: never given
/// to a partition. Measured at the least limit: the partitions phase peaks
/// 180 – 240 MB above what a partition plans (1M × 12 under 512 MiB: 0.44 –
/// 0.50 GB in partitions of 53 MB, planned 263 MB).
const RUN_BASE: u64 = 320 << 20;

/// Bytes of CSV a byte of Parquet input stands for, measured on the
/// generated 100k month: 28.5 MB of CSV, 3.4 MB of Parquet (8.4; the
/// declarations 14); rounded up, so that a Parquet month is never planned
/// into fewer partitions than it needs.
const PARQUET_TEXT_PER_BYTE: u64 = 12;

/// The most input a partition is given, when a run is partitioned at all.
const PARTITION_BYTES: u64 = 128_000_000;

/// The most partitions a run is split into: each holds three scratch files
/// an input open while the inputs are split (12 a partition for a month's
/// four files), and a system allows a few thousand open files.
const MAX_PARTITIONS: u64 = 1024;

/// The least `--memory-limit`: what a run needs whatever the size of its
/// inputs (the program and its thread pool, a Parquet row group of up to
/// half a million findings or changes being written, a partition's
/// buffers). Measured: the 10M month under 256 MiB peaked at 378 MB, over
/// it; under 512 MiB, the month with the largest row group (7.47M
/// seekers, 520,092 findings) peaks at 0.34 GB.
pub const MIN_MEMORY_LIMIT: u64 = 512 << 20;

/// How many partitions keep a run under `limit` bytes: 1 when the inputs
/// fit (the in-memory run); or `--partitions`, as given.
pub(crate) fn partitions_for(opts: &RunOptions, limit: u64) -> Result<u32> {
    if let Some(n) = opts.partitions {
        if n == 0 || u64::from(n) > MAX_PARTITIONS {
            return Err(Error::Usage(format!("--partitions {n} is not one of 1 … {MAX_PARTITIONS}")));
        }
        return Ok(n);
    }
    let inputs = opts.inputs.locate()?;
    plan(inputs.iter().map(|(_, p)| csv_bytes(p)).sum(), limit)
}

/// [`partitions_for`] `bytes` of CSV input under `limit`.
fn plan(bytes: u64, limit: u64) -> Result<u32> {
    if limit < MIN_MEMORY_LIMIT {
        return Err(Error::Usage(format!(
            "--memory-limit {} is less than a run needs whatever its size ({}: the program, a Parquet row \
             group of each output being written, a partition's buffers); give at least 512MiB",
            size_text(limit),
            size_text(MIN_MEMORY_LIMIT)
        )));
    }
    let budget = (limit * PARTITION_SHARE.0 / PARTITION_SHARE.1).min(limit - RUN_BASE);
    let mut n = (bytes * MEMORY_PER_INPUT_BYTE).div_ceil(budget).max(1);
    if n > 1 {
        // Smaller partitions cost less a seeker (the 10M month: 100 s in 27
        // partitions, 112 – 117 s in 7): once partitioned, no more than
        // PARTITION_BYTES of input each.
        n = n.max(bytes.div_ceil(PARTITION_BYTES).min(MAX_PARTITIONS));
    }
    if n > MAX_PARTITIONS {
        // The least limit whose budget holds a 1024th of the planned memory.
        let share = (bytes * MEMORY_PER_INPUT_BYTE).div_ceil(MAX_PARTITIONS);
        let least = (share * PARTITION_SHARE.1 / PARTITION_SHARE.0).max(share + RUN_BASE);
        return Err(Error::Usage(format!(
            "--memory-limit {} is too small for these inputs ({}): it would take {n} partitions, and a run \
             takes at most {MAX_PARTITIONS}; give at least {}MiB",
            size_text(limit),
            size_text(bytes),
            least.div_ceil(1 << 20)
        )));
    }
    Ok(n as u32)
}

/// Files a partition holds open while an input is split: its records,
/// their line numbers, a bucket of id hashes.
const OPEN_FILES_PER_PARTITION: u64 = 3;

/// Makes room for the files a run in `n` partitions holds open while its
/// `inputs` are split side by side: the process's limit is raised to what
/// that takes, up to what the system allows (a soft limit of 1,024 is
/// common, with a hard one far above it); past that the run is refused
/// before any work, rather than fail halfway through the split.
fn open_files_for(n: u32, inputs: usize) -> Result<()> {
    // The inputs themselves, the output's files, the standard streams.
    let needed = OPEN_FILES_PER_PARTITION * u64::from(n) * inputs as u64 + 64;
    #[cfg(unix)]
    // rlim_t is u64 on Linux, not on every Unix.
    #[allow(clippy::unnecessary_cast)]
    {
        let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: getrlimit and setrlimit only read and write the struct they are given.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
            return Ok(());
        }
        if (lim.rlim_cur as u64) < needed {
            let raised = libc::rlimit { rlim_cur: (needed as libc::rlim_t).min(lim.rlim_max), rlim_max: lim.rlim_max };
            if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
                lim = raised;
            }
        }
        if (lim.rlim_cur as u64) < needed {
            return Err(Error::Usage(format!(
                "splitting these inputs in {n} partitions holds {needed} files open, and this system allows \
                 {} (ulimit -n): raise that limit, or give a larger --memory-limit (fewer partitions)",
                lim.rlim_cur
            )));
        }
    }
    Ok(())
}

/// An input's size in bytes of CSV: a Parquet input holds more records a byte.
fn csv_bytes(path: &Path) -> u64 {
    let len = std::fs::metadata(path).map_or(0, |m| m.len());
    if is_parquet(path) {
        len * PARQUET_TEXT_PER_BYTE
    } else {
        len
    }
}

/// Ids sampled per partition from each input: enough that the ranges
/// share the inputs within a few per cent.
const SAMPLE_PER_PARTITION: usize = 64;

/// `n` ranges of seeker ids sharing the inputs about evenly, from a sample
/// of each input weighted by its size.
fn seeker_ranges(inputs: &[(InputKind, PathBuf)], dialect: DialectChoice, n: u32) -> Ranges {
    let count = SAMPLE_PER_PARTITION * n as usize;
    let sample = inputs
        .par_iter()
        .flat_map_iter(|(kind, path)| {
            let ids = ingest::scatter::sample_seekers(*kind, path, dialect, count);
            let weight = csv_bytes(path) as f64 / ids.len().max(1) as f64;
            ids.into_iter().map(move |id| (id, weight))
        })
        .collect();
    Ranges::balanced(sample, n)
}

/// A size in the units a person reads: 524 KB, 1.3 MB, 2.9 GB.
fn size_text(bytes: u64) -> String {
    match bytes {
        b if b < 1_000_000 => format!("{} KB", b.div_ceil(1_000)),
        b if b < 1_000_000_000 => format!("{:.1} MB", b as f64 / 1e6),
        b => format!("{:.1} GB", b as f64 / 1e9),
    }
}

/// `indus run` in `n` partitions: the same folder as [`run::run`], never
/// holding more than a partition's records.
pub(crate) fn run_partitioned(opts: &RunOptions, n: u32) -> Result<RunReport> {
    run::check_out_holds_no_input(opts)?;
    open_files_for(n, opts.inputs.locate()?.len())?;
    let staging = Staging::new(&opts.out, FolderKind::Run)?;
    let scratch = staging.dir.join(".partitions");
    std::fs::create_dir(&scratch).map_err(|e| Error::output(&scratch, e))?;
    let mut timings = Timings::default();
    timings.start();
    let mut t = Instant::now();

    let selected = run::parse_months(opts.months.as_deref())?;
    if !(0.0..=1.0).contains(&opts.max_withdrawal_rate) {
        return Err(Error::Usage(format!(
            "--max-withdrawal-rate {} is not a share between 0 and 1",
            opts.max_withdrawal_rate
        )));
    }
    let rules = run::load_rules(opts.rules.as_deref())?;
    let previous = match &opts.previous {
        Some(dir) => Some(previous::check(dir, &rules.id, opts.as_of)?),
        None => None,
    };
    rules.notice_params(opts.as_of)?;
    let window = Window::of(&rules, selected.as_deref());
    let inputs = opts.inputs.locate()?;
    let ranges = seeker_ranges(&inputs, opts.inputs.dialect, n);
    let mut scattered = scatter_inputs(&inputs, opts, &ranges, &scratch, &window)?;
    timings.lap("scatter", &mut t);
    let limit = opts.memory_limit.unwrap_or_else(run::default_memory_limit);
    let p = reconcile_in_order(&mut scattered, limit, ranges, opts, &staging.dir, &window, selected.as_deref(), rules)?;
    timings.lap("partitions", &mut t);

    let files: Vec<FileFacts> = scattered
        .iter()
        .map(|s| FileFacts {
            kind: s.kind,
            path: s.path.clone(),
            sha256: s.sha256.clone(),
            empty_lines: s.empty_lines.clone(),
        })
        .collect();
    let (manifest, warnings) = finish(&staging, p, &files, opts, previous, &mut timings, &mut t)?;
    staging.commit()?;
    timings.lap("write", &mut t);
    Ok(RunReport { manifest, warnings, timings, computed: None, partitions: n })
}

/// What the end of a run needs of an input file once its records are in partitions.
#[derive(Clone, Debug)]
pub struct FileFacts {
    pub kind: InputKind,
    pub path: PathBuf,
    pub sha256: String,
    /// Lines without any value (ignored, named in a warning).
    pub empty_lines: Vec<u64>,
}

/// What is about the whole, once every partition is reconciled: the
/// reject threshold, the empty-run check, the months, the previous night;
/// then the run's folder, written into `staging` (not committed; a
/// cluster's buckets merged by seeker first), and the warnings about the
/// inputs.
pub(crate) fn finish(
    staging: &Staging,
    mut p: Partitions,
    files: &[FileFacts],
    opts: &RunOptions,
    previous: Option<previous::Checked>,
    timings: &mut Timings,
    t: &mut Instant,
) -> Result<(crate::output::manifest::Manifest, Vec<String>)> {
    let selected = run::parse_months(opts.months.as_deref())?;
    let paths: Vec<(InputKind, &Path)> = files.iter().map(|f| (f.kind, f.path.as_path())).collect();
    for f in files {
        let sum = p.stats.entry(f.kind).or_default();
        sum.empty_lines.extend(&f.empty_lines);
        sum.empty_lines.sort_unstable();
    }
    let names: Vec<String> = files
        .iter()
        .map(|f| f.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default())
        .collect();
    // The threshold is the whole file's; a shard then keeps its own rejects.
    let rejects = match &p.in_order {
        Some(o) => {
            validate::check_reject_summary(&paths, &p.stats, &o.reject_summary, opts.max_reject_rate)?;
            Vec::new()
        }
        None => {
            let mut rejects = by_file_and_line(std::mem::take(&mut p.rejects), &names);
            validate::check_reject_rates(&paths, &p.stats, &rejects, opts.max_reject_rate)?;
            if let Some(shard) = opts.shard {
                rejects.retain(|r| shard.holds(&r.seeker_id));
            }
            rejects
        }
    };
    let known: Vec<Month> = p.known.iter().copied().collect();
    if !opts.allow_empty {
        run::check_not_empty(&paths, &p.stats, &known, opts.as_of, selected.as_deref())?;
    }
    let months = selected.unwrap_or(known);
    let inputs_ref: Vec<_> =
        files.iter().map(|f| run::input_ref(f.kind, &f.path, &f.sha256, &p.stats[&f.kind])).collect();
    let end = End { months, inputs: inputs_ref, rejects };
    let manifest = match p.in_order.take() {
        Some(o) => finish_in_order(staging, &p, o, end, opts, previous, timings, t)?,
        None => finish_merged(staging, &mut p, end, opts, previous, timings, t)?,
    };
    let warnings = files
        .iter()
        .flat_map(|f| {
            let unknown = p.unknown_columns.get(&f.kind).map_or(&[][..], Vec::as_slice);
            run::input_warnings(&f.path, unknown, &p.stats[&f.kind].empty_lines)
        })
        .collect();
    Ok((manifest, warnings))
}

/// What both ends of a run share: its months, its inputs as the manifest
/// lists them, and its rejects (a shard's; those of partitions in order
/// are in their scratch files instead).
pub(crate) struct End {
    months: Vec<Month>,
    inputs: Vec<crate::output::manifest::InputRef>,
    rejects: Vec<Reject>,
}

/// The end of a run whose buckets are hashes of the seeker (a cluster's):
/// their rows read back and merged by seeker, compared with the previous
/// night in memory, and written.
fn finish_merged(
    staging: &Staging,
    p: &mut Partitions,
    end: End,
    opts: &RunOptions,
    previous: Option<previous::Checked>,
    timings: &mut Timings,
    t: &mut Instant,
) -> Result<crate::output::manifest::Manifest> {
    let End { months, inputs, rejects } = end;
    let mut previous = previous.map(previous::Checked::read).transpose()?;
    if let (Some(shard), Some(prev)) = (opts.shard, previous.as_mut()) {
        prev.keep_shard(shard);
    }
    let findings =
        Chunked(vec![by_seeker(read_parts(&p.dirs, "findings.csv", output::read::findings)?, |r| &r.seeker_id)]);
    let candidates = by_seeker(read_parts(&p.dirs, "notices.csv", output::read::notices)?, |r| &r.seeker_id);
    let rows = night_rows(findings, candidates, &p.rules, previous.as_ref(), &months, opts)?;
    // A shard sees a part of the withdrawals: `indus merge` guards the whole.
    let standing = previous.as_ref().map_or(0, nights::standing_notices);
    let shard = opts.shard.map(|s| ShardRef { index: s.index, count: s.count, previous_notices_standing: standing });
    timings.lap("nights", t);

    let tag = RuleSetTag { label: p.rules.label(), sha256: p.rules.sha256.clone() };
    let entitlements = match opts.outputs {
        OutputSet::All => {
            let spilled: Vec<PathBuf> = p.dirs.iter().map(|d| d.join("entitlements.bin")).collect();
            Some(merge_entitlements(&staging.dir, &spilled, &tag)?)
        }
        OutputSet::Nightly => None,
    };
    timings.lap("entitlements", t);
    let previous_ref =
        previous.map(|p| PreviousRef { path: p.dir.display().to_string(), manifest_sha256: p.manifest_sha256 });
    let head = run::manifest_head(&p.rules, opts, &months, previous_ref, p.decisions_unmatched, shard, inputs);
    remove_scratch(staging)?;
    let files = match &entitlements {
        Some(w) => EntitlementFiles::Written(w),
        None => EntitlementFiles::Left { seeker_months: p.seeker_months },
    };
    run::write_folder(&staging.dir, &rows, &rejects, &tag, head, files)
}

/// The output folder holds the outputs only.
fn remove_scratch(staging: &Staging) -> Result<()> {
    let scratch = staging.dir.join(".partitions");
    if scratch.exists() {
        std::fs::remove_dir_all(&scratch).map_err(|e| Error::output(&scratch, e))?;
    }
    Ok(())
}

/// The end of a run whose partitions are ranges of seekers, in output
/// order: findings.csv and the entitlements are written already, each
/// range's findings and candidate notices are in the scratch folder. A
/// range at a time, they are read back with that range of the previous
/// night and compared (nights.md §8), notices.csv and changes.csv written
/// on; then the Parquet twins, group by group. Never more than a range's
/// rows in memory, whatever the run's size.
#[allow(clippy::too_many_arguments)]
fn finish_in_order(
    staging: &Staging,
    p: &Partitions,
    o: InOrder,
    end: End,
    opts: &RunOptions,
    previous: Option<previous::Checked>,
    timings: &mut Timings,
    t: &mut Instant,
) -> Result<crate::output::manifest::Manifest> {
    let End { months, inputs, .. } = end;
    let dir = &staging.dir;
    let scratch = dir.join(".partitions");
    let previous = previous.map(|c| c.split(&o.ranges, &scratch)).transpose()?;
    let np = p.rules.notice_params(opts.as_of)?;
    let mut notices = CsvStream::create(dir, "notices.csv", output::NOTICES_HEADER)?;
    let mut changes = CsvStream::create(dir, "changes.csv", output::CHANGES_HEADER)?;
    let mut change_parts = Vec::with_capacity(o.parts.len());
    let mut tally = Tally::default();
    let (mut missing, mut standing, mut withdrawn) = (BTreeSet::new(), 0, 0);
    // A range is read (and its slice of the previous night) while the last one is compared and written.
    let read_range = |k: usize| -> Result<(Vec<FindingRow>, Vec<NoticeRow>, Option<previous::Previous>)> {
        let (findings_part, candidates_part) = &o.parts[k];
        let findings = output::read::findings(findings_part)?;
        let candidates = output::read::notices(candidates_part)?;
        Ok((findings, candidates, previous.as_ref().map(|s| s.range(k, opts.shard)).transpose()?))
    };
    let mut next = (!o.parts.is_empty()).then(|| read_range(0));
    for k in 0..o.parts.len() {
        let (findings, candidates, prev) = next.take().expect("read ahead")?;
        let (done, ahead) = rayon::join(
            || -> Result<PathBuf> {
                if let Some(prev) = &prev {
                    missing.extend(nights::missing_months(prev, &months));
                    standing += nights::standing_notices(prev);
                }
                let night =
                    nights::compare(findings.iter(), candidates.into_iter(), prev.as_ref(), &months, opts.as_of, &np);
                withdrawn += nights::withdrawn(&night.notices);
                tally.add_findings(findings.iter());
                tally.add_notices(night.notices.iter());
                notices.put_rows(&[&night.notices])?;
                let part = format!("changes-{k}.csv");
                changes.put_rows_copied(&night.changes, &scratch, &part, output::CHANGES_HEADER)?;
                Ok(scratch.join(part))
            },
            || (k + 1 < o.parts.len()).then(|| read_range(k + 1)),
        );
        change_parts.push(done?);
        next = ahead;
    }
    if let Some(prev) = &previous {
        nights::window_error(prev.reference().0, &missing)?;
    }
    // A shard sees a part of the withdrawals: `indus merge` guards the whole.
    if opts.shard.is_none() {
        nights::guard_withdrawn(withdrawn, standing, opts.max_withdrawal_rate)?;
    }
    give_back_freed_memory();
    let agencies = tally.agencies()?;
    tally.check()?;
    let shard = opts.shard.map(|s| ShardRef { index: s.index, count: s.count, previous_notices_standing: standing });
    timings.lap("nights", t);

    let tag = RuleSetTag { label: p.rules.label(), sha256: p.rules.sha256.clone() };
    let finding_parts: Vec<PathBuf> = o.parts.iter().map(|(f, _)| f.clone()).collect();
    let changes = changes.finish()?;
    // One after the other: each holds a row group of up to half a million rows.
    let group = output::parquet::FRAME_ROW_GROUP;
    let findings_frame = |r| output::parquet::findings_frame(&Chunked(vec![r]));
    let (findings_total, changes_total) = (o.findings.rows, changes.rows);
    let findings_parquet = parquet_from_parts(
        dir,
        "findings.parquet",
        &tag,
        findings_total,
        &finding_parts,
        read::findings,
        findings_frame,
        group,
    );
    let changes_frame = |r: Vec<_>| output::parquet::changes_frame(&r);
    let changes_parquet = parquet_from_parts(
        dir,
        "changes.parquet",
        &tag,
        changes_total,
        &change_parts,
        read::changes,
        changes_frame,
        group,
    );
    let rejects = merge_rejects(dir, &o.reject_parts, &o.files)?;
    let seeker_months = p.seeker_months;
    let mut written = vec![o.findings, findings_parquet?];
    written.extend(o.entitlements.into_iter().flatten());
    written.extend([
        notices.finish()?,
        changes,
        changes_parquet?,
        output::write_csv(dir, "agencies.csv", output::AGENCIES_HEADER, &[&agencies])?,
    ]);
    let rejects_written = rejects.rows;
    written.push(rejects);
    let previous_ref = previous.as_ref().map(|s| {
        let (path, sha) = s.reference();
        PreviousRef { path: path.display().to_string(), manifest_sha256: sha.to_string() }
    });
    let head = run::manifest_head(&p.rules, opts, &months, previous_ref, p.decisions_unmatched, shard, inputs);
    remove_scratch(staging)?;
    run::seal_folder(dir, &written, tally.totals(seeker_months, rejects_written), head)
}

/// rejects.csv from the partitions' rejects files, each in file and line
/// order: merged in that order (a record's rejects are one partition's, in
/// their order), a row at a time.
fn merge_rejects(dir: &Path, parts: &[PathBuf], files: &[String]) -> Result<Written> {
    let order = |file: &str| files.iter().position(|f| f == file).unwrap_or(usize::MAX);
    let mut readers = parts.iter().map(|p| output::read::reject_rows(p)).collect::<Result<Vec<_>>>()?;
    let mut heads: Vec<Option<Reject>> = readers.iter_mut().map(|r| r.next_row()).collect::<Result<_>>()?;
    let mut heap: BinaryHeap<Reverse<(usize, u64, usize)>> = heads
        .iter()
        .enumerate()
        .filter_map(|(k, h)| h.as_ref().map(|r| Reverse((order(&r.file), r.line, k))))
        .collect();
    let mut out = CsvStream::create(dir, "rejects.csv", output::REJECTS_HEADER)?;
    let mut batch = Vec::with_capacity(4096);
    while let Some(Reverse((_, _, k))) = heap.pop() {
        batch.push(heads[k].take().expect("a head"));
        heads[k] = readers[k].next_row()?;
        if let Some(r) = &heads[k] {
            heap.push(Reverse((order(&r.file), r.line, k)));
        }
        if batch.len() == batch.capacity() {
            out.put_rows(&[&batch])?;
            batch.clear();
        }
    }
    out.put_rows(&[&batch])?;
    out.finish()
}

/// findings.parquet or changes.parquet (`total` rows) from the ranges'
/// rows, read back a range at a time from `parts` and written in the row
/// groups the in-memory run cuts the whole frame into, for groups of
/// `group` rows ([`output::parquet::FRAME_ROW_GROUP`]; tests use small ones).
#[allow(clippy::too_many_arguments)]
fn parquet_from_parts<R>(
    dir: &Path,
    file: &str,
    tag: &RuleSetTag,
    total: u64,
    parts: &[PathBuf],
    read: fn(&Path) -> Result<Vec<R>>,
    frame: impl Fn(Vec<R>) -> PolarsResult<DataFrame>,
    group: usize,
) -> Result<Written> {
    let path = dir.join(file);
    let err = |e: PolarsError| Error::output(&path, e);
    if total == 0 {
        return output::parquet::write_frame_in_groups(dir, file, frame(Vec::new()).map_err(err)?, tag, group);
    }
    let schema = frame(Vec::new()).map_err(err)?.schema().clone();
    let mut out = FrameParquet::new(dir, file, &schema, tag)?;
    let mut sizes = frame_groups(total as usize, group).into_iter().map(|(s, e)| e - s).peekable();
    // Rows wait as columns, a third of their size as structs: a group is
    // up to twice FRAME_ROW_GROUP rows (half a million, at national scale).
    let mut pending = frame(Vec::new()).map_err(err)?;
    for part in parts {
        pending.vstack_mut_owned(frame(read(part)?).map_err(err)?).map_err(err)?;
        while let Some(&size) = sizes.peek().filter(|&&size| pending.height() >= size) {
            out.write_frame(&pending.slice(0, size))?;
            pending = pending.slice(size as i64, pending.height() - size);
            sizes.next();
        }
    }
    if pending.height() > 0 || sizes.next().is_some() {
        return Err(Error::output(&path, format!("the ranges hold other than the {total} rows counted")));
    }
    out.finish()
}

/// Returns the memory the run freed to the system. glibc keeps freed
/// blocks in its arenas (one a thread) for reuse, and they count in the
/// process's resident memory: what one partition freed and the next did not
/// reuse stayed resident, and the end of the run started higher (the 7.5M
/// month under 512 MiB, its findings one row group of 520,092 rows: 477 –
/// 501 MB peak without, 385 – 392 MB with).
fn give_back_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory of glibc's heap to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// [`give_back_freed_memory`] after a partition, once the process holds
/// more than three quarters of `limit`: each time costs the page faults of
/// the memory taken again (0.1 s a partition of the 1M month), so only
/// where the limit is near (1M × 12 under 512 MiB peaked at 0.46 – 0.50 GB
/// without it).
fn give_back_if_near(limit: u64) {
    if resident_bytes().is_some_and(|r| r > limit / 4 * 3) {
        give_back_freed_memory();
    }
}

/// The process's resident memory now, where the system tells it.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf only reads a system setting.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * u64::try_from(page).ok()?)
}

/// Every CSV input split by seeker, side by side (the files are
/// independent), with the rows that repeat an id of the whole file marked:
/// the records that may repeat one are validated together.
fn scatter_inputs(
    inputs: &[(InputKind, PathBuf)],
    opts: &RunOptions,
    ranges: &Ranges,
    scratch: &Path,
    window: &Window,
) -> Result<Vec<Scattered>> {
    let mut scattered = inputs
        .par_iter()
        .map(|(k, p)| scatter(*k, p, opts.inputs.dialect, ranges, scratch))
        .collect::<Result<Vec<Scattered>>>()?;
    for s in &mut scattered {
        if let Some(r) = &s.repeats {
            let v = validate::validate(std::slice::from_ref(&r.table), opts.as_of, 1.0, window)?;
            let lines = v.rejects.iter().filter(|r| r.code == validate::Code::DuplicateId).map(|r| r.line).collect();
            s.mark_repeats(&lines);
        }
    }
    Ok(scattered)
}

/// What the partitions leave for the end of the run.
pub(crate) struct Partitions {
    pub rules: RuleSet,
    /// Each input's counts, summed over the partitions.
    pub stats: BTreeMap<InputKind, InputStats>,
    /// Each partition's rejects, in file and line order.
    pub rejects: Vec<Vec<Reject>>,
    /// The months the records name.
    pub known: BTreeSet<Month>,
    pub decisions_unmatched: u64,
    pub unknown_columns: BTreeMap<InputKind, Vec<String>>,
    /// The seeker-months reconciled (the entitlement rows), counted even
    /// when the entitlements are not written (`--outputs nightly`).
    pub seeker_months: u64,
    /// Each bucket's folder: findings.csv, notices.csv (tonight's
    /// candidates) and entitlements.bin, sorted by seeker (a cluster's
    /// buckets, merged by [`finish`]).
    pub dirs: Vec<PathBuf>,
    /// Or the rows of partitions that came in output order.
    pub in_order: Option<InOrder>,
}

/// What partitions of seeker ranges leave, in output order: the findings
/// and tonight's candidate notices, and the entitlements files, written.
pub(crate) struct InOrder {
    ranges: Ranges,
    /// findings.csv, written.
    findings: Written,
    /// Each range's findings and candidate notices, in the scratch folder.
    parts: Vec<(PathBuf, PathBuf)>,
    /// `None`: not written (`--outputs nightly`).
    entitlements: Option<[Written; 2]>,
    /// Each partition's rejects (a shard's), in file and line order, in the scratch folder.
    reject_parts: Vec<PathBuf>,
    /// What the reject threshold needs of them all.
    reject_summary: RejectSummary,
    /// The inputs' file names, in the order rejects.csv lists them.
    files: Vec<String>,
}

impl Partitions {
    pub(crate) fn new(rules: RuleSet) -> Self {
        Partitions {
            rules,
            stats: BTreeMap::new(),
            rejects: Vec::new(),
            known: BTreeSet::new(),
            decisions_unmatched: 0,
            unknown_columns: BTreeMap::new(),
            seeker_months: 0,
            dirs: Vec::new(),
            in_order: None,
        }
    }
}

/// Each partition in turn, in id order: ingest, validate (the reject
/// threshold is the whole file's, checked after), recompute and settle;
/// its entitlements and findings written on into `dir`, its findings and
/// candidate notices also into the scratch folder, for the end.
#[allow(clippy::too_many_arguments)]
fn reconcile_in_order(
    scattered: &mut [Scattered],
    limit: u64,
    ranges: Ranges,
    opts: &RunOptions,
    dir: &Path,
    window: &Window,
    selected: Option<&[Month]>,
    rules: RuleSet,
) -> Result<Partitions> {
    let mut out = Partitions::new(rules);
    let tag = RuleSetTag { label: out.rules.label(), sha256: out.rules.sha256.clone() };
    let scratch = dir.join(".partitions");
    let mut entitlements = (opts.outputs.writes_entitlements())
        .then(|| EntitlementsSink::create(dir, &tag, ENTITLEMENTS_ROW_GROUP))
        .transpose()?;
    let mut findings = CsvStream::create(dir, "findings.csv", output::FINDINGS_HEADER)?;
    let mut parts = Vec::new();
    let (mut reject_parts, mut reject_summary) = (Vec::new(), RejectSummary::default());
    let files: Vec<String> = scattered
        .iter()
        .map(|s| s.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default())
        .collect();
    let n = scattered.first().map_or(0, |s| s.parts.len());
    for k in 0..n {
        let tables = scattered
            .iter_mut()
            .map(|s| {
                // Each partition is read once: its line map moves into its table.
                let (lines, duplicates) = s.take_part(k)?;
                // A Parquet input's partitions are international CSV of its known columns.
                let choice = if s.from_parquet.is_some() { DialectChoice::Intl } else { opts.inputs.dialect };
                let bytes = s.part_bytes(k)?;
                let mut t = ingest::read_part_bytes(s.kind, &s.path, &s.sha256, bytes, lines, duplicates, choice)?;
                if let Some(unknown) = &s.from_parquet {
                    t.unknown_columns = unknown.clone();
                }
                Ok(t)
            })
            .collect::<Result<Vec<_>>>()?;
        let r = reconcile_tables(tables, opts, window, selected, &mut out)?;
        let rejects = out.rejects.pop().unwrap_or_default();
        reject_summary.add(&rejects);
        let mut kept = by_file_and_line(vec![rejects], &files);
        if let Some(shard) = opts.shard {
            kept.retain(|r| shard.holds(&r.seeker_id));
        }
        let part = format!("rejects-{k}.csv");
        output::write_scratch_csv(&scratch, &part, output::REJECTS_HEADER, &[&kept])?;
        reject_parts.push(scratch.join(part));
        let found = Chunked(r.findings);
        findings.put_rows(&found.parts())?;
        let (f, c) = (format!("findings-{k}.csv"), format!("candidates-{k}.csv"));
        output::write_scratch_csv(&scratch, &f, output::FINDINGS_HEADER, &found.parts())?;
        output::write_scratch_csv(&scratch, &c, output::NOTICES_HEADER, &Chunked(r.candidates).parts())?;
        parts.push((scratch.join(f), scratch.join(c)));
        if let Some(sink) = &mut entitlements {
            sink.put(r.entitlements)?;
        }
        give_back_if_near(limit);
    }
    out.in_order = Some(InOrder {
        ranges,
        findings: findings.finish()?,
        parts,
        entitlements: entitlements.map(EntitlementsSink::finish).transpose()?,
        reject_parts,
        reject_summary,
        files,
    });
    Ok(out)
}

/// One partition's tables: validated (the reject threshold is the whole
/// file's, checked by [`finish`]), recomputed and settled, its rows sorted
/// by seeker into `dir` (findings.csv, tonight's candidate notices.csv,
/// entitlements.bin), its counts and rejects added to `out`.
pub(crate) fn reconcile_partition(
    tables: Vec<ingest::RawTable>,
    opts: &RunOptions,
    window: &Window,
    selected: Option<&[Month]>,
    dir: &Path,
    out: &mut Partitions,
) -> Result<()> {
    let r = reconcile_tables(tables, opts, window, selected, out)?;
    std::fs::create_dir(dir).map_err(|e| Error::output(dir, e))?;
    output::write_scratch_csv(dir, "findings.csv", output::FINDINGS_HEADER, &Chunked(r.findings).parts())?;
    if opts.outputs.writes_entitlements() {
        output::spill::write(&dir.join("entitlements.bin"), r.entitlements.iter().flatten())?;
    }
    output::write_scratch_csv(dir, "notices.csv", output::NOTICES_HEADER, &Chunked(r.candidates).parts())?;
    out.dirs.push(dir.to_path_buf());
    Ok(())
}

/// One partition's tables validated, recomputed and settled: its rows, in
/// seeker order; its counts and rejects added to `out`.
fn reconcile_tables(
    tables: Vec<ingest::RawTable>,
    opts: &RunOptions,
    window: &Window,
    selected: Option<&[Month]>,
    out: &mut Partitions,
) -> Result<run::Reconciled> {
    for t in &tables {
        out.unknown_columns.entry(t.kind).or_insert_with(|| t.unknown_columns.clone());
    }
    let mut v = validate::validate(&tables, opts.as_of, 1.0, window)?;
    for (kind, s) in &v.stats {
        out.stats.entry(*kind).or_default().add(s);
    }
    out.rejects.push(std::mem::take(&mut v.rejects));
    run::sort_records(&mut v);
    let params = run::resolve_params(&v, &out.rules)?;
    out.known.extend(params.keys().copied());
    // A run's `Prepared` owns its rule set (a few dated tables: cloned per partition).
    let rules = out.rules.clone();
    let (decisions, decision_records) = run::counting_decisions(std::mem::take(&mut v.decisions));
    let mut p = Prepared { rules, tables, validated: v, params, as_of: opts.as_of, decisions, decision_records };
    if let Some(shard) = opts.shard {
        run::keep_shard(&mut p, shard);
    }
    let r = run::reconcile_all(&p, selected, opts.outputs, None)?;
    out.decisions_unmatched += run::unmatched_decisions(&p, r.findings.iter().flatten());
    out.seeker_months += r.seeker_months;
    Ok(r)
}

/// The run's findings and tonight's candidate notices (in seeker order)
/// compared with the previous night (nights.md §8.1–§8.4) and totalled by
/// agency: every row but the entitlements.
fn night_rows(
    findings: Chunked<FindingRow>,
    candidates: Vec<NoticeRow>,
    rules: &RuleSet,
    previous: Option<&previous::Previous>,
    months: &[Month],
    opts: &RunOptions,
) -> Result<Rows> {
    if let Some(prev) = previous {
        nights::check_window(prev, months)?;
    }
    let np = rules.notice_params(opts.as_of)?;
    let night = nights::compare(findings.iter(), candidates.into_iter(), previous, months, opts.as_of, &np);
    if opts.shard.is_none() {
        let standing = previous.map_or(0, nights::standing_notices);
        nights::guard_withdrawals(&night.notices, standing, opts.max_withdrawal_rate)?;
    }
    let mut rows = Rows {
        findings,
        entitlements: Chunked::default(),
        notices: night.notices.into(),
        changes: night.changes,
        agencies: Chunked::default(),
    };
    rows.agencies = output::rows::agencies(&rows)?.into();
    Ok(rows)
}

/// One output file of every partition, read back.
fn read_parts<R>(dirs: &[PathBuf], file: &str, read: fn(&Path) -> Result<Vec<R>>) -> Result<Vec<Vec<R>>> {
    dirs.iter().map(|d| read(&d.join(file))).collect()
}

/// entitlements.csv and .parquet from the partitions' sorted files, a
/// seeker at a time: never more than three row groups in memory. While one
/// group is written and hashed, the next is encoded and formatted (in
/// chunks, on both cores) and the one after is merged.
fn merge_entitlements(dir: &Path, parts: &[PathBuf], tag: &RuleSetTag) -> Result<[Written; 2]> {
    merge_entitlements_in_groups(dir, parts, tag, ENTITLEMENTS_ROW_GROUP)
}

/// [`merge_entitlements`] in row groups of `group` rows (tests use small ones).
fn merge_entitlements_in_groups(dir: &Path, parts: &[PathBuf], tag: &RuleSetTag, group: usize) -> Result<[Written; 2]> {
    let mut merger = Merger::open(parts, group)?;
    let mut csv = CsvStream::create(dir, "entitlements.csv", output::ENTITLEMENTS_HEADER)?;
    let mut parquet = EntitlementsParquet::new(dir, tag)?;
    let encoder = parquet.encoder();
    let err = |e| Error::output(dir.join("entitlements.parquet"), e);
    type Ready = (Vec<(String, usize)>, (usize, Vec<Vec<polars_parquet::write::CompressedPage>>));
    let mut ready: Option<Ready> = None;
    let mut pending: Vec<EntitlementRow> = Vec::new();
    loop {
        let (written, (prepared, next)) = rayon::join(
            || -> Result<()> {
                if let Some((texts, (rows, pages))) = &ready {
                    for (text, n) in texts {
                        csv.put_lines(text, *n)?;
                    }
                    parquet.write(*rows, pages)?;
                }
                Ok(())
            },
            || {
                rayon::join(
                    || -> Result<Option<Ready>> {
                        if pending.is_empty() {
                            return Ok(None);
                        }
                        let (encoded, texts) = rayon::join(
                            || encoder.encode(pending.iter(), pending.len()),
                            || pending.par_chunks(16_384).map(|c| (CsvStream::lines(c), c.len())).collect::<Vec<_>>(),
                        );
                        Ok(Some((texts, encoded.map_err(err)?)))
                    },
                    || merger.next_group(),
                )
            },
        );
        written?;
        ready = prepared?;
        pending = next?;
        if ready.is_none() && pending.is_empty() {
            break;
        }
    }
    Ok([csv.finish()?, parquet.finish()?])
}

/// entitlements.csv and .parquet written as partitions of seeker ranges
/// bring their rows, in output order: each partition's rows go to the CSV
/// at once, and to the Parquet file in row groups of `group` rows, the
/// last, short one carried to the next partition (the groups are the
/// in-memory run's whatever the partitions).
struct EntitlementsSink {
    /// Where entitlements.parquet is (for its errors).
    parquet_path: PathBuf,
    csv: CsvStream,
    parquet: EntitlementsParquet,
    /// Rows of the next row group, not yet written to the Parquet file.
    carry: Vec<EntitlementRow>,
    group: usize,
}

impl EntitlementsSink {
    fn create(dir: &Path, tag: &RuleSetTag, group: usize) -> Result<Self> {
        let csv = CsvStream::create(dir, "entitlements.csv", output::ENTITLEMENTS_HEADER)?;
        let parquet = EntitlementsParquet::new(dir, tag)?;
        Ok(EntitlementsSink { parquet_path: dir.join("entitlements.parquet"), csv, parquet, carry: Vec::new(), group })
    }

    /// The next rows, in output order.
    fn put(&mut self, rows: Vec<Vec<EntitlementRow>>) -> Result<()> {
        let mut all = Chunked(Vec::with_capacity(rows.len() + 1));
        all.0.push(std::mem::take(&mut self.carry));
        all.0.extend(rows);
        let total = all.len();
        let full = total - total % self.group;
        let groups: Vec<(usize, usize)> = (0..full).step_by(self.group).map(|s| (s, s + self.group)).collect();
        let fresh: Vec<&[EntitlementRow]> = all.0[1..].iter().map(Vec::as_slice).collect();
        let encoder = self.parquet.encoder();
        let csv = &mut self.csv;
        // The CSV is formatted and written while the row groups are encoded (both in parallel inside).
        let (written, encoded) = rayon::join(
            || csv.put_rows(&fresh),
            || groups.par_iter().map(|&(s, e)| encoder.encode(all.range(s, e), e - s)).collect::<Vec<_>>(),
        );
        written?;
        for group in encoded {
            let (rows, pages) = group.map_err(|e| Error::output(&self.parquet_path, e))?;
            self.parquet.write(rows, &pages)?;
        }
        // The rows past the last whole group open the next one.
        let mut skip = full;
        for mut chunk in all.0 {
            if skip >= chunk.len() {
                skip -= chunk.len();
                continue;
            }
            self.carry.extend(chunk.drain(skip..));
            skip = 0;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<[Written; 2]> {
        if !self.carry.is_empty() {
            let (rows, pages) = (self.parquet.encode(self.carry.iter(), self.carry.len()))
                .map_err(|e| Error::output(&self.parquet_path, e))?;
            self.parquet.write(rows, &pages)?;
        }
        Ok([self.csv.finish()?, self.parquet.finish()?])
    }
}

/// The partitions' spilled entitlements merged in seeker order: the
/// partitions' next seekers in a heap.
struct Merger {
    /// Rows a group holds.
    group: usize,
    readers: Vec<output::spill::Reader>,
    heads: Vec<Option<EntitlementRow>>,
    heap: BinaryHeap<Reverse<(crate::model::Id, usize)>>,
}

impl Merger {
    fn open(parts: &[PathBuf], group: usize) -> Result<Merger> {
        let mut readers = parts.iter().map(|p| output::spill::Reader::open(p)).collect::<Result<Vec<_>>>()?;
        let heads: Vec<Option<EntitlementRow>> = readers.iter_mut().map(|r| r.next_row()).collect::<Result<_>>()?;
        let heap = heads
            .iter()
            .enumerate()
            .filter_map(|(i, h)| h.as_ref().map(|r| Reverse((r.seeker_id.clone(), i))))
            .collect();
        Ok(Merger { group, readers, heads, heap })
    }

    /// The next row group (empty at the end). A seeker's rows are all in
    /// one partition, next to each other; one cut by the end of a group is
    /// taken up again by the next.
    fn next_group(&mut self) -> Result<Vec<EntitlementRow>> {
        let mut group = Vec::with_capacity(self.group);
        while group.len() < self.group {
            let Some(Reverse((seeker, i))) = self.heap.pop() else { break };
            while group.len() < self.group && self.heads[i].as_ref().is_some_and(|r| r.seeker_id == seeker) {
                let row = self.heads[i].take().expect("a head");
                self.heads[i] = self.readers[i].next_row()?;
                group.push(row);
            }
            if let Some(r) = &self.heads[i] {
                self.heap.push(Reverse((r.seeker_id.clone(), i)));
            }
        }
        Ok(group)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::parquet::tests::row;

    /// Partitions' entitlements merged in row groups of a few rows are the
    /// in-memory run's two files, byte for byte: groups cut inside a
    /// seeker's rows, partitions of unequal length, the last group short.
    #[test]
    fn merged_entitlements_are_the_runs_files() {
        let rows: Vec<EntitlementRow> = (0..200)
            .map(|i| {
                let mut r = row(i);
                // Seekers of one, two or three months.
                r.seeker_id = format!("S{:05}", i * 2 / 5).into();
                r
            })
            .collect();
        let tmp = tempfile::tempdir().unwrap();
        let tag = RuleSetTag { label: "fr-are@test".into(), sha256: "0".repeat(64) };
        let parts: Vec<PathBuf> = (0..3)
            .map(|k| {
                let path = tmp.path().join(format!("part-{k}"));
                // A seeker's rows all in one partition, as partitions are.
                let mine = rows.iter().filter(|r| r.seeker_id[1..].parse::<usize>().unwrap() % 3 == k);
                output::spill::write(&path, mine).unwrap();
                path
            })
            .collect();
        let merged = tmp.path().join("merged");
        std::fs::create_dir_all(&merged).unwrap();
        for group in [1, 7, 64, 1000] {
            let m = merge_entitlements_in_groups(&merged, &parts, &tag, group).unwrap();
            assert_the_runs_files(m, &merged, &rows, &tag, group);
        }
    }

    /// `got`, the entitlements files written into `dir`, are those the
    /// in-memory run writes of `rows` in row groups of `group`.
    fn assert_the_runs_files(got: [Written; 2], dir: &Path, rows: &[EntitlementRow], tag: &RuleSetTag, group: usize) {
        let tmp = tempfile::tempdir().unwrap();
        let run = tmp.path();
        let chunked = output::Chunked::from(rows.to_vec());
        let csv = output::write_csv(run, "entitlements.csv", output::ENTITLEMENTS_HEADER, &chunked.parts()).unwrap();
        let parquet = output::parquet::write_entitlements_in_groups(run, &chunked, tag, group).unwrap();
        assert_eq!(got, [csv, parquet], "groups of {group}");
        for file in ["entitlements.csv", "entitlements.parquet"] {
            assert_eq!(std::fs::read(dir.join(file)).unwrap(), std::fs::read(run.join(file)).unwrap(), "{file}");
        }
    }

    /// Entitlements written as partitions of seeker ranges bring them are
    /// the in-memory run's two files, byte for byte: partitions cut inside
    /// a row group, on its edge, empty ones, one longer than three groups,
    /// and the run's last group short (carried rows written once, in order).
    #[test]
    fn entitlements_written_as_partitions_come_are_the_runs_files() {
        let rows: Vec<EntitlementRow> = (0..200).map(row).collect();
        let tmp = tempfile::tempdir().unwrap();
        let tag = RuleSetTag { label: "fr-are@test".into(), sha256: "0".repeat(64) };
        for group in [1, 7, 16, 64, 1000] {
            let sunk = tmp.path().join(format!("sunk-{group}"));
            std::fs::create_dir_all(&sunk).unwrap();
            let mut sink = EntitlementsSink::create(&sunk, &tag, group).unwrap();
            // Partition edges (in rows); each partition in chunks, as reconcile_all gives them.
            let edges = [0, 3, 3, 16, 32, 33, 100, 100, 199, 200];
            for w in edges.windows(2) {
                let part: Vec<Vec<EntitlementRow>> =
                    rows[w[0]..w[1]].chunks(5).map(<[EntitlementRow]>::to_vec).collect();
                sink.put(part).unwrap();
            }
            assert_the_runs_files(sink.finish().unwrap(), &sunk, &rows, &tag, group);
        }
    }

    /// findings.parquet written group by group from the ranges' files is
    /// the in-memory run's file, byte for byte, whatever the count of rows
    /// against the group size (none, fewer than a group, exactly one, a
    /// group and a bit, many with a remainder) and the ranges' sizes
    /// (empty ones, one longer than several groups).
    #[test]
    fn findings_parquet_written_from_the_ranges_is_the_runs_file() {
        use crate::model::Month;
        use crate::reconcile::{Cause, Status};
        let finding = |i: usize| FindingRow {
            finding_id: format!("{i:016x}"),
            seeker_id: format!("S{i:05}").into(),
            agency_id: format!("A{}", i % 3).into(),
            right_id: format!("R{i}").into(),
            month: Month::new(2024, 1 + (i % 3) as u32).unwrap(),
            cause: Cause::ALL[i % Cause::ALL.len()],
            amount: rust_decimal::Decimal::new(i as i64 * 137 - 500, 2),
            status: Status::ALL[i % Status::ALL.len()],
            basis: if i.is_multiple_of(2) { "attested" } else { "" },
            time_barred_on: i
                .is_multiple_of(4)
                .then(|| chrono::NaiveDate::from_ymd_opt(2027, 1, 1 + (i % 28) as u32).unwrap()),
            evidence: format!("D{i} P{}", i + 1),
            rule_set: "fr-are@test".into(),
        };
        let tmp = tempfile::tempdir().unwrap();
        let tag = RuleSetTag { label: "fr-are@test".into(), sha256: "0".repeat(64) };
        let group = 7;
        for total in [0, 1, 6, 7, 8, 13, 14, 15, 20, 21, 22, 50] {
            let rows: Vec<FindingRow> = (0..total).map(finding).collect();
            let dir = tmp.path().join(format!("t{total}"));
            std::fs::create_dir_all(dir.join("whole")).unwrap();
            let frame = |r: Vec<FindingRow>| output::parquet::findings_frame(&Chunked(vec![r]));
            let whole = output::parquet::write_frame_in_groups(
                &dir.join("whole"),
                "f.parquet",
                frame(rows.clone()).unwrap(),
                &tag,
                group,
            )
            .unwrap();
            // Ranges of 0, 3, 0, 19, then the rest (some of them past the end).
            let mut parts = Vec::new();
            let mut at = 0;
            for (k, len) in [0, 3, 0, 19, usize::MAX].into_iter().enumerate() {
                let end = at + len.min(total - at);
                let path = dir.join(format!("findings-{k}.csv"));
                output::write_csv(&dir, &format!("findings-{k}.csv"), output::FINDINGS_HEADER, &[&rows[at..end]])
                    .unwrap();
                parts.push(path);
                at = end;
            }
            let got =
                parquet_from_parts(&dir, "f.parquet", &tag, total as u64, &parts, output::read::findings, frame, group)
                    .unwrap();
            assert_eq!(got, whole, "{total} rows");
            let bytes = |d: &Path| std::fs::read(d.join("f.parquet")).unwrap();
            assert_eq!(bytes(&dir), bytes(&dir.join("whole")), "{total} rows");
            // A count that is not the ranges' is an error, not a short file.
            if total > 0 {
                let e = parquet_from_parts(
                    &dir,
                    "g.parquet",
                    &tag,
                    total as u64 + 1,
                    &parts,
                    output::read::findings,
                    frame,
                    group,
                );
                assert!(e.is_err(), "{total} rows");
            }
        }
    }

    /// The planner's arithmetic, worked by hand: 5 bytes of memory a byte
    /// of input, in half the limit but never in the 320 MiB a run keeps for
    /// itself; once partitioned, 128 MB of input at most a partition; the
    /// least limit, and the most partitions.
    #[test]
    fn the_plan_keeps_a_partition_in_half_the_limit() {
        const GIB: u64 = 1 << 30;
        // The 1M month (296 MB) fits in 4 GiB: 1.48 GB in 2 GiB.
        assert_eq!(plan(296_000_000, 4 * GIB).unwrap(), 1);
        // Under 1 GiB: 1.48 GB in 512 MiB (536,870,912 bytes) is 2.76, so 3.
        assert_eq!(plan(296_000_000, GIB).unwrap(), 3);
        // The 10M month (2.85 GB) under 4 GiB: 14.25 GB in 2 GiB is 6.6, but
        // 2.85 GB in partitions of 128 MB at most is 22.3, so 23.
        assert_eq!(plan(2_850_000_000, 4 * GIB).unwrap(), 23);
        // Under 512 MiB: half of it is 256 MiB, but a run keeps 320 MiB for
        // itself: 192 MiB (201,326,592 bytes); 14.25 GB in that is 70.8, so 71.
        assert_eq!(plan(2_850_000_000, 512 << 20).unwrap(), 71);
        let e = plan(296_000_000, 256 << 20).unwrap_err().to_string();
        assert!(e.contains("--memory-limit 268.4 MB is less than a run needs whatever its size (536.9 MB"), "{e}");
        // 60 GB of input: 300 GB of memory in 192 MiB is 1490.1, so 1491
        // partitions. 1024 of them take 292,968,750 bytes each: a limit of
        // twice that (585.9 MB) would keep 320 MiB (335,544,320) for the run
        // only from 628,513,070 bytes, 599.4 MiB: so 600MiB.
        let e = plan(60_000_000_000, 512 << 20).unwrap_err().to_string();
        assert!(e.contains("it would take 1491 partitions, and a run takes at most 1024; give at least 600MiB"), "{e}");
        assert_eq!(plan(60_000_000_000, 600 << 20).unwrap(), 1022);
        assert!(plan(60_000_000_000, 599 << 20).is_err());
    }

    /// The ranges drawn from samples of the 5k month's four files share
    /// its records evenly: each of 8 partitions holds within a quarter of
    /// an eighth of them (the fixture is sorted by seeker: a sample taken
    /// from the files' heads only would put them all in the last ranges).
    #[test]
    fn ranges_sampled_from_the_inputs_share_them_evenly() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/months/2024-03-5k");
        let inputs: Vec<(InputKind, PathBuf)> = ["rights", "declarations", "attestations", "ledger"]
            .iter()
            .map(|k| (InputKind::parse(k).unwrap(), dir.join(format!("{k}.csv"))))
            .collect();
        let ranges = seeker_ranges(&inputs, DialectChoice::Auto, 8);
        // Bytes of records per range, over the four files.
        let mut bytes = [0u64; 8];
        for (_, path) in &inputs {
            let text = std::fs::read_to_string(path).unwrap();
            let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
            let seeker = header.iter().position(|c| *c == "seeker_id").unwrap();
            for line in text.lines().skip(1) {
                let id = line.split(',').nth(seeker).unwrap();
                bytes[ranges.of_record(id) as usize] += line.len() as u64 + 1;
            }
        }
        let total: u64 = bytes.iter().sum();
        for (k, b) in bytes.iter().enumerate() {
            let share = *b as f64 / (total as f64 / 8.0);
            assert!((0.75..=1.25).contains(&share), "partition {k} holds {share:.2} of its share: {bytes:?}");
        }
    }
}
