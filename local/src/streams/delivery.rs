//! Delivery of one batch with Lambda's failure handling: retries with backoff up to
//! `MaximumRetryAttempts`, `ReportBatchItemFailures`, `BisectBatchOnFunctionError`,
//! `MaximumRecordAgeInSeconds`, then the on-failure destination (`crate::dlq`).

use std::time::Duration;

use serde_json::{json, Value};

use super::{records::age_ms, Mapping};

impl Mapping {
    /// Delivers one batch with Lambda's retry rules; never gives up silently.
    pub(super) async fn deliver(&self, shard_id: &str, batch: Vec<Value>) {
        let mut pending = vec![batch];
        let mut attempt = 0u32;
        while let Some(batch) = pending.pop() {
            if batch.is_empty() {
                continue;
            }
            match self.invoke(&batch).await {
                Ok(None) => {
                    self.mappings
                        .update(self.index, |s| s.batches_delivered += 1);
                    continue;
                }
                Ok(Some(first_failed)) => {
                    // ReportBatchItemFailures: the records before the first failed one are done.
                    let rest = batch[first_failed..].to_vec();
                    self.retry_or_drop(
                        shard_id,
                        rest,
                        &mut attempt,
                        &mut pending,
                        "reported item failures",
                    )
                    .await;
                }
                Err(detail) => {
                    if self.source.bisect && batch.len() > 1 {
                        let (a, b) = batch.split_at(batch.len() / 2);
                        tracing::warn!(function = %self.binary, %detail, size = batch.len(), "stream batch failed: bisecting");
                        pending.push(b.to_vec());
                        pending.push(a.to_vec());
                        attempt += 1;
                        continue;
                    }
                    self.retry_or_drop(shard_id, batch, &mut attempt, &mut pending, &detail)
                        .await;
                }
            }
        }
    }

    async fn retry_or_drop(
        &self,
        shard_id: &str,
        batch: Vec<Value>,
        attempt: &mut u32,
        pending: &mut Vec<Vec<Value>>,
        detail: &str,
    ) {
        *attempt += 1;
        let too_old = self.source.max_record_age_secs.is_some_and(|max| {
            batch
                .first()
                .and_then(|r| r["dynamodb"]["ApproximateCreationDateTime"].as_i64())
                .is_some_and(|t| age_ms(t) > max * 1000)
        });
        if *attempt <= self.source.max_retries && !too_old {
            self.failed(&format!(
                "attempt {attempt} of {} failed: {detail}",
                self.source.max_retries + 1
            ));
            tokio::time::sleep(Duration::from_millis(
                (100u64 << (*attempt).min(5)).min(2000),
            ))
            .await;
            pending.push(batch);
            return;
        }
        let reason = if too_old {
            "MaximumRecordAgeExceeded"
        } else {
            "RetryAttemptsExhausted"
        };
        self.failed(&format!(
            "dropping a batch of {} record(s) ({reason}): {detail}",
            batch.len()
        ));
        self.mappings.update(self.index, |s| s.batches_failed += 1);
        crate::dlq::stream_batch_failed(
            &self.binary,
            &self.source,
            &self.stream_arn,
            shard_id,
            &batch,
            reason,
            *attempt,
        )
        .await;
    }

    /// `Ok(None)` when the whole batch succeeded, `Ok(Some(i))` when the function reported
    /// the records from index `i` on as failed, `Err` when it failed.
    async fn invoke(&self, batch: &[Value]) -> Result<Option<usize>, String> {
        let started = std::time::Instant::now();
        let answer = self
            .invoker
            .invoke(&self.binary, &json!({ "Records": batch }))
            .await
            .map_err(|(_, _, detail)| detail)?;
        tracing::debug!(
            function = %self.binary,
            records = batch.len(),
            ms = started.elapsed().as_millis() as u64,
            "stream batch invoked"
        );
        if !self.source.report_item_failures {
            return Ok(None);
        }
        first_reported_failure(&answer, batch)
    }
}

/// The index of the first record a `ReportBatchItemFailures` answer names, as Lambda reads
/// it: an empty list or none means success; an identifier that is not in the batch makes
/// the whole batch a failure.
fn first_reported_failure(answer: &Value, batch: &[Value]) -> Result<Option<usize>, String> {
    let Some(failures) = answer
        .get("batchItemFailures")
        .and_then(Value::as_array)
        .filter(|f| !f.is_empty())
    else {
        return Ok(None);
    };
    let mut first = None;
    for failure in failures {
        let id = failure["itemIdentifier"].as_str().unwrap_or_default();
        let index = batch
            .iter()
            .position(|r| r["dynamodb"]["SequenceNumber"].as_str() == Some(id))
            .ok_or_else(|| format!("batchItemFailures names an unknown record {id:?}"))?;
        first = Some(first.map_or(index, |f: usize| f.min(index)));
    }
    Ok(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(seqs: &[&str]) -> Vec<Value> {
        seqs.iter()
            .map(|s| json!({"dynamodb": {"SequenceNumber": s}}))
            .collect()
    }

    #[test]
    fn reported_item_failures_retry_from_the_first_failed_record() {
        let b = batch(&["10", "11", "12", "13"]);
        assert_eq!(first_reported_failure(&json!({}), &b), Ok(None));
        assert_eq!(
            first_reported_failure(&json!({"batchItemFailures": []}), &b),
            Ok(None)
        );
        let answer =
            json!({"batchItemFailures": [{"itemIdentifier": "13"}, {"itemIdentifier": "11"}]});
        assert_eq!(first_reported_failure(&answer, &b), Ok(Some(1)));
        let unknown = json!({"batchItemFailures": [{"itemIdentifier": "99"}]});
        assert!(first_reported_failure(&unknown, &b).is_err());
    }
}
