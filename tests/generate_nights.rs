//! A generated chain of four nights (`indus generate --nights 4`) through the
//! real binary, checked against the generator's own truth: night 1 alone,
//! then nights 2–4 each with `--previous` = the run of the night before.
//!
//! * Every night, the engine's notices (seeker, action, net, previous_net) and
//!   changes (key, change, previous and current amount and status) equal the
//!   generator's `truth_actions.csv` and `truth_changes.csv`, row for row.
//! * Night 2 holds every kind of mutation many times, and every action a
//!   mutation can cause occurs, with contested findings.
//! * Night 3 (the same exports a day later) sends no message; night 4 (without
//!   the corrected declarations) resumes every notice held in night 3 at its
//!   held net and leaves the rest unchanged.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;

const SEEKERS: &str = "3000";
const MONTHS: &str = "2024-03..2024-04";
const SEED: &str = "20261207";
/// Each mutation kind, and each action night 2 should show, at least this often.
const AT_LEAST: usize = 5;

type Rows = Vec<BTreeMap<String, String>>;

/// `want` and `got` projected on `cols`, compared as sorted sets of lines; the
/// message names the first differences of each side.
fn same_rows(what: &str, got: &Rows, want: &Rows, cols: &[&str]) -> Result<(), String> {
    let g: BTreeSet<String> = project(got, cols).into_iter().collect();
    let w: BTreeSet<String> = project(want, cols).into_iter().collect();
    if g == w {
        return Ok(());
    }
    let only_got: Vec<&String> = g.difference(&w).take(12).collect();
    let only_want: Vec<&String> = w.difference(&g).take(12).collect();
    Err(format!(
        "{what} ({}): {} row(s) only in the engine's output, {} only in the truth\n  engine only: {only_got:#?}\n  truth only: {only_want:#?}",
        cols.join(","),
        g.difference(&w).count(),
        w.difference(&g).count()
    ))
}

fn count_by<'a>(rows: &'a Rows, col: &str) -> BTreeMap<&'a str, usize> {
    let mut m = BTreeMap::new();
    for r in rows {
        *m.entry(r[col].as_str()).or_default() += 1;
    }
    m
}

fn by_seeker(rows: &Rows) -> BTreeMap<String, BTreeMap<String, String>> {
    rows.iter().map(|r| (r["seeker_id"].clone(), r.clone())).collect()
}

#[test]
fn a_generated_chain_of_four_nights_gives_the_generators_actions_and_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let chain = tmp.path().join("chain");
    let g = indus(&[
        "generate",
        "--seekers",
        SEEKERS,
        "--months",
        MONTHS,
        "--seed",
        SEED,
        "--out",
        chain.to_str().unwrap(),
        "--nights",
        "4",
    ]);
    assert!(g.status.success(), "generate --nights failed: {}", String::from_utf8_lossy(&g.stderr));
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(chain.join("nights.json")).unwrap()).unwrap();
    let as_ofs: Vec<String> =
        meta["nights"].as_array().unwrap().iter().map(|n| n["as_of"].as_str().unwrap().to_string()).collect();
    assert_eq!(as_ofs.len(), 4);

    // ---- the four runs
    let runs: Vec<std::path::PathBuf> = (1..=4).map(|k| tmp.path().join(format!("run{k}"))).collect();
    for k in 0..4 {
        let input = chain.join(format!("night{}", k + 1));
        let previous = if k == 0 { None } else { Some(runs[k - 1].to_str().unwrap()) };
        let extra: Vec<&str> = previous.map(|p| vec!["--previous", p]).unwrap_or_default();
        run_ok(&input, &runs[k], &as_ofs[k], &extra);
    }
    let read = |k: usize, file: &str| read_csv(&runs[k].join(file));
    let truth = |k: usize, file: &str| read_csv(&chain.join(format!("night{}", k + 1)).join(file));

    // ---- every night: notices and changes as the generator expects
    let mut errors = Vec::new();
    for k in 0..4 {
        let night = format!("night {}", k + 1);
        if let Err(e) = same_rows(
            &format!("{night} notices"),
            &read(k, "notices.csv"),
            &truth(k, "truth_actions.csv"),
            &["seeker_id", "action", "net", "previous_net"],
        ) {
            errors.push(e);
        }
        if let Err(e) = same_rows(
            &format!("{night} changes"),
            &read(k, "changes.csv"),
            &truth(k, "truth_changes.csv"),
            &["seeker_id", "month", "cause", "change", "previous_amount", "previous_status", "amount", "status"],
        ) {
            errors.push(e);
        }
    }
    assert!(errors.is_empty(), "the engine disagrees with the generator's truth:\n{}", errors.join("\n"));

    // ---- night 1: the generated month, every notice a first one
    let notices1 = read(0, "notices.csv");
    assert!(notices1.len() > 100, "too few notices on night 1 to exercise the chain: {}", notices1.len());
    assert!(notices1.iter().all(|r| r["action"] == "first"));

    // ---- night 2: every mutation, every action it causes
    let mutations = read_csv(&chain.join("mutations.csv"));
    let kinds = count_by(&mutations, "mutation");
    for kind in [
        "late_payslip",
        "conserved_payslip",
        "moved_payslip",
        "reversal",
        "upheld_decision",
        "rejected_decision",
        "corrected_declaration",
    ] {
        let n = kinds.get(kind).copied().unwrap_or(0);
        assert!(n >= AT_LEAST, "night 2 has {n} {kind} mutation(s), fewer than {AT_LEAST}: {kinds:?}");
    }
    let notices2 = read(1, "notices.csv");
    let actions2 = count_by(&notices2, "action");
    for action in ["increased", "decreased", "withdrawn", "held", "unchanged"] {
        let n = actions2.get(action).copied().unwrap_or(0);
        assert!(n >= AT_LEAST, "night 2 has {n} `{action}` notice(s), fewer than {AT_LEAST}: {actions2:?}");
    }
    let contested = read(1, "findings.csv").iter().filter(|f| f["status"] == "contested").count();
    assert!(contested >= AT_LEAST, "night 2 has {contested} contested finding(s)");
    // Each mutation caused the action the generator states for it.
    let by2 = by_seeker(&notices2);
    for m in &mutations {
        let got = by2.get(&m["seeker_id"]).map_or("", |r| r["action"].as_str());
        assert_eq!(got, m["night2_action"], "night 2, {} ({}): action", m["seeker_id"], m["mutation"]);
    }
    // The unmutated seekers notified on night 1 are unchanged.
    let mutated: BTreeSet<&str> = mutations.iter().map(|m| m["seeker_id"].as_str()).collect();
    for r in &notices2 {
        if !mutated.contains(r["seeker_id"].as_str()) {
            assert_eq!(r["action"], "unchanged", "night 2, {} was not mutated", r["seeker_id"]);
        }
    }
    // Every corrected declaration holds its notice, at night 1's net.
    let by1 = by_seeker(&notices1);
    for m in mutations.iter().filter(|m| m["mutation"] == "corrected_declaration") {
        let r = &by2[&m["seeker_id"]];
        assert_eq!(r["action"], "held", "night 2, {}", m["seeker_id"]);
        assert_eq!(r["net"], by1[&m["seeker_id"]]["net"], "night 2, {}: a held notice keeps its net", m["seeker_id"]);
    }

    // ---- night 3: the same exports, no message
    let notices3 = read(2, "notices.csv");
    for r in &notices3 {
        assert!(
            r["action"] == "unchanged" || r["action"] == "held",
            "night 3 sends a message to {}: {}",
            r["seeker_id"],
            r["action"]
        );
    }
    for c in &read(2, "changes.csv") {
        assert_eq!(c["change"], "unchanged", "night 3 changes {} {} {}", c["seeker_id"], c["month"], c["cause"]);
    }
    let held3: BTreeMap<String, String> =
        notices3.iter().filter(|r| r["action"] == "held").map(|r| (r["seeker_id"].clone(), r["net"].clone())).collect();
    assert!(held3.len() >= AT_LEAST, "night 3 holds {} notice(s)", held3.len());

    // ---- night 4: the corrected declarations gone, the held notices resume
    let notices4 = read(3, "notices.csv");
    assert_eq!(notices4.len(), notices3.len(), "night 4 has another set of notices than night 3");
    for r in &notices4 {
        let id = &r["seeker_id"];
        match held3.get(id) {
            Some(net) => {
                assert_eq!(r["action"], "resumed", "night 4, {id} held on night 3");
                assert_eq!(&r["net"], net, "night 4, {id} resumes at the net it was held at");
            }
            None => assert_eq!(r["action"], "unchanged", "night 4, {id}"),
        }
    }
}
