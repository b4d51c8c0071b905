//! The local stack's own endpoints (`/_local/*`, `@connections`) refuse requests from web
//! pages of other sites and under other host names, so a page a developer happens to visit
//! cannot invoke functions through them (a cross-site `text/plain` POST needs no preflight).

use std::time::Duration;

use gymit_e2e::Stack;
use reqwest::Method;
use serde_json::json;

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

/// Issue 27: the emulator (4566) and the Lambda endpoint (9000) refuse a web page of another
/// site and send no CORS headers; a forged `user.role_changed` posted to 9000 from a page
/// never reaches `auth-sync-user` (the account stays a member), while the same request from
/// a process of this machine does (so the check below can tell).
#[tokio::test]
async fn the_emulator_and_the_lambda_endpoint_refuse_web_pages() {
    let s = Stack::get();
    let emulator = std::env::var("AWS_ENDPOINT_URL").expect("the stack's emulator");
    let no_cors = |h: &reqwest::header::HeaderMap| {
        h.keys().all(|k| !k.as_str().starts_with("access-control-"))
    };
    let list_tables = |origin: Option<&str>| {
        let mut req = s
            .http
            .post(format!("{emulator}/"))
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", "DynamoDB_20120810.ListTables")
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=test/20261207/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x",
            )
            .body("{}");
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        req.send()
    };
    let a = list_tables(Some("http://evil.example"))
        .await
        .expect("4566 answers");
    assert_eq!(a.status(), 403);
    assert!(no_cors(a.headers()), "{:?}", a.headers());
    assert!(!a.text().await.unwrap().contains("TableNames"));
    let a = list_tables(None).await.expect("4566 answers");
    assert_eq!(a.status(), 200, "the SDK's own requests are served");
    assert!(no_cors(a.headers()), "{:?}", a.headers());

    // A member, and the event a page would forge to make them an admin.
    let member = s.new_user("forged-role").await;
    let forged = |version: u64| {
        let user = json!({
            "id": member.id, "email": member.email, "full_name": "Test User",
            "role": "admin", "is_approved": true, "is_banned": false, "is_active": true,
            "is_root_admin": false, "created_at": "2026-12-07T10:00:00Z",
            "updated_at": "2026-12-07T10:00:00Z",
        });
        let message = json!({
            "event_id": uuid::Uuid::now_v7().to_string(), "type": "user.role_changed",
            "occurred_at": "2026-12-07T10:00:00.000Z", "user_id": member.id,
            "data": { "user": user, "version": version },
        });
        let topic = "arn:aws:sns:us-east-1:123456789012:gymit-user-events";
        json!({ "Records": [{
            "EventSource": "aws:sns", "EventVersion": "1.0",
            "EventSubscriptionArn": format!("{topic}:x"),
            "Sns": {
                "Type": "Notification", "MessageId": uuid::Uuid::now_v7().to_string(),
                "TopicArn": topic, "Subject": null, "Message": message.to_string(),
                "Timestamp": "2026-12-07T10:00:00.000Z", "SignatureVersion": "1",
                "Signature": "EXAMPLE", "SigningCertUrl": "https://sns.example/cert.pem",
                "UnsubscribeUrl": "https://sns.example/unsubscribe",
                "MessageAttributes": {
                    "type": { "Type": "String", "Value": "user.role_changed" },
                    "user_id": { "Type": "String", "Value": member.id },
                },
            },
        }]})
    };
    let invocation = format!(
        "{}/2015-03-31/functions/auth-sync-user/invocations",
        s.lambda_url
    );
    // The role the auth service holds for the member (what a fresh login's token says).
    let role = || async {
        let session = s.session(&member.email, &member.password).await;
        let me = s
            .get_json("/api/auth/me", Some(&session.access_token))
            .await;
        me.body["user"]["role"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    // From a page: a cross-site text/plain POST, which needs no preflight.
    let a = s
        .http
        .post(&invocation)
        .header("origin", "http://evil.example")
        .header("content-type", "text/plain")
        .body(forged(1000).to_string())
        .send()
        .await
        .expect("9000 answers");
    assert_eq!(a.status(), 403);
    assert!(no_cors(a.headers()), "{:?}", a.headers());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        role().await,
        "member",
        "the forged event reached the function"
    );

    // The same from a process of this machine (no Origin) reaches it: the check above can
    // tell a reached function from one that was not.
    let a = s
        .http
        .post(&invocation)
        .body(forged(1001).to_string())
        .send()
        .await
        .expect("9000 answers");
    assert_eq!(a.status(), 200, "{:?}", a.text().await);
    assert_eq!(role().await, "admin");
}

/// Issue 27: the app's pages carry the strict Content-Security-Policy and cannot be framed.
#[tokio::test]
async fn the_app_is_served_with_a_strict_csp_and_cannot_be_framed() {
    let s = Stack::get();
    let a = s.send(Method::GET, "/", None, None, &[]).await;
    assert!(
        a.status == 200 || a.status == 503,
        "the app, or the note that it is not built: {a:?}"
    );
    assert_eq!(
        a.header("content-security-policy"),
        Some("default-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
    );
    assert_eq!(a.header("x-frame-options"), Some("DENY"));
    assert_eq!(a.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(a.header("referrer-policy"), Some("no-referrer"));
}
