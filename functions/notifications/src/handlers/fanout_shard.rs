//! `notifications-fanout-shard` (invoked by `notifications-fanout`): posts one shard of one
//! event's fan-out, the frame to each connection of the job, and answers its report. The
//! same posting as the fan-out's own part (`fanout::post`): bounded concurrency, one post
//! timeout per socket, gone connections removed, other failures retried twice.

use aws_sdk_apigatewaymanagement::primitives::Blob;

use crate::{
    handlers::fanout::{self, Report},
    shards::ShardJob,
    Poster,
};

pub async fn handle(state: &Poster, job: ShardJob) -> Report {
    let report = fanout::post(state, &job.connection_ids, &Blob::new(job.frame)).await;
    tracing::info!(
        event_id = %job.event_id,
        recipients = job.connection_ids.len(),
        delivered = report.delivered,
        gone = report.gone,
        failed = report.failed,
        "shard posted"
    );
    report
}
