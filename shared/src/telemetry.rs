//! `tracing` set up once per process: JSON, one line per event, in Lambda (`LOG_FORMAT`
//! unset or `json`); readable text locally (`LOG_FORMAT=text`, which `gymit-local` sets).
//! The request span carries `request_id` and `correlation_id`, so every line has them.
//! Nothing here ever logs a password, a token or a hash: handlers do not put them in spans
//! or fields.

use std::sync::OnceLock;

use tracing_subscriber::EnvFilter;

static JSON: OnceLock<bool> = OnceLock::new();

pub fn json_logs() -> bool {
    *JSON.get_or_init(|| {
        std::env::var("LOG_FORMAT")
            .map(|v| v != "text")
            .unwrap_or(true)
    })
}

pub fn init() {
    let filter = EnvFilter::try_from_env("LOG_LEVEL").unwrap_or_else(|_| {
        EnvFilter::new("info,aws_config=warn,aws_smithy_runtime=warn,hyper=warn")
    });
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let result = if json_logs() {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_target(false)
            .without_time()
            .try_init()
    } else {
        builder.with_target(false).compact().try_init()
    };
    // A second init (tests) is harmless.
    let _ = result;
}
