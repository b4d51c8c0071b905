//! The auth service's defences in process, against a real DynamoDB emulator
//! (`AWS_ENDPOINT_URL`, see `make test`), each test with a fresh table: the authorizer's
//! verdicts (it resolves, the function decides), the lockout under concurrency and on
//! password changes, access tokens issued before a password change, refresh and access
//! tokens swapped, and refresh-token families that stay revoked after DynamoDB's TTL.

use std::sync::Arc;

use aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use gymit_auth::{
    domain::{hash_password, refresh_token_hash, Account, RefreshToken, REFRESH_TOKEN_SECONDS},
    handlers::{
        authorizer::{self, Authorizer},
        login, me, password, refresh,
    },
    store::AuthStore,
    Auth,
};
use gymit_shared::{dynamo::s, identity::Role, jwt::Tokens, Request};
use serde_json::{json, Value};

const SECRET: &str = "security-test-secret-security-test-secret";
const PASSWORD: &str = "correct horse battery staple";

async fn fresh() -> Arc<Auth> {
    let tables = gymit_local::testing::fresh_tables(&["AuthTable"]).await;
    Arc::new(Auth {
        store: AuthStore::new(
            gymit_shared::aws::dynamodb().await,
            tables["AuthTable"].clone(),
        ),
        tokens: Tokens::new(SECRET),
    })
}

/// An approved account of `role` with `PASSWORD`.
async fn account(auth: &Auth, email: &str, role: Role) -> Account {
    let mut a = Account::new(
        email.to_string(),
        "Ada Lovelace".into(),
        hash_password(PASSWORD).expect("hash"),
    );
    a.role = role;
    a.is_approved = true;
    auth.store.create_account(&a).await.expect("account");
    a
}

/// An HTTP API payload 2.0 event, with the authorizer's context when given, read by
/// lambda_http as the runtime does.
fn event(
    method: &str,
    path: &str,
    body: Option<Value>,
    authorization: Option<&str>,
    context: Option<&Value>,
) -> Request {
    let mut headers = json!({"host": "127.0.0.1", "content-type": "application/json"});
    if let Some(a) = authorization {
        headers["authorization"] = json!(a);
    }
    let mut request_context = json!({
        "accountId": "123456789012", "apiId": "local", "domainName": "127.0.0.1",
        "domainPrefix": "127",
        "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                 "sourceIp": "127.0.0.1", "userAgent": "security-test"},
        "requestId": uuid::Uuid::now_v7().to_string(), "routeKey": format!("{method} {path}"),
        "stage": "$default", "time": "01/Dec/2026:10:00:00 +0000", "timeEpoch": 1795514400000u64
    });
    if let Some(c) = context {
        request_context["authorizer"] = json!({ "lambda": c });
    }
    let mut e = json!({
        "version": "2.0", "routeKey": format!("{method} {path}"), "rawPath": path,
        "rawQueryString": "", "headers": headers, "requestContext": request_context,
        "isBase64Encoded": false
    });
    if let Some(b) = body {
        e["body"] = json!(b.to_string());
    }
    lambda_http::request::from_str(&e.to_string()).expect("a payload 2.0 event")
}

async fn call<F, Fut>(auth: &Arc<Auth>, handler: F, req: Request) -> (u16, Value)
where
    F: Fn(Arc<Auth>, Request, gymit_shared::Ctx) -> Fut,
    Fut: std::future::Future<Output = Result<gymit_shared::Response, gymit_shared::ApiError>>,
{
    let response = gymit_shared::http::handle("auth-test", auth.clone(), req, handler).await;
    let body = serde_json::from_slice(response.body().as_ref()).unwrap_or(Value::Null);
    (response.status().as_u16(), body)
}

async fn log_in(auth: &Arc<Auth>, email: &str, password: &str) -> (u16, Value) {
    let body = json!({"email": email, "password": password});
    call(
        auth,
        login::handle,
        event("POST", "/api/auth/login", Some(body), None, None),
    )
    .await
}

async fn refresh(auth: &Arc<Auth>, refresh_token: &str) -> (u16, Value) {
    let body = json!({ "refresh_token": refresh_token });
    call(
        auth,
        refresh::handle,
        event("POST", "/api/auth/refresh", Some(body), None, None),
    )
    .await
}

/// Thirty wrong logins for `email` at once; how many answered 401, and every status.
async fn flood(auth: &Arc<Auth>, email: &str) -> (usize, Vec<u16>) {
    let attempts: Vec<_> = (0..30)
        .map(|i| {
            let auth = auth.clone();
            let email = email.to_string();
            tokio::spawn(async move { log_in(&auth, &email, &format!("wrong guess {i}")).await })
        })
        .collect();
    let mut statuses = Vec::new();
    for a in attempts {
        statuses.push(a.await.expect("the attempt ran").0);
    }
    let unauthorized = statuses.iter().filter(|s| **s == 401).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(unauthorized + limited, 30, "{statuses:?}");
    (unauthorized, statuses)
}

/// The authorizer's request for a request carrying `authorization`, from the sample event
/// of `events/auth-authorizer.json` (what the gateway sends).
fn authorizer_request(authorization: Option<&str>) -> ApiGatewayV2CustomAuthorizerV2Request {
    let mut sample: Value =
        serde_json::from_str(include_str!("../../../events/auth-authorizer.json"))
            .expect("the sample event");
    match authorization {
        Some(a) => {
            sample["headers"]["authorization"] = json!(a);
            sample["identitySource"] = json!([a]);
        }
        None => {
            sample["headers"]
                .as_object_mut()
                .unwrap()
                .remove("authorization");
            sample.as_object_mut().unwrap().remove("identitySource");
        }
    }
    serde_json::from_value(sample).expect("an authorizer request (payload 2.0)")
}

/// The authorizer's answer for a request carrying `authorization`.
async fn authorize(auth: &Arc<Auth>, authorization: Option<&str>) -> Value {
    let state = Authorizer {
        store: auth.store.clone(),
        tokens: auth.tokens.clone(),
    };
    authorizer::handle(&state, authorizer_request(authorization))
        .await
        .expect("the table is reachable")
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

// ------------------------------------------------------------------ the authorizer

#[tokio::test]
async fn the_authorizer_always_authorizes_and_passes_its_verdict() {
    let auth = fresh().await;
    let a = account(&auth, "verdicts@example.com", Role::Trainer).await;
    let (token, _) = auth
        .tokens
        .issue(&a.id, &a.email, Role::Trainer, true)
        .unwrap();

    let allowed = authorize(&auth, Some(&bearer(&token))).await;
    assert_eq!(
        allowed,
        json!({"isAuthorized": true, "context": {
            "verdict": "allow", "user_id": a.id, "email": a.email, "role": "trainer",
            "approved": true}})
    );

    let forged = Tokens::new("another-secret-another-secret-another!")
        .issue(&a.id, &a.email, Role::Admin, true)
        .unwrap()
        .0;
    for (case, header) in [
        ("no header", None),
        ("wrong scheme", Some(format!("Basic {token}"))),
        ("garbage", Some("Bearer not-a-token".to_string())),
        ("forged", Some(bearer(&forged))),
    ] {
        let answer = authorize(&auth, header.as_deref()).await;
        assert_eq!(
            answer,
            json!({"isAuthorized": true, "context": {"verdict": "unauthenticated"}}),
            "{case}"
        );
    }
}

#[tokio::test]
async fn the_authorizer_reads_the_accounts_current_state() {
    let auth = fresh().await;
    let a = account(&auth, "state@example.com", Role::Trainer).await;
    let (token, _) = auth
        .tokens
        .issue(&a.id, &a.email, Role::Trainer, true)
        .unwrap();
    let verdict = |v: Value| v["context"]["verdict"].as_str().unwrap().to_string();

    // Demoted and unapproved since the token was issued: the context says so.
    let mut user = a.to_user();
    user.role = Role::Member;
    user.is_approved = false;
    assert!(auth.store.apply_user_state(&user, 1).await.unwrap());
    let answer = authorize(&auth, Some(&bearer(&token))).await;
    assert_eq!(answer["context"]["role"], "member");
    assert_eq!(answer["context"]["approved"], false);

    user.is_banned = true;
    assert!(auth.store.apply_user_state(&user, 2).await.unwrap());
    let answer = authorize(&auth, Some(&bearer(&token))).await;
    assert_eq!(
        answer,
        json!({"isAuthorized": true, "context": {"verdict": "account_banned", "user_id": a.id}})
    );

    user.is_banned = false;
    user.is_active = false;
    assert!(auth.store.apply_user_state(&user, 3).await.unwrap());
    assert_eq!(
        verdict(authorize(&auth, Some(&bearer(&token))).await),
        "account_inactive"
    );

    let (stranger, _) = auth
        .tokens
        .issue("nobody", "n@example.com", Role::Admin, true)
        .unwrap();
    assert_eq!(
        verdict(authorize(&auth, Some(&bearer(&stranger))).await),
        "account_inactive"
    );
}

#[tokio::test]
async fn the_authorizer_fails_closed_when_the_table_cannot_be_read() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let sdk = gymit_shared::aws::sdk_config().await;
    let db = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&sdk)
            .endpoint_url(format!("http://127.0.0.1:{port}"))
            .build(),
    );
    let tokens = Tokens::new(SECRET);
    let (token, _) = tokens.issue("u1", "a@b.co", Role::Admin, true).unwrap();
    let state = Authorizer {
        store: AuthStore::new(db, "auth".into()),
        tokens,
    };
    let request = authorizer_request(Some(&bearer(&token)));
    assert!(
        authorizer::handle(&state, request).await.is_err(),
        "an error, so API Gateway answers 500 and runs no function"
    );
}

// ------------------------------------------------------------------ passwords

#[tokio::test]
async fn access_tokens_issued_before_a_password_change_are_token_expired() {
    let auth = fresh().await;
    let a = account(&auth, "change@example.com", Role::Member).await;
    let (status, session) = log_in(&auth, &a.email, PASSWORD).await;
    assert_eq!(status, 200, "{session}");
    let old = session["access_token"].as_str().unwrap().to_string();

    let change = json!({"current_password": PASSWORD, "new_password": "a whole new passphrase"});
    let (status, body) = call(
        &auth,
        password::handle,
        event(
            "POST",
            "/api/auth/password",
            Some(change),
            Some(&bearer(&old)),
            None,
        ),
    )
    .await;
    assert_eq!(status, 204, "{body}");

    // Through the authorizer and the function, as the gateway chains them.
    let answer = authorize(&auth, Some(&bearer(&old))).await;
    assert_eq!(answer["isAuthorized"], true);
    assert_eq!(answer["context"]["verdict"], "token_expired");
    let (status, body) = call(
        &auth,
        me::handle,
        event(
            "GET",
            "/api/auth/me",
            None,
            Some(&bearer(&old)),
            Some(&answer["context"]),
        ),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("token_expired")),
        "{body}"
    );

    // The old password and the session's refresh token no longer work.
    assert_eq!(log_in(&auth, &a.email, PASSWORD).await.0, 401);
    let (status, body) = refresh(&auth, session["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 401, "{body}");

    // A login right after the change (within the same second) gets a token that works.
    let (status, fresh_session) = log_in(&auth, &a.email, "a whole new passphrase").await;
    assert_eq!(status, 200, "{fresh_session}");
    let new = fresh_session["access_token"].as_str().unwrap();
    let answer = authorize(&auth, Some(&bearer(new))).await;
    assert_eq!(answer["context"]["verdict"], "allow");
    let (status, body) = call(
        &auth,
        me::handle,
        event(
            "GET",
            "/api/auth/me",
            None,
            Some(&bearer(new)),
            Some(&answer["context"]),
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn wrong_current_passwords_count_toward_the_lockout() {
    let auth = fresh().await;
    let a = account(&auth, "guess@example.com", Role::Member).await;
    let (token, _) = auth
        .tokens
        .issue(&a.id, &a.email, Role::Member, true)
        .unwrap();
    let attempt = |current: &str| {
        event(
            "POST",
            "/api/auth/password",
            Some(json!({"current_password": current, "new_password": "attacker's passphrase"})),
            Some(&bearer(&token)),
            None,
        )
    };
    let mut statuses = Vec::new();
    for i in 0..11 {
        let (status, _) = call(
            &auth,
            password::handle,
            attempt(&format!("guess number {i}")),
        )
        .await;
        statuses.push(status);
    }
    assert_eq!(statuses[..10], [401; 10], "{statuses:?}");
    assert_eq!(statuses[10], 429, "{statuses:?}");
    // Locked: even the right password is refused now, on this route and at login.
    let (status, _) = call(&auth, password::handle, attempt(PASSWORD)).await;
    assert_eq!(status, 429);
    assert_eq!(log_in(&auth, &a.email, PASSWORD).await.0, 429);
}

#[tokio::test]
async fn thirty_simultaneous_wrong_logins_get_at_most_ten_401s() {
    let auth = fresh().await;
    let a = account(&auth, "flood@example.com", Role::Member).await;
    let (unauthorized, statuses) = flood(&auth, &a.email).await;
    assert!(unauthorized <= 10, "{unauthorized} × 401: {statuses:?}");
    assert_eq!(log_in(&auth, &a.email, PASSWORD).await.0, 429, "locked");
}

#[tokio::test]
async fn an_email_without_an_account_is_locked_out_the_same_way() {
    let auth = fresh().await;
    let (unauthorized, statuses) = flood(&auth, "nobody@example.com").await;
    assert!(unauthorized <= 10, "{unauthorized} × 401: {statuses:?}");
    let (status, body) = log_in(&auth, "nobody@example.com", PASSWORD).await;
    assert_eq!(status, 429, "{body}");
}

/// Moves the open failed-login windows of an email (all addresses' and each address's)
/// `seconds` into the past, as if that much time had passed (they are on the email's item).
async fn age_login_window(auth: &Auth, email: &str, seconds: i64) {
    let since = gymit_shared::time::epoch_seconds() - seconds;
    let item = auth
        .store
        .db()
        .get_item()
        .table_name(auth.store.table())
        .key("pk", s(format!("EMAIL#{email}")))
        .key("sk", s("EMAIL"))
        .consistent_read(true)
        .send()
        .await
        .expect("read")
        .item
        .expect("the email's item");
    let windows: Vec<&String> = item
        .keys()
        .filter(|k| k.starts_with("failures_since"))
        .collect();
    assert!(!windows.is_empty(), "an open window to age");
    let mut update = auth
        .store
        .db()
        .update_item()
        .table_name(auth.store.table())
        .key("pk", s(format!("EMAIL#{email}")))
        .key("sk", s("EMAIL"))
        .expression_attribute_values(":t", gymit_shared::dynamo::n(since));
    let mut sets = Vec::new();
    for (i, name) in windows.into_iter().enumerate() {
        update = update.expression_attribute_names(format!("#w{i}"), name);
        sets.push(format!("#w{i} = :t"));
    }
    update
        .update_expression(format!("SET {}", sets.join(", ")))
        .send()
        .await
        .expect("aged");
}

#[tokio::test]
async fn a_lockout_ends_when_its_window_passes_and_a_success_clears_the_count() {
    let auth = fresh().await;
    let a = account(&auth, "patient@example.com", Role::Member).await;
    for i in 0..10 {
        assert_eq!(log_in(&auth, &a.email, &format!("guess {i}")).await.0, 401);
    }
    let (status, body) = log_in(&auth, &a.email, PASSWORD).await;
    assert_eq!(status, 429, "{body}");

    // Fifteen minutes later the email may try again, and the right password logs in.
    age_login_window(&auth, &a.email, 15 * 60 + 1).await;
    assert_eq!(log_in(&auth, &a.email, "guess 10").await.0, 401);
    let (status, body) = log_in(&auth, &a.email, PASSWORD).await;
    assert_eq!(status, 200, "{body}");

    // The success cleared the count: nine more failures do not lock the email.
    for i in 0..9 {
        assert_eq!(log_in(&auth, &a.email, &format!("again {i}")).await.0, 401);
    }
    let (status, body) = log_in(&auth, &a.email, PASSWORD).await;
    assert_eq!(status, 200, "{body}");
}

// ------------------------------------------------------------------ tokens swapped

#[tokio::test]
async fn a_refresh_token_is_not_an_access_token_and_the_reverse() {
    let auth = fresh().await;
    let a = account(&auth, "swap@example.com", Role::Member).await;
    let (_, session) = log_in(&auth, &a.email, PASSWORD).await;
    let access = session["access_token"].as_str().unwrap();
    let refresh_token = session["refresh_token"].as_str().unwrap();

    let (status, body) = call(
        &auth,
        me::handle,
        event(
            "GET",
            "/api/auth/me",
            None,
            Some(&bearer(refresh_token)),
            None,
        ),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("unauthenticated")),
        "{body}"
    );
    let answer = authorize(&auth, Some(&bearer(refresh_token))).await;
    assert_eq!(answer["context"], json!({"verdict": "unauthenticated"}));

    let (status, body) = refresh(&auth, access).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("unauthenticated")),
        "{body}"
    );
}

// ------------------------------------------------------------------ refresh families

/// What DynamoDB's TTL would have deleted by `at` (the emulator never expires items).
async fn expire_items_before(auth: &Auth, at: i64) -> usize {
    let items = auth
        .store
        .db()
        .scan()
        .table_name(auth.store.table())
        .consistent_read(true)
        .send()
        .await
        .expect("scan")
        .items
        .unwrap_or_default();
    let mut deleted = 0;
    for item in items {
        let expires = item
            .get("expires_at")
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse::<i64>().ok());
        if expires.is_some_and(|e| e < at) {
            auth.store
                .db()
                .delete_item()
                .table_name(auth.store.table())
                .key("pk", item["pk"].clone())
                .key("sk", item["sk"].clone())
                .send()
                .await
                .expect("delete");
            deleted += 1;
        }
    }
    deleted
}

#[tokio::test]
async fn a_revoked_family_stays_revoked_after_the_ttl_of_the_reused_token() {
    let auth = fresh().await;
    let a = account(&auth, "family@example.com", Role::Member).await;
    let now = gymit_shared::time::now();
    // A refresh token issued 29 days ago: it has one day left.
    let old_raw = gymit_auth::domain::new_refresh_token();
    let old = RefreshToken {
        user_id: a.id.clone(),
        family_id: "family-1".into(),
        rotated: false,
        issued_at_ms: now.timestamp_millis() - 29 * 86_400_000,
        expires_at: now.timestamp() + 86_400,
        // Its session has longer to live than the token itself.
        session_ends_at: now.timestamp() + 29 * 86_400,
    };
    auth.store
        .put_refresh_token(&refresh_token_hash(&old_raw), &old)
        .await
        .unwrap();
    // The owner refreshes (the newer token lives to the session's end, 29 days), then a
    // thief replays the old one.
    let (status, rotated) = refresh(&auth, &old_raw).await;
    assert_eq!(status, 200, "{rotated}");
    let newer = rotated["refresh_token"].as_str().unwrap().to_string();
    let (status, _) = refresh(&auth, &old_raw).await;
    assert_eq!(status, 401, "reuse revokes the family");

    // Two days later DynamoDB's TTL has deleted what expired, the old token among them.
    let later = now.timestamp() + 2 * 86_400;
    assert!(expire_items_before(&auth, later).await >= 1);
    let (status, body) = refresh(&auth, &newer).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("unauthenticated")),
        "the newer token of a revoked family must stay dead: {body}"
    );

    // The marker outlives every token of the family.
    let marker = auth
        .store
        .db()
        .get_item()
        .table_name(auth.store.table())
        .key("pk", s("FAMILY#family-1"))
        .key("sk", s("REVOKED"))
        .send()
        .await
        .unwrap()
        .item
        .expect("the revocation marker");
    let marker_expires: i64 = marker["expires_at"].as_n().unwrap().parse().unwrap();
    assert!(marker_expires >= now.timestamp() + REFRESH_TOKEN_SECONDS);
}
