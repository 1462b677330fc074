//! The domain records once validated: rights, declarations, payslips and
//! payments, and the calendar month they are reconciled by.
//!
//! Everything here is plain data: parsing lives in `validate`, arithmetic in
//! `recompute` and `reconcile`.

use std::fmt;

use chrono::{Datelike, NaiveDate};
/// A record id as read from an input: kept inline up to 24 bytes (every id of
/// the back office's exports fits), so a million records make no heap
/// allocation for their ids.
pub type Id = compact_str::CompactString;
use rust_decimal::Decimal;

/// A calendar month, ordered; stored as `year * 12 + (month - 1)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month(i32);

impl Month {
    pub fn new(year: i32, month: u32) -> Option<Month> {
        if (1..=12).contains(&month) && (1..=9999).contains(&year) {
            Some(Month(year * 12 + month as i32 - 1))
        } else {
            None
        }
    }

    /// Parses `YYYY-MM` (exactly four digits, a dash, two digits).
    pub fn parse(s: &str) -> Option<Month> {
        let b = s.as_bytes();
        if b.len() != 7 || b[4] != b'-' || !b.iter().enumerate().all(|(i, c)| i == 4 || c.is_ascii_digit()) {
            return None;
        }
        Month::new(s[..4].parse().ok()?, s[5..].parse().ok()?)
    }

    /// Parses `YYYY-MM..YYYY-MM` (inclusive) or a single `YYYY-MM`.
    pub fn parse_range(s: &str) -> Option<Vec<Month>> {
        let (a, b) = match s.split_once("..") {
            Some((a, b)) => (Month::parse(a.trim())?, Month::parse(b.trim())?),
            None => {
                let m = Month::parse(s.trim())?;
                (m, m)
            }
        };
        if a > b {
            return None;
        }
        Some((a.0..=b.0).map(Month).collect())
    }

    pub fn of(date: NaiveDate) -> Month {
        Month(date.year() * 12 + date.month0() as i32)
    }

    pub(crate) fn year(self) -> i32 {
        self.0.div_euclid(12)
    }

    pub fn month(self) -> u32 {
        self.0.rem_euclid(12) as u32 + 1
    }

    pub fn first_day(self) -> NaiveDate {
        date(self.year(), self.month(), 1).expect("valid month")
    }

    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().expect("valid month")
    }

    pub fn next(self) -> Month {
        Month(self.0 + 1)
    }
}

/// `NaiveDate::from_ymd_opt`, looked up: a run builds the same few hundred
/// dates millions of times (every record's, every month's first and last
/// day), and chrono's checks cost 2 % of it. Every date of 1970 – 2099 is
/// built once, on first use, into a table by year, month and day (266 KB,
/// about a millisecond); a date outside, or no date, is built as asked. (A
/// small table per thread, remembering the last year built for each month
/// and day, cost 24 M more instructions on the 100k month.)
pub(crate) fn date(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    const FIRST_YEAR: i32 = 1970;
    const YEARS: usize = 130;
    /// Slots a year: 16 months of 32 days, so that a slot is found by shifts.
    const SLOTS: usize = 512;
    static DATES: std::sync::OnceLock<Vec<Option<NaiveDate>>> = std::sync::OnceLock::new();
    let y = year.wrapping_sub(FIRST_YEAR) as u32 as usize;
    if y >= YEARS || month > 12 || day > 31 {
        return NaiveDate::from_ymd_opt(year, month, day);
    }
    let dates = DATES.get_or_init(|| {
        (0..YEARS * SLOTS)
            .map(|k| NaiveDate::from_ymd_opt(FIRST_YEAR + (k / SLOTS) as i32, (k / 32 % 16) as u32, (k % 32) as u32))
            .collect()
    });
    dates[y * SLOTS + (month as usize) * 32 + day as usize]
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

/// A right to the allowance (droit ARE).
#[derive(Clone, Debug, PartialEq)]
pub struct Right {
    pub line: u64,
    pub right_id: Id,
    pub seeker_id: Id,
    pub agency_id: Id,
    pub opened_on: NaiveDate,
    pub payable_from: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    /// Reference daily wage (salaire journalier de référence), already revalued.
    pub sjr: Decimal,
    pub entitlement_days: i64,
    pub days_paid_before: i64,
    pub age_at_contract_end: i64,
    pub contract_ended_on: NaiveDate,
}

/// A monthly self-declaration (actualisation).
#[derive(Clone, Debug, PartialEq)]
pub struct Declaration {
    pub line: u64,
    pub declaration_id: Id,
    pub seeker_id: Id,
    pub month: Month,
    pub declared_on: NaiveDate,
    pub hours_worked: Decimal,
    pub gross_earnings: Decimal,
    pub sick_days: i64,
    pub search_ended_on: Option<NaiveDate>,
}

impl Declaration {
    /// The declaration shows no work at all (0 hours and 0 earnings).
    pub(crate) fn declares_no_work(&self) -> bool {
        self.hours_worked.is_zero() && self.gross_earnings.is_zero()
    }
}

/// An employer's payslip attestation (attestation employeur mensualisée).
#[derive(Clone, Debug, PartialEq)]
pub struct Payslip {
    pub line: u64,
    pub attestation_id: Id,
    pub seeker_id: Id,
    pub employer_id: Id,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub hours: Decimal,
    pub gross_pay: Decimal,
    pub received_on: NaiveDate,
    /// Activity kept from before the right (activité conservée), cumulated in full.
    pub conserved: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PaymentKind {
    Advance,
    Regularisation,
    Reversal,
}

impl PaymentKind {
    pub fn parse(s: &str) -> Option<PaymentKind> {
        match s {
            "advance" => Some(PaymentKind::Advance),
            "regularisation" => Some(PaymentKind::Regularisation),
            "reversal" => Some(PaymentKind::Reversal),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentKind::Advance => "advance",
            PaymentKind::Regularisation => "regularisation",
            PaymentKind::Reversal => "reversal",
        }
    }
}

/// A row of the payment ledger.
#[derive(Clone, Debug, PartialEq)]
pub struct Payment {
    pub line: u64,
    pub payment_id: Id,
    pub seeker_id: Id,
    pub right_id: Id,
    pub month: Month,
    pub kind: PaymentKind,
    pub days: i64,
    pub daily_rate: Decimal,
    pub amount: Decimal,
    pub paid_on: NaiveDate,
}

/// What an agent decided on a seeker's contest of a finding (nights.md §8.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    /// The seeker was right: the amount examined is not owed.
    Upheld,
    /// The claim stands.
    Rejected,
}

impl Verdict {
    pub fn parse(s: &str) -> Option<Verdict> {
        match s {
            "upheld" => Some(Verdict::Upheld),
            "rejected" => Some(Verdict::Rejected),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Upheld => "upheld",
            Verdict::Rejected => "rejected",
        }
    }
}

/// An agent's decision on a contested finding (décision sur recours).
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub line: u64,
    pub decision_id: Id,
    pub seeker_id: Id,
    /// The finding's month and cause.
    pub month: Month,
    pub cause: crate::reconcile::Cause,
    pub verdict: Verdict,
    /// The amount the agent examined (the finding's amount as shown then).
    pub amount: Decimal,
    pub decided_on: NaiveDate,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every slot of the table, the years on either side of it, and days
    /// and months that are no dates, as chrono builds them.
    #[test]
    fn looked_up_dates_are_chronos() {
        let years = (1968..=2101).chain([0, 1900, 9999, -1, i32::MIN, i32::MAX]);
        for year in years {
            for month in 0..=14 {
                for day in 0..=33 {
                    assert_eq!(
                        date(year, month, day),
                        NaiveDate::from_ymd_opt(year, month, day),
                        "{year}-{month}-{day}"
                    );
                }
            }
        }
        assert_eq!(date(2024, u32::MAX, 1), None);
        assert_eq!(date(2024, 2, u32::MAX), None);
    }

    #[test]
    fn month_parse_and_bounds() {
        let m = Month::parse("2024-02").unwrap();
        assert_eq!(m.to_string(), "2024-02");
        assert_eq!(m.last_day(), NaiveDate::from_ymd_opt(2024, 2, 29).unwrap());
        assert_eq!(Month::parse("2023-12").unwrap().next().to_string(), "2024-01");
        assert!(Month::parse("2024-13").is_none());
        assert!(Month::parse("2024-3").is_none());
        assert!(Month::parse("24-03-01").is_none());
        let r = Month::parse_range("2023-11..2024-02").unwrap();
        assert_eq!(r.iter().map(|m| m.to_string()).collect::<Vec<_>>(), ["2023-11", "2023-12", "2024-01", "2024-02"]);
        assert!(Month::parse_range("2024-03..2024-01").is_none());
    }
}
