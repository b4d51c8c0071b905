//! The password reset (API.md v1.1) in process against the emulator (`make test`): the
//! real handlers, DynamoDB on a fresh table and SES through `aws-sdk-sesv2`, whose sent
//! mail the emulator lists (`gymit_local::mail::mailbox`, what `GET /_local/mail` serves).
//! A code from the email sets a new password once and ends every session; five requests
//! per email per hour send mail, concurrent ones included, and no more; an unknown or
//! deactivated email gets the same 202 and no mail; of two racing confirms one wins; an
//! expired code, a weak password and a malformed email are refused; a reset lifts the
//! login lockout from every address.

use std::sync::Arc;

use gymit_auth::{
    domain::{hash_password, Account, ResetCode},
    handlers::{login, password_reset, password_reset_confirm, refresh},
    mail::Mailer,
    store::AuthStore,
    Auth, PasswordReset,
};
use gymit_local::mail::{mailbox, Mail};
use gymit_shared::{jwt::Tokens, Request};
use serde_json::{json, Value};

const SECRET: &str = "reset-test-secret-reset-test-secret-reset-test";
const PASSWORD: &str = "correct horse battery staple";
const NEW_PASSWORD: &str = "a whole new passphrase";
const MAIL_FROM: &str = "no-reply@gymit.example";
const WEB_APP: &str = "http://127.0.0.1:8000";

struct Stack {
    auth: Arc<Auth>,
    reset: Arc<PasswordReset>,
    confirm: Arc<AuthStore>,
}

async fn fresh() -> Stack {
    let tables = gymit_local::testing::fresh_tables(&["AuthTable"]).await;
    let store = AuthStore::new(
        gymit_shared::aws::dynamodb().await,
        tables["AuthTable"].clone(),
    );
    let sdk = gymit_shared::aws::sdk_config().await;
    let ses = aws_sdk_sesv2::Client::new(&sdk);
    gymit_local::provision::create_email_identity(&ses, MAIL_FROM)
        .await
        .expect("the sender's identity");
    Stack {
        auth: Arc::new(Auth {
            store: store.clone(),
            tokens: Tokens::new(SECRET),
        }),
        reset: Arc::new(PasswordReset {
            store: store.clone(),
            mailer: Mailer::new(ses, MAIL_FROM.into()),
            web_app_url: WEB_APP.into(),
        }),
        confirm: Arc::new(store),
    }
}

/// A unique address per test: the emulator's mailbox is shared by every test.
fn unique_email(name: &str) -> String {
    format!("{name}-{}@example.com", uuid::Uuid::now_v7().simple())
}

async fn account(stack: &Stack, email: &str) -> Account {
    let mut a = Account::new(
        email.to_string(),
        "Ada Lovelace".into(),
        hash_password(PASSWORD).expect("hash"),
    );
    a.is_approved = true;
    stack.auth.store.create_account(&a).await.expect("account");
    a
}

/// A POST as API Gateway sends it from `source`.
fn post(path: &str, body: &Value, source: &str) -> Request {
    let e = json!({
        "version": "2.0", "routeKey": format!("POST {path}"), "rawPath": path,
        "rawQueryString": "", "isBase64Encoded": false, "body": body.to_string(),
        "headers": {"host": "127.0.0.1", "content-type": "application/json"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "local", "domainName": "127.0.0.1",
            "domainPrefix": "127",
            "http": {"method": "POST", "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": source, "userAgent": "reset-test"},
            "requestId": uuid::Uuid::now_v7().to_string(), "routeKey": format!("POST {path}"),
            "stage": "$default", "time": "01/Dec/2026:10:00:00 +0000", "timeEpoch": 1795514400000u64
        }
    });
    lambda_http::request::from_str(&e.to_string()).expect("a payload 2.0 event")
}

fn answer(response: gymit_shared::Response) -> (u16, Value) {
    let body = serde_json::from_slice(response.body().as_ref()).unwrap_or(Value::Null);
    (response.status().as_u16(), body)
}

async fn ask_reset(stack: &Stack, email: &str) -> (u16, Value) {
    let req = post(
        "/api/auth/password-reset",
        &json!({ "email": email }),
        "127.0.0.1",
    );
    answer(
        gymit_shared::http::handle(
            "auth-password-reset",
            stack.reset.clone(),
            req,
            password_reset::handle,
        )
        .await,
    )
}

async fn confirm(stack: &Stack, code: &str, new_password: &str) -> (u16, Value) {
    let req = post(
        "/api/auth/password-reset/confirm",
        &json!({ "code": code, "new_password": new_password }),
        "127.0.0.1",
    );
    answer(
        gymit_shared::http::handle(
            "auth-password-reset-confirm",
            stack.confirm.clone(),
            req,
            password_reset_confirm::handle,
        )
        .await,
    )
}

async fn log_in(stack: &Stack, source: &str, email: &str, password: &str) -> (u16, Value) {
    let req = post(
        "/api/auth/login",
        &json!({ "email": email, "password": password }),
        source,
    );
    answer(gymit_shared::http::handle("auth-login", stack.auth.clone(), req, login::handle).await)
}

async fn mails_to(email: &str) -> Vec<Mail> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL (make test)");
    mailbox(&endpoint, Some(email)).await.expect("the mailbox")
}

/// The code in a reset email's link.
fn code_in(mail: &Mail) -> String {
    let link = format!("{WEB_APP}/reset-password?code=");
    let start = mail.text.find(&link).expect("a link to the reset page") + link.len();
    mail.text[start..]
        .split_whitespace()
        .next()
        .expect("a code")
        .to_string()
}

#[tokio::test]
async fn an_emailed_code_sets_a_new_password_once_and_ends_every_session() {
    let stack = fresh().await;
    let email = unique_email("ada");
    account(&stack, &email).await;
    let (status, session) = log_in(&stack, "127.0.0.1", &email, PASSWORD).await;
    assert_eq!(status, 200, "{session}");

    assert_eq!(ask_reset(&stack, &email).await.0, 202);
    let mails = mails_to(&email).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].subject, "Reset your GymIT password");
    let code = code_in(&mails[0]);
    assert!(code.len() >= 22, "at least 128 bits: {code}");

    let (status, body) = confirm(&stack, &code, NEW_PASSWORD).await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(log_in(&stack, "127.0.0.1", &email, PASSWORD).await.0, 401);
    assert_eq!(
        log_in(&stack, "127.0.0.1", &email, NEW_PASSWORD).await.0,
        200
    );
    // The session from before the reset is over: its refresh token is refused.
    let req = post(
        "/api/auth/refresh",
        &json!({ "refresh_token": session["refresh_token"] }),
        "127.0.0.1",
    );
    let (status, body) = answer(
        gymit_shared::http::handle("auth-refresh", stack.auth.clone(), req, refresh::handle).await,
    );
    assert_eq!(status, 401, "{body}");
    // The code works once.
    let (status, body) = confirm(&stack, &code, "yet another passphrase").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_reset_code"))
    );
    assert_eq!(
        log_in(&stack, "127.0.0.1", &email, NEW_PASSWORD).await.0,
        200
    );
}

#[tokio::test]
async fn five_requests_an_hour_send_mail_even_at_once_and_the_sixth_nothing() {
    let stack = fresh().await;
    let email = unique_email("busy");
    account(&stack, &email).await;
    let asks = (0..8).map(|_| ask_reset(&stack, &email));
    for (status, _) in futures::future::join_all(asks).await {
        assert_eq!(status, 202);
    }
    assert_eq!(mails_to(&email).await.len(), 5);
    assert_eq!(ask_reset(&stack, &email).await.0, 202);
    assert_eq!(mails_to(&email).await.len(), 5, "the sixth sent nothing");
}

#[tokio::test]
async fn an_unknown_or_deactivated_email_gets_202_and_no_mail() {
    let stack = fresh().await;
    let ghost = unique_email("ghost");
    let (status, body) = ask_reset(&stack, &ghost).await;
    assert_eq!(status, 202, "{body}");
    let gone = unique_email("gone");
    let mut a = account(&stack, &gone).await;
    a.is_active = false;
    let user = a.to_user();
    stack
        .auth
        .store
        .apply_user_state(&user, 1)
        .await
        .expect("deactivated");
    let (status, same) = ask_reset(&stack, &gone).await;
    assert_eq!((status, &same), (202, &body), "the same answer");
    assert!(mails_to(&ghost).await.is_empty());
    assert!(mails_to(&gone).await.is_empty());
}

#[tokio::test]
async fn of_two_racing_confirms_exactly_one_wins() {
    let stack = fresh().await;
    let email = unique_email("race");
    account(&stack, &email).await;
    assert_eq!(ask_reset(&stack, &email).await.0, 202);
    let code = code_in(&mails_to(&email).await[0]);
    let (a, b) = tokio::join!(
        confirm(&stack, &code, "first racer's passphrase"),
        confirm(&stack, &code, "second racer's passphrase")
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [204, 400], "{a:?} {b:?}");
    let winner = if a.0 == 204 {
        "first racer's passphrase"
    } else {
        "second racer's passphrase"
    };
    assert_eq!(log_in(&stack, "127.0.0.1", &email, winner).await.0, 200);
}

#[tokio::test]
async fn an_expired_or_unknown_code_is_refused() {
    let stack = fresh().await;
    let email = unique_email("late");
    account(&stack, &email).await;
    // A code asked for 31 minutes ago.
    let now = gymit_shared::time::epoch_seconds();
    let code = gymit_auth::domain::new_reset_code(&email);
    let stored = stack
        .auth
        .store
        .store_reset_code(
            &gymit_auth::domain::reset_code_hash(&code),
            &ResetCode::new(email.clone(), now - 31 * 60),
            now,
        )
        .await
        .expect("stored");
    assert!(stored);
    // A code sent to another account, its email part changed to this one: unknown.
    let other = unique_email("other");
    account(&stack, &other).await;
    assert_eq!(ask_reset(&stack, &other).await.0, 202);
    let sent = code_in(&mails_to(&other).await[0]);
    let secret = sent.split_once('.').expect("email.secret").1;
    let forged = format!("{}.{secret}", code.split_once('.').expect("email.secret").0);
    for code in [
        code.as_str(),
        forged.as_str(),
        "not-a-code-anyone-was-sent",
        "",
    ] {
        let (status, body) = confirm(&stack, code, NEW_PASSWORD).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("invalid_reset_code")),
            "{code:?}"
        );
    }
    assert_eq!(log_in(&stack, "127.0.0.1", &email, PASSWORD).await.0, 200);
}

#[tokio::test]
async fn a_weak_new_password_is_422_and_leaves_the_code_usable() {
    let stack = fresh().await;
    let email = unique_email("weak");
    account(&stack, &email).await;
    assert_eq!(ask_reset(&stack, &email).await.0, 202);
    let code = code_in(&mails_to(&email).await[0]);
    for weak in ["password", "short", email.as_str()] {
        let (status, body) = confirm(&stack, &code, weak).await;
        assert_eq!(status, 422, "{weak}: {body}");
        assert_eq!(body["errors"][0]["field"], "new_password", "{body}");
    }
    assert_eq!(confirm(&stack, &code, NEW_PASSWORD).await.0, 204);
}

#[tokio::test]
async fn a_malformed_email_is_422() {
    let stack = fresh().await;
    for bad in ["not an email", "<img/src=x>@x.io", ""] {
        let (status, body) = ask_reset(&stack, bad).await;
        assert_eq!(status, 422, "{bad}: {body}");
    }
}

#[tokio::test]
async fn a_reset_lifts_the_login_lockout_from_every_address() {
    let stack = fresh().await;
    let email = unique_email("locked");
    account(&stack, &email).await;
    for source in ["198.51.100.7", "127.0.0.1"] {
        for i in 0..10 {
            let (status, _) = log_in(&stack, source, &email, &format!("guess {i}")).await;
            assert_eq!(status, 401);
        }
        assert_eq!(log_in(&stack, source, &email, PASSWORD).await.0, 429);
    }
    assert_eq!(ask_reset(&stack, &email).await.0, 202);
    let code = code_in(&mails_to(&email).await[0]);
    assert_eq!(confirm(&stack, &code, NEW_PASSWORD).await.0, 204);
    for source in ["198.51.100.7", "127.0.0.1"] {
        assert_eq!(
            log_in(&stack, source, &email, NEW_PASSWORD).await.0,
            200,
            "{source}"
        );
    }
}
