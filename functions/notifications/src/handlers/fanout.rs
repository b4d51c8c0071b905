//! `notifications-fanout` (SNS `tournament-events`): posts each tournament event to every
//! connection subscribed to its tournament (and `tournament.*` events to the lobby) through
//! the WebSocket API's `@connections` endpoint. A `tournament.*` event also makes sure its
//! tournament is recorded as known, which is how `$default` tells a tournament from an id
//! that names none without reading the tournament service's table.
//!
//! Per event: parse (its kind), decide (its recipients, `store::recipients`, and its
//! shards, `shards::split`), commit (the posts, `post_in_shards`), answer (the log line,
//! the metrics, the report).
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
//! (`FANOUT_SHARD_FUNCTION`), so 10,000 spectators are 40 invocations posting 250 each in
//! parallel instead of one posting 10,000. A shard that cannot be handed over (throttled,
//! failed) is posted here, after the others: slower, never lost.
//!
//! Posts run concurrently, at most `concurrency` at a time per invocation, each bounded by
//! the post timeout (`management`), so a slow or dead socket delays no one else by more
//! than that. A gone connection (410) is removed with its subscriptions; other failures are
//! retried twice and then logged, and never stop the others. Only a failure to read the
//! subscribers or to record the tournament fails the invocation (and so is retried).

use aws_sdk_apigatewaymanagement::primitives::Blob;
use futures::{stream, StreamExt};
use gymit_shared::{
    events::{sns_messages, Event, SnsEvent},
    metrics,
};

pub use crate::{management::Report, Fanout, Poster};
use crate::{
    messages::{event_frame, EventKind},
    shards::{self, ShardJob},
};

/// Gone connections removed at a time (one Query and one batch of deletes each).
const REMOVALS: usize = 8;

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
        let tid = &e.entity.1;
        let recipients = state
            .poster
            .store
            .recipients(EventKind::of(&e.event_type), tid)
            .await
            .map_err(|err| err.to_string())?;
        let (here, elsewhere) = shards::split(&recipients, state.shard_size(recipients.len()));
        let this = post_in_shards(state, &e, here, &elsewhere).await;
        tracing::info!(
            event_id = %e.event_id,
            event_type = %e.event_type,
            tournament_id = %tid,
            subscribers = recipients.len(),
            shards = elsewhere.len() + 1,
            delivered = this.delivered,
            gone = this.gone,
            failed = this.failed,
            "fanned out"
        );
        record(&e, &this);
        report.add(&this);
        report.events += 1;
    }
    Ok(report)
}

/// Posts the event to `here` in this invocation while the shard function posts each of
/// `elsewhere` at the same time; a shard it cannot take is posted here afterwards.
async fn post_in_shards(
    state: &Fanout,
    e: &Event,
    here: &[String],
    elsewhere: &[&[String]],
) -> Report {
    let frame = event_frame(e).to_string();
    let blob = Blob::new(frame.clone());
    let handed_over = futures::future::join_all(elsewhere.iter().map(|part| {
        let job = ShardJob {
            event_id: e.event_id.clone(),
            frame: frame.clone(),
            connection_ids: part.to_vec(),
        };
        async move {
            let outcome = match &state.shards {
                Some(shards) => shards.post(&job).await,
                None => Err("no shard function".to_string()),
            };
            outcome.map_err(|why| (why, job))
        }
    }));
    let (mut report, handed_over) = futures::join!(post(&state.poster, here, &blob), handed_over);
    for outcome in handed_over {
        match outcome {
            Ok(shard) => report.add(&shard),
            Err((why, job)) => {
                tracing::warn!(event_id = %e.event_id, error = %why, recipients = job.connection_ids.len(), "a shard could not be handed over: posting it here");
                report.add(&post(&state.poster, &job.connection_ids, &blob).await);
            }
        }
    }
    report
}

/// Posts `frame` to each of `connection_ids` and removes the connections found gone: the
/// fan-out's own part and a whole shard's (`fanout_shard`).
pub async fn post(poster: &Poster, connection_ids: &[String], frame: &Blob) -> Report {
    let posted = poster
        .api
        .post_all(connection_ids, frame, poster.concurrency)
        .await;
    stream::iter(&posted.gone)
        .for_each_concurrent(REMOVALS, |connection_id| async move {
            if let Err(e) = poster.store.remove_connection(connection_id).await {
                tracing::warn!(%connection_id, error = %e, "removing a gone connection failed");
            }
        })
        .await;
    posted.report
}

/// The event's posts by outcome, and the time from its commit (`occurred_at`, written in
/// the same transaction as the change) to now, when its last post is done.
fn record(e: &Event, posts: &Report) {
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
