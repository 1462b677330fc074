//! indus: batch overpayment reconciliation for French unemployment allowances.
//!
//! A run replays a month from the back office's files and explains every euro
//! of difference between what was paid and what was due:
//!
//! ```text
//! ingest → validate → (per seeker, in parallel) recompute → reconcile → status → output
//! ```
//!
//! `rules` holds the dated legal parameters; `run` ties the stages together.
//!
//! The definition of correct is `docs/spec/`: comments citing `rules.md §N`,
//! `data.md` or `nights.md §8.N` mean those files.

pub mod bucket;
pub mod error;
pub mod explain;
pub mod generate;
pub mod ingest;
pub mod merge;
pub mod model;
pub(crate) mod nights;
pub(crate) mod order;
pub(crate) mod output;
pub mod partition;
pub(crate) mod partitioned;
pub mod previous;
pub(crate) mod progress;
pub(crate) mod recompute;
pub mod reconcile;
pub mod replay;
pub mod report;
pub mod rules;
pub mod run;
pub mod status;
pub(crate) mod util;
pub mod validate;

pub use error::{Error, Result};
pub use output::frames;
pub use output::OutputSet;
