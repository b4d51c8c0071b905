//! Staying signed in across reloads (API.md v1.1): the refresh token in the `gymit_refresh`
//! cookie, `HttpOnly` (no script reads it), `SameSite=Strict` (no other site's page sends
//! it), `Path=/api/auth` (no other route sees it), and `Secure` when the request came over
//! https (API Gateway reports `x-forwarded-proto`; the local stack serves plain http). The
//! cookie travels through API Gateway's payload 2.0 `cookies` fields both ways, which
//! lambda_http turns into the `Cookie` and `Set-Cookie` headers read and written here.

use gymit_shared::{Request, Response};
use lambda_http::http::{header, HeaderValue};

pub const NAME: &str = "gymit_refresh";
const PATH: &str = "/api/auth";

/// The refresh token of the request's `gymit_refresh` cookie, if it has one.
pub fn refresh_token(req: &Request) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == NAME)
        .map(|(_, value)| value.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Adds the cookie holding `token`, kept `max_age` seconds (the session's remaining life).
pub fn set(req: &Request, response: &mut Response, token: &str, max_age: i64) {
    let value = format!(
        "{NAME}={token}; Max-Age={}; Path={PATH}; HttpOnly; SameSite=Strict{}",
        max_age.max(0),
        secure(req)
    );
    append(response, &value);
}

/// Adds the cookie's removal (logout).
pub fn clear(req: &Request, response: &mut Response) {
    let value = format!(
        "{NAME}=; Max-Age=0; Path={PATH}; HttpOnly; SameSite=Strict{}",
        secure(req)
    );
    append(response, &value);
}

fn secure(req: &Request) -> &'static str {
    let https = req
        .headers()
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.eq_ignore_ascii_case("https"));
    if https {
        "; Secure"
    } else {
        ""
    }
}

fn append(response: &mut Response, value: &str) {
    // The token is URL-safe base64 and dots: always a valid header value.
    if let Ok(v) = HeaderValue::from_str(value) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}
