//! Outputs of a run (data.md, Outputs): the rows of findings, entitlements,
//! notices, agencies and rejects, written as CSV (and Parquet for findings and
//! entitlements) into a temporary folder that replaces `--out` only when
//! everything is written.

pub mod manifest;
pub mod parquet;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::rules::hex;

/// Money as data.md writes it: exactly two decimals, `-` when negative.
pub fn money(d: Decimal) -> String {
    if d.is_zero() {
        return "0.00".into();
    }
    format!("{:.2}", crate::recompute::round_cents(d))
}

pub fn opt_money(d: Option<Decimal>) -> String {
    d.map(money).unwrap_or_default()
}

pub fn opt_date(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// One row of findings.csv.
#[derive(Clone, Debug, PartialEq)]
pub struct FindingRow {
    pub finding_id: String,
    pub seeker_id: String,
    pub agency_id: String,
    pub right_id: String,
    pub month: String,
    pub cause: &'static str,
    pub amount: Decimal,
    pub status: &'static str,
    pub basis: &'static str,
    pub time_barred_on: Option<NaiveDate>,
    pub evidence: String,
    pub rule_set: String,
}

pub const FINDINGS_HEADER: &[&str] = &[
    "finding_id",
    "seeker_id",
    "agency_id",
    "right_id",
    "month",
    "cause",
    "amount",
    "status",
    "basis",
    "time_barred_on",
    "evidence",
    "rule_set",
];

/// One row of entitlements.csv; `None` where a figure does not apply.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EntitlementRow {
    pub seeker_id: String,
    pub agency_id: String,
    pub right_id: String,
    pub month: String,
    pub basis: &'static str,
    pub aj: Option<Decimal>,
    pub degressive_rate: Option<Decimal>,
    pub paid_rate: Option<Decimal>,
    pub w: Option<i64>,
    pub w_prime: Option<i64>,
    pub e_declared: Option<Decimal>,
    pub e_attested: Option<Decimal>,
    pub a: Option<Decimal>,
    pub days_due: Option<i64>,
    pub ceiling_applied: Option<bool>,
    pub due: Decimal,
    pub paid: Decimal,
    pub duplicates: Decimal,
    pub f: [Decimal; 6],
    pub delta: Decimal,
    pub ambiguous: bool,
    pub held: bool,
}

pub const ENTITLEMENTS_HEADER: &[&str] = &[
    "seeker_id",
    "agency_id",
    "right_id",
    "month",
    "basis",
    "aj",
    "degressive_rate",
    "paid_rate",
    "w",
    "w_prime",
    "e_declared",
    "e_attested",
    "a",
    "days_due",
    "ceiling_applied",
    "due",
    "paid",
    "duplicates",
    "f0",
    "f1",
    "f2",
    "f3",
    "f4",
    "f5",
    "delta",
    "ambiguous",
    "held",
];

#[derive(Clone, Debug, PartialEq)]
pub struct NoticeRow {
    pub seeker_id: String,
    pub agency_id: String,
    pub net: Decimal,
    pub channel: &'static str,
    pub notified_on: NaiveDate,
    pub formal_notice_on: NaiveDate,
    pub finding_ids: String,
}

pub const NOTICES_HEADER: &[&str] =
    &["seeker_id", "agency_id", "net", "channel", "notified_on", "formal_notice_on", "finding_ids"];

#[derive(Clone, Debug, Default, PartialEq)]
pub struct AgencyRow {
    pub agency_id: String,
    pub seekers_notified: u64,
    pub sms: u64,
    pub phone: u64,
    pub calls_to_expect: u64,
    pub claimed: Decimal,
    pub owed: Decimal,
    pub offset: Decimal,
    pub review: Decimal,
    pub time_barred: Decimal,
    pub written_off: Decimal,
}

pub const AGENCIES_HEADER: &[&str] = &[
    "agency_id",
    "seekers_notified",
    "sms",
    "phone",
    "calls_to_expect",
    "claimed",
    "owed",
    "offset",
    "review",
    "time_barred",
    "written_off",
];

pub const REJECTS_HEADER: &[&str] = &["file", "line", "record_id", "column", "code", "message"];

impl FindingRow {
    pub fn fields(&self) -> [String; 12] {
        [
            self.finding_id.clone(),
            self.seeker_id.clone(),
            self.agency_id.clone(),
            self.right_id.clone(),
            self.month.clone(),
            self.cause.to_string(),
            money(self.amount),
            self.status.to_string(),
            self.basis.to_string(),
            opt_date(self.time_barred_on),
            self.evidence.clone(),
            self.rule_set.clone(),
        ]
    }
}

fn opt_int(v: Option<i64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn opt_bool(v: Option<bool>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

impl EntitlementRow {
    pub fn fields(&self) -> Vec<String> {
        let mut v = vec![
            self.seeker_id.clone(),
            self.agency_id.clone(),
            self.right_id.clone(),
            self.month.clone(),
            self.basis.to_string(),
            opt_money(self.aj),
            opt_money(self.degressive_rate),
            opt_money(self.paid_rate),
            opt_int(self.w),
            opt_int(self.w_prime),
            opt_money(self.e_declared),
            opt_money(self.e_attested),
            self.a
                .map(|a| if a.is_zero() { "0.000".into() } else { format!("{:.3}", a.round_dp(3)) })
                .unwrap_or_default(),
            opt_int(self.days_due),
            opt_bool(self.ceiling_applied),
            money(self.due),
            money(self.paid),
            money(self.duplicates),
        ];
        v.extend(self.f.iter().map(|f| money(*f)));
        v.extend([money(self.delta), self.ambiguous.to_string(), self.held.to_string()]);
        v
    }
}

impl NoticeRow {
    pub fn fields(&self) -> [String; 7] {
        [
            self.seeker_id.clone(),
            self.agency_id.clone(),
            money(self.net),
            self.channel.to_string(),
            self.notified_on.to_string(),
            self.formal_notice_on.to_string(),
            self.finding_ids.clone(),
        ]
    }
}

impl AgencyRow {
    pub fn fields(&self) -> [String; 11] {
        [
            self.agency_id.clone(),
            self.seekers_notified.to_string(),
            self.sms.to_string(),
            self.phone.to_string(),
            self.calls_to_expect.to_string(),
            money(self.claimed),
            money(self.owed),
            money(self.offset),
            money(self.review),
            money(self.time_barred),
            money(self.written_off),
        ]
    }
}

/// A file written into the staging folder: its name, SHA-256 and row count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    pub file: String,
    pub sha256: String,
    pub rows: u64,
}

/// Writes a CSV file (international dialect, `\n` line ends) and hashes it.
pub fn write_csv<I, R>(dir: &Path, file: &str, header: &[&str], rows: I) -> Result<Written, Error>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator,
    R::Item: AsRef<[u8]>,
{
    let path = dir.join(file);
    let mut w =
        csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::with_capacity(1 << 20));
    w.write_record(header).map_err(|e| Error::output(&path, e))?;
    let mut n = 0u64;
    for r in rows {
        w.write_record(r).map_err(|e| Error::output(&path, e))?;
        n += 1;
    }
    let bytes = w.into_inner().map_err(|e| Error::output(&path, e))?;
    write_file(&path, &bytes)?;
    Ok(Written { file: file.to_string(), sha256: hex(&Sha256::digest(&bytes)), rows: n })
}

pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let mut f = fs::File::create(path).map_err(|e| Error::output(path, e))?;
    f.write_all(bytes).map_err(|e| Error::output(path, e))?;
    f.sync_all().map_err(|e| Error::output(path, e))
}

/// A staging folder beside the destination, moved into place by [`Staging::commit`]
/// and removed if dropped before (a failed run leaves no partial output).
pub struct Staging {
    pub dir: PathBuf,
    dest: PathBuf,
    committed: bool,
}

impl Staging {
    pub fn new(dest: &Path) -> Result<Staging, Error> {
        let parent = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(|e| Error::output(&parent, e))?;
        if dest.exists() && !is_replaceable(dest) {
            return Err(Error::output(
                dest,
                "the folder exists and is not an indus output (no manifest.json): refusing to replace it",
            ));
        }
        let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
        let dir = parent.join(format!(".{name}.indus-tmp-{}", std::process::id()));
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(|e| Error::output(&dir, e))?;
        }
        fs::create_dir(&dir).map_err(|e| Error::output(&dir, e))?;
        Ok(Staging { dir, dest: dest.to_path_buf(), committed: false })
    }

    /// Replaces the destination with the staged folder.
    pub fn commit(mut self) -> Result<(), Error> {
        let dest = self.dest.clone();
        if dest.exists() {
            let old = self.dir.with_extension("old");
            fs::rename(&dest, &old).map_err(|e| Error::output(&dest, e))?;
            fs::rename(&self.dir, &dest).map_err(|e| Error::output(&dest, e))?;
            let _ = fs::remove_dir_all(&old);
        } else {
            fs::rename(&self.dir, &dest).map_err(|e| Error::output(&dest, e))?;
        }
        self.committed = true;
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// An existing destination may be replaced when it is empty or a previous run's output.
fn is_replaceable(dest: &Path) -> bool {
    dest.is_dir()
        && (dest.join("manifest.json").is_file() || fs::read_dir(dest).map(|mut d| d.next().is_none()).unwrap_or(false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn money_has_two_decimals_and_a_plain_sign() {
        assert_eq!(money(dec!(273.6)), "273.60");
        assert_eq!(money(dec!(-273.60)), "-273.60");
        assert_eq!(money(-dec!(0.00)), "0.00");
        assert_eq!(money(dec!(1152.89)), "1152.89");
        assert_eq!(money(dec!(5)), "5.00");
    }
}
