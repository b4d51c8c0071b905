//! Tournaments played end to end through the gateway, as a trainer and their players
//! would: registration under a rush, the three formats, results, corrections,
//! disqualification, standings, and who may do what.

use std::collections::{BTreeMap, HashMap};

use gymit_e2e::{Answer, Session, Stack};
use reqwest::Method;
use serde_json::{json, Value};

async fn create(s: &Stack, owner: &Session, body: Value) -> String {
    let a = s
        .post("/api/tournaments", Some(&owner.access_token), body)
        .await;
    assert_eq!(a.status, 201, "{a:?}");
    a.body["tournament"]["id"].as_str().unwrap().to_string()
}

fn tournament(kind: &str, max: u32) -> Value {
    json!({
        "name": format!("E2E {kind} {}", uuid::Uuid::now_v7()),
        "start_date": "2027-05-01T09:00:00+02:00",
        "max_participants": max,
        "tournament_type": kind,
    })
}

/// Adds `n` participants by name ("P1".."Pn", seeds in that order); returns name → id.
async fn add_players(s: &Stack, owner: &Session, id: &str, n: usize) -> HashMap<String, String> {
    let mut ids = HashMap::new();
    for i in 1..=n {
        let a = s
            .post(
                &format!("/api/tournaments/{id}/participants"),
                Some(&owner.access_token),
                json!({ "name": format!("P{i}") }),
            )
            .await;
        assert_eq!(a.status, 201, "{a:?}");
        assert_eq!(a.body["participant"]["seed"], i);
        ids.insert(
            format!("P{i}"),
            a.body["participant"]["id"].as_str().unwrap().to_string(),
        );
    }
    ids
}

async fn start(s: &Stack, owner: &Session, id: &str) -> Answer {
    s.post(
        &format!("/api/tournaments/{id}/start"),
        Some(&owner.access_token),
        json!({}),
    )
    .await
}

async fn bracket(s: &Stack, id: &str) -> BTreeMap<String, Value> {
    let a = s
        .get_json(&format!("/api/tournaments/{id}/bracket"), None)
        .await;
    assert_eq!(a.status, 200, "{a:?}");
    a.body["bracket"]["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["id"].as_str().unwrap().to_string(), m.clone()))
        .collect()
}

async fn report(
    s: &Stack,
    owner: &Session,
    id: &str,
    m: &str,
    winner: Value,
    score: &str,
) -> Answer {
    s.post(
        &format!("/api/tournaments/{id}/matches/{m}/result"),
        Some(&owner.access_token),
        json!({ "winner_id": winner, "score": score }),
    )
    .await
}

/// Plays every ready match until none is left; `pick` chooses the winner (None: a draw).
async fn play_out(
    s: &Stack,
    owner: &Session,
    id: &str,
    pick: impl Fn(&Value) -> Option<String>,
) -> Answer {
    let mut last = None;
    loop {
        let matches = bracket(s, id).await;
        let Some(m) = matches.values().find(|m| m["status"] == "ready") else {
            return last.expect("at least one match was played");
        };
        let winner = pick(m);
        let a = report(
            s,
            owner,
            id,
            m["id"].as_str().unwrap(),
            json!(winner),
            "2-1",
        )
        .await;
        assert_eq!(a.status, 200, "{a:?}");
        last = Some(a);
    }
}

fn name_of(ids: &HashMap<String, String>, participant: &Value) -> String {
    ids.iter()
        .find(|(_, v)| Some(v.as_str()) == participant.as_str())
        .map(|(k, _)| k.clone())
        .unwrap_or_default()
}

/// The better seed (lower number in "Pn") wins.
fn better_seed(ids: &HashMap<String, String>) -> impl Fn(&Value) -> Option<String> + '_ {
    move |m: &Value| {
        let seed = |p: &Value| name_of(ids, p)[1..].parse::<u32>().unwrap();
        let (a, b) = (&m["participant1_id"], &m["participant2_id"]);
        let w = if seed(a) < seed(b) { a } else { b };
        w.as_str().map(str::to_string)
    }
}

async fn standings(s: &Stack, id: &str, ids: &HashMap<String, String>) -> Vec<(String, u64)> {
    let a = s
        .get_json(&format!("/api/tournaments/{id}/standings"), None)
        .await;
    assert_eq!(a.status, 200, "{a:?}");
    a.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                name_of(ids, &r["participant_id"]),
                r["rank"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_eight_player_single_elimination_with_a_third_place_match() {
    let s = Stack::get();
    let owner = s.user_with_role("owner", "trainer").await;
    let mut body = tournament("single_elimination", 8);
    body["third_place_match"] = json!(true);
    let id = create(&s, &owner, body).await;
    let ids = add_players(&s, &owner, &id, 8).await;
    let a = start(&s, &owner, &id).await;
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(a.body["tournament"]["status"], "in_progress");
    let b = bracket(&s, &id).await;
    let pairs: Vec<(String, String)> = ["W1-1", "W1-2", "W1-3", "W1-4"]
        .iter()
        .map(|m| {
            (
                name_of(&ids, &b[*m]["participant1_id"]),
                name_of(&ids, &b[*m]["participant2_id"]),
            )
        })
        .collect();
    let expected = [("P1", "P8"), ("P4", "P5"), ("P2", "P7"), ("P3", "P6")];
    assert_eq!(
        pairs,
        expected.map(|(a, b)| (a.to_string(), b.to_string())),
        "standard seeding: 1 and 2 meet only in the final"
    );
    // Seeds win, except P4 beats P1 in the semi-final.
    let upset = |m: &Value| {
        if m["id"] == "W2-1" {
            return Some(ids["P4"].clone());
        }
        better_seed(&ids)(m)
    };
    let last = play_out(&s, &owner, &id, upset).await;
    assert_eq!(last.body["tournament"]["status"], "completed");
    let table = standings(&s, &id, &ids).await;
    let ranks: Vec<u64> = table.iter().map(|(_, r)| *r).collect();
    assert_eq!(ranks, vec![1, 2, 3, 4, 5, 5, 5, 5]);
    assert_eq!(table[0].0, "P2", "P2 beat P4 in the final");
    assert_eq!(table[1].0, "P4");
    assert_eq!(table[2].0, "P1", "P1 beat P3 for third place");
    // Every match is decided: reporting again is a conflict.
    let again = report(&s, &owner, &id, "W3-1", json!(ids["P2"]), "2-0").await;
    assert_eq!(again.status, 409);
    assert_eq!(again.problem_code(), "match_already_completed");
}

#[tokio::test]
async fn a_double_elimination_whose_grand_final_is_reset() {
    let s = Stack::get();
    let owner = s.user_with_role("owner", "trainer").await;
    let id = create(&s, &owner, tournament("double_elimination", 6)).await;
    let ids = add_players(&s, &owner, &id, 6).await;
    assert_eq!(start(&s, &owner, &id).await.status, 200);
    let b = bracket(&s, &id).await;
    assert_eq!(
        b["GF2"]["status"], "pending",
        "the reset is listed from the start"
    );
    assert_eq!(
        b.values().filter(|m| m["status"] == "bye").count(),
        2,
        "the top two seeds get byes"
    );
    // The better seed wins everywhere except in the first grand final.
    let lb_wins_gf1 = |m: &Value| {
        if m["id"] == "GF1" {
            return m["participant2_id"].as_str().map(str::to_string);
        }
        better_seed(&ids)(m)
    };
    let last = play_out(&s, &owner, &id, lb_wins_gf1).await;
    assert_eq!(last.body["tournament"]["status"], "completed");
    let b = bracket(&s, &id).await;
    assert_eq!(
        b["GF2"]["status"], "completed",
        "the bracket reset was played"
    );
    let a = s
        .get_json(&format!("/api/tournaments/{id}/standings"), None)
        .await;
    let rows = a.body["items"].as_array().unwrap();
    assert_eq!(rows[0]["rank"], 1);
    assert_eq!(rows[1]["rank"], 2);
    for r in rows {
        let losses = r["losses"].as_u64().unwrap();
        if r["rank"] == 1 {
            assert_eq!(losses, 1, "the champion lost only the first final");
        } else {
            assert_eq!(losses, 2, "{r}");
        }
    }
}

#[tokio::test]
async fn a_five_player_round_robin_with_a_draw() {
    let s = Stack::get();
    let owner = s.user_with_role("owner", "trainer").await;
    let id = create(&s, &owner, tournament("round_robin", 5)).await;
    let ids = add_players(&s, &owner, &id, 5).await;
    assert_eq!(start(&s, &owner, &id).await.status, 200);
    let b = bracket(&s, &id).await;
    assert_eq!(b.len(), 10, "every pair once");
    assert_eq!(
        b.values().filter(|m| m["status"] == "ready").count(),
        2,
        "one round at a time, one player resting"
    );
    let draw = report(&s, &owner, &id, "R1-1", Value::Null, "1-1").await;
    assert_eq!(draw.status, 200, "{draw:?}");
    // P2 and P3 draw; otherwise the better seed wins.
    let pick = |m: &Value| {
        let pair = [
            name_of(&ids, &m["participant1_id"]),
            name_of(&ids, &m["participant2_id"]),
        ];
        if pair.contains(&"P2".to_string()) && pair.contains(&"P3".to_string()) {
            return None;
        }
        better_seed(&ids)(m)
    };
    // R1-1 was already reported above with a draw: the rest follow the rule.
    let last = play_out(&s, &owner, &id, pick).await;
    assert_eq!(last.body["tournament"]["status"], "completed");
    let a = s
        .get_json(&format!("/api/tournaments/{id}/standings"), None)
        .await;
    let rows = a.body["items"].as_array().unwrap();
    let points: u64 = rows.iter().map(|r| r["points"].as_u64().unwrap()).sum();
    let draws: u64 = rows.iter().map(|r| r["draws"].as_u64().unwrap()).sum();
    // 10 matches: 3 points for each decided one, 2 for each draw.
    assert_eq!(points, 3 * (10 - draws / 2) + draws);
    assert!(draws >= 2, "{rows:?}");
    assert_eq!(name_of(&ids, &rows[0]["participant_id"]), "P1");
    assert_eq!(rows[0]["points"], 12);
}

#[tokio::test]
async fn results_are_checked_and_corrections_stop_at_played_matches() {
    let s = Stack::get();
    let owner = s.user_with_role("owner", "trainer").await;
    let id = create(&s, &owner, tournament("single_elimination", 4)).await;
    let ids = add_players(&s, &owner, &id, 4).await;
    assert_eq!(start(&s, &owner, &id).await.status, 200);
    let (p1, p2, p3, p4) = (&ids["P1"], &ids["P2"], &ids["P3"], &ids["P4"]);

    let cases: Vec<(&str, Value, &str, u16, &str)> = vec![
        ("W2-1", json!(p1), "2-0", 409, "match_not_ready"),
        ("W1-1", json!(p2), "2-0", 422, "validation_failed"),
        ("W1-1", Value::Null, "1-1", 422, "validation_failed"),
        ("W1-1", json!(p1), "two-nil", 422, "validation_failed"),
        ("nope", json!(p1), "2-0", 404, "not_found"),
    ];
    for (m, w, score, status, code) in cases {
        let a = report(&s, &owner, &id, m, w, score).await;
        assert_eq!(a.status, status, "{m} {score}: {a:?}");
        assert_eq!(a.problem_code(), code);
    }
    // Two reports of one match at once: exactly one is accepted.
    let (a, b) = tokio::join!(
        report(&s, &owner, &id, "W1-1", json!(p1), "2-0"),
        report(&s, &owner, &id, "W1-1", json!(p4), "0-2"),
    );
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{a:?} {b:?}");
    let winner = if a.status == 200 { &a } else { &b }.body["match"]["winner_id"].clone();
    let loser = if winner == json!(p1) { p4 } else { p1 };

    // Correct it while the final is unplayed: the new winner moves on.
    let a = s
        .send(
            Method::PUT,
            &format!("/api/tournaments/{id}/matches/W1-1/result"),
            Some(&owner.access_token),
            Some(json!({ "winner_id": loser, "score": "1-2" })),
            &[],
        )
        .await;
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(
        bracket(&s, &id).await["W2-1"]["participant1_id"],
        json!(loser)
    );
    let a = report(&s, &owner, &id, "W1-2", json!(p2), "2-0").await;
    assert_eq!(a.status, 200);
    let a = report(&s, &owner, &id, "W2-1", json!(p2), "2-1").await;
    assert_eq!(a.body["tournament"]["status"], "completed");
    let a = s
        .send(
            Method::PUT,
            &format!("/api/tournaments/{id}/matches/W1-1/result"),
            Some(&owner.access_token),
            Some(json!({ "winner_id": winner, "score": "2-0" })),
            &[],
        )
        .await;
    assert_eq!(a.status, 409);
    assert_eq!(a.problem_code(), "downstream_match_completed");
    // The final itself can still be fixed.
    let a = s
        .send(
            Method::PUT,
            &format!("/api/tournaments/{id}/matches/W2-1/result"),
            Some(&owner.access_token),
            Some(json!({ "winner_id": loser, "score": "1-2" })),
            &[],
        )
        .await;
    assert_eq!(a.status, 200, "{a:?}");
    let table = standings(&s, &id, &ids).await;
    assert_eq!(ids[&table[0].0], *loser);
    assert_eq!(table[1].0, "P2");
    assert_eq!(bracket(&s, &id).await["W1-2"]["participant2_id"], json!(p3));
}

#[tokio::test]
async fn a_disqualified_player_forfeits_and_the_bracket_still_finishes() {
    let s = Stack::get();
    let owner = s.user_with_role("owner", "trainer").await;
    let id = create(&s, &owner, tournament("double_elimination", 4)).await;
    let ids = add_players(&s, &owner, &id, 4).await;
    let dq = |p: &str| {
        let path = format!("/api/tournaments/{id}/participants/{p}/disqualify");
        let token = owner.access_token.clone();
        let s = &s;
        async move { s.post(&path, Some(&token), json!({})).await }
    };
    let early = dq(&ids["P1"]).await;
    assert_eq!(early.status, 409);
    assert_eq!(early.problem_code(), "invalid_state");
    assert_eq!(start(&s, &owner, &id).await.status, 200);
    let a = dq(&ids["P1"]).await;
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(a.body["participant"]["disqualified"], true);
    let b = bracket(&s, &id).await;
    assert_eq!(b["W1-1"]["status"], "completed");
    assert_eq!(b["W1-1"]["score"], "forfeit");
    assert_eq!(b["W1-1"]["winner_id"], json!(ids["P4"]));
    assert_eq!(b["W2-1"]["participant1_id"], json!(ids["P4"]));
    let again = dq(&ids["P1"]).await;
    assert_eq!(again.status, 409);
    assert_eq!(again.problem_code(), "already_disqualified");
    let last = play_out(&s, &owner, &id, better_seed(&ids)).await;
    assert_eq!(last.body["tournament"]["status"], "completed");
    let table = standings(&s, &id, &ids).await;
    assert_eq!(table.len(), 4, "the disqualified player is listed too");
    assert_ne!(table[0].0, "P1");
}

/// API.md v1.1 "Dropping out": a round-robin player who drops out forfeits every
/// unplayed match at once, through the gateway and the `tournaments-drop` function.
#[tokio::test]
async fn a_round_robin_player_who_drops_out_forfeits_every_match_at_once() {
    let s = Stack::get();
    let owner = s.user_with_role("owner", "trainer").await;
    let id = create(&s, &owner, tournament("round_robin", 5)).await;
    let ids = add_players(&s, &owner, &id, 5).await;
    let drop = |p: &str| {
        let path = format!("/api/tournaments/{id}/participants/{p}/drop");
        let token = owner.access_token.clone();
        let s = &s;
        async move { s.post(&path, Some(&token), json!({})).await }
    };
    let early = drop(&ids["P3"]).await;
    assert_eq!(early.status, 409);
    assert_eq!(early.problem_code(), "invalid_state");
    assert_eq!(start(&s, &owner, &id).await.status, 200);
    let a = drop(&ids["P3"]).await;
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(a.body["participant"]["status"], "dropped");
    // The answer's bracket already shows every one of P3's four matches forfeited.
    let p3 = json!(ids["P3"]);
    let theirs: Vec<&Value> = a.body["bracket"]["matches"]
        .as_array()
        .expect("matches")
        .iter()
        .filter(|m| m["participant1_id"] == p3 || m["participant2_id"] == p3)
        .collect();
    assert_eq!(theirs.len(), 4);
    for m in theirs {
        assert_eq!(
            (&m["status"], &m["score"]),
            (&json!("completed"), &json!("forfeit")),
            "{m}"
        );
        assert_ne!(m["winner_id"], p3);
    }
    let again = drop(&ids["P3"]).await;
    assert_eq!(again.status, 409);
    assert_eq!(again.problem_code(), "invalid_state");
    let provisional = s
        .get_json(&format!("/api/tournaments/{id}/standings"), None)
        .await;
    assert_eq!(provisional.body["provisional"], true, "{provisional:?}");
    let last = play_out(&s, &owner, &id, better_seed(&ids)).await;
    assert_eq!(last.body["tournament"]["status"], "completed");
    let table = standings(&s, &id, &ids).await;
    assert_eq!(table.len(), 5, "the player who dropped out keeps a place");
    let finished = s
        .get_json(&format!("/api/tournaments/{id}/standings"), None)
        .await;
    assert_eq!(finished.body["provisional"], false);
}

#[tokio::test]
async fn capacity_holds_under_a_rush_and_seeds_have_no_gaps() {
    let s = Stack::get();
    let owner = s.user_with_role("owner", "trainer").await;
    let id = create(&s, &owner, tournament("single_elimination", 16)).await;
    let path = format!("/api/tournaments/{id}/participants");
    let started = std::time::Instant::now();
    let answers = futures::future::join_all((0..200).map(|i| {
        s.post(
            &path,
            Some(&owner.access_token),
            json!({ "name": format!("rush {i}") }),
        )
    }))
    .await;
    eprintln!(
        "200 simultaneous joins to 16 places answered in {:?}",
        started.elapsed()
    );
    let mut count: HashMap<(u16, String), usize> = HashMap::new();
    for a in &answers {
        let code = if a.status == 201 {
            String::new()
        } else {
            a.problem_code().to_string()
        };
        *count.entry((a.status.as_u16(), code)).or_default() += 1;
    }
    assert_eq!(count.get(&(201, String::new())), Some(&16), "{count:?}");
    assert_eq!(
        count.get(&(409, "tournament_full".into())),
        Some(&184),
        "{count:?}"
    );
    let list = s.get_json(&path, None).await;
    let seeds: Vec<u64> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["seed"].as_u64().unwrap())
        .collect();
    assert_eq!(seeds, (1..=16).collect::<Vec<u64>>());

    // Seeds follow insertions and departures without gaps.
    let other = create(&s, &owner, tournament("round_robin", 8)).await;
    let ids = add_players(&s, &owner, &other, 3).await;
    let path = format!("/api/tournaments/{other}/participants");
    let a = s
        .post(
            &path,
            Some(&owner.access_token),
            json!({"name": "Late", "seed": 1}),
        )
        .await;
    assert_eq!(a.body["participant"]["seed"], 1, "{a:?}");
    let gone = s
        .delete(&format!("{path}/{}", ids["P2"]), Some(&owner.access_token))
        .await;
    assert_eq!(gone.status, 204, "{gone:?}");
    let names: Vec<(u64, String)> = s.get_json(&path, None).await.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["seed"].as_u64().unwrap(),
                p["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        names,
        vec![(1, "Late".into()), (2, "P1".into()), (3, "P3".into())]
    );
}

#[tokio::test]
async fn a_member_joins_once_and_only_owners_and_admins_manage() {
    let s = Stack::get();
    let owner = s.user_with_role("owner", "trainer").await;
    let other = s.user_with_role("other", "trainer").await;
    let member = s.user_with_role("player", "member").await;
    let unapproved = s.new_user("newbie").await;
    let body = tournament("single_elimination", 4);

    assert_eq!(
        s.post("/api/tournaments", None, body.clone()).await.status,
        401
    );
    let a = s
        .post(
            "/api/tournaments",
            Some(&unapproved.access_token),
            body.clone(),
        )
        .await;
    assert_eq!(a.status, 403, "an unapproved member: {a:?}");
    let a = s
        .post("/api/tournaments", Some(&member.access_token), body.clone())
        .await;
    assert_eq!((a.status.as_u16(), a.problem_code()), (403, "forbidden"));
    let id = create(&s, &owner, body).await;

    // Ten simultaneous self-joins by one member: exactly one place.
    let path = format!("/api/tournaments/{id}/participants");
    let joins = futures::future::join_all(
        (0..10).map(|_| s.post(&path, Some(&member.access_token), json!({}))),
    )
    .await;
    assert_eq!(joins.iter().filter(|a| a.status == 201).count(), 1);
    for a in joins.iter().filter(|a| a.status != 201) {
        assert_eq!(
            (a.status.as_u16(), a.problem_code()),
            (409, "already_registered")
        );
    }
    let a = s
        .post(&path, Some(&member.access_token), json!({"name": "Sneaky"}))
        .await;
    assert_eq!((a.status.as_u16(), a.problem_code()), (403, "forbidden"));

    // Another trainer may not manage it; an admin may.
    let patch = |token: String| {
        let s = &s;
        let path = format!("/api/tournaments/{id}");
        async move {
            s.send(
                Method::PATCH,
                &path,
                Some(&token),
                Some(json!({"name": "Renamed"})),
                &[],
            )
            .await
        }
    };
    let a = patch(other.access_token.clone()).await;
    assert_eq!((a.status.as_u16(), a.problem_code()), (403, "forbidden"));
    let root = s.root().await;
    let a = patch(root.access_token.clone()).await;
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(a.body["tournament"]["name"], "Renamed");
    let a = s
        .send(
            Method::PATCH,
            &format!("/api/tournaments/{id}"),
            Some(&owner.access_token),
            Some(json!({"max_participants": 2, "description": "x"})),
            &[],
        )
        .await;
    assert_eq!(a.status, 200, "{a:?}");
    let a = s
        .send(
            Method::PATCH,
            &format!("/api/tournaments/{id}"),
            Some(&owner.access_token),
            Some(json!({})),
            &[],
        )
        .await;
    assert_eq!((a.status.as_u16(), a.problem_code()), (400, "bad_request"));

    // Anyone reads.
    for p in ["", "/participants", "/bracket", "/standings"] {
        let a = s.get_json(&format!("/api/tournaments/{id}{p}"), None).await;
        assert_eq!(a.status, 200, "{p}: {a:?}");
    }

    // Cancel: then nobody joins and nothing starts.
    let a = s
        .delete(&format!("/api/tournaments/{id}"), Some(&other.access_token))
        .await;
    assert_eq!(a.status, 403);
    let a = s
        .delete(&format!("/api/tournaments/{id}"), Some(&owner.access_token))
        .await;
    assert_eq!(a.body["tournament"]["status"], "cancelled", "{a:?}");
    let late = s.user_with_role("late", "member").await;
    let a = s.post(&path, Some(&late.access_token), json!({})).await;
    assert_eq!(
        (a.status.as_u16(), a.problem_code()),
        (409, "registration_closed")
    );
    let a = start(&s, &owner, &id).await;
    assert_eq!(
        (a.status.as_u16(), a.problem_code()),
        (409, "invalid_state")
    );
}

#[tokio::test]
async fn bad_input_is_refused_with_the_field_named() {
    let s = Stack::get();
    let owner = s.user_with_role("owner", "trainer").await;
    let a = s
        .post(
            "/api/tournaments",
            Some(&owner.access_token),
            json!({"name": " ", "start_date": "tomorrow", "max_participants": 257, "tournament_type": "ladder"}),
        )
        .await;
    assert_eq!(a.status, 422, "{a:?}");
    let mut fields: Vec<&str> = a.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        vec!["max_participants", "name", "start_date", "tournament_type"]
    );
    let a = s
        .post(
            "/api/tournaments",
            Some(&owner.access_token),
            json!({"name": "x", "start_date": "2027-01-01T00:00:00Z", "max_participants": "8", "tournament_type": "round_robin"}),
        )
        .await;
    assert_eq!(a.status, 422, "wrong type: {a:?}");
    let a = s
        .get_json(&format!("/api/tournaments/{}", uuid::Uuid::now_v7()), None)
        .await;
    assert_eq!((a.status.as_u16(), a.problem_code()), (404, "not_found"));
    let a = s.get_json("/api/tournaments?cursor=forged", None).await;
    assert_eq!((a.status.as_u16(), a.problem_code()), (400, "bad_request"));
    let a = s.get_json("/api/tournaments?limit=0", None).await;
    assert_eq!(a.status, 422);
    let a = s.get_json("/api/tournaments?status=finished", None).await;
    assert_eq!(a.status, 422);

    // Listing: newest start date first, paginated.
    let tag = uuid::Uuid::now_v7().to_string();
    for day in ["2031-01-10", "2031-01-12", "2031-01-11"] {
        let mut body = tournament("round_robin", 4);
        body["name"] = json!(format!("{tag} {day}"));
        body["start_date"] = json!(format!("{day}T10:00:00Z"));
        create(&s, &owner, body).await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..50 {
        let mut path = "/api/tournaments?status=registration_open&limit=2".to_string();
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let a = s.get_json(&path, None).await;
        assert_eq!(a.status, 200, "{a:?}");
        let items = a.body["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(
            items
                .iter()
                .filter_map(|t| t["name"].as_str())
                .filter(|n| n.starts_with(&tag))
                .map(str::to_string),
        );
        match a.body["next_cursor"].as_str() {
            Some(c) if seen.len() < 3 => cursor = Some(c.to_string()),
            _ => break,
        }
    }
    assert_eq!(
        seen,
        ["2031-01-12", "2031-01-11", "2031-01-10"].map(|d| format!("{tag} {d}"))
    );
}
