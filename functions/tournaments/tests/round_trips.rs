//! DynamoDB round trips per route (DESIGN.md "Data": one or two a route), counted by an SDK
//! interceptor on the functions' own client (`Env::trips`) while each route answers on its
//! success path; the README's round-trip table is this test's output (`cargo test -p
//! gymit-tournaments --test round_trips -- --nocapture`). And the sizes that Lambda limits:
//! the largest tournament of every format answers its start and bracket under 1 MB and
//! writes every event under 32 KiB (one WebSocket frame); a round robin is capped at 64.

mod common;

use common::{Env, Route};
use gymit_local::testing::Budget;
use gymit_tournaments::domain::{append_position, Participant};
use serde_json::{json, Value};

/// Start writes its matches in batches of 25 (the one exception to two).
const START: &str = "start (3 players; +1 BatchWriteItem per 25 matches)";
/// A member's own join to a full field reads the line before it writes (API.md v1.1).
const WAITLIST_JOIN: &str = "join (to the waitlist)";
/// A bulk add writes its players before the commit that makes them real (docs/week-at-a-gym.md).
const BULK: &str = "bulk add (3 names, 1 user; +1 BatchWriteItem per 25 players)";

/// The function that serves each route (template.yaml), whose policy must allow its requests.
const FUNCTIONS: [(&str, &str); 20] = [
    ("create", "TournamentsCreateFunction"),
    ("get", "TournamentsGetFunction"),
    ("list", "TournamentsListFunction"),
    ("update", "TournamentsUpdateFunction"),
    ("join", "TournamentsJoinFunction"),
    ("participants", "TournamentsParticipantsListFunction"),
    ("remove participant", "TournamentsParticipantRemoveFunction"),
    ("start", "TournamentsStartFunction"),
    ("bracket", "TournamentsBracketFunction"),
    ("report a result", "TournamentsResultReportFunction"),
    ("correct a result", "TournamentsResultCorrectFunction"),
    ("standings", "TournamentsStandingsFunction"),
    ("disqualify", "TournamentsDisqualifyFunction"),
    ("drop", "TournamentsDropFunction"),
    ("waitlist", "TournamentsWaitlistListFunction"),
    ("leave the waitlist", "TournamentsWaitlistLeaveFunction"),
    ("check-in (self)", "TournamentsCheckInFunction"),
    ("check-in (owner", "TournamentsParticipantCheckInFunction"),
    ("bulk add", "TournamentsParticipantsBulkFunction"),
    ("cancel", "TournamentsCancelFunction"),
];

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_string()
}

// Each of the two tests below is one large future (every route in turn): run on large
// stacks (`common::on_large_stacks`).
#[test]
fn every_route_takes_at_most_two_round_trips() {
    common::on_large_stacks(every_route())
}

async fn every_route() {
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    let member = env.member("Mia").await;
    let other = env.member("Otto").await;
    let mut table = Budget::new(&[START]).checking_iam(&env.trips, &FUNCTIONS);

    let ((status, answer), ops) = env
        .counted(
            Route::Create,
            &[],
            Some(&owner),
            Some(common::tournament_body(json!({ "max_participants": 8 }))),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    table.expect("create", &ops, &["TransactWriteItems"]);
    let id = id_of(&answer["tournament"]);
    let ids = [id.as_str()];

    let ((status, _), ops) = env.counted(Route::Get, &ids, None, None).await;
    assert_eq!(status, 200);
    table.expect("get", &ops, &["GetItem"]);

    let ((status, _), ops) = env.counted(Route::List, &[], None, None).await;
    assert_eq!(status, 200);
    table.expect("list", &ops, &["Query"]);

    let ((status, answer), ops) = env
        .counted(
            Route::Update,
            &ids,
            Some(&owner),
            Some(json!({ "name": "Spring Cup" })),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    table.expect(
        "update (META and the waitlist)",
        &ops,
        &["Query", "TransactWriteItems"],
    );

    // A self-join reads the tournament and the member's profile in one request.
    let ((status, answer), ops) = env.counted(Route::Join, &ids, Some(&member), None).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["participant"]["seed"], 1);
    assert_eq!(answer["participant"]["name"], "Mia");
    table.expect(
        "join (self)",
        &ops,
        &["TransactGetItems", "TransactWriteItems"],
    );

    // An add by the owner: the user's profile is a condition of the transaction.
    let ((status, answer), ops) = env
        .counted(
            Route::Join,
            &ids,
            Some(&owner),
            Some(json!({ "name": "Otto O.", "user_id": other.id })),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["participant"]["seed"], 2);
    table.expect(
        "join (add a user)",
        &ops,
        &["GetItem", "TransactWriteItems"],
    );

    // An insertion at a taken seed reads the roster (not the matches) to place itself.
    let ((status, answer), ops) = env
        .counted(
            Route::Join,
            &ids,
            Some(&owner),
            Some(json!({ "name": "Guest", "seed": 1 })),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["participant"]["seed"], 1);
    table.expect(
        "join (add at a seed)",
        &ops,
        &["Query", "TransactWriteItems"],
    );
    let guest = id_of(&answer["participant"]);

    let ((status, answer), ops) = env.counted(Route::Participants, &ids, None, None).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = answer["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Guest", "Mia", "Otto O."], "in seed order");
    table.expect("participants", &ops, &["Query"]);

    let ((status, answer), ops) = env
        .counted(Route::RemoveParticipant, &[&id, &guest], Some(&owner), None)
        .await;
    assert!(status < 300, "{answer}");
    table.expect("remove participant", &ops, &["Query", "TransactWriteItems"]);
    env.add(&owner, &id, "Pia").await;

    // 3 players: 2 matches in one batch.
    let ((status, answer), ops) = env.counted(Route::Start, &ids, Some(&owner), None).await;
    assert_eq!(status, 200, "{answer}");
    table.expect(
        START,
        &ops,
        &["Query", "BatchWriteItem", "TransactWriteItems"],
    );
    let playable = answer["bracket"]["matches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["status"] == "ready")
        .cloned()
        .expect("a match with two players");
    let match_id = id_of(&playable);
    let winner = playable["participant1_id"].as_str().unwrap().to_string();
    let loser = playable["participant2_id"].as_str().unwrap().to_string();

    let ((status, _), ops) = env.counted(Route::Bracket, &ids, None, None).await;
    assert_eq!(status, 200);
    table.expect("bracket", &ops, &["GetItem", "Query"]);
    // Unchanged since: the instance's copy, after one look at META's version (reads.rs).
    let ((status, _), ops) = env.counted(Route::Bracket, &ids, None, None).await;
    assert_eq!(status, 200);
    table.expect("bracket, unchanged since", &ops, &["GetItem"]);

    let ((status, answer), ops) = env
        .counted(
            Route::Report,
            &[&id, &match_id],
            Some(&owner),
            Some(json!({ "winner_id": winner, "score": "2-1" })),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    table.expect("report a result", &ops, &["Query", "TransactWriteItems"]);

    let ((status, answer), ops) = env
        .counted(
            Route::Correct,
            &[&id, &match_id],
            Some(&owner),
            Some(json!({ "winner_id": loser, "score": "1-2" })),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    table.expect("correct a result", &ops, &["Query", "TransactWriteItems"]);

    let ((status, _), ops) = env.counted(Route::Standings, &ids, None, None).await;
    assert_eq!(status, 200);
    table.expect("standings", &ops, &["GetItem", "Query"]);

    let ((status, answer), ops) = env
        .counted(Route::Disqualify, &[&id, &winner], Some(&owner), None)
        .await;
    assert_eq!(status, 200, "{answer}");
    table.expect("disqualify", &ops, &["Query", "TransactWriteItems"]);

    // Dropping out, in a tournament of its own (this one would complete).
    let (other_id, _) = env
        .with_participants(&owner, json!({}), &["A", "B", "C", "D"])
        .await;
    let started = env.start(&owner, &other_id).await;
    let leaving = started["matches"][0]["participant1_id"]
        .as_str()
        .expect("a first-round player")
        .to_string();
    let ((status, answer), ops) = env
        .counted(Route::Drop, &[&other_id, &leaving], Some(&owner), None)
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["participant"]["status"], "dropped");
    table.expect("drop", &ops, &["Query", "TransactWriteItems"]);

    let ((status, answer), ops) = env.counted(Route::Cancel, &ids, Some(&owner), None).await;
    assert_eq!(status, 200, "{answer}");
    table.expect(
        "cancel (META only)",
        &ops,
        &["GetItem", "TransactWriteItems"],
    );
    assert_eq!(
        table.len(),
        18,
        "every route of v1, joins three ways, a bracket read twice"
    );
}

/// The routes of API.md v1.1 "Formats and flows gyms run every week" (README's table too).
#[test]
fn the_week_at_a_gym_routes_take_their_round_trips() {
    common::on_large_stacks(week_at_a_gym_routes())
}

async fn week_at_a_gym_routes() {
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    let member = env.member("Mia").await;
    let other = env.member("Otto").await;
    let mut table = Budget::new(&[WAITLIST_JOIN, BULK]).checking_iam(&env.trips, &FUNCTIONS);
    // A two-place tournament with a waitlist and check-in open now.
    let soon = (chrono::Utc::now() + chrono::Duration::minutes(30)).to_rfc3339();
    let week = env
        .create(
            &owner,
            json!({
                "max_participants": 2, "waitlist_size": 2,
                "check_in_minutes": 60, "start_date": soon,
            }),
        )
        .await;
    let week = id_of(&week);
    let wk = [week.as_str()];
    let named = env.add(&owner, &week, "Named").await;
    let (status, _) = env.call(Route::Join, &wk, Some(&member), None).await;
    assert_eq!(status, 201);
    let ((status, answer), ops) = env.counted(Route::Join, &wk, Some(&other), None).await;
    assert_eq!(status, 202, "{answer}");
    table.expect(
        WAITLIST_JOIN,
        &ops,
        &["TransactGetItems", "Query", "TransactWriteItems"],
    );
    let ((status, _), ops) = env.counted(Route::Waitlist, &wk, None, None).await;
    assert_eq!(status, 200);
    table.expect("waitlist", &ops, &["Query"]);
    let ((status, answer), ops) = env.counted(Route::CheckIn, &wk, Some(&member), None).await;
    assert_eq!(status, 200, "{answer}");
    table.expect("check-in (self)", &ops, &["Query", "TransactWriteItems"]);
    let ((status, answer), ops) = env
        .counted(
            Route::CheckInParticipant,
            &[&week, &id_of(&named)],
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    table.expect(
        "check-in (owner, a named participant)",
        &ops,
        &["Query", "TransactWriteItems"],
    );
    let ((status, answer), ops) = env
        .counted(
            Route::LeaveWaitlist,
            &[&week, &other.id],
            Some(&other),
            None,
        )
        .await;
    assert_eq!(status, 204, "{answer}");
    table.expect("leave the waitlist", &ops, &["Query", "TransactWriteItems"]);
    let bulk = env.create(&owner, json!({})).await;
    let bulk = id_of(&bulk);
    let ((status, answer), ops) = env
        .counted(
            Route::Bulk,
            &[&bulk],
            Some(&owner),
            Some(json!({ "items": [
                { "name": "A" }, { "name": "B" }, { "name": "C" },
                { "name": "Otto O.", "user_id": other.id },
            ] })),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    table.expect(
        BULK,
        &ops,
        &[
            "GetItem",
            "TransactGetItems",
            "Query",
            "BatchWriteItem",
            "TransactWriteItems",
        ],
    );

    assert_eq!(table.len(), 6, "every route of v1.1 built here");
}

#[tokio::test]
async fn a_start_that_loses_its_commit_leaves_no_matches_behind() {
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    let (id, _) = env
        .with_participants(&owner, json!({}), &["A", "B", "C", "D"])
        .await;
    // A start whose commit finds the tournament changed since its read: as when a join
    // lands between a start's read and its commit.
    let loaded = env.stored(&id).await;
    let order: Vec<String> = loaded.participants().map(|p| p.id.clone()).collect();
    let bracket = gymit_tournaments::bracket::generate(loaded.tournament().format(), &order);
    env.add(&owner, &id, "E").await;
    let mut meta = gymit_tournaments::handlers::next_meta(&loaded);
    meta.bracket_gen = Some("abandoned".into());
    env.state
        .store
        .put_matches(&id, "abandoned", &bracket)
        .await
        .expect("matches written");
    let lost = env
        .state
        .store
        .commit(&meta, Some(loaded.meta.tournament.version), &[], &[])
        .await;
    assert!(lost.is_err(), "the commit is stale");
    env.state
        .store
        .delete_matches(&id, "abandoned", &bracket)
        .await
        .expect("deleted");
    // And through the handler: the start that wins leaves exactly its own matches.
    let started = env.start(&owner, &id).await;
    let stored_matches: Vec<String> = env
        .snapshot()
        .await
        .into_keys()
        .filter(|(pk, sk)| pk == &format!("TOURNAMENT#{id}") && sk.starts_with("MATCH#"))
        .map(|(_, sk)| sk)
        .collect();
    assert_eq!(
        stored_matches.len(),
        started["matches"].as_array().unwrap().len(),
        "only the bracket's own matches are stored: {stored_matches:?}"
    );
}

/// Writes `n` participants straight into open tournament `id` (joining them one by one
/// through the handler would time the emulator, not the service; see start_large.rs).
async fn roster_of(env: &Env, id: &str, n: u32) {
    let loaded = env.stored(id).await;
    let roster: Vec<(Participant, String)> = (0..n)
        .map(|i| {
            let p = Participant {
                id: uuid::Uuid::now_v7().to_string(),
                tournament_id: id.to_string(),
                user_id: None,
                // The longest name there may be, so the sizes below are the worst case.
                name: format!("{i:03}{}", "W".repeat(97)),
                seed: 0,
                joined_at: gymit_shared::time::now_rfc3339(),
                disqualified: false,
                status: Default::default(),
                checked_in_at: None,
            };
            (p, append_position())
        })
        .collect();
    env.state
        .store
        .put_participants(&roster)
        .await
        .expect("participants written");
    let mut meta = loaded.meta.clone();
    meta.tournament.participant_count += n;
    meta.tournament.version += 1;
    env.state
        .store
        .commit(&meta, Some(loaded.meta.tournament.version), &[], &[])
        .await
        .expect("the count is written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_largest_tournament_of_every_format_answers_under_1_mb() {
    const MB: usize = 1 << 20;
    const FRAME: usize = 32 << 10;
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    for (kind, n) in [
        ("single_elimination", 256),
        ("double_elimination", 256),
        ("round_robin", 64),
    ] {
        let t = env
            .create(
                &owner,
                json!({ "max_participants": n, "tournament_type": kind, "name": "N".repeat(120) }),
            )
            .await;
        let id = id_of(&t);
        roster_of(&env, &id, n).await;
        let (status, started) = env.call(Route::Start, &[&id], Some(&owner), None).await;
        assert_eq!(status, 200, "{kind}: {started}");
        let (status, bracket) = env.call(Route::Bracket, &[&id], None, None).await;
        assert_eq!(status, 200, "{kind}: {bracket}");
        let (start_len, bracket_len) = (started.to_string().len(), bracket.to_string().len());
        eprintln!(
            "{kind} of {n}: {} matches, start {start_len} B, bracket {bracket_len} B",
            bracket["bracket"]["matches"].as_array().unwrap().len()
        );
        assert!(start_len < MB, "{kind} of {n}: start answers {start_len} B");
        assert!(
            bracket_len < MB,
            "{kind} of {n}: bracket answers {bracket_len} B"
        );
        // Play the first match with two players: its event lists what it updates.
        let m = bracket["bracket"]["matches"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["status"] == "ready")
            .cloned()
            .expect("a playable match");
        let winner = m["participant1_id"].as_str().unwrap().to_string();
        env.report(&owner, &id, &id_of(&m), &winner, "3-2").await;
    }
    let events = env.events().await;
    assert!(events.len() >= 9, "created, started and completed, thrice");
    for e in &events {
        let size = e.data.to_string().len();
        assert!(size < FRAME, "{} is {size} B", e.event_type);
    }
}

#[tokio::test]
async fn a_round_robin_takes_at_most_64_participants() {
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    for n in [65, 256] {
        let answer = env
            .refused(
                Route::Create,
                &[],
                Some(&owner),
                Some(common::tournament_body(
                    json!({ "max_participants": n, "tournament_type": "round_robin" }),
                )),
                (422, "validation_failed"),
            )
            .await;
        assert!(answer.to_string().contains("max_participants"), "{answer}");
    }
    let rr = env
        .create(
            &owner,
            json!({ "max_participants": 64, "tournament_type": "round_robin" }),
        )
        .await;
    assert_eq!(rr["max_participants"], 64);
    // Neither an edit of the size nor of the type gets past it.
    env.refused(
        Route::Update,
        &[&id_of(&rr)],
        Some(&owner),
        Some(json!({ "max_participants": 65 })),
        (422, "validation_failed"),
    )
    .await;
    let big = env.create(&owner, json!({ "max_participants": 128 })).await;
    env.refused(
        Route::Update,
        &[&id_of(&big)],
        Some(&owner),
        Some(json!({ "tournament_type": "round_robin" })),
        (422, "validation_failed"),
    )
    .await;
    // An elimination bracket still takes 256.
    let se = env.create(&owner, json!({ "max_participants": 256 })).await;
    assert_eq!(se["max_participants"], 256);
}
