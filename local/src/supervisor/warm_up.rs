//! Warm-up: one instance of every function started before the stack says it is ready, so
//! the first request to each does not wait for a process to start (seconds while others
//! start too, under hot reload).
//!
//! Each function gets an event of the kind it really receives, chosen so that it does
//! nothing a user could see: an HTTP route without credentials (refused, or a read), an
//! event batch with no records, an authorizer request without a token, a WebSocket connect
//! with a token that does not verify, a ping and the disconnect of a connection that never
//! existed. An event a function cannot parse would be refused by its runtime before the
//! handler, and logged as an ERROR, at every start.

use std::{collections::HashMap, time::Instant};

use serde_json::{json, Value};

use super::Stack;
use crate::{
    authorizer,
    events::{self, Incoming},
    invoke::Invoker,
    routes::{compile, CompiledRoute, Segment},
    template::Template,
};

/// Functions with no harmless event: each call of theirs writes (the root admin, a new
/// profile). Their first call starts their instance.
const NOT_WARMED: [&str; 2] = ["auth-bootstrap-admin", "users-create"];

/// The connection id the WebSocket events name: no connection has it (real ids are 15
/// characters of URL-safe base64).
const NO_CONNECTION: &str = "warm-up";

impl Stack {
    pub(super) async fn warm_up(&self, template: &Template, invoker: &Invoker) {
        use futures::StreamExt;
        let started = Instant::now();
        let events = warm_up_events(template);
        let count = events.len();
        let mut took: Vec<(f64, String)> = futures::stream::iter(events)
            .map(|(binary, event)| async move {
                let t = Instant::now();
                let _ = invoker.invoke(&binary, &event).await;
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
}

/// Every function's warm-up event (by binary), but for those in [`NOT_WARMED`].
fn warm_up_events(template: &Template) -> Vec<(String, Value)> {
    let mut events = Vec::new();
    if let Some(binary) = template.authorizer_binary() {
        events.push((binary, authorizer_event()));
    }
    for route in template
        .websocket_api()
        .map(|api| api.routes)
        .unwrap_or_default()
    {
        let event = websocket_event(&route.key);
        events.push((route.binary, event));
    }
    for f in template.functions() {
        if events.iter().any(|(b, _)| *b == f.binary) {
            continue;
        }
        if let Some(route) = f.routes.first() {
            events.push((f.binary, http_event(&route.method, &route.path)));
        } else if !f.topics.is_empty() || !f.streams.is_empty() {
            // SNS and DynamoDB stream batches alike.
            events.push((f.binary, json!({ "Records": [] })));
        }
    }
    events.retain(|(b, _)| !NOT_WARMED.contains(&b.as_str()));
    events
}

/// A request for `method` `path` of the template, as the gateway would send it: each
/// `{parameter}` is `warm-up` (no id of ours looks like that), no credentials, no body.
fn request(method: &str, path: &str) -> (Incoming, CompiledRoute, HashMap<String, String>) {
    let method = if method == "ANY" { "GET" } else { method };
    let segments = if path == "$default" {
        vec![]
    } else {
        compile(path)
    };
    let mut params = HashMap::new();
    let mut raw = String::new();
    for segment in &segments {
        raw.push('/');
        match segment {
            Segment::Literal(s) => raw.push_str(s),
            Segment::Param(name) | Segment::Greedy(name) => {
                params.insert(name.clone(), "warm-up".to_string());
                raw.push_str("warm-up");
            }
        }
    }
    let inc = Incoming {
        source_ip: "127.0.0.1".into(),
        method: method.to_string(),
        path: if raw.is_empty() { "/".into() } else { raw },
        raw_query: String::new(),
        headers: Default::default(),
        body: Default::default(),
    };
    let route = CompiledRoute {
        method: method.to_string(),
        path: path.to_string(),
        segments,
        binary: String::new(),
        authorized: false,
    };
    (inc, route, params)
}

fn http_event(method: &str, path: &str) -> Value {
    let (inc, route, params) = request(method, path);
    events::http_event(&inc, &route, &params, "warm-up", None)
}

/// An authorizer request whose identity source is empty: its verdict is "no".
fn authorizer_event() -> Value {
    let (inc, route, params) = request("GET", "/api/auth/me");
    authorizer::event(&inc, &route, &params, "warm-up", None)
}

/// `$connect` with a token that does not verify (refused: nothing recorded), a ping on
/// `$default`, and the `$disconnect` of a connection that never existed.
fn websocket_event(route_key: &str) -> Value {
    let (event_type, body) = match route_key {
        "$connect" => ("CONNECT", None),
        "$disconnect" => ("DISCONNECT", None),
        _ => ("MESSAGE", Some(r#"{"action":"ping"}"#)),
    };
    let mut event = json!({
        "requestContext": {
            "routeKey": route_key,
            "eventType": event_type,
            "messageDirection": "IN",
            "stage": "local",
            "connectedAt": chrono::Utc::now().timestamp_millis(),
            "requestTimeEpoch": chrono::Utc::now().timestamp_millis(),
            "identity": { "sourceIp": "127.0.0.1" },
            "requestId": "warm-up",
            "domainName": "127.0.0.1",
            "connectionId": NO_CONNECTION,
            "apiId": "local",
        },
        "isBase64Encoded": false,
    });
    if event_type == "CONNECT" {
        event["queryStringParameters"] = json!({ "token": "warm-up" });
    }
    if let Some(body) = body {
        event["body"] = json!(body);
    }
    event
}

#[cfg(test)]
mod tests {
    use aws_lambda_events::event::{apigw, dynamodb, sns};

    use super::*;

    /// Every function but the two that always write gets an event, of the type its runtime
    /// parses (a string, as before, made every one of them log an ERROR at each start).
    #[test]
    fn every_function_gets_an_event_it_can_parse() {
        let template = Template::load(&crate::workspace_root().join("template.yaml"))
            .expect("template.yaml loads");
        let events = warm_up_events(&template);
        let authorizer = template.authorizer_binary().expect("an authorizer");
        let sockets: Vec<String> = template
            .websocket_api()
            .expect("a WebSocket API")
            .routes
            .into_iter()
            .map(|r| r.binary)
            .collect();
        for f in template.functions() {
            let found = events.iter().find(|(b, _)| *b == f.binary);
            if NOT_WARMED.contains(&f.binary.as_str()) {
                assert!(found.is_none(), "{} is not warmed up", f.binary);
                continue;
            }
            let (_, event) = found.unwrap_or_else(|| panic!("{} has no warm-up event", f.binary));
            let event = event.clone();
            let parsed = if f.binary == authorizer {
                serde_json::from_value::<apigw::ApiGatewayV2CustomAuthorizerV2Request>(event)
                    .map(|_| ())
            } else if sockets.contains(&f.binary) {
                serde_json::from_value::<apigw::ApiGatewayWebsocketProxyRequest>(event).map(|_| ())
            } else if !f.routes.is_empty() {
                serde_json::from_value::<apigw::ApiGatewayV2httpRequest>(event).map(|_| ())
            } else if !f.topics.is_empty() {
                serde_json::from_value::<sns::SnsEvent>(event).map(|_| ())
            } else {
                serde_json::from_value::<dynamodb::Event>(event).map(|_| ())
            };
            parsed.unwrap_or_else(|e| panic!("{}'s warm-up event: {e}", f.binary));
        }
    }

    #[test]
    fn a_route_s_parameters_are_filled_and_named() {
        let event = http_event("GET", "/api/tournaments/{id}/matches/{match_id}");
        assert_eq!(event["rawPath"], "/api/tournaments/warm-up/matches/warm-up");
        assert_eq!(event["pathParameters"]["match_id"], "warm-up");
        assert_eq!(
            event["routeKey"],
            "GET /api/tournaments/{id}/matches/{match_id}"
        );
    }
}
