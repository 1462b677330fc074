//! Reconciliation of one seeker (rules.md §3.0, §4, §5): which records and
//! which right each month uses, what was paid and which rows were duplicates,
//! and the waterfall F0…F5 that attributes every cent of `paid − due` to a cause.
//!
//! [`reconcile_seeker`] is a pure function of one seeker's records and the rule
//! set: the run calls it in parallel, `explain` calls it again for one seeker.

use std::collections::HashMap;
use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use smallvec::{smallvec, SmallVec};

use crate::model::{Decision, Declaration, Id, Month, Payment, PaymentKind, Payslip, Right};
use crate::recompute::{
    daily_allowance, degressive_rate, degressivity_applies, due, payable_window, Allowance, Due, DueInput,
    PayableWindow, Pricing,
};
use crate::rules::{MonthParams, RuleSet, RulesError};
use crate::validate::Held;

/// The causes of rules.md §5, in their output order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cause {
    DuplicatePayment,
    NoActiveRight,
    NoDeclaration,
    ProcessingError,
    OutsideEntitlement,
    RateError,
    UndeclaredActivity,
    UnderdeclaredEarnings,
    OverdeclaredEarnings,
}

impl Cause {
    pub const ALL: [Cause; 9] = [
        Cause::DuplicatePayment,
        Cause::NoActiveRight,
        Cause::NoDeclaration,
        Cause::ProcessingError,
        Cause::OutsideEntitlement,
        Cause::RateError,
        Cause::UndeclaredActivity,
        Cause::UnderdeclaredEarnings,
        Cause::OverdeclaredEarnings,
    ];

    /// The cause a text names (`duplicate_payment`, …), as the outputs write it.
    pub fn parse(s: &str) -> Option<Cause> {
        Cause::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Cause::DuplicatePayment => "duplicate_payment",
            Cause::NoActiveRight => "no_active_right",
            Cause::NoDeclaration => "no_declaration",
            Cause::ProcessingError => "processing_error",
            Cause::OutsideEntitlement => "outside_entitlement",
            Cause::RateError => "rate_error",
            Cause::UndeclaredActivity => "undeclared_activity",
            Cause::UnderdeclaredEarnings => "underdeclared_earnings",
            Cause::OverdeclaredEarnings => "overdeclared_earnings",
        }
    }
}

/// As the outputs write it (`explain --format json`).
impl serde::Serialize for Cause {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The finding statuses of rules.md §6 and nights.md §8.2, in output order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    Claim,
    Review,
    Owed,
    Offset,
    TimeBarred,
    WrittenOff,
    /// An agent upheld the seeker's contest of this amount (nights.md §8.2):
    /// never claimed, listed so that everyone sees why.
    Contested,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::Claim,
        Status::Review,
        Status::Owed,
        Status::Offset,
        Status::TimeBarred,
        Status::WrittenOff,
        Status::Contested,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Claim => "claim",
            Status::Review => "review",
            Status::Owed => "owed",
            Status::Offset => "offset",
            Status::TimeBarred => "time_barred",
            Status::WrittenOff => "written_off",
            Status::Contested => "contested",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Counted in the seeker's net (rules.md §6): claims, and what offsets them.
    pub(crate) fn counts_in_net(self) -> bool {
        match self {
            Status::Claim | Status::Owed | Status::Offset => true,
            Status::Review | Status::TimeBarred | Status::WrittenOff | Status::Contested => false,
        }
    }
}

impl serde::Serialize for Status {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether the month's earnings are the employers' or the seeker's figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Basis {
    Attested,
    Declared,
}

impl Basis {
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Attested => "attested",
            Basis::Declared => "declared",
        }
    }
}

/// Why a month is ambiguous (rules.md §3.0): its findings go to review.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ambiguity {
    SeveralRights(Vec<Id>),
    SeveralDeclarations(Vec<Id>),
    /// A ledger row names a right that is not one of this seeker's.
    ForeignRight {
        payment_id: Id,
        right_id: Id,
    },
}

/// The seeker's records, as validated and known at `as_of`.
#[derive(Clone, Copy, Debug)]
pub struct SeekerRecords<'a> {
    pub seeker_id: &'a str,
    pub rights: &'a [Right],
    pub declarations: &'a [Declaration],
    pub payslips: &'a [Payslip],
    pub payments: &'a [Payment],
}

/// The run-wide context of a seeker's reconciliation.
pub struct Context<'a> {
    pub rules: &'a RuleSet,
    /// The parameters of every month the input holds, resolved once.
    pub params: &'a HashMap<Month, MonthParams>,
    pub as_of: NaiveDate,
    /// The decision that counts for each (seeker, month, cause), sorted so
    /// (nights.md §8.1); empty without a decisions file.
    pub decisions: &'a [Decision],
}

impl Context<'_> {
    /// One seeker's counting decisions, sorted by (month, cause).
    pub(crate) fn decisions_of(&self, seeker: &str) -> &[Decision] {
        let d = self.decisions;
        let start = d.partition_point(|x| x.seeker_id.as_str() < seeker);
        let end = start + d[start..].partition_point(|x| x.seeker_id.as_str() == seeker);
        &d[start..end]
    }
}

/// The four `due` of the waterfall with the right's figures (rules.md §5).
#[derive(Clone, Debug, PartialEq)]
pub struct Computation {
    pub right_index: usize,
    pub declaration_index: usize,
    pub allowance: Allowance,
    /// The degressive rate of the month, when the right is subject to degressivity.
    pub degressive_rate: Option<Decimal>,
    /// `r`: the first non-duplicate advance's rate, or AJ.
    pub paid_rate: Decimal,
    /// `r` is AJ or the degressive rate: F2 and F3 then price as F4.
    pub paid_rate_correct: bool,
    /// Days consumed on the right before the month (`before(M)`).
    pub days_before: i64,
    pub month_window: PayableWindow,
    pub window: PayableWindow,
    /// `W'`
    pub payable_days: i64,
    pub e_declared: Decimal,
    pub e_attested: Option<Decimal>,
    pub f2: Due,
    pub f3: Due,
    pub f4: Due,
    pub f5: Due,
}

/// How the month's `due` was settled.
#[derive(Clone, Debug, PartialEq)]
pub enum Entitlement {
    /// No right of the seeker covers a day of the month.
    NoActiveRight,
    /// A right covers the month but no declaration was filed.
    NoDeclaration {
        right_index: usize,
        allowance: Allowance,
    },
    Computed(Box<Computation>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub cause: Cause,
    pub amount: Decimal,
    pub status: Status,
    pub time_barred_on: Option<NaiveDate>,
    /// The agent's decision that counts for this finding's key (nights.md
    /// §8.1), as an index into the seeker's counting decisions.
    pub decision: Option<usize>,
}

/// A month's indexes into one list of the seeker's records: one or two
/// nearly always, kept inline (a heap allocation for each of a month's
/// lists, freed right after, was 5 % of a run's CPU in malloc and free).
pub type Indices = SmallVec<[usize; 2]>;

/// A month's amounts by cause before the tolerance: at most the duplicate
/// and the four steps of the waterfall.
type Causes = SmallVec<[(Cause, Decimal); 5]>;

/// One reconciled seeker-month: the entitlement row and its findings.
#[derive(Clone, Debug, PartialEq)]
pub struct MonthOutcome {
    pub month: Month,
    /// The right used, or the seeker's latest right for a month no right covers.
    pub agency_id: Option<Id>,
    pub right_id: Option<Id>,
    pub entitlement: Entitlement,
    pub basis: Basis,
    pub ambiguities: Vec<Ambiguity>,
    pub held: bool,
    /// Indexes into the seeker's records.
    pub covering_rights: Indices,
    pub declarations: Indices,
    pub payslips: Indices,
    /// The month's ledger rows in (paid_on, payment_id) order, each with the
    /// earlier row it duplicates, if it is a duplicate.
    pub payments: SmallVec<[(usize, Option<usize>); 2]>,
    /// F0 = P.
    pub paid: Decimal,
    pub duplicates: Decimal,
    /// F1 = P − duplicates.
    pub f1: Decimal,
    /// F2…F5; all zero when no right covers the month or no declaration was filed.
    pub f2: Decimal,
    pub f3: Decimal,
    pub f4: Decimal,
    pub f5: Decimal,
    /// `P − Due`.
    pub delta: Decimal,
    /// The earliest `paid_on` of the month's ledger rows.
    pub first_paid_on: Option<NaiveDate>,
    pub findings: Vec<Finding>,
}

impl MonthOutcome {
    pub fn ambiguous(&self) -> bool {
        !self.ambiguities.is_empty()
    }

    pub(crate) fn computation(&self) -> Option<&Computation> {
        match &self.entitlement {
            Entitlement::Computed(c) => Some(c),
            _ => None,
        }
    }

    /// The record ids the month's findings rest on, in data.md's evidence form.
    pub fn evidence(&self, r: &SeekerRecords) -> String {
        let mut parts = Vec::new();
        let mut push = |prefix: &str, mut ids: Vec<&str>| {
            ids.sort_unstable();
            ids.dedup();
            parts.extend(ids.into_iter().map(|id| format!("{prefix}{id}")));
        };
        push("right:", self.covering_rights.iter().map(|&i| r.rights[i].right_id.as_str()).collect());
        push("decl:", self.declarations.iter().map(|&i| r.declarations[i].declaration_id.as_str()).collect());
        push("att:", self.payslips.iter().map(|&i| r.payslips[i].attestation_id.as_str()).collect());
        push("pay:", self.payments.iter().map(|&(i, _)| r.payments[i].payment_id.as_str()).collect());
        parts.join(" ")
    }
}

/// The right covers M: payable before its end, not closed before its start.
fn covers(right: &Right, m: Month) -> bool {
    right.payable_from <= m.last_day() && right.closed_on.is_none_or(|c| c >= m.first_day())
}

/// The months a seeker is reconciled for: those with a declaration, a ledger
/// row or a payslip ending in them (rules.md §3.0).
pub fn seeker_months(r: &SeekerRecords) -> Vec<Month> {
    let mut months = Vec::with_capacity(r.declarations.len() + r.payments.len() + r.payslips.len());
    months.extend(r.declarations.iter().map(|d| d.month));
    months.extend(r.payments.iter().map(|p| p.month));
    months.extend(r.payslips.iter().map(|p| Month::of(p.period_end)));
    months.sort_unstable();
    months.dedup();
    months
}

/// Reconciles every month of one seeker, in month order (the capital and
/// degressivity of a month depend on the days due in the earlier ones).
/// Findings carry their amounts; statuses are set by `status::settle`.
pub fn reconcile_seeker(r: &SeekerRecords, held: &Held, ctx: &Context) -> Result<Vec<MonthOutcome>, RulesError> {
    let months = seeker_months(r);
    // Days due so far on each right, over the input's months (before(M) − days_paid_before).
    let mut consumed: Vec<(usize, i64)> = Vec::new();
    let mut out = Vec::with_capacity(months.len());
    for m in months {
        let p = match ctx.params.get(&m) {
            Some(p) => p,
            None => {
                return Err(ctx.rules.for_month(m).err().unwrap_or_else(|| RulesError {
                    source_name: ctx.rules.label(),
                    message: format!("no parameters resolved for {m}"),
                }))
            }
        };
        let outcome = reconcile_month(r, m, p, held.contains(m), &consumed, ctx);
        if let Some(c) = outcome.computation() {
            match consumed.iter_mut().find(|(r, _)| *r == c.right_index) {
                Some((_, days)) => *days += c.f5.days,
                None => consumed.push((c.right_index, c.f5.days)),
            }
        }
        out.push(outcome);
    }
    Ok(out)
}

/// What the ledger shows for month M (rules.md §4): its rows in
/// (paid_on, payment_id) order with the duplicates marked, and the sums.
struct Ledger {
    payments: SmallVec<[(usize, Option<usize>); 2]>,
    /// F0 = P.
    paid: Decimal,
    duplicates: Decimal,
    first_paid_on: Option<NaiveDate>,
    /// The first advance that duplicates no earlier row: its right and rate
    /// are the ones the month was paid on.
    first_advance: Option<usize>,
}

impl Ledger {
    fn of(r: &SeekerRecords, m: Month, ambiguities: &mut Vec<Ambiguity>) -> Ledger {
        let mut order: Indices = (0..r.payments.len()).filter(|&i| r.payments[i].month == m).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (&r.payments[a], &r.payments[b]);
            (a.paid_on, &a.payment_id).cmp(&(b.paid_on, &b.payment_id))
        });
        let mut payments: SmallVec<[(usize, Option<usize>); 2]> = SmallVec::with_capacity(order.len());
        for &i in &order {
            let row = &r.payments[i];
            // A reversal is never a duplicate: it undoes a row instead.
            let original = if row.kind == PaymentKind::Reversal {
                None
            } else {
                payments.iter().find_map(|&(j, _)| {
                    let e = &r.payments[j];
                    (e.right_id == row.right_id
                        && e.kind == row.kind
                        && e.days == row.days
                        && e.daily_rate == row.daily_rate
                        && e.amount == row.amount)
                        .then_some(j)
                })
            };
            payments.push((i, original));
        }
        for &(i, _) in &payments {
            let row = &r.payments[i];
            if !r.rights.iter().any(|x| x.right_id == row.right_id) {
                ambiguities.push(Ambiguity::ForeignRight {
                    payment_id: row.payment_id.clone(),
                    right_id: row.right_id.clone(),
                });
            }
        }
        let paid = payments.iter().map(|&(i, _)| r.payments[i].amount).sum();
        let duplicates = payments.iter().filter(|(_, d)| d.is_some()).map(|&(i, _)| r.payments[i].amount).sum();
        let first_paid_on = payments.iter().map(|&(i, _)| r.payments[i].paid_on).min();
        let first_advance =
            payments.iter().find(|&&(i, d)| d.is_none() && r.payments[i].kind == PaymentKind::Advance).map(|&(i, _)| i);
        Ledger { payments, paid, duplicates, first_paid_on, first_advance }
    }
}

/// The rights covering M (rules.md §3.0), in (payable_from, right_id) order,
/// and the one used: the right of the month's first advance if it covers M,
/// else the earliest.
fn covering_right(
    r: &SeekerRecords,
    m: Month,
    first_advance: Option<usize>,
    ambiguities: &mut Vec<Ambiguity>,
) -> (Indices, Option<usize>) {
    let mut covering: Indices = (0..r.rights.len()).filter(|&i| covers(&r.rights[i], m)).collect();
    covering.sort_by(|&a, &b| {
        let (a, b) = (&r.rights[a], &r.rights[b]);
        (a.payable_from, &a.right_id).cmp(&(b.payable_from, &b.right_id))
    });
    if covering.len() > 1 {
        ambiguities.push(Ambiguity::SeveralRights(covering.iter().map(|&i| r.rights[i].right_id.clone()).collect()));
    }
    let used = first_advance
        .and_then(|a| covering.iter().copied().find(|&i| r.rights[i].right_id == r.payments[a].right_id))
        .or_else(|| covering.first().copied());
    (covering, used)
}

/// The declarations of M in (declared_on, declaration_id) order; the latest
/// is the one used (rules.md §3.0).
fn month_declarations(r: &SeekerRecords, m: Month, ambiguities: &mut Vec<Ambiguity>) -> Indices {
    let mut declarations: Indices = (0..r.declarations.len()).filter(|&i| r.declarations[i].month == m).collect();
    declarations.sort_by(|&a, &b| {
        let (a, b) = (&r.declarations[a], &r.declarations[b]);
        (a.declared_on, &a.declaration_id).cmp(&(b.declared_on, &b.declaration_id))
    });
    if declarations.len() > 1 {
        ambiguities.push(Ambiguity::SeveralDeclarations(
            declarations.iter().map(|&i| r.declarations[i].declaration_id.clone()).collect(),
        ));
    }
    declarations
}

/// The payslips whose period ends in M and their attested earnings, summed
/// over those not conserved (rules.md §3 step 3); `None` without any.
fn month_payslips(r: &SeekerRecords, m: Month) -> (Indices, Option<Decimal>) {
    let payslips: Indices = (0..r.payslips.len()).filter(|&i| Month::of(r.payslips[i].period_end) == m).collect();
    let e_attested = payslips
        .iter()
        .map(|&i| &r.payslips[i])
        .filter(|s| !s.conserved)
        .fold(None, |sum: Option<Decimal>, s| Some(sum.unwrap_or(Decimal::ZERO) + s.gross_pay));
    (payslips, e_attested)
}

fn reconcile_month(
    r: &SeekerRecords,
    m: Month,
    p: &MonthParams,
    held: bool,
    consumed: &[(usize, i64)],
    ctx: &Context,
) -> MonthOutcome {
    let mut ambiguities = Vec::new();
    let ledger = Ledger::of(r, m, &mut ambiguities);
    let (covering, right_index) = covering_right(r, m, ledger.first_advance, &mut ambiguities);
    let declarations = month_declarations(r, m, &mut ambiguities);
    let declaration_index = declarations.last().copied();
    let (payslips, e_attested) = month_payslips(r, m);
    let f1 = ledger.paid - ledger.duplicates;

    let mut outcome = MonthOutcome {
        month: m,
        agency_id: None,
        right_id: None,
        entitlement: Entitlement::NoActiveRight,
        basis: if e_attested.is_some() { Basis::Attested } else { Basis::Declared },
        ambiguities,
        held,
        covering_rights: covering,
        declarations,
        payslips,
        payments: ledger.payments,
        paid: ledger.paid,
        duplicates: ledger.duplicates,
        f1,
        f2: Decimal::ZERO,
        f3: Decimal::ZERO,
        f4: Decimal::ZERO,
        f5: Decimal::ZERO,
        delta: ledger.paid,
        first_paid_on: ledger.first_paid_on,
        findings: Vec::new(),
    };
    let mut causes: Causes = smallvec![(Cause::DuplicatePayment, ledger.duplicates)];

    let Some(ri) = right_index else {
        // Filed under the seeker's latest right, if any.
        if let Some(latest) =
            r.rights.iter().max_by(|a, b| (a.payable_from, &a.right_id).cmp(&(b.payable_from, &b.right_id)))
        {
            outcome.agency_id = Some(latest.agency_id.clone());
        }
        causes.push((Cause::NoActiveRight, f1));
        outcome.findings = findings_from(causes, p);
        return outcome;
    };
    let right = &r.rights[ri];
    outcome.agency_id = Some(right.agency_id.clone());
    outcome.right_id = Some(right.right_id.clone());
    let allowance = daily_allowance(right.sjr, p);
    let Some(di) = declaration_index else {
        outcome.entitlement = Entitlement::NoDeclaration { right_index: ri, allowance };
        causes.push((Cause::NoDeclaration, f1));
        outcome.findings = findings_from(causes, p);
        return outcome;
    };
    let days_before = right.days_paid_before + consumed.iter().find(|(r, _)| *r == ri).map(|(_, d)| *d).unwrap_or(0);
    let paid_rate = ledger.first_advance.map(|i| r.payments[i].daily_rate);
    let c = waterfall(
        r,
        m,
        p,
        ctx,
        Used { right_index: ri, declaration_index: di, allowance, days_before, paid_rate, e_attested },
    );
    causes.extend(c.causes(f1, &r.declarations[di]));
    outcome.f2 = c.f2.amount;
    outcome.f3 = c.f3.amount;
    outcome.f4 = c.f4.amount;
    outcome.f5 = c.f5.amount;
    outcome.delta = ledger.paid - c.f5.amount;
    outcome.entitlement = Entitlement::Computed(Box::new(c));
    outcome.findings = findings_from(causes, p);
    outcome
}

/// What §3.0 and §4 chose for a month that has a right and a declaration:
/// the inputs of its waterfall.
struct Used {
    right_index: usize,
    declaration_index: usize,
    allowance: Allowance,
    /// `before(M)` on the right (rules.md §2).
    days_before: i64,
    /// The rate of the month's first advance, if it was paid.
    paid_rate: Option<Decimal>,
    e_attested: Option<Decimal>,
}

/// The four dues F2…F5 of the waterfall (rules.md §5), each the computation
/// of §3 steps 1–8 with its own rate, earnings and window.
fn waterfall(r: &SeekerRecords, m: Month, p: &MonthParams, ctx: &Context, u: Used) -> Computation {
    let right = &r.rights[u.right_index];
    let decl = &r.declarations[u.declaration_index];
    let aj = u.allowance.aj;

    let degressivity = degressivity_applies(right, p, ctx.rules.degressivity_max_age_at(right.contract_ended_on));
    let reduced = degressivity.map(|d| degressive_rate(aj, &d));
    let aj_pricing = match (degressivity, reduced) {
        (Some(d), Some(reduced)) => {
            Pricing::Split { aj, degressive: reduced, full_rate_days: (d.from_day - 1 - u.days_before).max(0) }
        }
        _ => Pricing::Flat(aj),
    };
    let paid_rate = u.paid_rate.unwrap_or(aj);
    let paid_rate_correct = paid_rate == aj || reduced == Some(paid_rate);
    let (r_rate, r_pricing) = if paid_rate_correct { (aj, aj_pricing) } else { (paid_rate, Pricing::Flat(paid_rate)) };

    let month_window = payable_window(m, right, Some(decl), false);
    let window = payable_window(m, right, Some(decl), true);
    let payable_days = (window.days - decl.sick_days).max(0);
    let ceiling = right.sjr * p.ceiling_days_factor;
    let capital_left = Some(right.entitlement_days - u.days_before);
    let e_declared = decl.gross_earnings;
    let step = |rate, pricing, earnings, payable_days, capital_left| {
        due(DueInput { rate, pricing, earnings, payable_days, ceiling, capital_left }, p)
    };
    let f2 = step(r_rate, r_pricing, e_declared, month_window.days, None);
    let f3 = step(r_rate, r_pricing, e_declared, payable_days, capital_left);
    // Most months repeat a step's inputs (a right rate, no payslip): reuse the figures.
    let f4 = if paid_rate_correct { f3.clone() } else { step(aj, aj_pricing, e_declared, payable_days, capital_left) };
    let e = u.e_attested.unwrap_or(e_declared);
    let f5 = if e == e_declared { f4.clone() } else { step(aj, aj_pricing, e, payable_days, capital_left) };
    Computation {
        right_index: u.right_index,
        declaration_index: u.declaration_index,
        allowance: u.allowance,
        degressive_rate: reduced,
        paid_rate,
        paid_rate_correct,
        days_before: u.days_before,
        month_window,
        window,
        payable_days,
        e_declared,
        e_attested: u.e_attested,
        f2,
        f3,
        f4,
        f5,
    }
}

impl Computation {
    /// The causes of the steps F1→F2→…→F5 (rules.md §5): each the difference
    /// between two consecutive dues, the part of F1 − F3 that F2 − F3 explains
    /// being outside the entitlement.
    fn causes(&self, f1: Decimal, decl: &Declaration) -> [(Cause, Decimal); 4] {
        let (f2, f3, f4, f5) = (self.f2.amount, self.f3.amount, self.f4.amount, self.f5.amount);
        let outside = (f2 - f3).clamp(Decimal::ZERO, (f1 - f3).max(Decimal::ZERO));
        let earnings_cause = match self.e_attested {
            _ if decl.declares_no_work() => Cause::UndeclaredActivity,
            Some(att) if self.e_declared > att => Cause::OverdeclaredEarnings,
            _ => Cause::UnderdeclaredEarnings,
        };
        [
            (Cause::ProcessingError, f1 - f3 - outside),
            (Cause::OutsideEntitlement, outside),
            (Cause::RateError, f3 - f4),
            (earnings_cause, f4 - f5),
        ]
    }
}

/// The steps at or above the tolerance, in cause order; statuses are set later.
fn findings_from(mut causes: Causes, p: &MonthParams) -> Vec<Finding> {
    causes.sort_by_key(|(c, _)| *c);
    causes
        .into_iter()
        .filter(|(_, amount)| amount.abs() >= p.tolerance)
        .map(|(cause, amount)| Finding { cause, amount, status: Status::Claim, time_barred_on: None, decision: None })
        .collect()
}
