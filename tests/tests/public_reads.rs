//! The public reads of a tournament as a crowd of spectators makes them (issue 31): a
//! 64-player round robin's bracket and standings answer in under 300 ms, every read
//! carries an `ETag` and `Cache-Control`, and a second read of an unchanged resource with
//! `If-None-Match` is a 304 without a body, until a result changes it.

use std::time::{Duration, Instant};

use gymit_e2e::{Answer, Session, Stack};
use reqwest::Method;
use serde_json::json;

/// A started 64-player round robin (2,016 matches); its id.
async fn round_robin_of_64(s: &Stack, owner: &Session) -> String {
    let a = s
        .post(
            "/api/tournaments",
            Some(&owner.access_token),
            json!({
                "name": format!("Final {}", uuid::Uuid::now_v7()),
                "start_date": "2027-05-01T09:00:00+02:00",
                "max_participants": 64,
                "tournament_type": "round_robin",
            }),
        )
        .await;
    assert_eq!(a.status, 201, "{a:?}");
    let id = a.body["tournament"]["id"].as_str().unwrap().to_string();
    for i in 1..=64 {
        let a = s
            .post(
                &format!("/api/tournaments/{id}/participants"),
                Some(&owner.access_token),
                json!({ "name": format!("Player {i}") }),
            )
            .await;
        assert_eq!(a.status, 201, "{a:?}");
    }
    let a = s
        .post(
            &format!("/api/tournaments/{id}/start"),
            Some(&owner.access_token),
            json!({}),
        )
        .await;
    assert_eq!(a.status, 200, "{a:?}");
    id
}

async fn get(s: &Stack, path: &str, if_none_match: Option<&str>) -> (Answer, Duration) {
    let headers: Vec<(&str, &str)> = if_none_match
        .map(|etag| vec![("if-none-match", etag)])
        .unwrap_or_default();
    let started = Instant::now();
    let a = s.send(Method::GET, path, None, None, &headers).await;
    (a, started.elapsed())
}

/// Function instances per function on the local stack (`GYMIT_CONCURRENCY`, default 8).
fn instances() -> usize {
    std::env::var("GYMIT_CONCURRENCY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8)
}

fn etag(a: &Answer) -> String {
    a.header("etag")
        .unwrap_or_else(|| panic!("an ETag: {:?}", a.headers))
        .to_string()
}

#[tokio::test]
async fn a_64_player_round_robin_is_read_fast_and_a_second_read_is_a_304() {
    let s = Stack::get();
    let owner = s.user_with_role("owner", "trainer").await;
    let id = round_robin_of_64(&s, &owner).await;

    // Fast: the median of five reads of each, once every instance has read the tournament
    // since its last change (reads.rs: then a read is one GetItem; the first read of each
    // instance loads the 2,016 matches, ~0.5-1 s here).
    for resource in ["bracket", "standings"] {
        let path = format!("/api/tournaments/{id}/{resource}");
        let warm_up: Vec<_> = (0..instances()).map(|_| get(&s, &path, None)).collect();
        for (a, _) in futures::future::join_all(warm_up).await {
            assert_eq!(a.status, 200, "{a:?}");
        }
        let mut times = Vec::new();
        for _ in 0..5 {
            let (a, took) = get(&s, &path, None).await;
            assert_eq!(a.status, 200, "{a:?}");
            times.push(took);
        }
        times.sort();
        let median = times[2];
        eprintln!("{resource}: {times:?}, median {median:?}");
        assert!(
            median < Duration::from_millis(300),
            "{resource} of a 64-player round robin: median {median:?}"
        );
    }
    let (bracket, _) = get(&s, &format!("/api/tournaments/{id}/bracket"), None).await;
    assert_eq!(
        bracket.body["bracket"]["matches"].as_array().unwrap().len(),
        2016
    );

    // Cacheable: every public read of the tournament answers 304 to its own ETag.
    for path in [
        format!("/api/tournaments/{id}"),
        format!("/api/tournaments/{id}/participants"),
        format!("/api/tournaments/{id}/bracket"),
        format!("/api/tournaments/{id}/standings"),
    ] {
        let (first, _) = get(&s, &path, None).await;
        assert_eq!(first.status, 200, "{path}: {first:?}");
        let cache = first.header("cache-control").unwrap_or_default();
        assert!(
            cache.contains("public") && cache.contains("s-maxage="),
            "{path}: {cache}"
        );
        let tag = etag(&first);
        let (again, _) = get(&s, &path, Some(&tag)).await;
        assert_eq!(again.status, 304, "{path}: {again:?}");
        assert!(again.text.is_empty(), "{path}: a 304 has no body");
        assert_eq!(etag(&again), tag, "{path}");
        let (other, _) = get(&s, &path, Some("\"not-this-one\"")).await;
        assert_eq!(
            other.status, 200,
            "{path}: another version is answered in full"
        );
    }

    // A result changes the bracket: the old ETag gets the new bracket, with a new ETag.
    let path = format!("/api/tournaments/{id}/bracket");
    let (before, _) = get(&s, &path, None).await;
    let old = etag(&before);
    gymit_e2e::report_first_ready(&s, &owner, &id).await;
    let (after, _) = get(&s, &path, Some(&old)).await;
    assert_eq!(after.status, 200, "{after:?}");
    assert_ne!(etag(&after), old);
    let completed = after.body["bracket"]["matches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["status"] == "completed")
        .count();
    assert_eq!(completed, 1);
}

#[tokio::test]
async fn a_read_that_fails_is_not_cacheable() {
    let s = Stack::get();
    let path = format!("/api/tournaments/{}/bracket", uuid::Uuid::now_v7());
    let (a, _) = get(&s, &path, Some("*")).await;
    assert_eq!(a.status, 404, "{a:?}");
    assert!(a.header("etag").is_none(), "{a:?}");
    assert!(a
        .header("cache-control")
        .is_none_or(|c| !c.contains("public")));
}
