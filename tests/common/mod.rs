//! Helpers shared by the integration tests: run the real `indus` binary and
//! read the CSV files it writes.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

pub fn indus(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_indus")).args(args).output().expect("indus runs")
}

/// Runs `indus run` and panics with its stderr unless it exits 0.
pub fn run_ok(input: &Path, out: &Path, as_of: &str, extra: &[&str]) -> Output {
    let mut args = vec!["run", "--input", input.to_str().unwrap(), "--out", out.to_str().unwrap(), "--as-of", as_of];
    args.extend_from_slice(extra);
    let o = indus(&args);
    assert!(o.status.success(), "indus {args:?} failed: {}", String::from_utf8_lossy(&o.stderr));
    o
}

/// A CSV file as rows of column → value.
pub fn read_csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers.iter().zip(rec.iter()).map(|(h, v)| (h.to_string(), v.to_string())).collect()
        })
        .collect()
}

/// The chosen columns of every row, joined with `,`, sorted.
pub fn project(rows: &[BTreeMap<String, String>], cols: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = rows
        .iter()
        .map(|r| {
            cols.iter()
                .map(|c| r.get(*c).unwrap_or_else(|| panic!("no column {c}")).as_str())
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    v.sort();
    v
}

/// The hand-worked case folders of fixtures/cases, in name order.
pub fn case_dirs() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(fixtures().join("cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    cases
}

/// The `as_of` a case's README names ("Run with `as_of` = 2024-04-15.").
pub fn case_as_of(case: &Path) -> String {
    let readme = std::fs::read_to_string(case.join("README.md")).unwrap();
    let i = readme.find("`as_of` = ").expect("README names the as_of") + "`as_of` = ".len();
    readme[i..i + 10].to_string()
}

/// Copies a folder's files (not recursive).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// What a command wrote on stderr.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The names of a folder's entries, sorted.
pub fn names(d: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

/// Every file of `a` is in `b` with the same bytes, and the other way round.
pub fn assert_same_folder(a: &Path, b: &Path) {
    assert_eq!(names(a), names(b), "{} and {} hold different files", a.display(), b.display());
    for f in names(a) {
        let (x, y) = (std::fs::read(a.join(&f)).unwrap(), std::fs::read(b.join(&f)).unwrap());
        assert!(x == y, "{f} differs between {} and {}", a.display(), b.display());
    }
}

/// A generated two-month input of 1,500 seekers with bad records
/// (`--bad-rate`), for the runs compared across partitions, shards and buckets.
pub const TWO_MONTHS_WITH_BAD_RECORDS: [&str; 8] =
    ["--seekers", "1500", "--months", "2024-02..2024-03", "--seed", "21", "--bad-rate", "0.004"];

/// `indus merge -q --out OUT PARTS…`, whatever its exit.
pub fn merge(parts: &[&Path], out: &Path) -> Output {
    let mut args: Vec<&str> = vec!["merge", "-q", "--out", out.to_str().unwrap()];
    args.extend(parts.iter().map(|p| p.to_str().unwrap()));
    indus(&args)
}

/// [`merge`], which must succeed.
pub fn merge_ok(parts: &[PathBuf], out: &Path) {
    let refs: Vec<&Path> = parts.iter().map(PathBuf::as_path).collect();
    let o = merge(&refs, out);
    assert!(o.status.success(), "merge failed: {}", stderr(&o));
}

/// `indus generate ARGS --out OUT`, which must succeed.
pub fn generate(out: &Path, args: &[&str]) {
    let mut a = vec!["generate"];
    a.extend_from_slice(args);
    a.extend(["--out", out.to_str().unwrap()]);
    let o = indus(&a);
    assert!(o.status.success(), "indus {a:?} failed: {}", stderr(&o));
}

/// A generated chain of two nights in `dir/chain`, and each night's as_of.
pub fn generate_two_nights(dir: &Path, seekers: &str) -> (PathBuf, [String; 2]) {
    let chain = dir.join("chain");
    generate(&chain, &["--seekers", seekers, "--months", "2024-03..2024-04", "--seed", "7", "--nights", "2"]);
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(chain.join("nights.json")).unwrap()).unwrap();
    let as_of = |k: usize| meta["nights"][k]["as_of"].as_str().unwrap().to_string();
    (chain, [as_of(0), as_of(1)])
}

/// `indus run --input INPUT --out OUT --as-of AS_OF EXTRA…`, whatever its exit.
pub fn run_input(input: &Path, out: &Path, as_of: &str, extra: &[&str]) -> Output {
    let mut args = vec!["run", "--input", input.to_str().unwrap(), "--out", out.to_str().unwrap(), "--as-of", as_of];
    args.extend_from_slice(extra);
    indus(&args)
}

/// Appends lines to an input file (its header stays the first line).
pub fn append(path: &Path, lines: &str) {
    let mut text = std::fs::read_to_string(path).unwrap();
    text.push_str(lines);
    std::fs::write(path, text).unwrap();
}

/// Adds to a generated input folder what the generator does not write:
/// two declarations repeating the ids of others' (so, in other partitions,
/// shards or buckets), a line without any value and an empty line, a record
/// with a field too many, and a right with a quoted line break.
pub fn add_records_the_generator_does_not_write(input: &Path) {
    let decl = input.join("declarations.csv");
    let first: Vec<String> =
        std::fs::read_to_string(&decl).unwrap().lines().skip(1).take(3).map(String::from).collect();
    let repeat = |line: &str, seeker: &str| {
        let mut f: Vec<&str> = line.split(',').collect();
        f[1] = seeker;
        f.join(",")
    };
    append(
        &decl,
        &format!(
            "{}\n{}\n,,,,,,,\n\n{},extra\n",
            repeat(&first[0], "S-OTHER-1"),
            repeat(&first[1], "S-OTHER-2"),
            first[2]
        ),
    );
    append(
        &input.join("rights.csv"),
        "R-QUOTED,S-QUOTED,\"AG\nENCY\",2023-01-01,2023-02-01,,50.00,730,0,40,2023-01-20\n",
    );
}

/// A run folder's rejects.csv holds at least one reject of each code.
pub fn assert_rejects_include(run: &Path, codes: &[&str]) {
    let found = project(&read_csv(&run.join("rejects.csv")), &["code"]);
    for code in codes {
        assert!(found.iter().any(|c| c == code), "no {code} reject in {}", run.display());
    }
}

/// The SHA-256 of `bytes` in lowercase hex, as manifests give it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
