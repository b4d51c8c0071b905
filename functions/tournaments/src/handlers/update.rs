//! `PATCH /api/tournaments/{id}` (owner or admin, only while registration is open): any of
//! the create fields → `200 {tournament}`.

use std::sync::Arc;

use gymit_shared::{http, identity, ApiError, Ctx, Request, Response};
use serde_json::json;

use super::{event, mutate_meta, next_meta_of, Decision};
use crate::{
    domain::{Refusal, Status, TournamentFields},
    Tournaments,
};

pub async fn handle(
    state: Arc<Tournaments>,
    req: Request,
    _ctx: Ctx,
) -> Result<Response, ApiError> {
    let caller = identity::caller(&req, &state.tokens)?;
    let id = http::path_param(&req, "id")?;
    let fields: TournamentFields = http::json_body(&req)?;
    if fields.is_empty() {
        return Err(ApiError::bad_request("the body names no field to change"));
    }
    let t = mutate_meta(&state, &id, |read| {
        read.tournament.require_manager(&caller)?;
        read.tournament
            .require_status(&[Status::RegistrationOpen], "edit")?;
        let mut meta = next_meta_of(read);
        fields.apply(&mut meta.tournament, false)?;
        let t = meta.tournament.clone();
        if t.max_participants < t.participant_count {
            return Err(Refusal::CapacityBelowParticipants(t.participant_count).into());
        }
        let mut change = Decision::new(meta, t.clone());
        change.events.push(event(
            "tournament.updated",
            &t.id,
            json!({ "tournament": t }),
        ));
        Ok(change)
    })
    .await?;
    http::json(200, &json!({ "tournament": t }))
}
