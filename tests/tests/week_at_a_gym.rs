//! The week at a gym (API.md v1.1) through the gateway, on a stack that has already carried
//! other traffic (each race first runs a rush with refused, cancelled transactions): the
//! waitlist under 40 simultaneous joins, leaves racing joins, a check-in night whose start
//! replaces a no-show from the waitlist, and a trainer's pasted list of players.

use std::collections::{BTreeSet, HashMap};

use futures::future::join_all;
use gymit_e2e::{Session, Stack};
use serde_json::{json, Value};

async fn create(s: &Stack, owner: &Session, body: Value) -> String {
    let a = s
        .post("/api/tournaments", Some(&owner.access_token), body)
        .await;
    assert_eq!(a.status, 201, "{a:?}");
    a.body["tournament"]["id"].as_str().unwrap().to_string()
}

fn tournament(max: u32, waitlist: u32) -> Value {
    json!({
        "name": format!("E2E week {}", uuid::Uuid::now_v7()),
        "start_date": "2027-05-01T09:00:00Z",
        "max_participants": max,
        "tournament_type": "single_elimination",
        "waitlist_size": waitlist,
    })
}

async fn members(s: &Stack, prefix: &str, n: usize) -> Vec<Session> {
    join_all((0..n).map(|i| {
        let s = &s;
        async move { s.user_with_role(&format!("{prefix}{i}"), "member").await }
    }))
    .await
}

/// Traffic before a race: a rush on a small tournament, whose refused joins are cancelled
/// transactions (the emulator restores tables on each: FACTS.md).
async fn carry_traffic(s: &Stack, owner: &Session) {
    let id = create(s, owner, tournament(2, 0)).await;
    let path = format!("/api/tournaments/{id}/participants");
    let answers = join_all((0..12).map(|i| {
        s.post(
            &path,
            Some(&owner.access_token),
            json!({ "name": format!("warm-up {i}") }),
        )
    }))
    .await;
    let full = answers.iter().filter(|a| a.status == 409).count();
    assert_eq!(full, 10, "the warm-up rush");
}

/// (user ids in the field, waitlist user ids by position, positions).
async fn lists(s: &Stack, id: &str) -> (Vec<String>, Vec<String>, Vec<u64>) {
    let field = s
        .get_json(&format!("/api/tournaments/{id}/participants"), None)
        .await;
    let line = s
        .get_json(&format!("/api/tournaments/{id}/waitlist"), None)
        .await;
    assert_eq!(
        (field.status.as_u16(), line.status.as_u16()),
        (200, 200),
        "{line:?}"
    );
    let users = |v: &Value, key: &str| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e[key].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let positions = line.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["position"].as_u64().unwrap())
        .collect();
    (
        users(&field.body, "user_id"),
        users(&line.body, "user_id"),
        positions,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_members_race_for_eight_places_and_eight_waitlist_places() {
    let s = Stack::get();
    let owner = s.user_with_role("wk-owner", "trainer").await;
    let racers = members(&s, "wk-racer", 40).await;
    carry_traffic(&s, &owner).await;
    let id = create(&s, &owner, tournament(8, 8)).await;
    let path = format!("/api/tournaments/{id}/participants");
    let started = std::time::Instant::now();
    let answers = join_all(
        racers
            .iter()
            .map(|r| s.post(&path, Some(&r.access_token), json!({}))),
    )
    .await;
    let elapsed = started.elapsed();
    let mut count: HashMap<(u16, String), usize> = HashMap::new();
    for a in &answers {
        let code = if a.status.is_success() {
            String::new()
        } else {
            a.problem_code().to_string()
        };
        *count.entry((a.status.as_u16(), code)).or_default() += 1;
    }
    eprintln!("40 simultaneous joins to 8 places + 8 waitlist places: {count:?} in {elapsed:?}");
    assert_eq!(count.get(&(201, String::new())), Some(&8), "{count:?}");
    assert_eq!(count.get(&(202, String::new())), Some(&8), "{count:?}");
    assert_eq!(
        count.get(&(409, "tournament_full".into())),
        Some(&24),
        "{count:?}"
    );
    let (field, line, positions) = lists(&s, &id).await;
    assert_eq!(field.len(), 8);
    assert_eq!(positions, (1..=8).collect::<Vec<u64>>());
    let field: BTreeSet<_> = field.into_iter().collect();
    assert!(line.iter().all(|u| !field.contains(u)), "in both lists");
    // Every 202 answered the position its entry holds now.
    let mut answered: Vec<u64> = answers
        .iter()
        .filter(|a| a.status == 202)
        .map(|a| a.body["waitlist_entry"]["position"].as_u64().unwrap())
        .collect();
    answered.sort_unstable();
    assert_eq!(answered, (1..=8).collect::<Vec<u64>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn leaves_racing_joins_never_overfill_and_promote_in_line_order() {
    let s = Stack::get();
    let owner = s.user_with_role("wl-owner", "trainer").await;
    let people = members(&s, "wl-member", 20).await;
    carry_traffic(&s, &owner).await;
    let id = create(&s, &owner, tournament(8, 8)).await;
    let path = format!("/api/tournaments/{id}/participants");
    // Eight in the field, six in line (in this order).
    for p in &people[..14] {
        let a = s.post(&path, Some(&p.access_token), json!({})).await;
        assert!(a.status == 201 || a.status == 202, "{a:?}");
    }
    let (field, line_before, _) = lists(&s, &id).await;
    assert_eq!((field.len(), line_before.len()), (8, 6));
    let participant_of: HashMap<String, String> = s.get_json(&path, None).await.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["user_id"].as_str().unwrap().to_string(),
                p["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();

    // At once: four participants leave, the last in line leaves the line, six newcomers
    // join.
    let leaves = people[..4].iter().map(|p| {
        let url = format!("{path}/{}", participant_of[&p.id]);
        let s = &s;
        async move { s.delete(&url, Some(&p.access_token)).await }
    });
    let last = &people[13];
    let last_entry = format!("/api/tournaments/{id}/waitlist/{}", last.id);
    let off_the_line = s.delete(&last_entry, Some(&last.access_token));
    let joins = people[14..]
        .iter()
        .map(|p| s.post(&path, Some(&p.access_token), json!({})));
    let (left, off, joined) = tokio::join!(join_all(leaves), off_the_line, join_all(joins));
    for a in &left {
        assert_eq!(a.status, 204, "{a:?}");
    }
    assert_eq!(off.status, 204, "{off:?}");
    for a in &joined {
        assert!(
            a.status == 201 || a.status == 202 || a.problem_code() == "tournament_full",
            "{a:?}"
        );
    }

    let (field, line, positions) = lists(&s, &id).await;
    assert!(field.len() <= 8, "over capacity: {}", field.len());
    assert_eq!(positions, (1..line.len() as u64 + 1).collect::<Vec<u64>>());
    let in_field: BTreeSet<&String> = field.iter().collect();
    assert!(line.iter().all(|u| !in_field.contains(u)), "in both lists");
    if !line.is_empty() {
        assert_eq!(field.len(), 8, "someone waits while a place is free");
    }
    // The first four who waited are in the field: no newcomer took a freed place.
    let waited: Vec<&String> = line_before.iter().filter(|u| **u != last.id).collect();
    for u in waited.iter().take(4) {
        assert!(in_field.contains(u), "{u} waited and was not promoted");
    }
    let newcomers: BTreeSet<&String> = people[14..].iter().map(|p| &p.id).collect();
    let promoted_after_newcomer = line
        .iter()
        .position(|u| newcomers.contains(u))
        .is_some_and(|first_new| line[first_new..].iter().any(|u| waited.contains(&u)));
    assert!(
        !promoted_after_newcomer,
        "a newcomer got ahead in line: {line:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_check_in_night_replaces_a_no_show_from_the_waitlist() {
    let s = Stack::get();
    let owner = s.user_with_role("ci-owner", "trainer").await;
    let people = members(&s, "ci-member", 4).await;
    let soon = (chrono::Utc::now() + chrono::Duration::minutes(20))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let mut body = tournament(3, 2);
    body["check_in_minutes"] = json!(60);
    body["start_date"] = json!(soon);
    let id = create(&s, &owner, body).await;
    for p in &people {
        let a = s
            .post(
                &format!("/api/tournaments/{id}/participants"),
                Some(&p.access_token),
                json!({}),
            )
            .await;
        assert!(a.status == 201 || a.status == 202, "{a:?}");
    }
    // people[1] never checks in; people[3] waits and checks in.
    for p in [&people[0], &people[2], &people[3]] {
        let a = s
            .post(
                &format!("/api/tournaments/{id}/check-in"),
                Some(&p.access_token),
                json!({}),
            )
            .await;
        assert_eq!(a.status, 200, "{a:?}");
    }
    let a = s
        .post(
            &format!("/api/tournaments/{id}/start"),
            Some(&owner.access_token),
            json!({}),
        )
        .await;
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(a.body["no_shows"][0]["user_id"], people[1].id.as_str());
    assert_eq!(a.body["promoted"][0]["user_id"], people[3].id.as_str());
    assert_eq!(a.body["tournament"]["participant_count"], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_trainer_pastes_a_list_of_sixty_four_players() {
    let s = Stack::get();
    let owner = s.user_with_role("bulk-owner", "trainer").await;
    let mut body = tournament(64, 0);
    body["tournament_type"] = json!("double_elimination");
    let id = create(&s, &owner, body).await;
    let path = format!("/api/tournaments/{id}/participants/bulk");
    let items: Vec<Value> = (1..=64)
        .map(|i| json!({ "name": format!("Player {i}") }))
        .collect();
    let mut bad = items.clone();
    bad[3] = json!({ "name": "" });
    let a = s
        .post(&path, Some(&owner.access_token), json!({ "items": bad }))
        .await;
    assert_eq!(
        (a.status.as_u16(), a.problem_code()),
        (422, "validation_failed")
    );
    assert_eq!(a.body["errors"][0]["field"], "items[3].name", "{a:?}");
    let started = std::time::Instant::now();
    let a = s
        .post(&path, Some(&owner.access_token), json!({ "items": items }))
        .await;
    eprintln!("a bulk add of 64 answered in {:?}", started.elapsed());
    assert_eq!(a.status, 201, "{a:?}");
    assert_eq!(a.body["items"].as_array().unwrap().len(), 64);
    assert_eq!(a.body["items"][63]["seed"], 64);
    let more = s
        .post(
            &path,
            Some(&owner.access_token),
            json!({ "items": [{ "name": "One too many" }] }),
        )
        .await;
    assert_eq!(
        (more.status.as_u16(), more.problem_code()),
        (409, "tournament_full")
    );
    let listed = s
        .get_json(&format!("/api/tournaments/{id}/participants"), None)
        .await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 64);
}
