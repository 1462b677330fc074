//! The `indus` command: parses arguments, calls the library, reports errors
//! and sets the exit status (data.md: 0 done, 1 replay differs, 2 error,
//! 3 replay input changed).

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};

use indus::explain::Lang;
use indus::ingest::DialectChoice;
use indus::model::Month;
use indus::run::{InputOptions, RunOptions};
use indus::Error;

#[derive(Parser)]
#[command(
    name = "indus",
    version,
    about = "Recompute a month of unemployment allowances and explain every euro of overpayment"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Reconcile the input files and write findings, notices and totals.
    Run(RunArgs),
    /// Show the whole derivation of one seeker-month, figure by figure.
    Explain(ExplainArgs),
    /// Re-run the run a manifest.json describes and check every output to the byte.
    Replay(ReplayArgs),
    /// Size the overpayment backlog over run folders: tables (CSV, Parquet) and report.html.
    Report(ReportArgs),
    /// Write a synthetic month (four inputs and truth.csv) for tests and benchmarks.
    Generate(GenerateArgs),
    /// Join the part folders of a run split with `run --shard I/N` into the run's folder.
    Merge(MergeArgs),
    /// Internal: read one Parquet input in a child process (see `probe_parquet_inputs`).
    #[command(name = "__probe-parquet", hide = true)]
    ProbeParquet { kind: String, path: PathBuf },
}

#[derive(Clone, Copy, ValueEnum)]
enum GenDialectArg {
    Intl,
    Fr,
}

#[derive(Clone, Copy, ValueEnum)]
enum GenFormatArg {
    Csv,
    Parquet,
}

#[derive(Args)]
struct GenerateArgs {
    /// How many seekers.
    #[arg(long)]
    seekers: u64,
    /// Months to generate, e.g. 2024-01..2024-03.
    #[arg(long)]
    months: String,
    /// Same seed, same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output folder (created).
    #[arg(long)]
    out: PathBuf,
    #[arg(long, value_enum, default_value = "intl")]
    dialect: GenDialectArg,
    #[arg(long, value_enum, default_value = "csv")]
    format: GenFormatArg,
    /// Share of records made bad, cycling through every reject code.
    #[arg(long, default_value_t = 0.0)]
    bad_rate: f64,
    /// Write a chain of N nights (1 to 4) as OUT/night1..nightN, each with its
    /// expected notice actions and changes (truth_actions.csv, truth_changes.csv).
    #[arg(long)]
    nights: Option<u32>,
}

#[derive(Args)]
struct ReportArgs {
    /// Run folders (months, or nights of the same month); the newest as_of wins a seeker-month,
    /// then the one named last.
    #[arg(required = true)]
    runs: Vec<PathBuf>,
    /// Report folder, replaced atomically.
    #[arg(long)]
    out: PathBuf,
    /// The date the report looks from (default: the latest as_of of the runs).
    #[arg(long, value_parser = parse_date)]
    as_of: Option<NaiveDate>,
}

#[derive(Args)]
struct ReplayArgs {
    /// The manifest.json of the run to replay (its outputs sit beside it).
    manifest: PathBuf,
    /// A folder holding copies of the inputs, found by file name.
    #[arg(long)]
    input: Option<PathBuf>,
    /// The previous night's run folder, when not at the path the manifest records.
    #[arg(long)]
    previous: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum LangArg {
    En,
    Fr,
}

#[derive(Args)]
struct ExplainArgs {
    #[command(flatten)]
    inputs: InputArgs,
    /// The seeker to explain.
    #[arg(long)]
    seeker: String,
    /// The month to explain (YYYY-MM).
    #[arg(long, value_parser = parse_month)]
    month: Month,
    /// The date the run saw the world at (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date)]
    as_of: NaiveDate,
    /// A rule set TOML file instead of the embedded fr-are.
    #[arg(long)]
    rules: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    format: FormatArg,
    /// Language of the text form (fr: worded as the seeker's motivated notification).
    #[arg(long, value_enum, default_value = "en")]
    lang: LangArg,
    /// The previous night's run folder: say what changed since, and the notice's action.
    #[arg(long)]
    previous: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum DialectArg {
    Auto,
    Intl,
    Fr,
}

#[derive(Args)]
struct InputArgs {
    /// Folder holding rights, declarations, attestations and ledger (.csv or .parquet).
    #[arg(long)]
    input: Option<PathBuf>,
    /// The rights file, if not in --input.
    #[arg(long)]
    rights: Option<PathBuf>,
    /// The declarations file, if not in --input.
    #[arg(long)]
    declarations: Option<PathBuf>,
    /// The payslip attestations file, if not in --input.
    #[arg(long)]
    attestations: Option<PathBuf>,
    /// The payment ledger file, if not in --input.
    #[arg(long)]
    ledger: Option<PathBuf>,
    /// The agents' decisions on contested findings, if not decisions.csv in --input (optional).
    #[arg(long)]
    decisions: Option<PathBuf>,
    /// CSV dialect: detected from the header line, or forced.
    #[arg(long, value_enum, default_value = "auto")]
    dialect: DialectArg,
}

impl InputArgs {
    fn options(self) -> InputOptions {
        InputOptions {
            input: self.input,
            rights: self.rights,
            declarations: self.declarations,
            attestations: self.attestations,
            ledger: self.ledger,
            decisions: self.decisions,
            dialect: match self.dialect {
                DialectArg::Auto => DialectChoice::Auto,
                DialectArg::Intl => DialectChoice::Intl,
                DialectArg::Fr => DialectChoice::Fr,
            },
            tables: Vec::new(),
        }
    }
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    inputs: InputArgs,
    /// Output folder, replaced atomically when the run succeeds.
    #[arg(long)]
    out: PathBuf,
    /// The date the run sees the world at (YYYY-MM-DD); later records are not yet known.
    #[arg(long, value_parser = parse_date)]
    as_of: NaiveDate,
    /// A rule set TOML file instead of the embedded fr-are.
    #[arg(long)]
    rules: Option<PathBuf>,
    /// Months to reconcile, e.g. 2024-01..2024-03 (default: every month in the input).
    #[arg(long)]
    months: Option<String>,
    /// Worker threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// Fail when a file's rejected records exceed this share (and number more than 10).
    #[arg(long, default_value_t = 0.01)]
    max_reject_rate: f64,
    /// The previous night's output folder: notify a debt once, re-notify it when it grows,
    /// withdraw it when it was wrong.
    #[arg(long)]
    previous: Option<PathBuf>,
    /// Fail when more than 100 notices, and more than this share of the previous night's,
    /// would be withdrawn (a truncated export looks like that).
    #[arg(long, default_value_t = indus::run::DEFAULT_MAX_WITHDRAWAL_RATE)]
    max_withdrawal_rate: f64,
    /// Accept an input with no record, and a run that reconciles no seeker-month
    /// (otherwise a broken night: exit 2, nothing written).
    #[arg(long)]
    allow_empty: bool,
    /// Print the time of each stage on stderr.
    #[arg(long)]
    timings: bool,
    /// Print only warnings and errors (no summary, no progress): for cron, which mails any output.
    #[arg(long, short)]
    quiet: bool,
    /// Reconcile only shard I of N (seekers by a stable hash of their id) into a part
    /// folder; `indus merge` joins the N parts into the run's folder.
    #[arg(long, value_name = "I/N")]
    shard: Option<indus::partition::Shard>,
    /// Keep the run under this much memory (e.g. 2GiB; at least 512MiB): inputs too large
    /// for it are reconciled in partitions of seekers, one after the other, with the same
    /// outputs [default: three quarters of the machine's memory].
    #[arg(long, value_name = "SIZE", value_parser = indus::run::parse_size)]
    memory_limit: Option<u64>,
    /// Reconcile in exactly N partitions of seekers, one after the other, whatever the
    /// memory (for benchmarks and tests; the outputs are the same for every N).
    #[arg(long, value_name = "N", conflicts_with = "memory_limit")]
    partitions: Option<u32>,
    /// Which files to write: `all`, or `nightly` for every file but entitlements.csv and
    /// entitlements.parquet (the per-month recomputation, most of the bytes; `indus report`
    /// needs them, the next night's --previous does not).
    #[arg(long, value_name = "SET", default_value = "all")]
    outputs: indus::OutputSet,
}

#[derive(Args)]
struct MergeArgs {
    /// The part folders, one for each shard of the run (any order).
    #[arg(required = true)]
    parts: Vec<PathBuf>,
    /// Output folder, replaced atomically when the merge succeeds.
    #[arg(long)]
    out: PathBuf,
    /// Print only warnings and errors.
    #[arg(long, short)]
    quiet: bool,
}

fn merge(args: MergeArgs) -> Result<(), Error> {
    let manifest = indus::merge::merge(&indus::merge::MergeOptions { parts: args.parts, out: args.out })?;
    if !args.quiet {
        print!("{}", indus::run::summary(&manifest));
    }
    Ok(())
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    indus::validate::parse_date(s).ok_or_else(|| format!("`{s}` is not a date (YYYY-MM-DD)"))
}

fn parse_month(s: &str) -> Result<Month, String> {
    Month::parse(s).ok_or_else(|| format!("`{s}` is not a month (YYYY-MM)"))
}

fn explain(args: ExplainArgs) -> Result<(), Error> {
    let x = indus::explain::explain_inputs(
        &args.inputs.options(),
        args.as_of,
        args.rules.as_deref(),
        args.previous.as_deref(),
        &args.seeker,
        args.month,
    )?;
    match args.format {
        FormatArg::Json => println!("{}", serde_json::to_string_pretty(&x).expect("an explanation serializes")),
        FormatArg::Text => {
            let lang = match args.lang {
                LangArg::En => Lang::En,
                LangArg::Fr => Lang::Fr,
            };
            print!("{}", indus::explain::text::render(&x, lang));
        }
    }
    Ok(())
}

fn report(args: ReportArgs) -> Result<(), Error> {
    let opts = indus::report::ReportOptions { runs: args.runs, out: args.out, as_of: args.as_of };
    print!("{}", indus::report::summary(&indus::report::report(&opts)?));
    Ok(())
}

fn replay(args: ReplayArgs) -> Result<(), Error> {
    let report = indus::replay::replay(&indus::replay::ReplayOptions {
        manifest: args.manifest,
        input: args.input,
        previous: args.previous,
    })?;
    print!("{report}");
    Ok(())
}

fn generate(args: GenerateArgs) -> Result<(), Error> {
    use indus::generate::{GenDialect, GenFormat, GenerateOptions};
    let months = Month::parse_range(&args.months).ok_or_else(|| {
        Error::Usage(format!("--months `{}` is not a month or a range like 2024-01..2024-03", args.months))
    })?;
    if !(0.0..=1.0).contains(&args.bad_rate) {
        return Err(Error::Usage(format!("--bad-rate {} is not between 0 and 1", args.bad_rate)));
    }
    let opts = GenerateOptions {
        seekers: args.seekers,
        months,
        seed: args.seed,
        out: args.out,
        dialect: match args.dialect {
            GenDialectArg::Intl => GenDialect::Intl,
            GenDialectArg::Fr => GenDialect::Fr,
        },
        format: match args.format {
            GenFormatArg::Csv => GenFormat::Csv,
            GenFormatArg::Parquet => GenFormat::Parquet,
        },
        bad_rate: args.bad_rate,
    };
    if let Some(nights) = args.nights {
        return generate_nights(&opts, nights);
    }
    let summary = indus::generate::generate(&opts)?;
    for (file, rows) in &summary.rows {
        println!("{file:<22} {rows:>10} rows");
    }
    println!("run it with: indus run --input {} --out OUT --as-of {}", opts.out.display(), summary.as_of);
    Ok(())
}

/// `indus generate --nights N`: the chain of nights, each night's as_of and
/// how to run it (night k with `--previous` = the run of night k-1).
fn generate_nights(opts: &indus::generate::GenerateOptions, nights: u32) -> Result<(), Error> {
    let summary = indus::generate::nights::generate_nights(opts, nights)?;
    for (k, as_of) in summary.as_ofs.iter().enumerate() {
        let counts: Vec<String> =
            summary.actions[k].iter().filter(|(_, n)| *n > 0).map(|(a, n)| format!("{} {n}", a.as_str())).collect();
        println!("night{} as_of {as_of}  expected notices: {}", k + 1, counts.join(", "));
    }
    let dir = opts.out.display();
    println!("run night1: indus run --input {dir}/night1 --out RUN1 --as-of {}", summary.as_ofs[0]);
    for k in 1..summary.as_ofs.len() {
        println!(
            "run night{}: indus run --input {dir}/night{} --out RUN{} --as-of {} --previous RUN{k}",
            k + 1,
            k + 1,
            k + 1,
            summary.as_ofs[k]
        );
    }
    if summary.night2_withdrawn > 100 && summary.night2_withdrawal_rate > 0.05 {
        println!(
            "night 2 withdraws {} notices ({:.2} %): run it with --max-withdrawal-rate {:.2}",
            summary.night2_withdrawn,
            summary.night2_withdrawal_rate * 100.0,
            (summary.night2_withdrawal_rate + 0.01).min(1.0)
        );
    }
    Ok(())
}

/// Reads each Parquet input once in a child process first. polars' Parquet
/// reader aborts the process on some damaged files (an allocation of 2^61
/// bytes sized from a page header; fuzzing found them): no panic handler
/// can turn that into an error, but a child's death can be.
fn probe_parquet_inputs(inputs: &InputOptions) -> Result<(), Error> {
    let Ok(exe) = std::env::current_exe() else { return Ok(()) };
    // An input that cannot be found is the run's to report.
    for (kind, path) in inputs.locate().unwrap_or_default() {
        if !path.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet")) {
            continue;
        }
        let status = std::process::Command::new(&exe)
            .args(["__probe-parquet", kind.name()])
            .arg(&path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
        // The child reports a readable or unreadable file by exiting 0 either
        // way: a panic (101) or a signal means the reader crashed.
        if status.is_ok_and(|s| !s.success()) {
            return Err(Error::Unreadable {
                path,
                problem: "not a readable Parquet file (the Parquet reader crashed on it: its pages are damaged)".into(),
            });
        }
    }
    Ok(())
}

fn run(args: RunArgs) -> Result<(), Error> {
    // A rate outside [0, 1] (or NaN) would switch the reject guard off.
    if !(0.0..=1.0).contains(&args.max_reject_rate) {
        return Err(Error::Usage(format!("--max-reject-rate {} is not a share between 0 and 1", args.max_reject_rate)));
    }
    indus::run::configure_threads(args.threads)?;
    let opts = RunOptions {
        inputs: args.inputs.options(),
        out: args.out,
        as_of: args.as_of,
        rules: args.rules,
        months: args.months,
        max_reject_rate: args.max_reject_rate,
        previous: args.previous,
        max_withdrawal_rate: args.max_withdrawal_rate,
        allow_empty: args.allow_empty,
        progress: !args.quiet,
        shard: args.shard,
        memory_limit: args.memory_limit,
        partitions: args.partitions,
        outputs: args.outputs,
    };
    probe_parquet_inputs(&opts.inputs)?;
    let report = indus::run::run(&opts)?;
    for w in &report.warnings {
        eprintln!("indus: warning: {w}");
    }
    if args.timings {
        let (mut wall, mut cpu) = (0.0, 0.0);
        for ((stage, w, c), peak) in report.timings.stages.iter().zip(&report.timings.peaks) {
            let (w, c) = (w.as_secs_f64(), c.as_secs_f64());
            let peak = *peak as f64 / 1e6;
            eprintln!("indus: timing {stage:<10} {w:>9.3} s wall {c:>9.3} s cpu {peak:>8.0} MB peak so far");
            (wall, cpu) = (wall + w, cpu + c);
        }
        eprintln!("indus: timing {:<10} {wall:>9.3} s wall {cpu:>9.3} s cpu", "total");
    }
    if !args.quiet {
        if report.partitions > 1 {
            let why = if args.partitions.is_some() { "as --partitions says" } else { "to stay under --memory-limit" };
            eprintln!("indus: reconciled in {} partitions of seekers {why}", report.partitions);
        }
        print!("{}", indus::run::summary(&report.manifest));
    }
    // The outputs are in place. Freeing a million seekers' records one by one
    // would take half a second; the kernel takes the memory back at once.
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    std::process::exit(0);
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(a) => run(a),
        Command::Explain(a) => explain(a),
        Command::Replay(a) => replay(a),
        Command::Report(a) => report(a),
        Command::Generate(a) => generate(a),
        Command::Merge(a) => merge(a),
        Command::ProbeParquet { kind, path } => {
            // Only a crash matters to the parent; an error is reported by the run itself.
            if let Some(kind) = indus::ingest::InputKind::parse(&kind) {
                let _ = indus::ingest::read_table(kind, &path, DialectChoice::Auto);
            }
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("indus: error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
