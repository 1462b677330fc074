//! The text form of an explanation, in English or in French. The French form
//! reads as the motivated notification (notification motivée) of an
//! overpayment: cause, period, amount, calculation, legal basis and the
//! two-month delay to contest it.
//!
//! The rendering code holds no wording: every heading, sentence and word is
//! in one table a language, `EN_MESSAGES` and `FR_MESSAGES`.

use std::fmt::{self, Write as _};

use crate::reconcile::{Cause, Status};

use super::{
    AllowanceUse, ChangeUse, DecisionUse, DegressivityUse, Explanation, FindingUse, Lang, NoticeUse, RecordUse, StepUse,
};

/// Renders the explanation as text.
pub fn render(x: &Explanation, lang: Lang) -> String {
    let mut w = W { m: Messages::of(lang), out: String::new() };
    opening(&mut w, x);
    section_records(&mut w, x);
    section_parameters(&mut w, x);
    section_allowance(&mut w, x);
    section_payable_days(&mut w, x);
    section_earnings(&mut w, x);
    section_paid(&mut w, x);
    section_calculation(&mut w, x);
    section_findings(&mut w, x);
    section_notice(&mut w, x);
    section_since_previous_night(&mut w, x);
    closing(&mut w);
    w.out
}

/// The text being written, and the messages of the reader's language.
struct W {
    m: &'static Messages,
    out: String,
}

impl W {
    fn line(&mut self, s: impl AsRef<str>) {
        self.out.push_str(s.as_ref());
        self.out.push('\n');
    }

    /// A line of a section, indented by two spaces.
    fn item(&mut self, s: impl AsRef<str>) {
        self.out.push_str("  ");
        self.line(s);
    }

    /// A line under an item, indented by six spaces.
    fn detail(&mut self, s: impl AsRef<str>) {
        self.out.push_str("      ");
        self.line(s);
    }

    fn heading(&mut self, n: usize, title: &str) {
        self.line("");
        self.line(format!("{n}. {title}"));
    }
}

/// A template of the tables with each `{}` replaced by the next value, in order.
fn fill(template: &str, values: &[&dyn fmt::Display]) -> String {
    debug_assert_eq!(template.matches("{}").count(), values.len(), "values for `{template}`");
    let mut parts = template.split("{}");
    let mut values = values.iter();
    let mut out = parts.next().unwrap_or_default().to_string();
    for part in parts {
        if let Some(value) = values.next() {
            let _ = write!(out, "{value}");
        }
        out.push_str(part);
    }
    out
}

/// The opening: the seeker-month and rule set for an agent; for the seeker, what is claimed or owed, and why.
fn opening(w: &mut W, x: &Explanation) {
    let m = w.m;
    match &m.frame {
        Frame::Run { title, as_of } => {
            w.line(fill(title, &[&x.month, &x.seeker_id, &x.agency_id]));
            w.line(fill(as_of, &[&x.as_of, &x.rule_set, &x.rule_set_sha256]));
        }
        Frame::Notification(n) => {
            w.line(n.title);
            w.line(fill(n.seeker, &[&x.seeker_id, &x.agency_id]));
            w.line(fill(n.period, &[&m.month_name(&x.month), &x.as_of]));
            let claimed: Vec<_> = x.findings.iter().filter(|f| f.status == Status::Claim).collect();
            if claimed.is_empty() {
                w.line(n.nothing_claimed);
            }
            for f in claimed {
                w.line(fill(n.claimed, &[&m.eur(&f.amount), &(m.cause)(f.cause)]));
                w.line(fill(n.legal_basis, &[&(m.legal_basis)(f.cause)]));
            }
            for f in x.findings.iter().filter(|f| f.status == Status::Owed) {
                w.line(fill(n.owed, &[&m.eur(&f.amount.replace('-', "")), &(m.cause)(f.cause)]));
            }
            w.line(n.details_below);
        }
    }
}

/// 1. The records used (file, line, fields, how used), the rejected ones and the ambiguities (rules.md §3.0).
fn section_records(w: &mut W, x: &Explanation) {
    let m = w.m;
    w.heading(1, m.records_heading);
    for r in &x.records {
        w.item(fill(m.record, &[&m.vocabulary.kind(r.kind), &r.id, &r.file, &r.line, &record_role(m, r)]));
        let fields: Vec<String> =
            r.fields.iter().map(|(k, v)| format!("{k}={}", if v.is_empty() { "-" } else { v })).collect();
        w.detail(fields.join(", "));
    }
    for r in &x.rejects {
        w.item(fill(m.rejected, &[&r.file, &r.line, &r.record_id, &r.code, &r.message]));
    }
    for a in &x.ambiguities {
        w.item(fill(m.ambiguous, &[a]));
    }
}

/// How a record was used, naming the payment a duplicate repeats.
fn record_role(m: &Messages, r: &RecordUse) -> String {
    let role = m.vocabulary.role(r.role);
    match &r.duplicate_of {
        Some(of) => format!("{role} {of}"),
        None => role.to_string(),
    }
}

/// 2. Every parameter of the rule set in force, since when, with its reference (rules.md §7).
fn section_parameters(w: &mut W, x: &Explanation) {
    let m = w.m;
    w.heading(2, m.parameters_heading);
    for p in &x.parameters {
        w.item(fill(m.parameter, &[&p.name, &m.num(&p.value), &p.in_force_from, &p.reference]));
    }
}

/// 3. The daily allowance AJ (rules.md §2, art. 14) and the right's degressivity (art. 17 bis).
fn section_allowance(w: &mut W, x: &Explanation) {
    let m = w.m;
    w.heading(3, m.allowance_heading);
    match (&x.allowance, x.situation) {
        (_, "no_active_right") => w.item(m.no_active_right),
        (Some(a), _) => allowance_lines(w, a),
        _ => {}
    }
    if let Some(d) = &x.degressivity {
        degressivity_lines(w, d);
    }
}

/// AJ: the two formulas, the minimum, the cap, and the rate retained.
fn allowance_lines(w: &mut W, a: &AllowanceUse) {
    let m = w.m;
    let sjr = m.num(&a.sjr);
    w.item(format!(
        "{} × {sjr} + {} = {}",
        m.num(&a.sjr_rate_with_fixed),
        m.num(&a.fixed_part),
        m.num(&a.with_fixed_part)
    ));
    w.item(format!("{} × {sjr} = {}", m.num(&a.sjr_rate_alone), m.num(&a.rate_alone)));
    w.item(fill(m.minimum, &[&m.num(&a.minimum)]));
    let cap = if a.capped { m.cap_applied } else { m.cap };
    w.item(fill(cap, &[&m.num(&a.max_sjr_rate), &sjr, &m.num(&a.cap)]));
    w.item(fill(m.aj, &[&m.eur(&a.aj)]));
}

/// Degressivity (rules.md §2, art. 17 bis): from which day, at which rate, or why not.
fn degressivity_lines(w: &mut W, d: &DegressivityUse) {
    let m = w.m;
    if !d.applies {
        w.item(if d.in_force { m.degressivity_age_limit } else { m.degressivity_not_in_force });
        return;
    }
    let figure = |v: &Option<String>| m.num(v.as_deref().unwrap_or(""));
    w.item(fill(
        m.degressivity,
        &[
            &d.from_day.unwrap_or_default(),
            &d.age_at_contract_end,
            &d.max_age.unwrap_or_default(),
            &figure(&d.coefficient),
            &figure(&d.floor),
            &m.eur(d.rate.as_deref().unwrap_or("")),
        ],
    ));
    w.item(fill(m.degressivity_days, &[&d.days_before, &d.full_rate_days_left.unwrap_or_default()]));
}

/// 4. The payable window, the sick days and the capital left (rules.md §3 steps 1, 2 and 7).
fn section_payable_days(w: &mut W, x: &Explanation) {
    let m = w.m;
    w.heading(4, m.payable_days_heading);
    let Some(win) = &x.window else {
        w.item(m.not_computed);
        return;
    };
    let start = if win.starts_at_payable_from { m.window_from_payable_day } else { m.window_from_month_start };
    let end = match win.end_reason {
        "closed_on" => m.window_to_closed_on,
        "search_ended" => m.window_to_search_ended,
        _ => m.window_to_month_end,
    };
    w.item(format!("{} → {} ({start} → {end}): W = {}", win.start, win.end, win.w));
    w.item(fill(m.sick_days, &[&win.sick_days, &win.w, &win.sick_days, &win.w_prime]));
    w.item(fill(m.capital_left, &[&win.entitlement_days, &win.days_before, &win.capital_left]));
}

/// 5. The earnings declared and attested, and which is the basis (rules.md §3 step 3, art. 30–33).
fn section_earnings(w: &mut W, x: &Explanation) {
    let m = w.m;
    let e = &x.earnings;
    w.heading(5, m.earnings_heading);
    let declared = e.declared.as_deref().map_or_else(|| "-".to_string(), |v| m.eur(v));
    let mut attested = e.attested.as_deref().map_or_else(|| m.no_payslip_yet.to_string(), |v| m.eur(v));
    if !e.payslips.is_empty() {
        let _ = write!(attested, " ({})", e.payslips.join(", "));
    }
    w.item(fill(m.earnings, &[&declared, &attested]));
    if !e.conserved_payslips.is_empty() {
        w.item(fill(m.conserved, &[&e.conserved_payslips.join(", ")]));
    }
    w.item(fill(m.basis, &[&m.vocabulary.basis(e.basis)]));
}

/// 6. The ledger rows paid, their totals and the paid rate r (rules.md §4).
fn section_paid(w: &mut W, x: &Explanation) {
    let m = w.m;
    let paid = &x.paid;
    w.heading(6, m.paid_heading);
    for r in &paid.rows {
        let (kind, rate, amount) = (m.vocabulary.payment_kind(r.kind), m.num(&r.daily_rate), m.eur(&r.amount));
        w.item(match &r.duplicate_of {
            Some(of) => fill(m.payment_duplicate, &[&r.payment_id, &kind, &r.days, &rate, &amount, &r.paid_on, of]),
            None => fill(m.payment, &[&r.payment_id, &kind, &r.days, &rate, &amount, &r.paid_on]),
        });
    }
    w.item(fill(m.paid_totals, &[&m.eur(&paid.total), &m.eur(&paid.duplicates), &m.eur(&paid.f1)]));
    if let (Some(r), Some(correct)) = (&paid.paid_rate, paid.paid_rate_correct) {
        let from = paid.paid_rate_from.as_deref().unwrap_or(m.no_advance);
        let rate = if correct { m.paid_rate_correct } else { m.paid_rate_wrong };
        w.item(fill(rate, &[&m.num(r), &from]));
    }
}

/// 7. The calculation: Due step by step, the waterfall F0…F5 and each cause's amount (rules.md §3, §5).
fn section_calculation(w: &mut W, x: &Explanation) {
    let m = w.m;
    w.heading(7, m.calculation_heading);
    for s in &x.steps {
        step_lines(w, s);
    }
    let f = |key: &str| m.num(&x.waterfall[key]);
    w.item(fill(m.waterfall, &[&f("f0"), &f("f1"), &f("f2"), &f("f3"), &f("f4"), &f("f5"), &f("delta")]));
    for c in &x.causes {
        w.item(format!("{} = {} = {}", c.cause, c.formula, m.eur(&c.amount)));
    }
}

/// One step of Due: allowance after cumul, days, ceiling, capital and price (rules.md §3 steps 4–8).
fn step_lines(w: &mut W, s: &StepUse) {
    let m = w.m;
    let (rate, earnings) = (m.num(&s.rate), m.num(&s.earnings));
    let window = if s.window == "month" { m.step_window_month } else { m.step_window_payable };
    w.item(fill(m.step_due, &[&s.step, &rate, &earnings, &s.payable_days, &window]));
    let (retained, a) = (m.num(&s.earnings_retained_rate), m.num(&s.a));
    if s.a.starts_with('-') || s.a == "0.000" {
        w.detail(fill(m.cumul_no_day, &[&rate, &s.payable_days, &retained, &earnings, &a]));
    } else {
        let quotient = m.num(&s.quotient);
        w.detail(fill(
            m.cumul_days,
            &[&rate, &s.payable_days, &retained, &earnings, &a, &rate, &quotient, &s.days_after_cumul],
        ));
    }
    // The ceiling test is shown for every step, applied or not (rules.md §3 step 6).
    let test = format!("{earnings} + {} × {rate} = {}", s.days_after_cumul, m.num(&s.earnings_plus_allowance));
    let ceiling = format!("SJR {} × {} = {}", m.num(&s.sjr), m.num(&s.ceiling_days_factor), m.num(&s.ceiling));
    if s.ceiling_applied {
        w.detail(fill(m.ceiling_applied, &[&test, &ceiling, &s.days_after_ceiling]));
    } else {
        w.detail(fill(m.ceiling_not_reached, &[&test, &ceiling]));
    }
    if s.capital_applied {
        w.detail(fill(m.step_capital, &[&s.capital_left.unwrap_or_default(), &s.days]));
    }
    let priced = match &s.reduced_rate {
        Some(r) if s.reduced_days > 0 => format!(
            "{} × {} + {} × {} = {}",
            s.full_rate_days,
            m.num(&s.full_rate),
            s.reduced_days,
            m.num(r),
            m.eur(&s.amount)
        ),
        _ => format!("{} × {} = {}", s.days, m.num(&s.full_rate), m.eur(&s.amount)),
    };
    w.detail(fill(m.priced, &[&priced]));
}

/// 8. The findings: status and why, prescription, evidence, agent's decision (rules.md §6, nights.md §8.2).
fn section_findings(w: &mut W, x: &Explanation) {
    let m = w.m;
    w.heading(8, m.findings_heading);
    if x.findings.is_empty() {
        w.item(m.no_finding);
    }
    for f in &x.findings {
        w.item(format!("{} {} {} — {}", f.finding_id, f.cause, m.eur(&f.amount), (m.cause)(f.cause)));
        w.detail(m.status_reason(f.reason));
        if let (Some(on), Some(years)) = (&f.time_barred_on, f.prescription_years) {
            w.detail(fill(m.prescription, &[on, &years]));
        }
        w.detail(fill(m.evidence, &[&f.evidence]));
        if let Some(d) = &f.decision {
            w.detail(decision_text(m, f, d));
        }
    }
}

/// The agent's decision on a finding and its effect on the status (nights.md §8.2).
fn decision_text(m: &Messages, f: &FindingUse, d: &DecisionUse) -> String {
    let verdict = if d.decision == "upheld" { m.decision_upheld } else { m.decision_rejected };
    let (amount, examined) = (m.eur(&f.amount), m.eur(&d.amount));
    let effect = match d.effect {
        "contested" => fill(m.effect_contested, &[&amount, &examined]),
        "review" => fill(m.effect_review, &[&amount, &examined]),
        _ => m.effect_none.to_string(),
    };
    fill(m.decision, &[&d.decision_id, &d.file, &d.line, &verdict, &d.decided_on, &examined, &effect])
}

/// 9. The notice: net, channel, notice and formal-notice dates (rules.md §6), action tonight (nights.md §8.4).
fn section_notice(w: &mut W, x: &Explanation) {
    let m = w.m;
    w.heading(9, m.notice_heading);
    let Some(n) = &x.notice else {
        w.item(m.no_notice);
        return;
    };
    let channel = if n.channel == "phone" { m.channel_phone } else { m.channel_sms };
    w.item(fill(m.notice, &[&m.eur(&n.net), &m.eur(&n.sms_max), &channel, &n.notified_on]));
    if n.formal_notice_on.is_empty() {
        w.item(m.no_formal_notice);
    } else {
        w.item(fill(m.formal_notice, &[&n.formal_notice_on, &n.formal_notice_after_days]));
    }
    w.item(fill(m.findings_counted, &[&n.finding_ids]));
    if x.previous_run.is_some() {
        w.item(action_text(m, n));
    }
}

/// The notice's action tonight, with what it means for the seeker (nights.md §8.4).
fn action_text(m: &Messages, n: &NoticeUse) -> String {
    let prev = n.previous_net.as_deref().unwrap_or("");
    let prev_formal = n.previous_formal_notice_on.as_deref().unwrap_or("");
    match n.action {
        "first" => m.action_first.to_string(),
        "held" => fill(m.action_held, &[&prev, &prev_formal]),
        "withdrawn" => fill(m.action_withdrawn, &[&prev, &prev_formal]),
        "unchanged" => m.action_unchanged.to_string(),
        "resumed" => m.action_resumed.to_string(),
        "increased" => fill(m.action_increased, &[&prev]),
        _ => fill(m.action_decreased, &[&prev]),
    }
}

/// 10. With `--previous`: each finding of the month compared with the previous night's (nights.md §8.3).
fn section_since_previous_night(w: &mut W, x: &Explanation) {
    let Some(prev) = &x.previous_run else {
        return;
    };
    let m = w.m;
    w.heading(10, m.changes_heading);
    w.item(fill(m.compared_with, &[prev]));
    if x.changes.is_empty() {
        w.item(m.no_change);
    }
    for c in &x.changes {
        change_lines(w, c);
    }
}

/// One finding key: its change, amount and status then and now, and the evidence added or removed.
fn change_lines(w: &mut W, c: &ChangeUse) {
    let m = w.m;
    let figure = |amount: &Option<String>, status: Option<Status>| match amount {
        Some(a) => format!("{} ({})", m.eur(a), status.map_or("", m.status)),
        None => m.change_none.to_string(),
    };
    let (before, now) = (figure(&c.previous_amount, c.previous_status), figure(&c.amount, c.status));
    w.item(format!("{} {}: {before} → {now}", c.cause, m.change(c.change)));
    if !c.evidence_added.is_empty() {
        w.detail(fill(m.evidence_added, &[&c.evidence_added]));
    }
    if !c.evidence_removed.is_empty() {
        w.detail(fill(m.evidence_removed, &[&c.evidence_removed]));
    }
}

/// The closing: for the seeker, how to contest the notification and within which delay.
fn closing(w: &mut W) {
    let m = w.m;
    if let Frame::Notification(n) = &m.frame {
        w.line("");
        for line in n.appeal {
            w.line(line);
        }
    }
}

/// The words of the domain in one language: record kinds, how a record
/// was used, the earnings basis, payment kinds. One table a language, so
/// that a French explanation has no English word left for any of them.
struct Vocabulary {
    kinds: [(&'static str, &'static str); 4],
    roles: [(&'static str, &'static str); 8],
    bases: [(&'static str, &'static str); 2],
    payment_kinds: [(&'static str, &'static str); 3],
}

const ENGLISH: Vocabulary = Vocabulary {
    kinds: [("right", "right"), ("declaration", "declaration"), ("attestation", "payslip"), ("payment", "payment")],
    roles: [
        ("used", "used"),
        ("covers_too", "covers the month too (ambiguous)"),
        ("used_latest", "used (latest)"),
        ("superseded", "superseded (ambiguous)"),
        ("attested", "attested earnings"),
        ("conserved", "conserved activity: cumulated in full, not counted"),
        ("paid", "paid"),
        ("duplicate", "duplicate of"),
    ],
    bases: [("attested", "attested (the employers' payslips)"), ("declared", "declared (the seeker's declaration)")],
    payment_kinds: [("advance", "advance"), ("regularisation", "regularisation"), ("reversal", "reversal")],
};

const FRENCH: Vocabulary = Vocabulary {
    kinds: [
        ("right", "droit"),
        ("declaration", "actualisation"),
        ("attestation", "attestation employeur"),
        ("payment", "versement"),
    ],
    roles: [
        ("used", "utilisé"),
        ("covers_too", "couvre aussi le mois (ambigu)"),
        ("used_latest", "utilisée (la plus récente)"),
        ("superseded", "remplacée (ambigu)"),
        ("attested", "rémunération attestée"),
        ("conserved", "activité conservée : cumulée intégralement, non comptée"),
        ("paid", "versé"),
        ("duplicate", "doublon de"),
    ],
    bases: [
        ("attested", "attestée (attestations des employeurs)"),
        ("declared", "déclarée (actualisation du demandeur)"),
    ],
    payment_kinds: [("advance", "avance"), ("regularisation", "régularisation"), ("reversal", "annulation")],
};

impl Vocabulary {
    fn find(table: &[(&'static str, &'static str)], key: &str) -> &'static str {
        table.iter().find(|(k, _)| *k == key).map_or("?", |(_, v)| v)
    }

    fn kind(&self, key: &str) -> &'static str {
        Self::find(&self.kinds, key)
    }

    fn role(&self, key: &str) -> &'static str {
        Self::find(&self.roles, key)
    }

    fn basis(&self, key: &str) -> &'static str {
        Self::find(&self.bases, key)
    }

    fn payment_kind(&self, key: &str) -> &'static str {
        Self::find(&self.payment_kinds, key)
    }
}

/// How an explanation opens and closes, which depends on who reads it.
enum Frame {
    /// For an agent: the seeker-month explained (`{}`: month, seeker, agency),
    /// then the date and rule set (`{}`: as_of, rule set, its sha256).
    Run { title: &'static str, as_of: &'static str },
    /// For the seeker: the motivated notification.
    Notification(Notification),
}

/// The sentences of the motivated notification (notification motivée) that
/// open and close the seeker's explanation.
struct Notification {
    title: &'static str,
    /// `{}`: seeker, agency.
    seeker: &'static str,
    /// `{}`: the month by name, as_of.
    period: &'static str,
    nothing_claimed: &'static str,
    /// `{}`: amount, cause. One a finding claimed, each followed by its `legal_basis`.
    claimed: &'static str,
    legal_basis: &'static str,
    /// `{}`: amount, cause. One a finding owed to the seeker.
    owed: &'static str,
    details_below: &'static str,
    /// How to contest, and within which delay.
    appeal: [&'static str; 3],
}

/// Every heading, sentence and word of the text form in one language. In a
/// template, each `{}` is replaced by the next value, in the order the
/// rendering code gives them (`fill`): the same in every language.
struct Messages {
    vocabulary: Vocabulary,
    /// How the decimal point of a figure is written.
    decimal_point: &'static str,
    /// January first.
    months: [&'static str; 12],
    /// What a cause means (exhaustive: a new cause must be worded).
    cause: fn(Cause) -> &'static str,
    /// The legal basis of a cause (exhaustive).
    legal_basis: fn(Cause) -> &'static str,
    /// A status as the reader says it (exhaustive).
    status: fn(Status) -> &'static str,
    frame: Frame,

    // 1. Records.
    records_heading: &'static str,
    /// `{}`: kind, id, file, line, how it was used.
    record: &'static str,
    /// `{}`: file, line, record id, code, message.
    rejected: &'static str,
    ambiguous: &'static str,

    // 2. Parameters.
    parameters_heading: &'static str,
    /// `{}`: name, value, in force from, reference.
    parameter: &'static str,

    // 3. Daily allowance.
    allowance_heading: &'static str,
    no_active_right: &'static str,
    minimum: &'static str,
    /// `{}`: rate, SJR, cap; `cap_applied` when the cap wins over the minimum.
    cap: &'static str,
    cap_applied: &'static str,
    aj: &'static str,
    /// `{}`: from day, age at contract end, max age, coefficient, floor, degressive rate.
    degressivity: &'static str,
    /// `{}`: days consumed before the month, days left at the full rate.
    degressivity_days: &'static str,
    degressivity_not_in_force: &'static str,
    degressivity_age_limit: &'static str,

    // 4. Payable days: the window's first and last day named.
    payable_days_heading: &'static str,
    window_from_payable_day: &'static str,
    window_from_month_start: &'static str,
    window_to_closed_on: &'static str,
    window_to_search_ended: &'static str,
    window_to_month_end: &'static str,
    /// `{}`: sick days, W, sick days, W'.
    sick_days: &'static str,
    /// `{}`: entitlement days, days before, capital left.
    capital_left: &'static str,
    not_computed: &'static str,

    // 5. Earnings.
    earnings_heading: &'static str,
    /// `{}`: declared, attested (with the payslips).
    earnings: &'static str,
    no_payslip_yet: &'static str,
    conserved: &'static str,
    basis: &'static str,

    // 6. Paid.
    paid_heading: &'static str,
    /// `{}`: payment id, kind, days, rate, amount, paid on (, the payment it repeats).
    payment: &'static str,
    payment_duplicate: &'static str,
    /// `{}`: P, duplicates, F1.
    paid_totals: &'static str,
    no_advance: &'static str,
    /// `{}`: r, the advance it was read from.
    paid_rate_correct: &'static str,
    paid_rate_wrong: &'static str,

    // 7. The calculation.
    calculation_heading: &'static str,
    /// `{}`: step, rate, earnings, payable days, window.
    step_due: &'static str,
    step_window_month: &'static str,
    step_window_payable: &'static str,
    /// `{}`: rate, payable days, retained rate, earnings, A (, rate, A / rate, days).
    cumul_no_day: &'static str,
    cumul_days: &'static str,
    /// `{}`: the test, the ceiling (, days).
    ceiling_applied: &'static str,
    ceiling_not_reached: &'static str,
    /// `{}`: capital left, days.
    step_capital: &'static str,
    priced: &'static str,
    /// `{}`: F0, F1, F2, F3, F4, F5, delta.
    waterfall: &'static str,

    // 8. Findings.
    findings_heading: &'static str,
    no_finding: &'static str,
    /// `{}`: time-barred on, years.
    prescription: &'static str,
    evidence: &'static str,
    // Why a finding has its status, by the reason of rules.md §6.
    reason_ambiguous: &'static str,
    reason_held_by_reject: &'static str,
    reason_underpayment: &'static str,
    reason_offset_in_month: &'static str,
    reason_prescribed: &'static str,
    reason_no_declaration: &'static str,
    reason_overpayment: &'static str,
    reason_contested: &'static str,
    reason_raised_after_upheld: &'static str,
    reason_written_off: &'static str,
    /// `{}`: decision id, file, line, verdict, decided on, amount examined, effect.
    decision: &'static str,
    decision_upheld: &'static str,
    decision_rejected: &'static str,
    /// `{}`: the finding's amount, the amount examined.
    effect_contested: &'static str,
    effect_review: &'static str,
    effect_none: &'static str,

    // 9. Notice.
    notice_heading: &'static str,
    /// `{}`: net, SMS limit, channel, notified on.
    notice: &'static str,
    channel_phone: &'static str,
    channel_sms: &'static str,
    no_formal_notice: &'static str,
    /// `{}`: formal notice on, days after the notice.
    formal_notice: &'static str,
    findings_counted: &'static str,
    no_notice: &'static str,
    // The notice's action tonight (nights.md §8.4); `{}`: the previous net (, the previous formal notice date).
    action_first: &'static str,
    action_held: &'static str,
    action_withdrawn: &'static str,
    action_unchanged: &'static str,
    action_resumed: &'static str,
    action_increased: &'static str,
    action_decreased: &'static str,

    // 10. Since the previous night.
    changes_heading: &'static str,
    compared_with: &'static str,
    no_change: &'static str,
    // A finding key's change (nights.md §8.3).
    change_new: &'static str,
    change_unchanged: &'static str,
    change_revised: &'static str,
    change_withdrawn: &'static str,
    /// In place of an amount the finding did not have then, or no longer has now.
    change_none: &'static str,
    evidence_added: &'static str,
    evidence_removed: &'static str,
}

impl Messages {
    fn of(lang: Lang) -> &'static Messages {
        match lang {
            Lang::En => &EN_MESSAGES,
            Lang::Fr => &FR_MESSAGES,
        }
    }

    /// Money as the reader writes it: `1 234,56 €` in French, `1234.56 €` in English.
    fn eur(&self, s: &str) -> String {
        format!("{} €", self.num(s))
    }

    fn num(&self, s: &str) -> String {
        s.replace('.', self.decimal_point)
    }

    /// `2024-03` as `mars 2024`.
    fn month_name(&self, month: &str) -> String {
        let (y, m) = month.split_at(4);
        let i: usize = m.trim_start_matches('-').parse().unwrap_or(1);
        format!("{} {y}", self.months[i - 1])
    }

    fn status_reason(&self, reason: &str) -> &'static str {
        match reason {
            "ambiguous" => self.reason_ambiguous,
            "held_by_reject" => self.reason_held_by_reject,
            "underpayment" => self.reason_underpayment,
            "offset_in_month" => self.reason_offset_in_month,
            "prescribed" => self.reason_prescribed,
            "no_declaration" => self.reason_no_declaration,
            "overpayment" => self.reason_overpayment,
            "contested" => self.reason_contested,
            "raised_after_upheld" => self.reason_raised_after_upheld,
            _ => self.reason_written_off,
        }
    }

    fn change(&self, change: &str) -> &'static str {
        match change {
            "new" => self.change_new,
            "unchanged" => self.change_unchanged,
            "revised" => self.change_revised,
            _ => self.change_withdrawn,
        }
    }
}

const EN_MESSAGES: Messages = Messages {
    vocabulary: ENGLISH,
    decimal_point: ".",
    months: [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    cause: cause_en,
    legal_basis: legal_basis_en,
    status: Status::as_str,
    frame: Frame::Run {
        title: "Explanation of {} for seeker {} (agency {})",
        as_of: "As of {}; rule set {} (sha256 {}).",
    },

    records_heading: "Records used",
    record: "{} {} ({} line {}): {}",
    rejected: "REJECTED {} line {} [{}] {}: {}",
    ambiguous: "AMBIGUOUS: {}",

    parameters_heading: "Parameters in force",
    parameter: "{} = {} (since {}) — {}",

    allowance_heading: "Daily allowance (AJ, art. 14)",
    no_active_right: "No right of the seeker covers any day of the month: nothing is due.",
    minimum: "minimum {}",
    cap: "cap {} × {} = {}",
    cap_applied: "cap {} × {} = {} (applied: the cap wins over the minimum)",
    aj: "AJ = {} (highest, capped, rounded to the cent)",
    degressivity: "Degressivity (art. 17 bis) from day {} (age {} < {} at contract end); rate {} × AJ, floor {}: {}",
    degressivity_days: "days consumed before the month: {}; days left at the full rate this month: {}",
    degressivity_not_in_force: "Degressivity (art. 17 bis): not in force for the month",
    degressivity_age_limit:
        "Degressivity (art. 17 bis): the seeker was at or above the age limit at the contract's end",

    payable_days_heading: "Payable days",
    window_from_payable_day: "the first payable day",
    window_from_month_start: "the first of the month",
    window_to_closed_on: "the right's closing date",
    window_to_search_ended: "the day before the end of job search",
    window_to_month_end: "the end of the month",
    sick_days: "sick days {}: W' = max({} − {}, 0) = {}",
    capital_left: "capital left: {} − {} = {}",
    not_computed: "Not computed (see above).",

    earnings_heading: "Earnings (art. 30–33)",
    earnings: "declared: {}; attested by employers: {}",
    no_payslip_yet: "no payslip yet",
    conserved: "conserved activity, cumulated in full: {}",
    basis: "basis: {}",

    paid_heading: "What was paid (ledger)",
    payment: "{} {} {} × {} = {} paid on {}",
    payment_duplicate: "{} {} {} × {} = {} paid on {} — duplicate of {}",
    paid_totals: "P = F0 = {}; duplicates {}; F1 = {}",
    no_advance: "no advance: AJ",
    paid_rate_correct: "paid rate r = {} ({}): a correct rate",
    paid_rate_wrong: "paid rate r = {} ({}): a wrong rate, used for F2 and F3",

    calculation_heading: "Due and the waterfall (rules §3, §5)",
    step_due: "{} = due(rate {}, E {}, {} days ; {})",
    step_window_month: "month window, no sick days, no capital",
    step_window_payable: "payable window",
    cumul_no_day: "A = {} × {} − {} × {} = {} ≤ 0 → 0 days",
    cumul_days: "A = {} × {} − {} × {} = {}; A / {} = {} → {} days",
    ceiling_applied: "ceiling: {} > {} → {} days",
    ceiling_not_reached: "ceiling: {} ≤ {}: not reached",
    step_capital: "capital: {} days left → {} days",
    priced: "priced: {}",
    waterfall: "F0 {} · F1 {} · F2 {} · F3 {} · F4 {} · F5 = Due {} · delta = P − Due = {}",

    findings_heading: "Findings and status (§6)",
    no_finding: "No difference of a cent or more: no finding.",
    prescription: "prescription: {} ({} years after the month's first payment, Code du travail L.5422-5)",
    evidence: "evidence: {}",
    reason_ambiguous: "review: the month's records are ambiguous; nothing is recovered until a person has looked",
    reason_held_by_reject:
        "review: a record of this seeker-month could not be read; nothing is recovered until a person has looked",
    reason_underpayment: "owed: an underpayment, money owed to the seeker",
    reason_offset_in_month: "offset: compensated inside the month by what the seeker is owed, nothing to recover",
    reason_prescribed: "time-barred: the prescription date is past (Code du travail L.5422-5)",
    reason_no_declaration: "review: a payment with no declaration behind it is looked at, not claimed",
    reason_overpayment: "claim: an overpayment, with its evidence",
    reason_contested: "contested: an agent upheld the seeker's contest of this amount; it is not claimed",
    reason_raised_after_upheld:
        "review: an agent upheld the seeker's contest, but the amount has grown since; a person looks again",
    reason_written_off: "written off: the net is below the write-off threshold",
    decision: "decision {} ({} line {}) {} on {}, amount examined {}: {}",
    decision_upheld: "upheld (the seeker was right)",
    decision_rejected: "rejected (the claim stands)",
    effect_contested: "{} ≤ {}: contested, not claimed",
    effect_review: "{} > {}: grown since the decision, back to review",
    effect_none: "no change of status",

    notice_heading: "Notice",
    notice: "Net over the run: {} (SMS limit {}): {}, notified on {}",
    channel_phone: "a phone call (net at or above the SMS limit)",
    channel_sms: "an SMS (net under the SMS limit)",
    no_formal_notice: "No formal notice (mise en demeure) runs tonight.",
    formal_notice:
        "Without repayment, formal notice (mise en demeure) on {} ({} days after the notice, Code du travail R.5426-20)",
    findings_counted: "findings counted: {}",
    no_notice: "No notice: the seeker's net (claims, owed and offset) is not positive.",
    action_first: "action first: the first notice of this debt, sent tonight",
    action_held:
        "action held: a month of the notice (net {}) is in review; no message, the formal notice of {} is suspended",
    action_withdrawn: "action withdrawn: the notice of {} is withdrawn tonight and any formal notice ({}) cancelled",
    action_unchanged: "action unchanged: same net as the previous night, nothing is sent again",
    action_resumed: "action resumed: the review confirmed the held notice; sent tonight with a fresh delay",
    action_increased: "action increased: the debt grew from {}; a new notice with a fresh delay",
    action_decreased: "action decreased: the debt fell from {}; a correction, the formal-notice date kept",

    changes_heading: "Since the previous night",
    compared_with: "compared with the run {}",
    no_change: "No finding of this month, then or now.",
    change_new: "new since the previous night",
    change_unchanged: "unchanged (same amount and status)",
    change_revised: "revised",
    change_withdrawn: "withdrawn: no longer a finding",
    change_none: "none",
    evidence_added: "evidence added: {}",
    evidence_removed: "evidence removed: {}",
};

const FR_MESSAGES: Messages = Messages {
    vocabulary: FRENCH,
    decimal_point: ",",
    months: [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    cause: cause_fr,
    legal_basis: legal_basis_fr,
    status: status_fr,
    frame: Frame::Notification(Notification {
        title: "France Travail — notification motivée de trop-perçu d'allocation d'aide au retour à l'emploi (ARE)",
        seeker: "Demandeur d'emploi : {}    Agence : {}",
        period: "Période : {} ; situation examinée au {}",
        nothing_claimed: "Aucune somme ne vous est réclamée pour ce mois.",
        claimed: "Montant réclamé : {} — motif : {}.",
        legal_basis: "Fondement : {}.",
        owed: "Somme qui vous est due : {} — motif : {}.",
        details_below:
            "Le calcul détaillé figure ci-dessous ; chaque montant peut être vérifié à partir des pièces citées.",
        appeal: [
            "Voies et délais de recours : vous pouvez contester cette décision dans un délai de deux mois à compter",
            "de sa notification, par un recours préalable auprès de votre agence France Travail, puis devant le",
            "tribunal judiciaire. Vous pouvez aussi demander une remise de dette ou un échéancier de remboursement.",
        ],
    }),

    records_heading: "Pièces utilisées",
    record: "{} {} ({} ligne {}): {}",
    rejected: "REJETÉE {} ligne {} [{}] {}: {}",
    ambiguous: "AMBIGU: {}",

    parameters_heading: "Paramètres en vigueur",
    parameter: "{} = {} (depuis le {}) — {}",

    allowance_heading: "Allocation journalière (AJ, art. 14)",
    no_active_right: "Aucun de vos droits ne couvre un jour du mois : rien n'est dû.",
    minimum: "minimum {}",
    cap: "plafond {} × {} = {}",
    cap_applied: "plafond {} × {} = {} (appliqué : le plafond l'emporte sur le minimum)",
    aj: "AJ = {} (le plus élevé, plafonné, arrondi au centime)",
    degressivity: "Dégressivité (art. 17 bis) à partir du jour {} (âge {} < {} à la fin du contrat); taux {} × AJ, plancher {}: {}",
    degressivity_days: "jours consommés avant le mois : {}; jours restant au taux plein ce mois : {}",
    degressivity_not_in_force: "Dégressivité (art. 17 bis) : non en vigueur pour ce mois",
    degressivity_age_limit: "Dégressivité (art. 17 bis) : âge atteint à la fin du contrat",

    payable_days_heading: "Jours indemnisables",
    window_from_payable_day: "premier jour indemnisable",
    window_from_month_start: "premier jour du mois",
    window_to_closed_on: "date de clôture du droit",
    window_to_search_ended: "veille de la fin de recherche d'emploi",
    window_to_month_end: "fin du mois",
    sick_days: "jours d'arrêt maladie {}: W' = max({} − {}, 0) = {}",
    capital_left: "capital restant: {} − {} = {}",
    not_computed: "Non calculé (voir ci-dessus).",

    earnings_heading: "Rémunérations (art. 30 à 33)",
    earnings: "déclarées: {}; attestées par les employeurs: {}",
    no_payslip_yet: "pas encore d'attestation",
    conserved: "activité conservée, cumulée intégralement: {}",
    basis: "base: {}",

    paid_heading: "Ce qui a été versé",
    payment: "{} {} {} × {} = {} versé le {}",
    payment_duplicate: "{} {} {} × {} = {} versé le {} — doublon de {}",
    paid_totals: "P = F0 = {}; doublons {}; F1 = {}",
    no_advance: "aucune avance : AJ",
    paid_rate_correct: "taux versé r = {} ({}): un taux exact",
    paid_rate_wrong: "taux versé r = {} ({}): un taux erroné, utilisé pour F2 et F3",

    calculation_heading: "Montant dû et décomposition de l'écart",
    step_due: "{} = due(rate {}, E {}, {} jours ; {})",
    step_window_month: "fenêtre du mois, sans arrêt maladie ni capital",
    step_window_payable: "fenêtre indemnisable",
    cumul_no_day: "A = {} × {} − {} × {} = {} ≤ 0 → 0 jours",
    cumul_days: "A = {} × {} − {} × {} = {}; A / {} = {} → {} jours",
    ceiling_applied: "plafond : {} > {} → {} jours",
    ceiling_not_reached: "plafond : {} ≤ {}: non atteint",
    step_capital: "capital : {} jours restants → {} jours",
    priced: "montant : {}",
    waterfall: "F0 {} · F1 {} · F2 {} · F3 {} · F4 {} · F5 = dû {} · delta = P − Due = {}",

    findings_heading: "Constats et suites (§6)",
    no_finding: "Aucun écart d'un centime ou plus : aucun constat.",
    prescription: "prescription : {} ({} ans après le premier versement du mois, Code du travail, art. L.5422-5)",
    evidence: "pièces : {}",
    reason_ambiguous: "examen : les pièces du mois sont ambiguës ; rien n'est recouvré avant l'examen d'un agent",
    reason_held_by_reject: "examen : une pièce de ce mois n'a pu être lue ; rien n'est recouvré avant l'examen d'un agent",
    reason_underpayment: "dû : un moins-perçu, somme qui vous est due",
    reason_offset_in_month: "compensé : compensé dans le mois par ce qui vous est dû, rien à rembourser",
    reason_prescribed: "prescrit : le délai de prescription est écoulé (Code du travail, art. L.5422-5)",
    reason_no_declaration: "examen : un versement sans déclaration est examiné, non réclamé",
    reason_overpayment: "réclamé : un trop-perçu, avec ses pièces justificatives",
    reason_contested: "contesté : votre recours a été accepté pour ce montant ; il ne vous est pas réclamé",
    reason_raised_after_upheld:
        "examen : votre recours avait été accepté, mais le montant a augmenté depuis ; un agent réexamine",
    reason_written_off: "admis en non-valeur : montant sous le seuil de recouvrement",
    decision: "décision {} ({} ligne {}) {} le {}, montant examiné {}: {}",
    decision_upheld: "recours accepté",
    decision_rejected: "recours rejeté (la somme reste due)",
    effect_contested: "{} ≤ {} : contesté, non réclamé",
    effect_review: "{} > {} : augmenté depuis la décision, en examen",
    effect_none: "sans effet sur la suite donnée",

    notice_heading: "Notification et recouvrement",
    notice: "Solde net : {} (seuil SMS {}): {}, notifié le {}",
    channel_phone: "un appel téléphonique (montant net d'au moins le seuil SMS)",
    channel_sms: "un SMS (montant net sous le seuil SMS)",
    no_formal_notice: "Aucune mise en demeure ne court à ce jour.",
    formal_notice: "Sans remboursement, mise en demeure le {} ({} jours après la notification, Code du travail R.5426-20)",
    findings_counted: "constats comptés : {}",
    no_notice: "Pas de notification : votre solde net (sommes réclamées, dues et compensées) n'est pas positif.",
    action_first: "action : première notification de cette dette, envoyée ce soir",
    action_held: "action : suspendue ; un mois de la notification (solde {}) est en examen ; aucun message, la mise en demeure du {} est suspendue",
    action_withdrawn:
        "action : retrait ; la notification de {} est retirée ce soir et toute mise en demeure ({}) annulée",
    action_unchanged: "action : inchangée ; même solde que la nuit précédente, rien n'est renvoyé",
    action_resumed:
        "action : reprise ; l'examen a confirmé la notification suspendue, envoyée ce soir avec un nouveau délai",
    action_increased: "action : hausse ; la dette augmente (elle était de {}) ; nouvelle notification, nouveau délai",
    action_decreased: "action : baisse ; la dette était de {} ; rectification, la date de mise en demeure est maintenue",

    changes_heading: "Depuis la nuit précédente",
    compared_with: "comparé au traitement {}",
    no_change: "Aucun constat pour ce mois, ni avant ni maintenant.",
    change_new: "nouveau depuis la nuit précédente",
    change_unchanged: "inchangé (même montant, même suite)",
    change_revised: "révisé",
    change_withdrawn: "retiré : ce n'est plus un constat",
    change_none: "aucun",
    evidence_added: "pièces ajoutées : {}",
    evidence_removed: "pièces retirées : {}",
};

fn cause_en(cause: Cause) -> &'static str {
    match cause {
        Cause::DuplicatePayment => "the same payment was made twice",
        Cause::NoActiveRight => "paid for a month that no open right covers",
        Cause::NoDeclaration => "paid without a monthly declaration",
        Cause::ProcessingError => "paid more (or less) than the declaration justified",
        Cause::OutsideEntitlement => {
            "paid for days that were not payable (sick leave, closed right, exhausted capital, end of job search)"
        }
        Cause::RateError => "paid at a wrong daily rate",
        Cause::UndeclaredActivity => "work not declared, shown by the employer's payslip",
        Cause::UnderdeclaredEarnings => "earnings declared lower than the employer's payslip",
        Cause::OverdeclaredEarnings => "earnings declared higher than the employer's payslip: owed to the seeker",
    }
}

fn cause_fr(cause: Cause) -> &'static str {
    match cause {
        Cause::DuplicatePayment => "un même paiement a été versé deux fois",
        Cause::NoActiveRight => "versement pour un mois qu'aucun droit ouvert ne couvre",
        Cause::NoDeclaration => "versement sans actualisation mensuelle",
        Cause::ProcessingError => "montant versé différent de celui que justifiait votre déclaration",
        Cause::OutsideEntitlement => {
            "versement pour des jours non indemnisables (arrêt maladie, droit clos, capital épuisé, fin de recherche d'emploi)"
        }
        Cause::RateError => "versement à un taux journalier erroné",
        Cause::UndeclaredActivity => "activité non déclarée, attestée par l'employeur",
        Cause::UnderdeclaredEarnings => "rémunération déclarée inférieure à celle attestée par l'employeur",
        Cause::OverdeclaredEarnings => {
            "rémunération déclarée supérieure à celle attestée par l'employeur : somme qui vous est due"
        }
    }
}

fn legal_basis_en(cause: Cause) -> &'static str {
    match cause {
        Cause::DuplicatePayment | Cause::ProcessingError | Cause::RateError => {
            "règlement d'assurance chômage, art. 14 (daily allowance); Code du travail L.5422-5 (recovery)"
        }
        Cause::OutsideEntitlement | Cause::NoActiveRight | Cause::NoDeclaration => {
            "règlement d'assurance chômage (payable days, end of right, monthly declaration); Code du travail L.5422-5"
        }
        Cause::UndeclaredActivity | Cause::UnderdeclaredEarnings | Cause::OverdeclaredEarnings => {
            "règlement d'assurance chômage, art. 30 to 32 (allowance and pay cumulated); Code du travail L.5422-5"
        }
    }
}

fn legal_basis_fr(cause: Cause) -> &'static str {
    match cause {
        Cause::DuplicatePayment | Cause::ProcessingError | Cause::RateError => {
            "règlement d'assurance chômage, art. 14 (allocation journalière) ; Code du travail, art. L.5422-5 (répétition de l'indu)"
        }
        Cause::OutsideEntitlement | Cause::NoActiveRight | Cause::NoDeclaration => {
            "règlement d'assurance chômage (jours indemnisables, fin de droit, actualisation) ; Code du travail, art. L.5422-5"
        }
        Cause::UndeclaredActivity | Cause::UnderdeclaredEarnings | Cause::OverdeclaredEarnings => {
            "règlement d'assurance chômage, art. 30 à 32 (cumul de l'allocation et d'une rémunération) ; Code du travail, art. L.5422-5"
        }
    }
}

fn status_fr(status: Status) -> &'static str {
    match status {
        Status::Claim => "réclamé",
        Status::Review => "en examen",
        Status::Owed => "dû au demandeur",
        Status::Offset => "compensé",
        Status::TimeBarred => "prescrit",
        Status::WrittenOff => "admis en non-valeur",
        Status::Contested => "contesté (recours accepté)",
    }
}
