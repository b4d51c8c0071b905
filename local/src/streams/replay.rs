//! `gymit-local replay` of a stream batch: the records a failure record names, read again
//! from the shard and delivered to the function once.

use aws_sdk_dynamodbstreams::{types::ShardIteratorType, Client};
use serde_json::{json, Value};

use super::records::{matches, record_json};
use crate::invoke::{Failure, Invoker};

/// Reads again the records a stream failure record names (`DDBStreamBatchInfo`) and
/// invokes the function with them: `gymit-local replay`.
pub async fn replay_batch(
    invoker: &Invoker,
    binary: &str,
    failure: &Value,
    filters: &[Value],
) -> Result<(), Failure> {
    let info = &failure["DDBStreamBatchInfo"];
    let (Some(arn), Some(shard), Some(start), Some(end)) = (
        info["streamArn"].as_str(),
        info["shardId"].as_str(),
        info["startSequenceNumber"].as_str(),
        info["endSequenceNumber"].as_str(),
    ) else {
        return Err((400, "bad_request", "not a stream failure record".into()));
    };
    let failed = |e: String| (502, "bad_gateway", e);
    let client = Client::new(&crate::sdk_config().await);
    let mut iterator = client
        .get_shard_iterator()
        .stream_arn(arn)
        .shard_id(shard)
        .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
        .sequence_number(start)
        .send()
        .await
        .map_err(|e| failed(crate::sdk_error(&e)))?
        .shard_iterator;
    let end: u128 = end.parse().unwrap_or(0);
    let mut batch = Vec::new();
    while let Some(it) = iterator.take() {
        let out = client
            .get_records()
            .shard_iterator(it)
            .send()
            .await
            .map_err(|e| failed(crate::sdk_error(&e)))?;
        let records = out.records.unwrap_or_default();
        let mut done = records.is_empty();
        for r in &records {
            let seq: u128 = r
                .dynamodb
                .as_ref()
                .and_then(|d| d.sequence_number.as_deref())
                .and_then(|s| s.parse().ok())
                .unwrap_or(u128::MAX);
            if seq > end {
                done = true;
                break;
            }
            let record = record_json(r, arn);
            if filters.is_empty() || filters.iter().any(|p| matches(p, &record)) {
                batch.push(record);
            }
        }
        if !done {
            iterator = out.next_shard_iterator;
        }
    }
    invoker
        .invoke(binary, &json!({ "Records": batch }))
        .await
        .map(|_| ())
}
