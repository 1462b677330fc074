//! One seeker's story over the generated months: a right, a declaration a
//! month, payslips, the payments the agency made, the anomalies injected into
//! them, and the truth computed from the records as written.
//!
//! Every draw comes from the seeker's own generator, so a seeker's records
//! depend only on (seed, seeker index, months).

use chrono::{Datelike, Duration, NaiveDate};

use super::rng::{Rng, STREAM_DATA};
use super::rules::{
    self, aj_with, month_truth, params_index, Cause, DeclFacts, Due, Kind, LedgerRow, MonthFacts, Price, Rates,
    RightFacts, Window, PARAMS,
};
use crate::model::Month;

/// What every seeker shares.
pub struct Plan {
    pub months: Vec<Month>,
    pub as_of: NaiveDate,
}

pub(crate) const AGENCIES: [&str; 36] = [
    "ARA-069-LYON3",
    "ARA-069-VILLEURBANNE",
    "ARA-038-GRENOBLE",
    "ARA-042-SAINTETIENNE",
    "ARA-063-CLERMONT",
    "BFC-021-DIJON",
    "BFC-025-BESANCON",
    "BRE-035-RENNES",
    "BRE-029-BREST",
    "CVL-045-ORLEANS",
    "CVL-037-TOURS",
    "GES-067-STRASBOURG",
    "GES-057-METZ",
    "GES-051-REIMS",
    "HDF-059-LILLE",
    "HDF-059-ROUBAIX",
    "HDF-080-AMIENS",
    "IDF-075-PARIS11",
    "IDF-075-PARIS19",
    "IDF-093-BOBIGNY",
    "IDF-093-SAINTDENIS",
    "IDF-094-CRETEIL",
    "IDF-092-NANTERRE",
    "IDF-078-VERSAILLES",
    "NOR-076-ROUEN",
    "NOR-014-CAEN",
    "NAQ-033-BORDEAUX",
    "NAQ-087-LIMOGES",
    "OCC-031-TOULOUSE",
    "OCC-034-MONTPELLIER",
    "PDL-044-NANTES",
    "PDL-049-ANGERS",
    "PAC-013-MARSEILLE",
    "PAC-006-NICE",
    "COR-020-AJACCIO",
    "REU-974-SAINTDENIS",
];

/// The seeker's right as written in rights.csv.
#[derive(Clone, Debug)]
pub struct RightRec {
    pub facts: RightFacts,
    pub agency: &'static str,
    pub opened_on: NaiveDate,
    pub days_paid_before: i64,
}

#[derive(Clone, Debug)]
pub struct DeclRec {
    pub month: Month,
    pub declared_on: NaiveDate,
    pub facts: DeclFacts,
}

#[derive(Clone, Debug)]
pub struct SlipRec {
    pub month: Month,
    pub n: u8,
    /// 14-digit SIRET.
    pub employer: u64,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// Hundredths of an hour.
    pub hours: i64,
    pub gross: i64,
    pub received_on: NaiveDate,
    pub conserved: bool,
}

#[derive(Clone, Debug)]
pub struct PayRec {
    pub month: Month,
    pub row: LedgerRow,
}

/// What was injected into a seeker-month (for tests and statistics; the
/// truth itself comes from the rules applied to the written records).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anomaly {
    None,
    Underdeclared,
    Undeclared,
    Overdeclared,
    WrongRate,
    PaidTooMuch,
    PaidTooLittle,
    NoDeclaration,
    Duplicate,
    SickLeavePaid,
    SearchEndPaid,
    ClosurePaid,
    CapitalPaid,
    NoRight,
}

#[derive(Clone, Debug)]
pub struct Seeker {
    pub index: u64,
    pub right: RightRec,
    pub decls: Vec<DeclRec>,
    pub slips: Vec<SlipRec>,
    pub pays: Vec<PayRec>,
    /// (month, cause, amount in cents), in month then cause order.
    pub truth: Vec<(Month, Cause, i64)>,
    /// Injected anomalies by month (plus whether a duplicate was added).
    pub injected: Vec<(Month, Anomaly, bool)>,
}

/// A piecewise-linear inverse distribution: (parts per million, value).
fn quantile(rng: &mut Rng, table: &[(i64, i64)]) -> i64 {
    let u = rng.ppm();
    for w in table.windows(2) {
        let ((u0, v0), (u1, v1)) = (w[0], w[1]);
        if u < u1 {
            return v0 + (v1 - v0) * (u - u0) / (u1 - u0);
        }
    }
    table[table.len() - 1].1
}

/// Reference daily wages in cents: most between 40 and 120 €/day, a tail past 250.
const SJR_TABLE: [(i64, i64); 13] = [
    (0, 1500),
    (20_000, 2500),
    (50_000, 3000),
    (100_000, 3700),
    (250_000, 4800),
    (500_000, 6300),
    (750_000, 8300),
    (900_000, 11000),
    (950_000, 13500),
    (975_000, 17000),
    (990_000, 21000),
    (997_000, 26500),
    (1_000_000, 38000),
];

const AGE_TABLE: [(i64, i64); 7] =
    [(0, 18), (100_000, 24), (300_000, 31), (600_000, 42), (850_000, 54), (900_000, 57), (1_000_000, 67)];

/// SMIC 2024, €/hour gross, in cents.
const SMIC_HOURLY: i64 = 1165;

fn days(n: i64) -> Duration {
    Duration::days(n)
}

fn day_of(m: Month, day: i64) -> NaiveDate {
    m.first_day() + days(day - 1)
}

fn ndays(m: Month) -> i64 {
    m.last_day().day() as i64
}

fn siret(rng: &mut Rng) -> u64 {
    let siren = rng.range(100_000_000, 999_999_999) as u64;
    let nic = *rng.pick(&[10u64, 17, 18, 25, 26, 33, 34, 41, 42, 58]);
    siren * 100_000 + nic
}

/// Injection rates per seeker-month, in parts per million (the rest is clean).
/// Tuned so that overpayments are about 3 % of the amounts paid, 62/38
/// between under-declared and undeclared earnings, and 450–560 € on average
/// per notified seeker.
const INJECTIONS: [(Anomaly, i64); 10] = [
    (Anomaly::Underdeclared, 28_000),
    (Anomaly::Undeclared, 16_500),
    (Anomaly::Overdeclared, 7_000),
    (Anomaly::WrongRate, 5_000),
    (Anomaly::PaidTooMuch, 3_000),
    (Anomaly::PaidTooLittle, 1_000),
    (Anomaly::NoDeclaration, 800),
    (Anomaly::Duplicate, 1_000),
    (Anomaly::SickLeavePaid, 3_000),
    (Anomaly::SearchEndPaid, 1_200),
];

fn draw_anomaly(rng: &mut Rng) -> Anomaly {
    let mut u = rng.ppm();
    for (a, p) in INJECTIONS {
        if u < p {
            return a;
        }
        u -= p;
    }
    Anomaly::None
}

/// The seeker's habits.
struct Profile {
    work_prob: f64,
    hourly: i64,
    employers: [u64; 2],
    n_employers: usize,
    conserved: Option<(u64, i64, i64)>, // employer, hours, hourly
}

/// Ledger rows of a priced `Due`: one advance, or two when the degressive
/// rate starts inside the month.
fn advance_rows(d: &Due, paid_on: NaiveDate, next_n: &mut u8) -> Vec<LedgerRow> {
    let mut rows = Vec::new();
    let mut push = |days: i64, rate: i64, rows: &mut Vec<LedgerRow>| {
        if days > 0 {
            rows.push(LedgerRow { paid_on, n: *next_n, kind: Kind::Advance, days, rate, amount: days * rate });
            *next_n += 1;
        }
    };
    if d.reduced_days > 0 && d.reduced_rate == d.full_rate {
        push(d.days, d.full_rate, &mut rows);
    } else {
        push(d.full_days, d.full_rate, &mut rows);
        push(d.reduced_days, d.reduced_rate, &mut rows);
    }
    rows
}

/// A paid rate that is neither AJ nor the degressive rate: the parameters
/// before the last revaluation (a missed 1 July), or an SJR keyed wrongly.
fn wrong_rate(rng: &mut Rng, sjr: i64, month: Month, rates: &Rates) -> i64 {
    let ok = |r: i64| r > 0 && r != rates.aj && rates.degressive.is_none_or(|(dr, _)| dr != r);
    let idx = params_index(month.first_day()).expect("covered month");
    // A missed revaluation is most likely in the months right after it.
    let (y, m, d) = PARAMS[idx].from;
    let since = (month.first_day() - NaiveDate::from_ymd_opt(y, m, d).expect("date")).num_days();
    if idx > 0 && rng.chance(if since < 62 { 0.85 } else { 0.3 }) {
        let r = aj_with(sjr, &PARAMS[idx - 1]);
        if ok(r) {
            return r;
        }
    }
    for _ in 0..8 {
        let pct = rng.range(3, 12) * if rng.chance(0.5) { 1 } else { -1 };
        let r = aj_with(sjr * (100 + pct) / 100, &PARAMS[idx]);
        if ok(r) {
            return r;
        }
    }
    let r = rates.aj - rng.range(1, 30);
    if ok(r) {
        r
    } else {
        rates.aj + 7
    }
}

/// Generates seeker `index`.
pub fn seeker(plan: &Plan, seed: u64, index: u64) -> Seeker {
    let mut rng = Rng::new(seed, STREAM_DATA, index);
    let months = &plan.months;
    let m1 = months[0];
    let as_of = plan.as_of;

    // ---- the right
    let agency = *rng.pick(&AGENCIES);
    let sjr = quantile(&mut rng, &SJR_TABLE);
    let age = quantile(&mut rng, &AGE_TABLE);
    let entitlement_days =
        if age >= 55 { *rng.pick(&[548, 685, 822, 822]) } else { *rng.pick(&[182, 274, 365, 457, 548, 548, 730, 730]) };
    let start_kind = rng.ppm();
    let closed_before = start_kind < 1_000;
    let new_right = !closed_before && start_kind < 75_000;
    let (payable_from, days_paid_before) = if new_right {
        let m = *rng.pick(months);
        (day_of(m, rng.range(1, ndays(m))), 0)
    } else {
        let u = rng.ppm();
        let dpb = if closed_before {
            rng.range(30, entitlement_days - 40)
        } else if u < 30_000 {
            entitlement_days - rng.range(1, 35)
        } else if u < 130_000 && entitlement_days > 210 {
            rng.range(140, 200)
        } else {
            rng.range(0, entitlement_days - 36)
        };
        let elapsed = dpb + 7 + rng.range(0, dpb / 3 + 30) + if closed_before { 60 } else { 0 };
        (m1.first_day() - days(elapsed), dpb)
    };
    let opened_on = payable_from - days(rng.range(7, 35));
    let contract_ended_on = opened_on - days(rng.range(0, 20));
    // degressivity_max_age is looked up at contract_ended_on, and the parameter
    // table starts on 2019-07-01: rules.md does not say whether an older contract
    // is subject to degressivity, so such rights are given an age past the limit
    // (not subject either way) to keep the truth certain.
    let age = if contract_ended_on < rules::first_covered_day() { age.max(57 + rng.range(0, 6)) } else { age };
    let mut closed_on = None;
    let mut closure_paid = false;
    let mut paid_after_closure = closed_before;
    if closed_before {
        let latest = m1.first_day() - days(1);
        let earliest = (payable_from + days(10)).min(latest);
        closed_on = Some(latest - days(rng.range(0, (latest - earliest).num_days().min(40))));
    } else {
        for &m in months {
            if m.last_day() < payable_from {
                continue;
            }
            if rng.chance(0.035) {
                let lo = (m.first_day() + days(1)).max(payable_from + days(1));
                let hi = m.last_day() - days(1);
                if lo <= hi {
                    closed_on = Some(lo + days(rng.range(0, (hi - lo).num_days())));
                    closure_paid = rng.chance(0.04);
                    paid_after_closure = rng.chance(0.05);
                }
                break;
            }
        }
    }
    let right = RightRec {
        facts: RightFacts {
            payable_from,
            closed_on,
            sjr,
            entitlement_days,
            age_at_contract_end: age,
            contract_ended_on,
        },
        agency,
        opened_on,
        days_paid_before,
    };

    // ---- habits
    let worker = rng.chance(0.5);
    let hourly = (sjr * 20 * rng.range(80, 115) / 10_000).max(SMIC_HOURLY);
    let profile = Profile {
        work_prob: if worker { 0.85 } else { 0.05 },
        hourly,
        employers: [siret(&mut rng), siret(&mut rng)],
        n_employers: if rng.chance(0.18) { 2 } else { 1 },
        conserved: if rng.chance(0.04) {
            Some((siret(&mut rng), rng.range(2000, 8000), (hourly * rng.range(85, 110) / 100).max(SMIC_HOURLY)))
        } else {
            None
        },
    };

    let mut s = Seeker {
        index,
        right,
        decls: Vec::new(),
        slips: Vec::new(),
        pays: Vec::new(),
        truth: Vec::new(),
        injected: Vec::new(),
    };
    let mut before = days_paid_before;
    let mut stopped = false; // search ended: the seeker left
    let mut paid_after_stop = false;
    let mut after_closure_done = false;

    for &m in months {
        let first = m.first_day();
        let last = m.last_day();
        let nd = ndays(m);
        let next_first = m.next().first_day();
        let rf = s.right.facts;
        let Some(rates) = rules::rates(sjr, m, age, contract_ended_on) else { continue };

        if !rf.covers(m) {
            if rf.payable_from > last || after_closure_done {
                continue;
            }
            after_closure_done = true;
            if !paid_after_closure {
                continue;
            }
            // Paid for a month the right no longer covers.
            let mut next_n = 1u8;
            let paid_on = next_first + days(rng.range(1, 5));
            let mut rows = vec![LedgerRow {
                paid_on,
                n: next_n,
                kind: Kind::Advance,
                days: nd,
                rate: rates.aj,
                amount: nd * rates.aj,
            }];
            next_n += 1;
            let dup = rng.chance(0.05);
            if dup {
                let mut d = rows[0];
                d.n = next_n;
                d.paid_on = paid_on + days(rng.range(1, 6));
                rows.push(d);
            }
            let decl = rng.chance(0.6).then(|| DeclRec {
                month: m,
                declared_on: last - days(3) + days(rng.range(0, 8)),
                facts: DeclFacts { hours: 0, gross: 0, sick_days: 0, search_ended_on: None },
            });
            finish_month(&mut s, m, &mut before, decl, Vec::new(), rows, as_of, Anomaly::NoRight, dup);
            continue;
        }

        if stopped {
            if !paid_after_stop && rng.chance(0.05) {
                // The seeker left (search ended), the next month was paid anyway, no declaration.
                paid_after_stop = true;
                let facts = month_facts(&s.right, m, before, 0, None, rates);
                let d = rules::due(&facts, Price::Correct, 0, Window::Full);
                let mut next_n = 1;
                let rows = advance_rows(&d, next_first + days(rng.range(1, 5)), &mut next_n);
                finish_month(&mut s, m, &mut before, None, Vec::new(), rows, as_of, Anomaly::NoDeclaration, false);
            }
            continue;
        }
        if before >= entitlement_days {
            // Capital exhausted: the seeker is no longer paid nor declares.
            continue;
        }

        let start = first.max(rf.payable_from);
        let closes_here = rf.closed_on.is_some_and(|c| c <= last);
        let mut anomaly = draw_anomaly(&mut rng);
        let mut dup = anomaly == Anomaly::Duplicate
            || (matches!(anomaly, Anomaly::Underdeclared | Anomaly::Undeclared) && rng.chance(0.08));

        // Sick leave and the end of the search.
        let mut sick = 0;
        if anomaly == Anomaly::SickLeavePaid {
            sick = rng.range(3, 15);
        } else if rng.chance(0.03) {
            sick = rng.range(2, 20);
        }
        let mut search_end = None;
        if anomaly == Anomaly::SearchEndPaid || rng.chance(0.012) {
            let lo = (first + days(1)).max(start + days(1));
            if lo <= last {
                search_end = Some(lo + days(rng.range(0, (last - lo).num_days())));
            } else if anomaly == Anomaly::SearchEndPaid {
                anomaly = Anomaly::None;
            }
        }

        // Work and payslips.
        let earnings_anomaly = matches!(anomaly, Anomaly::Underdeclared | Anomaly::Undeclared | Anomaly::Overdeclared);
        let works = earnings_anomaly || (anomaly != Anomaly::NoDeclaration && rng.chance(profile.work_prob));
        let mut slips = Vec::new();
        let mut next_slip = 1u8;
        // Per employer: (hours, gross).
        let mut jobs: Vec<(i64, i64)> = Vec::new();
        if works {
            let total_hours = if anomaly == Anomaly::Undeclared {
                rng.range(1500, 9000)
            } else {
                match rng.below(20) {
                    0..=6 => rng.range(800, 4000),
                    7..=14 => rng.range(4000, 10000),
                    _ => rng.range(10000, 15167),
                }
            };
            let n_emp = profile.n_employers;
            let first_share = if n_emp == 2 { total_hours * rng.range(40, 80) / 100 } else { total_hours };
            let arrival = if earnings_anomaly { 999_999 } else { rng.ppm() };
            for e in 0..n_emp {
                let hours = if e == 0 { first_share } else { total_hours - first_share };
                let rate =
                    if e == 0 { profile.hourly } else { (profile.hourly * rng.range(90, 110) / 100).max(SMIC_HOURLY) };
                let gross = (hours * rate + 50) / 100;
                jobs.push((hours, gross));
                let (ps, pe) = if rng.chance(0.65) {
                    (first, last)
                } else {
                    let a = rng.range(1, nd - 7);
                    let b = rng.range(a + 4, nd);
                    (day_of(m, a), day_of(m, b))
                };
                // Payslips usually arrive before the as_of; some late, some never.
                if arrival < 40_000 {
                    continue; // never sent
                }
                let received_on = if arrival < 100_000 {
                    as_of + days(rng.range(1, 45))
                } else {
                    last + days(rng.range(1, (as_of - last).num_days().min(28)))
                };
                slips.push(SlipRec {
                    month: m,
                    n: next_slip,
                    employer: profile.employers[e],
                    period_start: ps,
                    period_end: pe,
                    hours,
                    gross,
                    received_on,
                    conserved: false,
                });
                next_slip += 1;
            }
        }
        if let Some((employer, hours, hourly)) = profile.conserved {
            if anomaly != Anomaly::NoDeclaration {
                let hours = hours * rng.range(90, 110) / 100;
                slips.push(SlipRec {
                    month: m,
                    n: next_slip,
                    employer,
                    period_start: first,
                    period_end: last,
                    hours,
                    gross: (hours * hourly + 50) / 100,
                    received_on: last + days(rng.range(1, (as_of - last).num_days().min(28))),
                    conserved: true,
                });
            }
        }

        // The declaration (conserved activity left out).
        let true_hours: i64 = jobs.iter().map(|j| j.0).sum();
        let true_gross: i64 = jobs.iter().map(|j| j.1).sum();
        let (d_hours, d_gross) = match anomaly {
            Anomaly::Underdeclared => {
                if jobs.len() == 2 && rng.chance(0.5) {
                    jobs[0]
                } else {
                    let f = rng.range(20, 85);
                    let gross = (true_gross * f / 100 / 100 * 100).max(100).min(true_gross - 100);
                    let hours = (true_hours * rng.range(f, 100) / 100).max(100);
                    (hours, gross)
                }
            }
            Anomaly::Undeclared => (0, 0),
            Anomaly::Overdeclared => (true_hours, (true_gross * rng.range(108, 160) / 100 / 100) * 100),
            _ => (true_hours, true_gross),
        };
        let decl = (anomaly != Anomaly::NoDeclaration).then(|| DeclRec {
            month: m,
            declared_on: last - days(3) + days(rng.range(0, 8)),
            facts: DeclFacts { hours: d_hours, gross: d_gross, sick_days: sick, search_ended_on: search_end },
        });
        let declared = d_gross;

        // What the agency paid.
        let facts = month_facts(&s.right, m, before, sick, search_end, rates);
        let correct = rules::due(&facts, Price::Correct, declared, Window::Full);
        let whole = rules::due(&facts, Price::Correct, declared, Window::Month);
        let capital_binds = {
            let mut uncapped = facts;
            uncapped.entitlement_days = i64::MAX / 4;
            rules::due(&uncapped, Price::Correct, declared, Window::Full).days > correct.days
        };
        if closes_here && closure_paid && anomaly == Anomaly::None {
            anomaly = Anomaly::ClosurePaid;
        }
        if capital_binds && anomaly == Anomaly::None && rng.chance(0.15) {
            anomaly = Anomaly::CapitalPaid;
        }
        let paid_on = next_first + days(rng.range(1, 5));
        let mut next_n = 1u8;
        let mut degressivity_skipped = false;
        let mut rows = match anomaly {
            Anomaly::SickLeavePaid | Anomaly::SearchEndPaid | Anomaly::ClosurePaid | Anomaly::CapitalPaid => {
                advance_rows(&whole, paid_on, &mut next_n)
            }
            Anomaly::WrongRate => {
                let r = wrong_rate(&mut rng, sjr, m, &rates);
                let d = rules::due(&facts, Price::Wrong(r), declared, Window::Full);
                advance_rows(&d, paid_on, &mut next_n)
            }
            Anomaly::NoDeclaration => {
                let mut f = facts;
                f.sick_days = 0;
                f.search_ended_on = None;
                advance_rows(&rules::due(&f, Price::Correct, 0, Window::Full), paid_on, &mut next_n)
            }
            Anomaly::PaidTooMuch
                if correct.reduced_days > 0 && correct.reduced_rate < correct.full_rate && rng.chance(0.5) =>
            {
                // Degressivity not applied: every day at AJ.
                let mut d = correct;
                d.full_days = d.days;
                d.reduced_days = 0;
                degressivity_skipped = true;
                advance_rows(&d, paid_on, &mut next_n)
            }
            _ => advance_rows(&correct, paid_on, &mut next_n),
        };
        let later = |rng: &mut Rng| paid_on + days(rng.range(2, 8));
        match anomaly {
            Anomaly::PaidTooMuch if !degressivity_skipped => {
                let rate = rows.last().map_or(rates.aj, |r| r.rate);
                let n = rng.range(1, 4);
                rows.push(LedgerRow {
                    paid_on: later(&mut rng),
                    n: next_n,
                    kind: Kind::Regularisation,
                    days: n,
                    rate,
                    amount: n * rate,
                });
                next_n += 1;
            }
            Anomaly::PaidTooLittle => {
                if let Some(r) = rows.last_mut() {
                    let less = rng.range(1, 4).min(r.days);
                    r.days -= less;
                    r.amount = r.days * r.rate;
                    if r.days == 0 {
                        rows.pop();
                        next_n -= 1;
                    }
                }
            }
            Anomaly::None if rows.len() == 1 && rows[0].days >= 3 => {
                // Ordinary corrections that leave the month paid right.
                let u = rng.below(50);
                if u == 0 {
                    // Advance on too many days, then a reversal.
                    let extra = rng.range(1, 5);
                    rows[0].days += extra;
                    rows[0].amount = rows[0].days * rows[0].rate;
                    let rate = rows[0].rate;
                    rows.push(LedgerRow {
                        paid_on: later(&mut rng),
                        n: next_n,
                        kind: Kind::Reversal,
                        days: -extra,
                        rate,
                        amount: -extra * rate,
                    });
                    next_n += 1;
                } else if u == 1 {
                    // Advance on too few days, then a regularisation.
                    let missing = rng.range(1, rows[0].days - 1);
                    rows[0].days -= missing;
                    rows[0].amount = rows[0].days * rows[0].rate;
                    let rate = rows[0].rate;
                    rows.push(LedgerRow {
                        paid_on: later(&mut rng),
                        n: next_n,
                        kind: Kind::Regularisation,
                        days: missing,
                        rate,
                        amount: missing * rate,
                    });
                    next_n += 1;
                }
            }
            _ => {}
        }
        if dup {
            let advances: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].kind == Kind::Advance).collect();
            if advances.is_empty() {
                dup = false;
            } else {
                let mut d = rows[*rng.pick(&advances)];
                d.n = next_n;
                d.paid_on += days(rng.range(1, 6));
                rows.push(d);
            }
        }
        if search_end.is_some() {
            stopped = true;
        }
        finish_month(&mut s, m, &mut before, decl, slips, rows, as_of, anomaly, dup);
    }
    s
}

fn month_facts(
    right: &RightRec,
    month: Month,
    before: i64,
    sick_days: i64,
    search_ended_on: Option<NaiveDate>,
    rates: Rates,
) -> MonthFacts {
    MonthFacts {
        month,
        payable_from: right.facts.payable_from,
        closed_on: right.facts.closed_on,
        search_ended_on,
        sick_days,
        sjr: right.facts.sjr,
        entitlement_days: right.facts.entitlement_days,
        before,
        rates,
    }
}

/// Records the month and computes its truth from the records themselves.
#[allow(clippy::too_many_arguments)]
fn finish_month(
    s: &mut Seeker,
    m: Month,
    before: &mut i64,
    decl: Option<DeclRec>,
    slips: Vec<SlipRec>,
    rows: Vec<LedgerRow>,
    as_of: NaiveDate,
    anomaly: Anomaly,
    dup: bool,
) {
    debug_assert!(rows.len() < 10 && slips.len() < 10);
    let known: Vec<&SlipRec> = slips.iter().filter(|p| !p.conserved && p.received_on <= as_of).collect();
    let attested = (!known.is_empty()).then(|| known.iter().map(|p| p.gross).sum::<i64>());
    let t = month_truth(&s.right.facts, m, *before, decl.as_ref().map(|d| &d.facts), attested, &rows);
    *before += t.days_due;
    s.truth.extend(t.rows.iter().map(|&(c, a)| (m, c, a)));
    if anomaly != Anomaly::None || dup {
        s.injected.push((m, anomaly, dup));
    }
    s.decls.extend(decl);
    s.slips.extend(slips);
    s.pays.extend(rows.into_iter().map(|row| PayRec { month: m, row }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use Cause::*;

    /// Every truth row comes from an injection, and shows as that injection's cause.
    #[test]
    fn injections_show_as_their_causes() {
        let months = Month::parse_range("2024-05..2024-07").unwrap();
        let plan = Plan { as_of: crate::generate::as_of_for(&months).unwrap(), months };
        let mut seen = std::collections::HashSet::new();
        for i in 0..30_000 {
            let s = seeker(&plan, 7, i);
            for &(m, _, _) in &s.truth {
                assert!(s.injected.iter().any(|x| x.0 == m), "seeker {i} {m}: truth without injection");
            }
            for &(m, anomaly, dup) in &s.injected {
                let causes: Vec<Cause> = s.truth.iter().filter(|x| x.0 == m).map(|x| x.1).collect();
                let allowed: &[Cause] = match anomaly {
                    Anomaly::Underdeclared => &[UnderdeclaredEarnings],
                    Anomaly::Undeclared => &[UndeclaredActivity],
                    Anomaly::Overdeclared => &[OverdeclaredEarnings],
                    // A wrong rate that gave no day paid nothing: the advance missing is a processing error.
                    Anomaly::WrongRate => &[RateError, ProcessingError],
                    Anomaly::PaidTooMuch => &[ProcessingError, OutsideEntitlement],
                    Anomaly::PaidTooLittle => &[ProcessingError],
                    Anomaly::NoDeclaration => &[NoDeclaration],
                    Anomaly::Duplicate | Anomaly::None => &[],
                    Anomaly::SickLeavePaid | Anomaly::SearchEndPaid | Anomaly::ClosurePaid | Anomaly::CapitalPaid => {
                        &[OutsideEntitlement]
                    }
                    Anomaly::NoRight => &[NoActiveRight],
                };
                for c in &causes {
                    assert!(
                        allowed.contains(c) || (dup && *c == DuplicatePayment),
                        "seeker {i} {m} {anomaly:?}: {causes:?}"
                    );
                    seen.insert(*c);
                }
            }
        }
        assert_eq!(seen.len(), Cause::ALL.len(), "{seen:?}");
    }
}
