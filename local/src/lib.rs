//! `gymit-local`: GymIT on one machine, with no AWS account and no Docker.
//!
//! It reads `template.yaml` (the single source of truth) and does locally what AWS does
//! for it: `provision` creates the tables and topics in the emulator and writes the
//! functions' environment; `gateway` behaves like API Gateway (HTTP API routes, the Lambda
//! authorizer, CORS, 404/405), serves the WebSocket API and its `@connections` endpoint
//! (`websocket`), delivers SNS notifications and DynamoDB stream batches to the functions
//! that subscribe to them, and `supervisor` runs the whole stack for `make
//! dev` and `make test`. The functions themselves run under `cargo lambda watch`, a real
//! Lambda runtime API.
//!
//! The modules form layers, with no import cycles: a module imports only from lower
//! layers, from the modules named before it in its own layer, and from this root's helpers.
//!
//! 1. the template and what is read from it: `template`; `provision` (uses `template`);
//!    the HTTP API's shapes, `routes`, `events` and `responses`; `faults`, the injected
//!    failures; `metrics`, the functions' metric lines as Prometheus text; `traces`, the
//!    requests' traces; `web`, the web app's files;
//! 2. invoking a function: `invoke` (consults `faults`); `legacy`, the monolith behind
//!    the `$default` route when there is one (the strangler fig);
//! 3. the event sources, which invoke through `invoke`, and where their failures go: `dlq`
//!    (the on-failure destinations), `streams` and `sns` (both hand their failures to
//!    `dlq`), `authorizer`, and `websocket` (which reaches the gateway that serves it
//!    through its `Host` trait);
//! 4. what puts them together: `replay` (`dlq`'s records back through `streams` or
//!    `invoke`), `ops` (the ops page, from `metrics`, `traces`, `streams`, `dlq` and
//!    `replay`), `gateway` (serves them all on one port), `testing` (helpers for other
//!    crates' tests), and on top `supervisor`, which runs the gateway with the rest of the
//!    stack.

pub mod authorizer;
pub mod dlq;
pub mod events;
pub mod faults;
pub mod gateway;
pub mod invoke;
pub mod legacy;
pub mod metrics;
pub mod ops;
pub mod provision;
pub mod replay;
pub mod responses;
pub mod routes;
pub mod sns;
pub mod streams;
pub mod supervisor;
pub mod template;
pub mod testing;
pub mod traces;
pub mod web;
pub mod websocket;

/// The workspace root: the nearest directory at or above the current one with a
/// `template.yaml`, else the parent of this crate.
pub fn workspace_root() -> std::path::PathBuf {
    let mut dir = std::env::current_dir().unwrap_or_default();
    loop {
        if dir.join("template.yaml").is_file() {
            return dir;
        }
        if !dir.pop() {
            break;
        }
    }
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(|p| p.to_path_buf())
        .unwrap_or_default()
}

/// Instances per function that `cargo lambda watch` runs, and so invocations per
/// function that the gateway lets through at a time (`GYMIT_CONCURRENCY`, default 8).
pub fn concurrency() -> usize {
    std::env::var("GYMIT_CONCURRENCY")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(8)
}

/// Where cargo puts the workspace's debug binaries: next to this binary when it runs from
/// the target directory (which honours `CARGO_TARGET_DIR` and `build.target-dir`), else
/// `<root>/target/debug`.
pub fn debug_dir() -> std::path::PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| {
            let profile_dir = exe.parent()?;
            let target = profile_dir.parent()?;
            let debug = target.join("debug");
            debug.is_dir().then_some(debug)
        })
        .unwrap_or_else(|| workspace_root().join("target").join("debug"))
}

/// SDK configuration for the emulator named by `AWS_ENDPOINT_URL`.
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await
}

pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// An SDK error with its whole chain of causes, for a log line.
pub fn sdk_error<E: std::error::Error>(e: &E) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Human-readable logs on stderr (`RUST_LOG` filters them; `info` by default).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}
