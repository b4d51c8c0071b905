//! DynamoDB round trips per WebSocket route and per fanned-out event (DESIGN.md "Data": one
//! or two a route), counted by an SDK interceptor (`gymit_local::testing::RoundTrips`) on
//! the client the functions' state uses, while each answers on its success path; the exact
//! requests are asserted, so a regression fails (`cargo test -p gymit-notifications --test
//! round_trips -- --nocapture` prints the table). Not counted: `$connect`'s invoke of the
//! auth service's authorizer (Lambda; the authorizer reads the auth table on its own
//! client) and the fan-out's posts to `@connections` (API Gateway).

mod common;

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use axum::{extract::Path, http::StatusCode, routing::post, Router};
use common::{connect, connection_id, disconnect, reply, Tables, SECRET, SOURCE_IP};
use gymit_local::testing::{Budget, RoundTrips};
use gymit_notifications::{
    accounts::Accounts,
    handlers::fanout::{self, Fanout, Report},
    store::ConnectionsStore,
    Notifications, DEFAULT_ANONYMOUS_PER_SOURCE, DEFAULT_CONNECTIONS_PER_ACCOUNT,
};
use gymit_shared::{
    events::{Event, SnsEvent},
    identity::Role,
    jwt::Tokens,
};
use serde_json::json;

/// The function that serves each route (template.yaml), whose policy must allow its requests.
const FUNCTIONS: [(&str, &str); 4] = [
    ("$connect", "NotificationsConnectFunction"),
    ("$default", "NotificationsDefaultFunction"),
    ("$disconnect", "NotificationsDisconnectFunction"),
    ("fanout", "NotificationsFanoutFunction"),
];

/// API Gateway's `@connections` management API, taking every post; returns its endpoint
/// (with the stage, as on AWS) and how many posts it took.
async fn management_api() -> (String, Arc<AtomicUsize>) {
    let posts = Arc::new(AtomicUsize::new(0));
    let counter = posts.clone();
    let app = Router::new().route(
        "/ws/@connections/{id}",
        post(move |Path(_): Path<String>| {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/ws"), posts)
}

/// The SNS delivery of one tournament event, as the tournaments publisher sends it.
fn delivery(e: &Event) -> SnsEvent {
    let topic = "arn:aws:sns:us-east-1:123456789012:gymit-tournament-events";
    let record = json!({
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": format!("{topic}:{}", uuid::Uuid::now_v7()),
        "Sns": {
            "Type": "Notification",
            "MessageId": uuid::Uuid::now_v7().to_string(),
            "TopicArn": topic,
            "Subject": null,
            "Message": e.message().to_string(),
            "Timestamp": "2026-03-09T10:00:00.000Z",
            "SignatureVersion": "1",
            "Signature": "EXAMPLE",
            "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000.pem",
            "UnsubscribeUrl": format!("https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={topic}:x"),
            "MessageAttributes": {
                "type": { "Type": "String", "Value": e.event_type },
                e.entity.0.clone(): { "Type": "String", "Value": e.entity.1 },
            },
        }
    });
    serde_json::from_value(json!({ "Records": [record] })).expect("a valid SNS Lambda event")
}

/// Fans `event` out; asserts it reached `delivered` connections (none gone, none failed)
/// and returns the requests it sent.
async fn fan_out(
    trips: &RoundTrips,
    fanout: &Fanout,
    event: &Event,
    delivered: usize,
) -> Vec<String> {
    let (report, ops) = trips.during(fanout::handle(fanout, delivery(event))).await;
    let expected = Report {
        events: 1,
        delivered,
        gone: 0,
        failed: 0,
    };
    assert_eq!(report.expect("fanned out"), expected);
    ops
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_route_sends_exactly_its_listed_requests() {
    let tables = Tables::fresh().await;
    let trips = RoundTrips::new();
    let counted = trips.patient_client(&gymit_shared::aws::sdk_config().await);
    let counted_store = || ConnectionsStore::new(counted.clone(), tables.connections.clone());
    let state = Arc::new(Notifications {
        store: counted_store(),
        tokens: Tokens::new(SECRET),
        accounts: Accounts::new(tables.authorizer().await, "auth-authorizer".into()),
        anonymous_per_source: DEFAULT_ANONYMOUS_PER_SOURCE,
        per_account: DEFAULT_CONNECTIONS_PER_ACCOUNT,
    });
    let (endpoint, posts) = management_api().await;
    let fanout = Fanout::new(counted_store(), &endpoint, Duration::from_secs(2)).await;
    let tid = tables.tournament().await;
    let (_, token) = tables.user(Role::Member).await;
    let (member, spectator) = (connection_id(), connection_id());
    // No route is over the budget of two.
    let mut table = Budget::new(&[]).checking_iam(&trips, &FUNCTIONS);

    // The account's standing is the authorizer's (an invoke, not counted): one of the
    // account's slots and the connection, in one transaction.
    let ((status, body), ops) = trips.during(connect(&state, &member, Some(&token))).await;
    assert_eq!(status, 204, "{body}");
    table.expect("$connect (token)", &ops, &["TransactWriteItems"]);

    // One of the source address's slots and the connection, in one transaction.
    let ((status, body), ops) = trips.during(connect(&state, &spectator, None)).await;
    assert_eq!(status, 204, "{body}");
    table.expect("$connect (anonymous)", &ops, &["TransactWriteItems"]);

    // An address with no free slot (a cap of one, held): the claim fails, one Query of the
    // address's slots says it is full, 429. (Its Query must be in the function's policy.)
    let capped = Arc::new(Notifications {
        store: counted_store(),
        tokens: Tokens::new(SECRET),
        accounts: Accounts::new(tables.authorizer().await, "auth-authorizer".into()),
        anonymous_per_source: 1,
        per_account: 1,
    });
    let holder = connection_id();
    trips.during(connect(&capped, &holder, None)).await;
    let ((status, body), ops) = trips.during(connect(&capped, &connection_id(), None)).await;
    assert_eq!(status, 429, "{body}");
    table.expect(
        "$connect (anonymous, the address full)",
        &ops,
        &["TransactWriteItems", "Query"],
    );
    trips.during(disconnect(&capped, &holder)).await;

    // The same for an account holding all its slots (a cap of one here, five by default).
    let (_, capped_token) = tables.user(Role::Member).await;
    let holder = connection_id();
    trips
        .during(connect(&capped, &holder, Some(&capped_token)))
        .await;
    let ((status, body), ops) = trips
        .during(connect(&capped, &connection_id(), Some(&capped_token)))
        .await;
    assert_eq!(status, 429, "{body}");
    table.expect(
        "$connect (token, the account full)",
        &ops,
        &["TransactWriteItems", "Query"],
    );
    trips.during(disconnect(&capped, &holder)).await;

    let subscribe = |tid: &str| json!({ "action": "subscribe", "tournament_id": tid });
    // Both sides, the count and that the tournament is known, in one transaction.
    let (answer, ops) = trips.during(reply(&state, &member, subscribe(&tid))).await;
    assert_eq!(answer["type"], "subscribed", "{answer}");
    table.expect(
        "$default subscribe (a tournament)",
        &ops,
        &["TransactWriteItems"],
    );
    let (answer, ops) = trips
        .during(reply(&state, &spectator, subscribe("*")))
        .await;
    assert_eq!(answer["type"], "subscribed", "{answer}");
    table.expect(
        "$default subscribe (the lobby)",
        &ops,
        &["TransactWriteItems"],
    );

    let (answer, ops) = trips
        .during(reply(&state, &member, json!({ "action": "ping" })))
        .await;
    assert_eq!(answer["type"], "pong", "{answer}");
    table.expect("$default ping", &ops, &[]);

    // One Query for the tournament's subscribers, then the posts (not DynamoDB).
    let joined = Event::new(
        "participant.joined",
        "tournament_id",
        &tid,
        json!({ "participant": { "user_id": uuid::Uuid::now_v7(), "seed": 3 } }),
    );
    let ops = fan_out(&trips, &fanout, &joined, 1).await;
    table.expect("fanout: a participant.* or match.* event", &ops, &["Query"]);

    // The tournament's partition (its subscribers, and that it is known) and the lobby's.
    let started = Event::new(
        "tournament.started",
        "tournament_id",
        &tid,
        json!({ "tournament": { "id": tid, "name": "Spring Open", "status": "in_progress" } }),
    );
    let ops = fan_out(&trips, &fanout, &started, 2).await;
    table.expect("fanout: a tournament.* event", &ops, &["Query", "Query"]);
    assert_eq!(posts.load(Ordering::SeqCst), 3, "one post per subscriber");

    // A new tournament recorded as known (nobody can follow it yet), then the lobby's.
    let new_tid = uuid::Uuid::now_v7().to_string();
    let created = Event::new(
        "tournament.created",
        "tournament_id",
        &new_tid,
        json!({ "tournament": { "id": new_tid, "name": "Autumn Cup", "status": "open" } }),
    );
    let ops = fan_out(&trips, &fanout, &created, 1).await;
    table.expect(
        "fanout: a tournament.created event",
        &ops,
        &["PutItem", "Query"],
    );
    assert_eq!(posts.load(Ordering::SeqCst), 4, "the lobby's post");

    let unsubscribe = json!({ "action": "unsubscribe", "tournament_id": "*" });
    let (answer, ops) = trips.during(reply(&state, &spectator, unsubscribe)).await;
    assert_eq!(answer["type"], "unsubscribed", "{answer}");
    table.expect("$default unsubscribe", &ops, &["TransactWriteItems"]);

    // The connection's items (one Query), deleted in one batch.
    let ((status, body), ops) = trips.during(disconnect(&state, &member)).await;
    assert_eq!(status, 204, "{body}");
    table.expect("$disconnect (token)", &ops, &["Query", "BatchWriteItem"]);
    // An anonymous connection's slot is found in its `#META` and deleted in the same batch.
    let ((status, body), ops) = trips.during(disconnect(&state, &spectator)).await;
    assert_eq!(status, 204, "{body}");
    table.expect(
        "$disconnect (anonymous)",
        &ops,
        &["Query", "BatchWriteItem"],
    );
    assert!(tables.keys().await.is_empty(), "nothing left behind");
    assert!(
        tables.anonymous_slots(SOURCE_IP).await.is_empty(),
        "the slot is given back"
    );
    assert_eq!(table.len(), 13, "every route, and every kind of event");
}
