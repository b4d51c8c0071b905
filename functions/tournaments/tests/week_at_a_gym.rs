//! The week at a gym (API.md v1.1), against the emulator through the real handlers: the
//! waitlist and its promotions, check-in and the start that replaces no-shows, adding a
//! whole list of players at once.

mod common;

use common::{Env, Route};
use serde_json::{json, Value};

fn items(v: &Value) -> Vec<Value> {
    v["items"].as_array().expect("items").clone()
}

/// (name, position) of each waitlist entry, in order.
async fn line(env: &Env, id: &str) -> Vec<(String, u64)> {
    let (status, answer) = env.call(Route::Waitlist, &[id], None, None).await;
    assert_eq!(status, 200, "{answer}");
    items(&answer)
        .iter()
        .map(|e| {
            (
                e["name"].as_str().expect("a name").to_string(),
                e["position"].as_u64().expect("a position"),
            )
        })
        .collect()
}

/// (name, seed) of each participant, in seed order.
async fn field(env: &Env, id: &str) -> Vec<(String, u64)> {
    env.participants(id)
        .await
        .iter()
        .map(|p| {
            (
                p["name"].as_str().expect("a name").to_string(),
                p["seed"].as_u64().expect("a seed"),
            )
        })
        .collect()
}

fn pairs(v: &[(&str, u64)]) -> Vec<(String, u64)> {
    v.iter().map(|(n, s)| (n.to_string(), *s)).collect()
}

/// A start date `minutes` from now.
fn in_minutes(minutes: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::minutes(minutes))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_field_sends_members_to_the_waitlist_and_a_freed_place_promotes_the_first() {
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    let [ana, ben, cal, dee, eve] = ["Ana", "Ben", "Cal", "Dee", "Eve"].map(|n| n.to_string());
    let mut people = Vec::new();
    for n in [&ana, &ben, &cal, &dee, &eve] {
        people.push(env.member(n).await);
    }
    let t = env
        .create(&owner, json!({ "max_participants": 2, "waitlist_size": 2 }))
        .await;
    let id = t["id"].as_str().unwrap().to_string();
    for p in &people[..2] {
        let (status, answer) = env.call(Route::Join, &[&id], Some(p), None).await;
        assert_eq!(status, 201, "{answer}");
    }
    let (entry, events) = env
        .accepted(
            Route::Join,
            &[&id],
            Some(&people[2]),
            None,
            202,
            &["waitlist.updated"],
        )
        .await;
    assert_eq!(entry["waitlist_entry"]["position"], 1, "{entry}");
    assert_eq!(entry["waitlist_entry"]["name"], "Cal");
    assert_eq!(events[0].data["items"][0]["name"], "Cal");
    let (status, entry) = env.call(Route::Join, &[&id], Some(&people[3]), None).await;
    assert_eq!(
        (status, &entry["waitlist_entry"]["position"]),
        (202, &json!(2))
    );

    // Full field and full line; waiting twice; owners never add to the line.
    env.refused(
        Route::Join,
        &[&id],
        Some(&people[4]),
        None,
        (409, "tournament_full"),
    )
    .await;
    env.refused(
        Route::Join,
        &[&id],
        Some(&people[2]),
        None,
        (409, "already_registered"),
    )
    .await;
    env.refused(
        Route::Join,
        &[&id],
        Some(&people[0]),
        None,
        (409, "already_registered"),
    )
    .await;
    env.refused(
        Route::Join,
        &[&id],
        Some(&owner),
        Some(json!({ "name": "Guest" })),
        (409, "tournament_full"),
    )
    .await;
    assert_eq!(line(&env, &id).await, pairs(&[("Cal", 1), ("Dee", 2)]));

    // Ana leaves: Cal takes her place in the same write, Dee moves up.
    let ana_id = env.participants(&id).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, events) = env
        .accepted(
            Route::RemoveParticipant,
            &[&id, &ana_id],
            Some(&people[0]),
            None,
            204,
            &["participant.left", "participant.joined", "waitlist.updated"],
        )
        .await;
    let joined = events
        .iter()
        .find(|e| e.event_type == "participant.joined")
        .expect("a promotion event");
    assert_eq!(joined.data["from_waitlist"], true);
    assert_eq!(joined.data["participant"]["name"], "Cal");
    let left = events
        .iter()
        .find(|e| e.event_type == "participant.left")
        .expect("a departure event");
    assert_eq!(left.data["reason"], "left");
    assert_eq!(field(&env, &id).await, pairs(&[("Ben", 1), ("Cal", 2)]));
    assert_eq!(line(&env, &id).await, pairs(&[("Dee", 1)]));
    let (_, got) = env.call(Route::Get, &[&id], None, None).await;
    assert_eq!(
        (
            &got["tournament"]["participant_count"],
            &got["tournament"]["waitlist_count"]
        ),
        (&json!(2), &json!(1))
    );

    // Eve waits behind Dee; a raised capacity promotes both in line order.
    let (status, _) = env.call(Route::Join, &[&id], Some(&people[4]), None).await;
    assert_eq!(status, 202);
    let (answer, _) = env
        .accepted(
            Route::Update,
            &[&id],
            Some(&owner),
            Some(json!({ "max_participants": 4 })),
            200,
            &[
                "participant.joined",
                "participant.joined",
                "waitlist.updated",
                "tournament.updated",
            ],
        )
        .await;
    assert_eq!(answer["tournament"]["participant_count"], 4, "{answer}");
    assert_eq!(answer["tournament"]["waitlist_count"], 0);
    assert_eq!(
        field(&env, &id).await,
        pairs(&[("Ben", 1), ("Cal", 2), ("Dee", 3), ("Eve", 4)])
    );
    assert!(line(&env, &id).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn leaving_the_waitlist_moves_those_behind_up_and_only_they_or_managers_may() {
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    let people = env.members("Waiter", 4).await;
    let t = env
        .create(&owner, json!({ "max_participants": 2, "waitlist_size": 4 }))
        .await;
    let id = t["id"].as_str().unwrap().to_string();
    for p in &people {
        let (status, answer) = env.call(Route::Join, &[&id], Some(p), None).await;
        assert!(status == 201 || status == 202, "{answer}");
    }
    assert_eq!(
        line(&env, &id).await,
        pairs(&[("Waiter 2", 1), ("Waiter 3", 2)])
    );
    env.refused(
        Route::LeaveWaitlist,
        &[&id, &people[2].id],
        Some(&people[3]),
        None,
        (403, "forbidden"),
    )
    .await;
    env.refused(
        Route::LeaveWaitlist,
        &[&id, &people[0].id],
        Some(&people[0]),
        None,
        (404, "not_found"),
    )
    .await;
    env.accepted(
        Route::LeaveWaitlist,
        &[&id, &people[2].id],
        Some(&people[2]),
        None,
        204,
        &["waitlist.updated"],
    )
    .await;
    assert_eq!(line(&env, &id).await, pairs(&[("Waiter 3", 1)]));
    // Having left the line, she may join it again, at its end.
    let (status, entry) = env.call(Route::Join, &[&id], Some(&people[2]), None).await;
    assert_eq!(
        (status, &entry["waitlist_entry"]["position"]),
        (202, &json!(2))
    );
    env.accepted(
        Route::LeaveWaitlist,
        &[&id, &people[3].id],
        Some(&owner),
        None,
        204,
        &["waitlist.updated"],
    )
    .await;
    assert_eq!(line(&env, &id).await, pairs(&[("Waiter 2", 1)]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_simultaneous_joins_fill_eight_places_and_eight_waitlist_places_exactly() {
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    let people = env.members("Rush", 40).await;
    let t = env
        .create(&owner, json!({ "max_participants": 8, "waitlist_size": 8 }))
        .await;
    let id = t["id"].as_str().unwrap().to_string();
    let mut rush = tokio::task::JoinSet::new();
    for p in people {
        let (env, id) = (env.clone(), id.clone());
        rush.spawn(async move { env.call(Route::Join, &[&id], Some(&p), None).await });
    }
    let answers: Vec<(u16, Value)> = rush.join_all().await;
    let count = |status: u16, code: Option<&str>| {
        answers
            .iter()
            .filter(|(s, a)| *s == status && a["code"].as_str() == code)
            .count()
    };
    assert_eq!(
        (
            count(201, None),
            count(202, None),
            count(409, Some("tournament_full"))
        ),
        (8, 8, 24),
        "{:?}",
        answers
            .iter()
            .map(|(s, a)| (s, &a["code"]))
            .collect::<Vec<_>>()
    );
    let positions: Vec<u64> = line(&env, &id).await.iter().map(|(_, p)| *p).collect();
    assert_eq!(positions, (1..=8).collect::<Vec<u64>>());
    let seeds: Vec<u64> = field(&env, &id).await.iter().map(|(_, s)| *s).collect();
    assert_eq!(seeds, (1..=8).collect::<Vec<u64>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_check_in_start_replaces_no_shows_from_the_waitlist_in_one_write() {
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    let people = env.members("Player", 6).await;
    let t = env
        .create(
            &owner,
            json!({
                "max_participants": 4, "waitlist_size": 2,
                "check_in_minutes": 60, "start_date": in_minutes(30),
            }),
        )
        .await;
    let id = t["id"].as_str().unwrap().to_string();
    assert!(t["check_in_opens_at"].is_string(), "{t}");
    for p in &people {
        let (status, answer) = env.call(Route::Join, &[&id], Some(p), None).await;
        assert!(status == 201 || status == 202, "{answer}");
    }
    let roster = env.participants(&id).await;
    // Players 0 and 2 check in themselves, the owner checks in player 3; player 1 never
    // does. On the waitlist, player 5 checks in, player 4 does not.
    for p in [&people[0], &people[2], &people[5]] {
        let (status, answer) = env.call(Route::CheckIn, &[&id], Some(p), None).await;
        assert_eq!(status, 200, "{answer}");
    }
    let (answer, _) = env
        .accepted(
            Route::CheckInParticipant,
            &[&id, roster[3]["id"].as_str().unwrap()],
            Some(&owner),
            None,
            200,
            &["participant.checked_in"],
        )
        .await;
    assert!(
        answer["participant"]["checked_in_at"].is_string(),
        "{answer}"
    );
    // Checking in again is 200 and changes nothing.
    let before = env.snapshot().await;
    let (status, again) = env
        .call(Route::CheckIn, &[&id], Some(&people[0]), None)
        .await;
    assert_eq!(status, 200, "{again}");
    assert!(before == env.snapshot().await, "a second check-in wrote");
    // Neither a participant nor waiting: 404.
    let stranger = env.member("Stranger").await;
    env.refused(
        Route::CheckIn,
        &[&id],
        Some(&stranger),
        None,
        (404, "not_found"),
    )
    .await;

    let (answer, events) = env
        .accepted(
            Route::Start,
            &[&id],
            Some(&owner),
            None,
            200,
            &[
                "participant.left",
                "participant.joined",
                "waitlist.updated",
                "tournament.started",
            ],
        )
        .await;
    let names = |v: &Value| -> Vec<String> {
        v.as_array()
            .expect("a list")
            .iter()
            .map(|p| p["name"].as_str().expect("a name").to_string())
            .collect()
    };
    assert_eq!(names(&answer["no_shows"]), ["Player 1"], "{answer}");
    assert_eq!(answer["no_shows"][0]["status"], "no_show");
    assert_eq!(names(&answer["promoted"]), ["Player 5"]);
    assert_eq!(answer["tournament"]["participant_count"], 4);
    let left = events
        .iter()
        .find(|e| e.event_type == "participant.left")
        .expect("the no-show leaves");
    assert_eq!(left.data["reason"], "no_show");
    // Seeds 1..4 without a gap: the others in their order, the promoted one last.
    let listed: Vec<(String, u64, String)> = env
        .participants(&id)
        .await
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["seed"].as_u64().unwrap(),
                p["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let active: Vec<(String, u64)> = listed
        .iter()
        .filter(|(_, _, s)| s == "active")
        .map(|(n, s, _)| (n.clone(), *s))
        .collect();
    assert_eq!(
        active,
        pairs(&[
            ("Player 0", 1),
            ("Player 2", 2),
            ("Player 3", 3),
            ("Player 5", 4)
        ])
    );
    let bracket = &answer["bracket"];
    let in_bracket = |pid: &str| {
        bracket["matches"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["participant1_id"] == pid || m["participant2_id"] == pid)
    };
    assert!(!in_bracket(answer["no_shows"][0]["id"].as_str().unwrap()));
    assert!(in_bracket(answer["promoted"][0]["id"].as_str().unwrap()));
    assert_eq!(line(&env, &id).await, pairs(&[("Player 4", 1)]));
    // Check-in closes with the start.
    env.refused(
        Route::CheckIn,
        &[&id],
        Some(&people[4]),
        None,
        (409, "check_in_not_open"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn check_in_outside_its_window_and_a_start_that_would_leave_one_player_are_refused() {
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    let people = env.members("Early", 3).await;
    let later = env
        .create(
            &owner,
            json!({ "check_in_minutes": 30, "start_date": in_minutes(24 * 60) }),
        )
        .await;
    let later = later["id"].as_str().unwrap().to_string();
    let (status, _) = env
        .call(Route::Join, &[&later], Some(&people[0]), None)
        .await;
    assert_eq!(status, 201);
    env.refused(
        Route::CheckIn,
        &[&later],
        Some(&people[0]),
        None,
        (409, "check_in_not_open"),
    )
    .await;
    let without = env.create(&owner, json!({})).await;
    let without = without["id"].as_str().unwrap().to_string();
    let p = env.add(&owner, &without, "Named").await;
    env.refused(
        Route::CheckInParticipant,
        &[&without, p["id"].as_str().unwrap()],
        Some(&owner),
        None,
        (409, "check_in_not_open"),
    )
    .await;

    let soon = env
        .create(
            &owner,
            json!({ "check_in_minutes": 60, "start_date": in_minutes(10) }),
        )
        .await;
    let soon = soon["id"].as_str().unwrap().to_string();
    for p in &people {
        let (status, _) = env.call(Route::Join, &[&soon], Some(p), None).await;
        assert_eq!(status, 201);
    }
    let (status, _) = env
        .call(Route::CheckIn, &[&soon], Some(&people[0]), None)
        .await;
    assert_eq!(status, 200);
    env.refused(
        Route::Start,
        &[&soon],
        Some(&owner),
        None,
        (409, "not_enough_participants"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_bulk_add_is_all_or_nothing() {
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    let member = env.member("Mia").await;
    let t = env.create(&owner, json!({ "max_participants": 64 })).await;
    let id = t["id"].as_str().unwrap().to_string();
    env.add(&owner, &id, "First").await;

    let list = |n: usize| -> Value {
        json!({ "items": (0..n).map(|i| json!({ "name": format!("Player {i}") })).collect::<Vec<_>>() })
    };
    let refused = env
        .refused(
            Route::Bulk,
            &[&id],
            Some(&owner),
            Some(json!({ "items": [{ "name": "A" }, { "name": "B" }, { "name": "C" }, { "name": " " }] })),
            (422, "validation_failed"),
        )
        .await;
    assert_eq!(refused["errors"][0]["field"], "items[3].name", "{refused}");
    env.refused(
        Route::Bulk,
        &[&id],
        Some(&owner),
        Some(list(64)),
        (409, "tournament_full"),
    )
    .await;
    env.refused(
        Route::Bulk,
        &[&id],
        Some(&member),
        Some(list(2)),
        (403, "forbidden"),
    )
    .await;
    env.refused(
        Route::Bulk,
        &[&id],
        Some(&owner),
        Some(json!({ "items": [] })),
        (422, "validation_failed"),
    )
    .await;

    // 60 names and a member: one write (the names are out of sight until it commits).
    let mut body = list(60);
    body["items"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "name": "Mia M.", "user_id": member.id }));
    let (answer, _) = env
        .accepted(
            Route::Bulk,
            &[&id],
            Some(&owner),
            Some(body),
            201,
            &["tournament.updated"],
        )
        .await;
    let added = items(&answer);
    assert_eq!(added.len(), 61);
    assert_eq!(added[0]["seed"], 2);
    assert_eq!(added[60]["seed"], 62);
    assert_eq!(added[60]["user_id"], member.id.as_str());
    let listed = field(&env, &id).await;
    assert_eq!(listed.len(), 62);
    assert_eq!(listed[1], ("Player 0".to_string(), 2));
    // Mia is registered now: her own join is 409, and so is a second bulk naming her.
    env.refused(
        Route::Join,
        &[&id],
        Some(&member),
        None,
        (409, "already_registered"),
    )
    .await;
    env.refused(
        Route::Bulk,
        &[&id],
        Some(&owner),
        Some(json!({ "items": [{ "name": "Again", "user_id": member.id }] })),
        (409, "already_registered"),
    )
    .await;
}
