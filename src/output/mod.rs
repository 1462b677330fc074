//! Outputs of a run (data.md, Outputs): the rows of findings, entitlements,
//! notices, agencies and rejects, written as CSV (and Parquet for findings and
//! entitlements) into a temporary folder that replaces `--out` only when
//! everything is written.

pub(crate) mod durable;
pub mod folder;
pub mod frames;
pub mod manifest;
pub mod parquet;
pub(crate) mod read;
pub(crate) mod rows;
pub(crate) mod spill;

pub(crate) use folder::{FolderKind, Staging};

use std::fmt::{self, Write as _};
use std::fs;
use std::io::Write;
use std::path::Path;

use rayon::prelude::*;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::model::{Id, Month};
use crate::reconcile::{Cause, Status};
use crate::status::{Action, Channel};
use crate::util::hex;
use durable::DurableFile;

/// `--outputs`: which files a run writes. The nightly job needs what the
/// next night reads back (`--previous`: findings and notices) and what it
/// sends or files (changes, agency briefings, rejects); the per-month
/// recomputation (`entitlements.csv` and `.parquet`, 223 MB of the 1M
/// month's 257 MB) is for auditors and analysts (`indus report` reads it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputSet {
    /// Every output (the default).
    #[default]
    All,
    /// Every output but the entitlements. The entitlement rows are still
    /// built and checked, so a night fails on what a complete run fails on.
    Nightly,
}

impl OutputSet {
    pub fn as_str(self) -> &'static str {
        match self {
            OutputSet::All => "all",
            OutputSet::Nightly => "nightly",
        }
    }

    pub fn writes_entitlements(self) -> bool {
        match self {
            OutputSet::All => true,
            OutputSet::Nightly => false,
        }
    }

    /// A manifest names the set only when it is not the default, so that a
    /// complete run's manifest is the bytes it was before the option.
    pub(crate) fn is_all(&self) -> bool {
        *self == OutputSet::All
    }
}

impl std::str::FromStr for OutputSet {
    type Err = String;

    fn from_str(s: &str) -> Result<OutputSet, String> {
        match s {
            "all" => Ok(OutputSet::All),
            "nightly" => Ok(OutputSet::Nightly),
            _ => Err(format!(
                "`{s}` is not a set of outputs: `all` (every file) or `nightly` (every file but entitlements.csv and entitlements.parquet)"
            )),
        }
    }
}

/// Money as data.md writes it: exactly two decimals, `-` when negative.
pub fn money(d: Decimal) -> String {
    let mut s = String::with_capacity(12);
    push_money(&mut s, d);
    s
}

pub(crate) fn opt_money(d: Option<Decimal>) -> String {
    d.map(money).unwrap_or_default()
}

pub(crate) fn opt_date(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// One row of findings.csv.
#[derive(Clone, Debug, PartialEq)]
pub struct FindingRow {
    pub finding_id: String,
    pub seeker_id: Id,
    pub agency_id: Id,
    pub right_id: Id,
    pub month: Month,
    pub cause: Cause,
    pub amount: Decimal,
    pub status: Status,
    pub basis: &'static str,
    pub time_barred_on: Option<NaiveDate>,
    pub evidence: String,
    pub rule_set: String,
}

pub(crate) const FINDINGS_HEADER: &[&str] = &[
    "finding_id",
    "seeker_id",
    "agency_id",
    "right_id",
    "month",
    "cause",
    "amount",
    "status",
    "basis",
    "time_barred_on",
    "evidence",
    "rule_set",
];

/// One row of entitlements.csv, its figures as the file writes them
/// ([`Fixed`]: a million of these rows are kept until written, and a
/// `Decimal` takes twice the room).
#[derive(Clone, Debug, PartialEq)]
pub struct EntitlementRow {
    pub seeker_id: Id,
    pub agency_id: Id,
    pub right_id: Id,
    pub month: Month,
    pub basis: &'static str,
    pub aj: Fixed,
    pub degressive_rate: Fixed,
    pub paid_rate: Fixed,
    pub w: Option<i64>,
    pub w_prime: Option<i64>,
    pub e_declared: Fixed,
    pub e_attested: Fixed,
    /// In thousandths.
    pub a: Fixed,
    pub days_due: Option<i64>,
    pub ceiling_applied: Option<bool>,
    pub due: Fixed,
    pub paid: Fixed,
    pub duplicates: Fixed,
    pub f: [Fixed; 6],
    pub delta: Fixed,
    pub ambiguous: bool,
    pub held: bool,
}

/// A figure as the outputs write it: a whole number of hundredths (of
/// thousandths for `a`), rounded half away from zero; [`Fixed::EMPTY`] where
/// it does not apply. Every figure the outputs can hold fits: their Parquet
/// Decimal(18, 2) stops below 10^16 €, an i64 of cents at 9.2 × 10^16 €.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fixed(i64);

impl Fixed {
    pub(crate) const EMPTY: Fixed = Fixed(i64::MIN);

    /// A figure from its units (what [`Fixed::get`] gives back).
    pub(crate) fn from_units(units: i64) -> Fixed {
        Fixed(units)
    }

    /// `d` in units of 10^-places, or `None` beyond 18 digits (no output
    /// could hold it).
    pub fn new(d: Decimal, places: u32) -> Option<Fixed> {
        let units = fixed_units(d, places);
        (units.unsigned_abs() < 10u128.pow(18)).then_some(Fixed(units as i64))
    }

    /// The figure in units, `None` when empty.
    pub fn get(self) -> Option<i64> {
        (self != Fixed::EMPTY).then_some(self.0)
    }
}

pub(crate) const ENTITLEMENTS_HEADER: &[&str] = &[
    "seeker_id",
    "agency_id",
    "right_id",
    "month",
    "basis",
    "aj",
    "degressive_rate",
    "paid_rate",
    "w",
    "w_prime",
    "e_declared",
    "e_attested",
    "a",
    "days_due",
    "ceiling_applied",
    "due",
    "paid",
    "duplicates",
    "f0",
    "f1",
    "f2",
    "f3",
    "f4",
    "f5",
    "delta",
    "ambiguous",
    "held",
];

/// One row of notices.csv: a seeker's notice tonight and what it does
/// compared with the previous night's (nights.md §8.4).
#[derive(Clone, Debug, PartialEq)]
pub struct NoticeRow {
    pub seeker_id: Id,
    pub agency_id: Id,
    pub net: Decimal,
    pub channel: Channel,
    pub notified_on: NaiveDate,
    /// Empty while a `held` notice is suspended and once `withdrawn`.
    pub formal_notice_on: Option<NaiveDate>,
    pub finding_ids: String,
    pub action: Action,
    pub previous_net: Option<Decimal>,
    pub previous_formal_notice_on: Option<NaiveDate>,
}

pub(crate) const NOTICES_HEADER: &[&str] = &[
    "seeker_id",
    "agency_id",
    "net",
    "channel",
    "notified_on",
    "formal_notice_on",
    "finding_ids",
    "action",
    "previous_net",
    "previous_formal_notice_on",
];

#[derive(Clone, Debug, Default, PartialEq)]
pub struct AgencyRow {
    pub agency_id: String,
    /// Notices with a message tonight, and those by channel.
    pub seekers_notified: u64,
    pub sms: u64,
    pub phone: u64,
    pub calls_to_expect: u64,
    pub claimed: Decimal,
    pub owed: Decimal,
    pub offset: Decimal,
    pub review: Decimal,
    pub time_barred: Decimal,
    pub written_off: Decimal,
    pub contested: Decimal,
    /// Notices by action, in [`AGENCY_ACTIONS`] order.
    pub actions: [u64; 7],
}

/// The order of the action counts at the end of agencies.csv (nights.md §8.4).
pub(crate) const AGENCY_ACTIONS: [Action; 7] = [
    Action::First,
    Action::Increased,
    Action::Decreased,
    Action::Withdrawn,
    Action::Unchanged,
    Action::Held,
    Action::Resumed,
];

impl AgencyRow {
    /// The sums by status, as agencies.csv names and orders its columns.
    pub fn sums(&self) -> [(&'static str, Decimal); 7] {
        [
            ("claimed", self.claimed),
            ("owed", self.owed),
            ("offset", self.offset),
            ("review", self.review),
            ("time_barred", self.time_barred),
            ("written_off", self.written_off),
            ("contested", self.contested),
        ]
    }

    /// Adds a finding's amount to the sum of its status.
    pub(crate) fn add_finding(&mut self, status: Status, amount: Decimal) {
        let sum = match status {
            Status::Claim => &mut self.claimed,
            Status::Owed => &mut self.owed,
            Status::Offset => &mut self.offset,
            Status::Review => &mut self.review,
            Status::TimeBarred => &mut self.time_barred,
            Status::WrittenOff => &mut self.written_off,
            Status::Contested => &mut self.contested,
        };
        *sum += amount;
    }

    /// Counts a notice by action, and by channel when it sends a message tonight.
    pub(crate) fn add_notice(&mut self, action: Action, channel: Channel) {
        let i = AGENCY_ACTIONS.iter().position(|&a| a == action).expect("every action has a column");
        self.actions[i] += 1;
        if action.sends_message() {
            self.seekers_notified += 1;
            match channel {
                Channel::Phone => self.phone += 1,
                Channel::Sms => {
                    self.sms += 1;
                    // SMS recipients call their agency back (rules.md §6).
                    self.calls_to_expect += 1;
                }
            }
        }
    }
}

/// One row of changes.csv: a finding compared with the previous night's (nights.md §8.3).
#[derive(Clone, Debug, PartialEq)]
pub struct ChangeRow {
    pub seeker_id: Id,
    pub month: Month,
    pub cause: Cause,
    pub change: Change,
    pub previous: Option<(Decimal, Status)>,
    pub current: Option<(Decimal, Status)>,
    pub evidence_added: String,
    pub evidence_removed: String,
}

/// How a finding changed since the previous night.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Change {
    New,
    Unchanged,
    Revised,
    Withdrawn,
}

impl Change {
    pub const ALL: [Change; 4] = [Change::New, Change::Unchanged, Change::Revised, Change::Withdrawn];

    pub fn as_str(self) -> &'static str {
        match self {
            Change::New => "new",
            Change::Unchanged => "unchanged",
            Change::Revised => "revised",
            Change::Withdrawn => "withdrawn",
        }
    }
}

pub(crate) const CHANGES_HEADER: &[&str] = &[
    "seeker_id",
    "month",
    "cause",
    "change",
    "previous_amount",
    "previous_status",
    "amount",
    "status",
    "evidence_added",
    "evidence_removed",
];

pub(crate) const AGENCIES_HEADER: &[&str] = &[
    "agency_id",
    "seekers_notified",
    "sms",
    "phone",
    "calls_to_expect",
    "claimed",
    "owed",
    "offset",
    "review",
    "time_barred",
    "written_off",
    "contested",
    "first",
    "increased",
    "decreased",
    "withdrawn",
    "unchanged",
    "held",
    "resumed",
];

pub(crate) const REJECTS_HEADER: &[&str] = &["file", "line", "record_id", "column", "code", "message"];

/// Appends one CSV record to a line, field by field: the international
/// dialect of data.md, written by hand because a million-row output spends
/// most of its time formatting numbers.
pub(crate) struct CsvLine<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> CsvLine<'a> {
    pub fn new(out: &'a mut String) -> Self {
        CsvLine { out, first: true }
    }

    fn sep(&mut self) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
    }

    /// Text, quoted when it holds a separator, a quote or a line break.
    pub fn text(&mut self, s: &str) -> &mut Self {
        self.sep();
        if s.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
            self.out.push('"');
            self.out.push_str(&s.replace('"', "\"\""));
            self.out.push('"');
        } else {
            self.out.push_str(s);
        }
        self
    }

    pub fn display(&mut self, v: impl fmt::Display) -> &mut Self {
        self.sep();
        let _ = write!(self.out, "{v}");
        self
    }

    /// Exactly two decimals, `-` when negative, never `-0.00`.
    pub fn money(&mut self, d: Decimal) -> &mut Self {
        self.sep();
        push_money(self.out, d);
        self
    }

    pub(crate) fn opt_money(&mut self, d: Option<Decimal>) -> &mut Self {
        match d {
            Some(d) => self.money(d),
            None => self.text(""),
        }
    }

    pub fn int(&mut self, v: i64) -> &mut Self {
        self.sep();
        if v < 0 {
            self.out.push('-');
        }
        push_u64(self.out, v.unsigned_abs());
        self
    }

    pub(crate) fn opt_int(&mut self, v: Option<i64>) -> &mut Self {
        match v {
            Some(v) => self.int(v),
            None => self.text(""),
        }
    }

    pub(crate) fn boolean(&mut self, v: bool) -> &mut Self {
        self.text(if v { "true" } else { "false" })
    }

    pub(crate) fn opt_boolean(&mut self, v: Option<bool>) -> &mut Self {
        match v {
            Some(v) => self.boolean(v),
            None => self.text(""),
        }
    }

    /// `YYYY-MM`.
    pub fn month(&mut self, m: Month) -> &mut Self {
        self.sep();
        push_padded(self.out, m.year() as u64, 4);
        self.out.push('-');
        push_padded(self.out, m.month() as u64, 2);
        self
    }

    /// A [`Fixed`] figure with exactly `places` decimals; empty when empty.
    pub fn fixed(&mut self, f: Fixed, places: u32) -> &mut Self {
        match f.get() {
            Some(units) => {
                self.sep();
                push_units(self.out, units as i128, places);
                self
            }
            None => self.text(""),
        }
    }

    pub(crate) fn opt_display(&mut self, v: Option<impl fmt::Display>) -> &mut Self {
        match v {
            Some(v) => self.display(v),
            None => self.text(""),
        }
    }
}

/// Appends money with exactly two decimals.
pub(crate) fn push_money(out: &mut String, d: Decimal) {
    push_fixed(out, d, 2)
}

/// `d` as a whole number of 10^-places, rounded half away from zero.
pub(crate) fn fixed_units(d: Decimal, places: u32) -> i128 {
    let (m, scale) = (d.mantissa(), d.scale());
    if scale <= places {
        return m * 10i128.pow(places - scale);
    }
    // Rounded on the mantissa: rust_decimal's general rounding cost 2 % of
    // a run, for the 20 figures of every seeker-month; 64-bit division, where
    // it fits (always, in practice), is several times faster than 128-bit.
    let unit = 10i128.pow(scale - places);
    let (q, r) = match (i64::try_from(m), i64::try_from(unit)) {
        (Ok(m), Ok(unit)) => (i128::from(m / unit), i128::from(m % unit)),
        _ => (m / unit, m % unit),
    };
    if r.unsigned_abs() * 2 >= unit.unsigned_abs() {
        q + m.signum()
    } else {
        q
    }
}

/// Appends a decimal with exactly `places` decimals, rounded half away from
/// zero, `-` when negative and never `-0`.
fn push_fixed(out: &mut String, d: Decimal, places: u32) {
    push_units(out, fixed_units(d, places), places)
}

/// Appends a whole number of 10^-places with exactly `places` decimals.
fn push_units(out: &mut String, units: i128, places: u32) {
    // Money and `a` (2 and 3 places) in 64 bits: nearly every figure written.
    if let (Ok(a), 2 | 3) = (u64::try_from(units.unsigned_abs()), places) {
        return push_small_units(out, a, units < 0, places);
    }
    push_units_general(out, units, places)
}

/// [`push_units`] of `a` 10^-places (2 or 3), written right to left into a
/// buffer and appended once: the whole part, the point and the decimals
/// were three appends, 2.8 % of a run's CPU for 17 figures a row.
fn push_small_units(out: &mut String, a: u64, negative: bool, places: u32) {
    let pair = |v: u64| [DIGIT_PAIRS[v as usize * 2], DIGIT_PAIRS[v as usize * 2 + 1]];
    // A sign, 20 digits, a point and 3 decimals at most.
    let mut buf = [0u8; 25];
    let mut i = buf.len();
    let mut v = a;
    if places == 3 {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    i -= 2;
    buf[i..i + 2].copy_from_slice(&pair(v % 100));
    v /= 100;
    i -= 1;
    buf[i] = b'.';
    while v >= 100 {
        i -= 2;
        buf[i..i + 2].copy_from_slice(&pair(v % 100));
        v /= 100;
    }
    if v >= 10 {
        i -= 2;
        buf[i..i + 2].copy_from_slice(&pair(v));
    } else {
        i -= 1;
        buf[i] = b'0' + v as u8;
    }
    if negative {
        i -= 1;
        buf[i] = b'-';
    }
    // SAFETY: only ASCII digits, `.` and `-` were written.
    out.push_str(unsafe { std::str::from_utf8_unchecked(&buf[i..]) });
}

/// [`push_units`] of any figure and number of places.
fn push_units_general(out: &mut String, units: i128, places: u32) {
    if units < 0 {
        out.push('-');
    }
    let a = units.unsigned_abs();
    // Every figure an output holds fits in 64 bits: 128-bit division is
    // several times slower, and this runs for every figure of every row.
    if let (Ok(a), Some(unit)) = (u64::try_from(a), 10u64.checked_pow(places)) {
        push_u64(out, a / unit);
        out.push('.');
        push_padded(out, a % unit, places as usize);
        return;
    }
    let unit = 10u128.pow(places);
    let _ = write!(out, "{}", a / unit);
    out.push('.');
    push_padded(out, (a % unit) as u64, places as usize);
}

/// The decimal digits of 0 to 99, two by two.
const DIGIT_PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Appends `v` with at least `width` digits (at most 20), zero-padded.
fn push_padded(out: &mut String, v: u64, width: usize) {
    let digits = v.checked_ilog10().map_or(1, |l| l as usize + 1);
    let n = digits.max(width.min(20));
    // SAFETY: only ASCII digits are written, which keeps `out` UTF-8.
    let bytes = unsafe { out.as_mut_vec() };
    bytes.reserve(n);
    let len = bytes.len();
    // Written in place from the last digit, two digits a division: a copy
    // through a buffer was a call to memmove for every figure.
    let spare = &mut bytes.spare_capacity_mut()[..n];
    let (mut i, mut v) = (n, v);
    while v >= 100 {
        let pair = (v % 100) as usize * 2;
        v /= 100;
        i -= 2;
        spare[i].write(DIGIT_PAIRS[pair]);
        spare[i + 1].write(DIGIT_PAIRS[pair + 1]);
    }
    if v >= 10 {
        i -= 2;
        spare[i].write(DIGIT_PAIRS[v as usize * 2]);
        spare[i + 1].write(DIGIT_PAIRS[v as usize * 2 + 1]);
    } else {
        i -= 1;
        spare[i].write(b'0' + v as u8);
    }
    for pad in &mut spare[..i] {
        pad.write(b'0');
    }
    // SAFETY: the `n` bytes after `len` were all written above.
    unsafe { bytes.set_len(len + n) };
}

/// Appends an integer in decimal without going through `fmt`.
fn push_u64(out: &mut String, v: u64) {
    push_padded(out, v, 1)
}

/// A row of an output CSV file.
pub(crate) trait CsvRow {
    fn write(&self, line: &mut CsvLine);

    /// The row's fields as the file has them (what `explain` shows).
    fn fields(&self) -> Vec<String> {
        let mut s = String::new();
        self.write(&mut CsvLine::new(&mut s));
        let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(s.as_bytes());
        r.records().next().and_then(|r| r.ok()).map(|r| r.iter().map(str::to_string).collect()).unwrap_or_default()
    }
}

impl CsvRow for FindingRow {
    fn write(&self, l: &mut CsvLine) {
        l.text(&self.finding_id)
            .text(&self.seeker_id)
            .text(&self.agency_id)
            .text(&self.right_id)
            .month(self.month)
            .text(self.cause.as_str())
            .money(self.amount)
            .text(self.status.as_str())
            .text(self.basis)
            .opt_display(self.time_barred_on)
            .text(&self.evidence)
            .text(&self.rule_set);
    }
}

impl CsvRow for EntitlementRow {
    fn write(&self, l: &mut CsvLine) {
        l.text(&self.seeker_id)
            .text(&self.agency_id)
            .text(&self.right_id)
            .month(self.month)
            .text(self.basis)
            .fixed(self.aj, 2)
            .fixed(self.degressive_rate, 2)
            .fixed(self.paid_rate, 2)
            .opt_int(self.w)
            .opt_int(self.w_prime)
            .fixed(self.e_declared, 2)
            .fixed(self.e_attested, 2)
            .fixed(self.a, 3)
            .opt_int(self.days_due)
            .opt_boolean(self.ceiling_applied)
            .fixed(self.due, 2)
            .fixed(self.paid, 2)
            .fixed(self.duplicates, 2);
        for f in self.f {
            l.fixed(f, 2);
        }
        l.fixed(self.delta, 2).boolean(self.ambiguous).boolean(self.held);
    }
}

impl CsvRow for NoticeRow {
    fn write(&self, l: &mut CsvLine) {
        l.text(&self.seeker_id)
            .text(&self.agency_id)
            .money(self.net)
            .text(self.channel.as_str())
            .display(self.notified_on)
            .opt_display(self.formal_notice_on)
            .text(&self.finding_ids)
            .text(self.action.as_str())
            .opt_money(self.previous_net)
            .opt_display(self.previous_formal_notice_on);
    }
}

impl CsvRow for ChangeRow {
    fn write(&self, l: &mut CsvLine) {
        l.text(&self.seeker_id).month(self.month).text(self.cause.as_str()).text(self.change.as_str());
        for side in [self.previous, self.current] {
            l.opt_money(side.map(|s| s.0)).text(side.map_or("", |s| s.1.as_str()));
        }
        l.text(&self.evidence_added).text(&self.evidence_removed);
    }
}

impl CsvRow for AgencyRow {
    fn write(&self, l: &mut CsvLine) {
        l.text(&self.agency_id)
            .display(self.seekers_notified)
            .display(self.sms)
            .display(self.phone)
            .display(self.calls_to_expect);
        for (_, sum) in self.sums() {
            l.money(sum);
        }
        for n in self.actions {
            l.display(n);
        }
    }
}

impl CsvRow for crate::validate::Reject {
    fn write(&self, l: &mut CsvLine) {
        l.text(&self.file)
            .display(self.line)
            .text(&self.record_id)
            .text(&self.column)
            .text(self.code.as_str())
            .text(&self.message);
    }
}

/// Output rows kept in the chunks the parallel stage produced them in (in
/// seeker order): concatenating a million rows would copy them all once more.
#[derive(Clone, Debug, PartialEq)]
pub struct Chunked<T>(pub Vec<Vec<T>>);

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked(Vec::new())
    }
}

impl<T> Chunked<T> {
    pub fn iter(&self) -> impl Iterator<Item = &T> + Clone {
        self.0.iter().flatten()
    }

    pub fn len(&self) -> usize {
        self.0.iter().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(Vec::is_empty)
    }

    /// The rows `start..end` (in output order) across the chunks.
    pub fn range(&self, start: usize, end: usize) -> impl Iterator<Item = &T> {
        self.iter().skip(start).take(end - start)
    }

    /// The chunks as slices, for [`write_csv`].
    pub(crate) fn parts(&self) -> Vec<&[T]> {
        self.0.iter().map(Vec::as_slice).collect()
    }
}

impl<T> From<Vec<T>> for Chunked<T> {
    fn from(v: Vec<T>) -> Self {
        Chunked(vec![v])
    }
}

/// A file written into the staging folder: its name, SHA-256 and row count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    pub file: String,
    pub sha256: String,
    pub rows: u64,
}

/// Writes a CSV file (international dialect, `\n` line ends) and hashes it.
/// Rows are formatted in parallel chunks and joined in order.
pub(crate) fn write_csv<R: CsvRow + Sync>(
    dir: &Path,
    file: &str,
    header: &[&str],
    parts: &[&[R]],
) -> Result<Written, Error> {
    write_csv_in_windows(dir, file, header, parts, 16_384, 16)
}

/// [`write_csv`] with a given chunk size (rows) and window (chunks formatted
/// in parallel before writing); tests use small ones.
fn write_csv_in_windows<R: CsvRow + Sync>(
    dir: &Path,
    file: &str,
    header: &[&str],
    parts: &[&[R]],
    chunk_rows: usize,
    window_chunks: usize,
) -> Result<Written, Error> {
    let mut out = CsvStream::create(dir, file, header)?;
    out.put_rows_in_windows(parts, chunk_rows, window_chunks)?;
    out.finish()
}

/// A scratch CSV file of a partitioned run (rows it reads back at its end):
/// the same text as [`write_csv`]'s, neither hashed nor synced to disk (it
/// dies with the run: a hundred syncs were a second of the 10M month).
pub(crate) fn write_scratch_csv<R: CsvRow + Sync>(
    dir: &Path,
    file: &str,
    header: &[&str],
    parts: &[&[R]],
) -> Result<(), Error> {
    let mut out = CsvStream::scratch(dir, file, header)?;
    out.put_rows(parts)?;
    out.file.flush().map_err(|e| Error::output(&out.path, e))
}

/// A CSV output written a batch of lines at a time: [`write_csv`]'s, and a
/// partitioned run's merge, which has its rows a row group at a time.
pub(crate) struct CsvStream {
    path: std::path::PathBuf,
    file: std::io::BufWriter<DurableFile>,
    /// None for a scratch file.
    hasher: Option<Sha256>,
    rows: u64,
}

impl CsvStream {
    pub(crate) fn create(dir: &Path, file: &str, header: &[&str]) -> Result<Self, Error> {
        let path = dir.join(file);
        let mut s = CsvStream { file: durable::create(&path)?, path, hasher: Some(Sha256::new()), rows: 0 };
        let head = format!("{}\n", header.join(","));
        s.put(head.as_bytes())?;
        Ok(s)
    }

    /// A scratch file: neither hashed nor written back to disk early.
    fn scratch(dir: &Path, file: &str, header: &[&str]) -> Result<Self, Error> {
        let mut s = CsvStream::create(dir, file, header)?;
        s.hasher = None;
        s.file.get_mut().scratch();
        Ok(s)
    }

    fn put(&mut self, bytes: &[u8]) -> Result<(), Error> {
        if let Some(h) = &mut self.hasher {
            h.update(bytes);
        }
        self.file.write_all(bytes).map_err(|e| Error::output(&self.path, e))
    }

    /// The lines of `rows`, formatted on any thread, for [`CsvStream::put_lines`].
    pub(crate) fn lines<R: CsvRow>(rows: &[R]) -> String {
        let mut s = String::new();
        for (i, r) in rows.iter().enumerate() {
            r.write(&mut CsvLine::new(&mut s));
            s.push('\n');
            if i == 0 {
                // Rows of a file are of a size: one sizes the text.
                s.reserve(s.len() * rows.len() * 9 / 8);
            }
        }
        s
    }

    /// Appends `parts`' rows, formatted in parallel chunks.
    pub(crate) fn put_rows<R: CsvRow + Sync>(&mut self, parts: &[&[R]]) -> Result<(), Error> {
        self.put_rows_in_windows(parts, 16_384, 16)
    }

    /// [`CsvStream::put_rows`] with a given chunk size (rows) and window
    /// (chunks formatted in parallel before writing); tests use small ones.
    fn put_rows_in_windows<R: CsvRow + Sync>(
        &mut self,
        parts: &[&[R]],
        chunk_rows: usize,
        window_chunks: usize,
    ) -> Result<(), Error> {
        // Rows are formatted in parallel a window of chunks at a time, then
        // hashed and written in order: the text of a million rows is never all
        // in memory, and each window reuses the memory the last one freed.
        let chunks: Vec<&[R]> = parts.iter().flat_map(|p| p.chunks(chunk_rows)).collect();
        let format = |window: &[&[R]]| -> Vec<(String, usize)> {
            window.par_iter().map(|chunk| (CsvStream::lines(chunk), chunk.len())).collect()
        };
        // A window is hashed and written while the next one is formatted: the
        // hash and the write are one thread's, and would leave the other core idle.
        let mut windows = chunks.chunks(window_chunks);
        let mut ready = windows.next().map(format).unwrap_or_default();
        loop {
            let next = windows.next();
            let (written, formatted) = rayon::join(
                || ready.iter().try_for_each(|(text, rows)| self.put_lines(text, *rows)),
                || next.map(format),
            );
            written?;
            match formatted {
                Some(f) => ready = f,
                None => return Ok(()),
            }
        }
    }

    /// Appends `rows`, and writes them also to a new scratch file (`file`
    /// in `dir`, with `header`; neither hashed nor synced), formatted once.
    pub(crate) fn put_rows_copied<R: CsvRow + Sync>(
        &mut self,
        rows: &[R],
        dir: &Path,
        file: &str,
        header: &[&str],
    ) -> Result<(), Error> {
        let mut copy = CsvStream::scratch(dir, file, header)?;
        let chunks: Vec<&[R]> = rows.chunks(16_384).collect();
        let texts: Vec<(String, usize)> = chunks.par_iter().map(|c| (CsvStream::lines(c), c.len())).collect();
        for (text, n) in &texts {
            self.put_lines(text, *n)?;
            copy.put_lines(text, *n)?;
        }
        copy.file.flush().map_err(|e| Error::output(&copy.path, e))
    }

    /// Appends lines formatted by [`CsvStream::lines`] for `rows` rows.
    pub(crate) fn put_lines(&mut self, text: &str, rows: usize) -> Result<(), Error> {
        self.put(text.as_bytes())?;
        self.rows += rows as u64;
        Ok(())
    }

    pub(crate) fn finish(self) -> Result<Written, Error> {
        let name = self.path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        let f = self.file.into_inner().map_err(|e| Error::output(&self.path, e.error()))?;
        f.sync_all().map_err(|e| Error::output(&self.path, e))?;
        let sha256 = self.hasher.map(|h| hex(&h.finalize())).unwrap_or_default();
        Ok(Written { file: name, sha256, rows: self.rows })
    }
}

pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let mut f = fs::File::create(path).map_err(|e| Error::output(path, e))?;
    f.write_all(bytes).map_err(|e| Error::output(path, e))?;
    f.sync_all().map_err(|e| Error::output(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn money_has_two_decimals_and_a_plain_sign() {
        assert_eq!(money(dec!(273.6)), "273.60");
        assert_eq!(money(dec!(-273.60)), "-273.60");
        assert_eq!(money(-dec!(0.00)), "0.00");
        assert_eq!(money(dec!(1152.89)), "1152.89");
        assert_eq!(money(dec!(5)), "5.00");
    }

    #[test]
    fn text_is_quoted_only_when_it_must_be() {
        let mut s = String::new();
        let mut line = CsvLine::new(&mut s);
        for t in ["GES-067-STRASBOURG", "a,b", "say \"hi\"", "two\nlines", "cr\r", "", "Saint-Étienne"] {
            line.text(t);
        }
        assert_eq!(s, "GES-067-STRASBOURG,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\r\",,Saint-Étienne");
    }

    #[test]
    fn fixed_figures_write_as_their_decimals() {
        let line = |figures: &[(Fixed, u32)]| {
            let mut s = String::new();
            let mut l = CsvLine::new(&mut s);
            for &(f, places) in figures {
                l.fixed(f, places);
            }
            s
        };
        let c = |d: Decimal| Fixed::new(d, 2).unwrap();
        assert_eq!(
            line(&[(c(dec!(273.6)), 2), (c(dec!(-0.05)), 2), (c(-dec!(0.00)), 2), (Fixed::EMPTY, 2)]),
            "273.60,-0.05,0.00,"
        );
        // Half away from zero, as the rules round; A keeps three decimals.
        assert_eq!(line(&[(c(dec!(0.125)), 2), (c(dec!(-0.125)), 2)]), "0.13,-0.13");
        assert_eq!(line(&[(Fixed::new(dec!(417.3305), 3).unwrap(), 3)]), "417.331");
        // The largest figure the outputs' Decimal(18, 2) holds, and one cent more.
        assert_eq!(line(&[(c(dec!(9999999999999999.99)), 2)]), "9999999999999999.99");
        assert_eq!(Fixed::new(dec!(10000000000000000.00), 2), None);
        assert_eq!(Fixed::new(dec!(-10000000000000000.00), 2), None);
        assert_eq!(Fixed::new(dec!(5), 2).and_then(Fixed::get), Some(500));
    }

    #[test]
    fn units_round_as_rust_decimal_rounds() {
        let mut rng = crate::generate::rng::Rng::new(7, 0, 0);
        for _ in 0..100_000 {
            let mantissa = rng.range(-1_000_000_000_000, 999_999_999_999);
            let scale = rng.below(9) as u32;
            let d = Decimal::new(mantissa, scale);
            for places in [2, 3] {
                let r = d.round_dp_with_strategy(places, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
                let expected = r.mantissa() * 10i128.pow(places - r.scale());
                assert_eq!(fixed_units(d, places), expected, "{d} to {places} places");
            }
        }
        // Past 64 bits, through 128-bit arithmetic.
        for m in [123_456_789_012_345_678_901_235_i128, -123_456_789_012_345_678_901_235] {
            let d = Decimal::from_i128_with_scale(m, 5);
            let r = d.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
            assert_eq!(fixed_units(d, 2), r.mantissa());
        }
        assert_eq!(fixed_units(dec!(0.125), 2), 13);
        assert_eq!(fixed_units(dec!(-0.125), 2), -13);
        assert_eq!(fixed_units(dec!(-0.124), 2), -12);
    }

    #[test]
    fn integers_write_as_fmt_writes_them() {
        let mut v = 1u64;
        let mut values = vec![0, 9, 10, 99, 100, 101, u64::MAX];
        while let Some(next) = v.checked_mul(7) {
            values.extend([v - 1, v, v + 1]);
            v = next;
        }
        for v in values {
            for width in [1, 2, 3, 4, 20] {
                let mut s = String::new();
                push_padded(&mut s, v, width);
                assert_eq!(s, format!("{v:0width$}"));
            }
        }
        // Figures of 2 and 3 places as the general writer writes them (and
        // as fmt does), from 0 to 64 bits, both signs.
        let mut v = 1u64;
        let mut figures = vec![0, 1, 9, 10, 99, 100, 101, 999, 1000, 1001, 99_999, u64::MAX, u64::MAX - 1];
        while let Some(next) = v.checked_mul(3) {
            figures.extend([v - 1, v, v + 1]);
            v = next;
        }
        for &a in &figures {
            for units in [i128::from(a), -i128::from(a)] {
                for places in [2, 3] {
                    let (mut fast, mut general) = (String::new(), String::new());
                    push_units(&mut fast, units, places);
                    push_units_general(&mut general, units, places);
                    assert_eq!(fast, general, "{units} in 10^-{places}");
                    let unit = 10u128.pow(places);
                    let sign = if units < 0 { "-" } else { "" };
                    let (whole, part) = (a as u128 / unit, a as u128 % unit);
                    assert_eq!(fast, format!("{sign}{whole}.{part:0w$}", w = places as usize), "{units}");
                }
            }
        }
        let mut s = String::new();
        push_units(&mut s, -1_000_000_000_000_000_000_000_i128, 2);
        // 10^21 hundredths: past 64 bits, written through u128.
        assert_eq!(s, "-10000000000000000000.00");
    }

    #[test]
    fn csv_windows_write_every_row_once_in_order() {
        let row =
            |i: i64| AgencyRow { agency_id: format!("A{i:03}"), seekers_notified: i as u64, ..Default::default() };
        let parts: Vec<Vec<AgencyRow>> = vec![(0..7).map(row).collect(), vec![], (7..30).map(row).collect()];
        let slices: Vec<&[AgencyRow]> = parts.iter().map(Vec::as_slice).collect();
        let dir = tempfile::tempdir().unwrap();
        let whole = write_csv_in_windows(dir.path(), "whole.csv", AGENCIES_HEADER, &slices, 1000, 1000).unwrap();
        let small = write_csv_in_windows(dir.path(), "small.csv", AGENCIES_HEADER, &slices, 3, 2).unwrap();
        let text = std::fs::read_to_string(dir.path().join("small.csv")).unwrap();
        assert_eq!(text, std::fs::read_to_string(dir.path().join("whole.csv")).unwrap());
        assert_eq!((whole.rows, small.rows, whole.sha256), (30, 30, small.sha256));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 31);
        assert!(lines[1].starts_with("A000,0,") && lines[30].starts_with("A029,29,"), "{text}");
        assert!(lines[1..].windows(2).all(|w| w[0] < w[1]), "rows in order once each");
    }
}
