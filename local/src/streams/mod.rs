//! DynamoDB Streams → Lambda, as an event source mapping does.
//!
//! One poller per (function, stream) of the template reads every shard (~100 ms), keeps
//! the records that match the mapping's `FilterCriteria`, and invokes the function with
//! batches of up to `BatchSize` in the Lambda event shape. Like Lambda's mapping it:
//!
//! - resumes from the last sequence number it read, never from an iterator it cannot
//!   prove is live: iterators are renewed from that position every second and after any
//!   error (an emulator that replaced a shard, an expired iterator, a restart);
//! - follows shards as they close and new ones open (children after their parents);
//! - retries a failing batch with backoff up to `MaximumRetryAttempts`, honours
//!   `ReportBatchItemFailures` (only the records from the first failed one are retried)
//!   and `BisectBatchOnFunctionError`, stops retrying records older than
//!   `MaximumRecordAgeInSeconds`, then reports the batch and moves on;
//! - logs every failure and keeps each mapping's position, lag (the age of the newest
//!   record when it was read: Lambda's `IteratorAge`) and last error in [`Mappings`],
//!   served at `GET /_local/status`.
//!
//! By subject: `shards` reads the stream (shards, iterators, positions) and hands each
//! read's records to `delivery` in batches; `delivery` invokes the function and applies the
//! retry, bisect and record-age rules, down to the on-failure destination; `records` is the
//! Lambda event shape of a record and the filter criteria; `status` is what
//! `/_local/status` shows; `replay` reads a failed batch again for `gymit-local replay`.

use std::sync::Arc;

use crate::{
    invoke::Invoker,
    template::{StreamSource, Template},
};

mod delivery;
mod records;
mod replay;
mod shards;
mod status;

pub use records::matches;
pub(crate) use records::record_json;
pub use replay::replay_batch;
pub use status::{MappingStatus, Mappings};

/// Starts one poller per (function, stream) of the template, each registered in `mappings`;
/// the handles stop them.
pub fn start(
    template: &Template,
    invoker: Arc<Invoker>,
    mappings: Arc<Mappings>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut pollers = Vec::new();
    for f in template.functions() {
        for source in f.streams {
            let Some(arn) = template.stream_arns.get(&source.table).cloned() else {
                tracing::error!(function = %f.binary, table = %source.table, "no stream for this mapping");
                continue;
            };
            let index = mappings.register(&f.binary, &source.table);
            let mapping = Mapping {
                invoker: invoker.clone(),
                mappings: mappings.clone(),
                binary: f.binary.clone(),
                stream_arn: arn,
                source,
                index,
            };
            pollers.push(tokio::spawn(mapping.run()));
        }
    }
    pollers
}

/// One event source mapping: a function reading one table's stream.
struct Mapping {
    invoker: Arc<Invoker>,
    /// Where its status goes (`index` in it).
    mappings: Arc<Mappings>,
    binary: String,
    stream_arn: String,
    source: StreamSource,
    index: usize,
}

impl Mapping {
    fn failed(&self, error: &str) {
        tracing::warn!(function = %self.binary, table = %self.source.table, %error, "stream mapping");
        self.mappings.update(self.index, |s| {
            s.last_error = Some(format!("{}: {error}", now_rfc3339()));
        });
    }
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
