//! `tournaments-publish-events`: the tournaments table's stream (filtered to event items)
//! → the `tournament-events` SNS topic. A failed publish fails the batch, which is retried.

use gymit_shared::events::publish_stream_batch;
use serde_json::Value;

pub struct Publisher {
    pub sns: aws_sdk_sns::Client,
    pub topic_arn: String,
}

pub async fn handle(state: &Publisher, batch: Value) -> Result<Value, String> {
    let published = publish_stream_batch(&state.sns, &state.topic_arn, &batch).await?;
    Ok(serde_json::json!({ "published": published }))
}
