//! `indus replay` through the real binary: a run replays identically (from its
//! inputs or from copies), a changed or missing input stops the replay with
//! exit 3 and its name, an altered output gives exit 1 with file and row.

mod common;

use std::path::Path;

use common::*;

fn replay(manifest: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["replay", manifest.to_str().unwrap()];
    args.extend_from_slice(extra);
    indus(&args)
}

#[test]
fn a_run_replays_identically_from_its_inputs_and_from_copies() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    copy_dir(&fixtures().join("months/2024-03-5k"), &input);
    let out = tmp.path().join("out");
    run_ok(&input, &out, "2024-04-15", &[]);
    let o = replay(&out.join("manifest.json"), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let stdout = String::from_utf8(o.stdout).unwrap();
    for f in ["findings.csv", "findings.parquet", "entitlements.parquet", "notices.csv", "agencies.csv", "rejects.csv"]
    {
        assert!(stdout.contains(&format!("identical  {f}")), "{f}: {stdout}");
    }
    // An auditor's copy elsewhere.
    let copy = tmp.path().join("copy");
    copy_dir(&input, &copy);
    std::fs::remove_dir_all(&input).unwrap();
    let o = replay(&out.join("manifest.json"), &["--input", copy.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn a_changed_or_missing_input_is_named_and_nothing_is_compared() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    copy_dir(&fixtures().join("cases/05-duplicate"), &input);
    let out = tmp.path().join("out");
    // The case has no payslip: its empty attestations file is expected (and replayed so).
    run_ok(&input, &out, "2024-04-15", &["--allow-empty"]);
    // One byte: 1152.89 → 1152.88 in the second payment.
    let ledger = std::fs::read_to_string(input.join("ledger.csv")).unwrap();
    std::fs::write(input.join("ledger.csv"), ledger.replacen("1152.89,2024-04-04", "1152.88,2024-04-04", 1)).unwrap();
    let o = replay(&out.join("manifest.json"), &[]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("ledger.csv") && stderr(&o).contains("nothing was compared"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("rights.csv"), "only the changed file is named");

    std::fs::write(input.join("ledger.csv"), ledger).unwrap();
    std::fs::remove_file(input.join("rights.csv")).unwrap();
    let o = replay(&out.join("manifest.json"), &[]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("rights.csv"), "{}", stderr(&o));
}

#[test]
fn an_altered_output_is_named_with_its_first_differing_row() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    copy_dir(&fixtures().join("months/2024-03-5k"), &input);
    let out = tmp.path().join("out");
    run_ok(&input, &out, "2024-04-15", &[]);
    let findings = std::fs::read_to_string(out.join("findings.csv")).unwrap();
    let mut lines: Vec<String> = findings.lines().map(str::to_string).collect();
    // Row 3 (line 4): claim a cent more.
    let fields: Vec<&str> = lines[3].split(',').collect();
    let amount: rust_decimal::Decimal = fields[6].parse().unwrap();
    let altered =
        lines[3].replacen(&format!(",{},", fields[6]), &format!(",{},", amount + rust_decimal::Decimal::new(1, 2)), 1);
    assert_ne!(altered, lines[3]);
    lines[3] = altered;
    std::fs::write(out.join("findings.csv"), lines.join("\n") + "\n").unwrap();
    let o = replay(&out.join("manifest.json"), &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("findings.csv: row 3 (line 4) differs"), "{err}");
    assert!(!err.contains("notices.csv"), "only the altered file is reported: {err}");
}

#[test]
fn replay_checks_every_output_the_run_writes_not_the_manifests_list() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    copy_dir(&fixtures().join("months/2024-03-5k"), &input);
    let out = tmp.path().join("out");
    run_ok(&input, &out, "2024-04-15", &[]);
    let manifest_path = out.join("manifest.json");
    let original = std::fs::read_to_string(&manifest_path).unwrap();

    // The manifest edited to list only rejects.csv, findings.csv edited on disk.
    let mut m: serde_json::Value = serde_json::from_str(&original).unwrap();
    let rejects: Vec<serde_json::Value> =
        m["outputs"].as_array().unwrap().iter().filter(|o| o["file"] == "rejects.csv").cloned().collect();
    m["outputs"] = serde_json::Value::Array(rejects);
    std::fs::write(&manifest_path, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    let findings = std::fs::read_to_string(out.join("findings.csv")).unwrap();
    std::fs::write(out.join("findings.csv"), findings.replacen(",claim,", ",review,", 1)).unwrap();
    let o = replay(&manifest_path, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("findings.csv: the manifest does not list it"), "{}", stderr(&o));
    std::fs::write(out.join("findings.csv"), &findings).unwrap();

    // Falsified totals and row counts, every file untouched.
    let mut m: serde_json::Value = serde_json::from_str(&original).unwrap();
    m["totals"]["findings"] = serde_json::json!(1);
    m["outputs"][0]["rows"] = serde_json::json!(7);
    std::fs::write(&manifest_path, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    let o = replay(&manifest_path, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("manifest records 7 rows"), "{}", stderr(&o));
    assert!(stderr(&o).contains("manifest.json: totals differ"), "{}", stderr(&o));
    // A changed hash is not blamed on line ends when the rows differ.
    std::fs::write(&manifest_path, &original).unwrap();
    std::fs::write(out.join("findings.csv"), findings.replacen(",claim,", ",review,", 1)).unwrap();
    let o = replay(&manifest_path, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!stderr(&o).contains("line ends"), "{}", stderr(&o));
    assert!(stderr(&o).contains("findings.csv: row"), "{}", stderr(&o));
}

#[test]
fn an_input_that_is_a_device_is_refused_not_read_forever() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    copy_dir(&fixtures().join("months/2024-03-5k"), &input);
    let out = tmp.path().join("out");
    run_ok(&input, &out, "2024-04-15", &[]);
    let m = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    let ledger = input.join("ledger.csv").display().to_string();
    std::fs::write(out.join("manifest.json"), m.replace(&ledger, "/dev/zero")).unwrap();
    let o = replay(&out.join("manifest.json"), &[]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("/dev/zero: not a regular file"), "{}", stderr(&o));
    let o = indus(&[
        "run",
        "--input",
        input.to_str().unwrap(),
        "--ledger",
        "/dev/zero",
        "--out",
        tmp.path().join("o2").to_str().unwrap(),
        "--as-of",
        "2024-04-15",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
}
