//! `$default` (`notifications-default`): every client message. `subscribe`, `unsubscribe`
//! and `ping` are answered with `subscribed`, `unsubscribed` and `pong`; anything else gets
//! `{"type":"error",...}` and the connection stays open. The answer is the route response
//! API Gateway sends back on the socket, so every outcome is a 200 with a JSON body.

use std::{sync::Arc, time::Duration};

use gymit_shared::{
    dynamo::StoreError,
    http, ids,
    retry::{retry, Attempt, Policy},
    ApiError, Ctx, Request, Response,
};
use serde_json::{json, Value};

use crate::{
    handlers::connection_id,
    messages::{self, Action, Refusal},
    store::{ConnectionsStore, Subscribed, MAX_SUBSCRIPTIONS},
};

/// `S` is `Connections` in the deployed function (no keys, no other service's table).
pub async fn handle<S: AsRef<ConnectionsStore>>(
    state: Arc<S>,
    req: Request,
    _ctx: Ctx,
) -> Result<Response, ApiError> {
    let connection_id = connection_id(&req)?;
    let reply = match messages::parse(req.body().as_ref()) {
        Ok(action) => act((*state).as_ref(), &connection_id, action)
            .await
            .unwrap_or_else(|r| r.to_json()),
        Err(refusal) => refusal.to_json(),
    };
    http::json(200, &reply)
}

async fn act(
    store: &ConnectionsStore,
    connection_id: &str,
    action: Action,
) -> Result<Value, Refusal> {
    match action {
        Action::Ping => Ok(json!({ "type": "pong" })),
        Action::Subscribe(tournament_id) => {
            match subscribe(store, connection_id, &tournament_id).await? {
                Subscribed::New | Subscribed::Already => {
                    tracing::info!(%connection_id, %tournament_id, "subscribed");
                    Ok(json!({ "type": "subscribed", "tournament_id": tournament_id }))
                }
                Subscribed::Full => Err(Refusal::new(
                    "too_many_subscriptions",
                    format!("a connection may follow at most {MAX_SUBSCRIPTIONS} tournaments"),
                )),
                Subscribed::Gone => Err(Refusal::new("gone", "the connection is closed")),
                Subscribed::UnknownTournament => Err(not_found()),
            }
        }
        Action::Unsubscribe(tournament_id) => {
            store
                .unsubscribe(connection_id, &tournament_id)
                .await
                .map_err(unavailable)?;
            Ok(json!({ "type": "unsubscribed", "tournament_id": tournament_id }))
        }
    }
}

/// How long after a tournament's id was minted its `tournament.created` event may still be
/// on its way to the fan-out: a subscription to such an id waits for it instead of being
/// refused (a client subscribes right after creating a tournament).
const TOURNAMENT_EVENT_LAG: Duration = Duration::from_secs(5);

/// Subscribes in one transaction that also checks that the service has heard of the
/// tournament; while the id is young enough for its creation event to be still on its way,
/// tries again (up to 100 ms apart) until the event arrives or the id is too old for it.
async fn subscribe(
    store: &ConnectionsStore,
    connection_id: &str,
    tournament_id: &str,
) -> Result<Subscribed, Refusal> {
    let on_its_way = ids::young_for(tournament_id, TOURNAMENT_EVENT_LAG).unwrap_or_default();
    let policy =
        Policy::until(on_its_way, Duration::from_millis(25)).with_cap(Duration::from_millis(100));
    retry(&policy, |_| async {
        match store
            .subscribe(connection_id, tournament_id)
            .await
            .map_err(unavailable)?
        {
            Subscribed::UnknownTournament => Ok(Attempt::Retry(not_found())),
            outcome => Ok(Attempt::Done(outcome)),
        }
    })
    .await
}

fn not_found() -> Refusal {
    Refusal::new("not_found", "no such tournament")
}

fn unavailable(e: StoreError) -> Refusal {
    tracing::error!(error = %e, "connections table");
    Refusal::new(
        "dependency_unavailable",
        "the service is briefly unavailable, try again",
    )
}
