//! Reads a run's own CSV outputs back into their rows: `indus merge` joins
//! the shards of a run from them. The files were written by indus, so a
//! value that does not parse means a damaged part; the error names the
//! file, line and column.

use std::path::Path;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{
    Change, ChangeRow, EntitlementRow, FindingRow, Fixed, NoticeRow, CHANGES_HEADER, ENTITLEMENTS_HEADER,
    FINDINGS_HEADER, NOTICES_HEADER, REJECTS_HEADER,
};
use crate::error::Error;
use crate::model::Month;
use crate::reconcile::{Basis, Cause, Status};
use crate::status::{Action, Channel};
use crate::validate::{Code, Reject};

/// One record of an output file, with what an error needs to name it.
pub(crate) struct Record<'a> {
    path: &'a Path,
    header: &'static [&'static str],
    fields: &'a csv::StringRecord,
    line: u64,
}

impl<'a> Record<'a> {
    fn bad(&self, column: usize, what: &str) -> Error {
        Error::Unreadable {
            path: self.path.to_path_buf(),
            problem: format!(
                "line {}, {}: `{}` is not {what} (a damaged part?)",
                self.line,
                self.header[column],
                self.text(column)
            ),
        }
    }

    fn text(&self, column: usize) -> &'a str {
        self.fields.get(column).unwrap_or("")
    }

    fn parse<T>(&self, column: usize, what: &str, f: impl FnOnce(&str) -> Option<T>) -> Result<T, Error> {
        f(self.text(column)).ok_or_else(|| self.bad(column, what))
    }

    fn optional<T>(&self, column: usize, what: &str, f: impl FnOnce(&str) -> Option<T>) -> Result<Option<T>, Error> {
        match self.text(column) {
            "" => Ok(None),
            s => f(s).map(Some).ok_or_else(|| self.bad(column, what)),
        }
    }

    fn decimal(&self, column: usize) -> Result<Decimal, Error> {
        self.parse(column, "an amount", |s| Decimal::from_str(s).ok())
    }

    fn date(&self, column: usize) -> Result<Option<NaiveDate>, Error> {
        self.optional(column, "a date", |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
    }

    fn fixed(&self, column: usize, places: u32) -> Result<Fixed, Error> {
        match self.optional(column, "a figure", |s| Decimal::from_str(s).ok())? {
            Some(d) => Fixed::new(d, places).ok_or_else(|| self.bad(column, "a figure an output holds")),
            None => Ok(Fixed::EMPTY),
        }
    }

    fn int(&self, column: usize) -> Result<Option<i64>, Error> {
        self.optional(column, "a whole number", |s| s.parse().ok())
    }

    fn boolean(&self, column: usize) -> Result<Option<bool>, Error> {
        self.optional(column, "true or false", |s| match s {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        })
    }

    fn month(&self, column: usize) -> Result<Month, Error> {
        self.parse(column, "a month", Month::parse)
    }

    fn basis(&self, column: usize) -> Result<&'static str, Error> {
        self.parse(column, "a basis", |s| match s {
            "" => Some(""),
            _ => [Basis::Attested, Basis::Declared].into_iter().find(|b| b.as_str() == s).map(Basis::as_str),
        })
    }
}

/// Every record of `path`, whose header must be `header`, made into rows by `row`.
fn read<R>(
    path: &Path,
    header: &'static [&'static str],
    row: impl Fn(&Record) -> Result<R, Error>,
) -> Result<Vec<R>, Error> {
    let mut rows = Vec::new();
    let mut reader = Rows::open(path, header, row)?;
    while let Some(r) = reader.next_row()? {
        rows.push(r);
    }
    Ok(rows)
}

/// The rows of an output file, one at a time.
pub(crate) struct Rows<'p, F> {
    path: &'p Path,
    header: &'static [&'static str],
    reader: csv::Reader<std::fs::File>,
    fields: csv::StringRecord,
    row: F,
}

impl<'p, R, F: Fn(&Record) -> Result<R, Error>> Rows<'p, F> {
    /// `path`, whose header must be `header`, its records made into rows by `row`.
    fn open(path: &'p Path, header: &'static [&'static str], row: F) -> Result<Self, Error> {
        let unreadable = |problem: String| Error::Unreadable { path: path.to_path_buf(), problem };
        let mut reader = csv::ReaderBuilder::new().from_path(path).map_err(|e| unreadable(e.to_string()))?;
        let found: Vec<String> =
            reader.headers().map_err(|e| unreadable(e.to_string()))?.iter().map(str::to_string).collect();
        if found != header {
            return Err(unreadable(format!("its header is not that of an indus output ({})", header.join(","))));
        }
        Ok(Rows { path, header, reader, fields: csv::StringRecord::new(), row })
    }

    /// The next row; `None` at the end.
    pub(crate) fn next_row(&mut self) -> Result<Option<R>, Error> {
        let (path, header) = (self.path, self.header);
        let unreadable = |problem: String| Error::Unreadable { path: path.to_path_buf(), problem };
        if !self.reader.read_record(&mut self.fields).map_err(|e| unreadable(e.to_string()))? {
            return Ok(None);
        }
        let line = self.fields.position().map_or(0, |p| p.line());
        if self.fields.len() != header.len() {
            return Err(unreadable(format!(
                "line {line} has {} fields where the header has {}",
                self.fields.len(),
                header.len()
            )));
        }
        (self.row)(&Record { path, header, fields: &self.fields, line }).map(Some)
    }
}

pub(crate) fn findings(path: &Path) -> Result<Vec<FindingRow>, Error> {
    read(path, FINDINGS_HEADER, |r| {
        Ok(FindingRow {
            finding_id: r.text(0).to_string(),
            seeker_id: r.text(1).into(),
            agency_id: r.text(2).into(),
            right_id: r.text(3).into(),
            month: r.month(4)?,
            cause: r.parse(5, "a cause", Cause::parse)?,
            amount: r.decimal(6)?,
            status: r.parse(7, "a status", Status::parse)?,
            basis: r.basis(8)?,
            time_barred_on: r.date(9)?,
            evidence: r.text(10).to_string(),
            rule_set: r.text(11).to_string(),
        })
    })
}

pub(crate) fn entitlements(path: &Path) -> Result<Vec<EntitlementRow>, Error> {
    read(path, ENTITLEMENTS_HEADER, entitlement)
}

fn entitlement(r: &Record) -> Result<EntitlementRow, Error> {
    {
        let mut f = [Fixed::EMPTY; 6];
        for (i, v) in f.iter_mut().enumerate() {
            *v = r.fixed(18 + i, 2)?;
        }
        Ok(EntitlementRow {
            seeker_id: r.text(0).into(),
            agency_id: r.text(1).into(),
            right_id: r.text(2).into(),
            month: r.month(3)?,
            basis: r.basis(4)?,
            aj: r.fixed(5, 2)?,
            degressive_rate: r.fixed(6, 2)?,
            paid_rate: r.fixed(7, 2)?,
            w: r.int(8)?,
            w_prime: r.int(9)?,
            e_declared: r.fixed(10, 2)?,
            e_attested: r.fixed(11, 2)?,
            a: r.fixed(12, 3)?,
            days_due: r.int(13)?,
            ceiling_applied: r.boolean(14)?,
            due: r.fixed(15, 2)?,
            paid: r.fixed(16, 2)?,
            duplicates: r.fixed(17, 2)?,
            f,
            delta: r.fixed(24, 2)?,
            ambiguous: r.boolean(25)?.ok_or_else(|| r.bad(25, "true or false"))?,
            held: r.boolean(26)?.ok_or_else(|| r.bad(26, "true or false"))?,
        })
    }
}

pub(crate) fn notices(path: &Path) -> Result<Vec<NoticeRow>, Error> {
    read(path, NOTICES_HEADER, |r| {
        Ok(NoticeRow {
            seeker_id: r.text(0).into(),
            agency_id: r.text(1).into(),
            net: r.decimal(2)?,
            channel: r.parse(3, "a channel", Channel::parse)?,
            notified_on: r.parse(4, "a date", |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())?,
            formal_notice_on: r.date(5)?,
            finding_ids: r.text(6).to_string(),
            action: r.parse(7, "an action", Action::parse)?,
            previous_net: r.optional(8, "an amount", |s| Decimal::from_str(s).ok())?,
            previous_formal_notice_on: r.date(9)?,
        })
    })
}

pub(crate) fn changes(path: &Path) -> Result<Vec<ChangeRow>, Error> {
    read(path, CHANGES_HEADER, |r| {
        let side = |amount: usize, status: usize| -> Result<Option<(Decimal, Status)>, Error> {
            match (r.text(amount), r.text(status)) {
                ("", "") => Ok(None),
                _ => Ok(Some((r.decimal(amount)?, r.parse(status, "a status", Status::parse)?))),
            }
        };
        Ok(ChangeRow {
            seeker_id: r.text(0).into(),
            month: r.month(1)?,
            cause: r.parse(2, "a cause", Cause::parse)?,
            change: r.parse(3, "a change", |s| Change::ALL.into_iter().find(|c| c.as_str() == s))?,
            previous: side(4, 5)?,
            current: side(6, 7)?,
            evidence_added: r.text(8).to_string(),
            evidence_removed: r.text(9).to_string(),
        })
    })
}

/// rejects.csv: the seeker and month of a reject are not written, and not needed to write it again.
pub(crate) fn rejects(path: &Path) -> Result<Vec<Reject>, Error> {
    read(path, REJECTS_HEADER, reject)
}

/// What makes a record a row.
type RowOf<R> = fn(&Record) -> Result<R, Error>;

/// rejects.csv a row at a time.
pub(crate) fn reject_rows(path: &Path) -> Result<Rows<'_, RowOf<Reject>>, Error> {
    Rows::open(path, REJECTS_HEADER, reject as RowOf<Reject>)
}

fn reject(r: &Record) -> Result<Reject, Error> {
    Ok(Reject {
        file: r.text(0).to_string(),
        line: r.parse(1, "a line number", |s| s.parse().ok())?,
        record_id: r.text(2).to_string(),
        column: r.text(3).to_string(),
        code: r.parse(4, "a reject code", |s| Code::ALL.into_iter().find(|c| c.as_str() == s))?,
        message: r.text(5).to_string(),
        seeker_id: String::new(),
        month: None,
    })
}
