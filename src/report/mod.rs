//! `indus report`: sizes the overpayment backlog over one or more run folders
//! (several months, or several nights of the same month). This module owns
//! reading the runs, keeping each seeker-month from one run only, and writing
//! the report folder; `tables` owns the aggregations and the table files,
//! `charts` the SVG charts and `html` the page.
//!
//! # Which run counts (data.md, Reports)
//!
//! Runs are ranked by their manifest's `as_of`, then by their position on the
//! command line (the one named last wins between equal `as_of`). For every
//! (seeker_id, month) the report keeps the findings of the highest-ranked run
//! that *covers* that seeker-month — that reconciled it, i.e. has it in its
//! `entitlements.parquet` — and drops those of every other run. A seeker-month
//! the newest run found correct (no finding) therefore counts as corrected,
//! not as still owed. Only the months that two runs or more reconcile (from
//! their manifests' `months`) are contested: findings of any other month are
//! kept without a join, and within contested months only the seeker-months
//! that have a finding in some run need a winner (the entitlements are
//! joined to those keys before grouping).
//!
//! Notices: a run notifies a seeker once for everything the run counted
//! (rules.md §6), and names the agency of the seeker's latest month with a
//! counted finding. The report keeps a run's notice when that run wins that
//! latest seeker-month: two nights of the same month keep the newer night's
//! notice only; monthly runs each keep their own. A notice is never split.
//!
//! # Outputs
//!
//! One folder, written atomically like a run's: the tables of `tables` as
//! `NAME.csv` and `NAME.parquet`, `runs.csv` (what was read and kept),
//! `report.html` and a `manifest.json` naming the runs and every output's
//! SHA-256 (nothing in the folder depends on the clock: the same runs give the
//! same bytes).

pub mod charts;
pub mod html;
pub mod tables;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::output::{self, Staging, Written};
use crate::status::Action;

/// What `indus report` was asked.
#[derive(Clone, Debug)]
pub struct ReportOptions {
    /// Run folders, in command-line order (the last wins between equal `as_of`).
    pub runs: Vec<PathBuf>,
    /// The report folder, replaced atomically.
    pub out: PathBuf,
    /// The date the report looks from; default: the latest `as_of` of the runs.
    pub as_of: Option<NaiveDate>,
}

/// One run folder read, and what the report kept of it.
#[derive(Clone, Debug, PartialEq)]
pub struct RunInfo {
    pub path: PathBuf,
    /// 1-based position on the command line.
    pub position: usize,
    pub as_of: NaiveDate,
    /// The months the run reconciled (its manifest's `months`), if it names them.
    pub months: Option<Vec<String>>,
    /// 1 for the run that yields to all others; the highest wins.
    pub precedence: u32,
    pub findings: u64,
    pub findings_kept: u64,
    pub notices: u64,
    pub notices_kept: u64,
}

/// What `report` did: the runs, the headline figures and the files written.
#[derive(Clone, Debug)]
pub struct ReportSummary {
    pub out: PathBuf,
    pub as_of: NaiveDate,
    pub runs: Vec<RunInfo>,
    pub headline: tables::Headline,
    pub outputs: Vec<Written>,
}

/// Everything the page and the tables are drawn from.
#[derive(Clone, Debug)]
pub struct Report {
    pub as_of: NaiveDate,
    pub runs: Vec<RunInfo>,
    pub tables: tables::Tables,
}

/// Reads the runs, keeps each seeker-month from its winning run, aggregates,
/// and writes the report folder.
pub fn report(opts: &ReportOptions) -> Result<ReportSummary, Error> {
    if opts.runs.is_empty() {
        return Err(Error::Usage("indus report needs at least one run folder".into()));
    }
    check_destination(opts)?;
    let mut runs: Vec<RunInfo> =
        opts.runs.iter().enumerate().map(|(i, p)| read_run(p, i + 1)).collect::<Result<_, _>>()?;
    let mut order: Vec<usize> = (0..runs.len()).collect();
    order.sort_by_key(|&i| (runs[i].as_of, runs[i].position));
    for (rank, &i) in order.iter().enumerate() {
        runs[i].precedence = rank as u32 + 1;
    }
    let as_of = opts.as_of.unwrap_or_else(|| runs.iter().map(|r| r.as_of).max().expect("at least one run"));

    let kept = keep_winners(&mut runs)?;
    let tables = tables::build(&kept.findings, &kept.notices, as_of).map_err(|e| polars_problem(&runs, e))?;
    let report = Report { as_of, runs, tables };

    let staging = Staging::new(&opts.out, output::FolderKind::Report)?;
    let dir = staging.dir.clone();
    let mut outputs = tables::write_all(&dir, &report)?;
    outputs.push(write_runs(&dir, &report.runs)?);
    let page = html::page(&report);
    outputs.push(write_bytes(&dir, "report.html", page.as_bytes(), 1)?);
    write_manifest(&dir, &report, &outputs)?;
    staging.commit()?;
    Ok(ReportSummary {
        out: opts.out.clone(),
        as_of,
        headline: report.tables.headline.clone(),
        runs: report.runs,
        outputs,
    })
}

/// A short text summary for the terminal.
pub fn summary(s: &ReportSummary) -> String {
    let h = &s.headline;
    let money = output::money;
    let read: u64 = s.runs.iter().map(|r| r.findings).sum();
    let kept: u64 = s.runs.iter().map(|r| r.findings_kept).sum();
    let mut t =
        format!("report as of {} from {} run(s): {} findings kept of {} read\n", s.as_of, s.runs.len(), kept, read);
    t += &format!("overpaid: {} in {} findings\n", money(h.overpaid.amount), h.overpaid.findings);
    for (name, c) in tables::STATUSES.iter().zip(&h.by_status) {
        t += &format!("  {name:<12} {:>14} ({} findings)\n", money(c.amount), c.findings);
    }
    t += &format!(
        "notices: {} to {} seekers ({} sms, {} phone), {} calls to expect\n",
        h.notices, h.seekers_notified, h.sms, h.phone, h.sms
    );
    if h.by_action.iter().any(|&n| n > 0) && h.by_action[0] != h.notices {
        let parts: Vec<String> = Action::ALL
            .iter()
            .zip(&h.by_action)
            .filter(|(_, n)| **n > 0)
            .map(|(a, n)| format!("{n} {}", a.as_str()))
            .collect();
        t += &format!("  by action: {}\n", parts.join(", "));
    }
    t += &format!("wrote {} ({} files)\n", s.out.display(), s.outputs.len() + 1);
    t
}

/// The report must not replace one of its own inputs, nor any run folder.
fn check_destination(opts: &ReportOptions) -> Result<(), Error> {
    let canon = |p: &Path| fs::canonicalize(p).ok();
    if let Some(out) = canon(&opts.out) {
        if opts.runs.iter().any(|r| canon(r).as_ref() == Some(&out)) {
            return Err(Error::Usage(format!("--out {} is one of the run folders read", opts.out.display())));
        }
        if out.join("findings.parquet").exists() {
            return Err(Error::output(&opts.out, "the folder is a run's output: refusing to replace it with a report"));
        }
    }
    Ok(())
}

fn unreadable(path: &Path, problem: impl Into<String>) -> Error {
    Error::Unreadable { path: path.to_path_buf(), problem: problem.into() }
}

fn polars_problem(runs: &[RunInfo], e: PolarsError) -> Error {
    let paths: Vec<String> = runs.iter().map(|r| r.path.display().to_string()).collect();
    unreadable(Path::new(&paths.join(", ")), e.to_string())
}

/// Reads a run folder's manifest and checks its outputs are there.
fn read_run(path: &Path, position: usize) -> Result<RunInfo, Error> {
    let manifest = path.join("manifest.json");
    let m = crate::output::manifest::Manifest::read(&manifest)?;
    let as_of = crate::validate::parse_date(&m.as_of)
        .ok_or_else(|| unreadable(&manifest, format!("as_of `{}` is not a date (YYYY-MM-DD)", m.as_of)))?;
    let months = Some(m.months);
    if !m.output_set.writes_entitlements() {
        return Err(unreadable(
            path,
            format!(
                "was run with --outputs {}, which leaves out entitlements.parquet: the report sums it \
                 (run the month again with --outputs all)",
                m.output_set.as_str()
            ),
        ));
    }
    for file in ["findings.parquet", "entitlements.parquet", "notices.csv"] {
        if !path.join(file).is_file() {
            return Err(unreadable(path, format!("{file} is missing: not a complete run folder")));
        }
    }
    Ok(RunInfo {
        path: path.to_path_buf(),
        position,
        as_of,
        months,
        precedence: 0,
        findings: 0,
        findings_kept: 0,
        notices: 0,
        notices_kept: 0,
    })
}

fn pl_path(path: &Path) -> Result<PlRefPath, Error> {
    path.to_str().map(PlRefPath::new).ok_or_else(|| unreadable(path, "the path is not UTF-8"))
}

/// The columns of findings.parquet the report uses, with their types.
const FINDING_COLUMNS: [(&str, Kind); 8] = [
    ("seeker_id", Kind::Text),
    ("agency_id", Kind::Text),
    ("month", Kind::Text),
    ("cause", Kind::Text),
    ("amount", Kind::Money),
    ("status", Kind::Text),
    ("basis", Kind::Text),
    ("time_barred_on", Kind::Date),
];

#[derive(Clone, Copy)]
enum Kind {
    Text,
    Money,
    Date,
}

fn check_schema(path: &Path, schema: &Schema, columns: &[(&str, Kind)]) -> Result<(), Error> {
    for (name, kind) in columns {
        let ok = match (schema.get(name), kind) {
            (Some(DataType::String), Kind::Text) => true,
            (Some(DataType::Decimal(_, _)), Kind::Money) => true,
            (Some(DataType::Date), Kind::Date) => true,
            (Some(_), _) => false,
            (None, _) => return Err(unreadable(path, format!("no column `{name}`"))),
        };
        if !ok {
            return Err(unreadable(path, format!("column `{name}` is {:?}", schema.get(name).expect("present"))));
        }
    }
    Ok(())
}

fn scan_parquet(path: &Path, columns: &[(&str, Kind)]) -> Result<LazyFrame, Error> {
    let mut lf = LazyFrame::scan_parquet(pl_path(path)?, ScanArgsParquet::default())
        .map_err(|e| unreadable(path, format!("not a readable Parquet file ({e})")))?;
    let schema = lf.collect_schema().map_err(|e| unreadable(path, format!("not a readable Parquet file ({e})")))?;
    check_schema(path, &schema, columns)?;
    Ok(lf.select(columns.iter().map(|(c, _)| col(*c)).collect::<Vec<_>>()))
}

fn scan_notices(path: &Path) -> Result<LazyFrame, Error> {
    let header = fs::read_to_string(path).map_err(|e| unreadable(path, e.to_string()))?;
    let first = header.lines().next().unwrap_or_default();
    // A run made before nights has the first seven columns, and no action:
    // every notice it wrote was a first one (nights.md §8.4).
    let before_nights = &output::NOTICES_HEADER[..7];
    let columns: &[&str] = if first == output::NOTICES_HEADER.join(",") {
        output::NOTICES_HEADER
    } else if first == before_nights.join(",") {
        before_nights
    } else {
        return Err(unreadable(
            path,
            format!("unexpected header `{first}` (a run's notices.csv has {})", output::NOTICES_HEADER.join(",")),
        ));
    };
    let schema: Schema = columns
        .iter()
        .map(|&c| {
            let money = c == "net" || c == "previous_net";
            Field::new(c.into(), if money { DataType::Decimal(18, 2) } else { DataType::String })
        })
        .collect();
    let action = if columns.contains(&"action") { col("action") } else { lit(Action::First.as_str()).alias("action") };
    LazyCsvReader::new(pl_path(path)?)
        .with_schema(Some(Arc::new(schema)))
        .finish()
        .map(|lf| lf.select([col("seeker_id"), col("agency_id"), col("net"), col("channel"), action]))
        .map_err(|e| unreadable(path, format!("not a readable CSV file ({e})")))
}

/// `expr` is one of `months` (an `or` of equalities: the set is small).
fn in_months(expr: Expr, months: &BTreeSet<String>) -> Expr {
    months.iter().map(|m| expr.clone().eq(lit(m.as_str()))).reduce(|a, b| a.or(b)).unwrap_or(lit(false))
}

/// Which months need the newest-run rule: those two runs or more reconciled.
/// `None`: every month (a run's manifest does not list its months).
fn contested_months(runs: &[RunInfo]) -> Option<BTreeSet<String>> {
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for r in runs {
        for m in r.months.as_ref()?.iter().collect::<BTreeSet<_>>() {
            *count.entry(m).or_default() += 1;
        }
    }
    Some(count.into_iter().filter(|(_, n)| *n > 1).map(|(m, _)| m.to_string()).collect())
}

/// The findings and notices the report counts (data.md, Reports).
pub(crate) struct Kept {
    /// FINDING_COLUMNS plus `run` (the run's precedence).
    pub findings: DataFrame,
    /// seeker_id, agency_id, net, channel, run.
    pub notices: DataFrame,
}

fn concat_all(frames: Vec<LazyFrame>) -> PolarsResult<LazyFrame> {
    concat(frames, UnionArgs { to_supertypes: true, ..Default::default() })
}

/// Applies the newest-run rule and fills each run's read and kept counts.
fn keep_winners(runs: &mut [RunInfo]) -> Result<Kept, Error> {
    let mut findings = Vec::with_capacity(runs.len());
    let mut notices = Vec::with_capacity(runs.len());
    for r in runs.iter() {
        let run = lit(r.precedence).alias("run");
        findings.push(scan_parquet(&r.path.join("findings.parquet"), &FINDING_COLUMNS)?.with_column(run.clone()));
        notices.push(scan_notices(&r.path.join("notices.csv"))?.with_column(run));
    }
    let contested = if runs.len() > 1 { contested_months(runs) } else { Some(BTreeSet::new()) };
    let all_months = contested.is_none();
    let contested = contested.unwrap_or_default();

    let result = || -> PolarsResult<(DataFrame, DataFrame, DataFrame, DataFrame)> {
        let all_findings = concat_all(findings)?.collect()?;
        let all_notices = concat_all(notices)?.collect()?;
        if !all_months && contested.is_empty() {
            return Ok((all_findings.clone(), all_notices.clone(), all_findings, all_notices));
        }
        let keys = [col("seeker_id"), col("month")];
        let contest = |lf: LazyFrame| if all_months { lf } else { lf.filter(in_months(col("month"), &contested)) };
        // Who covers each contested seeker-month that has a finding in some
        // run: the entitlements (every seeker-month a run reconciled, found
        // right or not), and the findings' own keys for safety. Seeker-months
        // without any finding need no winner: restricting the coverage to the
        // keys of the findings keeps the group-by small.
        let with_findings = contest(all_findings.clone().lazy()).select([col("seeker_id"), col("month"), col("run")]);
        let finding_keys =
            with_findings.clone().group_by(keys.clone()).agg([col("run").max().alias("run")]).select(keys.clone());
        let finding_keys = finding_keys.collect()?;
        let mut coverage = vec![with_findings];
        for r in runs.iter() {
            let covers = all_months || r.months.iter().flatten().any(|m| contested.contains(m));
            if covers {
                let lf =
                    LazyFrame::scan_parquet(pl_path_or_err(&r.path.join("entitlements.parquet"))?, Default::default())?
                        .select([col("seeker_id"), col("month")]);
                let lf = contest(lf)
                    .join(finding_keys.clone().lazy(), keys.clone(), keys.clone(), JoinArgs::new(JoinType::Inner))
                    .with_column(lit(r.precedence).alias("run"));
                coverage.push(lf);
            }
        }
        let winners = concat_all(coverage)?.group_by(keys.clone()).agg([col("run").max().alias("win")]).collect()?;

        let won = |lf: LazyFrame| {
            lf.join(winners.clone().lazy(), keys.clone(), keys.clone(), JoinArgs::new(JoinType::Left))
                .filter(col("win").is_null().or(col("run").eq(col("win"))))
                .drop(cols(["win"]))
        };
        let kept_findings = won(all_findings.clone().lazy()).collect()?;
        // A notice stays with the run that wins the seeker's latest counted month.
        let counted = crate::reconcile::Status::ALL
            .iter()
            .filter(|s| s.counts_in_net())
            .map(|s| col("status").eq(lit(s.as_str())))
            .reduce(|a, b| a.or(b))
            .expect("some statuses count in the net");
        // A notice held or withdrawn (nights.md §8.4) may count no finding:
        // it stays with the run that wins the seeker's latest month of any
        // finding in that run, and without any, with the newest run that
        // has a notice row for the seeker (what was sent last).
        let run_seeker = [col("run"), col("seeker_id")];
        let latest = all_findings
            .clone()
            .lazy()
            .group_by(run_seeker.clone())
            .agg([col("month").filter(counted).max().alias("counted"), col("month").max().alias("any")])
            .select([col("run"), col("seeker_id"), coalesce(&[col("counted"), col("any")]).alias("month")]);
        let notice_keys = won(latest).select(run_seeker.clone());
        let by_findings = all_notices.clone().lazy().join(
            notice_keys,
            run_seeker.clone(),
            run_seeker.clone(),
            JoinArgs::new(JoinType::Inner),
        );
        let with_findings = all_findings.clone().lazy().group_by(run_seeker.clone()).agg([len().alias("has_findings")]);
        let without = all_notices
            .clone()
            .lazy()
            .join(with_findings, run_seeker.clone(), run_seeker.clone(), JoinArgs::new(JoinType::Left))
            .filter(col("has_findings").is_null())
            .drop(cols(["has_findings"]));
        let newest = without.clone().group_by([col("seeker_id")]).agg([col("run").max().alias("newest")]);
        let without = without
            .join(newest, [col("seeker_id")], [col("seeker_id")], JoinArgs::new(JoinType::Inner))
            .filter(col("run").eq(col("newest")))
            .drop(cols(["newest"]));
        let kept_notices = concat_all(vec![by_findings, without])?
            .sort_by_exprs(run_seeker, SortMultipleOptions::default())
            .collect()?;
        Ok((all_findings, all_notices, kept_findings, kept_notices))
    };
    let (all_findings, all_notices, kept_findings, kept_notices) = result().map_err(|e| polars_problem(runs, e))?;
    let per_run = |df: &DataFrame| -> Result<BTreeMap<u32, u64>, Error> {
        let counts = || -> PolarsResult<BTreeMap<u32, u64>> {
            let g = df.clone().lazy().group_by([col("run")]).agg([len().alias("n")]).collect()?;
            let run = g.column("run")?.cast(&DataType::UInt32)?;
            let n = g.column("n")?.cast(&DataType::UInt64)?;
            Ok(run.u32()?.iter().zip(n.u64()?.iter()).filter_map(|(r, n)| Some((r?, n?))).collect())
        };
        counts().map_err(|e| polars_problem(runs, e))
    };
    let (fr, fk, nr, nk) =
        (per_run(&all_findings)?, per_run(&kept_findings)?, per_run(&all_notices)?, per_run(&kept_notices)?);
    for r in runs.iter_mut() {
        let get = |m: &BTreeMap<u32, u64>| m.get(&r.precedence).copied().unwrap_or(0);
        (r.findings, r.findings_kept, r.notices, r.notices_kept) = (get(&fr), get(&fk), get(&nr), get(&nk));
    }
    Ok(Kept { findings: kept_findings, notices: kept_notices })
}

fn pl_path_or_err(path: &Path) -> PolarsResult<PlRefPath> {
    path.to_str()
        .map(PlRefPath::new)
        .ok_or_else(|| polars_err!(ComputeError: "{}: the path is not UTF-8", path.display()))
}

fn write_bytes(dir: &Path, file: &str, bytes: &[u8], rows: u64) -> Result<Written, Error> {
    output::write_file(&dir.join(file), bytes)?;
    Ok(Written { file: file.to_string(), sha256: crate::util::hex(&Sha256::digest(bytes)), rows })
}

fn write_runs(dir: &Path, runs: &[RunInfo]) -> Result<Written, Error> {
    let header =
        ["position", "path", "as_of", "months", "precedence", "findings", "findings_kept", "notices", "notices_kept"];
    let rows = runs.iter().map(|r| {
        [
            r.position.to_string(),
            r.path.display().to_string(),
            r.as_of.to_string(),
            r.months.as_ref().map(|m| m.join(" ")).unwrap_or_default(),
            r.precedence.to_string(),
            r.findings.to_string(),
            r.findings_kept.to_string(),
            r.notices.to_string(),
            r.notices_kept.to_string(),
        ]
    });
    tables::write_csv(dir, "runs.csv", &header, rows)
}

#[derive(Serialize)]
struct ReportManifest<'a> {
    engine: &'static str,
    engine_version: &'static str,
    kind: &'static str,
    as_of: String,
    runs: Vec<ManifestRun>,
    outputs: Vec<ManifestOutput<'a>>,
}

#[derive(Serialize)]
struct ManifestOutput<'a> {
    file: &'a str,
    sha256: &'a str,
    rows: u64,
}

#[derive(Serialize)]
struct ManifestRun {
    path: String,
    as_of: String,
    precedence: u32,
    manifest_sha256: String,
}

/// `manifest.json`: the runs read (with their manifests' SHA-256) and every
/// output's SHA-256; it also marks the folder as indus output, which lets a
/// later report replace it.
fn write_manifest(dir: &Path, report: &Report, outputs: &[Written]) -> Result<(), Error> {
    let runs = report
        .runs
        .iter()
        .map(|r| {
            let bytes = fs::read(r.path.join("manifest.json")).map_err(|e| unreadable(&r.path, e.to_string()))?;
            Ok(ManifestRun {
                path: r.path.display().to_string(),
                as_of: r.as_of.to_string(),
                precedence: r.precedence,
                manifest_sha256: crate::util::hex(&Sha256::digest(&bytes)),
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let m = ReportManifest {
        engine: "indus",
        engine_version: env!("CARGO_PKG_VERSION"),
        kind: "report",
        as_of: report.as_of.to_string(),
        runs,
        outputs: outputs.iter().map(|o| ManifestOutput { file: &o.file, sha256: &o.sha256, rows: o.rows }).collect(),
    };
    let mut json = serde_json::to_string_pretty(&m).map_err(|e| Error::output(dir.join("manifest.json"), e))?;
    json.push('\n');
    output::write_file(&dir.join("manifest.json"), json.as_bytes())
}
