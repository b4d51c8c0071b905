//! Progress of each table's writes: an `indicatif` bar per table (items, items/s) when
//! stderr is a terminal, plain lines otherwise (CI logs, `make test`).

use std::{
    io::IsTerminal,
    sync::{
        atomic::{AtomicU64, Ordering},
        Mutex,
    },
    time::{Duration, Instant},
};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

/// The bars of one run.
pub struct Progress {
    bars: Option<MultiProgress>,
}

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress {
    pub fn new() -> Self {
        Self {
            bars: std::io::stderr().is_terminal().then(MultiProgress::new),
        }
    }

    /// A bar (or plain lines) for `total` items of `label`.
    pub fn table(&self, label: &str, total: u64) -> TableProgress {
        let bar = self.bars.as_ref().map(|m| {
            let bar = m.add(ProgressBar::new(total));
            if let Ok(style) = ProgressStyle::with_template(
                "{prefix:>24} [{bar:32}] {pos}/{len} items {per_sec} {elapsed}",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_prefix(label.to_string());
            bar
        });
        TableProgress {
            label: label.to_string(),
            total,
            done: AtomicU64::new(0),
            bar,
            started: Instant::now(),
            last_line: Mutex::new(Instant::now()),
        }
    }
}

pub struct TableProgress {
    label: String,
    total: u64,
    done: AtomicU64,
    bar: Option<ProgressBar>,
    started: Instant,
    last_line: Mutex<Instant>,
}

impl TableProgress {
    pub fn add(&self, n: u64) {
        let done = self.done.fetch_add(n, Ordering::Relaxed) + n;
        match &self.bar {
            Some(bar) => bar.inc(n),
            None => {
                let mut last = self.last_line.lock().unwrap_or_else(|e| e.into_inner());
                if last.elapsed() >= Duration::from_secs(5) {
                    *last = Instant::now();
                    eprintln!("{}", self.line(done));
                }
            }
        }
    }

    fn line(&self, done: u64) -> String {
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        format!(
            "{}: {done}/{} items, {:.0}/s, {secs:.1} s",
            self.label,
            self.total,
            done as f64 / secs
        )
    }

    pub fn finish(&self) {
        match &self.bar {
            Some(bar) => bar.finish(),
            None => eprintln!("{}", self.line(self.done.load(Ordering::Relaxed))),
        }
    }
}
