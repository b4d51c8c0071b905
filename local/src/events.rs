//! The Lambda events of an HTTP API request (payload format 2.0) and its request context.

use std::collections::HashMap;

use axum::{body::Bytes, http::HeaderMap};
use base64::{engine::general_purpose::STANDARD, Engine};
use serde_json::{json, Map, Value};

use crate::routes::{percent_decode, CompiledRoute};

pub fn headers_json(headers: &HeaderMap) -> Map<String, Value> {
    let mut out: Map<String, Value> = Map::new();
    for (k, v) in headers {
        let v = v.to_str().unwrap_or_default();
        let name = k.as_str().to_lowercase();
        if name == "cookie" {
            continue;
        }
        match out.get_mut(&name) {
            Some(Value::String(existing)) => {
                existing.push(',');
                existing.push_str(v);
            }
            _ => {
                out.insert(name, Value::String(v.to_string()));
            }
        }
    }
    out
}

pub fn query_json(raw: &str) -> Map<String, Value> {
    let mut out: Map<String, Value> = Map::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = (
            percent_decode(&k.replace('+', " ")),
            percent_decode(&v.replace('+', " ")),
        );
        match out.get_mut(&k) {
            Some(Value::String(existing)) => {
                existing.push(',');
                existing.push_str(&v);
            }
            _ => {
                out.insert(k, Value::String(v));
            }
        }
    }
    out
}

pub(crate) struct Incoming {
    /// The TCP peer's address, which API Gateway reports as `sourceIp` (so `127.0.0.2` is
    /// another client than `127.0.0.1`, as two hosts are on AWS).
    pub source_ip: String,
    pub method: String,
    pub path: String,
    pub raw_query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

pub(crate) fn request_context(inc: &Incoming, route_key: &str, request_id: &str) -> Value {
    let now = chrono::Utc::now();
    json!({
        "accountId": crate::template::ACCOUNT,
        "apiId": "local",
        "domainName": inc.headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1"),
        "domainPrefix": "local",
        "http": {
            "method": inc.method,
            "path": inc.path,
            "protocol": "HTTP/1.1",
            "sourceIp": inc.source_ip,
            "userAgent": inc.headers.get("user-agent").and_then(|h| h.to_str().ok()).unwrap_or(""),
        },
        "requestId": request_id,
        "routeKey": route_key,
        "stage": "$default",
        "time": now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
        "timeEpoch": now.timestamp_millis(),
    })
}

pub(crate) fn http_event(
    inc: &Incoming,
    route: &CompiledRoute,
    params: &HashMap<String, String>,
    request_id: &str,
    authorizer: Option<Value>,
) -> Value {
    let route_key = if route.path == "$default" {
        "$default".to_string()
    } else {
        format!("{} {}", route.method, route.path)
    };
    let mut ctx = request_context(inc, &route_key, request_id);
    if let Some(a) = authorizer {
        ctx["authorizer"] = json!({ "lambda": a });
    }
    let (body, b64) = match std::str::from_utf8(&inc.body) {
        Ok(s) => (s.to_string(), false),
        Err(_) => (STANDARD.encode(&inc.body), true),
    };
    let mut event = json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": inc.path,
        "rawQueryString": inc.raw_query,
        "headers": headers_json(&inc.headers),
        "requestContext": ctx,
        "isBase64Encoded": b64,
    });
    let cookies: Vec<String> = inc
        .headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';').map(|c| c.trim().to_string()))
        .filter(|c| !c.is_empty())
        .collect();
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    let query = query_json(&inc.raw_query);
    if !query.is_empty() {
        event["queryStringParameters"] = Value::Object(query);
    }
    if !params.is_empty() {
        event["pathParameters"] = json!(params);
    }
    if !inc.body.is_empty() {
        event["body"] = Value::String(body);
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_and_headers_join_repeats_with_commas() {
        let q = query_json("a=1&a=2&b=x%20y");
        assert_eq!(q["a"], "1,2");
        assert_eq!(q["b"], "x y");
    }
}
