//! `users-publish-events` against the emulator (`AWS_ENDPOINT_URL`, see `make test`): the
//! records come from the users table's real DynamoDB stream (a profile created, then changed
//! with its outbox event in one transaction), and the messages go to a real SNS topic whose
//! HTTP subscriptions, one of them filtered on the message attributes, deliver into this test.

use gymit_local::testing::{sns, stream_batch, subscribe, subscriber, topic};
use gymit_shared::{
    events::{Event, StreamEvent},
    identity::Role,
    user::User,
};
use gymit_users::{
    domain::{Change, Profile},
    handlers::{admin, publish_events},
    store::UsersStore,
};
use serde_json::{json, Value};

/// A stream batch as the runtime hands it to the publisher.
fn as_delivered(batch: &Value) -> StreamEvent {
    serde_json::from_value(batch.clone()).expect("a DynamoDB stream event")
}

async fn store() -> UsersStore {
    let tables = gymit_local::testing::fresh_tables(&["UsersTable"]).await;
    UsersStore::new(
        gymit_shared::aws::dynamodb().await,
        tables["UsersTable"].clone(),
    )
}

fn member() -> User {
    User {
        id: uuid::Uuid::now_v7().to_string(),
        email: "member@example.com".into(),
        full_name: "Member".into(),
        role: Role::Member,
        is_approved: false,
        is_banned: false,
        is_active: true,
        is_root_admin: false,
        created_at: "2026-11-24T10:00:00Z".into(),
        updated_at: "2026-11-24T10:00:00Z".into(),
    }
}

/// A profile created (with its `user.created` event), then approved the way the admin
/// handler saves it (profile + event in one transaction). Returns the approval's event.
async fn created_then_approved(store: &UsersStore, user: &User) -> Event {
    let mut profile = Profile {
        user: user.clone(),
        ban_reason: None,
        version: 1,
    };
    let created = admin::user_event("user.created", &profile);
    store.create(&profile, &created).await.expect("created");
    Change::Approve.apply(&mut profile);
    profile.version = 2;
    profile.user.updated_at = gymit_shared::time::now_rfc3339();
    let event = admin::user_event(Change::Approve.event_type(), &profile);
    store.save(1, &profile, &event).await.expect("saved");
    event
}

#[tokio::test]
async fn only_event_items_are_published_with_type_and_entity_attributes() {
    let store = store().await;
    let user = member();
    let event = created_then_approved(&store, &user).await;

    // The stream holds the profile's INSERT with its `user.created` event item's, then the
    // approval's MODIFY with its event item's INSERT.
    let batch = stream_batch(store.table()).await;
    let records = batch["Records"].as_array().unwrap();
    let names: Vec<&str> = records
        .iter()
        .map(|r| r["eventName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["INSERT", "INSERT", "MODIFY", "INSERT"], "{batch}");
    let kinds: Vec<bool> = as_delivered(&batch)
        .records
        .iter()
        .map(|r| Event::from_stream_image(&r.change.new_image).is_some())
        .collect();
    assert_eq!(
        kinds,
        [false, true, false, true],
        "two event items, two profile records"
    );

    let sns = sns().await;
    let topic_arn = topic(&sns, "test-user-events").await;
    let (base, received) = subscriber().await;
    subscribe(&sns, &topic_arn, &format!("{base}/all"), None).await;
    // Delivered only if the message attributes are `type` and `user_id` with these values.
    subscribe(
        &sns,
        &topic_arn,
        &format!("{base}/approved"),
        Some(json!({ "type": ["user.approved"], "user_id": [user.id] })),
    )
    .await;
    subscribe(
        &sns,
        &topic_arn,
        &format!("{base}/banned"),
        Some(json!({ "type": ["user.banned"] })),
    )
    .await;

    let state = publish_events::Publisher {
        sns: sns.clone(),
        topic_arn: topic_arn.clone(),
    };
    let out = publish_events::handle(&state, as_delivered(&batch))
        .await
        .expect("published");
    assert_eq!(out, json!({ "published": 2, "batchItemFailures": [] }));

    let inbox = received.lock().unwrap().clone();
    let all = inbox.get("all").cloned().unwrap_or_default();
    assert_eq!(
        all.len(),
        2,
        "exactly the two event items are published, in order: {all:?}"
    );
    let first: Value = serde_json::from_str(all[0]["Message"].as_str().unwrap()).unwrap();
    assert_eq!(first["type"], "user.created");
    assert_eq!(first["data"]["version"], 1);
    let envelope = &all[1];
    assert_eq!(envelope["Type"], "Notification");
    assert_eq!(envelope["TopicArn"], topic_arn.as_str());
    let message = envelope["Message"].as_str().expect("a message body");
    let body: Value = serde_json::from_str(message).expect("the message is JSON");
    assert_eq!(body, event.message());
    assert_eq!(body["user_id"], user.id.as_str());
    assert_eq!(body["type"], "user.approved");
    assert_eq!(body["data"]["version"], 2);
    assert_eq!(body["data"]["user"]["is_approved"], true);
    assert_eq!(Event::from_message(message), Some(event.clone()));

    assert_eq!(
        inbox.get("approved").map(Vec::len),
        Some(1),
        "the attribute-filtered subscription got it: `type` and `user_id` are set"
    );
    assert_eq!(inbox.get("banned").map(Vec::len), None);

    // At least once: the same batch again publishes the same event again (same event_id),
    // which is what consumers deduplicate on.
    publish_events::handle(&state, as_delivered(&batch))
        .await
        .expect("again");
    let all = received.lock().unwrap()["all"].clone();
    assert_eq!(all.len(), 4);
    assert_eq!(all[1]["Message"], all[3]["Message"]);
}

#[tokio::test]
async fn records_that_are_not_new_event_items_publish_nothing() {
    let store = store().await;
    let user = member();
    created_then_approved(&store, &user).await;
    let batch = stream_batch(store.table()).await;
    let records = batch["Records"].as_array().unwrap().clone();

    // The event item seen as a MODIFY or REMOVE (not a new event), and the profile records.
    let mut not_new = Vec::new();
    for name in ["MODIFY", "REMOVE"] {
        let mut r = records[3].clone();
        r["eventName"] = json!(name);
        not_new.push(r);
    }
    not_new.push(records[0].clone());
    not_new.push(records[2].clone());

    // A topic that does not exist: any publish attempt would fail the batch.
    let state = publish_events::Publisher {
        sns: sns().await,
        topic_arn: "arn:aws:sns:us-east-1:123456789012:no-such-topic".into(),
    };
    let out = publish_events::handle(&state, as_delivered(&json!({ "Records": not_new })))
        .await
        .expect("nothing to publish");
    assert_eq!(out, json!({ "published": 0, "batchItemFailures": [] }));
    assert_eq!(
        publish_events::handle(&state, as_delivered(&json!({ "Records": [] })))
            .await
            .unwrap(),
        json!({ "published": 0, "batchItemFailures": [] })
    );

    // The event item as a new record does try to publish, and the failure is reported as
    // that record's failure (so the event source mapping retries from it, and only it).
    let out = publish_events::handle(
        &state,
        as_delivered(&json!({ "Records": [records[0].clone(), records[3].clone()] })),
    )
    .await
    .expect("an answer");
    assert_eq!(
        out,
        json!({ "published": 0, "batchItemFailures": [{ "itemIdentifier": records[3]["dynamodb"]["SequenceNumber"] }] })
    );
}
