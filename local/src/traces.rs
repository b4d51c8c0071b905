//! Traces, locally: `gymit-local` is the X-Ray daemon the functions send their segment
//! documents to (`AWS_XRAY_DAEMON_ADDRESS`, a UDP port of its own; in Lambda, the daemon
//! Lambda runs), and writes the segments that API Gateway and Lambda write on AWS: the
//! gateway's, and each invoked function's (`Span`). `GET /_local/traces/{request id}`
//! answers a request's trace, and `gymit-local trace <request id>` prints it as a tree:
//!
//! ```text
//! Request ID: 01a2…
//! ├─ API Gateway (2 ms)
//! ├─ tournaments-result-report (41 ms)
//! │  ├─ DynamoDB Query gymit-tournaments (6 ms)
//! │  └─ DynamoDB TransactWriteItems gymit-tournaments (12 ms)
//! ├─ tournaments-publish-events (8 ms)
//! │  └─ SNS PublishBatch tournament-events (3 ms)
//! └─ notifications-fanout (15 ms)
//!    └─ 12 WebSocket posts (9 ms)
//! Total: 96 ms (answered after 45 ms)
//! ```
//!
//! The last 2,000 traces are kept. This module imports none of the others.

use std::{
    collections::{HashMap, VecDeque},
    fmt::Write as _,
    sync::{Arc, Mutex, PoisonError},
    time::{SystemTime, UNIX_EPOCH},
};

use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use rand::Rng;
use serde_json::{json, Value};

const KEPT: usize = 2_000;

#[derive(Default)]
struct Inner {
    documents: HashMap<String, Vec<Value>>,
    order: VecDeque<String>,
    requests: HashMap<String, String>,
    answered: VecDeque<Answered>,
}

/// A request the gateway answered, for the ops page's slowest requests.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Answered {
    pub request_id: String,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub ms: f64,
}

/// The segments received so far, by trace, and which request started which trace.
#[derive(Default)]
pub struct Traces {
    inner: Mutex<Inner>,
}

/// Seconds since the epoch, as X-Ray documents time.
pub fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default()
}

/// A segment id: 64 random bits, hex.
pub fn segment_id() -> String {
    format!("{:016x}", rand::rng().random::<u64>())
}

/// A new X-Ray trace id (`1-<epoch seconds>-<96 random bits>`).
pub fn trace_id() -> String {
    let mut rng = rand::rng();
    format!(
        "1-{:08x}-{:08x}{:016x}",
        now() as u64,
        rng.random::<u32>(),
        rng.random::<u64>()
    )
}

/// The trace of one request through the gateway: its root, the gateway's segment, and when
/// it began.
#[derive(Debug, Clone)]
pub struct Span {
    pub trace_id: String,
    pub id: String,
    pub started: f64,
}

impl Span {
    pub fn start() -> Span {
        Span {
            trace_id: trace_id(),
            id: segment_id(),
            started: now(),
        }
    }

    /// The header a function invoked under `parent` gets (`X-Amzn-Trace-Id`).
    pub fn header(&self, parent: &str) -> String {
        format!("Root={};Parent={parent};Sampled=1", self.trace_id)
    }
}

/// Reads `Root` and `Parent` of an `X-Amzn-Trace-Id` value.
pub fn parse_header(value: &str) -> Option<(String, Option<String>)> {
    let mut root = None;
    let mut parent = None;
    for part in value.split(';') {
        match part.trim().split_once('=') {
            Some(("Root", v)) => root = Some(v.to_string()),
            Some(("Parent", v)) => parent = Some(v.to_string()),
            _ => {}
        }
    }
    Some((root?, parent))
}

impl Traces {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps one segment or subsegment document.
    pub fn record(&self, document: Value) {
        let Some(trace) = document["trace_id"].as_str().map(str::to_string) else {
            return;
        };
        let mut inner = self.lock();
        if !inner.documents.contains_key(&trace) {
            inner.order.push_back(trace.clone());
            if inner.order.len() > KEPT {
                if let Some(old) = inner.order.pop_front() {
                    inner.documents.remove(&old);
                    inner.requests.retain(|_, t| *t != old);
                }
            }
        }
        inner.documents.entry(trace).or_default().push(document);
    }

    /// Says which trace a request (by the gateway's `x-request-id`) started.
    pub fn started(&self, request_id: &str, trace_id: &str) {
        self.lock()
            .requests
            .insert(request_id.to_string(), trace_id.to_string());
    }

    /// Keeps what the gateway answered (the last `KEPT` requests).
    pub fn answered(&self, answered: Answered) {
        let mut inner = self.lock();
        if inner.answered.len() == KEPT {
            inner.answered.pop_front();
        }
        inner.answered.push_back(answered);
    }

    /// The `n` slowest requests kept, slowest first.
    pub fn slowest(&self, n: usize) -> Vec<Answered> {
        let mut all: Vec<Answered> = self.lock().answered.iter().cloned().collect();
        all.sort_by(|a, b| b.ms.total_cmp(&a.ms));
        all.truncate(n);
        all
    }

    /// A request's trace id and documents.
    pub fn of_request(&self, request_id: &str) -> Option<(String, Vec<Value>)> {
        let inner = self.lock();
        let trace = inner.requests.get(request_id)?.clone();
        let docs = inner.documents.get(&trace).cloned().unwrap_or_default();
        Some((trace, docs))
    }

    /// The segment a span of the gateway's, or of a function Lambda would have written.
    pub fn segment(
        &self,
        trace_id: &str,
        id: &str,
        parent: Option<&str>,
        name: &str,
        started: f64,
    ) {
        let mut doc = json!({
            "name": name,
            "id": id,
            "trace_id": trace_id,
            "start_time": started,
            "end_time": now(),
        });
        if let Some(parent) = parent {
            doc["parent_id"] = json!(parent);
        }
        self.record(doc);
    }

    /// Receives the functions' documents on a UDP port of this machine, as the X-Ray daemon
    /// does (`{"format":"json","version":1}\n{document}` per datagram); answers the address
    /// for `AWS_XRAY_DAEMON_ADDRESS`.
    pub async fn listen(self: Arc<Self>) -> std::io::Result<std::net::SocketAddr> {
        let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await?;
        let address = socket.local_addr()?;
        tokio::spawn(async move {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let Ok((n, _)) = socket.recv_from(&mut buf).await else {
                    continue;
                };
                let text = String::from_utf8_lossy(&buf[..n]);
                let body = text.split_once('\n').map_or(text.as_ref(), |(_, b)| b);
                if let Ok(doc) = serde_json::from_str::<Value>(body) {
                    self.record(doc);
                }
            }
        });
        Ok(address)
    }
}

/// One node of the tree: a segment or subsegment.
#[derive(Debug, Clone)]
struct Node {
    id: String,
    parent: Option<String>,
    label: String,
    start: f64,
    end: f64,
    is_segment: bool,
}

fn label(doc: &Value) -> String {
    let name = doc["name"].as_str().unwrap_or("?");
    if doc["namespace"] == "aws" {
        let operation = doc["aws"]["operation"].as_str().unwrap_or_default();
        if name == "WebSocket" {
            return "WebSocket post".into();
        }
        let resource = doc["aws"]["resource"].as_str().unwrap_or_default();
        return [name, operation, resource]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
    }
    name.to_string()
}

/// Every segment and subsegment of the documents, embedded subsegments included.
fn nodes(docs: &[Value]) -> Vec<Node> {
    fn walk(doc: &Value, parent: Option<String>, is_segment: bool, out: &mut Vec<Node>) {
        let id = doc["id"].as_str().unwrap_or_default().to_string();
        out.push(Node {
            id: id.clone(),
            parent: doc["parent_id"].as_str().map(str::to_string).or(parent),
            label: label(doc),
            start: doc["start_time"].as_f64().unwrap_or_default(),
            end: doc["end_time"].as_f64().unwrap_or_default(),
            is_segment,
        });
        for sub in doc["subsegments"].as_array().into_iter().flatten() {
            walk(sub, Some(id.clone()), false, out);
        }
    }
    let mut out = Vec::new();
    for doc in docs {
        let is_segment = doc["type"] != "subsegment";
        walk(doc, None, is_segment, &mut out);
    }
    out.sort_by(|a, b| a.start.total_cmp(&b.start));
    out
}

fn ms(seconds: f64) -> String {
    format!("{:.0} ms", (seconds * 1e3).max(0.0))
}

/// The tree of a request's trace, as `gymit-local trace` prints it: the segments (the
/// gateway, each function) in the order they began, each with its calls; runs of the same
/// call are one line ("12 WebSocket posts").
pub fn tree(request_id: &str, docs: &[Value]) -> String {
    let nodes = nodes(docs);
    let mut out = format!("Request ID: {request_id}\n");
    let segments: Vec<&Node> = nodes.iter().filter(|n| n.is_segment).collect();
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        let _ = writeln!(
            out,
            "{} {} ({})",
            if last { "└─" } else { "├─" },
            segment.label,
            ms(segment.end - segment.start)
        );
        children(
            &nodes,
            &segment.id,
            if last { "   " } else { "│  " },
            &mut out,
        );
    }
    let start = nodes.iter().map(|n| n.start).fold(f64::INFINITY, f64::min);
    let end = nodes.iter().map(|n| n.end).fold(0.0, f64::max);
    let answered = nodes
        .iter()
        .find(|n| n.is_segment && n.label == "API Gateway")
        .map(|n| n.end - n.start);
    if start.is_finite() {
        let _ = write!(out, "Total: {}", ms(end - start));
        if let Some(answered) = answered {
            let _ = write!(out, " (answered after {})", ms(answered));
        }
        out.push('\n');
    }
    out
}

fn children(nodes: &[Node], parent: &str, indent: &str, out: &mut String) {
    let kids: Vec<&Node> = nodes
        .iter()
        .filter(|n| !n.is_segment && n.parent.as_deref() == Some(parent))
        .collect();
    // Runs of one label are one line.
    let mut groups: Vec<Vec<&Node>> = Vec::new();
    for kid in kids {
        match groups.last_mut() {
            Some(group) if group[0].label == kid.label => group.push(kid),
            _ => groups.push(vec![kid]),
        }
    }
    for (i, group) in groups.iter().enumerate() {
        let last = i + 1 == groups.len();
        let start = group.iter().map(|n| n.start).fold(f64::INFINITY, f64::min);
        let end = group.iter().map(|n| n.end).fold(0.0, f64::max);
        let text = match group.len() {
            1 => group[0].label.clone(),
            n => format!("{n} {}s", group[0].label),
        };
        let _ = writeln!(
            out,
            "{indent}{} {text} ({})",
            if last { "└─" } else { "├─" },
            ms(end - start)
        );
        if group.len() == 1 {
            let deeper = format!("{indent}{}", if last { "   " } else { "│  " });
            children(nodes, &group[0].id, &deeper, out);
        }
    }
}

/// `GET /_local/traces/{request id}`: the trace's documents and its tree.
pub async fn serve(
    State(traces): State<Arc<Traces>>,
    Path(request_id): Path<String>,
) -> (StatusCode, Json<Value>) {
    match traces.of_request(&request_id) {
        Some((trace_id, docs)) => (
            StatusCode::OK,
            Json(json!({
                "request_id": request_id,
                "trace_id": trace_id,
                "tree": tree(&request_id, &docs),
                "documents": docs,
            })),
        ),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({ "message": format!("no trace of request {request_id}") })),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trace_prints_as_the_documents_tree() {
        let t = "1-5759e988-bd862e3fe1be46a994272793";
        let call = |id: &str, parent: &str, name: &str, op: &str, res: &str, s: f64, e: f64| {
            json!({"type": "subsegment", "trace_id": t, "id": id, "parent_id": parent,
                   "name": name, "namespace": "aws", "aws": {"operation": op, "resource": res},
                   "start_time": s, "end_time": e})
        };
        let docs = vec![
            json!({"trace_id": t, "id": "gw", "name": "API Gateway", "start_time": 100.000, "end_time": 100.045}),
            json!({"trace_id": t, "id": "fn", "parent_id": "gw", "name": "tournaments-result-report", "start_time": 100.002, "end_time": 100.043}),
            call(
                "c1",
                "fn",
                "DynamoDB",
                "Query",
                "gymit-tournaments",
                100.004,
                100.010,
            ),
            call(
                "c2",
                "fn",
                "DynamoDB",
                "TransactWriteItems",
                "gymit-tournaments",
                100.020,
                100.032,
            ),
            json!({"trace_id": t, "id": "pub", "parent_id": "fn", "name": "tournaments-publish-events",
                   "start_time": 100.050, "end_time": 100.058,
                   "subsegments": [{"id": "c3", "name": "SNS", "namespace": "aws",
                     "aws": {"operation": "PublishBatch", "resource": "tournament-events"},
                     "start_time": 100.052, "end_time": 100.055}]}),
            json!({"trace_id": t, "id": "fan", "parent_id": "pub", "name": "notifications-fanout",
                   "start_time": 100.081, "end_time": 100.096,
                   "subsegments": (0..12).map(|i| json!({"id": format!("p{i}"), "name": "WebSocket",
                     "namespace": "aws", "aws": {"operation": "PostToConnection"},
                     "start_time": 100.085, "end_time": 100.094})).collect::<Vec<_>>()}),
        ];
        let traces = Traces::default();
        for d in docs {
            traces.record(d);
        }
        traces.started("req-1", t);
        let (trace, docs) = traces.of_request("req-1").expect("the request's trace");
        assert_eq!(trace, t);
        let text = tree("req-1", &docs);
        assert_eq!(
            text,
            "Request ID: req-1\n\
             ├─ API Gateway (45 ms)\n\
             ├─ tournaments-result-report (41 ms)\n\
             │  ├─ DynamoDB Query gymit-tournaments (6 ms)\n\
             │  └─ DynamoDB TransactWriteItems gymit-tournaments (12 ms)\n\
             ├─ tournaments-publish-events (8 ms)\n\
             │  └─ SNS PublishBatch tournament-events (3 ms)\n\
             └─ notifications-fanout (15 ms)\n   \
                └─ 12 WebSocket posts (9 ms)\n\
             Total: 96 ms (answered after 45 ms)\n",
            "{text}"
        );
        assert!(traces.of_request("req-2").is_none());
    }

    #[test]
    fn headers_give_root_and_parent() {
        let span = Span::start();
        let (root, parent) = parse_header(&span.header("abc")).expect("a header");
        assert_eq!(root, span.trace_id);
        assert_eq!(parent.as_deref(), Some("abc"));
    }
}
