//! Live updates through the gateway's WebSocket API with a real client (tokio-tungstenite),
//! as a spectator's browser would use them: the protocol of API.md, refusals, and every
//! kind of tournament change arriving within a second of the HTTP response that made it.

use std::time::{Duration, Instant};

use gymit_e2e::{report_first_ready, Session, Stack};
use serde_json::{json, Value};

const WITHIN: Duration = Duration::from_secs(1);

async fn tournament(s: &Stack, owner: &Session, max: u32) -> String {
    let a = s
        .post(
            "/api/tournaments",
            Some(&owner.access_token),
            json!({
                "name": format!("Live {}", uuid::Uuid::now_v7()),
                "start_date": "2027-05-01T09:00:00+02:00",
                "max_participants": max,
                "tournament_type": "single_elimination",
            }),
        )
        .await;
    assert_eq!(a.status, 201, "{a:?}");
    a.body["tournament"]["id"].as_str().unwrap().to_string()
}

/// Adds a participant by name; returns the response time and the participant.
async fn add(s: &Stack, owner: &Session, id: &str, name: &str) -> (Instant, Value) {
    let a = s
        .post(
            &format!("/api/tournaments/{id}/participants"),
            Some(&owner.access_token),
            json!({ "name": name }),
        )
        .await;
    assert_eq!(a.status, 201, "{a:?}");
    (Instant::now(), a.body["participant"].clone())
}

/// Asserts the envelope of API.md and that it arrived within a second of `since`.
fn assert_event(frame: &(Instant, Value), kind: &str, tournament_id: &str, since: Instant) {
    let (at, v) = frame;
    assert_eq!(v["type"], kind, "{v}");
    assert_eq!(v["tournament_id"], tournament_id, "{v}");
    assert!(
        v["event_id"]
            .as_str()
            .is_some_and(|e| uuid::Uuid::parse_str(e).is_ok()),
        "{v}"
    );
    assert!(
        v["occurred_at"]
            .as_str()
            .is_some_and(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok()),
        "{v}"
    );
    assert!(v["data"].is_object(), "{v}");
    let latency = at.saturating_duration_since(since);
    assert!(
        latency < WITHIN,
        "{kind} arrived {latency:?} after the response"
    );
}

#[tokio::test]
async fn a_spectator_subscribes_pings_and_keeps_the_connection_through_bad_messages() {
    let s = Stack::get();
    let mut live = s.connect(None).await.expect("anonymous spectators connect");
    live.subscribe("*").await;
    assert_eq!(live.ask(json!({"action": "ping"})).await["type"], "pong");

    for (frame, code) in [
        ("{not json".to_string(), "malformed_message"),
        ("[1,2,3]".to_string(), "malformed_message"),
        (r#"{"action":"dance"}"#.to_string(), "unknown_action"),
        (r#"{"tournament_id":"*"}"#.to_string(), "validation_error"),
        (
            r#"{"action":"subscribe","tournament_id":"x' OR 1=1"}"#.to_string(),
            "validation_error",
        ),
        (
            format!(r#"{{"action":"ping","pad":"{}"}}"#, "x".repeat(33 * 1024)),
            "message_too_large",
        ),
        (
            json!({"action": "subscribe", "tournament_id": uuid::Uuid::now_v7()}).to_string(),
            "not_found",
        ),
    ] {
        live.send_text(&frame).await;
        let answer = live.reply().await;
        assert_eq!(answer["type"], "error", "{answer}");
        assert_eq!(answer["code"], code, "{answer}");
        assert!(answer["message"].is_string(), "{answer}");
        // The connection stays open and usable.
        assert_eq!(live.ask(json!({"action": "ping"})).await["type"], "pong");
    }
    let a = live
        .ask(json!({"action": "unsubscribe", "tournament_id": "*"}))
        .await;
    assert_eq!(a, json!({"type": "unsubscribed", "tournament_id": "*"}));
    live.close().await;
}

#[tokio::test]
async fn an_invalid_token_is_refused_and_a_valid_one_connects() {
    let s = Stack::get();
    for token in [
        "not-a-token".to_string(),
        format!(
            "{}x",
            s.user_with_role("ws-tamper", "member").await.access_token
        ),
    ] {
        let refused = s.connect(Some(&token)).await.err().expect("refused");
        assert_eq!(refused.status, 401, "{refused:?}");
    }
    let member = s.new_user("ws-member").await;
    let mut live = s
        .connect(Some(&member.access_token))
        .await
        .expect("a valid token connects");
    assert_eq!(live.ask(json!({"action": "ping"})).await["type"], "pong");
    live.close().await;
}

#[tokio::test]
async fn a_join_a_start_and_a_result_arrive_within_a_second() {
    let s = Stack::get();
    let trainer = s.user_with_role("ws-trainer", "trainer").await;
    let id = tournament(&s, &trainer, 4).await;
    let mut live = s.connect(None).await.unwrap();
    live.subscribe(&id).await;
    let mut lobby = s.connect(None).await.unwrap();
    lobby.subscribe("*").await;

    let mut players = Vec::new();
    for name in ["Ana", "Ben", "Cy", "Di"] {
        let (since, participant) = add(&s, &trainer, &id, name).await;
        let frame = live.wait_for("participant.joined", WITHIN * 3).await;
        assert_event(&frame, "participant.joined", &id, since);
        assert_eq!(frame.1["data"]["participant"]["id"], participant["id"]);
        players.push(participant);
    }

    let a = s
        .post(
            &format!("/api/tournaments/{id}/start"),
            Some(&trainer.access_token),
            json!({}),
        )
        .await;
    assert_eq!(a.status, 200, "{a:?}");
    let since = Instant::now();
    let frame = live.wait_for("tournament.started", WITHIN * 3).await;
    assert_event(&frame, "tournament.started", &id, since);
    assert_eq!(frame.1["data"]["tournament"]["status"], "in_progress");
    // The lobby hears about the start, and nothing of the joins.
    let lobby_frame = lobby.wait_for("tournament.started", WITHIN * 3).await;
    assert_eq!(lobby_frame.1["tournament_id"], id);

    let (since, first) = report_first_ready(&s, &trainer, &id).await;
    let frame = live.wait_for("match.completed", WITHIN * 3).await;
    assert_event(&frame, "match.completed", &id, since);
    assert_eq!(frame.1["data"]["match"]["id"], first["id"]);
    assert_eq!(
        frame.1["data"]["match"]["winner_id"],
        first["participant1_id"]
    );
    assert!(frame.1["data"]["updated_matches"].is_array());

    // The lobby got no participant or match event in all that time.
    while let Some((_, v)) = lobby.next(Duration::from_millis(300)).await {
        assert!(
            v["type"].as_str().unwrap().starts_with("tournament."),
            "the lobby got {v}"
        );
    }
    live.close().await;
    lobby.close().await;
}

#[tokio::test]
async fn nothing_arrives_unsubscribed_and_unsubscribe_stops_delivery() {
    let s = Stack::get();
    let trainer = s.user_with_role("ws-quiet", "trainer").await;
    let followed = tournament(&s, &trainer, 8).await;
    let other = tournament(&s, &trainer, 8).await;
    let mut live = s.connect(None).await.unwrap();
    live.subscribe(&followed).await;

    add(&s, &trainer, &other, "Elsewhere").await;
    let (since, _) = add(&s, &trainer, &followed, "Here").await;
    let frame = live.wait_for("participant.joined", WITHIN * 3).await;
    assert_event(&frame, "participant.joined", &followed, since);
    // Give the other tournament's event every chance to (wrongly) arrive.
    while let Some((_, v)) = live.next(Duration::from_millis(700)).await {
        assert_ne!(
            v["tournament_id"], other,
            "an unsubscribed tournament's event: {v}"
        );
    }

    let a = live
        .ask(json!({"action": "unsubscribe", "tournament_id": followed}))
        .await;
    assert_eq!(a["type"], "unsubscribed", "{a}");
    add(&s, &trainer, &followed, "After").await;
    if let Some((_, v)) = live.next(Duration::from_millis(1500)).await {
        panic!("an event after unsubscribing: {v}");
    }
    // Still connected, just quiet.
    assert_eq!(live.ask(json!({"action": "ping"})).await["type"], "pong");
    live.close().await;
}

/// The next event of `kind` about tournament `id` within 3 s (other frames are kept).
async fn event_of(live: &mut gymit_e2e::Live, kind: &str, id: &str) -> Value {
    let (_, v) = live
        .next_where(WITHIN * 3, |v| {
            v["type"] == kind && v["tournament_id"] == id
        })
        .await
        .unwrap_or_else(|| panic!("no {kind} for {id} within {:?}", WITHIN * 3));
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["data", "event_id", "occurred_at", "tournament_id", "type"],
        "{v}"
    );
    v
}

#[tokio::test]
async fn every_event_type_arrives_shaped_as_the_contract_says() {
    let s = Stack::get();
    let trainer = s.user_with_role("ws-shapes", "trainer").await;
    let mut lobby = s.connect(None).await.unwrap();
    lobby.subscribe("*").await;

    let id = tournament(&s, &trainer, 2).await;
    let created = event_of(&mut lobby, "tournament.created", &id).await;
    assert_eq!(created["data"]["tournament"]["id"], id, "{created}");
    assert_eq!(created["data"]["tournament"]["status"], "registration_open");
    let mut live = s.connect(None).await.unwrap();
    live.subscribe(&id).await;

    let a = s
        .send(
            reqwest::Method::PATCH,
            &format!("/api/tournaments/{id}"),
            Some(&trainer.access_token),
            Some(json!({"description": "Finals night", "max_participants": 3})),
            &[],
        )
        .await;
    assert_eq!(a.status, 200, "{a:?}");
    let updated = event_of(&mut live, "tournament.updated", &id).await;
    assert_eq!(updated["data"]["tournament"]["description"], "Finals night");
    assert_eq!(updated["data"]["tournament"]["max_participants"], 3);

    let (_, ana) = add(&s, &trainer, &id, "Ana").await;
    let (_, ben) = add(&s, &trainer, &id, "Ben").await;
    let (_, cy) = add(&s, &trainer, &id, "Cy").await;
    // Three commits, three events: each with its participant, in whatever order they land.
    let mut joined = Vec::new();
    for _ in 0..3 {
        let e = event_of(&mut live, "participant.joined", &id).await;
        joined.push(e["data"]["participant"].clone());
    }
    joined.sort_by_key(|p| p["name"].as_str().unwrap_or_default().to_string());
    assert_eq!(joined, [ana, ben, cy.clone()]);
    let a = s
        .delete(
            &format!(
                "/api/tournaments/{id}/participants/{}",
                cy["id"].as_str().unwrap()
            ),
            Some(&trainer.access_token),
        )
        .await;
    assert!(a.status.is_success(), "{a:?}");
    let left = event_of(&mut live, "participant.left", &id).await;
    assert_eq!(left["data"]["participant"]["id"], cy["id"], "{left}");

    let a = s
        .post(
            &format!("/api/tournaments/{id}/start"),
            Some(&trainer.access_token),
            json!({}),
        )
        .await;
    assert_eq!(a.status, 200, "{a:?}");
    let started = event_of(&mut live, "tournament.started", &id).await;
    assert_eq!(started["data"]["tournament"]["status"], "in_progress");

    let (_, fin) = report_first_ready(&s, &trainer, &id).await;
    let played = event_of(&mut live, "match.completed", &id).await;
    assert_eq!(played["data"]["match"]["id"], fin["id"], "{played}");
    assert_eq!(played["data"]["match"]["status"], "completed", "{played}");
    assert!(played["data"]["updated_matches"].is_array(), "{played}");
    assert!(played.to_string().len() < 32 * 1024);
    let completed = event_of(&mut live, "tournament.completed", &id).await;
    assert_eq!(completed["data"]["tournament"]["status"], "completed");
    assert_eq!(
        completed["data"]["champion_id"], fin["participant1_id"],
        "{completed}"
    );
    // The lobby hears every tournament.* of it too, in whatever order they land.
    let mut heard = std::collections::BTreeSet::new();
    while heard.len() < 3 {
        let (_, v) = lobby.next(WITHIN * 3).await.expect("the lobby's events");
        if v["tournament_id"] == id {
            heard.insert(v["type"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(
        heard,
        [
            "tournament.completed",
            "tournament.started",
            "tournament.updated"
        ]
        .map(String::from)
        .into()
    );

    let other = tournament(&s, &trainer, 4).await;
    let a = s
        .delete(
            &format!("/api/tournaments/{other}"),
            Some(&trainer.access_token),
        )
        .await;
    assert!(a.status.is_success(), "{a:?}");
    let cancelled = event_of(&mut lobby, "tournament.cancelled", &other).await;
    assert_eq!(cancelled["data"]["tournament"]["status"], "cancelled");
    live.close().await;
    lobby.close().await;
}
