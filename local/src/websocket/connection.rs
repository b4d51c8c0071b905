//! One connection, as API Gateway serves it: the upgrade gated by `$connect`, each frame
//! to the route the selection expression picks (the answer back on the socket when the
//! route responds), and `$disconnect` when either side closes it, it idles or it is too old.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    extract::{
        ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade},
        ConnectInfo, RawQuery, State,
    },
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Extension,
};
use base64::{engine::general_purpose::URL_SAFE, Engine};
use chrono::{DateTime, Utc};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::{mpsc, Notify};

use super::{Conn, Host, Live, MAX_MESSAGE_BYTES, QUEUE};

fn connection_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 11];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE.encode(bytes)
}

/// Who is at the other end of a connection, as API Gateway reports it in every event's
/// `requestContext.identity`.
struct Peer {
    /// The TCP peer's address (`127.0.0.2` when a client connects from there).
    source_ip: String,
    user_agent: String,
}

/// The common part of every event's `requestContext`.
fn context(
    live: &Live,
    id: &str,
    conn_at: DateTime<Utc>,
    event: &str,
    route: &str,
    host: &str,
    peer: &Peer,
) -> Value {
    let now = Utc::now();
    let request_id = uuid::Uuid::now_v7().to_string();
    json!({
        "routeKey": route,
        "eventType": event,
        "extendedRequestId": request_id,
        "requestTime": now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
        "messageDirection": "IN",
        "stage": live.api.stage,
        "connectedAt": conn_at.timestamp_millis(),
        "requestTimeEpoch": now.timestamp_millis(),
        "identity": { "sourceIp": peer.source_ip, "userAgent": peer.user_agent },
        "requestId": request_id,
        "domainName": host,
        "connectionId": id,
        "apiId": "local",
    })
}

/// `GET /<stage>`: the upgrade, gated by `$connect`. Like an HTTP request that finds every
/// instance busy, a `$connect` waits for one (`Invoker::invoke`, within the same bound)
/// rather than failing the handshake.
pub async fn upgrade<H: Host>(
    State(gw): State<Arc<H>>,
    RawQuery(query): RawQuery,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let Some(live) = gw.live().cloned() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    let id = connection_id();
    let connected_at = Utc::now();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let (host, ua) = (header("host"), header("user-agent"));
    let who = Peer {
        source_ip: peer.map_or_else(|| "127.0.0.1".to_string(), |p| p.0 .0.ip().to_string()),
        user_agent: ua,
    };
    if let Some(route) = live.route("$connect") {
        let mut event = json!({
            "headers": crate::events::headers_json(&headers),
            "multiValueHeaders": crate::events::headers_json(&headers)
                .into_iter()
                .map(|(k, v)| (k, json!([v])))
                .collect::<serde_json::Map<_, _>>(),
            "requestContext": context(&live, &id, connected_at, "CONNECT", "$connect", &host, &who),
            "isBase64Encoded": false,
        });
        let query = crate::events::query_json(query.as_deref().unwrap_or_default());
        if !query.is_empty() {
            event["multiValueQueryStringParameters"] = query
                .iter()
                .map(|(k, v)| (k.clone(), json!([v])))
                .collect::<serde_json::Map<_, _>>()
                .into();
            event["queryStringParameters"] = Value::Object(query);
        }
        match gw.invoker().invoke(&route.binary, &event).await {
            Ok(v) => {
                let status = v["statusCode"].as_u64().unwrap_or(502);
                if !(200..300).contains(&status) {
                    tracing::info!(connection_id = %id, status, "ws refused by $connect");
                    return crate::responses::function_response(&v, &id);
                }
            }
            Err((status, code, detail)) => {
                tracing::error!(connection_id = %id, %detail, "ws $connect failed");
                return crate::responses::problem(status, code, &detail, &id);
            }
        }
    }
    ws.max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| serve(gw, live, id, connected_at, host, who, socket))
}

/// Why a connection ended: the close code and reason `$disconnect` is told.
struct Ending(u16, &'static str);

async fn serve<H: Host>(
    gw: Arc<H>,
    live: Arc<Live>,
    id: String,
    connected_at: DateTime<Utc>,
    host: String,
    who: Peer,
    socket: WebSocket,
) {
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = mpsc::channel::<Message>(QUEUE);
    let conn = Conn {
        tx: tx.clone(),
        close: Arc::new(Notify::new()),
        connected_at,
        last_active: Arc::new(Mutex::new(connected_at)),
        user_agent: who.user_agent.clone(),
        source_ip: who.source_ip.clone(),
    };
    live.connections
        .lock()
        .expect("not poisoned")
        .insert(id.clone(), conn.clone());
    tracing::info!(connection_id = %id, "ws connected");
    let writer = tokio::spawn(async move {
        while let Some(m) = rx.recv().await {
            let last = matches!(m, Message::Close(_));
            if sink.send(m).await.is_err() || last {
                break;
            }
        }
    });
    let deadline = tokio::time::Instant::now() + live.max;
    let ending = loop {
        let frame = tokio::select! {
            f = tokio::time::timeout(live.idle, stream.next()) => f,
            _ = tokio::time::sleep_until(deadline) => break Ending(1001, "Going away"),
            _ = conn.close.notified() => break Ending(1000, "Connection closed by the management API"),
        };
        let text = match frame {
            Err(_) => break Ending(1001, "Going away"),
            Ok(None) => break Ending(1006, "Connection closed abnormally"),
            Ok(Some(Err(_))) => break Ending(1009, "Message too big or malformed frame"),
            Ok(Some(Ok(Message::Close(f)))) => {
                break Ending(
                    f.map(|f| f.code).unwrap_or(1005),
                    "Client closed the connection",
                )
            }
            Ok(Some(Ok(Message::Text(t)))) => t.to_string(),
            Ok(Some(Ok(Message::Binary(b)))) => String::from_utf8_lossy(&b).into_owned(),
            Ok(Some(Ok(_))) => {
                *conn.last_active.lock().expect("not poisoned") = Utc::now();
                continue;
            }
        };
        *conn.last_active.lock().expect("not poisoned") = Utc::now();
        let Some(route) = live.route_for(&text) else {
            let _ = tx
                .send(Message::Text(
                    json!({ "message": "Forbidden", "connectionId": id })
                        .to_string()
                        .into(),
                ))
                .await;
            continue;
        };
        let mut event = json!({
            "requestContext": context(&live, &id, connected_at, "MESSAGE", &route.key, &host, &who),
            "body": text,
            "isBase64Encoded": false,
        });
        event["requestContext"]["messageId"] = json!(uuid::Uuid::now_v7().simple().to_string());
        match gw.invoker().invoke(&route.binary, &event).await {
            Ok(v) if route.responds => {
                if let Some(body) = v["body"].as_str().filter(|b| !b.is_empty()) {
                    let _ = tx.send(Message::Text(body.to_string().into())).await;
                }
            }
            Ok(_) => {}
            Err((_, _, detail)) => {
                tracing::error!(connection_id = %id, route = %route.key, %detail, "ws route failed");
                let _ = tx
                    .send(Message::Text(
                        json!({ "message": "Internal server error", "connectionId": id })
                            .to_string()
                            .into(),
                    ))
                    .await;
            }
        }
    };
    live.connections.lock().expect("not poisoned").remove(&id);
    live.closing
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    if ending.0 != 1006 && ending.0 != 1005 {
        let _ = tx
            .send(Message::Close(Some(CloseFrame {
                code: ending.0,
                reason: ending.1.into(),
            })))
            .await;
    }
    drop(tx);
    let _ = tokio::time::timeout(Duration::from_secs(1), writer).await;
    tracing::info!(connection_id = %id, code = ending.0, reason = ending.1, "ws disconnected");
    if let Some(route) = live.route("$disconnect") {
        let mut event = json!({
            "requestContext": context(&live, &id, connected_at, "DISCONNECT", "$disconnect", &host, &who),
            "isBase64Encoded": false,
        });
        event["requestContext"]["disconnectStatusCode"] = json!(ending.0);
        event["requestContext"]["disconnectReason"] = json!(ending.1);
        if let Err((_, _, detail)) = gw.invoker().invoke(&route.binary, &event).await {
            tracing::error!(connection_id = %id, %detail, "ws $disconnect failed");
        }
    }
    live.closing
        .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
}

#[cfg(test)]
mod tests {
    use super::super::tests::live;
    use super::*;

    #[test]
    fn connection_ids_look_like_api_gateways() {
        let a = connection_id();
        assert_eq!(a.len(), 16);
        assert!(a.ends_with('='));
        assert_ne!(a, connection_id());
    }

    #[test]
    fn events_are_what_lambda_http_reads_as_websocket_requests() {
        let l = live();
        let now = Utc::now();
        let peer = Peer {
            source_ip: "127.0.0.2".into(),
            user_agent: "test".into(),
        };
        let ctx = context(
            &l,
            "abc",
            now,
            "MESSAGE",
            "$default",
            "127.0.0.1:8000",
            &peer,
        );
        let event = json!({ "requestContext": ctx, "body": "{}", "isBase64Encoded": false });
        let parsed: aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest =
            serde_json::from_value(event).expect("a WebSocket proxy request");
        assert_eq!(parsed.request_context.connection_id.as_deref(), Some("abc"));
        assert_eq!(
            parsed.request_context.event_type.as_deref(),
            Some("MESSAGE")
        );
        assert_eq!(parsed.request_context.connected_at, now.timestamp_millis());
        assert_eq!(
            parsed.request_context.identity.source_ip.as_deref(),
            Some("127.0.0.2"),
            "the TCP peer, so anonymous caps count per address"
        );
    }
}
