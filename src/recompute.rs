//! The month's entitlement (rules.md §2–§3): the daily allowance (AJ) and its
//! degressive rate, the payable window, and `due(rate, earnings, window)` —
//! the one computation every step of the waterfall repeats.
//!
//! Every function returns its intermediate figures, so that `explain` shows
//! exactly what the run computed.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::model::{Declaration, Month, Right};
use crate::rules::{DayRounding, Degressivity, MonthParams};

/// Rounds to the cent, half away from zero (rules.md: "rounded to the cent").
pub(crate) fn round_cents(x: Decimal) -> Decimal {
    round_half_away(x, 2)
}

/// `x.round_dp_with_strategy(places, MidpointAwayFromZero)`, the same value,
/// scale and sign (a negative that rounds to zero is `0`, a `-0` stays
/// one), computed on the mantissa: rust_decimal's
/// general rounding was 1.7 % of a run's CPU, called for every allowance,
/// rate and amount of every seeker-month.
fn round_half_away(x: Decimal, places: u32) -> Decimal {
    if x.scale() <= places {
        return x;
    }
    let mut r = Decimal::from_i128_with_scale(crate::output::fixed_units(x, places), places);
    r.set_sign_negative(x.is_sign_negative() && (!r.is_zero() || x.is_zero()));
    r
}

/// How the daily allowance (allocation journalière, art. 14) was obtained.
#[derive(Clone, Debug, PartialEq)]
pub struct Allowance {
    /// `sjr_rate_with_fixed × SJR + fixed_part`
    pub with_fixed_part: Decimal,
    /// `sjr_rate_alone × SJR`
    pub rate_alone: Decimal,
    pub minimum: Decimal,
    /// `max_sjr_rate × SJR` (art. 16), which wins over the minimum.
    pub cap: Decimal,
    pub capped: bool,
    /// The AJ, rounded to the cent.
    pub aj: Decimal,
}

/// rules.md §2: `AJ = min(max(a·SJR + fixed, b·SJR, minimum), 0.75·SJR)`, to the cent.
pub(crate) fn daily_allowance(sjr: Decimal, p: &MonthParams) -> Allowance {
    let with_fixed_part = p.sjr_rate_with_fixed * sjr + p.fixed_part;
    let rate_alone = p.sjr_rate_alone * sjr;
    let best = with_fixed_part.max(rate_alone).max(p.minimum);
    let cap = p.max_sjr_rate * sjr;
    let capped = best > cap;
    Allowance { with_fixed_part, rate_alone, minimum: p.minimum, cap, capped, aj: round_cents(best.min(cap)) }
}

/// art. 17 bis: `min(AJ, max(round(coefficient × AJ), floor))`.
pub fn degressive_rate(aj: Decimal, d: &Degressivity) -> Decimal {
    aj.min(round_cents(d.coefficient * aj).max(d.floor))
}

/// Degressivity applies to the right in the month: in force for the month
/// and the seeker under the age limit at the contract's end.
pub(crate) fn degressivity_applies(right: &Right, p: &MonthParams, max_age: Option<i64>) -> Option<Degressivity> {
    match (p.degressivity, max_age) {
        (Some(d), Some(age)) if right.age_at_contract_end < age => Some(d),
        _ => None,
    }
}

/// What ends the payable window before the month's last day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowEnd {
    MonthEnd,
    /// The right's `closed_on`.
    Closed,
    /// The day before the declaration's `search_ended_on`.
    SearchEnded,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PayableWindow {
    pub start: NaiveDate,
    /// The window starts on `payable_from`, not on the month's first day.
    pub starts_at_payable_from: bool,
    pub end: NaiveDate,
    pub end_reason: WindowEnd,
    /// Days in the window, 0 when it is empty.
    pub days: i64,
}

/// rules.md §3 step 1. With `full = false` the window ignores the closing date
/// and the end of search (F2's "month window").
pub(crate) fn payable_window(
    month: Month,
    right: &Right,
    declaration: Option<&Declaration>,
    full: bool,
) -> PayableWindow {
    let first = month.first_day();
    let start = first.max(right.payable_from);
    let mut end = month.last_day();
    let mut end_reason = WindowEnd::MonthEnd;
    if full {
        if let Some(closed) = right.closed_on {
            if closed < end {
                end = closed;
                end_reason = WindowEnd::Closed;
            }
        }
        if let Some(ended) = declaration.and_then(|d| d.search_ended_on) {
            let last = ended.pred_opt().unwrap_or(ended);
            if last < end {
                end = last;
                end_reason = WindowEnd::SearchEnded;
            }
        }
    }
    let days = ((end - start).num_days() + 1).max(0);
    PayableWindow { start, starts_at_payable_from: start > first, end, end_reason, days }
}

/// How the days of a `due` are priced (§3 step 8).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pricing {
    /// Every day at one rate (no degressivity, or a wrong paid rate).
    Flat(Decimal),
    /// The first `full_rate_days` days at AJ, the rest at the degressive rate.
    Split { aj: Decimal, degressive: Decimal, full_rate_days: i64 },
}

/// The inputs of one `due(rate, earnings, window)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DueInput {
    /// The divisor and cumul rate of steps 4–6: AJ or the wrong paid rate.
    pub rate: Decimal,
    pub pricing: Pricing,
    pub earnings: Decimal,
    /// `W'`: payable days after sick leave (F2: the whole month window).
    pub payable_days: i64,
    /// `SJR × ceiling_days_factor`.
    pub ceiling: Decimal,
    /// Days left on the right's capital; `None` where the step ignores it (F2).
    pub capital_left: Option<i64>,
}

/// Every figure of one `due`, in the order of rules.md §3 steps 4–8.
#[derive(Clone, Debug, PartialEq)]
pub struct Due {
    pub input: DueInput,
    /// `A = rate × W' − earnings_retained_rate × E`, unrounded.
    pub a: Decimal,
    /// `A / rate` before rounding (0 when A ≤ 0).
    pub quotient: Decimal,
    /// Days after rounding and the clamp to `[0, W']`.
    pub days_after_cumul: i64,
    /// Allowance plus earnings exceeded the monthly reference wage.
    pub ceiling_applied: bool,
    pub days_after_ceiling: i64,
    /// The capital cut the days.
    pub capital_applied: bool,
    pub days: i64,
    pub full_rate_days: i64,
    pub reduced_days: i64,
    pub amount: Decimal,
}

fn round_days(q: Decimal, mode: DayRounding) -> i64 {
    let r = match mode {
        DayRounding::Nearest => round_half_away(q, 0),
        DayRounding::Down => q.floor(),
        DayRounding::Up => q.ceil(),
    };
    i64::try_from(r.mantissa() / 10i128.pow(r.scale())).unwrap_or(i64::MAX)
}

/// rules.md §3 steps 4–8 for one rate, earnings and window.
pub fn due(input: DueInput, p: &MonthParams) -> Due {
    let DueInput { rate, pricing, earnings, payable_days, ceiling, capital_left } = input;
    let a = rate * Decimal::from(payable_days) - p.earnings_retained_rate * earnings;
    let (quotient, days_after_cumul) = if a <= Decimal::ZERO || rate <= Decimal::ZERO {
        (Decimal::ZERO, 0)
    } else {
        let q = a / rate;
        (q, round_days(q, p.day_rounding).clamp(0, payable_days))
    };
    let mut days = days_after_cumul;
    let ceiling_applied = rate * Decimal::from(days) + earnings > ceiling;
    if ceiling_applied {
        days = if rate > Decimal::ZERO { round_days((ceiling - earnings) / rate, DayRounding::Down).max(0) } else { 0 };
    }
    let days_after_ceiling = days;
    let mut capital_applied = false;
    if let Some(left) = capital_left {
        if days > left.max(0) {
            days = left.max(0);
            capital_applied = true;
        }
    }
    let (full_rate_days, reduced_days, amount) = match pricing {
        Pricing::Flat(r) => (days, 0, r * Decimal::from(days)),
        Pricing::Split { aj, degressive, full_rate_days } => {
            let full = days.min(full_rate_days.max(0));
            let reduced = days - full;
            (full, reduced, aj * Decimal::from(full) + degressive * Decimal::from(reduced))
        }
    };
    Due {
        input,
        a,
        quotient,
        days_after_cumul,
        ceiling_applied,
        days_after_ceiling,
        capital_applied,
        days,
        full_rate_days,
        reduced_days,
        amount: round_cents(amount),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;
    use rust_decimal_macros::dec;

    fn params(month: &str) -> MonthParams {
        RuleSet::default_rules().for_month(Month::parse(month).unwrap()).unwrap()
    }

    #[test]
    fn aj_takes_the_best_formula_then_the_cap() {
        let p = params("2024-03");
        // 0.404 × 60 + 12.95 = 37.19 beats 34.20 and 31.59 (case 01).
        assert_eq!(daily_allowance(dec!(60), &p).aj, dec!(37.19));
        // 57 % wins from SJR 80: 45.60 > 45.27 (case 02).
        assert_eq!(daily_allowance(dec!(80), &p).aj, dec!(45.60));
        // The minimum 31.59 beats 29.11, but the 75 % cap (30.00) wins over it (case 11).
        let a = daily_allowance(dec!(40), &p);
        assert_eq!((a.aj, a.capped), (dec!(30.00), true));
        // SJR 42: the minimum 31.59 is above the cap 31.50: the cap wins.
        assert_eq!(daily_allowance(dec!(42), &p).aj, dec!(31.50));
        // SJR 43: max(30.322, 24.51, 31.59) = 31.59 under the cap 32.25.
        assert_eq!(daily_allowance(dec!(43), &p).aj, dec!(31.59));
        // Half a cent rounds away from zero: 0.404 × 61.25 + 12.95 = 37.695 → 37.70.
        assert_eq!(daily_allowance(dec!(61.25), &p).aj, dec!(37.70));
    }

    #[test]
    fn aj_uses_the_april_2023_revaluation() {
        // SJR 60: March 2023 → 0.404 × 60 + 12.47 = 36.71; April 2023 → + 12.71 = 36.95.
        assert_eq!(daily_allowance(dec!(60), &params("2023-03")).aj, dec!(36.71));
        assert_eq!(daily_allowance(dec!(60), &params("2023-04")).aj, dec!(36.95));
        assert_eq!(daily_allowance(dec!(60), &params("2023-07")).aj, dec!(37.19));
    }

    #[test]
    fn degressive_rate_is_floored_and_never_above_aj() {
        let d = params("2024-03").degressivity.unwrap();
        assert_eq!(degressive_rate(dec!(114.00), &d), dec!(91.02)); // 79.80 < floor
        assert_eq!(degressive_rate(dec!(150.00), &d), dec!(105.00));
        assert_eq!(degressive_rate(dec!(80.00), &d), dec!(80.00)); // under the floor: unchanged
        assert_eq!(degressive_rate(dec!(140.05), &d), dec!(98.04)); // 98.035 → away from zero
    }

    #[test]
    fn rounding_on_the_mantissa_is_rust_decimals_to_the_scale_and_sign() {
        use crate::generate::rng::Rng;
        use rust_decimal::RoundingStrategy::MidpointAwayFromZero;
        let mut rng = Rng::new(15, 0, 0);
        let mut checked = 0;
        for i in 0..400_000u64 {
            // Mantissas of every size up to rust_decimal's 96 bits, small
            // ones often (their halves and ties are where rounding errs).
            let bits = rng.below(97) as u32;
            let mut m = (u128::from(rng.next_u64()) << 64 | u128::from(rng.next_u64())) >> (128 - bits.max(1));
            if i % 4 == 0 {
                m = m % 2000 * 5;
            }
            let x = Decimal::from_i128_with_scale(m as i128, rng.below(29) as u32);
            let x = if rng.below(2) == 0 { -x } else { x };
            for places in [0, 2, 3] {
                let (ours, theirs) =
                    (round_half_away(x, places), x.round_dp_with_strategy(places, MidpointAwayFromZero));
                assert_eq!(ours.serialize(), theirs.serialize(), "{x} to {places} places: {ours} against {theirs}");
                checked += 1;
            }
        }
        assert_eq!(checked, 1_200_000);
        // By hand: ties away from zero, a negative that rounds to zero has
        // no sign, and a figure with fewer decimals keeps its scale.
        assert_eq!(round_cents(dec!(37.695)).to_string(), "37.70");
        assert_eq!(round_cents(dec!(-37.695)).to_string(), "-37.70");
        assert_eq!(round_cents(dec!(-0.004)).to_string(), "0.00");
        assert_eq!(round_cents(dec!(5.1)).to_string(), "5.1");
    }

    fn due_at(rate: Decimal, e: Decimal, w: i64, ceiling: Decimal, capital: Option<i64>) -> Due {
        let input = DueInput {
            rate,
            pricing: Pricing::Flat(rate),
            earnings: e,
            payable_days: w,
            ceiling,
            capital_left: capital,
        };
        due(input, &params("2024-03"))
    }

    #[test]
    fn days_round_to_nearest_and_ties_away_from_zero() {
        // Case 02: A = 853.60 → 18.72 → 19 days.
        let d = due_at(dec!(45.60), dec!(800), 31, dec!(2433.60), Some(630));
        assert_eq!((d.a, d.days, d.amount), (dec!(853.60), 19, dec!(866.40)));
        // A / AJ = 12.5 exactly → 13.
        let d = due_at(dec!(40), dec!(400), 20, dec!(99999), None);
        assert_eq!((d.a, d.quotient, d.days), (dec!(520.00), dec!(13), 13));
        // A = 800 − 140 = 660 → 16.5 exactly → 17.
        let d = due_at(dec!(40), dec!(200), 20, dec!(99999), None);
        assert_eq!((d.quotient, d.days), (dec!(16.5), 17));
        // A = 800 − 0.7 × 208 = 654.40 → 16.36 → 16.
        assert_eq!(due_at(dec!(40), dec!(208), 20, dec!(99999), None).days, 16);
    }

    #[test]
    fn nothing_due_when_earnings_eat_the_allowance() {
        // Case 03: A = 1027.65 − 1050 < 0.
        let d = due_at(dec!(33.15), dec!(1500), 31, dec!(1521), None);
        assert_eq!((d.days, d.amount), (0, dec!(0)));
    }

    #[test]
    fn ceiling_takes_whole_days_below_the_reference_wage() {
        // Case 11: 8 days × 30 + 1000 > 1216.80 → floor(216.80 / 30) = 7.
        let d = due_at(dec!(30), dec!(1000), 31, dec!(40) * dec!(30.42), None);
        assert_eq!((d.days_after_cumul, d.ceiling_applied, d.days, d.amount), (8, true, 7, dec!(210.00)));
        // Exactly at the ceiling is allowed (strictly exceeding only).
        let d = due_at(dec!(10), dec!(0), 30, dec!(300), None);
        assert_eq!((d.ceiling_applied, d.days), (false, 30));
    }

    #[test]
    fn capital_limits_days_not_the_cumul_base() {
        // Case 18: 7 days from the cumul, 4 left on the capital.
        let p = params("2022-04");
        let input = DueInput {
            rate: dec!(37),
            pricing: Pricing::Flat(dec!(37)),
            earnings: dec!(1200),
            payable_days: 30,
            ceiling: dec!(61.58) * dec!(30.42),
            capital_left: Some(4),
        };
        let d = due(input, &p);
        assert_eq!((d.days_after_cumul, d.capital_applied, d.days, d.amount), (7, true, 4, dec!(148.00)));
        let d = due_at(dec!(37.19), dec!(0), 31, dec!(9999), Some(-3));
        assert_eq!(d.days, 0);
    }

    #[test]
    fn degressive_split_before_across_and_after_the_threshold() {
        let p = params("2024-03");
        let split = |k| DueInput {
            rate: dec!(114),
            pricing: Pricing::Split { aj: dec!(114), degressive: dec!(91.02), full_rate_days: k },
            earnings: dec!(0),
            payable_days: 31,
            ceiling: dec!(6084),
            capital_left: None,
        };
        // Before: 182 days left at full rate.
        assert_eq!(due(split(100), &p).amount, dec!(3534.00));
        // Across (case 10): 10 days at 114, 21 at 91.02.
        let d = due(split(10), &p);
        assert_eq!((d.full_rate_days, d.reduced_days, d.amount), (10, 21, dec!(3051.42)));
        // After: every day at the reduced rate.
        assert_eq!(due(split(0), &p).amount, dec!(2821.62));
    }

    #[test]
    fn window_is_cut_by_payable_from_closure_and_search_end() {
        let right = Right {
            line: 2,
            right_id: "R".into(),
            seeker_id: "S".into(),
            agency_id: "A".into(),
            opened_on: NaiveDate::from_ymd_opt(2024, 2, 20).unwrap(),
            payable_from: NaiveDate::from_ymd_opt(2024, 3, 5).unwrap(),
            closed_on: NaiveDate::from_ymd_opt(2024, 3, 20),
            sjr: dec!(60),
            entitlement_days: 730,
            days_paid_before: 0,
            age_at_contract_end: 40,
            contract_ended_on: NaiveDate::from_ymd_opt(2024, 2, 19).unwrap(),
        };
        let m = Month::parse("2024-03").unwrap();
        let w = payable_window(m, &right, None, true);
        assert_eq!((w.days, w.starts_at_payable_from, w.end_reason), (16, true, WindowEnd::Closed));
        assert_eq!(payable_window(m, &right, None, false).days, 27);
        let decl = Declaration {
            line: 2,
            declaration_id: "D".into(),
            seeker_id: "S".into(),
            month: m,
            declared_on: NaiveDate::from_ymd_opt(2024, 3, 28).unwrap(),
            hours_worked: dec!(0),
            gross_earnings: dec!(0),
            sick_days: 0,
            search_ended_on: NaiveDate::from_ymd_opt(2024, 3, 11),
        };
        let w = payable_window(m, &right, Some(&decl), true);
        assert_eq!((w.days, w.end_reason), (6, WindowEnd::SearchEnded));
        let early = Declaration { search_ended_on: NaiveDate::from_ymd_opt(2024, 3, 1), ..decl };
        assert_eq!(payable_window(m, &right, Some(&early), true).days, 0);
    }
}
