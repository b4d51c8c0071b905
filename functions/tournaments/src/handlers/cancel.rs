//! `DELETE /api/tournaments/{id}` (owner or admin): cancels → `200 {tournament}`.

use std::sync::Arc;

use gymit_shared::{http, identity, ApiError, Ctx, Request, Response};
use serde_json::json;

use super::{event, mutate_meta, next_meta_of, Decision};
use crate::{domain::Status, Tournaments};

pub async fn handle(
    state: Arc<Tournaments>,
    req: Request,
    _ctx: Ctx,
) -> Result<Response, ApiError> {
    let caller = identity::caller(&req, state.keys.tokens()?)?;
    let id = http::path_param(&req, "id")?;
    let t = mutate_meta(&state, &id, |read| {
        read.tournament.require_manager(&caller)?;
        read.tournament
            .require_status(&[Status::RegistrationOpen, Status::InProgress], "cancel")?;
        let mut meta = next_meta_of(read);
        meta.tournament.status = Status::Cancelled;
        let t = meta.tournament.clone();
        let mut change = Decision::new(meta, t.clone());
        change.events.push(event(
            "tournament.cancelled",
            &t.id,
            json!({ "tournament": t }),
        ));
        Ok(change)
    })
    .await?;
    tracing::info!(tournament_id = %id, by = %caller.user_id, "tournament cancelled");
    http::json(200, &json!({ "tournament": t }))
}
