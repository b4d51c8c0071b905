//! The strangler fig, locally: with `GYMIT_LEGACY_URL` set, a request that matches none of
//! the template's routes (what the HTTP API sends to its `$default` route) goes to the
//! monolith, as the HTTP proxy integration of the template's `LegacyApiUrl` parameter sends
//! it on AWS: method, path, query, headers and body passed through, a correlation id added
//! when the client sent none, and the monolith's answer returned unchanged. A monolith that
//! does not answer is API Gateway's own 503. Without the variable the `$default` function
//! answers, as before (404/405 problem+json).

use std::time::Duration;

use axum::{body::Body, response::Response};

use crate::{
    events::Incoming,
    responses::{aws_error, AwsError},
};

/// Headers that belong to one connection, not to the request or answer (RFC 9110 §7.6.1),
/// and the ones the HTTP client sets itself.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
    "te",
    "trailer",
    "host",
    "content-length",
];

/// The monolith behind the `$default` route.
pub struct Legacy {
    base: String,
    http: reqwest::Client,
}

impl Legacy {
    /// From `GYMIT_LEGACY_URL` (empty or unset: no monolith).
    pub fn from_env() -> Option<Legacy> {
        std::env::var("GYMIT_LEGACY_URL")
            .ok()
            .filter(|u| !u.trim().is_empty())
            .map(|u| Legacy::new(&u))
    }

    pub fn new(base: &str) -> Legacy {
        Legacy {
            base: base.trim().trim_end_matches('/').to_string(),
            // An HTTP API waits at most 30 s for an integration.
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .connect_timeout(Duration::from_secs(5))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sends the request on and hands back the monolith's answer.
    pub(crate) async fn forward(&self, inc: &Incoming, request_id: &str) -> Response {
        let mut url = format!("{}{}", self.base, inc.path);
        if !inc.raw_query.is_empty() {
            url.push('?');
            url.push_str(&inc.raw_query);
        }
        let method = match reqwest::Method::from_bytes(inc.method.as_bytes()) {
            Ok(m) => m,
            Err(_) => return aws_error(AwsError::NotFound, request_id),
        };
        let mut request = self.http.request(method, &url);
        for (name, value) in &inc.headers {
            if !HOP_BY_HOP.contains(&name.as_str()) {
                request = request.header(name.as_str(), value.as_bytes());
            }
        }
        if !inc.headers.contains_key("x-correlation-id") {
            request = request.header("x-correlation-id", request_id);
        }
        let answer = match request.body(inc.body.clone()).send().await {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(%url, error = %e, %request_id, "the monolith did not answer");
                return aws_error(AwsError::Unavailable, request_id);
            }
        };
        let status = answer.status().as_u16();
        let headers = answer.headers().clone();
        let body = match answer.bytes().await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(%url, error = %e, %request_id, "the monolith's answer broke off");
                return aws_error(AwsError::Unavailable, request_id);
            }
        };
        let mut res = Response::builder().status(status);
        for (name, value) in &headers {
            if !HOP_BY_HOP.contains(&name.as_str()) {
                res = res.header(name, value);
            }
        }
        res.body(Body::from(body))
            .unwrap_or_else(|_| aws_error(AwsError::Internal, request_id))
    }
}
