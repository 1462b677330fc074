//! `indus run --shard I/N` and `indus merge`, through the real binary: the
//! N part folders merged are the folder one run writes, byte for byte
//! (manifest included), whatever the data: a generated month, months with
//! bad records of every reject code, a night with `--previous` and
//! decisions. Merging what is not the N shards of one run is refused.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;

/// Runs the N shards of a run into `dir/part-I` and returns their folders.
fn run_shards(input: &Path, dir: &Path, as_of: &str, n: u32, extra: &[&str]) -> Vec<PathBuf> {
    (0..n)
        .map(|i| {
            let part = dir.join(format!("part-{i}"));
            let shard = format!("{i}/{n}");
            let mut args = extra.to_vec();
            args.extend(["--shard", &shard, "-q"]);
            run_ok(input, &part, as_of, &args);
            part
        })
        .collect()
}

/// [`run_shards`] in `partitions` partitions each (as a shard too large for
/// its machine's memory runs), each shard saying it was.
fn run_shards_partitioned(
    input: &Path,
    dir: &Path,
    as_of: &str,
    n: u32,
    partitions: u32,
    extra: &[&str],
) -> Vec<PathBuf> {
    (0..n)
        .map(|i| {
            let part = dir.join(format!("part-{i}"));
            let shard = format!("{i}/{n}");
            let count = partitions.to_string();
            let mut args = extra.to_vec();
            args.extend(["--shard", &shard, "--partitions", &count]);
            let o = run_ok(input, &part, as_of, &args);
            assert!(stderr(&o).contains("partitions of seekers"), "shard {shard} in memory: {}", stderr(&o));
            part
        })
        .collect()
}

#[test]
fn four_shards_of_the_5k_month_merge_into_the_run_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let input = fixtures().join("months/2024-03-5k");
    let whole = tmp.path().join("whole");
    run_ok(&input, &whole, "2024-06-30", &["-q"]);
    let mut parts = run_shards(&input, tmp.path(), "2024-06-30", 4, &[]);
    // Every shard holds some of the findings, and only its own.
    let counts: Vec<usize> = parts.iter().map(|p| read_csv(&p.join("findings.csv")).len()).collect();
    assert!(counts.iter().all(|&n| n > 100), "{counts:?}");
    assert_eq!(counts.iter().sum::<usize>(), read_csv(&whole.join("findings.csv")).len());
    // The order the parts are named in does not matter.
    parts.reverse();
    let merged = tmp.path().join("merged");
    merge_ok(&parts, &merged);
    assert_same_folder(&whole, &merged);
}

#[test]
fn shards_of_months_with_bad_records_merge_with_every_reject_at_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    generate(&input, &["--seekers", "1500", "--months", "2024-01..2024-03", "--seed", "13", "--bad-rate", "0.004"]);
    let whole = tmp.path().join("whole");
    run_ok(&input, &whole, "2024-06-30", &["-q"]);
    let rejects = read_csv(&whole.join("rejects.csv"));
    assert!(rejects.len() >= 20, "the generated months have bad records: {}", rejects.len());
    let parts = run_shards(&input, tmp.path(), "2024-06-30", 5, &[]);
    // The rejects are spread over the shards, each once.
    let per_part: Vec<usize> = parts.iter().map(|p| read_csv(&p.join("rejects.csv")).len()).collect();
    assert_eq!(per_part.iter().sum::<usize>(), rejects.len(), "{per_part:?}");
    assert!(per_part.iter().filter(|&&n| n > 0).count() >= 3, "{per_part:?}");
    let merged = tmp.path().join("merged");
    merge_ok(&parts, &merged);
    assert_same_folder(&whole, &merged);
}

#[test]
fn a_night_with_previous_and_decisions_splits_into_shards_too() {
    let tmp = tempfile::tempdir().unwrap();
    let (chain, as_ofs) = generate_two_nights(tmp.path(), "1200");
    let as_of = |k: usize| as_ofs[k].clone();
    let night1 = tmp.path().join("night1");
    run_ok(&chain.join("night1"), &night1, &as_of(0), &["-q"]);
    let previous = ["--previous", night1.to_str().unwrap()];
    let whole = tmp.path().join("night2");
    run_ok(&chain.join("night2"), &whole, &as_of(1), &previous);
    // The night has every kind of change, and decisions.
    let changes = project(&read_csv(&whole.join("changes.csv")), &["change"]);
    for c in ["new", "unchanged", "revised", "withdrawn"] {
        assert!(changes.iter().any(|x| x == c), "no {c} change in the generated night");
    }
    let parts = run_shards(&chain.join("night2"), tmp.path(), &as_of(1), 3, &previous);
    let merged = tmp.path().join("merged");
    merge_ok(&parts, &merged);
    assert_same_folder(&whole, &merged);
}

/// A shard too big for its memory limit is reconciled in partitions, and
/// its part folder is the in-memory shard's, byte for byte: the merge of
/// such parts is the run. With bad records (repeated ids, the threshold's
/// counts are the whole file's) and with a previous night and decisions.
#[test]
fn shards_under_a_memory_limit_write_the_parts_of_shards_in_memory() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    generate(&input, &["--seekers", "1500", "--months", "2024-01..2024-03", "--seed", "13", "--bad-rate", "0.004"]);
    let in_memory = run_shards(&input, &tmp.path().join("mem"), "2024-06-30", 3, &[]);
    let limited = run_shards_partitioned(&input, &tmp.path().join("lim"), "2024-06-30", 3, 12, &[]);
    for (m, l) in in_memory.iter().zip(&limited) {
        assert_same_folder(m, l);
    }
    let whole = tmp.path().join("whole");
    run_ok(&input, &whole, "2024-06-30", &["-q"]);
    let merged = tmp.path().join("merged");
    merge_ok(&limited, &merged);
    assert_same_folder(&whole, &merged);

    let (chain, as_ofs) = generate_two_nights(tmp.path(), "1200");
    let night1 = tmp.path().join("night1");
    run_ok(&chain.join("night1"), &night1, &as_ofs[0], &["-q"]);
    let prev = ["--previous", night1.to_str().unwrap()];
    let mem = run_shards(&chain.join("night2"), &tmp.path().join("nmem"), &as_ofs[1], 2, &prev);
    let lim = run_shards_partitioned(&chain.join("night2"), &tmp.path().join("nlim"), &as_ofs[1], 2, 12, &prev);
    for (m, l) in mem.iter().zip(&lim) {
        assert_same_folder(m, l);
    }
}

/// Three runs' worth of parts for the refusals: the 4 shards of one night,
/// and one shard of the same inputs seen at another date.
fn parts_for_refusals(dir: &Path) -> (Vec<PathBuf>, PathBuf) {
    let input = fixtures().join("months/2024-03-5k");
    let parts = run_shards(&input, dir, "2024-06-30", 4, &[]);
    let other = dir.join("other-0");
    run_ok(&input, &other, "2024-07-31", &["--shard", "0/4", "-q"]);
    (parts, other)
}

fn assert_refused(o: &Output, words: &[&str], out: &Path) {
    assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(o));
    for w in words {
        assert!(stderr(o).contains(w), "expected `{w}` in: {}", stderr(o));
    }
    assert!(!out.exists(), "a refused merge writes nothing");
}

#[test]
fn merging_what_is_not_the_shards_of_one_run_is_refused_naming_the_problem() {
    let tmp = tempfile::tempdir().unwrap();
    let (p, other) = parts_for_refusals(tmp.path());
    let out = tmp.path().join("merged");
    // Three of four.
    let o = merge(&[&p[0], &p[1], &p[3]], &out);
    assert_refused(&o, &["shard 2/4", "missing"], &out);
    // A shard twice.
    let o = merge(&[&p[0], &p[1], &p[2], &p[3], &p[1]], &out);
    assert_refused(&o, &["shard 1/4 is given twice"], &out);
    // A shard of another run (the same files at another as_of).
    let o = merge(&[&other, &p[1], &p[2], &p[3]], &out);
    assert_refused(&o, &["not shards of one run", "as_of", "2024-07-31", "2024-06-30"], &out);
    // A whole run is not a part.
    let whole = tmp.path().join("whole");
    run_ok(&fixtures().join("months/2024-03-5k"), &whole, "2024-06-30", &["-q"]);
    let o = merge(&[&whole, &p[1], &p[2], &p[3]], &out);
    assert_refused(&o, &["a whole run, not a shard"], &out);
    // A part whose file changed since it was written.
    let findings = p[2].join("findings.csv");
    let mut text = std::fs::read_to_string(&findings).unwrap();
    let line = text.lines().nth(1).unwrap().to_string();
    text.push_str(&line);
    text.push('\n');
    std::fs::write(&findings, text).unwrap();
    let o = merge(&[&p[0], &p[1], &p[2], &p[3]], &out);
    assert_refused(&o, &["findings.csv no longer matches its manifest"], &out);
}

#[test]
fn rejects_over_the_threshold_fail_every_shard_as_they_fail_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    // 5 % of the records bad, over the default limit of 1 %.
    generate(&input, &["--seekers", "800", "--months", "2024-03", "--seed", "5", "--bad-rate", "0.05"]);
    let args = |out: &Path, shard: Option<&str>| {
        let mut a: Vec<String> =
            ["run", "--input", input.to_str().unwrap(), "--out", out.to_str().unwrap(), "--as-of", "2024-06-30"]
                .iter()
                .map(|s| s.to_string())
                .collect();
        if let Some(s) = shard {
            a.extend(["--shard".to_string(), s.to_string()]);
        }
        a
    };
    let run = |a: Vec<String>| indus(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let whole = run(args(&tmp.path().join("whole"), None));
    assert_eq!(whole.status.code(), Some(2), "{}", stderr(&whole));
    assert!(stderr(&whole).contains("over the limit"), "{}", stderr(&whole));
    // Each shard validates every record: the same files fail with the same words.
    for i in 0..4 {
        let shard = format!("{i}/4");
        let part = tmp.path().join(format!("part-{i}"));
        let o = run(args(&part, Some(&shard)));
        assert_eq!(o.status.code(), Some(2), "shard {shard}: {}", stderr(&o));
        assert_eq!(stderr(&o), stderr(&whole), "shard {shard}");
        assert!(!part.exists());
    }
}

#[test]
fn a_shard_is_refused_unless_it_is_i_of_n() {
    let tmp = tempfile::tempdir().unwrap();
    let input = fixtures().join("months/2024-03-5k");
    for bad in ["4/4", "1", "2/1", "0/0", "a/b"] {
        let out = tmp.path().join("out");
        let o = run_input(&input, &out, "2024-06-30", &["--shard", bad]);
        assert_eq!(o.status.code(), Some(2), "--shard {bad}: {}", stderr(&o));
        assert!(stderr(&o).contains("shard"), "--shard {bad}: {}", stderr(&o));
        assert!(!out.exists());
    }
}
