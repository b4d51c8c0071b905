//! The members projection — what the tournament service knows of users, kept from the user
//! service's `user.*` events by `tournaments-sync-user` — and the join route that decides
//! with it whom an owner may add.

mod common;

use std::time::{Duration, Instant};

use common::{user_events, user_of, Env, Person, Route};
use gymit_shared::identity::Role;
use gymit_tournaments::handlers::sync_user;
use serde_json::json;

#[tokio::test]
async fn user_events_apply_in_version_order_and_decide_whom_an_owner_may_add() {
    let env = Env::new().await;
    let store = env.uncounted();
    let owner = env.trainer("Owner").await;
    let t = env.create(&owner, json!({})).await;
    let id = t["id"].as_str().unwrap().to_string();
    let p = Person::new("Late Event", Role::Member);
    let apply = |events: Vec<(&'static str, bool, bool, i64)>| {
        let store = &store;
        let p = &p;
        async move {
            let users: Vec<_> = events
                .iter()
                .map(|(_, active, banned, _)| user_of(p, *active, *banned))
                .collect();
            let with: Vec<_> = events
                .iter()
                .zip(&users)
                .map(|((kind, _, _, version), u)| (*kind, u, *version))
                .collect();
            sync_user::handle(store, user_events(&with))
                .await
                .expect("applied")
        }
    };
    let ids = [id.as_str()];
    let add = || {
        env.call(
            Route::Join,
            &ids,
            Some(&owner),
            Some(json!({ "name": "Late Event", "user_id": p.id })),
        )
    };

    assert_eq!(apply(vec![("user.created", true, false, 1)]).await, 1);
    // The ban (version 3) arrives before the approval it followed (version 2): the late
    // approval changes nothing, and the banned user cannot be added.
    assert_eq!(apply(vec![("user.banned", true, true, 3)]).await, 1);
    assert_eq!(apply(vec![("user.approved", true, false, 2)]).await, 0);
    let (status, body) = add().await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
    // Delivered twice (SNS is at least once): applied once.
    assert_eq!(apply(vec![("user.unbanned", true, false, 4)]).await, 1);
    assert_eq!(apply(vec![("user.unbanned", true, false, 4)]).await, 0);
    let (status, body) = add().await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["participant"]["user_id"], p.id.as_str());
}

#[tokio::test]
async fn a_user_created_a_moment_ago_is_added_once_their_event_arrives() {
    let env = Env::new().await;
    let owner = env.trainer("Owner").await;
    let t = env.create(&owner, json!({})).await;
    let id = t["id"].as_str().unwrap().to_string();

    // Registered just now: `user.created` is still on its way to the projection.
    let newcomer = Person::new("Newcomer", Role::Member).unapproved();
    let late = {
        let env = env.clone();
        let newcomer = newcomer.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(700)).await;
            env.put_profile(&newcomer, true, false).await;
        })
    };
    let started = Instant::now();
    let (status, body) = env
        .call(
            Route::Join,
            &[&id],
            Some(&owner),
            Some(json!({ "name": "Newcomer", "user_id": newcomer.id })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert!(
        started.elapsed() >= Duration::from_millis(600),
        "the add waited for the event: {:?}",
        started.elapsed()
    );
    late.await.unwrap();

    // An id minted long ago that the projection never heard of does not exist: 404 at once.
    let old = uuid::Uuid::new_v7(uuid::Timestamp::from_unix(
        uuid::NoContext,
        1_704_067_200,
        0,
    ));
    let started = Instant::now();
    let (status, body) = env
        .call(
            Route::Join,
            &[&id],
            Some(&owner),
            Some(json!({ "name": "Nobody", "user_id": old.to_string() })),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(600),
        "{:?}",
        started.elapsed()
    );
}
