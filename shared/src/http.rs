//! Request and response helpers, and `run`, the one wrapper every HTTP function runs in.
//!
//! `run` gives each invocation its request id and correlation id, a tracing span carrying
//! both, a metric line, its place in the request's X-Ray trace (`trace`), and turns an
//! `ApiError` into problem+json. Handlers are plain async
//! functions of (state, request, ctx) so tests can call them directly with a sample event.

use std::{future::Future, sync::Arc, time::Instant};

use lambda_http::{
    http::{header, HeaderValue, StatusCode},
    request::RequestContext,
    Body, RequestExt,
};
use serde::{de::DeserializeOwned, Serialize};
use tracing::Instrument;

use crate::{
    error::FieldError,
    metrics,
    trace::{self, TraceHeader},
    ApiError,
};

pub type Request = lambda_http::Request;
pub type Response = lambda_http::Response<Body>;

/// Largest accepted request body (API.md: 413 above 64 KiB).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Per-invocation facts every handler may need.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub request_id: String,
    pub correlation_id: String,
}

impl Ctx {
    pub fn from_request(req: &Request) -> Self {
        let request_id = match req.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(c)) => c.request_id.clone(),
            Some(RequestContext::WebSocket(c)) => c.request_id.clone(),
            _ => None,
        }
        .or_else(|| req.lambda_context_ref().map(|c| c.request_id.clone()))
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
        let correlation_id = req
            .headers()
            .get("x-correlation-id")
            .and_then(|v| v.to_str().ok())
            .filter(|v| is_safe_correlation_id(v))
            .map(str::to_string)
            .unwrap_or_else(|| request_id.clone());
        Self {
            request_id,
            correlation_id,
        }
    }
}

/// A client-chosen correlation id is echoed and logged, so it must be short and printable.
fn is_safe_correlation_id(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 128
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:/".contains(&b))
}

/// Runs an HTTP function: `handler(state, request, ctx)` for every invocation. The state is
/// built once by the binary (SDK clients, config) and shared by reference.
pub async fn run<S, F, Fut>(
    function: &'static str,
    state: S,
    handler: F,
) -> Result<(), lambda_http::Error>
where
    S: Send + Sync + 'static,
    F: Fn(Arc<S>, Request, Ctx) -> Fut + Send + Sync + Copy + 'static,
    Fut: Future<Output = Result<Response, ApiError>> + Send,
{
    metrics::set_function(function);
    let state = Arc::new(state);
    lambda_http::run(lambda_http::service_fn(move |req: Request| {
        let state = state.clone();
        async move { Ok::<_, std::convert::Infallible>(handle(function, state, req, handler).await) }
    }))
    .await
}

/// One invocation, outside the Lambda runtime: what `run` does per request. Tests call it.
pub async fn handle<S, F, Fut>(
    function: &'static str,
    state: Arc<S>,
    req: Request,
    handler: F,
) -> Response
where
    F: Fn(Arc<S>, Request, Ctx) -> Fut,
    Fut: Future<Output = Result<Response, ApiError>>,
{
    let ctx = Ctx::from_request(&req);
    let route = route_key(&req);
    let span = tracing::info_span!(
        "request",
        function,
        request_id = %ctx.request_id,
        correlation_id = %ctx.correlation_id
    );
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let invocation = trace::Invocation::new(function, request_trace(&req));
    let result = invocation
        .run(handler(state, req, ctx.clone()).instrument(span.clone()))
        .await;
    let response = match result {
        Ok(response) => response,
        Err(err) => {
            let _enter = span.enter();
            if err.status >= 500 {
                tracing::error!(code = err.code, detail = %err.detail, "request failed");
            } else {
                tracing::info!(status = err.status, code = err.code, "request refused");
            }
            problem_response(&err, &ctx.request_id)
        }
    };
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    {
        let _enter = span.enter();
        tracing::info!(%method, %path, status, duration_ms = elapsed.as_secs_f64() * 1e3, "answered");
    }
    metrics::request(function, &route, status, elapsed);
    with_ids(response, &ctx)
}

/// The request's trace: Lambda's (on AWS, under the function's segment that Lambda writes)
/// when it is the trace API Gateway started, else the one in the request's header (locally,
/// where the gateway writes the function's segment).
fn request_trace(req: &Request) -> Option<TraceHeader> {
    let lambda = req
        .lambda_context_ref()
        .and_then(|c| c.xray_trace_id.as_deref())
        .and_then(TraceHeader::parse);
    // Locally the runtime (cargo-lambda) gives every invocation a trace of its own, which
    // lambda_http writes over the event's `x-amzn-trace-id`; gymit-local repeats the
    // gateway's trace in `x-gymit-trace-id`, read only against the emulator (on AWS it
    // would be any client's header).
    let local = crate::config::emulator_endpoint().is_some();
    let header = [(local, "x-gymit-trace-id"), (true, "x-amzn-trace-id")]
        .into_iter()
        .filter(|(read, _)| *read)
        .find_map(|(_, name)| req.headers().get(name))
        .and_then(|v| v.to_str().ok())
        .and_then(TraceHeader::parse);
    match (lambda, header) {
        (Some(l), Some(h)) if l.root == h.root => Some(l),
        (_, Some(h)) => Some(h),
        (l, None) => l,
    }
}

/// The route the request came by: API Gateway's route key (`POST /api/auth/login`,
/// `$connect`), a label of bounded cardinality, unlike the path.
fn route_key(req: &Request) -> String {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(c)) => c.route_key.clone(),
        Some(RequestContext::WebSocket(c)) => c.route_key.clone(),
        _ => None,
    }
    .filter(|r| !r.is_empty())
    .unwrap_or_else(|| "unknown".to_string())
}

fn with_ids(mut response: Response, ctx: &Ctx) -> Response {
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&ctx.request_id) {
        headers.insert("x-request-id", v);
    }
    if let Ok(v) = HeaderValue::from_str(&ctx.correlation_id) {
        headers.insert("x-correlation-id", v);
    }
    response
}

/// problem+json for an error; `Retry-After` and `Allow` where the error carries them.
pub fn problem_response(err: &ApiError, request_id: &str) -> Response {
    let mut builder = lambda_http::Response::builder()
        .status(err.status)
        .header(header::CONTENT_TYPE, "application/problem+json");
    if let Some(secs) = err.retry_after {
        builder = builder.header(header::RETRY_AFTER, secs.to_string());
    }
    if let Some(allow) = &err.allow {
        builder = builder.header(header::ALLOW, allow.as_str());
    }
    builder
        .body(Body::Text(err.problem(request_id).to_string()))
        .unwrap_or_default()
}

/// `status` with a JSON body.
pub fn json<T: Serialize>(status: u16, body: &T) -> Result<Response, ApiError> {
    let text = serde_json::to_string(body).map_err(|e| {
        tracing::error!(error = %e, "cannot serialise a response");
        ApiError::internal()
    })?;
    lambda_http::Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::OK))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::Text(text))
        .map_err(|_| ApiError::internal())
}

pub fn no_content() -> Result<Response, ApiError> {
    lambda_http::Response::builder()
        .status(204)
        .body(Body::Empty)
        .map_err(|_| ApiError::internal())
}

/// The JSON object body of a request, typed. Wrong content type, a body that is not a JSON
/// object, or invalid JSON: 400. Over 64 KiB: 413. Wrong types or missing fields: 422 with
/// the field named. Unknown keys are ignored (API.md).
pub fn json_body<T: DeserializeOwned>(req: &Request) -> Result<T, ApiError> {
    let bytes = req.body().as_ref();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::payload_too_large(MAX_BODY_BYTES));
    }
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            let essence = v
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            essence == "application/json" || essence.ends_with("+json")
        })
        .unwrap_or(false);
    if !is_json {
        return Err(ApiError::bad_request(
            "the body must be JSON, sent with Content-Type: application/json",
        ));
    }
    parse_object(bytes)
}

/// Like `json_body`, but an absent body reads as `{}` (for routes whose body is optional).
pub fn optional_json_body<T: DeserializeOwned>(req: &Request) -> Result<T, ApiError> {
    if req.body().as_ref().iter().all(u8::is_ascii_whitespace) {
        return parse_object(b"{}");
    }
    json_body(req)
}

/// Parses bytes that must hold one JSON object into `T` (also used for WebSocket frames).
pub fn parse_object<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request(format!("the body is not valid JSON ({e})")))?;
    if !value.is_object() {
        return Err(ApiError::bad_request("the body must be a JSON object"));
    }
    let mut value = value;
    whole_numbers_as_integers(&mut value);
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let field = if path == "." || path.is_empty() {
            missing_field(&inner).unwrap_or_else(|| "body".to_string())
        } else {
            path
        };
        let message = if inner.starts_with("missing field") {
            "is required".to_string()
        } else {
            type_message(&inner)
        };
        ApiError::validation(vec![FieldError::new(field, message)])
    })
}

/// Numbers follow JSON Schema (API.md, Conventions): `8.0` is the integer 8, so an
/// integer field accepts it; `8.5` stays a fraction, which an integer field refuses (422).
/// A float field reads the integer as well, so rewriting every whole number is safe.
fn whole_numbers_as_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(whole) = n.as_f64().and_then(whole_number) {
                *value = whole;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

/// `f` as a JSON integer when it has no fraction and fits in `i64` or `u64`.
fn whole_number(f: f64) -> Option<serde_json::Value> {
    // 2^63 and 2^64 are exact as f64; a float below them converts without overflow.
    const I64_END: f64 = 9_223_372_036_854_775_808.0;
    const U64_END: f64 = 18_446_744_073_709_551_616.0;
    if !f.is_finite() || f.fract() != 0.0 {
        None
    } else if (-I64_END..I64_END).contains(&f) {
        Some((f as i64).into())
    } else if (0.0..U64_END).contains(&f) {
        Some((f as u64).into())
    } else {
        None
    }
}

fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_string())
}

/// serde's "invalid type: integer `5`, expected a string" → "must be a string".
fn type_message(message: &str) -> String {
    match message.split_once(", expected ") {
        Some((_, expected)) => format!("must be {}", expected.trim_end_matches('.')),
        None => message.to_string(),
    }
}

/// A path parameter that the route guarantees; absent means a routing mistake: 404.
pub fn path_param(req: &Request, name: &str) -> Result<String, ApiError> {
    req.path_parameters_ref()
        .and_then(|p| p.first(name))
        .map(str::to_string)
        .filter(|v| !v.is_empty() && v.len() <= 128)
        .ok_or_else(|| ApiError::not_found("resource"))
}

/// A query parameter, if present (the last value wins when repeated).
pub fn query_param(req: &Request, name: &str) -> Option<String> {
    req.query_string_parameters_ref()
        .and_then(|q| q.all(name).and_then(|v| v.last().map(|s| s.to_string())))
}

/// `?limit=`: 1–100, default 20; anything else is 422 (API.md). Like a body's integer,
/// it may be written `8.0`.
pub fn page_limit(req: &Request) -> Result<i32, ApiError> {
    match query_param(req, "limit") {
        None => Ok(20),
        Some(raw) => match integer_text(&raw) {
            Some(n) if (1..=100).contains(&n) => Ok(n as i32),
            _ => Err(ApiError::invalid_field(
                "limit",
                "must be an integer from 1 to 100",
            )),
        },
    }
}

/// `?cursor=`: where a listing resumes; absent or empty is the first page (API.md).
pub fn page_cursor(req: &Request) -> Option<String> {
    query_param(req, "cursor").filter(|c| !c.is_empty())
}

/// An integer written as text, as JSON Schema counts one: `8` or `8.0`, not `8.5`.
pub fn integer_text(raw: &str) -> Option<i64> {
    if let Ok(n) = raw.parse::<i64>() {
        return Some(n);
    }
    let (whole, fraction) = raw.split_once('.')?;
    if fraction.is_empty() || !fraction.bytes().all(|b| b == b'0') {
        return None;
    }
    whole.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Login {
        email: String,
        password: String,
    }

    fn request(content_type: Option<&str>, body: &str) -> Request {
        let mut b = lambda_http::http::Request::builder()
            .method("POST")
            .uri("/x");
        if let Some(ct) = content_type {
            b = b.header("content-type", ct);
        }
        b.body(Body::Text(body.to_string())).unwrap()
    }

    #[test]
    fn wrong_content_type_is_bad_request() {
        let err = json_body::<Login>(&request(Some("text/plain"), "{}")).unwrap_err();
        assert_eq!((err.status, err.code), (400, "bad_request"));
        let err = json_body::<Login>(&request(None, "{}")).unwrap_err();
        assert_eq!(err.status, 400);
    }

    #[test]
    fn malformed_json_and_non_objects_are_bad_requests() {
        for body in ["{", "[1,2]", "\"text\"", "null", ""] {
            let err = json_body::<Login>(&request(Some("application/json"), body)).unwrap_err();
            assert_eq!(err.status, 400, "body {body:?}");
        }
    }

    #[test]
    fn a_wrong_type_names_the_field() {
        let err = json_body::<Login>(&request(
            Some("application/json; charset=utf-8"),
            r#"{"email": 5, "password": "x"}"#,
        ))
        .unwrap_err();
        assert_eq!(err.status, 422);
        assert_eq!(err.errors[0].field, "email");
        assert_eq!(err.errors[0].message, "must be a string");
    }

    #[test]
    fn a_missing_field_is_required() {
        let err = json_body::<Login>(&request(Some("application/json"), r#"{"email": "a@b.c"}"#))
            .unwrap_err();
        assert_eq!(err.errors[0].field, "password");
        assert_eq!(err.errors[0].message, "is required");
    }

    #[derive(Debug, Deserialize)]
    struct Sized {
        max_participants: u32,
        seeds: Vec<i64>,
        #[serde(default)]
        ratio: Option<f64>,
    }

    #[test]
    fn an_integer_written_with_a_zero_fraction_is_that_integer() {
        let req = request(
            Some("application/json"),
            r#"{"max_participants": 8.0, "seeds": [1, 2.00, -3.0], "ratio": 4.0}"#,
        );
        let body: Sized = json_body(&req).unwrap();
        assert_eq!(body.max_participants, 8);
        assert_eq!(body.seeds, [1, 2, -3]);
        assert_eq!(body.ratio, Some(4.0));
    }

    #[test]
    fn an_integer_field_still_refuses_a_fraction() {
        for body in [
            r#"{"max_participants": 8.5, "seeds": []}"#,
            r#"{"max_participants": 8, "seeds": [0.25]}"#,
            r#"{"max_participants": 1e300, "seeds": []}"#,
        ] {
            let err = json_body::<Sized>(&request(Some("application/json"), body)).unwrap_err();
            assert_eq!(err.status, 422, "{body}");
        }
    }

    fn with_query(query: &[(&str, &str)]) -> Request {
        use lambda_http::RequestExt;
        let map: std::collections::HashMap<String, String> = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        request(None, "").with_query_string_parameters(map)
    }

    #[test]
    fn a_page_limit_may_be_written_with_a_zero_fraction() {
        assert_eq!(page_limit(&with_query(&[])).unwrap(), 20);
        assert_eq!(page_limit(&with_query(&[("limit", "8")])).unwrap(), 8);
        assert_eq!(page_limit(&with_query(&[("limit", "8.0")])).unwrap(), 8);
        for bad in ["8.5", "0", "101", "", "8.", "eight", "1e1"] {
            let err = page_limit(&with_query(&[("limit", bad)])).unwrap_err();
            assert_eq!(err.status, 422, "{bad:?}");
        }
    }

    #[test]
    fn an_empty_cursor_is_the_first_page() {
        assert_eq!(page_cursor(&with_query(&[])), None);
        assert_eq!(page_cursor(&with_query(&[("cursor", "")])), None);
        assert_eq!(
            page_cursor(&with_query(&[("cursor", "abc.def")])).as_deref(),
            Some("abc.def")
        );
    }

    #[test]
    fn unknown_keys_are_ignored() {
        let login: Login = json_body(&request(
            Some("application/json"),
            r#"{"email": "a@b.c", "password": "x", "remember": true}"#,
        ))
        .unwrap();
        assert_eq!(login.email, "a@b.c");
    }

    #[test]
    fn bodies_over_64_kib_are_too_large() {
        let big = format!(
            r#"{{"email": "{}", "password": "x"}}"#,
            "a".repeat(MAX_BODY_BYTES)
        );
        let err = json_body::<Login>(&request(Some("application/json"), &big)).unwrap_err();
        assert_eq!((err.status, err.code), (413, "payload_too_large"));
    }

    #[test]
    fn correlation_ids_must_be_short_and_printable() {
        assert!(is_safe_correlation_id("abc-123_x.y"));
        assert!(!is_safe_correlation_id("a b"));
        assert!(!is_safe_correlation_id(&"a".repeat(129)));
    }
}
