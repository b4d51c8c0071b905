//! `make bench`: request latencies through the local stack (gateway → cargo lambda watch →
//! debug builds of the functions → moto), as a user of `make dev` sees them. Prints a
//! Markdown table for the README. Run by `gymit-local test-env`, which starts the stack.

use std::time::{Duration, Instant};

use gymit_e2e::{
    percentiles, receipts, report_first_ready, tournament_with, Session, Stack, PASSWORD,
};
use serde_json::json;

const N: usize = 30;

async fn timed<F, Fut>(n: usize, mut f: F) -> (f64, f64)
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = u16>,
{
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let started = Instant::now();
        let status = f(i).await;
        assert!(status < 300, "request {i} answered {status}");
        samples.push(started.elapsed().as_secs_f64() * 1e3);
    }
    percentiles(samples)
}

#[tokio::main]
async fn main() {
    let s = Stack::get();
    let owner = s.user_with_role("bench", "trainer").await;
    let mut rows = Vec::new();

    rows.push((
        "GET /api/tournaments/healthz",
        timed(N, |_| async {
            s.get_json("/api/tournaments/healthz", None)
                .await
                .status
                .as_u16()
        })
        .await,
    ));
    rows.push((
        "POST /api/auth/login (argon2id)",
        timed(N, |_| async {
            s.login(&owner.email, PASSWORD).await.status.as_u16()
        })
        .await,
    ));
    let create = json!({"name": "Bench", "start_date": "2027-01-01T00:00:00Z",
        "max_participants": 256, "tournament_type": "single_elimination"});
    let mut ids = Vec::new();
    let (p50, p99) = timed(N, |_| {
        let s = &s;
        let token = owner.access_token.clone();
        let body = create.clone();
        async move {
            s.post("/api/tournaments", Some(&token), body)
                .await
                .status
                .as_u16()
        }
    })
    .await;
    rows.push(("POST /api/tournaments", (p50, p99)));
    let id = s
        .post(
            "/api/tournaments",
            Some(&owner.access_token),
            create.clone(),
        )
        .await
        .body["tournament"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/tournaments/{id}/participants");
    rows.push((
        "POST /api/tournaments/{id}/participants",
        timed(64, |i| {
            let s = &s;
            let token = owner.access_token.clone();
            let path = path.clone();
            async move {
                s.post(&path, Some(&token), json!({"name": format!("P{i}")}))
                    .await
                    .status
                    .as_u16()
            }
        })
        .await,
    ));
    let started = Instant::now();
    let start = s
        .post(
            &format!("/api/tournaments/{id}/start"),
            Some(&owner.access_token),
            json!({}),
        )
        .await;
    assert_eq!(start.status, 200, "{start:?}");
    let start_ms = started.elapsed().as_secs_f64() * 1e3;
    rows.push((
        "POST /api/tournaments/{id}/start (64 players)",
        (start_ms, start_ms),
    ));
    for m in start.body["bracket"]["matches"].as_array().unwrap() {
        if m["status"] == "ready" {
            ids.push((
                m["id"].as_str().unwrap().to_string(),
                m["participant1_id"].clone(),
            ));
        }
    }
    rows.push((
        "POST …/matches/{match_id}/result",
        timed(ids.len().min(N), |i| {
            let s = &s;
            let token = owner.access_token.clone();
            let (m, w) = ids[i].clone();
            let path = format!("/api/tournaments/{id}/matches/{m}/result");
            async move {
                s.post(&path, Some(&token), json!({"winner_id": w, "score": "2-0"}))
                    .await
                    .status
                    .as_u16()
            }
        })
        .await,
    ));
    rows.push((
        "GET /api/tournaments/{id}/bracket (64 players)",
        timed(N, |_| async {
            s.get_json(&format!("/api/tournaments/{id}/bracket"), None)
                .await
                .status
                .as_u16()
        })
        .await,
    ));

    rows.push((
        "HTTP result response → match.completed on a subscribed WebSocket",
        event_latency(&s, &owner).await,
    ));
    let (p50, max) = admin_to_auth(&s).await;
    rows.push((
        "admin ban/unban response → the member's token follows it (100 changes; p99 column: max)",
        (p50, max),
    ));
    for n in [1, 50, 200] {
        let last = fan_out(&s, &owner, n).await;
        rows.push((
            match n {
                1 => "one match.completed to the last of 1 subscriber",
                50 => "one match.completed to the last of 50 subscribers",
                _ => "one match.completed to the last of 200 subscribers",
            },
            (last, last),
        ));
    }

    println!("| request (sequential; p99 includes the first, cold call) | p50 ms | p99 ms |");
    println!("|---|---|---|");
    for (what, (p50, p99)) in rows {
        println!("| {what} | {p50:.1} | {p99:.1} |");
    }
}

/// 100 alternating bans and unbans of one member by the root admin: milliseconds from the
/// admin's HTTP response until the member's existing token is refused (ban) or accepted
/// again (unban) — the auth record reflecting the change through the event path. Returns
/// the median and the maximum.
async fn admin_to_auth(s: &Stack) -> (f64, f64) {
    let root = s.root().await;
    let member = s.user_with_role("bench-member", "member").await;
    let mut samples = Vec::with_capacity(100);
    for i in 0..100 {
        let (action, expect) = if i % 2 == 0 {
            // API.md: a banned account's existing tokens answer 403 `account_banned`.
            ("ban", 403)
        } else {
            ("unban", 200)
        };
        let a = s
            .post(
                &format!("/api/users/{}/{action}", member.id),
                Some(&root.access_token),
                json!({}),
            )
            .await;
        assert_eq!(a.status, 200, "{action}: {a:?}");
        let took = s
            .eventually(|| async {
                s.get_json("/api/users/me", Some(&member.access_token))
                    .await
                    .status
                    == expect
            })
            .await;
        samples.push(took.as_secs_f64() * 1e3);
    }
    let max = samples.iter().copied().fold(0.0, f64::max);
    (percentiles(samples).0, max)
}

async fn started(s: &Stack, owner: &Session, id: &str) {
    let a = s
        .post(
            &format!("/api/tournaments/{id}/start"),
            Some(&owner.access_token),
            json!({}),
        )
        .await;
    assert_eq!(a.status, 200, "{a:?}");
}

/// HTTP response of a result → its event on one subscribed connection, over N results.
async fn event_latency(s: &Stack, owner: &Session) -> (f64, f64) {
    let id = tournament_with(s, owner, 64).await;
    started(s, owner, &id).await;
    let mut watcher = s.spectators(1, &id).await;
    let mut samples = Vec::with_capacity(N);
    for _ in 0..N {
        let (since, _) = report_first_ready(s, owner, &id).await;
        let got = receipts(
            &mut watcher,
            "match.completed",
            since,
            Duration::from_secs(5),
        )
        .await;
        let (after, _) = got[0].as_ref().expect("the event arrives");
        samples.push(after.as_secs_f64() * 1e3);
    }
    percentiles(samples)
}

/// One result's event to `n` subscribers: milliseconds from the HTTP response to the last
/// receipt.
async fn fan_out(s: &Stack, owner: &Session, n: usize) -> f64 {
    let id = tournament_with(s, owner, 2).await;
    started(s, owner, &id).await;
    let mut crowd = s.spectators(n, &id).await;
    let (since, _) = report_first_ready(s, owner, &id).await;
    let got = receipts(
        &mut crowd,
        "match.completed",
        since,
        Duration::from_secs(10),
    )
    .await;
    let last = got
        .iter()
        .map(|g| g.as_ref().expect("every subscriber gets the event").0)
        .max()
        .unwrap();
    for live in crowd {
        live.close().await;
    }
    last.as_secs_f64() * 1e3
}
