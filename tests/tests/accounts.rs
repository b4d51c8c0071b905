//! Accounts through the gateway: the register → login → me → refresh → logout story,
//! forged tokens, bad input, the login lockout, concurrent registrations.

use futures::future::join_all;
use gymit_e2e::{sign, unique_email, Stack, PASSWORD};
use gymit_shared::jwt::{Claims, AUDIENCE, ISSUER};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn register_login_me_refresh_logout() {
    let s = Stack::get();
    let email = unique_email("Story");
    let r = s.register(&format!("  {}  ", email.to_uppercase())).await;
    assert_eq!(r.status, 201, "{r:?}");
    let user = &r.body["user"];
    assert_eq!(user["email"], email.to_lowercase());
    assert_eq!(
        (
            user["role"].as_str(),
            user["is_approved"].as_bool(),
            user["is_root_admin"].as_bool()
        ),
        (Some("member"), Some(false), Some(false))
    );
    assert!(r.body["user"].get("password_hash").is_none());

    let login = s.login(&email.to_lowercase(), PASSWORD).await;
    assert_eq!(login.status, 200, "{login:?}");
    assert_eq!(login.body["token_type"], "Bearer");
    assert_eq!(login.body["expires_in"], 900);
    let access = login.body["access_token"].as_str().unwrap().to_string();
    let refresh = login.body["refresh_token"].as_str().unwrap().to_string();

    let me = s.get_json("/api/auth/me", Some(&access)).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["user"]["id"], user["id"]);
    let profile = s.get_json("/api/users/me", Some(&access)).await;
    assert_eq!(profile.status, 200);
    assert_eq!(profile.body["user"]["email"], user["email"]);

    let refreshed = s
        .post("/api/auth/refresh", None, json!({"refresh_token": refresh}))
        .await;
    assert_eq!(refreshed.status, 200, "{refreshed:?}");
    let rotated = refreshed.body["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(rotated, refresh, "the refresh token rotates");
    assert_eq!(
        s.get_json("/api/auth/me", refreshed.body["access_token"].as_str())
            .await
            .status,
        200
    );

    let out = s
        .post("/api/auth/logout", None, json!({"refresh_token": rotated}))
        .await;
    assert_eq!(out.status, 204, "{out:?}");
    let after = s
        .post("/api/auth/refresh", None, json!({"refresh_token": rotated}))
        .await;
    assert_eq!(after.status, 401);
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_revokes_its_family() {
    let s = Stack::get();
    let u = s.new_user("reuse").await;
    let first = s
        .post(
            "/api/auth/refresh",
            None,
            json!({"refresh_token": u.refresh_token}),
        )
        .await;
    assert_eq!(first.status, 200);
    let newer = first.body["refresh_token"].as_str().unwrap().to_string();
    let reuse = s
        .post(
            "/api/auth/refresh",
            None,
            json!({"refresh_token": u.refresh_token}),
        )
        .await;
    assert_eq!(reuse.status, 401, "reuse of a rotated token");
    let victim = s
        .post("/api/auth/refresh", None, json!({"refresh_token": newer}))
        .await;
    assert_eq!(
        victim.status, 401,
        "the whole family is revoked: {victim:?}"
    );
}

#[tokio::test]
async fn a_password_change_revokes_refresh_tokens() {
    let s = Stack::get();
    let u = s.new_user("pw").await;
    let wrong = s
        .post(
            "/api/auth/password",
            Some(&u.access_token),
            json!({"current_password": "not it at all", "new_password": "another long one"}),
        )
        .await;
    assert_eq!(wrong.status, 401);
    let short = s
        .post(
            "/api/auth/password",
            Some(&u.access_token),
            json!({"current_password": PASSWORD, "new_password": "short"}),
        )
        .await;
    assert_eq!(short.status, 422);
    let ok = s
        .post(
            "/api/auth/password",
            Some(&u.access_token),
            json!({"current_password": PASSWORD, "new_password": "another long one"}),
        )
        .await;
    assert_eq!(ok.status, 204, "{ok:?}");
    assert_eq!(
        s.post(
            "/api/auth/refresh",
            None,
            json!({"refresh_token": u.refresh_token})
        )
        .await
        .status,
        401
    );
    assert_eq!(s.login(&u.email, PASSWORD).await.status, 401);
    assert_eq!(s.login(&u.email, "another long one").await.status, 200);
}

#[tokio::test]
async fn the_root_admin_logs_in_with_the_local_credentials() {
    let s = Stack::get();
    let root = s.root().await;
    let me = s.get_json("/api/auth/me", Some(&root.access_token)).await;
    assert_eq!(me.body["user"]["is_root_admin"], true);
    assert_eq!(me.body["user"]["role"], "admin");
}

fn claims(sub: &str) -> Claims {
    let now = gymit_shared::time::epoch_seconds();
    Claims {
        sub: sub.into(),
        email: "x@example.com".into(),
        role: "admin".into(),
        approved: true,
        iat: now,
        exp: now + 900,
        iss: ISSUER.into(),
        aud: AUDIENCE.into(),
        jti: "t".into(),
        sid: "s".into(),
    }
}

#[tokio::test]
async fn forged_and_expired_tokens_are_401_on_protected_routes() {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    let s = Stack::get();
    let u = s.new_user("forged").await;
    let b64 = |v: serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let parts: Vec<&str> = u.access_token.split('.').collect();

    let mut expired = claims(&u.id);
    expired.exp = gymit_shared::time::epoch_seconds() - 120;
    let mut wrong_iss = claims(&u.id);
    wrong_iss.iss = "evil".into();
    let mut wrong_aud = claims(&u.id);
    wrong_aud.aud = "other".into();
    let mut payload = serde_json::to_value(claims(&u.id)).unwrap();
    let alg_none = format!(
        "{}.{}.",
        b64(json!({"alg": "none", "typ": "JWT"})),
        b64(payload.clone())
    );
    payload["role"] = json!("admin");
    let tampered = format!("{}.{}.{}", parts[0], b64(payload), parts[2]);
    let wrong_key = gymit_shared::jwt::Tokens::new("some-other-secret-some-other-secret!")
        .sign(&claims(&u.id))
        .unwrap();
    let hs512 = {
        let secret = std::env::var("JWT_SECRET").unwrap();
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS512),
            &claims(&u.id),
            &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    };
    let corpus = [
        ("alg none", alg_none),
        ("HS512", hs512),
        ("wrong key", wrong_key),
        ("tampered payload", tampered),
        ("expired", sign(&expired)),
        ("wrong issuer", sign(&wrong_iss)),
        ("wrong audience", sign(&wrong_aud)),
        ("garbage", "not.a.token".to_string()),
    ];
    for path in ["/api/auth/me", "/api/users/me"] {
        for (name, token) in &corpus {
            let a = s.get_json(path, Some(token)).await;
            assert_eq!(a.status, 401, "{name} on {path}: {a:?}");
            a.problem_code();
        }
        let a = s.get_json(path, None).await;
        assert_eq!(a.status, 401, "no token on {path}");
    }
    assert_eq!(
        s.get_json("/api/auth/me", Some(&u.access_token))
            .await
            .status,
        200,
        "the real token still works"
    );
}

#[tokio::test]
async fn twenty_concurrent_registrations_of_one_email_one_wins() {
    let s = Stack::get();
    let email = unique_email("race");
    let answers = join_all((0..20).map(|_| s.register(&email))).await;
    let created = answers.iter().filter(|a| a.status == 201).count();
    let taken = answers
        .iter()
        .filter(|a| a.status == 409 && a.body["code"] == "email_taken")
        .count();
    assert_eq!(
        (created, taken),
        (1, 19),
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    assert_eq!(s.login(&email, PASSWORD).await.status, 200);
}

#[tokio::test]
async fn bad_input_gets_clear_4xx_problems() {
    let s = Stack::get();
    let cases: Vec<(&str, Option<&str>, &str, u16)> = vec![
        (
            "/api/auth/register",
            Some("application/json"),
            "{not json",
            400,
        ),
        (
            "/api/auth/register",
            Some("application/json"),
            "[1,2,3]",
            400,
        ),
        (
            "/api/auth/register",
            Some("text/plain"),
            r#"{"email":"a@b.co"}"#,
            400,
        ),
        (
            "/api/auth/register",
            Some("application/json"),
            r#"{"email": 5, "password": "long enough", "full_name": "A"}"#,
            422,
        ),
        (
            "/api/auth/register",
            Some("application/json"),
            r#"{"email": "nope", "password": "short", "full_name": ""}"#,
            422,
        ),
        (
            "/api/auth/login",
            Some("application/json"),
            r#"{"email": "a@b.co"}"#,
            422,
        ),
        (
            "/api/auth/refresh",
            Some("application/json"),
            r#"{"refresh_token": "made-up"}"#,
            401,
        ),
        (
            "/api/auth/logout",
            Some("application/json"),
            r#"{"refresh_token": 12}"#,
            422,
        ),
    ];
    for (path, ct, body, status) in cases {
        let mut req = s
            .http
            .post(format!("{}{path}", s.url))
            .body(body.to_string());
        if let Some(ct) = ct {
            req = req.header("content-type", ct);
        }
        let res = req.send().await.unwrap();
        let got = res.status().as_u16();
        let ctype = res
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string());
        let text = res.text().await.unwrap();
        assert_eq!(got, status, "{path} {body}: {text}");
        assert_eq!(ctype.as_deref(), Some("application/problem+json"));
    }
    let bad = s
        .post(
            "/api/auth/register",
            None,
            json!({"email": "nope", "password": "short", "full_name": " "}),
        )
        .await;
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["email", "password", "full_name"]);
    let long = s
        .post(
            "/api/auth/register",
            None,
            json!({"email": unique_email("l"), "password": PASSWORD, "full_name": "x".repeat(101)}),
        )
        .await;
    assert_eq!(long.status, 422);
}

#[tokio::test]
async fn unknown_email_and_wrong_password_look_the_same() {
    let s = Stack::get();
    let u = s.new_user("same").await;
    let wrong = s.login(&u.email, "wrong password!").await;
    let unknown = s.login(&unique_email("ghost"), PASSWORD).await;
    assert_eq!((wrong.status.as_u16(), unknown.status.as_u16()), (401, 401));
    assert_eq!(wrong.body["code"], "invalid_credentials");
    assert_eq!(unknown.body["code"], "invalid_credentials");
    assert_eq!(wrong.body["detail"], unknown.body["detail"]);
}

#[tokio::test]
async fn ten_failures_lock_an_email_for_the_window() {
    let s = Stack::get();
    let u = s.new_user("lock").await;
    for i in 0..10 {
        let a = s.login(&u.email.to_uppercase(), "wrong password!").await;
        assert_eq!(a.status, 401, "attempt {i}");
    }
    let locked = s.login(&u.email, PASSWORD).await;
    assert_eq!(
        locked.status, 429,
        "even the right password waits: {locked:?}"
    );
    assert_eq!(locked.problem_code(), "rate_limited");
    let retry: u64 = locked.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    // An unknown email is counted the same way, so a 429 reveals nothing.
    let ghost = unique_email("ghost");
    for _ in 0..10 {
        assert_eq!(s.login(&ghost, "whatever!!").await.status, 401);
    }
    assert_eq!(s.login(&ghost, "whatever!!").await.status, 429);
}

#[tokio::test]
async fn profiles_show_others_only_their_public_fields() {
    let s = Stack::get();
    let a = s.new_user("viewer").await;
    let b = s.new_user("viewed").await;
    let own = s
        .get_json(&format!("/api/users/{}", a.id), Some(&a.access_token))
        .await;
    assert_eq!(own.body["user"]["email"], a.email);
    let other = s
        .get_json(&format!("/api/users/{}", b.id), Some(&a.access_token))
        .await;
    assert_eq!(other.status, 200);
    let keys: Vec<&String> = other.body["user"].as_object().unwrap().keys().collect();
    assert_eq!(keys, vec!["full_name", "id", "role"]);
    let root = s.root().await;
    let by_admin = s
        .get_json(&format!("/api/users/{}", b.id), Some(&root.access_token))
        .await;
    assert_eq!(by_admin.body["user"]["email"], b.email);
    let missing = s
        .get_json("/api/users/no-such-user", Some(&a.access_token))
        .await;
    assert_eq!(missing.status, 404);
    let renamed = s
        .send(
            Method::PATCH,
            "/api/users/me",
            Some(&a.access_token),
            Some(json!({"full_name": "  Ana María  "})),
            &[],
        )
        .await;
    assert_eq!(renamed.body["user"]["full_name"], "Ana María");
    let empty = s
        .send(
            Method::PATCH,
            "/api/users/me",
            Some(&a.access_token),
            Some(json!({})),
            &[],
        )
        .await;
    assert_eq!(empty.status, 400);
}

// ------------------------------------------------------------------ security (issue 14)

#[tokio::test]
async fn mass_assignment_on_register_and_profile_update_is_ignored() {
    let s = Stack::get();
    let email = unique_email("Mass");
    let r = s
        .post(
            "/api/auth/register",
            None,
            json!({"email": email, "password": PASSWORD, "full_name": "Mallory",
                   "role": "admin", "is_approved": true, "is_root_admin": true,
                   "is_banned": false, "id": "chosen-id", "created_at": "2000-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let user = &r.body["user"];
    assert_eq!(
        (
            user["role"].as_str(),
            user["is_approved"].as_bool(),
            user["is_root_admin"].as_bool()
        ),
        (Some("member"), Some(false), Some(false)),
        "{user}"
    );
    assert_ne!(user["id"], "chosen-id");
    let session = s.session(&email, PASSWORD).await;
    let a = s
        .send(
            Method::PATCH,
            "/api/users/me",
            Some(&session.access_token),
            Some(
                json!({"full_name": "Mallory M", "role": "admin", "is_approved": true,
                        "is_root_admin": true, "email": "other@example.com"}),
            ),
            &[],
        )
        .await;
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(a.body["user"]["full_name"], "Mallory M");
    assert_eq!(a.body["user"]["role"], "member");
    assert_eq!(a.body["user"]["is_approved"], false);
    assert_eq!(a.body["user"]["is_root_admin"], false);
    assert_eq!(a.body["user"]["email"], email.to_lowercase());
}

#[tokio::test]
async fn refresh_and_access_tokens_are_not_interchangeable() {
    let s = Stack::get();
    let user = s.new_user("Swap").await;
    let a = s.get_json("/api/auth/me", Some(&user.refresh_token)).await;
    assert_eq!(
        (a.status.as_u16(), a.problem_code()),
        (401, "unauthenticated"),
        "{a:?}"
    );
    let a = s
        .post(
            "/api/auth/refresh",
            None,
            json!({"refresh_token": user.access_token}),
        )
        .await;
    assert_eq!(
        (a.status.as_u16(), a.problem_code()),
        (401, "unauthenticated"),
        "{a:?}"
    );
}

#[tokio::test]
async fn an_access_token_from_before_a_password_change_is_token_expired() {
    let s = Stack::get();
    let user = s.new_user("Rotate").await;
    let a = s
        .post(
            "/api/auth/password",
            Some(&user.access_token),
            json!({"current_password": PASSWORD, "new_password": "another long passphrase"}),
        )
        .await;
    assert_eq!(a.status, 204, "{a:?}");
    // The gateway caches an authorizer answer per token for the template's ReauthorizeEvery:
    // the old token stops working at the latest when it expires (test stacks shorten it).
    s.eventually(|| async {
        let a = s.get_json("/api/auth/me", Some(&user.access_token)).await;
        a.status.as_u16() == 401 && a.problem_code() == "token_expired"
    })
    .await;
    let fresh = s.login(&user.email, "another long passphrase").await;
    let token = fresh.body["access_token"].as_str().unwrap();
    assert_eq!(s.get_json("/api/auth/me", Some(token)).await.status, 200);
}

#[tokio::test]
async fn invisible_characters_in_names_are_refused() {
    let s = Stack::get();
    for name in ["Ana\u{202E}Lopez", "Ana\u{200B}", "Ana\u{2028}Lopez"] {
        let a = s
            .post(
                "/api/auth/register",
                None,
                json!({"email": unique_email("Invisible"), "password": PASSWORD, "full_name": name}),
            )
            .await;
        assert_eq!(
            (a.status.as_u16(), a.problem_code()),
            (422, "validation_failed"),
            "{name:?}"
        );
    }
}
