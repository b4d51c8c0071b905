//! Fault injection, local only (nothing like it exists on AWS): makes a function fail on
//! demand, so that retries, on-failure destinations and replay can be tried and tested.
//!
//! `POST /_local/faults` with `{"function": "auth-sync-user", "failures": 3}` makes that
//! function's next 3 invocations through the gateway's invoker (`Invoker::invoke`: routes,
//! the authorizer, SNS deliveries, stream batches, and the functions' own Lambda Invoke
//! calls, which reach the gateway's Invoke API) fail as a function error does (`X-Amz-Function-Error`,
//! `errorType: InjectedFault`) without invoking it. With `"matching": "<text>"` only
//! invocations whose event contains the text count. `"failures": 0` clears the
//! function's fault, `DELETE /_local/faults` clears them all; what is left shows in
//! `GET /_local/status` (`faults`). Like every `/_local/*` endpoint, it answers this
//! machine only (`gateway::local_only`). `gymit-local replay` invokes from its own
//! process, so faults do not reach it.
//!
//! This module is the pending faults and their endpoint; `invoke` consults them, so this
//! module imports none of the others.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::{Arc, Mutex, PoisonError},
};

use axum::{body::Bytes, extract::State, http::StatusCode, Json};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

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

/// The pending faults, one per function at most (a new one replaces the old), for the
/// template's functions.
#[derive(Debug, Default)]
pub struct Faults {
    functions: BTreeSet<String>,
    pending: Mutex<BTreeMap<String, Fault>>,
}

impl Faults {
    /// No faults yet, for these functions (the template's).
    pub fn new(functions: impl IntoIterator<Item = String>) -> Faults {
        Faults {
            functions: functions.into_iter().collect(),
            pending: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Fault>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the template has this function.
    pub fn has_function(&self, binary: &str) -> bool {
        self.functions.contains(binary)
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
pub async fn set(State(faults): State<Arc<Faults>>, body: Bytes) -> (StatusCode, Json<Value>) {
    let fault: Fault = match serde_json::from_slice(&body) {
        Ok(f) => f,
        Err(e) => {
            let message = format!("expected {{\"function\", \"failures\", \"matching\"?}}: {e}");
            return answer(StatusCode::BAD_REQUEST, json!({ "message": message }));
        }
    };
    if !faults.has_function(&fault.function) {
        let message = format!("no function {} in template.yaml", fault.function);
        return answer(StatusCode::NOT_FOUND, json!({ "message": message }));
    }
    tracing::warn!(function = %fault.function, failures = fault.failures, matching = ?fault.matching, "fault injected");
    faults.set(fault);
    answer(StatusCode::OK, json!({ "faults": faults.snapshot() }))
}

/// `DELETE /_local/faults`: clears every fault.
pub async fn clear(State(faults): State<Arc<Faults>>) -> (StatusCode, Json<Value>) {
    faults.clear();
    answer(StatusCode::OK, json!({ "faults": [] }))
}

#[cfg(test)]
mod tests {
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
}
