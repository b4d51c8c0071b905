//! `gymit-local gateway`: API Gateway for the template, on one port.
//!
//! The HTTP API (payload format 2.0): requests are matched to the template's `HttpApi`
//! routes (`routes`), refused or let through by the Lambda authorizer (`authorizer`),
//! turned into the function's event (`events`), invoked (`invoke`), and its answer mapped
//! back with CORS (`responses`). By the fidelity rule (DESIGN.md), the gateway itself
//! answers only what API Gateway would answer by itself, with AWS's status and body
//! (`AwsError`); everything else, 404/405 problem+json included, comes from a function
//! (the `$default` route).
//! With `GYMIT_LEGACY_URL` set, the `$default` route is the monolith instead (`legacy`).
//! The same port serves the WebSocket API (`websocket`), SNS's HTTP deliveries (`sns`),
//! the web app (`web`), `/_local/status` (the stream mappings, `streams`),
//! `/_local/faults` (fault injection, `faults`), `/_local/metrics` (the functions' metrics,
//! `metrics`) and Lambda's Invoke API (`POST /2015-03-31/functions/{name}/invocations`),
//! which the functions' own invokes reach (`AWS_ENDPOINT_URL_LAMBDA`), so that they go
//! through the `Invoker` and its injected faults like every other invocation. The HTTP
//! API's events report the TCP peer as `requestContext.http.sourceIp`, as API Gateway
//! reports the client's address.

use std::{net::SocketAddr, sync::Arc, time::Instant};

use axum::{
    body::{to_bytes, Body},
    extract::{ConnectInfo, State},
    http::Request,
    response::Response,
    routing::{get, post},
    Router,
};
use serde_json::{json, Value};

use crate::{
    events::{http_event, Incoming},
    invoke::Invoker,
    responses::{
        aws_error, function_response, preflight, request_id, with_cors, with_ids, AwsError,
    },
    routes::{compile, resolve, CompiledRoute, Resolution},
    template::{Cors, Template},
};

/// An HTTP API's largest request body (10 MB); the functions hold the contract's 64 KiB.
const MAX_BODY: usize = 10 * 1024 * 1024;

pub struct Gateway {
    routes: Vec<CompiledRoute>,
    cors: Option<Cors>,
    authorizer: Option<String>,
    /// The functions, with their limits and the injected faults (`crate::invoke`).
    pub invoker: Arc<Invoker>,
    /// SNS-fed functions, invoked asynchronously (`crate::sns`).
    sns: Arc<crate::sns::Subscribers>,
    /// The stream event source mappings' positions and errors (`crate::streams`).
    pub mappings: Arc<crate::streams::Mappings>,
    pub authorizer_cache: crate::authorizer::Cache,
    /// The WebSocket API, when the template has one.
    pub live: Option<Arc<crate::websocket::Live>>,
    /// The functions' metrics (fed by the supervisor from their output).
    pub metrics: Arc<crate::metrics::Registry>,
    /// The requests' traces (the functions send theirs to `Traces::listen`).
    pub traces: Arc<crate::traces::Traces>,
    /// The template's queues (the dead-letter queues), for the ops page.
    pub queues: Vec<String>,
    /// The monolith behind the `$default` route (`GYMIT_LEGACY_URL`), if any.
    pub legacy: Option<crate::legacy::Legacy>,
}

impl Gateway {
    pub fn new(template: &Template, lambda_url: &str) -> Gateway {
        let mut routes = Vec::new();
        for f in &template.functions() {
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
        let invoker = Arc::new(Invoker::new(template, lambda_url));
        Gateway {
            routes,
            cors: template.cors(),
            authorizer: template.authorizer_binary(),
            sns: Arc::new(crate::sns::Subscribers::new(template, invoker.clone())),
            invoker,
            mappings: Default::default(),
            authorizer_cache: crate::authorizer::Cache::new(crate::authorizer::Cache::ttl_from(
                template.authorizer_ttl_secs(),
            )),
            live: template
                .websocket_api()
                .map(|api| Arc::new(crate::websocket::Live::new(api))),
            metrics: Default::default(),
            traces: Default::default(),
            queues: template
                .queues()
                .into_iter()
                .map(|(_, name)| name)
                .collect(),
            legacy: crate::legacy::Legacy::from_env(),
        }
    }

    pub fn router(self: Arc<Self>) -> Router {
        let ops = Arc::new(crate::ops::Ops {
            metrics: self.metrics.clone(),
            traces: self.traces.clone(),
            mappings: self.mappings.clone(),
            invoker: self.invoker.clone(),
            queues: self.queues.clone(),
        });
        let mut router = Router::new();
        if let Some(live) = &self.live {
            let stage = live.stage().trim_start_matches('$');
            let manage = post(crate::websocket::post::<Gateway>)
                .get(crate::websocket::describe::<Gateway>)
                .delete(crate::websocket::delete::<Gateway>);
            router = router
                .route(
                    &format!("/{stage}"),
                    get(crate::websocket::upgrade::<Gateway>),
                )
                .route(&format!("/{stage}/@connections/{{id}}"), manage.clone())
                .route("/@connections/{id}", manage);
        }
        router
            .route(
                "/_local/sns/{binary}",
                post(crate::sns::notification).with_state(self.sns.clone()),
            )
            .route("/_local/status", get(status))
            .route(
                "/_local/metrics",
                get(crate::metrics::serve).with_state(self.metrics.clone()),
            )
            .route("/_local/", get(crate::ops::page))
            .route(
                "/_local/ops.json",
                get(crate::ops::data).with_state(ops.clone()),
            )
            .route(
                "/_local/dlq/{queue}/replay",
                post(crate::ops::replay).with_state(ops),
            )
            .route(
                "/_local/traces/{request_id}",
                get(crate::traces::serve).with_state(self.traces.clone()),
            )
            .route(
                "/2015-03-31/functions/{name}/invocations",
                post(invoke_api).with_state(self.clone()),
            )
            .route(
                "/_local/faults",
                post(crate::faults::set)
                    .delete(crate::faults::clear)
                    .with_state(self.invoker.faults().clone()),
            )
            .fallback(http_api)
            .with_state(self)
            .layer(crate::web::layer())
            .layer(axum::middleware::from_fn(local_only))
    }
}

/// The WebSocket API reaches its connections and functions through the gateway.
impl crate::websocket::Host for Gateway {
    fn live(&self) -> Option<&Arc<crate::websocket::Live>> {
        self.live.as_ref()
    }

    fn invoker(&self) -> &Invoker {
        &self.invoker
    }
}

/// `/_local/*` and `@connections` serve this machine's processes only (the emulator's SNS
/// deliveries, the fan-out function, a developer's curl): a request from a web page of
/// another site (a foreign `Origin`) or under another host name (`Host`, as in DNS
/// rebinding) is refused, so no page a developer visits can invoke functions through them.
async fn local_only(req: Request<Body>, next: axum::middleware::Next) -> Response {
    let path = req.uri().path();
    let local = path.starts_with("/_local/")
        || path.contains("/@connections/")
        || path.starts_with("/2015-03-31/");
    if !local {
        return next.run(req).await;
    }
    if refuses_cross_site(req.headers()) {
        let path = path.to_string();
        tracing::warn!(%path, "refused a cross-site request to a local-only endpoint");
        return aws_error(AwsError::Forbidden, &request_id());
    }
    next.run(req).await
}

fn refuses_cross_site(headers: &axum::http::HeaderMap) -> bool {
    let public_host = std::env::var("GYMIT_PUBLIC_URL")
        .ok()
        .and_then(|u| host_of(&u).map(str::to_string));
    let allowed = |value: &str| {
        host_of(value).is_some_and(|h| {
            matches!(h, "127.0.0.1" | "localhost" | "[::1]") || Some(h) == public_host.as_deref()
        })
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    header("host").is_some_and(|h| !allowed(h)) || header("origin").is_some_and(|o| !allowed(o))
}

/// The host of `http://host:port/…` or `host:port`, without the port.
fn host_of(value: &str) -> Option<&str> {
    let rest = value.split_once("://").map_or(value, |(_, r)| r);
    let authority = rest.split('/').next()?;
    if authority.starts_with('[') {
        return authority.split_inclusive(']').next();
    }
    authority.split(':').next().filter(|h| !h.is_empty())
}

/// `GET /_local/status`: each stream mapping's position, lag and last error, and the
/// pending injected faults.
async fn status(State(gw): State<Arc<Gateway>>) -> axum::Json<Value> {
    axum::Json(json!({
        "stream_mappings": gw.mappings.snapshot(),
        "faults": gw.invoker.faults().snapshot(),
    }))
}

/// Lambda's `Invoke` (`RequestResponse`, or `Event`: answered 202 at once), through the
/// `Invoker`: a function error (injected or real) is a 200 with `X-Amz-Function-Error`, as
/// Lambda answers it; a function at its concurrency limit is a 429.
async fn invoke_api(
    State(gw): State<Arc<Gateway>>,
    axum::extract::Path(name): axum::extract::Path<String>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    // A function ARN (`arn:aws:lambda:region:account:function:name[:qualifier]`) or a name.
    let invoker = gw.invoker.clone();
    let name = match name.strip_prefix("arn:") {
        Some(arn) => arn.split(':').nth(5).unwrap_or_default().to_string(),
        None => name.split(':').next().unwrap_or_default().to_string(),
    };
    let lambda_error = |status: u16, kind: &str, message: String| {
        Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .header("x-amzn-errortype", kind)
            .body(Body::from(
                json!({ "Type": "User", "message": message }).to_string(),
            ))
            .unwrap_or_default()
    };
    if !invoker.faults().has_function(&name) {
        return lambda_error(
            404,
            "ResourceNotFoundException",
            format!("Function not found: {name}"),
        );
    }
    let payload: Value = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(_) => {
                return lambda_error(
                    400,
                    "InvalidRequestContentException",
                    "Could not parse request body into json".into(),
                )
            }
        }
    };
    let asynchronous = headers
        .get("x-amz-invocation-type")
        .is_some_and(|v| v.as_bytes() == b"Event");
    if asynchronous {
        tokio::spawn(async move {
            if let Err((_, _, detail)) = invoker.invoke(&name, &payload).await {
                tracing::warn!(function = %name, %detail, "asynchronous invocation failed");
            }
        });
        return Response::builder()
            .status(202)
            .body(Body::empty())
            .unwrap_or_default();
    }
    // The caller's trace (the SDK's `X-Amzn-Trace-Id`): the function's segment, as Lambda
    // writes it on AWS.
    let trace = headers
        .get("x-amzn-trace-id")
        .and_then(|v| v.to_str().ok())
        .and_then(crate::traces::parse_header);
    let started = crate::traces::now();
    let result = invoker.invoke(&name, &payload).await;
    if let Some((root, parent)) = trace {
        let id = crate::traces::segment_id();
        gw.traces
            .segment(&root, &id, parent.as_deref(), &name, started);
    }
    match result {
        Ok(answer) => Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .header("x-amz-executed-version", "$LATEST")
            .body(Body::from(answer.to_string()))
            .unwrap_or_default(),
        Err((429, _, detail)) => lambda_error(429, "TooManyRequestsException", detail),
        Err((status, _, detail)) => {
            let error_type = if status == 504 {
                "Sandbox.Timedout"
            } else {
                "FunctionError"
            };
            Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .header("x-amz-function-error", "Unhandled")
                .body(Body::from(
                    json!({ "errorType": error_type, "errorMessage": detail }).to_string(),
                ))
                .unwrap_or_default()
        }
    }
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
    let body = to_bytes(body, MAX_BODY).await;
    let source_ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(
            || "127.0.0.1".to_string(),
            |c| c.0.ip().to_canonical().to_string(),
        );
    // One trace per request: the gateway's segment, the function's (as Lambda writes it on
    // AWS) under it, and the function's own calls under that (`x-amzn-trace-id`, the header
    // API Gateway passes on).
    let span = crate::traces::Span::start();
    let function_segment = crate::traces::segment_id();
    let mut headers = parts.headers;
    if let Ok(v) = span
        .header(&function_segment)
        .parse::<axum::http::HeaderValue>()
    {
        // cargo-lambda replaces the first with a trace of its own (`http::request_trace`
        // in shared reads the second).
        headers.insert("x-amzn-trace-id", v.clone());
        headers.insert("x-gymit-trace-id", v);
    }
    let inc = Incoming {
        source_ip,
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        raw_query: parts.uri.query().unwrap_or_default().to_string(),
        headers,
        body: body.as_ref().cloned().unwrap_or_default(),
    };
    let res = match body {
        Ok(_) => {
            let traced = (&span, function_segment.as_str());
            route(&gw, &inc, &request_id, origin.as_deref(), traced).await
        }
        Err(_) => aws_error(AwsError::TooLarge, &request_id),
    };
    let res = with_ids(
        with_cors(res, gw.cors.as_ref(), origin.as_deref()),
        &request_id,
        &inc.headers,
    );
    gw.traces.started(&request_id, &span.trace_id);
    gw.traces.answered(crate::traces::Answered {
        request_id: request_id.clone(),
        method: inc.method.clone(),
        path: inc.path.clone(),
        status: res.status().as_u16(),
        ms: started.elapsed().as_secs_f64() * 1e3,
    });
    gw.traces
        .segment(&span.trace_id, &span.id, None, "API Gateway", span.started);
    tracing::info!(
        method = %inc.method,
        path = %inc.path,
        status = res.status().as_u16(),
        ms = format!("{:.1}", started.elapsed().as_secs_f64() * 1e3),
        %request_id,
        "http"
    );
    res
}

/// Routes one request; `(span, function segment)` is its trace.
async fn route(
    gw: &Gateway,
    inc: &Incoming,
    request_id: &str,
    origin: Option<&str>,
    (span, function_segment): (&crate::traces::Span, &str),
) -> Response {
    let is_preflight =
        inc.method == "OPTIONS" && inc.headers.contains_key("access-control-request-method");
    if let (true, Some(cors), Some(origin)) = (is_preflight, gw.cors.as_ref(), origin) {
        return preflight(cors, origin, request_id);
    }
    let (route, params) = match resolve(&gw.routes, &inc.method, &inc.path) {
        Resolution::Route(r, p) => (r, p),
        Resolution::NotFound => return aws_error(AwsError::NotFound, request_id),
    };
    // The strangler fig: what GymIT does not own yet is still the monolith's.
    if let (true, Some(legacy)) = (route.path == "$default", &gw.legacy) {
        return legacy.forward(inc, request_id).await;
    }
    let mut context = None;
    if route.authorized {
        if let Some(authorizer) = &gw.authorizer {
            match crate::authorizer::authorize(
                &gw.invoker,
                &gw.authorizer_cache,
                authorizer,
                inc,
                route,
                &params,
                request_id,
            )
            .await
            {
                Ok(c) => context = Some(c),
                Err(refusal) => return aws_error(refusal, request_id),
            }
        }
    }
    let event = http_event(inc, route, &params, request_id, context);
    let started = crate::traces::now();
    let invoked = gw.invoker.invoke(&route.binary, &event).await;
    gw.traces.segment(
        &span.trace_id,
        function_segment,
        Some(&span.id),
        &route.binary,
        started,
    );
    match invoked {
        Ok(v) => function_response(&v, request_id),
        Err((status, _, detail)) => {
            tracing::error!(function = %route.binary, %request_id, %detail, "integration failed");
            let kind = match status {
                429 => AwsError::TooManyRequests,
                504 => AwsError::Unavailable,
                _ => AwsError::Internal,
            };
            aws_error(kind, request_id)
        }
    }
}

/// Serves the gateway until the future is dropped.
pub async fn serve(
    gateway: Arc<Gateway>,
    listener: tokio::net::TcpListener,
) -> Result<(), crate::Error> {
    // The peer's address reaches each request (`ConnectInfo`): it is the event's `sourceIp`.
    axum::serve(
        listener,
        gateway
            .router()
            .into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await?;
    Ok(())
}
