//! The `@connections` management API: `POST` sends a frame to a connection, `GET`
//! describes it, `DELETE` closes it; an unknown or closed connection is 410
//! `GoneException`.

use std::sync::Arc;

use axum::{
    body::{Body, Bytes},
    extract::{ws::Message, Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;
use tokio::sync::mpsc;

use super::{Conn, Host, MAX_MESSAGE_BYTES, QUEUE};

fn gone(id: &str) -> Response {
    tracing::info!(connection_id = %id, "ws post refused: gone");
    Response::builder()
        .status(StatusCode::GONE)
        .header("content-type", "application/json")
        .header("x-amzn-errortype", "GoneException")
        .body(Body::from(
            json!({ "message": format!("connection {id} is gone") }).to_string(),
        ))
        .expect("a valid response")
}

/// The open connection `id` (the management routes exist only when the template has a
/// WebSocket API).
fn open(gw: &Arc<impl Host>, id: &str) -> Option<Conn> {
    gw.live()?.get(id)
}

/// `POST @connections/{id}`: one frame to the client.
pub async fn post<H: Host>(
    State(gw): State<Arc<H>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    if body.len() > MAX_MESSAGE_BYTES {
        return Response::builder()
            .status(StatusCode::PAYLOAD_TOO_LARGE)
            .header("x-amzn-errortype", "PayloadTooLargeException")
            .body(Body::from(
                json!({ "message": "payload too large" }).to_string(),
            ))
            .expect("a valid response");
    }
    let Some(conn) = open(&gw, &id) else {
        return gone(&id);
    };
    let frame = match String::from_utf8(body.to_vec()) {
        Ok(text) => Message::Text(text.into()),
        Err(_) => Message::Binary(body),
    };
    let bytes = match &frame {
        Message::Text(t) => t.len(),
        _ => 0,
    };
    match conn.tx.try_send(frame) {
        Ok(()) => {
            tracing::info!(connection_id = %id, bytes, "ws post");
            StatusCode::OK.into_response()
        }
        Err(mpsc::error::TrySendError::Full(_)) => {
            tracing::warn!(connection_id = %id, queued = QUEUE, "ws client too slow to keep up: closing it");
            conn.close.notify_one();
            gone(&id)
        }
        Err(mpsc::error::TrySendError::Closed(_)) => gone(&id),
    }
}

/// `GET @connections/{id}`: when it connected, who it is, when it was last active.
pub async fn describe<H: Host>(State(gw): State<Arc<H>>, Path(id): Path<String>) -> Response {
    let Some(conn) = open(&gw, &id) else {
        return gone(&id);
    };
    let last = *conn.last_active.lock().expect("not poisoned");
    axum::Json(json!({
        "ConnectedAt": conn.connected_at.to_rfc3339(),
        "Identity": { "SourceIp": conn.source_ip, "UserAgent": conn.user_agent },
        "LastActiveAt": last.to_rfc3339(),
    }))
    .into_response()
}

/// `DELETE @connections/{id}`: the server closes the connection (`$disconnect` follows).
pub async fn delete<H: Host>(State(gw): State<Arc<H>>, Path(id): Path<String>) -> Response {
    let Some(conn) = open(&gw, &id) else {
        return gone(&id);
    };
    conn.close.notify_one();
    StatusCode::NO_CONTENT.into_response()
}
