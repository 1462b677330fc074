//! The output rows of a settled seeker (data.md, Outputs): findings with
//! their ids and evidence, entitlements with their figures, the notice row;
//! and the agencies' totals over the rows, with the checks that every
//! figure and sum fits what the outputs hold.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use super::manifest::{Total, Totals};
use super::{AgencyRow, EntitlementRow, FindingRow, Fixed, NoticeRow};
use crate::error::{Error, Result};
use crate::model::{Decision, Month};
use crate::reconcile::{Entitlement, MonthOutcome, SeekerRecords};
use crate::run::Rows;
use crate::status::{Action, Notice};
use crate::util::hex;

/// 16 hex digits of SHA-256(`seeker|month|cause|rule_set`) (data.md).
pub fn finding_id(seeker: &str, month: Month, cause: &str, rule_set: &str) -> String {
    let h = Sha256::digest(format!("{seeker}|{month}|{cause}|{rule_set}").as_bytes());
    hex(&h[..8])
}

/// One seeker's output rows from its settled months and notice (rules.md
/// §6), appended to the run's (a vector a seeker cost an allocation and a
/// copy of its rows: 9 % of the reconciling pass).
pub(crate) fn seeker_rows(
    months: &[MonthOutcome],
    notice: Option<Notice>,
    recs: &SeekerRecords,
    decisions: &[Decision],
    rules_label: &str,
    findings: &mut Vec<FindingRow>,
    mut entitlements: Option<&mut Vec<EntitlementRow>>,
) -> Result<Option<NoticeRow>> {
    let seeker = recs.seeker_id;
    for m in months {
        // Most months have no finding: their evidence is never written.
        let evidence = if m.findings.is_empty() { String::new() } else { m.evidence(recs) };
        for f in &m.findings {
            figure(seeker, m.month, f.cause.as_str(), f.amount, 2)?;
            // The decision that counts for the key is evidence too (nights.md §8.2).
            let evidence = match f.decision {
                Some(i) => format!("{evidence} dec:{}", decisions[i].decision_id),
                None => evidence.clone(),
            };
            findings.push(FindingRow {
                finding_id: finding_id(seeker, m.month, f.cause.as_str(), rules_label),
                seeker_id: seeker.into(),
                agency_id: m.agency_id.clone().unwrap_or_default(),
                right_id: m.right_id.clone().unwrap_or_default(),
                month: m.month,
                cause: f.cause,
                amount: f.amount,
                status: f.status,
                basis: m.basis.as_str(),
                time_barred_on: f.time_barred_on,
                evidence,
                rule_set: rules_label.to_string(),
            });
        }
        // Built even when not kept: a figure no output can hold fails the
        // night as it fails a complete run.
        let row = entitlement_row(seeker, m, recs)?;
        if let Some(rows) = entitlements.as_deref_mut() {
            rows.push(row);
        }
    }
    let notice = notice.map(|n| NoticeRow {
        seeker_id: seeker.into(),
        agency_id: n.agency_id.unwrap_or_default(),
        net: n.net,
        channel: n.channel,
        notified_on: n.notified_on,
        formal_notice_on: Some(n.formal_notice_on),
        finding_ids: n
            .findings
            .iter()
            .map(|(m, c)| finding_id(seeker, *m, c.as_str(), rules_label))
            .collect::<Vec<_>>()
            .join(" "),
        // Tonight's net alone; `nights::compare` sets the action against the previous night.
        action: Action::First,
        previous_net: None,
        previous_formal_notice_on: None,
    });
    Ok(notice)
}

/// A figure as the outputs write it, or the error that stops a run whose
/// figure no output can hold.
fn figure(seeker: &str, month: Month, name: &'static str, d: Decimal, places: u32) -> Result<Fixed> {
    Fixed::new(d, places).ok_or_else(|| out_of_range(seeker, month, name, d))
}

/// [`figure`]'s error, out of line: built inline, its strings made every
/// one of a row's 20 figures set up a frame for a path no figure takes.
#[cold]
#[inline(never)]
fn out_of_range(seeker: &str, month: Month, name: &'static str, d: Decimal) -> Error {
    Error::FigureOutOfRange { seeker: seeker.to_string(), month: month.to_string(), figure: name, value: d.to_string() }
}

/// A reconciled month's row of entitlements.csv; fails on a figure the
/// outputs cannot hold (10^16 € or more).
pub(crate) fn entitlement_row(seeker: &str, m: &MonthOutcome, recs: &SeekerRecords) -> Result<EntitlementRow> {
    let fixed = |name: &'static str, d: Option<Decimal>, places: u32| -> Result<Fixed> {
        d.map_or(Ok(Fixed::EMPTY), |d| figure(seeker, m.month, name, d, places))
    };
    let money = |name: &'static str, d: Option<Decimal>| fixed(name, d, 2);
    let e_attested = m.computation().map_or_else(
        || {
            let att: Vec<Decimal> =
                m.payslips.iter().map(|&i| &recs.payslips[i]).filter(|s| !s.conserved).map(|s| s.gross_pay).collect();
            (!att.is_empty()).then(|| att.iter().sum())
        },
        |c| c.e_attested,
    );
    let mut row = EntitlementRow {
        seeker_id: seeker.into(),
        agency_id: m.agency_id.clone().unwrap_or_default(),
        right_id: m.right_id.clone().unwrap_or_default(),
        month: m.month,
        basis: m.basis.as_str(),
        e_attested: money("e_attested", e_attested)?,
        due: money("due", Some(m.f5))?,
        paid: money("paid", Some(m.paid))?,
        duplicates: money("duplicates", Some(m.duplicates))?,
        f: [
            money("f0", Some(m.paid))?,
            money("f1", Some(m.f1))?,
            money("f2", Some(m.f2))?,
            money("f3", Some(m.f3))?,
            money("f4", Some(m.f4))?,
            money("f5", Some(m.f5))?,
        ],
        delta: money("delta", Some(m.delta))?,
        ambiguous: m.ambiguous(),
        held: m.held,
        aj: Fixed::EMPTY,
        degressive_rate: Fixed::EMPTY,
        paid_rate: Fixed::EMPTY,
        w: None,
        w_prime: None,
        e_declared: Fixed::EMPTY,
        a: Fixed::EMPTY,
        days_due: None,
        ceiling_applied: None,
    };
    match &m.entitlement {
        Entitlement::NoActiveRight => {}
        Entitlement::NoDeclaration { allowance, .. } => row.aj = money("aj", Some(allowance.aj))?,
        Entitlement::Computed(c) => {
            row.aj = money("aj", Some(c.allowance.aj))?;
            row.degressive_rate = money("degressive_rate", c.degressive_rate)?;
            row.paid_rate = money("paid_rate", Some(c.paid_rate))?;
            row.w = Some(c.window.days);
            row.w_prime = Some(c.payable_days);
            row.e_declared = money("e_declared", Some(c.e_declared))?;
            row.a = fixed("a", Some(c.f5.a), 3)?;
            row.days_due = Some(c.f5.days);
            row.ceiling_applied = Some(c.f5.ceiling_applied);
        }
    }
    Ok(row)
}

/// Totals by agency (rules.md §6, nights.md §8.4) of a run's findings and
/// notices: sums by status, the messages sent tonight by channel, and the
/// notices by action (findings and notices without an agency are in no
/// row); every sum of them, and the manifest's totals by cause and status
/// and each notice's net, checked to fit the outputs. One pass over the rows.
pub(crate) fn agencies(rows: &Rows) -> Result<Vec<AgencyRow>> {
    let tally = Tally::of(rows.findings.iter(), rows.notices.iter());
    let agencies = tally.agencies()?;
    tally.check()?;
    Ok(agencies)
}

/// What the manifest's totals and agencies.csv sum over a run's findings
/// and notices, taken as the rows come: all at once by a run, a seeker
/// range at a time by a `--memory-limit` run, which never holds them all.
#[derive(Default)]
pub(crate) struct Tally {
    findings: u64,
    notices: u64,
    by_cause: BTreeMap<&'static str, (u64, Decimal)>,
    by_status: BTreeMap<&'static str, (u64, Decimal)>,
    by_channel: BTreeMap<&'static str, (u64, Decimal)>,
    by_action: BTreeMap<&'static str, (u64, Decimal)>,
    agencies: BTreeMap<String, AgencyRow>,
    /// The first notice, in output order, whose net the outputs cannot hold.
    net_out_of_range: Option<(String, Decimal)>,
}

fn add(map: &mut BTreeMap<&'static str, (u64, Decimal)>, key: &'static str, amount: Decimal) {
    let e = map.entry(key).or_default();
    e.0 += 1;
    e.1 += amount;
}

impl Tally {
    pub(crate) fn of<'a>(
        findings: impl Iterator<Item = &'a FindingRow>,
        notices: impl Iterator<Item = &'a NoticeRow>,
    ) -> Tally {
        let mut t = Tally::default();
        t.add_findings(findings);
        t.add_notices(notices);
        t
    }

    pub(crate) fn add_findings<'a>(&mut self, findings: impl Iterator<Item = &'a FindingRow>) {
        for f in findings {
            self.findings += 1;
            add(&mut self.by_cause, f.cause.as_str(), f.amount);
            add(&mut self.by_status, f.status.as_str(), f.amount);
            if !f.agency_id.is_empty() {
                self.agency(&f.agency_id).add_finding(f.status, f.amount);
            }
        }
    }

    pub(crate) fn add_notices<'a>(&mut self, notices: impl Iterator<Item = &'a NoticeRow>) {
        for n in notices {
            self.notices += 1;
            add(&mut self.by_channel, n.channel.as_str(), n.net);
            add(&mut self.by_action, n.action.as_str(), n.net);
            if !n.agency_id.is_empty() {
                self.agency(&n.agency_id).add_notice(n.action, n.channel);
            }
            if self.net_out_of_range.is_none() && Fixed::new(n.net, 2).is_none() {
                self.net_out_of_range = Some((n.seeker_id.to_string(), n.net));
            }
        }
    }

    fn agency(&mut self, id: &str) -> &mut AgencyRow {
        if !self.agencies.contains_key(id) {
            self.agencies.insert(id.to_string(), AgencyRow { agency_id: id.to_string(), ..Default::default() });
        }
        self.agencies.get_mut(id).expect("just inserted")
    }

    /// agencies.csv's rows, every sum checked to fit the outputs.
    pub(crate) fn agencies(&self) -> Result<Vec<AgencyRow>> {
        self.agencies
            .iter()
            .map(|(id, a)| {
                for (name, sum) in a.sums() {
                    check_sum(&format!("agencies.csv, agency {id}, {name}"), sum)?;
                }
                Ok(a.clone())
            })
            .collect()
    }

    /// The manifest's totals by cause and by status, and every notice's net, fit the outputs.
    pub(crate) fn check(&self) -> Result<()> {
        for (k, (_, v)) in &self.by_cause {
            check_sum(&format!("manifest.json, total of cause {k}"), *v)?;
        }
        for (k, (_, v)) in &self.by_status {
            check_sum(&format!("manifest.json, total of status {k}"), *v)?;
        }
        match &self.net_out_of_range {
            Some((seeker, net)) => check_sum(&format!("notices.csv, the net of seeker {seeker}"), *net),
            None => Ok(()),
        }
    }

    /// The manifest's totals: counts, and sums by cause, status, channel and action.
    pub(crate) fn totals(&self, seeker_months: u64, rejects: u64) -> Totals {
        let to_totals = |m: &BTreeMap<&'static str, (u64, Decimal)>| {
            m.iter().map(|(k, (n, a))| (k.to_string(), Total { findings: *n, amount: super::money(*a) })).collect()
        };
        Totals {
            seeker_months,
            findings: self.findings,
            notices: self.notices,
            rejects,
            by_cause: to_totals(&self.by_cause),
            by_status: to_totals(&self.by_status),
            notices_by_channel: to_totals(&self.by_channel),
            notices_by_action: to_totals(&self.by_action),
        }
    }
}

/// A sum the outputs hold (an agency's, a total of the manifest) must fit
/// their Decimal(18, 2) like every figure: otherwise the run stops, naming
/// it, rather than write a figure `indus report` cannot read back.
fn check_sum(what: &str, sum: Decimal) -> Result<()> {
    match Fixed::new(sum, 2) {
        Some(_) => Ok(()),
        None => Err(Error::SumOutOfRange { what: what.to_string(), value: sum.to_string() }),
    }
}
