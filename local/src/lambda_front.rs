//! The Lambda endpoint's front (`127.0.0.1:9000` under `make dev`): the port developers and
//! the functions themselves invoke through (`AWS_ENDPOINT_URL_LAMBDA`), served here and
//! passed on to `cargo lambda watch` on an internal port, after the local-only check of
//! `crate::origin`. cargo-lambda's server answers any request: a web page could post a
//! forged `user.role_changed` to `auth-sync-user` with a `text/plain` body (no preflight)
//! and make an unapproved account an admin (issue 27). Here such a request is refused with
//! 403, and no CORS headers are sent, from here or from watch.
//!
//! The internal port is one that browsers refuse to connect to at all (the Fetch
//! standard's "bad ports") when one is free, so a page cannot reach watch directly even by
//! trying every port; the gateway invokes watch there directly (no extra hop per request).

use std::{net::TcpListener as StdListener, sync::Arc, time::Duration};

use axum::{
    body::{to_bytes, Body},
    extract::{Request, State},
    http::{HeaderName, StatusCode},
    response::{IntoResponse, Response},
    Router,
};

/// Ports every browser refuses to fetch from (https://fetch.spec.whatwg.org/#bad-port),
/// above 1024 so no privilege is needed to listen on them.
pub const BROWSER_BLOCKED_PORTS: [u16; 19] = [
    1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669,
    6679, 6697, 10080,
];

/// Largest invocation payload and answer the front passes (Lambda's synchronous 6 MB, and
/// some room).
const MAX_PAYLOAD: usize = 7 * 1024 * 1024;

/// A free port for watch: the first free browser-blocked port when `blocked_first`, else
/// (or when none is free) one the OS picks.
pub fn internal_port(blocked_first: bool) -> Result<u16, crate::Error> {
    if blocked_first {
        if let Some(port) = BROWSER_BLOCKED_PORTS
            .iter()
            .copied()
            .find(|&p| StdListener::bind(("127.0.0.1", p)).is_ok())
        {
            return Ok(port);
        }
    }
    Ok(StdListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

struct Front {
    watch: String,
    http: reqwest::Client,
}

/// The front's router: every request, checked, then passed to `watch_url`.
pub fn router(watch_url: &str) -> Router {
    let front = Arc::new(Front {
        watch: watch_url.trim_end_matches('/').to_string(),
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .build()
            .expect("an HTTP client"),
    });
    Router::new().fallback(pass).with_state(front)
}

/// Serves the front on `listener` until the future is dropped.
pub async fn serve(
    listener: tokio::net::TcpListener,
    watch_url: String,
) -> Result<(), crate::Error> {
    axum::serve(listener, router(&watch_url)).await?;
    Ok(())
}

fn is_cors(name: &HeaderName) -> bool {
    name.as_str().starts_with("access-control-")
}

async fn pass(State(front): State<Arc<Front>>, req: Request) -> Response {
    if crate::origin::refuses_cross_site(req.headers()) {
        tracing::warn!(path = %req.uri().path(), "refused a cross-site request to the Lambda endpoint");
        return (
            StatusCode::FORBIDDEN,
            [("content-type", "application/json")],
            r#"{"message":"Forbidden"}"#,
        )
            .into_response();
    }
    let (parts, body) = req.into_parts();
    let Ok(body) = to_bytes(body, MAX_PAYLOAD).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "payload too large").into_response();
    };
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let mut forward = front
        .http
        .request(parts.method.clone(), format!("{}{path}", front.watch))
        .body(body);
    for (name, value) in &parts.headers {
        if name != "host" && name != "content-length" {
            forward = forward.header(name, value);
        }
    }
    // Long enough for any function's timeout: the caller's own timeout ends it sooner.
    let answer = match forward.timeout(Duration::from_secs(900)).send().await {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(error = %e, "the Lambda endpoint's front: watch did not answer");
            return (StatusCode::BAD_GATEWAY, "cargo lambda watch did not answer").into_response();
        }
    };
    let mut response = Response::builder().status(answer.status().as_u16());
    for (name, value) in answer.headers() {
        if !is_cors(name) && name != "content-length" && name != "transfer-encoding" {
            response = response.header(name, value);
        }
    }
    let bytes = answer.bytes().await.unwrap_or_default();
    response.body(Body::from(bytes)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in for watch that answers every invocation with CORS `*`, as a permissive
    /// server would, and counts them.
    async fn watch() -> (String, Arc<std::sync::atomic::AtomicUsize>) {
        let invoked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = invoked.clone();
        let app = Router::new().fallback(move |body: String| {
            let count = count.clone();
            async move {
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                (
                    [("access-control-allow-origin", "*")],
                    format!("{{\"echo\":{body}}}"),
                )
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (url, invoked)
    }

    async fn front(watch_url: &str) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let watch_url = watch_url.to_string();
        tokio::spawn(async move { serve(listener, watch_url).await });
        url
    }

    #[tokio::test]
    async fn a_cross_site_invocation_never_reaches_watch_and_nothing_carries_cors() {
        let (watch_url, invoked) = watch().await;
        let url = front(&watch_url).await;
        let http = reqwest::Client::new();
        let invocation = format!("{url}/2015-03-31/functions/auth-sync-user/invocations");
        for (name, value) in [
            ("origin", "http://evil.example"),
            ("origin", "null"),
            ("host", "evil.example:9000"),
        ] {
            let a = http
                .post(&invocation)
                .header(name, value)
                .header("content-type", "text/plain")
                .body("{}")
                .send()
                .await
                .unwrap();
            assert_eq!(a.status(), 403, "{name}: {value}");
            assert!(a.headers().keys().all(|k| !is_cors(k)), "{name}: {value}");
        }
        assert_eq!(invoked.load(std::sync::atomic::Ordering::SeqCst), 0);

        let a = http
            .post(&invocation)
            .body(r#"{"n":1}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(a.status(), 200);
        assert!(
            a.headers().keys().all(|k| !is_cors(k)),
            "watch's CORS is dropped"
        );
        assert_eq!(a.text().await.unwrap(), r#"{"echo":{"n":1}}"#);
        assert_eq!(invoked.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[test]
    fn the_internal_port_is_one_browsers_refuse_when_one_is_free() {
        let port = internal_port(true).unwrap();
        // Other stacks on this machine may hold every blocked port: then any free one.
        let all_taken = BROWSER_BLOCKED_PORTS
            .iter()
            .all(|&p| StdListener::bind(("127.0.0.1", p)).is_err());
        assert!(BROWSER_BLOCKED_PORTS.contains(&port) || all_taken, "{port}");
    }
}
