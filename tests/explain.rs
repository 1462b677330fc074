//! `indus explain` through the real binary: for every seeker-month of every
//! fixture case, the explanation's figures are the run's own (entitlements.csv
//! and findings.csv), every evidence id is resolved to a file and line, and
//! the text forms (English, French) carry the figures.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use serde_json::Value;

fn explain(case: &Path, seeker: &str, month: &str, as_of: &str, extra: &[&str]) -> String {
    let mut args =
        vec!["explain", "--input", case.to_str().unwrap(), "--seeker", seeker, "--month", month, "--as-of", as_of];
    args.extend_from_slice(extra);
    let o = indus(&args);
    assert!(o.status.success(), "explain {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn explanations_carry_the_runs_own_figures_for_every_case() {
    let mut checked = 0;
    let cases = case_dirs();
    for case in cases {
        let as_of = case_as_of(&case);
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        run_ok(&case, &out, &as_of, &["--allow-empty"]);
        let findings = read_csv(&out.join("findings.csv"));
        for row in read_csv(&out.join("entitlements.csv")) {
            let (seeker, month) = (&row["seeker_id"], &row["month"]);
            let x: Value = serde_json::from_str(&explain(&case, seeker, month, &as_of, &["--format", "json"])).unwrap();
            let ent: BTreeMap<String, String> = serde_json::from_value(x["entitlement"].clone()).unwrap();
            assert_eq!(ent, row, "{}: entitlement of {seeker} {month}", case.display());

            let want: Vec<&BTreeMap<String, String>> =
                findings.iter().filter(|f| &f["seeker_id"] == seeker && &f["month"] == month).collect();
            let got = x["findings"].as_array().unwrap();
            assert_eq!(got.len(), want.len(), "{}: findings of {seeker} {month}", case.display());
            for (g, w) in got.iter().zip(&want) {
                for col in ["finding_id", "cause", "amount", "status", "evidence"] {
                    assert_eq!(g[col].as_str().unwrap(), w[col], "{}: {col}", case.display());
                }
                assert_eq!(g["time_barred_on"].as_str().unwrap_or(""), w["time_barred_on"]);
                // Every record id of the evidence is shown with its file and line.
                for ev in w["evidence"].split(' ') {
                    let id = ev.split_once(':').unwrap().1;
                    let rec = x["records"].as_array().unwrap().iter().find(|r| r["id"] == id);
                    let rec = rec.unwrap_or_else(|| panic!("{}: evidence {ev} not among the records", case.display()));
                    assert!(rec["file"].as_str().unwrap().ends_with(".csv") && rec["line"].as_u64().unwrap() >= 2);
                }
            }
            // The waterfall's causes add up to delta.
            let sum: rust_decimal::Decimal = x["causes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["amount"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap())
                .sum();
            assert_eq!(sum.to_string(), row["delta"].parse::<rust_decimal::Decimal>().unwrap().to_string());

            let text = explain(&case, seeker, month, &as_of, &[]);
            let fr = explain(&case, seeker, month, &as_of, &["--lang", "fr"]);
            for f in &want {
                assert!(text.contains(&format!("{} €", f["amount"])), "{}: text lacks {}", case.display(), f["amount"]);
                assert!(
                    fr.contains(&format!("{} €", f["amount"].replace('.', ","))),
                    "{}: fr lacks {}",
                    case.display(),
                    f["amount"]
                );
            }
            assert!(fr.contains("deux mois"), "the French notice gives the contest delay");
            checked += 1;
        }
    }
    assert!(checked >= 19, "only {checked} seeker-months explained");
}

#[test]
fn explain_shows_each_step_of_case_11_by_hand() {
    let case = fixtures().join("cases/11-ceiling");
    let text = explain(&case, "S11", "2024-03", "2024-04-15", &[]);
    // AJ 31.59 capped at 30.00; A = 30 × 31 − 0.7 × 1000 = 230 → 7.67 → 8 days; ceiling → 7 days = 210.00.
    for needle in [
        "cap 0.75 × 40.00 = 30.0000 (applied",
        "AJ = 30.00 €",
        "A = 30.00 × 31 − 0.70 × 1000.00 = 230.000; A / 30.00 = 7.67 → 8 days",
        "ceiling: 1000.00 + 8 × 30.00 = 1240.00 > SJR 40.00 × 30.42 = 1216.80 → 7 days",
        "7 × 30.00 = 210.00 €",
        "processing_error = F1 − F3 − outside_entitlement = 30.00 €",
    ] {
        assert!(text.contains(needle), "missing `{needle}` in:\n{text}");
    }
}

#[test]
fn explain_names_a_seeker_or_month_it_cannot_find() {
    let case = fixtures().join("cases/02-underdeclared");
    let o = indus(&[
        "explain",
        "--input",
        case.to_str().unwrap(),
        "--seeker",
        "NOBODY",
        "--month",
        "2024-03",
        "--as-of",
        "2024-04-15",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("NOBODY"));
    let o = indus(&[
        "explain",
        "--input",
        case.to_str().unwrap(),
        "--seeker",
        "S02",
        "--month",
        "2024-05",
        "--as-of",
        "2024-04-15",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("2024-03"), "lists the months it has");
}

#[test]
fn the_ceiling_test_is_shown_for_every_step_and_french_has_no_english_domain_word() {
    let case = fixtures().join("cases/02-underdeclared");
    // SJR 80.00 × 30.42 = 2433.60, tested at F2 … F5 even where not reached.
    let en = explain(&case, "S02", "2024-03", "2024-04-15", &[]);
    assert_eq!(en.matches("≤ SJR 80.00 × 30.42 = 2433.60: not reached").count(), 4, "{en}");
    assert!(en.contains("ceiling: 1200.00 + 13 × 45.60 = 1792.80 ≤ SJR 80.00 × 30.42 = 2433.60"), "{en}");
    let fr = explain(&case, "S02", "2024-03", "2024-04-15", &["--lang", "fr"]);
    assert_eq!(fr.matches("≤ SJR 80,00 × 30,42 = 2433,60: non atteint").count(), 4, "{fr}");
    for word in [
        "right R-",
        "declaration D-",
        "attestation A-S02",
        "payment P-",
        ": used",
        "attested earnings",
        "base: attested",
        "): paid",
    ] {
        assert!(!fr.contains(word), "French explanation holds `{word}`:\n{fr}");
    }
    for word in [
        "droit R-S02",
        "actualisation D-S02-2024-03",
        "attestation employeur A-S02-1",
        "versement P-S02-1",
        "utilisé",
        "base: attestée",
    ] {
        assert!(fr.contains(word), "French explanation lacks `{word}`:\n{fr}");
    }
}
