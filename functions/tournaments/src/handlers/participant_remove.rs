//! `DELETE /api/tournaments/{id}/participants/{participant_id}` (that user, the owner or an
//! admin; only while registration is open) → `204`. Those below move up one seed, and the
//! first on the waitlist takes the freed place in the same write (API.md v1.1).

use std::sync::Arc;

use gymit_shared::{http, identity, ApiError, Ctx, Request, Response};
use serde_json::json;

use super::{event, mutate, next_meta, promote_waiting, Decision};
use crate::{
    domain::{Missing, Refusal, Status, Write},
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
    mutate(&state, &id, |loaded| {
        let t = loaded.tournament();
        let p = loaded
            .participant(&participant_id)
            .ok_or(Refusal::NotFound(Missing::Participant))?;
        let themselves = p.user_id.as_deref() == Some(caller.user_id.as_str());
        if themselves && !t.is_manager(&caller) {
            // Leaving is a write: an unapproved account may not (API.md, 403 not_approved).
            caller.require_approved()?;
        } else {
            t.require_manager(&caller)?;
        }
        t.require_status(&[Status::RegistrationOpen], "leave")?;
        let mut meta = next_meta(loaded);
        meta.tournament.participant_count = meta.tournament.participant_count.saturating_sub(1);
        let mut change = Decision::new(meta, ());
        change.writes.push(Write::RemoveParticipant(p.clone()));
        let reason = if themselves { "left" } else { "removed" };
        change.events.push(event(
            "participant.left",
            &t.id,
            json!({ "participant": p, "reason": reason }),
        ));
        promote_waiting(&mut change, &loaded.waitlist)?;
        Ok(change)
    })
    .await?;
    tracing::info!(tournament_id = %id, %participant_id, by = %caller.user_id, "participant left");
    http::no_content()
}
