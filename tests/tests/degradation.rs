//! Degrade, do not fail: with the user service failing (every `users-*` function faulted
//! through `/_local/faults`, which reaches the Lambda Invoke calls between functions too),
//! a member can still log in, refresh, list tournaments, read a bracket and follow a match
//! live; registration, which needs the user service, answers 503 and leaves no account
//! behind, then 503 at once without calling once auth-register's circuit breaker is open,
//! and works again by itself when the user service does.
//!
//! Its own test binary, with one test: `cargo test` runs test binaries one after another,
//! and an open breaker refuses every registration of its instance, which tests running
//! beside it could not tolerate. The faults are cleared however the test ends.

use std::time::{Duration, Instant};

use gymit_e2e::{report_first_ready, tournament_with, unique_email, Answer, Stack, PASSWORD};
use reqwest::Method;
use serde_json::json;

/// Every function of the user service.
const USERS: [&str; 12] = [
    "users-healthz",
    "users-create",
    "users-me-get",
    "users-me-update",
    "users-get",
    "users-list",
    "users-approve",
    "users-ban",
    "users-unban",
    "users-set-role",
    "users-delete",
    "users-publish-events",
];

/// Clears every fault when dropped, so a failing assertion leaves the stack healthy.
struct Faults<'a>(&'a Stack);

impl Drop for Faults<'_> {
    fn drop(&mut self) {
        let url = format!("{}/_local/faults", self.0.url);
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            rt.block_on(async { reqwest::Client::new().delete(url).send().await })
        })
        .join();
    }
}

async fn fail_the_user_service(s: &Stack) {
    for function in USERS {
        let a = s
            .post(
                "/_local/faults",
                None,
                json!({"function": function, "failures": 100_000}),
            )
            .await;
        assert_eq!(a.status, 200, "{function}: {a:?}");
    }
}

async fn pending_users_create_failures(s: &Stack) -> u64 {
    let a = s.get_json("/_local/status", None).await;
    a.body["faults"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["function"] == "users-create")
        .and_then(|f| f["failures"].as_u64())
        .unwrap_or(0)
}

fn is_breaker_refusal(a: &Answer) -> bool {
    a.status == 503
        && a.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("nothing was tried"))
}

#[tokio::test]
async fn with_the_user_service_down_members_play_on_and_registration_fails_fast_then_recovers() {
    let s = Stack::get();
    // Before the outage: an organiser, a started tournament, a spectator following it.
    let owner = s.user_with_role("degrade-owner", "trainer").await;
    let id = tournament_with(&s, &owner, 4).await;
    let a = s
        .post(
            &format!("/api/tournaments/{id}/start"),
            Some(&owner.access_token),
            json!({}),
        )
        .await;
    assert_eq!(a.status, 200, "{a:?}");
    let mut live = s
        .connect(Some(&owner.access_token))
        .await
        .expect("a member connects");
    live.subscribe(&id).await;

    let _cleanup = Faults(&s);
    fail_the_user_service(&s).await;
    assert_eq!(
        s.get_json("/api/users/me", Some(&owner.access_token))
            .await
            .status,
        500,
        "the user service is down indeed (API Gateway's answer to a failed function)"
    );

    // What a member does keeps working.
    let login = s.login(&owner.email, PASSWORD).await;
    assert_eq!(
        login.status, 200,
        "login never needs the user service: {login:?}"
    );
    let refreshed = s
        .post(
            "/api/auth/refresh",
            None,
            json!({"refresh_token": login.body["refresh_token"]}),
        )
        .await;
    assert_eq!(refreshed.status, 200, "{refreshed:?}");
    let list = s.get_json("/api/tournaments", None).await;
    assert_eq!(list.status, 200, "{list:?}");
    let bracket = s
        .get_json(&format!("/api/tournaments/{id}/bracket"), None)
        .await;
    assert_eq!(bracket.status, 200, "{bracket:?}");
    let (since, _) = report_first_ready(&s, &owner, &id).await;
    let (at, frame) = live
        .wait_for("match.completed", Duration::from_secs(5))
        .await;
    assert_eq!(frame["tournament_id"], id.as_str(), "{frame}");
    assert!(at.saturating_duration_since(since) < Duration::from_secs(5));
    let mut second = s
        .connect(login.body["access_token"].as_str())
        .await
        .expect("a signed-in connect needs the auth service only");
    second.subscribe(&id).await;

    // Registration needs the user service: 503, and the account is gone again. Each
    // warm auth-register instance opens its breaker after 5 such failures; after that it
    // answers at once, without calling users-create (whose fault count stays put).
    let mut failed_emails = Vec::new();
    let mut refusals: Vec<(Duration, Answer)> = Vec::new();
    for _ in 0..80 {
        let email = unique_email("degrade-register");
        let before = pending_users_create_failures(&s).await;
        let started = Instant::now();
        let a = s.register(&email).await;
        let took = started.elapsed();
        assert_eq!(a.status, 503, "{a:?}");
        assert_eq!(a.problem_code(), "dependency_unavailable");
        if is_breaker_refusal(&a) {
            assert_eq!(
                pending_users_create_failures(&s).await,
                before,
                "an open breaker does not call users-create"
            );
            refusals.push((took, a));
            if refusals.len() == 5 {
                break;
            }
        } else {
            assert!(
                pending_users_create_failures(&s).await < before,
                "a closed breaker did call users-create"
            );
            failed_emails.push(email);
        }
    }
    assert_eq!(refusals.len(), 5, "the breaker never opened");
    for (took, a) in &refusals {
        let retry_after: u64 = a
            .header("retry-after")
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("Retry-After on {a:?}"));
        assert!((1..=10).contains(&retry_after), "{a:?}");
        assert!(*took < Duration::from_millis(500), "{took:?}");
    }
    let mut times: Vec<Duration> = refusals.iter().map(|(t, _)| *t).collect();
    times.sort();
    assert!(
        times[2] < Duration::from_millis(50),
        "an open breaker answers in under 50 ms (median {:?})",
        times[2]
    );
    // No orphan: not one of the refused registrations left an account that logs in.
    assert!(!failed_emails.is_empty(), "the breaker opened on failures");
    for email in &failed_emails {
        assert_eq!(s.login(email, PASSWORD).await.status, 401, "{email}");
    }

    // The user service comes back: registration recovers by itself (the breaker lets a
    // probe through 10 s after it opened), and an email refused before can be used.
    let _ = s.delete("/_local/faults", None).await;
    let recovery = Instant::now();
    let email = failed_emails[0].clone();
    loop {
        let a = s.register(&email).await;
        if a.status == 201 {
            break;
        }
        assert_eq!(a.status, 503, "{a:?}");
        assert!(
            recovery.elapsed() < Duration::from_secs(25),
            "registration did not recover: {a:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(s.login(&email, PASSWORD).await.status, 200);
    // Every instance's breaker is closed or half-open with a healthy dependency by now,
    // or will be before the next test binary registers anyone.
    let left = Duration::from_secs(11).saturating_sub(recovery.elapsed());
    tokio::time::sleep(left).await;
    let me = s
        .send(
            Method::GET,
            "/api/users/me",
            Some(&owner.access_token),
            None,
            &[],
        )
        .await;
    assert_eq!(me.status, 200, "{me:?}");
}
