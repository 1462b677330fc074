//! `indus replay`: re-runs the run a `manifest.json` describes and checks it to
//! the byte. Inputs are checked first (a changed or missing input stops the
//! replay: exit 3); then the run is recomputed into a temporary folder and
//! every output is compared with the manifest and with the file in the run
//! folder (a difference: exit 1, naming the file and its first differing row).

use std::fs;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::error::{Error, Result};
use crate::ingest::{DialectChoice, InputKind};
use crate::output::manifest::Manifest;
use crate::rules::RuleSet;
use crate::run::{compute, write_outputs, InputOptions, RunOptions};

pub struct ReplayOptions {
    pub manifest: PathBuf,
    /// A folder holding copies of the inputs (found by file name).
    pub input: Option<PathBuf>,
    /// The previous night's folder, when not at the recorded path (an auditor's copy).
    pub previous: Option<PathBuf>,
}

pub(crate) fn read_manifest(path: &Path) -> Result<Manifest> {
    Manifest::read(path)
}

/// The option naming one input's file.
fn slot(inputs: &mut InputOptions, kind: InputKind) -> &mut Option<PathBuf> {
    match kind {
        InputKind::Rights => &mut inputs.rights,
        InputKind::Declarations => &mut inputs.declarations,
        InputKind::Attestations => &mut inputs.attestations,
        InputKind::Ledger => &mut inputs.ledger,
        InputKind::Decisions => &mut inputs.decisions,
    }
}

/// Replays a run; `Ok` carries the report when every output is identical.
pub fn replay(opts: &ReplayOptions) -> Result<String> {
    let m = read_manifest(&opts.manifest)?;
    let run_dir = opts.manifest.parent().map(Path::to_path_buf).unwrap_or_default();

    // 1. Inputs and rule set, before anything is computed.
    let mut changed = Vec::new();
    let mut inputs = InputOptions {
        dialect: match m.dialect.as_str() {
            "intl" => DialectChoice::Intl,
            "fr" => DialectChoice::Fr,
            _ => DialectChoice::Auto,
        },
        ..Default::default()
    };
    for i in &m.inputs {
        let recorded = PathBuf::from(&i.path);
        let path = match &opts.input {
            Some(dir) => dir.join(recorded.file_name().unwrap_or_default()),
            None => recorded,
        };
        match crate::util::sha256_file(&path) {
            Ok(h) if h == i.sha256 => {}
            Ok(h) => changed.push(format!("{}: SHA-256 is {h}, the manifest says {}", path.display(), i.sha256)),
            Err(e) => changed.push(format!("{}: {e}", path.display())),
        }
        let kind = InputKind::parse(&i.kind).ok_or_else(|| Error::Unreadable {
            path: opts.manifest.clone(),
            problem: format!("unknown input kind `{}`", i.kind),
        })?;
        *slot(&mut inputs, kind) = Some(path);
    }
    // Without a decisions file listed, the run had none: none is looked for.
    if let Some(k) = InputKind::ALL.into_iter().find(|&k| k.required() && slot(&mut inputs, k).is_none()) {
        return Err(Error::Unreadable {
            path: opts.manifest.clone(),
            problem: format!("the manifest names no {k} input"),
        });
    }
    let rules_path = (!m.rule_set.path.is_empty()).then(|| PathBuf::from(&m.rule_set.path));
    let rules_sha = match &rules_path {
        Some(p) => crate::util::sha256_file(p).map_err(|e| format!("{}: {e}", p.display())),
        None => Ok(RuleSet::default_rules().sha256),
    };
    match rules_sha {
        Ok(h) if h == m.rule_set.sha256 => {}
        Ok(h) => changed.push(format!(
            "rule set {}: SHA-256 is {h}, the manifest says {} ({}@{})",
            rules_path.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "embedded in this indus".into()),
            m.rule_set.sha256,
            m.rule_set.id,
            m.rule_set.version
        )),
        Err(e) => changed.push(format!("rule set {e}")),
    }
    // The previous night: at the recorded path or the auditor's copy, with
    // the manifest it had then and files that still match it.
    let previous = match &m.previous {
        None => None,
        Some(p) => {
            let dir = opts.previous.clone().unwrap_or_else(|| PathBuf::from(&p.path));
            match crate::util::sha256_file(&dir.join("manifest.json")) {
                Ok(h) if h == p.manifest_sha256 => {}
                Ok(h) => changed.push(format!(
                    "previous run {}: manifest.json SHA-256 is {h}, the manifest says {}",
                    dir.display(),
                    p.manifest_sha256
                )),
                Err(e) => changed.push(format!("previous run {}: manifest.json: {e}", dir.display())),
            }
            Some(dir)
        }
    };
    if !changed.is_empty() {
        return Err(Error::InputChanged(format!(
            "the inputs no longer match {}; nothing was compared:\n  {}",
            opts.manifest.display(),
            changed.join("\n  ")
        )));
    }

    // 2. Recompute into a temporary folder.
    let as_of = crate::validate::parse_date(&m.as_of).ok_or_else(|| Error::Unreadable {
        path: opts.manifest.clone(),
        problem: format!("as_of `{}` is not a date", m.as_of),
    })?;
    let run_opts = RunOptions {
        inputs,
        out: PathBuf::new(),
        as_of,
        rules: rules_path,
        months: m.months_selected.clone(),
        max_reject_rate: m.max_reject_rate,
        previous,
        max_withdrawal_rate: m.max_withdrawal_rate,
        allow_empty: m.allow_empty,
        progress: false,
        // A shard's part folder replays as that shard.
        shard: m.shard.as_ref().map(|s| crate::partition::Shard { index: s.index, count: s.count }),
        // Replay computes in memory: a partitioned run's outputs are the same bytes.
        memory_limit: None,
        partitions: None,
        outputs: m.output_set,
    };
    // A previous folder whose files no longer match its own manifest is a changed input.
    let computed = compute(&run_opts).map_err(|e| match e {
        Error::Previous { .. } => Error::InputChanged(format!("{e}; nothing was compared")),
        e => e,
    })?;
    let tmp = TempDir::new()?;
    let recomputed = write_outputs(&computed, &run_opts, &tmp.0)?;

    // 3. Compare every output the run writes — its own list, not the
    // manifest's, which could have been edited to leave one out — with the
    // manifest and with the run folder; then the manifest's counts and totals.
    let mut report = Vec::new();
    let mut differs = Vec::new();
    for again in &recomputed.outputs {
        let listed = m.outputs.iter().find(|o| o.file == again.file);
        let on_disk = run_dir.join(&again.file);
        let disk_sha = crate::util::sha256_file(&on_disk).ok();
        let same = listed.is_some_and(|o| o.sha256 == again.sha256 && o.rows == again.rows)
            && disk_sha.as_deref() == Some(again.sha256.as_str());
        if same {
            report.push(format!("identical  {} ({} rows, sha256 {})", again.file, again.rows, again.sha256));
            continue;
        }
        let detail = match (listed, &disk_sha) {
            (None, _) => format!("{}: the manifest does not list it", again.file),
            (_, None) => format!("{}: missing from the run folder {}", again.file, run_dir.display()),
            (Some(o), Some(d)) if *d == again.sha256 && o.sha256 != again.sha256 => format!(
                "{}: the file is the one recomputed, but the manifest records SHA-256 {} (recomputed {})",
                again.file, o.sha256, again.sha256
            ),
            (Some(o), Some(d)) if *d == again.sha256 => {
                format!("{}: the manifest records {} rows, the run has {}", again.file, o.rows, again.rows)
            }
            _ => first_difference(&tmp.0.join(&again.file), &on_disk, &again.file)?,
        };
        differs.push(detail);
    }
    for o in m.outputs.iter().filter(|o| !recomputed.outputs.iter().any(|r| r.file == o.file)) {
        differs.push(format!("{}: listed by the manifest, but not an output of this run", o.file));
    }
    differs.extend(manifest_differences(&m, &recomputed));
    if differs.is_empty() {
        Ok(format!("replayed {}: every output is identical\n{}\n", opts.manifest.display(), report.join("\n")))
    } else {
        Err(Error::OutputDiffers(format!(
            "replayed {}: {} output(s) differ:\n  {}",
            opts.manifest.display(),
            differs.len(),
            differs.join("\n  ")
        )))
    }
}

/// What the manifest says of the run besides its files (months, counts,
/// totals) compared with what the replay computed.
fn manifest_differences(recorded: &Manifest, again: &Manifest) -> Vec<String> {
    let mut out = Vec::new();
    let pairs: [(&str, serde_json::Value, serde_json::Value); 4] = [
        ("months", json(&recorded.months), json(&again.months)),
        ("totals", json(&recorded.totals), json(&again.totals)),
        ("decisions_unmatched", json(&recorded.decisions_unmatched), json(&again.decisions_unmatched)),
        (
            "inputs' counts",
            json(
                &recorded
                    .inputs
                    .iter()
                    .map(|i| (&i.kind, i.rows_read, i.rejected, i.not_yet_known))
                    .collect::<Vec<_>>(),
            ),
            json(&again.inputs.iter().map(|i| (&i.kind, i.rows_read, i.rejected, i.not_yet_known)).collect::<Vec<_>>()),
        ),
    ];
    for (what, a, b) in pairs {
        if a != b {
            out.push(format!("manifest.json: {what} differ\n    recorded:   {a}\n    recomputed: {b}"));
        }
    }
    out
}

/// A manifest field as JSON, for comparing.
fn json<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// Where a recomputed output first differs from the run folder's copy.
fn first_difference(recomputed: &Path, on_disk: &Path, file: &str) -> Result<String> {
    if file.ends_with(".parquet") {
        return parquet_difference(recomputed, on_disk, file);
    }
    let read = |p: &Path| {
        fs::read_to_string(p).map_err(|e| Error::Unreadable { path: p.to_path_buf(), problem: e.to_string() })
    };
    let (a, b) = (read(recomputed)?, read(on_disk)?);
    let (mut la, mut lb) = (a.lines(), b.lines());
    let mut line = 1;
    loop {
        match (la.next(), lb.next()) {
            (None, None) => {
                let plain = |t: &str| t.replace("\r\n", "\n").trim_end_matches('\n').to_string();
                let why = if plain(&a) == plain(&b) { " (line ends or a trailing newline)" } else { "" };
                return Ok(format!("{file}: same rows, different bytes{why}"));
            }
            (x, y) if x != y => {
                let what = if line == 1 { "the header".to_string() } else { format!("row {} (line {line})", line - 1) };
                return Ok(format!(
                    "{file}: {what} differs\n    recomputed:    {}\n    in run folder: {}",
                    x.unwrap_or("(no such line)"),
                    y.unwrap_or("(no such line)")
                ));
            }
            _ => line += 1,
        }
    }
}

fn parquet_difference(recomputed: &Path, on_disk: &Path, file: &str) -> Result<String> {
    let read = |p: &Path| -> Result<DataFrame> {
        let bytes = fs::read(p).map_err(|e| Error::Unreadable { path: p.to_path_buf(), problem: e.to_string() })?;
        ParquetReader::new(Cursor::new(bytes)).finish().map_err(|e| Error::Unreadable {
            path: p.to_path_buf(),
            problem: format!("not a readable Parquet file ({e})"),
        })
    };
    let (a, b) = (read(recomputed)?, read(on_disk)?);
    if a.get_column_names() != b.get_column_names() {
        return Ok(format!("{file}: the columns differ"));
    }
    let n = a.height().min(b.height());
    let mut first: Option<(usize, String)> = None;
    for name in a.get_column_names() {
        let text = |df: &DataFrame| -> Result<Vec<Option<String>>> {
            let s = df
                .column(name)
                .and_then(|c| c.as_materialized_series().cast(&DataType::String))
                .map_err(|e| Error::Unreadable { path: PathBuf::from(file), problem: e.to_string() })?;
            let ca = s.str().map_err(|e| Error::Unreadable { path: PathBuf::from(file), problem: e.to_string() })?;
            Ok(ca.iter().map(|v| v.map(str::to_string)).collect())
        };
        let (ca, cb) = (text(&a)?, text(&b)?);
        if let Some(i) = (0..n).find(|&i| ca[i] != cb[i]) {
            if first.as_ref().is_none_or(|(j, _)| i < *j) {
                first = Some((i, format!("column {name}: recomputed {:?}, in run folder {:?}", ca[i], cb[i])));
            }
        }
    }
    Ok(match first {
        Some((i, what)) => format!("{file}: row {} differs ({what})", i + 1),
        None if a.height() != b.height() => {
            format!("{file}: {} rows recomputed, {} in the run folder", a.height(), b.height())
        }
        None => format!("{file}: same rows, different bytes"),
    })
}

/// A temporary folder removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<TempDir> {
        let dir = std::env::temp_dir().join(format!("indus-replay-{}", std::process::id()));
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(|e| Error::output(&dir, e))?;
        }
        fs::create_dir_all(&dir).map_err(|e| Error::output(&dir, e))?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}
