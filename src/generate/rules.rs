//! The generator's own implementation of rules.md §2–§5, in integer cents.
//!
//! This is deliberately independent of the engine (no `crate::rules`,
//! `crate::recompute`, `crate::reconcile`): the truth it computes is the check
//! the engine is scored against. It covers exactly what the generator writes:
//! one right per seeker, at most one declaration per seeker-month, every
//! ledger row naming the seeker's right (so no month is ambiguous).
//!
//! Units: money in cents (`i64`), rates in cents per day, hours in hundredths.

use chrono::NaiveDate;

use crate::model::Month;

/// One dated set of the parameters of rules.md §2 (the table "in force from").
#[derive(Clone, Copy, Debug)]
pub(crate) struct ParamSet {
    pub from: (i32, u32, u32),
    /// Fixed part, €/day, in cents.
    pub fixed: i64,
    /// Minimum allowance, €/day, in cents.
    pub minimum: i64,
    /// Degressivity floor, €/day, in cents (in force from 2019-11-01 only).
    pub floor: i64,
}

/// rules.md §2, the table of fixed part, minimum and degressivity floor.
pub(crate) const PARAMS: [ParamSet; 8] = [
    ParamSet { from: (2019, 7, 1), fixed: 1200, minimum: 2926, floor: 8433 },
    ParamSet { from: (2020, 7, 1), fixed: 1205, minimum: 2938, floor: 8467 },
    ParamSet { from: (2021, 7, 1), fixed: 1212, minimum: 2956, floor: 8518 },
    ParamSet { from: (2022, 7, 1), fixed: 1247, minimum: 3042, floor: 8765 },
    ParamSet { from: (2023, 4, 1), fixed: 1271, minimum: 3100, floor: 8932 },
    ParamSet { from: (2023, 7, 1), fixed: 1295, minimum: 3159, floor: 9102 },
    ParamSet { from: (2024, 7, 1), fixed: 1311, minimum: 3197, floor: 9211 },
    ParamSet { from: (2025, 7, 1), fixed: 1318, minimum: 3213, floor: 9257 },
];

/// sjr_rate_with_fixed 0.404, sjr_rate_alone 0.57, max_sjr_rate 0.75, in thousandths.
const RATE_WITH_FIXED: i64 = 404;
const RATE_ALONE: i64 = 570;
const MAX_SJR_RATE: i64 = 750;
/// degressivity_coefficient 0.7 and earnings_retained_rate 0.70, in tenths.
const DEGRESSIVITY_COEFFICIENT: i64 = 7;
const EARNINGS_RETAINED: i64 = 7;
/// ceiling_days_factor 30.42, in hundredths.
const CEILING_DAYS_FACTOR: i64 = 3042;

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

/// The first date the parameter table covers.
pub(crate) fn first_covered_day() -> NaiveDate {
    let (y, m, d) = PARAMS[0].from;
    ymd(y, m, d)
}

/// Index in `PARAMS` of the set in force on `day`.
pub(crate) fn params_index(day: NaiveDate) -> Option<usize> {
    PARAMS.iter().rposition(|p| ymd(p.from.0, p.from.1, p.from.2) <= day)
}

/// `degressivity_from_day` in force on `day` (rules.md §2), `None` when
/// degressivity is not in force.
pub(crate) fn degressivity_from_day(day: NaiveDate) -> Option<i64> {
    if day < ymd(2019, 11, 1) {
        None
    } else if day < ymd(2020, 3, 1) {
        Some(183)
    } else if day < ymd(2021, 7, 1) {
        None
    } else if day < ymd(2021, 12, 1) {
        Some(243)
    } else {
        Some(183)
    }
}

/// `degressivity_max_age`, looked up at the contract's end date; none for a
/// contract that ended before 2019-11-01, never degressive (spec v3).
pub(crate) fn degressivity_max_age(contract_ended_on: NaiveDate) -> Option<i64> {
    if contract_ended_on < ymd(2019, 11, 1) {
        None
    } else if contract_ended_on >= ymd(2025, 4, 1) {
        Some(55)
    } else {
        Some(57)
    }
}

/// rules.md §2: AJ in cents for an SJR in cents with a parameter set.
pub(crate) fn aj_with(sjr: i64, p: &ParamSet) -> i64 {
    // Work in thousandths of a cent: exact for every term.
    let with_fixed = RATE_WITH_FIXED * sjr + p.fixed * 1000;
    let alone = RATE_ALONE * sjr;
    let minimum = p.minimum * 1000;
    let x = with_fixed.max(alone).max(minimum).min(MAX_SJR_RATE * sjr);
    // Half away from zero; x >= 0.
    (x + 500) / 1000
}

/// rules.md §2 (art. 17 bis): the degressive rate from the full-rate AJ.
pub fn degressive_rate(aj: i64, floor: i64) -> i64 {
    let reduced = (DEGRESSIVITY_COEFFICIENT * aj + 5) / 10;
    aj.min(reduced.max(floor))
}

/// The daily rates of a right for a month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rates {
    pub aj: i64,
    /// `(degressive rate, degressivity_from_day)` when the right is subject to
    /// degressivity for the month.
    pub degressive: Option<(i64, i64)>,
}

pub(crate) fn rates(sjr: i64, month: Month, age_at_contract_end: i64, contract_ended_on: NaiveDate) -> Option<Rates> {
    let first = month.first_day();
    let p = &PARAMS[params_index(first)?];
    let aj = aj_with(sjr, p);
    let degressive = match degressivity_from_day(first) {
        Some(from_day) if degressivity_max_age(contract_ended_on).is_some_and(|max| age_at_contract_end < max) => {
            Some((degressive_rate(aj, p.floor), from_day))
        }
        _ => None,
    };
    Some(Rates { aj, degressive })
}

/// Everything §3 needs about one seeker-month, besides the rate and earnings.
#[derive(Clone, Copy, Debug)]
pub struct MonthFacts {
    pub month: Month,
    pub payable_from: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    pub search_ended_on: Option<NaiveDate>,
    pub sick_days: i64,
    pub sjr: i64,
    pub entitlement_days: i64,
    /// `before(M)`: days consumed before the month.
    pub before: i64,
    pub rates: Rates,
}

/// How a `due` prices its days (rules.md §4–§5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Price {
    /// The full-rate AJ, with the degressive split when it applies.
    Correct,
    /// A wrong paid rate, divisor and price of every day.
    Wrong(i64),
}

/// Which window a `due` uses: F2's month window, or §3 step 1 (F3–F5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    Month,
    Full,
}

/// The result of one `due(rate, earnings, window)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Due {
    pub w: i64,
    pub w_prime: i64,
    pub days: i64,
    /// Days at the first price (AJ, or the wrong rate).
    pub full_days: i64,
    pub full_rate: i64,
    /// Days at the degressive rate.
    pub reduced_days: i64,
    pub reduced_rate: i64,
    pub amount: i64,
    pub ceiling_applied: bool,
}

/// rules.md §3 steps 1–8 under the named inputs (the table of §5).
pub fn due(f: &MonthFacts, price: Price, earnings: i64, window: Window) -> Due {
    let first = f.month.first_day();
    let last = f.month.last_day();
    let start = first.max(f.payable_from);
    let mut end = last;
    if window == Window::Full {
        if let Some(c) = f.closed_on {
            end = end.min(c);
        }
        if let Some(s) = f.search_ended_on {
            end = end.min(s.pred_opt().expect("date"));
        }
    }
    let w = if end >= start { (end - start).num_days() + 1 } else { 0 };
    let w_prime = match window {
        Window::Full => (w - f.sick_days).max(0),
        Window::Month => w,
    };
    let rate = match price {
        Price::Correct => f.rates.aj,
        Price::Wrong(r) => r,
    };
    // Step 4: A = rate × W' − 0.70 × E, in tenths of a cent.
    let a10 = 10 * rate * w_prime - EARNINGS_RETAINED * earnings;
    // Step 5: nearest, ties away from zero, clamped to [0, W'].
    let mut days = if a10 <= 0 || rate <= 0 { 0 } else { ((2 * a10 + 10 * rate) / (20 * rate)).min(w_prime) };
    // Step 6: the ceiling SJR × 30.42, in hundredths of a cent.
    let ceiling = f.sjr * CEILING_DAYS_FACTOR;
    let mut ceiling_applied = false;
    if 100 * (days * rate + earnings) > ceiling {
        ceiling_applied = true;
        let room = ceiling - 100 * earnings;
        days = if room <= 0 || rate <= 0 { 0 } else { room / (100 * rate) };
    }
    // Step 7: the capital (F3–F5 only).
    if window == Window::Full {
        days = days.min(f.entitlement_days - f.before).max(0);
    }
    // Step 8: price the days.
    let (full_days, full_rate, reduced_days, reduced_rate) = match (price, f.rates.degressive) {
        (Price::Wrong(r), _) => (days, r, 0, 0),
        (Price::Correct, None) => (days, f.rates.aj, 0, 0),
        (Price::Correct, Some((dr, from_day))) => {
            let k = (from_day - 1 - f.before).max(0);
            let at_full = days.min(k);
            (at_full, f.rates.aj, days - at_full, dr)
        }
    };
    Due {
        w,
        w_prime,
        days,
        full_days,
        full_rate,
        reduced_days,
        reduced_rate,
        amount: full_days * full_rate + reduced_days * reduced_rate,
        ceiling_applied,
    }
}

/// The causes of rules.md §5 and the ledger's payment kinds: the vocabulary
/// of data.md, shared with the engine (the amounts are this module's own).
pub use crate::model::PaymentKind as Kind;
pub use crate::reconcile::Cause;

/// A ledger row as the truth sees it (all rows name the seeker's one right).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LedgerRow {
    pub paid_on: NaiveDate,
    /// The payment number `n` of `P{seeker}-{YYYYMM}-{n}`; with `n < 10`
    /// the id order of one seeker-month is the order of `n`.
    pub n: u8,
    pub kind: Kind,
    pub days: i64,
    pub rate: i64,
    pub amount: i64,
}

/// The declaration of the month, as far as the truth needs it.
#[derive(Clone, Copy, Debug)]
pub struct DeclFacts {
    pub hours: i64,
    pub gross: i64,
    pub sick_days: i64,
    pub search_ended_on: Option<NaiveDate>,
}

/// The right, as far as the truth needs it.
#[derive(Clone, Copy, Debug)]
pub struct RightFacts {
    pub payable_from: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    pub sjr: i64,
    pub entitlement_days: i64,
    pub age_at_contract_end: i64,
    pub contract_ended_on: NaiveDate,
}

impl RightFacts {
    pub fn covers(&self, m: Month) -> bool {
        self.payable_from <= m.last_day() && self.closed_on.is_none_or(|c| c >= m.first_day())
    }
}

/// The result for one seeker-month.
#[derive(Clone, Debug, Default)]
pub struct MonthTruth {
    /// Findings (|amount| ≥ 0.01 €), in cause order.
    pub rows: Vec<(Cause, i64)>,
    /// F5's days (what `before` advances by), 0 without right or declaration.
    pub days_due: i64,
    pub paid: i64,
    pub due: i64,
}

/// Indices of the duplicate rows (rules.md §4).
pub fn duplicates(rows: &[LedgerRow]) -> Vec<bool> {
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| (rows[i].paid_on, rows[i].n));
    let mut dup = vec![false; rows.len()];
    for (pos, &i) in order.iter().enumerate() {
        let r = &rows[i];
        if r.kind == Kind::Reversal {
            continue;
        }
        dup[i] = order[..pos].iter().any(|&j| {
            let o = &rows[j];
            o.kind == r.kind && o.days == r.days && o.rate == r.rate && o.amount == r.amount
        });
    }
    dup
}

/// rules.md §3–§5 for one seeker-month: `attested` is the sum of the
/// non-conserved payslips known at `as_of` (None when there is none).
pub fn month_truth(
    right: &RightFacts,
    month: Month,
    before: i64,
    decl: Option<&DeclFacts>,
    attested: Option<i64>,
    ledger: &[LedgerRow],
) -> MonthTruth {
    let f0: i64 = ledger.iter().map(|r| r.amount).sum();
    let dup = duplicates(ledger);
    let dups: i64 = ledger.iter().zip(&dup).filter(|(_, d)| **d).map(|(r, _)| r.amount).sum();
    let f1 = f0 - dups;
    let mut rows = Vec::new();
    let mut push = |c: Cause, v: i64| {
        if v != 0 {
            rows.push((c, v));
        }
    };
    push(Cause::DuplicatePayment, dups);
    let rates = if right.covers(month) {
        rates(right.sjr, month, right.age_at_contract_end, right.contract_ended_on)
    } else {
        None
    };
    let Some(rates) = rates else {
        push(Cause::NoActiveRight, f1);
        return MonthTruth { rows, days_due: 0, paid: f0, due: 0 };
    };
    let Some(decl) = decl else {
        push(Cause::NoDeclaration, f1);
        return MonthTruth { rows, days_due: 0, paid: f0, due: 0 };
    };
    let facts = MonthFacts {
        month,
        payable_from: right.payable_from,
        closed_on: right.closed_on,
        search_ended_on: decl.search_ended_on,
        sick_days: decl.sick_days,
        sjr: right.sjr,
        entitlement_days: right.entitlement_days,
        before,
        rates,
    };
    // The paid rate: the first non-duplicate advance by (paid_on, payment_id).
    let mut order: Vec<usize> = (0..ledger.len()).collect();
    order.sort_by_key(|&i| (ledger[i].paid_on, ledger[i].n));
    let r = order
        .iter()
        .find(|&&i| !dup[i] && ledger[i].kind == Kind::Advance)
        .map(|&i| ledger[i].rate)
        .unwrap_or(rates.aj);
    let correct = r == rates.aj || rates.degressive.is_some_and(|(dr, _)| r == dr);
    let price = if correct { Price::Correct } else { Price::Wrong(r) };
    let declared = decl.gross;
    let f2 = due(&facts, price, declared, Window::Month).amount;
    let f3 = due(&facts, price, declared, Window::Full).amount;
    let f4 = due(&facts, Price::Correct, declared, Window::Full).amount;
    let e5 = attested.unwrap_or(declared);
    let d5 = due(&facts, Price::Correct, e5, Window::Full);
    let f5 = d5.amount;
    let outside = (f2 - f3).clamp(0, (f1 - f3).max(0));
    push(Cause::ProcessingError, f1 - f3 - outside);
    push(Cause::OutsideEntitlement, outside);
    push(Cause::RateError, f3 - f4);
    let earnings_cause = if decl.hours == 0 && decl.gross == 0 {
        Cause::UndeclaredActivity
    } else if declared < e5 {
        Cause::UnderdeclaredEarnings
    } else {
        Cause::OverdeclaredEarnings
    };
    push(earnings_cause, f4 - f5);
    MonthTruth { rows, days_due: d5.days, paid: f0, due: f5 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn right(sjr: i64, before_close: Option<&str>) -> RightFacts {
        RightFacts {
            payable_from: d("2023-06-01"),
            closed_on: before_close.map(d),
            sjr,
            entitlement_days: 730,
            age_at_contract_end: 45,
            contract_ended_on: d("2023-05-20"),
        }
    }

    fn adv(days: i64, rate: i64) -> LedgerRow {
        LedgerRow { paid_on: d("2024-04-03"), n: 1, kind: Kind::Advance, days, rate, amount: days * rate }
    }

    fn decl(hours: i64, gross: i64, sick: i64, search: Option<&str>) -> DeclFacts {
        DeclFacts { hours, gross, sick_days: sick, search_ended_on: search.map(d) }
    }

    const MAR: fn() -> Month = || Month::parse("2024-03").unwrap();

    #[test]
    fn hand_worked_cases() {
        // 01: paid right.
        let t = month_truth(&right(6000, None), MAR(), 100, Some(&decl(0, 0, 0, None)), None, &[adv(31, 3719)]);
        assert!(t.rows.is_empty(), "{t:?}");
        // 02: underdeclared.
        let t = month_truth(
            &right(8000, None),
            MAR(),
            100,
            Some(&decl(7000, 80000, 0, None)),
            Some(120000),
            &[adv(19, 4560)],
        );
        assert_eq!(t.rows, vec![(Cause::UnderdeclaredEarnings, 27360)]);
        // 03: undeclared.
        let t = month_truth(&right(5000, None), MAR(), 100, Some(&decl(0, 0, 0, None)), Some(150000), &[adv(31, 3315)]);
        assert_eq!(t.rows, vec![(Cause::UndeclaredActivity, 102765)]);
        // 04: overdeclared.
        let t = month_truth(
            &right(8000, None),
            MAR(),
            100,
            Some(&decl(9000, 120000, 0, None)),
            Some(80000),
            &[adv(13, 4560)],
        );
        assert_eq!(t.rows, vec![(Cause::OverdeclaredEarnings, -27360)]);
        // 05: duplicate.
        let mut second = adv(31, 3719);
        second.paid_on = d("2024-04-04");
        second.n = 2;
        let t = month_truth(&right(6000, None), MAR(), 100, Some(&decl(0, 0, 0, None)), None, &[adv(31, 3719), second]);
        assert_eq!(t.rows, vec![(Cause::DuplicatePayment, 115289)]);
        // 06: rate error, July 2024.
        let jul = Month::parse("2024-07").unwrap();
        let t = month_truth(&right(5000, None), jul, 100, Some(&decl(0, 0, 0, None)), None, &[adv(31, 3315)]);
        assert_eq!(t.rows, vec![(Cause::RateError, -496)]);
        // 07: sick leave.
        let t = month_truth(&right(6000, None), MAR(), 100, Some(&decl(0, 0, 10, None)), None, &[adv(31, 3719)]);
        assert_eq!(t.rows, vec![(Cause::OutsideEntitlement, 37190)]);
        // 08: closed mid-month.
        let t = month_truth(
            &right(6000, Some("2024-03-15")),
            MAR(),
            100,
            Some(&decl(0, 0, 0, None)),
            None,
            &[adv(31, 3719)],
        );
        assert_eq!(t.rows, vec![(Cause::OutsideEntitlement, 59504)]);
        // 09: capital exhausted.
        let t = month_truth(&right(6000, None), MAR(), 720, Some(&decl(0, 0, 0, None)), None, &[adv(31, 3719)]);
        assert_eq!(t.rows, vec![(Cause::OutsideEntitlement, 78099)]);
        // 10: degressivity crossing.
        let t = month_truth(&right(20000, None), MAR(), 172, Some(&decl(0, 0, 0, None)), None, &[adv(31, 11400)]);
        assert_eq!(t.rows, vec![(Cause::ProcessingError, 48258)]);
        // 11: ceiling.
        let t = month_truth(
            &right(4000, None),
            MAR(),
            100,
            Some(&decl(10000, 100000, 0, None)),
            Some(100000),
            &[adv(8, 3000)],
        );
        assert_eq!(t.rows, vec![(Cause::ProcessingError, 3000)]);
        // 12: no right.
        let t = month_truth(
            &right(6000, Some("2024-02-29")),
            MAR(),
            100,
            Some(&decl(0, 0, 0, None)),
            None,
            &[adv(31, 3719)],
        );
        assert_eq!(t.rows, vec![(Cause::NoActiveRight, 115289)]);
        // 13: awaiting payslip.
        let t = month_truth(&right(6000, None), MAR(), 100, Some(&decl(4000, 60000, 0, None)), None, &[adv(20, 3719)]);
        assert!(t.rows.is_empty(), "{t:?}");
        // 14: search ended.
        let t = month_truth(
            &right(6000, None),
            MAR(),
            100,
            Some(&decl(0, 0, 0, Some("2024-03-11"))),
            None,
            &[adv(31, 3719)],
        );
        assert_eq!(t.rows, vec![(Cause::OutsideEntitlement, 78099)]);
        // 15: old parameters, wrong rate and sick leave.
        let m21 = Month::parse("2021-03").unwrap();
        let mut r15 = right(6000, None);
        r15.payable_from = d("2020-06-01");
        r15.contract_ended_on = d("2020-05-15");
        let mut p = adv(31, 3636);
        p.paid_on = d("2021-04-02");
        let t = month_truth(&r15, m21, 100, Some(&decl(0, 0, 10, None)), None, &[p]);
        assert_eq!(t.rows, vec![(Cause::OutsideEntitlement, 36360), (Cause::RateError, 147)]);
        let t = month_truth(&r15, m21, 100, Some(&decl(0, 0, 0, None)), Some(250000), &[p]);
        assert_eq!(t.rows, vec![(Cause::RateError, 217), (Cause::UndeclaredActivity, 112499)]);
        // 17: offset (nothing paid).
        let t = month_truth(&right(8000, None), MAR(), 100, Some(&decl(7000, 80000, 0, None)), Some(120000), &[]);
        assert_eq!(t.rows, vec![(Cause::ProcessingError, -86640), (Cause::UnderdeclaredEarnings, 27360)]);
        // 18: capital after cumul.
        let apr22 = Month::parse("2022-04").unwrap();
        let mut r18 = right(6158, None);
        r18.payable_from = d("2021-10-01");
        r18.age_at_contract_end = 58;
        r18.contract_ended_on = d("2021-09-01");
        let mut p = adv(4, 3700);
        p.paid_on = d("2022-04-28");
        let t = month_truth(&r18, apr22, 726, Some(&decl(10000, 120000, 0, None)), Some(120000), &[p]);
        assert!(t.rows.is_empty(), "{t:?}");
        assert_eq!(t.days_due, 4);
    }

    #[test]
    fn rounding_of_aj_and_degressive_rate() {
        let p = &PARAMS[5];
        // 0.57 × 200 = 114.00; 0.404 × 40 + 12.95 = 29.11 < min 31.59, capped at 30.00.
        assert_eq!(aj_with(20000, p), 11400);
        assert_eq!(aj_with(4000, p), 3000);
        assert_eq!(degressive_rate(11400, p.floor), 9102);
        assert_eq!(degressive_rate(20000, p.floor), 14000);
        assert_eq!(degressive_rate(8000, p.floor), 8000);
        // Half away from zero: 0.7 × 150.05 = 105.035 -> 105.04.
        assert_eq!(degressive_rate(15005, p.floor), 10504);
    }
}
