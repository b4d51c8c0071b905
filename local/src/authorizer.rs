//! The HTTP API's Lambda authorizer, run as API Gateway runs a REQUEST authorizer with
//! simple responses (payload 2.0): a request without the identity source (`Authorization`)
//! is refused with 401 before any call; otherwise the authorizer is invoked and its answer
//! is cached per identity source for `ReauthorizeEvery` seconds (a test stack may shorten
//! it with `GYMIT_AUTHORIZER_CACHE_SECONDS`, which `gymit-local` prints at start).
//! `isAuthorized: true` passes its `context` to the function
//! (`requestContext.authorizer.lambda`); `false` is 403; a failed or malformed answer is
//! 500, never cached.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use serde_json::{json, Value};

use crate::{
    events::{headers_json, query_json, request_context, Incoming},
    invoke::Invoker,
    responses::AwsError,
    routes::CompiledRoute,
};

/// The authorizer's context for the function, or the answer API Gateway gives instead.
type Answer = Result<Value, AwsError>;

/// Cached answers by identity source, with when each expires.
#[derive(Debug, Default)]
pub struct Cache {
    ttl: Duration,
    answers: Mutex<HashMap<String, (Instant, Answer)>>,
}

impl Cache {
    pub fn new(ttl: Duration) -> Cache {
        Cache {
            ttl,
            answers: Mutex::default(),
        }
    }

    /// The template's `ReauthorizeEvery`, unless `GYMIT_AUTHORIZER_CACHE_SECONDS` says
    /// otherwise.
    pub fn ttl_from(template_secs: u64) -> Duration {
        Duration::from_secs(
            std::env::var("GYMIT_AUTHORIZER_CACHE_SECONDS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(template_secs),
        )
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    fn get(&self, identity: &str) -> Option<Answer> {
        let answers = self.answers.lock().unwrap_or_else(|e| e.into_inner());
        answers
            .get(identity)
            .filter(|(expires, _)| *expires > Instant::now())
            .map(|(_, a)| a.clone())
    }

    fn put(&self, identity: &str, answer: Answer) {
        if self.ttl.is_zero() {
            return;
        }
        let mut answers = self.answers.lock().unwrap_or_else(|e| e.into_inner());
        // Expired answers go when a new one is stored (a miss), not on every request.
        let now = Instant::now();
        answers.retain(|_, (expires, _)| *expires > now);
        answers.insert(identity.to_string(), (now + self.ttl, answer));
    }
}

/// The authorizer's request (payload 2.0) for `inc` on `route`, with the identity source
/// when there is one.
pub(crate) fn event(
    inc: &Incoming,
    route: &CompiledRoute,
    params: &HashMap<String, String>,
    request_id: &str,
    identity: Option<&str>,
) -> Value {
    let route_key = format!("{} {}", route.method, route.path);
    let mut event = json!({
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": format!("arn:aws:execute-api:us-east-1:{}:local/$default/{}{}", crate::template::ACCOUNT, inc.method, inc.path),
        "identitySource": identity.into_iter().collect::<Vec<_>>(),
        "routeKey": route_key,
        "rawPath": inc.path,
        "rawQueryString": inc.raw_query,
        "headers": headers_json(&inc.headers),
        "requestContext": request_context(inc, &route_key, request_id),
    });
    if !params.is_empty() {
        event["pathParameters"] = json!(params);
    }
    let query = query_json(&inc.raw_query);
    if !query.is_empty() {
        event["queryStringParameters"] = Value::Object(query);
    }
    event
}

/// Runs the authorizer for a request (or takes its cached answer).
pub(crate) async fn authorize(
    invoker: &Invoker,
    cache: &Cache,
    authorizer: &str,
    inc: &Incoming,
    route: &CompiledRoute,
    params: &HashMap<String, String>,
    request_id: &str,
) -> Answer {
    let Some(identity) = inc
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
    else {
        return Err(AwsError::Unauthorized);
    };
    if let Some(answer) = cache.get(identity) {
        return answer;
    }
    let event = event(inc, route, params, request_id, Some(identity));
    let answer = match invoker.invoke(authorizer, &event).await {
        Ok(v) => match v["isAuthorized"].as_bool() {
            Some(true) => Ok(v.get("context").cloned().unwrap_or_else(|| json!({}))),
            Some(false) => Err(AwsError::Forbidden),
            None => {
                tracing::error!(%request_id, "the authorizer's answer has no isAuthorized");
                return Err(AwsError::Internal);
            }
        },
        Err((_, _, detail)) => {
            tracing::error!(%request_id, %detail, "the authorizer failed");
            return Err(AwsError::Internal);
        }
    };
    cache.put(identity, answer.clone());
    answer
}
