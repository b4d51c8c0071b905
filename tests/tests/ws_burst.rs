//! A crowd opening the live page at once: after the first visitor, 50 WebSocket connects
//! and subscribes at the same moment are each answered within 1 s (issue 12: under
//! `make dev` they took 3–5 s while function instances were starting).

use std::time::{Duration, Instant};

use futures::future::join_all;
use gymit_e2e::{tournament_with, Stack};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_spectators_at_once_are_each_answered_within_a_second() {
    let s = Stack::get();
    let owner = s.user_with_role("burst-owner", "trainer").await;
    let id = tournament_with(&s, &owner, 4).await;
    // The first visitor: the functions behind $connect and $default have run once.
    let mut first = s.connect(None).await.expect("connects");
    first.subscribe(&id).await;

    let times = join_all((0..50).map(|_| async {
        let started = Instant::now();
        let mut live = s.connect(None).await.expect("a spectator connects");
        let connected = started.elapsed();
        live.subscribe(&id).await;
        (connected, started.elapsed(), live)
    }))
    .await;
    let mut slowest = Duration::ZERO;
    let mut totals: Vec<f64> = Vec::new();
    for (_, total, _) in &times {
        slowest = slowest.max(*total);
        totals.push(total.as_secs_f64() * 1000.0);
    }
    let (p50, p99) = gymit_e2e::percentiles(totals);
    eprintln!(
        "50 connects + subscribes at once: p50 {p50:.1} ms, p99 {p99:.1} ms, slowest {slowest:?}"
    );
    assert!(
        slowest <= Duration::from_secs(1),
        "the slowest connect + subscribe took {slowest:?}"
    );
    for (_, _, live) in times {
        live.close().await;
    }
    first.close().await;
}
