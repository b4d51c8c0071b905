//! `notifications-fanout` (SNS `tournament-events`): posts each tournament event to every
//! connection subscribed to its tournament (and `tournament.*` events to the lobby) through
//! the WebSocket API's `@connections` endpoint. A `tournament.*` event also makes sure its
//! tournament is recorded as known, which is how `$default` tells a tournament from an id
//! that names none without reading the tournament service's table.
//!
//! DynamoDB requests per event: a `participant.*` or `match.*` event, one Query (the
//! tournament's subscribers). A `tournament.created`, a PutItem (the tournament is known)
//! and the lobby's Query: nobody can follow a tournament before it is known, so there are
//! no subscribers to look for, unless it was known already (a redelivery, or another
//! `tournament.*` event got there first: then its Query too). Any other `tournament.*`
//! event, one Query of the tournament's partition (its subscribers, and whether it is
//! known) and the lobby's; if the tournament was not known (its `tournament.created` was
//! lost), a PutItem too, so it heals itself.
//!
//! Posts run concurrently, at most `concurrency` at a time, each bounded by `post_timeout`,
//! so a slow or dead socket delays no one else by more than that. A `GoneException` (410)
//! removes the connection and its subscriptions; other failures are retried twice and then
//! logged, and never stop the others. Only a failure to read the subscribers or to record
//! the tournament fails the invocation (and so is retried).

use std::time::Duration;

use aws_sdk_apigatewaymanagement::{
    config::{retry::RetryConfig, timeout::TimeoutConfig},
    error::SdkError,
    primitives::Blob,
    Client,
};
use futures::{stream, StreamExt};
use gymit_shared::{
    config,
    dynamo::StoreError,
    events::{sns_messages, SnsEvent},
    metrics,
    retry::{retry, Attempt, Policy},
};
use serde::Serialize;

use crate::{
    messages::{creates_tournament, event_frame, goes_to_lobby, LOBBY},
    store::ConnectionsStore,
};

pub struct Fanout {
    pub store: ConnectionsStore,
    pub api: Client,
    pub post_timeout: Duration,
    pub concurrency: usize,
}

impl Fanout {
    /// The management client for `endpoint` (on AWS
    /// `https://{api-id}.execute-api.{region}.amazonaws.com/{stage}`), with this module's
    /// retries and timeout instead of the SDK's, which would hold a slot for seconds.
    pub async fn new(store: ConnectionsStore, endpoint: &str, post_timeout: Duration) -> Self {
        let sdk = gymit_shared::aws::sdk_config().await;
        let api = aws_sdk_apigatewaymanagement::config::Builder::from(&sdk)
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
        Self {
            store,
            api: Client::from_conf(api),
            post_timeout,
            concurrency: 64,
        }
    }

    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let endpoint = config::required("WEBSOCKET_API_ENDPOINT")?;
        let timeout_ms = config::parsed_or("FANOUT_POST_TIMEOUT_MS", 2000u64)?;
        Ok(Self::new(
            crate::store_from_env().await?,
            &endpoint,
            Duration::from_millis(timeout_ms),
        )
        .await)
    }
}

/// What one invocation did, for its log line and for tests.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub events: usize,
    pub delivered: usize,
    pub gone: usize,
    pub failed: usize,
}

enum Outcome {
    Delivered,
    Gone,
    Failed,
}

pub async fn handle(state: &Fanout, event: SnsEvent) -> Result<Report, String> {
    let mut report = Report::default();
    for e in sns_messages(&event) {
        if e.entity.0 != "tournament_id" {
            tracing::warn!(event_id = %e.event_id, "not a tournament event: skipped");
            continue;
        }
        if let Some(trace) = &e.trace {
            gymit_shared::trace::link(trace);
        }
        let recipients = recipients(&state.store, &e.event_type, &e.entity.1)
            .await
            .map_err(|err| err.to_string())?;
        let frame = Blob::new(event_frame(&e).to_string());
        let outcomes: Vec<Outcome> = stream::iter(recipients.iter())
            .map(|id| deliver(state, id, frame.clone()))
            .buffer_unordered(state.concurrency.max(1))
            .collect()
            .await;
        report.events += 1;
        let mut this = Report::default();
        for o in outcomes {
            match o {
                Outcome::Delivered => this.delivered += 1,
                Outcome::Gone => this.gone += 1,
                Outcome::Failed => this.failed += 1,
            }
        }
        tracing::info!(
            event_id = %e.event_id,
            event_type = %e.event_type,
            tournament_id = %e.entity.1,
            subscribers = recipients.len(),
            delivered = this.delivered,
            gone = this.gone,
            failed = this.failed,
            "fanned out"
        );
        record(&e, &this);
        report.delivered += this.delivered;
        report.gone += this.gone;
        report.failed += this.failed;
    }
    Ok(report)
}

/// The event's posts by outcome, and the time from its commit (`occurred_at`, written in
/// the same transaction as the change) to now, when its last post is done.
fn record(e: &gymit_shared::events::Event, posts: &Report) {
    for (outcome, n) in [
        ("delivered", posts.delivered),
        ("gone", posts.gone),
        ("failed", posts.failed),
    ] {
        if n > 0 {
            metrics::count("fanout_posts_total", n as f64, &[("outcome", outcome)]);
        }
    }
    if let Some(since) = gymit_shared::time::since(&e.occurred_at) {
        metrics::seconds(
            "event_delivery_seconds",
            since,
            &[("event_type", &e.event_type)],
        );
    }
}

/// Who receives an event of `event_type` about tournament `tid`, each once; records the
/// tournament as known on the way when the event says it exists.
async fn recipients(
    store: &ConnectionsStore,
    event_type: &str,
    tid: &str,
) -> Result<Vec<String>, StoreError> {
    if !goes_to_lobby(event_type) {
        return store.subscribers(tid).await;
    }
    let mut recipients = if creates_tournament(event_type) {
        if store.remember_tournament(tid).await? {
            Vec::new()
        } else {
            store.subscribers(tid).await?
        }
    } else {
        let audience = store.audience(tid).await?;
        if !audience.tournament_known {
            tracing::warn!(tournament_id = %tid, "tournament not known before: recorded now");
            store.remember_tournament(tid).await?;
        }
        audience.subscribers
    };
    recipients.extend(store.subscribers(LOBBY).await?);
    recipients.sort();
    recipients.dedup();
    Ok(recipients)
}

/// Posting to one connection: three tries, 25 ms base.
const POSTS: Policy = Policy::attempts(3, Duration::from_millis(25));

/// Posts one frame to one connection: a 410 removes the connection, a timeout gives up
/// (the socket is too slow to wait for), anything else is tried up to three times.
async fn deliver(state: &Fanout, connection_id: &str, frame: Blob) -> Outcome {
    let posted = retry(&POSTS, |turn| {
        let frame = frame.clone();
        async move {
            let post = state
                .api
                .post_to_connection()
                .connection_id(connection_id)
                .data(frame)
                .send();
            let err = match tokio::time::timeout(state.post_timeout, post).await {
                Ok(Ok(_)) => return Ok(Attempt::Done(Outcome::Delivered)),
                Ok(Err(err)) => err,
                Err(_) => {
                    tracing::warn!(%connection_id, "post timed out");
                    return Err(Outcome::Failed);
                }
            };
            // The SDK's own timer (the same budget) usually fires before ours: a timeout
            // either way means this socket is too slow to wait for again.
            let timed_out = match &err {
                SdkError::TimeoutError(_) => true,
                SdkError::DispatchFailure(e) => e.is_timeout(),
                _ => false,
            };
            if timed_out {
                tracing::warn!(%connection_id, "post timed out");
                return Err(Outcome::Failed);
            }
            let status = err.raw_response().map(|r| r.status().as_u16());
            if status == Some(410)
                || err
                    .as_service_error()
                    .is_some_and(|e| e.is_gone_exception())
            {
                if let Err(e) = state.store.remove_connection(connection_id).await {
                    tracing::warn!(%connection_id, error = %e, "removing a gone connection failed");
                }
                return Ok(Attempt::Done(Outcome::Gone));
            }
            let detail = aws_sdk_apigatewaymanagement::error::DisplayErrorContext(&err);
            // 5xx, throttling and no answer at all are worth another try; other refusals
            // (forbidden, payload too large) would fail the same way again.
            if !status.is_none_or(|s| s == 429 || s >= 500) {
                tracing::warn!(%connection_id, error = %detail, "post refused");
                return Err(Outcome::Failed);
            }
            tracing::warn!(%connection_id, attempt = turn.number, error = %detail, "post failed");
            Ok(Attempt::Retry(Outcome::Failed))
        }
    })
    .await;
    posted.unwrap_or_else(|failed| failed)
}
