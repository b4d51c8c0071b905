//! Registration through the real handlers against the emulator: members joining
//! themselves, the owner or an admin adding participants, seeds that stay 1..n, leaving,
//! and capacity under a rush of simultaneous joins.

mod common;

use std::{collections::BTreeSet, sync::Arc, time::Instant};

use common::{Env, Person, Route};
use gymit_shared::identity::Role;
use serde_json::{json, Value};

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_string()
}

/// Names and seeds of the participants list, in its order.
async fn roster(env: &Env, id: &str) -> Vec<(String, u64)> {
    env.participants(id)
        .await
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["seed"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_member_joins_with_the_name_of_their_profile() {
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    let member = env.member("Ada Lovelace").await;
    let t = env.create(&owner, json!({})).await;
    let id = id_of(&t);

    // No body at all is a self-join.
    let (answer, events) = env
        .accepted(
            Route::Join,
            &[&id],
            Some(&member),
            None,
            201,
            &["participant.joined"],
        )
        .await;
    let p = &answer["participant"];
    assert_eq!(p["user_id"], member.id.as_str());
    assert_eq!(p["name"], "Ada Lovelace", "the name comes from the profile");
    assert_eq!(p["seed"], 1);
    assert_eq!(p["tournament_id"], id.as_str());
    assert!(p["joined_at"].as_str().is_some_and(|s| s.ends_with('Z')));
    assert_eq!(events[0].data, json!({ "participant": p }));

    let stored = env.stored(&id).await;
    assert_eq!(stored.tournament().participant_count, 1);
    assert_eq!(stored.tournament().version, 2);
    assert_eq!(
        json!(stored.participant(p["id"].as_str().unwrap()).unwrap()),
        *p
    );
    assert_eq!(stored.registered_users, BTreeSet::from([member.id.clone()]));
    let (_, got) = env.call(Route::Get, &[&id], None, None).await;
    assert_eq!(got["tournament"]["participant_count"], 1);

    // The same member again, with an explicit empty body this time.
    env.refused(
        Route::Join,
        &[&id],
        Some(&member),
        Some(json!({})),
        (409, "already_registered"),
    )
    .await;

    // A trainer (the owner too) may join their own tournament like anyone else.
    let (answer, _) = env
        .accepted(
            Route::Join,
            &[&id],
            Some(&owner),
            Some(json!({})),
            201,
            &["participant.joined"],
        )
        .await;
    assert_eq!(answer["participant"]["name"], "Tina");
    assert_eq!(answer["participant"]["seed"], 2);
}

#[tokio::test]
async fn joining_is_refused_when_not_allowed_closed_or_full() {
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    let member = env.member("Mo").await;
    let unapproved = Person::new("Uma", Role::Member).unapproved();
    env.put_profile(&unapproved, true, false).await;
    let t = env.create(&owner, json!({ "max_participants": 2 })).await;
    let id = id_of(&t);

    env.refused(Route::Join, &[&id], None, None, (401, "unauthenticated"))
        .await;
    env.refused(
        Route::Join,
        &[&id],
        Some(&unapproved),
        None,
        (403, "not_approved"),
    )
    .await;
    for body in [
        json!({ "name": "My friend" }),
        json!({ "user_id": member.id }),
        json!({ "seed": 1 }),
    ] {
        env.refused(
            Route::Join,
            &[&id],
            Some(&member),
            Some(body),
            (403, "forbidden"),
        )
        .await;
    }
    env.refused(
        Route::Join,
        &["no-such-tournament"],
        Some(&member),
        None,
        (404, "not_found"),
    )
    .await;
    env.refused(
        Route::Join,
        &[&id],
        Some(&member),
        Some(json!(["me"])),
        (400, "bad_request"),
    )
    .await;

    env.add(&owner, &id, "A").await;
    env.add(&owner, &id, "B").await;
    env.refused(
        Route::Join,
        &[&id],
        Some(&member),
        None,
        (409, "tournament_full"),
    )
    .await;
    env.refused(
        Route::Join,
        &[&id],
        Some(&owner),
        Some(json!({ "name": "C" })),
        (409, "tournament_full"),
    )
    .await;

    env.start(&owner, &id).await;
    env.refused(
        Route::Join,
        &[&id],
        Some(&member),
        None,
        (409, "registration_closed"),
    )
    .await;

    let cancelled = env.create(&owner, json!({})).await;
    let cancelled = id_of(&cancelled);
    let (status, _) = env
        .call(Route::Cancel, &[&cancelled], Some(&owner), None)
        .await;
    assert_eq!(status, 200);
    env.refused(
        Route::Join,
        &[&cancelled],
        Some(&member),
        None,
        (409, "registration_closed"),
    )
    .await;
    env.refused(
        Route::Join,
        &[&cancelled],
        Some(&owner),
        Some(json!({ "name": "Late" })),
        (409, "registration_closed"),
    )
    .await;
}

#[tokio::test]
async fn the_owner_and_an_admin_add_guests_and_existing_users() {
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    let admin = env.admin("Ada").await;
    let bob = env.member("Bob").await;
    let t = env.create(&owner, json!({})).await;
    let id = id_of(&t);

    let (answer, events) = env
        .accepted(
            Route::Join,
            &[&id],
            Some(&owner),
            Some(json!({ "name": "  Guest Player " })),
            201,
            &["participant.joined"],
        )
        .await;
    let guest = &answer["participant"];
    assert_eq!(guest["user_id"], Value::Null);
    assert_eq!(guest["name"], "Guest Player");
    assert_eq!(guest["seed"], 1);
    assert_eq!(events[0].data["participant"], *guest);

    let (answer, _) = env
        .accepted(
            Route::Join,
            &[&id],
            Some(&admin),
            Some(json!({ "name": "Bob B.", "user_id": bob.id })),
            201,
            &["participant.joined"],
        )
        .await;
    assert_eq!(answer["participant"]["user_id"], bob.id.as_str());
    assert_eq!(answer["participant"]["name"], "Bob B.", "the given name");
    assert_eq!(answer["participant"]["seed"], 2);
    let stored = env.stored(&id).await;
    assert_eq!(stored.registered_users, BTreeSet::from([bob.id.clone()]));
    assert_eq!(stored.tournament().participant_count, 2);

    // Bob counts as registered now.
    env.refused(
        Route::Join,
        &[&id],
        Some(&bob),
        None,
        (409, "already_registered"),
    )
    .await;
    env.refused(
        Route::Join,
        &[&id],
        Some(&owner),
        Some(json!({ "name": "Bob again", "user_id": bob.id })),
        (409, "already_registered"),
    )
    .await;

    // A user_id must name an existing, active, unbanned user.
    let inactive = Person::new("Gone", Role::Member);
    env.put_profile(&inactive, false, false).await;
    let banned = Person::new("Banned", Role::Member);
    env.put_profile(&banned, true, true).await;
    for user in ["no-such-user".to_string(), inactive.id, banned.id] {
        env.refused(
            Route::Join,
            &[&id],
            Some(&owner),
            Some(json!({ "name": "Someone", "user_id": user })),
            (404, "not_found"),
        )
        .await;
    }
    for body in [
        json!({ "user_id": bob.id }),
        json!({ "name": "" }),
        json!({ "name": "x".repeat(101) }),
        json!({ "name": "tab\there" }),
        json!({ "name": "Zero", "seed": 0 }),
        json!({ "name": "Big", "seed": 257 }),
        json!({ "name": "Typed", "seed": "one" }),
    ] {
        env.refused(
            Route::Join,
            &[&id],
            Some(&owner),
            Some(body),
            (422, "validation_failed"),
        )
        .await;
    }
    let other = env.trainer("Theo").await;
    env.refused(
        Route::Join,
        &[&id],
        Some(&other),
        Some(json!({ "name": "Theo's friend" })),
        (403, "forbidden"),
    )
    .await;
    env.refused(
        Route::Join,
        &["no-such-tournament"],
        Some(&owner),
        Some(json!({ "name": "Lost" })),
        (404, "not_found"),
    )
    .await;
    assert_eq!(
        roster(&env, &id).await,
        [("Guest Player".to_string(), 1), ("Bob B.".to_string(), 2)]
    );
}

#[tokio::test]
async fn seeds_stay_one_to_n_when_inserting_and_leaving() {
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    let (id, _) = env
        .with_participants(&owner, json!({}), &["A", "B", "C"])
        .await;
    let add_seeded = |name: &'static str, seed: u32| {
        let env = env.clone();
        let owner = owner.clone();
        let id = id.clone();
        async move {
            let (answer, _) = env
                .accepted(
                    Route::Join,
                    &[&id],
                    Some(&owner),
                    Some(json!({ "name": name, "seed": seed })),
                    201,
                    &["participant.joined"],
                )
                .await;
            answer["participant"].clone()
        }
    };

    let d = add_seeded("D", 2).await;
    assert_eq!(d["seed"], 2, "a taken seed is given to the newcomer");
    let e = add_seeded("E", 1).await;
    assert_eq!(e["seed"], 1);
    let f = add_seeded("F", 99).await;
    assert_eq!(f["seed"], 6, "a seed beyond the count is the next free one");
    let s = |n: &str, k: u64| (n.to_string(), k);
    assert_eq!(
        roster(&env, &id).await,
        [
            s("E", 1),
            s("A", 2),
            s("D", 3),
            s("B", 4),
            s("C", 5),
            s("F", 6)
        ]
    );

    let d_id = id_of(&d);
    let (answer, events) = env
        .accepted(
            Route::RemoveParticipant,
            &[&id, &d_id],
            Some(&owner),
            None,
            204,
            &["participant.left"],
        )
        .await;
    assert_eq!(answer, Value::Null, "204 has no body");
    assert_eq!(events[0].data["participant"]["id"], d_id.as_str());
    assert_eq!(
        roster(&env, &id).await,
        [s("E", 1), s("A", 2), s("B", 3), s("C", 4), s("F", 5)],
        "those below move up"
    );
    let stored = env.stored(&id).await;
    assert_eq!(stored.tournament().participant_count, 5);
    assert!(stored.participant(&d_id).is_none());

    // Seeds survive the start: the bracket is built in seed order (1 v 8, 2 v 7, ...).
    let bracket = env.start(&owner, &id).await;
    let w1 = common::match_of(&bracket, "W1-1");
    assert_eq!(w1["participant1_id"], e["id"], "seed 1 is E");
    assert_eq!(w1["status"], "bye", "five players: the top seeds get byes");

    env.refused(
        Route::Participants,
        &["no-such-tournament"],
        None,
        None,
        (404, "not_found"),
    )
    .await;
}

#[tokio::test]
async fn participants_leave_themselves_or_are_removed_by_the_owner_while_open() {
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    let admin = env.admin("Ada").await;
    let mia = env.member("Mia").await;
    let max = env.member("Max").await;
    let t = env.create(&owner, json!({})).await;
    let id = id_of(&t);
    let join = |p: Person| {
        let env = env.clone();
        let id = id.clone();
        async move {
            let (status, answer) = env.call(Route::Join, &[&id], Some(&p), None).await;
            assert_eq!(status, 201, "{answer}");
            id_of(&answer["participant"])
        }
    };
    let mia_p = join(mia.clone()).await;
    let max_p = join(max.clone()).await;

    env.refused(
        Route::RemoveParticipant,
        &[&id, &mia_p],
        Some(&max),
        None,
        (403, "forbidden"),
    )
    .await;
    env.refused(
        Route::RemoveParticipant,
        &[&id, &mia_p],
        None,
        None,
        (401, "unauthenticated"),
    )
    .await;
    env.refused(
        Route::RemoveParticipant,
        &[&id, "no-such-participant"],
        Some(&owner),
        None,
        (404, "not_found"),
    )
    .await;
    env.refused(
        Route::RemoveParticipant,
        &["no-such-tournament", &mia_p],
        Some(&owner),
        None,
        (404, "not_found"),
    )
    .await;

    // Mia leaves, and may join again: her registration went with her.
    env.accepted(
        Route::RemoveParticipant,
        &[&id, &mia_p],
        Some(&mia),
        None,
        204,
        &["participant.left"],
    )
    .await;
    let stored = env.stored(&id).await;
    assert_eq!(stored.tournament().participant_count, 1);
    assert_eq!(stored.registered_users, BTreeSet::from([max.id.clone()]));
    assert_eq!(roster(&env, &id).await, [("Max".to_string(), 1)]);
    let mia_again = join(mia.clone()).await;
    assert_ne!(mia_again, mia_p);

    // An admin removes Max; the owner removes Mia.
    env.accepted(
        Route::RemoveParticipant,
        &[&id, &max_p],
        Some(&admin),
        None,
        204,
        &["participant.left"],
    )
    .await;
    env.accepted(
        Route::RemoveParticipant,
        &[&id, &mia_again],
        Some(&owner),
        None,
        204,
        &["participant.left"],
    )
    .await;
    assert!(env.participants(&id).await.is_empty());
    let stored = env.stored(&id).await;
    assert_eq!(stored.tournament().participant_count, 0);
    assert!(stored.registered_users.is_empty());

    // Once started nobody leaves, not even themselves.
    let a = join(mia.clone()).await;
    join(max.clone()).await;
    env.start(&owner, &id).await;
    env.refused(
        Route::RemoveParticipant,
        &[&id, &a],
        Some(&mia),
        None,
        (409, "invalid_state"),
    )
    .await;
    env.refused(
        Route::RemoveParticipant,
        &[&id, &a],
        Some(&owner),
        None,
        (409, "invalid_state"),
    )
    .await;
}

/// How many invocations of one function run at once: the account's Lambda concurrency,
/// which the local gateway also applies (`GYMIT_CONCURRENCY`, 8 by default). Without a
/// bound, 200 in-process calls queue in front of the emulator, which answers one request
/// at a time, for longer than the SDK's 3 s attempt timeout (measured on 2 busy cores: up
/// to 6 s), and the users-table look-up answers 503 whatever the handler does.
const LAMBDA_CONCURRENCY: usize = 32;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_simultaneous_joins_fill_sixteen_places_exactly() {
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    let t = env.create(&owner, json!({ "max_participants": 16 })).await;
    let id = id_of(&t);
    let racers = env.members("Racer", 200).await;

    // All 200 are sent at once; LAMBDA_CONCURRENCY of them run at a time, racing.
    let gate = Arc::new(tokio::sync::Barrier::new(racers.len()));
    let instances = Arc::new(tokio::sync::Semaphore::new(LAMBDA_CONCURRENCY));
    let started = Instant::now();
    let tasks: Vec<_> = racers
        .iter()
        .cloned()
        .map(|p| {
            let (env, id, gate, instances) =
                (env.clone(), id.clone(), gate.clone(), instances.clone());
            tokio::spawn(async move {
                gate.wait().await;
                let _instance = instances.acquire().await.expect("semaphore open");
                let (status, answer) = env.call(Route::Join, &[&id], Some(&p), None).await;
                (p, status, answer)
            })
        })
        .collect();
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.expect("the task ran"));
    }
    let took = started.elapsed();
    eprintln!(
        "200 simultaneous joins ({LAMBDA_CONCURRENCY} at a time) to a 16-place tournament took {:.2} s",
        took.as_secs_f64()
    );

    let mut outcomes = std::collections::BTreeMap::new();
    for (_, status, answer) in &results {
        let code = answer["code"].as_str().unwrap_or("").to_string();
        *outcomes.entry((*status, code)).or_insert(0) += 1;
    }
    eprintln!("outcomes: {outcomes:?}");
    let server_errors: Vec<_> = results.iter().filter(|(_, s, _)| *s >= 500).collect();
    assert!(server_errors.is_empty(), "never a 5xx: {server_errors:?}");
    let joined: Vec<&(Person, u16, Value)> = results.iter().filter(|(_, s, _)| *s == 201).collect();
    let full = results
        .iter()
        .filter(|(_, s, a)| *s == 409 && a["code"] == "tournament_full")
        .count();
    assert_eq!(joined.len(), 16, "exactly the places there are");
    assert_eq!(full, 184, "everyone else is told it is full");

    let stored = env.stored(&id).await;
    assert_eq!(stored.tournament().participant_count, 16);
    assert_eq!(stored.roster.len(), 16);
    let seeds: Vec<u32> = stored.participants().map(|p| p.seed).collect();
    assert_eq!(seeds, (1..=16).collect::<Vec<u32>>(), "seeds without gaps");
    let winners: BTreeSet<String> = joined.iter().map(|(p, _, _)| p.id.clone()).collect();
    assert_eq!(stored.registered_users, winners);
    let stored_users: BTreeSet<String> = stored
        .participants()
        .map(|p| p.user_id.clone().expect("self-joins have a user"))
        .collect();
    assert_eq!(stored_users, winners);
    for (p, _, answer) in &joined {
        let participant = &answer["participant"];
        assert_eq!(participant["name"], p.name.as_str());
        assert!(
            stored
                .participant(participant["id"].as_str().unwrap())
                .is_some(),
            "{participant}"
        );
    }
    let listed = env.participants(&id).await;
    let listed_seeds: Vec<u64> = listed.iter().map(|p| p["seed"].as_u64().unwrap()).collect();
    assert_eq!(listed_seeds, (1..=16).collect::<Vec<u64>>());

    let events = env.events().await;
    let joins = events
        .iter()
        .filter(|e| e.event_type == "participant.joined")
        .count();
    assert_eq!(joins, 16, "one event per participant, none for a refusal");
    assert_eq!(events.len(), 17, "and the tournament.created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_user_is_registered_once_even_when_joining_twice_at_once() {
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    let twin = env.member("Twin").await;
    let t = env.create(&owner, json!({ "max_participants": 16 })).await;
    let id = id_of(&t);

    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (env, id, twin) = (env.clone(), id.clone(), twin.clone());
            tokio::spawn(async move { env.call(Route::Join, &[&id], Some(&twin), None).await })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        let (status, answer) = t.await.expect("the task ran");
        if status == 409 {
            assert_eq!(answer["code"], "already_registered", "{answer}");
        }
        statuses.push(status);
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409, 409, 409, 409, 409, 409, 409]);

    let stored = env.stored(&id).await;
    assert_eq!(stored.tournament().participant_count, 1);
    assert_eq!(stored.roster.len(), 1);
    assert_eq!(
        stored.roster[0].1.user_id.as_deref(),
        Some(twin.id.as_str())
    );
    let joins = env
        .events()
        .await
        .iter()
        .filter(|e| e.event_type == "participant.joined")
        .count();
    assert_eq!(joins, 1);

    // And once more, afterwards.
    env.refused(
        Route::Join,
        &[&id],
        Some(&twin),
        None,
        (409, "already_registered"),
    )
    .await;
}
