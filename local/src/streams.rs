//! DynamoDB Streams → Lambda, as an event source mapping does: poll each shard of the
//! table's stream (~100 ms), keep the records that match the template's `FilterCriteria`,
//! and invoke the function with batches of up to `BatchSize` in the Lambda event shape. A
//! failing batch is retried with backoff up to `MaximumRetryAttempts`, then reported and
//! skipped, so one bad record never blocks the stream.

use std::{collections::HashMap, sync::Arc, time::Duration};

use aws_sdk_dynamodbstreams::types::{AttributeValue, ShardIteratorType};
use base64::{engine::general_purpose::STANDARD, Engine};
use serde_json::{json, Map, Value};

use crate::{
    gateway::Gateway,
    template::{StreamSource, Template},
};

/// DynamoDB JSON of one attribute value.
fn attr_json(v: &AttributeValue) -> Value {
    match v {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        AttributeValue::Null(_) => json!({ "NULL": true }),
        AttributeValue::B(b) => json!({ "B": STANDARD.encode(b.as_ref()) }),
        AttributeValue::Ss(v) => json!({ "SS": v }),
        AttributeValue::Ns(v) => json!({ "NS": v }),
        AttributeValue::L(l) => json!({ "L": l.iter().map(attr_json).collect::<Vec<_>>() }),
        AttributeValue::M(m) => json!({ "M": item_json(m) }),
        _ => Value::Null,
    }
}

fn item_json(item: &HashMap<String, AttributeValue>) -> Value {
    Value::Object(
        item.iter()
            .map(|(k, v)| (k.clone(), attr_json(v)))
            .collect::<Map<_, _>>(),
    )
}

/// Whether a record matches an EventBridge-style pattern (exact values, `prefix`,
/// `exists`, nested objects), the subset Lambda filter criteria use.
pub fn matches(pattern: &Value, record: &Value) -> bool {
    let Some(fields) = pattern.as_object() else {
        return false;
    };
    fields.iter().all(|(key, want)| {
        let have = record.get(key);
        match want {
            Value::Object(_) => have.is_some_and(|h| matches(want, h)),
            Value::Array(options) => options.iter().any(|o| match o {
                Value::Object(m) if m.contains_key("exists") => {
                    m["exists"].as_bool() == Some(have.is_some())
                }
                Value::Object(m) if m.contains_key("prefix") => have
                    .and_then(Value::as_str)
                    .zip(m["prefix"].as_str())
                    .is_some_and(|(h, p)| h.starts_with(p)),
                scalar => have == Some(scalar),
            }),
            scalar => have == Some(scalar),
        }
    })
}

/// Starts one poller per (function, stream) of the template; the handles stop them.
pub fn start(template: &Template, gateway: Arc<Gateway>) -> Vec<tokio::task::JoinHandle<()>> {
    let mut pollers = Vec::new();
    for f in template.functions() {
        for source in f.streams {
            let Some(arn) = template.stream_arns.get(&source.table).cloned() else {
                eprintln!("streams: {} has no stream for {}", f.binary, source.table);
                continue;
            };
            let (gateway, binary) = (gateway.clone(), f.binary.clone());
            pollers.push(tokio::spawn(async move {
                poll(gateway, binary, arn, source).await
            }));
        }
    }
    pollers
}

async fn poll(gateway: Arc<Gateway>, binary: String, stream_arn: String, source: StreamSource) {
    let client = aws_sdk_dynamodbstreams::Client::new(&crate::sdk_config().await);
    // shard id → next iterator (None once the shard is closed and drained).
    let mut iterators: HashMap<String, Option<String>> = HashMap::new();
    let mut ticks = 0u64;
    loop {
        if ticks.is_multiple_of(20) {
            if let Ok(desc) = client
                .describe_stream()
                .stream_arn(&stream_arn)
                .send()
                .await
            {
                for shard in desc
                    .stream_description
                    .map(|d| d.shards.unwrap_or_default())
                    .unwrap_or_default()
                {
                    let Some(id) = shard.shard_id else { continue };
                    if iterators.contains_key(&id) {
                        continue;
                    }
                    let kind = if source.trim_horizon || ticks > 0 {
                        ShardIteratorType::TrimHorizon
                    } else {
                        ShardIteratorType::Latest
                    };
                    let it = client
                        .get_shard_iterator()
                        .stream_arn(&stream_arn)
                        .shard_id(&id)
                        .shard_iterator_type(kind)
                        .send()
                        .await
                        .ok()
                        .and_then(|o| o.shard_iterator);
                    iterators.insert(id, it);
                }
            }
        }
        ticks += 1;
        for iterator in iterators.values_mut() {
            let Some(it) = iterator.clone() else { continue };
            match client
                .get_records()
                .shard_iterator(&it)
                .limit(1000)
                .send()
                .await
            {
                Ok(out) => {
                    *iterator = out.next_shard_iterator;
                    let records: Vec<Value> = out
                        .records
                        .unwrap_or_default()
                        .iter()
                        .map(|r| record_json(r, &stream_arn))
                        .filter(|r| {
                            source.filters.is_empty()
                                || source.filters.iter().any(|p| matches(p, r))
                        })
                        .collect();
                    for batch in records.chunks(source.batch_size.max(1)) {
                        deliver(&gateway, &binary, batch, source.max_retries).await;
                    }
                }
                Err(e) => {
                    eprintln!("streams: reading {stream_arn} failed: {e:?}");
                    *iterator = None;
                    iterators.clear();
                    ticks = 0;
                    break;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn deliver(gateway: &Gateway, binary: &str, batch: &[Value], max_retries: u32) {
    let event = json!({ "Records": batch });
    for attempt in 0..=max_retries {
        match gateway.invoke(binary, &event).await {
            Ok(_) => return,
            Err((_, _, detail)) => {
                eprintln!(
                    "streams → {binary}: attempt {} of {} failed: {detail}",
                    attempt + 1,
                    max_retries + 1
                );
                tokio::time::sleep(Duration::from_millis((100u64 << attempt.min(5)).min(2000)))
                    .await;
            }
        }
    }
    eprintln!(
        "streams → {binary}: skipping a batch of {} record(s) after {} attempts",
        batch.len(),
        max_retries + 1
    );
}

pub(crate) fn record_json(r: &aws_sdk_dynamodbstreams::types::Record, stream_arn: &str) -> Value {
    let d = r.dynamodb.as_ref();
    let mut dynamodb = json!({
        "ApproximateCreationDateTime": d.and_then(|d| d.approximate_creation_date_time).map(|t| t.secs()).unwrap_or_default(),
        "SequenceNumber": d.and_then(|d| d.sequence_number.clone()),
        "SizeBytes": d.and_then(|d| d.size_bytes),
        "StreamViewType": d.and_then(|d| d.stream_view_type.as_ref()).map(|s| s.as_str().to_string()),
    });
    if let Some(keys) = d.and_then(|d| d.keys.as_ref()) {
        dynamodb["Keys"] = item_json(keys);
    }
    if let Some(img) = d.and_then(|d| d.new_image.as_ref()) {
        dynamodb["NewImage"] = item_json(img);
    }
    if let Some(img) = d.and_then(|d| d.old_image.as_ref()) {
        dynamodb["OldImage"] = item_json(img);
    }
    json!({
        "eventID": r.event_id,
        "eventName": r.event_name.as_ref().map(|e| e.as_str().to_string()),
        "eventVersion": r.event_version.clone().unwrap_or_else(|| "1.1".into()),
        "eventSource": "aws:dynamodb",
        "awsRegion": r.aws_region.clone().unwrap_or_else(|| "us-east-1".into()),
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_patterns_match_like_lambda() {
        let record = json!({"eventName": "INSERT", "dynamodb": {"NewImage": {"kind": {"S": "event"}, "type": {"S": "user.banned"}}}});
        assert!(matches(
            &json!({"eventName": ["INSERT"], "dynamodb": {"NewImage": {"kind": {"S": ["event"]}}}}),
            &record
        ));
        assert!(!matches(&json!({"eventName": ["MODIFY"]}), &record));
        assert!(!matches(
            &json!({"dynamodb": {"NewImage": {"kind": {"S": ["profile"]}}}}),
            &record
        ));
        assert!(matches(
            &json!({"dynamodb": {"NewImage": {"type": {"S": [{"prefix": "user."}]}}}}),
            &record
        ));
        assert!(matches(
            &json!({"dynamodb": {"NewImage": {"missing": [{"exists": false}]}}}),
            &record
        ));
        assert!(!matches(
            &json!({"dynamodb": {"NewImage": {"kind": [{"exists": false}]}}}),
            &record
        ));
    }
}
