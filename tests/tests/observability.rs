//! What an operator sees: after a member's ordinary traffic (register, log in, a wrong
//! password, a tournament created, joined, started and followed live), `/_local/metrics`
//! parses as Prometheus text with the official client's parser (`prometheus_client` in
//! `.venv`), with the architecture document's metric names, types and labels, and counts
//! that moved by what was done. The numbers come from the EMF lines the functions print.

use std::{collections::BTreeMap, process::Stdio, time::Duration};

use gymit_e2e::{tournament_with, Stack, PASSWORD};
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

/// One sample of the page: (its name, its labels) → value.
type Samples = BTreeMap<(String, BTreeMap<String, String>), f64>;

/// The page, parsed by `prometheus_client.parser`: family name → type, and every sample.
async fn scrape(s: &Stack) -> (BTreeMap<String, String>, Samples) {
    let res = s
        .http
        .get(format!("{}/_local/metrics", s.url))
        .send()
        .await
        .expect("the gateway answers");
    assert_eq!(res.status(), 200);
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = res.text().await.expect("a body");
    let python = concat!(env!("CARGO_MANIFEST_DIR"), "/../.venv/bin/python");
    let mut parser = tokio::process::Command::new(python)
        .args([
            "-c",
            "import json, sys\n\
             from prometheus_client.parser import text_string_to_metric_families as parse\n\
             print(json.dumps([{'name': f.name, 'type': f.type, 'samples': [\n\
               {'name': x.name, 'labels': x.labels, 'value': x.value} for x in f.samples]}\n\
               for f in parse(sys.stdin.read())]))",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the venv's python (make test installs prometheus-client)");
    let mut stdin = parser.stdin.take().expect("stdin");
    stdin.write_all(text.as_bytes()).await.expect("write");
    drop(stdin);
    let out = parser.wait_with_output().await.expect("the parser ran");
    assert!(
        out.status.success(),
        "not Prometheus text: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let families: Vec<Value> = serde_json::from_slice(&out.stdout).expect("JSON");
    let mut types = BTreeMap::new();
    let mut samples = Samples::new();
    for f in families {
        types.insert(
            f["name"].as_str().unwrap_or_default().to_string(),
            f["type"].as_str().unwrap_or_default().to_string(),
        );
        for x in f["samples"].as_array().into_iter().flatten() {
            let labels = x["labels"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect();
            let name = x["name"].as_str().unwrap_or_default().to_string();
            samples.insert((name, labels), x["value"].as_f64().unwrap_or(f64::NAN));
        }
    }
    (types, samples)
}

/// The sum of the samples named `name` whose labels include all of `with`.
fn total(samples: &Samples, name: &str, with: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|((n, labels), _)| {
            n == name
                && with
                    .iter()
                    .all(|(k, v)| labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|(_, v)| v)
        .sum()
}

#[tokio::test]
async fn the_metrics_page_is_prometheus_text_with_the_documents_names_after_traffic() {
    let s = Stack::get();
    let owner = s.user_with_role("metrics-owner", "trainer").await;
    let (_, before) = scrape(&s).await;

    // Traffic: a good and a bad login, a tournament created, joined, followed and started.
    assert_eq!(s.login(&owner.email, PASSWORD).await.status, 200);
    assert_eq!(s.login(&owner.email, "not the password").await.status, 401);
    let mut live = s.connect(None).await.expect("a spectator connects");
    live.subscribe("*").await;
    let id = tournament_with(&s, &owner, 3).await;
    live.subscribe(&id).await;
    let a = s
        .post(
            &format!("/api/tournaments/{id}/start"),
            Some(&owner.access_token),
            json!({}),
        )
        .await;
    assert_eq!(a.status, 200, "{a:?}");
    let start_request = a.header("x-request-id").expect("x-request-id").to_string();
    live.wait_for("tournament.started", Duration::from_secs(5))
        .await;
    live.close().await;

    // The lines reach the registry through the functions' output: wait for the last ones.
    let login = [
        ("function", "auth-login"),
        ("route", "POST /api/auth/login"),
    ];
    let mut after = before.clone();
    let mut types = BTreeMap::new();
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_secs(15) {
        (types, after) = scrape(&s).await;
        let moved = |name: &str, with: &[(&str, &str)], by: f64| {
            total(&after, name, with) - total(&before, name, with) >= by
        };
        if moved(
            "service_requests_total",
            &[login[0], ("status_class", "4xx")],
            1.0,
        ) && moved("tournaments_started_total", &[], 1.0)
            && moved("tournament_joins_total", &[("outcome", "joined")], 3.0)
            && moved(
                "events_published_total",
                &[("event_type", "tournament.started")],
                1.0,
            )
            && moved("fanout_posts_total", &[("outcome", "delivered")], 2.0)
            && moved(
                "event_delivery_seconds_count",
                &[("event_type", "tournament.started")],
                1.0,
            )
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let delta =
        |name: &str, with: &[(&str, &str)]| total(&after, name, with) - total(&before, name, with);

    for (family, kind) in [
        ("service_requests", "counter"),
        ("service_errors", "counter"),
        ("service_request_duration_seconds", "histogram"),
        ("events_published", "counter"),
        ("event_delivery_seconds", "histogram"),
        ("fanout_posts", "counter"),
        ("websocket_connections", "gauge"),
        ("tournaments_started", "counter"),
        ("tournament_joins", "counter"),
    ] {
        assert_eq!(
            types.get(family).map(String::as_str),
            Some(kind),
            "{family}: {types:?}"
        );
    }
    let ok = [
        login[0],
        login[1],
        ("status_class", "2xx"),
        ("service", "auth"),
    ];
    let refused = [login[0], login[1], ("status_class", "4xx")];
    assert!(delta("service_requests_total", &ok) >= 1.0);
    assert!(delta("service_requests_total", &refused) >= 1.0);
    assert_eq!(
        delta("service_errors_total", &refused),
        0.0,
        "a 401 is no error"
    );
    assert!(delta("service_request_duration_seconds_count", &ok) >= 1.0);
    // A histogram's buckets only grow with `le`, and +Inf is its count.
    let buckets: Vec<(f64, f64)> = after
        .iter()
        .filter(|((n, l), _)| {
            n == "service_request_duration_seconds_bucket"
                && ok
                    .iter()
                    .all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|((_, l), v)| (l["le"].parse::<f64>().unwrap_or(f64::INFINITY), *v))
        .collect();
    let mut sorted = buckets.clone();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert!(sorted.windows(2).all(|w| w[0].1 <= w[1].1), "{sorted:?}");
    assert_eq!(
        sorted.last().map(|b| b.1),
        Some(total(&after, "service_request_duration_seconds_count", &ok))
    );
    assert!(delta("tournament_joins_total", &[("outcome", "joined")]) >= 3.0);
    assert!(
        delta(
            "tournaments_started_total",
            &[("format", "single_elimination")]
        ) >= 1.0
    );
    assert!(
        delta(
            "events_published_total",
            &[
                ("function", "tournaments-publish-events"),
                ("event_type", "tournament.started")
            ]
        ) >= 1.0
    );
    assert!(delta("fanout_posts_total", &[("outcome", "delivered")]) >= 2.0);
    assert!(
        delta(
            "event_delivery_seconds_count",
            &[("event_type", "tournament.started")]
        ) >= 1.0
    );
    assert!(
        delta(
            "websocket_connections",
            &[("function", "notifications-connect")]
        ) >= 1.0,
        "connects are counted"
    );

    // The start's trace, found by its x-request-id: from the gateway through the function
    // and its DynamoDB calls, across the stream to the publisher and its SNS call, and
    // across SNS to the fan-out and its WebSocket post.
    let mut tree = String::new();
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_secs(15) {
        let t = s
            .get_json(&format!("/_local/traces/{start_request}"), None)
            .await;
        assert_eq!(t.status, 200, "{t:?}");
        tree = t.body["tree"].as_str().unwrap_or_default().to_string();
        if tree.contains("notifications-fanout") && tree.contains("WebSocket post") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for part in [
        format!("Request ID: {start_request}").as_str(),
        "├─ API Gateway (",
        "├─ tournaments-start (",
        "DynamoDB TransactWriteItems ",
        "tournaments-publish-events (",
        "SNS PublishBatch",
        "notifications-fanout (",
        "WebSocket post",
        "Total: ",
    ] {
        assert!(tree.contains(part), "{part:?} not in the trace:\n{tree}");
    }
    let missing = s.get_json("/_local/traces/no-such-request", None).await;
    assert_eq!(missing.status, 404);
}
