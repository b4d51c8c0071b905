//! Readiness: a port free before its process starts and open once it serves, one warm
//! instance of every function, the root admin, and the line that says the stack is ready.

use std::{
    net::TcpListener as StdListener,
    time::{Duration, Instant},
};

use super::Stack;
use crate::{invoke::Invoker, template::Template, Error};

/// Waits until something listens on `port` (the process `what` started serving).
pub(super) async fn wait_for_port(port: u16, what: &str, timeout: Duration) -> Result<(), Error> {
    let started = Instant::now();
    while started.elapsed() < timeout {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!(
        "{what} did not open port {port} within {}s",
        timeout.as_secs()
    )
    .into())
}

/// Refuses to start `what` on a port another process holds.
pub(super) fn ensure_free(port: u16, what: &str) -> Result<(), Error> {
    StdListener::bind(("127.0.0.1", port))
        .map(drop)
        .map_err(|_| {
            format!("port {port} ({what}) is already in use: is another `make dev` running?").into()
        })
}

/// Creates the root admin (or finds it), when the template has `auth-bootstrap-admin`.
pub(super) async fn create_root_admin(template: &Template, invoker: &Invoker) -> Result<(), Error> {
    if template
        .functions()
        .iter()
        .any(|f| f.binary == "auth-bootstrap-admin")
    {
        // It is idempotent, and on a stack this fresh its first call may outlast the
        // cold start of the users-create it invokes (seconds under hot reload): try
        // again before giving up.
        let mut attempt = 1;
        let v = loop {
            match invoker
                .invoke("auth-bootstrap-admin", &serde_json::json!({}))
                .await
            {
                Ok(v) => break v,
                Err((_, _, detail)) if attempt < 3 => {
                    tracing::warn!(attempt, %detail, "creating the root admin failed: trying again");
                    attempt += 1;
                }
                Err((_, _, detail)) => {
                    return Err(format!("creating the root admin failed: {detail}").into())
                }
            }
        };
        println!(
            "root admin {}: {}",
            v["user"]["email"].as_str().unwrap_or("?"),
            if v["created"] == true {
                "created"
            } else {
                "exists"
            }
        );
    }
    Ok(())
}

impl Stack {
    /// Starts one instance of every function, so the first request to each does not wait
    /// for a process to start (seconds while others start too, under hot reload). The
    /// event is a bare JSON string: HTTP functions refuse it before their handler runs, and
    /// the event consumers find no records in it, so nothing is written.
    pub(super) async fn warm_up(&self, template: &Template, invoker: &Invoker) {
        use futures::StreamExt;
        let started = Instant::now();
        let functions: Vec<String> = template
            .functions()
            .into_iter()
            .map(|f| f.binary)
            .filter(|b| b != "auth-bootstrap-admin")
            .collect();
        let count = functions.len();
        let mut took: Vec<(f64, String)> = futures::stream::iter(functions)
            .map(|binary| async move {
                let t = Instant::now();
                let _ = invoker.invoke(&binary, &serde_json::json!("warm-up")).await;
                (t.elapsed().as_secs_f64(), binary)
            })
            .buffer_unordered(8)
            .collect()
            .await;
        took.sort_by(|a, b| b.0.total_cmp(&a.0));
        println!(
            "started one instance of each of {count} functions in {:.1}s (slowest: {})",
            started.elapsed().as_secs_f64(),
            took.iter()
                .take(3)
                .map(|(s, b)| format!("{b} {s:.1}s"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }

    pub fn ready_line(&self) -> String {
        let cache = self
            .gateway
            .as_ref()
            .map(|g| g.authorizer_cache.ttl().as_secs())
            .unwrap_or_default();
        format!(
            "authorizer cache: {cache} s per token (ReauthorizeEvery; GYMIT_AUTHORIZER_CACHE_SECONDS overrides it)\n\
             stream mappings: {}/_local/status\n\
             GymIT is ready: API {}/api  WebSocket {}/ws  Lambda {}  emulator {}",
            self.gateway_url,
            self.gateway_url,
            self.gateway_url.replace("http://", "ws://"),
            self.lambda_url,
            self.endpoint
        )
    }
}
