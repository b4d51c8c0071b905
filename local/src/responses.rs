//! What the gateway sends back: a function's payload-2.0 response mapped to HTTP, CORS,
//! and the few answers API Gateway gives by itself (`AwsError`), with AWS's own status and
//! body (`{"message": …}`, `application/json`). Every response carries `x-request-id` and
//! echoes the client's `x-correlation-id` (`with_ids`).

use axum::{
    body::Body,
    http::{HeaderMap, HeaderValue},
    response::Response,
};
use base64::{engine::general_purpose::STANDARD, Engine};
use serde_json::{json, Value};

use crate::template::Cors;

/// The answers an HTTP API gives without a function (docs/local-stack.md, "Fidelity").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsError {
    /// No identity source on a route with an authorizer.
    Unauthorized,
    /// The authorizer answered `isAuthorized: false`.
    Forbidden,
    /// No route and no `$default` route.
    NotFound,
    /// The request body is over the HTTP API's 10 MB.
    TooLarge,
    /// Throttled (here: the function's concurrency is used up for 30 s).
    TooManyRequests,
    /// The function or the authorizer failed or answered something malformed.
    Internal,
    /// The integration timed out.
    Unavailable,
}

impl AwsError {
    pub fn status_and_message(self) -> (u16, &'static str) {
        match self {
            AwsError::Unauthorized => (401, "Unauthorized"),
            AwsError::Forbidden => (403, "Forbidden"),
            AwsError::NotFound => (404, "Not Found"),
            AwsError::TooLarge => (413, "Request Entity Too Large"),
            AwsError::TooManyRequests => (429, "Too Many Requests"),
            AwsError::Internal => (500, "Internal Server Error"),
            AwsError::Unavailable => (503, "Service Unavailable"),
        }
    }
}

pub fn aws_error(kind: AwsError, request_id: &str) -> Response {
    let (status, message) = kind.status_and_message();
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-request-id", request_id)
        .header("apigw-requestid", request_id)
        .body(Body::from(json!({ "message": message }).to_string()))
        .expect("a valid response")
}

/// Adds `x-request-id` (unless the function set it) and echoes `x-correlation-id`.
pub fn with_ids(mut res: Response, request_id: &str, request_headers: &HeaderMap) -> Response {
    let headers = res.headers_mut();
    if !headers.contains_key("x-request-id") {
        headers.insert(
            "x-request-id",
            HeaderValue::from_str(request_id).expect("ascii"),
        );
    }
    if let Some(c) = request_headers.get("x-correlation-id") {
        if !headers.contains_key("x-correlation-id") {
            headers.insert("x-correlation-id", c.clone());
        }
    }
    res
}

pub(crate) fn request_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub(crate) fn problem(status: u16, code: &str, detail: &str, request_id: &str) -> Response {
    let title = match status {
        401 => "Unauthenticated",
        404 => "Not found",
        405 => "Method not allowed",
        413 => "Payload too large",
        429 => "Too many requests",
        502 => "Bad gateway",
        504 => "Gateway timeout",
        _ => "Error",
    };
    let body = json!({
        "type": format!("https://gymit.dev/problems/{}", code.replace('_', "-")),
        "title": title, "status": status, "code": code, "detail": detail, "request_id": request_id,
    });
    Response::builder()
        .status(status)
        .header("content-type", "application/problem+json")
        .header("x-request-id", request_id)
        .body(Body::from(body.to_string()))
        .expect("a valid response")
}

/// Maps a payload-2.0 function response to HTTP.
pub(crate) fn function_response(v: &Value, request_id: &str) -> Response {
    if !v.is_object() || v.get("statusCode").is_none() {
        tracing::error!(%request_id, "the function returned an invalid response");
        return aws_error(AwsError::Internal, request_id);
    }
    let status = v["statusCode"].as_u64().unwrap_or(502) as u16;
    let mut b = Response::builder().status(status);
    for (k, val) in v["headers"].as_object().into_iter().flatten() {
        if let Some(s) = val.as_str() {
            b = b.header(k.as_str(), s);
        }
    }
    for (k, vals) in v["multiValueHeaders"].as_object().into_iter().flatten() {
        for s in vals
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|x| x.as_str())
        {
            b = b.header(k.as_str(), s);
        }
    }
    for c in v["cookies"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str())
    {
        b = b.header("set-cookie", c);
    }
    let body = match v["body"].as_str() {
        Some(s) if v["isBase64Encoded"].as_bool() == Some(true) => {
            STANDARD.decode(s).unwrap_or_default()
        }
        Some(s) => s.as_bytes().to_vec(),
        None => Vec::new(),
    };
    let mut res = b
        .body(Body::from(body))
        .unwrap_or_else(|_| aws_error(AwsError::Internal, request_id));
    if !res.headers().contains_key("x-request-id") {
        res.headers_mut().insert(
            "x-request-id",
            HeaderValue::from_str(request_id).expect("ascii"),
        );
    }
    res
}

pub(crate) fn with_cors(mut res: Response, cors: Option<&Cors>, origin: Option<&str>) -> Response {
    let (Some(cors), Some(origin)) = (cors, origin) else {
        return res;
    };
    let allowed = if cors.allow_origins.iter().any(|o| o == "*") {
        "*".to_string()
    } else if cors.allow_origins.iter().any(|o| o == origin) {
        origin.to_string()
    } else {
        return res;
    };
    let h = res.headers_mut();
    h.insert(
        "access-control-allow-origin",
        HeaderValue::from_str(&allowed).expect("ascii"),
    );
    if !cors.expose_headers.is_empty() {
        h.insert(
            "access-control-expose-headers",
            HeaderValue::from_str(&cors.expose_headers.join(",")).expect("ascii"),
        );
    }
    res
}

pub(crate) fn preflight(cors: &Cors, origin: &str, request_id: &str) -> Response {
    let mut b = Response::builder()
        .status(204)
        .header("x-request-id", request_id);
    let allowed = cors.allow_origins.iter().any(|o| o == "*" || o == origin);
    if allowed {
        let origin_value = if cors.allow_origins.iter().any(|o| o == "*") {
            "*"
        } else {
            origin
        };
        b = b
            .header("access-control-allow-origin", origin_value)
            .header("access-control-allow-methods", cors.allow_methods.join(","))
            .header("access-control-allow-headers", cors.allow_headers.join(","));
        if let Some(age) = cors.max_age {
            b = b.header("access-control-max-age", age.to_string());
        }
    }
    b.body(Body::empty()).expect("a valid response")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preflight_answers_from_the_cors_configuration() {
        let cors = Cors {
            allow_origins: vec!["*".into()],
            allow_methods: vec!["GET".into(), "POST".into()],
            allow_headers: vec!["Authorization".into()],
            expose_headers: vec![],
            max_age: Some(600),
        };
        let res = preflight(&cors, "https://app.example", "r1");
        assert_eq!(res.status(), 204);
        assert_eq!(res.headers()["access-control-allow-origin"], "*");
        assert_eq!(res.headers()["access-control-allow-methods"], "GET,POST");
        assert_eq!(res.headers()["access-control-max-age"], "600");
    }
}
