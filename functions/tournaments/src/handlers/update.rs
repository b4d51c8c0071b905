//! `PATCH /api/tournaments/{id}` (owner or admin, only while registration is open): any of
//! the create fields → `200 {tournament}`. A raised `max_participants` promotes the first
//! on the waitlist into the new places in the same write (API.md v1.1).

use std::sync::Arc;

use gymit_shared::{http, identity, ApiError, Ctx, Request, Response};
use serde_json::json;

use super::{event, mutate_line, next_meta_of, promote_waiting, Decision};
use crate::{
    domain::{Refusal, Status, TournamentFields},
    Tournaments,
};

pub async fn handle(
    state: Arc<Tournaments>,
    req: Request,
    _ctx: Ctx,
) -> Result<Response, ApiError> {
    let caller = identity::caller(&req, state.keys.tokens()?)?;
    let id = http::path_param(&req, "id")?;
    let fields: TournamentFields = http::json_body(&req)?;
    if fields.is_empty() {
        return Err(ApiError::bad_request("the body names no field to change"));
    }
    let t = mutate_line(&state, &id, |(read, line)| {
        read.tournament.require_manager(&caller)?;
        read.tournament
            .require_status(&[Status::RegistrationOpen], "edit")?;
        let mut meta = next_meta_of(read);
        fields.apply(&mut meta.tournament, false)?;
        let t = meta.tournament.clone();
        if t.max_participants < t.participant_count {
            return Err(Refusal::CapacityBelowParticipants(t.participant_count).into());
        }
        let mut change = Decision::new(meta, t);
        promote_waiting(&mut change, line)?;
        change.answer = change.meta.tournament.clone();
        change.events.push(event(
            "tournament.updated",
            &change.answer.id,
            json!({ "tournament": change.answer }),
        ));
        Ok(change)
    })
    .await?;
    http::json(200, &json!({ "tournament": t }))
}
