//! Invoking the template's functions through the Lambda Invoke API of `cargo lambda watch`,
//! as every event source of the local stack does: the HTTP API's routes and authorizer,
//! the WebSocket API, SNS deliveries, stream batches, `gymit-local replay` and the
//! supervisor's warm-up. One `Invoker` holds each function's timeout and concurrency limit,
//! and consults the injected faults (`faults`) before it invokes.

use std::{collections::HashMap, sync::Arc, time::Duration};

use serde_json::Value;

use crate::{faults::Faults, template::Template};

/// A failed invocation: (status, code, detail), the status and code the gateway answers
/// with when it has to.
pub type Failure = (u16, &'static str, String);

pub struct Invoker {
    lambda_url: String,
    http: reqwest::Client,
    timeouts: HashMap<String, u64>,
    /// At most this many invocations of one function at a time (what `cargo lambda watch`
    /// runs per function, `GYMIT_CONCURRENCY`); more wait their turn here, as on AWS they
    /// would wait for a free instance, instead of piling up inside watch, which stalls
    /// every function under a rush of a few hundred requests.
    limits: HashMap<String, Arc<tokio::sync::Semaphore>>,
    /// Failures to inject (`POST /_local/faults`).
    faults: Arc<Faults>,
}

impl Invoker {
    pub fn new(template: &Template, lambda_url: &str) -> Invoker {
        let functions = template.functions();
        Invoker {
            lambda_url: lambda_url.trim_end_matches('/').to_string(),
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(64)
                .build()
                .expect("an HTTP client"),
            timeouts: functions
                .iter()
                .map(|f| (f.binary.clone(), f.timeout_secs))
                .collect(),
            limits: functions
                .iter()
                .map(|f| {
                    let permits = crate::concurrency();
                    (
                        f.binary.clone(),
                        Arc::new(tokio::sync::Semaphore::new(permits)),
                    )
                })
                .collect(),
            faults: Arc::new(Faults::new(functions.iter().map(|f| f.binary.clone()))),
        }
    }

    /// Invokes a function through the Lambda Invoke API.
    pub async fn invoke(&self, binary: &str, payload: &Value) -> Result<Value, Failure> {
        if self.faults.take(binary, payload) {
            tracing::warn!(function = %binary, "injected fault: failing without invoking");
            return Err((
                502,
                "bad_gateway",
                format!("{binary} failed: {}", crate::faults::ERROR),
            ));
        }
        let timeout = Duration::from_secs(self.timeouts.get(binary).copied().unwrap_or(10) + 1);
        let url = format!(
            "{}/2015-03-31/functions/{binary}/invocations",
            self.lambda_url
        );
        let _permit = match self.limits.get(binary) {
            Some(limit) => {
                match tokio::time::timeout(Duration::from_secs(30), limit.clone().acquire_owned())
                    .await
                {
                    Ok(Ok(permit)) => Some(permit),
                    _ => {
                        return Err((
                            429,
                            "rate_limited",
                            format!("{binary} is at its concurrency limit"),
                        ))
                    }
                }
            }
            None => None,
        };
        let res = self
            .http
            .post(url)
            .json(payload)
            .timeout(timeout)
            .send()
            .await;
        let res = match res {
            Ok(r) => r,
            Err(e) if e.is_timeout() => {
                return Err((
                    504,
                    "gateway_timeout",
                    format!("{binary} did not answer in time"),
                ))
            }
            Err(e) => {
                return Err((
                    502,
                    "bad_gateway",
                    format!("{binary} could not be invoked: {e}"),
                ))
            }
        };
        let function_error = res.headers().contains_key("x-amz-function-error");
        let status = res.status();
        let body = res.bytes().await.unwrap_or_default();
        let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        if function_error || !status.is_success() || value.get("errorType").is_some() {
            return Err((
                502,
                "bad_gateway",
                format!(
                    "{binary} failed: {}",
                    String::from_utf8_lossy(&body)
                        .chars()
                        .take(300)
                        .collect::<String>()
                ),
            ));
        }
        Ok(value)
    }

    /// The HTTP client it invokes with (pooled), for the local stack's other calls.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The pending injected faults.
    pub fn faults(&self) -> &Arc<Faults> {
        &self.faults
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::{body::Bytes, extract::State, http::StatusCode, Json};
    use serde_json::json;

    use super::*;
    use crate::faults::{clear, set};

    /// With a fault injected (`POST /_local/faults`), the failures are function errors and
    /// the function is not invoked; then it is again. Unknown functions and malformed faults
    /// are refused.
    #[tokio::test]
    async fn an_injected_fault_fails_without_invoking_then_it_invokes_again() {
        let invoked = Arc::new(AtomicUsize::new(0));
        let count = invoked.clone();
        let lambda = axum::Router::new().route(
            "/2015-03-31/functions/{name}/invocations",
            axum::routing::post(move || {
                let count = count.clone();
                async move {
                    count.fetch_add(1, Ordering::SeqCst);
                    Json(json!({"ok": true}))
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, lambda).await });
        let template = Template::parse(
            "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Metadata: { BuildProperties: { Binary: things-sync } }\n",
        )
        .unwrap();
        let invoker = Invoker::new(&template, &url);
        let faults = || State(invoker.faults().clone());

        let (status, _) = set(faults(), Bytes::from(r#"{"function":"nope","failures":1}"#)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = set(faults(), Bytes::from(r#"{"function":"things-sync"}"#)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, Json(body)) = set(
            faults(),
            Bytes::from(r#"{"function":"things-sync","failures":2}"#),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            body,
            json!({"faults": [{"function": "things-sync", "failures": 2}]})
        );

        for _ in 0..2 {
            let (_, _, detail) = invoker.invoke("things-sync", &json!({})).await.unwrap_err();
            assert!(detail.contains("InjectedFault"), "{detail}");
        }
        assert_eq!(invoked.load(Ordering::SeqCst), 0, "a fault does not invoke");
        assert_eq!(
            invoker.invoke("things-sync", &json!({})).await.unwrap(),
            json!({"ok": true})
        );
        assert_eq!(invoked.load(Ordering::SeqCst), 1);

        let (_, Json(body)) = set(
            faults(),
            Bytes::from(r#"{"function":"things-sync","failures":9}"#),
        )
        .await;
        assert_eq!(body["faults"][0]["failures"], 9);
        let (_, Json(body)) = clear(faults()).await;
        assert_eq!(body, json!({"faults": []}));
        assert!(invoker.faults().snapshot().is_empty());
        assert!(invoker.invoke("things-sync", &json!({})).await.is_ok());
    }
}
