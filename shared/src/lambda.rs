//! `run_event`, the one wrapper every function that is not HTTP runs in (the authorizer, SNS
//! consumers, stream publishers, direct invocations): what `http::run` is to the routes.
//!
//! The state is built once by the binary and shared through an `Arc`. The runtime decodes
//! each payload into the event type the handler takes (an `aws_lambda_events` type, or the
//! function's own struct for a direct invocation), so a payload of the wrong shape fails
//! before the handler runs. Each invocation gets a span naming the function and its request
//! id, one log line with its outcome and duration, a metric line, and its AWS calls traced
//! (`trace`: in Lambda's trace, and in the traces of the events it handles). Handlers are plain
//! async functions of (state, event) so tests call them directly with a sample event.

use std::{fmt::Display, future::Future, sync::Arc, time::Instant};

use lambda_runtime::LambdaEvent;
use serde::{de::DeserializeOwned, Serialize};
use tracing::Instrument;

use crate::metrics;

/// Runs an event function: `handler(state, event)` for every invocation. Its answer is the
/// function's response; its error fails the invocation (so the source retries it) with the
/// error's text as the message.
pub async fn run_event<S, E, R, Er, F, Fut>(
    function: &'static str,
    state: S,
    handler: F,
) -> Result<(), lambda_runtime::Error>
where
    E: DeserializeOwned,
    R: Serialize,
    Er: Display,
    F: Fn(Arc<S>, E) -> Fut + Copy,
    Fut: Future<Output = Result<R, Er>>,
{
    metrics::set_function(function);
    let state = Arc::new(state);
    let runtime = lambda_runtime::run(lambda_runtime::service_fn(move |event: LambdaEvent<E>| {
        let state = state.clone();
        async move { invoke(function, state, event, handler).await }
    }));
    // Boxed: the runtime's future nested in a binary's `main` is deeper than rustc's
    // default layout recursion limit allows.
    Box::pin(runtime).await
}

/// One invocation, outside the Lambda runtime: what `run_event` does per event.
pub async fn invoke<S, E, R, Er, F, Fut>(
    function: &'static str,
    state: Arc<S>,
    event: LambdaEvent<E>,
    handler: F,
) -> Result<R, lambda_runtime::Error>
where
    Er: Display,
    F: Fn(Arc<S>, E) -> Fut,
    Fut: Future<Output = Result<R, Er>>,
{
    let span = tracing::info_span!(
        "invocation",
        function,
        request_id = %event.context.request_id
    );
    let started = Instant::now();
    let trace = event
        .context
        .xray_trace_id
        .as_deref()
        .and_then(crate::trace::TraceHeader::parse);
    let result = crate::trace::Invocation::new(function, trace)
        .run(handler(state, event.payload).instrument(span.clone()))
        .await;
    let elapsed = started.elapsed();
    let duration_ms = elapsed.as_secs_f64() * 1e3;
    metrics::invocation(function, result.is_ok(), elapsed);
    let _enter = span.enter();
    match result {
        Ok(answer) => {
            tracing::info!(duration_ms, "handled");
            Ok(answer)
        }
        Err(err) => {
            tracing::error!(error = %err, duration_ms, "invocation failed");
            Err(err.to_string().into())
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Deserialize)]
    struct Greeting {
        name: String,
    }

    struct Greeter {
        greeting: &'static str,
    }

    fn event(name: &str) -> LambdaEvent<Greeting> {
        let payload = serde_json::from_value(serde_json::json!({ "name": name })).unwrap();
        LambdaEvent::new(payload, lambda_runtime::Context::default())
    }

    async fn greet(state: Arc<Greeter>, event: Greeting) -> Result<String, String> {
        match event.name.as_str() {
            "" => Err("nobody to greet".into()),
            name => Ok(format!("{}, {name}", state.greeting)),
        }
    }

    #[tokio::test]
    async fn the_handler_gets_the_state_and_the_typed_event() {
        let state = Arc::new(Greeter { greeting: "hello" });
        let answer = invoke("greeter", state, event("Ada"), greet).await.unwrap();
        assert_eq!(answer, "hello, Ada");
    }

    #[tokio::test]
    async fn a_handler_error_fails_the_invocation_with_its_text() {
        let state = Arc::new(Greeter { greeting: "hello" });
        let err = invoke("greeter", state, event(""), greet)
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "nobody to greet");
    }
}
