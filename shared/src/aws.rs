//! SDK configuration, built once per process. The endpoint comes from the standard
//! `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` variables, so the same binary talks to
//! AWS or to the local emulator without a code path for either. Locally the credentials and
//! region come from the environment, which the default chain reads before it would ever
//! probe the instance metadata service.

use std::time::Duration;

use aws_config::{retry::RetryConfig, timeout::TimeoutConfig, BehaviorVersion, SdkConfig};

use crate::trace::Calls;

/// Standard retries (exponential backoff with jitter) and timeouts that keep a request
/// well inside the function's own timeout.
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(20)),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(1))
                .operation_attempt_timeout(Duration::from_secs(3))
                .operation_timeout(Duration::from_secs(8))
                .build(),
        )
        .load()
        .await
}

/// Every client records its calls in the invocation's trace (`trace::Calls`).
pub async fn dynamodb() -> aws_sdk_dynamodb::Client {
    let sdk = sdk_config().await;
    aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&sdk)
            .interceptor(Calls)
            .build(),
    )
}

pub fn sns(sdk: &SdkConfig) -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::from_conf(
        aws_sdk_sns::config::Builder::from(sdk)
            .interceptor(Calls)
            .build(),
    )
}
