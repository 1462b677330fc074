//! `indus run --memory-limit`: inputs larger than the limit are reconciled
//! in partitions of seekers, one after the other, and the folder written is
//! the in-memory run's, byte for byte (every file, manifest included). The
//! fixtures are small: `--partitions N` splits them as a limit splits a
//! national month (the planner's arithmetic is a unit test).
//! Through the real binary: the 5k month, months with bad records of every
//! kind (repeated ids across partitions, a record with a field too many, a
//! quoted line break, lines without any value), Parquet inputs, a night with `--previous`
//! and decisions, the reject threshold, and kill -9 at moments across a run.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use common::*;

/// Runs in `partitions` partitions, checking that the run says it did.
fn run_partitioned(input: &Path, out: &Path, as_of: &str, partitions: u32, extra: &[&str]) {
    let count = partitions.to_string();
    let mut args = vec!["--partitions", &count];
    args.extend_from_slice(extra);
    let o = run_ok(input, out, as_of, &args);
    let said = format!("indus: reconciled in {partitions} partitions of seekers as --partitions says");
    assert!(stderr(&o).contains(&said), "{}", stderr(&o));
}

#[test]
fn the_5k_month_in_partitions_is_the_in_memory_run_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let input = fixtures().join("months/2024-03-5k");
    let whole = tmp.path().join("whole");
    run_ok(&input, &whole, "2024-06-30", &["-q"]);
    let part = tmp.path().join("part");
    run_partitioned(&input, &part, "2024-06-30", 12, &[]);
    assert_same_folder(&whole, &part);
    // Nothing of the partitions is left beside the output.
    assert_eq!(names(tmp.path()), [".part.indus-lock", ".whole.indus-lock", "part", "whole"]);
}

#[test]
fn months_with_bad_records_of_every_kind_give_the_same_rejects_at_the_same_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    generate(&input, &["--seekers", "3000", "--months", "2024-01..2024-03", "--seed", "13", "--bad-rate", "0.006"]);
    add_records_the_generator_does_not_write(&input);
    let codes = ["duplicate_id", "bad_record", "bad_date", "missing_value", "negative_value"];
    assert_partitioned_as_in_memory(tmp.path(), &input, 16, &codes);
}

/// `input` run in memory and in `partitions`: rejects of every kind of
/// `codes`, and the same folder.
fn assert_partitioned_as_in_memory(tmp: &Path, input: &Path, partitions: u32, codes: &[&str]) {
    let whole = tmp.join("whole");
    run_ok(input, &whole, "2024-06-30", &["-q"]);
    assert_rejects_include(&whole, codes);
    let part = tmp.join("part");
    run_partitioned(input, &part, "2024-06-30", partitions, &[]);
    assert_same_folder(&whole, &part);
}

#[test]
fn a_night_with_previous_and_decisions_in_partitions_is_the_same_night() {
    let tmp = tempfile::tempdir().unwrap();
    let (chain, as_ofs) = generate_two_nights(tmp.path(), "2000");
    let as_of = |k: usize| as_ofs[k].clone();
    assert!(chain.join("night2/decisions.csv").exists(), "the generated night has decisions");
    let night1 = tmp.path().join("night1");
    run_ok(&chain.join("night1"), &night1, &as_of(0), &["-q"]);
    let previous = ["--previous", night1.to_str().unwrap()];
    let whole = tmp.path().join("whole");
    run_ok(&chain.join("night2"), &whole, &as_of(1), &previous);
    let part = tmp.path().join("part");
    run_partitioned(&chain.join("night2"), &part, &as_of(1), 12, &previous);
    assert_same_folder(&whole, &part);
}

#[test]
fn rejects_over_the_threshold_fail_the_partitioned_run_as_they_fail_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    generate(&input, &["--seekers", "2000", "--months", "2024-03", "--seed", "5", "--bad-rate", "0.05"]);
    let run = |out: &Path, extra: &[&str]| {
        let mut a =
            vec!["run", "--input", input.to_str().unwrap(), "--out", out.to_str().unwrap(), "--as-of", "2024-06-30"];
        a.extend_from_slice(extra);
        indus(&a)
    };
    let whole = run(&tmp.path().join("whole"), &[]);
    assert_eq!(whole.status.code(), Some(2), "{}", stderr(&whole));
    let part = run(&tmp.path().join("part"), &["--partitions", "9"]);
    assert_eq!(part.status.code(), Some(2), "{}", stderr(&part));
    // The same file, counts, codes and first rejects (file and line).
    assert_eq!(stderr(&part), stderr(&whole));
    assert!(stderr(&part).contains("over the limit"));
    assert!(!tmp.path().join("part").exists());
    assert_eq!(names(tmp.path()).iter().filter(|n| n.contains("indus-tmp")).count(), 0, "{:?}", names(tmp.path()));
}

#[test]
fn parquet_inputs_too_large_for_the_limit_are_partitioned_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    // Bad values of every kind, stored as Parquet text; ids repeated across partitions.
    let args = ["--seekers", "3000", "--months", "2024-01..2024-03", "--seed", "13", "--bad-rate", "0.006"];
    generate(&input, &[&args[..], &["--format", "parquet"]].concat());
    let codes = ["duplicate_id", "bad_date", "bad_decimal", "missing_value", "negative_value"];
    assert_partitioned_as_in_memory(tmp.path(), &input, 10, &codes);
}

#[test]
fn a_partitioned_run_killed_at_any_moment_leaves_the_previous_output_and_nothing_in_the_way() {
    let tmp = tempfile::tempdir().unwrap();
    let input = fixtures().join("months/2024-03-5k");
    let out = tmp.path().join("out");
    // The folder a night before left: it must survive every kill.
    run_ok(&input, &out, "2024-05-31", &["-q"]);
    let before = tmp.path().join("before");
    copy_dir(&out, &before);
    let args = |as_of: &str| {
        vec![
            "run".to_string(),
            "--input".into(),
            input.to_str().unwrap().into(),
            "--out".into(),
            out.to_str().unwrap().into(),
            "--as-of".into(),
            as_of.into(),
            "--partitions".into(),
            "12".into(),
            "-q".into(),
        ]
    };
    // How long a whole partitioned run takes here, to spread the kills over it.
    let reference = tmp.path().join("reference");
    let started = Instant::now();
    run_partitioned(&input, &reference, "2024-06-30", 12, &[]);
    let took = started.elapsed();
    for i in 1..=12u32 {
        let at = took * i / 12;
        let mut child = Command::new(env!("CARGO_BIN_EXE_indus"))
            .args(args("2024-06-30"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(at);
        let _ = child.kill(); // SIGKILL
        let status = child.wait().unwrap();
        // Killed before its swap, the night before is intact; after it (or
        // finished), the new night is in place, whole: never a mix.
        let now = names(&out);
        let same_as = |d: &Path| {
            names(d) == now
                && now.iter().all(|f| std::fs::read(d.join(f)).unwrap() == std::fs::read(out.join(f)).unwrap())
        };
        assert!(same_as(&before) || same_as(&reference), "killed after {at:?} (exit {status:?}): a mixed output");
        if same_as(&reference) {
            std::fs::remove_dir_all(&out).unwrap();
            copy_dir(&before, &out);
        }
    }
    // The next night runs over whatever the kills left, and leaves nothing beside its output.
    run_partitioned(&input, &out, "2024-06-30", 12, &[]);
    assert_same_folder(&reference, &out);
    let left: Vec<String> =
        names(tmp.path()).into_iter().filter(|n| n.starts_with(".out.") && !n.ends_with("lock")).collect();
    assert!(left.is_empty(), "left beside the output: {left:?}");
}

#[test]
fn a_night_in_many_small_partitions_is_the_same_night_and_so_are_its_shards() {
    // 150 partitions of about a dozen seekers each: the end of the run
    // compares, writes and totals a range of them at a time, with that
    // range of the previous night.
    let tmp = tempfile::tempdir().unwrap();
    let (chain, as_ofs) = generate_two_nights(tmp.path(), "2000");
    let night1 = tmp.path().join("night1");
    run_ok(&chain.join("night1"), &night1, &as_ofs[0], &["-q"]);
    let previous = ["--previous", night1.to_str().unwrap()];
    let whole = tmp.path().join("whole");
    run_ok(&chain.join("night2"), &whole, &as_ofs[1], &previous);
    let changes = read_csv(&whole.join("changes.csv"));
    for change in ["new", "unchanged", "revised", "withdrawn"] {
        assert!(changes.iter().any(|c| c["change"] == change), "the night has {change} findings");
    }
    let part = tmp.path().join("part");
    run_partitioned(&chain.join("night2"), &part, &as_ofs[1], 150, &previous);
    assert_same_folder(&whole, &part);
    // A shard of that night, in partitions: the in-memory shard's part.
    let shard = [&previous[..], &["--shard", "1/4"]].concat();
    let mem = tmp.path().join("mem");
    run_ok(&chain.join("night2"), &mem, &as_ofs[1], &shard);
    let part = tmp.path().join("shard");
    run_partitioned(&chain.join("night2"), &part, &as_ofs[1], 150, &shard);
    assert_same_folder(&mem, &part);
}

#[test]
fn a_night_refused_in_memory_is_refused_alike_in_partitions() {
    let tmp = tempfile::tempdir().unwrap();
    let month = fixtures().join("months/2024-03-5k");
    let prev = tmp.path().join("prev");
    run_ok(&month, &prev, "2024-04-15", &["-q"]);
    let both = |input: &Path, prev: &Path, extra: &[&str]| {
        let args = [&["--previous", prev.to_str().unwrap()], extra].concat();
        let whole = run_input(input, &tmp.path().join("whole"), "2024-04-16", &args);
        let limited = [&args[..], &["--partitions", "100"]].concat();
        let part = run_input(input, &tmp.path().join("part"), "2024-04-16", &limited);
        assert_eq!(whole.status.code(), Some(2), "{}", stderr(&whole));
        assert_eq!(part.status.code(), Some(2), "{}", stderr(&part));
        assert!(!tmp.path().join("whole").exists() && !tmp.path().join("part").exists(), "nothing is written");
        (stderr(&whole), stderr(&part))
    };
    // A truncated export: the ledger lost all but its first 20 rows, and
    // the withdrawals, counted a range at a time, trip the guard.
    let truncated = tmp.path().join("truncated");
    copy_dir(&month, &truncated);
    let ledger = std::fs::read_to_string(month.join("ledger.csv")).unwrap();
    std::fs::write(truncated.join("ledger.csv"), ledger.lines().take(21).collect::<Vec<_>>().join("\n") + "\n")
        .unwrap();
    let (whole, part) = both(&truncated, &prev, &[]);
    assert!(whole.contains("of the previous run's 995 notices would be withdrawn"), "{whole}");
    assert_eq!(part, whole);
    // A month the previous run notified, left out of tonight's.
    let (whole, part) = both(&month, &prev, &["--months", "2024-04", "--allow-empty"]);
    assert!(whole.contains("notified findings of 2024-03"), "{whole}");
    assert_eq!(part, whole);
    // The previous findings edited after the check (here, before the run:
    // found by the check before any work) and an unreadable amount in a
    // previous run whose manifest was made to match: named by line.
    let edited = tmp.path().join("edited");
    copy_dir(&prev, &edited);
    let findings = std::fs::read_to_string(edited.join("findings.csv")).unwrap();
    let line = findings.lines().nth(40).unwrap().to_string();
    let amount = line.split(',').nth(6).unwrap().to_string();
    let broken = findings.replacen(&line, &line.replacen(&format!(",{amount},"), ",12x.00,", 1), 1);
    std::fs::write(edited.join("findings.csv"), &broken).unwrap();
    let (whole, part) = both(&month, &edited, &[]);
    assert!(whole.contains("findings.csv no longer matches its manifest"), "{whole}");
    assert_eq!(part, whole);
    let manifest = std::fs::read_to_string(edited.join("manifest.json")).unwrap();
    let old = sha256_hex(findings.as_bytes());
    std::fs::write(edited.join("manifest.json"), manifest.replace(&old, &sha256_hex(broken.as_bytes()))).unwrap();
    let (whole, part) = both(&month, &edited, &[]);
    assert!(whole.contains("line 41: amount `12x.00` cannot be read"), "{whole}");
    assert_eq!(part, whole);
}

#[test]
fn a_limit_below_what_a_run_needs_and_partitions_out_of_range_are_refused_before_any_work() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let month = fixtures().join("months/2024-03-5k");
    let refused = |extra: &[&str], words: &str| {
        let o = run_input(&month, &out, "2024-06-30", extra);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains(words), "{extra:?}: {}", stderr(&o));
    };
    // 4 KiB = 4,096 bytes, 5 KB rounded up; 512 MiB = 536,870,912 bytes.
    refused(&["--memory-limit", "4KiB"], "--memory-limit 5 KB is less than a run needs whatever its size (536.9 MB");
    refused(&["--partitions", "0"], "--partitions 0 is not one of 1 … 1024");
    refused(&["--partitions", "1025"], "--partitions 1025 is not one of 1 … 1024");
    refused(&["--partitions", "8", "--memory-limit", "1GiB"], "cannot be used with");
    assert!(!out.exists());
    assert!(names(tmp.path()).is_empty(), "{:?}", names(tmp.path()));
}

/// `indus run` in a shell whose limit of open files is set by `ulimit`.
#[cfg(unix)]
fn run_with_ulimit(ulimit: &str, input: &Path, out: &Path, partitions: u32) -> std::process::Output {
    let script = format!(
        "ulimit {ulimit} && exec \"$0\" run --input \"$1\" --out \"$2\" --as-of 2024-06-30 -q --partitions {partitions}"
    );
    Command::new("sh")
        .args(["-c", &script, env!("CARGO_BIN_EXE_indus"), input.to_str().unwrap(), out.to_str().unwrap()])
        .output()
        .unwrap()
}

#[cfg(unix)]
#[test]
fn the_open_files_a_split_takes_are_made_room_for_or_refused_before_any_work() {
    let tmp = tempfile::tempdir().unwrap();
    let month = fixtures().join("months/2024-03-5k");
    let whole = tmp.path().join("whole");
    run_ok(&month, &whole, "2024-06-30", &["-q"]);
    // 40 partitions of 4 inputs hold 3 × 40 × 4 + 64 = 544 files open.
    // A soft limit of 256 under a higher hard one is raised: the same folder.
    let out = tmp.path().join("raised");
    let o = run_with_ulimit("-S -n 256", &month, &out, 40);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_same_folder(&whole, &out);
    // A hard limit of 256: refused, saying what it takes and what to do.
    let out = tmp.path().join("refused");
    let o = run_with_ulimit("-n 256", &month, &out, 40);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("in 40 partitions holds 544 files open, and this system allows 256 (ulimit -n)"), "{err}");
    assert!(!out.exists());
}

#[test]
fn the_french_dialect_a_months_selection_and_records_not_yet_known_partition_alike() {
    let tmp = tempfile::tempdir().unwrap();
    let fr = tmp.path().join("fr");
    generate(
        &fr,
        &["--seekers", "2000", "--months", "2024-03", "--seed", "4", "--dialect", "fr", "--bad-rate", "0.004"],
    );
    let months = tmp.path().join("months");
    generate(&months, &["--seekers", "2000", "--months", "2024-01..2024-03", "--seed", "3", "--bad-rate", "0.004"]);
    let runs: [(&Path, &str, &[&str]); 3] = [
        (&fr, "2024-06-30", &[]),
        (&months, "2024-06-30", &["--months", "2024-02..2024-03"]),
        // Most of March is not yet known on 2024-02-15.
        (&months, "2024-02-15", &[]),
    ];
    for (k, (input, as_of, extra)) in runs.into_iter().enumerate() {
        let whole = tmp.path().join(format!("whole-{k}"));
        let mut args = extra.to_vec();
        args.push("-q");
        run_ok(input, &whole, as_of, &args);
        let part = tmp.path().join(format!("part-{k}"));
        run_partitioned(input, &part, as_of, 12, extra);
        assert_same_folder(&whole, &part);
    }
}
