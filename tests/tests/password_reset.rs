//! The password reset (API.md v1.1) through the gateway as a member meets it: ask for a
//! code, read the email in the local mailbox (`GET /_local/mail`, what SES delivers on
//! AWS), set a new password with it. The old password and the old session stop working,
//! the code works once, five requests an hour send mail and the sixth nothing, an unknown
//! email answers the same 202 and gets nothing, and the mailbox, like every `/_local/*`
//! endpoint, refuses a web page of another site.

use std::time::Duration;

use gymit_e2e::{unique_email, Answer, Stack, PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};

const NEW_PASSWORD: &str = "a whole new passphrase";

async fn ask_reset(s: &Stack, email: &str) -> Answer {
    s.post("/api/auth/password-reset", None, json!({ "email": email }))
        .await
}

async fn mailbox(s: &Stack, email: &str) -> Vec<Value> {
    let a = s
        .get_json(
            &format!("/_local/mail?to={}", email.replace('@', "%40")),
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{a:?}");
    a.body["items"].as_array().cloned().unwrap_or_default()
}

/// The mails to `email` once there are `n` (SES on AWS is not instant either).
async fn mails(s: &Stack, email: &str, n: usize) -> Vec<Value> {
    let started = std::time::Instant::now();
    loop {
        let items = mailbox(s, email).await;
        if items.len() >= n || started.elapsed() > Duration::from_secs(10) {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn code_in(mail: &Value) -> String {
    let text = mail["text"].as_str().expect("a text body");
    let start = text.find("?code=").expect("a link with the code") + "?code=".len();
    text[start..]
        .split_whitespace()
        .next()
        .expect("a code")
        .to_string()
}

async fn confirm(s: &Stack, code: &str, new_password: &str) -> Answer {
    s.post(
        "/api/auth/password-reset/confirm",
        None,
        json!({ "code": code, "new_password": new_password }),
    )
    .await
}

#[tokio::test]
async fn a_code_from_the_local_mailbox_sets_a_new_password_and_ends_the_old_session() {
    let s = Stack::get();
    let user = s.new_user("Forgetful").await;
    let a = ask_reset(&s, &user.email).await;
    assert_eq!(a.status, 202, "{a:?}");
    let items = mails(&s, &user.email, 1).await;
    assert_eq!(items.len(), 1, "{items:?}");
    let mail = &items[0];
    // To the address as stored: normalised (lower case), as login compares it.
    assert_eq!(mail["to"], user.email.to_lowercase().as_str());
    assert_eq!(mail["subject"], "Reset your GymIT password");
    assert!(
        mail["text"]
            .as_str()
            .is_some_and(|t| t.contains("/reset-password?code=")),
        "a link to the web app's reset page: {mail}"
    );
    assert!(
        mail["sent_at"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{mail}"
    );
    let code = code_in(mail);

    let a = confirm(&s, &code, NEW_PASSWORD).await;
    assert_eq!(a.status, 204, "{a:?}");
    assert_eq!(s.login(&user.email, PASSWORD).await.status, 401);
    let a = s.login(&user.email, NEW_PASSWORD).await;
    assert_eq!(a.status, 200, "{a:?}");
    // The session from before the reset is over.
    let a = s
        .post(
            "/api/auth/refresh",
            None,
            json!({ "refresh_token": user.refresh_token }),
        )
        .await;
    assert_eq!(a.status, 401, "{a:?}");
    // The code works once.
    let a = confirm(&s, &code, "yet another passphrase").await;
    assert_eq!(a.status, 400, "{a:?}");
    assert_eq!(a.problem_code(), "invalid_reset_code");
    // A bad body is a problem, never a 5xx.
    let a = s
        .post(
            "/api/auth/password-reset/confirm",
            None,
            json!({ "code": 7 }),
        )
        .await;
    assert_eq!(a.status, 422, "{a:?}");
}

#[tokio::test]
async fn the_sixth_request_in_an_hour_sends_nothing_and_the_newest_mail_comes_first() {
    let s = Stack::get();
    let user = s.new_user("Impatient").await;
    for _ in 0..6 {
        assert_eq!(ask_reset(&s, &user.email).await.status, 202);
    }
    let items = mails(&s, &user.email, 5).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let items_later = mailbox(&s, &user.email).await;
    assert_eq!(items.len(), 5, "{items:?}");
    assert_eq!(
        items_later.len(),
        5,
        "the sixth sent nothing: {items_later:?}"
    );
    let times: Vec<&str> = items.iter().filter_map(|m| m["sent_at"].as_str()).collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {times:?}"
    );
    // Every code sent works until one is used; the newest is what the member opens.
    let a = confirm(&s, &code_in(&items[0]), NEW_PASSWORD).await;
    assert_eq!(a.status, 204, "{a:?}");
}

#[tokio::test]
async fn an_unknown_email_gets_the_same_202_and_no_mail() {
    let s = Stack::get();
    let ghost = unique_email("ghost");
    let a = ask_reset(&s, &ghost).await;
    let known = s.new_user("Known").await;
    let b = ask_reset(&s, &known.email).await;
    assert_eq!((a.status.as_u16(), &a.body), (202, &b.body));
    assert_eq!(mails(&s, &known.email, 1).await.len(), 1);
    assert!(mailbox(&s, &ghost).await.is_empty());
    let a = ask_reset(&s, "not an email").await;
    assert_eq!(a.status, 422, "{a:?}");
}

#[tokio::test]
async fn the_mailbox_refuses_foreign_origins_and_hosts() {
    let s = Stack::get();
    for headers in [
        &[("origin", "https://evil.example")][..],
        &[("host", "evil.example")][..],
        &[("origin", "null")][..],
    ] {
        let a = s
            .send(
                Method::GET,
                "/_local/mail?to=a%40example.com",
                None,
                None,
                headers,
            )
            .await;
        assert_eq!(a.status, 403, "{headers:?}: {a:?}");
        assert_eq!(a.body, json!({"message": "Forbidden"}));
    }
    let a = s
        .send(
            Method::GET,
            "/_local/mail?to=a%40example.com",
            None,
            None,
            &[("origin", "http://localhost:5173")],
        )
        .await;
    assert_eq!(a.status, 200, "a page of this machine may read it: {a:?}");
}
