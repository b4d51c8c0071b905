//! `tournaments-publish-events` against the emulator: the records come from the tournaments
//! table's real DynamoDB stream after real handler calls (a tournament created, a member
//! joining, the tournament cancelled), and the messages go to a real SNS topic whose HTTP
//! subscriptions, some filtered on the message attributes, deliver into this test.

mod common;

use common::{Env, Route};
use gymit_local::testing::{sns, stream_batch, subscribe, subscriber, topic};
use gymit_shared::events::{Event, Publisher, StreamEvent};
use serde_json::{json, Value};

/// A stream batch as the runtime hands it to the publisher.
fn as_delivered(batch: &Value) -> StreamEvent {
    serde_json::from_value(batch.clone()).expect("a DynamoDB stream event")
}

/// The outbox event a stream record carries, if it is one.
fn event_of(record: &Value) -> Option<Event> {
    let batch = as_delivered(&json!({ "Records": [record] }));
    Event::from_stream_image(&batch.records[0].change.new_image)
}

#[tokio::test]
async fn tournament_events_reach_the_topic_with_type_and_tournament_attributes() {
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    let member = env.member("Mia").await;
    let t = env.create(&owner, json!({})).await;
    let id = t["id"].as_str().unwrap().to_string();
    let (status, joined) = env.call(Route::Join, &[&id], Some(&member), None).await;
    assert_eq!(status, 201, "{joined}");
    let written = env.events().await;
    let types: Vec<&str> = written.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, ["tournament.created", "participant.joined"]);

    // The stream holds every write; two of its records are new event items.
    let batch = stream_batch(env.state.store.table()).await;
    let records = batch["Records"].as_array().unwrap();
    let in_stream: Vec<Event> = records
        .iter()
        .filter(|r| r["eventName"] == "INSERT")
        .filter_map(event_of)
        .collect();
    assert_eq!(in_stream.len(), 2, "{batch}");
    assert!(
        records.len() > in_stream.len(),
        "the tournament, participant and registration records are in the stream too"
    );

    let sns = sns().await;
    let topic_arn = topic(&sns, "test-tournament-events").await;
    let (base, received) = subscriber().await;
    subscribe(&sns, &topic_arn, &format!("{base}/all"), None).await;
    subscribe(
        &sns,
        &topic_arn,
        &format!("{base}/joined-here"),
        Some(json!({ "type": ["participant.joined"], "tournament_id": [id] })),
    )
    .await;
    subscribe(
        &sns,
        &topic_arn,
        &format!("{base}/created-here"),
        Some(json!({ "type": ["tournament.created"], "tournament_id": [id] })),
    )
    .await;
    subscribe(
        &sns,
        &topic_arn,
        &format!("{base}/cancelled"),
        Some(json!({ "type": ["tournament.cancelled"] })),
    )
    .await;
    subscribe(
        &sns,
        &topic_arn,
        &format!("{base}/elsewhere"),
        Some(json!({ "tournament_id": ["another-tournament"] })),
    )
    .await;

    let publisher = Publisher {
        sns: sns.clone(),
        topic_arn: topic_arn.clone(),
    };
    let out = publisher
        .handle(as_delivered(&batch))
        .await
        .expect("published");
    assert_eq!(out, json!({ "published": 2, "batchItemFailures": [] }));

    let inbox = received.lock().unwrap().clone();
    let all = inbox.get("all").cloned().unwrap_or_default();
    assert_eq!(all.len(), 2, "exactly the event items: {all:?}");
    for (envelope, event) in all.iter().zip(&written) {
        assert_eq!(envelope["Type"], "Notification");
        assert_eq!(envelope["TopicArn"], topic_arn.as_str());
        let message = envelope["Message"].as_str().expect("a message body");
        let body: Value = serde_json::from_str(message).expect("the message is JSON");
        assert_eq!(body["event_id"], event.event_id.as_str());
        assert_eq!(body["type"], event.event_type.as_str());
        assert_eq!(body["tournament_id"], id.as_str());
        assert_eq!(body["data"], event.data);
        assert!(body["occurred_at"].as_str().is_some());
        let parsed = Event::from_message(message).expect("consumers can read it");
        assert_eq!(parsed.entity, ("tournament_id".to_string(), id.clone()));
    }
    let first: Value = serde_json::from_str(all[0]["Message"].as_str().unwrap()).unwrap();
    assert_eq!(first["data"]["tournament"], t);
    let second: Value = serde_json::from_str(all[1]["Message"].as_str().unwrap()).unwrap();
    assert_eq!(second["data"]["participant"], joined["participant"]);

    // Filter policies match on the message attributes: `type` and `tournament_id` are set.
    let here = inbox.get("joined-here").cloned().unwrap_or_default();
    assert_eq!(
        here.len(),
        1,
        "the filter on type and tournament_id matched"
    );
    assert_eq!(here[0]["Message"], all[1]["Message"]);
    let here = inbox.get("created-here").cloned().unwrap_or_default();
    assert_eq!(here.len(), 1);
    assert_eq!(here[0]["Message"], all[0]["Message"]);
    assert!(!inbox.contains_key("cancelled"));
    assert!(!inbox.contains_key("elsewhere"));

    // The cancellation's event item, from a later read of the stream, is published once;
    // replaying the batch publishes again (at least once; consumers dedupe by event_id).
    let (status, _) = env.call(Route::Cancel, &[&id], Some(&owner), None).await;
    assert_eq!(status, 200);
    let batch = stream_batch(env.state.store.table()).await;
    let out = publisher
        .handle(as_delivered(&batch))
        .await
        .expect("published");
    assert_eq!(out, json!({ "published": 3, "batchItemFailures": [] }));
    let inbox = received.lock().unwrap().clone();
    assert_eq!(inbox["all"].len(), 5);
    assert_eq!(inbox["all"][2]["Message"], all[0]["Message"], "replayed");
    let cancelled = &inbox["cancelled"];
    assert_eq!(cancelled.len(), 1);
    let body: Value = serde_json::from_str(cancelled[0]["Message"].as_str().unwrap()).unwrap();
    assert_eq!(body["data"]["tournament"]["status"], "cancelled");
    assert_eq!(inbox["joined-here"].len(), 2);
}

#[tokio::test]
async fn records_that_are_not_new_event_items_publish_nothing() {
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    let t = env.create(&owner, json!({})).await;
    let id = t["id"].as_str().unwrap().to_string();
    env.add(&owner, &id, "Guest").await;
    let batch = stream_batch(env.state.store.table()).await;
    let records = batch["Records"].as_array().unwrap().clone();
    let (events, others): (Vec<Value>, Vec<Value>) =
        records.into_iter().partition(|r| event_of(r).is_some());
    assert_eq!(events.len(), 2);
    assert!(!others.is_empty());

    let mut not_new = others.clone();
    for name in ["MODIFY", "REMOVE"] {
        let mut r = events[0].clone();
        r["eventName"] = json!(name);
        not_new.push(r);
    }
    // A topic that does not exist: any publish attempt would fail the batch.
    let publisher = Publisher {
        sns: sns().await,
        topic_arn: "arn:aws:sns:us-east-1:123456789012:no-such-topic".into(),
    };
    let out = publisher
        .handle(as_delivered(&json!({ "Records": not_new })))
        .await
        .expect("nothing to publish");
    assert_eq!(out, json!({ "published": 0, "batchItemFailures": [] }));

    // A new event item does try, and the failure is reported as that record's failure, so
    // the event source mapping retries from it (and only from it).
    let out = publisher
        .handle(as_delivered(&json!({ "Records": [events[1].clone()] })))
        .await
        .expect("an answer");
    assert_eq!(
        out,
        json!({ "published": 0, "batchItemFailures": [{ "itemIdentifier": events[1]["dynamodb"]["SequenceNumber"] }] })
    );
}
