//! Accounts imported from the monolith keep their bcrypt hashes (LEGACY.md): the login
//! handler verifies them, replaces them with argon2id in the same request, and answers a
//! wrong password against one in the time a wrong password against argon2id takes (the
//! dummy-hash rule). In process, against the DynamoDB emulator (`make test`), each test on
//! a fresh table.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use gymit_auth::{
    domain::{hash_password, Account},
    handlers::login,
    store::{AuthStore, FailuresCleared},
    Auth,
};
use gymit_shared::{dynamo::s, jwt::Tokens, Request};
use serde_json::{json, Value};

const SECRET: &str = "legacy-test-secret-legacy-test-secret-legacy";
const LEGACY_PASSWORD: &str = "monolith days 1999";

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

/// An approved account stored with `hash`, as the importer writes it (through the store).
async fn imported(auth: &Auth, email: &str, hash: String) -> Account {
    let mut a = Account::new(email.to_string(), "Legacy Member".into(), hash);
    a.is_approved = true;
    auth.store.create_account(&a).await.expect("account");
    a
}

fn login_event(email: &str, password: &str) -> Request {
    let body = json!({ "email": email, "password": password }).to_string();
    let e = json!({
        "version": "2.0", "routeKey": "POST /api/auth/login", "rawPath": "/api/auth/login",
        "rawQueryString": "", "isBase64Encoded": false, "body": body,
        "headers": {"host": "127.0.0.1", "content-type": "application/json"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "local", "domainName": "127.0.0.1",
            "domainPrefix": "127",
            "http": {"method": "POST", "path": "/api/auth/login", "protocol": "HTTP/1.1",
                     "sourceIp": "127.0.0.1", "userAgent": "legacy-test"},
            "requestId": uuid::Uuid::now_v7().to_string(), "routeKey": "POST /api/auth/login",
            "stage": "$default", "time": "01/Dec/2026:10:00:00 +0000", "timeEpoch": 1795514400000u64
        }
    });
    lambda_http::request::from_str(&e.to_string()).expect("a payload 2.0 event")
}

async fn log_in(auth: &Arc<Auth>, email: &str, password: &str) -> (u16, Value) {
    let response = gymit_shared::http::handle(
        "auth-login",
        auth.clone(),
        login_event(email, password),
        login::handle,
    )
    .await;
    let body = serde_json::from_slice(response.body().as_ref()).unwrap_or(Value::Null);
    (response.status().as_u16(), body)
}

/// The `password_hash` on the account item and on the email's login item.
async fn stored_hashes(auth: &Auth, account: &Account) -> (String, String) {
    let get = |pk: String, sk: &'static str| async move {
        let item = auth
            .store
            .db()
            .get_item()
            .table_name(auth.store.table())
            .key("pk", s(pk))
            .key("sk", s(sk))
            .consistent_read(true)
            .send()
            .await
            .expect("read")
            .item
            .expect("the item exists");
        item["password_hash"].as_s().expect("a string").clone()
    };
    (
        get(format!("USER#{}", account.id), "ACCOUNT").await,
        get(format!("EMAIL#{}", account.email), "EMAIL").await,
    )
}

#[tokio::test]
async fn a_legacy_bcrypt_password_logs_in_and_is_replaced_by_argon2id() {
    let auth = fresh().await;
    for (i, prefix) in ["$2a$", "$2b$", "$2y$"].into_iter().enumerate() {
        let legacy = bcrypt::hash(LEGACY_PASSWORD, 4)
            .expect("bcrypt")
            .replacen("$2b$", prefix, 1);
        let a = imported(&auth, &format!("legacy{i}@example.com"), legacy.clone()).await;

        // A wrong password is refused as always and leaves the hash alone.
        let (status, body) = log_in(&auth, &a.email, "monolith days 2000").await;
        assert_eq!(
            (status, body["code"].as_str()),
            (401, Some("invalid_credentials"))
        );
        assert_eq!(stored_hashes(&auth, &a).await, (legacy.clone(), legacy));

        // The legacy password logs in like any login, and the hash is argon2id afterwards,
        // on the account and on its login item alike.
        let (status, body) = log_in(&auth, &a.email, LEGACY_PASSWORD).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["user"]["id"], a.id.as_str());
        assert!(body["access_token"].is_string() && body["refresh_token"].is_string());
        let (record, login_item) = stored_hashes(&auth, &a).await;
        assert!(
            record.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{prefix}"
        );
        assert_eq!(record, login_item);

        // The same password keeps working against the new hash; a wrong one still fails.
        assert_eq!(log_in(&auth, &a.email, LEGACY_PASSWORD).await.0, 200);
        assert_eq!(stored_hashes(&auth, &a).await.0, record, "rehashed once");
        assert_eq!(log_in(&auth, &a.email, "not it at all").await.0, 401);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_simultaneous_legacy_logins_both_succeed() {
    let auth = fresh().await;
    let legacy = bcrypt::hash(LEGACY_PASSWORD, 4).expect("bcrypt");
    let a = imported(&auth, "twice@example.com", legacy).await;
    let (one, two) = tokio::join!(
        log_in(&auth, &a.email, LEGACY_PASSWORD),
        log_in(&auth, &a.email, LEGACY_PASSWORD)
    );
    assert_eq!((one.0, two.0), (200, 200), "{one:?} {two:?}");
    let (record, login_item) = stored_hashes(&auth, &a).await;
    assert!(record.starts_with("$argon2id$"));
    assert_eq!(record, login_item);
    assert_eq!(log_in(&auth, &a.email, LEGACY_PASSWORD).await.0, 200);
}

/// The time of one wrong login for `email`, its failures cleared afterwards so the
/// lockout never answers instead.
async fn wrong_login(auth: &Arc<Auth>, email: &str) -> Duration {
    let started = Instant::now();
    let (status, _) = log_in(auth, email, "a wrong guess").await;
    let took = started.elapsed();
    assert_eq!(status, 401);
    auth.store
        .clear_login_failures(email, &FailuresCleared::source("127.0.0.1"))
        .await
        .expect("cleared");
    took
}

fn median(mut samples: Vec<Duration>) -> f64 {
    samples.sort();
    samples[samples.len() / 2].as_secs_f64()
}

#[tokio::test]
async fn a_wrong_password_takes_as_long_against_bcrypt_as_against_argon2id() {
    let auth = fresh().await;
    // The monolith's cheapest cost: far faster than argon2id unless evened out.
    let bcrypt_account = imported(
        &auth,
        "bcrypt@example.com",
        bcrypt::hash(LEGACY_PASSWORD, 4).expect("bcrypt"),
    )
    .await;
    let argon2_account = imported(
        &auth,
        "argon2@example.com",
        hash_password(LEGACY_PASSWORD).expect("argon2"),
    )
    .await;
    wrong_login(&auth, &argon2_account.email).await; // warm up
    let (mut argon2, mut bcrypt) = (Vec::new(), Vec::new());
    // Pairs in alternating order, so a slow moment of this shared machine hits both alike.
    for i in 0..21 {
        if i % 2 == 0 {
            argon2.push(wrong_login(&auth, &argon2_account.email).await);
            bcrypt.push(wrong_login(&auth, &bcrypt_account.email).await);
        } else {
            bcrypt.push(wrong_login(&auth, &bcrypt_account.email).await);
            argon2.push(wrong_login(&auth, &argon2_account.email).await);
        }
    }
    let (a, b) = (median(argon2), median(bcrypt));
    println!(
        "median wrong login (21 each): argon2id {:.1} ms, bcrypt {:.1} ms",
        a * 1e3,
        b * 1e3
    );
    assert!(
        (a - b).abs() <= 0.25 * a.max(b),
        "argon2id {:.1} ms vs bcrypt {:.1} ms",
        a * 1e3,
        b * 1e3
    );
}
