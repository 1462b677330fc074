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
