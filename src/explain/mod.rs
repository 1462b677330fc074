//! `indus explain`: the whole derivation of one seeker-month, for a person
//! with a calculator — every record used (file, line), every parameter in force
//! with its legal reference, every step of rules.md §2–§6 with its figures.
//!
//! The figures come from the run's own code path ([`crate::run::process_seeker`]):
//! this module gathers and formats, it never computes an amount of its own.

pub mod text;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::ingest::InputKind;
use crate::model::{Month, Verdict};
use crate::nights;
use crate::output::rows::{entitlement_row, finding_id};
use crate::output::{money, CsvRow, ENTITLEMENTS_HEADER};
use crate::previous::Previous;
use crate::recompute::{Due, Pricing, WindowEnd};
use crate::reconcile::{Ambiguity, Cause, Entitlement, MonthOutcome, SeekerRecords, Status};
use crate::rules::Timeline;
use crate::run::{group, process_seeker, Prepared};
use crate::status::{self, Reason};
use crate::validate::Held;

/// Output language of the text form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    /// French, worded as the motivated notification a seeker is entitled to.
    Fr,
}

#[derive(Clone, Debug, Serialize)]
pub struct Explanation {
    pub seeker_id: String,
    pub month: String,
    pub as_of: String,
    pub rule_set: String,
    pub rule_set_sha256: String,
    /// `computed`, `no_active_right` or `no_declaration`.
    pub situation: &'static str,
    pub agency_id: String,
    pub right_id: String,
    pub records: Vec<RecordUse>,
    pub rejects: Vec<RejectUse>,
    pub ambiguities: Vec<String>,
    pub held: bool,
    pub parameters: Vec<ParameterUse>,
    pub allowance: Option<AllowanceUse>,
    pub degressivity: Option<DegressivityUse>,
    pub window: Option<WindowUse>,
    pub earnings: EarningsUse,
    pub paid: PaidUse,
    pub steps: Vec<StepUse>,
    pub waterfall: BTreeMap<String, String>,
    pub causes: Vec<CauseUse>,
    pub findings: Vec<FindingUse>,
    pub notice: Option<NoticeUse>,
    /// The previous night compared with (`--previous`), if any.
    pub previous_run: Option<String>,
    /// The month's findings compared with the previous night's (nights.md §8.3).
    pub changes: Vec<ChangeUse>,
    /// The month's row of entitlements.csv, column by column.
    pub entitlement: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RecordUse {
    /// `right`, `declaration`, `attestation` or `payment`.
    pub kind: &'static str,
    pub file: String,
    pub line: u64,
    pub id: String,
    /// How the computation used it: `used`, `covers_too` (ambiguous),
    /// `used_latest`, `superseded` (ambiguous), `attested`, `conserved`,
    /// `paid` or `duplicate` (of `duplicate_of`). The text form words it.
    pub role: &'static str,
    pub duplicate_of: Option<String>,
    pub fields: Vec<(String, String)>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RejectUse {
    pub file: String,
    pub line: u64,
    pub record_id: String,
    pub column: String,
    pub code: &'static str,
    pub message: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ParameterUse {
    pub name: String,
    pub value: String,
    pub in_force_from: String,
    pub reference: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct AllowanceUse {
    pub sjr: String,
    pub sjr_rate_with_fixed: String,
    pub fixed_part: String,
    pub with_fixed_part: String,
    pub sjr_rate_alone: String,
    pub rate_alone: String,
    pub minimum: String,
    pub max_sjr_rate: String,
    pub cap: String,
    pub capped: bool,
    pub aj: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct DegressivityUse {
    pub applies: bool,
    pub in_force: bool,
    pub age_at_contract_end: i64,
    pub contract_ended_on: String,
    pub max_age: Option<i64>,
    pub from_day: Option<i64>,
    pub coefficient: Option<String>,
    pub floor: Option<String>,
    pub rate: Option<String>,
    pub days_before: i64,
    /// Days of the month still at the full rate: `max(0, from_day − 1 − before(M))`.
    pub full_rate_days_left: Option<i64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct WindowUse {
    pub start: String,
    pub end: String,
    pub starts_at_payable_from: bool,
    /// `month_end`, `closed_on` or `search_ended`.
    pub end_reason: &'static str,
    pub w: i64,
    pub sick_days: i64,
    pub w_prime: i64,
    pub month_window_days: i64,
    pub entitlement_days: i64,
    pub days_before: i64,
    pub capital_left: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct EarningsUse {
    pub basis: &'static str,
    pub declared: Option<String>,
    pub declared_hours: Option<String>,
    pub declares_no_work: Option<bool>,
    pub attested: Option<String>,
    pub payslips: Vec<String>,
    pub conserved_payslips: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PaymentUse {
    pub payment_id: String,
    pub kind: &'static str,
    pub days: i64,
    pub daily_rate: String,
    pub amount: String,
    pub paid_on: String,
    pub duplicate_of: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PaidUse {
    pub rows: Vec<PaymentUse>,
    pub total: String,
    pub duplicates: String,
    pub f1: String,
    pub paid_rate: Option<String>,
    /// The advance the paid rate was read from (none: AJ).
    pub paid_rate_from: Option<String>,
    pub paid_rate_correct: Option<bool>,
}

#[derive(Clone, Debug, Serialize)]
pub struct StepUse {
    pub step: &'static str,
    /// `month` (F2: the whole month, no sick days, no capital) or `full`.
    pub window: &'static str,
    pub rate: String,
    pub earnings: String,
    pub payable_days: i64,
    pub earnings_retained_rate: String,
    pub a: String,
    pub quotient: String,
    pub days_after_cumul: i64,
    /// `SJR × ceiling_days_factor` (rules.md §3 step 6), with its two figures.
    pub ceiling: String,
    pub sjr: String,
    pub ceiling_days_factor: String,
    /// Earnings plus the allowance of the days after cumul, tested against the ceiling.
    pub earnings_plus_allowance: String,
    pub ceiling_applied: bool,
    pub days_after_ceiling: i64,
    pub capital_left: Option<i64>,
    pub capital_applied: bool,
    pub days: i64,
    pub full_rate_days: i64,
    pub full_rate: String,
    pub reduced_days: i64,
    pub reduced_rate: Option<String>,
    pub amount: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct CauseUse {
    pub cause: Cause,
    pub formula: &'static str,
    pub amount: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct FindingUse {
    pub finding_id: String,
    pub cause: Cause,
    pub amount: String,
    pub status: Status,
    /// The rule of §6 that set the status.
    pub reason: &'static str,
    pub time_barred_on: Option<String>,
    pub prescription_years: Option<i64>,
    pub basis: &'static str,
    pub evidence: String,
    /// The agent's decision that counts for the finding, if any (nights.md §8.2).
    pub decision: Option<DecisionUse>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DecisionUse {
    pub decision_id: String,
    pub file: String,
    pub line: u64,
    /// `upheld` or `rejected`.
    pub decision: &'static str,
    pub amount: String,
    pub decided_on: String,
    /// `contested` (upheld, amount not above the one decided), `review`
    /// (upheld, but the amount grew since), or `none`.
    pub effect: &'static str,
}

/// One finding key of the month compared with the previous night.
#[derive(Clone, Debug, Serialize)]
pub struct ChangeUse {
    pub cause: Cause,
    /// `new`, `unchanged`, `revised` or `withdrawn`.
    pub change: &'static str,
    pub previous_amount: Option<String>,
    pub previous_status: Option<Status>,
    pub amount: Option<String>,
    pub status: Option<Status>,
    pub evidence_added: String,
    pub evidence_removed: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct NoticeUse {
    pub agency_id: String,
    pub net: String,
    pub channel: &'static str,
    pub sms_max: String,
    pub notified_on: String,
    pub formal_notice_on: String,
    pub formal_notice_after_days: i64,
    pub finding_ids: String,
    /// What the notice does compared with the previous night's (nights.md §8.4).
    pub action: &'static str,
    /// Whether the seeker gets a message tonight.
    pub message_tonight: bool,
    pub previous_net: Option<String>,
    pub previous_formal_notice_on: Option<String>,
}

fn opt_money(d: Option<Decimal>) -> Option<String> {
    d.map(money)
}

fn param<T: ToString>(t: &Timeline<T>, date: NaiveDate) -> Option<ParameterUse> {
    t.at(date).map(|(from, v)| ParameterUse {
        name: t.name.to_string(),
        value: v.to_string(),
        in_force_from: from.to_string(),
        reference: t.reference.clone(),
    })
}

fn reason_key(r: Option<Reason>) -> &'static str {
    match r {
        Some(Reason::Ambiguous) => "ambiguous",
        Some(Reason::Held) => "held_by_reject",
        Some(Reason::Underpayment) => "underpayment",
        Some(Reason::OffsetInMonth) => "offset_in_month",
        Some(Reason::Prescribed) => "prescribed",
        Some(Reason::NoDeclaration) => "no_declaration",
        Some(Reason::Overpayment) => "overpayment",
        None => "written_off",
    }
}

fn formula(c: Cause) -> &'static str {
    match c {
        Cause::DuplicatePayment => "F0 − F1",
        Cause::NoActiveRight | Cause::NoDeclaration => "F1",
        Cause::ProcessingError => "F1 − F3 − outside_entitlement",
        Cause::OutsideEntitlement => "F2 − F3, within [0, max(F1 − F3, 0)]",
        Cause::RateError => "F3 − F4",
        Cause::UndeclaredActivity | Cause::UnderdeclaredEarnings | Cause::OverdeclaredEarnings => "F4 − F5",
    }
}

fn step_use(
    step: &'static str,
    window: &'static str,
    d: &Due,
    retained: Decimal,
    sjr: Decimal,
    factor: Decimal,
) -> StepUse {
    let (full_rate, reduced_rate) = match d.input.pricing {
        Pricing::Flat(r) => (r, None),
        Pricing::Split { aj, degressive, .. } => (aj, Some(degressive)),
    };
    StepUse {
        step,
        window,
        rate: money(d.input.rate),
        earnings: money(d.input.earnings),
        payable_days: d.input.payable_days,
        earnings_retained_rate: retained.to_string(),
        a: format!("{:.3}", d.a.round_dp(3)),
        quotient: format!("{:.2}", d.quotient.round_dp(2)),
        days_after_cumul: d.days_after_cumul,
        ceiling: money(d.input.ceiling),
        sjr: money(sjr),
        ceiling_days_factor: factor.to_string(),
        earnings_plus_allowance: money(d.input.earnings + d.input.rate * Decimal::from(d.days_after_cumul)),
        ceiling_applied: d.ceiling_applied,
        days_after_ceiling: d.days_after_ceiling,
        capital_left: d.input.capital_left,
        capital_applied: d.capital_applied,
        days: d.days,
        full_rate_days: d.full_rate_days,
        full_rate: money(full_rate),
        reduced_days: d.reduced_days,
        reduced_rate: reduced_rate.map(money),
        amount: money(d.amount),
    }
}

/// `indus explain`: the inputs read and validated (a reject rate never
/// stops an explanation: the rejects are part of it), the previous night
/// loaded when there is one, and one seeker-month explained.
pub fn explain_inputs(
    inputs: &crate::run::InputOptions,
    as_of: NaiveDate,
    rules: Option<&std::path::Path>,
    previous: Option<&std::path::Path>,
    seeker: &str,
    month: Month,
) -> Result<Explanation> {
    let p = crate::run::prepare(inputs, as_of, rules, 1.0, None, &mut Default::default())?;
    let previous = previous.map(|dir| crate::previous::load(dir, &p.rules.id, as_of)).transpose()?;
    explain(&p, seeker, month, previous.as_ref())
}

/// Builds the explanation of one seeker-month from a prepared run, compared
/// with the previous night's run when there is one.
pub fn explain(p: &Prepared, seeker: &str, month: Month, previous: Option<&Previous>) -> Result<Explanation> {
    let grouped = group(&p.validated);
    let i = grouped.find(seeker).ok_or_else(|| Error::Usage(format!("seeker {seeker} is not in the input")))?;
    let recs = grouped.records(i);
    let no_hold = Held::default();
    let held = p.validated.held.get(seeker).unwrap_or(&no_hold);
    let ctx = p.context();
    let label = p.rules.label();
    let result = process_seeker(&recs, held, &ctx, None, &label)?;
    let m = result.months.iter().find(|m| m.month == month).ok_or_else(|| {
        let have: Vec<String> = result.months.iter().map(|m| m.month.to_string()).collect();
        Error::Usage(format!("seeker {seeker} has no record for {month} (months in the input: {})", have.join(", ")))
    })?;
    let file = |k: InputKind| p.tables.iter().find(|t| t.kind == k).map(|t| t.file_name.clone()).unwrap_or_default();
    let rules = &p.rules;

    let mut x = Explanation {
        seeker_id: seeker.to_string(),
        month: month.to_string(),
        as_of: p.as_of.to_string(),
        rule_set: label.clone(),
        rule_set_sha256: rules.sha256.clone(),
        situation: match m.entitlement {
            Entitlement::NoActiveRight => "no_active_right",
            Entitlement::NoDeclaration { .. } => "no_declaration",
            Entitlement::Computed(_) => "computed",
        },
        agency_id: m.agency_id.as_deref().unwrap_or_default().to_string(),
        right_id: m.right_id.as_deref().unwrap_or_default().to_string(),
        records: records(m, &recs, &file),
        rejects: rejects_of(p, seeker, month),
        ambiguities: ambiguity_texts(m),
        held: m.held,
        parameters: Vec::new(),
        allowance: None,
        degressivity: None,
        window: None,
        earnings: earnings_use(m, &recs),
        paid: paid_use(m, &recs),
        steps: Vec::new(),
        waterfall: [
            ("f0", m.paid),
            ("f1", m.f1),
            ("f2", m.f2),
            ("f3", m.f3),
            ("f4", m.f4),
            ("f5", m.f5),
            ("delta", m.delta),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), money(v)))
        .collect(),
        causes: Vec::new(),
        findings: Vec::new(),
        notice: None,
        previous_run: None,
        changes: Vec::new(),
        entitlement: ENTITLEMENTS_HEADER
            .iter()
            .map(|h| h.to_string())
            .zip(entitlement_row(seeker, m, &recs)?.fields())
            .collect(),
    };

    computation(&mut x, p, m, &recs, month);

    x.causes = cause_uses(m);

    x.findings = finding_uses(p, m, &recs, seeker, month, &label);
    since_previous(&mut x, p, &result, seeker, month, previous)?;
    Ok(x)
}

/// The seeker's rejects that touch the month (a reject of every month too).
fn rejects_of(p: &Prepared, seeker: &str, month: Month) -> Vec<RejectUse> {
    p.validated
        .rejects
        .iter()
        .filter(|r| r.seeker_id == seeker && r.month.is_none_or(|rm| rm == month))
        .map(|r| RejectUse {
            file: r.file.clone(),
            line: r.line,
            record_id: r.record_id.clone(),
            column: r.column.clone(),
            code: r.code.as_str(),
            message: r.message.clone(),
        })
        .collect()
}

/// Why the month is ambiguous (rules.md §3.0), in words.
fn ambiguity_texts(m: &MonthOutcome) -> Vec<String> {
    m.ambiguities
        .iter()
        .map(|a| match a {
            Ambiguity::SeveralRights(ids) => format!("several rights cover the month: {}", ids.join(", ")),
            Ambiguity::SeveralDeclarations(ids) => {
                format!("several declarations for the month: {}", ids.join(", "))
            }
            Ambiguity::ForeignRight { payment_id, right_id } => {
                format!("payment {payment_id} names right {right_id}, which is not one of this seeker's")
            }
        })
        .collect()
}

/// What the ledger shows for the month (rules.md §4); the paid rate is set with the computation.
fn paid_use(m: &MonthOutcome, recs: &SeekerRecords) -> PaidUse {
    PaidUse {
        rows: m
            .payments
            .iter()
            .map(|&(i, dup)| {
                let r = &recs.payments[i];
                PaymentUse {
                    payment_id: r.payment_id.to_string(),
                    kind: r.kind.as_str(),
                    days: r.days,
                    daily_rate: money(r.daily_rate),
                    amount: money(r.amount),
                    paid_on: r.paid_on.to_string(),
                    duplicate_of: dup.map(|j| recs.payments[j].payment_id.to_string()),
                }
            })
            .collect(),
        total: money(m.paid),
        duplicates: money(m.duplicates),
        f1: money(m.f1),
        paid_rate: None,
        paid_rate_from: None,
        paid_rate_correct: None,
    }
}

/// The earnings of the month (rules.md §3 step 3): declared, attested, and the payslips used.
fn earnings_use(m: &MonthOutcome, recs: &SeekerRecords) -> EarningsUse {
    let mut e = EarningsUse {
        basis: m.basis.as_str(),
        declared: None,
        declared_hours: None,
        declares_no_work: None,
        attested: None,
        payslips: Vec::new(),
        conserved_payslips: Vec::new(),
    };
    for s in m.payslips.iter().map(|&i| &recs.payslips[i]) {
        let list = if s.conserved { &mut e.conserved_payslips } else { &mut e.payslips };
        list.push(s.attestation_id.to_string());
    }
    e.attested = m
        .payslips
        .iter()
        .map(|&i| &recs.payslips[i])
        .filter(|s| !s.conserved)
        .fold(None, |acc, s| Some(acc.unwrap_or(Decimal::ZERO) + s.gross_pay))
        .map(money);
    if let Some(&di) = m.declarations.last() {
        let d = &recs.declarations[di];
        e.declared = Some(money(d.gross_earnings));
        e.declared_hours = Some(d.hours_worked.to_string());
        e.declares_no_work = Some(d.declares_no_work());
    }
    e
}

/// The parameters in force (rules.md §7) and, when the month was computed,
/// the allowance (§2), degressivity, payable window (§3 steps 1–2), paid
/// rate (§4) and the four steps of the waterfall (§5).
fn computation(x: &mut Explanation, p: &Prepared, m: &MonthOutcome, recs: &SeekerRecords, month: Month) {
    let (rules, params) = (&p.rules, &p.params[&month]);
    let day1 = month.first_day();
    let mut parameters = vec![
        param(&rules.sjr_rate_with_fixed, day1),
        param(&rules.fixed_part, day1),
        param(&rules.sjr_rate_alone, day1),
        param(&rules.minimum, day1),
        param(&rules.max_sjr_rate, day1),
        param(&rules.earnings_retained_rate, day1),
        param(&rules.ceiling_days_factor, day1),
        param(&rules.day_rounding, day1),
    ];
    if let Some(c) = m.computation() {
        let right = &recs.rights[c.right_index];
        let a = &c.allowance;
        x.allowance = Some(allowance_use(right.sjr, a, params));
        let max_age = rules.degressivity_max_age_at(right.contract_ended_on);
        let full_rate_days_left = match c.f5.input.pricing {
            Pricing::Split { full_rate_days, .. } => Some(full_rate_days),
            Pricing::Flat(_) => None,
        };
        x.degressivity = Some(DegressivityUse {
            applies: c.degressive_rate.is_some(),
            in_force: params.degressivity.is_some(),
            age_at_contract_end: right.age_at_contract_end,
            contract_ended_on: right.contract_ended_on.to_string(),
            max_age,
            from_day: params.degressivity.map(|d| d.from_day),
            coefficient: params.degressivity.map(|d| d.coefficient.to_string()),
            floor: params.degressivity.map(|d| money(d.floor)),
            rate: opt_money(c.degressive_rate),
            days_before: c.days_before,
            full_rate_days_left,
        });
        parameters.push(param(&rules.degressivity_from_day.clone_display(), day1));
        if params.degressivity.is_some() {
            parameters.push(param(&rules.degressivity_coefficient, day1));
            parameters.push(param(&rules.degressivity_floor, day1));
        }
        parameters.push(param(&rules.degressivity_max_age, right.contract_ended_on));
        let decl = &recs.declarations[c.declaration_index];
        x.window = Some(WindowUse {
            start: c.window.start.to_string(),
            end: c.window.end.to_string(),
            starts_at_payable_from: c.window.starts_at_payable_from,
            end_reason: match c.window.end_reason {
                WindowEnd::MonthEnd => "month_end",
                WindowEnd::Closed => "closed_on",
                WindowEnd::SearchEnded => "search_ended",
            },
            w: c.window.days,
            sick_days: decl.sick_days,
            w_prime: c.payable_days,
            month_window_days: c.month_window.days,
            entitlement_days: right.entitlement_days,
            days_before: c.days_before,
            capital_left: right.entitlement_days - c.days_before,
        });
        x.paid.paid_rate = Some(money(c.paid_rate));
        x.paid.paid_rate_from = m
            .payments
            .iter()
            .find(|&&(i, d)| d.is_none() && recs.payments[i].kind == crate::model::PaymentKind::Advance)
            .map(|&(i, _)| recs.payments[i].payment_id.to_string());
        x.paid.paid_rate_correct = Some(c.paid_rate_correct);
        let retained = params.earnings_retained_rate;
        let (sjr, factor) = (recs.rights[c.right_index].sjr, params.ceiling_days_factor);
        x.steps = vec![
            step_use("F2", "month", &c.f2, retained, sjr, factor),
            step_use("F3", "full", &c.f3, retained, sjr, factor),
            step_use("F4", "full", &c.f4, retained, sjr, factor),
            step_use("F5", "full", &c.f5, retained, sjr, factor),
        ];
    } else if let Entitlement::NoDeclaration { right_index, allowance } = &m.entitlement {
        x.allowance = Some(allowance_use(recs.rights[*right_index].sjr, allowance, params));
    }
    parameters.push(param(&rules.tolerance, day1));
    parameters.push(param(&rules.prescription_years, day1));
    parameters.push(param(&rules.fraud_prescription_years, day1));
    parameters.push(param(&rules.sms_max, p.as_of));
    parameters.push(param(&rules.formal_notice_after_days, p.as_of));
    parameters.push(param(&rules.write_off_below, p.as_of));
    x.parameters = parameters.into_iter().flatten().collect();
}

/// Every cause of the waterfall (rules.md §5), including those that came to zero.
fn cause_uses(m: &MonthOutcome) -> Vec<CauseUse> {
    let f = |c: Cause| m.findings.iter().find(|f| f.cause == c).map(|f| f.amount).unwrap_or(Decimal::ZERO);
    let causes: &[Cause] = match m.entitlement {
        Entitlement::NoActiveRight => &[Cause::DuplicatePayment, Cause::NoActiveRight],
        Entitlement::NoDeclaration { .. } => &[Cause::DuplicatePayment, Cause::NoDeclaration],
        Entitlement::Computed(_) => &[
            Cause::DuplicatePayment,
            Cause::ProcessingError,
            Cause::OutsideEntitlement,
            Cause::RateError,
            earnings_cause(m),
        ],
    };
    causes.iter().map(|&c| CauseUse { cause: c, formula: formula(c), amount: money(f(c)) }).collect()
}

/// The month's findings (rules.md §6): status and why, prescription,
/// evidence, and the agent's decision that counts (nights.md §8.2).
fn finding_uses(
    p: &Prepared,
    m: &MonthOutcome,
    recs: &SeekerRecords,
    seeker: &str,
    month: Month,
    label: &str,
) -> Vec<FindingUse> {
    let ctx = p.context();
    let params = &p.params[&month];
    let file = |k: InputKind| p.tables.iter().find(|t| t.kind == k).map(|t| t.file_name.clone()).unwrap_or_default();
    let evidence = m.evidence(recs);
    let decisions = ctx.decisions_of(seeker);
    let decisions_file = file(InputKind::Decisions);
    m.findings
        .iter()
        .map(|fd| {
            let reason = (fd.status != Status::WrittenOff)
                .then(|| status::reason(m, fd.cause, fd.amount, fd.time_barred_on, p.as_of));
            let decision = fd.decision.map(|i| &decisions[i]);
            let effect = match (decision.map(|d| d.verdict), fd.status) {
                (Some(Verdict::Upheld), Status::Contested) => "contested",
                (Some(Verdict::Upheld), Status::Review) if reason == Some(Reason::Overpayment) => "review",
                _ => "none",
            };
            let reason_key = match effect {
                "contested" => "contested",
                "review" => "raised_after_upheld",
                _ => reason_key(reason),
            };
            let evidence = match decision {
                Some(d) => format!("{evidence} dec:{}", d.decision_id),
                None => evidence.clone(),
            };
            FindingUse {
                finding_id: finding_id(seeker, month, fd.cause.as_str(), label),
                cause: fd.cause,
                amount: money(fd.amount),
                status: fd.status,
                reason: reason_key,
                time_barred_on: fd.time_barred_on.map(|d| d.to_string()),
                prescription_years: fd.time_barred_on.map(|_| {
                    if fd.cause == Cause::UndeclaredActivity {
                        params.fraud_prescription_years
                    } else {
                        params.prescription_years
                    }
                }),
                basis: m.basis.as_str(),
                evidence,
                decision: decision.map(|d| DecisionUse {
                    decision_id: d.decision_id.to_string(),
                    file: decisions_file.clone(),
                    line: d.line,
                    decision: d.verdict.as_str(),
                    amount: money(d.amount),
                    decided_on: d.decided_on.to_string(),
                    effect,
                }),
            }
        })
        .collect()
}

/// The notice as the run writes it, and the month's changes since the
/// previous night (nights.md §8.3–§8.4).
fn since_previous(
    x: &mut Explanation,
    p: &Prepared,
    result: &crate::run::SeekerResult,
    seeker: &str,
    month: Month,
    previous: Option<&Previous>,
) -> Result<()> {
    let rules = &p.rules;
    let np = rules.notice_params(p.as_of)?;
    // The notice as the run writes it: compared with the previous night's
    // over the run's months (every month the input names).
    let mut run_months: Vec<Month> = p.params.keys().copied().collect();
    run_months.sort_unstable();
    let mine = previous.map(|prev| prev.only(seeker));
    let night = nights::compare(
        result.findings.iter(),
        result.notice.clone().into_iter(),
        mine.as_ref(),
        &run_months,
        p.as_of,
        &np,
    );
    x.previous_run = previous.map(|prev| prev.dir.display().to_string());
    x.changes = night
        .changes
        .iter()
        .filter(|c| c.month == month && previous.is_some())
        .map(|c| ChangeUse {
            cause: c.cause,
            change: c.change.as_str(),
            previous_amount: c.previous.map(|v| money(v.0)),
            previous_status: c.previous.map(|v| v.1),
            amount: c.current.map(|v| money(v.0)),
            status: c.current.map(|v| v.1),
            evidence_added: c.evidence_added.clone(),
            evidence_removed: c.evidence_removed.clone(),
        })
        .collect();
    x.notice = night.notices.first().map(|n| NoticeUse {
        agency_id: n.agency_id.to_string(),
        net: money(n.net),
        channel: n.channel.as_str(),
        sms_max: money(np.sms_max),
        notified_on: n.notified_on.to_string(),
        formal_notice_on: n.formal_notice_on.map(|d| d.to_string()).unwrap_or_default(),
        formal_notice_after_days: np.formal_notice_after_days,
        finding_ids: n.finding_ids.clone(),
        action: n.action.as_str(),
        message_tonight: n.action.sends_message(),
        previous_net: n.previous_net.map(money),
        previous_formal_notice_on: n.previous_formal_notice_on.map(|d| d.to_string()),
    });
    Ok(())
}

fn allowance_use(sjr: Decimal, a: &crate::recompute::Allowance, p: &crate::rules::MonthParams) -> AllowanceUse {
    AllowanceUse {
        sjr: money(sjr),
        sjr_rate_with_fixed: p.sjr_rate_with_fixed.to_string(),
        fixed_part: money(p.fixed_part),
        with_fixed_part: format!("{:.4}", a.with_fixed_part.round_dp(4)),
        sjr_rate_alone: p.sjr_rate_alone.to_string(),
        rate_alone: format!("{:.4}", a.rate_alone.round_dp(4)),
        minimum: money(a.minimum),
        max_sjr_rate: p.max_sjr_rate.to_string(),
        cap: format!("{:.4}", a.cap.round_dp(4)),
        capped: a.capped,
        aj: money(a.aj),
    }
}

/// The earnings cause the month would carry (named even when it is zero).
fn earnings_cause(m: &MonthOutcome) -> Cause {
    m.findings
        .iter()
        .map(|f| f.cause)
        .find(|c| matches!(c, Cause::UndeclaredActivity | Cause::UnderdeclaredEarnings | Cause::OverdeclaredEarnings))
        .unwrap_or(Cause::UnderdeclaredEarnings)
}

fn records(m: &MonthOutcome, recs: &SeekerRecords, file: &dyn Fn(InputKind) -> String) -> Vec<RecordUse> {
    let mut out = Vec::new();
    let used_right = m.computation().map(|c| c.right_index).or(match m.entitlement {
        Entitlement::NoDeclaration { right_index, .. } => Some(right_index),
        _ => None,
    });
    for &i in &m.covering_rights {
        let r = &recs.rights[i];
        out.push(RecordUse {
            kind: "right",
            file: file(InputKind::Rights),
            line: r.line,
            id: r.right_id.to_string(),
            role: if Some(i) == used_right { "used" } else { "covers_too" },
            duplicate_of: None,
            fields: vec![
                ("agency_id".into(), r.agency_id.to_string()),
                ("opened_on".into(), r.opened_on.to_string()),
                ("payable_from".into(), r.payable_from.to_string()),
                ("closed_on".into(), r.closed_on.map(|d| d.to_string()).unwrap_or_default()),
                ("sjr".into(), money(r.sjr)),
                ("entitlement_days".into(), r.entitlement_days.to_string()),
                ("days_paid_before".into(), r.days_paid_before.to_string()),
                ("age_at_contract_end".into(), r.age_at_contract_end.to_string()),
                ("contract_ended_on".into(), r.contract_ended_on.to_string()),
            ],
        });
    }
    let last = m.declarations.last().copied();
    for &i in &m.declarations {
        let d = &recs.declarations[i];
        out.push(RecordUse {
            kind: "declaration",
            file: file(InputKind::Declarations),
            line: d.line,
            id: d.declaration_id.to_string(),
            role: if Some(i) == last { "used_latest" } else { "superseded" },
            duplicate_of: None,
            fields: vec![
                ("declared_on".into(), d.declared_on.to_string()),
                ("hours_worked".into(), d.hours_worked.to_string()),
                ("gross_earnings".into(), money(d.gross_earnings)),
                ("sick_days".into(), d.sick_days.to_string()),
                ("search_ended_on".into(), d.search_ended_on.map(|d| d.to_string()).unwrap_or_default()),
            ],
        });
    }
    for &i in &m.payslips {
        let s = &recs.payslips[i];
        out.push(RecordUse {
            kind: "attestation",
            file: file(InputKind::Attestations),
            line: s.line,
            id: s.attestation_id.to_string(),
            role: if s.conserved { "conserved" } else { "attested" },
            duplicate_of: None,
            fields: vec![
                ("employer_id".into(), s.employer_id.to_string()),
                ("period_start".into(), s.period_start.to_string()),
                ("period_end".into(), s.period_end.to_string()),
                ("hours".into(), s.hours.to_string()),
                ("gross_pay".into(), money(s.gross_pay)),
                ("received_on".into(), s.received_on.to_string()),
                ("conserved".into(), s.conserved.to_string()),
            ],
        });
    }
    for &(i, dup) in &m.payments {
        let r = &recs.payments[i];
        out.push(RecordUse {
            kind: "payment",
            file: file(InputKind::Ledger),
            line: r.line,
            id: r.payment_id.to_string(),
            role: if dup.is_some() { "duplicate" } else { "paid" },
            duplicate_of: dup.map(|j| recs.payments[j].payment_id.to_string()),
            fields: vec![
                ("right_id".into(), r.right_id.to_string()),
                ("kind".into(), r.kind.as_str().into()),
                ("days".into(), r.days.to_string()),
                ("daily_rate".into(), money(r.daily_rate)),
                ("amount".into(), money(r.amount)),
                ("paid_on".into(), r.paid_on.to_string()),
            ],
        });
    }
    out
}

impl Timeline<Option<i64>> {
    /// The degressivity start day as text (`none` while suspended).
    fn clone_display(&self) -> Timeline<String> {
        Timeline {
            name: self.name,
            reference: self.reference.clone(),
            entries: self
                .entries
                .iter()
                .map(|(d, v)| (*d, v.map(|v| v.to_string()).unwrap_or_else(|| "none".into())))
                .collect(),
        }
    }
}
