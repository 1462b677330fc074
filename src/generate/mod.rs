//! `indus generate`: synthetic input months with their ground truth.
//!
//! Writes the four inputs of data.md (`rights`, `declarations`,
//! `attestations`, `ledger`, as `.csv` or `.parquet`) for N seekers over the
//! chosen months, plus `truth.csv` (seeker_id, month, cause, amount: what
//! rules.md attributes to each injected anomaly) and `generated.json` (the
//! options, the `as_of` to run with, row counts and a few statistics).
//!
//! * The truth is computed by this module's own implementation of rules.md
//!   §2–§5 ([`rules`]), never by the engine, so that it is an independent check.
//! * Every record is known at `as_of` = the 15th of the month after the last
//!   generated month, except the late payslips (received after it, on
//!   purpose): run `indus run --as-of <as_of>` on the folder.
//! * Same options and seed → byte-identical files, whatever the thread count:
//!   each seeker draws from its own generator (seed, seeker), and chunks of
//!   seekers are written in order.
//! * `--bad-rate R`: each record is made bad with probability R, cycling
//!   through the reject codes of data.md; a seeker touched by a bad record gets
//!   no truth row at all (the engine holds its months for review). Records
//!   dated after `as_of` are never made bad (the engine sets them aside unread),
//!   and `seeker_id` is never damaged.
//! * `truth.csv` is always CSV in the international dialect (like the engine's
//!   outputs), whatever `--dialect` and `--format`.
//! * Parquet: typed columns (String ids and months, Date, Decimal(18,2) money
//!   and hours, Int64, Boolean); a column holding a value made bad that its
//!   type cannot carry (a bad date, too many decimals…) is written as String.

pub mod emit;
pub mod nights;
pub mod rng;
pub mod rules;
pub mod scenario;

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{Duration, NaiveDate};
use rayon::prelude::*;
use rust_decimal::Decimal;

use self::emit::{corrupt, put_month_compact, put_padded, ColType, Dialect, FileKind, Row, Sink, TextColumn};
use self::rng::{Rng, STREAM_BAD};
use self::rules::Cause;
use self::scenario::{Anomaly, Plan, Seeker};
use crate::model::Month;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum GenDialect {
    #[default]
    Intl,
    Fr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum GenFormat {
    #[default]
    Csv,
    Parquet,
}

#[derive(Clone, Debug)]
pub struct GenerateOptions {
    pub seekers: u64,
    pub months: Vec<Month>,
    pub seed: u64,
    pub out: PathBuf,
    pub dialect: GenDialect,
    pub format: GenFormat,
    /// Fraction of records made bad, in `[0, 1]`.
    pub bad_rate: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GenerateSummary {
    /// The date to run `indus run --as-of` with.
    pub as_of: NaiveDate,
    /// Data rows written (header excluded) per file, in the order rights,
    /// declarations, attestations, ledger, truth; names as written
    /// (`rights.csv` or `rights.parquet`, …, `truth.csv`).
    pub rows: [(String, u64); 5],
    /// Every file written, the four inputs, `truth.csv`, `generated.json`.
    pub files: Vec<PathBuf>,
    /// Records made bad (a duplicated id counts once).
    pub bad_records: u64,
    /// Seekers touched by a bad record (no truth rows for them).
    pub seekers_with_bad_records: u64,
    /// Sum of the ledger amounts.
    pub paid: Decimal,
    /// Sum of the positive truth amounts.
    pub overpaid: Decimal,
    /// Seekers whose net (truth amounts except `no_declaration`, which goes to review) is positive.
    pub notified_seekers: u64,
    /// Their average net.
    pub mean_net_per_notified: Decimal,
    /// Truth rows and amounts by cause, in the cause order of rules.md §5.
    pub by_cause: Vec<(String, u64, Decimal)>,
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("generate: {0}")]
    Options(String),
    #[error("cannot create the output folder {}: {source}", path.display())]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot write the Parquet file {}: {message}", path.display())]
    Parquet { path: PathBuf, message: String },
}

/// Seekers per chunk (fixed: the reject-code cycle starts per chunk).
const CHUNK: u64 = 2048;
/// Chunks generated in parallel before being written.
const BATCH: u64 = 32;

/// What one chunk of seekers produced.
struct ChunkOut {
    sinks: Vec<Sink>,
    truth: Vec<u8>,
    rows: [u64; 5],
    stats: Stats,
}

#[derive(Default, Clone)]
struct Stats {
    bad_records: u64,
    touched: u64,
    paid: i64,
    overpaid: i64,
    notified: u64,
    notified_net: i64,
    cause_rows: [u64; 9],
    cause_sum: [i64; 9],
    injected: Vec<(Anomaly, u64)>,
}

impl Stats {
    fn add(&mut self, o: &Stats) {
        self.bad_records += o.bad_records;
        self.touched += o.touched;
        self.paid += o.paid;
        self.overpaid += o.overpaid;
        self.notified += o.notified;
        self.notified_net += o.notified_net;
        for i in 0..9 {
            self.cause_rows[i] += o.cause_rows[i];
            self.cause_sum[i] += o.cause_sum[i];
        }
        for &(a, n) in &o.injected {
            match self.injected.iter_mut().find(|(b, _)| *b == a) {
                Some(e) => e.1 += n,
                None => self.injected.push((a, n)),
            }
        }
    }
}

/// The `as_of` a generated folder is meant to be run with: the 15th of the
/// month after the last generated month.
pub(crate) fn as_of_for(months: &[Month]) -> Option<NaiveDate> {
    let last = months.iter().max()?;
    Some(last.next().first_day() + Duration::days(14))
}

pub fn generate(opts: &GenerateOptions) -> Result<GenerateSummary, GenerateError> {
    // ---- options
    if opts.seekers == 0 {
        return Err(GenerateError::Options("--seekers must be at least 1".into()));
    }
    if opts.seekers > 100_000_000 {
        return Err(GenerateError::Options(format!("--seekers {} is more than 100 000 000", opts.seekers)));
    }
    if !(0.0..=1.0).contains(&opts.bad_rate) {
        return Err(GenerateError::Options(format!("--bad-rate must be between 0 and 1, not {}", opts.bad_rate)));
    }
    let mut months = opts.months.clone();
    months.sort();
    months.dedup();
    let (Some(&first), Some(&last)) = (months.first(), months.last()) else {
        return Err(GenerateError::Options("--months selects no month".into()));
    };
    if first.first_day() < rules::first_covered_day() {
        return Err(GenerateError::Options(format!(
            "month {first} is before 2019-07, the first month of the rule parameters the generator knows"
        )));
    }
    if last.year() > 2999 {
        return Err(GenerateError::Options(format!("month {last} is too far in the future")));
    }
    let as_of = as_of_for(&months).expect("months");
    let plan = Plan { months, as_of };
    let dialect = match opts.dialect {
        GenDialect::Intl => Dialect::Intl,
        GenDialect::Fr => Dialect::Fr,
    };
    let parquet = opts.format == GenFormat::Parquet;
    let ext = if parquet { "parquet" } else { "csv" };
    let width = (opts.seekers.to_string().len()).max(8);

    // ---- output folder
    fs::create_dir_all(&opts.out).map_err(|source| GenerateError::CreateDir { path: opts.out.clone(), source })?;
    let path_of = |name: &str| opts.out.join(name);
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| GenerateError::Write { path, source }
    };
    // A folder holding both rights.csv and rights.parquet would be ambiguous.
    for f in FileKind::ALL {
        let other = path_of(&format!("{}.{}", f.name(), if parquet { "csv" } else { "parquet" }));
        if other.exists() {
            fs::remove_file(&other).map_err(write_err(&other))?;
        }
    }
    let input_paths: Vec<PathBuf> = FileKind::ALL.iter().map(|f| path_of(&format!("{}.{ext}", f.name()))).collect();
    let truth_path = path_of("truth.csv");

    let mut csv_files: Vec<File> = Vec::new();
    if !parquet {
        for (f, path) in FileKind::ALL.iter().zip(&input_paths) {
            let mut file = File::create(path).map_err(write_err(path))?;
            let sep = [dialect.separator()];
            let header: Vec<u8> = f
                .columns()
                .iter()
                .map(|c| c.0.as_bytes())
                .collect::<Vec<_>>()
                .join(&sep[..])
                .into_iter()
                .chain([b'\n'])
                .collect();
            file.write_all(&header).map_err(write_err(path))?;
            csv_files.push(file);
        }
    }
    let mut truth_file = File::create(&truth_path).map_err(write_err(&truth_path))?;
    truth_file.write_all(b"seeker_id,month,cause,amount\n").map_err(write_err(&truth_path))?;

    // ---- chunks, in parallel by batch, written in order
    let n_chunks = opts.seekers.div_ceil(CHUNK);
    let mut columns: Vec<Vec<TextColumn>> =
        FileKind::ALL.iter().map(|f| (0..f.columns().len()).map(|_| TextColumn::default()).collect()).collect();
    let mut rows = [0u64; 5];
    let mut stats = Stats::default();
    let ctx = ChunkCtx {
        plan: &plan,
        seed: opts.seed,
        seekers: opts.seekers,
        width,
        dialect,
        parquet,
        bad_rate: opts.bad_rate,
    };
    let mut batch_start = 0;
    while batch_start < n_chunks {
        let batch_end = (batch_start + BATCH).min(n_chunks);
        let outs: Vec<ChunkOut> = (batch_start..batch_end).into_par_iter().map(|c| chunk(&ctx, c)).collect();
        for out in outs {
            for (i, sink) in out.sinks.into_iter().enumerate() {
                match sink {
                    Sink::Csv { out: bytes, .. } => {
                        csv_files[i].write_all(&bytes).map_err(write_err(&input_paths[i]))?;
                    }
                    Sink::Columns(cols) => {
                        for (dst, src) in columns[i].iter_mut().zip(cols) {
                            dst.append(src);
                        }
                    }
                }
            }
            truth_file.write_all(&out.truth).map_err(write_err(&truth_path))?;
            for (total, n) in rows.iter_mut().zip(out.rows) {
                *total += n;
            }
            stats.add(&out.stats);
        }
        batch_start = batch_end;
    }
    for (file, path) in csv_files.iter_mut().zip(&input_paths) {
        file.flush().map_err(write_err(path))?;
    }
    truth_file.flush().map_err(write_err(&truth_path))?;
    drop(truth_file);
    if parquet {
        // The four files in parallel: each is converted and written on its own.
        let jobs: Vec<(FileKind, Vec<TextColumn>, &PathBuf)> =
            FileKind::ALL.iter().copied().zip(columns).zip(&input_paths).map(|((f, c), p)| (f, c, p)).collect();
        let results: Vec<Result<(), GenerateError>> =
            jobs.into_par_iter().map(|(f, cols, path)| write_parquet(f, cols, path)).collect();
        results.into_iter().collect::<Result<Vec<()>, _>>()?;
    }

    // ---- summary and generated.json
    let money = |c: i64| Decimal::new(c, 2);
    let mean = if stats.notified > 0 {
        (Decimal::new(stats.notified_net, 2) / Decimal::from(stats.notified)).round_dp(2)
    } else {
        Decimal::ZERO
    };
    let names: Vec<String> =
        FileKind::ALL.iter().map(|f| format!("{}.{ext}", f.name())).chain(["truth.csv".to_string()]).collect();
    let summary_rows: [(String, u64); 5] = std::array::from_fn(|i| (names[i].clone(), rows[i]));
    let by_cause: Vec<(String, u64, Decimal)> = Cause::ALL
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str().to_string(), stats.cause_rows[i], money(stats.cause_sum[i])))
        .collect();
    let json_path = path_of("generated.json");
    let mut injected = stats.injected.clone();
    injected.sort_by_key(|(a, _)| format!("{a:?}"));
    let json = serde_json::json!({
        "generator": format!("indus {} generate", env!("CARGO_PKG_VERSION")),
        "run_with_as_of": as_of.to_string(),
        "note": format!(
            "run `indus run --input DIR --out OUT --as-of {as_of}`: every record is known at that date except the late payslips, which are received after it on purpose; truth.csv lists every finding rules.md gives for the seekers without a bad record"
        ),
        "seekers": opts.seekers,
        "months": plan.months.iter().map(|m| m.to_string()).collect::<Vec<_>>(),
        "seed": opts.seed,
        "dialect": match dialect { Dialect::Intl => "intl", Dialect::Fr => "fr" },
        "format": ext,
        "bad_rate": opts.bad_rate,
        "rows": summary_rows.iter().map(|(n, r)| serde_json::json!({"file": n, "rows": r})).collect::<Vec<_>>(),
        "bad_records": stats.bad_records,
        "seekers_with_bad_records": stats.touched,
        "paid": money(stats.paid).to_string(),
        "overpaid": money(stats.overpaid).to_string(),
        "overpaid_share_of_paid": if stats.paid > 0 { (Decimal::from(stats.overpaid) / Decimal::from(stats.paid)).round_dp(4).to_string() } else { "0".into() },
        "notified_seekers": stats.notified,
        "mean_net_per_notified": mean.to_string(),
        "truth_by_cause": by_cause.iter().map(|(c, n, s)| serde_json::json!({"cause": c, "rows": n, "amount": s.to_string()})).collect::<Vec<_>>(),
        "injected_seeker_months": injected.iter().map(|(a, n)| serde_json::json!({"anomaly": format!("{a:?}"), "count": n})).collect::<Vec<_>>(),
    });
    let mut text = serde_json::to_string_pretty(&json).expect("json");
    text.push('\n');
    fs::write(&json_path, text).map_err(write_err(&json_path))?;

    let mut files = input_paths;
    files.push(truth_path);
    files.push(json_path);
    Ok(GenerateSummary {
        as_of,
        rows: summary_rows,
        files,
        bad_records: stats.bad_records,
        seekers_with_bad_records: stats.touched,
        paid: money(stats.paid),
        overpaid: money(stats.overpaid),
        notified_seekers: stats.notified,
        mean_net_per_notified: mean,
        by_cause,
    })
}

struct ChunkCtx<'a> {
    plan: &'a Plan,
    seed: u64,
    seekers: u64,
    width: usize,
    dialect: Dialect,
    parquet: bool,
    bad_rate: f64,
}

/// Generates and formats the seekers of chunk `c`.
fn chunk(ctx: &ChunkCtx, c: u64) -> ChunkOut {
    // Parquet columns hold international text, parsed back into types at the end.
    let dialect = if ctx.parquet { Dialect::Intl } else { ctx.dialect };
    let mut sinks: Vec<Sink> = FileKind::ALL
        .iter()
        .map(|f| if ctx.parquet { Sink::columns(f.columns().len()) } else { Sink::csv(dialect) })
        .collect();
    let mut truth = Vec::new();
    let mut rows = [0u64; 5];
    let mut stats = Stats::default();
    // The reject-code cycle of each file, started at a different code per chunk.
    let mut cycle: [usize; 4] = std::array::from_fn(|i| (c as usize) % FileKind::ALL[i].reject_classes().len());
    let mut row = Row::default();
    let mut sid = Vec::with_capacity(16);
    let lo = c * CHUNK;
    let hi = (lo + CHUNK).min(ctx.seekers);
    for index in lo..hi {
        let s = scenario::seeker(ctx.plan, ctx.seed, index);
        let mut bad = Rng::new(ctx.seed, STREAM_BAD, index);
        let mut touched = false;
        sid.clear();
        sid.push(b'S');
        put_padded(&mut sid, index + 1, ctx.width);

        let mut emit = |file: FileKind, row: &Row, eligible: bool, sinks: &mut Vec<Sink>, rows: &mut [u64; 5]| {
            let corruption = (eligible && bad.chance(ctx.bad_rate)).then(|| {
                let classes = file.reject_classes();
                let class = classes[cycle[file.index()] % classes.len()];
                cycle[file.index()] += 1;
                corrupt(file, class, row, &mut bad, dialect)
            });
            if corruption.is_some() {
                touched = true;
            }
            rows[file.index()] += sinks[file.index()].emit(row, corruption.as_ref());
            corruption.is_some() as u64
        };

        let mut bad_count = 0;
        write_right(&mut row, &s, &sid, dialect);
        bad_count += emit(FileKind::Rights, &row, true, &mut sinks, &mut rows);
        for d in &s.decls {
            write_declaration(&mut row, d, &sid, dialect);
            bad_count += emit(FileKind::Declarations, &row, true, &mut sinks, &mut rows);
        }
        for p in &s.slips {
            write_attestation(&mut row, p, &sid, dialect);
            // A payslip received after as_of is set aside unread by the engine: never made bad.
            bad_count += emit(FileKind::Attestations, &row, p.received_on <= ctx.plan.as_of, &mut sinks, &mut rows);
        }
        for p in &s.pays {
            write_payment(&mut row, p, &sid, dialect);
            bad_count += emit(FileKind::Ledger, &row, true, &mut sinks, &mut rows);
        }
        stats.bad_records += bad_count;
        stats.paid += s.pays.iter().map(|p| p.row.amount).sum::<i64>();
        for &(_, a, dup) in &s.injected {
            let mut add = |a: Anomaly| match stats.injected.iter_mut().find(|(b, _)| *b == a) {
                Some(e) => e.1 += 1,
                None => stats.injected.push((a, 1)),
            };
            if a != Anomaly::None {
                add(a);
            }
            if dup && a != Anomaly::Duplicate {
                add(Anomaly::Duplicate);
            }
        }
        if touched {
            stats.touched += 1;
            continue;
        }
        write_truth(&mut truth, &s, &sid);
        rows[4] += s.truth.len() as u64;
        let mut net = 0;
        for &(_, cause, amount) in &s.truth {
            let k = cause as usize;
            stats.cause_rows[k] += 1;
            stats.cause_sum[k] += amount;
            if amount > 0 {
                stats.overpaid += amount;
            }
            if cause != Cause::NoDeclaration {
                net += amount;
            }
        }
        if net > 0 {
            stats.notified += 1;
            stats.notified_net += net;
        }
    }
    ChunkOut { sinks, truth, rows, stats }
}

fn write_right(row: &mut Row, s: &Seeker, sid: &[u8], dialect: Dialect) {
    let r = &s.right;
    row.clear();
    row.buf.push(b'R');
    row.text(sid);
    row.text(sid);
    row.text(r.agency.as_bytes());
    row.date(r.opened_on);
    row.date(r.facts.payable_from);
    row.opt_date(r.facts.closed_on);
    row.money(r.facts.sjr, dialect);
    row.int(r.facts.entitlement_days);
    row.int(r.days_paid_before);
    row.int(r.facts.age_at_contract_end);
    row.date(r.facts.contract_ended_on);
}

fn write_declaration(row: &mut Row, d: &scenario::DeclRec, sid: &[u8], dialect: Dialect) {
    row.clear();
    row.buf.push(b'D');
    row.buf.extend_from_slice(sid);
    row.buf.push(b'-');
    put_month_compact(&mut row.buf, d.month);
    row.end();
    row.text(sid);
    row.month(d.month);
    row.date(d.declared_on);
    row.hundredths(d.facts.hours, dialect);
    row.money(d.facts.gross, dialect);
    row.int(d.facts.sick_days);
    row.opt_date(d.facts.search_ended_on);
}

fn write_attestation(row: &mut Row, p: &scenario::SlipRec, sid: &[u8], dialect: Dialect) {
    row.clear();
    row.buf.push(b'A');
    row.buf.extend_from_slice(sid);
    row.buf.push(b'-');
    put_month_compact(&mut row.buf, p.month);
    row.buf.push(b'-');
    emit::put_u64(&mut row.buf, p.n as u64);
    row.end();
    row.text(sid);
    put_padded(&mut row.buf, p.employer, 14);
    row.end();
    row.date(p.period_start);
    row.date(p.period_end);
    row.hundredths(p.hours, dialect);
    row.money(p.gross, dialect);
    row.date(p.received_on);
    row.boolean(p.conserved);
}

fn write_payment(row: &mut Row, p: &scenario::PayRec, sid: &[u8], dialect: Dialect) {
    row.clear();
    row.buf.push(b'P');
    row.buf.extend_from_slice(sid);
    row.buf.push(b'-');
    put_month_compact(&mut row.buf, p.month);
    row.buf.push(b'-');
    emit::put_u64(&mut row.buf, p.row.n as u64);
    row.end();
    row.text(sid);
    row.buf.push(b'R');
    row.text(sid);
    row.month(p.month);
    row.text(p.row.kind.as_str().as_bytes());
    row.int(p.row.days);
    row.money(p.row.rate, dialect);
    row.money(p.row.amount, dialect);
    row.date(p.row.paid_on);
}

fn write_truth(out: &mut Vec<u8>, s: &Seeker, sid: &[u8]) {
    for &(m, cause, amount) in &s.truth {
        out.extend_from_slice(sid);
        out.push(b',');
        emit::put_month(out, m);
        out.push(b',');
        out.extend_from_slice(cause.as_str().as_bytes());
        out.push(b',');
        emit::put_money(out, amount, b'.');
        out.push(b'\n');
    }
}

// ---------------------------------------------------------------- Parquet

fn parse_date_days(s: &[u8]) -> Option<i32> {
    use chrono::Datelike;
    if s.len() != 10 || s[4] != b'-' || s[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        s[r].iter().try_fold(0u32, |v, &c| c.is_ascii_digit().then(|| v * 10 + (c - b'0') as u32))
    };
    let d = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
    // 719_163 days from 0001-01-01 (day 1) to 1970-01-01.
    Some(d.num_days_from_ce() - 719_163)
}

/// A decimal with at most two decimals, in hundredths.
fn parse_hundredths(s: &[u8]) -> Option<i128> {
    let (neg, s) = match s.strip_prefix(b"-") {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int, frac) = match s.iter().position(|&c| c == b'.') {
        Some(p) => (&s[..p], &s[p + 1..]),
        None => (s, &b""[..]),
    };
    if int.is_empty() || frac.len() > 2 || !int.iter().chain(frac).all(u8::is_ascii_digit) || int.len() > 30 {
        return None;
    }
    let mut v: i128 = 0;
    for &c in int {
        v = v * 10 + (c - b'0') as i128;
    }
    for i in 0..2 {
        v = v * 10 + frac.get(i).map_or(0, |&c| (c - b'0') as i128);
    }
    Some(if neg { -v } else { v })
}

fn parse_integer(s: &[u8]) -> Option<i64> {
    std::str::from_utf8(s).ok()?.parse().ok()
}

fn parse_bool(s: &[u8]) -> Option<bool> {
    match s {
        b"true" => Some(true),
        b"false" => Some(false),
        _ => None,
    }
}

/// Parses every non-empty value; `None` when one does not parse.
fn typed<T>(col: &TextColumn, parse: impl Fn(&[u8]) -> Option<T>) -> Option<Vec<Option<T>>> {
    (0..col.len())
        .map(|i| {
            let v = col.get(i);
            if v.is_empty() {
                Some(None)
            } else {
                parse(v).map(Some)
            }
        })
        .collect()
}

fn write_parquet(file: FileKind, text_cols: Vec<TextColumn>, path: &Path) -> Result<(), GenerateError> {
    use polars::prelude::*;
    let perr = |e: PolarsError| GenerateError::Parquet { path: path.to_path_buf(), message: e.to_string() };
    let height = text_cols.first().map_or(0, |c| c.len());
    let mut columns: Vec<Column> = Vec::with_capacity(text_cols.len());
    for ((name, ty), col) in file.columns().iter().zip(&text_cols) {
        let name = PlSmallStr::from_static(name);
        let as_text = || {
            StringChunked::from_iter_options(
                name.clone(),
                (0..col.len()).map(|i| {
                    let v = col.get(i);
                    (!v.is_empty()).then(|| std::str::from_utf8(v).expect("utf-8"))
                }),
            )
            .into_series()
        };
        let series = match ty {
            ColType::Text | ColType::Month => as_text(),
            ColType::Date => match typed(col, parse_date_days) {
                Some(v) => Int32Chunked::from_iter_options(name.clone(), v.into_iter()).into_date().into_series(),
                None => as_text(),
            },
            ColType::Money | ColType::Decimal => match typed(col, parse_hundredths) {
                Some(v) => Int128Chunked::from_iter_options(name.clone(), v.into_iter())
                    .into_decimal(18, 2)
                    .map_err(perr)?
                    .into_series(),
                None => as_text(),
            },
            ColType::Integer => match typed(col, parse_integer) {
                Some(v) => Int64Chunked::from_iter_options(name.clone(), v.into_iter()).into_series(),
                None => as_text(),
            },
            ColType::Boolean => match typed(col, parse_bool) {
                Some(v) => BooleanChunked::from_iter_options(name.clone(), v.into_iter()).into_series(),
                None => as_text(),
            },
        };
        columns.push(series.into_column());
    }
    drop(text_cols);
    let mut df = DataFrame::new(height, columns).map_err(perr)?;
    let f = File::create(path).map_err(|source| GenerateError::Write { path: path.to_path_buf(), source })?;
    ParquetWriter::new(std::io::BufWriter::new(f)).finish(&mut df).map_err(perr)?;
    Ok(())
}
