//! `indus run` options and input forms: a month selection still counts the
//! days of the months it leaves out, a UTF-8 BOM is accepted, and a forced
//! dialect that does not fit the file is a clear error.

mod common;

use std::path::Path;

use common::*;

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// Two months on one right with 30 days of capital left: February (29 days,
/// no work) consumes 29, so March has 1 day left although 31 were paid.
fn two_months(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    write(dir, "rights.csv", "right_id,seeker_id,agency_id,opened_on,payable_from,closed_on,sjr,entitlement_days,days_paid_before,age_at_contract_end,contract_ended_on\nR1,S1,ARA-069-LYON3,2023-05-25,2023-06-01,,60.00,730,700,45,2023-05-20\n");
    write(dir, "declarations.csv", "declaration_id,seeker_id,month,declared_on,hours_worked,gross_earnings,sick_days,search_ended_on\nD1,S1,2024-02,2024-02-27,0,0.00,0,\nD2,S1,2024-03,2024-03-28,0,0.00,0,\n");
    write(
        dir,
        "attestations.csv",
        "attestation_id,seeker_id,employer_id,period_start,period_end,hours,gross_pay,received_on,conserved\n",
    );
    write(dir, "ledger.csv", "payment_id,seeker_id,right_id,month,kind,days,daily_rate,amount,paid_on\nP1,S1,R1,2024-02,advance,29,37.19,1078.51,2024-03-04\nP2,S1,R1,2024-03,advance,31,37.19,1152.89,2024-04-03\n");
}

#[test]
fn a_month_selection_still_counts_the_days_of_earlier_months() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    two_months(&input);
    // AJ = 0.404 × 60 + 12.95 = 37.19. February: 29 days due = 29 × 37.19 = 1078.51 = paid.
    // March: capital 730 − (700 + 29) = 1 day: Due = 37.19; F2 = 31 × 37.19 = 1152.89;
    // outside_entitlement = 1152.89 − 37.19 = 1115.70.
    let all = tmp.path().join("all");
    // One seeker without payslips: the empty attestations file is expected.
    run_ok(&input, &all, "2024-04-15", &["--allow-empty"]);
    let cols = ["seeker_id", "month", "cause", "amount", "status"];
    assert_eq!(
        project(&read_csv(&all.join("findings.csv")), &cols),
        vec!["S1,2024-03,outside_entitlement,1115.70,claim"]
    );
    assert_eq!(read_csv(&all.join("entitlements.csv")).len(), 2);

    let march = tmp.path().join("march");
    run_ok(&input, &march, "2024-04-15", &["--months", "2024-03", "--allow-empty"]);
    assert_eq!(
        project(&read_csv(&march.join("findings.csv")), &cols),
        vec!["S1,2024-03,outside_entitlement,1115.70,claim"]
    );
    let ent = read_csv(&march.join("entitlements.csv"));
    assert_eq!(ent.len(), 1, "only the selected month is written");
    assert_eq!((ent[0]["days_due"].as_str(), ent[0]["due"].as_str()), ("1", "37.19"));

    let o = indus(&[
        "run",
        "--input",
        input.to_str().unwrap(),
        "--out",
        tmp.path().join("x").to_str().unwrap(),
        "--as-of",
        "2024-04-15",
        "--months",
        "2024-3",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--months"));
}

#[test]
fn windows_line_ends_read_as_the_same_month() {
    // Exports from Windows tools end lines with CR LF: the last column's name
    // and values must not keep the CR.
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    copy_dir(&fixtures().join("cases/02-underdeclared"), &input);
    for f in ["rights.csv", "declarations.csv", "attestations.csv", "ledger.csv"] {
        let text = std::fs::read_to_string(input.join(f)).unwrap();
        std::fs::write(input.join(f), text.replace('\n', "\r\n")).unwrap();
    }
    let (out, lf) = (tmp.path().join("out"), tmp.path().join("lf"));
    run_ok(&input, &out, "2024-04-15", &[]);
    run_ok(&fixtures().join("cases/02-underdeclared"), &lf, "2024-04-15", &[]);
    for f in ["findings.csv", "entitlements.csv", "notices.csv", "rejects.csv"] {
        assert!(std::fs::read(out.join(f)).unwrap() == std::fs::read(lf.join(f)).unwrap(), "{f} differs with CR LF");
    }
}

#[test]
fn a_byte_order_mark_is_accepted() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    copy_dir(&fixtures().join("cases/02-underdeclared"), &input);
    for f in ["rights.csv", "ledger.csv"] {
        let text = std::fs::read_to_string(input.join(f)).unwrap();
        std::fs::write(input.join(f), format!("\u{feff}{text}")).unwrap();
    }
    let out = tmp.path().join("out");
    run_ok(&input, &out, "2024-04-15", &[]);
    assert_eq!(
        project(&read_csv(&out.join("findings.csv")), &["cause", "amount", "status"]),
        vec!["underdeclared_earnings,273.60,claim"]
    );
}

#[test]
fn a_forced_dialect_that_does_not_fit_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let case = fixtures().join("cases/16-french-export");
    let fr = tmp.path().join("fr");
    run_ok(&case, &fr, "2024-04-15", &["--dialect", "fr"]);
    assert_eq!(read_csv(&fr.join("findings.csv")).len(), 1);
    let o = indus(&[
        "run",
        "--input",
        case.to_str().unwrap(),
        "--out",
        tmp.path().join("intl").to_str().unwrap(),
        "--as-of",
        "2024-04-15",
        "--dialect",
        "intl",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("rights.csv: line 2 has 2 fields where the header has 1") && err.contains("--dialect fr"),
        "{err}"
    );
    assert!(!tmp.path().join("intl").exists());
}

#[test]
fn timings_go_to_stderr_by_stage_and_never_into_the_outputs() {
    let month = fixtures().join("months/2024-03-5k");
    let tmp = tempfile::tempdir().unwrap();
    let (plain, timed) = (tmp.path().join("plain"), tmp.path().join("timed"));
    let a = run_ok(&month, &plain, "2024-04-15", &[]);
    let b = run_ok(&month, &timed, "2024-04-15", &["--timings"]);
    assert_eq!(a.stdout, b.stdout, "the summary is the same");
    let stderr = String::from_utf8(b.stderr).unwrap();
    let stages: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("indus: timing "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(stages, ["ingest", "validate", "recompute", "reconcile", "write", "total"], "{stderr}");
    for l in stderr.lines().filter(|l| l.starts_with("indus: timing ")) {
        let f: Vec<&str> = l.split_whitespace().collect();
        assert_eq!((f[4], f[5], f[7], f[8]), ("s", "wall", "s", "cpu"), "{l}");
        assert!(f[3].parse::<f64>().unwrap() >= 0.0 && f[6].parse::<f64>().unwrap() >= 0.0, "{l}");
    }
    // Each stage's line ends with the process's peak memory so far: never
    // falling, and in MB (the 5k month's run takes tens of them, not
    // thousands and not none: ru_maxrss is in KiB).
    let peaks: Vec<f64> = stderr
        .lines()
        .filter(|l| l.starts_with("indus: timing ") && !l.contains(" total "))
        .map(|l| {
            assert!(l.ends_with(" MB peak so far"), "{l}");
            l.split_whitespace().nth(9).unwrap().parse().unwrap()
        })
        .collect();
    assert!(peaks.windows(2).all(|w| w[0] <= w[1]), "{peaks:?}");
    assert!((10.0..2000.0).contains(peaks.last().unwrap()), "{peaks:?}");
    assert!(String::from_utf8(a.stderr).unwrap().is_empty());
    for f in std::fs::read_dir(&plain).unwrap() {
        let name = f.unwrap().file_name();
        assert!(
            std::fs::read(plain.join(&name)).unwrap() == std::fs::read(timed.join(&name)).unwrap(),
            "{name:?} differs with --timings"
        );
    }
}
