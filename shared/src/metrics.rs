//! Metrics as CloudWatch Embedded Metric Format lines: requests, errors and duration per
//! function (the serverless form of the original Prometheus counters). Written to stdout
//! only where logs are JSON (in Lambda); locally they would only clutter the console.

use std::time::Duration;

pub fn request(function: &str, status: u16, elapsed: Duration) {
    if !crate::telemetry::json_logs() {
        return;
    }
    let line = serde_json::json!({
        "_aws": {
            "Timestamp": crate::time::now().timestamp_millis(),
            "CloudWatchMetrics": [{
                "Namespace": "GymIT",
                "Dimensions": [["function"]],
                "Metrics": [
                    {"Name": "requests", "Unit": "Count"},
                    {"Name": "errors", "Unit": "Count"},
                    {"Name": "client_errors", "Unit": "Count"},
                    {"Name": "duration", "Unit": "Milliseconds"}
                ]
            }]
        },
        "function": function,
        "requests": 1,
        "errors": u8::from(status >= 500),
        "client_errors": u8::from((400..500).contains(&status)),
        "duration": elapsed.as_secs_f64() * 1e3,
    });
    println!("{line}");
}

/// An invocation of a function that is not HTTP (`lambda::run_event`): counted like a
/// request, as an error when it failed.
pub fn invocation(function: &str, succeeded: bool, elapsed: Duration) {
    request(function, if succeeded { 200 } else { 500 }, elapsed);
}
