//! `GET /api/tournaments/{id}/waitlist` (anyone) → `200 {items: [waitlist_entry]}` by
//! position (API.md v1.1): META and the line in one Query.

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
    let (_, line) = state
        .store
        .meta_and_line(&id)
        .await?
        .ok_or(Refusal::NotFound(Missing::Tournament))?;
    http::json(200, &json!({ "items": line }))
}
