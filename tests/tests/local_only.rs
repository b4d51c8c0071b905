//! The local stack's own endpoints (`/_local/*`, `@connections`) refuse requests from web
//! pages of other sites and under other host names, so a page a developer happens to visit
//! cannot invoke functions through them (a cross-site `text/plain` POST needs no preflight).

use gymit_e2e::Stack;
use reqwest::Method;

#[tokio::test]
async fn local_endpoints_refuse_foreign_origins_and_hosts() {
    let s = Stack::get();
    let envelope = serde_json::json!({"Type": "Notification", "MessageId": "x", "TopicArn": "arn:aws:sns:us-east-1:123456789012:gymit-user-events", "Message": "{}"});
    let headers_cases: [&[(&str, &str)]; 3] = [
        &[
            ("origin", "https://evil.example"),
            ("content-type", "text/plain"),
        ],
        &[("host", "evil.example")],
        &[("origin", "null")],
    ];
    for headers in headers_cases {
        for path in ["/_local/sns/auth-sync-user", "/ws/@connections/abc"] {
            let a = s
                .send(Method::POST, path, None, Some(envelope.clone()), headers)
                .await;
            assert_eq!(a.status, 403, "{path} with {headers:?}: {a:?}");
            assert_eq!(a.body, serde_json::json!({"message": "Forbidden"}));
        }
    }
    let a = s.get_json("/_local/status", None).await;
    assert_eq!(a.status, 200, "{a:?}");
    assert!(
        a.body["stream_mappings"]
            .as_array()
            .is_some_and(|m| m.len() >= 2),
        "{a:?}"
    );
    let a = s
        .send(
            Method::GET,
            "/_local/status",
            None,
            None,
            &[("origin", "http://localhost:5173")],
        )
        .await;
    assert_eq!(a.status, 200, "a page of this machine may read it: {a:?}");
}
