//! On-failure destinations, as Lambda delivers them: when a stream batch or an
//! asynchronous (SNS) invocation has used up its retries, a record of it goes to the
//! SQS queue the template names (`DestinationConfig.OnFailure`), in Lambda's own shapes;
//! `gymit-local replay <queue>` sends the records back to their function (`replay`).
//!
//! A stream failure record carries where the batch was (`DDBStreamBatchInfo`), not the
//! records: replay reads them again from the stream, as an operator would on AWS. An
//! asynchronous failure record carries the whole event (`requestPayload`).

use aws_sdk_sqs::Client;
use serde_json::{json, Value};

use crate::template::StreamSource;

pub(crate) async fn client() -> Client {
    Client::new(&crate::sdk_config().await)
}

pub(crate) async fn queue_url(sqs: &Client, queue: &str) -> Result<String, String> {
    sqs.get_queue_url()
        .queue_name(queue)
        .send()
        .await
        .map_err(|e| crate::sdk_error(&e))?
        .queue_url
        .ok_or_else(|| format!("{queue} has no URL"))
}

async fn send(queue: &str, record: &Value) -> Result<(), String> {
    let sqs = client().await;
    let url = queue_url(&sqs, queue).await?;
    sqs.send_message()
        .queue_url(url)
        .message_body(record.to_string())
        .send()
        .await
        .map_err(|e| crate::sdk_error(&e))?;
    Ok(())
}

fn function_arn(binary: &str) -> String {
    format!(
        "arn:aws:lambda:us-east-1:{}:function:{binary}",
        crate::template::ACCOUNT
    )
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A stream batch that will not be retried again.
pub async fn stream_batch_failed(
    binary: &str,
    source: &StreamSource,
    stream_arn: &str,
    shard_id: &str,
    batch: &[Value],
    condition: &str,
    attempts: u32,
) {
    let seq = |r: Option<&Value>| r.map(|r| r["dynamodb"]["SequenceNumber"].clone());
    let arrival = |r: Option<&Value>| {
        r.and_then(|r| r["dynamodb"]["ApproximateCreationDateTime"].as_i64())
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
            .map(|t| t.to_rfc3339())
    };
    let record = json!({
        "requestContext": {
            "requestId": uuid::Uuid::now_v7().to_string(),
            "functionArn": function_arn(binary),
            "condition": condition,
            "approximateInvokeCount": attempts,
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": now(),
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": seq(batch.first()),
            "endSequenceNumber": seq(batch.last()),
            "approximateArrivalOfFirstRecord": arrival(batch.first()),
            "approximateArrivalOfLastRecord": arrival(batch.last()),
            "batchSize": batch.len(),
            "streamArn": stream_arn,
        }
    });
    deliver(binary, source.on_failure.as_deref(), &record).await;
}

/// An asynchronous invocation whose retries are used up.
pub async fn async_invoke_failed(
    binary: &str,
    queue: Option<&str>,
    payload: &Value,
    error: &str,
    attempts: u32,
) {
    let record = json!({
        "version": "1.0",
        "timestamp": now(),
        "requestContext": {
            "requestId": uuid::Uuid::now_v7().to_string(),
            "functionArn": format!("{}:$LATEST", function_arn(binary)),
            "condition": "RetriesExhausted",
            "approximateInvokeCount": attempts,
        },
        "requestPayload": payload,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": error},
    });
    deliver(binary, queue, &record).await;
}

async fn deliver(binary: &str, queue: Option<&str>, record: &Value) {
    let Some(queue) = queue else {
        tracing::error!(function = %binary, "no on-failure destination: the failed event is dropped");
        return;
    };
    match send(queue, record).await {
        Ok(()) => {
            tracing::warn!(function = %binary, %queue, "failed event sent to its on-failure destination")
        }
        Err(e) => {
            tracing::error!(function = %binary, %queue, error = %e, "could not send a failed event to its destination")
        }
    }
}
