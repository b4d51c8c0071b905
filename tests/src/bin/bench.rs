//! `make bench`: request latencies through the local stack (gateway → cargo lambda watch →
//! debug builds of the functions → moto), as a user of `make dev` sees them. Prints a
//! Markdown table for the README. Run by `gymit-local test-env`, which starts the stack.

use std::time::Instant;

use gymit_e2e::{percentiles, Stack, PASSWORD};
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

    println!("| request (sequential; p99 includes the first, cold call) | p50 ms | p99 ms |");
    println!("|---|---|---|");
    for (what, (p50, p99)) in rows {
        println!("| {what} | {p50:.1} | {p99:.1} |");
    }
}
