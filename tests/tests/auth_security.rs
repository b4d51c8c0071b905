//! The auth protections of the second security round (issue 27, API.md "Auth service"),
//! through the gateway as a client meets them: the login lockout per email and source
//! address (requests from 127.0.0.1 and 127.0.0.2, which the gateway reports as
//! `sourceIp` as API Gateway does), under concurrency; logout ending the session's access
//! tokens once the authorizer's cache runs out; look-alike emails and common passwords.

use std::{net::IpAddr, time::Duration};

use futures::future::join_all;
use gymit_e2e::{unique_email, Stack, PASSWORD};
use serde_json::json;

fn address(a: &str) -> IpAddr {
    a.parse().expect("an IP address")
}

#[tokio::test]
async fn ten_failures_hold_back_one_address_and_not_another() {
    let s = Stack::get();
    let user = s.new_user("Victim").await;
    let attacker = s.from_address(address("127.0.0.1"));
    let member = s.from_address(address("127.0.0.2"));
    for i in 0..10 {
        let a = attacker
            .login(&user.email, &format!("guess number {i}"))
            .await;
        assert_eq!(a.status, 401, "{a:?}");
    }
    // The attacker's address is held back, even with the right password...
    let held = attacker.login(&user.email, PASSWORD).await;
    assert_eq!(held.status, 429, "{held:?}");
    assert_eq!(held.problem_code(), "rate_limited");
    let retry_after: u64 = held
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    // ...while the member, from another address, logs in as always.
    let login = member.login(&user.email, PASSWORD).await;
    assert_eq!(login.status, 200, "{login:?}");
    // Their success cleared their own count, not the attacker's.
    assert_eq!(attacker.login(&user.email, "guess again").await.status, 429);
}

#[tokio::test]
async fn thirty_simultaneous_wrong_logins_from_one_address_get_at_most_ten_401s() {
    let s = Stack::get();
    let user = s.new_user("Flooded").await;
    let from = s.from_address(address("127.0.0.3"));
    let answers = join_all((0..30).map(|i| {
        let (from, email) = (&from, user.email.clone());
        async move {
            from.login(&email, &format!("simultaneous {i}"))
                .await
                .status
                .as_u16()
        }
    }))
    .await;
    let unauthorized = answers.iter().filter(|s| **s == 401).count();
    let limited = answers.iter().filter(|s| **s == 429).count();
    assert_eq!(unauthorized + limited, 30, "{answers:?}");
    assert!(
        unauthorized <= 10,
        "{unauthorized} wrong passwords were verified: {answers:?}"
    );
    // Another address is not held back.
    let other = s.from_address(address("127.0.0.4"));
    assert_eq!(other.login(&user.email, PASSWORD).await.status, 200);
}

#[tokio::test]
async fn after_logout_the_access_token_is_token_expired_once_the_cache_runs_out() {
    let s = Stack::get();
    let user = s.new_user("Leaving").await;
    let me = s.get_json("/api/auth/me", Some(&user.access_token)).await;
    assert_eq!(me.status, 200, "{me:?}");
    let out = s
        .post(
            "/api/auth/logout",
            None,
            json!({ "refresh_token": user.refresh_token }),
        )
        .await;
    assert_eq!(out.status, 204, "{out:?}");
    // The test stack's authorizer cache is 1 s (`GYMIT_AUTHORIZER_CACHE_SECONDS`); on AWS
    // it is ReauthorizeEvery, 60 s.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let me = s.get_json("/api/auth/me", Some(&user.access_token)).await;
        if me.status == 401 {
            assert_eq!(me.problem_code(), "token_expired", "{me:?}");
            break;
        }
        assert_eq!(me.status, 200, "{me:?}");
        assert!(
            std::time::Instant::now() < deadline,
            "the access token still works 10 s after logout"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // Other sessions of the same account go on.
    let again = s.session(&user.email, PASSWORD).await;
    let me = s.get_json("/api/auth/me", Some(&again.access_token)).await;
    assert_eq!(me.status, 200, "{me:?}");
}

#[tokio::test]
async fn look_alike_emails_and_common_passwords_are_refused_at_registration() {
    let s = Stack::get();
    let local = format!("victim{}", uuid::Uuid::now_v7().simple());
    let email = format!("{local}@example.com");
    assert_eq!(s.register(&email).await.status, 201);

    // The fullwidth copy of the same address is the same account.
    let fullwidth: String = email
        .chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap_or(c),
            other => other,
        })
        .collect();
    let again = s.register(&fullwidth).await;
    assert_eq!(again.status, 409, "{again:?}");
    assert_eq!(again.problem_code(), "email_taken");
    // So are the composed and decomposed spellings of café.
    let composed = format!("café{}@example.com", uuid::Uuid::now_v7().simple());
    assert_eq!(s.register(&composed).await.status, 201);
    let decomposed = composed.replace('é', "e\u{301}");
    assert_eq!(s.register(&decomposed).await.status, 409);

    // A Cyrillic і among Latin letters, and markup, are refused outright.
    for refused in [
        email.replacen('i', "\u{456}", 1),
        "<img/src=x/onerror=alert(1)>@x.io".to_string(),
    ] {
        let r = s.register(&refused).await;
        assert_eq!(r.status, 422, "{refused}: {r:?}");
        assert_eq!(r.body["errors"][0]["field"], "email", "{r:?}");
    }

    // Common passwords, and the account's own email or its local part, are too common.
    let own = unique_email("Own");
    let own_local = own.split('@').next().expect("a local part").to_string();
    for (email, password) in [
        (unique_email("Weak"), "password".to_string()),
        (unique_email("Weak"), "12345678".to_string()),
        (unique_email("Weak"), "iloveyou1".to_string()),
        (own.clone(), own.to_uppercase()),
        (own.clone(), own_local),
    ] {
        let r = s
            .post(
                "/api/auth/register",
                None,
                json!({ "email": email, "password": password, "full_name": "Weak" }),
            )
            .await;
        assert_eq!(r.status, 422, "{password}: {r:?}");
        assert_eq!(r.body["errors"][0]["field"], "password", "{r:?}");
        assert_eq!(r.body["errors"][0]["message"], "password is too common");
    }
}

/// The `gymit_refresh` value a `Set-Cookie` header sets, and the header itself.
fn refresh_cookie(answer: &gymit_e2e::Answer) -> (String, String) {
    let header = answer
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("gymit_refresh="))
        .unwrap_or_else(|| panic!("no gymit_refresh cookie: {answer:?}"))
        .to_string();
    let value = header["gymit_refresh=".len()..]
        .split(';')
        .next()
        .unwrap_or_default()
        .to_string();
    (value, header)
}

#[tokio::test]
async fn remember_keeps_the_session_in_a_strict_http_only_cookie() {
    let s = Stack::get();
    let user = s.new_user("Remembered").await;
    // Without remember: no cookie.
    let plain = s.login(&user.email, PASSWORD).await;
    assert_eq!(plain.status, 200);
    assert!(plain.header("set-cookie").is_none(), "{plain:?}");

    let login = s
        .post(
            "/api/auth/login",
            None,
            json!({ "email": user.email, "password": PASSWORD, "remember": true }),
        )
        .await;
    assert_eq!(login.status, 200, "{login:?}");
    let (token, header) = refresh_cookie(&login);
    assert_eq!(token, login.body["refresh_token"].as_str().unwrap());
    for attribute in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/api/auth",
        "Max-Age=259",
    ] {
        assert!(header.contains(attribute), "{attribute} in {header}");
    }
    assert!(!header.contains("Secure"), "plain http locally: {header}");

    // An empty body refreshes from the cookie, and the rotated token goes back into it.
    let cookie = format!("gymit_refresh={token}");
    let refreshed = s
        .send(
            reqwest::Method::POST,
            "/api/auth/refresh",
            None,
            None,
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(refreshed.status, 200, "{refreshed:?}");
    let (rotated, _) = refresh_cookie(&refreshed);
    assert_ne!(rotated, token);
    assert_eq!(rotated, refreshed.body["refresh_token"].as_str().unwrap());
    // Without a cookie or a token there is nothing to refresh.
    let none = s
        .send(reqwest::Method::POST, "/api/auth/refresh", None, None, &[])
        .await;
    assert_eq!(none.status, 401, "{none:?}");

    // Logout with the cookie ends the session and clears the cookie.
    let cookie = format!("gymit_refresh={rotated}");
    let out = s
        .send(
            reqwest::Method::POST,
            "/api/auth/logout",
            None,
            None,
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(out.status, 204, "{out:?}");
    let (cleared, header) = refresh_cookie(&out);
    assert_eq!(cleared, "");
    assert!(header.contains("Max-Age=0"), "{header}");
    let after = s
        .send(
            reqwest::Method::POST,
            "/api/auth/refresh",
            None,
            None,
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(after.status, 401, "{after:?}");
}
