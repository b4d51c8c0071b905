//! The end-to-end harness: a client for the local stack that `gymit-local test-env` (what
//! `make test` runs) started on free ports, or for any stack named by `GYMIT_URL` (e.g. a
//! `make dev` in another terminal). Tests drive it exactly as a client would: over HTTP
//! through the gateway, and over WebSocket.

use std::time::Duration;

use reqwest::{header::HeaderMap, Method, StatusCode};
use serde_json::Value;

pub struct Stack {
    pub url: String,
    pub lambda_url: String,
    pub http: reqwest::Client,
}

/// An answer, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The problem's `code`, asserting the response is problem+json.
    pub fn problem_code(&self) -> &str {
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "not a problem: {self:?}"
        );
        assert_eq!(self.body["status"], self.status.as_u16(), "{self:?}");
        assert!(self.body["request_id"].is_string(), "{self:?}");
        self.body["code"].as_str().unwrap_or_default()
    }
}

impl Stack {
    /// The stack under test; fails loudly when none is configured rather than skipping.
    pub fn get() -> Stack {
        let url = std::env::var("GYMIT_URL").expect(
            "GYMIT_URL is not set: run the tests with `make test` (which starts a local stack) \
             or point GYMIT_URL at a running `make dev`",
        );
        let lambda_url =
            std::env::var("GYMIT_LAMBDA_URL").unwrap_or_else(|_| "http://127.0.0.1:9000".into());
        Stack {
            url: url.trim_end_matches('/').to_string(),
            lambda_url,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("an HTTP client"),
        }
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut req = self.http.request(method, format!("{}{}", self.url, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await.expect("the gateway answers");
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get_json(&self, path: &str, token: Option<&str>) -> Answer {
        self.send(Method::GET, path, token, None, &[]).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.send(Method::POST, path, token, Some(body), &[]).await
    }

    /// Invokes a function directly through the Lambda Invoke API (cargo lambda watch).
    pub async fn invoke(&self, function: &str, payload: &Value) -> Value {
        let res = self
            .http
            .post(format!(
                "{}/2015-03-31/functions/{function}/invocations",
                self.lambda_url
            ))
            .json(payload)
            .send()
            .await
            .expect("the Lambda invoke API answers");
        res.json().await.unwrap_or(Value::Null)
    }
}

/// A unique email for a test user.
pub fn unique_email(prefix: &str) -> String {
    format!("{prefix}-{}@example.com", uuid::Uuid::now_v7().simple())
}

/// Median and 99th percentile of durations in milliseconds.
pub fn percentiles(mut samples: Vec<f64>) -> (f64, f64) {
    samples.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.99))
}
