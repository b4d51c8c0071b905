//! `gymit-local gateway`: API Gateway for the template, on one port.
//!
//! HTTP API (payload format 2.0): matches the template's `HttpApi` routes (path parameters,
//! `{proxy+}`, methods, `$default`), runs the Lambda authorizer (REQUEST, simple responses,
//! no cache, so a ban takes effect at once), invokes the route's function through the
//! Lambda Invoke API of `cargo lambda watch`, and maps its response back. CORS preflights
//! are answered from the template; unknown paths are 404 and other methods 405, both as
//! problem+json; a crashed function is 502 and a slow one 504, and the gateway keeps going.
//! It also delivers SNS notifications to subscribed functions (`/_local/sns/<function>`).

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{
    body::{to_bytes, Body, Bytes},
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, Request, StatusCode},
    response::Response,
    routing::{get, post},
    Router,
};
use base64::{engine::general_purpose::STANDARD, Engine};
use serde_json::{json, Map, Value};

use crate::template::{Cors, Template};

const MAX_BODY: usize = 10 * 1024 * 1024;

#[derive(Debug, Clone)]
struct CompiledRoute {
    method: String,
    path: String,
    segments: Vec<Segment>,
    binary: String,
    authorized: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Literal(String),
    Param(String),
    Greedy(String),
}

fn compile(path: &str) -> Vec<Segment> {
    path.trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(p) if p.ends_with('+') => Segment::Greedy(p.trim_end_matches('+').to_string()),
                Some(p) => Segment::Param(p.to_string()),
                None => Segment::Literal(s.to_string()),
            },
        )
        .collect()
}

fn match_path(segments: &[Segment], path: &str) -> Option<HashMap<String, String>> {
    let parts: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let mut params = HashMap::new();
    for (i, seg) in segments.iter().enumerate() {
        match seg {
            Segment::Literal(l) => {
                if parts.get(i) != Some(&l.as_str()) {
                    return None;
                }
            }
            Segment::Param(name) => {
                params.insert(name.clone(), percent_decode(parts.get(i)?));
            }
            Segment::Greedy(name) => {
                if i >= parts.len() {
                    return None;
                }
                params.insert(name.clone(), parts[i..].join("/"));
                return Some(params);
            }
        }
    }
    (parts.len() == segments.len()).then_some(params)
}

fn percent_decode(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What a request path resolves to.
#[derive(Debug)]
enum Resolution<'a> {
    Route(&'a CompiledRoute, HashMap<String, String>),
    WrongMethod(Vec<String>),
    NotFound,
}

/// More literal segments first, then fewer parameters: `/users/me` beats `/users/{id}`.
fn specificity(r: &CompiledRoute) -> (usize, usize) {
    let literals = r
        .segments
        .iter()
        .filter(|s| matches!(s, Segment::Literal(_)))
        .count();
    let greedy = r
        .segments
        .iter()
        .filter(|s| matches!(s, Segment::Greedy(_)))
        .count();
    (literals, usize::MAX - greedy)
}

fn resolve<'a>(routes: &'a [CompiledRoute], method: &str, path: &str) -> Resolution<'a> {
    let mut candidates: Vec<(&CompiledRoute, HashMap<String, String>)> = routes
        .iter()
        .filter(|r| r.path != "$default")
        .filter_map(|r| match_path(&r.segments, path).map(|p| (r, p)))
        .collect();
    candidates.sort_by_key(|(r, _)| std::cmp::Reverse(specificity(r)));
    if candidates.is_empty() {
        return match routes.iter().find(|r| r.path == "$default") {
            Some(d) => Resolution::Route(d, HashMap::new()),
            None => Resolution::NotFound,
        };
    }
    // As API Gateway: the most specific route with this method wins; if the path exists
    // only with other methods, it is a 405 listing them.
    if let Some((r, p)) = candidates
        .iter()
        .find(|(r, _)| r.method == method || r.method == "ANY")
    {
        return Resolution::Route(r, p.clone());
    }
    let mut allow: Vec<String> = candidates.iter().map(|(r, _)| r.method.clone()).collect();
    allow.sort();
    allow.dedup();
    Resolution::WrongMethod(allow)
}

pub struct Gateway {
    routes: Vec<CompiledRoute>,
    lambda_url: String,
    http: reqwest::Client,
    cors: Option<Cors>,
    authorizer: Option<String>,
    timeouts: HashMap<String, u64>,
    /// At most this many invocations of one function at a time (what `cargo lambda watch`
    /// runs per function, `GYMIT_CONCURRENCY`); more wait their turn here, as on AWS they
    /// would wait for a free instance, instead of piling up inside watch, which stalls
    /// every function under a rush of a few hundred requests.
    limits: HashMap<String, Arc<tokio::sync::Semaphore>>,
    /// function binary → SNS subscription handling is done by `deliver_sns`.
    pub sns_functions: Vec<String>,
    /// The WebSocket API, when the template has one.
    pub live: Option<Arc<crate::websocket::Live>>,
}

impl Gateway {
    pub fn new(template: &Template, lambda_url: &str) -> Gateway {
        let functions = template.functions();
        let mut routes = Vec::new();
        for f in &functions {
            for r in &f.routes {
                routes.push(CompiledRoute {
                    method: r.method.clone(),
                    path: r.path.clone(),
                    segments: compile(&r.path),
                    binary: f.binary.clone(),
                    authorized: r.authorized,
                });
            }
        }
        Gateway {
            routes,
            lambda_url: lambda_url.trim_end_matches('/').to_string(),
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(64)
                .build()
                .expect("an HTTP client"),
            cors: template.cors(),
            authorizer: template.authorizer_binary(),
            timeouts: functions
                .iter()
                .map(|f| (f.binary.clone(), f.timeout_secs))
                .collect(),
            limits: functions
                .iter()
                .map(|f| {
                    let permits = crate::concurrency();
                    (
                        f.binary.clone(),
                        Arc::new(tokio::sync::Semaphore::new(permits)),
                    )
                })
                .collect(),
            sns_functions: functions
                .iter()
                .filter(|f| !f.topics.is_empty())
                .map(|f| f.binary.clone())
                .collect(),
            live: template
                .websocket_api()
                .map(|api| Arc::new(crate::websocket::Live::new(api))),
        }
    }

    /// Invokes a function through the Lambda Invoke API; `Err` is (status, code, detail).
    pub async fn invoke(
        &self,
        binary: &str,
        payload: &Value,
    ) -> Result<Value, (u16, &'static str, String)> {
        let timeout = Duration::from_secs(self.timeouts.get(binary).copied().unwrap_or(10) + 1);
        let url = format!(
            "{}/2015-03-31/functions/{binary}/invocations",
            self.lambda_url
        );
        let _permit = match self.limits.get(binary) {
            Some(limit) => {
                match tokio::time::timeout(Duration::from_secs(30), limit.clone().acquire_owned())
                    .await
                {
                    Ok(Ok(permit)) => Some(permit),
                    _ => {
                        return Err((
                            429,
                            "rate_limited",
                            format!("{binary} is at its concurrency limit"),
                        ))
                    }
                }
            }
            None => None,
        };
        let res = self
            .http
            .post(url)
            .json(payload)
            .timeout(timeout)
            .send()
            .await;
        let res = match res {
            Ok(r) => r,
            Err(e) if e.is_timeout() => {
                return Err((
                    504,
                    "gateway_timeout",
                    format!("{binary} did not answer in time"),
                ))
            }
            Err(e) => {
                return Err((
                    502,
                    "bad_gateway",
                    format!("{binary} could not be invoked: {e}"),
                ))
            }
        };
        let function_error = res.headers().contains_key("x-amz-function-error");
        let status = res.status();
        let body = res.bytes().await.unwrap_or_default();
        let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        if function_error || !status.is_success() || value.get("errorType").is_some() {
            return Err((
                502,
                "bad_gateway",
                format!(
                    "{binary} failed: {}",
                    String::from_utf8_lossy(&body)
                        .chars()
                        .take(300)
                        .collect::<String>()
                ),
            ));
        }
        Ok(value)
    }

    pub fn router(self: Arc<Self>) -> Router {
        let mut router = Router::new();
        if let Some(live) = &self.live {
            let stage = live.stage().trim_start_matches('$');
            let manage = post(crate::websocket::post)
                .get(crate::websocket::describe)
                .delete(crate::websocket::delete);
            router = router
                .route(&format!("/{stage}"), get(crate::websocket::upgrade))
                .route(&format!("/{stage}/@connections/{{id}}"), manage.clone())
                .route("/@connections/{id}", manage);
        }
        router
            .route("/_local/sns/{binary}", post(sns_notification))
            .fallback(http_api)
            .with_state(self)
            .layer(crate::web::layer())
    }
}

fn request_id() -> String {
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

pub(crate) fn headers_json(headers: &HeaderMap) -> Map<String, Value> {
    let mut out: Map<String, Value> = Map::new();
    for (k, v) in headers {
        let v = v.to_str().unwrap_or_default();
        let name = k.as_str().to_lowercase();
        if name == "cookie" {
            continue;
        }
        match out.get_mut(&name) {
            Some(Value::String(existing)) => {
                existing.push(',');
                existing.push_str(v);
            }
            _ => {
                out.insert(name, Value::String(v.to_string()));
            }
        }
    }
    out
}

pub(crate) fn query_json(raw: &str) -> Map<String, Value> {
    let mut out: Map<String, Value> = Map::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = (
            percent_decode(&k.replace('+', " ")),
            percent_decode(&v.replace('+', " ")),
        );
        match out.get_mut(&k) {
            Some(Value::String(existing)) => {
                existing.push(',');
                existing.push_str(&v);
            }
            _ => {
                out.insert(k, Value::String(v));
            }
        }
    }
    out
}

struct Incoming {
    method: String,
    path: String,
    raw_query: String,
    headers: HeaderMap,
    body: Bytes,
}

fn request_context(inc: &Incoming, route_key: &str, request_id: &str) -> Value {
    let now = chrono::Utc::now();
    json!({
        "accountId": crate::template::ACCOUNT,
        "apiId": "local",
        "domainName": inc.headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1"),
        "domainPrefix": "local",
        "http": {
            "method": inc.method,
            "path": inc.path,
            "protocol": "HTTP/1.1",
            "sourceIp": "127.0.0.1",
            "userAgent": inc.headers.get("user-agent").and_then(|h| h.to_str().ok()).unwrap_or(""),
        },
        "requestId": request_id,
        "routeKey": route_key,
        "stage": "$default",
        "time": now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
        "timeEpoch": now.timestamp_millis(),
    })
}

fn http_event(
    inc: &Incoming,
    route: &CompiledRoute,
    params: &HashMap<String, String>,
    request_id: &str,
    authorizer: Option<Value>,
) -> Value {
    let route_key = if route.path == "$default" {
        "$default".to_string()
    } else {
        format!("{} {}", route.method, route.path)
    };
    let mut ctx = request_context(inc, &route_key, request_id);
    if let Some(a) = authorizer {
        ctx["authorizer"] = json!({ "lambda": a });
    }
    let (body, b64) = match std::str::from_utf8(&inc.body) {
        Ok(s) => (s.to_string(), false),
        Err(_) => (STANDARD.encode(&inc.body), true),
    };
    let mut event = json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": inc.path,
        "rawQueryString": inc.raw_query,
        "headers": headers_json(&inc.headers),
        "requestContext": ctx,
        "isBase64Encoded": b64,
    });
    let cookies: Vec<String> = inc
        .headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';').map(|c| c.trim().to_string()))
        .filter(|c| !c.is_empty())
        .collect();
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    let query = query_json(&inc.raw_query);
    if !query.is_empty() {
        event["queryStringParameters"] = Value::Object(query);
    }
    if !params.is_empty() {
        event["pathParameters"] = json!(params);
    }
    if !inc.body.is_empty() {
        event["body"] = Value::String(body);
    }
    event
}

/// Maps a payload-2.0 function response to HTTP.
pub(crate) fn function_response(v: &Value, request_id: &str) -> Response {
    if !v.is_object() || v.get("statusCode").is_none() {
        return problem(
            502,
            "bad_gateway",
            "the function returned an invalid response",
            request_id,
        );
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
        .unwrap_or_else(|_| problem(502, "bad_gateway", "invalid headers", request_id));
    if !res.headers().contains_key("x-request-id") {
        res.headers_mut().insert(
            "x-request-id",
            HeaderValue::from_str(request_id).expect("ascii"),
        );
    }
    res
}

fn with_cors(mut res: Response, cors: Option<&Cors>, origin: Option<&str>) -> Response {
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

fn preflight(cors: &Cors, origin: &str, request_id: &str) -> Response {
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

async fn http_api(State(gw): State<Arc<Gateway>>, req: Request<Body>) -> Response {
    let started = Instant::now();
    let request_id = request_id();
    let (parts, body) = req.into_parts();
    let origin = parts
        .headers
        .get("origin")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let inc = Incoming {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        raw_query: parts.uri.query().unwrap_or_default().to_string(),
        headers: parts.headers,
        body: match to_bytes(body, MAX_BODY).await {
            Ok(b) => b,
            Err(_) => {
                return problem(
                    413,
                    "payload_too_large",
                    "the request body is too large",
                    &request_id,
                )
            }
        },
    };
    let res = route(&gw, &inc, &request_id, origin.as_deref()).await;
    let res = with_cors(res, gw.cors.as_ref(), origin.as_deref());
    println!(
        "gateway {} {} {} {:.1}ms {}",
        inc.method,
        inc.path,
        res.status().as_u16(),
        started.elapsed().as_secs_f64() * 1e3,
        request_id
    );
    res
}

async fn route(gw: &Gateway, inc: &Incoming, request_id: &str, origin: Option<&str>) -> Response {
    let is_preflight =
        inc.method == "OPTIONS" && inc.headers.contains_key("access-control-request-method");
    if let (true, Some(cors), Some(origin)) = (is_preflight, gw.cors.as_ref(), origin) {
        return preflight(cors, origin, request_id);
    }
    let (route, params) = match resolve(&gw.routes, &inc.method, &inc.path) {
        Resolution::Route(r, p) => (r, p),
        Resolution::NotFound => {
            return problem(
                404,
                "not_found",
                &format!("no route for {}", inc.path),
                request_id,
            )
        }
        Resolution::WrongMethod(allow) => {
            let mut res = problem(
                405,
                "method_not_allowed",
                &format!("{} allows {}", inc.path, allow.join(", ")),
                request_id,
            );
            res.headers_mut().insert(
                "allow",
                HeaderValue::from_str(&allow.join(", ")).expect("ascii"),
            );
            return res;
        }
    };
    let mut context = None;
    if route.authorized {
        if let Some(authorizer) = &gw.authorizer {
            match authorize(gw, authorizer, inc, route, &params, request_id).await {
                Ok(c) => context = Some(c),
                Err(res) => return res,
            }
        }
    }
    let event = http_event(inc, route, &params, request_id, context);
    match gw.invoke(&route.binary, &event).await {
        Ok(v) => function_response(&v, request_id),
        Err((status, code, detail)) => {
            eprintln!("gateway: {detail}");
            problem(
                status,
                code,
                &format!("{} failed", route.binary),
                request_id,
            )
        }
    }
}

/// Runs the REQUEST authorizer as API Gateway does: no identity source → 401 without a call.
async fn authorize(
    gw: &Gateway,
    authorizer: &str,
    inc: &Incoming,
    route: &CompiledRoute,
    params: &HashMap<String, String>,
    request_id: &str,
) -> Result<Value, Response> {
    let unauthenticated = |detail: &str| problem(401, "unauthenticated", detail, request_id);
    let Some(identity) = inc
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
    else {
        return Err(unauthenticated("a bearer token is required"));
    };
    let route_key = format!("{} {}", route.method, route.path);
    let mut event = json!({
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": format!("arn:aws:execute-api:us-east-1:{}:local/$default/{}{}", crate::template::ACCOUNT, inc.method, inc.path),
        "identitySource": [identity],
        "routeKey": route_key,
        "rawPath": inc.path,
        "rawQueryString": inc.raw_query,
        "headers": headers_json(&inc.headers),
        "requestContext": request_context(inc, &route_key, request_id),
    });
    if !params.is_empty() {
        event["pathParameters"] = json!(params);
    }
    let query = query_json(&inc.raw_query);
    if !query.is_empty() {
        event["queryStringParameters"] = Value::Object(query);
    }
    match gw.invoke(authorizer, &event).await {
        Ok(v) if v["isAuthorized"].as_bool() == Some(true) => {
            Ok(v.get("context").cloned().unwrap_or_else(|| json!({})))
        }
        Ok(_) => Err(unauthenticated("the token is invalid, expired or revoked")),
        Err((status, code, detail)) => {
            eprintln!("gateway: authorizer: {detail}");
            Err(problem(status, code, "the authorizer failed", request_id))
        }
    }
}

/// An SNS HTTP notification (moto sends the JSON envelope as text/plain): answered at once,
/// then delivered to the function as the SNS event Lambda would send, with Lambda's
/// asynchronous retries (two more attempts).
async fn sns_notification(
    State(gw): State<Arc<Gateway>>,
    Path(binary): Path<String>,
    body: Bytes,
) -> StatusCode {
    let Ok(msg) = serde_json::from_slice::<Value>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    if msg["Type"] != "Notification" {
        return StatusCode::OK;
    }
    let attrs: Map<String, Value> = msg["MessageAttributes"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), json!({ "Type": v["Type"], "Value": v["Value"] })))
        .collect();
    let event = json!({ "Records": [{
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": format!("{}:local", msg["TopicArn"].as_str().unwrap_or_default()),
        "Sns": {
            "Type": "Notification",
            "MessageId": msg["MessageId"],
            "TopicArn": msg["TopicArn"],
            "Subject": msg.get("Subject").cloned().unwrap_or(Value::Null),
            "Message": msg["Message"],
            "Timestamp": msg["Timestamp"],
            "SignatureVersion": "1",
            "Signature": "local",
            "SigningCertUrl": "http://localhost/cert.pem",
            "UnsubscribeUrl": "http://localhost/unsubscribe",
            "MessageAttributes": attrs,
        }
    }]});
    tokio::spawn(async move {
        for attempt in 0..3u32 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
            }
            match gw.invoke(&binary, &event).await {
                Ok(_) => {
                    println!(
                        "sns → {binary}: delivered {}",
                        msg["MessageId"].as_str().unwrap_or_default()
                    );
                    return;
                }
                Err((_, _, detail)) => {
                    eprintln!("sns → {binary}: attempt {} failed: {detail}", attempt + 1)
                }
            }
        }
        eprintln!(
            "sns → {binary}: gave up on {}",
            msg["MessageId"].as_str().unwrap_or_default()
        );
    });
    StatusCode::OK
}

/// Subscribes `http://<gateway>/_local/sns/<function>` to each topic a function listens to,
/// removing stale subscriptions of earlier local gateways.
pub async fn subscribe_sns(template: &Template, gateway_url: &str) -> Result<(), crate::Error> {
    let sns = aws_sdk_sns::Client::new(&crate::sdk_config().await);
    let topics: HashMap<String, String> = template.topics().into_iter().collect();
    for f in template.functions() {
        for topic in &f.topics {
            let Some(name) = topics.get(topic) else {
                continue;
            };
            let arn = template.topic_arn(name);
            let endpoint = format!("{gateway_url}/_local/sns/{}", f.binary);
            let existing = sns
                .list_subscriptions_by_topic()
                .topic_arn(&arn)
                .send()
                .await?;
            let mut present = false;
            for s in existing.subscriptions() {
                let e = s.endpoint().unwrap_or_default();
                if e == endpoint {
                    present = true;
                } else if e.ends_with(&format!("/_local/sns/{}", f.binary)) {
                    if let Some(sub) = s.subscription_arn() {
                        let _ = sns.unsubscribe().subscription_arn(sub).send().await;
                    }
                }
            }
            if !present {
                sns.subscribe()
                    .topic_arn(&arn)
                    .protocol("http")
                    .endpoint(&endpoint)
                    .send()
                    .await?;
            }
        }
    }
    Ok(())
}

/// Serves the gateway until the future is dropped.
pub async fn serve(
    gateway: Arc<Gateway>,
    listener: tokio::net::TcpListener,
) -> Result<(), crate::Error> {
    axum::serve(listener, gateway.router()).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routes() -> Vec<CompiledRoute> {
        [
            ("GET", "/api/users/{id}"),
            ("DELETE", "/api/users/{id}"),
            ("GET", "/api/users/me"),
            ("PATCH", "/api/users/me"),
            ("GET", "/files/{proxy+}"),
        ]
        .iter()
        .map(|(m, p)| CompiledRoute {
            method: m.to_string(),
            path: p.to_string(),
            segments: compile(p),
            binary: format!("{m} {p}"),
            authorized: false,
        })
        .collect()
    }

    #[test]
    fn exact_paths_beat_parameters() {
        let r = routes();
        match resolve(&r, "GET", "/api/users/me") {
            Resolution::Route(route, params) => {
                assert_eq!(route.path, "/api/users/me");
                assert!(params.is_empty());
            }
            other => panic!("{other:?}"),
        }
        match resolve(&r, "GET", "/api/users/42") {
            Resolution::Route(route, params) => {
                assert_eq!(route.path, "/api/users/{id}");
                assert_eq!(params["id"], "42");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn other_methods_are_405_with_allow_and_unknown_paths_404() {
        let r = routes();
        match resolve(&r, "POST", "/api/users/me") {
            // DELETE /api/users/me would reach DELETE /api/users/{id}, so it is allowed too.
            Resolution::WrongMethod(allow) => assert_eq!(allow, vec!["DELETE", "GET", "PATCH"]),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            resolve(&r, "GET", "/api/nothing"),
            Resolution::NotFound
        ));
        assert!(matches!(
            resolve(&r, "GET", "/api/users/1/extra"),
            Resolution::NotFound
        ));
    }

    #[test]
    fn greedy_paths_take_the_rest() {
        let r = routes();
        match resolve(&r, "GET", "/files/a/b/c") {
            Resolution::Route(_, p) => assert_eq!(p["proxy"], "a/b/c"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn queries_and_headers_join_repeats_with_commas() {
        let q = query_json("a=1&a=2&b=x%20y");
        assert_eq!(q["a"], "1,2");
        assert_eq!(q["b"], "x y");
    }

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
