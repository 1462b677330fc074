//! `indus generate --nights N`: a chain of nightly input folders built on a
//! generated month, with the notice actions and changes nights.md §8.3–§8.4
//! give for each night, as this module works them out.
//!
//! * `OUT/night1` is the generated month itself (as_of = the generator's
//!   `as_of`). `night2` (as_of + 1 day) adds, for some seekers whose night-1
//!   notice rests on exactly one `claim` finding, one mutation each: a late
//!   second payslip, a payslip marked conserved, a payslip moved to the month
//!   before, a ledger reversal, an upheld decision for exactly the finding's
//!   amount, a rejected decision, or a corrected (second) declaration.
//!   `night3` (as_of + 2) holds night 2's exports unchanged; `night4`
//!   (as_of + 3) holds them without the corrected declarations.
//! * Each night folder holds `truth_actions.csv` (seeker_id, action, net,
//!   previous_net: one row per seeker who gets a notice row that night) and
//!   `truth_changes.csv` (seeker_id, month, cause, change, previous_amount,
//!   previous_status, amount, status: one row per finding of the night or of
//!   the night before). Night 1 also holds the generator's `truth.csv`.
//!   `OUT/mutations.csv` names each mutation and the action it should cause;
//!   `OUT/nights.json` gives each night's `as_of`.
//! * The truth is computed by re-running the generator's own rules
//!   ([`super::rules::month_truth`]) on each night's records, then by this
//!   module's own reading of rules.md §6 (status), nights.md §8.2 (decisions),
//!   §8.3 (changes) and §8.4 (actions) — never by the engine's `run`,
//!   `nights`, `status` or `reconcile`.
//! * The generator's late payslips (received after `as_of` on purpose) would
//!   arrive during the chain and change findings on nights that should send
//!   nothing: here they are received the day after the last night instead.
//! * Only CSV and `--bad-rate 0`: a seeker with a bad record is held to review
//!   by the engine, which this module does not model.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{Datelike, Duration, NaiveDate};
use rayon::prelude::*;

use super::emit::{self, put_month_compact, put_padded, Dialect, FileKind, Row};
use super::rng::Rng;
use super::rules::{self, month_truth, Cause, Kind, LedgerRow};
use super::scenario::{self, DeclRec, PayRec, Plan, RightRec, Seeker, SlipRec};
use super::{as_of_for, GenDialect, GenFormat, GenerateError, GenerateOptions};
use crate::model::Month;

/// The mutations' own random stream (the base month's draws are untouched).
const STREAM_NIGHTS: u64 = 0x6e69_6768_7473; // "nights"
/// The longest chain this module describes.
pub(crate) const MAX_NIGHTS: u32 = 4;
/// Share of the eligible seekers given a mutation in night 2: about half, so
/// that every kind occurs often while the withdrawals stay well under the
/// engine's mass-withdrawal guard on a few thousand seekers.
const MUTATE: f64 = 0.5;
/// Seekers per chunk (generated in parallel, written in order).
const CHUNK: u64 = 2048;

/// What night 2 changes for one seeker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mutation {
    /// A second payslip for the month, received on night 2.
    LatePayslip,
    /// One of the month's payslips is marked conserved.
    ConservedPayslip,
    /// One of the month's payslips is for the month before.
    MovedPayslip,
    /// A reversal of a regularisation, or of one advanced day.
    Reversal,
    /// An upheld decision for exactly the finding's amount.
    UpheldDecision,
    /// A rejected decision.
    RejectedDecision,
    /// A second declaration for the month.
    CorrectedDeclaration,
}

impl Mutation {
    pub const ALL: [Mutation; 7] = [
        Mutation::LatePayslip,
        Mutation::ConservedPayslip,
        Mutation::MovedPayslip,
        Mutation::Reversal,
        Mutation::UpheldDecision,
        Mutation::RejectedDecision,
        Mutation::CorrectedDeclaration,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Mutation::LatePayslip => "late_payslip",
            Mutation::ConservedPayslip => "conserved_payslip",
            Mutation::MovedPayslip => "moved_payslip",
            Mutation::Reversal => "reversal",
            Mutation::UpheldDecision => "upheld_decision",
            Mutation::RejectedDecision => "rejected_decision",
            Mutation::CorrectedDeclaration => "corrected_declaration",
        }
    }
}

// The names of statuses and actions are the engine's enums (names only: which
// status and which action apply is worked out here, independently).
use crate::reconcile::Status;
use crate::status::Action;

/// Counted in the notice's net (rules.md §6): this module's own reading.
fn counted(s: Status) -> bool {
    matches!(s, Status::Claim | Status::Owed | Status::Offset)
}

/// One finding as this module expects the engine to give it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Finding {
    month: Month,
    cause: Cause,
    amount: i64,
    status: Status,
}

/// A seeker's notice row of one night.
#[derive(Clone, Debug)]
struct Notice {
    action: Action,
    net: i64,
    previous_net: Option<i64>,
    /// The months of the findings it lists (§8.4: "the notice's months").
    months: BTreeSet<Month>,
}

/// A decision of decisions.csv (nights.md §8.1).
#[derive(Clone, Debug)]
struct DecisionRec {
    month: Month,
    cause: Cause,
    upheld: bool,
    amount: i64,
    decided_on: NaiveDate,
}

/// One seeker's records as exported on a night.
#[derive(Clone, Debug, Default)]
struct Records {
    decls: Vec<DeclRec>,
    /// Second declarations (id `D…-YYYYMM-2`), only on nights 2 and 3.
    corrected: Vec<DeclRec>,
    slips: Vec<SlipRec>,
    pays: Vec<PayRec>,
    decisions: Vec<DecisionRec>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NightsSummary {
    /// The `as_of` of each night, night 1 first.
    pub as_ofs: Vec<NaiveDate>,
    /// Seekers given each mutation, in [`Mutation::ALL`] order.
    pub mutations: Vec<(Mutation, u64)>,
    /// Expected notice rows by action, per night, in [`Action::ALL`] order.
    pub actions: Vec<Vec<(Action, u64)>>,
    /// Night 2's expected withdrawals over night 1's notices: above 100 and
    /// 5 %, night 2 must be run with `--max-withdrawal-rate` at least this.
    pub night2_withdrawal_rate: f64,
    pub night2_withdrawn: u64,
}

/// Writes `OUT/night1` … `OUT/nightN` (N = `nights`, 1 to 4) for the options'
/// seekers and months, with their truth.
pub fn generate_nights(opts: &GenerateOptions, nights: u32) -> Result<NightsSummary, GenerateError> {
    if !(1..=MAX_NIGHTS).contains(&nights) {
        return Err(GenerateError::Options(format!("--nights must be between 1 and {MAX_NIGHTS}, not {nights}")));
    }
    if opts.format != GenFormat::Csv {
        return Err(GenerateError::Options("--nights writes CSV only".into()));
    }
    if opts.bad_rate != 0.0 {
        return Err(GenerateError::Options("--nights needs --bad-rate 0 (its truth has no rejected record)".into()));
    }
    if opts.seekers == 0 || opts.seekers > 100_000_000 {
        return Err(GenerateError::Options(format!("--seekers {} is not between 1 and 100 000 000", opts.seekers)));
    }
    let mut months = opts.months.clone();
    months.sort();
    months.dedup();
    let Some(&first) = months.first() else {
        return Err(GenerateError::Options("--months selects no month".into()));
    };
    if first.first_day() < rules::first_covered_day() {
        return Err(GenerateError::Options(format!(
            "month {first} is before 2019-07, the first month of the rule parameters the generator knows"
        )));
    }
    let as_of = as_of_for(&months).expect("months");
    let plan = Plan { months, as_of };
    let dialect = match opts.dialect {
        GenDialect::Intl => Dialect::Intl,
        GenDialect::Fr => Dialect::Fr,
    };
    let ctx = Ctx {
        plan: &plan,
        seed: opts.seed,
        width: (opts.seekers.to_string().len()).max(8),
        dialect,
        nights: nights as usize,
    };

    // ---- folders and headers
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| GenerateError::Write { path, source }
    };
    // Per night, per output file (by index): the open file, or None where
    // the night has no such file.
    let mut files: Vec<Vec<Option<(PathBuf, File)>>> = Vec::new();
    for k in 0..ctx.nights {
        let dir = opts.out.join(format!("night{}", k + 1));
        fs::create_dir_all(&dir).map_err(|source| GenerateError::CreateDir { path: dir.clone(), source })?;
        // A stale Parquet input beside the CSV would make the folder ambiguous.
        for f in FileKind::ALL {
            let other = dir.join(format!("{}.parquet", f.name()));
            if other.exists() {
                fs::remove_file(&other).map_err(write_err(&other))?;
            }
        }
        let sep = (dialect.separator() as char).to_string();
        let mut heads: Vec<(String, String)> =
            FileKind::ALL.iter().map(|f| (format!("{}.csv", f.name()), header(f.columns(), &sep))).collect();
        heads.push((
            "decisions.csv".into(),
            ["decision_id", "seeker_id", "month", "cause", "decision", "amount", "decided_on"].join(&sep),
        ));
        heads.push(("truth_actions.csv".into(), "seeker_id,action,net,previous_net".into()));
        heads.push((
            "truth_changes.csv".into(),
            "seeker_id,month,cause,change,previous_amount,previous_status,amount,status".into(),
        ));
        heads.push(("truth.csv".into(), "seeker_id,month,cause,amount".into()));
        let mut night_files = Vec::new();
        for (i, (name, head)) in heads.into_iter().enumerate() {
            let path = dir.join(&name);
            if !present(k, i) {
                if path.exists() {
                    fs::remove_file(&path).map_err(write_err(&path))?;
                }
                night_files.push(None);
                continue;
            }
            let mut f = File::create(&path).map_err(write_err(&path))?;
            f.write_all(head.as_bytes()).and_then(|_| f.write_all(b"\n")).map_err(write_err(&path))?;
            night_files.push(Some((path, f)));
        }
        files.push(night_files);
    }
    let mutations_path = opts.out.join("mutations.csv");
    let mut mutations_file = File::create(&mutations_path).map_err(write_err(&mutations_path))?;
    mutations_file
        .write_all(b"seeker_id,month,cause,amount,mutation,night2_action\n")
        .map_err(write_err(&mutations_path))?;

    // ---- seekers, by chunk, in parallel; written in order
    let n_chunks = opts.seekers.div_ceil(CHUNK);
    let mut totals = Counts::default();
    let mut start = 0;
    while start < n_chunks {
        let end = (start + 16).min(n_chunks);
        let outs: Vec<ChunkOut> =
            (start..end).into_par_iter().map(|c| chunk(&ctx, c * CHUNK, ((c + 1) * CHUNK).min(opts.seekers))).collect();
        for out in outs {
            for (night_files, night) in files.iter_mut().zip(&out.nights) {
                for ((path, file), bytes) in
                    night_files.iter_mut().zip(night).filter_map(|(f, b)| Some((f.as_mut()?, b)))
                {
                    file.write_all(bytes).map_err(write_err(path))?;
                }
            }
            mutations_file.write_all(&out.mutations).map_err(write_err(&mutations_path))?;
            totals.add(&out.counts);
        }
        start = end;
    }
    for night_files in &mut files {
        for (path, f) in night_files.iter_mut().flatten() {
            f.flush().map_err(write_err(path))?;
        }
    }
    mutations_file.flush().map_err(write_err(&mutations_path))?;

    // ---- summary and nights.json
    let as_ofs: Vec<NaiveDate> = (0..ctx.nights).map(|k| as_of + Duration::days(k as i64)).collect();
    let actions: Vec<Vec<(Action, u64)>> =
        (0..ctx.nights).map(|k| Action::ALL.iter().map(|&a| (a, totals.actions[k][a as usize])).collect()).collect();
    let notices1 = totals.actions[0].iter().sum::<u64>();
    let night2_withdrawn = if ctx.nights > 1 { totals.actions[1][Action::Withdrawn as usize] } else { 0 };
    let rate = if notices1 > 0 { night2_withdrawn as f64 / notices1 as f64 } else { 0.0 };
    let summary = NightsSummary {
        as_ofs: as_ofs.clone(),
        mutations: Mutation::ALL.iter().map(|&m| (m, totals.mutations[m as usize])).collect(),
        actions,
        night2_withdrawal_rate: rate,
        night2_withdrawn,
    };
    let json = serde_json::json!({
        "generator": format!("indus {} generate --nights {nights}", env!("CARGO_PKG_VERSION")),
        "seekers": opts.seekers,
        "months": plan.months.iter().map(|m| m.to_string()).collect::<Vec<_>>(),
        "seed": opts.seed,
        "nights": (0..ctx.nights).map(|k| serde_json::json!({
            "folder": format!("night{}", k + 1),
            "as_of": as_ofs[k].to_string(),
            "previous": if k == 0 { serde_json::Value::Null } else { format!("the run of night{k}").into() },
            "expected_actions": summary.actions[k].iter().map(|(a, n)| (a.as_str().to_string(), serde_json::json!(n))).collect::<serde_json::Map<_, _>>(),
        })).collect::<Vec<_>>(),
        "mutations": summary.mutations.iter().map(|(m, n)| (m.as_str().to_string(), serde_json::json!(n))).collect::<serde_json::Map<_, _>>(),
        "night2_withdrawn": night2_withdrawn,
        "night2_withdrawal_rate": (rate * 10_000.0).round() / 10_000.0,
        "note": "run night1 alone, then each later night with --previous = the run of the night before; night 2 needs --max-withdrawal-rate above night2_withdrawal_rate when night2_withdrawn is over 100",
    });
    let json_path = opts.out.join("nights.json");
    let mut text = serde_json::to_string_pretty(&json).expect("json");
    text.push('\n');
    fs::write(&json_path, text).map_err(write_err(&json_path))?;
    Ok(summary)
}

/// Output files of a night, by index in the buffers of [`ChunkOut`].
const DECISIONS: usize = 4;
const ACTIONS: usize = 5;
const CHANGES: usize = 6;
const TRUTH: usize = 7;
const FILES: usize = 8;

/// Whether night `k` (0-based) has output file `i`: night 1 has no decision
/// yet (an absent file is no decisions), and only night 1 is the generated
/// month whose `truth.csv` the generator's own tests know.
fn present(k: usize, i: usize) -> bool {
    !((i == DECISIONS && k == 0) || (i == TRUTH && k > 0))
}

fn header(cols: &[(&str, emit::ColType)], sep: &str) -> String {
    cols.iter().map(|c| c.0).collect::<Vec<_>>().join(sep)
}

struct Ctx<'a> {
    plan: &'a Plan,
    seed: u64,
    width: usize,
    dialect: Dialect,
    nights: usize,
}

#[derive(Default)]
struct Counts {
    mutations: [u64; 7],
    actions: [[u64; 7]; MAX_NIGHTS as usize],
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        for i in 0..7 {
            self.mutations[i] += o.mutations[i];
            for k in 0..MAX_NIGHTS as usize {
                self.actions[k][i] += o.actions[k][i];
            }
        }
    }
}

struct ChunkOut {
    /// Per night, the bytes of each output file (without header).
    nights: Vec<[Vec<u8>; FILES]>,
    mutations: Vec<u8>,
    counts: Counts,
}

/// Seekers `lo..hi`: their records on each night and the truth of each night.
fn chunk(ctx: &Ctx, lo: u64, hi: u64) -> ChunkOut {
    let as_of = ctx.plan.as_of;
    let night_date = |k: usize| as_of + Duration::days(k as i64);
    let mut out = ChunkOut {
        nights: (0..ctx.nights).map(|_| std::array::from_fn(|_| Vec::new())).collect(),
        mutations: Vec::new(),
        counts: Counts::default(),
    };
    let mut row = Row::default();
    let mut sid = Vec::with_capacity(16);
    for index in lo..hi {
        let mut s = scenario::seeker(ctx.plan, ctx.seed, index);
        sid.clear();
        sid.push(b'S');
        put_padded(&mut sid, index + 1, ctx.width);

        // Late payslips arrive the day after the last night, so that the
        // chain's only news are the mutations.
        let after_chain = night_date(MAX_NIGHTS as usize);
        for p in &mut s.slips {
            if p.received_on > as_of && p.received_on < after_chain {
                p.received_on = after_chain;
            }
        }
        let base = Records {
            decls: s.decls.clone(),
            corrected: Vec::new(),
            slips: s.slips.clone(),
            pays: s.pays.clone(),
            decisions: Vec::new(),
        };
        let night1 = evaluate(&s.right, &base, false, as_of);
        // The generator's truth and this module's recomputation of it agree.
        debug_assert_eq!(
            night1.iter().map(|f| (f.month, f.cause, f.amount)).collect::<Vec<_>>(),
            s.truth,
            "seeker {index}: night 1 differs from truth.csv"
        );

        // ---- night 2's mutation
        let mut changed = base.clone();
        let mut mutation = None;
        if ctx.nights > 1 && night1.len() == 1 && night1[0].status == Status::Claim {
            let mut rng = Rng::new(ctx.seed, STREAM_NIGHTS, index);
            if rng.chance(MUTATE) {
                mutation = mutate(&mut changed, &night1[0], as_of, night_date(1), &mut rng);
            }
        }

        // ---- each night: records, findings, notice, changes
        let mut previous: Option<Notice> = None;
        let mut previous_findings: Vec<Finding> = Vec::new();
        let mut night2_action = None;
        for k in 0..ctx.nights {
            let records = if k == 0 { &base } else { &changed };
            let with_corrected = k == 1 || k == 2;
            let today = night_date(k);
            let findings = if k == 0 { night1.clone() } else { evaluate(&s.right, records, with_corrected, today) };
            let notice = notice_of(previous.as_ref().filter(|p| p.action != Action::Withdrawn), &findings);
            let bufs = &mut out.nights[k];

            write_records(bufs, &mut row, &s, records, with_corrected, &sid, ctx.dialect, k > 0);
            if k == 0 {
                super::write_truth(&mut bufs[TRUTH], &s, &sid);
            }
            if let Some(n) = &notice {
                out.counts.actions[k][n.action as usize] += 1;
                let b = &mut bufs[ACTIONS];
                b.extend_from_slice(&sid);
                b.push(b',');
                b.extend_from_slice(n.action.as_str().as_bytes());
                b.push(b',');
                emit::put_money(b, n.net, b'.');
                b.push(b',');
                if let Some(p) = n.previous_net {
                    emit::put_money(b, p, b'.');
                }
                b.push(b'\n');
                if k == 1 {
                    night2_action = Some(n.action);
                }
            }
            write_changes(&mut bufs[CHANGES], &sid, &previous_findings, &findings);
            previous = notice;
            previous_findings = findings;
        }
        if let Some(m) = mutation {
            out.counts.mutations[m as usize] += 1;
            let f = &night1[0];
            let b = &mut out.mutations;
            b.extend_from_slice(&sid);
            b.push(b',');
            emit::put_month(b, f.month);
            b.push(b',');
            b.extend_from_slice(f.cause.as_str().as_bytes());
            b.push(b',');
            emit::put_money(b, f.amount, b'.');
            b.push(b',');
            b.extend_from_slice(m.as_str().as_bytes());
            b.push(b',');
            // A seeker whose notice is withdrawn and not renewed has no row.
            b.extend_from_slice(night2_action.map_or("", Action::as_str).as_bytes());
            b.push(b'\n');
        }
    }
    out
}

/// The payslips of month `m` that count on night 1: known and not conserved.
fn counting_slips(r: &Records, m: Month, as_of: NaiveDate) -> Vec<usize> {
    (0..r.slips.len())
        .filter(|&i| {
            let p = &r.slips[i];
            Month::of(p.period_end) == m && !p.conserved && p.received_on <= as_of
        })
        .collect()
}

/// Applies one mutation, drawn among those that fit the seeker's one
/// finding `f`, to the records of night 2 (`today`).
fn mutate(r: &mut Records, f: &Finding, as_of: NaiveDate, today: NaiveDate, rng: &mut Rng) -> Option<Mutation> {
    let m = f.month;
    let slips = counting_slips(r, m, as_of);
    let earnings = matches!(f.cause, Cause::UnderdeclaredEarnings | Cause::UndeclaredActivity);
    // Payment and payslip numbers stay below 10: ids then sort like numbers.
    let next_slip = r.slips.iter().filter(|p| p.month == m).map(|p| p.n).max().unwrap_or(0) + 1;
    let next_pay = r.pays.iter().filter(|p| p.month == m).map(|p| p.row.n).max().unwrap_or(0) + 1;
    let prev = Month::of(m.first_day() - Duration::days(1));
    // A payslip moved to a month the seeker has no other record for, and
    // that the rule set covers: that month then has nothing to reconcile.
    let prev_free = prev.first_day() >= rules::first_covered_day()
        && !r.decls.iter().any(|d| d.month == prev)
        && !r.pays.iter().any(|p| p.month == prev)
        && !r.slips.iter().any(|p| Month::of(p.period_end) == prev);
    let has_decl = r.decls.iter().any(|d| d.month == m);
    let has_advance = r.pays.iter().any(|p| p.month == m && p.row.kind == Kind::Advance);
    let fits = |mu: Mutation| match mu {
        Mutation::LatePayslip => earnings && !slips.is_empty() && next_slip <= 9,
        Mutation::ConservedPayslip => earnings && !slips.is_empty(),
        Mutation::MovedPayslip => earnings && !slips.is_empty() && prev_free,
        Mutation::Reversal => has_advance && next_pay <= 9,
        Mutation::UpheldDecision | Mutation::RejectedDecision => true,
        Mutation::CorrectedDeclaration => has_decl,
    };
    let candidates: Vec<Mutation> = Mutation::ALL.into_iter().filter(|&mu| fits(mu)).collect();
    let mu = *rng.pick(&candidates);
    match mu {
        Mutation::LatePayslip => {
            // More pay from the first employer, 25–60 % of the attested pay.
            let p0 = r.slips[slips[0]].clone();
            let attested: i64 = slips.iter().map(|&i| r.slips[i].gross).sum();
            let gross = (attested * rng.range(25, 60) / 100).max(100);
            let hours = (p0.hours * gross / p0.gross.max(1)).max(100);
            r.slips.push(SlipRec {
                month: m,
                n: next_slip,
                employer: p0.employer,
                period_start: m.first_day(),
                period_end: m.last_day(),
                hours,
                gross,
                received_on: today,
                conserved: false,
            });
        }
        Mutation::ConservedPayslip => {
            let i = *rng.pick(&slips);
            r.slips[i].conserved = true;
        }
        Mutation::MovedPayslip => {
            // Same attestation id (the employer corrects its period).
            let i = *rng.pick(&slips);
            r.slips[i].period_start = prev.first_day();
            r.slips[i].period_end = prev.last_day();
        }
        Mutation::Reversal => {
            // Reverse the month's last regularisation, or else one day of its
            // first advance.
            let rows: Vec<&PayRec> = r.pays.iter().filter(|p| p.month == m).collect();
            let regularisation = rows.iter().filter(|p| p.row.kind == Kind::Regularisation).max_by_key(|p| p.row.n);
            let (days, rate) = match regularisation {
                Some(p) => (p.row.days, p.row.rate),
                None => {
                    let a = rows
                        .iter()
                        .filter(|p| p.row.kind == Kind::Advance)
                        .min_by_key(|p| (p.row.paid_on, p.row.n))
                        .expect("an advance");
                    (1, a.row.rate)
                }
            };
            r.pays.push(PayRec {
                month: m,
                row: LedgerRow {
                    paid_on: today,
                    n: next_pay,
                    kind: Kind::Reversal,
                    days: -days,
                    rate,
                    amount: -days * rate,
                },
            });
        }
        Mutation::UpheldDecision | Mutation::RejectedDecision => r.decisions.push(DecisionRec {
            month: m,
            cause: f.cause,
            upheld: mu == Mutation::UpheldDecision,
            amount: f.amount,
            decided_on: today,
        }),
        Mutation::CorrectedDeclaration => {
            // The seeker declares again: the attested pay when the finding is
            // about earnings, otherwise the same figures.
            let d = r.decls.iter().find(|d| d.month == m).expect("a declaration").clone();
            let mut facts = d.facts;
            if earnings && !slips.is_empty() {
                facts.hours = slips.iter().map(|&i| r.slips[i].hours).sum();
                facts.gross = slips.iter().map(|&i| r.slips[i].gross).sum();
            }
            r.corrected.push(DeclRec { month: m, declared_on: today, facts });
        }
    }
    Some(mu)
}

/// `date` plus `years` years; a 29 February falls on 28 February (rules.md §6).
fn plus_years(date: NaiveDate, years: i32) -> NaiveDate {
    let y = date.year() + years;
    NaiveDate::from_ymd_opt(y, date.month(), date.day())
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(y, 2, 28).expect("28 February"))
}

/// A seeker's findings on the night `as_of`, with their statuses: the
/// generator's rules on the records known that night (rules.md §3.0–§5),
/// then rules.md §6 and nights.md §8.2.
fn evaluate(right: &RightRec, r: &Records, with_corrected: bool, as_of: NaiveDate) -> Vec<Finding> {
    // Declarations known tonight, with their order (declared_on, id): the
    // corrected one's id `D…-YYYYMM-2` sorts after the original `D…-YYYYMM`.
    let decls: Vec<(&DeclRec, u8)> = r
        .decls
        .iter()
        .map(|d| (d, 0))
        .chain(r.corrected.iter().filter(|_| with_corrected).map(|d| (d, 1)))
        .filter(|(d, _)| d.declared_on <= as_of)
        .collect();
    let slips: Vec<&SlipRec> = r.slips.iter().filter(|p| p.received_on <= as_of).collect();
    let pays: Vec<&PayRec> = r.pays.iter().filter(|p| p.row.paid_on <= as_of).collect();
    let months: BTreeSet<Month> = decls
        .iter()
        .map(|(d, _)| d.month)
        .chain(slips.iter().map(|p| Month::of(p.period_end)))
        .chain(pays.iter().map(|p| p.month))
        .collect();
    let mut before = right.days_paid_before;
    let mut out = Vec::new();
    for m in months {
        let of_month: Vec<&(&DeclRec, u8)> = decls.iter().filter(|(d, _)| d.month == m).collect();
        let ambiguous = of_month.len() > 1;
        let decl = of_month.iter().max_by_key(|(d, c)| (d.declared_on, *c)).map(|(d, _)| &d.facts);
        let counting: Vec<&&SlipRec> = slips.iter().filter(|p| Month::of(p.period_end) == m && !p.conserved).collect();
        let attested = (!counting.is_empty()).then(|| counting.iter().map(|p| p.gross).sum::<i64>());
        let rows: Vec<LedgerRow> = pays.iter().filter(|p| p.month == m).map(|p| p.row).collect();
        let t = month_truth(&right.facts, m, before, decl, attested, &rows);
        before += t.days_due;
        let first_paid = rows.iter().map(|r| r.paid_on).min();
        let delta = t.paid - t.due;
        for &(cause, amount) in &t.rows {
            let years = if cause == Cause::UndeclaredActivity { 10 } else { 3 };
            let barred = first_paid.is_some_and(|d| plus_years(d, years) < as_of);
            let mut status = if ambiguous {
                Status::Review
            } else if amount < 0 {
                Status::Owed
            } else if delta <= 0 {
                Status::Offset
            } else if barred {
                Status::TimeBarred
            } else if cause == Cause::NoDeclaration {
                Status::Review
            } else {
                Status::Claim
            };
            // §8.2: the latest known decision on the key; an upheld one
            // contests a claim it covers, and sends a larger one to review.
            let decision = r
                .decisions
                .iter()
                .enumerate()
                .filter(|(_, d)| d.month == m && d.cause == cause && d.decided_on <= as_of)
                .max_by_key(|(i, d)| (d.decided_on, *i));
            if let (Status::Claim, Some((_, d))) = (status, decision) {
                if d.upheld {
                    status = if amount <= d.amount { Status::Contested } else { Status::Review };
                }
            }
            out.push(Finding { month: m, cause, amount, status });
        }
    }
    out
}

/// nights.md §8.4: the seeker's notice row tonight, from the previous notice
/// (not withdrawn) and tonight's findings.
fn notice_of(previous: Option<&Notice>, findings: &[Finding]) -> Option<Notice> {
    let counted_findings: Vec<&Finding> = findings.iter().filter(|f| counted(f.status)).collect();
    // A net ≤ 0 is 0 (write_off_below is 0 in the default rule set: nothing written off).
    let net = counted_findings.iter().map(|f| f.amount).sum::<i64>().max(0);
    let counted_months: BTreeSet<Month> =
        if net > 0 { counted_findings.iter().map(|f| f.month).collect() } else { BTreeSet::new() };
    let Some(p) = previous else {
        return (net > 0).then_some(Notice { action: Action::First, net, previous_net: None, months: counted_months });
    };
    let held_months: BTreeSet<Month> = findings
        .iter()
        .filter(|f| f.status == Status::Review && p.months.contains(&f.month))
        .map(|f| f.month)
        .collect();
    let (action, net, months) = if !held_months.is_empty() {
        (Action::Held, p.net, held_months)
    } else if net == 0 {
        (Action::Withdrawn, 0, BTreeSet::new())
    } else if net == p.net {
        (if p.action == Action::Held { Action::Resumed } else { Action::Unchanged }, net, counted_months)
    } else if net > p.net {
        (Action::Increased, net, counted_months)
    } else {
        (Action::Decreased, net, counted_months)
    };
    Some(Notice { action, net, previous_net: Some(p.net), months })
}

/// nights.md §8.3: one row per finding of tonight or of the night before
/// (every month of the night before is still a month of tonight's run: no
/// record leaves the chain but the corrected declarations, whose months keep
/// their first declaration).
fn write_changes(out: &mut Vec<u8>, sid: &[u8], previous: &[Finding], now: &[Finding]) {
    // Per key: (the night before's finding, tonight's).
    type Pair<'a> = (Option<&'a Finding>, Option<&'a Finding>);
    let mut keys: BTreeMap<(Month, Cause), Pair> = BTreeMap::new();
    for f in previous {
        keys.entry((f.month, f.cause)).or_default().0 = Some(f);
    }
    for f in now {
        keys.entry((f.month, f.cause)).or_default().1 = Some(f);
    }
    for ((month, cause), (p, n)) in keys {
        let change = match (p, n) {
            (None, _) => "new",
            (_, None) => "withdrawn",
            (Some(p), Some(n)) if p.amount == n.amount && p.status == n.status => "unchanged",
            _ => "revised",
        };
        out.extend_from_slice(sid);
        out.push(b',');
        emit::put_month(out, month);
        out.push(b',');
        out.extend_from_slice(cause.as_str().as_bytes());
        out.push(b',');
        out.extend_from_slice(change.as_bytes());
        for f in [p, n] {
            out.push(b',');
            if let Some(f) = f {
                emit::put_money(out, f.amount, b'.');
            }
            out.push(b',');
            if let Some(f) = f {
                out.extend_from_slice(f.status.as_str().as_bytes());
            }
        }
        out.push(b'\n');
    }
}

/// The seeker's input records of one night, with the generator's writers.
#[allow(clippy::too_many_arguments)]
fn write_records(
    bufs: &mut [Vec<u8>; FILES],
    row: &mut Row,
    s: &Seeker,
    r: &Records,
    with_corrected: bool,
    sid: &[u8],
    dialect: Dialect,
    decisions: bool,
) {
    let sep = dialect.separator();
    let mut put = |i: usize, row: &Row| {
        let out = &mut bufs[i];
        for f in 0..row.len() {
            if f > 0 {
                out.push(sep);
            }
            out.extend_from_slice(row.field(f));
        }
        out.push(b'\n');
    };
    super::write_right(row, s, sid, dialect);
    put(FileKind::Rights.index(), row);
    for d in &r.decls {
        super::write_declaration(row, d, sid, dialect);
        put(FileKind::Declarations.index(), row);
    }
    if with_corrected {
        for d in &r.corrected {
            super::write_declaration(row, d, sid, dialect);
            // The id of a second declaration for the month: `D…-YYYYMM-2`.
            let mut id = row.field(0).to_vec();
            id.extend_from_slice(b"-2");
            let rest: Vec<Vec<u8>> = (1..row.len()).map(|i| row.field(i).to_vec()).collect();
            row.clear();
            row.text(&id);
            for f in &rest {
                row.text(f);
            }
            put(FileKind::Declarations.index(), row);
        }
    }
    for p in &r.slips {
        super::write_attestation(row, p, sid, dialect);
        put(FileKind::Attestations.index(), row);
    }
    for p in &r.pays {
        super::write_payment(row, p, sid, dialect);
        put(FileKind::Ledger.index(), row);
    }
    if decisions {
        for (n, d) in r.decisions.iter().enumerate() {
            row.clear();
            row.buf.extend_from_slice(b"DEC-");
            row.buf.extend_from_slice(sid);
            row.buf.push(b'-');
            put_month_compact(&mut row.buf, d.month);
            row.buf.push(b'-');
            emit::put_u64(&mut row.buf, n as u64 + 1);
            row.end();
            row.text(sid);
            row.month(d.month);
            row.text(d.cause.as_str().as_bytes());
            row.text(if d.upheld { b"upheld" } else { b"rejected" });
            row.money(d.amount, dialect);
            row.date(d.decided_on);
            put(DECISIONS, row);
        }
    }
}
