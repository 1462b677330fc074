//! Bad input: each class of malformed record is rejected with its stable code
//! and holds its seeker-month to review; a file that cannot be read, lacks a
//! column or has too many rejects stops the run (exit 2) before any output.

mod common;

use std::path::{Path, PathBuf};

use common::*;

/// Case 02 (an under-declared month, claimed 273.60) with one line appended to `file`.
fn case02_with(dir: &Path, file: &str, line: &str) -> PathBuf {
    let input = dir.join("in");
    copy_dir(&fixtures().join("cases/02-underdeclared"), &input);
    let path = input.join(file);
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(line);
    text.push('\n');
    std::fs::write(path, text).unwrap();
    input
}

/// Runs case 02 with a bad line; checks the one reject and that S02 is held.
fn assert_rejected(file: &str, line: &str, record_id: &str, column: &str, code: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let input = case02_with(tmp.path(), file, line);
    let out = tmp.path().join("out");
    run_ok(&input, &out, "2024-04-15", &[]);
    let rejects = project(&read_csv(&out.join("rejects.csv")), &["file", "line", "record_id", "column", "code"]);
    assert_eq!(rejects, vec![format!("{file},3,{record_id},{column},{code}")], "{file}: {line}");
    let findings = project(&read_csv(&out.join("findings.csv")), &["seeker_id", "cause", "amount", "status"]);
    assert_eq!(findings, vec!["S02,underdeclared_earnings,273.60,review"], "the seeker-month is held");
    assert!(read_csv(&out.join("notices.csv")).is_empty(), "no notice for a held month");
    let message = &read_csv(&out.join("rejects.csv"))[0]["message"];
    assert!(message.starts_with(column), "the message names the column: {message}");
}

#[test]
fn rights_rejects() {
    let ok = "R-X,S02,ARA-069-LYON3,2023-05-25,2023-06-01,,80.00,730,100,45,2023-05-20";
    let bad = |i: usize, v: &str| {
        let mut f: Vec<&str> = ok.split(',').collect();
        f[i] = v;
        f.join(",")
    };
    assert_rejected("rights.csv", &bad(6, ""), "R-X", "sjr", "missing_value");
    assert_rejected("rights.csv", &bad(3, "2023-02-30"), "R-X", "opened_on", "bad_date");
    assert_rejected("rights.csv", &bad(7, "7x"), "R-X", "entitlement_days", "bad_integer");
    assert_rejected("rights.csv", &bad(6, "80.001"), "R-X", "sjr", "too_many_decimals");
    assert_rejected("rights.csv", &bad(6, "-80.00"), "R-X", "sjr", "negative_value");
    assert_rejected("rights.csv", &bad(5, "2023-05-31"), "R-X", "closed_on", "date_order");
    assert_rejected("rights.csv", &bad(4, "2023-05-01"), "R-X", "payable_from", "date_order");
    assert_rejected("rights.csv", &bad(0, "R-S02"), "R-S02", "right_id", "duplicate_id");
}

#[test]
fn declarations_rejects() {
    let ok = "D-X,S02,2024-03,2024-03-28,70,800.00,0,";
    let bad = |i: usize, v: &str| {
        let mut f: Vec<&str> = ok.split(',').collect();
        f[i] = v;
        f.join(",")
    };
    assert_rejected("declarations.csv", &bad(2, "2024-13"), "D-X", "month", "bad_month");
    assert_rejected("declarations.csv", &bad(5, "12.3.4"), "D-X", "gross_earnings", "bad_decimal");
    assert_rejected("declarations.csv", &bad(4, "-1"), "D-X", "hours_worked", "negative_value");
    assert_rejected("declarations.csv", &bad(6, "2.5"), "D-X", "sick_days", "bad_integer");
    assert_rejected("declarations.csv", &bad(3, ""), "D-X", "declared_on", "missing_value");
}

#[test]
fn attestations_rejects() {
    let ok = "A-X,S02,12345678900017,2024-03-01,2024-03-31,90,100.00,2024-03-31,false";
    let bad = |i: usize, v: &str| {
        let mut f: Vec<&str> = ok.split(',').collect();
        f[i] = v;
        f.join(",")
    };
    assert_rejected("attestations.csv", &bad(8, "maybe"), "A-X", "conserved", "bad_boolean");
    assert_rejected("attestations.csv", &bad(3, "2024-04-05"), "A-X", "period_end", "date_order");
    assert_rejected("attestations.csv", &bad(6, "-5.00"), "A-X", "gross_pay", "negative_value");
}

#[test]
fn ledger_rejects() {
    let ok = "P-X,S02,R-S02,2024-03,advance,1,45.60,45.60,2024-04-05";
    let bad = |i: usize, v: &str| {
        let mut f: Vec<&str> = ok.split(',').collect();
        f[i] = v;
        f.join(",")
    };
    assert_rejected("ledger.csv", &bad(4, "refund"), "P-X", "kind", "bad_enum");
    assert_rejected("ledger.csv", &bad(4, "reversal"), "P-X", "amount", "sign_mismatch");
    assert_rejected("ledger.csv", &bad(7, "-45.60"), "P-X", "amount", "sign_mismatch");
    assert_rejected("ledger.csv", &bad(5, "-1"), "P-X", "days", "negative_value");
    assert_rejected("ledger.csv", &bad(8, "2024-04-31"), "P-X", "paid_on", "bad_date");
    assert_rejected("ledger.csv", &bad(0, "P-S02-1"), "P-S02-1", "payment_id", "duplicate_id");
}

#[test]
fn records_after_as_of_are_set_aside_not_rejected() {
    let tmp = tempfile::tempdir().unwrap();
    // A second payment, paid after the as_of: not yet known, not a duplicate_id either.
    let input = case02_with(tmp.path(), "ledger.csv", "P-S02-1,S02,R-S02,2024-03,advance,19,45.60,866.40,2024-05-03");
    let out = tmp.path().join("out");
    run_ok(&input, &out, "2024-04-15", &[]);
    assert!(read_csv(&out.join("rejects.csv")).is_empty());
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let ledger = manifest["inputs"].as_array().unwrap().iter().find(|i| i["kind"] == "ledger").unwrap();
    assert_eq!(
        (ledger["rows_read"].as_u64(), ledger["not_yet_known"].as_u64(), ledger["rejected"].as_u64()),
        (Some(2), Some(1), Some(0))
    );
    let findings = project(&read_csv(&out.join("findings.csv")), &["cause", "amount", "status"]);
    assert_eq!(findings, vec!["underdeclared_earnings,273.60,claim"]);
}

fn run_fails(input: &Path, out: &Path) -> String {
    let o =
        indus(&["run", "--input", input.to_str().unwrap(), "--out", out.to_str().unwrap(), "--as-of", "2024-04-15"]);
    assert_eq!(o.status.code(), Some(2), "exit status 2");
    assert!(!out.exists(), "no output folder after a failed run");
    String::from_utf8(o.stderr).unwrap()
}

#[test]
fn a_missing_required_column_names_the_file_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    copy_dir(&fixtures().join("cases/02-underdeclared"), &input);
    let text = std::fs::read_to_string(input.join("rights.csv")).unwrap().replace(",sjr,", ",salary,");
    std::fs::write(input.join("rights.csv"), text).unwrap();
    let err = run_fails(&input, &tmp.path().join("out"));
    assert!(err.contains("rights.csv") && err.contains("`sjr`") && err.contains("salary"), "{err}");
}

#[test]
fn unreadable_files_stop_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    copy_dir(&fixtures().join("cases/02-underdeclared"), &input);
    std::fs::remove_file(input.join("ledger.csv")).unwrap();
    let err = run_fails(&input, &tmp.path().join("out"));
    assert!(err.contains("neither ledger.csv nor ledger.parquet is there"), "{err}");
    let err = run_fails(&tmp.path().join("no-such-folder"), &tmp.path().join("out"));
    assert!(err.contains("no-such-folder: no such input folder"), "{err}");

    copy_dir(&fixtures().join("cases/02-underdeclared"), &input);
    std::fs::write(input.join("declarations.csv"), b"declaration_id,seeker_id\n\xff\xfe,S02\n").unwrap();
    let err = run_fails(&input, &tmp.path().join("out"));
    assert!(err.contains("declarations.csv") && err.contains("UTF-8"), "{err}");

    copy_dir(&fixtures().join("cases/02-underdeclared"), &input);
    std::fs::remove_file(input.join("rights.csv")).unwrap();
    std::fs::write(input.join("rights.parquet"), b"this is not parquet").unwrap();
    let err = run_fails(&input, &tmp.path().join("out"));
    assert!(err.contains("rights.parquet") && err.contains("Parquet"), "{err}");
}

#[test]
fn too_many_rejects_fail_the_run_before_any_output() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    copy_dir(&fixtures().join("cases/02-underdeclared"), &input);
    let mut ledger = std::fs::read_to_string(input.join("ledger.csv")).unwrap();
    for i in 0..11 {
        ledger += &format!("P-BAD-{i},S02,R-S02,2024-03,refund,1,45.60,45.60,2024-04-05\n");
    }
    std::fs::write(input.join("ledger.csv"), ledger).unwrap();
    // A previous good output must survive the failed run untouched.
    let out = tmp.path().join("out");
    run_ok(&fixtures().join("cases/02-underdeclared"), &out, "2024-04-15", &[]);
    let before = std::fs::read(out.join("manifest.json")).unwrap();
    let o =
        indus(&["run", "--input", input.to_str().unwrap(), "--out", out.to_str().unwrap(), "--as-of", "2024-04-15"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(err.contains("ledger.csv") && err.contains("11 of 12 records") && err.contains("bad_enum 11"), "{err}");
    assert!(err.contains("line 3") && err.contains("P-BAD-0"), "lists the first rejects: {err}");
    assert_eq!(std::fs::read(out.join("manifest.json")).unwrap(), before);
    // The same file passes with a higher limit, its rejects written out.
    let out2 = tmp.path().join("out2");
    run_ok(&input, &out2, "2024-04-15", &["--max-reject-rate", "0.95"]);
    assert_eq!(read_csv(&out2.join("rejects.csv")).len(), 11);
}

#[test]
fn unknown_columns_are_ignored_and_named_once() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    copy_dir(&fixtures().join("cases/02-underdeclared"), &input);
    let text = std::fs::read_to_string(input.join("declarations.csv")).unwrap();
    let text: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| if i == 0 { format!("{l},channel\n") } else { format!("{l},web\n") })
        .collect();
    std::fs::write(input.join("declarations.csv"), text).unwrap();
    let o = run_ok(&input, &tmp.path().join("out"), "2024-04-15", &[]);
    let err = String::from_utf8(o.stderr).unwrap();
    assert_eq!(err.matches("channel").count(), 1, "{err}");
    assert!(err.contains("declarations.csv"), "{err}");
}

#[test]
fn duplicate_ids_reject_every_copy_after_the_first_in_file_order() {
    // An unsorted ledger: ids repeat across seekers and after rejected or
    // not-yet-known copies. Lines: 2 P-S02-1 (case 02's advance), then:
    let lines = [
        "P-Z9,S77,R-S77,2024-03,advance,1,10.00,10.00,2024-04-03", // 3: first P-Z9
        "P-A1,S99,R-S99,2024-03,advance,1,10.00,-10.00,2024-04-03", // 4: rejected (sign), still a first copy
        "P-Z9,S55,R-S55,2024-03,advance,1,10.00,10.00,2024-04-03", // 5: duplicate of line 3, another seeker
        "P-A1,S98,R-S98,2024-03,advance,1,10.00,10.00,2024-04-03", // 6: duplicate of rejected line 4
        "P-B2,S97,R-S97,2024-03,advance,1,10.00,10.00,2024-05-03", // 7: not yet known: no first copy
        "P-B2,S96,R-S96,2024-03,advance,1,10.00,10.00,2024-04-03", // 8: kept
        "P-S02-1,S02,R-S02,2024-03,advance,19,45.60,866.40,2024-04-03", // 9: duplicate of line 2
        "P-Z9,S77,R-S77,2024-03,advance,1,10.00,10.00,2024-04-03", // 10: third copy of P-Z9
    ];
    let tmp = tempfile::tempdir().unwrap();
    let input = case02_with(tmp.path(), "ledger.csv", &lines.join("\n"));
    let out = tmp.path().join("out");
    run_ok(&input, &out, "2024-04-15", &["--max-reject-rate", "1"]);
    let rejects = project(&read_csv(&out.join("rejects.csv")), &["line", "record_id", "code"]);
    let mut want = vec![
        "4,P-A1,sign_mismatch",
        "5,P-Z9,duplicate_id",
        "6,P-A1,duplicate_id",
        "9,P-S02-1,duplicate_id",
        "10,P-Z9,duplicate_id",
    ];
    want.sort();
    assert_eq!(rejects, want);
    // The first copies and the payment after a not-yet-known copy are
    // reconciled; a rejected copy makes no seeker-month of its own and holds
    // the month it names (line 10 holds S77's).
    let months = project(&read_csv(&out.join("entitlements.csv")), &["seeker_id", "paid", "held"]);
    assert_eq!(months, vec!["S02,866.40,true", "S77,10.00,true", "S96,10.00,false"]);
}

#[test]
fn an_amount_no_output_can_hold_is_a_reject_and_a_sum_of_them_stops_the_run() {
    // 10^16 € does not fit the outputs' Decimal(18, 2): the record is
    // rejected (out_of_range) with its line, and its seeker-month held.
    let tmp = tempfile::tempdir().unwrap();
    let line = "P-S02-2,S02,R-S02,2024-03,regularisation,0,45.60,10000000000000000.00,2024-04-05";
    let input = case02_with(tmp.path(), "ledger.csv", line);
    let out = tmp.path().join("out");
    run_ok(&input, &out, "2024-04-15", &[]);
    let rejects = project(&read_csv(&out.join("rejects.csv")), &["file", "line", "record_id", "column", "code"]);
    assert_eq!(rejects, ["ledger.csv,3,P-S02-2,amount,out_of_range"]);
    let findings = project(&read_csv(&out.join("findings.csv")), &["cause", "amount", "status"]);
    assert_eq!(findings, ["underdeclared_earnings,273.60,review"]);
    // Two amounts each under 10^16 € but summing over it: the run stops and
    // names the seeker, the month and the figure rather than write it wrong.
    let tmp = tempfile::tempdir().unwrap();
    let lines = "P-S02-2,S02,R-S02,2024-03,regularisation,0,45.60,6000000000000000.00,2024-04-05\n\
                 P-S02-3,S02,R-S02,2024-03,regularisation,0,45.60,6000000000000000.00,2024-04-06";
    let input = case02_with(tmp.path(), "ledger.csv", lines);
    let err = run_fails(&input, &tmp.path().join("out"));
    assert!(err.contains("seeker S02, month 2024-03:") && err.contains("more than 16 digits"), "{err}");
    // A night that writes no entitlements still checks them: it fails alike.
    let out = tmp.path().join("nightly");
    let o = run_input(&input, &out, "2024-04-15", &["--outputs", "nightly"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("seeker S02, month 2024-03:"), "{}", stderr(&o));
    assert!(!out.exists());
    // One cent less than 10^16 € in all is still written, to the cent.
    let tmp = tempfile::tempdir().unwrap();
    let line = "P-S02-2,S02,R-S02,2024-03,regularisation,0,45.60,9999999999999133.59,2024-04-05";
    let input = case02_with(tmp.path(), "ledger.csv", line);
    let out = tmp.path().join("out");
    run_ok(&input, &out, "2024-04-15", &[]);
    let ent = read_csv(&out.join("entitlements.csv"));
    assert_eq!(ent[0]["paid"], "9999999999999999.99");
}

#[test]
fn a_record_with_a_field_too_many_is_a_reject_naming_its_line() {
    // An unquoted decimal comma in an international file splits a value in
    // two: that record is rejected (bad_record), not the file, and the
    // lines after it keep their numbers.
    let tmp = tempfile::tempdir().unwrap();
    let lines = "P-S02-2,S02,R-S02,2024-03,regularisation,0,45.60,12,50,2024-04-05\n\
                 P-S02-3,S02,R-S02,2024-03,refund,1,45.60,45.60,2024-04-05";
    let input = case02_with(tmp.path(), "ledger.csv", lines);
    let out = tmp.path().join("out");
    run_ok(&input, &out, "2024-04-15", &[]);
    let rejects = read_csv(&out.join("rejects.csv"));
    assert_eq!(
        project(&rejects, &["file", "line", "record_id", "code"]),
        ["ledger.csv,3,P-S02-2,bad_record", "ledger.csv,4,P-S02-3,bad_enum"]
    );
    let bad = rejects.iter().find(|r| r["code"] == "bad_record").unwrap();
    assert!(bad["message"].contains("has 10 fields where the header has 9"), "{}", bad["message"]);
    assert!(bad["message"].contains("must be quoted"), "{}", bad["message"]);
    // Its seeker is held to review, every month of it.
    let findings = project(&read_csv(&out.join("findings.csv")), &["cause", "status"]);
    assert_eq!(findings, ["underdeclared_earnings,review"]);
}

#[test]
fn an_unclosed_quote_names_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    let input = case02_with(tmp.path(), "ledger.csv", "P-S02-2,S02,R-S02,2024-03,advance,1,\"45.60,45.60,2024-04-05");
    let err = run_fails(&input, &tmp.path().join("out"));
    assert!(err.contains("ledger.csv: line 3: a quoted value is not closed on its line"), "{err}");
    assert!(!err.contains("infer_schema_length"), "no hint meant for Python users: {err}");
}

#[test]
fn lines_without_any_value_are_not_records() {
    // A blank line inside the file, a line of bare separators and the blank
    // line many exports end with: ignored with a warning naming them, and the
    // lines after them keep their numbers.
    let tmp = tempfile::tempdir().unwrap();
    let lines = "\nP-X,S02,R-S02,2024-03,refund,1,45.60,45.60,2024-04-05\n,,,,,,,,\n";
    let input = case02_with(tmp.path(), "ledger.csv", lines);
    let out = tmp.path().join("out");
    let o = run_ok(&input, &out, "2024-04-15", &[]);
    let stderr = String::from_utf8(o.stderr).unwrap();
    assert!(stderr.contains("ledger.csv: ignoring 3 line(s) without any value: 3, 5, 6"), "{stderr}");
    let rejects = project(&read_csv(&out.join("rejects.csv")), &["line", "record_id", "code"]);
    assert_eq!(rejects, vec!["4,P-X,bad_enum"]);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let ledger = manifest["inputs"].as_array().unwrap().iter().find(|i| i["kind"] == "ledger").unwrap();
    assert_eq!((ledger["rows_read"].as_u64(), ledger["rejected"].as_u64()), (Some(2), Some(1)));
}

#[test]
fn a_record_for_a_month_before_the_rule_set_is_a_reject_in_the_run_and_ignored_outside_it() {
    // fr-are starts on 2019-07-01: a declaration for 2019-05 cannot be priced.
    let tmp = tempfile::tempdir().unwrap();
    let line = "D-S02-2019-05,S02,2019-05,2019-06-02,0,0.00,,";
    let input = case02_with(tmp.path(), "declarations.csv", line);
    let out = tmp.path().join("out");
    run_ok(&input, &out, "2024-04-15", &[]);
    let rejects = read_csv(&out.join("rejects.csv"));
    assert_eq!(
        project(&rejects, &["file", "line", "record_id", "column", "code"]),
        ["declarations.csv,3,D-S02-2019-05,month,out_of_range"]
    );
    assert!(rejects[0]["message"].contains("month 2019-05 is before the rule set's first month 2019-07"));
    // March 2024 is not touched by a reject of May 2019: still claimed.
    let findings = project(&read_csv(&out.join("findings.csv")), &["month", "cause", "status"]);
    assert_eq!(findings, ["2024-03,underdeclared_earnings,claim"]);
    // Outside --months, the record is not used at all (counted as ignored).
    let march = tmp.path().join("march");
    run_ok(&input, &march, "2024-04-15", &["--months", "2024-03"]);
    assert!(read_csv(&march.join("rejects.csv")).is_empty());
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(march.join("manifest.json")).unwrap()).unwrap();
    let decl = manifest["inputs"].as_array().unwrap().iter().find(|i| i["kind"] == "declarations").unwrap();
    assert_eq!(decl["ignored"], 1, "{decl}");
}

#[test]
fn a_sum_no_output_can_hold_stops_the_run_naming_it() {
    // Two months of S02 each overpaid by 6 × 10^15 €: every figure fits, but
    // the agency's claimed sum (and the seeker's net) would not.
    let tmp = tempfile::tempdir().unwrap();
    let lines = "P-S02-2,S02,R-S02,2024-03,regularisation,0,45.60,6000000000000000.00,2024-04-05\n\
                 P-S02-3,S02,R-S02,2024-02,advance,0,45.60,6000000000000000.00,2024-03-05";
    let input = case02_with(tmp.path(), "ledger.csv", lines);
    let decl = std::fs::read_to_string(input.join("declarations.csv")).unwrap();
    std::fs::write(input.join("declarations.csv"), decl + "D-S02-2024-02,S02,2024-02,2024-03-01,0,0.00,,\n").unwrap();
    let err = run_fails(&input, &tmp.path().join("out"));
    assert!(err.contains("agencies.csv, agency ARA-069-LYON3, claimed = 11999999999998951.20"), "{err}");
    assert!(err.contains("more than 16 digits"), "{err}");
}

#[test]
fn lone_cr_line_ends_and_a_column_named_twice_are_named_not_misread() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    copy_dir(&fixtures().join("cases/02-underdeclared"), &input);
    let ledger = std::fs::read_to_string(input.join("ledger.csv")).unwrap();
    std::fs::write(input.join("ledger.csv"), ledger.replace('\n', "\r")).unwrap();
    let err = run_fails(&input, &tmp.path().join("out"));
    assert!(err.contains("ledger.csv") && err.contains("lone CR"), "{err}");
    assert!(err.len() < 400, "a short message, not the polars column list: {err}");

    std::fs::write(input.join("ledger.csv"), ledger.replacen("amount", "days", 1)).unwrap();
    let err = run_fails(&input, &tmp.path().join("out"));
    assert!(err.contains("ledger.csv") && err.contains("names the column `days` twice"), "{err}");
}

#[test]
fn a_control_character_in_an_id_is_a_reject_not_an_output() {
    let tmp = tempfile::tempdir().unwrap();
    let input =
        case02_with(tmp.path(), "ledger.csv", "P-S02-\u{0}2,S02,R-S02,2024-03,regularisation,0,45.60,1.00,2024-04-05");
    let out = tmp.path().join("out");
    run_ok(&input, &out, "2024-04-15", &[]);
    let rejects = read_csv(&out.join("rejects.csv"));
    assert_eq!(project(&rejects, &["line", "column", "code"]), ["3,payment_id,bad_record"]);
    assert!(rejects[0]["message"].contains("U+0000"), "{}", rejects[0]["message"]);
    for f in ["findings.csv", "entitlements.csv", "notices.csv"] {
        assert!(!std::fs::read(out.join(f)).unwrap().contains(&0), "{f} holds a NUL");
    }
}

#[test]
fn a_reject_after_a_quoted_line_break_names_the_physical_line() {
    // The record on line 3 spans lines 3-4 (a quoted employer id with a line
    // break, itself rejected: an id holds no control character); the bad
    // record after it is on line 5, not "line 4".
    let tmp = tempfile::tempdir().unwrap();
    let lines = "A-S02-9,S02,\"1234\n5678\",2024-02-01,2024-02-29,10,100.00,2024-03-05,\n\
                 A-S02-10,S02,12345678901234,2024-02-01,2024-02-30,10,100.00,2024-03-05,";
    let input = case02_with(tmp.path(), "attestations.csv", lines);
    let out = tmp.path().join("out");
    run_ok(&input, &out, "2024-04-15", &[]);
    let rejects = project(&read_csv(&out.join("rejects.csv")), &["line", "record_id", "code"]);
    assert_eq!(rejects, ["3,A-S02-9,bad_record", "5,A-S02-10,bad_date"]);
}

#[test]
fn damaged_parquet_files_are_errors_not_crashes() {
    // Found by fuzzing (fuzz/input_parquet): polars' reader panics on six of
    // these (KIND-crash-HASH.parquet) and aborts the process on three
    // (KIND-abort-HASH.parquet: an allocation of 2^61 bytes) or panics outside
    // the read itself (KIND-panic-HASH.parquet): those are caught by reading
    // each Parquet input in a child process first.
    let mut checked = 0;
    for entry in std::fs::read_dir(fixtures().join("fuzz")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some((kind, _)) = ["-crash-", "-abort-", "-panic-"].iter().find_map(|sep| name.split_once(sep)) else {
            continue;
        };
        let tmp = tempfile::tempdir().unwrap();
        let input = tmp.path().join("in");
        copy_dir(&fixtures().join("cases/02-underdeclared"), &input);
        std::fs::remove_file(input.join(format!("{kind}.csv"))).unwrap();
        std::fs::copy(&path, input.join(format!("{kind}.parquet"))).unwrap();
        let err = run_fails(&input, &tmp.path().join("out"));
        assert!(
            err.contains(&format!("{kind}.parquet")) && err.contains("not a readable Parquet file"),
            "{name}: {err}"
        );
        checked += 1;
    }
    assert_eq!(checked, 11, "the eleven damaged files kept from fuzzing, each refused");
}

/// A blank line is a row to the CSV reader polars uses but not to the one
/// that finds records with a field too many: before the fix, the bad record
/// after a blank line was pinned on the row before it (a valid record was
/// rejected in its name, and the bad one ignored as a line without value).
#[test]
fn a_field_too_many_after_a_blank_line_rejects_that_record_at_its_own_line() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    copy_dir(&fixtures().join("cases/01-paid-right"), &input);
    let decl = input.join("declarations.csv");
    let mut text = std::fs::read_to_string(&decl).unwrap();
    // Lines 3 to 6: a valid record, a blank line, a bad date, a field too many.
    text.push_str(
        "D-X1,S01,2024-04,2024-04-28,0,0.00,0,\n\nD-X2,S01,2024-05,bad-date,0,0.00,0,\nD-X3,S01,2024-06,2024-06-28,0,0.00,0,,long\n",
    );
    std::fs::write(&decl, text).unwrap();
    let out = tmp.path().join("out");
    let o = run_ok(&input, &out, "2024-06-30", &["--allow-empty"]);
    let rejects = project(&read_csv(&out.join("rejects.csv")), &["line", "record_id", "code"]);
    assert_eq!(rejects, ["5,D-X2,bad_date", "6,D-X3,bad_record"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("ignoring 1 line(s) without any value: 4"));
    // D-X1 is a record of the run: its month is reconciled.
    let months = project(&read_csv(&out.join("entitlements.csv")), &["seeker_id", "month"]);
    assert!(months.contains(&"S01,2024-04".to_string()), "{months:?}");
}
