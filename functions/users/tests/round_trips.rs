//! DynamoDB round trips per user-service route (DESIGN.md "Data": one or two a route),
//! counted by an SDK interceptor (`gymit_local::testing::RoundTrips`) on the client the
//! functions' state uses, while each route answers on its success path; the exact requests
//! are asserted, so a regression fails (`cargo test -p gymit-users --test round_trips --
//! --nocapture` prints the table).

use std::{collections::HashMap, sync::Arc};

use gymit_local::testing::{Budget, RoundTrips};
use gymit_shared::{
    cursor::CursorKey, identity::Role, jwt::Tokens, keys::Keys, user::User, Request,
};
use gymit_users::{
    handlers::{approve, ban, create, delete, get, list, me_get, me_update, set_role, unban},
    store::UsersStore,
    Users,
};
use lambda_http::{Body, RequestExt};
use serde_json::{json, Value};

const SECRET: &str = "users-round-trips-secret-users-round-trips";

/// The function that serves each route (template.yaml), whose policy must allow its requests.
const FUNCTIONS: [(&str, &str); 10] = [
    ("create", "UsersCreateFunction"),
    ("get", "UsersGetFunction"),
    ("list", "UsersListFunction"),
    ("me (get)", "UsersMeGetFunction"),
    ("me (update)", "UsersMeUpdateFunction"),
    ("approve", "UsersApproveFunction"),
    ("ban", "UsersBanFunction"),
    ("unban", "UsersUnbanFunction"),
    ("set-role", "UsersSetRoleFunction"),
    ("delete", "UsersDeleteFunction"),
];

fn user(name: &str, role: Role) -> User {
    User {
        id: uuid::Uuid::now_v7().to_string(),
        email: format!("{name}@example.com"),
        full_name: name.into(),
        role,
        is_approved: role == Role::Admin,
        is_banned: false,
        is_active: true,
        is_root_admin: false,
        created_at: "2026-01-01T00:00:00Z".into(),
        updated_at: "2026-01-01T00:00:00Z".into(),
    }
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

/// A request as API Gateway hands it to the function, with `{id}` when given.
fn request(
    method: &str,
    path: &str,
    id: Option<&str>,
    bearer: &str,
    body: Option<Value>,
    query: &[(&str, &str)],
) -> Request {
    let mut builder = lambda_http::http::Request::builder()
        .method(method)
        .uri(path.replace("{id}", id.unwrap_or_default()))
        .header("authorization", format!("Bearer {bearer}"));
    if body.is_some() {
        builder = builder.header("content-type", "application/json");
    }
    let params: HashMap<String, String> = id
        .map(|id| HashMap::from([("id".to_string(), id.to_string())]))
        .unwrap_or_default();
    let query: HashMap<String, String> = query
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    builder
        .body(body.map_or(Body::Empty, |b| Body::Text(b.to_string())))
        .expect("a valid request")
        .with_path_parameters(params)
        .with_query_string_parameters(query)
}

/// Runs one route's handler as the binaries do; status and JSON body (Null when empty).
async fn call<F, Fut>(state: &Arc<Users>, handler: F, req: Request) -> (u16, Value)
where
    F: Fn(Arc<Users>, Request, gymit_shared::Ctx) -> Fut,
    Fut: std::future::Future<Output = Result<gymit_shared::Response, gymit_shared::ApiError>>,
{
    let response = gymit_shared::http::handle("users-test", state.clone(), req, handler).await;
    let body = serde_json::from_slice(response.body().as_ref()).unwrap_or(Value::Null);
    (response.status().as_u16(), body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_route_takes_at_most_two_round_trips() {
    let tables = gymit_local::testing::fresh_tables(&["UsersTable"]).await;
    let trips = RoundTrips::new();
    let state = Arc::new(Users {
        store: UsersStore::new(
            trips.patient_client(&gymit_shared::aws::sdk_config().await),
            tables["UsersTable"].clone(),
        ),
        keys: Keys::given(Some(Tokens::new(SECRET)), Some(CursorKey::derive(SECRET))),
    });
    let admin = user("admin", Role::Admin);
    let member = user("member", Role::Member);
    let mut table = Budget::new(&[]).checking_iam(&trips, &FUNCTIONS);

    // users-create (no route: auth-register's invoke): the profile and its event.
    let new_profile = |u: &User| {
        serde_json::from_value::<create::NewProfile>(
            json!({ "user": u, "correlation_id": "round-trips" }),
        )
        .expect("a new profile")
    };
    let (answer, ops) = trips
        .during(create::handle(&state, new_profile(&member)))
        .await;
    assert_eq!(answer.expect("created")["user"], json!(member));
    table.expect("create (users-create)", &ops, &["TransactWriteItems"]);
    // A retried invoke: the transaction's condition fails, the stored profile answers.
    let (answer, ops) = trips
        .during(create::handle(&state, new_profile(&member)))
        .await;
    assert_eq!(answer.expect("found")["user"], json!(member));
    table.expect(
        "create (retried: already there)",
        &ops,
        &["TransactWriteItems", "GetItem"],
    );
    create::handle(&state, new_profile(&admin))
        .await
        .expect("the admin's profile");
    let (admin_token, member_token) = (token(&state, &admin), token(&state, &member));
    let id = Some(member.id.as_str());

    let ((status, answer), ops) = trips
        .during(call(
            &state,
            get::handle,
            request("GET", "/api/users/{id}", id, &admin_token, None, &[]),
        ))
        .await;
    assert_eq!(status, 200, "{answer}");
    table.expect("get", &ops, &["GetItem"]);

    let ((status, answer), ops) = trips
        .during(call(
            &state,
            list::handle,
            request("GET", "/api/users", None, &admin_token, None, &[]),
        ))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["items"].as_array().map(Vec::len),
        Some(2),
        "{answer}"
    );
    table.expect("list", &ops, &["Query"]);

    let filters = [("role", "member"), ("is_approved", "false"), ("limit", "1")];
    let ((status, answer), ops) = trips
        .during(call(
            &state,
            list::handle,
            request("GET", "/api/users", None, &admin_token, None, &filters),
        ))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["items"][0]["id"], member.id.as_str(), "{answer}");
    table.expect("list (role, is_approved)", &ops, &["Query"]);

    let ((status, answer), ops) = trips
        .during(call(
            &state,
            me_get::handle,
            request("GET", "/api/users/me", None, &member_token, None, &[]),
        ))
        .await;
    assert_eq!(status, 200, "{answer}");
    table.expect("me (get)", &ops, &["GetItem"]);

    let rename = json!({ "full_name": "Mia Member" });
    let ((status, answer), ops) = trips
        .during(call(
            &state,
            me_update::handle,
            request(
                "PATCH",
                "/api/users/me",
                None,
                &member_token,
                Some(rename),
                &[],
            ),
        ))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["user"]["full_name"], "Mia Member");
    table.expect("me (update)", &ops, &["GetItem", "TransactWriteItems"]);

    // Every admin change: the profile, then the versioned put and its event in one
    // transaction.
    macro_rules! admin_change {
        ($route:literal, $method:literal, $path:literal, $handler:path, $body:expr, $want:literal) => {
            let ((status, answer), ops) = trips
                .during(call(
                    &state,
                    $handler,
                    request($method, $path, id, &admin_token, $body, &[]),
                ))
                .await;
            assert_eq!(status, $want, "{}: {answer}", $route);
            table.expect($route, &ops, &["GetItem", "TransactWriteItems"]);
        };
    }
    admin_change!(
        "approve",
        "POST",
        "/api/users/{id}/approve",
        approve::handle,
        None,
        200
    );
    let reason = Some(json!({ "reason": "spam" }));
    admin_change!(
        "ban",
        "POST",
        "/api/users/{id}/ban",
        ban::handle,
        reason,
        200
    );
    admin_change!(
        "unban",
        "POST",
        "/api/users/{id}/unban",
        unban::handle,
        None,
        200
    );
    let role = Some(json!({ "role": "trainer" }));
    admin_change!(
        "set-role",
        "PUT",
        "/api/users/{id}/role",
        set_role::handle,
        role,
        200
    );
    admin_change!(
        "delete",
        "DELETE",
        "/api/users/{id}",
        delete::handle,
        None,
        204
    );
    let stored = state.store.get(&member.id).await.unwrap().unwrap();
    assert!(stored.user.is_approved && !stored.user.is_banned && !stored.user.is_active);
    assert_eq!(stored.user.role, Role::Trainer);
    assert_eq!(table.len(), 12, "every route");
}
