//! Continuity across nights (nights.md §8.1, §8.3, §8.4): tonight's findings
//! and notices compared with the previous night's run. Each finding key is
//! `new`, `unchanged`, `revised` or `withdrawn` (changes.csv); each seeker's
//! notice becomes `first`, `held`, `withdrawn`, `unchanged`, `resumed`,
//! `increased` or `decreased`, which says whether a message goes out tonight
//! and which formal-notice date (mise en demeure) runs.
//!
//! Tonight's statuses and nets are computed first, seeker by seeker, exactly
//! as for a run that stands alone; this stage only merges them, in seeker
//! order, with the previous run's rows.

use std::collections::BTreeSet;

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;

use crate::error::{Error, Result};
use crate::model::Month;
use crate::output::{Change, ChangeRow, FindingRow, NoticeRow};
use crate::previous::{Previous, PreviousFinding, PreviousNotice};
use crate::reconcile::Status;
use crate::rules::NoticeParams;
use crate::status::Action;

/// Nights.md §8.1: tonight's months must include the month of every finding
/// a standing previous notice rests on (what the seekers were told).
pub(crate) fn check_window(previous: &Previous, months: &[Month]) -> Result<()> {
    window_error(&previous.dir, &missing_months(previous, months))
}

/// The months of findings that standing previous notices rest on and that
/// tonight's `months` leave out ([`check_window`], a seeker range at a time).
pub(crate) fn missing_months(previous: &Previous, months: &[Month]) -> BTreeSet<Month> {
    let mut missing: BTreeSet<Month> = BTreeSet::new();
    for n in previous.notices.iter().filter(|n| n.action != Action::Withdrawn) {
        for m in notice_months(n, previous_findings_of(previous, &n.seeker_id)) {
            if months.binary_search(&m).is_err() {
                missing.insert(m);
            }
        }
    }
    missing
}

/// The error [`check_window`] gives when `missing` months are left out of the previous run `dir`'s.
pub(crate) fn window_error(dir: &std::path::Path, missing: &BTreeSet<Month>) -> Result<()> {
    if missing.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = missing.iter().map(Month::to_string).collect();
    Err(Error::Usage(format!(
        "the previous run {} notified findings of {} and tonight's run leaves {} out: run the months still \
         open (--months) so that what the seekers were told is compared",
        dir.display(),
        names.join(", "),
        if names.len() == 1 { "it" } else { "them" }
    )))
}

/// The previous run's findings of one seeker (every month).
fn previous_findings_of<'p>(previous: &'p Previous, seeker: &str) -> &'p [PreviousFinding] {
    let f = &previous.findings;
    let start = f.partition_point(|x| x.seeker_id.as_str() < seeker);
    let end = start + f[start..].partition_point(|x| x.seeker_id.as_str() == seeker);
    &f[start..end]
}

/// The months of the findings a previous notice lists.
fn notice_months(n: &PreviousNotice, findings: &[PreviousFinding]) -> BTreeSet<Month> {
    findings.iter().filter(|f| n.finding_ids.contains(&f.finding_id)).map(|f| f.month).collect()
}

/// What tonight's comparison gives: changes.csv, and notices.csv with actions.
pub struct Night {
    pub changes: Vec<ChangeRow>,
    pub notices: Vec<NoticeRow>,
}

/// Compares tonight's findings (in output order) and the notices their nets
/// give (`first` candidates, in seeker order) with the previous run, over
/// tonight's `months`.
pub fn compare<'a>(
    findings: impl Iterator<Item = &'a FindingRow>,
    candidates: impl Iterator<Item = NoticeRow>,
    previous: Option<&Previous>,
    months: &[Month],
    as_of: NaiveDate,
    np: &NoticeParams,
) -> Night {
    let tonight: Vec<&FindingRow> = findings.collect();
    let mut candidates = candidates.peekable();
    let empty: (Vec<PreviousFinding>, Vec<PreviousNotice>) = Default::default();
    let (prev_findings, prev_notices) = match previous {
        Some(p) => (&p.findings, &p.notices),
        None => (&empty.0, &empty.1),
    };
    // Previous findings of months that left the window are neither compared nor counted.
    let prev_findings: Vec<&PreviousFinding> =
        prev_findings.iter().filter(|f| months.binary_search(&f.month).is_ok()).collect();
    let prev_notices: Vec<&PreviousNotice> = prev_notices.iter().filter(|n| n.action != Action::Withdrawn).collect();

    let mut night = Night { changes: Vec::with_capacity(tonight.len()), notices: Vec::new() };
    let (mut t, mut p, mut n) = (0, 0, 0);
    loop {
        // The smallest seeker not yet done, over the four sorted lists.
        let seeker = [
            tonight.get(t).map(|f| f.seeker_id.as_str()),
            prev_findings.get(p).map(|f| f.seeker_id.as_str()),
            prev_notices.get(n).map(|x| x.seeker_id.as_str()),
            candidates.peek().map(|c| c.seeker_id.as_str()),
        ]
        .into_iter()
        .flatten()
        .min()
        .map(str::to_owned);
        let Some(seeker) = seeker else { break };
        let take = |list_len: usize, at: &mut usize, is: &dyn Fn(usize) -> bool| {
            let start = *at;
            while *at < list_len && is(*at) {
                *at += 1;
            }
            start..*at
        };
        let mine_t = take(tonight.len(), &mut t, &|i| tonight[i].seeker_id == seeker);
        let mine_p = take(prev_findings.len(), &mut p, &|i| prev_findings[i].seeker_id == seeker);
        let prev_notice = (n < prev_notices.len() && prev_notices[n].seeker_id == seeker).then(|| {
            n += 1;
            prev_notices[n - 1]
        });
        let candidate = candidates.next_if(|c| c.seeker_id == seeker);
        let (t_rows, p_rows) = (&tonight[mine_t], &prev_findings[mine_p]);
        changes(t_rows, p_rows, &mut night.changes);
        if let Some(row) = notice(t_rows, p_rows, prev_notice, candidate, as_of, np) {
            night.notices.push(row);
        }
    }
    night
}

/// Changes of one seeker: both lists are in (month, cause) order.
fn changes(tonight: &[&FindingRow], previous: &[&PreviousFinding], out: &mut Vec<ChangeRow>) {
    let (mut i, mut j) = (0, 0);
    while i < tonight.len() || j < previous.len() {
        let t = tonight.get(i).copied();
        let p = previous.get(j).copied();
        let order = match (t, p) {
            (Some(t), Some(p)) => (t.month, t.cause).cmp(&(p.month, p.cause)),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        let (t, p) = match order {
            std::cmp::Ordering::Less => (t, None),
            std::cmp::Ordering::Greater => (None, p),
            std::cmp::Ordering::Equal => (t, p),
        };
        i += t.is_some() as usize;
        j += p.is_some() as usize;
        let (evidence_added, evidence_removed) =
            evidence_diff(t.map_or("", |t| t.evidence.as_str()), p.map_or("", |p| p.evidence.as_str()));
        let current = t.map(|t| (t.amount, t.status));
        let before = p.map(|p| (p.amount, p.status));
        let change = match (before, current) {
            (None, _) => Change::New,
            (_, None) => Change::Withdrawn,
            (Some(a), Some(b)) if a == b => Change::Unchanged,
            _ => Change::Revised,
        };
        let (seeker_id, month, cause) = match (t, p) {
            (Some(t), _) => (t.seeker_id.clone(), t.month, t.cause),
            (None, Some(p)) => (p.seeker_id.clone(), p.month, p.cause),
            (None, None) => unreachable!("one side at least"),
        };
        out.push(ChangeRow {
            seeker_id,
            month,
            cause,
            change,
            previous: before,
            current,
            evidence_added,
            evidence_removed,
        });
    }
}

/// The ids in `now` and not in `before`, and the reverse, each in its own order.
fn evidence_diff(now: &str, before: &str) -> (String, String) {
    if now == before {
        return (String::new(), String::new());
    }
    let only = |a: &str, b: &str| -> String {
        let b: Vec<&str> = b.split(' ').collect();
        a.split(' ').filter(|x| !x.is_empty() && !b.contains(x)).collect::<Vec<_>>().join(" ")
    };
    (only(now, before), only(before, now))
}

/// The seeker's notice tonight (nights.md §8.4): `candidate` is the notice
/// tonight's net alone gives (none when the net is 0).
fn notice(
    tonight: &[&FindingRow],
    previous: &[&PreviousFinding],
    prev: Option<&PreviousNotice>,
    candidate: Option<NoticeRow>,
    as_of: NaiveDate,
    np: &NoticeParams,
) -> Option<NoticeRow> {
    let Some(prev) = prev else {
        return candidate;
    };
    let fresh = as_of + Days::new(np.formal_notice_after_days as u64);
    let with_previous = |mut row: NoticeRow, action: Action| {
        row.action = action;
        row.previous_net = Some(prev.net);
        row.previous_formal_notice_on = prev.formal_notice_on;
        row
    };
    let held_months: BTreeSet<Month> =
        previous.iter().filter(|f| prev.finding_ids.contains(&f.finding_id)).map(|f| f.month).collect();
    let in_review: Vec<&str> = tonight
        .iter()
        .filter(|f| f.status == Status::Review && held_months.contains(&f.month))
        .map(|f| f.finding_id.as_str())
        .collect();
    let base = |agency_id, net, channel, notified_on, formal_notice_on, finding_ids| NoticeRow {
        seeker_id: prev.seeker_id.clone(),
        agency_id,
        net,
        channel,
        notified_on,
        formal_notice_on,
        finding_ids,
        action: Action::First,
        previous_net: None,
        previous_formal_notice_on: None,
    };
    if !in_review.is_empty() {
        // A person looks first: what the seeker was told stands, its formal notice suspended.
        let row = base(prev.agency_id.clone(), prev.net, prev.channel, prev.notified_on, None, in_review.join(" "));
        return Some(with_previous(row, Action::Held));
    }
    let Some(mut row) = candidate else {
        let row = base(prev.agency_id.clone(), Decimal::ZERO, prev.channel, as_of, None, String::new());
        return Some(with_previous(row, Action::Withdrawn));
    };
    let was_held = prev.action == Action::Held;
    let action = if row.net == prev.net {
        if was_held {
            Action::Resumed
        } else {
            row.channel = prev.channel;
            row.notified_on = prev.notified_on;
            row.formal_notice_on = prev.formal_notice_on;
            Action::Unchanged
        }
    } else if row.net > prev.net {
        Action::Increased
    } else {
        // The delay already ran for a larger amount; after a hold it starts again.
        row.formal_notice_on = if was_held { Some(fresh) } else { prev.formal_notice_on.or(Some(fresh)) };
        Action::Decreased
    };
    Some(with_previous(row, action))
}

/// Nights.md §8.4: more than 100 withdrawals that are more than `max_rate`
/// of the previous notices look like a truncated export, not a good night.
pub(crate) fn guard_withdrawals(notices: &[NoticeRow], standing: u64, max_rate: f64) -> Result<()> {
    guard_withdrawn(withdrawn(notices), standing, max_rate)
}

/// How many of `notices` are withdrawals.
pub(crate) fn withdrawn(notices: &[NoticeRow]) -> u64 {
    notices.iter().filter(|n| n.action == Action::Withdrawn).count() as u64
}

/// [`guard_withdrawals`] once the withdrawals are counted (a seeker range at a time).
pub(crate) fn guard_withdrawn(withdrawn: u64, standing: u64, max_rate: f64) -> Result<()> {
    let rate = if standing == 0 { 0.0 } else { withdrawn as f64 / standing as f64 };
    if withdrawn > 100 && rate > max_rate {
        return Err(Error::MassWithdrawal { withdrawn, previous: standing, rate, max_rate });
    }
    Ok(())
}

/// The previous night's notices still standing (not withdrawn): what the
/// share of withdrawals is taken of.
pub(crate) fn standing_notices(previous: &Previous) -> u64 {
    previous.notices.iter().filter(|n| n.action != Action::Withdrawn).count() as u64
}
