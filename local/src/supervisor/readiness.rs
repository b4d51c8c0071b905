//! Readiness: a port free before its process starts and open once it serves, the root
//! admin, and the line that says the stack is ready (the warm-up is in `warm_up.rs`).

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
