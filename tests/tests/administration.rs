//! Administration through the gateway: who may do what (API.md's table for the user
//! routes), and how every change reaches logins and tokens through the event path.

use std::time::Duration;

use gymit_e2e::{Stack, PASSWORD};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn only_admins_run_the_user_routes() {
    let s = Stack::get();
    let target = s.new_user("target").await;
    let unapproved = s.new_user("unapproved").await;
    let member = s.user_with_role("member", "member").await;
    let trainer = s.user_with_role("trainer", "trainer").await;
    let admin = s.user_with_role("admin", "admin").await;

    let routes: Vec<(Method, String, serde_json::Value)> = vec![
        (Method::GET, "/api/users".into(), json!(null)),
        (
            Method::POST,
            format!("/api/users/{}/approve", target.id),
            json!({}),
        ),
        (
            Method::POST,
            format!("/api/users/{}/ban", target.id),
            json!({}),
        ),
        (
            Method::POST,
            format!("/api/users/{}/unban", target.id),
            json!({}),
        ),
        (
            Method::PUT,
            format!("/api/users/{}/role", target.id),
            json!({"role": "member"}),
        ),
        (
            Method::DELETE,
            format!("/api/users/{}", target.id),
            json!(null),
        ),
    ];
    for (method, path, body) in &routes {
        let body = (!body.is_null()).then(|| body.clone());
        let anonymous = s.send(method.clone(), path, None, body.clone(), &[]).await;
        assert_eq!(anonymous.status, 401, "anonymous {method} {path}");
        for who in [&unapproved, &member, &trainer] {
            let a = s
                .send(
                    method.clone(),
                    path,
                    Some(&who.access_token),
                    body.clone(),
                    &[],
                )
                .await;
            assert_eq!(a.status, 403, "{} {method} {path}: {a:?}", who.email);
            assert_eq!(a.problem_code(), "forbidden");
        }
    }
    // The admin may, in an order that leaves the target deactivated last.
    for (method, path, body) in &routes {
        let body = (!body.is_null()).then(|| body.clone());
        let a = s
            .send(method.clone(), path, Some(&admin.access_token), body, &[])
            .await;
        assert!(
            a.status == 200 || a.status == 204,
            "admin {method} {path}: {a:?}"
        );
    }
}

#[tokio::test]
async fn nobody_changes_the_root_admin_and_admins_spare_themselves() {
    let s = Stack::get();
    let root = s.root().await;
    let admin = s.user_with_role("admin2", "admin").await;
    for (method, path, body) in [
        (
            Method::POST,
            format!("/api/users/{}/ban", root.id),
            Some(json!({})),
        ),
        (
            Method::PUT,
            format!("/api/users/{}/role", root.id),
            Some(json!({"role": "member"})),
        ),
        (Method::DELETE, format!("/api/users/{}", root.id), None),
    ] {
        let a = s
            .send(
                method.clone(),
                &path,
                Some(&admin.access_token),
                body.clone(),
                &[],
            )
            .await;
        assert_eq!(a.status, 403, "{method} {path}");
        assert_eq!(a.problem_code(), "root_admin_protected");
        let own = path.replace(&root.id, &admin.id);
        let a = s
            .send(method.clone(), &own, Some(&admin.access_token), body, &[])
            .await;
        assert_eq!(a.status, 403, "self {method}");
        assert_eq!(a.problem_code(), "forbidden");
    }
    let unknown = s
        .post(
            "/api/users/nobody-here/approve",
            Some(&admin.access_token),
            json!({}),
        )
        .await;
    assert_eq!(unknown.status, 404);
    let bad_role = s
        .send(
            Method::PUT,
            &format!("/api/users/{}/role", admin.id),
            Some(&root.access_token),
            Some(json!({"role": "owner"})),
            &[],
        )
        .await;
    assert_eq!(bad_role.status, 422);
}

#[tokio::test]
async fn a_ban_stops_tokens_and_logins_within_two_seconds_and_unban_restores() {
    let s = Stack::get();
    let root = s.root().await;
    let u = s.user_with_role("banned", "member").await;
    let ban = s
        .post(
            &format!("/api/users/{}/ban", u.id),
            Some(&root.access_token),
            json!({"reason": "no-show"}),
        )
        .await;
    assert_eq!(ban.status, 200);
    assert_eq!(ban.body["user"]["is_banned"], true);
    let took = s
        .eventually(|| async {
            // API.md: a banned account's token is 403 account_banned (the function answers
            // the authorizer's verdict), never a bare gateway 403.
            let a = s.get_json("/api/users/me", Some(&u.access_token)).await;
            a.status.as_u16() == 403 && a.problem_code() == "account_banned"
        })
        .await;
    assert!(took < Duration::from_secs(2), "the ban took {took:?}");
    let login = s.login(&u.email, PASSWORD).await;
    assert_eq!(login.status, 403);
    assert_eq!(login.problem_code(), "account_banned");
    assert_eq!(
        s.post(
            "/api/auth/refresh",
            None,
            json!({"refresh_token": u.refresh_token})
        )
        .await
        .status,
        403
    );
    assert_eq!(
        s.login(&u.email, "wrong password!").await.status,
        401,
        "the password is checked first"
    );

    assert_eq!(
        s.post(
            &format!("/api/users/{}/unban", u.id),
            Some(&root.access_token),
            json!({})
        )
        .await
        .status,
        200
    );
    s.eventually(|| async { s.login(&u.email, PASSWORD).await.status == 200 })
        .await;
    // The token follows once the gateway's cached authorizer answer expires (ReauthorizeEvery;
    // 1 s on a test stack), as on AWS.
    s.eventually(|| async {
        s.get_json("/api/users/me", Some(&u.access_token))
            .await
            .status
            == 200
    })
    .await;
}

#[tokio::test]
async fn a_role_change_is_in_the_next_token_and_deactivation_ends_logins() {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    let s = Stack::get();
    let root = s.root().await;
    let u = s.user_with_role("promoted", "trainer").await;
    let payload = u.access_token.split('.').nth(1).unwrap();
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert_eq!(
        (claims["role"].as_str(), claims["approved"].as_bool()),
        (Some("trainer"), Some(true))
    );

    assert_eq!(
        s.delete(&format!("/api/users/{}", u.id), Some(&root.access_token))
            .await
            .status,
        204
    );
    s.eventually(|| async { s.login(&u.email, PASSWORD).await.status == 401 })
        .await;
    assert_eq!(
        s.login(&u.email, PASSWORD).await.problem_code(),
        "invalid_credentials"
    );
    assert_eq!(
        s.get_json("/api/auth/me", Some(&u.access_token))
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn the_user_list_filters_and_pages() {
    let s = Stack::get();
    let root = s.root().await;
    let trainers = [
        s.user_with_role("lt", "trainer").await,
        s.user_with_role("lt", "trainer").await,
        s.user_with_role("lt", "trainer").await,
    ];
    // Newest first, across pages, each user once: walk the pages until all three are seen.
    let mut seen: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut first_cursor = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/users?role=trainer&is_approved=true&limit=2&cursor={c}"),
            None => "/api/users?role=trainer&is_approved=true&limit=2".to_string(),
        };
        let page = s.get_json(&path, Some(&root.access_token)).await;
        assert_eq!(page.status, 200, "{page:?}");
        let items = page.body["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        assert!(
            items
                .iter()
                .all(|u| u["role"] == "trainer" && u["is_approved"] == true),
            "{items:?}"
        );
        seen.extend(items.iter().map(|u| u["id"].as_str().unwrap().to_string()));
        cursor = page.body["next_cursor"].as_str().map(str::to_string);
        first_cursor = first_cursor.or(cursor.clone());
        if cursor.is_none() || trainers.iter().all(|t| seen.contains(&t.id)) {
            break;
        }
    }
    let position = |id: &str| {
        seen.iter()
            .position(|s| s == id)
            .expect("every trainer is listed")
    };
    assert!(position(&trainers[2].id) < position(&trainers[1].id));
    assert!(position(&trainers[1].id) < position(&trainers[0].id));
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no user on two pages");
    let cursor = first_cursor.expect("more than one page");

    let unapproved = s.new_user("pending").await;
    let pending = s
        .get_json(
            "/api/users?is_approved=false&limit=100",
            Some(&root.access_token),
        )
        .await;
    assert!(pending.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["id"] == unapproved.id.as_str()));
    assert!(pending.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u["is_approved"] == false));

    for bad in [
        "limit=0",
        "limit=101",
        "limit=ten",
        "role=owner",
        "is_banned=maybe",
    ] {
        let a = s
            .get_json(&format!("/api/users?{bad}"), Some(&root.access_token))
            .await;
        assert_eq!(a.status, 422, "{bad}");
    }
    let last = if cursor.ends_with('x') { 'y' } else { 'x' };
    let forged = format!("{}{last}", &cursor[..cursor.len() - 1]);
    for c in [forged.as_str(), "garbage", "a.b"] {
        let a = s
            .get_json(
                &format!("/api/users?role=trainer&is_approved=true&cursor={c}"),
                Some(&root.access_token),
            )
            .await;
        assert_eq!(a.status, 400, "cursor {c}");
    }
    let other_filter = s
        .get_json(
            &format!("/api/users?role=member&cursor={cursor}"),
            Some(&root.access_token),
        )
        .await;
    assert_eq!(other_filter.status, 400, "a cursor belongs to its filter");
}

// ------------------------------------------------------------------ security (issue 14)

#[tokio::test]
async fn a_demoted_owner_no_longer_manages_their_tournament() {
    let s = Stack::get();
    let owner = s.user_with_role("demoted-owner", "trainer").await;
    let id = gymit_e2e::tournament_with(&s, &owner, 0).await;
    let root = s.root().await;
    let a = s
        .send(
            Method::PUT,
            &format!("/api/users/{}/role", owner.id),
            Some(&root.access_token),
            Some(json!({"role": "member"})),
            &[],
        )
        .await;
    assert_eq!(a.status, 200, "{a:?}");
    // Powers follow the current role: the authorizer reads it (within its cache's life).
    s.eventually(|| async {
        let a = s
            .send(
                Method::PATCH,
                &format!("/api/tournaments/{id}"),
                Some(&owner.access_token),
                Some(json!({"name": "Still mine?"})),
                &[],
            )
            .await;
        a.status.as_u16() == 403 && a.problem_code() == "forbidden"
    })
    .await;
    let a = s
        .delete(&format!("/api/tournaments/{id}"), Some(&owner.access_token))
        .await;
    assert_eq!(
        (a.status.as_u16(), a.problem_code()),
        (403, "forbidden"),
        "{a:?}"
    );
}

#[tokio::test]
async fn an_unapproved_participant_may_not_leave() {
    let s = Stack::get();
    let owner = s.user_with_role("leave-owner", "trainer").await;
    let id = gymit_e2e::tournament_with(&s, &owner, 0).await;
    let unapproved = s.new_user("leave-unapproved").await;
    // The owner adds the unapproved account by user_id; it cannot join by itself.
    let added = s
        .post(
            &format!("/api/tournaments/{id}/participants"),
            Some(&owner.access_token),
            json!({"name": "Newcomer", "user_id": unapproved.id}),
        )
        .await;
    assert_eq!(added.status, 201, "{added:?}");
    let pid = added.body["participant"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let a = s
        .delete(
            &format!("/api/tournaments/{id}/participants/{pid}"),
            Some(&unapproved.access_token),
        )
        .await;
    assert_eq!(
        (a.status.as_u16(), a.problem_code()),
        (403, "not_approved"),
        "{a:?}"
    );
    let listed = s
        .get_json(&format!("/api/tournaments/{id}/participants"), None)
        .await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn huge_and_ten_digit_scores_are_422_never_5xx() {
    let s = Stack::get();
    let owner = s.user_with_role("scores-owner", "trainer").await;
    let id = gymit_e2e::tournament_with(&s, &owner, 2).await;
    let a = s
        .post(
            &format!("/api/tournaments/{id}/start"),
            Some(&owner.access_token),
            json!({}),
        )
        .await;
    assert_eq!(a.status, 200, "{a:?}");
    let m = &a.body["bracket"]["matches"][0];
    let (mid, winner) = (
        m["id"].as_str().unwrap(),
        m["participant1_id"].as_str().unwrap(),
    );
    for score in [
        "1234567890-0",
        "99999999999999999999-1",
        "1-0,0-9223372036854775808",
    ] {
        let a = s
            .post(
                &format!("/api/tournaments/{id}/matches/{mid}/result"),
                Some(&owner.access_token),
                json!({"winner_id": winner, "score": score}),
            )
            .await;
        assert_eq!(
            (a.status.as_u16(), a.problem_code()),
            (422, "validation_failed"),
            "{score}: {a:?}"
        );
    }
    let a = s
        .post(
            &format!("/api/tournaments/{id}/matches/{mid}/result"),
            Some(&owner.access_token),
            json!({"winner_id": winner, "score": "999999999-0"}),
        )
        .await;
    assert_eq!(a.status, 200, "nine digits are fine: {a:?}");
    assert_eq!(
        s.get_json(&format!("/api/tournaments/{id}/standings"), None)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn a_banned_users_token_cannot_open_a_websocket() {
    let s = Stack::get();
    let u = s.user_with_role("ws-banned", "member").await;
    assert!(
        s.connect(Some(&u.access_token)).await.is_ok(),
        "before the ban"
    );
    let root = s.root().await;
    let ban = s
        .post(
            &format!("/api/users/{}/ban", u.id),
            Some(&root.access_token),
            json!({}),
        )
        .await;
    assert_eq!(ban.status, 200, "{ban:?}");
    s.eventually(|| async {
        matches!(s.connect(Some(&u.access_token)).await, Err(r) if r.status == 401)
    })
    .await;
}
