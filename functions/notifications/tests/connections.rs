//! The WebSocket route functions of the notification service (`$connect`, `$default`,
//! `$disconnect`) in process, through the per-invocation wrapper the binaries run
//! (`gymit_shared::http::handle`), with `APIGatewayWebsocketProxyRequest` events as API
//! Gateway sends them, against a real DynamoDB emulator (`AWS_ENDPOINT_URL`), each test with
//! fresh tables of its own. What a client notices: whether its socket opens, what each of its
//! messages is answered, and which tournaments' events it is subscribed to (the items a
//! fan-out reads).

mod common;

use aws_sdk_dynamodb::types::AttributeValue;
use common::{
    connect, connection_id, disconnect, number, reply, send, subscribe, subscribed_keys, text,
    token, Tables, SECRET, SOURCE_IP,
};
use gymit_notifications::{
    messages::MAX_MESSAGE_BYTES,
    store::{CONNECTION_TTL_SECONDS, MAX_SUBSCRIPTIONS},
};
use gymit_shared::{
    identity::Role,
    jwt::{Claims, Tokens, AUDIENCE, ISSUER},
};
use serde_json::{json, Value};

/// The error reply of API.md: `{"type":"error","code","message"}` with a message to show.
fn assert_error(reply: &Value, code: &str) {
    assert_eq!(reply["type"], "error", "{reply}");
    assert_eq!(reply["code"], code, "{reply}");
    assert!(
        reply["message"].as_str().is_some_and(|m| !m.is_empty()),
        "an error reply says why: {reply}"
    );
    assert_eq!(reply.as_object().map(|o| o.len()), Some(3), "{reply}");
}

/// `expires_at` of an item is the connection's life from now (API Gateway's two hours).
fn assert_expires_with_the_socket(item: &gymit_shared::dynamo::Item) {
    let expires = number(item, "expires_at");
    let expected = gymit_shared::time::epoch_seconds() + CONNECTION_TTL_SECONDS;
    assert!(
        (expected - 60..=expected).contains(&expires),
        "expires_at {expires} is not two hours from now ({expected})"
    );
}

// ------------------------------------------------------------------------ $connect

#[tokio::test]
async fn an_anonymous_spectator_connects_and_is_recorded_without_an_identity() {
    let tables = Tables::fresh().await;
    let state = tables.notifications().await;
    let conn = connection_id();
    let before = gymit_shared::time::now_rfc3339();

    let (status, body) = connect(&state, &conn, None).await;

    assert_eq!(status, 204, "{body}");
    let after = gymit_shared::time::now_rfc3339();
    let stored = state
        .store
        .connection(&conn)
        .await
        .expect("read")
        .expect("the connection is recorded");
    assert_eq!(
        (stored.user_id.as_deref(), stored.role.as_deref()),
        (None, None)
    );
    assert!(
        before <= stored.connected_at && stored.connected_at <= after,
        "connected_at {} is now",
        stored.connected_at
    );
    let items = tables.items().await;
    assert_eq!(
        items.keys().cloned().collect::<Vec<_>>(),
        subscribed_keys(&conn, &[])
    );
    let meta = &items[&(format!("CONN#{conn}"), "#META".to_string())];
    assert_eq!(number(meta, "subscriptions"), 0);
    assert_expires_with_the_socket(meta);
    // It holds one of its address's slots, which names it and expires with it.
    let slots = tables.anonymous_slots(SOURCE_IP).await;
    assert_eq!(slots.len(), 1, "{slots:?}");
    let (slot, held) = slots.iter().next().expect("one slot");
    assert!(
        (0..gymit_notifications::DEFAULT_ANONYMOUS_PER_SOURCE).contains(slot),
        "slot {slot}"
    );
    assert_eq!(text(held, "connection_id"), conn);
    assert_eq!(number(meta, "anonymous_slot"), *slot);
    assert_eq!(text(meta, "anonymous_source"), SOURCE_IP);
    assert_expires_with_the_socket(held);
}

#[tokio::test]
async fn a_valid_token_records_the_user_and_role_of_the_connection() {
    let tables = Tables::fresh().await;
    let state = tables.notifications().await;
    let (user_id, token) = tables.user(Role::Trainer).await;
    let conn = connection_id();

    let (status, body) = connect(&state, &conn, Some(&token)).await;

    assert_eq!(status, 204, "{body}");
    let stored = state.store.connection(&conn).await.expect("read");
    assert_eq!(
        stored.map(|c| (c.user_id, c.role)),
        Some((Some(user_id), Some("trainer".to_string())))
    );
    assert_eq!(tables.keys().await, subscribed_keys(&conn, &[]));
    assert!(
        tables.anonymous_slots(SOURCE_IP).await.is_empty(),
        "a signed-in connection takes no anonymous slot"
    );
}

#[tokio::test]
async fn an_invalid_or_forged_token_refuses_the_connection_and_records_nothing() {
    let tables = Tables::fresh().await;
    let state = tables.notifications().await;
    let (user_id, good) = tables.user(Role::Member).await;
    let now = gymit_shared::time::epoch_seconds();
    let claims = |role: &str, exp: i64| Claims {
        sub: user_id.clone(),
        email: "someone@example.com".into(),
        role: role.into(),
        approved: true,
        iat: now - 3600,
        exp,
        iss: ISSUER.into(),
        aud: AUDIENCE.into(),
        jti: uuid::Uuid::now_v7().to_string(),
        sid: uuid::Uuid::now_v7().to_string(),
    };
    let other_key = Tokens::new("somebody-elses-secret-somebody-elses-secret")
        .sign(&claims("admin", now + 900))
        .expect("sign");
    // The member's token with its payload swapped for an admin's, signature kept.
    let parts: Vec<&str> = good.split('.').collect();
    let admin_payload = Tokens::new(SECRET)
        .sign(&claims("admin", now + 900))
        .expect("sign");
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        admin_payload.split('.').nth(1).expect("payload"),
        parts[2]
    );
    // `alg: none`: header {"alg":"none","typ":"JWT"}, the payload of a valid token, no signature.
    let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.", parts[1]);
    let expired = Tokens::new(SECRET)
        .sign(&claims("member", now - 120))
        .expect("sign");

    for (case, token, code) in [
        (
            "signed with another key",
            other_key.as_str(),
            "unauthenticated",
        ),
        ("tampered payload", tampered.as_str(), "unauthenticated"),
        ("alg none", unsigned.as_str(), "unauthenticated"),
        ("not a JWT", "not-a-token", "unauthenticated"),
        ("expired", expired.as_str(), "token_expired"),
    ] {
        let conn = connection_id();
        let (status, body) = connect(&state, &conn, Some(token)).await;
        assert_eq!(status, 401, "{case}: {body}");
        assert_eq!(body["code"], code, "{case}: {body}");
        assert_eq!(
            state.store.connection(&conn).await.expect("read"),
            None,
            "{case}: a refused connection is not recorded"
        );
    }
    assert!(
        tables.keys().await.is_empty(),
        "refused connections leave nothing behind"
    );

    // The same valid token still connects: the refusals were about the tokens.
    let conn = connection_id();
    assert_eq!(connect(&state, &conn, Some(&good)).await.0, 204);
    let stored = state.store.connection(&conn).await.expect("read");
    assert_eq!(
        stored.map(|c| (c.user_id, c.role)),
        Some((Some(user_id), Some("member".to_string())))
    );
}

#[tokio::test]
async fn a_banned_deactivated_or_password_changed_accounts_token_is_refused() {
    let tables = Tables::fresh().await;
    let state = tables.notifications().await;
    let now_ms = gymit_shared::time::now().timestamp_millis();
    for (case, active, banned, valid_after_ms) in [
        ("banned", true, true, 0),
        ("deactivated", false, false, 0),
        (
            "password changed after the token",
            true,
            false,
            now_ms + 1000,
        ),
    ] {
        let (user_id, token) = tables.user(Role::Member).await;
        tables
            .put_account(&user_id, Role::Member, active, banned, valid_after_ms)
            .await;
        let conn = connection_id();
        let (status, body) = connect(&state, &conn, Some(&token)).await;
        assert_eq!(status, 401, "{case}: {body}");
        assert_eq!(body["code"], "unauthenticated", "{case}: {body}");
        assert_eq!(
            state.store.connection(&conn).await.expect("read"),
            None,
            "{case}"
        );
    }
    // A valid token of a user the auth service does not know is refused too.
    let (_, stranger) = token(Role::Admin);
    assert_eq!(
        connect(&state, &connection_id(), Some(&stranger)).await.0,
        401
    );
}

#[tokio::test]
async fn a_connection_records_the_accounts_current_role_not_the_tokens() {
    let tables = Tables::fresh().await;
    let state = tables.notifications().await;
    let (user_id, trainer_token) = tables.user(Role::Trainer).await;
    tables
        .put_account(&user_id, Role::Member, true, false, 0)
        .await;
    let conn = connection_id();
    assert_eq!(connect(&state, &conn, Some(&trainer_token)).await.0, 204);
    let stored = state
        .store
        .connection(&conn)
        .await
        .expect("read")
        .expect("recorded");
    assert_eq!(stored.role.as_deref(), Some("member"));
}

#[tokio::test]
async fn anonymous_connections_are_capped_per_source_and_a_disconnect_frees_a_place() {
    let tables = Tables::fresh().await;
    let state = tables.notifications_with_cap(3).await;
    let conns: Vec<String> = (0..3).map(|_| connection_id()).collect();
    for c in &conns {
        assert_eq!(connect(&state, c, None).await.0, 204);
    }
    let fourth = connection_id();
    let (status, body) = connect(&state, &fourth, None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (429, Some("rate_limited")),
        "{body}"
    );
    assert_eq!(state.store.connection(&fourth).await.expect("read"), None);
    // Signed-in users are not counted against the anonymous cap.
    let (_, t) = tables.user(Role::Member).await;
    assert_eq!(connect(&state, &connection_id(), Some(&t)).await.0, 204);
    let mut holders = conns.clone();
    holders.sort();
    assert_eq!(tables.slot_holders(SOURCE_IP).await, holders);
    assert!(tables
        .anonymous_slots(SOURCE_IP)
        .await
        .keys()
        .all(|k| (0..3).contains(k)));

    assert_eq!(disconnect(&state, &conns[0]).await.0, 204);
    assert_eq!(
        disconnect(&state, &conns[0]).await.0,
        204,
        "twice is harmless"
    );
    let mut holders = conns[1..].to_vec();
    holders.sort();
    assert_eq!(
        tables.slot_holders(SOURCE_IP).await,
        holders,
        "the second disconnect frees nobody else's slot"
    );
    assert_eq!(connect(&state, &fourth, None).await.0, 204);
    assert_eq!(connect(&state, &connection_id(), None).await.0, 429);
}

#[tokio::test]
async fn an_account_holds_at_most_five_connections_and_a_disconnect_frees_one() {
    let tables = Tables::fresh().await;
    let state = tables.notifications().await;
    let (user_id, t) = tables.user(Role::Member).await;
    let conns: Vec<String> = (0..5).map(|_| connection_id()).collect();
    for c in &conns {
        assert_eq!(connect(&state, c, Some(&t)).await.0, 204);
    }
    let sixth = connection_id();
    let (status, body) = connect(&state, &sixth, Some(&t)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (429, Some("rate_limited")),
        "{body}"
    );
    assert_eq!(state.store.connection(&sixth).await.expect("read"), None);
    // Another account, and anonymous spectators, are not held back by this one.
    let (_, other) = tables.user(Role::Member).await;
    assert_eq!(connect(&state, &connection_id(), Some(&other)).await.0, 204);
    assert_eq!(connect(&state, &connection_id(), None).await.0, 204);
    let mut holders = conns.clone();
    holders.sort();
    assert_eq!(tables.account_slot_holders(&user_id).await, holders);

    assert_eq!(disconnect(&state, &conns[0]).await.0, 204);
    assert_eq!(
        connect(&state, &sixth, Some(&t)).await.0,
        204,
        "a place was freed"
    );
    assert_eq!(connect(&state, &connection_id(), Some(&t)).await.0, 429);
    for c in conns[1..].iter().chain([&sixth]) {
        assert_eq!(disconnect(&state, c).await.0, 204);
    }
    assert!(
        tables.account_slot_holders(&user_id).await.is_empty(),
        "every slot is given back"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_connects_of_one_account_never_exceed_five() {
    let tables = Tables::fresh().await;
    let state = tables.notifications().await;
    let (user_id, t) = tables.user(Role::Trainer).await;
    let conns: Vec<String> = (0..20).map(|_| connection_id()).collect();

    let statuses = futures::future::join_all(conns.iter().map(|c| {
        let (state, c, t) = (state.clone(), c.clone(), t.clone());
        tokio::spawn(async move { connect(&state, &c, Some(&t)).await.0 })
    }))
    .await;

    let mut accepted = Vec::new();
    for (c, status) in conns.iter().zip(statuses) {
        match status.expect("the connect ran") {
            204 => accepted.push(c.clone()),
            429 => assert_eq!(state.store.connection(c).await.expect("read"), None),
            other => panic!("{c}: {other}"),
        }
    }
    accepted.sort();
    assert_eq!(accepted.len(), 5, "exactly five: {accepted:?}");
    assert_eq!(tables.account_slot_holders(&user_id).await, accepted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_anonymous_connections_never_exceed_the_cap() {
    exactly_the_cap_of_concurrent_connects(5, 20).await;
}

/// A cap of 64 or more is claimed blind first (random slots before the address's slots
/// are listed): the cap holds the same way.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_anonymous_connections_never_exceed_a_large_cap() {
    exactly_the_cap_of_concurrent_connects(64, 100).await;
}

/// `tries` anonymous connects of one address at once against a cap of `cap`: exactly
/// `cap` are accepted and recorded, each holding a slot; the others are 429 and leave nothing.
async fn exactly_the_cap_of_concurrent_connects(cap: i64, tries: usize) {
    let tables = Tables::fresh().await;
    let state = tables.notifications_with_cap(cap).await;
    let conns: Vec<String> = (0..tries).map(|_| connection_id()).collect();

    let statuses = futures::future::join_all(conns.iter().map(|c| {
        let state = state.clone();
        let c = c.clone();
        tokio::spawn(async move { connect(&state, &c, None).await.0 })
    }))
    .await;

    let mut accepted = Vec::new();
    for (c, status) in conns.iter().zip(statuses) {
        match status.expect("the connect ran") {
            204 => accepted.push(c.clone()),
            429 => assert_eq!(state.store.connection(c).await.expect("read"), None),
            other => panic!("{c}: {other}"),
        }
    }
    accepted.sort();
    assert_eq!(
        accepted.len(),
        cap as usize,
        "exactly the cap: {accepted:?}"
    );
    assert_eq!(tables.slot_holders(SOURCE_IP).await, accepted);
    let mut recorded: Vec<String> = tables
        .keys()
        .await
        .into_iter()
        .map(|(pk, _)| pk.trim_start_matches("CONN#").to_string())
        .collect();
    recorded.sort();
    assert_eq!(recorded, accepted, "only the accepted are recorded");
}

#[tokio::test]
async fn an_expired_slot_is_free_before_ttl_removes_it() {
    let tables = Tables::fresh().await;
    let state = tables.notifications_with_cap(2).await;
    // Two connections that vanished without a `$disconnect` two hours ago: their slots have
    // expired, and DynamoDB's TTL has not deleted them yet.
    let expired = gymit_shared::time::epoch_seconds() - 60;
    for slot in 0..2 {
        tables
            .db
            .put_item()
            .table_name(&tables.connections)
            .item("pk", AttributeValue::S(format!("SOURCE#{SOURCE_IP}")))
            .item("sk", AttributeValue::S(format!("SLOT#{slot}")))
            .item("connection_id", AttributeValue::S(connection_id()))
            .item("expires_at", AttributeValue::N(expired.to_string()))
            .send()
            .await
            .expect("put");
    }

    let (a, b) = (connection_id(), connection_id());
    assert_eq!(connect(&state, &a, None).await.0, 204);
    assert_eq!(connect(&state, &b, None).await.0, 204);
    assert_eq!(connect(&state, &connection_id(), None).await.0, 429);

    let mut both = vec![a, b];
    both.sort();
    assert_eq!(tables.slot_holders(SOURCE_IP).await, both);
}

// ------------------------------------------------------------------------ $default

#[tokio::test]
async fn subscribing_to_a_tournament_replies_subscribed_and_stores_both_sides() {
    let tables = Tables::fresh().await;
    let state = tables.notifications().await;
    let tid = tables.tournament().await;
    let conn = connection_id();
    connect(&state, &conn, None).await;

    let answer = subscribe(&state, &conn, &tid).await;

    assert_eq!(
        answer,
        json!({ "type": "subscribed", "tournament_id": tid })
    );
    let items = tables.items().await;
    assert_eq!(
        items.keys().cloned().collect::<Vec<_>>(),
        subscribed_keys(&conn, &[&tid])
    );
    let mine = &items[&(format!("CONN#{conn}"), format!("SUB#{tid}"))];
    assert_eq!(text(mine, "tournament_id"), tid);
    let theirs = &items[&(format!("SUB#{tid}"), format!("CONN#{conn}"))];
    assert_eq!(text(theirs, "connection_id"), conn);
    for item in items.values() {
        assert_expires_with_the_socket(item);
    }
    assert_eq!(
        number(
            &items[&(format!("CONN#{conn}"), "#META".to_string())],
            "subscriptions"
        ),
        1
    );
    assert_eq!(
        state.store.subscribers(&tid).await.expect("query"),
        [conn.as_str()]
    );
}

#[tokio::test]
async fn subscribing_twice_is_one_subscription() {
    let tables = Tables::fresh().await;
    let state = tables.notifications().await;
    let tid = tables.tournament().await;
    let conn = connection_id();
    connect(&state, &conn, None).await;

    let first = subscribe(&state, &conn, &tid).await;
    let second = subscribe(&state, &conn, &tid).await;

    assert_eq!(first, json!({ "type": "subscribed", "tournament_id": tid }));
    assert_eq!(second, first, "the second subscribe is answered the same");
    let items = tables.items().await;
    assert_eq!(
        items.keys().cloned().collect::<Vec<_>>(),
        subscribed_keys(&conn, &[&tid])
    );
    assert_eq!(
        number(
            &items[&(format!("CONN#{conn}"), "#META".to_string())],
            "subscriptions"
        ),
        1,
        "a repeated subscribe does not use up the connection's allowance"
    );
    assert_eq!(
        state.store.subscribers(&tid).await.expect("query"),
        [conn.as_str()]
    );
}

#[tokio::test]
async fn subscribing_to_an_unknown_tournament_is_not_found_and_stores_nothing() {
    let tables = Tables::fresh().await;
    let state = tables.notifications().await;
    let conn = connection_id();
    connect(&state, &conn, None).await;
    // An id minted long ago that the service never heard of names no tournament: refused
    // at once.
    let unknown = uuid::Uuid::new_v7(uuid::Timestamp::from_unix(
        uuid::NoContext,
        1_704_067_200,
        0,
    ))
    .to_string();

    let started = std::time::Instant::now();
    let answer = subscribe(&state, &conn, &unknown).await;
    assert!(started.elapsed() < std::time::Duration::from_millis(500));

    assert_error(&answer, "not_found");
    let items = tables.items().await;
    assert_eq!(
        items.keys().cloned().collect::<Vec<_>>(),
        subscribed_keys(&conn, &[])
    );
    assert_eq!(
        number(
            &items[&(format!("CONN#{conn}"), "#META".to_string())],
            "subscriptions"
        ),
        0
    );
    assert!(state
        .store
        .subscribers(&unknown)
        .await
        .expect("query")
        .is_empty());
}

#[tokio::test]
async fn subscribing_right_after_a_tournament_is_created_waits_for_its_event() {
    let tables = Tables::fresh().await;
    let state = tables.notifications().await;
    let conn = connection_id();
    connect(&state, &conn, None).await;
    // Created a moment ago; its `tournament.created` reaches the fan-out 600 ms later.
    let tid = uuid::Uuid::now_v7().to_string();
    let store = tables.store().await;
    let late = {
        let tid = tid.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(600)).await;
            store.remember_tournament(&tid).await.expect("known");
        })
    };

    let started = std::time::Instant::now();
    let answer = subscribe(&state, &conn, &tid).await;

    assert_eq!(
        answer,
        json!({ "type": "subscribed", "tournament_id": tid }),
        "waited {:?}",
        started.elapsed()
    );
    assert!(started.elapsed() >= std::time::Duration::from_millis(500));
    late.await.unwrap();
    assert_eq!(
        state.store.subscribers(&tid).await.expect("query"),
        [conn.as_str()]
    );
}

#[tokio::test]
async fn the_lobby_is_a_subscription_to_star() {
    let tables = Tables::fresh().await;
    let state = tables.notifications().await;
    let lobby = connection_id();
    let other = connection_id();
    connect(&state, &lobby, None).await;
    connect(&state, &other, None).await;

    let answer = subscribe(&state, &lobby, "*").await;

    assert_eq!(
        answer,
        json!({ "type": "subscribed", "tournament_id": "*" })
    );
    let mut expected = [
        subscribed_keys(&lobby, &["*"]),
        subscribed_keys(&other, &[]),
    ]
    .concat();
    expected.sort();
    assert_eq!(tables.keys().await, expected);
    assert_eq!(
        state.store.subscribers("*").await.expect("query"),
        [lobby.as_str()]
    );
}

#[tokio::test]
async fn unsubscribing_removes_the_subscription_and_frees_its_place() {
    let tables = Tables::fresh().await;
    let state = tables.notifications().await;
    let (t1, t2) = (tables.tournament().await, tables.tournament().await);
    let conn = connection_id();
    connect(&state, &conn, None).await;
    subscribe(&state, &conn, &t1).await;
    subscribe(&state, &conn, &t2).await;
    subscribe(&state, &conn, "*").await;

    let answer = reply(
        &state,
        &conn,
        json!({ "action": "unsubscribe", "tournament_id": t1 }),
    )
    .await;
    let lobby_answer = reply(
        &state,
        &conn,
        json!({ "action": "unsubscribe", "tournament_id": "*" }),
    )
    .await;

    assert_eq!(
        answer,
        json!({ "type": "unsubscribed", "tournament_id": t1 })
    );
    assert_eq!(
        lobby_answer,
        json!({ "type": "unsubscribed", "tournament_id": "*" })
    );
    let meta_key = (format!("CONN#{conn}"), "#META".to_string());
    let items = tables.items().await;
    assert_eq!(
        items.keys().cloned().collect::<Vec<_>>(),
        subscribed_keys(&conn, &[&t2])
    );
    assert_eq!(number(&items[&meta_key], "subscriptions"), 1);
    assert!(state
        .store
        .subscribers(&t1)
        .await
        .expect("query")
        .is_empty());
    assert!(state
        .store
        .subscribers("*")
        .await
        .expect("query")
        .is_empty());
    assert_eq!(
        state.store.subscribers(&t2).await.expect("query"),
        [conn.as_str()]
    );

    // Unsubscribing from what it does not follow is answered the same and changes nothing.
    let again = reply(
        &state,
        &conn,
        json!({ "action": "unsubscribe", "tournament_id": t1 }),
    )
    .await;
    assert_eq!(
        again,
        json!({ "type": "unsubscribed", "tournament_id": t1 })
    );
    let items = tables.items().await;
    assert_eq!(
        items.keys().cloned().collect::<Vec<_>>(),
        subscribed_keys(&conn, &[&t2])
    );
    assert_eq!(
        number(&items[&meta_key], "subscriptions"),
        1,
        "the count only goes down for a subscription that existed"
    );
}

#[tokio::test]
async fn ping_is_answered_with_pong() {
    let tables = Tables::fresh().await;
    let state = tables.notifications().await;
    let conn = connection_id();
    connect(&state, &conn, None).await;

    assert_eq!(
        reply(&state, &conn, json!({ "action": "ping" })).await,
        json!({ "type": "pong" })
    );
}

#[tokio::test]
async fn bad_messages_get_an_error_reply_and_the_connection_stays_usable() {
    let tables = Tables::fresh().await;
    let state = tables.notifications().await;
    let tid = tables.tournament().await;
    let conn = connection_id();
    connect(&state, &conn, None).await;
    subscribe(&state, &conn, &tid).await;
    let before = tables.items().await;

    let too_large = format!(
        r#"{{"action":"subscribe","tournament_id":"{tid}","pad":"{}"}}"#,
        "x".repeat(MAX_MESSAGE_BYTES)
    );
    for (message, code) in [
        ("{not json", "malformed_message"),
        ("", "malformed_message"),
        ("[1,2]", "malformed_message"),
        (r#""subscribe""#, "malformed_message"),
        (r#"{"action":"dance"}"#, "unknown_action"),
        (
            r#"{"action":"SUBSCRIBE","tournament_id":"*"}"#,
            "unknown_action",
        ),
        (r#"{"tournament_id":"*"}"#, "validation_error"),
        (r#"{"action":7}"#, "validation_error"),
        (r#"{"action":"subscribe"}"#, "validation_error"),
        (
            r#"{"action":"subscribe","tournament_id":"TOURNAMENT#x"}"#,
            "validation_error",
        ),
        (too_large.as_str(), "message_too_large"),
    ] {
        let (status, answer) = send(&state, &conn, message).await;
        let shown = &message[..message.len().min(60)];
        assert_eq!(status, 200, "{shown}: {answer}");
        assert_error(&answer, code);
    }
    assert_eq!(
        tables.items().await,
        before,
        "refused messages change nothing"
    );
    assert_eq!(
        reply(&state, &conn, json!({ "action": "ping" })).await,
        json!({ "type": "pong" })
    );
}

#[tokio::test]
async fn a_message_of_exactly_32_kib_is_read_and_one_byte_more_is_refused() {
    let tables = Tables::fresh().await;
    let state = tables.notifications().await;
    let conn = connection_id();
    connect(&state, &conn, None).await;
    let padded = |size: usize| {
        let head = r#"{"action":"ping","pad":""#;
        format!("{head}{}\"}}", "x".repeat(size - head.len() - 2))
    };
    assert_eq!(padded(MAX_MESSAGE_BYTES).len(), 32 * 1024);

    let (status, at_limit) = send(&state, &conn, &padded(MAX_MESSAGE_BYTES)).await;
    assert_eq!((status, at_limit), (200, json!({ "type": "pong" })));

    let (status, over) = send(&state, &conn, &padded(MAX_MESSAGE_BYTES + 1)).await;
    assert_eq!(status, 200);
    assert_error(&over, "message_too_large");
}

#[tokio::test]
async fn the_fifty_first_subscription_is_refused_and_unsubscribing_makes_room() {
    let tables = Tables::fresh().await;
    let state = tables.notifications().await;
    let conn = connection_id();
    connect(&state, &conn, None).await;
    let mut tournaments = Vec::new();
    for _ in 0..=MAX_SUBSCRIPTIONS {
        tournaments.push(tables.tournament().await);
    }
    let (fifty, extra) = tournaments.split_at(MAX_SUBSCRIPTIONS as usize);
    let extra = &extra[0];
    for tid in fifty {
        assert_eq!(
            subscribe(&state, &conn, tid).await,
            json!({ "type": "subscribed", "tournament_id": tid })
        );
    }
    let meta_key = (format!("CONN#{conn}"), "#META".to_string());

    let refused = subscribe(&state, &conn, extra).await;

    assert_error(&refused, "too_many_subscriptions");
    let refs: Vec<&str> = fifty.iter().map(String::as_str).collect();
    let items = tables.items().await;
    assert_eq!(
        items.keys().cloned().collect::<Vec<_>>(),
        subscribed_keys(&conn, &refs)
    );
    assert_eq!(
        number(&items[&meta_key], "subscriptions"),
        MAX_SUBSCRIPTIONS
    );
    assert!(state
        .store
        .subscribers(extra)
        .await
        .expect("query")
        .is_empty());
    assert_error(
        &subscribe(&state, &conn, "*").await,
        "too_many_subscriptions",
    );

    // Renewing a subscription it holds is still fine when full.
    assert_eq!(
        subscribe(&state, &conn, &fifty[7]).await,
        json!({ "type": "subscribed", "tournament_id": fifty[7] })
    );
    // One unsubscribe makes room for exactly one more.
    reply(
        &state,
        &conn,
        json!({ "action": "unsubscribe", "tournament_id": fifty[0] }),
    )
    .await;
    assert_eq!(
        subscribe(&state, &conn, extra).await,
        json!({ "type": "subscribed", "tournament_id": extra })
    );
    assert_eq!(
        state.store.subscribers(extra).await.expect("query"),
        [conn.as_str()]
    );
    assert_error(
        &subscribe(&state, &conn, &fifty[0]).await,
        "too_many_subscriptions",
    );
    assert_eq!(
        number(&tables.items().await[&meta_key], "subscriptions"),
        MAX_SUBSCRIPTIONS
    );

    // A disconnect removes all 101 items (more than one batch of deletes).
    assert_eq!(disconnect(&state, &conn).await.0, 204);
    assert!(tables.keys().await.is_empty());
}

#[tokio::test]
async fn a_message_on_a_connection_that_is_gone_subscribes_nothing() {
    let tables = Tables::fresh().await;
    let state = tables.notifications().await;
    let tid = tables.tournament().await;
    let conn = connection_id();
    connect(&state, &conn, None).await;
    disconnect(&state, &conn).await;

    let answer = subscribe(&state, &conn, &tid).await;

    assert_error(&answer, "gone");
    assert!(tables.keys().await.is_empty(), "no orphan subscription");
    assert!(state
        .store
        .subscribers(&tid)
        .await
        .expect("query")
        .is_empty());
}

// ------------------------------------------------------------------------ $disconnect

#[tokio::test]
async fn disconnecting_removes_the_connection_and_every_subscription() {
    let tables = Tables::fresh().await;
    let state = tables.notifications().await;
    let (t1, t2) = (tables.tournament().await, tables.tournament().await);
    let (leaving, staying) = (connection_id(), connection_id());
    let (_, token) = tables.user(Role::Member).await;
    connect(&state, &leaving, Some(&token)).await;
    connect(&state, &staying, None).await;
    for tid in [t1.as_str(), t2.as_str(), "*"] {
        subscribe(&state, &leaving, tid).await;
    }
    subscribe(&state, &staying, &t1).await;
    assert_eq!(
        state.store.subscribers(&t1).await.expect("query").len(),
        2,
        "both follow t1 before"
    );

    let (status, body) = disconnect(&state, &leaving).await;

    assert_eq!(status, 204, "{body}");
    assert_eq!(tables.keys().await, subscribed_keys(&staying, &[&t1]));
    assert_eq!(
        state.store.subscribers(&t1).await.expect("query"),
        [staying.as_str()]
    );
    assert!(state
        .store
        .subscribers(&t2)
        .await
        .expect("query")
        .is_empty());
    assert!(state
        .store
        .subscribers("*")
        .await
        .expect("query")
        .is_empty());
    assert_eq!(state.store.connection(&leaving).await.expect("read"), None);

    // API Gateway may deliver `$disconnect` again: nothing left to do, still fine.
    assert_eq!(disconnect(&state, &leaving).await.0, 204);
    assert_eq!(tables.keys().await, subscribed_keys(&staying, &[&t1]));
}
