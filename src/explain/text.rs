//! The text form of an explanation, in English or in French. The French form
//! reads as the motivated notification (notification motivée) of an
//! overpayment: cause, period, amount, calculation, legal basis and the
//! two-month delay to contest it.

use std::fmt::Write as _;

use crate::reconcile::{Cause, Status};

use super::{Explanation, Lang, StepUse};

struct W {
    lang: Lang,
    out: String,
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

impl W {
    fn vocabulary(&self) -> &'static Vocabulary {
        match self.lang {
            Lang::En => &ENGLISH,
            Lang::Fr => &FRENCH,
        }
    }

    fn t<'a>(&self, en: &'a str, fr: &'a str) -> &'a str {
        match self.lang {
            Lang::En => en,
            Lang::Fr => fr,
        }
    }

    /// Money as the reader writes it: `1 234,56 €` in French, `1234.56 €` in English.
    fn eur(&self, s: &str) -> String {
        format!("{} €", self.num(s))
    }

    fn num(&self, s: &str) -> String {
        match self.lang {
            Lang::En => s.to_string(),
            Lang::Fr => s.replace('.', ","),
        }
    }

    fn line(&mut self, s: impl AsRef<str>) {
        self.out.push_str(s.as_ref());
        self.out.push('\n');
    }

    fn heading(&mut self, n: usize, en: &str, fr: &str) {
        let title = self.t(en, fr).to_string();
        self.line("");
        self.line(format!("{n}. {title}"));
    }
}

fn cause_text(lang: Lang, cause: Cause) -> &'static str {
    let (en, fr) = match cause {
        Cause::DuplicatePayment => ("the same payment was made twice", "un même paiement a été versé deux fois"),
        Cause::NoActiveRight => ("paid for a month that no open right covers", "versement pour un mois qu'aucun droit ouvert ne couvre"),
        Cause::NoDeclaration => ("paid without a monthly declaration", "versement sans actualisation mensuelle"),
        Cause::ProcessingError => (
            "paid more (or less) than the declaration justified",
            "montant versé différent de celui que justifiait votre déclaration",
        ),
        Cause::OutsideEntitlement => (
            "paid for days that were not payable (sick leave, closed right, exhausted capital, end of job search)",
            "versement pour des jours non indemnisables (arrêt maladie, droit clos, capital épuisé, fin de recherche d'emploi)",
        ),
        Cause::RateError => ("paid at a wrong daily rate", "versement à un taux journalier erroné"),
        Cause::UndeclaredActivity => (
            "work not declared, shown by the employer's payslip",
            "activité non déclarée, attestée par l'employeur",
        ),
        Cause::UnderdeclaredEarnings => (
            "earnings declared lower than the employer's payslip",
            "rémunération déclarée inférieure à celle attestée par l'employeur",
        ),
        Cause::OverdeclaredEarnings => (
            "earnings declared higher than the employer's payslip: owed to the seeker",
            "rémunération déclarée supérieure à celle attestée par l'employeur : somme qui vous est due",
        ),
    };
    if lang == Lang::En {
        en
    } else {
        fr
    }
}

/// A status as the reader says it (exhaustive: a new status must be worded here).
fn status_word(lang: Lang, status: Status) -> &'static str {
    match (lang, status) {
        (Lang::En, s) => s.as_str(),
        (Lang::Fr, Status::Claim) => "réclamé",
        (Lang::Fr, Status::Review) => "en examen",
        (Lang::Fr, Status::Owed) => "dû au demandeur",
        (Lang::Fr, Status::Offset) => "compensé",
        (Lang::Fr, Status::TimeBarred) => "prescrit",
        (Lang::Fr, Status::WrittenOff) => "admis en non-valeur",
        (Lang::Fr, Status::Contested) => "contesté (recours accepté)",
    }
}

fn legal_basis(lang: Lang, cause: Cause) -> &'static str {
    let (en, fr) = match cause {
        Cause::DuplicatePayment | Cause::ProcessingError | Cause::RateError => (
            "règlement d'assurance chômage, art. 14 (daily allowance); Code du travail L.5422-5 (recovery)",
            "règlement d'assurance chômage, art. 14 (allocation journalière) ; Code du travail, art. L.5422-5 (répétition de l'indu)",
        ),
        Cause::OutsideEntitlement | Cause::NoActiveRight | Cause::NoDeclaration => (
            "règlement d'assurance chômage (payable days, end of right, monthly declaration); Code du travail L.5422-5",
            "règlement d'assurance chômage (jours indemnisables, fin de droit, actualisation) ; Code du travail, art. L.5422-5",
        ),
        Cause::UndeclaredActivity | Cause::UnderdeclaredEarnings | Cause::OverdeclaredEarnings => (
            "règlement d'assurance chômage, art. 30 to 32 (allowance and pay cumulated); Code du travail L.5422-5",
            "règlement d'assurance chômage, art. 30 à 32 (cumul de l'allocation et d'une rémunération) ; Code du travail, art. L.5422-5",
        ),
    };
    if lang == Lang::En {
        en
    } else {
        fr
    }
}

fn status_text(lang: Lang, reason: &str) -> &'static str {
    let (en, fr) = match reason {
        "ambiguous" => (
            "review: the month's records are ambiguous; nothing is recovered until a person has looked",
            "examen : les pièces du mois sont ambiguës ; rien n'est recouvré avant l'examen d'un agent",
        ),
        "held_by_reject" => (
            "review: a record of this seeker-month could not be read; nothing is recovered until a person has looked",
            "examen : une pièce de ce mois n'a pu être lue ; rien n'est recouvré avant l'examen d'un agent",
        ),
        "underpayment" => {
            ("owed: an underpayment, money owed to the seeker", "dû : un moins-perçu, somme qui vous est due")
        }
        "offset_in_month" => (
            "offset: compensated inside the month by what the seeker is owed, nothing to recover",
            "compensé : compensé dans le mois par ce qui vous est dû, rien à rembourser",
        ),
        "prescribed" => (
            "time-barred: the prescription date is past (Code du travail L.5422-5)",
            "prescrit : le délai de prescription est écoulé (Code du travail, art. L.5422-5)",
        ),
        "no_declaration" => (
            "review: a payment with no declaration behind it is looked at, not claimed",
            "examen : un versement sans déclaration est examiné, non réclamé",
        ),
        "overpayment" => {
            ("claim: an overpayment, with its evidence", "réclamé : un trop-perçu, avec ses pièces justificatives")
        }
        "contested" => (
            "contested: an agent upheld the seeker's contest of this amount; it is not claimed",
            "contesté : votre recours a été accepté pour ce montant ; il ne vous est pas réclamé",
        ),
        "raised_after_upheld" => (
            "review: an agent upheld the seeker's contest, but the amount has grown since; a person looks again",
            "examen : votre recours avait été accepté, mais le montant a augmenté depuis ; un agent réexamine",
        ),
        _ => (
            "written off: the net is below the write-off threshold",
            "admis en non-valeur : montant sous le seuil de recouvrement",
        ),
    };
    if lang == Lang::En {
        en
    } else {
        fr
    }
}

fn change_text(lang: Lang, change: &str) -> &'static str {
    match (change, lang) {
        ("new", Lang::En) => "new since the previous night",
        ("new", Lang::Fr) => "nouveau depuis la nuit précédente",
        ("unchanged", Lang::En) => "unchanged (same amount and status)",
        ("unchanged", Lang::Fr) => "inchangé (même montant, même suite)",
        ("revised", Lang::En) => "revised",
        ("revised", Lang::Fr) => "révisé",
        (_, Lang::En) => "withdrawn: no longer a finding",
        (_, Lang::Fr) => "retiré : ce n'est plus un constat",
    }
}

/// The notice's action tonight, with what it means for the seeker.
fn action_text(lang: Lang, n: &super::NoticeUse) -> String {
    let prev = n.previous_net.as_deref().unwrap_or("");
    let prev_formal = n.previous_formal_notice_on.as_deref().unwrap_or("");
    match (n.action, lang) {
        ("first", Lang::En) => "action first: the first notice of this debt, sent tonight".into(),
        ("first", Lang::Fr) => "action : première notification de cette dette, envoyée ce soir".into(),
        ("held", Lang::En) => format!(
            "action held: a month of the notice (net {prev}) is in review; no message, the formal notice of {prev_formal} is suspended"
        ),
        ("held", Lang::Fr) => format!(
            "action : suspendue ; un mois de la notification (solde {prev}) est en examen ; aucun message, la mise en demeure du {prev_formal} est suspendue"
        ),
        ("withdrawn", Lang::En) => format!(
            "action withdrawn: the notice of {prev} is withdrawn tonight and any formal notice ({prev_formal}) cancelled"
        ),
        ("withdrawn", Lang::Fr) => format!(
            "action : retrait ; la notification de {prev} est retirée ce soir et toute mise en demeure ({prev_formal}) annulée"
        ),
        ("unchanged", Lang::En) => "action unchanged: same net as the previous night, nothing is sent again".into(),
        ("unchanged", Lang::Fr) => "action : inchangée ; même solde que la nuit précédente, rien n'est renvoyé".into(),
        ("resumed", Lang::En) => "action resumed: the review confirmed the held notice; sent tonight with a fresh delay".into(),
        ("resumed", Lang::Fr) => "action : reprise ; l'examen a confirmé la notification suspendue, envoyée ce soir avec un nouveau délai".into(),
        ("increased", Lang::En) => format!("action increased: the debt grew from {prev}; a new notice with a fresh delay"),
        ("increased", Lang::Fr) => format!("action : hausse ; la dette augmente (elle était de {prev}) ; nouvelle notification, nouveau délai"),
        (_, Lang::En) => format!("action decreased: the debt fell from {prev}; a correction, the formal-notice date kept"),
        (_, Lang::Fr) => format!("action : baisse ; la dette était de {prev} ; rectification, la date de mise en demeure est maintenue"),
    }
}

fn month_name(lang: Lang, month: &str) -> String {
    const FR: [&str; 12] = [
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
    ];
    const EN: [&str; 12] = [
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
    ];
    let (y, m) = month.split_at(4);
    let i: usize = m.trim_start_matches('-').parse().unwrap_or(1);
    let name = if lang == Lang::Fr { FR[i - 1] } else { EN[i - 1] };
    format!("{name} {y}")
}

/// Renders the explanation as text.
pub fn render(x: &Explanation, lang: Lang) -> String {
    let mut w = W { lang, out: String::new() };
    let claimed: Vec<_> = x.findings.iter().filter(|f| f.status == Status::Claim).collect();
    if lang == Lang::Fr {
        w.line("France Travail — notification motivée de trop-perçu d'allocation d'aide au retour à l'emploi (ARE)");
        w.line(format!("Demandeur d'emploi : {}    Agence : {}", x.seeker_id, x.agency_id));
        w.line(format!("Période : {} ; situation examinée au {}", month_name(lang, &x.month), x.as_of));
        if claimed.is_empty() {
            w.line("Aucune somme ne vous est réclamée pour ce mois.");
        }
        for f in &claimed {
            w.line(format!("Montant réclamé : {} — motif : {}.", w.eur(&f.amount), cause_text(lang, f.cause)));
            w.line(format!("Fondement : {}.", legal_basis(lang, f.cause)));
        }
        for f in x.findings.iter().filter(|f| f.status == Status::Owed) {
            w.line(format!(
                "Somme qui vous est due : {} — motif : {}.",
                w.eur(&f.amount.replace('-', "")),
                cause_text(lang, f.cause)
            ));
        }
        w.line("Le calcul détaillé figure ci-dessous ; chaque montant peut être vérifié à partir des pièces citées.");
    } else {
        w.line(format!("Explanation of {} for seeker {} (agency {})", x.month, x.seeker_id, x.agency_id));
        w.line(format!("As of {}; rule set {} (sha256 {}).", x.as_of, x.rule_set, x.rule_set_sha256));
    }

    // 1. Records.
    w.heading(1, "Records used", "Pièces utilisées");
    for r in &x.records {
        let fields: Vec<String> =
            r.fields.iter().map(|(k, v)| format!("{k}={}", if v.is_empty() { "-" } else { v })).collect();
        let role = match (&r.duplicate_of, w.vocabulary().role(r.role)) {
            (Some(of), role) => format!("{role} {of}"),
            (None, role) => role.to_string(),
        };
        let kind = w.vocabulary().kind(r.kind);
        w.line(format!("  {kind} {} ({} {} {}): {role}", r.id, r.file, w.t("line", "ligne"), r.line));
        w.line(format!("      {}", fields.join(", ")));
    }
    for r in &x.rejects {
        w.line(format!(
            "  {} {} {} {} [{}] {}: {}",
            w.t("REJECTED", "REJETÉE"),
            r.file,
            w.t("line", "ligne"),
            r.line,
            r.record_id,
            r.code,
            r.message
        ));
    }
    for a in &x.ambiguities {
        w.line(format!("  {}: {a}", w.t("AMBIGUOUS", "AMBIGU")));
    }

    // 2. Parameters.
    w.heading(2, "Parameters in force", "Paramètres en vigueur");
    for p in &x.parameters {
        w.line(format!(
            "  {} = {} ({} {}) — {}",
            p.name,
            w.num(&p.value),
            w.t("since", "depuis le"),
            p.in_force_from,
            p.reference
        ));
    }

    // 3. Daily allowance.
    w.heading(3, "Daily allowance (AJ, art. 14)", "Allocation journalière (AJ, art. 14)");
    match (&x.allowance, x.situation) {
        (_, "no_active_right") => {
            w.line(w.t(
                "  No right of the seeker covers any day of the month: nothing is due.",
                "  Aucun de vos droits ne couvre un jour du mois : rien n'est dû.",
            ));
        }
        (Some(a), _) => {
            w.line(format!(
                "  {} × {} + {} = {}",
                w.num(&a.sjr_rate_with_fixed),
                w.num(&a.sjr),
                w.num(&a.fixed_part),
                w.num(&a.with_fixed_part)
            ));
            w.line(format!("  {} × {} = {}", w.num(&a.sjr_rate_alone), w.num(&a.sjr), w.num(&a.rate_alone)));
            w.line(format!("  {} {}", w.t("minimum", "minimum"), w.num(&a.minimum)));
            w.line(format!(
                "  {} {} × {} = {}{}",
                w.t("cap", "plafond"),
                w.num(&a.max_sjr_rate),
                w.num(&a.sjr),
                w.num(&a.cap),
                if a.capped {
                    w.t(
                        " (applied: the cap wins over the minimum)",
                        " (appliqué : le plafond l'emporte sur le minimum)",
                    )
                } else {
                    ""
                }
            ));
            w.line(format!(
                "  AJ = {} ({})",
                w.eur(&a.aj),
                w.t("highest, capped, rounded to the cent", "le plus élevé, plafonné, arrondi au centime")
            ));
        }
        _ => {}
    }
    if let Some(d) = &x.degressivity {
        if d.applies {
            w.line(format!(
                "  {} {} ({} {} < {} {}); {} {} × AJ, {} {}: {}",
                w.t("Degressivity (art. 17 bis) from day", "Dégressivité (art. 17 bis) à partir du jour"),
                d.from_day.unwrap_or_default(),
                w.t("age", "âge"),
                d.age_at_contract_end,
                d.max_age.unwrap_or_default(),
                w.t("at contract end", "à la fin du contrat"),
                w.t("rate", "taux"),
                w.num(d.coefficient.as_deref().unwrap_or("")),
                w.t("floor", "plancher"),
                w.num(d.floor.as_deref().unwrap_or("")),
                w.eur(d.rate.as_deref().unwrap_or(""))
            ));
            w.line(format!(
                "  {} {}; {} {}",
                w.t("days consumed before the month:", "jours consommés avant le mois :"),
                d.days_before,
                w.t("days left at the full rate this month:", "jours restant au taux plein ce mois :"),
                d.full_rate_days_left.unwrap_or_default()
            ));
        } else {
            let why = if !d.in_force {
                w.t("not in force for the month", "non en vigueur pour ce mois")
            } else {
                w.t("the seeker was at or above the age limit at the contract's end", "âge atteint à la fin du contrat")
            };
            w.line(format!("  {} {why}", w.t("Degressivity (art. 17 bis):", "Dégressivité (art. 17 bis) :")));
        }
    }

    // 4. Window, sick days and capital.
    w.heading(4, "Payable days", "Jours indemnisables");
    if let Some(win) = &x.window {
        let end = match win.end_reason {
            "closed_on" => w.t("the right's closing date", "date de clôture du droit"),
            "search_ended" => w.t("the day before the end of job search", "veille de la fin de recherche d'emploi"),
            _ => w.t("the end of the month", "fin du mois"),
        };
        let start = if win.starts_at_payable_from {
            w.t("the first payable day", "premier jour indemnisable")
        } else {
            w.t("the first of the month", "premier jour du mois")
        };
        w.line(format!("  {} → {} ({start} → {end}): W = {}", win.start, win.end, win.w));
        w.line(format!(
            "  {} {}: W' = max({} − {}, 0) = {}",
            w.t("sick days", "jours d'arrêt maladie"),
            win.sick_days,
            win.w,
            win.sick_days,
            win.w_prime
        ));
        w.line(format!(
            "  {}: {} − {} = {}",
            w.t("capital left", "capital restant"),
            win.entitlement_days,
            win.days_before,
            win.capital_left
        ));
    } else {
        w.line(w.t("  Not computed (see above).", "  Non calculé (voir ci-dessus)."));
    }

    // 5. Earnings.
    w.heading(5, "Earnings (art. 30–33)", "Rémunérations (art. 30 à 33)");
    let e = &x.earnings;
    w.line(format!(
        "  {}: {}; {}: {}{}",
        w.t("declared", "déclarées"),
        e.declared.as_deref().map(|v| w.eur(v)).unwrap_or_else(|| "-".into()),
        w.t("attested by employers", "attestées par les employeurs"),
        e.attested
            .as_deref()
            .map(|v| w.eur(v))
            .unwrap_or_else(|| w.t("no payslip yet", "pas encore d'attestation").into()),
        if e.payslips.is_empty() { String::new() } else { format!(" ({})", e.payslips.join(", ")) }
    ));
    if !e.conserved_payslips.is_empty() {
        w.line(format!(
            "  {}: {}",
            w.t("conserved activity, cumulated in full", "activité conservée, cumulée intégralement"),
            e.conserved_payslips.join(", ")
        ));
    }
    w.line(format!("  {}: {}", w.t("basis", "base"), w.vocabulary().basis(e.basis)));

    // 6. Paid.
    w.heading(6, "What was paid (ledger)", "Ce qui a été versé");
    for r in &x.paid.rows {
        w.line(format!(
            "  {} {} {} × {} = {} {} {}{}",
            r.payment_id,
            w.vocabulary().payment_kind(r.kind),
            r.days,
            w.num(&r.daily_rate),
            w.eur(&r.amount),
            w.t("paid on", "versé le"),
            r.paid_on,
            r.duplicate_of
                .as_ref()
                .map(|o| format!(" — {} {o}", w.t("duplicate of", "doublon de")))
                .unwrap_or_default()
        ));
    }
    w.line(format!(
        "  P = F0 = {}; {} {}; F1 = {}",
        w.eur(&x.paid.total),
        w.t("duplicates", "doublons"),
        w.eur(&x.paid.duplicates),
        w.eur(&x.paid.f1)
    ));
    if let (Some(r), Some(ok)) = (&x.paid.paid_rate, x.paid.paid_rate_correct) {
        let from = x.paid.paid_rate_from.clone().unwrap_or_else(|| w.t("no advance: AJ", "aucune avance : AJ").into());
        let verdict = if ok {
            w.t("a correct rate", "un taux exact")
        } else {
            w.t("a wrong rate, used for F2 and F3", "un taux erroné, utilisé pour F2 et F3")
        };
        w.line(format!("  {} r = {} ({from}): {verdict}", w.t("paid rate", "taux versé"), w.num(r)));
    }

    // 7. Waterfall.
    w.heading(7, "Due and the waterfall (rules §3, §5)", "Montant dû et décomposition de l'écart");
    for s in &x.steps {
        step_lines(&mut w, s);
    }
    w.line(format!(
        "  F0 {} · F1 {} · F2 {} · F3 {} · F4 {} · F5 = {} {} · delta = P − Due = {}",
        w.num(&x.waterfall["f0"]),
        w.num(&x.waterfall["f1"]),
        w.num(&x.waterfall["f2"]),
        w.num(&x.waterfall["f3"]),
        w.num(&x.waterfall["f4"]),
        w.t("Due", "dû"),
        w.num(&x.waterfall["f5"]),
        w.num(&x.waterfall["delta"])
    ));
    for c in &x.causes {
        w.line(format!("  {} = {} = {}", c.cause, c.formula, w.eur(&c.amount)));
    }

    // 8. Findings.
    w.heading(8, "Findings and status (§6)", "Constats et suites (§6)");
    if x.findings.is_empty() {
        w.line(w.t(
            "  No difference of a cent or more: no finding.",
            "  Aucun écart d'un centime ou plus : aucun constat.",
        ));
    }
    for f in &x.findings {
        w.line(format!("  {} {} {} — {}", f.finding_id, f.cause, w.eur(&f.amount), cause_text(lang, f.cause)));
        w.line(format!("      {}", status_text(lang, f.reason)));
        if let (Some(on), Some(years)) = (&f.time_barred_on, f.prescription_years) {
            w.line(format!(
                "      {} {on} ({years} {})",
                w.t("prescription:", "prescription :"),
                w.t(
                    "years after the month's first payment, Code du travail L.5422-5",
                    "ans après le premier versement du mois, Code du travail, art. L.5422-5"
                )
            ));
        }
        w.line(format!("      {} {}", w.t("evidence:", "pièces :"), f.evidence));
        if let Some(d) = &f.decision {
            let verdict = match (d.decision, lang) {
                ("upheld", Lang::En) => "upheld (the seeker was right)",
                ("upheld", Lang::Fr) => "recours accepté",
                (_, Lang::En) => "rejected (the claim stands)",
                (_, Lang::Fr) => "recours rejeté (la somme reste due)",
            };
            let effect = match (d.effect, lang) {
                ("contested", Lang::En) => {
                    format!("{} ≤ {}: contested, not claimed", w.eur(&f.amount), w.eur(&d.amount))
                }
                ("contested", Lang::Fr) => {
                    format!("{} ≤ {} : contesté, non réclamé", w.eur(&f.amount), w.eur(&d.amount))
                }
                ("review", Lang::En) => {
                    format!("{} > {}: grown since the decision, back to review", w.eur(&f.amount), w.eur(&d.amount))
                }
                ("review", Lang::Fr) => {
                    format!("{} > {} : augmenté depuis la décision, en examen", w.eur(&f.amount), w.eur(&d.amount))
                }
                (_, Lang::En) => "no change of status".to_string(),
                (_, Lang::Fr) => "sans effet sur la suite donnée".to_string(),
            };
            w.line(format!(
                "      {} {} ({} {}) {} {} {}, {} {}: {effect}",
                w.t("decision", "décision"),
                d.decision_id,
                d.file,
                w.t(&format!("line {}", d.line), &format!("ligne {}", d.line)),
                verdict,
                w.t("on", "le"),
                d.decided_on,
                w.t("amount examined", "montant examiné"),
                w.eur(&d.amount),
            ));
        }
    }

    // 9. Notice.
    w.heading(9, "Notice", "Notification et recouvrement");
    match &x.notice {
        Some(n) => {
            let channel = match (n.channel, lang) {
                ("phone", Lang::En) => "a phone call (net at or above the SMS limit)",
                ("phone", Lang::Fr) => "un appel téléphonique (montant net d'au moins le seuil SMS)",
                (_, Lang::En) => "an SMS (net under the SMS limit)",
                (_, Lang::Fr) => "un SMS (montant net sous le seuil SMS)",
            };
            w.line(format!(
                "  {} {} ({} {}): {channel}, {} {}",
                w.t("Net over the run:", "Solde net :"),
                w.eur(&n.net),
                w.t("SMS limit", "seuil SMS"),
                w.eur(&n.sms_max),
                w.t("notified on", "notifié le"),
                n.notified_on
            ));
            if n.formal_notice_on.is_empty() {
                w.line(w.t(
                    "  No formal notice (mise en demeure) runs tonight.",
                    "  Aucune mise en demeure ne court à ce jour.",
                ));
            } else {
                w.line(format!(
                    "  {} {} ({} {}, Code du travail R.5426-20)",
                    w.t(
                        "Without repayment, formal notice (mise en demeure) on",
                        "Sans remboursement, mise en demeure le"
                    ),
                    n.formal_notice_on,
                    n.formal_notice_after_days,
                    w.t("days after the notice", "jours après la notification"),
                ));
            }
            w.line(format!("  {} {}", w.t("findings counted:", "constats comptés :"), n.finding_ids));
            if x.previous_run.is_some() {
                w.line(format!("  {}", action_text(lang, n)));
            }
        }
        None => w.line(w.t(
            "  No notice: the seeker's net (claims, owed and offset) is not positive.",
            "  Pas de notification : votre solde net (sommes réclamées, dues et compensées) n'est pas positif.",
        )),
    }
    if let Some(prev) = &x.previous_run {
        w.heading(10, "Since the previous night", "Depuis la nuit précédente");
        w.line(format!("  {} {prev}", w.t("compared with the run", "comparé au traitement")));
        if x.changes.is_empty() {
            w.line(w.t(
                "  No finding of this month, then or now.",
                "  Aucun constat pour ce mois, ni avant ni maintenant.",
            ));
        }
        for c in &x.changes {
            let before = c
                .previous_amount
                .as_ref()
                .map(|a| format!("{} ({})", w.eur(a), c.previous_status.map_or("", |st| status_word(lang, st))));
            let now = c
                .amount
                .as_ref()
                .map(|a| format!("{} ({})", w.eur(a), c.status.map_or("", |st| status_word(lang, st))));
            let none = w.t("none", "aucun").to_string();
            w.line(format!(
                "  {} {}: {} → {}",
                c.cause,
                change_text(lang, c.change),
                before.unwrap_or_else(|| none.clone()),
                now.unwrap_or(none)
            ));
            if !c.evidence_added.is_empty() {
                w.line(format!("      {} {}", w.t("evidence added:", "pièces ajoutées :"), c.evidence_added));
            }
            if !c.evidence_removed.is_empty() {
                w.line(format!("      {} {}", w.t("evidence removed:", "pièces retirées :"), c.evidence_removed));
            }
        }
    }
    if lang == Lang::Fr {
        w.line("");
        w.line(
            "Voies et délais de recours : vous pouvez contester cette décision dans un délai de deux mois à compter",
        );
        w.line("de sa notification, par un recours préalable auprès de votre agence France Travail, puis devant le");
        w.line(
            "tribunal judiciaire. Vous pouvez aussi demander une remise de dette ou un échéancier de remboursement.",
        );
    }
    w.out
}

fn step_lines(w: &mut W, s: &StepUse) {
    let window = if s.window == "month" {
        w.t("month window, no sick days, no capital", "fenêtre du mois, sans arrêt maladie ni capital")
    } else {
        w.t("payable window", "fenêtre indemnisable")
    };
    w.line(format!(
        "  {} = due(rate {}, E {}, {} {} ; {window})",
        s.step,
        w.num(&s.rate),
        w.num(&s.earnings),
        s.payable_days,
        w.t("days", "jours")
    ));
    let mut l = format!(
        "      A = {} × {} − {} × {} = {}",
        w.num(&s.rate),
        s.payable_days,
        w.num(&s.earnings_retained_rate),
        w.num(&s.earnings),
        w.num(&s.a)
    );
    if s.a.starts_with('-') || s.a == "0.000" {
        let _ = write!(l, " ≤ 0 → 0 {}", w.t("days", "jours"));
    } else {
        let _ = write!(
            l,
            "; A / {} = {} → {} {}",
            w.num(&s.rate),
            w.num(&s.quotient),
            s.days_after_cumul,
            w.t("days", "jours")
        );
    }
    w.line(l);
    // The ceiling test is shown for every step, applied or not (rules.md §3 step 6).
    let test = format!(
        "{} + {} × {} = {}",
        w.num(&s.earnings),
        s.days_after_cumul,
        w.num(&s.rate),
        w.num(&s.earnings_plus_allowance)
    );
    let ceiling = format!("SJR {} × {} = {}", w.num(&s.sjr), w.num(&s.ceiling_days_factor), w.num(&s.ceiling));
    if s.ceiling_applied {
        w.line(format!(
            "      {} {test} > {ceiling} → {} {}",
            w.t("ceiling:", "plafond :"),
            s.days_after_ceiling,
            w.t("days", "jours")
        ));
    } else {
        w.line(format!(
            "      {} {test} ≤ {ceiling}: {}",
            w.t("ceiling:", "plafond :"),
            w.t("not reached", "non atteint")
        ));
    }
    if s.capital_applied {
        w.line(format!(
            "      {} {} {} → {} {}",
            w.t("capital:", "capital :"),
            s.capital_left.unwrap_or_default(),
            w.t("days left", "jours restants"),
            s.days,
            w.t("days", "jours")
        ));
    }
    let priced = match &s.reduced_rate {
        Some(r) if s.reduced_days > 0 => format!(
            "{} × {} + {} × {} = {}",
            s.full_rate_days,
            w.num(&s.full_rate),
            s.reduced_days,
            w.num(r),
            w.eur(&s.amount)
        ),
        _ => format!("{} × {} = {}", s.days, w.num(&s.full_rate), w.eur(&s.amount)),
    };
    w.line(format!("      {} {priced}", w.t("priced:", "montant :")));
}
