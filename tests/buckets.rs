//! The cluster contract of `indus::bucket` (what `indus.spark` calls), with
//! this test playing the cluster: scan each input (which finds the ids it
//! repeats), bring each bucket its records, reconcile the buckets, merge.
//! The folder must be `indus run`'s, byte for byte, whatever the buckets.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use common::*;
use indus::bucket::{self, BucketInput, ScanEnd};
use indus::ingest::InputKind;
use indus::run::{InputOptions, RunOptions};

fn options(input: &Path, out: &Path, as_of: &str) -> RunOptions {
    RunOptions {
        inputs: InputOptions { input: Some(input.to_path_buf()), ..Default::default() },
        out: out.to_path_buf(),
        as_of: as_of.parse().unwrap(),
        rules: None,
        months: None,
        max_reject_rate: 0.01,
        previous: None,
        max_withdrawal_rate: indus::run::DEFAULT_MAX_WITHDRAWAL_RATE,
        allow_empty: false,
        progress: false,
        shard: None,
        memory_limit: None,
        partitions: None,
        outputs: indus::OutputSet::All,
    }
}

/// A scanned record: its bucket, its line and its bytes.
type Record = (u32, u64, Vec<u8>);

/// The whole contract, as a cluster would run it.
fn cluster_run(opts: &RunOptions, buckets: u32, scratch: &Path) -> indus::Result<()> {
    let files = opts.inputs.locate()?;
    // Each input scanned in chunks of 100 records: its end, and its records.
    let mut scans: Vec<(ScanEnd, Vec<Record>)> = Vec::new();
    for (k, p) in &files {
        let mut records = Vec::new();
        let end = bucket::scan(*k, p, opts, buckets, 100, |c| {
            assert!(c.records.len() <= 100, "a chunk of {}", c.records.len());
            records.extend(c.records.iter().map(|r| (r.bucket, r.line, c.text[r.text.clone()].to_vec())));
            Ok(())
        })?;
        scans.push((end, records));
    }
    let repeats: BTreeMap<InputKind, HashSet<u64>> =
        scans.iter().map(|(e, _)| (e.facts.kind, e.repeats.iter().copied().collect())).collect();
    // Each bucket with its records (in reverse line order: the cluster keeps no order).
    let mut dirs = Vec::new();
    for b in 0..buckets {
        let inputs: Vec<BucketInput> = scans
            .iter()
            .map(|(e, records)| BucketInput {
                facts: e.facts.clone(),
                header: e.header.clone(),
                records: (records.iter().rev()).filter(|r| r.0 == b).map(|r| (r.1, r.2.clone())).collect(),
            })
            .collect();
        if inputs.iter().all(|i| i.records.is_empty()) {
            continue; // no group for a bucket without records
        }
        let dir = scratch.join(format!("part-{b}"));
        bucket::reconcile(inputs, &repeats, opts, &dir)?;
        dirs.push(dir);
    }
    dirs.reverse(); // the merge takes the parts in any order
    let facts: Vec<_> = scans.iter().map(|(e, _)| e.facts.clone()).collect();
    bucket::merge(&facts, &dirs, opts)?;
    Ok(())
}

#[test]
fn buckets_give_the_run_folder_with_ids_repeated_across_buckets() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    generate(&input, &TWO_MONTHS_WITH_BAD_RECORDS);
    add_records_the_generator_does_not_write(&input);
    let whole = tmp.path().join("whole");
    run_ok(&input, &whole, "2024-06-30", &["-q"]);
    let rejects = project(&read_csv(&whole.join("rejects.csv")), &["code"]);
    assert!(rejects.iter().filter(|c| *c == "duplicate_id").count() >= 2, "{rejects:?}");
    for buckets in [1, 4, 7] {
        let out = tmp.path().join(format!("b{buckets}"));
        let scratch: PathBuf = tmp.path().join(format!("scratch{buckets}"));
        std::fs::create_dir(&scratch).unwrap();
        cluster_run(&options(&input, &out, "2024-06-30"), buckets, &scratch).unwrap();
        assert_same_folder(&whole, &out);
    }
}

#[test]
fn buckets_of_parquet_inputs_give_the_run_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    generate(&input, &[&TWO_MONTHS_WITH_BAD_RECORDS[..], &["--format", "parquet"]].concat());
    let whole = tmp.path().join("whole");
    run_ok(&input, &whole, "2024-06-30", &["-q"]);
    let out = tmp.path().join("b5");
    let scratch = tmp.path().join("scratch");
    std::fs::create_dir(&scratch).unwrap();
    cluster_run(&options(&input, &out, "2024-06-30"), 5, &scratch).unwrap();
    assert_same_folder(&whole, &out);
}

#[test]
fn buckets_of_a_nightly_run_give_its_folder_without_the_entitlements() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    generate(&input, &TWO_MONTHS_WITH_BAD_RECORDS);
    let whole = tmp.path().join("whole");
    run_ok(&input, &whole, "2024-06-30", &["-q", "--outputs", "nightly"]);
    assert!(!whole.join("entitlements.csv").exists());
    let out = tmp.path().join("b4");
    let scratch = tmp.path().join("scratch");
    std::fs::create_dir(&scratch).unwrap();
    let opts = RunOptions { outputs: indus::OutputSet::Nightly, ..options(&input, &out, "2024-06-30") };
    cluster_run(&opts, 4, &scratch).unwrap();
    assert_same_folder(&whole, &out);
}
