//! `POST /api/tournaments/{id}/participants/{participant_id}/drop` (that participant's
//! user, the owner or an admin; only in progress) → `200 {participant, bracket}` with
//! `status: "dropped"`. As a disqualification: every unplayed match of theirs is a forfeit
//! at once (round robin included), in one write with the tournament's new version.

use std::sync::Arc;

use gymit_shared::{http, identity, ApiError, Ctx, Request, Response};
use serde_json::json;

use super::{bracket_view, disqualify::take_out, mutate};
use crate::{
    domain::{Missing, ParticipantStatus, Refusal},
    Tournaments,
};

pub async fn handle(
    state: Arc<Tournaments>,
    req: Request,
    _ctx: Ctx,
) -> Result<Response, ApiError> {
    let caller = identity::caller(&req, state.keys.tokens()?)?;
    let id = http::path_param(&req, "id")?;
    let participant_id = http::path_param(&req, "participant_id")?;
    let (participant, t, bracket) = mutate(&state, &id, |loaded| {
        let t = loaded.tournament();
        let p = loaded
            .participant(&participant_id)
            .ok_or(Refusal::NotFound(Missing::Participant))?;
        let themselves = p.user_id.as_deref() == Some(caller.user_id.as_str());
        if themselves && !t.is_manager(&caller) {
            // Dropping out is a write: an unapproved account may not (403 not_approved).
            caller.require_approved()?;
        } else {
            t.require_manager(&caller)?;
        }
        take_out(loaded, &participant_id, ParticipantStatus::Dropped)
    })
    .await?;
    tracing::info!(tournament_id = %id, %participant_id, by = %caller.user_id, "participant dropped out");
    http::json(
        200,
        &json!({ "participant": participant, "bracket": bracket_view(&t, Some(&bracket)) }),
    )
}
