//! `GET /_local/metrics`: the functions' metrics as Prometheus text (a Prometheus or Grafana
//! on this machine can scrape it), built from the very CloudWatch Embedded Metric Format
//! lines the functions print (`gymit_shared::metrics`): the supervisor hands every line of
//! their output to `Registry::ingest`, which keeps the EMF lines and lets the rest pass.
//! Nothing in the functions knows it runs locally.
//!
//! Types follow the EMF unit and the name, as `gymit_shared::metrics` documents: `Count`
//! named `…_total` → counter; other `Count` → gauge that adds up (+1/−1); `Seconds` →
//! histogram (buckets below); `None` → gauge, last value. Labels are the EMF dimensions
//! (the widest dimension set of the line). Counts start at the stack's start, as a
//! process's counters do.
//!
//! It also keeps the last few thousand requests (`recent`), for the ops page's per-function
//! charts. Only `gymit-local dev` and `test-env` see the functions' output: the bare
//! `gateway` command answers an empty page.
//!
//! This module imports none of the others.

use std::{
    collections::{BTreeMap, VecDeque},
    fmt::Write as _,
    sync::{Arc, Mutex, PoisonError},
};

use axum::{extract::State, http::header, response::IntoResponse};
use serde::Serialize;
use serde_json::Value;

/// Histogram buckets for durations, in seconds (Prometheus' defaults).
pub const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Requests kept for the ops page.
const RECENT: usize = 5_000;

type Labels = Vec<(String, String)>;

#[derive(Debug, Clone)]
enum Sample {
    Counter(f64),
    Gauge(f64),
    Histogram {
        buckets: [u64; BUCKETS.len()],
        sum: f64,
        count: u64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Counter,
    /// A gauge whose lines are changes (+1/−1).
    UpDown,
    /// A gauge whose lines are its value.
    Gauge,
    Histogram,
}

impl Kind {
    fn of(name: &str, unit: &str) -> Kind {
        match unit {
            "Seconds" => Kind::Histogram,
            "Count" if name.ends_with("_total") => Kind::Counter,
            "Count" => Kind::UpDown,
            _ => Kind::Gauge,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::UpDown | Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// One answered request, as the ops page charts it.
#[derive(Debug, Clone, Serialize)]
pub struct Request {
    /// Milliseconds since the Unix epoch (the EMF timestamp).
    pub at: i64,
    pub function: String,
    pub route: String,
    pub status_class: String,
    pub seconds: f64,
}

#[derive(Default)]
struct Inner {
    families: BTreeMap<String, (Kind, BTreeMap<Labels, Sample>)>,
    recent: VecDeque<Request>,
}

/// The metrics read so far.
#[derive(Default)]
pub struct Registry {
    inner: Mutex<Inner>,
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reads one line of a function's output: `true` if it was an EMF line (taken), `false`
    /// if it is something else (a log line, to pass on).
    pub fn ingest(&self, line: &str) -> bool {
        let line = line.trim();
        if !line.starts_with('{') || !line.contains("\"_aws\"") {
            return false;
        }
        let Ok(doc) = serde_json::from_str::<Value>(line) else {
            return false;
        };
        let Some(directives) = doc
            .get("_aws")
            .and_then(|a| a.get("CloudWatchMetrics"))
            .and_then(Value::as_array)
        else {
            return false;
        };
        let mut inner = self.lock();
        for directive in directives {
            let labels = labels_of(&doc, directive);
            let metrics = directive.get("Metrics").and_then(Value::as_array);
            for metric in metrics.into_iter().flatten() {
                let Some(name) = metric.get("Name").and_then(Value::as_str) else {
                    continue;
                };
                let unit = metric.get("Unit").and_then(Value::as_str).unwrap_or("None");
                let values: Vec<f64> = match doc.get(name) {
                    Some(Value::Array(a)) => a.iter().filter_map(Value::as_f64).collect(),
                    Some(v) => v.as_f64().into_iter().collect(),
                    None => Vec::new(),
                };
                let kind = Kind::of(name, unit);
                let family = inner
                    .families
                    .entry(sanitize(name))
                    .or_insert_with(|| (kind, BTreeMap::new()));
                if family.0 != kind {
                    continue;
                }
                for value in values {
                    observe(family.1.entry(labels.clone()), kind, value);
                }
            }
        }
        if let Some(seconds) = doc
            .get("service_request_duration_seconds")
            .and_then(Value::as_f64)
        {
            let text = |k: &str| doc.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            if inner.recent.len() == RECENT {
                inner.recent.pop_front();
            }
            inner.recent.push_back(Request {
                at: doc["_aws"]["Timestamp"].as_i64().unwrap_or_default(),
                function: text("function"),
                route: text("route"),
                status_class: text("status_class"),
                seconds,
            });
        }
        true
    }

    /// The requests kept, oldest first.
    pub fn recent(&self) -> Vec<Request> {
        self.lock().recent.iter().cloned().collect()
    }

    /// Everything in the Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let inner = self.lock();
        let mut out = String::new();
        for (name, (kind, series)) in &inner.families {
            let _ = writeln!(out, "# HELP {name} {}", help(name));
            let _ = writeln!(out, "# TYPE {name} {}", kind.as_str());
            for (labels, sample) in series {
                match sample {
                    Sample::Counter(v) | Sample::Gauge(v) => {
                        let _ = writeln!(out, "{name}{} {}", render_labels(labels, None), num(*v));
                    }
                    Sample::Histogram {
                        buckets,
                        sum,
                        count,
                    } => {
                        for (le, n) in BUCKETS.iter().zip(buckets) {
                            let le = num(*le);
                            let _ = writeln!(
                                out,
                                "{name}_bucket{} {n}",
                                render_labels(labels, Some(&le))
                            );
                        }
                        let all = render_labels(labels, Some("+Inf"));
                        let plain = render_labels(labels, None);
                        let _ = writeln!(out, "{name}_bucket{all} {count}");
                        let _ = writeln!(out, "{name}_sum{plain} {}", num(*sum));
                        let _ = writeln!(out, "{name}_count{plain} {count}");
                    }
                }
            }
        }
        out
    }
}

fn observe(entry: std::collections::btree_map::Entry<'_, Labels, Sample>, kind: Kind, value: f64) {
    let sample = entry.or_insert_with(|| match kind {
        Kind::Counter => Sample::Counter(0.0),
        Kind::UpDown | Kind::Gauge => Sample::Gauge(0.0),
        Kind::Histogram => Sample::Histogram {
            buckets: [0; BUCKETS.len()],
            sum: 0.0,
            count: 0,
        },
    });
    match sample {
        Sample::Counter(v) => *v += value.max(0.0),
        Sample::Gauge(v) if kind == Kind::UpDown => *v += value,
        Sample::Gauge(v) => *v = value,
        Sample::Histogram {
            buckets,
            sum,
            count,
        } => {
            for (le, n) in BUCKETS.iter().zip(buckets.iter_mut()) {
                if value <= *le {
                    *n += 1;
                }
            }
            *sum += value;
            *count += 1;
        }
    }
}

/// The labels of a line for one directive: its widest dimension set, in order.
fn labels_of(doc: &Value, directive: &Value) -> Labels {
    let widest = directive
        .get("Dimensions")
        .and_then(Value::as_array)
        .and_then(|sets| {
            sets.iter()
                .filter_map(Value::as_array)
                .max_by_key(|set| set.len())
        });
    widest
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|key| {
            let value = match doc.get(key) {
                Some(Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
                None => String::new(),
            };
            (sanitize(key), value)
        })
        .collect()
}

/// A Prometheus metric or label name: `[a-zA-Z_][a-zA-Z0-9_]*`.
fn sanitize(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    s
}

fn render_labels(labels: &Labels, le: Option<&str>) -> String {
    let mut parts: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
        .collect();
    if let Some(le) = le {
        parts.push(format!("le=\"{le}\""));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", parts.join(","))
    }
}

fn escape(value: &str) -> String {
    value
        .replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
}

fn num(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else if v.is_nan() {
        "NaN".into()
    } else if v > 0.0 {
        "+Inf".into()
    } else {
        "-Inf".into()
    }
}

fn help(name: &str) -> &'static str {
    match name {
        "service_requests_total" => {
            "Requests answered, by service, function, route and status class."
        }
        "service_errors_total" => "Requests answered with a 5xx (or failed invocations).",
        "service_request_duration_seconds" => {
            "Time from a request's arrival in the function to its answer."
        }
        "events_published_total" => "Outbox events published to SNS by the services' publishers.",
        "event_delivery_seconds" => "Time from an event's commit to its last WebSocket post.",
        "fanout_posts_total" => "WebSocket posts by the fan-out, by outcome.",
        "websocket_connections" => {
            "Open WebSocket connections (connects minus disconnects since start)."
        }
        "tournaments_started_total" => "Tournaments started, by format.",
        "tournament_joins_total" => "Joins, by outcome (joined, or the refusal's code).",
        "circuit_breaker_state" => {
            "A caller's breaker on a dependency: 0 closed, 1 open, 2 half-open."
        }
        "circuit_breaker_rejections_total" => "Calls refused by an open breaker, without calling.",
        _ => "A GymIT metric (EMF).",
    }
}

/// `GET /_local/metrics`.
pub async fn serve(State(registry): State<Arc<Registry>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        registry.render(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request_line(function: &str, status_class: &str, seconds: f64) -> String {
        serde_json::json!({
            "_aws": {"Timestamp": 1_765_000_000_000_i64, "CloudWatchMetrics": [{
                "Namespace": "GymIT",
                "Dimensions": [["service", "function", "route", "status_class"], ["service"]],
                "Metrics": [
                    {"Name": "service_requests_total", "Unit": "Count"},
                    {"Name": "service_request_duration_seconds", "Unit": "Seconds"}
                ]}]},
            "service": "auth", "function": function, "route": "POST /api/auth/login",
            "status_class": status_class,
            "service_requests_total": 1, "service_request_duration_seconds": seconds
        })
        .to_string()
    }

    #[test]
    fn emf_lines_become_counters_and_histograms_and_log_lines_pass() {
        let r = Registry::default();
        assert!(r.ingest(&request_line("auth-login", "2xx", 0.003)));
        assert!(r.ingest(&request_line("auth-login", "2xx", 0.2)));
        assert!(r.ingest(&request_line("auth-login", "4xx", 0.02)));
        assert!(!r.ingest("INFO request: answered status=200"));
        assert!(!r.ingest(r#"{"level":"INFO","message":"answered"}"#));
        let text = r.render();
        assert!(
            text.contains("# TYPE service_requests_total counter"),
            "{text}"
        );
        assert!(text.contains(r#"service_requests_total{service="auth",function="auth-login",route="POST /api/auth/login",status_class="2xx"} 2"#), "{text}");
        assert!(text.contains("# TYPE service_request_duration_seconds histogram"));
        assert!(text.contains(r#"service_request_duration_seconds_bucket{service="auth",function="auth-login",route="POST /api/auth/login",status_class="2xx",le="0.005"} 1"#), "{text}");
        assert!(text.contains(r#"service_request_duration_seconds_bucket{service="auth",function="auth-login",route="POST /api/auth/login",status_class="2xx",le="+Inf"} 2"#));
        assert!(text.contains(r#"service_request_duration_seconds_count{service="auth",function="auth-login",route="POST /api/auth/login",status_class="2xx"} 2"#));
        assert_eq!(r.recent().len(), 3);
    }

    #[test]
    fn up_down_counts_add_and_label_values_are_escaped() {
        let r = Registry::default();
        let line = |v: i32, name: &str| {
            serde_json::json!({
                "_aws": {"Timestamp": 1, "CloudWatchMetrics": [{"Namespace": "GymIT",
                    "Dimensions": [["service", "function", "note"]],
                    "Metrics": [{"Name": "websocket_connections", "Unit": "Count"}]}]},
                "service": "notifications", "function": name, "note": "a \"b\"\n",
                "websocket_connections": v
            })
            .to_string()
        };
        for v in [1, 1, 1, -1] {
            r.ingest(&line(v, "notifications-connect"));
        }
        let text = r.render();
        assert!(text.contains("# TYPE websocket_connections gauge"));
        assert!(
            text.contains(r#"websocket_connections{service="notifications",function="notifications-connect",note="a \"b\"\n"} 2"#),
            "{text}"
        );
        let state = |v: u8| {
            serde_json::json!({
                "_aws": {"Timestamp": 1, "CloudWatchMetrics": [{"Namespace": "GymIT",
                    "Dimensions": [["service", "function", "dependency"]],
                    "Metrics": [{"Name": "circuit_breaker_state", "Unit": "None"}]}]},
                "service": "auth", "function": "auth-register", "dependency": "users-create",
                "circuit_breaker_state": v
            })
            .to_string()
        };
        r.ingest(&state(1));
        r.ingest(&state(2));
        assert!(r.render().contains(r#"circuit_breaker_state{service="auth",function="auth-register",dependency="users-create"} 2"#), "the last value");
    }
}
