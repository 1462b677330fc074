//! Parquet copies of findings and entitlements for analysts' notebooks:
//! money as Decimal(18, 2) (never a float), dates as Date, flags as Boolean.

use std::io::Cursor;
use std::path::Path;

use chrono::NaiveDate;
use polars::prelude::*;
use rayon::prelude::*;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use super::{write_file, Chunked, EntitlementRow, FindingRow, Written};
use crate::error::Error;
use crate::model::Month;
use crate::rules::hex;

fn cents(d: Decimal) -> i128 {
    let d = if d.scale() > 2 { crate::recompute::round_cents(d) } else { d };
    d.mantissa() * 10i128.pow(2 - d.scale().min(2))
}

fn money_col(name: &str, values: impl Iterator<Item = Option<Decimal>>) -> PolarsResult<Column> {
    let ca: Int128Chunked = values.map(|v| v.map(cents)).collect();
    // Checking that 18 digits hold every amount would be one more pass over
    // the column: money below 10^16 euros always fits.
    Ok(ca.with_name(name.into()).into_decimal_unchecked(18, 2).into_series().into())
}

fn date_col(name: &str, values: impl Iterator<Item = Option<NaiveDate>>) -> PolarsResult<Column> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid");
    let ca: Int32Chunked = values.map(|v| v.map(|d| (d - epoch).num_days() as i32)).collect();
    Ok(ca.with_name(name.into()).into_date().into_series().into())
}

fn str_col<'a>(name: &str, values: impl Iterator<Item = &'a str>) -> Column {
    let v: Vec<&str> = values.collect();
    Column::new(name.into(), v)
}

fn month_col(months: impl Iterator<Item = Month>) -> Column {
    // A run holds a few months: format each once, not once a row.
    let mut names: Vec<(Month, String)> = Vec::new();
    let mut idx: Vec<usize> = Vec::new();
    for m in months {
        let i = match names.iter().position(|(n, _)| *n == m) {
            Some(i) => i,
            None => {
                names.push((m, m.to_string()));
                names.len() - 1
            }
        };
        idx.push(i);
    }
    let v: Vec<&str> = idx.iter().map(|&i| names[i].1.as_str()).collect();
    Column::new("month".into(), v)
}

/// The rule set a Parquet output was computed with, as key-value metadata
/// (the CSV twins name it in `rule_set` and in manifest.json).
pub struct RuleSetTag {
    pub label: String,
    pub sha256: String,
}

fn write(dir: &Path, file: &str, mut df: DataFrame, tag: &RuleSetTag) -> Result<Written, Error> {
    let path = dir.join(file);
    let rows = df.height() as u64;
    let mut buf = Cursor::new(Vec::new());
    let kv = KeyValueMetadata::from_static(vec![
        ("indus.rule_set".into(), tag.label.clone()),
        ("indus.rule_set_sha256".into(), tag.sha256.clone()),
    ]);
    ParquetWriter::new(&mut buf)
        .with_key_value_metadata(Some(kv))
        .finish(&mut df)
        .map_err(|e| Error::output(&path, e))?;
    let bytes = buf.into_inner();
    write_file(&path, &bytes)?;
    Ok(Written { file: file.to_string(), sha256: hex(&Sha256::digest(&bytes)), rows })
}

pub fn write_findings(dir: &Path, rows: &Chunked<FindingRow>, tag: &RuleSetTag) -> Result<Written, Error> {
    let path = dir.join("findings.parquet");
    let build = || -> PolarsResult<DataFrame> {
        DataFrame::new_infer_height(vec![
            str_col("finding_id", rows.iter().map(|r| r.finding_id.as_str())),
            str_col("seeker_id", rows.iter().map(|r| r.seeker_id.as_str())),
            str_col("agency_id", rows.iter().map(|r| r.agency_id.as_str())),
            str_col("right_id", rows.iter().map(|r| r.right_id.as_str())),
            month_col(rows.iter().map(|r| r.month)),
            str_col("cause", rows.iter().map(|r| r.cause)),
            money_col("amount", rows.iter().map(|r| Some(r.amount)))?,
            str_col("status", rows.iter().map(|r| r.status)),
            str_col("basis", rows.iter().map(|r| r.basis)),
            date_col("time_barred_on", rows.iter().map(|r| r.time_barred_on))?,
            str_col("evidence", rows.iter().map(|r| r.evidence.as_str())),
            str_col("rule_set", rows.iter().map(|r| r.rule_set.as_str())),
        ])
    };
    write(dir, "findings.parquet", build().map_err(|e| Error::output(&path, e))?, tag)
}

pub fn write_entitlements(dir: &Path, rows: &Chunked<EntitlementRow>, tag: &RuleSetTag) -> Result<Written, Error> {
    let path = dir.join("entitlements.parquet");
    let int = |name: &str, f: &(dyn Fn(&EntitlementRow) -> Option<i64> + Sync)| -> Column {
        let ca: Int64Chunked = rows.iter().map(f).collect();
        ca.with_name(name.into()).into_series().into()
    };
    let boolean = |name: &str, f: &(dyn Fn(&EntitlementRow) -> Option<bool> + Sync)| -> Column {
        let ca: BooleanChunked = rows.iter().map(f).collect();
        ca.with_name(name.into()).into_series().into()
    };
    let a_col = || -> PolarsResult<Column> {
        let ca: Int128Chunked = rows
            .iter()
            .map(|r| {
                r.a.map(|a| {
                    let a = a.round_dp(3);
                    a.mantissa() * 10i128.pow(3 - a.scale().min(3))
                })
            })
            .collect();
        Ok(ca.with_name("a".into()).into_decimal_unchecked(18, 3).into_series().into())
    };
    // 27 columns, each one pass over a million rows: built side by side.
    type Build<'a> = Box<dyn Fn() -> PolarsResult<Column> + Sync + 'a>;
    let money = |name: &'static str, f: fn(&EntitlementRow) -> Option<Decimal>| -> Build {
        Box::new(move || money_col(name, rows.iter().map(f)))
    };
    let mut builds: Vec<Build> = vec![
        Box::new(|| Ok(str_col("seeker_id", rows.iter().map(|r| r.seeker_id.as_str())))),
        Box::new(|| Ok(str_col("agency_id", rows.iter().map(|r| r.agency_id.as_str())))),
        Box::new(|| Ok(str_col("right_id", rows.iter().map(|r| r.right_id.as_str())))),
        Box::new(|| Ok(month_col(rows.iter().map(|r| r.month)))),
        Box::new(|| Ok(str_col("basis", rows.iter().map(|r| r.basis)))),
        money("aj", |r| r.aj),
        money("degressive_rate", |r| r.degressive_rate),
        money("paid_rate", |r| r.paid_rate),
        Box::new(|| Ok(int("w", &|r| r.w))),
        Box::new(|| Ok(int("w_prime", &|r| r.w_prime))),
        money("e_declared", |r| r.e_declared),
        money("e_attested", |r| r.e_attested),
        Box::new(a_col),
        Box::new(|| Ok(int("days_due", &|r| r.days_due))),
        Box::new(|| Ok(boolean("ceiling_applied", &|r| r.ceiling_applied))),
        money("due", |r| Some(r.due)),
        money("paid", |r| Some(r.paid)),
        money("duplicates", |r| Some(r.duplicates)),
        money("f0", |r| Some(r.f[0])),
        money("f1", |r| Some(r.f[1])),
        money("f2", |r| Some(r.f[2])),
        money("f3", |r| Some(r.f[3])),
        money("f4", |r| Some(r.f[4])),
        money("f5", |r| Some(r.f[5])),
        money("delta", |r| Some(r.delta)),
    ];
    builds.push(Box::new(|| Ok(boolean("ambiguous", &|r| Some(r.ambiguous)))));
    builds.push(Box::new(|| Ok(boolean("held", &|r| Some(r.held)))));
    let build = || -> PolarsResult<DataFrame> {
        let cols = builds.par_iter().map(|b| b()).collect::<PolarsResult<Vec<Column>>>()?;
        DataFrame::new_infer_height(cols)
    };
    write(dir, "entitlements.parquet", build().map_err(|e| Error::output(&path, e))?, tag)
}
