//! Fan-out at the scale of a packed gym: 200 spectators on one tournament, every one of
//! them gets the result, each exactly once. Its own test binary so that the crowd does not
//! share the stack with the other live-update tests' latency assertions.

use std::time::Duration;

use gymit_e2e::{receipts, report_first_ready, tournament_with, Stack};
use serde_json::json;

const SPECTATORS: usize = 200;

#[tokio::test]
async fn two_hundred_subscribers_all_receive_a_result_once() {
    let s = Stack::get();
    let trainer = s.user_with_role("ws-crowd", "trainer").await;
    let id = tournament_with(&s, &trainer, 2).await;
    // One watcher sees the start arrive, so the crowd below subscribes after it was fanned
    // out (it takes a stream poll and a delivery: the crowd must not race it).
    let mut watcher = s.connect(None).await.expect("a watcher connects");
    watcher.subscribe(&id).await;
    let a = s
        .post(
            &format!("/api/tournaments/{id}/start"),
            Some(&trainer.access_token),
            json!({}),
        )
        .await;
    assert_eq!(a.status, 200, "{a:?}");
    watcher
        .wait_for("tournament.started", Duration::from_secs(10))
        .await;
    watcher.close().await;
    let mut crowd = s.spectators(SPECTATORS, &id).await;
    // The start happened before anyone subscribed: nobody may get it now.
    let (since, played) = report_first_ready(&s, &trainer, &id).await;

    let got = receipts(
        &mut crowd,
        "match.completed",
        since,
        Duration::from_secs(10),
    )
    .await;
    let missed = got.iter().filter(|g| g.is_none()).count();
    assert_eq!(
        missed, 0,
        "{missed} of {SPECTATORS} spectators got no match.completed"
    );
    for (_, frame) in got.iter().flatten() {
        assert_eq!(frame["tournament_id"], id, "{frame}");
        assert_eq!(frame["data"]["match"]["id"], played["id"], "{frame}");
    }
    let last = got.iter().flatten().map(|(t, _)| *t).max().unwrap();
    eprintln!("match.completed reached all {SPECTATORS} subscribers {last:?} after the response");
    assert!(
        last < Duration::from_secs(3),
        "the last of {SPECTATORS} subscribers got the result {last:?} after the response"
    );

    // Exactly once: what may follow is the tournament's completion (that was the final),
    // never a second copy of the result.
    for live in &mut crowd {
        while let Some((_, v)) = live.next(Duration::from_millis(20)).await {
            assert_eq!(v["type"], "tournament.completed", "unexpected frame: {v}");
        }
    }
    for live in crowd {
        live.close().await;
    }
}
