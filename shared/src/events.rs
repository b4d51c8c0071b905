//! Events as a transactional outbox, one path for every service.
//!
//! A function that changes state puts an event item into its own table in the same
//! `TransactWriteItems` as the change (`outbox_put`). The table's stream, filtered to event
//! items (`kind = "event"`), drives the service's `<service>-publish-events` function, which
//! publishes each event to the service's SNS topic (`publish_stream_batch`), with message
//! attributes `type` and the entity id. A crash after the write cannot lose an event;
//! delivery is at least once, so consumers are idempotent (by `event_id` or by version).
//! An event carries the trace of the request that made it (`trace`), so the publisher and
//! the consumers continue that trace (`crate::trace`).

/// The Lambda events at the outbox's two ends: a batch of a table's stream (what a
/// publisher gets) and an SNS delivery (what a consumer gets).
pub use aws_lambda_events::{dynamodb::Event as StreamEvent, sns::SnsEvent};
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use aws_sdk_sns::types::{MessageAttributeValue, PublishBatchRequestEntry};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::dynamo::{n, s, Item};

/// Event items expire a day after they were written; the stream has long delivered them.
const EVENT_TTL_SECONDS: i64 = 24 * 3600;

/// The envelope consumers receive (the SNS message body).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub event_id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub occurred_at: String,
    /// The attribute name and value that identify the entity (`user_id`, `tournament_id`).
    pub entity: (String, String),
    pub data: Value,
    /// The `X-Amzn-Trace-Id` of the request that made the event (none outside a traced
    /// request): the publisher and the consumers join that trace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
}

impl Event {
    pub fn new(event_type: &str, entity_key: &str, entity_id: &str, data: Value) -> Self {
        let now = crate::time::now();
        Self {
            event_id: uuid::Uuid::now_v7().to_string(),
            event_type: event_type.to_string(),
            occurred_at: now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            entity: (entity_key.to_string(), entity_id.to_string()),
            data,
            trace: crate::trace::current().map(|t| t.to_string()),
        }
    }

    /// The message consumers get: `{event_id, type, occurred_at, <entity key>, data}`.
    pub fn message(&self) -> Value {
        let mut m = serde_json::json!({
            "event_id": self.event_id,
            "type": self.event_type,
            "occurred_at": self.occurred_at,
            "data": self.data,
        });
        m[&self.entity.0] = Value::String(self.entity.1.clone());
        if let Some(trace) = &self.trace {
            m["trace"] = Value::String(trace.clone());
        }
        m
    }

    /// The outbox item for this event.
    pub fn to_item(&self) -> Item {
        let mut item = Item::from([
            ("pk".to_string(), s(format!("EVENT#{}", self.event_id))),
            ("sk".to_string(), s("EVENT")),
            ("kind".to_string(), s("event")),
            ("event_id".to_string(), s(&self.event_id)),
            ("type".to_string(), s(&self.event_type)),
            ("occurred_at".to_string(), s(&self.occurred_at)),
            ("entity_key".to_string(), s(&self.entity.0)),
            ("entity_id".to_string(), s(&self.entity.1)),
            ("data".to_string(), s(self.data.to_string())),
            (
                "expires_at".to_string(),
                n(crate::time::epoch_seconds() + EVENT_TTL_SECONDS),
            ),
        ]);
        if let Some(trace) = &self.trace {
            item.insert("trace".to_string(), s(trace));
        }
        item
    }

    /// Reads an event back from a stream record's `NewImage`; `None` for any other item.
    pub fn from_stream_image(image: &serde_dynamo::Item) -> Option<Event> {
        let item: OutboxItem = serde_dynamo::from_item(image.clone()).ok()?;
        if item.kind != "event" {
            return None;
        }
        Some(Event {
            event_id: item.event_id,
            event_type: item.event_type,
            occurred_at: item.occurred_at,
            entity: (item.entity_key, item.entity_id),
            data: serde_json::from_str(&item.data).ok()?,
            trace: item.trace,
        })
    }

    /// Reads the envelope back from an SNS message body.
    pub fn from_message(message: &str) -> Option<Event> {
        let v: Value = serde_json::from_str(message).ok()?;
        let (key, id) = ["tournament_id", "user_id"]
            .iter()
            .find_map(|k| Some((k.to_string(), v.get(*k)?.as_str()?.to_string())))?;
        Some(Event {
            event_id: v.get("event_id")?.as_str()?.to_string(),
            event_type: v.get("type")?.as_str()?.to_string(),
            occurred_at: v.get("occurred_at")?.as_str()?.to_string(),
            entity: (key, id),
            data: v.get("data")?.clone(),
            trace: v.get("trace").and_then(Value::as_str).map(str::to_string),
        })
    }
}

/// What `Event::to_item` writes, as a stream image reads back.
#[derive(Deserialize)]
struct OutboxItem {
    kind: String,
    event_id: String,
    #[serde(rename = "type")]
    event_type: String,
    occurred_at: String,
    entity_key: String,
    entity_id: String,
    data: String,
    #[serde(default)]
    trace: Option<String>,
}

/// The `Put` of an event into the outbox, to add to the state change's transaction.
pub fn outbox_put(table: &str, event: &Event) -> TransactWriteItem {
    TransactWriteItem::builder()
        .put(
            Put::builder()
                .table_name(table)
                .set_item(Some(event.to_item()))
                .build()
                .expect("table and item are set"),
        )
        .build()
}

/// What became of a stream batch: how many events were published, and the first record
/// that could not be (its sequence number), with the reason.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    pub published: usize,
    pub failed: Option<(String, String)>,
}

impl BatchOutcome {
    /// The function's answer under `FunctionResponseTypes: [ReportBatchItemFailures]`: the
    /// event source mapping retries from the first failed record only, so the events before
    /// it are not published again.
    pub fn response(&self) -> Value {
        let failures: Vec<Value> = self
            .failed
            .iter()
            .map(|(seq, _)| serde_json::json!({ "itemIdentifier": seq }))
            .collect();
        serde_json::json!({ "published": self.published, "batchItemFailures": failures })
    }
}

/// Messages per `PublishBatch` call (SNS's limit).
const PUBLISH_BATCH: usize = 10;

/// Publishes the events of a DynamoDB stream batch to `topic_arn`, in order, ten to a
/// `PublishBatch` call, stopping at the first that fails. Records that are not new event
/// items are ignored. Publishing twice is fine (consumers are idempotent): the events of a
/// call after its first failure may have gone out and go out again on the retry.
pub async fn publish_stream_batch(
    sns: &aws_sdk_sns::Client,
    topic_arn: &str,
    batch: &StreamEvent,
) -> BatchOutcome {
    let mut outcome = BatchOutcome::default();
    let events: Vec<(String, Event)> = batch
        .records
        .iter()
        .filter(|r| r.event_name == "INSERT")
        .filter_map(|r| {
            let mut event = Event::from_stream_image(&r.change.new_image)?;
            // This invocation joins the request's trace; its consumers join under it.
            if let Some(trace) = event.trace.as_deref().and_then(crate::trace::link) {
                event.trace = Some(trace.to_string());
            }
            Some((r.change.sequence_number.clone().unwrap_or_default(), event))
        })
        .collect();
    let attr = |v: &str| {
        MessageAttributeValue::builder()
            .data_type("String")
            .string_value(v)
            .build()
            .expect("data type is set")
    };
    for chunk in events.chunks(PUBLISH_BATCH) {
        let entries = chunk
            .iter()
            .enumerate()
            .map(|(i, (_, event))| {
                PublishBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message(event.message().to_string())
                    .message_attributes("type", attr(&event.event_type))
                    .message_attributes(&event.entity.0, attr(&event.entity.1))
                    .build()
                    .expect("id and message are set")
            })
            .collect();
        let sent = sns
            .publish_batch()
            .topic_arn(topic_arn)
            .set_publish_batch_request_entries(Some(entries))
            .send()
            .await;
        // The first entry that did not go out, and why. An entry the answer lists neither
        // as successful nor as failed (SNS always lists each; moto drops one whose delivery
        // raised) did not go out either.
        let first_failed = match sent {
            Err(e) => Some((0, aws_sdk_sns::error::DisplayErrorContext(&e).to_string())),
            Ok(out) => (0..chunk.len())
                .find(|i| {
                    !out.successful()
                        .iter()
                        .any(|ok| ok.id() == Some(&*i.to_string()))
                })
                .map(|i| {
                    let why = out
                        .failed()
                        .iter()
                        .find(|f| f.id() == i.to_string())
                        .map(|f| format!("{}: {}", f.code(), f.message().unwrap_or_default()))
                        .unwrap_or_else(|| "not acknowledged by PublishBatch".to_string());
                    (i, why)
                }),
        };
        let published = first_failed.as_ref().map_or(chunk.len(), |(i, _)| *i);
        for (_, event) in &chunk[..published] {
            tracing::info!(event_id = %event.event_id, event_type = %event.event_type, "event published");
            crate::metrics::count(
                "events_published_total",
                1.0,
                &[("event_type", &event.event_type)],
            );
        }
        outcome.published += published;
        if let Some((i, why)) = first_failed {
            let (seq, event) = &chunk[i];
            let reason = format!("publishing {} failed: {why}", event.event_id);
            tracing::error!(event_id = %event.event_id, error = %reason, "event not published");
            outcome.failed = Some((seq.clone(), reason));
            return outcome;
        }
    }
    outcome
}

/// A service's `<service>-publish-events` function: its table's stream (filtered to event
/// items) → its SNS topic. It reports the first event it could not publish as a batch item
/// failure, so the mapping retries from there.
pub struct Publisher {
    pub sns: aws_sdk_sns::Client,
    pub topic_arn: String,
}

impl Publisher {
    pub async fn handle(&self, batch: StreamEvent) -> Result<Value, String> {
        Ok(publish_stream_batch(&self.sns, &self.topic_arn, &batch)
            .await
            .response())
    }

    /// The whole function `function`: the topic ARN comes from the variable `topic_env`;
    /// the SNS client is built once.
    pub async fn run(function: &'static str, topic_env: &str) -> Result<(), lambda_runtime::Error> {
        crate::telemetry::init();
        let topic_arn = crate::config::required(topic_env)?;
        let sns = crate::aws::sns(&crate::aws::sdk_config().await);
        crate::lambda::run_event(
            function,
            Publisher { sns, topic_arn },
            |state, batch| async move { state.handle(batch).await },
        )
        .await
    }
}

/// The envelopes of an SNS Lambda event; malformed records are logged and skipped.
pub fn sns_messages(event: &SnsEvent) -> Vec<Event> {
    event
        .records
        .iter()
        .filter_map(|r| {
            let parsed = Event::from_message(&r.sns.message);
            if parsed.is_none() {
                tracing::warn!("ignoring an SNS record that is not a GymIT event");
            }
            parsed
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_survives_the_outbox_and_the_topic() {
        let e = Event::new(
            "user.banned",
            "user_id",
            "u1",
            serde_json::json!({"user": {"id": "u1"}}),
        );
        let back = Event::from_stream_image(&e.to_item().into()).unwrap();
        assert_eq!(back, e);
        let traced = Event {
            trace: Some(
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1".into(),
            ),
            ..e.clone()
        };
        let back = Event::from_stream_image(&traced.to_item().into()).unwrap();
        assert_eq!(back, traced);
        assert_eq!(
            Event::from_message(&traced.message().to_string()).unwrap(),
            traced
        );
        let msg = e.message();
        assert_eq!(msg["user_id"], "u1");
        assert_eq!(msg["type"], "user.banned");
        assert_eq!(Event::from_message(&msg.to_string()).unwrap(), e);
    }

    #[test]
    fn items_that_are_not_events_are_not_events() {
        let image: serde_dynamo::Item = serde_json::from_value(
            serde_json::json!({"pk": {"S": "USER#1"}, "sk": {"S": "PROFILE"}}),
        )
        .unwrap();
        assert!(Event::from_stream_image(&image).is_none());
        let mut not_an_event = Event::new("user.banned", "user_id", "u1", Value::Null).to_item();
        not_an_event.insert("kind".into(), s("profile"));
        assert!(Event::from_stream_image(&not_an_event.into()).is_none());
    }
}
