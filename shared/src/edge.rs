//! What the edge in front of the APIs (CloudFront, template.yaml `WebDistribution`) and
//! the functions agree on, applied once for every HTTP function by `http::handle`:
//!
//! - **Origin verify** (issue 27): CloudFront adds `X-Origin-Verify: <secret>` to every
//!   request it passes on; with `ORIGIN_VERIFY` set (on AWS, from the template's
//!   `OriginVerifySecret`), an HTTP request or a WebSocket `$connect` without it (someone
//!   calling the raw execute-api URL, around the WAF's limits) is 403. Unset or empty
//!   (locally, in tests), nothing is checked: there is no CloudFront in front.
//! - **Cacheable public reads** (issue 31): a handler marks a response cacheable
//!   (`http::cacheable_json`); it then carries a strong `ETag` of its body and
//!   `Cache-Control`, and a request whose `If-None-Match` names that ETag gets `304 Not
//!   Modified` with no body. Browsers revalidate every time (`max-age=0`: a page reloading
//!   the bracket after a reconnect never gets an old copy without asking); the edge keeps a
//!   copy for `s-maxage` seconds and, behind CloudFront only, may serve it while it fetches
//!   the next (`stale-while-revalidate`), so a reconnect storm of identical reads reaches
//!   the function about once per edge location every two seconds.
//!
//! Not for CORS (API Gateway's) nor the web app's headers (CloudFront's response headers
//! policy; locally `gymit-local`).

use std::sync::OnceLock;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use lambda_http::{
    http::{header, HeaderValue, StatusCode},
    request::RequestContext,
    Body, RequestExt,
};
use sha2::{Digest, Sha256};

use crate::ApiError;

// `http`'s aliases, named here so that `http` (which runs these checks) stays below `edge`.
type Request = lambda_http::Request;
type Response = lambda_http::Response<Body>;

/// The header CloudFront adds to every request it passes to the APIs.
pub const ORIGIN_VERIFY_HEADER: &str = "x-origin-verify";

/// How long the edge keeps a public read before it asks again.
pub const EDGE_MAX_AGE_SECONDS: u32 = 2;
/// How long after that the edge may still answer with it while it fetches the next.
pub const STALE_WHILE_REVALIDATE_SECONDS: u32 = 10;

/// `ORIGIN_VERIFY`, read once: `None` when unset or empty (nothing to check).
pub fn origin_verify() -> Option<&'static str> {
    static VALUE: OnceLock<Option<String>> = OnceLock::new();
    VALUE
        .get_or_init(|| {
            std::env::var("ORIGIN_VERIFY")
                .ok()
                .filter(|v| !v.trim().is_empty())
        })
        .as_deref()
}

/// Whether `req` may go on, given the secret the edge sends (`expected`, when configured):
/// HTTP requests and WebSocket `$connect` must carry it; a WebSocket message or disconnect
/// carries no headers and belongs to a connection whose `$connect` was checked.
pub fn came_through_the_edge(req: &Request, expected: Option<&str>) -> bool {
    let Some(expected) = expected else {
        return true;
    };
    let checked = match req.request_context_ref() {
        Some(RequestContext::WebSocket(c)) => c.event_type.as_deref() == Some("CONNECT"),
        _ => true,
    };
    if !checked {
        return true;
    }
    let sent = req
        .headers()
        .get(ORIGIN_VERIFY_HEADER)
        .map(HeaderValue::as_bytes)
        .unwrap_or_default();
    constant_time_eq(sent, expected.as_bytes())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The refusal of a request that did not come through the edge.
pub fn not_through_the_edge() -> ApiError {
    ApiError::forbidden("requests reach GymIT through its web address, not the API's own")
}

/// Marks a response as a public read the edge and browsers may cache (see the module).
#[derive(Debug, Clone, Copy)]
pub struct Cacheable;

/// `Cache-Control` of a public read: behind CloudFront (`ORIGIN_VERIFY` set) the edge may
/// also serve it stale while it revalidates; browsers never do (`max-age=0`).
pub fn cache_control(behind_the_edge: bool) -> String {
    let mut value = format!("public, max-age=0, s-maxage={EDGE_MAX_AGE_SECONDS}");
    if behind_the_edge {
        value.push_str(&format!(
            ", stale-while-revalidate={STALE_WHILE_REVALIDATE_SECONDS}"
        ));
    }
    value
}

/// A strong ETag of a body: the first 128 bits of its SHA-256, base64url.
pub fn etag_of(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    format!("\"{}\"", URL_SAFE_NO_PAD.encode(&digest[..16]))
}

/// Whether `If-None-Match` (a list of ETags, or `*`) names `etag`; weak comparison, as
/// RFC 9110 asks of `If-None-Match`.
pub fn none_match(if_none_match: &str, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_string();
    if_none_match
        .split(',')
        .any(|t| t.trim() == "*" || bare(t) == bare(etag))
}

/// Gives a response marked `Cacheable` its ETag and `Cache-Control`, and turns it into a
/// 304 with no body when the request already holds that version. Other responses pass.
pub fn revalidate(req_if_none_match: Option<&str>, mut response: Response) -> Response {
    if response.extensions().get::<Cacheable>().is_none() || response.status() != StatusCode::OK {
        return response;
    }
    let etag = etag_of(response.body().as_ref());
    let control = cache_control(origin_verify().is_some());
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&control) {
        headers.insert(header::CACHE_CONTROL, v);
    }
    if req_if_none_match.is_some_and(|v| none_match(v, &etag)) {
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        response.headers_mut().remove(header::CONTENT_TYPE);
        *response.body_mut() = Body::Empty;
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cacheable(body: &str) -> Response {
        let mut r = lambda_http::Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(Body::Text(body.to_string()))
            .unwrap();
        r.extensions_mut().insert(Cacheable);
        r
    }

    #[test]
    fn a_cacheable_read_gets_an_etag_and_a_second_read_of_it_is_a_304() {
        let first = revalidate(None, cacheable(r#"{"bracket":1}"#));
        assert_eq!(first.status(), 200);
        let etag = first.headers()[header::ETAG].to_str().unwrap().to_string();
        assert!(etag.starts_with('"') && etag.len() == 24, "{etag}");
        assert_eq!(
            first.headers()[header::CACHE_CONTROL],
            "public, max-age=0, s-maxage=2"
        );
        let again = revalidate(Some(&etag), cacheable(r#"{"bracket":1}"#));
        assert_eq!(again.status(), 304);
        assert!(again.body().as_ref().is_empty());
        assert_eq!(again.headers()[header::ETAG], etag.as_str());
        // A changed body is a new version: 200 with it.
        let changed = revalidate(Some(&etag), cacheable(r#"{"bracket":2}"#));
        assert_eq!(changed.status(), 200);
        assert_ne!(changed.headers()[header::ETAG], etag.as_str());
    }

    #[test]
    fn unmarked_and_failed_responses_are_left_alone() {
        let plain = lambda_http::Response::builder()
            .status(200)
            .body(Body::Text("{}".into()))
            .unwrap();
        let out = revalidate(Some("*"), plain);
        assert_eq!(out.status(), 200);
        assert!(!out.headers().contains_key(header::ETAG));
        let mut missing = cacheable("{}");
        *missing.status_mut() = StatusCode::NOT_FOUND;
        assert!(!revalidate(Some("*"), missing)
            .headers()
            .contains_key(header::CACHE_CONTROL));
    }

    #[test]
    fn if_none_match_lists_weak_tags_and_star() {
        assert!(none_match(r#""a", "b""#, r#""b""#));
        assert!(none_match(r#"W/"b""#, r#""b""#));
        assert!(none_match("*", r#""b""#));
        assert!(!none_match(r#""a""#, r#""b""#));
    }

    #[test]
    fn behind_the_edge_a_stale_copy_may_be_served_while_revalidating() {
        assert_eq!(
            cache_control(true),
            "public, max-age=0, s-maxage=2, stale-while-revalidate=10"
        );
    }

    fn http_request(header: Option<&str>) -> Request {
        let mut b = lambda_http::http::Request::builder().uri("/api/x");
        if let Some(h) = header {
            b = b.header(ORIGIN_VERIFY_HEADER, h);
        }
        b.body(Body::Empty).unwrap()
    }

    #[test]
    fn only_requests_with_the_edges_secret_pass_when_one_is_configured() {
        assert!(came_through_the_edge(&http_request(None), None));
        assert!(came_through_the_edge(
            &http_request(Some("s3cret")),
            Some("s3cret")
        ));
        assert!(!came_through_the_edge(&http_request(None), Some("s3cret")));
        assert!(!came_through_the_edge(
            &http_request(Some("s3cre")),
            Some("s3cret")
        ));
        assert_eq!(not_through_the_edge().status, 403);
    }
}
