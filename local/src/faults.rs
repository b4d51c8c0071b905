//! Fault injection, local only (nothing like it exists on AWS): makes a function fail on
//! demand, so that retries, on-failure destinations and replay can be tried and tested.
//!
//! `POST /_local/faults` with `{"function": "auth-sync-user", "failures": 3}` makes that
//! function's next 3 invocations through this gateway (`Gateway::invoke`: routes, SNS
//! deliveries, stream batches) fail as a function error does (`X-Amz-Function-Error`,
//! `errorType: InjectedFault`) without invoking it. With `"matching": "<text>"` only
//! invocations whose event contains the text count. `"failures": 0` clears the
//! function's fault, `DELETE /_local/faults` clears them all; what is left shows in
//! `GET /_local/status` (`faults`). Like every `/_local/*` endpoint, it answers this
//! machine only (`gateway::local_only`). `gymit-local replay` invokes from its own
//! process, so faults do not reach it.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex, PoisonError},
};

use axum::{body::Bytes, extract::State, http::StatusCode, Json};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::gateway::Gateway;

/// The function error an injected fault stands for, as Lambda's Invoke API returns one.
pub const ERROR: &str =
    r#"{"errorType":"InjectedFault","errorMessage":"injected by POST /_local/faults"}"#;

/// Failures to come for one function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    pub function: String,
    pub failures: u32,
    /// Only invocations whose event (as JSON text) contains this count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matching: Option<String>,
}

/// The pending faults, one per function at most (a new one replaces the old).
#[derive(Debug, Default)]
pub struct Faults(Mutex<BTreeMap<String, Fault>>);

impl Faults {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Fault>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets a function's fault; zero failures clears it.
    pub fn set(&self, fault: Fault) {
        let mut faults = self.lock();
        if fault.failures == 0 {
            faults.remove(&fault.function);
        } else {
            faults.insert(fault.function.clone(), fault);
        }
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Whether this invocation is to fail; if so, one of the function's failures is used.
    pub fn take(&self, binary: &str, payload: &Value) -> bool {
        let mut faults = self.lock();
        let Some(fault) = faults.get_mut(binary) else {
            return false;
        };
        if let Some(text) = &fault.matching {
            if !payload.to_string().contains(text.as_str()) {
                return false;
            }
        }
        fault.failures -= 1;
        if fault.failures == 0 {
            faults.remove(binary);
        }
        true
    }

    pub fn snapshot(&self) -> Vec<Fault> {
        self.lock().values().cloned().collect()
    }
}

fn answer(status: StatusCode, body: Value) -> (StatusCode, Json<Value>) {
    (status, Json(body))
}

/// `POST /_local/faults`: sets a function's fault; answers the pending faults.
pub async fn set(State(gw): State<Arc<Gateway>>, body: Bytes) -> (StatusCode, Json<Value>) {
    let fault: Fault = match serde_json::from_slice(&body) {
        Ok(f) => f,
        Err(e) => {
            let message = format!("expected {{\"function\", \"failures\", \"matching\"?}}: {e}");
            return answer(StatusCode::BAD_REQUEST, json!({ "message": message }));
        }
    };
    if !gw.has_function(&fault.function) {
        let message = format!("no function {} in template.yaml", fault.function);
        return answer(StatusCode::NOT_FOUND, json!({ "message": message }));
    }
    tracing::warn!(function = %fault.function, failures = fault.failures, matching = ?fault.matching, "fault injected");
    gw.faults.set(fault);
    answer(StatusCode::OK, json!({ "faults": gw.faults.snapshot() }))
}

/// `DELETE /_local/faults`: clears every fault.
pub async fn clear(State(gw): State<Arc<Gateway>>) -> (StatusCode, Json<Value>) {
    gw.faults.clear();
    answer(StatusCode::OK, json!({ "faults": [] }))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn fault(function: &str, failures: u32, matching: Option<&str>) -> Fault {
        Fault {
            function: function.into(),
            failures,
            matching: matching.map(Into::into),
        }
    }

    #[test]
    fn a_fault_fails_its_count_of_matching_invocations_then_is_gone() {
        let faults = Faults::default();
        faults.set(fault("f", 2, Some("u-1")));
        faults.set(fault("g", 1, None));
        assert!(!faults.take("f", &json!({"user": "u-2"})), "not matching");
        assert!(!faults.take("h", &json!({})), "another function");
        assert!(faults.take("f", &json!({"user": "u-1"})));
        assert_eq!(faults.snapshot()[0], fault("f", 1, Some("u-1")));
        assert!(faults.take("f", &json!({"Message": "{\"user\":\"u-1\"}"})));
        assert!(!faults.take("f", &json!({"user": "u-1"})), "used up");
        assert_eq!(faults.snapshot(), vec![fault("g", 1, None)]);
        faults.set(fault("g", 0, None));
        assert!(faults.snapshot().is_empty(), "zero failures clears it");
        faults.set(fault("g", 5, None));
        faults.clear();
        assert!(!faults.take("g", &json!({})));
    }

    /// Through the gateway: the failures are function errors and the function is not
    /// invoked; then it is again. Unknown functions and malformed faults are refused.
    #[tokio::test]
    async fn the_gateway_fails_without_invoking_then_invokes_again() {
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
        let template = crate::template::Template::parse(
            "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Metadata: { BuildProperties: { Binary: things-sync } }\n",
        )
        .unwrap();
        let gw = Arc::new(Gateway::new(&template, &url));

        let (status, _) = set(
            State(gw.clone()),
            Bytes::from(r#"{"function":"nope","failures":1}"#),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = set(
            State(gw.clone()),
            Bytes::from(r#"{"function":"things-sync"}"#),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, Json(body)) = set(
            State(gw.clone()),
            Bytes::from(r#"{"function":"things-sync","failures":2}"#),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            body,
            json!({"faults": [{"function": "things-sync", "failures": 2}]})
        );

        for _ in 0..2 {
            let (_, _, detail) = gw.invoke("things-sync", &json!({})).await.unwrap_err();
            assert!(detail.contains("InjectedFault"), "{detail}");
        }
        assert_eq!(invoked.load(Ordering::SeqCst), 0, "a fault does not invoke");
        assert_eq!(
            gw.invoke("things-sync", &json!({})).await.unwrap(),
            json!({"ok": true})
        );
        assert_eq!(invoked.load(Ordering::SeqCst), 1);

        let (_, Json(body)) = set(
            State(gw.clone()),
            Bytes::from(r#"{"function":"things-sync","failures":9}"#),
        )
        .await;
        assert_eq!(body["faults"][0]["failures"], 9);
        let (_, Json(body)) = clear(State(gw.clone())).await;
        assert_eq!(body, json!({"faults": []}));
        assert!(gw.faults.snapshot().is_empty());
        assert!(gw.invoke("things-sync", &json!({})).await.is_ok());
    }
}
