//! The admin routes of the user service (approve, ban, unban, set role, delete) in process,
//! through the same per-invocation wrapper the binaries run (`gymit_shared::http::handle`),
//! against a real DynamoDB emulator (`AWS_ENDPOINT_URL`, see `make test`), each test with a
//! fresh users table of its own. Every accepted change must update the profile, bump its
//! version and `updated_at`, and put exactly one event item into the table in the same
//! transaction; every refused one must leave the table as it was.

use std::{collections::HashMap, sync::Arc};

use chrono::{DateTime, Utc};
use gymit_shared::{
    cursor::CursorKey, dynamo::Item, identity::Role, jwt::Tokens, keys::Keys, user::User, Request,
    Response,
};
use gymit_users::{
    domain::{Change, Profile},
    handlers::{admin, approve, ban, create, delete, set_role, unban},
    store::{SaveError, UsersStore},
    Users,
};
use lambda_http::{Body, RequestExt};
use serde_json::{json, Value};

const SECRET: &str = "users-admin-test-secret-users-admin-test";
const LONG_AGO: &str = "2026-01-01T00:00:00Z";

async fn users() -> Arc<Users> {
    let tables = gymit_local::testing::fresh_tables(&["UsersTable"]).await;
    Arc::new(Users {
        store: UsersStore::new(
            gymit_shared::aws::dynamodb().await,
            tables["UsersTable"].clone(),
        ),
        keys: Keys::given(Some(Tokens::new(SECRET)), Some(CursorKey::derive(SECRET))),
    })
}

fn user(name: &str, role: Role, approved: bool, root: bool) -> User {
    User {
        id: uuid::Uuid::now_v7().to_string(),
        email: format!("{name}@example.com"),
        full_name: name.into(),
        role,
        is_approved: approved,
        is_banned: false,
        is_active: true,
        is_root_admin: root,
        created_at: LONG_AGO.into(),
        updated_at: LONG_AGO.into(),
    }
}

/// Creates the profile the way auth-register does: through `users-create`.
async fn created(state: &Users, user: &User) -> Profile {
    let payload = json!({ "user": user, "correlation_id": "admin-test" });
    let out = create::handle(
        state,
        serde_json::from_value(payload).expect("a new profile"),
    )
    .await
    .expect("users-create succeeds");
    assert_eq!(out["user"], json!(user));
    let profile = stored(state, &user.id).await;
    assert_eq!(profile.version, 1);
    profile
}

async fn stored(state: &Users, id: &str) -> Profile {
    state
        .store
        .get(id)
        .await
        .expect("profile read")
        .expect("profile exists")
}

fn token(state: &Users, caller: &User) -> String {
    state
        .keys
        .tokens()
        .expect("the test state holds the token keys")
        .issue(&caller.id, &caller.email, caller.role, caller.is_approved)
        .expect("token")
        .0
}

fn request(
    method: &str,
    path: &str,
    target: &str,
    bearer: Option<&str>,
    body: Option<Value>,
) -> Request {
    let mut builder = lambda_http::http::Request::builder()
        .method(method)
        .uri(path.replace("{id}", target));
    if let Some(t) = bearer {
        builder = builder.header("authorization", format!("Bearer {t}"));
    }
    if body.is_some() {
        builder = builder.header("content-type", "application/json");
    }
    builder
        .body(body.map_or(Body::Empty, |b| Body::Text(b.to_string())))
        .expect("a valid request")
        .with_path_parameters(HashMap::from([("id".to_string(), target.to_string())]))
}

/// One admin route, with its method, path and handler.
#[derive(Clone, Copy, Debug)]
enum Route {
    Approve,
    Ban,
    Unban,
    SetRole,
    Delete,
}

impl Route {
    const ALL: [Route; 5] = [
        Route::Approve,
        Route::Ban,
        Route::Unban,
        Route::SetRole,
        Route::Delete,
    ];
}

/// Calls `route` on `target` as `caller` (None: no token) and returns status and JSON body.
async fn call(
    state: &Arc<Users>,
    route: Route,
    target: &str,
    caller: Option<&User>,
    body: Option<Value>,
) -> (u16, Value) {
    let token = caller.map(|c| token(state, c));
    let bearer = token.as_deref();
    let s = state.clone();
    let response: Response = match route {
        Route::Approve => {
            let req = request("POST", "/api/users/{id}/approve", target, bearer, body);
            gymit_shared::http::handle("users-approve", s, req, approve::handle).await
        }
        Route::Ban => {
            let req = request("POST", "/api/users/{id}/ban", target, bearer, body);
            gymit_shared::http::handle("users-ban", s, req, ban::handle).await
        }
        Route::Unban => {
            let req = request("POST", "/api/users/{id}/unban", target, bearer, body);
            gymit_shared::http::handle("users-unban", s, req, unban::handle).await
        }
        Route::SetRole => {
            let body = body.or_else(|| Some(json!({ "role": "trainer" })));
            let req = request("PUT", "/api/users/{id}/role", target, bearer, body);
            gymit_shared::http::handle("users-set-role", s, req, set_role::handle).await
        }
        Route::Delete => {
            let req = request("DELETE", "/api/users/{id}", target, bearer, body);
            gymit_shared::http::handle("users-delete", s, req, delete::handle).await
        }
    };
    let status = response.status().as_u16();
    let body = serde_json::from_slice(response.body().as_ref()).unwrap_or(Value::Null);
    (status, body)
}

/// An event item of the table, as stored.
#[derive(Debug, Clone)]
struct EventItem {
    event_id: String,
    event_type: String,
    entity: (String, String),
    data: Value,
}

fn string(item: &Item, key: &str) -> String {
    item.get(key)
        .and_then(|v| v.as_s().ok())
        .unwrap_or_else(|| panic!("item without {key}: {item:?}"))
        .clone()
}

/// The admin changes' event items, oldest first: every event of the table but the
/// `user.created` that `created` wrote for each user (`creations` reads those).
async fn events(state: &Users) -> Vec<EventItem> {
    let mut events = all_events(state).await;
    events.retain(|e| e.event_type != "user.created");
    events
}

/// Every event item of the table, oldest first.
async fn all_events(state: &Users) -> Vec<EventItem> {
    let items = state
        .store
        .db()
        .scan()
        .table_name(state.store.table())
        .consistent_read(true)
        .send()
        .await
        .expect("scan")
        .items
        .unwrap_or_default();
    let mut events: Vec<EventItem> = items
        .into_iter()
        .filter(|i| i.get("sk").and_then(|v| v.as_s().ok()).map(String::as_str) == Some("EVENT"))
        .map(|i| {
            assert_eq!(string(&i, "kind"), "event", "the stream filter needs kind");
            assert_eq!(
                string(&i, "pk"),
                format!("EVENT#{}", string(&i, "event_id"))
            );
            let expires: i64 = i
                .get("expires_at")
                .and_then(|v| v.as_n().ok())
                .and_then(|n| n.parse().ok())
                .expect("an event item expires");
            assert!(expires > gymit_shared::time::epoch_seconds());
            EventItem {
                event_id: string(&i, "event_id"),
                event_type: string(&i, "type"),
                entity: (string(&i, "entity_key"), string(&i, "entity_id")),
                data: serde_json::from_str(&string(&i, "data")).expect("data is JSON"),
            }
        })
        .collect();
    events.sort_by(|a, b| a.event_id.cmp(&b.event_id)); // UUID v7: time ordered
    events
}

fn parse_time(at: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(at)
        .unwrap_or_else(|e| panic!("{at} is not RFC 3339: {e}"))
        .with_timezone(&Utc)
}

/// Calls `route` as `admin` and checks the promise of every admin change: the answer shows
/// the stored user, the version went up by one, `updated_at` is now, and exactly one new
/// event item of `event_type` announces the new state and version.
async fn change_and_check(
    state: &Arc<Users>,
    admin: &User,
    route: Route,
    target: &str,
    body: Option<Value>,
    event_type: &str,
) -> Profile {
    let before = stored(state, target).await;
    let events_before = events(state).await;
    let started = Utc::now() - chrono::Duration::seconds(1);

    let (status, answer) = call(state, route, target, Some(admin), body).await;

    let after = stored(state, target).await;
    match route {
        Route::Delete => assert_eq!(status, 204, "{route:?}: {answer}"),
        _ => {
            assert_eq!(status, 200, "{route:?}: {answer}");
            assert_eq!(
                answer["user"],
                json!(after.user),
                "{route:?} answers the stored user"
            );
        }
    }
    assert_eq!(
        after.version,
        before.version + 1,
        "{route:?} bumps the version"
    );
    let updated = parse_time(&after.user.updated_at);
    assert!(
        updated >= started && updated <= Utc::now() + chrono::Duration::seconds(1),
        "{route:?}: updated_at {updated} is not now"
    );
    assert!(after.user.updated_at >= before.user.updated_at);
    assert_eq!(after.user.created_at, before.user.created_at);

    let events_after = events(state).await;
    assert_eq!(
        events_after.len(),
        events_before.len() + 1,
        "{route:?} writes exactly one event item"
    );
    let new = events_after
        .iter()
        .find(|e| !events_before.iter().any(|b| b.event_id == e.event_id))
        .expect("the new event");
    assert_eq!(new.event_type, event_type);
    assert_eq!(new.entity, ("user_id".to_string(), target.to_string()));
    assert_eq!(new.data["version"], json!(after.version));
    assert_eq!(
        new.data["user"],
        json!(after.user),
        "the event carries the new state"
    );
    after
}

#[tokio::test]
async fn each_admin_change_updates_the_profile_and_writes_one_event() {
    let state = users().await;
    let admin = user("admin", Role::Admin, true, false);
    let target = user("member", Role::Member, false, false);
    created(&state, &admin).await;
    created(&state, &target).await;
    let announced: Vec<(String, Value)> = all_events(&state)
        .await
        .into_iter()
        .map(|e| (e.event_type, e.data["user"]["id"].clone()))
        .collect();
    assert_eq!(
        announced,
        [
            ("user.created".to_string(), json!(admin.id)),
            ("user.created".to_string(), json!(target.id)),
        ],
        "users-create announces each user once"
    );
    assert!(events(&state).await.is_empty());
    let id = target.id.as_str();

    let p = change_and_check(&state, &admin, Route::Approve, id, None, "user.approved").await;
    assert!(p.user.is_approved);
    assert_eq!(p.version, 2);

    let p = change_and_check(
        &state,
        &admin,
        Route::Ban,
        id,
        Some(json!({ "reason": "  spam  " })),
        "user.banned",
    )
    .await;
    assert!(p.user.is_banned && p.user.is_approved);
    assert_eq!(p.ban_reason.as_deref(), Some("spam"));

    let p = change_and_check(&state, &admin, Route::Unban, id, None, "user.unbanned").await;
    assert!(!p.user.is_banned);
    assert_eq!(p.ban_reason, None);

    let p = change_and_check(
        &state,
        &admin,
        Route::SetRole,
        id,
        Some(json!({ "role": "trainer" })),
        "user.role_changed",
    )
    .await;
    assert_eq!(p.user.role, Role::Trainer);

    let p = change_and_check(&state, &admin, Route::Delete, id, None, "user.deactivated").await;
    assert!(!p.user.is_active);
    assert_eq!(p.version, 6);
    assert_eq!(
        (p.user.role, p.user.is_approved, p.user.is_banned),
        (Role::Trainer, true, false),
        "deactivating keeps the rest"
    );

    // Five changes, five events, in order, with versions 2..=6; the admin is untouched.
    let all = events(&state).await;
    let types: Vec<&str> = all.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        [
            "user.approved",
            "user.banned",
            "user.unbanned",
            "user.role_changed",
            "user.deactivated"
        ]
    );
    let versions: Vec<i64> = all
        .iter()
        .map(|e| e.data["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [2, 3, 4, 5, 6]);
    assert_eq!(stored(&state, &admin.id).await.version, 1);
}

#[tokio::test]
async fn repeating_a_change_keeps_the_state_and_announces_it_again() {
    // What the code defines: `Change::apply` is idempotent (the same profile), but every
    // accepted request is a new version with its own event; consumers ignore what they
    // already reflect by that version.
    let state = users().await;
    let admin = user("admin", Role::Admin, true, false);
    let target = user("member", Role::Member, false, false);
    created(&state, &admin).await;
    created(&state, &target).await;

    let first = change_and_check(
        &state,
        &admin,
        Route::Approve,
        &target.id,
        None,
        "user.approved",
    )
    .await;
    let second = change_and_check(
        &state,
        &admin,
        Route::Approve,
        &target.id,
        None,
        "user.approved",
    )
    .await;
    assert_eq!(second.version, first.version + 1);
    let mut same = second.user.clone();
    same.updated_at = first.user.updated_at.clone();
    assert_eq!(
        same, first.user,
        "approving twice gives the same account state"
    );

    let all = events(&state).await;
    assert_eq!(all.len(), 2);
    assert_ne!(all[0].event_id, all[1].event_id);
    assert_eq!(all[0].data["version"], 2);
    assert_eq!(all[1].data["version"], 3);
    assert_eq!(
        all[0].data["user"]["is_approved"],
        all[1].data["user"]["is_approved"]
    );
}

#[tokio::test]
async fn the_root_admin_and_the_callers_own_account_are_protected() {
    let state = users().await;
    let admin = user("admin", Role::Admin, true, false);
    let root = user("root", Role::Admin, true, true);
    created(&state, &admin).await;
    let root_before = created(&state, &root).await;

    for route in Route::ALL {
        let (status, body) = call(&state, route, &root.id, Some(&admin), None).await;
        assert_eq!(status, 403, "{route:?} on the root admin: {body}");
        assert_eq!(body["code"], "root_admin_protected", "{route:?}");
    }
    // Not even the root admin changes the root admin.
    let (status, body) = call(&state, Route::Ban, &root.id, Some(&root), None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("root_admin_protected"))
    );

    // An admin does not ban, delete or demote themselves.
    for (route, body) in [
        (Route::Ban, None),
        (Route::Delete, None),
        (Route::SetRole, Some(json!({ "role": "member" }))),
        (Route::SetRole, Some(json!({ "role": "trainer" }))),
    ] {
        let (status, answer) = call(&state, route, &admin.id, Some(&admin), body).await;
        assert_eq!(status, 403, "{route:?} on oneself: {answer}");
        assert_eq!(answer["code"], "forbidden", "{route:?}");
    }

    let root_after = stored(&state, &root.id).await;
    assert_eq!(root_after.user, root_before.user);
    assert_eq!(root_after.version, 1);
    let admin_after = stored(&state, &admin.id).await;
    assert_eq!(admin_after.user, admin);
    assert_eq!(admin_after.version, 1);
    assert!(
        events(&state).await.is_empty(),
        "a refused change writes no event"
    );
}

#[tokio::test]
async fn only_approved_admins_change_accounts() {
    let state = users().await;
    let target = user("target", Role::Member, false, false);
    let member = user("member", Role::Member, true, false);
    let trainer = user("trainer", Role::Trainer, true, false);
    let unapproved_admin = user("newadmin", Role::Admin, false, false);
    let admin = user("admin", Role::Admin, true, false);
    for u in [&target, &member, &trainer, &unapproved_admin, &admin] {
        created(&state, u).await;
    }

    for route in Route::ALL {
        let (status, body) = call(&state, route, &target.id, None, None).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (401, Some("unauthenticated")),
            "{route:?}"
        );
        for caller in [&member, &trainer] {
            let (status, body) = call(&state, route, &target.id, Some(caller), None).await;
            assert_eq!(
                (status, body["code"].as_str()),
                (403, Some("forbidden")),
                "{route:?}"
            );
        }
        let (status, body) = call(&state, route, &target.id, Some(&unapproved_admin), None).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (403, Some("not_approved")),
            "{route:?}"
        );
        let missing = uuid::Uuid::now_v7().to_string();
        let (status, body) = call(&state, route, &missing, Some(&admin), None).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (404, Some("not_found")),
            "{route:?}"
        );
        assert!(
            state.store.get(&missing).await.unwrap().is_none(),
            "no profile appears"
        );
    }

    // A token signed with another secret is not a caller.
    let forged = Tokens::new("another-secret-another-secret-another")
        .issue(&admin.id, &admin.email, Role::Admin, true)
        .unwrap()
        .0;
    let req = request(
        "POST",
        "/api/users/{id}/approve",
        &target.id,
        Some(&forged),
        None,
    );
    let response =
        gymit_shared::http::handle("users-approve", state.clone(), req, approve::handle).await;
    assert_eq!(response.status(), 401);

    // Invalid input is refused before anything is written.
    let (status, body) = call(
        &state,
        Route::SetRole,
        &target.id,
        Some(&admin),
        Some(json!({ "role": "superuser" })),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("validation_failed")),
        "{body}"
    );
    let (status, body) = call(
        &state,
        Route::Ban,
        &target.id,
        Some(&admin),
        Some(json!({ "reason": "x".repeat(501) })),
    )
    .await;
    assert_eq!(status, 422, "{body}");

    assert_eq!(stored(&state, &target.id).await.user, target);
    assert_eq!(stored(&state, &target.id).await.version, 1);
    assert!(events(&state).await.is_empty());
}

#[tokio::test]
async fn a_stale_write_leaves_neither_the_change_nor_its_event() {
    let state = users().await;
    let target = user("target", Role::Member, false, false);
    created(&state, &target).await;

    // Someone else wrote version 2 meanwhile: saving over version 1 again must fail whole.
    let mut first = stored(&state, &target.id).await;
    Change::Approve.apply(&mut first);
    first.version = 2;
    state
        .store
        .save(1, &first, &admin::user_event("user.approved", &first))
        .await
        .expect("the first write wins");

    let mut late = stored(&state, &target.id).await;
    Change::Ban { reason: None }.apply(&mut late);
    late.version = 2;
    let lost = admin::user_event("user.banned", &late);
    match state.store.save(1, &late, &lost).await {
        Err(SaveError::Stale) => {}
        other => panic!("expected Stale, got {other:?}"),
    }
    let now = stored(&state, &target.id).await;
    assert!(!now.user.is_banned && now.user.is_approved);
    assert_eq!(now.version, 2);
    let all = events(&state).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].event_type, "user.approved");
}

/// Three admins change one user at once: every change is kept, each with its own version.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_changes_are_all_kept_each_with_its_own_version() {
    let state = users().await;
    let admin = user("admin", Role::Admin, true, false);
    let target = user("target", Role::Member, false, false);
    created(&state, &admin).await;
    created(&state, &target).await;

    let (a, b, c) = tokio::join!(
        call(&state, Route::Approve, &target.id, Some(&admin), None),
        call(
            &state,
            Route::Ban,
            &target.id,
            Some(&admin),
            Some(json!({ "reason": "late" }))
        ),
        call(
            &state,
            Route::SetRole,
            &target.id,
            Some(&admin),
            Some(json!({ "role": "trainer" }))
        ),
    );
    for (status, body) in [&a, &b, &c] {
        // 503 is the handler's answer when it lost the race four times; with three writers
        // it must not happen.
        assert_eq!(*status, 200, "{body}");
    }

    let p = stored(&state, &target.id).await;
    assert!(p.user.is_approved && p.user.is_banned, "no change was lost");
    assert_eq!(p.user.role, Role::Trainer);
    assert_eq!(p.version, 4);
    let mut versions: Vec<i64> = events(&state)
        .await
        .iter()
        .map(|e| e.data["version"].as_i64().unwrap())
        .collect();
    versions.sort();
    assert_eq!(
        versions,
        [2, 3, 4],
        "one event per change, each its own version"
    );
}
