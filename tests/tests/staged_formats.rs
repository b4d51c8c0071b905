//! Swiss nights and group stages played end to end through the gateway (API.md v1.1
//! "Swiss", "Groups, then playoffs"): the next round or the playoff arrives in the answer
//! of the result that completes a stage, standings carry the tie-breaks and the groups,
//! and bad input is a clear 4xx.

use std::collections::{BTreeMap, HashMap, HashSet};

use gymit_e2e::{Answer, Session, Stack};
use serde_json::{json, Value};

fn tournament(kind: &str, max: u32, extra: Value) -> Value {
    let mut body = json!({
        "name": format!("E2E {kind} {}", uuid::Uuid::now_v7()),
        "start_date": "2027-05-01T09:00:00+02:00",
        "max_participants": max,
        "tournament_type": kind,
    });
    for (k, v) in extra.as_object().cloned().unwrap_or_default() {
        body[k] = v;
    }
    body
}

async fn create(s: &Stack, owner: &Session, body: Value) -> Answer {
    s.post("/api/tournaments", Some(&owner.access_token), body)
        .await
}

async fn created(s: &Stack, owner: &Session, body: Value) -> Value {
    let a = create(s, owner, body).await;
    assert_eq!(a.status, 201, "{a:?}");
    a.body["tournament"].clone()
}

/// Adds "P1".."Pn" (seeds in that order); returns name → id.
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

async fn report(s: &Stack, owner: &Session, id: &str, m: &str, winner: Value) -> Answer {
    s.post(
        &format!("/api/tournaments/{id}/matches/{m}/result"),
        Some(&owner.access_token),
        json!({ "winner_id": winner, "score": if winner.is_null() { "1-1" } else { "2-1" } }),
    )
    .await
}

fn name_of(ids: &HashMap<String, String>, participant: &Value) -> String {
    ids.iter()
        .find(|(_, v)| Some(v.as_str()) == participant.as_str())
        .map(|(k, _)| k.clone())
        .unwrap_or_default()
}

fn seed(ids: &HashMap<String, String>, p: &Value) -> u32 {
    name_of(ids, p)[1..].parse().unwrap()
}

/// The better seed of a match (lower "Pn").
fn better(ids: &HashMap<String, String>, m: &Value) -> Value {
    let (a, b) = (&m["participant1_id"], &m["participant2_id"]);
    if seed(ids, a) < seed(ids, b) {
        a.clone()
    } else {
        b.clone()
    }
}

/// Reports every ready match of `side` in turn (the better seed wins, except where `draw`
/// says so), and returns the answer of the last report.
async fn play_ready(
    s: &Stack,
    owner: &Session,
    id: &str,
    ids: &HashMap<String, String>,
    side: &str,
    draw: impl Fn(&Value) -> bool,
) -> Answer {
    let ready: Vec<Value> = bracket(s, id)
        .await
        .into_values()
        .filter(|m| m["status"] == "ready" && m["bracket"] == side)
        .collect();
    assert!(!ready.is_empty(), "nothing ready on {side}");
    let mut last = None;
    for m in ready {
        let winner = if draw(&m) {
            Value::Null
        } else {
            better(ids, &m)
        };
        let a = report(s, owner, id, m["id"].as_str().unwrap(), winner).await;
        assert_eq!(a.status, 200, "{a:?}");
        last = Some(a);
    }
    last.unwrap()
}

async fn standings(s: &Stack, id: &str) -> Value {
    let a = s
        .get_json(&format!("/api/tournaments/{id}/standings"), None)
        .await;
    assert_eq!(a.status, 200, "{a:?}");
    a.body
}

#[tokio::test]
async fn an_eight_player_swiss_with_a_top_cut_of_four_is_played_to_the_end() {
    let s = Stack::get();
    let owner = s.user_with_role("swiss", "trainer").await;
    let t = created(&s, &owner, tournament("swiss", 8, json!({"top_cut": 4}))).await;
    assert_eq!(t["tournament_type"], "swiss");
    assert_eq!(t["top_cut"], 4);
    assert_eq!(t["swiss_rounds"], Value::Null);
    assert_eq!(t["current_round"], Value::Null);
    let id = t["id"].as_str().unwrap().to_string();
    let ids = add_players(&s, &owner, &id, 8).await;

    let a = start(&s, &owner, &id).await;
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(a.body["tournament"]["current_round"], 1);
    assert_eq!(a.body["tournament"]["swiss_rounds"], 3, "⌈log2 8⌉");
    let b = bracket(&s, &id).await;
    assert_eq!(b.len(), 4, "only round 1 exists after the start");
    let pairs: Vec<(String, String)> = b
        .values()
        .map(|m| {
            assert_eq!(
                (m["bracket"].as_str(), m["round"].as_u64()),
                (Some("swiss"), Some(1))
            );
            (
                name_of(&ids, &m["participant1_id"]),
                name_of(&ids, &m["participant2_id"]),
            )
        })
        .collect();
    let expected = [("P1", "P5"), ("P2", "P6"), ("P3", "P7"), ("P4", "P8")];
    assert_eq!(pairs, expected.map(|(a, b)| (a.to_string(), b.to_string())));

    let mut met: HashSet<(String, String)> = HashSet::new();
    let mut remember = |m: &Value| {
        let (a, b) = (
            name_of(&ids, &m["participant1_id"]),
            name_of(&ids, &m["participant2_id"]),
        );
        assert!(
            met.insert(if a < b {
                (a.clone(), b.clone())
            } else {
                (b, a)
            }),
            "a rematch: {m}"
        );
    };
    b.values().for_each(&mut remember);
    for round in 2..=3u64 {
        // One draw in round 1 (P3 v P7), the better seed wins everything else.
        let last = play_ready(&s, &owner, &id, &ids, "swiss", |m| {
            round == 2 && name_of(&ids, &m["participant1_id"]) == "P3"
        })
        .await;
        // The report that completed the round carries the next one.
        let next: Vec<&Value> = last.body["updated_matches"]
            .as_array()
            .expect("updated_matches")
            .iter()
            .filter(|m| m["round"] == round && m["bracket"] == "swiss")
            .collect();
        assert_eq!(next.len(), 4, "{:?}", last.body);
        assert!(next.iter().all(|m| m["status"] == "ready"));
        next.iter().for_each(|m| remember(m));
        assert_eq!(last.body["tournament"]["current_round"], round);
        assert_eq!(last.body["tournament"]["status"], "in_progress");
    }
    // Mid-way, the table carries both tie-breaks.
    let mid = standings(&s, &id).await;
    let rows = mid["items"].as_array().unwrap();
    assert_eq!(rows.len(), 8);
    assert!(rows
        .iter()
        .all(|r| r["buchholz"].is_u64() && r["sonneborn_berger"].is_number()));
    let ranks: Vec<u64> = rows.iter().map(|r| r["rank"].as_u64().unwrap()).collect();
    assert_eq!(
        ranks,
        (1..=8).collect::<Vec<u64>>(),
        "tied players share no rank"
    );

    // Round 3 completes the Swiss: the top cut of 4 arrives in the same answer.
    let last = play_ready(&s, &owner, &id, &ids, "swiss", |_| false).await;
    let cut: Vec<&Value> = last.body["updated_matches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["bracket"] == "playoff")
        .collect();
    assert_eq!(cut.len(), 3, "two semi-finals and a final: {:?}", last.body);
    let table = standings(&s, &id).await;
    let top: Vec<String> = table["items"].as_array().unwrap()[..4]
        .iter()
        .map(|r| r["participant_id"].as_str().unwrap().to_string())
        .collect();
    let semis: Vec<(String, String)> = cut
        .iter()
        .filter(|m| m["round"] == 1)
        .map(|m| {
            (
                m["participant1_id"].as_str().unwrap().to_string(),
                m["participant2_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        semis,
        vec![
            (top[0].clone(), top[3].clone()),
            (top[1].clone(), top[2].clone())
        ],
        "seeded by Swiss rank, standard seeding"
    );
    // A draw is no result in the playoff.
    let semi = cut.iter().find(|m| m["round"] == 1).unwrap();
    let draw = report(&s, &owner, &id, semi["id"].as_str().unwrap(), Value::Null).await;
    assert_eq!(draw.status, 422, "{draw:?}");
    play_ready(&s, &owner, &id, &ids, "playoff", |_| false).await;
    let last = play_ready(&s, &owner, &id, &ids, "playoff", |_| false).await;
    assert_eq!(last.body["tournament"]["status"], "completed");
    let fin = standings(&s, &id).await;
    let first = &fin["items"][0];
    let final_match = bracket(&s, &id)
        .await
        .into_values()
        .find(|m| m["bracket"] == "playoff" && m["round"] == 2)
        .unwrap();
    assert_eq!(first["participant_id"], final_match["winner_id"]);
    assert_eq!(first["rank"], 1);
    assert_eq!(fin["provisional"], false);
}

#[tokio::test]
async fn a_two_group_stage_draws_its_playoff_when_the_groups_end() {
    let s = Stack::get();
    let owner = s.user_with_role("groups", "trainer").await;
    let body = tournament(
        "group_stage",
        8,
        json!({"group_count": 2, "advance_per_group": 2}),
    );
    let t = created(&s, &owner, body).await;
    assert_eq!(t["playoff_type"], "single_elimination");
    let id = t["id"].as_str().unwrap().to_string();
    let ids = add_players(&s, &owner, &id, 8).await;
    let a = start(&s, &owner, &id).await;
    assert_eq!(a.status, 200, "{a:?}");
    let b = bracket(&s, &id).await;
    assert_eq!(b.len(), 12, "two round robins of four");
    // Snake seeding: A = P1, P4, P5, P8; B = P2, P3, P6, P7.
    let mut groups: BTreeMap<String, HashSet<String>> = BTreeMap::new();
    for m in b.values() {
        assert_eq!(m["bracket"], "group");
        let g = groups
            .entry(m["group"].as_str().unwrap().to_string())
            .or_default();
        g.insert(name_of(&ids, &m["participant1_id"]));
        g.insert(name_of(&ids, &m["participant2_id"]));
    }
    let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<HashSet<_>>();
    assert_eq!(groups["A"], names(&["P1", "P4", "P5", "P8"]));
    assert_eq!(groups["B"], names(&["P2", "P3", "P6", "P7"]));

    // Every group match; one draw (P5 v P8).
    let is_draw = |m: &Value| {
        let pair = names(&[
            &name_of(&ids, &m["participant1_id"]),
            &name_of(&ids, &m["participant2_id"]),
        ]);
        pair == names(&["P5", "P8"])
    };
    let mut last = None;
    while bracket(&s, &id)
        .await
        .values()
        .any(|m| m["bracket"] == "group" && m["status"] == "ready")
    {
        last = Some(play_ready(&s, &owner, &id, &ids, "group", is_draw).await);
    }
    let last = last.unwrap();
    let playoff: Vec<&Value> = last.body["updated_matches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["bracket"] == "winners")
        .collect();
    assert_eq!(playoff.len(), 3, "{:?}", last.body);
    // Group winners on top, no first-round rematch of a group: P1 v P3, P2 v P4.
    let semis: HashSet<(String, String)> = playoff
        .iter()
        .filter(|m| m["round"] == 1)
        .map(|m| {
            (
                name_of(&ids, &m["participant1_id"]),
                name_of(&ids, &m["participant2_id"]),
            )
        })
        .collect();
    assert_eq!(
        semis,
        HashSet::from([("P1".into(), "P3".into()), ("P2".into(), "P4".into())])
    );
    let table = standings(&s, &id).await;
    let groups = table["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0]["group"], "A");
    assert_eq!(
        name_of(&ids, &groups[0]["items"][0]["participant_id"]),
        "P1"
    );
    assert_eq!(
        name_of(&ids, &groups[1]["items"][1]["participant_id"]),
        "P3"
    );

    play_ready(&s, &owner, &id, &ids, "winners", |_| false).await;
    let last = play_ready(&s, &owner, &id, &ids, "winners", |_| false).await;
    assert_eq!(last.body["tournament"]["status"], "completed");
    let fin = standings(&s, &id).await;
    let items = fin["items"].as_array().unwrap();
    assert_eq!(items.len(), 8);
    assert_eq!(name_of(&ids, &items[0]["participant_id"]), "P1");
    assert_eq!(items[0]["rank"], 1);
    // Out in the groups: the thirds (P5, P6) above the fourths (P8, P7).
    let tail: Vec<String> = items[4..]
        .iter()
        .map(|r| name_of(&ids, &r["participant_id"]))
        .collect();
    assert_eq!(
        names(&tail[..2].iter().map(String::as_str).collect::<Vec<_>>()),
        names(&["P5", "P6"])
    );
}

#[tokio::test]
async fn bad_staged_formats_are_refused_clearly() {
    let s = Stack::get();
    let owner = s.user_with_role("stagedbad", "trainer").await;
    // A field of another format, or a value out of range: 422 naming the field.
    for (kind, extra, field) in [
        ("round_robin", json!({"top_cut": 4}), "top_cut"),
        (
            "single_elimination",
            json!({"swiss_rounds": 3}),
            "swiss_rounds",
        ),
        ("swiss", json!({"group_count": 2}), "group_count"),
        ("swiss", json!({"top_cut": 3}), "top_cut"),
        ("swiss", json!({"swiss_rounds": 0}), "swiss_rounds"),
        (
            "group_stage",
            json!({"advance_per_group": 2}),
            "group_count",
        ),
        (
            "group_stage",
            json!({"group_count": 2}),
            "advance_per_group",
        ),
        (
            "group_stage",
            json!({"group_count": 17, "advance_per_group": 1}),
            "group_count",
        ),
        (
            "group_stage",
            json!({"group_count": 2, "advance_per_group": 5}),
            "advance_per_group",
        ),
        (
            "group_stage",
            json!({"group_count": 2, "advance_per_group": 1, "playoff_type": "round_robin"}),
            "playoff_type",
        ),
    ] {
        let a = create(&s, &owner, tournament(kind, 8, extra.clone())).await;
        assert_eq!(a.status, 422, "{kind} {extra}: {a:?}");
        assert!(a.body.to_string().contains(field), "{kind} {extra}: {a:?}");
    }
    // Too few players for what was asked: 409 at the start, nothing changes.
    for (kind, extra, players) in [
        ("swiss", json!({"swiss_rounds": 4}), 4),
        ("swiss", json!({"top_cut": 8}), 6),
        (
            "group_stage",
            json!({"group_count": 4, "advance_per_group": 2}),
            8,
        ),
    ] {
        let t = created(&s, &owner, tournament(kind, 8, extra.clone())).await;
        let id = t["id"].as_str().unwrap().to_string();
        add_players(&s, &owner, &id, players).await;
        let a = start(&s, &owner, &id).await;
        assert_eq!(a.status, 409, "{kind} {extra}: {a:?}");
        assert_eq!(a.problem_code(), "not_enough_participants");
        let again = s.get_json(&format!("/api/tournaments/{id}"), None).await;
        assert_eq!(again.body["tournament"]["status"], "registration_open");
    }
    // A correction once a later round of either player is played: 409.
    let t = created(
        &s,
        &owner,
        tournament("swiss", 4, json!({"swiss_rounds": 2})),
    )
    .await;
    let id = t["id"].as_str().unwrap().to_string();
    let ids = add_players(&s, &owner, &id, 4).await;
    assert_eq!(start(&s, &owner, &id).await.status, 200);
    let r1 = play_ready(&s, &owner, &id, &ids, "swiss", |_| false).await;
    let r2: Vec<Value> = r1.body["updated_matches"].as_array().unwrap().to_vec();
    assert_eq!(r2.len(), 2);
    let played = &r2[0];
    let a = report(
        &s,
        &owner,
        &id,
        played["id"].as_str().unwrap(),
        better(&ids, played),
    )
    .await;
    assert_eq!(a.status, 200, "{a:?}");
    let earlier = bracket(&s, &id)
        .await
        .into_values()
        .find(|m| {
            m["round"] == 1
                && (m["participant1_id"] == played["participant1_id"]
                    || m["participant2_id"] == played["participant1_id"])
        })
        .unwrap();
    let fix = s
        .send(
            reqwest::Method::PUT,
            &format!(
                "/api/tournaments/{id}/matches/{}/result",
                earlier["id"].as_str().unwrap()
            ),
            Some(&owner.access_token),
            Some(json!({"winner_id": null, "score": "1-1"})),
            &[],
        )
        .await;
    assert_eq!(fix.status, 409, "{fix:?}");
    assert_eq!(fix.problem_code(), "downstream_match_completed");
}

/// Every Swiss match of `round` in `matches` (a bracket's `matches`).
fn swiss_round(matches: &[Value], round: u64) -> Vec<Value> {
    matches
        .iter()
        .filter(|m| m["bracket"] == "swiss" && m["round"] == round)
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_disqualified_swiss_player_forfeits_the_round_and_is_never_paired_again() {
    let s = Stack::get();
    let owner = s.user_with_role("swissdq", "trainer").await;
    let t = created(
        &s,
        &owner,
        tournament("swiss", 6, json!({"swiss_rounds": 3})),
    )
    .await;
    let id = t["id"].as_str().unwrap().to_string();
    let ids = add_players(&s, &owner, &id, 6).await;
    assert_eq!(start(&s, &owner, &id).await.status, 200);
    let p6 = Value::String(ids["P6"].clone());

    // Round 1: P1-P4, P2-P5, P3-P6. Two results, then P6 is disqualified: their unplayed
    // match is a forfeit, which completes the round, so round 2 is paired in that write.
    let round1: Vec<Value> = bracket(&s, &id).await.into_values().collect();
    for m in &round1 {
        if m["participant2_id"] != p6 {
            let a = report(&s, &owner, &id, m["id"].as_str().unwrap(), better(&ids, m)).await;
            assert_eq!(a.status, 200, "{a:?}");
            assert_eq!(
                a.body["tournament"]["current_round"], 1,
                "the round is not complete yet"
            );
        }
    }
    let dq = s
        .post(
            &format!(
                "/api/tournaments/{id}/participants/{}/disqualify",
                ids["P6"]
            ),
            Some(&owner.access_token),
            json!({}),
        )
        .await;
    assert_eq!(dq.status, 200, "{dq:?}");
    let matches = dq.body["bracket"]["matches"].as_array().unwrap().clone();
    let forfeit = swiss_round(&matches, 1)
        .into_iter()
        .find(|m| m["participant2_id"] == p6)
        .unwrap();
    assert_eq!(
        (forfeit["status"].as_str(), forfeit["score"].as_str()),
        (Some("completed"), Some("forfeit"))
    );
    assert_eq!(forfeit["winner_id"], ids["P3"].as_str());

    let mut byes: Vec<Value> = Vec::new();
    let mut met: HashSet<(String, String)> = round1
        .iter()
        .map(|m| {
            let (a, b) = (
                m["participant1_id"].as_str().unwrap().to_string(),
                m["participant2_id"].as_str().unwrap().to_string(),
            );
            (a.clone().min(b.clone()), a.max(b))
        })
        .collect();
    let mut check_round = |round_matches: &[Value], met: &mut HashSet<(String, String)>| {
        // Five active players: two games and one bye, P6 nowhere, nobody twice, no rematch.
        assert_eq!(round_matches.len(), 3, "{round_matches:?}");
        let mut seen = HashSet::new();
        for m in round_matches {
            for side in ["participant1_id", "participant2_id"] {
                if !m[side].is_null() {
                    assert_ne!(m[side], p6, "a disqualified player was paired: {m}");
                    assert!(
                        seen.insert(m[side].to_string()),
                        "paired twice: {round_matches:?}"
                    );
                }
            }
            if m["status"] == "bye" {
                byes.push(m["participant1_id"].clone());
            } else {
                let (a, b) = (
                    m["participant1_id"].as_str().unwrap().to_string(),
                    m["participant2_id"].as_str().unwrap().to_string(),
                );
                assert!(
                    met.insert((a.clone().min(b.clone()), a.max(b))),
                    "a rematch: {m}"
                );
            }
        }
        assert_eq!(seen.len(), 5);
    };
    check_round(&swiss_round(&matches, 2), &mut met);
    let now = s.get_json(&format!("/api/tournaments/{id}"), None).await;
    assert_eq!(now.body["tournament"]["current_round"], 2);

    let last = play_ready(&s, &owner, &id, &ids, "swiss", |_| false).await;
    let round3: Vec<Value> = last.body["updated_matches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["round"] == 3)
        .cloned()
        .collect();
    check_round(&round3, &mut met);
    assert_ne!(
        byes[0], byes[1],
        "a second bye for the same player: {byes:?}"
    );

    let last = play_ready(&s, &owner, &id, &ids, "swiss", |_| false).await;
    assert_eq!(last.body["tournament"]["status"], "completed");
    let table = standings(&s, &id).await;
    let items = table["items"].as_array().unwrap();
    assert_eq!(
        items.len(),
        6,
        "the disqualified player keeps a place: {table}"
    );
    assert!(items.iter().any(|r| r["participant_id"] == p6));
}
