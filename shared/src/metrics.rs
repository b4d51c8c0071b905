//! Metrics as CloudWatch Embedded Metric Format (EMF) lines on stdout, under the
//! architecture document's names. One line per measurement: on AWS, CloudWatch Logs turns
//! each into metric data points (namespace `METRICS_NAMESPACE`, default `GymIT`); locally
//! `gymit-local` reads the very same lines from the functions' output and serves them as
//! Prometheus text at `/_local/metrics`. One code path in the functions, only the sink differs.
//!
//! What is measured (labels in brackets; every line also has `service` and `function`):
//! - `service_requests_total`, `service_errors_total` (status ≥ 500) and
//!   `service_request_duration_seconds` [route, status_class], written by the wrappers
//!   (`http::run`, `lambda::run_event`) for every invocation;
//! - `events_published_total` [event_type] (the publishers), `event_delivery_seconds`
//!   [event_type] (event commit → its last WebSocket post), `fanout_posts_total` [outcome],
//!   `websocket_connections` (+1 per connect, −1 per disconnect);
//! - `tournaments_started_total` [format], `tournament_joins_total` [outcome];
//! - `circuit_breaker_state` [dependency] (0 closed, 1 open, 2 half-open) and
//!   `circuit_breaker_rejections_total` [dependency] (`breaker`).
//!
//! How a reader (Prometheus locally) types them, from name and unit: `Count` named `…_total`
//! is a counter; any other `Count` an up-down gauge (the values add up); `Seconds` a
//! histogram; `None` a gauge (the last value). No `metrics` crate and no EMF library: each
//! line is written when it happens, with its own dimensions, so there is no global recorder
//! to install, nothing to flush at the end of an invocation (a timed-out one loses nothing
//! already written), and no dependency on a crate's histogram or dimension rules.
//!
//! Not for high-cardinality labels (ids): each label set is a CloudWatch metric, billed.

use std::{sync::OnceLock, time::Duration};

use serde_json::{json, Map, Value};

/// The function this process is (set by the wrappers at start); `unknown` before.
static FUNCTION: OnceLock<&'static str> = OnceLock::new();
static NAMESPACE: OnceLock<String> = OnceLock::new();

/// How a value is to be read (the EMF unit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Seconds,
    None,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Seconds => "Seconds",
            Unit::None => "None",
        }
    }
}

/// Names this process's function (first call wins): every metric line carries it.
pub fn set_function(function: &'static str) {
    let _ = FUNCTION.set(function);
}

pub fn function() -> &'static str {
    FUNCTION.get().copied().unwrap_or("unknown")
}

/// The service a function belongs to: its name up to the first `-` (`auth-login` → `auth`).
pub fn service_of(function: &str) -> &str {
    function.split('-').next().unwrap_or(function)
}

fn namespace() -> &'static str {
    NAMESPACE.get_or_init(|| {
        std::env::var("METRICS_NAMESPACE")
            .ok()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "GymIT".to_string())
    })
}

/// `2xx`, `4xx`, `5xx`…
pub fn status_class(status: u16) -> String {
    format!("{}xx", status / 100)
}

/// One EMF line: `values` under the dimensions `service`, `function` and `labels`, rolled up
/// by `service` too (what the dashboard and the alarms read).
pub fn line(function: &str, labels: &[(&str, &str)], values: &[(&str, f64, Unit)]) -> String {
    let mut dims: Vec<&str> = vec!["service", "function"];
    dims.extend(labels.iter().map(|(k, _)| *k));
    let metrics: Vec<Value> = values
        .iter()
        .map(|(name, _, unit)| json!({ "Name": name, "Unit": unit.as_str() }))
        .collect();
    let mut doc = Map::new();
    doc.insert(
        "_aws".into(),
        json!({
            "Timestamp": crate::time::now().timestamp_millis(),
            "CloudWatchMetrics": [{
                "Namespace": namespace(),
                "Dimensions": [dims, ["service"]],
                "Metrics": metrics,
            }]
        }),
    );
    doc.insert("service".into(), service_of(function).into());
    doc.insert("function".into(), function.into());
    for (k, v) in labels {
        doc.insert((*k).into(), (*v).into());
    }
    for (name, value, _) in values {
        doc.insert((*name).into(), json!(value));
    }
    Value::Object(doc).to_string()
}

fn write(labels: &[(&str, &str)], values: &[(&str, f64, Unit)]) {
    println!("{}", line(function(), labels, values));
}

/// Adds `value` to a counter (or an up-down gauge, see the module doc).
pub fn count(name: &str, value: f64, labels: &[(&str, &str)]) {
    write(labels, &[(name, value, Unit::Count)]);
}

/// One observation of a duration.
pub fn seconds(name: &str, elapsed: Duration, labels: &[(&str, &str)]) {
    write(labels, &[(name, elapsed.as_secs_f64(), Unit::Seconds)]);
}

/// A gauge's current value.
pub fn gauge(name: &str, value: f64, labels: &[(&str, &str)]) {
    write(labels, &[(name, value, Unit::None)]);
}

/// One answered invocation of `function` by `route` (the API's route key, `$connect`, or
/// `event`).
pub fn request(function: &str, route: &str, status: u16, elapsed: Duration) {
    println!("{}", request_line(function, route, status, elapsed));
}

/// The EMF line [`request`] writes (`make bench` times it).
pub fn request_line(function: &str, route: &str, status: u16, elapsed: Duration) -> String {
    let class = status_class(status);
    line(
        function,
        &[("route", route), ("status_class", &class)],
        &[
            ("service_requests_total", 1.0, Unit::Count),
            (
                "service_errors_total",
                f64::from(u8::from(status >= 500)),
                Unit::Count,
            ),
            (
                "service_request_duration_seconds",
                elapsed.as_secs_f64(),
                Unit::Seconds,
            ),
        ],
    )
}

/// An invocation of a function that is not HTTP (`lambda::run_event`): counted like a
/// request of the route `event`, as a 500 when it failed.
pub fn invocation(function: &str, succeeded: bool, elapsed: Duration) {
    request(
        function,
        "event",
        if succeeded { 200 } else { 500 },
        elapsed,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_line_is_emf_with_the_documents_names_and_a_service_rollup() {
        let text = line(
            "auth-login",
            &[("route", "POST /api/auth/login"), ("status_class", "4xx")],
            &[
                ("service_requests_total", 1.0, Unit::Count),
                ("service_request_duration_seconds", 0.012, Unit::Seconds),
            ],
        );
        let v: Value = serde_json::from_str(&text).unwrap();
        let directive = &v["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "GymIT");
        assert_eq!(
            directive["Dimensions"],
            json!([
                ["service", "function", "route", "status_class"],
                ["service"]
            ])
        );
        assert_eq!(directive["Metrics"][1]["Unit"], "Seconds");
        assert_eq!(v["service"], "auth");
        assert_eq!(v["function"], "auth-login");
        assert_eq!(v["route"], "POST /api/auth/login");
        assert_eq!(v["service_requests_total"], 1.0);
        assert_eq!(v["service_request_duration_seconds"], 0.012);
        assert!(v["_aws"]["Timestamp"].as_i64().unwrap() > 1_700_000_000_000);
        assert!(
            text.starts_with(r#"{"_aws":"#),
            "readers look for this prefix"
        );
    }

    #[test]
    fn status_classes_and_services() {
        assert_eq!(status_class(201), "2xx");
        assert_eq!(status_class(503), "5xx");
        assert_eq!(service_of("tournaments-result-report"), "tournaments");
        assert_eq!(service_of("api-default"), "api");
    }
}
