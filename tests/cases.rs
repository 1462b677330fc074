//! The acceptance suite: every hand-worked case of fixtures/cases and the
//! generated 5,000-seeker month, run through the real binary, must give the
//! expected findings and notices exactly.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use rust_decimal::Decimal;

fn check_case(case: &Path) -> Result<(), String> {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    // A hand-worked case is one seeker: a file without records (no payslip) is expected.
    run_ok(case, &out, &case_as_of(case), &["--allow-empty"]);
    let got = project(&read_csv(&out.join("findings.csv")), &["seeker_id", "month", "cause", "amount", "status"]);
    let want =
        project(&read_csv(&case.join("expected_findings.csv")), &["seeker_id", "month", "cause", "amount", "status"]);
    let cols = ["seeker_id", "net", "channel", "notified_on", "formal_notice_on"];
    let got_n = project(&read_csv(&out.join("notices.csv")), &cols);
    let want_n = project(&read_csv(&case.join("expected_notices.csv")), &cols);
    if got != want || got_n != want_n {
        return Err(format!(
            "{}:\n findings got  {got:?}\n findings want {want:?}\n notices got  {got_n:?}\n notices want {want_n:?}",
            case.display()
        ));
    }
    check_waterfall(&out)
}

/// Σ findings = delta for every seeker-month (to the cent), and delta = paid − due.
fn check_waterfall(out: &Path) -> Result<(), String> {
    let dec = |s: &str| s.parse::<Decimal>().unwrap();
    let mut sums: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    for f in read_csv(&out.join("findings.csv")) {
        *sums.entry((f["seeker_id"].clone(), f["month"].clone())).or_default() += dec(&f["amount"]);
    }
    for e in read_csv(&out.join("entitlements.csv")) {
        let key = (e["seeker_id"].clone(), e["month"].clone());
        let delta = dec(&e["delta"]);
        if dec(&e["paid"]) - dec(&e["due"]) != delta {
            return Err(format!("{key:?}: paid − due ≠ delta"));
        }
        let sum = sums.remove(&key).unwrap_or_default();
        if sum != delta {
            return Err(format!("{key:?}: findings add up to {sum}, delta is {delta}"));
        }
    }
    match sums.keys().next() {
        Some(k) => Err(format!("finding for {k:?} has no entitlement row")),
        None => Ok(()),
    }
}

#[test]
fn every_hand_worked_case_gives_its_expected_findings_and_notices() {
    let cases = case_dirs();
    assert_eq!(cases.len(), 18, "fixtures/cases should hold the 18 shared cases");
    let failures: Vec<String> = cases.iter().filter_map(|c| check_case(c).err()).collect();
    assert!(failures.is_empty(), "{} case(s) failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn the_french_export_reads_like_the_international_one() {
    let tmp = tempfile::tempdir().unwrap();
    let (fr, intl) = (tmp.path().join("fr"), tmp.path().join("intl"));
    run_ok(&fixtures().join("cases/16-french-export"), &fr, "2024-04-15", &[]);
    run_ok(&fixtures().join("cases/02-underdeclared"), &intl, "2024-04-15", &[]);
    for f in ["findings.csv", "entitlements.csv", "notices.csv", "agencies.csv"] {
        assert_eq!(std::fs::read(fr.join(f)).unwrap(), std::fs::read(intl.join(f)).unwrap(), "{f}");
    }
}

#[test]
fn the_generated_5k_month_agrees_finding_for_finding() {
    let month = fixtures().join("months/2024-03-5k");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run_ok(&month, &out, "2024-04-15", &[]);
    let cols = ["seeker_id", "agency_id", "month", "cause", "amount", "status", "time_barred_on"];
    let got = project(&read_csv(&out.join("findings.csv")), &cols);
    let want = project(&read_csv(&month.join("expected_findings.csv")), &cols);
    assert_eq!(want.len(), 1161);
    let missing: Vec<_> = want.iter().filter(|w| got.binary_search(w).is_err()).take(10).collect();
    let extra: Vec<_> = got.iter().filter(|g| want.binary_search(g).is_err()).take(10).collect();
    assert!(missing.is_empty() && extra.is_empty(), "missing {missing:?}\nextra {extra:?}");

    let cols = ["seeker_id", "agency_id", "net", "channel", "notified_on", "formal_notice_on"];
    let got = project(&read_csv(&out.join("notices.csv")), &cols);
    let want = project(&read_csv(&month.join("expected_notices.csv")), &cols);
    assert_eq!(want.len(), 995);
    assert_eq!(got, want);
    check_waterfall(&out).unwrap();
}

#[test]
fn a_contract_ended_before_november_2019_is_never_degressive() {
    // Spec v3 (docs/spec/rules.md §2): fixtures/v3/old-contract/README.md works it out.
    let case = fixtures().join("v3/old-contract");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run_ok(&case, &out, &case_as_of(&case), &["--allow-empty"]);
    let got = project(&read_csv(&out.join("findings.csv")), &["seeker_id", "month", "cause", "amount", "status"]);
    assert_eq!(got, ["S2,2020-01,processing_error,919.77,claim"]);
    let ent = project(&read_csv(&out.join("entitlements.csv")), &["seeker_id", "aj", "degressive_rate", "due"]);
    assert_eq!(ent, ["S1,114.00,,3534.00", "S2,114.00,84.33,2614.23"]);
    check_waterfall(&out).unwrap();
}
