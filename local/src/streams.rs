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

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use aws_sdk_dynamodbstreams::{
    types::{AttributeValue, Record, ShardIteratorType},
    Client,
};
use base64::{engine::general_purpose::STANDARD, Engine};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::{
    gateway::Gateway,
    template::{StreamSource, Template},
};

const POLL: Duration = Duration::from_millis(100);
/// How often an iterator is renewed from the last sequence number read, and the stream
/// described for new or closed shards.
const RENEW: Duration = Duration::from_secs(1);

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
    last_poll: Option<Instant>,
}

#[derive(Debug, Default)]
pub struct Mappings(Mutex<Vec<MappingStatus>>);

impl Mappings {
    fn register(&self, function: &str, table: &str) -> usize {
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

    fn update(&self, index: usize, change: impl FnOnce(&mut MappingStatus)) {
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
                tracing::error!(function = %f.binary, table = %source.table, "no stream for this mapping");
                continue;
            };
            let index = gateway.mappings.register(&f.binary, &source.table);
            let mapping = Mapping {
                gateway: gateway.clone(),
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

/// Where a shard is read from next.
#[derive(Debug)]
struct Shard {
    parent: Option<String>,
    /// The last sequence number read; where the next iterator starts (after it).
    last: Option<String>,
    /// Where to start when nothing was read yet.
    start: ShardIteratorType,
    iterator: Option<String>,
    renewed: Instant,
    /// Closed and read to its end: its children may start.
    drained: bool,
}

struct Mapping {
    gateway: Arc<Gateway>,
    binary: String,
    stream_arn: String,
    source: StreamSource,
    index: usize,
}

impl Mapping {
    async fn run(self) {
        let client = Client::new(&crate::sdk_config().await);
        let mut shards: HashMap<String, Shard> = HashMap::new();
        let mut described: Option<Instant> = None;
        let mut failures = 0u32;
        loop {
            if described.is_none_or(|t| t.elapsed() >= RENEW) {
                match self
                    .describe(&client, &mut shards, described.is_none())
                    .await
                {
                    Ok(()) => described = Some(Instant::now()),
                    Err(e) => self.failed(&format!("DescribeStream: {e}")),
                }
            }
            let ready: Vec<String> = shards
                .iter()
                .filter(|(_, s)| !s.drained)
                .filter(|(_, s)| {
                    s.parent
                        .as_ref()
                        .and_then(|p| shards.get(p))
                        .is_none_or(|p| p.drained)
                })
                .map(|(id, _)| id.clone())
                .collect();
            let mut ok = true;
            for id in ready {
                if let Some(shard) = shards.get_mut(&id) {
                    if let Err(e) = self.read(&client, &id, shard).await {
                        self.failed(&e);
                        shard.iterator = None;
                        ok = false;
                    }
                }
            }
            failures = if ok { 0 } else { failures + 1 };
            let backoff = POLL * 2u32.pow(failures.min(5));
            tokio::time::sleep(backoff).await;
        }
    }

    fn failed(&self, error: &str) {
        tracing::warn!(function = %self.binary, table = %self.source.table, %error, "stream mapping");
        self.gateway.mappings.update(self.index, |s| {
            s.last_error = Some(format!("{}: {error}", now_rfc3339()));
        });
    }

    /// Learns the stream's shards: new ones start where the mapping says (the first
    /// description) or at their beginning (shards that appear later).
    async fn describe(
        &self,
        client: &Client,
        shards: &mut HashMap<String, Shard>,
        first: bool,
    ) -> Result<(), String> {
        let out = client
            .describe_stream()
            .stream_arn(&self.stream_arn)
            .send()
            .await
            .map_err(|e| crate::sdk_error(&e))?;
        for shard in out
            .stream_description
            .and_then(|d| d.shards)
            .unwrap_or_default()
        {
            let Some(id) = shard.shard_id else { continue };
            shards.entry(id).or_insert_with(|| Shard {
                parent: shard.parent_shard_id,
                last: None,
                start: if first && !self.source.trim_horizon {
                    ShardIteratorType::Latest
                } else {
                    ShardIteratorType::TrimHorizon
                },
                iterator: None,
                renewed: Instant::now(),
                drained: false,
            });
        }
        let count = shards.len();
        self.gateway
            .mappings
            .update(self.index, |s| s.shards = count);
        Ok(())
    }

    /// One GetRecords on a shard, and the delivery of what it returned.
    async fn read(&self, client: &Client, id: &str, shard: &mut Shard) -> Result<(), String> {
        if shard.iterator.is_none() || (shard.last.is_some() && shard.renewed.elapsed() >= RENEW) {
            let request = client
                .get_shard_iterator()
                .stream_arn(&self.stream_arn)
                .shard_id(id);
            let request = match &shard.last {
                Some(seq) => request
                    .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                    .sequence_number(seq),
                None => request.shard_iterator_type(shard.start.clone()),
            };
            let out = request
                .send()
                .await
                .map_err(|e| format!("GetShardIterator: {}", crate::sdk_error(&e)))?;
            shard.iterator = out.shard_iterator;
            shard.renewed = Instant::now();
            if shard.iterator.is_none() {
                shard.drained = true;
                return Ok(());
            }
        }
        let Some(iterator) = shard.iterator.clone() else {
            return Ok(());
        };
        let out = client
            .get_records()
            .shard_iterator(iterator)
            .limit(1000)
            .send()
            .await
            .map_err(|e| format!("GetRecords: {}", crate::sdk_error(&e)))?;
        let records = out.records.unwrap_or_default();
        shard.iterator = out.next_shard_iterator;
        if shard.iterator.is_none() {
            shard.drained = true;
        }
        let newest_age = records
            .iter()
            .filter_map(|r| r.dynamodb.as_ref()?.approximate_creation_date_time)
            .map(|t| age_ms(t.secs()))
            .min();
        if let Some(last) = records
            .last()
            .and_then(|r| r.dynamodb.as_ref()?.sequence_number.clone())
        {
            shard.last = Some(last);
        }
        let events: Vec<Value> = records
            .iter()
            .map(|r| record_json(r, &self.stream_arn))
            .filter(|r| {
                self.source.filters.is_empty() || self.source.filters.iter().any(|p| matches(p, r))
            })
            .collect();
        let read = records.len() as u64;
        let last = shard.last.clone();
        self.gateway.mappings.update(self.index, |s| {
            s.records_read += read;
            s.last_sequence_number = last;
            s.last_poll = Some(Instant::now());
            if let Some(age) = newest_age {
                s.iterator_age_ms = age;
            }
        });
        for batch in events.chunks(self.source.batch_size.max(1)) {
            self.deliver(id, batch.to_vec()).await;
        }
        Ok(())
    }

    /// Delivers one batch with Lambda's retry rules; never gives up silently.
    async fn deliver(&self, shard_id: &str, batch: Vec<Value>) {
        let mut pending = vec![batch];
        let mut attempt = 0u32;
        while let Some(batch) = pending.pop() {
            if batch.is_empty() {
                continue;
            }
            match self.invoke(&batch).await {
                Ok(None) => {
                    self.gateway
                        .mappings
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
        self.gateway
            .mappings
            .update(self.index, |s| s.batches_failed += 1);
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
            .gateway
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

/// Reads again the records a stream failure record names (`DDBStreamBatchInfo`) and
/// invokes the function with them: `gymit-local replay`.
pub async fn replay_batch(
    gateway: &Gateway,
    binary: &str,
    failure: &Value,
    filters: &[Value],
) -> Result<(), (u16, &'static str, String)> {
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
    gateway
        .invoke(binary, &json!({ "Records": batch }))
        .await
        .map(|_| ())
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

fn age_ms(created_secs: i64) -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as i64;
    (now - created_secs * 1000).max(0) as u64
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(crate) fn record_json(r: &Record, stream_arn: &str) -> Value {
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
