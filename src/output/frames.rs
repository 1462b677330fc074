//! A computed run's outputs as typed data frames, for the Python module:
//! the columns of the CSV files, with money as Decimal(18, 2) (never a
//! float), dates as Date, counts and line numbers as Int64, and the closed
//! vocabularies (cause, status, channel, action, code…) as text.

use polars::prelude::*;

use super::parquet::{changes_frame, date_col, entitlements_frame, findings_frame, money_col, str_col};
use super::{AgencyRow, NoticeRow, AGENCIES_HEADER, AGENCY_ACTIONS};
use crate::run::Computed;
use crate::validate::Reject;

/// The outputs a run's folder holds as CSV, in this order.
pub const OUTPUTS: [&str; 6] = ["findings", "entitlements", "notices", "changes", "agencies", "rejects"];

/// One output of `c` as a frame (`None`: `name` is not one of [`OUTPUTS`]).
pub fn output_frame(c: &Computed, name: &str) -> PolarsResult<Option<DataFrame>> {
    Ok(Some(match name {
        "findings" => findings_frame(&c.rows.findings)?,
        "entitlements" => entitlements_frame(&c.rows.entitlements)?,
        "notices" => notices_frame(c.rows.notices.iter())?,
        "changes" => changes_frame(&c.rows.changes)?,
        "agencies" => agencies_frame(c.rows.agencies.iter())?,
        "rejects" => rejects_frame(&c.validated.rejects)?,
        _ => return Ok(None),
    }))
}

fn int_col(name: &str, values: impl Iterator<Item = i64>) -> Column {
    Column::new(name.into(), values.collect::<Vec<i64>>())
}

fn notices_frame<'a>(rows: impl Iterator<Item = &'a NoticeRow> + Clone) -> PolarsResult<DataFrame> {
    DataFrame::new_infer_height(vec![
        str_col("seeker_id", rows.clone().map(|r| r.seeker_id.as_str())),
        str_col("agency_id", rows.clone().map(|r| r.agency_id.as_str())),
        money_col("net", rows.clone().map(|r| Some(r.net)))?,
        str_col("channel", rows.clone().map(|r| r.channel.as_str())),
        date_col("notified_on", rows.clone().map(|r| Some(r.notified_on)))?,
        date_col("formal_notice_on", rows.clone().map(|r| r.formal_notice_on))?,
        str_col("finding_ids", rows.clone().map(|r| r.finding_ids.as_str())),
        str_col("action", rows.clone().map(|r| r.action.as_str())),
        money_col("previous_net", rows.clone().map(|r| r.previous_net))?,
        date_col("previous_formal_notice_on", rows.map(|r| r.previous_formal_notice_on))?,
    ])
}

fn agencies_frame<'a>(rows: impl Iterator<Item = &'a AgencyRow> + Clone) -> PolarsResult<DataFrame> {
    let mut cols = vec![
        str_col("agency_id", rows.clone().map(|r| r.agency_id.as_str())),
        int_col("seekers_notified", rows.clone().map(|r| r.seekers_notified as i64)),
        int_col("sms", rows.clone().map(|r| r.sms as i64)),
        int_col("phone", rows.clone().map(|r| r.phone as i64)),
        int_col("calls_to_expect", rows.clone().map(|r| r.calls_to_expect as i64)),
    ];
    for i in 0..7 {
        let name = AGENCIES_HEADER[5 + i];
        cols.push(money_col(name, rows.clone().map(|r| Some(r.sums()[i].1)))?);
    }
    for (i, action) in AGENCY_ACTIONS.iter().enumerate() {
        cols.push(int_col(action.as_str(), rows.clone().map(|r| r.actions[i] as i64)));
    }
    DataFrame::new_infer_height(cols)
}

/// Rejects as a frame (also those a failed run carries in its error).
pub fn rejects_frame(rows: &[Reject]) -> PolarsResult<DataFrame> {
    DataFrame::new_infer_height(vec![
        str_col("file", rows.iter().map(|r| r.file.as_str())),
        int_col("line", rows.iter().map(|r| r.line as i64)),
        str_col("record_id", rows.iter().map(|r| r.record_id.as_str())),
        str_col("column", rows.iter().map(|r| r.column.as_str())),
        str_col("code", rows.iter().map(|r| r.code.as_str())),
        str_col("message", rows.iter().map(|r| r.message.as_str())),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every name of OUTPUTS has its frame; another name has none.
    #[test]
    fn every_output_has_its_frame() {
        let tmp = tempfile::tempdir().unwrap();
        let opts = crate::run::RunOptions {
            inputs: crate::run::InputOptions {
                input: Some(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/cases/02-underdeclared")),
                ..Default::default()
            },
            out: tmp.path().join("out"),
            as_of: chrono::NaiveDate::from_ymd_opt(2024, 4, 15).unwrap(),
            rules: None,
            months: None,
            max_reject_rate: 0.01,
            previous: None,
            max_withdrawal_rate: 0.05,
            allow_empty: false,
            progress: false,
            shard: None,
            memory_limit: None,
            partitions: None,
            outputs: crate::OutputSet::All,
        };
        let c = crate::run::compute(&opts).unwrap();
        let heights: Vec<usize> = OUTPUTS.iter().map(|n| output_frame(&c, n).unwrap().unwrap().height()).collect();
        // Case 02 (its README): one finding, one month's entitlement, one
        // notice, one change (the finding is new: no previous night), one
        // agency, no reject.
        assert_eq!(heights, [1, 1, 1, 1, 1, 0]);
        assert!(output_frame(&c, "payslips").unwrap().is_none());
    }

    /// Each frame has the CSV file's columns, in its order.
    #[test]
    fn frames_name_the_csv_columns_in_order() {
        let names = |df: DataFrame| df.get_column_names().iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let headers = [
            (notices_frame([].iter()).unwrap(), super::super::NOTICES_HEADER),
            (agencies_frame([].iter()).unwrap(), AGENCIES_HEADER),
            (rejects_frame(&[]).unwrap(), super::super::REJECTS_HEADER),
            (findings_frame(&Default::default()).unwrap(), super::super::FINDINGS_HEADER),
            (changes_frame(&[]).unwrap(), super::super::CHANGES_HEADER),
            (entitlements_frame(&Default::default()).unwrap(), super::super::ENTITLEMENTS_HEADER),
        ];
        for (df, header) in headers {
            assert_eq!(names(df), header.to_vec());
        }
    }
}
