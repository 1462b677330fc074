//! A run is a function of its inputs, rule set and `as_of`: the same month
//! gives the same bytes whatever the thread count, and shuffling the input
//! rows changes nothing but the manifest's input hashes.

mod common;

use std::path::Path;

use common::*;

const OUTPUTS: [&str; 8] = [
    "findings.csv",
    "findings.parquet",
    "entitlements.csv",
    "entitlements.parquet",
    "notices.csv",
    "agencies.csv",
    "rejects.csv",
    "manifest.json",
];

fn bytes(dir: &Path, f: &str) -> Vec<u8> {
    std::fs::read(dir.join(f)).unwrap_or_else(|e| panic!("{}/{f}: {e}", dir.display()))
}

#[test]
fn thread_count_does_not_change_a_byte() {
    let month = fixtures().join("months/2024-03-5k");
    let tmp = tempfile::tempdir().unwrap();
    let (one, four) = (tmp.path().join("t1"), tmp.path().join("t4"));
    run_ok(&month, &one, "2024-04-15", &["--threads", "1"]);
    run_ok(&month, &four, "2024-04-15", &["--threads", "4"]);
    for f in OUTPUTS {
        assert!(bytes(&one, f) == bytes(&four, f), "{f} differs between --threads 1 and 4");
    }
    assert!(read_csv(&one.join("findings.csv")).len() > 1000);
}

/// A fixed permutation of the data lines (a small LCG: no dependency, same every time).
fn shuffle_lines(from: &Path, to: &Path, seed: u64) {
    let text = std::fs::read_to_string(from).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let header = lines.remove(0);
    let mut state = seed;
    for i in (1..lines.len()).rev() {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        lines.swap(i, (state >> 33) as usize % (i + 1));
    }
    std::fs::write(to, format!("{header}\n{}\n", lines.join("\n"))).unwrap();
}

#[test]
fn shuffled_input_rows_give_identical_results() {
    let month = fixtures().join("months/2024-03-5k");
    let tmp = tempfile::tempdir().unwrap();
    let shuffled = tmp.path().join("shuffled");
    std::fs::create_dir(&shuffled).unwrap();
    for (i, f) in ["rights.csv", "declarations.csv", "attestations.csv", "ledger.csv"].iter().enumerate() {
        shuffle_lines(&month.join(f), &shuffled.join(f), 42 + i as u64);
    }
    assert_ne!(bytes(&month, "ledger.csv"), bytes(&shuffled, "ledger.csv"));
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    run_ok(&month, &a, "2024-04-15", &[]);
    run_ok(&shuffled, &b, "2024-04-15", &["--threads", "3"]);
    for f in
        ["findings.csv", "findings.parquet", "entitlements.csv", "entitlements.parquet", "notices.csv", "agencies.csv"]
    {
        assert!(bytes(&a, f) == bytes(&b, f), "{f} changes when the input rows are shuffled");
    }
}

#[test]
fn a_rerun_replaces_the_previous_output_with_the_same_bytes() {
    let case = fixtures().join("cases/05-duplicate");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run_ok(&case, &out, "2024-04-15", &["--allow-empty"]);
    let first: Vec<Vec<u8>> = OUTPUTS.iter().map(|f| bytes(&out, f)).collect();
    run_ok(&case, &out, "2024-04-15", &["--allow-empty"]);
    let second: Vec<Vec<u8>> = OUTPUTS.iter().map(|f| bytes(&out, f)).collect();
    assert!(first == second);
    // Nothing but the output folder and its lock file is left beside it.
    let mut left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    left.sort();
    assert_eq!(left, [".out.indus-lock", "out"].map(std::ffi::OsString::from));
}

#[test]
fn parquet_outputs_name_their_rule_set() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run_ok(&fixtures().join("cases/02-underdeclared"), &out, "2024-04-15", &[]);
    let manifest: serde_json::Value = serde_json::from_slice(&bytes(&out, "manifest.json")).unwrap();
    let sha = manifest["rule_set"]["sha256"].as_str().unwrap().to_string();
    assert_eq!(sha.len(), 64);
    for f in ["findings.parquet", "entitlements.parquet"] {
        // The footer's key-value metadata is stored as plain bytes.
        let b = bytes(&out, f);
        let has = |s: &str| b.windows(s.len()).any(|w| w == s.as_bytes());
        assert!(has("indus.rule_set") && has("fr-are@2025-07-01") && has(&sha), "{f} does not name its rule set");
    }
}
