//! The nightly operator's guarantees, through the real binary: an output
//! folder is replaced only when it holds exactly a previous run's files, a
//! run never deletes what it reads, a kill at any point of the swap leaves a
//! folder the next run recovers, two runs into one folder never interleave,
//! and a broken night (no record, nothing reconciled, absurd options) exits 2.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;

fn month() -> std::path::PathBuf {
    fixtures().join("months/2024-03-5k")
}

fn run(input: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["run", "--input", input.to_str().unwrap(), "--out", out.to_str().unwrap()];
    args.extend_from_slice(&["--as-of", "2024-04-15"]);
    args.extend_from_slice(extra);
    indus(&args)
}

fn assert_refused(o: &Output, words: &[&str]) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    for w in words {
        assert!(err.contains(w), "stderr should say `{w}`: {err}");
    }
}

#[test]
fn a_folder_holding_anything_but_a_previous_runs_files_is_never_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("x");
    run_ok(&month(), &out, "2024-04-15", &[]);
    // The operator's notes and the inputs copied into the run folder.
    std::fs::write(out.join("NOTES.txt"), "notes").unwrap();
    copy_dir(&month(), &out);
    let o = run(&out, &out, &[]);
    assert_refused(&o, &["x", "inside it"]);
    let o = run(&month(), &out, &[]);
    assert_refused(&o, &["files indus did not write", "NOTES.txt"]);
    assert_eq!(std::fs::read_to_string(out.join("NOTES.txt")).unwrap(), "notes");
    assert!(out.join("rights.csv").exists());

    // --input R/inputs --out R: the inputs are inside the output folder.
    let r = tmp.path().join("r");
    run_ok(&month(), &r, "2024-04-15", &[]);
    copy_dir(&month(), &r.join("inputs"));
    assert_refused(&run(&r.join("inputs"), &r, &[]), &["inside it"]);
    assert!(r.join("inputs/ledger.csv").exists());

    // A report folder is not a run's.
    let rep = tmp.path().join("rep");
    let o = indus(&["report", r.to_str().unwrap(), "--out", rep.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_refused(&run(&month(), &rep, &[]), &["holds a report, not a run's output"]);
    assert!(rep.join("report.html").exists());

    // A previous run's own folder is replaced, and nothing is left beside it.
    let clean = tmp.path().join("clean");
    run_ok(&month(), &clean, "2024-04-15", &[]);
    run_ok(&month(), &clean, "2024-04-15", &[]);
    let beside: Vec<String> = names(tmp.path()).into_iter().filter(|n| n.starts_with(".clean")).collect();
    assert_eq!(beside, [".clean.indus-lock"]);
}

/// Runs into `out` with a kill injected at `fault` (test builds only): the
/// process dies as a kill -9 would, without cleaning up.
fn killed_at(out: &Path, fault: &str) {
    let o = Command::new(env!("CARGO_BIN_EXE_indus"))
        .args(["run", "--input", month().to_str().unwrap(), "--out", out.to_str().unwrap(), "--as-of", "2024-04-16"])
        .env("INDUS_FAULT", fault)
        .output()
        .unwrap();
    assert!(!o.status.success(), "the run was to be killed at {fault}");
}

#[test]
fn a_run_killed_at_the_swap_or_the_cleanup_leaves_a_folder_the_next_run_recovers() {
    for fault in ["before-swap", "after-swap"] {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("g");
        run_ok(&month(), &out, "2024-04-15", &[]);
        killed_at(&out, fault);
        // There is always a whole run folder: the old one before the swap, the new one after.
        let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
        let want = if fault == "before-swap" { "2024-04-15" } else { "2024-04-16" };
        assert!(manifest.contains(&format!("\"as_of\": \"{want}\"")), "{fault}: {manifest}");
        let o = indus(&["replay", out.join("manifest.json").to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{fault}: the folder is whole: {}", stderr(&o));
        // The kill left a staging folder (the new outputs, or the old folder swapped out).
        assert!(names(tmp.path()).iter().any(|n| n.starts_with(".g.indus-tmp-")), "{fault}");
        // The next run cleans it up and succeeds.
        run_ok(&month(), &out, "2024-04-17", &[]);
        assert_eq!(names(tmp.path()), [".g.indus-lock", "g"]);
        let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
        assert!(manifest.contains("\"as_of\": \"2024-04-17\""), "{fault}");
    }
}

#[test]
fn a_second_run_into_the_same_folder_is_refused_naming_the_first() {
    use std::os::unix::io::AsRawFd;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    run_ok(&month(), &out, "2024-04-15", &[]);
    // Hold the lock as a running indus would (it writes its pid there).
    let path = tmp.path().join(".o.indus-lock");
    std::fs::write(&path, "4242\n").unwrap();
    let lock = std::fs::File::open(&path).unwrap();
    // SAFETY: flock on a descriptor this test owns.
    assert_eq!(unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) }, 0);
    let before = std::fs::read(out.join("findings.csv")).unwrap();
    let o = run(&month(), &out, &[]);
    assert_refused(&o, &["another run is writing it", "pid 4242"]);
    assert_eq!(std::fs::read(out.join("findings.csv")).unwrap(), before, "the folder is untouched");
    assert!(!names(tmp.path()).iter().any(|n| n.contains("indus-tmp")), "no staging folder was made");
    // Once the first run is done, the next one runs.
    drop(lock);
    let o = run(&month(), &out, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn an_input_without_records_or_a_run_with_nothing_to_reconcile_is_a_broken_night() {
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("good");
    run_ok(&month(), &good, "2024-04-15", &[]);
    let before = std::fs::read(good.join("findings.csv")).unwrap();
    for file in ["ledger.csv", "rights.csv"] {
        let input = tmp.path().join(format!("no-{file}"));
        copy_dir(&month(), &input);
        let text = std::fs::read_to_string(month().join(file)).unwrap();
        std::fs::write(input.join(file), text.lines().next().unwrap().to_string() + "\n").unwrap();
        assert_refused(&run(&input, &good, &[]), &[file, "no record (only a header)", "--allow-empty"]);
    }
    // An as_of before every record, and months outside the data.
    let o =
        indus(&["run", "--input", month().to_str().unwrap(), "--out", good.to_str().unwrap(), "--as-of", "2023-01-01"]);
    assert_refused(&o, &["reconciles no seeker-month", "no declaration, payslip or payment is known at 2023-01-01"]);
    assert_refused(
        &run(&month(), &good, &["--months", "2022-01..2022-02"]),
        &["reconciles no seeker-month", "2022-01"],
    );
    assert_eq!(std::fs::read(good.join("findings.csv")).unwrap(), before, "the good night stays");
    // Said expected, an empty run writes an empty night.
    let empty = tmp.path().join("empty");
    run_ok(&month(), &empty, "2024-04-15", &["--months", "2022-01..2022-02", "--allow-empty"]);
    assert_eq!(read_csv(&empty.join("findings.csv")).len(), 0);
}

#[test]
fn reject_rates_outside_zero_to_one_and_absurd_thread_counts_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    for rate in ["NaN", "inf", "2", "-1"] {
        let arg = format!("--max-reject-rate={rate}");
        assert_refused(&run(&month(), &out, &[&arg]), &["--max-reject-rate", "between 0 and 1"]);
    }
    assert_refused(&run(&month(), &out, &["--max-withdrawal-rate", "NaN"]), &["--max-withdrawal-rate"]);
    assert_refused(&run(&month(), &out, &["--threads", "1000"]), &["--threads 1000 is more than"]);
    assert!(!out.exists());
    run_ok(&month(), &out, "2024-04-15", &["--max-reject-rate", "1", "--threads", "2"]);
}

#[test]
fn progress_only_on_a_terminal_and_quiet_prints_only_what_is_wrong() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    // Piped, as under cron: no progress drawing at all.
    let o = run(&month(), &out, &[]);
    assert!(o.status.success());
    assert!(o.stderr.is_empty(), "stderr: {}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("findings: 1161"));
    let o = run(&month(), &out, &["--quiet"]);
    assert!(o.status.success());
    assert!(o.stdout.is_empty() && o.stderr.is_empty(), "{}", String::from_utf8_lossy(&o.stdout));
    // On a terminal (script(1) gives the run a pseudo-terminal): the stages are shown.
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("script(1) is not installed: the terminal case is not checked");
        return;
    }
    let typescript = tmp.path().join("typescript");
    let cmd = format!(
        "{} run --input {} --out {} --as-of 2024-04-15",
        env!("CARGO_BIN_EXE_indus"),
        month().display(),
        out.display()
    );
    let o = Command::new("script").args(["-qc", &cmd]).arg(&typescript).output().unwrap();
    assert!(o.status.success());
    let shown = String::from_utf8_lossy(&std::fs::read(&typescript).unwrap()).into_owned();
    assert!(shown.contains("recomputing every seeker"), "{shown}");
    let quiet = format!("{cmd} --quiet");
    let o = Command::new("script").args(["-qc", &quiet]).arg(&typescript).output().unwrap();
    assert!(o.status.success());
    let shown = String::from_utf8_lossy(&std::fs::read(&typescript).unwrap()).into_owned();
    assert!(!shown.contains("recomputing") && !shown.contains("findings:"), "{shown}");
}
