//! `GET /api/tournaments/{id}/participants` (anyone) → `200 {items}` in seed order.

use std::sync::Arc;

use gymit_shared::{http, ApiError, Ctx, Request, Response};
use serde_json::json;

use crate::{
    domain::{Missing, Refusal},
    Tournaments,
};

pub async fn handle(
    state: Arc<Tournaments>,
    req: Request,
    _ctx: Ctx,
) -> Result<Response, ApiError> {
    let id = http::path_param(&req, "id")?;
    // The tournament and its roster, without the bracket's matches: one Query.
    let (_, roster) = state
        .store
        .meta_and_roster(&id)
        .await?
        .ok_or(Refusal::NotFound(Missing::Tournament))?;
    let items: Vec<_> = roster.iter().map(|(_, p)| p).collect();
    http::cacheable_json(&json!({ "items": items }))
}
