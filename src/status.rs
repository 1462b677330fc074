//! Status, prescription and recovery (rules.md §6): what each finding becomes
//! (claim, review, owed, offset, time-barred, written off), the seeker's net,
//! and the notice that recovers it (SMS, phone call, then formal notice).

use chrono::{Datelike, Days, NaiveDate};
use rust_decimal::Decimal;

use crate::model::Month;
use crate::reconcile::{Cause, MonthOutcome, Status};
use crate::rules::{MonthParams, NoticeParams};

/// How the seeker is contacted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Channel {
    Sms,
    Phone,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Phone => "phone",
        }
    }
}

/// The recovery notice of one seeker (notification de trop-perçu).
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub agency_id: Option<String>,
    pub net: Decimal,
    pub channel: Channel,
    pub notified_on: NaiveDate,
    /// The mise en demeure, if the seeker has not repaid by then (R.5426-20).
    pub formal_notice_on: NaiveDate,
    /// (month, cause) of the findings the net counts, in findings order.
    pub findings: Vec<(Month, Cause)>,
}

/// `date` plus whole years; a 29 February falls on 28 February.
pub fn add_years(date: NaiveDate, years: i64) -> NaiveDate {
    let y = date.year() + years as i32;
    date.with_year(y).unwrap_or_else(|| NaiveDate::from_ymd_opt(y, 2, 28).expect("28 February exists"))
}

/// The prescription date of a finding (L.5422-5): 3 years after the month's
/// first payment, 10 for undeclared activity (fausse déclaration).
pub fn time_barred_on(first_paid_on: Option<NaiveDate>, cause: Cause, p: &MonthParams) -> Option<NaiveDate> {
    let years = if cause == Cause::UndeclaredActivity { p.fraud_prescription_years } else { p.prescription_years };
    first_paid_on.map(|d| add_years(d, years))
}

/// Sets every finding's status and prescription date (the first rule of §6 that applies).
pub fn settle_month(m: &mut MonthOutcome, p: &MonthParams, as_of: NaiveDate) {
    let held = m.ambiguous() || m.held;
    let delta = m.delta;
    let first_paid_on = m.first_paid_on;
    for f in &mut m.findings {
        f.time_barred_on = time_barred_on(first_paid_on, f.cause, p);
        f.status = if held {
            Status::Review
        } else if f.amount < Decimal::ZERO {
            Status::Owed
        } else if delta <= Decimal::ZERO {
            Status::Offset
        } else if f.time_barred_on.is_some_and(|d| d < as_of) {
            Status::TimeBarred
        } else if f.cause == Cause::NoDeclaration {
            Status::Review
        } else {
            Status::Claim
        };
    }
}

/// The seeker's notice, if their net (claims, owed and offset) is positive;
/// a net under `write_off_below` is written off instead.
pub fn notice(months: &mut [MonthOutcome], np: &NoticeParams, as_of: NaiveDate) -> Option<Notice> {
    let counted = |s: Status| matches!(s, Status::Claim | Status::Owed | Status::Offset);
    let net: Decimal = months.iter().flat_map(|m| &m.findings).filter(|f| counted(f.status)).map(|f| f.amount).sum();
    if net <= Decimal::ZERO {
        return None;
    }
    if net < np.write_off_below {
        for f in months.iter_mut().flat_map(|m| &mut m.findings) {
            if f.status == Status::Claim {
                f.status = Status::WrittenOff;
            }
        }
        return None;
    }
    let agency_id =
        months.iter().rev().find(|m| m.findings.iter().any(|f| counted(f.status))).and_then(|m| m.agency_id.clone());
    let findings = months
        .iter()
        .flat_map(|m| m.findings.iter().filter(|f| counted(f.status)).map(move |f| (m.month, f.cause)))
        .collect();
    Some(Notice {
        agency_id,
        net,
        channel: if net >= np.sms_max { Channel::Phone } else { Channel::Sms },
        notified_on: as_of,
        formal_notice_on: as_of + Days::new(np.formal_notice_after_days as u64),
        findings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn prescription_years_and_leap_day() {
        assert_eq!(add_years(d("2021-04-02"), 3), d("2024-04-02"));
        assert_eq!(add_years(d("2024-02-29"), 3), d("2027-02-28"));
        assert_eq!(add_years(d("2024-02-29"), 4), d("2028-02-29"));
    }
}
