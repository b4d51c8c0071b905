//! Playing a tournament through the real handlers against the emulator: the start, the
//! bracket, reported and corrected results, disqualifications and standings, and two
//! reports of one match racing each other.

mod common;

use std::{collections::BTreeSet, sync::Arc};

use common::{match_of, Env, Person, Route};
use gymit_tournaments::domain::Status;
use serde_json::{json, Value};

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_string()
}

/// A started four-player single elimination: A, B, C, D seeded 1–4, so the first round is
/// W1-1 A v D and W1-2 B v C, and W2-1 is the final.
struct Four {
    env: Env,
    owner: Person,
    id: String,
    /// Participant ids by name.
    a: String,
    b: String,
    c: String,
    d: String,
}

async fn four(overrides: Value) -> Four {
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    let (id, ps) = env
        .with_participants(&owner, overrides, &["A", "B", "C", "D"])
        .await;
    env.start(&owner, &id).await;
    Four {
        a: id_of(&ps[0]),
        b: id_of(&ps[1]),
        c: id_of(&ps[2]),
        d: id_of(&ps[3]),
        env,
        owner,
        id,
    }
}

fn result(winner: &str, score: &str) -> Option<Value> {
    Some(json!({ "winner_id": winner, "score": score }))
}

/// (participant_id, rank, wins, losses) of the standings, in their order.
async fn standings(env: &Env, id: &str) -> Vec<(String, u64, u64, u64)> {
    let (status, answer) = env.call(Route::Standings, &[id], None, None).await;
    assert_eq!(status, 200, "{answer}");
    answer["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["participant_id"].as_str().unwrap().to_string(),
                s["rank"].as_u64().unwrap(),
                s["wins"].as_u64().unwrap(),
                s["losses"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_owner_starts_a_tournament_and_anyone_reads_its_bracket() {
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    let (id, ps) = env
        .with_participants(&owner, json!({}), &["A", "B", "C", "D"])
        .await;
    let (a, b, c, d) = (id_of(&ps[0]), id_of(&ps[1]), id_of(&ps[2]), id_of(&ps[3]));

    let before = env.bracket(&id).await;
    assert_eq!(
        before,
        json!({ "tournament_id": id, "tournament_type": "single_elimination", "matches": [] })
    );
    let version = env.stored(&id).await.tournament().version;

    let (answer, events) = env
        .accepted(
            Route::Start,
            &[&id],
            Some(&owner),
            Some(json!({ "seeding": "by_seed" })),
            200,
            &["tournament.started"],
        )
        .await;
    let t = &answer["tournament"];
    assert_eq!(t["status"], "in_progress");
    assert_eq!(t["version"], version + 1);
    assert_eq!(events[0].data, json!({ "tournament": t }));
    let bracket = &answer["bracket"];
    assert_eq!(bracket["matches"].as_array().unwrap().len(), 3);
    let w11 = match_of(bracket, "W1-1");
    assert_eq!(
        (&w11["participant1_id"], &w11["participant2_id"]),
        (&json!(a), &json!(d)),
        "1 v 4"
    );
    assert_eq!(w11["status"], "ready");
    assert_eq!(w11["next_match_id"], "W2-1");
    assert_eq!(w11["bracket"], "winners");
    assert_eq!(w11["round"], 1);
    let w12 = match_of(bracket, "W1-2");
    assert_eq!(
        (&w12["participant1_id"], &w12["participant2_id"]),
        (&json!(b), &json!(c)),
        "2 v 3"
    );
    let fin = match_of(bracket, "W2-1");
    assert_eq!(fin["status"], "pending");
    assert_eq!(fin["participant1_id"], Value::Null);
    assert_eq!(fin["next_match_id"], Value::Null);

    assert_eq!(env.bracket(&id).await, *bracket, "anyone reads the same");
    let stored = env.stored(&id).await;
    assert_eq!(stored.tournament().status, Status::InProgress);
    assert_eq!(stored.bracket.expect("a bracket").matches().len(), 3);
    assert_eq!(json!(stored.meta.tournament), *t);

    // Before any result everyone is listed, in seed order when tied.
    let table = standings(&env, &id).await;
    assert_eq!(table.len(), 4);
    let listed: BTreeSet<String> = table.iter().map(|r| r.0.clone()).collect();
    assert_eq!(listed, BTreeSet::from([a, b, c, d]));
    assert!(table.iter().all(|r| r.2 == 0 && r.3 == 0));

    env.refused(
        Route::Bracket,
        &["no-such-tournament"],
        None,
        None,
        (404, "not_found"),
    )
    .await;
    env.refused(
        Route::Standings,
        &["no-such-tournament"],
        None,
        None,
        (404, "not_found"),
    )
    .await;
}

#[tokio::test]
async fn three_players_give_the_top_seed_a_bye_that_advances_at_once() {
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    let (id, ps) = env
        .with_participants(&owner, json!({}), &["A", "B", "C"])
        .await;
    let bracket = env.start(&owner, &id).await;
    let bye = match_of(&bracket, "W1-1");
    assert_eq!(bye["status"], "bye");
    assert_eq!(bye["participant1_id"], ps[0]["id"]);
    assert_eq!(bye["participant2_id"], Value::Null);
    assert_eq!(bye["winner_id"], ps[0]["id"]);
    assert_eq!(match_of(&bracket, "W2-1")["participant1_id"], ps[0]["id"]);
    assert_eq!(match_of(&bracket, "W1-2")["status"], "ready");
    env.refused(
        Route::Report,
        &[&id, "W1-1"],
        Some(&owner),
        result(ps[0]["id"].as_str().unwrap(), "1-0"),
        (409, "match_not_ready"),
    )
    .await;
}

#[tokio::test]
async fn starting_is_refused_to_others_with_too_few_players_and_once_started() {
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    let other = env.trainer("Theo").await;
    let member = env.member("Mo").await;
    let (lonely, _) = env.with_participants(&owner, json!({}), &["A"]).await;
    env.refused(
        Route::Start,
        &[&lonely],
        Some(&owner),
        None,
        (409, "not_enough_participants"),
    )
    .await;

    let (id, _) = env
        .with_participants(&owner, json!({}), &["A", "B", "C"])
        .await;
    env.refused(Route::Start, &[&id], Some(&other), None, (403, "forbidden"))
        .await;
    env.refused(
        Route::Start,
        &[&id],
        Some(&member),
        None,
        (403, "forbidden"),
    )
    .await;
    env.refused(Route::Start, &[&id], None, None, (401, "unauthenticated"))
        .await;
    env.refused(
        Route::Start,
        &["no-such-tournament"],
        Some(&owner),
        None,
        (404, "not_found"),
    )
    .await;
    env.refused(
        Route::Start,
        &[&id],
        Some(&owner),
        Some(json!({ "seeding": "zigzag" })),
        (422, "validation_failed"),
    )
    .await;
    assert!(
        env.stored(&id).await.bracket.is_none(),
        "no bracket after refusals"
    );

    let admin = env.admin("Ada").await;
    env.accepted(
        Route::Start,
        &[&id],
        Some(&admin),
        None,
        200,
        &["tournament.started"],
    )
    .await;
    env.refused(
        Route::Start,
        &[&id],
        Some(&owner),
        None,
        (409, "invalid_state"),
    )
    .await;

    let (status, _) = env
        .call(Route::Cancel, &[&lonely], Some(&owner), None)
        .await;
    assert_eq!(status, 200);
    env.refused(
        Route::Start,
        &[&lonely],
        Some(&owner),
        None,
        (409, "invalid_state"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_start_racing_joins_brackets_exactly_the_registered_participants() {
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    let (id, _) = env
        .with_participants(
            &owner,
            json!({ "max_participants": 32 }),
            &["A", "B", "C", "D"],
        )
        .await;
    let joiners = env.members("Late", 12).await;
    let gate = Arc::new(tokio::sync::Barrier::new(joiners.len() + 1));
    let mut joins = Vec::new();
    for p in joiners {
        let (env, id, gate) = (env.clone(), id.clone(), gate.clone());
        joins.push(tokio::spawn(async move {
            gate.wait().await;
            env.call(Route::Join, &[&id], Some(&p), None).await
        }));
    }
    let start = {
        let (env, id, owner, gate) = (env.clone(), id.clone(), owner.clone(), gate.clone());
        tokio::spawn(async move {
            gate.wait().await;
            env.call(Route::Start, &[&id], Some(&owner), None).await
        })
    };
    let mut joined = 0;
    for j in joins {
        let (status, answer) = j.await.expect("the task ran");
        match status {
            201 => joined += 1,
            409 => assert_eq!(answer["code"], "registration_closed", "{answer}"),
            _ => panic!("a join answered {status}: {answer}"),
        }
    }
    let (status, started) = start.await.expect("the task ran");
    assert_eq!(status, 200, "{started}");

    let stored = env.stored(&id).await;
    assert_eq!(stored.roster.len(), 4 + joined);
    assert_eq!(stored.tournament().participant_count as usize, 4 + joined);
    let roster: BTreeSet<String> = stored.participants().map(|p| p.id.clone()).collect();
    let bracket = env.bracket(&id).await;
    assert_eq!(
        bracket, started["bracket"],
        "the start's bracket is the one stored"
    );
    let placed: BTreeSet<String> = bracket["matches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["round"] == 1)
        .flat_map(|m| [&m["participant1_id"], &m["participant2_id"]])
        .filter_map(|p| p.as_str().map(str::to_string))
        .collect();
    assert_eq!(placed, roster, "everyone registered plays, nobody else");
    let joined_events = env
        .events()
        .await
        .iter()
        .filter(|e| e.event_type == "participant.joined")
        .count();
    assert_eq!(joined_events, 4 + joined);
}

#[tokio::test]
async fn random_seeding_still_places_everyone_once() {
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    let names = ["A", "B", "C", "D", "E", "F", "G", "H"];
    let (id, ps) = env.with_participants(&owner, json!({}), &names).await;
    let (status, answer) = env
        .call(
            Route::Start,
            &[&id],
            Some(&owner),
            Some(json!({ "seeding": "random" })),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let mut placed = Vec::new();
    for m in answer["bracket"]["matches"].as_array().unwrap() {
        if m["round"] == 1 {
            assert_eq!(m["status"], "ready");
            placed.push(m["participant1_id"].as_str().unwrap().to_string());
            placed.push(m["participant2_id"].as_str().unwrap().to_string());
        }
    }
    placed.sort();
    let mut all: Vec<String> = ps.iter().map(id_of).collect();
    all.sort();
    assert_eq!(placed, all);
}

#[tokio::test]
async fn results_move_winners_on_until_the_final_completes_the_tournament() {
    let Four {
        env,
        owner,
        id,
        a,
        b,
        c,
        d,
    } = four(json!({})).await;
    let admin = env.admin("Ada").await;

    let (answer, events) = env
        .accepted(
            Route::Report,
            &[&id, "W1-1"],
            Some(&owner),
            result(&a, " 3-1 "),
            200,
            &["match.completed"],
        )
        .await;
    let m = &answer["match"];
    assert_eq!(m["status"], "completed");
    assert_eq!(m["winner_id"], a.as_str());
    assert_eq!(m["score"], "3-1");
    assert_eq!(answer["tournament"]["status"], "in_progress");
    assert_eq!(events[0].data["match"], *m);
    let updated = events[0].data["updated_matches"].as_array().unwrap();
    assert_eq!(updated.len(), 1, "{updated:?}");
    assert_eq!(updated[0]["id"], "W2-1");
    assert_eq!(updated[0]["participant1_id"], a.as_str());

    let bracket = env.bracket(&id).await;
    assert_eq!(match_of(&bracket, "W1-1"), m);
    let fin = match_of(&bracket, "W2-1");
    assert_eq!(fin["participant1_id"], a.as_str(), "the winner moved on");
    assert_eq!(fin["participant2_id"], Value::Null);
    assert_eq!(fin["status"], "pending");
    assert_eq!(
        json!(env.stored(&id).await.meta.tournament),
        answer["tournament"]
    );

    env.accepted(
        Route::Report,
        &[&id, "W1-2"],
        Some(&admin),
        result(&c, "21-19,18-21,21-15"),
        200,
        &["match.completed"],
    )
    .await;
    let fin = match_of(&env.bracket(&id).await, "W2-1").clone();
    assert_eq!(
        (
            &fin["participant1_id"],
            &fin["participant2_id"],
            &fin["status"]
        ),
        (&json!(a), &json!(c), &json!("ready"))
    );

    let (answer, events) = env
        .accepted(
            Route::Report,
            &[&id, "W2-1"],
            Some(&owner),
            result(&c, "1-3"),
            200,
            &["match.completed", "tournament.completed"],
        )
        .await;
    assert_eq!(answer["tournament"]["status"], "completed");
    let completed = events
        .iter()
        .find(|e| e.event_type == "tournament.completed")
        .unwrap();
    assert_eq!(completed.data["champion_id"], c.as_str());
    assert_eq!(completed.data["tournament"], answer["tournament"]);
    assert_eq!(env.stored(&id).await.tournament().status, Status::Completed);
    let (_, got) = env.call(Route::Get, &[&id], None, None).await;
    assert_eq!(got["tournament"]["status"], "completed");

    let table = standings(&env, &id).await;
    assert_eq!(
        table[..2],
        [(c.clone(), 1, 2, 0), (a.clone(), 2, 1, 1)],
        "champion, then finalist"
    );
    let thirds: BTreeSet<_> = table[2..].iter().cloned().collect();
    assert_eq!(
        thirds,
        BTreeSet::from([(b.clone(), 3, 0, 1), (d.clone(), 3, 0, 1)]),
        "both semi-final losers share third"
    );

    env.refused(
        Route::Report,
        &[&id, "W2-1"],
        Some(&owner),
        result(&a, "3-0"),
        (409, "match_already_completed"),
    )
    .await;
}

#[tokio::test]
async fn reports_are_refused_to_others_for_bad_results_and_outside_play() {
    let Four {
        env,
        owner,
        id,
        a,
        b,
        d,
        ..
    } = four(json!({})).await;
    let other = env.trainer("Theo").await;
    let member = env.member("Mo").await;
    let ok = result(&a, "3-1");

    env.refused(
        Route::Report,
        &[&id, "W1-1"],
        Some(&member),
        ok.clone(),
        (403, "forbidden"),
    )
    .await;
    env.refused(
        Route::Report,
        &[&id, "W1-1"],
        Some(&other),
        ok.clone(),
        (403, "forbidden"),
    )
    .await;
    env.refused(
        Route::Report,
        &[&id, "W1-1"],
        None,
        ok.clone(),
        (401, "unauthenticated"),
    )
    .await;
    env.refused(
        Route::Report,
        &["no-such-tournament", "W1-1"],
        Some(&owner),
        ok.clone(),
        (404, "not_found"),
    )
    .await;
    env.refused(
        Route::Report,
        &[&id, "W9-9"],
        Some(&owner),
        ok.clone(),
        (404, "not_found"),
    )
    .await;
    env.refused(
        Route::Report,
        &[&id, "W2-1"],
        Some(&owner),
        ok.clone(),
        (409, "match_not_ready"),
    )
    .await;
    env.refused(
        Route::Report,
        &[&id, "W1-1"],
        Some(&owner),
        result(&b, "3-1"),
        (422, "validation_failed"),
    )
    .await;
    env.refused(
        Route::Report,
        &[&id, "W1-1"],
        Some(&owner),
        Some(json!({ "winner_id": null, "score": "2-2" })),
        (422, "validation_failed"),
    )
    .await;
    let too_long = "1-".repeat(40);
    for score in ["3:1", "", "three-one", too_long.as_str(), "forfeit"] {
        env.refused(
            Route::Report,
            &[&id, "W1-1"],
            Some(&owner),
            result(&a, score),
            (422, "validation_failed"),
        )
        .await;
    }
    env.refused(
        Route::Report,
        &[&id, "W1-1"],
        Some(&owner),
        Some(json!({ "winner_id": a })),
        (422, "validation_failed"),
    )
    .await;
    env.refused(
        Route::Report,
        &[&id, "W1-1"],
        Some(&owner),
        None,
        (400, "bad_request"),
    )
    .await;
    assert!(
        env.stored(&id)
            .await
            .bracket
            .unwrap()
            .matches()
            .iter()
            .all(|m| m.winner_id.is_none()),
        "no result was recorded"
    );

    // Not in play: before the start and after a cancellation.
    let (open, ps) = env.with_participants(&owner, json!({}), &["X", "Y"]).await;
    env.refused(
        Route::Report,
        &[&open, "W1-1"],
        Some(&owner),
        result(&id_of(&ps[0]), "1-0"),
        (409, "invalid_state"),
    )
    .await;
    let (status, _) = env.call(Route::Cancel, &[&id], Some(&owner), None).await;
    assert_eq!(status, 200);
    env.refused(
        Route::Report,
        &[&id, "W1-1"],
        Some(&owner),
        result(&d, "0-1"),
        (409, "invalid_state"),
    )
    .await;
}

#[tokio::test]
async fn a_result_is_corrected_while_nothing_it_fed_into_is_played() {
    let Four {
        env,
        owner,
        id,
        a,
        b,
        c,
        d,
    } = four(json!({})).await;
    let member = env.member("Mo").await;
    env.report(&owner, &id, "W1-1", &a, "3-1").await;

    env.refused(
        Route::Correct,
        &[&id, "W1-1"],
        Some(&member),
        result(&d, "1-3"),
        (403, "forbidden"),
    )
    .await;
    env.refused(
        Route::Correct,
        &[&id, "W1-2"],
        Some(&owner),
        result(&b, "1-0"),
        (409, "match_not_completed"),
    )
    .await;
    env.refused(
        Route::Correct,
        &[&id, "W1-1"],
        Some(&owner),
        result(&c, "1-0"),
        (422, "validation_failed"),
    )
    .await;
    env.refused(
        Route::Correct,
        &[&id, "W1-1"],
        Some(&owner),
        Some(json!({ "winner_id": null, "score": "1-1" })),
        (422, "validation_failed"),
    )
    .await;

    let (answer, events) = env
        .accepted(
            Route::Correct,
            &[&id, "W1-1"],
            Some(&owner),
            result(&d, "1-3"),
            200,
            &["match.completed"],
        )
        .await;
    assert_eq!(answer["match"]["winner_id"], d.as_str());
    assert_eq!(answer["match"]["score"], "1-3");
    assert_eq!(events[0].data["match"], answer["match"]);
    let bracket = env.bracket(&id).await;
    assert_eq!(match_of(&bracket, "W1-1")["winner_id"], d.as_str());
    assert_eq!(
        match_of(&bracket, "W2-1")["participant1_id"],
        d.as_str(),
        "the new winner moved on instead"
    );

    env.report(&owner, &id, "W1-2", &b, "2-0").await;
    let done = env.report(&owner, &id, "W2-1", &d, "2-1").await;
    assert_eq!(done["tournament"]["status"], "completed");
    env.refused(
        Route::Correct,
        &[&id, "W1-1"],
        Some(&owner),
        result(&a, "3-1"),
        (409, "downstream_match_completed"),
    )
    .await;

    // A wrongly reported final can still be fixed: the champion changes.
    let (answer, events) = env
        .accepted(
            Route::Correct,
            &[&id, "W2-1"],
            Some(&owner),
            result(&b, "1-2"),
            200,
            &["match.completed", "tournament.completed"],
        )
        .await;
    assert_eq!(answer["tournament"]["status"], "completed");
    let completed = events
        .iter()
        .find(|e| e.event_type == "tournament.completed")
        .unwrap();
    assert_eq!(completed.data["champion_id"], b.as_str());
    assert_eq!(standings(&env, &id).await[0], (b.clone(), 1, 2, 0));
    assert_eq!(env.stored(&id).await.tournament().status, Status::Completed);
}

#[tokio::test]
async fn in_double_elimination_the_loser_drops_to_the_losers_bracket() {
    let Four {
        env,
        owner,
        id,
        a,
        b,
        c,
        d,
    } = four(json!({ "tournament_type": "double_elimination" })).await;
    let bracket = env.bracket(&id).await;
    // 4 players: 3 winners matches, 2 losers rounds of 1 match, the final and its reset.
    assert_eq!(bracket["matches"].as_array().unwrap().len(), 7);
    assert_eq!(match_of(&bracket, "GF2")["status"], "pending");

    let answer = env.report(&owner, &id, "W1-1", &a, "2-0").await;
    assert_eq!(answer["match"]["next_loser_match_id"], "L1-1");
    env.report(&owner, &id, "W1-2", &c, "2-0").await;
    let bracket = env.bracket(&id).await;
    let l11 = match_of(&bracket, "L1-1");
    assert_eq!(
        (
            &l11["participant1_id"],
            &l11["participant2_id"],
            &l11["status"]
        ),
        (&json!(d), &json!(b), &json!("ready")),
        "both losers got a second chance"
    );
    let w21 = match_of(&bracket, "W2-1");
    assert_eq!(
        (&w21["participant1_id"], &w21["participant2_id"]),
        (&json!(a), &json!(c))
    );
}

#[tokio::test]
async fn correcting_the_first_grand_final_brings_the_bracket_reset_back_into_play() {
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    let (id, ps) = env
        .with_participants(
            &owner,
            json!({ "tournament_type": "double_elimination" }),
            &["A", "B"],
        )
        .await;
    let (a, b) = (id_of(&ps[0]), id_of(&ps[1]));
    let bracket = env.start(&owner, &id).await;
    assert_eq!(
        bracket["matches"].as_array().unwrap().len(),
        3,
        "W1-1, GF1, GF2"
    );

    env.report(&owner, &id, "W1-1", &a, "2-0").await;
    let gf1 = match_of(&env.bracket(&id).await, "GF1").clone();
    assert_eq!(
        (&gf1["participant1_id"], &gf1["participant2_id"]),
        (&json!(a), &json!(b)),
        "the winner and the loser of the only winners match meet again"
    );
    let (answer, events) = env
        .accepted(
            Route::Report,
            &[&id, "GF1"],
            Some(&owner),
            result(&a, "2-1"),
            200,
            &["match.completed", "tournament.completed"],
        )
        .await;
    assert_eq!(answer["tournament"]["status"], "completed");
    assert_eq!(
        match_of(&env.bracket(&id).await, "GF2")["status"],
        "skipped"
    );
    let completed = events
        .iter()
        .find(|e| e.event_type == "tournament.completed")
        .unwrap();
    assert_eq!(completed.data["champion_id"], a.as_str());

    // The first final was won by the losers-bracket side after all: the reset is played.
    let (answer, _) = env
        .accepted(
            Route::Correct,
            &[&id, "GF1"],
            Some(&owner),
            result(&b, "1-2"),
            200,
            &["match.completed", "tournament.updated"],
        )
        .await;
    assert_eq!(answer["tournament"]["status"], "in_progress");
    assert_eq!(
        env.stored(&id).await.tournament().status,
        Status::InProgress
    );
    let gf2 = match_of(&env.bracket(&id).await, "GF2").clone();
    assert_eq!(
        (
            &gf2["participant1_id"],
            &gf2["participant2_id"],
            &gf2["status"]
        ),
        (&json!(a), &json!(b), &json!("ready"))
    );

    let (answer, events) = env
        .accepted(
            Route::Report,
            &[&id, "GF2"],
            Some(&owner),
            result(&b, "0-3"),
            200,
            &["match.completed", "tournament.completed"],
        )
        .await;
    assert_eq!(answer["tournament"]["status"], "completed");
    let completed = events
        .iter()
        .find(|e| e.event_type == "tournament.completed")
        .unwrap();
    assert_eq!(completed.data["champion_id"], b.as_str());
    let table = standings(&env, &id).await;
    assert_eq!((table[0].0.as_str(), table[0].1), (b.as_str(), 1));
    assert_eq!((table[1].0.as_str(), table[1].1), (a.as_str(), 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_reports_on_one_match_one_wins() {
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    let names = ["A", "B", "C", "D", "E", "F", "G", "H"];
    let (id, _) = env.with_participants(&owner, json!({}), &names).await;
    let bracket = env.start(&owner, &id).await;
    let first_round: Vec<Value> = bracket["matches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["round"] == 1)
        .cloned()
        .collect();
    assert_eq!(first_round.len(), 4);

    // Every first-round match gets two reports at once, naming different winners.
    let gate = Arc::new(tokio::sync::Barrier::new(2 * first_round.len()));
    let mut tasks = Vec::new();
    for m in &first_round {
        for slot in ["participant1_id", "participant2_id"] {
            let (env, owner, id, gate) = (env.clone(), owner.clone(), id.clone(), gate.clone());
            let match_id = id_of(m);
            let winner = m[slot].as_str().unwrap().to_string();
            tasks.push(tokio::spawn(async move {
                gate.wait().await;
                let (status, answer) = env
                    .call(
                        Route::Report,
                        &[&id, &match_id],
                        Some(&owner),
                        result(&winner, "1-0"),
                    )
                    .await;
                (match_id, winner, status, answer)
            }));
        }
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.expect("the task ran"));
    }

    let bracket = env.bracket(&id).await;
    for m in &first_round {
        let mid = id_of(m);
        let mine: Vec<_> = outcomes.iter().filter(|o| o.0 == mid).collect();
        let mut statuses: Vec<u16> = mine.iter().map(|o| o.2).collect();
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "{mid}: {mine:?}");
        let loser = mine.iter().find(|o| o.2 == 409).unwrap();
        assert_eq!(loser.3["code"], "match_already_completed", "{:?}", loser.3);
        let won = mine.iter().find(|o| o.2 == 200).unwrap();
        let stored = match_of(&bracket, &mid);
        assert_eq!(
            stored["winner_id"],
            won.1.as_str(),
            "{mid}: the accepted report"
        );
        assert_eq!(stored["status"], "completed");
        // The winner went on once, into the one slot it feeds.
        let next = match_of(&bracket, stored["next_match_id"].as_str().unwrap());
        let slot = if m["match_number"].as_u64().unwrap() % 2 == 1 {
            "participant1_id"
        } else {
            "participant2_id"
        };
        assert_eq!(next[slot], won.1.as_str(), "{mid} → {next}");
    }
    let second_round: Vec<&Value> = bracket["matches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["round"] == 2)
        .collect();
    assert!(second_round.iter().all(|m| m["status"] == "ready"));
    let completed = env
        .events()
        .await
        .iter()
        .filter(|e| e.event_type == "match.completed")
        .count();
    assert_eq!(
        completed, 4,
        "one event per match, none for the losing report"
    );
    let stored = env.stored(&id).await;
    assert_eq!(
        stored.tournament().version,
        1 + 8 + 1 + 4,
        "created, 8 joins, the start, 4 results: nothing else was written"
    );
}

#[tokio::test]
async fn a_disqualified_participant_forfeits_and_opponents_advance() {
    let Four {
        env,
        owner,
        id,
        a,
        b,
        c,
        d,
    } = four(json!({})).await;
    let admin = env.admin("Ada").await;
    let member = env.member("Mo").await;

    env.refused(
        Route::Disqualify,
        &[&id, &d],
        Some(&member),
        None,
        (403, "forbidden"),
    )
    .await;
    env.refused(
        Route::Disqualify,
        &[&id, &d],
        None,
        None,
        (401, "unauthenticated"),
    )
    .await;
    env.refused(
        Route::Disqualify,
        &[&id, "no-such-participant"],
        Some(&owner),
        None,
        (404, "not_found"),
    )
    .await;
    env.refused(
        Route::Disqualify,
        &["no-such-tournament", &d],
        Some(&owner),
        None,
        (404, "not_found"),
    )
    .await;

    let (answer, events) = env
        .accepted(
            Route::Disqualify,
            &[&id, &d],
            Some(&owner),
            None,
            200,
            &["match.completed"],
        )
        .await;
    assert_eq!(answer["participant"]["id"], d.as_str());
    assert_eq!(answer["participant"]["disqualified"], true);
    let w11 = match_of(&answer["bracket"], "W1-1");
    assert_eq!(
        (&w11["status"], &w11["winner_id"], &w11["score"]),
        (&json!("completed"), &json!(a), &json!("forfeit"))
    );
    assert_eq!(events[0].data["match"], *w11);
    assert_eq!(env.bracket(&id).await, answer["bracket"]);
    assert_eq!(
        match_of(&answer["bracket"], "W2-1")["participant1_id"],
        a.as_str()
    );
    let stored = env.stored(&id).await;
    assert!(stored.participant(&d).unwrap().disqualified);
    assert_eq!(stored.meta.disqualified.len(), 1);
    assert_eq!(stored.tournament().status, Status::InProgress);
    assert_eq!(env.participants(&id).await.len(), 4, "still listed");

    env.refused(
        Route::Disqualify,
        &[&id, &d],
        Some(&owner),
        None,
        (409, "already_disqualified"),
    )
    .await;
    env.refused(
        Route::Report,
        &[&id, "W1-1"],
        Some(&owner),
        result(&d, "1-0"),
        (409, "match_already_completed"),
    )
    .await;
    env.refused(
        Route::Correct,
        &[&id, "W1-1"],
        Some(&owner),
        result(&d, "1-0"),
        (409, "invalid_state"),
    )
    .await;

    env.accepted(
        Route::Disqualify,
        &[&id, &b],
        Some(&admin),
        None,
        200,
        &["match.completed"],
    )
    .await;
    let fin = match_of(&env.bracket(&id).await, "W2-1").clone();
    assert_eq!(
        (
            &fin["participant1_id"],
            &fin["participant2_id"],
            &fin["status"]
        ),
        (&json!(a), &json!(c), &json!("ready"))
    );

    // The last one standing wins by forfeit, which completes the tournament.
    let (answer, events) = env
        .accepted(
            Route::Disqualify,
            &[&id, &c],
            Some(&owner),
            None,
            200,
            &["match.completed", "tournament.completed"],
        )
        .await;
    assert_eq!(
        match_of(&answer["bracket"], "W2-1")["winner_id"],
        a.as_str()
    );
    let completed = events
        .iter()
        .find(|e| e.event_type == "tournament.completed")
        .unwrap();
    assert_eq!(completed.data["champion_id"], a.as_str());
    assert_eq!(completed.data["tournament"]["status"], "completed");
    assert_eq!(env.stored(&id).await.tournament().status, Status::Completed);
    let table = standings(&env, &id).await;
    assert_eq!(table.len(), 4, "disqualified participants are listed too");
    assert_eq!(table[0].0, a);
    assert_eq!(table[0].1, 1);

    env.refused(
        Route::Disqualify,
        &[&id, &a],
        Some(&owner),
        None,
        (409, "invalid_state"),
    )
    .await;
    let (open, ps) = env.with_participants(&owner, json!({}), &["X", "Y"]).await;
    env.refused(
        Route::Disqualify,
        &[&open, &id_of(&ps[0])],
        Some(&owner),
        None,
        (409, "invalid_state"),
    )
    .await;
}

#[tokio::test]
async fn a_round_robin_with_a_draw_ranks_by_points_then_score_difference() {
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    let (id, ps) = env
        .with_participants(
            &owner,
            json!({ "tournament_type": "round_robin" }),
            &["A", "B", "C"],
        )
        .await;
    let (a, b, c) = (id_of(&ps[0]), id_of(&ps[1]), id_of(&ps[2]));
    let bracket = env.start(&owner, &id).await;
    assert_eq!(bracket["matches"].as_array().unwrap().len(), 3);
    let table = standings(&env, &id).await;
    assert_eq!(table.len(), 3);

    // Plays the match between x and y, whichever round it is in.
    let play = |x: String, y: String, winner: Option<String>, score: (u32, u32)| {
        let (env, owner, id) = (env.clone(), owner.clone(), id.clone());
        async move {
            let bracket = env.bracket(&id).await;
            let m = bracket["matches"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| {
                    let pair = [&m["participant1_id"], &m["participant2_id"]];
                    pair.contains(&&json!(x)) && pair.contains(&&json!(y))
                })
                .unwrap()
                .clone();
            assert_eq!(m["status"], "ready", "{m}");
            let score = if m["participant1_id"] == x.as_str() {
                format!("{}-{}", score.0, score.1)
            } else {
                format!("{}-{}", score.1, score.0)
            };
            let (status, answer) = env
                .call(
                    Route::Report,
                    &[&id, m["id"].as_str().unwrap()],
                    Some(&owner),
                    Some(json!({ "winner_id": winner, "score": score })),
                )
                .await;
            assert_eq!(status, 200, "{answer}");
            answer
        }
    };
    let draw = play(b.clone(), c.clone(), None, (2, 2)).await;
    assert_eq!(draw["match"]["winner_id"], Value::Null);
    assert_eq!(draw["match"]["status"], "completed");
    play(a.clone(), c.clone(), Some(a.clone()), (3, 0)).await;
    let last = play(a.clone(), b.clone(), Some(a.clone()), (2, 1)).await;
    assert_eq!(last["tournament"]["status"], "completed");
    let completed = env
        .events()
        .await
        .into_iter()
        .find(|e| e.event_type == "tournament.completed")
        .expect("the last result completes the tournament");
    assert_eq!(completed.data["champion_id"], a.as_str());

    let (status, answer) = env.call(Route::Standings, &[&id], None, None).await;
    assert_eq!(status, 200);
    let rows: Vec<(String, u64, u64, u64, u64)> = answer["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["participant_id"].as_str().unwrap().to_string(),
                s["rank"].as_u64().unwrap(),
                s["points"].as_u64().unwrap(),
                s["draws"].as_u64().unwrap(),
                s["losses"].as_u64().unwrap(),
            )
        })
        .collect();
    // B and C both have a draw and a loss; B lost by less (difference -1 against -3).
    assert_eq!(
        rows,
        [(a, 1, 6, 0, 0), (b, 2, 1, 1, 1), (c, 3, 1, 1, 1)],
        "{answer}"
    );
    assert_eq!(answer["items"][0]["name"], "A");
}

/// API.md v1.1 "Dropping out": a member drops out of a round robin themselves; every
/// unplayed match of theirs is forfeited in that one write, nobody else may drop them, and
/// dropping twice is 409.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_member_drops_out_of_a_round_robin_and_forfeits_every_match_at_once() {
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    let mia = env.member("Mia").await;
    let otto = env.member("Otto").await;
    let (id, _) = env
        .with_participants(
            &owner,
            json!({ "tournament_type": "round_robin", "max_participants": 6 }),
            &["A", "B", "C", "D", "E"],
        )
        .await;
    let (status, joined) = env.call(Route::Join, &[&id], Some(&mia), None).await;
    assert_eq!(status, 201, "{joined}");
    let mine = joined["participant"]["id"].as_str().unwrap().to_string();
    env.start(&owner, &id).await;

    let (status, _) = env
        .call(Route::Drop, &[&id, &mine], Some(&otto), None)
        .await;
    assert_eq!(status, 403, "only she, the owner or an admin");
    let (status, answer) = env.call(Route::Drop, &[&id, &mine], Some(&mia), None).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["participant"]["status"], "dropped");
    let theirs: Vec<&Value> = answer["bracket"]["matches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["participant1_id"] == mine.as_str() || m["participant2_id"] == mine.as_str())
        .collect();
    assert_eq!(theirs.len(), 5);
    for m in &theirs {
        assert_eq!(
            (&m["status"], &m["score"]),
            (&json!("completed"), &json!("forfeit")),
            "{m}"
        );
    }
    let (status, again) = env.call(Route::Drop, &[&id, &mine], Some(&mia), None).await;
    assert_eq!(
        (status, again["code"].as_str()),
        (409, Some("invalid_state"))
    );
    let (_, listed) = env.call(Route::Participants, &[&id], None, None).await;
    let her = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == mine.as_str())
        .cloned()
        .expect("still listed");
    assert_eq!(her["status"], "dropped");
    let (_, standings) = env.call(Route::Standings, &[&id], None, None).await;
    assert_eq!(standings["provisional"], true);
}
