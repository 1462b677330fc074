//! The errors that stop a command, in the user's terms, and the exit status
//! each one gives (data.md, Exit status). Rejected records are not errors:
//! they are data (`validate::Reject`).

use std::path::PathBuf;

use crate::rules::RulesError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Usage(String),

    /// An input that cannot be read at all: missing, not CSV or Parquet, not UTF-8.
    #[error("cannot read {path}: {problem}")]
    Unreadable { path: PathBuf, problem: String },

    #[error("{path}: missing required column `{column}` (the header has: {found})")]
    MissingColumn { path: PathBuf, column: String, found: String },

    #[error("{path}: {rejected} of {read} records rejected ({rate:.2} %), over the limit of {max_rate:.2} %; by code: {by_code}\nfirst rejects:\n{first}", rate = rate * 100.0, max_rate = max_rate * 100.0, first = first_rejects(rejects))]
    TooManyRejects {
        path: PathBuf,
        rejected: u64,
        read: u64,
        rate: f64,
        max_rate: f64,
        by_code: String,
        /// The file's rejects (the message shows the first 20, one line each;
        /// a `--memory-limit` run, which never holds them all, gives just those).
        rejects: Vec<crate::validate::Reject>,
    },

    #[error(transparent)]
    Rules(#[from] RulesError),

    #[error(transparent)]
    Generate(#[from] crate::generate::GenerateError),

    #[error("cannot write {path}: {problem}")]
    Output { path: PathBuf, problem: String },

    /// A computed figure too large for the outputs' Decimal(18, 2): only
    /// absurd inputs (amounts of 10^16 € and more) get there.
    #[error("seeker {seeker}, month {month}: {figure} = {value} has more than 16 digits before the decimal point, more than the outputs hold; check that seeker's amounts")]
    FigureOutOfRange { seeker: String, month: String, figure: &'static str, value: String },

    /// The `--previous` folder cannot be compared with (nights.md §8.1).
    #[error("previous run {path}: {problem}")]
    Previous { path: PathBuf, problem: String },

    /// Nights.md §8.4: a night that would withdraw too many notices.
    #[error("{withdrawn} of the previous run's {previous} notices would be withdrawn ({rate:.2} %), over the limit of {max_rate:.2} % (--max-withdrawal-rate): a truncated export looks like that; nothing was written", rate = rate * 100.0, max_rate = max_rate * 100.0)]
    MassWithdrawal { withdrawn: u64, previous: u64, rate: f64, max_rate: f64 },

    /// An input without records, or a run with nothing to reconcile: a broken night.
    #[error("{0}")]
    Empty(String),

    /// A sum of figures (an agency's, a total) too large for the outputs.
    #[error("{what} = {value} has more than 16 digits before the decimal point, more than the outputs hold; check the amounts of the inputs")]
    SumOutOfRange { what: String, value: String },

    /// `replay`: an input no longer matches the manifest.
    #[error("{0}")]
    InputChanged(String),

    /// `replay`: an output differs from the manifest.
    #[error("{0}")]
    OutputDiffers(String),

    /// `indus merge` was given folders that are not the N shards of one run.
    #[error("{0}")]
    Parts(String),
}

impl Error {
    /// The process exit status of data.md.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::OutputDiffers(_) => 1,
            Error::InputChanged(_) => 3,
            _ => 2,
        }
    }

    pub fn output(path: impl Into<PathBuf>, e: impl std::fmt::Display) -> Error {
        Error::Output { path: path.into(), problem: e.to_string() }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The first 20 rejects of a file, one line each (file, line, id, column, code, message).
fn first_rejects(rejects: &[crate::validate::Reject]) -> String {
    let lines: Vec<String> = rejects
        .iter()
        .take(crate::validate::FIRST_REJECTS)
        .map(|r| {
            format!("  {} line {} {} [{}] {}: {}", r.file, r.line, r.record_id, r.column, r.code.as_str(), r.message)
        })
        .collect();
    lines.join("\n")
}
