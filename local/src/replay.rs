//! `gymit-local replay <queue>`: the records of an on-failure destination (`dlq`) sent back
//! to their function, as an operator would on AWS. An asynchronous failure record carries
//! its event and is invoked again; a stream failure record says where its batch was, and
//! the batch is read again from the stream (`streams::replay_batch`).

use serde_json::Value;

use crate::{dlq, invoke::Invoker, streams, template::Template};

/// Sends every record of a dead-letter queue back to its function; a record is deleted
/// once its function has taken it. Returns (replayed, still failing).
pub async fn replay(
    invoker: &Invoker,
    template: &Template,
    queue: &str,
) -> Result<(usize, usize), crate::Error> {
    let sqs = dlq::client().await;
    let url = dlq::queue_url(&sqs, queue).await?;
    let (mut replayed, mut failing) = (0, 0);
    loop {
        let out = sqs
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .visibility_timeout(30)
            .send()
            .await
            .map_err(|e| crate::sdk_error(&e))?;
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            return Ok((replayed, failing));
        }
        for m in messages {
            let record: Value = serde_json::from_str(m.body().unwrap_or_default())?;
            let binary = record["requestContext"]["functionArn"]
                .as_str()
                .and_then(|a| a.split(':').nth(6))
                .unwrap_or_default()
                .to_string();
            let result = match record.get("requestPayload") {
                Some(payload) => invoker.invoke(&binary, payload).await.map(|_| ()),
                None => {
                    let filters: Vec<Value> = template
                        .functions()
                        .into_iter()
                        .filter(|f| f.binary == binary)
                        .flat_map(|f| f.streams)
                        .flat_map(|s| s.filters)
                        .collect();
                    streams::replay_batch(invoker, &binary, &record, &filters).await
                }
            };
            match result {
                Ok(()) => {
                    replayed += 1;
                    if let Some(handle) = m.receipt_handle() {
                        sqs.delete_message()
                            .queue_url(&url)
                            .receipt_handle(handle)
                            .send()
                            .await
                            .map_err(|e| crate::sdk_error(&e))?;
                    }
                }
                Err((_, _, detail)) => {
                    failing += 1;
                    tracing::error!(function = %binary, %detail, "replay failed; the record stays in the queue");
                }
            }
        }
    }
}
