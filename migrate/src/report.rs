//! The import report (LEGACY.md "Report"): every skipped or changed legacy row with its
//! table, legacy id and reason, then counts per table, read and written. Written as JSON
//! with `--report`, summarised on the terminal.

use std::collections::BTreeMap;

use serde::Serialize;

/// What happened to one legacy row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Not imported at all.
    Skipped,
    /// Imported, with something changed on the way (cleaned text, a new owner, seeds…).
    Changed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub table: &'static str,
    pub legacy_id: i64,
    pub outcome: Outcome,
    pub reason: String,
}

/// Rows of one legacy table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RowCounts {
    pub read: u64,
    pub skipped: u64,
    /// Imported by this run (written, or with `--dry-run` that would be written).
    pub written: u64,
    /// Already in GymIT as this run would write them: left alone.
    pub unchanged: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub dry_run: bool,
    pub since: Option<String>,
    pub entries: Vec<Entry>,
    /// Per legacy table.
    pub rows: BTreeMap<&'static str, RowCounts>,
    /// Items written per DynamoDB table (by its environment variable's name).
    pub items_written: BTreeMap<&'static str, u64>,
    pub seconds: f64,
}

impl Report {
    pub fn skip(&mut self, table: &'static str, legacy_id: i64, reason: impl Into<String>) {
        self.entries.push(Entry {
            table,
            legacy_id,
            outcome: Outcome::Skipped,
            reason: reason.into(),
        });
    }

    pub fn change(&mut self, table: &'static str, legacy_id: i64, reason: impl Into<String>) {
        self.entries.push(Entry {
            table,
            legacy_id,
            outcome: Outcome::Changed,
            reason: reason.into(),
        });
    }

    pub fn rows(&mut self, table: &'static str) -> &mut RowCounts {
        self.rows.entry(table).or_default()
    }

    /// Skipped rows of `table`, from the entries.
    pub fn skipped(&self, table: &str) -> u64 {
        self.entries
            .iter()
            .filter(|e| e.table == table && e.outcome == Outcome::Skipped)
            .count() as u64
    }

    /// The closing lines: counts per table.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        for (table, c) in &self.rows {
            out.push_str(&format!(
                "{table}: read {}, written {}, unchanged {}, skipped {}\n",
                c.read, c.written, c.unchanged, c.skipped
            ));
        }
        let changed = self
            .entries
            .iter()
            .filter(|e| e.outcome == Outcome::Changed)
            .count();
        out.push_str(&format!(
            "report: {} skipped, {changed} changed; items written: {}; {:.1} s{}\n",
            self.entries.len() - changed,
            self.items_written
                .iter()
                .map(|(t, n)| format!("{t} {n}"))
                .collect::<Vec<_>>()
                .join(", "),
            self.seconds,
            if self.dry_run {
                " (dry run: nothing written)"
            } else {
                ""
            },
        ));
        out
    }
}
