//! A tournament's life outside the bracket — create, list, get, edit, cancel — through the
//! real handlers against the emulator, each test on fresh tables. Every accepted change is
//! stored and announced by its outbox event in the same table; every refused one leaves the
//! table exactly as it was.

mod common;

use common::{tournament_body, Env, Person, Route};
use gymit_shared::identity::Role;
use serde_json::{json, Value};

fn fields(problem: &Value) -> Vec<String> {
    let mut f: Vec<String> = problem["errors"]
        .as_array()
        .expect("a validation problem lists its fields")
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect();
    f.sort();
    f
}

async fn stored_json(env: &Env, id: &str) -> Value {
    json!(env.stored(id).await.meta.tournament)
}

#[tokio::test]
async fn a_trainer_creates_a_tournament_that_is_stored_and_announced() {
    let env = Env::new().await;
    let trainer = env.trainer("Tina").await;
    let body = json!({
        "name": "  Spring Cup  ",
        "description": "Open to every member",
        "start_date": "2026-11-24T11:00:00+01:00",
        "max_participants": 16,
        "tournament_type": "double_elimination",
        "colour": "ignored",
    });
    let (answer, events) = env
        .accepted(
            Route::Create,
            &[],
            Some(&trainer),
            Some(body),
            201,
            &["tournament.created"],
        )
        .await;
    let t = &answer["tournament"];
    assert_eq!(t["name"], "Spring Cup", "names are trimmed");
    assert_eq!(t["description"], "Open to every member");
    assert_eq!(t["start_date"], "2026-11-24T10:00:00Z", "returned in UTC");
    assert_eq!(t["status"], "registration_open");
    assert_eq!(t["participant_count"], 0);
    assert_eq!(t["max_participants"], 16);
    assert_eq!(t["tournament_type"], "double_elimination");
    assert_eq!(t["grand_final"], "double", "the default grand final");
    assert_eq!(t["third_place_match"], false);
    assert_eq!(t["created_by"], trainer.id.as_str());
    assert!(t.get("colour").is_none());
    let id = t["id"].as_str().unwrap();
    assert_eq!(
        stored_json(&env, id).await,
        *t,
        "the answer is what is stored"
    );
    assert_eq!(events[0].data, json!({ "tournament": t }));

    // An admin creates too; a single elimination may have a third-place match.
    let admin = env.admin("Ada").await;
    let (answer, _) = env
        .accepted(
            Route::Create,
            &[],
            Some(&admin),
            Some(tournament_body(json!({ "third_place_match": true }))),
            201,
            &["tournament.created"],
        )
        .await;
    assert_eq!(answer["tournament"]["third_place_match"], true);
    assert_eq!(answer["tournament"]["grand_final"], Value::Null);
    assert_eq!(answer["tournament"]["created_by"], admin.id.as_str());
    assert_eq!(env.events().await.len(), 2);
}

#[tokio::test]
async fn creating_is_refused_to_members_the_unapproved_and_anonymous_callers_and_bad_input() {
    let env = Env::new().await;
    let member = env.member("Mo").await;
    let unapproved = Person::new("Uma", Role::Trainer).unapproved();
    env.put_profile(&unapproved, true, false).await;
    let trainer = env.trainer("Tina").await;
    let good = tournament_body(json!({}));

    env.refused(
        Route::Create,
        &[],
        Some(&member),
        Some(good.clone()),
        (403, "forbidden"),
    )
    .await;
    env.refused(
        Route::Create,
        &[],
        Some(&unapproved),
        Some(good.clone()),
        (403, "not_approved"),
    )
    .await;
    env.refused(
        Route::Create,
        &[],
        None,
        Some(good.clone()),
        (401, "unauthenticated"),
    )
    .await;

    let all_wrong = env
        .refused(
            Route::Create,
            &[],
            Some(&trainer),
            Some(json!({
                "name": "   ",
                "start_date": "next tuesday",
                "max_participants": 1,
                "tournament_type": "ladder",
            })),
            (422, "validation_failed"),
        )
        .await;
    assert_eq!(
        fields(&all_wrong),
        ["max_participants", "name", "start_date", "tournament_type"],
        "every problem at once: {all_wrong}"
    );
    let missing = env
        .refused(
            Route::Create,
            &[],
            Some(&trainer),
            Some(json!({ "description": "no name" })),
            (422, "validation_failed"),
        )
        .await;
    assert_eq!(
        fields(&missing),
        ["max_participants", "name", "start_date", "tournament_type"]
    );
    for (overrides, field) in [
        (json!({ "max_participants": 257 }), "max_participants"),
        (
            json!({ "tournament_type": "double_elimination", "third_place_match": true }),
            "third_place_match",
        ),
        (json!({ "grand_final": "single" }), "grand_final"),
        (
            json!({ "tournament_type": "double_elimination", "grand_final": "triple" }),
            "grand_final",
        ),
        (json!({ "name": "x".repeat(121) }), "name"),
        (json!({ "max_participants": "eight" }), "max_participants"),
    ] {
        let problem = env
            .refused(
                Route::Create,
                &[],
                Some(&trainer),
                Some(tournament_body(overrides)),
                (422, "validation_failed"),
            )
            .await;
        assert_eq!(fields(&problem), [field], "{problem}");
    }
    env.refused(
        Route::Create,
        &[],
        Some(&trainer),
        Some(json!(["not", "an", "object"])),
        (400, "bad_request"),
    )
    .await;
    assert!(env.snapshot().await.is_empty(), "nothing was ever written");
}

#[tokio::test]
async fn anyone_reads_a_tournament_and_an_unknown_id_is_not_found() {
    let env = Env::new().await;
    let trainer = env.trainer("Tina").await;
    let t = env.create(&trainer, json!({})).await;
    let id = t["id"].as_str().unwrap();
    let (status, answer) = env.call(Route::Get, &[id], None, None).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["tournament"], t);
    env.refused(
        Route::Get,
        &["no-such-tournament"],
        None,
        None,
        (404, "not_found"),
    )
    .await;
}

#[tokio::test]
async fn the_list_is_newest_first_filtered_by_status_and_paginated() {
    let env = Env::new().await;
    let trainer = env.trainer("Tina").await;
    let first = env
        .create(&trainer, json!({ "start_date": "2026-12-01T10:00:00Z" }))
        .await;
    let last = env
        .create(&trainer, json!({ "start_date": "2026-12-03T10:00:00Z" }))
        .await;
    let middle = env
        .create(&trainer, json!({ "start_date": "2026-12-02T10:00:00Z" }))
        .await;
    let middle_id = middle["id"].as_str().unwrap();
    let (status, _) = env
        .call(Route::Cancel, &[middle_id], Some(&trainer), None)
        .await;
    assert_eq!(status, 200);
    let ids = |answer: &Value| common::ids_of(&answer["items"]);
    let id = |t: &Value| t["id"].as_str().unwrap().to_string();

    let (status, all) = env.call(Route::List, &[], None, None).await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(ids(&all), [id(&last), id(&middle), id(&first)]);
    assert_eq!(all["next_cursor"], Value::Null);
    assert_eq!(all["items"][1]["status"], "cancelled");

    let (_, page1) = env
        .call_with_query(Route::List, &[], None, None, &[("limit", "2")])
        .await;
    assert_eq!(ids(&page1), [id(&last), id(&middle)]);
    let cursor = page1["next_cursor"]
        .as_str()
        .expect("more to come")
        .to_string();
    let (status, page2) = env
        .call_with_query(
            Route::List,
            &[],
            None,
            None,
            &[("limit", "2"), ("cursor", &cursor)],
        )
        .await;
    assert_eq!(status, 200, "{page2}");
    assert_eq!(ids(&page2), [id(&first)]);
    assert_eq!(page2["next_cursor"], Value::Null);

    let (_, open) = env
        .call_with_query(
            Route::List,
            &[],
            None,
            None,
            &[("status", "registration_open")],
        )
        .await;
    assert_eq!(ids(&open), [id(&last), id(&first)]);
    let (_, cancelled) = env
        .call_with_query(Route::List, &[], None, None, &[("status", "cancelled")])
        .await;
    assert_eq!(ids(&cancelled), [id(&middle)]);
    let (_, running) = env
        .call_with_query(Route::List, &[], None, None, &[("status", "in_progress")])
        .await;
    assert_eq!(ids(&running), Vec::<String>::new());

    // A played tournament: its matches (which have a `status` of their own) are not listed.
    let (played, ps) = env
        .with_participants(
            &trainer,
            json!({ "start_date": "2026-11-30T10:00:00Z" }),
            &["A", "B", "C"],
        )
        .await;
    env.start(&trainer, &played).await;
    env.report(
        &trainer,
        &played,
        "W1-2",
        ps[1]["id"].as_str().unwrap(),
        "1-0",
    )
    .await;
    let (_, running) = env
        .call_with_query(Route::List, &[], None, None, &[("status", "in_progress")])
        .await;
    assert_eq!(ids(&running), [played.as_str()]);
    env.report(
        &trainer,
        &played,
        "W2-1",
        ps[0]["id"].as_str().unwrap(),
        "1-0",
    )
    .await;
    let (_, completed) = env
        .call_with_query(Route::List, &[], None, None, &[("status", "completed")])
        .await;
    assert_eq!(ids(&completed), [played.as_str()], "{completed}");
    assert_eq!(completed["items"][0]["status"], "completed");
    let (_, all) = env.call(Route::List, &[], None, None).await;
    assert_eq!(
        ids(&all),
        [id(&last), id(&middle), id(&first), played.clone()]
    );

    for (query, expected) in [
        (vec![("limit", "0")], (422, "validation_failed")),
        (vec![("limit", "101")], (422, "validation_failed")),
        (vec![("limit", "ten")], (422, "validation_failed")),
        (vec![("status", "open")], (422, "validation_failed")),
        (vec![("cursor", "garbage")], (400, "bad_request")),
        (
            // A cursor of the unfiltered listing does not page another one.
            vec![("status", "registration_open"), ("cursor", cursor.as_str())],
            (400, "bad_request"),
        ),
    ] {
        env.refused_with_query(Route::List, &[], None, None, &query, expected)
            .await;
    }
    // A tampered cursor: the signature no longer matches.
    let (payload, tag) = cursor.split_once('.').unwrap();
    let mut forged = payload.to_string();
    forged.insert(0, if payload.starts_with('W') { 'X' } else { 'W' });
    let forged = format!("{forged}.{tag}");
    env.refused_with_query(
        Route::List,
        &[],
        None,
        None,
        &[("cursor", forged.as_str())],
        (400, "bad_request"),
    )
    .await;
}

#[tokio::test]
async fn the_owner_or_an_admin_edits_an_open_tournament() {
    let env = Env::new().await;
    let trainer = env.trainer("Tina").await;
    let admin = env.admin("Ada").await;
    let t = env.create(&trainer, json!({})).await;
    let id = t["id"].as_str().unwrap();

    let (answer, events) = env
        .accepted(
            Route::Update,
            &[id],
            Some(&trainer),
            Some(json!({ "name": "Winter Open", "max_participants": 32, "start_date": "2026-12-05T09:30:00-02:00" })),
            200,
            &["tournament.updated"],
        )
        .await;
    let updated = &answer["tournament"];
    assert_eq!(updated["name"], "Winter Open");
    assert_eq!(updated["max_participants"], 32);
    assert_eq!(updated["start_date"], "2026-12-05T11:30:00Z");
    assert_eq!(updated["version"], 2);
    assert_eq!(
        updated["description"], t["description"],
        "untouched fields stay"
    );
    assert_eq!(updated["created_at"], t["created_at"]);
    assert_eq!(stored_json(&env, id).await, *updated);
    assert_eq!(events[0].data, json!({ "tournament": updated }));

    // Changing the type to double elimination brings its default grand final.
    let (answer, _) = env
        .accepted(
            Route::Update,
            &[id],
            Some(&admin),
            Some(json!({ "tournament_type": "double_elimination" })),
            200,
            &["tournament.updated"],
        )
        .await;
    assert_eq!(answer["tournament"]["grand_final"], "double");
    assert_eq!(answer["tournament"]["version"], 3);
    assert_eq!(stored_json(&env, id).await, answer["tournament"]);
}

#[tokio::test]
async fn edits_are_refused_to_others_for_bad_input_and_once_started() {
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    let other = env.trainer("Theo").await;
    let member = env.member("Mo").await;
    let (id, _) = env
        .with_participants(&owner, json!({}), &["A", "B", "C"])
        .await;
    let id = id.as_str();
    let rename = json!({ "name": "Mine now" });

    env.refused(
        Route::Update,
        &[id],
        Some(&other),
        Some(rename.clone()),
        (403, "forbidden"),
    )
    .await;
    env.refused(
        Route::Update,
        &[id],
        Some(&member),
        Some(rename.clone()),
        (403, "forbidden"),
    )
    .await;
    env.refused(
        Route::Update,
        &[id],
        None,
        Some(rename.clone()),
        (401, "unauthenticated"),
    )
    .await;
    env.refused(
        Route::Update,
        &["no-such-tournament"],
        Some(&owner),
        Some(rename.clone()),
        (404, "not_found"),
    )
    .await;
    env.refused(
        Route::Update,
        &[id],
        Some(&owner),
        Some(json!({})),
        (400, "bad_request"),
    )
    .await;
    env.refused(
        Route::Update,
        &[id],
        Some(&owner),
        Some(json!({ "max_participants": 300 })),
        (422, "validation_failed"),
    )
    .await;
    env.refused(
        Route::Update,
        &[id],
        Some(&owner),
        Some(json!({ "start_date": "soon" })),
        (422, "validation_failed"),
    )
    .await;
    env.refused(
        Route::Update,
        &[id],
        Some(&owner),
        Some(json!({ "max_participants": 2 })),
        (409, "capacity_below_participants"),
    )
    .await;
    // Exactly the current count is fine.
    env.accepted(
        Route::Update,
        &[id],
        Some(&owner),
        Some(json!({ "max_participants": 3 })),
        200,
        &["tournament.updated"],
    )
    .await;

    env.start(&owner, id).await;
    env.refused(
        Route::Update,
        &[id],
        Some(&owner),
        Some(rename.clone()),
        (409, "invalid_state"),
    )
    .await;
    assert_eq!(env.stored(id).await.tournament().name, "Winter Cup");
}

#[tokio::test]
async fn the_owner_cancels_an_open_tournament_and_an_admin_a_running_one() {
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    let admin = env.admin("Ada").await;
    let t = env.create(&owner, json!({})).await;
    let id = t["id"].as_str().unwrap();

    let (answer, events) = env
        .accepted(
            Route::Cancel,
            &[id],
            Some(&owner),
            None,
            200,
            &["tournament.cancelled"],
        )
        .await;
    assert_eq!(answer["tournament"]["status"], "cancelled");
    assert_eq!(answer["tournament"]["version"], 2);
    assert_eq!(stored_json(&env, id).await, answer["tournament"]);
    assert_eq!(
        events[0].data,
        json!({ "tournament": answer["tournament"] })
    );
    env.refused(
        Route::Cancel,
        &[id],
        Some(&owner),
        None,
        (409, "invalid_state"),
    )
    .await;

    let (running, _) = env
        .with_participants(&owner, json!({}), &["A", "B", "C"])
        .await;
    env.start(&owner, &running).await;
    let (answer, _) = env
        .accepted(
            Route::Cancel,
            &[&running],
            Some(&admin),
            None,
            200,
            &["tournament.cancelled"],
        )
        .await;
    assert_eq!(answer["tournament"]["status"], "cancelled");
    assert_eq!(
        env.stored(&running).await.tournament().status,
        gymit_tournaments::domain::Status::Cancelled
    );
}

#[tokio::test]
async fn cancelling_is_refused_to_others_unknown_ids_and_completed_tournaments() {
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    let other = env.trainer("Theo").await;
    let member = env.member("Mo").await;
    let (id, ps) = env.with_participants(&owner, json!({}), &["A", "B"]).await;
    let id = id.as_str();

    env.refused(Route::Cancel, &[id], Some(&other), None, (403, "forbidden"))
        .await;
    env.refused(
        Route::Cancel,
        &[id],
        Some(&member),
        None,
        (403, "forbidden"),
    )
    .await;
    env.refused(Route::Cancel, &[id], None, None, (401, "unauthenticated"))
        .await;
    env.refused(
        Route::Cancel,
        &["no-such-tournament"],
        Some(&owner),
        None,
        (404, "not_found"),
    )
    .await;

    // Two players: the one match decides it.
    env.start(&owner, id).await;
    let winner = ps[0]["id"].as_str().unwrap();
    let answer = env.report(&owner, id, "W1-1", winner, "2-0").await;
    assert_eq!(answer["tournament"]["status"], "completed");
    env.refused(
        Route::Cancel,
        &[id],
        Some(&owner),
        None,
        (409, "invalid_state"),
    )
    .await;
    let admin = env.admin("Ada").await;
    env.refused(
        Route::Cancel,
        &[id],
        Some(&admin),
        None,
        (409, "invalid_state"),
    )
    .await;
}
