//! The fan-out's shards: a part of one event's recipients posted by another invocation of
//! `notifications-fanout-shard`, invoked through the Lambda Invoke API (`RequestResponse`,
//! so its report comes back and a failed shard is known at once). How recipients are split
//! (`split`, pure) and the hand-over (`Shards::post`); not for posting (`management`).
//!
//! A shard job carries the frame and the connection ids themselves (≤ 32 KiB + 24 bytes a
//! connection: 1,000 recipients are ~60 KiB, far under Invoke's 6 MB), so a shard reads
//! nothing before it posts.

use std::time::Duration;

use aws_sdk_lambda::primitives::Blob;
use serde::{Deserialize, Serialize};

use crate::management::Report;

/// One shard of one event's fan-out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardJob {
    pub event_id: String,
    /// The frame every recipient receives (`messages::event_frame`), as sent.
    pub frame: String,
    pub connection_ids: Vec<String>,
}

/// `recipients` in shards of at most `size`: the first (posted by the fan-out itself) and
/// the others (handed to the shard function). No recipients: one empty shard.
pub fn split(recipients: &[String], size: usize) -> (&[String], Vec<&[String]>) {
    let mut parts = recipients.chunks(size.max(1));
    let first = parts.next().unwrap_or_default();
    (first, parts.collect())
}

/// The shard function, and how many recipients make one shard.
pub struct Shards {
    lambda: aws_sdk_lambda::Client,
    function: String,
    /// Recipients per shard: an event with more than this many is split.
    pub size: usize,
}

/// A shard that cannot take longer than its posts could (one post timeout per post,
/// `concurrency` at a time, plus a cold start).
const SHARD_ATTEMPT: Duration = Duration::from_secs(25);

impl Shards {
    pub fn new(lambda: aws_sdk_lambda::Client, function: String, size: usize) -> Self {
        let config = lambda
            .config()
            .to_builder()
            .timeout_config(
                aws_sdk_lambda::config::timeout::TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(1))
                    .operation_timeout(SHARD_ATTEMPT)
                    .build(),
            )
            .interceptor(gymit_shared::trace::Calls)
            .build();
        Self {
            lambda: aws_sdk_lambda::Client::from_conf(config),
            function,
            size: size.max(1),
        }
    }

    /// Has the shard function post `job`; its report, or why it could not (throttled,
    /// failed, unreachable): the caller then posts the shard itself.
    pub async fn post(&self, job: &ShardJob) -> Result<Report, String> {
        let payload = serde_json::to_vec(job).map_err(|e| e.to_string())?;
        let out = self
            .lambda
            .invoke()
            .function_name(&self.function)
            .payload(Blob::new(payload))
            .send()
            .await
            .map_err(|e| {
                format!(
                    "invoking {}: {}",
                    self.function,
                    aws_sdk_lambda::error::DisplayErrorContext(&e)
                )
            })?;
        if out.function_error().is_some() || out.status_code() != 200 {
            return Err(format!(
                "{} answered {} {:?}",
                self.function,
                out.status_code(),
                out.function_error()
            ));
        }
        out.payload()
            .and_then(|p| serde_json::from_slice(p.as_ref()).ok())
            .ok_or_else(|| format!("{} answered no report", self.function))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_split_into_shards_of_at_most_the_size() {
        let ids: Vec<String> = (0..1001).map(|i| format!("c{i}")).collect();
        let (first, others) = split(&ids, 250);
        assert_eq!(first.len(), 250);
        assert_eq!(
            others.iter().map(|s| s.len()).collect::<Vec<_>>(),
            [250, 250, 250, 1]
        );
        assert_eq!(others[3], ["c1000".to_string()]);
        let (first, others) = split(&ids[..250], 250);
        assert_eq!((first.len(), others.len()), (250, 0));
        let (first, others) = split(&[], 250);
        assert!(first.is_empty() && others.is_empty());
    }
}
