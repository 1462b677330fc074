//! `indus run`: the pipeline from input files to an output folder.
//!
//! Ingest and validate the four files, group the records by seeker, reconcile
//! every seeker in parallel (one pure function each), then settle statuses and
//! notices, total by agency and write the outputs atomically. The work is
//! split so that `replay` and `explain` reuse each stage.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::ingest::{self, DialectChoice, InputKind, RawTable};
use crate::model::Decision;
use crate::model::Month;
use crate::nights;
use crate::order;
use crate::output::manifest::{InputRef, Manifest, OutputRef, PreviousRef, RuleSetRef, ShardRef, Totals};
use crate::output::{
    self, AgencyRow, ChangeRow, Chunked, EntitlementRow, FindingRow, NoticeRow, OutputSet, Staging, Written,
};
use crate::partition::Shard;
use crate::previous;
use crate::reconcile::{reconcile_seeker, Context, MonthOutcome, SeekerRecords, Status};
use crate::rules::{MonthParams, RuleSet};
use crate::status::{self, Action};
use crate::validate::Held;
use crate::validate::{self, Reject, Validated};

/// Where the inputs are and how to read them.
#[derive(Clone, Debug, Default)]
pub struct InputOptions {
    pub input: Option<PathBuf>,
    pub rights: Option<PathBuf>,
    pub declarations: Option<PathBuf>,
    pub attestations: Option<PathBuf>,
    pub ledger: Option<PathBuf>,
    /// `--decisions`: the agents' decisions, if not `decisions.csv` in `input`.
    pub decisions: Option<PathBuf>,
    pub dialect: DialectChoice,
    /// Inputs given as tables rather than files (the Python module): when
    /// there are some, no file is looked for. Each kind at most once; the
    /// four required kinds must be there.
    pub tables: Vec<(InputKind, polars::prelude::DataFrame)>,
}

impl InputOptions {
    /// Where every input of a run is: the four required ones (an error when
    /// one cannot be found) and the decisions when there are some.
    pub fn locate(&self) -> Result<Vec<(InputKind, PathBuf)>> {
        let mut paths = Vec::with_capacity(InputKind::ALL.len());
        for k in InputKind::ALL {
            let found = if k.required() {
                Some(ingest::locate(self.input.as_deref(), k, self.explicit(k))?)
            } else {
                ingest::locate_optional(self.input.as_deref(), k, self.explicit(k))?
            };
            paths.extend(found.map(|p| (k, p)));
        }
        Ok(paths)
    }

    fn explicit(&self, kind: InputKind) -> Option<&Path> {
        match kind {
            InputKind::Rights => self.rights.as_deref(),
            InputKind::Declarations => self.declarations.as_deref(),
            InputKind::Attestations => self.attestations.as_deref(),
            InputKind::Ledger => self.ledger.as_deref(),
            InputKind::Decisions => self.decisions.as_deref(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct RunOptions {
    pub inputs: InputOptions,
    pub out: PathBuf,
    pub as_of: NaiveDate,
    pub rules: Option<PathBuf>,
    /// `--months` as given (`2024-01..2024-03`).
    pub months: Option<String>,
    pub max_reject_rate: f64,
    /// `--previous`: the previous night's run folder (nights.md §8.1).
    pub previous: Option<PathBuf>,
    /// `--max-withdrawal-rate` (nights.md §8.4).
    pub max_withdrawal_rate: f64,
    /// `--allow-empty`: an input without any record, or a run that reconciles
    /// no seeker-month, is expected (a small test folder), not a broken export.
    pub allow_empty: bool,
    /// Show progress on stderr when it is a terminal.
    pub progress: bool,
    /// `--shard I/N`: reconcile only the shard's seekers, into a part folder for `indus merge`.
    pub shard: Option<Shard>,
    /// `--memory-limit` in bytes; `None`: [`default_memory_limit`].
    pub memory_limit: Option<u64>,
    /// `--partitions N`: that many partitions, whatever the memory.
    pub partitions: Option<u32>,
    /// `--outputs`: every file, or all but the entitlements.
    pub outputs: OutputSet,
}

/// Three quarters of the machine's memory: a run that fits stays in memory
/// (the fast path); one that would not is partitioned rather than killed
/// by the kernel halfway through a night. The last quarter is the system's
/// and the page cache's, which the inputs are read through.
pub fn default_memory_limit() -> u64 {
    let total = std::fs::read_to_string("/proc/meminfo").ok().and_then(|m| {
        m.lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .map(|kb| kb * 1024)
    });
    // Without /proc (not Linux): 8 GiB, a laptop's.
    (total.unwrap_or(8 << 30) / 4 * 3).max(crate::partitioned::MIN_MEMORY_LIMIT)
}

/// A size as `--memory-limit` takes it: bytes, or a number with KiB, MiB,
/// GiB (powers of 1024) or KB, MB, GB (of 1000); `K`, `M`, `G` are binary.
pub fn parse_size(s: &str) -> std::result::Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let unit_bytes: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        _ => return Err(format!("`{s}` is not a size: write e.g. 2GiB, 512MiB or 4G")),
    };
    let n: f64 = number.parse().map_err(|_| format!("`{s}` is not a size: write e.g. 2GiB, 512MiB or 4G"))?;
    let bytes = n * unit_bytes as f64;
    if !(bytes >= 1.0 && bytes < u64::MAX as f64) {
        return Err(format!("`{s}` is not a size a run can use"));
    }
    Ok(bytes as u64)
}

/// The default share of the previous notices a night may withdraw (past 100).
pub const DEFAULT_MAX_WITHDRAWAL_RATE: f64 = 0.05;

/// How long each stage took (`--timings`); never written into the outputs.
#[derive(Default)]
pub struct Timings {
    /// Stage name, wall time, and CPU time of the whole process (user +
    /// system, every thread): CPU over wall shows how busy the cores were.
    pub stages: Vec<(&'static str, Duration, Duration)>,
    /// The process's peak resident memory at the end of each stage, in
    /// bytes (what `/usr/bin/time` calls maxrss): which stage set the peak.
    pub peaks: Vec<u64>,
    cpu_mark: Option<Duration>,
    /// The terminal display, told each stage as it starts.
    pub progress: Option<crate::progress::Progress>,
}

impl std::fmt::Debug for Timings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Timings").field("stages", &self.stages).finish()
    }
}

impl Timings {
    pub(crate) fn lap(&mut self, stage: &'static str, since: &mut Instant) {
        if let Some(p) = &self.progress {
            let next = match stage {
                "ingest" => "validating the records",
                "validate" => "recomputing every seeker",
                "reconcile" => "writing the outputs",
                _ => "",
            };
            if !next.is_empty() {
                p.stage(next);
            }
        }
        let (cpu, peak) = process_usage();
        let before = self.cpu_mark.unwrap_or_default();
        self.stages.push((stage, since.elapsed(), cpu.saturating_sub(before)));
        self.peaks.push(peak);
        self.cpu_mark = Some(cpu);
        *since = Instant::now();
    }

    /// Two stages done in one pass: the pass's wall and CPU time are split
    /// between them in proportion to the time clocked in each.
    fn lap_shared(&mut self, stages: [&'static str; 2], clocked: [Duration; 2], since: &mut Instant) {
        let (wall, start) = (since.elapsed(), self.stages.len());
        self.lap(stages[1], since);
        let cpu = self.stages[start].2;
        let total = (clocked[0] + clocked[1]).as_secs_f64();
        let share = if total > 0.0 { clocked[0].as_secs_f64() / total } else { 0.5 };
        let (w0, c0) = (wall.mul_f64(share), cpu.mul_f64(share));
        self.stages[start] = (stages[1], wall - w0, cpu - c0);
        self.stages.insert(start, (stages[0], w0, c0));
        self.peaks.insert(start, self.peaks[start]);
    }

    /// Starts the clock of the first stage's CPU time.
    pub(crate) fn start(&mut self) {
        self.cpu_mark = Some(process_usage().0);
    }
}

/// User + system CPU time of this process so far, all threads.
/// The CPU time of the whole process, and its peak resident memory in bytes.
fn process_usage() -> (Duration, u64) {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return (Duration::ZERO, 0);
    }
    let tv = |t: libc::timeval| Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64);
    // Linux gives ru_maxrss in KiB.
    (tv(usage.ru_utime) + tv(usage.ru_stime), usage.ru_maxrss.max(0) as u64 * 1024)
}

/// What a run did, for stdout and the caller.
pub struct RunReport {
    pub manifest: Manifest,
    /// Things worth a line on stderr (unknown columns).
    pub warnings: Vec<String>,
    pub timings: Timings,
    /// The run's records and rows, still allocated: a process about to exit
    /// may skip freeing them one by one (see `main`); none for a partitioned run.
    pub computed: Option<Computed>,
    /// How many partitions of seekers the run was computed in (1: in memory).
    pub partitions: u32,
}

/// Every row a run writes, in output order.
#[derive(Clone, Debug, Default)]
pub struct Rows {
    pub findings: Chunked<FindingRow>,
    pub entitlements: Chunked<EntitlementRow>,
    pub notices: Chunked<NoticeRow>,
    pub changes: Vec<ChangeRow>,
    pub agencies: Chunked<AgencyRow>,
}

/// The most threads `--threads` accepts per core.
pub(crate) const MAX_THREADS_PER_CORE: usize = 8;

/// Sets the thread count of rayon and polars; call before any other work.
pub fn configure_threads(threads: Option<usize>) -> Result<()> {
    if let Some(n) = threads {
        if n == 0 {
            return Err(Error::Usage("--threads must be at least 1".into()));
        }
        // Far more threads than cores only adds switching (1000 threads turn
        // 0.09 s into 19 s on 2 cores).
        let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
        let max = MAX_THREADS_PER_CORE * cores;
        if n > max {
            return Err(Error::Usage(format!(
                "--threads {n} is more than {max} ({MAX_THREADS_PER_CORE} per core on this machine's {cores}): \
                 more threads than that only slow a run down"
            )));
        }
        std::env::set_var("POLARS_MAX_THREADS", n.to_string());
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .map_err(|e| Error::Usage(format!("cannot set up {n} threads: {e}")))?;
    }
    Ok(())
}

pub(crate) fn load_rules(path: Option<&Path>) -> Result<RuleSet> {
    Ok(match path {
        Some(p) => RuleSet::from_file(p)?,
        None => RuleSet::default_rules(),
    })
}

/// Reads the four inputs and the decisions when there are some (in
/// parallel: each is one file read and one parse).
pub fn read_inputs(opts: &InputOptions) -> Result<Vec<RawTable>> {
    if !opts.tables.is_empty() {
        return tables_given(&opts.tables);
    }
    let paths = opts.locate()?;
    // All four are read; the first failure in file order is the one reported (whatever thread finished first).
    let tables: Vec<Result<RawTable>> =
        paths.par_iter().map(|(k, p)| ingest::read_table(*k, p, opts.dialect)).collect();
    tables.into_iter().collect()
}

/// [`read_inputs`] of inputs given as tables, in data.md's order.
fn tables_given(given: &[(InputKind, polars::prelude::DataFrame)]) -> Result<Vec<RawTable>> {
    let mut kinds = Vec::new();
    for k in InputKind::ALL {
        let of_kind: Vec<_> = given.iter().filter(|(g, _)| *g == k).collect();
        match of_kind.len() {
            0 if k.required() => {
                return Err(Error::Usage(format!("no `{}` table among the inputs given: the four of data.md are needed (rights, declarations, attestations, ledger)", k.name())))
            }
            0 => {}
            1 => kinds.push(of_kind[0]),
            _ => return Err(Error::Usage(format!("the `{}` table is given twice", k.name()))),
        }
    }
    kinds.par_iter().map(|(k, df)| ingest::table_from_frame(*k, df)).collect()
}

/// One seeker's slices of the validated records (sorted by seeker, then id).
pub struct Grouped<'a> {
    pub ids: Vec<&'a str>,
    ranges: Vec<[Range<usize>; 4]>,
    v: &'a Validated,
}

impl<'a> Grouped<'a> {
    pub fn records(&self, i: usize) -> SeekerRecords<'a> {
        let r = &self.ranges[i];
        SeekerRecords {
            seeker_id: self.ids[i],
            rights: &self.v.rights[r[0].clone()],
            declarations: &self.v.declarations[r[1].clone()],
            payslips: &self.v.payslips[r[2].clone()],
            payments: &self.v.payments[r[3].clone()],
        }
    }

    pub fn find(&self, seeker: &str) -> Option<usize> {
        self.ids.binary_search(&seeker).ok()
    }
}

/// Sorts every record list by (seeker, id), so that results do not depend on
/// the input's row order.
pub fn sort_records(v: &mut Validated) {
    // The four lists side by side (each sort is parallel inside too).
    let Validated { rights, declarations, payslips, payments, .. } = v;
    rayon::join(
        || {
            rayon::join(
                || order::sort_by_ids(rights, |r| (&r.seeker_id, &r.right_id)),
                || order::sort_by_ids(declarations, |r| (&r.seeker_id, &r.declaration_id)),
            )
        },
        || {
            rayon::join(
                || order::sort_by_ids(payslips, |r| (&r.seeker_id, &r.attestation_id)),
                || order::sort_by_ids(payments, |r| (&r.seeker_id, &r.payment_id)),
            )
        },
    );
}

/// One slab's seekers, and the ranges of their records in the four lists.
type Slab<'a> = (Vec<&'a str>, Vec<[Range<usize>; 4]>);

/// Groups sorted records by seeker: a merge of the four sorted lists, in
/// slabs of seekers merged side by side (one thread merging a million
/// seekers left the other core idle for a fifth of a second).
pub fn group(v: &Validated) -> Grouped<'_> {
    group_in_slabs(v, 65_536)
}

/// [`group`] with slabs starting every `slab` seekers of the longest list.
fn group_in_slabs(v: &Validated, slab: usize) -> Grouped<'_> {
    let keys: [Vec<&str>; 4] = [
        v.rights.par_iter().map(|r| r.seeker_id.as_str()).collect(),
        v.declarations.par_iter().map(|r| r.seeker_id.as_str()).collect(),
        v.payslips.par_iter().map(|r| r.seeker_id.as_str()).collect(),
        v.payments.par_iter().map(|r| r.seeker_id.as_str()).collect(),
    ];
    // Slabs start at every `slab`-th seeker of the longest list; a seeker's
    // records all fall in the slab its id does, in each list.
    let longest = keys.iter().max_by_key(|k| k.len()).expect("four lists");
    let mut pivots: Vec<&str> = longest.iter().step_by(slab.max(1)).skip(1).copied().collect();
    pivots.dedup();
    let bounds = |p: Option<&str>| -> [usize; 4] {
        std::array::from_fn(|k| p.map_or(keys[k].len(), |p| keys[k].partition_point(|s| *s < p)))
    };
    let slabs: Vec<([usize; 4], [usize; 4])> = (0..=pivots.len())
        .map(|i| (if i == 0 { [0; 4] } else { bounds(Some(pivots[i - 1])) }, bounds(pivots.get(i).copied())))
        .collect();
    let merged: Vec<Slab> = slabs
        .par_iter()
        .map(|&(start, end)| {
            let mut at = start;
            // A slab holds at most as many seekers as its records.
            let most = (0..4).map(|k| end[k] - start[k]).max().unwrap_or(0);
            let (mut ids, mut ranges) = (Vec::with_capacity(most), Vec::with_capacity(most));
            // The smallest seeker not yet grouped, over the four lists.
            while let Some(id) = (0..4).filter(|&k| at[k] < end[k]).map(|k| keys[k][at[k]]).min() {
                let mut r: [Range<usize>; 4] = Default::default();
                for k in 0..4 {
                    let first = at[k];
                    while at[k] < end[k] && keys[k][at[k]] == id {
                        at[k] += 1;
                    }
                    r[k] = first..at[k];
                }
                ids.push(id);
                ranges.push(r);
            }
            (ids, ranges)
        })
        .collect();
    // The slabs are copied into place side by side: one thread appending a
    // million seekers' ranges (80 MB) took 50 ms, the other core idle.
    let n = merged.iter().map(|m| m.0.len()).sum();
    let (mut ids, mut ranges): (Vec<&str>, Vec<[Range<usize>; 4]>) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut id_rest, mut range_rest) = (&mut ids.spare_capacity_mut()[..n], &mut ranges.spare_capacity_mut()[..n]);
    let mut places = Vec::with_capacity(merged.len());
    for m in &merged {
        let (id_slots, id_after) = std::mem::take(&mut id_rest).split_at_mut(m.0.len());
        let (range_slots, range_after) = std::mem::take(&mut range_rest).split_at_mut(m.0.len());
        (id_rest, range_rest) = (id_after, range_after);
        places.push((id_slots, range_slots, m));
    }
    places.into_par_iter().for_each(|(id_slots, range_slots, (slab_ids, slab_ranges))| {
        for (slot, id) in id_slots.iter_mut().zip(slab_ids) {
            slot.write(id);
        }
        for (slot, r) in range_slots.iter_mut().zip(slab_ranges) {
            slot.write(r.clone());
        }
    });
    // SAFETY: the slabs' lengths add up to `n`, and each of the `n` slots
    // was written above by the slab it was split off for.
    unsafe {
        ids.set_len(n);
        ranges.set_len(n);
    }
    Grouped { ids, ranges, v }
}

/// The parameters of every month the records name, resolved once; a month
/// the rule set does not cover stops the run.
pub(crate) fn resolve_params(v: &Validated, rules: &RuleSet) -> Result<HashMap<Month, MonthParams>> {
    let (a, (b, c)) = rayon::join(
        || months_of(&v.declarations, |d| d.month),
        || rayon::join(|| months_of(&v.payments, |p| p.month), || months_of(&v.payslips, |p| Month::of(p.period_end))),
    );
    a.into_iter().chain(b).chain(c).collect::<BTreeSet<_>>().into_iter().map(|m| Ok((m, rules.for_month(m)?))).collect()
}

/// The distinct months `month` gives over `records`, in order: a few among
/// millions, gathered in a set per task (sorting every record's month took
/// 30 ms of one core).
fn months_of<T: Sync>(records: &[T], month: impl Fn(&T) -> Month + Sync) -> BTreeSet<Month> {
    records
        .par_iter()
        .fold(BTreeSet::new, |mut seen, r| {
            seen.insert(month(r));
            seen
        })
        .reduce(BTreeSet::new, |mut a, b| {
            a.extend(b);
            a
        })
}

/// One seeker's reconciled, settled months and their output rows.
pub struct SeekerResult {
    pub months: Vec<MonthOutcome>,
    pub findings: Vec<FindingRow>,
    pub entitlements: Vec<EntitlementRow>,
    pub notice: Option<NoticeRow>,
}

/// The whole of rules.md §3–§6 for one seeker: the pure function the run
/// maps over seekers and `explain` calls for one.
pub fn process_seeker(
    recs: &SeekerRecords,
    held: &Held,
    ctx: &Context,
    selected: Option<&[Month]>,
    rules_label: &str,
) -> Result<SeekerResult> {
    settle_seeker(recompute_seeker(recs, held, ctx, selected), recs, ctx, rules_label)
}

/// Rules.md §6 for one seeker (the settle stage), then its output rows.
pub(crate) fn settle_seeker(
    mut months: Vec<MonthOutcome>,
    recs: &SeekerRecords,
    ctx: &Context,
    rules_label: &str,
) -> Result<SeekerResult> {
    let (mut findings, mut entitlements) = (Vec::new(), Vec::with_capacity(months.len()));
    let notice = settle_seeker_into(&mut months, recs, ctx, rules_label, &mut findings, Some(&mut entitlements))?;
    Ok(SeekerResult { months, findings, entitlements, notice })
}

/// [`settle_seeker`] appending the output rows to the run's (the
/// entitlement rows only checked where `entitlements` is `None`).
fn settle_seeker_into(
    months: &mut [MonthOutcome],
    recs: &SeekerRecords,
    ctx: &Context,
    rules_label: &str,
    findings: &mut Vec<FindingRow>,
    entitlements: Option<&mut Vec<EntitlementRow>>,
) -> Result<Option<NoticeRow>> {
    let decisions = ctx.decisions_of(recs.seeker_id);
    let notice = status::settle_seeker(months, decisions, ctx);
    output::rows::seeker_rows(months, notice, recs, decisions, rules_label, findings, entitlements)
}

/// Rules.md §3–§5 for one seeker: every month's entitlement recomputed under
/// the waterfall's inputs (F2 … F5) and its difference split into causes.
pub(crate) fn recompute_seeker(
    recs: &SeekerRecords,
    held: &Held,
    ctx: &Context,
    selected: Option<&[Month]>,
) -> Vec<MonthOutcome> {
    let mut months = reconcile_seeker(recs, held, ctx).expect("parameters resolved for every month");
    if let Some(sel) = selected {
        months.retain(|m| sel.contains(&m.month));
    }
    months
}

/// The validated, sorted records of a run and what they need to be reconciled.
pub struct Prepared {
    pub rules: RuleSet,
    pub tables: Vec<RawTable>,
    pub validated: Validated,
    pub params: HashMap<Month, MonthParams>,
    pub as_of: NaiveDate,
    /// The decision that counts for each (seeker, month, cause): the latest
    /// `decided_on`, then the greatest `decision_id` (nights.md §8.1).
    pub decisions: Vec<Decision>,
    /// How many known decision records each of `decisions` stands for.
    pub decision_records: Vec<u64>,
}

impl Prepared {
    /// Every month the records name, in order.
    pub(crate) fn months(&self) -> Vec<Month> {
        let mut m: Vec<Month> = self.params.keys().copied().collect();
        m.sort_unstable();
        m
    }

    pub fn context(&self) -> Context<'_> {
        Context { rules: &self.rules, params: &self.params, as_of: self.as_of, decisions: &self.decisions }
    }
}

/// The counting decision of each (seeker, month, cause), and how many known
/// records each stands for.
pub(crate) fn counting_decisions(mut all: Vec<Decision>) -> (Vec<Decision>, Vec<u64>) {
    all.sort_by(|a, b| {
        (&a.seeker_id, a.month, a.cause, a.decided_on, &a.decision_id).cmp(&(
            &b.seeker_id,
            b.month,
            b.cause,
            b.decided_on,
            &b.decision_id,
        ))
    });
    let (mut counting, mut records): (Vec<Decision>, Vec<u64>) = (Vec::new(), Vec::new());
    for d in all {
        match counting.last_mut() {
            Some(last) if (&last.seeker_id, last.month, last.cause) == (&d.seeker_id, d.month, d.cause) => {
                *last = d;
                *records.last_mut().expect("one count per decision") += 1;
            }
            _ => {
                counting.push(d);
                records.push(1);
            }
        }
    }
    (counting, records)
}

/// Loads the rules, reads and validates the inputs: the part of a run that
/// `explain` shares.
pub fn prepare(
    inputs: &InputOptions,
    as_of: NaiveDate,
    rules: Option<&Path>,
    max_reject_rate: f64,
    selected: Option<&[Month]>,
    timings: &mut Timings,
) -> Result<Prepared> {
    let mut t = Instant::now();
    let rules = load_rules(rules)?;
    rules.notice_params(as_of)?;
    let tables = read_inputs(inputs)?;
    timings.lap("ingest", &mut t);
    let window = validate::Window::of(&rules, selected);
    let mut validated = validate::validate(&tables, as_of, max_reject_rate, &window)?;
    let mut tables = tables;
    // The records own their text now; the columns (and the files' text they
    // point into) are not needed again, and are freed by a task of their own
    // (30 ms of one core on the 1M month, the other one idle).
    let columns: Vec<_> = tables.iter_mut().map(|t| std::mem::take(&mut t.columns)).collect();
    rayon::spawn(move || drop(columns));
    sort_records(&mut validated);
    let params = resolve_params(&validated, &rules)?;
    let (decisions, decision_records) = counting_decisions(std::mem::take(&mut validated.decisions));
    timings.lap("validate", &mut t);
    Ok(Prepared { rules, tables, validated, params, as_of, decisions, decision_records })
}

/// `--months` as a list of months.
pub(crate) fn parse_months(months: Option<&str>) -> Result<Option<Vec<Month>>> {
    months
        .map(|s| {
            Month::parse_range(s)
                .ok_or_else(|| Error::Usage(format!("--months `{s}` is not a month or a range like 2024-01..2024-03")))
        })
        .transpose()
}

/// Everything a run computes, before anything is written.
pub struct Computed {
    pub rules: RuleSet,
    pub tables: Vec<RawTable>,
    pub validated: Validated,
    pub rows: Rows,
    pub months: Vec<Month>,
    pub seeker_months: u64,
    /// The previous night compared with, if any (its rows are dropped once compared).
    pub previous: Option<PreviousRef>,
    /// Known decision records whose (seeker, month, cause) is no finding of this run.
    pub decisions_unmatched: u64,
    /// The shard computed, with `--shard`.
    pub shard: Option<ShardRef>,
    pub timings: Timings,
}

/// Ingest, validate, reconcile and settle: everything but writing (the
/// Python module keeps the result in memory, and writes it on demand with
/// [`write_run`]).
pub fn compute(opts: &RunOptions) -> Result<Computed> {
    let mut timings = Timings::default();
    let progress = crate::progress::Progress::new(opts.progress);
    progress.stage("reading the inputs");
    timings.progress = Some(progress);
    timings.start();
    let selected = parse_months(opts.months.as_deref())?;
    if !(0.0..=1.0).contains(&opts.max_withdrawal_rate) {
        return Err(Error::Usage(format!(
            "--max-withdrawal-rate {} is not a share between 0 and 1",
            opts.max_withdrawal_rate
        )));
    }
    // The previous night is checked before any work: a night that cannot be
    // compared must not be computed at all.
    let previous = match &opts.previous {
        Some(dir) => {
            let rules = load_rules(opts.rules.as_deref())?;
            Some(previous::check(dir, &rules.id, opts.as_of)?)
        }
        None => None,
    };
    let p = prepare(
        &opts.inputs,
        opts.as_of,
        opts.rules.as_deref(),
        opts.max_reject_rate,
        selected.as_deref(),
        &mut timings,
    )?;
    let known = p.months();
    if !opts.allow_empty {
        let files: Vec<(InputKind, &Path)> = p.tables.iter().map(|t| (t.kind, t.path.as_path())).collect();
        check_not_empty(&files, &p.validated.stats, &known, p.as_of, selected.as_deref())?;
    }
    // The months reconciled: those selected, or every month the records
    // name (each is some seeker's), known before a shard keeps its seekers.
    let months = selected.clone().unwrap_or(known);
    let mut p = p;
    if let Some(shard) = opts.shard {
        keep_shard(&mut p, shard);
    }
    let mut t = Instant::now();
    let r = reconcile_all(&p, selected.as_deref(), opts.outputs, timings.progress.as_ref())?;
    // The records are read no more: their memory (a third of the run's on
    // the 1M month) is given back before the outputs are built, by a task
    // of its own (freeing it took 0.1 s of one core, the other one idle).
    let records = p.validated.take_records();
    rayon::spawn(move || drop(records));
    let mut rows = Rows::default();
    rows.findings.0 = r.findings;
    rows.entitlements.0 = r.entitlements;
    let candidates = r.candidates;
    let clocked = r.clocked;
    let seeker_months = r.seeker_months;
    // Nights.md §8.1, §8.3, §8.4: compared with the previous night.
    let mut previous = previous.map(previous::Checked::read).transpose()?;
    if let (Some(shard), Some(prev)) = (opts.shard, previous.as_mut()) {
        prev.keep_shard(shard);
    }
    if let Some(prev) = &previous {
        nights::check_window(prev, &months)?;
    }
    let np = p.rules.notice_params(opts.as_of)?;
    let night = nights::compare(
        rows.findings.iter(),
        candidates.into_iter().flatten(),
        previous.as_ref(),
        &months,
        opts.as_of,
        &np,
    );
    let standing = previous.as_ref().map_or(0, nights::standing_notices);
    // A shard sees a part of the withdrawals: `indus merge` guards the whole.
    let shard = opts.shard.map(|s| ShardRef { index: s.index, count: s.count, previous_notices_standing: standing });
    if shard.is_none() {
        nights::guard_withdrawals(&night.notices, standing, opts.max_withdrawal_rate)?;
    }
    rows.notices = night.notices.into();
    rows.changes = night.changes;
    rows.agencies = output::rows::agencies(&rows)?.into();
    let decisions_unmatched = unmatched_decisions(&p, rows.findings.iter());
    timings.lap_shared(["recompute", "reconcile"], clocked, &mut t);
    let Prepared { rules, tables, validated, .. } = p;
    let previous =
        previous.map(|p| PreviousRef { path: p.dir.display().to_string(), manifest_sha256: p.manifest_sha256 });
    Ok(Computed {
        rules,
        tables,
        validated,
        rows,
        months,
        seeker_months,
        previous,
        decisions_unmatched,
        shard,
        timings,
    })
}

/// Every seeker's rows, in seeker order, in the chunks they were computed
/// in; the notices are tonight's candidates, before the previous night.
pub(crate) struct Reconciled {
    pub findings: Vec<Vec<FindingRow>>,
    /// Empty when the run writes no entitlements (`--outputs nightly`).
    pub entitlements: Vec<Vec<EntitlementRow>>,
    /// The seeker-months reconciled: a row of entitlements each, kept or not.
    pub seeker_months: u64,
    pub candidates: Vec<Vec<NoticeRow>>,
    /// Time spent recomputing and settling (for --timings).
    pub clocked: [Duration; 2],
}

/// Recomputes and settles every seeker of `p` in parallel (rules.md §3–§6).
/// The entitlement rows are checked, and kept only if `outputs` writes them:
/// a million of them is 300 MB a night that does not write them would
/// still fault in.
pub(crate) fn reconcile_all(
    p: &Prepared,
    selected: Option<&[Month]>,
    outputs: OutputSet,
    progress: Option<&crate::progress::Progress>,
) -> Result<Reconciled> {
    let grouped = group(&p.validated);
    let ctx = p.context();
    let label = p.rules.label();
    let no_hold = Held::default();
    // Only the output rows are kept, in chunks of seekers (in seeker order):
    // the months' intermediate figures are dropped seeker by seeker (explain
    // recomputes them for one seeker).
    let ids: Vec<usize> = (0..grouped.ids.len()).collect();
    if let Some(p) = progress {
        p.counted("recomputing every seeker", ids.len() as u64);
    }
    /// One chunk of seekers' share of [`Reconciled`].
    #[derive(Default)]
    struct Chunk {
        findings: Vec<FindingRow>,
        entitlements: Vec<EntitlementRow>,
        candidates: Vec<NoticeRow>,
        clocked: [Duration; 2],
        seeker_months: u64,
    }
    let keep = outputs.writes_entitlements();
    let chunks: Vec<Chunk> = ids
        .par_chunks(4096)
        .map(|chunk| {
            let rows = if keep { chunk.len() } else { 0 };
            let mut out = Chunk { entitlements: Vec::with_capacity(rows), ..Chunk::default() };
            for &i in chunk {
                let recs = grouped.records(i);
                let held = p.validated.held.get(recs.seeker_id).unwrap_or(&no_hold);
                // Recomputing and settling share this pass (a seeker's
                // intermediate figures never leave the cache); each one's
                // share of it is clocked for --timings, on one seeker in
                // 16 (reading the clock for every seeker cost 1 % of the run).
                let clocked = i % 16 == 0;
                let t0 = clocked.then(Instant::now);
                let mut months = recompute_seeker(&recs, held, &ctx, selected);
                let t1 = clocked.then(Instant::now);
                let kept = keep.then_some(&mut out.entitlements);
                let notice = settle_seeker_into(&mut months, &recs, &ctx, &label, &mut out.findings, kept)?;
                out.seeker_months += months.len() as u64;
                if let (Some(t0), Some(t1)) = (t0, t1) {
                    out.clocked[0] += t1 - t0;
                    out.clocked[1] += t1.elapsed();
                }
                out.candidates.extend(notice);
            }
            if let Some(p) = progress {
                p.inc(chunk.len() as u64);
            }
            Ok(out)
        })
        .collect::<Result<_>>()?;
    let mut r = Reconciled {
        findings: Vec::with_capacity(chunks.len()),
        entitlements: Vec::with_capacity(chunks.len()),
        candidates: Vec::with_capacity(chunks.len()),
        seeker_months: 0,
        clocked: [Duration::ZERO; 2],
    };
    for c in chunks {
        r.seeker_months += c.seeker_months;
        r.findings.push(c.findings);
        r.entitlements.push(c.entitlements);
        r.candidates.push(c.candidates);
        r.clocked[0] += c.clocked[0];
        r.clocked[1] += c.clocked[1];
    }
    Ok(r)
}

/// Keeps the records, rejects, holds and decisions of one shard's seekers
/// (a reject whose seeker cannot be read is shard 0's): validation saw every
/// record, so duplicate ids and the reject threshold are the whole file's.
pub(crate) fn keep_shard(p: &mut Prepared, shard: Shard) {
    let v = &mut p.validated;
    v.rights.retain(|r| shard.holds(&r.seeker_id));
    v.declarations.retain(|r| shard.holds(&r.seeker_id));
    v.payslips.retain(|r| shard.holds(&r.seeker_id));
    v.payments.retain(|r| shard.holds(&r.seeker_id));
    v.rejects.retain(|r| shard.holds(&r.seeker_id));
    v.held.retain(|seeker, _| shard.holds(seeker));
    let mut records = std::mem::take(&mut p.decision_records).into_iter();
    let mut kept = Vec::new();
    p.decisions.retain(|d| {
        let n = records.next().expect("one count per decision");
        let keep = shard.holds(&d.seeker_id);
        if keep {
            kept.push(n);
        }
        keep
    });
    p.decision_records = kept;
}

/// A night whose export lost a file (a header and nothing else), or whose
/// `as_of` or `--months` leave nothing to reconcile, would replace a good
/// night with an empty or absurd one (a header-only ledger makes every
/// seeker owed): it is a broken night unless `--allow-empty` says otherwise.
pub(crate) fn check_not_empty(
    files: &[(InputKind, &Path)],
    stats: &BTreeMap<InputKind, validate::InputStats>,
    known: &[Month],
    as_of: NaiveDate,
    selected: Option<&[Month]>,
) -> Result<()> {
    for &(kind, path) in files.iter().filter(|(k, _)| k.required()) {
        if stats[&kind].rows_read == 0 {
            return Err(Error::Empty(format!(
                "{}: no record (only a header): a truncated export? Nothing was written; \
                 run with --allow-empty if an empty {} file is expected",
                path.display(),
                kind.name()
            )));
        }
    }
    let reconciled = match selected {
        Some(sel) => known.iter().any(|m| sel.contains(m)),
        None => !known.is_empty(),
    };
    if !reconciled {
        let have = match (known.first(), known.last()) {
            (Some(a), Some(b)) => format!("the records known at {as_of} cover {a} to {b}"),
            _ => format!("no declaration, payslip or payment is known at {as_of} (every one is dated after it)"),
        };
        return Err(Error::Empty(format!(
            "the run reconciles no seeker-month: {have}{}; nothing was written (--allow-empty if expected)",
            selected
                .map(|s| format!(
                    ", --months selects {}",
                    s.iter().map(Month::to_string).collect::<Vec<_>>().join(", ")
                ))
                .unwrap_or_default()
        )));
    }
    Ok(())
}

/// Known decision records whose key is no finding of this run (nights.md §8.1).
pub(crate) fn unmatched_decisions<'a>(p: &Prepared, findings: impl Iterator<Item = &'a FindingRow>) -> u64 {
    if p.decisions.is_empty() {
        return 0;
    }
    let keys: std::collections::HashSet<(&str, Month, crate::reconcile::Cause)> =
        findings.map(|f| (f.seeker_id.as_str(), f.month, f.cause)).collect();
    p.decisions
        .iter()
        .zip(&p.decision_records)
        .filter(|(d, _)| !keys.contains(&(d.seeker_id.as_str(), d.month, d.cause)))
        .map(|(_, n)| n)
        .sum()
}

/// Writes every output of a computed run (`--outputs`) into `dir` (which
/// must exist) and returns the manifest.
pub(crate) fn write_outputs(c: &Computed, opts: &RunOptions, dir: &Path) -> Result<Manifest> {
    let tag = output::parquet::RuleSetTag { label: c.rules.label(), sha256: c.rules.sha256.clone() };
    let entitlements = match opts.outputs {
        OutputSet::All => EntitlementFiles::FromRows,
        OutputSet::Nightly => EntitlementFiles::Left { seeker_months: c.seeker_months },
    };
    write_folder(dir, &c.rows, &c.validated.rejects, &tag, manifest_base(c, opts), entitlements)
}

/// What [`write_folder`] does of entitlements.csv and .parquet.
pub(crate) enum EntitlementFiles<'a> {
    /// Writes them from the rows.
    FromRows,
    /// Lists them: a partitioned run streamed them already.
    Written(&'a [Written; 2]),
    /// Leaves them out (`--outputs nightly`); the manifest still counts
    /// the seeker-months reconciled.
    Left { seeker_months: u64 },
}

/// Writes a run folder's files from its rows, then its manifest (`base`
/// with the outputs and totals filled in): the one writer of `run` and
/// `merge`, so that a merged run is the run's folder byte for byte.
pub(crate) fn write_folder(
    dir: &Path,
    rows: &Rows,
    rejects: &[Reject],
    tag: &output::parquet::RuleSetTag,
    manifest: Manifest,
    entitlements: EntitlementFiles,
) -> Result<Manifest> {
    // The files are independent: write them side by side (each is also parallel inside).
    type Job<'a> = Box<dyn Fn() -> Result<Written> + Sync + 'a>;
    let entitlement_jobs: Vec<Job> = match &entitlements {
        EntitlementFiles::FromRows => vec![
            Box::new(|| {
                output::write_csv(dir, "entitlements.csv", output::ENTITLEMENTS_HEADER, &rows.entitlements.parts())
            }),
            Box::new(|| output::parquet::write_entitlements(dir, &rows.entitlements, tag)),
        ],
        EntitlementFiles::Written(w) => w.iter().map(|w| Box::new(move || Ok(w.clone())) as Job).collect(),
        EntitlementFiles::Left { .. } => Vec::new(),
    };
    let mut jobs: Vec<Job> = vec![
        Box::new(|| output::write_csv(dir, "findings.csv", output::FINDINGS_HEADER, &rows.findings.parts())),
        Box::new(|| output::parquet::write_findings(dir, &rows.findings, tag)),
    ];
    jobs.extend(entitlement_jobs);
    jobs.extend::<[Job; 5]>([
        Box::new(|| output::write_csv(dir, "notices.csv", output::NOTICES_HEADER, &rows.notices.parts())),
        Box::new(|| output::write_csv(dir, "changes.csv", output::CHANGES_HEADER, &[&rows.changes])),
        Box::new(|| output::parquet::write_changes(dir, &rows.changes, tag)),
        Box::new(|| output::write_csv(dir, "agencies.csv", output::AGENCIES_HEADER, &rows.agencies.parts())),
        Box::new(|| output::write_csv(dir, "rejects.csv", output::REJECTS_HEADER, &[rejects])),
    ]);
    let written: Vec<Written> = jobs.par_iter().map(|job| job()).collect::<Result<_>>()?;
    let seeker_months = match entitlements {
        EntitlementFiles::FromRows => rows.entitlements.len() as u64,
        EntitlementFiles::Written(w) => w[0].rows,
        EntitlementFiles::Left { seeker_months } => seeker_months,
    };
    let tally = output::rows::Tally::of(rows.findings.iter(), rows.notices.iter());
    seal_folder(dir, &written, tally.totals(seeker_months, rejects.len() as u64), manifest)
}

/// A run folder's manifest.json, once its outputs are `written` (in the
/// manifest's order) and totalled.
pub(crate) fn seal_folder(dir: &Path, written: &[Written], totals: Totals, mut manifest: Manifest) -> Result<Manifest> {
    manifest.outputs =
        written.iter().map(|w| OutputRef { file: w.file.clone(), sha256: w.sha256.clone(), rows: w.rows }).collect();
    manifest.totals = totals;
    let json = serde_json::to_string_pretty(&manifest).map_err(|e| Error::output(dir.join("manifest.json"), e))? + "\n";
    output::write_file(&dir.join("manifest.json"), json.as_bytes())?;
    Ok(manifest)
}

/// What a run's manifest says of its inputs, rules and options; the
/// outputs and totals are filled in by [`write_folder`].
fn manifest_base(c: &Computed, opts: &RunOptions) -> Manifest {
    let inputs = c.tables.iter().map(|t| input_ref(t.kind, &t.path, &t.sha256, &c.validated.stats[&t.kind])).collect();
    manifest_head(&c.rules, opts, &c.months, c.previous.clone(), c.decisions_unmatched, c.shard.clone(), inputs)
}

pub(crate) fn input_ref(kind: InputKind, path: &Path, sha256: &str, s: &validate::InputStats) -> InputRef {
    InputRef {
        kind: kind.name().into(),
        path: path.display().to_string(),
        sha256: sha256.to_string(),
        rows_read: s.rows_read,
        rejected: s.rejected,
        not_yet_known: s.not_yet_known,
        ignored: s.ignored,
    }
}

/// A manifest before its outputs and totals.
pub(crate) fn manifest_head(
    rules: &RuleSet,
    opts: &RunOptions,
    months: &[Month],
    previous: Option<PreviousRef>,
    decisions_unmatched: u64,
    shard: Option<ShardRef>,
    inputs: Vec<InputRef>,
) -> Manifest {
    Manifest {
        engine: "indus".into(),
        engine_version: env!("CARGO_PKG_VERSION").into(),
        rule_set: RuleSetRef {
            id: rules.id.clone(),
            version: rules.version.clone(),
            sha256: rules.sha256.clone(),
            path: opts.rules.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
        },
        as_of: opts.as_of.to_string(),
        months: months.iter().map(|m| m.to_string()).collect(),
        months_selected: opts.months.clone(),
        dialect: match opts.inputs.dialect {
            DialectChoice::Auto => "auto",
            DialectChoice::Intl => "intl",
            DialectChoice::Fr => "fr",
        }
        .into(),
        max_reject_rate: opts.max_reject_rate,
        max_withdrawal_rate: opts.max_withdrawal_rate,
        allow_empty: opts.allow_empty,
        output_set: opts.outputs,
        previous,
        decisions_unmatched,
        shard,
        inputs,
        outputs: Vec::new(),
        totals: Totals::default(),
    }
}

/// Refuses an `--out` that is, or holds, one of the run's inputs or the
/// previous night: replacing it would delete what the run reads.
pub(crate) fn check_out_holds_no_input(opts: &RunOptions) -> Result<()> {
    let Ok(out) = opts.out.canonicalize() else { return Ok(()) };
    // An input that cannot be found fails the run later, naming it.
    let mut read: Vec<(String, PathBuf)> = (opts.inputs.locate().unwrap_or_default().into_iter())
        .map(|(k, p)| (format!("the {} input", k.name()), p))
        .collect();
    read.extend(opts.inputs.input.iter().map(|p| ("the --input folder".to_string(), p.clone())));
    read.extend(opts.previous.iter().map(|p| ("the --previous run".to_string(), p.clone())));
    for (what, p) in read {
        if p.canonicalize().is_ok_and(|c| c.starts_with(&out)) {
            return Err(Error::output(
                &opts.out,
                format!("{what} {} is inside it: a run never replaces what it reads", p.display()),
            ));
        }
    }
    Ok(())
}

/// `indus run`: compute, then write atomically into `opts.out`.
pub fn run(opts: &RunOptions) -> Result<RunReport> {
    // An output folder that may not be replaced is refused before any work;
    // a failed run removes the staging folder (Staging's Drop).
    let limit = opts.memory_limit.unwrap_or_else(default_memory_limit);
    let n = crate::partitioned::partitions_for(opts, limit)?;
    if n > 1 {
        return crate::partitioned::run_partitioned(opts, n);
    }
    check_out_holds_no_input(opts)?;
    let staging = Staging::new(&opts.out, output::FolderKind::Run)?;
    let mut c = compute(opts)?;
    let mut t = Instant::now();
    let manifest = write_outputs(&c, opts, &staging.dir)?;
    staging.commit()?;
    if let Some(p) = &c.timings.progress {
        p.finish();
    }
    c.timings.lap("write", &mut t);
    let warnings = warnings_of(&c);
    let timings = std::mem::take(&mut c.timings);
    Ok(RunReport { manifest, warnings, timings, computed: Some(c), partitions: 1 })
}

/// Writes a computed run into `opts.out` as `indus run` does: a staging
/// folder renamed into place once every file and the manifest are written.
pub fn write_run(c: &Computed, opts: &RunOptions) -> Result<Manifest> {
    check_out_holds_no_input(opts)?;
    let staging = Staging::new(&opts.out, output::FolderKind::Run)?;
    let manifest = write_outputs(c, opts, &staging.dir)?;
    staging.commit()?;
    Ok(manifest)
}

/// A computed run's warnings about its inputs (see [`input_warnings`]).
pub fn warnings_of(c: &Computed) -> Vec<String> {
    (c.tables.iter())
        .flat_map(|t| input_warnings(&t.path, &t.unknown_columns, &c.validated.stats[&t.kind].empty_lines))
        .collect()
}

/// What is worth a line on stderr about one input: columns indus does not
/// know, and lines without any value (the first ten named).
pub(crate) fn input_warnings(path: &Path, unknown_columns: &[String], empty_lines: &[u64]) -> Vec<String> {
    let mut warnings = Vec::new();
    if !unknown_columns.is_empty() {
        warnings.push(format!("{}: ignoring unknown columns: {}", path.display(), unknown_columns.join(", ")));
    }
    if !empty_lines.is_empty() {
        let shown: Vec<String> = empty_lines.iter().take(10).map(u64::to_string).collect();
        let more = if empty_lines.len() > 10 { format!(" and {} more", empty_lines.len() - 10) } else { String::new() };
        warnings.push(format!(
            "{}: ignoring {} line(s) without any value: {}{more}",
            path.display(),
            empty_lines.len(),
            shown.join(", ")
        ));
    }
    warnings
}

/// The short summary printed on stdout after a run.
pub fn summary(m: &Manifest) -> String {
    let mut s = format!(
        "indus {} · rule set {}@{} · as of {} · months {}\n",
        m.engine_version,
        m.rule_set.id,
        m.rule_set.version,
        m.as_of,
        m.months.join(", ")
    );
    for i in &m.inputs {
        s += &format!(
            "  input {:<13} {:>9} rows, {} rejected, {} not yet known\n",
            i.kind, i.rows_read, i.rejected, i.not_yet_known
        );
    }
    s += &format!("seeker-months reconciled: {}\nfindings: {}\n", m.totals.seeker_months, m.totals.findings);
    for (k, t) in &m.totals.by_cause {
        s += &format!("  {:<24} {:>8} {:>16}\n", k, t.findings, t.amount);
    }
    s += "by status:\n";
    for st in Status::ALL {
        if let Some(t) = m.totals.by_status.get(st.as_str()) {
            s += &format!("  {:<24} {:>8} {:>16}\n", st.as_str(), t.findings, t.amount);
        }
    }
    s += &format!("notices: {}\n", m.totals.notices);
    for (k, t) in &m.totals.notices_by_channel {
        s += &format!("  {:<24} {:>8} {:>16}\n", k, t.findings, t.amount);
    }
    if m.previous.is_some() || m.totals.notices_by_action.keys().any(|k| k != Action::First.as_str()) {
        s += "by action (compared with the previous night):\n";
        for a in Action::ALL {
            if let Some(t) = m.totals.notices_by_action.get(a.as_str()) {
                let note = if a.sends_message() { "message tonight" } else { "nothing sent" };
                s += &format!("  {:<24} {:>8} {:>16}  {note}\n", a.as_str(), t.findings, t.amount);
            }
        }
    }
    s += &format!("rejects: {}\n", m.totals.rejects);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Seekers merged in slabs of a few are grouped as in one slab, whatever
    /// list a slab's bound falls in (a seeker with no right, one with
    /// several declarations, slab bounds inside a seeker's run of records).
    #[test]
    fn months_named_are_gathered_once_each_in_order() {
        let m = |s: &str| Month::parse(s).unwrap();
        let named = ["2024-03", "2024-01", "2024-03", "2023-12", "2024-01"].map(m);
        let seen = months_of(&named, |&x| x);
        assert_eq!(seen.iter().copied().collect::<Vec<_>>(), vec![m("2023-12"), m("2024-01"), m("2024-03")]);
        // Many records, spread over tasks, name the same few months.
        let many: Vec<Month> = (0..100_000).map(|i| named[i % named.len()]).collect();
        assert_eq!(months_of(&many, |&x| x), seen);
    }

    #[test]
    fn slabs_group_as_one_merge_does() {
        let dir = tempfile::tempdir().unwrap();
        let summary = crate::generate::generate(&crate::generate::GenerateOptions {
            seekers: 400,
            months: Month::parse_range("2024-01..2024-03").unwrap(),
            seed: 11,
            out: dir.path().to_path_buf(),
            dialect: crate::generate::GenDialect::Intl,
            format: crate::generate::GenFormat::Csv,
            bad_rate: 0.02,
        })
        .unwrap();
        let inputs = InputOptions { input: Some(dir.path().to_path_buf()), ..Default::default() };
        let p = prepare(&inputs, summary.as_of, None, 1.0, None, &mut Timings::default()).unwrap();
        let whole = group_in_slabs(&p.validated, usize::MAX);
        assert!(whole.ids.len() > 300, "{} seekers", whole.ids.len());
        for slab in [1, 2, 7, 64] {
            let g = group_in_slabs(&p.validated, slab);
            assert_eq!(g.ids, whole.ids, "slabs of {slab}");
            assert_eq!(g.ranges, whole.ranges, "slabs of {slab}");
        }
        // Every record is in its seeker's range, once.
        let v = &p.validated;
        let lens = [v.rights.len(), v.declarations.len(), v.payslips.len(), v.payments.len()];
        for k in 0..4 {
            assert_eq!(whole.ranges.iter().map(|r| r[k].len()).sum::<usize>(), lens[k]);
        }
        for (i, id) in whole.ids.iter().enumerate() {
            let recs = whole.records(i);
            assert!(recs.rights.iter().all(|r| r.seeker_id == *id) && recs.payments.iter().all(|r| r.seeker_id == *id));
        }
    }

    #[test]
    fn memory_limits_read_as_the_operator_writes_them() {
        assert_eq!(parse_size("2GiB"), Ok(2 * 1024 * 1024 * 1024));
        assert_eq!(parse_size("512MiB"), Ok(536_870_912));
        assert_eq!(parse_size("4G"), Ok(4_294_967_296));
        assert_eq!(parse_size("1.5g"), Ok(1_610_612_736));
        assert_eq!(parse_size("4GB"), Ok(4_000_000_000));
        assert_eq!(parse_size(" 64 KiB "), Ok(65_536));
        assert_eq!(parse_size("1000000"), Ok(1_000_000));
        for bad in ["", "GiB", "2 parsecs", "-1G", "0", "0.1"] {
            assert!(parse_size(bad).is_err(), "`{bad}` is not a size");
        }
    }
}
