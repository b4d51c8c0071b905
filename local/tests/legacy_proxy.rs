//! The strangler fig (`GYMIT_LEGACY_URL`, template parameter `LegacyApiUrl`): what no route
//! of the template matches goes to the monolith — here a small stand-in started by the test
//! that echoes what it received — and its answer comes back unchanged; a route GymIT owns
//! never reaches it; a monolith that does not answer is API Gateway's 503.

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc,
};

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, Method, Uri},
    response::IntoResponse,
    Router,
};
use gymit_local::{gateway::Gateway, legacy::Legacy, template::Template};
use serde_json::{json, Value};

/// The monolith stand-in: answers 418 with a header of its own and, as JSON, the method,
/// path, query, body and headers it received.
async fn echo(
    State(hits): State<Arc<AtomicUsize>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    hits.fetch_add(1, Ordering::SeqCst);
    let headers: serde_json::Map<String, Value> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v.to_str().unwrap_or_default())))
        .collect();
    let answer = json!({
        "method": method.as_str(),
        "path": uri.path(),
        "query": uri.query(),
        "body": String::from_utf8_lossy(&body),
        "headers": headers,
    });
    (
        axum::http::StatusCode::IM_A_TEAPOT,
        [
            ("x-monolith", "yes"),
            ("content-type", "application/vnd.monolith+json"),
        ],
        answer.to_string(),
    )
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}

/// A gateway for the repository's template whose `$default` route is `legacy`; its
/// functions are at an address where nothing answers (a routed request fails in the
/// gateway, which is how a test sees it was not proxied).
async fn gateway(legacy: &str) -> String {
    let template = Template::load(&gymit_local::workspace_root().join("template.yaml"))
        .expect("template.yaml");
    let mut gw = Gateway::new(&template, "http://127.0.0.1:9");
    gw.legacy = Some(Legacy::new(legacy));
    serve(Arc::new(gw).router()).await
}

#[tokio::test]
async fn unowned_routes_go_to_the_monolith_and_come_back_unchanged() {
    let hits = Arc::new(AtomicUsize::new(0));
    let monolith = serve(Router::new().fallback(echo).with_state(hits.clone())).await;
    let gw = gateway(&format!("{monolith}/")).await;
    let http = reqwest::Client::new();

    let res = http
        .post(format!("{gw}/api/legacy/invoices/7?year=2026&q=a%20b"))
        .header("authorization", "Bearer legacy-session")
        .header("x-gym", "north")
        .header("content-type", "application/json")
        .body(r#"{"amount": 12}"#)
        .send()
        .await
        .expect("the gateway answers");
    assert_eq!(res.status(), 418, "the monolith's status");
    assert_eq!(res.headers()["x-monolith"], "yes");
    assert_eq!(
        res.headers()["content-type"],
        "application/vnd.monolith+json"
    );
    assert!(res.headers().contains_key("x-request-id"));
    let request_id = res.headers()["x-request-id"]
        .to_str()
        .unwrap_or_default()
        .to_string();
    let seen: Value = res.json().await.expect("the echo");
    assert_eq!(seen["method"], "POST");
    assert_eq!(seen["path"], "/api/legacy/invoices/7");
    assert_eq!(seen["query"], "year=2026&q=a%20b");
    assert_eq!(seen["body"], r#"{"amount": 12}"#);
    assert_eq!(seen["headers"]["authorization"], "Bearer legacy-session");
    assert_eq!(seen["headers"]["x-gym"], "north");
    assert_eq!(
        seen["headers"]["x-correlation-id"],
        request_id.as_str(),
        "a correlation id is added"
    );

    // A client's own correlation id passes through as it is; a known path with a method
    // GymIT does not serve is the monolith's too (no route matches it).
    let res = http
        .delete(format!("{gw}/api/auth/login"))
        .header("x-correlation-id", "client-chosen")
        .send()
        .await
        .expect("the gateway answers");
    assert_eq!(res.status(), 418);
    let seen: Value = res.json().await.expect("the echo");
    assert_eq!(seen["method"], "DELETE");
    assert_eq!(seen["headers"]["x-correlation-id"], "client-chosen");
    assert_eq!(hits.load(Ordering::SeqCst), 2);

    // A route GymIT owns is never the monolith's, even when its function cannot be reached.
    let res = http
        .get(format!("{gw}/api/auth/healthz"))
        .send()
        .await
        .expect("the gateway answers");
    assert_ne!(res.status(), 418);
    assert_eq!(
        hits.load(Ordering::SeqCst),
        2,
        "an owned route reached the monolith"
    );
}

#[tokio::test]
async fn a_monolith_that_does_not_answer_is_api_gateways_503() {
    // A port that was free a moment ago: nothing listens there.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        format!("http://{}", l.local_addr().expect("an address"))
    };
    let gw = gateway(&closed).await;
    let res = reqwest::get(format!("{gw}/api/legacy/members"))
        .await
        .expect("the gateway answers");
    assert_eq!(res.status(), 503);
    let body: Value = res.json().await.expect("AWS's JSON");
    assert_eq!(body, json!({ "message": "Service Unavailable" }));
}
