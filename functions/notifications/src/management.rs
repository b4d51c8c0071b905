//! The WebSocket API's `@connections` endpoint (API Gateway's management API), the only
//! way the notification functions reach a client: one post of one frame to one connection,
//! sorted into what the fan-out acts on. Not for deciding who receives what (the fan-out
//! handlers) nor for the connections table (`store`).
//!
//! Each post is bounded by `post_timeout`, and the SDK's own retries are off: this module
//! retries (`POSTS`), so a slow or dead socket holds a fan-out slot for one timeout, not
//! for the SDK's seconds of backoff. `post_all` posts one frame to many connections with
//! bounded concurrency and says which were gone; removing those is the caller's.

use std::time::Duration;

use aws_sdk_apigatewaymanagement::{
    config::{http::HttpResponse, retry::RetryConfig, timeout::TimeoutConfig},
    error::SdkError,
    operation::post_to_connection::PostToConnectionError,
    primitives::Blob,
    Client,
};
use futures::{stream, StreamExt};
use gymit_shared::retry::{retry, Attempt, Policy};
use serde::{Deserialize, Serialize};

/// What became of one frame sent to one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Delivered,
    /// 410 `GoneException`: the client has left; its items should go.
    Gone,
    /// Refused, timed out, or still failing after the retries: logged, the others go on.
    Failed,
}

/// Posting to one connection: three tries, 25 ms base.
const POSTS: Policy = Policy::attempts(3, Duration::from_millis(25));

/// A client of one WebSocket API stage's `@connections`.
#[derive(Clone)]
pub struct ConnectionsApi {
    client: Client,
    post_timeout: Duration,
}

impl ConnectionsApi {
    /// The management client for `endpoint` (on AWS
    /// `https://{api-id}.execute-api.{region}.amazonaws.com/{stage}`), with this module's
    /// retries and timeout instead of the SDK's.
    pub async fn new(endpoint: &str, post_timeout: Duration) -> Self {
        let sdk = gymit_shared::aws::sdk_config().await;
        let config = aws_sdk_apigatewaymanagement::config::Builder::from(&sdk)
            .endpoint_url(endpoint)
            .retry_config(RetryConfig::disabled())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(post_timeout.min(Duration::from_secs(1)))
                    .operation_timeout(post_timeout)
                    .build(),
            )
            .interceptor(gymit_shared::trace::Calls)
            .build();
        Self::from_client(Client::from_conf(config), post_timeout)
    }

    /// A client built elsewhere (tests point one at a closed port).
    pub fn from_client(client: Client, post_timeout: Duration) -> Self {
        Self {
            client,
            post_timeout,
        }
    }

    /// Posts one frame to one connection: a 410 is `Gone`, a timeout gives up at once (the
    /// socket is too slow to wait for again), 5xx, 429 and no answer at all are tried up
    /// to three times, any other refusal (forbidden, payload too large) is `Failed` at once.
    pub async fn post(&self, connection_id: &str, frame: &Blob) -> Delivery {
        let posted = retry(&POSTS, |turn| async move {
            match self.post_once(connection_id, frame).await {
                Ok(()) => Ok(Attempt::Done(Delivery::Delivered)),
                Err(PostError::Gone) => Ok(Attempt::Done(Delivery::Gone)),
                Err(PostError::TimedOut) => {
                    tracing::warn!(%connection_id, "post timed out");
                    Err(Delivery::Failed)
                }
                Err(PostError::Refused(detail)) => {
                    tracing::warn!(%connection_id, error = %detail, "post refused");
                    Err(Delivery::Failed)
                }
                Err(PostError::Transient(detail)) => {
                    tracing::warn!(%connection_id, attempt = turn.number, error = %detail, "post failed");
                    Ok(Attempt::Retry(Delivery::Failed))
                }
            }
        })
        .await;
        posted.unwrap_or_else(|failed| failed)
    }

    /// Posts `frame` to every one of `connection_ids`, at most `concurrency` at a time: what
    /// became of them, and the ids of those that were gone.
    pub async fn post_all(
        &self,
        connection_ids: &[String],
        frame: &Blob,
        concurrency: usize,
    ) -> Posted {
        // Owned ids: a closure over borrowed ones makes the future not `Send` in general
        // (a higher-ranked lifetime), which an axum or Lambda handler needs.
        let deliveries: Vec<(String, Delivery)> = stream::iter(connection_ids.iter().cloned())
            .map(|id| async move {
                let delivery = self.post(&id, frame).await;
                (id, delivery)
            })
            .buffer_unordered(concurrency.max(1))
            .collect()
            .await;
        let mut posted = Posted::default();
        for (id, delivery) in deliveries {
            posted.report.count(delivery);
            if delivery == Delivery::Gone {
                posted.gone.push(id);
            }
        }
        posted
    }

    async fn post_once(&self, connection_id: &str, frame: &Blob) -> Result<(), PostError> {
        let post = self
            .client
            .post_to_connection()
            .connection_id(connection_id)
            .data(frame.clone())
            .send();
        match tokio::time::timeout(self.post_timeout, post).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(err)) => Err(PostError::of(&err)),
            Err(_) => Err(PostError::TimedOut),
        }
    }
}

/// Why one post did not deliver, sorted once from the SDK's error.
enum PostError {
    Gone,
    TimedOut,
    Refused(String),
    Transient(String),
}

type PostSdkError = SdkError<PostToConnectionError, HttpResponse>;

impl PostError {
    fn of(err: &PostSdkError) -> Self {
        // The SDK's own timer (the same budget) usually fires before ours: a timeout
        // either way means this socket is too slow to wait for again.
        let timed_out = match err {
            SdkError::TimeoutError(_) => true,
            SdkError::DispatchFailure(e) => e.is_timeout(),
            _ => false,
        };
        if timed_out {
            return PostError::TimedOut;
        }
        let status = err.raw_response().map(|r| r.status().as_u16());
        if status == Some(410)
            || err
                .as_service_error()
                .is_some_and(|e| e.is_gone_exception())
        {
            return PostError::Gone;
        }
        let detail = aws_sdk_apigatewaymanagement::error::DisplayErrorContext(err).to_string();
        if status.is_none_or(|s| s == 429 || s >= 500) {
            PostError::Transient(detail)
        } else {
            PostError::Refused(detail)
        }
    }
}

/// What posting one frame to many connections did: the counts, and who was gone.
#[derive(Debug, Default)]
pub struct Posted {
    pub report: Report,
    pub gone: Vec<String>,
}

/// What a fan-out (or one shard of it) did: events handled and frames delivered, to gone
/// connections, and failed. The answer of `notifications-fanout` and its shards.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub events: usize,
    pub delivered: usize,
    pub gone: usize,
    pub failed: usize,
}

impl Report {
    pub fn count(&mut self, d: Delivery) {
        match d {
            Delivery::Delivered => self.delivered += 1,
            Delivery::Gone => self.gone += 1,
            Delivery::Failed => self.failed += 1,
        }
    }

    pub fn add(&mut self, other: &Report) {
        self.events += other.events;
        self.delivered += other.delivered;
        self.gone += other.gone;
        self.failed += other.failed;
    }
}
