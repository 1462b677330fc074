//! Validation: turns the text columns of each input into typed records, one
//! record at a time. A record that cannot be read becomes a [`Reject`] with the
//! stable code of data.md, and holds the seeker-months it touches to review;
//! a record dated after `as_of` is set aside as not yet known (rules.md §3.0).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::hash::BuildHasher as _;
use std::path::Path;

use chrono::NaiveDate;
use rayon::prelude::*;
use rust_decimal::Decimal;

use crate::error::Error;
use crate::ingest::schema::{col, ColumnType, Presence};
use crate::ingest::{Dialect, InputKind, RawTable, RowAt};
use crate::model::{Decision, Declaration, Month, Payment, PaymentKind, Payslip, Right, Verdict};
use crate::reconcile::Cause;

/// Which months of a seeker a rejected record touched (data.md, Bad input).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Held {
    /// Every month (a rejected right, or a rejected record whose month is unreadable).
    pub all: bool,
    pub months: BTreeSet<Month>,
}

impl Held {
    pub fn contains(&self, m: Month) -> bool {
        self.all || self.months.contains(&m)
    }
}

/// The stable reject codes of data.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    MissingValue,
    BadDate,
    BadMonth,
    BadInteger,
    BadDecimal,
    BadBoolean,
    TooManyDecimals,
    NegativeValue,
    BadEnum,
    DateOrder,
    SignMismatch,
    DuplicateId,
    /// More fields than the header (spec v3): one record, not the file.
    BadRecord,
    /// An amount of 10^16 € or more, or a month before the rule set's first (spec v3).
    OutOfRange,
}

impl Code {
    pub const ALL: [Code; 14] = [
        Code::MissingValue,
        Code::BadDate,
        Code::BadMonth,
        Code::BadInteger,
        Code::BadDecimal,
        Code::BadBoolean,
        Code::TooManyDecimals,
        Code::NegativeValue,
        Code::BadEnum,
        Code::DateOrder,
        Code::SignMismatch,
        Code::DuplicateId,
        Code::BadRecord,
        Code::OutOfRange,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::MissingValue => "missing_value",
            Code::BadDate => "bad_date",
            Code::BadMonth => "bad_month",
            Code::BadInteger => "bad_integer",
            Code::BadDecimal => "bad_decimal",
            Code::BadBoolean => "bad_boolean",
            Code::TooManyDecimals => "too_many_decimals",
            Code::NegativeValue => "negative_value",
            Code::BadEnum => "bad_enum",
            Code::DateOrder => "date_order",
            Code::SignMismatch => "sign_mismatch",
            Code::DuplicateId => "duplicate_id",
            Code::BadRecord => "bad_record",
            Code::OutOfRange => "out_of_range",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rejected record (one row of rejects.csv per problem found in it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reject {
    pub file: String,
    pub line: u64,
    pub record_id: String,
    pub column: String,
    pub code: Code,
    pub message: String,
    /// The seeker, when readable (not written out: it lets `explain` find the rejects of a seeker).
    pub seeker_id: String,
    /// The month the record touches; `None` for every month of the seeker.
    pub month: Option<Month>,
}

/// What validation made of one input file.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InputStats {
    pub rows_read: u64,
    /// Records rejected (a record with several problems counts once).
    pub rejected: u64,
    /// Records dated after `as_of`, set aside.
    pub not_yet_known: u64,
    /// Records of a month before the rule set's first, outside `--months`: not used.
    pub ignored: u64,
    /// Lines (rows of a Parquet file) without any value, ignored: not
    /// records, so not in `rows_read` (a warning names them).
    pub empty_lines: Vec<u64>,
}

impl InputStats {
    /// Adds a part's counts (a partition's, a bucket's) to the whole file's.
    pub(crate) fn add(&mut self, part: &InputStats) {
        self.rows_read += part.rows_read;
        self.rejected += part.rejected;
        self.not_yet_known += part.not_yet_known;
        self.ignored += part.ignored;
        self.empty_lines.extend(&part.empty_lines);
    }
}

/// The typed records of a run, known at `as_of`, and what was rejected.
#[derive(Default)]
pub struct Validated {
    pub rights: Vec<Right>,
    pub declarations: Vec<Declaration>,
    pub payslips: Vec<Payslip>,
    pub payments: Vec<Payment>,
    /// The agents' decisions known at `as_of` (empty without a decisions file).
    pub decisions: Vec<Decision>,
    pub rejects: Vec<Reject>,
    /// Seeker → the months rejected records touched.
    pub held: HashMap<String, Held>,
    pub stats: BTreeMap<InputKind, InputStats>,
}

/// The four lists of records, taken out of a [`Validated`] to be freed.
pub(crate) type Records = (Vec<Right>, Vec<Declaration>, Vec<Payslip>, Vec<Payment>);

impl Validated {
    /// Takes the records out once reconciled; rejects, holds and counts stay.
    pub(crate) fn take_records(&mut self) -> Records {
        (
            std::mem::take(&mut self.rights),
            std::mem::take(&mut self.declarations),
            std::mem::take(&mut self.payslips),
            std::mem::take(&mut self.payments),
        )
    }
}

/// What one row became.
enum Row<T> {
    Accepted(T),
    NotYetKnown,
    /// A month before the rule set's first, outside `--months`: not used.
    Ignored,
    /// A line with no value at all (a blank line, or only separators): not a record.
    Empty,
    Rejected {
        id: Option<String>,
        seeker: Option<String>,
        month: Option<Month>,
        problems: Vec<(usize, Code, String)>,
    },
}

/// Whether a number may be negative (data.md D2 `negative_value`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sign {
    NonNegative,
    /// Ledger `days` and `amount` of a reversal; `sign_mismatch` checks the rest.
    Any,
}

/// Column places by name, checked when the crate is built.
mod at {
    use super::{col, InputKind::*};
    pub(crate) const RIGHT_ID: usize = col(Rights, "right_id");
    pub(crate) const RIGHT_SEEKER: usize = col(Rights, "seeker_id");
    pub(crate) const AGENCY: usize = col(Rights, "agency_id");
    pub(crate) const OPENED_ON: usize = col(Rights, "opened_on");
    pub(crate) const PAYABLE_FROM: usize = col(Rights, "payable_from");
    pub(crate) const CLOSED_ON: usize = col(Rights, "closed_on");
    pub const SJR: usize = col(Rights, "sjr");
    pub(crate) const ENTITLEMENT_DAYS: usize = col(Rights, "entitlement_days");
    pub(crate) const DAYS_PAID_BEFORE: usize = col(Rights, "days_paid_before");
    pub(crate) const AGE: usize = col(Rights, "age_at_contract_end");
    pub(crate) const CONTRACT_ENDED_ON: usize = col(Rights, "contract_ended_on");

    pub(crate) const DECLARATION_ID: usize = col(Declarations, "declaration_id");
    pub(crate) const DECL_SEEKER: usize = col(Declarations, "seeker_id");
    pub(crate) const DECL_MONTH: usize = col(Declarations, "month");
    pub(crate) const DECLARED_ON: usize = col(Declarations, "declared_on");
    pub(crate) const HOURS_WORKED: usize = col(Declarations, "hours_worked");
    pub(crate) const GROSS_EARNINGS: usize = col(Declarations, "gross_earnings");
    pub(crate) const SICK_DAYS: usize = col(Declarations, "sick_days");
    pub(crate) const SEARCH_ENDED_ON: usize = col(Declarations, "search_ended_on");

    pub(crate) const ATTESTATION_ID: usize = col(Attestations, "attestation_id");
    pub(crate) const ATT_SEEKER: usize = col(Attestations, "seeker_id");
    pub(crate) const EMPLOYER: usize = col(Attestations, "employer_id");
    pub(crate) const PERIOD_START: usize = col(Attestations, "period_start");
    pub(crate) const PERIOD_END: usize = col(Attestations, "period_end");
    pub(crate) const HOURS: usize = col(Attestations, "hours");
    pub(crate) const GROSS_PAY: usize = col(Attestations, "gross_pay");
    pub(crate) const RECEIVED_ON: usize = col(Attestations, "received_on");
    pub(crate) const CONSERVED: usize = col(Attestations, "conserved");

    pub(crate) const PAYMENT_ID: usize = col(Ledger, "payment_id");
    pub(crate) const PAY_SEEKER: usize = col(Ledger, "seeker_id");
    pub(crate) const PAY_RIGHT: usize = col(Ledger, "right_id");
    pub(crate) const PAY_MONTH: usize = col(Ledger, "month");
    pub const KIND: usize = col(Ledger, "kind");
    pub(crate) const DAYS: usize = col(Ledger, "days");
    pub(crate) const DAILY_RATE: usize = col(Ledger, "daily_rate");
    pub(crate) const AMOUNT: usize = col(Ledger, "amount");
    pub(crate) const PAID_ON: usize = col(Ledger, "paid_on");

    pub(crate) const DECISION_ID: usize = col(Decisions, "decision_id");
    pub(crate) const DEC_SEEKER: usize = col(Decisions, "seeker_id");
    pub(crate) const DEC_MONTH: usize = col(Decisions, "month");
    pub(crate) const CAUSE: usize = col(Decisions, "cause");
    pub(crate) const DECISION: usize = col(Decisions, "decision");
    pub(crate) const DEC_AMOUNT: usize = col(Decisions, "amount");
    pub(crate) const DECIDED_ON: usize = col(Decisions, "decided_on");
}

/// Reads the cells of one row, remembering every problem.
struct Cells<'a> {
    table: &'a RawTable,
    at: RowAt<'a>,
    decimal_mark: u8,
    problems: Vec<(usize, Code, String)>,
}

impl<'a> Cells<'a> {
    fn new(table: &'a RawTable, row: usize) -> Self {
        let decimal_mark = if table.dialect == Some(Dialect::Fr) { b',' } else { b'.' };
        Cells { table, at: table.row_at(row), decimal_mark, problems: Vec::new() }
    }

    // This and `missing` are out of line: inlined, their message's
    // allocation made every reader of a cell set up a stack frame on each
    // call, for a path few cells take.
    #[cold]
    #[inline(never)]
    fn problem(&mut self, col: usize, code: Code, message: String) {
        self.problems.push((col, code, message));
    }

    #[cold]
    #[inline(never)]
    fn missing(&mut self, col: usize) {
        self.problem(col, Code::MissingValue, "is empty but required".into());
    }

    fn raw(&self, col: usize) -> Option<&'a str> {
        self.table.cell_at(col, &self.at)
    }

    /// The cell's text, or a `missing_value` problem when it is required and empty.
    fn get(&mut self, col: usize) -> Option<&'a str> {
        let v = self.raw(col);
        if v.is_none() && self.table.kind.columns()[col].presence == Presence::Required {
            self.missing(col);
        }
        v
    }

    fn text(&mut self, col: usize) -> crate::model::Id {
        let v = self.get(col).unwrap_or_default();
        // A control character (a NUL from a broken export) would pass into
        // every output that names the record: the record is not readable.
        // Printable ASCII holds none: only other text is decoded to look.
        let plain = printable_ascii(v);
        let control = if plain { None } else { v.chars().find(|c| c.is_control() && *c != '\t') };
        if let Some(c) = control {
            self.problem(col, Code::BadRecord, format!("holds the control character U+{:04X}", c as u32));
        }
        crate::model::Id::from(v)
    }

    fn date(&mut self, col: usize) -> Option<NaiveDate> {
        let s = self.get(col)?;
        let d = parse_date(s);
        if d.is_none() {
            self.problem(col, Code::BadDate, format!("`{s}` is not a date (YYYY-MM-DD)"));
        }
        d
    }

    fn month(&mut self, col: usize) -> Option<Month> {
        let s = self.get(col)?;
        let m = Month::parse(s);
        if m.is_none() {
            self.problem(col, Code::BadMonth, format!("`{s}` is not a month (YYYY-MM)"));
        }
        m
    }

    fn integer(&mut self, col: usize, sign: Sign) -> Option<i64> {
        let s = self.get(col)?;
        let Some(v) = parse_integer(s) else {
            self.problem(col, Code::BadInteger, format!("`{s}` is not a whole number"));
            return None;
        };
        if v < 0 && sign == Sign::NonNegative {
            self.problem(col, Code::NegativeValue, format!("`{s}` is negative"));
        }
        Some(v)
    }

    /// A decimal; a money column (by its schema) has at most 2 decimals.
    fn decimal(&mut self, col: usize, sign: Sign) -> Option<Decimal> {
        let money = self.table.kind.columns()[col].ty == ColumnType::Money;
        let s = self.get(col)?;
        let Some(v) = parse_decimal(s, self.decimal_mark) else {
            let mark = if self.decimal_mark == b',' {
                "a decimal comma, as in 1234,56"
            } else {
                "a decimal point, as in 1234.56"
            };
            self.problem(col, Code::BadDecimal, format!("`{s}` is not a number with {mark}"));
            return None;
        };
        if money && v.scale() > 2 {
            self.problem(col, Code::TooManyDecimals, format!("`{s}` has more than 2 decimals"));
            return None;
        }
        // |v| >= 10^16, on the mantissa (a Decimal comparison cost 1 % of a run).
        let limit = POWERS_OF_TEN.get(16 + v.scale() as usize);
        if money && limit.is_some_and(|&l| v.mantissa().unsigned_abs() >= l) {
            // No output can hold it (Decimal(18, 2)), and no allowance is that large.
            self.problem(col, Code::OutOfRange, format!("`{s}` is 10^16 € or more"));
            return None;
        }
        if v.is_sign_negative() && !v.is_zero() && sign == Sign::NonNegative {
            self.problem(col, Code::NegativeValue, format!("`{s}` is negative"));
        }
        Some(v)
    }

    fn boolean(&mut self, col: usize) -> Option<bool> {
        let s = self.get(col)?;
        let b = parse_bool(s);
        if b.is_none() {
            self.problem(col, Code::BadBoolean, format!("`{s}` is not a boolean (true/false, 1/0, O/N, Y/N)"));
        }
        b
    }
}

/// `YYYY-MM-DD`, nothing else.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, &c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
    };
    crate::model::date(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}

pub(crate) fn parse_integer(s: &str) -> Option<i64> {
    let (negative, digits) = match s.strip_prefix('-') {
        Some(digits) => (true, digits),
        None => (false, s),
    };
    if digits.is_empty() || digits.len() > 15 {
        return None;
    }
    // Checked and summed in one pass: 15 digits cannot overflow.
    let v = digits.bytes().try_fold(0i64, |v, c| c.is_ascii_digit().then(|| v * 10 + i64::from(c - b'0')))?;
    Some(if negative { -v } else { v })
}

/// A decimal with `mark` as its decimal separator; no exponent, no grouping.
pub(crate) fn parse_decimal(s: &str, mark: u8) -> Option<Decimal> {
    let (neg, body) = match s.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        b => (false, b),
    };
    // At most 19 bytes (every cell, in practice): at most 19 digits, summed
    // in 64 bits, which cannot overflow; 128-bit arithmetic and counting
    // digits one by one cost a third of reading a decimal.
    if body.len() <= 19 {
        let (mut mantissa, mut point) = (0u64, None);
        for (i, &c) in body.iter().enumerate() {
            let digit = c.wrapping_sub(b'0');
            if digit < 10 {
                mantissa = mantissa * 10 + u64::from(digit);
            } else if c == mark && point.is_none() {
                point = Some(i);
            } else {
                return None;
            }
        }
        if body.len() == usize::from(point.is_some()) {
            return None;
        }
        let scale = point.map_or(0, |p| body.len() - p - 1) as u32;
        let mut d = Decimal::try_from_i128_with_scale(i128::from(mantissa), scale).ok()?;
        d.set_sign_negative(neg);
        return Some(d);
    }
    // One pass over the digits.
    let (mut mantissa, mut digits, mut decimals) = (0u128, 0u32, None::<u32>);
    for &c in body {
        if c.is_ascii_digit() {
            if digits == 26 {
                return None;
            }
            mantissa = mantissa * 10 + u128::from(c - b'0');
            digits += 1;
            if let Some(d) = decimals.as_mut() {
                *d += 1;
            }
        } else if c == mark && decimals.is_none() {
            decimals = Some(0);
        } else {
            return None;
        }
    }
    if digits == 0 {
        return None;
    }
    let mut d = Decimal::try_from_i128_with_scale(mantissa as i128, decimals.unwrap_or(0)).ok()?;
    d.set_sign_negative(neg);
    Some(d)
}

/// Whether every byte of `s` is printable ASCII (space to `~`). Every byte
/// is looked at, with no early exit, which the compiler does 16 or 32 bytes
/// at a time: stopping at the first other byte cost more than copying the id.
fn printable_ascii(s: &str) -> bool {
    s.bytes().fold(true, |plain, b| plain & (b.wrapping_sub(b' ') < 0x7f - b' '))
}

/// 10^0 … 10^38, looked up rather than computed for every money cell.
const POWERS_OF_TEN: [u128; 39] = {
    let mut p = [1u128; 39];
    let mut i = 1;
    while i < 39 {
        p[i] = p[i - 1] * 10;
        i += 1;
    }
    p
};

pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    // Compared without a lowercase copy: a copy was an allocation a payslip.
    let is = |words: &[&str]| words.iter().any(|w| s.eq_ignore_ascii_case(w));
    if is(&["true", "1", "o", "y"]) {
        Some(true)
    } else if is(&["false", "0", "n"]) {
        Some(false)
    } else {
        None
    }
}

/// A record is read in two passes: its `as_of` date first (a readable date
/// after `as_of` sets the record aside before any other check), then the rest.
fn not_yet_known(c: &Cells, col: Option<usize>, as_of: NaiveDate) -> bool {
    col.and_then(|col| c.raw(col)).and_then(parse_date).is_some_and(|d| d > as_of)
}

fn finish<T>(c: Cells, record: T, id_col: usize, seeker_col: usize, month: Option<Month>) -> Row<T> {
    if c.problems.is_empty() {
        return Row::Accepted(record);
    }
    Row::Rejected {
        id: c.raw(id_col).map(str::to_string),
        seeker: c.raw(seeker_col).map(str::to_string),
        month,
        problems: c.problems,
    }
}

fn read_right(t: &RawTable, row: usize) -> Row<Right> {
    let mut c = Cells::new(t, row);
    let right = Right {
        line: t.line(row),
        right_id: c.text(at::RIGHT_ID),
        seeker_id: c.text(at::RIGHT_SEEKER),
        agency_id: c.text(at::AGENCY),
        opened_on: c.date(at::OPENED_ON).unwrap_or_default(),
        payable_from: c.date(at::PAYABLE_FROM).unwrap_or_default(),
        closed_on: c.date(at::CLOSED_ON),
        sjr: c.decimal(at::SJR, Sign::NonNegative).unwrap_or_default(),
        entitlement_days: c.integer(at::ENTITLEMENT_DAYS, Sign::NonNegative).unwrap_or_default(),
        days_paid_before: c.integer(at::DAYS_PAID_BEFORE, Sign::NonNegative).unwrap_or_default(),
        age_at_contract_end: c.integer(at::AGE, Sign::NonNegative).unwrap_or_default(),
        contract_ended_on: c.date(at::CONTRACT_ENDED_ON).unwrap_or_default(),
    };
    if c.problems.is_empty() {
        if right.payable_from < right.opened_on {
            c.problem(
                at::PAYABLE_FROM,
                Code::DateOrder,
                format!("payable_from {} is before opened_on {}", right.payable_from, right.opened_on),
            );
        }
        if let Some(closed) = right.closed_on.filter(|&d| d < right.payable_from) {
            c.problem(
                at::CLOSED_ON,
                Code::DateOrder,
                format!("closed_on {closed} is before payable_from {}", right.payable_from),
            );
        }
    }
    // A rejected right holds every month of its seeker.
    finish(c, right, at::RIGHT_ID, at::RIGHT_SEEKER, None)
}

fn read_declaration(t: &RawTable, row: usize, as_of: NaiveDate) -> Row<Declaration> {
    let mut c = Cells::new(t, row);
    if not_yet_known(&c, Some(at::DECLARED_ON), as_of) {
        return Row::NotYetKnown;
    }
    let d = Declaration {
        line: t.line(row),
        declaration_id: c.text(at::DECLARATION_ID),
        seeker_id: c.text(at::DECL_SEEKER),
        month: c.month(at::DECL_MONTH).unwrap_or(Month::new(1, 1).expect("valid")),
        declared_on: c.date(at::DECLARED_ON).unwrap_or_default(),
        hours_worked: c.decimal(at::HOURS_WORKED, Sign::NonNegative).unwrap_or_default(),
        gross_earnings: c.decimal(at::GROSS_EARNINGS, Sign::NonNegative).unwrap_or_default(),
        sick_days: c.integer(at::SICK_DAYS, Sign::NonNegative).unwrap_or_default(),
        search_ended_on: c.date(at::SEARCH_ENDED_ON),
    };
    let month = c.raw(at::DECL_MONTH).and_then(Month::parse);
    finish(c, d, at::DECLARATION_ID, at::DECL_SEEKER, month)
}

fn read_payslip(t: &RawTable, row: usize, as_of: NaiveDate) -> Row<Payslip> {
    let mut c = Cells::new(t, row);
    if not_yet_known(&c, Some(at::RECEIVED_ON), as_of) {
        return Row::NotYetKnown;
    }
    let p = Payslip {
        line: t.line(row),
        attestation_id: c.text(at::ATTESTATION_ID),
        seeker_id: c.text(at::ATT_SEEKER),
        employer_id: c.text(at::EMPLOYER),
        period_start: c.date(at::PERIOD_START).unwrap_or_default(),
        period_end: c.date(at::PERIOD_END).unwrap_or_default(),
        hours: c.decimal(at::HOURS, Sign::NonNegative).unwrap_or_default(),
        gross_pay: c.decimal(at::GROSS_PAY, Sign::NonNegative).unwrap_or_default(),
        received_on: c.date(at::RECEIVED_ON).unwrap_or_default(),
        conserved: c.boolean(at::CONSERVED).unwrap_or(false),
    };
    if c.problems.is_empty() && p.period_end < p.period_start {
        c.problem(
            at::PERIOD_END,
            Code::DateOrder,
            format!("period_end {} is before period_start {}", p.period_end, p.period_start),
        );
    }
    let month = c.raw(at::PERIOD_END).and_then(parse_date).map(Month::of);
    finish(c, p, at::ATTESTATION_ID, at::ATT_SEEKER, month)
}

fn read_payment(t: &RawTable, row: usize, as_of: NaiveDate) -> Row<Payment> {
    let mut c = Cells::new(t, row);
    if not_yet_known(&c, Some(at::PAID_ON), as_of) {
        return Row::NotYetKnown;
    }
    let kind = c.get(at::KIND).and_then(|s| {
        let k = PaymentKind::parse(s);
        if k.is_none() {
            c.problem(
                at::KIND,
                Code::BadEnum,
                format!("`{s}` is not a payment kind (advance, regularisation, reversal)"),
            );
        }
        k
    });
    let reversal = kind == Some(PaymentKind::Reversal);
    let p = Payment {
        line: t.line(row),
        payment_id: c.text(at::PAYMENT_ID),
        seeker_id: c.text(at::PAY_SEEKER),
        right_id: c.text(at::PAY_RIGHT),
        month: c.month(at::PAY_MONTH).unwrap_or(Month::new(1, 1).expect("valid")),
        kind: kind.unwrap_or(PaymentKind::Advance),
        // A reversal's days are negative; its amount's sign is `sign_mismatch`'s to check.
        days: c.integer(at::DAYS, if reversal { Sign::Any } else { Sign::NonNegative }).unwrap_or_default(),
        daily_rate: c.decimal(at::DAILY_RATE, Sign::NonNegative).unwrap_or_default(),
        amount: c.decimal(at::AMOUNT, Sign::Any).unwrap_or_default(),
        paid_on: c.date(at::PAID_ON).unwrap_or_default(),
    };
    if c.problems.is_empty() {
        let positive = p.amount > Decimal::ZERO;
        let negative = p.amount < Decimal::ZERO;
        if reversal && positive {
            c.problem(at::AMOUNT, Code::SignMismatch, format!("a reversal with a positive amount {}", p.amount));
        } else if !reversal && negative {
            c.problem(
                at::AMOUNT,
                Code::SignMismatch,
                format!("a {} with a negative amount {}", p.kind.as_str(), p.amount),
            );
        }
    }
    let month = c.raw(at::PAY_MONTH).and_then(Month::parse);
    finish(c, p, at::PAYMENT_ID, at::PAY_SEEKER, month)
}

fn read_decision(t: &RawTable, row: usize, as_of: NaiveDate) -> Row<Decision> {
    let mut c = Cells::new(t, row);
    if not_yet_known(&c, Some(at::DECIDED_ON), as_of) {
        return Row::NotYetKnown;
    }
    let cause = c.get(at::CAUSE).and_then(|s| {
        let k = Cause::parse(s);
        if k.is_none() {
            let all: Vec<&str> = Cause::ALL.iter().map(|c| c.as_str()).collect();
            c.problem(at::CAUSE, Code::BadEnum, format!("`{s}` is not a cause ({})", all.join(", ")));
        }
        k
    });
    let verdict = c.get(at::DECISION).and_then(|s| {
        let v = Verdict::parse(s);
        if v.is_none() {
            c.problem(at::DECISION, Code::BadEnum, format!("`{s}` is not a decision (upheld, rejected)"));
        }
        v
    });
    let d = Decision {
        line: t.line(row),
        decision_id: c.text(at::DECISION_ID),
        seeker_id: c.text(at::DEC_SEEKER),
        month: c.month(at::DEC_MONTH).unwrap_or(Month::new(1, 1).expect("valid")),
        cause: cause.unwrap_or(Cause::DuplicatePayment),
        verdict: verdict.unwrap_or(Verdict::Rejected),
        amount: c.decimal(at::DEC_AMOUNT, Sign::NonNegative).unwrap_or_default(),
        decided_on: c.date(at::DECIDED_ON).unwrap_or_default(),
    };
    let month = c.raw(at::DEC_MONTH).and_then(Month::parse);
    finish(c, d, at::DECISION_ID, at::DEC_SEEKER, month)
}

/// Every input's first column is its record id (data.md D1).
const ID_COLUMN: usize = 0;

/// The "column" of a problem of the whole record (a field too many).
const WHOLE_RECORD: usize = usize::MAX;

/// Validates one table: typed records, rejects, held months and counts.
fn validate_table<T: Send + Sync>(
    t: &RawTable,
    window: &Window,
    read: impl Fn(&RawTable, usize) -> Row<T> + Sync,
    id_of: impl Fn(&T) -> &str + Sync,
    seeker_and_month: impl Fn(&T) -> (&str, Option<Month>) + Sync,
) -> Part<T> {
    let mut rejects = Vec::new();
    let mut held: Vec<(String, Option<Month>)> = Vec::new();
    let bad_record = |i: usize| t.bad_records.binary_search_by_key(&i, |b| b.row).ok().map(|k| &t.bad_records[k]);
    let month_column = t.kind.columns().iter().position(|c| c.name == t.kind.month_column()).unwrap_or(0);
    let rows: Vec<Row<T>> = (0..t.rows)
        .into_par_iter()
        .map(|i| {
            if let Some(b) = bad_record(i) {
                // Its fields cannot be trusted past the id and seeker: every month of the seeker is held.
                return Row::Rejected {
                    id: b.id.clone(),
                    seeker: b.seeker.clone(),
                    month: None,
                    problems: vec![(
                        WHOLE_RECORD,
                        Code::BadRecord,
                        format!(
                            "has {} fields where the header has {}: a value holding the separator must be quoted",
                            b.fields, b.header_fields
                        ),
                    )],
                };
            }
            match read(t, i) {
                // Only a record without an id can be a line without any value.
                Row::Rejected { id: None, .. } if t.is_empty_row(i) => Row::Empty,
                Row::Accepted(rec) => match seeker_and_month(&rec).1.filter(|&m| m < window.first) {
                    None => Row::Accepted(rec),
                    Some(m) if window.selects(m) => {
                        let (seeker, _) = seeker_and_month(&rec);
                        Row::Rejected {
                            id: Some(id_of(&rec).to_string()),
                            seeker: Some(seeker.to_string()),
                            month: Some(m),
                            problems: vec![(
                                month_column,
                                Code::OutOfRange,
                                format!("month {m} is before the rule set's first month {}", window.first),
                            )],
                        }
                    }
                    Some(_) => Row::Ignored,
                },
                row => row,
            }
        })
        .collect();
    let mut stats = InputStats { rows_read: t.rows as u64, ..Default::default() };
    // Exports usually list records by id: strictly increasing ids cannot
    // repeat, and the search for repeated ids below is skipped. A row without
    // an id cannot repeat one: it is compared with nothing.
    let increasing = || {
        // In blocks, each id read once: each is compared with the last id before it.
        const BLOCK: usize = 1 << 16;
        (0..t.rows.div_ceil(BLOCK)).into_par_iter().all(|b| {
            let (from, to) = (b * BLOCK, ((b + 1) * BLOCK).min(t.rows));
            let mut last = (0..from).rev().find_map(|j| t.cell(ID_COLUMN, j));
            t.column_cells(ID_COLUMN, from..to).flatten().all(|id| {
                let after = last.is_none_or(|a| a < id);
                last = Some(id);
                after
            })
        })
    };
    // A partition of a file is told its repeats (found over the whole file).
    let found;
    let duplicate: &[bool] = match &t.known_duplicates {
        Some(known) => known,
        None if increasing() => &[],
        None => {
            found = repeated_ids(t, &rows);
            &found
        }
    };
    let id_column = t.kind.columns()[0].name;
    // filter_map + collect reuses the rows' allocation for the records.
    let records: Vec<T> = rows
        .into_iter()
        .enumerate()
        .filter_map(|(i, row)| {
            let line = t.line(i);
            let (id, seeker, month, problems) = match row {
                Row::NotYetKnown => {
                    stats.not_yet_known += 1;
                    return None;
                }
                Row::Ignored => {
                    stats.ignored += 1;
                    return None;
                }
                Row::Empty => {
                    stats.rows_read -= 1;
                    stats.empty_lines.push(line);
                    return None;
                }
                Row::Accepted(rec) => {
                    if !duplicate.get(i).copied().unwrap_or(false) {
                        return Some(rec);
                    }
                    let (seeker, month) = seeker_and_month(&rec);
                    let id = id_of(&rec).to_string();
                    let msg = format!("`{id}` already appears earlier in the file");
                    (Some(id), Some(seeker.to_string()), month, vec![(ID_COLUMN, Code::DuplicateId, msg)])
                }
                Row::Rejected { id, seeker, month, problems } => (id, seeker, month, problems),
            };
            stats.rejected += 1;
            // A right touches every month of its seeker; so does a record whose month is unreadable.
            let month = month.filter(|_| t.kind != InputKind::Rights);
            if let Some(seeker) = &seeker {
                held.push((seeker.clone(), month));
            }
            for (col, code, message) in problems {
                let column = match col {
                    WHOLE_RECORD => "",
                    ID_COLUMN if code == Code::DuplicateId => id_column,
                    _ => t.kind.columns()[col].name,
                };
                rejects.push(Reject {
                    file: t.file_name.clone(),
                    line,
                    record_id: id.clone().unwrap_or_default(),
                    column: column.to_string(),
                    code,
                    message: if column.is_empty() {
                        format!("the record {message}")
                    } else {
                        format!("{column} {message}")
                    },
                    seeker_id: seeker.clone().unwrap_or_default(),
                    month,
                });
            }
            None
        })
        .collect();
    Part { records, rejects, held, stats }
}

/// The accepted rows whose id an earlier row of the file already has
/// (rejected rows count as earlier copies; rows not yet known at `as_of` do
/// not). Ids are sorted by hash in parallel rather than put one by one into
/// a hash set: a million ids of an unsorted file make a hash set miss the
/// cache on nearly every insert.
fn repeated_ids<T: Send + Sync>(t: &RawTable, rows: &[Row<T>]) -> Vec<bool> {
    let hasher = foldhash::fast::FixedState::with_seed(0x1d05);
    repeats_among(
        rows.len(),
        |i| t.cell(ID_COLUMN, i).filter(|_| !matches!(rows[i], Row::NotYetKnown)),
        |i| matches!(rows[i], Row::Accepted(_)),
        |id| hasher.hash_one(id),
    )
}

/// Of rows `0..n`, those for which `counts` is true and an earlier row has
/// the same id (`id`: `None` for a row compared with nothing).
///
/// Each row is one `u64`: its hash's high bits, then its row number in the
/// bits a row number needs. Sorting 8-byte integers took half the time of
/// (hash, row) pairs on a shuffled million-row file. Rows whose kept hash
/// bits are equal are next to each other, in file order, and their ids are
/// compared as text, so a hash shortened to fit is never taken for an id.
fn repeats_among<'a>(
    n: usize,
    id: impl Fn(usize) -> Option<&'a str> + Sync,
    counts: impl Fn(usize) -> bool,
    hash: impl Fn(&str) -> u64 + Sync,
) -> Vec<bool> {
    let row_bits = u64::BITS - (n.max(1) as u64 - 1).leading_zeros();
    let row_mask = ((1u128 << row_bits) - 1) as u64;
    let mut keys: Vec<u64> =
        (0..n).into_par_iter().filter_map(|i| id(i).map(|id| (hash(id) & !row_mask) | i as u64)).collect();
    keys.par_sort_unstable();
    let row = |k: u64| (k & row_mask) as usize;
    let mut duplicate = vec![false; n];
    for run in keys.chunk_by(|a, b| a & !row_mask == b & !row_mask).filter(|run| run.len() > 1) {
        for (j, &k) in run.iter().enumerate().skip(1) {
            let this = id(row(k));
            if counts(row(k)) && run[..j].iter().any(|&earlier| id(row(earlier)) == this) {
                duplicate[row(k)] = true;
            }
        }
    }
    duplicate
}

/// What validating one file gave, merged into [`Validated`] in file order.
struct Part<T> {
    records: Vec<T>,
    rejects: Vec<Reject>,
    /// (seeker, month touched; `None`: every month).
    held: Vec<(String, Option<Month>)>,
    stats: InputStats,
}

impl<T> Part<T> {
    fn merge_into(self, kind: InputKind, v: &mut Validated) -> Vec<T> {
        for (seeker, month) in self.held {
            let h = v.held.entry(seeker).or_default();
            match month {
                Some(m) => {
                    h.months.insert(m);
                }
                None => h.all = true,
            }
        }
        v.rejects.extend(self.rejects);
        v.stats.insert(kind, self.stats);
        self.records
    }
}

/// The months a run can price: from the rule set's first, and the
/// `--months` selection if any (data.md `out_of_range`).
#[derive(Clone, Debug)]
pub struct Window {
    pub first: Month,
    pub selected: Option<Vec<Month>>,
}

impl Window {
    /// Every month the rule set covers.
    pub fn from(first: Month) -> Window {
        Window { first, selected: None }
    }

    /// The months a run with `rules` and the `--months` selection prices.
    pub(crate) fn of(rules: &crate::rules::RuleSet, selected: Option<&[Month]>) -> Window {
        Window { first: Month::of(rules.in_force_from), selected: selected.map(<[Month]>::to_vec) }
    }

    fn selects(&self, m: Month) -> bool {
        self.selected.as_ref().is_none_or(|s| s.contains(&m))
    }
}

/// Validates the four inputs; fails the run when a file's rejects exceed
/// `max_reject_rate` (and are more than 10), before anything is written.
pub fn validate(
    tables: &[RawTable],
    as_of: NaiveDate,
    max_reject_rate: f64,
    window: &Window,
) -> Result<Validated, Error> {
    let table = |k: InputKind| tables.iter().find(|t| t.kind == k);
    let (rights, declarations, payslips, payments) = (
        table(InputKind::Rights),
        table(InputKind::Declarations),
        table(InputKind::Attestations),
        table(InputKind::Ledger),
    );
    // Few records, when any: validated before the four large files.
    let decisions = table(InputKind::Decisions).map(|t| {
        validate_table(
            t,
            window,
            |t, i| read_decision(t, i, as_of),
            |d| &d.decision_id,
            |d| (&d.seeker_id, Some(d.month)),
        )
    });
    // The four files are independent: validated side by side (each in parallel inside too).
    let ((r, d), (s, p)) = rayon::join(
        || {
            rayon::join(
                || rights.map(|t| validate_table(t, window, read_right, |r| &r.right_id, |r| (&r.seeker_id, None))),
                || {
                    declarations.map(|t| {
                        validate_table(
                            t,
                            window,
                            |t, i| read_declaration(t, i, as_of),
                            |d| &d.declaration_id,
                            |d| (&d.seeker_id, Some(d.month)),
                        )
                    })
                },
            )
        },
        || {
            rayon::join(
                || {
                    payslips.map(|t| {
                        validate_table(
                            t,
                            window,
                            |t, i| read_payslip(t, i, as_of),
                            |p| &p.attestation_id,
                            |p| (&p.seeker_id, Some(Month::of(p.period_end))),
                        )
                    })
                },
                || {
                    payments.map(|t| {
                        validate_table(
                            t,
                            window,
                            |t, i| read_payment(t, i, as_of),
                            |p| &p.payment_id,
                            |p| (&p.seeker_id, Some(p.month)),
                        )
                    })
                },
            )
        },
    );
    let mut v = Validated::default();
    v.rights = r.map(|p| p.merge_into(InputKind::Rights, &mut v)).unwrap_or_default();
    v.declarations = d.map(|p| p.merge_into(InputKind::Declarations, &mut v)).unwrap_or_default();
    v.payslips = s.map(|p| p.merge_into(InputKind::Attestations, &mut v)).unwrap_or_default();
    v.payments = p.map(|p| p.merge_into(InputKind::Ledger, &mut v)).unwrap_or_default();
    v.decisions = decisions.map(|p| p.merge_into(InputKind::Decisions, &mut v)).unwrap_or_default();
    let files: Vec<(InputKind, &Path)> = tables.iter().map(|t| (t.kind, t.path.as_path())).collect();
    check_reject_rates(&files, &v.stats, &v.rejects, max_reject_rate)?;
    Ok(v)
}

/// Fails the run when a file's rejects exceed `max_reject_rate` (and are
/// more than 10), naming the file, its rejects by code and the first ones.
pub(crate) fn check_reject_rates(
    files: &[(InputKind, &Path)],
    stats: &BTreeMap<InputKind, InputStats>,
    rejects: &[Reject],
    max_reject_rate: f64,
) -> Result<(), Error> {
    check_rates(files, stats, max_reject_rate, |file_name| {
        let mine: Vec<&Reject> = rejects.iter().filter(|r| r.file == file_name).collect();
        let mut by_code: BTreeMap<&'static str, u64> = BTreeMap::new();
        for r in &mine {
            *by_code.entry(r.code.as_str()).or_default() += 1;
        }
        (by_code, mine.into_iter().cloned().collect())
    })
}

/// [`check_reject_rates`] of a run that kept only a [`RejectSummary`] of
/// its rejects (`--memory-limit`): the error holds the file's first rejects.
pub(crate) fn check_reject_summary(
    files: &[(InputKind, &Path)],
    stats: &BTreeMap<InputKind, InputStats>,
    summary: &RejectSummary,
    max_reject_rate: f64,
) -> Result<(), Error> {
    check_rates(files, stats, max_reject_rate, |file_name| {
        summary.files.get(file_name).map(|f| (f.by_code.clone(), f.first.clone())).unwrap_or_default()
    })
}

fn check_rates(
    files: &[(InputKind, &Path)],
    stats: &BTreeMap<InputKind, InputStats>,
    max_reject_rate: f64,
    rejects_of: impl Fn(&str) -> (BTreeMap<&'static str, u64>, Vec<Reject>),
) -> Result<(), Error> {
    for &(kind, path) in files {
        let stats = &stats[&kind];
        let file_name = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        let rate = if stats.rows_read == 0 { 0.0 } else { stats.rejected as f64 / stats.rows_read as f64 };
        if stats.rejected > 10 && rate > max_reject_rate {
            let (by_code, rejects) = rejects_of(&file_name);
            return Err(Error::TooManyRejects {
                path: path.to_path_buf(),
                rejected: stats.rejected,
                read: stats.rows_read,
                rate,
                max_rate: max_reject_rate,
                by_code: by_code.iter().map(|(c, n)| format!("{c} {n}")).collect::<Vec<_>>().join(", "),
                rejects,
            });
        }
    }
    Ok(())
}

/// Rejects the threshold's error shows, a file.
pub(crate) const FIRST_REJECTS: usize = 20;

/// What the reject threshold needs of a run's rejects, gathered a
/// partition at a time by a run that writes them to scratch files as they
/// come: each file's rejects by code, and its first ones in line order.
#[derive(Default)]
pub(crate) struct RejectSummary {
    files: BTreeMap<String, FileRejects>,
}

#[derive(Default)]
struct FileRejects {
    by_code: BTreeMap<&'static str, u64>,
    first: Vec<Reject>,
}

impl RejectSummary {
    /// Adds a partition's rejects (a record's, all in one partition, in their order).
    pub(crate) fn add(&mut self, rejects: &[Reject]) {
        for r in rejects {
            let f = self.files.entry(r.file.clone()).or_default();
            *f.by_code.entry(r.code.as_str()).or_default() += 1;
            f.first.push(r.clone());
        }
        for f in self.files.values_mut() {
            // Stable: a record's rejects keep their order.
            f.first.sort_by_key(|r| r.line);
            f.first.truncate(FIRST_REJECTS);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    /// Repeats are found by text whatever the hash: with every id hashed
    /// alike (one run of all rows), with a hash of one bit, and with the real
    /// one, on ids repeated near and far, rows not counted, rows without id.
    #[test]
    fn repeats_are_found_by_text_whatever_the_hash() {
        let ids: Vec<Option<String>> = (0..3_000u64)
            .map(|i| match i % 7 {
                0 => None,
                1 => Some(format!("P{}", i / 2)),
                _ => Some(format!("P{}", (i * 2_654_435_761) % 2_500)),
            })
            .collect();
        let counts = |i: usize| i % 11 != 3;
        let mut expected = vec![false; ids.len()];
        let mut seen = std::collections::HashSet::new();
        for (i, id) in ids.iter().enumerate() {
            if let Some(id) = id {
                expected[i] = !seen.insert(id.as_str()) && counts(i);
            }
        }
        assert!(expected.iter().filter(|d| **d).count() > 100, "the ids must repeat for the test to mean anything");
        let real = foldhash::fast::FixedState::with_seed(0x1d05);
        let hashes: [&(dyn Fn(&str) -> u64 + Sync); 3] =
            [&|_| 0, &|s| (s.len() as u64 & 1) << 63, &|s| real.hash_one(s)];
        for hash in hashes {
            for n in [0, 1, 2, 3, 64, 65, ids.len()] {
                let got = repeats_among(n, |i| ids[i].as_deref(), counts, hash);
                assert_eq!(got, expected[..n], "{n} rows");
            }
        }
    }

    /// A file whose ids increase is not searched for repeats; a file read
    /// in two pieces (over 8 MB), whose ids increase but for one repeated
    /// right after a block of the check (row 65,536) or right after the
    /// pieces' edge, or after a row without id, has that row rejected, and
    /// only it.
    #[test]
    fn ids_that_increase_but_once_are_found_repeated_at_block_and_piece_edges() {
        let dir = std::env::temp_dir().join(format!("indus-increasing-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("declarations.csv");
        let rows = 200_000;
        let write = |repeat_at: Option<usize>| {
            let mut text = String::from(
                "declaration_id,seeker_id,month,declared_on,hours_worked,gross_earnings,sick_days,search_ended_on\n",
            );
            for i in 0..rows {
                // Row 70,000 has no id; the next compares with the one before it.
                let id = match (repeat_at, i) {
                    (_, 70_000) => String::new(),
                    (Some(r), i) if i == r => format!("D{:08}", i - if i == 70_001 { 2 } else { 1 }),
                    _ => format!("D{i:08}"),
                };
                text.push_str(&format!("{id},S{i:08},2024-03,2024-03-26,10.5,120.00,0,\n"));
            }
            std::fs::write(&path, text).unwrap();
            let t = crate::ingest::read_table(InputKind::Declarations, &path, Default::default()).unwrap();
            let as_of = NaiveDate::from_ymd_opt(2024, 4, 15).unwrap();
            let v =
                validate(std::slice::from_ref(&t), as_of, 1.0, &Window::from(Month::new(2019, 7).unwrap())).unwrap();
            let lines = |code: Code| v.rejects.iter().filter(|r| r.code == code).map(|r| r.line).collect::<Vec<_>>();
            (lines(Code::DuplicateId), lines(Code::MissingValue))
        };
        assert_eq!(write(None), (vec![], vec![70_002]));
        assert!(std::fs::metadata(&path).unwrap().len() > 8 << 20);
        // The second piece starts at the line after the one holding the
        // byte 8 MiB past the header (ingest::split's pieces).
        let text = std::fs::read(&path).unwrap();
        let body = text.iter().position(|&b| b == b'\n').unwrap() + 1;
        let edge = text[..body + (8 << 20)].iter().filter(|&&b| b == b'\n').count();
        for repeat_at in [65_536, edge - 1, edge, 70_001, rows - 1] {
            // Line = row + 2 (the header is line 1).
            assert_eq!(write(Some(repeat_at)), (vec![repeat_at as u64 + 2], vec![70_002]), "repeat at row {repeat_at}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A file polars reads (a quoted value sends it there), whose ids
    /// increase but for an empty one (a missing cell, to polars) and one
    /// repeated after it: the repeat is found, the check that ids increase
    /// going on past the empty cell.
    #[test]
    fn an_id_repeated_after_an_empty_one_in_a_file_polars_reads_is_found() {
        let dir = std::env::temp_dir().join(format!("indus-empty-id-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("declarations.csv");
        let header =
            "declaration_id,seeker_id,month,declared_on,hours_worked,gross_earnings,sick_days,search_ended_on\n";
        let rows = ["D1,\"S1\"", "D2,S2", ",S3", "D2,S4", "D5,S5"];
        let text: String = rows.iter().map(|r| format!("{r},2024-03,2024-03-26,10.5,120.00,0,\n")).collect();
        std::fs::write(&path, format!("{header}{text}")).unwrap();
        let t = crate::ingest::read_table(InputKind::Declarations, &path, Default::default()).unwrap();
        let by_polars = matches!(t.columns[ID_COLUMN], Some(crate::ingest::TextColumn::Polars { .. }));
        assert!(by_polars, "the file must be read by polars for the test to mean anything");
        let as_of = NaiveDate::from_ymd_opt(2024, 4, 15).unwrap();
        let v = validate(std::slice::from_ref(&t), as_of, 1.0, &Window::from(Month::new(2019, 7).unwrap())).unwrap();
        let lines = |code: Code| v.rejects.iter().filter(|r| r.code == code).map(|r| r.line).collect::<Vec<_>>();
        assert_eq!((lines(Code::DuplicateId), lines(Code::MissingValue)), (vec![5], vec![4]));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn parses_values_strictly() {
        assert_eq!(parse_date("2024-02-29"), NaiveDate::from_ymd_opt(2024, 2, 29));
        assert_eq!(parse_date("2024-02-30"), None);
        assert_eq!(parse_date("2024-2-03"), None);
        assert_eq!(parse_decimal("1234.56", b'.'), Some(dec!(1234.56)));
        assert_eq!(parse_decimal("1234,56", b','), Some(dec!(1234.56)));
        assert_eq!(parse_decimal("-273.6", b'.'), Some(dec!(-273.6)));
        assert_eq!(parse_decimal("45.6", b'.'), parse_decimal("45.60", b'.'));
        assert_eq!(parse_decimal("12,3,4", b','), None);
        assert_eq!(parse_decimal("1234,56", b'.'), None);
        assert_eq!(parse_decimal("1e3", b'.'), None);
        assert_eq!(parse_decimal(".", b'.'), None);
        assert_eq!(parse_decimal("5.", b'.'), Some(dec!(5)));
        assert_eq!(parse_decimal(".5", b'.'), Some(dec!(0.5)));
        assert_eq!(parse_decimal("+0.50", b'.'), Some(dec!(0.50)));
        for bad in ["", "-", "+", "+-5", "--5", "1.2.3", " 5", "5 ", "1_000"] {
            assert_eq!(parse_decimal(bad, b'.'), None, "{bad:?}");
        }
        // 26 digits at most, then the scale of what was written.
        assert_eq!(parse_decimal("12345678901234567890123456", b'.'), Some(dec!(12345678901234567890123456)));
        assert_eq!(parse_decimal("123456789012345678901234567", b'.'), None);
        // Around the 19 digits summed in 64 bits, whole and with decimals.
        assert_eq!(parse_decimal("9999999999999999999", b'.'), Some(dec!(9999999999999999999)));
        assert_eq!(parse_decimal("99999999999999999999", b'.'), Some(dec!(99999999999999999999)));
        assert_eq!(parse_decimal("-123456789.0123456789", b'.'), Some(dec!(-123456789.0123456789)));
        assert_eq!(parse_decimal("1234567890,0123456789", b','), Some(dec!(1234567890.0123456789)));
        assert_eq!(parse_decimal("12345678901234567,89", b','), Some(dec!(12345678901234567.89)));
        assert_eq!(parse_decimal("1234567890123456789.5", b'.').map(|d| d.scale()), Some(1));
        assert_eq!(parse_integer("-0"), Some(0));
        assert_eq!(parse_integer("999999999999999"), Some(999_999_999_999_999));
        assert_eq!(parse_integer("-999999999999999"), Some(-999_999_999_999_999));
        assert_eq!(parse_integer("1000000000000000"), None);
        assert_eq!(parse_integer("+3"), None);
        assert_eq!(parse_integer("-"), None);
        assert_eq!(parse_decimal("1.50", b'.').map(|d| d.scale()), Some(2));
        assert_eq!(parse_integer("-3"), Some(-3));
        assert_eq!(parse_integer("3.0"), None);
        assert_eq!(parse_bool("O"), Some(true));
        assert_eq!(parse_bool("n"), Some(false));
        assert!(printable_ascii(" AS0001-202403-1 ~"));
        assert!(printable_ascii(""));
        for other in ["a\u{1f}", "\u{7f}b", "\0", "Saint-Étienne", "a\tb"] {
            assert!(!printable_ascii(other), "{other:?}");
        }
        assert_eq!(parse_bool("maybe"), None);
        assert_eq!(parse_bool("TRUE"), Some(true));
        assert_eq!(parse_bool("False"), Some(false));
        assert_eq!(parse_bool("yes"), None);
        assert_eq!(parse_bool(""), None);
    }
}
