//! What a developer sees of each mapping at `GET /_local/status`: its shards, position,
//! counts, lag and last error.

use std::{sync::Mutex, time::Instant};

use serde::Serialize;

/// What a developer needs to see of each mapping: `GET /_local/status`.
#[derive(Debug, Clone, Serialize)]
pub struct MappingStatus {
    pub function: String,
    pub table: String,
    pub shards: usize,
    pub last_sequence_number: Option<String>,
    pub records_read: u64,
    pub batches_delivered: u64,
    pub batches_failed: u64,
    /// Age of the newest record when it was read, in milliseconds (Lambda's IteratorAge).
    pub iterator_age_ms: u64,
    /// Seconds since the mapping last read its stream successfully.
    pub seconds_since_last_poll: Option<f64>,
    pub last_error: Option<String>,
    #[serde(skip)]
    pub(super) last_poll: Option<Instant>,
}

#[derive(Debug, Default)]
pub struct Mappings(Mutex<Vec<MappingStatus>>);

impl Mappings {
    pub(super) fn register(&self, function: &str, table: &str) -> usize {
        let mut all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        all.push(MappingStatus {
            function: function.to_string(),
            table: table.to_string(),
            shards: 0,
            last_sequence_number: None,
            records_read: 0,
            batches_delivered: 0,
            batches_failed: 0,
            iterator_age_ms: 0,
            seconds_since_last_poll: None,
            last_error: None,
            last_poll: None,
        });
        all.len() - 1
    }

    pub(super) fn update(&self, index: usize, change: impl FnOnce(&mut MappingStatus)) {
        let mut all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(status) = all.get_mut(index) {
            change(status);
        }
    }

    /// Every mapping's status, as of now.
    pub fn snapshot(&self) -> Vec<MappingStatus> {
        let all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        all.iter()
            .cloned()
            .map(|mut s| {
                s.seconds_since_last_poll = s.last_poll.map(|t| t.elapsed().as_secs_f64());
                s
            })
            .collect()
    }
}
