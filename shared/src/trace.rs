//! Traces as X-Ray segment documents, sent over UDP to the X-Ray daemon at
//! `AWS_XRAY_DAEMON_ADDRESS`: in Lambda (with `Tracing: Active`) the daemon Lambda runs
//! beside every function; locally `gymit-local`, which listens on that address. The same
//! code runs in both places; only the daemon differs. Without the variable nothing is sent.
//!
//! One trace per request, carried as an `X-Amzn-Trace-Id` header value (`Root=…;Parent=…;
//! Sampled=1`): an HTTP function takes it from its Lambda context (on AWS, whose `Parent` is
//! the function's segment that Lambda writes) or from the request's `x-amzn-trace-id` header
//! (locally, where the gateway writes the gateway's and the function's segments, as API
//! Gateway and Lambda do on AWS), and every AWS call it makes is a subsegment
//! (`Calls`, an SDK interceptor: `DynamoDB Query gymit-tournaments`, `SNS PublishBatch
//! tournament-events`, `Lambda Invoke users-create`, `WebSocket post`). The header rides on
//! in the outbox event (`Event::trace`), so the publisher and the fan-out, which start from
//! a stream record or an SNS message, `link` their invocation to the request's trace: each
//! writes a segment of its own in that trace, with its calls inside.
//!
//! Why X-Ray documents and not OpenTelemetry: on Lambda the OpenTelemetry route needs the
//! collector extension (ADOT layer), which adds a process and hundreds of milliseconds to a
//! cold start, and the SDK's spans would still need mapping to X-Ray's AWS-call shape; a
//! UDP datagram to the daemon Lambda already runs costs microseconds and no dependency.
//! docs/observability.md has the cost per million requests.
//!
//! Not for metrics (`metrics`) or logs (`telemetry`).

use std::{
    net::UdpSocket,
    sync::{Arc, Mutex, OnceLock, PoisonError},
    time::{SystemTime, UNIX_EPOCH},
};

use aws_smithy_runtime_api::{
    box_error::BoxError,
    client::{
        interceptors::{
            context::{
                BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextMut,
                FinalizerInterceptorContextRef,
            },
            Intercept,
        },
        orchestrator::Metadata,
        runtime_components::RuntimeComponents,
    },
};
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use rand::Rng;
use serde_json::{json, Value};

/// A trace context, as the `X-Amzn-Trace-Id` header carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceHeader {
    pub root: String,
    pub parent: Option<String>,
    pub sampled: bool,
}

impl TraceHeader {
    /// `Root=1-…;Parent=…;Sampled=1` (any order, other keys ignored); `None` without a root.
    pub fn parse(text: &str) -> Option<TraceHeader> {
        let mut root = None;
        let mut parent = None;
        let mut sampled = true;
        for part in text.split(';') {
            match part.trim().split_once('=') {
                Some(("Root", v)) if is_trace_id(v) => root = Some(v.to_string()),
                Some(("Parent", v)) if is_segment_id(v) => parent = Some(v.to_string()),
                Some(("Sampled", v)) => sampled = v != "0",
                _ => {}
            }
        }
        Some(TraceHeader {
            root: root?,
            parent,
            sampled,
        })
    }

    /// A new trace, sampled, with no parent yet.
    pub fn new_root() -> TraceHeader {
        TraceHeader {
            root: new_trace_id(),
            parent: None,
            sampled: true,
        }
    }

    /// The same trace under another parent.
    pub fn child_of(&self, parent: &str) -> TraceHeader {
        TraceHeader {
            parent: Some(parent.to_string()),
            ..self.clone()
        }
    }
}

impl std::fmt::Display for TraceHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Root={}", self.root)?;
        if let Some(p) = &self.parent {
            write!(f, ";Parent={p}")?;
        }
        write!(f, ";Sampled={}", u8::from(self.sampled))
    }
}

fn is_trace_id(v: &str) -> bool {
    let parts: Vec<&str> = v.split('-').collect();
    parts.len() == 3
        && parts[0] == "1"
        && parts[1].len() == 8
        && parts[2].len() == 24
        && parts[1..]
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn is_segment_id(v: &str) -> bool {
    v.len() == 16 && v.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `1-<epoch seconds, hex>-<96 random bits, hex>`.
pub fn new_trace_id() -> String {
    let secs = now() as u64;
    let mut rng = rand::rng();
    format!(
        "1-{:08x}-{:08x}{:016x}",
        secs,
        rng.random::<u32>(),
        rng.random::<u64>()
    )
}

/// A segment or subsegment id: 64 random bits, hex.
pub fn new_segment_id() -> String {
    format!("{:016x}", rand::rng().random::<u64>())
}

/// Seconds since the epoch, as X-Ray documents time.
pub fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default()
}

/// What one invocation records: the trace it answers for (if any), the traces it was
/// linked to, and its AWS calls.
#[derive(Debug)]
pub struct Invocation {
    function: String,
    started: f64,
    /// The trace of an HTTP request: subsegments go under its `parent`.
    request: Option<TraceHeader>,
    /// Traces this invocation joined (`link`): (the trace, this invocation's segment id).
    links: Mutex<Vec<(TraceHeader, String)>>,
    calls: Mutex<Vec<Value>>,
}

tokio::task_local! {
    static CURRENT: Arc<Invocation>;
}

impl Invocation {
    pub fn new(function: &str, request: Option<TraceHeader>) -> Arc<Invocation> {
        Arc::new(Invocation {
            function: function.to_string(),
            started: now(),
            request: request.filter(|h| h.sampled && h.parent.is_some()),
            links: Mutex::default(),
            calls: Mutex::default(),
        })
    }

    /// Runs `fut` as this invocation (its AWS calls are recorded), then sends its documents.
    pub async fn run<F: std::future::Future>(self: Arc<Self>, fut: F) -> F::Output {
        let output = CURRENT.scope(self.clone(), fut).await;
        self.finish();
        output
    }

    fn finish(&self) {
        let Some(daemon) = daemon() else {
            return;
        };
        let ended = now();
        let calls = std::mem::take(&mut *self.calls.lock().unwrap_or_else(PoisonError::into_inner));
        let mut documents = Vec::new();
        if let Some(request) = &self.request {
            let parent = request.parent.clone().unwrap_or_default();
            for call in &calls {
                let mut call = call.clone();
                call["type"] = json!("subsegment");
                call["trace_id"] = json!(request.root);
                call["parent_id"] = json!(parent);
                documents.push(call);
            }
        }
        let links = self.links.lock().unwrap_or_else(PoisonError::into_inner);
        for (trace, id) in links.iter() {
            let mut segment = json!({
                "name": self.function,
                "id": id,
                "trace_id": trace.root,
                "start_time": self.started,
                "end_time": ended,
                "origin": "AWS::Lambda::Function",
                "subsegments": calls,
            });
            if let Some(parent) = &trace.parent {
                segment["parent_id"] = json!(parent);
            }
            documents.push(segment);
        }
        for doc in documents {
            daemon.send(&doc);
        }
    }
}

/// The current request's trace, with its parent: what an outbox event carries.
pub fn current() -> Option<TraceHeader> {
    CURRENT
        .try_with(|inv| {
            inv.request.clone().or_else(|| {
                let links = inv.links.lock().unwrap_or_else(PoisonError::into_inner);
                links.first().map(|(t, id)| t.child_of(id))
            })
        })
        .ok()
        .flatten()
}

/// Joins this invocation to the trace an event carried: it writes a segment of its own in
/// that trace. Returns the header to pass on (this invocation as the parent). Linking the
/// same trace twice joins it once.
pub fn link(header: &str) -> Option<TraceHeader> {
    let trace = TraceHeader::parse(header).filter(|h| h.sampled)?;
    CURRENT
        .try_with(|inv| {
            let mut links = inv.links.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some((_, id)) = links.iter().find(|(t, _)| t.root == trace.root) {
                return trace.child_of(id);
            }
            let id = new_segment_id();
            links.push((trace.clone(), id.clone()));
            trace.child_of(&id)
        })
        .ok()
}

fn record_call(call: Value) {
    let _ = CURRENT.try_with(|inv| {
        inv.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(call)
    });
}

fn is_traced() -> bool {
    CURRENT
        .try_with(|inv| {
            inv.request.is_some()
                || !inv
                    .links
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .is_empty()
        })
        .unwrap_or(false)
}

/// The X-Ray daemon (`AWS_XRAY_DAEMON_ADDRESS`, `host:port`; Lambda may list a TCP and a UDP
/// address as `tcp:… udp:…`).
struct Daemon {
    socket: UdpSocket,
    address: String,
}

impl Daemon {
    fn send(&self, doc: &Value) {
        let datagram = format!("{{\"format\":\"json\",\"version\":1}}\n{doc}");
        if let Err(e) = self.socket.send_to(datagram.as_bytes(), &self.address) {
            tracing::debug!(error = %e, "trace segment not sent");
        }
    }
}

fn daemon() -> Option<&'static Daemon> {
    static DAEMON: OnceLock<Option<Daemon>> = OnceLock::new();
    DAEMON
        .get_or_init(|| {
            let raw = std::env::var("AWS_XRAY_DAEMON_ADDRESS").ok()?;
            let address = raw
                .split_whitespace()
                .find_map(|a| a.strip_prefix("udp:"))
                .unwrap_or_else(|| raw.split_whitespace().next().unwrap_or_default())
                .to_string();
            let socket = UdpSocket::bind("0.0.0.0:0").ok()?;
            socket.set_nonblocking(true).ok()?;
            Some(Daemon { socket, address })
        })
        .as_ref()
}

/// The SDK interceptor that makes every AWS call of a traced invocation a subsegment, and
/// passes the trace on to a Lambda it invokes. Added to every client (`aws`).
#[derive(Debug, Default)]
pub struct Calls;

#[derive(Debug, Clone)]
struct Call {
    id: String,
    started: f64,
    resource: Option<String>,
}

impl Storable for Call {
    type Storer = StoreReplace<Self>;
}

impl Intercept for Calls {
    fn name(&self) -> &'static str {
        "GymitTraceCalls"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if is_traced() {
            cfg.interceptor_state().store_put(Call {
                id: new_segment_id(),
                started: now(),
                resource: None,
            });
        }
        Ok(())
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(mut call) = cfg.load::<Call>().cloned() else {
            return Ok(());
        };
        let request = context.request_mut();
        call.resource = resource_of(request.uri(), request.body().bytes());
        // An invoked function continues this trace, under this call.
        if let Some(trace) = current() {
            let header = trace.child_of(&call.id).to_string();
            let _ = request.headers_mut().insert("x-amzn-trace-id", header);
        }
        cfg.interceptor_state().store_put(call);
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(call) = cfg.load::<Call>() else {
            return Ok(());
        };
        let (service, operation) = cfg
            .load::<Metadata>()
            .map(|m| (m.service().to_string(), m.name().to_string()))
            .unwrap_or_default();
        let status = context.response().map(|r| r.status().as_u16());
        let failed = !matches!(context.output_or_error(), Some(Ok(_)));
        let name = match service.as_str() {
            "ApiGatewayManagementApi" => "WebSocket".to_string(),
            s => s.to_string(),
        };
        let mut doc = json!({
            "name": name,
            "id": call.id,
            "start_time": call.started,
            "end_time": now(),
            "namespace": "aws",
            "aws": { "operation": operation },
            "error": failed && status.is_some_and(|s| s < 500),
            "fault": failed && status.is_none_or(|s| s >= 500),
        });
        if let Some(resource) = &call.resource {
            doc["aws"]["resource"] = json!(resource);
        }
        if let Some(status) = status {
            doc["http"] = json!({ "response": { "status": status } });
        }
        record_call(doc);
        Ok(())
    }
}

/// The table, topic or function a call is about, read from the request itself (so one
/// interceptor serves every client): DynamoDB's `TableName` (the first, for a transaction),
/// SNS's `TopicArn`, the function of a Lambda invoke.
fn resource_of(uri: &str, body: Option<&[u8]>) -> Option<String> {
    if let Some(rest) = uri.split("/functions/").nth(1) {
        return rest
            .split('/')
            .next()
            .map(|f| f.rsplit(':').next().unwrap_or(f).to_string());
    }
    let body = body?;
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        return first_table(&value);
    }
    let text = std::str::from_utf8(body).ok()?;
    text.split('&')
        .find_map(|kv| kv.strip_prefix("TopicArn="))
        .map(|arn| arn.replace("%3A", ":"))
        .map(|arn| arn.rsplit(':').next().unwrap_or_default().to_string())
}

fn first_table(value: &Value) -> Option<String> {
    match value {
        Value::Object(map) => map
            .get("TableName")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| map.values().find_map(first_table)),
        Value::Array(items) => items.iter().find_map(first_table),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_parse_and_print_as_x_ray_writes_them() {
        let h = TraceHeader::parse("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;Lineage=a:1").unwrap();
        assert_eq!(h.root, "1-5759e988-bd862e3fe1be46a994272793");
        assert_eq!(h.parent.as_deref(), Some("53995c3f42cd8ad8"));
        assert!(h.sampled);
        assert_eq!(
            h.to_string(),
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
        );
        assert_eq!(TraceHeader::parse("Parent=53995c3f42cd8ad8"), None);
        assert_eq!(
            TraceHeader::parse("Root=1-zz-x;Sampled=1"),
            None,
            "not an X-Ray id"
        );
        let fresh = TraceHeader::new_root();
        assert_eq!(TraceHeader::parse(&fresh.to_string()), Some(fresh));
        assert!(is_segment_id(&new_segment_id()));
    }

    #[test]
    fn the_resource_of_a_call_comes_from_its_request() {
        let query = br#"{"TableName":"gymit-tournaments","KeyConditionExpression":"pk = :p"}"#;
        assert_eq!(
            resource_of("http://db/", Some(query)).as_deref(),
            Some("gymit-tournaments")
        );
        let tx = br#"{"TransactItems":[{"Put":{"TableName":"gymit-auth","Item":{}}}]}"#;
        assert_eq!(
            resource_of("http://db/", Some(tx)).as_deref(),
            Some("gymit-auth")
        );
        let sns = b"Action=PublishBatch&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A123%3Atournament-events&Version=2010-03-31";
        assert_eq!(
            resource_of("http://sns/", Some(sns)).as_deref(),
            Some("tournament-events")
        );
        assert_eq!(
            resource_of(
                "http://l/2015-03-31/functions/users-create/invocations",
                None
            )
            .as_deref(),
            Some("users-create")
        );
    }

    /// The budget is 1 ms of instrumentation per request: a request's metric line and its
    /// trace (three AWS calls, sent to a daemon) cost far less, even unoptimised.
    #[tokio::test]
    async fn a_requests_metric_line_and_trace_cost_well_under_a_millisecond() {
        let daemon_socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let daemon = Daemon {
            socket: UdpSocket::bind("127.0.0.1:0").unwrap(),
            address: daemon_socket.local_addr().unwrap().to_string(),
        };
        let header = TraceHeader::new_root().child_of(&new_segment_id());
        let rounds = 2_000;
        let started = std::time::Instant::now();
        for _ in 0..rounds {
            let line = crate::metrics::line(
                "tournaments-get",
                &[
                    ("route", "GET /api/tournaments/{id}"),
                    ("status_class", "2xx"),
                ],
                &[
                    ("service_requests_total", 1.0, crate::metrics::Unit::Count),
                    (
                        "service_request_duration_seconds",
                        0.004,
                        crate::metrics::Unit::Seconds,
                    ),
                ],
            );
            std::hint::black_box(line);
            let inv = Invocation::new("tournaments-get", Some(header.clone()));
            inv.clone()
                .run(async {
                    for _ in 0..3 {
                        record_call(json!({"name": "DynamoDB", "id": new_segment_id(),
                            "start_time": now(), "end_time": now(), "namespace": "aws",
                            "aws": {"operation": "Query", "resource": "gymit-tournaments"}}));
                    }
                })
                .await;
            let calls = std::mem::take(&mut *inv.calls.lock().unwrap());
            for call in calls {
                daemon.send(&call);
            }
        }
        let per_request = started.elapsed() / rounds;
        println!("instrumentation per request: {per_request:?}");
        assert!(
            per_request < std::time::Duration::from_micros(500),
            "{per_request:?}"
        );
    }

    #[tokio::test]
    async fn an_event_function_joins_the_trace_its_event_carried_once() {
        let inv = Invocation::new("tournaments-publish-events", None);
        let header = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
        let (first, second, current) = inv
            .clone()
            .run(async {
                let a = link(header).unwrap();
                let b = link(header).unwrap();
                (a, b, super::current())
            })
            .await;
        assert_eq!(first, second, "one segment per trace");
        assert_ne!(first.parent.as_deref(), Some("53995c3f42cd8ad8"));
        assert_eq!(current, Some(first));
        assert_eq!(
            link(header),
            None,
            "outside an invocation nothing is linked"
        );
    }
}
