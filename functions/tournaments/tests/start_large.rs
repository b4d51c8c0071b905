//! Starting the largest tournament there is (256 players, double elimination) through the
//! real handlers against the emulator, and the start's two-step write: the matches of a
//! start attempt are written under a generation first and become the bracket only when the
//! commit that flips the status names that generation, so a start that dies half-way (or
//! loses to another write) leaves no half bracket for anyone to see.

mod common;

use std::time::{Duration, Instant};

use common::{match_of, Env, Route};
use gymit_tournaments::{
    bracket::{generate, Bracket, Match},
    domain::{append_position, Participant, Status},
};
use serde_json::{json, Value};

fn view(bracket: &Bracket) -> Value {
    json!(bracket
        .matches()
        .iter()
        .map(Match::view)
        .collect::<Vec<_>>())
}

fn count(bracket: &Value, side: &str) -> usize {
    bracket["matches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["bracket"] == side)
        .count()
}

/// Writes `n` participants into open tournament `id`, each as the store's own participant
/// item, and the count into its META. Joining 256 through the handler would measure the
/// emulator rather than the service: moto copies the whole table for every action of a
/// transaction, so a join's transaction costs ~0.4 s once the table holds a thousand items
/// (the registration tests cover joins; this covers the start).
async fn roster_of(env: &Env, id: &str, n: u32) {
    let loaded = env.stored(id).await;
    let roster: Vec<(Participant, String)> = (0..n)
        .map(|i| {
            let p = Participant {
                id: uuid::Uuid::now_v7().to_string(),
                tournament_id: id.to_string(),
                user_id: None,
                name: format!("Player {i:03}"),
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
async fn a_256_player_double_elimination_starts_and_shows_every_match() {
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    let t = env
        .create(
            &owner,
            json!({ "max_participants": 256, "tournament_type": "double_elimination" }),
        )
        .await;
    let id = t["id"].as_str().unwrap().to_string();

    let adding = Instant::now();
    roster_of(&env, &id, 256).await;
    eprintln!(
        "writing the 256 participants took {:.2} s",
        adding.elapsed().as_secs_f64()
    );
    let loaded = env.stored(&id).await;
    assert_eq!(loaded.tournament().participant_count, 256);
    let seeds: Vec<u32> = loaded.participants().map(|p| p.seed).collect();
    assert_eq!(seeds, (1..=256).collect::<Vec<u32>>());
    let order: Vec<String> = loaded.participants().map(|p| p.id.clone()).collect();
    let expected = generate(loaded.tournament().format(), &order);
    assert_eq!(
        expected.matches().len(),
        511,
        "2n - 1 with the bracket reset"
    );

    let started = Instant::now();
    let (status, answer) = env.call(Route::Start, &[&id], Some(&owner), None).await;
    let took = started.elapsed();
    eprintln!(
        "starting a 256-player double elimination took {:.2} s",
        took.as_secs_f64()
    );
    assert_eq!(status, 200, "{answer}");
    assert!(took < Duration::from_secs(120), "took {took:?}");
    assert_eq!(answer["tournament"]["status"], "in_progress");
    assert_eq!(answer["bracket"]["matches"], view(&expected));

    let reading = Instant::now();
    let bracket = env.bracket(&id).await;
    eprintln!(
        "reading its bracket took {:.2} s",
        reading.elapsed().as_secs_f64()
    );
    assert_eq!(
        bracket["matches"].as_array().unwrap().len(),
        expected.matches().len(),
        "every match the engine generates is visible"
    );
    assert_eq!(bracket["matches"], view(&expected), "exactly those matches");
    assert_eq!(bracket, answer["bracket"]);
    assert_eq!(count(&bracket, "winners"), 255);
    assert_eq!(count(&bracket, "losers"), 254);
    assert_eq!(count(&bracket, "grand_final"), 2);
    let ready: Vec<&Value> = bracket["matches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["status"] == "ready")
        .collect();
    assert_eq!(ready.len(), 128, "no byes: the whole first round is ready");
    assert!(ready
        .iter()
        .all(|m| m["id"].as_str().unwrap().starts_with("W1-")));
    let first = match_of(&bracket, "W1-1");
    assert_eq!(first["participant1_id"], order[0].as_str(), "seed 1");
    assert_eq!(first["participant2_id"], order[255].as_str(), "v seed 256");

    let events = env.events().await;
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types.iter().filter(|t| **t == "tournament.started").count(),
        1
    );
    let started_event = events
        .iter()
        .find(|e| e.event_type == "tournament.started")
        .unwrap();
    let size = started_event.data.to_string().len();
    assert!(size < 32 * 1024, "the event fits a WebSocket frame: {size}");

    // The first result plays on the big bracket: the loser drops to the losers bracket.
    let w1 = env.report(&owner, &id, "W1-1", &order[255], "0-2").await;
    assert_eq!(w1["match"]["winner_id"], order[255].as_str());
    let after = env.bracket(&id).await;
    let drop = match_of(&after, "L1-1");
    assert_eq!(drop["participant1_id"], order[0].as_str());
}

#[tokio::test]
async fn matches_written_without_the_status_flip_stay_invisible() {
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    let names = ["A", "B", "C", "D", "E", "F", "G", "H"];
    let (id, ps) = env
        .with_participants(
            &owner,
            json!({ "tournament_type": "double_elimination", "max_participants": 16 }),
            &names,
        )
        .await;
    let loaded = env.stored(&id).await;
    let mut reversed: Vec<String> = loaded.participants().map(|p| p.id.clone()).collect();
    reversed.reverse();
    let orphan = generate(loaded.tournament().format(), &reversed);

    // A start that wrote its matches and died before its commit.
    env.state
        .store
        .put_matches(&id, "crashedstart", &orphan)
        .await
        .expect("matches written");
    let written = env
        .snapshot()
        .await
        .keys()
        .filter(|(_, sk)| sk.starts_with("MATCH#crashedstart#"))
        .count();
    assert_eq!(
        written,
        orphan.matches().len(),
        "the half-start is in the table"
    );

    let bracket = env.bracket(&id).await;
    assert_eq!(bracket["matches"], json!([]), "but nobody sees it");
    let stored = env.stored(&id).await;
    assert!(stored.bracket.is_none());
    assert_eq!(stored.tournament().status, Status::RegistrationOpen);
    let (_, got) = env.call(Route::Get, &[&id], None, None).await;
    assert_eq!(got["tournament"]["status"], "registration_open");
    env.refused(
        Route::Report,
        &[&id, "W1-1"],
        Some(&owner),
        Some(json!({ "winner_id": reversed[0], "score": "1-0" })),
        (409, "invalid_state"),
    )
    .await;

    // Registration goes on, and the real start shows its own bracket only.
    let late = env.add(&owner, &id, "I").await;
    let started = env.start(&owner, &id).await;
    let loaded = env.stored(&id).await;
    let order: Vec<String> = loaded.participants().map(|p| p.id.clone()).collect();
    assert_eq!(order.len(), 9);
    assert_eq!(order[8], late["id"].as_str().unwrap());
    let expected = generate(loaded.tournament().format(), &order);
    assert_eq!(started["matches"], view(&expected));
    assert_eq!(env.bracket(&id).await, started);
    assert_eq!(
        match_of(&started, "W1-1")["participant1_id"],
        ps[0]["id"],
        "seed 1 first, not the orphan's order"
    );

    // A start attempt that lost, writing after the flip, is not seen either.
    env.state
        .store
        .put_matches(&id, "loststart", &orphan)
        .await
        .expect("matches written");
    assert_eq!(env.bracket(&id).await, started);

    // Results go to the visible bracket.
    let ready = started["matches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["status"] == "ready")
        .expect("a ready match")
        .clone();
    let (match_id, winner) = (
        ready["id"].as_str().unwrap(),
        ready["participant2_id"].as_str().unwrap(),
    );
    let answer = env.report(&owner, &id, match_id, winner, "1-2").await;
    assert_eq!(answer["match"]["winner_id"], winner);
    let after = env.bracket(&id).await;
    assert_eq!(match_of(&after, match_id)["winner_id"], winner);
    assert_eq!(
        after["matches"].as_array().unwrap().len(),
        expected.matches().len()
    );
}
