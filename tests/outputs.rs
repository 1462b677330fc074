//! `indus run --outputs nightly`, through the real binary: the folder is the
//! complete run's without entitlements.csv and entitlements.parquet, byte
//! for byte, in memory, in partitions and in shards merged; the next night
//! reads it as it reads a complete folder; replay checks it; the report,
//! which sums the entitlements, refuses it by name.

mod common;

use std::path::Path;

use common::*;

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()
}

fn listed(m: &serde_json::Value) -> Vec<String> {
    m["outputs"].as_array().unwrap().iter().map(|o| o["file"].as_str().unwrap().to_string()).collect()
}

/// Every file of the nightly folder but its manifest is the complete run's,
/// byte for byte; the manifest differs only by `output_set` and the two
/// entitlement files it no longer lists; the seeker-months are still counted.
fn assert_nightly_of(complete: &Path, nightly: &Path) {
    let without: Vec<String> = names(complete).into_iter().filter(|f| !f.starts_with("entitlements.")).collect();
    assert_eq!(names(nightly), without);
    for f in names(nightly).iter().filter(|f| *f != "manifest.json") {
        assert!(
            std::fs::read(complete.join(f)).unwrap() == std::fs::read(nightly.join(f)).unwrap(),
            "{f} differs between {} and {}",
            complete.display(),
            nightly.display()
        );
    }
    let (mut c, n) = (manifest(complete), manifest(nightly));
    assert!(c.get("output_set").is_none(), "a complete run's manifest names no set");
    assert_eq!(n["output_set"], "nightly");
    assert_eq!(listed(&c).into_iter().filter(|f| !f.starts_with("entitlements.")).collect::<Vec<_>>(), listed(&n));
    // A seeker-month is a row of entitlements.csv, written or not.
    let rows = read_csv(&complete.join("entitlements.csv")).len() as u64;
    assert!(rows > 0);
    assert_eq!(n["totals"]["seeker_months"].as_u64(), Some(rows));
    c["output_set"] = "nightly".into();
    c["outputs"] = n["outputs"].clone();
    assert_eq!(c, n);
}

#[test]
fn a_nightly_folder_is_the_complete_one_without_the_entitlements_and_replays() {
    let tmp = tempfile::tempdir().unwrap();
    let input = fixtures().join("months/2024-03-5k");
    let complete = tmp.path().join("complete");
    run_ok(&input, &complete, "2024-04-15", &["-q"]);
    let nightly = tmp.path().join("nightly");
    run_ok(&input, &nightly, "2024-04-15", &["-q", "--outputs", "nightly"]);
    assert_nightly_of(&complete, &nightly);

    let o = indus(&["replay", nightly.join("manifest.json").to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(said.contains("every output is identical") && !said.contains("entitlements"), "{said}");

    // `--outputs all` is the default, spelled out.
    let all = tmp.path().join("all");
    run_ok(&input, &all, "2024-04-15", &["-q", "--outputs", "all"]);
    assert_same_folder(&complete, &all);
}

#[test]
fn partitions_and_merged_shards_write_the_nightly_folder_of_a_run_in_memory() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    generate(&input, &TWO_MONTHS_WITH_BAD_RECORDS);
    add_records_the_generator_does_not_write(&input);
    let complete = tmp.path().join("complete");
    run_ok(&input, &complete, "2024-06-30", &["-q"]);
    let nightly = tmp.path().join("nightly");
    run_ok(&input, &nightly, "2024-06-30", &["-q", "--outputs", "nightly"]);
    assert_nightly_of(&complete, &nightly);

    let partitioned = tmp.path().join("partitioned");
    let o = run_ok(&input, &partitioned, "2024-06-30", &["--outputs", "nightly", "--partitions", "3"]);
    assert!(stderr(&o).contains("partitions of seekers"), "{}", stderr(&o));
    assert_same_folder(&nightly, &partitioned);

    let mut parts = Vec::new();
    for i in 0..3 {
        let part = tmp.path().join(format!("part-{i}"));
        let shard = format!("{i}/3");
        run_ok(&input, &part, "2024-06-30", &["-q", "--outputs", "nightly", "--shard", &shard]);
        assert!(!part.join("entitlements.csv").exists());
        parts.push(part);
    }
    let merged = tmp.path().join("merged");
    merge_ok(&parts, &merged);
    assert_same_folder(&nightly, &merged);

    // A complete shard is not a shard of a nightly run: the merge names the option.
    let complete_part = tmp.path().join("complete-part-2");
    run_ok(&input, &complete_part, "2024-06-30", &["-q", "--shard", "2/3"]);
    let mixed = tmp.path().join("mixed");
    let o = merge(&[&parts[0], &parts[1], &complete_part], &mixed);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--outputs differ (nightly | all)"), "{}", stderr(&o));
    assert!(!mixed.exists());
}

#[test]
fn the_next_night_reads_a_nightly_folder_as_it_reads_a_complete_one() {
    let tmp = tempfile::tempdir().unwrap();
    let (chain, [first, second]) = generate_two_nights(tmp.path(), "400");
    let night = |k: usize| chain.join(format!("night{}", k + 1));
    let (complete1, nightly1) = (tmp.path().join("c1"), tmp.path().join("n1"));
    run_ok(&night(0), &complete1, &first, &["-q"]);
    run_ok(&night(0), &nightly1, &first, &["-q", "--outputs", "nightly"]);
    let (complete2, nightly2) = (tmp.path().join("c2"), tmp.path().join("n2"));
    run_ok(&night(1), &complete2, &second, &["-q", "--previous", complete1.to_str().unwrap()]);
    run_ok(&night(1), &nightly2, &second, &["-q", "--previous", nightly1.to_str().unwrap(), "--outputs", "nightly"]);
    // The second night says something of the first: some notices are not first ones.
    let actions = project(&read_csv(&nightly2.join("notices.csv")), &["action"]);
    assert!(actions.iter().any(|a| a != "first"), "{actions:?}");
    for f in ["findings.csv", "notices.csv", "changes.csv", "agencies.csv", "rejects.csv"] {
        assert!(
            std::fs::read(complete2.join(f)).unwrap() == std::fs::read(nightly2.join(f)).unwrap(),
            "{f}: the second night differs after a nightly first night"
        );
    }
}

#[test]
fn the_report_refuses_a_nightly_folder_and_a_bad_set_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let case = fixtures().join("cases/02-underdeclared");
    let nightly = tmp.path().join("nightly");
    run_ok(&case, &nightly, "2024-04-15", &["-q", "--outputs", "nightly"]);
    let report = tmp.path().join("report");
    let o = indus(&["report", nightly.to_str().unwrap(), "--out", report.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("was run with --outputs nightly"), "{}", stderr(&o));
    assert!(!report.exists());

    let out = tmp.path().join("out");
    let o = run_input(&case, &out, "2024-04-15", &["--outputs", "entitlements"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("`entitlements` is not a set of outputs"), "{}", stderr(&o));
    assert!(!out.exists());
}
