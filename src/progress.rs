//! Progress on a terminal: the stage a run is in and, for the pass over
//! seekers, a bar. Only when stderr is a terminal and `--quiet` was not
//! given: a nightly job's logs get nothing but the summary and the errors.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A run's progress display; does nothing when disabled.
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// Shown when `wanted` and stderr is a terminal.
    pub fn new(wanted: bool) -> Progress {
        let bar = (wanted && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Progress { bar }
    }

    /// A progress that never draws (library callers, tests).
    pub fn hidden() -> Progress {
        Progress { bar: None }
    }

    /// A stage without a known length: a spinner and its name.
    pub fn stage(&self, name: &str) {
        if let Some(bar) = &self.bar {
            bar.set_style(ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}").expect("a valid template"));
            bar.set_length(0);
            bar.set_position(0);
            bar.set_message(name.to_string());
        }
    }

    /// A stage over `len` items (seekers): a bar.
    pub fn counted(&self, name: &str, len: u64) {
        if let Some(bar) = &self.bar {
            bar.set_style(
                ProgressStyle::with_template("{spinner} {elapsed:>4} {msg} [{bar:20}] {pos}/{len}")
                    .expect("a valid template")
                    .progress_chars("=> "),
            );
            bar.set_length(len);
            bar.set_position(0);
            bar.set_message(name.to_string());
        }
    }

    /// `n` more items done (called from any thread).
    pub(crate) fn inc(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    /// Clears the display before the summary is printed.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
