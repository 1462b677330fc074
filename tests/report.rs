//! `indus report` through the real binary: run folders are built by `indus run`
//! on inputs made of the hand-worked fixture cases (fixtures/cases/*, whose
//! READMEs give every amount), and every table is checked against figures
//! worked out by hand from those cases' findings.
//!
//! The two scenarios:
//! - two months: M1 = case 15 (2021-03) run on 2024-03-15, with S15's
//!   declaration filed twice (an ambiguous month: its findings go to review);
//!   M2 = cases 03, 07, 12, 13 (without its declaration: `no_declaration`,
//!   review) and 17 (2024-03) run on 2024-04-15; agencies changed so that
//!   regions differ;
//! - two nights of 2024-03: night 1 (2024-04-15) does not know S02's payslip
//!   yet and pays S05 twice; night 2 (2024-04-16) knows the payslip and the
//!   duplicate payment is gone from the export.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use common::*;

const FILES: [&str; 4] = ["rights.csv", "declarations.csv", "attestations.csv", "ledger.csv"];

/// An input folder holding the records of the named fixture cases; `edit`
/// may change a record line (several lines may be returned) or drop it.
fn combine(dir: &Path, cases: &[&str], edit: impl Fn(&str, &str) -> Option<String>) {
    fs::create_dir_all(dir).unwrap();
    for file in FILES {
        let mut out = String::new();
        for (i, case) in cases.iter().enumerate() {
            let text = fs::read_to_string(fixtures().join("cases").join(case).join(file)).unwrap();
            let mut lines = text.lines();
            let header = lines.next().unwrap();
            if i == 0 {
                out += header;
                out += "\n";
            }
            for line in lines.filter(|l| !l.trim().is_empty()) {
                if let Some(l) = edit(file, line) {
                    out += &l;
                    out += "\n";
                }
            }
        }
        fs::write(dir.join(file), out).unwrap();
    }
}

/// A rights.csv line with the seeker's agency changed.
fn move_agency(line: &str, right: &str, agency: &str) -> Option<String> {
    if line.starts_with(&format!("{right},")) {
        Some(line.replace("ARA-069-LYON3", agency))
    } else {
        Some(line.to_string())
    }
}

fn report(runs: &[&Path], out: &Path, extra: &[&str]) -> String {
    let mut args: Vec<&str> = vec!["report"];
    args.extend(runs.iter().map(|p| p.to_str().unwrap()));
    args.extend(["--out", out.to_str().unwrap()]);
    args.extend_from_slice(extra);
    let o = indus(&args);
    assert!(o.status.success(), "indus {args:?} failed: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

/// A table's lines as written (header first), to check figures, order and format at once.
fn lines(dir: &Path, table: &str) -> Vec<String> {
    fs::read_to_string(dir.join(format!("{table}.csv"))).unwrap().lines().map(str::to_string).collect()
}

/// The runs M1 and M2 of the two-month scenario.
fn two_months(tmp: &Path) -> (PathBuf, PathBuf) {
    let in1 = tmp.join("in-2021-03");
    combine(&in1, &["15-time-barred"], |file, line| match file {
        "rights.csv" => move_agency(line, "R-S15", "OCC-031-TOULOUSE"),
        // The same declaration filed twice: the month is ambiguous, its findings go to review.
        "declarations.csv" if line.starts_with("D-S15-2021-03,") => {
            Some(format!("{line}\n{}", line.replacen("D-S15-2021-03", "D-S15-2021-03-bis", 1)))
        }
        _ => Some(line.to_string()),
    });
    let in2 = tmp.join("in-2024-03");
    combine(
        &in2,
        &["03-undeclared", "07-sick-leave", "12-no-right", "13-awaiting-payslip", "17-offset"],
        |file, line| {
            match file {
                "rights.csv" => move_agency(line, "R-S03", "IDF-075-PARIS11")
                    .and_then(|l| move_agency(&l, "R-S07", "IDF-093-BOBIGNY"))
                    .and_then(|l| move_agency(&l, "R-S13", "OCC-031-TOULOUSE"))
                    .and_then(|l| move_agency(&l, "R-S17", "IDF-075-PARIS11")),
                // S13 files no declaration: the payment has nothing behind it.
                "declarations.csv" if line.starts_with("D-S13-") => None,
                _ => Some(line.to_string()),
            }
        },
    );
    let (m1, m2) = (tmp.join("run-2021-03"), tmp.join("run-2024-03"));
    run_ok(&in1, &m1, "2024-03-15", &[]);
    run_ok(&in2, &m2, "2024-04-15", &[]);
    (m1, m2)
}

// The findings of the two-month scenario, from the cases' READMEs:
//
// | run | seeker | agency | month | cause | amount | status | basis | time_barred_on |
// |---|---|---|---|---|---|---|---|---|
// | M1 | S15 | OCC-031-TOULOUSE | 2021-03 | outside_entitlement | 363.60 | review (ambiguous) | declared | 2024-04-02 |
// | M1 | S15 | OCC-031-TOULOUSE | 2021-03 | rate_error | 1.47 | review (ambiguous) | declared | 2024-04-02 |
// | M1 | S16 | ARA-069-LYON3 | 2021-03 | rate_error | 2.17 | claim (run on 2024-03-15) | attested | 2024-04-02 |
// | M1 | S16 | ARA-069-LYON3 | 2021-03 | undeclared_activity | 1124.99 | claim | attested | 2031-04-02 |
// | M2 | S03 | IDF-075-PARIS11 | 2024-03 | undeclared_activity | 1027.65 | claim | attested | 2034-04-03 |
// | M2 | S07 | IDF-093-BOBIGNY | 2024-03 | outside_entitlement | 371.90 | claim | declared | 2027-04-03 |
// | M2 | S12 | ARA-069-LYON3 | 2024-03 | no_active_right | 1152.89 | claim | declared | 2027-04-03 |
// | M2 | S13 | OCC-031-TOULOUSE | 2024-03 | no_declaration | 743.80 (F1: 20 × 37.19) | review | declared | 2027-04-03 |
// | M2 | S17 | IDF-075-PARIS11 | 2024-03 | processing_error | -866.40 | owed | attested | (no payment) |
// | M2 | S17 | IDF-075-PARIS11 | 2024-03 | underdeclared_earnings | 273.60 | offset | attested | (no payment) |
//
// Notices: S16 1127.16 (2.17 + 1124.99) phone, S03 1027.65 phone, S07 371.90
// sms, S12 1152.89 phone; S15 and S13 are all in review, S17 nets -592.80.

#[test]
fn two_months_every_table_by_hand() {
    let tmp = tempfile::tempdir().unwrap();
    let (m1, m2) = two_months(tmp.path());
    let rep = tmp.path().join("report");
    let stdout = report(&[&m1, &m2], &rep, &[]);
    assert!(stdout.contains("report as of 2024-04-15 from 2 run(s): 10 findings kept of 10 read"), "{stdout}");

    assert_eq!(
        lines(&rep, "by_cause_status"),
        [
            "cause,status,findings,amount,overpaid,underpaid",
            "no_active_right,claim,1,1152.89,1152.89,0.00",
            "no_declaration,review,1,743.80,743.80,0.00",
            "processing_error,owed,1,-866.40,0.00,-866.40",
            "outside_entitlement,claim,1,371.90,371.90,0.00",
            "outside_entitlement,review,1,363.60,363.60,0.00",
            "rate_error,claim,1,2.17,2.17,0.00",
            "rate_error,review,1,1.47,1.47,0.00",
            // S16 1124.99 + S03 1027.65 = 2152.64
            "undeclared_activity,claim,2,2152.64,2152.64,0.00",
            "underdeclared_earnings,offset,1,273.60,273.60,0.00",
        ]
    );

    // contested (nights.md §8.2) closes the status sums: no decision here, so 0.00 throughout.
    let measures = "findings,amount,overpaid,underpaid,claim,review,owed,offset,time_barred,written_off,contested";
    assert_eq!(
        lines(&rep, "by_agency"),
        [
            format!("agency_id,region,{measures}"),
            // S16 2.17 + 1124.99, S12 1152.89: 2280.05, all claim
            "ARA-069-LYON3,ARA,3,2280.05,2280.05,0.00,2280.05,0.00,0.00,0.00,0.00,0.00,0.00".into(),
            // S03 1027.65 claim, S17 -866.40 owed + 273.60 offset: net 434.85, overpaid 1301.25
            "IDF-075-PARIS11,IDF,3,434.85,1301.25,-866.40,1027.65,0.00,-866.40,273.60,0.00,0.00,0.00".into(),
            "IDF-093-BOBIGNY,IDF,1,371.90,371.90,0.00,371.90,0.00,0.00,0.00,0.00,0.00,0.00".into(),
            // S15 363.60 + 1.47, S13 743.80: 1108.87, all review
            "OCC-031-TOULOUSE,OCC,3,1108.87,1108.87,0.00,0.00,1108.87,0.00,0.00,0.00,0.00,0.00".into(),
        ]
    );
    assert_eq!(
        lines(&rep, "by_region"),
        [
            format!("region,{measures}"),
            "ARA,3,2280.05,2280.05,0.00,2280.05,0.00,0.00,0.00,0.00,0.00,0.00".into(),
            // PARIS11 + BOBIGNY: 434.85 + 371.90 = 806.75; claim 1027.65 + 371.90 = 1399.55
            "IDF,4,806.75,1673.15,-866.40,1399.55,0.00,-866.40,273.60,0.00,0.00,0.00".into(),
            "OCC,3,1108.87,1108.87,0.00,0.00,1108.87,0.00,0.00,0.00,0.00,0.00".into(),
        ]
    );
    assert_eq!(
        lines(&rep, "by_month"),
        [
            format!("month,{measures}"),
            // 363.60 + 1.47 + 2.17 + 1124.99 = 1492.23; claim 1127.16, review 365.07
            "2021-03,4,1492.23,1492.23,0.00,1127.16,365.07,0.00,0.00,0.00,0.00,0.00".into(),
            // claim 1027.65 + 371.90 + 1152.89 = 2552.44; + 743.80 + 273.60 = 3569.84 overpaid; - 866.40 = 2703.44
            "2024-03,6,2703.44,3569.84,-866.40,2552.44,743.80,-866.40,273.60,0.00,0.00,0.00".into(),
        ]
    );
    assert_eq!(
        lines(&rep, "by_amount_band"),
        [
            format!("direction,band,lower,upper,{measures}"),
            // |1.47|, |2.17| < 100
            "overpaid,0-100,0.00,100.00,2,3.64,3.64,0.00,2.17,1.47,0.00,0.00,0.00,0.00,0.00".into(),
            // 371.90 claim + 363.60 review + 273.60 offset = 1009.10
            "overpaid,100-500,100.00,500.00,3,1009.10,1009.10,0.00,371.90,363.60,0.00,273.60,0.00,0.00,0.00".into(),
            "overpaid,500-1000,500.00,1000.00,1,743.80,743.80,0.00,0.00,743.80,0.00,0.00,0.00,0.00,0.00".into(),
            // 1124.99 + 1027.65 + 1152.89 = 3305.53
            "overpaid,1000-5000,1000.00,5000.00,3,3305.53,3305.53,0.00,3305.53,0.00,0.00,0.00,0.00,0.00,0.00".into(),
            // |-866.40| is in [500, 1000)
            "underpaid,500-1000,500.00,1000.00,1,-866.40,0.00,-866.40,0.00,0.00,-866.40,0.00,0.00,0.00,0.00".into(),
        ]
    );
    assert_eq!(
        lines(&rep, "by_basis"),
        [
            format!("basis,{measures}"),
            // S16 2.17 + 1124.99, S03 1027.65, S17 -866.40 + 273.60
            "attested,5,1562.01,2428.41,-866.40,2154.81,0.00,-866.40,273.60,0.00,0.00,0.00".into(),
            // S15 363.60 + 1.47, S07 371.90, S12 1152.89, S13 743.80
            "declared,5,2633.66,2633.66,0.00,1524.79,1108.87,0.00,0.00,0.00,0.00,0.00".into(),
        ]
    );
    assert_eq!(
        lines(&rep, "notices_by_agency"),
        [
            "agency_id,region,notices,seekers_notified,sms,phone,calls_to_expect,net,\
             first,held,withdrawn,unchanged,resumed,increased,decreased",
            // S16 (its notice names its latest counted month's agency) and S12: 1127.16 + 1152.89;
            // runs without --previous: every notice is a first one.
            "ARA-069-LYON3,ARA,2,2,0,2,0,2280.05,2,0,0,0,0,0,0",
            "IDF-075-PARIS11,IDF,1,1,0,1,0,1027.65,1,0,0,0,0,0,0",
            // S07 371.90 < 500: an SMS, so one call to expect
            "IDF-093-BOBIGNY,IDF,1,1,1,0,1,371.90,1,0,0,0,0,0,0",
        ]
    );
    assert_eq!(
        lines(&rep, "time_bar_horizon"),
        [
            "horizon,from,until,claim_findings,claim_amount,review_findings,review_amount,findings,amount",
            // M1 ran on 2024-03-15, when 2024-04-02 was still ahead: on 2024-04-15 it is past.
            // claim S16 2.17; review S15 363.60 + 1.47 = 365.07
            "already_past,,2024-04-15,1,2.17,2,365.07,3,367.24",
            "3_months,2024-04-15,2024-07-15,0,0.00,0,0.00,0,0.00",
            "6_months,2024-04-15,2024-10-15,0,0.00,0,0.00,0,0.00",
            "12_months,2024-04-15,2025-04-15,0,0.00,0,0.00,0,0.00",
        ]
    );
    assert_eq!(
        lines(&rep, "review_backlog"),
        [
            "age,months_from,months_to,findings,seeker_months,amount,overpaid,underpaid",
            "0-1,0,1,0,0,0.00,0.00,0.00",
            // S13 2024-03: 2024-03-01 + 1 month <= 2024-04-15 < + 2 months
            "1-3,1,3,1,1,743.80,743.80,0.00",
            "3-6,3,6,0,0,0.00,0.00,0.00",
            "6-12,6,12,0,0,0.00,0.00,0.00",
            // S15 2021-03: 37 months old, two findings of one seeker-month
            "12+,12,,2,1,365.07,365.07,0.00",
        ]
    );
    assert_eq!(
        lines(&rep, "summary"),
        [
            "figure,count,amount",
            // 5062.07 - 866.40
            "findings,10,4195.67",
            // every positive amount above
            "overpaid,9,5062.07",
            "underpaid,1,-866.40",
            "claim,5,3679.60",
            "review,3,1108.87",
            "owed,1,-866.40",
            "offset,1,273.60",
            "time_barred,0,0.00",
            "written_off,0,0.00",
            "contested,0,0.00",
            // 1127.16 + 1027.65 + 371.90 + 1152.89 = 3679.60
            "notices,4,3679.60",
            "notices_sms,1,",
            "notices_phone,3,",
            "calls_to_expect,1,",
            "seekers_notified,4,3679.60",
            // 3679.60 / 4
            "average_per_notified_seeker,,919.90",
            "time_barred_within_3_months,0,0.00",
            "time_barred_within_6_months,0,0.00",
            "time_barred_within_12_months,0,0.00",
        ]
    );
    let runs = read_csv(&rep.join("runs.csv"));
    assert_eq!(
        project(
            &runs,
            &["position", "as_of", "months", "precedence", "findings", "findings_kept", "notices", "notices_kept"]
        ),
        ["1,2024-03-15,2021-03,1,4,4,1,1", "2,2024-04-15,2024-03,2,6,6,3,3"]
    );

    // The same runs give the same bytes.
    let again = tmp.path().join("again");
    report(&[&m1, &m2], &again, &[]);
    for e in fs::read_dir(&rep).unwrap() {
        let name = e.unwrap().file_name();
        assert_eq!(fs::read(rep.join(&name)).unwrap(), fs::read(again.join(&name)).unwrap(), "{name:?} differs");
    }
}

#[test]
fn parquet_tables_hold_exact_decimals_and_dates() {
    use polars::prelude::*;
    let tmp = tempfile::tempdir().unwrap();
    let (m1, m2) = two_months(tmp.path());
    let rep = tmp.path().join("report");
    report(&[&m1, &m2], &rep, &[]);
    let read =
        |name: &str| ParquetReader::new(fs::File::open(rep.join(format!("{name}.parquet"))).unwrap()).finish().unwrap();
    let month = read("by_month");
    assert_eq!(month.column("amount").unwrap().dtype(), &DataType::Decimal(18, 2));
    assert_eq!(month.column("findings").unwrap().dtype(), &DataType::Int64);
    let amounts = month.column("amount").unwrap().as_materialized_series().decimal().unwrap().physical().clone();
    // 1492.23 and 2703.44, in cents
    assert_eq!(amounts.iter().collect::<Vec<_>>(), [Some(149223), Some(270344)]);
    let horizon = read("time_bar_horizon");
    assert_eq!(horizon.column("until").unwrap().dtype(), &DataType::Date);
    assert_eq!(horizon.column("from").unwrap().null_count(), 1, "already_past has no lower bound");
    for name in [
        "by_cause_status",
        "by_agency",
        "by_region",
        "by_amount_band",
        "by_basis",
        "notices_by_agency",
        "review_backlog",
        "summary",
    ] {
        let csv_rows = read_csv(&rep.join(format!("{name}.csv"))).len();
        assert_eq!(read(name).height(), csv_rows, "{name}: Parquet and CSV rows");
    }
}

#[test]
fn time_bar_horizon_bounds() {
    let tmp = tempfile::tempdir().unwrap();
    let (m1, _) = two_months(tmp.path());
    // S15 363.60 + 1.47 (review) and S16 2.17 (claim) fall on 2024-04-02; S16's
    // undeclared activity 1124.99 (claim) on 2031-04-02 (10 years).
    let horizon = |as_of: Option<&str>| {
        let out = tmp.path().join(format!("r-{}", as_of.unwrap_or("default")));
        let extra: Vec<&str> = as_of.map(|d| vec!["--as-of", d]).unwrap_or_default();
        report(&[&m1], &out, &extra);
        let rows = read_csv(&out.join("time_bar_horizon.csv"));
        rows.iter()
            .map(|r| format!("{} {} {} {}", r["horizon"], r["until"], r["findings"], r["amount"]))
            .collect::<Vec<_>>()
    };
    // Default as_of: the run's, 2024-03-15; 2024-04-02 is within 3 months.
    assert_eq!(
        horizon(None),
        [
            "already_past 2024-03-15 0 0.00",
            "3_months 2024-06-15 3 367.24",
            "6_months 2024-09-15 3 367.24",
            "12_months 2025-03-15 3 367.24"
        ]
    );
    // On its prescription date a claim is still recoverable (barred when the date is before as_of).
    assert_eq!(horizon(Some("2024-04-02"))[..2], ["already_past 2024-04-02 0 0.00", "3_months 2024-07-02 3 367.24"]);
    // The day after, it is past.
    assert_eq!(horizon(Some("2024-04-03"))[..2], ["already_past 2024-04-03 3 367.24", "3_months 2024-07-03 0 0.00"]);
    // 12 months from 2023-04-02 end before 2024-04-02: not yet in the horizon; from 2023-04-03 it is.
    assert_eq!(horizon(Some("2023-04-02"))[3], "12_months 2024-04-02 0 0.00");
    assert_eq!(horizon(Some("2023-04-03"))[2..], ["6_months 2023-10-03 0 0.00", "12_months 2024-04-03 3 367.24"]);
    // Fraud prescription: 1124.99 falls on 2031-04-02, within 12 months of 2030-06-01.
    assert_eq!(horizon(Some("2030-06-01"))[3], "12_months 2031-06-01 1 1124.99");
}

/// Nights of 2024-03: night 1 does not know S02's payslip yet (received
/// 2024-04-16) and has S05's duplicate payment; night 2's export has no duplicate.
fn nights(tmp: &Path) -> (PathBuf, PathBuf) {
    let agencies = |line: &str| {
        move_agency(line, "R-S02", "IDF-075-PARIS11")
            .and_then(|l| move_agency(&l, "R-S03", "IDF-093-BOBIGNY"))
            .and_then(|l| move_agency(&l, "R-S05", "ARA-038-GRENOBLE"))
    };
    let cases = ["02-underdeclared", "03-undeclared", "05-duplicate", "12-no-right"];
    let in1 = tmp.join("in-night1");
    combine(&in1, &cases, |file, line| match file {
        "rights.csv" => agencies(line),
        "attestations.csv" if line.starts_with("A-S02-1,") => {
            Some(line.replace(",2024-03-31,false", ",2024-04-16,false"))
        }
        _ => Some(line.to_string()),
    });
    let in2 = tmp.join("in-night2");
    combine(&in2, &cases, |file, line| match file {
        "rights.csv" => agencies(line),
        "attestations.csv" if line.starts_with("A-S02-1,") => {
            Some(line.replace(",2024-03-31,false", ",2024-04-16,false"))
        }
        "ledger.csv" if line.starts_with("P-S05-2,") => None,
        _ => Some(line.to_string()),
    });
    (in1, in2)
}

// Night 1 (2024-04-15): S02 declared basis, 19 days = 866.40 paid: no finding;
// S03 undeclared_activity 1027.65, S05 duplicate_payment 1152.89, S12
// no_active_right 1152.89, all claim, three phone notices.
// Night 2 (2024-04-16): S02 underdeclared_earnings 273.60 (sms), S03 1027.65,
// S12 1152.89; S05 paid once, as due: no finding.

#[test]
fn the_newest_night_wins_and_nothing_counts_twice() {
    let tmp = tempfile::tempdir().unwrap();
    let (in1, in2) = nights(tmp.path());
    let (n1, n2) = (tmp.path().join("night1"), tmp.path().join("night2"));
    run_ok(&in1, &n1, "2024-04-15", &[]);
    run_ok(&in2, &n2, "2024-04-16", &[]);
    assert_eq!(read_csv(&n1.join("findings.csv")).len(), 3);
    assert_eq!(read_csv(&n2.join("findings.csv")).len(), 3);

    for (name, order) in [("forward", [&n1, &n2]), ("backward", [&n2, &n1])] {
        let rep = tmp.path().join(name);
        report(&[order[0].as_path(), order[1].as_path()], &rep, &[]);
        // Night 2's findings only: 273.60 + 1027.65 + 1152.89 = 2454.14 (both nights added would be 5787.57).
        assert_eq!(
            lines(&rep, "by_cause_status")[1..],
            [
                "no_active_right,claim,1,1152.89,1152.89,0.00",
                "undeclared_activity,claim,1,1027.65,1027.65,0.00",
                "underdeclared_earnings,claim,1,273.60,273.60,0.00",
            ],
            "{name}"
        );
        let summary = lines(&rep, "summary");
        assert_eq!(summary[2], "overpaid,3,2454.14", "{name}");
        // Night 1's notices (S03, S05, S12) yield to night 2's (S02 sms, S03 and S12 phone).
        assert_eq!(summary[10], "contested,0,0.00");
        assert_eq!(
            summary[11..16],
            [
                "notices,3,2454.14",
                "notices_sms,1,",
                "notices_phone,2,",
                "calls_to_expect,1,",
                "seekers_notified,3,2454.14"
            ]
        );
        // 2454.14 / 3 = 818.0466…
        assert_eq!(summary[16], "average_per_notified_seeker,,818.05");
        // S05's superseded duplicate leaves no trace at ARA-038-GRENOBLE.
        assert_eq!(
            lines(&rep, "notices_by_agency")[1..],
            [
                "ARA-069-LYON3,ARA,1,1,0,1,0,1152.89,1,0,0,0,0,0,0",
                "IDF-075-PARIS11,IDF,1,1,1,0,1,273.60,1,0,0,0,0,0,0",
                "IDF-093-BOBIGNY,IDF,1,1,0,1,0,1027.65,1,0,0,0,0,0,0"
            ]
        );
        assert!(!lines(&rep, "by_agency").iter().any(|l| l.starts_with("ARA-038-GRENOBLE")), "{name}");
        let runs: BTreeMap<String, String> = read_csv(&rep.join("runs.csv"))
            .into_iter()
            .map(|r| {
                (
                    r["as_of"].clone(),
                    format!("{}/{} {}/{}", r["findings_kept"], r["findings"], r["notices_kept"], r["notices"]),
                )
            })
            .collect();
        assert_eq!(runs["2024-04-15"], "0/3 0/3", "{name}");
        assert_eq!(runs["2024-04-16"], "3/3 3/3", "{name}");
    }
}

#[test]
fn between_equal_as_of_the_last_named_wins() {
    let tmp = tempfile::tempdir().unwrap();
    let (in1, in2) = nights(tmp.path());
    // Both on 2024-04-15: neither knows S02's payslip; A has S05's duplicate, B not.
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    run_ok(&in1, &a, "2024-04-15", &[]);
    run_ok(&in2, &b, "2024-04-15", &[]);
    let overpaid = |runs: [&Path; 2], name: &str| {
        let rep = tmp.path().join(name);
        report(&runs, &rep, &[]);
        lines(&rep, "summary")[2].clone()
    };
    // B last: S03 1027.65 + S12 1152.89
    assert_eq!(overpaid([&a, &b], "ab"), "overpaid,2,2180.54");
    // A last: + S05 1152.89
    assert_eq!(overpaid([&b, &a], "ba"), "overpaid,3,3333.43");
    // A folder named twice counts once.
    assert_eq!(overpaid([&a, &a], "aa"), "overpaid,3,3333.43");
}

#[test]
fn report_html_is_self_contained_with_every_chart_and_the_headline() {
    let tmp = tempfile::tempdir().unwrap();
    let (m1, m2) = two_months(tmp.path());
    let rep = tmp.path().join("report");
    report(&[&m1, &m2], &rep, &[]);
    let html = fs::read_to_string(rep.join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    let opened = html.matches("<svg").count();
    assert_eq!(opened, 7, "seven charts");
    assert_eq!(html.matches("</svg>").count(), opened, "balanced <svg> tags");
    for title in [
        "Overpaid amount by cause",
        "Overpaid amount by month of payment",
        "Overpaid amount by amount band",
        "Calls to expect per agency",
        "Claims becoming time-barred",
        "Review backlog by age",
        "Overpaid amount by region",
    ] {
        assert!(html.contains(&format!("<h2>{title}</h2>")), "no chart {title}");
    }
    // Nothing to fetch: no script, no external resource (only the SVG namespace names a URL).
    for bad in ["<script", "<link", "<img", "src=", "href=", "url(", "@import", "https://"] {
        assert!(!html.contains(bad), "report.html holds {bad}");
    }
    assert_eq!(html.matches("http://").count(), html.matches("http://www.w3.org/2000/svg").count());
    // The headline in words, figures as printed (see two_months_every_table_by_hand).
    for figure in [
        "Seekers were overpaid <b>5,062.07 €</b> in 9 findings",
        "<b>3,679.60 €</b> can be claimed now",
        "<b>1,108.87 €</b> is in review",
        "<b>0.00 €</b> is time-barred",
        "Seekers are owed <b>866.40 €</b>",
        "<b>4 seekers</b> are to be notified: <b>1 by SMS</b>",
        "<b>3 by phone</b>, <b>919.90 €</b> on average per notified seeker",
    ] {
        assert!(html.contains(figure), "no `{figure}` in the headline");
    }
    // Bar labels: cause totals in whole euros, e.g. undeclared activity 2152.64 -> 2,153 €.
    assert!(html.contains(">\n2,153 €\n</text>"), "cause bar label");
    assert!(html.contains(">\n1 to expect, 0 to make\n</text>"), "calls label of IDF-093-BOBIGNY");
}

#[test]
fn the_5k_month_adds_up_to_its_expected_findings() {
    // Differential: the report's totals equal sums over the month's independently computed expected files.
    let tmp = tempfile::tempdir().unwrap();
    let month = fixtures().join("months/2024-03-5k");
    let run = tmp.path().join("run");
    run_ok(&month, &run, "2024-04-15", &[]);
    let rep = tmp.path().join("report");
    report(&[&run], &rep, &[]);
    let dec = |s: &str| s.parse::<rust_decimal::Decimal>().unwrap();
    let mut by_status: BTreeMap<String, (u64, rust_decimal::Decimal)> = BTreeMap::new();
    for f in read_csv(&month.join("expected_findings.csv")) {
        let e = by_status.entry(f["status"].clone()).or_default();
        e.0 += 1;
        e.1 += dec(&f["amount"]);
    }
    let summary: BTreeMap<String, (String, String)> = read_csv(&rep.join("summary.csv"))
        .into_iter()
        .map(|r| (r["figure"].clone(), (r["count"].clone(), r["amount"].clone())))
        .collect();
    for (status, (n, amount)) in &by_status {
        assert_eq!(summary[status], (n.to_string(), format!("{amount:.2}")), "{status}");
    }
    let notices = read_csv(&month.join("expected_notices.csv"));
    let sms = notices.iter().filter(|n| n["channel"] == "sms").count();
    assert_eq!(summary["notices"].0, notices.len().to_string());
    assert_eq!(summary["calls_to_expect"].0, sms.to_string());
    let calls: u64 =
        read_csv(&rep.join("notices_by_agency.csv")).iter().map(|r| r["calls_to_expect"].parse::<u64>().unwrap()).sum();
    assert_eq!(calls, sms as u64);
}

#[test]
fn unreadable_runs_and_run_folders_as_destination_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, m2) = two_months(tmp.path());
    // Not a run folder: exit 2, naming it.
    let not_a_run = tmp.path().join("in-2024-03");
    let out = tmp.path().join("rep");
    let o = indus(&["report", not_a_run.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("in-2024-03") && err.contains("manifest.json"), "{err}");
    assert!(!out.exists(), "nothing written");
    // A run's folder is never replaced by a report.
    let before = fs::read(m2.join("findings.csv")).unwrap();
    let o = indus(&["report", m2.to_str().unwrap(), "--out", m2.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let run1 = tmp.path().join("run-2021-03");
    let o2 = indus(&["report", m2.to_str().unwrap(), "--out", run1.to_str().unwrap()]);
    assert_eq!(o2.status.code(), Some(2), "{}", String::from_utf8_lossy(&o2.stderr));
    assert_eq!(fs::read(m2.join("findings.csv")).unwrap(), before);
    assert!(run1.join("findings.csv").exists());
    // A missing findings.parquet names the file.
    fs::remove_file(m2.join("findings.parquet")).unwrap();
    let o = indus(&["report", m2.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("findings.parquet"));
}

/// A chain of nights (fixtures/nights/05: a claim of 273.60 notified by SMS,
/// then contested and upheld the next night): the report keeps the latest
/// night, shows the contested amount as a status of its own, and counts the
/// withdrawal as the one message sent.
#[test]
fn a_chain_of_nights_shows_what_was_sent_last_and_the_contested_amount() {
    let tmp = tempfile::tempdir().unwrap();
    let pair = fixtures().join("nights/05-contest-upheld");
    let (n1, n2) = (tmp.path().join("n1"), tmp.path().join("n2"));
    run_ok(&pair.join("night1"), &n1, "2024-04-15", &[]);
    run_ok(&pair.join("night2"), &n2, "2024-04-16", &["--previous", n1.to_str().unwrap()]);
    let rep = tmp.path().join("rep");
    let stdout = report(&[&n1, &n2], &rep, &[]);
    assert_eq!(lines(&rep, "by_cause_status")[1..], ["underdeclared_earnings,contested,1,273.60,273.60,0.00"]);
    assert_eq!(
        lines(&rep, "by_agency")[0],
        "agency_id,region,findings,amount,overpaid,underpaid,claim,review,owed,offset,time_barred,written_off,contested"
    );
    assert_eq!(
        lines(&rep, "by_agency")[1],
        "ARA-069-LYON3,ARA,1,273.60,273.60,0.00,0.00,0.00,0.00,0.00,0.00,0.00,273.60"
    );
    // One row, night 2's: the withdrawal is the message sent (an SMS, so one call to expect).
    assert_eq!(
        lines(&rep, "notices_by_agency"),
        [
            "agency_id,region,notices,seekers_notified,sms,phone,calls_to_expect,net,first,held,withdrawn,unchanged,resumed,increased,decreased",
            "ARA-069-LYON3,ARA,1,1,1,0,1,0.00,0,0,1,0,0,0,0"
        ]
    );
    assert!(stdout.contains("contested"), "{stdout}");
    assert!(stdout.contains("by action: 1 withdrawn"), "{stdout}");
    let html = fs::read_to_string(rep.join("report.html")).unwrap();
    assert!(html.contains("contested: the seeker"), "the contested series has its legend");

    // The same pair, unchanged the next night: nothing is sent again.
    let n3 = tmp.path().join("n3");
    run_ok(&pair.join("night2"), &n3, "2024-04-17", &["--previous", n2.to_str().unwrap()]);
    let rep3 = tmp.path().join("rep3");
    report(&[&n1, &n2, &n3], &rep3, &[]);
    // Night 3 wins S02's month and has no notice (a withdrawn notice is not carried): it sent nothing.
    assert_eq!(lines(&rep3, "notices_by_agency").len(), 1, "the header only");
    assert_eq!(lines(&rep3, "by_cause_status")[1..], ["underdeclared_earnings,contested,1,273.60,273.60,0.00"]);
}
