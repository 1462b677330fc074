//! Status, prescription and recovery (rules.md §6, nights.md §8.2): what each
//! finding becomes (claim, review, owed, offset, time-barred, written off,
//! contested), the seeker's net, and the notice that recovers it (SMS, phone
//! call, then formal notice). How a notice relates to the previous night's is
//! `nights`' business.

use chrono::{Datelike, Days, NaiveDate};
use rust_decimal::Decimal;

use crate::model::{Decision, Month, Verdict};
use crate::reconcile::{Cause, MonthOutcome, Status};
use crate::rules::{MonthParams, NoticeParams};

/// How the seeker is contacted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Channel {
    Sms,
    Phone,
}

impl Channel {
    pub const ALL: [Channel; 2] = [Channel::Sms, Channel::Phone];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Phone => "phone",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The channel for a net (rules.md §6): a phone call from `sms_max` on.
    pub(crate) fn for_net(net: Decimal, np: &NoticeParams) -> Channel {
        if net >= np.sms_max {
            Channel::Phone
        } else {
            Channel::Sms
        }
    }
}

/// What a seeker's notice does tonight, compared with the previous night's
/// (nights.md §8.4), in the order the table tries them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// The first notice of a debt.
    First,
    /// A month the notice rests on is in review: no message, the formal notice suspended.
    Held,
    /// The debt is gone: a message cancels the claim and any formal notice.
    Withdrawn,
    /// Same net as last night: nothing is sent again.
    Unchanged,
    /// Same net after a hold: the review confirmed the claim, a fresh delay.
    Resumed,
    /// The debt grew: a new notice with a fresh delay.
    Increased,
    /// The debt fell: a correction; the formal notice keeps its date.
    Decreased,
}

impl Action {
    pub const ALL: [Action; 7] = [
        Action::First,
        Action::Held,
        Action::Withdrawn,
        Action::Unchanged,
        Action::Resumed,
        Action::Increased,
        Action::Decreased,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::First => "first",
            Action::Held => "held",
            Action::Withdrawn => "withdrawn",
            Action::Unchanged => "unchanged",
            Action::Resumed => "resumed",
            Action::Increased => "increased",
            Action::Decreased => "decreased",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// Whether the seeker gets a message tonight (and the agency counts it).
    pub(crate) fn sends_message(self) -> bool {
        match self {
            Action::First | Action::Withdrawn | Action::Resumed | Action::Increased | Action::Decreased => true,
            Action::Held | Action::Unchanged => false,
        }
    }
}

/// The recovery notice of one seeker (notification de trop-perçu).
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub agency_id: Option<crate::model::Id>,
    pub net: Decimal,
    pub channel: Channel,
    pub notified_on: NaiveDate,
    /// The mise en demeure, if the seeker has not repaid by then (R.5426-20).
    pub formal_notice_on: NaiveDate,
    /// (month, cause) of the findings the net counts, in findings order.
    pub findings: Vec<(Month, Cause)>,
}

/// `date` plus whole years; a 29 February falls on 28 February.
pub(crate) fn add_years(date: NaiveDate, years: i64) -> NaiveDate {
    let y = date.year() + years as i32;
    date.with_year(y).unwrap_or_else(|| NaiveDate::from_ymd_opt(y, 2, 28).expect("28 February exists"))
}

/// The prescription date of a finding (L.5422-5): 3 years after the month's
/// first payment, 10 for undeclared activity (fausse déclaration).
pub fn time_barred_on(first_paid_on: Option<NaiveDate>, cause: Cause, p: &MonthParams) -> Option<NaiveDate> {
    let years = if cause == Cause::UndeclaredActivity { p.fraud_prescription_years } else { p.prescription_years };
    first_paid_on.map(|d| add_years(d, years))
}

/// Why a finding has its status (the rule of §6 that applied first).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The month is ambiguous.
    Ambiguous,
    /// A rejected record touched the seeker-month.
    Held,
    /// An underpayment: money owed to the seeker.
    Underpayment,
    /// Positive, but the month's delta is not: compensated inside the month.
    OffsetInMonth,
    /// The prescription date is before `as_of`.
    Prescribed,
    /// A payment with no declaration behind it is looked at, not claimed.
    NoDeclaration,
    /// An overpayment with its evidence.
    Overpayment,
}

impl Reason {
    pub fn status(self) -> Status {
        match self {
            Reason::Ambiguous | Reason::Held | Reason::NoDeclaration => Status::Review,
            Reason::Underpayment => Status::Owed,
            Reason::OffsetInMonth => Status::Offset,
            Reason::Prescribed => Status::TimeBarred,
            Reason::Overpayment => Status::Claim,
        }
    }
}

/// The first rule of §6 that applies to a finding of month `m`.
pub fn reason(
    m: &MonthOutcome,
    cause: Cause,
    amount: Decimal,
    time_barred_on: Option<NaiveDate>,
    as_of: NaiveDate,
) -> Reason {
    if m.ambiguous() {
        Reason::Ambiguous
    } else if m.held {
        Reason::Held
    } else if amount < Decimal::ZERO {
        Reason::Underpayment
    } else if m.delta <= Decimal::ZERO {
        Reason::OffsetInMonth
    } else if time_barred_on.is_some_and(|d| d < as_of) {
        Reason::Prescribed
    } else if cause == Cause::NoDeclaration {
        Reason::NoDeclaration
    } else {
        Reason::Overpayment
    }
}

/// Nights.md §8.2: an upheld decision turns a `claim` into `contested` when
/// its amount is not above the amount the agent examined, into `review` when
/// new evidence raised it since. `decisions` are the seeker's counting
/// decisions (one per month and cause), sorted by (month, cause); every
/// finding with one records it, whatever its status, for its evidence.
pub(crate) fn apply_decisions(m: &mut MonthOutcome, decisions: &[Decision]) {
    if decisions.is_empty() {
        return;
    }
    for f in &mut m.findings {
        let Ok(i) = decisions.binary_search_by(|d| (d.month, d.cause).cmp(&(m.month, f.cause))) else { continue };
        f.decision = Some(i);
        let d = &decisions[i];
        if f.status == Status::Claim && d.verdict == Verdict::Upheld {
            f.status = if f.amount <= d.amount { Status::Contested } else { Status::Review };
        }
    }
}

/// Sets every finding's status and prescription date.
pub fn settle_month(m: &mut MonthOutcome, p: &MonthParams, as_of: NaiveDate) {
    let decided: Vec<(Option<NaiveDate>, Status)> = m
        .findings
        .iter()
        .map(|f| {
            let on = time_barred_on(m.first_paid_on, f.cause, p);
            (on, reason(m, f.cause, f.amount, on, as_of).status())
        })
        .collect();
    for (f, (on, status)) in m.findings.iter_mut().zip(decided) {
        f.time_barred_on = on;
        f.status = status;
    }
}

/// The seeker's notice, if their net (claims, owed and offset) is positive;
/// a net under `write_off_below` is written off instead.
pub fn notice(months: &mut [MonthOutcome], np: &NoticeParams, as_of: NaiveDate) -> Option<Notice> {
    let counted = Status::counts_in_net;
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
        channel: Channel::for_net(net, np),
        notified_on: as_of,
        formal_notice_on: as_of + Days::new(np.formal_notice_after_days as u64),
        findings,
    })
}

/// Rules.md §6 for one seeker's recomputed months: statuses, prescription,
/// the agents' decisions (nights.md §8.2), and the notice of tonight.
pub(crate) fn settle_seeker(
    months: &mut [MonthOutcome],
    decisions: &[Decision],
    ctx: &crate::reconcile::Context,
) -> Option<Notice> {
    for m in months.iter_mut() {
        settle_month(m, &ctx.params[&m.month], ctx.as_of);
        apply_decisions(m, decisions);
    }
    if months.iter().all(|m| m.findings.is_empty()) {
        return None;
    }
    let np = ctx.rules.notice_params(ctx.as_of).expect("as_of checked against the rule set");
    notice(months, &np, ctx.as_of)
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
