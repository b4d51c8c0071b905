//! The WebSocket API of the template, served by the gateway at `/<stage>` (`/ws`), and its
//! `@connections` management API, as API Gateway does them:
//!
//! - an upgrade invokes the `$connect` route's function with an
//!   `APIGatewayWebsocketProxyRequest` (headers and query string passed through) and is
//!   refused with the function's own status and body when it answers anything but 2xx;
//! - each text frame goes to the route the selection expression picks
//!   (`$request.body.action`), or `$default`; when the route has a route response, the
//!   function's body goes back on the socket;
//! - a close from either side, an idle connection (10 minutes) and any connection after
//!   2 hours invoke `$disconnect`;
//! - `POST /<stage>/@connections/{id}` sends a frame, `GET` describes the connection,
//!   `DELETE` closes it; an unknown or closed connection is 410 `GoneException`.
//!
//! This module holds the open connections (`Live`) and picks a message's route; by
//! subject, `connection` serves one connection from its upgrade to its `$disconnect`, and
//! `management` is the `@connections` API. Both reach the gateway that serves them
//! through `Host`, which the gateway implements: this module does not import the gateway,
//! which imports it.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::extract::ws::Message;
use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio::sync::{mpsc, Notify};

use crate::{
    invoke::Invoker,
    template::{WebSocketApi, WebSocketRoute},
};

mod connection;
mod management;

pub use connection::upgrade;
pub use management::{delete, describe, post};

/// API Gateway's limits: 128 KiB per message, 10 minutes idle, 2 hours in all.
const MAX_MESSAGE_BYTES: usize = 128 * 1024;
/// Frames queued for one client before it counts as too slow to keep.
const QUEUE: usize = 1024;

/// What the WebSocket API needs of the gateway that serves it.
pub trait Host: Send + Sync + 'static {
    /// The open connections, when the template has a WebSocket API.
    fn live(&self) -> Option<&Arc<Live>>;

    /// What invokes the routes' functions.
    fn invoker(&self) -> &Invoker;
}

/// Open connections and how to reach them.
pub struct Live {
    api: WebSocketApi,
    idle: Duration,
    max: Duration,
    connections: Mutex<HashMap<String, Conn>>,
    /// Connections that ended and whose `$disconnect` is still running.
    closing: std::sync::atomic::AtomicUsize,
}

#[derive(Clone)]
struct Conn {
    tx: mpsc::Sender<Message>,
    close: Arc<Notify>,
    connected_at: DateTime<Utc>,
    last_active: Arc<Mutex<DateTime<Utc>>>,
    user_agent: String,
    source_ip: String,
}

fn seconds_from_env(name: &str, default: u64) -> Duration {
    Duration::from_secs(
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default),
    )
}

impl Live {
    /// Idle and maximum durations can be shortened with `GYMIT_WS_IDLE_SECONDS` and
    /// `GYMIT_WS_MAX_SECONDS` (to watch them happen).
    pub fn new(api: WebSocketApi) -> Self {
        Self {
            api,
            idle: seconds_from_env("GYMIT_WS_IDLE_SECONDS", 600),
            max: seconds_from_env("GYMIT_WS_MAX_SECONDS", 7200),
            connections: Mutex::new(HashMap::new()),
            closing: Default::default(),
        }
    }

    /// Waits (up to `within`) for the `$disconnect` of connections that already ended, so
    /// a stack that stops right after its clients left does not cut them off.
    pub async fn settle(&self, within: Duration) {
        use std::sync::atomic::Ordering;
        let deadline = tokio::time::Instant::now() + within;
        while self.closing.load(Ordering::SeqCst) > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn stage(&self) -> &str {
        &self.api.stage
    }

    fn route(&self, key: &str) -> Option<&WebSocketRoute> {
        self.api.routes.iter().find(|r| r.key == key)
    }

    /// The route for a message: the selection expression's value if a route has that key,
    /// else `$default`.
    fn route_for(&self, text: &str) -> Option<&WebSocketRoute> {
        let selected = self
            .api
            .selection_expression
            .strip_prefix("$request.body.")
            .and_then(|path| {
                let body: Value = serde_json::from_str(text).ok()?;
                path.split('.')
                    .try_fold(&body, |v, k| v.get(k))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            });
        selected
            .and_then(|key| self.route(&key).filter(|_| !key.starts_with('$')))
            .or_else(|| self.route("$default"))
    }

    fn get(&self, id: &str) -> Option<Conn> {
        self.connections
            .lock()
            .expect("not poisoned")
            .get(id)
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn live() -> Live {
        let route = |key: &str, binary: &str| WebSocketRoute {
            key: key.into(),
            binary: binary.into(),
            responds: key == "$default",
        };
        Live::new(WebSocketApi {
            selection_expression: "$request.body.action".into(),
            stage: "ws".into(),
            routes: vec![
                route("$connect", "c"),
                route("$default", "d"),
                route("ping", "p"),
            ],
        })
    }

    #[test]
    fn the_selection_expression_picks_a_route_or_default() {
        let l = live();
        assert_eq!(l.route_for(r#"{"action":"ping"}"#).unwrap().binary, "p");
        assert_eq!(
            l.route_for(r#"{"action":"subscribe"}"#).unwrap().binary,
            "d"
        );
        assert_eq!(l.route_for("not json").unwrap().binary, "d");
        assert_eq!(l.route_for(r#"{"action":7}"#).unwrap().binary, "d");
        // A client cannot select a special route by naming it.
        assert_eq!(l.route_for(r#"{"action":"$connect"}"#).unwrap().binary, "d");
    }
}
