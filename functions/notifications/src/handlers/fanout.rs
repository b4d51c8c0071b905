//! `notifications-fanout` (SNS `tournament-events`): posts each tournament event to every
//! connection subscribed to its tournament (and `tournament.*` events to the lobby) through
//! the WebSocket API's `@connections` endpoint. A `tournament.*` event also makes sure its
//! tournament is recorded as known, which is how `$default` tells a tournament from an id
//! that names none without reading the tournament service's table.
//!
//! Per event: parse (its kind), decide (its recipients, `store::recipients`; its shards),
//! commit (the posts), answer (the report).
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
//! **Shards** (issue 31): an event with more recipients than `FANOUT_SHARD_SIZE` is split
//! into shards of at most that many; this invocation posts the first, and every other one
//! is posted at the same time by an invocation of `notifications-fanout-shard`
//! (`FANOUT_SHARD_FUNCTION`), so 10,000 spectators are 20 invocations posting 500 each in
//! parallel instead of one posting 10,000. A shard that cannot be handed over (throttled,
//! failed) is posted here, after the others: slower, never lost.
//!
//! Posts run concurrently, at most `concurrency` at a time per invocation, each bounded by
//! the post timeout (`management`), so a slow or dead socket delays no one else by more
//! than that. A gone connection (410) is removed with its subscriptions; other failures are
//! retried twice and then logged, and never stop the others. Only a failure to read the
//! subscribers or to record the tournament fails the invocation (and so is retried).

use std::time::Duration;

use aws_sdk_apigatewaymanagement::primitives::Blob;
use futures::{stream, StreamExt};
use gymit_shared::{
    config,
    events::{sns_messages, SnsEvent},
};

pub use crate::management::Report;
use crate::{
    management::{ConnectionsApi, Delivery},
    messages::{event_frame, EventKind},
    shards::{ShardJob, Shards},
    store::ConnectionsStore,
};

/// Posts in flight per invocation (per shard).
pub const CONCURRENCY: usize = 64;
/// Recipients per shard unless `FANOUT_SHARD_SIZE` says otherwise.
pub const DEFAULT_SHARD_SIZE: usize = 250;

/// What posting needs: the connections (to remove gone ones), `@connections`, and how many
/// posts may be in flight at once. `notifications-fanout-shard`'s whole state.
pub struct Poster {
    pub store: ConnectionsStore,
    pub api: ConnectionsApi,
    pub concurrency: usize,
}

impl Poster {
    pub async fn new(store: ConnectionsStore, endpoint: &str, post_timeout: Duration) -> Self {
        Self {
            store,
            api: ConnectionsApi::new(endpoint, post_timeout).await,
            concurrency: CONCURRENCY,
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

    /// Posts `frame` to every one of `connection_ids`, `concurrency` at a time; a gone
    /// connection is removed as soon as it is found gone.
    pub async fn post_all(&self, connection_ids: &[String], frame: &Blob) -> Report {
        let deliveries: Vec<Delivery> = stream::iter(connection_ids)
            .map(|id| self.post_one(id, frame))
            .buffer_unordered(self.concurrency.max(1))
            .collect()
            .await;
        let mut report = Report::default();
        deliveries.into_iter().for_each(|d| report.count(d));
        report
    }

    async fn post_one(&self, connection_id: &str, frame: &Blob) -> Delivery {
        let delivery = self.api.post(connection_id, frame).await;
        if delivery == Delivery::Gone {
            if let Err(e) = self.store.remove_connection(connection_id).await {
                tracing::warn!(%connection_id, error = %e, "removing a gone connection failed");
            }
        }
        delivery
    }
}

/// The fan-out's state: the poster, and the shard function when one is configured.
pub struct Fanout {
    pub poster: Poster,
    pub shards: Option<Shards>,
}

impl Fanout {
    /// A fan-out that posts every recipient itself (no shard function).
    pub async fn new(store: ConnectionsStore, endpoint: &str, post_timeout: Duration) -> Self {
        Self {
            poster: Poster::new(store, endpoint, post_timeout).await,
            shards: None,
        }
    }

    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let function = Some(config::or("FANOUT_SHARD_FUNCTION", "")).filter(|f| !f.is_empty());
        let shards = match function {
            Some(function) => Some(Shards::new(
                aws_sdk_lambda::Client::new(&gymit_shared::aws::sdk_config().await),
                function,
                config::parsed_or("FANOUT_SHARD_SIZE", DEFAULT_SHARD_SIZE)?,
            )),
            None => None,
        };
        Ok(Self {
            poster: Poster::from_env().await?,
            shards,
        })
    }
}

pub async fn handle(state: &Fanout, event: SnsEvent) -> Result<Report, String> {
    let mut report = Report::default();
    for e in sns_messages(&event) {
        if e.entity.0 != "tournament_id" {
            tracing::warn!(event_id = %e.event_id, "not a tournament event: skipped");
            continue;
        }
        let kind = EventKind::of(&e.event_type);
        let recipients = state
            .poster
            .store
            .recipients(kind, &e.entity.1)
            .await
            .map_err(|err| err.to_string())?;
        let frame = event_frame(&e).to_string();
        let (this, shards) = post_in_shards(state, &e.event_id, &recipients, frame).await;
        tracing::info!(
            event_id = %e.event_id,
            event_type = %e.event_type,
            tournament_id = %e.entity.1,
            subscribers = recipients.len(),
            shards,
            delivered = this.delivered,
            gone = this.gone,
            failed = this.failed,
            "fanned out"
        );
        report.add(&this);
        report.events += 1;
    }
    Ok(report)
}

/// Posts `frame` to `recipients`: the first shard here, the others by the shard function at
/// the same time (any it cannot take, here afterwards). The report and the shard count.
async fn post_in_shards(
    state: &Fanout,
    event_id: &str,
    recipients: &[String],
    frame: String,
) -> (Report, usize) {
    let size = state
        .shards
        .as_ref()
        .map_or(recipients.len().max(1), |s| s.size);
    let mut parts = recipients.chunks(size);
    let first = parts.next().unwrap_or_default();
    let others: Vec<&[String]> = parts.collect();
    let blob = Blob::new(frame.clone());
    let handed_over = futures::future::join_all(others.iter().map(|part| {
        let job = ShardJob {
            event_id: event_id.to_string(),
            frame: frame.clone(),
            connection_ids: part.to_vec(),
        };
        async move {
            match &state.shards {
                Some(shards) => shards.post(&job).await.map_err(|e| (e, job)),
                None => Err(("no shard function".to_string(), job)),
            }
        }
    }));
    let (mine, handed_over) = futures::join!(state.poster.post_all(first, &blob), handed_over);
    let mut report = mine;
    for outcome in handed_over {
        match outcome {
            Ok(shard) => report.add(&shard),
            Err((why, job)) => {
                tracing::warn!(%event_id, error = %why, recipients = job.connection_ids.len(), "a shard could not be handed over: posting it here");
                report.add(&state.poster.post_all(&job.connection_ids, &blob).await);
            }
        }
    }
    (report, others.len() + 1)
}
