//! `GET /api/tournaments/{id}/bracket` (anyone) → `200 {bracket}` (no matches before the
//! start).

use std::sync::Arc;

use gymit_shared::{http, ApiError, Ctx, Request, Response};
use serde_json::json;

use super::bracket_view;
use crate::Tournaments;

pub async fn handle(
    state: Arc<Tournaments>,
    req: Request,
    _ctx: Ctx,
) -> Result<Response, ApiError> {
    let id = http::path_param(&req, "id")?;
    let loaded = state.current(&id).await?;
    http::cacheable_json(
        &json!({ "bracket": bracket_view(loaded.tournament(), loaded.bracket.as_ref()) }),
    )
}
