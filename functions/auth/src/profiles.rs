//! The user service, reached the way the design says: `users-create` through the Lambda
//! Invoke API (locally the Invoke API of `cargo lambda watch`, via `AWS_ENDPOINT_URL_LAMBDA`),
//! with explicit retries and jittered backoff on top of the SDK's own.

use std::time::Duration;

use aws_sdk_lambda::primitives::Blob;
use gymit_shared::user::User;

/// How long profile creation may take in all: inside the function's 10 s timeout, with
/// time left to undo the account (auth-register).
const BUDGET: Duration = Duration::from_secs(8);
/// One invoke may include the cold start of a `users-create` instance: on AWS tens of
/// milliseconds, on a loaded laptop seconds. An attempt cut short is still running and
/// `users-create` is idempotent, so a retry is safe but only adds load: wait long enough
/// for a cold start before trying again.
const ATTEMPT: Duration = Duration::from_secs(6);

pub struct Profiles {
    lambda: aws_sdk_lambda::Client,
    function: String,
    attempts: u32,
}

impl Profiles {
    pub fn new(lambda: aws_sdk_lambda::Client, function: String) -> Self {
        // The shared SDK timeouts (3 s an attempt) suit DynamoDB calls, not an invoke that
        // may start an instance: the attempts here are timed by ATTEMPT and BUDGET instead.
        let config = lambda
            .config()
            .to_builder()
            .timeout_config(
                aws_sdk_lambda::config::timeout::TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(1))
                    .operation_attempt_timeout(ATTEMPT)
                    .operation_timeout(BUDGET)
                    .build(),
            )
            .retry_config(
                aws_sdk_lambda::config::retry::RetryConfig::standard().with_max_attempts(1),
            )
            .build();
        Self {
            lambda: aws_sdk_lambda::Client::from_conf(config),
            function,
            attempts: 3,
        }
    }

    /// Creates (idempotently) the profile of `user`. `Err` carries why the last attempt failed.
    pub async fn create(&self, user: &User, correlation_id: &str) -> Result<(), String> {
        let payload = serde_json::json!({ "user": user, "correlation_id": correlation_id });
        // All attempts fit in BUDGET, inside the function's 10 s timeout, so a caller that
        // gives up still has the time to undo the account (auth-register).
        let deadline = tokio::time::Instant::now() + BUDGET;
        let mut last = String::new();
        for attempt in 0..self.attempts {
            if attempt > 0 {
                tokio::time::sleep(gymit_shared::retry::jittered(100, attempt)).await;
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                break;
            }
            let call = self
                .lambda
                .invoke()
                .function_name(&self.function)
                .payload(Blob::new(payload.to_string()))
                .send();
            match tokio::time::timeout(left.min(ATTEMPT), call).await {
                Ok(Ok(out)) if out.function_error().is_none() && out.status_code() == 200 => {
                    return Ok(())
                }
                Ok(Ok(out)) => {
                    last = format!(
                        "users-create answered {} {:?}: {}",
                        out.status_code(),
                        out.function_error(),
                        out.payload()
                            .map(|p| String::from_utf8_lossy(p.as_ref())
                                .chars()
                                .take(200)
                                .collect::<String>())
                            .unwrap_or_default()
                    )
                }
                Ok(Err(e)) => {
                    last = format!("invoking users-create failed: {e:?}")
                        .chars()
                        .take(300)
                        .collect()
                }
                Err(_) => last = "invoking users-create timed out".into(),
            }
            tracing::warn!(attempt, reason = %last, "profile creation failed");
        }
        Err(last)
    }
}
