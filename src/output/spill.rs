//! Entitlement rows spilled to a partitioned run's scratch folder between a
//! partition and the merge: a plain binary form, read back far faster than
//! CSV (a national month has tens of millions of rows). Never an output:
//! it lives and dies in the run's staging folder.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use super::{EntitlementRow, Fixed};
use crate::error::Error;
use crate::model::{Id, Month};
use crate::reconcile::Basis;

const NONE: i64 = i64::MIN;

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn put_i64(out: &mut Vec<u8>, v: i64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn fixed(f: Fixed) -> i64 {
    f.get().unwrap_or(NONE)
}

/// Appends one row.
fn encode(r: &EntitlementRow, out: &mut Vec<u8>) {
    put_str(out, &r.seeker_id);
    put_str(out, &r.agency_id);
    put_str(out, &r.right_id);
    put_i64(out, i64::from(r.month.year()) * 12 + i64::from(r.month.month()) - 1);
    out.push(match r.basis {
        "attested" => 1,
        "declared" => 2,
        _ => 0,
    });
    for f in [r.aj, r.degressive_rate, r.paid_rate] {
        put_i64(out, fixed(f));
    }
    put_i64(out, r.w.unwrap_or(NONE));
    put_i64(out, r.w_prime.unwrap_or(NONE));
    for f in [r.e_declared, r.e_attested, r.a] {
        put_i64(out, fixed(f));
    }
    put_i64(out, r.days_due.unwrap_or(NONE));
    out.push(match r.ceiling_applied {
        None => 0,
        Some(false) => 1,
        Some(true) => 2,
    });
    for f in [r.due, r.paid, r.duplicates] {
        put_i64(out, fixed(f));
    }
    for f in r.f {
        put_i64(out, fixed(f));
    }
    put_i64(out, fixed(r.delta));
    out.push(u8::from(r.ambiguous) | (u8::from(r.held) << 1));
}

/// Writes rows to `path`.
pub(crate) fn write<'a>(path: &Path, rows: impl Iterator<Item = &'a EntitlementRow>) -> Result<(), Error> {
    let mut f = BufWriter::with_capacity(1 << 20, File::create(path).map_err(|e| Error::output(path, e))?);
    let mut buf = Vec::with_capacity(256);
    for r in rows {
        buf.clear();
        encode(r, &mut buf);
        f.write_all(&buf).map_err(|e| Error::output(path, e))?;
    }
    f.flush().map_err(|e| Error::output(path, e))
}

/// Reads rows back, one at a time.
pub(crate) struct Reader {
    path: PathBuf,
    r: BufReader<File>,
    /// An id's bytes before they become an [`Id`] (short ids are inline: no allocation a row).
    text: Vec<u8>,
}

impl Reader {
    pub(crate) fn open(path: &Path) -> Result<Reader, Error> {
        let f = File::open(path).map_err(|e| Error::Unreadable { path: path.to_path_buf(), problem: e.to_string() })?;
        Ok(Reader { path: path.to_path_buf(), r: BufReader::with_capacity(1 << 20, f), text: Vec::new() })
    }

    fn bytes<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let mut b = [0u8; N];
        self.r.read_exact(&mut b).map_err(|e| self.damaged(e))?;
        Ok(b)
    }

    fn damaged(&self, e: impl std::fmt::Display) -> Error {
        Error::Unreadable { path: self.path.clone(), problem: format!("a partition's rows are damaged ({e})") }
    }

    fn i64(&mut self) -> Result<i64, Error> {
        Ok(i64::from_le_bytes(self.bytes()?))
    }

    fn opt(&mut self) -> Result<Option<i64>, Error> {
        Ok(Some(self.i64()?).filter(|&v| v != NONE))
    }

    fn fixed(&mut self) -> Result<Fixed, Error> {
        Ok(self.opt()?.map_or(Fixed::EMPTY, Fixed::from_units))
    }

    fn id(&mut self) -> Result<Id, Error> {
        let n = u32::from_le_bytes(self.bytes()?) as usize;
        self.id_of(n)
    }

    fn id_of(&mut self, n: usize) -> Result<Id, Error> {
        self.text.resize(n, 0);
        self.r.read_exact(&mut self.text).map_err(|e| Error::Unreadable {
            path: self.path.clone(),
            problem: format!("a partition's rows are damaged ({e})"),
        })?;
        match std::str::from_utf8(&self.text) {
            Ok(s) => Ok(Id::from(s)),
            Err(e) => Err(self.damaged(e)),
        }
    }

    /// The next row, `None` at the end.
    pub(crate) fn next_row(&mut self) -> Result<Option<EntitlementRow>, Error> {
        let mut len = [0u8; 4];
        match self.r.read(&mut len[..1]).map_err(|e| self.damaged(e))? {
            0 => return Ok(None),
            _ => self.r.read_exact(&mut len[1..]).map_err(|e| self.damaged(e))?,
        }
        let seeker_id = self.id_of(u32::from_le_bytes(len) as usize)?;
        let agency_id = self.id()?;
        let right_id = self.id()?;
        let m = self.i64()?;
        let month = Month::new((m.div_euclid(12)) as i32, (m.rem_euclid(12) + 1) as u32)
            .ok_or_else(|| self.damaged("a month out of range"))?;
        let basis = match self.bytes::<1>()?[0] {
            1 => Basis::Attested.as_str(),
            2 => Basis::Declared.as_str(),
            _ => "",
        };
        let (aj, degressive_rate, paid_rate) = (self.fixed()?, self.fixed()?, self.fixed()?);
        let (w, w_prime) = (self.opt()?, self.opt()?);
        let (e_declared, e_attested, a) = (self.fixed()?, self.fixed()?, self.fixed()?);
        let days_due = self.opt()?;
        let ceiling_applied = match self.bytes::<1>()?[0] {
            0 => None,
            1 => Some(false),
            _ => Some(true),
        };
        let (due, paid, duplicates) = (self.fixed()?, self.fixed()?, self.fixed()?);
        let mut f = [Fixed::EMPTY; 6];
        for v in &mut f {
            *v = self.fixed()?;
        }
        let delta = self.fixed()?;
        let flags = self.bytes::<1>()?[0];
        Ok(Some(EntitlementRow {
            seeker_id,
            agency_id,
            right_id,
            month,
            basis,
            aj,
            degressive_rate,
            paid_rate,
            w,
            w_prime,
            e_declared,
            e_attested,
            a,
            days_due,
            ceiling_applied,
            due,
            paid,
            duplicates,
            f,
            delta,
            ambiguous: flags & 1 != 0,
            held: flags & 2 != 0,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_come_back_as_they_went_in() {
        let row = |i: i64| EntitlementRow {
            seeker_id: format!("S{i}").into(),
            agency_id: "AG".into(),
            right_id: if i % 2 == 0 { "".into() } else { "R1".into() },
            month: Month::new(2024, 1 + (i % 12) as u32).unwrap(),
            basis: ["", "attested", "declared"][(i % 3) as usize],
            aj: Fixed::from_units(4560 + i),
            degressive_rate: Fixed::EMPTY,
            paid_rate: Fixed::from_units(-1),
            w: Some(30),
            w_prime: None,
            e_declared: Fixed::from_units(0),
            e_attested: Fixed::EMPTY,
            a: Fixed::from_units(123_456),
            days_due: Some(i),
            ceiling_applied: [None, Some(false), Some(true)][(i % 3) as usize],
            due: Fixed::from_units(i * 1000),
            paid: Fixed::from_units(-i),
            duplicates: Fixed::EMPTY,
            f: [
                Fixed::from_units(1),
                Fixed::EMPTY,
                Fixed::from_units(3),
                Fixed::from_units(4),
                Fixed::EMPTY,
                Fixed::from_units(6),
            ],
            delta: Fixed::from_units(i64::MAX / 2),
            ambiguous: i % 2 == 0,
            held: i % 3 == 0,
        };
        let rows: Vec<EntitlementRow> = (0..7).map(row).collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e.bin");
        write(&path, rows.iter()).unwrap();
        let mut r = Reader::open(&path).unwrap();
        let mut back = Vec::new();
        while let Some(x) = r.next_row().unwrap() {
            back.push(x);
        }
        assert_eq!(back, rows);
    }
}
