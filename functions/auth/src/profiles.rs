//! The user service, reached the way the design says: `users-create` through the Lambda
//! Invoke API (locally the Invoke API of `cargo lambda watch`, via `AWS_ENDPOINT_URL_LAMBDA`),
//! with explicit retries and jittered backoff on top of the SDK's own, behind a circuit
//! breaker (`breaker`) that `auth-register` consults before it starts.

use std::time::Duration;

use aws_sdk_lambda::primitives::Blob;
use gymit_shared::{
    breaker::{Breaker, Settings},
    retry::{retry, Attempt, Policy},
    user::User,
};

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
    policy: Policy,
    /// Whether the user service is worth calling (this instance's experience of it).
    pub breaker: Breaker,
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
            .interceptor(gymit_shared::trace::Calls)
            .build();
        Self {
            lambda: aws_sdk_lambda::Client::from_conf(config),
            function,
            // All attempts fit in BUDGET, inside the function's 10 s timeout, so a caller
            // that gives up still has the time to undo the account (auth-register).
            policy: Policy::attempts(3, Duration::from_millis(100)).with_deadline(BUDGET),
            breaker: Breaker::new("users-create", Settings::STANDARD),
        }
    }

    /// Creates (idempotently) the profile of `user`. `Err` carries why the last attempt failed.
    pub async fn create(&self, user: &User, correlation_id: &str) -> Result<(), String> {
        let payload =
            serde_json::json!({ "user": user, "correlation_id": correlation_id }).to_string();
        retry(&self.policy, |turn| {
            let payload = payload.clone();
            async move {
                let call = self
                    .lambda
                    .invoke()
                    .function_name(&self.function)
                    .payload(Blob::new(payload))
                    .send();
                let left = turn.time_left.unwrap_or(ATTEMPT);
                let failure = match tokio::time::timeout(left.min(ATTEMPT), call).await {
                    Ok(Ok(out)) if out.function_error().is_none() && out.status_code() == 200 => {
                        return Ok(Attempt::Done(()))
                    }
                    Ok(Ok(out)) => format!(
                        "users-create answered {} {:?}: {}",
                        out.status_code(),
                        out.function_error(),
                        out.payload()
                            .map(|p| String::from_utf8_lossy(p.as_ref())
                                .chars()
                                .take(200)
                                .collect::<String>())
                            .unwrap_or_default()
                    ),
                    Ok(Err(e)) => format!("invoking users-create failed: {e:?}")
                        .chars()
                        .take(300)
                        .collect(),
                    Err(_) => "invoking users-create timed out".into(),
                };
                tracing::warn!(attempt = turn.number, reason = %failure, "profile creation failed");
                Ok(Attempt::Retry(failure))
            }
        })
        .await
    }
}
