//! Progress of a matrix run: an indicatif bar with ETA on a terminal, plain lines otherwise
//! (CI logs, pipes), both on standard error so standard output stays clean.

use crate::runner::Progress;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{IsTerminal, Write};

/// The progress display that suits standard error.
pub fn for_stderr() -> Box<dyn Progress> {
    if std::io::stderr().is_terminal() {
        Box::new(Bar::new())
    } else {
        Box::new(Lines::default())
    }
}

/// A progress bar with ETA.
pub struct Bar {
    bar: ProgressBar,
}

impl Bar {
    /// A hidden bar until `begin`.
    pub fn new() -> Bar {
        Bar {
            bar: ProgressBar::hidden(),
        }
    }
}

impl Default for Bar {
    fn default() -> Self {
        Bar::new()
    }
}

impl Progress for Bar {
    fn begin(&mut self, total: u64) {
        self.bar = ProgressBar::new(total);
        let style = ProgressStyle::with_template(
            "{elapsed_precise} [{bar:30}] {pos}/{len} runs, ETA {eta}  {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        self.bar.set_style(style);
    }
    fn message(&mut self, msg: &str) {
        self.bar.set_message(msg.to_string());
    }
    fn run_done(&mut self, workload: &str, path: &str, outcome: &str) {
        if outcome.starts_with("FAILED") {
            self.bar.println(format!("{workload} on {path}: {outcome}"));
        }
        self.bar
            .set_message(format!("{workload} on {path}: {outcome}"));
        self.bar.inc(1);
    }
    fn skipped(&mut self, n: u64) {
        self.bar.inc(n);
    }
    fn finish(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// One line per run, with a count.
#[derive(Default)]
pub struct Lines {
    total: u64,
    done: u64,
}

impl Progress for Lines {
    fn begin(&mut self, total: u64) {
        self.total = total;
        let _ = writeln!(std::io::stderr(), "bench: {total} runs planned");
    }
    fn message(&mut self, msg: &str) {
        let _ = writeln!(std::io::stderr(), "bench: {msg}");
    }
    fn run_done(&mut self, workload: &str, path: &str, outcome: &str) {
        self.done += 1;
        let _ = writeln!(
            std::io::stderr(),
            "[{}/{}] {workload} on {path}: {outcome}",
            self.done,
            self.total
        );
    }
    fn skipped(&mut self, n: u64) {
        self.done += n;
    }
    fn finish(&mut self) {
        let _ = writeln!(std::io::stderr(), "bench: done");
    }
}
