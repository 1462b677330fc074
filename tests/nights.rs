//! Pairs of nights (fixtures/nights, worked by hand): night 1 alone, then
//! night 2 with `--previous` = night 1's output, through the real binary.
//! Findings, notices (with their action and the previous night's figures),
//! changes and agencies must equal `expected/nightN/` — a projection of the
//! full files on the columns each expected file has — row for row, in order.

mod common;

use std::path::{Path, PathBuf};

use common::*;

fn night_dirs() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(fixtures().join("nights"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

/// The two `as_of` a pair's README names ("Night 1 runs with `as_of` = …; night 2 with `as_of` = …").
fn as_ofs(pair: &Path) -> [String; 2] {
    let readme = std::fs::read_to_string(pair.join("README.md")).unwrap();
    let mut found = readme.match_indices("`as_of` = ").map(|(i, m)| readme[i + m.len()..i + m.len() + 10].to_string());
    [found.next().expect("night 1's as_of"), found.next().expect("night 2's as_of")]
}

/// Rows of `got` projected on the columns of `want`'s header, compared in order.
fn compare(got: &Path, want: &Path) -> Result<(), String> {
    let want_rows = read_csv(want);
    let header: Vec<String> =
        csv::Reader::from_path(want).unwrap().headers().unwrap().iter().map(String::from).collect();
    let got_rows = read_csv(got);
    let line = |r: &std::collections::BTreeMap<String, String>| -> Result<String, String> {
        header
            .iter()
            .map(|c| r.get(c).cloned().ok_or_else(|| format!("{} has no column {c}", got.display())))
            .collect::<Result<Vec<_>, _>>()
            .map(|v| v.join(","))
    };
    let g: Vec<String> = got_rows.iter().map(line).collect::<Result<_, _>>()?;
    let w: Vec<String> = want_rows.iter().map(line).collect::<Result<_, _>>()?;
    if g != w {
        return Err(format!("{}:\n  got\n    {}\n  want\n    {}", want.display(), g.join("\n    "), w.join("\n    ")));
    }
    Ok(())
}

fn check_pair(pair: &Path) -> Result<(), String> {
    let tmp = tempfile::tempdir().unwrap();
    let [as_of1, as_of2] = as_ofs(pair);
    let (out1, out2) = (tmp.path().join("night1"), tmp.path().join("night2"));
    run_ok(&pair.join("night1"), &out1, &as_of1, &[]);
    run_ok(&pair.join("night2"), &out2, &as_of2, &["--previous", out1.to_str().unwrap()]);
    let mut errors = Vec::new();
    for (night, out) in [("night1", &out1), ("night2", &out2)] {
        for file in ["findings.csv", "notices.csv", "changes.csv", "agencies.csv"] {
            if let Err(e) = compare(&out.join(file), &pair.join("expected").join(night).join(file)) {
                errors.push(e);
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("\n"))
    }
}

#[test]
fn every_pair_of_nights_gives_its_expected_findings_notices_changes_and_agencies() {
    let pairs = night_dirs();
    assert_eq!(pairs.len(), 9, "fixtures/nights should hold the 9 hand-worked pairs");
    let failures: Vec<String> = pairs.iter().filter_map(|p| check_pair(p).err()).collect();
    assert!(failures.is_empty(), "{} pair(s) failed:\n{}", failures.len(), failures.join("\n"));
}

/// `indus run` of `input` into `out` with extra arguments; the process output.
fn run(input: &Path, out: &Path, as_of: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["run", "--input", input.to_str().unwrap(), "--out", out.to_str().unwrap(), "--as-of", as_of];
    args.extend_from_slice(extra);
    indus(&args)
}

/// Night 1 of a pair, run into `tmp/night1`.
fn night1(pair: &str, tmp: &Path) -> PathBuf {
    let out = tmp.join("night1");
    run_ok(&fixtures().join("nights").join(pair).join("night1"), &out, "2024-04-15", &[]);
    out
}

/// Asserts that a run failed with exit 2 and that stderr holds every one of `words`.
fn assert_refused(o: &std::process::Output, words: &[&str]) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    for w in words {
        assert!(err.contains(w), "stderr should name `{w}`: {err}");
    }
}

#[test]
fn a_previous_folder_that_is_not_a_whole_unchanged_run_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let prev = night1("01-rerun-unchanged", tmp.path());
    let input = fixtures().join("nights/01-rerun-unchanged/night2");
    let out = tmp.path().join("night2");
    let with = |p: &Path| run(&input, &out, "2024-04-16", &["--previous", p.to_str().unwrap()]);

    // Not a run: an empty folder, and a folder that does not exist.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    assert_refused(&with(&empty), &["previous run", "empty", "not an indus run folder"]);
    assert_refused(&with(&tmp.path().join("nowhere")), &["previous run", "nowhere", "no such folder"]);

    // Incomplete: its notices are gone.
    let incomplete = tmp.path().join("incomplete");
    copy_dir(&prev, &incomplete);
    std::fs::remove_file(incomplete.join("notices.csv")).unwrap();
    assert_refused(&with(&incomplete), &["incomplete", "notices.csv"]);

    // Edited since: one amount of its findings.
    let edited = tmp.path().join("edited");
    copy_dir(&prev, &edited);
    let text = std::fs::read_to_string(edited.join("findings.csv")).unwrap();
    std::fs::write(edited.join("findings.csv"), text.replace("273.60", "237.60")).unwrap();
    assert_refused(&with(&edited), &["findings.csv no longer matches its manifest"]);

    // --out is the previous folder itself; a previous night later than tonight.
    assert_refused(&run(&input, &prev, "2024-04-16", &["--previous", prev.to_str().unwrap()]), &["the --previous run"]);
    assert_refused(
        &run(&input, &out, "2024-04-14", &["--previous", prev.to_str().unwrap()]),
        &["as_of 2024-04-15 is after tonight's 2024-04-14"],
    );
    // Nothing was written by any refused night, and the previous run is intact.
    assert!(!out.exists());
    assert_eq!(with(&prev).status.code(), Some(0));
}

#[test]
fn a_previous_run_under_another_rule_set_is_refused_and_a_new_version_is_allowed() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules/fr-are.toml")).unwrap();
    let other_id = tmp.path().join("other.toml");
    std::fs::write(&other_id, rules.replace("id = \"fr-are\"", "id = \"fr-are-test\"")).unwrap();
    let other_version = tmp.path().join("version.toml");
    std::fs::write(&other_version, rules.replace("version = \"2025-07-01\"", "version = \"2026-01-01\"")).unwrap();
    let pair = fixtures().join("nights/01-rerun-unchanged");
    let prev = tmp.path().join("prev");
    run_ok(&pair.join("night1"), &prev, "2024-04-15", &["--rules", other_id.to_str().unwrap()]);
    let out = tmp.path().join("night2");
    let o = run(&pair.join("night2"), &out, "2024-04-16", &["--previous", prev.to_str().unwrap()]);
    assert_refused(&o, &["rule set `fr-are-test`", "tonight's is `fr-are`"]);

    // The same rule set in a new version: allowed; findings compare by (seeker, month, cause), not by id.
    run_ok(&pair.join("night1"), &prev, "2024-04-15", &["--rules", other_version.to_str().unwrap()]);
    run_ok(&pair.join("night2"), &out, "2024-04-16", &["--previous", prev.to_str().unwrap()]);
    let changes = read_csv(&out.join("changes.csv"));
    assert_eq!(project(&changes, &["change", "amount"]), ["unchanged,273.60"]);
    let notices = read_csv(&out.join("notices.csv"));
    assert_eq!(project(&notices, &["action", "net", "notified_on"]), ["unchanged,273.60,2024-04-15"]);
}

#[test]
fn a_night_that_leaves_out_a_notified_month_is_refused_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let prev = night1("08-next-month", tmp.path());
    let input = fixtures().join("nights/08-next-month/night2");
    let out = tmp.path().join("night2");
    let o = run(&input, &out, "2024-05-15", &["--previous", prev.to_str().unwrap(), "--months", "2024-04"]);
    assert_refused(&o, &["notified findings of 2024-03", "leaves it out"]);
    assert!(!out.exists());
    // With the month in the window the night runs.
    let o = run(&input, &out, "2024-05-15", &["--previous", prev.to_str().unwrap(), "--months", "2024-03..2024-04"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn a_decision_naming_an_unknown_cause_or_decision_is_rejected_with_its_line_and_holds_its_month() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    copy_dir(&fixtures().join("nights/05-contest-upheld/night2"), &input);
    std::fs::write(
        input.join("decisions.csv"),
        "decision_id,seeker_id,month,cause,decision,amount,decided_on\n\
         DEC-1,S02,2024-03,underdeclared_pay,upheld,273.60,2024-04-16\n\
         DEC-2,S02,2024-03,underdeclared_earnings,maybe,273.60,2024-04-16\n\
         DEC-3,S09,2024-03,underdeclared_earnings,upheld,-5.00,2024-04-16\n\
         DEC-4,S09,2024-03,underdeclared_earnings,upheld,5.00,2024-05-30\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    run_ok(&input, &out, "2024-04-16", &[]);
    let rejects = project(&read_csv(&out.join("rejects.csv")), &["file", "line", "record_id", "column", "code"]);
    assert_eq!(
        rejects,
        [
            "decisions.csv,2,DEC-1,cause,bad_enum",
            "decisions.csv,3,DEC-2,decision,bad_enum",
            "decisions.csv,4,DEC-3,amount,negative_value"
        ]
    );
    // The unreadable decisions hold S02's March to review: neither claimed nor contested.
    let findings = project(&read_csv(&out.join("findings.csv")), &["seeker_id", "cause", "amount", "status"]);
    assert_eq!(findings, ["S02,underdeclared_earnings,273.60,review"]);
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    // DEC-4 is decided after as_of: not yet known, so not unmatched either.
    assert!(manifest.contains("\"kind\": \"decisions\""), "{manifest}");
    assert!(manifest.contains("\"not_yet_known\": 1"), "{manifest}");
    assert!(manifest.contains("\"decisions_unmatched\": 0"), "{manifest}");
}

#[test]
fn the_latest_decision_counts_and_a_decision_on_no_finding_is_counted_unmatched() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    copy_dir(&fixtures().join("nights/05-contest-upheld/night2"), &input);
    // DEC-2 (rejected, later) overrides DEC-1 (upheld); DEC-0 names a month with no finding.
    std::fs::write(
        input.join("decisions.csv"),
        "decision_id,seeker_id,month,cause,decision,amount,decided_on\n\
         DEC-1,S02,2024-03,underdeclared_earnings,upheld,273.60,2024-04-10\n\
         DEC-2,S02,2024-03,underdeclared_earnings,rejected,273.60,2024-04-12\n\
         DEC-0,S02,2024-02,underdeclared_earnings,upheld,100.00,2024-04-12\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    run_ok(&input, &out, "2024-04-16", &[]);
    let findings = project(&read_csv(&out.join("findings.csv")), &["status", "evidence"]);
    assert_eq!(findings, ["claim,right:R-S02 decl:D-S02-2024-03 att:A-S02-1 pay:P-S02-1 dec:DEC-2"]);
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"decisions_unmatched\": 1"), "{manifest}");
}

#[test]
fn a_night_that_would_withdraw_most_notices_is_stopped_unless_the_operator_allows_it() {
    let tmp = tempfile::tempdir().unwrap();
    let month = fixtures().join("months/2024-03-5k");
    let prev = tmp.path().join("prev");
    run_ok(&month, &prev, "2024-04-15", &[]);
    // A truncated export: the ledger lost all but its first 20 rows.
    let input = tmp.path().join("truncated");
    copy_dir(&month, &input);
    let ledger = std::fs::read_to_string(month.join("ledger.csv")).unwrap();
    let kept: Vec<&str> = ledger.lines().take(21).collect();
    std::fs::write(input.join("ledger.csv"), kept.join("\n") + "\n").unwrap();
    let out = tmp.path().join("night2");
    let o = run(&input, &out, "2024-04-16", &["--previous", prev.to_str().unwrap()]);
    assert_refused(&o, &["of the previous run's 995 notices would be withdrawn", "--max-withdrawal-rate"]);
    assert!(!out.exists(), "nothing is written");
    let o = run(&input, &out, "2024-04-16", &["--previous", prev.to_str().unwrap(), "--max-withdrawal-rate", "1"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let notices = read_csv(&out.join("notices.csv"));
    let withdrawn: Vec<_> = notices.iter().filter(|n| n["action"] == "withdrawn").collect();
    assert!(withdrawn.len() > 900, "{} withdrawn", withdrawn.len());
    assert!(withdrawn.iter().all(|n| n["formal_notice_on"].is_empty() && n["net"] == "0.00"));
}

#[test]
fn a_chain_of_nights_replays_night_by_night_and_a_changed_previous_run_stops_the_replay() {
    let tmp = tempfile::tempdir().unwrap();
    let pair = fixtures().join("nights/02-late-payslip-raises");
    let (n1, n2, n3) = (tmp.path().join("n1"), tmp.path().join("n2"), tmp.path().join("n3"));
    run_ok(&pair.join("night1"), &n1, "2024-04-15", &[]);
    run_ok(&pair.join("night2"), &n2, "2024-04-16", &["--previous", n1.to_str().unwrap()]);
    run_ok(&pair.join("night2"), &n3, "2024-04-17", &["--previous", n2.to_str().unwrap()]);
    assert_eq!(project(&read_csv(&n3.join("notices.csv")), &["action", "notified_on"]), ["unchanged,2024-04-16"]);
    for n in [&n1, &n2, &n3] {
        let o = indus(&["replay", n.join("manifest.json").to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{}: {}", n.display(), stderr(&o));
    }
    // An auditor's copy of night 2 elsewhere, named with --previous.
    let copy = tmp.path().join("copy-of-n2");
    copy_dir(&n2, &copy);
    std::fs::rename(&n2, tmp.path().join("moved")).unwrap();
    let o = indus(&["replay", n3.join("manifest.json").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3), "the recorded previous folder is gone: {}", stderr(&o));
    let o = indus(&["replay", n3.join("manifest.json").to_str().unwrap(), "--previous", copy.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // The copy's notices edited: exit 3, naming the previous run.
    let text = std::fs::read_to_string(copy.join("notices.csv")).unwrap();
    std::fs::write(copy.join("notices.csv"), text.replace("592.80", "529.80")).unwrap();
    let o = indus(&["replay", n3.join("manifest.json").to_str().unwrap(), "--previous", copy.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("notices.csv no longer matches"), "{}", stderr(&o));
}

#[test]
fn explain_says_what_changed_since_the_previous_night_and_why() {
    let tmp = tempfile::tempdir().unwrap();
    let prev = night1("05-contest-upheld", tmp.path());
    let input = fixtures().join("nights/05-contest-upheld/night2");
    let args = |extra: &[&str]| -> String {
        let mut a = vec!["explain", "--input", input.to_str().unwrap(), "--seeker", "S02", "--month", "2024-03"];
        a.extend_from_slice(&["--as-of", "2024-04-16", "--previous", prev.to_str().unwrap()]);
        a.extend_from_slice(extra);
        let o = indus(&a);
        assert!(o.status.success(), "{}", stderr(&o));
        String::from_utf8(o.stdout).unwrap()
    };
    let x: serde_json::Value = serde_json::from_str(&args(&["--format", "json"])).unwrap();
    let f = &x["findings"][0];
    assert_eq!((f["status"].as_str(), f["reason"].as_str()), (Some("contested"), Some("contested")));
    let d = &f["decision"];
    assert_eq!(
        [&d["decision_id"], &d["decision"], &d["amount"], &d["decided_on"], &d["effect"]],
        ["DEC-1", "upheld", "273.60", "2024-04-16", "contested"].map(serde_json::Value::from).each_ref()
    );
    assert_eq!(d["line"], 2);
    let n = &x["notice"];
    assert_eq!(
        [&n["action"], &n["net"], &n["previous_net"], &n["previous_formal_notice_on"], &n["formal_notice_on"]],
        ["withdrawn", "0.00", "273.60", "2024-04-23", ""].map(serde_json::Value::from).each_ref()
    );
    assert_eq!(n["message_tonight"], true);
    let c = &x["changes"][0];
    assert_eq!(
        [&c["change"], &c["previous_status"], &c["status"], &c["evidence_added"]],
        ["revised", "claim", "contested", "dec:DEC-1"].map(serde_json::Value::from).each_ref()
    );
    let text = args(&[]);
    for words in ["10. Since the previous night", "decision DEC-1 (decisions.csv line 2)", "action withdrawn"] {
        assert!(text.contains(words), "{words}: {text}");
    }
    let fr = args(&["--lang", "fr"]);
    for words in ["10. Depuis la nuit précédente", "recours accepté", "action : retrait"] {
        assert!(fr.contains(words), "{words}: {fr}");
    }
}
