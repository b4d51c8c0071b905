//! `POST /api/tournaments/{id}/participants`: an approved user joins themselves (`{}`), or
//! the owner or an admin adds `{name, user_id?, seed?}` → `201 {participant}`; a member's
//! own join to a full tournament with a waitlist → `202 {waitlist_entry}` (API.md v1.1).
//!
//! Two round trips (the use case: `crate::registration`): one read (the tournament, with
//! the joining member or the roster when needed) and one transaction whose conditions hold
//! capacity under any concurrency.

use std::sync::Arc;

use gymit_shared::{http, identity, metrics, ApiError, Ctx, Request, Response};
use serde_json::json;

use crate::{domain::joining::Joining, registration::Joined, Tournaments};

pub async fn handle(
    state: Arc<Tournaments>,
    req: Request,
    _ctx: Ctx,
) -> Result<Response, ApiError> {
    let caller = identity::caller(&req, state.keys.tokens()?)?;
    let id = http::path_param(&req, "id")?;
    let joining = Joining::of(http::optional_json_body(&req)?);
    if let Joining::Myself = joining {
        caller.require_approved()?;
    }
    let joined = state.join(&id, &caller, &joining).await;
    let outcome = match &joined {
        Ok(Joined::Participant(_)) => "joined",
        Ok(Joined::Waitlisted(_)) => "waitlisted",
        Err(e) => e.code,
    };
    metrics::count("tournament_joins_total", 1.0, &[("outcome", outcome)]);
    match joined? {
        Joined::Participant(participant) => {
            tracing::info!(tournament_id = %id, participant_id = %participant.id, seed = participant.seed, "participant joined");
            http::json(201, &json!({ "participant": participant }))
        }
        Joined::Waitlisted(entry) => {
            tracing::info!(tournament_id = %id, user_id = %entry.user_id, position = entry.position, "joined the waitlist");
            http::json(202, &json!({ "waitlist_entry": entry }))
        }
    }
}
