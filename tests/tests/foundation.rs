//! The stack as a client first meets it: health checks, the gateway's answers for unknown
//! routes and methods, CORS, request ids and correlation ids, oversized bodies.

use gymit_e2e::Stack;
use reqwest::Method;

#[tokio::test]
async fn every_service_reports_healthy_with_a_request_id() {
    let s = Stack::get();
    for service in ["auth", "users", "tournaments", "notifications"] {
        let a = s.get_json(&format!("/api/{service}/healthz"), None).await;
        assert_eq!(a.status, 200, "{service}: {a:?}");
        assert_eq!(
            a.body,
            serde_json::json!({"status": "ok", "service": service, "version": "0.1.0"})
        );
        assert!(
            a.header("x-request-id").is_some_and(|v| !v.is_empty()),
            "{a:?}"
        );
    }
}

#[tokio::test]
async fn unknown_paths_are_404_problems() {
    let s = Stack::get();
    let a = s.get_json("/api/no/such/route", None).await;
    assert_eq!(a.status, 404);
    assert_eq!(a.problem_code(), "not_found");
}

#[tokio::test]
async fn known_paths_with_another_method_are_405_with_allow() {
    let s = Stack::get();
    let a = s
        .send(Method::DELETE, "/api/auth/login", None, None, &[])
        .await;
    assert_eq!(a.status, 405);
    assert_eq!(a.problem_code(), "method_not_allowed");
    assert_eq!(a.header("allow"), Some("POST"));
}

#[tokio::test]
async fn cors_preflight_allows_the_api_headers_from_any_origin() {
    let s = Stack::get();
    let a = s
        .send(
            Method::OPTIONS,
            "/api/auth/login",
            None,
            None,
            &[
                ("origin", "https://app.example"),
                ("access-control-request-method", "POST"),
                (
                    "access-control-request-headers",
                    "authorization,content-type",
                ),
            ],
        )
        .await;
    assert_eq!(a.status, 204, "{a:?}");
    assert_eq!(a.header("access-control-allow-origin"), Some("*"));
    let headers = a
        .header("access-control-allow-headers")
        .unwrap_or_default()
        .to_lowercase();
    for h in ["authorization", "content-type", "x-correlation-id"] {
        assert!(headers.contains(h), "{headers}");
    }
    assert!(a
        .header("access-control-allow-methods")
        .unwrap_or_default()
        .contains("PATCH"));
}

#[tokio::test]
async fn cross_origin_answers_expose_the_request_id() {
    let s = Stack::get();
    let a = s
        .send(
            Method::GET,
            "/api/auth/healthz",
            None,
            None,
            &[("origin", "https://app.example")],
        )
        .await;
    assert_eq!(a.header("access-control-allow-origin"), Some("*"));
    assert!(a
        .header("access-control-expose-headers")
        .unwrap_or_default()
        .to_lowercase()
        .contains("x-request-id"));
}

#[tokio::test]
async fn a_body_over_64_kib_is_413() {
    let s = Stack::get();
    let big = "x".repeat(65 * 1024);
    let a = s
        .post(
            "/api/auth/register",
            None,
            serde_json::json!({"email": "a@b.co", "password": big, "full_name": "x"}),
        )
        .await;
    assert_eq!(a.status, 413, "{a:?}");
    assert_eq!(a.problem_code(), "payload_too_large");
}

#[tokio::test]
async fn the_correlation_id_is_echoed() {
    let s = Stack::get();
    let a = s
        .send(
            Method::GET,
            "/api/users/healthz",
            None,
            None,
            &[("x-correlation-id", "trace-abc-123")],
        )
        .await;
    assert_eq!(a.header("x-correlation-id"), Some("trace-abc-123"));
    let a = s
        .send(
            Method::POST,
            "/api/auth/login",
            None,
            Some(serde_json::json!({})),
            &[("x-correlation-id", "trace-def")],
        )
        .await;
    assert_eq!(a.status, 422);
    assert_eq!(a.header("x-correlation-id"), Some("trace-def"));
}
