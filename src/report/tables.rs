//! The report's tables: polars aggregations over the kept findings and notices
//! (see `super` for which ones are kept), read back as exact decimals, and
//! written as `NAME.csv` (amounts with two decimals) and `NAME.parquet`
//! (amounts as Decimal(18, 2), dates as Date). Money never goes through a float.
//!
//! Every amount column is a sum of signed finding amounts (positive = overpaid).
//! The measures of the `by_*` tables: `findings` (count), `amount` (net sum),
//! `overpaid` (sum of the positive amounts), `underpaid` (sum of the negative
//! ones: owed to seekers, of any status), then one sum per status of rules.md
//! §6 (`claim` … `written_off`, as in agencies.csv). `overpaid` equals
//! claim + offset + time_barred + written_off + the positive part of review.
//!
//! | table | one row per |
//! |---|---|
//! | `by_cause_status` | cause × status (rules.md §5 order, then §6): findings, amount, overpaid, underpaid |
//! | `by_agency` | agency_id (with its region) |
//! | `by_region` | region: the agency id's first `-` segment (`ARA` of `ARA-069-LYON3`) |
//! | `by_month` | month of payment (the finding's `month`) |
//! | `by_amount_band` | direction × band of the finding's absolute amount |
//! | `by_basis` | basis (`attested` / `declared`) |
//! | `notices_by_agency` | agency of the notice: notices, seekers notified, sms, phone, calls_to_expect (= sms: SMS recipients call their agency), net |
//! | `time_bar_horizon` | horizon: claim and review overpayments whose prescription falls in it |
//! | `review_backlog` | age band of the findings in review |
//! | `summary` | headline figure |
//!
//! **Amount bands** are on the absolute amount of each finding, in euros:
//! `0-100` = [0, 100), `100-500` = [100, 500), `500-1000` = [500, 1 000),
//! `1000-5000` = [1 000, 5 000), `5000+` = [5 000, ∞); `direction` says whether
//! the findings are `overpaid` (amount > 0) or `underpaid` (amount < 0), so an
//! owed 250 € and an overpaid 250 € fall in the same band on different rows.
//!
//! **Time-bar horizon**: a finding is time-barred on a date `d` when its
//! `time_barred_on` is before `d` (rules.md §6). So the claims that become
//! time-barred within N months of the report's `as_of` are those still
//! recoverable at `as_of` and lost by `as_of` + N months: `time_barred_on` in
//! [as_of, as_of + N months) — `until` in the table is that exclusive bound.
//! The horizons are cumulative (3 ⊂ 6 ⊂ 12); `already_past` holds claim and
//! review findings whose date is already before `as_of` (the run's `as_of`
//! was earlier than the report's). Only positive amounts of status `claim`
//! and `review` count: those are what can still be recovered.
//!
//! **Review backlog by age**: a finding's age is counted in whole months from
//! the first day of its month to `as_of`: it is at least k months old when the
//! first day plus k months is on or before `as_of` (the month 2024-03 is 1
//! month old on 2024-04-15). Bands: `0-1` (< 1 month, also months after
//! `as_of`), `1-3`, `3-6`, `6-12` (lower bound included, upper excluded) and
//! `12+`. `seeker_months` counts the distinct seeker-months in review: the
//! cases a person has to look at.

use std::io::Cursor;
use std::path::Path;

use chrono::{Datelike, Months, NaiveDate};
use polars::prelude::*;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::output::{self, Written};
use crate::reconcile::{Cause, Status};
use crate::status::Action;

use super::Report;

/// The statuses of rules.md §6 and nights.md §8.2, in their order: the
/// engine's own list, so that a new status gets its column everywhere.
pub(crate) const STATUSES: [&str; Status::ALL.len()] = {
    let mut names = [""; Status::ALL.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = Status::ALL[i].as_str();
        i += 1;
    }
    names
};

/// How many statuses there are.
pub(crate) const N_STATUSES: usize = STATUSES.len();

/// Count and exact sum of a group of findings (or notices).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Count {
    pub findings: u64,
    pub amount: Decimal,
}

impl std::ops::AddAssign for Count {
    fn add_assign(&mut self, o: Count) {
        self.findings += o.findings;
        self.amount += o.amount;
    }
}

/// The measures of one group of findings (see the module doc).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Measures {
    pub findings: u64,
    pub amount: Decimal,
    pub overpaid: Decimal,
    pub underpaid: Decimal,
    /// Sums by status, in [`STATUSES`] order.
    pub by_status: [Decimal; N_STATUSES],
}

impl Measures {
    pub fn status(&self, s: &str) -> Decimal {
        STATUSES.iter().position(|x| *x == s).map(|i| self.by_status[i]).unwrap_or_default()
    }

    /// The overpaid amount split by status: claim, review (its positive part),
    /// offset, time_barred, written_off, contested.
    pub(crate) fn overpaid_by_status(&self) -> [Decimal; 6] {
        let [claim, _, _, offset, barred, written_off, contested] = self.by_status;
        [
            claim,
            self.overpaid - claim - offset - barred - written_off - contested,
            offset,
            barred,
            written_off,
            contested,
        ]
    }
}

impl std::ops::AddAssign<&Measures> for Measures {
    fn add_assign(&mut self, o: &Measures) {
        self.findings += o.findings;
        self.amount += o.amount;
        self.overpaid += o.overpaid;
        self.underpaid += o.underpaid;
        for (a, b) in self.by_status.iter_mut().zip(o.by_status) {
            *a += b;
        }
    }
}

/// A band of absolute amounts, [lower, upper).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Band {
    pub label: &'static str,
    pub lower: i64,
    pub upper: Option<i64>,
}

pub(crate) const AMOUNT_BANDS: [Band; 5] = [
    Band { label: "0-100", lower: 0, upper: Some(100) },
    Band { label: "100-500", lower: 100, upper: Some(500) },
    Band { label: "500-1000", lower: 500, upper: Some(1000) },
    Band { label: "1000-5000", lower: 1000, upper: Some(5000) },
    Band { label: "5000+", lower: 5000, upper: None },
];

/// Age bands of the review backlog, in whole months, [lower, upper).
pub(crate) const AGE_BANDS: [Band; 5] = [
    Band { label: "0-1", lower: 0, upper: Some(1) },
    Band { label: "1-3", lower: 1, upper: Some(3) },
    Band { label: "3-6", lower: 3, upper: Some(6) },
    Band { label: "6-12", lower: 6, upper: Some(12) },
    Band { label: "12+", lower: 12, upper: None },
];

/// The horizons of the time-bar table, in months after `as_of`.
pub(crate) const HORIZONS: [u32; 3] = [3, 6, 12];

#[derive(Clone, Debug, PartialEq)]
pub struct Keyed {
    pub key: String,
    pub m: Measures,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CauseStatus {
    pub cause: String,
    pub status: String,
    pub m: Measures,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BandRow {
    /// `overpaid` or `underpaid`.
    pub direction: &'static str,
    pub band: Band,
    pub m: Measures,
}

/// The notices of an agency (nights.md §8.4): `notices` counts every row,
/// `seekers_notified`, `sms` and `phone` only the messages sent (rows whose
/// action sends one), `by_action` every row by action.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NoticeAgency {
    pub agency_id: String,
    pub notices: u64,
    pub seekers_notified: u64,
    pub sms: u64,
    pub phone: u64,
    pub net: Decimal,
    /// In [`Action::ALL`] order.
    pub by_action: [u64; Action::ALL.len()],
}

impl NoticeAgency {
    /// SMS recipients call their agency (agencies.csv's calls_to_expect).
    pub fn calls_to_expect(&self) -> u64 {
        self.sms
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Horizon {
    /// `already_past`, `3_months`, `6_months`, `12_months`.
    pub name: String,
    pub months: u32,
    pub from: Option<NaiveDate>,
    /// Exclusive: time_barred_on < until.
    pub until: NaiveDate,
    pub claim: Count,
    pub review: Count,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AgeRow {
    pub band: Band,
    pub findings: u64,
    pub seeker_months: u64,
    pub amount: Decimal,
    pub overpaid: Decimal,
    pub underpaid: Decimal,
}

/// The figures the page puts in words on top.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Headline {
    pub findings: u64,
    pub amount: Decimal,
    pub overpaid: Count,
    pub underpaid: Count,
    /// In [`STATUSES`] order.
    pub by_status: [Count; N_STATUSES],
    pub notices: u64,
    pub sms: u64,
    pub phone: u64,
    pub seekers_notified: u64,
    pub notified_net: Decimal,
    /// Notices by action, in [`Action::ALL`] order.
    pub by_action: [u64; Action::ALL.len()],
    /// notified_net / seekers_notified, to the cent (half away from zero).
    pub average_per_seeker: Option<Decimal>,
}

impl Headline {
    pub fn status(&self, s: &str) -> Count {
        STATUSES.iter().position(|x| *x == s).map(|i| self.by_status[i]).unwrap_or_default()
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tables {
    pub by_cause_status: Vec<CauseStatus>,
    pub by_agency: Vec<Keyed>,
    pub by_region: Vec<Keyed>,
    pub by_month: Vec<Keyed>,
    pub by_amount_band: Vec<BandRow>,
    pub by_basis: Vec<Keyed>,
    pub notices_by_agency: Vec<NoticeAgency>,
    pub time_bar: Vec<Horizon>,
    pub review_backlog: Vec<AgeRow>,
    pub headline: Headline,
}

/// The region of an agency id: its first segment before `-`.
pub fn region(agency_id: &str) -> &str {
    agency_id.split('-').next().unwrap_or_default()
}

/// A Decimal(18, 2) literal of whole euros (compared with `amount` exactly).
fn euros(v: i64) -> Expr {
    lit(Scalar::new(DataType::Decimal(18, 2), AnyValue::Decimal(v as i128 * 100, 18, 2)))
}

fn measure_exprs() -> Vec<Expr> {
    let amount = || col("amount");
    let mut v = vec![
        len().alias("findings"),
        amount().sum().alias("amount"),
        amount().filter(amount().gt(euros(0))).sum().alias("overpaid"),
        amount().filter(amount().lt(euros(0))).sum().alias("underpaid"),
    ];
    v.extend(STATUSES.iter().map(|s| amount().filter(col("status").eq(lit(*s))).sum().alias(*s)));
    v
}

fn texts(df: &DataFrame, name: &str) -> PolarsResult<Vec<String>> {
    let s = df.column(name)?.as_materialized_series().cast(&DataType::String)?;
    Ok(s.str()?.iter().map(|v| v.unwrap_or_default().to_string()).collect())
}

fn counts(df: &DataFrame, name: &str) -> PolarsResult<Vec<u64>> {
    let s = df.column(name)?.as_materialized_series().cast(&DataType::UInt64)?;
    Ok(s.u64()?.iter().map(|v| v.unwrap_or_default()).collect())
}

fn ints(df: &DataFrame, name: &str) -> PolarsResult<Vec<i64>> {
    let s = df.column(name)?.as_materialized_series().cast(&DataType::Int64)?;
    Ok(s.i64()?.iter().map(|v| v.unwrap_or_default()).collect())
}

/// A Decimal column as exact decimals (a null sum, of no row, is 0).
fn moneys(df: &DataFrame, name: &str) -> PolarsResult<Vec<Decimal>> {
    let s = df.column(name)?.as_materialized_series();
    let ca = s.decimal()?;
    let scale = ca.scale() as u32;
    ca.physical()
        .iter()
        .map(|v| match v {
            None => Ok(Decimal::ZERO),
            Some(v) => Decimal::try_from_i128_with_scale(v, scale)
                .map_err(|e| polars_err!(ComputeError: "{name}: {v} at scale {scale}: {e}")),
        })
        .collect()
}

fn read_measures(df: &DataFrame) -> PolarsResult<Vec<Measures>> {
    let findings = counts(df, "findings")?;
    let amount = moneys(df, "amount")?;
    let overpaid = moneys(df, "overpaid")?;
    let underpaid = moneys(df, "underpaid")?;
    let by: Vec<Vec<Decimal>> = STATUSES.iter().map(|s| moneys(df, s)).collect::<PolarsResult<_>>()?;
    Ok((0..df.height())
        .map(|i| Measures {
            findings: findings[i],
            amount: amount[i],
            overpaid: overpaid[i],
            underpaid: underpaid[i],
            by_status: std::array::from_fn(|s| by[s][i]),
        })
        .collect())
}

fn group(lf: LazyFrame, keys: &[&str]) -> PolarsResult<DataFrame> {
    lf.group_by(keys.iter().map(|k| col(*k)).collect::<Vec<_>>()).agg(measure_exprs()).collect()
}

/// One-key measures, sorted by key (byte-wise).
fn keyed(lf: LazyFrame, key: &str) -> PolarsResult<Vec<Keyed>> {
    let g = group(lf, &[key])?;
    let mut rows: Vec<Keyed> =
        texts(&g, key)?.into_iter().zip(read_measures(&g)?).map(|(key, m)| Keyed { key, m }).collect();
    rows.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(rows)
}

fn rank<T: PartialEq>(all: &[T], x: &T) -> usize {
    all.iter().position(|a| a == x).unwrap_or(all.len())
}

fn days(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid")).num_days() as i32
}

pub(crate) fn add_months(d: NaiveDate, n: u32) -> NaiveDate {
    d.checked_add_months(Months::new(n)).expect("a date within chrono's range")
}

/// Whole months from the first day of `month` (YYYY-MM) to `as_of`; 0 for a later month.
pub(crate) fn age_in_months(month: &str, as_of: NaiveDate) -> Option<u32> {
    let m = crate::model::Month::parse(month)?;
    let index = |y: i32, m0: u32| y as i64 * 12 + m0 as i64;
    Some((index(as_of.year(), as_of.month0()) - index(m.year(), m.month() - 1)).max(0) as u32)
}

/// Every table, from the kept findings (FINDING_COLUMNS) and notices.
pub fn build(findings: &DataFrame, notices: &DataFrame, as_of: NaiveDate) -> PolarsResult<Tables> {
    let f = || findings.clone().lazy();
    let mut t = Tables::default();

    let causes: Vec<&str> = Cause::ALL.iter().map(|c| c.as_str()).collect();
    let g = group(f(), &["cause", "status"])?;
    t.by_cause_status = texts(&g, "cause")?
        .into_iter()
        .zip(texts(&g, "status")?)
        .zip(read_measures(&g)?)
        .map(|((cause, status), m)| CauseStatus { cause, status, m })
        .collect();
    t.by_cause_status.sort_by(|a, b| {
        (rank(&causes, &a.cause.as_str()), rank(&STATUSES, &a.status.as_str()), &a.cause, &a.status).cmp(&(
            rank(&causes, &b.cause.as_str()),
            rank(&STATUSES, &b.status.as_str()),
            &b.cause,
            &b.status,
        ))
    });

    t.by_agency = keyed(f(), "agency_id")?;
    let mut regions: std::collections::BTreeMap<String, Measures> = Default::default();
    for a in &t.by_agency {
        *regions.entry(region(&a.key).to_string()).or_default() += &a.m;
    }
    t.by_region = regions.into_iter().map(|(key, m)| Keyed { key, m }).collect();
    t.by_month = keyed(f(), "month")?;
    t.by_basis = keyed(f(), "basis")?;

    // Bands of |amount| without `abs`: |x| < hi ⟺ −hi < x < hi; the first band that holds wins.
    let amount = || col("amount");
    let last = AMOUNT_BANDS.len() as u32 - 1;
    let band = AMOUNT_BANDS[..AMOUNT_BANDS.len() - 1].iter().enumerate().rev().fold(lit(last), |otherwise, (i, b)| {
        let hi = b.upper.expect("bounded");
        when(amount().gt(euros(-hi)).and(amount().lt(euros(hi)))).then(lit(i as u32)).otherwise(otherwise)
    });
    let direction = when(amount().lt(euros(0))).then(lit("underpaid")).otherwise(lit("overpaid"));
    let g = group(f().with_columns([band.alias("band"), direction.alias("direction")]), &["direction", "band"])?;
    let mut bands: Vec<BandRow> = texts(&g, "direction")?
        .into_iter()
        .zip(ints(&g, "band")?)
        .zip(read_measures(&g)?)
        .map(|((d, b), m)| BandRow {
            direction: if d == "underpaid" { "underpaid" } else { "overpaid" },
            band: AMOUNT_BANDS[b as usize],
            m,
        })
        .collect();
    bands.sort_by_key(|r| (r.direction != "overpaid", r.band.lower));
    t.by_amount_band = bands;

    t.time_bar = time_bar(findings, as_of)?;
    t.review_backlog = review_backlog(findings, as_of)?;
    t.notices_by_agency = notices_by_agency(notices)?;
    t.headline = headline(&t, notices)?;
    Ok(t)
}

fn time_bar(findings: &DataFrame, as_of: NaiveDate) -> PolarsResult<Vec<Horizon>> {
    let tbo = || col("time_barred_on").cast(DataType::Int32);
    let mut bucket = when(tbo().is_null()).then(lit(-2i32)).when(tbo().lt(lit(days(as_of)))).then(lit(-1i32));
    for n in HORIZONS {
        bucket = bucket.when(tbo().lt(lit(days(add_months(as_of, n))))).then(lit(n as i32));
    }
    let recoverable = col("status").eq(lit("claim")).or(col("status").eq(lit("review")));
    let g = findings
        .clone()
        .lazy()
        .filter(recoverable.and(col("amount").gt(euros(0))))
        .with_column(bucket.otherwise(lit(i32::MAX)).alias("bucket"))
        .group_by([col("bucket"), col("status")])
        .agg([len().alias("findings"), col("amount").sum().alias("amount")])
        .collect()?;
    let (bucket, status, n, amount) =
        (ints(&g, "bucket")?, texts(&g, "status")?, counts(&g, "findings")?, moneys(&g, "amount")?);
    let add = |h: &mut Horizon, i: usize| {
        let c = Count { findings: n[i], amount: amount[i] };
        if status[i] == "claim" {
            h.claim += c
        } else {
            h.review += c
        }
    };
    let mut past = Horizon {
        name: "already_past".into(),
        months: 0,
        from: None,
        until: as_of,
        claim: Count::default(),
        review: Count::default(),
    };
    (0..g.height()).filter(|&i| bucket[i] == -1).for_each(|i| add(&mut past, i));
    let mut rows = vec![past];
    for h in HORIZONS {
        let mut row = Horizon {
            name: format!("{h}_months"),
            months: h,
            from: Some(as_of),
            until: add_months(as_of, h),
            claim: Count::default(),
            review: Count::default(),
        };
        (0..g.height()).filter(|&i| (0..=h as i64).contains(&bucket[i])).for_each(|i| add(&mut row, i));
        rows.push(row);
    }
    Ok(rows)
}

fn review_backlog(findings: &DataFrame, as_of: NaiveDate) -> PolarsResult<Vec<AgeRow>> {
    let amount = || col("amount");
    let g = findings
        .clone()
        .lazy()
        .filter(col("status").eq(lit("review")))
        .group_by([col("month")])
        .agg([
            len().alias("findings"),
            col("seeker_id").n_unique().alias("seeker_months"),
            amount().sum().alias("amount"),
            amount().filter(amount().gt(euros(0))).sum().alias("overpaid"),
            amount().filter(amount().lt(euros(0))).sum().alias("underpaid"),
        ])
        .collect()?;
    let mut rows: Vec<AgeRow> = AGE_BANDS
        .iter()
        .map(|&band| AgeRow {
            band,
            findings: 0,
            seeker_months: 0,
            amount: Decimal::ZERO,
            overpaid: Decimal::ZERO,
            underpaid: Decimal::ZERO,
        })
        .collect();
    let (month, n, sm) = (texts(&g, "month")?, counts(&g, "findings")?, counts(&g, "seeker_months")?);
    let (amount, over, under) = (moneys(&g, "amount")?, moneys(&g, "overpaid")?, moneys(&g, "underpaid")?);
    for i in 0..g.height() {
        // An unreadable month (never written by a run) counts as the oldest.
        let age = age_in_months(&month[i], as_of).unwrap_or(u32::MAX) as i64;
        let r = rows.iter_mut().rev().find(|r| age >= r.band.lower).expect("the first band starts at 0");
        r.findings += n[i];
        r.seeker_months += sm[i];
        r.amount += amount[i];
        r.overpaid += over[i];
        r.underpaid += under[i];
    }
    Ok(rows)
}

/// The rows whose action sends a message tonight (nights.md §8.4).
pub(crate) fn sends_message() -> Expr {
    Action::ALL
        .iter()
        .filter(|a| a.sends_message())
        .map(|a| col("action").eq(lit(a.as_str())))
        .reduce(|a, b| a.or(b))
        .expect("some actions send a message")
}

fn notices_by_agency(notices: &DataFrame) -> PolarsResult<Vec<NoticeAgency>> {
    let message = sends_message;
    let channel = |c: &str| col("channel").eq(lit(c)).and(message()).cast(DataType::UInt64).sum();
    let mut aggs = vec![
        len().alias("notices"),
        col("seeker_id").filter(message()).n_unique().alias("seekers_notified"),
        channel("sms").alias("sms"),
        channel("phone").alias("phone"),
        col("net").sum().alias("net"),
    ];
    aggs.extend(
        Action::ALL.iter().map(|a| col("action").eq(lit(a.as_str())).cast(DataType::UInt64).sum().alias(a.as_str())),
    );
    let g = notices.clone().lazy().group_by([col("agency_id")]).agg(aggs).collect()?;
    let (agency, n, seekers) = (texts(&g, "agency_id")?, counts(&g, "notices")?, counts(&g, "seekers_notified")?);
    let (sms, phone, net) = (counts(&g, "sms")?, counts(&g, "phone")?, moneys(&g, "net")?);
    let by: Vec<Vec<u64>> = Action::ALL.iter().map(|a| counts(&g, a.as_str())).collect::<PolarsResult<_>>()?;
    let mut rows: Vec<NoticeAgency> = (0..g.height())
        .map(|i| NoticeAgency {
            agency_id: agency[i].clone(),
            notices: n[i],
            seekers_notified: seekers[i],
            sms: sms[i],
            phone: phone[i],
            net: net[i],
            by_action: std::array::from_fn(|a| by[a][i]),
        })
        .collect();
    rows.sort_by(|a, b| a.agency_id.cmp(&b.agency_id));
    Ok(rows)
}

fn headline(t: &Tables, notices: &DataFrame) -> PolarsResult<Headline> {
    let mut h = Headline::default();
    for r in &t.by_cause_status {
        h.findings += r.m.findings;
        h.amount += r.m.amount;
        if let Some(i) = STATUSES.iter().position(|s| *s == r.status) {
            h.by_status[i] += Count { findings: r.m.findings, amount: r.m.amount };
        }
    }
    for b in &t.by_amount_band {
        let c = Count { findings: b.m.findings, amount: b.m.amount };
        if b.direction == "overpaid" {
            h.overpaid += c;
        } else {
            h.underpaid += c;
        }
    }
    for a in &t.notices_by_agency {
        // Messages sent: a notice left unchanged or held is not sent again.
        h.notices += a.sms + a.phone;
        for (n, m) in h.by_action.iter_mut().zip(a.by_action) {
            *n += m;
        }
        h.sms += a.sms;
        h.phone += a.phone;
        h.notified_net += a.net;
    }
    let g =
        notices.clone().lazy().filter(sends_message()).select([col("seeker_id").n_unique().alias("n")]).collect()?;
    h.seekers_notified = counts(&g, "n")?.first().copied().unwrap_or(0);
    h.average_per_seeker = (h.seekers_notified > 0)
        .then(|| crate::recompute::round_cents(h.notified_net / Decimal::from(h.seekers_notified)));
    Ok(h)
}

// ---------------------------------------------------------------------------
// Writing: one generic table, as CSV and Parquet.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColKind {
    Text,
    Int,
    Money,
    Date,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Int(Option<u64>),
    Money(Option<Decimal>),
    Date(Option<NaiveDate>),
}

impl Cell {
    fn csv(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(v) => v.map(|v| v.to_string()).unwrap_or_default(),
            Cell::Money(v) => output::opt_money(*v),
            Cell::Date(v) => output::opt_date(*v),
        }
    }
}

pub struct Table {
    pub name: &'static str,
    pub columns: Vec<(&'static str, ColKind)>,
    pub rows: Vec<Vec<Cell>>,
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn int(v: u64) -> Cell {
    Cell::Int(Some(v))
}

fn money(v: Decimal) -> Cell {
    Cell::Money(Some(v))
}

/// The measures' columns: counts and sums, then one sum per status.
fn measure_columns() -> Vec<(&'static str, ColKind)> {
    let mut v = vec![
        ("findings", ColKind::Int),
        ("amount", ColKind::Money),
        ("overpaid", ColKind::Money),
        ("underpaid", ColKind::Money),
    ];
    v.extend(STATUSES.iter().map(|s| (*s, ColKind::Money)));
    v
}

fn measure_cells(m: &Measures) -> Vec<Cell> {
    let mut v = vec![int(m.findings), money(m.amount), money(m.overpaid), money(m.underpaid)];
    v.extend(m.by_status.iter().map(|s| money(*s)));
    v
}

fn keyed_table(name: &'static str, keys: Vec<(&'static str, ColKind)>, rows: Vec<(Vec<Cell>, &Measures)>) -> Table {
    let mut columns = keys;
    columns.extend(measure_columns());
    Table {
        name,
        columns,
        rows: rows
            .into_iter()
            .map(|(mut k, m)| {
                k.extend(measure_cells(m));
                k
            })
            .collect(),
    }
}

/// Every table of the report, in the order they are written.
pub fn all(t: &Tables) -> Vec<Table> {
    use ColKind::*;
    let mut out = vec![Table {
        name: "by_cause_status",
        columns: vec![
            ("cause", Text),
            ("status", Text),
            ("findings", Int),
            ("amount", Money),
            ("overpaid", Money),
            ("underpaid", Money),
        ],
        rows: t
            .by_cause_status
            .iter()
            .map(|r| {
                vec![
                    text(&r.cause),
                    text(&r.status),
                    int(r.m.findings),
                    money(r.m.amount),
                    money(r.m.overpaid),
                    money(r.m.underpaid),
                ]
            })
            .collect(),
    }];
    out.push(keyed_table(
        "by_agency",
        vec![("agency_id", Text), ("region", Text)],
        t.by_agency.iter().map(|r| (vec![text(&r.key), text(region(&r.key))], &r.m)).collect(),
    ));
    out.push(keyed_table(
        "by_region",
        vec![("region", Text)],
        t.by_region.iter().map(|r| (vec![text(&r.key)], &r.m)).collect(),
    ));
    out.push(keyed_table(
        "by_month",
        vec![("month", Text)],
        t.by_month.iter().map(|r| (vec![text(&r.key)], &r.m)).collect(),
    ));
    out.push(keyed_table(
        "by_amount_band",
        vec![("direction", Text), ("band", Text), ("lower", Money), ("upper", Money)],
        t.by_amount_band
            .iter()
            .map(|r| {
                let keys = vec![
                    text(r.direction),
                    text(r.band.label),
                    money(Decimal::from(r.band.lower)),
                    Cell::Money(r.band.upper.map(Decimal::from)),
                ];
                (keys, &r.m)
            })
            .collect(),
    ));
    out.push(keyed_table(
        "by_basis",
        vec![("basis", Text)],
        t.by_basis.iter().map(|r| (vec![text(&r.key)], &r.m)).collect(),
    ));
    out.push(Table {
        name: "notices_by_agency",
        columns: vec![
            ("agency_id", Text),
            ("region", Text),
            ("notices", Int),
            ("seekers_notified", Int),
            ("sms", Int),
            ("phone", Int),
            ("calls_to_expect", Int),
            ("net", Money),
        ]
        .into_iter()
        .chain(Action::ALL.iter().map(|a| (a.as_str(), Int)))
        .collect(),
        rows: t
            .notices_by_agency
            .iter()
            .map(|r| {
                let mut row = vec![
                    text(&r.agency_id),
                    text(region(&r.agency_id)),
                    int(r.notices),
                    int(r.seekers_notified),
                    int(r.sms),
                    int(r.phone),
                    int(r.calls_to_expect()),
                    money(r.net),
                ];
                row.extend(r.by_action.iter().map(|&n| int(n)));
                row
            })
            .collect(),
    });
    out.push(Table {
        name: "time_bar_horizon",
        columns: vec![
            ("horizon", Text),
            ("from", Date),
            ("until", Date),
            ("claim_findings", Int),
            ("claim_amount", Money),
            ("review_findings", Int),
            ("review_amount", Money),
            ("findings", Int),
            ("amount", Money),
        ],
        rows: t
            .time_bar
            .iter()
            .map(|h| {
                vec![
                    text(&h.name),
                    Cell::Date(h.from),
                    Cell::Date(Some(h.until)),
                    int(h.claim.findings),
                    money(h.claim.amount),
                    int(h.review.findings),
                    money(h.review.amount),
                    int(h.claim.findings + h.review.findings),
                    money(h.claim.amount + h.review.amount),
                ]
            })
            .collect(),
    });
    out.push(Table {
        name: "review_backlog",
        columns: vec![
            ("age", Text),
            ("months_from", Int),
            ("months_to", Int),
            ("findings", Int),
            ("seeker_months", Int),
            ("amount", Money),
            ("overpaid", Money),
            ("underpaid", Money),
        ],
        rows: t
            .review_backlog
            .iter()
            .map(|r| {
                vec![
                    text(r.band.label),
                    int(r.band.lower as u64),
                    Cell::Int(r.band.upper.map(|u| u as u64)),
                    int(r.findings),
                    int(r.seeker_months),
                    money(r.amount),
                    money(r.overpaid),
                    money(r.underpaid),
                ]
            })
            .collect(),
    });
    out.push(summary_table(t));
    out
}

fn summary_table(t: &Tables) -> Table {
    let h = &t.headline;
    let row = |figure: &str, count: Option<u64>, amount: Option<Decimal>| {
        vec![text(figure), Cell::Int(count), Cell::Money(amount)]
    };
    let mut rows = vec![
        row("findings", Some(h.findings), Some(h.amount)),
        row("overpaid", Some(h.overpaid.findings), Some(h.overpaid.amount)),
        row("underpaid", Some(h.underpaid.findings), Some(h.underpaid.amount)),
    ];
    for (s, c) in STATUSES.iter().zip(&h.by_status) {
        rows.push(row(s, Some(c.findings), Some(c.amount)));
    }
    rows.push(row("notices", Some(h.notices), Some(h.notified_net)));
    rows.push(row("notices_sms", Some(h.sms), None));
    rows.push(row("notices_phone", Some(h.phone), None));
    rows.push(row("calls_to_expect", Some(h.sms), None));
    rows.push(row("seekers_notified", Some(h.seekers_notified), Some(h.notified_net)));
    rows.push(row("average_per_notified_seeker", None, h.average_per_seeker));
    for hz in t.time_bar.iter().filter(|h| h.months > 0) {
        rows.push(row(
            &format!("time_barred_within_{}", hz.name),
            Some(hz.claim.findings + hz.review.findings),
            Some(hz.claim.amount + hz.review.amount),
        ));
    }
    Table {
        name: "summary",
        columns: vec![("figure", ColKind::Text), ("count", ColKind::Int), ("amount", ColKind::Money)],
        rows,
    }
}

fn cents(d: Decimal) -> i128 {
    let d = crate::recompute::round_cents(d);
    d.mantissa() * 10i128.pow(2 - d.scale().min(2))
}

fn to_frame(t: &Table) -> PolarsResult<DataFrame> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid");
    let columns = t
        .columns
        .iter()
        .enumerate()
        .map(|(j, (name, kind))| -> PolarsResult<Column> {
            let cells = t.rows.iter().map(|r| &r[j]);
            let name: PlSmallStr = (*name).into();
            Ok(match kind {
                ColKind::Text => {
                    let v: Vec<&str> = cells.map(|c| if let Cell::Text(s) = c { s.as_str() } else { "" }).collect();
                    Column::new(name, v)
                }
                ColKind::Int => {
                    let ca: Int64Chunked =
                        cells.map(|c| if let Cell::Int(v) = c { v.map(|v| v as i64) } else { None }).collect();
                    ca.with_name(name).into_series().into()
                }
                ColKind::Money => {
                    let ca: Int128Chunked =
                        cells.map(|c| if let Cell::Money(v) = c { v.map(cents) } else { None }).collect();
                    ca.with_name(name).into_decimal(18, 2)?.into_series().into()
                }
                ColKind::Date => {
                    let ca: Int32Chunked = cells
                        .map(|c| if let Cell::Date(v) = c { v.map(|d| (d - epoch).num_days() as i32) } else { None })
                        .collect();
                    ca.with_name(name).into_date().into_series().into()
                }
            })
        })
        .collect::<PolarsResult<Vec<_>>>()?;
    DataFrame::new_infer_height(columns)
}

/// Writes a CSV file as data.md's outputs are (`,`, `\n` line ends, quoted
/// only when needed) and hashes it.
pub(crate) fn write_csv<I, R>(dir: &Path, file: &str, header: &[&str], rows: I) -> Result<Written, Error>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator,
    R::Item: AsRef<[u8]>,
{
    let path = dir.join(file);
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    w.write_record(header).map_err(|e| Error::output(&path, e))?;
    let mut n = 0u64;
    for r in rows {
        w.write_record(r).map_err(|e| Error::output(&path, e))?;
        n += 1;
    }
    let bytes = w.into_inner().map_err(|e| Error::output(&path, e))?;
    output::write_file(&path, &bytes)?;
    Ok(Written { file: file.to_string(), sha256: crate::util::hex(&Sha256::digest(&bytes)), rows: n })
}

/// Writes `NAME.csv` and `NAME.parquet`.
pub(crate) fn write_table(dir: &Path, t: &Table) -> Result<[Written; 2], Error> {
    let header: Vec<&str> = t.columns.iter().map(|(c, _)| *c).collect();
    let csv = write_csv(dir, &format!("{}.csv", t.name), &header, t.rows.iter().map(|r| r.iter().map(Cell::csv)))?;
    let file = format!("{}.parquet", t.name);
    let path = dir.join(&file);
    let mut df = to_frame(t).map_err(|e| Error::output(&path, e))?;
    let mut buf = Cursor::new(Vec::new());
    ParquetWriter::new(&mut buf).finish(&mut df).map_err(|e| Error::output(&path, e))?;
    let bytes = buf.into_inner();
    output::write_file(&path, &bytes)?;
    let parquet = Written { file, sha256: crate::util::hex(&Sha256::digest(&bytes)), rows: t.rows.len() as u64 };
    Ok([csv, parquet])
}

/// Writes every table; returns the files written.
pub(crate) fn write_all(dir: &Path, report: &Report) -> Result<Vec<Written>, Error> {
    let mut out = Vec::new();
    for t in all(&report.tables) {
        out.extend(write_table(dir, &t)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn ages_and_regions() {
        assert_eq!(age_in_months("2024-03", d("2024-04-15")), Some(1));
        assert_eq!(age_in_months("2024-04", d("2024-04-15")), Some(0));
        assert_eq!(age_in_months("2024-05", d("2024-04-15")), Some(0));
        assert_eq!(age_in_months("2021-03", d("2024-06-01")), Some(39));
        assert_eq!(region("ARA-069-LYON3"), "ARA");
        assert_eq!(region(""), "");
        assert_eq!(add_months(d("2024-01-31"), 1), d("2024-02-29"));
    }
}
