//! `gymit-local gateway`: API Gateway for the template, on one port.
//!
//! The HTTP API (payload format 2.0): requests are matched to the template's `HttpApi`
//! routes (`routes`), refused or let through by the Lambda authorizer (`authorizer`),
//! turned into the function's event (`events`), invoked (`invoke`), and its answer mapped
//! back with CORS (`responses`). By the fidelity rule (DESIGN.md), the gateway itself
//! answers only what API Gateway would answer by itself, with AWS's status and body
//! (`AwsError`); everything else, 404/405 problem+json included, comes from a function
//! (the `$default` route).
//! The same port serves the WebSocket API (`websocket`), SNS's HTTP deliveries (`sns`),
//! the web app (`web`), `/_local/status` (the stream mappings, `streams`) and
//! `/_local/faults` (fault injection, `faults`).

use std::{sync::Arc, time::Instant};

use axum::{
    body::{to_bytes, Body},
    extract::State,
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
        }
    }

    pub fn router(self: Arc<Self>) -> Router {
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
/// deliveries, the fan-out function, a developer's curl): a cross-site request
/// (`crate::origin`) is refused, so no page a developer visits can invoke functions
/// through them.
async fn local_only(req: Request<Body>, next: axum::middleware::Next) -> Response {
    let path = req.uri().path();
    if !(path.starts_with("/_local/") || path.contains("/@connections/")) {
        return next.run(req).await;
    }
    if crate::origin::refuses_cross_site(req.headers()) {
        let path = path.to_string();
        tracing::warn!(%path, "refused a cross-site request to a local-only endpoint");
        return aws_error(AwsError::Forbidden, &request_id());
    }
    next.run(req).await
}

/// `GET /_local/status`: each stream mapping's position, lag and last error, and the
/// pending injected faults.
async fn status(State(gw): State<Arc<Gateway>>) -> axum::Json<Value> {
    axum::Json(json!({
        "stream_mappings": gw.mappings.snapshot(),
        "faults": gw.invoker.faults().snapshot(),
    }))
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
    let inc = Incoming {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        raw_query: parts.uri.query().unwrap_or_default().to_string(),
        headers: parts.headers,
        body: body.as_ref().cloned().unwrap_or_default(),
    };
    let res = match body {
        Ok(_) => route(&gw, &inc, &request_id, origin.as_deref()).await,
        Err(_) => aws_error(AwsError::TooLarge, &request_id),
    };
    let res = with_ids(
        with_cors(res, gw.cors.as_ref(), origin.as_deref()),
        &request_id,
        &inc.headers,
    );
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

async fn route(gw: &Gateway, inc: &Incoming, request_id: &str, origin: Option<&str>) -> Response {
    let is_preflight =
        inc.method == "OPTIONS" && inc.headers.contains_key("access-control-request-method");
    if let (true, Some(cors), Some(origin)) = (is_preflight, gw.cors.as_ref(), origin) {
        return preflight(cors, origin, request_id);
    }
    let (route, params) = match resolve(&gw.routes, &inc.method, &inc.path) {
        Resolution::Route(r, p) => (r, p),
        Resolution::NotFound => return aws_error(AwsError::NotFound, request_id),
    };
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
    match gw.invoker.invoke(&route.binary, &event).await {
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
    // The TCP peer is the WebSocket events' `sourceIp` (anonymous connections are capped
    // per address).
    axum::serve(
        listener,
        gateway
            .router()
            .into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .await?;
    Ok(())
}
